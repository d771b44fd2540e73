/* config.c — loads the sensor's YAML configuration (libyaml document API), strictly. */
#include "scanwatch/config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "scanwatch/rules.h"

/*
 * Tunables. The file is written by an operator, but a wrong -c path (a
 * capture, /dev/zero) must still fail quickly and in bounded memory.
 */

/* A sensor config is a page of text; 1 MiB is far beyond any real one. */
#define CONFIG_FILE_MAX (1u << 20)
/* Deepest nesting a config needs is 3 (top mapping, outputs list, one output);
 * the cap stops libyaml's per-token cost on "[[[[..." early (see rules.c). */
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
/* Longest user value (bytes) quoted back in an error message. */
#define SHOW_MAX 64
#define SHOW_BUF (SHOW_MAX * 4 + 8)

/* The state of one load. */
struct cfgload {
	struct sw_config *cfg;
	const char *file; /* for messages */
	char *dir;        /* the file's directory, for relative paths; NULL: none */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct cfgload *ld, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* "FILE:LINE:COL: message" (libyaml marks are 0-based), as rules.c reports; returns -1. */
static int fail_at(struct cfgload *ld, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_err(ld->err, ld->errlen, "%s:%zu:%zu: %s", ld->file, m.line + 1, m.column + 1, msg);
	return -1;
}

static int fail_oom(struct cfgload *ld)
{
	set_err(ld->err, ld->errlen, "%s: out of memory", ld->file);
	return -1;
}

/* Quotes a user value: control bytes escaped (no forged log lines), long values cut. */
static const char *show(const char *in, char buf[SHOW_BUF])
{
	size_t i, o = 0, n = strlen(in);
	bool cut = n > SHOW_MAX;

	if (cut) {
		n = SHOW_MAX;
		while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, SHOW_BUF - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *kind_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static yaml_node_t *node_get(struct cfgload *ld, int idx)
{
	return yaml_document_get_node(ld->doc, idx);
}

/* True when s holds a control byte other than those in allowed. */
static bool has_control(const char *s, const char *allowed)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 || c == 0x7f) && !strchr(allowed, c))
			return true;
	}
	return false;
}

/* The text of a scalar (no NUL inside), or an error naming the key. */
static int want_scalar(struct cfgload *ld, const yaml_node_t *n, const char *key, const char **out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return fail_at(ld, n->start_mark, "expected a scalar for '%s', found %s", key,
		               kind_name(n->type));
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length)
		return fail_at(ld, n->start_mark, "'%s' contains a NUL character", key);
	*out = v;
	return 0;
}

/* A non-empty single-line string. */
static int want_text(struct cfgload *ld, const yaml_node_t *n, const char *key, const char **out)
{
	if (want_scalar(ld, n, key, out) < 0)
		return -1;
	if ((*out)[0] == '\0')
		return fail_at(ld, n->start_mark, "'%s' must not be empty", key);
	if (has_control(*out, ""))
		return fail_at(ld, n->start_mark, "'%s' contains a control character", key);
	return 0;
}

static int want_list(struct cfgload *ld, const yaml_node_t *n, const char *key)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return 0;
	return fail_at(ld, n->start_mark, "expected a list for '%s', found %s", key,
	               kind_name(n->type));
}

static size_t list_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static int dup_str(struct cfgload *ld, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : fail_oom(ld);
}

/*
 * Copies a path, resolving a relative one against the config file's
 * directory: a daemon's working directory is "/" under systemd, and the
 * operator wrote the path looking at the file.
 */
static int dup_path(struct cfgload *ld, const char *p, char **out)
{
	if (p[0] == '/' || ld->dir == NULL)
		return dup_str(ld, p, out);
	if (asprintf(out, "%s/%s", ld->dir, p) < 0) {
		*out = NULL;
		return fail_oom(ld);
	}
	return 0;
}

/* Decimal integer, nothing else (no sign, hex or blanks); saturates past 2^63. */
static int parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v > (UINT64_MAX >> 1) / 10 ? UINT64_MAX >> 1 : v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int get_bool(struct cfgload *ld, const yaml_node_t *n, const char *key, bool *out)
{
	const char *v;
	char vb[SHOW_BUF];

	if (want_scalar(ld, n, key, &v) < 0)
		return -1;
	/* YAML 1.2 core schema booleans only: "yes"/"no"/"on" are 1.1 traps. */
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		*out = false;
	else
		return fail_at(ld, n->start_mark, "%s must be true or false, got '%s'", key,
		               show(v, vb));
	return 0;
}

static int get_size(struct cfgload *ld, const yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v;
	char vb[SHOW_BUF];

	if (want_scalar(ld, n, key, &v) < 0)
		return -1;
	if (rules_parse_size(v, out) < 0)
		return fail_at(ld, n->start_mark,
		               "bad size '%s' for %s (a number of bytes, or with K, M, G or T)",
		               show(v, vb), key);
	return 0;
}

/* --- One function per key. --- */

static int key_interface(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[SHOW_BUF];

	if (want_text(ld, n, "interface", &v) < 0)
		return -1;
	/* The kernel's own limits on a name (dev_valid_name): < IFNAMSIZ, no '/', no blank. */
	if (strlen(v) >= IFNAMSIZ)
		return fail_at(ld, n->start_mark, "interface name '%s' is longer than %d bytes",
		               show(v, vb), IFNAMSIZ - 1);
	if (strpbrk(v, "/ \t") || !strcmp(v, ".") || !strcmp(v, ".."))
		return fail_at(ld, n->start_mark, "'%s' is not a valid interface name",
		               show(v, vb));
	return dup_str(ld, v, &ld->cfg->interface);
}

static int key_filter(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_scalar(ld, n, "filter", &v) < 0)
		return -1;
	/* A folded or literal block may spread a long expression over lines. */
	if (has_control(v, "\n\t"))
		return fail_at(ld, n->start_mark, "'filter' contains a control character");
	if (v[strspn(v, " \t\n")] == '\0')
		return fail_at(ld, n->start_mark,
		               "'filter' must not be empty (leave it out to capture everything)");
	return dup_str(ld, v, &ld->cfg->filter);
}

static int key_snaplen(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[SHOW_BUF];
	uint64_t x;

	if (want_scalar(ld, n, "snaplen", &v) < 0)
		return -1;
	if (parse_uint(v, &x) < 0 || x < CONFIG_SNAPLEN_MIN || x > CONFIG_SNAPLEN_MAX)
		return fail_at(ld, n->start_mark,
		               "snaplen must be an integer from %d to %d, got '%s'",
		               CONFIG_SNAPLEN_MIN, CONFIG_SNAPLEN_MAX, show(v, vb));
	ld->cfg->snaplen = (uint32_t)x;
	return 0;
}

static int key_promiscuous(struct cfgload *ld, yaml_node_t *n)
{
	return get_bool(ld, n, "promiscuous", &ld->cfg->promiscuous);
}

static int key_buffer_size(struct cfgload *ld, yaml_node_t *n)
{
	if (get_size(ld, n, "buffer_size", &ld->cfg->buffer_size) < 0)
		return -1;
	if (ld->cfg->buffer_size < CONFIG_BUFFER_MIN || ld->cfg->buffer_size > CONFIG_BUFFER_MAX)
		return fail_at(ld, n->start_mark,
		               "buffer_size must be between 64K and 2G - 1 byte (libpcap's limit)");
	return 0;
}

static int key_user(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_text(ld, n, "user", &v) < 0)
		return -1;
	return dup_str(ld, v, &ld->cfg->user);
}

static int key_database(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;

	if (want_text(ld, n, "database", &v) < 0)
		return -1;
	return dup_path(ld, v, &ld->cfg->database);
}

static int key_memory_cap(struct cfgload *ld, yaml_node_t *n)
{
	if (get_size(ld, n, "memory_cap", &ld->cfg->memory_cap) < 0)
		return -1;
	if (ld->cfg->memory_cap == 0)
		return fail_at(ld, n->start_mark, "memory_cap must be greater than zero");
	return 0;
}

static int key_stats_interval(struct cfgload *ld, yaml_node_t *n)
{
	const char *v;
	char vb[SHOW_BUF];

	if (want_scalar(ld, n, "stats_interval", &v) < 0)
		return -1;
	if (rules_parse_duration(v, &ld->cfg->stats_interval_us) < 0)
		return fail_at(ld, n->start_mark,
		               "bad duration '%s' for stats_interval (a number with unit ms, s, m, "
		               "h or d, below 30 days)",
		               show(v, vb));
	if (ld->cfg->stats_interval_us < CONFIG_STATS_MIN_US)
		return fail_at(ld, n->start_mark, "stats_interval must be at least 1s, got '%s'",
		               show(v, vb));
	return 0;
}

static int key_home_net(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (want_list(ld, n, "home_net") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt > CONFIG_CIDRS_MAX)
		return fail_at(ld, n->start_mark, "more than %d blocks in home_net",
		               CONFIG_CIDRS_MAX);
	ld->cfg->home_net = calloc(cnt ? cnt : 1, sizeof(*ld->cfg->home_net));
	if (ld->cfg->home_net == NULL)
		return fail_oom(ld);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node_get(ld, *it);
		const char *v;
		char vb[SHOW_BUF];

		if (e == NULL)
			return fail_at(ld, n->start_mark, "malformed list");
		if (want_scalar(ld, e, "home_net", &v) < 0)
			return -1;
		if (addr_cidr_parse(v, &ld->cfg->home_net[ld->cfg->nhome]) < 0)
			return fail_at(ld, e->start_mark, "bad CIDR '%s' in home_net", show(v, vb));
		ld->cfg->nhome++;
	}
	return 0;
}

static int key_rules(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (want_list(ld, n, "rules") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt == 0)
		return fail_at(ld, n->start_mark,
		               "empty rules list (name rule files or directories, or leave 'rules' "
		               "out for the built-in rules)");
	if (cnt > CONFIG_RULES_MAX)
		return fail_at(ld, n->start_mark, "more than %d rule paths", CONFIG_RULES_MAX);
	ld->cfg->rules = calloc(cnt, sizeof(*ld->cfg->rules));
	if (ld->cfg->rules == NULL)
		return fail_oom(ld);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node_get(ld, *it);
		const char *v;

		if (e == NULL)
			return fail_at(ld, n->start_mark, "malformed list");
		if (want_text(ld, e, "rules", &v) < 0)
			return -1;
		if (dup_path(ld, v, &ld->cfg->rules[ld->cfg->nrules]) < 0)
			return -1;
		ld->cfg->nrules++;
	}
	return 0;
}

/* Output types and where each may write. */
enum target_kind { T_STDOUT = 1, T_FILE = 2, T_NET = 4 };

static const struct {
	const char *type;
	unsigned allowed;   /* enum target_kind bits */
	const char *expect; /* what the message asks for when the target does not fit */
} output_types[] = {
    {"jsonl", T_STDOUT | T_FILE, "a file path or '-'"},
    {"syslog", T_NET, "udp://HOST:PORT or tcp://HOST:PORT"},
    {"cef", T_STDOUT | T_FILE | T_NET, "a file path, '-', udp://HOST:PORT or tcp://HOST:PORT"},
    {"console", T_STDOUT, "'-' (standard output)"},
    {"console-json", T_STDOUT, "'-' (standard output)"},
};
#define N_OUTPUT_TYPES (sizeof(output_types) / sizeof(output_types[0]))

/*
 * Checks udp://HOST:PORT or tcp://HOST:PORT (HOST may be [IPv6]). NULL when
 * it is well formed, else why not. The host is resolved when the output opens.
 */
static const char *check_endpoint(const char *v)
{
	const char *host = v + 6, *colon;
	uint64_t port;

	if (host[0] == '[') {
		const char *close = strchr(host, ']');

		if (close == NULL || close == host + 1)
			return "an IPv6 host needs brackets around a non-empty address";
		colon = close + 1;
		if (*colon != ':')
			return "a port is required (HOST:PORT)";
	} else {
		colon = strrchr(host, ':');
		if (colon == NULL)
			return "a port is required (HOST:PORT)";
		if (colon == host)
			return "the host is empty";
		if (memchr(host, ':', (size_t)(colon - host)) != NULL)
			return "an IPv6 host must be written in brackets, e.g. [2001:2::1]:514";
	}
	if (memchr(host, '/', (size_t)(colon - host)) != NULL)
		return "the host must not contain '/'";
	if (parse_uint(colon + 1, &port) < 0 || port < 1 || port > 65535)
		return "the port must be a number from 1 to 65535";
	return NULL;
}

static int parse_output(struct cfgload *ld, yaml_node_t *map, struct sw_config_output *o)
{
	yaml_node_t *type = NULL, *target = NULL, *typekey = NULL, *targetkey = NULL;
	const char *t, *v = "-", *why;
	char vb[SHOW_BUF], tb[SHOW_BUF];
	unsigned kind;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return fail_at(ld, map->start_mark,
		               "expected a mapping for an output ({type: ..., target: ...}), found "
		               "%s",
		               kind_name(map->type));
	o->line = (int)map->start_mark.line + 1;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_get(ld, p->key), *val = node_get(ld, p->value);
		yaml_node_t **slot, **kslot;
		const char *key;

		if (k == NULL || val == NULL)
			return fail_at(ld, map->start_mark, "malformed mapping in output");
		if (want_scalar(ld, k, "a mapping key", &key) < 0)
			return -1;
		if (strcmp(key, "type") == 0) {
			slot = &type;
			kslot = &typekey;
		} else if (strcmp(key, "target") == 0) {
			slot = &target;
			kslot = &targetkey;
		} else {
			return fail_at(ld, k->start_mark,
			               "unknown key '%s' in output (expected one of: type, target)",
			               show(key, vb));
		}
		if (*slot)
			return fail_at(ld, k->start_mark,
			               "duplicate key '%s' in output (first at line %zu)", key,
			               (*kslot)->start_mark.line + 1);
		*slot = val;
		*kslot = k;
	}
	if (type == NULL)
		return fail_at(ld, map->start_mark, "output is missing required key 'type'");
	if (want_text(ld, type, "type", &t) < 0)
		return -1;
	for (i = 0; i < N_OUTPUT_TYPES && strcmp(output_types[i].type, t) != 0; i++)
		;
	if (i == N_OUTPUT_TYPES)
		return fail_at(ld, type->start_mark,
		               "unknown output type '%s' (expected one of: jsonl, syslog, cef, "
		               "console, console-json)",
		               show(t, vb));
	if (target) {
		if (want_text(ld, target, "target", &v) < 0)
			return -1;
	} else if (!(output_types[i].allowed & T_STDOUT)) {
		return fail_at(ld, map->start_mark, "%s output is missing required key 'target'",
		               t);
	}
	if (strcmp(v, "-") == 0)
		kind = T_STDOUT;
	else if (strncmp(v, "udp://", 6) == 0 || strncmp(v, "tcp://", 6) == 0)
		kind = T_NET;
	else if (strstr(v, "://") != NULL)
		return fail_at(ld, target->start_mark,
		               "unsupported scheme in target '%s' (use udp:// or tcp://)",
		               show(v, vb));
	else
		kind = T_FILE;
	if (!(output_types[i].allowed & kind))
		return fail_at(ld, target->start_mark, "%s target '%s' must be %s", t, show(v, vb),
		               output_types[i].expect);
	if (kind == T_NET && (why = check_endpoint(v)) != NULL)
		return fail_at(ld, target->start_mark, "bad %s target '%s': %s", t, show(v, tb),
		               why);
	if (dup_str(ld, t, &o->type) < 0)
		return -1;
	return kind == T_FILE ? dup_path(ld, v, &o->target) : dup_str(ld, v, &o->target);
}

static int key_outputs(struct cfgload *ld, yaml_node_t *n)
{
	size_t cnt;

	if (want_list(ld, n, "outputs") < 0)
		return -1;
	cnt = list_len(n);
	if (cnt > CONFIG_OUTPUTS_MAX)
		return fail_at(ld, n->start_mark, "more than %d outputs", CONFIG_OUTPUTS_MAX);
	/* An empty list is meaningful: no outputs but the database. */
	ld->cfg->outputs = calloc(cnt ? cnt : 1, sizeof(*ld->cfg->outputs));
	if (ld->cfg->outputs == NULL)
		return fail_oom(ld);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node_get(ld, *it);

		if (e == NULL)
			return fail_at(ld, n->start_mark, "malformed list");
		/* Counted first so config_free reclaims a half-built entry. */
		ld->cfg->noutputs++;
		if (parse_output(ld, e, &ld->cfg->outputs[ld->cfg->noutputs - 1]) < 0)
			return -1;
	}
	return 0;
}

static int key_allow_root(struct cfgload *ld, yaml_node_t *n)
{
	return get_bool(ld, n, "allow_root", &ld->cfg->allow_root);
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
    {"stats_interval", CONFIG_STATS_INTERVAL, key_stats_interval},
    {"home_net", CONFIG_HOME_NET, key_home_net},
    {"rules", CONFIG_RULES, key_rules},
    {"outputs", CONFIG_OUTPUTS, key_outputs},
    {"allow_root", CONFIG_ALLOW_ROOT, key_allow_root},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static int parse_document(struct cfgload *ld, yaml_node_t *root)
{
	yaml_node_t *seen[N_KEYS] = {0};

	if (root->type != YAML_MAPPING_NODE)
		return fail_at(ld, root->start_mark,
		               "expected a mapping at top level (interface, database...), found %s",
		               kind_name(root->type));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_get(ld, p->key), *v = node_get(ld, p->value);
		const char *key;
		char vb[SHOW_BUF];
		size_t i;

		if (k == NULL || v == NULL)
			return fail_at(ld, root->start_mark, "malformed mapping at top level");
		if (want_scalar(ld, k, "a mapping key", &key) < 0)
			return -1;
		for (i = 0; i < N_KEYS && strcmp(keys[i].key, key) != 0; i++)
			;
		if (i == N_KEYS) {
			char list[320];
			size_t o = 0;

			list[0] = '\0';
			for (size_t j = 0; j < N_KEYS && o < sizeof(list); j++)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
				                      j ? ", " : "", keys[j].key);
			return fail_at(ld, k->start_mark, "unknown key '%s' (expected one of: %s)",
			               show(key, vb), list);
		}
		if (seen[i])
			return fail_at(ld, k->start_mark, "duplicate key '%s' (first at line %zu)",
			               key, seen[i]->start_mark.line + 1);
		seen[i] = k;
		if (keys[i].parse(ld, v) < 0)
			return -1;
		ld->cfg->present |= keys[i].bit;
	}
	return 0;
}

/* Reports a libyaml failure at the position libyaml blames. */
static int fail_yaml(struct cfgload *ld, const yaml_parser_t *p, const char *text, size_t len)
{
	size_t line = 1, col = 1, off;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_oom(ld);
	case YAML_READER_ERROR:
		/* Reader errors (bad encoding, control characters) carry a byte offset only. */
		off = p->problem_offset < len ? p->problem_offset : len;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
				col++;
			}
		}
		set_err(ld->err, ld->errlen, "%s:%zu:%zu: invalid input: %s", ld->file, line, col,
		        p->problem ? p->problem : "unreadable");
		return -1;
	default:
		if (p->context)
			return fail_at(ld, p->problem_mark, "YAML syntax error: %s (%s at %zu:%zu)",
			               p->problem ? p->problem : "?", p->context,
			               p->context_mark.line + 1, p->context_mark.column + 1);
		return fail_at(ld, p->problem_mark, "YAML syntax error: %s",
		               p->problem ? p->problem : "?");
	}
}

/* First pass over the event stream: syntax, and nesting within CONFIG_DEPTH_MAX. */
static int check_depth(struct cfgload *ld, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = -1;
	bool end = false;

	if (!yaml_parser_initialize(&parser))
		return fail_oom(ld);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fail_yaml(ld, &parser, text, len);
			goto fail;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > CONFIG_DEPTH_MAX) {
				fail_at(ld, ev.start_mark, "nested deeper than %d levels",
				        CONFIG_DEPTH_MAX);
				yaml_event_delete(&ev);
				goto fail;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		           ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	rc = 0;
fail:
	yaml_parser_delete(&parser);
	return rc;
}

static int load_text(struct cfgload *ld, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false;
	yaml_node_t *root;
	int rc = -1;

	if (check_depth(ld, text, len) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser))
		return fail_oom(ld);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fail_yaml(ld, &parser, text, len);
		goto fail;
	}
	have_doc = true;
	if (!yaml_parser_load(&parser, &extra)) {
		fail_yaml(ld, &parser, text, len);
		goto fail;
	}
	if (yaml_document_get_root_node(&extra)) {
		fail_at(ld, yaml_document_get_root_node(&extra)->start_mark,
		        "more than one YAML document in the file");
		yaml_document_delete(&extra);
		goto fail;
	}
	yaml_document_delete(&extra);
	ld->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* Empty, or comments only (a freshly installed default config): every default. */
	rc = root ? parse_document(ld, root) : 0;
fail:
	ld->doc = NULL;
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* Reads a whole regular file of at most CONFIG_FILE_MAX bytes. */
static int read_all(struct cfgload *ld, const char *path, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		set_err(ld->err, ld->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		set_err(ld->err, ld->errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(ld->err, ld->errlen, "%s: not a regular file", path);
		goto fail;
	}
	/* One allocation of the cap plus one byte: a file that fills it is too big. */
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (buf == NULL) {
		set_err(ld->err, ld->errlen, "%s: out of memory", path);
		goto fail;
	}
	for (;;) {
		ssize_t got = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			set_err(ld->err, ld->errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > CONFIG_FILE_MAX) {
			set_err(ld->err, ld->errlen,
			        "%s: larger than %u bytes, not a sensor config", path,
			        CONFIG_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

int config_load(const char *path, struct sw_config **out, char *err, size_t errlen)
{
	struct cfgload ld = {.file = path, .err = err, .errlen = errlen};
	const char *slash = strrchr(path, '/');
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL)
		return fail_oom(&ld);
	ld.cfg->stats_interval_us = CONFIG_STATS_INTERVAL_DEFAULT_US;
	if (dup_str(&ld, path, &ld.cfg->path) < 0)
		goto done;
	/* "dir/file" -> "dir", "/file" -> "/"; a bare name leaves relative paths as they are. */
	if (slash != NULL) {
		ld.dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (ld.dir == NULL) {
			fail_oom(&ld);
			goto done;
		}
		/* "/" + "/" + name would read oddly in messages; "/name" is the same file. */
		if (strcmp(ld.dir, "/") == 0)
			ld.dir[0] = '\0';
	}
	if (read_all(&ld, path, &text, &len) < 0)
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
	free(cfg);
}
