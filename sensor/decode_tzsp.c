/* decode_tzsp.c — TZSP (TaZmen Sniffer Protocol): a remote sniffer's frames streamed in UDP,
 * as MikroTik RouterOS' packet sniffer and the access points of several vendors send them. */
#include "scanwatch/decode.h"

/*
 * The format (Tazmen's application note AN001, as Wireshark's packet-tzsp.c reads it): version
 * (1 byte, 1), type (1: 0 a received packet, 1 one for transmission; the others, keep-alives and
 * configuration, carry no packet), encapsulation (2, big-endian: 1 Ethernet, 7 raw IP, 18
 * 802.11), then tagged fields up to an END tag: PADDING (0) and END (1) are one byte each,
 * every other tag is type, length and that many bytes. The encapsulated frame follows END.
 *
 * Port. 37008 is the convention (Wireshark's, RouterOS' default), but the streaming port is a
 * setting, and captures of real streams use others (a RouterOS sniffer streaming to 31337 in
 * a public sample capture). A datagram to 37008 whose header reads is decapsulated. To any
 * other port only one that leaves no doubt is: a received or transmitted Ethernet frame
 * carrying IPv4 or IPv6 (behind at most one 802.1Q tag) whose IP length fills the rest of
 * the datagram, give or take the Ethernet minimum's padding and a frame check sequence. A
 * datagram that reads so by chance would need its first five bytes and an IP header's
 * version and length to agree with its own length. What is decapsulated is analysed as the
 * inner packet only (the datagram itself is not classified, as with VXLAN): a UDP probe
 * dressed as a TZSP stream is a probe not seen, a deliberate evasion that costs its sender
 * a well-formed inner frame in each probe.
 */
#define TZSP_PORT    37008
#define TZSP_VERSION 1
enum { TZSP_TYPE_RX = 0, TZSP_TYPE_TX = 1 };
enum { TZSP_ENCAP_ETHERNET = 1, TZSP_ENCAP_RAW = 7, TZSP_ENCAP_80211 = 18 };
enum { TZSP_TAG_PADDING = 0, TZSP_TAG_END = 1 };

#define ETH_HDR 14u
#define ETH_MIN 60u /* a frame is padded to this, its check sequence not counted */
#define ETH_FCS 4u

/* Reads the header and the tags: the encapsulation, the cursor at the frame; -1 if not TZSP. */
static int tzsp_header(struct cursor *c)
{
	uint8_t version, type, tag, len;
	uint16_t encap;

	if (!cursor_u8(c, &version) || !cursor_u8(c, &type) || !cursor_be16(c, &encap))
		return -1;
	if (version != TZSP_VERSION || (type != TZSP_TYPE_RX && type != TZSP_TYPE_TX))
		return -1;
	for (;;) { /* each step takes a byte or more: bounded by the datagram */
		if (!cursor_u8(c, &tag))
			return -1;
		if (tag == TZSP_TAG_END)
			return encap;
		if (tag == TZSP_TAG_PADDING)
			continue;
		if (!cursor_u8(c, &len) || !cursor_skip(c, len))
			return -1;
	}
}

/* An Ethernet frame of frame_len bytes (the datagram's stated rest) whose IP packet fills it. */
static bool ip_fills_frame(struct cursor *c, size_t frame_len)
{
	uint16_t type, ip_len;
	uint8_t vhl;
	size_t hdr = ETH_HDR;

	if (!cursor_skip(c, 12) || !cursor_be16(c, &type))
		return false;
	if (type == 0x8100) {
		if (!cursor_skip(c, 2) || !cursor_be16(c, &type))
			return false;
		hdr += 4;
	}
	if (!cursor_u8(c, &vhl))
		return false;
	if (type == 0x0800 && vhl >> 4 == 4 && (vhl & 0x0F) >= 5) {
		if (!cursor_skip(c, 1) || !cursor_be16(c, &ip_len) ||
		    ip_len < (unsigned)(vhl & 0x0F) * 4)
			return false;
	} else if (type == 0x86DD && vhl >> 4 == 6) {
		if (!cursor_skip(c, 3) || !cursor_be16(c, &ip_len) || ip_len > 0xFFFF - 40)
			return false;
		ip_len = (uint16_t)(ip_len + 40);
	} else {
		return false;
	}
	if (frame_len < hdr + ip_len)
		return false;
	size_t rest = frame_len - hdr;
	size_t padded = hdr + ip_len < ETH_MIN ? ETH_MIN - hdr : ip_len;
	return rest == ip_len || rest == ip_len + ETH_FCS || rest == padded ||
	       rest == padded + ETH_FCS;
}

int decode_tzsp_match(const struct cursor *c, uint16_t dport, size_t stated)
{
	struct cursor peek = *c;
	int encap = tzsp_header(&peek);

	if (encap < 0)
		return 0;
	if (dport == TZSP_PORT)
		return encap == TZSP_ENCAP_ETHERNET || encap == TZSP_ENCAP_RAW ||
		       encap == TZSP_ENCAP_80211;
	size_t head = (size_t)(peek.p - c->p);
	return encap == TZSP_ENCAP_ETHERNET && stated > head &&
	       ip_fills_frame(&peek, stated - head);
}

enum decode_result decode_tzsp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	/* decode_tzsp_match() has read the header; read again all the same. */
	int encap = tzsp_header(c);

	if (encap < 0) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* From here on the view is the sniffed frame's; the UDP datagram is not classified. */
	if (decode_tunnel(pkt, st) < 0)
		return DECODE_BAD;
	switch (encap) {
	case TZSP_ENCAP_ETHERNET:
		return decode_eth(c, pkt, st);
	case TZSP_ENCAP_RAW:
		return decode_raw(c, pkt, st);
	case TZSP_ENCAP_80211:
		return decode_ieee80211(c, pkt, st);
	default:
		st->non_ip++;
		return DECODE_SKIP;
	}
}
