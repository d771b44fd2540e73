/* detection.h — the neutral detection record that every sink renders, and its vocabularies. */
#ifndef SCANWATCH_DETECTION_H
#define SCANWATCH_DETECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"

struct evidence_pack; /* evidence.h */

/* The kind vocabulary shared by every module, sink and issue. */
#define DETECTION_KINDS(X)                      \
	X(SYN_SCAN, "syn_scan")                 \
	X(CONNECT_SCAN, "connect_scan")         \
	X(FIN_SCAN, "fin_scan")                 \
	X(NULL_SCAN, "null_scan")               \
	X(XMAS_SCAN, "xmas_scan")               \
	X(MAIMON_SCAN, "maimon_scan")           \
	X(ACK_SCAN, "ack_scan")                 \
	X(WINDOW_SCAN, "window_scan")           \
	X(UDP_SCAN, "udp_scan")                 \
	X(IP_PROTO_SCAN, "ip_proto_scan")       \
	X(ICMP_SWEEP, "icmp_sweep")             \
	X(TCP_SWEEP, "tcp_sweep")               \
	X(ARP_SWEEP, "arp_sweep")               \
	X(RST_FLOOD, "rst_flood")               \
	X(SYN_FLOOD, "syn_flood")               \
	X(DECOY_SCAN, "decoy_scan")             \
	X(DISTRIBUTED_SCAN, "distributed_scan") \
	X(OS_FINGERPRINT, "os_fingerprint")     \
	X(SCTP_SCAN, "sctp_scan")               \
	X(UDP_SWEEP, "udp_sweep")               \
	X(UDP_FLOOD, "udp_flood")               \
	X(ICMP_FLOOD, "icmp_flood")

enum sw_kind {
#define X(sym, name) KIND_##sym,
	DETECTION_KINDS(X)
#undef X
	    KIND__COUNT
};

enum sw_severity {
	SEV_LOW = 1,
	SEV_MEDIUM = 2,
	SEV_HIGH = 3,
	SEV_CRITICAL = 4,
};

/* Where a record is in its lifecycle: one scan is one row, opened, updated, closed. */
enum det_phase {
	DET_OPEN = 0,
	DET_UPDATE = 1,
	DET_CLOSE = 2,
};

#define DET_SAMPLE_PORTS   16
#define DET_SAMPLE_TARGETS 8
#define DET_SAMPLE_SOURCES 8
#define DET_RULE_ID_MAX    48
#define DET_RULE_NAME_MAX  96
#define DET_TAGS_MAX       8  /* ATT&CK technique ids a record carries */
#define DET_TAG_MAX        16 /* one id, NUL included (the longest, "T1595.001", takes 10) */
#define DET_TOOL_MAX       16
#define DET_CAMPAIGN_MAX   24
#define DET_REASONS_MAX    20
#define DET_REASON_NAME    24
#define DET_REASON_TEXT    128
#define DET_EXPOSURE_MAX   64 /* exposed services and hosts a record lists (then counted only) */

/*
 * What an answer to a scanner's probe revealed: the name of the answer. The
 * first four reveal a service (host, protocol, port), the others a live host.
 */
#define DETECTION_REVEALS(X)                                                        \
	X(SYN_ACK, "syn_ack")         /* TCP port open: SYN-ACK (RFC 9293 3.5) */   \
	X(UDP_REPLY, "udp_reply")     /* UDP port open: a datagram back */          \
	X(INIT_ACK, "init_ack")       /* SCTP port open: INIT-ACK (RFC 9260 5.1) */ \
	X(PROTO_REPLY, "proto_reply") /* IP protocol spoken: any answer in it */    \
	X(ECHO_REPLY, "echo_reply")   /* host alive: ICMP/ICMPv6 echo reply */      \
	X(ICMP_REPLY, "icmp_reply")   /* host alive: timestamp/mask/info reply */   \
	X(ARP_REPLY, "arp_reply")     /* host alive: ARP reply / neighbour advert */

enum det_reveal {
	REVEAL_NONE = 0,
#define X(sym, name) REVEAL_##sym,
	DETECTION_REVEALS(X)
#undef X
	    REVEAL__COUNT
};

/*
 * One reason a detection gives, as data: a stable name a program can match
 * ("shape", "answered", "refused", "hand_built", "tool", ...), the number it
 * counts (probes, outcomes, votes; 0 when it counts nothing) and the same
 * reason in words, numbers included, for people. Sinks render the list (a
 * JSON array, list items in the report) or join the words with "; " where
 * their field is one string (syslog, CEF, the store's evidence column).
 */
struct det_reason {
	char name[DET_REASON_NAME];
	uint64_t count;
	char text[DET_REASON_TEXT];
};

/*
 * One thing the scanner learned: host answered (reveal) so many times. port is the TCP, UDP or
 * SCTP port for services, the ICMP type probed for ICMP answers, 0 for ARP and protocol
 * answers; proto the IP protocol probed (0 for ARP).
 */
struct det_exposed {
	struct sw_addr host;
	uint32_t answers;
	uint16_t port;
	uint8_t proto;
	uint8_t reveal; /* enum det_reveal */
};

/*
 * What the scanner learned, exact for the first DET_EXPOSURE_MAX services and hosts that
 * answered it (in the order they first answered); answers about others past that are only
 * counted (unlisted).
 */
struct det_exposure {
	uint16_t n;        /* entries listed in item */
	uint64_t answers;  /* every revealing answer, listed or not */
	uint64_t unlisted; /* answers about services and hosts that did not fit the list */
	struct det_exposed item[DET_EXPOSURE_MAX];
};

/*
 * One detection as it stands at one moment of its life. It is a value: the
 * detector copies everything a sink needs (rule id and name included) so a
 * record stays valid after a rule reload frees the rule it came from.
 * Times are microseconds since the epoch, in packet time.
 */
struct sw_detection {
	uint64_t seq;       /* unique within a run; ties open/update/close of one detection */
	uint8_t phase;      /* enum det_phase */
	uint8_t kind;       /* enum sw_kind */
	uint8_t severity;   /* enum sw_severity */
	uint8_t proto;      /* IP protocol of the probes (6, 17, 1, 58; 0 for ARP or mixed) */
	uint8_t src_any;    /* 1: many (spoofed) sources, src is not meaningful ("*") */
	uint8_t has_target; /* 1: all probes went to one target, in target */
	uint8_t n_sample_ports, n_sample_targets, n_sample_sources;
	uint8_t n_tags;
	uint8_t n_reasons;
	char rule_id[DET_RULE_ID_MAX];
	char rule_name[DET_RULE_NAME_MAX];
	char tags[DET_TAGS_MAX][DET_TAG_MAX]; /* ATT&CK ids, e.g. "T1046", "T1595.001": a list,
	                                       * joined only by the sinks that need one string */
	struct sw_addr src;
	struct sw_addr target;
	uint64_t first_seen; /* first probe of the scan */
	uint64_t opened_at;  /* when the threshold was crossed */
	uint64_t last_seen;  /* last probe so far */
	uint64_t closed_at;  /* 0 while open */
	uint64_t probes;     /* probe packets seen from the source(s) so far */
	uint64_t probes_at_open;
	uint64_t distinct_targets;
	uint64_t distinct_ports;
	uint16_t sample_ports[DET_SAMPLE_PORTS];
	struct sw_addr sample_targets[DET_SAMPLE_TARGETS];
	struct sw_addr sample_sources[DET_SAMPLE_SOURCES]; /* decoy/distributed/flood sources */
	char tool[DET_TOOL_MAX];                    /* nmap, masscan, zmap, hping3, unknown */
	char campaign[DET_CAMPAIGN_MAX];            /* empty when not grouped */
	struct det_reason reasons[DET_REASONS_MAX]; /* the evidence, n_reasons of them */
	struct det_exposure exposure;               /* what the scanner learned */
	/*
	 * The packets that go with this record (OPEN: those that opened it; CLOSE: the rest
	 * of the sample), NULL when none (UPDATE, --no-evidence, nothing kept). Borrowed: it
	 * is valid only while the record is, during the emit call; emit.c copies it into the
	 * queue and the writer stores it (evidence_pcapng). Never read back from the store.
	 */
	const struct evidence_pack *evidence;
};

/* The vocabulary's names ("syn_scan", "high", "open"), static strings; a value outside the
 * vocabulary reads "unknown". */
const char *detection_kind_name(enum sw_kind k);
/* 0 and *out on success, -1 for a name outside the vocabulary. */
int detection_kind_parse(const char *name, enum sw_kind *out);
const char *detection_severity_name(enum sw_severity s);
int detection_severity_parse(const char *name, enum sw_severity *out);
const char *detection_phase_name(enum det_phase p);
/* The reveal vocabulary ("syn_ack", ...); "unknown" outside it. parse: 0 or -1. */
const char *detection_reveal_name(enum det_reveal r);
int detection_reveal_parse(const char *name, enum det_reveal *out);
/* True for the reveals of a service (a port or protocol), false for those of a live host. */
bool detection_reveal_is_service(enum det_reveal r);
/* Services and hosts listed in x (services + hosts == x->n). */
void detection_exposure_counts(const struct det_exposure *x, unsigned *services, unsigned *hosts);
/* One exposed thing as text for one-string sinks: "198.18.1.2 22/tcp" for a service,
 * "198.18.1.2 echo_reply" for a host, "198.18.1.2 proto/47" for a protocol. Returns the
 * length (cut to len - 1). DET_EXPOSED_TEXT bytes always hold it. */
#define DET_EXPOSED_TEXT (ADDR_TEXT_MAX + 24)
size_t detection_exposed_text(const struct det_exposed *x, char *buf, size_t len);
/* Appends a tag to d's list; -1 (nothing changed) when the list is full, the tag empty or
 * longer than DET_TAG_MAX - 1 bytes. */
int detection_add_tag(struct sw_detection *d, const char *tag, size_t len);
/*
 * Appends a reason: NAME (cut to DET_REASON_NAME - 1 bytes), COUNT, and its words from
 * printf's FMT (cut at DET_REASON_TEXT - 1 bytes, at a UTF-8 character boundary). NULL
 * (nothing added) when the list is full, or the new reason to extend.
 */
struct det_reason *detection_reason(struct sw_detection *d, const char *name, uint64_t count,
                                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The reasons' words joined with "; " into buf (always NUL-terminated when len > 0); whole
 * reasons only. Returns the length written. DET_EVIDENCE_TEXT bytes always hold them all. */
#define DET_EVIDENCE_TEXT (DET_REASONS_MAX * (DET_REASON_TEXT + 2))
size_t detection_evidence(const struct sw_detection *d, char *buf, size_t len);

#endif
