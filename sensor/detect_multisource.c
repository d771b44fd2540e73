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
 *               port from different sources. Such runs on three different
 *               ports, from a decoy list's worth of sources (at most
 *               DETECT_CROWD_MAX), open it before any single source
 *               reaches its own rule's threshold, so the decoys are not
 *               reported one by one. Independent scanners of one target
 *               interleave at random and almost never line up; a spoofed
 *               flood of one port lines up all the time, on one port, from
 *               millions of sources, and is neither.
 *  distributed  coordinated sources split the ports between them, each too
 *               quiet to be reported alone: at least four sources, the
 *               rule's threshold in distinct ports, about one probe per port
 *               and at most three probes per source on average, and one
 *               packet shape (the same tool: window, options layout, payload
 *               length, zmap's IP id) on at least 80% of the probes.
 *               Unrelated scanners that happen to hit one host are many
 *               tools and many shapes.
 * Score: distinct ports probed. Open detections absorb the per-source ones
 * of their sources (detect.c).
 */
#define MIN_SOURCES      3
#define DIST_MIN_SOURCES 4
#define LOCKSTEP_RUN     3 /* sources probing one port back to back */
#define LOCKSTEP_PORTS   3 /* such runs, on as many different ports, before a decoy scan opens */

/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct multi_state {
	uint16_t run_port;  /* the current run's port */
	uint16_t lock_port; /* the port of the last lockstep run */
	uint32_t run;       /* the run's length: probes of run_port from changing sources */
	uint32_t lockstep;  /* lockstep runs on a port other than the previous one's */
	uint32_t last_src;  /* the last source's tag */
	uint32_t shape;     /* the packet-shape majority vote (Boyer and Moore's): candidate */
	uint32_t vote;      /* and counter */
};
TRACK_STATE_FITS(struct multi_state);

static uint32_t src_tag(const struct sw_addr *a)
{
	/* only tells one source from the previous one: a multiply-fold of the two halves */
	uint64_t x, y;
	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	uint64_t h = (x ^ (y * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32) | 1;
}

/* What one tool's probes share whatever host sends them: probe class, TCP window and
 * option layout, payload length, zmap's IP id. Not the TTL (paths differ; nmap redraws
 * it per probe) nor addresses and ports. */
static uint32_t shape_of(const struct sw_event *ev)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL * (ev->pclass + 1u);
	const struct sw_packet *p = ev->pkt;
	if (p) {
		h ^= (uint64_t)p->payload_len << 32 | (uint64_t)p->tcp_window << 16 |
		     (uint64_t)(p->l3 == PKT_L3_IPV4 && p->ip_id == 54321) << 8 | p->tcp_opts.count;
		h *= 0xff51afd7ed558ccdULL;
		for (unsigned i = 0; i < p->tcp_opts.count && i < PKT_TCP_OPT_MAX; i++)
			h = (h ^ p->tcp_opts.kinds[i]) * 0x100000001b3ULL;
	}
	return (uint32_t)(h >> 32) | 1;
}

static bool multi_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE || !ev->crafted)
		return false;
	struct multi_state *st = TRACK_STATE(e, struct multi_state);
	uint32_t tag = src_tag(&ev->src);
	if (ev->port == st->run_port && st->run > 0) {
		if (tag != st->last_src) {
			st->run++;
			if (st->run == LOCKSTEP_RUN &&
			    (ev->port != st->lock_port || !st->lockstep)) {
				st->lockstep++;
				st->lock_port = ev->port;
			}
		}
	} else {
		st->run = 1;
	}
	st->run_port = ev->port;
	st->last_src = tag;
	if (!ev->repeat) {
		uint32_t shape = shape_of(ev);
		if (st->vote == 0) {
			st->shape = shape;
			st->vote = 1;
		} else {
			st->vote += shape == st->shape ? 1 : (uint32_t)-1;
		}
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
	}
	return true;
}

static bool multi_wants(const struct sw_event *ev)
{
	return ev->crafted;
}

static bool is_decoy(const struct track_entry *e)
{
	uint64_t sources = track_distinct_sources(e);
	return TRACK_CSTATE(e, struct multi_state)->lockstep >= LOCKSTEP_PORTS &&
	       sources >= MIN_SOURCES && sources <= DETECT_CROWD_MAX;
}

static bool multi_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (is_decoy(e))
		return true;
	uint64_t sources = track_distinct_sources(e);
	/* the majority vote's counter is at least (2f - 1) n for a shape on a fraction f of
	 * the n first probes: 60% of n means at least 80% of them share one shape */
	uint64_t first = e->first_contacts ? e->first_contacts : e->probes;
	return sources >= DIST_MIN_SOURCES && sources <= DETECT_CROWD_MAX &&
	       e->score >= r->threshold && e->probes * 10 <= (uint64_t)e->score * 15 &&
	       e->probes <= 3 * sources &&
	       (uint64_t)TRACK_CSTATE(e, struct multi_state)->vote * 10 >= first * 6;
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
    .probes_belong = true, /* multi_event takes every probe multi_wants lets through */
    .on_event = multi_event,
    .crossed = multi_crossed,
    .kind = multi_kind,
    .one_service = detect_counts_packets,
};
