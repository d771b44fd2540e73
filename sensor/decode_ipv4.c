/* decode_ipv4.c — IPv4 header (RFC 791): lengths, options, fragments, L4 hand-off. */
#include "scanwatch/decode.h"

#include <stdbool.h>
#include <stddef.h>

#define IPV4_HDR_MIN   20    /* IHL 5 */
#define IPV4_DGRAM_MAX 65535 /* RFC 791: total length is 16 bits; no fragment may pass it */

enum {
	IPV4_OPT_EOL = 0, /* end of option list */
	IPV4_OPT_NOP = 1, /* single-byte padding */
};

enum {
	IPV4_F_RESERVED = 0x8000, /* must be zero; ignored (no stack rejects on it) */
	IPV4_F_DF = 0x4000,
	IPV4_F_MF = 0x2000,
	IPV4_OFF_MASK = 0x1fff, /* offset in 8-byte units */
};

enum {
	IPPROTO_NUM_ICMP = 1,
	IPPROTO_NUM_TCP = 6,
	IPPROTO_NUM_UDP = 17,
	IPPROTO_NUM_GRE = 47,
	IPPROTO_NUM_SCTP = 132, /* RFC 9260 */
};

/*
 * Bytes that were on the wire from the cursor on: the captured ones plus what
 * the snap length cut. A record whose wire length is below its capture length
 * is inconsistent, so only the capture bound is trusted then.
 */
static size_t ipv4_wire_left(const struct cursor *c, const struct sw_packet *pkt)
{
	if (pkt->wire_len < pkt->cap_len)
		return SIZE_MAX;
	return cursor_left(c) + (pkt->wire_len - pkt->cap_len);
}

/*
 * Walks the options area (RFC 791 section 3.1): type-length-value except the
 * one-byte EOL and NOP. 0 if every option fits, -1 otherwise. Out of line:
 * options are rare, and inlined they cost the common path registers.
 */
static __attribute__((noinline)) int ipv4_options(struct cursor *o)
{
	uint8_t type, len;

	while (cursor_u8(o, &type)) {
		if (type == IPV4_OPT_EOL)
			return 0; /* the rest is padding */
		if (type == IPV4_OPT_NOP)
			continue;
		/* The length octet counts the type and length octets themselves. */
		if (!cursor_u8(o, &len) || len < 2 || !cursor_skip(o, (size_t)len - 2))
			return -1;
	}
	return 0;
}

enum decode_result decode_ipv4(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t wire_left = ipv4_wire_left(c, pkt);
	/* The fixed header is checked once; fields are read at their RFC 791 offsets. */
	const uint8_t *h = cursor_take(c, IPV4_HDR_MIN);
	uint8_t vihl, proto;
	uint16_t fragw;
	struct cursor opts;
	size_t hlen, totlen, plen, off;
	bool tso = false;

	if (!h) {
		st->anomalies[ANOM_IPV4_TRUNCATED]++;
		return DECODE_BAD;
	}
	vihl = h[0];
	if (vihl >> 4 != 4) {
		st->anomalies[ANOM_IPV4_BAD_VERSION]++;
		return DECODE_BAD;
	}
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < IPV4_HDR_MIN) {
		st->anomalies[ANOM_IPV4_IHL_TOO_SMALL]++;
		return DECODE_BAD;
	}
	totlen = cursor_get_be16(h + 2);
	fragw = cursor_get_be16(h + 6);
	proto = h[9];
	/* h + 10: checksum; the sensor sees what hosts see, valid or not */

	/*
	 * Total length 0 is what TCP segmentation offload leaves in the
	 * segments a host hands its NIC (and IPv4 BIG TCP in those over 64K),
	 * so a capture on the sending host is full of them. As Wireshark does
	 * (ip.tso_support), the length is then what was on the wire; a
	 * fragment is never such a segment, so there it stays a bad length.
	 */
	if (totlen == 0 && (fragw & (IPV4_F_MF | IPV4_OFF_MASK)) == 0) {
		totlen = wire_left == SIZE_MAX ? cursor_left(c) + IPV4_HDR_MIN : wire_left;
		tso = true;
	}
	/*
	 * Total length may exceed what was captured (snap length) but not the
	 * header, and not what was on the wire: then the length is a lie.
	 */
	if (totlen < hlen || totlen > wire_left) {
		st->anomalies[ANOM_IPV4_TOTLEN_BAD]++;
		return DECODE_BAD;
	}
	if (!cursor_sub(c, hlen - IPV4_HDR_MIN, &opts)) {
		st->anomalies[ANOM_IPV4_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (hlen > IPV4_HDR_MIN) {
		if (ipv4_options(&opts) < 0) {
			st->anomalies[ANOM_IPV4_OPT_BAD]++;
			return DECODE_BAD;
		}
		pkt->flags |= PKT_F_IP_OPTIONS;
	}

	plen = totlen - hlen;
	off = (size_t)(fragw & IPV4_OFF_MASK) * 8;
	/*
	 * No fragment may reach past the largest datagram RFC 791 allows (ping
	 * of death); hosts drop those at reassembly. A non-last fragment whose
	 * data is not a multiple of 8 is not flagged: Linux trims and accepts it
	 * (ip_frag_queue), so a scanner could hide behind such a check.
	 */
	if (!tso && off + totlen > IPV4_DGRAM_MAX) {
		st->anomalies[ANOM_IPV4_FRAG_BAD]++;
		return DECODE_BAD;
	}
	if (tso)
		st->notes[NOTE_IPV4_TSO_LENGTH]++;

	pkt->l3 = PKT_L3_IPV4;
	pkt->proto = proto;
	pkt->tos = h[1];
	pkt->ttl = h[8];
	pkt->ip_id = cursor_get_be16(h + 4);
	/* A BIG TCP segment's length does not fit the 16-bit fields: saturate. */
	pkt->ip_len = (uint16_t)(totlen > UINT16_MAX ? UINT16_MAX : totlen);
	pkt->frag_off = (uint16_t)off;
	addr_set_v4(&pkt->src, h + 12);
	addr_set_v4(&pkt->dst, h + 16);
	if (fragw & IPV4_F_DF)
		pkt->flags |= PKT_F_IP_DF;
	pkt->ip_payload_len = (uint16_t)(plen > UINT16_MAX ? UINT16_MAX : plen);
	cursor_limit(c, plen); /* drop Ethernet padding past the stated length */

	if ((fragw & IPV4_F_MF) || off != 0) {
		pkt->flags |= PKT_F_FRAG;
		pkt->frag_data = c->p;
		pkt->frag_len = (uint16_t)cursor_left(c);
		pkt->frag_more = (fragw & IPV4_F_MF) != 0;
	}
	if (off != 0) {
		/* Later fragments carry no L4 header; reassembly is not the sensor's job. */
		pkt->flags |= PKT_F_FRAG_LATER;
		st->frag_later++;
		return DECODE_OK;
	}

	switch (proto) {
	case IPPROTO_NUM_TCP:
		return decode_tcp(c, pkt, st);
	case IPPROTO_NUM_UDP:
		return decode_udp(c, pkt, st);
	case IPPROTO_NUM_ICMP:
		return decode_icmp(c, pkt, st);
	case IPPROTO_NUM_SCTP:
		return decode_sctp(c, pkt, st);
	case IPPROTO_NUM_GRE:
		/* A tunnel: its inner packet is analysed instead (decode_gre.c). A first
		 * fragment holds only part of it and is left as it is. */
		if (!(pkt->flags & PKT_F_FRAG) && decode_gre_match(c))
			return decode_gre(c, pkt, st);
		st->unknown_proto++;
		return DECODE_OK;
	default:
		/* Kept (no L4) for the protocol-scan detector. */
		st->unknown_proto++;
		return DECODE_OK;
	}
}
