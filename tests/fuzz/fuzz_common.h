/* fuzz_common.h — checks and reports the two pipeline fuzz targets (fuzz_pipeline,
 * fuzz_pipeline_gen) share. */
#ifndef SCANWATCH_FUZZ_COMMON_H
#define SCANWATCH_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "scanwatch/detection.h"
#include "scanwatch/evidence.h"

/* The evidence packets a record carries keep evidence.h's bounds (none with an UPDATE). */
struct fuzz_ev_count {
	uint32_t n;
};

static inline int fuzz_ev_one(void *ctx, const struct evidence_view *k)
{
	struct fuzz_ev_count *c = ctx;
	if (k->caplen > EVIDENCE_SNAP || k->caplen > k->origlen || k->ts_nsec > 999999999)
		abort();
	c->n++;
	return 0;
}

static inline void fuzz_check_evidence(const struct sw_detection *d)
{
	const struct evidence_pack *p = d->evidence;
	if (!p)
		return;
	if (d->phase == DET_UPDATE || p->n > EVIDENCE_MAX || p->len > p->cap)
		abort();
	/* the pack reads back as the pcapng section it claims to be, every packet of it */
	struct fuzz_ev_count c = {0};
	const char *why;
	if (evidence_ng_walk(p->ng, p->len, fuzz_ev_one, &c, &why) != 0 || c.n != p->n)
		abort();
}

/* With SW_FUZZ_KINDS set: the detection kinds (bit k: kind k) a run made the engine emit. */
static inline void fuzz_print_kinds(const char *target, uint32_t seen)
{
	if (!getenv("SW_FUZZ_KINDS"))
		return;
	int n = 0;
	fprintf(stderr, "%s: kinds emitted:", target);
	for (int k = 0; k < KIND__COUNT; k++)
		if (seen & (1u << k)) {
			fprintf(stderr, " %s", detection_kind_name((enum sw_kind)k));
			n++;
		}
	fprintf(stderr, " (%d of %d)\n", n, KIND__COUNT);
}

#endif
