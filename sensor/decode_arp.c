/* decode_arp.c — ARP for IPv4 (RFC 826) over the hardware the link decoders read. */
#include "scanwatch/decode.h"

#include <stdbool.h>
#include <string.h>

#define ARP_FIXED_LEN 8 /* hardware type, protocol type, hlen, plen, opcode */

enum {
	ARP_PTYPE_IPV4 = 0x0800,
	ARP_PLEN_IPV4 = 4,
	ARP_HLEN_MAC = 6, /* the one hardware address length the view keeps (arp_sha / arp_tha) */
};

/*
 * Hardware types (IANA "Hardware Types") with the address length each uses:
 * Ethernet (also FDDI, RFC 1390, and 802.11), IEEE 802 (token ring, RFC 1042),
 * ARCNET (RFC 1201, 1-byte station ids), IEEE 1394 (RFC 2734: the sender's
 * 16-byte address and no target hardware address at all) and InfiniBand
 * (RFC 4391, queue pair and GID). Another pairing is not an ARP any host
 * would answer.
 */
#define ARP_HTYPE_1394 24
static bool arp_hw_known(uint16_t htype, uint8_t hlen)
{
	switch (htype) {
	case 1:
	case 6:
		return hlen == ARP_HLEN_MAC;
	case 7:
		return hlen == 1;
	case ARP_HTYPE_1394:
		return hlen == 16;
	case 32:
		return hlen == 20;
	default:
		return false;
	}
}

enum decode_result decode_arp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ARP_FIXED_LEN);
	const uint8_t *a;
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	size_t tlen;

	if (!h) {
		st->anomalies[ANOM_ARP_TRUNCATED]++;
		return DECODE_BAD;
	}
	htype = cursor_get_be16(h);
	ptype = cursor_get_be16(h + 2);
	hlen = h[4];
	plen = h[5];
	/* Only the IPv4 form says anything about IP scanning; other forms are hostile here. */
	if (ptype != ARP_PTYPE_IPV4 || plen != ARP_PLEN_IPV4 || !arp_hw_known(htype, hlen)) {
		st->anomalies[ANOM_ARP_BAD_FORMAT]++;
		return DECODE_BAD;
	}
	/* Sender hardware and protocol address, then the target's (1394: no hardware one). */
	tlen = htype == ARP_HTYPE_1394 ? 0 : hlen;
	a = cursor_take(c, (size_t)hlen + ARP_PLEN_IPV4 + tlen + ARP_PLEN_IPV4);
	if (!a) {
		st->anomalies[ANOM_ARP_TRUNCATED]++;
		return DECODE_BAD;
	}
	pkt->l3 = PKT_L3_ARP;
	pkt->arp_op = cursor_get_be16(h + 6); /* any opcode; classify decides what a who-has is */
	if (hlen == ARP_HLEN_MAC) {
		memcpy(pkt->arp_sha, a, ARP_HLEN_MAC);
		memcpy(pkt->arp_tha, a + hlen + ARP_PLEN_IPV4, ARP_HLEN_MAC);
	}
	addr_from_v4(&pkt->src, a + hlen);
	addr_from_v4(&pkt->dst, a + hlen + ARP_PLEN_IPV4 + tlen);
	return DECODE_OK;
}
