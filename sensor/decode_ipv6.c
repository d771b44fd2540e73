/* decode_ipv6.c — IPv6 fixed header and extension-header chain (RFC 8200), L4 hand-off. */
#include "scanwatch/decode.h"

#include <stddef.h>

#define IPV6_HDR_LEN  40
#define IPV6_FRAG_LEN 8 /* RFC 8200 section 4.5: fixed size, no length field */

/*
 * Most extension headers walked before the chain is called hostile. RFC 8200
 * section 4.1 allows each header once (destination options twice), about six
 * in practice; a longer chain is an evasion or CPU attack, not traffic.
 */
#define IPV6_EXT_MAX 8

/* RFC 8200 section 4 and the IANA "IPv6 Extension Header Types" registry. */
enum {
	IPV6_NH_HOPOPTS = 0,
	IPV6_NH_TCP = 6,
	IPV6_NH_UDP = 17,
	IPV6_NH_ROUTING = 43,
	IPV6_NH_FRAGMENT = 44,
	IPV6_NH_GRE = 47,
	IPV6_NH_AH = 51, /* RFC 4302: length in 4-byte units minus 2 */
	IPV6_NH_ICMPV6 = 58,
	IPV6_NH_DSTOPTS = 60,
	IPV6_NH_MOBILITY = 135, /* RFC 6275 */
	IPV6_NH_HIP = 139,      /* RFC 7401 */
	IPV6_NH_SCTP = 132,     /* RFC 9260 */
	IPV6_NH_SHIM6 = 140,    /* RFC 5533 */
};

/*
 * Extension headers whose length we can walk. ESP (50) is not one: what
 * follows it is encrypted, so it ends the chain as the upper-layer protocol;
 * so does No Next Header (59).
 */
static int ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case IPV6_NH_HOPOPTS:
	case IPV6_NH_ROUTING:
	case IPV6_NH_FRAGMENT:
	case IPV6_NH_AH:
	case IPV6_NH_DSTOPTS:
	case IPV6_NH_MOBILITY:
	case IPV6_NH_HIP:
	case IPV6_NH_SHIM6:
		return 1;
	default:
		return 0;
	}
}

/* Captured bytes plus what the snap length cut; see ipv4_wire_left() for the reasoning. */
static size_t ipv6_wire_left(const struct cursor *c, const struct sw_packet *pkt)
{
	if (pkt->wire_len < pkt->cap_len)
		return SIZE_MAX;
	return cursor_left(c) + (pkt->wire_len - pkt->cap_len);
}

enum decode_result decode_ipv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t wire_left = ipv6_wire_left(c, pkt);
	uint32_t vtcfl;
	uint16_t paylen;
	uint8_t nh, hlim;
	struct cursor src, dst;
	size_t plen;

	if (!cursor_has(c, IPV6_HDR_LEN)) {
		st->anomalies[ANOM_IPV6_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be32(c, &vtcfl);
	if (vtcfl >> 28 != 6) {
		st->anomalies[ANOM_IPV6_BAD_VERSION]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &paylen);
	(void)cursor_u8(c, &nh);
	(void)cursor_u8(c, &hlim);
	/* Checked windows over the addresses, copied once into the view below. */
	(void)cursor_sub(c, 16, &src);
	(void)cursor_sub(c, 16, &dst);

	/*
	 * The payload may be cut by the snap length but not claim more than was
	 * on the wire. Payload length 0 before a hop-by-hop header announces a
	 * jumbogram (RFC 2675), which no link we capture from can carry.
	 */
	if (paylen > wire_left - IPV6_HDR_LEN || (paylen == 0 && nh == IPV6_NH_HOPOPTS)) {
		st->anomalies[ANOM_IPV6_PAYLEN_BAD]++;
		return DECODE_BAD;
	}

	pkt->l3 = PKT_L3_IPV6;
	pkt->tos = (uint8_t)(vtcfl >> 20);
	pkt->flow_label = vtcfl & 0xfffff;
	pkt->ttl = hlim;
	/* 40 + 65535 does not fit the 16-bit field: saturate (no link we read carries it). */
	if (paylen > UINT16_MAX - IPV6_HDR_LEN)
		pkt->ip_len = UINT16_MAX;
	else
		pkt->ip_len = (uint16_t)(paylen + IPV6_HDR_LEN);
	addr_from_v6(&pkt->src, src.p);
	addr_from_v6(&pkt->dst, dst.p);
	cursor_limit(c, paylen);
	plen = paylen;

	/* A bounded loop over the chain: the cap stops hop-by-hop / dest-opts loops. */
	for (int n = 0; ipv6_is_ext(nh); n++) {
		uint8_t next, len8;
		size_t elen;

		if (n == IPV6_EXT_MAX) {
			st->anomalies[ANOM_IPV6_EXT_TOO_MANY]++;
			return DECODE_BAD;
		}
		if (!cursor_u8(c, &next) || !cursor_u8(c, &len8)) {
			st->anomalies[ANOM_IPV6_EXT_TRUNCATED]++;
			return DECODE_BAD;
		}
		if (nh == IPV6_NH_FRAGMENT)
			elen = IPV6_FRAG_LEN;
		else if (nh == IPV6_NH_AH)
			elen = ((size_t)len8 + 2) * 4;
		else
			elen = ((size_t)len8 + 1) * 8; /* 8-octet units, not counting the first 8 */
		/* The window ends at the stated payload length or the capture end. */
		if (!cursor_has(c, elen - 2)) {
			st->anomalies[ANOM_IPV6_EXT_TRUNCATED]++;
			return DECODE_BAD;
		}
		pkt->flags |= PKT_F_V6_EXTHDR;
		if (nh == IPV6_NH_FRAGMENT) {
			uint16_t offm;
			uint32_t id;

			(void)cursor_be16(c, &offm);
			(void)cursor_be32(c, &id);
			pkt->ip_id = (uint16_t)id; /* low half of the 32-bit identification */
			/* 13-bit offset in 8-byte units, already shifted left by 3: bytes. */
			pkt->frag_off = offm & 0xfff8;
			/* An atomic fragment (offset 0, M 0; RFC 6946) is a whole packet. */
			if (pkt->frag_off != 0 || (offm & 1)) {
				pkt->flags |= PKT_F_FRAG;
				pkt->frag_more = offm & 1;
			}
		} else {
			(void)cursor_skip(c, elen - 2);
		}
		plen -= elen; /* the window never exceeds paylen, so this cannot wrap */
		nh = next;
		if (pkt->flags & PKT_F_FRAG) {
			pkt->frag_data = c->p;
			pkt->frag_len = (uint16_t)cursor_left(c);
		}
		if (pkt->frag_off != 0) {
			pkt->proto = nh;
			pkt->ip_payload_len = (uint16_t)plen;
			pkt->flags |= PKT_F_FRAG_LATER;
			st->frag_later++;
			return DECODE_OK;
		}
	}

	pkt->proto = nh;
	pkt->ip_payload_len = (uint16_t)plen;
	switch (nh) {
	case IPV6_NH_TCP:
		return decode_tcp(c, pkt, st);
	case IPV6_NH_UDP:
		return decode_udp(c, pkt, st);
	case IPV6_NH_ICMPV6:
		return decode_icmpv6(c, pkt, st);
	case IPV6_NH_SCTP:
		return decode_sctp(c, pkt, st);
	case IPV6_NH_GRE:
		/* A tunnel: its inner packet is analysed instead (decode_gre.c). */
		if (!(pkt->flags & PKT_F_FRAG) && decode_gre_match(c))
			return decode_gre(c, pkt, st);
		st->unknown_proto++;
		return DECODE_OK;
	default:
		/* No Next Header (59), ESP (50) ...: kept for the protocol-scan detector. */
		st->unknown_proto++;
		return DECODE_OK;
	}
}
