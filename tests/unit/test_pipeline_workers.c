/* test_pipeline_workers.c — the pipeline with one worker and with two gives the same records:
 * hand-built frames through pipeline_packet, and the records compared field by field. A stealth
 * scan whose unanswered probes time out at the same packet that closes it (the case the eval
 * corpora found), then seeded random traffic: probes of every class from a few sources to a few
 * targets, answers, silences and gaps longer than the rules' idle times. Evidence packets are
 * kept (evidence.h) and compared too: with two workers they travel apart from the events. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/rules.h"

#define MAX_FRAMES  20000
#define MAX_RECORDS 32768

struct frame {
	uint8_t b[64];
	uint32_t len;
	uint64_t ts;
};

static struct frame frames[MAX_FRAMES];
static size_t nframes;

/* A record, and a digest of the evidence packets that came with it (borrowed by the record). */
struct rec {
	struct sw_detection d;
	uint64_t evh;
	uint32_t evn;
};

struct records {
	struct rec r[MAX_RECORDS];
	size_t n;
	uint64_t packets; /* evidence packets that came with the records */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void collect(void *ctx, const struct sw_detection *d)
{
	struct records *r = ctx;
	if (r->n == MAX_RECORDS)
		return;
	struct rec *x = &r->r[r->n++];
	x->d = *d;
	x->d.evidence = NULL;
	x->evh = 0xcbf29ce484222325ull;
	x->evn = d->evidence ? d->evidence->n : 0;
	if (x->evn) /* the pcapng section: every packet's header, ordinal and bytes */
		x->evh = fnv(x->evh, d->evidence->ng, d->evidence->len);
	r->packets += x->evn;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 (20 bytes) + TCP (20) / UDP (8) / ICMP echo (8) from 198.18.0.S to 198.18.1.D. */
static void add(uint64_t ts, uint8_t s, uint8_t d, uint8_t proto, uint16_t sport, uint16_t dport,
                uint8_t flags, uint8_t ttl)
{
	if (nframes == MAX_FRAMES)
		return;
	struct frame *f = &frames[nframes++];
	uint8_t *p = f->b;
	size_t l4 = proto == 6 ? 20 : 8;
	memset(f, 0, sizeof *f);
	f->ts = ts;
	f->len = (uint32_t)(14 + 20 + l4);
	memcpy(p, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	uint8_t *ip = p + 14;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = (uint8_t)(20 + l4);
	ip[4] = s;
	ip[5] = d;
	ip[8] = ttl;
	ip[9] = proto;
	memcpy(ip + 12, (uint8_t[]){198, 18, 0, s}, 4);
	memcpy(ip + 16, (uint8_t[]){198, 18, 1, d}, 4);
	if (s >= 200) { /* a target answering: 198.18.1.x -> 198.18.0.y */
		ip[14] = 1;
		ip[18] = 0;
	}
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	uint8_t *t = ip + 20;
	if (proto == 1) {
		t[0] = (uint8_t)sport; /* type */
		t[4] = s;
		t[7] = (uint8_t)dport;
	} else {
		t[0] = (uint8_t)(sport >> 8);
		t[1] = (uint8_t)sport;
		t[2] = (uint8_t)(dport >> 8);
		t[3] = (uint8_t)dport;
		if (proto == 6) {
			t[4] = (uint8_t)(dport * 7);
			t[5] = s;
			t[12] = 0x50;
			t[13] = flags;
			t[14] = 0x04; /* window 1024 */
		} else {
			t[5] = 8;
		}
	}
}

/* An answer from target d to source s (swapped addresses). */
static void answer(uint64_t ts, uint8_t s, uint8_t d, uint8_t proto, uint16_t sport, uint16_t dport,
                   uint8_t flags)
{
	add(ts, d, s, proto, dport, sport, flags, 64);
	struct frame *f = &frames[nframes - 1];
	uint8_t *ip = f->b + 14;
	/* rewrite the addresses: 198.18.1.d -> 198.18.0.s */
	memcpy(ip + 12, (uint8_t[]){198, 18, 1, d}, 4);
	memcpy(ip + 16, (uint8_t[]){198, 18, 0, s}, 4);
	ip[10] = ip[11] = 0;
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void run(const struct sw_ruleset *rs, unsigned workers, struct records *out)
{
	char err[256];
	struct pipeline_config pc = {.rules = rs,
	                             .memory_cap = 8u << 20,
	                             .seed = 5,
	                             .emit = collect,
	                             .emit_ctx = out,
	                             .workers = workers,
	                             .evidence = true};
	out->n = 0;
	out->packets = 0;
	struct pipeline *pl = pipeline_create(&pc, err, sizeof err);
	CHECK(pl != NULL);
	if (!pl)
		return;
	for (size_t i = 0; i < nframes; i++) {
		struct capture_packet cp = {.data = frames[i].b,
		                            .caplen = frames[i].len,
		                            .wirelen = frames[i].len,
		                            .ts_us = frames[i].ts,
		                            .dlt = 1};
		pipeline_packet(pl, &cp);
	}
	pipeline_finish(pl);
	pipeline_destroy(pl);
}

static int by_seq_phase(const void *a, const void *b)
{
	const struct sw_detection *x = &((const struct rec *)a)->d,
	                          *y = &((const struct rec *)b)->d;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->phase > y->phase) - (x->phase < y->phase);
}

/* The records of one and two workers, as sets (pipeline.c: closures may come in another order). */
static uint64_t packets_compared; /* evidence packets */

static size_t compare(const struct sw_ruleset *rs, const char *what)
{
	static struct records one, two;
	run(rs, 1, &one);
	run(rs, 2, &two);
	qsort(one.r, one.n, sizeof one.r[0], by_seq_phase);
	qsort(two.r, two.n, sizeof two.r[0], by_seq_phase);
	CHECK_EQ_U(one.n, two.n);
	CHECK(one.n < MAX_RECORDS); /* every record was kept, none cut off */
	size_t n = one.n < two.n ? one.n : two.n, bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sw_detection *o = &one.r[i].d, *t = &two.r[i].d;
		char a[2048], b[2048];
		detection_evidence(o, a, sizeof a);
		detection_evidence(t, b, sizeof b);
		if (o->seq != t->seq || o->phase != t->phase || o->kind != t->kind ||
		    o->probes != t->probes || o->first_seen != t->first_seen ||
		    o->last_seen != t->last_seen || o->closed_at != t->closed_at ||
		    strcmp(a, b) != 0 || strcmp(o->tool, t->tool) != 0 ||
		    one.r[i].evn != two.r[i].evn || one.r[i].evh != two.r[i].evh) {
			if (bad++ == 0)
				fprintf(
				    stderr,
				    "%s: record %zu differs:\n  1: %s (%u packets)\n  2: %s (%u "
				    "packets)\n",
				    what, i, a, one.r[i].evn, b, two.r[i].evn);
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(one.packets, two.packets);
	packets_compared += one.packets;
	return one.n;
}

/* FIN probes to 6 ports, 4 refused and 2 unanswered, then nothing for 31 s, then one packet
 * of someone else's: the two probes' timeouts and the idle close fall due at that packet. */
static void scenario_timeout_at_close(void)
{
	uint64_t t = 1800000000ull * 1000000;
	nframes = 0;
	for (uint16_t port = 21; port < 27; port++) {
		add(t, 7, 2, 6, 40000, port, 0x01, 45);
		if (port < 25)
			answer(t + 30, 7, 2, 6, 40000, port, 0x14);
		t += 1000;
	}
	add(t + 1000000, 7, 2, 6, 40000, 80, 0x01, 45);
	add(t + 1000100, 7, 2, 6, 40000, 443, 0x01, 45);
	t += 31000000 + 1000100;
	add(t, 50, 9, 17, 5353, 5353, 0, 64);
	add(t + 10, 51, 9, 17, 5353, 5353, 0, 64);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Seeded traffic: probes of every class, answered or not, in bursts with gaps. */
static void scenario_random(uint64_t seed)
{
	static const uint8_t tcp_flags[] = {0x02, 0x02, 0x02, 0x01, 0x00, 0x29, 0x10};
	uint64_t t = 1800000000ull * 1000000;
	rng = seed * 0x2545F4914F6CDD1DULL + 1;
	nframes = 0;
	while (nframes < MAX_FRAMES - 4) {
		uint8_t s = (uint8_t)(1 + rnd(12)), d = (uint8_t)(1 + rnd(24));
		uint16_t port = (uint16_t)(1 + rnd(rnd(4) ? 64 : 4000));
		switch (rnd(4)) {
		case 0:
		case 1: {
			uint8_t fl = tcp_flags[rnd(sizeof tcp_flags)];
			add(t, s, d, 6, (uint16_t)(30000 + s), port, fl, (uint8_t)(40 + rnd(3)));
			if (rnd(3) == 0)
				answer(t + 20 + rnd(500), s, d, 6, (uint16_t)(30000 + s), port,
				       fl == 0x02 ? (rnd(2) ? 0x12 : 0x14) : 0x04);
			break;
		}
		case 2:
			add(t, s, d, 17, (uint16_t)(40000 + s), port, 0, 50);
			if (rnd(4) == 0)
				answer(t + 50, s, d, 17, (uint16_t)(40000 + s), port, 0);
			break;
		default:
			add(t, s, d, 1, 8, port, 0, 60);
			if (rnd(2))
				answer(t + 80, s, d, 1, 0, port, 0);
			break;
		}
		/* mostly dense, sometimes a pause longer than the probe timeouts or the idle times
		 */
		uint32_t gap = rnd(100);
		t += gap < 90 ? rnd(20000) : gap < 98 ? rnd(8000000) : 30000000 + rnd(60000000);
	}
}

int main(void)
{
	struct sw_ruleset *rs = NULL;
	char err[512];
	CHECK(rules_load_builtin(&rs, err, sizeof err) == 0);
	if (!rs) {
		fprintf(stderr, "%s\n", err);
		CHECK_DONE();
	}
	scenario_timeout_at_close();
	size_t n = compare(rs, "timeout at close");
	CHECK(n >= 2); /* the stealth scan opened and closed */
	size_t total = 0;
	for (uint64_t seed = 1; seed <= 12; seed++) {
		char what[32];
		snprintf(what, sizeof what, "random seed %llu", (unsigned long long)seed);
		scenario_random(seed);
		total += compare(rs, what);
	}
	printf("%zu records of random traffic and %llu evidence packets in all compared between 1 "
	       "and 2 workers\n",
	       total, (unsigned long long)packets_compared);
	CHECK(total > 100); /* the traffic opened detections: the comparison compared something */
	CHECK(packets_compared > 1000);
	rules_free(rs);
	CHECK_DONE();
}
