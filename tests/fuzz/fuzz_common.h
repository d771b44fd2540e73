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
static inline void fuzz_check_evidence(const struct sw_detection *d)
{
	const struct evidence_pack *p = d->evidence;
	if (!p)
		return;
	if (d->phase == DET_UPDATE || p->n > EVIDENCE_MAX)
		abort();
	for (uint32_t i = 0; i < p->n; i++)
		if (p->pkt[i].caplen > EVIDENCE_SNAP || p->pkt[i].caplen > p->pkt[i].origlen ||
		    p->pkt[i].ts_nsec > 999999999)
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
