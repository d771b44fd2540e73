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
	X(SCTP_TRUNCATED, "sctp_truncated")                     \
	X(SCTP_CHUNK_BAD, "sctp_chunk_length_bad")              \
	X(ICMP_TRUNCATED, "icmp_truncated")                     \
	X(ICMP_QUOTE_TRUNCATED, "icmp_quoted_header_truncated") \
	X(ICMPV6_TRUNCATED, "icmpv6_truncated")                 \
	X(ARP_TRUNCATED, "arp_truncated")                       \
	X(ARP_BAD_FORMAT, "arp_bad_format")                     \
	X(ENCAP_TOO_DEEP, "encapsulation_too_deep")             \
	X(MPLS_TOO_DEEP, "mpls_label_stack_too_deep")           \
	X(PPPOE_BAD, "pppoe_bad")                               \
	X(RADIO_HDR_BAD, "radio_header_bad")                    \
	X(IEEE80211_BAD, "ieee80211_version_bad")               \
	X(TOKEN_RING_ROUTE_BAD, "token_ring_route_bad")         \
	X(NFLOG_BAD, "nflog_bad")                               \
	X(PFLOG_BAD, "pflog_header_length_bad")                 \
	X(ERSPAN_BAD, "erspan_version_bad")                     \
	X(PKTAP_BAD, "pktap_header_length_bad")                 \
	X(JUNIPER_BAD, "juniper_magic_bad")

enum decode_anomaly {
#define X(sym, name) ANOM_##sym,
	DECODE_ANOMALIES(X)
#undef X
	    ANOM__COUNT
};

/*
 * Notes: well-formed input the decoder handled in a way an operator should
 * know about; counted, but not anomalies (nothing is wrong with the packet).
 *
 *   ipv4_total_length_zero_tso   IPv4 total length 0, as TCP segmentation
 *                                offload leaves it on the sending host: the
 *                                length is taken from the capture (Wireshark's
 *                                ip.tso_support) and the packet analysed
 *   tunnel_inner_analysed        a GRE, ERSPAN, VXLAN or GENEVE packet whose
 *                                inner packet was analysed instead of it
 *   ieee80211_protected_skipped  802.11 data frames that are encrypted
 *   link_frame_error_skipped     frames the capture device marks as received
 *                                in error (radiotap's bad FCS, netANALYZER's
 *                                error flags): their bytes cannot be trusted
 *   ieee80211_amsdu_first_only   802.11 A-MSDUs: only the first subframe is
 *                                analysed (one view per frame)
 *   link_fragment_skipped        link-layer fragments after the first (802.11,
 *                                ARCNET): they hold no network header
 */
#define DECODE_NOTES(X)                                  \
	X(IPV4_TSO_LENGTH, "ipv4_total_length_zero_tso") \
	X(TUNNEL_INNER, "tunnel_inner_analysed")         \
	X(WIFI_PROTECTED, "ieee80211_protected_skipped") \
	X(LINK_ERROR, "link_frame_error_skipped")        \
	X(WIFI_AMSDU, "ieee80211_amsdu_first_only")      \
	X(LINK_FRAGMENT, "link_fragment_skipped")

enum decode_note {
#define X(sym, name) NOTE_##sym,
	DECODE_NOTES(X)
#undef X
	    NOTE__COUNT
};

/*
 * Most encapsulations peeled from one frame: tunnels (GRE, ERSPAN, VXLAN,
 * GENEVE), Ethernet inside MPLS or LLC/SNAP, and the frame a PPI header
 * wraps. Real networks nest two or three (VXLAN in GRE over MPLS); the cap
 * bounds the work a frame built to nest forever can cause (Suricata bounds
 * its decoder layers the same way, decoder.max-layers).
 */
#define DECODE_ENCAP_MAX 4

/*
 * Counters owned by the caller (one per capture thread); the decoder only
 * increments. Non-anomalies that still matter to an operator live beside the
 * anomalies.
 */
struct decode_stats {
	uint64_t anomalies[ANOM__COUNT];
	uint64_t notes[NOTE__COUNT];
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
const char *decode_note_name(enum decode_note n);

/*
 * Shared by the layers that nest (decode.c). decode_enter() accounts one more
 * encapsulation: 0, or -1 with ANOM_ENCAP_TOO_DEEP counted past
 * DECODE_ENCAP_MAX. decode_tunnel() enters a tunnel's inner packet: it
 * accounts the depth as decode_enter() does (-1 past it), then starts the
 * view over (what the outer network and transport headers filled is
 * forgotten, so the outer packet is never classified, only the inner one;
 * time, lengths and depth stay) and counts NOTE_TUNNEL_INNER. decode_link() decodes a frame of link
 * type dlt found inside another link header (PPI); an unknown dlt is skipped.
 */
int decode_enter(struct sw_packet *pkt, struct decode_stats *st);
int decode_tunnel(struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_link(int dlt, struct cursor *c, struct sw_packet *pkt,
                               struct decode_stats *st);

/*
 * Layer entry points, one per file (decode_eth.c, decode_ipv4.c ...). Each
 * reads from the cursor positioned at its header and hands off to the next
 * layer. They are declared here because every layer is its own file and the
 * hand-offs cross files: decode.c's link-type table calls the link decoders,
 * those call decode_ethertype or the IP decoders, and the IP decoders call
 * TCP, UDP, SCTP and ICMP. (ICMP reads a quoted header with its own bounded code,
 * never re-entering the IP decoders.) Outside the decoder, only
 * decode_packet() is called.
 */
enum decode_result decode_eth(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sll(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sll2(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_null(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_loop(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_raw(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
/* The payload of a BSD header naming its address family (loopback, pflog, enc). */
enum decode_result decode_bsd_family(uint32_t family, struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st);
enum decode_result decode_ethertype(uint16_t type, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st);
enum decode_result decode_ipv4(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ipv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_tcp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_udp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sctp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_icmp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_icmpv6(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_arp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);

/* Link types beyond Ethernet and cooked capture, one file each (decode_<layer>.c). */
enum decode_result decode_llc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
/* A SNAP header without its LLC part (organisation code, protocol id), as Frame Relay has it. */
enum decode_result decode_snap(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_frelay(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_sunatm(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ipfc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_firewire(struct cursor *c, struct sw_packet *pkt,
                                   struct decode_stats *st);
enum decode_result decode_symantec(struct cursor *c, struct sw_packet *pkt,
                                   struct decode_stats *st);
enum decode_result decode_ppp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ppp_serial(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st);
enum decode_result decode_ppp_dir(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ppp_proto(uint16_t proto, struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st);
enum decode_result decode_pppoe(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_pppoe_session(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st);
enum decode_result decode_chdlc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_chdlc_dir(struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st);
enum decode_result decode_ipnet(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_slip(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_fddi(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_token_ring(struct cursor *c, struct sw_packet *pkt,
                                     struct decode_stats *st);
enum decode_result decode_ieee80211(struct cursor *c, struct sw_packet *pkt,
                                    struct decode_stats *st);
enum decode_result decode_ieee80211_padded(struct cursor *c, struct sw_packet *pkt,
                                           struct decode_stats *st);
enum decode_result decode_radiotap(struct cursor *c, struct sw_packet *pkt,
                                   struct decode_stats *st);
enum decode_result decode_prism(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_avs(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_ppi(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_arcnet(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_arcnet_linux(struct cursor *c, struct sw_packet *pkt,
                                       struct decode_stats *st);
enum decode_result decode_ipoib(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_dsa_brcm(struct cursor *c, struct sw_packet *pkt,
                                   struct decode_stats *st);
enum decode_result decode_dsa_brcm_prepend(struct cursor *c, struct sw_packet *pkt,
                                           struct decode_stats *st);
enum decode_result decode_dsa_marvell(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st);
enum decode_result decode_dsa_edsa(struct cursor *c, struct sw_packet *pkt,
                                   struct decode_stats *st);
/* The VLAN id a Marvell DSA tag (4 bytes) carries for an 802.1Q-tagged frame, else -1. */
int decode_dsa_vlan(const uint8_t tag[4]);
enum decode_result decode_mpls(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_nflog(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_pflog(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_pktap(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_juniper_ether(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st);
enum decode_result decode_juniper_ppp(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st);
enum decode_result decode_juniper_frelay(struct cursor *c, struct sw_packet *pkt,
                                         struct decode_stats *st);
enum decode_result decode_juniper_chdlc(struct cursor *c, struct sw_packet *pkt,
                                        struct decode_stats *st);
enum decode_result decode_enc(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_netanalyzer(struct cursor *c, struct sw_packet *pkt,
                                      struct decode_stats *st);
enum decode_result decode_netanalyzer_transparent(struct cursor *c, struct sw_packet *pkt,
                                                  struct decode_stats *st);

/*
 * Tunnels found inside IP or UDP. The *_match() functions look, without
 * consuming, at whether the bytes are a header of theirs worth decapsulating;
 * when not, the outer packet is analysed as it is (a UDP probe to port 4789
 * is still a UDP probe). decode_gre/vxlan/geneve then analyse the inner
 * packet instead of the outer one (see decode_tunnel).
 */
int decode_gre_match(const struct cursor *c);
int decode_vxlan_match(const struct cursor *c);
int decode_geneve_match(const struct cursor *c);
/* TZSP (decode_tzsp.c): to any port, stated being the datagram's payload length. */
int decode_tzsp_match(const struct cursor *c, uint16_t dport, size_t stated);
enum decode_result decode_gre(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_vxlan(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_geneve(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);
enum decode_result decode_tzsp(struct cursor *c, struct sw_packet *pkt, struct decode_stats *st);

#endif
