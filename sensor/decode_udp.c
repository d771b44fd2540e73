/* decode_udp.c — UDP header (RFC 768). */
#include "scanwatch/decode.h"

#include <stdbool.h>

#define UDP_HDR_LEN 8

enum decode_result decode_udp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	/* decode_ipv4/ipv6 left the stated IP payload length here. */
	size_t stated = pkt->payload_len;
	bool first_frag = (pkt->flags & PKT_F_FRAG) != 0;
	uint16_t len;

	pkt->payload_len = 0;
	if (!cursor_has(c, UDP_HDR_LEN)) {
		if (first_frag && stated < UDP_HDR_LEN) {
			/* Cut by fragmentation, not malformed: keep the ports if they fit. */
			if (cursor_be16(c, &pkt->sport))
				(void)cursor_be16(c, &pkt->dport);
			return DECODE_OK;
		}
		st->anomalies[ANOM_UDP_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &pkt->sport);
	(void)cursor_be16(c, &pkt->dport);
	(void)cursor_be16(c, &len);
	(void)cursor_skip(c, 2); /* checksum */

	/*
	 * The length covers header and data. It may be shorter than the IP
	 * payload (trailing bytes are ignored) but never longer, except in a
	 * first fragment where it describes the whole reassembled datagram.
	 */
	if (len < UDP_HDR_LEN || (!first_frag && len > stated)) {
		st->anomalies[ANOM_UDP_LEN_BAD]++;
		return DECODE_BAD;
	}
	pkt->payload_len = (uint16_t)((len < stated ? len : stated) - UDP_HDR_LEN);
	if (cursor_left(c) < pkt->payload_len)
		pkt->flags |= PKT_F_L4_TRUNCATED;
	pkt->flags |= PKT_F_HAS_L4;
	return DECODE_OK;
}
