/* store_read.c — the store read back: detections as records, runs and statistics rows. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/store.h"
#include "store_private.h"

/*
 * How long a read waits for a lock. In WAL mode a writer does not block
 * readers at all; the wait only covers a checkpoint or a migration holding an
 * exclusive lock.
 */
#define STORE_READ_BUSY_MS 5000
/* The schema versions that added what a reader may find missing in an older file. */
#define STORE_V_STATS        2 /* 002_stats.sql: the stats table */
#define STORE_V_RUN_DELIVERY 3 /* 003_run_delivery.sql: runs.store_errors and two more */
#define STORE_V_REASONS      5 /* 005_reasons.sql: detections.reasons */

struct store_reader {
	sqlite3 *db;
	int version;
	uint64_t skipped;
	char first_skip[STORE_ERR_MAX];
};

/* Every column of the detections table (schema/001_init.sql and 005_reasons.sql), in the
 * order row_read reads. */
static const char sql_detections[] =
    "SELECT id, run_id, seq, rule_id, rule_name, kind, severity, src_ip, target_ip, proto,"
    " first_seen, opened_at, last_seen, closed_at, probes, probes_at_open, distinct_targets,"
    " distinct_ports, sample_ports, sample_targets, sample_sources, tags, tool, campaign,"
    " evidence, ";
/* The reasons column, or NULL in its place in a file older than it. */
static const char sql_detections_where[] =
    " FROM detections WHERE id > ?6"
    " AND (?7 IS NULL OR last_seen >= ?7)"
    " AND (?2 IS NULL OR first_seen <= ?2)"
    " AND (?3 IS NULL OR kind = ?3)"
    " AND (?4 IS NULL OR rule_id = ?4)"
    " AND (?5 IS NULL OR (CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2"
    " WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE 0 END) >= ?5)"
    " AND (?1 = 0 OR run_id = ?1)";

struct store_reader *store_read_open(const char *path, char *err, size_t errlen)
{
	struct store_reader *r = calloc(1, sizeof(*r));
	char msg[STORE_ERR_MAX];
	int rc;

	if (r == NULL) {
		store_set_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	/* Read-only: a reader never creates a database by a mistyped path, nor takes a write
	 * lock the sensor would wait for. */
	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		store_set_err(err, errlen, "%s: %s", path,
		              r->db != NULL ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(r->db, STORE_READ_BUSY_MS);
	if (store_schema_check(r->db, &r->version, msg, sizeof(msg)) < 0) {
		store_set_err(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	if (r->version == 0) {
		store_set_err(err, errlen,
		              "%s: not a scanwatch database (schema version 0); give the file a "
		              "sensor wrote with --db",
		              path);
		goto fail;
	}
	return r;
fail:
	store_read_close(r);
	return NULL;
}

void store_read_close(struct store_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_close(r->db);
	free(r);
}

int store_read_version(const struct store_reader *r)
{
	return r->version;
}

uint64_t store_read_skipped(const struct store_reader *r, const char **first_reason)
{
	if (first_reason != NULL)
		*first_reason = r->skipped > 0 ? r->first_skip : NULL;
	return r->skipped;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
	                                                 : (const char *)sqlite3_column_text(st, i);
}

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v > 0 ? (uint64_t)v : 0; /* NULL (and a nonsense negative) reads as 0 */
}

/* A text column into a fixed-size field of the record: cut to fit, NULL as "". */
static void col_copy(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const char *t = col_text(st, i);
	size_t n = t != NULL ? strnlen(t, size - 1) : 0;

	memcpy(out, t != NULL ? t : "", n);
	out[n] = '\0';
}

/* The current row as a record; -1 with why in buf when it cannot be one. */
static int row_read(sqlite3_stmt *st, struct store_row *row, char *why, size_t whylen)
{
	struct sw_detection *d = &row->d;
	const char *kind = col_text(st, 5), *sev = col_text(st, 6), *src = col_text(st, 7),
	           *dst = col_text(st, 8);
	enum sw_kind k;
	enum sw_severity v;

	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(st, 0);
	row->run_id = sqlite3_column_int64(st, 1);
	d->seq = col_u64(st, 2);
	col_copy(st, 3, d->rule_id, sizeof(d->rule_id));
	col_copy(st, 4, d->rule_name, sizeof(d->rule_name));
	if (kind == NULL || detection_kind_parse(kind, &k) < 0 || sev == NULL ||
	    detection_severity_parse(sev, &v) < 0) {
		store_set_err(why, whylen, "row %lld: kind or severity outside the vocabulary",
		              (long long)row->id);
		return -1;
	}
	d->kind = (uint8_t)k;
	d->severity = (uint8_t)v;
	d->src_any = src != NULL && strcmp(src, "*") == 0;
	d->has_target = dst != NULL;
	if (src == NULL || (!d->src_any && addr_parse(src, &d->src) < 0) ||
	    (dst != NULL && addr_parse(dst, &d->target) < 0)) {
		store_set_err(why, whylen, "row %lld: src_ip or target_ip is not an address",
		              (long long)row->id);
		return -1;
	}
	d->proto = (uint8_t)sqlite3_column_int(st, 9);
	d->first_seen = col_u64(st, 10);
	d->opened_at = col_u64(st, 11);
	d->last_seen = col_u64(st, 12);
	d->closed_at = col_u64(st, 13);
	d->phase = d->closed_at != 0 ? DET_CLOSE : DET_UPDATE;
	d->probes = col_u64(st, 14);
	d->probes_at_open = col_u64(st, 15);
	d->distinct_targets = col_u64(st, 16);
	d->distinct_ports = col_u64(st, 17);
	if (store_row_parse_ports(col_text(st, 18), d) < 0 ||
	    store_row_parse_addrs(col_text(st, 19), d->sample_targets, &d->n_sample_targets,
	                          DET_SAMPLE_TARGETS) < 0 ||
	    store_row_parse_addrs(col_text(st, 20), d->sample_sources, &d->n_sample_sources,
	                          DET_SAMPLE_SOURCES) < 0 ||
	    store_row_parse_tags(col_text(st, 21), d) < 0) {
		store_set_err(why, whylen, "row %lld: a sample or tags column is not a JSON array",
		              (long long)row->id);
		return -1;
	}
	col_copy(st, 22, d->tool, sizeof(d->tool));
	col_copy(st, 23, d->campaign, sizeof(d->campaign));
	if (store_row_parse_reasons(col_text(st, 25), col_text(st, 24), d) < 0) {
		store_set_err(why, whylen,
		              "row %lld: the reasons column is not a JSON array of reasons",
		              (long long)row->id);
		return -1;
	}
	return 0;
}

static bool row_matches(const struct store_filter *f, const struct sw_detection *d)
{
	/* src_ip is canonical text, and no text range expresses a CIDR block: checked here. */
	return !f->has_src || (!d->src_any && addr_cidr_contains(&f->src, &d->src));
}

/* Prepares sql for this reader with ?1 bound to run_id (0: every run); -1 with SQLite's
 * message in err. */
static int prepare(struct store_reader *r, const char *sql, int64_t run_id, sqlite3_stmt **st,
                   char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_bind_int64(*st, 1, run_id);
	return 0;
}

/*
 * Ends a walk: finalizes st, which ends the read transaction (the writer may checkpoint).
 * rc is the last sqlite3_step's result, stop what the caller's fn returned last (non-zero: it
 * ended the walk early, which is no error). Returns stop, or -1 with the message in err.
 */
static int walk_end(struct store_reader *r, sqlite3_stmt *st, int rc, int stop, char *err,
                    size_t errlen)
{
	if (stop == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return stop;
}

int store_read_detections(struct store_reader *r, const struct store_filter *f,
                          int (*fn)(void *ctx, const struct store_row *row), void *ctx, char *err,
                          size_t errlen)
{
	static const char *const orders[] = {
	    [STORE_ORDER_ID] = " ORDER BY id",
	    [STORE_ORDER_ID_DESC] = " ORDER BY id DESC",
	    [STORE_ORDER_FIRST_SEEN] = " ORDER BY first_seen, run_id, seq",
	};
	char sql[sizeof(sql_detections) + sizeof(sql_detections_where) + 128];
	sqlite3_stmt *st = NULL;
	struct store_row row;
	uint64_t given = 0;
	int rc = SQLITE_DONE, stop = 0;

	snprintf(sql, sizeof(sql), "%s%s%s%s%s", sql_detections,
	         r->version >= STORE_V_REASONS ? "reasons" : "NULL", sql_detections_where,
	         f->state == STORE_STATE_OPEN     ? " AND closed_at IS NULL"
	         : f->state == STORE_STATE_CLOSED ? " AND closed_at IS NOT NULL"
	                                          : "",
	         orders[f->order]);
	if (prepare(r, sql, f->run_id, &st, err, errlen) < 0)
		return -1;
	/* Every value is a bound parameter, never spliced into the SQL. */
	if (f->has_since)
		sqlite3_bind_int64(st, 7, f->since);
	if (f->has_until)
		sqlite3_bind_int64(st, 2, f->until);
	if (f->has_kind)
		sqlite3_bind_text(st, 3, detection_kind_name(f->kind), -1, SQLITE_STATIC);
	if (f->rule_id != NULL)
		sqlite3_bind_text(st, 4, f->rule_id, -1, SQLITE_STATIC);
	if (f->min_severity > 0)
		sqlite3_bind_int(st, 5, f->min_severity);
	/* id > ?6 keeps --follow's poll an indexed range scan of the rowid. */
	sqlite3_bind_int64(st, 6, f->after_id != 0 ? f->after_id : INT64_MIN);
	while (stop == 0 && (f->limit == 0 || given < f->limit) &&
	       (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char why[STORE_ERR_MAX];

		if (row_read(st, &row, why, sizeof(why)) < 0) {
			if (r->skipped++ == 0)
				snprintf(r->first_skip, sizeof(r->first_skip), "%s", why);
			continue;
		}
		if (!row_matches(f, &row.d))
			continue;
		given++;
		stop = fn(ctx, &row);
	}
	if (f->limit != 0 && given == f->limit)
		rc = SQLITE_DONE;
	return walk_end(r, st, rc, stop, err, errlen);
}

int store_read_runs(struct store_reader *r, int64_t run_id, bool newest_first, uint64_t limit,
                    int (*fn)(void *ctx, const struct store_run *run), void *ctx, char *err,
                    size_t errlen)
{
	char sql[512];
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;

	snprintf(sql, sizeof(sql),
	         "SELECT id, input, config, started_at, ended_at, first_ts, last_ts, packets,"
	         " bytes, detections, anomalies, evictions, status, error, %s FROM runs"
	         " WHERE ?1 = 0 OR id = ?1 ORDER BY id%s LIMIT ?2",
	         r->version >= STORE_V_RUN_DELIVERY ? "store_errors, records_dropped, output_errors"
	                                            : "NULL, NULL, NULL",
	         newest_first ? " DESC" : "");
	if (prepare(r, sql, run_id, &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 2, limit > 0 && limit < INT64_MAX ? (int64_t)limit : -1);
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_run run = {
		    .id = sqlite3_column_int64(st, 0),
		    .input = col_text(st, 1),
		    .config = col_text(st, 2),
		    .started_us = col_u64(st, 3),
		    .ended = sqlite3_column_type(st, 4) != SQLITE_NULL,
		};

		if (run.input == NULL)
			run.input = "";
		if (run.ended)
			run.end = (struct store_run_end){
			    .ended_us = col_u64(st, 4),
			    .first_ts_us = col_u64(st, 5),
			    .last_ts_us = col_u64(st, 6),
			    .packets = col_u64(st, 7),
			    .bytes = col_u64(st, 8),
			    .detections = col_u64(st, 9),
			    .anomalies_json = col_text(st, 10),
			    .evictions_json = col_text(st, 11),
			    .status = sqlite3_column_int(st, 12),
			    .error = col_text(st, 13),
			    .store_errors = col_u64(st, 14),
			    .records_dropped = col_u64(st, 15),
			    .output_errors = col_u64(st, 16),
			};
		stop = fn(ctx, &run);
	}
	return walk_end(r, st, rc, stop, err, errlen);
}

int store_read_stats(struct store_reader *r, int64_t run_id,
                     int (*fn)(void *ctx, int64_t run_id, const struct store_stats *st), void *ctx,
                     char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT run_id, at, packets, bytes, kernel_drops, if_drops, anomalies, flows_used,"
	    " flows_capacity, entries_used, entries_capacity, evictions, queue_depth, queue_max,"
	    " records_dropped, store_errors FROM stats WHERE ?1 = 0 OR run_id = ?1"
	    " ORDER BY run_id, at, id";
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;

	if (r->version < STORE_V_STATS)
		return 0;
	if (prepare(r, sql, run_id, &st, err, errlen) < 0)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_stats v = {
		    .at_us = col_u64(st, 1),
		    .packets = col_u64(st, 2),
		    .bytes = col_u64(st, 3),
		    .kernel_drops = col_u64(st, 4),
		    .if_drops = col_u64(st, 5),
		    .anomalies_json = col_text(st, 6),
		    .flows_used = col_u64(st, 7),
		    .flows_capacity = col_u64(st, 8),
		    .entries_used = col_u64(st, 9),
		    .entries_capacity = col_u64(st, 10),
		    .evictions_json = col_text(st, 11),
		    .queue_depth = col_u64(st, 12),
		    .queue_max = col_u64(st, 13),
		    .records_dropped = col_u64(st, 14),
		    .store_errors = col_u64(st, 15),
		};

		stop = fn(ctx, sqlite3_column_int64(st, 0), &v);
	}
	return walk_end(r, st, rc, stop, err, errlen);
}

/* Whether the file has the evidence table (007_evidence.sql): looked up by name, so a file
 * from a build with other migrations numbered around it reads the same. */
static int has_evidence_table(struct store_reader *r, bool *has, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
	                       "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = "
	                       "'evidence'",
	                       -1, &st, NULL) != SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	int rc = sqlite3_step(st);
	*has = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

int store_read_evidence(struct store_reader *r, int64_t id,
                        int (*fn)(void *ctx, const struct store_evidence *pkt), void *ctx,
                        char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;
	bool has;

	if (has_evidence_table(r, &has, err, errlen) < 0)
		return -1;
	if (!has)
		return 0;
	if (prepare(r,
	            "SELECT ordinal, ts_sec, ts_frac, caplen, origlen, linktype, data FROM evidence"
	            " WHERE detection_id = ?1 ORDER BY ts_sec, ts_frac, ordinal",
	            id, &st, err, errlen) < 0)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_evidence k = {
		    .ordinal = (uint32_t)sqlite3_column_int64(st, 0),
		    .ts_sec = sqlite3_column_int64(st, 1),
		};
		int64_t frac = sqlite3_column_int64(st, 2), caplen = sqlite3_column_int64(st, 3);
		int64_t origlen = sqlite3_column_int64(st, 4), lt = sqlite3_column_int64(st, 5);
		k.data = sqlite3_column_blob(st, 6);
		int64_t have = sqlite3_column_bytes(st, 6);
		const char *why = NULL;
		if (frac < 0 || frac > 999999999)
			why = "time fraction outside 0..999999999 ns";
		else if (caplen != have || caplen < 0 || caplen > 262144)
			why = "caplen is not the size of the data";
		else if (origlen < caplen || origlen > UINT32_MAX)
			why = "origlen below caplen";
		else if (lt < 0 || lt > INT32_MAX)
			why = "link type out of range";
		if (why) {
			if (r->skipped++ == 0)
				snprintf(r->first_skip, sizeof(r->first_skip),
				         "evidence of detection %lld: %s", (long long)id, why);
			continue;
		}
		k.ts_nsec = (uint32_t)frac;
		k.caplen = (uint32_t)caplen;
		k.origlen = (uint32_t)origlen;
		k.linktype = (int32_t)lt;
		if (!k.data)
			k.data = (const uint8_t *)"";
		stop = fn(ctx, &k);
	}
	return walk_end(r, st, rc, stop, err, errlen);
}
