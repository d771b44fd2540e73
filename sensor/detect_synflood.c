/* detect_synflood.c — SYN floods against one target, from one source or from forged millions. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target: one detection per victim, however many forged sources.
 * Score: SYNs in the window minus handshakes that completed (the initiator's
 * ACK, OUT_ESTABLISHED), i.e. the backlog an attacker is trying to fill. A
 * completed handshake leaves the backlog at once, before any data: a load
 * generator or a connection pool opening hundreds of connections in a burst
 * (a third-party loopback capture: 267 connects in 63 ms, data 80 ms later)
 * fills nothing. A busy server's score stays near
 * its number of handshakes in flight; a flood's grows with every packet. A
 * flood hammers a few services: it crosses only while its SYNs outnumber the
 * distinct ports by FLOOD_PER_PORT, which a port scan, however fast and
 * however many scanners share the target, never does.
 *
 * A SYN the target refuses (RST) or a router reports unreachable fills no
 * backlog either. When an OS stack built it, it is a client reconnecting to a
 * service that is down: an application retrying its database without back-off
 * sends dozens of connect()s a second (curl in a loop against a closed port:
 * 400 refused SYNs in 13 s, taken for a flood before), so those are taken back
 * too. A tool's SYNs refused are not: hping3 -S against a closed port is still
 * a flood, whatever it fills.
 */
#define FLOOD_PER_PORT 20
static bool synflood_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		/* A kernel's retransmitted SYN (same 4-tuple and ISN, classify.c) is one more wait
		 * for the same handshake, not one more: clients retrying against a busy server (its
		 * backlog briefly full) would otherwise count each attempt up to four times. */
		if (!(ev->repeat && !ev->crafted))
			e->score++;
		return true;
	}
	bool unfilled =
	    ev->outcome == OUT_ESTABLISHED ||
	    (!ev->crafted && (ev->outcome == OUT_REFUSED || ev->outcome == OUT_UNREACH));
	if (unfilled && e->score > 0 && !e->det_seq)
		e->score--;
	return true;
}

static bool synflood_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold && e->probes >= FLOOD_PER_PORT * track_distinct_ports(e);
}

static enum sw_kind synflood_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_SYN_FLOOD;
}

const struct detector detect_syn_flood = {
    .name = "syn_flood",
    .probes_belong = true,
    .summary = "SYN floods, keyed by target (spoofed sources make one detection)",
    .classes = 1u << PC_TCP_SYN,
    .default_group = GROUP_DST,
    .outcomes = true,
    .on_event = synflood_event,
    .crossed = synflood_crossed,
    .kind = synflood_kind,
    .one_service = detect_counts_packets,
};
