/* decode_pppoe.c — PPP over Ethernet (RFC 2516): the session header, on Ethernet and as its own
 * link type. */
#include "scanwatch/decode.h"

#include <stdbool.h>

#define PPPOE_HDR_LEN      6    /* version/type, code, session id, length */
#define PPPOE_VERTYPE      0x11 /* RFC 2516 section 4: version 1, type 1 */
#define PPPOE_CODE_SESSION 0x00

/*
 * Reads the header; session_only: the ethertype said "session stage", so a
 * discovery code there is malformed rather than another stage.
 */
static enum decode_result pppoe_header(struct cursor *c, bool session_only, struct sw_packet *pkt,
                                       struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, PPPOE_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (h[0] != PPPOE_VERTYPE || (session_only && h[1] != PPPOE_CODE_SESSION)) {
		st->anomalies[ANOM_PPPOE_BAD]++;
		return DECODE_BAD;
	}
	if (h[1] != PPPOE_CODE_SESSION) {
		st->non_ip++; /* PADI, PADO, PADR, PADS, PADT: discovery, no IP */
		return DECODE_SKIP;
	}
	/* The length counts the PPP frame; Ethernet padding follows it. */
	cursor_limit(c, cursor_get_be16(h + 4));
	/* The PPP frame starts at its protocol field (no address and control). */
	return decode_ppp(c, pkt, st);
}

enum decode_result decode_pppoe(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	return pppoe_header(c, false, pkt, st);
}

enum decode_result decode_pppoe_session(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st)
{
	return pppoe_header(c, true, pkt, st);
}
