/* test_report.c — `scanwatch report`: runs chosen, rows per source, lanes, escaping, exit codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/report.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-report-XXXXXX";
static char dbpath[256], outpath[256];

static struct sw_addr ip(const char *text)
{
	struct sw_addr a;

	if (addr_parse(text, &a) != 0) {
		fprintf(stderr, "bad test address %s\n", text);
		abort();
	}
	return a;
}

/* A closed detection of kind from src, probes packets between t0 and t1 (seconds). */
static void make(struct sw_detection *d, uint64_t seq, enum sw_kind kind, const char *src,
                 unsigned t0, unsigned t1, const char *evidence)
{
	memset(d, 0, sizeof(*d));
	d->seq = seq;
	d->phase = DET_OPEN;
	d->kind = (uint8_t)kind;
	d->severity = SEV_MEDIUM;
	d->proto = 6;
	snprintf(d->rule_id, sizeof(d->rule_id), "SW-TEST-%03u", (unsigned)seq);
	snprintf(d->rule_name, sizeof(d->rule_name), "test rule %u", (unsigned)seq);
	d->src = ip(src);
	d->first_seen = 1795667300000000ull + t0 * 1000000ull;
	d->opened_at = d->first_seen + 1000;
	d->last_seen = 1795667300000000ull + t1 * 1000000ull;
	d->closed_at = d->last_seen + 30000000ull;
	d->probes = 100;
	d->probes_at_open = 5;
	d->distinct_targets = 1;
	d->distinct_ports = 100;
	d->n_sample_ports = 2;
	d->sample_ports[0] = 22;
	d->sample_ports[1] = 8080;
	fixture_reasons(d, evidence);
}

/* Reads the whole report (NUL-terminated; the caller frees it). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static int run(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5)
{
	char *argv[] = {"report", (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
	int argc = 1;
	while (argv[argc])
		argc++;
	return report_main(argc, argv);
}

int main(void)
{
	char err[512];
	struct sw_detection d[4];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/r.db", dir);
	snprintf(outpath, sizeof(outpath), "%s/r.html", dir);

	struct store *s = store_open(dbpath, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		CHECK_DONE();
	}
	/* Run 1: one source with two overlapping detections (two lanes), a second source, and
	 * hostile strings in the evidence. Run 2: one detection of a third source. */
	int64_t r1 = store_run_begin(s, "one.pcap", "test", 1);
	make(&d[0], 1, KIND_SYN_SCAN, "198.18.0.1", 0, 20, "plain");
	make(&d[1], 2, KIND_OS_FINGERPRINT, "198.18.0.1", 5, 10, "<script>x</script>; a&b");
	make(&d[2], 3, KIND_UDP_SCAN, "2001:2::9", 30, 40, "\"quoted\" 'single'");
	CHECK(store_write(s, r1, d, 3) == 0);
	int64_t r2 = store_run_begin(s, "two.pcap", "test", 2);
	make(&d[3], 1, KIND_ICMP_SWEEP, "198.18.0.7", 0, 5, "later run");
	CHECK(store_write(s, r2, &d[3], 1) == 0);
	store_close(s);

	/* Default: the latest run only. */
	CHECK_EQ_U(run("--html", outpath, "--db", dbpath, NULL), 0);
	char *html = slurp(outpath);
	CHECK(html != NULL);
	if (html) {
		CHECK_EQ_U(count(html, "class=\"timeline-row\""), 1);
		CHECK(strstr(html, "data-src=\"198.18.0.7\"") != NULL);
		CHECK(strstr(html, "198.18.0.1") == NULL);
		free(html);
	}

	/* --run 1: two sources, two lanes in the first row, every string escaped. */
	CHECK_EQ_U(run("--html", outpath, "--db", dbpath, "--run=1"), 0);
	html = slurp(outpath);
	CHECK(html != NULL);
	if (html) {
		CHECK_EQ_U(count(html, "class=\"timeline-row\""), 2);
		CHECK(strstr(html, "data-src=\"198.18.0.1\"") != NULL);
		CHECK(strstr(html, "data-src=\"2001:2::9\"") != NULL);
		CHECK_EQ_U(count(html, "<g class=\"bar\">"), 3);
		CHECK(strstr(html, "<script") == NULL);
		CHECK(strstr(html, "<li>&lt;script&gt;x&lt;/script&gt;</li><li>a&amp;b</li>") !=
		      NULL);
		CHECK(strstr(html, "&quot;quoted&quot; &#39;single&#39;") != NULL);
		CHECK(strstr(html, "8080/tcp") != NULL);
		/* Self-contained: nothing is fetched. */
		CHECK(strstr(html, " src=") == NULL); /* data-src= is ours */
		CHECK(strstr(html, " href=") == NULL);
		free(html);
	}

	/* --all: three sources. */
	CHECK_EQ_U(run("--html", outpath, "--db", dbpath, "--all"), 0);
	html = slurp(outpath);
	if (html) {
		CHECK_EQ_U(count(html, "class=\"timeline-row\""), 3);
		free(html);
	}

	/* Errors: a missing run or database is an input error (1) and leaves no file behind. */
	CHECK(unlink(outpath) == 0);
	CHECK_EQ_U(run("--html", outpath, "--db", dbpath, "--run=9"), 1);
	CHECK(access(outpath, F_OK) != 0);
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/missing.db", dir);
	CHECK_EQ_U(run("--html", outpath, "--db", missing, NULL), 1);
	CHECK(access(missing, F_OK) != 0); /* read-only: never creates a database */
	/* Usage errors (2). */
	CHECK_EQ_U(run("--db", dbpath, NULL, NULL, NULL), 2);
	CHECK_EQ_U(run("--html", outpath, "--db", dbpath, "-r"), 2);
	CHECK_EQ_U(run("--html", outpath, "--run=1", "--all", NULL), 2);
	CHECK_EQ_U(run("--html", outpath, "-r", "x.pcap", "--all"), 2);

	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	CHECK_DONE();
}
