/* output_template.c — the output to copy: one tab-separated line per record (time, phase, kind,
 * source), to a file or standard output. Compiled, never registered.
 *
 * A new output is this file copied and one line in output.c's outputs[] table:
 *   1. cp sensor/output_template.c sensor/output_NAME.c; rename template/tsv to NAME throughout,
 *      and the ops symbol to output_NAME_ops.
 *   2. Set .name (what `type:` in the configuration says) and .targets (where it may write;
 *      with OUTPUT_TARGET_NET also .check_url, the parser open uses: see output_syslog_check).
 *      The configuration file, --NAME style flags and open then agree on what a target is.
 *   3. Render in write(); the record is the neutral struct sw_detection (detection.h): format
 *      it, never change it. Everything runs on the emit writer thread, never the packet path.
 *   4. Add `extern const struct output_ops output_NAME_ops;` and `&output_NAME_ops` to
 *      output.c's table, and a test to tests/unit/test_output.c or test_feeds.c.
 *
 * Why it is compiled but not registered: CMake compiles every .c file of sensor/, so a change to
 * struct output_ops or the output_file helpers breaks this file's build at once instead of
 * leaving a stale example; output.c's table does not list it, so no configuration can name it.
 * tests/unit/test_templates.c opens it, writes through it and checks it stays unregistered.
 */
#include <stdio.h>
#include <stdlib.h>

#include "scanwatch/output.h"

/* Longest line: a time, a phase, a kind, an address and a number, with tabs. */
#define TEMPLATE_LINE_MAX (OUTPUT_TIME_MAX + ADDR_TEXT_MAX + 64)

/* The state open returns and every other callback gets: owned by the output. */
struct tsv {
	struct output_file file;
	char line[TEMPLATE_LINE_MAX];
};

/* target: "-" or a file path (the targets below); returns the state, or NULL with err. */
static void *tsv_open(const char *target, char *err, size_t errlen)
{
	struct tsv *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (output_file_open(&t->file, target, err, errlen) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

/* One record, rendered and written whole (one write(2) per line: readers never see half). */
static int tsv_write(void *state, const struct sw_detection *d)
{
	struct tsv *t = state;
	char when[OUTPUT_TIME_MAX], src[ADDR_TEXT_MAX];
	int n = snprintf(t->line, sizeof(t->line), "%s\t%s\t%s\t%s\t%llu\n",
	                 output_format_time(when, output_event_time(d)),
	                 detection_phase_name((enum det_phase)d->phase),
	                 detection_kind_name((enum sw_kind)d->kind),
	                 d->src_any ? "*" : addr_format(&d->src, src), (unsigned long long)d->seq);

	if (n < 0 || (size_t)n >= sizeof(t->line))
		return -1;
	return output_file_write(&t->file, t->line, (size_t)n);
}

/* Lines go out as they are written: nothing waits for the end of a batch. */
static void tsv_flush(void *state)
{
	(void)state;
}

/* SIGHUP after logrotate moved the file: a fresh one at the same path. */
static int tsv_reopen(void *state)
{
	struct tsv *t = state;

	return output_file_reopen(&t->file, "template");
}

static void tsv_close(void *state)
{
	struct tsv *t = state;

	if (t == NULL)
		return;
	output_file_close(&t->file);
	free(t);
}

/* Declared here, not in output.h: nothing but the template's test may use it. */
extern const struct output_ops output_template_ops;

const struct output_ops output_template_ops = {
    .name = "template",
    .targets = OUTPUT_TARGET_STDOUT | OUTPUT_TARGET_FILE,
    .open = tsv_open,
    .write = tsv_write,
    .flush = tsv_flush,
    .reopen = tsv_reopen,
    .close = tsv_close,
};
