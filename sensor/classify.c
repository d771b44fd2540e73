/* classify.c — turns decoded packets into probe and outcome events with a bounded flow table. */
#include "scanwatch/classify.h"

#include <stdlib.h>
#include <string.h>

#include "scanwatch/defaults.h"

/* Flow key in canonical order (lower endpoint first) so both directions find one entry. */
struct flow_key {
	uint8_t kind; /* FK_IP or FK_ARP */
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint16_t zero;
	struct sw_addr lo, hi;
};

enum { FK_IP = 1, FK_ARP = 2 };

enum flow_state {
	FS_SYN_SENT = 1, /* SYN seen, no answer yet */
	FS_SYNACK,       /* SYN-ACK seen */
	FS_ESTABLISHED,  /* handshake done (or picked up mid-stream) */
	FS_PROBE,    /* a non-TCP-SYN probe awaiting its answer (stealth, UDP, echo, ARP, proto) */
	FS_ANSWERED, /* the probe was answered; the flow goes on */
	FS_CLOSED,   /* RST/FIN seen; lingering to absorb trailing packets */
};

/* LRU lists, one per timeout. */
enum { L_PENDING = 0, L_ACTIVE = 1, L_CLOSED = 2, L_REFUSED = 3, L_RETRY = 4, L_COUNT };

struct flow {
	struct htab_node node;
	struct flow_key key;
	uint8_t state;
	uint8_t pclass;
	uint8_t crafted;
	uint8_t init_lo; /* the initiator (prober) is key.lo */
	uint8_t data;    /* payload seen on an established flow */
	uint8_t fin;     /* FIN seen */
	uint16_t port;   /* the probed port (event port) */
	uint8_t path;    /* a rung of a TTL ladder: neither it nor its outcome is an event */
	uint8_t used;    /* ARP: the asker's traffic to the resolved address was seen */
	uint8_t quiet;   /* a probe whose silence is no outcome: a QUIC client's Initial, a
	                  * DHCP server's conflict check (struct dhcp_server) */
	uint32_t isn;    /* TCP: the SYN's sequence number (a retransmission repeats it) */
};

/*
 * Who recently sent IPv4 to whom, so a host that answers a client it has not
 * resolved yet (the server ARPs for each new client) is not taken for an ARP
 * sweep. Direct-mapped and overwritten: a lost entry only means that one
 * request is counted as a probe.
 */
#define HEARD_SLOTS     4096
#define HEARD_WINDOW_US (5ULL * 1000000)
struct heard {
	uint64_t pair; /* source << 32 | destination */
	uint64_t ts;
};

/*
 * TTL ladders (path probes). traceroute, tcptraceroute and mtr send their
 * probes with TTL 1, 2, 3 ... so that each router on the way answers with an
 * ICMP time exceeded (RFC 792; RFC 4443 3.3): what they map is the path, not
 * the target's services, and the few rungs that reach the target are the end
 * of the ladder. Wherever the sensor sits on the path, the first rung it sees
 * arrives with TTL 1 (the rungs before died on the way), so a probe is a rung
 * when every TTL from 1 up to its own was seen between the same two hosts.
 * Direct-mapped by the keyed hash of the pair; a lost ladder only means its
 * later rungs are taken for ordinary probes.
 */
#define LADDER_SLOTS 4096
struct ladder {
	struct sw_addr src, dst;
	uint64_t ts;
	uint32_t ttls;   /* bit t - 1: TTL t seen */
	uint32_t exempt; /* rungs taken out so far */
};

/*
 * Recent UDP probes by (prober, its port, target): an answer can come from
 * another port of the target (TFTP answers from a new port, RFC 1350 section
 * 4), and without this the target's answer would look like a probe of its
 * own, sent by the host that was probed.
 */
#define SENT_SLOTS 4096
struct udp_sent {
	struct sw_addr a, b; /* prober, target */
	uint64_t ts;
	uint16_t aport, bport;
};

/*
 * Recent UDP queries to a group (multicast, or broadcast at either layer) by
 * (querier, its port). Name and service discovery asks a group and is answered by
 * unicast from hosts the query never named, to the querier's port and from the
 * group's port: LLMNR (RFC 4795 section 2.1.1, port 5355), mDNS one-shot queries
 * (RFC 6762 section 5.1, 5353), NetBIOS name queries (RFC 1002 section 4.2.1, 137),
 * SSDP M-SEARCH (UPnP Device Architecture 1.1 section 1.3.3, 1900), WS-Discovery
 * Probe (3702), DHCPv6 Solicit (RFC 8415 section 7.1, 547 answering 546). Without
 * this every responder looks like a UDP scanner of the querier's ephemeral ports
 * (found on a third-party capture of a Windows LAN: ten LLMNR answers called a
 * udp_scan, over IPv4 and IPv6). Direct-mapped and overwritten.
 */
#define GROUP_SLOTS 1024
struct group_query {
	struct sw_addr a; /* the querier */
	uint64_t ts;
	uint16_t aport, gport; /* its port, the group's */
};

/*
 * Addresses DNS answers gave out (A and AAAA records, RFC 1035 section 4.1.3, RFC 3596),
 * and when. A client that resolves a name and connects to its address is a client: when
 * its kernel SYN or its datagram goes unanswered (a lossy link, a server down, a network
 * still coming up) that silence says nothing of scanning. Scanners walk address ranges
 * and port lists, not names (a scan of one named host resolves it once, and its closed
 * ports still refuse). Found on a third-party capture: a browser starting on a lossy
 * link, SYNs to 12 addresses its resolver had just returned timing out, called a
 * connect scan. Direct-mapped and overwritten; an answer is believed for
 * SW_RESOLVED_US whatever its TTL (clients keep addresses past short CDN TTLs).
 */
#define RESOLVED_SLOTS 4096
/*
 * Pairs (a, b) whose answers from b to a the capture does not hold: a's kernel went on
 * from its SYN to b as from an answered one (its ACK carries the SYN's sequence number
 * plus one) although no SYN-ACK was seen. A capture of one direction (an egress filter,
 * asymmetric routing past a tap, a SPAN of one port's transmit side) holds every
 * client's SYN and none of the answers; a's other probes to b then go unanswered here
 * whatever b said, and their silence is no outcome. Found on a third-party capture of
 * one direction: a host's ssh session and its telnet tries to four ports of the same
 * peer, taken for a connect scan. Direct-mapped and overwritten, for SW_RESOLVED_US.
 */
#define BLIND_SLOTS 1024
struct blind {
	struct sw_addr a, b;
	uint64_t ts;
};
/*
 * DHCP servers and their conflict checks. Before a server offers an address it
 * SHOULD check that nobody holds it, "e.g., with an ICMP echo request" (RFC 2131
 * sections 2.2 and 4.4.1): dnsmasq pings each address for 3 s, ISC dhcpd for 1 s
 * (ping-check). The address is free, so the ping goes unanswered, and the server
 * then answers the client from port 67 to port 68 at that address (yiaddr,
 * section 4.1), where no client yet listens. On a LAN where clients come and go
 * (a Wi-Fi of phones with random MAC addresses) that is, to the sensor, one host
 * pinging address after address in silence and sending datagrams to hosts that
 * never answer: found with dnsmasq and ISC dhcpd and 24 busybox udhcpc clients,
 * an icmp_sweep (TRW) and a udp_sweep of the server.
 *
 * So a BOOTREPLY (op 2) from port 67 to port 68 is an answer, never a probe, and
 * an echo request the server sent to the address it then offers was its check:
 * the echo's flow is closed silently (echo_sent pairs them). A server that has
 * had its checks confirmed so is given credit, one echo per confirmed check, up
 * to DHCP_CREDIT_MAX: its next echo requests are neither hand-built (dnsmasq's
 * and ISC's carry no data, like nmap's) nor failures when unanswered, since a
 * check can race its own offer past the probe timeout. Each check spends a
 * credit its offer earns back; a server host sweeping anything else gets at most
 * DHCP_CREDIT_MAX pings past the rules, fewer than any sweep rule counts.
 * Direct-mapped and overwritten.
 */
#define DHCP_SLOTS      64
#define DHCP_CREDIT_MAX 4
#define DHCP_SERVER_US  (60ULL * 60 * 1000000) /* credit lasts an hour of silence */
#define DHCP_CHECK_US   (5ULL * 1000000)       /* echo to offer: dnsmasq's 3 s and more */
#define ECHO_SENT_SLOTS 1024
struct dhcp_server {
	struct sw_addr a;
	uint64_t ts; /* its last BOOTREPLY */
	uint32_t credit;
};
struct echo_sent {
	struct sw_addr a, b; /* pinger, pinged */
	uint64_t ts;
	uint16_t id;
};
#define SW_RESOLVED_US (15ULL * 60 * 1000000)
struct resolved {
	struct sw_addr a;
	uint64_t ts;
};

/*
 * IPv4 hosts seen sending anything, and when (seconds): an ARP request for one
 * of them re-resolves a known neighbour. Direct-mapped and overwritten.
 */
#define ALIVE_SLOTS 16384

struct classify {
	struct heard heard[HEARD_SLOTS];
	struct ladder ladder[LADDER_SLOTS];
	struct udp_sent sent[SENT_SLOTS];
	struct group_query group[GROUP_SLOTS];
	struct resolved resolved[RESOLVED_SLOTS];
	struct blind blind[BLIND_SLOTS];
	struct dhcp_server dhcp[DHCP_SLOTS];
	bool dhcp_seen; /* a DHCP server's check was confirmed: dhcp[] is worth a look */
	struct echo_sent echo[ECHO_SENT_SLOTS];
	uint64_t alive[ALIVE_SLOTS]; /* address << 32 | seconds */
	uint64_t arp_last;           /* time of the last ARP probe (0: none) */
	uint64_t nd_last;            /* time of the last neighbour solicitation probe (0: none) */
	uint64_t alive_salt;         /* from the table key: where an address lands is secret */
	struct htab *flows;
	classify_sink sink;
	void *ctx;
	uint64_t now;
	/*
	 * No flow of list l can expire before due[l]: at most "head touch time +
	 * the list's timeout"; next_due is the least of them. classify_advance
	 * runs on every packet, returns at once while now < next_due and walks
	 * only the lists that are due. Every list is in touch order with times
	 * from the monotonic `now`, so only an entry placed on a list can bring
	 * its expiry closer, and flow_touch / flow_insert lower due[] for it.
	 */
	uint64_t due[L_COUNT];
	uint64_t next_due;
	uint8_t sipkey[16]; /* the flow table's key (flow_hash) */
	struct classify_stats st;
};

/* How long a flow stays on each list untouched (defaults.h says why each is what it is). */
static const uint64_t list_timeout[L_COUNT] = {
    [L_PENDING] = SW_PROBE_TIMEOUT_US, [L_ACTIVE] = SW_FLOW_IDLE_US,
    [L_CLOSED] = SW_FLOW_LINGER_US,    [L_REFUSED] = SW_REFUSED_LINGER_US,
    [L_RETRY] = SW_SYN_RETRY_US,
};

/* An entry put on `list` at ts is due at ts + timeout: bring next_due forward to it. A sum
 * that wraps (absurd capture times) gives a small value, which only makes advance look. */
static inline void due_note(struct classify *c, unsigned list, uint64_t ts)
{
	uint64_t due = ts + list_timeout[list];
	if (due < c->due[list]) {
		c->due[list] = due;
		if (due < c->next_due)
			c->next_due = due;
	}
}

static inline void flow_touch(struct classify *c, void *f, unsigned list, uint64_t ts)
{
	htab_touch(c->flows, f, list, ts);
	due_note(c, list, ts);
}

static inline void *flow_insert(struct classify *c, const void *key, uint64_t h, unsigned list,
                                uint64_t ts)
{
	void *f = htab_insert(c->flows, key, h, list, ts);
	due_note(c, list, ts);
	return f;
}

size_t classify_flow_size(void)
{
	return sizeof(struct flow);
}

/* A connection or association that began before the capture, seen by its data (sender_lo: who
 * sent it): an established flow, so what its ends send later is no probe. */
static void picked_up(struct classify *c, const struct flow_key *k, uint64_t h, bool sender_lo,
                      uint8_t pclass, uint16_t port)
{
	struct flow *f = flow_insert(c, k, h, L_ACTIVE, c->now);
	f->state = FS_ESTABLISHED;
	f->data = 1;
	f->init_lo = sender_lo;
	f->pclass = pclass;
	f->port = port;
}

static void flow_evicted(void *ctx, void *entry)
{
	/* A flow pushed out by memory pressure has no known outcome: it is dropped
	 * silently here and counted by the table (evict_full / evict_chain). */
	(void)ctx;
	(void)entry;
}

struct classify *classify_create(size_t max_flows, const uint8_t key[16], classify_sink sink,
                                 void *ctx)
{
	struct classify *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->flows = htab_create(sizeof(struct flow), offsetof(struct flow, key),
	                       sizeof(struct flow_key), max_flows, L_COUNT, key, flow_evicted, c);
	if (!c->flows) {
		free(c);
		return NULL;
	}
	memcpy(c->sipkey, key, sizeof c->sipkey);
	memcpy(&c->alive_salt, key + 8, sizeof c->alive_salt);
	c->sink = sink;
	c->ctx = ctx;
	return c;
}

void classify_destroy(struct classify *c)
{
	if (!c)
		return;
	htab_destroy(c->flows);
	free(c);
}

void classify_get_stats(const struct classify *c, struct classify_stats *out)
{
	*out = c->st;
	htab_get_stats(c->flows, &out->flows);
}

/* Builds the canonical key; returns whether (a, pa) is the lower endpoint. */
static bool make_key(struct flow_key *k, uint8_t kind, uint8_t proto, const struct sw_addr *a,
                     uint16_t pa, const struct sw_addr *b, uint16_t pb)
{
	memset(k, 0, sizeof *k);
	k->kind = kind;
	k->proto = proto;
	int cmp = addr_cmp(a, b);
	bool a_lo = cmp < 0 || (cmp == 0 && pa <= pb);
	if (a_lo) {
		k->lo = *a;
		k->hi = *b;
		k->port_lo = pa;
		k->port_hi = pb;
	} else {
		k->lo = *b;
		k->hi = *a;
		k->port_lo = pb;
		k->port_hi = pa;
	}
	return a_lo;
}

static inline bool is_v4_mapped(const struct sw_addr *a)
{
	uint64_t head;
	memcpy(&head, a->a, 8);
	return head == 0 && a->a[8] == 0 && a->a[9] == 0 && a->a[10] == 0xff && a->a[11] == 0xff;
}

/*
 * The flow table's hash, computed once per packet and handed to both the
 * lookup and the insert. A flow between two IPv4 ends hashes a 16-byte
 * packing of its key (the 8 bytes of kind, protocol, ports and tag, then the
 * two IPv4 addresses) instead of all 40 bytes, whose other 24 are the
 * constant ::ffff: prefixes (RFC 4291 section 2.5.5.2): SipHash pays a round
 * per 8-byte block. The packing is one-to-one on IPv4 keys, and every other
 * key is hashed whole at 40 bytes; SipHash's last block carries the length,
 * so distinct keys remain distinct inputs to the keyed PRF and an attacker
 * without the key still cannot aim at a bucket (STYLE.md item 6).
 */
static uint64_t flow_hash(const struct classify *c, const struct flow_key *k)
{
	_Static_assert(offsetof(struct flow_key, lo) == 8, "the packing takes the first 8 bytes");
	if (is_v4_mapped(&k->lo) && is_v4_mapped(&k->hi)) {
		uint8_t packed[16];
		memcpy(packed, k, 8);
		memcpy(packed + 8, k->lo.a + 12, 4);
		memcpy(packed + 12, k->hi.a + 12, 4);
		return hash_siphash13(c->sipkey, packed, sizeof packed);
	}
	return hash_siphash13(c->sipkey, k, sizeof *k);
}

/* Is the packet's sender the flow's initiator? */
static inline bool from_initiator(const struct flow *f, bool sender_lo)
{
	return f->init_lo == sender_lo;
}

/* Hands ev to the sink, time-stamped with the table's clock, and counts it. */
static void emit(struct classify *c, struct sw_event *ev)
{
	ev->ts_us = c->now;
	if (ev->type == EV_PROBE)
		c->st.probes++;
	else
		c->st.outcomes++;
	c->sink(c->ctx, ev);
}

/* What a probe is, besides the packet that carries it (src, dst and the packet itself). */
struct probe {
	uint8_t pclass; /* enum probe_class */
	uint8_t proto;  /* IP protocol (0 for ARP) */
	uint16_t port;  /* see struct sw_event */
	bool crafted;   /* no ordinary stack sends this shape */
	bool repeat;    /* a retransmission of a probe already seen on its flow */
};

static void emit_probe(struct classify *c, const struct sw_packet *p, struct probe pr)
{
	struct sw_event ev = {
	    .type = EV_PROBE,
	    .pclass = pr.pclass,
	    .crafted = pr.crafted,
	    .repeat = pr.repeat,
	    .proto = pr.proto,
	    .port = pr.port,
	    .src = p->src,
	    .dst = p->dst,
	    .pkt = p,
	};
	emit(c, &ev);
}

/* The prober and the target of a flow, from its key. */
static void flow_ends(const struct flow *f, struct sw_addr *prober, struct sw_addr *target)
{
	*prober = f->init_lo ? f->key.lo : f->key.hi;
	*target = f->init_lo ? f->key.hi : f->key.lo;
}

static void emit_outcome(struct classify *c, const struct flow *f, uint8_t outcome,
                         const struct sw_packet *pkt)
{
	if (f->path)
		return; /* the ladder's answers map the path, not the target */
	struct sw_addr prober, target;
	flow_ends(f, &prober, &target);
	struct sw_event ev = {
	    .type = EV_OUTCOME,
	    .pclass = f->pclass,
	    .outcome = outcome,
	    .crafted = f->crafted,
	    .proto = f->key.kind == FK_ARP ? 0 : f->key.proto,
	    .port = f->port,
	    .src = prober,
	    .dst = target,
	    .pkt = pkt,
	};
	emit(c, &ev);
}

static struct flow *new_probe_flow(struct classify *c, const struct flow_key *k, uint64_t h,
                                   bool init_lo, uint8_t state, uint8_t pclass, bool crafted,
                                   uint16_t port)
{
	struct flow *f = flow_insert(c, k, h, L_PENDING, c->now);
	f->state = state;
	f->pclass = pclass;
	f->crafted = crafted;
	f->init_lo = init_lo;
	f->port = port;
	return f;
}

static void set_state(struct classify *c, struct flow *f, uint8_t state)
{
	unsigned list = L_ACTIVE;
	if (state == FS_SYN_SENT || state == FS_PROBE || state == FS_SYNACK)
		list = L_PENDING;
	else if (state == FS_CLOSED)
		list = L_CLOSED;
	f->state = state;
	flow_touch(c, f, list, c->now);
}

static void refused(struct classify *c, struct flow *f)
{
	f->state = FS_CLOSED;
	flow_touch(c, f, L_REFUSED, c->now);
}

/* The keyed hash of the ordered pair (a, b): where the pair lands in the side tables kept by
 * pair (ladders, blind pairs, echo requests), which compare the addresses themselves. Two
 * IPv4 ends hash their 8 bytes, not the 32 of the mapped pair (as flow_hash packs its key:
 * one SipHash block instead of four, on every probe's ladder check); other pairs hash
 * whole, and the lengths keep the two kinds distinct inputs to the keyed PRF. */
static inline uint64_t pair_hash(const struct classify *c, const struct sw_addr *a,
                                 const struct sw_addr *b)
{
	if (is_v4_mapped(a) && is_v4_mapped(b)) {
		uint8_t packed[8];
		memcpy(packed, a->a + 12, 4);
		memcpy(packed + 4, b->a + 12, 4);
		return hash_siphash13(c->sipkey, packed, sizeof packed);
	}
	struct sw_addr k[2] = {*a, *b};
	return hash_siphash13(c->sipkey, k, sizeof k);
}

/* Is this probe a rung of a TTL ladder between its two hosts? (see struct ladder) pair is
 * pair_hash of its source and destination. */
static bool path_rung_at(struct classify *c, const struct sw_packet *p, uint64_t pair)
{
	if (p->ttl == 0 || p->ttl > SW_PATH_MAX_TTL)
		return false;
	struct ladder *l = &c->ladder[pair & (LADDER_SLOTS - 1)];
	if (!addr_eq(&l->src, &p->src) || !addr_eq(&l->dst, &p->dst) ||
	    l->ts + SW_PATH_IDLE_US < c->now) {
		l->src = p->src;
		l->dst = p->dst;
		l->ttls = 0;
		l->exempt = 0;
	}
	l->ts = c->now;
	l->ttls |= 1u << (p->ttl - 1);
	uint32_t below = p->ttl == 32 ? UINT32_MAX : (1u << p->ttl) - 1;
	if ((l->ttls & below) != below)
		return false; /* a rung is missing below it: no ladder */
	if (l->exempt >= SW_PATH_PER_TTL * (uint32_t)__builtin_popcount(l->ttls))
		return false; /* more tries than a path probe makes */
	l->exempt++;
	c->st.path++;
	return true;
}

static bool path_rung(struct classify *c, const struct sw_packet *p)
{
	return path_rung_at(c, p, pair_hash(c, &p->src, &p->dst));
}

bool classify_syn_crafted(const struct sw_packet *pkt)
{
	/*
	 * Every mainstream stack (Linux, Windows, macOS/iOS, the BSDs, Android)
	 * has offered window scaling and SACK in its SYNs since the early 2000s
	 * (RFC 7323, RFC 2018). A SYN with neither is built by hand: nmap (MSS
	 * only), masscan and hping3 (no options), zmap (MSS only). Payload on a
	 * SYN without a TFO cookie (kind 34) is also not what a stack sends.
	 */
	const struct pkt_tcp_opts *o = &pkt->tcp_opts;
	if (!o->has_sack_perm && !o->has_wscale)
		return true;
	if (pkt->payload_len > 0) {
		for (unsigned i = 0; i < o->count; i++)
			if (o->kinds[i] == 34)
				return false;
		return true;
	}
	return false;
}

/*
 * An echo request from a scanner's own packet builder, though it carries data: zmap's
 * (IPv4 identification 54321, which zmap writes into every probe, and TTL 255 less the hops
 * on the way: an OS ping starts at 64 or 128) or masscan's (its data, PKT_F_ICMP_COUNTING).
 */
static bool echo_builder(const struct sw_packet *p)
{
	if (p->flags & PKT_F_ICMP_COUNTING)
		return true;
	return p->l3 == PKT_L3_IPV4 && p->ip_id == 54321 && p->ttl > 128;
}

/*
 * A bare ACK or FIN/ACK that a scanner built: no options (Linux, macOS and the
 * BSDs put timestamps on every segment), no payload, and a window that only
 * packet builders use (nmap 1024-4096, masscan 1024, hping3 64 and 512).
 * Windows sends option-less ACKs too, but with windows in the tens of
 * thousands; those wait for their outcome instead.
 */
static bool stealth_crafted(const struct sw_packet *pkt)
{
	uint16_t w = pkt->tcp_window;
	bool builder_window =
	    w == 1024 || w == 2048 || w == 3072 || w == 4096 || w == 512 || w == 64 || w == 0;
	return pkt->tcp_opts.count == 0 && pkt->payload_len == 0 && builder_window;
}

static bool is_multicast_or_broadcast(const struct sw_addr *a)
{
	if (addr_is_v4(a))
		return a->a[12] >= 224 || (a->a[12] == 255) ||
		       (a->a[12] == 0 && a->a[13] == 0 && a->a[14] == 0 && a->a[15] == 0);
	return a->a[0] == 0xff;
}

/*
 * Sent to a group: by its IP address, or as an IPv4 directed broadcast, which is known
 * only by its frame's broadcast MAC and an address whose host part is all ones. The host
 * part of a /30 or shorter prefix has at least two bits, so an address ending in binary
 * 11 with a group MAC is taken for one (192.168.1.255, 10.0.0.127); any other address in
 * a broadcast frame is still a unicast probe: a forged frame to the broadcast MAC reaches
 * the target's IP stack like any other (a generated DNS flood sent that way, in a
 * third-party capture, stays a flood).
 */
static bool to_group(const struct sw_packet *p)
{
	if (is_multicast_or_broadcast(&p->dst))
		return true;
	return (p->flags & PKT_F_L2_GROUP) && addr_is_v4(&p->dst) && (p->dst.a[15] & 3) == 3;
}

static uint8_t stealth_class(uint8_t flags)
{
	switch (flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG)) {
	case 0:
		return PC_TCP_NULL;
	case TCP_FIN:
		return PC_TCP_FIN;
	case TCP_FIN | TCP_PSH | TCP_URG:
		return PC_TCP_XMAS;
	case TCP_FIN | TCP_ACK:
		return PC_TCP_MAIMON;
	case TCP_ACK:
		return PC_TCP_ACK;
	default:
		return PC_TCP_ODD;
	}
}

/*
 * A TCP RST or an SCTP ABORT on a flow (init: sent by its initiator): a refusal of a
 * probe, the prober dropping a half-open handshake (nmap -sS, -sY), or an end. A real
 * connection lingers for its trailing packets. A probe that never became one lingers only
 * briefly, for the prober's own reset of the answer (masscan sends one), keeping the table
 * small under scans.
 */
static inline struct blind *blind_slot(struct classify *c, const struct sw_addr *a,
                                       const struct sw_addr *b)
{
	return &c->blind[pair_hash(c, a, b) & (BLIND_SLOTS - 1)];
}

static void blind_note(struct classify *c, const struct sw_addr *a, const struct sw_addr *b)
{
	struct blind *s = blind_slot(c, a, b);
	s->a = *a;
	s->b = *b;
	s->ts = c->now;
}

static bool was_blind(struct classify *c, const struct sw_addr *a, const struct sw_addr *b)
{
	const struct blind *s = blind_slot(c, a, b);
	return s->ts != 0 && s->ts + SW_RESOLVED_US >= c->now && addr_eq(&s->a, a) &&
	       addr_eq(&s->b, b);
}

static void flow_reset(struct classify *c, const struct sw_packet *p, struct flow *f, bool init)
{
	switch (f->state) {
	case FS_SYN_SENT:
	case FS_PROBE:
		if (!init)
			emit_outcome(c, f, OUT_REFUSED, p);
		break;
	case FS_SYNACK:
		/* The prober's RST acknowledging the SYN-ACK, from an ordinary stack: a socket
		 * that took the handshake as done and closed at once with SO_LINGER 0, its ACK
		 * held back (TCP_QUICKACK off) and then replaced by the reset. HAProxy's TCP
		 * health check does exactly this (SYN, SYN-ACK, RST+ACK with the socket's
		 * timestamps), to spare the server a session. A raw-socket scanner's SYN-ACK is
		 * reset by its kernel, which has no socket for it: that RST takes its sequence
		 * number from the SYN-ACK's acknowledgment and carries no ACK (RFC 9293 3.10.7.1),
		 * and masscan's own reset is the same. So this one is a connection made and
		 * closed with no data, as nmap -sT's of an open port (OUT_EMPTY).
		 *
		 * That kernel reset after an ordinary stack's SYN is a SYN-ACK that came too
		 * late: the socket that sent the SYN was closed before it arrived. A client
		 * racing IPv6 against IPv4 (Happy Eyeballs, RFC 8305: curl after 200 ms,
		 * browsers after 250-300 ms) closes the attempt that lost, and over a slow
		 * IPv6 path every site it visits leaves one such reset: real curl fetching 8
		 * sites whose IPv6 SYN-ACKs took 600 ms was a tcp_sweep and a connect_scan.
		 * A connect() with a short timeout does the same. The target answered, so
		 * this too is an open port and no failure (OUT_EMPTY), not a half-open probe:
		 * a raw-socket scanner that copies an OS's SYN to pass for a client is then
		 * seen by its closed ports, as a connect scan is. */
		if (init && p && p->proto == 6 && !f->crafted &&
		    p->tcp_seq == (uint32_t)(f->isn + 1)) {
			emit_outcome(c, f, OUT_EMPTY, p);
			break;
		}
		emit_outcome(c, f, init ? OUT_HALFOPEN : OUT_REFUSED, p);
		break;
	case FS_ESTABLISHED:
		if (!f->data)
			emit_outcome(c, f, OUT_EMPTY, p);
		break;
	default:
		break;
	}
	if (f->state == FS_ESTABLISHED || f->state == FS_ANSWERED)
		set_state(c, f, FS_CLOSED);
	else if (f->state != FS_CLOSED)
		refused(c, f);
	else
		flow_touch(c, f, f->node.list, c->now);
}

static void classify_tcp(struct classify *c, const struct sw_packet *p)
{
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, 6, &p->src, p->sport, &p->dst, p->dport);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	uint8_t fl = p->tcp_flags;
	bool syn = fl & TCP_SYN, ack = fl & TCP_ACK, rst = fl & TCP_RST, fin = fl & TCP_FIN;

	if (syn && !ack && !rst) {
		bool crafted = classify_syn_crafted(p);
		if (f && from_initiator(f, sender_lo) &&
		    (f->state == FS_SYN_SENT || f->state == FS_SYNACK) &&
		    (f->crafted || p->tcp_seq == f->isn)) {
			/* retransmission: a probe packet, not a new target. A kernel's
			 * (same 4-tuple, same ISN) is one connection attempt: it waits
			 * for its answer across the RFC 6298 back-off, instead of timing
			 * out between two of its own retransmissions. */
			if (!f->crafted && f->state == FS_SYN_SENT)
				flow_touch(c, f, L_RETRY, c->now);
			if (!f->path)
				emit_probe(c, p,
				           (struct probe){.pclass = PC_TCP_SYN,
				                          .proto = 6,
				                          .port = p->dport,
				                          .crafted = crafted,
				                          .repeat = true});
			return;
		}
		if (f) /* port reuse after the old flow ended, or a simultaneous open */
			htab_remove(c->flows, f);
		f = new_probe_flow(c, &k, h, sender_lo, FS_SYN_SENT, PC_TCP_SYN, crafted, p->dport);
		f->isn = p->tcp_seq;
		if ((f->path = path_rung(c, p)))
			return;
		emit_probe(
		    c, p,
		    (struct probe){
		        .pclass = PC_TCP_SYN, .proto = 6, .port = p->dport, .crafted = crafted});
		return;
	}
	if (f) {
		bool init = from_initiator(f, sender_lo);
		if (rst) {
			flow_reset(c, p, f, init);
			return;
		}
		switch (f->state) {
		case FS_SYN_SENT:
			if (syn && ack && !init) {
				set_state(c, f, FS_SYNACK);
			} else if (init && ack && !syn && !f->crafted &&
			           p->tcp_seq == (uint32_t)(f->isn + 1)) {
				/* the handshake completed out of the capture's sight (blind above)
				 */
				blind_note(c, &p->src, &p->dst);
				set_state(c, f, FS_ESTABLISHED);
				emit_outcome(c, f, OUT_ESTABLISHED, p);
				goto established;
			}
			return;
		case FS_SYNACK:
			if (init && ack && !syn) {
				set_state(c, f, FS_ESTABLISHED);
				emit_outcome(c, f, OUT_ESTABLISHED, p);
				goto established;
			}
			return;
		case FS_PROBE:
			/* a stealth "probe" answered by something other than RST: it was
			 * the middle of a real connection that began before we saw it */
			if (!init) {
				emit_outcome(c, f, OUT_SUCCESS, p);
				f->data = 1;
				set_state(c, f, FS_ESTABLISHED);
			}
			return;
		case FS_ESTABLISHED:
		established:
			if (p->payload_len > 0 && !f->data) {
				f->data = 1;
				emit_outcome(c, f, OUT_SUCCESS, p);
			}
			if (fin) {
				if (!f->data && !f->fin)
					emit_outcome(c, f, OUT_EMPTY, p);
				f->fin = 1;
				set_state(c, f, FS_CLOSED);
				return;
			}
			flow_touch(c, f, L_ACTIVE, c->now);
			return;
		case FS_CLOSED:
		default:
			flow_touch(c, f, L_CLOSED, c->now);
			return;
		}
	}
	/* No flow. */
	if (rst) {
		/* answers nothing we saw: RST flood, or backscatter of spoofed traffic */
		emit_probe(
		    c, p,
		    (struct probe){
		        .pclass = PC_TCP_RST, .proto = 6, .port = p->dport, .crafted = true});
		return;
	}
	if (syn) /* SYN-ACK with no SYN: backscatter or a capture that began mid-handshake */
		return;
	if (p->payload_len > 0) {
		/* data: a connection that began before the capture; remember it quietly */
		picked_up(c, &k, h, sender_lo, PC_TCP_ACK, p->dport);
		return;
	}
	uint8_t pc = stealth_class(fl);
	bool crafted = (pc == PC_TCP_ACK || pc == PC_TCP_MAIMON) ? stealth_crafted(p) : true;
	f = new_probe_flow(c, &k, h, sender_lo, FS_PROBE, pc, crafted, p->dport);
	if ((f->path = path_rung(c, p)))
		return;
	emit_probe(c, p,
	           (struct probe){.pclass = pc, .proto = 6, .port = p->dport, .crafted = crafted});
}

static inline struct udp_sent *sent_slot(struct classify *c, const struct sw_addr *a,
                                         uint16_t aport, const struct sw_addr *b)
{
	struct {
		struct sw_addr a, b;
		uint16_t aport;
	} k;
	memset(&k, 0, sizeof k);
	k.a = *a;
	k.b = *b;
	k.aport = aport;
	return &c->sent[hash_siphash13(c->sipkey, &k, sizeof k) & (SENT_SLOTS - 1)];
}

static inline struct resolved *resolved_slot(struct classify *c, const struct sw_addr *a)
{
	return &c->resolved[hash_siphash13(c->sipkey, a, sizeof *a) & (RESOLVED_SLOTS - 1)];
}

static bool was_resolved(struct classify *c, const struct sw_addr *a)
{
	const struct resolved *r = resolved_slot(c, a);
	return r->ts != 0 && r->ts + SW_RESOLVED_US >= c->now && addr_eq(&r->a, a);
}

/* Past a domain name at *off (RFC 1035 section 4.1.4: labels, ending in a zero octet or a
 * two-octet pointer). False when it runs off the message or is malformed. */
static bool dns_skip_name(const uint8_t *m, size_t len, size_t *off)
{
	for (unsigned labels = 0; labels < 128; labels++) {
		if (*off >= len)
			return false;
		uint8_t l = m[*off];
		if ((l & 0xC0) == 0xC0) {
			*off += 2;
			return *off <= len;
		}
		if (l & 0xC0)
			return false; /* 0x40 and 0x80: extended label types, unused (RFC 6891 5) */
		*off += 1u + l;
		if (l == 0)
			return true;
	}
	return false;
}

/* A DNS response's A and AAAA answers (first DNS_MAX_ANSWERS), into the resolved table. */
#define DNS_MAX_QUESTIONS 4
#define DNS_MAX_ANSWERS   32
static void dns_answers(struct classify *c, const struct sw_packet *p)
{
	const uint8_t *m = p->payload;
	size_t len = p->payload_cap, off = 12;
	if (!m || len < 12 || (p->flags & PKT_F_FRAG) || !(m[2] & 0x80) || (m[3] & 0x0F) != 0)
		return; /* not a response, or not NOERROR */
	unsigned qd = (unsigned)m[4] << 8 | m[5], an = (unsigned)m[6] << 8 | m[7];
	if (qd > DNS_MAX_QUESTIONS)
		return;
	for (unsigned i = 0; i < qd; i++)
		if (!dns_skip_name(m, len, &off) || (off += 4) > len)
			return;
	for (unsigned i = 0; i < an && i < DNS_MAX_ANSWERS; i++) {
		if (!dns_skip_name(m, len, &off) || off + 10 > len)
			return;
		unsigned type = (unsigned)m[off] << 8 | m[off + 1];
		unsigned cls = (unsigned)m[off + 2] << 8 | m[off + 3];
		size_t rdlen = (size_t)m[off + 8] << 8 | m[off + 9];
		off += 10;
		if (off + rdlen > len)
			return;
		struct sw_addr a = {0};
		bool v4 = type == 1 && cls == 1 && rdlen == 4,
		     v6 = type == 28 && cls == 1 && rdlen == 16;
		if (v4) {
			a.a[10] = a.a[11] = 0xff;
			memcpy(a.a + 12, m + off, 4);
		} else if (v6) {
			memcpy(a.a, m + off, 16);
		}
		if (v4 || v6) {
			struct resolved *r = resolved_slot(c, &a);
			r->a = a;
			r->ts = c->now;
		}
		off += rdlen;
	}
}

static inline struct group_query *group_slot(struct classify *c, const struct sw_addr *a,
                                             uint16_t aport)
{
	struct {
		struct sw_addr a;
		uint16_t aport;
	} k;
	memset(&k, 0, sizeof k);
	k.a = *a;
	k.aport = aport;
	return &c->group[hash_siphash13(c->sipkey, &k, sizeof k) & (GROUP_SLOTS - 1)];
}

static void group_asked(struct classify *c, const struct sw_packet *p)
{
	struct group_query *q = group_slot(c, &p->src, p->sport);
	q->a = p->src;
	q->aport = p->sport;
	q->gport = p->dport;
	q->ts = c->now;
}

/* A datagram from a group's port to the port that asked the group, shortly after. */
static bool group_answer(struct classify *c, const struct sw_packet *p)
{
	const struct group_query *q = group_slot(c, &p->dst, p->dport);
	return q->ts != 0 && q->ts + SW_PROBE_TIMEOUT_US >= c->now && q->aport == p->dport &&
	       q->gport == p->sport && addr_eq(&q->a, &p->dst);
}

/*
 * A datagram from b to the port a probed b from, shortly after: b's answer,
 * from another port of its own (TFTP). True when it was one (the probe's
 * outcome is then reported).
 */
static bool udp_answer(struct classify *c, const struct sw_packet *p)
{
	const struct udp_sent *s = sent_slot(c, &p->dst, p->dport, &p->src);
	if (s->ts + SW_PROBE_TIMEOUT_US < c->now || s->aport != p->dport ||
	    !addr_eq(&s->a, &p->dst) || !addr_eq(&s->b, &p->src))
		return false;
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, 17, &p->dst, p->dport, &p->src, s->bport);
	struct flow *f = htab_find(c->flows, &k, flow_hash(c, &k));
	c->st.answers++;
	if (f && f->state == FS_PROBE && from_initiator(f, sender_lo)) {
		emit_outcome(c, f, OUT_SUCCESS, p);
		set_state(c, f, FS_ANSWERED);
	}
	return true;
}

/* An empty datagram is what nmap -sU and most UDP scanners send to ports without a
 * protocol-specific payload, and a filler one (one byte value repeated) what hping3 -d
 * sends; clients always say something. */
static bool udp_handmade(const struct sw_packet *p)
{
	return p->payload_len == 0 || (p->flags & PKT_F_UDP_FILLER);
}

static inline struct dhcp_server *dhcp_slot(struct classify *c, const struct sw_addr *a)
{
	return &c->dhcp[hash_siphash13(c->sipkey, a, sizeof *a) & (DHCP_SLOTS - 1)];
}

static inline struct echo_sent *echo_slot(struct classify *c, uint64_t pair)
{
	return &c->echo[pair & (ECHO_SENT_SLOTS - 1)];
}

/*
 * A new echo request p (IPv4) whose pair hash is pair: remembered for the offer that may
 * follow it. True when its sender is a DHCP server with a credit, which the request spends
 * (struct dhcp_server): it is then taken for a conflict check.
 */
static bool echo_sent_note(struct classify *c, const struct sw_packet *p, uint64_t pair)
{
	struct echo_sent *e = echo_slot(c, pair);
	e->a = p->src;
	e->b = p->dst;
	e->id = p->icmp_id;
	e->ts = c->now;
	if (!c->dhcp_seen)
		return false;
	struct dhcp_server *s = dhcp_slot(c, &p->src);
	if (s->credit == 0 || s->ts + DHCP_SERVER_US < c->now || !addr_eq(&s->a, &p->src))
		return false;
	s->credit--; /* the offer that follows earns it back */
	return true;
}

/*
 * The server that made a BOOTREPLY m of len captured bytes: its server identifier (option
 * 54, RFC 2132 section 9.7) when the capture holds it, else the sender, src. A relay agent
 * (RFC 1542) hands the client an answer that the server, elsewhere, made and checked.
 */
static void dhcp_server_id(const uint8_t *m, size_t len, const struct sw_addr *src,
                           struct sw_addr *out)
{
	static const uint8_t cookie[4] = {99, 130, 83, 99}; /* RFC 2131 section 3 */
	*out = *src;
	if (len < 240 || memcmp(m + 236, cookie, sizeof cookie) != 0)
		return;
	for (size_t off = 240; off < len;) {
		uint8_t code = m[off];
		if (code == 0) { /* pad */
			off++;
			continue;
		}
		if (code == 255 || off + 2 > len || off + 2 + m[off + 1] > len)
			return;
		if (code == 54 && m[off + 1] == 4) {
			addr_set_v4(out, m + off + 2);
			return;
		}
		off += 2 + (size_t)m[off + 1];
	}
}

/*
 * A DHCP (BOOTP) server's answer to a client: from port 67 to port 68, op BOOTREPLY (2),
 * at least the 236 bytes of fixed fields (RFC 2131 section 2, RFC 951), the offered
 * address yiaddr at offset 16. True when it was one; an echo request the server sent
 * to that address shortly before was its conflict check (struct dhcp_server).
 */
static bool dhcp_reply(struct classify *c, const struct sw_packet *p)
{
	if (p->sport != 67 || p->dport != 68 || p->payload_len < 236 || p->payload_cap < 20 ||
	    p->payload[0] != 2 || p->payload[2] > 16 || !addr_is_v4(&p->src))
		return false;
	struct sw_addr yi, srv;
	addr_set_v4(&yi, p->payload + 16);
	dhcp_server_id(p->payload, p->payload_cap, &p->src, &srv);
	struct echo_sent *e = echo_slot(c, pair_hash(c, &srv, &yi));
	if (e->ts == 0 || e->ts + DHCP_CHECK_US < c->now || !addr_eq(&e->a, &srv) ||
	    !addr_eq(&e->b, &yi))
		return true;
	e->ts = 0; /* one offer confirms one check */
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, 1, &srv, e->id, &yi, 0);
	k.zero = 8;
	struct flow *f = htab_find(c->flows, &k, flow_hash(c, &k));
	if (f && f->state == FS_PROBE && from_initiator(f, sender_lo))
		set_state(c, f, FS_ANSWERED); /* the check, not a probe: no outcome */
	struct dhcp_server *s = dhcp_slot(c, &srv);
	if (!addr_eq(&s->a, &srv) || s->ts + DHCP_SERVER_US < c->now) {
		s->a = srv;
		s->credit = 0;
	}
	s->ts = c->now;
	if (s->credit < DHCP_CREDIT_MAX)
		s->credit++;
	c->dhcp_seen = true;
	c->st.dhcp_checks++;
	return true;
}

static void classify_udp(struct classify *c, const struct sw_packet *p)
{
	if (p->sport == 53)
		dns_answers(c, p);
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, 17, &p->src, p->sport, &p->dst, p->dport);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (f) {
		bool init = from_initiator(f, sender_lo);
		if (f->state == FS_PROBE) {
			if (init) {
				/* a sender that keeps talking keeps its flow: a one-way stream
				 * (syslog, metrics) is one flow, not a new one each timeout */
				flow_touch(c, f, L_PENDING, c->now);
				/* a QUIC client's Initial after its 0-RTT packet, which a capture
				 * may show first (a mirror's batch: all at one timestamp) */
				if (p->flags & PKT_F_QUIC_INITIAL)
					f->quiet = 1;
				if (!f->path)
					emit_probe(c, p,
					           (struct probe){.pclass = PC_UDP,
					                          .proto = 17,
					                          .port = p->dport,
					                          .crafted = udp_handmade(p),
					                          .repeat = true});
			} else {
				emit_outcome(c, f, OUT_SUCCESS, p);
				set_state(c, f, FS_ANSWERED);
			}
			return;
		}
		flow_touch(c, f, f->state == FS_CLOSED ? L_CLOSED : L_ACTIVE, c->now);
		return;
	}
	if (dhcp_reply(c, p)) {
		c->st.ignored++;
		return;
	}
	if (to_group(p)) {
		group_asked(c, p);
		return;
	}
	if (udp_answer(c, p))
		return;
	if (group_answer(c, p)) {
		c->st.answers++;
		return;
	}
	if (p->sport < 1024 && p->dport >= 1024 && p->payload_len > 0) {
		/* a service answering a client whose request we did not see (asymmetric
		 * capture, or a flow we forgot): DNS, NTP, SNMP replies are not probes */
		c->st.ignored++;
		return;
	}
	bool crafted = udp_handmade(p);
	f = new_probe_flow(c, &k, h, sender_lo, FS_PROBE, PC_UDP, crafted, p->dport);
	/* A browser whose QUIC is blocked sends Initials to one server after another and falls
	 * back to TCP (RFC 9000 section 6.2 has it give up on silence): their timeouts say
	 * nothing (a third-party capture: 11 unanswered Initials to 7 Google addresses, taken
	 * for a UDP sweep). A refusal still counts, as does a zmap QUIC sweep's refused probes. */
	f->quiet = (p->flags & PKT_F_QUIC_INITIAL) != 0;
	struct udp_sent *s = sent_slot(c, &p->src, p->sport, &p->dst);
	s->a = p->src;
	s->b = p->dst;
	s->aport = p->sport;
	s->bport = p->dport;
	s->ts = c->now;
	if ((f->path = path_rung(c, p)))
		return;
	emit_probe(
	    c, p,
	    (struct probe){.pclass = PC_UDP, .proto = 17, .port = p->dport, .crafted = crafted});
}

/* SCTP chunk types (RFC 9260 section 3.2; I-DATA is RFC 8260's). */
enum {
	SCTP_DATA = 0,
	SCTP_INIT = 1,
	SCTP_INIT_ACK = 2,
	SCTP_ABORT = 6,
	SCTP_SHUTDOWN = 7,
	SCTP_SHUTDOWN_ACK = 8,
	SCTP_COOKIE_ECHO = 10,
	SCTP_COOKIE_ACK = 11,
	SCTP_SHUTDOWN_COMPLETE = 14,
	SCTP_I_DATA = 64,
};

/*
 * An INIT no SCTP stack sends: without any parameter (the 20-byte fixed part
 * alone; Linux and FreeBSD always offer at least their supported address
 * types and extensions, RFC 9260 section 3.3.2.1), with a verification tag
 * other than 0 (section 8.5.1 requires 0) or with flags set (none are
 * defined). nmap -sY's INIT is the bare fixed part (scan_engine_raw.cc).
 */
static bool sctp_init_crafted(const struct sw_packet *p)
{
	return p->sctp.chunk_len <= 20 || p->sctp.vtag != 0 || p->sctp.chunk_flags != 0;
}

/* Chunks bundled after the first one (each padded to 4 bytes, section 3.2). */
static bool sctp_bundled(const struct sw_packet *p)
{
	return p->payload_len > (((uint32_t)p->sctp.chunk_len + 3) & ~3u);
}

/* An INIT: a new probe, or a retransmission of the one this flow is waiting on. */
static void sctp_init(struct classify *c, const struct sw_packet *p, struct flow *f,
                      const struct flow_key *k, uint64_t h, bool sender_lo)
{
	bool crafted = sctp_init_crafted(p);
	if (f && f->state == FS_ESTABLISHED) {
		/* An INIT on an association that is up: a restart, or the two ends' INITs
		 * crossing (section 5.2.2), which the association's stacks settle: no probe. */
		flow_touch(c, f, L_ACTIVE, c->now);
		return;
	}
	if (f && from_initiator(f, sender_lo) && f->state == FS_SYN_SENT &&
	    f->pclass == PC_SCTP_INIT && (f->crafted || p->sctp.init_tag == f->isn)) {
		/* A stack retransmits its INIT with the same initiate tag (section 5.1,
		 * T1-init): one attempt, waiting across its back-off as for TCP. */
		if (!f->crafted)
			flow_touch(c, f, L_RETRY, c->now);
		if (!f->path)
			emit_probe(c, p,
			           (struct probe){.pclass = PC_SCTP_INIT,
			                          .proto = 132,
			                          .port = p->dport,
			                          .crafted = crafted,
			                          .repeat = true});
		return;
	}
	if (f) /* a new association over a finished one's ports, or an INIT collision */
		htab_remove(c->flows, f);
	f = new_probe_flow(c, k, h, sender_lo, FS_SYN_SENT, PC_SCTP_INIT, crafted, p->dport);
	f->isn = p->sctp.init_tag;
	if ((f->path = path_rung(c, p)))
		return;
	emit_probe(c, p,
	           (struct probe){
	               .pclass = PC_SCTP_INIT, .proto = 132, .port = p->dport, .crafted = crafted});
}

/* A COOKIE-ECHO that no INIT-ACK asked for: nmap -sZ's probe (section 5.1, step D). */
static void sctp_cookie_probe(struct classify *c, const struct sw_packet *p, struct flow *f,
                              const struct flow_key *k, uint64_t h, bool sender_lo)
{
	if (f && f->state == FS_PROBE && f->pclass == PC_SCTP_COOKIE &&
	    from_initiator(f, sender_lo)) {
		if (!f->path)
			emit_probe(c, p,
			           (struct probe){.pclass = PC_SCTP_COOKIE,
			                          .proto = 132,
			                          .port = p->dport,
			                          .crafted = true,
			                          .repeat = true});
		return;
	}
	if (f)
		htab_remove(c->flows, f);
	f = new_probe_flow(c, k, h, sender_lo, FS_PROBE, PC_SCTP_COOKIE, true, p->dport);
	if ((f->path = path_rung(c, p)))
		return;
	emit_probe(c, p,
	           (struct probe){
	               .pclass = PC_SCTP_COOKIE, .proto = 132, .port = p->dport, .crafted = true});
}

/*
 * SCTP (RFC 9260): INIT and an unasked-for COOKIE-ECHO are probes; the
 * first chunk of what comes back decides (section 5.1 and 8.4: INIT-ACK from
 * a listener, ABORT from a port without one). An association that got past
 * its four-way handshake (INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK) is traffic
 * like an established TCP connection: its chunks are never probes.
 */
static void classify_sctp(struct classify *c, const struct sw_packet *p)
{
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, 132, &p->src, p->sport, &p->dst, p->dport);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	uint8_t t = p->sctp.chunk_type;

	if (t == SCTP_INIT) {
		sctp_init(c, p, f, &k, h, sender_lo);
		return;
	}
	/* A COOKIE-ECHO is the handshake's third step only after an INIT-ACK to its sender. */
	if (t == SCTP_COOKIE_ECHO &&
	    (!f || (f->state != FS_SYNACK && f->state != FS_ESTABLISHED &&
	            (from_initiator(f, sender_lo) || f->state == FS_CLOSED)))) {
		sctp_cookie_probe(c, p, f, &k, h, sender_lo);
		return;
	}
	if (!f) {
		if (t == SCTP_DATA || t == SCTP_I_DATA) {
			/* data: an association that began before the capture; remember it
			 * quietly, as TCP's, so what its ends send later is not taken for a
			 * probe (a COOKIE-ECHO sent again, an INIT that restarts it) */
			picked_up(c, &k, h, sender_lo, PC_SCTP_INIT, p->dport);
			return;
		}
		/* answers and aborts of traffic we never saw: not probes */
		c->st.ignored++;
		return;
	}
	bool init = from_initiator(f, sender_lo);
	switch (t) {
	case SCTP_ABORT:
		flow_reset(c, p, f, init);
		return;
	case SCTP_INIT_ACK:
		if (f->state == FS_SYN_SENT && !init)
			set_state(c, f, FS_SYNACK);
		return;
	case SCTP_COOKIE_ECHO:
		if (f->state == FS_SYNACK && init) {
			/* the handshake goes on: an association, no longer a probe */
			set_state(c, f, FS_ESTABLISHED);
			if (sctp_bundled(p)) { /* DATA may ride with the cookie (section 5.1) */
				f->data = 1;
				emit_outcome(c, f, OUT_SUCCESS, p);
			}
			return;
		}
		break;
	case SCTP_COOKIE_ACK:
		if (f->state == FS_PROBE && !init) {
			/* a stray cookie accepted: whatever it was, it was answered */
			emit_outcome(c, f, OUT_SUCCESS, p);
			set_state(c, f, FS_ANSWERED);
			return;
		}
		break;
	case SCTP_DATA:
	case SCTP_I_DATA:
		if (f->state == FS_ESTABLISHED && !f->data) {
			f->data = 1;
			emit_outcome(c, f, OUT_SUCCESS, p);
		}
		break;
	case SCTP_SHUTDOWN:
	case SCTP_SHUTDOWN_ACK:
	case SCTP_SHUTDOWN_COMPLETE:
		if (f->state == FS_ESTABLISHED) {
			if (!f->data && !f->fin)
				emit_outcome(c, f, OUT_EMPTY, p);
			f->fin = 1;
			set_state(c, f, FS_CLOSED);
			return;
		}
		break;
	default:
		break;
	}
	if (f->state == FS_SYN_SENT || f->state == FS_PROBE || f->state == FS_SYNACK)
		return; /* the probe still waits for its answer, on its own schedule */
	flow_touch(c, f, f->state == FS_CLOSED ? L_CLOSED : L_ACTIVE, c->now);
}

/* An ICMP error's verdict on the probe it quotes, besides the outcomes. */
enum {
	ERR_TTL = OUT__COUNT, /* time exceeded: the probe died on the way */
	ERR_UNROUTED,         /* no route to the destination: the path failed, not the target */
};

/*
 * Destination unreachable codes that a router sends when it has no route at all:
 * ICMPv4 net unreachable (0), destination network unknown (6), net unreachable for
 * type of service (11) (RFC 792, RFC 1122 3.2.2.1); ICMPv6 no route (0), beyond the
 * scope of the source address (2), source address failed policy (5), reject route (6)
 * (RFC 4443 3.1). They say that the sender's network cannot reach the destination's,
 * nothing of the target: a host whose IPv6 is broken gets one for every connection its
 * programs try (a third-party capture: a client's connects to Google, Fastly and Yahoo
 * over IPv6, each answered "no route" by its router, called a connect scan). A sweep of a
 * routed site meets host unreachable (v4 code 1, v6 code 3) for its empty addresses, a
 * filter's prohibited, or silence: those stay failures.
 */
static bool unrouted(bool v6, uint8_t code)
{
	if (v6)
		return code == 0 || code == 2 || code == 5 || code == 6;
	return code == 0 || code == 6 || code == 11;
}

/* An ICMP/ICMPv6 error: the outcome of the probe it quotes (RFC 792, RFC 4443 section 3), or
 * ERR_TTL / ERR_UNROUTED. */
static void classify_icmp_error(struct classify *c, const struct sw_packet *p, unsigned outcome)
{
	if (!(p->flags & PKT_F_QUOTED))
		return;
	const struct pkt_quoted *q = &p->quoted;
	struct flow_key k;
	if ((q->proto == 6 || q->proto == 17 || q->proto == 132) && q->has_ports) {
		/* an SCTP quote without ports is a bare protocol-132 header's (below) */
		make_key(&k, FK_IP, q->proto, &q->src, q->sport, &q->dst, q->dport);
	} else if (q->proto == 6 || q->proto == 17) {
		return;
	} else if (q->proto == 1 || q->proto == 58) {
		return; /* errors about our own echo traffic: the echo's timeout decides */
	} else {
		make_key(&k, FK_IP, q->proto, &q->src, 0, &q->dst, 0);
	}
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (!f || (f->state != FS_PROBE && f->state != FS_SYN_SENT))
		return;
	if (outcome == ERR_TTL) {
		/* time exceeded: the probe died on the way and says nothing of the target */
		c->st.expired++;
		f->path = 1;
	} else if (outcome == ERR_UNROUTED) {
		c->st.unrouted++; /* the probe keeps no outcome: neither failure nor success */
	} else {
		emit_outcome(c, f, (uint8_t)outcome, p);
	}
	refused(c, f);
}

/*
 * A neighbour solicitation (RFC 4861 4.3) is IPv6's ARP who-has, and what
 * nmap -6 -sn sends on a LAN instead of echo requests. It goes to the
 * target's solicited-node multicast group (ff02::1:ffXX:XXXX, RFC 4291
 * 2.7.1), whose low 24 bits stand for the target here. Solicitations from
 * the unspecified address are duplicate address detection, and unicast ones
 * check a neighbour already known: neither asks for anyone new.
 */
static const uint8_t nd_snm[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

/* The solicited-node group that stands for addr (RFC 4291 2.7.1: its low 24 bits). */
static void nd_group(struct sw_addr *g, const struct sw_addr *addr)
{
	memcpy(g->a, nd_snm, sizeof nd_snm);
	memcpy(g->a + sizeof nd_snm, addr->a + sizeof nd_snm, sizeof g->a - sizeof nd_snm);
}

static void classify_nd_solicit(struct classify *c, const struct sw_packet *p)
{
	static const struct sw_addr unspecified;
	if (addr_eq(&p->src, &unspecified) || memcmp(p->dst.a, nd_snm, sizeof nd_snm) != 0)
		return;
	c->nd_last = c->now;
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_ARP, 58, &p->src, 0, &p->dst, 0);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (f) {
		if (f->state == FS_PROBE)
			emit_probe(c, p,
			           (struct probe){
			               .pclass = PC_ARP, .proto = 58, .port = 0, .repeat = true});
		return;
	}
	new_probe_flow(c, &k, h, sender_lo, FS_PROBE, PC_ARP, false, 0);
	emit_probe(c, p, (struct probe){.pclass = PC_ARP, .proto = 58, .port = 0});
}

/*
 * A neighbour advertisement (RFC 4861 4.4) from the address solicited, to the
 * asker: the answer to the solicitation sent to that address's group.
 */
static void classify_nd_advert(struct classify *c, const struct sw_packet *p)
{
	struct sw_addr g;
	nd_group(&g, &p->src);
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_ARP, 58, &g, 0, &p->dst, 0);
	struct flow *f = htab_find(c->flows, &k, flow_hash(c, &k));
	if (f && f->state == FS_PROBE && !from_initiator(f, sender_lo)) {
		emit_outcome(c, f, OUT_SUCCESS, p);
		set_state(c, f, FS_ANSWERED);
	}
}

/*
 * The IPv6 counterpart of arp_used: the asker's first packet to an address
 * whose group it solicited (a SYN, a datagram, an echo request) is the kernel
 * sending what it queued for the neighbour it resolved. Reported once per
 * solicitation as OUT_USED. The group keys 24 bits of the address: two
 * neighbours sharing them are taken for one, which can only lower a sweep's
 * count.
 */
static void nd_used(struct classify *c, const struct sw_packet *p)
{
	if (!(p->flags & PKT_F_HAS_L4))
		return;
	bool opener = (p->proto == 6 && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) ||
	              p->proto == 17 || (p->proto == 58 && p->icmp_type == 128);
	if (!opener)
		return;
	struct sw_addr g;
	nd_group(&g, &p->dst);
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_ARP, 58, &p->src, 0, &g, 0);
	struct flow *f = htab_find(c->flows, &k, flow_hash(c, &k));
	if (!f || f->used || !from_initiator(f, sender_lo))
		return;
	f->used = 1;
	if (f->state == FS_PROBE) {
		emit_outcome(c, f, OUT_SUCCESS, NULL); /* its answer was not captured */
		set_state(c, f, FS_ANSWERED);
	}
	emit_outcome(c, f, OUT_USED, p);
}

static void classify_icmp(struct classify *c, const struct sw_packet *p)
{
	bool v6 = p->proto == 58;
	uint8_t t = p->icmp_type, code = p->icmp_code;
	bool request, reply;
	uint8_t pclass = PC_ICMP_ECHO;

	if (!v6) {
		if (t == 3) { /* destination unreachable: port (3) and protocol (2) mean closed */
			classify_icmp_error(c, p,
			                    unrouted(v6, code)         ? ERR_UNROUTED
			                    : (code == 3 || code == 2) ? OUT_REFUSED
			                                               : OUT_UNREACH);
			return;
		}
		if (t == 11) { /* time exceeded (RFC 792): a path probe's rung, or a loop */
			classify_icmp_error(c, p, ERR_TTL);
			return;
		}
		request = t == 8 || t == 13 || t == 15 || t == 17;
		reply = t == 0 || t == 14 || t == 16 || t == 18;
		if (t != 8 && t != 0)
			pclass = PC_ICMP_OTHER;
	} else {
		if (t == 1) { /* RFC 4443 3.1: code 4 is port unreachable */
			classify_icmp_error(c, p,
			                    unrouted(v6, code) ? ERR_UNROUTED
			                    : code == 4        ? OUT_REFUSED
			                                       : OUT_UNREACH);
			return;
		}
		if (t == 4 && code == 1) { /* unrecognised next header: protocol closed */
			classify_icmp_error(c, p, OUT_REFUSED);
			return;
		}
		if (t == 3) { /* time exceeded (RFC 4443 3.3) */
			classify_icmp_error(c, p, ERR_TTL);
			return;
		}
		if (t == 135) {
			classify_nd_solicit(c, p);
			return;
		}
		if (t == 136) {
			classify_nd_advert(c, p);
			return;
		}
		request = t == 128;
		reply = t == 129;
	}
	if (!request && !reply)
		return; /* redirects, time exceeded, neighbour discovery, MLD: not probes */
	/* Requests key as (src, id) -> (dst, 0), replies as (src, 0) -> (dst, id): one flow. */
	struct flow_key k;
	uint8_t kt = request ? t : (uint8_t)(v6 ? 128 : (t == 0 ? 8 : t - 1));
	bool sender_lo = request ? make_key(&k, FK_IP, p->proto, &p->src, p->icmp_id, &p->dst, 0)
	                         : make_key(&k, FK_IP, p->proto, &p->src, 0, &p->dst, p->icmp_id);
	k.zero = kt; /* echo and timestamp flows of the same id stay apart */
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (request) {
		if (to_group(p))
			return;
		/* nmap and hping3 send echo requests without data; ping(8) sends 56 bytes
		 * and Windows 32. Non-echo requests are obsolete (RFC 6918) and only
		 * scanners send them. zmap's and masscan's carry data, but their own:
		 * echo_builder. */
		bool crafted = pclass == PC_ICMP_OTHER || p->payload_len == 0 || echo_builder(p);
		if (f) {
			if (f->state != FS_PROBE)
				flow_touch(c, f, L_ACTIVE, c->now);
			/* ping(8), ping -f and hping3 --icmp keep one identifier and count the
			 * sequence up: every request after the first is a repeat of the flow,
			 * answered or not, and a flood is made of them (icmp_flood) */
			if (!f->path)
				emit_probe(c, p,
				           (struct probe){.pclass = pclass,
				                          .proto = p->proto,
				                          .port = kt,
				                          .crafted = crafted,
				                          .repeat = true});
			return;
		}
		uint64_t pair = pair_hash(c, &p->src, &p->dst);
		bool check = !v6 && t == 8 && echo_sent_note(c, p, pair);
		if (check)
			crafted = false; /* a DHCP server's conflict check carries no data either */
		f = new_probe_flow(c, &k, h, sender_lo, FS_PROBE, pclass, crafted, kt);
		f->quiet = check;
		if ((f->path = path_rung_at(c, p, pair)))
			return;
		emit_probe(
		    c, p,
		    (struct probe){
		        .pclass = pclass, .proto = p->proto, .port = kt, .crafted = crafted});
		return;
	}
	if (f && f->state == FS_PROBE && !from_initiator(f, sender_lo)) {
		emit_outcome(c, f, OUT_SUCCESS, p);
		set_state(c, f, FS_ANSWERED);
	} else if (f) {
		flow_touch(c, f, L_ACTIVE, c->now);
	}
}

static inline uint32_t v4_of(const struct sw_addr *a)
{
	return (uint32_t)a->a[12] << 24 | (uint32_t)a->a[13] << 16 | (uint32_t)a->a[14] << 8 |
	       a->a[15];
}

static inline struct heard *heard_slot(struct classify *c, uint64_t pair)
{
	return &c->heard[(pair * 0x9e3779b97f4a7c15ULL) >> (64 - 12)];
}

static void note_heard(struct classify *c, const struct sw_packet *p)
{
	uint64_t pair = (uint64_t)v4_of(&p->src) << 32 | v4_of(&p->dst);
	struct heard *h = heard_slot(c, pair);
	h->pair = pair;
	h->ts = p->ts_us;
}

static inline uint64_t *alive_slot(struct classify *c, uint32_t v4)
{
	uint64_t x = ((uint64_t)v4 ^ c->alive_salt) * 0x9e3779b97f4a7c15ULL;
	return &c->alive[x >> (64 - 14)];
}

static inline void note_alive(struct classify *c, const struct sw_addr *a)
{
	uint32_t v4 = v4_of(a);
	if (v4)
		*alive_slot(c, v4) = (uint64_t)v4 << 32 | (uint32_t)(c->now / 1000000);
}

/* Was `a` seen sending anything within SW_NEIGH_KNOWN_US? */
static bool known_alive(struct classify *c, const struct sw_addr *a)
{
	uint32_t v4 = v4_of(a);
	uint64_t slot = *alive_slot(c, v4);
	uint64_t secs = c->now / 1000000;
	return (slot >> 32) == v4 && (uint32_t)slot + SW_NEIGH_KNOWN_US / 1000000 >= secs;
}

/* Did `from` send IPv4 to `to` within the window? */
static bool was_heard(struct classify *c, const struct sw_addr *from, const struct sw_addr *to)
{
	uint64_t pair = (uint64_t)v4_of(from) << 32 | v4_of(to);
	const struct heard *h = heard_slot(c, pair);
	return h->pair == pair && h->ts + HEARD_WINDOW_US >= c->now;
}

static void classify_arp(struct classify *c, const struct sw_packet *p)
{
	static const struct sw_addr zero4 = {
	    .a = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}};
	/* RFC 5227 probes (sender 0.0.0.0) and gratuitous ARP (sender == target) ask nobody */
	if (addr_eq(&p->src, &p->dst) || addr_eq(&p->src, &zero4))
		return;
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_ARP, 0, &p->src, 0, &p->dst, 0);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (p->arp_op == 1) {
		/* resolving a peer that just spoke to us, to answer it, or re-resolving a
		 * neighbour known to be there (Linux re-probes stale entries, a gateway
		 * re-ARPs hosts that have left): asks for no one new */
		if (!f && (was_heard(c, &p->dst, &p->src) || known_alive(c, &p->dst))) {
			c->st.neigh++;
			note_alive(c, &p->src);
			return;
		}
		note_alive(c, &p->src);
		if (f) {
			if (f->state == FS_PROBE && from_initiator(f, sender_lo))
				emit_probe(
				    c, p,
				    (struct probe){
				        .pclass = PC_ARP, .proto = 0, .port = 0, .repeat = true});
			else
				flow_touch(c, f, f->state == FS_PROBE ? L_PENDING : L_ACTIVE,
				           c->now);
			return;
		}
		new_probe_flow(c, &k, h, sender_lo, FS_PROBE, PC_ARP, false, 0);
		c->arp_last = c->now;
		emit_probe(c, p, (struct probe){.pclass = PC_ARP, .proto = 0, .port = 0});
		return;
	}
	if (p->arp_op == 2)
		note_alive(c, &p->src);
	if (p->arp_op == 2 && f && f->state == FS_PROBE && !from_initiator(f, sender_lo)) {
		emit_outcome(c, f, OUT_SUCCESS, p);
		set_state(c, f, FS_ANSWERED);
	}
}

/* How long after the last ARP probe IPv4 packets are matched against ARP flows: a
 * kernel sends what it queued the moment the answer arrives. */
#define ARP_USE_WINDOW_US (30ULL * 1000000)

/*
 * The asker's first packet to an address it resolved (a SYN, a datagram, an
 * echo request): the ARP request was the kernel resolving a neighbour to talk
 * to it, not a sweep. Reported once per request as OUT_USED.
 */
static void arp_used(struct classify *c, const struct sw_packet *p)
{
	if (!(p->flags & PKT_F_HAS_L4))
		return;
	bool opener = (p->proto == 6 && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) ||
	              p->proto == 17 || (p->proto == 1 && p->icmp_type == 8);
	if (!opener)
		return;
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_ARP, 0, &p->src, 0, &p->dst, 0);
	struct flow *f = htab_find(c->flows, &k, flow_hash(c, &k));
	if (!f || f->used || !from_initiator(f, sender_lo))
		return;
	f->used = 1;
	if (f->state == FS_PROBE) {
		emit_outcome(c, f, OUT_SUCCESS, NULL); /* its answer was not captured */
		set_state(c, f, FS_ANSWERED);
	}
	emit_outcome(c, f, OUT_USED, p);
}

static void classify_other_proto(struct classify *c, const struct sw_packet *p)
{
	struct flow_key k;
	bool sender_lo = make_key(&k, FK_IP, p->proto, &p->src, 0, &p->dst, 0);
	uint64_t h = flow_hash(c, &k);
	struct flow *f = htab_find(c->flows, &k, h);
	if (f) {
		if (f->state == FS_PROBE && !from_initiator(f, sender_lo)) {
			emit_outcome(c, f, OUT_SUCCESS, p);
			set_state(c, f, FS_ANSWERED);
		} else {
			flow_touch(c, f, f->state == FS_PROBE ? L_PENDING : L_ACTIVE, c->now);
		}
		return;
	}
	if (to_group(p))
		return; /* OSPF, VRRP, PIM, IGMP talk to groups */
	new_probe_flow(c, &k, h, sender_lo, FS_PROBE, PC_IPPROTO, p->ip_payload_len < 8, p->proto);
	emit_probe(c, p,
	           (struct probe){.pclass = PC_IPPROTO,
	                          .proto = p->proto,
	                          .port = p->proto,
	                          .crafted = p->ip_payload_len < 8});
}

void classify_packet(struct classify *c, const struct sw_packet *p)
{
	if (p->ts_us > c->now)
		c->now = p->ts_us; /* time never runs backwards inside the tables */
	if (p->l3 == PKT_L3_ARP) {
		classify_arp(c, p);
		return;
	}
	if (p->l3 != PKT_L3_IPV4 && p->l3 != PKT_L3_IPV6)
		return;
	if (p->l3 == PKT_L3_IPV4) {
		note_heard(c, p);
		note_alive(c, &p->src);
		if (c->arp_last && c->now < c->arp_last + ARP_USE_WINDOW_US)
			arp_used(c, p);
	} else if (c->nd_last && c->now < c->nd_last + ARP_USE_WINDOW_US) {
		nd_used(c, p);
	}
	if (p->flags & PKT_F_FRAG_LATER) {
		c->st.ignored++;
		return;
	}
	if (!(p->flags & PKT_F_HAS_L4)) {
		if (p->proto == 6 || p->proto == 17 || p->proto == 1 || p->proto == 58 ||
		    (p->proto == 132 && (p->flags & PKT_F_FRAG))) {
			c->st.ignored++; /* a first fragment too short for its L4 header */
			return;
		}
		classify_other_proto(c, p);
		return;
	}
	switch (p->proto) {
	case 6:
		classify_tcp(c, p);
		break;
	case 17:
		classify_udp(c, p);
		break;
	case 1:
	case 58:
		classify_icmp(c, p);
		break;
	case 132:
		classify_sctp(c, p);
		break;
	default:
		classify_other_proto(c, p);
		break;
	}
}

/* Silence that is no outcome: a QUIC client's Initial's, any probe's to a peer whose
 * answers the capture does not hold, an ordinary stack's SYN or datagram to an address a
 * DNS answer gave out (the blind and resolved tables above say why). */
static bool ordinary_silence(struct classify *c, const struct flow *f)
{
	if (f->quiet)
		return true; /* a QUIC client's Initial (classify_udp), a DHCP server's check */
	struct sw_addr prober, target;
	flow_ends(f, &prober, &target);
	if (was_blind(c, &prober, &target))
		return true;
	if (f->crafted || (f->pclass != PC_TCP_SYN && f->pclass != PC_UDP))
		return false;
	return was_resolved(c, &target);
}

/*
 * Expiry of one list: its head is its oldest entry (touch order, monotonic
 * time). Returns the time the first entry left behind is due, UINT64_MAX when
 * the list ran empty, so the caller learns the next expiry from the walk it
 * makes anyway.
 */
static inline __attribute__((always_inline)) uint64_t expire_list(struct classify *c, unsigned list)
{
	uint64_t timeout = list_timeout[list];
	struct flow *f;

	while ((f = htab_oldest(c->flows, list))) {
		if (f->node.ts + timeout > c->now)
			return f->node.ts + timeout;
		if (list == L_PENDING || list == L_RETRY) {
			/* SYN-ACK but the handshake never finished: a half-open probe
			 * whose scanner sent no RST (masscan/zmap drop the answer). An
			 * ordinary stack answers a SYN-ACK to its own SYN, with an ACK or
			 * (its socket gone) an RST; when the capture shows neither, it
			 * missed them (nDPI's gnutella.pcap, a Windows client behind
			 * VirtualBox's NAT, holds four such handshakes among the hundreds it
			 * completed). The target answered, and Jung et al.'s TRW counts a
			 * SYN-ACK as a success: not a half-open scan's probe. */
			if (f->state == FS_SYNACK)
				emit_outcome(c, f,
				             f->crafted || f->pclass != PC_TCP_SYN ? OUT_HALFOPEN
				                                                   : OUT_SUCCESS,
				             NULL);
			else if (!ordinary_silence(c, f))
				emit_outcome(c, f, OUT_TIMEOUT, NULL);
		} else if (list == L_ACTIVE && f->state == FS_ESTABLISHED && !f->data && !f->fin) {
			emit_outcome(c, f, OUT_EMPTY, NULL);
		}
		htab_count_expired(c->flows);
		htab_remove(c->flows, f);
	}
	return UINT64_MAX;
}

/* The longest list timeout; past UINT64_MAX minus it, ts + timeout can wrap. */
#define LIST_TIMEOUT_MAX SW_FLOW_IDLE_US
_Static_assert(SW_FLOW_IDLE_US >= SW_PROBE_TIMEOUT_US && SW_FLOW_IDLE_US >= SW_FLOW_LINGER_US &&
                   SW_FLOW_IDLE_US >= SW_REFUSED_LINGER_US && SW_FLOW_IDLE_US >= SW_SYN_RETRY_US,
               "LIST_TIMEOUT_MAX must be the longest list timeout");

void classify_advance(struct classify *c, uint64_t now)
{
	if (now > c->now)
		c->now = now;
	if (c->now < c->next_due)
		return; /* nothing can have expired yet: the common case, once per packet */
	/*
	 * Past UINT64_MAX minus the longest timeout (only a hostile capture's
	 * clock gets there) the sums wrap and the heads no longer bound their
	 * lists: every list is walked and the gate stays open for good (c->now
	 * never decreases).
	 */
	bool wrap = c->now > UINT64_MAX - LIST_TIMEOUT_MAX;
	/* The order of the lists is the order the outcomes are reported in; a list with nothing
	 * due yet would stop at its head, so it is not walked. Written out, so that each walk
	 * is compiled for its own list (constant timeout, only its own outcome). */
	if (wrap || c->due[L_PENDING] <= c->now)
		c->due[L_PENDING] = expire_list(c, L_PENDING);
	if (wrap || c->due[L_RETRY] <= c->now)
		c->due[L_RETRY] = expire_list(c, L_RETRY);
	if (wrap || c->due[L_REFUSED] <= c->now)
		c->due[L_REFUSED] = expire_list(c, L_REFUSED);
	if (wrap || c->due[L_CLOSED] <= c->now)
		c->due[L_CLOSED] = expire_list(c, L_CLOSED);
	if (wrap || c->due[L_ACTIVE] <= c->now)
		c->due[L_ACTIVE] = expire_list(c, L_ACTIVE);
	uint64_t due = c->due[0];
	for (unsigned l = 1; l < L_COUNT; l++)
		if (c->due[l] < due)
			due = c->due[l];
	c->next_due = wrap ? 0 : due;
}
