/* test_strbuf.c — strbuf appends exactly what snprintf would, at every buffer size. */
#include <stdio.h>

#include "check.h"
#include "scanwatch/strbuf.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The same pieces through snprintf (as the code did) and through strbuf. */
static void compare(size_t cap, const char *a, uint64_t x, const char *b, uint64_t y)
{
	char want[64], got[64];
	memset(want, 'X', sizeof want);
	memset(got, 'X', sizeof got);
	size_t n = 0;
	if (cap) {
		n += (size_t)snprintf(want, cap, "%s", a);
		if (n < cap)
			n += (size_t)snprintf(want + n, cap - n, "%llu", (unsigned long long)x);
		if (n < cap)
			n +=
			    (size_t)snprintf(want + n, cap - n, "%s%llu", b, (unsigned long long)y);
	}
	struct strbuf s;
	strbuf_init(&s, got, cap);
	strbuf_puts(&s, a);
	strbuf_u64(&s, x);
	strbuf_puts(&s, b);
	strbuf_u64(&s, y);
	CHECK(memcmp(want, got, sizeof want) == 0); /* nothing written past cap either */
	if (cap) {
		CHECK_EQ_U(s.n, strlen(got));
		CHECK(s.n < cap);
		CHECK_EQ_U(strbuf_full(&s), n + 1 >= cap);
	}
}

int main(void)
{
	static const uint64_t edge[] = {
	    0, 1, 9, 10, 99, 100, 4294967295ULL, 18446744073709551615ULL};
	static const char *const words[] = {"", "a", "; tool ", " probes to ", "vertical: "};
	for (size_t cap = 0; cap <= 48; cap++)
		for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
			for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
				compare(cap, words[w], edge[i], words[(w + 1) % 5],
				        edge[(i + 3) % 8]);
	for (int k = 0; k < 20000; k++) {
		uint64_t x = next() >> (next() % 64), y = next() >> (next() % 64);
		compare(next() % 49, words[next() % 5], x, words[next() % 5], y);
	}
	CHECK_DONE();
}
