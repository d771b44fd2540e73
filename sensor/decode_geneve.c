/* decode_geneve.c — GENEVE (RFC 8926): Ethernet or IP in UDP to port 6081, with options. */
#include "scanwatch/decode.h"

/*
 * Version (2 bits, 0) and options length (6 bits, 4-byte units), O and C
 * flags, protocol type (an ethertype), VNI (3), reserved (1); then options.
 */
#define GENEVE_HDR_LEN   8
#define GENEVE_VERSION   0xC0
#define GENEVE_OPT_LEN   0x3F
#define GENEVE_PROTO_TEB 0x6558 /* an Ethernet frame */

enum {
	GENEVE_PROTO_IPV4 = 0x0800,
	GENEVE_PROTO_IPV6 = 0x86DD,
};

int decode_geneve_match(const struct cursor *c)
{
	struct cursor peek = *c;
	uint8_t vo, flags;
	uint16_t proto;

	/* Version 0 and a payload we read; otherwise the datagram stays UDP. */
	if (!cursor_has(c, GENEVE_HDR_LEN) || !cursor_u8(&peek, &vo) || !cursor_u8(&peek, &flags) ||
	    !cursor_be16(&peek, &proto))
		return 0;
	return (vo & GENEVE_VERSION) == 0 &&
	       (proto == GENEVE_PROTO_TEB || proto == GENEVE_PROTO_IPV4 ||
	        proto == GENEVE_PROTO_IPV6);
}

enum decode_result decode_geneve(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, GENEVE_HDR_LEN); /* decode_geneve_match() saw it */
	uint16_t proto;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	proto = cursor_get_be16(h + 2);
	/* From here on the view is the inner packet's; the UDP datagram is not classified. */
	if (decode_tunnel(pkt, st) < 0)
		return DECODE_BAD;
	if (!cursor_skip(c, (size_t)(h[0] & GENEVE_OPT_LEN) * 4)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (proto) {
	case GENEVE_PROTO_TEB:
		return decode_eth(c, pkt, st);
	case GENEVE_PROTO_IPV4:
		return decode_ipv4(c, pkt, st);
	default:
		return decode_ipv6(c, pkt, st);
	}
}
