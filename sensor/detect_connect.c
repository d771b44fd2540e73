/* detect_connect.c — connect() scans: ordinary SYNs whose connections fail or carry nothing. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * A connect scan uses the kernel's own SYN, so its shape proves nothing; its
 * outcomes do. Score: distinct (target, port) pairs refused (RST or ICMP
 * unreachable) or unanswered. Connections torn down without a byte of data
 * (the open ports of the scan) are evidence for the kind but do not score, so
 * a health checker that opens and closes a few ports stays quiet.
 * The failures must also outnumber the distinct services that answered two
 * to one (the state's answered): a scanner moves on to new ports and hosts, most of
 * them closed; a health checker's backends, a peer-to-peer client's peers, a
 * browser's servers mostly answer, however many of them are down. Nor do
 * failures scattered over the Internet count (track.h, TRACK_SPREAD_NETS): a
 * peer-to-peer client working through a stale host cache fails at peers that
 * share nothing but the port, where a connect scan sweeps a site's networks.
 * Nor do failures the source's memory explains (detector.recalls, detect_run.c): a host
 * found down, a host that answered the source with a service or two stopped.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct connect_state {
	uint32_t empty, answered;
};
TRACK_STATE_FITS(struct connect_state);

static inline struct connect_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct connect_state);
}

static inline const struct connect_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct connect_state);
}

static bool connect_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->crafted)
		return false; /* hand-built SYNs are the half-open detector's */
	if (ev->type == EV_PROBE)
		return true;
	switch (ev->outcome) {
	case OUT_REFUSED:
	case OUT_UNREACH:
	case OUT_TIMEOUT:
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	case OUT_EMPTY:
		st_of(e)->empty++;
		if (track_answered_add(e, &ev->dst, ev->port))
			st_of(e)->answered++;
		return true;
	case OUT_SUCCESS:
		if (track_answered_add(e, &ev->dst, ev->port))
			st_of(e)->answered++;
		return true;
	default:
		return true;
	}
}

static bool connect_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold &&
	       e->score >= DETECT_FAIL_PER_ANSWER * (uint64_t)cst_of(e)->answered &&
	       !track_spread_scattered(e);
}

static bool connect_wants(const struct sw_event *ev)
{
	return !ev->crafted;
}

static enum sw_kind connect_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_CONNECT_SCAN;
}

const struct detector detect_connect = {
    .name = "connect",
    .summary = "TCP connect() scans: kernel SYNs refused, unanswered or closed unused",
    .classes = 1u << PC_TCP_SYN,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .spread = true,
    .recalls = true,
    .wants = connect_wants,
    .probes_belong = true, /* connect_event takes every probe connect_wants lets through */
    .on_event = connect_event,
    .crossed = connect_crossed,
    .kind = connect_kind,
};
