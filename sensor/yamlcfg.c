/* yamlcfg.c — strict YAML loading shared by rules.c and config.c: libyaml, messages, scalars. */
#include "scanwatch/yamlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* First buffer for yamlcfg_read_file; it doubles up to the caller's cap. */
#define YAMLCFG_READ_CHUNK 8192
void yamlcfg_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int yamlcfg_fail_at(struct yamlcfg *y, yaml_mark_t m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yamlcfg_set_err(y->err, y->errlen, "%s:%zu:%zu: %s", y->file, m.line + 1, m.column + 1,
	                msg);
	return -1;
}

int yamlcfg_oom(struct yamlcfg *y)
{
	yamlcfg_set_err(y->err, y->errlen, "%s: out of memory", y->file ? y->file : y->unnamed);
	return -1;
}

int yamlcfg_strdup(struct yamlcfg *y, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : yamlcfg_oom(y);
}

const char *yamlcfg_show(const char *in, char buf[YAMLCFG_SHOW_BUF])
{
	size_t i, o = 0, n = strlen(in);
	bool cut = n > YAMLCFG_SHOW_MAX;

	if (cut) {
		n = YAMLCFG_SHOW_MAX;
		while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, YAMLCFG_SHOW_BUF - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *yamlcfg_kind_name(yaml_node_type_t t)
{
	switch (t) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

bool yamlcfg_has_control(const char *s, const char *allowed)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 || c == 0x7f) && !strchr(allowed, c))
			return true;
	}
	return false;
}

int yamlcfg_read_file(struct yamlcfg *y, const char *path, unsigned max, const char *what,
                      char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	int fd;

	/* O_NOCTTY: a wrong path naming a terminal must not become ours. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		yamlcfg_set_err(y->err, y->errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		yamlcfg_set_err(y->err, y->errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		yamlcfg_set_err(y->err, y->errlen, "%s: not a regular file", path);
		goto fail;
	}
	for (;;) {
		ssize_t got;

		if (len == cap) {
			/* The buffer stops at max + 1 bytes: a file that fills it is too big. */
			cap = cap ? cap * 2 : YAMLCFG_READ_CHUNK;
			if (cap > (size_t)max + 1)
				cap = (size_t)max + 1;
			if (len == cap) {
				yamlcfg_set_err(y->err, y->errlen,
				                "%s: larger than %u bytes, not %s", path, max,
				                what);
				goto fail;
			}
			nb = realloc(buf, cap);
			if (nb == NULL) {
				yamlcfg_set_err(y->err, y->errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
		}
		got = read(fd, buf + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			yamlcfg_set_err(y->err, y->errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return -1;
}

/* Reports a libyaml failure at the position libyaml blames. */
static int fail_yaml(struct yamlcfg *y, const yaml_parser_t *p, const char *text, size_t len)
{
	size_t line = 1, col = 1, off;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return yamlcfg_oom(y);
	case YAML_READER_ERROR:
		/* Reader errors (bad encoding, control characters) carry a byte offset only. */
		off = p->problem_offset < len ? p->problem_offset : len;
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
				col++;
			}
		}
		yamlcfg_set_err(y->err, y->errlen, "%s:%zu:%zu: invalid input: %s", y->file, line,
		                col, p->problem ? p->problem : "unreadable");
		return -1;
	default:
		if (p->context)
			return yamlcfg_fail_at(
			    y, p->problem_mark, "YAML syntax error: %s (%s at %zu:%zu)",
			    p->problem ? p->problem : "?", p->context, p->context_mark.line + 1,
			    p->context_mark.column + 1);
		return yamlcfg_fail_at(y, p->problem_mark, "YAML syntax error: %s",
		                       p->problem ? p->problem : "?");
	}
}

/* First pass over the event stream: syntax, and nesting within depth_max. */
static int check_depth(struct yamlcfg *y, const char *text, size_t len, int depth_max)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = -1;
	bool end = false;

	if (!yaml_parser_initialize(&parser))
		return yamlcfg_oom(y);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fail_yaml(y, &parser, text, len);
			goto fail;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > depth_max) {
				yamlcfg_fail_at(y, ev.start_mark, "nested deeper than %d levels",
				                depth_max);
				yaml_event_delete(&ev);
				goto fail;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		           ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	rc = 0;
fail:
	yaml_parser_delete(&parser);
	return rc;
}

int yamlcfg_load(struct yamlcfg *y, const char *text, size_t len, int depth_max,
                 yaml_document_t *doc)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	bool have_doc = false;
	int rc = -1;

	if (check_depth(y, text, len, depth_max) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser))
		return yamlcfg_oom(y);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) {
		fail_yaml(y, &parser, text, len);
		goto fail;
	}
	have_doc = true;
	/* Read to the end before interpreting, so syntax errors anywhere come first. */
	if (!yaml_parser_load(&parser, &extra)) {
		fail_yaml(y, &parser, text, len);
		goto fail;
	}
	if (yaml_document_get_root_node(&extra)) {
		yamlcfg_fail_at(y, yaml_document_get_root_node(&extra)->start_mark,
		                "more than one YAML document in the file");
		yaml_document_delete(&extra);
		goto fail;
	}
	yaml_document_delete(&extra);
	y->doc = doc;
	rc = 0;
fail:
	if (rc < 0 && have_doc)
		yaml_document_delete(doc);
	yaml_parser_delete(&parser);
	return rc;
}

void yamlcfg_unload(struct yamlcfg *y)
{
	if (y->doc == NULL)
		return;
	yaml_document_delete(y->doc);
	y->doc = NULL;
}

/* Node idx of the loaded document, or NULL. */
static yaml_node_t *yamlcfg_node(struct yamlcfg *y, int idx)
{
	return yaml_document_get_node(y->doc, idx);
}

int yamlcfg_item(struct yamlcfg *y, const yaml_node_t *seq, const yaml_node_item_t *it,
                 yaml_node_t **out)
{
	*out = yamlcfg_node(y, *it);
	if (*out == NULL)
		return yamlcfg_fail_at(y, seq->start_mark, "malformed list");
	return 0;
}

int yamlcfg_pair(struct yamlcfg *y, const yaml_node_t *map, const yaml_node_pair_t *p,
                 const char *where, const char *keywhat, yaml_node_t **k, yaml_node_t **v,
                 const char **key)
{
	*k = yamlcfg_node(y, p->key);
	*v = yamlcfg_node(y, p->value);
	if (*k == NULL || *v == NULL)
		return yamlcfg_fail_at(y, map->start_mark, "malformed mapping %s", where);
	return yamlcfg_scalar(y, *k, keywhat, key);
}

static const char *vocab_name(const struct yamlcfg_vocab *v, size_t i)
{
	return *(const char *const *)(const void *)((const char *)v->first + i * v->stride);
}

size_t yamlcfg_vocab_find(const struct yamlcfg_vocab *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->n && strcmp(vocab_name(v, i), key) != 0; i++)
		;
	return i;
}

void yamlcfg_vocab_join(const struct yamlcfg_vocab *v, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t j = 0; j < v->n && o < size; j++)
		o += (size_t)snprintf(buf + o, size - o, "%s%s", j ? ", " : "", vocab_name(v, j));
}

int yamlcfg_unknown_key(struct yamlcfg *y, const yaml_node_t *k, const char *key, const char *where,
                        const struct yamlcfg_vocab *v)
{
	char list[YAMLCFG_VOCAB_LIST], vb[YAMLCFG_SHOW_BUF];

	yamlcfg_vocab_join(v, list, sizeof(list));
	return yamlcfg_fail_at(y, k->start_mark, "unknown key '%s'%s%s (expected one of: %s)",
	                       yamlcfg_show(key, vb), where[0] ? " " : "", where, list);
}

int yamlcfg_dup_key(struct yamlcfg *y, const yaml_node_t *k, const char *key, const char *where,
                    const yaml_node_t *first)
{
	return yamlcfg_fail_at(y, k->start_mark, "duplicate key '%s'%s%s (first at line %zu)", key,
	                       where[0] ? " " : "", where, first->start_mark.line + 1);
}

int yamlcfg_scalar(struct yamlcfg *y, const yaml_node_t *n, const char *what, const char **out)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return yamlcfg_fail_at(y, n->start_mark, "expected a scalar for %s, found %s", what,
		                       yamlcfg_kind_name(n->type));
	v = (const char *)n->data.scalar.value;
	/* A double-quoted "\0" puts a NUL inside the value; C strings would cut it. */
	if (strlen(v) != n->data.scalar.length)
		return yamlcfg_fail_at(y, n->start_mark, "%s contains a NUL character", what);
	*out = v;
	return 0;
}

int yamlcfg_kind(struct yamlcfg *y, const yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n->type == t)
		return 0;
	return yamlcfg_fail_at(y, n->start_mark, "expected %s for %s, found %s",
	                       yamlcfg_kind_name(t), what, yamlcfg_kind_name(n->type));
}

int yamlcfg_bool(struct yamlcfg *y, const yaml_node_t *n, const char *key, bool *out)
{
	const char *v;
	char vb[YAMLCFG_SHOW_BUF], what[64];

	snprintf(what, sizeof(what), "'%s'", key);
	if (yamlcfg_scalar(y, n, what, &v) < 0)
		return -1;
	/* YAML 1.2 core schema booleans only: "yes"/"no"/"on" are 1.1 traps. */
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		*out = false;
	else
		return yamlcfg_fail_at(y, n->start_mark, "%s must be true or false, got '%s'", key,
		                       yamlcfg_show(v, vb));
	return 0;
}

int yamlcfg_cidr(struct yamlcfg *y, const yaml_node_t *n, const char *v, const char *key,
                 struct sw_cidr *out)
{
	char vb[YAMLCFG_SHOW_BUF];

	if (addr_cidr_parse(v, out) < 0)
		return yamlcfg_fail_at(y, n->start_mark, "bad CIDR '%s' in %s", yamlcfg_show(v, vb),
		                       key);
	return 0;
}

int yamlcfg_parse_int(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	const uint64_t lim = (uint64_t)INT64_MAX;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		/* Overflow saturates, so callers report it as out of range. */
		if (v > (lim - (uint64_t)(*s - '0')) / 10)
			v = lim;
		else
			v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int yamlcfg_parse_uint(const char *s, uint64_t *out)
{
	int64_t v;

	if (*s < '0' || *s > '9' || yamlcfg_parse_int(s, &v) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int yamlcfg_parse_real(const char *s, double *out)
{
	const char *p = s;
	char *end;
	size_t digits = 0;

	/* [-+]? digits [. digits] [e [-+] digits] */
	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	/* The grammar above excludes strtod's hex, inf and nan forms; overflow gives inf. */
	*out = strtod(s, &end);
	if (*end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

const char *yamlcfg_parse_duration(const char *s, uint64_t *out_us)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
	    {"ms", 1000ull},      {"s", 1000000ull},     {"m", 60000000ull},
	    {"h", 3600000000ull}, {"d", 86400000000ull}, {"", 1000000ull}, /* seconds */
	};
	uint64_t n = 0;
	size_t i;

	if (*s == '-')
		return "must be positive";
	if (*s < '0' || *s > '9')
		return "expected a number with unit ms, s, m, h or d";
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		/* Every unit is >= 1 ms, so anything past this is over the cap anyway. */
		if (n > YAMLCFG_DURATION_MAX_US)
			return "must be below 30 days";
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].unit) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return "unknown unit (use ms, s, m, h or d)";
	if (n == 0)
		return "must be greater than zero";
	/* n <= the cap in microseconds, so n * us cannot wrap once n <= cap / us. */
	if (n > YAMLCFG_DURATION_MAX_US / units[i].us || n * units[i].us >= YAMLCFG_DURATION_MAX_US)
		return "must be below 30 days";
	*out_us = n * units[i].us;
	return NULL;
}

int yamlcfg_parse_size(const char *text, uint64_t *out_bytes)
{
	uint64_t n = 0, mult = 1;
	const char *s = text;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	/* Binary multiples, as memory caps are usually thought of. */
	switch (*s) {
	case '\0':
		break;
	case 'k':
	case 'K':
		mult = 1ull << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = 1ull << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = 1ull << 30;
		s++;
		break;
	case 't':
	case 'T':
		mult = 1ull << 40;
		s++;
		break;
	default:
		return -1;
	}
	if (*s != '\0' || n > UINT64_MAX / mult)
		return -1;
	*out_bytes = n * mult;
	return 0;
}
