/* decode_token_ring.c — IEEE 802.5 token ring MAC frames, source routing, then LLC. */
#include "scanwatch/decode.h"

#include <string.h>

#define TR_HDR_LEN 14 /* access control, frame control, destination (6), source (6) */

/* Frame control bits 7-6: 01 is an LLC frame, 00 a MAC (ring management) frame. */
#define TR_FC_TYPE_MASK 0xC0
#define TR_FC_TYPE_LLC  0x40

/*
 * The source address's top bit says a routing information field follows
 * (802.5 annex C / 802.1D source routing). Its first byte holds the field's
 * length in its low 5 bits: the 2-byte routing control plus up to eight
 * 2-byte route designators, so an even number from 2 to 18.
 */
#define TR_SA_ROUTED 0x80
#define TR_RIF_LEN   0x1f
#define TR_RIF_MIN   2
#define TR_RIF_MAX   18

enum decode_result decode_token_ring(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, TR_HDR_LEN);
	uint8_t rc;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if ((h[1] & TR_FC_TYPE_MASK) != TR_FC_TYPE_LLC) {
		st->non_ip++;
		return DECODE_SKIP;
	}
	memcpy(pkt->src_mac, h + 8, sizeof pkt->src_mac);
	pkt->src_mac[0] &= (uint8_t)~TR_SA_ROUTED; /* the routing bit is no part of the address */
	pkt->flags |= PKT_F_HAS_MAC;
	if (h[8] & TR_SA_ROUTED) {
		struct cursor peek = *c;
		size_t len;

		if (!cursor_u8(&peek, &rc)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		len = rc & TR_RIF_LEN;
		if (len < TR_RIF_MIN || len > TR_RIF_MAX || (len & 1)) {
			st->anomalies[ANOM_TOKEN_RING_ROUTE_BAD]++;
			return DECODE_BAD;
		}
		if (!cursor_skip(c, len)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
	}
	return decode_llc(c, pkt, st);
}
