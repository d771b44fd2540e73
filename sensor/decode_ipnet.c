/* decode_ipnet.c — Solaris ipnet headers (LINKTYPE_IPNET): a 24-byte header, then IPv4 or IPv6. */
#include "scanwatch/decode.h"

/*
 * version, family, hardware type (2), packet length (4), interface index (4),
 * group interface index (4), source and destination zone ids (4 + 4):
 * https://www.tcpdump.org/linktypes/LINKTYPE_IPNET.html
 */
#define IPNET_HDR_LEN 24

/* Solaris address families, which the header carries as they are there. */
enum {
	IPNET_AF_INET = 2,
	IPNET_AF_INET6 = 26,
};

enum decode_result decode_ipnet(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, IPNET_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (h[1]) {
	case IPNET_AF_INET:
		return decode_ipv4(c, pkt, st);
	case IPNET_AF_INET6:
		return decode_ipv6(c, pkt, st);
	default:
		st->non_ip++;
		return DECODE_SKIP;
	}
}
