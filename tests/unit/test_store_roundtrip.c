/* test_store_roundtrip.c — the differential test of the store's two directions: every capture it
 * can find is replayed by the sensor into a database (`scanwatch -r CAP --db DB --json`), every
 * row is read back through the store's read API, and each record, rendered as the sensor's JSON
 * line, must be byte for byte the last line the sensor printed for that detection.
 *
 * Captures: tests/captures/sample.pcapng; scanprobe dry runs of every scan kind it makes
 * (generated here, when scanprobe is built); the real-tool corpus of tests/netns/corpus.sh when
 * present ($SW_CORPUS_REUSE, else $SW_WORK_DIR/corpus). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/output.h"
#include "scanwatch/store.h"

/* Room for one JSON line of the sensor (as output_console.c's). */
#define LINE_MAX_LEN 16384
#define MAX_CAPTURES 512
/* Detections of one capture this test keeps lines for. */
#define MAX_DETECTIONS 4096

/* scanprobe dry runs: the scan kinds of tests/captures/test_probe_eval.sh. */
static const char *const probe_runs[] = {
    "-sS -p 1-200 198.18.1.2",
    "-sT -p 1-200 198.18.1.2",
    "-sF -p 1-100 198.18.1.2",
    "-sN -p 1-100 198.18.1.2",
    "-sX -p 1-100 198.18.1.2",
    "-sA -p 1-100 198.18.1.2",
    "-sM -p 1-100 198.18.1.2",
    "-sW -p 1-100 198.18.1.2",
    "-sU -p 1-60 198.18.1.2",
    "-sO -p 1-40 198.18.1.2",
    "-sn -PE 198.18.2.0/26",
    "-sn -PP 198.18.2.0/26",
    "-sn -PS80 198.18.2.0/26",
    "-sn -PA80 198.18.2.0/26",
    "-sn -PR 198.18.2.0/26",
    "--flood syn --count 5000 198.18.1.2",
    "--flood rst --count 2000 198.18.1.2",
    "-sS --scanners 3 -p 1-50 198.18.1.2",
    "-6 -sS -p 1-100 2001:2::2",
    "-6 -sU -p 1-60 2001:2::2",
    "-6 -sn -PE 2001:2::1-40",
};

static char tmp[] = "/tmp/sw-test-roundtrip-XXXXXX";
static char *captures[MAX_CAPTURES];
static size_t ncaptures;

static void add_capture(const char *path)
{
	if (ncaptures < MAX_CAPTURES && access(path, R_OK) == 0)
		captures[ncaptures++] = strdup(path);
}

static void add_dir(const char *dir)
{
	DIR *d = dir != NULL ? opendir(dir) : NULL;
	struct dirent *e;
	char path[1024];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if ((n > 5 && strcmp(e->d_name + n - 5, ".pcap") == 0) ||
		    (n > 7 && strcmp(e->d_name + n - 7, ".pcapng") == 0)) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			add_capture(path);
		}
	}
	closedir(d);
}

/* The lines the sensor printed, the last one per detection (by its "seq"). */
struct lines {
	char *last[MAX_DETECTIONS]; /* index seq - 1 */
	size_t n;                   /* highest seq seen */
};

static int read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(LINE_MAX_LEN);

	memset(l, 0, sizeof(*l));
	if (f == NULL || buf == NULL) {
		free(buf);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	while (fgets(buf, LINE_MAX_LEN, f) != NULL) {
		const char *p = strstr(buf, "\"seq\":");
		unsigned long seq = p != NULL ? strtoul(p + 6, NULL, 10) : 0;

		buf[strcspn(buf, "\n")] = '\0';
		if (seq == 0 || seq > MAX_DETECTIONS)
			continue;
		free(l->last[seq - 1]);
		l->last[seq - 1] = strdup(buf);
		if (seq > l->n)
			l->n = seq;
	}
	free(buf);
	fclose(f);
	return 0;
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->last[i]);
}

struct compare {
	const char *capture;
	struct lines *lines;
	size_t rows, same;
	char rendered[LINE_MAX_LEN];
};

static int compare_row(void *ctx, const struct store_row *row)
{
	struct compare *c = ctx;
	const char *want =
	    row->d.seq >= 1 && row->d.seq <= c->lines->n ? c->lines->last[row->d.seq - 1] : NULL;

	c->rows++;
	if (output_json_render(&row->d, c->rendered, sizeof(c->rendered)) < 0 || want == NULL ||
	    strcmp(c->rendered, want) != 0) {
		fprintf(stderr, "%s: detection %llu differs\n  printed: %s\n  stored:  %s\n",
		        c->capture, (unsigned long long)row->d.seq, want ? want : "(none)",
		        c->rendered);
		return 0;
	}
	c->same++;
	return 0;
}

/* One capture: replayed into a fresh database, every row compared. 0, or -1. */
static int roundtrip(const char *scanwatch, const char *capture, size_t *total)
{
	char db[512], out[512], cmd[4096], err[256];
	struct compare c = {.capture = capture};
	struct lines *l = calloc(1, sizeof(*l));
	struct store_reader *r;
	int rc = -1;

	snprintf(db, sizeof(db), "%s/rt.db", tmp);
	snprintf(out, sizeof(out), "%s/rt.jsonl", tmp);
	snprintf(cmd, sizeof(cmd),
	         "rm -f '%s' '%s'-*; '%s' -r '%s' --db '%s' --json --seed 1 >'%s' 2>/dev/null", db,
	         db, scanwatch, capture, db, out);
	if (l == NULL || system(cmd) != 0 || read_lines(out, l) < 0) {
		fprintf(stderr, "%s: the replay failed (%s)\n", capture, cmd);
		goto out;
	}
	c.lines = l;
	r = store_read_open(db, err, sizeof(err));
	if (r == NULL) {
		fprintf(stderr, "%s: %s\n", capture, err);
		goto out;
	}
	if (store_read_detections(r, &(struct store_filter){0}, compare_row, &c, err, sizeof(err)) <
	    0)
		fprintf(stderr, "%s: %s\n", capture, err);
	else if (c.rows != l->n)
		fprintf(stderr, "%s: %zu rows stored, %zu detections printed\n", capture, c.rows,
		        l->n);
	else if (c.same == c.rows && store_read_skipped(r, NULL) == 0)
		rc = 0;
	store_read_close(r);
	*total += c.same;
out:
	if (l != NULL)
		free_lines(l);
	free(l);
	return rc;
}

int main(void)
{
	const char *src = getenv("SW_SOURCE_DIR"), *build = getenv("SW_BUILD_DIR");
	const char *reuse = getenv("SW_CORPUS_REUSE"), *work = getenv("SW_WORK_DIR");
	char scanwatch[1024], scanprobe[1024], path[1024], cmd[4096];
	size_t total = 0, generated = 0;

	if (src == NULL || build == NULL || mkdtemp(tmp) == NULL) {
		fprintf(stderr, "needs SW_SOURCE_DIR and SW_BUILD_DIR (ctest sets them, and "
		                "SCANWATCH, SCANPROBE)\n");
		return 1;
	}
	snprintf(scanwatch, sizeof(scanwatch), "%s",
	         getenv("SCANWATCH") ? getenv("SCANWATCH") : "scanwatch");
	snprintf(scanprobe, sizeof(scanprobe), "%s",
	         getenv("SCANPROBE") ? getenv("SCANPROBE") : "");
	snprintf(path, sizeof(path), "%s/tests/captures/sample.pcapng", src);
	add_capture(path);
	if (access(scanprobe, X_OK) == 0) {
		for (size_t i = 0; i < sizeof(probe_runs) / sizeof(probe_runs[0]); i++) {
			snprintf(path, sizeof(path), "%s/probe%zu.pcap", tmp, i);
			snprintf(cmd, sizeof(cmd),
			         "'%s' %s --write '%s' --seed %zu --background 40 >/dev/null 2>&1",
			         scanprobe, probe_runs[i], path, i + 1);
			CHECK(system(cmd) == 0);
			generated += access(path, R_OK) == 0;
			add_capture(path);
		}
	}
	if (reuse != NULL) {
		add_dir(reuse);
	} else if (work != NULL) {
		snprintf(path, sizeof(path), "%s/corpus", work);
		add_dir(path);
	}
	for (size_t i = 0; i < ncaptures; i++) {
		CHECK(roundtrip(scanwatch, captures[i], &total) == 0);
		free(captures[i]);
	}
	printf("%zu captures (%zu scanprobe dry runs), %zu detections identical after the round "
	       "trip\n",
	       ncaptures, generated, total);
	CHECK(total > 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	CHECK_DONE();
}
