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
	/* consumer's own */
	alignas(64) uint64_t c_tail; /* next slot to read */
	uint64_t c_pub;              /* last published tail */
	uint64_t c_head;             /* last head seen */
	/* shared */
	alignas(64) _Atomic uint64_t head;
	alignas(64) _Atomic uint64_t tail;
	alignas(64) _Atomic int prod_sleeping, cons_sleeping;
	_Atomic uint64_t messages, producer_waits, consumer_waits, max_depth;
	pthread_mutex_t mu;
	pthread_cond_t space, data;
	size_t mask, slot_size;
	unsigned char *slots;
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

static inline bool full(const struct handoff *h)
{
	return h->p_head - h->p_tail > h->mask;
}

static void wait_space(struct handoff *h)
{
	publish_head(h); /* the consumer may be waiting for exactly these */
	for (int i = 0; i < HANDOFF_SPIN; i++) {
		h->p_tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (!full(h))
			return;
		cpu_relax();
	}
	atomic_fetch_add_explicit(&h->producer_waits, 1, memory_order_relaxed);
	pthread_mutex_lock(&h->mu);
	atomic_store(&h->prod_sleeping, 1);
	while (h->p_tail = atomic_load(&h->tail), full(h))
		pthread_cond_wait(&h->space, &h->mu);
	atomic_store(&h->prod_sleeping, 0);
	pthread_mutex_unlock(&h->mu);
}

void *handoff_reserve(struct handoff *h)
{
	if (full(h)) {
		h->p_tail = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (full(h))
			wait_space(h);
	}
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
	if (h->p_head - h->p_pub >= HANDOFF_BATCH)
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

void *handoff_peek(struct handoff *h)
{
	if (h->c_head == h->c_tail) {
		h->c_head = atomic_load_explicit(&h->head, memory_order_acquire);
		if (h->c_head == h->c_tail)
			wait_data(h);
	}
	return slot(h, h->c_tail);
}

void handoff_release(struct handoff *h)
{
	h->c_tail++;
	if (h->c_tail - h->c_pub >= HANDOFF_BATCH || h->c_tail == h->c_head)
		publish_tail(h);
}

void handoff_get_stats(struct handoff *h, struct handoff_stats *out)
{
	out->messages = atomic_load_explicit(&h->messages, memory_order_relaxed);
	out->producer_waits = atomic_load_explicit(&h->producer_waits, memory_order_relaxed);
	out->consumer_waits = atomic_load_explicit(&h->consumer_waits, memory_order_relaxed);
	out->max_depth = atomic_load_explicit(&h->max_depth, memory_order_relaxed);
}
