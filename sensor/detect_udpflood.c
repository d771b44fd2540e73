/* detect_udpflood.c — UDP floods against one target, from one source or from forged millions. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target, as syn_flood: one detection per victim, the sources
 * summarised. Score: datagrams in the window minus the ones the target
 * answered, i.e. the load it is not serving. A busy DNS or NTP server answers
 * nearly every query and its score stays near the queries in flight; a flood
 * grows with every packet. Empty datagrams (hping3's default, no client sends
 * one) are not taken back by an answer: an echo service bouncing a flood is
 * still flooded. A flood hammers a few ports, so it crosses only while its
 * datagrams outnumber the distinct ports by UDP_FLOOD_PER_PORT: a UDP port
 * scan, however many scanners share the target, sends one or two per port.
 */
#define UDP_FLOOD_PER_PORT 20

static bool udpflood_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		e->score++;
		return true;
	}
	if (ev->outcome == OUT_SUCCESS && !ev->crafted && e->score > 0 && !e->det_seq)
		e->score--;
	return true;
}

static bool udpflood_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold &&
	       e->probes >= UDP_FLOOD_PER_PORT * track_distinct_ports(e);
}

static enum sw_kind udpflood_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_UDP_FLOOD;
}

const struct detector detect_udp_flood = {
    .name = "udp_flood",
    .probes_belong = true,
    .summary = "UDP floods, keyed by target (spoofed sources make one detection)",
    .classes = 1u << PC_UDP,
    .default_group = GROUP_DST,
    .outcomes = true,
    .on_event = udpflood_event,
    .crossed = udpflood_crossed,
    .kind = udpflood_kind,
    .one_service = detect_counts_packets,
};
