/* decode_juniper.c — Juniper routers' capture header (Junos `monitor traffic ... write-file`):
 * the "MGC" magic, flags and extension TLVs, then an Ethernet, PPP, Frame Relay or Cisco HDLC
 * frame, or the bare IP packet when the router stripped the link layer. */
#include "scanwatch/decode.h"

/*
 * The header, as tcpdump's print-juniper.c (juniper_parse_header) and libpcap's pcap-linktype
 * list describe it, all fields big-endian:
 *
 *   3 bytes  magic "MGC" (0x4d4743)
 *   1 byte   flags: 0x01 incoming, 0x02 no link-layer header, 0x04 incoming interface
 *            valid, 0x40 BPF filtering, 0x80 extensions follow
 *   when 0x80: a 2-byte length, then that many bytes of TLVs (interface name, index, media
 *            type, encapsulation), skipped whole
 *
 * The link types here carry no per-PIC cookie (tcpdump's cookie table lists only the ATM,
 * multilink, GGSN, monitor, services and ES PICs, which stay refused): the frame follows the
 * header. With "no link-layer header", four more bytes come before the packet: Wireshark reads
 * them as the payload's protocol, little-endian (2 and 3 IPv4, 6 and 7 IPv6, the second of each
 * pair after an MPLS pop), tcpdump ignores them and guesses from the IP version nibble
 * (ip_heuristic_guess). Both are used: the protocol when it names IP, else the nibble.
 */
#define JUNIPER_MAGIC   0x4d4743u
#define JUNIPER_F_NO_L2 0x02
#define JUNIPER_F_EXT   0x80
enum {
	JUNIPER_PROTO_IP = 2,
	JUNIPER_PROTO_MPLS_IP = 3,
	JUNIPER_PROTO_IP6 = 6,
	JUNIPER_PROTO_MPLS_IP6 = 7
};

typedef enum decode_result (*juniper_frame_fn)(struct cursor *c, struct sw_packet *pkt,
                                               struct decode_stats *st);

/* The header, and with no link layer the payload protocol; false (the anomaly counted) when it
 * is not one. */
static bool juniper_header(struct cursor *c, uint8_t *flags, uint32_t *proto,
                           struct decode_stats *st)
{
	uint8_t m[3];
	if (!cursor_bytes(c, m, sizeof m) || !cursor_u8(c, flags)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return false;
	}
	if (((uint32_t)m[0] << 16 | (uint32_t)m[1] << 8 | m[2]) != JUNIPER_MAGIC) {
		st->anomalies[ANOM_JUNIPER_BAD]++;
		return false;
	}
	uint16_t ext = 0;
	if ((*flags & JUNIPER_F_EXT) && (!cursor_be16(c, &ext) || !cursor_skip(c, ext))) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return false;
	}
	if ((*flags & JUNIPER_F_NO_L2) && !cursor_le32(c, proto)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return false;
	}
	return true;
}

static enum decode_result juniper(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st,
                                  juniper_frame_fn frame)
{
	uint8_t flags;
	uint32_t proto = 0;
	if (!juniper_header(c, &flags, &proto, st))
		return DECODE_BAD;
	if (!(flags & JUNIPER_F_NO_L2))
		return frame(c, pkt, st);
	switch (proto) {
	case JUNIPER_PROTO_IP:
	case JUNIPER_PROTO_MPLS_IP:
		return decode_ipv4(c, pkt, st);
	case JUNIPER_PROTO_IP6:
	case JUNIPER_PROTO_MPLS_IP6:
		return decode_ipv6(c, pkt, st);
	default:
		return decode_raw(c, pkt, st);
	}
}

enum decode_result decode_juniper_ether(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st)
{
	return juniper(c, pkt, st, decode_eth);
}

enum decode_result decode_juniper_ppp(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	return juniper(c, pkt, st, decode_ppp);
}

enum decode_result decode_juniper_frelay(struct cursor *c, struct sw_packet *pkt,
                                         struct decode_stats *st)
{
	return juniper(c, pkt, st, decode_frelay);
}

enum decode_result decode_juniper_chdlc(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st)
{
	return juniper(c, pkt, st, decode_chdlc);
}
