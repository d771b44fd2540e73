/* test_classify.c — flow expiry at its exact times (the advance gate), both address families. */
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
	CHECK_DONE();
}
