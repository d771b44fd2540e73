/* fuzz_linktype.c — libFuzzer target: stacks of link layers and tunnels, built well-formed
 * around an IP packet and decoded from their outer link type, against a model of what the
 * decoder must find.
 *
 * fuzz_decode already reaches every link type of decode.c's table (byte 0 picks it) with
 * arbitrary bytes; what random bytes seldom build is a deep, valid stack: tags in Ethernet in
 * MPLS in GRE in VXLAN, each with correct lengths. This target builds those stacks, so the
 * decoder's nesting limits and hand-offs are what gets explored, and checks more than the
 * anomaly contract: for a stack within the limits, the decoded view must be the innermost
 * packet's (family, addresses, ports) with one encapsulation counted per tunnel; for a stack
 * past a limit, the first limit crossed from the outside names the anomaly.
 *
 * Input: byte 0 the outer link type (below), byte 1 the inner packet (bit 0 IPv6, RFC 8200;
 * else IPv4, RFC 791), then layer ops of 2 bytes (op, parameter), innermost first, at most
 * LT_MAX_OPS; the rest of the input after the ops is the inner UDP payload (RFC 768).
 *   op % 8: 0 Ethernet II (IEEE 802.3) with parameter % 5 VLAN tags (802.1Q 0x8100, 802.1ad
 *           0x88a8, old QinQ 0x9100 by the parameter's upper bits); 1 an MPLS label stack
 *           (RFC 3032) of parameter % 20 + 1 entries (Ethernet inside: an RFC 4448 control
 *           word first); 2 PPPoE session (RFC 2516) with PPP (RFC 1661); 3 GRE (RFC 2784) in
 *           IPv4 or IPv6 (parameter bit 0); 4 VXLAN (RFC 7348) in UDP 4789; 5 GENEVE (RFC 8926)
 *           in UDP 6081; 6 TZSP (decode_tzsp.c) in UDP 37008 with (parameter >> 1) % 4 padding
 *           tags; 7 nothing.
 *   An op that cannot carry what is inside (VXLAN around an IP packet, PPPoE around
 *   Ethernet) wraps it in Ethernet first.
 * Outer link types: 0 Ethernet, 1 Linux SLL, 2 SLL2, 3 raw IP (DLT 12), 4 BSD loopback (DLT
 * NULL), 5 OpenBSD loopback (DLT LOOP), 6 netANALYZER; one that cannot carry the outermost
 * layer falls back to Ethernet.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LT_MAX_OPS     12
#define LT_BUF         8192
#define LT_VLAN_MAX    3  /* decode_eth.c VLAN_MAX_DEPTH */
#define LT_MPLS_MAX    16 /* decode_mpls.c MPLS_MAX_DEPTH */
#define LT_PAYLOAD_MAX 512

enum lt_kind { LT_IP4, LT_IP6, LT_ETH, LT_MPLS, LT_PPPOE };

/* The frame being built from the inside out, in the tail of buf. */
struct lt_frame {
	size_t start; /* the frame is buf[start, LT_BUF) */
	enum lt_kind kind;
	/* What the decoder must meet, outermost first once reversed: */
	int encaps;          /* tunnels and pseudowires: each counts one encapsulation */
	int first_limit;     /* the anomaly of the outermost limit crossed, -1 none */
	int encap_limited;   /* an encapsulation past DECODE_ENCAP_MAX */
	bool overflow;       /* buf ran out: the input is dropped */
	uint8_t buf[LT_BUF]; /* last: what is before it is reset for every input */
};

static uint8_t *lt_push(struct lt_frame *f, size_t n)
{
	if (f->overflow || n > f->start) {
		f->overflow = true;
		return NULL;
	}
	f->start -= n;
	return f->buf + f->start;
}

static size_t lt_len(const struct lt_frame *f)
{
	return LT_BUF - f->start;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static const uint8_t lt_v4[2][4] = {{198, 18, 0, 1}, {198, 18, 0, 2}};
static const uint8_t lt_v6[2][16] = {{0x20, 0x01, 0, 0x02, [15] = 1},
                                     {0x20, 0x01, 0, 0x02, [15] = 2}};

/* An IP header (addresses chosen by depth, so each layer's are its own) around what is in f,
 * of protocol proto. */
static void lt_ip(struct lt_frame *f, bool v6, uint8_t proto, uint8_t tag)
{
	size_t plen = lt_len(f);
	if (v6) {
		uint8_t *h = lt_push(f, 40);
		if (!h)
			return;
		memset(h, 0, 40);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)plen);
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, lt_v6[0], 16);
		memcpy(h + 24, lt_v6[1], 16);
		h[22] = h[38] = tag;
		f->kind = LT_IP6;
	} else {
		uint8_t *h = lt_push(f, 20);
		if (!h)
			return;
		memset(h, 0, 20);
		h[0] = 0x45;
		put16(h + 2, (uint16_t)(20 + plen));
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, lt_v4[0], 4);
		memcpy(h + 16, lt_v4[1], 4);
		h[14] = h[18] = tag;
		put16(h + 10, csum(h, 20, 0));
		f->kind = LT_IP4;
	}
}

/* A UDP header (checksum 0: none, RFC 768) to dport around what is in f. */
static void lt_udp(struct lt_frame *f, uint16_t sport, uint16_t dport)
{
	size_t plen = lt_len(f);
	uint8_t *h = lt_push(f, 8);
	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + plen));
	put16(h + 6, 0);
}

static uint16_t lt_ethertype(enum lt_kind k)
{
	switch (k) {
	case LT_IP4:
		return 0x0800;
	case LT_IP6:
		return 0x86dd;
	case LT_MPLS:
		return 0x8847;
	case LT_PPPOE:
		return 0x8864;
	default:
		return 0x6558; /* transparent Ethernet bridging: only inside GRE and GENEVE */
	}
}

/* A limit crossed: the outermost one counts, and layers are added inside out. */
static void lt_limit(struct lt_frame *f, int anomaly)
{
	f->first_limit = anomaly;
}

static void lt_eth(struct lt_frame *f, unsigned tags, unsigned which)
{
	static const uint16_t tag_types[] = {0x8100, 0x88a8, 0x9100};
	if (f->kind == LT_ETH)
		return; /* already a frame */
	uint16_t type = lt_ethertype(f->kind);
	for (unsigned i = 0; i < tags; i++) {
		uint8_t *t = lt_push(f, 4);
		if (!t)
			return;
		put16(t, (uint16_t)(0x0100 + i)); /* priority 0, VLAN id 256 + i */
		put16(t + 2, type);
		type = tag_types[(which + i) % 3];
	}
	uint8_t *h = lt_push(f, 14);
	if (!h)
		return;
	memcpy(h, (const uint8_t[]){0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1}, 12);
	put16(h + 12, type);
	f->kind = LT_ETH;
	if (tags > LT_VLAN_MAX)
		lt_limit(f, ANOM_VLAN_TOO_DEEP);
}

static void lt_encap(struct lt_frame *f)
{
	/* Counted from the outside, so the inner tunnels are the ones past the cap: known only
	 * once the whole stack is built (lt_finish). */
	f->encaps++;
}

static void lt_mpls(struct lt_frame *f, unsigned entries)
{
	/* A stack pushed on a stack would be one longer stack: MPLS and PPPoE go in a frame. */
	if (f->kind == LT_PPPOE || f->kind == LT_MPLS)
		lt_eth(f, 0, 0);
	if (f->kind == LT_ETH) {
		uint8_t *cw = lt_push(f, 4); /* RFC 4385 control word: first nibble 0 */
		if (!cw)
			return;
		memset(cw, 0, 4);
		lt_encap(f);
	}
	for (unsigned i = 0; i < entries; i++) {
		uint8_t *e = lt_push(f, 4);
		if (!e)
			return;
		uint32_t label = 16 + i; /* above the reserved labels (RFC 3032 2.1) */
		uint32_t v = label << 12 | (i == 0 ? 0x100u : 0) | 64;
		put16(e, (uint16_t)(v >> 16));
		put16(e + 2, (uint16_t)v);
	}
	f->kind = LT_MPLS;
	if (entries > LT_MPLS_MAX)
		lt_limit(f, ANOM_MPLS_TOO_DEEP);
}

static void lt_pppoe(struct lt_frame *f)
{
	if (f->kind != LT_IP4 && f->kind != LT_IP6)
		return; /* PPP carries IP here; anything else stays as it is */
	uint16_t proto = f->kind == LT_IP4 ? 0x0021 : 0x0057;
	size_t plen = lt_len(f);
	uint8_t *h = lt_push(f, 8);
	if (!h)
		return;
	h[0] = 0x11; /* version 1, type 1 */
	h[1] = 0;    /* session data */
	put16(h + 2, 0x1234);
	put16(h + 4, (uint16_t)(2 + plen)); /* the PPP protocol field and the payload */
	put16(h + 6, proto);
	f->kind = LT_PPPOE;
}

static void lt_gre(struct lt_frame *f, bool v6, uint8_t tag)
{
	if (f->kind == LT_PPPOE)
		lt_eth(f, 0, 0);
	uint16_t proto = lt_ethertype(f->kind);
	uint8_t *h = lt_push(f, 4);
	if (!h)
		return;
	put16(h, 0); /* no checksum, key or sequence; version 0 */
	put16(h + 2, proto);
	lt_encap(f);
	lt_ip(f, v6, 47, tag);
}

static void lt_vxlan(struct lt_frame *f, bool v6, uint8_t tag)
{
	lt_eth(f, 0, 0);
	uint8_t *h = lt_push(f, 8);
	if (!h)
		return;
	memset(h, 0, 8);
	h[0] = 0x08; /* I: the VNI is valid */
	h[6] = tag;  /* VNI */
	lt_encap(f);
	lt_udp(f, 40000, 4789);
	lt_ip(f, v6, 17, tag);
}

/* TZSP to 37008 (decode_tzsp.c): a received frame, parameter % 4 padding tags and a 2-byte
 * tag of its own before END; what it carries is Ethernet. */
static void lt_tzsp(struct lt_frame *f, bool v6, uint8_t tag, unsigned pads)
{
	lt_eth(f, 0, 0);
	uint8_t *h = lt_push(f, 4 + pads + 3 + 1);
	if (!h)
		return;
	h[0] = 1;               /* version */
	h[1] = 0;               /* a received packet */
	put16(h + 2, 1);        /* Ethernet */
	memset(h + 4, 0, pads); /* PADDING */
	h[4 + pads] = 12;       /* a data rate tag: type, length, value */
	h[5 + pads] = 1;
	h[6 + pads] = tag;
	h[7 + pads] = 1; /* END */
	lt_encap(f);
	lt_udp(f, 40002, 37008);
	lt_ip(f, v6, 17, tag);
}

static void lt_geneve(struct lt_frame *f, bool v6, uint8_t tag)
{
	if (f->kind != LT_IP4 && f->kind != LT_IP6)
		lt_eth(f, 0, 0);
	uint16_t proto = lt_ethertype(f->kind);
	uint8_t *h = lt_push(f, 8);
	if (!h)
		return;
	memset(h, 0, 8);
	put16(h + 2, proto); /* version 0, no options */
	h[6] = tag;
	lt_encap(f);
	lt_udp(f, 40001, 6081);
	lt_ip(f, v6, 17, tag);
}

/* The outer link header; returns the DLT (pcap/dlt.h) the frame is decoded as. */
static int lt_link(struct lt_frame *f, unsigned which)
{
	bool ip = f->kind == LT_IP4 || f->kind == LT_IP6;
	uint8_t *h;
	switch (which % 7) {
	case 1: /* Linux SLL: packet type, ARPHRD_ETHER, address length, address, protocol */
		if (f->kind == LT_ETH)
			break;
		if (!(h = lt_push(f, 16)))
			return -1;
		memset(h, 0, 16);
		put16(h + 2, 1);
		put16(h + 4, 6);
		h[6] = 0x02;
		put16(h + 14, lt_ethertype(f->kind));
		return 113;
	case 2: /* SLL2: protocol, reserved, interface, ARPHRD_ETHER, type, length, address */
		if (f->kind == LT_ETH)
			break;
		if (!(h = lt_push(f, 20)))
			return -1;
		memset(h, 0, 20);
		put16(h, lt_ethertype(f->kind));
		put16(h + 8, 1);
		h[11] = 6;
		h[12] = 0x02;
		return 276;
	case 3:
		if (!ip)
			break;
		return 12;
	case 4: /* DLT_NULL: the family in the capturing host's order, as the BSDs number it
	         * (AF_INET 2, AF_INET6 24; tcpdump print-null.c): little-endian here */
		if (!ip || !(h = lt_push(f, 4)))
			break;
		memset(h, 0, 4);
		h[0] = f->kind == LT_IP4 ? 2 : 24;
		return 0;
	case 5: /* DLT_LOOP: network order, OpenBSD's AF_INET6 24 */
		if (!ip || !(h = lt_push(f, 4)))
			break;
		memset(h, 0, 4);
		h[3] = f->kind == LT_IP4 ? 2 : 24;
		return 108;
	case 6: /* netANALYZER: a 4-byte little-endian header, version 1, then Ethernet */
		lt_eth(f, 0, 0);
		if (!(h = lt_push(f, 4)))
			return -1;
		memset(h, 0, 4);
		h[1] = 1 << 2; /* version 1 in bits 10-13 */
		return 240;
	default:
		break;
	}
	lt_eth(f, 0, 0);
	return 1;
}

static uint64_t anomaly_total(const struct decode_stats *st)
{
	uint64_t n = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		n += st->anomalies[a];
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lt_frame f;
	if (size < 2)
		return 0;
	unsigned link = data[0];
	bool inner_v6 = data[1] & 1;
	size_t nops = 0;
	while (nops < LT_MAX_OPS && 2 + 2 * (nops + 1) <= size && data[2 + 2 * nops] % 8 != 7)
		nops++;
	size_t off = 2 + 2 * nops + (2 + 2 * nops < size ? 2 : 0); /* past the ops (and a stop) */
	size_t plen = size > off ? size - off : 0;
	if (plen > LT_PAYLOAD_MAX)
		plen = LT_PAYLOAD_MAX;

	memset(&f, 0, offsetof(struct lt_frame, buf));
	f.start = LT_BUF;
	f.first_limit = -1;
	/* The innermost packet: UDP from 7 to 9 between its own addresses (tag 0x77). */
	uint8_t *p = lt_push(&f, plen);
	if (plen)
		memcpy(p, data + off, plen);
	if (plen && p[0] == 1)
		p[0] =
		    0x81; /* never a TZSP header (read on any port): the innermost is this packet */
	lt_udp(&f, 7, 9);
	lt_ip(&f, inner_v6, 17, 0x77);
	enum lt_kind inner = f.kind;
	/* Ops, innermost first; the model keeps the outermost limit crossed. */
	for (size_t i = 0; i < nops && !f.overflow; i++) {
		uint8_t op = data[2 + 2 * i] % 8, arg = data[3 + 2 * i];
		uint8_t tag = (uint8_t)(0x10 + i);
		switch (op) {
		case 0:
			if (f.kind == LT_ETH) /* a frame in a frame: a pseudowire, then tagged */
				lt_mpls(&f, 1);
			lt_eth(&f, arg % 5, arg >> 5);
			break;
		case 1:
			lt_mpls(&f, arg % 20 + 1u);
			break;
		case 2:
			lt_pppoe(&f);
			break;
		case 3:
			lt_gre(&f, arg & 1, tag);
			break;
		case 4:
			lt_vxlan(&f, arg & 1, tag);
			break;
		case 5:
			lt_geneve(&f, arg & 1, tag);
			break;
		default:
			lt_tzsp(&f, arg & 1, tag, (arg >> 1) % 4u);
			break;
		}
	}
	int dlt = lt_link(&f, link);
	if (f.overflow || dlt < 0)
		return 0;

	size_t len = lt_len(&f);
	uint8_t *frame = malloc(len); /* exact size: ASan sees a read past the capture */
	if (!frame)
		return 0;
	memcpy(frame, f.buf + f.start, len);
	struct sw_packet pkt;
	struct decode_stats st;
	memset(&st, 0, sizeof st);
	enum decode_result r =
	    decode_packet(dlt, frame, (uint32_t)len, (uint32_t)len, 1700000000000000ULL, &pkt, &st);

	/* decode.h's contract, as fuzz_decode checks it. */
	uint64_t an = anomaly_total(&st);
	if ((r == DECODE_BAD && an != 1) || (r != DECODE_BAD && an != 0))
		abort();
	if (pkt.encap > DECODE_ENCAP_MAX || pkt.cap_len != len || pkt.wire_len != len)
		abort();
	/* The model. A limit crossed (the tags of one frame, the labels of one stack) is the
	 * outermost one met; without one, more tunnels than DECODE_ENCAP_MAX stop at the cap. */
	if (f.first_limit >= 0 || f.encaps > DECODE_ENCAP_MAX) {
		if (r != DECODE_BAD)
			abort(); /* a stack past a limit was decoded */
		/* Which is met first when both a depth and the tunnel cap are crossed depends on
		 * their order: either anomaly then; otherwise exactly the limit crossed. */
		bool depth = f.first_limit >= 0 && st.anomalies[f.first_limit] == 1;
		bool cap = st.anomalies[ANOM_ENCAP_TOO_DEEP] == 1;
		if (f.encaps <= DECODE_ENCAP_MAX ? !depth : !(cap || depth))
			abort();
	} else {
		if (r != DECODE_OK)
			abort(); /* a well-formed stack within every limit was not decoded */
		if (pkt.encap != f.encaps)
			abort(); /* the tunnels were not counted one each */
		bool v6 = inner == LT_IP6;
		struct sw_addr src, dst;
		if (v6) {
			uint8_t a[16], b[16];
			memcpy(a, lt_v6[0], 16);
			memcpy(b, lt_v6[1], 16);
			a[14] = b[14] = 0x77;
			addr_from_v6(&src, a);
			addr_from_v6(&dst, b);
		} else {
			uint8_t a[4], b[4];
			memcpy(a, lt_v4[0], 4);
			memcpy(b, lt_v4[1], 4);
			a[2] = b[2] = 0x77;
			addr_set_v4(&src, a);
			addr_set_v4(&dst, b);
		}
		if (pkt.l3 != (v6 ? PKT_L3_IPV6 : PKT_L3_IPV4) || pkt.proto != 17 ||
		    !addr_eq(&pkt.src, &src) || !addr_eq(&pkt.dst, &dst) || pkt.sport != 7 ||
		    pkt.dport != 9 || pkt.payload_len != plen || !(pkt.flags & PKT_F_HAS_L4))
			abort(); /* the view is not the innermost packet's */
	}
	free(frame);
	return 0;
}
