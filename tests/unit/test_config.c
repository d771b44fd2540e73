/* test_config.c — the sensor YAML loader: every key, defaults, path resolution, every rejection. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/config.h"
#include "scanwatch/output.h"

static char src_dir[4096];

static const char *fixture(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/tests/unit/config/%s", src_dir, rel);
	return buf;
}

static bool cidr_is(const struct sw_cidr *c, const char *text)
{
	struct sw_cidr want;

	if (addr_cidr_parse(text, &want) < 0)
		return false;
	return c->plen == want.plen && memcmp(c->base.a, want.base.a, 16) == 0;
}

static void test_full(void)
{
	struct sw_config *c = NULL;
	char path[4200], want[4300], err[512] = "";

	fixture(path, sizeof path, "good/full.yaml");
	CHECK(config_load(path, &c, err, sizeof err) == 0);
	CHECK_STR(err, "");
	if (!c)
		return;
	CHECK_STR(c->path, path);
	CHECK_EQ_U(c->present, CONFIG_INTERFACE | CONFIG_FILTER | CONFIG_SNAPLEN |
	                           CONFIG_PROMISCUOUS | CONFIG_BUFFER_SIZE | CONFIG_USER |
	                           CONFIG_DATABASE | CONFIG_MEMORY_CAP | CONFIG_STATS_INTERVAL |
	                           CONFIG_HOME_NET | CONFIG_RULES | CONFIG_OUTPUTS |
	                           CONFIG_ALLOW_ROOT | CONFIG_SANDBOX | CONFIG_SENSOR_ID |
	                           CONFIG_SITE_TAGS | CONFIG_WORKERS);
	CHECK_STR(c->interface, "eth1");
	CHECK_STR(c->sensor_id, "edge-1.par");
	CHECK_EQ_U(c->nsite_tags, 2);
	if (c->nsite_tags == 2) {
		CHECK_STR(c->site_tags[0], "site=par1");
		CHECK_STR(c->site_tags[1], "zone=dmz");
	}
	CHECK_STR(c->filter, "not port 22 and not host 198.18.0.9");
	CHECK_EQ_U(c->snaplen, 128);
	CHECK(c->promiscuous == false);
	CHECK_EQ_U(c->buffer_size, 64ull << 20);
	CHECK_STR(c->user, "nobody");
	CHECK_STR(c->database, "/var/lib/scanwatch/scanwatch.db");
	CHECK_EQ_U(c->memory_cap, 512ull << 20);
	CHECK_EQ_U(c->workers, 2);
	CHECK_EQ_U(c->stats_interval_us, 300ull * 1000000);
	CHECK_EQ_U(c->nhome, 2);
	if (c->nhome == 2) {
		CHECK(cidr_is(&c->home_net[0], "198.18.0.0/15"));
		CHECK(cidr_is(&c->home_net[1], "2001:2::/48"));
	}
	CHECK_EQ_U(c->nrules, 2);
	if (c->nrules == 2) {
		CHECK_STR(c->rules[0], "/etc/scanwatch/rules.d");
		/* Relative: resolved against the config file's directory. */
		fixture(want, sizeof want, "good/local.yaml");
		CHECK_STR(c->rules[1], want);
	}
	CHECK_EQ_U(c->noutputs, 6);
	if (c->noutputs == 6) {
		CHECK_STR(c->outputs[0].type, "jsonl");
		CHECK_STR(c->outputs[0].target, "/var/log/scanwatch/detections.jsonl");
		CHECK_EQ_U(c->outputs[0].line, 20);
		CHECK_STR(c->outputs[1].type, "syslog");
		CHECK_STR(c->outputs[1].target, "udp://198.18.0.1:514");
		CHECK_EQ_U(c->outputs[1].line, 21);
		CHECK_STR(c->outputs[2].type, "cef");
		CHECK_STR(c->outputs[2].target, "tcp://[2001:2::1]:6514");
		CHECK_STR(c->outputs[3].type, "console");
		CHECK_STR(c->outputs[3].target, "-"); /* defaulted */
		CHECK_STR(c->outputs[4].type, "console-json");
		CHECK_STR(c->outputs[4].target, "-");
		CHECK_STR(c->outputs[5].type, "jsonl");
		fixture(want, sizeof want, "good/out/detections.jsonl");
		CHECK_STR(c->outputs[5].target, want);
	}
	CHECK(c->allow_root == true);
	CHECK((c->present & CONFIG_SANDBOX) && c->sandbox == false);
	config_free(c);
}

/* Files that set nothing, or little: defaults everywhere else. */
static void test_defaults(void)
{
	static const char *const empty[] = {"good/empty.yaml", "good/comments_only.yaml"};
	struct sw_config *c = NULL;
	char path[4200], want[4300], err[512] = "";

	for (size_t i = 0; i < 2; i++) {
		c = NULL;
		fixture(path, sizeof path, empty[i]);
		CHECK(config_load(path, &c, err, sizeof err) == 0);
		CHECK_STR(err, "");
		if (!c)
			continue;
		CHECK_EQ_U(c->present, 0);
		CHECK(c->interface == NULL && c->filter == NULL && c->user == NULL &&
		      c->database == NULL);
		CHECK_EQ_U(c->snaplen, 0);
		CHECK_EQ_U(c->buffer_size, 0);
		CHECK_EQ_U(c->memory_cap, 0);
		CHECK_EQ_U(c->stats_interval_us, CONFIG_STATS_INTERVAL_DEFAULT_US);
		CHECK_EQ_U(c->stats_interval_us, 60000000);
		CHECK_EQ_U(c->nhome + c->nrules + c->noutputs, 0);
		CHECK(!c->promiscuous && !c->allow_root);
		CHECK(c->sandbox); /* on unless turned off */
		config_free(c);
	}

	c = NULL;
	fixture(path, sizeof path, "good/minimal.yaml");
	CHECK(config_load(path, &c, err, sizeof err) == 0);
	if (c) {
		CHECK_EQ_U(c->present, CONFIG_INTERFACE | CONFIG_DATABASE | CONFIG_OUTPUTS);
		CHECK_STR(c->interface, "sw-tgt");
		fixture(want, sizeof want, "good/sensor.db");
		CHECK_STR(c->database, want);
		CHECK_EQ_U(c->noutputs, 0); /* outputs: [] means none */
		config_free(c);
	}
}

/* A nats output from the file: the same URL check as --nats (output_check_target). */
static void test_nats(void)
{
	char path[4200], err[512] = "";
	struct sw_config *c = NULL;

	fixture(path, sizeof path, "good/nats.yaml");
	CHECK(config_load(path, &c, err, sizeof err) == 0);
	CHECK_STR(err, "");
	if (c == NULL)
		return;
	CHECK_EQ_U(c->noutputs, 1);
	if (c->noutputs == 1) {
		CHECK_STR(c->outputs[0].type, "nats");
		CHECK_STR(c->outputs[0].target, "nats://edge@198.18.0.1:4222?backlog=500");
	}
	config_free(c);
}

/* A config named without a directory: relative paths stay relative to the working directory. */
static void test_bare_name(void)
{
	char dir[4200], cwd[4096], err[512] = "";
	struct sw_config *c = NULL;

	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	fixture(dir, sizeof dir, "good");
	CHECK(chdir(dir) == 0);
	CHECK(config_load("minimal.yaml", &c, err, sizeof err) == 0);
	if (c) {
		CHECK_STR(c->database, "sensor.db");
		config_free(c);
	}
	CHECK(chdir(cwd) == 0);
}

/* Each bad fixture with the exact message after "PATH:". */
static const struct {
	const char *file, *msg;
} bad[] = {
    {"allow_root_num.yaml", "1:13: allow_root must be true or false, got '1'"},
    {"sandbox_word.yaml", "1:10: sandbox must be true or false, got 'off'"},
    {"nats_backlog.yaml",
     "2:26: bad nats target 'nats://198.18.0.1?backlog=0': backlog must be a number from 1 to "
     "1000000"},
    {"sensor_id_star.yaml", "1:12: bad sensor_id 'edge*': a sensor id holds only letters, digits, "
                            "'.', '_' and '-' (it names a NATS subject)"},
    {"site_tag_nokey.yaml",
     "3:5: bad site tag 'dmz': a site tag is KEY=VALUE: KEY of letters, digits and '_' (at most "
     "32), VALUE of letters, digits and . _ - : / @ + (at most 96 in all)"},
    {"buffer_big.yaml", "1:14: buffer_size must be between 64K and 2G - 1 byte (libpcap's limit)"},
    {"buffer_small.yaml",
     "1:14: buffer_size must be between 64K and 2G - 1 byte (libpcap's limit)"},
    {"buffer_unit.yaml",
     "1:14: bad size '64MB' for buffer_size (a number of bytes, or with K, M, G or T)"},
    {"console_file.yaml", "2:29: console target '/tmp/x' must be '-' (standard output)"},
    {"deep.yaml", "1:17: nested deeper than 8 levels"},
    {"dup_key.yaml", "3:1: duplicate key 'interface' (first at line 1)"},
    {"filter_empty.yaml", "1:9: 'filter' must not be empty (leave it out to capture everything)"},
    {"home_cidr.yaml", "3:5: bad CIDR '198.18.0.0/33' in home_net"},
    {"home_scalar.yaml", "1:11: expected a list for 'home_net', found a scalar"},
    {"iface_empty.yaml", "1:12: 'interface' must not be empty"},
    {"iface_list.yaml", "1:12: expected a scalar for 'interface', found a list"},
    {"iface_long.yaml", "1:12: interface name 'abcdefghijklmnopq' is longer than 15 bytes"},
    {"iface_slash.yaml", "1:12: 'eth0/1' is not a valid interface name"},
    {"indent.yaml", "2:10: YAML syntax error: mapping values are not allowed in this context"},
    {"jsonl_net.yaml", "2:27: jsonl target 'udp://198.18.0.1:514' must be a file path or '-'"},
    {"memcap_zero.yaml", "1:13: memory_cap must be greater than zero"},
    {"not_mapping.yaml",
     "1:1: expected a mapping at top level (interface, database...), found a list"},
    {"nul.yaml", "1:7: 'user' contains a NUL character"},
    {"output_dup.yaml", "3:5: duplicate key 'type' in output (first at line 2)"},
    {"output_key.yaml", "2:30: unknown key 'format' in output (expected one of: type, target)"},
    {"output_no_target.yaml", "2:5: syslog output is missing required key 'target'"},
    {"output_no_type.yaml", "2:5: output is missing required key 'type'"},
    {"output_scalar.yaml",
     "2:5: expected a mapping for an output ({type: ..., target: ...}), found a scalar"},
    {"output_type.yaml", "2:12: unknown output type 'splunk' (expected one of: jsonl, syslog, "
                         "cef, console, console-json, nats)"},
    {"promisc_yes.yaml", "1:14: promiscuous must be true or false, got 'yes'"},
    {"reader.yaml", "2:7: invalid input: control characters are not allowed"},
    {"rules_empty.yaml", "1:8: empty rules list (name rule files or directories, or leave "
                         "'rules' out for the built-in rules)"},
    {"rules_map.yaml", "2:5: expected a scalar for 'rules', found a mapping"},
    {"snaplen_big.yaml", "1:10: snaplen must be an integer from 64 to 262144, got '262145'"},
    {"snaplen_small.yaml", "1:10: snaplen must be an integer from 64 to 262144, got '63'"},
    {"snaplen_text.yaml", "1:10: snaplen must be an integer from 64 to 262144, got '0x100'"},
    {"stats_short.yaml", "1:17: stats_interval must be at least 1s, got '500ms'"},
    {"stats_unit.yaml", "1:17: bad duration '10x' for stats_interval (a number with unit ms, s, "
                        "m, h or d, below 30 days)"},
    {"syntax.yaml", "3:1: YAML syntax error: found unexpected end of stream (while scanning a "
                    "quoted scalar at 2:9)"},
    {"syslog_file.yaml", "2:28: syslog target '/var/log/x' must be udp://, tcp://, "
                         "tls:// or relp://HOST:PORT"},
    {"syslog_option.yaml", "2:28: bad syslog target 'udp://198.18.0.1?facility=local9': "
                           "facility must be local0..local7, a name of RFC 5424 Table 1 or "
                           "0..23"},
    {"syslog_port.yaml", "2:28: bad syslog target 'udp://198.18.0.1:65536': the port must be a "
                         "number from 1 to 65535"},
    {"syslog_scheme.yaml", "2:28: unsupported scheme in target 'http://198.18.0.1:80' (use udp://, "
                           "tcp://, tls://, relp:// or nats://)"},
    {"syslog_tls_ca.yaml", "2:28: bad syslog target 'tls://198.18.0.1?ca=/nonexistent/ca.pem': "
                           "ca=/nonexistent/ca.pem: No such file or directory"},
    {"syslog_v6.yaml", "2:28: bad syslog target 'udp://2001:2::1:514': an IPv6 host must be "
                       "written in brackets, e.g. [2001:2::1]:514"},
    {"two_docs.yaml", "3:1: more than one YAML document in the file"},
    {"unknown_key.yaml",
     "2:1: unknown key 'iface' (expected one of: interface, filter, snaplen, promiscuous, "
     "buffer_size, user, database, memory_cap, workers, stats_interval, home_net, rules, outputs, "
     "allow_root, sandbox, sensor_id, site_tags, evidence)"},
    {"user_control.yaml", "1:7: 'user' contains a control character"},
    {"workers_text.yaml", "1:10: workers must be an integer from 1 to 256, got 'two'"},
    {"workers_zero.yaml", "2:10: workers must be an integer from 1 to 256, got '0'"},
};

static void test_bad(void)
{
	size_t i, nb = sizeof bad / sizeof bad[0], listed = 0;
	char path[4200], want[4800], dir[4200];
	struct dirent *de;
	DIR *d;

	for (i = 0; i < nb; i++) {
		struct sw_config *c = NULL;
		char err[1024] = "";

		fixture(path, sizeof path, "bad/");
		strncat(path, bad[i].file, sizeof path - strlen(path) - 1);
		snprintf(want, sizeof want, "%s:%s", path, bad[i].msg);
		CHECK(config_load(path, &c, err, sizeof err) == -1);
		CHECK(c == NULL); /* untouched on failure */
		CHECK_STR(err, want);
	}
	/* Every fixture in bad/ must be in the table, so none goes unchecked. */
	fixture(dir, sizeof dir, "bad");
	d = opendir(dir);
	CHECK(d != NULL);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < nb && strcmp(bad[i].file, de->d_name) != 0; i++)
			;
		if (i == nb)
			fprintf(stderr, "bad/%s has no expected message\n", de->d_name);
		CHECK(i < nb);
		listed++;
	}
	if (d)
		closedir(d);
	CHECK_EQ_U(listed, nb);
}

/* Files that cannot be a config: missing, a directory, far too big. */
static void test_unreadable(void)
{
	char tmp[] = "/tmp/sw-test-config-XXXXXX", path[128], want[256], err[512];
	struct sw_config *c = NULL;
	FILE *f;

	CHECK(mkdtemp(tmp) != NULL);
	snprintf(path, sizeof path, "%s/missing.yaml", tmp);
	CHECK(config_load(path, &c, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	CHECK_STR(err, want);

	CHECK(config_load(tmp, &c, err, sizeof err) == -1);
	snprintf(want, sizeof want, "%s: not a regular file", tmp);
	CHECK_STR(err, want);

	snprintf(path, sizeof path, "%s/huge.yaml", tmp);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		/* Valid YAML all along: only the size rejects it. */
		for (int i = 0; i < (1 << 20) / 16 + 1; i++)
			fputs("# padding......\n", f);
		fclose(f);
		CHECK(config_load(path, &c, err, sizeof err) == -1);
		snprintf(want, sizeof want, "%s: larger than 1048576 bytes, not a sensor config",
		         path);
		CHECK_STR(err, want);
		unlink(path);
	}
	CHECK(c == NULL);
	rmdir(tmp);
}

/*
 * One parser for output targets: each string is accepted by the configuration file (config_load)
 * exactly when the command line's path accepts it (main.c's check, then the output's open, as
 * sensor.c calls it), with the same reason when refused.
 */
static void test_targets_both_paths(void)
{
	static const struct {
		const char *type, *target;
		bool ok;
	} cases[] = {
	    {"syslog", "udp://127.0.0.1?facility=local1", true}, /* issue 15 */
	    {"syslog", "udp://127.0.0.1:9", true},
	    {"syslog", "udp://127.0.0.1", true}, /* port 514 by default, both ways */
	    {"syslog", "tcp://127.0.0.1:9?backlog=5&facility=user", true},
	    {"syslog", "udp://[::1]:9?facility=23", true},
	    {"cef", "udp://127.0.0.1?facility=local2", true},
	    {"cef", "-", true},
	    {"jsonl", "-", true},
	    {"syslog", "udp://127.0.0.1:0", false},
	    {"syslog", "udp://127.0.0.1:65536", false},
	    {"syslog", "udp://::1:9", false},
	    {"syslog", "udp://127.0.0.1?facility=local9", false},
	    {"syslog", "udp://127.0.0.1?bogus=1", false},
	    {"syslog", "udp://127.0.0.1?backlog=0", false},
	    {"syslog", "tcp://127.0.0.1/path", false},
	    {"syslog", "udp://:9", false},
	    {"syslog", "tcp://[::1", false},
	    {"syslog", "/var/log/x", false},
	    {"syslog", "-", false},
	    {"cef", "http://127.0.0.1:80", false},
	    {"cef", "udp://127.0.0.1:99999", false},
	    {"jsonl", "udp://127.0.0.1:514", false},
	    {"console", "udp://127.0.0.1:514", false},
	};
	char tmp[] = "/tmp/sw-test-targets-XXXXXX", path[128];

	CHECK(mkdtemp(tmp) != NULL);
	snprintf(path, sizeof path, "%s/t.yaml", tmp);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct output_ops *ops = output_lookup(cases[i].type);
		char cli_err[512] = "", cfg_err[1024] = "";
		struct sw_config *c = NULL;
		bool cli_ok = false, cfg_ok;
		FILE *f = fopen(path, "w");

		CHECK(ops != NULL && f != NULL);
		if (ops == NULL || f == NULL)
			continue;
		fprintf(f, "outputs:\n  - {type: %s, target: \"%s\"}\n", cases[i].type,
		        cases[i].target);
		fclose(f);
		cfg_ok = config_load(path, &c, cfg_err, sizeof cfg_err) == 0;
		config_free(c);
		if (output_check_target(ops, cases[i].target, cases[i].target, cli_err,
		                        sizeof cli_err) >= 0) {
			void *st = ops->open(cases[i].target, cli_err, sizeof cli_err);

			cli_ok = st != NULL;
			if (st != NULL)
				ops->close(st);
		}
		if (cli_ok != cases[i].ok || cfg_ok != cases[i].ok)
			fprintf(stderr, "%s %s: command line %s (%s), configuration %s (%s)\n",
			        cases[i].type, cases[i].target, cli_ok ? "accepts" : "refuses",
			        cli_err, cfg_ok ? "accepts" : "refuses", cfg_err);
		CHECK(cli_ok == cases[i].ok);
		CHECK(cfg_ok == cases[i].ok);
		/* Refused for the same reason: the configuration's message ends with the CLI's. */
		if (!cases[i].ok) {
			size_t a = strlen(cfg_err), b = strlen(cli_err);

			CHECK(b > 0 && a >= b && strcmp(cfg_err + a - b, cli_err) == 0);
		}
	}
	unlink(path);
	rmdir(tmp);
}

int main(int argc, char **argv)
{
	FIXTURE_SOURCE_DIR(src_dir, sizeof src_dir, argc > 1 ? argv[1] : NULL);
	test_full();
	test_defaults();
	test_bare_name();
	test_nats();
	test_bad();
	test_unreadable();
	test_targets_both_paths();
	CHECK_DONE();
}
