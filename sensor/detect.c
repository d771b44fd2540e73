/* detect.c — the detector registry, and the engine's making: its tables and per-class rule
 * lists from a rule set, eviction, statistics. The engine's other jobs are in the files
 * detect_private.h lists. */
#include "scanwatch/detect.h"

#include <stdlib.h>
#include <string.h>

#include "detect_private.h"
#include "scanwatch/admit.h"
#include "scanwatch/attribute.h"
#include "scanwatch/campaign.h"
#include "scanwatch/defaults.h"
#include "scanwatch/evidence.h"
#include "scanwatch/exposure.h"
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

bool detect_stream_flood(const struct track_entry *e, uint64_t stream, double per_source)
{
	uint64_t sources = track_distinct_sources(e);
	return (double)stream >= per_source * (double)(sources ? sources : 1);
}

const struct detector *detect_at(size_t i)
{
	return i < sizeof registry / sizeof registry[0] ? registry[i] : NULL;
}

size_t detect_entry_size(void)
{
	return track_entry_reserve(); /* the entry and the blocks its sets may take */
}

void detect_release_side(struct detect_engine *d, struct track_entry *e)
{
	track_release(e, &d->exact);
	ev_release(d, e);
	if (e->exposed)
		exposure_drop(d->expo, e, &e->exposed);
}

static void entry_evicted(void *ctx, void *entry)
{
	struct detect_engine *d = ctx;
	struct track_entry *e = entry;
	d->evictions++;
	if (!e->det_seq || !d->rs || e->key.rule >= d->rs->nrules) {
		detect_release_side(d, e);
		return;
	}
	/* Memory pressure pushed out a live detection: close it now rather than lose it. */
	d->st.evicted_open++;
	d->st.closed++;
	detect_revise_kind(&d->rs->rules[e->key.rule], e);
	detect_fill_record(d, &d->rs->rules[e->key.rule], e, DET_CLOSE, d->now);
	detection_reason(&d->rec, "closed_early", 0, "closed early: tracking table full");
	detect_emit_record(d, e);
	e->det_seq = 0;
	detect_release_side(d, e);
}

void detect_remove_entry(struct detect_engine *d, struct track_entry *e)
{
	detect_release_side(d, e);
	htab_remove(d->tab, e);
}

/* Gives back every side set of a table that is about to be destroyed. */
static void release_all(struct detect_engine *d, struct htab *tab)
{
	struct track_entry *e;
	uint32_t cur = 0;
	while ((e = htab_next(tab, &cur)))
		detect_release_side(d, e);
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
	/* Open detections go last under pressure, while they hold at most half the table
	 * (htab_keep_list): a flood of forged sources that the rules must track (ghosts,
	 * two-service sources) recycled the whole table every fraction of a second, and an open
	 * scan's entry with it, so one scan came out as several records, each "closed early"
	 * (list_of: odd lists hold open detections). */
	for (unsigned l = 1; l < nlists; l += 2)
		htab_keep_list(tab, l);
	memset(d->nby_class, 0, sizeof d->nby_class);
	memset(d->nby_outcome, 0, sizeof d->nby_outcome);
	memset(d->nplain_class, 0, sizeof d->nplain_class);
	memset(d->nplain_outcome, 0, sizeof d->nplain_outcome);
	memset(d->src_rules, 0, sizeof d->src_rules);
	d->memory_rule = -1;
	bool can_hold = true;
	uint64_t keep_max = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct sw_rule *r = &rs->rules[i];
		if (!r->enabled || !r->detector)
			continue;
		for (unsigned c = 0; c < PC__COUNT; c++)
			if ((r->detector->classes | r->detector->joins) & (1u << c)) {
				/* a joined class's outcomes are not the detector's (detect.h) */
				bool outcomes = r->detector->outcomes &&
				                (r->detector->classes & (1u << c)) != 0;
				d->by_class[c][d->nby_class[c]++] = (uint16_t)i;
				if (outcomes)
					d->by_outcome[c][d->nby_outcome[c]++] = (uint16_t)i;
				if (!r->crafted_only) {
					d->plain_class[c][d->nplain_class[c]++] = (uint16_t)i;
					if (outcomes)
						d->plain_outcome[c][d->nplain_outcome[c]++] =
						    (uint16_t)i;
				}
				if (r->group_by != GROUP_DST && !d->src_rules[c]) {
					d->src_rules[c] = true;
					d->first_src[c] = (uint16_t)i;
				}
			}
		if (r->group_by == GROUP_DST)
			continue;
		if (r->detector->remembers && r->group_by == GROUP_SRC && d->memory_rule < 0)
			d->memory_rule = (int)i;
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
	size_t held = max_entries / 2 * detect_entry_size() / admit_record_size();
	d->max_entries = max_entries - max_entries / 2;
	/* An eighth of the tracking half pays for exact distinct counts (track.h): a
	 * port set is 8 KiB, a host 8 bytes, so the default cap counts exactly some
	 * thousand open port scans or millions of swept hosts at once. */
	d->exact.limit = d->max_entries / DETECT_EXACT_SHARE * detect_entry_size();
	memcpy(d->exact.key, key, sizeof d->exact.key);
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
