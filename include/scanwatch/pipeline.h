/* pipeline.h — one packet's way through decode, classify and detect, with its counters. */
#ifndef SCANWATCH_PIPELINE_H
#define SCANWATCH_PIPELINE_H

#include <stdint.h>

#include "scanwatch/capture.h"
#include "scanwatch/classify.h"
#include "scanwatch/decode.h"
#include "scanwatch/detect.h"
#include "scanwatch/evidence.h"
#include "scanwatch/handoff.h"
#include "scanwatch/rules.h"

struct pipeline_config {
	const struct sw_ruleset *rules; /* borrowed */
	uint64_t memory_cap;            /* the bound: the tables get what the rest leaves */
	uint64_t reserved;              /* of memory_cap, taken by the caller (the writer's
	                                 * queue and the database's page caches, defaults.h) */
	uint64_t seed;                  /* 0: random hash key; else a fixed key (tests) */
	bool evidence; /* keep evidence packets (evidence.h) in memory_cap / SW_EVIDENCE_SHARE */
	detect_emit_fn emit; /* receives every detection record */
	void *emit_ctx;
	/* 0 or 1: everything on the caller's thread. 2 or more: detection on a thread of its
	 * own (pipeline.c says why two is the most this version uses, and where the sensor's
	 * --workers go); emit is then called from that thread, in the same order and with the
	 * same records. */
	unsigned workers;
};

struct pipeline_stats {
	uint64_t packets, bytes;
	uint64_t first_ts, last_ts;
	struct decode_stats decode;
	struct classify_stats classify;
	struct detect_stats detect;
	struct evidence_stats evidence;  /* all zero without evidence */
	uint64_t max_flows, max_entries; /* table sizes the cap allowed */
	unsigned workers;                /* threads on the packet path: 1 or 2 */
	uint64_t cpu_us[2];              /* CPU time of each so far (0: unknown) */
	struct handoff_stats handoff;    /* between them (workers 2) */
};

struct pipeline;

/* NULL with a message in err when the cap is too small or memory runs out. */
struct pipeline *pipeline_create(const struct pipeline_config *cfg, char *err, size_t errlen);
/*
 * The packet path's entry: one captured packet through decode, defragmentation and classify,
 * whose events reach the detectors and whose records reach cfg->emit: synchronously, before it
 * returns, with one worker; with two, from the detection thread, and all of them by the time
 * pipeline_finish returns. cp (and its data) is borrowed for the call only. Packet time is
 * cp->ts_us: it first advances the detectors' clock (pipeline_tick), and an older timestamp never
 * moves it back. Never fails: a malformed packet is counted under its anomaly in the decode stats
 * and dropped; memory is bounded by the cap given to pipeline_create (tables evict, never grow).
 * One thread at a time calls the functions of a pipeline.
 */
void pipeline_packet(struct pipeline *pl, const struct capture_packet *cp);
/* With two workers, hands what the packet thread has queued to the detection thread now
 * rather than a batch at a time: for input that may pause (capture_may_wait), so the
 * records of what came before the pause are not held back by it. */
void pipeline_flush(struct pipeline *pl);
/* Packet time advances without a packet (live clock tick). */
void pipeline_tick(struct pipeline *pl, uint64_t now_us);
/* End of input: every open detection is closed. */
void pipeline_finish(struct pipeline *pl);
/* Replaces the rule set (SIGHUP): open detections close at now and tracking starts afresh.
 * The old set may be freed once this returns 0. */
int pipeline_set_rules(struct pipeline *pl, const struct sw_ruleset *rs, uint64_t now);
/* Copies every stage's counters so far into *out (with two workers, after the detection
 * thread has caught up with everything sent before). */
void pipeline_get_stats(struct pipeline *pl, struct pipeline_stats *out);
/* Frees the pipeline; open detections are not closed (pipeline_finish does that); NULL is a
 * no-op. */
void pipeline_destroy(struct pipeline *pl);

#endif
