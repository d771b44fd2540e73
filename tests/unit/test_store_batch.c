/* test_store_batch.c — store_write's fast paths give the rows one-record-at-a-time writing gives.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/embedded.h"
#include "scanwatch/evidence.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-store-batch-XXXXXX";

/* Room for a whole table dumped as text; the tests write a few dozen rows. */
#define DUMP_MAX (256 * 1024)

/* Every column of every row sql selects from the file, '|' between columns, a line a row. */
static void dump_rows(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	out[0] = '\0';
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			int w = snprintf(out + n, cap - n, "%s%s", c ? "|" : "", v ? v : "<null>");

			CHECK(w >= 0 && (size_t)w < cap - n);
			if (w < 0 || (size_t)w >= cap - n)
				goto out;
			n += (size_t)w;
		}
		if (n + 1 < cap) {
			out[n++] = '\n';
			out[n] = '\0';
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Every column of every detection row, ids included, in id order, as one string. */
static void dump(const char *path, char *out, size_t cap)
{
	dump_rows(path, "SELECT * FROM detections ORDER BY id", out, cap);
}

static int64_t query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		v = fixture_query_int(db, sql);
	sqlite3_close(db);
	return v;
}

/* Detection seq in the given phase: the documentation SYN scan, one source per seq. */
static void rec(struct sw_detection *d, uint64_t seq, enum det_phase phase)
{
	uint8_t src[4] = {198, 18, 7, (uint8_t)seq};

	fixture_syn(d, phase);
	d->seq = seq;
	addr_from_v4(&d->src, src);
	d->probes += seq; /* every record of the script differs from every other */
	if (phase == DET_UPDATE)
		d->last_seen -= 1000000;
	d->n_reasons = 0;
	detection_reason(d, "text", seq, "seq %llu %s", (unsigned long long)seq,
	                 detection_phase_name(phase));
}

/*
 * A record's packets (evidence.h), as OPEN and CLOSE records bring them: packet k of
 * record r is ordinal first + k of its detection, its bytes naming the seq, the ordinal
 * and the record, so a dump shows which record's copy a row holds.
 */
static void give_packets(struct sw_detection *d, size_t r, uint32_t first, uint32_t n)
{
	struct evidence_pack *p = evidence_pack_new(n);

	CHECK(p != NULL);
	if (p == NULL)
		return;
	for (uint32_t k = 0; k < n; k++) {
		uint8_t data[3] = {(uint8_t)d->seq, (uint8_t)(first + k), (uint8_t)r};

		CHECK(evidence_pack_put(p, 1700000000 + (int64_t)r, 1000 * k, 3, 3, 1, first + k,
		                        data));
	}
	d->evidence = p;
}

static void drop_packets(struct sw_detection *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)d[i].evidence);
		d[i].evidence = NULL;
	}
}

struct ev_dump {
	char *out;
	size_t n, cap;
	int64_t seq;
};

static int dump_one(void *ctx, const struct evidence_view *k)
{
	struct ev_dump *e = ctx;
	int w = snprintf(e->out + e->n, e->cap - e->n, "%lld|%u|", (long long)e->seq, k->ordinal);

	for (uint32_t i = 0; w >= 0 && (size_t)w < e->cap - e->n && i < k->caplen; i++)
		w += snprintf(e->out + e->n + w, e->cap - e->n - (size_t)w, "%02X", k->data[i]);
	CHECK(w >= 0 && (size_t)w + 1 < e->cap - e->n);
	if (w < 0 || (size_t)w + 1 >= e->cap - e->n)
		return 1;
	e->n += (size_t)w;
	e->out[e->n++] = '\n';
	e->out[e->n] = '\0';
	return 0;
}

/* Every evidence packet as seq|ordinal|data, by seq, read back as `scanwatch extract` reads
 * them; every blob must name a detection that is there. */
static void dump_evidence(const char *path, char *out, size_t cap)
{
	struct ev_dump e = {.out = out, .cap = cap};
	char err[256];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct store_reader *r = store_read_open(path, err, sizeof err);

	out[0] = '\0';
	CHECK(r != NULL);
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT id, seq FROM detections ORDER BY seq", -1, &st,
	                         NULL) == SQLITE_OK);
	while (r != NULL && st != NULL && sqlite3_step(st) == SQLITE_ROW) {
		e.seq = sqlite3_column_int64(st, 1);
		CHECK(store_read_evidence(r, sqlite3_column_int64(st, 0), dump_one, &e, err,
		                          sizeof err) == 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (r != NULL) {
		CHECK_EQ_U(store_read_skipped(r, NULL), 0);
		store_read_close(r);
	}
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM evidence_pcapng"),
	           query_int(path, "SELECT count(*) FROM evidence_pcapng e JOIN detections d ON "
	                           "d.id = e.detection_id"));
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM evidence"), 0); /* 009's table: unused */
}

/*
 * A lifecycle script: interleaved detections, each opened, maybe updated,
 * closed; seq 4 arrives without its OPEN (its batch was lost), seq 5
 * escalates its severity after opening (a column the fast update does not
 * set), seq 3 joins a campaign after opening (another: campaign is indexed),
 * seq 6 is opened twice (a retried batch).
 */
static size_t script(struct sw_detection *d)
{
	size_t n = 0;

	rec(&d[n++], 1, DET_OPEN);
	rec(&d[n++], 2, DET_OPEN);
	rec(&d[n++], 1, DET_UPDATE);
	rec(&d[n++], 3, DET_OPEN);
	rec(&d[n++], 4, DET_UPDATE);
	rec(&d[n++], 2, DET_CLOSE);
	rec(&d[n++], 5, DET_OPEN);
	rec(&d[n++], 1, DET_CLOSE);
	rec(&d[n++], 5, DET_UPDATE);
	d[n - 1].severity = SEV_CRITICAL;
	rec(&d[n++], 6, DET_OPEN);
	rec(&d[n++], 6, DET_OPEN);
	rec(&d[n++], 3, DET_UPDATE);
	snprintf(d[n - 1].campaign, sizeof(d[n - 1].campaign), "c-0003");
	rec(&d[n++], 4, DET_CLOSE);
	rec(&d[n++], 5, DET_CLOSE);
	d[n - 1].severity = SEV_CRITICAL;
	rec(&d[n++], 3, DET_CLOSE);
	snprintf(d[n - 1].campaign, sizeof(d[n - 1].campaign), "c-0003");
	rec(&d[n++], 6, DET_CLOSE);
	/* OPEN brings packets 0 and 1, CLOSE packet 2; seq 6's second OPEN brings 0 and 1
	 * again, whose copies must replace the first's. */
	for (size_t i = 0; i < n; i++)
		if (d[i].phase == DET_OPEN)
			give_packets(&d[i], i, 0, 2);
		else if (d[i].phase == DET_CLOSE)
			give_packets(&d[i], i, 2, 1);
	return n;
}

/* Writes the script into a fresh file in batches of `batch` records; returns the dumps of its
 * detections and its evidence. */
static void run_script(const char *name, size_t batch, char *out, char *out_ev)
{
	char path[256], err[256] = "";
	struct sw_detection d[32];
	size_t n = script(d);
	struct store *s;
	int64_t run;

	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		out[0] = out_ev[0] = '\0';
		drop_packets(d, n);
		return;
	}
	run = store_run_begin(s, "script", "builtin", 1);
	CHECK(run == 1); /* the vocabulary probe's run was rolled back: no id used up */
	for (size_t i = 0; i < n; i += batch)
		CHECK(store_write(s, run, d + i, n - i < batch ? n - i : batch) == 0);
	store_close(s);
	drop_packets(d, n);
	dump(path, out, DUMP_MAX);
	dump_evidence(path, out_ev, DUMP_MAX);
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM runs"), 1);
}

/*
 * What the rows must end as, built without the fast update and without
 * coalescing: every record is a complete snapshot, so each detection's row
 * holds its last record, and rows are numbered in the order detections
 * first appeared. Here each last record goes in once, as an OPEN (an
 * insert through the upsert; the phase is not a column).
 */
static void expected(char *out)
{
	char path[256], err[256] = "";
	struct sw_detection d[32], last;
	size_t n = script(d);
	struct store *s;
	int64_t run;

	snprintf(path, sizeof(path), "%s/expected.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		out[0] = '\0';
		drop_packets(d, n);
		return;
	}
	run = store_run_begin(s, "script", "builtin", 1);
	for (size_t i = 0; i < n; i++) {
		bool first = true;

		for (size_t k = 0; k < i; k++)
			first &= d[k].seq != d[i].seq;
		if (!first)
			continue;
		for (size_t k = i; k < n; k++)
			if (d[k].seq == d[i].seq)
				last = d[k];
		last.phase = DET_OPEN;
		CHECK(store_write(s, run, &last, 1) == 0);
	}
	store_close(s);
	drop_packets(d, n);
	dump(path, out, DUMP_MAX);
}

/*
 * One record per transaction (no coalescing; every UPDATE and CLOSE through
 * the fast update or its fallback) and every batching must end with rows
 * and ids byte-identical to the expected ones.
 */
static void test_batching_is_invisible(void)
{
	static char want[DUMP_MAX], one[DUMP_MAX], all[DUMP_MAX], pairs[DUMP_MAX], threes[DUMP_MAX];
	static char ev_one[DUMP_MAX], ev_all[DUMP_MAX], ev_pairs[DUMP_MAX], ev_threes[DUMP_MAX];

	expected(want);
	run_script("one", 1, one, ev_one);
	run_script("all", 32, all, ev_all);
	run_script("pairs", 2, pairs, ev_pairs);
	run_script("threes", 3, threes, ev_threes);
	/* The packets too: under their detection's row, each (seq, ordinal) once, a repeated
	 * packet as its last copy, whatever the batching. Six detections, each with packets 0
	 * and 1 of an OPEN and 2 of a CLOSE, but seq 4, whose OPEN was lost. Record 10 is
	 * seq 6's second OPEN (hex 0A), record 15 its CLOSE (0F). */
	printf("evidence rows:\n%s", ev_one);
	CHECK_STR(ev_all, ev_one);
	CHECK_STR(ev_pairs, ev_one);
	CHECK_STR(ev_threes, ev_one);
	CHECK(strncmp(ev_one, "1|0|010000\n1|1|010100\n1|2|010207\n2|0|020001\n", 44) == 0);
	CHECK(strstr(ev_one, "\n4|2|04020C\n5|0|") != NULL);
	CHECK(strstr(ev_one, "\n6|0|06000A\n6|1|06010A\n6|2|06020F\n") != NULL);
	CHECK(strstr(ev_one, "|060009") == NULL && strstr(ev_one, "|060109") == NULL);
	CHECK(strlen(want) > 0);
	CHECK_STR(one, want);
	CHECK_STR(all, one);
	CHECK_STR(pairs, one);
	CHECK_STR(threes, one);
	/* Six detections, one row each, in the order they first appeared. */
	CHECK(strncmp(one, "1|1|1|", 6) == 0);
	CHECK(strstr(one, "\n6|1|6|") != NULL);
	CHECK(strstr(one, "\n7|") == NULL);
	/* The escalated severity and the closed state reached the rows. */
	CHECK(strstr(one, "|syn_scan|critical|198.18.7.5|") != NULL);
	CHECK(strstr(one, "seq 4 close") != NULL);
	CHECK(strstr(one, "seq 3 update") == NULL);
	if (strcmp(all, one) != 0)
		fprintf(stderr, "one at a time:\n%s\nin one batch:\n%s\n", one, all);
}

/*
 * A record that SQLite's CHECK would refuse fails the whole batch even when
 * a later record of the same detection would have replaced it.
 */
static void test_bad_record_not_coalesced_away(void)
{
	char path[256], err[256] = "";
	struct sw_detection d[3];
	struct store *s;
	int64_t run;

	snprintf(path, sizeof(path), "%s/bad.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	run = store_run_begin(s, "bad", NULL, 1);
	rec(&d[0], 1, DET_OPEN);
	d[0].kind = KIND__COUNT;
	rec(&d[1], 2, DET_OPEN);
	rec(&d[2], 1, DET_CLOSE);
	CHECK(store_write(s, run, d, 3) == -1);
	printf("bad kind: %s\n", store_error(s));
	/* Enforced by store.c (the shipped schema allows skipping SQLite's CHECKs). */
	CHECK(strstr(store_error(s), "outside the vocabulary (kind_in_vocabulary)") != NULL);
	d[0].kind = KIND_SYN_SCAN;
	d[2].severity = 9;
	CHECK(store_write(s, run, d, 3) == -1);
	CHECK(strstr(store_error(s), "severity_in_vocabulary") != NULL);
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM detections"), 0);
	d[2].severity = SEV_HIGH;
	CHECK(store_write(s, run, d, 3) == 0);
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM detections"), 2);
	CHECK_EQ_U(query_int(path, "SELECT closed_at IS NOT NULL FROM detections WHERE seq = 1"),
	           1);
	store_close(s);
	/* Other connections keep enforcing the schema's CHECKs. */
	{
		sqlite3 *db = NULL;

		CHECK(sqlite3_open(path, &db) == SQLITE_OK);
		CHECK(sqlite3_exec(db, "UPDATE detections SET kind = 'no_such_kind'", NULL, NULL,
		                   NULL) == SQLITE_CONSTRAINT);
		sqlite3_close(db);
	}
}

/*
 * A file whose CHECK does not accept a kind detection.h has: store_open must
 * notice, leave SQLite's CHECKs on, and refuse exactly what the schema
 * refuses, as before the fast path existed.
 */
static void test_narrower_schema_keeps_checks(void)
{
	char path[256], err[256] = "";
	char *sql, *cut, *msg = NULL;
	const char *needle = ", 'icmp_flood'";
	struct sw_detection d[3];
	static char got[DUMP_MAX];
	sqlite3 *db = NULL;
	struct store *s;
	int64_t run;
	int applied = 0;

	snprintf(path, sizeof(path), "%s/narrow.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	for (size_t i = 0; embedded_migrations[i].sql != NULL; i++) {
		sql = strdup(embedded_migrations[i].sql);
		CHECK(sql != NULL);
		if (sql == NULL)
			break;
		cut = strstr(sql, needle);
		if (cut != NULL) {
			memmove(cut, cut + strlen(needle), strlen(cut + strlen(needle)) + 1);
			applied++;
		}
		CHECK(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK);
		if (msg)
			fprintf(stderr, "%s\n", msg);
		sqlite3_free(msg);
		msg = NULL;
		free(sql);
	}
	CHECK_EQ_U(applied, 1);
	{
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		         store_schema_version());
		CHECK(sqlite3_exec(db, pragma, NULL, NULL, NULL) == SQLITE_OK);
	}
	sqlite3_close(db);

	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return;
	}
	run = store_run_begin(s, "narrow", NULL, 1);
	CHECK(run == 1);
	rec(&d[0], 1, DET_OPEN);
	d[0].kind = KIND_ICMP_FLOOD;
	CHECK(store_write(s, run, d, 1) == -1);
	printf("narrow schema: %s\n", store_error(s));
	CHECK(strstr(store_error(s), "CHECK constraint failed: kind_in_vocabulary") != NULL);
	/* Without the fast path's guarantees, batches are written record by record. */
	rec(&d[0], 1, DET_OPEN);
	rec(&d[1], 2, DET_OPEN);
	rec(&d[2], 1, DET_CLOSE);
	give_packets(&d[0], 0, 0, 2);
	give_packets(&d[2], 2, 2, 1);
	CHECK(store_write(s, run, d, 3) == 0);
	store_close(s);
	drop_packets(d, 3);
	dump(path, got, DUMP_MAX);
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM detections"), 2);
	CHECK(strstr(got, "seq 1 close") != NULL);
	CHECK(strncmp(got, "1|1|1|", 6) == 0);
	/* and each record's packets under its row */
	dump_evidence(path, got, DUMP_MAX);
	CHECK_STR(got, "1|0|010000\n1|1|010100\n1|2|010202\n");
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/*
 * The WAL is copied into the database during the run, by the checkpointer
 * thread, not only when the store closes: after some 25 MiB of rows the
 * database file itself grows while the writer's connection is still open
 * (the writer never checkpoints while the checkpointer works). Bounded wait.
 */
static void test_background_checkpoint(void)
{
	enum { ROWS = 40000, BATCH = 1000 };
	char path[256], err[256] = "";
	static struct sw_detection d[BATCH];
	long long before, after = 0;
	struct store *s;
	int64_t run;

	snprintf(path, sizeof(path), "%s/ckpt.db", dir);
	s = store_open(path, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	run = store_run_begin(s, "ckpt", NULL, 1);
	before = file_size(path);
	for (unsigned i = 0; i < ROWS; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++) {
			rec(&d[k], i + k + 1, DET_OPEN);
			fixture_reasons_full(&d[k], "e", 1);
		}
		CHECK(store_write(s, run, d, BATCH) == 0);
	}
	for (int tries = 0; tries < 200; tries++) { /* 10 s at most */
		after = file_size(path);
		if (after > before + 8 * 1024 * 1024)
			break;
		usleep(50000);
	}
	printf("background checkpoint: database %lld -> %lld bytes while open\n", before, after);
	CHECK(after > before + 8 * 1024 * 1024);
	store_close(s);
	{
		char wal[300];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		CHECK(access(wal, F_OK) != 0); /* the last close checkpointed and removed it */
	}
	CHECK_EQ_U(query_int(path, "SELECT count(*) FROM detections"), ROWS);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_batching_is_invisible();
	test_bad_record_not_coalesced_away();
	test_narrower_schema_keeps_checks();
	test_background_checkpoint();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	CHECK_DONE();
}
