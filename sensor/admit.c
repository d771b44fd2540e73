/* admit.c — the waiting room: one compact record per source until its events could matter. */
#include "scanwatch/admit.h"

#include <stdlib.h>
#include <string.h>

struct admit_rec {
	struct htab_node node;
	struct sw_addr src; /* the key */
	struct admit_held h;
};

struct admit {
	struct htab *tab;
};

size_t admit_record_size(void)
{
	/* the bucket array holds one uint32_t per entry, rounded up to a power of two */
	return sizeof(struct admit_rec) + 2 * sizeof(uint32_t);
}

struct admit *admit_create(size_t max_records, const uint8_t key[16])
{
	struct admit *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (max_records < 16)
		max_records = 16;
	a->tab = htab_create(sizeof(struct admit_rec), offsetof(struct admit_rec, src),
	                     sizeof(struct sw_addr), max_records, 1, key, NULL, NULL);
	if (!a->tab) {
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
	free(a);
}

/* The fields that differ between probes of one shape, taken out of the packet: what is
 * left is compared as the shape, and put back on replay. */
static void take_item(struct admit_item *it, const struct sw_event *ev)
{
	memset(it, 0, sizeof *it);
	it->ts_us = ev->ts_us;
	it->type = ev->type;
	it->outcome = ev->outcome;
	it->crafted = ev->crafted ? 1 : 0;
	it->repeat = ev->repeat ? 1 : 0;
	const struct sw_packet *p = ev->pkt;
	if (!p)
		return;
	it->has_pkt = 1;
	it->pkt_ts_us = p->ts_us;
	it->tcp_seq = p->tcp_seq;
	it->tcp_ack = p->tcp_ack;
	it->ts_val = p->tcp_opts.ts_val;
	it->flow_label = p->flow_label;
	it->sport = p->sport;
	it->ip_id = p->ip_id;
	it->ttl = p->ttl;
}

static void normalise(struct sw_packet *p)
{
	p->ts_us = 0;
	p->tcp_seq = p->tcp_ack = 0;
	p->tcp_opts.ts_val = 0;
	p->flow_label = 0;
	p->sport = 0;
	p->ip_id = 0;
	p->ttl = 0;
	p->frag_data = NULL; /* points into the capture buffer; no detector reads it */
}

static void restore(struct sw_packet *p, const struct admit_item *it)
{
	p->ts_us = it->pkt_ts_us;
	p->tcp_seq = it->tcp_seq;
	p->tcp_ack = it->tcp_ack;
	p->tcp_opts.ts_val = it->ts_val;
	p->flow_label = it->flow_label;
	p->sport = it->sport;
	p->ip_id = it->ip_id;
	p->ttl = it->ttl;
}

/* Same service: the fields every detector keys on. */
static bool same_service(const struct sw_event *a, const struct sw_event *b)
{
	return a->pclass == b->pclass && a->proto == b->proto && a->port == b->port &&
	       addr_eq(&a->dst, &b->dst);
}

enum admit_verdict admit_offer(struct admit *a, const struct sw_event *ev, uint64_t h,
                               struct admit_held *out)
{
	struct htab_stats st;
	htab_get_stats(a->tab, &st);
	if (st.used == 0)
		return ADMIT_NONE;
	struct admit_rec *r = htab_find(a->tab, &ev->src, h);
	if (!r)
		return ADMIT_NONE;
	bool hold = r->h.n < 1 + ADMIT_LATER && same_service(&r->h.first, ev);
	if (hold && ev->type == EV_PROBE) {
		/* one shape: the packet equals the first once the per-probe fields are out */
		struct sw_packet p = *ev->pkt;
		normalise(&p);
		hold = memcmp(&p, &r->h.pkt, sizeof p) == 0;
	} else if (hold) {
		hold = ev->pkt == NULL; /* a reply is a conversation: the rules must see it */
	}
	if (hold) {
		take_item(&r->h.item[r->h.n++], ev);
		htab_touch(a->tab, r, 0, ev->ts_us);
		return ADMIT_HELD;
	}
	*out = r->h;
	htab_remove(a->tab, r);
	return ADMIT_RELEASED;
}

bool admit_hold(struct admit *a, const struct sw_event *ev, uint64_t h)
{
	if (ev->type != EV_PROBE || !ev->pkt)
		return false;
	struct admit_rec *r = htab_insert(a->tab, &ev->src, h, 0, ev->ts_us);
	r->h.first = *ev;
	r->h.first.pkt = NULL;
	r->h.pkt = *ev->pkt;
	normalise(&r->h.pkt);
	take_item(&r->h.item[0], ev);
	r->h.n = 1;
	return true;
}

size_t admit_count(const struct admit_held *hd)
{
	return hd->n;
}

void admit_replay(const struct admit_held *hd, size_t i, struct sw_event *ev, struct sw_packet *pkt)
{
	const struct admit_item *it = &hd->item[i];
	*ev = hd->first;
	ev->ts_us = it->ts_us;
	ev->type = it->type;
	ev->outcome = it->outcome;
	ev->crafted = it->crafted;
	ev->repeat = it->repeat;
	ev->pkt = NULL;
	if (it->has_pkt) {
		*pkt = hd->pkt;
		restore(pkt, it);
		ev->pkt = pkt;
	}
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
	}
	return UINT64_MAX;
}

void admit_clear(struct admit *a)
{
	struct htab_node *n;
	while ((n = htab_oldest(a->tab, 0)))
		htab_remove(a->tab, n);
}

void admit_get_stats(const struct admit *a, struct htab_stats *out)
{
	htab_get_stats(a->tab, out);
}
