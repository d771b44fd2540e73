/* emit.c — bounded detection queue and the writer thread that feeds the store and the sinks. */
#include "scanwatch/emit.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/defaults.h"
#include "scanwatch/evidence.h"

/*
 * Most records the writer takes per store transaction. Large enough that a
 * burst of detections costs a handful of commits, small enough that the
 * sinks see records within one transaction's latency.
 */
#define EMIT_BATCH_MAX 1024

/*
 * Longest a record waits in the queue for company before the writer takes it
 * (unless the writer is busy with an earlier batch). Waking the writer for
 * every record cost a futex wake-up and a context switch per detection and
 * a store transaction of one row; lingering this long lets a burst gather
 * into one batch and one commit. 10 ms is far below what a live operator
 * notices (tests/netns/test_live_detect allows 2 s) and below the ~100 ms
 * budget for live rows.
 */
#define EMIT_LINGER_MS 10

/*
 * Records waiting at which a producer wakes a lingering writer at once: a
 * half batch is enough to amortise the commit, and waking before the queue
 * fills keeps producers from blocking (replay) or dropping (live).
 */
#define EMIT_WAKE_BATCH (EMIT_BATCH_MAX / 2)

/*
 * How often the writer calls the sinks' tick callbacks when records are
 * scarce: a network sink retries its collector and sends its backlog then.
 * A quarter of the smallest reconnect backoff (0.5 s, net.c), so a collector
 * that comes back is found within a tick of its backoff expiring.
 */
#define EMIT_TICK_MS 250

/* What the writer is doing, so a producer signals it only when that helps. */
enum writer_state {
	WRITER_AWAKE,  /* working, or about to look at the queue: no signal needed */
	WRITER_IDLE,   /* asleep on an empty queue: the next record wakes it */
	WRITER_LINGER, /* asleep with records waiting: wake it at wake_at records */
};

/*
 * The ring holds cap records waiting plus up to batch_cap in flight: the
 * writer hands the sinks and the store the records where they lie (no copy
 * of 5.4 KiB a record) and gives the slots back after the batch, while
 * producers still find cap free places, exactly as with a separate batch
 * buffer. Ring order: [out, out + inflight) in flight, then [head, head +
 * count) waiting, head = out + inflight (mod ring_cap).
 */
struct emit {
	pthread_mutex_t mu;
	pthread_cond_t not_empty; /* writer waits: nothing to take, no stop, reopen or flush */
	pthread_cond_t not_full;  /* producers wait (replay mode): queue full */
	pthread_cond_t idle;      /* emit_flush waits: queue empty, no batch in flight */
	pthread_t thread;

	/* Ring of preallocated records, guarded by mu. */
	struct sw_detection *ring;
	size_t ring_cap;
	size_t cap;      /* most records waiting (the queue's capacity) */
	size_t head;     /* first waiting record */
	size_t count;    /* records waiting */
	size_t inflight; /* records the writer took and has not delivered yet */
	size_t waiting_producers;
	size_t flushers; /* emit_flush callers waiting: the writer must not linger */
	size_t batch_cap;
	size_t wake_at;           /* min(EMIT_WAKE_BATCH, batch_cap) */
	struct timespec first_at; /* CLOCK_MONOTONIC: when the oldest waiting record came */
	enum writer_state state;
	bool block_when_full;
	bool stopping;
	bool reopen_pending;
	bool sync_wanted;      /* emit_flush: bring the store's campaign rows up to date */
	size_t evidence_bytes; /* evidence packs owned by queued records */
	size_t evidence_limit; /* at most (emit_start) */
	struct emit_stats stats;

	/* Writer-private. */
	bool store_failing; /* to report a store failure once, not once per batch */
	bool has_tick; /* a store, or a sink with a tick callback: wake at least every EMIT_TICK_MS
	                */
	struct timespec next_tick; /* CLOCK_MONOTONIC */
	struct store *store;
	int64_t run_id;
	struct emit_sink *sinks;
	size_t nsinks;
};

/* Delivers the n records at ring[out...]: the store first, then every sink. */
static void write_batch(struct emit *e, const struct sw_detection *batch, size_t n)
{
	uint64_t stored = 0, store_errors = 0, sink_errors = 0;

	if (e->store != NULL) {
		if (store_write(e->store, e->run_id, batch, n) == 0) {
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
			if (e->sinks[k].ops->write(e->sinks[k].state, &batch[i]) < 0)
				sink_errors++;
	for (size_t k = 0; k < e->nsinks; k++)
		if (e->sinks[k].ops->flush != NULL)
			e->sinks[k].ops->flush(e->sinks[k].state);

	/* The records' evidence packs (emit_push's copies) are the queue's: done with. */
	size_t freed = 0;
	for (size_t i = 0; i < n; i++)
		if (batch[i].evidence) {
			freed += evidence_pack_size(batch[i].evidence);
			free((void *)batch[i].evidence);
		}

	pthread_mutex_lock(&e->mu);
	e->evidence_bytes -= freed;
	e->stats.stored += stored;
	e->stats.store_errors += store_errors;
	e->stats.sink_errors += sink_errors;
	/* The slots go back to the ring only now: the sinks read them above. */
	e->inflight = 0;
	if (e->count == 0) {
		/* Nothing waits and nothing is in flight: the next record takes the first slot,
		 * so the ring's pages a run touches are those of its deepest burst, not all of
		 * them in turn as records go round */
		e->head = 0;
		pthread_cond_broadcast(&e->idle);
	}
	if (freed > 0 && e->waiting_producers > 0) /* replay: evidence room (emit_push) */
		pthread_cond_broadcast(&e->not_full);
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

static bool time_reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static bool tick_due(const struct emit *e)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return time_reached(&now, &e->next_tick);
}

/*
 * The store's campaign rows that have lagged their members long enough (store_tick), or all
 * that lag (sync): a failure is reported like a batch's, once, and counted as a store error.
 */
static void tick_store(struct emit *e, bool sync)
{
	if (e->store == NULL)
		return;
	if ((sync ? store_campaigns_sync(e->store) : store_tick(e->store)) == 0)
		return;
	if (!e->store_failing)
		fprintf(stderr, "scanwatch: store: %s (campaign rows not brought up to date)\n",
		        store_error(e->store));
	e->store_failing = true;
	pthread_mutex_lock(&e->mu);
	e->stats.store_errors++;
	pthread_mutex_unlock(&e->mu);
}

/* Outside the mutex, like every sink call. */
static void tick_sinks(struct emit *e)
{
	clock_gettime(CLOCK_MONOTONIC, &e->next_tick);
	timespec_add_ms(&e->next_tick, EMIT_TICK_MS);
	tick_store(e, false);
	for (size_t k = 0; k < e->nsinks; k++)
		if (e->sinks[k].ops->tick != NULL)
			e->sinks[k].ops->tick(e->sinks[k].state);
}

/*
 * With mu held: sleeps until there is something to do, which is a batch of
 * wake_at records, a record that has waited EMIT_LINGER_MS, a stop, a
 * reopen, an emit_flush, or a tick that is due.
 */
static void writer_wait(struct emit *e)
{
	for (;;) {
		struct timespec now, until;

		if (e->stopping || e->reopen_pending || e->count >= e->wake_at ||
		    (e->count > 0 && e->flushers > 0) || e->sync_wanted)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (e->has_tick && time_reached(&now, &e->next_tick))
			break;
		if (e->count > 0) {
			until = e->first_at;
			timespec_add_ms(&until, EMIT_LINGER_MS);
			if (time_reached(&now, &until))
				break;
			if (e->has_tick && time_reached(&until, &e->next_tick))
				until = e->next_tick;
			e->state = WRITER_LINGER;
		} else {
			e->state = WRITER_IDLE;
			if (!e->has_tick) {
				pthread_cond_wait(&e->not_empty, &e->mu);
				continue;
			}
			until = e->next_tick;
		}
		/* The condition variable runs on CLOCK_MONOTONIC, see emit_start. */
		pthread_cond_timedwait(&e->not_empty, &e->mu, &until);
	}
	e->state = WRITER_AWAKE;
}

static void *writer_main(void *arg)
{
	struct emit *e = arg;

	for (;;) {
		bool reopen, done, sync;
		size_t n, out;

		pthread_mutex_lock(&e->mu);
		writer_wait(e);
		reopen = e->reopen_pending;
		e->reopen_pending = false;
		/* Contiguous records only (a batch may stop at the ring's end). */
		n = e->count < e->batch_cap ? e->count : e->batch_cap;
		if (n > e->ring_cap - e->head)
			n = e->ring_cap - e->head;
		out = e->head;
		e->head = (e->head + n) % e->ring_cap;
		e->count -= n;
		e->inflight = n;
		e->stats.depth = (uint32_t)e->count;
		/* The queue has room again (the ring keeps batch_cap slots for records in flight).
		 */
		if (n > 0 && e->waiting_producers > 0)
			pthread_cond_broadcast(&e->not_full);
		/*
		 * What is left came after the oldest record taken, so it has waited
		 * less than EMIT_LINGER_MS; its linger restarts now, which bounds any
		 * record's wait to twice EMIT_LINGER_MS plus the batch in flight.
		 */
		if (e->count > 0)
			clock_gettime(CLOCK_MONOTONIC, &e->first_at);
		/* Stop only once the queue is empty: emit_stop promises a full drain. */
		done = e->stopping && e->count == 0;
		/* A flush's sync comes after the last record it waits for. */
		sync = (e->sync_wanted || done) && e->count == 0;
		pthread_mutex_unlock(&e->mu);

		/* Between batches, so a rotated file never receives half a batch. */
		if (reopen)
			reopen_sinks(e);
		if (n > 0)
			write_batch(e, &e->ring[out], n);
		if (sync) {
			tick_store(e, true);
			pthread_mutex_lock(&e->mu);
			e->sync_wanted = false;
			pthread_cond_broadcast(&e->idle);
			pthread_mutex_unlock(&e->mu);
		}
		if (e->has_tick && tick_due(e))
			tick_sinks(e);
		if (done)
			break;
	}
	return NULL;
}

/* With mu held: sz more evidence bytes would pass the limit while the queue holds some (a
 * pack alone over the limit never waits: it goes without its packets). */
static bool evidence_must_wait(const struct emit *e, size_t sz)
{
	return e->evidence_bytes > 0 && e->evidence_bytes + sz > e->evidence_limit;
}

uint64_t emit_ring_bytes(size_t capacity)
{
	size_t batch = capacity < EMIT_BATCH_MAX ? capacity : EMIT_BATCH_MAX;
	return ((uint64_t)capacity + batch) * sizeof(struct sw_detection);
}

void emit_plan_for(uint64_t share, struct emit_plan *out)
{
	uint64_t ev = share / 2;
	if (ev > SW_EMIT_EVIDENCE_BYTES)
		ev = SW_EMIT_EVIDENCE_BYTES;
	if (ev < SW_EMIT_EVIDENCE_MIN)
		ev = SW_EMIT_EVIDENCE_MIN;
	/* the ring: capacity records waiting and min(capacity, EMIT_BATCH_MAX) in flight */
	uint64_t slots = (share > ev ? share - ev : 0) / sizeof(struct sw_detection);
	uint64_t cap = slots <= 2 * EMIT_BATCH_MAX ? slots / 2 : slots - EMIT_BATCH_MAX;
	if (cap < SW_EMIT_QUEUE_MIN)
		cap = SW_EMIT_QUEUE_MIN;
	if (cap > SW_EMIT_QUEUE)
		cap = SW_EMIT_QUEUE;
	out->records = (size_t)cap;
	out->evidence_bytes = (size_t)ev;
	out->bytes = emit_ring_bytes(out->records) + ev;
}

struct emit *emit_start(struct store *store, int64_t run_id, struct emit_sink *sinks, size_t nsinks,
                        size_t capacity, size_t evidence_limit, bool block_when_full)
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
	e->evidence_limit = evidence_limit;
	e->batch_cap = capacity < EMIT_BATCH_MAX ? capacity : EMIT_BATCH_MAX;
	e->wake_at = e->batch_cap < EMIT_WAKE_BATCH ? e->batch_cap : EMIT_WAKE_BATCH;
	e->ring_cap = capacity + e->batch_cap;
	/* Preallocated once: the packet path never allocates to report a detection. */
	e->ring = calloc(e->ring_cap, sizeof(*e->ring));
	if (e->ring == NULL)
		goto fail_mem;
	e->store = store;
	e->run_id = run_id;
	e->sinks = sinks;
	e->nsinks = nsinks;
	e->block_when_full = block_when_full;
	e->has_tick = store != NULL;
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
	free(e->ring);
	free(e);
	return NULL;
}

int emit_push(struct emit *e, const struct sw_detection *d)
{
	size_t sz = d->evidence ? evidence_pack_size(d->evidence) : 0;

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
	/*
	 * Replay: a record's packets wait for room in the evidence bound as the record waits
	 * for a slot, so what a replay keeps does not depend on how fast the writer is (with
	 * --db and --jsonl, capture D's database got 129,232 to 131,911 of its 138,743
	 * evidence packets from run to run). The writer is told to take its queue now, as for
	 * emit_flush, and says when it has freed packets; a pack alone over the bound still goes
	 * without them. One thread pushes, so the queue only shrinks meanwhile.
	 */
	if (e->block_when_full && sz > 0 && evidence_must_wait(e, sz)) {
		e->waiting_producers++;
		e->flushers++;
		if (e->state != WRITER_AWAKE) {
			e->state = WRITER_AWAKE;
			pthread_cond_signal(&e->not_empty);
		}
		while (evidence_must_wait(e, sz))
			pthread_cond_wait(&e->not_full, &e->mu);
		e->flushers--;
		e->waiting_producers--;
	}
	if (e->count == 0)
		clock_gettime(CLOCK_MONOTONIC, &e->first_at);
	struct sw_detection *slot = &e->ring[(e->head + e->count) % e->ring_cap];
	*slot = *d;
	slot->evidence = NULL;
	if (d->evidence) {
		/*
		 * The packets are the engine's until the call returns: the queue keeps a copy
		 * (one allocation per OPEN or CLOSE, never per packet), within a byte bound so
		 * a burst of detections cannot grow the queue past it.
		 */
		if (e->evidence_bytes + sz <= e->evidence_limit &&
		    (slot->evidence = evidence_pack_dup(d->evidence)) != NULL)
			e->evidence_bytes += sz;
		else
			e->stats.evidence_dropped += d->evidence->n;
	}
	e->count++;
	e->stats.pushed++;
	e->stats.depth = (uint32_t)e->count;
	if (e->stats.depth > e->stats.depth_max)
		e->stats.depth_max = e->stats.depth;
	/*
	 * An idle writer learns of the first record (and starts its linger
	 * clock); a lingering one only of a full half batch. One signal each:
	 * the writer is marked awake until it sleeps again.
	 */
	if (e->state == WRITER_IDLE || (e->state == WRITER_LINGER && e->count >= e->wake_at)) {
		e->state = WRITER_AWAKE;
		pthread_cond_signal(&e->not_empty);
	}
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
	/* A lingering writer would get there on its own; a flush should not wait for it. */
	e->flushers++;
	e->sync_wanted = e->store != NULL;
	pthread_cond_signal(&e->not_empty);
	while (e->count > 0 || e->inflight > 0 || e->sync_wanted)
		pthread_cond_wait(&e->idle, &e->mu);
	e->flushers--;
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
	free(e->ring);
	free(e);
}
