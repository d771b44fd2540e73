/* test_store_read.c — the store read back: records as written, every filter, the follow cursor,
 * runs and stats rows, older and newer schemas, rows another tool wrote. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/embedded.h"
#include "scanwatch/output.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-store-read-XXXXXX";

/* What a walk collected: the rows (copied) in the order given. */
struct got {
	struct store_row rows[16];
	size_t n;
	size_t stop_after; /* 0: never stop */
};

static int collect(void *ctx, const struct store_row *row)
{
	struct got *g = ctx;

	if (g->n < sizeof(g->rows) / sizeof(g->rows[0]))
		g->rows[g->n++] = *row;
	return g->stop_after != 0 && g->n == g->stop_after ? 7 : 0;
}

/* The ids f selects, space-separated, into buf. */
static const char *ids(struct store_reader *r, const struct store_filter *f, char *buf, size_t len)
{
	struct got g = {.n = 0};
	char err[256];
	size_t o = 0;

	buf[0] = '\0';
	if (store_read_detections(r, f, collect, &g, err, sizeof(err)) < 0) {
		snprintf(buf, len, "error: %.200s", err);
		return buf;
	}
	for (size_t i = 0; i < g.n; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? " " : "",
		                      (long long)g.rows[i].id);
	return buf;
}

/* A closed detection like fixture_syn with its own seq, kind, source and times. */
static void make(struct sw_detection *d, uint64_t seq, enum sw_kind kind, enum sw_severity sev,
                 const char *src, uint64_t t0_s, bool closed)
{
	fixture_syn(d, closed ? DET_CLOSE : DET_UPDATE);
	d->seq = seq;
	d->kind = (uint8_t)kind;
	d->severity = (uint8_t)sev;
	if (strcmp(src, "*") == 0)
		d->src_any = 1;
	else
		d->src = fixture_ip(src);
	d->first_seen = t0_s * 1000000;
	d->opened_at = d->first_seen + 10;
	d->last_seen = d->first_seen + 5000000;
	d->closed_at = closed ? d->last_seen + 1 : 0;
}

static int count_runs(void *ctx, const struct store_run *run)
{
	struct store_run *out = ctx;

	*out = *run;
	out->input = NULL; /* borrowed: not kept past the call */
	out->config = NULL;
	out->end.anomalies_json = out->end.evictions_json = out->end.error = NULL;
	out->id += 1000 * (out->id != 0); /* marks that fn ran */
	return 0;
}

static int stats_seen(void *ctx, int64_t run_id, const struct store_stats *st)
{
	uint64_t *sum = ctx;

	*sum += (uint64_t)run_id * 1000000 + st->packets;
	return 0;
}

/* Records round-trip: what the sensor would have printed is what the row reads back as. */
static void test_roundtrip(const char *path)
{
	struct sw_detection d[3];
	struct got g = {.n = 0};
	struct store_filter f = {.order = STORE_ORDER_ID};
	char err[256], want[4096], have[4096];
	struct store *s = store_open(path, err, sizeof(err));
	struct store_reader *r;
	int64_t run;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	run = store_run_begin(s, "a.pcap", "builtin", 1);
	fixture_syn(&d[0], DET_CLOSE);
	fixture_tags(&d[0], "T1046,T1595.001");
	make(&d[1], 8, KIND_SYN_FLOOD, SEV_CRITICAL, "*", 1795667400, false);
	d[1].has_target = 0;
	d[1].n_sample_sources = 2;
	d[1].sample_sources[0] = fixture_ip("2001:2:0:1::7");
	d[1].sample_sources[1] = fixture_ip("198.18.9.9");
	d[1].tool[0] = '\0';
	snprintf(d[1].campaign, sizeof(d[1].campaign), "c-0001");
	fixture_reasons(&d[1], "ctl \x01 \"q\" \\ \xe2\x80\xa8 é");
	make(&d[2], 9, KIND_UDP_SCAN, SEV_LOW, "2001:2::9", 1795667500, true);
	d[2].n_sample_ports = 0;
	d[2].n_tags = 0;
	CHECK(store_write(s, run, d, 3) == 0);
	store_close(s);

	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_EQ_U(store_read_version(r), store_schema_version());
	CHECK_EQ_U(store_read_detections(r, &f, collect, &g, err, sizeof(err)), 0);
	CHECK_EQ_U(g.n, 3);
	for (size_t i = 0; i < g.n && i < 3; i++) {
		CHECK_EQ_U(g.rows[i].id, i + 1);
		CHECK_EQ_U(g.rows[i].run_id, run);
		CHECK(output_json_render(&d[i], want, sizeof(want)) > 0);
		CHECK(output_json_render(&g.rows[i].d, have, sizeof(have)) > 0);
		CHECK_STR(have, want);
	}
	CHECK_EQ_U(g.rows[1].d.phase, DET_UPDATE);
	CHECK_EQ_U(g.rows[2].d.phase, DET_CLOSE);
	CHECK_EQ_U(g.rows[0].d.n_tags, 2);
	CHECK_STR(g.rows[0].d.tags[0], "T1046");
	CHECK_STR(g.rows[0].d.tags[1], "T1595.001");
	CHECK_EQ_U(store_read_skipped(r, NULL), 0);
	store_read_close(r);
}

static void test_filters(const char *path)
{
	struct sw_detection d[6];
	char err[256], buf[256];
	struct store *s = store_open(path, err, sizeof(err));
	struct store_reader *r;
	int64_t r1, r2;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	r1 = store_run_begin(s, "one", NULL, 1);
	make(&d[0], 1, KIND_SYN_SCAN, SEV_MEDIUM, "198.18.0.1", 1000, true);
	make(&d[1], 2, KIND_UDP_SCAN, SEV_LOW, "2001:2::7", 2000, false);
	make(&d[2], 3, KIND_SYN_FLOOD, SEV_CRITICAL, "*", 3000, true);
	CHECK(store_write(s, r1, d, 3) == 0);
	r2 = store_run_begin(s, "two", NULL, 2);
	make(&d[3], 1, KIND_SYN_SCAN, SEV_HIGH, "198.19.255.1", 500, true);
	make(&d[4], 2, KIND_ICMP_SWEEP, SEV_LOW, "192.0.2.10", 4000, false);
	snprintf(d[4].rule_id, sizeof(d[4].rule_id), "SW-OTHER");
	CHECK(store_write(s, r2, &d[3], 2) == 0);
	store_close(s);

	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_STR(ids(r, &(struct store_filter){0}, buf, sizeof(buf)), "1 2 3 4 5");
	CHECK_STR(ids(r, &(struct store_filter){.order = STORE_ORDER_ID_DESC}, buf, sizeof(buf)),
	          "5 4 3 2 1");
	CHECK_STR(ids(r, &(struct store_filter){.order = STORE_ORDER_FIRST_SEEN}, buf, sizeof(buf)),
	          "4 1 2 3 5");
	CHECK_STR(ids(r, &(struct store_filter){.has_kind = true, .kind = KIND_SYN_SCAN}, buf,
	              sizeof(buf)),
	          "1 4");
	CHECK_STR(ids(r, &(struct store_filter){.rule_id = "SW-OTHER"}, buf, sizeof(buf)), "5");
	CHECK_STR(ids(r, &(struct store_filter){.min_severity = SEV_HIGH}, buf, sizeof(buf)),
	          "3 4");
	CHECK_STR(ids(r, &(struct store_filter){.state = STORE_STATE_OPEN}, buf, sizeof(buf)),
	          "2 5");
	CHECK_STR(ids(r, &(struct store_filter){.state = STORE_STATE_CLOSED}, buf, sizeof(buf)),
	          "1 3 4");
	CHECK_STR(ids(r, &(struct store_filter){.run_id = r2}, buf, sizeof(buf)), "4 5");
	/* Activity [first_seen, last_seen] meets [since, until]. */
	CHECK_STR(ids(r,
	              &(struct store_filter){.has_since = true,
	                                     .since = 2000000000 + 5000000,
	                                     .has_until = true,
	                                     .until = 3000000000},
	              buf, sizeof(buf)),
	          "2 3");
	/* A CIDR block holds addresses, never "*". */
	struct store_filter src = {.has_src = true};
	CHECK(addr_cidr_parse("198.18.0.0/15", &src.src) == 0);
	CHECK_STR(ids(r, &src, buf, sizeof(buf)), "1 4");
	CHECK(addr_cidr_parse("0.0.0.0/0", &src.src) == 0);
	src.limit = 2;
	src.order = STORE_ORDER_ID_DESC;
	CHECK_STR(ids(r, &src, buf, sizeof(buf)), "5 4"); /* the limit counts matching rows */
	/* The follow cursor: rows after an id, each once. */
	CHECK_STR(ids(r, &(struct store_filter){.after_id = 3}, buf, sizeof(buf)), "4 5");
	CHECK_STR(ids(r, &(struct store_filter){.after_id = 5}, buf, sizeof(buf)), "");
	/* fn stops the walk: its value comes back. */
	struct got g = {.stop_after = 2};
	CHECK_EQ_U(
	    store_read_detections(r, &(struct store_filter){0}, collect, &g, err, sizeof(err)), 7);
	CHECK_EQ_U(g.n, 2);
	store_read_close(r);
}

static void test_runs_stats(const char *path)
{
	char err[256];
	struct store *s = store_open(path, err, sizeof(err));
	struct store_reader *r;
	struct store_run run;
	uint64_t sum = 0;
	int64_t a, b;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	a = store_run_begin(s, "a.pcap b.pcap", "rules/", 11);
	b = store_run_begin(s, "eth1", NULL, 12);
	struct store_run_end end = {.ended_us = 20,
	                            .first_ts_us = 3,
	                            .last_ts_us = 4,
	                            .packets = 5,
	                            .bytes = 6,
	                            .detections = 7,
	                            .anomalies_json = "{\"x\":1}",
	                            .store_errors = 8,
	                            .records_dropped = 9,
	                            .output_errors = 10,
	                            .status = 1,
	                            .error = "boom"};
	CHECK(store_run_finish(s, a, &end) == 0);
	CHECK(store_write_stats(s, b, &(struct store_stats){.at_us = 1, .packets = 40}) == 0);
	CHECK(store_write_stats(s, b, &(struct store_stats){.at_us = 2, .packets = 2}) == 0);
	store_close(s);

	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	memset(&run, 0, sizeof(run));
	CHECK_EQ_U(store_read_runs(r, a, false, 0, count_runs, &run, err, sizeof(err)), 0);
	CHECK_EQ_U(run.id, a + 1000);
	CHECK(run.ended);
	CHECK_EQ_U(run.started_us, 11);
	CHECK_EQ_U(run.end.ended_us, 20);
	CHECK_EQ_U(run.end.packets, 5);
	CHECK_EQ_U(run.end.detections, 7);
	CHECK_EQ_U(run.end.output_errors, 10);
	CHECK_EQ_U(run.end.status, 1);
	memset(&run, 0, sizeof(run));
	CHECK_EQ_U(store_read_runs(r, 0, true, 1, count_runs, &run, err, sizeof(err)), 0);
	CHECK_EQ_U(run.id, b + 1000); /* the newest */
	CHECK(!run.ended);
	CHECK_EQ_U(run.end.packets, 0);
	CHECK_EQ_U(store_read_stats(r, b, stats_seen, &sum, err, sizeof(err)), 0);
	CHECK_EQ_U(sum, (uint64_t)b * 2000000 + 42);
	store_read_close(r);
}

/* A database as schema 1 left it: read as it is, the later columns absent. */
static void test_old_schema(const char *path)
{
	sqlite3 *db = NULL;
	char err[256], buf[64], sql[512];
	struct store_reader *r;
	struct store_run run;
	uint64_t sum = 0;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(embedded_migrations[0].version == 1);
	CHECK(sqlite3_exec(db, embedded_migrations[0].sql, NULL, NULL, NULL) == SQLITE_OK);
	snprintf(
	    sql, sizeof(sql),
	    "PRAGMA user_version = 1;"
	    "INSERT INTO runs (id, input, started_at, ended_at, packets) VALUES (1, 'x', 1, 2, "
	    "3);"
	    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
	    " first_seen, opened_at, last_seen, probes, probes_at_open, distinct_targets,"
	    " distinct_ports, sample_ports, tags) VALUES (1, 1, 'R', 'r', 'syn_scan', 'low',"
	    " '198.18.0.1', 1, 2, 3, 4, 4, 1, 4, '[ 22 , 80 ]', '[\"T\\u0031046\"]');");
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_EQ_U(store_read_version(r), 1);
	CHECK_STR(ids(r, &(struct store_filter){0}, buf, sizeof(buf)), "1");
	struct got g = {.n = 0};
	CHECK_EQ_U(
	    store_read_detections(r, &(struct store_filter){0}, collect, &g, err, sizeof(err)), 0);
	CHECK_EQ_U(g.rows[0].d.n_sample_ports, 2);
	CHECK_EQ_U(g.rows[0].d.sample_ports[1], 80);
	CHECK_EQ_U(g.rows[0].d.n_tags, 1);
	CHECK_STR(g.rows[0].d.tags[0], "T1046");
	CHECK_EQ_U(g.rows[0].d.n_sample_targets, 0); /* NULL: an empty list */
	memset(&run, 0, sizeof(run));
	CHECK_EQ_U(store_read_runs(r, 0, false, 0, count_runs, &run, err, sizeof(err)), 0);
	CHECK_EQ_U(run.end.packets, 3);
	CHECK_EQ_U(run.end.store_errors, 0);
	CHECK_EQ_U(store_read_stats(r, 0, stats_seen, &sum, err, sizeof(err)), 0);
	CHECK_EQ_U(sum, 0);
	store_read_close(r);
}

/* Rows another tool wrote that are no record are skipped, counted, and said why. */
static void test_foreign_rows(const char *path)
{
	char err[256], buf[64];
	struct store *s = store_open(path, err, sizeof(err));
	sqlite3 *db = NULL;
	struct store_reader *r;
	const char *why = NULL;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(store_run_begin(s, "x", NULL, 1) == 1);
	store_close(s);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(
	    sqlite3_exec(db,
	                 "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity,"
	                 " src_ip, first_seen, opened_at, last_seen, probes, probes_at_open,"
	                 " distinct_targets, distinct_ports, sample_ports) VALUES"
	                 " (1, 1, 'R', 'r', 'syn_scan', 'low', 'not-an-address', 1, 1, 1, 1, 1,"
	                 " 1, 1, '[]'),"
	                 " (1, 2, 'R', 'r', 'syn_scan', 'low', '198.18.0.1', 1, 1, 1, 1, 1, 1, 1,"
	                 " '[22,'),"
	                 " (1, 3, 'R', 'r', 'syn_scan', 'low', '198.18.0.1', 1, 1, 1, 1, 1, 1, 1,"
	                 " '[70000]'),"
	                 " (1, 4, 'R', 'r', 'syn_scan', 'low', '198.18.0.1', 1, 1, 1, 1, 1, 1, 1,"
	                 " '[443]')",
	                 NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK_STR(ids(r, &(struct store_filter){0}, buf, sizeof(buf)), "4");
	CHECK_EQ_U(store_read_skipped(r, &why), 3);
	CHECK(why != NULL && strstr(why, "row 1") != NULL);
	store_read_close(r);

	/* A closing time no sensor writes (negative): closed for the filters and for the row's
	 * phase alike (the row read as open while --closed gave it; found by fuzz_store_read). */
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(
	    sqlite3_exec(db,
	                 "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity,"
	                 " src_ip, first_seen, opened_at, last_seen, closed_at, probes,"
	                 " probes_at_open, distinct_targets, distinct_ports, sample_ports) VALUES"
	                 " (1, 5, 'R', 'r', 'syn_scan', 'low', '198.18.0.1', 1, 1, 1, -5, 1, 1, 1,"
	                 " 1, '[80]')",
	                 NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct store_filter closed = {.state = STORE_STATE_CLOSED};
	struct got g = {0};
	CHECK_EQ_U(store_read_detections(r, &closed, collect, &g, err, sizeof(err)), 0);
	CHECK_EQ_U(g.n, 1);
	if (g.n == 1) {
		CHECK_EQ_U(g.rows[0].d.seq, 5);
		CHECK_EQ_U(g.rows[0].d.phase, DET_CLOSE);
	}
	CHECK_STR(ids(r, &(struct store_filter){.state = STORE_STATE_OPEN}, buf, sizeof(buf)), "4");
	store_read_close(r);
}

static void test_refused(const char *newer, const char *empty)
{
	sqlite3 *db = NULL;
	char err[256], sql[64], want[64];
	struct store *s = store_open(newer, err, sizeof(err));

	CHECK(s != NULL);
	store_close(s);
	CHECK(sqlite3_open(newer, &db) == SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_version() + 1);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	CHECK(store_read_open(newer, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "version %d is newer than this scanwatch's (%d)",
	         store_schema_version() + 1, store_schema_version());
	CHECK(strstr(err, want) != NULL);
	CHECK(strstr(err, "use a newer scanwatch") != NULL);
	/* The writer refuses it too, with the same words. */
	CHECK(store_open(newer, err, sizeof(err)) == NULL);
	CHECK(strstr(err, want) != NULL);

	CHECK(sqlite3_open(empty, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(store_read_open(empty, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a scanwatch database") != NULL);
	/* user_version is signed: a negative one is not ours, for the reader and the writer. */
	CHECK(sqlite3_open(empty, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version = -9", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	CHECK(store_read_open(empty, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "version -9 is not one scanwatch writes") != NULL);
	CHECK(strstr(err, empty) == err);
	CHECK(store_open(empty, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "version -9 is not one scanwatch writes") != NULL);
	CHECK(store_read_open("/nonexistent/x.db", err, sizeof(err)) == NULL);
	CHECK(access("/nonexistent/x.db", F_OK) != 0);
}

/* Databases with no detection read as one set: no row, no error. The merge sorted its empty
 * (NULL) row array with qsort, which UBSan reports (found by fuzz_store_read). */
static void test_set_empty(const char *a, const char *b)
{
	char err[256];
	struct store *s = store_open(a, err, sizeof(err));
	CHECK(s != NULL);
	store_close(s);
	s = store_open(b, err, sizeof(err));
	CHECK(s != NULL);
	store_close(s);
	const char *paths[2] = {a, b};
	struct store_set *set = store_set_open(paths, 2, err, sizeof(err));
	CHECK(set != NULL);
	if (set == NULL)
		return;
	struct store_filter f = {.order = STORE_ORDER_FIRST_SEEN};
	struct got g = {0};
	CHECK_EQ_U(store_set_read_detections(set, &f, NULL, collect, &g, err, sizeof(err)), 0);
	CHECK_EQ_U(g.n, 0);
	f.limit = 3;
	CHECK_EQ_U(store_set_read_detections(set, &f, NULL, collect, &g, err, sizeof(err)), 0);
	CHECK_EQ_U(g.n, 0);
	store_set_close(set);
}

static int count_rows(void *ctx, const struct store_row *row)
{
	(void)row;
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * A walk's budget grows with the file and charges each detection row it parses
 * (STORE_READ_OPS_PER_ROW): a sound store of many rows reads back whole, every row.
 */
static void test_many_rows(const char *path)
{
	enum { N = 30000, BATCH = 500 };
	char err[256];
	struct store *s = store_open(path, err, sizeof(err));
	static struct sw_detection d[BATCH];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	int64_t run = store_run_begin(s, "many.pcap", "builtin", 1);
	for (unsigned i = 0; i < N; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++)
			make(&d[k], i + k + 1, KIND_SYN_SCAN, SEV_MEDIUM, "198.18.0.9",
			     1700000000 + i + k, true);
		CHECK(store_write(s, run, d, BATCH) == 0);
	}
	store_close(s);
	struct store_reader *r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct store_filter f = {.order = STORE_ORDER_FIRST_SEEN};
	uint64_t n = 0;
	int rc = store_read_detections(r, &f, count_rows, &n, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "many rows: %s\n", err);
	CHECK_EQ_U(rc, 0);
	CHECK_EQ_U(n, N);
	store_read_close(r);
}

/*
 * The damaged file of tests/fuzz/regressions (B-tree pages that repeat one another, so a
 * scan returns its ten rows over and over): the walk stops with an error that says so, and
 * the rows it parsed before are bounded by the file's size, not only SQLite's operations
 * (it parsed 50,738 of them when rows cost nothing: 2 s in the fuzzer's build).
 */
static void test_damaged(const char *path)
{
	char from[1024], cmd[2400], err[512];
	size_t o = strlen(FIXTURE_SOURCE_DIR(from, sizeof(from), NULL));
	snprintf(from + o, sizeof(from) - o,
	         "/tests/fuzz/regressions/fuzz_store_read/walk-damaged-btree-endless");
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, path);
	CHECK(system(cmd) == 0);
	struct store_reader *r = store_read_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (r == NULL)
		return;
	struct store_filter f = {.order = STORE_ORDER_ID};
	uint64_t n = 0;
	CHECK(store_read_detections(r, &f, count_rows, &n, err, sizeof(err)) < 0);
	CHECK(strstr(err, "the file is damaged") != NULL);
	/* Its rows are not detections scanwatch can read: each was parsed, then skipped. 30 KiB:
	 * a budget of 1,000,000 + 16 x 30,720 operations, 384 a row. */
	uint64_t parsed = n + store_read_skipped(r, NULL);
	fprintf(stderr, "damaged: %llu rows parsed before the walk stopped\n",
	        (unsigned long long)parsed);
	CHECK(parsed > 0 && parsed <= (1000000 + 16 * 30720) / 384);
	store_read_close(r);
}

int main(void)
{
	char p[11][300], cmd[400];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (int i = 0; i < 11; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%d.db", dir, i);
	test_roundtrip(p[0]);
	test_filters(p[1]);
	test_runs_stats(p[2]);
	test_old_schema(p[3]);
	test_foreign_rows(p[4]);
	test_refused(p[5], p[6]);
	test_set_empty(p[7], p[8]);
	test_many_rows(p[9]);
	test_damaged(p[10]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
