/* detect.h — detector plugins (one file each, listed in detect.c's registry) and the engine. */
#ifndef SCANWATCH_DETECT_H
#define SCANWATCH_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scanwatch/classify.h"
#include "scanwatch/detection.h"
#include "scanwatch/hash.h"
#include "scanwatch/rules.h"

struct track_entry; /* track.h */

/*
 * A detector is a const table of callbacks with designated initialisers (as
 * zmap's probe modules). Contract of each member:
 *
 *  name           the value of `detector:` in a rule.
 *  classes        bit (1u << enum probe_class) for each probe class whose
 *                 events it wants; the engine dispatches nothing else to it.
 *  joins          optional: bits of more probe classes whose probes it counts only
 *                 into an entry the source already has (one of its classes made it):
 *                 they make no entry, and their outcomes are not dispatched to it.
 *  default_group  the group_by a rule gets when it does not say.
 *  param_names    the names a rule may set under `params:`, with defaults in
 *                 param_defaults; both nparams long. rules.c validates them.
 *  on_event       folds one event into the rule's tracking entry for the
 *                 event's group key, before the engine's generic
 *                 bookkeeping. It updates e->score (what the rule's
 *                 threshold is compared with) and keeps what else it
 *                 needs in its own state (TRACK_STATE, track.h). Returns
 *                 true when the event belongs to this detector: the
 *                 engine then counts the probe (targets,
 *                 ports, samples) or the outcome; false leaves the entry
 *                 as if the event had not happened.
 *  crossed        optional: whether the entry has crossed the rule's
 *                 threshold; NULL means e->score >= r->threshold.
 *  kind           the kind to report for an entry whose threshold is crossed.
 *  describe       optional: adds detector-specific reasons to the record (detection_reason).
 *  wants          optional pre-filter for probes, called before any table
 *                 work: false means the probe is not this detector's and
 *                 no state is looked up or created for it.
 *  outcomes       false when the detector never looks at outcome events
 *                 (they are then not dispatched to it at all).
 *  absorbs        a target-grouped detector whose open detection speaks for
 *                 its sources: their per-source detections on that target
 *                 are not opened (decoys are one scan, not N).
 *  spread         its crossed reads where the entry's failures fall
 *                 (track_spread_scattered): the engine notes them
 *                 (track_spread_note) for its entries only.
 *  probes_belong  on_event returns true for every probe given to it: the
 *                 engine may then skip it for entries whose counts nobody
 *                 reads any more (shadowed: another rule reports the scan;
 *                 a window reset clears the counts before they count again).
 *  one_service    optional, for source-grouped rules: true when a source's
 *                 events about one service (one target, port and probe
 *                 class, one packet shape, at most 1 + ADMIT_LATER of them)
 *                 could cross the rule's threshold. NULL means the score
 *                 counts distinct targets or (target, port) pairs, so it
 *                 stays at 1 or below and crossing needs threshold <= 1.
 *                 When no rule of the set can, the engine holds such
 *                 sources back from per-rule state (admit.h).
 */
struct detector {
	const char *name;
	const char *summary;
	uint32_t classes;
	uint32_t joins;
	bool outcomes;
	bool absorbs;
	bool probes_belong;
	bool spread;
	/* the entry's pair set outlives its window (track_reset_window): a contact that came
	 * round again is no new contact; the first enabled source-grouped rule of such a detector
	 * is a source's memory (detect_trw.c's host facts), which recalling detectors consult */
	bool remembers;
	/* failures at hosts the source's memory knows do not reach on_event: none at a host
	 * found down (an unanswered echo, never an answer), and at most two failed ports a
	 * window at a host that answered the source (detect_run.c, recalled) */
	bool recalls;
	/* the first bytes of the detector's state that outlive a window (track_reset_window_keep):
	 * what it learned of how the source behaves rather than what it probed (a track_pace) */
	uint8_t keeps;
	bool (*wants)(const struct sw_event *ev);
	enum rule_group default_group;
	uint8_t nparams;
	const char *const *param_names;
	const double *param_defaults;
	bool (*on_event)(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev);
	bool (*crossed)(const struct sw_rule *r, const struct track_entry *e);
	enum sw_kind (*kind)(const struct sw_rule *r, const struct track_entry *e);
	void (*describe)(const struct sw_rule *r, const struct track_entry *e,
	                 struct sw_detection *rec);
	bool (*one_service)(const struct sw_rule *r);
};

/*
 * The kind for hand-built SYNs, shared by every detector that reports them:
 * SYNs to one or two ports across many hosts are a TCP ping sweep (nmap -PS,
 * hping3 --rand-dest), by the vocabulary's definition, unless masscan or zmap
 * sent them (port scanners, even on one port); anything else is a SYN scan.
 */
enum sw_kind detect_syn_kind(const struct track_entry *e);

/* The kind for UDP probes, likewise: one or two ports across many hosts is a UDP
 * host sweep (nmap -PU), anything else a UDP port scan. */
enum sw_kind detect_udp_kind(const struct track_entry *e);

/*
 * The most sources a group working together (nmap -D decoys, a distributed
 * scan's hosts) is taken to have: nmap accepts at most 128 decoys
 * (MAX_DECOYS). More sources than this is a crowd of forged addresses, which
 * neither is a decoy scan nor speaks for any one source in it.
 */
#define DETECT_CROWD_MAX 128

/*
 * Detectors that score failures (refused, unreachable, unanswered) count them
 * only while they outnumber the services that answered by this much: a
 * scanner moves on to new ports and hosts, most of them closed; a resolver, a
 * health checker or a peer-to-peer client mostly gets answers (Jung et al.
 * take a benign host's first contacts to succeed 80% of the time).
 */
#define DETECT_FAIL_PER_ANSWER 2

/* One part in this many of the tracking table's memory pays for exact distinct counts. */
#define DETECT_EXACT_SHARE 8

/* A one_service hook for detectors whose score counts packets: a source hammering
 * one service can cross on its own, whatever the rule says. */
bool detect_counts_packets(const struct sw_rule *r);

/* For the flood detectors: true when stream packets in e's window (those of ongoing
 * ordinary flows, which do not score) reach per_source for each distinct source of e on
 * average, the rate at which a flow's packets make a flood by their number alone. */
bool detect_stream_flood(const struct track_entry *e, uint64_t stream, double per_source);

/* The registry: NULL when no detector has that name. */
const struct detector *detect_lookup(const char *name);
/* Registry walk for listings (`scanwatch --list-detectors`): NULL past the end. */
const struct detector *detect_at(size_t i);

/* --- The engine: events in, detection records out. --- */

struct detect_engine;

/* Receives each OPEN/UPDATE/CLOSE record, synchronously; the record is valid during the call. */
typedef void (*detect_emit_fn)(void *ctx, const struct sw_detection *d);

struct detect_stats {
	uint64_t events;
	uint64_t opened, updated, closed;
	uint64_t shadowed;     /* thresholds crossed while another rule already reported the scan */
	uint64_t suppressed;   /* thresholds crossed by allow-listed or suppressed sources */
	uint64_t evicted_open; /* open detections closed early because their entry was evicted */
	/* tracking entries; its eviction and expiry counts include the held sources' */
	struct htab_stats entries;
	struct htab_stats held; /* sources held back from per-rule state (admit.h) */
	uint64_t released;      /* held sources whose events were replayed into the rules */
	uint64_t returned;      /* held sources recycled under pressure that came back: tracked */
	/* exact distinct counts (track.h): side sets made, bytes held now and at most,
	 * and entries whose counts stayed estimates for want of that memory */
	uint64_t exact_sets, exact_bytes, exact_limit, exact_denied;
	/* exposure sets (exposure.h): made, bytes held now, the budget, refusals */
	uint64_t expo_sets, expo_bytes, expo_limit, expo_denied;
};

/*
 * Builds an engine over the rule set (borrowed: it must outlive the engine or
 * be replaced with detect_set_rules). max_entries bounds the tracking table.
 * NULL on failure.
 */
struct detect_engine *detect_create(const struct sw_ruleset *rs, size_t max_entries,
                                    const uint8_t key[16], detect_emit_fn emit, void *ctx);
/* Frees the engine without closing its open detections (see detect_finish); NULL is a
 * no-op. */
void detect_destroy(struct detect_engine *d);
/* Bytes one tracking entry may take, its sets' blocks included (for dividing the memory cap). */
size_t detect_entry_size(void);
/*
 * One event (borrowed for the call) to the rules that take its probe class: tracking entries
 * are found or made (evicting under the cap), thresholds checked, and OPEN/UPDATE records
 * handed to emit synchronously before it returns. ev->ts_us advances the engine's clock (never
 * backwards). Events to a target outside home_net (when set) are dropped; allow-listed sources
 * are tracked but never reported. Never fails.
 */
void detect_event(struct detect_engine *d, const struct sw_event *ev);

/*
 * The keyed hashes of the addresses hashed last: a scan's events come from one source and
 * go to a handful of targets, so most events hash an address hashed a moment ago, and
 * SipHash (about a hundred instructions for 16 bytes) was three in a hundred of capture A's
 * instructions for the source and the target alone. Direct-mapped by an unkeyed fold of the
 * address: an address is compared whole before its hash is reused, so a slot an attacker
 * aims at costs only the SipHash a miss pays anyway. One memo per thread: the engine has
 * its own (detect_private.h, addr_base), a thread that prehashes for it another.
 */
#define DETECT_MEMO_SLOTS 64
struct addr_memo {
	struct sw_addr a;
	uint64_t h;
	uint8_t used;
};

/* hash_siphash13(key, a, sizeof *a), through memo (DETECT_MEMO_SLOTS of them). */
static inline uint64_t addr_memo_hash(struct addr_memo *memo, const uint8_t key[16],
                                      const struct sw_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->a, sizeof w);
	uint64_t x = (w[0] ^ (w[1] * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	struct addr_memo *m = &memo[x >> (64 - 6)];
	_Static_assert(DETECT_MEMO_SLOTS == 64, "the index takes 6 bits");
	if (m->used && memcmp(m->a.a, a->a, sizeof a->a) == 0)
		return m->h;
	m->a = *a;
	m->h = hash_siphash13(key, a, sizeof *a);
	m->used = 1;
	return m->h;
}

/*
 * The keyed hash of an event's source, which detect_event would compute itself: a thread
 * that hands events to the engine's thread computes it on its side (pipeline.c), through
 * a memo of its own (the target's hash stays with the engine: with it the handing thread
 * became the slower one). Reads only what detect_create fixed of the engine, so any one
 * thread may call it while another runs the engine.
 */
struct detect_prehash {
	uint64_t src;
};
void detect_prehash(const struct detect_engine *d, struct addr_memo memo[DETECT_MEMO_SLOTS],
                    const struct sw_event *ev, struct detect_prehash *out);
/* detect_event with the hashes detect_prehash gave for ev. */
void detect_event_prehashed(struct detect_engine *d, const struct sw_event *ev,
                            const struct detect_prehash *ph);
/* Moves packet time to now: detections idle for their rule's idle time close. */
void detect_advance(struct detect_engine *d, uint64_t now);
/* End of input at end_ts: every open detection closes, at its last probe plus its idle time
 * (as it would live once the source fell silent). */
void detect_finish(struct detect_engine *d, uint64_t end_ts);
/*
 * Replaces the rule set (SIGHUP): open detections are closed at now, all
 * tracking state is dropped, the old set may be freed after the call.
 */
int detect_set_rules(struct detect_engine *d, const struct sw_ruleset *rs, uint64_t now);
/*
 * Keeps evidence packets (evidence.h) in ev, borrowed until the engine is destroyed: each
 * entry notes the packets of the events it takes, OPEN and CLOSE records carry them. Call
 * before the first event; 0, or -1 on allocation failure (then nothing is kept).
 */
struct evidence;
int detect_set_evidence(struct detect_engine *d, struct evidence *ev);
/* Copies the counters so far into *out. */
void detect_get_stats(const struct detect_engine *d, struct detect_stats *out);

#endif
