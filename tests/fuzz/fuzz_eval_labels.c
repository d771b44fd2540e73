/* fuzz_eval_labels.c — libFuzzer target: arbitrary bytes as the labels file of `scanwatch eval`
 * through eval_labels_parse (sensor/eval.c), the reader eval_run uses (eval_labels_read opens
 * the file and hands the stream to it).
 *
 * The input is read through a stdio stream over its bytes (fmemopen), as the file is. What the
 * reader gives must hold what eval_run relies on (eval.h): a refused file says which file (and
 * line); every label read has its capture and its shown path, a scanner that is "*"/"-" or an
 * address that formats back, at most EVAL_MAX_KINDS kinds each in the kinds vocabulary, a tool
 * name that fits, and line numbers that grow; no more than EVAL_MAX_LINES labels.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/detection.h"
#include "scanwatch/eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "fuzz/labels.tsv";
	char err[1024];
	/* A stream over the bytes, as eval_labels_read's fopen gives (no file system round trip:
	 * the reader is the same, and this runs ten times faster than a memfd). */
	FILE *fp = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!fp)
		abort();
	struct eval_labels set;
	err[0] = 0;
	int r = eval_labels_parse(fp, path, &set, err, sizeof err);
	if (r < 0 && strncmp(err, path, strlen(path)) != 0)
		abort(); /* an error that does not start with the file's name */
	if (r == 0 && err[0] != 0)
		abort(); /* a message without a failure */
	if (set.n > EVAL_MAX_LINES || (set.n && !set.v))
		abort();
	/* The last label of a refused file may be the one that failed: its fields are partial. */
	size_t whole = r < 0 && set.n ? set.n - 1 : set.n;
	int last_line = 0;
	for (size_t i = 0; i < set.n; i++) {
		const struct eval_label *l = &set.v[i];
		if (l->line <= last_line)
			abort();
		last_line = l->line;
		if (i >= whole)
			continue;
		if (!l->capture || !l->shown || strstr(l->capture, l->shown) == NULL)
			abort(); /* the resolved path ends with the path as written */
		if (memchr(l->scanner_text, 0, sizeof l->scanner_text) == NULL ||
		    memchr(l->tool, 0, sizeof l->tool) == NULL)
			abort();
		if (!l->any) {
			/* An address read from the file formats back to one that parses the same.
			 */
			char text[ADDR_TEXT_MAX];
			struct sw_addr back;
			if (addr_parse(addr_format(&l->scanner, text), &back) < 0 ||
			    !addr_eq(&back, &l->scanner))
				abort();
		}
		if (l->nkinds > EVAL_MAX_KINDS)
			abort();
		for (unsigned k = 0; k < l->nkinds; k++) {
			enum sw_kind kind;
			const char *name = detection_kind_name((enum sw_kind)l->kinds[k]);
			if (detection_kind_parse(name, &kind) < 0 || kind != l->kinds[k])
				abort(); /* a kind outside the vocabulary */
		}
	}
	eval_labels_free(&set);
	if (set.v || set.n)
		abort();
	fclose(fp);
	return 0;
}
