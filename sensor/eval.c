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
	char tool[16];
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
	if (strcmp(who, "*") == 0) {
		l->any = true;
	} else if (addr_parse(who, &l->scanner) < 0) {
		fprintf(stderr, "%s:%d: '%s' is neither an address nor '*'\n", file, lineno, who);
		return -1;
	}
	if (nf >= 3) {
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
	if (nf >= 4)
		snprintf(l->tool, sizeof l->tool, "%s", trim(fields[3]));
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

/* The detections of one capture; -1 (message printed) when it cannot be replayed. */
static int replay(const struct eval_options *o, const char *path, struct replay_detections *f)
{
	const struct replay_options ro = {
	    .rules = o->rules,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	};
	char err[1024];

	if (replay_files(&path, 1, &ro, 0, f, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch eval: %s\n", err);
		return -1;
	}
	return 0;
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
			break;
		}
		nl++;
	}
	fclose(fp);
	if (!labels || status) {
		status = 2;
		goto out;
	}

	uint64_t *probe_counts = calloc(nl + 1, sizeof *probe_counts);
	size_t nprobes = 0, scans = 0, found_n = 0, kind_n = 0, tool_checked = 0, tool_n = 0;
	size_t fps = 0, benign = 0;
	printf("%-40s %-26s %-28s %-7s %-14s %6s %-8s %s\n", "capture", "scanner", "expected",
	       "found", "kind", "probes", "tool", "false+");
	for (size_t i = 0; i < nl; i++) {
		bool first = true;
		for (size_t j = 0; j < i; j++)
			if (strcmp(labels[j].capture, labels[i].capture) == 0)
				first = false;
		if (!first)
			continue;
		struct replay_detections f = {0};
		if (replay(o, labels[i].capture, &f) < 0) {
			replay_detections_free(&f);
			status = 2;
			break;
		}
		/* every detection must belong to some label of this capture */
		size_t fp_here = 0;
		for (size_t k = 0; k < f.n; k++) {
			bool owned = false;
			for (size_t j = i; j < nl && !owned; j++)
				if (strcmp(labels[j].capture, labels[i].capture) == 0 &&
				    labels[j].nkinds && matches(&labels[j], &f.d[k]))
					owned = true;
			char a[ADDR_TEXT_MAX], ev[DET_EVIDENCE_TEXT];
			detection_evidence(&f.d[k], ev, sizeof ev);
			if (!owned) {
				fp_here++;
				fprintf(stderr, "  false positive in %s: %s from %s (%s)\n",
				        labels[i].shown,
				        detection_kind_name((enum sw_kind)f.d[k].kind),
				        f.d[k].src_any ? "*" : addr_format(&f.d[k].src, a), ev);
			} else if (o->verbose) {
				fprintf(stderr, "  %s: %s from %s, %llu probes at opening (%s)\n",
				        labels[i].shown,
				        detection_kind_name((enum sw_kind)f.d[k].kind),
				        f.d[k].src_any ? "*" : addr_format(&f.d[k].src, a),
				        (unsigned long long)f.d[k].probes_at_open, ev);
			}
		}
		fps += fp_here;
		bool fp_printed = false;
		for (size_t j = i; j < nl; j++) {
			const struct label *l = &labels[j];
			if (strcmp(l->capture, labels[i].capture) != 0)
				continue;
			char kt[160];
			kinds_text(l, kt, sizeof kt);
			if (!l->nkinds) {
				benign++;
				printf("%-40s %-26s %-28s %-7s %-14s %6s %-8s %zu\n", l->shown,
				       l->scanner_text, kt, "-", "-", "-", "-", fp_here);
				fp_printed = true;
				continue;
			}
			scans++;
			const struct sw_detection *best = NULL;
			for (size_t k = 0; k < f.n; k++) {
				if (!matches(l, &f.d[k]))
					continue;
				bool ok = kind_ok(l, f.d[k].kind);
				/* prefer an acceptable kind, then the earliest opened */
				if (!best || (ok && !kind_ok(l, best->kind)) ||
				    (ok == kind_ok(l, best->kind) &&
				     f.d[k].opened_at < best->opened_at))
					best = &f.d[k];
			}
			bool kok = best && kind_ok(l, best->kind);
			bool tok = true;
			if (best)
				found_n++;
			if (kok) {
				kind_n++;
				probe_counts[nprobes++] = best->probes_at_open;
			}
			if (l->tool[0]) {
				tool_checked++;
				tok = best && strcmp(best->tool, l->tool) == 0;
				tool_n += tok;
			}
			if (!kok || !tok)
				status = 1;
			char probes[24] = "-";
			if (best)
				snprintf(probes, sizeof probes, "%llu",
				         (unsigned long long)best->probes_at_open);
			char fpcol[24] = "";
			if (!fp_printed)
				snprintf(fpcol, sizeof fpcol, "%zu", fp_here);
			fp_printed = true;
			printf("%-40s %-26s %-28s %-7s %-14s %6s %-8s %s%s\n", l->shown,
			       l->scanner_text, kt, best ? "found" : "MISSED",
			       best ? detection_kind_name((enum sw_kind)best->kind) : "-", probes,
			       best ? best->tool : "-", fpcol,
			       best && !kok ? "  (wrong kind)" : (!tok ? "  (wrong tool)" : ""));
		}
		replay_detections_free(&f);
	}
	if (fps)
		status = status ? status : 1;
	if (status != 2) {
		qsort(probe_counts, nprobes, sizeof *probe_counts, cmp_u64);
		double median = 0;
		if (nprobes)
			median = nprobes % 2 ? (double)probe_counts[nprobes / 2]
			                     : ((double)probe_counts[nprobes / 2 - 1] +
			                        (double)probe_counts[nprobes / 2]) /
			                           2.0;
		printf(
		    "\nscans %zu: found %zu, right kind %zu (recall %.1f%%); tool right %zu of "
		    "%zu; "
		    "benign captures %zu; false positives %zu; median probes before opening %.1f\n",
		    scans, found_n, kind_n, scans ? 100.0 * (double)kind_n / (double)scans : 100.0,
		    tool_n, tool_checked, benign, fps, median);
	}
	free(probe_counts);
out:
	for (size_t i = 0; labels && i < nl; i++) {
		free(labels[i].capture);
		free(labels[i].shown);
	}
	free(labels);
	return status;
}
