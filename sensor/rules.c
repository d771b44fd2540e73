/* rules.c — loads YAML rule files (libyaml document API) into the immutable rule set. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "scanwatch/detect.h"
#include "scanwatch/embedded.h"
#include "scanwatch/rules.h"
#include "scanwatch/yamlcfg.h"

/*
 * Tunables. The loader reads operator-supplied files, but a wrong path (a
 * capture, a log, /dev/zero) must still fail quickly and in bounded memory.
 */

/* A rule file is a few kilobytes; 4 MiB is far beyond any real one. */
#define RULES_FILE_MAX (4u << 20)
/* Rules across all files. The duplicate-id check is quadratic and the
 * detection engine keeps per-rule state; real sets hold tens of rules. */
#define RULES_MAX 4096
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

/* The state of one load: the set being built and where errors go. */
struct loader {
	struct sw_ruleset *rs;
	size_t cap_rules, cap_allow, cap_home;
	size_t ncidrs; /* address blocks so far, against RULES_CIDRS_MAX */
	char **files;  /* names read, for rs->origin */
	size_t nfiles, cap_files;
	struct yamlcfg y; /* y.file: name of the document being read */
};

/* One key of a mapping with a fixed vocabulary (a rule, the top level). */
struct field {
	const char *key;
	yaml_node_t *keynode; /* NULL when absent */
	yaml_node_t *val;
};

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

/*
 * Matches a mapping's keys against a fixed vocabulary: every key must be a
 * scalar from the list and appear once. Values are left for the caller.
 */
static int collect(struct loader *ld, yaml_node_t *map, struct field *f, size_t nf,
                   const char *where)
{
	const struct yamlcfg_vocab vocab = {&f[0].key, sizeof(*f), nf};
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k, *v;
		const char *key;
		size_t i;

		if (yamlcfg_pair(&ld->y, map, p, where, "a mapping key", &k, &v, &key) < 0)
			return -1;
		i = yamlcfg_vocab_find(&vocab, key);
		if (i == nf)
			return yamlcfg_unknown_key(&ld->y, k, key, where, &vocab);
		if (f[i].keynode)
			return yamlcfg_dup_key(&ld->y, k, key, where, f[i].keynode);
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

int rules_parse_duration(const char *text, uint64_t *out_us)
{
	uint64_t v;

	if (!text || yamlcfg_parse_duration(text, &v) != NULL)
		return -1;
	*out_us = v;
	return 0;
}

int rules_parse_size(const char *text, uint64_t *out_bytes)
{
	return yamlcfg_parse_size(text, out_bytes);
}

static int get_duration(struct loader *ld, yaml_node_t *n, const char *key, uint64_t *out)
{
	const char *v, *why;
	char vb[YAMLCFG_SHOW_BUF], what[32];

	snprintf(what, sizeof what, "'%s'", key);
	if (yamlcfg_scalar(&ld->y, n, what, &v) < 0)
		return -1;
	why = yamlcfg_parse_duration(v, out);
	if (why)
		return yamlcfg_fail_at(&ld->y, n->start_mark, "bad duration '%s' for %s: %s",
		                       yamlcfg_show(v, vb), key, why);
	return 0;
}

/* Appends the CIDR blocks of a list node to *list. */
static int get_cidrs(struct loader *ld, yaml_node_t *seq, const char *key, struct sw_cidr **list,
                     size_t *n, size_t *cap)
{
	yaml_node_item_t *it;
	char what[32];

	snprintf(what, sizeof what, "'%s'", key);
	if (yamlcfg_kind(&ld->y, seq, YAML_SEQUENCE_NODE, what) < 0)
		return -1;
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e;
		const char *v;

		if (yamlcfg_item(&ld->y, seq, it, &e) < 0 ||
		    yamlcfg_scalar(&ld->y, e, "a CIDR", &v) < 0)
			return -1;
		if (++ld->ncidrs > RULES_CIDRS_MAX)
			return yamlcfg_fail_at(&ld->y, e->start_mark,
			                       "more than %u address blocks in the rule set",
			                       RULES_CIDRS_MAX);
		if (grow((void **)list, cap, *n + 1, sizeof **list) < 0)
			return yamlcfg_oom(&ld->y);
		if (yamlcfg_cidr(&ld->y, e, v, key, &(*list)[*n]) < 0)
			return -1;
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

static int get_tags(struct loader *ld, yaml_node_t *seq, struct sw_rule *r)
{
	yaml_node_item_t *it;
	size_t n, i;

	if (yamlcfg_kind(&ld->y, seq, YAML_SEQUENCE_NODE, "'tags'") < 0)
		return -1;
	n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	r->tags = calloc(n ? n : 1, sizeof *r->tags);
	if (!r->tags)
		return yamlcfg_oom(&ld->y);
	for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e;
		const char *v;
		char vb[YAMLCFG_SHOW_BUF];

		if (yamlcfg_item(&ld->y, seq, it, &e) < 0 ||
		    yamlcfg_scalar(&ld->y, e, "a tag", &v) < 0)
			return -1;
		if (!tag_ok(v))
			return yamlcfg_fail_at(
			    &ld->y, e->start_mark,
			    "bad tag '%s' (expected a MITRE ATT&CK id such as T1046 or "
			    "T1595.001)",
			    yamlcfg_show(v, vb));
		for (i = 0; i < r->ntags; i++)
			if (strcmp(r->tags[i], v) == 0)
				return yamlcfg_fail_at(&ld->y, e->start_mark, "duplicate tag '%s'",
				                       v);
		/* Detections carry the list in a fixed array (DET_TAGS_MAX ids; tag_ok
		 * bounds each id's length below DET_TAG_MAX). */
		if (r->ntags >= DET_TAGS_MAX)
			return yamlcfg_fail_at(&ld->y, e->start_mark, "too many tags (at most %d)",
			                       DET_TAGS_MAX);
		if (yamlcfg_strdup(&ld->y, v, &r->tags[r->ntags]) < 0)
			return -1;
		r->ntags++;
	}
	return 0;
}

static int get_params(struct loader *ld, yaml_node_t *map, struct sw_rule *r)
{
	const struct detector *d = r->detector;
	const yaml_node_t *seen[RULE_MAX_PARAMS] = {0};
	const struct yamlcfg_vocab vocab = {d->param_names, sizeof(*d->param_names), d->nparams};
	yaml_node_pair_t *p;

	if (yamlcfg_kind(&ld->y, map, YAML_MAPPING_NODE, "'params'") < 0)
		return -1;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k, *v;
		const char *key, *val;
		char vb[YAMLCFG_SHOW_BUF], what[64];
		size_t i;

		if (yamlcfg_pair(&ld->y, map, p, "in params", "a mapping key", &k, &v, &key) < 0)
			return -1;
		i = yamlcfg_vocab_find(&vocab, key);
		if (i == d->nparams) {
			char list[YAMLCFG_VOCAB_LIST];

			if (d->nparams == 0)
				return yamlcfg_fail_at(
				    &ld->y, k->start_mark,
				    "unknown param '%s' (detector '%s' takes no params)",
				    yamlcfg_show(key, vb), d->name);
			yamlcfg_vocab_join(&vocab, list, sizeof(list));
			return yamlcfg_fail_at(
			    &ld->y, k->start_mark,
			    "unknown param '%s' for detector '%s' (expected one of: %s)",
			    yamlcfg_show(key, vb), d->name, list);
		}
		if (seen[i])
			return yamlcfg_dup_key(&ld->y, k, key, "in params", seen[i]);
		seen[i] = k;
		snprintf(what, sizeof what, "param '%s'", key);
		if (yamlcfg_scalar(&ld->y, v, what, &val) < 0)
			return -1;
		if (yamlcfg_parse_real(val, &r->params[i]) < 0)
			return yamlcfg_fail_at(&ld->y, v->start_mark,
			                       "param '%s' must be a number, got '%s'", key,
			                       yamlcfg_show(val, vb));
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
	RK_CRAFTED_ONLY,
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
    [RK_CRAFTED_ONLY] = "crafted_only",
    [RK_SUPPRESS] = "suppress",
    [RK_PARAMS] = "params",
};

static int need(struct loader *ld, const yaml_node_t *map, const struct field *f)
{
	if (f->val)
		return 0;
	return yamlcfg_fail_at(&ld->y, map->start_mark, "rule is missing required key '%s'",
	                       f->key);
}

/* Fills r (zeroed, already counted in the set so rules_free reclaims it on failure). */
static int parse_rule(struct loader *ld, yaml_node_t *map, struct sw_rule *r)
{
	struct field f[RK__COUNT];
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];
	size_t i, cap_sup = 0;
	int64_t thr;

	if (yamlcfg_kind(&ld->y, map, YAML_MAPPING_NODE, "a rule") < 0)
		return -1;
	for (i = 0; i < RK__COUNT; i++)
		f[i] = (struct field){.key = rule_keys[i]};
	if (collect(ld, map, f, RK__COUNT, "in rule") < 0)
		return -1;
	if (yamlcfg_strdup(&ld->y, ld->y.file, &r->file) < 0)
		return -1;
	r->line = (int)map->start_mark.line + 1;

	if (need(ld, map, &f[RK_ID]) < 0 || yamlcfg_scalar(&ld->y, f[RK_ID].val, "'id'", &v) < 0)
		return -1;
	if (!id_ok(v))
		return yamlcfg_fail_at(
		    &ld->y, f[RK_ID].val->start_mark,
		    "bad rule id '%s' (1 to %d characters from A-Z a-z 0-9 _ . -)",
		    yamlcfg_show(v, vb), DET_RULE_ID_MAX - 1);
	for (i = 0; i < r->index; i++)
		if (strcmp(ld->rs->rules[i].id, v) == 0)
			return yamlcfg_fail_at(&ld->y, f[RK_ID].val->start_mark,
			                       "duplicate rule id '%s' (first defined at %s:%d)", v,
			                       ld->rs->rules[i].file, ld->rs->rules[i].line);
	if (yamlcfg_strdup(&ld->y, v, &r->id) < 0)
		return -1;

	if (need(ld, map, &f[RK_NAME]) < 0 ||
	    yamlcfg_scalar(&ld->y, f[RK_NAME].val, "'name'", &v) < 0)
		return -1;
	if (v[0] == '\0')
		return yamlcfg_fail_at(&ld->y, f[RK_NAME].val->start_mark,
		                       "rule name must not be empty");
	if (strlen(v) >= DET_RULE_NAME_MAX)
		return yamlcfg_fail_at(&ld->y, f[RK_NAME].val->start_mark,
		                       "rule name is %zu bytes long (at most %d)", strlen(v),
		                       DET_RULE_NAME_MAX - 1);
	if (yamlcfg_has_control(v, ""))
		return yamlcfg_fail_at(&ld->y, f[RK_NAME].val->start_mark,
		                       "rule name contains a control character");
	if (yamlcfg_strdup(&ld->y, v, &r->name) < 0)
		return -1;

	v = "";
	if (f[RK_DESCRIPTION].val) {
		if (yamlcfg_scalar(&ld->y, f[RK_DESCRIPTION].val, "'description'", &v) < 0)
			return -1;
		/* Folded and literal blocks legitimately carry newlines and tabs. */
		if (yamlcfg_has_control(v, "\n\t"))
			return yamlcfg_fail_at(&ld->y, f[RK_DESCRIPTION].val->start_mark,
			                       "description contains a control character");
	}
	if (yamlcfg_strdup(&ld->y, v, &r->description) < 0)
		return -1;

	r->enabled = true;
	if (f[RK_ENABLED].val &&
	    yamlcfg_bool(&ld->y, f[RK_ENABLED].val, "enabled", &r->enabled) < 0)
		return -1;
	if (f[RK_CRAFTED_ONLY].val &&
	    yamlcfg_bool(&ld->y, f[RK_CRAFTED_ONLY].val, "crafted_only", &r->crafted_only) < 0)
		return -1;

	r->severity = SEV_MEDIUM;
	if (f[RK_SEVERITY].val) {
		if (yamlcfg_scalar(&ld->y, f[RK_SEVERITY].val, "'severity'", &v) < 0)
			return -1;
		if (detection_severity_parse(v, &r->severity) < 0)
			return yamlcfg_fail_at(
			    &ld->y, f[RK_SEVERITY].val->start_mark,
			    "unknown severity '%s' (expected low, medium, high or "
			    "critical)",
			    yamlcfg_show(v, vb));
	}

	if (f[RK_TAGS].val && get_tags(ld, f[RK_TAGS].val, r) < 0)
		return -1;

	if (need(ld, map, &f[RK_DETECTOR]) < 0 ||
	    yamlcfg_scalar(&ld->y, f[RK_DETECTOR].val, "'detector'", &v) < 0)
		return -1;
	r->detector = detect_lookup(v);
	if (!r->detector)
		return yamlcfg_fail_at(&ld->y, f[RK_DETECTOR].val->start_mark,
		                       "unknown detector '%s'", yamlcfg_show(v, vb));
	/* A registry entry that breaks the contract is a programming error; say so. */
	if (r->detector->nparams > RULE_MAX_PARAMS)
		return yamlcfg_fail_at(&ld->y, f[RK_DETECTOR].val->start_mark,
		                       "detector '%s' declares %u params, more than %d", v,
		                       r->detector->nparams, RULE_MAX_PARAMS);

	if (need(ld, map, &f[RK_THRESHOLD]) < 0 ||
	    yamlcfg_scalar(&ld->y, f[RK_THRESHOLD].val, "'threshold'", &v) < 0)
		return -1;
	if (yamlcfg_parse_int(v, &thr) < 0)
		return yamlcfg_fail_at(&ld->y, f[RK_THRESHOLD].val->start_mark,
		                       "threshold must be an integer, got '%s'",
		                       yamlcfg_show(v, vb));
	if (thr < 1 || thr > RULES_THRESHOLD_MAX)
		return yamlcfg_fail_at(&ld->y, f[RK_THRESHOLD].val->start_mark,
		                       "threshold must be between 1 and %d, got '%s'",
		                       RULES_THRESHOLD_MAX, yamlcfg_show(v, vb));
	r->threshold = (uint32_t)thr;

	if (need(ld, map, &f[RK_WINDOW]) < 0 ||
	    get_duration(ld, f[RK_WINDOW].val, "window", &r->window_us) < 0)
		return -1;
	r->idle_us = RULES_IDLE_DEFAULT_US;
	if (f[RK_IDLE].val && get_duration(ld, f[RK_IDLE].val, "idle", &r->idle_us) < 0)
		return -1;

	r->group_by = r->detector->default_group;
	if (f[RK_GROUP_BY].val) {
		if (yamlcfg_scalar(&ld->y, f[RK_GROUP_BY].val, "'group_by'", &v) < 0)
			return -1;
		if (strcmp(v, "src") == 0)
			r->group_by = GROUP_SRC;
		else if (strcmp(v, "dst") == 0)
			r->group_by = GROUP_DST;
		else if (strcmp(v, "src_dst") == 0)
			r->group_by = GROUP_SRC_DST;
		else
			return yamlcfg_fail_at(
			    &ld->y, f[RK_GROUP_BY].val->start_mark,
			    "unknown group_by '%s' (expected src, dst or src_dst)",
			    yamlcfg_show(v, vb));
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

static const char *const top_keys[] = {"version", "home_net", "allow", "rules", "campaign_window"};
#define NTOP (sizeof top_keys / sizeof top_keys[0])

static int parse_document(struct loader *ld, yaml_node_t *root)
{
	struct field f[NTOP];
	struct sw_ruleset *rs = ld->rs;
	yaml_node_t *n;
	yaml_node_item_t *it;
	const char *v;
	char vb[YAMLCFG_SHOW_BUF];
	int64_t ver;
	size_t i;

	if (root->type != YAML_MAPPING_NODE)
		return yamlcfg_fail_at(
		    &ld->y, root->start_mark,
		    "expected a mapping at top level (version, rules...), found %s",
		    yamlcfg_kind_name(root->type));
	for (i = 0; i < NTOP; i++)
		f[i] = (struct field){.key = top_keys[i]};
	if (collect(ld, root, f, NTOP, "at top level") < 0)
		return -1;

	n = field_val(f, NTOP, "version");
	if (!n)
		return yamlcfg_fail_at(&ld->y, root->start_mark,
		                       "missing required key 'version' (use: version: %d)",
		                       RULES_FORMAT_VERSION);
	if (yamlcfg_scalar(&ld->y, n, "'version'", &v) < 0)
		return -1;
	if (yamlcfg_parse_int(v, &ver) < 0 || ver != RULES_FORMAT_VERSION)
		return yamlcfg_fail_at(&ld->y, n->start_mark,
		                       "unsupported version '%s' (this build reads %d)",
		                       yamlcfg_show(v, vb), RULES_FORMAT_VERSION);

	n = field_val(f, NTOP, "home_net");
	if (n && get_cidrs(ld, n, "home_net", &rs->home_net, &rs->nhome, &ld->cap_home) < 0)
		return -1;
	n = field_val(f, NTOP, "allow");
	if (n && get_cidrs(ld, n, "allow", &rs->allow, &rs->nallow, &ld->cap_allow) < 0)
		return -1;

	/* The last file that states it decides (as a later file's rules come later). */
	n = field_val(f, NTOP, "campaign_window");
	if (n && get_duration(ld, n, "campaign_window", &rs->campaign_window_us) < 0)
		return -1;

	/* A file without rules may still add allow or home_net blocks to the set. */
	n = field_val(f, NTOP, "rules");
	if (!n)
		return 0;
	if (yamlcfg_kind(&ld->y, n, YAML_SEQUENCE_NODE, "'rules'") < 0)
		return -1;
	if (n->data.sequence.items.top == n->data.sequence.items.start)
		return yamlcfg_fail_at(
		    &ld->y, n->start_mark,
		    "empty rules list (define at least one rule, or leave 'rules' out)");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e;
		struct sw_rule *r;

		if (yamlcfg_item(&ld->y, n, it, &e) < 0)
			return -1;
		if (rs->nrules >= RULES_MAX)
			return yamlcfg_fail_at(&ld->y, e->start_mark, "more than %d rules",
			                       RULES_MAX);
		if (grow((void **)&rs->rules, &ld->cap_rules, rs->nrules + 1, sizeof *rs->rules) <
		    0)
			return yamlcfg_oom(&ld->y);
		r = &rs->rules[rs->nrules];
		memset(r, 0, sizeof *r);
		r->index = (uint32_t)rs->nrules;
		rs->nrules++;
		if (parse_rule(ld, e, r) < 0)
			return -1;
	}
	return 0;
}

/* Parses one named YAML text into the set being built. */
static int load_text(struct loader *ld, const char *name, const char *text, size_t len)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = -1;

	ld->y.file = name;
	if (yamlcfg_load(&ld->y, text, len, RULES_DEPTH_MAX, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		yamlcfg_set_err(
		    ld->y.err, ld->y.errlen,
		    "%s:1:1: empty file (expected a mapping with 'version' and 'rules')", name);
	else
		rc = parse_document(ld, root);
	yamlcfg_unload(&ld->y);
	return rc;
}

static int note_file(struct loader *ld, const char *name)
{
	if (grow((void **)&ld->files, &ld->cap_files, ld->nfiles + 1, sizeof *ld->files) < 0)
		return yamlcfg_oom(&ld->y);
	ld->files[ld->nfiles] = strdup(name);
	if (!ld->files[ld->nfiles])
		return yamlcfg_oom(&ld->y);
	ld->nfiles++;
	return 0;
}

static int load_file(struct loader *ld, const char *path)
{
	char *text;
	size_t len;
	int rc;

	if (yamlcfg_read_file(&ld->y, path, RULES_FILE_MAX, "a rule file", &text, &len) < 0)
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
		yamlcfg_set_err(ld->y.err, ld->y.errlen, "%s: %s", dir, strerror(errno));
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
			yamlcfg_set_err(ld->y.err, ld->y.errlen, "%s: out of memory", dir);
			goto fail;
		}
		n++;
	}
	if (errno) {
		yamlcfg_set_err(ld->y.err, ld->y.errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (n == 0) {
		yamlcfg_set_err(ld->y.err, ld->y.errlen,
		                "%s: directory holds no *.yaml or *.yml rule files", dir);
		goto fail;
	}
	qsort(names, n, sizeof *names, cmp_str);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (i = 0; i < n; i++) {
		free(path);
		if (asprintf(&path, "%.*s/%s", (int)dl, dir, names[i]) < 0) {
			path = NULL;
			yamlcfg_set_err(ld->y.err, ld->y.errlen, "%s: out of memory", dir);
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
		return yamlcfg_oom(&ld->y);
	if (ld->rs->nrules == 0) {
		yamlcfg_set_err(ld->y.err, ld->y.errlen,
		                "%s: no rules defined (a rule set needs at least one)",
		                ld->rs->origin[0] ? ld->rs->origin : "rules");
		return -1;
	}
	return 0;
}

static int loader_init(struct loader *ld, char *err, size_t errlen)
{
	memset(ld, 0, sizeof *ld);
	ld->y.err = err;
	ld->y.errlen = errlen;
	/* Out-of-memory before the first file is named. */
	ld->y.unnamed = "rules";
	ld->rs = calloc(1, sizeof *ld->rs);
	if (ld->rs)
		ld->rs->campaign_window_us = RULES_CAMPAIGN_WINDOW_US;
	if (!ld->rs)
		return yamlcfg_oom(&ld->y);
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
		yamlcfg_set_err(err, errlen, "no rule files given");
		goto done;
	}
	for (i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) < 0) {
			yamlcfg_set_err(err, errlen, "%s: %s", paths[i], strerror(errno));
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
		free(r->suppress);
	}
	free(rs->rules);
	free(rs->allow);
	free(rs->home_net);
	free(rs->origin);
	free(rs);
}
