/* decode_udp.c — UDP header (RFC 768). */
#include "scanwatch/decode.h"

#include <stdbool.h>
#include <string.h>

#define UDP_HDR_LEN 8

/*
 * IANA ports of the UDP tunnels whose inner packets are analysed (RFC 7348
 * section 5, RFC 8926 section 3.3). Matched on the destination port only: the
 * source port is a flow hash. Linux's pre-IANA VXLAN port 8472 is not
 * decoded; configure the tunnel on 4789 to have its inner packets analysed.
 */
#define UDP_PORT_VXLAN  4789
#define UDP_PORT_GENEVE 6081

/*
 * Data of one byte value repeated, 4 bytes or more of it captured: what hping3 -d sends
 * ('X' after 'X'), and no application protocol (a NAT-T keepalive, RFC 3948 section 2.2,
 * is the single byte 0xff). classify.c takes it for a hand-built datagram, as an empty one.
 */
#define UDP_FILLER_MIN 4
static bool filler(const uint8_t *d, size_t n)
{
	/* every byte equals the next: all equal the first */
	return n >= UDP_FILLER_MIN && memcmp(d, d + 1, n - 1) == 0;
}

/*
 * A QUIC client's first datagram: a long header (RFC 9000 section 17.2: form and fixed
 * bits set) of type Initial (0 in QUIC version 1 and its drafts 0xff0000xx; 1 in version 2,
 * RFC 9369 section 3.2), in a datagram the client padded to at least 1200 bytes (RFC 9000
 * section 14.1: no server sends an Initial that long unprompted, and no scanner pads an
 * empty probe). Unanswered, it is a browser whose QUIC is blocked, not a scan.
 */
#define QUIC_MIN_CLIENT_DATAGRAM 1200
static bool quic_client_initial(const struct cursor *c, uint16_t payload_len)
{
	struct cursor peek = *c;
	const uint8_t *b;
	uint32_t version;
	unsigned type;

	if (payload_len < QUIC_MIN_CLIENT_DATAGRAM || !(b = cursor_take(&peek, 5)))
		return false;
	if ((b[0] & 0xC0) != 0xC0)
		return false;
	version = cursor_get_be32(b + 1);
	type = (b[0] >> 4) & 3;
	if (version == 1 || (version & 0xFFFFFF00u) == 0xFF000000u)
		return type == 0;
	return version == 0x6B3343CFu && type == 1;
}

/* A datagram to a tunnel port: the tunnel's inner packet if its header is one, else itself. */
static enum decode_result udp_tunnel(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	struct cursor payload = *c;

	cursor_limit(&payload, pkt->payload_len);
	if (pkt->dport == UDP_PORT_VXLAN && decode_vxlan_match(&payload))
		return decode_vxlan(&payload, pkt, st);
	if (pkt->dport == UDP_PORT_GENEVE && decode_geneve_match(&payload))
		return decode_geneve(&payload, pkt, st);
	if (decode_tzsp_match(&payload, pkt->dport, pkt->payload_len))
		return decode_tzsp(&payload, pkt, st);
	return DECODE_OK;
}

/* The first bytes of a TZSP header (decode_tzsp.c): version 1, a received or transmitted
 * packet, an encapsulation below 256. What every other datagram pays for TZSP. */
static bool tzsp_lead(const struct sw_packet *pkt)
{
	return pkt->payload_cap >= 5 && pkt->payload[0] == 1 && pkt->payload[1] <= 1 &&
	       pkt->payload[2] == 0;
}

enum decode_result decode_udp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t stated = pkt->ip_payload_len; /* decode_ipv4/ipv6 (or defrag) set it */
	bool first_frag = (pkt->flags & PKT_F_FRAG) != 0;
	uint16_t len;

	pkt->payload_len = 0;
	if (!cursor_has(c, UDP_HDR_LEN)) {
		if (first_frag && stated < UDP_HDR_LEN) {
			/* Cut by fragmentation, not malformed: keep the ports if they fit. */
			if (cursor_be16(c, &pkt->sport))
				(void)cursor_be16(c, &pkt->dport);
			return DECODE_OK;
		}
		st->anomalies[ANOM_UDP_TRUNCATED]++;
		return DECODE_BAD;
	}
	(void)cursor_be16(c, &pkt->sport);
	(void)cursor_be16(c, &pkt->dport);
	(void)cursor_be16(c, &len);
	(void)cursor_skip(c, 2); /* checksum */

	/*
	 * The length covers header and data. It may be shorter than the IP
	 * payload (trailing bytes are ignored) but never longer, except in a
	 * first fragment where it describes the whole reassembled datagram.
	 */
	if (len < UDP_HDR_LEN || (!first_frag && len > stated)) {
		st->anomalies[ANOM_UDP_LEN_BAD]++;
		return DECODE_BAD;
	}
	pkt->payload_len = (uint16_t)((len < stated ? len : stated) - UDP_HDR_LEN);
	if (cursor_left(c) < pkt->payload_len)
		pkt->flags |= PKT_F_L4_TRUNCATED;
	pkt->flags |= PKT_F_HAS_L4;
	if (!first_frag) {
		size_t cap = cursor_left(c) < pkt->payload_len ? cursor_left(c) : pkt->payload_len;
		pkt->payload = c->p;
		pkt->payload_cap = (uint16_t)cap;
		if (quic_client_initial(c, pkt->payload_len))
			pkt->flags |= PKT_F_QUIC_INITIAL;
		if (filler(pkt->payload, cap))
			pkt->flags |= PKT_F_UDP_FILLER;
	}
	if (!first_frag &&
	    (pkt->dport == UDP_PORT_VXLAN || pkt->dport == UDP_PORT_GENEVE || tzsp_lead(pkt)))
		return udp_tunnel(c, pkt, st);
	return DECODE_OK;
}
