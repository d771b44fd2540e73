/* embedded.h — files compiled into the binary (generated embedded.c): default rules, schema. */
#ifndef SCANWATCH_EMBEDDED_H
#define SCANWATCH_EMBEDDED_H

#include <stddef.h>

/* rules/default.yaml, NUL-terminated. */
extern const char *const embedded_default_rules;
extern const size_t embedded_default_rules_len;

/* schema/NNN_name.sql in ascending order; the array ends with a {0, NULL, NULL} entry. */
struct embedded_migration {
	int version; /* NNN */
	const char *name;
	const char *sql;
};
extern const struct embedded_migration embedded_migrations[];

#endif
