/* decode_llc.c — IEEE 802.2 LLC and SNAP (RFC 1042), as 802.3, FDDI, token ring, 802.11 and ATM
 * carry IP. */
#include "scanwatch/decode.h"

#define LLC_UI_LEN     3 /* DSAP, SSAP, one-byte control (unnumbered information) */
#define SNAP_LEN       5 /* OUI (3) + protocol id (2) */
#define LLC_BRIDGE_PAD 2 /* RFC 2684 section 5.2: two pad bytes before a bridged MAC frame */

enum {
	LLC_SAP_IP = 0x06,   /* IPv4 straight on LLC (RFC 1042 discourages it; some stacks do it) */
	LLC_SAP_SNAP = 0xAA, /* a SNAP header follows */
	LLC_CTRL_UI = 0x03,  /* unnumbered information: connectionless data */
};

/*
 * SNAP organisation codes: 00-00-00 carries an ethertype (RFC 1042), 00-00-F8
 * too (802.1H bridge tunnel, for the few ethertypes bridges must not
 * translate), 00-80-C2 carries a bridged IEEE 802 frame (RFC 2684 / RFC 1483).
 */
#define SNAP_OUI_ETHERTYPE 0x000000u
#define SNAP_OUI_TUNNEL    0x0000F8u
#define SNAP_OUI_BRIDGED   0x0080C2u

enum {
	SNAP_PID_ETH_FCS = 0x0001,   /* bridged 802.3 / Ethernet, FCS kept at the end */
	SNAP_PID_ETH_NOFCS = 0x0007, /* ... FCS stripped */
};

/* An RFC 2684 bridged Ethernet frame inside SNAP: one more encapsulation level. */
static enum decode_result llc_bridged(uint16_t pid, struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	if (pid != SNAP_PID_ETH_FCS && pid != SNAP_PID_ETH_NOFCS) {
		st->non_ip++; /* bridged token ring, FDDI, BPDUs */
		return DECODE_SKIP;
	}
	if (!cursor_skip(c, LLC_BRIDGE_PAD)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (decode_enter(pkt, st) < 0)
		return DECODE_BAD;
	/* A kept FCS trails the frame; the IP lengths leave it out. */
	return decode_eth(c, pkt, st);
}

enum decode_result decode_llc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, LLC_UI_LEN);

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* Only UI frames carry datagrams; I- and S-format frames (2-byte control) are LLC2. */
	if (h[2] != LLC_CTRL_UI) {
		st->non_ip++;
		return DECODE_SKIP;
	}
	if (h[0] == LLC_SAP_IP && h[1] == LLC_SAP_IP)
		return decode_ipv4(c, pkt, st);
	if (h[0] != LLC_SAP_SNAP || h[1] != LLC_SAP_SNAP) {
		st->non_ip++; /* NetBIOS, STP, IPX, OSI ... */
		return DECODE_SKIP;
	}
	return decode_snap(c, pkt, st);
}

enum decode_result decode_snap(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *snap = cursor_take(c, SNAP_LEN);
	uint32_t oui;
	uint16_t pid;

	if (!snap) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	oui = (uint32_t)snap[0] << 16 | (uint32_t)snap[1] << 8 | snap[2];
	pid = cursor_get_be16(snap + 3);
	switch (oui) {
	case SNAP_OUI_ETHERTYPE:
	case SNAP_OUI_TUNNEL:
		/* A protocol id below 0x0600 is no ethertype; it would loop back here. */
		if (pid <= 1500) {
			st->non_ip++;
			return DECODE_SKIP;
		}
		return decode_ethertype(pid, c, pkt, st);
	case SNAP_OUI_BRIDGED:
		return llc_bridged(pid, c, pkt, st);
	default:
		st->non_ip++; /* AppleTalk (08-00-07), Cisco CDP (00-00-0C) ... */
		return DECODE_SKIP;
	}
}
