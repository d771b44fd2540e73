/* detect_udp.c — UDP port scans: empty or refused datagrams to many ports or hosts. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Closed UDP ports answer with ICMP port unreachable (RFC 1122 4.1.3.1),
 * which classify matches to the probe through the quoted header; open or
 * filtered ones stay silent. Score: distinct (target, port) pairs probed with
 * an empty datagram (no client sends one), refused, or left unanswered. A DNS
 * or NTP client talks to one or two servers: one or two pairs. A resolver
 * asking thirty servers, or an NTP client polling a pool, says something real
 * to each and most of them answer: failures count only while they outnumber
 * the answered pairs two to one (the state's answered), and while they are not
 * scattered over the Internet (track.h, TRACK_SPREAD_NETS: a LISP router's
 * Map-Requests to its map resolvers); empty datagrams always count.
 */
/*
 * A client opens a socket per conversation, or talks one protocol from its
 * service port (NTP from 123, mDNS from 5353); nmap -sU sends its payloads for
 * DNS, NTP, SNMP, ISAKMP, TFTP ... all from one source port. A datagram to a
 * new (target, port) from the source port of the previous one, to another
 * destination port of a host already probed, scores when sent, like an empty one.
 * A scan goes through ports of the hosts it tries; a peer-to-peer node's one socket
 * (Gnutella, a DHT) sends to many peers, each at the one port it listens on (nDPI's
 * gnutella.pcap: 1,239 datagrams from one port to as many peers). Crossing on such
 * datagrams still needs the failures to outnumber the answers two to one, unless their TTL
 * changed from one to the next: a stack keeps a socket's TTL, nmap -sU draws each probe's
 * anew (37 to 59), so those are hand-built like an empty one and cross on their own (a scan
 * of six ports of which the two open ones answered first was missed otherwise).
 * Failures say nothing of a source that stops and waits for each answer (track.h,
 * track_pace): a meter's or a script's requests to a list of servers, most of them silent.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct udp_state {
	struct track_pace pace; /* first: it outlives the window (.keeps) */
	uint32_t empty, failed, answered;
	uint32_t reused; /* probes from the last one's source port to another port */
	uint32_t sport;  /* the last probe's source port plus one (0: none) */
	uint16_t dport;  /* and its destination port */
	uint8_t ttl;     /* and its TTL (IPv6: hop limit) */
};
TRACK_STATE_FITS(struct udp_state);

static inline struct udp_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct udp_state);
}

static inline const struct udp_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct udp_state);
}

static bool udp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		struct udp_state *st = st_of(e);
		track_pace_probe(&st->pace, e, ev->ts_us);
		if (ev->repeat)
			return true;
		uint32_t sport = ev->pkt ? ev->pkt->sport + 1u : 0; /* 0: none */
		uint8_t ttl = ev->pkt ? ev->pkt->ttl : 0;
		bool same = sport && sport == st->sport;
		bool reused = same && ev->port != st->dport && track_has_addr(e, &ev->dst);
		bool redrawn = same && ttl != st->ttl;
		st->sport = sport;
		st->dport = ev->port;
		st->ttl = ttl;
		if ((ev->crafted || reused) && track_pair_add(e, &ev->dst, ev->port)) {
			e->score++;
			if (ev->crafted || redrawn)
				st->empty++;
			else
				st->reused++;
		}
		return true;
	}
	if (ev->outcome == OUT_REFUSED || ev->outcome == OUT_UNREACH ||
	    ev->outcome == OUT_TIMEOUT) {
		if (track_pair_add(e, &ev->dst, ev->port))
			e->score++;
		if (track_failed_add(e, &ev->dst, ev->port))
			st_of(e)->failed++;
	} else if (ev->outcome == OUT_SUCCESS) {
		track_pace_answer(&st_of(e)->pace, e, ev->ts_us);
		if (track_answered_add(e, &ev->dst, ev->port))
			st_of(e)->answered++;
	}
	return true;
}

/*
 * Every first contact a new host, each at a port of its own: a peer-to-peer node's one socket
 * going through its list of peers, each listening at the port it chose (Skype's supernode list
 * in Cisco mercury's capture2.pcap: 80 peers at 80 ports, a fifth of them gone, most of the
 * rest in one ISP's /8, so not scattered). A scan goes through ports of the hosts it tries or
 * through hosts at the ports it tries: a port or a host comes round again.
 */
static bool peer_walk(const struct track_entry *e)
{
	uint64_t n = e->first_contacts;
	return n >= 2 && track_distinct_targets(e) == n && track_distinct_ports(e) == n;
}

static bool udp_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	if (e->score < r->threshold)
		return false;
	/* datagrams with payloads cross only on failures seen: the answers to a DHT node's
	 * queries, sent from its one socket to many peers' ports, come after them */
	const struct udp_state *st = cst_of(e);
	return st->empty >= r->threshold ||
	       (st->failed > 0 && st->failed >= DETECT_FAIL_PER_ANSWER * (uint64_t)st->answered &&
	        !track_spread_scattered(e) && !peer_walk(e) &&
	        !track_pace_waits(&st->pace, st->answered));
}

/* One or two ports across many hosts is a host sweep (nmap -PU), whichever rule sees it
 * first: the udp_sweep rule then finds it reported under the same kind. */
static enum sw_kind udp_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	return detect_udp_kind(e);
}

const struct detector detect_udp = {
    .name = "udp",
    .probes_belong = true,
    .summary = "UDP port scans",
    .classes = 1u << PC_UDP,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .spread = true,
    .keeps = sizeof(struct track_pace),
    .on_event = udp_event,
    .crossed = udp_crossed,
    .kind = udp_kind,
};
