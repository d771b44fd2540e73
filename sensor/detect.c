/* detect.c — the detector registry and the engine: events to rules, detection lifecycles. */
#include "scanwatch/detect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/admit.h"
#include "scanwatch/attribute.h"
#include "scanwatch/campaign.h"
#include "scanwatch/defaults.h"
#include "scanwatch/evidence.h"
#include "scanwatch/exposure.h"
#include "scanwatch/strbuf.h"
#include "scanwatch/track.h"

/* The registry: a new detector is one file plus one line here. */
#define DETECTORS(X)          \
	X(detect_halfopen)    \
	X(detect_connect)     \
	X(detect_icmp_sweep)  \
	X(detect_rst_flood)   \
	X(detect_syn_flood)   \
	X(detect_stealth)     \
	X(detect_udp)         \
	X(detect_ipproto)     \
	X(detect_sctp)        \
	X(detect_arp)         \
	X(detect_multisource) \
	X(detect_osfp)        \
	X(detect_trw)         \
	X(detect_udp_sweep)   \
	X(detect_udp_flood)   \
	X(detect_icmp_flood)

#define X(sym) extern const struct detector sym;
DETECTORS(X)
#undef X

static const struct detector *const registry[] = {
#define X(sym) &sym,
    DETECTORS(X)
#undef X
};

const struct detector *detect_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

enum sw_kind detect_syn_kind(const struct track_entry *e)
{
	/* masscan and zmap are port scanners even when asked for one port: their
	 * single-port runs across a network are SYN scans, not host discovery */
	if (e->multi_target && track_distinct_ports(e) <= 2 && track_distinct_targets(e) >= 3 &&
	    !attribute_port_scanner(e))
		return KIND_TCP_SWEEP;
	return KIND_SYN_SCAN;
}

enum sw_kind detect_udp_kind(const struct track_entry *e)
{
	if (e->multi_target && track_distinct_ports(e) <= 2 && track_distinct_targets(e) >= 3)
		return KIND_UDP_SWEEP;
	return KIND_UDP_SCAN;
}

bool detect_counts_packets(const struct sw_rule *r)
{
	(void)r;
	return true;
}

const struct detector *detect_at(size_t i)
{
	return i < sizeof registry / sizeof registry[0] ? registry[i] : NULL;
}

/*
 * Each rule has two LRU lists in the tracking table, in last-probe order:
 * entries still counting (kept for the longer of window and idle) and open
 * detections (closed after idle). Two lists keep each list's head the first
 * one due. The table allows 255 lists.
 */
#define DETECT_MAX_RULES 127

static inline unsigned list_of(const struct sw_rule *r, const struct track_entry *e)
{
	return r->index * 2 + (e && e->det_seq ? 1 : 0);
}

struct detect_engine {
	const struct sw_ruleset *rs;
	struct htab *tab;
	size_t max_entries;
	uint8_t key[16];
	detect_emit_fn emit;
	void *ctx;
	uint16_t by_class[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nby_class[PC__COUNT];
	/* the same less the rules whose detectors never look at outcomes: what run_rules walks
	 * for an outcome event (a probe walks by_class) */
	uint16_t by_outcome[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nby_outcome[PC__COUNT];
	bool src_rules[PC__COUNT];     /* the class has source-grouped rules */
	uint16_t first_src[PC__COUNT]; /* and the first of them */
	/* Sources held back from per-rule state (admit.h), allocated once with the
	 * table's budget; holding is off when a rule of the set could cross on one
	 * service's events. */
	struct admit *admit;
	bool holding;
	uint64_t admit_keep;    /* the longest a source-grouped rule keeps an entry */
	uint64_t evictions;     /* entries recycled so far: a pointer held across inserts
	                         * is good only while this stays the same */
	struct admit_held held; /* a released record, during its replay */
	uint64_t seq;
	uint64_t now;
	uint64_t next_due; /* nothing can close or expire before this (packet time) */
	struct detect_stats st;
	struct track_budget exact;  /* side sets for exact distinct counts (track.h) */
	struct exposure *expo;      /* what each entry's scanner learned (exposure.h) */
	struct campaign *camp;      /* sources scanning together (campaign.h) */
	struct evidence *evid;      /* evidence packets (NULL: none kept), borrowed */
	struct evidence_pack *pack; /* the packets that go with rec */
	struct sw_detection rec;
};

size_t detect_entry_size(void)
{
	return sizeof(struct track_entry);
}

static void fill_record(struct detect_engine *d, const struct sw_rule *r,
                        const struct track_entry *e, enum det_phase phase, uint64_t closed_at);
static void revise_kind(const struct sw_rule *r, struct track_entry *e);

/* How long an entry with nothing open is kept after its last probe. */
static inline uint64_t rule_keep(const struct sw_rule *r)
{
	return r->window_us > r->idle_us ? r->window_us : r->idle_us;
}

/* Evidence hooks (evidence.h): each a no-op when no evidence is kept. */
static inline void ev_note(struct detect_engine *d, struct track_entry *e,
                           const struct sw_event *ev)
{
	if (d->evid)
		evidence_note_event(d->evid, &e->ev_ring, ev);
}

/* Gives d->rec the entry's packets not sent before. */
static inline void ev_attach(struct detect_engine *d, struct track_entry *e)
{
	if (d->evid && evidence_take(d->evid, e->ev_ring, d->pack))
		d->rec.evidence = d->pack;
}

static inline void ev_release(struct detect_engine *d, struct track_entry *e)
{
	if (d->evid)
		evidence_release(d->evid, &e->ev_ring);
}

/* Gives back an entry's side state: exact-count sets, evidence packets and its exposure. */
static void release_side(struct detect_engine *d, struct track_entry *e)
{
	track_release(e, &d->exact);
	ev_release(d, e);
	if (e->exposed)
		exposure_drop(d->expo, e, &e->exposed);
}

/* Hands d->rec (filled from e) to the sinks, with its campaign when it has one and the
 * entry's evidence packets not sent before. */
static void emit_record(struct detect_engine *d, struct track_entry *e)
{
	if (d->rec.phase != DET_UPDATE) /* OPEN: the opening packets; CLOSE: the rest */
		ev_attach(d, e);
	campaign_note(d->camp, &d->rec, attribute_template(e), d->emit, d->ctx);
	d->emit(d->ctx, &d->rec);
}

static void entry_evicted(void *ctx, void *entry)
{
	struct detect_engine *d = ctx;
	struct track_entry *e = entry;
	d->evictions++;
	if (!e->det_seq || !d->rs || e->key.rule >= d->rs->nrules) {
		release_side(d, e);
		return;
	}
	/* Memory pressure pushed out a live detection: close it now rather than lose it. */
	d->st.evicted_open++;
	d->st.closed++;
	revise_kind(&d->rs->rules[e->key.rule], e);
	fill_record(d, &d->rs->rules[e->key.rule], e, DET_CLOSE, d->now);
	detection_reason(&d->rec, "closed_early", 0, "closed early: tracking table full");
	emit_record(d, e);
	e->det_seq = 0;
	release_side(d, e);
}

/* Removes an entry from the table, giving its side sets back first. */
static void remove_entry(struct detect_engine *d, struct track_entry *e)
{
	release_side(d, e);
	htab_remove(d->tab, e);
}

/* Gives back every side set of a table that is about to be destroyed. */
static void release_all(struct detect_engine *d, struct htab *tab)
{
	struct track_entry *e;
	uint32_t cur = 0;
	while ((e = htab_next(tab, &cur)))
		release_side(d, e);
}

static int build(struct detect_engine *d, const struct sw_ruleset *rs)
{
	if (rs->nrules > DETECT_MAX_RULES)
		return -1;
	unsigned nlists = rs->nrules ? 2 * (unsigned)rs->nrules : 2;
	struct htab *tab =
	    htab_create(sizeof(struct track_entry), offsetof(struct track_entry, key),
	                sizeof(struct track_key), d->max_entries, nlists, d->key, entry_evicted, d);
	if (!tab)
		return -1;
	memset(d->nby_class, 0, sizeof d->nby_class);
	memset(d->nby_outcome, 0, sizeof d->nby_outcome);
	memset(d->src_rules, 0, sizeof d->src_rules);
	bool can_hold = true;
	uint64_t keep_max = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct sw_rule *r = &rs->rules[i];
		if (!r->enabled || !r->detector)
			continue;
		for (unsigned c = 0; c < PC__COUNT; c++)
			if (r->detector->classes & (1u << c)) {
				d->by_class[c][d->nby_class[c]++] = (uint16_t)i;
				if (r->detector->outcomes)
					d->by_outcome[c][d->nby_outcome[c]++] = (uint16_t)i;
				if (r->group_by != GROUP_DST && !d->src_rules[c]) {
					d->src_rules[c] = true;
					d->first_src[c] = (uint16_t)i;
				}
			}
		if (r->group_by == GROUP_DST)
			continue;
		/* holding a source back is exact only if no rule could open on what is held */
		if (r->detector->one_service ? r->detector->one_service(r) : r->threshold <= 1)
			can_hold = false;
		if (rule_keep(r) > keep_max)
			keep_max = rule_keep(r);
	}
	admit_clear(d->admit);
	d->holding = can_hold;
	d->admit_keep = keep_max;
	d->tab = tab;
	d->rs = rs;
	return 0;
}

struct detect_engine *detect_create(const struct sw_ruleset *rs, size_t max_entries,
                                    const uint8_t key[16], detect_emit_fn emit, void *ctx)
{
	struct detect_engine *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	memcpy(d->key, key, 16);
	/* Half the budget holds sources back (admit.h). Under a flood of forged
	 * addresses nearly every source is one to hold, and a held source costs under
	 * half a tracking entry; the other half still tracks as many sources as there
	 * are scanners on any network. */
	size_t held = max_entries / 2 * sizeof(struct track_entry) / admit_record_size();
	d->max_entries = max_entries - max_entries / 2;
	/* An eighth of the tracking half pays for exact distinct counts (track.h): a
	 * port set is 8 KiB, a host 8 bytes, so the default cap counts exactly some
	 * thousand open port scans or millions of swept hosts at once. */
	d->exact.limit = d->max_entries / DETECT_EXACT_SHARE * sizeof(struct track_entry);
	d->max_entries -= d->max_entries / DETECT_EXACT_SHARE;
	/* A quarter of that pays for exposure sets (exposure.h): at most 1.5 KiB per
	 * answered entry, so the default cap lists what thousands of scanners learned. */
	size_t expo_limit = d->exact.limit / 4;
	d->exact.limit -= expo_limit;
	d->emit = emit;
	d->ctx = ctx;
	d->admit = admit_create(held, key);
	d->expo = exposure_create(expo_limit);
	d->camp = campaign_create(rs->campaign_window_us);
	if (!d->admit || !d->expo || !d->camp || build(d, rs) < 0) {
		admit_destroy(d->admit);
		exposure_destroy(d->expo);
		campaign_destroy(d->camp);
		free(d);
		return NULL;
	}
	return d;
}

void detect_destroy(struct detect_engine *d)
{
	if (!d)
		return;
	release_all(d, d->tab);
	htab_destroy(d->tab);
	admit_destroy(d->admit);
	free(d->pack);
	exposure_destroy(d->expo);
	campaign_destroy(d->camp);
	free(d);
}

int detect_set_evidence(struct detect_engine *d, struct evidence *ev)
{
	if (!d->pack && !(d->pack = evidence_pack_new(EVIDENCE_MAX)))
		return -1;
	d->evid = ev;
	return 0;
}

void detect_get_stats(const struct detect_engine *d, struct detect_stats *out)
{
	*out = d->st;
	htab_get_stats(d->tab, &out->entries);
	admit_get_stats(d->admit, &out->held);
	out->returned = admit_ghost_hits(d->admit);
	out->exact_sets = d->exact.sets;
	out->exact_bytes = d->exact.used;
	out->exact_limit = d->exact.limit;
	out->exact_denied = d->exact.denied;
	struct exposure_stats xs;
	exposure_get_stats(d->expo, &xs);
	out->expo_sets = xs.sets;
	out->expo_bytes = xs.used;
	out->expo_limit = xs.limit;
	out->expo_denied = xs.denied;
	out->entries.evict_full += out->held.evict_full;
	out->entries.evict_chain += out->held.evict_chain;
	out->entries.expired += out->held.expired;
}

static inline void make_key(struct track_key *k, const struct sw_rule *r, const struct sw_addr *src,
                            const struct sw_addr *dst)
{
	static const struct sw_addr none;
	k->rule = r->index;
	k->zero = 0;
	switch (r->group_by) {
	case GROUP_SRC:
		k->a = *src;
		k->b = none;
		break;
	case GROUP_DST:
		k->a = *dst;
		k->b = none;
		break;
	case GROUP_SRC_DST:
	default:
		k->a = *src;
		k->b = *dst;
		break;
	}
}

static const char *orientation(const struct track_entry *e, uint64_t targets, uint64_t ports)
{
	(void)e;
	if (targets <= 1)
		return ports > 1 ? "vertical" : "single target";
	if (ports <= 2)
		return "horizontal";
	return "block (many ports on many hosts)";
}

/* The exposure as reasons: what was revealed, and what the list could not hold. */
static void describe_exposure(struct sw_detection *rec, uint8_t mark)
{
	const struct det_exposure *x = &rec->exposure;
	unsigned services, hosts;
	if (mark == EXPOSURE_DENIED)
		detection_reason(rec, "exposure_unrecorded", 0,
		                 "answers to the scanner not recorded: exposure memory spent");
	if (x->n == 0)
		return;
	detection_exposure_counts(x, &services, &hosts);
	detection_reason(rec, "exposed", x->n,
	                 "revealed %u open service(s) and %u live host(s) in %" PRIu64 " answer(s)",
	                 services, hosts, x->answers);
	if (x->unlisted)
		detection_reason(rec, "exposure_unlisted", x->unlisted,
		                 "%" PRIu64 " answer(s) about services or hosts past the first %u",
		                 x->unlisted, (unsigned)DET_EXPOSURE_MAX);
}

static void fill_record(struct detect_engine *d, const struct sw_rule *r,
                        const struct track_entry *e, enum det_phase phase, uint64_t closed_at)
{
	struct sw_detection *rec = &d->rec;
	memset(rec, 0, sizeof *rec);
	rec->seq = e->det_seq;
	rec->phase = (uint8_t)phase;
	rec->kind = e->kind;
	rec->severity = (uint8_t)r->severity;
	rec->proto = e->mixed_proto ? 0 : e->proto;
	struct strbuf sb;
	strbuf_init(&sb, rec->rule_id, sizeof rec->rule_id);
	strbuf_puts(&sb, r->id);
	strbuf_init(&sb, rec->rule_name, sizeof rec->rule_name);
	strbuf_puts(&sb, r->name);
	rec->n_tags = 0;
	for (size_t i = 0; i < r->ntags; i++)
		detection_add_tag(rec, r->tags[i], strlen(r->tags[i]));
	switch (r->group_by) {
	case GROUP_SRC:
		rec->src = e->key.a;
		rec->has_target = !e->multi_target;
		rec->target = e->target;
		break;
	case GROUP_DST:
		rec->target = e->key.a;
		rec->has_target = 1;
		if (e->n_sources == 1)
			rec->src = e->sample_sources[0];
		else
			rec->src_any = 1;
		break;
	case GROUP_SRC_DST:
		rec->src = e->key.a;
		rec->target = e->key.b;
		rec->has_target = 1;
		break;
	}
	rec->distinct_targets = r->group_by == GROUP_DST ? 1 : track_distinct_targets(e);
	rec->first_seen = e->first_ts;
	rec->opened_at = e->opened_at;
	rec->last_seen = e->last_ts;
	rec->closed_at = closed_at;
	rec->probes = e->probes;
	rec->probes_at_open = e->probes_at_open;
	rec->distinct_ports = track_distinct_ports(e);
	rec->n_sample_ports = e->n_ports;
	/* at most TRACK_SAMPLE_PORTS: an insertion sort */
	for (unsigned i = 0; i < e->n_ports; i++) {
		uint16_t v = e->sample_ports[i];
		unsigned j = i;
		for (; j > 0 && rec->sample_ports[j - 1] > v; j--)
			rec->sample_ports[j] = rec->sample_ports[j - 1];
		rec->sample_ports[j] = v;
	}
	rec->n_sample_targets = e->n_targets;
	memcpy(rec->sample_targets, e->sample_targets, e->n_targets * sizeof(struct sw_addr));
	rec->n_sample_sources = e->n_sources;
	memcpy(rec->sample_sources, e->sample_sources, e->n_sources * sizeof(struct sw_addr));

	rec->n_reasons = 0;
	if (r->group_by == GROUP_DST)
		detection_reason(rec, "shape", e->probes,
		                 "%" PRIu64 " probes to %" PRIu64 " port(s) from %" PRIu64
		                 " source(s)",
		                 e->probes, rec->distinct_ports, track_distinct_sources(e));
	else
		detection_reason(rec, "shape", e->probes,
		                 "%s: %" PRIu64 " probes to %" PRIu64 " port(s) on %" PRIu64
		                 " host(s)",
		                 orientation(e, rec->distinct_targets, rec->distinct_ports),
		                 e->probes, rec->distinct_ports, rec->distinct_targets);
	if (e->inexact)
		detection_reason(
		    rec, "estimated", 0,
		    "distinct counts estimated: the memory for exact counts was spent");
	static const char *const oname[OUT__COUNT][2] = {
	    [OUT_SUCCESS] = {"answered", "answered"},
	    [OUT_EMPTY] = {"opened_unused", "opened-and-closed unused"},
	    [OUT_HALFOPEN] = {"half_open", "half-open"},
	    [OUT_REFUSED] = {"refused", "refused"},
	    [OUT_UNREACH] = {"unreachable", "unreachable"},
	    [OUT_TIMEOUT] = {"unanswered", "unanswered"},
	    [OUT_USED] = {"resolved_used", "resolved then used"},
	};
	/* OUT_ESTABLISHED has no reason of its own: every completed handshake also ends as
	 * answered or opened-and-closed unused, which say it. */
	for (unsigned o = 1; o < OUT__COUNT; o++)
		if (e->outcomes[o] && o != OUT_ESTABLISHED)
			detection_reason(rec, oname[o][0], e->outcomes[o], "%s %" PRIu32,
			                 oname[o][1], e->outcomes[o]);
	if (e->crafted)
		detection_reason(rec, "hand_built", e->crafted, "%" PRIu32 " hand-built probe(s)",
		                 e->crafted);
	if (e->opened_kind != e->kind)
		detection_reason(rec, "opened_as", 0, "opened as %s",
		                 detection_kind_name((enum sw_kind)e->opened_kind));
	if (r->detector->describe)
		r->detector->describe(r, e, rec);
	attribute_verdict(e, rec->tool, sizeof rec->tool, rec);
	exposure_fill(d->expo, e, e->exposed, &rec->exposure);
	describe_exposure(rec, e->exposed);
}

/*
 * One SipHash per group key and event, not per rule: each rule's bucket hash
 * is derived from the keyed base hash by a fixed mix with the rule index, so
 * the table stays keyed (nobody can aim at a bucket without the base key).
 */
static inline uint64_t rule_hash(uint64_t base, uint32_t rule)
{
	uint64_t h = base ^ ((uint64_t)(rule + 1) * 0x9e3779b97f4a7c15ULL);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t base_hash(struct detect_engine *d, enum rule_group g, const struct sw_event *ev)
{
	struct sw_addr two[2];
	switch (g) {
	case GROUP_SRC:
		return hash_siphash13(d->key, &ev->src, sizeof ev->src);
	case GROUP_DST:
		return hash_siphash13(d->key, &ev->dst, sizeof ev->dst);
	case GROUP_SRC_DST:
	default:
		two[0] = ev->src;
		two[1] = ev->dst;
		return hash_siphash13(d->key, two, sizeof two);
	}
}

/* When the next entry could be due for closing or expiry: lets detect_advance do
 * nothing on most packets. Lowered on every touch; recomputed when reached. */
static inline void lower_due(struct detect_engine *d, uint64_t due)
{
	if (due < d->next_due)
		d->next_due = due;
}

static inline void note_due(struct detect_engine *d, const struct sw_rule *r,
                            const struct track_entry *e)
{
	lower_due(d, e->node.ts + (e->det_seq ? r->idle_us : rule_keep(r)));
}

/* The base hash of a tracking key, as base_hash computes it from an event. */
static uint64_t key_base(struct detect_engine *d, const struct track_key *k)
{
	static const struct sw_addr zero;
	if (memcmp(&k->b, &zero, sizeof zero) == 0)
		return hash_siphash13(d->key, &k->a, sizeof k->a);
	return hash_siphash13(d->key, &k->a, 2 * sizeof k->a);
}

/* Is src itself reported right now by a source-grouped rule? */
static bool source_reported(struct detect_engine *d, const struct sw_addr *src)
{
	uint64_t base = hash_siphash13(d->key, src, sizeof *src);
	for (size_t i = 0; i < d->rs->nrules; i++) {
		const struct sw_rule *o = &d->rs->rules[i];
		if (!o->enabled || o->group_by != GROUP_SRC)
			continue;
		struct track_key k = {.rule = o->index, .a = *src};
		struct track_entry *x = htab_find(d->tab, &k, rule_hash(base, o->index));
		if (x && x->det_seq)
			return true;
	}
	return false;
}

/* Another rule already reports this scan (same group key and kind): one scan, one record. */
static bool already_reported(struct detect_engine *d, const struct sw_rule *r,
                             const struct track_entry *e, uint8_t kind)
{
	for (size_t i = 0; i < d->rs->nrules; i++) {
		const struct sw_rule *o = &d->rs->rules[i];
		if (o == r || !o->enabled || o->group_by != r->group_by)
			continue;
		struct track_key k = e->key;
		k.rule = o->index;
		struct track_entry *x = htab_find(d->tab, &k, rule_hash(key_base(d, &k), o->index));
		if (x && x->det_seq && x->kind == kind)
			return true;
	}
	return false;
}

/*
 * A source-grouped scan of one target whose source is part of an open decoy or
 * distributed detection of that target is already reported there, as long as
 * the source is one of a crowd that works together: a detection with more
 * sources than a decoy list holds (a spoofed flood's millions) speaks for
 * nobody in particular, and a source that sent far more than its share of the
 * probes stands out on its own (a real scanner under a flood of forged
 * one-packet sources) and is reported under its own address.
 */
static bool absorbed(struct detect_engine *d, const struct sw_rule *r, const struct track_entry *e)
{
	if (r->group_by != GROUP_SRC || e->multi_target)
		return false;
	for (size_t i = 0; i < d->rs->nrules; i++) {
		const struct sw_rule *o = &d->rs->rules[i];
		if (!o->enabled || !o->detector->absorbs || o->group_by != GROUP_DST)
			continue;
		struct track_key k = {.rule = o->index, .a = e->target};
		struct track_entry *x = htab_find(d->tab, &k, rule_hash(key_base(d, &k), o->index));
		if (!x || !x->det_seq || !track_has_source(x, &e->key.a))
			continue;
		uint64_t sources = track_distinct_sources(x);
		if (sources == 0 || sources > DETECT_CROWD_MAX)
			continue;
		if (e->probes > 2 * (x->probes / sources) + 2)
			continue; /* it stands out: more than twice its share */
		return true;
	}
	return false;
}

static bool suppressed(const struct sw_ruleset *rs, const struct sw_rule *r,
                       const struct track_entry *e)
{
	if (r->group_by == GROUP_DST)
		return false; /* the sources of a flood are many (and forged) */
	const struct sw_addr *src = &e->key.a;
	return addr_cidr_list_contains(rs->allow, rs->nallow, src) ||
	       addr_cidr_list_contains(r->suppress, r->nsuppress, src);
}

static void try_open(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                     uint64_t ts)
{
	if (suppressed(d->rs, r, e)) {
		e->shadowed = 1;
		d->st.suppressed++;
		return;
	}
	uint8_t kind = (uint8_t)r->detector->kind(r, e);
	if (already_reported(d, r, e, kind) || absorbed(d, r, e)) {
		e->shadowed = 1;
		d->st.shadowed++;
		return;
	}
	if (kind == KIND_DISTRIBUTED_SCAN) {
		/* sources each loud enough to be reported alone are separate scans of
		 * the same target, not one scan split between them */
		for (unsigned i = 0; i < e->n_sources; i++)
			if (source_reported(d, &e->sample_sources[i])) {
				e->shadowed = 1;
				d->st.shadowed++;
				return;
			}
	}
	e->kind = kind;
	e->opened_kind = kind;
	e->det_seq = ++d->seq;
	htab_touch(d->tab, e, list_of(r, e), e->node.ts); /* onto the open list, same time */
	note_due(d, r, e);
	e->opened_at = ts;
	e->probes_at_open = e->probes;
	e->emit_ts = ts;
	e->emit_probes = e->probes;
	d->st.opened++;
	fill_record(d, r, e, DET_OPEN, 0);
	emit_record(d, e);
}

/*
 * The kind follows the evidence: a scan's first probes can look like another
 * kind (nmap -sA probes one port on every host first, a tcp_sweep by shape)
 * and its later ones settle it. Every UPDATE and the CLOSE carry the kind the
 * whole evidence supports; the row (one per detection) is rewritten with it,
 * and the evidence says which kind the detection opened as, so every sink
 * shows the change the same way.
 */
static void revise_kind(const struct sw_rule *r, struct track_entry *e)
{
	e->kind = (uint8_t)r->detector->kind(r, e);
}

static void maybe_update(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                         uint64_t ts)
{
	if (e->probes == e->emit_probes || ts < e->emit_ts + SW_UPDATE_INTERVAL_US)
		return;
	e->emit_ts = ts;
	e->emit_probes = e->probes;
	d->st.updated++;
	revise_kind(r, e);
	fill_record(d, r, e, DET_UPDATE, 0);
	emit_record(d, e);
}

/* Which rules a pass over an event runs. */
enum { RUN_SRC = 1, RUN_DST = 2, RUN_ALL = 3 };

/* The keyed base hashes of one event's group keys, each computed once (SipHash is the
 * dearest thing per rule). */
struct ev_hashes {
	uint64_t v[3];
	uint8_t have;
};

static inline uint64_t ev_base(struct detect_engine *d, struct ev_hashes *b, enum rule_group g,
                               const struct sw_event *ev)
{
	if (!(b->have & (1u << g))) {
		b->v[g] = base_hash(d, g, ev);
		b->have |= (uint8_t)(1u << g);
	}
	return b->v[g];
}

/* Rule r's key for ev and its bucket hash. */
static inline void key_of(struct detect_engine *d, const struct sw_rule *r,
                          const struct sw_event *ev, struct ev_hashes *b, struct track_key *k,
                          uint64_t *h)
{
	make_key(k, r, &ev->src, &ev->dst);
	*h = rule_hash(ev_base(d, b, r->group_by, ev), r->index);
}

static inline struct track_entry *find_entry(struct detect_engine *d, const struct sw_rule *r,
                                             const struct sw_event *ev, struct ev_hashes *b)
{
	struct track_key k;
	uint64_t h;
	key_of(d, r, ev, b, &k, &h);
	return htab_find(d->tab, &k, h);
}

/* Runs ev through the rules of its class (those of the groups in run). known_e is
 * known_r's entry for ev (NULL: none), when the caller looked it up already. */
static void run_rules(struct detect_engine *d, const struct sw_event *ev, unsigned run,
                      bool allowed, struct ev_hashes *b, const struct sw_rule *known_r,
                      struct track_entry *known_e)
{
	const struct sw_ruleset *rs = d->rs;
	bool probe = ev->type == EV_PROBE;
	uint16_t n = probe ? d->nby_class[ev->pclass] : d->nby_outcome[ev->pclass];
	const uint16_t *list = probe ? d->by_class[ev->pclass] : d->by_outcome[ev->pclass];
	uint64_t known_at = d->evictions;
	for (uint16_t i = 0; i < n; i++) {
		const struct sw_rule *r = &rs->rules[list[i]];
		const struct detector *det = r->detector;
		if (!(run & (r->group_by == GROUP_DST ? RUN_DST : RUN_SRC)))
			continue;
		if (probe && det->wants && !det->wants(ev))
			continue; /* outcomes: the list holds only detectors that look at them */
		if (r->group_by == GROUP_DST &&
		    (allowed || (r->nsuppress &&
		                 addr_cidr_list_contains(r->suppress, r->nsuppress, &ev->src))))
			continue;
		struct track_key k;
		uint64_t h;
		key_of(d, r, ev, b, &k, &h);
		struct track_entry *e =
		    r == known_r && d->evictions == known_at ? known_e : htab_find(d->tab, &k, h);
		if (!e) {
			if (!probe)
				continue; /* an outcome of a probe this rule no longer tracks */
			e = htab_insert(d->tab, &k, h, list_of(r, NULL), ev->ts_us);
			e->win_start = ev->ts_us;
		} else if (probe && !e->det_seq && ev->ts_us > e->win_start + r->window_us) {
			track_reset_window(e, ev->ts_us, &d->exact);
			ev_release(d, e);
			if (e->exposed) /* what the last window's probes learned is not this one's
			                 */
				exposure_drop(d->expo, e, &e->exposed);
			e->shadowed = 0;
		}
		if (e->shadowed && !e->det_seq) {
			/* another rule reports this scan (or the source is allowed): this entry
			 * will never be rendered and its counts are cleared before they count
			 * again (window reset), so it only keeps its place in time, for the
			 * probes its detector takes */
			if (probe && (det->probes_belong || det->on_event(r, e, ev))) {
				htab_touch(d->tab, e, list_of(r, e), ev->ts_us);
				note_due(d, r, e);
			}
			continue;
		}
		if (!det->on_event(r, e, ev))
			continue;
		ev_note(d, e, ev);
		if (probe) {
			track_note_probe(e, ev, r->group_by == GROUP_DST, &d->exact);
			attribute_note(e, ev);
			htab_touch(d->tab, e, list_of(r, e), ev->ts_us);
			note_due(d, r, e);
		} else {
			e->outcomes[ev->outcome]++;
			if (ev->outcome == OUT_EMPTY)
				attribute_note(e, ev);
			enum det_reveal rv = exposure_reveal(ev);
			if (rv != REVEAL_NONE)
				exposure_note(d->expo, e, &e->exposed, ev, rv);
		}
		if (e->det_seq) {
			maybe_update(d, r, e, ev->ts_us);
		} else if (!e->shadowed) {
			bool crossed = det->crossed ? det->crossed(r, e) : e->score >= r->threshold;
			if (crossed)
				try_open(d, r, e, ev->ts_us);
		}
	}
}

/*
 * Whether ev's source has source-grouped entries for ev's class (and target,
 * for (source, target) grouping), besides the rule `skip` (looked up already).
 */
static bool has_src_entries(struct detect_engine *d, const struct sw_event *ev, struct ev_hashes *b,
                            const struct sw_rule *skip)
{
	for (uint16_t i = 0; i < d->nby_class[ev->pclass]; i++) {
		const struct sw_rule *r = &d->rs->rules[d->by_class[ev->pclass][i]];
		if (r->group_by != GROUP_DST && r != skip && find_entry(d, r, ev, b))
			return true;
	}
	return false;
}

/*
 * Removes ev's source-grouped entries with nothing open that detect_advance
 * would have removed by `at`: held events are replayed after the fact, so their
 * entries' expiry is caught up with here.
 */
static void expire_src_entries(struct detect_engine *d, const struct sw_event *ev,
                               struct ev_hashes *b, uint64_t at)
{
	for (uint16_t i = 0; i < d->nby_class[ev->pclass]; i++) {
		const struct sw_rule *r = &d->rs->rules[d->by_class[ev->pclass][i]];
		if (r->group_by == GROUP_DST)
			continue;
		struct track_entry *e = find_entry(d, r, ev, b);
		if (e && !e->det_seq && e->node.ts + rule_keep(r) <= at) {
			htab_count_expired(d->tab);
			remove_entry(d, e);
		}
	}
}

/* The held events of a released source, into its source-grouped rules, as they
 * would have been processed when they arrived. */
static void replay_held(struct detect_engine *d, bool allowed)
{
	const struct admit_held *hd = &d->held;
	struct sw_event rev;
	struct sw_packet rpkt;
	d->st.released++;
	size_t n = admit_count(hd);
	struct ev_hashes b = {.have = 0};
	if (d->evid)
		evidence_unhold(d->evid, &hd->src);
	for (size_t i = 0; i < n; i++) {
		admit_replay(hd, i, &rev, &rpkt);
		if (i > 0)
			expire_src_entries(d, &rev, &b, rev.ts_us);
		if (d->evid && rev.pkt)
			evidence_replay_event(d->evid, rev.ts_us);
		run_rules(d, &rev, RUN_SRC, allowed, &b, NULL, NULL);
	}
	if (d->evid)
		evidence_unhold_done(d->evid);
	/* and what detect_advance would have expired by now */
	expire_src_entries(d, &rev, &b, d->now);
}

/*
 * Holding sources back (admit.h): true when ev was held and the source-grouped
 * rules must not see it now. A held source's other events release it first.
 * *known_r / *known_e return the entry of the class's first source-grouped
 * rule when it was looked up, so run_rules need not look again.
 */
static bool hold_back(struct detect_engine *d, const struct sw_event *ev, bool allowed,
                      struct ev_hashes *b, const struct sw_rule **known_r,
                      struct track_entry **known_e)
{
	uint64_t h = rule_hash(ev_base(d, b, GROUP_SRC, ev), DETECT_MAX_RULES);
	switch (admit_offer(d->admit, ev, h, &d->held)) {
	case ADMIT_HELD:
		if (d->evid && ev->pkt)
			evidence_hold(d->evid, &ev->src, ev->pkt->ts_us, ev->ts_us, false);
		lower_due(d, ev->ts_us + d->admit_keep);
		return true;
	case ADMIT_RELEASED:
		replay_held(d, allowed);
		return false;
	case ADMIT_NONE:
	default:
		break;
	}
	/* only a first probe opens a record, and only for a source no rule of the class
	 * tracks yet: a tracked source's events go to its entries as they come */
	if (ev->type != EV_PROBE)
		return false;
	const struct sw_rule *r0 = &d->rs->rules[d->first_src[ev->pclass]];
	struct track_entry *e0 = find_entry(d, r0, ev, b);
	*known_r = r0;
	*known_e = e0;
	if (e0 || has_src_entries(d, ev, b, r0))
		return false;
	if (!admit_hold(d->admit, ev, h))
		return false;
	if (d->evid && ev->pkt)
		evidence_hold(d->evid, &ev->src, ev->pkt->ts_us, ev->ts_us, true);
	lower_due(d, ev->ts_us + d->admit_keep);
	return true;
}

void detect_prehash(const struct detect_engine *d, const struct sw_event *ev,
                    struct detect_prehash *out)
{
	out->src = hash_siphash13(d->key, &ev->src, sizeof ev->src);
}

static void event(struct detect_engine *d, const struct sw_event *ev, struct ev_hashes *b);

void detect_event(struct detect_engine *d, const struct sw_event *ev)
{
	struct ev_hashes b = {.have = 0};
	event(d, ev, &b);
}

void detect_event_prehashed(struct detect_engine *d, const struct sw_event *ev,
                            const struct detect_prehash *ph)
{
	struct ev_hashes b = {.v = {[GROUP_SRC] = ph->src}, .have = (uint8_t)(1u << GROUP_SRC)};
	event(d, ev, &b);
}

static void event(struct detect_engine *d, const struct sw_event *ev, struct ev_hashes *bp)
{
	const struct sw_ruleset *rs = d->rs;
	d->st.events++;
	if (ev->ts_us > d->now)
		d->now = ev->ts_us;
	if (rs->nhome && !addr_cidr_list_contains(rs->home_net, rs->nhome, &ev->dst))
		return;
	/* Target-grouped rules never see allow-listed sources: their records name no one
	 * source to suppress later. Source-grouped ones check at opening time. */
	bool allowed = rs->nallow && addr_cidr_list_contains(rs->allow, rs->nallow, &ev->src);
	const struct sw_rule *known_r = NULL;
	struct track_entry *known_e = NULL;
	unsigned run = RUN_ALL;
	if (d->holding && d->src_rules[ev->pclass] &&
	    hold_back(d, ev, allowed, bp, &known_r, &known_e))
		run = RUN_DST;
	run_rules(d, ev, run, allowed, bp, known_r, known_e);
}

static void close_entry(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                        uint64_t closed_at)
{
	d->st.closed++;
	revise_kind(r, e);
	fill_record(d, r, e, DET_CLOSE, closed_at);
	emit_record(d, e);
	e->det_seq = 0;
	ev_release(d, e); /* a later detection of the entry starts its own sample */
}

void detect_advance(struct detect_engine *d, uint64_t now)
{
	if (now > d->now)
		d->now = now;
	if (d->now < d->next_due)
		return;
	const struct sw_ruleset *rs = d->rs;
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct sw_rule *r = &rs->rules[i];
		for (unsigned open = 0; open < 2; open++) {
			uint64_t wait = open ? r->idle_us : rule_keep(r);
			struct track_entry *e;
			while ((e = htab_oldest(d->tab, (unsigned)i * 2 + open))) {
				uint64_t due = e->node.ts + wait;
				if (due > d->now) {
					if (due < next)
						next = due;
					break;
				}
				if (e->det_seq)
					close_entry(d, r, e, e->last_ts + r->idle_us);
				htab_count_expired(d->tab);
				remove_entry(d, e);
			}
		}
	}
	if (d->holding) {
		uint64_t due = admit_expire(d->admit, d->now, d->admit_keep);
		if (due < next)
			next = due;
	}
	d->next_due = next;
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = (*(struct track_entry *const *)a)->det_seq;
	uint64_t y = (*(struct track_entry *const *)b)->det_seq;
	return x < y ? -1 : x > y;
}

void detect_finish(struct detect_engine *d, uint64_t end_ts)
{
	if (end_ts > d->now)
		d->now = end_ts;
	/* Close in detection order so output is the same on every run: gather the
	 * open entries, sort them by sequence, close them. */
	size_t n = 0, cap = 0;
	struct track_entry **open = NULL, *e;
	uint32_t cur = 0;
	while ((e = htab_next(d->tab, &cur))) {
		if (!e->det_seq)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct track_entry **p = realloc(open, nc * sizeof *p);
			if (!p)
				break; /* out of memory: what was gathered still closes below */
			open = p;
			cap = nc;
		}
		open[n++] = e;
	}
	if (n)
		qsort(open, n, sizeof *open, by_seq);
	for (size_t i = 0; i < n; i++) {
		/* The input ended: the source is idle from its last probe on, so the
		 * detection closes when its idle time runs out, as it would live. The
		 * same traffic gives the same rows whatever the capture's end. */
		const struct sw_rule *r = &d->rs->rules[open[i]->key.rule];
		close_entry(d, r, open[i], open[i]->last_ts + r->idle_us);
	}
	free(open);
	/* anything left open (allocation failed above) still closes, slowly but surely */
	cur = 0;
	while ((e = htab_next(d->tab, &cur)))
		if (e->det_seq) {
			const struct sw_rule *r = &d->rs->rules[e->key.rule];
			close_entry(d, r, e, e->last_ts + r->idle_us);
		}
}

int detect_set_rules(struct detect_engine *d, const struct sw_ruleset *rs, uint64_t now)
{
	if (rs->nrules > DETECT_MAX_RULES)
		return -1;
	detect_finish(d, now);
	struct htab *old = d->tab;
	if (build(d, rs) < 0)
		return -1; /* build changed nothing: the old rules and table stay */
	release_all(d, old);
	htab_destroy(old);
	campaign_set_window(d->camp, rs->campaign_window_us);
	return 0;
}
