/* decode_sunatm.c — SunATM captures (LINKTYPE_SUNATM): a 4-byte pseudo-header, then an AAL5 PDU. */
#include "scanwatch/decode.h"

/*
 * Direction and traffic type (1), VPI (1), VCI (2). The traffic type (low
 * nibble) says what the PDU is: LANE (a 2-byte LE client id, then an
 * Ethernet frame; ATM Forum LANE v1) or LLC-multiplexed (RFC 2684).
 * tcpdump print-sunatm.c reads the same fields.
 */
#define SUNATM_HDR_LEN 4
#define SUNATM_TYPE    0x0F
#define SUNATM_LANE    0x01
#define SUNATM_LLC     0x02
#define LANE_LECID_LEN 2

enum decode_result decode_sunatm(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, SUNATM_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (h[0] & SUNATM_TYPE) {
	case SUNATM_LLC:
		return decode_llc(c, pkt, st);
	case SUNATM_LANE:
		if (!cursor_skip(c, LANE_LECID_LEN)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		return decode_eth(c, pkt, st);
	default:
		st->non_ip++; /* signalling, OAM, or a VC multiplexed by other means */
		return DECODE_SKIP;
	}
}
