/* campaign.c — correlating detections into campaigns: sources that scan together.
 *
 * The rule. Two detections from different sources are one campaign's when all of these hold:
 *
 *   shape    the same kind, the same tool verdict and the same probe template
 *            (attribute_template: the tell-tale most of their probes showed, e.g. masscan's
 *            window-1024 TTL-255 SYN). A template of nothing (no tell-tale at all) groups
 *            nothing: ordinary packets are no evidence of a common author.
 *   rate     probe rates (probes over the time from first to last probe, at least one second)
 *            within a factor of CAMPAIGN_RATE_RATIO of each other.
 *   time     their spans [first probe, last probe] overlap, or one began at most the rules'
 *            campaign_window after the other's last probe: a campaign can grow after its
 *            members closed, within the window.
 *   targets  they share a target, or targets in one /24 (IPv4) or /64 (IPv6) network: a
 *            block split between sources, or one host's port range split into slices.
 *
 * A distributed_scan (sources splitting one target's ports between them, detect_multisource.c)
 * is a campaign by itself from its OPEN on: its sources' own detections are absorbed into it,
 * so it is the only record of them.
 *
 * A detection joins the campaign of the first remembered detection it relates to (the oldest);
 * two campaigns are never merged, so an id once sent never changes. Only source-grouped scans
 * and sweeps take part besides (floods and decoys speak for forged sources). Scanners that merely
 * hit the same host differ in shape, or in time by more than the window, and stay apart.
 *
 * Where it runs: in the sensor, on each record as it is emitted (OPEN, UPDATE, CLOSE), so live
 * sinks get the id. A detection's OPEN may go out before a partner appears: its next UPDATE or
 * its CLOSE carries the id. A member that had already closed when the campaign formed has its
 * CLOSE sent again carrying the id (the store rewrites its row; a sink sees a second "end"
 * record for that detection).
 *
 * Memory: CAMPAIGN_RECENT remembered detections (240 bytes each, plus a copy of the
 * CLOSE record, 5.5 KiB, while a closed one without a campaign waits out its window) and
 * CAMPAIGN_MAX_OPEN campaigns: at most about 1.5 MiB.
 */
#include "scanwatch/campaign.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/attribute.h"

#define CAMPAIGN_RECENT     256 /* detections remembered for correlation */
#define CAMPAIGN_MAX_OPEN   64  /* campaigns whose members are still remembered */
#define CAMPAIGN_RATE_RATIO 4   /* rates this far apart are different shapes */
#define CAMPAIGN_TARGETS    (DET_SAMPLE_TARGETS + 1)

struct member {
	bool used, closed, announced;
	uint8_t kind;
	int tmpl;
	int camp; /* index into camps, -1: none */
	uint64_t seq, first, last, probes;
	char tool[DET_TOOL_MAX];
	struct sw_addr src;
	struct sw_addr targets[CAMPAIGN_TARGETS];
	unsigned ntargets;
	struct sw_detection *closed_rec; /* its CLOSE, to send again if a campaign forms */
};

struct camp {
	bool used;
	unsigned members;
	char id[DET_CAMPAIGN_MAX];
};

struct campaign {
	uint64_t window;
	struct member m[CAMPAIGN_RECENT];
	/* The remembered members' indices in the order of their first probe (then of index):
	 * the partner search below walks it from the oldest and stops at the first related
	 * member, which is the one a walk of every member keeping the oldest would pick. A
	 * crowd of sources of one shape (a botnet) is related to its oldest remembered member,
	 * so a new one costs one comparison, not CAMPAIGN_RECENT. */
	uint8_t by_first[CAMPAIGN_RECENT];
	unsigned nby_first;
	struct camp camps[CAMPAIGN_MAX_OPEN];
	struct campaign_stats st;
};

struct campaign *campaign_create(uint64_t window_us)
{
	struct campaign *c = calloc(1, sizeof *c);
	if (c)
		c->window = window_us;
	return c;
}

_Static_assert(CAMPAIGN_RECENT <= 256, "by_first holds member indices in bytes");

/* Does member i come before member j in by_first? */
static bool before(const struct campaign *c, unsigned i, unsigned j)
{
	return c->m[i].first < c->m[j].first || (c->m[i].first == c->m[j].first && i < j);
}

static void order_remove(struct campaign *c, unsigned idx)
{
	for (unsigned p = 0; p < c->nby_first; p++)
		if (c->by_first[p] == idx) {
			memmove(&c->by_first[p], &c->by_first[p + 1], c->nby_first - p - 1);
			c->nby_first--;
			return;
		}
}

static void order_insert(struct campaign *c, unsigned idx)
{
	unsigned p = c->nby_first;
	while (p > 0 && before(c, idx, c->by_first[p - 1]))
		p--;
	memmove(&c->by_first[p + 1], &c->by_first[p], c->nby_first - p);
	c->by_first[p] = (uint8_t)idx;
	c->nby_first++;
}

static void forget(struct campaign *c, struct member *m)
{
	if (m->used)
		order_remove(c, (unsigned)(m - c->m));
	if (m->camp >= 0 && --c->camps[m->camp].members == 0)
		c->camps[m->camp].used = false;
	free(m->closed_rec);
	memset(m, 0, sizeof *m);
}

void campaign_destroy(struct campaign *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < CAMPAIGN_RECENT; i++)
		free(c->m[i].closed_rec);
	free(c);
}

void campaign_set_window(struct campaign *c, uint64_t window_us)
{
	c->window = window_us;
}

void campaign_get_stats(const struct campaign *c, struct campaign_stats *out)
{
	*out = c->st;
}

static bool eligible(const struct sw_detection *d)
{
	switch (d->kind) {
	case KIND_RST_FLOOD:
	case KIND_SYN_FLOOD:
	case KIND_UDP_FLOOD:
	case KIND_ICMP_FLOOD:
	case KIND_DECOY_SCAN:
	case KIND_DISTRIBUTED_SCAN:
		return false;
	default:
		return !d->src_any;
	}
}

/* Probes a second, from first to last probe (one second at least). */
static double rate_of(uint64_t probes, uint64_t first, uint64_t last)
{
	uint64_t span = last > first ? last - first : 0;
	if (span < 1000000)
		span = 1000000;
	return (double)probes * 1e6 / (double)span;
}

static bool same_net(const struct sw_addr *a, const struct sw_addr *b)
{
	/* IPv4-mapped: the /24 is bytes 12-14; IPv6: the /64 is bytes 0-7 */
	if (addr_is_v4(a) != addr_is_v4(b))
		return false;
	return addr_is_v4(a) ? memcmp(a->a, b->a, 15) == 0 : memcmp(a->a, b->a, 8) == 0;
}

static bool related(const struct campaign *c, const struct member *x, const struct member *y)
{
	if (addr_eq(&x->src, &y->src) || x->kind != y->kind || x->tmpl < 0 || x->tmpl != y->tmpl ||
	    strcmp(x->tool, y->tool) != 0)
		return false;
	double rx = rate_of(x->probes, x->first, x->last),
	       ry = rate_of(y->probes, y->first, y->last);
	if (rx > ry * CAMPAIGN_RATE_RATIO || ry > rx * CAMPAIGN_RATE_RATIO)
		return false;
	if (x->first > y->last + c->window || y->first > x->last + c->window)
		return false;
	for (unsigned i = 0; i < x->ntargets; i++)
		for (unsigned j = 0; j < y->ntargets; j++)
			if (same_net(&x->targets[i], &y->targets[j]))
				return true;
	return false;
}

/* The remembered entry of seq, or a free one (the least recently active if none is free). */
static struct member *slot_for(struct campaign *c, uint64_t seq, uint64_t now)
{
	struct member *free_m = NULL, *oldest = NULL;
	for (unsigned i = 0; i < CAMPAIGN_RECENT; i++) {
		struct member *m = &c->m[i];
		if (m->used && m->seq == seq)
			return m;
		if (m->used && m->closed && m->last + c->window < now)
			forget(c, m); /* its window is over: nothing can join it any more */
		if (!m->used) {
			if (!free_m)
				free_m = m;
		} else if (!oldest || m->last < oldest->last) {
			oldest = m;
		}
	}
	if (free_m)
		return free_m;
	c->st.forgotten++;
	forget(c, oldest);
	return oldest;
}

static void add_reason(struct sw_detection *d, const struct camp *k, const struct member *m,
                       uint64_t window)
{
	char net[ADDR_TEXT_MAX];
	addr_format(&m->targets[0], net);
	/* kept under DET_REASON_TEXT: the id, the count, the tool and a target say it all */
	detection_reason(d, "campaign", k->members,
	                 "campaign %s: %u sources of one shape (kind, tool %s, template, rate) "
	                 "within %" PRIu64 "s, targets near %s",
	                 k->id, k->members, m->tool, window / 1000000, net);
}

/* Sends x's stored CLOSE again, now carrying its campaign. */
static void reissue(struct campaign *c, struct member *x, campaign_emit_fn emit, void *ctx)
{
	const struct camp *k = &c->camps[x->camp];
	if (!x->closed_rec)
		return;
	snprintf(x->closed_rec->campaign, sizeof x->closed_rec->campaign, "%s", k->id);
	add_reason(x->closed_rec, k, x, c->window);
	emit(ctx, x->closed_rec);
	c->st.reissued++;
	free(x->closed_rec);
	x->closed_rec = NULL;
	x->announced = true;
}

static int new_camp(struct campaign *c, const struct member *founder)
{
	for (int i = 0; i < CAMPAIGN_MAX_OPEN; i++)
		if (!c->camps[i].used) {
			struct camp *k = &c->camps[i];
			memset(k, 0, sizeof *k);
			k->used = true;
			/* packet time and seq: the same capture gives the same ids on every replay
			 */
			snprintf(k->id, sizeof k->id, "c%" PRIu64 "-%" PRIu64,
			         founder->first / 1000000, founder->seq);
			c->st.formed++;
			return i;
		}
	return -1;
}

/* A distributed scan: one detection of several sources, its own campaign (no table entry). */
static void distributed(struct campaign *c, struct sw_detection *rec)
{
	snprintf(rec->campaign, sizeof rec->campaign, "c%" PRIu64 "-%" PRIu64,
	         rec->first_seen / 1000000, rec->seq);
	detection_reason(rec, "campaign", rec->n_sample_sources,
	                 "campaign %s: %u sources splitting the scan of one target between them",
	                 rec->campaign, (unsigned)rec->n_sample_sources);
	if (rec->phase == DET_OPEN)
		c->st.formed++;
}

void campaign_note(struct campaign *c, struct sw_detection *rec, int template,
                   campaign_emit_fn emit, void *ctx)
{
	if (!c)
		return;
	if (rec->kind == KIND_DISTRIBUTED_SCAN) {
		distributed(c, rec);
		return;
	}
	if (!eligible(rec))
		return;
	uint64_t now = rec->last_seen;
	struct member *m = slot_for(c, rec->seq, now);
	bool fresh = !m->used;
	if (fresh) {
		m->used = true;
		m->seq = rec->seq;
		m->camp = -1;
	}
	m->kind = rec->kind;
	m->tmpl = template;
	m->src = rec->src;
	if (fresh || m->first != rec->first_seen) {
		if (!fresh)
			order_remove(c, (unsigned)(m - c->m));
		m->first = rec->first_seen;
		order_insert(c, (unsigned)(m - c->m));
	}
	m->last = rec->last_seen;
	m->probes = rec->probes;
	snprintf(m->tool, sizeof m->tool, "%.*s", (int)sizeof rec->tool - 1, rec->tool);
	m->ntargets = 0;
	if (rec->has_target)
		m->targets[m->ntargets++] = rec->target;
	for (unsigned i = 0; i < rec->n_sample_targets && m->ntargets < CAMPAIGN_TARGETS; i++)
		m->targets[m->ntargets++] = rec->sample_targets[i];

	if (m->camp < 0 && m->ntargets > 0) {
		/* the oldest related detection decides the campaign */
		struct member *partner = NULL;
		for (unsigned p = 0; p < c->nby_first && !partner; p++) {
			struct member *x = &c->m[c->by_first[p]];
			if (x != m && related(c, m, x))
				partner = x;
		}
		if (partner) {
			if (partner->camp < 0) {
				partner->camp = new_camp(c, partner);
				if (partner->camp >= 0) {
					c->camps[partner->camp].members = 1;
					c->st.joined++;
				}
			}
			if (partner->camp >= 0) {
				m->camp = partner->camp;
				c->camps[m->camp].members++;
				c->st.joined++;
				if (partner->closed && !partner->announced)
					reissue(c, partner, emit, ctx);
			}
		}
	}
	if (m->camp >= 0) {
		const struct camp *k = &c->camps[m->camp];
		snprintf(rec->campaign, sizeof rec->campaign, "%s", k->id);
		add_reason(rec, k, m, c->window);
		m->announced = true;
	}
	if (rec->phase == DET_CLOSE) {
		m->closed = true;
		if (m->camp < 0 && !m->closed_rec) {
			/* kept until its window ends, in case a partner turns up */
			m->closed_rec = malloc(sizeof *m->closed_rec);
			if (m->closed_rec) {
				*m->closed_rec = *rec;
				/* its packets went with it; they are the engine's, borrowed */
				m->closed_rec->evidence = NULL;
			}
		}
	}
}
