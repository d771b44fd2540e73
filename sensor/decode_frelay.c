/* decode_frelay.c — Frame Relay (LINKTYPE_FRELAY): a Q.922 address, then RFC 2427 multiprotocol
 * encapsulation or Cisco's ethertype. */
#include "scanwatch/decode.h"

/*
 * The Q.922 address is 2 to 4 bytes: each byte's low bit (EA) says whether
 * it is the last. RFC 2427 then has a UI control byte (0x03), a pad byte
 * (0x00) before some NLPIDs, and the NLPID; Cisco routers instead put an
 * ethertype right after the address (tcpdump print-fr.c reads both).
 */
#define FR_ADDR_MAX 4
#define FR_EA       0x01
#define FR_UI       0x03
#define FR_PAD      0x00

/* Network layer protocol identifiers (ISO/IEC TR 9577, RFC 2427 section 3). */
enum {
	NLPID_SNAP = 0x80,
	NLPID_IPV6 = 0x8E,
	NLPID_IPV4 = 0xCC,
	NLPID_PPP = 0xCF, /* RFC 1973 */
};

enum decode_result decode_frelay(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint8_t b = 0, nlpid;
	int n;

	for (n = 0; n < FR_ADDR_MAX && !(b & FR_EA); n++) {
		if (!cursor_u8(c, &b)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
	}
	if (!(b & FR_EA) || n < 2) {
		st->non_ip++; /* not a Q.922 address */
		return DECODE_SKIP;
	}
	if (!cursor_u8(c, &b)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (b != FR_UI) {
		/* Cisco encapsulation: the byte read is the ethertype's first. */
		uint8_t lo;

		if (!cursor_u8(c, &lo)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		return decode_ethertype((uint16_t)(b << 8 | lo), c, pkt, st);
	}
	if (!cursor_u8(c, &nlpid) || (nlpid == FR_PAD && !cursor_u8(c, &nlpid))) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (nlpid) {
	case NLPID_IPV4:
		return decode_ipv4(c, pkt, st);
	case NLPID_IPV6:
		return decode_ipv6(c, pkt, st);
	case NLPID_PPP:
		return decode_ppp(c, pkt, st);
	case NLPID_SNAP:
		return decode_snap(c, pkt, st);
	default:
		st->non_ip++; /* Q.933 signalling, OSI, multilink ... */
		return DECODE_SKIP;
	}
}
