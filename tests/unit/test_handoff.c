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

/* ---- the byte ring: records of any size ---- */

/* Record i's length and bytes, from i alone: sizes from 0 to the ring's largest, most small
 * (packets), some large, so the wrap at the end of the ring meets every alignment. */
static size_t rec_len(uint64_t i, size_t max)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	if (i % 97 == 0)
		return max - (size_t)(x % 64); /* at or near the largest record */
	return (size_t)(x % 300);
}

static uint8_t rec_byte(uint64_t i, size_t j)
{
	return (uint8_t)(i * 131 + j * 7 + (j >> 8));
}

struct brun {
	struct handoff *h;
	uint64_t n;
	unsigned slow_consumer;
	uint64_t bad_len, bad_byte, got;
};

static void *bconsumer(void *arg)
{
	struct brun *r = arg;
	size_t max = handoff_max_record(r->h);
	for (uint64_t i = 0; i < r->n; i++) {
		size_t n;
		const uint8_t *p = handoff_peek_bytes(r->h, &n);
		if (((uintptr_t)p & 7) != 0 || n != rec_len(i, max))
			r->bad_len++;
		else
			for (size_t j = 0; j < n; j++)
				if (p[j] != rec_byte(i, j)) {
					r->bad_byte++;
					break;
				}
		handoff_release_bytes(r->h);
		r->got++;
		if (r->slow_consumer && (i & ((1u << r->slow_consumer) - 1)) == 0)
			pause_briefly();
	}
	return NULL;
}

static void run_bytes(const char *what, size_t bytes, uint64_t n, unsigned slow_p, unsigned slow_c)
{
	struct brun r = {.n = n, .slow_consumer = slow_c};
	pthread_t t;
	struct handoff_stats st;
	r.h = handoff_create_bytes(bytes);
	CHECK(r.h != NULL);
	if (!r.h)
		return;
	size_t max = handoff_max_record(r.h);
	CHECK(max + 8 >= bytes / 2);
	CHECK(pthread_create(&t, NULL, bconsumer, &r) == 0);
	for (uint64_t i = 0; i < n; i++) {
		size_t len = rec_len(i, max);
		uint8_t *p = handoff_reserve_bytes(r.h, len);
		for (size_t j = 0; j < len; j++)
			p[j] = rec_byte(i, j);
		handoff_commit_bytes(r.h);
		if (slow_p && (i & ((1u << slow_p) - 1)) == 0)
			pause_briefly();
	}
	handoff_flush(r.h);
	pthread_join(t, NULL);
	handoff_get_stats(r.h, &st);
	printf("%s: %llu records, producer waited %llu times, consumer %llu\n", what,
	       (unsigned long long)st.messages, (unsigned long long)st.producer_waits,
	       (unsigned long long)st.consumer_waits);
	CHECK_EQ_U(r.got, n);
	CHECK_EQ_U(r.bad_len, 0);
	CHECK_EQ_U(r.bad_byte, 0);
	CHECK_EQ_U(st.messages, n);
	if (slow_c && !slow_p)
		CHECK(st.producer_waits > 0);
	if (slow_p && !slow_c)
		CHECK(st.consumer_waits > 0);
	handoff_destroy(r.h);
}

/* One thread: a record is seen only once published, and a consumer found asleep is given
 * each record at once (the live reader's quiet spells, readahead.c). */
static void test_bytes_alone(void)
{
	struct handoff *h = handoff_create_bytes(1);
	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(handoff_max_record(h) >= 8 * 1024 - 8); /* 16 KiB at least */
	struct handoff_stats st;
	memcpy(handoff_reserve_bytes(h, 5), "hello", 5);
	handoff_commit_bytes(h);
	handoff_get_stats(h, &st);
	CHECK_EQ_U(st.max_depth, 0); /* committed, not published */
	handoff_flush(h);
	size_t n = 0;
	const char *p = handoff_peek_bytes(h, &n);
	CHECK_EQ_U(n, 5);
	CHECK(memcmp(p, "hello", 5) == 0);
	handoff_release_bytes(h);
	/* an empty record, then one that has to wrap */
	handoff_reserve_bytes(h, 0);
	handoff_commit_bytes(h);
	size_t big = handoff_max_record(h);
	memset(handoff_reserve_bytes(h, big), 0xab, big);
	handoff_commit_bytes(h);
	handoff_flush(h);
	p = handoff_peek_bytes(h, &n);
	CHECK_EQ_U(n, 0);
	handoff_release_bytes(h);
	const uint8_t *q = handoff_peek_bytes(h, &n);
	CHECK_EQ_U(n, big);
	CHECK(q[0] == 0xab && q[big - 1] == 0xab);
	handoff_release_bytes(h);
	handoff_destroy(h);
}

int main(void)
{
	test_bytes_alone();
	/* the smallest byte ring: records of up to 8 KiB wrap every few records */
	run_bytes("bytes equal", 1, 200000, 0, 0);
	run_bytes("bytes slow consumer", 1, 20000, 0, 4);
	run_bytes("bytes slow producer", 1 << 20, 20000, 4, 0);
	run_bytes("bytes both slow", 1, 20000, 5, 6);
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
