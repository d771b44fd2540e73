/* addr.c — 128-bit addresses (IPv4 stored IPv4-mapped), CIDR blocks and their canonical text. */
#include "scanwatch/addr.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

/* ::ffff:0:0/96, RFC 4291 section 2.5.5.2: the first 12 bytes of every IPv4 address. */
static const uint8_t addr_v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* The IPv4 prefix length /n becomes /(n + 96) in the 128-bit space. */
#define ADDR_V4_PLEN_OFFSET 96

/*
 * Longest text addr_cidr_parse() accepts for the address part; longer input
 * cannot be an address (INET6_ADDRSTRLEN counts the longest) and is refused
 * rather than truncated.
 */
#define ADDR_CIDR_TEXT_MAX ADDR_TEXT_MAX

void addr_from_v4(struct sw_addr *out, const uint8_t v4[4])
{
	addr_set_v4(out, v4);
}

void addr_from_v6(struct sw_addr *out, const uint8_t v6[16])
{
	memcpy(out->a, v6, 16);
}

bool addr_is_v4(const struct sw_addr *a)
{
	return memcmp(a->a, addr_v4_prefix, sizeof addr_v4_prefix) == 0;
}

/*
 * Two 64-bit halves, most significant byte first, so that comparing them as
 * integers orders addresses exactly as memcmp() would; the classifier and
 * the trackers compare addresses on every packet and a call to memcmp costs
 * more than the compare.
 */
static inline uint64_t addr_half(const struct sw_addr *a, size_t off)
{
	uint64_t v;

	memcpy(&v, a->a + off, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

bool addr_eq(const struct sw_addr *a, const struct sw_addr *b)
{
	uint64_t a0, a1, b0, b1;

	/* equality needs no byte order */
	memcpy(&a0, a->a, 8);
	memcpy(&a1, a->a + 8, 8);
	memcpy(&b0, b->a, 8);
	memcpy(&b1, b->a + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

int addr_cmp(const struct sw_addr *a, const struct sw_addr *b)
{
	uint64_t x = addr_half(a, 0), y = addr_half(b, 0);

	if (x == y) {
		x = addr_half(a, 8);
		y = addr_half(b, 8);
	}
	return (x > y) - (x < y);
}

/* The dotted quad of b[0..3], as inet_ntop writes it (decimal, no leading zeros): by hand,
 * because glibc's goes through sprintf, which cost the store's writer more than the bytes
 * it formats (every record's sample targets and sources are addresses). */
static void format_v4(const uint8_t b[4], char *buf)
{
	char *o = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
}

const char *addr_format(const struct sw_addr *a, char buf[ADDR_TEXT_MAX])
{
	const char *r = buf;

	/*
	 * glibc's inet_ntop follows RFC 5952 (lower case, longest zero run
	 * compressed, a single zero field left alone); IPv4-mapped addresses
	 * are shown as the plain dotted quad an analyst expects.
	 */
	_Static_assert(ADDR_TEXT_MAX >= sizeof "255.255.255.255", "a dotted quad fits");
	if (addr_is_v4(a))
		format_v4(a->a + 12, buf);
	else
		r = inet_ntop(AF_INET6, a->a, buf, ADDR_TEXT_MAX);
	if (!r) {
		/* Cannot happen with a 46-byte buffer; keep the contract of a valid string. */
		buf[0] = '?';
		buf[1] = '\0';
	}
	return buf;
}

int addr_parse(const char *text, struct sw_addr *out)
{
	uint8_t raw[16];

	if (!text)
		return -1;
	/* inet_pton(AF_INET) accepts only the strict dotted quad (no "1.2.3", no octal). */
	if (inet_pton(AF_INET, text, raw) == 1) {
		addr_from_v4(out, raw);
		return 0;
	}
	if (inet_pton(AF_INET6, text, raw) == 1) {
		addr_from_v6(out, raw);
		return 0;
	}
	return -1;
}

/* Parses a decimal prefix length of 1 to 3 digits, nothing else; -1 on garbage. */
static int addr_parse_plen(const char *s)
{
	int v = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n >= 3)
			return -1;
		v = v * 10 + (s[n] - '0');
	}
	return n ? v : -1;
}

/* Clears every bit of a past the first plen bits. */
static void addr_mask(struct sw_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;

		if (plen >= bit + 8)
			continue;
		if (plen <= bit)
			a->a[i] = 0;
		else
			a->a[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
	}
}

int addr_cidr_parse(const char *text, struct sw_cidr *out)
{
	char host[ADDR_CIDR_TEXT_MAX];
	const char *slash;
	size_t hlen;
	uint8_t raw[16];
	struct sw_addr base;
	int plen;

	if (!text)
		return -1;
	slash = strchr(text, '/');
	hlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof host)
		return -1;
	memcpy(host, text, hlen);
	host[hlen] = '\0';

	if (inet_pton(AF_INET, host, raw) == 1) {
		addr_from_v4(&base, raw);
		plen = slash ? addr_parse_plen(slash + 1) : 32;
		if (plen < 0 || plen > 32)
			return -1;
		plen += ADDR_V4_PLEN_OFFSET;
	} else if (inet_pton(AF_INET6, host, raw) == 1) {
		addr_from_v6(&base, raw);
		plen = slash ? addr_parse_plen(slash + 1) : 128;
		if (plen < 0 || plen > 128)
			return -1;
	} else {
		return -1;
	}
	/* Host bits are accepted ("10.1.2.3/8" as people write it) and dropped. */
	addr_mask(&base, (unsigned)plen);
	out->base = base;
	out->plen = (uint8_t)plen;
	return 0;
}

bool addr_cidr_contains(const struct sw_cidr *c, const struct sw_addr *a)
{
	unsigned plen = c->plen > 128 ? 128 : c->plen;
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(c->base.a, a->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));

	return (c->base.a[full] & m) == (a->a[full] & m);
}

bool addr_cidr_list_contains(const struct sw_cidr *list, size_t n, const struct sw_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (addr_cidr_contains(&list[i], a))
			return true;
	return false;
}
