/* report.h — `scanwatch report`: one self-contained HTML page of the detections of a run. */
#ifndef SCANWATCH_REPORT_H
#define SCANWATCH_REPORT_H

/*
 * The `report` subcommand; argv[0] is "report" and the options follow:
 *
 *   report --html OUT.html [--db PATH [--run N | --all] | -r FILE...]
 *          [--rules PATH]... [--memory-cap SIZE] [--seed N] [--title TEXT]
 *
 * Reads the detections of the latest run of the database (or of run N, or of
 * every run), or replays the capture files through a fresh pipeline first,
 * and writes one HTML page with inline CSS and SVG only (no script, no
 * external asset): a timeline per source, counts by kind, top scanners,
 * most-probed ports and every detection's evidence. OUT "-" is standard
 * output; otherwise the page is written to a temporary file beside OUT and
 * renamed over it, so a failed run never leaves half a page.
 *
 * Returns the process exit status: 0 written, 1 input or output error,
 * 2 usage error, 78 (RULES_EXIT_CONFIG) when the rules do not load.
 */
int report_main(int argc, char **argv);

#endif
