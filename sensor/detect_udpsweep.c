/* detect_udpsweep.c — UDP host sweeps: one or two UDP ports across many hosts that do not answer.
 */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * nmap -PU sends one datagram per host to one port (40125 by default,
 * DEFAULT_UDP_PROBE_PORT in nmap.h) and takes an ICMP port unreachable
 * (RFC 1122 4.1.3.1) as proof of life: the hosts it is after are the ones
 * that refuse, and the empty addresses say nothing. Score: distinct targets
 * whose datagram was refused, unreachable or unanswered. A resolver asking
 * thirty servers on 53, an NTP client polling a pool, SSDP or a game client
 * are one-port fan-outs too, but their servers answer: as Jung et al.'s
 * threshold random walk weighs first contacts, failures count only while
 * they outnumber the hosts that answered DETECT_FAIL_PER_ANSWER to one
 * (the state's answered), and while they are not scattered over the Internet
 * (track.h, TRACK_SPREAD_NETS): a sweep sweeps a network. A sweep touches few
 * ports (UDP_SWEEP_PORTS); more is a port scan, the udp detector's. Nor do failures count
 * for a source that stops and waits for each answer (track.h, track_pace).
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct udpsweep_state {
	struct track_pace pace; /* first: it outlives the window (.keeps) */
	uint32_t failed, answered;
};
TRACK_STATE_FITS(struct udpsweep_state);

static inline struct udpsweep_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct udpsweep_state);
}

static inline const struct udpsweep_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct udpsweep_state);
}
#define UDP_SWEEP_PORTS 2

static bool udpsweep_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		track_pace_probe(&st_of(e)->pace, e, ev->ts_us);
		return true;
	}
	if (ev->outcome == OUT_REFUSED || ev->outcome == OUT_UNREACH ||
	    ev->outcome == OUT_TIMEOUT) {
		if (track_failed_add(e, &ev->dst, 0)) {
			st_of(e)->failed++;
			e->score++;
		}
	} else if (ev->outcome == OUT_SUCCESS) {
		track_pace_answer(&st_of(e)->pace, e, ev->ts_us);
		if (track_answered_add(e, &ev->dst, 0))
			st_of(e)->answered++;
	}
	return true;
}

static bool udpsweep_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold && e->multi_target &&
	       track_distinct_ports(e) <= UDP_SWEEP_PORTS &&
	       cst_of(e)->failed >= DETECT_FAIL_PER_ANSWER * (uint64_t)cst_of(e)->answered &&
	       !track_spread_scattered(e) &&
	       !track_pace_waits(&cst_of(e)->pace, cst_of(e)->answered);
}

static enum sw_kind udpsweep_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_UDP_SWEEP;
}

const struct detector detect_udp_sweep = {
    .name = "udp_sweep",
    .probes_belong = true,
    .summary = "UDP host sweeps: one or two ports across many hosts (nmap -PU)",
    .classes = 1u << PC_UDP,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .spread = true,
    .keeps = sizeof(struct track_pace),
    .on_event = udpsweep_event,
    .crossed = udpsweep_crossed,
    .kind = udpsweep_kind,
};
