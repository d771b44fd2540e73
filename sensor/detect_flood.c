/* detect_flood.c — RST floods: resets that answer no connection the sensor saw. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target by default, so a flood from forged sources is one
 * detection; the source is named when there is only one.
 * Score: unsolicited RST packets in the window. Not distinct pairs: a flood
 * is about volume, and hping3 --rst hits one port as readily as many. A
 * handful of stray resets (connections that began before the capture, late
 * packets after a flow was forgotten) stay far below a flood's threshold.
 */
static bool rst_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE)
		return false;
	e->score++;
	return true;
}

static enum sw_kind rst_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_RST_FLOOD;
}

const struct detector detect_rst_flood = {
    .name = "rst_flood",
    .summary = "floods of TCP resets that answer nothing",
    .classes = 1u << PC_TCP_RST,
    .default_group = GROUP_DST,
    .on_event = rst_event,
    .kind = rst_kind,
    .one_service = detect_counts_packets,
};
