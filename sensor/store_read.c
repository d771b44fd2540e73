/* store_read.c — the store read back: detections as records, runs and statistics rows. */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scanwatch/evidence_ng.h"
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
#define STORE_V_EXPOSURE     6 /* 006_exposure_campaigns.sql: exposure and campaigns tables */
#define STORE_V_SENSOR       8 /* 008_sensor.sql: runs.sensor_id */

/*
 * The work one walk may do, in SQLite virtual-machine operations, per byte of the file. A
 * damaged file can make SQLite's cursors visit the same pages again and again (interior pages
 * whose child pointers repeat one another: each level multiplies the rows a scan returns),
 * so a file of a few kilobytes can keep `query` or `report` reading for hours; SQLite only
 * finds such damage with PRAGMA integrity_check, which costs a full pass over every page
 * (found by fuzz_store_read: 30 KiB that kept a walk going for hours). A sound file needs
 * about 0.1 operation per byte it holds for any walk (measured on the test stores of 0.8 to
 * 28 MB: 0.07 to 0.12; a row is read once, with its exposure rows and its run's sensor id),
 * so a walk that needs more than STORE_READ_OPS_PER_BYTE times the file's size, plus
 * STORE_READ_OPS_MIN for any file, is stopped with an error that says the file is damaged.
 */
#define STORE_READ_OPS_PER_BYTE 16
#define STORE_READ_OPS_MIN      1000000
/*
 * What a detection row handed out costs the same budget. Its parsing (the sample arrays and
 * the reasons' JSON) is C, which the progress handler does not see: the 30 KiB file above
 * stopped after 1.5M operations, but only after 50,738 rows, whose parsing took 2 s in the
 * fuzzer's build. A sound file's row takes at least 46 bytes of it (a record header of a byte
 * a column, the required text, a cell's size, key and pointer; more with its index entries),
 * so in a sound walk the rows add at most 384 / 46 < 9 operations a byte: with the 0.12 of
 * the walk itself, under STORE_READ_OPS_PER_BYTE still. Exposure, evidence and run rows are
 * plain columns and cost nothing more.
 */
#define STORE_READ_OPS_PER_ROW 384
#define STORE_READ_OPS_STEP    1000 /* operations between two looks at the budget */

struct store_reader {
	sqlite3 *db;
	int version;
	uint64_t skipped;
	uint64_t ops, ops_budget; /* this walk's work so far and its limit */
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
    " AND (?1 = 0 OR run_id = ?1)"
    " AND (?10 IS NULL OR campaign = ?10)";
/* The exposure filter (query --exposed): some listed item of the row is the host (?8), and a
 * service on port ?9 when that is set. */
static const char sql_exposed[] =
    " AND EXISTS (SELECT 1 FROM exposure x WHERE x.run_id = detections.run_id"
    " AND x.seq = detections.seq AND x.host = ?8 AND (?9 IS NULL OR (x.port = ?9"
    " AND x.reveal IN ('syn_ack', 'udp_reply', 'init_ack'))))";
/* A row's exposure list, in its order. */
static const char sql_exposure[] = "SELECT host, proto, port, reveal, answers FROM exposure"
                                   " WHERE run_id = ?1 AND seq = ?2 ORDER BY ord";

/* SQLite's progress handler: non-zero interrupts the statement running (SQLITE_INTERRUPT). */
static int over_budget(void *ctx)
{
	struct store_reader *r = ctx;

	r->ops += STORE_READ_OPS_STEP;
	return r->ops > r->ops_budget;
}

/* A walk starts: its budget from the file's size now (a sensor may be growing it). */
static void budget_reset(struct store_reader *r)
{
	sqlite3_stmt *st = NULL;
	uint64_t bytes = 0;

	r->ops = 0;
	r->ops_budget = UINT64_MAX; /* the size query itself is not limited */
	if (sqlite3_prepare_v2(r->db,
	                       "SELECT page_count * page_size FROM pragma_page_count(),"
	                       " pragma_page_size()",
	                       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		bytes = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	r->ops = 0;
	r->ops_budget = STORE_READ_OPS_MIN + bytes * STORE_READ_OPS_PER_BYTE;
}

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
	r->ops_budget = UINT64_MAX; /* until the first walk sets it */
	sqlite3_progress_handler(r->db, STORE_READ_OPS_STEP, over_budget, r);
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
	/* Closed when closed_at is set, as the open/closed filters' SQL says it (IS NULL): a value
	 * no sensor writes (0, negative, text) must not make a row open here and closed there
	 * (found by fuzz_store_read). */
	d->phase = sqlite3_column_type(st, 13) != SQLITE_NULL ? DET_CLOSE : DET_UPDATE;
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
	col_copy(st, 26, row->sensor_id, sizeof(row->sensor_id));
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

/*
 * The row's exposure list from the exposure table (xst: sql_exposure), and its unlisted count
 * from the "exposure_unlisted" reason that carries it; -1 with why when a row is not one the
 * sensor writes (an address or reveal that does not parse, more rows than a record holds).
 */
static int read_exposure(sqlite3_stmt *xst, struct store_row *row, char *why, size_t whylen)
{
	struct det_exposure *x = &row->d.exposure;
	int rc;

	sqlite3_bind_int64(xst, 1, row->run_id);
	store_bind_u64(xst, 2, row->d.seq);
	while ((rc = sqlite3_step(xst)) == SQLITE_ROW) {
		const char *host = col_text(xst, 0), *rv = col_text(xst, 3);
		enum det_reveal reveal;
		int proto = sqlite3_column_int(xst, 1), port = sqlite3_column_int(xst, 2);

		if (x->n >= DET_EXPOSURE_MAX || host == NULL || rv == NULL ||
		    addr_parse(host, &x->item[x->n].host) < 0 ||
		    detection_reveal_parse(rv, &reveal) < 0 || proto < 0 || proto > 255 ||
		    port < 0 || port > 65535) {
			store_set_err(why, whylen,
			              "row %lld: an exposure row is not one of a record",
			              (long long)row->id);
			sqlite3_reset(xst);
			return -1;
		}
		x->item[x->n].proto = (uint8_t)proto;
		x->item[x->n].port = (uint16_t)port;
		x->item[x->n].reveal = (uint8_t)reveal;
		x->item[x->n].answers = (uint32_t)col_u64(xst, 4);
		x->answers += x->item[x->n].answers;
		x->n++;
	}
	sqlite3_reset(xst);
	for (unsigned i = 0; i < row->d.n_reasons; i++)
		if (strcmp(row->d.reasons[i].name, "exposure_unlisted") == 0) {
			x->unlisted = row->d.reasons[i].count;
			x->answers += x->unlisted;
		}
	if (rc != SQLITE_DONE) {
		store_set_err(why, whylen, "row %lld: its exposure rows could not be read",
		              (long long)row->id);
		return -1;
	}
	return 0;
}

/* Charges a detection row to the walk's budget: false when the walk must stop (walk_end then
 * reports the file as damaged, as for SQLite's own operations). */
static bool row_charged(struct store_reader *r)
{
	r->ops += STORE_READ_OPS_PER_ROW;
	return r->ops <= r->ops_budget;
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
	budget_reset(r);
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
	if (stop == 0 && rc == SQLITE_INTERRUPT && r->ops > r->ops_budget) {
		store_set_err(err, errlen,
		              "reading needed far more work than a sound database of this size "
		              "(%llu operations): the file is damaged (sqlite3 FILE 'PRAGMA "
		              "integrity_check' says where)",
		              (unsigned long long)r->ops);
		sqlite3_finalize(st);
		return -1;
	}
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
	char sql[sizeof(sql_detections) + sizeof(sql_detections_where) + sizeof(sql_exposed) + 256];
	sqlite3_stmt *st = NULL, *xst = NULL;
	struct store_row row;
	uint64_t given = 0;
	int rc = SQLITE_DONE, stop = 0;

	bool expo = r->version >= STORE_V_EXPOSURE;
	snprintf(sql, sizeof(sql), "%s%s%s%s%s%s%s", sql_detections,
	         r->version >= STORE_V_REASONS ? "reasons" : "NULL",
	         r->version >= STORE_V_SENSOR
	             ? ", (SELECT sensor_id FROM runs WHERE runs.id = detections.run_id)"
	             : ", NULL",
	         sql_detections_where,
	         !f->has_exposed ? ""
	         : expo          ? sql_exposed
	                         : " AND 0",
	         f->state == STORE_STATE_OPEN     ? " AND closed_at IS NULL"
	         : f->state == STORE_STATE_CLOSED ? " AND closed_at IS NOT NULL"
	                                          : "",
	         orders[f->order]);
	if (prepare(r, sql, f->run_id, &st, err, errlen) < 0)
		return -1;
	if (expo && sqlite3_prepare_v2(r->db, sql_exposure, -1, &xst, NULL) != SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		sqlite3_finalize(st);
		return -1;
	}
	char host[ADDR_TEXT_MAX];
	if (f->has_exposed && expo) {
		sqlite3_bind_text(st, 8, addr_format(&f->exposed_host, host), -1, SQLITE_STATIC);
		if (f->exposed_port >= 0)
			sqlite3_bind_int(st, 9, f->exposed_port);
	}
	if (f->campaign != NULL)
		sqlite3_bind_text(st, 10, f->campaign, -1, SQLITE_STATIC);
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

		if (!row_charged(r)) {
			rc = SQLITE_INTERRUPT;
			break;
		}
		if (row_read(st, &row, why, sizeof(why)) < 0) {
			if (r->skipped++ == 0)
				snprintf(r->first_skip, sizeof(r->first_skip), "%s", why);
			continue;
		}
		if (!row_matches(f, &row.d))
			continue;
		if (xst != NULL && read_exposure(xst, &row, why, sizeof(why)) < 0) {
			if (r->skipped++ == 0)
				snprintf(r->first_skip, sizeof(r->first_skip), "%s", why);
			continue;
		}
		given++;
		stop = fn(ctx, &row);
	}
	if (f->limit != 0 && given == f->limit)
		rc = SQLITE_DONE;
	sqlite3_finalize(xst);
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

/* Whether the file has table name (009_evidence.sql's evidence, 010's evidence_pcapng): looked
 * up by name, so a file from a build with other migrations numbered around it reads the same. */
static int has_table(struct store_reader *r, const char *name, bool *has, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db,
	                       "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1,
	                       &st, NULL) != SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*has = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

/* Counts a row (or blob) of detection id's evidence skipped; the first says why. */
static void skip_evidence(struct store_reader *r, int64_t id, const char *what, const char *why)
{
	if (r->skipped++ == 0)
		snprintf(r->first_skip, sizeof(r->first_skip), "evidence of detection %lld: %s%s",
		         (long long)id, what, why);
}

/* 009's table: a row a packet, written by builds before 010. */
static int read_evidence_rows(struct store_reader *r, int64_t id,
                              int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx,
                              char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;

	if (prepare(r,
	            "SELECT ordinal, ts_sec, ts_frac, caplen, origlen, linktype, data FROM evidence"
	            " WHERE detection_id = ?1 ORDER BY ts_sec, ts_frac, ordinal",
	            id, &st, err, errlen) < 0)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct evidence_view k = {
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
			skip_evidence(r, id, "", why);
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

/*
 * Most blob bytes and packets one detection's evidence_pcapng rows are read for: a sound
 * detection has two blobs of at most 22 KB and 72 packets. Past these (a file some other
 * program wrote) the rest is skipped and counted, as a row that cannot be a packet is.
 */
#define NG_READ_BYTES_MAX   (16u << 20)
#define NG_READ_PACKETS_MAX 65536u

struct ng_gather {
	struct evidence_view *v;
	size_t n, cap;
	bool full;
};

static int gather_one(void *ctx, const struct evidence_view *pkt)
{
	struct ng_gather *g = ctx;
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 128;
		struct evidence_view *v =
		    cap <= NG_READ_PACKETS_MAX ? realloc(g->v, cap * sizeof *v) : NULL;
		if (!v) {
			g->full = true;
			return 1;
		}
		g->v = v;
		g->cap = cap;
	}
	g->v[g->n++] = *pkt;
	return 0;
}

/* Capture time, then ordinal, then the order read (the blobs by first_ordinal): as 009's
 * query ordered its rows. */
static int view_cmp(const void *a, const void *b)
{
	const struct evidence_view *x = a, *y = b;
	if (x->ts_sec != y->ts_sec)
		return x->ts_sec < y->ts_sec ? -1 : 1;
	if (x->ts_nsec != y->ts_nsec)
		return x->ts_nsec < y->ts_nsec ? -1 : 1;
	if (x->ordinal != y->ordinal)
		return x->ordinal < y->ordinal ? -1 : 1;
	return x->data < y->data ? -1 : x->data > y->data;
}

/* 010's table: a pcapng blob a record. The blobs are copied out of SQLite (its pointers last
 * one step), then every packet is given in capture time order. */
static int read_evidence_blobs(struct store_reader *r, int64_t id,
                               int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx,
                               char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, nblobs = 0;
	size_t *ends = NULL;

	if (prepare(r,
	            "SELECT pcapng FROM evidence_pcapng WHERE detection_id = ?1"
	            " ORDER BY first_ordinal",
	            id, &st, err, errlen) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		size_t *e;
		if (n > NG_READ_BYTES_MAX - len) {
			skip_evidence(r, id, "", "pcapng blobs past 16 MiB");
			continue;
		}
		if (len + n > cap) {
			size_t c = cap ? cap : 32768;
			while (c < len + n)
				c *= 2;
			uint8_t *nb = realloc(buf, c);
			if (!nb) {
				skip_evidence(r, id, "", "out of memory for its pcapng blobs");
				continue;
			}
			buf = nb;
			cap = c;
		}
		if (!(e = realloc(ends, (nblobs + 1) * sizeof *ends))) {
			skip_evidence(r, id, "", "out of memory for its pcapng blobs");
			continue;
		}
		ends = e;
		if (n)
			memcpy(buf + len, b, n);
		len += n;
		ends[nblobs++] = len;
	}
	stop = walk_end(r, st, rc, 0, err, errlen);
	if (stop < 0)
		goto out;
	struct ng_gather g = {0};
	for (size_t i = 0, at = 0; i < nblobs && !g.full; at = ends[i++]) {
		const char *why;
		if (evidence_ng_walk(buf + at, ends[i] - at, gather_one, &g, &why) < 0)
			skip_evidence(r, id, "pcapng blob: ", why);
	}
	if (g.full)
		skip_evidence(r, id, "", "more packets than one detection can have");
	if (g.n > 1)
		qsort(g.v, g.n, sizeof *g.v, view_cmp);
	for (size_t i = 0; i < g.n && stop == 0; i++)
		stop = fn(ctx, &g.v[i]);
	free(g.v);
out:
	free(buf);
	free(ends);
	return stop;
}

int store_read_evidence(struct store_reader *r, int64_t id,
                        int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx, char *err,
                        size_t errlen)
{
	bool rows, blobs;
	int rc = 0;

	budget_reset(r); /* the table lookups run under the walk's budget too */
	if (has_table(r, "evidence", &rows, err, errlen) < 0 ||
	    has_table(r, "evidence_pcapng", &blobs, err, errlen) < 0)
		return -1;
	if (rows)
		rc = read_evidence_rows(r, id, fn, ctx, err, errlen);
	if (rc == 0 && blobs)
		rc = read_evidence_blobs(r, id, fn, ctx, err, errlen);
	return rc;
}

/* --- Several databases read as one (issue 19: a fleet's stores, or a directory of them) ---- */

/* Files a directory may contribute; a fleet directory of more is a mistake worth saying. */
#define STORE_SET_MAX 256

struct store_set {
	size_t n;
	char *paths[STORE_SET_MAX];
	struct store_reader *readers[STORE_SET_MAX];
};

static int set_add(struct store_set *s, const char *path, char *err, size_t errlen)
{
	if (s->n == STORE_SET_MAX) {
		store_set_err(err, errlen, "more than %d databases", STORE_SET_MAX);
		return -1;
	}
	s->paths[s->n] = strdup(path);
	if (s->paths[s->n] == NULL) {
		store_set_err(err, errlen, "out of memory");
		return -1;
	}
	s->readers[s->n] = store_read_open(path, err, errlen);
	if (s->readers[s->n] == NULL) {
		free(s->paths[s->n]);
		return -1;
	}
	s->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's "*.db" files, in name order (so the set's file numbers are stable). */
static int set_add_dir(struct store_set *s, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	char *names[STORE_SET_MAX];
	size_t n = 0;
	int rc = 0;
	struct dirent *e;

	if (d == NULL) {
		store_set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL && rc == 0) {
		size_t l = strlen(e->d_name);

		if (l < 4 || strcmp(e->d_name + l - 3, ".db") != 0)
			continue;
		if (n == STORE_SET_MAX) {
			store_set_err(err, errlen, "%s: more than %d databases", dir,
			              STORE_SET_MAX);
			rc = -1;
			break;
		}
		names[n] = malloc(strlen(dir) + l + 2);
		if (names[n] == NULL) {
			store_set_err(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	if (rc == 0 && n == 0) {
		store_set_err(err, errlen, "%s: no *.db file in the directory", dir);
		rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = set_add(s, names[i], err, errlen);
		free(names[i]);
	}
	return rc;
}

struct store_set *store_set_open(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct store_set *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		store_set_err(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		int rc = stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)
		             ? set_add_dir(s, paths[i], err, errlen)
		             : set_add(s, paths[i], err, errlen);

		if (rc < 0) {
			store_set_close(s);
			return NULL;
		}
	}
	return s;
}

size_t store_set_count(const struct store_set *s)
{
	return s->n;
}

const char *store_set_path(const struct store_set *s, size_t i)
{
	return i < s->n ? s->paths[i] : NULL;
}

struct store_reader *store_set_reader(const struct store_set *s, size_t i)
{
	return i < s->n ? s->readers[i] : NULL;
}

void store_set_close(struct store_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		store_read_close(s->readers[i]);
		free(s->paths[i]);
	}
	free(s);
}

int store_rows_push(void *ctx, const struct store_row *row)
{
	struct store_rows *rs = ctx;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct store_row *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL) {
			rs->oom = true;
			return -1;
		}
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *row;
	return 0;
}

/* Rows of one file of a set, marked with its number. */
struct set_rows {
	struct store_rows rows;
	unsigned file;
};

static int set_push(void *ctx, const struct store_row *row)
{
	struct set_rows *rs = ctx;

	if (store_rows_push(&rs->rows, row) < 0)
		return -1;
	rs->rows.v[rs->rows.n - 1].file = rs->file;
	return 0;
}

/* By first probe, then file, then row id: a timeline across the fleet, the same every time. */
static int time_cmp(const void *a, const void *b)
{
	const struct store_row *x = a, *y = b;

	if (x->d.first_seen != y->d.first_seen)
		return x->d.first_seen < y->d.first_seen ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int store_set_read_detections(struct store_set *s, const struct store_filter *f,
                              const int64_t *after_ids,
                              int (*fn)(void *ctx, const struct store_row *row), void *ctx,
                              char *err, size_t errlen)
{
	struct set_rows sr = {0};
	struct store_rows *rs = &sr.rows;
	size_t first = 0;
	int stop = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct store_filter fi = *f;
		char msg[STORE_ERR_MAX];

		if (after_ids != NULL)
			fi.after_id = after_ids[i];
		sr.file = (unsigned)i;
		if (store_read_detections(s->readers[i], &fi, set_push, &sr, msg, sizeof msg) < 0 ||
		    rs->oom) {
			store_set_err(err, errlen, "%s: %s", s->paths[i],
			              rs->oom ? "out of memory" : msg);
			free(rs->v);
			return -1;
		}
	}
	/* No file gave a row: rs->v is NULL, which qsort must not be given even with no
	 * elements (C11 7.22.5: a pointer argument must be valid even when the count is 0). */
	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof(rs->v[0]), time_cmp);
	/* A limit keeps the latest rows of the merged timeline (each file gave its newest). */
	if (f->limit != 0 && rs->n > f->limit)
		first = rs->n - f->limit;
	for (size_t i = first; i < rs->n && stop == 0; i++)
		stop = fn(ctx, &rs->v[i]);
	free(rs->v);
	return stop;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * A comma-separated list in name order, in a buffer the caller frees (NULL when out of
 * memory). SQLite documents no order for group_concat(DISTINCT ...), and the view's list came
 * out "edge-b,edge-a" on one run and "edge-a,edge-b" on another; the reader sorts it so the
 * same store always prints the same line.
 */
static char *sorted_list(const char *list)
{
	size_t len = strlen(list), n = 1, at = 0;
	char *dup = strdup(list), *out = malloc(len + 1), **item;

	for (size_t i = 0; i < len; i++)
		n += list[i] == ',';
	item = calloc(n, sizeof(*item));
	if (dup == NULL || out == NULL || item == NULL) {
		free(dup);
		free(out);
		free(item);
		return NULL;
	}
	n = 0;
	for (char *p = dup, *c; p != NULL; p = c) {
		c = strchr(p, ',');
		if (c != NULL)
			*c++ = '\0';
		item[n++] = p;
	}
	qsort(item, n, sizeof(*item), str_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(item[i]);

		if (i > 0)
			out[at++] = ',';
		memcpy(out + at, item[i], k);
		at += k;
	}
	out[at] = '\0';
	free(dup);
	free(item);
	return out;
}

int store_read_cross_sensor(struct store_reader *r,
                            int (*fn)(void *ctx, const struct store_cross *g), void *ctx, char *err,
                            size_t errlen)
{
	/* The views of schema/008_sensor.sql: the groups, first probe first. */
	static const char sql[] =
	    "SELECT src_ip, sensors, sensor_ids, detections, first_seen, last_seen"
	    " FROM cross_sensor WHERE ?1 = ?1 ORDER BY first_seen, src_ip";
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, stop = 0;

	if (r->version < STORE_V_SENSOR)
		return 0; /* older than the views: no group */
	if (prepare(r, sql, 0, &st, err, errlen) < 0)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_cross g = {
		    .src = col_text(st, 0),
		    .sensors = col_u64(st, 1),
		    .sensor_ids = col_text(st, 2),
		    .detections = col_u64(st, 3),
		    .first_seen = col_u64(st, 4),
		    .last_seen = col_u64(st, 5),
		};

		char *ids;

		if (g.src == NULL || g.sensor_ids == NULL)
			continue;
		if ((ids = sorted_list(g.sensor_ids)) == NULL) {
			store_set_err(err, errlen, "out of memory");
			sqlite3_finalize(st);
			return -1;
		}
		g.sensor_ids = ids;
		stop = fn(ctx, &g);
		free(ids);
	}
	return walk_end(r, st, rc, stop, err, errlen);
}
