/* detect_multisource.c — decoy and distributed scans: several sources working one target together.
 */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target, counting only hand-built probes (no client builds
 * them, so many clients of one busy service never count). Two shapes:
 *  decoy        nmap -D: every port is probed from every decoy address and
 *               the real one, in lockstep, so probes run at about sources x
 *               distinct ports;
 *  distributed  the sources split the ports between them: probes run at
 *               about one per distinct port, while the ports add up.
 * Score: distinct ports probed. A decoy scan opens at three ports (before
 * any single source reaches its own rule's threshold, so the decoys are not
 * reported one by one); a distributed one at the rule's threshold. Open
 * detections absorb the per-source ones of their sources (detect.c).
 */
#define MIN_SOURCES     3
#define DECOY_MIN_PORTS 3

static bool multi_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE || !ev->crafted)
		return false;
	if (!ev->repeat && track_pair_add(e, &ev->dst, ev->port))
		e->score++;
	return true;
}

static bool is_decoy(const struct track_entry *e)
{
	uint64_t sources = track_distinct_sources(e);
	return sources >= MIN_SOURCES && e->score >= DECOY_MIN_PORTS &&
	       e->probes * 10 >= (uint64_t)e->score * 25; /* >= 2.5 probes per port */
}

static bool multi_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (is_decoy(e))
		return true;
	return track_distinct_sources(e) >= MIN_SOURCES && e->score >= r->threshold &&
	       e->probes * 10 <= (uint64_t)e->score * 15;
}

static enum sw_kind multi_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	return is_decoy(e) ? KIND_DECOY_SCAN : KIND_DISTRIBUTED_SCAN;
}

const struct detector detect_multisource = {
    .name = "multisource",
    .summary = "decoy (lockstep) and distributed (split ports) scans of one target",
    .classes = 1u << PC_TCP_SYN | 1u << PC_TCP_FIN | 1u << PC_TCP_NULL | 1u << PC_TCP_XMAS |
               1u << PC_TCP_MAIMON | 1u << PC_TCP_ACK | 1u << PC_UDP,
    .default_group = GROUP_DST,
    .absorbs = true,
    .on_event = multi_event,
    .crossed = multi_crossed,
    .kind = multi_kind,
};
