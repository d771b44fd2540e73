/* track.h — per-rule, per-group-key tracking state: bounded tables of struct track_entry. */
#ifndef SCANWATCH_TRACK_H
#define SCANWATCH_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"
#include "scanwatch/attribute.h"
#include "scanwatch/classify.h"
#include "scanwatch/detection.h"
#include "scanwatch/hash.h"

/* (rule, group key): a is the source or the target per the rule's group_by, b the target
 * for src_dst grouping, zero otherwise. */
struct track_key {
	uint32_t rule;
	uint32_t zero;
	struct sw_addr a, b;
};

/*
 * A distinct counter. Most tracked sources touch a handful of ports and hosts, so a set
 * starts inline, in 24 bytes of its entry: up to DSET_INLINE 32-bit hashes (16-bit ports:
 * DSET_INLINE_PORTS). The next new member moves the set into a block of its own (struct
 * dset_big in track.c, dset_block_bytes() of heap): an exact set of up to DSET_EXACT
 * hashes (DSET_EXACT_PORTS ports), turned into a 1024-bit linear-counting bitmap (Whang et
 * al. 1990) in the same memory when it overflows, with HyperLogLog registers (Flajolet et
 * al. 2007) past 70% of the bitmap. Thresholds (a handful of probes) are therefore decided on
 * exact counts, and large counts are estimates that are the same on every run: the hash is
 * fixed, not keyed, since a collision can only lower counts that are already past any
 * threshold. An entry has three sets, so the memory cap reserves three blocks for each entry
 * (track_entry_reserve): the blocks are bounded by the table, and a tracked source that
 * stays within the inline sets costs its entry alone. Should the heap refuse a block, the set
 * stays inline as a 128-bit linear-counting bitmap (an estimate past a few members) and the
 * entry says so (track_entry.inexact).
 */
#define DSET_INLINE       4
#define DSET_INLINE_PORTS 8
#define DSET_EXACT        32
#define DSET_EXACT_PORTS  64
struct dset_big;
struct dset {
	union {
		uint32_t h[DSET_INLINE];
		uint16_t port[DSET_INLINE_PORTS];
		uint64_t bits[2]; /* DSET_SMALLBITS: the heap refused a block */
		struct dset_big *big;
	} u;
	uint16_t n;      /* inline members, or bits set (DSET_SMALLBITS) */
	uint8_t mode;    /* enum dset_mode */
	uint8_t is_port; /* holds 16-bit ports */
	uint32_t spare_;
};
enum dset_mode { DSET_INLINE_SET = 0, DSET_BLOCK = 1, DSET_SMALLBITS = 2 };

/* Heap bytes one block costs (its struct and the allocator's chunk header). */
size_t dset_block_bytes(void);
/* Where blocks come from (the sets' and the samples'): calloc; a test puts a refusing one
 * here to see the fallback. */
extern void *(*dset_block_calloc)(size_t n, size_t size);
/* Empties a set, giving its block back; is_port as it is to be used. */
void dset_clear(struct dset *s, bool is_port);

/* Additions between two recomputations of a large estimate (a 1.5% drift at most once
 * past the exact range of 32 or 64 members). */
#define DSET_RECOUNT 16

#define TRACK_SAMPLE_PORTS 16
#define TRACK_SAMPLE_ADDRS 8

/*
 * The first distinct ports and addresses of an entry, for its record. Most entries see a
 * port or two on one host, so the first TRACK_SAMPLE_PORTS_INLINE ports and the first
 * address sit in the entry and the rest in a block of their own (136 bytes), made when the
 * entry first needs it: the entry is 512 bytes instead of 640. The memory cap reserves the
 * block for every entry
 * (track_entry_reserve), as it does the sets' blocks; should the heap refuse it, the record
 * carries the samples it has.
 */
#define TRACK_SAMPLE_PORTS_INLINE 4
struct track_samples {
	uint16_t ports[TRACK_SAMPLE_PORTS - TRACK_SAMPLE_PORTS_INLINE];
	struct sw_addr addrs[TRACK_SAMPLE_ADDRS - 1];
};

/* A set of 32-bit keys: open addressing, key+1 (0: empty), cap slots plus one for the key
 * 0xFFFFFFFF (whose key+1 wraps to the empty mark); tab NULL until made. */
struct track_keys {
	uint32_t *tab;
	uint32_t n, cap;
	const uint8_t *sipkey; /* the budget's key: where a key's probe starts (keys_slot) */
};

/*
 * Exact distinct counts past the inline sets. A record a person reads must
 * count exactly (10,000 ports are 10,000, not an estimate), so when an
 * entry's inline port or host set is about to turn into a bitmap, its members
 * move into a side set first, and every later probe is counted there:
 *   ports  a 65,536-bit bitmap: 8 KiB, exact;
 *   hosts  an open-addressing set of 32-bit keys, 8 bytes per host at most
 *          (load <= 1/2). IPv4 addresses are their own key, so IPv4 counts
 *          are exact; an IPv6 address is keyed by a fixed 32-bit hash, so two
 *          of n distinct IPv6 hosts share a key with probability about
 *          n^2 / 2^33 (one in 8,600 for 1,000 hosts), undercounting by one.
 * Side sets come from a byte budget that the engine carves out of its share
 * of the memory cap (struct track_budget). When it is spent, the entry keeps
 * its estimate and says so (track_entry.inexact); the budget is given back
 * when the entry's window restarts or the entry leaves the table.
 */
struct track_exact {
	uint64_t *ports;          /* 65536-bit bitmap, NULL until the inline port set fills */
	struct track_keys hosts;  /* host keys, from when the inline host set fills */
	struct track_keys spread; /* the spread's memberships (TRACK_SPREAD_NETS), while needed */
	uint32_t spread_pairs, spread_hosts; /* and its failed pairs and hosts */
	uint32_t nports;
};

/*
 * Where an entry's failures fall (track_entry's spread), for the rules that score failed first
 * contacts of ordinary stacks (connect, udp, udp_sweep, trw). A sweep walks address space: its
 * failed targets share networks, or one target fails on several ports. A client whose list of peers
 * is stale fails at hosts that have nothing in common but the service: a Gnutella or BitTorrent
 * client working through its host cache (most peers gone: refused or silent), a LISP router's
 * Map-Requests to its map resolvers. Found on third-party captures (Practical Packet Analysis'
 * gnutella.pcap: a client's 918 SYNs to 81 peers on 6346, 636 refused or unanswered, 5 answered,
 * the peers in 81 /24s and 17 /8s; a LISP router's Map-Requests in PcapPlusPlus' ipv6.pcapng), each
 * called a scan.
 *
 * The failures are scattered while no three failed hosts share a /24 (IPv4) or a /64
 * (IPv6: servers come in pairs, a resolver's or a map resolver's), the failed hosts failed
 * on two ports each or fewer on the whole (a peer moves to another port; plus two), none of
 * the failed probes was hand-built, and they span TRACK_SPREAD_NETS or
 * more /8s (IPv4) or /32s (IPv6). A scan of a site stays in the site's networks and is never
 * scattered; a sweep that mixes in scattered decoys is swept from its third host in one
 * /24. The memberships (failed pairs, hosts, /24s or /64s once and twice, /8s or /32s) are
 * exact, in a side set that goes once the failures are swept; when the budget refuses it, the
 * failures count as swept, towards reporting.
 *
 * In an entry: bit 15 swept (latched until the window resets), bits 0-14 the networks failed
 * in, counted up to TRACK_SPREAD_NETS.
 */
#define TRACK_SPREAD_NETS  3
#define TRACK_SPREAD_SWEPT 0x8000u

struct track_budget {
	size_t used, limit; /* bytes of side sets held, and the most they may take */
	uint64_t sets;      /* side sets made */
	uint64_t denied;    /* side sets refused for want of budget (counts stayed estimates) */
	uint8_t key[16];    /* SipHash key of the sets' slots (the engine's: see keys_slot) */
};

/* Bytes an exact port set takes. */
#define TRACK_EXACT_PORT_BYTES (65536 / 8)

/*
 * A detector's own state in a tracking entry: each detector declares a struct of what it
 * keeps (at most TRACK_DET_STATE bytes, zero when the entry is made and at every window
 * reset) and reaches it with TRACK_STATE(e, struct its_state), after one
 * TRACK_STATE_FITS(struct its_state) in its file. The entry holds the bytes; the type is the
 * detector's alone, so a new detector still is one file (as the sk_buff control buffer's
 * per-protocol structs in Linux, TCP_SKB_CB and its BUILD_BUG_ON).
 */
#define TRACK_DET_STATE       32
#define TRACK_STATE(e, type)  ((type *)(void *)(e)->det.bytes)
#define TRACK_CSTATE(e, type) ((const type *)(const void *)(e)->det.bytes)
#define TRACK_STATE_FITS(type)                                                 \
	_Static_assert(sizeof(type) <= TRACK_DET_STATE && _Alignof(type) <= 8, \
	               #type " must fit a tracking entry's detector state")

/*
 * The state of one rule for one group key. The engine owns the generic
 * fields; a detector owns score and det, its own state (TRACK_STATE).
 */
struct track_entry {
	struct htab_node node;
	struct track_key key;
	uint64_t first_ts;  /* first probe in the current window (or of the open detection) */
	uint64_t last_ts;   /* last probe */
	uint64_t win_start; /* start of the current window */
	uint64_t probes;    /* probe events since first_ts */
	uint32_t score;     /* the detector's count, compared with the rule's threshold */
	union {
		uint64_t align_;
		double falign_;
		unsigned char bytes[TRACK_DET_STATE];
	} det;                         /* the detector's own state: see TRACK_STATE */
	uint32_t outcomes[OUT__COUNT]; /* outcomes seen, by kind */
	uint32_t pclass_seen;          /* bit per probe class */
	uint32_t crafted;              /* probes whose shape no ordinary stack makes */
	/* detection state */
	uint64_t det_seq; /* 0: none open */
	uint64_t opened_at, probes_at_open;
	uint64_t emit_ts, emit_probes; /* last OPEN/UPDATE sent */
	uint8_t kind, proto, multi_target, shadowed;
	uint8_t opened_kind; /* the kind at OPEN (kind follows the evidence after it) */
	uint8_t n_ports, n_targets, n_sources, mixed_proto;
	struct sw_addr target; /* the first target; valid while !multi_target */
	uint64_t
	    first_contacts;  /* probes that were not retransmissions: bounds every distinct count */
	struct dset targets; /* targets (sources, for target-grouped entries) */
	struct dset ports;
	struct dset pairs; /* the detector's distinct (target, port) set */
	/* The first distinct ports (n_ports of them) and addresses the entry saw: its targets
	 * when grouped by source (or by source and target; n_targets), its sources when grouped
	 * by target (n_sources), whose one target is its key (track_note_probe keeps n_targets
	 * at 1 for it then, the record names the key). Read them with track_sample_port and
	 * track_sample_addr: past the first few they are in more_samples. */
	uint16_t sample_ports[TRACK_SAMPLE_PORTS_INLINE];
	struct sw_addr sample_addr;
	struct track_samples *more_samples;
	struct attr_state attr;    /* attribute.c's evidence */
	struct track_exact *exact; /* side sets once the inline sets fill (NULL before) */
	uint8_t inexact;           /* the budget refused a side set: counts are estimates */
	uint8_t exposed;           /* exposure.h's mark: this entry has an exposure set (sits in
	                            * what was tail padding: the entry is no bigger) */
	uint16_t spread;           /* where the failures fall (TRACK_SPREAD_NETS); in what was
	                            * padding too */
	uint32_t ev_ring;          /* evidence.h: the entry's packets (0: none kept yet) */
};

/* Adds a value (a 32-bit hash, or a port); true when it was not in the set. */
bool dset_add(struct dset *s, uint32_t v);
/* What the memory cap sets aside for one entry: the entry and its three sets' blocks. */
size_t track_entry_reserve(void);
uint64_t dset_count(const struct dset *s);
bool dset_has(const struct dset *s, uint32_t v);
/* Linear-counting estimate of a distinct count from set bits out of m. */
uint64_t track_estimate(uint32_t set, uint32_t m);
/* Marks (target, port) in the pair bitmap; true when it was not there (new pair). */
bool track_pair_add(struct track_entry *e, const struct sw_addr *target, uint16_t port);
/* Marks (target, port) as answered (a separate membership in the same set); true when new.
 * Detectors that score failures weigh them against these: a client whose first contacts
 * mostly succeed is no scanner (Jung et al. 2004). */
bool track_answered_add(struct track_entry *e, const struct sw_addr *target, uint16_t port);
/* Marks (target, port) as failed, for detectors that also score pairs when probed. */
bool track_failed_add(struct track_entry *e, const struct sw_addr *target, uint16_t port);
/*
 * What a detector learns about one host of a source's first contacts (detect_trw.c): kept as
 * memberships of the pair set, under salts no (target, port) membership uses, so they cost
 * nothing more and go with the set. Like the pairs, they may say yes wrongly once the set is
 * a bitmap, about as often as its share of set bits (track_pairs_worn).
 */
enum track_host_fact {
	TRACK_HOST_SEEN,     /* a first contact with the host had an outcome */
	TRACK_HOST_ALIVE,    /* the host answered anything: an echo, a service, a refusal */
	TRACK_HOST_ANSWERED, /* an echo or a service of the host answered the source */
	TRACK_HOST_DOWN,     /* an echo request to it went unanswered */
	TRACK_HOST_EXCUSED_1,
	TRACK_HOST_EXCUSED_2, /* failures on it a detector chose not to count, one and two */
};
/* Marks (target, port) as excused (a failure the engine kept from the detector: detect_run.c,
 * recalled), a membership of its own; true when new. */
bool track_excused_add(struct track_entry *e, const struct sw_addr *target, uint16_t port);
bool track_excused_has(const struct track_entry *e, const struct sw_addr *target, uint16_t port);
/* Marks a fact about host; true when it was not marked. */
bool track_host_add(struct track_entry *e, const struct sw_addr *host, enum track_host_fact f);
bool track_host_has(const struct track_entry *e, const struct sw_addr *host,
                    enum track_host_fact f);
/* Whether a failure at host is one that what mem knows of it explains: host found down (an
 * unanswered echo, never an answer) and the failure silent, or host answered and this is one
 * of its first two failed services; the excuses given are marked in e (mem itself, or an
 * entry of a rule that asks mem: detect_run.c, recalled). */
bool track_host_excuses(const struct track_entry *mem, struct track_entry *e,
                        const struct sw_addr *host, bool silent);
/* The pair set no longer remembers well: a bitmap with a quarter or more of its bits set, so a
 * new pair looks seen one time in four or more. */
bool track_pairs_worn(const struct track_entry *e);
/* Notes a failed first contact (refused, unreachable, unanswered) in e->spread
 * (TRACK_SPREAD_NETS); its memberships are paid for from b like the other side sets. */
void track_spread_note(struct track_entry *e, const struct sw_event *ev, struct track_budget *b);
/* The entry's failures are scattered over the Internet (TRACK_SPREAD_NETS). */
static inline bool track_spread_scattered(const struct track_entry *e)
{
	return e->spread == TRACK_SPREAD_NETS; /* not swept, and networks enough */
}
/* Folds a probe into the generic fields: targets, ports, samples, counters. Side sets for
 * exact counts are taken from b (see struct track_exact). */
void track_note_probe(struct track_entry *e, const struct sw_event *ev, bool group_by_dst,
                      struct track_budget *b);
/* The entry's i-th sample port (i < n_ports) and sample address (i < n_targets, or
 * n_sources when grouped by target). */
static inline uint16_t track_sample_port(const struct track_entry *e, unsigned i)
{
	return i < TRACK_SAMPLE_PORTS_INLINE
	           ? e->sample_ports[i]
	           : e->more_samples->ports[i - TRACK_SAMPLE_PORTS_INLINE];
}
static inline const struct sw_addr *track_sample_addr(const struct track_entry *e, unsigned i)
{
	return i == 0 ? &e->sample_addr : &e->more_samples->addrs[i - 1];
}
/* Starts a new window at ts: counters and bitmaps cleared, detection state kept, side sets
 * given back to b. With keep_pairs the pair set (and the host facts in it) stays, unless it
 * is worn (track_pairs_worn). */
void track_reset_window(struct track_entry *e, uint64_t ts, struct track_budget *b,
                        bool keep_pairs);
/* The same, keeping the first keep_state bytes of the detector's state (detector.keeps). */
void track_reset_window_keep(struct track_entry *e, uint64_t ts, struct track_budget *b,
                             bool keep_pairs, size_t keep_state);

/*
 * Stop and wait. A client that asks a list of servers one after another sends its next
 * request as soon as an answer comes, and only after its timeout when none does: a broadband
 * meter's latency probes to its measurement servers, one socket each, two thirds of them
 * silent (nDPI's EAQ.pcap: each request 0.1 ms after the last answer, or 1.0 s after an
 * unanswered request, five rounds), a script running dig or snmpget over a stale list. Its
 * failures outnumber its answers as a sweep's do. A scan sends at a pace of its own, answered
 * or not: nmap, masscan, zmap and the one-socket sweepers (nbtscan, onesixtyone, ike-scan)
 * send several requests a second into silence, and a slow one (nmap -T1) waits as long after
 * an answer as after silence. A detector that keeps a track_pace in its state (first, kept
 * across windows: detector.keeps) notes each probe and answer with these; failures then
 * count only while track_pace_waits says no.
 */
/* A request the answer before it released comes within this (dig's own start-up puts it
 * 30-50 ms after the answer here); a client waits out a timeout of at least TIMEOUT. */
#define TRACK_PACE_AT_ONCE_US 250000
#define TRACK_PACE_TIMEOUT_US 500000
struct track_pace {
	uint32_t answer_at; /* µs from the last probe to the first answer after it, plus one (0:
	                     * none since that probe) */
	uint16_t waited;    /* probes sent within TRACK_PACE_AT_ONCE_US of an answer */
	uint8_t lagged;     /* answers the next probe came later after (saturating) */
	uint8_t hurried;    /* probes sent sooner than TRACK_PACE_TIMEOUT_US after an unanswered one
	                     * (saturating) */
};
/* A probe at ts (before track_note_probe: e->last_ts is still the last probe's time). */
void track_pace_probe(struct track_pace *p, const struct track_entry *e, uint64_t ts);
/* An answer at ts. */
void track_pace_answer(struct track_pace *p, const struct track_entry *e, uint64_t ts);
/* The source stops and waits: no probe sent in a hurry after an unanswered one; at least two
 * answers released the next probe at once, as many as half the answered pairs at least, and
 * four times as many as the answers after which the source paused (the end of a round). */
bool track_pace_waits(const struct track_pace *p, uint64_t answered);
/* Gives the entry's side sets back to b and its sets' blocks to the heap (the entry is
 * leaving the table, or starting a new window). */
void track_release(struct track_entry *e, struct track_budget *b);
uint64_t track_distinct_targets(const struct track_entry *e);
uint64_t track_distinct_ports(const struct track_entry *e);
/* For target-grouped entries the target bitmap holds the sources instead. */
uint64_t track_distinct_sources(const struct track_entry *e);
/* The longest run of occupied slots in the entry's exact host set (0: it has none): the most
 * slots a lookup there can visit. For tests and diagnostics (keys_slot in track.c). */
uint32_t track_hosts_longest_run(const struct track_entry *e);
/* Whether the entry's addresses (its targets; its sources when grouped by target) hold a. May
 * say yes wrongly once the inline set became a bitmap and the budget gave no exact set, about
 * as often as the bitmap's share of set bits. */
bool track_has_addr(const struct track_entry *e, const struct sw_addr *a);

#endif
