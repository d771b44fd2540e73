/* store.c — the SQLite store: opening, schema migrations, runs and batched detection writes. */
#include "scanwatch/store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/embedded.h"
#include "scanwatch/json.h"

/*
 * How long a writer waits for a lock held by another connection (a reader
 * running `scanwatch query`, or a second sensor on the same file) before
 * SQLITE_BUSY: long enough to ride out a checkpoint, short enough that a
 * stuck peer shows up as an error instead of a silent stall.
 */
#define STORE_BUSY_TIMEOUT_MS 5000
/* Room for a store error: SQLite messages plus our context fit comfortably. */
#define STORE_ERR_MAX 256

struct store {
	sqlite3 *db;
	sqlite3_stmt *run_begin;
	sqlite3_stmt *run_finish;
	sqlite3_stmt *upsert;
	sqlite3_stmt *stats;
	char err[STORE_ERR_MAX];
};

/*
 * One statement for every phase. A record is a complete snapshot of the
 * detection, so an UPDATE or CLOSE simply overwrites the row; if its OPEN was
 * never stored (its batch failed on a full disk, say) the later phase
 * inserts the row instead of being lost, and a repeated OPEN is harmless.
 */
static const char sql_upsert[] =
    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
    " target_ip, proto, first_seen, opened_at, last_seen, closed_at, probes, probes_at_open,"
    " distinct_targets, distinct_ports, sample_ports, sample_targets, sample_sources, tags,"
    " tool, campaign, evidence)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23, ?24)"
    " ON CONFLICT (run_id, seq) DO UPDATE SET rule_id = excluded.rule_id,"
    " rule_name = excluded.rule_name, kind = excluded.kind, severity = excluded.severity,"
    " src_ip = excluded.src_ip, target_ip = excluded.target_ip, proto = excluded.proto,"
    " first_seen = excluded.first_seen, opened_at = excluded.opened_at,"
    " last_seen = excluded.last_seen, closed_at = excluded.closed_at,"
    " probes = excluded.probes, probes_at_open = excluded.probes_at_open,"
    " distinct_targets = excluded.distinct_targets, distinct_ports = excluded.distinct_ports,"
    " sample_ports = excluded.sample_ports, sample_targets = excluded.sample_targets,"
    " sample_sources = excluded.sample_sources, tags = excluded.tags, tool = excluded.tool,"
    " campaign = excluded.campaign, evidence = excluded.evidence";

static const char sql_run_begin[] =
    "INSERT INTO runs (input, config, started_at) VALUES (?1, ?2, ?3)";

static const char sql_run_finish[] =
    "UPDATE runs SET ended_at = ?2, first_ts = ?3, last_ts = ?4, packets = ?5, bytes = ?6,"
    " detections = ?7, anomalies = ?8, evictions = ?9, status = ?10, error = ?11,"
    " store_errors = ?12, records_dropped = ?13, output_errors = ?14 WHERE id = ?1";

static const char sql_stats[] =
    "INSERT INTO stats (run_id, at, packets, bytes, kernel_drops, if_drops, anomalies,"
    " flows_used, flows_capacity, entries_used, entries_capacity, evictions, queue_depth,"
    " queue_max, records_dropped, store_errors)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

static void set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

int store_schema_version(void)
{
	int v = 0;

	for (size_t i = 0; embedded_migrations[i].sql != NULL; i++)
		if (embedded_migrations[i].version > v)
			v = embedded_migrations[i].version;
	return v;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_err(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int user_version(sqlite3 *db, int *out, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
fail:
	set_err(err, errlen, "reading schema version: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/*
 * Applies every migration newer than the file's user_version, each in its
 * own transaction with the version bump, so a crash leaves the schema at a
 * migration boundary. BEGIN IMMEDIATE takes the write lock before the
 * version is re-read, so two sensors opening a fresh file at once do not
 * both apply the same migration.
 */
static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	int have = 0, want = store_schema_version();
	char pragma[64];

	if (user_version(db, &have, err, errlen) < 0)
		return -1;
	if (have > want) {
		set_err(err, errlen,
		        "database schema version %d is newer than this scanwatch (%d); "
		        "use a newer scanwatch or another database file",
		        have, want);
		return -1;
	}
	for (size_t i = 0; embedded_migrations[i].sql != NULL; i++) {
		const struct embedded_migration *m = &embedded_migrations[i];
		char msg[STORE_ERR_MAX];

		if (m->version <= have)
			continue;
		if (exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -1;
		if (user_version(db, &have, err, errlen) < 0)
			goto fail;
		if (m->version <= have) { /* another process applied it meanwhile */
			if (exec(db, "COMMIT", err, errlen) < 0)
				goto fail;
			continue;
		}
		if (exec(db, m->sql, msg, sizeof(msg)) < 0) {
			set_err(err, errlen, "schema migration %s: %s", m->name, msg);
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if (exec(db, pragma, err, errlen) < 0 || exec(db, "COMMIT", err, errlen) < 0)
			goto fail;
		have = m->version;
	}
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	sqlite3_stmt *st = NULL;
	const char *mode;

	if (s == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		set_err(err, errlen, "%s: %s", path,
		        s->db ? sqlite3_errmsg(s->db) : "cannot allocate a database handle");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail_db;
	/*
	 * WAL lets `scanwatch query` read while the sensor writes. It needs
	 * shared memory, so it fails on some network filesystems: say so
	 * rather than silently falling back to a rollback journal.
	 */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto fail_db;
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL ||
	    (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0 /* ":memory:" tests */)) {
		set_err(err, errlen,
		        "%s: cannot use write-ahead logging (journal mode stays \"%s\"); "
		        "put the database on a local filesystem",
		        path, mode ? mode : "?");
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	/*
	 * NORMAL in WAL mode syncs at checkpoints, not at every commit: a power
	 * cut can lose the last batches but never corrupts the file, and the
	 * writer thread keeps up with detection bursts.
	 */
	/*
	 * Checkpoints are where WAL syncs: every 4096 pages (16 MiB) instead of
	 * SQLite's 1000 keeps a burst of detections from paying an fsync every few
	 * thousand rows; a 16 MiB page cache keeps the indexes' pages hot.
	 */
	if (exec(s->db,
	         "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	         " PRAGMA wal_autocheckpoint = 4096; PRAGMA cache_size = -16384",
	         err, errlen) < 0)
		goto fail;
	if (migrate(s->db, err, errlen) < 0) {
		char msg[STORE_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", err ? err : "");
		set_err(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	if (sqlite3_prepare_v3(s->db, sql_upsert, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_run_begin, -1, SQLITE_PREPARE_PERSISTENT, &s->run_begin,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_run_finish, -1, SQLITE_PREPARE_PERSISTENT, &s->run_finish,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_stats, -1, SQLITE_PREPARE_PERSISTENT, &s->stats, NULL) !=
	        SQLITE_OK)
		goto fail_db;
	return s;
fail_db:
	set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
fail:
	sqlite3_finalize(st);
	store_close(s);
	return NULL;
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* SQLite integers are signed 64-bit; microsecond times and counters stay far below. */
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* Binds a fixed-size char field; strnlen guards against a producer that forgot the NUL. */
static void bind_field(sqlite3_stmt *st, int i, const char *s, size_t size, bool null_if_empty)
{
	size_t n = strnlen(s, size);

	if (n == 0 && null_if_empty)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
}

static int bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Longest JSON column: 8 addresses of ADDR_TEXT_MAX plus quotes and commas,
 * or tags (DET_TAGS_MAX bytes, each possibly escaped to 6) as strings.
 */
#define STORE_JSON_MAX (DET_TAGS_MAX * 6 + 16)

static int addrs_json(char *buf, size_t len, const struct sw_addr *a, unsigned n, unsigned max)
{
	struct json_writer w;
	char text[ADDR_TEXT_MAX];

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < n && i < max; i++)
		json_string(&w, addr_format(&a[i], text));
	json_array_end(&w);
	return json_finish(&w);
}

static int ports_json(char *buf, size_t len, const struct sw_detection *d)
{
	struct json_writer w;

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		json_uint(&w, d->sample_ports[i]);
	json_array_end(&w);
	return json_finish(&w);
}

/* "T1046, T1595.001" -> ["T1046","T1595.001"]: commas split, blanks trimmed, empties skipped. */
static int tags_json(char *buf, size_t len, const char *tags, size_t size)
{
	struct json_writer w;
	size_t n = strnlen(tags, size), i = 0;

	json_init(&w, buf, len);
	json_array_begin(&w);
	while (i < n) {
		size_t b = i, e;

		while (i < n && tags[i] != ',')
			i++;
		e = i++;
		while (b < e && (tags[b] == ' ' || tags[b] == '\t'))
			b++;
		while (e > b && (tags[e - 1] == ' ' || tags[e - 1] == '\t'))
			e--;
		if (e > b)
			json_string_n(&w, tags + b, e - b);
	}
	json_array_end(&w);
	return json_finish(&w);
}

static int write_one(struct store *s, int64_t run_id, const struct sw_detection *d)
{
	sqlite3_stmt *st = s->upsert;
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
	char ports[DET_SAMPLE_PORTS * 6 + 4];
	char targets[STORE_JSON_MAX], sources[STORE_JSON_MAX], tags[STORE_JSON_MAX];
	int rc;

	if (ports_json(ports, sizeof(ports), d) < 0 ||
	    addrs_json(targets, sizeof(targets), d->sample_targets, d->n_sample_targets,
	               DET_SAMPLE_TARGETS) < 0 ||
	    addrs_json(sources, sizeof(sources), d->sample_sources, d->n_sample_sources,
	               DET_SAMPLE_SOURCES) < 0 ||
	    tags_json(tags, sizeof(tags), d->tags, sizeof(d->tags)) < 0) {
		/* Cannot happen with the sizes above; refuse rather than store a cut array. */
		set_err(s->err, sizeof(s->err), "detection %llu: sample arrays do not fit",
		        (unsigned long long)d->seq);
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	bind_u64(st, 2, d->seq);
	bind_field(st, 3, d->rule_id, sizeof(d->rule_id), false);
	bind_field(st, 4, d->rule_name, sizeof(d->rule_name), false);
	sqlite3_bind_text(st, 5, detection_kind_name((enum sw_kind)d->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detection_severity_name((enum sw_severity)d->severity), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 7, d->src_any ? "*" : addr_format(&d->src, src), -1, SQLITE_STATIC);
	if (d->has_target)
		sqlite3_bind_text(st, 8, addr_format(&d->target, dst), -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int(st, 9, d->proto);
	bind_u64(st, 10, d->first_seen);
	bind_u64(st, 11, d->opened_at);
	bind_u64(st, 12, d->last_seen);
	if (d->closed_at != 0)
		bind_u64(st, 13, d->closed_at);
	else
		sqlite3_bind_null(st, 13);
	bind_u64(st, 14, d->probes);
	bind_u64(st, 15, d->probes_at_open);
	bind_u64(st, 16, d->distinct_targets);
	bind_u64(st, 17, d->distinct_ports);
	sqlite3_bind_text(st, 18, ports, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, targets, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, sources, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 21, tags, -1, SQLITE_STATIC);
	bind_field(st, 22, d->tool, sizeof(d->tool), true);
	bind_field(st, 23, d->campaign, sizeof(d->campaign), true);
	bind_field(st, 24, d->evidence, sizeof(d->evidence), false);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		set_err(s->err, sizeof(s->err), "detection %llu: %s", (unsigned long long)d->seq,
		        sqlite3_errmsg(s->db));
	/* The buffers bound with SQLITE_STATIC die with this frame: unbind before returning. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_write(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n)
{
	char msg[STORE_ERR_MAX];

	if (n == 0)
		return 0;
	/*
	 * One transaction per batch: one WAL commit for up to a thousand rows
	 * instead of one per row. IMMEDIATE takes the write lock up front so
	 * a busy peer surfaces here, through the busy timeout, not halfway.
	 */
	if (exec(s->db, "BEGIN IMMEDIATE", msg, sizeof(msg)) < 0) {
		set_err(s->err, sizeof(s->err), "begin: %s", msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (write_one(s, run_id, &d[i]) < 0)
			goto fail;
	if (exec(s->db, "COMMIT", msg, sizeof(msg)) < 0) {
		set_err(s->err, sizeof(s->err), "commit: %s", msg);
		goto fail;
	}
	return 0;
fail:
	/* After SQLITE_FULL or an I/O error SQLite may already have rolled back. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int64_t store_run_begin(struct store *s, const char *input, const char *config_origin,
                        uint64_t started_us)
{
	sqlite3_stmt *st = s->run_begin;
	int64_t id = -1;

	sqlite3_bind_text(st, 1, input ? input : "", -1, SQLITE_STATIC);
	bind_text_or_null(st, 2, config_origin);
	bind_u64(st, 3, started_us);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(s->db);
	else
		set_err(s->err, sizeof(s->err), "starting run: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return id;
}

int store_run_finish(struct store *s, int64_t run_id, const struct store_run_end *end)
{
	sqlite3_stmt *st = s->run_finish;
	int ret = -1;

	sqlite3_bind_int64(st, 1, run_id);
	bind_u64(st, 2, end->ended_us);
	bind_u64(st, 3, end->first_ts_us);
	bind_u64(st, 4, end->last_ts_us);
	bind_u64(st, 5, end->packets);
	bind_u64(st, 6, end->bytes);
	bind_u64(st, 7, end->detections);
	bind_text_or_null(st, 8, end->anomalies_json);
	bind_text_or_null(st, 9, end->evictions_json);
	sqlite3_bind_int(st, 10, end->status);
	bind_text_or_null(st, 11, end->error);
	bind_u64(st, 12, end->store_errors);
	bind_u64(st, 13, end->records_dropped);
	bind_u64(st, 14, end->output_errors);
	if (sqlite3_step(st) != SQLITE_DONE)
		set_err(s->err, sizeof(s->err), "finishing run %lld: %s", (long long)run_id,
		        sqlite3_errmsg(s->db));
	else if (sqlite3_changes(s->db) != 1)
		set_err(s->err, sizeof(s->err), "finishing run %lld: no such run",
		        (long long)run_id);
	else
		ret = 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int store_write_stats(struct store *s, int64_t run_id, const struct store_stats *v)
{
	sqlite3_stmt *st = s->stats;
	int ret = -1;

	/* One statement in autocommit: its own short transaction, under the busy timeout. */
	sqlite3_bind_int64(st, 1, run_id);
	bind_u64(st, 2, v->at_us);
	bind_u64(st, 3, v->packets);
	bind_u64(st, 4, v->bytes);
	bind_u64(st, 5, v->kernel_drops);
	bind_u64(st, 6, v->if_drops);
	bind_text_or_null(st, 7, v->anomalies_json);
	bind_u64(st, 8, v->flows_used);
	bind_u64(st, 9, v->flows_capacity);
	bind_u64(st, 10, v->entries_used);
	bind_u64(st, 11, v->entries_capacity);
	bind_text_or_null(st, 12, v->evictions_json);
	bind_u64(st, 13, v->queue_depth);
	bind_u64(st, 14, v->queue_max);
	bind_u64(st, 15, v->records_dropped);
	bind_u64(st, 16, v->store_errors);
	if (sqlite3_step(st) == SQLITE_DONE)
		ret = 0;
	else
		set_err(s->err, sizeof(s->err), "writing statistics for run %lld: %s",
		        (long long)run_id, sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

const char *store_error(const struct store *s)
{
	return s != NULL ? s->err : "no store";
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->upsert);
	sqlite3_finalize(s->run_begin);
	sqlite3_finalize(s->run_finish);
	sqlite3_finalize(s->stats);
	/* The last connection to close checkpoints the WAL and removes it. */
	sqlite3_close(s->db);
	free(s);
}
