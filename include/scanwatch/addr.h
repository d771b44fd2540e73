/* addr.h — one address type for IPv4 and IPv6, CIDR blocks, canonical text. */
#ifndef SCANWATCH_ADDR_H
#define SCANWATCH_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Every address is 16 bytes. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d,
 * RFC 4291 section 2.5.5.2) so one hash, one compare and one table serve both
 * families; addr_is_v4() tells them apart again.
 */
struct sw_addr {
	uint8_t a[16];
};

/* A CIDR block; the prefix length counts in the 128-bit space. */
struct sw_cidr {
	struct sw_addr base;
	uint8_t plen;
};

/* Longest canonical text: IPv6 with embedded IPv4 plus NUL (INET6_ADDRSTRLEN). */
#define ADDR_TEXT_MAX 46

/* out = the IPv4 address v4 (4 bytes, network order), stored IPv4-mapped. */
void addr_from_v4(struct sw_addr *out, const uint8_t v4[4]);
/* addr_from_v4() for the per-packet path: inline, so the decoder pays no call per address. */
static inline void addr_set_v4(struct sw_addr *out, const uint8_t v4[4])
{
	/* ::ffff:a.b.c.d, RFC 4291 section 2.5.5.2; built in a local so it is one 16-byte store */
	uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(a + 12, v4, 4);
	memcpy(out->a, a, sizeof a);
}
/* out = the IPv6 address v6 (16 bytes, network order). */
void addr_from_v6(struct sw_addr *out, const uint8_t v6[16]);
/* True for an IPv4(-mapped) address. */
bool addr_is_v4(const struct sw_addr *a);
/* Equality, and a total order (memcmp of the 16 bytes: IPv4 sorts among ::ffff:0:0/96). */
bool addr_eq(const struct sw_addr *a, const struct sw_addr *b);
int addr_cmp(const struct sw_addr *a, const struct sw_addr *b);
/* Canonical text (RFC 5952 for IPv6, dotted quad for IPv4) into buf; returns buf. */
const char *addr_format(const struct sw_addr *a, char buf[ADDR_TEXT_MAX]);
/* Parses "1.2.3.4" or "2001:db8::1"; 0 on success, -1 otherwise. */
int addr_parse(const char *text, struct sw_addr *out);
/* Parses "1.2.3.0/24", "2001:2::/48" or a bare address (a host block); 0 or -1. */
int addr_cidr_parse(const char *text, struct sw_cidr *out);
/* True when a is inside block c (an IPv4 block holds only IPv4 addresses). */
bool addr_cidr_contains(const struct sw_cidr *c, const struct sw_addr *a);
/* True when a is inside any of the n blocks. */
bool addr_cidr_list_contains(const struct sw_cidr *list, size_t n, const struct sw_addr *a);

#endif
