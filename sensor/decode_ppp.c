/* decode_ppp.c — PPP (RFC 1661) in its capture framings: bare, HDLC-like (RFC 1662), pppd's and
 * the direction-byte forms. */
#include "scanwatch/decode.h"

/* RFC 1662 section 3.1: all-stations address and unnumbered-information control. */
#define PPP_ADDRESS 0xFF
#define PPP_CONTROL 0x03

/*
 * pppd's capture form (LINKTYPE_PPP_PPPD) puts the direction in the address
 * byte: 0x00 received, 0x01 sent (tcpdump ppp.h PPP_PPPD_IN / _OUT).
 */
#define PPP_PPPD_IN  0x00
#define PPP_PPPD_OUT 0x01

/* Cisco HDLC address bytes, which LINKTYPE_PPP_SERIAL may also carry (RFC 1547 4.3.1). */
#define CHDLC_UNICAST 0x0F
#define CHDLC_BCAST   0x8F

/* PPP protocol numbers (IANA "PPP DLL Protocol Numbers"). */
enum {
	PPP_PROTO_IPV4 = 0x0021,
	PPP_PROTO_IPV6 = 0x0057, /* RFC 5072 */
	PPP_PROTO_MPLS = 0x0281, /* RFC 3032 */
	PPP_PROTO_MPLS_MCAST = 0x0283,
};

enum decode_result decode_ppp_proto(uint16_t proto, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st)
{
	switch (proto) {
	case PPP_PROTO_IPV4:
		return decode_ipv4(c, pkt, st);
	case PPP_PROTO_IPV6:
		return decode_ipv6(c, pkt, st);
	case PPP_PROTO_MPLS:
	case PPP_PROTO_MPLS_MCAST:
		return decode_mpls(c, pkt, st);
	default:
		/* LCP, IPCP, authentication, and Van Jacobson compressed TCP, whose headers
		 * only make sense against the state of the link: not readable alone. */
		st->non_ip++;
		return DECODE_SKIP;
	}
}

enum decode_result decode_ppp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint8_t a, b, p0;
	uint16_t proto;

	/*
	 * Address and control are optional (address-and-control-field
	 * compression, RFC 1661 section 6.6); pppd's form has its direction
	 * where the address was.
	 */
	if (!cursor_u8(&peek, &a)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (a == PPP_ADDRESS || a == PPP_PPPD_IN || a == PPP_PPPD_OUT) {
		if (!cursor_u8(&peek, &b)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		if (b == PPP_CONTROL)
			(void)cursor_skip(c, 2);
	}
	/* An odd first byte is a one-byte protocol (protocol-field compression, 6.5). */
	if (!cursor_u8(c, &p0)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (p0 & 1) {
		proto = p0;
	} else {
		uint8_t p1;

		if (!cursor_u8(c, &p1)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		proto = (uint16_t)(p0 << 8 | p1);
	}
	return decode_ppp_proto(proto, c, pkt, st);
}

enum decode_result decode_ppp_serial(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	struct cursor peek = *c;
	uint8_t addr;
	uint16_t proto;

	if (!cursor_u8(&peek, &addr)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	switch (addr) {
	case PPP_ADDRESS:
		/* RFC 1662 framing as captured: address, control, then a full protocol field. */
		if (!cursor_skip(c, 2) || !cursor_be16(c, &proto)) {
			st->anomalies[ANOM_LINK_TRUNCATED]++;
			return DECODE_BAD;
		}
		return decode_ppp_proto(proto, c, pkt, st);
	case CHDLC_UNICAST:
	case CHDLC_BCAST:
		return decode_chdlc(c, pkt, st);
	default:
		st->non_ip++; /* another HDLC address: not a framing we know */
		return DECODE_SKIP;
	}
}

enum decode_result decode_ppp_dir(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	/* LINKTYPE_PPP_WITH_DIR: one byte, 0 received / 1 sent, then the PPP frame. */
	if (!cursor_skip(c, 1)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_ppp(c, pkt, st);
}
