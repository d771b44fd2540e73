/* detect_udp.c — UDP port scans: empty or refused datagrams to many ports or hosts. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Closed UDP ports answer with ICMP port unreachable (RFC 1122 4.1.3.1),
 * which classify matches to the probe through the quoted header; open or
 * filtered ones stay silent. Score: distinct (target, port) pairs probed with
 * an empty datagram (no client sends one), refused, or left unanswered. A DNS
 * or NTP client talks to one or two servers: one or two pairs.
 */
static bool udp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	}
	if (ev->outcome == OUT_REFUSED || ev->outcome == OUT_UNREACH ||
	    ev->outcome == OUT_TIMEOUT) {
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
	}
	return true;
}

static enum sw_kind udp_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_UDP_SCAN;
}

const struct detector detect_udp = {
    .name = "udp",
    .probes_belong = true,
    .summary = "UDP port scans",
    .classes = 1u << PC_UDP,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = udp_event,
    .kind = udp_kind,
};
