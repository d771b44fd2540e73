/* decode_ieee80211.c — IEEE 802.11 MAC frames: data frames to their LLC payload, the rest
 * skipped. */
#include "scanwatch/decode.h"

#include <stdbool.h>
#include <string.h>

/*
 * IEEE 802.11-2020 section 9.2.3: frame control (2, little-endian), duration
 * (2), addresses 1-3 (6 each), sequence control (2); a fourth address when
 * both DS bits are set; QoS control (2) in QoS data subtypes; HT control (4)
 * when a QoS frame has the +HTC/Order bit.
 */
#define WLAN_HDR_BASE  24
#define WLAN_ADDR4_LEN 6
#define WLAN_QOS_LEN   2
#define WLAN_HTC_LEN   4
#define WLAN_OFF_ADDR2 10
#define WLAN_OFF_ADDR3 16
#define WLAN_OFF_SEQ   22
#define WLAN_OFF_ADDR4 24

/* An A-MSDU subframe header (9.3.2.2.2): destination, source, length. */
#define WLAN_AMSDU_SUB_LEN 14

enum {
	WLAN_TYPE_DATA = 2, /* 0 management, 1 control, 3 extension: no datagrams */
};

/* Frame control, second byte. */
enum {
	WLAN_FC_TO_DS = 0x01,
	WLAN_FC_FROM_DS = 0x02,
	WLAN_FC_PROTECTED = 0x40,
	WLAN_FC_ORDER = 0x80,
};

/* Data subtype bits: 0x8 QoS, 0x4 "no data" (Null, CF-Ack, CF-Poll ... carry no body). */
#define WLAN_SUB_QOS    0x8
#define WLAN_SUB_NODATA 0x4

#define WLAN_QOS_AMSDU 0x80 /* QoS control bit 7: the body is an A-MSDU */
#define WLAN_FRAG_NUM  0x0f /* sequence control bits 0-3: fragment number */

/* The source address's place depends on the DS bits (9.3.2.1 table 9-30). */
static const uint8_t *wlan_source(const uint8_t *h, uint8_t fl)
{
	switch (fl & (WLAN_FC_TO_DS | WLAN_FC_FROM_DS)) {
	case WLAN_FC_FROM_DS:
		return h + WLAN_OFF_ADDR3;
	case WLAN_FC_TO_DS | WLAN_FC_FROM_DS:
		return h + WLAN_OFF_ADDR4;
	default:
		return h + WLAN_OFF_ADDR2; /* no DS bit, or to the DS: address 2 sends */
	}
}

/* The first subframe of an A-MSDU: its own source address, then its LLC body. */
static enum decode_result wlan_amsdu(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	const uint8_t *sub = cursor_take(c, WLAN_AMSDU_SUB_LEN);

	if (!sub) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	/* One view per frame: the other subframes are not analysed, and that is counted. */
	st->notes[NOTE_WIFI_AMSDU]++;
	memcpy(pkt->src_mac, sub + 6, sizeof pkt->src_mac);
	cursor_limit(c, cursor_get_be16(sub + 12));
	return decode_llc(c, pkt, st);
}

static enum decode_result wlan_frame(struct cursor *c, bool padded, struct sw_packet *pkt,
                                     struct decode_stats *st)
{
	struct cursor peek = *c;
	uint16_t fc;
	uint8_t fl, sub;
	size_t hlen, qos_off = 0;
	const uint8_t *h;

	if (!cursor_le16(&peek, &fc)) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if ((fc & 0x3) != 0) {
		st->anomalies[ANOM_IEEE80211_BAD]++; /* protocol version 0 is the only one */
		return DECODE_BAD;
	}
	if (((fc >> 2) & 0x3) != WLAN_TYPE_DATA) {
		st->non_ip++; /* beacons, probes, ACKs, RTS/CTS ... */
		return DECODE_SKIP;
	}
	sub = (uint8_t)((fc >> 4) & 0xf);
	fl = (uint8_t)(fc >> 8);
	hlen = WLAN_HDR_BASE;
	if ((fl & (WLAN_FC_TO_DS | WLAN_FC_FROM_DS)) == (WLAN_FC_TO_DS | WLAN_FC_FROM_DS))
		hlen += WLAN_ADDR4_LEN;
	if (sub & WLAN_SUB_QOS) {
		qos_off = hlen;
		hlen += WLAN_QOS_LEN + ((fl & WLAN_FC_ORDER) ? WLAN_HTC_LEN : 0);
	}
	/* radiotap's "data pad" flag: the header is padded to 32 bits (Atheros drivers). */
	if (padded)
		hlen = (hlen + 3) & ~(size_t)3;
	h = cursor_take(c, hlen);
	if (!h) {
		st->anomalies[ANOM_LINK_TRUNCATED]++;
		return DECODE_BAD;
	}
	if (sub & WLAN_SUB_NODATA) {
		st->non_ip++; /* power-save and QoS Null frames: no body */
		return DECODE_SKIP;
	}
	if (fl & WLAN_FC_PROTECTED) {
		st->notes[NOTE_WIFI_PROTECTED]++; /* WEP/TKIP/CCMP: the payload is encrypted */
		return DECODE_SKIP;
	}
	if (h[WLAN_OFF_SEQ] & WLAN_FRAG_NUM) {
		st->notes[NOTE_LINK_FRAGMENT]++; /* a later fragment: no LLC header in it */
		return DECODE_SKIP;
	}
	memcpy(pkt->src_mac, wlan_source(h, fl), sizeof pkt->src_mac);
	pkt->flags |= PKT_F_HAS_MAC;
	if (qos_off && (h[qos_off] & WLAN_QOS_AMSDU))
		return wlan_amsdu(c, pkt, st);
	return decode_llc(c, pkt, st);
}

enum decode_result decode_ieee80211(struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st)
{
	return wlan_frame(c, false, pkt, st);
}

enum decode_result decode_ieee80211_padded(struct cursor *c, struct sw_packet *pkt,
                                           struct decode_stats *st)
{
	return wlan_frame(c, true, pkt, st);
}
