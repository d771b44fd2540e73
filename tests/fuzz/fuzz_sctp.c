/* fuzz_sctp.c — libFuzzer target: the SCTP decoder (sensor/decode_sctp.c) driven directly, and
 * the same bytes behind an IPv4 or IPv6 header through decode_packet, which must agree.
 *
 * Input layout (tests/fuzz/make_seeds.py writes seeds in it):
 *   byte 0   bit 0: the packet is a first IP fragment (more fragments follow)
 *            bit 1: the stated length is longer than the capture by bytes 1-2 (a snap-cut
 *                   packet); otherwise bytes 1-2 are absent and stated == captured
 *            bits 2-3: 0 decode_sctp alone; 1 also behind IPv4 (RFC 791); 2 also behind IPv6
 *                   (RFC 8200; never a fragment there); 3 as 1
 *   rest     the SCTP packet (RFC 9260 section 3: common header, chunks), in a buffer of
 *            exactly its size so AddressSanitizer sees any read past the capture.
 *
 * The callers of decode_sctp (decode_ipv4/ipv6, defrag.c) give it a cursor limited to the
 * IP payload's stated length with ip_payload_len set, so the capture is never longer than the
 * stated length; the target keeps to that precondition. What it checks is decode.h's contract
 * and decode_sctp's own: DECODE_BAD counts exactly one SCTP anomaly, DECODE_OK none; the
 * cursor never leaves the capture; fields read are the bytes at RFC 9260's offsets; the
 * payload length is what the IP layer stated minus the common header; a packet that claims
 * more than was captured (or an INIT cut before its fixed fields) is marked L4-truncated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCTP_COMMON 12 /* RFC 9260 section 3.1 */
#define SCTP_CHUNK  4  /* section 3.2 */
#define SCTP_INIT   16 /* section 3.3.2: fixed fields after the chunk header */
#define IPV4_HDR    20
#define IPV6_HDR    40
#define DLT_RAW     12 /* pcap/dlt.h */

static uint64_t anomaly_total(const struct decode_stats *st)
{
	uint64_t n = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		n += st->anomalies[a];
	return n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 checksum of the IPv4 header. */
static uint16_t ip_csum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The direct call's checks; returns the decoder's result. */
static enum decode_result check_direct(const uint8_t *sctp, size_t cap, size_t stated,
                                       int first_frag, struct sw_packet *pkt,
                                       struct decode_stats *st)
{
	struct cursor c;
	static const uint8_t empty[1];

	memset(pkt, 0, sizeof *pkt);
	memset(st, 0, sizeof *st);
	pkt->l3 = PKT_L3_IPV4;
	pkt->proto = 132;
	pkt->ip_payload_len = (uint16_t)stated;
	if (first_frag)
		pkt->flags |= PKT_F_FRAG;
	cursor_init(&c, cap ? sctp : empty, cap);
	const uint8_t *begin = c.p, *end = c.end;
	enum decode_result r = decode_sctp(&c, pkt, st);

	if (c.p < begin || c.p > end || c.end != end)
		abort(); /* the cursor left the capture */
	uint64_t an = anomaly_total(st);
	uint64_t sctp_an = st->anomalies[ANOM_SCTP_TRUNCATED] + st->anomalies[ANOM_SCTP_CHUNK_BAD];
	if (r == DECODE_BAD && (an != 1 || sctp_an != 1 || (pkt->flags & PKT_F_HAS_L4)))
		abort();
	if (r == DECODE_OK && an != 0)
		abort();
	if (r == DECODE_SKIP)
		abort(); /* SCTP is always analysed or malformed */
	if (r == DECODE_OK && !(pkt->flags & PKT_F_HAS_L4)) {
		/* Only a bare IP header naming protocol 132, or a first fragment cut in the
		 * headers. */
		if (!first_frag && !(stated == 0 && st->unknown_proto == 1))
			abort();
		if (first_frag && stated >= SCTP_COMMON + SCTP_CHUNK + SCTP_INIT)
			abort();
		return r;
	}
	if (r != DECODE_OK)
		return r;
	/* Decoded: the header was there and its fields are the bytes at their offsets. */
	if (cap < SCTP_COMMON + SCTP_CHUNK || stated < SCTP_COMMON + SCTP_CHUNK)
		abort();
	if (pkt->sport != be16(sctp) || pkt->dport != be16(sctp + 2) ||
	    pkt->sctp.vtag != be32(sctp + 4) || pkt->sctp.chunk_type != sctp[12] ||
	    pkt->sctp.chunk_flags != sctp[13] || pkt->sctp.chunk_len != be16(sctp + 14))
		abort();
	if (pkt->sctp.chunk_len < SCTP_CHUNK)
		abort();
	if (!first_frag && pkt->sctp.chunk_len > stated - SCTP_COMMON)
		abort(); /* a chunk longer than the packet was accepted */
	if (pkt->payload_len != stated - SCTP_COMMON)
		abort();
	int init = pkt->sctp.chunk_type == 1 || pkt->sctp.chunk_type == 2;
	int init_cut = init && cap < SCTP_COMMON + SCTP_CHUNK + SCTP_INIT;
	if (init && pkt->sctp.chunk_len < SCTP_CHUNK + SCTP_INIT)
		abort();
	if (init && !init_cut &&
	    (pkt->sctp.init_tag != be32(sctp + 16) || pkt->sctp.a_rwnd != be32(sctp + 20) ||
	     pkt->sctp.out_streams != be16(sctp + 24) || pkt->sctp.in_streams != be16(sctp + 26)))
		abort();
	if ((!init || init_cut) && (pkt->sctp.init_tag || pkt->sctp.a_rwnd ||
	                            pkt->sctp.out_streams || pkt->sctp.in_streams))
		abort();
	int truncated = (pkt->flags & PKT_F_L4_TRUNCATED) != 0;
	if (truncated != (cap < stated || init_cut))
		abort();
	return r;
}

/* The same bytes behind an IP header, decoded from the link layer up, must give what the
 * direct call gave. */
static void check_behind_ip(int v6, const uint8_t *sctp, size_t cap, size_t stated, int first_frag,
                            enum decode_result want, const struct sw_packet *dp,
                            const struct decode_stats *dst)
{
	size_t hl = v6 ? IPV6_HDR : IPV4_HDR;
	uint8_t *frame = malloc(hl + cap);
	if (!frame)
		return;
	memset(frame, 0, hl);
	if (v6) {
		frame[0] = 0x60;
		frame[4] = (uint8_t)(stated >> 8);
		frame[5] = (uint8_t)stated;
		frame[6] = 132; /* next header: SCTP */
		frame[7] = 64;
		frame[8] = 0x20; /* 2001:2::1 -> 2001:2::2 (RFC 5180) */
		frame[9] = 0x01;
		frame[11] = 0x02;
		frame[23] = 1;
		memcpy(frame + 24, frame + 8, 16);
		frame[39] = 2;
	} else {
		size_t tot = IPV4_HDR + stated;
		frame[0] = 0x45;
		frame[2] = (uint8_t)(tot >> 8);
		frame[3] = (uint8_t)tot;
		frame[5] = 7;
		frame[6] = first_frag ? 0x20 : 0; /* MF */
		frame[8] = 64;
		frame[9] = 132;
		memcpy(frame + 12, (const uint8_t[]){198, 18, 0, 1, 198, 18, 0, 2}, 8);
		uint16_t cs = ip_csum(frame, IPV4_HDR);
		frame[10] = (uint8_t)(cs >> 8);
		frame[11] = (uint8_t)cs;
	}
	if (cap)
		memcpy(frame + hl, sctp, cap);
	struct sw_packet pkt;
	struct decode_stats st;
	memset(&st, 0, sizeof st);
	enum decode_result r =
	    decode_packet(DLT_RAW, frame, (uint32_t)(hl + cap), (uint32_t)(hl + stated),
	                  1700000000000000ULL, &pkt, &st);
	if (r != want || anomaly_total(&st) != anomaly_total(dst) ||
	    st.anomalies[ANOM_SCTP_TRUNCATED] != dst->anomalies[ANOM_SCTP_TRUNCATED] ||
	    st.unknown_proto != dst->unknown_proto)
		abort();
	if (r == DECODE_OK) {
		uint16_t mask = PKT_F_HAS_L4 | PKT_F_L4_TRUNCATED | PKT_F_FRAG;
		if ((pkt.flags & mask) != (dp->flags & mask) || pkt.proto != 132 ||
		    pkt.sport != dp->sport || pkt.dport != dp->dport ||
		    memcmp(&pkt.sctp, &dp->sctp, sizeof pkt.sctp) != 0 ||
		    pkt.payload_len != dp->payload_len || pkt.ip_payload_len != stated)
			abort();
	}
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int first_frag = data[0] & 1;
	int mode = (data[0] >> 2) & 3;
	size_t hdr = 1, extra = 0;
	if (data[0] & 2) {
		if (size < 3)
			return 0;
		extra = be16(data + 1);
		hdr = 3;
	}
	size_t cap = size - hdr;
	size_t stated = cap + extra;
	size_t room = mode == 2 ? 65535 : 65535 - IPV4_HDR; /* what an IP header can state */
	if (stated > room)
		return 0;
	uint8_t *sctp = cap ? malloc(cap) : NULL; /* exact size: ASan sees one byte past it */
	if (cap && !sctp)
		return 0;
	if (cap)
		memcpy(sctp, data + hdr, cap);

	struct sw_packet pkt;
	struct decode_stats st;
	enum decode_result r = check_direct(sctp, cap, stated, first_frag, &pkt, &st);
	if (mode == 1 || mode == 3)
		check_behind_ip(0, sctp, cap, stated, first_frag, r, &pkt, &st);
	else if (mode == 2 && !first_frag)
		check_behind_ip(1, sctp, cap, stated, 0, r, &pkt, &st);
	free(sctp);
	return 0;
}
