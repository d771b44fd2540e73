/* test_handoff.c — the ring between the packet thread and the detection thread: every message
 * arrives once, whole and in order, whichever side is the slower, and neither side sleeps for
 * ever (a lost wake-up hangs the test, which ctest's timeout then fails). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "scanwatch/handoff.h"

struct slot {
	uint64_t seq;
	uint64_t sum; /* of the payload, so a torn message shows */
	uint8_t payload[48];
};

struct run {
	struct handoff *h;
	uint64_t n;
	unsigned slow_producer, slow_consumer; /* pause every 2^k messages (0: never) */
	uint64_t bad_order, bad_sum, got;
};

static void pause_briefly(void)
{
	struct timespec t = {0, 20000};
	nanosleep(&t, NULL);
}

static void fill(struct slot *s, uint64_t seq)
{
	s->seq = seq;
	s->sum = 0;
	for (size_t i = 0; i < sizeof s->payload; i++) {
		s->payload[i] = (uint8_t)(seq * 31 + i);
		s->sum += s->payload[i];
	}
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	for (uint64_t i = 0; i < r->n; i++) {
		const struct slot *s = handoff_peek(r->h);
		uint64_t sum = 0;
		for (size_t j = 0; j < sizeof s->payload; j++)
			sum += s->payload[j];
		if (s->seq != i)
			r->bad_order++;
		if (sum != s->sum)
			r->bad_sum++;
		handoff_release(r->h);
		r->got++;
		if (r->slow_consumer && (i & ((1u << r->slow_consumer) - 1)) == 0)
			pause_briefly();
	}
	return NULL;
}

static void run_pair(const char *what, size_t slots, uint64_t n, unsigned slow_p, unsigned slow_c,
                     unsigned flush_every)
{
	struct run r = {.n = n, .slow_producer = slow_p, .slow_consumer = slow_c};
	pthread_t t;
	struct handoff_stats st;

	r.h = handoff_create(slots, sizeof(struct slot));
	CHECK(r.h != NULL);
	if (!r.h)
		return;
	CHECK(pthread_create(&t, NULL, consumer, &r) == 0);
	for (uint64_t i = 0; i < n; i++) {
		fill(handoff_reserve(r.h), i);
		handoff_commit(r.h);
		if (flush_every && i % flush_every == 0)
			handoff_flush(r.h);
		if (slow_p && (i & ((1u << slow_p) - 1)) == 0)
			pause_briefly();
	}
	handoff_flush(r.h); /* the last partial batch */
	pthread_join(t, NULL);
	handoff_get_stats(r.h, &st);
	printf("%s: %llu messages, producer waited %llu times, consumer %llu, deepest %llu\n", what,
	       (unsigned long long)st.messages, (unsigned long long)st.producer_waits,
	       (unsigned long long)st.consumer_waits, (unsigned long long)st.max_depth);
	CHECK_EQ_U(r.got, n);
	CHECK_EQ_U(r.bad_order, 0);
	CHECK_EQ_U(r.bad_sum, 0);
	CHECK_EQ_U(st.messages, n);
	CHECK(st.max_depth <= (slots < 2 * HANDOFF_BATCH ? 2 * HANDOFF_BATCH : slots));
	if (slow_c && !slow_p)
		CHECK(st.producer_waits > 0); /* the ring filled: the full path was taken */
	if (slow_p && !slow_c)
		CHECK(st.consumer_waits > 0); /* it emptied: the consumer slept and was woken */
	handoff_destroy(r.h);
}

/* One thread alone: what is committed is invisible until a batch fills or a flush. */
static void test_batching(void)
{
	struct handoff *h = handoff_create(1, sizeof(struct slot));
	struct handoff_stats st;

	CHECK(h != NULL);
	if (!h)
		return;
	for (uint64_t i = 0; i < 3; i++) {
		fill(handoff_reserve(h), i);
		handoff_commit(h);
	}
	handoff_get_stats(h, &st);
	CHECK_EQ_U(st.messages, 3);
	CHECK_EQ_U(st.max_depth, 0); /* nothing published yet */
	handoff_flush(h);
	for (uint64_t i = 0; i < 3; i++) {
		const struct slot *s = handoff_peek(h);
		CHECK_EQ_U(s->seq, i);
		handoff_release(h);
	}
	handoff_get_stats(h, &st);
	CHECK_EQ_U(st.max_depth, 3);
	CHECK_EQ_U(st.consumer_waits, 0);
	/* a full batch publishes by itself */
	for (uint64_t i = 0; i < HANDOFF_BATCH; i++) {
		fill(handoff_reserve(h), 100 + i);
		handoff_commit(h);
	}
	for (uint64_t i = 0; i < HANDOFF_BATCH; i++) {
		const struct slot *s = handoff_peek(h);
		CHECK_EQ_U(s->seq, 100 + i);
		handoff_release(h);
	}
	handoff_get_stats(h, &st);
	CHECK_EQ_U(st.consumer_waits, 0);
	CHECK(handoff_bytes(1, sizeof(struct slot)) >= 2 * HANDOFF_BATCH * sizeof(struct slot));
	handoff_destroy(h);
}

int main(void)
{
	test_batching();
	/* the smallest ring (two batches), both sides at full speed */
	run_pair("equal", 1, 2000000, 0, 0, 0);
	/* a slow consumer: the producer fills the ring and sleeps */
	run_pair("slow consumer", 128, 20000, 0, 4, 0);
	/* a slow producer that flushes as the live loop does: the consumer sleeps */
	run_pair("slow producer", 4096, 20000, 4, 0, 7);
	/* both pause, in turn: every wake-up path */
	run_pair("both slow", 128, 20000, 5, 6, 13);
	CHECK_DONE();
}
