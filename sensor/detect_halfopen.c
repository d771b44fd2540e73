/* detect_halfopen.c — half-open (SYN) scans: hand-built SYNs and SYN-ACKs the prober resets. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Score: distinct (target, port) pairs that only a raw-socket scanner
 * produces, counted the moment they are seen: a SYN no OS stack would build
 * (classify_syn_crafted), or a SYN-ACK answered by the prober's own RST or
 * never completed (OUT_HALFOPEN). Counting the SYN's shape, not waiting for
 * outcomes, is what lets a detection open after about as many probes as the
 * threshold even when the scanner keeps many probes in flight.
 */
static bool halfopen_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	}
	switch (ev->outcome) {
	case OUT_HALFOPEN:
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	case OUT_ESTABLISHED:
		/* the crafted SYN was someone's small stack (or a packet builder's script)
		 * completing a real connection: the source's ACK answered the SYN-ACK, which no
		 * half-open scanner sends (its kernel resets the SYN-ACK, or it does). Given back
		 * here, when the handshake completes, not at the connection's first data or its
		 * close (OUT_SUCCESS, OUT_EMPTY, which follow it): a client that opens four
		 * connections before it uses the first is no scan either. */
		if (ev->crafted && e->score > 0)
			e->score--;
		return true;
	default:
		return true;
	}
}

static enum sw_kind halfopen_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	return detect_syn_kind(e);
}

const struct detector detect_halfopen = {
    .name = "halfopen",
    .probes_belong = true,
    .summary = "half-open TCP SYN scans, vertical and horizontal",
    .classes = 1u << PC_TCP_SYN,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = halfopen_event,
    .kind = halfopen_kind,
};
