/* cursor.h — bounds-checked reads of wire bytes; the only way the decoder touches a packet. */
#ifndef SCANWATCH_CURSOR_H
#define SCANWATCH_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A cursor is a window [p, end) over captured bytes. Every read checks the
 * window and returns false when the bytes are not there, setting the output
 * to zero, so a truncated packet is an explicit result at the call site, not
 * a jump (Suricata style, see STYLE.md item 1). Multi-byte reads are network
 * byte order. Cursors never own memory.
 */
struct cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void cursor_init(struct cursor *c, const uint8_t *data, size_t len)
{
	c->p = data;
	c->end = data + len;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline bool cursor_has(const struct cursor *c, size_t n)
{
	return cursor_left(c) >= n;
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (!cursor_has(c, n))
		return false;
	c->p += n;
	return true;
}

static inline bool cursor_u8(struct cursor *c, uint8_t *v)
{
	if (!cursor_has(c, 1)) {
		*v = 0; /* defined even on failure: no stale value can leak through */
		return false;
	}
	*v = c->p[0];
	c->p += 1;
	return true;
}

static inline bool cursor_be16(struct cursor *c, uint16_t *v)
{
	if (!cursor_has(c, 2)) {
		*v = 0; /* defined even on failure: no stale value can leak through */
		return false;
	}
	*v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return true;
}

static inline bool cursor_le16(struct cursor *c, uint16_t *v)
{
	if (!cursor_has(c, 2)) {
		*v = 0; /* defined even on failure: no stale value can leak through */
		return false;
	}
	*v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return true;
}

static inline bool cursor_be32(struct cursor *c, uint32_t *v)
{
	if (!cursor_has(c, 4)) {
		*v = 0; /* defined even on failure: no stale value can leak through */
		return false;
	}
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return true;
}

static inline bool cursor_le32(struct cursor *c, uint32_t *v)
{
	if (!cursor_has(c, 4)) {
		*v = 0; /* defined even on failure: no stale value can leak through */
		return false;
	}
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return true;
}

/* Copies n bytes out. */
static inline bool cursor_bytes(struct cursor *c, void *out, size_t n)
{
	if (!cursor_has(c, n))
		return false;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)out)[i] = c->p[i];
	c->p += n;
	return true;
}

/* Splits off the next n bytes as a sub-cursor and advances past them. */
static inline bool cursor_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (!cursor_has(c, n)) {
		sub->p = sub->end = c->end; /* an empty window, never an unset one */
		return false;
	}
	sub->p = c->p;
	sub->end = c->p + n;
	c->p += n;
	return true;
}

/* Shrinks the window to at most n bytes (a length field that says less than was captured). */
static inline void cursor_limit(struct cursor *c, size_t n)
{
	if (cursor_left(c) > n)
		c->end = c->p + n;
}

#endif
