/* readahead.c — the capture read on a thread of its own, ahead of the packet loop (readahead.h).
 *
 * The reader calls capture_next and copies each packet into a byte ring (handoff.h): a
 * header (struct rec) and the packet's bytes, 8-byte aligned. A live capture's timeout
 * travels as a record too (REC_IDLE), so the packet loop keeps its turn to tick the clock
 * and look at its signals; the end of the input is the last record (REC_END), after which
 * the reader thread ends. Signals are blocked on the reader: they reach the packet loop's
 * thread, as without a reader.
 *
 * When records are published: every few KiB (the ring's batch), at a timeout, at the end,
 * and at once whenever the packet loop is asleep waiting for them, so a live capture's
 * quiet spell does not hold a packet back and a busy one pays for one publication a batch.
 *
 * The capture's counters belong to the reader while it runs: it copies its progress and,
 * for a live capture, the kernel's counters (taken at every timeout and every 100 ms of
 * traffic) where the packet loop reads them.
 */
#include "scanwatch/readahead.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/handoff.h"

enum rec_type { REC_PACKET, REC_IDLE, REC_END };

/* A record's header; the packet's bytes follow it. */
struct rec {
	uint8_t type;
	int8_t status; /* REC_END: capture_next's 0 or -1 */
	uint8_t spare_[6];
	struct capture_packet cp; /* REC_PACKET: as capture_next gave it, but for cp.data */
	uint8_t data[];
};
_Static_assert(sizeof(struct rec) % 8 == 0, "packets start 8-byte aligned");

/* How often a live reader takes the kernel's counters while packets flow. */
#define READAHEAD_KSTATS_US 100000

struct readahead {
	struct capture *cap;
	struct handoff *ring;
	pthread_t thread;
	bool live;
	_Atomic int stop;
	/* reader's */
	uint64_t packets;
	uint64_t next_kstats; /* monotonic µs */
	char end_err[1024];   /* REC_END with status -1: what broke; read after the record */
	/* copied out by the reader */
	_Atomic uint64_t done, total, cpu_us, published;
	pthread_mutex_t mu;
	struct capture_kstats ks; /* under mu */
	int ks_status;            /* under mu: capture_kernel_stats's result, 1: none yet */
	/* packet loop's */
	bool held;  /* a record is peeked and not released */
	bool ended; /* REC_END was taken */
	int status;
};

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Reader: the counters the packet loop reads. */
static void copy_out(struct readahead *ra)
{
	uint64_t done, total;
	capture_progress(ra->cap, &done, &total);
	atomic_store_explicit(&ra->done, done, memory_order_relaxed);
	atomic_store_explicit(&ra->total, total, memory_order_relaxed);
	atomic_store_explicit(&ra->published, ra->packets, memory_order_relaxed);
	atomic_store_explicit(&ra->cpu_us, clock_us(CLOCK_THREAD_CPUTIME_ID), memory_order_relaxed);
}

static void take_kstats(struct readahead *ra)
{
	struct capture_kstats ks;
	int r = capture_kernel_stats(ra->cap, &ks);
	pthread_mutex_lock(&ra->mu);
	ra->ks = ks;
	ra->ks_status = r;
	pthread_mutex_unlock(&ra->mu);
	ra->next_kstats = clock_us(CLOCK_MONOTONIC) + READAHEAD_KSTATS_US;
}

static void put(struct readahead *ra, enum rec_type type, int status)
{
	struct rec *r = handoff_reserve_bytes(ra->ring, sizeof *r);
	memset(r, 0, sizeof *r);
	r->type = (uint8_t)type;
	r->status = (int8_t)status;
	handoff_commit_bytes(ra->ring);
	handoff_flush(ra->ring);
}

static void put_packet(struct readahead *ra, const struct capture_packet *cp)
{
	/* a packet longer than half the ring (no capture gives one: libpcap's snap lengths
	 * stop at 256 KiB) is cut there, as a snap length would */
	size_t max = handoff_max_record(ra->ring) - sizeof(struct rec);
	uint32_t caplen = cp->caplen > max ? (uint32_t)max : cp->caplen;
	struct rec *r = handoff_reserve_bytes(ra->ring, sizeof *r + caplen);
	r->type = REC_PACKET;
	r->cp = *cp;
	r->cp.caplen = caplen;
	memcpy(r->data, cp->data, caplen);
	handoff_commit_bytes(ra->ring);
}

static void *reader_main(void *arg)
{
	struct readahead *ra = arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	int status = 0;
	while (!atomic_load_explicit(&ra->stop, memory_order_relaxed)) {
		struct capture_packet cp;
		int r = capture_next(ra->cap, &cp, ra->end_err, sizeof ra->end_err);
		if (r == 1) {
			put_packet(ra, &cp);
			ra->packets++;
			if ((ra->packets & 1023) == 0)
				copy_out(ra);
			if (ra->live && (ra->packets & 63) == 0 &&
			    clock_us(CLOCK_MONOTONIC) >= ra->next_kstats)
				take_kstats(ra);
			continue;
		}
		if (r == CAPTURE_IDLE) {
			copy_out(ra);
			take_kstats(ra);
			put(ra, REC_IDLE, 0);
			continue;
		}
		status = r < 0 ? -1 : 0;
		break;
	}
	copy_out(ra);
	if (ra->live)
		take_kstats(ra);
	put(ra, REC_END, status);
	return NULL;
}

bool readahead_wanted(const struct capture *c, unsigned workers, unsigned *pipeline_workers)
{
	bool reader = workers >= 3 && (capture_is_live(c) || !capture_may_wait(c));
	*pipeline_workers = reader ? workers - 1 : workers;
	return reader;
}

struct readahead *readahead_start(struct capture *c, size_t ring_bytes, char *err, size_t errlen)
{
	struct readahead *ra = calloc(1, sizeof *ra);
	if (!ra || !(ra->ring = handoff_create_bytes(ring_bytes))) {
		free(ra);
		snprintf(err, errlen, "the capture reader's ring: out of memory");
		return NULL;
	}
	ra->cap = c;
	ra->live = capture_is_live(c);
	ra->ks_status = 1;
	pthread_mutex_init(&ra->mu, NULL);
	int e = pthread_create(&ra->thread, NULL, reader_main, ra);
	if (e != 0) {
		snprintf(err, errlen, "the capture reader's thread: %s", strerror(e));
		pthread_mutex_destroy(&ra->mu);
		handoff_destroy(ra->ring);
		free(ra);
		return NULL;
	}
	return ra;
}

int readahead_next(struct readahead *ra, struct capture_packet *out, char *err, size_t errlen)
{
	if (ra->held) {
		handoff_release_bytes(ra->ring);
		ra->held = false;
	}
	if (!ra->ended) {
		size_t n;
		const struct rec *r = handoff_peek_bytes(ra->ring, &n);
		ra->held = true;
		if (r->type == REC_PACKET) {
			*out = r->cp;
			out->data = r->data;
			return 1;
		}
		if (r->type == REC_IDLE)
			return CAPTURE_IDLE;
		ra->ended = true; /* the reader wrote end_err before this record */
		ra->status = r->status;
	}
	if (ra->status < 0)
		snprintf(err, errlen, "%s", ra->end_err);
	return ra->status;
}

void readahead_progress(struct readahead *ra, uint64_t *done, uint64_t *total)
{
	*done = atomic_load_explicit(&ra->done, memory_order_relaxed);
	*total = atomic_load_explicit(&ra->total, memory_order_relaxed);
}

int readahead_kernel_stats(struct readahead *ra, struct capture_kstats *out)
{
	if (!ra->live)
		return -1;
	pthread_mutex_lock(&ra->mu);
	int r = ra->ks_status;
	if (r == 0)
		*out = ra->ks;
	pthread_mutex_unlock(&ra->mu);
	return r == 0 ? 0 : -1;
}

void readahead_get_stats(struct readahead *ra, struct readahead_stats *out)
{
	struct handoff_stats hs;
	handoff_get_stats(ra->ring, &hs);
	*out = (struct readahead_stats){
	    .packets = atomic_load_explicit(&ra->published, memory_order_relaxed),
	    .room_waits = hs.producer_waits,
	    .data_waits = hs.consumer_waits,
	    .cpu_us = atomic_load_explicit(&ra->cpu_us, memory_order_relaxed),
	};
}

void readahead_stop_reading(struct readahead *ra)
{
	atomic_store(&ra->stop, 1);
}

void readahead_stop(struct readahead *ra, struct readahead_stats *last)
{
	if (!ra)
		return;
	readahead_stop_reading(ra);
	/* take what the reader still sends (it may be waiting for room) up to its end */
	char err[8];
	struct capture_packet cp;
	while (!ra->ended)
		readahead_next(ra, &cp, err, sizeof err);
	if (ra->held)
		handoff_release_bytes(ra->ring);
	pthread_join(ra->thread, NULL);
	if (last)
		readahead_get_stats(ra, last);
	pthread_mutex_destroy(&ra->mu);
	handoff_destroy(ra->ring);
	free(ra);
}
