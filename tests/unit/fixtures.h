/* fixtures.h — test data and helpers shared by the unit tests (each test is its own program). */
#ifndef SCANWATCH_TEST_FIXTURES_H
#define SCANWATCH_TEST_FIXTURES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/detection.h"

/*
 * Every helper is static inline: a test includes the header and uses what it
 * needs, and the unused ones draw no -Wunused-function warning.
 */

/*
 * The source tree, where the fixture files live, into buf: SW_SOURCE_DIR (ctest sets it), else
 * given (a test run by hand may be passed the tree), else the tree around file, the caller's
 * __FILE__ (CMake and the documented compiler lines compile tests by absolute path), else ".".
 */
#define FIXTURE_SOURCE_DIR(buf, n, given) fixture_source_dir(buf, n, given, __FILE__)
static inline const char *fixture_source_dir(char *buf, size_t n, const char *given,
                                             const char *file)
{
	const char *env = getenv("SW_SOURCE_DIR"), *tail = NULL;

	for (const char *p = strstr(file, "/tests/unit/"); p; p = strstr(p + 1, "/tests/unit/"))
		tail = p;
	if (env && *env)
		snprintf(buf, n, "%s", env);
	else if (given && *given)
		snprintf(buf, n, "%s", given);
	else if (tail && tail > file)
		snprintf(buf, n, "%.*s", (int)(tail - file), file);
	else
		snprintf(buf, n, ".");
	return buf;
}

/* A test address; a typo in a test aborts at once rather than testing "::". */
static inline struct sw_addr fixture_ip(const char *text)
{
	struct sw_addr a;

	if (addr_parse(text, &a) != 0) {
		fprintf(stderr, "bad test address %s\n", text);
		abort();
	}
	return a;
}

/* An IPv4 test address from its four bytes. */
static inline struct sw_addr fixture_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t x[4] = {a, b, c, d};
	struct sw_addr r;

	addr_from_v4(&r, x);
	return r;
}

/*
 * The SYN scan of the documentation examples (opened 2026-11-26T04:28:29.123456Z),
 * as the open, update or close record; the outputs' expected lines are written
 * for exactly these values.
 */
/* Sets d's tags from "T1046,T1595.001" (the tests' shorthand; records hold a list). */
static inline void fixture_tags(struct sw_detection *d, const char *list)
{
	d->n_tags = 0;
	while (*list) {
		size_t n = strcspn(list, ",");
		if (n > 0)
			detection_add_tag(d, list, n);
		list += n + (list[n] == ',');
	}
}

/* Sets d's reasons from "a; b" (the tests' shorthand): a reason named "text" per piece. */
static inline void fixture_reasons(struct sw_detection *d, const char *text)
{
	d->n_reasons = 0;
	for (const char *p = text; *p;) {
		const char *sep = strstr(p, "; ");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		detection_reason(d, "text", 0, "%.*s", (int)n, p);
		p = sep ? sep + 2 : p + n;
	}
}

/* Fills every reason to the brim with pat (plen bytes, repeated whole), names with 'n'. */
static inline void fixture_reasons_full(struct sw_detection *d, const char *pat, size_t plen)
{
	d->n_reasons = DET_REASONS_MAX;
	for (unsigned i = 0; i < DET_REASONS_MAX; i++) {
		struct det_reason *r = &d->reasons[i];
		memset(r->name, 'n', sizeof r->name - 1);
		r->name[sizeof r->name - 1] = '\0';
		r->count = i;
		memset(r->text, 0, sizeof r->text);
		for (size_t k = 0; k + plen < sizeof r->text; k += plen)
			memcpy(r->text + k, pat, plen);
	}
}

/* d's evidence words joined, in a buffer of the caller's. */
static inline const char *fixture_evidence(const struct sw_detection *d, char *buf, size_t len)
{
	detection_evidence(d, buf, len);
	return buf;
}

static inline void fixture_syn(struct sw_detection *d, enum det_phase phase)
{
	memset(d, 0, sizeof(*d));
	d->seq = 7;
	d->phase = phase;
	d->kind = KIND_SYN_SCAN;
	d->severity = SEV_MEDIUM;
	d->proto = 6;
	d->has_target = 1;
	snprintf(d->rule_id, sizeof(d->rule_id), "SW-TCP-SYN-001");
	snprintf(d->rule_name, sizeof(d->rule_name), "TCP SYN scan");
	fixture_tags(d, "T1046,T1595.001");
	d->src = fixture_ip("198.18.0.2");
	d->target = fixture_ip("198.18.1.2");
	d->first_seen = 1795667309000001ull;
	d->opened_at = 1795667309123456ull;
	d->last_seen = phase == DET_OPEN ? d->opened_at : 1795667320500000ull;
	d->closed_at = phase == DET_CLOSE ? 1795667321000000ull : 0;
	d->probes = phase == DET_OPEN ? 5 : 1999;
	d->probes_at_open = 5;
	d->distinct_targets = 1;
	d->distinct_ports = phase == DET_OPEN ? 5 : 1000;
	d->n_sample_ports = 2;
	d->sample_ports[0] = 22;
	d->sample_ports[1] = 443;
	d->n_sample_targets = 1;
	d->sample_targets[0] = d->target;
	snprintf(d->tool, sizeof(d->tool), "nmap");
	fixture_reasons(d, "5 ports in 0.1s; \"window\" 1024");
}

/* Reads up to cap - 1 bytes of path into buf, NUL-terminated (empty when it cannot be read). */
static inline size_t fixture_read_file(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (fp == NULL)
		return 0;
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return n;
}

#ifdef SQLITE_VERSION /* only for the tests that include <sqlite3.h> first */
/* The first column of the first row of sql as an integer; -1 (and a message) when it fails. */
static inline int64_t fixture_query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}
#endif

#endif
