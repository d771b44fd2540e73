/* detect_private.h — what the detection engine's files share (detect.c, detect_run.c,
 * detect_open.c, detect_record.c, detect_hold.c); not a contract between modules: that is
 * scanwatch/detect.h.
 *
 * The engine's jobs, one file each, data flowing one way (an event in, records out):
 *   detect.c         the detector registry; building an engine and its per-class rule lists
 *                    from a rule set; memory for the tables; eviction; statistics
 *   detect_run.c     an event's way through the rules of its class: group keys and their
 *                    keyed hashes, the tracking entry, the detector's on_event, the generic
 *                    counting, then the threshold
 *   detect_hold.c    one-service sources held back from per-rule state (admit.h) and
 *                    replayed into the rules when they prove to be more
 *   detect_open.c    a detection's lifecycle: suppression and shadowing (one scan, one
 *                    record), opening, updates, the kind's revision, closing on idle and at
 *                    the end of the input
 *   detect_record.c  the record of an entry (fields, reasons, tool, exposure) and its
 *                    handing to the sinks with its campaign and evidence packets
 */
#ifndef SCANWATCH_DETECT_PRIVATE_H
#define SCANWATCH_DETECT_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "scanwatch/admit.h"
#include "scanwatch/detect.h"
#include "scanwatch/evidence.h"
#include "scanwatch/exposure.h"
#include "scanwatch/hash.h"
#include "scanwatch/track.h"

/*
 * Each rule has two LRU lists in the tracking table, in last-probe order:
 * entries still counting (kept for the longer of window and idle) and open
 * detections (closed after idle). Two lists keep each list's head the first
 * one due. The table allows 255 lists.
 */
#define DETECT_MAX_RULES 127

struct detect_engine {
	const struct sw_ruleset *rs;
	struct htab *tab;
	size_t max_entries;
	uint8_t key[16];
	detect_emit_fn emit;
	void *ctx;
	uint16_t by_class[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nby_class[PC__COUNT];
	/* the same less the rules whose detectors never look at outcomes: what run_rules walks
	 * for an outcome event (a probe walks by_class) */
	uint16_t by_outcome[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nby_outcome[PC__COUNT];
	/* both less the rules that count only hand-built probes (crafted_only): what run_rules
	 * walks for an ordinary stack's events, so those rules cost it nothing */
	uint16_t plain_class[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nplain_class[PC__COUNT];
	uint16_t plain_outcome[PC__COUNT][DETECT_MAX_RULES];
	uint16_t nplain_outcome[PC__COUNT];
	int memory_rule;               /* the rule whose entries remember sources (-1: none) */
	bool src_rules[PC__COUNT];     /* the class has source-grouped rules */
	uint16_t first_src[PC__COUNT]; /* and the first of them */
	/* Sources held back from per-rule state (admit.h), allocated once with the
	 * table's budget; holding is off when a rule of the set could cross on one
	 * service's events. */
	struct admit *admit;
	bool holding;
	uint64_t admit_keep;    /* the longest a source-grouped rule keeps an entry */
	uint64_t evictions;     /* entries recycled so far: a pointer held across inserts
	                         * is good only while this stays the same */
	struct admit_held held; /* a released record, during its replay */
	uint64_t seq;
	uint64_t now;
	uint64_t next_due; /* nothing can close or expire before this (packet time) */
	struct detect_stats st;
	struct track_budget exact;  /* side sets for exact distinct counts (track.h) */
	struct exposure *expo;      /* what each entry's scanner learned (exposure.h) */
	struct campaign *camp;      /* sources scanning together (campaign.h) */
	struct evidence *evid;      /* evidence packets (NULL: none kept), borrowed */
	struct evidence_pack *pack; /* the packets that go with rec */
	struct sw_detection rec;
	struct addr_memo memo[DETECT_MEMO_SLOTS];
};

static inline unsigned list_of(const struct sw_rule *r, const struct track_entry *e)
{
	return r->index * 2 + (e && e->det_seq ? 1 : 0);
}

/* How long an entry with nothing open is kept after its last probe. */
static inline uint64_t rule_keep(const struct sw_rule *r)
{
	return r->window_us > r->idle_us ? r->window_us : r->idle_us;
}

/* Evidence hooks (evidence.h): each a no-op when no evidence is kept. */
static inline void ev_note(struct detect_engine *d, struct track_entry *e,
                           const struct sw_event *ev)
{
	if (d->evid)
		evidence_note_event(d->evid, &e->ev_ring, ev);
}

/* Gives d->rec the entry's packets not sent before. */
static inline void ev_attach(struct detect_engine *d, struct track_entry *e)
{
	if (d->evid && evidence_take(d->evid, e->ev_ring, d->pack))
		d->rec.evidence = d->pack;
}

static inline void ev_release(struct detect_engine *d, struct track_entry *e)
{
	if (d->evid)
		evidence_release(d->evid, &e->ev_ring);
}

/* When the next entry could be due for closing or expiry: lets detect_advance do
 * nothing on most packets. Lowered on every touch; recomputed when reached. */
static inline void lower_due(struct detect_engine *d, uint64_t due)
{
	if (due < d->next_due)
		d->next_due = due;
}

static inline void note_due(struct detect_engine *d, const struct sw_rule *r,
                            const struct track_entry *e)
{
	lower_due(d, e->node.ts + (e->det_seq ? r->idle_us : rule_keep(r)));
}

/* track_entry.shadowed: another rule reports the scan or the source is allowed (for the rest
 * of the window), or absorbed into a target's crowd for now (asked again at each probe). */
enum { SHADOW_NONE = 0, SHADOW_FOR_GOOD = 1, SHADOW_ABSORBED = 2 };

/* Which rules a pass over an event runs. */
enum { RUN_SRC = 1, RUN_DST = 2, RUN_ALL = 3 };

/* The keyed base hashes of one event's group keys, each computed once (SipHash is the
 * dearest thing per rule). */
struct ev_hashes {
	uint64_t v[3];
	uint8_t have;
};

/*
 * One SipHash per group key and event, not per rule: each rule's bucket hash
 * is derived from the keyed base hash by a fixed mix with the rule index, so
 * the table stays keyed (nobody can aim at a bucket without the base key).
 */
static inline uint64_t rule_hash(uint64_t base, uint32_t rule)
{
	uint64_t h = base ^ ((uint64_t)(rule + 1) * 0x9e3779b97f4a7c15ULL);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* hash_siphash13(d->key, a, sizeof *a), through the engine's memo (detect.h, addr_memo);
 * only the detection thread uses it. */
static inline uint64_t addr_base(struct detect_engine *d, const struct sw_addr *a)
{
	return addr_memo_hash(d->memo, d->key, a);
}

static inline uint64_t base_hash(struct detect_engine *d, enum rule_group g,
                                 const struct sw_event *ev)
{
	struct sw_addr two[2];
	switch (g) {
	case GROUP_SRC:
		return addr_base(d, &ev->src);
	case GROUP_DST:
		return addr_base(d, &ev->dst);
	case GROUP_SRC_DST:
	default:
		two[0] = ev->src;
		two[1] = ev->dst;
		return hash_siphash13(d->key, two, sizeof two);
	}
}

/* The base hash of a tracking key, as base_hash computes it from an event. */
static inline uint64_t key_base(struct detect_engine *d, const struct track_key *k)
{
	static const struct sw_addr zero;
	if (memcmp(&k->b, &zero, sizeof zero) == 0)
		return addr_base(d, &k->a);
	return hash_siphash13(d->key, &k->a, 2 * sizeof k->a);
}

static inline uint64_t ev_base(struct detect_engine *d, struct ev_hashes *b, enum rule_group g,
                               const struct sw_event *ev)
{
	if (!(b->have & (1u << g))) {
		b->v[g] = base_hash(d, g, ev);
		b->have |= (uint8_t)(1u << g);
	}
	return b->v[g];
}

static inline void make_key(struct track_key *k, const struct sw_rule *r, const struct sw_addr *src,
                            const struct sw_addr *dst)
{
	static const struct sw_addr none;
	k->rule = r->index;
	k->zero = 0;
	switch (r->group_by) {
	case GROUP_SRC:
		k->a = *src;
		k->b = none;
		break;
	case GROUP_DST:
		k->a = *dst;
		k->b = none;
		break;
	case GROUP_SRC_DST:
	default:
		k->a = *src;
		k->b = *dst;
		break;
	}
}

/* Rule r's key for ev and its bucket hash. */
static inline void key_of(struct detect_engine *d, const struct sw_rule *r,
                          const struct sw_event *ev, struct ev_hashes *b, struct track_key *k,
                          uint64_t *h)
{
	make_key(k, r, &ev->src, &ev->dst);
	*h = rule_hash(ev_base(d, b, r->group_by, ev), r->index);
}

static inline struct track_entry *find_entry(struct detect_engine *d, const struct sw_rule *r,
                                             const struct sw_event *ev, struct ev_hashes *b)
{
	struct track_key k;
	uint64_t h;
	key_of(d, r, ev, b, &k, &h);
	return htab_find(d->tab, &k, h);
}

/* detect.c */
/* Gives back an entry's side state: exact-count sets, evidence packets and its exposure. */
void detect_release_side(struct detect_engine *d, struct track_entry *e);
/* Removes an entry from the table, giving its side sets back first. */
void detect_remove_entry(struct detect_engine *d, struct track_entry *e);

/* detect_run.c */
/* Runs ev through the rules of its class (those of the groups in run). known_e is
 * known_r's entry for ev (NULL: none), when the caller looked it up already. */
void detect_run_rules(struct detect_engine *d, const struct sw_event *ev, unsigned run,
                      bool allowed, struct ev_hashes *b, const struct sw_rule *known_r,
                      struct track_entry *known_e);

/* detect_hold.c */
/* Holding sources back (admit.h): true when ev was held and the source-grouped rules must
 * not see it now; *known_r / *known_e return the entry of the class's first source-grouped
 * rule when it was looked up. */
bool detect_hold_back(struct detect_engine *d, const struct sw_event *ev, bool allowed,
                      struct ev_hashes *b, const struct sw_rule **known_r,
                      struct track_entry **known_e);

/* detect_open.c */
/* Opens a detection on e, whose rule r has just crossed (unless suppressed or shadowed). */
void detect_try_open(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                     uint64_t ts);
/* An UPDATE record for open entry e when due. */
void detect_maybe_update(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                         uint64_t ts);
/* The kind the whole evidence of e supports. */
void detect_revise_kind(const struct sw_rule *r, struct track_entry *e);
/* Closes e's detection at closed_at: its CLOSE record. */
void detect_close_entry(struct detect_engine *d, const struct sw_rule *r, struct track_entry *e,
                        uint64_t closed_at);

/* detect_record.c */
/* Fills d->rec from e. */
void detect_fill_record(struct detect_engine *d, const struct sw_rule *r,
                        const struct track_entry *e, enum det_phase phase, uint64_t closed_at);
/* Hands d->rec (filled from e) to the sinks, with its campaign when it has one and the
 * entry's evidence packets not sent before. */
void detect_emit_record(struct detect_engine *d, struct track_entry *e);

#endif
