/* decode_arcnet.c — ARCNET (ANSI 878.1) with RFC 1201 / RFC 1051 encapsulation, BSD and Linux
 * capture headers. */
#include "scanwatch/decode.h"

/*
 * BSD header (LINKTYPE_ARCNET_BSD): source, destination, protocol id; RFC 1201
 * protocol ids add a split flag and a 2-byte sequence number, and an
 * "exception" packet (flag 0xFF) repeats protocol, flag and sequence in 4
 * more bytes. Linux (LINKTYPE_ARCNET_LINUX) puts a 2-byte offset between the
 * addresses and the protocol id and reassembles before capture.
 */
#define ARC_HDR_LEN        3
#define ARC_NEW_EXTRA      3 /* split flag, sequence */
#define ARC_EXC_EXTRA      4 /* protocol, flag, sequence again */
#define ARC_LINUX_HDR_LEN  5
#define ARC_FLAG_EXCEPTION 0xFF

/* Protocol ids (RFC 1201 section 4, RFC 1051, and the IPv6 one of RFC 2497). */
enum {
	ARC_TYPE_IP_OLD = 240,  /* RFC 1051: no split flag */
	ARC_TYPE_ARP_OLD = 241, /* RFC 1051 */
	ARC_TYPE_IP = 212,
	ARC_TYPE_ARP = 213,
	ARC_TYPE_INET6 = 0xC4,
	ARC_TYPE_DIAGNOSE = 0x80, /* ANSI 878.1 diagnostics: no split flag either */
};

static int arc_has_split(uint8_t type)
{
	return type != ARC_TYPE_IP_OLD && type != ARC_TYPE_ARP_OLD && type != ARC_TYPE_DIAGNOSE;
}

static enum decode_result arc_payload(uint8_t type, struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	switch (type) {
	case ARC_TYPE_IP:
	case ARC_TYPE_IP_OLD:
		return decode_ipv4(c, pkt, st);
	case ARC_TYPE_INET6:
		return decode_ipv6(c, pkt, st);
	case ARC_TYPE_ARP:
	case ARC_TYPE_ARP_OLD:
		return decode_arp(c, pkt, st); /* hardware type 7, 1-byte addresses */
	default:
		st->non_ip++; /* RARP, IPX, AppleTalk, Banyan, diagnostics */
		return DECODE_SKIP;
	}
}

enum decode_result decode_arcnet(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ARC_HDR_LEN);
	const uint8_t *s;
	uint8_t flag;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (!arc_has_split(h[2]))
		return arc_payload(h[2], c, pkt, st);
	s = cursor_take(c, ARC_NEW_EXTRA);
	if (!s) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	flag = s[0];
	if (flag == ARC_FLAG_EXCEPTION) {
		s = cursor_take(c, ARC_EXC_EXTRA);
		if (!s) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		flag = s[1];
	}
	/*
	 * RFC 1201 section 2.2: a non-zero flag means the datagram was split
	 * into ARCNET packets; no reassembly here. A scan probe (a few dozen
	 * bytes) is never split, so every fragment is skipped and counted.
	 */
	if (flag != 0) {
		st->notes[NOTE_LINK_FRAGMENT]++;
		return DECODE_SKIP;
	}
	return arc_payload(h[2], c, pkt, st);
}

enum decode_result decode_arcnet_linux(struct cursor *c, struct sw_packet *pkt,
                                       struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ARC_LINUX_HDR_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* Linux hands over reassembled datagrams; the split flag and sequence are only there
	 * for RFC 1201 protocol ids. */
	if (arc_has_split(h[4]) && !cursor_skip(c, ARC_NEW_EXTRA)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return arc_payload(h[4], c, pkt, st);
}
