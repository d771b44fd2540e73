/* track.c — the generic parts of per-rule tracking state: distinct estimates, samples, windows. */
#include "scanwatch/track.h"

#include <math.h>
#include <string.h>

static uint64_t bits_k0 = 0x243f6a8885a308d3ULL, bits_k1 = 0x13198a2e03707344ULL;

void track_set_key(const uint8_t key[16])
{
	memcpy(&bits_k0, key, 8);
	memcpy(&bits_k1, key + 8, 8);
	bits_k0 |= 1; /* odd multiplier */
}

/*
 * A keyed multiply-xorshift mix: far cheaper than SipHash on the per-probe
 * path, and with the key secret an attacker cannot line addresses up on the
 * same bit to hide how many targets they probe.
 */
static inline uint64_t mix(const struct sw_addr *a, uint64_t extra)
{
	uint64_t x, y;
	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	uint64_t h = (x ^ bits_k1) * bits_k0;
	h ^= (y + extra) ^ (h >> 29);
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h *= bits_k0;
	return h ^ (h >> 31);
}

static inline bool bit_add(uint64_t *bits, uint32_t nbits, uint64_t h)
{
	uint32_t i = (uint32_t)(h & (nbits - 1));
	uint64_t m = 1ULL << (i & 63);
	if (bits[i >> 6] & m)
		return false;
	bits[i >> 6] |= m;
	return true;
}

uint64_t track_estimate(uint32_t set, uint32_t m)
{
	if (set == 0)
		return 0;
	if (set >= m) /* saturated: the estimate's ceiling, m ln m */
		return (uint64_t)((double)m * log((double)m));
	/* Linear counting: n = -m ln(V), V the fraction of zero bits (Whang et al. 1990). */
	double est = -(double)m * log((double)(m - set) / (double)m);
	uint64_t n = (uint64_t)(est + 0.5);
	return n < set ? set : n;
}

bool track_pair_add(struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	if (bit_add(e->pair_bits, TRACK_PAIR_BITS, mix(target, (uint64_t)port << 17 | 0x5a5a))) {
		e->pair_set++;
		return true;
	}
	return false;
}

uint64_t track_distinct_targets(const struct track_entry *e)
{
	return track_estimate(e->tgt_set, TRACK_TGT_BITS);
}

uint64_t track_distinct_ports(const struct track_entry *e)
{
	/* ports hash into the bitmap directly (keyed by a rotation): exact below 1024 distinct
	 * ports when no two share a bit; estimated above */
	return track_estimate(e->port_set, TRACK_PORT_BITS);
}

uint64_t track_distinct_sources(const struct track_entry *e)
{
	return track_estimate(e->tgt_set, TRACK_TGT_BITS);
}

bool track_has_source(const struct track_entry *e, const struct sw_addr *src)
{
	uint32_t i = (uint32_t)(mix(src, 0x7a11) & (TRACK_TGT_BITS - 1));
	return (e->tgt_bits[i >> 6] >> (i & 63)) & 1;
}

static void add_sample_addr(struct sw_addr *arr, uint8_t *n, const struct sw_addr *a)
{
	for (unsigned i = 0; i < *n; i++)
		if (addr_eq(&arr[i], a))
			return;
	if (*n < TRACK_SAMPLE_ADDRS)
		arr[(*n)++] = *a;
}

void track_note_probe(struct track_entry *e, const struct sw_event *ev, bool group_by_dst)
{
	if (e->probes == 0) {
		e->first_ts = ev->ts_us;
		e->target = ev->dst;
		e->proto = ev->proto;
	}
	e->probes++;
	e->last_ts = ev->ts_us;
	e->pclass_seen |= 1u << ev->pclass;
	if (ev->crafted)
		e->crafted++;
	if (ev->proto != e->proto)
		e->mixed_proto = 1;
	if (!e->multi_target && !addr_eq(&e->target, &ev->dst))
		e->multi_target = 1;
	if (ev->repeat)
		return;
	/* grouped by target, the target is the key: the bitmap counts sources */
	if (bit_add(e->tgt_bits, TRACK_TGT_BITS, mix(group_by_dst ? &ev->src : &ev->dst, 0x7a11)))
		e->tgt_set++;
	/* a secret rotation, not identity, so chosen ports cannot collide on purpose either */
	uint32_t pb = (uint32_t)((ev->port * (bits_k0 | 1)) >> 7);
	if (bit_add(e->port_bits, TRACK_PORT_BITS, pb))
		e->port_set++;
	bool have_port = false;
	for (unsigned i = 0; i < e->n_ports; i++)
		if (e->sample_ports[i] == ev->port) {
			have_port = true;
			break;
		}
	if (!have_port && e->n_ports < TRACK_SAMPLE_PORTS)
		e->sample_ports[e->n_ports++] = ev->port;
	add_sample_addr(e->sample_targets, &e->n_targets, &ev->dst);
	if (group_by_dst)
		add_sample_addr(e->sample_sources, &e->n_sources, &ev->src);
}

void track_reset_window(struct track_entry *e, uint64_t ts)
{
	e->win_start = ts;
	e->first_ts = ts;
	e->probes = 0;
	e->score = 0;
	e->llr = 0;
	memset(e->aux, 0, sizeof e->aux);
	memset(e->outcomes, 0, sizeof e->outcomes);
	e->pclass_seen = 0;
	e->crafted = 0;
	e->multi_target = 0;
	e->mixed_proto = 0;
	e->n_ports = e->n_targets = e->n_sources = 0;
	memset(e->tgt_bits, 0, sizeof e->tgt_bits);
	memset(e->port_bits, 0, sizeof e->port_bits);
	memset(e->pair_bits, 0, sizeof e->pair_bits);
	e->tgt_set = e->port_set = e->pair_set = 0;
	memset(e->attr, 0, sizeof e->attr);
}
