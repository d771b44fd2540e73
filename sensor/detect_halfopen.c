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
 *
 * The same source's hand-built FIN, NULL, Xmas, Maimon, ACK and odd-flag probes (the stealth
 * classes) join its entry as more pairs, once its SYNs made one (detector.joins): nmap run
 * once per technique against one port each (-sS -p 3389, then -sF -p 3390, -sN, -sX: nDPI's
 * tcp_scan.pcapng) is one scan of four ports, which neither this rule nor the stealth rule
 * sees whole. They make no entry: a source's stealth scan alone is the stealth rule's, and a
 * SYN scanner pays nothing for them.
 */
struct halfopen_state {
	uint32_t stealth; /* pairs scored by joined stealth probes */
};
TRACK_STATE_FITS(struct halfopen_state);

static bool halfopen_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, ev->port)) {
			e->score++;
			if (ev->pclass != PC_TCP_SYN)
				TRACK_STATE(e, struct halfopen_state)->stealth++;
		}
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

/* The stealth probes that joined the scan, when some did. */
static void halfopen_describe(const struct sw_rule *r, const struct track_entry *e,
                              struct sw_detection *rec)
{
	(void)r;
	uint32_t n = TRACK_CSTATE(e, struct halfopen_state)->stealth;
	if (n)
		detection_reason(rec, "stealth_probes", n,
		                 "%u port(s) probed with FIN, NULL, Xmas, ACK or odd flags as well",
		                 (unsigned)n);
}

const struct detector detect_halfopen = {
    .name = "halfopen",
    .probes_belong = true,
    .summary = "half-open TCP SYN scans, vertical and horizontal (with their stealth probes)",
    .classes = 1u << PC_TCP_SYN,
    .joins = 1u << PC_TCP_FIN | 1u << PC_TCP_NULL | 1u << PC_TCP_XMAS | 1u << PC_TCP_MAIMON |
             1u << PC_TCP_ACK | 1u << PC_TCP_ODD,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = halfopen_event,
    .kind = halfopen_kind,
    .describe = halfopen_describe,
};
