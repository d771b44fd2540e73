/* fuzz_store_read.c — libFuzzer target: a hostile SQLite database file read through the store's
 * read path (sensor/store_read.c), as `scanwatch query`, `report` and `eval` read one, and
 * written through the collector's path (store_open + store_ingest, as `scanwatch collect` does
 * with its central store).
 *
 * The input is a database file image. It is written to DIR/fuzz.db (DIR a private directory
 * made at start, in /dev/shm when there is one) with no -wal or -shm beside it, and opened
 * by path, as the commands open a file: store_read_open, then every reader (detections with a
 * spread of filters, orders, limits and the follow cursor; runs; statistics; cross-sensor
 * groups), the evidence packets of the first detections (`scanwatch extract`'s read: rows
 * and pcapng blobs) and the multi-file set that query and report use. Seeds are databases the
 * sensor wrote (tests/fuzz/make_seeds.py runs the built scanwatch on test captures with --db and
 * rewrites them with 512-byte pages, so one input is a few kilobytes).
 *
 * Contracts (store.h): a refused file is refused with a message that names it; an opened one
 * reports a schema version between 1 and store_schema_version(); every row given is a record
 * the sinks can take (a kind, phase and severity of the vocabularies, counts within the
 * record's arrays, every string terminated inside its field, renderable as the JSON line and
 * as the table's text columns); filters hold (kind, open/closed, the follow cursor, the id
 * order, the limit); runs that did not end have an all-zero end. When the file opened as a
 * scanwatch database and byte (size - 1) % 8 == 0, the writer opens it too (migrations on a
 * hostile file) and ingests one record: a refusal names why, a failure says what.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwatch/output.h"
#include "scanwatch/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64], fz_path[96], fz_wal[100], fz_shm[100], fz_journal[104];
static char fz_record[OUTPUT_JSONL_LINE_MAX];
static size_t fz_record_len;

static void fz_cleanup(void)
{
	unlink(fz_path);
	unlink(fz_wal);
	unlink(fz_shm);
	unlink(fz_journal);
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	struct stat sb;
	snprintf(fz_dir, sizeof fz_dir, "%s/fuzz_store_read.XXXXXX",
	         stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp");
	if (!mkdtemp(fz_dir)) {
		perror("fuzz_store_read: mkdtemp");
		exit(1);
	}
	snprintf(fz_path, sizeof fz_path, "%s/fuzz.db", fz_dir);
	snprintf(fz_wal, sizeof fz_wal, "%s-wal", fz_path);
	snprintf(fz_shm, sizeof fz_shm, "%s-shm", fz_path);
	snprintf(fz_journal, sizeof fz_journal, "%s-journal", fz_path);
	atexit(fz_cleanup);

	/* One record as the jsonl and nats outputs write it: what collect ingests. */
	struct sw_detection d;
	char msg[4096];
	memset(&d, 0, sizeof d);
	d.seq = 1;
	d.phase = DET_OPEN;
	d.kind = KIND_SYN_SCAN;
	d.severity = SEV_MEDIUM;
	d.proto = 6;
	snprintf(d.rule_id, sizeof d.rule_id, "SW-TCP-SYN-001");
	snprintf(d.rule_name, sizeof d.rule_name, "TCP SYN scan");
	snprintf(d.tool, sizeof d.tool, "nmap");
	addr_set_v4(&d.src, (const uint8_t[]){198, 18, 0, 5});
	d.first_seen = d.opened_at = d.last_seen = 1700000000000000ULL;
	d.probes = d.probes_at_open = 5;
	d.distinct_targets = 1;
	d.distinct_ports = 5;
	int n = output_jsonl_render(&d, fz_record, sizeof fz_record, msg, sizeof msg);
	if (n < 0) {
		fprintf(stderr, "fuzz_store_read: cannot render the ingest record\n");
		exit(1);
	}
	fz_record_len = (size_t)n;
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

struct fz_walk {
	const struct store_filter *f;
	uint64_t rows;
	int64_t last_id;
	bool disorder;
};

/* Rows already rendered for this input. The seven filtered walks and the merged set give the
 * same rows again (the file is read only), and rendering them is most of an execution's time:
 * a row is rendered the first time its content is seen. The key is the whole parsed record, not
 * the row id, since a damaged b-tree may give one id twice with different content. */
#define FZ_SEEN_SLOTS 4096
static uint64_t fz_seen[FZ_SEEN_SLOTS];
static unsigned fz_seen_n;

static uint64_t row_key(const struct store_row *row)
{
	uint64_t h = 0x9e3779b97f4a7c15u;
	const unsigned char *p = (const unsigned char *)&row->d;
	for (size_t i = 0; i + 8 <= sizeof row->d; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3u;
		h ^= h >> 29;
	}
	return (h ^ (uint64_t)row->id) | 1; /* 0 marks an empty slot */
}

/* True when the row's content was rendered already for this input; notes it otherwise. */
static bool seen_before(const struct store_row *row)
{
	uint64_t k = row_key(row);
	if (fz_seen_n >= FZ_SEEN_SLOTS / 2)
		return false; /* full: render every row */
	for (unsigned i = (unsigned)k % FZ_SEEN_SLOTS;; i = (i + 1) % FZ_SEEN_SLOTS) {
		if (fz_seen[i] == k)
			return true;
		if (fz_seen[i] == 0) {
			fz_seen[i] = k;
			fz_seen_n++;
			return false;
		}
	}
}

/* What every sink relies on in a row it is given. */
static void check_row(const struct store_row *row)
{
	const struct sw_detection *d = &row->d;
	if (d->kind >= KIND__COUNT || (d->phase != DET_UPDATE && d->phase != DET_CLOSE) ||
	    d->severity < SEV_LOW || d->severity > SEV_CRITICAL)
		abort();
	if ((d->phase == DET_CLOSE) != (d->closed_at != 0) && d->phase == DET_UPDATE)
		abort(); /* an open row with a closing time */
	if (d->n_sample_ports > DET_SAMPLE_PORTS || d->n_sample_targets > DET_SAMPLE_TARGETS ||
	    d->n_sample_sources > DET_SAMPLE_SOURCES || d->n_tags > DET_TAGS_MAX ||
	    d->n_reasons > DET_REASONS_MAX || d->exposure.n > DET_EXPOSURE_MAX)
		abort();
	if (!terminated(d->rule_id, sizeof d->rule_id) ||
	    !terminated(d->rule_name, sizeof d->rule_name) ||
	    !terminated(d->tool, sizeof d->tool) || !terminated(d->campaign, sizeof d->campaign) ||
	    !terminated(row->sensor_id, sizeof row->sensor_id))
		abort();
	for (unsigned i = 0; i < d->n_tags; i++)
		if (!terminated(d->tags[i], sizeof d->tags[i]))
			abort();
	for (unsigned i = 0; i < d->n_reasons; i++)
		if (!terminated(d->reasons[i].name, sizeof d->reasons[i].name) ||
		    !terminated(d->reasons[i].text, sizeof d->reasons[i].text))
			abort();
	if (row->file != 0 && row->file != 1)
		abort();
	if (seen_before(row))
		return;
	/* The sinks take it: query --format jsonl / json, and the table's own text (csv). */
	static char json[OUTPUT_JSONL_LINE_MAX];
	static struct store_row_text text;
	char msg[4096];
	if (output_json_render(d, json, sizeof json) < 0 ||
	    output_jsonl_render(d, json, sizeof json, msg, sizeof msg) < 0 ||
	    store_row_render(d, &text) < 0)
		abort();
}

/* An evidence packet is a packet header extract can write, over bytes that are there. */
static int on_evidence(void *ctx, const struct evidence_view *k)
{
	volatile uint8_t sink = 0;
	(void)ctx;
	if (k->caplen > 262144 || k->caplen > k->origlen || k->ts_nsec > 999999999 ||
	    k->data == NULL)
		abort();
	for (uint32_t i = 0; i < k->caplen; i++)
		sink ^= k->data[i];
	(void)sink;
	return 0;
}

static int on_row(void *ctx, const struct store_row *row)
{
	struct fz_walk *w = ctx;
	const struct store_filter *f = w->f;
	check_row(row);
	if (f->has_kind && row->d.kind != f->kind)
		abort();
	if ((f->state == STORE_STATE_OPEN && row->d.phase != DET_UPDATE) ||
	    (f->state == STORE_STATE_CLOSED && row->d.phase != DET_CLOSE))
		abort();
	/* SQL's own filters and order: on a file whose b-trees are damaged SQLite may give rows
	 * out of order before it notices, so these only count when the walk ends without an
	 * error (see read_all). */
	if (f->after_id != 0 && row->id <= f->after_id)
		w->disorder = true; /* the follow cursor would give a row twice */
	if (f->order == STORE_ORDER_ID && w->rows > 0 && row->id <= w->last_id)
		w->disorder = true;
	if (f->order == STORE_ORDER_ID_DESC && w->rows > 0 && row->id >= w->last_id)
		w->disorder = true;
	if (f->run_id != 0 && row->run_id != f->run_id)
		w->disorder = true;
	w->last_id = row->id;
	w->rows++;
	if (f->limit != 0 && w->rows > f->limit)
		abort();
	return 0;
}

static int on_run(void *ctx, const struct store_run *run)
{
	static const struct store_run_end zero;
	(void)ctx;
	if (!run->ended && memcmp(&run->end, &zero, sizeof zero) != 0)
		abort(); /* a run still going (or crashed) reads as one with counters */
	return 0;
}

static int on_stats(void *ctx, int64_t run_id, const struct store_stats *st)
{
	(void)ctx, (void)run_id, (void)st;
	return 0;
}

static int on_cross(void *ctx, const struct store_cross *g)
{
	(void)ctx;
	if (!g->src || !g->sensor_ids)
		abort();
	return 0;
}

/* An error message must say which file it is about. */
static void check_err(int rc, const char *err)
{
	if (rc < 0 && err[0] == 0)
		abort();
}

/* SQLite's PRAGMA quick_check finds nothing wrong with the file (its b-trees and indexes
 * agree): then SQL filters and orders hold, and a row breaking them is the store's doing. */
static bool file_sound(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = false;
	if (sqlite3_open_v2(fz_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		ok = t != NULL && strcmp((const char *)t, "ok") == 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

static void read_all(struct store_reader *r)
{
	char err[1024];
	struct store_filter filters[7];
	memset(filters, 0, sizeof filters);
	filters[1].order = STORE_ORDER_FIRST_SEEN;
	filters[1].limit = 3;
	filters[2].state = STORE_STATE_OPEN;
	filters[2].has_kind = true;
	filters[2].kind = KIND_SYN_SCAN;
	filters[2].order = STORE_ORDER_ID_DESC;
	filters[3].state = STORE_STATE_CLOSED;
	filters[3].has_src = true;
	addr_cidr_parse("198.18.0.0/15", &filters[3].src);
	filters[3].has_since = filters[3].has_until = true;
	filters[3].since = 0;
	filters[3].until = INT64_MAX;
	filters[4].has_exposed = true;
	addr_parse("198.18.1.1", &filters[4].exposed_host);
	filters[4].exposed_port = 80;
	filters[5].after_id = 2;
	filters[5].campaign = "c-1";
	filters[5].min_severity = SEV_HIGH;
	filters[6].run_id = 1;
	filters[6].rule_id = "SW-TCP-SYN-001";
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		struct fz_walk w = {.f = &filters[i]};
		err[0] = 0;
		int rc = store_read_detections(r, &filters[i], on_row, &w, err, sizeof err);
		check_err(rc, err);
		if (rc == 0 && w.disorder && file_sound())
			abort();
	}
	/* the evidence of the first detections, as `scanwatch extract` reads it: 009's rows and
	 * 010's pcapng blobs (sensor/evidence_ng.c reads a blob the file's writer chose) */
	for (int64_t id = 1; id <= 4; id++) {
		err[0] = 0;
		check_err(store_read_evidence(r, id, on_evidence, NULL, err, sizeof err), err);
	}
	const char *why = NULL;
	if (store_read_skipped(r, &why) > 0 && (why == NULL || why[0] == 0))
		abort(); /* rows skipped without a reason */
	err[0] = 0;
	check_err(store_read_runs(r, 0, true, 0, on_run, NULL, err, sizeof err), err);
	err[0] = 0;
	check_err(store_read_runs(r, 1, false, 2, on_run, NULL, err, sizeof err), err);
	err[0] = 0;
	check_err(store_read_stats(r, 0, on_stats, NULL, err, sizeof err), err);
	err[0] = 0;
	check_err(store_read_cross_sensor(r, on_cross, NULL, err, sizeof err), err);
}

/* The set query and report read several files through: the same file twice, merged. */
static void read_set(void)
{
	char err[1024];
	const char *paths[2] = {fz_path, fz_path};
	struct store_set *s = store_set_open(paths, 2, err, sizeof err);
	if (!s) {
		if (!strstr(err, fz_path))
			abort();
		return;
	}
	struct store_filter f = {.limit = 4, .order = STORE_ORDER_FIRST_SEEN};
	struct fz_walk w = {.f = &f};
	int64_t after[2] = {0, 1};
	/* the merged timeline is by time, not by id: only the limit and the rows are checked */
	f.order = STORE_ORDER_FIRST_SEEN;
	err[0] = 0;
	if (store_set_read_detections(s, &f, after, on_row, &w, err, sizeof err) < 0 &&
	    !strstr(err, fz_path))
		abort();
	store_set_close(s);
}

/* collect's side: the writer opens the file (migrating it) and stores one record. */
static void write_one(void)
{
	char err[1024], why[512];
	struct store *st = store_open(fz_path, err, sizeof err);
	if (!st) {
		if (!strstr(err, fz_path))
			abort();
		return;
	}
	why[0] = 0;
	int r = store_ingest(st, fz_record, fz_record_len, why, sizeof why);
	if (r == 1 && why[0] == 0)
		abort(); /* a refusal without its reason */
	if (r < 0 && store_error(st)[0] == 0)
		abort();
	store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[1024];
	memset(fz_seen, 0, sizeof fz_seen);
	fz_seen_n = 0;
	unlink(fz_wal);
	unlink(fz_shm);
	unlink(fz_journal);
	int fd = open(fz_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	close(fd);

	err[0] = 0;
	struct store_reader *r = store_read_open(fz_path, err, sizeof err);
	if (!r) {
		if (!strstr(err, fz_path))
			abort(); /* refused without naming the file */
		return 0;
	}
	int v = store_read_version(r);
	if (v < 1 || v > store_schema_version())
		abort();
	read_all(r);
	store_read_close(r);
	read_set();
	if (size > 0 && data[size - 1] % 8 == 0)
		write_one();
	return 0;
}
