/* detect_sweep.c — ICMP/ICMPv6 ping sweeps: echo (and timestamp) requests across many hosts. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Score: distinct targets that were either pinged with a scanner-built
 * request (no payload, or an obsolete request type) or did not answer. A
 * poller pinging the same few hosts, which answer, never scores; the hosts a
 * monitor finds down count only while they outnumber the hosts that answered
 * two to one (the state's answered). A sweep of live hosts with ordinary pings
 * (fping) still opens once it reaches SWEEP_LIVE_TARGETS distinct targets,
 * more than a monitor of a few dozen hosts pings.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct sweep_state {
	uint32_t crafted, failed, answered;
};
TRACK_STATE_FITS(struct sweep_state);

static inline struct sweep_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct sweep_state);
}

static inline const struct sweep_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct sweep_state);
}
#define SWEEP_LIVE_TARGETS 64

static bool sweep_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, 0)) {
			e->score++;
			st_of(e)->crafted++;
		}
		return true;
	}
	if (ev->outcome == OUT_TIMEOUT || ev->outcome == OUT_UNREACH) {
		if (track_pair_add(e, &ev->dst, 0)) {
			e->score++;
			st_of(e)->failed++;
		}
	} else if (ev->outcome == OUT_SUCCESS) {
		if (track_answered_add(e, &ev->dst, 0))
			st_of(e)->answered++;
	}
	return true;
}

static bool sweep_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (e->score >= r->threshold &&
	    (cst_of(e)->crafted >= r->threshold ||
	     cst_of(e)->failed >= DETECT_FAIL_PER_ANSWER * (uint64_t)cst_of(e)->answered))
		return true;
	return track_distinct_targets(e) >= SWEEP_LIVE_TARGETS;
}

static enum sw_kind sweep_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_ICMP_SWEEP;
}

const struct detector detect_icmp_sweep = {
    .name = "icmp_sweep",
    .probes_belong = true,
    .summary = "ICMP and ICMPv6 echo / timestamp sweeps",
    .classes = 1u << PC_ICMP_ECHO | 1u << PC_ICMP_OTHER,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = sweep_event,
    .crossed = sweep_crossed,
    .kind = sweep_kind,
};
