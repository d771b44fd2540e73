/* fuzz_rules.c — libFuzzer target: arbitrary bytes as a YAML rule file through rules_load_string.
 *
 * The text is passed with its length and no terminating NUL, in a buffer of
 * exactly that size: the loader must honour len. A rule set that loads must
 * satisfy the invariants every consumer of rules.h relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/detect.h"
#include "scanwatch/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct sw_ruleset *rs = NULL;
	char err[512];
	err[0] = 0;
	int r = rules_load_string("fuzz.yaml", text, size, &rs, err, sizeof err);
	if (r < 0) {
		/* An error always says what is wrong, and leaves *out untouched. */
		if (err[0] == 0 || rs != NULL || memchr(err, 0, sizeof err) == NULL)
			abort();
	} else {
		if (!rs || rs->nrules == 0)
			abort();
		for (size_t i = 0; i < rs->nrules; i++) {
			const struct sw_rule *ru = &rs->rules[i];
			if (!ru->id || !ru->name || !ru->detector || ru->index != i)
				abort();
			if (ru->threshold == 0 || ru->window_us == 0)
				abort();
			if (ru->nsuppress && !ru->suppress)
				abort();
			if (ru->ntags && !ru->tags)
				abort();
			if (ru->detector->nparams > RULE_MAX_PARAMS)
				abort();
		}
		rules_free(rs);
	}
	free(text);
	return 0;
}
