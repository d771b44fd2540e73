/* test_evidence_ng.c — a record's packets as one pcapng section: written, read back, and read
 * when another program wrote it or broke it. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/evidence.h"
#include "scanwatch/evidence_ng.h"

#define MAXP 80

struct got {
	uint32_t n;
	struct evidence_view v[MAXP];
	uint8_t data[MAXP][EVIDENCE_SNAP];
};

static int take(void *ctx, const struct evidence_view *k)
{
	struct got *g = ctx;
	if (g->n == MAXP)
		return 1;
	g->v[g->n] = *k;
	memcpy(g->data[g->n], k->data, k->caplen);
	g->v[g->n].data = g->data[g->n];
	g->n++;
	return 0;
}

static int walk(const uint8_t *b, size_t len, struct got *g, const char **why)
{
	memset(g, 0, sizeof *g);
	return evidence_ng_walk(b, len, take, g, why);
}

/* Every packet as written: times, lengths, link types, bytes, ordinals with and without the
 * option; the layout is the draft's, block by block. */
static void test_round_trip(void)
{
	struct evidence_pack *p = evidence_pack_new(EVIDENCE_MAX);
	uint8_t d[EVIDENCE_SNAP];
	struct got g;
	const char *why;

	CHECK(p != NULL);
	if (!p)
		return;
	for (size_t i = 0; i < sizeof d; i++)
		d[i] = (uint8_t)(i * 7);
	CHECK_EQ_U(p->len, 0);
	/* ordinals 3, 4, 5 (one option: the first is not 0), then 9 (a gap: an option) */
	CHECK(evidence_pack_put(p, 1700000000, 123456789, 60, 60, 1, 3, d));
	CHECK(evidence_pack_put(p, 1700000000, 123456790, 61, 1514, 1, 4, d + 1));
	CHECK(evidence_pack_put(p, 1700000001, 0, 0, 0, 1, 5, d));
	CHECK(evidence_pack_put(p, 1700000002, 999999999, EVIDENCE_SNAP, 9000, 113, 9, d + 0));
	CHECK_EQ_U(p->n, 4);
	CHECK_EQ_U(p->first, 3);
	CHECK_EQ_U(p->nif, 2); /* Ethernet, then Linux cooked */
	/* SHB 28, IDB 32, EPB 48+60, EPB 32+64, EPB 32+0, IDB 32, EPB 48+256 */
	CHECK_EQ_U(p->len, 28 + 32 + 108 + 96 + 32 + 32 + 304);
	uint32_t v;
	memcpy(&v, p->ng, 4);
	CHECK_EQ_U(v, 0x0A0D0D0Au);
	memcpy(&v, p->ng + 8, 4);
	CHECK_EQ_U(v, 0x1A2B3C4Du);
	memcpy(&v, p->ng + 28, 4);
	CHECK_EQ_U(v, 1);              /* the IDB before the first packet */
	CHECK_EQ_U(p->ng[28 + 20], 9); /* if_tsresol: nanoseconds */

	CHECK_EQ_U(walk(p->ng, p->len, &g, &why), 0);
	CHECK_EQ_U(g.n, 4);
	const uint32_t ord[] = {3, 4, 5, 9}, cap[] = {60, 61, 0, EVIDENCE_SNAP};
	const uint32_t orig[] = {60, 1514, 0, 9000}, nsec[] = {123456789, 123456790, 0, 999999999};
	const int64_t sec[] = {1700000000, 1700000000, 1700000001, 1700000002};
	const int32_t lt[] = {1, 1, 1, 113};
	for (uint32_t i = 0; i < 4 && i < g.n; i++) {
		CHECK_EQ_U(g.v[i].ordinal, ord[i]);
		CHECK_EQ_U(g.v[i].caplen, cap[i]);
		CHECK_EQ_U(g.v[i].origlen, orig[i]);
		CHECK_EQ_U(g.v[i].ts_sec, sec[i]);
		CHECK_EQ_U(g.v[i].ts_nsec, nsec[i]);
		CHECK_EQ_U(g.v[i].linktype, lt[i]);
		CHECK(memcmp(g.v[i].data, d + (i == 1), cap[i]) == 0);
	}

	/* the copy the queue keeps reads the same, and has no room for more */
	struct evidence_pack *q = evidence_pack_dup(p);
	CHECK(q != NULL);
	if (q) {
		CHECK_EQ_U(q->cap, q->len);
		CHECK_EQ_U(evidence_pack_size(q), sizeof *q + p->len);
		CHECK(memcmp(q->ng, p->ng, p->len) == 0);
		CHECK(!evidence_pack_put(q, 1, 0, 1, 1, 1, 10, d));
		free(q);
	}

	/* refused, the pack unchanged: past the snap, caplen over origlen, a 17-bit link type */
	uint32_t len = p->len;
	CHECK(!evidence_pack_put(p, 1, 0, EVIDENCE_SNAP + 1, 9000, 1, 10, d));
	CHECK(!evidence_pack_put(p, 1, 0, 10, 9, 1, 10, d));
	CHECK(!evidence_pack_put(p, 1, 0, 10, 10, 70000, 10, d));
	CHECK(!evidence_pack_put(p, 1, 0, 10, 10, -1, 10, d));
	CHECK(!evidence_pack_put(p, 1, 1000000000, 10, 10, 1, 10, d));
	CHECK_EQ_U(p->len, len);
	CHECK_EQ_U(p->n, 4);

	/* raw IP: DLT_RAW (12) in the sensor, LINKTYPE_RAW (101) in the IDB, 12 read back; a
	 * link type whose numbers agree goes as it is */
	evidence_pack_clear(p);
	CHECK(evidence_pack_put(p, 5, 0, 4, 4, 12, 0, d));
	CHECK(evidence_pack_put(p, 5, 0, 4, 4, 14, 1,
	                        d)); /* OpenBSD's DLT_RAW: the same file value */
	uint16_t lt16;
	memcpy(&lt16, p->ng + 28 + 8, 2);
	CHECK_EQ_U(lt16, 101);
	memcpy(&lt16, p->ng + 28 + 32 + 36 + 8, 2);
	CHECK_EQ_U(lt16, 101);
	CHECK_EQ_U(walk(p->ng, p->len, &g, &why), 0);
	CHECK_EQ_U(g.n, 2);
	CHECK_EQ_U(g.v[0].linktype, 12);
	CHECK_EQ_U(g.v[1].linktype, 12);

	/* cleared, it starts a new section and the first ordinal is stated again if not 0 */
	evidence_pack_clear(p);
	CHECK(evidence_pack_put(p, 5, 0, 4, 4, 1, 0, d));
	CHECK_EQ_U(p->len, 28 + 32 + 32 + 4); /* ordinal 0 first: no option */
	CHECK_EQ_U(walk(p->ng, p->len, &g, &why), 0);
	CHECK_EQ_U(g.n, 1);
	CHECK_EQ_U(g.v[0].ordinal, 0);
	free(p);
}

/* A time 64 bits of nanoseconds cannot hold goes under an interface of seconds; one before
 * 1970 as 0. A full pack of EVIDENCE_MAX snap-sized packets, each of its own link type up
 * to the interfaces a pack names, fits the room evidence_pack_new gave. */
static void test_times_and_room(void)
{
	struct evidence_pack *p = evidence_pack_new(EVIDENCE_MAX);
	uint8_t d[EVIDENCE_SNAP] = {0};
	struct got g;
	const char *why;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK(evidence_pack_put(p, 18446744072ll, 709551615, 4, 4, 1, 0, d)); /* the last ns */
	CHECK(evidence_pack_put(p, 18446744073ll, 5, 4, 4, 1, 1, d));         /* past it */
	CHECK(evidence_pack_put(p, -5, 5, 4, 4, 1, 2, d));
	CHECK_EQ_U(p->nif, 2);
	CHECK_EQ_U(walk(p->ng, p->len, &g, &why), 0);
	CHECK_EQ_U(g.n, 3);
	CHECK_EQ_U(g.v[0].ts_sec, 18446744072ll);
	CHECK_EQ_U(g.v[0].ts_nsec, 709551615);
	CHECK_EQ_U(g.v[1].ts_sec, 18446744073ll);
	CHECK_EQ_U(g.v[1].ts_nsec, 0);
	CHECK_EQ_U(g.v[2].ts_sec, 0);
	CHECK_EQ_U(g.v[2].ordinal, 2);

	evidence_pack_clear(p);
	for (uint32_t i = 0; i < EVIDENCE_MAX; i++)
		CHECK(evidence_pack_put(p, 1, 0, EVIDENCE_SNAP, EVIDENCE_SNAP,
		                        (int32_t)(i % EVIDENCE_NG_IFACES), 2 * i, d));
	CHECK_EQ_U(p->n, EVIDENCE_MAX);
	CHECK_EQ_U(p->nif, EVIDENCE_NG_IFACES);
	CHECK(p->len <= p->cap);
	CHECK(
	    !evidence_pack_put(p, 1, 0, 1, 1, EVIDENCE_NG_IFACES, 1000, d)); /* a 17th interface */
	CHECK_EQ_U(walk(p->ng, p->len, &g, &why), 0);
	CHECK_EQ_U(g.n, EVIDENCE_MAX);
	CHECK_EQ_U(g.v[EVIDENCE_MAX - 1].ordinal, 2 * (EVIDENCE_MAX - 1));
	CHECK_EQ_U(g.v[EVIDENCE_MAX - 1].linktype, (EVIDENCE_MAX - 1) % EVIDENCE_NG_IFACES);
	free(p);
}

static void put32be(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void put16be(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Another program's section: big-endian, microseconds (no if_tsresol), a block of a type
 * the reader does not know, a second section with a 2^-10 s clock. */
static void test_foreign_section(void)
{
	uint8_t b[256] = {0};
	size_t at = 0;
	struct got g;
	const char *why;

	/* SHB, big-endian */
	put32be(b, 0x0A0D0D0Au);
	put32be(b + 4, 28);
	put32be(b + 8, 0x1A2B3C4Du);
	put16be(b + 12, 1);
	memset(b + 16, 0xff, 8);
	put32be(b + 24, 28);
	at = 28;
	/* IDB: Ethernet, no options */
	put32be(b + at, 1);
	put32be(b + at + 4, 20);
	put16be(b + at + 8, 1);
	put32be(b + at + 12, 65535);
	put32be(b + at + 16, 20);
	at += 20;
	/* a Name Resolution Block (type 4), skipped */
	put32be(b + at, 4);
	put32be(b + at + 4, 16);
	put32be(b + at + 12, 16);
	at += 16;
	/* EPB: 3 bytes at 1,500,000 µs */
	put32be(b + at, 6);
	put32be(b + at + 4, 36);
	put32be(b + at + 12, 0);
	put32be(b + at + 16, 1500000);
	put32be(b + at + 20, 3);
	put32be(b + at + 24, 3);
	b[at + 28] = 0xaa;
	b[at + 29] = 0xbb;
	b[at + 30] = 0xcc;
	put32be(b + at + 32, 36);
	at += 36;
	/* a second SHB, little-endian, an IDB of 2^-10 s, and an EPB of 1536 units */
	const uint8_t le[] = {
	    0x0A, 0x0D, 0x0D, 0x0A, 28,   0,    0,    0,    0x4D, 0x3C, 0x2B, 0x1A, 1, 0,
	    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28,   0,    0, 0, /* SHB */
	    1,    0,    0,    0,    32,   0,    0,    0,    101,  0,    0,    0,    0, 1,
	    0,    0,    9,    0,    1,    0,    0x8a, 0,    0,    0,    0,    0,    0, 0,
	    32,   0,    0,    0, /* IDB: raw IP, if_tsresol 2^-10 */
	    6,    0,    0,    0,    36,   0,    0,    0,    0,    0,    0,    0,    0, 0,
	    0,    0,    0,    6,    0,    0,    2,    0,    0,    0,    2,    0,    0, 0,
	    0x45, 0x00, 0,    0,    36,   0,    0,    0, /* EPB: 1536/1024 s */
	};
	memcpy(b + at, le, sizeof le);
	at += sizeof le;
	CHECK_EQ_U(walk(b, at, &g, &why), 0);
	CHECK_EQ_U(g.n, 2);
	CHECK_EQ_U(g.v[0].ts_sec, 1);
	CHECK_EQ_U(g.v[0].ts_nsec, 500000000);
	CHECK_EQ_U(g.v[0].linktype, 1);
	CHECK_EQ_U(g.v[0].caplen, 3);
	CHECK_EQ_U(g.v[0].data[2], 0xcc);
	CHECK_EQ_U(g.v[0].ordinal, 0);
	CHECK_EQ_U(g.v[1].ts_sec, 1);
	CHECK_EQ_U(g.v[1].ts_nsec, 500000000);
	CHECK_EQ_U(g.v[1].linktype, 12); /* LINKTYPE_RAW, as DLT_RAW */
	CHECK_EQ_U(g.v[1].ordinal, 1);   /* the previous one's plus one, across sections */
	CHECK_EQ_U(g.v[1].data[0], 0x45);
}

/* Broken blobs: the walk stops at the first block it cannot read, gives what came before,
 * says why, and never reads past the blob (ASan watches this test's heap copies). */
static void test_broken(void)
{
	struct evidence_pack *p = evidence_pack_new(EVIDENCE_MAX);
	uint8_t d[EVIDENCE_SNAP] = {1, 2, 3};
	struct got g;
	const char *why;

	CHECK(p != NULL);
	if (!p)
		return;
	for (uint32_t i = 0; i < 3; i++)
		CHECK(evidence_pack_put(p, 100, i, 40, 40, 1, i, d));
	/* every cut: the packets wholly before it, then a stop with its reason unless the cut falls
	 * between blocks */
	for (uint32_t cut = 0; cut < p->len; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		CHECK(c != NULL);
		if (!c)
			break;
		memcpy(c, p->ng, cut);
		int rc = walk(c, cut, &g, &why);
		uint32_t whole = cut < 60 + 72 ? 0 : cut < 60 + 144 ? 1 : 2; /* EPBs of 32 + 40 */
		if (cut == 0 || cut == 28 || cut == 60 || cut == 132 || cut == 204) {
			CHECK(rc == 0); /* whole blocks: a shorter blob, no fault */
		} else {
			CHECK(rc == -1);
			CHECK(why != NULL);
		}
		CHECK_EQ_U(g.n, whole);
		free(c);
	}
	struct {
		size_t at;
		uint32_t value;
		const char *why;
	} bad[] = {
	    {0, 1, "no section header first"},
	    {8, 0x12345678, "a section of unknown byte order"},
	    {4, 30, "a block's length does not frame it"},        /* not a multiple of 4 */
	    {4, 8, "a block's length does not frame it"},         /* below 12 */
	    {60 + 4, 1000, "a block's length does not frame it"}, /* past the blob */
	    {60 + 8, 1, "packet of an interface not described"},
	    {60 + 20, 200, "captured length past the block"},
	    {60 + 24, 39, "original length below the captured length"},
	    {28 + 20, 20, "if_tsresol past 10^-19"},
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		uint8_t c[1024];
		memcpy(c, p->ng, p->len);
		memcpy(c + bad[k].at, &bad[k].value, 4);
		CHECK(walk(c, p->len, &g, &why) == -1);
		CHECK(why != NULL && strcmp(why, bad[k].why) == 0);
	}
	free(p);
}

int main(void)
{
	test_round_trip();
	test_times_and_room();
	test_foreign_section();
	test_broken();
	CHECK_DONE();
}
