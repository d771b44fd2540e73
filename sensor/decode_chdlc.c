/* decode_chdlc.c — Cisco HDLC: address, control and an ethertype (LINKTYPE_C_HDLC). */
#include "scanwatch/decode.h"

#define CHDLC_HDR_LEN 4 /* address (0x0F unicast, 0x8F broadcast), control 0, protocol */

enum decode_result decode_chdlc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, CHDLC_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* The protocol is an ethertype: IPv4, IPv6, MPLS; SLARP (0x8035) and CDP (0x2000) are
	 * skipped there as non-IP. */
	return decode_ethertype(cursor_get_be16(h + 2), c, pkt, st);
}

enum decode_result decode_chdlc_dir(struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st)
{
	/* LINKTYPE_C_HDLC_WITH_DIR: one byte, 0 received / 1 sent, then Cisco HDLC. */
	if (!cursor_skip(c, 1)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_chdlc(c, pkt, st);
}
