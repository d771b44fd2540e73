/* decode_slip.c — BSD SLIP captures (LINKTYPE_SLIP): a 16-byte pseudo-header, then IP. */
#include "scanwatch/decode.h"

/*
 * The BSD sl(4) driver hands BPF each packet uncompressed, after a 16-byte
 * header of its own: the direction (0 received, 1 sent), then the first byte
 * of the packet as it crossed the line, whose high nibble is the RFC 1144 type
 * (0x40 plain IP, 0x70 uncompressed TCP, 0x80 and up a Van Jacobson compressed
 * TCP header) and the compressed header's bytes in the rest. So the IP packet
 * itself follows whole, whatever the line carried, and its version says which
 * IP it is (https://www.tcpdump.org/linktypes/LINKTYPE_SLIP.html; tcpdump's
 * print-sl.c reads it the same way).
 */
#define SLIP_HDR_LEN 16

enum decode_result decode_slip(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	if (!cursor_take(c, SLIP_HDR_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_raw(c, pkt, st); /* the version nibble picks IPv4 or IPv6 */
}
