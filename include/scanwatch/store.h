/* store.h — the SQLite store: schema migrations, runs, detections, batched writes. */
#ifndef SCANWATCH_STORE_H
#define SCANWATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"
#include "scanwatch/evidence_ng.h" /* struct evidence_view: one evidence packet */

struct store;

/* What a run did, written to the runs table when it ends. */
struct store_run_end {
	uint64_t ended_us;                /* wall clock */
	uint64_t first_ts_us, last_ts_us; /* packet time span */
	uint64_t packets, bytes;
	uint64_t detections;
	const char *anomalies_json; /* {"ipv4_truncated":3,...}: by kind, non-zero only */
	const char *evictions_json; /* {"flows":0,"sources":12,...} */
	uint64_t store_errors;      /* batches the store refused during the run */
	uint64_t records_dropped;   /* records the writer queue refused (live) */
	uint64_t output_errors;     /* records an output failed to take */
	int status;                 /* 0 clean, non-zero: the input ended on an error */
	const char *error;          /* NULL or the message */
};

/*
 * Opens (creating if needed) the database at path, sets WAL and a busy
 * timeout, and applies the numbered migrations compiled in from schema/ that
 * PRAGMA user_version says are missing, each in its own transaction. Returns
 * NULL with a message in err on failure. The caller owns the handle.
 */
struct store *store_open(const char *path, char *err, size_t errlen);
/* The page cache a handle starts with (PRAGMA cache_size): it keeps the indexes' pages hot. */
#define STORE_CACHE_BYTES (16ULL << 20)
/* Bounds s's page cache to bytes (at least 64 KiB), for a caller that counts it in a memory
 * budget (the sensor's --memory-cap). 0, or -1 (store_error()). */
int store_set_cache(struct store *s, uint64_t bytes);
/* Starts a run; returns its id (> 0) or -1. input: the file list or interface. */
int64_t store_run_begin(struct store *s, const char *input, const char *config_origin,
                        uint64_t started_us);
/*
 * Names the sensor of run run_id (schema 008): its id, its site tags ("KEY=VALUE", stored as a
 * JSON array) and its run token (NULL: none). Strings are borrowed. 0, or -1 (store_error()).
 */
int store_run_identify(struct store *s, int64_t run_id, const char *sensor_id,
                       const char *const *tags, size_t ntags, const char *sensor_run);
/*
 * The collector's side (issue 19): one record as the jsonl and nats outputs write it (ECS JSON,
 * output_jsonl_render) stored in a central store, under the run of its sensor (made on first
 * sight, keyed by agent.id and agent.ephemeral_id) with its sensor's seq (event.id): the same
 * record twice, or an older phase after a newer one, leaves the row as it is. Returns 0 when
 * stored, 1 when the record is refused (not JSON, outside the vocabularies, missing fields: why
 * says which; nothing written), -1 on a database error (store_error()).
 */
#define STORE_INGEST_MAX (1 << 20) /* longest record accepted, bytes */
int store_ingest(struct store *s, const char *json, size_t len, char *why, size_t whylen);
/* A write transaction around several store_ingest calls: 0 or -1 (store_error()); a failed
 * commit is rolled back. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/*
 * Writes n records in one transaction: an OPEN inserts the row, UPDATE and
 * CLOSE update the row with the same (run, seq). 0 or -1 (nothing of the
 * batch is kept then; the message is in store_error()).
 */
int store_write(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n);
/*
 * The campaigns table's rows are summaries of their members' rows, made again as members are
 * written, but not in every transaction (sensor/store_campaign.c says when): a row may lag its
 * members by up to about a second. store_tick, called by the writer every few hundred
 * milliseconds, makes the rows that have lagged that long; store_campaigns_sync makes every
 * lagging row now, after which each agrees with its members (the sensor calls it before it
 * records a run's end; store_close calls it too). Both 0, or -1 (store_error()); NULL is a
 * no-op. store_campaign_rows_made counts the rows made since store_open.
 */
int store_tick(struct store *s);
int store_campaigns_sync(struct store *s);
uint64_t store_campaign_rows_made(const struct store *s);
/*
 * Records how run run_id ended (end and its strings are borrowed for the call): the runs row
 * gets ended_at and the counters, so a reader can tell a finished run from one still running
 * or crashed (ended_at NULL). Called once, after the last store_write of the run. 0, or -1
 * (message in store_error()) when the write fails or no run run_id exists.
 */
int store_run_finish(struct store *s, int64_t run_id, const struct store_run_end *end);
/* The last error of s ("no store" for NULL); owned by s, valid until its next call. */
const char *store_error(const struct store *s);
/* Makes the campaign rows that lag (store_campaigns_sync; a failure is printed on stderr),
 * finishes the statements, stops the checkpointer, closes (and checkpoints) the file; NULL is
 * a no-op. */
void store_close(struct store *s);
/* The schema version this binary writes (the highest migration number). */
int store_schema_version(void);

/* One statistics snapshot (a row of the stats table); counters are run totals. */
struct store_stats {
	uint64_t at_us; /* wall clock */
	uint64_t packets, bytes;
	uint64_t kernel_drops, if_drops; /* pcap_stats ps_drop, ps_ifdrop */
	const char *anomalies_json;      /* {"ipv4_truncated":3,...}; NULL: none recorded */
	uint64_t flows_used, flows_capacity;
	uint64_t entries_used, entries_capacity;
	const char *evictions_json; /* {"flows_full":0,...}; NULL: none recorded */
	uint64_t queue_depth, queue_max;
	uint64_t records_dropped, store_errors;
	/* evidence packets (evidence.h): kept so far, not kept (budget, held sources'
	 * places, the writer's queue), and the arena's bytes in use now */
	uint64_t evidence_kept, evidence_not_kept, evidence_bytes;
};

/*
 * Inserts one stats row for run_id; 0 or -1 (message in store_error()).
 * A store handle is not shared between threads: while the emit writer thread
 * owns one, the main thread writes statistics through a second handle from
 * store_open() on the same file. WAL mode lets the two connections
 * interleave their short write transactions, each waiting for the other
 * through the busy timeout.
 */
int store_write_stats(struct store *s, int64_t run_id, const struct store_stats *st);

/*
 * The columns of a detections row that are text rather than numbers, as the store writes them
 * (the one codec of these columns, store_row.c): src_ip ("*" for many sources), target_ip
 * (NULL when there is no single target), and the JSON arrays sample_ports ([22,80]),
 * sample_targets and sample_sources (["198.18.0.2"]) and tags (["T1046","T1595.001"]).
 */
/* Longest JSON column: 8 addresses of ADDR_TEXT_MAX plus quotes and commas, or the tags
 * (DET_TAGS_MAX ids of DET_TAG_MAX bytes, each byte possibly escaped to 6) as strings. */
#define STORE_JSON_ADDRS (DET_SAMPLE_TARGETS * (ADDR_TEXT_MAX + 3) + 3)
#define STORE_JSON_TAGS  (DET_TAGS_MAX * (DET_TAG_MAX * 6 + 3) + 3)
#define STORE_JSON_MAX   (STORE_JSON_ADDRS > STORE_JSON_TAGS ? STORE_JSON_ADDRS : STORE_JSON_TAGS)
/* The reasons column: each reason's name and words escaped at six bytes a byte, the count and
 * the keys. */
#define STORE_REASONS_MAX (DET_REASONS_MAX * ((DET_REASON_NAME + DET_REASON_TEXT) * 6 + 64) + 3)
struct store_row_text {
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
	char ports[DET_SAMPLE_PORTS * 6 + 4];
	char targets[STORE_JSON_MAX], sources[STORE_JSON_MAX], tags[STORE_JSON_MAX];
	char evidence[DET_EVIDENCE_TEXT]; /* the reasons' words joined with "; " */
	char reasons[STORE_REASONS_MAX];  /* the reasons as a JSON array of objects */
	const char *src_text;             /* src, or "*" for many sources */
	int src_len, dst_len;             /* dst_len < 0: no single target (NULL) */
	int ports_len, targets_len, sources_len, tags_len, evidence_len, reasons_len;
};
/*
 * Renders d's text columns into t (t->src_text may point at a literal). 0, or -1 when an array
 * does not fit (cannot happen with these sizes). Used by the writer, and by readers that show
 * the table's own form (query --format csv).
 */
int store_row_render(const struct sw_detection *d, struct store_row_text *t);

/* --- Reading: the same format, back ------------------------------------------------------------
 *
 * `query` and `report` read a database only through these; nothing else parses its columns.
 */

struct store_reader;

/*
 * Opens path read-only (never creating it; a sensor may be writing it meanwhile: WAL readers
 * see whole transactions). A database whose PRAGMA user_version is newer than
 * store_schema_version() is refused with both versions in the message; an older one is read
 * as it is (columns a later migration added read as absent), never migrated: migrating is the
 * writer's job, in store_open. NULL with a message in err on failure; the caller owns the
 * reader and closes it with store_read_close.
 */
struct store_reader *store_read_open(const char *path, char *err, size_t errlen);
/* Closes the file and frees r; NULL is a no-op. */
void store_read_close(struct store_reader *r);
/* The file's schema version (PRAGMA user_version when it was opened). */
int store_read_version(const struct store_reader *r);

/* One stored detection: its row, and the record as the sensor last wrote it. */
#define STORE_SENSOR_ID_MAX 65 /* a sensor id (output.h OUTPUT_SENSOR_ID_MAX) and its NUL */
struct store_row {
	int64_t id;     /* row id: rows are numbered in the order they were first written */
	int64_t run_id; /* the runs row it belongs to */
	/* its run's sensor id (schema 008); "" when the file is older or the run has none */
	char sensor_id[STORE_SENSOR_ID_MAX];
	unsigned file; /* which file of a store_set it came from (0 when read alone) */
	/*
	 * The detection. phase is DET_CLOSE when closed_at is set, else DET_UPDATE (the latest
	 * state of an open one): the row keeps the last record, not its history. Texts longer
	 * than the record's fields (only written by other tools) are cut.
	 */
	struct sw_detection d;
};

enum store_order {
	STORE_ORDER_ID,         /* oldest row first */
	STORE_ORDER_ID_DESC,    /* newest row first */
	STORE_ORDER_FIRST_SEEN, /* by first probe, then run, then seq: a timeline */
};

enum store_state {
	STORE_STATE_ANY,
	STORE_STATE_OPEN,   /* closed_at not set */
	STORE_STATE_CLOSED, /* closed_at set */
};

/* Which rows store_read_detections gives; a zeroed filter gives every row by id. */
struct store_filter {
	bool has_since, has_until;
	int64_t since; /* rows active at or after: last_seen >= since (µs) */
	int64_t until; /* rows begun at or before: first_seen <= until (µs) */
	bool has_kind;
	enum sw_kind kind;
	const char *rule_id; /* NULL: any */
	bool has_src;
	struct sw_cidr src;   /* the source inside; "*" (many sources) is in no block */
	uint8_t min_severity; /* enum sw_severity; 0: any */
	enum store_state state;
	int64_t run_id; /* 0: every run */
	/*
	 * The follow cursor: only rows with an id above it. A caller that keeps the largest id
	 * it was given and reads again with it gets the rows written since, each once.
	 */
	int64_t after_id;
	uint64_t limit; /* 0: no limit; else at most the first limit rows in this order */
	enum store_order order;
	/* Rows whose scanner learned of exposed_host (any service of it, or only exposed_port
	 * when that is >= 0: a TCP, UDP or SCTP port that answered). A file older than the
	 * exposure table (schema 6) has no such rows. */
	bool has_exposed;
	struct sw_addr exposed_host;
	int32_t exposed_port;
	const char *campaign; /* NULL: any; else rows of that campaign only */
};

/*
 * Calls fn for each detection f selects, in f's order, with a row borrowed for the call. fn
 * returns 0 to go on, anything else to stop. Each call is one read transaction, ended before
 * it returns (so a writer can checkpoint while the caller works). Returns 0 when every row was
 * given, fn's value when fn stopped the walk, or -1 with a message in err on a database error.
 * Rows that cannot be read as a record (an unknown kind, an address or array that does not
 * parse: the work of another tool) are skipped and counted, see store_read_skipped.
 */
int store_read_detections(struct store_reader *r, const struct store_filter *f,
                          int (*fn)(void *ctx, const struct store_row *row), void *ctx, char *err,
                          size_t errlen);
/*
 * Calls fn for each evidence packet of detection row id (store_row.id), in capture time order
 * (a handshake's answer is noted with its outcome, after packets it came before), with the
 * packet borrowed for the call: those of 009's evidence table (a row a packet, written by
 * builds before 010), then those of 010's evidence_pcapng blobs. A database from before the
 * evidence table has none. Rows whose numbers do not fit a packet header (caplen not the
 * data's size, a fraction past a second: the work of another tool) and blobs that are not
 * the pcapng they should be (from the first block that cannot be read) are skipped and
 * counted as store_read_detections does. Returns as store_read_detections.
 */
int store_read_evidence(struct store_reader *r, int64_t id,
                        int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx, char *err,
                        size_t errlen);
/* Rows skipped so far, and why the first one was (NULL when none was). */
uint64_t store_read_skipped(const struct store_reader *r, const char **first_reason);

/* One runs row: what store_run_begin and store_run_finish wrote. */
struct store_run {
	int64_t id;
	const char *input;  /* the file list or interface */
	const char *config; /* where the rules came from; NULL when not recorded */
	uint64_t started_us;
	/*
	 * false: the run has not finished (still running, or it crashed), and end is all zero.
	 * Counters a later schema added (store_errors, records_dropped, output_errors) read 0
	 * from an older database.
	 */
	bool ended;
	struct store_run_end end;
};

/*
 * Calls fn for run run_id (0: every run), newest first when newest_first, at most limit runs
 * (0: all). Strings in the row are borrowed for the call. Returns as store_read_detections.
 */
int store_read_runs(struct store_reader *r, int64_t run_id, bool newest_first, uint64_t limit,
                    int (*fn)(void *ctx, const struct store_run *run), void *ctx, char *err,
                    size_t errlen);

/*
 * Calls fn for each statistics row of run run_id (0: every run), by run then time, with the
 * row borrowed for the call. A database from before the stats table (schema 1) has none.
 * Returns as store_read_detections.
 */
int store_read_stats(struct store_reader *r, int64_t run_id,
                     int (*fn)(void *ctx, int64_t run_id, const struct store_stats *st), void *ctx,
                     char *err, size_t errlen);

/*
 * Several databases read as one (a fleet's stores, issue 19): paths are files, or directories
 * whose "*.db" files are taken in name order. Each is opened as store_read_open does; the
 * first that fails fails the set (NULL, err names it). The caller closes the set.
 */
struct store_set;
struct store_set *store_set_open(const char *const *paths, size_t n, char *err, size_t errlen);
size_t store_set_count(const struct store_set *s);
/* The i-th file and its reader (owned by the set); NULL past the end. */
const char *store_set_path(const struct store_set *s, size_t i);
struct store_reader *store_set_reader(const struct store_set *s, size_t i);
void store_set_close(struct store_set *s);
/* Rows collected from a reader: store_rows_push is a store_read_detections callback (ctx: a
 * zeroed struct store_rows) that appends a copy of each row; free(v) when done. */
struct store_rows {
	struct store_row *v;
	size_t n, cap;
	bool oom; /* a push failed: the rows are incomplete */
};
int store_rows_push(void *ctx, const struct store_row *row);

/*
 * store_read_detections over every file, merged into one timeline: by first_seen, then file,
 * then row id; row->file says which file. f applies to each file (after_ids, when not NULL,
 * gives each file its own after_id, for --follow); with f->limit each file gives its newest
 * rows and the set keeps the latest limit of the timeline. Returns as store_read_detections,
 * err naming the file that failed.
 */
int store_set_read_detections(struct store_set *s, const struct store_filter *f,
                              const int64_t *after_ids,
                              int (*fn)(void *ctx, const struct store_row *row), void *ctx,
                              char *err, size_t errlen);

/*
 * One cross-sensor group of a central store (schema 008, the rule in README.md): a scanner
 * source address recorded by two or more sensors. Strings are borrowed for the call.
 */
struct store_cross {
	const char *src;        /* the source address */
	uint64_t sensors;       /* distinct sensors */
	const char *sensor_ids; /* their ids, comma-separated */
	uint64_t detections;    /* its detections across them */
	uint64_t first_seen, last_seen;
};
/* Calls fn for each group, first probe first; a database older than schema 8 has none.
 * Returns as store_read_detections. */
int store_read_cross_sensor(struct store_reader *r,
                            int (*fn)(void *ctx, const struct store_cross *g), void *ctx, char *err,
                            size_t errlen);

#endif
