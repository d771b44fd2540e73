/* fuzz_decode.c — libFuzzer target: one packet per input through decode_packet, every link type.
 *
 * Input layout: byte 0 picks the link type (low nibble, modulo the table
 * below) and how much longer the wire length claims to be than the capture
 * (high nibble: 0 means equal, as most frames are; otherwise a snaplen-cut
 * frame). The remaining bytes are the captured frame, passed in a buffer of
 * exactly their size so AddressSanitizer sees any read past caplen.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every link type decode.c dispatches (pcap/dlt.h numbers), plus one it does not. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int dlt = fuzz_dlts[(data[0] & 0x0f) % FUZZ_NDLTS];
	uint32_t extra = (uint32_t)(data[0] >> 4) * 97u;
	size_t caplen = size - 1;
	/* An exact-size copy: reading one byte past the frame is a heap overflow ASan reports. */
	uint8_t *frame = caplen ? malloc(caplen) : NULL;
	if (caplen && !frame)
		return 0;
	if (caplen)
		memcpy(frame, data + 1, caplen);

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
	if (pkt.cap_len != caplen || pkt.wire_len != caplen + extra)
		abort();
	free(frame);
	return 0;
}
