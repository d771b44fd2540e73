/* admit.c — the waiting room: one compact record per source until its events could matter. */
#include "scanwatch/admit.h"

#include <stdlib.h>
#include <string.h>

struct admit_rec {
	struct htab_node node;
	struct sw_addr key; /* the source */
	struct admit_held h;
};

/*
 * Ghosts of recycled records (the A1out queue of Johnson and Shasha's 2Q): a
 * full table recycles its oldest record, and under a flood of forged one-packet
 * sources that is every record within microseconds, a real scanner's first
 * probe included. Without a memory of it, the scanner's next probe would be
 * held as a newcomer's and recycled in turn, and it would never reach the rules
 * however many ports it tried. So the keyed hash of each recycled source is
 * kept in a direct-mapped array of tags; a source that comes back while its
 * ghost is there has shown it is no one-packet source and is tracked at once.
 * A forged source never comes back, so ghosts cost the flood nothing; a
 * collision only overwrites a ghost (the source is then held again, which is
 * exact, only dearer). ADMIT_GHOSTS_PER_RECORD tags per record, 4 bytes each,
 * so that a ghost outlives the flood packets between two probes of a scanner:
 * with G ghosts, k recycled records overwrite it with probability about k/G.
 */
#define ADMIT_GHOSTS_PER_RECORD 4

struct admit {
	struct htab *tab;
	size_t held; /* records in the table: an empty table costs no lookup */
	uint32_t *ghost;
	uint64_t ghost_mask;
	uint64_t ghost_hits; /* sources tracked at once because they came back */
};

size_t admit_record_size(void)
{
	/* the bucket array holds one uint32_t per entry, rounded up to a power of two;
	 * the ghosts ADMIT_GHOSTS_PER_RECORD tags, rounded likewise */
	return sizeof(struct admit_rec) + 2 * sizeof(uint32_t) +
	       2 * ADMIT_GHOSTS_PER_RECORD * sizeof(uint32_t);
}

static inline uint32_t ghost_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1; /* 0 is an empty slot */
}

/* A full table recycles its oldest record on insert: remember its source. */
static void on_evict(void *ctx, void *entry)
{
	struct admit *a = ctx;
	const struct admit_rec *r = entry;
	a->held--;
	a->ghost[r->node.hash & a->ghost_mask] = ghost_tag(r->node.hash);
}

struct admit *admit_create(size_t max_records, const uint8_t key[16])
{
	struct admit *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (max_records < 16)
		max_records = 16;
	size_t ghosts = 64;
	while (ghosts < ADMIT_GHOSTS_PER_RECORD * max_records)
		ghosts *= 2;
	a->ghost_mask = ghosts - 1;
	a->ghost = calloc(ghosts, sizeof *a->ghost);
	a->tab = htab_create(sizeof(struct admit_rec), offsetof(struct admit_rec, key),
	                     sizeof(struct sw_addr), max_records, 1, key, on_evict, a);
	if (!a->tab || !a->ghost) {
		htab_destroy(a->tab);
		free(a->ghost);
		free(a);
		return NULL;
	}
	return a;
}

void admit_destroy(struct admit *a)
{
	if (!a)
		return;
	htab_destroy(a->tab);
	free(a->ghost);
	free(a);
}

enum {
	B_LABEL = 0xfffff, /* IPv6 flow labels are 20 bits (RFC 8200) */
	B_TYPE = 1u << 20,
	B_OUTCOME_SHIFT = 21, /* 4 bits */
	B_OUTCOME_MASK = 15,
	B_CRAFTED = 1u << 25,
	B_REPEAT = 1u << 26,
	B_PKT = 1u << 27,
};

/* The fields that differ between probes of one shape, taken out of an event: false when
 * they do not fit an item (times too far apart), so the event cannot be held. */
static bool take_item(struct admit_item *it, const struct sw_event *ev, uint64_t ts0)
{
	memset(it, 0, sizeof *it);
	if (ev->ts_us < ts0 || ev->ts_us - ts0 > UINT32_MAX || ev->outcome > B_OUTCOME_MASK ||
	    (ev->pkt && ev->pkt->flow_label > B_LABEL))
		return false;
	it->dts = (uint32_t)(ev->ts_us - ts0);
	it->bits = (ev->type ? B_TYPE : 0) | (uint32_t)ev->outcome << B_OUTCOME_SHIFT |
	           (ev->crafted ? B_CRAFTED : 0) | (ev->repeat ? B_REPEAT : 0);
	const struct sw_packet *p = ev->pkt;
	if (!p)
		return true;
	/* Times are unsigned and may lie anywhere in their range (a broken file's timestamps
	 * wrap, and the event time never runs backwards while packet times may), so the gap is
	 * taken unsigned in the direction that cannot wrap: a signed difference of the two,
	 * one each side of 2^63, overflows. */
	bool later = p->ts_us >= ev->ts_us;
	uint64_t gap = later ? p->ts_us - ev->ts_us : ev->ts_us - p->ts_us;
	if (gap > (later ? (uint64_t)INT32_MAX : (uint64_t)INT32_MAX + 1))
		return false;
	it->dpkt = later ? (int32_t)gap : (int32_t)(-(int64_t)gap);
	it->bits |= B_PKT | p->flow_label;
#define X(name, member, type) it->name = p->member;
	SW_PACKET_PER_PROBE(X)
#undef X
	return true;
}

/* The packet's shape: its bytes before the quote (packet.h) with the per-probe fields
 * zeroed; false when it carries a quote (an ICMP error is no probe to hold). */
static bool shape_of(const struct sw_packet *in, uint8_t shape[SW_PACKET_SHAPE_BYTES])
{
	if (in->flags & PKT_F_QUOTED)
		return false;
	struct sw_packet p;
	memcpy(&p, in, SW_PACKET_SHAPE_BYTES);
	p.ts_us = 0;
	p.flow_label = 0;
#define X(name, member, type) p.member = 0;
	SW_PACKET_PER_PROBE(X)
#undef X
	memcpy(shape, &p, SW_PACKET_SHAPE_BYTES);
	return true;
}

/* Same service: the fields every detector keys on. */
static bool same_service(const struct admit_held *h, const struct sw_event *ev)
{
	return h->pclass == ev->pclass && h->proto == ev->proto && h->port == ev->port &&
	       addr_eq(&h->dst, &ev->dst);
}

enum admit_verdict admit_offer(struct admit *a, const struct sw_event *ev, uint64_t h,
                               struct admit_held *out)
{
	if (a->held == 0)
		return ADMIT_NONE;
	struct admit_rec *r = htab_find(a->tab, &ev->src, h);
	if (!r)
		return ADMIT_NONE;
	struct admit_held *hd = &r->h;
	bool hold = hd->n < 1 + ADMIT_LATER && same_service(hd, ev);
	if (hold && ev->type == EV_PROBE) {
		/* one shape: the packet equals the first once the per-probe fields are out */
		uint8_t shape[SW_PACKET_SHAPE_BYTES];
		hold = ev->pkt && shape_of(ev->pkt, shape) &&
		       memcmp(shape, hd->shape, sizeof shape) == 0;
	} else if (hold) {
		hold = ev->pkt == NULL; /* a reply is a conversation: the rules must see it */
	}
	if (hold && take_item(&hd->item[hd->n], ev, hd->ts0)) {
		hd->n++;
		htab_touch(a->tab, r, 0, ev->ts_us);
		return ADMIT_HELD;
	}
	*out = *hd;
	htab_remove(a->tab, r);
	a->held--;
	return ADMIT_RELEASED;
}

bool admit_hold(struct admit *a, const struct sw_event *ev, uint64_t h)
{
	struct admit_held hd;
	if (ev->type != EV_PROBE || !ev->pkt)
		return false;
	uint32_t *ghost = &a->ghost[h & a->ghost_mask];
	if (*ghost == ghost_tag(h)) {
		/* it was held, recycled, and is back: not a one-packet source */
		*ghost = 0;
		a->ghost_hits++;
		return false;
	}
	if (!shape_of(ev->pkt, hd.shape) || !take_item(&hd.item[0], ev, ev->ts_us))
		return false;
	struct admit_rec *r = htab_insert(a->tab, &ev->src, h, 0, ev->ts_us);
	a->held++;
	struct admit_held *d = &r->h;
	d->src = ev->src;
	d->dst = ev->dst;
	d->ts0 = ev->ts_us;
	d->port = ev->port;
	d->pclass = ev->pclass;
	d->proto = ev->proto;
	memcpy(d->shape, hd.shape, sizeof d->shape);
	d->item[0] = hd.item[0];
	d->n = 1;
	return true;
}

size_t admit_count(const struct admit_held *hd)
{
	return hd->n;
}

void admit_replay(const struct admit_held *hd, size_t i, struct sw_event *ev, struct sw_packet *pkt)
{
	const struct admit_item *it = &hd->item[i];
	memset(ev, 0, sizeof *ev);
	ev->type = (it->bits & B_TYPE) ? EV_OUTCOME : EV_PROBE;
	ev->pclass = hd->pclass;
	ev->outcome = (uint8_t)((it->bits >> B_OUTCOME_SHIFT) & B_OUTCOME_MASK);
	ev->crafted = (it->bits & B_CRAFTED) ? 1 : 0;
	ev->repeat = (it->bits & B_REPEAT) ? 1 : 0;
	ev->proto = hd->proto;
	ev->port = hd->port;
	ev->ts_us = hd->ts0 + it->dts;
	ev->src = hd->src;
	ev->dst = hd->dst;
	ev->pkt = NULL;
	if (!(it->bits & B_PKT))
		return;
	memset(pkt, 0, sizeof *pkt);
	memcpy(pkt, hd->shape, sizeof hd->shape);
	/* Modulo 2^64 like the times themselves: a signed sum overflows just past 2^63. */
	pkt->ts_us = ev->ts_us + (uint64_t)(int64_t)it->dpkt;
	pkt->flow_label = it->bits & B_LABEL;
#define X(name, member, type) pkt->member = it->name;
	SW_PACKET_PER_PROBE(X)
#undef X
	ev->pkt = pkt;
}

uint64_t admit_expire(struct admit *a, uint64_t now, uint64_t keep_us)
{
	struct htab_node *n;
	while ((n = htab_oldest(a->tab, 0))) {
		uint64_t due = n->ts + keep_us;
		if (due > now)
			return due;
		htab_count_expired(a->tab);
		htab_remove(a->tab, n);
		a->held--;
	}
	return UINT64_MAX;
}

void admit_clear(struct admit *a)
{
	struct htab_node *n;
	while ((n = htab_oldest(a->tab, 0)))
		htab_remove(a->tab, n);
	a->held = 0;
	memset(a->ghost, 0, (a->ghost_mask + 1) * sizeof *a->ghost);
}

uint64_t admit_ghost_hits(const struct admit *a)
{
	return a->ghost_hits;
}

void admit_get_stats(const struct admit *a, struct htab_stats *out)
{
	htab_get_stats(a->tab, out);
}
