/* test_json.c — the JSON writer: escaping, UTF-8 repair, numbers, structure and overflow. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/json.h"

/* Renders one string value; returns the output (static buffer) or NULL on error. */
static const char *str_value(const char *in, size_t n)
{
	static char out[4096];
	struct json_writer w;

	json_init(&w, out, sizeof(out));
	json_string_n(&w, in, n);
	return json_finish(&w) < 0 ? NULL : out;
}

#define CHECK_ESC(in, expect) CHECK_STR(str_value(in, sizeof(in) - 1), expect)

/*
 * An independent strict UTF-8 check (decode the code point, then reject
 * overlong forms, surrogates and > U+10FFFF) to hold the writer's output to.
 */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0) {
			len = 2;
			cp = s[i] & 0x1F;
		} else if ((s[i] & 0xF0) == 0xE0) {
			len = 3;
			cp = s[i] & 0x0F;
		} else if ((s[i] & 0xF8) == 0xF0) {
			len = 4;
			cp = s[i] & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static void test_controls(void)
{
	for (int c = 0; c < 0x20; c++) {
		char in[1] = {(char)c}, expect[16];

		snprintf(expect, sizeof(expect), "\"\\u%04x\"", c);
		CHECK_STR(str_value(in, 1), expect);
	}
	CHECK_ESC("\"", "\"\\\"\"");
	CHECK_ESC("\\", "\"\\\\\"");
	CHECK_ESC("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	CHECK_ESC("\x7f", "\"\x7f\""); /* DEL needs no escape (RFC 8259 section 7) */
	CHECK_ESC("line1\nline2\ttab", "\"line1\\u000aline2\\u0009tab\"");
	CHECK_ESC("", "\"\"");
}

static void test_utf8(void)
{
	/* Well-formed sequences pass through unchanged, including the extremes. */
	CHECK_ESC("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	CHECK_ESC("\xe2\x82\xac", "\"\xe2\x82\xac\"");
	CHECK_ESC("\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"");                 /* U+1D11E */
	CHECK_ESC("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\"");                 /* U+0080, U+07FF */
	CHECK_ESC("\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\""); /* U+0800, U+FFFF */
	CHECK_ESC("\xed\x9f\xbf\xee\x80\x80",
	          "\"\xed\x9f\xbf\xee\x80\x80\""); /* around surrogates */
	CHECK_ESC("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
	CHECK_ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");
	/* Line and paragraph separators are escaped for JavaScript consumers. */
	CHECK_ESC("a\xe2\x80\xa8z\xe2\x80\xa9", "\"a\\u2028z\\u2029\"");

#define FFFD "\xef\xbf\xbd"
	/* Lone continuation bytes: one U+FFFD each. */
	CHECK_ESC("\x80", "\"" FFFD "\"");
	CHECK_ESC("a\xbf\x80z", "\"a" FFFD FFFD "z\"");
	/* Overlong forms: C0/C1 are never valid; E0 80..9F and F0 80..8F start overlongs. */
	CHECK_ESC("\xc0\xaf", "\"" FFFD FFFD "\"");
	CHECK_ESC("\xc1\xbf", "\"" FFFD FFFD "\"");
	CHECK_ESC("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"");
	CHECK_ESC("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
	/* UTF-16 surrogates encoded in UTF-8 (CESU-8 style). */
	CHECK_ESC("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	CHECK_ESC("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");
	CHECK_ESC("\xed\xa0\xbd\xed\xb2\xa9", "\"" FFFD FFFD FFFD FFFD FFFD FFFD "\"");
	/* Beyond U+10FFFF and bytes that never appear. */
	CHECK_ESC("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	CHECK_ESC("\xf5\xfe\xff", "\"" FFFD FFFD FFFD "\"");
	/* Truncated sequences: the maximal subpart is one U+FFFD, the next byte is kept. */
	CHECK_ESC("\xe2\x82", "\"" FFFD "\"");
	CHECK_ESC("\xe2\x82z", "\"" FFFD "z\"");
	CHECK_ESC("\xf0\x9d\x84", "\"" FFFD "\"");
	CHECK_ESC("\xf0\x9d\x84\"", "\"" FFFD "\\\"\"");
	CHECK_ESC("\xc3", "\"" FFFD "\"");
	CHECK_ESC("\xc3\n", "\"" FFFD "\\u000a\"");
	/* Embedded NUL with the length-taking variant. */
	CHECK_STR(str_value("a\0b", 3), "\"a\\u0000b\"");
#undef FFFD
}

/* Random bytes in, valid UTF-8 and no raw control bytes out, every time. */
static void test_utf8_random(void)
{
	uint64_t x = 0x9E3779B97F4A7C15ull; /* fixed seed: failures reproduce */
	unsigned char in[64];
	int bad = 0;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 64);
		const char *out;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Bias toward the bytes that make multibyte trouble. */
			in[i] =
			    (x & 3) ? (unsigned char)(0x80 | (x >> 8)) : (unsigned char)(x >> 16);
		}
		out = str_value((const char *)in, n);
		if (out == NULL || !valid_utf8((const unsigned char *)out, strlen(out))) {
			bad++;
			continue;
		}
		for (const char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20)
				bad++;
	}
	CHECK_EQ_U(bad, 0);
}

static const char *render_num(int kind, int64_t i, uint64_t u, double d)
{
	static char out[64];
	struct json_writer w;

	json_init(&w, out, sizeof(out));
	if (kind == 0)
		json_int(&w, i);
	else if (kind == 1)
		json_uint(&w, u);
	else
		json_double(&w, d);
	return json_finish(&w) < 0 ? NULL : out;
}

static void test_numbers(void)
{
	CHECK_STR(render_num(0, 0, 0, 0), "0");
	CHECK_STR(render_num(0, -1, 0, 0), "-1");
	CHECK_STR(render_num(0, INT64_MAX, 0, 0), "9223372036854775807");
	CHECK_STR(render_num(0, INT64_MIN, 0, 0), "-9223372036854775808");
	CHECK_STR(render_num(1, 0, UINT64_MAX, 0), "18446744073709551615");
	CHECK_STR(render_num(1, 0, 65535, 0), "65535");
	CHECK_STR(render_num(2, 0, 0, 0.1), "0.1");
	CHECK_STR(render_num(2, 0, 0, 11.9), "11.9");
	CHECK_STR(render_num(2, 0, 0, -2.5), "-2.5");
	CHECK_STR(render_num(2, 0, 0, 1e300), "1e+300");
	CHECK_STR(render_num(2, 0, 0, NAN), "null");
	CHECK_STR(render_num(2, 0, 0, INFINITY), "null");
	CHECK_STR(render_num(2, 0, 0, -INFINITY), "null");
	{
		const char *third = render_num(2, 0, 0, 1.0 / 3.0);

		CHECK(third != NULL && strtod(third, NULL) == 1.0 / 3.0);
	}
}

static void test_structure(void)
{
	char buf[256];
	struct json_writer w;

	json_init(&w, buf, sizeof(buf));
	json_object_begin(&w);
	json_kv_string(&w, "a", "x");
	json_kv_uint(&w, "b", 2);
	json_kv_int(&w, "c", -3);
	json_key(&w, "d");
	json_array_begin(&w);
	json_bool(&w, true);
	json_bool(&w, false);
	json_null(&w);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_begin(&w);
	json_array_end(&w);
	json_array_end(&w);
	json_key(&w, "k\"ey");
	json_double(&w, 1.5);
	json_object_end(&w);
	CHECK(json_finish(&w) > 0);
	CHECK_STR(buf,
	          "{\"a\":\"x\",\"b\":2,\"c\":-3,\"d\":[true,false,null,{},[]],\"k\\\"ey\":1.5}");
	CHECK_EQ_U(json_finish(&w), strlen(buf));

	/* Misuse is reported, not rendered. */
	json_init(&w, buf, sizeof(buf));
	json_object_begin(&w);
	json_uint(&w, 1); /* value without a key */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	json_array_begin(&w);
	json_key(&w, "k"); /* key inside an array */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	json_array_begin(&w);
	json_object_end(&w); /* wrong closer */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	json_object_begin(&w);
	json_key(&w, "k");
	json_object_end(&w); /* key without a value */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	json_object_begin(&w); /* never closed */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	json_uint(&w, 1);
	json_uint(&w, 2); /* two top-level values */
	CHECK(json_finish(&w) < 0 && w.err == JSON_ERR_MISUSE);

	json_init(&w, buf, sizeof(buf));
	CHECK(json_finish(&w) < 0); /* empty document */

	json_init(&w, buf, sizeof(buf));
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_array_begin(&w);
	CHECK(w.err == JSON_OK);
	json_array_begin(&w);
	CHECK(w.err == JSON_ERR_DEPTH);
	CHECK(json_finish(&w) < 0);
	CHECK(strlen(json_strerror(JSON_ERR_OVERFLOW)) > 0);
}

static void sample_doc(struct json_writer *w)
{
	json_object_begin(w);
	json_kv_string(w, "phase", "open");
	json_kv_uint(w, "seq", 18446744073709551615ull);
	json_kv_string(w, "evidence",
	               "ctl\x01 quote\" bs\\ bad\xff utf8 \xe2\x82\xac sep\xe2\x80\xa8");
	json_key(w, "ports");
	json_array_begin(w);
	for (int i = 0; i < 5; i++)
		json_int(w, -i * 1000);
	json_array_end(w);
	json_key(w, "x");
	json_double(w, 0.25);
	json_key(w, "n");
	json_null(w);
	json_object_end(w);
}

/* Every buffer size from 0 up: each write stays inside (ASan guards the heap block). */
static void test_overflow(void)
{
	char full[1024];
	struct json_writer w;
	int len;
	int mismatches = 0, wrong_err = 0, unterminated = 0;

	json_init(&w, full, sizeof(full));
	sample_doc(&w);
	len = json_finish(&w);
	CHECK(len > 0);
	if (len <= 0)
		return;
	CHECK(valid_utf8((const unsigned char *)full, (size_t)len));
	for (size_t cap = 0; cap <= (size_t)len + 1; cap++) {
		char *buf = malloc(cap ? cap : 1);
		int got;

		if (buf == NULL)
			abort();
		json_init(&w, cap ? buf : NULL, cap);
		sample_doc(&w);
		got = json_finish(&w);
		if (cap <= (size_t)len) {
			if (got != -1 || w.err != JSON_ERR_OVERFLOW)
				wrong_err++;
			/* What was written is a NUL-terminated prefix of the full document. */
			if (cap > 0 && (memchr(buf, '\0', cap) == NULL))
				unterminated++;
			else if (cap > 0 && strncmp(buf, full, strlen(buf)) != 0)
				mismatches++;
		} else if (got != len || strcmp(buf, full) != 0) {
			mismatches++;
		}
		free(buf);
	}
	CHECK_EQ_U(wrong_err, 0);
	CHECK_EQ_U(unterminated, 0);
	CHECK_EQ_U(mismatches, 0);
}

int main(void)
{
	test_controls();
	test_utf8();
	test_utf8_random();
	test_numbers();
	test_structure();
	test_overflow();
	CHECK_DONE();
}
