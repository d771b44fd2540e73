/* fuzz_pipeline.c — libFuzzer target: one input is a whole capture file, replayed through
 * capture, decode, classify, detect and the SQLite store (in memory), as `scanwatch -r` does.
 *
 * The input is written to a memfd and opened by its /proc path, so libpcap
 * parses it exactly as it parses a file on disk (pcap or pcapng, any link
 * type). The built-in rules are used: they cover every detector. The memory
 * cap is the smallest the pipeline accepts, so eviction runs constantly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scanwatch/capture.h"
#include "scanwatch/output.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/rules.h"
#include "scanwatch/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Smallest cap pipeline_create accepts (1M): tables fill after a few hundred sources. */
#define FUZZ_MEMORY_CAP (1ULL << 20)
/* Inputs per in-memory database before it is reopened, so a long run's rows do not pile up. */
#define FUZZ_STORE_REUSE 256

static struct sw_ruleset *fuzz_rules;
static struct store *fuzz_store;
static unsigned fuzz_store_uses;

struct fuzz_run {
	int64_t run_id;
	uint64_t opened;
};

static void fuzz_emit(void *ctx, const struct sw_detection *d)
{
	struct fuzz_run *run = ctx;
	char json[8192];
	if (d->phase == DET_OPEN)
		run->opened++;
	/* Every sink renders the same record: render it as the JSON sinks do, then store it. */
	if (output_json_render(d, json, sizeof json) < 0)
		abort(); /* a detection too large for any sink's line buffer */
	if (fuzz_store && store_write(fuzz_store, run->run_id, d, 1) < 0)
		abort(); /* an in-memory store refusing a record the engine produced is a bug */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024];
	if (rules_load_builtin(&fuzz_rules, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_pipeline: %s\n", err);
		exit(1);
	}
	return 0;
}

static struct store *fuzz_get_store(void)
{
	char err[1024];
	if (fuzz_store && fuzz_store_uses++ < FUZZ_STORE_REUSE)
		return fuzz_store;
	store_close(fuzz_store);
	fuzz_store_uses = 0;
	fuzz_store = store_open(":memory:", err, sizeof err);
	if (!fuzz_store) {
		fprintf(stderr, "fuzz_pipeline: %s\n", err);
		abort();
	}
	return fuzz_store;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024];
	struct capture *cap = NULL;
	struct pipeline *pl = NULL;
	struct fuzz_run run = {0};
	int fd = memfd_create("fuzz_pipeline", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	const char *paths[1] = {path};
	cap = capture_open_files(paths, 1, err, sizeof err);
	if (!cap) {
		/* Refusing a file is fine; refusing it without saying which is not. */
		if (strstr(err, path) == NULL)
			abort();
		goto out;
	}
	struct store *st = fuzz_get_store();
	run.run_id = store_run_begin(st, path, fuzz_rules->origin, 1);
	if (run.run_id < 0)
		abort();
	struct pipeline_config pc = {
	    .rules = fuzz_rules,
	    .memory_cap = FUZZ_MEMORY_CAP,
	    .seed = 1,
	    .emit = fuzz_emit,
	    .emit_ctx = &run,
	};
	pl = pipeline_create(&pc, err, sizeof err);
	if (!pl)
		abort();
	struct capture_packet cp;
	int r;
	while ((r = capture_next(cap, &cp, err, sizeof err)) == 1)
		pipeline_packet(pl, &cp);
	if (r < 0 && strstr(err, path) == NULL)
		abort();
	pipeline_finish(pl);
	struct pipeline_stats ps;
	pipeline_get_stats(pl, &ps);
	if (ps.detect.opened != run.opened || ps.detect.closed > ps.detect.opened)
		abort();
	struct store_run_end end = {
	    .ended_us = 2,
	    .first_ts_us = ps.first_ts,
	    .last_ts_us = ps.last_ts,
	    .packets = ps.packets,
	    .bytes = ps.bytes,
	    .detections = run.opened,
	    .anomalies_json = "{}",
	    .evictions_json = "{}",
	    .status = r < 0,
	    .error = r < 0 ? err : NULL,
	};
	if (store_run_finish(st, run.run_id, &end) < 0)
		abort();
out:
	pipeline_destroy(pl);
	capture_close(cap);
	close(fd);
	return 0;
}
