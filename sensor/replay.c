/* replay.c — capture files through a fresh pipeline, the detections collected: the one replay
 * driver of `eval` and `report -r`. */
#include "scanwatch/replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/capture.h"
#include "scanwatch/defaults.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/readahead.h"

/*
 * Where detection seq is in rd. The detector numbers detections as it opens them, so the
 * array is sorted by seq and a binary search finds it; should that ever not hold, every
 * record is still found by a linear search.
 */
static struct sw_detection *find(struct replay_detections *rd, uint64_t seq)
{
	size_t lo = 0, hi = rd->n;

	if (rd->unsorted) {
		for (size_t i = 0; i < rd->n; i++)
			if (rd->d[i].seq == seq)
				return &rd->d[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rd->d[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rd->n && rd->d[lo].seq == seq ? &rd->d[lo] : NULL;
}

/* The pipeline's emit callback: an OPEN adds the detection, a later record overwrites it. */
static void collect(void *ctx, const struct sw_detection *d)
{
	struct replay_detections *rd = ctx;
	struct sw_detection *slot;

	if (d->phase != DET_OPEN) {
		slot = find(rd, d->seq);
		if (slot != NULL)
			*slot = *d;
		return;
	}
	if (rd->max > 0 && rd->n == rd->max) {
		rd->full = true;
		return;
	}
	if (rd->n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 64;
		struct sw_detection *p = realloc(rd->d, cap * sizeof(*p));

		if (p == NULL) {
			rd->oom = true;
			return;
		}
		rd->d = p;
		rd->cap = cap;
	}
	if (rd->n > 0 && d->seq <= rd->d[rd->n - 1].seq)
		rd->unsorted = true;
	rd->d[rd->n++] = *d;
}

int replay_files(const char *const *paths, size_t n, const struct replay_options *o, size_t max,
                 struct replay_detections *out, char *err, size_t errlen)
{
	struct pipeline_config pc = {
	    .rules = o->rules,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	    .workers = o->workers,
	    .emit = collect,
	    .emit_ctx = out,
	};
	struct capture *cap = NULL;
	struct readahead *ra = NULL;
	struct pipeline *pl = NULL;
	struct pipeline_stats ps;
	struct capture_packet cp;
	int rc = -1, r;

	out->max = max;
	cap = capture_open_files(paths, n, err, errlen);
	if (cap == NULL)
		goto out;
	bool reader = readahead_wanted(cap, o->workers, &pc.workers); /* as the sensor's */
	pl = pipeline_create(&pc, err, errlen);
	if (pl == NULL)
		goto out;
	if (reader && !(ra = readahead_start(cap, SW_READAHEAD_RING, err, errlen)))
		goto out;
	while ((r = ra ? readahead_next(ra, &cp, err, errlen)
	               : capture_next(cap, &cp, err, errlen)) == 1)
		pipeline_packet(pl, &cp);
	if (r < 0)
		goto out; /* a broken capture: say so rather than report half of it */
	pipeline_finish(pl);
	pipeline_get_stats(pl, &ps);
	out->packets = ps.packets;
	if (out->oom) {
		snprintf(err, errlen, "out of memory after %zu detections", out->n);
		goto out;
	}
	rc = 0;
out:
	readahead_stop(ra, NULL);
	pipeline_destroy(pl);
	capture_close(cap);
	return rc;
}

void replay_detections_free(struct replay_detections *rd)
{
	free(rd->d);
	memset(rd, 0, sizeof(*rd));
}
