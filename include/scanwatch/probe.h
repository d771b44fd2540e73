/* probe.h — scanprobe's shared contracts: packet building, targets, probe modules, engines. */
#ifndef SCANWATCH_PROBE_H
#define SCANWATCH_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwatch/addr.h"

/* ------------------------------------------------------------------------------------------ */
/* Limits. Every run is bounded in packets and time (issue 4, "Safety").                       */

/* Largest L3 packet scanprobe builds: big enough for an HTTP-like response segment and for an
 * ICMP error quoting a whole probe, small enough to keep the dry-run queue compact. */
#define BUILD_MAX 640
/* Hard cap on packets of one run, dry or live; --max-packets may only lower it. A 5M-packet
 * benchmark capture needs well under it. */
#define PROBE_HARD_MAX_PACKETS 100000000ULL
/* Live runs are capped lower: a mistake on a real segment costs more than on a file. */
#define PROBE_LIVE_MAX_PACKETS 2000000ULL
/* Default --max-duration in seconds of live wall time. Dry runs are bounded by packets; there
 * --max-duration, when given, bounds simulated time. */
#define PROBE_DEFAULT_MAX_DURATION 300.0
/* Most hosts one run may expand to, so a typo like /8 cannot make a 16M-host plan silently. */
#define TARGETS_MAX_HOSTS (1u << 24)

/* ------------------------------------------------------------------------------------------ */
/* build.c — packet templates and the Internet checksum.                                       */

/* One packet description; build_packet() turns it into wire bytes. src and dst share a family. */
struct build_spec {
	struct sw_addr src, dst;
	uint8_t proto;  /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 or any number (-sO) */
	uint8_t ttl;    /* TTL / hop limit */
	uint16_t ip_id; /* IPv4 identification (ignored for IPv6) */
	bool df;        /* IPv4 don't-fragment */
	uint32_t flow;  /* IPv6 flow label (20 bits) */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags; /* TCP flags (packet.h TCP_*) */
	uint16_t win;
	const uint8_t *opts; /* TCP options, length a multiple of 4, at most 40 */
	uint8_t optlen;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* the 4 "rest of header" bytes of ICMP / ICMPv6 */
	const uint8_t *payload;
	uint16_t paylen;
};

/* A built L3 packet (starts at the IP header) and where its checksummed fields sit, so that
 * callers patch it in place (RFC 1624) instead of rebuilding. */
struct build_pkt {
	uint8_t b[BUILD_MAX];
	uint16_t len;
	uint8_t v6;     /* 1 for IPv6 */
	uint8_t proto;  /* L4 protocol number */
	uint16_t l4;    /* offset of the L4 header */
	uint16_t l4_ck; /* offset of the L4 checksum, 0 when the protocol has none we know */
};

/* Which checksums a patched field is covered by. */
enum { BUILD_CK_IP = 1, BUILD_CK_L4 = 2 };

/* RFC 1071 one's complement sum of len bytes added to sum (not folded, not complemented);
 * len may be odd (the last byte is padded with zero). */
uint32_t build_sum(const void *data, size_t len, uint32_t sum);
/* Folds a 32-bit accumulator to 16 bits and complements it: the checksum field value. */
uint16_t build_fold(uint32_t sum);
/* Checksum of a buffer (the value to store in its checksum field, which must be zero). */
uint16_t build_cksum(const void *data, size_t len);
/* Sum of the pseudo-header: RFC 9293 3.1 / RFC 768 for IPv4, RFC 8200 8.1 for IPv6. */
uint32_t build_pseudo_sum(const struct sw_addr *src, const struct sw_addr *dst, uint8_t proto,
                          uint32_t l4len);
/* RFC 1624 equation 3: checksum after one 16-bit word changes from old_w to new_w. */
uint16_t build_cksum_update16(uint16_t cksum, uint16_t old_w, uint16_t new_w);
/* Builds s into out; 0, or -1 when it does not fit BUILD_MAX or the families differ. */
int build_packet(const struct build_spec *s, struct build_pkt *out);
/* Overwrites n bytes (n even, off even relative to the header it lies in) at off, updating
 * the checksums named in which incrementally. For UDP, keeps RFC 768's "0 is sent as 0xffff". */
void build_patch(struct build_pkt *p, size_t off, const uint8_t *bytes, size_t n, unsigned which);
/* Patches the destination address (IP header and pseudo-header sums). */
void build_patch_dst(struct build_pkt *p, const struct sw_addr *dst);
/* Recomputes every checksum from scratch (reference for tests, and after raw edits). */
void build_finish(struct build_pkt *p);
/* Builds an Ethernet ARP frame (RFC 826): op 1 request, 2 reply. Returns its length (42). */
size_t build_arp(uint8_t *out, uint16_t op, const uint8_t sha[6], const uint8_t spa[4],
                 const uint8_t tha[6], const uint8_t tpa[4]);
/* Wraps an L3 packet in an Ethernet II header; returns the frame length or 0 if cap is short. */
size_t build_ether(uint8_t *out, size_t cap, const uint8_t dst[6], const uint8_t src[6],
                   const struct build_pkt *p);
/* Deterministic locally administered MAC for an address (so captures are reproducible). */
void build_mac_for(const struct sw_addr *a, uint8_t mac[6]);

/* ------------------------------------------------------------------------------------------ */
/* parse.c — the few fields scanprobe needs from a reply (or, in the simulator, a probe).       */

struct parse_view {
	uint8_t v6;
	uint8_t proto; /* L4 protocol, or 0 for ARP */
	uint8_t ttl;
	struct sw_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	uint16_t paylen;
	const uint8_t *payload; /* points into the parsed buffer */
	/* Quoted packet of an ICMP error (valid when has_quote). */
	bool has_quote;
	uint8_t q_proto;
	struct sw_addr q_src, q_dst;
	uint16_t q_sport, q_dport;
	/* ARP */
	uint16_t arp_op;
	struct sw_addr arp_spa, arp_tpa;
};

/* Parses an L3 packet (IPv4 or IPv6 by version nibble). 0, or -1 when malformed. */
int parse_l3(const uint8_t *data, size_t len, struct parse_view *v);
/* Parses an Ethernet II frame (IPv4, IPv6 or ARP). 0 or -1. */
int parse_ether(const uint8_t *data, size_t len, struct parse_view *v);

/* ------------------------------------------------------------------------------------------ */
/* rng.c — deterministic randomness (same --seed, same bytes) and the probe order.             */

struct rng {
	uint64_t s[4];
};
/* Seeds r (xoshiro256**) from seed; the same seed gives the same sequence. */
void rng_seed(struct rng *r, uint64_t seed);
/* The next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n) (n > 0). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Keyed 64-bit mix of three values: probe cookies (sequence numbers, IP ids). */
uint64_t rng_mix(uint64_t key, uint64_t a, uint64_t b);

/* A permutation of [0, n) walked in O(1) memory: a keyed Feistel network with cycle walking.
 * identity = true gives 0, 1, 2 ... (--no-randomize). */
struct rng_perm {
	uint64_t n, key, ctr, done;
	unsigned half; /* Feistel half width in bits */
	bool identity;
};
/* Starts a permutation of [0, n) keyed from r (identity: in order). */
void rng_perm_init(struct rng_perm *p, uint64_t n, struct rng *r, bool identity);
/* Next index; false when all n were returned. */
bool rng_perm_next(struct rng_perm *p, uint64_t *out);

/* ------------------------------------------------------------------------------------------ */
/* targets.c — target and port lists, and the safety check.                                     */

/* A run of consecutive addresses (a CIDR block or a-b range). */
struct targets_range {
	struct sw_addr first;
	uint32_t count;
};

struct targets {
	struct targets_range *r;
	size_t n, cap;
	uint64_t total; /* hosts over all ranges */
};

struct ports {
	uint16_t *v; /* in the order given, duplicates removed */
	size_t n;
};

/* Appends one comma-separated target expression ("198.18.1.1", "198.18.0.0/24",
 * "198.18.1.1-20", "198.18.1.1-198.18.2.5", "2001:2::1-2001:2::ff"). err gets a message. */
int targets_add(struct targets *t, const char *text, char *err, size_t errlen);
/* Frees the ranges; t is left empty and reusable. */
void targets_free(struct targets *t);
/* The idx-th host (0 <= idx < total). */
void targets_get(const struct targets *t, uint64_t idx, struct sw_addr *out);
/* Adds k to an address as a 128-bit big-endian integer (wrapping). */
void targets_addr_add(struct sw_addr *a, uint64_t k);
/* Parses "22,80,1000-1010", "-" (1-65535) or "T:"-less nmap lists; max is 65535 for ports and
 * 255 for IP protocols, min 0 or 1. Caller frees p->v. */
int targets_ports(const char *text, unsigned min, unsigned max, struct ports *p, char *err,
                  size_t errlen);
/* nmap's n most common TCP (udp = false) or UDP ports, most common first. */
int targets_top_ports(unsigned n, bool udp, struct ports *p, char *err, size_t errlen);
/* True when every address of every range lies in one allowed block (the defaults plus the
 * extra blocks). On refusal, err names the first refused range. */
bool targets_allowed(const struct targets *t, const struct sw_cidr *extra, size_t nextra, char *err,
                     size_t errlen);
/* Same check for one address (a -S source). */
bool targets_addr_allowed(const struct sw_addr *a, const struct sw_cidr *extra, size_t nextra);

/* ------------------------------------------------------------------------------------------ */
/* Probe modules (one file each, zmap probe_modules style) and results.                        */

/* What one (host, port) turned out to be. Values order the table columns. */
enum probe_state {
	PS_NONE = 0,      /* no answer yet */
	PS_OPEN,          /* SYN-ACK, a UDP answer, a protocol's answer */
	PS_CLOSED,        /* RST, ICMP port/protocol unreachable */
	PS_FILTERED,      /* other ICMP unreachable, or silence for SYN/connect */
	PS_OPEN_FILTERED, /* silence for UDP / FIN / NULL / Xmas / Maimon / -sO */
	PS_UNFILTERED,    /* ACK scan: a RST */
	PS_UP,            /* host discovery: an answer */
	PS_DOWN,          /* host discovery: silence */
};
/* "open", "closed", "open|filtered" ... as nmap prints them; static strings. */
const char *probe_state_name(enum probe_state s);

/* What a module's target list is made of. */
enum probe_axis {
	PA_PORTS,  /* host x TCP/UDP port */
	PA_PROTOS, /* host x IP protocol number (-sO) */
	PA_HOSTS,  /* hosts only (ping sweeps, floods aim at one port of one host) */
};

/* Per-run constants every module sees. */
struct probe_env {
	struct sw_addr src;  /* scanner address (-S, route or the dry-run default) */
	uint16_t sport;      /* scanner's source port for this run (-g or seeded) */
	uint64_t key;        /* cookie key derived from --seed */
	uint16_t ping_port;  /* -PS/-PA port */
	uint16_t flood_port; /* --flood target port */
	bool spoof;          /* floods: random sources from the benchmarking range */
};

/* One probe target: a host and a port (or a protocol number). */
struct probe_target {
	struct sw_addr dst;
	uint16_t port;
	uint64_t index; /* position in the plan, for results */
};

/* How a module's probes go out in a live run (send_raw.c). */
enum probe_live {
	PROBE_LIVE_RAW = 0,     /* built packets through a raw socket: needs CAP_NET_RAW */
	PROBE_LIVE_CONNECT = 1, /* the kernel's connect() sends them (-sT): no privilege */
	PROBE_LIVE_DRY_ONLY = 2 /* no live form (ARP needs a link-layer socket): --write only */
};

/* What the scanning host does after a target answers a SYN with a SYN-ACK (the simulated
 * scanner side of dry runs, target_sim.c). */
enum probe_synack {
	PROBE_SYNACK_RST = 0,     /* its kernel knows no such connection and resets it (raw SYN) */
	PROBE_SYNACK_CONNECT = 1, /* connect() completes the handshake, then closes with a RST */
	PROBE_SYNACK_SILENT = 2,  /* nothing: a flood's (often forged) sources never answer */
};

/*
 * One probe kind: everything the framework (main.c, probe.c, results.c, dryrun.c, send_raw.c,
 * target_sim.c) needs to know about it, so a new kind is one file defining one of these and one
 * line in probe.c's registry (sensor/probe/probe_template.c is the file to copy). Zero is the
 * default of every member that has one.
 */
struct probe_module {
	const char *name; /* "syn", used in JSON and errors */
	/* The command-line flag that selects it: "-s" + letter, "-P" + letter (host discovery),
	 * or "--flood " + word; main.c finds the module by it. */
	const char *flag;
	bool flag_port;       /* the -P flag may carry one port (-PS443): env->ping_port */
	const char *kind;     /* label vocabulary: "syn_scan" */
	const char *kind_alt; /* another acceptable kind, or NULL ("ack_scan" for -sW) */
	enum probe_axis axis;
	enum probe_live live;     /* how it goes out live */
	enum probe_synack synack; /* the scanner side's move after a SYN-ACK (dry runs) */
	unsigned extra_retries;   /* resends on top of the timing template's (-sU: silence is
	                             ambiguous, so nmap asks once more) */
	bool udp_ports;           /* --top-ports draws from the UDP list */
	bool flood;               /* one target port, spoofable sources, no results */
	bool arp;                 /* Ethernet-only probe (no L3 packet) */
	enum probe_state silence; /* state when nothing answers */
	/* Fills s with the probe for t (src, sport, cookies from env). Returns 0 or -1. Pure: the
	 * same env and target give the same spec, so replies can be checked against it. */
	int (*make)(const struct probe_env *env, const struct probe_target *t,
	            struct build_spec *s);
	/* Decides what reply r (already matched to probe s) says. PS_NONE = not an answer. */
	enum probe_state (*classify)(const struct build_spec *s, const struct parse_view *r);
};

extern const struct probe_module probe_syn, probe_connect, probe_fin, probe_null, probe_xmas,
    probe_maimon, probe_ack, probe_window, probe_udp, probe_ipproto, probe_ping_echo, probe_ping_ts,
    probe_ping_syn, probe_ping_ack, probe_ping_arp, probe_flood_syn, probe_flood_rst;
/* The module of the registry (probe.c) selected by the command-line flag ("-sS", "-PE",
 * "--flood syn"); NULL when none is. */
const struct probe_module *probe_find_flag(const char *flag);

/* Shared helpers for the TCP modules (probe_syn.c). */
void probe_tcp_base(const struct probe_env *env, const struct probe_target *t, uint8_t flags,
                    struct build_spec *s);
/* True when TCP reply r acknowledges TCP probe s (RFC 9293 3.10.7.1 reset generation). */
bool probe_tcp_matches(const struct build_spec *s, const struct parse_view *r);
/* The target's (address, port) a reply r to probe kind m speaks about; false when r is not one
 * of ours (wrong scanner port, not a reply kind). */
bool probe_reply_key(const struct probe_module *m, const struct probe_env *env,
                     const struct parse_view *r, struct sw_addr *host, uint16_t *port);

/* ------------------------------------------------------------------------------------------ */
/* The scan plan and its results, shared by the dry-run and live engines.                      */

struct probe_plan {
	const struct probe_module *mod;
	struct probe_env env;
	struct targets hosts;
	struct ports ports; /* or protocol numbers; one entry for host-only kinds */
	uint64_t nprobes;   /* hosts.total * ports.n (floods: --count) */
	bool randomize;
	uint64_t seed;
	double gap;          /* seconds between probes */
	double max_duration; /* seconds */
	uint64_t max_packets;
	double flood_duration; /* seconds, 0 = unbounded by time (then --count bounds it) */
	unsigned retries;      /* live: resends of unanswered probes */
	double wait;           /* live: seconds to wait for late replies (and -sT's timeout) */
	unsigned parallel;     /* live -sT: connects in flight at once */
};

/* Target and probe spec of plan index idx for scanner env (floods cycle over the hosts). */
int probe_plan_make(const struct probe_plan *plan, const struct probe_env *env, uint64_t idx,
                    struct probe_target *t, struct build_spec *s);

struct probe_results {
	uint8_t *state; /* n entries, enum probe_state, index = host * nports + port */
	uint64_t n;
	int32_t *port_pos; /* 65536 entries: position of a port in plan->ports, or -1 */
	uint64_t sent, received, written;
	double elapsed; /* seconds (live: wall time; dry: simulated) */
	bool dry;
};

/* Sizes the results for plan (n = plan->nprobes, none for floods). 0 or -1 (no memory). */
int results_init(struct probe_results *r, const struct probe_plan *plan);
/* Frees what results_init allocated. */
void results_free(struct probe_results *r);
/* Records a state for probe idx; a definite answer overrides silence, never the reverse. */
void results_set(struct probe_results *r, uint64_t idx, enum probe_state s);
/* Feeds one received packet to the prober's logic: finds the probe it answers (scanner env),
 * classifies it and records the state. True when it was an answer to one of our probes. */
bool results_observe(struct probe_results *r, const struct probe_plan *plan,
                     const struct probe_env *env, const struct parse_view *v);
/* Prints the readable table (json = false) or a JSON document to f. */
void results_print(FILE *f, const struct probe_plan *plan, const struct probe_results *r,
                   bool json);

/* ------------------------------------------------------------------------------------------ */
/* target_sim.c — the simulated target of dry runs, answering like a Linux stack.              */

struct target_sim {
	struct sw_cidr *up; /* hosts that answer; empty = every target host */
	size_t nup;
	bool open_tcp[65536], closed_tcp[65536];
	bool open_udp[65536], closed_udp[65536];
	bool proto_ok[256];    /* IP protocols the stack speaks (-sO) */
	bool default_filtered; /* ports in neither list: filtered (true) or closed (false) */
	uint8_t ttl;
	double rtt, jitter; /* seconds */
};

/* Defaults: every host up, TCP 22,80,443 and UDP 53,123 open, every other port closed, TTL 64,
 * RTT 2 ms, jitter 0.5 ms. */
void target_sim_defaults(struct target_sim *s);
/* Loads a YAML profile (keys documented in target_sim.c) over the current settings. */
int target_sim_load(struct target_sim *s, const char *path, char *err, size_t errlen);
/* Sets one profile key from text (the --sim-* options): "up", "tcp_open", "ttl", "rtt_ms" ... */
int target_sim_set(struct target_sim *s, const char *key, const char *val, char *err,
                   size_t errlen);
/* Frees the host list the profile loaded. */
void target_sim_free(struct target_sim *s);

/* A packet the simulator or scanner side emits: when (seconds after the probe) and the bytes. */
#define SIM_MAX_OUT 3
struct sim_out {
	double delay;
	bool arp; /* frame is an Ethernet frame in raw[], not an L3 packet */
	struct build_pkt pkt;
	uint8_t raw[64];
	uint16_t rawlen;
};

/* Answers probe (parsed view pv of the probe) like a Linux host and adds the scanning side's
 * follow-ups (the RST after a SYN-ACK of a half-open scan; the ACK and RST of a connect scan).
 * Fills at most SIM_MAX_OUT packets and returns how many. r draws the jitter. */
int target_sim_answer(const struct target_sim *s, const struct probe_module *m,
                      const struct parse_view *pv, const struct build_spec *probe, struct rng *r,
                      struct sim_out out[SIM_MAX_OUT]);

/* ------------------------------------------------------------------------------------------ */
/* write_pcap.c — buffered pcap writer (Ethernet framing, microsecond timestamps).             */

struct write_pcap;
/* Opens path for writing (truncating). NULL on error, errno set. */
struct write_pcap *write_pcap_open(const char *path);
/* Writes one Ethernet frame stamped usec microseconds after 1970 (UTC). 0 or -1. */
int write_pcap_frame(struct write_pcap *w, uint64_t usec, const uint8_t *frame, size_t len);
/* Flushes and closes; returns -1 if any write failed. */
int write_pcap_close(struct write_pcap *w);

/* ------------------------------------------------------------------------------------------ */
/* dryrun.c — the --write engine: plan, simulated replies, background, extra scanners, labels. */

struct dryrun_opts {
	const char *path;    /* capture path */
	const char *labels;  /* labels path (NULL = derived) */
	unsigned scanners;   /* scanner addresses (>= 1 when there is a scan) */
	unsigned background; /* benign flows */
	const struct target_sim *sim;
	bool has_scan; /* false: a benign-only capture */
};

/* Writes the capture and the labels. results gets the scanner-side view of the first
 * scanner. 0 or -1 (message printed). */
int dryrun_run(const struct probe_plan *plan, const struct dryrun_opts *o,
               struct probe_results *results);

/* background.c — benign flows for dry runs. */
struct background;
/* Plans n benign flows spread over [0, span] seconds, IPv6 when v6. NULL on no memory. */
struct background *background_new(unsigned n, double span, bool v6, uint64_t seed);
/* Emits, through emit(), every packet of the flows that start at or before t seconds. */
int background_until(struct background *b, double t,
                     int (*emit)(void *ctx, double t, const struct build_pkt *p), void *ctx);
/* Frees the planned flows; NULL is a no-op. */
void background_free(struct background *b);

/* ------------------------------------------------------------------------------------------ */
/* send_raw.c — the live engine: raw sockets out, AF_PACKET in; connect() for -sT.             */

/* The local address the kernel would use toward dst (a connected UDP socket sends nothing).
 * Call only after the safety check. 0 or -1. */
int send_raw_route_source(const struct sw_addr *dst, struct sw_addr *src);
/* Runs plan live. Must only be called after the safety check. 0, or -1 with a message. */
int send_raw_run(const struct probe_plan *plan, struct probe_results *results);

#endif
