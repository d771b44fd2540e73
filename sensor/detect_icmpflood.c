/* detect_icmpflood.c — ICMP floods against one target: echo (or other) requests by the thousand. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target, as syn_flood: one detection per victim, the sources
 * summarised. Score: ICMP requests in the window, retransmissions of one
 * echo identifier included (ping -f and hping3 --icmp keep one identifier and
 * count the sequence up). Answers are not taken back: an answered echo flood
 * costs the victim its uplink twice. What keeps ordinary traffic below the
 * threshold is the rate: ping sends one request a second, a monitor a few per
 * host and minute, a ping sweep one per host; a flood hundreds a second.
 */
static bool icmpflood_event(const struct sw_rule *r, struct track_entry *e,
                            const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE)
		return false;
	e->score++;
	return true;
}

static enum sw_kind icmpflood_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_ICMP_FLOOD;
}

const struct detector detect_icmp_flood = {
    .name = "icmp_flood",
    .probes_belong = true,
    .summary = "ICMP echo and request floods, keyed by target",
    .classes = 1u << PC_ICMP_ECHO | 1u << PC_ICMP_OTHER,
    .default_group = GROUP_DST,
    .on_event = icmpflood_event,
    .kind = icmpflood_kind,
    .one_service = detect_counts_packets,
};
