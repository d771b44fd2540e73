/* handoff.c — the single-producer, single-consumer message ring between two packet threads. */
#include "scanwatch/handoff.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Polls of the other side's index before sleeping: a few microseconds, about what a futex
 * wake-up costs, so a busy pair never sleeps and an idle one sleeps almost at once. */
#define HANDOFF_SPIN 2000

/*
 * The producer asks for the slot this many messages ahead, for writing, as it reserves one.
 * Every line of a slot was last read by the consumer, on the other core: without the
 * prefetch each store to it waits for the line to come back (a read-for-ownership), one
 * miss after another, and a message of a few lines cost the packet thread more than all its
 * own work (capture A with evidence: 1.0 s with two threads against 0.47 s with one). With
 * it those misses overlap the messages before. 8 was the fastest of 4, 8, 16, 32 on A and C;
 * further ahead, a ring the consumer lags on would have lines taken from under its reads.
 */
#define HANDOFF_AHEAD 8

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * Indices count messages since creation (64 bits do not wrap); slot i is
 * i & mask. Each side's private indices live on its own cache line, the
 * published ones on two others, so neither side writes a line the other
 * polls except when it publishes.
 *
 * Sleeping is Dekker's pattern on two sequentially consistent flags: a side
 * about to sleep sets its flag, then looks at the other side's index once
 * more; a side that publishes stores its index, then reads the other's flag.
 * In the single total order of these four operations one of the two sees
 * the other, so a wake-up is never lost; the mutex only orders the flag and
 * the condition wait.
 */
struct handoff {
	/* producer's own */
	alignas(64) uint64_t p_head; /* next slot to write */
	uint64_t p_pub;              /* last published head */
	uint64_t p_tail;             /* last tail seen */
	size_t p_len;                /* byte ring: the record reserved */
	uint64_t p_msgs;             /* and the records committed */
	/* consumer's own */
	alignas(64) uint64_t c_tail; /* next slot to read */
	uint64_t c_pub;              /* last published tail */
	uint64_t c_head;             /* last head seen */
	size_t c_len;                /* byte ring: the record peeked, header and padding included */
	/* read-only after creation */
	alignas(64) size_t mask, slot_size;
	uint64_t batch; /* units (slots, or bytes) between two publications of an index */
	unsigned char *slots;
	/* shared */
	alignas(64) _Atomic uint64_t head;
	alignas(64) _Atomic uint64_t tail;
	alignas(64) _Atomic int prod_sleeping, cons_sleeping;
	/* statistics: written by the producer (max_depth, messages) or on a wait */
	alignas(64) _Atomic uint64_t messages, producer_waits, consumer_waits, max_depth;
	pthread_mutex_t mu;
	pthread_cond_t space, data;
};

static size_t round_slots(size_t slots)
{
	size_t n = 2 * HANDOFF_BATCH;
	while (n < slots)
		n *= 2;
	return n;
}

size_t handoff_bytes(size_t slots, size_t slot_size)
{
	return sizeof(struct handoff) + round_slots(slots) * slot_size;
}

struct handoff *handoff_create(size_t slots, size_t slot_size)
{
	struct handoff *h = aligned_alloc(64, (sizeof(struct handoff) + 63) / 64 * 64);
	if (!h)
		return NULL;
	memset(h, 0, sizeof *h);
	size_t n = round_slots(slots);
	h->slots = aligned_alloc(64, (n * slot_size + 63) / 64 * 64);
	if (!h->slots) {
		free(h);
		return NULL;
	}
	h->mask = n - 1;
	h->slot_size = slot_size;
	h->batch = HANDOFF_BATCH;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->space, NULL);
	pthread_cond_init(&h->data, NULL);
	return h;
}

void handoff_destroy(struct handoff *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->space);
	pthread_cond_destroy(&h->data);
	free(h->slots);
	free(h);
}

static inline void *slot(struct handoff *h, uint64_t i)
{
	return h->slots + (size_t)(i & h->mask) * h->slot_size;
}

static void wake(struct handoff *h, pthread_cond_t *cv)
{
	pthread_mutex_lock(&h->mu);
	pthread_cond_signal(cv);
	pthread_mutex_unlock(&h->mu);
}

/* ---- producer ---- */

static void publish_head(struct handoff *h)
{
	if (h->p_pub == h->p_head)
		return;
	atomic_store(&h->head, h->p_head); /* seq_cst: see the sleeping protocol above */
	h->p_pub = h->p_head;
	uint64_t depth = h->p_head - h->p_tail;
	if (depth > atomic_load_explicit(&h->max_depth, memory_order_relaxed))
		atomic_store_explicit(&h->max_depth, depth, memory_order_relaxed);
	if (atomic_load(&h->cons_sleeping))
		wake(h, &h->data);
}

/* No room for n more units. */
static inline bool full(const struct handoff *h, uint64_t n)
{
	return h->p_head + n - h->p_tail > h->mask + 1;
}

static void wait_space(struct handoff *h, uint64_t n)
{
	publish_head(h); /* the consumer may be waiting for exactly these */
	for (int i = 0; i < HANDOFF_SPIN; i++) {
		h->p_tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (!full(h, n))
			return;
		cpu_relax();
	}
	atomic_fetch_add_explicit(&h->producer_waits, 1, memory_order_relaxed);
	pthread_mutex_lock(&h->mu);
	atomic_store(&h->prod_sleeping, 1);
	while (h->p_tail = atomic_load(&h->tail), full(h, n))
		pthread_cond_wait(&h->space, &h->mu);
	atomic_store(&h->prod_sleeping, 0);
	pthread_mutex_unlock(&h->mu);
}

/* Waits for room for n more units. */
static inline void make_room(struct handoff *h, uint64_t n)
{
	if (full(h, n)) {
		h->p_tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (full(h, n))
			wait_space(h, n);
	}
}

void *handoff_reserve(struct handoff *h)
{
	make_room(h, 1);
	/* only a slot the consumer is done with */
	if (h->p_head + HANDOFF_AHEAD - h->p_tail <= h->mask) {
		const unsigned char *ahead = slot(h, h->p_head + HANDOFF_AHEAD);
		for (size_t o = 0; o < h->slot_size; o += 64)
			__builtin_prefetch(ahead + o, 1, 3);
	}
	return slot(h, h->p_head);
}

void handoff_commit(struct handoff *h)
{
	h->p_head++;
	atomic_store_explicit(&h->messages, h->p_head, memory_order_relaxed);
	if (h->p_head - h->p_pub >= h->batch)
		publish_head(h);
}

void handoff_flush(struct handoff *h)
{
	publish_head(h);
}

/* ---- consumer ---- */

static void publish_tail(struct handoff *h)
{
	if (h->c_pub == h->c_tail)
		return;
	atomic_store(&h->tail, h->c_tail);
	h->c_pub = h->c_tail;
	if (atomic_load(&h->prod_sleeping))
		wake(h, &h->space);
}

/* Waits until the consumer has something to read. */
static void wait_data(struct handoff *h)
{
	publish_tail(h); /* the producer may be waiting for exactly this room */
	for (int i = 0; i < HANDOFF_SPIN; i++) {
		h->c_head = atomic_load_explicit(&h->head, memory_order_acquire);
		if (h->c_head != h->c_tail)
			return;
		cpu_relax();
	}
	atomic_fetch_add_explicit(&h->consumer_waits, 1, memory_order_relaxed);
	pthread_mutex_lock(&h->mu);
	atomic_store(&h->cons_sleeping, 1);
	while ((h->c_head = atomic_load(&h->head)) == h->c_tail)
		pthread_cond_wait(&h->data, &h->mu);
	atomic_store(&h->cons_sleeping, 0);
	pthread_mutex_unlock(&h->mu);
}

static inline void have_data(struct handoff *h)
{
	if (h->c_head == h->c_tail) {
		h->c_head = atomic_load_explicit(&h->head, memory_order_acquire);
		if (h->c_head == h->c_tail)
			wait_data(h);
	}
}

void *handoff_peek(struct handoff *h)
{
	have_data(h);
	return slot(h, h->c_tail);
}

/* The consumer is done with n more units. */
static inline void consumed(struct handoff *h, uint64_t n)
{
	h->c_tail += n;
	if (h->c_tail - h->c_pub >= h->batch || h->c_tail == h->c_head)
		publish_tail(h);
}

void handoff_release(struct handoff *h)
{
	consumed(h, 1);
}

/* ---- records of any size (a byte ring) ----
 *
 * Each record is an 8-byte header (its payload's length) and the payload, padded to 8
 * bytes, laid end to end. One that would run past the end of the ring starts at its
 * beginning instead, after a header that says so (HANDOFF_WRAP) where it would have
 * started; that padding is committed with the record, so the consumer never sees one
 * without the other. A record takes at most half the ring, so that it always fits once
 * the consumer has caught up, whatever the padding.
 */
#define HANDOFF_WRAP        UINT64_MAX
#define HANDOFF_BYTE_BATCH  4096 /* bytes between publications: 64 lines, as for slots */
#define HANDOFF_AHEAD_BYTES 1024 /* about HANDOFF_AHEAD small records */

static inline size_t record_bytes(size_t n)
{
	return 8 + ((n + 7) & ~(size_t)7);
}

struct handoff *handoff_create_bytes(size_t bytes)
{
	size_t n = 4 * HANDOFF_BYTE_BATCH;
	while (n < bytes)
		n *= 2;
	struct handoff *h = handoff_create(n, 1);
	if (h)
		h->batch = HANDOFF_BYTE_BATCH;
	return h;
}

size_t handoff_max_record(const struct handoff *h)
{
	return (h->mask + 1) / 2 - 8;
}

void *handoff_reserve_bytes(struct handoff *h, size_t n)
{
	size_t total = record_bytes(n);
	size_t off = (size_t)(h->p_head & h->mask);
	size_t pad = off + total > h->mask + 1 ? h->mask + 1 - off : 0;
	make_room(h, pad + total);
	if (pad) {
		uint64_t wrap = HANDOFF_WRAP;
		memcpy(slot(h, h->p_head), &wrap, 8);
		h->p_head += pad; /* published with the record, at its commit */
	}
	h->p_len = total;
	/* the lines a record of this size will take HANDOFF_AHEAD_BYTES on (handoff_reserve
	 * says why), when the consumer is done with them */
	uint64_t ahead = h->p_head + HANDOFF_AHEAD_BYTES;
	if (ahead + total - h->p_tail <= h->mask + 1)
		for (size_t o = 0; o < total; o += 64)
			__builtin_prefetch(slot(h, ahead + o), 1, 3);
	uint64_t len = n;
	unsigned char *p = slot(h, h->p_head);
	memcpy(p, &len, 8);
	return p + 8;
}

void handoff_commit_bytes(struct handoff *h)
{
	h->p_head += h->p_len;
	atomic_store_explicit(&h->messages, ++h->p_msgs, memory_order_relaxed);
	/* a consumer asleep gets the record now (a quiet spell on a live capture); a busy
	 * one, a batch at a time. Reading the flag costs nothing while it does not change. */
	if (h->p_head - h->p_pub >= h->batch ||
	    atomic_load_explicit(&h->cons_sleeping, memory_order_relaxed))
		publish_head(h);
}

const void *handoff_peek_bytes(struct handoff *h, size_t *n)
{
	have_data(h);
	uint64_t len;
	memcpy(&len, slot(h, h->c_tail), 8);
	if (len == HANDOFF_WRAP) {
		h->c_tail +=
		    h->mask + 1 - (h->c_tail & h->mask); /* the record follows, committed */
		memcpy(&len, slot(h, h->c_tail), 8);
	}
	h->c_len = record_bytes((size_t)len);
	*n = (size_t)len;
	/* the records HANDOFF_AHEAD_BYTES on, already published: their lines come over from
	 * the producer's core while this one is used */
	uint64_t ahead = h->c_tail + HANDOFF_AHEAD_BYTES;
	if (ahead + h->c_len <= h->c_head)
		for (size_t o = 0; o < h->c_len; o += 64)
			__builtin_prefetch(slot(h, ahead + o), 0, 3);
	return slot(h, h->c_tail) + 8;
}

void handoff_release_bytes(struct handoff *h)
{
	consumed(h, h->c_len);
}

void handoff_get_stats(struct handoff *h, struct handoff_stats *out)
{
	out->messages = atomic_load_explicit(&h->messages, memory_order_relaxed);
	out->producer_waits = atomic_load_explicit(&h->producer_waits, memory_order_relaxed);
	out->consumer_waits = atomic_load_explicit(&h->consumer_waits, memory_order_relaxed);
	out->max_depth = atomic_load_explicit(&h->max_depth, memory_order_relaxed);
}
