/* decode_tcp.c — TCP header (RFC 9293 section 3.1) and its option layout for fingerprinting. */
#include "scanwatch/decode.h"

#include <stdbool.h>

#define TCP_HDR_MIN 20 /* data offset 5 */

/* Option kinds and their fixed lengths (RFC 9293 section 3.2, RFC 7323, RFC 2018). */
enum {
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,
	TCP_OPT_WS = 3,
	TCP_OPT_SACK_PERM = 4,
	TCP_OPT_TS = 8,
};
enum {
	TCP_OPTLEN_MSS = 4,
	TCP_OPTLEN_WS = 3,
	TCP_OPTLEN_SACK_PERM = 2,
	TCP_OPTLEN_TS = 10,
};

/*
 * Reads the fixed header fields into pkt in wire order for as long as the
 * bytes are there; true when all 20 were. Stopping part-way is how a first
 * fragment cut inside the header (nmap -f) still yields its ports.
 */
static bool tcp_fixed(struct cursor *c, struct sw_packet *pkt, uint8_t *doff)
{
	/* The whole header is there (every packet but a cut first fragment): one check. */
	const uint8_t *h = cursor_take(c, TCP_HDR_MIN);
	if (h) {
		pkt->sport = cursor_get_be16(h);
		pkt->dport = cursor_get_be16(h + 2);
		pkt->tcp_seq = cursor_get_be32(h + 4);
		pkt->tcp_ack = cursor_get_be32(h + 8);
		*doff = h[12];
		pkt->tcp_flags = h[13];
		pkt->tcp_window = cursor_get_be16(h + 14);
		/* h + 16: checksum */
		pkt->tcp_urp = cursor_get_be16(h + 18);
		return true;
	}
	return cursor_be16(c, &pkt->sport) && cursor_be16(c, &pkt->dport) &&
	       cursor_be32(c, &pkt->tcp_seq) && cursor_be32(c, &pkt->tcp_ack) &&
	       cursor_u8(c, doff) && cursor_u8(c, &pkt->tcp_flags) &&
	       cursor_be16(c, &pkt->tcp_window) && cursor_skip(c, 2) /* checksum */ &&
	       cursor_be16(c, &pkt->tcp_urp);
}

/*
 * Walks the options into the layout summary, p0f style. A bad length stops
 * the walk and marks the summary malformed, nothing more: scanners send odd
 * options on purpose and the rest of the header is still good.
 */
static void tcp_options(struct cursor *o, struct pkt_tcp_opts *t)
{
	/* t arrives zeroed; the count lives in a register and is stored once at the end. */
	unsigned n = 0;
	uint8_t kind, len;
	struct cursor v;

	while (cursor_u8(o, &kind)) {
		if (n < PKT_TCP_OPT_MAX)
			t->kinds[n++] = kind;
		if (kind == TCP_OPT_EOL) {
			t->eol_seen = 1; /* what follows is padding */
			break;
		}
		if (kind == TCP_OPT_NOP)
			continue;
		/* The length octet counts kind and length; it must fit the options area. */
		if (!cursor_u8(o, &len) || len < 2 || !cursor_sub(o, (size_t)len - 2, &v)) {
			t->malformed = 1;
			break;
		}
		switch (kind) {
		case TCP_OPT_MSS:
			if (len == TCP_OPTLEN_MSS && cursor_be16(&v, &t->mss))
				t->has_mss = 1;
			else
				t->malformed = 1;
			break;
		case TCP_OPT_WS:
			/* Kept raw: a shift above 14 (RFC 7323 limit) is itself a fingerprint. */
			if (len == TCP_OPTLEN_WS && cursor_u8(&v, &t->wscale))
				t->has_wscale = 1;
			else
				t->malformed = 1;
			break;
		case TCP_OPT_SACK_PERM:
			if (len == TCP_OPTLEN_SACK_PERM)
				t->has_sack_perm = 1;
			else
				t->malformed = 1;
			break;
		case TCP_OPT_TS:
			if (len == TCP_OPTLEN_TS && cursor_be32(&v, &t->ts_val) &&
			    cursor_be32(&v, &t->ts_ecr))
				t->has_ts = 1;
			else
				t->malformed = 1;
			break;
		default:
			/* SACK blocks, MD5, TFO, experimental: the kind in the layout is enough. */
			break;
		}
	}
	t->count = (uint8_t)n;
}

enum decode_result decode_tcp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t stated = pkt->ip_payload_len; /* decode_ipv4/ipv6 (or defrag) set it */
	/* A first fragment: the IP length may end inside the TCP header legitimately. */
	bool first_frag = (pkt->flags & PKT_F_FRAG) != 0;
	struct cursor opts;
	uint8_t doff;
	size_t hlen;

	pkt->payload_len = 0;
	if (!cursor_has(c, TCP_HDR_MIN) && !(first_frag && stated < TCP_HDR_MIN)) {
		/* The capture, or an unfragmented IP length, ends inside the header. */
		st->anomalies[ANOM_TCP_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (!tcp_fixed(c, pkt, &doff))
		return DECODE_OK; /* first fragment cut by fragmentation: fields that fit, no L4 */

	hlen = (size_t)(doff >> 4) * 4;
	if (hlen < TCP_HDR_MIN) {
		st->anomalies[ANOM_TCP_HLEN_TOO_SMALL]++;
		return DECODE_BAD;
	}
	pkt->tcp_hlen = (uint8_t)hlen;
	if (hlen > stated) {
		if (first_frag)
			return DECODE_OK; /* options continue in the next fragment */
		st->anomalies[ANOM_TCP_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (!cursor_sub(c, hlen - TCP_HDR_MIN, &opts)) {
		st->anomalies[ANOM_TCP_TRUNCATED]++;
		return DECODE_BAD;
	}
	tcp_options(&opts, &pkt->tcp_opts);
	if (pkt->tcp_opts.malformed)
		st->anomalies[ANOM_TCP_OPT_BAD]++; /* counted, yet the packet is decoded */

	pkt->payload_len = (uint16_t)(stated - hlen);
	if (cursor_left(c) < pkt->payload_len)
		pkt->flags |= PKT_F_L4_TRUNCATED;
	pkt->flags |= PKT_F_HAS_L4;
	return DECODE_OK;
}
