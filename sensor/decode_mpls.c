/* decode_mpls.c — MPLS label stacks (RFC 3032) and what follows the bottom label. */
#include "scanwatch/decode.h"

#define MPLS_ENTRY_LEN 4
#define MPLS_BOS       0x00000100u /* bottom-of-stack bit */
#define MPLS_CW_LEN    4           /* pseudowire control word (RFC 4385) */

/*
 * Most label entries accepted. Real stacks are 2-4 deep (transport, VPN,
 * entropy label pair, RFC 6790); 16 leaves room for segment routing while a
 * frame of thousands of entries is refused early.
 */
#define MPLS_MAX_DEPTH 16

enum {
	MPLS_LABEL_IPV4_NULL = 0, /* explicit null labels (RFC 3032 section 2.1) */
	MPLS_LABEL_IPV6_NULL = 2,
};

enum decode_result decode_mpls(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint32_t entry = 0;
	uint8_t first;
	struct cursor peek;

	for (int depth = 0; !(entry & MPLS_BOS); depth++) {
		if (depth == MPLS_MAX_DEPTH) {
			st->anomalies[ANOM_MPLS_TOO_DEEP]++;
			return DECODE_BAD;
		}
		if (!cursor_be32(c, &entry)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
	}
	switch (entry >> 12) {
	case MPLS_LABEL_IPV4_NULL:
		return decode_ipv4(c, pkt, st);
	case MPLS_LABEL_IPV6_NULL:
		return decode_ipv6(c, pkt, st);
	default:
		break;
	}
	/*
	 * Labels do not say what they carry; the first payload nibble does in
	 * practice (tcpdump print-mpls.c, Wireshark's heuristics): 4 IPv4, 6
	 * IPv6, 0 a pseudowire control word and then an Ethernet frame
	 * (RFC 4448 Ethernet pseudowire, the usual EoMPLS). An Ethernet
	 * pseudowire without a control word cannot be told from noise and is
	 * skipped.
	 */
	peek = *c;
	if (!cursor_u8(&peek, &first)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (first >> 4) {
	case 4:
		return decode_ipv4(c, pkt, st);
	case 6:
		return decode_ipv6(c, pkt, st);
	case 0:
		if (!cursor_skip(c, MPLS_CW_LEN)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		if (decode_enter(pkt, st) < 0)
			return DECODE_BAD;
		return decode_eth(c, pkt, st);
	default:
		st->non_ip++; /* OSI over MPLS, the associated channel (nibble 1) ... */
		return DECODE_SKIP;
	}
}
