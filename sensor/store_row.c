/* store_row.c — the columns of a detections row that are text, not numbers: addresses and the
 * JSON arrays of samples and tags; the store's one codec for them, both ways. */
#include <stdbool.h>
#include <string.h>

#include "scanwatch/json.h"
#include "scanwatch/store.h"
#include "store_private.h"

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

/* The tag list as a JSON array of strings, empties skipped. */
static int tags_json(char *buf, size_t len, const struct sw_detection *d)
{
	struct json_writer w;

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (size_t i = 0; i < d->n_tags && i < DET_TAGS_MAX; i++) {
		size_t n = strnlen(d->tags[i], DET_TAG_MAX);
		if (n > 0)
			json_string_n(&w, d->tags[i], n);
	}
	json_array_end(&w);
	return json_finish(&w);
}

/* The reasons as [{"name":...,"count":N,"text":...}, ...]. */
static int reasons_json(char *buf, size_t len, const struct sw_detection *d)
{
	struct json_writer w;

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (unsigned i = 0; i < d->n_reasons && i < DET_REASONS_MAX; i++) {
		const struct det_reason *r = &d->reasons[i];
		json_object_begin(&w);
		json_key(&w, "name");
		json_string_n(&w, r->name, strnlen(r->name, sizeof r->name));
		json_kv_uint(&w, "count", r->count);
		json_key(&w, "text");
		json_string_n(&w, r->text, strnlen(r->text, sizeof r->text));
		json_object_end(&w);
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
	t->tags_len = tags_json(t->tags, sizeof(t->tags), d);
	t->evidence_len = (int)detection_evidence(d, t->evidence, sizeof(t->evidence));
	t->reasons_len = reasons_json(t->reasons, sizeof(t->reasons), d);
	return t->ports_len < 0 || t->targets_len < 0 || t->sources_len < 0 || t->tags_len < 0 ||
	               t->reasons_len < 0
	           ? -1
	           : 0;
}

/* --- reading them back ----------------------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/*
 * Walks a JSON array (RFC 8259 section 5): call with *started false and *pp at the text, then
 * again after each element. 1: an element starts at *pp; 0: the array ended, with nothing but
 * blanks after it; -1: not an array.
 */
static int array_next(const char **pp, bool *started)
{
	const char *p = skip_ws(*pp);

	if (!*started) {
		if (*p++ != '[')
			return -1;
		*started = true;
		p = skip_ws(p);
		if (*p != ']') {
			*pp = p;
			return 1;
		}
	} else if (*p == ',') {
		*pp = skip_ws(p + 1);
		return 1;
	} else if (*p != ']') {
		return -1;
	}
	return *skip_ws(p + 1) == '\0' ? 0 : -1;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Appends code point cp as UTF-8 (RFC 3629) if it fits in size - 1 bytes; the rest is cut. */
static void put_utf8(char *out, size_t size, size_t *len, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	if (*len + n < size) {
		memcpy(out + *len, b, n);
		*len += n;
	}
}

/*
 * One JSON string at p (on its opening quote), unescaped into out (size bytes, NUL-terminated;
 * longer strings are cut). Returns where the string ends, or NULL when it is malformed. The
 * escapes are those json_string() writes, and every other one RFC 8259 section 7 allows.
 */
static const char *json_str(const char *p, char *out, size_t size)
{
	size_t len = 0;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned cp;

		if (*p == '\0' || (unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\') {
			if (len + 1 < size)
				out[len++] = *p;
			p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)*p;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			unsigned lo;

			if (hex4(p + 1, &cp) < 0)
				return NULL;
			p += 4;
			/* A surrogate pair spells a code point above U+FFFF. */
			if (cp >= 0xD800 && cp < 0xDC00 && p[1] == '\\' && p[2] == 'u' &&
			    hex4(p + 3, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD; /* a lone surrogate is no character */
			}
			break;
		}
		default:
			return NULL;
		}
		put_utf8(out, size, &len, cp);
		p++;
	}
	if (size > 0)
		out[len] = '\0';
	return p + 1;
}

int store_row_parse_ports(const char *json, struct sw_detection *d)
{
	bool started = false;
	const char *p = json;
	int rc;

	d->n_sample_ports = 0;
	if (json == NULL)
		return 0;
	while ((rc = array_next(&p, &started)) == 1) {
		unsigned long v = 0;

		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (unsigned long)(*p - '0')) > 65535)
				return -1;
		if (d->n_sample_ports < DET_SAMPLE_PORTS)
			d->sample_ports[d->n_sample_ports++] = (uint16_t)v;
	}
	return rc;
}

int store_row_parse_addrs(const char *json, struct sw_addr *out, uint8_t *n, unsigned max)
{
	bool started = false;
	const char *p = json;
	int rc;

	*n = 0;
	if (json == NULL)
		return 0;
	while ((rc = array_next(&p, &started)) == 1) {
		char text[ADDR_TEXT_MAX];
		struct sw_addr a;

		if ((p = json_str(p, text, sizeof(text))) == NULL || addr_parse(text, &a) < 0)
			return -1;
		if (*n < max)
			out[(*n)++] = a;
	}
	return rc;
}

int store_row_parse_tags(const char *json, struct sw_detection *d)
{
	bool started = false;
	const char *p = json;
	int rc;

	d->n_tags = 0;
	if (json == NULL)
		return 0;
	while ((rc = array_next(&p, &started)) == 1) {
		char tag[DET_TAG_MAX * 4];

		if ((p = json_str(p, tag, sizeof(tag))) == NULL)
			return -1;
		/* an id that does not fit the record (written by a later version) is left out */
		detection_add_tag(d, tag, strlen(tag));
	}
	return rc;
}

/* A JSON number at *pp, a non-negative integer; -1 when it is not one. */
static int json_u64(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

/* One reason object at p (on its '{'): its members in any order, unknown ones of string or
 * number value skipped. Returns where it ends, or NULL when it is malformed. */
static const char *reason_obj(const char *p, struct sw_detection *d)
{
	char name[DET_REASON_NAME * 4] = "", text[DET_REASON_TEXT * 4] = "", key[16];
	uint64_t count = 0;

	if (*p++ != '{')
		return NULL;
	p = skip_ws(p);
	while (*p != '}') {
		if ((p = json_str(p, key, sizeof key)) == NULL)
			return NULL;
		p = skip_ws(p);
		if (*p++ != ':')
			return NULL;
		p = skip_ws(p);
		if (*p == '"') {
			char skip[8];
			char *dst = strcmp(key, "name") == 0   ? name
			            : strcmp(key, "text") == 0 ? text
			                                       : skip;
			size_t size = dst == name   ? sizeof name
			              : dst == text ? sizeof text
			                            : sizeof skip;
			if ((p = json_str(p, dst, size)) == NULL)
				return NULL;
		} else {
			uint64_t v;
			if (json_u64(&p, &v) < 0)
				return NULL;
			if (strcmp(key, "count") == 0)
				count = v;
		}
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p != '}')
			return NULL;
	}
	detection_reason(d, name, count, "%s", text);
	return p + 1;
}

int store_row_parse_reasons(const char *json, const char *evidence, struct sw_detection *d)
{
	bool started = false;
	const char *p = json;
	int rc;

	d->n_reasons = 0;
	if (json == NULL) {
		/* a row from before the reasons column: its words, a reason per "; " piece */
		for (p = evidence; p != NULL && *p != '\0';) {
			const char *sep = strstr(p, "; ");
			size_t n = sep != NULL ? (size_t)(sep - p) : strlen(p);
			if (n > 0)
				detection_reason(d, "text", 0, "%.*s", (int)(n < 4096 ? n : 4096),
				                 p);
			p = sep != NULL ? sep + 2 : p + n;
		}
		return 0;
	}
	while ((rc = array_next(&p, &started)) == 1)
		if ((p = reason_obj(p, d)) == NULL)
			return -1;
	return rc;
}

int store_row_json_strings(const char *const *v, size_t n, char *buf, size_t len)
{
	struct json_writer w;

	json_init(&w, buf, len);
	json_array_begin(&w);
	for (size_t i = 0; i < n; i++)
		json_string(&w, v[i]);
	json_array_end(&w);
	return json_finish(&w);
}
