/* detect_open.c — a detection's lifecycle: suppression and shadowing, opening, updates, the
 * kind's revision, closing on idle and at the end of the input (detect_private.h). */
#include <stdlib.h>

#include "detect_private.h"
#include "scanwatch/defaults.h"

/* Is src itself reported right now by a source-grouped rule? */
static bool source_reported(struct detect_engine *d, const struct sw_addr *src)
{
	uint64_t base = addr_base(d, src);
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
		if (!x || !x->det_seq || !track_has_addr(x, &e->key.a))
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

void detect_try_open(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                     uint64_t ts)
{
	if (suppressed(d->rs, r, e)) {
		e->shadowed = SHADOW_FOR_GOOD;
		d->st.suppressed++;
		return;
	}
	uint8_t kind = (uint8_t)r->detector->kind(r, e);
	if (already_reported(d, r, e, kind)) {
		e->shadowed = SHADOW_FOR_GOOD;
		d->st.shadowed++;
		return;
	}
	/* Absorbed: not shadowed for good, since a source is absorbed while it sends no more
	 * than its share of the crowd's probes, and a scan may only begin like a decoy. It
	 * goes on counting and is asked again at its next probe: a real scan of a target that a
	 * few forged sources touched first (16 spoofed SYNs in lockstep, then nmap -sS within
	 * the idle time) was absorbed at its fourth probe and never reported under its source. */
	if (absorbed(d, r, e)) {
		if (e->shadowed != SHADOW_ABSORBED)
			d->st.shadowed++;
		e->shadowed = SHADOW_ABSORBED;
		return;
	}
	if (kind == KIND_DISTRIBUTED_SCAN) {
		/* sources each loud enough to be reported alone are separate scans of
		 * the same target, not one scan split between them */
		for (unsigned i = 0; i < e->n_sources; i++)
			if (source_reported(d, track_sample_addr(e, i))) {
				e->shadowed = SHADOW_FOR_GOOD;
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
	detect_fill_record(d, r, e, DET_OPEN, 0);
	detect_emit_record(d, e);
}

/*
 * The kind follows the evidence: a scan's first probes can look like another
 * kind (nmap -sA probes one port on every host first, a tcp_sweep by shape)
 * and its later ones settle it. Every UPDATE and the CLOSE carry the kind the
 * whole evidence supports; the row (one per detection) is rewritten with it,
 * and the evidence says which kind the detection opened as, so every sink
 * shows the change the same way.
 */
void detect_revise_kind(const struct sw_rule *r, struct track_entry *e)
{
	e->kind = (uint8_t)r->detector->kind(r, e);
}

void detect_maybe_update(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                         uint64_t ts)
{
	if (e->probes == e->emit_probes || ts < e->emit_ts + SW_UPDATE_INTERVAL_US)
		return;
	e->emit_ts = ts;
	e->emit_probes = e->probes;
	d->st.updated++;
	detect_revise_kind(r, e);
	detect_fill_record(d, r, e, DET_UPDATE, 0);
	detect_emit_record(d, e);
}

void detect_close_entry(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                        uint64_t closed_at)
{
	d->st.closed++;
	detect_revise_kind(r, e);
	detect_fill_record(d, r, e, DET_CLOSE, closed_at);
	detect_emit_record(d, e);
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
					detect_close_entry(d, r, e, e->last_ts + r->idle_us);
				htab_count_expired(d->tab);
				detect_remove_entry(d, e);
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
		detect_close_entry(d, r, open[i], open[i]->last_ts + r->idle_us);
	}
	free(open);
	/* anything left open (allocation failed above) still closes, slowly but surely */
	cur = 0;
	while ((e = htab_next(d->tab, &cur)))
		if (e->det_seq) {
			const struct sw_rule *r = &d->rs->rules[e->key.rule];
			detect_close_entry(d, r, e, e->last_ts + r->idle_us);
		}
}
