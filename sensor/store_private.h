/* store_private.h — what the store's own files share; not a contract between modules (that is
 * include/scanwatch/store.h). */
#ifndef SCANWATCH_STORE_PRIVATE_H
#define SCANWATCH_STORE_PRIVATE_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "scanwatch/store.h"

/* Room for a store error: SQLite messages plus our context fit comfortably. */
#define STORE_ERR_MAX 256

/* One seq of the batch: where it first and last appears, and its row's id once written. */
struct seq_slot {
	uint64_t seq;
	int64_t id;
	uint32_t first, last;
	bool used;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *run_begin;
	sqlite3_stmt *run_finish;
	sqlite3_stmt *upsert;
	sqlite3_stmt *update;
	sqlite3_stmt *expo; /* one exposure row (006_exposure_campaigns.sql) */
	sqlite3_stmt *camp; /* a campaigns row from its members' rows (store_campaign.c) */
	sqlite3_stmt *stats;
	sqlite3_stmt *evidence; /* one record's evidence packets (010_evidence_pcapng.sql) */
	sqlite3_stmt *row_id;   /* a written row's id, for its packets */
	/*
	 * true: this connection runs with PRAGMA ignore_check_constraints and
	 * write_one enforces the detections table's two CHECKs itself (see
	 * vocabulary_probe); false: SQLite evaluates them as the schema says.
	 */
	bool checks_in_c;
	struct seq_slot *slots;
	size_t nslots;
	/* The campaigns the writer has seen, and when their rows were made (store_campaign.c). */
	struct camp_entry *camps;
	uint64_t camp_batch;     /* batches noted */
	uint64_t camp_rows_made; /* campaign rows made (store_campaign_rows_made) */
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
	uint32_t page_size; /* the file's, for on_wal_commit's WAL bytes */
	/* A write failed for want of space (SQLITE_FULL): from the next commit on, the WAL is
	 * kept short until the file system has room again (on_wal_commit). Writer thread only.
	 * dir_fd: the database's directory, opened at store_open (before any sandbox) for
	 * fstatfs; -1 when it could not be (the WAL then stays short for the run). */
	bool full_seen, tight;
	int dir_fd;
	char err[STORE_ERR_MAX];
};

/* --- store.c ------------------------------------------------------------------------------ */

/* snprintf into buf (nothing when buf is NULL or len 0). */
void store_set_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Runs sql (one or more statements) on db; 0, or -1 with SQLite's message in err. */
int store_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/*
 * Reads db's PRAGMA user_version into *have and refuses (-1, err names both versions and what
 * to do) a schema newer than the migrations compiled into this binary: its tables may mean
 * something this build does not know. Shared by the writer (before migrating) and the reader.
 */
int store_schema_check(sqlite3 *db, int *have, char *err, size_t errlen);

static inline void store_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* SQLite integers are signed 64-bit; microsecond times and counters stay far below. */
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* --- store_write.c ------------------------------------------------------------------------ */

/*
 * The detection writer's part of store_open: decides whether the CHECKs run in C (see
 * store_write.c) and prepares the upsert and update statements. 0, or -1 with err set.
 */
int store_write_prepare(struct store *s, char *err, size_t errlen);
/* Finalizes what store_write_prepare made and frees the batch index. */
void store_write_release(struct store *s);

/* --- store_campaign.c --------------------------------------------------------------------- */

/* Prepares the campaign statement and the entries; 0, or -1 with a message in err. */
int store_camp_prepare(struct store *s, char *err, size_t errlen);
/* Frees what store_camp_prepare made (rows that lag stay as they are: sync first). */
void store_camp_release(struct store *s);
/* Notes the n records store_write is writing (inside its transaction, after their rows) and
 * makes the rows of the campaigns they belong to that are due; 0, or -1 (s->err). */
int store_camp_note_batch(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n);
/* The collector's path: store_ingest wrote one record of campaign id (NUL-terminated) of run
 * run_id, its reasons column reasons (reasons_len bytes; NULL: none), inside the caller's
 * transaction; makes the campaign's row when due. 0, or -1 (s->err). */
int store_camp_note_one(struct store *s, int64_t run_id, const char *id, const char *reasons,
                        int reasons_len);
/* A transaction that may have made campaign rows was rolled back (store_write's batch,
 * store_rollback, a failed store_commit): every row is marked as lagging. */
void store_camp_rolled_back(struct store *s);

/* --- store_row.c: the text columns, read back --------------------------------------------- */

/*
 * Each parses one JSON array column as store_row_render writes it (NULL, SQL's NULL, is an
 * empty list) into the record: 0, or -1 when the text is not such an array. Items past what
 * the record holds are dropped; the sensor never writes more.
 */
int store_row_parse_ports(const char *json, struct sw_detection *d);
int store_row_parse_addrs(const char *json, struct sw_addr *out, uint8_t *n, unsigned max);
/* Tags come back as the record holds them: a list of ids. */
int store_row_parse_tags(const char *json, struct sw_detection *d);
/* The reasons column (NULL: a row older than it, whose evidence words are split at "; "
 * into reasons named "text"). Reasons past DET_REASONS_MAX are dropped. */
int store_row_parse_reasons(const char *json, const char *evidence, struct sw_detection *d);

/* n strings as a JSON array of strings (runs.site_tags); the length, or -1 when it does not
 * fit. */
int store_row_json_strings(const char *const *v, size_t n, char *buf, size_t len);

#endif
