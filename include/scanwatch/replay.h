/* replay.h — capture files through a fresh pipeline, for the commands that score or show one
 * replay's detections (`eval`, `report -r`). The sensor's own replay (sensor.c) adds the writer
 * thread, the store and the outputs around the same pipeline. */
#ifndef SCANWATCH_REPLAY_H
#define SCANWATCH_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"
#include "scanwatch/rules.h"

struct replay_options {
	const struct sw_ruleset *rules; /* borrowed */
	uint64_t memory_cap;            /* bytes for the pipeline's tracking tables */
	uint64_t seed;                  /* 0: a random hash key; else a fixed one */
	unsigned workers;               /* pipeline_config.workers */
};

/* The detections of one replay, in the order they opened. */
struct replay_detections {
	/* Each detection as its last record left it (the CLOSE, as every one closes at the end
	 * of the input). Owned: free with replay_detections_free. */
	struct sw_detection *d;
	size_t n;
	uint64_t packets; /* read from the captures */
	bool full;        /* more detections opened than the caller's max: the later ones are
	                     left out */
	/* Private to replay.c. */
	size_t cap, max;
	bool oom, unsorted;
};

/*
 * Replays the n captures at paths (merged in time order, "-" standard input, as the sensor's
 * -r) through a fresh pipeline with o's rules, and collects at most max detections (0: no
 * bound) into out, which the caller zeroes first. Returns 0, or -1 with err set ("FILE: ..."
 * when a capture cannot be opened or breaks: a broken capture is reported, not half scored;
 * or "out of memory"); out holds what was collected either way.
 */
int replay_files(const char *const *paths, size_t n, const struct replay_options *o, size_t max,
                 struct replay_detections *out, char *err, size_t errlen);
/* Frees the detections; rd is left zeroed. */
void replay_detections_free(struct replay_detections *rd);

#endif
