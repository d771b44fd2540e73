/* eval.h — `scanwatch eval LABELS`: replay labelled captures, score detections against ground
 * truth. */
#ifndef SCANWATCH_EVAL_H
#define SCANWATCH_EVAL_H

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

#endif
