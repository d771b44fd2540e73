/* decode_dsa.c — Ethernet switch tags as Linux DSA captures them on the CPU port: Broadcom and
 * Marvell DSA / EDSA. */
#include "scanwatch/decode.h"

#include <string.h>

#define DSA_MACS_LEN 12 /* destination, source */
#define BRCM_TAG_LEN 4  /* Broadcom tag (LINKTYPE_DSA_TAG_BRCM, _PREPEND) */
#define MRVL_TAG_LEN 4  /* Marvell DSA tag (LINKTYPE_DSA_TAG_DSA) */
#define EDSA_TAG_LEN 8  /* ethertype, 2 reserved bytes, the DSA tag (LINKTYPE_DSA_TAG_EDSA) */

/* The Marvell tag's "frame was 802.1Q tagged" bit and VLAN id (tcpdump print-dsa.c layout). */
#define MRVL_TAGGED 0x20
#define MRVL_VID_HI 0x0f

int decode_dsa_vlan(const uint8_t tag[4])
{
	if (!(tag[0] & MRVL_TAGGED))
		return -1;
	return (tag[2] & MRVL_VID_HI) << 8 | tag[3];
}

/*
 * Destination and source MACs, a tag of tag_len bytes (the Marvell tag in
 * its last 4 bytes when mrvl), then the ethertype: the shape tcpdump's
 * ether_switch_tag_print() reads for all of them.
 */
static enum decode_result dsa_tagged(size_t tag_len, int mrvl, struct cursor *c,
                                     struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, DSA_MACS_LEN + tag_len + 2);
	int vid;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	memcpy(pkt->src_mac, h + 6, sizeof pkt->src_mac);
	pkt->flags |= PKT_F_HAS_MAC;
	/* The switch took the frame's 802.1Q tag into its own: the VLAN is there. */
	vid = mrvl ? decode_dsa_vlan(h + DSA_MACS_LEN + tag_len - MRVL_TAG_LEN) : -1;
	if (vid >= 0)
		pkt->vlan = (uint16_t)vid;
	return decode_ethertype(cursor_get_be16(h + DSA_MACS_LEN + tag_len), c, pkt, st);
}

enum decode_result decode_dsa_brcm(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	return dsa_tagged(BRCM_TAG_LEN, 0, c, pkt, st);
}

enum decode_result decode_dsa_marvell(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	return dsa_tagged(MRVL_TAG_LEN, 1, c, pkt, st);
}

enum decode_result decode_dsa_edsa(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	return dsa_tagged(EDSA_TAG_LEN, 1, c, pkt, st);
}

enum decode_result decode_dsa_brcm_prepend(struct cursor *c, struct sw_packet *pkt,
                                           struct decode_stats *st)
{
	/* The Broadcom tag before the whole Ethernet frame (switches that cannot insert it). */
	if (!cursor_skip(c, BRCM_TAG_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_eth(c, pkt, st);
}
