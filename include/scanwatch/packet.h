/* packet.h — the fixed-size decoded view of one packet; decode fills it, classify reads it. */
#ifndef SCANWATCH_PACKET_H
#define SCANWATCH_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"

/* Network layer found in the frame. */
enum pkt_l3 {
	PKT_L3_NONE = 0, /* not IP/ARP (or a frame we skip) */
	PKT_L3_IPV4,
	PKT_L3_IPV6,
	PKT_L3_ARP,
};

/* TCP flag bits as on the wire (RFC 9293 section 3.1, plus ECE/CWR of RFC 3168). */
enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
};

/* pkt.flags */
enum {
	PKT_F_FRAG = 0x0001,         /* IP fragment (first or later) */
	PKT_F_FRAG_LATER = 0x0002,   /* a non-first fragment: no L4 header */
	PKT_F_HAS_L4 = 0x0004,       /* ports / TCP / ICMP fields are valid */
	PKT_F_QUOTED = 0x0008,       /* ICMP error with a usable quoted header */
	PKT_F_HAS_MAC = 0x0010,      /* src_mac is valid */
	PKT_F_IP_DF = 0x0020,        /* IPv4 don't-fragment bit */
	PKT_F_IP_OPTIONS = 0x0040,   /* IPv4 carried options */
	PKT_F_V6_EXTHDR = 0x0080,    /* IPv6 carried extension headers */
	PKT_F_L4_TRUNCATED = 0x0100, /* L4 header complete but payload cut by snaplen */
	PKT_F_L2_GROUP = 0x0200,     /* sent to a link-layer broadcast or multicast address */
	PKT_F_QUIC_INITIAL = 0x0400, /* UDP: a QUIC client's padded Initial (decode_udp.c) */
	PKT_F_UDP_FILLER = 0x0800,   /* UDP: data of one byte value repeated (decode_udp.c) */
	PKT_F_ICMP_COUNTING = 0x1000 /* echo request: masscan's data (decode_icmp.c) */
};

/*
 * TCP option summary. kinds[] keeps the layout (order of option kinds, at most
 * PKT_TCP_OPT_MAX, as p0f does) since scanners and OS stacks differ mostly in
 * layout; the values that fingerprint them are kept beside it.
 */
#define PKT_TCP_OPT_MAX 12
struct pkt_tcp_opts {
	uint8_t count;                  /* entries used in kinds[] */
	uint8_t kinds[PKT_TCP_OPT_MAX]; /* option kinds in order (1 = NOP, 2 = MSS ...) */
	uint8_t wscale;                 /* valid if has_wscale */
	uint8_t has_mss : 1, has_wscale : 1, has_sack_perm : 1, has_ts : 1, eol_seen : 1,
	    malformed : 1;
	uint16_t mss;
	uint32_t ts_val, ts_ecr;
};

/* The L4 header quoted inside an ICMP/ICMPv6 error (RFC 792, RFC 4443 section 3). */
struct pkt_quoted {
	struct sw_addr src, dst; /* the original packet's addresses: src is the prober */
	uint16_t sport, dport;   /* valid for TCP/UDP, 0 otherwise */
	uint8_t proto;           /* the original packet's protocol */
	uint8_t has_ports;       /* sport/dport were inside the quote */
	uint16_t ip_id;
};

struct sw_packet {
	uint64_t ts_us;          /* capture time, microseconds since the epoch */
	uint32_t wire_len;       /* original length on the wire */
	uint32_t cap_len;        /* bytes captured */
	uint16_t flags;          /* PKT_F_* */
	uint8_t l3;              /* enum pkt_l3 */
	uint8_t proto;           /* upper-layer protocol (after IPv6 extension headers) */
	uint16_t vlan;           /* outermost 802.1Q VLAN id, 0 if none */
	uint8_t src_mac[6];      /* Ethernet/SLL source, when PKT_F_HAS_MAC */
	struct sw_addr src;      /* network source (ARP: sender protocol address) */
	struct sw_addr dst;      /* network destination (ARP: target protocol address) */
	uint8_t ttl;             /* IPv4 TTL or IPv6 hop limit */
	uint8_t tos;             /* IPv4 TOS / IPv6 traffic class */
	uint16_t ip_id;          /* IPv4 identification (0 for IPv6 unless a fragment header) */
	uint16_t ip_len;         /* IP total length from the header (IPv6: 40 + payload length) */
	uint16_t ip_payload_len; /* the IP payload's stated length (IPv6: after extension
	                          * headers), clamped to 65535: what the L4 decoders start from */
	uint16_t frag_off;       /* fragment offset in bytes */
	uint32_t flow_label;     /* IPv6 */
	uint16_t sport, dport;
	uint16_t
	    payload_len; /* L4 data length (after the TCP/UDP/ICMP/SCTP header) as the headers
	                  * state it, clamped to the IP payload; 0 when no L4 header was decoded */

	/* TCP, valid when proto == 6 and PKT_F_HAS_L4 */
	uint8_t tcp_flags;
	uint8_t tcp_hlen; /* header length in bytes */
	uint16_t tcp_window;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_urp;
	struct pkt_tcp_opts tcp_opts;

	/*
	 * SCTP (RFC 9260 section 3), valid when proto == 132 and PKT_F_HAS_L4:
	 * the common header's verification tag and the first chunk's header;
	 * ports are in sport/dport. The INIT and INIT-ACK fixed fields (section
	 * 3.3.2, 3.3.3) are 0 for other chunks and when the capture cut them.
	 */
	struct pkt_sctp {
		uint32_t vtag;
		uint8_t chunk_type, chunk_flags;
		uint16_t chunk_len;   /* as the chunk states it, header included */
		uint32_t init_tag;    /* initiate tag */
		uint32_t a_rwnd;      /* advertised receiver window credit */
		uint16_t out_streams; /* number of outbound streams */
		uint16_t in_streams;  /* number of inbound streams */
	} sctp;

	/* ICMP / ICMPv6, valid when proto is 1 or 58 and PKT_F_HAS_L4 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* echo and timestamp messages */

	/* Fragments (PKT_F_FRAG): the length of the fragment's data (frag_data below) and
	 * whether more fragments follow. */
	uint16_t frag_len;
	uint8_t frag_more;
	/*
	 * Encapsulations decoded to reach this view (decode_enter): 0 for a
	 * plain frame, 1 for a VXLAN inner packet ... Kept here, in what was
	 * padding, so the struct does not grow.
	 */
	uint8_t encap;

	/* ARP (RFC 826), valid when l3 == PKT_L3_ARP; addresses are in src/dst */
	uint16_t arp_op; /* 1 request, 2 reply */
	uint8_t arp_sha[6], arp_tha[6];

	/*
	 * ---- Below: what a held probe does not keep (admit.c keeps the bytes before
	 * `quoted`, SW_PACKET_SHAPE_BYTES, as a probe's shape). A new field goes above
	 * this line, where it is kept without anyone's help; frag_data must stay last
	 * (checked below), so nothing can slip in after it unnoticed.
	 */
	struct pkt_quoted quoted; /* valid when PKT_F_QUOTED: an ICMP error, never a probe */
	/*
	 * UDP, not a fragment: the datagram's data as captured (payload_cap bytes of its
	 * payload_len, fewer when the snap length cut it). Points into the capture buffer,
	 * like frag_data: valid only while this packet is processed. Classify reads DNS
	 * answers from it.
	 */
	const uint8_t *payload;
	uint16_t payload_cap;
	/*
	 * The fragment's data as captured, from the end of the IP header(s). Points
	 * into the capture buffer: valid only while this packet is processed. The
	 * defrag stage uses it to rebuild an L4 header split over fragments (nmap -f).
	 */
	const uint8_t *frag_data;
};

/* Bytes of a packet that describe a probe's shape (everything above `quoted`). */
#define SW_PACKET_SHAPE_BYTES offsetof(struct sw_packet, quoted)
_Static_assert(offsetof(struct sw_packet, frag_data) + sizeof(const uint8_t *) ==
                   sizeof(struct sw_packet),
               "frag_data must be the last member of struct sw_packet (see above)");

/*
 * The fields that differ between the probes of one shape, X(name, member, type): admit.c
 * keeps them per held probe and the rest of the packet once per source. The capture time
 * (ts_us) and the IPv6 flow label (flow_label) differ too; admit.c packs those two itself.
 * A field a detector or the tool attribution reads per probe belongs here.
 */
#define SW_PACKET_PER_PROBE(X)               \
	X(tcp_seq, tcp_seq, uint32_t)        \
	X(tcp_ack, tcp_ack, uint32_t)        \
	X(ts_val, tcp_opts.ts_val, uint32_t) \
	X(sport, sport, uint16_t)            \
	X(ip_id, ip_id, uint16_t)            \
	X(ttl, ttl, uint8_t)

#endif
