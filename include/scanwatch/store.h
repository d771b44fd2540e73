/* store.h — the SQLite store: schema migrations, runs, detections, batched writes. */
#ifndef SCANWATCH_STORE_H
#define SCANWATCH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"

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
/* Starts a run; returns its id (> 0) or -1. input: the file list or interface. */
int64_t store_run_begin(struct store *s, const char *input, const char *config_origin,
                        uint64_t started_us);
/*
 * Writes n records in one transaction: an OPEN inserts the row, UPDATE and
 * CLOSE update the row with the same (run, seq). 0 or -1 (nothing of the
 * batch is kept then; the message is in store_error()).
 */
int store_write(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n);
int store_run_finish(struct store *s, int64_t run_id, const struct store_run_end *end);
const char *store_error(const struct store *s);
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
/* Longest JSON column: 8 addresses of ADDR_TEXT_MAX plus quotes and commas, or tags
 * (DET_TAGS_MAX bytes, each possibly escaped to 6) as strings. */
#define STORE_JSON_MAX (DET_TAGS_MAX * 6 + 16)
struct store_row_text {
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
	char ports[DET_SAMPLE_PORTS * 6 + 4];
	char targets[STORE_JSON_MAX], sources[STORE_JSON_MAX], tags[STORE_JSON_MAX];
	const char *src_text; /* src, or "*" for many sources */
	int src_len, dst_len; /* dst_len < 0: no single target (NULL) */
	int ports_len, targets_len, sources_len, tags_len;
};
/*
 * Renders d's text columns into t (t->src_text may point at a literal). 0, or -1 when an array
 * does not fit (cannot happen with these sizes). Used by the writer, and by readers that show
 * the table's own form (query --format csv).
 */
int store_row_render(const struct sw_detection *d, struct store_row_text *t);

#endif
