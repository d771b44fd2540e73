/* test_emit.c — the emit queue and writer thread: ordering, blocking, drops, errors, reopen. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/defaults.h"
#include "scanwatch/emit.h"
#include "scanwatch/evidence.h"

/* Upper bound on any wait for the writer thread: a hang fails the test instead of stalling. */
#define WAIT_LIMIT_S 60

static char dir[] = "/tmp/sw-test-emit-XXXXXX";
static char dbpath[256];

/*
 * A sink that counts what it gets and checks the order per producer (the
 * high bits of seq name the producer). It can be told to block in write
 * until released, and to fail writes of odd sequence numbers.
 */
struct test_sink {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t writes, flushes, reopens, closes;
	uint64_t evidence; /* evidence packets the records carried */
	uint64_t next[8];  /* next expected seq low part per producer */
	uint64_t out_of_order;
	bool block, entered, released;
	bool fail_odd;
};

#define SEQ_PRODUCER_SHIFT 40

static struct test_sink *sink_new(void)
{
	struct test_sink *t = calloc(1, sizeof(*t));

	if (t == NULL)
		abort();
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	for (int i = 0; i < 8; i++)
		t->next[i] = 1;
	return t;
}

static void sink_free(struct test_sink *t)
{
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static int sink_write(void *state, const struct sw_detection *d)
{
	struct test_sink *t = state;
	unsigned p = (unsigned)(d->seq >> SEQ_PRODUCER_SHIFT) & 7;
	uint64_t low = d->seq & ((1ull << SEQ_PRODUCER_SHIFT) - 1);
	int ret = 0;

	pthread_mutex_lock(&t->mu);
	if (t->block && !t->released) {
		t->entered = true;
		pthread_cond_broadcast(&t->cv);
		while (!t->released)
			pthread_cond_wait(&t->cv, &t->mu);
	}
	if (low != t->next[p])
		t->out_of_order++;
	t->next[p] = low + 1;
	t->writes++;
	if (d->evidence)
		t->evidence += d->evidence->n;
	pthread_cond_broadcast(&t->cv); /* sink_wait on writes */
	if (t->fail_odd && (d->seq & 1))
		ret = -1;
	pthread_mutex_unlock(&t->mu);
	return ret;
}

static void sink_flush(void *state)
{
	struct test_sink *t = state;

	pthread_mutex_lock(&t->mu);
	t->flushes++;
	pthread_mutex_unlock(&t->mu);
}

static int sink_reopen(void *state)
{
	struct test_sink *t = state;

	pthread_mutex_lock(&t->mu);
	t->reopens++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static const struct output_ops test_ops = {
    .name = "test",
    .write = sink_write,
    .flush = sink_flush,
    .reopen = sink_reopen,
};

/* Waits (bounded) until *flag or *counter reaches want; 0 on success, -1 on timeout. */
static int sink_wait(struct test_sink *t, const bool *flag, const uint64_t *counter, uint64_t want)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_LIMIT_S;
	pthread_mutex_lock(&t->mu);
	while (rc == 0 && (flag ? !*flag : *counter < want))
		rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
	pthread_mutex_unlock(&t->mu);
	return rc == 0 ? 0 : -1;
}

static void make(struct sw_detection *d, uint64_t seq)
{
	static const uint8_t src[4] = {198, 18, 0, 2}, dst[4] = {198, 18, 1, 2};

	memset(d, 0, sizeof(*d));
	d->seq = seq;
	d->phase = DET_OPEN;
	d->kind = (uint8_t)(seq % KIND__COUNT);
	d->severity = SEV_LOW + (uint8_t)(seq % 4);
	d->proto = 6;
	d->has_target = 1;
	addr_from_v4(&d->src, src);
	addr_from_v4(&d->target, dst);
	snprintf(d->rule_id, sizeof(d->rule_id), "SW-TEST-%03u", (unsigned)(seq % 1000));
	snprintf(d->rule_name, sizeof(d->rule_name), "test rule");
	d->first_seen = d->opened_at = d->last_seen = 1795667309000000ull + seq;
	d->probes = d->probes_at_open = 5;
	d->distinct_targets = 1;
	d->distinct_ports = 5;
	detection_reason(d, "text", seq, "record %llu", (unsigned long long)seq);
}

static int64_t query_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Replay mode: 100000 records through a small queue, nothing lost, order kept. */
static void test_blocking(struct store *s, int64_t run)
{
	enum { N = 100000 };
	struct test_sink *t = sink_new();
	struct emit_sink sinks[1] = {{&test_ops, t}};
	struct emit_stats st;
	struct emit *e = emit_start(s, run, sinks, 1, 256, SW_EMIT_EVIDENCE_BYTES, true);
	struct sw_detection d;
	int refused = 0;

	CHECK(e != NULL);
	if (e == NULL)
		return;
	for (uint64_t i = 1; i <= N; i++) {
		make(&d, i);
		if (emit_push(e, &d) != 0)
			refused++;
	}
	CHECK_EQ_U(refused, 0);
	emit_flush(e);
	emit_get_stats(e, &st);
	CHECK_EQ_U(st.pushed, N);
	CHECK_EQ_U(st.dropped, 0);
	CHECK_EQ_U(st.stored, N);
	CHECK_EQ_U(st.store_errors, 0);
	CHECK_EQ_U(st.sink_errors, 0);
	CHECK_EQ_U(st.depth, 0);
	CHECK(st.depth_max >= 1 && st.depth_max <= 256);
	/* Everything the writer had was delivered before emit_flush returned. */
	CHECK_EQ_U(t->writes, N);
	emit_stop(e);
	CHECK_EQ_U(t->writes, N);
	CHECK_EQ_U(t->out_of_order, 0);
	CHECK(t->flushes >= 1 && t->flushes <= N);
	CHECK_EQ_U(query_int("SELECT count(*) FROM detections"), N);
	CHECK_EQ_U(query_int("SELECT max(seq) FROM detections"), N);
	CHECK_EQ_U(query_int("SELECT count(DISTINCT seq) FROM detections"), N);
	printf("blocking: depth_max %u, %llu sink flushes (batches)\n", st.depth_max,
	       (unsigned long long)t->flushes);
	sink_free(t);
}

/* Several producer threads into a queue of 3: exercises the full/empty wake-ups. */
struct producer {
	struct emit *e;
	unsigned id;
	unsigned n;
	unsigned refused;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct sw_detection d;

	for (uint64_t i = 1; i <= p->n; i++) {
		make(&d, ((uint64_t)p->id << SEQ_PRODUCER_SHIFT) | i);
		if (emit_push(p->e, &d) != 0)
			p->refused++;
	}
	return NULL;
}

static void test_producers(void)
{
	enum { P = 4, N = 20000 };
	struct test_sink *t = sink_new();
	struct emit_sink sinks[1] = {{&test_ops, t}};
	struct emit *e = emit_start(NULL, 0, sinks, 1, 3, SW_EMIT_EVIDENCE_BYTES, true);
	struct producer prod[P];
	pthread_t th[P];

	CHECK(e != NULL);
	if (e == NULL)
		return;
	for (unsigned i = 0; i < P; i++) {
		prod[i] = (struct producer){e, i + 1, N, 0};
		CHECK(pthread_create(&th[i], NULL, producer_main, &prod[i]) == 0);
	}
	for (unsigned i = 0; i < P; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_U(prod[i].refused, 0);
	}
	emit_stop(e); /* drains: all records reach the sink */
	CHECK_EQ_U(t->writes, (uint64_t)P * N);
	CHECK_EQ_U(t->out_of_order, 0); /* per-producer order survives interleaving */
	sink_free(t);
}

/* Live mode: while the writer is stuck in a sink, exactly `capacity` more records fit. */
static void test_dropping(struct store *s, int64_t run)
{
	enum { CAP = 4, ATTEMPTS = 100 };
	struct test_sink *t = sink_new();
	struct emit_sink sinks[1] = {{&test_ops, t}};
	struct emit_stats st;
	struct emit *e = emit_start(s, run, sinks, 1, CAP, SW_EMIT_EVIDENCE_BYTES, false);
	struct sw_detection d;
	uint64_t accepted = 0, refused = 0, base = 1ull << SEQ_PRODUCER_SHIFT; /* producer 1 */
	int64_t rows_before = query_int("SELECT count(*) FROM detections");

	CHECK(e != NULL);
	if (e == NULL)
		return;
	t->block = true;
	make(&d, base | 1);
	CHECK(emit_push(e, &d) == 0);
	/* The writer has taken record 1 out of the queue and is held inside the sink. */
	CHECK(sink_wait(t, &t->entered, NULL, 0) == 0);
	for (uint64_t i = 0; i < ATTEMPTS; i++) {
		make(&d, base | (2 + accepted));
		if (emit_push(e, &d) == 0)
			accepted++;
		else
			refused++;
	}
	CHECK_EQ_U(accepted, CAP);
	CHECK_EQ_U(refused, ATTEMPTS - CAP);
	emit_get_stats(e, &st);
	CHECK_EQ_U(st.pushed, 1 + CAP);
	CHECK_EQ_U(st.dropped, ATTEMPTS - CAP);
	CHECK_EQ_U(st.pushed + st.dropped, 1 + ATTEMPTS);
	CHECK_EQ_U(st.depth, CAP);
	CHECK_EQ_U(st.depth_max, CAP);

	pthread_mutex_lock(&t->mu);
	t->released = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	emit_flush(e);
	emit_get_stats(e, &st);
	CHECK_EQ_U(st.stored, 1 + CAP);
	CHECK_EQ_U(st.depth, 0);
	emit_stop(e);
	CHECK_EQ_U(t->writes, 1 + CAP);
	CHECK_EQ_U(t->out_of_order, 0);
	CHECK_EQ_U(query_int("SELECT count(*) FROM detections"), rows_before + 1 + CAP);
	sink_free(t);
}

/*
 * Replay: records whose evidence packets pass SW_EMIT_EVIDENCE_BYTES while the writer is
 * held wait for it instead of going without them, so a replay keeps the same packets
 * whatever the writer's speed. The writer is held in the sink on record 1 while a producer
 * thread pushes; once the producer has pushed as many packs as the bound holds less one
 * (it cannot block before that), the sink is let go. Before emit.c waited for evidence room
 * the producer ran on past the bound and its later records lost their packets.
 */
struct ev_producer {
	struct emit *e;
	const struct evidence_pack *pack;
	unsigned n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned pushed;
};

static void *ev_producer_main(void *arg)
{
	struct ev_producer *p = arg;
	struct sw_detection d;

	for (unsigned i = 0; i < p->n; i++) {
		make(&d, 2 + i);
		d.evidence = p->pack;
		CHECK(emit_push(p->e, &d) == 0);
		pthread_mutex_lock(&p->mu);
		p->pushed++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static void test_evidence_bound(void)
{
	enum { PKTS = EVIDENCE_HEAD + EVIDENCE_TAIL };
	struct test_sink *t = sink_new();
	struct emit_sink sinks[1] = {{&test_ops, t}};
	struct evidence_pack *pack = evidence_pack_new(PKTS);
	struct emit_stats st;
	struct sw_detection d;
	pthread_t th;

	CHECK(pack != NULL);
	if (pack == NULL)
		return;
	pack->n = PKTS;
	size_t sz = evidence_pack_size(pack);
	unsigned fit = (unsigned)(SW_EMIT_EVIDENCE_BYTES / sz); /* packs the bound holds */
	struct ev_producer p = {.pack = pack, .n = 3 * fit};
	/* the queue holds every record: only the evidence bound can hold the producer back */
	struct emit *e = emit_start(NULL, 0, sinks, 1, 4 * fit, SW_EMIT_EVIDENCE_BYTES, true);
	CHECK(e != NULL);
	if (e == NULL)
		return;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.e = e;
	t->block = true;
	make(&d, 1);
	d.evidence = pack;
	CHECK(emit_push(e, &d) == 0);
	CHECK(sink_wait(t, &t->entered, NULL, 0) == 0); /* the writer holds record 1 */
	CHECK(pthread_create(&th, NULL, ev_producer_main, &p) == 0);
	pthread_mutex_lock(&p.mu);
	while (p.pushed + 1 < fit - 1) /* record 1's pack counts too */
		pthread_cond_wait(&p.cv, &p.mu);
	pthread_mutex_unlock(&p.mu);
	pthread_mutex_lock(&t->mu);
	t->released = true;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(th, NULL);
	emit_flush(e);
	emit_get_stats(e, &st);
	CHECK_EQ_U(st.pushed, 1 + p.n);
	CHECK_EQ_U(st.evidence_dropped, 0);
	emit_stop(e);
	CHECK_EQ_U(t->writes, 1 + p.n);
	CHECK_EQ_U(t->evidence, (uint64_t)(1 + p.n) * PKTS);
	CHECK_EQ_U(t->out_of_order, 0);
	printf("evidence bound: %u records of %zu-byte packs (%u fit the bound), none dropped\n",
	       1 + p.n, sz, fit);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(pack);
	sink_free(t);
}

/* SIGHUP path, and failures of the store and of sinks are counted, not fatal. */
static void test_reopen_and_errors(struct store *s, int64_t run)
{
	struct test_sink *t = sink_new(), *t2 = sink_new();
	struct emit_sink sinks[2] = {{&test_ops, t}, {&test_ops, t2}};
	struct emit_stats st;
	struct emit *e = emit_start(s, run, sinks, 2, 16, SW_EMIT_EVIDENCE_BYTES, true);
	struct sw_detection d;
	uint64_t base = 2ull << SEQ_PRODUCER_SHIFT;

	CHECK(e != NULL);
	if (e == NULL)
		return;
	emit_reopen(e);
	CHECK(sink_wait(t, NULL, &t->reopens, 1) == 0);
	CHECK(sink_wait(t2, NULL, &t2->reopens, 1) == 0);
	CHECK_EQ_U(t->reopens, 1);

	t2->fail_odd = true;
	for (uint64_t i = 1; i <= 10; i++) {
		make(&d, base | i);
		CHECK(emit_push(e, &d) == 0);
	}
	emit_flush(e);
	make(&d, base | 11);
	d.kind = KIND__COUNT; /* the store's CHECK refuses this batch */
	CHECK(emit_push(e, &d) == 0);
	emit_flush(e);
	make(&d, base | 12);
	CHECK(emit_push(e, &d) == 0); /* and the store works again */
	emit_flush(e);
	emit_get_stats(e, &st);
	CHECK_EQ_U(st.pushed, 12);
	CHECK_EQ_U(st.stored, 11);
	CHECK_EQ_U(st.store_errors, 1);
	CHECK_EQ_U(st.sink_errors, 6); /* odd seqs 1..11 in the second sink */
	emit_reopen(e);
	emit_stop(e); /* a reopen asked for before stop is still carried out */
	CHECK_EQ_U(t->reopens, 2);
	CHECK_EQ_U(t->writes, 12);
	CHECK_EQ_U(t2->writes, 12);
	CHECK_EQ_U(query_int("SELECT count(*) FROM detections WHERE seq >= 2199023255552"), 11);

	/* Bad arguments are refused. */
	CHECK(emit_start(NULL, 0, NULL, 0, 0, SW_EMIT_EVIDENCE_BYTES, false) == NULL);
	CHECK(emit_start(NULL, 0, NULL, 1, 8, SW_EMIT_EVIDENCE_BYTES, false) == NULL);
	/* No store and no sinks: records are just counted. */
	e = emit_start(NULL, 0, NULL, 0, 1, SW_EMIT_EVIDENCE_BYTES, false);
	CHECK(e != NULL);
	if (e != NULL) {
		CHECK(emit_push(e, &d) == 0);
		emit_flush(e);
		emit_get_stats(e, &st);
		CHECK_EQ_U(st.pushed, 1);
		CHECK_EQ_U(st.stored, 0);
		emit_stop(e);
	}
	sink_free(t);
	sink_free(t2);
}

/*
 * The writer's share of the memory cap (SW_EMIT_SHARE): whatever the share, the plan stays
 * within the bounds, takes no more than the share once the share holds the minimums, grows
 * with it, and reaches the maxima for a large one.
 */
static void test_plan(void)
{
	uint64_t floor_bytes = emit_ring_bytes(SW_EMIT_QUEUE_MIN) + SW_EMIT_EVIDENCE_MIN;
	struct emit_plan last = {0, 0, 0};
	for (uint64_t share = 1024; share <= (4ULL << 30); share = share * 3 / 2) {
		struct emit_plan p;
		emit_plan_for(share, &p);
		CHECK(p.records >= SW_EMIT_QUEUE_MIN && p.records <= SW_EMIT_QUEUE);
		CHECK(p.evidence_bytes >= SW_EMIT_EVIDENCE_MIN &&
		      p.evidence_bytes <= SW_EMIT_EVIDENCE_BYTES);
		CHECK_EQ_U(p.bytes, emit_ring_bytes(p.records) + p.evidence_bytes);
		if (share >= floor_bytes)
			CHECK(p.bytes <= share);
		CHECK(p.records >= last.records && p.evidence_bytes >= last.evidence_bytes);
		last = p;
	}
	CHECK_EQ_U(last.records, SW_EMIT_QUEUE);
	CHECK_EQ_U(last.evidence_bytes, SW_EMIT_EVIDENCE_BYTES);
	/* the ring is the records and a batch in flight: more records, more bytes */
	CHECK(emit_ring_bytes(2) > emit_ring_bytes(1));
	CHECK_EQ_U(emit_ring_bytes(1), 2 * sizeof(struct sw_detection));
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Live latency: the writer gathers records into batches for a few
 * milliseconds, but a lone record must still reach the store and the sinks
 * on its own, without emit_flush, and promptly (the bound is generous for a
 * loaded test machine; the writer's linger is 10 ms). Then a burst: all of
 * it arrives, in order, in fewer batches than records.
 */
static void test_lone_record(struct store *s, int64_t run)
{
	enum { BURST = 3000 };
	struct test_sink *t = sink_new();
	struct emit_sink sinks[1] = {{&test_ops, t}};
	struct emit *e = emit_start(s, run, sinks, 1, 8192, SW_EMIT_EVIDENCE_BYTES, false);
	struct sw_detection d;
	uint64_t base = 3ull << SEQ_PRODUCER_SHIFT; /* producer 3 */
	int64_t rows_before = query_int("SELECT count(*) FROM detections");
	double t0, waited;

	CHECK(e != NULL);
	if (e == NULL)
		return;
	make(&d, base | 1);
	t0 = mono_s();
	CHECK(emit_push(e, &d) == 0);
	CHECK(sink_wait(t, NULL, &t->writes, 1) == 0);
	waited = mono_s() - t0;
	printf("lone record: delivered after %.1f ms\n", waited * 1e3);
	CHECK(waited < 1.0);
	CHECK_EQ_U(query_int("SELECT count(*) FROM detections"), rows_before + 1);
	for (uint64_t i = 2; i <= BURST + 1; i++) {
		make(&d, base | i);
		CHECK(emit_push(e, &d) == 0);
	}
	CHECK(sink_wait(t, NULL, &t->writes, BURST + 1) == 0);
	/* The writer flushes the sink after its last write: read the counts once it is joined. */
	emit_stop(e);
	CHECK_EQ_U(t->out_of_order, 0);
	CHECK(t->flushes >= 2);
	printf("burst of %d: %llu batches\n", BURST, (unsigned long long)t->flushes - 1);
	CHECK(t->flushes - 1 < BURST);
	CHECK_EQ_U(query_int("SELECT count(*) FROM detections"), rows_before + 1 + BURST);
	sink_free(t);
}

int main(void)
{
	char err[256];
	struct store *s;
	int64_t run;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/emit.db", dir);
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK_DONE();
	}
	run = store_run_begin(s, "test", NULL, 1);
	CHECK(run > 0);

	test_plan();
	test_blocking(s, run);
	test_producers();
	test_dropping(s, run);
	test_evidence_bound();
	test_reopen_and_errors(s, run);
	test_lone_record(s, run);

	store_close(s);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
		unlink(dbpath);
		rmdir(dir);
	}
	CHECK_DONE();
}
