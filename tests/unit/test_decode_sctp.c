/* test_decode_sctp.c — the SCTP decoder (RFC 9260 section 3): fields, every truncation point,
 * hostile chunk lengths, fragments, ICMP quotes of SCTP probes, random bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/decode.h"
#include "scanwatch/defrag.h"

enum { T_DLT_IPV4 = 228, T_DLT_IPV6 = 229 };

struct buf {
	uint8_t b[256];
	size_t n;
};

static void put8(struct buf *f, unsigned v)
{
	f->b[f->n++] = (uint8_t)v;
}

static void put16(struct buf *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void put32(struct buf *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void putmem(struct buf *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

/* SCTP common header (section 3.1), checksum left 0 (not verified). */
static void sctp_common(struct buf *f, unsigned sport, unsigned dport, uint32_t vtag)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, vtag);
	put32(f, 0);
}

/* nmap -sY's INIT: the 20-byte fixed part alone (scan_engine_raw.cc). */
static struct buf sctp_nmap_init(void)
{
	struct buf s = {0};
	sctp_common(&s, 40000, 80, 0);
	put8(&s, 1); /* INIT */
	put8(&s, 0);
	put16(&s, 20);
	put32(&s, 0xdeadbeef); /* initiate tag */
	put32(&s, 32768);      /* a_rwnd */
	put16(&s, 10);         /* outbound streams */
	put16(&s, 2048);       /* inbound streams */
	put32(&s, 12345);      /* initial TSN */
	return s;
}

/* nmap -sZ's COOKIE-ECHO: a 4-byte cookie. */
static struct buf sctp_nmap_cookie(void)
{
	struct buf s = {0};
	sctp_common(&s, 40000, 3868, 0x01020304);
	put8(&s, 10);
	put8(&s, 0);
	put16(&s, 8);
	put32(&s, 0xcafef00d);
	return s;
}

static struct buf ipv4(const struct buf *l4, unsigned proto, unsigned fragw, size_t totlen)
{
	static const uint8_t src[4] = {198, 18, 0, 1}, dst[4] = {198, 18, 0, 2};
	struct buf p = {0};
	put8(&p, 0x45);
	put8(&p, 0);
	put16(&p, (unsigned)(totlen ? totlen : 20 + l4->n));
	put16(&p, 777);
	put16(&p, fragw);
	put8(&p, 50);
	put8(&p, proto);
	put16(&p, 0);
	putmem(&p, src, 4);
	putmem(&p, dst, 4);
	putmem(&p, l4->b, l4->n);
	return p;
}

static struct buf ipv6(const struct buf *l4, unsigned nh)
{
	static const uint8_t src[16] = {0x20, 0x01, 0, 2, [15] = 1},
	                     dst[16] = {0x20, 0x01, 0, 2, [15] = 2};
	struct buf p = {0};
	put32(&p, 0x60000000);
	put16(&p, (unsigned)l4->n);
	put8(&p, nh);
	put8(&p, 255);
	putmem(&p, src, 16);
	putmem(&p, dst, 16);
	putmem(&p, l4->b, l4->n);
	return p;
}

struct outcome {
	enum decode_result r;
	struct decode_stats st;
	int anom; /* the one anomaly counted, -1 for none, -2 for several */
};

/* Decodes caplen bytes (an exact-size heap copy, so ASan sees any over-read) of wire bytes. */
static struct outcome run(int dlt, const struct buf *p, size_t caplen, struct sw_packet *pkt)
{
	struct outcome o = {0};
	uint8_t *b = malloc(caplen ? caplen : 1);
	uint64_t total = 0;
	if (!b)
		exit(2);
	memcpy(b, p->b, caplen);
	o.r = decode_packet(dlt, b, (uint32_t)caplen, (uint32_t)p->n, 7, pkt, &o.st);
	free(b);
	o.anom = -1;
	for (int a = 0; a < ANOM__COUNT; a++) {
		total += o.st.anomalies[a];
		if (o.st.anomalies[a])
			o.anom = a;
	}
	if (total > 1)
		o.anom = -2;
	return o;
}

static void test_init_fields(void)
{
	struct buf s = sctp_nmap_init(), p = ipv4(&s, 132, 0, 0);
	struct sw_packet pkt;
	struct outcome o = run(T_DLT_IPV4, &p, p.n, &pkt);
	CHECK(o.r == DECODE_OK && o.anom == -1);
	CHECK(pkt.proto == 132 && (pkt.flags & PKT_F_HAS_L4) && !(pkt.flags & PKT_F_L4_TRUNCATED));
	CHECK_EQ_U(pkt.sport, 40000);
	CHECK_EQ_U(pkt.dport, 80);
	CHECK_EQ_U(pkt.sctp.vtag, 0);
	CHECK_EQ_U(pkt.sctp.chunk_type, 1);
	CHECK_EQ_U(pkt.sctp.chunk_len, 20);
	CHECK_EQ_U(pkt.sctp.init_tag, 0xdeadbeef);
	CHECK_EQ_U(pkt.sctp.a_rwnd, 32768);
	CHECK_EQ_U(pkt.sctp.out_streams, 10);
	CHECK_EQ_U(pkt.sctp.in_streams, 2048);
	CHECK_EQ_U(pkt.payload_len, 20);
}

static void test_cookie_v6(void)
{
	struct buf s = sctp_nmap_cookie(), p = ipv6(&s, 132);
	struct sw_packet pkt;
	struct outcome o = run(T_DLT_IPV6, &p, p.n, &pkt);
	CHECK(o.r == DECODE_OK && o.anom == -1);
	CHECK(pkt.l3 == PKT_L3_IPV6 && pkt.proto == 132 && (pkt.flags & PKT_F_HAS_L4));
	CHECK_EQ_U(pkt.dport, 3868);
	CHECK_EQ_U(pkt.sctp.vtag, 0x01020304);
	CHECK_EQ_U(pkt.sctp.chunk_type, 10);
	CHECK_EQ_U(pkt.sctp.chunk_len, 8);
	CHECK_EQ_U(pkt.sctp.init_tag, 0); /* INIT fields only for INIT and INIT-ACK */
	CHECK_EQ_U(pkt.payload_len, 8);
}

/*
 * Every capture length of an INIT whose IP header states the whole packet
 * (snap length cuts): the common and chunk headers must be captured, the
 * INIT fields may be cut (then flagged truncated and left 0).
 */
static void test_snaplen_prefixes(void)
{
	struct buf s = sctp_nmap_init(), p = ipv4(&s, 132, 0, 0);
	for (size_t n = 20; n <= p.n; n++) {
		struct sw_packet pkt;
		struct outcome o = run(T_DLT_IPV4, &p, n, &pkt);
		if (n < 20 + 16) {
			CHECK(o.r == DECODE_BAD && o.anom == ANOM_SCTP_TRUNCATED);
		} else if (n < p.n) {
			CHECK(o.r == DECODE_OK && o.anom == -1);
			CHECK((pkt.flags & PKT_F_HAS_L4) && (pkt.flags & PKT_F_L4_TRUNCATED));
			CHECK_EQ_U(pkt.sctp.a_rwnd, n < 20 + 32 ? 0 : 32768);
		} else {
			CHECK(o.r == DECODE_OK && !(pkt.flags & PKT_F_L4_TRUNCATED));
		}
	}
}

/* Chunk lengths a packet builder can lie with, and packets too short to hold a chunk. */
static void test_hostile_lengths(void)
{
	static const struct {
		unsigned type, len;
		int anom;
	} cases[] = {
	    {10, 0, ANOM_SCTP_CHUNK_BAD}, /* below its own header */
	    {10, 3, ANOM_SCTP_CHUNK_BAD}, /* likewise */
	    {10, 4, -1},                  /* an empty cookie: short, but well-formed */
	    {10, 9, ANOM_SCTP_CHUNK_BAD}, /* past the packet's end */
	    {10, 0xffff, ANOM_SCTP_CHUNK_BAD},
	    {1, 8, ANOM_SCTP_CHUNK_BAD},  /* an INIT shorter than its fixed fields */
	    {2, 19, ANOM_SCTP_CHUNK_BAD}, /* an INIT-ACK likewise */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf s = {0};
		sctp_common(&s, 1, 2, 3);
		put8(&s, cases[i].type);
		put8(&s, 0);
		put16(&s, cases[i].len);
		put32(&s, 0);
		struct buf p = ipv4(&s, 132, 0, 0);
		struct sw_packet pkt;
		struct outcome o = run(T_DLT_IPV4, &p, p.n, &pkt);
		CHECK(o.anom == cases[i].anom);
		CHECK(o.r == (cases[i].anom < 0 ? DECODE_OK : DECODE_BAD));
	}
	/* a common header and nothing else: no chunk, not SCTP (section 3) */
	struct buf s = {0};
	sctp_common(&s, 1, 2, 3);
	struct buf p = ipv4(&s, 132, 0, 0);
	struct sw_packet pkt;
	struct outcome o = run(T_DLT_IPV4, &p, p.n, &pkt);
	CHECK(o.r == DECODE_BAD && o.anom == ANOM_SCTP_CHUNK_BAD);
	/* a bare IP header naming SCTP, as IP protocol scans send it: not malformed, no L4 */
	s.n = 0;
	p = ipv4(&s, 132, 0, 0);
	o = run(T_DLT_IPV4, &p, p.n, &pkt);
	CHECK(o.r == DECODE_OK && o.anom == -1 && !(pkt.flags & PKT_F_HAS_L4) && pkt.proto == 132);
	CHECK_EQ_U(o.st.unknown_proto, 1);
	/* fewer bytes than a common header, as stated and as captured */
	sctp_common(&s, 1, 2, 3);
	s.n = 7;
	p = ipv6(&s, 132);
	o = run(T_DLT_IPV6, &p, p.n, &pkt);
	CHECK(o.r == DECODE_BAD && o.anom == ANOM_SCTP_TRUNCATED);
}

/*
 * nmap -f: a first fragment of 8 bytes holds the ports only; it is not
 * malformed, and the header rebuilt from the fragments decodes whole.
 */
static void test_fragments(void)
{
	struct buf s = sctp_nmap_init();
	struct buf first = {0}, later = {0};
	putmem(&first, s.b, 8);
	putmem(&later, s.b + 8, s.n - 8);
	struct buf f1 = ipv4(&first, 132, 0x2000, 0), f2 = ipv4(&later, 132, 1, 0);
	struct sw_packet p1, p2, out;
	struct outcome o = run(T_DLT_IPV4, &f1, f1.n, &p1);
	CHECK(o.r == DECODE_OK && o.anom == -1);
	CHECK(!(p1.flags & PKT_F_HAS_L4) && p1.sport == 40000 && p1.dport == 80);
	/* a first fragment of 24 bytes: an INIT's chunk header but not its fixed fields */
	struct buf first24 = {0};
	putmem(&first24, s.b, 24);
	struct buf f24 = ipv4(&first24, 132, 0x2000, 0);
	struct sw_packet p24;
	o = run(T_DLT_IPV4, &f24, f24.n, &p24);
	CHECK(o.r == DECODE_OK && o.anom == -1 && !(p24.flags & PKT_F_HAS_L4));

	struct defrag *d = defrag_create((const uint8_t[16]){1});
	struct decode_stats st = {0};
	CHECK(d != NULL);
	if (!d)
		return;
	/* run() frees its copy of the input: point the views at bytes that stay */
	uint8_t keep1[8];
	memcpy(keep1, f1.b + 20, sizeof keep1);
	p1.frag_data = keep1;
	CHECK(!defrag_packet(d, &p1, &out, &st));
	o = run(T_DLT_IPV4, &f2, f2.n, &p2);
	CHECK(o.r == DECODE_OK && (p2.flags & PKT_F_FRAG_LATER));
	uint8_t keep[256];
	memcpy(keep, f2.b + 20, f2.n - 20);
	p2.frag_data = keep;
	bool rebuilt = defrag_packet(d, &p2, &out, &st);
	CHECK(rebuilt);
	if (rebuilt) {
		CHECK((out.flags & PKT_F_HAS_L4) && out.sctp.chunk_type == 1);
		CHECK_EQ_U(out.sctp.a_rwnd, 32768);
		CHECK_EQ_U(out.sctp.in_streams, 2048);
	}
	defrag_destroy(d);
}

/* ICMP protocol unreachable quoting an SCTP INIT: the quote names the probe's ports. */
static void test_icmp_quote(void)
{
	struct buf s = sctp_nmap_init(), probe = ipv4(&s, 132, 0, 0);
	struct buf icmp = {0};
	put8(&icmp, 3);
	put8(&icmp, 2);
	put16(&icmp, 0);
	put32(&icmp, 0);
	putmem(&icmp, probe.b, 28); /* IP header + 64 bits (RFC 792) */
	struct buf p = ipv4(&icmp, 1, 0, 0);
	struct sw_packet pkt;
	struct outcome o = run(T_DLT_IPV4, &p, p.n, &pkt);
	CHECK(o.r == DECODE_OK && o.anom == -1 && (pkt.flags & PKT_F_QUOTED));
	CHECK(pkt.quoted.proto == 132 && pkt.quoted.has_ports);
	CHECK_EQ_U(pkt.quoted.sport, 40000);
	CHECK_EQ_U(pkt.quoted.dport, 80);
}

/* Random bytes after an IPv4 / IPv6 header naming SCTP: never a crash, always one verdict. */
static void test_random(void)
{
	uint32_t x = 2463534242u;
	for (int i = 0; i < 20000; i++) {
		struct buf s = {0};
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		size_t n = x % 64;
		for (size_t j = 0; j < n; j++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			/* small chunk types and lengths often, so the INIT paths are hit */
			s.b[j] = (uint8_t)((j == 12 || j == 14) ? x % 3 : x);
		}
		s.n = n;
		struct buf p = (i & 1) ? ipv6(&s, 132) : ipv4(&s, 132, 0, 0);
		size_t cap = p.n - (x % 4 == 0 ? x % (n + 1) : 0);
		struct sw_packet pkt;
		struct outcome o = run((i & 1) ? T_DLT_IPV6 : T_DLT_IPV4, &p, cap, &pkt);
		CHECK(o.anom != -2);
		CHECK((o.r == DECODE_OK && o.anom == -1) || (o.r == DECODE_BAD && o.anom >= 0));
		if (o.r == DECODE_OK && (pkt.flags & PKT_F_HAS_L4))
			CHECK(pkt.sctp.chunk_len >= 4 && (size_t)pkt.payload_len + 12 == n);
	}
}

int main(void)
{
	test_init_fields();
	test_cookie_v6();
	test_snaplen_prefixes();
	test_hostile_lengths();
	test_fragments();
	test_icmp_quote();
	test_random();
	CHECK_DONE();
}
