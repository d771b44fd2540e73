/* store.c — the SQLite store: opening, schema migrations, the checkpointer, runs and statistics. */
#include "scanwatch/store.h"

#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "scanwatch/embedded.h"
#include "store_private.h"

/*
 * How long a writer waits for a lock held by another connection (a reader
 * running `scanwatch query`, or a second sensor on the same file) before
 * SQLITE_BUSY: long enough to ride out a checkpoint, short enough that a
 * stuck peer shows up as an error instead of a silent stall.
 */
#define STORE_BUSY_TIMEOUT_MS 5000
/*
 * WAL bytes after which a commit asks for a checkpoint: 16 MiB (4096 pages of
 * 4 KiB) instead of SQLite's 1000 pages, so a burst of detections pays for an
 * fsync every few tens of thousands of rows, not every few thousand.
 */
#define STORE_CHECKPOINT_BYTES (16u << 20)
/*
 * After a full disk (on_wal_commit): the WAL length that triggers a checkpoint while the
 * file system has little room, and the free space that ends that (four times the usual
 * WAL's).
 */
#define STORE_TIGHT_BYTES (256u << 10)
#define STORE_ROOM_BYTES  (4ull * STORE_CHECKPOINT_BYTES)
/*
 * The page size of a database this sensor creates: 16 KiB rather than SQLite's
 * 4 KiB. A detection row is about 1.3 KB (its reasons as JSON and as text), so
 * a 4 KiB leaf holds three and a batch of a thousand rows splits and writes a
 * leaf every third row, each with its WAL frame header and its parent's update;
 * at 16 KiB a leaf holds twelve. Bench D (20,000 detections, each written at its
 * open and again at its close, with 137,000 evidence packets) went from 1.08 s to
 * 0.93-0.98 s (median of 7 interleaved runs). The indexes' and evidence's small
 * rows do not mind either way. An existing file keeps the page size it has
 * (SQLite fixes it when the file is made).
 */
#define STORE_PAGE_SIZE "16384"

static const char sql_run_begin[] =
    "INSERT INTO runs (input, config, started_at) VALUES (?1, ?2, ?3)";

static const char sql_run_finish[] =
    "UPDATE runs SET ended_at = ?2, first_ts = ?3, last_ts = ?4, packets = ?5, bytes = ?6,"
    " detections = ?7, anomalies = ?8, evictions = ?9, status = ?10, error = ?11,"
    " store_errors = ?12, records_dropped = ?13, output_errors = ?14 WHERE id = ?1";

static const char sql_stats[] =
    "INSERT INTO stats (run_id, at, packets, bytes, kernel_drops, if_drops, anomalies,"
    " flows_used, flows_capacity, entries_used, entries_capacity, evictions, queue_depth,"
    " queue_max, records_dropped, store_errors, evidence_kept, evidence_not_kept,"
    " evidence_bytes)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19)";

void store_set_err(char *buf, size_t len, const char *fmt, ...)
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

int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_set_err(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
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
	store_set_err(err, errlen, "reading schema version: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

int store_schema_check(sqlite3 *db, int *have, char *err, size_t errlen)
{
	int want = store_schema_version();

	if (user_version(db, have, err, errlen) < 0)
		return -1;
	/* PRAGMA user_version is any signed 32-bit number (the file header's offset 60); ours
	 * count up from 0 (a new file). A negative one is another program's file, which neither
	 * the writer (migrating it) nor a reader (taking it for an old schema) may touch. */
	if (*have < 0) {
		store_set_err(err, errlen,
		              "database schema version %d is not one scanwatch writes: not a "
		              "scanwatch database",
		              *have);
		return -1;
	}
	if (*have > want) {
		store_set_err(err, errlen,
		              "database schema version %d is newer than this scanwatch's (%d); "
		              "use a newer scanwatch or another database file",
		              *have, want);
		return -1;
	}
	return 0;
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
	int have = 0;
	char pragma[64];

	if (store_schema_check(db, &have, err, errlen) < 0)
		return -1;
	for (size_t i = 0; embedded_migrations[i].sql != NULL; i++) {
		const struct embedded_migration *m = &embedded_migrations[i];
		char msg[STORE_ERR_MAX];

		if (m->version <= have)
			continue;
		if (store_exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
			return -1;
		if (user_version(db, &have, err, errlen) < 0)
			goto fail;
		if (m->version <= have) { /* another process applied it meanwhile */
			if (store_exec(db, "COMMIT", err, errlen) < 0)
				goto fail;
			continue;
		}
		if (store_exec(db, m->sql, msg, sizeof(msg)) < 0) {
			store_set_err(err, errlen, "schema migration %s: %s", m->name, msg);
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if (store_exec(db, pragma, err, errlen) < 0 ||
		    store_exec(db, "COMMIT", err, errlen) < 0)
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
 *
 * After the disk was full, until its file system has room again (STORE_ROOM_BYTES free), the
 * writer checkpoints here itself each time the WAL passes STORE_TIGHT_BYTES. At the usual
 * threshold every commit appends to the WAL (each writing again the pages it touches: the
 * indexes' upper levels, the last leaves), so on a disk with a few MiB given back the WAL
 * alone filled it again within a few hundred rows and writing stopped for good
 * (test_store_safety (b) under ThreadSanitizer, whose slow writer commits in small
 * batches). Once a checkpoint has copied the WAL, the next commit writes it from its start
 * again: it reuses the file's space instead of growing it, and the database grows only by
 * its new pages. Inline, not in the checkpointer thread: a checkpoint running beside the
 * writer's next commits copies only what was there when it began, and the WAL went on
 * growing behind it.
 */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;
	bool inline_ckpt = false;

	if (s->full_seen) {
		s->full_seen = false;
		s->tight = true;
	}
	if (s->tight) {
		struct statfs fs;
		if (s->dir_fd >= 0 && fstatfs(s->dir_fd, &fs) == 0 &&
		    (uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize >= STORE_ROOM_BYTES)
			s->tight = false; /* room again: the usual threshold */
		else if ((uint64_t)pages * s->page_size >= STORE_TIGHT_BYTES)
			sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (s->tight)
			return SQLITE_OK;
	}
	if ((uint64_t)pages * s->page_size < STORE_CHECKPOINT_BYTES)
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
		store_set_err(err, errlen, "out of memory");
		return NULL;
	}
	s->path = strdup(path);
	s->dir_fd = -1;
	if (s->path == NULL || pthread_mutex_init(&s->ckpt_mu, NULL) != 0) {
		free(s->path);
		free(s);
		store_set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (pthread_cond_init(&s->ckpt_cv, NULL) != 0) {
		pthread_mutex_destroy(&s->ckpt_mu);
		free(s->path);
		free(s);
		store_set_err(err, errlen, "out of memory");
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
		store_set_err(err, errlen, "%s: %s", path,
		              s->db ? sqlite3_errmsg(s->db) : "cannot allocate a database handle");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail_db;
	/* Before WAL mode, which writes the first page of a new file; a no-op on an existing
	 * one (STORE_PAGE_SIZE). */
	if (store_exec(s->db, "PRAGMA page_size = " STORE_PAGE_SIZE, err, errlen) < 0)
		goto fail;
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
		store_set_err(err, errlen,
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
	 * Checkpoints are where WAL syncs: see STORE_CHECKPOINT_BYTES and
	 * on_wal_commit, which takes over from SQLite's automatic checkpoint.
	 * A 16 MiB page cache (STORE_CACHE_BYTES) keeps the indexes' pages hot.
	 *
	 * temp_store = MEMORY: SQLite's statement journals, sorters and transient indexes
	 * otherwise spill to files it creates in /var/tmp or $TMPDIR, which the sandbox
	 * (sandbox.c: Landlock allows the database's own directory) refuses; a batch whose
	 * statement needed one failed with "unable to open database file" and was lost. What
	 * they hold is bounded by one batch (and one campaign row's members).
	 */
	if (store_exec(s->db,
	               "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
	               " PRAGMA temp_store = MEMORY",
	               err, errlen) < 0)
		goto fail;
	if (store_set_cache(s, STORE_CACHE_BYTES) < 0) {
		store_set_err(err, errlen, "%s", s->err);
		goto fail;
	}
	/* What the file has (on_wal_commit counts WAL bytes with it). */
	if (sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto fail_db;
	s->page_size = (uint32_t)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_wal_hook(s->db, on_wal_commit, s);
	if (migrate(s->db, err, errlen) < 0) {
		char msg[STORE_ERR_MAX];

		snprintf(msg, sizeof(msg), "%s", err ? err : "");
		store_set_err(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	char why[STORE_ERR_MAX];
	if (store_write_prepare(s, why, sizeof(why)) < 0) {
		/* a file whose schema says our version but whose tables lack a column */
		store_set_err(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if (sqlite3_prepare_v3(s->db, sql_run_begin, -1, SQLITE_PREPARE_PERSISTENT, &s->run_begin,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_run_finish, -1, SQLITE_PREPARE_PERSISTENT, &s->run_finish,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_stats, -1, SQLITE_PREPARE_PERSISTENT, &s->stats, NULL) !=
	        SQLITE_OK)
		goto fail_db;
	/* its directory, for the free space after a full disk (on_wal_commit) */
	char *dir = strdup(path);
	if (dir != NULL) {
		s->dir_fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(dir);
	}
	return s;
fail_db:
	store_set_err(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
fail:
	sqlite3_finalize(st);
	store_close(s);
	return NULL;
}

static int store_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Runs st, a one-row INSERT or UPDATE, then resets it and clears its bindings (the caller's
 * texts were bound SQLITE_STATIC). 0, or -1 with "what: reason" in s->err; an UPDATE that
 * matched no row (need_row) is an error too.
 */
static int step_one(struct store *s, sqlite3_stmt *st, bool need_row, const char *what)
{
	int ret = -1;

	if (sqlite3_step(st) != SQLITE_DONE)
		store_set_err(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	else if (need_row && sqlite3_changes(s->db) != 1)
		store_set_err(s->err, sizeof(s->err), "%s: no such run", what);
	else
		ret = 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int store_set_cache(struct store *s, uint64_t bytes)
{
	char sql[64];
	uint64_t kib = bytes / 1024 < 64 ? 64 : bytes / 1024;
	/* a negative cache_size is a bound in KiB, whatever the page size */
	snprintf(sql, sizeof sql, "PRAGMA cache_size = -%llu", (unsigned long long)kib);
	return store_exec(s->db, sql, s->err, sizeof(s->err));
}

int64_t store_run_begin(struct store *s, const char *input, const char *config_origin,
                        uint64_t started_us)
{
	sqlite3_stmt *st = s->run_begin;

	sqlite3_bind_text(st, 1, input ? input : "", -1, SQLITE_STATIC);
	store_bind_text_or_null(st, 2, config_origin);
	store_bind_u64(st, 3, started_us);
	if (step_one(s, st, false, "starting run") < 0)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int store_run_identify(struct store *s, int64_t run_id, const char *sensor_id,
                       const char *const *tags, size_t ntags, const char *sensor_run)
{
	static const char sql[] =
	    "UPDATE runs SET sensor_id = ?2, site_tags = ?3, sensor_run = ?4 WHERE id = ?1";
	char json[1024]; /* 8 site tags of at most 96 plain characters, quoted */
	sqlite3_stmt *st = NULL;
	int ret;

	if (store_row_json_strings(tags, ntags, json, sizeof json) < 0) {
		store_set_err(s->err, sizeof(s->err), "identifying run: too many site tags");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_set_err(s->err, sizeof(s->err), "identifying run: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, sensor_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	store_bind_text_or_null(st, 4, sensor_run);
	ret = step_one(s, st, true, "identifying run");
	sqlite3_finalize(st);
	return ret;
}

int store_run_finish(struct store *s, int64_t run_id, const struct store_run_end *end)
{
	const uint64_t nums[] = {end->ended_us, end->first_ts_us, end->last_ts_us,
	                         end->packets,  end->bytes,       end->detections}; /* ?2-?7 */
	const uint64_t counts[] = {end->store_errors, end->records_dropped,
	                           end->output_errors}; /* ?12-?14 */
	sqlite3_stmt *st = s->run_finish;
	char what[64];

	sqlite3_bind_int64(st, 1, run_id);
	for (int i = 0; i < 6; i++)
		store_bind_u64(st, 2 + i, nums[i]);
	store_bind_text_or_null(st, 8, end->anomalies_json);
	store_bind_text_or_null(st, 9, end->evictions_json);
	sqlite3_bind_int(st, 10, end->status);
	store_bind_text_or_null(st, 11, end->error);
	for (int i = 0; i < 3; i++)
		store_bind_u64(st, 12 + i, counts[i]);
	snprintf(what, sizeof(what), "finishing run %lld", (long long)run_id);
	return step_one(s, st, true, what);
}

int store_write_stats(struct store *s, int64_t run_id, const struct store_stats *v)
{
	/* ?2-?19 in order; 0 stands where the two JSON texts go (?7, ?12). */
	const uint64_t nums[] = {v->at_us,
	                         v->packets,
	                         v->bytes,
	                         v->kernel_drops,
	                         v->if_drops,
	                         0,
	                         v->flows_used,
	                         v->flows_capacity,
	                         v->entries_used,
	                         v->entries_capacity,
	                         0,
	                         v->queue_depth,
	                         v->queue_max,
	                         v->records_dropped,
	                         v->store_errors,
	                         v->evidence_kept,
	                         v->evidence_not_kept,
	                         v->evidence_bytes};
	sqlite3_stmt *st = s->stats;
	char what[64];

	/* One statement in autocommit: its own short transaction, under the busy timeout. */
	sqlite3_bind_int64(st, 1, run_id);
	for (int i = 0; i < (int)(sizeof(nums) / sizeof(nums[0])); i++)
		store_bind_u64(st, 2 + i, nums[i]);
	store_bind_text_or_null(st, 7, v->anomalies_json);
	store_bind_text_or_null(st, 12, v->evictions_json);
	snprintf(what, sizeof(what), "writing statistics for run %lld", (long long)run_id);
	return step_one(s, st, false, what);
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
	if (s->camps != NULL && store_campaigns_sync(s) < 0)
		fprintf(stderr, "scanwatch: store: %s (campaign rows left behind their members)\n",
		        s->err);
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
	store_write_release(s);
	sqlite3_finalize(s->run_begin);
	sqlite3_finalize(s->run_finish);
	sqlite3_finalize(s->stats);
	/* The last connection to close checkpoints the WAL and removes it. */
	sqlite3_close(s->db);
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	free(s->path);
	free(s);
}
