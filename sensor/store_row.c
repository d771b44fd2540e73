/* store_row.c — the columns of a detections row that are text, not numbers: addresses and the
 * JSON arrays of samples and tags; the store's one codec for them, both ways. */
#include <string.h>

#include "scanwatch/json.h"
#include "scanwatch/store.h"

/*
 * known/known_text: an address already formatted (the target), reused when
 * a sample equals it: a single-target scan's one sample target is its
 * target, and formatting costs more than the rest of the array.
 */
static int addrs_json(char *buf, size_t len, const struct sw_addr *a, unsigned n, unsigned max,
                      const struct sw_addr *known, const char *known_text)
{
	struct json_writer w;
	char text[ADDR_TEXT_MAX];

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < n && i < max; i++)
		json_string(&w, known_text != NULL && addr_eq(&a[i], known)
		                    ? known_text
		                    : addr_format(&a[i], text));
	json_array_end(&w);
	return json_finish(&w);
}

static int ports_json(char *buf, size_t len, const struct sw_detection *d)
{
	struct json_writer w;

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		json_uint(&w, d->sample_ports[i]);
	json_array_end(&w);
	return json_finish(&w);
}

/* "T1046, T1595.001" -> ["T1046","T1595.001"]: commas split, blanks trimmed, empties skipped. */
static int tags_json(char *buf, size_t len, const char *tags, size_t size)
{
	struct json_writer w;
	size_t n = strnlen(tags, size), i = 0;

	json_init(&w, buf, len);
	json_array_begin(&w);
	while (i < n) {
		size_t b = i, e;

		while (i < n && tags[i] != ',')
			i++;
		e = i++;
		while (b < e && (tags[b] == ' ' || tags[b] == '\t'))
			b++;
		while (e > b && (tags[e - 1] == ' ' || tags[e - 1] == '\t'))
			e--;
		if (e > b)
			json_string_n(&w, tags + b, e - b);
	}
	json_array_end(&w);
	return json_finish(&w);
}

int store_row_render(const struct sw_detection *d, struct store_row_text *t)
{
	t->src_text = d->src_any ? "*" : addr_format(&d->src, t->src);
	t->src_len = (int)strlen(t->src_text);
	t->dst_len = d->has_target ? (int)strlen(addr_format(&d->target, t->dst)) : -1;
	t->ports_len = ports_json(t->ports, sizeof(t->ports), d);
	t->targets_len =
	    addrs_json(t->targets, sizeof(t->targets), d->sample_targets, d->n_sample_targets,
	               DET_SAMPLE_TARGETS, &d->target, d->has_target ? t->dst : NULL);
	t->sources_len = addrs_json(t->sources, sizeof(t->sources), d->sample_sources,
	                            d->n_sample_sources, DET_SAMPLE_SOURCES, NULL, NULL);
	t->tags_len = tags_json(t->tags, sizeof(t->tags), d->tags, sizeof(d->tags));
	return t->ports_len < 0 || t->targets_len < 0 || t->sources_len < 0 || t->tags_len < 0 ? -1
	                                                                                       : 0;
}
