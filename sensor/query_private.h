/* query_private.h — what query.c (arguments, reading, --follow) and query_format.c (the printed
 * forms) share; not a contract between modules (that is include/scanwatch/query.h). */
#ifndef SCANWATCH_QUERY_PRIVATE_H
#define SCANWATCH_QUERY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "scanwatch/store.h"

/* One JSON line: the widest row (evidence and reasons escaped at up to 6 bytes a byte, about
 * 26 KiB) fits. */
#define QUERY_LINE_MAX 65536
/* Columns of the table format (a readable subset of the row). */
#define QUERY_TABLE_COLS 14

enum query_fmt { QUERY_TABLE, QUERY_JSONL, QUERY_CSV };

/* Printing state: the format, and the table's layout, fixed by the first rows printed (so
 * --follow keeps its columns). Zeroed but for fmt before the first row. */
struct query_out {
	enum query_fmt fmt;
	size_t width[QUERY_TABLE_COLS];
	bool header_done;
	char line[QUERY_LINE_MAX];
};

/*
 * Prints rows in o's format on stdout: with the table header first when none was printed yet
 * (its widths fitted to these rows). 0, or -1 with a
 * message on stderr.
 */
int query_format_rows(struct query_out *o, const struct store_row *rows, size_t n);
/* The CSV header line (RFC 4180 records end with CRLF). */
void query_format_csv_header(void);

#endif
