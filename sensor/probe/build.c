/* build.c — scanprobe's packet templates: IPv4/IPv6 + TCP/UDP/ICMP/ICMPv6, ARP, checksums. */
#include <netinet/in.h>
#include <string.h>

#include "scanwatch/probe.h"

/* Header sizes (RFC 791, RFC 8200, RFC 9293, RFC 768, RFC 792 / RFC 4443). */
#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN  20
#define UDP_HLEN  8
#define ICMP_HLEN 8
#define ETH_HLEN  14

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * RFC 1071 section 4.1: add 16-bit big-endian words into a 32-bit accumulator. Callers fold.
 * The accumulator cannot overflow for any packet below 128 KiB, far above BUILD_MAX.
 */
uint32_t build_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	while (len >= 2) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8; /* odd byte padded with a zero octet */
	return sum;
}

uint16_t build_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t build_cksum(const void *data, size_t len)
{
	return build_fold(build_sum(data, len, 0));
}

uint32_t build_pseudo_sum(const struct sw_addr *src, const struct sw_addr *dst, uint8_t proto,
                          uint32_t l4len)
{
	uint32_t sum = 0;
	if (addr_is_v4(src)) {
		/* RFC 9293 3.1 / RFC 768: src, dst, zero, protocol, 16-bit length. */
		sum = build_sum(src->a + 12, 4, sum);
		sum = build_sum(dst->a + 12, 4, sum);
		sum += proto;
		sum += l4len & 0xffff;
	} else {
		/* RFC 8200 8.1: src, dst, 32-bit length, 3 zero octets, next header. */
		sum = build_sum(src->a, 16, sum);
		sum = build_sum(dst->a, 16, sum);
		sum += l4len >> 16;
		sum += l4len & 0xffff;
		sum += proto;
	}
	return sum;
}

/* RFC 1624 equation 3: HC' = ~(~HC + ~m + m'). Avoids equation 2's -0 ambiguity. */
uint16_t build_cksum_update16(uint16_t cksum, uint16_t old_w, uint16_t new_w)
{
	uint32_t sum = (uint32_t)(uint16_t)~cksum + (uint16_t)~old_w + new_w;
	return build_fold(sum);
}

/* Which L4 checksum offset (relative to the L4 header) a protocol has, 0 for none. */
static uint16_t l4_cksum_off(uint8_t proto, bool v6)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
		return v6 ? 0 : 2;
	case IPPROTO_ICMPV6:
		return v6 ? 2 : 0;
	default:
		return 0;
	}
}

static bool l4_uses_pseudo(uint8_t proto)
{
	/* ICMPv4 (RFC 792) covers only its own bytes; TCP, UDP and ICMPv6 add a pseudo-header. */
	return proto != IPPROTO_ICMP;
}

/* Computes the L4 checksum of p from scratch. */
static void l4_checksum(struct build_pkt *p)
{
	if (!p->l4_ck)
		return;
	uint8_t *ck = p->b + p->l4_ck;
	ck[0] = ck[1] = 0;
	uint32_t l4len = (uint32_t)(p->len - p->l4);
	uint32_t sum = 0;
	if (l4_uses_pseudo(p->proto)) {
		struct sw_addr s, d;
		if (p->v6) {
			addr_from_v6(&s, p->b + 8);
			addr_from_v6(&d, p->b + 24);
		} else {
			addr_from_v4(&s, p->b + 12);
			addr_from_v4(&d, p->b + 16);
		}
		sum = build_pseudo_sum(&s, &d, p->proto, l4len);
	}
	uint16_t v = build_fold(build_sum(p->b + p->l4, l4len, sum));
	if (v == 0 && p->proto == IPPROTO_UDP)
		v = 0xffff; /* RFC 768: a computed zero is transmitted as all ones */
	put16(ck, v);
}

void build_finish(struct build_pkt *p)
{
	if (!p->v6) {
		p->b[10] = p->b[11] = 0;
		put16(p->b + 10, build_cksum(p->b, IPV4_HLEN));
	}
	l4_checksum(p);
}

int build_packet(const struct build_spec *s, struct build_pkt *out)
{
	bool v6 = !addr_is_v4(&s->src);
	if (v6 != !addr_is_v4(&s->dst))
		return -1;
	if (s->optlen > 40 || (s->optlen & 3))
		return -1;
	size_t l3 = v6 ? IPV6_HLEN : IPV4_HLEN;
	size_t l4h;
	switch (s->proto) {
	case IPPROTO_TCP:
		l4h = TCP_HLEN + s->optlen;
		break;
	case IPPROTO_UDP:
		l4h = UDP_HLEN;
		break;
	case IPPROTO_ICMP:
		l4h = v6 ? 0 : ICMP_HLEN; /* ICMPv4 inside IPv6 (-sO) is just a protocol number */
		break;
	case IPPROTO_ICMPV6:
		l4h = v6 ? ICMP_HLEN : 0;
		break;
	default:
		l4h = 0; /* other protocols (-sO): the payload is the whole L4 part */
		break;
	}
	size_t total = l3 + l4h + s->paylen;
	if (total > BUILD_MAX)
		return -1;
	uint8_t *b = out->b;
	memset(b, 0, l3 + l4h);
	out->len = (uint16_t)total;
	out->v6 = v6;
	out->proto = s->proto;
	out->l4 = (uint16_t)l3;
	uint16_t cko = l4_cksum_off(s->proto, v6);
	out->l4_ck = cko ? (uint16_t)(l3 + cko) : 0;

	if (v6) {
		/* RFC 8200 section 3. */
		put32(b, 6u << 28 | (s->flow & 0xfffff));
		put16(b + 4, (uint16_t)(l4h + s->paylen));
		b[6] = s->proto;
		b[7] = s->ttl;
		memcpy(b + 8, s->src.a, 16);
		memcpy(b + 24, s->dst.a, 16);
	} else {
		/* RFC 791 section 3.1, no options. */
		b[0] = 0x45;
		put16(b + 2, (uint16_t)total);
		put16(b + 4, s->ip_id);
		put16(b + 6, s->df ? 0x4000 : 0);
		b[8] = s->ttl;
		b[9] = s->proto;
		memcpy(b + 12, s->src.a + 12, 4);
		memcpy(b + 16, s->dst.a + 12, 4);
	}
	uint8_t *l4 = b + l3;
	switch (s->proto) {
	case IPPROTO_TCP:
		/* RFC 9293 section 3.1. */
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = s->flags;
		put16(l4 + 14, s->win);
		if (s->optlen)
			memcpy(l4 + TCP_HLEN, s->opts, s->optlen);
		break;
	case IPPROTO_UDP:
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)(UDP_HLEN + s->paylen));
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!l4h)
			break;
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		put16(l4 + 4, s->icmp_id);
		put16(l4 + 6, s->icmp_seq);
		break;
	default:
		break;
	}
	if (s->paylen)
		memcpy(l4 + l4h, s->payload, s->paylen);
	build_finish(out);
	return 0;
}

void build_patch(struct build_pkt *p, size_t off, const uint8_t *bytes, size_t n, unsigned which)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint16_t old_w = get16(p->b + off + i);
		uint16_t new_w = get16(bytes + i);
		if (old_w == new_w)
			continue;
		if ((which & BUILD_CK_IP) && !p->v6)
			put16(p->b + 10, build_cksum_update16(get16(p->b + 10), old_w, new_w));
		if ((which & BUILD_CK_L4) && p->l4_ck) {
			uint16_t ck = get16(p->b + p->l4_ck);
			bool udp = p->proto == IPPROTO_UDP;
			if (udp && ck == 0xffff)
				ck = 0; /* undo RFC 768's substitution before the arithmetic */
			ck = build_cksum_update16(ck, old_w, new_w);
			if (udp && ck == 0)
				ck = 0xffff;
			put16(p->b + p->l4_ck, ck);
		}
		put16(p->b + off + i, new_w);
	}
}

void build_patch_dst(struct build_pkt *p, const struct sw_addr *dst)
{
	unsigned l4 = l4_uses_pseudo(p->proto) ? BUILD_CK_L4 : 0;
	if (p->v6)
		build_patch(p, 24, dst->a, 16, l4);
	else
		build_patch(p, 16, dst->a + 12, 4, BUILD_CK_IP | l4);
}

size_t build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], const uint8_t spa[4],
                 const uint8_t tha[6], const uint8_t tpa[4])
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	/* Ethernet: a request is broadcast, a reply unicast to the asker (RFC 826). */
	memcpy(out, op == 1 ? bcast : tha, 6);
	memcpy(out + 6, sha, 6);
	put16(out + 12, 0x0806);
	uint8_t *a = out + ETH_HLEN;
	put16(a, 1);          /* hardware: Ethernet */
	put16(a + 2, 0x0800); /* protocol: IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	return ETH_HLEN + 28;
}

size_t build_ether(uint8_t *out, size_t cap, const uint8_t dst[6], const uint8_t src[6],
                   const struct build_pkt *p)
{
	if (cap < (size_t)ETH_HLEN + p->len)
		return 0;
	memcpy(out, dst, 6);
	memcpy(out + 6, src, 6);
	put16(out + 12, p->v6 ? 0x86dd : 0x0800);
	memcpy(out + ETH_HLEN, p->b, p->len);
	return ETH_HLEN + p->len;
}

void build_mac_for(const struct sw_addr *a, uint8_t mac[6])
{
	/* 02:xx = locally administered unicast (IEEE 802), so it never names a real vendor. */
	mac[0] = 0x02;
	mac[1] = 0x5c;
	mac[2] = a->a[12] ^ a->a[8] ^ a->a[4] ^ a->a[0];
	mac[3] = a->a[13] ^ a->a[9] ^ a->a[5] ^ a->a[1];
	mac[4] = a->a[14] ^ a->a[10] ^ a->a[6] ^ a->a[2];
	mac[5] = a->a[15] ^ a->a[11] ^ a->a[7] ^ a->a[3];
}
