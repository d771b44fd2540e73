/* pipeline.c — drives one packet through decode, classify and detect, on one thread or two;
 * sizes the tables from the cap.
 *
 * Two workers: the packet thread and the detection thread.
 *
 * Where the sensor's --workers go (sensor.c, readahead.h): --workers 2 is the
 * two threads below, 3 or more those and a reader thread that reads the
 * capture ahead of the packet thread (readahead.h). This cut comes first
 * because it halves the work: on the benchmark's quick captures (1M packets,
 * medians of 11 interleaved runs, 2026-12-07) two workers ran at 1.28x one
 * worker on A, 1.80x on B and 1.32x on C this way, against 1.15x, 1.34x and
 * 1.15x with the reader instead, which only takes reading's fifth of the
 * work off the packet loop. An earlier version measured the other way round
 * (0.86x one worker on A); the messages (handoff.c prefetches the slots it
 * writes) and both halves have changed since. Then the two threads shared
 * cache lines of struct pipeline, which each wrote on every packet or event
 * (the packet being decoded beside the engine's pointer, the clock to send
 * beside the detection thread's copy of a packet); with each thread's fields
 * on lines of its own (struct pipeline) two workers went from 1.29x to 1.62x
 * one worker on A and from 1.41x to 1.64x on C (medians of 11 interleaved
 * rounds, 2026-12-07). Halving the messages of outcome events (two cache lines
 * instead of four) changed nothing measurable, before or after. What is left
 * of the cut's cost is mostly the side that runs dry spinning a moment before
 * it sleeps.
 *
 * With one worker everything runs on the caller's thread: decode, defrag and
 * classify, whose events go synchronously to the detection engine. With two
 * the work is cut where the instructions halve (callgrind on capture A: reading,
 * decoding and classifying take 46% of the instructions, the rules 54%): the
 * caller's thread reads, decodes and classifies, and hands each event to a
 * detection thread over a single-producer, single-consumer ring (handoff.c),
 * copied with the first SW_PACKET_SHAPE_BYTES of its packet (what a detector
 * or the tool attribution may read of a probe; the held probes of admit.c
 * keep the same bytes). One engine sees every event, in the order classify
 * produced them, so the records are those of the one-thread run.
 *
 * Why not shard the engine by source: the rules are not independent per key.
 * A per-source scan of one target is absorbed by that target's open decoy
 * detection (detect.c absorbed()), a distributed scan is not opened when one
 * of its sources is reported alone (source_reported()), one rule yields to
 * another on the same key (already_reported()), and the tables evict the
 * least recently used entry of all sources under the memory cap. Shards by
 * source would each see a different part of that state at a different time,
 * and the records would depend on thread timing. Flow-sharded classification
 * feeding the one engine through an ordered merge is the way to more than
 * two cores; it is not built yet (the classifier's neighbour tables, heard
 * and alive, are shared by all flows, and the merge must order the timeouts
 * of several tables as one table would).
 *
 * The detection clock. One thread calls detect_advance once per packet, after
 * the classifier's timeouts for that packet's time and before the packet's own
 * events; the engine's clock also moves with the events' times in between
 * (a timeout event carries the time it fell due, later than the last packet's),
 * so where the advance calls fall among the events decides what is still open
 * when an event arrives. The packet thread therefore records the advances it
 * would have made (`pending`, at the time `det_now`) and the next message
 * carries them: the detection thread advances first when the message says so,
 * and only then. A run of advances with no event between them is one advance
 * to the last time (the clock only moves forward, and nothing but the clock
 * changes between them), so packets with no event send nothing. The records,
 * their sequence numbers included, are those of one thread; what may differ is
 * the order in which closures that fall due during such a run are emitted (in
 * rule order rather than in order of expiry). tests/captures/test_workers.sh
 * and both eval corpora check it with 1, 2 and 4 workers.
 *
 * Synchronous requests (statistics, a new rule set, the end of input) travel
 * the same ring and are answered under a mutex, so they see exactly the events
 * sent before them. Records reach cfg->emit from the detection thread.
 */
#include "scanwatch/pipeline.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/defaults.h"
#include "scanwatch/defrag.h"
#include "scanwatch/evidence.h"
#include "scanwatch/handoff.h"
#include "scanwatch/hash.h"

enum msg_type { M_EVENT, M_FRAME, M_FRAME_EVENT, M_TICK, M_RULES, M_STATS, M_FINISH, M_STOP };

/* Where an M_EVENT's packet is: none, in the message's shape, or the packet of the M_FRAME
 * sent before it (the packet being classified, already in the ring once). */
enum msg_pkt { MP_NONE, MP_SHAPE, MP_FRAME };

/* One ring slot: 256 bytes, four cache lines. */
struct msg {
	uint64_t adv; /* advance the engine's clock to this first (when `advance`) */
	union {
		struct detect_prehash ph;       /* M_EVENT */
		const struct sw_ruleset *rules; /* M_RULES */
	} u;
	struct sw_event ev; /* ev.pkt is rebuilt from shape on the other side */
	unsigned char shape[SW_PACKET_SHAPE_BYTES];
	uint8_t type;
	uint8_t has_pkt;  /* enum msg_pkt */
	uint8_t advance;  /* one thread would have called detect_advance(adv) before this */
	uint8_t in_frame; /* M_EVENT: made while its packet was the evidence frame (M_FRAME) */
};
_Static_assert(sizeof(struct msg) <= 256, "a ring slot is four cache lines");

/*
 * With evidence packets kept (evidence.h), the arena lives with the engine on
 * the detection thread, and the packet it keeps is the one whose events it is
 * taking: so the packet thread sends the packet itself, as M_FRAME, before
 * the first event the packet makes, or alone when evidence.c would keep it
 * without an event (a handshake's answer, a fragment: evidence_wants). m.shape
 * then holds the decoded packet, ts_us its time, and data its first
 * EVIDENCE_SNAP bytes. Events made outside a packet (timeouts) say so
 * (in_frame 0) and find no frame, as with one thread. The slots are this size
 * only when evidence is kept. The packet's first event travels in the same
 * slot (M_FRAME_EVENT: m.ev, m.u.ph, has_pkt MP_FRAME or MP_NONE) unless it
 * needs m.shape for another packet: one message a packet instead of two, which
 * took 28% off two workers' rate on capture A against 20% off one worker's.
 */
struct msg_frame {
	struct msg m;
	uint64_t ts_us; /* the packet's time */
	int64_t ts_sec;
	uint32_t ts_nsec, caplen, wirelen;
	int32_t linktype;
	uint8_t data[EVIDENCE_SNAP];
};

/* The ring's slots: a 64th of the cap, at most 4096 (1 MiB). */
#define PIPELINE_RING_MAX 4096

static size_t ring_slots(uint64_t cap, size_t slot)
{
	uint64_t n = cap / 64 / slot;
	if (n > PIPELINE_RING_MAX)
		n = PIPELINE_RING_MAX;
	return (size_t)n;
}

/*
 * The pipeline's fields by thread, each group on cache lines of its own: with two workers the
 * packet thread writes its group on every packet and the detection thread its own on every
 * event, and a line written by one and read by the other would cross between the cores each
 * time (the pipeline is aligned_alloc'ed for these lines).
 */
struct pipeline {
	/* set at creation (and at the detection thread's start), read by both */
	struct classify *cl;
	struct detect_engine *de;
	struct defrag *df;
	struct evidence *ev; /* NULL: no evidence packets kept */
	struct handoff *ho;  /* two workers: the ring (NULL: one worker) */
	pthread_t thread;
	bool started;
	/* the packet thread's (one worker: the only thread's) */
	alignas(64) struct sw_packet pkt;
	struct sw_packet rebuilt;
	struct pipeline_stats st;
	uint64_t det_now;                 /* the last detect_advance one thread would have made */
	bool pending;                     /* and it is not sent yet */
	const struct capture_packet *fcp; /* evidence (msg_frame): the decoded packet being
	                                   * classified */
	bool fsent;                       /* and its M_FRAME is sent */
	/* its memo of source hashes (detect_prehash) */
	alignas(64) struct addr_memo pmemo[DETECT_MEMO_SLOTS];
	/* the detection thread's */
	alignas(64) struct sw_packet dpkt; /* its copy of an event's packet */
	bool dframe;                       /* evidence: the arena has a frame */
	struct sw_packet fpkt;             /* the frame's packet */
	uint8_t fdata[EVIDENCE_SNAP];      /* and its bytes */
	/* synchronous requests (under mu) and their answers */
	alignas(64) pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t asked, answered;
	int answer;
	struct detect_stats dstats;
	struct evidence_stats evstats;
};

/* The evidence frame of a capture packet (a caller that only sets ts_us, a test harness,
 * gets the same time split). */
static void frame_of(const struct capture_packet *cp, struct evidence_frame *f)
{
	*f = (struct evidence_frame){
	    .data = cp->data,
	    .caplen = cp->caplen,
	    .wirelen = cp->wirelen,
	    .ts_sec = cp->ts_sec,
	    .ts_nsec = cp->ts_nsec,
	    .linktype = cp->dlt,
	    .ts_us = cp->ts_us,
	};
	if (!cp->ts_sec && !cp->ts_nsec) {
		f->ts_sec = (int64_t)(cp->ts_us / 1000000);
		f->ts_nsec = (uint32_t)(cp->ts_us % 1000000 * 1000);
	}
}

/* Packet thread, evidence kept: the packet being classified goes to the arena (msg_frame),
 * in a slot reserved (and not yet committed) by the caller. */
static void fill_frame(struct pipeline *pl, struct msg_frame *m)
{
	struct evidence_frame f;
	frame_of(pl->fcp, &f);
	m->m.adv = pl->det_now;
	m->m.advance = pl->pending;
	pl->pending = false;
	m->ts_us = f.ts_us;
	memcpy(m->m.shape, &pl->pkt, SW_PACKET_SHAPE_BYTES);
	m->ts_sec = f.ts_sec;
	m->ts_nsec = f.ts_nsec;
	m->caplen = f.caplen;
	m->wirelen = f.wirelen;
	m->linktype = f.linktype;
	memcpy(m->data, f.data, f.caplen < EVIDENCE_SNAP ? f.caplen : EVIDENCE_SNAP);
	pl->fsent = true;
}

static void send_frame(struct pipeline *pl)
{
	struct msg_frame *m = handoff_reserve(pl->ho);
	m->m.type = M_FRAME;
	fill_frame(pl, m);
	handoff_commit(pl->ho);
}

/* Detection thread: a frame arrived; the arena keeps what it wants of it as one thread would. */
static void take_frame(struct pipeline *pl, const struct msg_frame *m)
{
	memcpy(&pl->fpkt, m->m.shape, SW_PACKET_SHAPE_BYTES);
	memcpy(pl->fdata, m->data, m->caplen < EVIDENCE_SNAP ? m->caplen : EVIDENCE_SNAP);
	struct evidence_frame f = {
	    .data = pl->fdata,
	    .caplen = m->caplen,
	    .wirelen = m->wirelen,
	    .ts_sec = m->ts_sec,
	    .ts_nsec = m->ts_nsec,
	    .linktype = m->linktype,
	    .ts_us = m->ts_us,
	};
	evidence_frame(pl->ev, &f);
	pl->dframe = true;
	evidence_answer(pl->ev, &pl->fpkt);
	evidence_fragment(pl->ev, &pl->fpkt);
}

/* Detection thread: no packet is being classified (a timeout, a tick, a request). */
static inline void drop_frame(struct pipeline *pl)
{
	if (pl->dframe) {
		evidence_frame(pl->ev, NULL);
		pl->dframe = false;
	}
}

static void to_detect(void *ctx, const struct sw_event *ev)
{
	struct pipeline *pl = ctx;
	if (!pl->ho) {
		detect_event(pl->de, ev);
		return;
	}
	if (pl->fcp && !pl->fsent) {
		if (!ev->pkt || ev->pkt == &pl->pkt) { /* the packet's first event rides with it */
			struct msg_frame *f = handoff_reserve(pl->ho);
			f->m.type = M_FRAME_EVENT;
			fill_frame(pl, f);
			f->m.in_frame = 1;
			f->m.ev = *ev;
			f->m.has_pkt = ev->pkt ? MP_FRAME : MP_NONE;
			detect_prehash(pl->de, pl->pmemo, ev, &f->m.u.ph);
			handoff_commit(pl->ho);
			return;
		}
		send_frame(pl);
	}
	struct msg *m = handoff_reserve(pl->ho);
	m->type = M_EVENT;
	m->adv = pl->det_now;
	m->advance = pl->pending;
	pl->pending = false;
	m->in_frame = pl->fcp != NULL;
	m->ev = *ev;
	if (!ev->pkt) {
		m->has_pkt = MP_NONE;
	} else if (pl->fcp && ev->pkt == &pl->pkt) {
		m->has_pkt = MP_FRAME; /* the M_FRAME just sent carries it: 3 cache lines less */
	} else {
		m->has_pkt = MP_SHAPE;
		memcpy(m->shape, ev->pkt, SW_PACKET_SHAPE_BYTES);
	}
	/* the source's keyed hash here, through the packet thread's memo (detect.h): with it the
	 * two threads are about even on capture A (pipeline.c's top comment) */
	detect_prehash(pl->de, pl->pmemo, ev, &m->u.ph);
	handoff_commit(pl->ho);
}

/* A message that is not an event; `at` is its own time (the end of input, a reload's). */
static void send(struct pipeline *pl, enum msg_type type, uint64_t at,
                 const struct sw_ruleset *rules)
{
	struct msg *m = handoff_reserve(pl->ho);
	m->type = (uint8_t)type;
	m->adv = pl->det_now;
	m->ev.ts_us = at;
	m->advance = pl->pending || type == M_TICK;
	pl->pending = false;
	m->u.rules = rules;
	handoff_commit(pl->ho);
}

/* Sends a request and waits for the detection thread's answer. */
static int ask(struct pipeline *pl, enum msg_type type, uint64_t at, const struct sw_ruleset *rules)
{
	send(pl, type, at, rules);
	handoff_flush(pl->ho);
	pthread_mutex_lock(&pl->mu);
	uint64_t want = ++pl->asked;
	while (pl->answered < want)
		pthread_cond_wait(&pl->cv, &pl->mu);
	int r = pl->answer;
	pthread_mutex_unlock(&pl->mu);
	return r;
}

static void answer(struct pipeline *pl, int r)
{
	pthread_mutex_lock(&pl->mu);
	pl->answer = r;
	pl->answered++;
	pthread_cond_signal(&pl->cv);
	pthread_mutex_unlock(&pl->mu);
}

static void *detect_main(void *arg)
{
	struct pipeline *pl = arg;
	for (;;) {
		struct msg *m = handoff_peek(pl->ho);
		int r = 0;
		if (m->type != M_EVENT || !m->in_frame)
			drop_frame(pl);
		if (m->advance)
			detect_advance(pl->de, m->adv);
		switch ((enum msg_type)m->type) {
		case M_FRAME:
			take_frame(pl, (const struct msg_frame *)m);
			handoff_release(pl->ho);
			continue;
		case M_FRAME_EVENT:
			take_frame(pl, (const struct msg_frame *)m);
			/* then the event, as an M_EVENT after its M_FRAME */
			__attribute__((fallthrough));
		case M_EVENT:
			if (m->has_pkt == MP_SHAPE) {
				memcpy(&pl->dpkt, m->shape, SW_PACKET_SHAPE_BYTES);
				m->ev.pkt = &pl->dpkt;
			} else if (m->has_pkt == MP_FRAME) {
				m->ev.pkt = &pl->fpkt;
			}
			detect_event_prehashed(pl->de, &m->ev, &m->u.ph);
			handoff_release(pl->ho);
			continue;
		case M_TICK:
			handoff_release(pl->ho);
			continue;
		case M_RULES:
			r = detect_set_rules(pl->de, m->u.rules, m->ev.ts_us);
			break;
		case M_STATS:
			detect_get_stats(pl->de, &pl->dstats);
			if (pl->ev)
				evidence_get_stats(pl->ev, &pl->evstats);
			break;
		case M_FINISH:
			detect_finish(pl->de, m->ev.ts_us);
			break;
		case M_STOP:
			handoff_release(pl->ho);
			return NULL;
		}
		handoff_release(pl->ho);
		answer(pl, r);
	}
}

/* Entries of entry_size that fit in budget bytes, counting the bucket array (one
 * uint32_t per entry, rounded up to a power of two: at most two per entry). */
static size_t entries_for(uint64_t budget, size_t entry_size)
{
	return (size_t)(budget / (entry_size + 2 * sizeof(uint32_t)));
}

struct pipeline *pipeline_create(const struct pipeline_config *cfg, char *err, size_t errlen)
{
	/* aligned for its groups of lines (sizeof is a multiple of the alignment) */
	struct pipeline *pl = aligned_alloc(_Alignof(struct pipeline), sizeof *pl);
	if (!pl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(pl, 0, sizeof *pl);
	uint8_t key[16];
	hash_make_key(key, cfg->seed);
	/* Evidence packets take their share off the top (defaults.h), as the caller's writer
	 * queue and page caches do (cfg->reserved), so the cap still bounds everything; with
	 * --no-evidence the tables get it back. The ring's bytes come off the cap whether or
	 * not a second worker uses them, so the tables (and what they evict under pressure)
	 * are the same with one worker or two. */
	uint64_t ev_budget = cfg->evidence ? cfg->memory_cap / SW_EVIDENCE_SHARE : 0;
	size_t slot = cfg->evidence ? sizeof(struct msg_frame) : sizeof(struct msg);
	size_t slots = ring_slots(cfg->memory_cap, slot);
	uint64_t ring = handoff_bytes(slots, slot);
	uint64_t off = ev_budget + ring + cfg->reserved;
	uint64_t cap = cfg->memory_cap > off ? cfg->memory_cap - off : 0;
	uint64_t flow_budget = cap / 100 * SW_FLOW_SHARE_PERCENT;
	uint64_t track_budget = cap - flow_budget;
	size_t nflows = entries_for(flow_budget, classify_flow_size());
	size_t nentries = entries_for(track_budget, detect_entry_size());
	if (nflows < 1024 || nentries < 256) {
		snprintf(err, errlen,
		         "memory cap of %llu bytes is too small (at least 1M is needed)",
		         (unsigned long long)cfg->memory_cap);
		goto fail;
	}
	pl->cl = classify_create(nflows, key, to_detect, pl);
	pl->de = detect_create(cfg->rules, nentries, key, cfg->emit, cfg->emit_ctx);
	pl->df = defrag_create(key);
	if (!pl->cl || !pl->de || !pl->df) {
		snprintf(err, errlen, "cannot allocate tracking tables (%zu flows, %zu entries)",
		         nflows, nentries);
		goto fail;
	}
	if (cfg->evidence) {
		pl->ev = evidence_create((size_t)ev_budget, key);
		if (!pl->ev || detect_set_evidence(pl->de, pl->ev) < 0) {
			snprintf(
			    err, errlen,
			    "cannot allocate the evidence arena (%llu bytes of the memory cap)",
			    (unsigned long long)ev_budget);
			goto fail;
		}
	}
	pl->st.max_flows = nflows;
	pl->st.max_entries = nentries;
	pl->st.workers = 1;
	if (cfg->workers > 1) {
		pl->ho = handoff_create(slots, slot);
		if (!pl->ho) {
			snprintf(err, errlen, "cannot allocate the detection thread's ring");
			goto fail;
		}
		pthread_mutex_init(&pl->mu, NULL);
		pthread_cond_init(&pl->cv, NULL);
		int rc = pthread_create(&pl->thread, NULL, detect_main, pl);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start the detection thread: %s",
			         strerror(rc));
			goto fail;
		}
		pl->started = true;
		pl->st.workers = 2;
	}
	return pl;
fail:
	pipeline_destroy(pl);
	return NULL;
}

void pipeline_destroy(struct pipeline *pl)
{
	if (!pl)
		return;
	if (pl->started) {
		send(pl, M_STOP, pl->det_now, NULL);
		handoff_flush(pl->ho);
		pthread_join(pl->thread, NULL);
		pthread_mutex_destroy(&pl->mu);
		pthread_cond_destroy(&pl->cv);
	}
	handoff_destroy(pl->ho);
	classify_destroy(pl->cl);
	detect_destroy(pl->de); /* gives its rings back to the arena: first */
	evidence_destroy(pl->ev);
	defrag_destroy(pl->df);
	free(pl);
}

/* Timeouts first: they are events that happened before anything at now. */
static inline void advance(struct pipeline *pl, uint64_t now_us)
{
	classify_advance(pl->cl, now_us);
	if (!pl->ho) {
		detect_advance(pl->de, now_us);
		return;
	}
	if (now_us > pl->det_now)
		pl->det_now = now_us;
	pl->pending = true;
}

void pipeline_flush(struct pipeline *pl)
{
	if (pl->ho)
		handoff_flush(pl->ho);
}

void pipeline_tick(struct pipeline *pl, uint64_t now_us)
{
	advance(pl, now_us);
	if (pl->ho) {
		send(pl, M_TICK, pl->det_now, NULL);
		handoff_flush(pl->ho);
	}
}

/* The decoded packet (and the transport header it completes, for a fragment) to classify. */
static void classify_decoded(struct pipeline *pl)
{
	struct pipeline_stats *st = &pl->st;
	/* a transport header cut across fragments is rebuilt and classified once */
	if ((pl->pkt.flags & PKT_F_FRAG) && !(pl->pkt.flags & PKT_F_HAS_L4)) {
		if (defrag_packet(pl->df, &pl->pkt, &pl->rebuilt, &st->decode))
			classify_packet(pl->cl, &pl->rebuilt);
		if (pl->pkt.flags & PKT_F_FRAG_LATER)
			return;
	}
	classify_packet(pl->cl, &pl->pkt);
}

void pipeline_packet(struct pipeline *pl, const struct capture_packet *cp)
{
	struct pipeline_stats *st = &pl->st;
	if (st->packets == 0)
		st->first_ts = cp->ts_us;
	st->packets++;
	st->bytes += cp->wirelen;
	if (cp->ts_us > st->last_ts)
		st->last_ts = cp->ts_us;
	advance(pl, cp->ts_us);
	if (decode_packet(cp->dlt, cp->data, cp->caplen, cp->wirelen, cp->ts_us, &pl->pkt,
	                  &st->decode) != DECODE_OK)
		return;
	if (!pl->ev) {
		classify_decoded(pl);
		return;
	}
	if (pl->ho) { /* the frame goes over with the first event, or alone (msg_frame) */
		pl->fcp = cp;
		pl->fsent = false;
		classify_decoded(pl);
		if (!pl->fsent && evidence_wants(&pl->pkt))
			send_frame(pl);
		pl->fcp = NULL;
		return;
	}
	struct evidence_frame f;
	frame_of(cp, &f);
	evidence_frame(pl->ev, &f);
	evidence_answer(pl->ev, &pl->pkt);
	evidence_fragment(pl->ev, &pl->pkt);
	classify_decoded(pl);
	evidence_frame(pl->ev, NULL); /* the bytes are the capture's until the next read */
}

void pipeline_finish(struct pipeline *pl)
{
	if (pl->ho)
		ask(pl, M_FINISH, pl->st.last_ts, NULL);
	else
		detect_finish(pl->de, pl->st.last_ts);
}

static uint64_t cpu_us(clockid_t clock)
{
	struct timespec t;
	if (clock_gettime(clock, &t) < 0)
		return 0;
	return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

void pipeline_get_stats(struct pipeline *pl, struct pipeline_stats *out)
{
	*out = pl->st;
	classify_get_stats(pl->cl, &out->classify);
	out->cpu_us[0] = cpu_us(CLOCK_THREAD_CPUTIME_ID); /* the caller's: the packet thread */
	if (pl->ho) {
		clockid_t clock;
		ask(pl, M_STATS, pl->det_now, NULL);
		out->detect = pl->dstats; /* written before the answer, under the mutex */
		out->evidence = pl->evstats;
		handoff_get_stats(pl->ho, &out->handoff);
		if (pthread_getcpuclockid(pl->thread, &clock) == 0)
			out->cpu_us[1] = cpu_us(clock);
	} else {
		detect_get_stats(pl->de, &out->detect);
		if (pl->ev)
			evidence_get_stats(pl->ev, &out->evidence);
	}
}

int pipeline_set_rules(struct pipeline *pl, const struct sw_ruleset *rs, uint64_t now)
{
	if (pl->ho)
		return ask(pl, M_RULES, now, rs);
	return detect_set_rules(pl->de, rs, now);
}
