/* decode_sctp.c — SCTP common header and first chunk header (RFC 9260 section 3). */
#include "scanwatch/decode.h"

#include <stdbool.h>

/*
 * RFC 9260 section 3.1: source port, destination port, verification tag,
 * checksum (CRC32c, appendix A). The checksum is not verified: the sensor
 * sees what hosts are sent, valid or not (nmap --badsum probes are probes
 * too), as for TCP and UDP.
 */
#define SCTP_COMMON_LEN 12
/* Section 3.2: chunk type, flags, length; the length counts these 4 bytes. */
#define SCTP_CHUNK_HDR_LEN 4
/* Section 3.3.2 / 3.3.3: INIT and INIT-ACK have 16 bytes of fixed fields after the header. */
#define SCTP_INIT_FIXED_LEN 16

/* Chunk types of section 3.2 that the decoder reads further. */
enum {
	SCTP_CHUNK_INIT = 1,
	SCTP_CHUNK_INIT_ACK = 2,
};

/* INIT / INIT-ACK: initiate tag, a_rwnd, outbound and inbound streams (initial TSN skipped). */
static void sctp_init_fields(struct cursor *c, struct sw_packet *pkt)
{
	const uint8_t *f = cursor_take(c, SCTP_INIT_FIXED_LEN);

	if (!f) {
		pkt->flags |= PKT_F_L4_TRUNCATED; /* stated, but cut by the snap length */
		return;
	}
	pkt->sctp.init_tag = cursor_get_be32(f);
	pkt->sctp.a_rwnd = cursor_get_be32(f + 4);
	pkt->sctp.out_streams = cursor_get_be16(f + 8);
	pkt->sctp.in_streams = cursor_get_be16(f + 10);
}

/* Bytes of header the first chunk needs before its fields can be read: 16, or 32 for INIT. */
static size_t sctp_needed(uint8_t chunk_type)
{
	if (chunk_type == SCTP_CHUNK_INIT || chunk_type == SCTP_CHUNK_INIT_ACK)
		return SCTP_COMMON_LEN + SCTP_CHUNK_HDR_LEN + SCTP_INIT_FIXED_LEN;
	return SCTP_COMMON_LEN + SCTP_CHUNK_HDR_LEN;
}

enum decode_result decode_sctp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	size_t stated = pkt->ip_payload_len; /* decode_ipv4/ipv6 (or defrag) set it */
	size_t captured = cursor_left(c);
	bool first_frag = (pkt->flags & PKT_F_FRAG) != 0;
	struct cursor peek = *c;
	const uint8_t *h;
	uint8_t ctype;
	uint16_t clen;

	pkt->payload_len = 0;
	/*
	 * No payload at all is not a cut SCTP packet but a bare IP header naming
	 * protocol 132: what IP protocol scans send (scanprobe -sO, hping3
	 * --rawip). It stays without PKT_F_HAS_L4, for the protocol-scan detector.
	 */
	if (stated == 0 && !first_frag) {
		st->unknown_proto++;
		return DECODE_OK;
	}
	/*
	 * A first fragment may end anywhere in the headers (nmap -f sends 8-byte
	 * fragments): not malformed. The ports are kept if they are there, and
	 * the packet stays without PKT_F_HAS_L4 (defrag.c rebuilds the header
	 * from the fragments and decodes it again).
	 */
	if (first_frag && (stated < SCTP_COMMON_LEN + SCTP_CHUNK_HDR_LEN ||
	                   (cursor_skip(&peek, SCTP_COMMON_LEN) && cursor_u8(&peek, &ctype) &&
	                    stated < sctp_needed(ctype)))) {
		if (cursor_be16(c, &pkt->sport))
			(void)cursor_be16(c, &pkt->dport);
		return DECODE_OK;
	}
	h = cursor_take(c, SCTP_COMMON_LEN + SCTP_CHUNK_HDR_LEN);
	if (!h) {
		/* A common header with no room for a chunk is not SCTP (section 3:
		 * one or more chunks); anything shorter was cut. */
		if (stated < SCTP_COMMON_LEN + SCTP_CHUNK_HDR_LEN && captured >= SCTP_COMMON_LEN)
			st->anomalies[ANOM_SCTP_CHUNK_BAD]++;
		else
			st->anomalies[ANOM_SCTP_TRUNCATED]++;
		return DECODE_BAD;
	}
	pkt->sport = cursor_get_be16(h);
	pkt->dport = cursor_get_be16(h + 2);
	pkt->sctp.vtag = cursor_get_be32(h + 4);
	/* h + 8: checksum, see above */
	pkt->sctp.chunk_type = h[12];
	pkt->sctp.chunk_flags = h[13];
	clen = cursor_get_be16(h + 14);
	pkt->sctp.chunk_len = clen;

	/*
	 * The chunk length counts its header and must fit the packet as stated
	 * (section 3.2); a first fragment holds only the start of the chunks.
	 * INIT and INIT-ACK cannot be shorter than their fixed fields.
	 */
	if (clen < SCTP_CHUNK_HDR_LEN || (!first_frag && clen > stated - SCTP_COMMON_LEN) ||
	    clen < sctp_needed(pkt->sctp.chunk_type) - SCTP_COMMON_LEN) {
		st->anomalies[ANOM_SCTP_CHUNK_BAD]++;
		return DECODE_BAD;
	}
	if (pkt->sctp.chunk_type == SCTP_CHUNK_INIT || pkt->sctp.chunk_type == SCTP_CHUNK_INIT_ACK)
		sctp_init_fields(c, pkt);
	/* The payload is every chunk after the common header, bundled ones included. */
	pkt->payload_len = (uint16_t)(stated - SCTP_COMMON_LEN);
	if (captured < stated)
		pkt->flags |= PKT_F_L4_TRUNCATED;
	pkt->flags |= PKT_F_HAS_L4;
	return DECODE_OK;
}
