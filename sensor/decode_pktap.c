/* decode_pktap.c — Apple's PKTAP header (macOS and iOS: `tcpdump -i pktap`, `tcpdump -k`, the
 * rvictl virtual interfaces): which interface and process each packet belongs to, then the
 * packet in its own link type. */
#include "scanwatch/decode.h"

/*
 * The header (xnu bsd/net/pktap.h, struct pktap_header; tcpdump print-pktap.c reads the same
 * layout): its own length, the record type (1: a packet follows, 0: nothing does), the
 * packet's DLT, the interface name (24 bytes), flags, protocol family, link-layer header and
 * trailer lengths, process id, command name (20 bytes), service class, interface type and
 * unit, effective process id and command name (20 bytes): 108 bytes. The fields are
 * little-endian in every capture seen (Apple's machines are little-endian; tcpdump reads them
 * so). A longer header, a later release's, is skipped by its length.
 */
#define PKTAP_HDR_MIN    108
#define PKTAP_REC_PACKET 1

enum decode_result decode_pktap(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint32_t len, rectype, dlt;

	if (!cursor_le32(&peek, &len) || !cursor_le32(&peek, &rectype) ||
	    !cursor_le32(&peek, &dlt)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (len < PKTAP_HDR_MIN) {
		st->anomalies[ANOM_PKTAP_BAD]++;
		return DECODE_BAD;
	}
	if (!cursor_skip(c, len)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (rectype != PKTAP_REC_PACKET) {
		st->non_ip++; /* a record without a packet: well-formed, nothing to read */
		return DECODE_SKIP;
	}
	/* Apple's DLT numbers: Ethernet 1, loopback 0, raw IP 12, 802.11 radio 127, as here */
	return decode_link((int)dlt, c, pkt, st);
}
