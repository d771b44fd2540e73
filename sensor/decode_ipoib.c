/* decode_ipoib.c — IP over InfiniBand (RFC 4391) as captured (LINKTYPE_IPOIB). */
#include "scanwatch/decode.h"

/*
 * The capture header is 44 bytes: destination and source hardware
 * addresses (20 bytes each: queue pair number and GID, RFC 4391 section 9.1.1),
 * then RFC 4391's 4-byte encapsulation header, an ethertype and 2 reserved
 * bytes (tcpdump print-ipoib.c reads it the same way).
 */
#define IPOIB_HDR_LEN  44
#define IPOIB_OFF_TYPE 40

enum decode_result decode_ipoib(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, IPOIB_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* 20-byte hardware addresses are not MACs: the view keeps none. ARP over InfiniBand
	 * (hardware type 32) carries them too. */
	return decode_ethertype(cursor_get_be16(h + IPOIB_OFF_TYPE), c, pkt, st);
}
