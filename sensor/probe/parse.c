/* parse.c — bounds-checked extraction of the reply fields scanprobe needs (not the sensor's
 * decoder). */
#include <netinet/in.h>
#include <string.h>

#include "scanwatch/cursor.h"
#include "scanwatch/probe.h"

/* Reads an IP header (either version) and positions c at its payload; fills addresses, proto,
 * ttl. Skips IPv6 extension headers we can walk (hop-by-hop, routing, destination options). */
static int ip_header(struct cursor *c, uint8_t *v6, uint8_t *proto, uint8_t *ttl,
                     struct sw_addr *src, struct sw_addr *dst, bool *later_frag)
{
	uint8_t vhl;
	if (!cursor_has(c, 1))
		return -1;
	vhl = c->p[0];
	*later_frag = false;
	if (vhl >> 4 == 4) {
		uint8_t b[20];
		if (!cursor_bytes(c, b, 20))
			return -1;
		size_t hl = (size_t)(vhl & 15) * 4;
		size_t tot = (size_t)(b[2] << 8 | b[3]);
		if (hl < 20 || tot < hl || !cursor_skip(c, hl - 20))
			return -1;
		cursor_limit(c, tot - hl); /* drop Ethernet padding */
		*later_frag = ((b[6] & 0x1f) << 8 | b[7]) != 0;
		*v6 = 0;
		*proto = b[9];
		*ttl = b[8];
		addr_from_v4(src, b + 12);
		addr_from_v4(dst, b + 16);
		return 0;
	}
	if (vhl >> 4 == 6) {
		uint8_t b[40];
		if (!cursor_bytes(c, b, 40))
			return -1;
		cursor_limit(c, (size_t)(b[4] << 8 | b[5]));
		*v6 = 1;
		*ttl = b[7];
		addr_from_v6(src, b + 8);
		addr_from_v6(dst, b + 24);
		uint8_t nh = b[6];
		/* RFC 8200 4.1: walk at most a few extension headers, then give up. */
		for (int i = 0; i < 4 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); i++) {
			uint8_t next, hlen;
			if (cursor_left(c) == 0)
				break; /* an empty extension header: -sO probes are built that way
				        */
			if (!cursor_u8(c, &next) || !cursor_u8(c, &hlen))
				return -1;
			if (nh == 44) {
				uint16_t off;
				if (!cursor_be16(c, &off) || !cursor_skip(c, 4))
					return -1;
				*later_frag = (off & 0xfff8) != 0;
			} else if (!cursor_skip(c, (size_t)hlen * 8 + 6)) {
				return -1;
			}
			nh = next;
		}
		*proto = nh;
		return 0;
	}
	return -1;
}

/* The header quoted by an ICMP error (RFC 792: IP header + 8 bytes; RFC 4443: as much as fits). */
static void quoted(struct cursor *c, struct parse_view *v)
{
	uint8_t qv6, qttl;
	bool later;
	if (ip_header(c, &qv6, &v->q_proto, &qttl, &v->q_src, &v->q_dst, &later) != 0 || later)
		return;
	if (v->q_proto == IPPROTO_TCP || v->q_proto == IPPROTO_UDP) {
		if (!cursor_be16(c, &v->q_sport) || !cursor_be16(c, &v->q_dport))
			return;
	}
	v->has_quote = true;
}

static int l4(struct cursor *c, struct parse_view *v)
{
	switch (v->proto) {
	case IPPROTO_TCP: {
		uint8_t off;
		uint16_t ck, urg;
		if (!cursor_be16(c, &v->sport) || !cursor_be16(c, &v->dport) ||
		    !cursor_be32(c, &v->seq) || !cursor_be32(c, &v->ack) || !cursor_u8(c, &off) ||
		    !cursor_u8(c, &v->flags) || !cursor_be16(c, &v->win) || !cursor_be16(c, &ck) ||
		    !cursor_be16(c, &urg))
			return -1;
		if ((off >> 4) < 5 || !cursor_skip(c, (size_t)(off >> 4) * 4 - 20))
			return -1;
		break;
	}
	case IPPROTO_UDP: {
		uint16_t ulen, ck;
		if (!cursor_be16(c, &v->sport) || !cursor_be16(c, &v->dport) ||
		    !cursor_be16(c, &ulen) || !cursor_be16(c, &ck))
			return -1;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		uint16_t ck;
		if ((v->proto == IPPROTO_ICMPV6) != (v->v6 != 0))
			break; /* ICMP of the other family: just a protocol number (-sO) */
		if (!cursor_u8(c, &v->icmp_type) || !cursor_u8(c, &v->icmp_code) ||
		    !cursor_be16(c, &ck) || !cursor_be16(c, &v->icmp_id) ||
		    !cursor_be16(c, &v->icmp_seq))
			return -1;
		bool err = v->proto == IPPROTO_ICMP
		               ? (v->icmp_type == 3 || v->icmp_type == 11 || v->icmp_type == 12)
		               : v->icmp_type < 128;
		if (err) {
			struct cursor q = *c;
			quoted(&q, v);
		}
		break;
	}
	default:
		break;
	}
	v->payload = c->p;
	v->paylen = (uint16_t)cursor_left(c);
	return 0;
}

int parse_l3(const uint8_t *data, size_t len, struct parse_view *v)
{
	struct cursor c;
	bool later;
	memset(v, 0, sizeof *v);
	cursor_init(&c, data, len);
	if (ip_header(&c, &v->v6, &v->proto, &v->ttl, &v->src, &v->dst, &later) != 0)
		return -1;
	if (later)
		return 0; /* no L4 header in a non-first fragment */
	return l4(&c, v);
}

int parse_ether(const uint8_t *data, size_t len, struct parse_view *v)
{
	struct cursor c;
	uint16_t type;
	cursor_init(&c, data, len);
	if (!cursor_skip(&c, 12) || !cursor_be16(&c, &type))
		return -1;
	if (type == 0x0806) {
		/* RFC 826 for Ethernet/IPv4 only. */
		uint16_t hrd, pro;
		uint8_t hln, pln, sha[6], spa[4], tha[6], tpa[4];
		memset(v, 0, sizeof *v);
		if (!cursor_be16(&c, &hrd) || !cursor_be16(&c, &pro) || !cursor_u8(&c, &hln) ||
		    !cursor_u8(&c, &pln) || !cursor_be16(&c, &v->arp_op) ||
		    !cursor_bytes(&c, sha, 6) || !cursor_bytes(&c, spa, 4) ||
		    !cursor_bytes(&c, tha, 6) || !cursor_bytes(&c, tpa, 4))
			return -1;
		if (hrd != 1 || pro != 0x0800 || hln != 6 || pln != 4)
			return -1;
		addr_from_v4(&v->arp_spa, spa);
		addr_from_v4(&v->arp_tpa, tpa);
		return 0;
	}
	if (type != 0x0800 && type != 0x86dd)
		return -1;
	return parse_l3(c.p, cursor_left(&c), v);
}
