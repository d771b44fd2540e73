/* decode_eth.c — Ethernet II / 802.3, 802.1Q / 802.1ad and EDSA tags, the ethertype hand-off. */
#include "scanwatch/decode.h"

#include <string.h>

#define ETH_HDR_LEN  14   /* destination, source, ethertype (IEEE 802.3 clause 3) */
#define VLAN_TAG_LEN 4    /* TCI + inner ethertype (IEEE 802.1Q clause 9) */
#define EDSA_TAG_LEN 8    /* 2 reserved bytes, the 4-byte DSA tag, inner ethertype */
#define ETH_LEN_MAX  1500 /* type values up to this are 802.3 lengths (IEEE 802.3 3.2.6) */

/*
 * Hilscher netANALYZER pseudo-header (LINKTYPE_NETANALYZER, _TRANSPARENT):
 * 32 bits, little-endian: error flags (bits 0-7), GPIO event (8),
 * transparent mode (9), header version (10-13), port (14-15), frame length
 * (16-27), and in version 2 the payload type (28-31, 0 Ethernet). The
 * transparent variant keeps the 7-byte preamble and the SFD before the frame.
 */
#define NETANALYZER_HDR_LEN    4
#define NETANALYZER_PREAMBLE   (7 + 1)
#define NETANALYZER_ERRORS     0x000000FFu
#define NETANALYZER_GPIO       0x00000100u
#define NETANALYZER_VERSION(h) (((h) >> 10) & 0xF)
#define NETANALYZER_PAYLOAD(h) ((h) >> 28)

/*
 * Most tags we accept before calling the frame hostile. QinQ is two; three
 * covers provider backbone stacks seen on SPAN ports, or a switch tag (EDSA)
 * in front of QinQ. Suricata caps at the same depth (VLAN_MAX_LAYERS).
 */
#define VLAN_MAX_DEPTH 3

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_ARP = 0x0806,
	ETHERTYPE_VLAN = 0x8100, /* 802.1Q C-tag */
	ETHERTYPE_IPV6 = 0x86DD,
	ETHERTYPE_MPLS = 0x8847,       /* RFC 3032 unicast */
	ETHERTYPE_MPLS_MCAST = 0x8848, /* RFC 5332 */
	ETHERTYPE_PPPOE_DISC = 0x8863, /* RFC 2516 discovery stage: no IP */
	ETHERTYPE_PPPOE_SESS = 0x8864, /* RFC 2516 session stage: PPP */
	ETHERTYPE_QINQ = 0x88A8,       /* 802.1ad S-tag */
	ETHERTYPE_QINQ_OLD = 0x9100,   /* pre-standard QinQ still emitted by some switches */
	ETHERTYPE_EDSA = 0xDADA,       /* Marvell EDSA switch tag (Linux ETH_P_EDSA) */
};

enum decode_result decode_eth(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ETH_HDR_LEN);
	uint16_t type;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* Of the destination MAC only the I/G bit (IEEE 802-2014 8.2: the first octet's least
	 * significant bit) is used: a frame to the broadcast or a group address goes to no one
	 * host, as an IPv4 directed broadcast (x.x.x.255 of a /24) does. */
	if (h[0] & 1)
		pkt->flags |= PKT_F_L2_GROUP;
	memcpy(pkt->src_mac, h + 6, sizeof pkt->src_mac);
	type = cursor_get_be16(h + 12);
	pkt->flags |= PKT_F_HAS_MAC;
	return decode_ethertype(type, c, pkt, st);
}

/* Peels one tag whose type was just read; the inner type replaces *type. 0, or -1 truncated. */
static int eth_peel(uint16_t *type, int depth, struct cursor *c, struct sw_packet *pkt)
{
	const uint8_t *t;

	if (*type == ETHERTYPE_EDSA) {
		int vid;

		t = cursor_take(c, EDSA_TAG_LEN);
		if (!t)
			return -1;
		/* The switch replaced the frame's 802.1Q tag by its own: the VLAN is in it. */
		vid = decode_dsa_vlan(t + 2);
		if (depth == 0 && vid >= 0)
			pkt->vlan = (uint16_t)vid;
		*type = cursor_get_be16(t + 6);
		return 0;
	}
	t = cursor_take(c, VLAN_TAG_LEN);
	if (!t)
		return -1;
	if (depth == 0)
		pkt->vlan = cursor_get_be16(t) & 0x0fff; /* the outermost tag names the segment */
	*type = cursor_get_be16(t + 2);
	return 0;
}

static int eth_is_tag(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD ||
	       type == ETHERTYPE_EDSA;
}

enum decode_result decode_ethertype(uint16_t type, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st)
{
	int depth;

	/* Tags are peeled in a bounded loop, never by recursion. */
	for (depth = 0; eth_is_tag(type); depth++) {
		if (depth == VLAN_MAX_DEPTH) {
			st->anomalies[ANOM_VLAN_TOO_DEEP]++;
			return DECODE_BAD;
		}
		if (eth_peel(&type, depth, c, pkt) < 0) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
	}

	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(c, pkt, st);
	case ETHERTYPE_IPV6:
		return decode_ipv6(c, pkt, st);
	case ETHERTYPE_ARP:
		return decode_arp(c, pkt, st);
	case ETHERTYPE_MPLS:
	case ETHERTYPE_MPLS_MCAST:
		return decode_mpls(c, pkt, st);
	case ETHERTYPE_PPPOE_SESS:
		return decode_pppoe_session(c, pkt, st);
	default:
		if (type <= ETH_LEN_MAX) {
			/*
			 * An 802.3 length: an LLC frame of that many bytes (padding
			 * and FCS cut). Behind a tag this may be a SNAP-encoded tag
			 * of an outer LLC frame again, so it counts as one more
			 * encapsulation: no tag/LLC cycle can recurse unbounded.
			 */
			if (depth > 0 && decode_enter(pkt, st) < 0)
				return DECODE_BAD;
			cursor_limit(c, type);
			return decode_llc(c, pkt, st);
		}
		st->non_ip++; /* PPPoE discovery, LLDP, ... */
		return DECODE_SKIP;
	}
}

/* The pseudo-header, then the frame (after its preamble when transparent). */
static enum decode_result netanalyzer(struct cursor *c, size_t preamble, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	uint32_t h;

	if (!cursor_le32(c, &h) || !cursor_skip(c, preamble)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if ((h & NETANALYZER_GPIO) || NETANALYZER_VERSION(h) < 1 || NETANALYZER_VERSION(h) > 2 ||
	    (NETANALYZER_VERSION(h) == 2 && NETANALYZER_PAYLOAD(h) != 0)) {
		st->non_ip++; /* a GPIO event, PROFIBUS, or a header version we do not know */
		return DECODE_SKIP;
	}
	if (h & NETANALYZER_ERRORS) {
		st->notes[NOTE_LINK_ERROR]++; /* FCS, alignment, preamble errors: bytes not trusted
		                               */
		return DECODE_SKIP;
	}
	/* The frame keeps its FCS, which the IP length fields leave out of every layer read. */
	return decode_eth(c, pkt, st);
}

enum decode_result decode_netanalyzer(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	return netanalyzer(c, 0, pkt, st);
}

enum decode_result decode_netanalyzer_transparent(struct cursor *c, struct sw_packet *pkt,
                                                  struct decode_stats *st)
{
	return netanalyzer(c, NETANALYZER_PREAMBLE, pkt, st);
}
