/* report_private.h — what report.c (input, analysis, arguments), report_svg.c (the timeline) and
 * report_html.c (tables, page) share; not a contract between modules (that is
 * include/scanwatch/report.h). */
#ifndef SCANWATCH_REPORT_PRIVATE_H
#define SCANWATCH_REPORT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwatch/detection.h"

/*
 * Bounds on what one page holds. A database of a sensor that ran for months
 * (or a hostile one) can hold far more than a browser renders comfortably;
 * the page says when it shows less than everything.
 */
/* Detections read at most; about 1 KiB each in memory, so 250k stay under 300 MB. */
#define REPORT_MAX_DETECTIONS 250000
/* Timeline rows (sources) drawn; past a few hundred an SVG is unreadable anyway. */
#define REPORT_MAX_ROWS 400
/* Rows of the evidence table. */
#define REPORT_MAX_TABLE 5000
/* Entries of the "top scanners" and "most-probed ports" tables. */
#define REPORT_TOP_N 15
/* Overlapping detections of one source are drawn in up to this many lanes of its row. */
#define REPORT_MAX_LANES 6
/* The "revealed to whom" matrix: at most this many hosts (rows) and ports (columns). */
#define REPORT_MATRIX_HOSTS 60
#define REPORT_MATRIX_PORTS 24
/* Longest text kept from one field; longer values are cut. */
#define REPORT_FIELD_MAX 4096

/* One detection as the page shows it; strings are owned (NULL: absent). */
struct rdet {
	int64_t run_id, seq;
	char *rule_id, *rule_name, *kind, *severity, *src, *target, *tool, *campaign;
	char *tags, *targets, *sources; /* lists joined with ", " */
	char *sensor;   /* the sensor that recorded it (schema 008); NULL: unknown */
	char **reasons; /* the evidence, a reason's words each */
	unsigned nreasons;
	int kind_idx; /* enum sw_kind, or -1 when unknown */
	int proto;
	uint64_t first_seen, opened_at, last_seen, closed_at; /* closed_at 0: still open */
	uint64_t probes, distinct_targets, distinct_ports;
	uint16_t ports[DET_SAMPLE_PORTS];
	unsigned nports;
	unsigned lane;               /* timeline lane inside its source's row */
	struct det_exposed *exposed; /* what the scanner learned (owned; NULL: nothing) */
	unsigned nexposed;
	uint64_t unlisted; /* answers past the record's list */
};

/* One timeline row: the detections of one source, contiguous in the sorted index. */
struct rsrc {
	const char *src;
	size_t first_idx, ndet; /* into report.order */
	uint64_t t_first, t_last, probes;
	unsigned lanes;
	uint32_t kinds; /* bit per enum sw_kind */
};

struct report {
	struct rdet *d;
	size_t n, cap;
	bool truncated;   /* more detections existed than REPORT_MAX_DETECTIONS */
	uint64_t skipped; /* database rows that are no detection this build can read */
	bool oom;
	size_t *order; /* detections by (source, first_seen) */
	struct rsrc *srcs;
	size_t nsrcs;
	/* Where the data came from, for the header. */
	char origin[1024];
	char runs_text[256];
};

/* --- report.c ------------------------------------------------------------------------------ */

/* When a detection's bar ends: its close, or its last probe while open (never before its
 * start). */
uint64_t report_det_end(const struct rdet *d);

/* --- report_svg.c -------------------------------------------------------------------------- */

/* The timeline section: one row a source (the first REPORT_MAX_ROWS), a bar a detection. */
void report_svg_timeline(FILE *f, const struct report *r);

/* --- report_html.c ------------------------------------------------------------------------- */

/*
 * Text from the data, escaped for HTML text and attribute values alike; control characters
 * become U+FFFD. NULL writes nothing.
 */
void report_html_esc(FILE *f, const char *s);
/* "2024-05-01 12:00:00.123" (UTC) into buf; "?" for a time gmtime cannot represent. */
const char *report_html_time(uint64_t us, char buf[40]);
/* "850 ms", "12.4 s", "3 min 20 s", "2 h 5 min", "3 d 4 h" into buf. */
const char *report_html_dur(uint64_t us, char buf[40]);
/* The colour of kind idx (enum sw_kind; -1 or out of range: unknown). */
const char *report_html_kind_color(int idx);
/*
 * Writes the page of r to path ("-": standard output) through a temporary file renamed into
 * place, so a failure never leaves half a page. 0, or -1 with a message in err.
 */
int report_html_write(const char *path, const struct report *r, const char *title, char *err,
                      size_t errlen);

#endif
