/* decode_nflog.c — Linux netfilter NFLOG messages (LINKTYPE_NFLOG): a header, then TLVs, one of
 * which is the packet. */
#include "scanwatch/decode.h"

/*
 * https://www.tcpdump.org/linktypes/LINKTYPE_NFLOG.html: family (1),
 * version (1, 0), resource id (2, big-endian), then netlink attributes: length
 * (2, counting these 4 bytes) and type (2), both in the host's byte order
 * (libpcap converts a file from a host of the other order on reading), the
 * value padded to 4 bytes.
 */
#define NFLOG_HDR_LEN   4
#define NFLOG_TLV_LEN   4
#define NFLOG_VERSION   0
#define NFLOG_TYPE_MASK 0x3FFF /* without netlink's NESTED and NET_BYTEORDER flag bits */
#define NFULA_PAYLOAD   9      /* the packet, from its network header */

/* Linux's AF_INET and AF_INET6, whatever the reading host uses. */
enum {
	NFLOG_AF_INET = 2,
	NFLOG_AF_INET6 = 10,
};

/* A 16-bit field in this host's byte order, read through the cursor. */
static int nflog_host16(struct cursor *c, uint16_t *v)
{
	return cursor_bytes(c, v, sizeof *v) ? 0 : -1;
}

enum decode_result decode_nflog(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, NFLOG_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (h[1] != NFLOG_VERSION) {
		st->anomalies[ANOM_NFLOG_BAD]++;
		return DECODE_BAD;
	}
	if (h[0] != NFLOG_AF_INET && h[0] != NFLOG_AF_INET6) {
		st->non_ip++; /* bridge or ARP families */
		return DECODE_SKIP;
	}
	/* Each attribute takes at least 4 bytes: the walk ends within the frame. */
	while (cursor_left(c) > 0) {
		uint16_t len, type;
		size_t vlen;
		struct cursor v;

		if (nflog_host16(c, &len) < 0 || nflog_host16(c, &type) < 0) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		if (len < NFLOG_TLV_LEN) {
			st->anomalies[ANOM_NFLOG_BAD]++;
			return DECODE_BAD;
		}
		vlen = (size_t)len - NFLOG_TLV_LEN;
		if ((type & NFLOG_TYPE_MASK) == NFULA_PAYLOAD) {
			/* What the snap length left of the packet; the IP layer judges the rest. */
			v = *c;
			cursor_limit(&v, vlen);
			if (h[0] == NFLOG_AF_INET)
				return decode_ipv4(&v, pkt, st);
			return decode_ipv6(&v, pkt, st);
		}
		if (!cursor_skip(c, (vlen + 3) & ~(size_t)3)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
	}
	if (pkt->wire_len > pkt->cap_len) {
		st->anomalies[ANOM_LINK_TRUNCATED]++; /* the snap length cut before the packet */
		return DECODE_BAD;
	}
	st->non_ip++; /* a message without the packet (only its metadata was logged) */
	return DECODE_SKIP;
}
