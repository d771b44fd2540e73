/* test_store.c — the SQLite store: migrations, WAL, batched upserts, failures and runs. */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-store-XXXXXX";
static char dbpath[256];

/*
 * A TCP SYN scan from one source at one target, as detect.c would report it: the
 * outputs' fixture with the values this test's expected rows (exp_a) are written for.
 */
static void make_a(struct sw_detection *d, enum det_phase phase)
{
	fixture_syn(d, phase);
	d->seq = 1;
	snprintf(d->rule_name, sizeof(d->rule_name), "TCP SYN port scan");
	fixture_tags(d, "T1046,T1595.001");
	d->first_seen = 1795667309000000ull;
	d->last_seen = d->opened_at + (phase == DET_OPEN ? 0 : 5000000);
	d->closed_at = phase == DET_CLOSE ? d->last_seen + 6000000 : 0;
	d->n_sample_ports = 3;
	d->sample_ports[1] = 80;
	d->sample_ports[2] = 65535;
	fixture_reasons(d, "5 ports in 1s; window 1024; quote \" ok");
}

/* A spoofed-source flood over IPv6: no single source or target, a campaign, no tool. */
static void make_b(struct sw_detection *d, enum det_phase phase)
{
	memset(d, 0, sizeof(*d));
	d->seq = 2;
	d->phase = phase;
	d->kind = KIND_SYN_FLOOD;
	d->severity = SEV_CRITICAL;
	d->proto = 6;
	d->src_any = 1;
	snprintf(d->rule_id, sizeof(d->rule_id), "SW-FLOOD-SYN-001");
	snprintf(d->rule_name, sizeof(d->rule_name), "SYN flood");
	fixture_tags(d, "T1498");
	d->first_seen = 1795667400000000ull;
	d->opened_at = 1795667401000000ull;
	d->last_seen = d->opened_at + (phase == DET_CLOSE ? 3000000 : 1000000);
	d->closed_at = phase == DET_CLOSE ? d->last_seen + 1 : 0;
	d->probes = phase == DET_CLOSE ? 900000 : 50000;
	d->probes_at_open = 50000;
	d->distinct_targets = 2;
	d->distinct_ports = 1;
	d->n_sample_ports = 1;
	d->sample_ports[0] = 443;
	d->n_sample_targets = 2;
	d->sample_targets[0] = fixture_ip("2001:2::1");
	d->sample_targets[1] = fixture_ip("2001:2::2");
	d->n_sample_sources = 2;
	d->sample_sources[0] = fixture_ip("2001:2:0:1::7");
	d->sample_sources[1] = fixture_ip("198.18.9.9");
	snprintf(d->campaign, sizeof(d->campaign), "c-0001");
	fixture_reasons(d, "50000 SYN/s from 40000 sources");
}

/* The JSON and text forms of what make_a / make_b put in, as the row must hold them. */
struct expect {
	const char *src_ip, *target_ip, *ports, *targets, *sources, *tags, *tool, *campaign;
};

static const struct expect exp_a = {"198.18.0.2",
                                    "198.18.1.2",
                                    "[22,80,65535]",
                                    "[\"198.18.1.2\"]",
                                    "[]",
                                    "[\"T1046\",\"T1595.001\"]",
                                    "nmap",
                                    NULL};
static const struct expect exp_b = {"*",
                                    NULL,
                                    "[443]",
                                    "[\"2001:2::1\",\"2001:2::2\"]",
                                    "[\"2001:2:0:1::7\",\"198.18.9.9\"]",
                                    "[\"T1498\"]",
                                    NULL,
                                    "c-0001"};

static void check_text(sqlite3_stmt *st, int col, const char *want, int line)
{
	const char *got = (const char *)sqlite3_column_text(st, col);

	if (want == NULL) {
		CHECK(sqlite3_column_type(st, col) == SQLITE_NULL);
		if (sqlite3_column_type(st, col) != SQLITE_NULL)
			fprintf(stderr, "  (line %d, column %d should be NULL)\n", line, col);
	} else {
		CHECK_STR(got, want);
	}
}

static void check_int(sqlite3_stmt *st, int col, uint64_t want)
{
	CHECK(sqlite3_column_type(st, col) == SQLITE_INTEGER);
	CHECK_EQ_U((uint64_t)sqlite3_column_int64(st, col), want);
}

/* Reads the row (run, d->seq) with a separate connection and compares every column. */
static void check_row(sqlite3 *db, int64_t run, const struct sw_detection *d,
                      const struct expect *x, int line)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(
	    db,
	    "SELECT run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
	    " target_ip, proto, first_seen, opened_at, last_seen, closed_at,"
	    " probes, probes_at_open, distinct_targets, distinct_ports,"
	    " sample_ports, sample_targets, sample_sources, tags, tool, campaign,"
	    " evidence, reasons, id FROM detections WHERE run_id = ? AND seq = ?",
	    -1, &st, NULL);
	CHECK(rc == SQLITE_OK);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)d->seq);
	rc = sqlite3_step(st);
	CHECK(rc == SQLITE_ROW);
	if (rc != SQLITE_ROW) {
		fprintf(stderr, "  (line %d: no row for seq %llu)\n", line,
		        (unsigned long long)d->seq);
		sqlite3_finalize(st);
		return;
	}
	check_int(st, 0, (uint64_t)run);
	check_int(st, 1, d->seq);
	check_text(st, 2, d->rule_id, line);
	check_text(st, 3, d->rule_name, line);
	check_text(st, 4, detection_kind_name(d->kind), line);
	check_text(st, 5, detection_severity_name(d->severity), line);
	check_text(st, 6, x->src_ip, line);
	check_text(st, 7, x->target_ip, line);
	check_int(st, 8, d->proto);
	check_int(st, 9, d->first_seen);
	check_int(st, 10, d->opened_at);
	check_int(st, 11, d->last_seen);
	if (d->closed_at == 0)
		check_text(st, 12, NULL, line);
	else
		check_int(st, 12, d->closed_at);
	check_int(st, 13, d->probes);
	check_int(st, 14, d->probes_at_open);
	check_int(st, 15, d->distinct_targets);
	check_int(st, 16, d->distinct_ports);
	check_text(st, 17, x->ports, line);
	check_text(st, 18, x->targets, line);
	check_text(st, 19, x->sources, line);
	check_text(st, 20, x->tags, line);
	check_text(st, 21, x->tool, line);
	check_text(st, 22, x->campaign, line);
	{
		struct store_row_text t;
		CHECK(store_row_render(d, &t) == 0);
		check_text(st, 23, t.evidence, line);
		check_text(st, 24, t.reasons, line);
		/* the words are the reasons' texts joined, whatever the sink */
		char joined[DET_EVIDENCE_TEXT];
		detection_evidence(d, joined, sizeof joined);
		CHECK_STR(t.evidence, joined);
	}
	CHECK(sqlite3_step(st) == SQLITE_DONE); /* exactly one row per (run, seq) */
	sqlite3_finalize(st);
}

static void query_text(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * A full disk, simulated with RLIMIT_FSIZE: writes past the limit fail with
 * EFBIG (SIGXFSZ ignored) just as they fail with ENOSPC on a full disk. The
 * batch must fail cleanly and a later batch, once space is back, succeed.
 */
static void test_disk_full(struct store *s, sqlite3 *ro, int64_t run)
{
	struct rlimit old, lim;
	char wal[300];
	static struct sw_detection big[1000];
	off_t biggest;
	int64_t before;

	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	biggest = file_size(dbpath) > file_size(wal) ? file_size(dbpath) : file_size(wal);
	for (size_t i = 0; i < 1000; i++) {
		make_a(&big[i], DET_OPEN);
		big[i].seq = 5000 + i;
		fixture_reasons_full(&big[i], "e", 1);
	}
	before = fixture_query_int(ro, "SELECT count(*) FROM detections");
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = (rlim_t)biggest + 8192;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK(store_write(s, run, big, 1000) == -1);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	printf("disk full: %s\n", store_error(s));
	CHECK(strlen(store_error(s)) > 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections"), before);
	/* Space is back: the same batch goes through. */
	CHECK(store_write(s, run, big, 1000) == 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections"), before + 1000);
	signal(SIGXFSZ, SIG_DFL);
}

int main(void)
{
	char err[256], text[256];
	struct store *s;
	sqlite3 *ro = NULL;
	struct sw_detection batch[KIND__COUNT + 2];
	int64_t run, run2;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/sw.db", dir);

	CHECK(store_schema_version() >= 1);
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		CHECK_DONE();
	}
	CHECK(sqlite3_open_v2(dbpath, &ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ_U(fixture_query_int(ro, "PRAGMA user_version"), store_schema_version());
	query_text(ro, "PRAGMA journal_mode", text, sizeof(text));
	CHECK_STR(text, "wal");
	/* A file the store makes has 16 KiB pages (store.c, STORE_PAGE_SIZE). */
	CHECK_EQ_U(fixture_query_int(ro, "PRAGMA page_size"), 16384);

	run = store_run_begin(s, "tests/captures/syn.pcap", "builtin", 1795667000000000ull);
	CHECK(run > 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT started_at FROM runs WHERE id = 1"),
	           1795667000000000ull);
	/* The run names its sensor (schema 008). */
	{
		const char *tags[] = {"site=par1", "zone=dmz"};

		CHECK(store_run_identify(s, run, "edge-1", tags, 2, "1795667000000001") == 0);
		query_text(ro,
		           "SELECT sensor_id || '|' || site_tags || '|' || sensor_run FROM runs",
		           text, sizeof(text));
		CHECK_STR(text, "edge-1|[\"site=par1\",\"zone=dmz\"]|1795667000000001");
		CHECK(store_run_identify(s, run + 100, "edge-1", NULL, 0, NULL) < 0); /* no run */
	}

	/* Batch 1: both open. */
	make_a(&batch[0], DET_OPEN);
	make_b(&batch[1], DET_OPEN);
	CHECK(store_write(s, run, batch, 2) == 0);
	check_row(ro, run, &batch[0], &exp_a, __LINE__);
	check_row(ro, run, &batch[1], &exp_b, __LINE__);
	/* Batch 2: both updated. */
	make_a(&batch[0], DET_UPDATE);
	make_b(&batch[1], DET_UPDATE);
	CHECK(store_write(s, run, batch, 2) == 0);
	check_row(ro, run, &batch[0], &exp_a, __LINE__);
	check_row(ro, run, &batch[1], &exp_b, __LINE__);
	/* Batches 3 and 4: closed one at a time. */
	make_a(&batch[0], DET_CLOSE);
	CHECK(store_write(s, run, batch, 1) == 0);
	check_row(ro, run, &batch[0], &exp_a, __LINE__);
	make_b(&batch[1], DET_UPDATE);
	check_row(ro, run, &batch[1], &exp_b, __LINE__); /* untouched by A's close */
	make_b(&batch[1], DET_CLOSE);
	CHECK(store_write(s, run, batch + 1, 1) == 0);
	check_row(ro, run, &batch[1], &exp_b, __LINE__);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections"), 2);
	CHECK(store_write(s, run, batch, 0) == 0);

	/* An UPDATE whose OPEN was lost still lands as a row. */
	make_a(&batch[0], DET_UPDATE);
	batch[0].seq = 99;
	CHECK(store_write(s, run, batch, 1) == 0);
	check_row(ro, run, &batch[0], &exp_a, __LINE__);

	/* The schema's CHECK accepts exactly the kinds of detection.h. */
	for (unsigned k = 0; k < KIND__COUNT; k++) {
		make_a(&batch[k], DET_OPEN);
		batch[k].seq = 1000 + k;
		batch[k].kind = (uint8_t)k;
	}
	CHECK(store_write(s, run, batch, KIND__COUNT) == 0);
	CHECK_EQ_U(
	    fixture_query_int(ro, "SELECT count(DISTINCT kind) FROM detections WHERE seq >= 1000"),
	    KIND__COUNT);

	/* A bad record fails the whole batch, nothing of it is kept, and the store recovers. */
	make_a(&batch[0], DET_OPEN);
	batch[0].seq = 200;
	make_a(&batch[1], DET_OPEN);
	batch[1].seq = 201;
	batch[1].kind = KIND__COUNT; /* outside the vocabulary */
	CHECK(store_write(s, run, batch, 2) == -1);
	printf("bad kind: %s\n", store_error(s));
	CHECK(strstr(store_error(s), "kind_in_vocabulary") != NULL);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections WHERE seq IN (200, 201)"),
	           0);
	batch[1].kind = KIND_UDP_SCAN;
	batch[1].severity = 0; /* no such severity */
	CHECK(store_write(s, run, batch, 2) == -1);
	CHECK(store_write(s, 424242, batch, 1) == -1); /* no such run: foreign key */
	batch[1].severity = SEV_LOW;
	CHECK(store_write(s, run, batch, 2) == 0);
	CHECK_EQ_U(fixture_query_int(ro, "SELECT count(*) FROM detections WHERE seq IN (200, 201)"),
	           2);

	test_disk_full(s, ro, run);

	/* Finishing the run fills every column. */
	{
		struct store_run_end end = {
		    .ended_us = 1795667999000000ull,
		    .first_ts_us = 1795667309000000ull,
		    .last_ts_us = 1795667404000001ull,
		    .packets = 123456,
		    .bytes = 7890123,
		    .detections = 2,
		    .anomalies_json = "{\"ipv4_truncated\":3}",
		    .evictions_json = "{\"sources\":12}",
		    .status = 1,
		    .error = "truncated capture",
		};
		sqlite3_stmt *st = NULL;

		CHECK(store_run_finish(s, run, &end) == 0);
		CHECK(store_run_finish(s, run + 100, &end) == -1);
		CHECK(sqlite3_prepare_v2(
		          ro,
		          "SELECT input, config, started_at, ended_at, first_ts, last_ts,"
		          " packets, bytes, detections, anomalies, evictions, status,"
		          " error FROM runs WHERE id = ?",
		          -1, &st, NULL) == SQLITE_OK);
		sqlite3_bind_int64(st, 1, run);
		CHECK(sqlite3_step(st) == SQLITE_ROW);
		check_text(st, 0, "tests/captures/syn.pcap", __LINE__);
		check_text(st, 1, "builtin", __LINE__);
		check_int(st, 2, 1795667000000000ull);
		check_int(st, 3, end.ended_us);
		check_int(st, 4, end.first_ts_us);
		check_int(st, 5, end.last_ts_us);
		check_int(st, 6, end.packets);
		check_int(st, 7, end.bytes);
		check_int(st, 8, end.detections);
		check_text(st, 9, end.anomalies_json, __LINE__);
		check_text(st, 10, end.evictions_json, __LINE__);
		check_int(st, 11, 1);
		check_text(st, 12, end.error, __LINE__);
		sqlite3_finalize(st);
	}

	/* Reopening applies no migration again and keeps the data. */
	store_close(s);
	s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "reopen: %s\n", err);
		CHECK_DONE();
	}
	CHECK_EQ_U(fixture_query_int(ro, "PRAGMA user_version"), store_schema_version());
	make_a(&batch[0], DET_CLOSE);
	check_row(ro, run, &batch[0], &exp_a, __LINE__);
	run2 = store_run_begin(s, "eth0", NULL, 1795668000000000ull);
	CHECK(run2 > run);
	make_b(&batch[0], DET_OPEN); /* same seq, other run: a separate row */
	CHECK(store_write(s, run2, batch, 1) == 0);
	check_row(ro, run2, &batch[0], &exp_b, __LINE__);
	make_b(&batch[0], DET_CLOSE);
	check_row(ro, run, &batch[0], &exp_b, __LINE__);
	store_close(s);

	/* A database from a newer scanwatch is refused, not downgraded. */
	{
		sqlite3 *rw = NULL;
		char sql[64];

		CHECK(sqlite3_open(dbpath, &rw) == SQLITE_OK);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_version() + 1);
		CHECK(sqlite3_exec(rw, sql, NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(rw);
		err[0] = '\0';
		s = store_open(dbpath, err, sizeof(err));
		CHECK(s == NULL);
		CHECK(strstr(err, "newer") != NULL);
		printf("newer schema: %s\n", err);
		store_close(s);
	}
	/* A file made before with SQLite's 4 KiB pages keeps them, and takes writes. */
	{
		char old[300];
		sqlite3 *rw = NULL, *ro4 = NULL;

		snprintf(old, sizeof(old), "%s/old.db", dir);
		CHECK(sqlite3_open(old, &rw) == SQLITE_OK);
		CHECK(sqlite3_exec(rw, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL", NULL,
		                   NULL, NULL) == SQLITE_OK);
		sqlite3_close(rw);
		s = store_open(old, err, sizeof(err));
		CHECK(s != NULL);
		if (s == NULL) {
			fprintf(stderr, "store_open %s: %s\n", old, err);
			CHECK_DONE();
		}
		run = store_run_begin(s, "eth0", NULL, 1795668000000000ull);
		make_a(&batch[0], DET_OPEN);
		CHECK(store_write(s, run, batch, 1) == 0);
		CHECK(sqlite3_open_v2(old, &ro4, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
		CHECK_EQ_U(fixture_query_int(ro4, "PRAGMA page_size"), 4096);
		check_row(ro4, run, &batch[0], &exp_a, __LINE__);
		sqlite3_close(ro4);
		store_close(s);
		unlink(old);
		snprintf(old, sizeof(old), "%s/old.db-wal", dir);
		unlink(old);
		snprintf(old, sizeof(old), "%s/old.db-shm", dir);
		unlink(old);
	}
	/* A path that cannot be created reports it. */
	{
		char bad[300];

		snprintf(bad, sizeof(bad), "%s/no/such/dir/x.db", dir);
		err[0] = '\0';
		CHECK(store_open(bad, err, sizeof(err)) == NULL);
		CHECK(strstr(err, bad) != NULL);
	}

	sqlite3_close(ro);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
		unlink(dbpath);
		rmdir(dir);
	}
	CHECK_DONE();
}
