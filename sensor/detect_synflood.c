/* detect_synflood.c — SYN floods against one target, from one source or from forged millions. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target: one detection per victim, however many forged sources.
 * Score: SYNs in the window minus handshakes that completed, i.e. the
 * backlog an attacker is trying to fill. A busy server's score stays near its
 * number of handshakes in flight; a flood's grows with every packet.
 */
static bool synflood_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		e->score++;
		return true;
	}
	if ((ev->outcome == OUT_SUCCESS || ev->outcome == OUT_EMPTY) && e->score > 0 && !e->det_seq)
		e->score--;
	return true;
}

static enum sw_kind synflood_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	(void)e;
	return KIND_SYN_FLOOD;
}

const struct detector detect_syn_flood = {
    .name = "syn_flood",
    .summary = "SYN floods, keyed by target (spoofed sources make one detection)",
    .classes = 1u << PC_TCP_SYN,
    .default_group = GROUP_DST,
    .on_event = synflood_event,
    .kind = synflood_kind,
};
