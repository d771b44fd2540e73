/* decode.c — decode_packet(): link-type dispatch table, nesting helpers and anomaly names. */
#include "scanwatch/decode.h"

#include <stddef.h>

/*
 * Link-type numbers as libpcap reports them from pcap_datalink() on Linux
 * (pcap/dlt.h; https://www.tcpdump.org/linktypes.html). Defined here rather
 * than taken from <pcap/dlt.h> so the decoder does not depend on libpcap.
 * libpcap maps the LINKTYPE_ numbers of a file to these (linktype_to_dlt), so
 * a file's LINKTYPE_ATM_RFC1483 (100) arrives as DLT_ATM_RFC1483 (11).
 */
enum {
	DECODE_DLT_NULL = 0,              /* BSD loopback, family in the capturing host's order */
	DECODE_DLT_EN10MB = 1,            /* Ethernet II (+ 802.1Q / 802.1ad) */
	DECODE_DLT_IEEE802 = 6,           /* IEEE 802.5 token ring */
	DECODE_DLT_ARCNET = 7,            /* ARCNET, BSD header */
	DECODE_DLT_SLIP = 8,              /* BSD SLIP: 16-byte pseudo-header, then IP */
	DECODE_DLT_PPP = 9,               /* PPP, address/control optional (RFC 1661) */
	DECODE_DLT_FDDI = 10,             /* FDDI */
	DECODE_DLT_ATM_RFC1483 = 11,      /* LLC/SNAP over ATM (RFC 2684) */
	DECODE_DLT_RAW = 12,              /* raw IP on Linux and most systems */
	DECODE_DLT_RAW_OPENBSD = 14,      /* raw IP as OpenBSD numbers DLT_RAW */
	DECODE_DLT_ATM_CLIP = 19,         /* Linux classical IP over ATM: LLC/SNAP */
	DECODE_DLT_SYMANTEC = 99,         /* Symantec Enterprise Firewall */
	DECODE_DLT_PPP_SERIAL = 50,       /* PPP in HDLC-like framing (RFC 1662) or Cisco HDLC */
	DECODE_DLT_PPP_ETHER = 51,        /* PPPoE header without Ethernet (RFC 2516) */
	DECODE_LINKTYPE_RAW = 101,        /* LINKTYPE_RAW as stored in files */
	DECODE_DLT_C_HDLC = 104,          /* Cisco HDLC */
	DECODE_DLT_IEEE802_11 = 105,      /* 802.11 MAC frames */
	DECODE_DLT_FRELAY = 107,          /* Frame Relay (RFC 2427, or Cisco's ethertype form) */
	DECODE_DLT_LOOP = 108,            /* OpenBSD loopback, family in network order */
	DECODE_DLT_ENC = 109,             /* OpenBSD IPsec enc(4) */
	DECODE_DLT_HDLC = 112,            /* NetBSD HDLC: Cisco HDLC framing */
	DECODE_DLT_LINUX_SLL = 113,       /* Linux cooked capture v1 ("any" device) */
	DECODE_DLT_PFLOG = 117,           /* OpenBSD/FreeBSD pf log */
	DECODE_DLT_PRISM = 119,           /* 802.11 with a Prism (or AVS) header */
	DECODE_DLT_IP_OVER_FC = 122,      /* IP over Fibre Channel (RFC 2625) */
	DECODE_DLT_SUNATM = 123,          /* SunATM pseudo-header, then LLC or LANE */
	DECODE_DLT_RADIOTAP = 127,        /* 802.11 with a radiotap header */
	DECODE_DLT_ARCNET_LINUX = 129,    /* ARCNET, Linux header */
	DECODE_DLT_AP1394 = 138,          /* Apple's IP over IEEE 1394 (FireWire) */
	DECODE_DLT_AVS = 163,             /* 802.11 with an AVS header */
	DECODE_DLT_PPP_PPPD = 166,        /* PPP with pppd's direction in the address byte */
	DECODE_DLT_JUNIPER_ETHER = 178,   /* Juniper's header, then Ethernet */
	DECODE_DLT_JUNIPER_PPP = 179,     /* ... then PPP */
	DECODE_DLT_JUNIPER_FRELAY = 180,  /* ... then Frame Relay */
	DECODE_DLT_JUNIPER_CHDLC = 181,   /* ... then Cisco HDLC */
	DECODE_DLT_PPI = 192,             /* Per-Packet Information header, then any DLT */
	DECODE_DLT_PPP_WITH_DIR = 204,    /* one direction byte, then PPP */
	DECODE_DLT_C_HDLC_WITH_DIR = 205, /* one direction byte, then Cisco HDLC */
	DECODE_DLT_MPLS = 219,            /* a bare MPLS label stack */
	DECODE_DLT_IPNET = 226,           /* Solaris ipnet */
	DECODE_DLT_IPV4 = 228,            /* raw IPv4, version nibble must be 4 */
	DECODE_DLT_IPV6 = 229,            /* raw IPv6 */
	DECODE_DLT_NFLOG = 239,           /* Linux netfilter NFLOG */
	DECODE_DLT_NETANALYZER = 240,     /* Hilscher pseudo-header, then Ethernet */
	DECODE_DLT_NETANALYZER_TR = 241,  /* ... with preamble and SFD */
	DECODE_DLT_IPOIB = 242,           /* IP over InfiniBand (RFC 4391) */
	DECODE_DLT_PKTAP = 258,           /* Apple PKTAP header, then the packet's own DLT */
	DECODE_DLT_USER2_PKTAP = 149,     /* PKTAP as macOS numbers it (its DLT_PKTAP is DLT_USER2),
	                                   * which files from a Mac carry: tcpdump and Wireshark read
	                                   * LINKTYPE_USER2 as PKTAP too */
	DECODE_DLT_LINUX_SLL2 = 276,      /* Linux cooked capture v2 */
	DECODE_DLT_DSA_BRCM = 281,        /* Ethernet with a Broadcom switch tag */
	DECODE_DLT_DSA_BRCM_PREPEND = 282, /* Broadcom tag before the Ethernet header */
	DECODE_DLT_DSA_DSA = 284,          /* Ethernet with a Marvell DSA tag */
	DECODE_DLT_DSA_EDSA = 285,         /* Ethernet with a Marvell EDSA tag */
};

typedef enum decode_result (*decode_link_fn)(struct cursor *c, struct sw_packet *pkt,
                                             struct decode_stats *st);

/* One row per supported link type (tcpdump print.c's printers[] shape). */
static const struct {
	int dlt;
	decode_link_fn fn;
} decode_links[] = {
    /* Most likely first: the table is scanned linearly on every packet. */
    {DECODE_DLT_EN10MB, decode_eth},
    {DECODE_DLT_LINUX_SLL2, decode_sll2},
    {DECODE_DLT_LINUX_SLL, decode_sll},
    {DECODE_DLT_RAW, decode_raw},
    {DECODE_LINKTYPE_RAW, decode_raw},
    {DECODE_DLT_RAW_OPENBSD, decode_raw},
    {DECODE_DLT_IPV4, decode_ipv4},
    {DECODE_DLT_IPV6, decode_ipv6},
    {DECODE_DLT_NULL, decode_null},
    {DECODE_DLT_LOOP, decode_loop},
    {DECODE_DLT_RADIOTAP, decode_radiotap},
    {DECODE_DLT_NFLOG, decode_nflog},
    {DECODE_DLT_PPP, decode_ppp},
    {DECODE_DLT_PPP_SERIAL, decode_ppp_serial},
    {DECODE_DLT_PPP_ETHER, decode_pppoe},
    {DECODE_DLT_PPP_PPPD, decode_ppp},
    {DECODE_DLT_PPP_WITH_DIR, decode_ppp_dir},
    {DECODE_DLT_C_HDLC, decode_chdlc},
    {DECODE_DLT_HDLC, decode_chdlc},
    {DECODE_DLT_C_HDLC_WITH_DIR, decode_chdlc_dir},
    {DECODE_DLT_IEEE802_11, decode_ieee80211},
    {DECODE_DLT_PRISM, decode_prism},
    {DECODE_DLT_AVS, decode_avs},
    {DECODE_DLT_PPI, decode_ppi},
    {DECODE_DLT_PFLOG, decode_pflog},
    {DECODE_DLT_PKTAP, decode_pktap},
    {DECODE_DLT_USER2_PKTAP, decode_pktap},
    {DECODE_DLT_JUNIPER_ETHER, decode_juniper_ether},
    {DECODE_DLT_JUNIPER_PPP, decode_juniper_ppp},
    {DECODE_DLT_JUNIPER_FRELAY, decode_juniper_frelay},
    {DECODE_DLT_JUNIPER_CHDLC, decode_juniper_chdlc},
    {DECODE_DLT_ENC, decode_enc},
    {DECODE_DLT_IPNET, decode_ipnet},
    {DECODE_DLT_SLIP, decode_slip},
    {DECODE_DLT_MPLS, decode_mpls},
    {DECODE_DLT_DSA_BRCM, decode_dsa_brcm},
    {DECODE_DLT_DSA_BRCM_PREPEND, decode_dsa_brcm_prepend},
    {DECODE_DLT_DSA_DSA, decode_dsa_marvell},
    {DECODE_DLT_DSA_EDSA, decode_dsa_edsa},
    {DECODE_DLT_NETANALYZER, decode_netanalyzer},
    {DECODE_DLT_NETANALYZER_TR, decode_netanalyzer_transparent},
    {DECODE_DLT_IPOIB, decode_ipoib},
    {DECODE_DLT_FDDI, decode_fddi},
    {DECODE_DLT_IEEE802, decode_token_ring},
    {DECODE_DLT_ATM_RFC1483, decode_llc},
    {DECODE_DLT_ATM_CLIP, decode_llc},
    {DECODE_DLT_ARCNET, decode_arcnet},
    {DECODE_DLT_ARCNET_LINUX, decode_arcnet_linux},
    {DECODE_DLT_FRELAY, decode_frelay},
    {DECODE_DLT_SUNATM, decode_sunatm},
    {DECODE_DLT_IP_OVER_FC, decode_ipfc},
    {DECODE_DLT_AP1394, decode_firewire},
    {DECODE_DLT_SYMANTEC, decode_symantec},
};

static const char *const decode_anomaly_names[ANOM__COUNT] = {
#define X(sym, name) [ANOM_##sym] = name,
    DECODE_ANOMALIES(X)
#undef X
};

static const char *const decode_note_names[NOTE__COUNT] = {
#define X(sym, name) [NOTE_##sym] = name,
    DECODE_NOTES(X)
#undef X
};

static const struct sw_packet decode_zero_packet;

static decode_link_fn decode_find(int dlt)
{
	for (size_t i = 0; i < sizeof decode_links / sizeof decode_links[0]; i++)
		if (decode_links[i].dlt == dlt)
			return decode_links[i].fn;
	return NULL;
}

enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
                                 uint64_t ts_us, struct sw_packet *pkt, struct decode_stats *st)
{
	/* A valid zero-length window when the caller has no bytes (NULL + 0 is UB). */
	static const uint8_t empty[1];
	struct cursor c;
	decode_link_fn fn;

	/*
	 * Copying a zero object compiles to a few vector moves; the equivalent
	 * `= {0}` / memset becomes `rep stos` on x86-64 at this size, which
	 * measured 4x slower per packet on the build host.
	 */
	*pkt = decode_zero_packet;
	pkt->ts_us = ts_us;
	pkt->wire_len = wirelen;
	pkt->cap_len = caplen;

	fn = decode_find(dlt);
	if (!fn)
		return DECODE_SKIP; /* capture.c refuses these up front (decode_dlt_supported) */
	if (!data)
		cursor_init(&c, empty, 0);
	else
		cursor_init(&c, data, caplen);
	return fn(&c, pkt, st);
}

int decode_dlt_supported(int dlt)
{
	return decode_find(dlt) != NULL;
}

int decode_enter(struct sw_packet *pkt, struct decode_stats *st)
{
	if (pkt->encap >= DECODE_ENCAP_MAX) {
		st->anomalies[ANOM_ENCAP_TOO_DEEP]++;
		return -1;
	}
	pkt->encap++;
	return 0;
}

int decode_tunnel(struct sw_packet *pkt, struct decode_stats *st)
{
	if (decode_enter(pkt, st) < 0)
		return -1;
	uint64_t ts = pkt->ts_us;
	uint32_t wire = pkt->wire_len, cap = pkt->cap_len;
	uint8_t encap = pkt->encap;

	*pkt = decode_zero_packet;
	pkt->ts_us = ts;
	pkt->wire_len = wire;
	pkt->cap_len = cap;
	pkt->encap = encap;
	st->notes[NOTE_TUNNEL_INNER]++;
	return 0;
}

enum decode_result decode_link(int dlt, struct cursor *c, struct sw_packet *pkt,
                               struct decode_stats *st)
{
	decode_link_fn fn = decode_find(dlt);

	if (!fn) {
		st->non_ip++; /* a link type we do not read: well-formed, not ours */
		return DECODE_SKIP;
	}
	if (decode_enter(pkt, st) < 0)
		return DECODE_BAD;
	return fn(c, pkt, st);
}

const char *decode_anomaly_name(enum decode_anomaly a)
{
	if ((unsigned)a >= ANOM__COUNT)
		return "unknown";
	return decode_anomaly_names[a];
}

const char *decode_note_name(enum decode_note n)
{
	if ((unsigned)n >= NOTE__COUNT)
		return "unknown";
	return decode_note_names[n];
}
