/* decode_pflog.c — pf log headers (OpenBSD, FreeBSD, macOS pflog(4)): the rule that matched,
 * then the packet. */
#include "scanwatch/decode.h"

/*
 * The first byte is the header's own length, the second the address family
 * (BSD values); the header is padded to a multiple of 4. Its size differs per
 * system and release (61 bytes on OpenBSD 4.x ... 100 with FreeBSD's rule
 * identifiers): tcpdump print-pflog.c accepts 61 to 100, and so does this.
 */
#define PFLOG_HDR_MIN 61
#define PFLOG_HDR_MAX 100

enum decode_result decode_pflog(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint8_t len, af;

	if (!cursor_u8(&peek, &len) || !cursor_u8(&peek, &af)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (len < PFLOG_HDR_MIN || len > PFLOG_HDR_MAX) {
		st->anomalies[ANOM_PFLOG_BAD]++;
		return DECODE_BAD;
	}
	if (!cursor_skip(c, ((size_t)len + 3) & ~(size_t)3)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_bsd_family(af, c, pkt, st);
}
