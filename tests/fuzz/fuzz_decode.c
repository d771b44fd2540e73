/* fuzz_decode.c — libFuzzer target: one packet per input through decode_packet, every link type.
 *
 * Input layout: byte 0 picks the link type (low nibble) and how much longer
 * the wire length claims to be than the capture (high nibble: 0 means equal,
 * as most frames are; otherwise a snaplen-cut frame). Low nibbles 0-14 index
 * fuzz_dlts (modulo its size, as they always have: old corpora keep their
 * meaning); 15 means byte 1 picks from fuzz_dlts_more, the link types added
 * later. The remaining bytes are the captured frame, passed in a buffer of
 * exactly their size so AddressSanitizer sees any read past caplen.
 * tests/fuzz/make_seeds.py writes seeds in this layout (its IDX and MORE).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first link types decode.c dispatched (pcap/dlt.h numbers), plus one it does not. */
static const int fuzz_dlts[] = {
    1,   /* EN10MB */
    276, /* LINUX_SLL2 */
    113, /* LINUX_SLL */
    12,  /* RAW */
    101, /* LINKTYPE_RAW */
    14,  /* RAW (OpenBSD) */
    228, /* IPV4 */
    229, /* IPV6 */
    0,   /* NULL */
    108, /* LOOP */
    147, /* USER0: unsupported, must be skipped */
};
#define FUZZ_NDLTS (sizeof fuzz_dlts / sizeof fuzz_dlts[0])
#define FUZZ_MORE  15 /* the low nibble that selects from fuzz_dlts_more */

/* The link types added with the other link layers and tunnels (decode.c's table). New ones
 * go at the end: an input names its link type by place here, so the regression inputs and
 * corpora keep their meaning (make_seeds.py's MORE is the same list). */
static const int fuzz_dlts_more[] = {
    9,   /* PPP */
    50,  /* PPP_SERIAL */
    51,  /* PPP_ETHER */
    166, /* PPP_PPPD */
    204, /* PPP_WITH_DIR */
    104, /* C_HDLC */
    205, /* C_HDLC_WITH_DIR */
    112, /* HDLC (NetBSD) */
    226, /* IPNET */
    10,  /* FDDI */
    6,   /* IEEE802 (token ring) */
    105, /* IEEE802_11 */
    127, /* IEEE802_11_RADIO (radiotap) */
    119, /* PRISM_HEADER */
    163, /* IEEE802_11_RADIO_AVS */
    192, /* PPI */
    11,  /* ATM_RFC1483 */
    19,  /* ATM_CLIP */
    7,   /* ARCNET */
    129, /* ARCNET_LINUX */
    242, /* IPOIB */
    281, /* DSA_TAG_BRCM */
    282, /* DSA_TAG_BRCM_PREPEND */
    284, /* DSA_TAG_DSA */
    285, /* DSA_TAG_EDSA */
    219, /* MPLS */
    239, /* NFLOG */
    117, /* PFLOG */
    109, /* ENC */
    240, /* NETANALYZER */
    241, /* NETANALYZER_TRANSPARENT */
    107, /* FRELAY */
    123, /* SUNATM */
    122, /* IP_OVER_FC */
    138, /* APPLE_IP_OVER_IEEE1394 */
    99,  /* SYMANTEC_FIREWALL */
    189, /* USB_LINUX: unsupported, must be skipped */
    258, /* PKTAP */
    178, /* JUNIPER_ETHER */
    179, /* JUNIPER_PPP */
    180, /* JUNIPER_FRELAY */
    181, /* JUNIPER_CHDLC */
    8,   /* SLIP */
    149, /* USER2 (macOS's PKTAP) */
};
#define FUZZ_NMORE (sizeof fuzz_dlts_more / sizeof fuzz_dlts_more[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt;
	size_t hdr = 1;
	if ((data[0] & 0x0f) == FUZZ_MORE) {
		if (size < 2)
			return 0;
		dlt = fuzz_dlts_more[data[1] % FUZZ_NMORE];
		hdr = 2;
	} else {
		dlt = fuzz_dlts[(data[0] & 0x0f) % FUZZ_NDLTS];
	}
	uint32_t extra = (uint32_t)(data[0] >> 4) * 97u;
	size_t caplen = size - hdr;
	/* An exact-size copy: reading one byte past the frame is a heap overflow ASan reports. */
	uint8_t *frame = caplen ? malloc(caplen) : NULL;
	if (caplen && !frame)
		return 0;
	if (caplen)
		memcpy(frame, data + hdr, caplen);

	struct sw_packet pkt;
	struct decode_stats st;
	memset(&st, 0, sizeof st);
	enum decode_result r = decode_packet(dlt, frame, (uint32_t)caplen, (uint32_t)caplen + extra,
	                                     1700000000000000ULL, &pkt, &st);

	/* decode.h's contract: DECODE_BAD means exactly one anomaly was counted. A
	 * packet that is still analysed may carry one of the two malformations that
	 * do not stop decoding (bad TCP options; an ICMP error whose quote is cut),
	 * a skipped one none. A breach is a bug: abort so libFuzzer keeps the input. */
	uint64_t anomalies = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		anomalies += st.anomalies[a];
	uint64_t soft = st.anomalies[ANOM_TCP_OPT_BAD] + st.anomalies[ANOM_ICMP_QUOTE_TRUNCATED];
	if (r == DECODE_BAD && anomalies != 1)
		abort();
	if (r == DECODE_OK && (anomalies > 1 || anomalies != soft))
		abort();
	if (r == DECODE_SKIP && anomalies != 0)
		abort();
	if (r == DECODE_OK && pkt.l3 == PKT_L3_NONE)
		abort();
	if (pkt.encap > DECODE_ENCAP_MAX) /* tunnels and nested links stay bounded */
		abort();
	if (pkt.cap_len != caplen || pkt.wire_len != caplen + extra)
		abort();
	free(frame);
	return 0;
}
