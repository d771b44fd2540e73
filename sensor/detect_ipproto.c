/* detect_ipproto.c — IP protocol scans: many protocol numbers tried against one host. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * nmap -sO sends bare IP headers of protocol after protocol; a host answers
 * the ones it lacks with ICMP protocol unreachable (RFC 1122 3.2.2.1).
 * Score: distinct (target, protocol) pairs sent nearly empty or refused.
 * Tunnels and routing protocols use one or two protocol numbers per peer.
 */
static bool ipproto_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->crafted && !ev->repeat && track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		return true;
	}
	if (ev->outcome == OUT_REFUSED && track_pair_add(e, &ev->dst, ev->port))
		e->score++;
	return true;
}

static enum sw_kind ipproto_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_IP_PROTO_SCAN;
}

const struct detector detect_ipproto = {
    .name = "ipproto",
    .probes_belong = true,
    .summary = "IP protocol scans (nmap -sO)",
    .classes = 1u << PC_IPPROTO,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = ipproto_event,
    .kind = ipproto_kind,
};
