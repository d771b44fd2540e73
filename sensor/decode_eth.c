/* decode_eth.c — Ethernet II, 802.1Q / 802.1ad (QinQ) tags and the ethertype hand-off. */
#include "scanwatch/decode.h"

#include <string.h>

#define ETH_HDR_LEN  14 /* destination, source, ethertype (IEEE 802.3 clause 3) */
#define VLAN_TAG_LEN 4  /* TCI + inner ethertype (IEEE 802.1Q clause 9) */

/*
 * Most tags we accept before calling the frame hostile. QinQ is two; three
 * covers provider backbone stacks seen on SPAN ports. Suricata caps at the
 * same depth (VLAN_MAX_LAYERS).
 */
#define VLAN_MAX_DEPTH 3

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_ARP = 0x0806,
	ETHERTYPE_VLAN = 0x8100, /* 802.1Q C-tag */
	ETHERTYPE_IPV6 = 0x86DD,
	ETHERTYPE_QINQ = 0x88A8,    /* 802.1ad S-tag */
	ETHERTYPE_QINQ_OLD = 0x9100 /* pre-standard QinQ still emitted by some switches */
};

static int eth_is_vlan(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD;
}

enum decode_result decode_eth(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ETH_HDR_LEN);
	uint16_t type;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* destination MAC (bytes 0-5) is not used */
	memcpy(pkt->src_mac, h + 6, sizeof pkt->src_mac);
	type = cursor_get_be16(h + 12);
	pkt->flags |= PKT_F_HAS_MAC;
	/* Values below 0x0600 are 802.3 lengths (LLC/SNAP frames): decode_ethertype skips them. */
	return decode_ethertype(type, c, pkt, st);
}

enum decode_result decode_ethertype(uint16_t type, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st)
{
	/* Tags are peeled in a bounded loop, never by recursion. */
	for (int depth = 0; eth_is_vlan(type); depth++) {
		uint16_t tci;

		if (depth == VLAN_MAX_DEPTH) {
			st->anomalies[ANOM_VLAN_TOO_DEEP]++;
			return DECODE_BAD;
		}
		if (!cursor_has(c, VLAN_TAG_LEN)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		(void)cursor_be16(c, &tci);
		(void)cursor_be16(c, &type);
		if (depth == 0)
			pkt->vlan = tci & 0x0fff; /* the outermost tag names the segment */
	}

	switch (type) {
	case ETHERTYPE_IPV4:
		return decode_ipv4(c, pkt, st);
	case ETHERTYPE_IPV6:
		return decode_ipv6(c, pkt, st);
	case ETHERTYPE_ARP:
		return decode_arp(c, pkt, st);
	default:
		st->non_ip++;
		return DECODE_SKIP;
	}
}
