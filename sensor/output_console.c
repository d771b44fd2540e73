/* output_console.c — the "console" (one text line per open/close) and "console-json" outputs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanwatch/json.h"
#include "scanwatch/output.h"

/*
 * Worst-case rendered record: every text field escaped to six bytes a byte
 * (the evidence, DET_EVIDENCE_TEXT bytes, twice: joined and as reasons,
 * about 22 KiB), 18 addresses, 16 ports and the numbers come to under
 * 24 KiB; 48 KiB leaves room for fields added later.
 */
#define CONSOLE_LINE_MAX OUTPUT_CONSOLE_LINE_MAX

struct console {
	FILE *fp;
	char *path; /* NULL for stdout */
	bool json;
	char line[CONSOLE_LINE_MAX];
};

int output_json_render(const struct sw_detection *d, char *buf, size_t len)
{
	struct json_writer w;
	char addr[ADDR_TEXT_MAX];
	struct output_tag tags[OUTPUT_TAGS_MAX];
	size_t ntags = output_split_tags(d, tags, OUTPUT_TAGS_MAX);

	json_init(&w, buf, len);
	json_object_begin(&w);
	json_kv_string(&w, "phase", detection_phase_name((enum det_phase)d->phase));
	json_kv_uint(&w, "seq", d->seq);
	output_json_field(&w, "rule_id", d->rule_id, sizeof(d->rule_id));
	output_json_field(&w, "rule_name", d->rule_name, sizeof(d->rule_name));
	json_kv_string(&w, "kind", detection_kind_name((enum sw_kind)d->kind));
	json_kv_string(&w, "severity", detection_severity_name((enum sw_severity)d->severity));
	json_kv_string(&w, "src_ip", d->src_any ? "*" : addr_format(&d->src, addr));
	if (d->has_target)
		json_kv_string(&w, "target_ip", addr_format(&d->target, addr));
	json_kv_uint(&w, "proto", d->proto);
	output_json_time(&w, "first_seen", d->first_seen);
	output_json_time(&w, "opened_at", d->opened_at);
	output_json_time(&w, "last_seen", d->last_seen);
	if (d->closed_at != 0) {
		output_json_time(&w, "closed_at", d->closed_at);
	} else {
		json_key(&w, "closed_at");
		json_null(&w);
	}
	output_json_counts(&w, d);
	if (d->n_sample_sources > 0)
		output_json_addrs(&w, "sample_sources", d->sample_sources, d->n_sample_sources,
		                  DET_SAMPLE_SOURCES);
	/* "T1046, T1595.001" -> ["T1046","T1595.001"]: blanks trimmed, empty items skipped. */
	json_key(&w, "tags");
	json_array_begin(&w);
	for (size_t i = 0; i < ntags; i++)
		json_string_n(&w, tags[i].p, tags[i].n);
	json_array_end(&w);
	output_json_field(&w, "tool", d->tool, sizeof(d->tool));
	if (strnlen(d->campaign, sizeof(d->campaign)) > 0)
		output_json_field(&w, "campaign", d->campaign, sizeof(d->campaign));
	output_json_evidence(&w, d);
	output_json_exposure(&w, d);
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
	char when[OUTPUT_TIME_MAX], src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX + 24],
	    tool[DET_TOOL_MAX + 8];
	bool close = d->phase == DET_CLOSE;
	int n;

	output_format_time(when, close ? (d->closed_at != 0 ? d->closed_at : d->last_seen)
	                               : d->opened_at);
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

/* Opens path for appending (output_file_append) as a buffered stream: the console flushes once
 * a batch. */
static FILE *open_append(const char *path, char *err, size_t errlen)
{
	int fd = output_file_append(path, err, errlen);
	FILE *fp;

	if (fd < 0)
		return NULL;
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
    .targets = OUTPUT_TARGET_STDOUT,
    .open = console_text_open,
    .write = console_write,
    .flush = console_flush,
    .reopen = console_reopen,
    .close = console_close,
};

const struct output_ops output_console_json_ops = {
    .name = "console-json",
    .targets = OUTPUT_TARGET_STDOUT,
    .open = console_json_open,
    .write = console_write,
    .flush = console_flush,
    .reopen = console_reopen,
    .close = console_close,
};
