/* test_rules.c — the YAML rule loader: built-in set, merging, every rejection with its position. */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/detect.h"
#include "scanwatch/rules.h"

static char src_dir[4096];

static const char *fixture(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/tests/unit/rules/%s", src_dir, rel);
	return buf;
}

static const struct sw_rule *find_rule(const struct sw_ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->nrules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return &rs->rules[i];
	return NULL;
}

/* The CIDR as the real parser reads it, so comparisons do not depend on addr.c's layout. */
static bool cidr_is(const struct sw_cidr *c, const char *text)
{
	struct sw_cidr want;

	if (addr_cidr_parse(text, &want) < 0)
		return false;
	return c->plen == want.plen && memcmp(c->base.a, want.base.a, 16) == 0;
}

static int load1(const char *path, struct sw_ruleset **rs, char *err, size_t errlen)
{
	const char *paths[] = {path};

	return rules_load_paths(paths, 1, rs, err, errlen);
}

/* A rule's tags joined with commas, for comparing with a literal. */
static const char *joined(const struct sw_rule *r, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->ntags && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", r->tags[i]);
	return buf;
}

static void test_builtin(void)
{
	static const struct {
		const char *id, *detector, *tags;
		enum sw_severity sev;
	} want[] = {
	    {"SW-TCP-SYN-001", "halfopen", "T1046,T1595.001", SEV_MEDIUM},
	    {"SW-TCP-CONNECT-001", "connect", "T1046,T1595.001", SEV_MEDIUM},
	    {"SW-ICMP-SWEEP-001", "icmp_sweep", "T1018,T1595.001", SEV_LOW},
	    {"SW-TCP-RSTFLOOD-001", "rst_flood", "T1498,T1499", SEV_HIGH},
	    {"SW-TRW-001", "trw", "T1046", SEV_MEDIUM},
	    {"SW-TCP-STEALTH-SLOW-001", "stealth", "T1046,T1595.001", SEV_MEDIUM},
	    {"SW-ICMP-SWEEP-SLOW-001", "icmp_sweep", "T1018,T1595.001", SEV_LOW},
	    {"SW-IP-PROTO-SLOW-001", "ipproto", "T1046", SEV_MEDIUM},
	};
	struct sw_ruleset *rs = NULL, *fs = NULL;
	char err[512] = "", path[4200], tagbuf[128];
	size_t i, j;

	CHECK(rules_load_builtin(&rs, err, sizeof err) == 0);
	if (!rs) {
		fprintf(stderr, "built-in rules: %s\n", err);
		return;
	}
	CHECK_STR(rs->origin, "built-in defaults");
	CHECK(rs->nrules >= 5);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct sw_rule *r = find_rule(rs, want[i].id);

		CHECK(r != NULL);
		if (!r)
			continue;
		CHECK_STR(r->detector->name, want[i].detector);
		CHECK_STR(joined(r, tagbuf, sizeof tagbuf), want[i].tags);
		CHECK_EQ_U(r->severity, want[i].sev);
		CHECK(r->enabled);
		CHECK_STR(r->file, "built-in rules/default.yaml");
		CHECK(r->line > 0);
		CHECK(r->name[0] != '\0' && r->description[0] != '\0');
		CHECK(r->threshold >= 1 && r->window_us > 0 && r->idle_us > 0);
		/* the slow rules count only hand-built probes; the others every probe */
		CHECK(r->crafted_only ==
		      (strstr(r->id, "-SLOW-") && strcmp(r->detector->name, "halfopen")));
		for (j = 0; j < r->detector->nparams; j++)
			CHECK(isfinite(r->params[j]));
	}
	for (i = 0; i < rs->nrules; i++)
		CHECK_EQ_U(rs->rules[i].index, i);

	/* The embedded copy must be the shipped file: same rules, same values. */
	snprintf(path, sizeof path, "%s/rules/default.yaml", src_dir);
	CHECK(load1(path, &fs, err, sizeof err) == 0);
	if (fs) {
		CHECK_STR(fs->origin, path);
		CHECK_EQ_U(fs->nrules, rs->nrules);
		for (i = 0; i < fs->nrules && i < rs->nrules; i++) {
			const struct sw_rule *a = &fs->rules[i], *b = &rs->rules[i];

			CHECK_STR(a->id, b->id);
			CHECK_STR(a->file, path);
			CHECK_EQ_U(a->line, b->line);
			CHECK_EQ_U(a->threshold, b->threshold);
			CHECK_EQ_U(a->window_us, b->window_us);
			CHECK_EQ_U(a->idle_us, b->idle_us);
			CHECK(a->crafted_only == b->crafted_only);
			CHECK(memcmp(a->params, b->params, sizeof a->params) == 0);
		}
		rules_free(fs);
	} else {
		fprintf(stderr, "%s: %s\n", path, err);
	}
	rules_free(rs);
}

static void test_full(void)
{
	const struct detector *trw = detect_lookup("trw");
	const struct detector *conn = detect_lookup("connect");
	struct sw_ruleset *rs = NULL;
	const struct sw_rule *r;
	char err[512] = "", path[4200];
	size_t i;

	fixture(path, sizeof path, "good/full.yaml");
	CHECK(load1(path, &rs, err, sizeof err) == 0);
	if (!rs) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK_EQ_U(rs->nrules, 2);
	CHECK_EQ_U(rs->nhome, 2);
	CHECK_EQ_U(rs->nallow, 1);
	if (rs->nhome == 2) {
		CHECK(cidr_is(&rs->home_net[0], "198.18.0.0/15"));
		CHECK(cidr_is(&rs->home_net[1], "2001:2::/48"));
	}
	if (rs->nallow == 1)
		CHECK(cidr_is(&rs->allow[0], "198.18.200.0/24"));

	r = &rs->rules[0];
	CHECK_STR(r->id, "SW-TEST-FULL.1_a");
	CHECK_STR(r->name, "Every key set");
	CHECK_STR(r->description, "A folded description over two lines.\n");
	CHECK_STR(r->file, path);
	CHECK_EQ_U(r->line, 7);
	CHECK(!r->enabled);
	CHECK_EQ_U(r->severity, SEV_CRITICAL);
	CHECK_EQ_U(r->ntags, 3);
	CHECK_EQ_U(r->ntags, 3);
	if (r->ntags == 3)
		CHECK_STR(r->tags[1], "T1595.001");
	CHECK(r->detector == trw);
	CHECK_EQ_U(r->threshold, 7);
	CHECK_EQ_U(r->window_us, 250000);
	CHECK_EQ_U(r->idle_us, 2ull * 3600 * 1000000);
	CHECK_EQ_U(r->group_by, GROUP_DST);
	CHECK(r->crafted_only);
	CHECK_EQ_U(r->nsuppress, 2);
	if (r->nsuppress == 2) {
		CHECK(cidr_is(&r->suppress[0], "198.18.0.10/32"));
		CHECK(cidr_is(&r->suppress[1], "2001:2::5/128"));
	}
	CHECK_EQ_U(r->index, 0);
	/* Overrides land on their own slots; the rest keep the detector's defaults. */
	CHECK(trw && trw->nparams == 4);
	if (trw && trw->nparams == 4) {
		for (i = 0; i < 4; i++) {
			double want = trw->param_defaults[i];

			if (strcmp(trw->param_names[i], "theta1") == 0)
				want = 0.25;
			if (strcmp(trw->param_names[i], "beta") == 0)
				want = 0.95;
			CHECK(r->params[i] == want);
		}
	}

	r = &rs->rules[1];
	CHECK_STR(r->id, "SW-TEST-DEFAULTS");
	CHECK_STR(r->name, "Defaults only");
	CHECK_STR(r->description, "");
	CHECK(r->enabled);
	CHECK_EQ_U(r->severity, SEV_MEDIUM);
	CHECK_EQ_U(r->ntags, 0);
	CHECK(r->ntags == 0);
	CHECK(r->detector == conn);
	CHECK(!r->crafted_only);
	CHECK_EQ_U(r->threshold, 1000000);
	CHECK_EQ_U(r->window_us, 90ull * 1000000);
	CHECK_EQ_U(r->idle_us, 30ull * 1000000);
	if (conn)
		CHECK_EQ_U(r->group_by, conn->default_group);
	CHECK_EQ_U(r->nsuppress, 0);
	CHECK_EQ_U(r->index, 1);
	rules_free(rs);
}

static void test_merge(void)
{
	struct sw_ruleset *rs = NULL;
	char err[512] = "", dir[4200], dslash[4300], good[4200], origin[13000];
	const char *paths[2];

	/* A trailing slash must not change the file names reported. */
	fixture(dir, sizeof dir, "merge");
	snprintf(dslash, sizeof dslash, "%s/", dir);
	CHECK(load1(dslash, &rs, err, sizeof err) == 0);
	if (!rs) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	snprintf(origin, sizeof origin, "%s/10-base.yaml, %s/15-allow-only.yaml, %s/20-extra.yml",
	         dir, dir, dir);
	CHECK_STR(rs->origin, origin);
	CHECK_EQ_U(rs->nrules, 3);
	if (rs->nrules == 3) {
		CHECK_STR(rs->rules[0].id, "SW-MERGE-A");
		CHECK_STR(rs->rules[1].id, "SW-MERGE-B");
		CHECK_STR(rs->rules[2].id, "SW-MERGE-C");
		CHECK_EQ_U(rs->rules[2].index, 2);
		CHECK_EQ_U(rs->rules[2].line, 5);
		CHECK_EQ_U(rs->rules[2].severity, SEV_HIGH);
		CHECK_EQ_U(rs->rules[1].window_us, 300ull * 1000000);
	}
	CHECK_EQ_U(rs->nallow, 3);
	if (rs->nallow == 3) {
		CHECK(cidr_is(&rs->allow[0], "198.18.100.1/32"));
		CHECK(cidr_is(&rs->allow[1], "2001:2::/64"));
		CHECK(cidr_is(&rs->allow[2], "198.18.100.2/32"));
	}
	CHECK_EQ_U(rs->nhome, 1);
	rules_free(rs);
	rs = NULL;

	/* A file and a directory together: rules concatenated in argument order. */
	fixture(good, sizeof good, "good/full.yaml");
	paths[0] = good;
	paths[1] = dir;
	CHECK(rules_load_paths(paths, 2, &rs, err, sizeof err) == 0);
	if (rs) {
		CHECK_EQ_U(rs->nrules, 5);
		CHECK_STR(rs->rules[0].id, "SW-TEST-FULL.1_a");
		CHECK_STR(rs->rules[4].id, "SW-MERGE-C");
		CHECK_EQ_U(rs->rules[4].index, 4);
		CHECK_EQ_U(rs->nallow, 4);
		CHECK_EQ_U(rs->nhome, 3);
		rules_free(rs);
	}
}

/* Each bad fixture with the exact message after "PATH:". */
static const struct {
	const char *file, *msg;
} bad[] = {
    {"syntax.yaml",
     "5:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar "
     "at 4:11)"},
    {"indent.yaml", "4:10: YAML syntax error: mapping values are not allowed in this context"},
    {"unknown_top.yaml", "2:1: unknown key 'rulez' at top level (expected one of: version, "
                         "home_net, allow, rules, campaign_window)"},
    {"unknown_rule_key.yaml",
     "8:5: unknown key 'treshold' in rule (expected one of: id, name, description, enabled, "
     "severity, tags, detector, threshold, window, idle, group_by, crafted_only, suppress, "
     "params)"},
    {"wrong_type.yaml", "7:16: expected a scalar for 'threshold', found a mapping"},
    {"list_for_scalar.yaml", "7:15: expected a scalar for 'detector', found a list"},
    {"scalar_for_list.yaml", "8:11: expected a list for 'tags', found a scalar"},
    {"dup_key.yaml", "8:5: duplicate key 'window' in rule (first at line 7)"},
    {"dup_top_key.yaml", "3:1: duplicate key 'allow' at top level (first at line 2)"},
    {"dup_id.yaml", NULL}, /* names the file twice: built in test_bad() */
    {"missing_detector.yaml", "3:5: rule is missing required key 'detector'"},
    {"missing_id.yaml", "3:5: rule is missing required key 'id'"},
    {"missing_version.yaml", "1:1: missing required key 'version' (use: version: 1)"},
    {"version_2.yaml", "1:10: unsupported version '2' (this build reads 1)"},
    {"threshold_zero.yaml", "7:16: threshold must be between 1 and 1000000, got '0'"},
    {"threshold_negative.yaml", "7:16: threshold must be between 1 and 1000000, got '-3'"},
    {"threshold_word.yaml", "7:16: threshold must be an integer, got 'five'"},
    {"threshold_real.yaml", "7:16: threshold must be an integer, got '5.5'"},
    {"threshold_big.yaml", "7:16: threshold must be between 1 and 1000000, got '1000001'"},
    {"threshold_huge.yaml",
     "7:16: threshold must be between 1 and 1000000, got '99999999999999999999999'"},
    {"duration_unit.yaml",
     "7:13: bad duration '5x' for window: unknown unit (use ms, s, m, h or d)"},
    {"duration_zero.yaml", "7:13: bad duration '0s' for window: must be greater than zero"},
    {"duration_negative.yaml", "8:11: bad duration '-1s' for idle: must be positive"},
    {"duration_30d.yaml", "7:13: bad duration '30d' for window: must be below 30 days"},
    {"allow_cidr.yaml", "2:27: bad CIDR '198.18.0.0/33' in allow"},
    {"campaign_window.yaml",
     "2:18: bad duration '5x' for campaign_window: unknown unit (use ms, s, m, h or d)"},
    {"home_cidr.yaml", "2:28: bad CIDR '2001:2::g/48' in home_net"},
    {"suppress_cidr.yaml", "9:9: bad CIDR '198.18.0.300/32' in suppress"},
    {"unknown_detector.yaml", "7:15: unknown detector 'halfopn'"},
    {"unknown_param.yaml", "8:28: unknown param 'gamma' for detector 'trw' (expected one of: "
                           "theta0, theta1, alpha, beta)"},
    {"param_no_params.yaml", "8:15: unknown param 'theta0' (detector 'halfopen' takes no params)"},
    {"param_not_number.yaml", "9:14: param 'alpha' must be a number, got 'lots'"},
    {"param_dup.yaml", "10:7: duplicate key 'alpha' in params (first at line 9)"},
    {"unknown_severity.yaml",
     "8:15: unknown severity 'severe' (expected low, medium, high or critical)"},
    {"bad_tag.yaml",
     "8:20: bad tag 'T104' (expected a MITRE ATT&CK id such as T1046 or T1595.001)"},
    {"dup_tag.yaml", "8:20: duplicate tag 'T1046'"},
    {"bad_id.yaml", "3:9: bad rule id 'SW T 001' (1 to 47 characters from A-Z a-z 0-9 _ . -)"},
    {"long_name.yaml", "7:11: rule name is 96 bytes long (at most 95)"},
    {"bad_bool.yaml", "8:14: enabled must be true or false, got 'yes'"},
    {"bad_crafted_only.yaml", "9:19: crafted_only must be true or false, got '1'"},
    {"bad_group.yaml", "8:15: unknown group_by 'source' (expected src, dst or src_dst)"},
    {"empty_rules.yaml", "2:8: empty rules list (define at least one rule, or leave 'rules' out)"},
    {"rule_not_mapping.yaml", "3:5: expected a mapping for a rule, found a scalar"},
    {"top_list.yaml", "1:1: expected a mapping at top level (version, rules...), found a list"},
    {"empty_file.yaml", "1:1: empty file (expected a mapping with 'version' and 'rules')"},
    {"two_docs.yaml", "9:1: more than one YAML document in the file"},
};

static void test_bad(void)
{
	size_t i, nb = sizeof bad / sizeof bad[0], listed = 0;
	char path[4200], want[9000], dir[4200];
	DIR *d;
	struct dirent *de;

	for (i = 0; i < nb; i++) {
		static struct sw_ruleset sentinel_set;
		struct sw_ruleset *sentinel = &sentinel_set, *rs = sentinel;
		char err[1024] = "";

		fixture(path, sizeof path, "bad/");
		strncat(path, bad[i].file, sizeof path - strlen(path) - 1);
		if (bad[i].msg)
			snprintf(want, sizeof want, "%s:%s", path, bad[i].msg);
		else
			snprintf(want, sizeof want,
			         "%s:8:9: duplicate rule id 'SW-T-001' (first defined at %s:3)",
			         path, path);
		CHECK(load1(path, &rs, err, sizeof err) == -1);
		CHECK(rs == sentinel); /* *out untouched on error */
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

/* Errors that are about a path rather than a position in a file. */
static void test_paths(void)
{
	struct sw_ruleset *rs = NULL;
	char err[1024] = "", path[4200], want[9000];

	fixture(path, sizeof path, "noyaml");
	snprintf(want, sizeof want, "%s: directory holds no *.yaml or *.yml rule files", path);
	CHECK(load1(path, &rs, err, sizeof err) == -1);
	CHECK_STR(err, want);

	fixture(path, sizeof path, "does-not-exist.yaml");
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	CHECK(load1(path, &rs, err, sizeof err) == -1);
	CHECK_STR(err, want);

	/* A file that only adds allow blocks is fine in a set, but not alone. */
	fixture(path, sizeof path, "merge/15-allow-only.yaml");
	snprintf(want, sizeof want, "%s: no rules defined (a rule set needs at least one)", path);
	CHECK(load1(path, &rs, err, sizeof err) == -1);
	CHECK_STR(err, want);

	CHECK(rules_load_paths(NULL, 0, &rs, err, sizeof err) == -1);
	CHECK_STR(err, "no rule files given");
	CHECK(rs == NULL);

	/* A bad file after a good one: everything built so far is freed (LSan checks). */
	{
		char good[4200];
		const char *paths[2];

		fixture(good, sizeof good, "good/full.yaml");
		fixture(path, sizeof path, "bad/param_dup.yaml");
		paths[0] = good;
		paths[1] = path;
		CHECK(rules_load_paths(paths, 2, &rs, err, sizeof err) == -1);
		CHECK(strstr(err, "duplicate key 'alpha' in params") != NULL);
		/* The same id in two files is a duplicate across the set. */
		paths[1] = good;
		snprintf(want, sizeof want,
		         "%s:7:9: duplicate rule id 'SW-TEST-FULL.1_a' (first defined at %s:7)",
		         good, good);
		CHECK(rules_load_paths(paths, 2, &rs, err, sizeof err) == -1);
		CHECK_STR(err, want);
	}
	CHECK(rs == NULL);
}

static int load_str(const char *text, size_t len, char *err, size_t errlen)
{
	struct sw_ruleset *rs = NULL;
	int rc = rules_load_string("mem.yaml", text, len, &rs, err, errlen);

	if (rc == 0) {
		CHECK_STR(rs->origin, "mem.yaml");
		rules_free(rs);
	}
	return rc;
}

#define RULE_BODY "name: n\n    detector: halfopen\n    threshold: 5\n    window: 1m\n"

/* Hostile or odd input that fixtures on disk cannot hold well. */
/* campaign_window: 60 s unless a file says; the last file that says decides. */
static void test_campaign_window(void)
{
	static const char set[] = "version: 1\ncampaign_window: 90s\nrules:\n  - id: A\n"
	                          "    " RULE_BODY;
	static const char unset[] = "version: 1\nrules:\n  - id: A\n    " RULE_BODY;
	struct sw_ruleset *rs = NULL;
	char err[512];
	CHECK(rules_load_string("a.yaml", unset, sizeof unset - 1, &rs, err, sizeof err) == 0);
	CHECK(rs && rs->campaign_window_us == 60ULL * 1000000);
	rules_free(rs);
	rs = NULL;
	CHECK(rules_load_string("b.yaml", set, sizeof set - 1, &rs, err, sizeof err) == 0);
	CHECK(rs && rs->campaign_window_us == 90ULL * 1000000);
	rules_free(rs);
	rs = NULL;
	CHECK(rules_load_builtin(&rs, err, sizeof err) == 0);
	CHECK(rs && rs->campaign_window_us == 60ULL * 1000000);
	rules_free(rs);
}

static void test_strings(void)
{
	static const char ok[] = "version: 1\nrules:\n  - id: A\n    " RULE_BODY;
	static const char nul[] = "version: 1\nrules:\n  - id: \"A\\0B\"\n    " RULE_BODY;
	static const char utf8[] = "version: 1\nrules:\n  - id: A\n    name: \"\xff\"\n";
	static const char alias[] =
	    "version: 1\nrules:\n  - &r\n    id: A\n    " RULE_BODY "  - *r\n";
	static const char ctl[] = "version: 1\nrules:\n  - id: A\n    name: \"a\\x01b\"\n";
	static const char longv[] =
	    "version: 1\nrules:\n  - id: A\n    " RULE_BODY "    severity: "
	    "\"\\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa\"\n";
	static const char dupdet[] =
	    "version: 1\nrules:\n  - id: A\n    " RULE_BODY "    detector: trw\n";
	static const char inf[] =
	    "version: 1\nrules:\n  - id: A\n    name: n\n    detector: trw\n"
	    "    threshold: 5\n    window: 1m\n    params: { alpha: 1e999 }\n";
	static const char hex[] = "version: 1\nrules:\n  - id: A\n    name: n\n    detector: trw\n"
	                          "    threshold: 5\n    window: 1m\n    params: { alpha: 0x10 }\n";
	static const char key[] = "version: 1\n[a]: 1\n";
	char err[1024] = "", tiny[8];

	CHECK(load_str(ok, sizeof ok - 1, err, sizeof err) == 0);

	/* "\0" in a double-quoted scalar would silently cut the id in C. */
	CHECK(load_str(nul, sizeof nul - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:3:9: 'id' contains a NUL character");

	/* Invalid UTF-8 is a reader error: only a byte offset, turned into line:col. */
	CHECK(load_str(utf8, sizeof utf8 - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:4:12: invalid input: invalid leading UTF-8 octet");

	/* An alias repeats a rule: it is the same id twice. */
	CHECK(load_str(alias, sizeof alias - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:4:9: duplicate rule id 'A' (first defined at mem.yaml:3)");

	CHECK(load_str(ctl, sizeof ctl - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:4:11: rule name contains a control character");

	/* Quoted values are escaped and cut in messages. */
	CHECK(load_str(longv, sizeof longv - 1, err, sizeof err) == -1);
	CHECK_STR(err,
	          "mem.yaml:8:15: unknown severity '\\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (expected low, medium, high or critical)");

	CHECK(load_str(dupdet, sizeof dupdet - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:8:5: duplicate key 'detector' in rule (first at line 5)");

	CHECK(load_str(inf, sizeof inf - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:8:22: param 'alpha' must be a number, got '1e999'");
	CHECK(load_str(hex, sizeof hex - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:8:22: param 'alpha' must be a number, got '0x10'");

	CHECK(load_str(key, sizeof key - 1, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:2:1: expected a scalar for a mapping key, found a list");

	/* A short error buffer is truncated, never overrun; no buffer at all is allowed. */
	memset(tiny, 'x', sizeof tiny);
	CHECK(load_str(nul, sizeof nul - 1, tiny, sizeof tiny) == -1);
	CHECK_STR(tiny, "mem.yam");
	CHECK(load_str(nul, sizeof nul - 1, NULL, 0) == -1);

	/* Empty input. */
	CHECK(load_str("", 0, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:1:1: empty file (expected a mapping with 'version' and 'rules')");
}

/* Limits that keep a hostile file from costing unbounded time or memory. */
static void test_limits(void)
{
	static const char head[] = "version: 1\nrules: ";
	const size_t deep = 1u << 20, blocks = 4000, nrules = 300;
	char err[1024] = "", *buf, *p;
	size_t i, cap = (size_t)3 << 20;

	buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return;

	/* A megabyte of "[": libyaml's scanner is quadratic in flow depth, the pre-pass stops it
	 * at the 17th level (top mapping, then 16 lists). */
	memcpy(buf, head, sizeof head - 1);
	memset(buf + sizeof head - 1, '[', deep);
	CHECK(load_str(buf, sizeof head - 1 + deep, err, sizeof err) == -1);
	CHECK_STR(err, "mem.yaml:2:23: nested deeper than 16 levels");

	/* One list of 4000 blocks aliased into 300 rules: 1.2 million blocks, over the cap. */
	p = buf;
	p += sprintf(p, "version: 1\nallow: &big\n");
	for (i = 0; i < blocks; i++)
		p += sprintf(p, "  - 198.18.%zu.%zu\n", i / 256, i % 256);
	p += sprintf(p, "rules:\n");
	for (i = 0; i < nrules; i++)
		p +=
		    sprintf(p,
		            "  - {id: R%zu, name: n, detector: halfopen, threshold: 5, window: 1m, "
		            "suppress: *big}\n",
		            i);
	CHECK((size_t)(p - buf) < cap);
	CHECK(load_str(buf, (size_t)(p - buf), err, sizeof err) == -1);
	/* allow and 261 rules hold 262 * 4000 = 1048000 blocks; the cap is passed at item 577 of
	 * the anchored list (line 2 + 577) as rule 262 reuses it through the alias. */
	CHECK_STR(err, "mem.yaml:579:5: more than 1048576 address blocks in the rule set");
	free(buf);
}

static void test_durations(void)
{
	static const struct {
		const char *text;
		uint64_t us;
	} good[] = {
	    {"250ms", 250000ull},
	    {"1ms", 1000ull},
	    {"90s", 90000000ull},
	    {"5m", 300000000ull},
	    {"1h", 3600000000ull},
	    {"2d", 172800000000ull},
	    {"90", 90000000ull},
	    {"29d", 29ull * 86400 * 1000000},
	    {"719h", 719ull * 3600 * 1000000},
	    {"2591999s", 2591999ull * 1000000},
	    {"2591999999ms", 2591999999ull * 1000},
	    {"007s", 7000000ull},
	};
	static const char *const badv[] = {
	    "",
	    "s",
	    "0",
	    "0s",
	    "0ms",
	    "-1s",
	    "+5s",
	    "5x",
	    "5S",
	    "1.5s",
	    " 5s",
	    "5s ",
	    "5 s",
	    "1m30s",
	    "30d",
	    "720h",
	    "2592000s",
	    "2592000",
	    "2592000000ms",
	    "18446744073709551617s",
	    "99999999999999999999999999999ms",
	    "5sec",
	    "5mss",
	    "0x10",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 0;

		CHECK(rules_parse_duration(good[i].text, &v) == 0);
		CHECK_EQ_U(v, good[i].us);
	}
	for (i = 0; i < sizeof badv / sizeof badv[0]; i++) {
		uint64_t v = 12345;

		if (rules_parse_duration(badv[i], &v) != -1)
			fprintf(stderr, "duration '%s' accepted\n", badv[i]);
		CHECK(rules_parse_duration(badv[i], &v) == -1);
		CHECK_EQ_U(v, 12345);
	}
	CHECK(rules_parse_duration(NULL, &(uint64_t){0}) == -1);
}

static void test_sizes(void)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
	    {"512", 512ull},
	    {"0", 0ull},
	    {"64k", 65536ull},
	    {"64K", 65536ull},
	    {"64M", 64ull << 20},
	    {"64m", 64ull << 20},
	    {"1G", 1ull << 30},
	    {"2T", 2ull << 40},
	    {"18446744073709551615", UINT64_MAX},
	    {"16777215T", 16777215ull << 40},
	    {"17179869183G", 17179869183ull << 30},
	};
	static const char *const badv[] = {
	    "",
	    "k",
	    "-1",
	    "+1",
	    "1.5M",
	    "64KB",
	    "64 M",
	    " 64M",
	    "64M ",
	    "64X",
	    "0x10",
	    "18446744073709551616",
	    "99999999999999999999999",
	    "16777216T",
	    "17179869184G",
	    "1P",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 1;

		CHECK(rules_parse_size(good[i].text, &v) == 0);
		CHECK_EQ_U(v, good[i].bytes);
	}
	for (i = 0; i < sizeof badv / sizeof badv[0]; i++) {
		uint64_t v = 12345;

		if (rules_parse_size(badv[i], &v) != -1)
			fprintf(stderr, "size '%s' accepted\n", badv[i]);
		CHECK(rules_parse_size(badv[i], &v) == -1);
		CHECK_EQ_U(v, 12345);
	}
	CHECK(rules_parse_size(NULL, &(uint64_t){0}) == -1);
}

int main(int argc, char **argv)
{
	FIXTURE_SOURCE_DIR(src_dir, sizeof src_dir, argc > 1 ? argv[1] : NULL);
	test_builtin();
	test_full();
	test_merge();
	test_bad();
	test_paths();
	test_strings();
	test_campaign_window();
	test_limits();
	test_durations();
	test_sizes();
	rules_free(NULL);
	CHECK_DONE();
}
