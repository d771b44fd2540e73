/* test_output.c — the output registry, the JSON rendering and the console sinks (text and JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/output.h"

static char dir[] = "/tmp/sw-test-output-XXXXXX";

static const char syn_open_json[] =
    "{\"phase\":\"open\",\"seq\":7,\"rule_id\":\"SW-TCP-SYN-001\",\"rule_name\":\"TCP SYN scan\","
    "\"kind\":\"syn_scan\",\"severity\":\"medium\",\"src_ip\":\"198.18.0.2\","
    "\"target_ip\":\"198.18.1.2\",\"proto\":6,\"first_seen\":\"2026-11-26T04:28:29.000001Z\","
    "\"opened_at\":\"2026-11-26T04:28:29.123456Z\",\"last_seen\":\"2026-11-26T04:28:29.123456Z\","
    "\"closed_at\":null,\"probes\":5,\"probes_at_open\":5,\"distinct_targets\":1,"
    "\"distinct_ports\":5,\"sample_ports\":[22,443],\"sample_targets\":[\"198.18.1.2\"],"
    "\"tags\":[\"T1046\",\"T1595.001\"],\"tool\":\"nmap\","
    "\"evidence\":\"5 ports in 0.1s; \\\"window\\\" 1024\","
    "\"reasons\":[{\"name\":\"text\",\"count\":0,\"text\":\"5 ports in "
    "0.1s\"},{\"name\":\"text\",\"count\":0,\"text\":\"\\\"window\\\" 1024\"}]}";

static const char syn_open_text[] =
    "2026-11-26T04:28:29.123456Z OPEN  syn_scan      198.18.0.2 -> 198.18.1.2 ports=5 targets=1 "
    "probes=5 tool=nmap rule=SW-TCP-SYN-001 severity=medium\n";
static const char syn_close_text[] =
    "2026-11-26T04:28:41.000000Z CLOSE syn_scan      198.18.0.2 -> 198.18.1.2 ports=1000 "
    "targets=1 probes=1999 duration=11.9s tool=nmap rule=SW-TCP-SYN-001\n";

static void test_registry(void)
{
	const struct output_ops *c = output_lookup("console"), *j = output_lookup("console-json");

	CHECK(c != NULL && strcmp(c->name, "console") == 0);
	CHECK(j != NULL && strcmp(j->name, "console-json") == 0);
	CHECK(output_lookup("no-such-output") == NULL);
	CHECK(output_lookup(NULL) == NULL);
}

static void test_render(void)
{
	struct sw_detection d;
	char buf[49152];
	int len;

	fixture_syn(&d, DET_OPEN);
	len = output_json_render(&d, buf, sizeof(buf));
	CHECK_STR(buf, syn_open_json);
	CHECK_EQ_U(len, strlen(syn_open_json));

	/* Too small at every size: -1, and ASan sees no byte past the block. */
	for (size_t cap = 1; cap <= (size_t)len; cap++) {
		char *small = malloc(cap);

		if (small == NULL)
			abort();
		CHECK(output_json_render(&d, small, cap) == -1);
		free(small);
	}

	fixture_syn(&d, DET_CLOSE);
	len = output_json_render(&d, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(strstr(buf, "\"phase\":\"close\"") != NULL);
	CHECK(strstr(buf, "\"closed_at\":\"2026-11-26T04:28:41.000000Z\"") != NULL);

	/* Many spoofed sources, no single target, a campaign, no tool. */
	memset(&d, 0, sizeof(d));
	d.phase = DET_UPDATE;
	d.kind = KIND_SYN_FLOOD;
	d.severity = SEV_CRITICAL;
	d.src_any = 1;
	d.n_sample_sources = 2;
	d.sample_sources[0] = fixture_ip("2001:2::7");
	d.sample_sources[1] = fixture_ip("198.18.3.4");
	snprintf(d.campaign, sizeof(d.campaign), "c-42");
	/* an empty item (a corrupt record's) is skipped, not rendered as "" */
	fixture_tags(&d, "T1498");
	d.n_tags = 3;
	d.tags[1][0] = '\0';
	snprintf(d.tags[2], sizeof d.tags[2], "T1499.002");
	len = output_json_render(&d, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK(strstr(buf, "\"phase\":\"update\"") != NULL);
	CHECK(strstr(buf, "\"src_ip\":\"*\"") != NULL);
	CHECK(strstr(buf, "target_ip") == NULL);
	CHECK(strstr(buf, "\"sample_sources\":[\"2001:2::7\",\"198.18.3.4\"]") != NULL);
	CHECK(strstr(buf, "\"campaign\":\"c-42\"") != NULL);
	CHECK(strstr(buf, "\"tags\":[\"T1498\",\"T1499.002\"]") != NULL);
	CHECK(strstr(buf, "\"tool\":\"\"") != NULL);

	/*
	 * A corrupt record: strings without NUL, control bytes and invalid
	 * UTF-8 everywhere, sample counts past the arrays, unknown enums.
	 */
	memset(&d, 0xff, sizeof(d));
	memset(d.reasons, 0x01, sizeof(d.reasons));
	memset(d.rule_name, 0xc3, sizeof(d.rule_name));
	d.phase = 9;
	len = output_json_render(&d, buf, sizeof(buf));
	CHECK(len > 0);
	for (int i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] == 0xff)
			CHECK(!"raw control or 0xff byte in JSON");
	CHECK(strstr(buf, "\"kind\":\"unknown\"") != NULL);
	CHECK(strstr(buf, "\"sample_ports\":[65535,65535,65535,65535,65535,65535,65535,65535,"
	                  "65535,65535,65535,65535,65535,65535,65535,65535]") != NULL);
}

static void test_console(void)
{
	const struct output_ops *ops = output_lookup("console");
	struct sw_detection d;
	char path[300], rotated[300], got[8192], expect[8192], err[256];
	void *st;

	snprintf(path, sizeof(path), "%s/console.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/console.log.1", dir);

	st = ops->open(path, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	fixture_syn(&d, DET_OPEN);
	CHECK(ops->write(st, &d) == 0);
	fixture_syn(&d, DET_UPDATE);
	CHECK(ops->write(st, &d) == 0); /* not printed in text mode */
	fixture_syn(&d, DET_CLOSE);
	CHECK(ops->write(st, &d) == 0);
	ops->flush(st);
	fixture_read_file(path, got, sizeof(got));
	snprintf(expect, sizeof(expect), "%s%s", syn_open_text, syn_close_text);
	CHECK_STR(got, expect);

	/* logrotate moved the file: reopen starts a new one at the path. */
	CHECK(rename(path, rotated) == 0);
	CHECK(ops->reopen(st) == 0);
	/* Many targets, any source, a terminal escape in the rule id. */
	fixture_syn(&d, DET_OPEN);
	d.has_target = 0;
	d.distinct_targets = 254;
	d.src_any = 1;
	d.tool[0] = '\0';
	snprintf(d.rule_id, sizeof(d.rule_id), "R\x1b[31m1");
	CHECK(ops->write(st, &d) == 0);
	ops->close(st);
	fixture_read_file(rotated, got, sizeof(got));
	CHECK_STR(got, expect);
	fixture_read_file(path, got, sizeof(got));
	CHECK_STR(got, "2026-11-26T04:28:29.123456Z OPEN  syn_scan      * -> 254 hosts ports=5 "
	               "targets=254 probes=5 rule=R?[31m1 severity=medium\n");

	/* console-json: every phase, one rendered object per line, appended. */
	ops = output_lookup("console-json");
	unlink(path);
	st = ops->open(path, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	expect[0] = '\0';
	for (int p = DET_OPEN; p <= DET_CLOSE; p++) {
		char line[4096];

		fixture_syn(&d, (enum det_phase)p);
		CHECK(ops->write(st, &d) == 0);
		CHECK(output_json_render(&d, line, sizeof(line)) > 0);
		strcat(expect, line);
		strcat(expect, "\n");
	}
	ops->close(st);
	fixture_read_file(path, got, sizeof(got));
	CHECK_STR(got, expect);

	/* An unwritable target is an error with the path in the message. */
	snprintf(path, sizeof(path), "%s/missing/dir/out.log", dir);
	err[0] = '\0';
	CHECK(ops->open(path, err, sizeof(err)) == NULL);
	CHECK(strstr(err, path) != NULL);
	/* "-" is stdout; close must not close it. */
	st = ops->open("-", err, sizeof(err));
	CHECK(st != NULL);
	ops->close(st);
	CHECK(fflush(stdout) == 0);

	unlink(rotated);
	snprintf(path, sizeof(path), "%s/console.log", dir);
	unlink(path);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_registry();
	test_render();
	test_console();
	rmdir(dir);
	CHECK_DONE();
}
