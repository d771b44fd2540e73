/* emit.h — bounded queue from the packet path to the writer thread that feeds the sinks. */
#ifndef SCANWATCH_EMIT_H
#define SCANWATCH_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"
#include "scanwatch/output.h"
#include "scanwatch/store.h"

struct emit;

struct emit_sink {
	const struct output_ops *ops;
	void *state;
};

struct emit_stats {
	uint64_t pushed;           /* records accepted into the queue */
	uint64_t dropped;          /* records refused because the queue was full (live mode only) */
	uint64_t stored;           /* records committed to SQLite */
	uint64_t store_errors;     /* batches the store refused */
	uint64_t sink_errors;      /* output writes that failed */
	uint64_t evidence_dropped; /* evidence packets not queued (the evidence limit) */
	uint32_t depth;            /* records waiting now */
	uint32_t depth_max;
};

/* What a writer's share of the memory cap holds (SW_EMIT_SHARE). */
struct emit_plan {
	size_t records;        /* the queue's capacity (emit_start) */
	size_t evidence_bytes; /* evidence packets waiting, at most (emit_start) */
	uint64_t bytes;        /* what the two take at most: the ring of records and the packets */
};
/*
 * The plan for share bytes: half for evidence packets (SW_EMIT_EVIDENCE_MIN to
 * SW_EMIT_EVIDENCE_BYTES), the rest for the ring of records, which holds the queue's capacity
 * plus a batch in flight (SW_EMIT_QUEUE_MIN to SW_EMIT_QUEUE records). bytes may pass share
 * only when share is below the minimums.
 */
void emit_plan_for(uint64_t share, struct emit_plan *out);
/* Bytes the ring of a queue of capacity records takes (its records plus a batch in flight). */
uint64_t emit_ring_bytes(size_t capacity);

/*
 * Starts the writer thread. store may be NULL (no database). sinks are
 * borrowed until emit_stop. capacity bounds the queue in records and
 * evidence_limit the evidence packets its records carry, in bytes; with
 * block_when_full (replay) emit_push waits for room instead of dropping, so
 * forensics loses nothing. Returns NULL on failure.
 */
struct emit *emit_start(struct store *store, int64_t run_id, struct emit_sink *sinks, size_t nsinks,
                        size_t capacity, size_t evidence_limit, bool block_when_full);
/* Copies d into the queue, with a copy of its evidence packets (borrowed: d->evidence may
 * be freed once this returns); 0, or -1 when dropped (counted). Never blocks in live mode. */
int emit_push(struct emit *e, const struct sw_detection *d);
/* Asks the writer to reopen its sinks (SIGHUP); returns at once. */
void emit_reopen(struct emit *e);
/*
 * Waits until every record pushed before the call has been written to the
 * store and the sinks, and the store's campaign rows agree with their members
 * (store_campaigns_sync), so emit_get_stats then gives final counts (e.g. for
 * store_run_finish before emit_stop).
 */
void emit_flush(struct emit *e);
/* Copies the writer's counters so far into *out; any thread. */
void emit_get_stats(struct emit *e, struct emit_stats *out);
/* Drains the queue, joins the thread, frees e. Sinks are not closed. */
void emit_stop(struct emit *e);

#endif
