/* report.c — `scanwatch report`: reads a run's detections (the store, or a replay), groups them by
 * source for the page (report_svg.c, report_html.c), and the command line. */
#include "scanwatch/report.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_private.h"
#include "scanwatch/cli.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detection.h"
#include "scanwatch/replay.h"
#include "scanwatch/rules.h"
#include "scanwatch/store.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

/* The most capture files one report replays (as the sensor's -r). */
#define REPORT_MAX_INPUTS     256
#define REPORT_MAX_RULE_PATHS 64
/* --db given this often at most (a directory counts once). */
#define REPORT_MAX_DBS 64

struct report_opts {
	const char *html;
	const char *db;
	const char *dbs[REPORT_MAX_DBS]; /* every --db; several: load_set */
	size_t ndb;
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

/* ---- strings ------------------------------------------------------------ */

static void rdet_free(struct rdet *d)
{
	char *const s[] = {d->rule_id, d->rule_name, d->kind, d->severity, d->src,     d->target,
	                   d->tool,    d->campaign,  d->tags, d->targets,  d->sources, d->sensor};
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		free(s[i]);
	for (unsigned i = 0; i < d->nreasons; i++)
		free(d->reasons[i]);
	free(d->reasons);
	free(d->exposed);
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

/* ---- one detection as the page shows it ----------------------------------- */

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
/* The tags as the page shows them, "T1046, T1595.001" (NULL: none). */
static char *tags_join(struct report *r, const struct sw_detection *s)
{
	size_t len = 0;
	for (size_t i = 0; i < s->n_tags && i < DET_TAGS_MAX; i++)
		len += strnlen(s->tags[i], DET_TAG_MAX) + 2;
	if (len == 0)
		return NULL;
	char *out = malloc(len + 1);
	if (!out) {
		r->oom = true;
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < s->n_tags && i < DET_TAGS_MAX; i++) {
		size_t n = strnlen(s->tags[i], DET_TAG_MAX);
		if (o > 0) {
			out[o++] = ',';
			out[o++] = ' ';
		}
		memcpy(out + o, s->tags[i], n);
		o += n;
	}
	out[o] = 0;
	return out;
}

/* Adds detection s of run run_id (0: a replay, no run) to the page's list. */
static int from_record(struct report *r, int64_t run_id, const struct sw_detection *s)
{
	struct rdet *d = report_add(r);
	char text[ADDR_TEXT_MAX];
	if (!d)
		return -1;
	d->run_id = run_id;
	d->seq = (int64_t)s->seq;
	d->rule_id = field_dup(r, s->rule_id, sizeof s->rule_id);
	d->rule_name = field_dup(r, s->rule_name, sizeof s->rule_name);
	d->kind_idx = s->kind < KIND__COUNT ? s->kind : -1;
	d->kind = field_dup(r, detection_kind_name((enum sw_kind)s->kind), REPORT_FIELD_MAX);
	d->severity =
	    field_dup(r, detection_severity_name((enum sw_severity)s->severity), REPORT_FIELD_MAX);
	d->src = field_dup(r, s->src_any ? "*" : addr_format(&s->src, text), REPORT_FIELD_MAX);
	d->target =
	    s->has_target ? field_dup(r, addr_format(&s->target, text), REPORT_FIELD_MAX) : NULL;
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
	d->tags = tags_join(r, s);
	d->tool = field_dup(r, s->tool, sizeof s->tool);
	d->campaign = field_dup(r, s->campaign, sizeof s->campaign);
	if (s->n_reasons > 0) {
		d->reasons = calloc(s->n_reasons, sizeof *d->reasons);
		if (!d->reasons)
			r->oom = true;
		for (unsigned i = 0; d->reasons && i < s->n_reasons && i < DET_REASONS_MAX; i++)
			if ((d->reasons[d->nreasons] =
			         field_dup(r, s->reasons[i].text, sizeof s->reasons[i].text)))
				d->nreasons++;
	}
	if (s->exposure.n > 0) {
		unsigned n = s->exposure.n < DET_EXPOSURE_MAX ? s->exposure.n : DET_EXPOSURE_MAX;
		d->exposed = malloc(n * sizeof *d->exposed);
		if (!d->exposed)
			r->oom = true;
		else {
			memcpy(d->exposed, s->exposure.item, n * sizeof *d->exposed);
			d->nexposed = n;
		}
	}
	d->unlisted = s->exposure.unlisted;
	return r->oom ? -1 : 0;
}

/* ---- input: a database ------------------------------------------------ */

/* What the header says of the runs read, and which run that is (0: every run). */
struct pick {
	int64_t id;
	uint64_t count;
	int64_t min, max;
	char text[256];
};

static int pick_run(void *ctx, const struct store_run *run)
{
	struct pick *p = ctx;

	if (p->count == 0 || run->id < p->min)
		p->min = run->id;
	if (p->count == 0 || run->id > p->max)
		p->max = run->id;
	p->count++;
	p->id = run->id;
	snprintf(p->text, sizeof p->text, "run %" PRId64 " of %.200s", run->id, run->input);
	return 0;
}

static int add_row(void *ctx, const struct store_row *row)
{
	struct report *r = ctx;

	if (r->n == REPORT_MAX_DETECTIONS) {
		r->truncated = true;
		return 1;
	}
	if (from_record(r, row->run_id, &row->d) < 0)
		return -1;
	if (row->sensor_id[0] != '\0' &&
	    (r->d[r->n - 1].sensor = field_dup(r, row->sensor_id, sizeof row->sensor_id)) == NULL)
		return -1;
	return 0;
}

/* Several databases (a fleet's, issue 19): every run of each, one timeline with the sensor of
 * each detection. */
static int load_set(const struct report_opts *o, struct report *r, char *err, size_t errlen)
{
	struct store_set *set = store_set_open(o->dbs, o->ndb, err, errlen);
	struct store_filter f = {.order = STORE_ORDER_FIRST_SEEN};
	uint64_t skipped = 0;
	int rc;

	if (set == NULL)
		return -1;
	snprintf(r->origin, sizeof r->origin, "%zu databases (%s ...)", store_set_count(set),
	         store_set_path(set, 0));
	snprintf(r->runs_text, sizeof r->runs_text, "every run of each");
	rc = store_set_read_detections(set, &f, NULL, add_row, r, err, errlen);
	if (r->oom) {
		snprintf(err, errlen, "out of memory after %zu detections", r->n);
		rc = -1;
	}
	for (size_t i = 0; rc >= 0 && i < store_set_count(set); i++) {
		const char *why;
		uint64_t k = store_read_skipped(store_set_reader(set, i), &why);

		if (k > 0)
			fprintf(stderr,
			        "scanwatch report: %s: %" PRIu64 " row(s) are not detections this "
			        "scanwatch can read, left out (the first: %s)\n",
			        store_set_path(set, i), k, why);
		skipped += k;
	}
	r->skipped = skipped;
	store_set_close(set);
	return rc < 0 ? -1 : 0;
}

static int load_db(const struct report_opts *o, struct report *r, char *err, size_t errlen)
{
	struct store_reader *sr = store_read_open(o->db, err, errlen);
	struct pick pick = {0};
	struct store_filter f = {.order = STORE_ORDER_FIRST_SEEN};
	const char *why;
	char msg[512];
	int rc;

	if (sr == NULL)
		return -1;
	snprintf(r->origin, sizeof r->origin, "database %s", o->db);
	/* The run: --run N, the latest, or (--all) every one. */
	rc = store_read_runs(sr, o->run, !o->all, o->all ? 0 : 1, pick_run, &pick, msg, sizeof msg);
	if (rc < 0)
		goto sqlfail;
	if (o->all) {
		snprintf(r->runs_text, sizeof r->runs_text,
		         "all %" PRIu64 " runs (%" PRId64 "\xe2\x80\x93%" PRId64 ")", pick.count,
		         pick.min, pick.max);
	} else if (pick.count == 0) {
		if (o->run)
			snprintf(err, errlen, "%s: there is no run %" PRId64, o->db, o->run);
		else
			snprintf(err, errlen, "%s: the database holds no run yet", o->db);
		goto fail;
	} else {
		f.run_id = pick.id;
		snprintf(r->runs_text, sizeof r->runs_text, "%s", pick.text);
	}
	rc = store_read_detections(sr, &f, add_row, r, msg, sizeof msg);
	if (r->oom) {
		snprintf(err, errlen, "%s: out of memory after %zu detections", o->db, r->n);
		goto fail;
	}
	if (rc < 0)
		goto sqlfail;
	r->skipped = store_read_skipped(sr, &why);
	if (r->skipped)
		fprintf(stderr,
		        "scanwatch report: %s: %" PRIu64
		        " row(s) are not detections this scanwatch "
		        "can read, left out (the first: %s)\n",
		        o->db, r->skipped, why);
	store_read_close(sr);
	return 0;
sqlfail:
	snprintf(err, errlen, "%s: %s", o->db, msg);
fail:
	store_read_close(sr);
	return -1;
}

/* ---- input: a replay ---------------------------------------------------- */

static int load_replay(const struct report_opts *o, const struct sw_ruleset *rs, struct report *r,
                       char *err, size_t errlen)
{
	const struct replay_options ro = {
	    .rules = rs,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	};
	struct replay_detections rd = {0};
	size_t n = 0;

	if (replay_files(o->inputs, o->ninputs, &ro, REPORT_MAX_DETECTIONS, &rd, err, errlen) < 0)
		goto fail;
	r->truncated = rd.full;
	for (size_t i = 0; i < o->ninputs; i++)
		n +=
		    (size_t)snprintf(r->origin + n, n < sizeof r->origin ? sizeof r->origin - n : 0,
		                     "%s%s", i ? " " : "replay of ", o->inputs[i]);
	snprintf(r->runs_text, sizeof r->runs_text, "%" PRIu64 " packets, rules: %.200s",
	         rd.packets, rs->origin ? rs->origin : "built-in");
	for (size_t i = 0; i < rd.n; i++)
		if (from_record(r, 0, &rd.d[i]) < 0) {
			snprintf(err, errlen, "out of memory after %zu detections", r->n);
			goto fail;
		}
	replay_detections_free(&rd);
	return 0;
fail:
	replay_detections_free(&rd);
	return -1;
}

/* ---- analysis ----------------------------------------------------------- */

uint64_t report_det_end(const struct rdet *d)
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
			if (report_det_end(d) > s->t_last)
				s->t_last = report_det_end(d);
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
			lane_end[lane] = report_det_end(d);
			d->lane = lane;
		}
	}
	qsort(r->srcs, r->nsrcs, sizeof *r->srcs, cmp_src_time);
	return 0;
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
	        "      --db PATH          read this database (default %s); repeatable, or a\n"
	        "                         directory of *.db: every run of each, one timeline\n"
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

static bool is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum { O_HTML = 256, O_DB, O_RUN, O_ALL, O_TITLE, O_RULES, O_CAP, O_SEED };
	static const struct option longopts[] = {
	    {.name = "html", .has_arg = required_argument, .val = O_HTML},
	    {.name = "db", .has_arg = required_argument, .val = O_DB},
	    {.name = "run", .has_arg = required_argument, .val = O_RUN},
	    {.name = "all", .has_arg = no_argument, .val = O_ALL},
	    {.name = "read", .has_arg = required_argument, .val = 'r'},
	    {.name = "rules", .has_arg = required_argument, .val = O_RULES},
	    {.name = "memory-cap", .has_arg = required_argument, .val = O_CAP},
	    {.name = "seed", .has_arg = required_argument, .val = O_SEED},
	    {.name = "title", .has_arg = required_argument, .val = O_TITLE},
	    {.name = "help", .has_arg = no_argument, .val = 'h'},
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
		case O_TITLE:
			o->title = optarg;
			break;
		case O_DB:
			if (cli_append("scanwatch report", "databases", o->dbs, &o->ndb,
			               REPORT_MAX_DBS, optarg) < 0)
				return -1;
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
		default:
			return cli_help_or_usage_error(c, usage);
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
	} else if ((o.ndb > 1 || is_dir(o.db) ? load_set(&o, &r, err, sizeof err)
	                                      : load_db(&o, &r, err, sizeof err)) < 0) {
		goto fail;
	}
	if (analyse(&r) < 0) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	if (report_html_write(o.html, &r, o.title, err, sizeof err) < 0)
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
