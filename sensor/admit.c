/* admit.c — the waiting room: one compact record per source until its events could matter. */
#include "scanwatch/admit.h"

#include <stdlib.h>
#include <string.h>

#include "scanwatch/bigmem.h"

/*
 * A packet shape, once for every held record that has it (refs of them). The shapes of a
 * flood's forged sources differ only in their source address, which the record has anyway,
 * so the shape is kept without the packet's addresses when they are the event's (the
 * record's flags say so), and without its source MAC (the record keeps it: hosts of one
 * LAN differ in it): a million sources of one tool then share one shape, and a held source
 * costs about as much as a flow entry. A shape is paid from the records' budget while it is
 * used, so sources of a million different shapes (a flood randomising its windows) are held
 * as well, only fewer of them at once.
 */
struct admit_shape {
	struct htab_node node;
	uint8_t bytes[SW_PACKET_SHAPE_BYTES];
	uint32_t refs;
};

enum { R_SRC_IS_EVENT = 1, R_DST_IS_EVENT = 2 }; /* the shape's addresses are the event's */

struct admit_rec {
	struct htab_node node;
	struct sw_addr src; /* the key */
	struct sw_addr dst;
	uint64_t ts0; /* the first event's time */
	struct admit_shape *shape;
	uint16_t port;
	uint8_t pclass, proto;
	uint8_t n; /* events held: `first`, then n - 1 in the block */
	uint8_t flags;
	uint8_t src_mac[6]; /* the packet's, out of the shape */
	uint32_t more;      /* the later items' block (0: none yet) */
	struct admit_item first;
};
/* In this order nothing is padding: a held source's record is 128 bytes on a 64-bit
 * machine (136 with src_mac last, as it was), less with 32-bit pointers. */
_Static_assert(sizeof(struct admit_rec) <= 128, "struct admit_rec grew");

/* The later events' items, in a block of their own: most held sources send one packet. */
struct admit_more {
	struct admit_item item[ADMIT_LATER];
	uint32_t next_free; /* free list, while unused */
};

/* What a shape costs the budget: the entry and its bucket share. */
#define SHAPE_COST (sizeof(struct admit_shape) + 2 * sizeof(uint32_t))

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
	struct htab *shapes; /* never recycles: records point at their shapes */
	/* the shape referenced last (NULL: none, or it went): a flood's packets share one, so
	 * comparing with it first spares hashing its 172 bytes a packet */
	struct admit_shape *last_shape;
	size_t held; /* records in the table: an empty table costs no lookup */
	/* later items' blocks: 1..more_cap, never-used ones from more_top on */
	struct admit_more *more;
	uint32_t more_cap, more_top, more_free;
	/* bytes: a record costs admit_record_size(), a block sizeof(struct admit_more), a
	 * shape SHAPE_COST */
	uint64_t budget, used;
	uint64_t recycled; /* records recycled to make room within the budget */
	uint32_t *ghost;
	uint64_t ghost_mask;
	bool ghosts_written; /* since the last clear: a clean array is not cleared again */
	uint64_t ghost_hits; /* sources tracked at once because they came back */
};

size_t admit_record_size(void)
{
	/* the bucket array holds one uint32_t per entry, rounded up to a power of two;
	 * the ghosts ADMIT_GHOSTS_PER_RECORD tags, rounded likewise */
	return sizeof(struct admit_rec) + 2 * sizeof(uint32_t) +
	       2 * ADMIT_GHOSTS_PER_RECORD * sizeof(uint32_t);
}

static void make_room(struct admit *a, uint64_t bytes);

static uint32_t more_take(struct admit *a)
{
	uint32_t i = a->more_free;
	if (i)
		a->more_free = a->more[i].next_free;
	else if (a->more_top <= a->more_cap)
		i = a->more_top++;
	if (i)
		a->used += sizeof(struct admit_more);
	return i;
}

static void more_give(struct admit *a, uint32_t i)
{
	a->more[i].next_free = a->more_free;
	a->more_free = i;
	a->used -= sizeof(struct admit_more);
}

/* A record gives its shape back; the last reference removes it. */
static void shape_unref(struct admit *a, struct admit_shape *sh)
{
	if (--sh->refs == 0) {
		if (a->last_shape == sh)
			a->last_shape = NULL;
		htab_remove(a->shapes, sh);
		a->used -= SHAPE_COST;
	}
}

/* The interned shape with these bytes, one more reference to it; NULL only when a new shape's
 * bucket chain is at its cap (keys crafted to collide: the keyed hash makes that chance). */
static struct admit_shape *shape_ref(struct admit *a, const uint8_t bytes[SW_PACKET_SHAPE_BYTES])
{
	struct admit_shape *sh = a->last_shape;
	if (sh && memcmp(sh->bytes, bytes, sizeof sh->bytes) == 0) {
		sh->refs++;
		return sh;
	}
	uint64_t h = htab_hash(a->shapes, bytes);
	sh = htab_find(a->shapes, bytes, h);
	if (!sh) {
		make_room(a, SHAPE_COST);
		sh = htab_try_insert(a->shapes, bytes, h, 0, 0);
		if (!sh)
			return NULL;
		a->used += SHAPE_COST;
	}
	sh->refs++;
	a->last_shape = sh;
	return sh;
}

/* What a record holds besides its slot in the table, given back (the caller removes it). */
static void drop_record(struct admit *a, struct admit_rec *r)
{
	shape_unref(a, r->shape);
	if (r->more)
		more_give(a, r->more);
	a->held--;
	a->used -= admit_record_size();
}

static inline uint32_t ghost_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1; /* 0 is an empty slot */
}

/* A full table recycles its oldest record on insert: remember its source. */
static void on_evict(void *ctx, void *entry)
{
	struct admit *a = ctx;
	struct admit_rec *r = entry;
	a->ghost[r->node.hash & a->ghost_mask] = ghost_tag(r->node.hash);
	a->ghosts_written = true;
	drop_record(a, r);
}

/* Recycles the oldest records (as a full table does) until `bytes` more fit the budget. */
static void make_room(struct admit *a, uint64_t bytes)
{
	struct admit_rec *r;
	while (a->used + bytes > a->budget && (r = htab_oldest(a->tab, 0))) {
		on_evict(a, r);
		htab_remove(a->tab, r);
		a->recycled++;
	}
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
	a->ghost = bigmem_calloc(ghosts, sizeof *a->ghost);
	a->tab = htab_create(sizeof(struct admit_rec), offsetof(struct admit_rec, src),
	                     sizeof(struct sw_addr), max_records, 1, key, on_evict, a);
	/* the budget is max_records one-packet records; a record with later items costs a
	 * block more, so fewer of them fit (make_room) */
	a->budget = (uint64_t)max_records * admit_record_size();
	a->more_cap = (uint32_t)(a->budget / (admit_record_size() + sizeof(struct admit_more)));
	a->more_top = 1;
	a->more = bigmem_calloc((size_t)a->more_cap + 1, sizeof *a->more);
	/* as many shapes as can be in use at once: one per record, each paying for both */
	size_t max_shapes = a->budget / (admit_record_size() + SHAPE_COST) + 1;
	/* records point at their shapes: a shape is never recycled (htab_try_insert) */
	a->shapes = htab_create(sizeof(struct admit_shape), offsetof(struct admit_shape, bytes),
	                        SW_PACKET_SHAPE_BYTES, max_shapes, 1, key, NULL, NULL);
	if (!a->tab || !a->shapes || !a->ghost || !a->more) {
		htab_destroy(a->tab);
		htab_destroy(a->shapes);
		free(a->more);
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
	htab_destroy(a->shapes);
	free(a->more);
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
 * zeroed, its source MAC out (into mac) and its addresses out where they are the event's
 * (*flags says which); false when it carries a quote (an ICMP error is no probe to hold). */
static bool shape_of(const struct sw_event *ev, uint8_t shape[SW_PACKET_SHAPE_BYTES],
                     uint8_t *flags, uint8_t mac[6])
{
	const struct sw_packet *in = ev->pkt;
	if (in->flags & PKT_F_QUOTED)
		return false;
	struct sw_packet p;
	memcpy(&p, in, SW_PACKET_SHAPE_BYTES);
	p.ts_us = 0;
	p.flow_label = 0;
	memcpy(mac, p.src_mac, 6);
	memset(p.src_mac, 0, sizeof p.src_mac);
	*flags = 0;
	if (addr_eq(&p.src, &ev->src)) {
		memset(&p.src, 0, sizeof p.src);
		*flags |= R_SRC_IS_EVENT;
	}
	if (addr_eq(&p.dst, &ev->dst)) {
		memset(&p.dst, 0, sizeof p.dst);
		*flags |= R_DST_IS_EVENT;
	}
#define X(name, member, type) p.member = 0;
	SW_PACKET_PER_PROBE(X)
#undef X
	memcpy(shape, &p, SW_PACKET_SHAPE_BYTES);
	return true;
}

/* Same service: the fields every detector keys on. */
static bool same_service(const struct admit_rec *r, const struct sw_event *ev)
{
	return r->pclass == ev->pclass && r->proto == ev->proto && r->port == ev->port &&
	       addr_eq(&r->dst, &ev->dst);
}

/* The record, as a released one for replay: the shape with its addresses back. */
static void release_into(const struct admit *a, const struct admit_rec *r, struct admit_held *out)
{
	out->src = r->src;
	out->dst = r->dst;
	out->ts0 = r->ts0;
	out->port = r->port;
	out->pclass = r->pclass;
	out->proto = r->proto;
	out->n = r->n;
	memcpy(out->shape, r->shape->bytes, sizeof out->shape);
	if (r->flags & R_SRC_IS_EVENT)
		memcpy(out->shape + offsetof(struct sw_packet, src), &r->src, sizeof r->src);
	if (r->flags & R_DST_IS_EVENT)
		memcpy(out->shape + offsetof(struct sw_packet, dst), &r->dst, sizeof r->dst);
	memcpy(out->shape + offsetof(struct sw_packet, src_mac), r->src_mac, sizeof r->src_mac);
	out->item[0] = r->first;
	if (r->n > 1)
		memcpy(out->item + 1, a->more[r->more].item, (r->n - 1) * sizeof out->item[0]);
}

enum admit_verdict admit_offer(struct admit *a, const struct sw_event *ev, uint64_t h,
                               struct admit_held *out)
{
	if (a->held == 0)
		return ADMIT_NONE;
	struct admit_rec *r = htab_find(a->tab, &ev->src, h);
	if (!r)
		return ADMIT_NONE;
	bool hold = r->n < 1 + ADMIT_LATER && same_service(r, ev);
	if (hold && ev->type == EV_PROBE) {
		/* one shape: the packet equals the first once the per-probe fields are out */
		uint8_t shape[SW_PACKET_SHAPE_BYTES], flags, mac[6];
		hold = ev->pkt && shape_of(ev, shape, &flags, mac) && flags == r->flags &&
		       memcmp(mac, r->src_mac, sizeof mac) == 0 &&
		       memcmp(shape, r->shape->bytes, sizeof shape) == 0;
	} else if (hold) {
		hold = ev->pkt == NULL; /* a reply is a conversation: the rules must see it */
	}
	struct admit_item it;
	if (hold && take_item(&it, ev, r->ts0)) {
		/* the newest now: making room for its block recycles others first */
		htab_touch(a->tab, r, 0, ev->ts_us);
		if (!r->more) {
			make_room(a, sizeof(struct admit_more));
			r->more = more_take(a);
		}
		if (r->more) {
			a->more[r->more].item[r->n - 1] = it;
			r->n++;
			return ADMIT_HELD;
		}
	}
	release_into(a, r, out);
	drop_record(a, r);
	htab_remove(a->tab, r);
	return ADMIT_RELEASED;
}

bool admit_hold(struct admit *a, const struct sw_event *ev, uint64_t h)
{
	uint8_t shape[SW_PACKET_SHAPE_BYTES], flags, mac[6];
	struct admit_item first;
	if (ev->type != EV_PROBE || !ev->pkt)
		return false;
	uint32_t *ghost = &a->ghost[h & a->ghost_mask];
	if (*ghost == ghost_tag(h)) {
		/* it was held, recycled, and is back: not a one-packet source */
		*ghost = 0;
		a->ghost_hits++;
		return false;
	}
	if (!shape_of(ev, shape, &flags, mac) || !take_item(&first, ev, ev->ts_us))
		return false;
	struct admit_shape *sh = shape_ref(a, shape);
	if (!sh)
		return false; /* its chain is at the cap: the rules take this one */
	/* the insert may recycle the oldest record, and with it a reference to a shape: sh's
	 * reference is taken first, so it cannot be sh that goes */
	make_room(a, admit_record_size());
	struct admit_rec *r = htab_insert(a->tab, &ev->src, h, 0, ev->ts_us);
	a->held++;
	a->used += admit_record_size();
	r->dst = ev->dst;
	r->ts0 = ev->ts_us;
	r->shape = sh;
	r->port = ev->port;
	r->pclass = ev->pclass;
	r->proto = ev->proto;
	r->flags = flags;
	r->first = first;
	memcpy(r->src_mac, mac, sizeof r->src_mac);
	r->more = 0;
	r->n = 1;
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
		drop_record(a, (struct admit_rec *)n);
		htab_remove(a->tab, n);
	}
	return UINT64_MAX;
}

void admit_clear(struct admit *a)
{
	struct htab_node *n;
	while ((n = htab_oldest(a->tab, 0))) {
		drop_record(a, (struct admit_rec *)n);
		htab_remove(a->tab, n);
	}
	/* the array is megabytes, calloc'd untouched: clearing a clean one (every engine clears
	 * on creation) would make it all resident for nothing */
	if (a->ghosts_written)
		memset(a->ghost, 0, (a->ghost_mask + 1) * sizeof *a->ghost);
	a->ghosts_written = false;
}

uint64_t admit_ghost_hits(const struct admit *a)
{
	return a->ghost_hits;
}

void admit_get_stats(const struct admit *a, struct htab_stats *out)
{
	htab_get_stats(a->tab, out);
	out->evict_full += a->recycled;
}
