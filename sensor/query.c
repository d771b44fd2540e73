/* query.c — `scanwatch query`: reads the detections the store selects and prints them (formats in
 * query_format.c), then follows new ones. */
#include "scanwatch/query.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "query_private.h"
#include "scanwatch/addr.h"
#include "scanwatch/cli.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detection.h"
#include "scanwatch/output.h"
#include "scanwatch/store.h"

/* --follow polls for new rows this often: fast enough to feel live, a cheap indexed query
 * (id > last) four times a second. */
#define QUERY_FOLLOW_MS 250

/* --db given this often at most (a directory counts once, its files are the store's limit). */
#define QUERY_DB_MAX 64

struct query {
	const char *db_paths[QUERY_DB_MAX];
	size_t ndb;
	const char *db_path;        /* the first, for messages about the one database */
	struct store_filter filter; /* what --since ... --limit select */
	bool follow;
	bool cross;                  /* --cross-sensor: the groups, not the detections */
	struct store_set *set;       /* every database; one: read as before, by row id */
	struct store_reader *reader; /* the one database's reader when there is one */
	int64_t last_id;             /* the largest row id printed: --follow's cursor */
	int64_t *last_ids;           /* the same for each file of several */
	uint64_t skipped;            /* rows the store could not read, already reported */
	struct query_out out;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: scanwatch query [--db PATH] [--since T] [--until T] [--src CIDR]\n"
	    "                       [--kind KIND] [--rule ID] [--min-severity SEV]\n"
	    "                       [--open|--closed] [--format table|jsonl|csv]\n"
	    "                       [--exposed HOST[:PORT]] [--campaign ID]\n"
	    "                       [--limit N] [--follow]\n"
	    "       scanwatch query --cross-sensor [--db PATH ...]\n"
	    "\n"
	    "Prints the detections stored in the database, oldest first.\n"
	    "\n"
	    "  --db PATH            database (default %s); repeatable, or a directory of\n"
	    "                       *.db files: several are merged by first probe, with the\n"
	    "                       sensor of each row\n"
	    "  --since T            detections active at or after T: a time ago (30s, 15m,\n"
	    "                       2h, 7d, 1w) or ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z,\n"
	    "                       ...+02:00; UTC when no offset is given)\n"
	    "  --until T            detections that began at or before T\n"
	    "  --src CIDR           source address inside CIDR (198.18.0.0/15, 2001:2::/48)\n"
	    "  --kind KIND          one kind (syn_scan, udp_scan, icmp_sweep, ...)\n"
	    "  --rule ID            one rule id\n"
	    "  --min-severity SEV   low, medium, high or critical and above\n"
	    "  --open, --closed     only detections still open / already closed\n"
	    "  --exposed HOST[:PORT] detections whose scanner learned of HOST (any service or\n"
	    "                       the host alive), or of its open TCP/UDP/SCTP PORT;\n"
	    "                       IPv6 with a port as [2001:2::1]:22\n"
	    "  --campaign ID        the member detections of one campaign\n"
	    "  --format F           table (default), jsonl (one JSON object a line) or csv\n"
	    "                       (RFC 4180)\n"
	    "  --limit N            only the N most recent matching detections\n"
	    "  --cross-sensor       the cross-sensor groups of a central store (scanwatch\n"
	    "                       collect): each scanner address two or more sensors saw\n"
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

/* HOST, HOST:PORT, IPV6 or [IPV6]:PORT into the filter's exposure fields; 0 or -1. */
static int parse_exposed(const char *arg, struct store_filter *f)
{
	char host[ADDR_TEXT_MAX + 2];
	const char *port = NULL, *colon = strchr(arg, ':');
	size_t n;

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		n = (size_t)(end - arg - 1);
		arg++;
		port = end[1] == ':' ? end + 2 : NULL;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		n = (size_t)(colon - arg); /* IPv4:PORT */
		port = colon + 1;
	} else {
		n = strlen(arg); /* an address alone (IPv6 has two colons or more) */
	}
	if (n >= sizeof host)
		return -1;
	memcpy(host, arg, n);
	host[n] = '\0';
	if (addr_parse(host, &f->exposed_host) < 0)
		return -1;
	f->exposed_port = -1;
	if (port != NULL) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);

		if (*port == '\0' || *end != '\0' || v > 65535 || *port < '0' || *port > '9')
			return -1;
		f->exposed_port = (int32_t)v;
	}
	f->has_exposed = true;
	return 0;
}

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
		O_FOLLOW,
		O_EXPOSED,
		O_CAMPAIGN,
		O_CROSS
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
	    {"exposed", required_argument, NULL, O_EXPOSED},
	    {"campaign", required_argument, NULL, O_CAMPAIGN},
	    {"cross-sensor", no_argument, NULL, O_CROSS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 0; /* glibc: rescan from argv[1] even if main already ran getopt */
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_DB:
			if (cli_append("scanwatch query", "databases", q->db_paths, &q->ndb,
			               QUERY_DB_MAX, optarg) < 0)
				return -1;
			break;
		case O_SINCE:
		case O_UNTIL:
			if (parse_when(optarg, c == O_SINCE ? &q->filter.since : &q->filter.until) <
			    0) {
				fprintf(stderr,
				        "scanwatch query: %s: '%s' is neither a time ago (2h, 30m, "
				        "7d) nor an ISO 8601 time (2026-01-31T12:00:00Z)\n",
				        c == O_SINCE ? "--since" : "--until", optarg);
				return -1;
			}
			if (c == O_SINCE)
				q->filter.has_since = true;
			else
				q->filter.has_until = true;
			break;
		case O_SRC:
			if (addr_cidr_parse(optarg, &q->filter.src) < 0) {
				fprintf(stderr,
				        "scanwatch query: --src: '%s' is not an address or CIDR "
				        "block\n",
				        optarg);
				return -1;
			}
			q->filter.has_src = true;
			break;
		case O_KIND: {
			enum sw_kind k;

			if (detection_kind_parse(optarg, &k) < 0) {
				fprintf(stderr, "scanwatch query: --kind: unknown kind '%s'\n",
				        optarg);
				return -1;
			}
			q->filter.has_kind = true;
			q->filter.kind = k;
			break;
		}
		case O_RULE:
			q->filter.rule_id = optarg;
			break;
		case O_EXPOSED:
			if (parse_exposed(optarg, &q->filter) < 0) {
				fprintf(
				    stderr,
				    "scanwatch query: --exposed: '%s' is not HOST, HOST:PORT or "
				    "[IPV6]:PORT\n",
				    optarg);
				return -1;
			}
			break;
		case O_CAMPAIGN:
			q->filter.campaign = optarg;
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
			q->filter.min_severity = (uint8_t)s;
			break;
		}
		case O_OPEN:
		case O_CLOSED:
			if (q->filter.state != STORE_STATE_ANY) {
				fprintf(
				    stderr,
				    "scanwatch query: --open and --closed exclude each other\n");
				return -1;
			}
			q->filter.state = c == O_OPEN ? STORE_STATE_OPEN : STORE_STATE_CLOSED;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "table") == 0) {
				q->out.fmt = QUERY_TABLE;
			} else if (strcmp(optarg, "jsonl") == 0) {
				q->out.fmt = QUERY_JSONL;
			} else if (strcmp(optarg, "csv") == 0) {
				q->out.fmt = QUERY_CSV;
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
			q->filter.limit = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    q->filter.limit == 0) {
				fprintf(stderr,
				        "scanwatch query: --limit: '%s' is not a positive number\n",
				        optarg);
				return -1;
			}
			break;
		}
		case O_CROSS:
			q->cross = true;
			break;
		case O_FOLLOW:
			q->follow = true;
			break;
		default:
			return cli_help_or_usage_error(c, usage);
		}
	}
	if (q->ndb == 0)
		q->db_paths[q->ndb++] = SW_DEFAULT_DB;
	q->db_path = q->db_paths[0];
	/* --limit N: the N most recent, read newest first (collect turns them around). */
	q->filter.order = q->filter.limit > 0 ? STORE_ORDER_ID_DESC : STORE_ORDER_ID;
	return cli_no_operands("scanwatch query", argc, argv, optind);
}

/* --- running ---------------------------------------------------------------------------- */

/* collect() over several files: the set merges them; each file keeps its own follow cursor. */
static int collect_set(struct query *q, const struct store_filter *f, struct store_rows *rs)
{
	char err[512];
	uint64_t skipped = 0;
	const char *why = NULL;
	int rc = store_set_read_detections(q->set, f, f->after_id != 0 ? q->last_ids : NULL,
	                                   store_rows_push, rs, err, sizeof(err));

	if (rs->oom) {
		fprintf(stderr, "scanwatch query: out of memory\n");
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "scanwatch query: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < store_set_count(q->set); i++) {
		const char *w;
		uint64_t k = store_read_skipped(store_set_reader(q->set, i), &w);

		skipped += k;
		if (k > 0 && why == NULL)
			why = w;
	}
	if (skipped > q->skipped) {
		fprintf(stderr,
		        "scanwatch query: %" PRIu64 " row(s) are not detections this scanwatch can "
		        "read, left out (the first: %s)\n",
		        skipped, why);
		q->skipped = skipped;
	}
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].id > q->last_ids[rs->v[i].file])
			q->last_ids[rs->v[i].file] = rs->v[i].id;
	q->last_id = 1; /* non-zero: follow reads each file after its own cursor */
	return 0;
}

/*
 * Collects the rows f selects, all read before any is printed (so the read transaction does
 * not wait on a slow terminal). With a limit the store gives the newest first; they are
 * turned back to oldest first. Returns 0 or -1 (message printed).
 */
static int collect(struct query *q, const struct store_filter *f, struct store_rows *rs)
{
	char err[512];
	const char *why;
	uint64_t skipped;
	int rc;

	if (q->reader == NULL) /* several: one timeline, by first probe (store_read.c) */
		return collect_set(q, f, rs);
	rc = store_read_detections(q->reader, f, store_rows_push, rs, err, sizeof(err));
	if (rs->oom) {
		fprintf(stderr, "scanwatch query: out of memory\n");
		return -1;
	}
	if (rc < 0) {
		fprintf(stderr, "scanwatch query: %s: %s\n", q->db_path, err);
		return -1;
	}
	skipped = store_read_skipped(q->reader, &why);
	if (skipped > q->skipped) {
		fprintf(stderr,
		        "scanwatch query: %s: %" PRIu64 " row(s) are not detections this "
		        "scanwatch can read, left out (the first: %s)\n",
		        q->db_path, skipped, why);
		q->skipped = skipped;
	}
	if (f->order == STORE_ORDER_ID_DESC)
		for (size_t i = 0, j = rs->n ? rs->n - 1 : 0; i < j; i++, j--) {
			struct store_row t = rs->v[i];

			rs->v[i] = rs->v[j];
			rs->v[j] = t;
		}
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].id > q->last_id)
			q->last_id = rs->v[i].id;
	return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* --follow ends at SIGINT or SIGTERM with status 0. Installed before the first answer is read,
 * so an interruption while it is printed ends the run as cleanly as one during the polls. */
static void follow_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int follow(struct query *q)
{
	struct timespec ts = {QUERY_FOLLOW_MS / 1000, (QUERY_FOLLOW_MS % 1000) * 1000000L};
	struct store_filter f = q->filter;

	/* After the first answer: every new matching row, oldest first, each once. */
	f.limit = 0;
	f.order = STORE_ORDER_ID;
	while (!stop_requested) {
		struct store_rows rs = {0};
		int rc;

		nanosleep(&ts, NULL);
		if (stop_requested)
			break;
		/* Only rows the writer has committed are visible: WAL readers see whole
		 * transactions, never half a batch. */
		f.after_id = q->last_id;
		rc = collect(q, &f, &rs);
		if (rc == 0)
			rc = query_format_rows(&q->out, rs.v, rs.n);
		free(rs.v);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* --cross-sensor: one line a group (the rule: README.md, schema/008_sensor.sql). */
static int print_cross(void *ctx, const struct store_cross *g)
{
	char a[OUTPUT_TIME_MAX], b[OUTPUT_TIME_MAX];

	(void)ctx;
	printf("%-39s %7" PRIu64 " %10" PRIu64 "  %s  %s  %s\n", g->src, g->sensors, g->detections,
	       output_format_time(a, g->first_seen), output_format_time(b, g->last_seen),
	       g->sensor_ids);
	return 0;
}

static int cross_sensor(struct query *q)
{
	char err[512];

	printf("%-39s %7s %10s  %-27s  %-27s  %s\n", "SOURCE", "SENSORS", "DETECTIONS",
	       "FIRST PROBE (UTC)", "LAST PROBE (UTC)", "SENSOR IDS");
	for (size_t i = 0; i < store_set_count(q->set); i++)
		if (store_read_cross_sensor(store_set_reader(q->set, i), print_cross, q, err,
		                            sizeof err) < 0) {
			fprintf(stderr, "scanwatch query: %s: %s\n", store_set_path(q->set, i),
			        err);
			return -1;
		}
	return 0;
}

int query_main(int argc, char **argv)
{
	struct query *q = calloc(1, sizeof(*q));
	struct store_rows rs = {0};
	char err[512];
	int status = 1;

	if (q == NULL) {
		fprintf(stderr, "scanwatch query: out of memory\n");
		return 1;
	}
	if (parse_args(argc, argv, q) < 0) {
		status = 2;
		goto out;
	}
	if (q->follow)
		follow_catch_signals();
	q->set = store_set_open(q->db_paths, q->ndb, err, sizeof(err));
	if (q->set == NULL) {
		fprintf(stderr, "scanwatch query: %s\n", err);
		goto out;
	}
	if (store_set_count(q->set) == 1) {
		q->reader = store_set_reader(q->set, 0);
		q->db_path = store_set_path(q->set, 0);
	} else {
		q->last_ids = calloc(store_set_count(q->set), sizeof(*q->last_ids));
		if (q->last_ids == NULL) {
			fprintf(stderr, "scanwatch query: out of memory\n");
			goto out;
		}
	}
	if (q->cross) {
		status = cross_sensor(q) < 0 ? 1 : 0;
		goto out;
	}
	if (q->out.fmt == QUERY_CSV)
		query_format_csv_header();
	if (collect(q, &q->filter, &rs) < 0 || query_format_rows(&q->out, rs.v, rs.n) < 0)
		goto out;
	if (q->follow && follow(q) < 0)
		goto out;
	status = 0;
out:
	free(rs.v);
	store_set_close(q->set); /* closes the one reader too */
	free(q->last_ids);
	free(q);
	return status;
}
