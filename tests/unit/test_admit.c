/* test_admit.c — held sources: exact replay, what releases a record, and an engine that holds
 * sources reporting exactly what an engine that cannot hold reports. */
#include <stdlib.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/admit.h"
#include "scanwatch/classify.h"
#include "scanwatch/detect.h"
#include "scanwatch/embedded.h"
#include "scanwatch/hash.h"
#include "scanwatch/rules.h"

/* A hping3-style SYN: one shape, with the per-probe fields given. */
static struct sw_packet syn(struct sw_addr src, struct sw_addr dst, uint16_t sp, uint16_t dp,
                            uint64_t ts, uint32_t seq, uint8_t ttl, uint16_t ipid)
{
	struct sw_packet p;
	memset(&p, 0, sizeof p);
	p.ts_us = ts;
	p.l3 = PKT_L3_IPV4;
	p.proto = 6;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = TCP_SYN;
	p.tcp_window = 512;
	p.tcp_seq = seq;
	p.ttl = ttl;
	p.ip_id = ipid;
	p.ip_len = 40;
	return p;
}

static struct sw_event probe_of(const struct sw_packet *p)
{
	struct sw_event ev = {0};
	ev.type = EV_PROBE;
	ev.pclass = PC_TCP_SYN;
	ev.proto = 6;
	ev.crafted = 1;
	ev.port = p->dport;
	ev.ts_us = p->ts_us;
	ev.src = p->src;
	ev.dst = p->dst;
	ev.pkt = p;
	return ev;
}

static uint64_t hash_of(const struct sw_addr *a)
{
	static const uint8_t key[16] = {1, 2, 3};
	return hash_siphash13(key, a, sizeof *a);
}

static void test_replay_exact(void)
{
	uint8_t key[16] = {9};
	struct admit *a = admit_create(64, key);
	CHECK(a != NULL);
	struct sw_addr s = fixture_v4(198, 18, 7, 7), t = fixture_v4(198, 18, 0, 1);
	uint64_t h = hash_of(&s);
	struct sw_packet pk[1 + ADMIT_LATER];
	struct sw_event ev[1 + ADMIT_LATER];
	for (int i = 0; i <= ADMIT_LATER; i++) {
		pk[i] = syn(s, t, (uint16_t)(3000 + i), 80, 1000 + 10 * (uint64_t)i,
		            0x1000u * (uint32_t)i + 7, (uint8_t)(64 - i), (uint16_t)(i * 77));
		ev[i] = probe_of(&pk[i]);
	}
	struct admit_held out;
	CHECK_EQ_U(admit_offer(a, &ev[0], h, &out), ADMIT_NONE);
	CHECK(admit_hold(a, &ev[0], h));
	for (int i = 1; i <= ADMIT_LATER; i++)
		CHECK_EQ_U(admit_offer(a, &ev[i], h, &out), ADMIT_HELD);
	/* a timeout of the same service has no packet: it would be held, but the record is
	 * full, so it releases everything */
	struct sw_event to = ev[0];
	to.type = EV_OUTCOME;
	to.outcome = OUT_TIMEOUT;
	to.pkt = NULL;
	to.ts_us = 5000;
	CHECK_EQ_U(admit_offer(a, &to, h, &out), ADMIT_RELEASED);
	CHECK_EQ_U(admit_count(&out), 1 + ADMIT_LATER);
	for (size_t i = 0; i < admit_count(&out); i++) {
		struct sw_event r;
		struct sw_packet rp;
		admit_replay(&out, i, &r, &rp);
		CHECK(r.pkt == &rp);
		CHECK(memcmp(&rp, &pk[i], sizeof rp) == 0); /* byte for byte the packet seen */
		CHECK_EQ_U(r.ts_us, ev[i].ts_us);
		CHECK_EQ_U(r.type, EV_PROBE);
		CHECK_EQ_U(r.port, 80);
		CHECK(addr_eq(&r.src, &s) && addr_eq(&r.dst, &t));
	}
	/* released: the source has no record any more */
	CHECK_EQ_U(admit_offer(a, &ev[0], h, &out), ADMIT_NONE);
	admit_destroy(a);
}

static void test_what_releases(void)
{
	uint8_t key[16] = {9};
	struct admit *a = admit_create(64, key);
	struct sw_addr s = fixture_v4(198, 18, 7, 8), t = fixture_v4(198, 18, 0, 1);
	uint64_t h = hash_of(&s);
	struct admit_held out;

	/* another port */
	struct sw_packet p0 = syn(s, t, 4000, 80, 100, 1, 64, 1);
	struct sw_packet p1 = syn(s, t, 4001, 81, 200, 2, 64, 2);
	struct sw_event e0 = probe_of(&p0), e1 = probe_of(&p1);
	CHECK(admit_hold(a, &e0, h));
	CHECK_EQ_U(admit_offer(a, &e1, h, &out), ADMIT_RELEASED);
	CHECK_EQ_U(admit_count(&out), 1);

	/* another packet shape (window) to the same service */
	CHECK(admit_hold(a, &e0, h));
	struct sw_packet p2 = syn(s, t, 4002, 80, 300, 3, 64, 3);
	p2.tcp_window = 1024;
	struct sw_event e2 = probe_of(&p2);
	CHECK_EQ_U(admit_offer(a, &e2, h, &out), ADMIT_RELEASED);

	/* a reply (an outcome with a packet) is a conversation */
	CHECK(admit_hold(a, &e0, h));
	struct sw_packet rst = syn(t, s, 80, 4000, 400, 0, 64, 0);
	rst.tcp_flags = TCP_RST | TCP_ACK;
	struct sw_event out_ev = e0;
	out_ev.type = EV_OUTCOME;
	out_ev.outcome = OUT_REFUSED;
	out_ev.pkt = &rst;
	CHECK_EQ_U(admit_offer(a, &out_ev, h, &out), ADMIT_RELEASED);

	/* a timeout (no packet) of the same service is held, and replays without a packet */
	CHECK(admit_hold(a, &e0, h));
	struct sw_event to = e0;
	to.type = EV_OUTCOME;
	to.outcome = OUT_TIMEOUT;
	to.pkt = NULL;
	to.ts_us = 3000100;
	CHECK_EQ_U(admit_offer(a, &to, h, &out), ADMIT_HELD);
	CHECK_EQ_U(admit_offer(a, &e1, h, &out), ADMIT_RELEASED);
	CHECK_EQ_U(admit_count(&out), 2);
	struct sw_event r;
	struct sw_packet rp;
	admit_replay(&out, 1, &r, &rp);
	CHECK(r.pkt == NULL);
	CHECK_EQ_U(r.type, EV_OUTCOME);
	CHECK_EQ_U(r.outcome, OUT_TIMEOUT);
	CHECK_EQ_U(r.ts_us, 3000100);

	/* expiry: a record idle for keep is forgotten, and counted */
	CHECK(admit_hold(a, &e0, h));
	CHECK_EQ_U(admit_expire(a, 100 + 999, 1000), 100 + 1000);
	CHECK_EQ_U(admit_expire(a, 100 + 1000, 1000), UINT64_MAX);
	CHECK_EQ_U(admit_offer(a, &e0, h, &out), ADMIT_NONE);
	struct htab_stats st;
	admit_get_stats(a, &st);
	CHECK_EQ_U(st.expired, 1);
	admit_destroy(a);
}

static void test_bounded(void)
{
	uint8_t key[16] = {4};
	struct admit *a = admit_create(100, key);
	struct sw_addr t = fixture_v4(198, 18, 0, 1);
	for (unsigned i = 0; i < 1000; i++) {
		struct sw_addr s = fixture_v4(198, 19, (uint8_t)(i >> 8), (uint8_t)i);
		struct sw_packet p = syn(s, t, 1024, 80, 1000 + i, i, 64, 0);
		struct sw_event e = probe_of(&p);
		CHECK(admit_hold(a, &e, hash_of(&s)));
	}
	struct htab_stats st;
	admit_get_stats(a, &st);
	CHECK(st.used <= 100 && st.used >= 98); /* 100 records' budget, less their one shape */
	CHECK_EQ_U(st.evict_full + st.evict_chain, 1000 - st.used);
	admit_destroy(a);
}

/* Packet times may lie anywhere in 64 bits (pcapng states them so; a broken file's wrap),
 * and an event's time is packet time that never ran backwards, so a probe's own time can
 * be behind its event's, even across 2^63. The held gap is kept exactly up to the int32
 * limits and refused past them, with no signed overflow either way (UBSan checks). */
static void test_times_across_2_63(void)
{
	uint8_t key[16] = {5};
	struct admit *a = admit_create(64, key);
	struct sw_addr s = fixture_v4(198, 18, 7, 9), t = fixture_v4(198, 18, 0, 1);
	uint64_t h = hash_of(&s), t63 = 1ULL << 63;
	struct admit_held out;
	struct sw_event r;
	struct sw_packet rp;

	/* 5 ms behind its event, either side of 2^63: held, and replayed with its own time */
	struct sw_packet p0 = syn(s, t, 4000, 80, t63 - 4000, 1, 64, 1);
	struct sw_event e0 = probe_of(&p0);
	e0.ts_us = t63 + 1000;
	CHECK(admit_hold(a, &e0, h));
	struct sw_packet p1 = syn(s, t, 4001, 81, t63 + 2000, 2, 64, 2);
	struct sw_event e1 = probe_of(&p1);
	CHECK_EQ_U(admit_offer(a, &e1, h, &out), ADMIT_RELEASED);
	admit_replay(&out, 0, &r, &rp);
	CHECK_EQ_U(r.ts_us, t63 + 1000);
	CHECK_EQ_U(rp.ts_us, t63 - 4000);

	/* the widest gaps an item keeps, INT32_MIN and INT32_MAX microseconds, across 2^63 */
	const uint64_t edge[2][2] = {
	    {t63 + 1000, t63 + 1000 - ((uint64_t)INT32_MAX + 1)},
	    {t63 - 1000, t63 - 1000 + (uint64_t)INT32_MAX},
	};
	for (int i = 0; i < 2; i++) {
		e0.ts_us = edge[i][0];
		p0.ts_us = edge[i][1];
		CHECK(admit_hold(a, &e0, h));
		CHECK_EQ_U(admit_offer(a, &e1, h, &out), ADMIT_RELEASED);
		admit_replay(&out, 0, &r, &rp);
		CHECK_EQ_U(r.ts_us, edge[i][0]);
		CHECK_EQ_U(rp.ts_us, edge[i][1]);
	}
	/* one microsecond more, and times almost 2^63 apart: not held, the rules take it */
	p0.ts_us = t63 + 1000 - ((uint64_t)INT32_MAX + 2);
	e0.ts_us = t63 + 1000;
	CHECK(!admit_hold(a, &e0, h));
	p0.ts_us = t63 - 1000 + (uint64_t)INT32_MAX + 1;
	e0.ts_us = t63 - 1000;
	CHECK(!admit_hold(a, &e0, h));
	p0.ts_us = 2000000;
	e0.ts_us = t63 + 1000000;
	CHECK(!admit_hold(a, &e0, h));
	admit_destroy(a);
}

/* --- The engine: holding changes nothing it reports. --- */

#define MAXREC 40000
struct run {
	struct sw_ruleset *rs;
	struct classify *cl;
	struct detect_engine *de;
	struct sw_detection *recs;
	int nrec, seen;
	uint64_t now;
};

static void collect(void *ctx, const struct sw_detection *d)
{
	struct run *r = ctx;
	r->seen++;
	if (r->nrec < MAXREC)
		r->recs[r->nrec++] = *d;
}

static void to_detect(void *ctx, const struct sw_event *ev)
{
	struct run *r = ctx;
	detect_event(r->de, ev);
}

/* The built-in rules, plus (hold == false) a source-grouped RST count no traffic here
 * reaches: one rule that could cross on one service's events forbids holding. */
static void run_setup(struct run *r, bool hold)
{
	static const char extra[] = "\n  - id: TEST-NOHOLD-001\n"
	                            "    name: \"per-source RST count\"\n"
	                            "    severity: low\n"
	                            "    detector: rst_flood\n"
	                            "    group_by: src\n"
	                            "    threshold: 1000000\n"
	                            "    window: 10s\n";
	char err[512];
	memset(r, 0, sizeof *r);
	size_t n = embedded_default_rules_len;
	char *text = malloc(n + sizeof extra);
	CHECK(text != NULL);
	memcpy(text, embedded_default_rules, n);
	memcpy(text + n, extra, sizeof extra);
	size_t len = hold ? n : n + sizeof extra - 1;
	if (rules_load_string("test.yaml", text, len, &r->rs, err, sizeof err) < 0) {
		fprintf(stderr, "rules: %s\n", err);
		exit(1);
	}
	free(text);
	uint8_t key[16];
	hash_make_key(key, 3);
	r->recs = calloc(MAXREC, sizeof *r->recs);
	r->cl = classify_create(1 << 16, key, to_detect, r);
	r->de = detect_create(r->rs, 1 << 16, key, collect, r);
	CHECK(r->recs && r->cl && r->de);
}

static void run_packet(struct run *r, struct sw_packet *p)
{
	if (p->ts_us > r->now)
		r->now = p->ts_us;
	classify_advance(r->cl, r->now);
	detect_advance(r->de, r->now);
	classify_packet(r->cl, p);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void test_engine_same_records(void)
{
	struct run held, plain;
	run_setup(&held, true);
	run_setup(&plain, false);
	uint64_t ts = 1700000000ULL * 1000000;
	/* sources of every habit: floods at one service, clients of one server, port
	 * scanners, sweeps, some of them quiet for longer than the rules' windows */
	for (int i = 0; i < 30000; i++) {
		ts += rnd(50) == 0 ? rnd(90) * 1000000ULL : rnd(3000);
		unsigned who = rnd(40);
		struct sw_addr s = fixture_v4(198, 18, 10, (uint8_t)who), t;
		uint16_t dport;
		switch (who % 4) {
		case 0: /* flood sources: one service, new source ports, 4096 of them */
			s = fixture_v4(198, 19, (uint8_t)rnd(16), (uint8_t)rnd(256));
			t = fixture_v4(198, 18, 0, 1);
			dport = 80;
			break;
		case 1: /* scanners: random ports on a few hosts, after a few probes of one
		         * service (held, then released into the rules) */
			s = fixture_v4(198, 18, 30, (uint8_t)rnd(64));
			t = fixture_v4(198, 18, 0, (uint8_t)(1 + rnd(4)));
			dport = (uint16_t)(1 + rnd(1024));
			if (rnd(3) == 0) {
				t = fixture_v4(198, 18, 0, 1);
				dport = 8080;
			}
			break;
		case 2: /* clients: mostly one service, sometimes another */
			s = fixture_v4(198, 18, 20, (uint8_t)rnd(256));
			t = fixture_v4(198, 18, 0, 2);
			dport = rnd(10) == 0 ? 443 : 22;
			break;
		default: /* sweep of one port */
			t = fixture_v4(198, 18, 0, (uint8_t)(1 + rnd(200)));
			dport = 445;
			break;
		}
		uint16_t sp = (uint16_t)(1024 + rnd(60000));
		struct sw_packet p = syn(s, t, sp, dport, ts, rnd(1u << 31),
		                         (uint8_t)(37 + rnd(20)), (uint16_t)rnd(65536));
		if (who % 8 == 1)
			p.tcp_window = 1024; /* an nmap-like shape for some */
		struct sw_packet q = p;
		run_packet(&held, &p);
		run_packet(&plain, &q);
		unsigned reply = rnd(10);
		if (reply < 6 && who % 4 != 0) { /* the target answers: RST, or SYN-ACK */
			ts += 50;
			struct sw_packet a = syn(t, s, dport, sp, ts, rnd(1u << 31), 64, 0);
			a.tcp_flags = reply < 4 ? (TCP_RST | TCP_ACK) : (TCP_SYN | TCP_ACK);
			a.tcp_window = reply < 4 ? 0 : 65535;
			struct sw_packet b = a;
			run_packet(&held, &a);
			run_packet(&plain, &b);
			if (reply >= 4) { /* the prober resets the half-open connection */
				ts += 50;
				struct sw_packet c = syn(s, t, sp, dport, ts, 0, 64, 0);
				c.tcp_flags = TCP_RST;
				struct sw_packet d = c;
				run_packet(&held, &c);
				run_packet(&plain, &d);
			}
		}
	}
	detect_finish(held.de, ts);
	detect_finish(plain.de, ts);
	struct detect_stats hs, ps;
	detect_get_stats(held.de, &hs);
	detect_get_stats(plain.de, &ps);
	/* the two engines took different paths ... */
	CHECK(hs.held.inserts > 1000);
	CHECK(hs.released > 100);
	CHECK_EQ_U(ps.held.inserts, 0);
	CHECK(hs.entries.inserts < ps.entries.inserts);
	/* ... to the same records */
	CHECK(held.nrec > 10 && held.seen < MAXREC);
	CHECK_EQ_U(held.seen, plain.seen);
	int same = 0;
	for (int i = 0; i < held.nrec && i < plain.nrec; i++)
		same += memcmp(&held.recs[i], &plain.recs[i], sizeof held.recs[i]) == 0;
	CHECK_EQ_U(same, held.nrec);
	printf("engine: %d records, %llu held sources, %llu released; entries %llu vs %llu\n",
	       held.nrec, (unsigned long long)hs.held.inserts, (unsigned long long)hs.released,
	       (unsigned long long)hs.entries.inserts, (unsigned long long)ps.entries.inserts);
	struct run *runs[2] = {&held, &plain};
	for (int k = 0; k < 2; k++) {
		classify_destroy(runs[k]->cl);
		detect_destroy(runs[k]->de);
		rules_free(runs[k]->rs);
		free(runs[k]->recs);
	}
}

/* The last shape used is compared first: when its last record goes, a new shape may take
 * its slot, so a packet of the old shape must make a shape of its own again, each record
 * replaying its own packet. */
static void test_last_shape_goes(void)
{
	uint8_t key[16] = {7};
	struct admit *a = admit_create(64, key);
	struct sw_addr t = fixture_v4(198, 18, 0, 1);
	struct sw_addr s1 = fixture_v4(198, 19, 5, 1), s2 = fixture_v4(198, 19, 5, 2),
	               s3 = fixture_v4(198, 19, 5, 3);
	struct admit_held out;
	struct sw_event r;
	struct sw_packet rp;
	struct sw_packet x1 = syn(s1, t, 2000, 80, 100, 1, 64, 0);
	struct sw_event e1 = probe_of(&x1);
	CHECK(admit_hold(a, &e1, hash_of(&s1)));
	/* s1 tries another port: released, and its shape (window 512) with it */
	struct sw_packet x1b = x1;
	x1b.dport = 81;
	struct sw_event e1b = probe_of(&x1b);
	CHECK_EQ_U(admit_offer(a, &e1b, hash_of(&s1), &out), ADMIT_RELEASED);
	/* s3 with window 512 again, then s2 with window 1024, a new shape */
	struct sw_packet x3 = syn(s3, t, 2000, 80, 300, 3, 64, 0);
	struct sw_event e3 = probe_of(&x3);
	CHECK(admit_hold(a, &e3, hash_of(&s3)));
	struct sw_packet y2 = syn(s2, t, 2000, 80, 200, 2, 64, 0);
	y2.tcp_window = 1024;
	struct sw_event e2 = probe_of(&y2);
	CHECK(admit_hold(a, &e2, hash_of(&s2)));
	struct sw_packet y2b = y2, x3b = x3;
	y2b.dport = 82;
	x3b.dport = 83;
	struct sw_event e2b = probe_of(&y2b), e3b = probe_of(&x3b);
	CHECK_EQ_U(admit_offer(a, &e3b, hash_of(&s3), &out), ADMIT_RELEASED);
	admit_replay(&out, 0, &r, &rp);
	CHECK(memcmp(&rp, &x3, sizeof rp) == 0);
	CHECK_EQ_U(admit_offer(a, &e2b, hash_of(&s2), &out), ADMIT_RELEASED);
	admit_replay(&out, 0, &r, &rp);
	CHECK(memcmp(&rp, &y2, sizeof rp) == 0);
	CHECK_EQ_U(rp.tcp_window, 1024);
	admit_destroy(a);
}

/* Shapes are kept once: sources of one shape share it however many there are. A new shape
 * is paid from the records' budget while it is used: sources of all different shapes (a flood
 * randomising its windows, hosts with their own MACs) are all held, fewer at once, the oldest
 * recycled and counted as under any pressure. */
static void test_shared_shapes(void)
{
	uint8_t key[16] = {6};
	struct admit *a = admit_create(64, key);
	struct sw_addr t = fixture_v4(198, 18, 0, 1);
	struct admit_held out;
	struct htab_stats st;
	/* 64 sources, each with its own window: 64 shapes, every one held when it comes */
	struct sw_addr src[64];
	struct sw_packet p[64];
	struct sw_event e[64];
	for (unsigned i = 0; i < 64; i++) {
		src[i] = fixture_v4(198, 19, 1, (uint8_t)i);
		p[i] = syn(src[i], t, 2000, 80, 100 + i, i, 64, 0);
		p[i].tcp_window = (uint16_t)(1000 + i);
		e[i] = probe_of(&p[i]);
		CHECK(admit_hold(a, &e[i], hash_of(&src[i])));
	}
	admit_get_stats(a, &st);
	CHECK(st.used < 64 && st.used >= 64 / 4); /* a shape costs under 3 records */
	CHECK_EQ_U(st.used + st.evict_full, 64);
	/* a new source with a shape already kept (the newest's) is held */
	struct sw_addr s2 = fixture_v4(198, 19, 2, 1);
	struct sw_packet q = p[63];
	q.src = s2;
	q.tcp_seq = 99;
	q.src_mac[0] = 0x02; /* another host: its MAC is its record's, not the shape's */
	struct sw_event eq = probe_of(&q);
	CHECK(admit_hold(a, &eq, hash_of(&s2)));
	/* the same packet from s2 but for its MAC is not s2's shape: it releases the record */
	struct sw_packet qm = q;
	qm.src_mac[0] = 0x04;
	struct sw_event eqm = probe_of(&qm);
	CHECK_EQ_U(admit_offer(a, &eqm, hash_of(&s2), &out), ADMIT_RELEASED);
	CHECK(admit_hold(a, &eq, hash_of(&s2)));
	/* the source sharing shape 63 replays its own packet, and so does source 63 */
	struct sw_packet q2 = q;
	q2.dport = 443;
	struct sw_event eq2 = probe_of(&q2);
	CHECK_EQ_U(admit_offer(a, &eq2, hash_of(&s2), &out), ADMIT_RELEASED);
	struct sw_event r;
	struct sw_packet rp;
	admit_replay(&out, 0, &r, &rp);
	CHECK(memcmp(&rp, &q, sizeof rp) == 0);
	struct sw_packet p63b = p[63];
	p63b.dport = 443;
	struct sw_event e63b = probe_of(&p63b);
	CHECK_EQ_U(admit_offer(a, &e63b, hash_of(&src[63]), &out), ADMIT_RELEASED);
	admit_replay(&out, 0, &r, &rp);
	CHECK(memcmp(&rp, &p[63], sizeof rp) == 0);

	/* a packet whose addresses are not the event's keeps them in its shape, and a later
	 * probe whose addresses are the event's is another shape: it releases the record */
	struct sw_addr s4 = fixture_v4(198, 19, 3, 1), spoof = fixture_v4(198, 19, 3, 2);
	struct sw_packet w = syn(spoof, t, 2000, 80, 500, 5, 64, 0);
	struct sw_event ew = probe_of(&w);
	ew.src = s4; /* the event names another source than the packet */
	admit_clear(a);
	CHECK(admit_hold(a, &ew, hash_of(&s4)));
	struct sw_packet w2 = syn(s4, t, 2000, 80, 600, 6, 64, 0);
	struct sw_event ew2 = probe_of(&w2);
	CHECK_EQ_U(admit_offer(a, &ew2, hash_of(&s4), &out), ADMIT_RELEASED);
	CHECK_EQ_U(admit_count(&out), 1);
	admit_replay(&out, 0, &r, &rp);
	CHECK(memcmp(&rp, &w, sizeof rp) == 0);
	CHECK(addr_eq(&r.src, &s4));

	/* 1000 sources of one shape in a table of 64 records: bounded, one shape */
	admit_clear(a);
	for (unsigned i = 0; i < 1000; i++) {
		struct sw_addr s = fixture_v4(198, 18, (uint8_t)(100 + (i >> 8)), (uint8_t)i);
		struct sw_packet pk = syn(s, t, 1024, 80, 1000 + i, i, 64, 0);
		struct sw_event ek = probe_of(&pk);
		CHECK(admit_hold(a, &ek, hash_of(&s)));
	}
	admit_get_stats(a, &st);
	CHECK(st.used <= 64);
	admit_destroy(a);
}

/* A held source's later events cost a block of their own, paid from the same budget: records
 * that need one make room by recycling the oldest, each counted, and the ones kept replay
 * every event. */
static void test_later_blocks(void)
{
	uint8_t key[16] = {8};
	struct admit *a = admit_create(64, key);
	struct sw_addr t = fixture_v4(198, 18, 0, 1);
	struct admit_held out;
	struct htab_stats st;
	for (unsigned i = 0; i < 64; i++) {
		struct sw_addr s = fixture_v4(198, 19, 9, (uint8_t)i);
		struct sw_packet p = syn(s, t, 1024, 80, 1000 + i, i, 64, 0);
		struct sw_event e = probe_of(&p);
		CHECK(admit_hold(a, &e, hash_of(&s)));
	}
	admit_get_stats(a, &st);
	/* one-packet records of one shape: the budget holds 64 records less their shape */
	CHECK(st.used >= 62 && st.used <= 64);
	CHECK_EQ_U(st.used + st.evict_full, 64);
	unsigned before = st.used;
	/* a second probe from each, oldest first: each takes a block */
	unsigned held = 0, last = 64;
	for (unsigned i = 0; i < 64; i++) {
		struct sw_addr s = fixture_v4(198, 19, 9, (uint8_t)i);
		struct sw_packet p = syn(s, t, 1025, 80, 2000 + i, 100 + i, 64, 0);
		struct sw_event e = probe_of(&p);
		enum admit_verdict v = admit_offer(a, &e, hash_of(&s), &out);
		CHECK(v == ADMIT_HELD || v == ADMIT_NONE); /* NONE: recycled for an earlier block */
		held += v == ADMIT_HELD;
		if (v == ADMIT_HELD)
			last = i;
	}
	admit_get_stats(a, &st);
	CHECK(st.used < before && st.used >= 64 / 3);
	CHECK_EQ_U(st.used + st.evict_full, 64); /* every record kept or counted */
	CHECK(held >= st.used);
	/* the last one held is kept, with both its events, and a third joins its block (which
	 * records the blocks recycled depends on the sizes of records and blocks: the oldest
	 * go, and each one held became the newest) */
	CHECK(last < 64);
	struct sw_addr s_last = fixture_v4(198, 19, 9, (uint8_t)last);
	struct sw_packet p3 = syn(s_last, t, 1026, 80, 3000, 7, 60, 9);
	struct sw_event e3 = probe_of(&p3);
	CHECK_EQ_U(admit_offer(a, &e3, hash_of(&s_last), &out), ADMIT_HELD);
	struct sw_packet px = syn(s_last, t, 1027, 81, 3100, 8, 60, 9);
	struct sw_event ex = probe_of(&px);
	CHECK_EQ_U(admit_offer(a, &ex, hash_of(&s_last), &out), ADMIT_RELEASED);
	CHECK_EQ_U(admit_count(&out), 3);
	struct sw_event r;
	struct sw_packet rp;
	admit_replay(&out, 2, &r, &rp);
	CHECK(memcmp(&rp, &p3, sizeof rp) == 0);
	admit_replay(&out, 1, &r, &rp);
	CHECK_EQ_U(rp.sport, 1025);
	CHECK_EQ_U(rp.tcp_seq, 100 + last);
	admit_destroy(a);
}

int main(void)
{
	test_replay_exact();
	test_later_blocks();
	test_shared_shapes();
	test_last_shape_goes();
	test_what_releases();
	test_bounded();
	test_times_across_2_63();
	test_engine_same_records();
	CHECK_DONE();
}
