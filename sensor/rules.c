/* rules.c — loads YAML rule files (libyaml document API) into the immutable rule set. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "scanwatch/detect.h"
#include "scanwatch/embedded.h"
#include "scanwatch/rules.h"

/*
 * Tunables. The loader reads operator-supplied files, but a wrong path (a
 * capture, a log, /dev/zero) must still fail quickly and in bounded memory.
 */

/* A rule file is a few kilobytes; 4 MiB is far beyond any real one. */
#define RULES_FILE_MAX (4u << 20)
/* Rules across all files. The duplicate-id check is quadratic and the
 * detection engine keeps per-rule state; real sets hold tens of rules. */
#define RULES_MAX 4096
/* Durations must be below 30 days: longer windows are not scan detection any
 * more, and the tracker would have to hold state for that long. */
#define RULES_DURATION_MAX_US (30ull * 86400ull * 1000000ull)
/* Thresholds: a count of probes (or a score); a million is far past any scan
 * that a window of at most 30 days can sensibly be tuned for. */
#define RULES_THRESHOLD_MAX 1000000
/* Idle time that closes a detection when a rule does not say. */
#define RULES_IDLE_DEFAULT_US (30ull * 1000000ull)
/* Deepest collection nesting accepted; a rule file needs 4 (top mapping,
 * rules list, rule, tags or params). libyaml 0.2's scanner does work
 * proportional to the flow nesting depth for every token, so a few megabytes
 * of "[[[[" would take hours; the depth is checked on the event stream, which
 * stops before the scanner gets deep. */
#define RULES_DEPTH_MAX 16
/* Address blocks across allow, home_net and every suppress list. An alias
 * (suppress: *big) reuses one list in every rule; without a cap a 4 MiB file
 * could expand to tens of gigabytes. Lists are also scanned linearly per
 * detection, so real sets stay far below this. */
#define RULES_CIDRS_MAX (1u << 20)
/* The only format version this build reads. */
#define RULES_FORMAT_VERSION 1
/* Longest user value (bytes) quoted back in an error message. */
#define SHOW_MAX 64
#define SHOW_BUF (SHOW_MAX * 4 + 8)

/* The state of one load: the set being built and where errors go. */
struct loader {
	struct sw_ruleset *rs;
	size_t cap_rules, cap_allow, cap_home;
	size_t ncidrs; /* address blocks so far, against RULES_CIDRS_MAX */
	char **files;  /* names read, for rs->origin */
	size_t nfiles, cap_files;
	const char *file; /* name of the document being read, for messages */
	yaml_document_t *doc;
	char *err;
	size_t errlen;
};

/* One key of a mapping with a fixed vocabulary (a rule, the top level). */
struct field {
	const char *key;
	yaml_node_t *keynode; /* NULL when absent */
	yaml_node_t *val;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Formats "FILE:LINE:COL: message" (libyaml marks are 0-based) and returns -1. */
static int fail_at(struct loader *ld, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	set_err(ld->err, ld->errlen, "%s:%zu:%zu: %s", ld->file, m.line + 1, m.column + 1, msg);
	return -1;
}

static int fail_oom(struct loader *ld)
{
	set_err(ld->err, ld->errlen, "%s: out of memory", ld->file ? ld->file : "rules");
	return -1;
}

/*
 * Quotes a user value for a message: control bytes escaped so a hostile file
 * cannot forge log lines, and long values cut (at a UTF-8 boundary).
 */
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

		if (c < 0x20 || c == 0x7f || c == '\\') {
			o += (size_t)snprintf(buf + o, SHOW_BUF - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
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

/* Grows *p (elements of size el) so that it holds at least need elements. */
static int grow(void **p, size_t *cap, size_t need, size_t el)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap < need)
		ncap = need;
	np = reallocarray(*p, ncap, el);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int dup_str(struct loader *ld, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : fail_oom(ld);
}

/* The text of a scalar node, or an error naming what was expected there. */
static int want_scalar(struct loader *ld, const yaml_node_t *n, const char *what, const char **out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return fail_at(ld, n->start_mark, "expected a scalar for %s, found %s", what,
		               kind_name(n->type));
	v = (const char *)n->data.scalar.value;
	/* A double-quoted "\0" puts a NUL inside the value; C strings would cut it. */
	if (strlen(v) != n->data.scalar.length)
		return fail_at(ld, n->start_mark, "%s contains a NUL character", what);
	*out = v;
	return 0;
}

static int want_kind(struct loader *ld, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type == t)
		return 0;
	return fail_at(ld, n->start_mark, "expected %s for %s, found %s", kind_name(t), what,
	               kind_name(n->type));
}

static yaml_node_t *node_get(struct loader *ld, int idx)
{
	return yaml_document_get_node(ld->doc, idx);
}

/*
 * Matches a mapping's keys against a fixed vocabulary: every key must be a
 * scalar from the list and appear once. Values are left for the caller.
 */
static int collect(struct loader *ld, yaml_node_t *map, struct field *f, size_t nf,
                   const char *where)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_get(ld, p->key), *v = node_get(ld, p->value);
		const char *key;
		char vb[SHOW_BUF];
		size_t i;

		if (!k || !v)
			return fail_at(ld, map->start_mark, "malformed mapping %s", where);
		if (want_scalar(ld, k, "a mapping key", &key) < 0)
			return -1;
		for (i = 0; i < nf && strcmp(f[i].key, key) != 0; i++)
			;
		if (i == nf) {
			char list[256];
			size_t o = 0, j;

			list[0] = '\0';
			for (j = 0; j < nf && o < sizeof list; j++)
				o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
				                      j ? ", " : "", f[j].key);
			return fail_at(ld, k->start_mark,
			               "unknown key '%s' %s (expected one of: %s)", show(key, vb),
			               where, list);
		}
		if (f[i].keynode)
			return fail_at(ld, k->start_mark,
			               "duplicate key '%s' %s (first at line %zu)", key, where,
			               f[i].keynode->start_mark.line + 1);
		f[i].keynode = k;
		f[i].val = v;
	}
	return 0;
}

static yaml_node_t *field_val(const struct field *f, size_t nf, const char *key)
{
	size_t i;

	for (i = 0; i < nf; i++)
		if (strcmp(f[i].key, key) == 0)
			return f[i].val;
	return NULL;
}

/*
 * Decimal integer with an optional sign, nothing else (no hex, no blanks).
 * Overflow saturates, so callers report it as out of range. 0 or -1.
 */
static int parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	const uint64_t lim = (uint64_t)INT64_MAX;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			v = lim;
		else
			v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* A decimal real, YAML 1.2 core style: [-+]? digits [. digits] [e [-+] digits]. */
static int parse_real(const char *s, double *out)
{
	const char *p = s;
	char *end;
	size_t digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	/* The grammar above excludes strtod's hex, inf and nan forms; overflow gives inf. */
	*out = strtod(s, &end);
	if (*end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

/* NULL on success, else why the text is not a duration. */
static const char *duration_parse(const char *s, uint64_t *out_us)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
	    {"ms", 1000ull},      {"s", 1000000ull},     {"m", 60000000ull},
	    {"h", 3600000000ull}, {"d", 86400000000ull}, {"", 1000000ull}, /* seconds */
	};
	uint64_t n = 0;
	size_t i;

	if (*s == '-')
		return "must be positive";
	if (*s < '0' || *s > '9')
		return "expected a number with unit ms, s, m, h or d";
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		/* Every unit is >= 1 ms, so anything past this is over the cap anyway. */
		if (n > RULES_DURATION_MAX_US)
			return "must be below 30 days";
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(s, units[i].unit) == 0)
			break;
	if (i == sizeof units / sizeof units[0])
		return "unknown unit (use ms, s, m, h or d)";
	if (n == 0)
		return "must be greater than zero";
	/* n <= the cap in microseconds, so n * us cannot wrap once n <= cap / us. */
	if (n > RULES_DURATION_MAX_US / units[i].us || n * units[i].us >= RULES_DURATION_MAX_US)
		return "must be below 30 days";
	*out_us = n * units[i].us;
	return NULL;
}

int rules_parse_duration(const char *text, uint64_t *out_us)
{
	uint64_t v;

	if (!text || duration_parse(text, &v) != NULL)
		return -1;
	*out_us = v;
	return 0;
}

int rules_parse_size(const char *text, uint64_t *out_bytes)
{
	uint64_t n = 0, mult = 1;
	const char *s = text;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	/* Binary multiples, as memory caps are usually thought of. */
	switch (*s) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		s++;
		break;
	case 't':
	case 'T':
		mult = 1ull << 40;
		s++;
		break;
	default:
		return -1;
	}
	if (*s != '\0' || n > UINT64_MAX / mult)
		return -1;
	*out_bytes = n * mult;
	return 0;
}

static int get_duration(struct loader *ld, yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v, *why;
	char vb[SHOW_BUF], what[32];

	snprintf(what, sizeof what, "'%s'", key);
	if (want_scalar(ld, n, what, &v) < 0)
		return -1;
	why = duration_parse(v, out);
	if (why)
		return fail_at(ld, n->start_mark, "bad duration '%s' for %s: %s", show(v, vb), key,
		               why);
	return 0;
}

static int get_bool(struct loader *ld, yaml_node_t *n, const char *key, bool *out)
{
	const char *v;
	char vb[SHOW_BUF], what[32];

	snprintf(what, sizeof what, "'%s'", key);
	if (want_scalar(ld, n, what, &v) < 0)
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

/* Appends the CIDR blocks of a list node to *list. */
static int get_cidrs(struct loader *ld, yaml_node_t *seq, const char *key, struct sw_cidr **list,
                     size_t *n, size_t *cap)
{
	yaml_node_item_t *it;
	char what[32];

	snprintf(what, sizeof what, "'%s'", key);
	if (want_kind(ld, seq, YAML_SEQUENCE_NODE, what) < 0)
		return -1;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = node_get(ld, *it);
		const char *v;
		char vb[SHOW_BUF];

		if (!e)
			return fail_at(ld, seq->start_mark, "malformed list");
		if (want_scalar(ld, e, "a CIDR", &v) < 0)
			return -1;
		if (++ld->ncidrs > RULES_CIDRS_MAX)
			return fail_at(ld, e->start_mark,
			               "more than %u address blocks in the rule set",
			               RULES_CIDRS_MAX);
		if (grow((void **)list, cap, *n + 1, sizeof **list) < 0)
			return fail_oom(ld);
		if (addr_cidr_parse(v, &(*list)[*n]) < 0)
			return fail_at(ld, e->start_mark, "bad CIDR '%s' in %s", show(v, vb), key);
		(*n)++;
	}
	return 0;
}

static bool id_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= DET_RULE_ID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* MITRE ATT&CK technique ids: T1234 or sub-technique T1234.567. */
static bool tag_ok(const char *s)
{
	size_t i;

	if (s[0] != 'T')
		return false;
	for (i = 1; i <= 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[5] == '\0')
		return true;
	if (s[5] != '.')
		return false;
	for (i = 6; i <= 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[9] == '\0';
}

/* True when s holds a control byte other than those allowed (e.g. "\n\t"). */
static bool has_control(const char *s, const char *allowed)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 || c == 0x7f) && !strchr(allowed, c))
			return true;
	}
	return false;
}

static int get_tags(struct loader *ld, yaml_node_t *seq, struct sw_rule *r)
{
	yaml_node_item_t *it;
	size_t n, joined = 0, i;

	if (want_kind(ld, seq, YAML_SEQUENCE_NODE, "'tags'") < 0)
		return -1;
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	r->tags = calloc(n ? n : 1, sizeof *r->tags);
	if (!r->tags)
		return fail_oom(ld);
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = node_get(ld, *it);
		const char *v;
		char vb[SHOW_BUF];

		if (!e)
			return fail_at(ld, seq->start_mark, "malformed list");
		if (want_scalar(ld, e, "a tag", &v) < 0)
			return -1;
		if (!tag_ok(v))
			return fail_at(ld, e->start_mark,
			               "bad tag '%s' (expected a MITRE ATT&CK id such as T1046 or "
			               "T1595.001)",
			               show(v, vb));
		for (i = 0; i < r->ntags; i++)
			if (strcmp(r->tags[i], v) == 0)
				return fail_at(ld, e->start_mark, "duplicate tag '%s'", v);
		joined += strlen(v) + (r->ntags ? 1 : 0);
		/* Detections carry the joined list in a fixed field (DET_TAGS_MAX). */
		if (joined >= DET_TAGS_MAX)
			return fail_at(ld, e->start_mark,
			               "too many tags (joined they exceed %d bytes)",
			               DET_TAGS_MAX - 1);
		if (dup_str(ld, v, &r->tags[r->ntags]) < 0)
			return -1;
		r->ntags++;
	}
	r->tags_joined = malloc(joined + 1);
	if (!r->tags_joined)
		return fail_oom(ld);
	r->tags_joined[0] = '\0';
	for (i = 0; i < r->ntags; i++) {
		if (i)
			strcat(r->tags_joined, ",");
		strcat(r->tags_joined, r->tags[i]);
	}
	return 0;
}

static int get_params(struct loader *ld, yaml_node_t *map, struct sw_rule *r)
{
	const struct detector *d = r->detector;
	const yaml_node_t *seen[RULE_MAX_PARAMS] = {0};
	yaml_node_pair_t *p;

	if (want_kind(ld, map, YAML_MAPPING_NODE, "'params'") < 0)
		return -1;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_get(ld, p->key), *v = node_get(ld, p->value);
		const char *key, *val;
		char vb[SHOW_BUF], what[64];
		size_t i;

		if (!k || !v)
			return fail_at(ld, map->start_mark, "malformed mapping in params");
		if (want_scalar(ld, k, "a mapping key", &key) < 0)
			return -1;
		for (i = 0; i < d->nparams && strcmp(d->param_names[i], key) != 0; i++)
			;
		if (i == d->nparams) {
			char list[256];
			size_t o = 0, j;

			if (d->nparams == 0)
				return fail_at(ld, k->start_mark,
				               "unknown param '%s' (detector '%s' takes no params)",
				               show(key, vb), d->name);
			list[0] = '\0';
			for (j = 0; j < d->nparams && o < sizeof list; j++)
				o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
				                      j ? ", " : "", d->param_names[j]);
			return fail_at(ld, k->start_mark,
			               "unknown param '%s' for detector '%s' (expected one of: %s)",
			               show(key, vb), d->name, list);
		}
		if (seen[i])
			return fail_at(ld, k->start_mark,
			               "duplicate key '%s' in params (first at line %zu)", key,
			               seen[i]->start_mark.line + 1);
		seen[i] = k;
		snprintf(what, sizeof what, "param '%s'", key);
		if (want_scalar(ld, v, what, &val) < 0)
			return -1;
		if (parse_real(val, &r->params[i]) < 0)
			return fail_at(ld, v->start_mark, "param '%s' must be a number, got '%s'",
			               key, show(val, vb));
	}
	return 0;
}

/* The fixed vocabulary of a rule, in the order fields are checked. */
enum {
	RK_ID,
	RK_NAME,
	RK_DESCRIPTION,
	RK_ENABLED,
	RK_SEVERITY,
	RK_TAGS,
	RK_DETECTOR,
	RK_THRESHOLD,
	RK_WINDOW,
	RK_IDLE,
	RK_GROUP_BY,
	RK_SUPPRESS,
	RK_PARAMS,
	RK__COUNT
};

static const char *const rule_keys[RK__COUNT] = {
    [RK_ID] = "id",
    [RK_NAME] = "name",
    [RK_DESCRIPTION] = "description",
    [RK_ENABLED] = "enabled",
    [RK_SEVERITY] = "severity",
    [RK_TAGS] = "tags",
    [RK_DETECTOR] = "detector",
    [RK_THRESHOLD] = "threshold",
    [RK_WINDOW] = "window",
    [RK_IDLE] = "idle",
    [RK_GROUP_BY] = "group_by",
    [RK_SUPPRESS] = "suppress",
    [RK_PARAMS] = "params",
};

static int need(struct loader *ld, const yaml_node_t *map, const struct field *f)
{
	if (f->val)
		return 0;
	return fail_at(ld, map->start_mark, "rule is missing required key '%s'", f->key);
}

/* Fills r (zeroed, already counted in the set so rules_free reclaims it on failure). */
static int parse_rule(struct loader *ld, yaml_node_t *map, struct sw_rule *r)
{
	struct field f[RK__COUNT];
	const char *v;
	char vb[SHOW_BUF];
	size_t i, cap_sup = 0;
	int64_t thr;

	if (want_kind(ld, map, YAML_MAPPING_NODE, "a rule") < 0)
		return -1;
	for (i = 0; i < RK__COUNT; i++)
		f[i] = (struct field){.key = rule_keys[i]};
	if (collect(ld, map, f, RK__COUNT, "in rule") < 0)
		return -1;
	if (dup_str(ld, ld->file, &r->file) < 0)
		return -1;
	r->line = (int)map->start_mark.line + 1;

	if (need(ld, map, &f[RK_ID]) < 0 || want_scalar(ld, f[RK_ID].val, "'id'", &v) < 0)
		return -1;
	if (!id_ok(v))
		return fail_at(ld, f[RK_ID].val->start_mark,
		               "bad rule id '%s' (1 to %d characters from A-Z a-z 0-9 _ . -)",
		               show(v, vb), DET_RULE_ID_MAX - 1);
	for (i = 0; i < r->index; i++)
		if (strcmp(ld->rs->rules[i].id, v) == 0)
			return fail_at(ld, f[RK_ID].val->start_mark,
			               "duplicate rule id '%s' (first defined at %s:%d)", v,
			               ld->rs->rules[i].file, ld->rs->rules[i].line);
	if (dup_str(ld, v, &r->id) < 0)
		return -1;

	if (need(ld, map, &f[RK_NAME]) < 0 || want_scalar(ld, f[RK_NAME].val, "'name'", &v) < 0)
		return -1;
	if (v[0] == '\0')
		return fail_at(ld, f[RK_NAME].val->start_mark, "rule name must not be empty");
	if (strlen(v) >= DET_RULE_NAME_MAX)
		return fail_at(ld, f[RK_NAME].val->start_mark,
		               "rule name is %zu bytes long (at most %d)", strlen(v),
		               DET_RULE_NAME_MAX - 1);
	if (has_control(v, ""))
		return fail_at(ld, f[RK_NAME].val->start_mark,
		               "rule name contains a control character");
	if (dup_str(ld, v, &r->name) < 0)
		return -1;

	v = "";
	if (f[RK_DESCRIPTION].val) {
		if (want_scalar(ld, f[RK_DESCRIPTION].val, "'description'", &v) < 0)
			return -1;
		/* Folded and literal blocks legitimately carry newlines and tabs. */
		if (has_control(v, "\n\t"))
			return fail_at(ld, f[RK_DESCRIPTION].val->start_mark,
			               "description contains a control character");
	}
	if (dup_str(ld, v, &r->description) < 0)
		return -1;

	r->enabled = true;
	if (f[RK_ENABLED].val && get_bool(ld, f[RK_ENABLED].val, "enabled", &r->enabled) < 0)
		return -1;

	r->severity = SEV_MEDIUM;
	if (f[RK_SEVERITY].val) {
		if (want_scalar(ld, f[RK_SEVERITY].val, "'severity'", &v) < 0)
			return -1;
		if (detection_severity_parse(v, &r->severity) < 0)
			return fail_at(ld, f[RK_SEVERITY].val->start_mark,
			               "unknown severity '%s' (expected low, medium, high or "
			               "critical)",
			               show(v, vb));
	}

	if (f[RK_TAGS].val) {
		if (get_tags(ld, f[RK_TAGS].val, r) < 0)
			return -1;
	} else if (dup_str(ld, "", &r->tags_joined) < 0) {
		return -1;
	}

	if (need(ld, map, &f[RK_DETECTOR]) < 0 ||
	    want_scalar(ld, f[RK_DETECTOR].val, "'detector'", &v) < 0)
		return -1;
	r->detector = detect_lookup(v);
	if (!r->detector)
		return fail_at(ld, f[RK_DETECTOR].val->start_mark, "unknown detector '%s'",
		               show(v, vb));
	/* A registry entry that breaks the contract is a programming error; say so. */
	if (r->detector->nparams > RULE_MAX_PARAMS)
		return fail_at(ld, f[RK_DETECTOR].val->start_mark,
		               "detector '%s' declares %u params, more than %d", v,
		               r->detector->nparams, RULE_MAX_PARAMS);

	if (need(ld, map, &f[RK_THRESHOLD]) < 0 ||
	    want_scalar(ld, f[RK_THRESHOLD].val, "'threshold'", &v) < 0)
		return -1;
	if (parse_int(v, &thr) < 0)
		return fail_at(ld, f[RK_THRESHOLD].val->start_mark,
		               "threshold must be an integer, got '%s'", show(v, vb));
	if (thr < 1 || thr > RULES_THRESHOLD_MAX)
		return fail_at(ld, f[RK_THRESHOLD].val->start_mark,
		               "threshold must be between 1 and %d, got '%s'", RULES_THRESHOLD_MAX,
		               show(v, vb));
	r->threshold = (uint32_t)thr;

	if (need(ld, map, &f[RK_WINDOW]) < 0 ||
	    get_duration(ld, f[RK_WINDOW].val, "window", &r->window_us) < 0)
		return -1;
	r->idle_us = RULES_IDLE_DEFAULT_US;
	if (f[RK_IDLE].val && get_duration(ld, f[RK_IDLE].val, "idle", &r->idle_us) < 0)
		return -1;

	r->group_by = r->detector->default_group;
	if (f[RK_GROUP_BY].val) {
		if (want_scalar(ld, f[RK_GROUP_BY].val, "'group_by'", &v) < 0)
			return -1;
		if (strcmp(v, "src") == 0)
			r->group_by = GROUP_SRC;
		else if (strcmp(v, "dst") == 0)
			r->group_by = GROUP_DST;
		else if (strcmp(v, "src_dst") == 0)
			r->group_by = GROUP_SRC_DST;
		else
			return fail_at(ld, f[RK_GROUP_BY].val->start_mark,
			               "unknown group_by '%s' (expected src, dst or src_dst)",
			               show(v, vb));
	}

	if (f[RK_SUPPRESS].val && get_cidrs(ld, f[RK_SUPPRESS].val, "suppress", &r->suppress,
	                                    &r->nsuppress, &cap_sup) < 0)
		return -1;

	for (i = 0; i < r->detector->nparams; i++)
		r->params[i] = r->detector->param_defaults[i];
	if (f[RK_PARAMS].val && get_params(ld, f[RK_PARAMS].val, r) < 0)
		return -1;
	return 0;
}

static const char *const top_keys[] = {"version", "home_net", "allow", "rules"};

static int parse_document(struct loader *ld, yaml_node_t *root)
{
	struct field f[4];
	struct sw_ruleset *rs = ld->rs;
	yaml_node_t *n;
	yaml_node_item_t *it;
	const char *v;
	char vb[SHOW_BUF];
	int64_t ver;
	size_t i;

	if (root->type != YAML_MAPPING_NODE)
		return fail_at(ld, root->start_mark,
		               "expected a mapping at top level (version, rules...), found %s",
		               kind_name(root->type));
	for (i = 0; i < 4; i++)
		f[i] = (struct field){.key = top_keys[i]};
	if (collect(ld, root, f, 4, "at top level") < 0)
		return -1;

	n = field_val(f, 4, "version");
	if (!n)
		return fail_at(ld, root->start_mark,
		               "missing required key 'version' (use: version: %d)",
		               RULES_FORMAT_VERSION);
	if (want_scalar(ld, n, "'version'", &v) < 0)
		return -1;
	if (parse_int(v, &ver) < 0 || ver != RULES_FORMAT_VERSION)
		return fail_at(ld, n->start_mark, "unsupported version '%s' (this build reads %d)",
		               show(v, vb), RULES_FORMAT_VERSION);

	n = field_val(f, 4, "home_net");
	if (n && get_cidrs(ld, n, "home_net", &rs->home_net, &rs->nhome, &ld->cap_home) < 0)
		return -1;
	n = field_val(f, 4, "allow");
	if (n && get_cidrs(ld, n, "allow", &rs->allow, &rs->nallow, &ld->cap_allow) < 0)
		return -1;

	/* A file without rules may still add allow or home_net blocks to the set. */
	n = field_val(f, 4, "rules");
	if (!n)
		return 0;
	if (want_kind(ld, n, YAML_SEQUENCE_NODE, "'rules'") < 0)
		return -1;
	if (n->data.sequence.items.top == n->data.sequence.items.start)
		return fail_at(ld, n->start_mark,
		               "empty rules list (define at least one rule, or leave 'rules' out)");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = node_get(ld, *it);
		struct sw_rule *r;

		if (!e)
			return fail_at(ld, n->start_mark, "malformed list");
		if (rs->nrules >= RULES_MAX)
			return fail_at(ld, e->start_mark, "more than %d rules", RULES_MAX);
		if (grow((void **)&rs->rules, &ld->cap_rules, rs->nrules + 1, sizeof *rs->rules) <
		    0)
			return fail_oom(ld);
		r = &rs->rules[rs->nrules];
		memset(r, 0, sizeof *r);
		r->index = (uint32_t)rs->nrules;
		rs->nrules++;
		if (parse_rule(ld, e, r) < 0)
			return -1;
	}
	return 0;
}

/* Reports a libyaml failure at the position libyaml blames. */
static int fail_yaml(struct loader *ld, const yaml_parser_t *p, const char *text, size_t len)
{
	size_t line = 1, col = 1, i, off;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_oom(ld);
	case YAML_READER_ERROR:
		/* Reader errors (bad encoding, control characters) carry a byte offset only. */
		off = p->problem_offset < len ? p->problem_offset : len;
		for (i = 0; i < off; i++) {
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

/* First pass over the event stream: syntax, and nesting within RULES_DEPTH_MAX. */
static int check_depth(struct loader *ld, const char *text, size_t len)
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
			if (++depth > RULES_DEPTH_MAX) {
				fail_at(ld, ev.start_mark, "nested deeper than %d levels",
				        RULES_DEPTH_MAX);
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

/* Parses one named YAML text into the set being built. */
static int load_text(struct loader *ld, const char *name, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false;
	yaml_node_t *root;
	int rc = -1;

	ld->file = name;
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
	/* Read to the end before interpreting, so syntax errors anywhere come first. */
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
	if (!root) {
		set_err(ld->err, ld->errlen,
		        "%s:1:1: empty file (expected a mapping with 'version' and 'rules')", name);
		goto fail;
	}
	rc = parse_document(ld, root);
fail:
	ld->doc = NULL;
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

static int note_file(struct loader *ld, const char *name)
{
	if (grow((void **)&ld->files, &ld->cap_files, ld->nfiles + 1, sizeof *ld->files) < 0)
		return fail_oom(ld);
	ld->files[ld->nfiles] = strdup(name);
	if (!ld->files[ld->nfiles])
		return fail_oom(ld);
	ld->nfiles++;
	return 0;
}

/* Reads a whole regular file of at most RULES_FILE_MAX bytes. */
static int read_file(struct loader *ld, const char *path, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
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
	for (;;) {
		ssize_t got;

		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > RULES_FILE_MAX + 1)
				cap = RULES_FILE_MAX + 1;
			if (len == cap) {
				set_err(ld->err, ld->errlen,
				        "%s: larger than %u bytes, not a rule file", path,
				        RULES_FILE_MAX);
				goto fail;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				set_err(ld->err, ld->errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			set_err(ld->err, ld->errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
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

static int load_file(struct loader *ld, const char *path)
{
	char *text;
	size_t len;
	int rc;

	if (read_file(ld, path, &text, &len) < 0)
		return -1;
	rc = note_file(ld, path);
	if (rc == 0)
		rc = load_text(ld, path, text, len);
	free(text);
	return rc;
}

static bool rule_file_name(const char *n)
{
	size_t l = strlen(n);

	/* Hidden files are editor swap and backup files, never rules. */
	if (n[0] == '.')
		return false;
	return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(n + l - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every *.yaml and *.yml file of a directory, in strcmp order. */
static int load_dir(struct loader *ld, const char *dir)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, *path = NULL;
	size_t n = 0, cap = 0, i, dl = strlen(dir);
	int rc = -1;

	d = opendir(dir);
	if (!d) {
		set_err(ld->err, ld->errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (!rule_file_name(de->d_name))
			continue;
		if (grow((void **)&names, &cap, n + 1, sizeof *names) < 0 ||
		    !(names[n] = strdup(de->d_name))) {
			set_err(ld->err, ld->errlen, "%s: out of memory", dir);
			goto fail;
		}
		n++;
	}
	if (errno) {
		set_err(ld->err, ld->errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		set_err(ld->err, ld->errlen, "%s: directory holds no *.yaml or *.yml rule files",
		        dir);
		goto fail;
	}
	qsort(names, n, sizeof *names, cmp_str);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (i = 0; i < n; i++) {
		free(path);
		if (asprintf(&path, "%.*s/%s", (int)dl, dir, names[i]) < 0) {
			path = NULL;
			set_err(ld->err, ld->errlen, "%s: out of memory", dir);
			goto fail;
		}
		if (load_file(ld, path) < 0)
			goto fail;
	}
	rc = 0;
fail:
	free(path);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* Checks the combined set and hands it out; on failure the caller frees it. */
static int finish(struct loader *ld, const char *origin)
{
	size_t len = 0, i;

	if (origin) {
		ld->rs->origin = strdup(origin);
	} else {
		for (i = 0; i < ld->nfiles; i++)
			len += strlen(ld->files[i]) + 2;
		ld->rs->origin = malloc(len + 1);
		if (ld->rs->origin) {
			ld->rs->origin[0] = '\0';
			for (i = 0; i < ld->nfiles; i++) {
				if (i)
					strcat(ld->rs->origin, ", ");
				strcat(ld->rs->origin, ld->files[i]);
			}
		}
	}
	if (!ld->rs->origin)
		return fail_oom(ld);
	if (ld->rs->nrules == 0) {
		set_err(ld->err, ld->errlen, "%s: no rules defined (a rule set needs at least one)",
		        ld->rs->origin[0] ? ld->rs->origin : "rules");
		return -1;
	}
	return 0;
}

static int loader_init(struct loader *ld, char *err, size_t errlen)
{
	memset(ld, 0, sizeof *ld);
	ld->err = err;
	ld->errlen = errlen;
	ld->rs = calloc(1, sizeof *ld->rs);
	if (!ld->rs)
		return fail_oom(ld);
	return 0;
}

/* Frees the loader's scratch state and, unless ok, the set being built. */
static int loader_done(struct loader *ld, int rc, struct sw_ruleset **out)
{
	size_t i;

	for (i = 0; i < ld->nfiles; i++)
		free(ld->files[i]);
	free(ld->files);
	if (rc == 0)
		*out = ld->rs;
	else
		rules_free(ld->rs);
	return rc;
}

int rules_load_paths(const char *const *paths, size_t npaths, struct sw_ruleset **out, char *err,
                     size_t errlen)
{
	struct loader ld;
	struct stat st;
	size_t i;
	int rc = -1;

	if (loader_init(&ld, err, errlen) < 0)
		return -1;
	if (npaths == 0) {
		set_err(err, errlen, "no rule files given");
		goto done;
	}
	for (i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) < 0) {
			set_err(err, errlen, "%s: %s", paths[i], strerror(errno));
			goto done;
		}
		if (S_ISDIR(st.st_mode) ? load_dir(&ld, paths[i]) : load_file(&ld, paths[i]))
			goto done;
	}
	rc = finish(&ld, NULL);
done:
	return loader_done(&ld, rc, out);
}

int rules_load_string(const char *name, const char *text, size_t len, struct sw_ruleset **out,
                      char *err, size_t errlen)
{
	struct loader ld;
	int rc = -1;

	if (loader_init(&ld, err, errlen) < 0)
		return -1;
	if (load_text(&ld, name, text, len) == 0)
		rc = finish(&ld, name);
	return loader_done(&ld, rc, out);
}

int rules_load_builtin(struct sw_ruleset **out, char *err, size_t errlen)
{
	struct loader ld;
	int rc = -1;

	if (loader_init(&ld, err, errlen) < 0)
		return -1;
	if (load_text(&ld, "built-in rules/default.yaml", embedded_default_rules,
	              embedded_default_rules_len) == 0)
		rc = finish(&ld, "built-in defaults");
	return loader_done(&ld, rc, out);
}

void rules_free(struct sw_ruleset *rs)
{
	size_t i, j;

	if (!rs)
		return;
	for (i = 0; i < rs->nrules; i++) {
		struct sw_rule *r = &rs->rules[i];

		free(r->id);
		free(r->name);
		free(r->description);
		free(r->file);
		for (j = 0; j < r->ntags; j++)
			free(r->tags[j]);
		free(r->tags);
		free(r->tags_joined);
		free(r->suppress);
	}
	free(rs->rules);
	free(rs->allow);
	free(rs->home_net);
	free(rs->origin);
	free(rs);
}
