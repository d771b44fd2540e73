/* attribute.h — names the scanning tool from what its probes give away. */
#ifndef SCANWATCH_ATTRIBUTE_H
#define SCANWATCH_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/classify.h"
#include "scanwatch/detection.h"

struct track_entry;

/* One tell-tale a probe can show; each names one tool (attribute.c's table says which and why). */
enum attr_reason {
	ATTR_NMAP_SYN,    /* SYN: window 1024-4096, MSS 1460 alone, nmap's TTL / hop limit */
	ATTR_NMAP_FLAGS,  /* FIN/NULL/Xmas/ACK...: window 1024-4096, no options */
	ATTR_NMAP_OS,     /* TCP timestamp value 0xFFFFFFFF (nmap -O) */
	ATTR_NMAP_ICMP,   /* echo / timestamp request without data, nmap's TTL / hop limit */
	ATTR_NMAP_UDP,    /* IPv4 UDP with a TTL redrawn per probe */
	ATTR_NMAP_DNS,    /* nmap-payloads' 12- or 30-byte DNS probe to port 53 */
	ATTR_NMAP_PROTO,  /* bare IP protocol probe with a TTL redrawn per probe */
	ATTR_NMAP_SCTP,   /* SCTP INIT with nmap's fixed fields, or its 4-byte COOKIE-ECHO */
	ATTR_MASSCAN_SYN, /* SYN: window 1024, no options, TTL 255 */
	ATTR_MASSCAN_DNS, /* masscan's 31-byte version.bind query to port 53 */
	ATTR_ZMAP_ID,     /* IPv4 identification 54321 */
	ATTR_HPING3_TCP,  /* window 512, no options, TTL 33-64 */
	ATTR_HPING3_ICMP, /* echo request without data, TTL 64, sequence stepping by 256 */
	ATTR_FPING,       /* 56-byte echo requests, one identifier, sequence +1 from host to host */
	ATTR_RAW_UDP4,    /* IPv4 UDP, TTL 255, one source port: masscan's or nmap's builder */
	ATTR_RAW_UDP6,    /* IPv6 UDP, hop limit 255, one source port: masscan or nmap */
	ATTR_MASSCAN_ICMP, /* echo request with masscan's data (PKT_F_ICMP_COUNTING) */
	ATTR__COUNT
};

/* attribute.c's evidence for one track entry (zeroed with the entry's window). */
struct attr_state {
	uint32_t reason[ATTR__COUNT]; /* probes showing each tell-tale */
	uint32_t total;               /* probes looked at */
	uint32_t stack;           /* TCP SYNs an OS stack built (connect()): they name no tool */
	uint32_t seqsp;           /* option-less probes whose source port was the last plus one */
	uint32_t linger0;         /* connects reset right after the handshake (SO_LINGER 0) */
	uint32_t smallbuf;        /* stack SYNs offering a window under 4096 (clamped buffer) */
	uint32_t pairs, descents; /* stack SYNs after one to the same host; those to a lower port */
	uint32_t last_dst, stack_dst; /* hashes of the previous probe's and stack SYN's target */
	uint16_t last_sport, udp_sport, stack_dport, icmp_id, icmp_seq;
	uint8_t last_ttl, has_udp, has_icmp, has_stack;
};

/* Folds one probe's tell-tales into e->attr. */
void attribute_note(struct track_entry *e, const struct sw_event *ev);
/* True when most probes are masscan's or zmap's: port scanners, whichever ports they ask. */
bool attribute_port_scanner(const struct track_entry *e);
/* The probe template: the tell-tale most of the entry's probes showed (an enum attr_reason),
 * ATTR_STACK when they were kernel-built connect() SYNs, or -1 when none showed one. Two
 * sources whose probes share a template were built by the same code. */
#define ATTR_STACK ATTR__COUNT
int attribute_template(const struct track_entry *e);
/* Writes the verdict ("nmap", "masscan", "zmap", "hping3", "fping", "unknown") and adds its
 * reason, named "tool", naming the packets that voted ("tool nmap: ... (n of m probes)"), to
 * rec. */
void attribute_verdict(const struct track_entry *e, char *tool, size_t toollen,
                       struct sw_detection *rec);

#endif
