/* config.c — loads the sensor's YAML configuration (libyaml document API), strictly. */
#include "scanwatch/config.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "scanwatch/output.h"
#include "scanwatch/yamlcfg.h"

/*
 * Tunables. The file is written by an operator, but a wrong -c path (a
 * capture, /dev/zero) must still fail quickly and in bounded memory.
 */

/* A sensor config is a page of text; 1 MiB is far beyond any real one. */
#define CONFIG_FILE_MAX (1u << 20)
/* Deepest nesting a config needs is 3 (top mapping, outputs list, one output);
 * the cap stops libyaml's per-token cost on "[[[[..." early (see yamlcfg_load). */
#define CONFIG_DEPTH_MAX 8
/* Rule paths: main.c accepts at most 64 (MAX_RULE_PATHS), the file no more. */
#define CONFIG_RULES_MAX 64
/* Outputs: each one is a sink the writer thread feeds in turn. */
#define CONFIG_OUTPUTS_MAX 16
/* home_net blocks: scanned linearly per detection, so real lists are short. */
#define CONFIG_CIDRS_MAX 65536
/* Snapshot length: 64 bytes hold every header the decoder reads for IPv4
 * and IPv6 with options and one VLAN tag; 262144 is libpcap's MAXIMUM_SNAPLEN. */
#define CONFIG_SNAPLEN_MIN 64
#define CONFIG_SNAPLEN_MAX 262144
/* Kernel ring: below 64 KiB TPACKET_V3 holds a handful of frames; libpcap
 * takes the size as an int, so 2 GiB - 1 is the most it can be asked for. */
#define CONFIG_BUFFER_MIN (64ull << 10)
#define CONFIG_BUFFER_MAX 2147483647ull
/* A statistics row more often than once a second is noise in the table. */
#define CONFIG_STATS_MIN_US 1000000ull

/* The state of one load. */
struct cfgload {
	struct sw_config *cfg;
	char *dir;        /* the file's directory, for relative paths; NULL: none */
	struct yamlcfg y; /* y.file: the config's path */
};

/* The text of a scalar (no NUL inside), or an error naming the key in quotes. */
static int want_scalar(struct cfgload *ld, const yaml_node_t *n, const char *key, const char **out)
{
	char what[64];

	snprintf(what, sizeof(what), "'%s'", key);
	return yamlcfg_scalar(&ld->y, n, what, out);
}

/* A non-empty single-line string. */
static int want_text(struct cfgload *ld, const yaml_node_t *n, const char *key, const char **out)
{
	if (want_scalar(ld, n, key, out) < 0)
		return -1;
	if ((*out)[0] == '\0')
		return yamlcfg_fail_at(&ld->y, n->start_mark, "'%s' must not be empty", key);
	if (yamlcfg_has_control(*out, ""))
		return yamlcfg_fail_at(&ld->y, n->start_mark, "'%s' contains a control character",
		                       key);
	return 0;
}

static size_t list_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/*
 * Copies a path, resolving a relative one against the config file's
 * directory: a daemon's working directory is "/" under systemd, and the
 * operator wrote the path looking at the file.
 */
static int dup_path(struct cfgload *ld, const char *p, char **out)
{
	if (p[0] == '/' || ld->dir == NULL)
		return yamlcfg_strdup(&ld->y, p, out);
	if (asprintf(out, "%s/%s", ld->dir, p) < 0) {
		*out = NULL;
		return yamlcfg_oom(&ld->y);
	}
	return 0;
}

static int get_size(struct cfgload *ld, const yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];

	if (want_scalar(ld, n, key, &v) < 0)
		return -1;
	if (yamlcfg_parse_size(v, out) < 0)
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "bad size '%s' for %s (a number of bytes, or with K, M, G or T)",
		    yamlcfg_show(v, vb), key);
	return 0;
}

/* --- One function per key. --- */

static int key_interface(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];

	if (want_text(ld, n, "interface", &v) < 0)
		return -1;
	/* The kernel's own limits on a name (dev_valid_name): < IFNAMSIZ, no '/', no blank. */
	if (strlen(v) >= IFNAMSIZ)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "interface name '%s' is longer than %d bytes",
		                       yamlcfg_show(v, vb), IFNAMSIZ - 1);
	if (strpbrk(v, "/ \t") || !strcmp(v, ".") || !strcmp(v, ".."))
		return yamlcfg_fail_at(&ld->y, n->start_mark, "'%s' is not a valid interface name",
		                       yamlcfg_show(v, vb));
	return yamlcfg_strdup(&ld->y, v, &ld->cfg->interface);
}

static int key_filter(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_scalar(ld, n, "filter", &v) < 0)
		return -1;
	/* A folded or literal block may spread a long expression over lines. */
	if (yamlcfg_has_control(v, "\n\t"))
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "'filter' contains a control character");
	if (v[strspn(v, " \t\n")] == '\0')
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "'filter' must not be empty (leave it out to capture everything)");
	return yamlcfg_strdup(&ld->y, v, &ld->cfg->filter);
}

static int key_snaplen(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];
	uint64_t x;

	if (want_scalar(ld, n, "snaplen", &v) < 0)
		return -1;
	if (yamlcfg_parse_uint(v, &x) < 0 || x < CONFIG_SNAPLEN_MIN || x > CONFIG_SNAPLEN_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "snaplen must be an integer from %d to %d, got '%s'",
		                       CONFIG_SNAPLEN_MIN, CONFIG_SNAPLEN_MAX, yamlcfg_show(v, vb));
	ld->cfg->snaplen = (uint32_t)x;
	return 0;
}

static int key_promiscuous(struct cfgload *ld, yaml_node_t *n)
{
	return yamlcfg_bool(&ld->y, n, "promiscuous", &ld->cfg->promiscuous);
}

static int key_buffer_size(struct cfgload *ld, yaml_node_t *n)
{
	if (get_size(ld, n, "buffer_size", &ld->cfg->buffer_size) < 0)
		return -1;
	if (ld->cfg->buffer_size < CONFIG_BUFFER_MIN || ld->cfg->buffer_size > CONFIG_BUFFER_MAX)
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "buffer_size must be between 64K and 2G - 1 byte (libpcap's limit)");
	return 0;
}

static int key_user(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_text(ld, n, "user", &v) < 0)
		return -1;
	return yamlcfg_strdup(&ld->y, v, &ld->cfg->user);
}

static int key_database(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_text(ld, n, "database", &v) < 0)
		return -1;
	return dup_path(ld, v, &ld->cfg->database);
}

static int key_workers(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];
	uint64_t x;

	if (want_scalar(ld, n, "workers", &v) < 0)
		return -1;
	if (yamlcfg_parse_uint(v, &x) < 0 || x < 1 || x > CONFIG_WORKERS_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "workers must be an integer from 1 to %d, got '%s'",
		                       CONFIG_WORKERS_MAX, yamlcfg_show(v, vb));
	ld->cfg->workers = (uint32_t)x;
	return 0;
}

static int key_memory_cap(struct cfgload *ld, yaml_node_t *n)
{
	if (get_size(ld, n, "memory_cap", &ld->cfg->memory_cap) < 0)
		return -1;
	if (ld->cfg->memory_cap == 0)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "memory_cap must be greater than zero");
	return 0;
}

static int key_stats_interval(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];

	if (want_scalar(ld, n, "stats_interval", &v) < 0)
		return -1;
	if (yamlcfg_parse_duration(v, &ld->cfg->stats_interval_us) != NULL)
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "bad duration '%s' for stats_interval (a number with unit ms, s, m, "
		    "h or d, below 30 days)",
		    yamlcfg_show(v, vb));
	if (ld->cfg->stats_interval_us < CONFIG_STATS_MIN_US)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "stats_interval must be at least 1s, got '%s'",
		                       yamlcfg_show(v, vb));
	return 0;
}

static int key_home_net(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (yamlcfg_kind(&ld->y, n, YAML_SEQUENCE_NODE, "'home_net'") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt > CONFIG_CIDRS_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "more than %d blocks in home_net",
		                       CONFIG_CIDRS_MAX);
	ld->cfg->home_net = calloc(cnt ? cnt : 1, sizeof(*ld->cfg->home_net));
	if (ld->cfg->home_net == NULL)
		return yamlcfg_oom(&ld->y);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e;
		const char *v;

		if (yamlcfg_item(&ld->y, n, it, &e) < 0 || want_scalar(ld, e, "home_net", &v) < 0 ||
		    yamlcfg_cidr(&ld->y, e, v, "home_net", &ld->cfg->home_net[ld->cfg->nhome]) < 0)
			return -1;
		ld->cfg->nhome++;
	}
	return 0;
}

static int key_rules(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (yamlcfg_kind(&ld->y, n, YAML_SEQUENCE_NODE, "'rules'") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt == 0)
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "empty rules list (name rule files or directories, or leave 'rules' "
		    "out for the built-in rules)");
	if (cnt > CONFIG_RULES_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "more than %d rule paths",
		                       CONFIG_RULES_MAX);
	ld->cfg->rules = calloc(cnt, sizeof(*ld->cfg->rules));
	if (ld->cfg->rules == NULL)
		return yamlcfg_oom(&ld->y);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e;
		const char *v;

		if (yamlcfg_item(&ld->y, n, it, &e) < 0 || want_text(ld, e, "rules", &v) < 0)
			return -1;
		if (dup_path(ld, v, &ld->cfg->rules[ld->cfg->nrules]) < 0)
			return -1;
		ld->cfg->nrules++;
	}
	return 0;
}

static const char *const output_keys[] = {"type", "target"};

static int parse_output(struct cfgload *ld, yaml_node_t *map, struct sw_config_output *o)
{
	const struct yamlcfg_vocab vocab = {output_keys, sizeof(output_keys[0]), 2};
	yaml_node_t *keyn[2] = {NULL, NULL}, *valn[2] = {NULL, NULL}, *type, *target;
	const struct output_ops *ops;
	const char *t, *v = "-";
	char vb[YAMLCFG_SHOW_BUF], why[512];
	int kind;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return yamlcfg_fail_at(
		    &ld->y, map->start_mark,
		    "expected a mapping for an output ({type: ..., target: ...}), found "
		    "%s",
		    yamlcfg_kind_name(map->type));
	o->line = (int)map->start_mark.line + 1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k, *val;
		const char *key;

		if (yamlcfg_pair(&ld->y, map, p, "in output", "'a mapping key'", &k, &val, &key) <
		    0)
			return -1;
		i = yamlcfg_vocab_find(&vocab, key);
		if (i == vocab.n)
			return yamlcfg_unknown_key(&ld->y, k, key, "in output", &vocab);
		if (keyn[i])
			return yamlcfg_dup_key(&ld->y, k, key, "in output", keyn[i]);
		keyn[i] = k;
		valn[i] = val;
	}
	type = valn[0];
	target = valn[1];
	if (type == NULL)
		return yamlcfg_fail_at(&ld->y, map->start_mark,
		                       "output is missing required key 'type'");
	if (want_text(ld, type, "type", &t) < 0)
		return -1;
	/* The output registry (output.c) is the one list of types and of where each writes. */
	ops = output_lookup(t);
	if (ops == NULL) {
		char names[256];
		size_t n = 0;

		names[0] = '\0';
		for (i = 0; output_at(i) != NULL && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
			                      output_at(i)->name);
		return yamlcfg_fail_at(&ld->y, type->start_mark,
		                       "unknown output type '%s' (expected one of: %s)",
		                       yamlcfg_show(t, vb), names);
	}
	if (target) {
		if (want_text(ld, target, "target", &v) < 0)
			return -1;
	} else if (!(ops->targets & OUTPUT_TARGET_STDOUT)) {
		return yamlcfg_fail_at(&ld->y, map->start_mark,
		                       "%s output is missing required key 'target'", t);
	}
	/* The same check the command line's --syslog, --cef and --jsonl get (main.c). */
	kind = output_check_target(ops, v, yamlcfg_show(v, vb), why, sizeof(why));
	if (kind < 0)
		return yamlcfg_fail_at(&ld->y, target ? target->start_mark : map->start_mark, "%s",
		                       why);
	if (yamlcfg_strdup(&ld->y, t, &o->type) < 0)
		return -1;
	return kind == OUTPUT_TARGET_FILE ? dup_path(ld, v, &o->target)
	                                  : yamlcfg_strdup(&ld->y, v, &o->target);
}

static int key_outputs(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (yamlcfg_kind(&ld->y, n, YAML_SEQUENCE_NODE, "'outputs'") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt > CONFIG_OUTPUTS_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "more than %d outputs",
		                       CONFIG_OUTPUTS_MAX);
	/* An empty list is meaningful: no outputs but the database. */
	ld->cfg->outputs = calloc(cnt ? cnt : 1, sizeof(*ld->cfg->outputs));
	if (ld->cfg->outputs == NULL)
		return yamlcfg_oom(&ld->y);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e;

		if (yamlcfg_item(&ld->y, n, it, &e) < 0)
			return -1;
		/* Counted first so config_free reclaims a half-built entry. */
		ld->cfg->noutputs++;
		if (parse_output(ld, e, &ld->cfg->outputs[ld->cfg->noutputs - 1]) < 0)
			return -1;
	}
	return 0;
}

/* sensor_id: the name every record carries (output_check_sensor_id says what it may hold). */
static int key_sensor_id(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF], why[256];

	if (want_text(ld, n, "sensor_id", &v) < 0)
		return -1;
	if (output_check_sensor_id(v, why, sizeof why) < 0)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "bad sensor_id '%s': %s",
		                       yamlcfg_show(v, vb), why);
	return yamlcfg_strdup(&ld->y, v, &ld->cfg->sensor_id);
}

/* site_tags: a list of KEY=VALUE (output_check_site_tag). */
static int key_site_tags(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (yamlcfg_kind(&ld->y, n, YAML_SEQUENCE_NODE, "'site_tags'") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt > OUTPUT_SITE_TAGS_MAX)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "more than %d site tags",
		                       OUTPUT_SITE_TAGS_MAX);
	ld->cfg->site_tags = calloc(cnt ? cnt : 1, sizeof(*ld->cfg->site_tags));
	if (ld->cfg->site_tags == NULL)
		return yamlcfg_oom(&ld->y);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e;
		const char *v;
		char vb[YAMLCFG_SHOW_BUF], why[256];

		if (yamlcfg_item(&ld->y, n, it, &e) < 0 || want_text(ld, e, "site_tags", &v) < 0)
			return -1;
		if (output_check_site_tag(v, why, sizeof why) < 0)
			return yamlcfg_fail_at(&ld->y, e->start_mark, "bad site tag '%s': %s",
			                       yamlcfg_show(v, vb), why);
		if (yamlcfg_strdup(&ld->y, v, &ld->cfg->site_tags[ld->cfg->nsite_tags]) < 0)
			return -1;
		ld->cfg->nsite_tags++;
	}
	return 0;
}

static int key_allow_root(struct cfgload *ld, yaml_node_t *n)
{
	return yamlcfg_bool(&ld->y, n, "allow_root", &ld->cfg->allow_root);
}

static int key_sandbox(struct cfgload *ld, yaml_node_t *n)
{
	return yamlcfg_bool(&ld->y, n, "sandbox", &ld->cfg->sandbox);
}

static int key_evidence(struct cfgload *ld, yaml_node_t *n)
{
	return yamlcfg_bool(&ld->y, n, "evidence", &ld->cfg->evidence);
}

static const struct {
	const char *key;
	unsigned bit;
	int (*parse)(struct cfgload *ld, yaml_node_t *val);
} keys[] = {
    {"interface", CONFIG_INTERFACE, key_interface},
    {"filter", CONFIG_FILTER, key_filter},
    {"snaplen", CONFIG_SNAPLEN, key_snaplen},
    {"promiscuous", CONFIG_PROMISCUOUS, key_promiscuous},
    {"buffer_size", CONFIG_BUFFER_SIZE, key_buffer_size},
    {"user", CONFIG_USER, key_user},
    {"database", CONFIG_DATABASE, key_database},
    {"memory_cap", CONFIG_MEMORY_CAP, key_memory_cap},
    {"workers", CONFIG_WORKERS, key_workers},
    {"stats_interval", CONFIG_STATS_INTERVAL, key_stats_interval},
    {"home_net", CONFIG_HOME_NET, key_home_net},
    {"rules", CONFIG_RULES, key_rules},
    {"outputs", CONFIG_OUTPUTS, key_outputs},
    {"allow_root", CONFIG_ALLOW_ROOT, key_allow_root},
    {"sandbox", CONFIG_SANDBOX, key_sandbox},
    {"sensor_id", CONFIG_SENSOR_ID, key_sensor_id},
    {"site_tags", CONFIG_SITE_TAGS, key_site_tags},
    {"evidence", CONFIG_EVIDENCE, key_evidence},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int parse_document(struct cfgload *ld, yaml_node_t *root)
{
	const struct yamlcfg_vocab vocab = {&keys[0].key, sizeof(keys[0]), N_KEYS};
	yaml_node_t *seen[N_KEYS] = {0};

	if (root->type != YAML_MAPPING_NODE)
		return yamlcfg_fail_at(
		    &ld->y, root->start_mark,
		    "expected a mapping at top level (interface, database...), found %s",
		    yamlcfg_kind_name(root->type));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k, *v;
		const char *key;
		size_t i;

		if (yamlcfg_pair(&ld->y, root, p, "at top level", "'a mapping key'", &k, &v, &key) <
		    0)
			return -1;
		i = yamlcfg_vocab_find(&vocab, key);
		if (i == N_KEYS)
			return yamlcfg_unknown_key(&ld->y, k, key, "", &vocab);
		if (seen[i])
			return yamlcfg_dup_key(&ld->y, k, key, "", seen[i]);
		seen[i] = k;
		if (keys[i].parse(ld, v) < 0)
			return -1;
		ld->cfg->present |= keys[i].bit;
	}
	return 0;
}

static int load_text(struct cfgload *ld, const char *text, size_t len)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	if (yamlcfg_load(&ld->y, text, len, CONFIG_DEPTH_MAX, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	/* Empty, or comments only (a freshly installed default config): every default. */
	rc = root ? parse_document(ld, root) : 0;
	yamlcfg_unload(&ld->y);
	return rc;
}

int config_load(const char *path, struct sw_config **out, char *err, size_t errlen)
{
	struct cfgload ld = {.y = {.file = path, .err = err, .errlen = errlen}};
	const char *slash = strrchr(path, '/');
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL)
		return yamlcfg_oom(&ld.y);
	ld.cfg->stats_interval_us = CONFIG_STATS_INTERVAL_DEFAULT_US;
	ld.cfg->sandbox = true;
	ld.cfg->evidence = true;
	if (yamlcfg_strdup(&ld.y, path, &ld.cfg->path) < 0)
		goto done;
	/* "dir/file" -> "dir", "/file" -> "/"; a bare name leaves relative paths as they are. */
	if (slash != NULL) {
		ld.dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (ld.dir == NULL) {
			yamlcfg_oom(&ld.y);
			goto done;
		}
		/* "/" + "/" + name would read oddly in messages; "/name" is the same file. */
		if (strcmp(ld.dir, "/") == 0)
			ld.dir[0] = '\0';
	}
	if (yamlcfg_read_file(&ld.y, path, CONFIG_FILE_MAX, "a sensor config", &text, &len) < 0)
		goto done;
	rc = load_text(&ld, text, len);
done:
	free(text);
	free(ld.dir);
	if (rc == 0)
		*out = ld.cfg;
	else
		config_free(ld.cfg);
	return rc;
}

void config_free(struct sw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->interface);
	free(cfg->filter);
	free(cfg->user);
	free(cfg->database);
	free(cfg->home_net);
	for (size_t i = 0; i < cfg->nrules; i++)
		free(cfg->rules[i]);
	free(cfg->rules);
	for (size_t i = 0; i < cfg->noutputs; i++) {
		free(cfg->outputs[i].type);
		free(cfg->outputs[i].target);
	}
	free(cfg->outputs);
	free(cfg->sensor_id);
	for (size_t i = 0; i < cfg->nsite_tags; i++)
		free(cfg->site_tags[i]);
	free(cfg->site_tags);
	free(cfg);
}
