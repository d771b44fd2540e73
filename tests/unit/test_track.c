/* test_track.c — exact distinct counts past the inline sets, their memory budget and its return;
 * where failures fall (the spread); host facts and the pair set kept over a window restart; a
 * source's pace (stop and wait). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/track.h"

static void v4(struct sw_addr *a, uint32_t host)
{
	uint8_t b[4] = {198, (uint8_t)(18 + (host >> 16 & 1)), (uint8_t)(host >> 8), (uint8_t)host};
	addr_set_v4(a, b);
}

static void probe(struct track_entry *e, uint32_t host, uint16_t port, bool by_dst,
                  struct track_budget *b)
{
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_TCP_SYN, .proto = 6, .port = port};
	ev.ts_us = 1000 + e->probes;
	v4(&ev.src, 1);
	v4(by_dst ? &ev.src : &ev.dst, host);
	if (by_dst)
		v4(&ev.dst, 2);
	track_note_probe(e, &ev, by_dst, b);
}

static struct track_entry *fresh(void)
{
	struct track_entry *e = calloc(1, sizeof *e);
	CHECK(e != NULL);
	if (e)
		e->ports.is_port = 1;
	return e;
}

/* Every port of a 10,000-port scan counted, not estimated (the inline set turns into a
 * bitmap after 64; the side set takes over with all of them). */
static void test_ports_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t p = 1; p <= 10000; p++)
		probe(e, 2, (uint16_t)p, false, &b);
	for (uint32_t p = 1; p <= 10000; p += 7) /* repeats change nothing */
		probe(e, 2, (uint16_t)p, false, &b);
	CHECK_EQ_U(track_distinct_ports(e), 10000);
	CHECK_EQ_U(track_distinct_targets(e), 1);
	CHECK(!e->inexact);
	CHECK_EQ_U(b.sets, 1);
	CHECK(b.used >= TRACK_EXACT_PORT_BYTES);
	probe(e, 2, 0, false, &b);
	probe(e, 2, 65535, false, &b);
	CHECK_EQ_U(track_distinct_ports(e), 10002);
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);
	CHECK(e->exact == NULL);
	free(e);
}

/* Hosts: every count from 1 to 3,000 exact, through several doublings of the side set,
 * including the addresses whose key is 0 or 0xFFFFFFFF. */
static void test_hosts_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t h = 0; h < 3000; h++) {
		probe(e, h, 80, false, &b);
		if (track_distinct_targets(e) != h + 1) {
			CHECK_EQ_U(track_distinct_targets(e), h + 1);
			break;
		}
	}
	for (uint32_t h = 0; h < 3000; h += 3)
		probe(e, h, 80, false, &b);
	CHECK_EQ_U(track_distinct_targets(e), 3000);
	CHECK_EQ_U(track_distinct_ports(e), 1);
	CHECK(!e->inexact);
	/* 0.0.0.0 is key 0 and 255.255.255.255 key 0xFFFFFFFF: the empty mark's neighbours */
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_TCP_SYN, .proto = 6, .port = 80};
	static const uint8_t zero[4] = {0, 0, 0, 0}, ones[4] = {255, 255, 255, 255};
	v4(&ev.src, 1);
	for (int i = 0; i < 2; i++) {
		addr_set_v4(&ev.dst, zero);
		track_note_probe(e, &ev, false, &b);
		addr_set_v4(&ev.dst, ones);
		track_note_probe(e, &ev, false, &b);
	}
	CHECK_EQ_U(track_distinct_targets(e), 3002);
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);
	free(e);
}

/* Grouped by target, the set holds the sources; membership is exact in the side set. */
static void test_sources_exact(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t h = 10; h < 510; h++)
		probe(e, h, 80, true, &b);
	CHECK_EQ_U(track_distinct_sources(e), 500);
	struct sw_addr a;
	v4(&a, 10);
	CHECK(track_has_addr(e, &a));
	v4(&a, 509);
	CHECK(track_has_addr(e, &a));
	v4(&a, 510);
	CHECK(!track_has_addr(e, &a));
	v4(&a, 9);
	CHECK(!track_has_addr(e, &a));
	track_release(e, &b);
	free(e);
}

/* No budget: the counts stay estimates, the entry says so, nothing is held. A budget that
 * runs out while a host set grows gives its memory back at once. */
static void test_budget(void)
{
	struct track_budget none = {.limit = 0};
	struct track_entry *e = fresh();
	if (!e)
		return;
	for (uint32_t p = 1; p <= 1000; p++)
		probe(e, 2, (uint16_t)p, false, &none);
	CHECK(e->inexact);
	CHECK_EQ_U(none.denied, 1);
	CHECK_EQ_U(none.used, 0);
	CHECK(track_distinct_ports(e) > 900 && track_distinct_ports(e) <= 1000);
	/* a new window forgets the refusal */
	track_reset_window(e, 5000, &none, false);
	CHECK(!e->inexact);
	CHECK_EQ_U(track_distinct_ports(e), 0);
	free(e);

	/* room for the side record and the first host table (129 slots), not for its growth */
	struct track_budget tight = {.limit = sizeof(struct track_exact) + 129 * 4};
	e = fresh();
	if (!e)
		return;
	for (uint32_t h = 0; h < 200; h++)
		probe(e, h, 80, false, &tight);
	CHECK(e->inexact);
	CHECK_EQ_U(tight.sets, 1);
	CHECK_EQ_U(tight.denied, 1);
	CHECK_EQ_U(tight.used, sizeof(struct track_exact));
	CHECK(track_distinct_targets(e) > 150 && track_distinct_targets(e) <= 200);
	track_reset_window(e, 9000, &tight, false);
	CHECK_EQ_U(tight.used, 0);
	free(e);
}

/* A source that stays within the inline sets takes no block; the set that outgrows them
 * moves to one with every member, and counts stay exact at every step through the inline
 * cap, the block's exact cap and the side set. Pairs likewise, with repeats seen as such. */
static void test_inline_sets(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	struct sw_addr t;
	v4(&t, 2);
	probe(e, 2, 80, false, &b);
	probe(e, 2, 443, false, &b);
	CHECK(track_pair_add(e, &t, 80));
	CHECK(track_pair_add(e, &t, 443));
	CHECK(!track_pair_add(e, &t, 80));
	CHECK_EQ_U(e->ports.mode, DSET_INLINE_SET);
	CHECK_EQ_U(e->targets.mode, DSET_INLINE_SET);
	CHECK_EQ_U(e->pairs.mode, DSET_INLINE_SET);
	CHECK_EQ_U(track_distinct_ports(e), 2);
	CHECK_EQ_U(track_distinct_targets(e), 1);
	int bad = 0;
	for (uint32_t p = 1; p <= 300; p++) {
		probe(e, 2 + p % 40, (uint16_t)(1000 + p), false, &b);
		probe(e, 2 + p % 40, (uint16_t)(1000 + p), false, &b); /* a repeat */
		uint64_t want_hosts = p < 40 ? p + 1 : 40;
		if (track_distinct_ports(e) != p + 2 || track_distinct_targets(e) != want_hosts)
			bad++;
		/* pairs have no side set: exact up to the block's 32, a bitmap's answer after */
		bool added = track_pair_add(e, &t, (uint16_t)(1000 + p));
		if (track_pair_add(e, &t, (uint16_t)(1000 + p)) ||
		    (p <= 30 && (!added || dset_count(&e->pairs) != p + 2u)))
			bad++;
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(e->ports.mode, DSET_BLOCK);
	CHECK_EQ_U(e->targets.mode, DSET_BLOCK);
	CHECK(!e->inexact);
	track_release(e, &b);
	CHECK_EQ_U(e->ports.mode, DSET_INLINE_SET);
	CHECK_EQ_U(e->ports.is_port, 1);
	CHECK_EQ_U(b.used, 0);
	free(e);
}

static void *refuse(size_t n, size_t size)
{
	(void)n;
	(void)size;
	return NULL;
}

/* The heap refuses blocks: the sets stay inline as 128-bit bitmaps, estimates that follow
 * the counts, and the entry says they are estimates. */
static void test_block_refused(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	void *(*was)(size_t, size_t) = dset_block_calloc;
	dset_block_calloc = refuse;
	for (uint32_t p = 1; p <= 8; p++)
		probe(e, 2, (uint16_t)p, false, &b);
	CHECK(!e->inexact); /* 8 ports fit inline */
	CHECK_EQ_U(track_distinct_ports(e), 8);
	for (uint32_t p = 9; p <= 100; p++)
		probe(e, 2 + p % 3, (uint16_t)p, false, &b);
	CHECK(e->inexact);
	CHECK_EQ_U(e->ports.mode, DSET_SMALLBITS);
	uint64_t n = track_distinct_ports(e);
	CHECK(n >= 70 && n <= 100);
	CHECK_EQ_U(track_distinct_targets(e), 3); /* 3 hosts: still inline and exact */
	dset_block_calloc = was;
	track_reset_window(e, 9000, &b, false);
	CHECK(!e->inexact);
	CHECK_EQ_U(e->ports.mode, DSET_INLINE_SET);
	free(e);
}

/* Samples: the first distinct ports and addresses in the order seen, repeats skipped, the
 * same whether they sit in the entry or in its samples block; a refused block stops them
 * where they are; a new window gives the block back. */
static void test_samples(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	/* ports 100, 99, ... 81 (20 distinct), each sent twice, to hosts 1..10 in turn */
	for (uint32_t i = 0; i < 40; i++)
		probe(e, 1 + (i / 2) % 10, (uint16_t)(100 - i / 2), false, &b);
	CHECK_EQ_U(e->n_ports, TRACK_SAMPLE_PORTS);
	for (unsigned i = 0; i < e->n_ports; i++)
		CHECK_EQ_U(track_sample_port(e, i), 100 - i);
	CHECK_EQ_U(e->n_targets, TRACK_SAMPLE_ADDRS);
	for (unsigned i = 0; i < e->n_targets; i++) {
		struct sw_addr want;
		v4(&want, 1 + i);
		CHECK(addr_eq(track_sample_addr(e, i), &want));
	}
	CHECK(e->more_samples != NULL);
	track_reset_window(e, 9000, &b, false);
	CHECK(e->more_samples == NULL);
	CHECK_EQ_U(e->n_ports, 0);

	/* grouped by target: the addresses are the sources */
	for (uint32_t i = 0; i < 3; i++)
		probe(e, 7 + i, 443, true, &b);
	CHECK_EQ_U(e->n_sources, 3);
	struct sw_addr third;
	v4(&third, 9);
	CHECK(addr_eq(track_sample_addr(e, 2), &third));
	CHECK_EQ_U(e->n_ports, 1);
	track_reset_window(e, 19000, &b, false);

	void *(*was)(size_t, size_t) = dset_block_calloc;
	dset_block_calloc = refuse;
	for (uint32_t i = 0; i < 8; i++) /* within the inline sets: exact counts */
		probe(e, 1 + i % 3, (uint16_t)(10 + i), false, &b);
	CHECK_EQ_U(e->n_ports, TRACK_SAMPLE_PORTS_INLINE); /* the inline ones, no more */
	CHECK_EQ_U(e->n_targets, 1);
	CHECK_EQ_U(track_sample_port(e, 3), 13);
	CHECK_EQ_U(track_distinct_ports(e), 8); /* counts do not depend on the samples */
	CHECK_EQ_U(track_distinct_targets(e), 3);
	dset_block_calloc = was;
	track_release(e, &b);
	free(e);
}

/* A failed first contact of src at a.b.c.d:port (IPv4) or 2001:2:0:c::d (IPv6, c the /64). */
static void fail_at(struct track_entry *e, int a, int b, int c, int d, uint16_t port, bool crafted,
                    struct track_budget *bud)
{
	struct sw_event ev = {.type = EV_OUTCOME,
	                      .outcome = OUT_REFUSED,
	                      .pclass = PC_TCP_SYN,
	                      .proto = 6,
	                      .port = port,
	                      .crafted = crafted};
	v4(&ev.src, 1);
	if (a >= 0) {
		addr_set_v4(&ev.dst,
		            (const uint8_t[]){(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d});
	} else { /* -a: the /32 (2001:2 + a), c: the /64's last 16 bits */
		uint8_t v6[16] = {0x20, 0x01, 0, (uint8_t)(2 - a), 0, 0, 0, (uint8_t)c};
		v6[15] = (uint8_t)d;
		addr_from_v6(&ev.dst, v6);
	}
	track_spread_note(e, &ev, bud);
}

/* Failures scattered over the Internet, and each way of not being so. */
static void test_spread(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	/* peers in their own /24s and /8s: scattered once three /8s failed */
	fail_at(e, 24, 1, 1, 1, 6346, false, &b);
	fail_at(e, 66, 2, 2, 2, 6346, false, &b);
	CHECK(!track_spread_scattered(e));
	fail_at(e, 82, 3, 3, 3, 6346, false, &b);
	CHECK(track_spread_scattered(e));
	CHECK(b.used > 0);
	/* the same service failing again, a second server in a /24: still scattered */
	fail_at(e, 66, 2, 2, 2, 6346, false, &b);
	fail_at(e, 82, 3, 3, 9, 6346, false, &b);
	CHECK(track_spread_scattered(e));
	/* a third host in that /24: swept, latched, its memberships given back */
	fail_at(e, 82, 3, 3, 20, 6346, false, &b);
	CHECK(!track_spread_scattered(e));
	fail_at(e, 90, 4, 4, 4, 6346, false, &b);
	fail_at(e, 213, 5, 5, 5, 6346, false, &b);
	CHECK(!track_spread_scattered(e));
	CHECK(e->exact && e->exact->spread.tab == NULL);
	track_reset_window(e, 2000, &b, false);
	CHECK_EQ_U(b.used, 0);
	CHECK_EQ_U(e->spread, 0);

	/* hosts failing on two ports each: still scattered (a peer moves); one host on many:
	 * swept (a vertical scan is never scattered) */
	for (int i = 0; i < 3; i++) {
		fail_at(e, 24 + 40 * i, 1, 1, 1, 80, false, &b);
		fail_at(e, 24 + 40 * i, 1, 1, 1, 81, false, &b);
	}
	CHECK(track_spread_scattered(e));
	fail_at(e, 24, 1, 1, 1, 82, false, &b);
	fail_at(e, 24, 1, 1, 1, 83, false, &b);
	CHECK(track_spread_scattered(e)); /* 8 pairs at 3 hosts: 2 x 3 + 2 */
	fail_at(e, 24, 1, 1, 1, 84, false, &b);
	CHECK(!track_spread_scattered(e));
	track_reset_window(e, 3000, &b, false);

	/* a hand-built probe's failure: swept */
	for (int i = 0; i < 3; i++)
		fail_at(e, 24 + 40 * i, 1, 1, 1, 80, false, &b);
	fail_at(e, 200, 1, 1, 1, 80, true, &b);
	CHECK(!track_spread_scattered(e));
	track_reset_window(e, 4000, &b, false);

	/* IPv6: /32s count as networks, a third host in one /64 sweeps */
	for (int i = 1; i <= 4; i++)
		fail_at(e, -i * 20, 0, i, 1, 4342, false, &b);
	CHECK(track_spread_scattered(e));
	fail_at(e, -20, 0, 1, 2, 4342, false, &b);
	CHECK(track_spread_scattered(e));
	fail_at(e, -20, 0, 1, 3, 4342, false, &b);
	CHECK(!track_spread_scattered(e));
	track_reset_window(e, 5000, &b, false);

	/* networks are counted exactly: 3/8 and 131/8 are two (15 bits of a hash merged them,
	 * and nDPI's quic_interop_V.pcapng, failures at QUIC servers in 3/8, 51/8 and 131/8,
	 * was a UDP scan) */
	fail_at(e, 3, 121, 242, 54, 443, false, &b);
	fail_at(e, 131, 159, 24, 198, 4433, false, &b);
	CHECK(!track_spread_scattered(e));
	fail_at(e, 51, 158, 105, 98, 443, false, &b);
	CHECK(track_spread_scattered(e));
	CHECK_EQ_U(e->spread, TRACK_SPREAD_NETS);
	for (int i = 0; i < 10; i++) /* saturates: never reaches the swept bit */
		fail_at(e, 60 + i, 1, 1, 1, 443, false, &b);
	CHECK(track_spread_scattered(e));
	track_reset_window(e, 6000, &b, false);

	/* only failures count: an answer is no failure */
	struct sw_event ok = {.type = EV_OUTCOME, .outcome = OUT_SUCCESS, .pclass = PC_TCP_SYN};
	addr_set_v4(&ok.dst, (const uint8_t[]){24, 1, 1, 1});
	track_spread_note(e, &ok, &b);
	CHECK_EQ_U(e->spread, 0);
	CHECK(e->exact == NULL || e->exact->spread.tab == NULL);
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);

	/* no budget for the memberships: swept, towards reporting */
	struct track_budget none = {.limit = 0};
	for (int i = 0; i < 4; i++)
		fail_at(e, 24 + 40 * i, 1, 1, 1, 80, false, &none);
	CHECK(!track_spread_scattered(e));
	CHECK_EQ_U(none.used, 0);
	track_release(e, &none);
	free(e);
}

/* Host facts live in the pair set beside the pairs and apart from them; a window restart
 * keeps the set when asked to, until it is worn (a bitmap a quarter full). */
static void test_memory(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	struct sw_addr h, other;
	v4(&h, 7);
	v4(&other, 8);
	CHECK(track_pair_add(e, &h, 80));
	CHECK(!track_host_has(e, &h, TRACK_HOST_SEEN)); /* a pair is no host fact */
	CHECK(track_host_add(e, &h, TRACK_HOST_SEEN));
	CHECK(!track_host_add(e, &h, TRACK_HOST_SEEN));
	CHECK(track_host_has(e, &h, TRACK_HOST_SEEN));
	CHECK(!track_host_has(e, &h, TRACK_HOST_ANSWERED));
	CHECK(!track_host_has(e, &other, TRACK_HOST_SEEN));
	CHECK(track_host_add(e, &h, TRACK_HOST_EXCUSED_1));
	CHECK(track_host_add(e, &h, TRACK_HOST_EXCUSED_2));
	CHECK(!track_pairs_worn(e));

	track_reset_window(e, 2000, &b, true);
	CHECK(!track_pair_add(e, &h, 80)); /* kept: the same pair is no new contact */
	CHECK(track_host_has(e, &h, TRACK_HOST_SEEN));
	CHECK_EQ_U(e->probes, 0);
	track_reset_window(e, 3000, &b, false);
	CHECK(track_pair_add(e, &h, 80)); /* forgotten */
	CHECK(!track_host_has(e, &h, TRACK_HOST_SEEN));

	/* 300 pairs fill a quarter of the 1024-bit bitmap: worn, and not kept */
	for (uint16_t p = 1; p <= 300; p++)
		track_pair_add(e, &other, p);
	CHECK(track_pairs_worn(e));
	track_reset_window(e, 4000, &b, true);
	CHECK(!track_pairs_worn(e));
	CHECK(track_pair_add(e, &other, 1));
	track_release(e, &b);
	CHECK_EQ_U(b.used, 0);
	free(e);
}

/* Inverses of the fixed mixes (MurmurHash3's finalisers) behind a host's key and, before the
 * sets' slots were keyed, its slot: what an attacker who read track.c computes. */
static uint64_t unxorshift64(uint64_t v, unsigned s)
{
	uint64_t r = v;
	for (unsigned i = 0; i < 64 / s + 1; i++)
		r = v ^ (r >> s);
	return r;
}

static uint32_t unxorshift32(uint32_t v, unsigned s)
{
	uint32_t r = v;
	for (unsigned i = 0; i < 32 / s + 1; i++)
		r = v ^ (r >> s);
	return r;
}

static uint64_t inv_mul64(uint64_t a)
{
	uint64_t x = a; /* Newton's iteration: each step doubles the correct low bits */
	for (int i = 0; i < 6; i++)
		x *= 2 - a * x;
	return x;
}

static uint32_t inv_fmix32(uint32_t v)
{
	v = unxorshift32(v, 16);
	v *= (uint32_t)inv_mul64(0xc2b2ae35u);
	v = unxorshift32(v, 13);
	v *= (uint32_t)inv_mul64(0x85ebca6bu);
	return unxorshift32(v, 16);
}

/* The IPv6 address in 2001:2:0:1::/64 whose host key (track.c host_key) is key. */
static void v6_with_key(struct sw_addr *a, uint32_t key)
{
	static const uint8_t prefix[8] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01};
	uint64_t x, h = key; /* the key is the low half of the 64-bit mix */
	memcpy(a->a, prefix, 8);
	memcpy(&x, prefix, 8);
	h = unxorshift64(h, 33);
	h *= inv_mul64(0xc4ceb9fe1a85ec53ULL);
	h = unxorshift64(h, 33);
	h *= inv_mul64(0xff51afd7ed558ccdULL);
	h = unxorshift64(h, 33);
	uint64_t y = (h ^ x * 0x9e3779b97f4a7c15ULL) - 0x7a11;
	memcpy(a->a + 8, &y, 8);
}

/*
 * A flood's exact source set under forged sources chosen to share one probe chain: 20,000
 * IPv6 sources (in memory only, never sent) whose keys the old fixed slot function
 * (mix32(key + 1)) put in slot 0 of every table up to 65,536 slots. Counted exactly, and no
 * lookup walks more than chance makes it: with the fixed slots the run was all 20,000.
 */
static void test_hosts_chain(void)
{
	struct track_budget b = {.limit = 1 << 22, .key = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9}};
	struct track_entry *e = fresh();
	if (!e)
		return;
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_TCP_SYN, .proto = 6, .port = 80};
	v4(&ev.dst, 2);
	for (int round = 0; round < 2; round++)
		for (uint32_t j = 0; j < 20000; j++) {
			v6_with_key(&ev.src, inv_fmix32(j << 16) - 1);
			ev.ts_us = 1000 + e->probes;
			track_note_probe(e, &ev, true, &b);
		}
	CHECK_EQ_U(track_distinct_sources(e), 20000);
	CHECK(!e->inexact);
	uint32_t run = track_hosts_longest_run(e);
	CHECK(run > 0 && run < 500);
	fprintf(stderr, "hosts chain: 20,000 chosen sources, longest run %u slots\n", run);
	track_release(e, &b);
	free(e);
}

/* One UDP probe to host at ts, paced (track_pace_probe comes before the entry notes it). */
static void paced_probe(struct track_entry *e, struct track_pace *pc, uint32_t host, uint64_t ts,
                        struct track_budget *b)
{
	struct sw_event ev = {.type = EV_PROBE, .pclass = PC_UDP, .proto = 17, .port = 6000};
	ev.ts_us = ts;
	v4(&ev.src, 1);
	v4(&ev.dst, host);
	track_pace_probe(pc, e, ts);
	track_note_probe(e, &ev, false, b);
}

/* A list of servers asked one after another, as nDPI's EAQ.pcap shows a meter doing:
 * answered ones release the next request at once, silent ones after a 1 s timeout. */
static uint64_t stop_and_wait(struct track_entry *e, struct track_pace *pc, uint64_t t, unsigned n,
                              unsigned answer_every, struct track_budget *b)
{
	for (unsigned i = 0; i < n; i++) {
		paced_probe(e, pc, 10 + i, t, b);
		if (i % answer_every == 0) {
			track_pace_answer(pc, e, t + 70000); /* 70 ms away */
			t += 70000 + 40000;                  /* the next one 40 ms later */
		} else {
			t += 1000000;
		}
	}
	return t;
}

/* A scan's pace: 30 probes every spacing µs, every third answered 2 ms later. */
static struct track_pace steady_pace(uint64_t spacing)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_pace pc = {0};
	struct track_entry *e = fresh();
	if (!e)
		return pc;
	for (unsigned i = 0; i < 30; i++) {
		uint64_t t = 1000000 + i * spacing;
		paced_probe(e, &pc, 10 + i, t, &b);
		if (i % 3 == 0)
			track_pace_answer(&pc, e, t + 2000);
	}
	track_release(e, &b);
	free(e);
	return pc;
}

static void test_pace(void)
{
	struct track_budget b = {.limit = 1 << 20};
	struct track_entry *e = fresh();
	if (!e)
		return;
	struct track_pace pc = {0};
	/* 30 servers, every third answering: 10 answers, each released the next at once */
	uint64_t t = stop_and_wait(e, &pc, 1000000, 30, 3, &b);
	CHECK_EQ_U(pc.hurried, 0);
	CHECK_EQ_U(pc.waited, 10);
	CHECK_EQ_U(pc.lagged, 0);
	CHECK(track_pace_waits(&pc, 10));
	CHECK(!track_pace_waits(&pc, 21)); /* fewer than half the answered pairs released one */
	/* a pause after an answer (the end of a round) is allowed once in four */
	paced_probe(e, &pc, 99, t, &b);
	track_pace_answer(&pc, e, t + 1000);
	paced_probe(e, &pc, 98, t + 20000000, &b);
	CHECK_EQ_U(pc.lagged, 1);
	CHECK(track_pace_waits(&pc, 10));
	/* a new window keeps what was learned of the pace when asked to, and only that */
	struct track_pace *kept = TRACK_STATE(e, struct track_pace);
	*kept = pc;
	TRACK_STATE(e, uint8_t)[sizeof pc] = 7;
	track_reset_window_keep(e, t + 30000000, &b, false, sizeof pc);
	CHECK_EQ_U(kept->waited, pc.waited);
	CHECK_EQ_U(TRACK_STATE(e, uint8_t)[sizeof pc], 0);
	track_reset_window(e, t + 40000000, &b, false);
	CHECK_EQ_U(kept->waited, 0);
	track_release(e, &b);
	free(e);

	/* a scan at 10 probes a second into silence hurries */
	pc = steady_pace(100000);
	CHECK(pc.hurried > 0);
	CHECK(!track_pace_waits(&pc, 10));

	/* a slow scan (nmap -T1: 15 s apart) waits as long after an answer as after silence */
	pc = steady_pace(15000000);
	CHECK_EQ_U(pc.hurried, 0);
	CHECK_EQ_U(pc.waited, 0);
	CHECK_EQ_U(pc.lagged, 10);
	CHECK(!track_pace_waits(&pc, 10));
}

int main(void)
{
	test_pace();
	test_memory();
	test_spread();
	test_inline_sets();
	test_samples();
	test_block_refused();
	test_ports_exact();
	test_hosts_exact();
	test_sources_exact();
	test_hosts_chain();
	test_budget();
	CHECK_DONE();
}
