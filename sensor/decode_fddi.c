/* decode_fddi.c — FDDI MAC frames (ANSI X3.139): frame control, addresses, then LLC. */
#include "scanwatch/decode.h"

#include <string.h>

#define FDDI_HDR_LEN 13 /* frame control, destination (6), source (6) */

/*
 * Frame control CLFFZZZZ: L set means 48-bit addresses, FF = 01 an LLC frame
 * (asynchronous 0x50-0x57 or synchronous 0xD0-0xD7). Everything else (tokens,
 * SMT, MAC frames) carries no datagram.
 */
#define FDDI_FC_MASK 0x70
#define FDDI_FC_LLC  0x50

enum decode_result decode_fddi(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, FDDI_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if ((h[0] & FDDI_FC_MASK) != FDDI_FC_LLC) {
		st->non_ip++;
		return DECODE_SKIP;
	}
	/* Linux hands FDDI addresses over in canonical (Ethernet) bit order, as captured. */
	memcpy(pkt->src_mac, h + 7, sizeof pkt->src_mac);
	pkt->flags |= PKT_F_HAS_MAC;
	return decode_llc(c, pkt, st);
}
