/* query.c — `scanwatch query`: filters the detections table and prints it as a table, JSON lines or
 * CSV. */
#include "scanwatch/query.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/addr.h"
#include "scanwatch/cli.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detection.h"
#include "scanwatch/json.h"
#include "scanwatch/output.h"

/*
 * How long a read waits for the sensor's write transaction to finish. In
 * WAL mode readers are not blocked by a writer at all; the wait only covers
 * a checkpoint or a schema migration holding an exclusive lock.
 */
#define QUERY_BUSY_TIMEOUT_MS 5000
/* --follow polls for new rows this often: fast enough to feel live, a cheap indexed query
 * (id > last) four times a second. */
#define QUERY_FOLLOW_MS 250
/* One JSON line: the widest row (evidence escaped at up to 6 bytes a byte) fits easily. */
#define QUERY_LINE_MAX 32768

enum col_type {
	COL_INT,  /* integer, printed as a number */
	COL_TEXT, /* text */
	COL_TIME, /* microseconds since the epoch, printed as ISO 8601 UTC */
	COL_LIST, /* a JSON array of numbers or strings, as the store writes it */
};

/* Every column of the detections table (schema/001_init.sql), in this order in the SELECT. */
static const struct {
	const char *name;
	enum col_type type;
} cols[] = {
    {"id", COL_INT},
    {"run_id", COL_INT},
    {"seq", COL_INT},
    {"rule_id", COL_TEXT},
    {"rule_name", COL_TEXT},
    {"kind", COL_TEXT},
    {"severity", COL_TEXT},
    {"src_ip", COL_TEXT},
    {"target_ip", COL_TEXT},
    {"proto", COL_INT},
    {"first_seen", COL_TIME},
    {"opened_at", COL_TIME},
    {"last_seen", COL_TIME},
    {"closed_at", COL_TIME},
    {"probes", COL_INT},
    {"probes_at_open", COL_INT},
    {"distinct_targets", COL_INT},
    {"distinct_ports", COL_INT},
    {"sample_ports", COL_LIST},
    {"sample_targets", COL_LIST},
    {"sample_sources", COL_LIST},
    {"tags", COL_LIST},
    {"tool", COL_TEXT},
    {"campaign", COL_TEXT},
    {"evidence", COL_TEXT},
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))

enum {
	C_ID,
	C_RUN,
	C_SEQ,
	C_RULE,
	C_RULE_NAME,
	C_KIND,
	C_SEV,
	C_SRC,
	C_TARGET,
	C_PROTO,
	C_FIRST,
	C_OPENED,
	C_LAST,
	C_CLOSED,
	C_PROBES,
	C_PROBES_OPEN,
	C_TARGETS,
	C_PORTS,
	C_SPORTS,
	C_STARGETS,
	C_SSOURCES,
	C_TAGS,
	C_TOOL,
	C_CAMPAIGN,
	C_EVIDENCE
};

/* One row: each column as text (NULL for SQL NULL), owned by the row. */
struct row {
	char *v[NCOLS];
};

enum fmt { FMT_TABLE, FMT_JSONL, FMT_CSV };

struct query {
	const char *db_path;
	bool has_since, has_until, has_src, has_kind, open_only, closed_only, follow;
	int64_t since, until;
	struct sw_cidr src;
	const char *kind, *rule;
	int min_sev; /* 0: any */
	enum fmt fmt;
	uint64_t limit; /* 0: no limit */
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t last_id;
	/* Table layout, fixed by the first rows printed (so --follow keeps its columns). */
	size_t width[16];
	bool header_done;
	char line[QUERY_LINE_MAX];
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: scanwatch query [--db PATH] [--since T] [--until T] [--src CIDR]\n"
	    "                       [--kind KIND] [--rule ID] [--min-severity SEV]\n"
	    "                       [--open|--closed] [--format table|jsonl|csv]\n"
	    "                       [--limit N] [--follow]\n"
	    "\n"
	    "Prints the detections stored in the database, oldest first.\n"
	    "\n"
	    "  --db PATH            database (default %s)\n"
	    "  --since T            detections active at or after T: a time ago (30s, 15m,\n"
	    "                       2h, 7d, 1w) or ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z,\n"
	    "                       ...+02:00; UTC when no offset is given)\n"
	    "  --until T            detections that began at or before T\n"
	    "  --src CIDR           source address inside CIDR (198.18.0.0/15, 2001:2::/48)\n"
	    "  --kind KIND          one kind (syn_scan, udp_scan, icmp_sweep, ...)\n"
	    "  --rule ID            one rule id\n"
	    "  --min-severity SEV   low, medium, high or critical and above\n"
	    "  --open, --closed     only detections still open / already closed\n"
	    "  --format F           table (default), jsonl (one JSON object a line) or csv\n"
	    "                       (RFC 4180)\n"
	    "  --limit N            only the N most recent matching detections\n"
	    "  --follow             then keep printing new detections as they are stored,\n"
	    "                       until interrupted\n",
	    SW_DEFAULT_DB);
}

/* --- time arguments --------------------------------------------------------------------- */

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/*
 * ISO 8601 extended format (the RFC 3339 profile and its relaxations):
 * YYYY-MM-DD, then optionally [T or space]HH:MM[:SS[.fraction]], then
 * optionally Z or +HH:MM / -HH:MM / +HHMM. No offset means UTC, the time
 * the database keeps.
 */
static int parse_iso(const char *s, int64_t *out_us)
{
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, us = 0, off = 0;
	const char *p = s;
	time_t t;

	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 || *p++ != '-' ||
	    digits(&p, 2, &d) < 0)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) < 0)
				return -1;
			if (*p == '.' || *p == ',') {
				int scale = 100000;

				p++;
				if (*p < '0' || *p > '9')
					return -1;
				for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
					us += (*p - '0') * scale; /* digits past µs add 0 */
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (digits(&p, 2, &oh) < 0)
				return -1;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d) /* timegm normalised a 31 April: reject */
		return -1;
	*out_us = ((int64_t)t - off) * 1000000 + us;
	return 0;
}

/* "2h" and friends: that long before now (wall clock). */
static int parse_ago(const char *s, int64_t *out_us)
{
	char *end;
	unsigned long long n;
	int64_t unit;
	struct timespec now;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-' || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -1;
	}
	if (n > (unsigned long long)(INT64_MAX / 1000000 / unit))
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	*out_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - (int64_t)n * unit * 1000000;
	return 0;
}

static int parse_when(const char *s, int64_t *out_us)
{
	return parse_ago(s, out_us) == 0 || parse_iso(s, out_us) == 0 ? 0 : -1;
}

/* --- arguments -------------------------------------------------------------------------- */

static int parse_args(int argc, char **argv, struct query *q)
{
	enum {
		O_DB = 256,
		O_SINCE,
		O_UNTIL,
		O_SRC,
		O_KIND,
		O_RULE,
		O_SEV,
		O_OPEN,
		O_CLOSED,
		O_FORMAT,
		O_LIMIT,
		O_FOLLOW
	};
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, O_DB},
	    {"since", required_argument, NULL, O_SINCE},
	    {"until", required_argument, NULL, O_UNTIL},
	    {"src", required_argument, NULL, O_SRC},
	    {"kind", required_argument, NULL, O_KIND},
	    {"rule", required_argument, NULL, O_RULE},
	    {"min-severity", required_argument, NULL, O_SEV},
	    {"open", no_argument, NULL, O_OPEN},
	    {"closed", no_argument, NULL, O_CLOSED},
	    {"format", required_argument, NULL, O_FORMAT},
	    {"limit", required_argument, NULL, O_LIMIT},
	    {"follow", no_argument, NULL, O_FOLLOW},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	q->db_path = SW_DEFAULT_DB;
	optind = 0; /* glibc: rescan from argv[1] even if main already ran getopt */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			q->db_path = optarg;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (parse_when(optarg, c == O_SINCE ? &q->since : &q->until) < 0) {
				fprintf(stderr,
				        "scanwatch query: %s: '%s' is neither a time ago (2h, 30m, "
				        "7d) nor an ISO 8601 time (2026-01-31T12:00:00Z)\n",
				        c == O_SINCE ? "--since" : "--until", optarg);
				return -1;
			}
			if (c == O_SINCE)
				q->has_since = true;
			else
				q->has_until = true;
			break;
		case O_SRC:
			if (addr_cidr_parse(optarg, &q->src) < 0) {
				fprintf(stderr,
				        "scanwatch query: --src: '%s' is not an address or CIDR "
				        "block\n",
				        optarg);
				return -1;
			}
			q->has_src = true;
			break;
		case O_KIND: {
			enum sw_kind k;

			if (detection_kind_parse(optarg, &k) < 0) {
				fprintf(stderr, "scanwatch query: --kind: unknown kind '%s'\n",
				        optarg);
				return -1;
			}
			q->kind = optarg;
			break;
		}
		case O_RULE:
			q->rule = optarg;
			break;
		case O_SEV: {
			enum sw_severity s;

			if (detection_severity_parse(optarg, &s) < 0) {
				fprintf(stderr,
				        "scanwatch query: --min-severity: '%s' is not low, medium, "
				        "high or critical\n",
				        optarg);
				return -1;
			}
			q->min_sev = (int)s;
			break;
		}
		case O_OPEN:
			q->open_only = true;
			break;
		case O_CLOSED:
			q->closed_only = true;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0) {
				q->fmt = FMT_TABLE;
			} else if (strcmp(optarg, "jsonl") == 0) {
				q->fmt = FMT_JSONL;
			} else if (strcmp(optarg, "csv") == 0) {
				q->fmt = FMT_CSV;
			} else {
				fprintf(stderr,
				        "scanwatch query: --format: '%s' is not table, jsonl or "
				        "csv\n",
				        optarg);
				return -1;
			}
			break;
		case O_LIMIT: {
			char *end;

			errno = 0;
			q->limit = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    q->limit == 0) {
				fprintf(stderr,
				        "scanwatch query: --limit: '%s' is not a positive number\n",
				        optarg);
				return -1;
			}
			break;
		}
		case O_FOLLOW:
			q->follow = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (cli_no_operands("scanwatch query", argc, argv, optind) < 0)
		return -1;
	if (q->open_only && q->closed_only) {
		fprintf(stderr, "scanwatch query: --open and --closed exclude each other\n");
		return -1;
	}
	return 0;
}

/* --- the query -------------------------------------------------------------------------- */

/*
 * Builds the statement. Every user value is a bound parameter, never spliced
 * into the SQL. The source CIDR is checked in C (src_ip is canonical text,
 * and a text range cannot express a CIDR block). Parameters: ?1 since, ?2
 * until, ?3 kind, ?4 rule, ?5 minimum severity rank, ?6 the id rows must
 * exceed (--follow).
 */
static int prepare(struct query *q, bool newest_first)
{
	char sql[2048];
	size_t n = 0;
	int rc;

	n += (size_t)snprintf(sql + n, sizeof(sql) - n, "SELECT ");
	for (size_t i = 0; i < NCOLS; i++)
		n +=
		    (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s", i ? ", " : "", cols[i].name);
	n += (size_t)snprintf(
	    sql + n, sizeof(sql) - n,
	    " FROM detections WHERE id > ?6"
	    " AND (?1 IS NULL OR last_seen >= ?1)"
	    " AND (?2 IS NULL OR first_seen <= ?2)"
	    " AND (?3 IS NULL OR kind = ?3)"
	    " AND (?4 IS NULL OR rule_id = ?4)"
	    " AND (?5 IS NULL OR (CASE severity WHEN 'low' THEN 1 WHEN 'medium' THEN 2"
	    " WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE 0 END) >= ?5)"
	    "%s ORDER BY id %s",
	    q->open_only     ? " AND closed_at IS NULL"
	    : q->closed_only ? " AND closed_at IS NOT NULL"
	                     : "",
	    newest_first ? "DESC" : "ASC");
	if (n >= sizeof(sql))
		return -1;
	if (q->stmt != NULL)
		sqlite3_finalize(q->stmt);
	q->stmt = NULL;
	rc = sqlite3_prepare_v2(q->db, sql, -1, &q->stmt, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "scanwatch query: %s: %s\n", q->db_path, sqlite3_errmsg(q->db));
		return -1;
	}
	if (q->has_since)
		sqlite3_bind_int64(q->stmt, 1, q->since);
	if (q->has_until)
		sqlite3_bind_int64(q->stmt, 2, q->until);
	if (q->kind != NULL)
		sqlite3_bind_text(q->stmt, 3, q->kind, -1, SQLITE_STATIC);
	if (q->rule != NULL)
		sqlite3_bind_text(q->stmt, 4, q->rule, -1, SQLITE_STATIC);
	if (q->min_sev > 0)
		sqlite3_bind_int(q->stmt, 5, q->min_sev);
	return 0;
}

static void row_free(struct row *r)
{
	for (size_t i = 0; i < NCOLS; i++)
		free(r->v[i]);
	memset(r, 0, sizeof(*r));
}

/* Copies the current result row; -1 on allocation failure (r freed). */
static int row_load(sqlite3_stmt *st, struct row *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < NCOLS; i++) {
		const unsigned char *t;

		if (sqlite3_column_type(st, (int)i) == SQLITE_NULL)
			continue;
		t = sqlite3_column_text(st, (int)i);
		r->v[i] = strdup(t ? (const char *)t : "");
		if (r->v[i] == NULL) {
			row_free(r);
			return -1;
		}
	}
	return 0;
}

static bool row_matches(const struct query *q, const struct row *r)
{
	struct sw_addr a;

	if (!q->has_src)
		return true;
	/* '*' (many spoofed sources) has no address, so it is in no block. */
	return r->v[C_SRC] != NULL && addr_parse(r->v[C_SRC], &a) == 0 &&
	       addr_cidr_contains(&q->src, &a);
}

/* --- output ----------------------------------------------------------------------------- */

static const char *time_text(const char *v, char buf[OUTPUT_TIME_MAX])
{
	char *end;
	unsigned long long us;

	errno = 0;
	us = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return v;
	return output_format_time(buf, us);
}

/*
 * A stored JSON array (numbers, or strings without escapes as the store
 * writes them) re-emitted element by element; anything else is kept as a
 * string so no data is lost.
 */
static void json_list(struct json_writer *w, const char *v)
{
	const char *p = v;
	struct json_writer save = *w;

	while (*p == ' ')
		p++;
	if (*p++ != '[')
		goto as_string;
	json_array_begin(w);
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == ']')
			break;
		if (*p == '"') {
			const char *e = strchr(p + 1, '"');

			if (e == NULL || memchr(p + 1, '\\', (size_t)(e - p - 1)) != NULL)
				goto restore;
			json_string_n(w, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (*p >= '0' && *p <= '9') {
			char *e;
			unsigned long long n = strtoull(p, &e, 10);

			json_uint(w, n);
			p = e;
		} else {
			goto restore;
		}
	}
	json_array_end(w);
	return;
restore:
	/* Undo the partial array: the writer state is plain data, the bytes past it unused. */
	*w = save;
	w->buf[w->len] = '\0';
as_string:
	json_string(w, v);
}

static int print_jsonl(struct query *q, const struct row *r)
{
	struct json_writer w;
	char t[OUTPUT_TIME_MAX];
	int n;

	json_init(&w, q->line, sizeof(q->line));
	json_object_begin(&w);
	for (size_t i = 0; i < NCOLS; i++) {
		const char *v = r->v[i];

		json_key(&w, cols[i].name);
		if (v == NULL) {
			json_null(&w);
			continue;
		}
		switch (cols[i].type) {
		case COL_INT: {
			char *end;
			long long x = strtoll(v, &end, 10);

			if (*end == '\0' && end != v)
				json_int(&w, x);
			else
				json_string(&w, v);
			break;
		}
		case COL_TEXT:
			json_string(&w, v);
			break;
		case COL_TIME:
			json_string(&w, time_text(v, t));
			break;
		case COL_LIST:
			json_list(&w, v);
			break;
		}
	}
	json_object_end(&w);
	n = json_finish(&w);
	if (n < 0)
		return -1;
	puts(q->line);
	return 0;
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_field(const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

static void print_csv_header(void)
{
	for (size_t i = 0; i < NCOLS; i++) {
		if (i > 0)
			putchar(',');
		fputs(cols[i].name, stdout);
	}
	fputs("\r\n", stdout); /* RFC 4180 section 2: records end with CRLF */
}

static void print_csv(const struct row *r)
{
	char t[OUTPUT_TIME_MAX];

	for (size_t i = 0; i < NCOLS; i++) {
		if (i > 0)
			putchar(',');
		if (cols[i].type == COL_TIME && r->v[i] != NULL)
			csv_field(time_text(r->v[i], t));
		else
			csv_field(r->v[i]);
	}
	fputs("\r\n", stdout);
}

/* The table: a readable subset, one detection a line. */
enum {
	T_ID,
	T_OPENED,
	T_STATE,
	T_KIND,
	T_SEV,
	T_SRC,
	T_TARGET,
	T_PROBES,
	T_PORTS,
	T_HOSTS,
	T_TOOL,
	T_RULE,
	T__N
};

static const char *const table_heads[T__N] = {
    "ID",     "OPENED (UTC)", "STATE", "KIND",  "SEVERITY", "SOURCE",
    "TARGET", "PROBES",       "PORTS", "HOSTS", "TOOL",     "RULE",
};

/* Numbers align right, text left. */
static const bool table_right[T__N] = {
    [T_ID] = true,
    [T_PROBES] = true,
    [T_PORTS] = true,
    [T_HOSTS] = true,
};

/* Cells of one row, in a caller buffer; control bytes masked (they come from the DB). */
static void table_cells(const struct row *r, char cells[T__N][128])
{
	char t[OUTPUT_TIME_MAX];
	const char *src[T__N] = {
	    r->v[C_ID],
	    NULL,
	    r->v[C_CLOSED] ? "closed" : "open",
	    r->v[C_KIND],
	    r->v[C_SEV],
	    r->v[C_SRC],
	    r->v[C_TARGET] ? r->v[C_TARGET] : "-",
	    r->v[C_PROBES],
	    r->v[C_PORTS],
	    r->v[C_TARGETS],
	    r->v[C_TOOL] && r->v[C_TOOL][0] ? r->v[C_TOOL] : "-",
	    r->v[C_RULE],
	};

	/* Seconds are enough to read; jsonl and csv carry the microseconds. */
	if (r->v[C_OPENED] != NULL) {
		time_text(r->v[C_OPENED], t);
		if (strlen(t) > 19 && t[10] == 'T') {
			t[10] = ' ';
			t[19] = '\0';
		}
		src[T_OPENED] = t;
	}
	for (size_t i = 0; i < T__N; i++) {
		snprintf(cells[i], 128, "%s", src[i] ? src[i] : "-");
		for (char *p = cells[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				*p = '?';
	}
}

static void table_widen(struct query *q, const struct row *r)
{
	char cells[T__N][128];

	table_cells(r, cells);
	for (size_t i = 0; i < T__N; i++)
		if (strlen(cells[i]) > q->width[i])
			q->width[i] = strlen(cells[i]);
}

static void table_line(const struct query *q, const char *const *cells)
{
	for (size_t i = 0; i < T__N; i++) {
		int w = (int)q->width[i];

		if (i + 1 == T__N) /* no trailing blanks after the last column */
			printf("%s\n", cells[i]);
		else if (table_right[i])
			printf("%*s  ", w, cells[i]);
		else
			printf("%-*s  ", w, cells[i]);
	}
}

static void table_header(struct query *q)
{
	if (q->header_done)
		return;
	for (size_t i = 0; i < T__N; i++)
		if (strlen(table_heads[i]) > q->width[i])
			q->width[i] = strlen(table_heads[i]);
	table_line(q, table_heads);
	q->header_done = true;
}

static void print_table_row(struct query *q, const struct row *r)
{
	char cells[T__N][128];
	const char *p[T__N];

	table_cells(r, cells);
	for (size_t i = 0; i < T__N; i++)
		p[i] = cells[i];
	table_line(q, p);
}

static int print_row(struct query *q, const struct row *r)
{
	int64_t id = strtoll(r->v[C_ID] ? r->v[C_ID] : "0", NULL, 10);

	if (id > q->last_id)
		q->last_id = id;
	switch (q->fmt) {
	case FMT_TABLE:
		print_table_row(q, r);
		return 0;
	case FMT_JSONL:
		return print_jsonl(q, r);
	case FMT_CSV:
		print_csv(r);
		return 0;
	}
	return 0;
}

/* --- running ---------------------------------------------------------------------------- */

struct rows {
	struct row *v;
	size_t n, cap;
};

static int rows_push(struct rows *rs, struct row *r)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct row *v = realloc(rs->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *r;
	return 0;
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		row_free(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

/*
 * Collects matching rows with id > after: all of them, or the newest
 * q->limit (then read newest first and reversed). Returns 0 or -1.
 */
static int collect(struct query *q, int64_t after, uint64_t limit, struct rows *rs)
{
	int rc;

	if (prepare(q, limit > 0) < 0)
		return -1;
	sqlite3_bind_int64(q->stmt, 6, after);
	while ((rc = sqlite3_step(q->stmt)) == SQLITE_ROW) {
		struct row r;

		if (row_load(q->stmt, &r) < 0) {
			fprintf(stderr, "scanwatch query: out of memory\n");
			return -1;
		}
		if (!row_matches(q, &r)) {
			row_free(&r);
			continue;
		}
		if (rows_push(rs, &r) < 0) {
			row_free(&r);
			fprintf(stderr, "scanwatch query: out of memory\n");
			return -1;
		}
		if (limit > 0 && rs->n == limit)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fprintf(stderr, "scanwatch query: %s: %s\n", q->db_path, sqlite3_errmsg(q->db));
		return -1;
	}
	sqlite3_reset(q->stmt); /* ends the read transaction: the writer may checkpoint */
	if (limit > 0)
		for (size_t i = 0, j = rs->n ? rs->n - 1 : 0; i < j; i++, j--) {
			struct row t = rs->v[i];

			rs->v[i] = rs->v[j];
			rs->v[j] = t;
		}
	return 0;
}

static int print_rows(struct query *q, struct rows *rs)
{
	if (q->fmt == FMT_TABLE && !q->header_done) {
		for (size_t i = 0; i < rs->n; i++)
			table_widen(q, &rs->v[i]);
		table_header(q);
	}
	for (size_t i = 0; i < rs->n; i++)
		if (print_row(q, &rs->v[i]) < 0) {
			fprintf(stderr, "scanwatch query: row %s too long to print\n",
			        rs->v[i].v[C_ID] ? rs->v[i].v[C_ID] : "?");
			return -1;
		}
	fflush(stdout);
	return 0;
}

static int follow(struct query *q)
{
	struct sigaction sa;
	struct timespec ts = {QUERY_FOLLOW_MS / 1000, (QUERY_FOLLOW_MS % 1000) * 1000000L};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_requested) {
		struct rows rs = {0};
		int rc;

		nanosleep(&ts, NULL);
		if (stop_requested)
			break;
		/* Only rows the writer has committed are visible: WAL readers see whole
		 * transactions, never half a batch. */
		rc = collect(q, q->last_id, 0, &rs);
		if (rc == 0)
			rc = print_rows(q, &rs);
		rows_free(&rs);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int query_main(int argc, char **argv)
{
	struct query *q = calloc(1, sizeof(*q));
	struct rows rs = {0};
	int status = 1, rc;

	if (q == NULL) {
		fprintf(stderr, "scanwatch query: out of memory\n");
		return 1;
	}
	if (parse_args(argc, argv, q) < 0) {
		status = 2;
		goto out;
	}
	/* Read-only: the query never takes a write lock the sensor would wait for. */
	rc = sqlite3_open_v2(q->db_path, &q->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "scanwatch query: %s: %s\n", q->db_path,
		        q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(q->db, QUERY_BUSY_TIMEOUT_MS);
	if (q->fmt == FMT_CSV)
		print_csv_header();
	if (collect(q, 0, q->limit, &rs) < 0 || print_rows(q, &rs) < 0)
		goto out;
	if (q->follow && follow(q) < 0)
		goto out;
	status = 0;
out:
	rows_free(&rs);
	if (q->stmt != NULL)
		sqlite3_finalize(q->stmt);
	if (q->db != NULL)
		sqlite3_close(q->db);
	free(q);
	return status;
}
