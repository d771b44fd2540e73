/* decode.h — link-type dispatch and the layer decoders that fill struct sw_packet. */
#ifndef SCANWATCH_DECODE_H
#define SCANWATCH_DECODE_H

#include <stdint.h>

#include "scanwatch/cursor.h"
#include "scanwatch/packet.h"

/*
 * Every malformation the decoder can meet has a name; the counter for it goes
 * up and decoding of that packet stops (STYLE.md item 3). X-macro so the enum
 * and the names (used in the runs table and the summary) cannot drift apart.
 */
#define DECODE_ANOMALIES(X)                                     \
	X(LINK_TRUNCATED, "link_truncated")                     \
	X(VLAN_TOO_DEEP, "vlan_too_deep")                       \
	X(SLL_BAD, "sll_bad")                                   \
	X(NULL_BAD_FAMILY, "null_bad_family")                   \
	X(IPV4_TRUNCATED, "ipv4_truncated")                     \
	X(IPV4_BAD_VERSION, "ipv4_bad_version")                 \
	X(IPV4_IHL_TOO_SMALL, "ipv4_ihl_too_small")             \
	X(IPV4_TOTLEN_BAD, "ipv4_total_length_bad")             \
	X(IPV4_OPT_BAD, "ipv4_option_bad")                      \
	X(IPV4_FRAG_BAD, "ipv4_fragment_bad")                   \
	X(IPV6_TRUNCATED, "ipv6_truncated")                     \
	X(IPV6_BAD_VERSION, "ipv6_bad_version")                 \
	X(IPV6_PAYLEN_BAD, "ipv6_payload_length_bad")           \
	X(IPV6_EXT_TRUNCATED, "ipv6_exthdr_truncated")          \
	X(IPV6_EXT_TOO_MANY, "ipv6_exthdr_chain_too_long")      \
	X(TCP_TRUNCATED, "tcp_truncated")                       \
	X(TCP_HLEN_TOO_SMALL, "tcp_header_length_too_small")    \
	X(TCP_OPT_BAD, "tcp_option_bad")                        \
	X(UDP_TRUNCATED, "udp_truncated")                       \
	X(UDP_LEN_BAD, "udp_length_bad")                        \
	X(ICMP_TRUNCATED, "icmp_truncated")                     \
	X(ICMP_QUOTE_TRUNCATED, "icmp_quoted_header_truncated") \
	X(ICMPV6_TRUNCATED, "icmpv6_truncated")                 \
	X(ARP_TRUNCATED, "arp_truncated")                       \
	X(ARP_BAD_FORMAT, "arp_bad_format")

enum decode_anomaly {
#define X(sym, name) ANOM_##sym,
	DECODE_ANOMALIES(X)
#undef X
	    ANOM__COUNT
};

/*
 * Counters owned by the caller (one per capture thread); the decoder only
 * increments. Non-anomalies that still matter to an operator live beside the
 * anomalies.
 */
struct decode_stats {
	uint64_t anomalies[ANOM__COUNT];
	uint64_t non_ip;        /* frames with an ethertype / family we do not analyse */
	uint64_t frag_later;    /* non-first IP fragments (they carry no ports) */
	uint64_t unknown_proto; /* IP packets of a protocol without an L4 decoder */
	uint64_t frag_rebuilt;  /* L4 headers rebuilt from fragments (defrag.c) */
};

enum decode_result {
	DECODE_OK = 0,   /* pkt is filled and worth classifying */
	DECODE_SKIP = 1, /* well-formed but nothing to analyse (e.g. non-IP ethertype) */
	DECODE_BAD = 2,  /* malformed: one anomaly counter was incremented */
};

/*
 * Decodes one captured frame of link type dlt (DLT_* numbers as pcap reports
 * them) into *pkt, which is fully overwritten. data/caplen are the captured
 * bytes, wirelen the original length. Never reads outside [data, data+caplen).
 */
enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                                 uint64_t ts_us, struct sw_packet *pkt, struct decode_stats *st);

/* 1 if decode_packet handles this link type, 0 otherwise. */
int decode_dlt_supported(int dlt);
/* The anomaly's name in the runs table and the summary ("ipv4_truncated"); static. */
const char *decode_anomaly_name(enum decode_anomaly a);

/*
 * Layer entry points, one per file (decode_eth.c, decode_ipv4.c ...). Each
 * reads from the cursor positioned at its header and hands off to the next
 * layer. They are declared here because every layer is its own file and the
 * hand-offs cross files: decode.c's link-type table calls the link decoders,
 * those call decode_ethertype or the IP decoders, and the IP decoders call
 * TCP, UDP and ICMP. (ICMP reads a quoted header with its own bounded code,
 * never re-entering the IP decoders.) Outside the decoder, only
 * decode_packet() is called.
 */
enum decode_result decode_eth(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sll(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sll2(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_null(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_loop(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_raw(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ethertype(uint16_t type, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st);
enum decode_result decode_ipv4(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ipv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_tcp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_udp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_icmp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_icmpv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_arp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);

#endif
