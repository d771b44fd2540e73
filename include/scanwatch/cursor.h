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

/*
 * Takes the next n bytes as one checked block and advances past them; NULL
 * (nothing consumed) when they are not all there. A fixed-size header is
 * checked once this way and its fields read with cursor_get_*() at constant
 * offsets below n (tcpdump's ND_TCHECK_LEN followed by EXTRACT_*): one bounds
 * check per header instead of one per field on the per-packet path.
 */
static inline const uint8_t *cursor_take(struct cursor *c, size_t n)
{
	const uint8_t *b;

	if (!cursor_has(c, n))
		return NULL;
	b = c->p;
	c->p += n;
	return b;
}

/* Reads inside a block from cursor_take(), network byte order. */
static inline uint16_t cursor_get_be16(const uint8_t *b)
{
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t cursor_get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Shrinks the window to at most n bytes (a length field that says less than was captured). */
static inline void cursor_limit(struct cursor *c, size_t n)
{
	if (cursor_left(c) > n)
		c->end = c->p + n;
}

#endif
