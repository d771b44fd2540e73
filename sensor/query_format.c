/* query_format.c — `scanwatch query`'s printed forms of a stored detection: a table, JSON lines
 * or CSV. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "query_private.h"
#include "scanwatch/json.h"
#include "scanwatch/output.h"

/* Every column of the detections table (schema/001_init.sql), in the table's order. */
static const char *const cols[] = {
    "id",
    "run_id",
    "seq",
    "rule_id",
    "rule_name",
    "kind",
    "severity",
    "src_ip",
    "target_ip",
    "proto",
    "first_seen",
    "opened_at",
    "last_seen",
    "closed_at",
    "probes",
    "probes_at_open",
    "distinct_targets",
    "distinct_ports",
    "sample_ports",
    "sample_targets",
    "sample_sources",
    "tags",
    "tool",
    "campaign",
    "evidence",
    "reasons",
    "exposure", /* the exposure table's rows of the detection (006_exposure_campaigns.sql) */
    "sensor",   /* runs.sensor_id of its run (schema/008_sensor.sql), last: CSV keeps its order */
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))

enum {
	C_ID,
	C_RUN,
	C_SEQ,
	C_RULE,
	C_RULE_NAME,
	C_KIND,
	C_SEV,
	C_SRC,
	C_TARGET,
	C_PROTO,
	C_FIRST,
	C_OPENED,
	C_LAST,
	C_CLOSED,
	C_PROBES,
	C_PROBES_OPEN,
	C_TARGETS,
	C_PORTS,
	C_SPORTS,
	C_STARGETS,
	C_SSOURCES,
	C_TAGS,
	C_TOOL,
	C_CAMPAIGN,
	C_EVIDENCE,
	C_REASONS,
	C_EXPOSURE,
	C_SENSOR
};

/* The exposure list as JSON: [{"host", "proto", "port", "reveal", "answers"}], the exposure
 * table's columns (enough for 64 IPv6 items). */
#define EXPOSURE_JSON_MAX (DET_EXPOSURE_MAX * (ADDR_TEXT_MAX + 96) + 3)

static void exposure_json(struct json_writer *w, const struct sw_detection *d)
{
	char a[ADDR_TEXT_MAX];

	json_array_begin(w);
	for (unsigned i = 0; i < d->exposure.n && i < DET_EXPOSURE_MAX; i++) {
		const struct det_exposed *x = &d->exposure.item[i];

		json_object_begin(w);
		json_kv_string(w, "host", addr_format(&x->host, a));
		json_kv_uint(w, "proto", x->proto);
		json_kv_uint(w, "port", x->port);
		json_kv_string(w, "reveal", detection_reveal_name((enum det_reveal)x->reveal));
		json_kv_uint(w, "answers", x->answers);
		json_object_end(w);
	}
	json_array_end(w);
}

/*
 * One row as the columns' text (NULL for SQL NULL): numbers in decimal, times in ISO 8601 UTC,
 * the lists as the store's own JSON (store_row_render), texts as they are.
 */
struct cells {
	const char *v[NCOLS];
	struct store_row_text t;
	char num[NCOLS][24];
	char time[4][OUTPUT_TIME_MAX];
	char exposure[EXPOSURE_JSON_MAX];
};

static void cells_of(const struct store_row *r, struct cells *c)
{
	const struct sw_detection *d = &r->d;
	static const unsigned numeric[] = {C_SEQ,         C_PROTO,   C_PROBES,
	                                   C_PROBES_OPEN, C_TARGETS, C_PORTS};
	const uint64_t nums[] = {
	    d->seq, d->proto, d->probes, d->probes_at_open, d->distinct_targets, d->distinct_ports};
	const uint64_t times[4] = {d->first_seen, d->opened_at, d->last_seen, d->closed_at};

	memset(c->v, 0, sizeof(c->v));
	if (store_row_render(d, &c->t) < 0) /* cannot happen: the sizes fit the record */
		memset(&c->t, 0, sizeof(c->t));
	snprintf(c->num[C_ID], sizeof(c->num[0]), "%" PRId64, r->id);
	c->v[C_ID] = c->num[C_ID];
	snprintf(c->num[C_RUN], sizeof(c->num[0]), "%" PRId64, r->run_id);
	c->v[C_RUN] = c->num[C_RUN];
	for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
		snprintf(c->num[numeric[i]], sizeof(c->num[0]), "%" PRIu64, nums[i]);
		c->v[numeric[i]] = c->num[numeric[i]];
	}
	c->v[C_RULE] = d->rule_id;
	c->v[C_RULE_NAME] = d->rule_name;
	c->v[C_KIND] = detection_kind_name((enum sw_kind)d->kind);
	c->v[C_SEV] = detection_severity_name((enum sw_severity)d->severity);
	c->v[C_SRC] = c->t.src_text;
	c->v[C_TARGET] = d->has_target ? c->t.dst : NULL;
	for (size_t i = 0; i < 4; i++)
		c->v[C_FIRST + i] = output_format_time(c->time[i], times[i]);
	if (d->closed_at == 0)
		c->v[C_CLOSED] = NULL;
	c->v[C_SPORTS] = c->t.ports;
	c->v[C_STARGETS] = c->t.targets;
	c->v[C_SSOURCES] = c->t.sources;
	c->v[C_TAGS] = c->t.tags;
	/* The store writes an empty tool or campaign as NULL. */
	c->v[C_TOOL] = d->tool[0] != '\0' ? d->tool : NULL;
	c->v[C_CAMPAIGN] = d->campaign[0] != '\0' ? d->campaign : NULL;
	c->v[C_EVIDENCE] = c->t.evidence;
	c->v[C_REASONS] = c->t.reasons;
	struct json_writer w;
	json_init(&w, c->exposure, sizeof c->exposure);
	exposure_json(&w, d);
	c->v[C_EXPOSURE] = json_finish(&w) < 0 ? NULL : c->exposure;
	c->v[C_SENSOR] = r->sensor_id[0] != '\0' ? r->sensor_id : NULL;
}

/* --- JSON lines ------------------------------------------------------------------------------ */

static void kv_text_or_null(struct json_writer *w, const char *key, const char *v)
{
	json_key(w, key);
	if (v != NULL)
		json_string(w, v);
	else
		json_null(w);
}

/* One object a line, the columns in table order; numbers stay numbers, lists stay lists. */
static int print_jsonl(struct query_out *o, const struct store_row *r)
{
	const struct sw_detection *d = &r->d;
	struct output_tag tags[OUTPUT_TAGS_MAX];
	size_t ntags = output_split_tags(d, tags, OUTPUT_TAGS_MAX);
	struct json_writer w;
	struct cells c;

	cells_of(r, &c);
	json_init(&w, o->line, sizeof(o->line));
	json_object_begin(&w);
	json_kv_int(&w, cols[C_ID], r->id);
	json_kv_int(&w, cols[C_RUN], r->run_id);
	json_kv_uint(&w, cols[C_SEQ], d->seq);
	for (size_t i = C_RULE; i <= C_TARGET; i++)
		kv_text_or_null(&w, cols[i], c.v[i]);
	json_kv_uint(&w, cols[C_PROTO], d->proto);
	for (size_t i = C_FIRST; i <= C_CLOSED; i++)
		kv_text_or_null(&w, cols[i], c.v[i]);
	json_kv_uint(&w, cols[C_PROBES], d->probes);
	json_kv_uint(&w, cols[C_PROBES_OPEN], d->probes_at_open);
	json_kv_uint(&w, cols[C_TARGETS], d->distinct_targets);
	json_kv_uint(&w, cols[C_PORTS], d->distinct_ports);
	json_key(&w, cols[C_SPORTS]);
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		json_uint(&w, d->sample_ports[i]);
	json_array_end(&w);
	output_json_addrs(&w, cols[C_STARGETS], d->sample_targets, d->n_sample_targets,
	                  DET_SAMPLE_TARGETS);
	output_json_addrs(&w, cols[C_SSOURCES], d->sample_sources, d->n_sample_sources,
	                  DET_SAMPLE_SOURCES);
	json_key(&w, cols[C_TAGS]);
	json_array_begin(&w);
	for (size_t i = 0; i < ntags; i++)
		json_string_n(&w, tags[i].p, tags[i].n);
	json_array_end(&w);
	for (size_t i = C_TOOL; i <= C_EVIDENCE; i++)
		kv_text_or_null(&w, cols[i], c.v[i]);
	json_key(&w, cols[C_REASONS]);
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_reasons && i < DET_REASONS_MAX; i++) {
		json_object_begin(&w);
		output_json_field(&w, "name", d->reasons[i].name, sizeof d->reasons[i].name);
		json_kv_uint(&w, "count", d->reasons[i].count);
		output_json_field(&w, "text", d->reasons[i].text, sizeof d->reasons[i].text);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key(&w, cols[C_EXPOSURE]);
	exposure_json(&w, d);
	kv_text_or_null(&w, cols[C_SENSOR], c.v[C_SENSOR]);
	json_object_end(&w);
	if (json_finish(&w) < 0)
		return -1;
	puts(o->line);
	return 0;
}

/* --- CSV ------------------------------------------------------------------------------------- */

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void csv_field(const char *v)
{
	if (v == NULL)
		return;
	if (strpbrk(v, ",\"\r\n") == NULL) {
		fputs(v, stdout);
		return;
	}
	putchar('"');
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

void query_format_csv_header(void)
{
	for (size_t i = 0; i < NCOLS; i++) {
		if (i > 0)
			putchar(',');
		fputs(cols[i], stdout);
	}
	fputs("\r\n", stdout); /* RFC 4180 section 2: records end with CRLF */
}

static void print_csv(const struct store_row *r)
{
	struct cells c;

	cells_of(r, &c);
	for (size_t i = 0; i < NCOLS; i++) {
		if (i > 0)
			putchar(',');
		csv_field(c.v[i]);
	}
	fputs("\r\n", stdout);
}

/* --- the table ------------------------------------------------------------------------------- */

enum {
	T_ID,
	T_SENSOR,
	T_OPENED,
	T_STATE,
	T_KIND,
	T_SEV,
	T_SRC,
	T_TARGET,
	T_PROBES,
	T_PORTS,
	T_HOSTS,
	T_EXPOSED,
	T_TOOL,
	T_RULE,
	T__N
};

_Static_assert(T__N == QUERY_TABLE_COLS, "query_private.h sizes the table's widths");

static const char *const table_heads[T__N] = {
    "ID",     "SENSOR", "OPENED (UTC)", "STATE", "KIND",    "SEVERITY", "SOURCE",
    "TARGET", "PROBES", "PORTS",        "HOSTS", "EXPOSED", "TOOL",     "RULE",
};

/* Numbers align right, text left. */
static const bool table_right[T__N] = {
    [T_ID] = true, [T_PROBES] = true, [T_PORTS] = true, [T_HOSTS] = true, [T_EXPOSED] = true,
};

/* Cells of one row, in a caller buffer; control bytes masked (they come from the DB). */
static void table_cells(const struct store_row *r, char cells[T__N][128])
{
	struct cells c;
	char t[OUTPUT_TIME_MAX];
	const char *src[T__N];

	cells_of(r, &c);
	/* Seconds are enough to read; jsonl and csv carry the microseconds. */
	snprintf(t, sizeof(t), "%s", c.v[C_OPENED]);
	if (strlen(t) > 19 && t[10] == 'T') {
		t[10] = ' ';
		t[19] = '\0';
	}
	src[T_ID] = c.v[C_ID];
	src[T_SENSOR] = c.v[C_SENSOR];
	src[T_OPENED] = t;
	src[T_STATE] = c.v[C_CLOSED] ? "closed" : "open";
	src[T_KIND] = c.v[C_KIND];
	src[T_SEV] = c.v[C_SEV];
	src[T_SRC] = c.v[C_SRC];
	src[T_TARGET] = c.v[C_TARGET];
	src[T_PROBES] = c.v[C_PROBES];
	src[T_PORTS] = c.v[C_PORTS];
	src[T_HOSTS] = c.v[C_TARGETS];
	/* services and hosts that answered the scanner (the exposure list's length) */
	char exposed[8];
	snprintf(exposed, sizeof exposed, "%u", (unsigned)r->d.exposure.n);
	src[T_EXPOSED] = exposed;
	src[T_TOOL] = c.v[C_TOOL];
	src[T_RULE] = c.v[C_RULE];
	for (size_t i = 0; i < T__N; i++) {
		snprintf(cells[i], 128, "%s", src[i] ? src[i] : "-");
		for (char *p = cells[i]; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7F)
				*p = '?';
	}
}

static void table_line(const struct query_out *o, const char *const *cells)
{
	for (size_t i = 0; i < T__N; i++) {
		int w = (int)o->width[i];

		if (i + 1 == T__N) /* no trailing blanks after the last column */
			printf("%s\n", cells[i]);
		else if (table_right[i])
			printf("%*s  ", w, cells[i]);
		else
			printf("%-*s  ", w, cells[i]);
	}
}

/* The widths fit the header and these rows; printed once, before the first rows. */
static void table_header(struct query_out *o, const struct store_row *rows, size_t n)
{
	char cells[T__N][128];

	for (size_t r = 0; r < n; r++) {
		table_cells(&rows[r], cells);
		for (size_t i = 0; i < T__N; i++)
			if (strlen(cells[i]) > o->width[i])
				o->width[i] = strlen(cells[i]);
	}
	for (size_t i = 0; i < T__N; i++)
		if (strlen(table_heads[i]) > o->width[i])
			o->width[i] = strlen(table_heads[i]);
	table_line(o, table_heads);
	o->header_done = true;
}

static void print_table_row(const struct query_out *o, const struct store_row *r)
{
	char cells[T__N][128];
	const char *p[T__N];

	table_cells(r, cells);
	for (size_t i = 0; i < T__N; i++)
		p[i] = cells[i];
	table_line(o, p);
}

int query_format_rows(struct query_out *o, const struct store_row *rows, size_t n)
{
	if (o->fmt == QUERY_TABLE && !o->header_done)
		table_header(o, rows, n);
	for (size_t i = 0; i < n; i++) {
		switch (o->fmt) {
		case QUERY_TABLE:
			print_table_row(o, &rows[i]);
			break;
		case QUERY_JSONL:
			if (print_jsonl(o, &rows[i]) < 0) {
				fprintf(stderr,
				        "scanwatch query: row %" PRId64 " too long to print\n",
				        rows[i].id);
				return -1;
			}
			break;
		case QUERY_CSV:
			print_csv(&rows[i]);
			break;
		}
	}
	fflush(stdout);
	return 0;
}
