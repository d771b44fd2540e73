/* emit.c — bounded detection queue and the writer thread that feeds the store and the sinks. */
#include "scanwatch/emit.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Most records the writer takes per store transaction. Large enough that a
 * burst of detections costs a handful of commits, small enough that one
 * batch (about 1.2 KiB a record) stays near a megabyte and the sinks see
 * records within one transaction's latency.
 */
#define EMIT_BATCH_MAX 1024

/*
 * How often the writer calls the sinks' tick callbacks when records are
 * scarce: a network sink retries its collector and sends its backlog then.
 * A quarter of the smallest reconnect backoff (0.5 s, net.c), so a collector
 * that comes back is found within a tick of its backoff expiring.
 */
#define EMIT_TICK_MS 250

struct emit {
	pthread_mutex_t mu;
	pthread_cond_t not_empty; /* writer waits: queue empty, no stop, no reopen */
	pthread_cond_t not_full;  /* producers wait (replay mode): queue full */
	pthread_cond_t idle;      /* emit_flush waits: queue empty, no batch in flight */
	pthread_t thread;

	/* Ring of preallocated records, guarded by mu. */
	struct sw_detection *ring;
	size_t cap, head, count;
	size_t waiting_producers;
	bool block_when_full;
	bool stopping;
	bool reopen_pending;
	bool busy; /* the writer holds records it has taken but not yet delivered */
	struct emit_stats stats;

	/* Writer-private: the batch is copied out of the ring so producers get the room back
	 * while the (slow) store transaction runs. */
	struct sw_detection *batch;
	size_t batch_cap;
	bool store_failing; /* to report a store failure once, not once per batch */
	bool has_tick;      /* some sink has a tick callback: wake at least every EMIT_TICK_MS */
	struct timespec next_tick; /* CLOCK_MONOTONIC */
	struct store *store;
	int64_t run_id;
	struct emit_sink *sinks;
	size_t nsinks;
};

static void write_batch(struct emit *e, size_t n)
{
	uint64_t stored = 0, store_errors = 0, sink_errors = 0;

	if (e->store != NULL) {
		if (store_write(e->store, e->run_id, e->batch, n) == 0) {
			stored = n;
			e->store_failing = false;
		} else {
			store_errors = 1;
			/* The run goes on: the sinks still get the records and the
			 * counters tell the operator what the database lost. */
			if (!e->store_failing)
				fprintf(stderr, "scanwatch: store: %s (batch of %zu not stored)\n",
				        store_error(e->store), n);
			e->store_failing = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < e->nsinks; k++)
			if (e->sinks[k].ops->write(e->sinks[k].state, &e->batch[i]) < 0)
				sink_errors++;
	for (size_t k = 0; k < e->nsinks; k++)
		if (e->sinks[k].ops->flush != NULL)
			e->sinks[k].ops->flush(e->sinks[k].state);

	pthread_mutex_lock(&e->mu);
	e->stats.stored += stored;
	e->stats.store_errors += store_errors;
	e->stats.sink_errors += sink_errors;
	e->busy = false;
	if (e->count == 0)
		pthread_cond_broadcast(&e->idle);
	pthread_mutex_unlock(&e->mu);
}

static void reopen_sinks(struct emit *e)
{
	uint64_t errors = 0;

	for (size_t k = 0; k < e->nsinks; k++) {
		if (e->sinks[k].ops->reopen == NULL)
			continue;
		if (e->sinks[k].ops->reopen(e->sinks[k].state) < 0) {
			fprintf(stderr,
			        "scanwatch: output %s: reopen failed, keeping the old one\n",
			        e->sinks[k].ops->name);
			errors++;
		}
	}
	pthread_mutex_lock(&e->mu);
	e->stats.sink_errors += errors;
	pthread_mutex_unlock(&e->mu);
}

static void timespec_add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool tick_due(const struct emit *e)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > e->next_tick.tv_sec ||
	       (now.tv_sec == e->next_tick.tv_sec && now.tv_nsec >= e->next_tick.tv_nsec);
}

/* Outside the mutex, like every sink call. */
static void tick_sinks(struct emit *e)
{
	clock_gettime(CLOCK_MONOTONIC, &e->next_tick);
	timespec_add_ms(&e->next_tick, EMIT_TICK_MS);
	for (size_t k = 0; k < e->nsinks; k++)
		if (e->sinks[k].ops->tick != NULL)
			e->sinks[k].ops->tick(e->sinks[k].state);
}

static void *writer_main(void *arg)
{
	struct emit *e = arg;

	for (;;) {
		bool reopen, done;
		size_t n, first;

		pthread_mutex_lock(&e->mu);
		while (e->count == 0 && !e->stopping && !e->reopen_pending) {
			if (!e->has_tick) {
				pthread_cond_wait(&e->not_empty, &e->mu);
				continue;
			}
			/* Sinks with a tick: sleep no longer than the next tick (the condition
			 * variable runs on CLOCK_MONOTONIC, see emit_start). */
			if (tick_due(e) ||
			    pthread_cond_timedwait(&e->not_empty, &e->mu, &e->next_tick) != 0)
				break;
		}
		reopen = e->reopen_pending;
		e->reopen_pending = false;
		n = e->count < e->batch_cap ? e->count : e->batch_cap;
		/* Copy out in two pieces at most: to the ring's end, then from its start. */
		first = e->cap - e->head < n ? e->cap - e->head : n;
		memcpy(e->batch, &e->ring[e->head], first * sizeof(*e->batch));
		memcpy(e->batch + first, e->ring, (n - first) * sizeof(*e->batch));
		e->head = (e->head + n) % e->cap;
		e->count -= n;
		e->stats.depth = (uint32_t)e->count;
		e->busy = n > 0;
		if (n > 0 && e->waiting_producers > 0)
			pthread_cond_broadcast(&e->not_full);
		/* Stop only once the queue is empty: emit_stop promises a full drain. */
		done = e->stopping && e->count == 0;
		pthread_mutex_unlock(&e->mu);

		/* Between batches, so a rotated file never receives half a batch. */
		if (reopen)
			reopen_sinks(e);
		if (n > 0)
			write_batch(e, n);
		if (e->has_tick && tick_due(e))
			tick_sinks(e);
		if (done)
			break;
	}
	return NULL;
}

struct emit *emit_start(struct store *store, int64_t run_id, struct emit_sink *sinks, size_t nsinks,
                        size_t capacity, bool block_when_full)
{
	struct emit *e;
	sigset_t all, old;
	pthread_condattr_t ca;
	int rc;

	if (capacity == 0 || capacity > UINT32_MAX || (nsinks > 0 && sinks == NULL))
		return NULL;
	for (size_t k = 0; k < nsinks; k++)
		if (sinks[k].ops == NULL || sinks[k].ops->write == NULL)
			return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->cap = capacity;
	e->batch_cap = capacity < EMIT_BATCH_MAX ? capacity : EMIT_BATCH_MAX;
	/* Preallocated once: the packet path never allocates to report a detection. */
	e->ring = calloc(capacity, sizeof(*e->ring));
	e->batch = calloc(e->batch_cap, sizeof(*e->batch));
	if (e->ring == NULL || e->batch == NULL)
		goto fail_mem;
	e->store = store;
	e->run_id = run_id;
	e->sinks = sinks;
	e->nsinks = nsinks;
	e->block_when_full = block_when_full;
	for (size_t k = 0; k < nsinks; k++)
		e->has_tick |= sinks[k].ops->tick != NULL;
	clock_gettime(CLOCK_MONOTONIC, &e->next_tick);
	timespec_add_ms(&e->next_tick, EMIT_TICK_MS);
	if (pthread_mutex_init(&e->mu, NULL) != 0)
		goto fail_mem;
	/* The tick deadline is monotonic: a wall-clock step must not stall or rush it. */
	if (pthread_condattr_init(&ca) != 0)
		goto fail_mutex;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0
	         ? pthread_cond_init(&e->not_empty, &ca)
	         : -1;
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto fail_mutex;
	if (pthread_cond_init(&e->not_full, NULL) != 0)
		goto fail_cond;
	if (pthread_cond_init(&e->idle, NULL) != 0)
		goto fail_cond2;
	/*
	 * The writer blocks every signal so SIGHUP/SIGINT/SIGTERM reach the main
	 * thread, which owns the lifecycle; the thread inherits this mask.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, writer_main, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		goto fail_cond3;
	return e;
fail_cond3:
	pthread_cond_destroy(&e->idle);
fail_cond2:
	pthread_cond_destroy(&e->not_full);
fail_cond:
	pthread_cond_destroy(&e->not_empty);
fail_mutex:
	pthread_mutex_destroy(&e->mu);
fail_mem:
	free(e->batch);
	free(e->ring);
	free(e);
	return NULL;
}

int emit_push(struct emit *e, const struct sw_detection *d)
{
	pthread_mutex_lock(&e->mu);
	if (e->count == e->cap) {
		if (!e->block_when_full) {
			/* Live mode: the packet path must never wait on disk or network. */
			e->stats.dropped++;
			pthread_mutex_unlock(&e->mu);
			return -1;
		}
		e->waiting_producers++;
		while (e->count == e->cap)
			pthread_cond_wait(&e->not_full, &e->mu);
		e->waiting_producers--;
	}
	e->ring[(e->head + e->count) % e->cap] = *d;
	e->count++;
	e->stats.pushed++;
	e->stats.depth = (uint32_t)e->count;
	if (e->stats.depth > e->stats.depth_max)
		e->stats.depth_max = e->stats.depth;
	/* The writer only sleeps on an empty queue, so only the first record needs a wake-up. */
	if (e->count == 1)
		pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

/*
 * Takes the mutex, so it is not async-signal-safe: a SIGHUP handler sets a
 * flag and the main loop calls this.
 */
void emit_reopen(struct emit *e)
{
	pthread_mutex_lock(&e->mu);
	e->reopen_pending = true;
	pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
}

void emit_flush(struct emit *e)
{
	pthread_mutex_lock(&e->mu);
	while (e->count > 0 || e->busy)
		pthread_cond_wait(&e->idle, &e->mu);
	pthread_mutex_unlock(&e->mu);
}

void emit_get_stats(struct emit *e, struct emit_stats *out)
{
	pthread_mutex_lock(&e->mu);
	*out = e->stats;
	pthread_mutex_unlock(&e->mu);
}

void emit_stop(struct emit *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->mu);
	e->stopping = true;
	pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->thread, NULL);
	pthread_cond_destroy(&e->idle);
	pthread_cond_destroy(&e->not_full);
	pthread_cond_destroy(&e->not_empty);
	pthread_mutex_destroy(&e->mu);
	free(e->batch);
	free(e->ring);
	free(e);
}
