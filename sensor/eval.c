/* eval.c — replays labelled captures (replay.c) and scores the detections against them. */
#include "scanwatch/eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/replay.h"

#define EVAL_MAX_LINES 4096
#define EVAL_MAX_KINDS 8

struct label {
	char *capture; /* resolved path */
	char *shown;   /* as written */
	bool any;      /* scanner "*" */
	struct sw_addr scanner;
	char scanner_text[ADDR_TEXT_MAX];
	uint8_t kinds[EVAL_MAX_KINDS];
	unsigned nkinds; /* 0: benign */
	char tool[16];   /* expected tool; "" not checked, "-" none */
	int line;
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\r' || *s == '\n')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = 0;
	return s;
}

static int parse_line(char *line, int lineno, const char *dir, const char *file, struct label *l)
{
	char *fields[4] = {0};
	int nf = 0;
	char *p = line;
	while (nf < 4) {
		fields[nf++] = p;
		char *tab = strchr(p, '\t');
		if (!tab)
			break;
		*tab = 0;
		p = tab + 1;
	}
	if (nf < 2) {
		fprintf(stderr, "%s:%d: expected capture<TAB>scanner<TAB>kind[,kind...]\n", file,
		        lineno);
		return -1;
	}
	memset(l, 0, sizeof *l);
	l->line = lineno;
	char *cap = trim(fields[0]);
	l->shown = strdup(cap);
	if (cap[0] == '/' || !dir[0]) {
		l->capture = strdup(cap);
	} else {
		size_t n = strlen(dir) + strlen(cap) + 2;
		l->capture = malloc(n);
		if (l->capture)
			snprintf(l->capture, n, "%s/%s", dir, cap);
	}
	if (!l->capture || !l->shown)
		return -1;
	char *who = trim(fields[1]);
	snprintf(l->scanner_text, sizeof l->scanner_text, "%s", who);
	if (strcmp(who, "*") == 0 || strcmp(who, "-") == 0) {
		l->any = true;
	} else if (addr_parse(who, &l->scanner) < 0) {
		fprintf(stderr, "%s:%d: '%s' is neither an address nor '*' or '-'\n", file, lineno,
		        who);
		return -1;
	}
	if (nf >= 3 && strcmp(trim(fields[2]), "-") != 0) { /* "-" or nothing: benign */
		char *kinds = trim(fields[2]), *save = NULL;
		for (char *k = strtok_r(kinds, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
			enum sw_kind kind;
			k = trim(k);
			if (!*k)
				continue;
			if (detection_kind_parse(k, &kind) < 0) {
				fprintf(stderr, "%s:%d: unknown kind '%s'\n", file, lineno, k);
				return -1;
			}
			if (l->nkinds < EVAL_MAX_KINDS)
				l->kinds[l->nkinds++] = (uint8_t)kind;
		}
	}
	if (nf >= 4) {
		char *tool = trim(fields[3]);
		if (strlen(tool) >= sizeof l->tool) {
			fprintf(stderr, "%s:%d: tool name '%s' is too long\n", file, lineno, tool);
			return -1;
		}
		snprintf(l->tool, sizeof l->tool, "%s", tool);
	}
	return 0;
}

static bool kind_ok(const struct label *l, uint8_t kind)
{
	for (unsigned i = 0; i < l->nkinds; i++)
		if (l->kinds[i] == kind)
			return true;
	return false;
}

/* Does detection d speak of label l's scanner? */
static bool matches(const struct label *l, const struct sw_detection *d)
{
	if (l->any)
		return true;
	if (!d->src_any && addr_eq(&d->src, &l->scanner))
		return true;
	for (unsigned i = 0; i < d->n_sample_sources; i++)
		if (addr_eq(&d->sample_sources[i], &l->scanner))
			return d->kind == KIND_DECOY_SCAN || d->kind == KIND_DISTRIBUTED_SCAN ||
			       d->src_any;
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void kinds_text(const struct label *l, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	if (!l->nkinds)
		snprintf(buf, len, "(benign)");
	for (unsigned i = 0; i < l->nkinds && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "",
		                      detection_kind_name((enum sw_kind)l->kinds[i]));
}

/* A tool name the sensor gave: "unknown" and an empty field name nobody. */
static bool names_tool(const char *tool)
{
	return tool[0] && strcmp(tool, "unknown") != 0 && strcmp(tool, "-") != 0;
}

struct totals {
	size_t scans, found, kind_right;
	size_t tool_labelled; /* scans labelled with a tool name */
	size_t tool_checked;  /* scans whose label has a tool column (a name or "-") */
	size_t tool_right;    /* of those, the sensor said the right thing */
	size_t names_given;   /* tool names given on scans whose tool column is set */
	size_t names_right;   /* of those, the labelled name */
	size_t benign, fps, fp_captures;
	size_t captures;   /* captures read and scored */
	size_t unreadable; /* captures that could not be read: their scans count as failed */
	uint64_t *probes;  /* probes before opening, one per scan found with the right kind */
	size_t nprobes;
};

static bool same_capture(const struct label *a, const struct label *b)
{
	return strcmp(a->capture, b->capture) == 0;
}

/* The detection that answers label l: an acceptable kind first, then the earliest opened. */
static const struct sw_detection *best_match(const struct label *l,
                                             const struct replay_detections *f)
{
	const struct sw_detection *best = NULL;
	for (size_t k = 0; k < f->n; k++) {
		if (!matches(l, &f->d[k]))
			continue;
		bool ok = kind_ok(l, f->d[k].kind);
		if (!best || (ok && !kind_ok(l, best->kind)) ||
		    (ok == kind_ok(l, best->kind) && f->d[k].opened_at < best->opened_at))
			best = &f->d[k];
	}
	return best;
}

/* Counts (and with -v lists) the detections no scan label of the capture owns. */
static size_t false_positives(const struct eval_options *o, const struct label *labels, size_t nl,
                              size_t i, const struct replay_detections *f)
{
	size_t fp = 0;
	for (size_t k = 0; k < f->n; k++) {
		bool owned = false;
		for (size_t j = i; j < nl && !owned; j++)
			if (same_capture(&labels[j], &labels[i]) && labels[j].nkinds &&
			    matches(&labels[j], &f->d[k]))
				owned = true;
		char a[ADDR_TEXT_MAX], ev[DET_EVIDENCE_TEXT];
		const char *src = f->d[k].src_any ? "*" : addr_format(&f->d[k].src, a);
		detection_evidence(&f->d[k], ev, sizeof ev);
		const char *kind = detection_kind_name((enum sw_kind)f->d[k].kind);
		if (!owned) {
			fp++;
			fprintf(stderr, "  false positive in %s: %s from %s, tool %s (%s)\n",
			        labels[i].shown, kind, src, f->d[k].tool[0] ? f->d[k].tool : "-",
			        ev);
		} else if (o->verbose) {
			fprintf(stderr, "  %s: %s from %s, %llu probes at opening (%s)\n",
			        labels[i].shown, kind, src,
			        (unsigned long long)f->d[k].probes_at_open, ev);
		}
	}
	return fp;
}

#define ROW_FMT "%-40s %-26s %-28s %-10s %-14s %6s %-9s %-8s %s%s%s"

/* Scores the labels of capture labels[i] (all lines naming it); 1 on any failure. */
static int score_capture(const struct eval_options *o, const struct label *labels, size_t nl,
                         size_t i, struct totals *t)
{
	struct replay_detections f = {0};
	const struct replay_options ro = {
	    .rules = o->rules,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	    .workers = o->workers,
	};
	char err[1024] = "";
	const char *path = labels[i].capture;
	bool unreadable = replay_files(&path, 1, &ro, 0, &f, err, sizeof err) < 0;
	int status = 0;
	size_t fp_here = 0;
	if (unreadable) {
		/* scored as a failure with its reason; the other captures are still scored */
		fprintf(stderr, "scanwatch eval: %s\n", err);
		t->unreadable++;
		status = 1;
	} else {
		fp_here = false_positives(o, labels, nl, i, &f);
		t->captures++;
		t->fps += fp_here;
		t->fp_captures += fp_here > 0;
		status = fp_here > 0;
	}
	bool fp_printed = false;
	for (size_t j = i; j < nl; j++) {
		const struct label *l = &labels[j];
		if (!same_capture(l, &labels[i]))
			continue;
		char kt[160], fpcol[24] = "";
		kinds_text(l, kt, sizeof kt);
		const char *want = l->tool[0] ? l->tool : "(any)";
		if (!fp_printed && !unreadable)
			snprintf(fpcol, sizeof fpcol, "%zu", fp_here);
		fp_printed = true;
		if (l->nkinds)
			t->scans++;
		if (l->nkinds && names_tool(l->tool))
			t->tool_labelled++;
		if (unreadable) {
			t->tool_checked += l->nkinds && l->tool[0];
			printf(ROW_FMT, l->shown, l->scanner_text, kt, "UNREADABLE", "-", "-", want,
			       "-", "-", "  (unreadable: ", err);
			puts(")");
			continue;
		}
		if (!l->nkinds) {
			t->benign++;
			printf(ROW_FMT "\n", l->shown, l->scanner_text, kt, "-", "-", "-", want,
			       "-", fpcol, "", "");
			continue;
		}
		const struct sw_detection *best = best_match(l, &f);
		bool kok = best && kind_ok(l, best->kind);
		bool tok = true;
		const char *said = best ? (best->tool[0] ? best->tool : "-") : "-";
		if (best)
			t->found++;
		if (kok) {
			t->kind_right++;
			t->probes[t->nprobes++] = best->probes_at_open;
		}
		if (l->tool[0] && best) {
			/* a name ("nmap") must be given as is; "-" asks that no tool be named */
			bool named = names_tool(best->tool);
			tok = names_tool(want) ? strcmp(best->tool, want) == 0 : !named;
			t->names_given += named;
			t->names_right += named && tok;
		} else if (l->tool[0]) {
			tok = false;
		}
		if (l->tool[0]) {
			t->tool_checked++;
			t->tool_right += tok;
		}
		if (!kok || !tok)
			status = 1;
		char probes[24] = "-";
		if (best)
			snprintf(probes, sizeof probes, "%llu",
			         (unsigned long long)best->probes_at_open);
		const char *note = "";
		if (best && !kok)
			note = "  (wrong kind)";
		else if (!tok && best && names_tool(best->tool) && !names_tool(want))
			note = "  (tool named, none expected)";
		else if (!tok && best)
			note = "  (wrong tool)";
		printf(ROW_FMT, l->shown, l->scanner_text, kt, best ? "found" : "MISSED",
		       best ? detection_kind_name((enum sw_kind)best->kind) : "-", probes, want,
		       said, fpcol, note, "\n");
	}
	replay_detections_free(&f);
	return status;
}

static double pct(size_t num, size_t den)
{
	return den ? 100.0 * (double)num / (double)den : 100.0;
}

static void print_summary(struct totals *t)
{
	qsort(t->probes, t->nprobes, sizeof *t->probes, cmp_u64);
	double median = 0;
	size_t n = t->nprobes;
	if (n)
		median = n % 2 ? (double)t->probes[n / 2]
		               : ((double)t->probes[n / 2 - 1] + (double)t->probes[n / 2]) / 2.0;
	/* the first line keeps its earlier wording (scripts read it); the second adds attribution
	 * precision and recall, false positives per capture and unreadable captures */
	printf("\nscans %zu: found %zu, right kind %zu (recall %.1f%%); tool right %zu of %zu; "
	       "benign captures %zu; false positives %zu; median probes before opening %.1f\n",
	       t->scans, t->found, t->kind_right, pct(t->kind_right, t->scans), t->tool_right,
	       t->tool_checked, t->benign, t->fps, median);
	printf("kind recall %.1f%% (%zu of %zu); tool precision %.1f%% (%zu right of %zu names "
	       "given); tool recall %.1f%% (%zu of %zu scans labelled with a tool); false "
	       "positives %zu in %zu of %zu captures (%.2f per capture); unreadable captures %zu\n",
	       pct(t->kind_right, t->scans), t->kind_right, t->scans,
	       pct(t->names_right, t->names_given), t->names_right, t->names_given,
	       pct(t->names_right, t->tool_labelled), t->names_right, t->tool_labelled, t->fps,
	       t->fp_captures, t->captures,
	       t->captures ? (double)t->fps / (double)t->captures : 0.0, t->unreadable);
}

int eval_run(const struct eval_options *o)
{
	FILE *fp = fopen(o->labels, "r");
	if (!fp) {
		fprintf(stderr, "scanwatch eval: %s: %s\n", o->labels, strerror(errno));
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", o->labels);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		dir[0] = 0;

	struct label *labels = calloc(EVAL_MAX_LINES, sizeof *labels);
	size_t nl = 0;
	int status = 0;
	char line[8192];
	int lineno = 0;
	while (labels && fgets(line, sizeof line, fp)) {
		lineno++;
		char *t = trim(line);
		if (!*t || *t == '#')
			continue;
		if (nl == EVAL_MAX_LINES) {
			fprintf(stderr, "%s:%d: more than %d labels\n", o->labels, lineno,
			        EVAL_MAX_LINES);
			status = 2;
			break;
		}
		if (parse_line(line, lineno, dir, o->labels, &labels[nl]) < 0) {
			status = 2;
			nl++; /* its strings, if any, are freed below */
			break;
		}
		nl++;
	}
	fclose(fp);
	struct totals t = {0};
	if (!labels || status) {
		status = 2;
		goto out;
	}
	t.probes = calloc(nl + 1, sizeof *t.probes);
	if (!t.probes) {
		fprintf(stderr, "scanwatch eval: out of memory\n");
		status = 2;
		goto out;
	}
	printf("%-40s %-26s %-28s %-10s %-14s %6s %-9s %-8s %s\n", "capture", "scanner", "expected",
	       "found", "kind", "probes", "want-tool", "tool", "false+");
	for (size_t i = 0; i < nl; i++) {
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			if (same_capture(&labels[j], &labels[i]))
				first = false;
		if (first && score_capture(o, labels, nl, i, &t))
			status = 1;
	}
	print_summary(&t);
	if (t.unreadable)
		status = 2;
out:
	free(t.probes);
	for (size_t i = 0; labels && i < nl; i++) {
		free(labels[i].capture);
		free(labels[i].shown);
	}
	free(labels);
	return status;
}
