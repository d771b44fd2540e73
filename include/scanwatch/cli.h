/* cli.h — command-line argument checks shared by the scanwatch commands (run, query, report). */
#ifndef SCANWATCH_CLI_H
#define SCANWATCH_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Each check prints its own message on stderr, prefixed with prog (the
 * command as the user knows it: "scanwatch", "scanwatch report") and naming
 * the option, and returns 0, or -1 for the caller to exit with a usage error.
 */

/* A size such as "64M" (rules_parse_size), not zero. */
int cli_parse_size(const char *prog, const char *opt, const char *arg, uint64_t *out);
/* A whole number in C notation (decimal, 0x hex or 0 octal), all of arg. */
int cli_parse_u64(const char *prog, const char *opt, const char *arg, uint64_t *out);
/* Appends arg to list (of *n, room for max); what names the items in the error ("rule paths"). */
int cli_append(const char *prog, const char *what, const char **list, size_t *n, size_t max,
               const char *arg);
/*
 * getopt's answer c that is no option of the command: 'h' (--help) prints usage on stdout and
 * exits 0; anything else prints it on stderr and returns -1 (a usage error).
 */
int cli_help_or_usage_error(int c, void (*usage)(FILE *f));
/* After getopt: no operand may be left over (argv[first] onwards, first = optind). */
int cli_no_operands(const char *prog, int argc, char **argv, int first);

#endif
