/* defrag.c — just enough IP reassembly to read a transport header cut into tiny fragments. */
#include "scanwatch/defrag.h"

#include <stdlib.h>
#include <string.h>

#include "scanwatch/cursor.h"
#include "scanwatch/hash.h"

/*
 * The sensor needs the transport header, not the data: RFC 1858's tiny
 * fragment trick (nmap -f sends 8-byte fragments, so the first holds the
 * ports but not the TCP flags) is defeated by collecting the first 64 bytes
 * of each fragmented datagram. A table of fixed size, keyed by source,
 * destination, protocol and IP identification (RFC 791; RFC 8200 4.5): a
 * newer datagram takes an older one's slot, so memory is fixed and a flood of
 * fragments costs nothing but slots. The set of slots is SipHash-1-3 of that
 * key under the pipeline's key (STYLE.md item 6): with the fixed FNV-1a it
 * had, a scanner could compute its own fragmented probe's slot and send, from
 * any forged source, one fragment that lands there between the probe's
 * fragments, evicting the probe before its header was complete (the target
 * still reassembles it: an evasion for one packet a probe).
 *
 * Four slots a set, not one: a datagram takes a free slot of its set, else one
 * whose datagram timed out or is already rebuilt, else the one touched least
 * recently. Direct-mapped, any two datagrams in flight together collided one
 * time in 1024, and nmap -f keeps several in flight; what such a collision
 * did depended on the hash key, so a capture's count could change from one
 * run to the next (see defrag_packet for the case that showed it).
 */
#define DEFRAG_SLOTS 1024
#define DEFRAG_WAYS  4
#define DEFRAG_SETS  (DEFRAG_SLOTS / DEFRAG_WAYS)
#define DEFRAG_BYTES 64
#define DEFRAG_TIMEOUT_US                                                      \
	(30ULL * 1000000) /* RFC 791's reassembly timer is 15 s; Linux uses 30 \
	                   */

struct slot {
	struct sw_addr src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t used, have_first, done;
	uint64_t got; /* bit i: byte i of the transport header is here */
	uint64_t ts;
	uint32_t total; /* transport length once the last fragment was seen, 0 before */
	uint8_t buf[DEFRAG_BYTES];
	struct sw_packet first; /* the offset-0 fragment's view (addresses, TTL, id ...) */
};

struct defrag {
	uint8_t key[16];
	struct slot slots[DEFRAG_SLOTS];
};

struct defrag *defrag_create(const uint8_t key[16])
{
	struct defrag *d = calloc(1, sizeof(struct defrag));
	if (d)
		memcpy(d->key, key, sizeof d->key);
	return d;
}

void defrag_destroy(struct defrag *d)
{
	free(d);
}

static unsigned set_of(const struct defrag *d, const struct sw_packet *p)
{
	struct {
		struct sw_addr src, dst;
		uint16_t id;
		uint8_t proto, zero;
	} k = {.src = p->src, .dst = p->dst, .id = p->ip_id, .proto = p->proto};
	return (unsigned)(hash_siphash13(d->key, &k, sizeof k) % DEFRAG_SETS);
}

static bool holds(const struct slot *s, const struct sw_packet *frag)
{
	return s->used && s->id == frag->ip_id && s->proto == frag->proto &&
	       addr_eq(&s->src, &frag->src) && addr_eq(&s->dst, &frag->dst);
}

/* What a slot is worth keeping when frag's datagram needs one: free 0, timed out 1, rebuilt
 * 2, still collecting 3. */
static unsigned worth(const struct slot *s, const struct sw_packet *frag)
{
	if (!s->used)
		return 0;
	if (frag->ts_us > s->ts + DEFRAG_TIMEOUT_US)
		return 1;
	return s->done ? 2 : 3;
}

/* Whether an offset-0 fragment repeats the start of the datagram s rebuilt (a duplicate), rather
 * than starting another datagram under the same identification. */
static bool same_start(const struct slot *s, const struct sw_packet *frag)
{
	for (uint32_t i = 0; i < frag->frag_len && i < DEFRAG_BYTES; i++)
		if ((s->got >> i & 1) && s->buf[i] != frag->frag_data[i])
			return false;
	return true;
}

/* frag's datagram's slot: the one collecting it, or the least worth keeping of its set. */
static struct slot *slot_for(struct defrag *d, const struct sw_packet *frag)
{
	struct slot *set = &d->slots[set_of(d, frag) * DEFRAG_WAYS], *v = set;
	for (unsigned w = 0; w < DEFRAG_WAYS; w++)
		if (holds(&set[w], frag))
			return &set[w];
	for (unsigned w = 1; w < DEFRAG_WAYS; w++) {
		unsigned a = worth(&set[w], frag), b = worth(v, frag);
		if (a < b || (a == b && set[w].ts < v->ts))
			v = &set[w];
	}
	return v;
}

/* Bytes of transport header needed before it can be decoded, or 0 when not known yet. */
static unsigned needed(const struct slot *s)
{
	switch (s->proto) {
	case 6:
		if (!(s->got >> 12 & 1))
			return 0;
		unsigned hl = (unsigned)(s->buf[12] >> 4) * 4;
		return hl < 20 ? 20 : (hl > DEFRAG_BYTES ? DEFRAG_BYTES : hl);
	case 17:
	case 1:
	case 58:
		return 8;
	case 132:
		/* SCTP (RFC 9260 section 3): common header and chunk header, and
		 * INIT's / INIT-ACK's fixed fields, once the chunk type is known */
		if (!(s->got >> 12 & 1))
			return 0;
		return s->buf[12] == 1 || s->buf[12] == 2 ? 32 : 16;
	default:
		return 0;
	}
}

bool defrag_packet(struct defrag *d, const struct sw_packet *frag, struct sw_packet *out,
                   struct decode_stats *st)
{
	if (!frag->frag_data || (frag->proto != 6 && frag->proto != 17 && frag->proto != 1 &&
	                         frag->proto != 58 && frag->proto != 132))
		return false;
	struct slot *s = slot_for(d, frag);
	/* An identification comes round again: nmap draws one a probe at random, and of 203
	 * probes two shared one 1.8 ms apart in a real nmap -sS -f capture (the corpus's
	 * nmap_frag), the second ignored as the first's leftovers until a new start with other
	 * ports says it is another datagram (RFC 791 leaves a reused identification to the
	 * timer; a scan does not wait for it). */
	if (!holds(s, frag) || frag->ts_us > s->ts + DEFRAG_TIMEOUT_US ||
	    (s->done && frag->frag_off == 0 && !same_start(s, frag))) {
		memset(s, 0, offsetof(struct slot, first));
		s->used = 1;
		s->src = frag->src;
		s->dst = frag->dst;
		s->id = frag->ip_id;
		s->proto = frag->proto;
	}
	s->ts = frag->ts_us;
	if (s->done)
		return false;
	uint32_t off = frag->frag_off;
	for (uint32_t i = 0; i < frag->frag_len && off + i < DEFRAG_BYTES; i++) {
		s->buf[off + i] = frag->frag_data[i];
		s->got |= 1ULL << (off + i);
	}
	if (!frag->frag_more)
		s->total = off + frag->frag_len;
	if (off == 0) {
		s->first = *frag;
		s->first.frag_data = NULL; /* points into a buffer that will be gone */
		s->have_first = 1;
	}
	unsigned need = needed(s);
	uint64_t mask = need >= 64 ? ~0ULL : (1ULL << need) - 1;
	if (!s->have_first || !need || (s->got & mask) != mask)
		return false;
	s->done = 1;
	*out = s->first;
	out->flags &= (uint16_t)~PKT_F_FRAG_LATER;
	/* the L4 decoders start from the transport length: the whole datagram's when known */
	out->ip_payload_len = (uint16_t)(s->total ? s->total : need);
	struct cursor c;
	cursor_init(&c, s->buf, s->total && s->total < need ? s->total : need);
	enum decode_result r;
	switch (s->proto) {
	case 6:
		r = decode_tcp(&c, out, st);
		break;
	case 17:
		r = decode_udp(&c, out, st);
		break;
	case 1:
		r = decode_icmp(&c, out, st);
		break;
	case 132:
		r = decode_sctp(&c, out, st);
		break;
	default:
		r = decode_icmpv6(&c, out, st);
		break;
	}
	if (r != DECODE_OK || !(out->flags & PKT_F_HAS_L4))
		return false;
	st->frag_rebuilt++;
	return true;
}
