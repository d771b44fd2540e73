/* test_defrag.c — a TCP header cut into 8-byte fragments (nmap -f) is rebuilt, in any order; an
 * identification used again by another datagram. */
#include <stdlib.h>

#include "check.h"
#include "scanwatch/decode.h"
#include "scanwatch/defrag.h"

#define DLT_RAW_LINUX 12

static const uint8_t test_key[16] = {0x5c, 1, 2, 3};

/* One IPv4 fragment of a 24-byte TCP SYN (window 1024, MSS 1460), bytes [off, off+len). */
static size_t fragment(uint8_t *out, const uint8_t *tcp, unsigned off, unsigned len, bool more,
                       uint16_t id)
{
	uint16_t total = (uint16_t)(20 + len);
	uint16_t fw = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
	uint8_t ip[20] = {0x45,
	                  0,
	                  (uint8_t)(total >> 8),
	                  (uint8_t)total,
	                  (uint8_t)(id >> 8),
	                  (uint8_t)id,
	                  (uint8_t)(fw >> 8),
	                  (uint8_t)fw,
	                  47,
	                  6,
	                  0,
	                  0,
	                  198,
	                  18,
	                  0,
	                  1,
	                  198,
	                  18,
	                  0,
	                  2};
	memcpy(out, ip, 20);
	memcpy(out + 20, tcp + off, len);
	return total;
}

static int run(const unsigned *order, uint16_t id, struct sw_packet *got)
{
	static const uint8_t syn[24] = {0xa0, 0x00, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78,
	                                0,    0,    0,    0,    0x60, 0x02, 0x04, 0x00,
	                                0,    0,    0,    0,    2,    4,    0x05, 0xb4};
	struct defrag *d = defrag_create(test_key);
	struct decode_stats st = {0};
	int rebuilt = 0;
	for (int i = 0; i < 3; i++) {
		unsigned k = order[i];
		uint8_t frame[64];
		size_t n = fragment(frame, syn, k * 8, 8, k < 2, id);
		struct sw_packet p;
		CHECK_EQ_U(decode_packet(DLT_RAW_LINUX, frame, (uint32_t)n, (uint32_t)n, 1000 + i,
		                         &p, &st),
		           DECODE_OK);
		CHECK(p.flags & PKT_F_FRAG);
		CHECK(!(p.flags & PKT_F_HAS_L4)); /* 8 bytes: no flags in any single fragment */
		if (defrag_packet(d, &p, got, &st))
			rebuilt++;
	}
	CHECK_EQ_U(st.frag_rebuilt, (uint64_t)rebuilt);
	defrag_destroy(d);
	return rebuilt;
}

/* The slot the table used before its slots were keyed: FNV-1a over source, destination,
 * IP identification and protocol, what anyone who read defrag.c could compute. */
static unsigned fixed_slot(const struct sw_packet *p)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ p->src.a[i] ^ (uint32_t)p->dst.a[i] << 8) * 16777619u;
	h = (h ^ p->ip_id ^ (uint32_t)p->proto << 16) * 16777619u;
	return h % 1024;
}

/*
 * A scanner that knows where its fragmented probe waits sends, between the probe's fragments,
 * a fragment of another datagram (a forged source, in memory only) that lands in the same
 * slot. Aimed at the fixed slot (8 such fragments, each tried alone), it no longer evicts the
 * probe: every probe is rebuilt. With the fixed slots none was.
 */
static void test_aimed_eviction(void)
{
	static const uint8_t syn[24] = {0xa0, 0x00, 0x00, 0x16, 0x12, 0x34, 0x56, 0x78,
	                                0,    0,    0,    0,    0x60, 0x02, 0x04, 0x00,
	                                0,    0,    0,    0,    2,    4,    0x05, 0xb4};
	struct decode_stats st = {0};
	uint8_t frames[3][64], frame[64]; /* a decoded packet points into its frame */
	struct sw_packet probe[3], out;
	for (unsigned k = 0; k < 3; k++) {
		size_t n = fragment(frames[k], syn, k * 8, 8, k < 2, 4242);
		CHECK_EQ_U(decode_packet(DLT_RAW_LINUX, frames[k], (uint32_t)n, (uint32_t)n, 10 + k,
		                         &probe[k], &st),
		           DECODE_OK);
	}
	unsigned aimed = 0, rebuilt = 0;
	for (uint32_t id = 0; id < 65536 && aimed < 8; id++) {
		size_t n = fragment(frame, syn, 0, 8, true, (uint16_t)id);
		frame[14] = 5; /* source 198.18.5.9 */
		frame[15] = 9;
		struct sw_packet evict;
		if (decode_packet(DLT_RAW_LINUX, frame, (uint32_t)n, (uint32_t)n, 11, &evict,
		                  &st) != DECODE_OK ||
		    fixed_slot(&evict) != fixed_slot(&probe[0]))
			continue;
		aimed++;
		struct defrag *d = defrag_create(test_key);
		CHECK(!defrag_packet(d, &probe[0], &out, &st));
		defrag_packet(d, &evict, &out, &st);
		CHECK(!defrag_packet(d, &probe[1], &out, &st));
		if (defrag_packet(d, &probe[2], &out, &st) && out.tcp_flags == TCP_SYN)
			rebuilt++;
		defrag_destroy(d);
	}
	CHECK_EQ_U(aimed, 8);
	CHECK_EQ_U(rebuilt, 8);
}

/* Feeds the three fragments of a SYN to dport (identification id) at ts; true when rebuilt. */
static bool feed_syn(struct defrag *d, uint16_t dport, uint16_t id, uint64_t ts,
                     struct sw_packet *out)
{
	uint8_t syn[24] = {0xa0,
	                   0x00,
	                   (uint8_t)(dport >> 8),
	                   (uint8_t)dport,
	                   0x12,
	                   0x34,
	                   0x56,
	                   0x78,
	                   0,
	                   0,
	                   0,
	                   0,
	                   0x60,
	                   0x02,
	                   0x04,
	                   0x00,
	                   0,
	                   0,
	                   0,
	                   0,
	                   2,
	                   4,
	                   0x05,
	                   0xb4};
	struct decode_stats st = {0};
	bool rebuilt = false;
	for (unsigned k = 0; k < 3; k++) {
		uint8_t frame[64];
		size_t n = fragment(frame, syn, k * 8, 8, k < 2, id);
		struct sw_packet p;
		if (decode_packet(DLT_RAW_LINUX, frame, (uint32_t)n, (uint32_t)n, ts + k, &p,
		                  &st) != DECODE_OK)
			return false;
		if (defrag_packet(d, &p, out, &st))
			rebuilt = true;
	}
	return rebuilt;
}

/* nmap draws each probe's identification at random: in a real nmap -sS -f capture two of 203
 * probes, 1.8 ms apart, shared one. The second is another datagram (other ports), rebuilt
 * too; the same datagram delivered twice is rebuilt once. */
static void test_id_reused(void)
{
	struct defrag *d = defrag_create(test_key);
	struct sw_packet out;
	CHECK(feed_syn(d, 22, 39629, 1000, &out));
	CHECK_EQ_U(out.dport, 22);
	CHECK(!feed_syn(d, 22, 39629, 1500, &out)); /* a duplicate */
	memset(&out, 0, sizeof out);
	CHECK(feed_syn(d, 8080, 39629, 2800, &out));
	CHECK_EQ_U(out.dport, 8080);
	CHECK_EQ_U(out.tcp_flags, TCP_SYN);
	defrag_destroy(d);
}

int main(void)
{
	static const unsigned orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}};
	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
		struct sw_packet got;
		memset(&got, 0, sizeof got);
		CHECK_EQ_U(run(orders[i], (uint16_t)(100 + i), &got), 1);
		CHECK(got.flags & PKT_F_HAS_L4);
		CHECK_EQ_U(got.tcp_flags, TCP_SYN);
		CHECK_EQ_U(got.tcp_window, 1024);
		CHECK_EQ_U(got.sport, 0xa000);
		CHECK_EQ_U(got.dport, 22);
		CHECK(got.tcp_opts.has_mss && got.tcp_opts.mss == 1460);
		CHECK_EQ_U(got.ttl, 47);
	}
	/* two fragments only (the options' fragment lost): nothing is invented */
	struct defrag *d = defrag_create(test_key);
	struct decode_stats st = {0};
	static const uint8_t syn[24] = {0xa0, 0, 0, 0x16, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 0x02, 4, 0};
	struct sw_packet p, out;
	for (unsigned k = 0; k < 2; k++) {
		uint8_t frame[64];
		size_t n = fragment(frame, syn, k * 8, 8, true, 7);
		decode_packet(DLT_RAW_LINUX, frame, (uint32_t)n, (uint32_t)n, 5, &p, &st);
		CHECK(!defrag_packet(d, &p, &out, &st));
	}
	defrag_destroy(d);
	test_aimed_eviction();
	test_id_reused();
	CHECK_DONE();
}
