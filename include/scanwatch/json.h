/* json.h — a small streaming JSON writer (RFC 8259) into a caller-owned buffer. */
#ifndef SCANWATCH_JSON_H
#define SCANWATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Nesting the writer tracks; deeper documents are refused (JSON_ERR_DEPTH).
 * Detections nest two levels; 32 leaves room for any record we will emit.
 */
#define JSON_DEPTH_MAX 32

enum json_err {
	JSON_OK = 0,
	JSON_ERR_OVERFLOW = 1, /* the buffer is too small: nothing past it was written */
	JSON_ERR_DEPTH = 2,    /* nesting deeper than JSON_DEPTH_MAX */
	JSON_ERR_MISUSE = 3,   /* unbalanced end, key outside an object, value without key ... */
};

/*
 * Writer state. The buffer is borrowed; the writer never writes past
 * buf[cap - 1] and always leaves buf NUL-terminated (when cap > 0). After the
 * first error every call is a no-op and the error sticks, so a caller can
 * emit a whole document and check once at the end.
 */
struct json_writer {
	char *buf;
	size_t cap;
	size_t len;
	enum json_err err;
	uint8_t depth;
	bool after_key;                     /* a key was written; the next value needs no comma */
	bool has_items[JSON_DEPTH_MAX + 1]; /* per level: a member/element was written */
	bool is_object[JSON_DEPTH_MAX + 1];
};

void json_init(struct json_writer *w, char *buf, size_t cap);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* An object member name; escaped like any string. */
void json_key(struct json_writer *w, const char *key);
/*
 * A string value, escaped per RFC 8259 section 7: '"', '\\' and U+0000..U+001F
 * as \u00XX; U+2028/U+2029 as \u2028/\u2029 (valid JSON, but they end a line
 * in JavaScript before ES2019). Bytes that are not well-formed UTF-8 (RFC
 * 3629: overlong forms, surrogates, lone continuation bytes, truncated
 * sequences, > U+10FFFF) become U+FFFD, one per maximal ill-formed subpart
 * (Unicode chapter 3, "U+FFFD Substitution of Maximal Subparts"), so the
 * output is always valid UTF-8.
 */
void json_string(struct json_writer *w, const char *s);
/* The same for n bytes of s; embedded NULs are escaped as \u0000. */
void json_string_n(struct json_writer *w, const char *s, size_t n);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
/* Shortest of %.15g / %.17g that reads back exactly; NaN and infinities become null. */
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* Member shorthands: json_key then the value. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);

/*
 * Ends the document: returns its length (buf is NUL-terminated), or -1 when
 * an error occurred or an object/array is still open (w->err tells which).
 */
int json_finish(struct json_writer *w);
const char *json_strerror(enum json_err e);

#endif
