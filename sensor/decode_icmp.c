/* decode_icmp.c — ICMP (RFC 792) and ICMPv6 (RFC 4443), with the header quoted in errors. */
#include "scanwatch/decode.h"

#include <stdbool.h>

/* Every ICMP and ICMPv6 message starts with type, code, checksum and 4 type-specific bytes. */
#define ICMP_HDR_LEN 8

#define QUOTE_V4_HDR_MIN 20
#define QUOTE_V6_HDR_LEN 40

/*
 * Extension headers walked inside an ICMPv6 quote. RFC 4443 quotes as much of
 * the packet as fits in 1280 bytes, but a probe worth attributing rarely has
 * more than a fragment or destination-options header before its ports.
 */
#define QUOTE_V6_EXT_MAX 2

enum {
	ICMP_ECHO_REPLY = 0,
	ICMP_UNREACH = 3,
	ICMP_SOURCE_QUENCH = 4,
	ICMP_REDIRECT = 5,
	ICMP_ECHO = 8,
	ICMP_TIME_EXCEEDED = 11,
	ICMP_PARAM_PROBLEM = 12,
	ICMP_TSTAMP = 13,
	ICMP_TSTAMP_REPLY = 14,
	ICMP_INFO = 15,
	ICMP_INFO_REPLY = 16,
	ICMP_MASK = 17, /* RFC 950 */
	ICMP_MASK_REPLY = 18,
};

enum {
	ICMP6_UNREACH = 1,
	ICMP6_PACKET_TOO_BIG = 2,
	ICMP6_TIME_EXCEEDED = 3,
	ICMP6_PARAM_PROBLEM = 4,
	ICMP6_ECHO = 128,
	ICMP6_ECHO_REPLY = 129,
};

/* Protocols whose first 4 bytes are source and destination port. */
static bool quote_has_ports(uint8_t proto)
{
	switch (proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 33:  /* DCCP, RFC 4340 */
	case 132: /* SCTP, RFC 9260 */
	case 136: /* UDP-Lite, RFC 3828 */
		return true;
	default:
		return false;
	}
}

/*
 * The quoted ports, if the quote reaches them. RFC 792 promises the first 8
 * bytes of the original datagram's data; the ports are its first 4.
 */
static void quote_ports(struct cursor *q, struct pkt_quoted *out)
{
	if (!quote_has_ports(out->proto))
		return;
	if (cursor_be16(q, &out->sport) && cursor_be16(q, &out->dport))
		out->has_ports = 1;
	else
		out->sport = out->dport = 0;
}

/* Parses a quoted IPv4 header (own bounded code, no re-entry into decode_ipv4); 0 or -1. */
static int quote_v4(struct cursor *q, struct pkt_quoted *out)
{
	uint8_t vihl, src[4], dst[4];
	uint16_t fragw;
	size_t hlen;

	if (!cursor_has(q, QUOTE_V4_HDR_MIN))
		return -1;
	(void)cursor_u8(q, &vihl);
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hlen < QUOTE_V4_HDR_MIN)
		return -1;
	(void)cursor_skip(q, 3); /* TOS, total length (routers may have rewritten it) */
	(void)cursor_be16(q, &out->ip_id);
	(void)cursor_be16(q, &fragw);
	(void)cursor_skip(q, 1); /* TTL */
	(void)cursor_u8(q, &out->proto);
	(void)cursor_skip(q, 2); /* checksum */
	(void)cursor_bytes(q, src, 4);
	(void)cursor_bytes(q, dst, 4);
	if (!cursor_skip(q, hlen - QUOTE_V4_HDR_MIN))
		return -1; /* options cut off: the header itself is incomplete */
	addr_from_v4(&out->src, src);
	addr_from_v4(&out->dst, dst);
	if ((fragw & 0x1fff) == 0) /* a later fragment quoted: no ports in it */
		quote_ports(q, out);
	return 0;
}

/* Parses a quoted IPv6 header and at most QUOTE_V6_EXT_MAX extension headers; 0 or -1. */
static int quote_v6(struct cursor *q, struct pkt_quoted *out)
{
	uint32_t vtcfl;
	uint8_t nh, src[16], dst[16];
	bool later = false, walked = true;

	if (!cursor_has(q, QUOTE_V6_HDR_LEN))
		return -1;
	(void)cursor_be32(q, &vtcfl);
	if (vtcfl >> 28 != 6)
		return -1;
	(void)cursor_skip(q, 2); /* payload length */
	(void)cursor_u8(q, &nh);
	(void)cursor_skip(q, 1); /* hop limit */
	(void)cursor_bytes(q, src, 16);
	(void)cursor_bytes(q, dst, 16);
	addr_from_v6(&out->src, src);
	addr_from_v6(&out->dst, dst);

	/* Hop-by-hop 0, routing 43, fragment 44, destination options 60 (RFC 8200 section 4). */
	for (int n = 0; n < QUOTE_V6_EXT_MAX && (nh == 0 || nh == 43 || nh == 44 || nh == 60);
	     n++) {
		uint8_t next, len8;
		uint16_t offm;
		uint32_t id;

		if (!cursor_u8(q, &next) || !cursor_u8(q, &len8)) {
			walked = false;
			break;
		}
		if (nh == 44) {
			if (!cursor_be16(q, &offm) || !cursor_be32(q, &id)) {
				walked = false;
				break;
			}
			out->ip_id = (uint16_t)id;
			later = (offm & 0xfff8) != 0;
		} else if (!cursor_skip(q, ((size_t)len8 + 1) * 8 - 2)) {
			walked = false;
			break;
		}
		nh = next;
	}
	/*
	 * The addresses are good even when the chain ran out of quote; the
	 * ports are taken only past a complete chain (quote_ports ignores an
	 * nh that is still an extension header) of a first fragment.
	 */
	out->proto = nh;
	if (walked && !later)
		quote_ports(q, out);
	return 0;
}

/*
 * Shared by both ICMP versions: the 8-byte header is known to be there.
 * Returns DECODE_OK; a bad quote only costs PKT_F_QUOTED and one counter.
 */
static enum decode_result icmp_finish(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st, size_t stated, bool echo_like,
                                      int quote_family)
{
	uint16_t id, seq;
	struct pkt_quoted q = {0};

	(void)cursor_u8(c, &pkt->icmp_type);
	(void)cursor_u8(c, &pkt->icmp_code);
	(void)cursor_skip(c, 2); /* checksum */
	(void)cursor_be16(c, &id);
	(void)cursor_be16(c, &seq);
	if (echo_like) {
		pkt->icmp_id = id;
		pkt->icmp_seq = seq;
	}
	pkt->payload_len = (uint16_t)(stated - ICMP_HDR_LEN);
	if (cursor_left(c) < pkt->payload_len)
		pkt->flags |= PKT_F_L4_TRUNCATED;
	pkt->flags |= PKT_F_HAS_L4;

	if (quote_family) {
		int r = quote_family == 4 ? quote_v4(c, &q) : quote_v6(c, &q);

		if (r < 0) {
			st->anomalies[ANOM_ICMP_QUOTE_TRUNCATED]++;
		} else {
			pkt->quoted = q;
			pkt->flags |= PKT_F_QUOTED;
		}
	}
	return DECODE_OK;
}

/*
 * masscan's echo request (--ping, Debian's 1.3.2): 48 bytes counting up from 8, the fill
 * ping(8) puts after its timestamp (iputils: byte i of the data is i), but with no timestamp
 * in front. ping(8) always starts its data with the time it sent (BSD and iputils alike, when
 * the data has room for it), so its fill never begins the data; Windows sends the alphabet,
 * fping zeros. Only the captured bytes are read.
 */
#define MASSCAN_ECHO_DATA 48
static bool masscan_echo_data(const struct cursor *c, const struct sw_packet *pkt)
{
	if (pkt->payload_len != MASSCAN_ECHO_DATA || cursor_left(c) < MASSCAN_ECHO_DATA)
		return false;
	for (size_t i = 0; i < MASSCAN_ECHO_DATA; i++)
		if (c->p[i] != (uint8_t)(8 + i))
			return false;
	return true;
}

/* An echo request (ICMP 8, ICMPv6 128): the header, then masscan's mark on its data. */
static enum decode_result icmp_echo_request(struct cursor *c, struct sw_packet *pkt,
                                            struct decode_stats *st, size_t stated)
{
	enum decode_result r = icmp_finish(c, pkt, st, stated, true, 0);
	if (masscan_echo_data(c, pkt))
		pkt->flags |= PKT_F_ICMP_COUNTING;
	return r;
}

/*
 * Below the 8-byte header: malformed, unless this is a first fragment the IP
 * length cut (then type and code, if there, are kept without PKT_F_HAS_L4).
 */
static enum decode_result icmp_short(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st, size_t stated, enum decode_anomaly a)
{
	if ((pkt->flags & PKT_F_FRAG) && stated < ICMP_HDR_LEN) {
		if (cursor_u8(c, &pkt->icmp_type))
			(void)cursor_u8(c, &pkt->icmp_code);
		return DECODE_OK;
	}
	st->anomalies[a]++;
	return DECODE_BAD;
}

enum decode_result decode_icmp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t stated = pkt->ip_payload_len; /* decode_ipv4/ipv6 (or defrag) set it */
	struct cursor peek = *c;
	uint8_t type;

	pkt->payload_len = 0;
	if (!cursor_has(c, ICMP_HDR_LEN))
		return icmp_short(c, pkt, st, stated, ANOM_ICMP_TRUNCATED);
	(void)cursor_u8(&peek, &type);
	switch (type) {
	case ICMP_ECHO:
		return icmp_echo_request(c, pkt, st, stated);
	case ICMP_ECHO_REPLY:
	case ICMP_TSTAMP:
	case ICMP_TSTAMP_REPLY:
	case ICMP_INFO:
	case ICMP_INFO_REPLY:
	case ICMP_MASK:
	case ICMP_MASK_REPLY:
		/* Identifier and sequence number in the second 32-bit word. */
		return icmp_finish(c, pkt, st, stated, true, 0);
	case ICMP_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM:
		/* Internet header + 64 bits of the original datagram follow the header. */
		return icmp_finish(c, pkt, st, stated, false, 4);
	default:
		return icmp_finish(c, pkt, st, stated, false, 0);
	}
}

enum decode_result decode_icmpv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t stated = pkt->ip_payload_len; /* decode_ipv4/ipv6 (or defrag) set it */
	struct cursor peek = *c;
	uint8_t type;

	pkt->payload_len = 0;
	if (!cursor_has(c, ICMP_HDR_LEN))
		return icmp_short(c, pkt, st, stated, ANOM_ICMPV6_TRUNCATED);
	(void)cursor_u8(&peek, &type);
	switch (type) {
	case ICMP6_ECHO:
		return icmp_echo_request(c, pkt, st, stated);
	case ICMP6_ECHO_REPLY:
		return icmp_finish(c, pkt, st, stated, true, 0);
	case ICMP6_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROBLEM:
		/* RFC 4443 section 3: as much of the invoking packet as fits. */
		return icmp_finish(c, pkt, st, stated, false, 6);
	default:
		return icmp_finish(c, pkt, st, stated, false, 0);
	}
}
