/* test_eval_labels.c — the labels file reader of `scanwatch eval` (eval_labels_read/parse). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/detection.h"
#include "scanwatch/eval.h"

/* Parses text as the labels file "dir/labels.tsv"; returns eval_labels_parse's result. */
static int parse(const char *text, size_t len, struct eval_labels *out, char *err, size_t errlen)
{
	FILE *fp = fmemopen((void *)text, len, "r");
	if (!fp)
		return -2;
	err[0] = 0;
	int r = eval_labels_parse(fp, "dir/labels.tsv", out, err, errlen);
	fclose(fp);
	return r;
}

static void test_forms(void)
{
	static const char text[] = "# comment\n"
	                           "\n"
	                           "a.pcap\t198.18.0.1\tsyn_scan, connect_scan\tnmap\n"
	                           "/abs/b.pcapng\t*\t-\n"
	                           " c.pcap \t2001:2::1\tudp_scan\t-\r\n"
	                           "d.pcap\t-\n";
	struct eval_labels set;
	char err[256];
	CHECK_EQ_U(parse(text, sizeof text - 1, &set, err, sizeof err), 0);
	CHECK_STR(err, "");
	CHECK_EQ_U(set.n, 4);
	if (set.n != 4)
		return;
	CHECK_STR(set.v[0].capture, "dir/a.pcap");
	CHECK_STR(set.v[0].shown, "a.pcap");
	CHECK(!set.v[0].any);
	CHECK_EQ_U(set.v[0].nkinds, 2);
	CHECK_EQ_U(set.v[0].kinds[0], KIND_SYN_SCAN);
	CHECK_EQ_U(set.v[0].kinds[1], KIND_CONNECT_SCAN);
	CHECK_STR(set.v[0].tool, "nmap");
	CHECK_EQ_U(set.v[0].line, 3);
	CHECK_STR(set.v[1].capture, "/abs/b.pcapng");
	CHECK(set.v[1].any);
	CHECK_EQ_U(set.v[1].nkinds, 0); /* "-": benign */
	CHECK_STR(set.v[1].tool, "");   /* not checked */
	CHECK_STR(set.v[2].capture, "dir/c.pcap");
	CHECK_STR(set.v[2].scanner_text, "2001:2::1");
	CHECK_STR(set.v[2].tool, "-");
	CHECK(set.v[3].any && set.v[3].nkinds == 0);
	CHECK_EQ_U(set.v[3].line, 6);
	eval_labels_free(&set);
	CHECK(set.v == NULL && set.n == 0);
}

/* Each refusal names the file and the line. */
static void test_refused(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"a.pcap\n", "dir/labels.tsv:1: expected capture"},
	    {"\na.pcap\tnot-an-address\tsyn_scan\n",
	     "dir/labels.tsv:2: 'not-an-address' is neither"},
	    {"a.pcap\t*\tsyn_scan,no_such_kind\n", "dir/labels.tsv:1: unknown kind 'no_such_kind'"},
	    {"a.pcap\t*\tsyn_scan\tabcdefghijklmnopq\n", "dir/labels.tsv:1: tool name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct eval_labels set;
		char err[256];
		CHECK_EQ_U(parse(cases[i].text, strlen(cases[i].text), &set, err, sizeof err),
		           (uint64_t)-1);
		CHECK(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0);
		eval_labels_free(&set);
	}
}

/* A line longer than the reader's buffer is refused, not read as two lines (it used to be:
 * its tail became a label of its own). A last line of exactly the buffer's size is whole. */
static void test_long_lines(void)
{
	size_t n = EVAL_LINE_MAX + 100;
	char *text = malloc(n + 1);
	char err[256];
	struct eval_labels set;
	if (!text)
		return;
	memset(text, 'a', n);
	/* "aaa...<TAB>*" where the tab sits past the buffer: the tail is "a...\t*" */
	text[n - 2] = '\t';
	text[n - 1] = '*';
	text[n] = 0;
	CHECK_EQ_U(parse(text, n, &set, err, sizeof err), (uint64_t)-1);
	CHECK(strstr(err, "dir/labels.tsv:1: longer than") == err);
	CHECK_EQ_U(set.n, 0);
	eval_labels_free(&set);

	/* EVAL_LINE_MAX - 1 bytes and no newline: read whole. */
	n = EVAL_LINE_MAX - 1;
	memset(text, 'b', n);
	text[n - 2] = '\t';
	text[n - 1] = '*';
	CHECK_EQ_U(parse(text, n, &set, err, sizeof err), 0);
	CHECK_EQ_U(set.n, 1);
	if (set.n == 1)
		CHECK_EQ_U(strlen(set.v[0].shown), n - 2);
	eval_labels_free(&set);
	free(text);
}

/* More labels than EVAL_MAX_LINES: refused; the array grows past its first size below that. */
static void test_many(void)
{
	const char *line = "x.pcap\t*\t-\n";
	size_t ll = strlen(line), n = (size_t)EVAL_MAX_LINES + 1;
	char *text = malloc(ll * n + 1);
	char err[256];
	struct eval_labels set;
	if (!text)
		return;
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * ll, line, ll);
	CHECK_EQ_U(parse(text, ll * (n - 1), &set, err, sizeof err), 0);
	CHECK_EQ_U(set.n, EVAL_MAX_LINES);
	eval_labels_free(&set);
	CHECK_EQ_U(parse(text, ll * n, &set, err, sizeof err), (uint64_t)-1);
	CHECK(strstr(err, "more than") != NULL);
	eval_labels_free(&set);
	free(text);
}

static void test_missing_file(void)
{
	struct eval_labels set;
	char err[256];
	CHECK_EQ_U(eval_labels_read("/nonexistent/labels.tsv", &set, err, sizeof err),
	           (uint64_t)-1);
	CHECK(strncmp(err, "/nonexistent/labels.tsv: ", 25) == 0);
	CHECK(set.v == NULL && set.n == 0);
	eval_labels_free(&set);
}

int main(void)
{
	test_forms();
	test_refused();
	test_long_lines();
	test_many();
	test_missing_file();
	CHECK_DONE();
}
