/* output_console.c — the "console" (one text line per open/close) and "console-json" outputs. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/json.h"
#include "scanwatch/output.h"

/*
 * Worst-case rendered record: every text field escaped to six bytes a byte
 * (evidence alone 511 * 6), 18 addresses, 16 ports and the numbers come to
 * well under 8 KiB; twice that leaves room for fields added later.
 */
#define CONSOLE_LINE_MAX 16384
/* Created log files are readable by the owner and group (adm, syslog), not by all. */
#define CONSOLE_FILE_MODE 0640

struct console {
	FILE *fp;
	char *path; /* NULL for stdout */
	bool json;
	char line[CONSOLE_LINE_MAX];
};

/* ISO 8601 / RFC 3339 UTC with microseconds: 2026-11-26T04:28:29.123456Z. */
static const char *fmt_time(char *buf, size_t len, uint64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&sec, &tm) == NULL) {
		snprintf(buf, len, "%" PRIu64, us);
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	return buf;
}

#define TIME_TEXT_MAX 48

static void json_kv_time(struct json_writer *w, const char *key, uint64_t us)
{
	char t[TIME_TEXT_MAX];

	json_key(w, key);
	json_string(w, fmt_time(t, sizeof(t), us));
}

static void json_kv_field(struct json_writer *w, const char *key, const char *s, size_t size)
{
	json_key(w, key);
	json_string_n(w, s, strnlen(s, size)); /* fixed-size field: never read past it */
}

static void json_addrs(struct json_writer *w, const char *key, const struct sw_addr *a, unsigned n,
                       unsigned max)
{
	char text[ADDR_TEXT_MAX];

	json_key(w, key);
	json_array_begin(w);
	for (unsigned i = 0; i < n && i < max; i++)
		json_string(w, addr_format(&a[i], text));
	json_array_end(w);
}

int output_json_render(const struct sw_detection *d, char *buf, size_t len)
{
	struct json_writer w;
	char addr[ADDR_TEXT_MAX];
	size_t ntags = strnlen(d->tags, sizeof(d->tags));

	json_init(&w, buf, len);
	json_object_begin(&w);
	json_kv_string(&w, "phase", detection_phase_name((enum det_phase)d->phase));
	json_kv_uint(&w, "seq", d->seq);
	json_kv_field(&w, "rule_id", d->rule_id, sizeof(d->rule_id));
	json_kv_field(&w, "rule_name", d->rule_name, sizeof(d->rule_name));
	json_kv_string(&w, "kind", detection_kind_name((enum sw_kind)d->kind));
	json_kv_string(&w, "severity", detection_severity_name((enum sw_severity)d->severity));
	json_kv_string(&w, "src_ip", d->src_any ? "*" : addr_format(&d->src, addr));
	if (d->has_target)
		json_kv_string(&w, "target_ip", addr_format(&d->target, addr));
	json_kv_uint(&w, "proto", d->proto);
	json_kv_time(&w, "first_seen", d->first_seen);
	json_kv_time(&w, "opened_at", d->opened_at);
	json_kv_time(&w, "last_seen", d->last_seen);
	if (d->closed_at != 0) {
		json_kv_time(&w, "closed_at", d->closed_at);
	} else {
		json_key(&w, "closed_at");
		json_null(&w);
	}
	json_kv_uint(&w, "probes", d->probes);
	json_kv_uint(&w, "probes_at_open", d->probes_at_open);
	json_kv_uint(&w, "distinct_targets", d->distinct_targets);
	json_kv_uint(&w, "distinct_ports", d->distinct_ports);
	json_key(&w, "sample_ports");
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		json_uint(&w, d->sample_ports[i]);
	json_array_end(&w);
	json_addrs(&w, "sample_targets", d->sample_targets, d->n_sample_targets,
	           DET_SAMPLE_TARGETS);
	if (d->n_sample_sources > 0)
		json_addrs(&w, "sample_sources", d->sample_sources, d->n_sample_sources,
		           DET_SAMPLE_SOURCES);
	/* "T1046, T1595.001" -> ["T1046","T1595.001"]: blanks trimmed, empty items skipped. */
	json_key(&w, "tags");
	json_array_begin(&w);
	for (size_t i = 0; i < ntags;) {
		size_t b = i, e;

		while (i < ntags && d->tags[i] != ',')
			i++;
		e = i++;
		while (b < e && (d->tags[b] == ' ' || d->tags[b] == '\t'))
			b++;
		while (e > b && (d->tags[e - 1] == ' ' || d->tags[e - 1] == '\t'))
			e--;
		if (e > b)
			json_string_n(&w, d->tags + b, e - b);
	}
	json_array_end(&w);
	json_kv_field(&w, "tool", d->tool, sizeof(d->tool));
	if (strnlen(d->campaign, sizeof(d->campaign)) > 0)
		json_kv_field(&w, "campaign", d->campaign, sizeof(d->campaign));
	json_kv_field(&w, "evidence", d->evidence, sizeof(d->evidence));
	json_object_end(&w);
	return json_finish(&w);
}

/*
 * The text line goes to a terminal: rule names and tool labels come from
 * configuration and fingerprints, so control bytes are masked rather than
 * allowed to move the cursor or retitle the window.
 */
static void mask_controls(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			s[i] = '?';
}

static int render_text(const struct sw_detection *d, char *buf, size_t len)
{
	char when[TIME_TEXT_MAX], src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX + 24],
	    tool[DET_TOOL_MAX + 8];
	bool close = d->phase == DET_CLOSE;
	int n;

	fmt_time(when, sizeof(when),
	         close ? (d->closed_at != 0 ? d->closed_at : d->last_seen) : d->opened_at);
	if (d->src_any)
		snprintf(src, sizeof(src), "*");
	else
		addr_format(&d->src, src);
	if (d->has_target)
		addr_format(&d->target, dst);
	else
		snprintf(dst, sizeof(dst), "%" PRIu64 " hosts", d->distinct_targets);
	if (d->tool[0] != '\0')
		snprintf(tool, sizeof(tool), " tool=%.*s", (int)(sizeof(d->tool) - 1), d->tool);
	else
		tool[0] = '\0';
	if (close) {
		uint64_t us = d->closed_at > d->opened_at ? d->closed_at - d->opened_at : 0;

		n = snprintf(buf, len,
		             "%s CLOSE %-13s %s -> %s ports=%" PRIu64 " targets=%" PRIu64
		             " probes=%" PRIu64 " duration=%.1fs%s rule=%.*s\n",
		             when, detection_kind_name((enum sw_kind)d->kind), src, dst,
		             d->distinct_ports, d->distinct_targets, d->probes, (double)us / 1e6,
		             tool, (int)(sizeof(d->rule_id) - 1), d->rule_id);
	} else {
		n = snprintf(buf, len,
		             "%s OPEN  %-13s %s -> %s ports=%" PRIu64 " targets=%" PRIu64
		             " probes=%" PRIu64 "%s rule=%.*s severity=%s\n",
		             when, detection_kind_name((enum sw_kind)d->kind), src, dst,
		             d->distinct_ports, d->distinct_targets, d->probes, tool,
		             (int)(sizeof(d->rule_id) - 1), d->rule_id,
		             detection_severity_name((enum sw_severity)d->severity));
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	mask_controls(buf, (size_t)n - 1); /* all but the final newline */
	return n;
}

/* Opens path for appending, creating it with CONSOLE_FILE_MODE; O_APPEND keeps lines whole
 * when logrotate's copytruncate or another writer shares the file. */
static FILE *open_append(const char *path, char *err, size_t errlen)
{
	int fd =
	    open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, CONSOLE_FILE_MODE);
	FILE *fp;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	fp = fdopen(fd, "a");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

static void *console_open_mode(const char *target, bool json, char *err, size_t errlen)
{
	struct console *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->json = json;
	if (target == NULL || strcmp(target, "-") == 0) {
		c->fp = stdout;
		return c;
	}
	c->path = strdup(target);
	if (c->path == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->fp = open_append(target, err, errlen);
	if (c->fp == NULL)
		goto fail;
	return c;
fail:
	free(c->path);
	free(c);
	return NULL;
}

static void *console_text_open(const char *target, char *err, size_t errlen)
{
	return console_open_mode(target, false, err, errlen);
}

static void *console_json_open(const char *target, char *err, size_t errlen)
{
	return console_open_mode(target, true, err, errlen);
}

static int console_write(void *state, const struct sw_detection *d)
{
	struct console *c = state;
	int n;

	if (c->json) {
		/* One object per line (JSON Lines): render, then terminate. */
		n = output_json_render(d, c->line, sizeof(c->line) - 1);
		if (n < 0)
			return -1;
		c->line[n++] = '\n';
	} else {
		/* Text mode shows a scan's start and end; updates would only repeat the open. */
		if (d->phase == DET_UPDATE)
			return 0;
		n = render_text(d, c->line, sizeof(c->line));
		if (n < 0)
			return -1;
	}
	return fwrite(c->line, 1, (size_t)n, c->fp) == (size_t)n ? 0 : -1;
}

static void console_flush(void *state)
{
	struct console *c = state;

	fflush(c->fp);
}

/* After logrotate moved the file: open a fresh one at the path, keep the old one on failure. */
static int console_reopen(void *state)
{
	struct console *c = state;
	char err[256];
	FILE *fp;

	if (c->path == NULL)
		return 0;
	fp = open_append(c->path, err, sizeof(err));
	if (fp == NULL) {
		fprintf(stderr, "scanwatch: console output: %s\n", err);
		return -1;
	}
	fclose(c->fp); /* flushes what was written to the old file */
	c->fp = fp;
	return 0;
}

static void console_close(void *state)
{
	struct console *c = state;

	if (c == NULL)
		return;
	if (c->path != NULL)
		fclose(c->fp);
	else
		fflush(c->fp);
	free(c->path);
	free(c);
}

const struct output_ops output_console_ops = {
    .name = "console",
    .open = console_text_open,
    .write = console_write,
    .flush = console_flush,
    .reopen = console_reopen,
    .close = console_close,
};

const struct output_ops output_console_json_ops = {
    .name = "console-json",
    .open = console_json_open,
    .write = console_write,
    .flush = console_flush,
    .reopen = console_reopen,
    .close = console_close,
};
