/* handoff.h — a bounded single-producer, single-consumer ring of fixed-size messages between two
 * threads, published in batches, with sleeping (not spinning) when one side has nothing to do. */
#ifndef SCANWATCH_HANDOFF_H
#define SCANWATCH_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

/*
 * One producer thread and one consumer thread; each side calls only its own
 * functions. Slots are written in place (reserve, fill, commit) and read in
 * place (peek, use, release), so a message is copied once. Commits become
 * visible to the consumer HANDOFF_BATCH at a time, or at handoff_flush, and
 * releases to the producer likewise: the two threads share one cache line of
 * indices per batch, not per message. A side that finds the ring full (or
 * empty) publishes what it holds, spins briefly, then sleeps until the other
 * side publishes: an idle sensor does not burn a core.
 */
#define HANDOFF_BATCH 64

struct handoff_stats {
	uint64_t messages;       /* committed so far */
	uint64_t producer_waits; /* the ring was full: the consumer is the slower side */
	uint64_t consumer_waits; /* the ring was empty: the producer is the slower side */
	uint64_t max_depth;      /* most messages waiting at once (seen at publication) */
};

struct handoff;

/* slots is rounded up to a power of two (at least 2 * HANDOFF_BATCH); NULL when out of memory. */
struct handoff *handoff_create(size_t slots, size_t slot_size);
void handoff_destroy(struct handoff *h);
/* Bytes the ring takes (for the memory cap). */
size_t handoff_bytes(size_t slots, size_t slot_size);

/* Producer: the next free slot, waiting while the ring is full. */
void *handoff_reserve(struct handoff *h);
/* Producer: the reserved slot is filled. */
void handoff_commit(struct handoff *h);
/* Producer: makes every committed message visible now and wakes the consumer. */
void handoff_flush(struct handoff *h);

/* Consumer: the oldest message, waiting while there is none. */
void *handoff_peek(struct handoff *h);
/* Consumer: done with the message peek returned. */
void handoff_release(struct handoff *h);

/*
 * The same ring for records of any size (a byte ring): the producer reserves n bytes
 * (at most handoff_max_record), fills them and commits; the consumer peeks the next
 * record (its address and length n), uses it and releases it. Records are published
 * every few KiB, or at handoff_flush. One ring is used in one mode only.
 */
/* A byte ring of at least bytes (rounded up to a power of two, at least 16 KiB). */
struct handoff *handoff_create_bytes(size_t bytes);
/* The largest record it takes: half the ring, less the record's header. */
size_t handoff_max_record(const struct handoff *h);
/* Producer: room for a record of n bytes (8-byte aligned), waiting while there is none. No
 * handoff_flush between this and the commit. */
void *handoff_reserve_bytes(struct handoff *h, size_t n);
void handoff_commit_bytes(struct handoff *h);
/* Consumer: the oldest record and its length, waiting while there is none. */
const void *handoff_peek_bytes(struct handoff *h, size_t *n);
void handoff_release_bytes(struct handoff *h);
/* Either side, at any time: counters so far (approximate while both run). */
void handoff_get_stats(struct handoff *h, struct handoff_stats *out);

#endif
