/* decode_radio.c — the capture headers 802.11 monitor captures put first: radiotap, Prism, AVS,
 * and PPI. */
#include "scanwatch/decode.h"

/*
 * Radiotap (https://www.radiotap.org): version 0, pad, length (le16, the
 * whole header), then one or more little-endian 32-bit "present" words
 * (bit 31: another word follows) and the fields they announce, each aligned
 * to its natural size from the header's start. Only the first word's bit 0
 * (TSFT, 8 bytes) and bit 1 (Flags, 1 byte) are needed to reach Flags.
 */
#define RADIOTAP_FIXED_LEN 8
#define RADIOTAP_EXT       0x80000000u
#define RADIOTAP_TSFT      0x00000001u
#define RADIOTAP_FLAGS     0x00000002u
#define RADIOTAP_TSFT_LEN  8
#define RADIOTAP_F_FCS     0x10 /* the frame ends with its 4-byte FCS */
#define RADIOTAP_F_DATAPAD 0x20 /* padding between the 802.11 header and the payload */
#define RADIOTAP_F_BADFCS  0x40 /* the frame failed its FCS check */
#define WLAN_FCS_LEN       4

/*
 * Prism monitor header (linux-wlan-ng): a fixed 144 bytes. A Prism capture
 * whose first word is an AVS cookie is really AVS (tcpdump print-802_11.c
 * does the same).
 */
#define PRISM_HDR_LEN 144
#define AVS_MAGIC_V1  0x80211001u
#define AVS_MAGIC_V2  0x80211002u
#define AVS_FIXED_LEN 8 /* version cookie, header length (big-endian) */

/* PPI (Per-Packet Information, CACE 2007): version, flags, length (le16), DLT (le32). */
#define PPI_FIXED_LEN 8

/* Skips the bytes of the frame's FCS that were captured (a snap length may have cut it). */
static void radio_trim_fcs(struct cursor *c, const struct sw_packet *pkt)
{
	size_t cut = pkt->wire_len > pkt->cap_len ? pkt->wire_len - pkt->cap_len : 0;
	size_t fcs = cut >= WLAN_FCS_LEN ? 0 : WLAN_FCS_LEN - cut;

	cursor_limit(c, cursor_left(c) > fcs ? cursor_left(c) - fcs : 0);
}

/* The radiotap Flags field, or 0 when absent; -1 when the present words run past the header. */
static int radiotap_flags(const uint8_t *h, size_t len)
{
	struct cursor w;
	uint32_t first, word;
	size_t off;

	cursor_init(&w, h + 4, len - 4);
	if (!cursor_le32(&w, &first))
		return -1;
	word = first;
	while (word & RADIOTAP_EXT)
		if (!cursor_le32(&w, &word))
			return -1;
	off = (size_t)(w.p - h);
	if (first & RADIOTAP_TSFT)
		off = ((off + 7) & ~(size_t)7) + RADIOTAP_TSFT_LEN;
	if (!(first & RADIOTAP_FLAGS))
		return 0;
	if (off >= len)
		return -1;
	return h[off];
}

enum decode_result decode_radiotap(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint8_t version, pad;
	uint16_t len;
	const uint8_t *h;
	int flags;

	if (!cursor_u8(&peek, &version) || !cursor_u8(&peek, &pad) || !cursor_le16(&peek, &len)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (version != 0 || len < RADIOTAP_FIXED_LEN) {
		st->anomalies[ANOM_RADIO_HDR_BAD]++;
		return DECODE_BAD;
	}
	h = cursor_take(c, len);
	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	flags = radiotap_flags(h, len);
	if (flags < 0) {
		st->anomalies[ANOM_RADIO_HDR_BAD]++;
		return DECODE_BAD;
	}
	if (flags & RADIOTAP_F_BADFCS) {
		st->notes[NOTE_LINK_ERROR]++; /* corrupted on the air: its addresses are noise */
		return DECODE_SKIP;
	}
	if (flags & RADIOTAP_F_FCS)
		radio_trim_fcs(c, pkt);
	if (flags & RADIOTAP_F_DATAPAD)
		return decode_ieee80211_padded(c, pkt, st);
	return decode_ieee80211(c, pkt, st);
}

enum decode_result decode_avs(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint32_t magic, len;

	/* The cookie is not checked: LINKTYPE_IEEE802_11_AVS says what follows already. */
	if (!cursor_be32(&peek, &magic) || !cursor_be32(&peek, &len)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (len < AVS_FIXED_LEN) {
		st->anomalies[ANOM_RADIO_HDR_BAD]++;
		return DECODE_BAD;
	}
	if (!cursor_skip(c, len)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_ieee80211(c, pkt, st);
}

enum decode_result decode_prism(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint32_t magic;

	if (!cursor_be32(&peek, &magic)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (magic == AVS_MAGIC_V1 || magic == AVS_MAGIC_V2)
		return decode_avs(c, pkt, st);
	if (!cursor_skip(c, PRISM_HDR_LEN)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	return decode_ieee80211(c, pkt, st);
}

enum decode_result decode_ppi(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st)
{
	struct cursor peek = *c;
	uint8_t version, flags;
	uint16_t len;
	uint32_t dlt;

	if (!cursor_u8(&peek, &version) || !cursor_u8(&peek, &flags) || !cursor_le16(&peek, &len) ||
	    !cursor_le32(&peek, &dlt)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* The length covers this header and its fields (PPI spec 3.1.3: 8 to 65532). */
	if (len < PPI_FIXED_LEN) {
		st->anomalies[ANOM_RADIO_HDR_BAD]++;
		return DECODE_BAD;
	}
	if (!cursor_skip(c, len)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* Usually 802.11 (105) or Ethernet; the frame is decoded as its own link type. */
	return decode_link((int)dlt, c, pkt, st);
}
