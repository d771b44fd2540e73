/* detect_icmpflood.c — ICMP floods against one target: echo (or other) requests by the thousand. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Grouped by target, as syn_flood: one detection per victim, the sources
 * summarised. Score: ICMP requests in the window that a flood is made of.
 * Answers are not taken back: an answered echo flood costs the victim its
 * uplink twice. What keeps ordinary traffic below the threshold is the rate:
 * ping sends one request a second, a monitor a few per host and minute, a
 * ping sweep one per host; a flood hundreds a second.
 *
 * ping(8) keeps one identifier and counts the sequence up, so its requests
 * after the first are repeats of one echo flow (classify.c), and so are those
 * of ping -f and hping3 --icmp. A hundred hosts each pinging their gateway once
 * a second are a hundred such flows, 500 requests in 5 s together and no flood:
 * what scores is a new flow (--rand-source forges a source a packet) and a
 * request no ping(8) sends (empty, as hping3's, nmap's and masscan's, or not an
 * echo). The repeats of ordinary pings score only by their rate from each
 * source: `stream` of them within the window, on average per source (default
 * 2,500 in the rule's 5 s, 500 a second: ping -f, or ping -i 0.002).
 */
enum { P_STREAM };
static const char *const icmpflood_param_names[] = {"stream"};
static const double icmpflood_param_defaults[] = {2500};

/* What this detector keeps in a tracking entry (track.h, TRACK_STATE). */
struct icmpflood_state {
	uint64_t stream; /* ordinary requests after the first of their echo flow */
};
TRACK_STATE_FITS(struct icmpflood_state);

static bool icmpflood_event(const struct sw_rule *r, struct track_entry *e,
                            const struct sw_event *ev)
{
	(void)r;
	if (ev->type != EV_PROBE)
		return false;
	if (ev->repeat && !ev->crafted)
		TRACK_STATE(e, struct icmpflood_state)->stream++;
	else
		e->score++;
	return true;
}

static bool icmpflood_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold ||
	       detect_stream_flood(e, TRACK_CSTATE(e, struct icmpflood_state)->stream,
	                           r->params[P_STREAM]);
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
    .nparams = 1,
    .param_names = icmpflood_param_names,
    .param_defaults = icmpflood_param_defaults,
    .on_event = icmpflood_event,
    .crossed = icmpflood_crossed,
    .kind = icmpflood_kind,
    .one_service = detect_counts_packets,
};
