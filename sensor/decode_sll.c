/* decode_sll.c — Linux cooked capture headers, SLL (DLT 113) and SLL2 (DLT 276). */
#include "scanwatch/decode.h"

/* https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and ..._SLL2.html */
#define SLL_HDR_LEN  16
#define SLL2_HDR_LEN 20
#define SLL_ADDR_LEN 8 /* address bytes stored; longer addresses are cut to 8 */

/*
 * Highest packet type the kernel defines (PACKET_KERNEL in linux/if_packet.h);
 * libpcap copies sll_pkttype verbatim, so anything above is a forged header.
 */
#define SLL_PKTTYPE_MAX 7

enum {
	SLL_ARPHRD_ETHER = 1,      /* address is a MAC */
	SLL_ARPHRD_NETLINK = 824,  /* protocol field is a netlink family, never an ethertype */
	SLL_ETHERTYPE_MIN = 0x0600 /* below: 802.3 / 802.2 / CAN pseudo-protocols, not IP */
};

/* The part both versions share once their fields are read. */
static enum decode_result sll_finish(unsigned pkttype, uint16_t hatype, unsigned halen,
                                     const uint8_t addr[SLL_ADDR_LEN], uint16_t proto,
                                     struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	if (pkttype > SLL_PKTTYPE_MAX || (hatype == SLL_ARPHRD_ETHER && halen != 6)) {
		st->anomalies[ANOM_SLL_BAD]++;
		return DECODE_BAD;
	}
	/* PACKET_BROADCAST (1) and PACKET_MULTICAST (2), linux/if_packet.h */
	if (pkttype == 1 || pkttype == 2)
		pkt->flags |= PKT_F_L2_GROUP;
	if (hatype == SLL_ARPHRD_ETHER) {
		for (int i = 0; i < 6; i++)
			pkt->src_mac[i] = addr[i];
		pkt->flags |= PKT_F_HAS_MAC;
	}
	if (hatype == SLL_ARPHRD_NETLINK || proto < SLL_ETHERTYPE_MIN) {
		st->non_ip++;
		return DECODE_SKIP;
	}
	/* libpcap re-inserts an offloaded VLAN tag before the protocol field, so tags may follow.
	 */
	return decode_ethertype(proto, c, pkt, st);
}

enum decode_result decode_sll(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint16_t pkttype, hatype, halen, proto;
	uint8_t addr[SLL_ADDR_LEN];

	if (!cursor_has(c, SLL_HDR_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &pkttype);
	(void)cursor_be16(c, &hatype);
	(void)cursor_be16(c, &halen);
	(void)cursor_bytes(c, addr, sizeof addr);
	(void)cursor_be16(c, &proto);
	return sll_finish(pkttype, hatype, halen, addr, proto, c, pkt, st);
}

enum decode_result decode_sll2(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint16_t proto, hatype;
	uint8_t pkttype, halen;
	uint8_t addr[SLL_ADDR_LEN];

	if (!cursor_has(c, SLL2_HDR_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &proto);
	(void)cursor_skip(c, 2 + 4); /* reserved (MBZ), interface index */
	(void)cursor_be16(c, &hatype);
	(void)cursor_u8(c, &pkttype);
	(void)cursor_u8(c, &halen);
	(void)cursor_bytes(c, addr, sizeof addr);
	return sll_finish(pkttype, hatype, halen, addr, proto, c, pkt, st);
}
