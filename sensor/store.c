/* store.c — the SQLite store: opening, schema migrations, runs and batched detection writes. */
#include "scanwatch/store.h"

#include <pthread.h>
#include <signal.h>
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
/*
 * WAL pages after which a commit asks for a checkpoint: 4096 pages (16 MiB)
 * instead of SQLite's 1000, so a burst of detections pays for an fsync
 * every few tens of thousands of rows, not every few thousand.
 */
#define STORE_CHECKPOINT_PAGES 4096
/* Room for a store error: SQLite messages plus our context fit comfortably. */
#define STORE_ERR_MAX 256

/*
 * Slots of the table store_write uses to find the records of one batch that
 * share a seq: a power of two at least twice the largest batch seen, so it
 * stays at most half full and a probe ends after a slot or two.
 */
#define STORE_SEQ_SLOTS_MIN 64

/* One seq of the batch: where it first and last appears. */
struct seq_slot {
	uint64_t seq;
	uint32_t first, last;
	bool used;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *run_begin;
	sqlite3_stmt *run_finish;
	sqlite3_stmt *upsert;
	sqlite3_stmt *update;
	sqlite3_stmt *stats;
	/*
	 * true: this connection runs with PRAGMA ignore_check_constraints and
	 * write_one enforces the detections table's two CHECKs itself (see
	 * vocabulary_probe); false: SQLite evaluates them as the schema says.
	 */
	bool checks_in_c;
	struct seq_slot *slots;
	size_t nslots;
	/*
	 * The checkpointer: a thread with its own connection that copies the
	 * WAL into the database when a commit finds the WAL long (see
	 * on_wal_commit). Started on first need; ckpt_mu guards the flags.
	 */
	char *path;
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	bool ckpt_started, ckpt_failed, ckpt_wanted, ckpt_stop;
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

/*
 * The fast path of an UPDATE or CLOSE: the row its OPEN inserted is
 * overwritten in place, except for the four columns the table's CHECKs and
 * secondary indexes cover, which are required to be equal instead. An
 * UPDATE evaluates only the CHECKs and rewrites only the index entries of
 * the columns it sets, so this costs one lookup in the (run_id, seq) index
 * and one row write, where the upsert above also probes the unique index,
 * fails, and rewrites three index entries with the values they already
 * hold. When no row matches (its OPEN was lost, or one of the four
 * changed), the caller runs the upsert: either way the row ends holding
 * every column of the record, exactly as the upsert alone would leave it.
 */
static const char sql_update[] =
    "UPDATE detections SET rule_id = ?3, rule_name = ?4, target_ip = ?8, proto = ?9,"
    " first_seen = ?10, last_seen = ?12, closed_at = ?13, probes = ?14, probes_at_open = ?15,"
    " distinct_targets = ?16, distinct_ports = ?17, sample_ports = ?18, sample_targets = ?19,"
    " sample_sources = ?20, tags = ?21, tool = ?22, campaign = ?23, evidence = ?24"
    " WHERE run_id = ?1 AND seq = ?2 AND kind = ?5 AND severity = ?6 AND src_ip = ?7"
    " AND opened_at = ?11";

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

/*
 * The checkpointer thread. SQLite's automatic checkpoint runs inside the
 * commit that crosses the threshold: the writer thread then copies the WAL
 * into the database and waits for two fsyncs (the WAL's, then the
 * database's), 100-150 ms for a 16 MiB WAL here, while detections queue up.
 * A checkpoint may run on any connection to the file, concurrently with
 * the writer's commits (WAL mode lets a PASSIVE checkpoint copy what was
 * committed while new frames are appended), so a second connection in its
 * own thread does it and the writer goes on writing. The durability is
 * unchanged: the same PASSIVE checkpoint with synchronous = NORMAL syncs
 * the same files in the same order, just from another thread, and the
 * last close still checkpoints everything. Errors are ignored as SQLite
 * ignores an automatic checkpoint's: the commits are safe in the WAL, and
 * the next checkpoint (or the close) tries again.
 */
static void *checkpointer_main(void *arg)
{
	struct store *s = arg;
	sqlite3 *db = NULL;

	/*
	 * The read of the schema makes the connection open the WAL: a
	 * checkpoint on a connection that has not read yet does nothing.
	 */
	if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous = NORMAL; SELECT count(*) FROM sqlite_schema",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
	}
	pthread_mutex_lock(&s->ckpt_mu);
	for (;;) {
		while (!s->ckpt_wanted && !s->ckpt_stop)
			pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
		if (s->ckpt_stop)
			break;
		s->ckpt_wanted = false;
		if (db == NULL) {
			/* No connection of its own: the writer checkpoints inline again. */
			s->ckpt_failed = true;
			continue;
		}
		pthread_mutex_unlock(&s->ckpt_mu);
		sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->ckpt_mu);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	sqlite3_close(db);
	return NULL;
}

/* Starts the checkpointer with every signal blocked: they belong to the main thread. */
static bool checkpointer_start(struct store *s)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

/*
 * SQLite calls this after every commit of s->db with the WAL's length in
 * pages (it replaces the automatic checkpoint). Past the threshold the
 * checkpointer is woken, or started the first time; when it cannot run,
 * the writer checkpoints here itself, which is what SQLite did before.
 */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;
	bool inline_ckpt = false;

	if (pages < STORE_CHECKPOINT_PAGES)
		return SQLITE_OK;
	pthread_mutex_lock(&s->ckpt_mu);
	if (!s->ckpt_started && !s->ckpt_failed) {
		s->ckpt_started = checkpointer_start(s);
		s->ckpt_failed = !s->ckpt_started;
	}
	if (s->ckpt_failed) {
		inline_ckpt = true;
	} else {
		s->ckpt_wanted = true;
		pthread_cond_signal(&s->ckpt_cv);
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	if (inline_ckpt)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/*
 * Decides whether this connection may skip CHECK constraints, and turns them
 * off when it may.
 *
 * Why: SQLite (3.40 here) codes a CHECK of the form `kind IN (18 names)` as
 * a temporary b-tree of the names, and inside a CHECK it builds that b-tree
 * again for every row checked (the once-per-statement shortcut it uses in a
 * WHERE clause does not apply). The two vocabulary CHECKs of the detections
 * table (001_init.sql) thus cost two b-tree creations per row, more than the
 * row's own insert and its four index entries together. validate() enforces
 * the same two rules in C instead, which is exact only if the schema
 * accepts every name detection.c can produce and has no other CHECK. Both
 * are established here, against the file actually opened: the schema holds
 * exactly the two known CHECKs, and a probe row for every kind (and every
 * severity) goes in with the CHECKs enforced, inside a transaction that is
 * rolled back (nothing is written and no row id is used up). If anything
 * differs, or the probe cannot run (a busy peer, a read-only file), the
 * CHECKs stay on and every write is checked by SQLite as before: slower,
 * never laxer. Other connections to the file keep their CHECKs whatever this
 * one does.
 */
static void vocabulary_probe(struct store *s)
{
	static const char sql_probe[] =
	    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
	    " first_seen, opened_at, last_seen, probes, probes_at_open, distinct_targets,"
	    " distinct_ports) VALUES (?1, ?2, '', '', ?3, ?4, '', 0, 0, 0, 0, 0, 0, 0)";
	/* Case-sensitive: the schema's comments say "checks", its constraints "CHECK". */
	static const char sql_count[] =
	    "SELECT coalesce(sum((length(sql) - length(replace(sql, 'CHECK', ''))) / 5), 0),"
	    " coalesce(sum(name = 'detections' AND sql LIKE '%kind_in_vocabulary CHECK (kind IN%'"
	    " AND sql LIKE '%severity_in_vocabulary%CHECK (severity IN%'), 0)"
	    " FROM sqlite_schema WHERE sql IS NOT NULL";
	sqlite3_stmt *st = NULL;
	unsigned rows = (unsigned)KIND__COUNT > (unsigned)SEV_CRITICAL ? (unsigned)KIND__COUNT
	                                                               : (unsigned)SEV_CRITICAL;
	bool ok = false;
	int64_t run;

	s->checks_in_c = false;
	if (sqlite3_prepare_v2(s->db, sql_count, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 2 ||
	    sqlite3_column_int(st, 1) != 1) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (exec(s->db, "BEGIN IMMEDIATE", NULL, 0) < 0)
		return;
	if (exec(s->db, "INSERT INTO runs (input, started_at) VALUES ('vocabulary probe', 0)", NULL,
	         0) < 0)
		goto out;
	run = sqlite3_last_insert_rowid(s->db);
	if (sqlite3_prepare_v2(s->db, sql_probe, -1, &st, NULL) != SQLITE_OK)
		goto out;
	for (unsigned i = 0; i < rows; i++) {
		enum sw_kind k = (enum sw_kind)(i % KIND__COUNT);
		enum sw_severity v = (enum sw_severity)(SEV_LOW + i % SEV_CRITICAL);

		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_text(st, 3, detection_kind_name(k), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, detection_severity_name(v), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	ok = true;
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (ok && exec(s->db, "PRAGMA ignore_check_constraints = ON", NULL, 0) == 0)
		s->checks_in_c = true;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *s;
	sqlite3_stmt *st = NULL;
	const char *mode;

	/*
	 * SQLite's allocation statistics take a global mutex around every
	 * malloc and free, a few of each per row written; nothing here reads
	 * them (no soft heap limit), and turning them off saves about 6% of a
	 * row's cost. It can only be set before SQLite initialises, i.e. before
	 * the process's first connection; later calls return SQLITE_MISUSE
	 * and change nothing, which is harmless. Not thread-safe, like
	 * store_open's callers: the main thread opens every store before it
	 * starts the writer thread.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->path = strdup(path);
	if (s->path == NULL || pthread_mutex_init(&s->ckpt_mu, NULL) != 0) {
		free(s->path);
		free(s);
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (pthread_cond_init(&s->ckpt_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->ckpt_mu);
		free(s->path);
		free(s);
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	/*
	 * NOMUTEX: a handle is used by one thread at a time (see store.h), so
	 * SQLite's per-connection mutex, taken by every bind and step, buys
	 * nothing; the emit queue's mutex orders the hand-over between threads.
	 */
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
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
	 * Checkpoints are where WAL syncs: see STORE_CHECKPOINT_PAGES and
	 * on_wal_commit, which takes over from SQLite's automatic checkpoint.
	 * A 16 MiB page cache keeps the indexes' pages hot.
	 */
	if (exec(s->db,
	         "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	         " PRAGMA cache_size = -16384",
	         err, errlen) < 0)
		goto fail;
	sqlite3_wal_hook(s->db, on_wal_commit, s);
	if (migrate(s->db, err, errlen) < 0) {
		char msg[STORE_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", err ? err : "");
		set_err(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	vocabulary_probe(s);
	if (sqlite3_prepare_v3(s->db, sql_upsert, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_update, -1, SQLITE_PREPARE_PERSISTENT, &s->update,
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

/*
 * known/known_text: an address already formatted (the target), reused when
 * a sample equals it: a single-target scan's one sample target is its
 * target, and formatting costs more than the rest of the array.
 */
static int addrs_json(char *buf, size_t len, const struct sw_addr *a, unsigned n, unsigned max,
                      const struct sw_addr *known, const char *known_text)
{
	struct json_writer w;
	char text[ADDR_TEXT_MAX];

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < n && i < max; i++)
		json_string(&w, known_text != NULL && addr_eq(&a[i], known)
		                    ? known_text
		                    : addr_format(&a[i], text));
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

/*
 * Enforces, for a connection that skips CHECK constraints, exactly what the
 * detections table's CHECKs would refuse: a kind or severity outside the
 * vocabulary (the names detection.c gives them, which vocabulary_probe has
 * seen the schema accept). The constraint names are in the message so it
 * reads like SQLite's own.
 */
static int validate(struct store *s, const struct sw_detection *d)
{
	if (d->kind >= KIND__COUNT) {
		set_err(s->err, sizeof(s->err),
		        "detection %llu: kind %u is outside the vocabulary (kind_in_vocabulary)",
		        (unsigned long long)d->seq, d->kind);
		return -1;
	}
	if (d->severity < SEV_LOW || d->severity > SEV_CRITICAL) {
		set_err(s->err, sizeof(s->err),
		        "detection %llu: severity %u is outside the vocabulary "
		        "(severity_in_vocabulary)",
		        (unsigned long long)d->seq, d->severity);
		return -1;
	}
	return 0;
}

/* A record's columns that are rendered rather than bound from the struct, with lengths. */
struct row_text {
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
	char ports[DET_SAMPLE_PORTS * 6 + 4];
	char targets[STORE_JSON_MAX], sources[STORE_JSON_MAX], tags[STORE_JSON_MAX];
	const char *src_text; /* src, or "*" for many sources */
	int src_len, dst_len; /* dst_len < 0: no single target (NULL) */
	int ports_len, targets_len, sources_len, tags_len;
};

static int render(struct store *s, const struct sw_detection *d, struct row_text *t)
{
	t->src_text = d->src_any ? "*" : addr_format(&d->src, t->src);
	t->src_len = (int)strlen(t->src_text);
	t->dst_len = d->has_target ? (int)strlen(addr_format(&d->target, t->dst)) : -1;
	t->ports_len = ports_json(t->ports, sizeof(t->ports), d);
	t->targets_len =
	    addrs_json(t->targets, sizeof(t->targets), d->sample_targets, d->n_sample_targets,
	               DET_SAMPLE_TARGETS, &d->target, d->has_target ? t->dst : NULL);
	t->sources_len = addrs_json(t->sources, sizeof(t->sources), d->sample_sources,
	                            d->n_sample_sources, DET_SAMPLE_SOURCES, NULL, NULL);
	t->tags_len = tags_json(t->tags, sizeof(t->tags), d->tags, sizeof(d->tags));
	if (t->ports_len < 0 || t->targets_len < 0 || t->sources_len < 0 || t->tags_len < 0) {
		/* Cannot happen with the sizes above; refuse rather than store a cut array. */
		set_err(s->err, sizeof(s->err), "detection %llu: sample arrays do not fit",
		        (unsigned long long)d->seq);
		return -1;
	}
	return 0;
}

/*
 * Binds every column of d to st: the upsert and the fast update share the
 * parameter numbers ?1-?24. Texts are bound SQLITE_STATIC with their
 * lengths (SQLite would otherwise count them byte by byte); t and d are the
 * caller's, so the caller clears the bindings before they go.
 */
static void bind_record(sqlite3_stmt *st, int64_t run_id, const struct sw_detection *d,
                        const struct row_text *t)
{
	sqlite3_bind_int64(st, 1, run_id);
	bind_u64(st, 2, d->seq);
	bind_field(st, 3, d->rule_id, sizeof(d->rule_id), false);
	bind_field(st, 4, d->rule_name, sizeof(d->rule_name), false);
	sqlite3_bind_text(st, 5, detection_kind_name((enum sw_kind)d->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detection_severity_name((enum sw_severity)d->severity), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 7, t->src_text, t->src_len, SQLITE_STATIC);
	if (t->dst_len >= 0)
		sqlite3_bind_text(st, 8, t->dst, t->dst_len, SQLITE_STATIC);
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
	sqlite3_bind_text(st, 18, t->ports, t->ports_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, t->targets, t->targets_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, t->sources, t->sources_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 21, t->tags, t->tags_len, SQLITE_STATIC);
	bind_field(st, 22, d->tool, sizeof(d->tool), true);
	bind_field(st, 23, d->campaign, sizeof(d->campaign), true);
	bind_field(st, 24, d->evidence, sizeof(d->evidence), false);
}

/* Runs st once; 0 on SQLITE_DONE, else -1 with the message. Leaves st reset and unbound. */
static int step_once(struct store *s, sqlite3_stmt *st, uint64_t seq)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		set_err(s->err, sizeof(s->err), "detection %llu: %s", (unsigned long long)seq,
		        sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	/* The buffers bound with SQLITE_STATIC die with the caller's frame. */
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Makes the row (run_id, d->seq) hold d. row_is_new: the batch holds this
 * detection's OPEN, so no row exists yet and the upsert goes first; else the
 * fast update is tried and the upsert covers a row that is missing or
 * differs in a column the fast update does not set.
 */
static int write_one(struct store *s, int64_t run_id, const struct sw_detection *d, bool row_is_new)
{
	struct row_text t;

	if (render(s, d, &t) < 0)
		return -1;
	if (!row_is_new) {
		bind_record(s->update, run_id, d, &t);
		if (step_once(s, s->update, d->seq) < 0)
			return -1;
		if (sqlite3_changes(s->db) == 1)
			return 0;
	}
	bind_record(s->upsert, run_id, d, &t);
	return step_once(s, s->upsert, d->seq);
}

/*
 * Fills s->slots with where each seq of the batch first and last appears.
 * Sequence numbers come from our own detector (a counter), not from the
 * wire, so a multiplicative hash cannot be steered into long probe chains.
 */
static int index_batch(struct store *s, const struct sw_detection *d, size_t n)
{
	size_t want = STORE_SEQ_SLOTS_MIN;
	unsigned shift;

	if (n > UINT32_MAX / 2) {
		set_err(s->err, sizeof(s->err), "batch of %zu records is too large", n);
		return -1;
	}
	while (want < 2 * n)
		want *= 2;
	if (want > s->nslots) {
		struct seq_slot *p = calloc(want, sizeof(*p));

		if (p == NULL) {
			set_err(s->err, sizeof(s->err), "out of memory for a batch of %zu", n);
			return -1;
		}
		free(s->slots);
		s->slots = p;
		s->nslots = want;
	} else {
		memset(s->slots, 0, s->nslots * sizeof(*s->slots));
	}
	shift = 64;
	for (size_t v = s->nslots; v > 1; v >>= 1)
		shift--;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)((d[i].seq * 0x9E3779B97F4A7C15ull) >> shift);

		while (s->slots[h].used && s->slots[h].seq != d[i].seq)
			h = (h + 1) & (s->nslots - 1);
		if (!s->slots[h].used) {
			s->slots[h].used = true;
			s->slots[h].seq = d[i].seq;
			s->slots[h].first = (uint32_t)i;
		}
		s->slots[h].last = (uint32_t)i;
	}
	return 0;
}

static const struct seq_slot *find_seq(const struct store *s, uint64_t seq)
{
	unsigned shift = 64;
	size_t h;

	for (size_t v = s->nslots; v > 1; v >>= 1)
		shift--;
	h = (size_t)((seq * 0x9E3779B97F4A7C15ull) >> shift);
	while (s->slots[h].seq != seq) /* index_batch put every seq of the batch in */
		h = (h + 1) & (s->nslots - 1);
	return &s->slots[h];
}

int store_write(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n)
{
	char msg[STORE_ERR_MAX];
	bool coalesce = s->checks_in_c;

	if (n == 0)
		return 0;
	/*
	 * Every record is checked before anything is written, including those
	 * coalescing skips below, so a batch fails or succeeds exactly as it
	 * would if each record were written in turn.
	 */
	if (s->checks_in_c)
		for (size_t i = 0; i < n; i++)
			if (validate(s, &d[i]) < 0)
				return -1;
	if (coalesce && index_batch(s, d, n) < 0)
		return -1;
	/*
	 * One transaction per batch: one WAL commit for up to a thousand rows
	 * instead of one per row. IMMEDIATE takes the write lock up front so
	 * a busy peer surfaces here, through the busy timeout, not halfway.
	 */
	if (exec(s->db, "BEGIN IMMEDIATE", msg, sizeof(msg)) < 0) {
		set_err(s->err, sizeof(s->err), "begin: %s", msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_detection *rec = &d[i];

		/*
		 * Coalescing: every record is a complete snapshot and the phases of
		 * one detection share its seq, so within one transaction only the
		 * last record of a seq decides the row. It is written where the
		 * seq first appears, so rows get their ids in the same order as
		 * when written one by one, and no reader can see the difference:
		 * a reader sees the transaction whole or not at all. Only with
		 * the CHECKs enforced here (validate above) does skipping a record
		 * provably change no outcome: a record SQLite could refuse is never
		 * skipped.
		 */
		if (coalesce) {
			const struct seq_slot *slot = find_seq(s, d[i].seq);

			if (slot->first != i)
				continue;
			rec = &d[slot->last];
		}
		if (write_one(s, run_id, rec, d[i].phase == DET_OPEN) < 0)
			goto fail;
	}
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
	bool started;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_stop = true;
	started = s->ckpt_started;
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	/* Joined before the close below, so the final checkpoint runs alone. */
	if (started)
		pthread_join(s->ckpt_thread, NULL);
	pthread_cond_destroy(&s->ckpt_cv);
	pthread_mutex_destroy(&s->ckpt_mu);
	sqlite3_finalize(s->upsert);
	sqlite3_finalize(s->update);
	sqlite3_finalize(s->run_begin);
	sqlite3_finalize(s->run_finish);
	sqlite3_finalize(s->stats);
	/* The last connection to close checkpoints the WAL and removes it. */
	sqlite3_close(s->db);
	free(s->slots);
	free(s->path);
	free(s);
}
