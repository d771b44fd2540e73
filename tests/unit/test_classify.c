/* test_classify.c — flow expiry at its exact times, and what is not a probe: path probes,
 * retransmissions, answers from another port, ARP resolution. */
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
	test_clock_at_the_end();
	test_many_staggered();
	test_udp_traceroute();
	test_ladder_bounded();
	test_syn_retransmission();
	test_answer_from_other_port();
	test_arp_resolution();
	CHECK_DONE();
}
