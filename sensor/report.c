/* report.c — `scanwatch report`: the detections of a run as one self-contained HTML page. */
#include "scanwatch/report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/capture.h"
#include "scanwatch/cli.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detection.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/rules.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

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
/* Sample ports kept per detection read from a database (the sensor writes at most 16). */
#define REPORT_PORTS_MAX 64
/* Overlapping detections of one source are drawn in up to this many lanes of its row. */
#define REPORT_MAX_LANES 6
/* Longest text kept from one database field; longer values are cut (and marked). */
#define REPORT_FIELD_MAX 4096
/* The most capture files one report replays (as the sensor's -r). */
#define REPORT_MAX_INPUTS     256
#define REPORT_MAX_RULE_PATHS 64
/* SQLite busy timeout: a live sensor may be committing a batch while we read. */
#define REPORT_BUSY_MS 5000

/* Timeline geometry, in SVG user units (the SVG scales to the page width). */
#define TL_WIDTH   1320.0
#define TL_LABEL_W 200.0 /* left column: the source address */
#define TL_RIGHT   24.0
#define TL_AXIS_H  30.0
#define TL_LANE_H  22.0
#define TL_BAR_H   16.0
#define TL_ROW_PAD 8.0
#define TL_CHAR_W  6.4 /* average glyph width at 11px sans-serif, to fit labels */

/* One detection as the page shows it; strings are owned (NULL: absent). */
struct rdet {
	int64_t run_id, seq;
	char *rule_id, *rule_name, *kind, *severity, *src, *target, *tool, *campaign;
	char *evidence, *tags, *targets, *sources; /* lists joined with ", " */
	int kind_idx;                              /* enum sw_kind, or -1 when unknown */
	int proto;
	uint64_t first_seen, opened_at, last_seen, closed_at; /* closed_at 0: still open */
	uint64_t probes, distinct_targets, distinct_ports;
	uint16_t ports[REPORT_PORTS_MAX];
	unsigned nports;
	unsigned lane; /* timeline lane inside its source's row */
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
	bool truncated; /* more detections existed than REPORT_MAX_DETECTIONS */
	bool oom;
	size_t *order; /* detections by (source, first_seen) */
	struct rsrc *srcs;
	size_t nsrcs;
	/* Where the data came from, for the header. */
	char origin[1024];
	char runs_text[256];
	uint64_t packets; /* replay only */
};

struct report_opts {
	const char *html;
	const char *db;
	const char *inputs[REPORT_MAX_INPUTS];
	size_t ninputs;
	const char *rule_paths[REPORT_MAX_RULE_PATHS];
	size_t nrule_paths;
	const char *title;
	int64_t run; /* 0: latest */
	bool all;
	uint64_t memory_cap;
	uint64_t seed;
};

/* Colours per kind, in DETECTION_KINDS order; dark enough for white labels. */
static const char *const kind_colors[KIND__COUNT] = {
    "#2563eb", /* syn_scan */
    "#0891b2", /* connect_scan */
    "#7c3aed", /* fin_scan */
    "#9333ea", /* null_scan */
    "#c026d3", /* xmas_scan */
    "#db2777", /* maimon_scan */
    "#4f46e5", /* ack_scan */
    "#0d9488", /* window_scan */
    "#ea580c", /* udp_scan */
    "#a16207", /* ip_proto_scan */
    "#16a34a", /* icmp_sweep */
    "#65a30d", /* tcp_sweep */
    "#b45309", /* arp_sweep */
    "#dc2626", /* rst_flood */
    "#991b1b", /* syn_flood */
    "#475569", /* decoy_scan */
    "#be123c", /* distributed_scan */
    "#78716c", /* os_fingerprint */
};
#define UNKNOWN_KIND_COLOR "#6b7280"

static const char *kind_color(int idx)
{
	return idx >= 0 && idx < KIND__COUNT ? kind_colors[idx] : UNKNOWN_KIND_COLOR;
}

/* ---- strings ------------------------------------------------------------ */

/* A copy of at most REPORT_FIELD_MAX bytes of s (NULL stays NULL); sets r->oom on failure. */
static char *sdup(struct report *r, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strnlen(s, REPORT_FIELD_MAX);
	char *p = malloc(n + 1);
	if (!p) {
		r->oom = true;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/*
 * The strings of a JSON array of strings (as the store writes sample_targets,
 * sample_sources and tags), joined with ", ". Lenient: anything that is not a
 * string element is skipped, and escapes other than \" and \\ keep their
 * letter — these columns only ever hold addresses and ATT&CK ids.
 */
static char *json_strings_join(struct report *r, const char *json)
{
	if (!json)
		return NULL;
	size_t len = strnlen(json, REPORT_FIELD_MAX);
	char *out = malloc(len * 2 + 1); /* every 2-byte "" becomes at most ", " */
	if (!out) {
		r->oom = true;
		return NULL;
	}
	size_t o = 0;
	bool first = true;
	for (size_t i = 0; i < len; i++) {
		if (json[i] != '"')
			continue;
		if (!first) {
			out[o++] = ',';
			out[o++] = ' ';
		}
		first = false;
		for (i++; i < len && json[i] != '"'; i++) {
			if (json[i] == '\\' && i + 1 < len)
				i++;
			out[o++] = json[i];
		}
	}
	out[o] = 0;
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* The numbers 0..65535 of a JSON array such as "[22,80,443]". */
static void json_ports(struct rdet *d, const char *json)
{
	d->nports = 0;
	if (!json)
		return;
	size_t len = strnlen(json, REPORT_FIELD_MAX);
	for (size_t i = 0; i < len && d->nports < REPORT_PORTS_MAX;) {
		if (json[i] < '0' || json[i] > '9') {
			i++;
			continue;
		}
		unsigned long v = 0;
		while (i < len && json[i] >= '0' && json[i] <= '9') {
			if (v <= 65535)
				v = v * 10 + (unsigned long)(json[i] - '0');
			i++;
		}
		if (v <= 65535)
			d->ports[d->nports++] = (uint16_t)v;
	}
}

static void rdet_free(struct rdet *d)
{
	char *const s[] = {d->rule_id,  d->rule_name, d->kind,    d->severity,
	                   d->src,      d->target,    d->tool,    d->campaign,
	                   d->evidence, d->tags,      d->targets, d->sources};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		free(s[i]);
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		rdet_free(&r->d[i]);
	free(r->d);
	free(r->order);
	free(r->srcs);
}

static struct rdet *report_add(struct report *r)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 64;
		void *p = realloc(r->d, nc * sizeof *r->d);
		if (!p) {
			r->oom = true;
			return NULL;
		}
		r->d = p;
		r->cap = nc;
	}
	struct rdet *d = &r->d[r->n++];
	memset(d, 0, sizeof *d);
	return d;
}

/* ---- input: a database -------------------------------------------------- */

static uint64_t col_u64(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);
	return v > 0 ? (uint64_t)v : 0; /* NULL and nonsense negatives read as 0 */
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL
	                                                 : (const char *)sqlite3_column_text(st, i);
}

/* Picks the run (latest, --run N) and describes it; *run_id 0 with --all. */
static int db_pick_run(sqlite3 *db, const struct report_opts *o, struct report *r, int64_t *run_id,
                       char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;
	const char *sql =
	    o->all   ? "SELECT count(*), min(id), max(id) FROM runs"
	    : o->run ? "SELECT id, input, started_at, packets FROM runs WHERE id = ?1"
	             : "SELECT id, input, started_at, packets FROM runs ORDER BY id DESC LIMIT 1";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	if (o->run)
		sqlite3_bind_int64(st, 1, o->run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		if (o->run)
			snprintf(err, errlen, "%s: there is no run %" PRId64, o->db, o->run);
		else
			snprintf(err, errlen, "%s: the database holds no run yet", o->db);
		goto fail;
	}
	if (rc != SQLITE_ROW)
		goto sqlfail;
	if (o->all) {
		*run_id = 0;
		snprintf(r->runs_text, sizeof r->runs_text,
		         "all %" PRId64 " runs (%" PRId64 "\xe2\x80\x93%" PRId64 ")",
		         (int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 1),
		         (int64_t)sqlite3_column_int64(st, 2));
	} else {
		*run_id = sqlite3_column_int64(st, 0);
		const char *input = col_text(st, 1);
		snprintf(r->runs_text, sizeof r->runs_text, "run %" PRId64 "%s%.200s", *run_id,
		         input ? " of " : "", input ? input : "");
		r->packets = col_u64(st, 3);
	}
	sqlite3_finalize(st);
	return 0;
sqlfail:
	snprintf(err, errlen, "%s: %s", o->db, sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	return -1;
}

static int load_db(const struct report_opts *o, struct report *r, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t run_id = 0;
	int rc;

	/* Read-only: a report never creates an empty database by mistyping a path. */
	if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", o->db, db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, REPORT_BUSY_MS);
	snprintf(r->origin, sizeof r->origin, "database %s", o->db);
	if (db_pick_run(db, o, r, &run_id, err, errlen) < 0)
		goto fail;
	static const char sql[] =
	    "SELECT run_id, seq, rule_id, rule_name, kind, severity, src_ip, target_ip, proto,"
	    " first_seen, opened_at, last_seen, closed_at, probes, distinct_targets,"
	    " distinct_ports, sample_ports, sample_targets, sample_sources, tags, tool,"
	    " campaign, evidence FROM detections WHERE ?1 = 0 OR run_id = ?1"
	    " ORDER BY first_seen, run_id, seq LIMIT ?2";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int64(st, 2, REPORT_MAX_DETECTIONS + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->n == REPORT_MAX_DETECTIONS) {
			r->truncated = true;
			break;
		}
		struct rdet *d = report_add(r);
		if (!d)
			goto oom;
		d->run_id = sqlite3_column_int64(st, 0);
		d->seq = sqlite3_column_int64(st, 1);
		d->rule_id = sdup(r, col_text(st, 2));
		d->rule_name = sdup(r, col_text(st, 3));
		d->kind = sdup(r, col_text(st, 4));
		d->severity = sdup(r, col_text(st, 5));
		d->src = sdup(r, col_text(st, 6) ? col_text(st, 6) : "?");
		d->target = sdup(r, col_text(st, 7));
		d->proto = sqlite3_column_int(st, 8);
		d->first_seen = col_u64(st, 9);
		d->opened_at = col_u64(st, 10);
		d->last_seen = col_u64(st, 11);
		d->closed_at = col_u64(st, 12);
		d->probes = col_u64(st, 13);
		d->distinct_targets = col_u64(st, 14);
		d->distinct_ports = col_u64(st, 15);
		json_ports(d, col_text(st, 16));
		d->targets = json_strings_join(r, col_text(st, 17));
		d->sources = json_strings_join(r, col_text(st, 18));
		d->tags = json_strings_join(r, col_text(st, 19));
		d->tool = sdup(r, col_text(st, 20));
		d->campaign = sdup(r, col_text(st, 21));
		d->evidence = sdup(r, col_text(st, 22));
		enum sw_kind k;
		d->kind_idx = d->kind && detection_kind_parse(d->kind, &k) == 0 ? (int)k : -1;
		if (r->oom)
			goto oom;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory after %zu detections", o->db, r->n);
	goto fail;
sqlfail:
	snprintf(err, errlen, "%s: %s", o->db, sqlite3_errmsg(db));
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return -1;
}

/* ---- input: a replay ---------------------------------------------------- */

/* The records of one replay: each OPEN, overwritten by its later UPDATE and CLOSE. */
struct collected {
	struct sw_detection *d;
	size_t n, cap;
	bool oom, full;
};

static void collect(void *ctx, const struct sw_detection *d)
{
	struct collected *c = ctx;
	if (d->phase != DET_OPEN) {
		/* The detector numbers detections as it opens them, so the array is sorted by seq.
		 */
		size_t lo = 0, hi = c->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (c->d[mid].seq < d->seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < c->n && c->d[lo].seq == d->seq)
			c->d[lo] = *d;
		return;
	}
	if (c->n == REPORT_MAX_DETECTIONS) {
		c->full = true;
		return;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->d, nc * sizeof *c->d);
		if (!p) {
			c->oom = true;
			return;
		}
		c->d = p;
		c->cap = nc;
	}
	c->d[c->n++] = *d;
}

/* s (at most size bytes, maybe unterminated) as an owned string, NULL when empty. */
static char *field_dup(struct report *r, const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	if (n == 0)
		return NULL;
	char *p = malloc(n + 1);
	if (!p) {
		r->oom = true;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

static char *addrs_join(struct report *r, const struct sw_addr *a, unsigned n, unsigned max)
{
	if (n == 0)
		return NULL;
	char *out = malloc((size_t)max * (ADDR_TEXT_MAX + 2) + 1);
	if (!out) {
		r->oom = true;
		return NULL;
	}
	size_t o = 0;
	char text[ADDR_TEXT_MAX];
	for (unsigned i = 0; i < n && i < max; i++)
		o += (size_t)sprintf(out + o, "%s%s", i ? ", " : "", addr_format(&a[i], text));
	return out;
}

/* "T1046,T1595.001" as the store would give it back: "T1046, T1595.001". */
static char *tags_join(struct report *r, const char *tags, size_t size)
{
	size_t n = strnlen(tags, size);
	if (n == 0)
		return NULL;
	char *out = malloc(n * 2 + 1);
	if (!out) {
		r->oom = true;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (tags[i] == ' ' || tags[i] == '\t')
			continue;
		out[o++] = tags[i];
		if (tags[i] == ',')
			out[o++] = ' ';
	}
	out[o] = 0;
	return out;
}

static int from_record(struct report *r, const struct sw_detection *s)
{
	struct rdet *d = report_add(r);
	char text[ADDR_TEXT_MAX];
	if (!d)
		return -1;
	d->run_id = 0;
	d->seq = (int64_t)s->seq;
	d->rule_id = field_dup(r, s->rule_id, sizeof s->rule_id);
	d->rule_name = field_dup(r, s->rule_name, sizeof s->rule_name);
	d->kind_idx = s->kind < KIND__COUNT ? s->kind : -1;
	d->kind = sdup(r, detection_kind_name((enum sw_kind)s->kind));
	d->severity = sdup(r, detection_severity_name((enum sw_severity)s->severity));
	d->src = sdup(r, s->src_any ? "*" : addr_format(&s->src, text));
	d->target = s->has_target ? sdup(r, addr_format(&s->target, text)) : NULL;
	d->proto = s->proto;
	d->first_seen = s->first_seen;
	d->opened_at = s->opened_at;
	d->last_seen = s->last_seen;
	d->closed_at = s->closed_at;
	d->probes = s->probes;
	d->distinct_targets = s->distinct_targets;
	d->distinct_ports = s->distinct_ports;
	for (unsigned i = 0; i < s->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		d->ports[d->nports++] = s->sample_ports[i];
	d->targets = addrs_join(r, s->sample_targets, s->n_sample_targets, DET_SAMPLE_TARGETS);
	d->sources = addrs_join(r, s->sample_sources, s->n_sample_sources, DET_SAMPLE_SOURCES);
	d->tags = tags_join(r, s->tags, sizeof s->tags);
	d->tool = field_dup(r, s->tool, sizeof s->tool);
	d->campaign = field_dup(r, s->campaign, sizeof s->campaign);
	d->evidence = field_dup(r, s->evidence, sizeof s->evidence);
	return r->oom ? -1 : 0;
}

static int load_replay(const struct report_opts *o, const struct sw_ruleset *rs, struct report *r,
                       char *err, size_t errlen)
{
	struct collected c = {0};
	struct capture *cap = NULL;
	struct pipeline *pl = NULL;
	struct capture_packet cp;
	int rc;

	cap = capture_open_files(o->inputs, o->ninputs, err, errlen);
	if (!cap)
		goto fail;
	struct pipeline_config pc = {
	    .rules = rs,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	    .emit = collect,
	    .emit_ctx = &c,
	};
	pl = pipeline_create(&pc, err, errlen);
	if (!pl)
		goto fail;
	while ((rc = capture_next(cap, &cp, err, errlen)) == 1)
		pipeline_packet(pl, &cp);
	if (rc < 0)
		goto fail; /* a broken capture: say so rather than report half of it */
	pipeline_finish(pl);
	struct pipeline_stats ps;
	pipeline_get_stats(pl, &ps);
	r->packets = ps.packets;
	if (c.oom) {
		snprintf(err, errlen, "out of memory after %zu detections", c.n);
		goto fail;
	}
	r->truncated = c.full;
	size_t n = 0;
	for (size_t i = 0; i < o->ninputs; i++)
		n +=
		    (size_t)snprintf(r->origin + n, n < sizeof r->origin ? sizeof r->origin - n : 0,
		                     "%s%s", i ? " " : "replay of ", o->inputs[i]);
	snprintf(r->runs_text, sizeof r->runs_text, "%" PRIu64 " packets, rules: %.200s",
	         ps.packets, rs->origin ? rs->origin : "built-in");
	for (size_t i = 0; i < c.n; i++)
		if (from_record(r, &c.d[i]) < 0) {
			snprintf(err, errlen, "out of memory after %zu detections", r->n);
			goto fail;
		}
	free(c.d);
	pipeline_destroy(pl);
	capture_close(cap);
	return 0;
fail:
	free(c.d);
	pipeline_destroy(pl);
	capture_close(cap);
	return -1;
}

/* ---- analysis ----------------------------------------------------------- */

static uint64_t det_end(const struct rdet *d)
{
	uint64_t e = d->closed_at ? d->closed_at : d->last_seen;
	return e > d->first_seen ? e : d->first_seen;
}

static const struct report *sort_ctx; /* qsort has no context argument in C11 */

static int cmp_by_src(const void *a, const void *b)
{
	const struct rdet *x = &sort_ctx->d[*(const size_t *)a];
	const struct rdet *y = &sort_ctx->d[*(const size_t *)b];
	int c = strcmp(x->src, y->src);
	if (c)
		return c;
	if (x->first_seen != y->first_seen)
		return x->first_seen < y->first_seen ? -1 : 1;
	if (x->run_id != y->run_id)
		return x->run_id < y->run_id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_src_time(const void *a, const void *b)
{
	const struct rsrc *x = a, *y = b;
	if (x->t_first != y->t_first)
		return x->t_first < y->t_first ? -1 : 1;
	return strcmp(x->src, y->src);
}

/* Groups the detections by source, orders the sources by first activity, assigns lanes. */
static int analyse(struct report *r)
{
	if (r->n == 0)
		return 0;
	r->order = malloc(r->n * sizeof *r->order);
	r->srcs = calloc(r->n, sizeof *r->srcs);
	if (!r->order || !r->srcs)
		return -1;
	for (size_t i = 0; i < r->n; i++)
		r->order[i] = i;
	sort_ctx = r;
	qsort(r->order, r->n, sizeof *r->order, cmp_by_src);
	sort_ctx = NULL;
	for (size_t i = 0; i < r->n;) {
		struct rsrc *s = &r->srcs[r->nsrcs++];
		s->src = r->d[r->order[i]].src;
		s->first_idx = i;
		s->t_first = UINT64_MAX;
		uint64_t lane_end[REPORT_MAX_LANES] = {0};
		for (; i < r->n && strcmp(r->d[r->order[i]].src, s->src) == 0; i++) {
			struct rdet *d = &r->d[r->order[i]];
			s->ndet++;
			s->probes += d->probes;
			if (d->first_seen < s->t_first)
				s->t_first = d->first_seen;
			if (det_end(d) > s->t_last)
				s->t_last = det_end(d);
			if (d->kind_idx >= 0)
				s->kinds |= 1u << d->kind_idx;
			/* First lane free at this start; when all are busy, the one freed first. */
			unsigned lane = 0;
			bool found = false;
			for (unsigned l = 0; l < s->lanes; l++)
				if (lane_end[l] < d->first_seen) {
					lane = l;
					found = true;
					break;
				}
			if (!found && s->lanes < REPORT_MAX_LANES) {
				lane = s->lanes++;
			} else if (!found) {
				for (unsigned l = 1; l < s->lanes; l++)
					if (lane_end[l] < lane_end[lane])
						lane = l;
			}
			lane_end[lane] = det_end(d);
			d->lane = lane;
		}
	}
	qsort(r->srcs, r->nsrcs, sizeof *r->srcs, cmp_src_time);
	return 0;
}

/* ---- HTML --------------------------------------------------------------- */

/*
 * Text from the data, escaped for HTML text and attribute values alike
 * (HTML 5 section 13.1.2.6: & < > " ' are the characters that could end or
 * open markup). Control characters other than tab and newline become U+FFFD:
 * they are parse errors in HTML and mean nothing to a reader.
 */
static void esc(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(c, f);
		}
	}
}

/* "2024-05-01 12:00:00.123" (UTC); "?" for a time gmtime cannot represent. */
static const char *fmt_time(uint64_t us, char buf[40])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (us / 1000000 > (uint64_t)INT32_MAX * 1000 || !gmtime_r(&t, &tm)) {
		snprintf(buf, 40, "?");
		return buf;
	}
	snprintf(buf, 40, "%04d-%02d-%02d %02d:%02d:%02d.%03u", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000 / 1000));
	return buf;
}

/* "850 ms", "12.4 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
static const char *fmt_dur(uint64_t us, char buf[40])
{
	uint64_t s = us / 1000000;
	if (us < 1000000)
		snprintf(buf, 40, "%" PRIu64 " ms", us / 1000);
	else if (s < 60)
		snprintf(buf, 40, "%.1f s", (double)us / 1e6);
	else if (s < 3600)
		snprintf(buf, 40, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, 40, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, 40, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *proto_name(int proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 0:
		return "mixed";
	default:
		return "ip";
	}
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f4f6;color:#111827;"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    "main{max-width:1360px;margin:0 auto;padding:24px 20px 48px}"
    "header h1{margin:0 0 4px;font-size:24px}"
    "header p{margin:0;color:#4b5563}"
    "section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:16px 18px;"
    "margin-top:18px;box-shadow:0 1px 2px rgba(0,0,0,.04)}"
    "h2{margin:0 0 10px;font-size:17px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}"
    ".card{flex:1 1 150px;background:#fff;border:1px solid #e5e7eb;border-radius:10px;"
    "padding:10px 14px}"
    ".card b{display:block;font-size:22px}"
    ".card span{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 18px;"
    "align-items:start}"
    ".grid section{margin-top:18px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}"
    "th{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.03em}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.when{white-space:nowrap}"
    ".chip{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;"
    "margin:1px 2px 1px 0;white-space:nowrap}"
    ".sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;"
    "border:1px solid #d1d5db}"
    ".sev-high,.sev-critical{background:#fee2e2;border-color:#fca5a5;color:#991b1b}"
    ".sev-medium{background:#fef3c7;border-color:#fcd34d;color:#92400e}"
    ".sev-low{background:#e0f2fe;border-color:#7dd3fc;color:#075985}"
    ".bar{height:10px;background:#93c5fd;border-radius:3px;min-width:2px}"
    ".mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}"
    ".muted{color:#6b7280}"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:0 0 8px;font-size:12.5px}"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:3px;"
    "vertical-align:-2px;margin-right:4px}"
    ".evidence ul{margin:0;padding-left:16px}"
    ".evidence td{font-size:13px}"
    "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    ".note{background:#fffbeb;border:1px solid #fde68a;border-radius:6px;padding:6px 10px;"
    "margin-top:12px}";

static void put_chip(FILE *f, const struct rdet *d)
{
	fprintf(f, "<span class=\"chip\" style=\"background:%s\">", kind_color(d->kind_idx));
	esc(f, d->kind ? d->kind : "?");
	fputs("</span>", f);
}

/* An SVG label of at most max_chars, cut with an ellipsis. */
static void put_label(FILE *f, const char *s, size_t max_chars)
{
	char buf[128];
	size_t n = strlen(s);
	if (max_chars >= sizeof buf - 4)
		max_chars = sizeof buf - 4;
	if (n <= max_chars) {
		esc(f, s);
		return;
	}
	/* Cut at a character boundary: never inside a UTF-8 sequence. */
	size_t k = max_chars > 1 ? max_chars - 1 : 0;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	memcpy(buf, s, k);
	memcpy(buf + k, "\xe2\x80\xa6", 4);
	esc(f, buf);
}

/* Tick spacing: the smallest "round" step that gives at most 8 ticks over span. */
static double tick_step(double span)
{
	static const double steps[] = {
	    1e3,      2e3,       5e3,       1e4,       2e4,        5e4,     1e5,
	    2e5,      5e5,       1e6,       2e6,       5e6,        10e6,    15e6,
	    30e6,     60e6,      120e6,     300e6,     600e6,      900e6,   1800e6,
	    3600e6,   7200e6,    10800e6,   21600e6,   43200e6,    86400e6, 172800e6,
	    604800e6, 1209600e6, 2592000e6, 7776000e6, 31536000e6,
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span / steps[i] <= 8)
			return steps[i];
	double s = steps[sizeof steps / sizeof steps[0] - 1];
	while (span / s > 8)
		s *= 2;
	return s;
}

/* A muted label (HTML already) and an escaped monospace value, then tail. */
static void put_mono(FILE *f, const char *label, const char *value, const char *tail)
{
	fprintf(f, "<span class=\"muted\">%s</span> <span class=\"mono\">", label);
	esc(f, value);
	fprintf(f, "</span>%s", tail);
}

static void put_tick_label(FILE *f, double t_us, double step)
{
	if (t_us < 0 || t_us > (double)INT32_MAX * 1e9) {
		fputs("?", f);
		return;
	}
	uint64_t us = (uint64_t)t_us;
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		fputs("?", f);
		return;
	}
	if (step < 1e6)
		fprintf(f, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		        (unsigned)(us % 1000000 / 1000));
	else if (step < 60e6)
		fprintf(f, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else if (step < 86400e6)
		fprintf(f, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else
		fprintf(f, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void put_timeline(FILE *f, const struct report *r)
{
	char b1[40], b2[40], b3[40];
	uint64_t t0 = UINT64_MAX, t1 = 0;
	bool present[KIND__COUNT + 1] = {false};
	size_t rows = r->nsrcs < REPORT_MAX_ROWS ? r->nsrcs : REPORT_MAX_ROWS;

	for (size_t i = 0; i < rows; i++) {
		const struct rsrc *s = &r->srcs[i];
		if (s->t_first < t0)
			t0 = s->t_first;
		if (s->t_last > t1)
			t1 = s->t_last;
		for (size_t j = 0; j < s->ndet; j++) {
			int k = r->d[r->order[s->first_idx + j]].kind_idx;
			present[k >= 0 ? k : KIND__COUNT] = true;
		}
	}
	fputs("<section id=\"timeline\"><h2>Timeline by source</h2>", f);
	if (rows == 0) {
		fputs("<p class=\"muted\">No detections.</p></section>", f);
		return;
	}
	fprintf(f,
	        "<p class=\"muted\">From %s to %s UTC (%s). One row per source; each bar runs "
	        "from a detection's first probe to its close (or its last probe while it "
	        "is still open).</p>",
	        fmt_time(t0, b1), fmt_time(t1, b2), fmt_dur(t1 - t0, b3));
	fputs("<div class=\"legend\">", f);
	for (int k = 0; k <= KIND__COUNT; k++)
		if (present[k])
			fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>",
			        kind_color(k < KIND__COUNT ? k : -1),
			        k < KIND__COUNT ? detection_kind_name((enum sw_kind)k) : "other");
	fputs("</div>", f);

	/* The span is padded a little so bars never touch the frame; a zero span gets 1 ms. */
	double span = t1 > t0 ? (double)(t1 - t0) : 1000.0;
	double lo = (double)t0 - span * 0.01, hi = (double)t0 + span * 1.02;
	double pw = TL_WIDTH - TL_LABEL_W - TL_RIGHT;
#define X(t) (TL_LABEL_W + ((double)(t)-lo) * pw / (hi - lo))
	double height = TL_AXIS_H;
	for (size_t i = 0; i < rows; i++)
		height += r->srcs[i].lanes * TL_LANE_H + TL_ROW_PAD;
	height += 6;
	fprintf(f,
	        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
	        "%.0f\" width=\"100%%\" role=\"img\" aria-label=\"timeline of detections by "
	        "source\">",
	        TL_WIDTH, height);
	/* Axis: grid lines and labels at round times. */
	double step = tick_step(hi - lo);
	fputs("<g class=\"axis\" font-size=\"11\" fill=\"#6b7280\">", f);
	for (double t = ceil(lo / step) * step; t <= hi; t += step) {
		double x = X(t);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e5e7eb\"/>"
		        "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
		        x, TL_AXIS_H - 6, x, height, x, TL_AXIS_H - 12);
		put_tick_label(f, t, step);
		fputs("</text>", f);
	}
	fputs("</g>", f);
	double y = TL_AXIS_H;
	for (size_t i = 0; i < rows; i++) {
		const struct rsrc *s = &r->srcs[i];
		double rh = s->lanes * TL_LANE_H + TL_ROW_PAD;
		fputs("<g class=\"timeline-row\" data-src=\"", f);
		esc(f, s->src);
		fputs("\">", f);
		if (i % 2 == 0)
			fprintf(f,
			        "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" "
			        "fill=\"#f9fafb\"/>",
			        y, TL_WIDTH, rh);
		fprintf(f,
		        "<text x=\"8\" y=\"%.1f\" font-size=\"12.5\" fill=\"#111827\" "
		        "font-weight=\"600\">",
		        y + TL_ROW_PAD / 2 + TL_BAR_H - 3);
		put_label(f, strcmp(s->src, "*") == 0 ? "* (many sources)" : s->src, 26);
		fprintf(f, "</text><text x=\"8\" y=\"%.1f\" font-size=\"10.5\" fill=\"#6b7280\">",
		        y + TL_ROW_PAD / 2 + TL_BAR_H + 9);
		if (s->lanes > 1 || rh > 34)
			fprintf(f, "%zu detection%s, %" PRIu64 " probes", s->ndet,
			        s->ndet == 1 ? "" : "s", s->probes);
		fputs("</text>", f);
		for (size_t j = 0; j < s->ndet; j++) {
			const struct rdet *d = &r->d[r->order[s->first_idx + j]];
			double x0 = X(d->first_seen), x1 = X(det_end(d));
			double w = x1 - x0 < 3 ? 3 : x1 - x0;
			double by = y + TL_ROW_PAD / 2 + d->lane * TL_LANE_H;
			fputs("<g class=\"bar\"><title>", f);
			esc(f, d->kind);
			fputs(" from ", f);
			esc(f, d->src);
			fprintf(f,
			        ": %s \xe2\x80\x93 %s UTC, %" PRIu64 " probes, %" PRIu64
			        " targets, %" PRIu64 " ports%s</title>",
			        fmt_time(d->first_seen, b1), fmt_time(det_end(d), b2), d->probes,
			        d->distinct_targets, d->distinct_ports,
			        d->closed_at ? "" : " (open)");
			fprintf(
			    f,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" rx=\"3\" "
			    "fill=\"%s\"%s/>",
			    x0, by, w, TL_BAR_H, kind_color(d->kind_idx),
			    d->closed_at ? "" : " stroke=\"#111827\" stroke-dasharray=\"3 2\"");
			/* Label inside the bar when it fits, else right of it up to the next bar.
			 */
			char label[160];
			snprintf(label, sizeof label, "%s \xc2\xb7 %" PRIu64 " probes",
			         d->kind ? d->kind : "?", d->probes);
			double need = (double)strlen(label) * TL_CHAR_W + 10;
			double room_right = TL_WIDTH - TL_RIGHT / 2 - (x0 + w);
			for (size_t k = j + 1; k < s->ndet; k++) {
				const struct rdet *e = &r->d[r->order[s->first_idx + k]];
				if (e->lane == d->lane) {
					room_right = X(e->first_seen) - (x0 + w);
					break;
				}
			}
			if (w >= need)
				fprintf(f,
				        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				        "fill=\"#fff\">",
				        x0 + 5, by + TL_BAR_H - 4.5);
			else if (room_right >= need)
				fprintf(f,
				        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				        "fill=\"#374151\">",
				        x0 + w + 4, by + TL_BAR_H - 4.5);
			else
				label[0] = 0;
			if (label[0]) {
				esc(f, label);
				fputs("</text>", f);
			}
			fputs("</g>", f);
		}
		fputs("</g>", f);
		y += rh;
	}
#undef X
	fputs("</svg>", f);
	if (r->nsrcs > rows)
		fprintf(f,
		        "<p class=\"note\">%zu more sources are not drawn; the tables below count "
		        "them.</p>",
		        r->nsrcs - rows);
	fputs("</section>", f);
}

static void put_kinds(FILE *f, const struct report *r)
{
	size_t count[KIND__COUNT + 1] = {0};
	uint64_t probes[KIND__COUNT + 1] = {0};
	size_t max = 1;
	for (size_t i = 0; i < r->n; i++) {
		int k = r->d[i].kind_idx >= 0 ? r->d[i].kind_idx : KIND__COUNT;
		count[k]++;
		probes[k] += r->d[i].probes;
		if (count[k] > max)
			max = count[k];
	}
	fputs("<section id=\"kinds\"><h2>Detections by kind</h2>", f);
	if (r->n == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return;
	}
	fputs("<table><tr><th>Kind</th><th>Detections</th><th></th><th>Probes</th></tr>", f);
	/* Most frequent first; ties in vocabulary order. */
	for (size_t done = 0; done <= KIND__COUNT; done++) {
		int best = -1;
		for (int k = 0; k <= KIND__COUNT; k++)
			if (count[k] && (best < 0 || count[k] > count[best]))
				best = k;
		if (best < 0)
			break;
		fprintf(f,
		        "<tr><td><span class=\"chip\" style=\"background:%s\">%s</span></td>"
		        "<td class=\"n\">%zu</td><td style=\"width:40%%\"><div class=\"bar\" "
		        "style=\"width:%.1f%%;background:%s\"></div></td><td class=\"n\">%" PRIu64
		        "</td></tr>",
		        kind_color(best < KIND__COUNT ? best : -1),
		        best < KIND__COUNT ? detection_kind_name((enum sw_kind)best) : "other",
		        count[best], 100.0 * (double)count[best] / (double)max,
		        kind_color(best < KIND__COUNT ? best : -1), probes[best]);
		count[best] = 0;
	}
	fputs("</table></section>", f);
}

static const struct report *top_ctx;

static int cmp_top_src(const void *a, const void *b)
{
	const struct rsrc *x = &top_ctx->srcs[*(const size_t *)a];
	const struct rsrc *y = &top_ctx->srcs[*(const size_t *)b];
	if (x->ndet != y->ndet)
		return x->ndet > y->ndet ? -1 : 1;
	if (x->probes != y->probes)
		return x->probes > y->probes ? -1 : 1;
	return strcmp(x->src, y->src);
}

static int put_scanners(FILE *f, const struct report *r)
{
	char b1[40];
	fputs("<section id=\"scanners\"><h2>Top scanners</h2>", f);
	if (r->nsrcs == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return 0;
	}
	size_t *idx = malloc(r->nsrcs * sizeof *idx);
	if (!idx)
		return -1;
	for (size_t i = 0; i < r->nsrcs; i++)
		idx[i] = i;
	top_ctx = r;
	qsort(idx, r->nsrcs, sizeof *idx, cmp_top_src);
	top_ctx = NULL;
	fputs("<table><tr><th>Source</th><th>Detections</th><th>Probes</th><th>Kinds</th>"
	      "<th>Tool</th><th>First seen (UTC)</th></tr>",
	      f);
	for (size_t i = 0; i < r->nsrcs && i < REPORT_TOP_N; i++) {
		const struct rsrc *s = &r->srcs[idx[i]];
		fputs("<tr><td class=\"mono\">", f);
		esc(f, s->src);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%" PRIu64 "</td><td>",
		        s->ndet, s->probes);
		for (int k = 0; k < KIND__COUNT; k++)
			if (s->kinds & (1u << k))
				fprintf(f, "<span class=\"chip\" style=\"background:%s\">%s</span>",
				        kind_colors[k], detection_kind_name((enum sw_kind)k));
		fputs("</td><td>", f);
		/* The tools attributed to this source's detections, each once. */
		for (size_t j = 0; j < s->ndet; j++) {
			const struct rdet *d = &r->d[r->order[s->first_idx + j]];
			bool seen = !d->tool || strcmp(d->tool, "unknown") == 0;
			for (size_t k = 0; k < j && !seen; k++) {
				const struct rdet *e = &r->d[r->order[s->first_idx + k]];
				seen = e->tool && strcmp(e->tool, d->tool) == 0;
			}
			if (!seen) {
				esc(f, d->tool);
				fputc(' ', f);
			}
		}
		fprintf(f, "</td><td class=\"mono\">%s</td></tr>", fmt_time(s->t_first, b1));
	}
	fputs("</table>", f);
	if (r->nsrcs > REPORT_TOP_N)
		fprintf(f, "<p class=\"muted\">%zu sources in all.</p>", r->nsrcs);
	fputs("</section>", f);
	free(idx);
	return 0;
}

static int put_ports(FILE *f, const struct report *r)
{
	uint32_t *count = calloc(65536, sizeof *count);
	uint8_t *protos = calloc(65536, 1); /* bit 0 tcp, bit 1 udp */
	int rc = -1;
	if (!count || !protos)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		const struct rdet *d = &r->d[i];
		/* ICMP and ARP detections sample types or nothing: only TCP and UDP have ports. */
		if (d->proto != 6 && d->proto != 17)
			continue;
		for (unsigned j = 0; j < d->nports; j++) {
			/* A port listed twice in one sample counts once for that detection. */
			bool dup = false;
			for (unsigned k = 0; k < j && !dup; k++)
				dup = d->ports[k] == d->ports[j];
			if (dup)
				continue;
			count[d->ports[j]]++;
			protos[d->ports[j]] |= d->proto == 6 ? 1 : 2;
		}
	}
	fputs("<section id=\"ports\"><h2>Most-probed ports</h2>", f);
	uint16_t top[REPORT_TOP_N];
	size_t ntop = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		if (!count[p])
			continue;
		/* Insertion into the short sorted list: by count, then port number. */
		size_t at = ntop;
		while (at > 0 && count[top[at - 1]] < count[p])
			at--;
		if (at >= REPORT_TOP_N)
			continue;
		if (ntop < REPORT_TOP_N)
			ntop++;
		memmove(&top[at + 1], &top[at], (ntop - 1 - at) * sizeof top[0]);
		top[at] = (uint16_t)p;
	}
	if (ntop == 0) {
		fputs("<p class=\"muted\">No port was sampled.</p></section>", f);
		rc = 0;
		goto out;
	}
	fputs("<p class=\"muted\">How many detections have the port among their sampled "
	      "ports.</p><table><tr><th>Port</th><th>Detections</th><th></th></tr>",
	      f);
	for (size_t i = 0; i < ntop; i++) {
		uint16_t p = top[i];
		fprintf(f, "<tr><td class=\"mono\">%u/%s</td><td class=\"n\">%u</td>", p,
		        protos[p] == 3   ? "tcp,udp"
		        : protos[p] == 1 ? "tcp"
		                         : "udp",
		        count[p]);
		fprintf(f,
		        "<td style=\"width:55%%\"><div class=\"bar\" style=\"width:%.1f%%\">"
		        "</div></td></tr>",
		        100.0 * count[p] / count[top[0]]);
	}
	fputs("</table></section>", f);
	rc = 0;
out:
	free(count);
	free(protos);
	return rc;
}

/* Evidence is "; "-separated reasons: one list item each. */
static void put_evidence_list(FILE *f, const char *ev)
{
	if (!ev || !*ev) {
		fputs("<span class=\"muted\">\xe2\x80\x94</span>", f);
		return;
	}
	fputs("<ul>", f);
	const char *p = ev;
	while (*p) {
		const char *sep = strstr(p, "; ");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		char item[REPORT_FIELD_MAX + 1];
		memcpy(item, p, n < REPORT_FIELD_MAX ? n : REPORT_FIELD_MAX);
		item[n < REPORT_FIELD_MAX ? n : REPORT_FIELD_MAX] = 0;
		if (strspn(item, " \t\r\n") < strlen(item)) { /* blank reasons say nothing */
			fputs("<li>", f);
			esc(f, item);
			fputs("</li>", f);
		}
		p += n;
		if (sep)
			p += 2;
	}
	fputs("</ul>", f);
}

static void put_details(FILE *f, const struct report *r)
{
	char b1[40], b2[40];
	fputs("<section id=\"detections\" class=\"evidence\"><h2>Detections and evidence</h2>", f);
	if (r->n == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return;
	}
	fputs("<table><tr><th>#</th><th>Detection</th><th>Source \xe2\x86\x92 target</th>"
	      "<th>When (UTC)</th><th>Volume</th><th>Samples</th><th>Evidence</th></tr>",
	      f);
	for (size_t i = 0; i < r->n && i < REPORT_MAX_TABLE; i++) {
		const struct rdet *d = &r->d[i];
		fputs("<tr><td class=\"mono\">", f);
		if (d->run_id)
			fprintf(f, "%" PRId64 ":", d->run_id);
		fprintf(f, "%" PRId64 "</td><td>", d->seq);
		put_chip(f, d);
		fputs(" <span class=\"sev sev-", f);
		esc(f, d->severity);
		fputs("\">", f);
		esc(f, d->severity);
		fputs("</span><br><span class=\"mono\">", f);
		esc(f, d->rule_id);
		fputs("</span><br><span class=\"muted\">", f);
		esc(f, d->rule_name);
		fputs("</span></td><td><span class=\"mono\">", f);
		esc(f, d->src);
		fputs("</span><br>\xe2\x86\x92 <span class=\"mono\">", f);
		if (d->target)
			esc(f, d->target);
		else
			fprintf(f, "%" PRIu64 " targets", d->distinct_targets);
		fprintf(f, "</span><br><span class=\"muted\">%s", proto_name(d->proto));
		if (d->tool) {
			fputs(", tool ", f);
			esc(f, d->tool);
		}
		fprintf(f, "</span></td><td class=\"mono when\">%s<br>%s<br>%s",
		        fmt_time(d->first_seen, b1), d->closed_at ? "closed" : "open, last probe",
		        fmt_time(det_end(d), b2));
		fprintf(f, "<br><span class=\"muted\">%s</span></td>",
		        fmt_dur(det_end(d) - d->first_seen, b1));
		fprintf(f,
		        "<td class=\"n when\">%" PRIu64 " probe%s<br>%" PRIu64
		        " target%s<br>%" PRIu64 " port%s</td><td>",
		        d->probes, d->probes == 1 ? "" : "s", d->distinct_targets,
		        d->distinct_targets == 1 ? "" : "s", d->distinct_ports,
		        d->distinct_ports == 1 ? "" : "s");
		if (d->nports) {
			/* ICMP detections sample message types where TCP and UDP sample ports. */
			fprintf(f, "<span class=\"muted\">%s</span> <span class=\"mono\">",
			        d->proto == 1 || d->proto == 58 ? "types" : "ports");
			for (unsigned j = 0; j < d->nports; j++)
				fprintf(f, "%s%u", j ? ", " : "", d->ports[j]);
			fputs("</span><br>", f);
		}
		if (d->targets)
			put_mono(f, "targets", d->targets, "<br>");
		if (d->sources)
			put_mono(f, "sources", d->sources, "");
		fputs("</td><td>", f);
		put_evidence_list(f, d->evidence);
		if (d->tags)
			put_mono(f, "ATT&amp;CK", d->tags, "");
		if (d->campaign) {
			fputs(" <span class=\"muted\">campaign</span> ", f);
			esc(f, d->campaign);
		}
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
	if (r->n > REPORT_MAX_TABLE)
		fprintf(f, "<p class=\"note\">The first %d of %zu detections are listed.</p>",
		        REPORT_MAX_TABLE, r->n);
	fputs("</section>", f);
}

static int put_page(FILE *f, const struct report *r, const char *title)
{
	char b1[40];
	uint64_t probes = 0, t0 = UINT64_MAX, t1 = 0;
	unsigned nkinds = 0;
	bool kinds[KIND__COUNT + 1] = {false};
	for (size_t i = 0; i < r->n; i++) {
		probes += r->d[i].probes;
		if (r->d[i].first_seen < t0)
			t0 = r->d[i].first_seen;
		if (det_end(&r->d[i]) > t1)
			t1 = det_end(&r->d[i]);
		int k = r->d[i].kind_idx >= 0 ? r->d[i].kind_idx : KIND__COUNT;
		nkinds += !kinds[k];
		kinds[k] = true;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<meta name=\"generator\" content=\"scanwatch " SCANWATCH_VERSION "\"><title>",
	      f);
	esc(f, title);
	fprintf(f, "</title><style>%s</style></head>\n<body><main><header><h1>", css);
	esc(f, title);
	fputs("</h1><p>", f);
	esc(f, r->origin);
	fputs(" \xc2\xb7 ", f);
	esc(f, r->runs_text);
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		fprintf(f, " \xc2\xb7 generated %04d-%02d-%02d %02d:%02d UTC by scanwatch %s",
		        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		        SCANWATCH_VERSION);
	fputs("</p></header>\n<div class=\"cards\">", f);
	fprintf(f, "<div class=\"card\"><b>%zu</b><span>detections</span></div>", r->n);
	fprintf(f, "<div class=\"card\"><b>%zu</b><span>sources</span></div>", r->nsrcs);
	fprintf(f, "<div class=\"card\"><b>%u</b><span>kinds</span></div>", nkinds);
	fprintf(f, "<div class=\"card\"><b>%" PRIu64 "</b><span>probes</span></div>", probes);
	fprintf(f, "<div class=\"card\"><b>%s</b><span>first probe to last</span></div>",
	        r->n ? fmt_dur(t1 - t0, b1) : "\xe2\x80\x94");
	fputs("</div>\n", f);
	if (r->truncated)
		fprintf(f,
		        "<p class=\"note\">Only the first %d detections were read; narrow the "
		        "report with --run.</p>",
		        REPORT_MAX_DETECTIONS);
	put_timeline(f, r);
	fputs("\n<div class=\"grid\">", f);
	put_kinds(f, r);
	if (put_ports(f, r) < 0)
		return -1;
	fputs("</div>\n", f);
	if (put_scanners(f, r) < 0)
		return -1;
	put_details(f, r);
	fputs("\n</main></body></html>\n", f);
	return 0;
}

/* Writes the page to a temporary file beside path and renames it into place. */
static int write_page(const char *path, const struct report *r, const char *title, char *err,
                      size_t errlen)
{
	if (strcmp(path, "-") == 0) {
		if (put_page(stdout, r, title) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
			snprintf(err, errlen, "standard output: %s",
			         errno ? strerror(errno) : "write error");
			return -1;
		}
		return 0;
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* mkstemp makes 0600; a report is meant to be shared, as the umask allows. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	errno = 0;
	int rc = put_page(f, r, title);
	int werr = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !werr)
		werr = errno ? errno : EIO;
	if (rc < 0 && !werr)
		werr = ENOMEM;
	if (werr) {
		snprintf(err, errlen, "%s: %s", path, strerror(werr));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

/* ---- command line ------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: scanwatch report --html OUT.html [--db PATH] [--run N | --all] [--title "
	        "TEXT]\n"
	        "       scanwatch report --html OUT.html -r FILE [-r FILE ...] [--rules PATH ...]\n"
	        "\n"
	        "Writes one self-contained HTML page (inline CSS and SVG, no scripts, no external\n"
	        "files) with a timeline of the detections per source, counts by kind, the top\n"
	        "scanners, the most-probed ports and each detection's evidence.\n"
	        "\n"
	        "      --html OUT         the page to write (\"-\": standard output)\n"
	        "      --db PATH          read this database (default %s)\n"
	        "      --run N            report run N (default: the latest run)\n"
	        "      --all              report every run of the database\n"
	        "  -r, --read FILE        replay this capture instead of reading a database\n"
	        "                         (repeatable; merged in time order)\n"
	        "      --rules PATH       rules for the replay (repeatable; default: built-in)\n"
	        "      --memory-cap SIZE  tracking memory for the replay (default %lluM)\n"
	        "      --seed N           fixed hash key for the replay\n"
	        "      --title TEXT       page title (default \"scanwatch report\")\n"
	        "  -h, --help             this text\n"
	        "\n"
	        "Exit status: 0 written, 1 input or output error, 2 usage error,\n"
	        "78 configuration (rules) error.\n",
	        SW_DEFAULT_DB, (unsigned long long)(SW_DEFAULT_MEMORY_CAP >> 20));
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum { O_HTML = 256, O_DB, O_RUN, O_ALL, O_TITLE, O_RULES, O_CAP, O_SEED };
	static const struct option longopts[] = {
	    {"html", required_argument, NULL, O_HTML},
	    {"db", required_argument, NULL, O_DB},
	    {"run", required_argument, NULL, O_RUN},
	    {"all", no_argument, NULL, O_ALL},
	    {"read", required_argument, NULL, 'r'},
	    {"rules", required_argument, NULL, O_RULES},
	    {"memory-cap", required_argument, NULL, O_CAP},
	    {"seed", required_argument, NULL, O_SEED},
	    {"title", required_argument, NULL, O_TITLE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool db_given = false;
	int c;

	memset(o, 0, sizeof *o);
	o->db = SW_DEFAULT_DB;
	o->title = "scanwatch report";
	o->memory_cap = SW_DEFAULT_MEMORY_CAP;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case O_HTML:
			o->html = optarg;
			break;
		case O_DB:
			o->db = optarg;
			db_given = true;
			break;
		case O_RUN: {
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || v <= 0) {
				fprintf(stderr, "scanwatch report: --run: '%s' is not a run id\n",
				        optarg);
				return -1;
			}
			o->run = v;
			break;
		}
		case O_ALL:
			o->all = true;
			break;
		case 'r':
			if (cli_append("scanwatch report", "capture files", o->inputs, &o->ninputs,
			               REPORT_MAX_INPUTS, optarg) < 0)
				return -1;
			break;
		case O_RULES:
			if (cli_append("scanwatch report", "rule paths", o->rule_paths,
			               &o->nrule_paths, REPORT_MAX_RULE_PATHS, optarg) < 0)
				return -1;
			break;
		case O_CAP:
			if (cli_parse_size("scanwatch report", "--memory-cap", optarg,
			                   &o->memory_cap) < 0)
				return -1;
			break;
		case O_SEED:
			if (cli_parse_u64("scanwatch report", "--seed", optarg, &o->seed) < 0)
				return -1;
			break;
		case O_TITLE:
			o->title = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (cli_no_operands("scanwatch report", argc, argv, optind) < 0)
		return -1;
	if (!o->html) {
		fprintf(stderr, "scanwatch report: say where the page goes with --html OUT.html\n");
		return -1;
	}
	if (o->ninputs && (db_given || o->run || o->all)) {
		fprintf(stderr, "scanwatch report: read either a database (--db, --run, --all) "
		                "or captures (-r), not both\n");
		return -1;
	}
	if (!o->ninputs && (o->nrule_paths || o->seed)) {
		fprintf(stderr, "scanwatch report: --rules and --seed apply to a replay (-r)\n");
		return -1;
	}
	if (o->run && o->all) {
		fprintf(stderr, "scanwatch report: --run and --all exclude each other\n");
		return -1;
	}
	return 0;
}

int report_main(int argc, char **argv)
{
	struct report_opts o;
	struct report r;
	struct sw_ruleset *rs = NULL;
	char err[1024];
	int status = 0;

	memset(&r, 0, sizeof r);
	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (o.ninputs) {
		int rc = o.nrule_paths
		             ? rules_load_paths(o.rule_paths, o.nrule_paths, &rs, err, sizeof err)
		             : rules_load_builtin(&rs, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "%s\n", err);
			return RULES_EXIT_CONFIG;
		}
		if (load_replay(&o, rs, &r, err, sizeof err) < 0)
			goto fail;
	} else if (load_db(&o, &r, err, sizeof err) < 0) {
		goto fail;
	}
	if (analyse(&r) < 0) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	if (write_page(o.html, &r, o.title, err, sizeof err) < 0)
		goto fail;
	if (strcmp(o.html, "-") != 0)
		fprintf(stderr,
		        "scanwatch report: %zu detection(s) of %zu source(s) written to %s\n", r.n,
		        r.nsrcs, o.html);
	goto out;
fail:
	fprintf(stderr, "scanwatch report: %s\n", err);
	status = EXIT_INPUT;
out:
	report_free(&r);
	rules_free(rs);
	return status;
}
