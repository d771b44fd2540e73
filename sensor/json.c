/* json.c — streaming JSON writer (RFC 8259) with strict UTF-8 repair, bounded by the caller's
 * buffer. */
#include "scanwatch/json.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json_writer *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	if (cap > 0)
		buf[0] = '\0';
	else
		w->err = JSON_ERR_OVERFLOW; /* not even room for the terminating NUL */
}

static void fail(struct json_writer *w, enum json_err e)
{
	if (w->err == JSON_OK)
		w->err = e;
}

/*
 * Appends n raw bytes. The last byte of the buffer is reserved for the NUL,
 * so len < cap always holds and the check below cannot wrap.
 */
static void put(struct json_writer *w, const char *p, size_t n)
{
	if (w->err != JSON_OK)
		return;
	if (n > w->cap - 1 - w->len) {
		fail(w, JSON_ERR_OVERFLOW);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc1(struct json_writer *w, char c)
{
	put(w, &c, 1);
}

/*
 * Bookkeeping before any value: a value inside an object must follow its
 * key; inside an array it is separated from the previous one by a comma; at
 * the top level only one value is allowed (RFC 8259 section 2).
 */
static int begin_value(struct json_writer *w)
{
	if (w->err != JSON_OK)
		return -1;
	if (w->after_key) {
		w->after_key = false;
		return 0;
	}
	if (w->is_object[w->depth]) {
		fail(w, JSON_ERR_MISUSE);
		return -1;
	}
	if (w->has_items[w->depth]) {
		if (w->depth == 0) {
			fail(w, JSON_ERR_MISUSE);
			return -1;
		}
		putc1(w, ',');
	}
	w->has_items[w->depth] = true;
	return w->err == JSON_OK ? 0 : -1;
}

static void open_container(struct json_writer *w, bool object)
{
	if (begin_value(w) < 0)
		return;
	if (w->depth >= JSON_DEPTH_MAX) {
		fail(w, JSON_ERR_DEPTH);
		return;
	}
	putc1(w, object ? '{' : '[');
	w->depth++;
	w->has_items[w->depth] = false;
	w->is_object[w->depth] = object;
}

static void close_container(struct json_writer *w, bool object)
{
	if (w->err != JSON_OK)
		return;
	if (w->depth == 0 || w->is_object[w->depth] != object || w->after_key) {
		fail(w, JSON_ERR_MISUSE);
		return;
	}
	putc1(w, object ? '}' : ']');
	w->depth--;
}

void json_object_begin(struct json_writer *w)
{
	open_container(w, true);
}

void json_object_end(struct json_writer *w)
{
	close_container(w, true);
}

void json_array_begin(struct json_writer *w)
{
	open_container(w, false);
}

void json_array_end(struct json_writer *w)
{
	close_container(w, false);
}

/*
 * Length of the well-formed UTF-8 sequence at s (2..4 bytes), or 0 when it is
 * ill-formed; then *bad is the length of its maximal subpart (>= 1), the
 * bytes one U+FFFD replaces. The ranges are RFC 3629 section 4 (Table 3-7 of
 * the Unicode standard): they exclude overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), UTF-16 surrogates (ED A0..BF) and code points past U+10FFFF.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (b >= 0xC2 && b <= 0xDF) {
		need = 2;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 3;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 4;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		*bad = 1; /* 80..C1 (continuation or overlong lead), F5..FF */
		return 0;
	}
	for (i = 1; i < need; i++) {
		unsigned char lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xBF;

		if (i >= n || s[i] < lo_i || s[i] > hi_i) {
			*bad = i;
			return 0;
		}
	}
	return need;
}

static const char hexdig[] = "0123456789abcdef";

/* Bytes a JSON string holds as they are: printable ASCII but the quote and the backslash
 * (RFC 8259 section 7). One load a byte where four comparisons were: the reasons of a record
 * are a few hundred such bytes, and every JSON sink and the store's rows escape them. */
#define PLAIN_BYTE(b) ((b) >= 0x20 && (b) < 0x80 && (b) != '"' && (b) != '\\')
#define PLAIN_ROW(r)                                                                      \
	PLAIN_BYTE(r + 0), PLAIN_BYTE(r + 1), PLAIN_BYTE(r + 2), PLAIN_BYTE(r + 3),       \
	    PLAIN_BYTE(r + 4), PLAIN_BYTE(r + 5), PLAIN_BYTE(r + 6), PLAIN_BYTE(r + 7),   \
	    PLAIN_BYTE(r + 8), PLAIN_BYTE(r + 9), PLAIN_BYTE(r + 10), PLAIN_BYTE(r + 11), \
	    PLAIN_BYTE(r + 12), PLAIN_BYTE(r + 13), PLAIN_BYTE(r + 14), PLAIN_BYTE(r + 15)
static const bool plain[256] = {
    PLAIN_ROW(0x00), PLAIN_ROW(0x10), PLAIN_ROW(0x20), PLAIN_ROW(0x30),
    PLAIN_ROW(0x40), PLAIN_ROW(0x50), PLAIN_ROW(0x60), PLAIN_ROW(0x70),
}; /* 0x80 and up: false (zero) */
#undef PLAIN_ROW
#undef PLAIN_BYTE

static void put_escaped(struct json_writer *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putc1(w, '"');
	while (i < n && w->err == JSON_OK) {
		size_t run = i;

		/* Copy the longest run of bytes that need nothing, in one put. */
		while (run < n && plain[s[run]])
			run++;
		if (run > i) {
			put(w, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			char esc[2] = {'\\', (char)s[i]};

			put(w, esc, 2);
			i++;
		} else if (s[i] < 0x20) {
			/* RFC 8259 section 7: control characters must be escaped. */
			char esc[6] = {'\\', 'u', '0', '0', hexdig[s[i] >> 4], hexdig[s[i] & 15]};

			put(w, esc, 6);
			i++;
		} else {
			size_t bad = 0, len = utf8_seq(s + i, n - i, &bad);

			if (len == 3 && s[i] == 0xE2 && s[i + 1] == 0x80 &&
			    (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
				put(w, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
				i += 3;
			} else if (len > 0) {
				put(w, str + i, len);
				i += len;
			} else {
				put(w, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
				i += bad;
			}
		}
	}
	putc1(w, '"');
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->err != JSON_OK)
		return;
	if (!w->is_object[w->depth] || w->after_key) {
		fail(w, JSON_ERR_MISUSE);
		return;
	}
	if (w->has_items[w->depth])
		putc1(w, ',');
	w->has_items[w->depth] = true;
	put_escaped(w, key, strlen(key));
	putc1(w, ':');
	w->after_key = true;
}

void json_string_n(struct json_writer *w, const char *s, size_t n)
{
	if (begin_value(w) < 0)
		return;
	put_escaped(w, s, n);
}

void json_string(struct json_writer *w, const char *s)
{
	json_string_n(w, s, strlen(s));
}

/* Digits of v, written backwards from the end of a 20-byte buffer (UINT64_MAX has 20). */
static size_t fmt_u64(char out[20], uint64_t v)
{
	size_t i = 20;

	do {
		out[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return i;
}

void json_uint(struct json_writer *w, uint64_t v)
{
	char d[20];
	size_t start;

	if (begin_value(w) < 0)
		return;
	start = fmt_u64(d, v);
	put(w, d + start, 20 - start);
}

void json_int(struct json_writer *w, int64_t v)
{
	char d[20];
	size_t start;
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit in int64_t. */
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	if (begin_value(w) < 0)
		return;
	if (v < 0)
		putc1(w, '-');
	start = fmt_u64(d, mag);
	put(w, d + start, 20 - start);
}

void json_double(struct json_writer *w, double v)
{
	char d[40];
	int n;

	if (!isfinite(v)) {
		json_null(w); /* RFC 8259 section 6: NaN and Infinity are not permitted */
		return;
	}
	if (begin_value(w) < 0)
		return;
	n = snprintf(d, sizeof(d), "%.15g", v);
	if (n > 0 && strtod(d, NULL) != v)
		n = snprintf(d, sizeof(d), "%.17g",
		             v); /* 17 significant digits always round-trip */
	if (n <= 0 || (size_t)n >= sizeof(d)) {
		fail(w, JSON_ERR_OVERFLOW);
		return;
	}
	/* A locale with a decimal comma would break the number; JSON wants '.'. */
	for (int i = 0; i < n; i++)
		if (d[i] == ',')
			d[i] = '.';
	put(w, d, (size_t)n);
}

void json_bool(struct json_writer *w, bool v)
{
	if (begin_value(w) < 0)
		return;
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void json_null(struct json_writer *w)
{
	if (begin_value(w) < 0)
		return;
	put(w, "null", 4);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

int json_finish(struct json_writer *w)
{
	if (w->err == JSON_OK && (w->depth != 0 || w->after_key || !w->has_items[0]))
		fail(w, JSON_ERR_MISUSE);
	if (w->err == JSON_OK && w->len > INT_MAX)
		fail(w, JSON_ERR_OVERFLOW);
	if (w->err != JSON_OK)
		return -1;
	return (int)w->len;
}

const char *json_strerror(enum json_err e)
{
	switch (e) {
	case JSON_OK:
		return "no error";
	case JSON_ERR_OVERFLOW:
		return "buffer too small";
	case JSON_ERR_DEPTH:
		return "nesting too deep";
	case JSON_ERR_MISUSE:
		return "malformed document (unbalanced or misplaced key/value)";
	}
	return "unknown error";
}
