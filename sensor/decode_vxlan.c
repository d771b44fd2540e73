/* decode_vxlan.c — VXLAN (RFC 7348): an Ethernet frame in UDP to port 4789. */
#include "scanwatch/decode.h"

/* Flags (1), reserved (3), VNI (3), reserved (1). */
#define VXLAN_HDR_LEN 8
#define VXLAN_F_VNI   0x08 /* "I": the VNI is valid; RFC 7348 section 5 requires it */

int decode_vxlan_match(const struct cursor *c)
{
	struct cursor peek = *c;
	uint8_t flags;

	/*
	 * The I flag must be set; the other bits are reserved (or used by the
	 * group-policy extension) and ignored on receipt, as RFC 7348 says. A
	 * datagram to 4789 without it, an empty UDP probe for one, stays a UDP
	 * packet.
	 */
	return cursor_has(c, VXLAN_HDR_LEN) && cursor_u8(&peek, &flags) && (flags & VXLAN_F_VNI);
}

enum decode_result decode_vxlan(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	/* decode_vxlan_match() has seen the header; checked again all the same. */
	if (!cursor_skip(c, VXLAN_HDR_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* From here on the view is the inner frame's; the UDP datagram is not classified. */
	if (decode_tunnel(pkt, st) < 0)
		return DECODE_BAD;
	return decode_eth(c, pkt, st);
}
