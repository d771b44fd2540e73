/* test_classify.c — flow expiry at its exact times, and what is not a probe: path probes,
 * retransmissions, answers from another port, ARP resolution. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/classify.h"
#include "scanwatch/defaults.h"

#define MAX_EVENTS 64

struct rec {
	struct sw_event ev[MAX_EVENTS];
	int n;
};

static void sink(void *ctx, const struct sw_event *ev)
{
	struct rec *r = ctx;
	if (r->n < MAX_EVENTS)
		r->ev[r->n] = *ev;
	r->n++;
}

static struct classify *make(struct rec *r)
{
	uint8_t key[16];
	memset(r, 0, sizeof *r);
	hash_make_key(key, 5);
	return classify_create(4096, key, sink, r);
}

/* One TCP segment, as decode would leave it. */
static struct sw_packet tcp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                            uint8_t flags, uint16_t payload, uint64_t ts)
{
	struct sw_packet p;
	memset(&p, 0, sizeof p);
	p.ts_us = ts;
	p.src = fixture_ip(src);
	p.dst = fixture_ip(dst);
	p.l3 = addr_is_v4(&p.src) ? PKT_L3_IPV4 : PKT_L3_IPV6;
	p.proto = 6;
	p.flags = PKT_F_HAS_L4;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.tcp_window = 1024;
	p.payload_len = payload;
	return p;
}

/* What the pipeline does per packet: time first, then the packet. */
static void feed(struct classify *c, const struct sw_packet *p)
{
	classify_advance(c, p->ts_us);
	classify_packet(c, p);
}

static uint32_t flows_used(const struct classify *c)
{
	struct classify_stats st;
	classify_get_stats(c, &st);
	return st.flows.used;
}

static int count_outcome(const struct rec *r, uint8_t outcome)
{
	int n = 0;
	for (int i = 0; i < r->n && i < MAX_EVENTS; i++)
		if (r->ev[i].type == EV_OUTCOME && r->ev[i].outcome == outcome)
			n++;
	return n;
}

/* An unanswered SYN times out exactly SW_PROBE_TIMEOUT_US after it was seen, not a tick
 * before, and the outcome names the prober as its source. */
static void test_probe_timeout_boundary(const char *a, const char *b)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = 1700000000000000ULL;
	struct sw_packet syn = tcp(a, 40000, b, 80, TCP_SYN, 0, t0);
	feed(c, &syn);
	CHECK_EQ_U(r.n, 1);
	classify_advance(c, t0 + SW_PROBE_TIMEOUT_US - 1);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	classify_advance(c, t0 + SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 1);
	CHECK(r.n == 2 && addr_eq(&r.ev[1].src, &syn.src) && r.ev[1].port == 80);
	CHECK_EQ_U(flows_used(c), 0);
	classify_destroy(c);
}

/*
 * A probe that arrives while only a long-lived flow is tracked must still
 * time out on its own, shorter, schedule: the next expiry the classifier
 * computed before it (the idle flow's) is later than the probe's.
 */
static void test_probe_after_idle_flow(void)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = 1700000000000000ULL;
	/* data on a flow that began before the capture: kept quietly on the idle list */
	struct sw_packet data = tcp("198.18.0.9", 50000, "198.18.0.2", 443, TCP_ACK, 100, t0);
	feed(c, &data);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t0 + 1000000); /* nothing due: the next expiry is the idle flow's */
	const uint64_t t1 = t0 + 10 * 1000000;
	struct sw_packet syn = tcp("198.18.0.1", 40000, "198.18.0.2", 22, TCP_SYN, 0, t1);
	feed(c, &syn);
	CHECK_EQ_U(flows_used(c), 2);
	classify_advance(c, t1 + SW_PROBE_TIMEOUT_US - 1);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	classify_advance(c, t1 + SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 1);
	CHECK_EQ_U(flows_used(c), 1);
	/* the idle flow goes exactly SW_FLOW_IDLE_US after its last packet, not before */
	classify_advance(c, t0 + SW_FLOW_IDLE_US - 1);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t0 + SW_FLOW_IDLE_US);
	CHECK_EQ_U(flows_used(c), 0);
	classify_destroy(c);
}

/* A packet on an idle flow pushes its expiry back by the packet's time. */
static void test_touch_postpones(void)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = 1700000000000000ULL;
	struct sw_packet d1 = tcp("198.18.0.9", 50000, "198.18.0.2", 443, TCP_ACK, 100, t0);
	feed(c, &d1);
	const uint64_t t1 = t0 + 100 * 1000000;
	/* the answer, from the other end: the same flow */
	struct sw_packet d2 = tcp("198.18.0.2", 443, "198.18.0.9", 50000, TCP_ACK, 200, t1);
	feed(c, &d2);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t0 + SW_FLOW_IDLE_US);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t1 + SW_FLOW_IDLE_US - 1);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t1 + SW_FLOW_IDLE_US);
	CHECK_EQ_U(flows_used(c), 0);
	classify_destroy(c);
}

/* SYN answered by RST: refused at once, then the flow lingers SW_REFUSED_LINGER_US for the
 * prober's trailing packets. The reply is found from the other direction of the key. */
static void test_refused_linger(const char *a, const char *b)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = 1700000000000000ULL;
	struct sw_packet syn = tcp(a, 40000, b, 25, TCP_SYN, 0, t0);
	struct sw_packet rst = tcp(b, 25, a, 40000, TCP_RST | TCP_ACK, 0, t0 + 500);
	feed(c, &syn);
	feed(c, &rst);
	CHECK_EQ_U(count_outcome(&r, OUT_REFUSED), 1);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t0 + 500 + SW_REFUSED_LINGER_US - 1);
	CHECK_EQ_U(flows_used(c), 1);
	classify_advance(c, t0 + 500 + SW_REFUSED_LINGER_US);
	CHECK_EQ_U(flows_used(c), 0);
	/* and no timeout was reported for the refused probe */
	classify_advance(c, t0 + 10 * SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	classify_destroy(c);
}

/* SYN, SYN-ACK and no RST from the scanner: half-open when the probe times out. */
static void test_halfopen_timeout(const char *a, const char *b)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = 1700000000000000ULL;
	struct sw_packet syn = tcp(a, 40001, b, 443, TCP_SYN, 0, t0);
	struct sw_packet sa = tcp(b, 443, a, 40001, TCP_SYN | TCP_ACK, 0, t0 + 200);
	feed(c, &syn);
	feed(c, &sa);
	classify_advance(c, t0 + 200 + SW_PROBE_TIMEOUT_US - 1);
	CHECK_EQ_U(count_outcome(&r, OUT_HALFOPEN), 0);
	classify_advance(c, t0 + 200 + SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_outcome(&r, OUT_HALFOPEN), 1);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	classify_destroy(c);
}

/*
 * HAProxy's TCP health check: an ordinary stack's SYN, the SYN-ACK, and the checker's RST
 * acknowledging it (its ACK held back, the socket closed with SO_LINGER 0). A connection made
 * and closed without data (OUT_EMPTY), not a half-open probe. So is the kernel's reset (no
 * ACK flag) of a SYN-ACK that came after an ordinary stack's socket gave up (the losing
 * attempt of Happy Eyeballs). After a hand-built SYN, or at another sequence number, the
 * reset stays half-open.
 */
static void test_reset_acknowledging_synack(const char *a, const char *b)
{
	static const struct {
		bool crafted;
		uint8_t flags;
		uint32_t seq_delta;
		uint8_t want;
	} cases[] = {
	    {false, TCP_RST | TCP_ACK, 1, OUT_EMPTY},   /* HAProxy */
	    {false, TCP_RST, 1, OUT_EMPTY},             /* too late: the socket was closed */
	    {true, TCP_RST, 1, OUT_HALFOPEN},           /* nmap -sS: its kernel has no socket */
	    {true, TCP_RST | TCP_ACK, 1, OUT_HALFOPEN}, /* a raw-socket prober's own reset */
	    {false, TCP_RST | TCP_ACK, 7, OUT_HALFOPEN},
	    {false, TCP_RST, 7, OUT_HALFOPEN},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec r;
		struct classify *c = make(&r);
		const uint64_t t0 = 1700000000000000ULL;
		struct sw_packet syn = tcp(a, 40002, b, 22, TCP_SYN, 0, t0);
		syn.tcp_seq = 0xfffffff0u;
		if (!cases[i].crafted)
			syn.tcp_opts.has_sack_perm = syn.tcp_opts.has_wscale = true;
		struct sw_packet sa = tcp(b, 22, a, 40002, TCP_SYN | TCP_ACK, 0, t0 + 20);
		struct sw_packet rst = tcp(a, 40002, b, 22, cases[i].flags, 0, t0 + 60);
		rst.tcp_seq = syn.tcp_seq + cases[i].seq_delta;
		feed(c, &syn);
		feed(c, &sa);
		feed(c, &rst);
		classify_advance(c, t0 + 10 * SW_PROBE_TIMEOUT_US);
		CHECK_EQ_U(count_outcome(&r, cases[i].want), 1);
		CHECK_EQ_U(count_outcome(&r, OUT_HALFOPEN) + count_outcome(&r, OUT_EMPTY), 1);
		classify_destroy(c);
	}
}

/*
 * Echo requests with data: ping(8)'s (TTL 64) is an ordinary probe; zmap's (IP identification
 * 54321, TTL 255, or what is left of it after some hops) and masscan's (decode_icmp.c's
 * PKT_F_ICMP_COUNTING) are hand-built, as nmap's without data are. ID 54321 from an OS's TTL
 * is a coincidence, not zmap.
 */
static void test_echo_builders(void)
{
	static const struct {
		uint16_t ip_id;
		uint8_t ttl;
		uint16_t flags;
		uint16_t data;
		bool crafted;
	} cases[] = {
	    {4242, 64, 0, 56, false},                   /* ping(8) */
	    {54321, 255, 0, 12, true},                  /* zmap */
	    {54321, 250, 0, 12, true},                  /* zmap, five hops away */
	    {54321, 64, 0, 56, false},                  /* ping(8) that drew 54321 */
	    {4242, 255, PKT_F_ICMP_COUNTING, 48, true}, /* masscan */
	    {4242, 64, 0, 0, true},                     /* nmap, hping3: no data */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec r;
		struct classify *c = make(&r);
		struct sw_packet p =
		    tcp("198.18.0.1", 0, "198.18.1.9", 0, 0, cases[i].data, 1700000000000000ULL);
		p.proto = 1;
		p.icmp_type = 8;
		p.icmp_id = 0x4242;
		p.ip_id = cases[i].ip_id;
		p.ttl = cases[i].ttl;
		p.flags |= cases[i].flags;
		feed(c, &p);
		CHECK_EQ_U(r.n, 1);
		CHECK(r.ev[0].pclass == PC_ICMP_ECHO && r.ev[0].crafted == cases[i].crafted);
		classify_destroy(c);
	}
}

/*
 * Capture times near the end of the 64-bit range (a hostile file): "seen +
 * timeout" wraps, and such a probe has always been expired at the next
 * advance. That stays so for every later probe too.
 */
static void test_clock_at_the_end(void)
{
	struct rec r;
	struct classify *c = make(&r);
	const uint64_t t0 = UINT64_MAX - 1000;
	struct sw_packet s1 = tcp("198.18.0.1", 40000, "198.18.0.2", 80, TCP_SYN, 0, t0);
	feed(c, &s1);
	classify_advance(c, t0 + 1);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 1);
	struct sw_packet s2 = tcp("198.18.0.1", 40000, "198.18.0.2", 81, TCP_SYN, 0, t0 + 10);
	feed(c, &s2);
	classify_advance(c, t0 + 11);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 2);
	CHECK_EQ_U(flows_used(c), 0);
	classify_destroy(c);
}

/* Many probes at spread-out times: each times out at its own time, in order, none early. */
static void test_many_staggered(void)
{
	struct rec r;
	struct classify *c = make(&r);
	/* all 20 are sent within one probe timeout, so none expires while they are fed */
	const uint64_t t0 = 1700000000000000ULL, step = 130000; /* 0.13 s */
	char dst[32];
	for (int i = 0; i < 20; i++) {
		snprintf(dst, sizeof dst, "198.18.1.%d", i + 1);
		struct sw_packet s =
		    tcp("198.18.0.1", 40000, dst, 80, TCP_SYN, 0, t0 + (uint64_t)i * step);
		feed(c, &s);
	}
	int bad = 0;
	for (int i = 0; i < 20; i++) {
		uint64_t due = t0 + (uint64_t)i * step + SW_PROBE_TIMEOUT_US;
		classify_advance(c, due - 1);
		if (count_outcome(&r, OUT_TIMEOUT) != i)
			bad++;
		classify_advance(c, due);
		if (count_outcome(&r, OUT_TIMEOUT) != i + 1)
			bad++;
	}
	CHECK_EQ_U(bad, 0);
	classify_destroy(c);
}

static int count_probes(const struct rec *r)
{
	int n = 0;
	for (int i = 0; i < r->n && i < MAX_EVENTS; i++)
		n += r->ev[i].type == EV_PROBE;
	return n;
}

/* One UDP datagram. */
static struct sw_packet udp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                            uint16_t payload, uint64_t ts)
{
	struct sw_packet p = tcp(src, sport, dst, dport, 0, payload, ts);
	p.proto = 17;
	return p;
}

/* An ICMP error about a UDP datagram of src:sport -> dst:dport, from `from`. */
static struct sw_packet icmp_err(const char *from, const char *to, uint8_t type, uint8_t code,
                                 const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                 uint64_t ts)
{
	struct sw_packet p = tcp(from, 0, to, 0, 0, 0, ts);
	p.proto = 1;
	p.icmp_type = type;
	p.icmp_code = code;
	p.flags |= PKT_F_QUOTED;
	p.quoted.src = fixture_ip(src);
	p.quoted.dst = fixture_ip(dst);
	p.quoted.sport = sport;
	p.quoted.dport = dport;
	p.quoted.proto = 17;
	p.quoted.has_ports = 1;
	return p;
}

/* UDP traceroute: three probes per TTL from 1 to 6, each to the next port from 33434;
 * routers answer the first five rungs with time exceeded, the target the last with port
 * unreachable. Not one probe or outcome is an event: it is a path, not a scan. The same
 * probes with TTL 64 (no ladder) are six-times-three probes with their outcomes. */
static void test_udp_traceroute(void)
{
	for (int ladder = 1; ladder >= 0; ladder--) {
		struct rec r;
		struct classify *c = make(&r);
		uint64_t t = 1000000;
		uint16_t port = 33434;
		for (uint8_t ttl = 1; ttl <= 6; ttl++)
			for (int q = 0; q < 3; q++) {
				struct sw_packet p =
				    udp("198.18.0.1", 40000, "198.18.3.9", port, 32, t);
				p.ttl = ladder ? ttl : 64;
				feed(c, &p);
				char hop[32];
				snprintf(hop, sizeof hop, "198.18.2.%u", ttl);
				struct sw_packet e =
				    ttl < 6
				        ? icmp_err(hop, "198.18.0.1", 11, 0, "198.18.0.1", 40000,
				                   "198.18.3.9", port, t + 500)
				        : icmp_err("198.18.3.9", "198.18.0.1", 3, 3, "198.18.0.1",
				                   40000, "198.18.3.9", port, t + 500);
				feed(c, &e);
				port++;
				t += 1000;
			}
		classify_advance(c, t + 10 * SW_PROBE_TIMEOUT_US);
		struct classify_stats st;
		classify_get_stats(c, &st);
		if (ladder) {
			CHECK_EQ_U(r.n, 0);
			CHECK_EQ_U(st.path, 18);
			CHECK_EQ_U(st.expired, 15);
		} else {
			CHECK_EQ_U(count_probes(&r), 18);
			CHECK_EQ_U(count_outcome(&r, OUT_REFUSED), 3);
			CHECK_EQ_U(st.path, 0);
		}
		classify_destroy(c);
	}
}

/* A scanner that sends everything with TTL 1 or 2 is a ladder only for SW_PATH_PER_TTL
 * probes a rung: the rest of its probes are probes. */
static void test_ladder_bounded(void)
{
	struct rec r;
	struct classify *c = make(&r);
	for (int i = 0; i < 40; i++) {
		struct sw_packet p = tcp("198.18.0.1", 40000, "198.18.0.2", (uint16_t)(i + 1),
		                         TCP_SYN, 0, 1000000 + (uint64_t)i * 100);
		p.ttl = (uint8_t)(1 + i % 2);
		feed(c, &p);
	}
	CHECK_EQ_U(count_probes(&r), 40 - 2 * SW_PATH_PER_TTL);
	classify_destroy(c);
}

/* A kernel SYN lost twice on a lossy link (same 4-tuple, same ISN, retransmitted after 1 s
 * and 3 s, RFC 6298) is one attempt that then succeeds: one probe, two repeats, no
 * timeout between them. A new ISN on the same 4-tuple is a new attempt. */
static void test_syn_retransmission(void)
{
	struct rec r;
	struct classify *c = make(&r);
	uint64_t t = 5000000;
	uint64_t at[3] = {t, t + 1000000, t + 3000000};
	for (int i = 0; i < 3; i++) {
		struct sw_packet p = tcp("198.18.0.1", 40001, "198.18.0.2", 443, TCP_SYN, 0, at[i]);
		p.tcp_seq = 777;
		p.tcp_opts.has_sack_perm = p.tcp_opts.has_wscale = 1; /* a kernel's SYN */
		feed(c, &p);
	}
	/* the third one is answered 5.5 s after the first was sent */
	struct sw_packet sa =
	    tcp("198.18.0.2", 443, "198.18.0.1", 40001, TCP_SYN | TCP_ACK, 0, t + 5500000);
	feed(c, &sa);
	struct sw_packet ack = tcp("198.18.0.1", 40001, "198.18.0.2", 443, TCP_ACK, 0, t + 5500100);
	feed(c, &ack);
	struct sw_packet data =
	    tcp("198.18.0.1", 40001, "198.18.0.2", 443, TCP_ACK | TCP_PSH, 100, t + 5500200);
	feed(c, &data);
	CHECK_EQ_U(count_probes(&r), 3);
	int repeats = 0;
	for (int i = 0; i < r.n && i < MAX_EVENTS; i++)
		repeats += r.ev[i].type == EV_PROBE && r.ev[i].repeat;
	CHECK_EQ_U(repeats, 2);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	CHECK_EQ_U(count_outcome(&r, OUT_SUCCESS), 1);
	classify_destroy(c);
}

/* nmap -sU asks a TFTP server for a file; the server answers from a new port (RFC 1350
 * section 4) and the scanner's kernel refuses that datagram. The answer is the probe's
 * outcome, and the server is never taken for a prober. */
static void test_answer_from_other_port(void)
{
	struct rec r;
	struct classify *c = make(&r);
	struct sw_packet q = udp("198.18.0.1", 51000, "198.18.0.2", 69, 20, 1000000);
	feed(c, &q);
	struct sw_packet a = udp("198.18.0.2", 47123, "198.18.0.1", 51000, 20, 1000400);
	feed(c, &a);
	struct sw_packet u = icmp_err("198.18.0.1", "198.18.0.2", 3, 3, "198.18.0.2", 47123,
	                              "198.18.0.1", 51000, 1000500);
	feed(c, &u);
	classify_advance(c, 1000000 + 10 * SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_probes(&r), 1);
	CHECK(r.n >= 1 && addr_eq(&r.ev[0].src, &q.src));
	CHECK_EQ_U(count_outcome(&r, OUT_SUCCESS), 1);
	CHECK_EQ_U(count_outcome(&r, OUT_REFUSED), 0);
	CHECK_EQ_U(count_outcome(&r, OUT_TIMEOUT), 0);
	classify_destroy(c);
}

static struct sw_packet arp(const char *sender, const char *target, uint16_t op, uint64_t ts)
{
	struct sw_packet p;
	memset(&p, 0, sizeof p);
	p.ts_us = ts;
	p.l3 = PKT_L3_ARP;
	p.src = fixture_ip(sender);
	p.dst = fixture_ip(target);
	p.arp_op = op;
	return p;
}

/* A client resolves a server, is answered, and connects: OUT_USED. A request for a host
 * seen sending earlier re-resolves a known neighbour: no probe. */
static void test_arp_resolution(void)
{
	struct rec r;
	struct classify *c = make(&r);
	struct sw_packet q = arp("198.18.0.1", "198.18.0.20", 1, 1000000);
	feed(c, &q);
	struct sw_packet a = arp("198.18.0.20", "198.18.0.1", 2, 1000100);
	feed(c, &a);
	struct sw_packet syn = tcp("198.18.0.1", 40000, "198.18.0.20", 80, TCP_SYN, 0, 1000200);
	feed(c, &syn);
	CHECK_EQ_U(count_outcome(&r, OUT_SUCCESS), 1);
	CHECK_EQ_U(count_outcome(&r, OUT_USED), 1);
	/* 198.18.0.30 spoke first; a minute later someone asks for it */
	struct sw_packet hello = udp("198.18.0.30", 5353, "198.18.0.1", 5353, 40, 2000000);
	feed(c, &hello);
	int before = count_probes(&r);
	struct sw_packet re = arp("198.18.0.5", "198.18.0.30", 1, 62000000);
	feed(c, &re);
	CHECK_EQ_U(count_probes(&r), before);
	/* nobody ever heard of 198.18.0.31: a probe */
	struct sw_packet dead = arp("198.18.0.5", "198.18.0.31", 1, 62000100);
	feed(c, &dead);
	CHECK_EQ_U(count_probes(&r), before + 1);
	classify_destroy(c);
}

/* ---- SCTP (RFC 9260) ---- */

enum {
	C_DATA = 0,
	C_INIT = 1,
	C_INIT_ACK = 2,
	C_SACK = 3,
	C_ABORT = 6,
	C_SHUTDOWN = 7,
	C_COOKIE_ECHO = 10,
	C_COOKIE_ACK = 11
};

/* One SCTP packet as decode leaves it: the first chunk's type and length, all chunks' bytes. */
static struct sw_packet sctp(const char *src, uint16_t sport, const char *dst, uint16_t dport,
                             uint8_t type, uint16_t chunk_len, uint16_t payload, uint64_t ts)
{
	struct sw_packet p = tcp(src, sport, dst, dport, 0, payload, ts);
	p.proto = 132;
	p.tcp_window = 0;
	p.sctp.chunk_type = type;
	p.sctp.chunk_len = chunk_len;
	return p;
}

/* nmap -sY's INIT: the 20-byte fixed part alone. */
static struct sw_packet sctp_nmap_init(const char *src, const char *dst, uint16_t dport,
                                       uint64_t ts)
{
	struct sw_packet p = sctp(src, 40000, dst, dport, C_INIT, 20, 20, ts);
	p.sctp.init_tag = 0x1234;
	p.sctp.a_rwnd = 32768;
	p.sctp.out_streams = 10;
	p.sctp.in_streams = 2048;
	return p;
}

/* The target's ICMP or ICMPv6 error quoting the SCTP probe to dport. */
static struct sw_packet sctp_icmp(const char *a, const char *b, uint8_t type, uint8_t code,
                                  uint16_t dport, uint64_t ts)
{
	struct sw_packet p = icmp_err(b, a, type, code, a, 40000, b, dport, ts);
	p.proto = addr_is_v4(&p.src) ? 1 : 58;
	p.quoted.proto = 132;
	return p;
}

static const struct sw_event *outcome_for(const struct rec *r, uint16_t port)
{
	for (int i = 0; i < r->n && i < MAX_EVENTS; i++)
		if (r->ev[i].type == EV_OUTCOME && r->ev[i].port == port)
			return &r->ev[i];
	return NULL;
}

/*
 * nmap -sY's outcomes, one port each: ABORT (closed), INIT-ACK then the
 * prober's ABORT (half-open), INIT-ACK and nothing (half-open at the
 * timeout), nothing (unanswered), ICMP protocol and port unreachable (closed:
 * no SCTP, no listener) and other unreachables (filtered).
 */
static void test_sctp_init_outcomes(const char *a, const char *b)
{
	struct rec r;
	struct classify *c = make(&r);
	struct sw_addr pa = fixture_ip(a);
	bool v4 = addr_is_v4(&pa);
	uint64_t t = 1000000;
	for (uint16_t port = 1; port <= 7; port++) {
		struct sw_packet init = sctp_nmap_init(a, b, port, t + port * 1000);
		feed(c, &init);
	}
	struct sw_packet abort1 = sctp(b, 1, a, 40000, C_ABORT, 4, 4, t + 10000);
	struct sw_packet ack2 = sctp(b, 2, a, 40000, C_INIT_ACK, 300, 300, t + 10001);
	struct sw_packet abort2 = sctp(a, 40000, b, 2, C_ABORT, 4, 4, t + 10002);
	struct sw_packet ack3 = sctp(b, 3, a, 40000, C_INIT_ACK, 300, 300, t + 10003);
	struct sw_packet proto5 = sctp_icmp(a, b, v4 ? 3 : 4, v4 ? 2 : 1, 5, t + 10005);
	struct sw_packet admin6 = sctp_icmp(a, b, v4 ? 3 : 1, v4 ? 13 : 1, 6, t + 10006);
	struct sw_packet port7 = sctp_icmp(a, b, v4 ? 3 : 1, v4 ? 3 : 4, 7, t + 10007);
	const struct sw_packet *answers[] = {&abort1, &ack2,   &abort2, &ack3,
	                                     &proto5, &admin6, &port7};
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
		feed(c, answers[i]);
	classify_advance(c, t + 10 * SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_probes(&r), 7);
	static const uint8_t want[8] = {0,           OUT_REFUSED, OUT_HALFOPEN, OUT_HALFOPEN,
	                                OUT_TIMEOUT, OUT_REFUSED, OUT_UNREACH,  OUT_REFUSED};
	for (uint16_t port = 1; port <= 7; port++) {
		const struct sw_event *ev = outcome_for(&r, port);
		CHECK(ev != NULL);
		if (!ev)
			continue;
		CHECK_EQ_U(ev->outcome, want[port]);
		CHECK(ev->pclass == PC_SCTP_INIT && ev->proto == 132 && ev->crafted);
		CHECK(addr_eq(&ev->src, &pa));
	}
	CHECK_EQ_U(r.n, 14); /* one outcome per probe, no more */
	classify_destroy(c);
}

/* nmap -sZ: COOKIE-ECHOs nobody asked for are probes; ABORT closes, silence is unanswered,
 * and the same chunk again on the same ports is a retransmission. */
static void test_sctp_cookie_probes(void)
{
	struct rec r;
	struct classify *c = make(&r);
	const char *a = "198.18.0.1", *b = "198.18.0.2";
	struct sw_packet ce1 = sctp(a, 40000, b, 1, C_COOKIE_ECHO, 8, 8, 1000000);
	struct sw_packet ce2 = sctp(a, 40000, b, 2, C_COOKIE_ECHO, 8, 8, 1000100);
	struct sw_packet ab1 = sctp(b, 1, a, 40000, C_ABORT, 4, 4, 1000200);
	struct sw_packet ce2b = sctp(a, 40000, b, 2, C_COOKIE_ECHO, 8, 8, 1500000);
	feed(c, &ce1);
	feed(c, &ce2);
	feed(c, &ab1);
	feed(c, &ce2b);
	classify_advance(c, 1500000 + SW_PROBE_TIMEOUT_US);
	CHECK_EQ_U(count_probes(&r), 3);
	int repeats = 0;
	for (int i = 0; i < r.n && i < MAX_EVENTS; i++) {
		if (r.ev[i].type != EV_PROBE)
			continue;
		repeats += r.ev[i].repeat;
		CHECK(r.ev[i].pclass == PC_SCTP_COOKIE && r.ev[i].crafted);
	}
	CHECK_EQ_U(repeats, 1);
	const struct sw_event *o1 = outcome_for(&r, 1), *o2 = outcome_for(&r, 2);
	CHECK(o1 && o1->outcome == OUT_REFUSED && o1->pclass == PC_SCTP_COOKIE);
	CHECK(o2 && o2->outcome == OUT_TIMEOUT);
	classify_destroy(c);
}

/*
 * A real association (a kernel's INIT with parameters, retransmitted once with
 * the same initiate tag; INIT-ACK, COOKIE-ECHO with the state cookie,
 * COOKIE-ACK, DATA, SACK, a retransmitted COOKIE-ECHO, SHUTDOWN): one probe,
 * not crafted, one outcome (answered, at the first DATA); nothing after the
 * handshake is a probe. The same handshake with no DATA before SHUTDOWN is an
 * association opened and closed unused. Chunks of an association that began
 * before the capture are no events at all.
 */
static void test_sctp_association(void)
{
	for (int with_data = 1; with_data >= 0; with_data--) {
		struct rec r;
		struct classify *c = make(&r);
		const char *a = "2001:2::1", *b = "2001:2::2";
		uint64_t t = 1000000;
		struct sw_packet init = sctp(a, 36412, b, 3868, C_INIT, 56, 56, t);
		init.sctp.init_tag = 0xabcdef;
		feed(c, &init);
		init.ts_us = t + 1000000; /* T1-init retransmission: same tag */
		feed(c, &init);
		struct sw_packet pkts[] = {
		    sctp(b, 3868, a, 36412, C_INIT_ACK, 360, 360, t + 1000100),
		    sctp(a, 36412, b, 3868, C_COOKIE_ECHO, 296, 296, t + 1000200),
		    sctp(b, 3868, a, 36412, C_COOKIE_ACK, 4, 4, t + 1000300),
		    sctp(a, 36412, b, 3868, with_data ? C_DATA : C_SACK, 116, 116, t + 1000400),
		    sctp(b, 3868, a, 36412, C_SACK, 16, 16, t + 1000500),
		    sctp(a, 36412, b, 3868, C_COOKIE_ECHO, 296, 296, t + 1000600),
		    sctp(a, 36412, b, 3868, C_SHUTDOWN, 8, 8, t + 1000700),
		};
		for (size_t i = 0; i < sizeof pkts / sizeof pkts[0]; i++)
			feed(c, &pkts[i]);
		classify_advance(c, t + 100 * SW_FLOW_IDLE_US);
		CHECK_EQ_U(count_probes(&r), 2);
		CHECK(r.n >= 2 && !r.ev[0].crafted && r.ev[1].repeat);
		CHECK_EQ_U(count_outcome(&r, OUT_SUCCESS), with_data ? 1 : 0);
		CHECK_EQ_U(count_outcome(&r, OUT_EMPTY), with_data ? 0 : 1);
		CHECK_EQ_U(r.n, 3);
		/* mid-association chunks with no flow: no probe, no outcome */
		int before = r.n;
		struct sw_packet mid[] = {
		    sctp(a, 5000, b, 2905, C_DATA, 100, 100, t + 200 * SW_FLOW_IDLE_US),
		    sctp(b, 2905, a, 5000, C_SACK, 16, 16, t + 200 * SW_FLOW_IDLE_US + 1),
		    sctp(b, 2906, a, 5001, C_ABORT, 4, 4, t + 200 * SW_FLOW_IDLE_US + 2),
		    sctp(b, 2907, a, 5002, C_INIT_ACK, 300, 300, t + 200 * SW_FLOW_IDLE_US + 3),
		};
		for (size_t i = 0; i < sizeof mid / sizeof mid[0]; i++)
			feed(c, &mid[i]);
		classify_advance(c, t + 300 * SW_FLOW_IDLE_US);
		CHECK_EQ_U(r.n, before);
		classify_destroy(c);
	}
}

/* nmap / scanprobe -sO: a bare IP header of protocol 132 is a protocol probe, and the
 * protocol unreachable that quotes it (no SCTP ports in the quote) refuses it. */
static void test_sctp_bare_protocol_probe(void)
{
	struct rec r;
	struct classify *c = make(&r);
	struct sw_packet bare = sctp("198.18.0.1", 0, "198.18.0.2", 0, 0, 0, 0, 1000000);
	bare.flags = 0;
	feed(c, &bare);
	struct sw_packet u = sctp_icmp("198.18.0.1", "198.18.0.2", 3, 2, 0, 1000100);
	u.quoted.has_ports = 0;
	u.quoted.sport = u.quoted.dport = 0;
	feed(c, &u);
	CHECK_EQ_U(r.n, 2);
	CHECK(r.n == 2 && r.ev[0].type == EV_PROBE && r.ev[0].pclass == PC_IPPROTO &&
	      r.ev[0].port == 132);
	CHECK(r.n == 2 && r.ev[1].outcome == OUT_REFUSED && r.ev[1].pclass == PC_IPPROTO);
	classify_destroy(c);
}

int main(void)
{
	test_probe_timeout_boundary("198.18.0.1", "198.18.0.2");
	test_probe_timeout_boundary("2001:2::1", "2001:2::2");
	test_probe_after_idle_flow();
	test_touch_postpones();
	test_refused_linger("198.18.0.1", "198.18.0.2");
	test_refused_linger("2001:2::1", "2001:2::2");
	test_halfopen_timeout("198.18.0.1", "198.18.0.2");
	test_halfopen_timeout("2001:2::a", "2001:2::5");
	test_reset_acknowledging_synack("198.18.0.1", "198.18.0.2");
	test_reset_acknowledging_synack("2001:2::a", "2001:2::5");
	test_echo_builders();
	test_clock_at_the_end();
	test_many_staggered();
	test_udp_traceroute();
	test_ladder_bounded();
	test_syn_retransmission();
	test_answer_from_other_port();
	test_arp_resolution();
	test_sctp_init_outcomes("198.18.0.1", "198.18.0.2");
	test_sctp_init_outcomes("2001:2::1", "2001:2::2");
	test_sctp_cookie_probes();
	test_sctp_association();
	test_sctp_bare_protocol_probe();
	CHECK_DONE();
}
