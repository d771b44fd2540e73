/* rng.c — deterministic randomness for scanprobe (xoshiro256**, splitmix64) and probe order. */
#include "scanwatch/probe.h"

/* splitmix64 (Steele, Lea, Flood 2014): seeds xoshiro and mixes cookies. */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman, Vigna): fast, and its output is fixed by the seed on every platform. */
uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Rejection sampling: no modulo bias even for large n. */
	uint64_t lim = UINT64_MAX - UINT64_MAX % n;
	uint64_t v;
	do
		v = rng_next(r);
	while (v >= lim);
	return v % n;
}

uint64_t rng_mix(uint64_t key, uint64_t a, uint64_t b)
{
	uint64_t x = key ^ (a * 0xd6e8feb86659fd93ULL);
	uint64_t h = splitmix(&x);
	x = h ^ (b * 0x9e3779b97f4a7c15ULL);
	return splitmix(&x);
}

/*
 * A 4-round balanced Feistel network over 2*half bits is a bijection (Luby-Rackoff), keyed by
 * the seed; counting i = 0, 1, 2 ... through it and skipping outputs >= n (cycle walking, at
 * most 4 steps per output on average since 2^(2*half) < 4n) yields a random permutation of
 * [0, n) without storing it, in the spirit of zmap's cyclic-group walk.
 */
static uint64_t feistel(const struct rng_perm *p, uint64_t x)
{
	unsigned half = p->half;
	uint64_t hmask = (half >= 64) ? UINT64_MAX : ((1ULL << half) - 1);
	uint64_t l = (x >> half) & hmask, r = x & hmask;
	for (uint64_t round = 0; round < 4; round++) {
		uint64_t f = rng_mix(p->key, r, round) & hmask;
		uint64_t t = l ^ f;
		l = r;
		r = t;
	}
	return (l << half) | r;
}

void rng_perm_init(struct rng_perm *p, uint64_t n, struct rng *r, bool identity)
{
	p->n = n;
	p->done = 0;
	p->identity = identity;
	unsigned bits = 0;
	while (bits < 62 && (1ULL << bits) < n)
		bits++;
	unsigned half = (bits + 1) / 2;
	if (half == 0)
		half = 1;
	p->half = half;
	p->key = rng_next(r);
	p->ctr = 0;
}

bool rng_perm_next(struct rng_perm *p, uint64_t *out)
{
	if (p->done >= p->n)
		return false;
	if (p->identity) {
		*out = p->done++;
		return true;
	}
	uint64_t v;
	do
		v = feistel(p, p->ctr++);
	while (v >= p->n);
	p->done++;
	*out = v;
	return true;
}
