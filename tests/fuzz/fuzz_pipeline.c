/* fuzz_pipeline.c — libFuzzer target: one input is a whole capture file, replayed through
 * capture, decode, classify, detect and the SQLite store (in memory), as `scanwatch -r` does.
 *
 * The input is written to a memfd and opened by its /proc path, so libpcap
 * parses it exactly as it parses a file on disk (pcap or pcapng, any link
 * type). An input may also hold up to FUZZ_MAX_FILES capture files separated
 * by FUZZ_SEP, replayed together as `scanwatch -r a -r b` does: that is the
 * merged reader's path, and the only way link types meet in one pipeline
 * (real captures come in many). The built-in rules are used: they cover every
 * detector. The memory cap is the smallest the pipeline accepts, so eviction
 * runs constantly.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
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
/* Separates the capture files of one input (also in fuzz_pipeline.dict); no capture format
 * gives it a meaning, and an input without it is one file. */
#define FUZZ_SEP       "@@SW-NEXT-FILE@@"
#define FUZZ_MAX_FILES 4

static struct sw_ruleset *fuzz_rules;
static uint32_t fuzz_kinds_seen; /* detection kinds emitted (SW_FUZZ_KINDS=1 prints them) */
static struct store *fuzz_store;
static unsigned fuzz_store_uses;

struct fuzz_run {
	int64_t run_id;
	uint64_t opened;
};

static void fuzz_emit(void *ctx, const struct sw_detection *d)
{
	struct fuzz_run *run = ctx;
	static char json[OUTPUT_CONSOLE_LINE_MAX - 1]; /* the console's line less its newline */
	if (d->phase == DET_OPEN)
		run->opened++;
	if (d->kind < 32)
		fuzz_kinds_seen |= 1u << d->kind;
	fuzz_check_evidence(d);
	/* Every sink renders the same record: render it as the JSON sinks do, then store it. */
	if (output_json_render(d, json, sizeof json) < 0)
		abort(); /* a detection too large for any sink's line buffer */
	if (fuzz_store && store_write(fuzz_store, run->run_id, d, 1) < 0)
		abort(); /* an in-memory store refusing a record the engine produced is a bug */
}

static void print_kinds_at_exit(void)
{
	fuzz_print_kinds("fuzz_pipeline", fuzz_kinds_seen);
}

/*
 * The in-memory database's pages come from a buffer of their own rather than malloc: libFuzzer
 * counts each input's mallocs and frees and re-runs the input under LeakSanitizer when they
 * differ, which the database's growth (kept across FUZZ_STORE_REUSE inputs) caused on most
 * inputs: a quarter of the run's time went to those checks (perf). SQLite falls back to
 * malloc when the buffer is full. SQLITE_CONFIG_PAGECACHE must come before any database use.
 */
#define FUZZ_PAGE_SIZE  4096 /* SQLite's default page size */
#define FUZZ_PAGE_SLOTS 4096
static void fuzz_page_cache(void)
{
	int hdr = 0;
	if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) != SQLITE_OK)
		return;
	size_t slot = (size_t)(FUZZ_PAGE_SIZE + hdr + 7) & ~(size_t)7;
	void *buf = malloc(slot * FUZZ_PAGE_SLOTS); /* kept for the whole run */
	if (buf)
		(void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, buf, (int)slot, FUZZ_PAGE_SLOTS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	atexit(print_kinds_at_exit);
	fuzz_page_cache();
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

/* Writes len bytes to a new memfd; its /proc path goes to path. -1 when out of descriptors. */
static int fuzz_memfd(const uint8_t *data, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("fuzz_pipeline", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* An error must say which file it is about. */
static int fuzz_names_a_file(const char *err, char paths[][64], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(err, paths[i]) != NULL)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char paths[FUZZ_MAX_FILES][64], err[1024];
	const char *names[FUZZ_MAX_FILES];
	int fds[FUZZ_MAX_FILES];
	size_t nfiles = 0;
	struct capture *cap = NULL;
	struct pipeline *pl = NULL;
	struct fuzz_run run = {0};
	const size_t seplen = sizeof FUZZ_SEP - 1;

	/* Split at the separators; the last file takes the rest, separators and all. */
	for (size_t off = 0; nfiles < FUZZ_MAX_FILES; nfiles++) {
		const uint8_t *sep = nfiles + 1 < FUZZ_MAX_FILES
		                         ? memmem(data + off, size - off, FUZZ_SEP, seplen)
		                         : NULL;
		size_t len = sep ? (size_t)(sep - (data + off)) : size - off;
		fds[nfiles] = fuzz_memfd(data + off, len, paths[nfiles], sizeof paths[nfiles]);
		if (fds[nfiles] < 0)
			abort();
		names[nfiles] = paths[nfiles];
		if (!sep) {
			nfiles++;
			break;
		}
		off += len + seplen;
	}
	cap = capture_open_files(names, nfiles, err, sizeof err);
	if (!cap) {
		/* Refusing a file is fine; refusing it without saying which is not. */
		if (!fuzz_names_a_file(err, paths, nfiles))
			abort();
		goto out;
	}
	struct store *st = fuzz_get_store();
	run.run_id = store_run_begin(st, paths[0], fuzz_rules->origin, 1);
	if (run.run_id < 0)
		abort();
	struct pipeline_config pc = {
	    .rules = fuzz_rules,
	    .memory_cap = FUZZ_MEMORY_CAP,
	    .seed = 1,
	    .emit = fuzz_emit,
	    .emit_ctx = &run,
	    .evidence = true, /* the sensor's default: the packets behind each detection */
	};
	pl = pipeline_create(&pc, err, sizeof err);
	if (!pl)
		abort();
	struct capture_packet cp;
	int r;
	while ((r = capture_next(cap, &cp, err, sizeof err)) == 1)
		pipeline_packet(pl, &cp);
	if (r < 0 && !fuzz_names_a_file(err, paths, nfiles))
		abort();
	pipeline_finish(pl);
	struct pipeline_stats ps;
	pipeline_get_stats(pl, &ps);
	if (ps.detect.opened != run.opened || ps.detect.closed > ps.detect.opened ||
	    ps.evidence.bytes_max > ps.evidence.limit)
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
	for (size_t i = 0; i < nfiles; i++)
		close(fds[i]);
	return 0;
}
