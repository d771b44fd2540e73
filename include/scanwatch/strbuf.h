/* strbuf.h — appending text to a fixed buffer without printf: truncates, always terminated. */
#ifndef SCANWATCH_STRBUF_H
#define SCANWATCH_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Detection records are built once per OPEN, UPDATE and CLOSE, and snprintf
 * was a quarter of the main thread's instructions on a capture of many small
 * scans. These append exactly what snprintf("%s") and ("%llu") would, and
 * truncate the same way: as much as fits, then the terminating NUL.
 */
struct strbuf {
	char *p;
	size_t cap; /* bytes at p, the NUL included */
	size_t n;   /* characters written; n < cap once cap > 0 */
};

static inline void strbuf_init(struct strbuf *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->n = 0;
	if (cap)
		p[0] = '\0';
}

static inline void strbuf_putn(struct strbuf *s, const char *str, size_t len)
{
	if (s->cap == 0)
		return;
	size_t room = s->cap - 1 - s->n;
	if (len > room)
		len = room;
	memcpy(s->p + s->n, str, len);
	s->n += len;
	s->p[s->n] = '\0';
}

static inline void strbuf_puts(struct strbuf *s, const char *str)
{
	strbuf_putn(s, str, strlen(str));
}

static inline void strbuf_u64(struct strbuf *s, uint64_t v)
{
	char t[20];
	size_t i = sizeof t;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_putn(s, t + i, sizeof t - i);
}

/* Whether the buffer is full (what follows would be cut). */
static inline int strbuf_full(const struct strbuf *s)
{
	return s->cap == 0 || s->n + 1 >= s->cap;
}

#endif
