/* test_store_stats.c — the stats table: migration from version 1, exact rows, a second connection.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/embedded.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-stats-XXXXXX";

/* A database left by a build that knew only 001_init.sql. */
static void make_v1(const char *path)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	CHECK(embedded_migrations[0].version == 1);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, embedded_migrations[0].sql, NULL, NULL, &msg) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
	                   "PRAGMA user_version = 1; INSERT INTO runs (input, started_at)"
	                   " VALUES ('old.pcap', 1)",
	                   NULL, NULL, &msg) == SQLITE_OK);
	if (msg)
		fprintf(stderr, "%s\n", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
}

static void test_migration(void)
{
	char path[128], err[256] = "";
	struct store *s;
	sqlite3 *ro = NULL;

	snprintf(path, sizeof path, "%s/v1.db", dir);
	make_v1(path);
	s = store_open(path, err, sizeof err);
	CHECK(s != NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(sqlite3_open_v2(path, &ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(store_schema_version() >= 2);
	CHECK_EQ_U(fixture_query_int(ro, "PRAGMA user_version"), store_schema_version());
	/* 17 columns up to 005, and 009_evidence.sql's three evidence counters */
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM pragma_table_info('stats')"), 20);
	/* The old run is still there, and a stats row can refer to it. */
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM runs"), 1);
	struct store_stats st = {.at_us = 5, .packets = 1};
	CHECK(store_write_stats(s, 1, &st) == 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM stats WHERE run_id = 1"), 1);
	sqlite3_close(ro);
	store_close(s);
}

/* The emit writer thread's role: batches of detections on its own connection. */
struct writer {
	struct store *s;
	int64_t run;
	int batches, failures;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct sw_detection d[8];

	for (int b = 0; b < w->batches; b++) {
		for (int i = 0; i < 8; i++) {
			memset(&d[i], 0, sizeof d[i]);
			d[i].seq = (uint64_t)(b * 8 + i + 1);
			d[i].phase = DET_OPEN;
			d[i].kind = KIND_SYN_SCAN;
			d[i].severity = SEV_MEDIUM;
			d[i].proto = 6;
			snprintf(d[i].rule_id, sizeof d[i].rule_id, "SW-TCP-SYN-001");
			snprintf(d[i].rule_name, sizeof d[i].rule_name, "TCP SYN port scan");
			addr_parse("198.18.0.1", &d[i].src);
			d[i].first_seen = d[i].opened_at = d[i].last_seen = 1000 + (uint64_t)b;
			d[i].probes = d[i].probes_at_open = 20;
		}
		if (store_write(w->s, w->run, d, 8) < 0) {
			fprintf(stderr, "writer: %s\n", store_error(w->s));
			w->failures++;
		}
	}
	return NULL;
}

static void test_rows(void)
{
	char path[128], err[256] = "";
	struct store *writer_store, *stats_store;
	sqlite3 *ro = NULL;
	sqlite3_stmt *q = NULL;
	struct writer w = {.batches = 200};
	pthread_t th;
	int64_t run;
	int failures = 0;

	snprintf(path, sizeof path, "%s/live.db", dir);
	writer_store = store_open(path, err, sizeof err);
	stats_store = store_open(path, err, sizeof err); /* the main thread's own connection */
	CHECK(writer_store != NULL && stats_store != NULL);
	if (!writer_store || !stats_store) {
		fprintf(stderr, "%s\n", err);
		store_close(writer_store);
		store_close(stats_store);
		return;
	}
	run = store_run_begin(writer_store, "sw-tgt", "built-in defaults", 1795667000000000ull);
	CHECK(run > 0);

	/* Exact columns, JSON kept as given, NULL when absent. */
	struct store_stats st = {
	    .at_us = 1795667060000000ull,
	    .packets = 123456,
	    .bytes = 9876543210ull,
	    .kernel_drops = 7,
	    .if_drops = 3,
	    .anomalies_json = "{\"ipv4_truncated\":2}",
	    .flows_used = 10,
	    .flows_capacity = 65536,
	    .entries_used = 4,
	    .entries_capacity = 32768,
	    .evictions_json = "{\"flows_full\":0,\"sources_full\":1}",
	    .queue_depth = 2,
	    .queue_max = 17,
	    .records_dropped = 1,
	    .store_errors = 5,
	};
	CHECK(store_write_stats(stats_store, run, &st) == 0);
	CHECK(sqlite3_open_v2(path, &ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(ro,
	                         "SELECT run_id, at, packets, bytes, kernel_drops, if_drops, "
	                         "anomalies, flows_used, flows_capacity, entries_used, "
	                         "entries_capacity, evictions, queue_depth, queue_max, "
	                         "records_dropped, store_errors FROM stats",
	                         -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW);
	CHECK_EQ_U(sqlite3_column_int64(q, 0), run);
	CHECK_EQ_U(sqlite3_column_int64(q, 1), 1795667060000000ull);
	CHECK_EQ_U(sqlite3_column_int64(q, 2), 123456);
	CHECK_EQ_U(sqlite3_column_int64(q, 3), 9876543210ull);
	CHECK_EQ_U(sqlite3_column_int64(q, 4), 7);
	CHECK_EQ_U(sqlite3_column_int64(q, 5), 3);
	CHECK_STR((const char *)sqlite3_column_text(q, 6), "{\"ipv4_truncated\":2}");
	CHECK_EQ_U(sqlite3_column_int64(q, 7), 10);
	CHECK_EQ_U(sqlite3_column_int64(q, 8), 65536);
	CHECK_EQ_U(sqlite3_column_int64(q, 9), 4);
	CHECK_EQ_U(sqlite3_column_int64(q, 10), 32768);
	CHECK_STR((const char *)sqlite3_column_text(q, 11),
	          "{\"flows_full\":0,\"sources_full\":1}");
	CHECK_EQ_U(sqlite3_column_int64(q, 12), 2);
	CHECK_EQ_U(sqlite3_column_int64(q, 13), 17);
	CHECK_EQ_U(sqlite3_column_int64(q, 14), 1);
	CHECK_EQ_U(sqlite3_column_int64(q, 15), 5);
	CHECK(sqlite3_step(q) == SQLITE_DONE);
	sqlite3_finalize(q);

	st.anomalies_json = NULL;
	st.evictions_json = NULL;
	CHECK(store_write_stats(stats_store, run, &st) == 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM stats WHERE anomalies IS NULL AND "
	                                 "evictions IS NULL"),
	           1);

	/* A run that does not exist: the foreign key refuses it, with a message. */
	CHECK(store_write_stats(stats_store, run + 1000, &st) == -1);
	CHECK(strncmp(store_error(stats_store), "writing statistics for run ", 27) == 0);
	CHECK(strstr(store_error(stats_store), "FOREIGN KEY") != NULL);

	/* Both connections write at once, as the writer thread and SIGUSR1 would. */
	w.s = writer_store;
	w.run = run;
	CHECK(pthread_create(&th, NULL, writer_main, &w) == 0);
	for (int i = 0; i < 200; i++) {
		st.at_us++;
		st.packets = (uint64_t)i;
		if (store_write_stats(stats_store, run, &st) < 0) {
			fprintf(stderr, "stats: %s\n", store_error(stats_store));
			failures++;
		}
	}
	pthread_join(th, NULL);
	CHECK_EQ_U(failures, 0);
	CHECK_EQ_U(w.failures, 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM stats"), 202);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections"), 200 * 8);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(DISTINCT packets) FROM stats WHERE at > "
	                                 "1795667060000000"),
	           200);
	sqlite3_close(ro);
	store_close(stats_store);
	store_close(writer_store);
	/* Clean close: the file passes the integrity check. */
	CHECK(sqlite3_open_v2(path, &ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	{
		sqlite3_stmt *ic = NULL;

		CHECK(sqlite3_prepare_v2(ro, "PRAGMA integrity_check", -1, &ic, NULL) == SQLITE_OK);
		CHECK(sqlite3_step(ic) == SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(ic, 0), "ok");
		sqlite3_finalize(ic);
	}
	sqlite3_close(ro);
}

int main(void)
{
	char cmd[128];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_migration();
	test_rows();
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
