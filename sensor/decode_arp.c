/* decode_arp.c — ARP for IPv4 over Ethernet (RFC 826). */
#include "scanwatch/decode.h"

#define ARP_FIXED_LEN 8  /* hardware type, protocol type, hlen, plen, opcode */
#define ARP_ADDRS_LEN 20 /* sender MAC + IPv4, target MAC + IPv4 for hlen 6, plen 4 */

enum {
	ARP_HTYPE_ETHER = 1,
	ARP_PTYPE_IPV4 = 0x0800,
	ARP_HLEN_ETHER = 6,
	ARP_PLEN_IPV4 = 4,
};

enum decode_result decode_arp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint16_t htype, ptype, op;
	uint8_t hlen, plen, spa[4], tpa[4];

	if (!cursor_has(c, ARP_FIXED_LEN)) {
		st->anomalies[ANOM_ARP_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &htype);
	(void)cursor_be16(c, &ptype);
	(void)cursor_u8(c, &hlen);
	(void)cursor_u8(c, &plen);
	(void)cursor_be16(c, &op);
	/* Only the Ethernet/IPv4 form says anything about IP scanning; other forms are hostile
	 * here. */
	if (htype != ARP_HTYPE_ETHER || ptype != ARP_PTYPE_IPV4 || hlen != ARP_HLEN_ETHER ||
	    plen != ARP_PLEN_IPV4) {
		st->anomalies[ANOM_ARP_BAD_FORMAT]++;
		return DECODE_BAD;
	}
	if (!cursor_has(c, ARP_ADDRS_LEN)) {
		st->anomalies[ANOM_ARP_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_bytes(c, pkt->arp_sha, 6);
	(void)cursor_bytes(c, spa, 4);
	(void)cursor_bytes(c, pkt->arp_tha, 6);
	(void)cursor_bytes(c, tpa, 4);

	pkt->l3 = PKT_L3_ARP;
	pkt->arp_op = op; /* any opcode is returned; classify decides what a who-has is */
	addr_from_v4(&pkt->src, spa);
	addr_from_v4(&pkt->dst, tpa);
	return DECODE_OK;
}
