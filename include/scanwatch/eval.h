/* eval.h — `scanwatch eval LABELS`: replay labelled captures, score detections against ground
 * truth. */
#ifndef SCANWATCH_EVAL_H
#define SCANWATCH_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scanwatch/addr.h"
#include "scanwatch/rules.h"

struct eval_options {
	const char *labels;             /* the labels file */
	const struct sw_ruleset *rules; /* borrowed */
	uint64_t memory_cap;
	uint64_t seed;
	unsigned workers; /* pipeline_config.workers */
	int verbose;      /* also list every detection */
};

/*
 * Labels: one line per (capture, scanner), tab-separated:
 *   capture-path  scanner-address-or-*  expected-kind[,other-acceptable-kind...]  [tool]
 * A relative path is relative to the labels file's directory. `*` (or `-`)
 * stands for spoofed or many sources; an empty kind (or `-`) marks a benign
 * capture, where any detection is a false positive. The tool is a name the
 * sensor must give, `-` when it must name none ("unknown"), or absent (not
 * checked). '#' starts a comment line.
 * Prints a row per label and the totals on stdout: kind recall, tool precision
 * (right names / names given, "unknown" being no name) and recall (right names
 * / scans labelled with a name), false positives per capture, median probes
 * before opening, unreadable captures. A capture that cannot be read is a
 * failed row with its reason (also on stderr) and the other labels are still
 * scored. Returns 0 when every scan was found with an acceptable kind (and the
 * right tool where one is given) and nothing was falsely reported, 1
 * otherwise, 2 on a bad labels file or when a capture could not be read.
 */
int eval_run(const struct eval_options *o);

/* The labels file's limits: lines read, kinds kept per line (more are accepted, not kept). */
#define EVAL_MAX_LINES 4096
#define EVAL_MAX_KINDS 8
#define EVAL_TOOL_MAX  16 /* a tool name and its NUL */
/* Longest line; a longer one is refused (it would otherwise be read as two). */
#define EVAL_LINE_MAX 8192

/* One label: a (capture, scanner) pair and what the sensor must say about it. */
struct eval_label {
	char *capture; /* resolved path (relative ones joined to the labels file's directory) */
	char *shown;   /* as written */
	bool any;      /* scanner "*" or "-" */
	struct sw_addr scanner;
	char scanner_text[ADDR_TEXT_MAX];
	uint8_t kinds[EVAL_MAX_KINDS]; /* enum sw_kind */
	unsigned nkinds;               /* 0: benign */
	char tool[EVAL_TOOL_MAX];      /* expected tool; "" not checked, "-" none */
	int line;
};

struct eval_labels {
	struct eval_label *v;
	size_t n;
};

/*
 * Reads the labels file at path (the format above) into *out. 0, or -1 with a message in err
 * that names the file ("FILE: reason", or "FILE:LINE: reason" for a line that does not parse).
 * *out holds what was read either way; the caller frees it with eval_labels_free.
 */
int eval_labels_read(const char *path, struct eval_labels *out, char *err, size_t errlen);
/* The same from an open stream; path names it in messages and gives the directory relative
 * capture paths are joined to. fp stays open. */
int eval_labels_parse(FILE *fp, const char *path, struct eval_labels *out, char *err,
                      size_t errlen);
void eval_labels_free(struct eval_labels *l);

#endif
