/* detect_run.c — an event's way through the rules of its class (detect_private.h). */
#include "detect_private.h"
#include "scanwatch/attribute.h"
#include "scanwatch/exposure.h"

/*
 * Whether a failure is one the source's memory explains (detector.recalls): the memory is the
 * remembering rule's entry for the source (detect_trw.c keeps host facts there, for an hour
 * and more). A host found down by an unanswered echo, which never answered anything, fails
 * at every port, and a host that answered the source may have a service or two stopped: a
 * monitor's checks, every few minutes (real Nagios 4 with its default spread, a check every
 * 4 s, MySQL stopped on 11 hosts: eleven refusals in 44 s, a minute with no answer in it).
 * A scanner that pings leaves hosts that are down alone, and fails at more than two ports of
 * a host that answers it. The excuses a window has given are marked in e's own pair set.
 */
static bool recalled(struct detect_engine *d, const struct sw_event *ev, struct ev_hashes *b,
                     struct track_entry *e)
{
	bool silent = ev->outcome == OUT_TIMEOUT || ev->outcome == OUT_UNREACH;
	if ((!silent && ev->outcome != OUT_REFUSED) || ev->crafted || d->memory_rule < 0)
		return false; /* no monitor builds its probes by hand */
	const struct track_entry *m = find_entry(d, &d->rs->rules[d->memory_rule], ev, b);
	if (!m)
		return false;
	if (track_excused_has(e, &ev->dst, ev->port))
		return true; /* the same service again (a monitor retries a failed check) */
	if (!track_host_excuses(m, e, &ev->dst, silent))
		return false;
	track_excused_add(e, &ev->dst, ev->port);
	return true;
}

/* Runs ev through the rules of its class (those of the groups in run). known_e is
 * known_r's entry for ev (NULL: none), when the caller looked it up already. */
void detect_run_rules(struct detect_engine *d, const struct sw_event *ev, unsigned run,
                      bool allowed, struct ev_hashes *b, const struct sw_rule *known_r,
                      struct track_entry *known_e)
{
	const struct sw_ruleset *rs = d->rs;
	bool probe = ev->type == EV_PROBE;
	/* an ordinary stack's event skips the rules that count only hand-built probes */
	uint16_t n;
	const uint16_t *list;
	if (ev->crafted) {
		n = probe ? d->nby_class[ev->pclass] : d->nby_outcome[ev->pclass];
		list = probe ? d->by_class[ev->pclass] : d->by_outcome[ev->pclass];
	} else {
		n = probe ? d->nplain_class[ev->pclass] : d->nplain_outcome[ev->pclass];
		list = probe ? d->plain_class[ev->pclass] : d->plain_outcome[ev->pclass];
	}
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
			if (det->joins & (1u << ev->pclass))
				continue; /* joins only an entry the source has (detect.h) */
			e = htab_insert(d->tab, &k, h, list_of(r, NULL), ev->ts_us);
			e->win_start = ev->ts_us;
		} else if (probe && !e->det_seq && ev->ts_us > e->win_start + r->window_us) {
			track_reset_window_keep(e, ev->ts_us, &d->exact, det->remembers,
			                        det->keeps);
			ev_release(d, e);
			if (e->exposed) /* what the last window's probes learned is not this one's
			                 */
				exposure_drop(d->expo, e, &e->exposed);
			e->shadowed = SHADOW_NONE;
		}
		if (e->shadowed == SHADOW_FOR_GOOD && !e->det_seq) {
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
		if (!probe && det->recalls && recalled(d, ev, b, e))
			continue;
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
			if (det->spread)
				track_spread_note(e, ev, &d->exact);
			if (ev->outcome == OUT_EMPTY)
				attribute_note(e, ev);
			enum det_reveal rv = exposure_reveal(ev);
			if (rv != REVEAL_NONE)
				exposure_note(d->expo, e, &e->exposed, ev, rv);
		}
		if (e->det_seq) {
			detect_maybe_update(d, r, e, ev->ts_us);
		} else if (e->shadowed != SHADOW_FOR_GOOD) {
			bool crossed = det->crossed ? det->crossed(r, e) : e->score >= r->threshold;
			if (crossed)
				detect_try_open(d, r, e, ev->ts_us);
		}
	}
}

void detect_prehash(const struct detect_engine *d, struct addr_memo memo[DETECT_MEMO_SLOTS],
                    const struct sw_event *ev, struct detect_prehash *out)
{
	out->src = addr_memo_hash(memo, d->key, &ev->src);
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
	    detect_hold_back(d, ev, allowed, bp, &known_r, &known_e))
		run = RUN_DST;
	detect_run_rules(d, ev, run, allowed, bp, known_r, known_e);
}
