/* decode_ipfc.c — IP over Fibre Channel (RFC 2625, LINKTYPE_IP_OVER_FC): network header, then
 * LLC/SNAP. */
#include "scanwatch/decode.h"

#include <string.h>

/*
 * Destination and source network addresses, 8 bytes each: a 4-bit NAA of 1
 * and 12 zero bits, then an IEEE MAC address (RFC 2625 section 3.3).
 */
#define IPFC_HDR_LEN  16
#define IPFC_OFF_SMAC 10

enum decode_result decode_ipfc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, IPFC_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	memcpy(pkt->src_mac, h + IPFC_OFF_SMAC, sizeof pkt->src_mac);
	pkt->flags |= PKT_F_HAS_MAC;
	return decode_llc(c, pkt, st);
}
