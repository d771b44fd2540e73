/* detect_hold.c — one-service sources held back from per-rule state (admit.h), and their
 * replay into the rules when they prove to be more (detect_private.h). */
#include "detect_private.h"
#include "scanwatch/admit.h"

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
			detect_remove_entry(d, e);
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
		detect_run_rules(d, &rev, RUN_SRC, allowed, &b, NULL, NULL);
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
bool detect_hold_back(struct detect_engine *d, const struct sw_event *ev, bool allowed,
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
