/* test_exposure.c — what a scanner learned: the reveal of each outcome, the bounded exposure
 * sets and their budget, the side map, and the engine's records carrying them. */
#include <stdlib.h>
#include <string.h>

#include "detect_harness.h"
#include "scanwatch/exposure.h"

static struct sw_addr v4(uint8_t c, uint8_t d)
{
	struct sw_addr a;
	uint8_t b[4] = {198, 18, c, d};
	addr_set_v4(&a, b);
	return a;
}

static struct sw_event outcome(uint8_t pclass, uint8_t out, uint8_t proto, uint16_t port,
                               struct sw_addr dst)
{
	struct sw_event ev = {.type = EV_OUTCOME,
	                      .pclass = pclass,
	                      .outcome = out,
	                      .proto = proto,
	                      .port = port,
	                      .dst = dst};
	ev.src = v4(0, 1);
	return ev;
}

/* Which outcomes reveal something: open ports and live hosts, never failures or probes. */
static void test_reveal(void)
{
	struct sw_addr t = v4(1, 2);
	struct sw_event ev = outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 22, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_SYN_ACK);
	ev.outcome = OUT_EMPTY;
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_SYN_ACK);
	ev.outcome = OUT_SUCCESS;
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_SYN_ACK);
	ev.outcome = OUT_REFUSED;
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
	ev.outcome = OUT_TIMEOUT;
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
	ev = outcome(PC_UDP, OUT_SUCCESS, 17, 53, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_UDP_REPLY);
	ev.outcome = OUT_REFUSED; /* ICMP port unreachable: closed */
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
	ev = outcome(PC_SCTP_INIT, OUT_HALFOPEN, 132, 38412, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_INIT_ACK);
	ev = outcome(PC_ICMP_ECHO, OUT_SUCCESS, 1, 8, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_ECHO_REPLY);
	ev = outcome(PC_ICMP_OTHER, OUT_SUCCESS, 1, 13, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_ICMP_REPLY);
	ev = outcome(PC_ARP, OUT_SUCCESS, 0, 0, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_ARP_REPLY);
	ev = outcome(PC_TCP_ACK, OUT_REFUSED, 6, 80, t); /* ACK scan's RST: unfiltered, not open */
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
	ev = outcome(PC_TCP_FIN, OUT_TIMEOUT, 6, 80, t);
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
	ev.type = EV_PROBE;
	ev.pclass = PC_TCP_SYN;
	ev.outcome = OUT_NONE;
	CHECK_EQ_U(exposure_reveal(&ev), REVEAL_NONE);
}

static void note(struct exposure *x, const void *owner, uint8_t *flag, struct sw_event ev)
{
	enum det_reveal r = exposure_reveal(&ev);
	CHECK(r != REVEAL_NONE);
	exposure_note(x, owner, flag, &ev, r);
}

/* Repeats count on one item; distinct services and hosts are listed in answer order. */
static void test_set(void)
{
	struct exposure *x = exposure_create(1 << 20);
	struct det_exposure out;
	uint8_t flag = EXPOSURE_NONE;
	int owner;
	CHECK(x != NULL);
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 80, v4(1, 2)));
	CHECK_EQ_U(flag, EXPOSURE_SET);
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 22, v4(1, 2)));
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 80, v4(1, 2)));
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 80, v4(1, 3)));
	note(x, &owner, &flag, outcome(PC_ICMP_ECHO, OUT_SUCCESS, 1, 8, v4(1, 3)));
	exposure_fill(x, &owner, flag, &out);
	CHECK_EQ_U(out.n, 4);
	CHECK_EQ_U(out.answers, 5);
	CHECK_EQ_U(out.unlisted, 0);
	struct sw_addr t12 = v4(1, 2);
	CHECK(addr_eq(&out.item[0].host, &t12));
	CHECK_EQ_U(out.item[0].port, 80);
	CHECK_EQ_U(out.item[0].answers, 2);
	CHECK_EQ_U(out.item[1].port, 22);
	CHECK_EQ_U(out.item[2].answers, 1);
	CHECK_EQ_U(out.item[3].reveal, REVEAL_ECHO_REPLY);
	unsigned s, h;
	detection_exposure_counts(&out, &s, &h);
	CHECK_EQ_U(s, 3);
	CHECK_EQ_U(h, 1);
	char t[DET_EXPOSED_TEXT];
	detection_exposed_text(&out.item[1], t, sizeof t);
	CHECK_STR(t, "198.18.1.2 22/tcp");
	detection_exposed_text(&out.item[3], t, sizeof t);
	CHECK_STR(t, "198.18.1.3 echo_reply");
	/* a different owner has nothing */
	int other;
	exposure_fill(x, &other, EXPOSURE_NONE, &out);
	CHECK_EQ_U(out.n, 0);
	struct exposure_stats st;
	exposure_get_stats(x, &st);
	CHECK(st.used > 0);
	exposure_drop(x, &owner, &flag);
	CHECK_EQ_U(flag, EXPOSURE_NONE);
	exposure_get_stats(x, &st);
	CHECK_EQ_U(st.used, 64 * sizeof(void *)); /* the map stays; every set's bytes came back */
	exposure_destroy(x);
}

/* An IPv6 neighbour advertisement answers a solicitation sent to a solicited-node group: the
 * host that answered is the advertisement's source, not the group. */
static void test_nd(void)
{
	struct exposure *x = exposure_create(1 << 20);
	struct det_exposure out;
	uint8_t flag = EXPOSURE_NONE;
	int owner;
	struct sw_addr group, host;
	CHECK(addr_parse("ff02::1:ff00:2", &group) == 0);
	CHECK(addr_parse("2001:2::2", &host) == 0);
	struct sw_packet na;
	memset(&na, 0, sizeof na);
	na.src = host;
	struct sw_event ev = outcome(PC_ARP, OUT_SUCCESS, 58, 0, group);
	ev.pkt = &na;
	note(x, &owner, &flag, ev);
	exposure_fill(x, &owner, flag, &out);
	CHECK_EQ_U(out.n, 1);
	CHECK(addr_eq(&out.item[0].host, &host));
	char t[DET_EXPOSED_TEXT];
	detection_exposed_text(&out.item[0], t, sizeof t);
	CHECK_STR(t, "2001:2::2 arp_reply");
	exposure_destroy(x);
}

/* Past DET_EXPOSURE_MAX distinct services the list stays as it was and answers are counted. */
static void test_limit(void)
{
	struct exposure *x = exposure_create(1 << 20);
	struct det_exposure out;
	uint8_t flag = EXPOSURE_NONE;
	int owner;
	for (unsigned p = 1; p <= DET_EXPOSURE_MAX + 10; p++)
		note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, (uint16_t)p, v4(1, 2)));
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 1, v4(1, 2)));  /* listed */
	note(x, &owner, &flag, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 70, v4(1, 2))); /* not */
	exposure_fill(x, &owner, flag, &out);
	CHECK_EQ_U(out.n, DET_EXPOSURE_MAX);
	CHECK_EQ_U(out.unlisted, 11);
	CHECK_EQ_U(out.answers, DET_EXPOSURE_MAX + 12);
	CHECK_EQ_U(out.item[0].answers, 2);
	CHECK_EQ_U(out.item[DET_EXPOSURE_MAX - 1].port, DET_EXPOSURE_MAX);
	exposure_destroy(x);
}

/* A spent budget refuses a new set (the owner is marked, nothing is kept) and caps growth. */
static void test_budget(void)
{
	/* room for the map and one first-size set (128 bytes), not for its growth */
	struct exposure *x = exposure_create(64 * sizeof(void *) + 200);
	struct det_exposure out;
	uint8_t f1 = EXPOSURE_NONE, f2 = EXPOSURE_NONE;
	int o1, o2;
	for (unsigned p = 1; p <= 6; p++)
		note(x, &o1, &f1, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, (uint16_t)p, v4(1, 2)));
	note(x, &o2, &f2, outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, 22, v4(1, 9)));
	CHECK_EQ_U(f1, EXPOSURE_SET);
	CHECK_EQ_U(f2, EXPOSURE_DENIED);
	exposure_fill(x, &o1, f1, &out);
	CHECK_EQ_U(out.n, 4);
	CHECK_EQ_U(out.unlisted, 2);
	exposure_fill(x, &o2, f2, &out);
	CHECK_EQ_U(out.n, 0);
	struct exposure_stats st;
	exposure_get_stats(x, &st);
	CHECK(st.denied >= 2);
	CHECK(st.used <= st.limit);
	exposure_drop(x, &o2, &f2);
	CHECK_EQ_U(f2, EXPOSURE_NONE);
	exposure_destroy(x);
}

/* Many owners in the side map, dropped in a scattered order: every survivor is still found
 * with its own set (the map's deletion keeps probe chains whole). */
static void test_map(void)
{
	enum { N = 500 };
	struct exposure *x = exposure_create(1 << 22);
	static char owners[N];
	uint8_t flag[N] = {0};
	struct det_exposure out;
	for (unsigned i = 0; i < N; i++)
		note(x, &owners[i], &flag[i],
		     outcome(PC_TCP_SYN, OUT_HALFOPEN, 6, (uint16_t)(i + 1), v4(2, 1)));
	for (unsigned i = 0; i < N; i += 3)
		exposure_drop(x, &owners[i], &flag[i]);
	for (unsigned i = 0; i < N; i++) {
		exposure_fill(x, &owners[i], flag[i], &out);
		if (i % 3 == 0) {
			CHECK_EQ_U(out.n, 0);
		} else {
			CHECK_EQ_U(out.n, 1);
			CHECK_EQ_U(out.item[0].port, i + 1);
		}
	}
	for (unsigned i = 0; i < N; i++)
		exposure_drop(x, &owners[i], &flag[i]);
	struct exposure_stats st;
	exposure_get_stats(x, &st);
	CHECK_EQ_U(st.sets, N);
	exposure_destroy(x);
}

/* The engine: a SYN scan of 40 ports of which 3 answer with a SYN-ACK the prober resets;
 * the CLOSE record lists exactly those 3, and an unrelated source's answers are not in it. */
static void test_engine(void)
{
	struct harness h;
	harness_setup(&h, NULL, 4096, 7);
	struct sw_addr scanner = v4(0, 1), target = v4(1, 2), client = v4(0, 50);
	for (uint16_t p = 1; p <= 40; p++) {
		struct sw_event ev = {.type = EV_PROBE,
		                      .pclass = PC_TCP_SYN,
		                      .crafted = 1,
		                      .proto = 6,
		                      .port = p,
		                      .src = scanner,
		                      .dst = target};
		h.now += 1000;
		ev.ts_us = h.now;
		detect_event(h.de, &ev);
		if (p == 22 || p == 25 || p == 31) {
			ev.type = EV_OUTCOME;
			ev.outcome = OUT_HALFOPEN;
			detect_event(h.de, &ev);
		} else {
			ev.type = EV_OUTCOME;
			ev.outcome = OUT_REFUSED;
			detect_event(h.de, &ev);
		}
		/* a client's answered connection to the same host: not the scanner's */
		struct sw_event c = {.type = EV_PROBE,
		                     .pclass = PC_TCP_SYN,
		                     .proto = 6,
		                     .port = 443,
		                     .src = client,
		                     .dst = target,
		                     .ts_us = h.now};
		detect_event(h.de, &c);
		c.type = EV_OUTCOME;
		c.outcome = OUT_SUCCESS;
		detect_event(h.de, &c);
	}
	harness_teardown(&h);
	const struct sw_detection *last = NULL;
	for (int i = 0; i < nrec; i++)
		if (addr_eq(&recs[i].src, &scanner) && recs[i].phase == DET_CLOSE)
			last = &recs[i];
	CHECK(last != NULL);
	if (!last)
		return;
	CHECK_EQ_U(last->exposure.n, 3);
	CHECK_EQ_U(last->exposure.answers, 3);
	uint16_t want[3] = {22, 25, 31};
	for (unsigned i = 0; i < 3 && i < last->exposure.n; i++) {
		CHECK_EQ_U(last->exposure.item[i].port, want[i]);
		CHECK_EQ_U(last->exposure.item[i].reveal, REVEAL_SYN_ACK);
		CHECK(addr_eq(&last->exposure.item[i].host, &target));
	}
	bool reason = false;
	for (unsigned i = 0; i < last->n_reasons; i++)
		reason |=
		    strcmp(last->reasons[i].name, "exposed") == 0 && last->reasons[i].count == 3;
	CHECK(reason);
}

int main(void)
{
	test_reveal();
	test_set();
	test_limit();
	test_nd();
	test_budget();
	test_map();
	test_engine();
	CHECK_DONE();
}
