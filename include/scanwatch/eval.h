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
	int verbose; /* also list every detection */
};

/*
 * Labels: one line per (capture, scanner), tab-separated:
 *   capture-path  scanner-address-or-*  expected-kind[,other-acceptable-kind...]  [tool]
 * A relative path is relative to the labels file's directory. `*` stands for
 * spoofed or many sources; an empty kind marks a benign capture, where any
 * detection is a false positive. '#' starts a comment line.
 * Prints the table and the totals on stdout; returns 0 when every scan was
 * found with an acceptable kind (and the right tool where one is given) and
 * nothing was falsely reported, 1 otherwise, 2 on a bad labels file or an
 * unreadable capture.
 */
int eval_run(const struct eval_options *o);

#endif
