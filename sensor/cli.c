/* cli.c — command-line argument checks shared by the scanwatch commands (run, query, report). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "scanwatch/cli.h"
#include "scanwatch/rules.h"

int cli_parse_size(const char *prog, const char *opt, const char *arg, uint64_t *out)
{
	if (rules_parse_size(arg, out) < 0 || *out == 0) {
		fprintf(stderr, "%s: %s: '%s' is not a size (e.g. 64M)\n", prog, opt, arg);
		return -1;
	}
	return 0;
}

int cli_parse_u64(const char *prog, const char *opt, const char *arg, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end || end == arg) {
		fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_append(const char *prog, const char *what, const char **list, size_t *n, size_t max,
               const char *arg)
{
	if (*n == max) {
		fprintf(stderr, "%s: at most %zu %s\n", prog, max, what);
		return -1;
	}
	list[(*n)++] = arg;
	return 0;
}

int cli_no_operands(const char *prog, int argc, char **argv, int first)
{
	if (first < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[first]);
		return -1;
	}
	return 0;
}

int cli_help_or_usage_error(int c, void (*usage)(FILE *f))
{
	if (c == 'h') {
		usage(stdout);
		exit(0);
	}
	usage(stderr);
	return -1;
}
