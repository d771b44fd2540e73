/* decode_null.c — headerless and loopback link types (DLT_NULL, DLT_LOOP, raw IP) and the BSD
 * address families pflog and enc share with them. */
#include "scanwatch/decode.h"

#define NULL_HDR_LEN 4 /* one 32-bit address family */

/*
 * Address-family values for IP in BSD loopback headers
 * (https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html). IPv6 differs per OS,
 * and a capture from any of them may be replayed here, so all are accepted.
 */
enum {
	NULL_AF_INET = 2,
	NULL_AF_INET6_BSD = 24,     /* NetBSD, OpenBSD, BSD/OS */
	NULL_AF_INET6_FREEBSD = 28, /* FreeBSD, DragonFly BSD */
	NULL_AF_INET6_DARWIN = 30,  /* macOS, iOS */
};

/* Family numbers are small; a value with bits above 16 set in both byte orders is garbage. */
#define NULL_FAMILY_MAX 0xFFFFu

enum decode_result decode_bsd_family(uint32_t family, struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	switch (family) {
	case NULL_AF_INET:
		return decode_ipv4(c, pkt, st);
	case NULL_AF_INET6_BSD:
	case NULL_AF_INET6_FREEBSD:
	case NULL_AF_INET6_DARWIN:
		return decode_ipv6(c, pkt, st);
	default:
		if (family > NULL_FAMILY_MAX) {
			st->anomalies[ANOM_NULL_BAD_FAMILY]++;
			return DECODE_BAD;
		}
		st->non_ip++; /* IPX, AppleTalk, OSI ... well-formed, not ours */
		return DECODE_SKIP;
	}
}

/*
 * Reads a 32-bit family stored in the byte order of the host that captured,
 * which a replaying host cannot know; as tcpdump does, swap when the upper
 * 16 bits are set since no family is that large. 0, or -1 truncated.
 */
static int null_host_family(struct cursor *c, uint32_t *family)
{
	uint32_t f;

	if (!cursor_le32(c, &f))
		return -1;
	if (f > NULL_FAMILY_MAX)
		f = (f >> 24) | ((f >> 8) & 0xff00u) | ((f << 8) & 0xff0000u) | (f << 24);
	*family = f;
	return 0;
}

enum decode_result decode_null(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint32_t family;

	if (null_host_family(c, &family) < 0) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_bsd_family(family, c, pkt, st);
}

/*
 * OpenBSD enc(4), IPsec traffic before encryption / after decryption
 * (LINKTYPE_ENC): family in the capturing host's order as DLT_NULL has it,
 * then the SPI and flags (4 bytes each).
 */
#define ENC_REST_LEN 8

enum decode_result decode_enc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint32_t family;

	if (null_host_family(c, &family) < 0 || !cursor_skip(c, ENC_REST_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_bsd_family(family, c, pkt, st);
}

enum decode_result decode_loop(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint32_t family;

	/* DLT_LOOP is DLT_NULL with the family always in network byte order. */
	if (!cursor_be32(c, &family)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_bsd_family(family, c, pkt, st);
}

enum decode_result decode_raw(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	/* No link header: the IP version nibble (RFC 791 / RFC 8200) picks the decoder. */
	struct cursor peek = *c;
	uint8_t first;

	if (!cursor_u8(&peek, &first)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (first >> 4) {
	case 4:
		return decode_ipv4(c, pkt, st);
	case 6:
		return decode_ipv6(c, pkt, st);
	default:
		/* Neither version: counted as a bad IPv4 version, the family raw links mostly
		 * carry. */
		st->anomalies[ANOM_IPV4_BAD_VERSION]++;
		return DECODE_BAD;
	}
}
