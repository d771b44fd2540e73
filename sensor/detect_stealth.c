/* detect_stealth.c — stealth scans: FIN, NULL, Xmas, Maimon (FIN/ACK) and ACK/window probes. */
#include "scanwatch/attribute.h"
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * These probes belong to no connection (RFC 9293 section 3.10.7.1: a closed
 * port answers anything but a RST with a RST; an open one drops FIN/NULL/Xmas
 * silently), which is exactly what nmap -sF/-sN/-sX/-sM/-sA/-sW rely on.
 * Score: distinct (target, port) pairs probed with a hand-built packet
 * (FIN/NULL/Xmas always are; ACK and FIN/ACK when option-less with a packet
 * builder's window), or answered by RST, or, for FIN/NULL/Xmas, unanswered;
 * an ACK or FIN/ACK that is not hand-built scores for none of its outcomes.
 * A mid-stream ACK of a connection that began before the capture is answered
 * by ordinary traffic, or, when the peer forgot the connection, by a RST.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE): first probes by class, for the kind. */
struct stealth_state {
	uint32_t by_class[6]; /* FIN, NULL, XMAS, MAIMON, ACK, ODD: slot() */
};
TRACK_STATE_FITS(struct stealth_state);

static unsigned slot(uint8_t pclass)
{
	return pclass - PC_TCP_FIN;
}

static bool stealth_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (!ev->repeat)
			TRACK_STATE(e, struct stealth_state)->by_class[slot(ev->pclass)]++;
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	}
	/* An ordinary stack's ACK or FIN/ACK that a RST answers is the late packet of a
	 * connection the peer forgot: a server closing, from its service port, connections to
	 * a client's ephemeral ports after the client dropped them (Cisco mercury's emix.pcap:
	 * four FIN/ACKs from port 1024, each reset). nmap's and hping3's are hand-built. */
	bool ack_like = ev->pclass == PC_TCP_ACK || ev->pclass == PC_TCP_MAIMON;
	if ((ev->outcome == OUT_REFUSED || ev->outcome == OUT_TIMEOUT) &&
	    (!ack_like || ev->crafted)) {
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
	}
	return true;
}

static enum sw_kind stealth_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	static const uint8_t kinds[] = {KIND_FIN_SCAN,    KIND_NULL_SCAN, KIND_XMAS_SCAN,
	                                KIND_MAIMON_SCAN, KIND_ACK_SCAN,  KIND_XMAS_SCAN};
	const uint32_t *n = TRACK_CSTATE(e, struct stealth_state)->by_class;
	unsigned best = 0;
	for (unsigned i = 1; i < 6; i++)
		if (n[i] > n[best])
			best = i;
	/* ACK probes to one or two ports across many hosts are nmap's -PA host discovery */
	if (best == 4 && e->multi_target && track_distinct_ports(e) <= 2 &&
	    track_distinct_targets(e) >= 3)
		return KIND_TCP_SWEEP;
	return (enum sw_kind)kinds[best];
}

const struct detector detect_stealth = {
    .name = "stealth",
    .probes_belong = true,
    .summary = "FIN, NULL, Xmas, Maimon and ACK/window scans (probes outside any connection)",
    .classes = 1u << PC_TCP_FIN | 1u << PC_TCP_NULL | 1u << PC_TCP_XMAS | 1u << PC_TCP_MAIMON |
               1u << PC_TCP_ACK | 1u << PC_TCP_ODD,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = stealth_event,
    .kind = stealth_kind,
};
