/* detect_multisource.c — decoy and distributed scans: several sources working one target together.
 */
#include <string.h>

#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target, counting only hand-built probes (no client builds
 * them, so many clients of one busy service never count). Two shapes:
 *  decoy        nmap -D sends each probe from every decoy address and the
 *               real one back to back: runs of consecutive probes of one
 *               port from different sources. Three such runs of three or
 *               more sources open it, before any single source reaches its
 *               own rule's threshold, so the decoys are not reported one by
 *               one. Independent scanners of one target interleave at
 *               random and almost never line up.
 *  distributed  many sources split the ports between them, each too quiet
 *               to be reported alone: at least four sources, the rule's
 *               threshold in distinct ports, about one probe per port and
 *               at most three probes per source on average.
 * Score: distinct ports probed. Open detections absorb the per-source ones
 * of their sources (detect.c).
 */
#define MIN_SOURCES      3
#define DIST_MIN_SOURCES 4
#define LOCKSTEP_RUN     3 /* sources probing one port back to back */
#define LOCKSTEP_PORTS   3 /* such runs before a decoy scan opens */

enum { A_PORT, A_RUN, A_LOCKSTEP, A_LASTSRC };

static uint32_t src_tag(const struct sw_addr *a)
{
	/* only tells one source from the previous one: a multiply-fold of the two halves */
	uint64_t x, y;
	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	uint64_t h = (x ^ (y * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32) | 1;
}

static bool multi_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE || !ev->crafted)
		return false;
	uint32_t tag = src_tag(&ev->src);
	if (ev->port == e->aux[A_PORT] && e->aux[A_RUN] > 0) {
		if (tag != e->aux[A_LASTSRC]) {
			e->aux[A_RUN]++;
			if (e->aux[A_RUN] == LOCKSTEP_RUN)
				e->aux[A_LOCKSTEP]++;
		}
	} else {
		e->aux[A_PORT] = ev->port;
		e->aux[A_RUN] = 1;
	}
	e->aux[A_LASTSRC] = tag;
	if (!ev->repeat && track_pair_add(e, &ev->dst, ev->port))
		e->score++;
	return true;
}

static bool multi_wants(const struct sw_event *ev)
{
	return ev->crafted;
}

static bool is_decoy(const struct track_entry *e)
{
	return e->aux[A_LOCKSTEP] >= LOCKSTEP_PORTS && track_distinct_sources(e) >= MIN_SOURCES;
}

static bool multi_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (is_decoy(e))
		return true;
	uint64_t sources = track_distinct_sources(e);
	return sources >= DIST_MIN_SOURCES && e->score >= r->threshold &&
	       e->probes * 10 <= (uint64_t)e->score * 15 && e->probes <= 3 * sources;
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
    .wants = multi_wants,
    .on_event = multi_event,
    .crossed = multi_crossed,
    .kind = multi_kind,
    .one_service = detect_counts_packets,
};
