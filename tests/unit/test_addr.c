/* test_addr.c — address parse/format round trips, CIDR parsing and membership. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "scanwatch/addr.h"

/* Parses text and formats it back. */
static const char *round_trip(const char *text, char buf[ADDR_TEXT_MAX])
{
	struct sw_addr a;

	if (addr_parse(text, &a) != 0)
		return NULL;
	return addr_format(&a, buf);
}

static void test_parse_format(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"198.18.0.1", "198.18.0.1"},
	    {"0.0.0.0", "0.0.0.0"},
	    {"255.255.255.255", "255.255.255.255"},
	    {"2001:2::1", "2001:2::1"},
	    /* RFC 5952: lower case, leading zeros dropped, longest run compressed */
	    {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	    /* ... first of equal runs, and a single zero field not compressed */
	    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
	    {"::", "::"},
	    {"::1", "::1"},
	    /* IPv4-mapped text is the IPv4 address (one storage for both families) */
	    {"::ffff:198.18.0.9", "198.18.0.9"},
	    {"::FFFF:c612:0009", "198.18.0.9"},
	    {"fe80::1:2", "fe80::1:2"},
	};
	char buf[ADDR_TEXT_MAX];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(round_trip(cases[i].in, buf), cases[i].out);

	/* the longest text fits */
	CHECK_STR(round_trip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", buf),
	          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CHECK(strlen(buf) < ADDR_TEXT_MAX);

	static const char *const garbage[] = {
	    "",           "1.2.3",    "1.2.3.4.5",         "256.1.1.1",
	    "1.2.3.4 ",   " 1.2.3.4", "01.2.3.4",          "1.2.3.-4",
	    "1.2.3.4/24", "::1::",    "2001:db8:::1",      "fe80::1%eth0",
	    "[::1]",      "g::1",     "1:2:3:4:5:6:7:8:9", "0x7f.0.0.1",
	    "localhost",
	};
	struct sw_addr a;

	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		CHECK_EQ_U(addr_parse(garbage[i], &a), (uint64_t)-1);
		if (addr_parse(garbage[i], &a) == 0)
			fprintf(stderr, "  accepted garbage \"%s\"\n", garbage[i]);
	}
	CHECK_EQ_U(addr_parse(NULL, &a), (uint64_t)-1);
}

static void test_families(void)
{
	static const uint8_t v4[4] = {198, 18, 7, 9};
	static const uint8_t v6[16] = {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 7, 9};
	struct sw_addr a, b, c;
	char buf[ADDR_TEXT_MAX];

	addr_from_v4(&a, v4);
	CHECK(memcmp(a.a, mapped, 16) == 0);
	CHECK(addr_is_v4(&a));
	CHECK_STR(addr_format(&a, buf), "198.18.7.9");
	CHECK(addr_parse("::ffff:198.18.7.9", &b) == 0 && addr_eq(&a, &b));

	addr_from_v6(&c, v6);
	CHECK(!addr_is_v4(&c));
	CHECK(memcmp(c.a, v6, 16) == 0);
	CHECK_STR(addr_format(&c, buf), "2001:2::7");
	/* IPv4-compatible (::a.b.c.d) is not IPv4-mapped */
	CHECK(addr_parse("::198.18.7.9", &b) == 0 && !addr_is_v4(&b));

	/* ordering is bytewise, total, and antisymmetric */
	CHECK(addr_parse("198.18.0.1", &a) == 0 && addr_parse("198.18.0.2", &b) == 0);
	CHECK_EQ_U(addr_cmp(&a, &b), (uint64_t)-1);
	CHECK_EQ_U(addr_cmp(&b, &a), 1);
	CHECK_EQ_U(addr_cmp(&a, &a), 0);
	CHECK(!addr_eq(&a, &b));
	CHECK(addr_parse("10.0.0.1", &a) == 0 && addr_parse("9.255.255.255", &b) == 0);
	CHECK_EQ_U(addr_cmp(&a, &b), 1);
}

static void test_cidr(void)
{
	struct sw_cidr c;
	struct sw_addr a;
	char buf[ADDR_TEXT_MAX];

	CHECK(addr_cidr_parse("198.18.0.0/15", &c) == 0);
	CHECK_EQ_U(c.plen, 15 + 96);
	CHECK_STR(addr_format(&c.base, buf), "198.18.0.0");
	CHECK(addr_parse("198.19.255.255", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("198.18.0.0", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("198.20.0.0", &a) == 0 && !addr_cidr_contains(&c, &a));
	CHECK(addr_parse("198.17.255.255", &a) == 0 && !addr_cidr_contains(&c, &a));
	/* an IPv4 block never holds IPv6 addresses outside ::ffff:0:0/96 */
	CHECK(addr_parse("::c612:1", &a) == 0 && !addr_cidr_contains(&c, &a));

	/* host bits set are accepted and masked */
	CHECK(addr_cidr_parse("10.1.2.3/8", &c) == 0);
	CHECK_STR(addr_format(&c.base, buf), "10.0.0.0");
	CHECK_EQ_U(c.plen, 104);
	CHECK(addr_cidr_parse("2001:2::ffff/48", &c) == 0);
	CHECK_STR(addr_format(&c.base, buf), "2001:2::");
	CHECK_EQ_U(c.plen, 48);
	CHECK(addr_parse("2001:2:0:ffff::1", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("2001:3::1", &a) == 0 && !addr_cidr_contains(&c, &a));
	CHECK(addr_parse("198.18.0.1", &a) == 0 && !addr_cidr_contains(&c, &a));

	/* a prefix that is not byte aligned */
	CHECK(addr_cidr_parse("2001:db8:8000::/33", &c) == 0);
	CHECK(addr_parse("2001:db8:ffff::1", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("2001:db8:7fff::1", &a) == 0 && !addr_cidr_contains(&c, &a));

	/* edges: /0 and /32, /128, and a bare address as a host block */
	CHECK(addr_cidr_parse("0.0.0.0/0", &c) == 0);
	CHECK_EQ_U(c.plen, 96);
	CHECK(addr_parse("255.1.2.3", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("2001:2::1", &a) == 0 && !addr_cidr_contains(&c, &a));
	CHECK(addr_cidr_parse("::/0", &c) == 0);
	CHECK_EQ_U(c.plen, 0);
	CHECK(addr_cidr_contains(&c, &a));
	CHECK(addr_cidr_parse("198.18.0.5/32", &c) == 0);
	CHECK_EQ_U(c.plen, 128);
	CHECK(addr_parse("198.18.0.5", &a) == 0 && addr_cidr_contains(&c, &a));
	CHECK(addr_parse("198.18.0.4", &a) == 0 && !addr_cidr_contains(&c, &a));
	CHECK(addr_cidr_parse("198.18.0.5", &c) == 0);
	CHECK_EQ_U(c.plen, 128);
	CHECK(addr_cidr_parse("2001:2::1", &c) == 0);
	CHECK_EQ_U(c.plen, 128);
	CHECK(addr_cidr_parse("2001:2::1/128", &c) == 0);
	CHECK_EQ_U(c.plen, 128);

	static const char *const garbage[] = {
	    "",
	    "/24",
	    "1.2.3.4/",
	    "1.2.3.4/33",
	    "1.2.3.4/-1",
	    "1.2.3.4/+8",
	    "1.2.3.4/ 8",
	    "1.2.3.4/8 ",
	    "1.2.3.4/8/8",
	    "1.2.3.4/0x8",
	    "::/129",
	    "::/1000",
	    "2001:2::/48a",
	    "1.2.3/24",
	    "a.b.c.d/8",
	    "1.2.3.4//8",
	    "1.2.3.4/00008",
	    "fe80::1%lo/64",
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8",
	};
	for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
		CHECK_EQ_U(addr_cidr_parse(garbage[i], &c), (uint64_t)-1);
		if (addr_cidr_parse(garbage[i], &c) == 0)
			fprintf(stderr, "  accepted garbage \"%s\"\n", garbage[i]);
	}
	CHECK_EQ_U(addr_cidr_parse(NULL, &c), (uint64_t)-1);

	/* list membership: the prober's safe ranges */
	struct sw_cidr list[3];

	CHECK(addr_cidr_parse("127.0.0.0/8", &list[0]) == 0);
	CHECK(addr_cidr_parse("198.18.0.0/15", &list[1]) == 0);
	CHECK(addr_cidr_parse("2001:2::/48", &list[2]) == 0);
	CHECK(addr_parse("127.0.0.53", &a) == 0 && addr_cidr_list_contains(list, 3, &a));
	CHECK(addr_parse("2001:2::99", &a) == 0 && addr_cidr_list_contains(list, 3, &a));
	CHECK(!addr_cidr_list_contains(list, 2, &a));
	CHECK(addr_parse("8.8.8.8", &a) == 0 && !addr_cidr_list_contains(list, 3, &a));
	CHECK(!addr_cidr_list_contains(NULL, 0, &a));
}

/* Every prefix length formats and parses back to the same block. */
static void test_cidr_round_trip(void)
{
	struct sw_addr all_ones;
	char text[ADDR_TEXT_MAX + 8], buf[ADDR_TEXT_MAX];

	memset(all_ones.a, 0xff, 16);
	for (unsigned plen = 0; plen <= 128; plen++) {
		struct sw_cidr c, back;
		int n;

		n = snprintf(text, sizeof text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/%u", plen);
		CHECK(n > 0 && (size_t)n < sizeof text);
		CHECK(addr_cidr_parse(text, &c) == 0);
		CHECK_EQ_U(c.plen, plen);
		/* the base keeps exactly plen one bits */
		unsigned ones = 0;

		for (int i = 0; i < 16; i++)
			for (int b = 0; b < 8; b++)
				ones += (c.base.a[i] >> b) & 1;
		CHECK_EQ_U(ones, plen);
		CHECK(addr_cidr_contains(&c, &all_ones));
		snprintf(text, sizeof text, "%s/%u", addr_format(&c.base, buf), plen);
		CHECK(addr_cidr_parse(text, &back) == 0);
		CHECK(addr_eq(&back.base, &c.base) && back.plen == c.plen);
	}
	for (unsigned plen = 0; plen <= 32; plen++) {
		struct sw_cidr c;
		struct sw_addr a;

		snprintf(text, sizeof text, "255.255.255.255/%u", plen);
		CHECK(addr_cidr_parse(text, &c) == 0);
		CHECK_EQ_U(c.plen, plen + 96);
		CHECK(addr_is_v4(&c.base));
		/* the first address past the block is outside, the last inside */
		CHECK(addr_parse("255.255.255.255", &a) == 0 && addr_cidr_contains(&c, &a));
		if (plen > 0) {
			CHECK(addr_parse("0.0.0.0", &a) == 0);
			CHECK(!addr_cidr_contains(&c, &a));
		}
	}
}

/*
 * addr_cmp/addr_eq compare 64-bit halves instead of calling memcmp: they must
 * order and match exactly as memcmp does, including addresses that differ
 * only in one byte of either half and in the high bit of a byte.
 */
static void test_compare_like_memcmp(void)
{
	uint64_t rng = 0x243f6a8885a308d3ULL;
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		struct sw_addr a, b;
		for (int j = 0; j < 16; j++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			a.a[j] = (uint8_t)(rng >> 56);
		}
		b = a;
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		switch ((rng >> 40) % 4) {
		case 0: /* equal */
			break;
		case 1: /* one byte differs, sometimes only in its top bit */
			b.a[(rng >> 20) % 16] ^=
			    (rng >> 30) & 1 ? 0x80 : (uint8_t)(1 + (rng >> 8) % 255);
			break;
		default: /* unrelated */
			for (int j = 0; j < 16; j++)
				b.a[j] = (uint8_t)(rng >> (j % 8 * 8));
			break;
		}
		int m = memcmp(a.a, b.a, 16);
		m = (m > 0) - (m < 0);
		if (addr_cmp(&a, &b) != m || addr_cmp(&b, &a) != -m || addr_eq(&a, &b) != (m == 0))
			bad++;
	}
	CHECK_EQ_U(bad, 0);
	/* the inline IPv4-mapped builder gives the RFC 4291 2.5.5.2 bytes */
	static const uint8_t v4[4] = {198, 18, 0, 1};
	static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
	struct sw_addr x, y;
	memset(&x, 0x77, sizeof x);
	addr_set_v4(&x, v4);
	CHECK(memcmp(x.a, want, 16) == 0);
	addr_from_v4(&y, v4);
	CHECK(addr_eq(&x, &y));
	CHECK(addr_is_v4(&x));
}

/* The dotted quad addr_format writes by hand is inet_ntop's, for every byte value in every
 * position (each value 0..255 in each of the four places, the others varied) and for a
 * million addresses drawn from a fixed generator. */
static void test_format_v4_like_inet_ntop(void)
{
	char mine[ADDR_TEXT_MAX], theirs[INET_ADDRSTRLEN];
	struct sw_addr a;
	unsigned bad = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned i = 0; i < 256 * 4 + 1000000; i++) {
		uint8_t b[4];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b, &x, 4);
		if (i < 256 * 4)
			b[i / 256] = (uint8_t)(i % 256);
		addr_from_v4(&a, b);
		addr_format(&a, mine);
		if (inet_ntop(AF_INET, b, theirs, sizeof theirs) == NULL ||
		    strcmp(mine, theirs) != 0)
			bad++;
	}
	CHECK_EQ_U(bad, 0);
}

int main(void)
{
	test_compare_like_memcmp();
	test_parse_format();
	test_families();
	test_cidr();
	test_cidr_round_trip();
	test_format_v4_like_inet_ntop();
	CHECK_DONE();
}
