/* decode_firewire.c — IP over IEEE 1394 as Apple captures it (LINKTYPE_APPLE_IP_OVER_IEEE1394). */
#include "scanwatch/decode.h"

/* Destination and source EUI-64 (8 bytes each), then an ethertype (RFC 2734 encapsulation). */
#define FIREWIRE_HDR_LEN 18

enum decode_result decode_firewire(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, FIREWIRE_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* EUI-64s are not MACs: the view keeps none. ARP over 1394 is RFC 2734's form. */
	return decode_ethertype(cursor_get_be16(h + 16), c, pkt, st);
}
