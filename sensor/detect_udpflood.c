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
 *
 * One flow is a stream, not a flood. Much UDP is one way by design: syslog
 * (RFC 5426), statsd and GELF metrics and logs, NetFlow and IPFIX export (RFC
 * 7011), SNMP traps, one-way media, a bandwidth test, and any conversation whose
 * other direction the sensor does not see. Such a sender keeps one socket, so
 * its datagrams after the first are repeats of one unanswered flow (classify.c)
 * with something to say, and a log shipper at a hundred messages a second would
 * cross 200 in 5 s. Those repeats do not score; what scores is what flood tools
 * do: a new flow (hping3 steps its source port with every packet, --rand-source
 * forges the address) or an empty datagram. A flood from one socket with a
 * payload (a loop of sendto(), LOIC, Mirai's udpplain) looks like a stream
 * packet by packet and is told from one by its rate alone: `stream` datagrams
 * of unanswered flows within the window for each source on average (default
 * 50,000 in the rule's 5 s, 10,000 a second from each, more than a syslog or
 * NetFlow sender keeps up on one flow). On average per source, so that a
 * collector's hundreds of senders, each well below it, add up to no flood.
 */
#define UDP_FLOOD_PER_PORT 20

enum { P_STREAM };
static const char *const udpflood_param_names[] = {"stream"};
static const double udpflood_param_defaults[] = {50000};

/* What this detector keeps in a tracking entry (track.h, TRACK_STATE). */
struct udpflood_state {
	uint64_t stream; /* repeats with a payload: datagrams of unanswered flows after the first */
};
TRACK_STATE_FITS(struct udpflood_state);

static bool udpflood_event(const struct sw_rule *r, struct track_entry *e,
                           const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->repeat && !ev->crafted)
			TRACK_STATE(e, struct udpflood_state)->stream++;
		else
			e->score++;
		return true;
	}
	if (ev->outcome == OUT_SUCCESS && !ev->crafted && e->score > 0 && !e->det_seq)
		e->score--;
	return true;
}

static bool udpflood_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (e->probes < UDP_FLOOD_PER_PORT * track_distinct_ports(e))
		return false;
	return e->score >= r->threshold ||
	       detect_stream_flood(e, TRACK_CSTATE(e, struct udpflood_state)->stream,
	                           r->params[P_STREAM]);
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
    .nparams = 1,
    .param_names = udpflood_param_names,
    .param_defaults = udpflood_param_defaults,
    .on_event = udpflood_event,
    .crossed = udpflood_crossed,
    .kind = udpflood_kind,
    .one_service = detect_counts_packets,
};
