/* rules.h — the immutable rule set compiled from YAML (libyaml). */
#ifndef SCANWATCH_RULES_H
#define SCANWATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"
#include "scanwatch/detection.h"

struct detector; /* detect.h */

/* What one detection is about: the scanner, the victim, or the pair. */
enum rule_group {
	GROUP_SRC = 0,
	GROUP_DST = 1,
	GROUP_SRC_DST = 2,
};

#define RULE_MAX_PARAMS 8

/*
 * One rule. Strings are owned by the rule set. `detector` points into the
 * static registry (detect.c). Durations are microseconds.
 */
struct sw_rule {
	char *id;
	char *name;
	char *description;
	char *file; /* where it was defined, for messages */
	int line;
	bool enabled;
	enum sw_severity severity;
	char **tags;
	size_t ntags;
	const struct detector *detector;
	uint32_t threshold;
	uint64_t window_us;
	uint64_t idle_us;
	enum rule_group group_by;
	bool crafted_only;        /* only probes no ordinary stack builds, and their outcomes */
	struct sw_cidr *suppress; /* sources this rule never reports */
	size_t nsuppress;
	double params[RULE_MAX_PARAMS]; /* detector parameters, defaults filled in */
	uint32_t index;                 /* position in the rule set */
};

struct sw_ruleset {
	struct sw_rule *rules; /* enabled and disabled, in file order */
	size_t nrules;
	struct sw_cidr *allow; /* sources never reported by any rule */
	size_t nallow;
	struct sw_cidr *home_net; /* empty: every address is home */
	size_t nhome;
	char *origin; /* "built-in defaults" or the list of files read */
	/* campaign_window: how long after a detection's last probe another source's detection of
	 * the same shape may still join its campaign (campaign.c); RULES_CAMPAIGN_WINDOW_US when
	 * no file says. */
	uint64_t campaign_window_us;
};
#define RULES_CAMPAIGN_WINDOW_US (60ULL * 1000000)

/* Exit status for a configuration error (sysexits.h EX_CONFIG). */
#define RULES_EXIT_CONFIG 78

/*
 * Loads rules from each path (a YAML file, or a directory whose *.yaml and
 * *.yml files are read in name order). On error returns -1 with
 * "file:line:col: what is wrong" in err and *out untouched. The caller owns
 * *out and frees it with rules_free().
 */
int rules_load_paths(const char *const *paths, size_t npaths, struct sw_ruleset **out, char *err,
                     size_t errlen);
/* Loads the rules compiled into the binary (a copy of rules/default.yaml). */
int rules_load_builtin(struct sw_ruleset **out, char *err, size_t errlen);
/* Loads from a YAML text held in memory; name is used in messages. */
int rules_load_string(const char *name, const char *text, size_t len, struct sw_ruleset **out,
                      char *err, size_t errlen);
/* Frees a rule set and everything it owns; NULL is a no-op. */
void rules_free(struct sw_ruleset *rs);
/* Parses "90s", "5m", "1h", "250ms", "2d", plain seconds; 0 or -1. */
int rules_parse_duration(const char *text, uint64_t *out_us);
/* Parses "64M", "1G", "512k", plain bytes; 0 or -1. */
int rules_parse_size(const char *text, uint64_t *out_bytes);

#endif
