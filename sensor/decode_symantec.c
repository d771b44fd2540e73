/* decode_symantec.c — Symantec Enterprise Firewall captures (LINKTYPE_SYMANTEC_FIREWALL). */
#include "scanwatch/decode.h"

/*
 * A 44-byte header whose bytes 6-7 are the packet's ethertype (the rest is
 * undocumented; tcpdump print-symantec.c reads only that). A value that is
 * an 802.3 length says nothing about the payload.
 */
#define SYMANTEC_HDR_LEN  44
#define SYMANTEC_OFF_TYPE 6
#define SYMANTEC_LEN_MAX  1500

enum decode_result decode_symantec(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, SYMANTEC_HDR_LEN);
	uint16_t type;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	type = cursor_get_be16(h + SYMANTEC_OFF_TYPE);
	if (type <= SYMANTEC_LEN_MAX) {
		st->non_ip++;
		return DECODE_SKIP;
	}
	return decode_ethertype(type, c, pkt, st);
}
