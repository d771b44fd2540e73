/* decode_gre.c — GRE (RFC 2784, RFC 2890; PPTP's enhanced GRE, RFC 2637) and the ERSPAN mirror
 * sessions it carries. */
#include "scanwatch/decode.h"

#define GRE_FIXED_LEN 4 /* flags and version, protocol type */
#define GRE_OPT_LEN   4 /* each of checksum+reserved, key, sequence, acknowledgment */

/* Flags and version, RFC 2784 section 2 with RFC 2890's K and S and RFC 2637's A. */
enum {
	GRE_F_CSUM = 0x8000,
	GRE_F_ROUTING = 0x4000, /* RFC 1701 source routing: obsolete, never decapsulated */
	GRE_F_KEY = 0x2000,
	GRE_F_SEQ = 0x1000,
	GRE_F_ACK = 0x0080, /* version 1 only */
	GRE_VERSION = 0x0007,
};

/* Every bit a version 0 / version 1 header may set; any other makes it not ours. */
#define GRE_V0_BITS (GRE_F_CSUM | GRE_F_KEY | GRE_F_SEQ)
#define GRE_V1_BITS (GRE_F_KEY | GRE_F_SEQ | GRE_F_ACK | 1)

/* Protocol types GRE carries that the sensor reads (ethertypes, plus the GRE-only ones). */
enum {
	GRE_PROTO_IPV4 = 0x0800,
	GRE_PROTO_ARP = 0x0806,
	GRE_PROTO_IPV6 = 0x86DD,
	GRE_PROTO_MPLS = 0x8847,
	GRE_PROTO_MPLS_MCAST = 0x8848,
	GRE_PROTO_TEB = 0x6558,       /* transparent Ethernet bridging (NVGRE, gretap) */
	GRE_PROTO_ERSPAN_12 = 0x88BE, /* ERSPAN type I (no S bit) and II */
	GRE_PROTO_ERSPAN_3 = 0x22EB,
	GRE_PROTO_PPP = 0x880B, /* PPTP (version 1) */
};

/*
 * ERSPAN (draft-foschiano-erspan): type II adds 8 bytes, version 1 in the
 * top nibble; type III 12 bytes, version 2, and a platform-specific 8 more
 * when the last bit (O) of its second part is set. Type III's frame type (FT)
 * 0 is Ethernet; other types are not read.
 */
#define ERSPAN2_HDR_LEN  8
#define ERSPAN3_HDR_LEN  12
#define ERSPAN3_PLAT_LEN 8
#define ERSPAN2_VERSION  1
#define ERSPAN3_VERSION  2
#define ERSPAN3_O        0x0001
#define ERSPAN3_FT(x)    (((x) >> 10) & 0x1f)

static int gre_known_proto(uint16_t proto, unsigned version)
{
	if (version == 1)
		return proto == GRE_PROTO_PPP;
	switch (proto) {
	case GRE_PROTO_IPV4:
	case GRE_PROTO_ARP:
	case GRE_PROTO_IPV6:
	case GRE_PROTO_MPLS:
	case GRE_PROTO_MPLS_MCAST:
	case GRE_PROTO_TEB:
	case GRE_PROTO_ERSPAN_12:
	case GRE_PROTO_ERSPAN_3:
		return 1;
	default:
		return 0;
	}
}

/* Header length from the flags, checked against the version's allowed bits; 0 if not GRE. */
static size_t gre_hdr_len(uint16_t fv)
{
	unsigned version = fv & GRE_VERSION;
	size_t len = GRE_FIXED_LEN;

	if (version == 0 && (fv & ~GRE_V0_BITS) != 0)
		return 0;
	/* RFC 2637: key (call id) always present, no checksum, no routing. */
	if (version == 1 && ((fv & ~GRE_V1_BITS) != 0 || !(fv & GRE_F_KEY)))
		return 0;
	if (version > 1)
		return 0;
	if (fv & GRE_F_CSUM)
		len += GRE_OPT_LEN;
	if (fv & GRE_F_KEY)
		len += GRE_OPT_LEN;
	if (fv & GRE_F_SEQ)
		len += GRE_OPT_LEN;
	if (fv & GRE_F_ACK)
		len += GRE_OPT_LEN;
	return len;
}

int decode_gre_match(const struct cursor *c)
{
	struct cursor peek = *c;
	uint16_t fv, proto;
	size_t len;

	/*
	 * Too short for GRE, bits GRE forbids, or a payload we do not read: the
	 * packet stays what it was, an IP packet of protocol 47 (nmap -sO sends
	 * an empty one, and that must still count as a protocol probe).
	 */
	if (!cursor_be16(&peek, &fv) || !cursor_be16(&peek, &proto))
		return 0;
	len = gre_hdr_len(fv);
	return len != 0 && gre_known_proto(proto, fv & GRE_VERSION) && cursor_has(c, len);
}

static enum decode_result gre_erspan3(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st)
{
	const uint8_t *h = cursor_take(c, ERSPAN3_HDR_LEN);
	uint16_t h2;

	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (h[0] >> 4 != ERSPAN3_VERSION) {
		st->anomalies[ANOM_ERSPAN_BAD]++;
		return DECODE_BAD;
	}
	h2 = cursor_get_be16(h + 10);
	if ((h2 & ERSPAN3_O) && !cursor_skip(c, ERSPAN3_PLAT_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (ERSPAN3_FT(h2) != 0) {
		st->non_ip++; /* a mirrored frame of another type */
		return DECODE_SKIP;
	}
	return decode_eth(c, pkt, st);
}

static enum decode_result gre_erspan12(uint16_t fv, struct cursor *c, struct sw_packet *pkt,
                                       struct decode_stats *st)
{
	const uint8_t *h;

	/* Type I has no header (and no sequence number): the mirrored frame follows GRE. */
	if (!(fv & GRE_F_SEQ))
		return decode_eth(c, pkt, st);
	h = cursor_take(c, ERSPAN2_HDR_LEN);
	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (h[0] >> 4 != ERSPAN2_VERSION) {
		st->anomalies[ANOM_ERSPAN_BAD]++;
		return DECODE_BAD;
	}
	return decode_eth(c, pkt, st);
}

enum decode_result decode_gre(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	uint16_t fv, proto;
	size_t len;

	/* decode_gre_match() has seen the whole header; checked again all the same. */
	if (!cursor_be16(c, &fv) || !cursor_be16(c, &proto) || (len = gre_hdr_len(fv)) == 0 ||
	    !cursor_skip(c, len - GRE_FIXED_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* From here on the view is the inner packet's; the tunnel packet is not classified. */
	if (decode_tunnel(pkt, st) < 0)
		return DECODE_BAD;
	switch (proto) {
	case GRE_PROTO_TEB:
		return decode_eth(c, pkt, st);
	case GRE_PROTO_ERSPAN_12:
		return gre_erspan12(fv, c, pkt, st);
	case GRE_PROTO_ERSPAN_3:
		return gre_erspan3(c, pkt, st);
	case GRE_PROTO_PPP:
		return decode_ppp(c, pkt, st);
	default:
		return decode_ethertype(proto, c, pkt, st);
	}
}
