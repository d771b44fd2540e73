/* detect_harness.h — the detection tests' bench: synthetic packets through classify and the
 * engine, the records collected in recs[] (test_detect*.c). */
#ifndef SCANWATCH_TEST_DETECT_HARNESS_H
#define SCANWATCH_TEST_DETECT_HARNESS_H

#include <stdlib.h>

#include "check.h"
#include "scanwatch/classify.h"
#include "scanwatch/detect.h"
#include "scanwatch/hash.h"
#include "scanwatch/rules.h"

#ifndef MAXREC
#define MAXREC 256
#endif
static struct sw_detection recs[MAXREC];
static int nrec;

static inline void collect(void *ctx, const struct sw_detection *d)
{
	(void)ctx;
	if (nrec < MAXREC)
		recs[nrec++] = *d;
}

struct harness {
	struct sw_ruleset *rs;
	struct classify *cl;
	struct detect_engine *de;
	uint64_t now;
};

static inline void to_detect(void *ctx, const struct sw_event *ev)
{
	struct harness *h = ctx;
	detect_event(h->de, ev);
}

/* Rules from yaml (NULL: the built-in rules, as shipped), a flow table and an engine of
 * `entries` entries each, SipHash key from `seed`; packet time starts at 2023-11-14. */
static inline void harness_setup(struct harness *h, const char *yaml, size_t entries, uint8_t seed)
{
	char err[512];
	uint8_t key[16];
	nrec = 0;
	memset(h, 0, sizeof *h);
	int r = yaml ? rules_load_string("test.yaml", yaml, strlen(yaml), &h->rs, err, sizeof err)
	             : rules_load_builtin(&h->rs, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "rules: %s\n", err);
		exit(1);
	}
	hash_make_key(key, seed);
	h->cl = classify_create(entries, key, to_detect, h);
	h->de = detect_create(h->rs, entries, key, collect, NULL);
	CHECK(h->cl && h->de);
	h->now = 1700000000ULL * 1000000;
}

/* Closes what is open at the current packet time and frees the bench. */
static inline void harness_teardown(struct harness *h)
{
	detect_finish(h->de, h->now);
	classify_destroy(h->cl);
	detect_destroy(h->de);
	rules_free(h->rs);
}

/* One packet, dt_us after the previous one: timeouts and expiries first, as the pipeline. */
static inline void feed(struct harness *h, struct sw_packet *p, uint64_t dt_us)
{
	h->now += dt_us;
	p->ts_us = h->now;
	classify_advance(h->cl, h->now);
	detect_advance(h->de, h->now);
	classify_packet(h->cl, p);
}

#endif
