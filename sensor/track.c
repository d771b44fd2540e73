/* track.c — the generic parts of per-rule tracking state: distinct estimates, samples, windows. */
#include "scanwatch/track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/bigmem.h"

/* A fixed 64-to-32-bit mix of an address (and a salt): murmur3's finaliser over both halves. */
static inline uint32_t mix(const struct sw_addr *a, uint64_t salt)
{
	uint64_t x, y;
	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	uint64_t h = x * 0x9e3779b97f4a7c15ULL ^ (y + salt);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static inline uint32_t mix32(uint32_t v)
{
	v ^= v >> 16;
	v *= 0x85ebca6bU;
	v ^= v >> 13;
	v *= 0xc2b2ae35U;
	v ^= v >> 16;
	return v;
}

/* An IPv4-mapped address (::ffff:0:0/96), as addr.h stores IPv4. */
static inline bool is_v4(const struct sw_addr *a)
{
	static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->a, v4_prefix, sizeof v4_prefix) == 0;
}

/* A host's key in the target (or source) sets: an IPv4 address is its own key,
 * so IPv4 counts are exact; an IPv6 address is hashed (see struct track_exact). */
static inline uint32_t host_key(const struct sw_addr *a)
{
	if (is_v4(a)) {
		uint32_t v;
		memcpy(&v, a->a + 12, 4);
		return v;
	}
	return mix(a, 0x7a11);
}

/* A set's block: an exact set in 128 bytes that turns into a bitmap over the same bytes. */
#define DSET_BYTES (DSET_EXACT * 4)
#define DSET_BITS  (DSET_BYTES * 8)
#define DSET_HLL   64
_Static_assert(DSET_EXACT_PORTS * 2 == DSET_BYTES, "ports and hashes share the exact bytes");
struct dset_big {
	union {
		uint32_t h[DSET_EXACT];
		uint16_t port[DSET_EXACT_PORTS];
		uint64_t bits[DSET_BITS / 64];
	} u;
	uint16_t n;     /* members (exact) or bits set (bitmap) */
	uint8_t bitmap; /* 1 once converted */
	/* HyperLogLog registers, filled from the bitmap's conversion on: they take over the
	 * estimate once the bitmap is 70% full, where linear counting would saturate (about
	 * 7000 for 1024 bits). */
	uint8_t hll[DSET_HLL];
	uint32_t cached; /* last estimate (bitmap mode), 0: none */
	uint16_t adds;   /* additions since */
	uint64_t filt;   /* exact mode: one bit per member's hash, so a new value skips the scan */
};

void *(*dset_block_calloc)(size_t n, size_t size) = calloc;

/* glibc's chunk for an allocation of size bytes: the size plus its 8-byte header, rounded
 * up to 16 */
static size_t chunk_bytes(size_t size)
{
	return (size + 8 + 15) & ~(size_t)15;
}

size_t dset_block_bytes(void)
{
	return chunk_bytes(sizeof(struct dset_big));
}

size_t track_entry_reserve(void)
{
	return sizeof(struct track_entry) + 3 * dset_block_bytes() +
	       chunk_bytes(sizeof(struct track_samples));
}

static void hll_add(struct dset_big *s, uint32_t v)
{
	uint32_t h = mix32(v * 0x9e3779b1u + 0x7f4a7c15u);
	uint32_t idx = h >> 26;               /* 6 bits: 64 registers */
	uint32_t rest = (h << 6) | (1u << 5); /* guard bit caps the rank at 27 */
	uint8_t rank = (uint8_t)(__builtin_clz(rest) + 1);
	if (rank > s->hll[idx])
		s->hll[idx] = rank;
}

static uint64_t hll_estimate(const struct dset_big *s)
{
	static double inv_pow2[33];
	if (inv_pow2[0] == 0)
		for (int r = 0; r <= 32; r++)
			inv_pow2[r] = ldexp(1.0, -r);
	double sum = 0;
	for (unsigned i = 0; i < DSET_HLL; i++)
		sum += inv_pow2[s->hll[i] & 31];
	double m = DSET_HLL;
	return (uint64_t)(0.709 * m * m / sum + 0.5); /* alpha_64 = 0.709 */
}

/* Sets bit i of a linear-counting bitmap; true (and *n counted) when it was clear. */
static inline bool bit_set(uint64_t *bits, uint16_t *n, uint32_t i)
{
	uint64_t m = 1ULL << (i & 63);
	if (bits[i >> 6] & m)
		return false;
	bits[i >> 6] |= m;
	(*n)++;
	return true;
}

static bool bit_add(struct dset_big *s, uint32_t v)
{
	hll_add(s, v);
	if (s->adds < UINT16_MAX)
		s->adds++;
	return bit_set(s->u.bits, &s->n, mix32(v) & (DSET_BITS - 1));
}

static bool big_has(const struct dset_big *s, bool is_port, uint32_t v)
{
	if (s->bitmap) {
		uint32_t i = mix32(v) & (DSET_BITS - 1);
		return (s->u.bits[i >> 6] >> (i & 63)) & 1;
	}
	if (!(s->filt >> (mix32(v) & 63) & 1))
		return false; /* most additions during a scan are new: no scan of the members */
	for (unsigned i = 0; i < s->n; i++)
		if (is_port ? s->u.port[i] == (uint16_t)v : s->u.h[i] == v)
			return true;
	return false;
}

static bool big_add(struct dset_big *s, bool is_port, uint32_t v)
{
	if (s->bitmap)
		return bit_add(s, v);
	if (big_has(s, is_port, v))
		return false;
	unsigned cap = is_port ? DSET_EXACT_PORTS : DSET_EXACT;
	if (s->n < cap) {
		if (is_port)
			s->u.port[s->n++] = (uint16_t)v;
		else
			s->u.h[s->n++] = v;
		s->filt |= 1ULL << (mix32(v) & 63);
		return true;
	}
	/* full: rehash the members into a bitmap over the same bytes */
	uint32_t old[DSET_EXACT_PORTS];
	unsigned n = s->n;
	for (unsigned i = 0; i < n; i++)
		old[i] = is_port ? s->u.port[i] : s->u.h[i];
	memset(&s->u, 0, sizeof s->u);
	memset(s->hll, 0, sizeof s->hll);
	s->bitmap = 1;
	s->n = 0;
	for (unsigned i = 0; i < n; i++)
		bit_add(s, old[i]);
	bit_add(s, v);
	return true; /* v was not among the exact members */
}

static uint64_t big_count(struct dset_big *s)
{
	if (!s->bitmap)
		return s->n;
	/* estimates cost logarithms: recomputed only after DSET_RECOUNT additions */
	if (s->cached && s->adds < DSET_RECOUNT)
		return s->cached;
	uint64_t est = track_estimate(s->n, DSET_BITS);
	if (s->n * 10 >= DSET_BITS * 7) {
		uint64_t hll = hll_estimate(s);
		est = hll > est ? hll : est;
	}
	s->cached = est > UINT32_MAX ? UINT32_MAX : (uint32_t)est;
	s->adds = 0;
	return s->cached;
}

/* The inline set's i-th member. */
static inline uint32_t inline_at(const struct dset *s, unsigned i)
{
	return s->is_port ? s->u.port[i] : s->u.h[i];
}

/* DSET_SMALLBITS: 128-bit linear counting over the inline bytes. */
static bool small_bit_add(struct dset *s, uint32_t v)
{
	return bit_set(s->u.bits, &s->n, mix32(v) & 127);
}

bool dset_has(const struct dset *s, uint32_t v)
{
	switch (s->mode) {
	case DSET_BLOCK:
		return big_has(s->u.big, s->is_port, v);
	case DSET_SMALLBITS: {
		uint32_t i = mix32(v) & 127;
		return (s->u.bits[i >> 6] >> (i & 63)) & 1;
	}
	default:
		for (unsigned i = 0; i < s->n; i++)
			if (inline_at(s, i) == (s->is_port ? (uint16_t)v : v))
				return true;
		return false;
	}
}

bool dset_add(struct dset *s, uint32_t v)
{
	if (s->mode == DSET_BLOCK)
		return big_add(s->u.big, s->is_port, v);
	if (s->mode == DSET_SMALLBITS)
		return small_bit_add(s, v);
	if (dset_has(s, v))
		return false;
	if (s->n < (s->is_port ? DSET_INLINE_PORTS : DSET_INLINE)) {
		if (s->is_port)
			s->u.port[s->n++] = (uint16_t)v;
		else
			s->u.h[s->n++] = v;
		return true;
	}
	/* full: the members move to a block (exact, as they were inline), or, if the heap
	 * refuses it, into a 128-bit bitmap over the inline bytes */
	uint32_t old[DSET_INLINE_PORTS];
	unsigned n = s->n;
	for (unsigned i = 0; i < n; i++)
		old[i] = inline_at(s, i);
	struct dset_big *big = dset_block_calloc(1, sizeof *big);
	s->n = 0;
	if (big) {
		for (unsigned i = 0; i < n; i++)
			big_add(big, s->is_port, old[i]);
		s->u.big = big;
		s->mode = DSET_BLOCK;
		return big_add(big, s->is_port, v);
	}
	memset(&s->u, 0, sizeof s->u);
	s->mode = DSET_SMALLBITS;
	for (unsigned i = 0; i < n; i++)
		small_bit_add(s, old[i]);
	small_bit_add(s, v);
	return true;
}

uint64_t dset_count(const struct dset *s)
{
	switch (s->mode) {
	case DSET_BLOCK:
		return big_count(s->u.big); /* the estimate's cache is not part of the value */
	case DSET_SMALLBITS:
		return track_estimate(s->n, 128);
	default:
		return s->n;
	}
}

void dset_clear(struct dset *s, bool is_port)
{
	if (s->mode == DSET_BLOCK)
		free(s->u.big);
	memset(s, 0, sizeof *s);
	s->is_port = is_port;
}

/* The set's block when its exact members are at the block's cap, the moment a side set
 * takes them over (struct track_exact); NULL otherwise. */
static const struct dset_big *exact_full(const struct dset *s)
{
	if (s->mode != DSET_BLOCK || s->u.big->bitmap)
		return NULL;
	return s->u.big->n == (s->is_port ? DSET_EXACT_PORTS : DSET_EXACT) ? s->u.big : NULL;
}

uint64_t track_estimate(uint32_t set, uint32_t m)
{
	if (set == 0)
		return 0;
	if (set >= m) /* saturated: the estimate's ceiling, m ln m */
		return (uint64_t)((double)m * log((double)m));
	/* Linear counting: n = -m ln(V), V the fraction of zero bits (Whang et al. 1990). */
	double est = -(double)m * log((double)(m - set) / (double)m);
	uint64_t n = (uint64_t)(est + 0.5);
	return n < set ? set : n;
}

/* Adds to the entry's pair set; a set the heap refused a block is an estimate. */
static bool pair_add(struct track_entry *e, uint32_t v)
{
	bool added = dset_add(&e->pairs, v);
	if (e->pairs.mode == DSET_SMALLBITS)
		e->inexact = 1;
	return added;
}

bool track_pair_add(struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	return pair_add(e, mix(target, (uint64_t)port << 17 | 0x5a5a));
}

bool track_failed_add(struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	return pair_add(e, mix(target, (uint64_t)port << 17 | 0x6b6b));
}

bool track_answered_add(struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	/* the same set as the failed pairs, under another salt: one set, two memberships */
	return pair_add(e, mix(target, (uint64_t)port << 17 | 0x3c3c));
}

bool track_excused_add(struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	return pair_add(e, mix(target, (uint64_t)port << 17 | 0x7e5c));
}

bool track_excused_has(const struct track_entry *e, const struct sw_addr *target, uint16_t port)
{
	return dset_has(&e->pairs, mix(target, (uint64_t)port << 17 | 0x7e5c));
}

/* A host fact's salt: bit 16 set, which no pair salt (port << 17 | 16 bits) has. */
static uint64_t host_salt(enum track_host_fact f)
{
	return 1u << 16 | (uint64_t)f << 8 | 0x4d;
}

bool track_host_add(struct track_entry *e, const struct sw_addr *host, enum track_host_fact f)
{
	return pair_add(e, mix(host, host_salt(f)));
}

bool track_host_has(const struct track_entry *e, const struct sw_addr *host, enum track_host_fact f)
{
	return dset_has(&e->pairs, mix(host, host_salt(f)));
}

bool track_host_excuses(const struct track_entry *mem, struct track_entry *e,
                        const struct sw_addr *host, bool silent)
{
	if (track_host_has(mem, host, TRACK_HOST_ANSWERED))
		return track_host_add(e, host, TRACK_HOST_EXCUSED_1) ||
		       track_host_add(e, host, TRACK_HOST_EXCUSED_2);
	return silent && track_host_has(mem, host, TRACK_HOST_DOWN) &&
	       !track_host_has(mem, host, TRACK_HOST_ALIVE);
}

bool track_pairs_worn(const struct track_entry *e)
{
	const struct dset *s = &e->pairs;
	if (s->mode == DSET_SMALLBITS)
		return s->n * 4 >= 128;
	return s->mode == DSET_BLOCK && s->u.big->bitmap && s->u.big->n * 4 >= DSET_BITS;
}

/* ---- exact side sets (struct track_exact) ---- */

static bool budget_take(struct track_budget *b, size_t bytes)
{
	if (!b || b->used + bytes > b->limit)
		return false;
	b->used += bytes;
	return true;
}

static size_t keys_bytes(uint32_t cap)
{
	return (size_t)cap * sizeof(uint32_t);
}

/* The side record itself, made on the first side set an entry needs. */
static struct track_exact *exact_of(struct track_entry *e, struct track_budget *b)
{
	if (e->exact)
		return e->exact;
	if (!budget_take(b, sizeof *e->exact))
		return NULL;
	e->exact = calloc(1, sizeof *e->exact);
	if (!e->exact) {
		b->used -= sizeof *e->exact;
		return NULL;
	}
	return e->exact;
}

/*
 * Where a key's probe starts: SipHash-1-3 of the key under the engine's key, as every other
 * table the wire fills (STYLE.md item 6). The keys come off the wire (an IPv4 source is its
 * own key; an IPv6 one hashes to its key with the fixed mix() above, which anyone can invert),
 * and the sets are open-addressed with linear probing, so a slot an attacker could compute
 * is a probe chain they could build. With the fixed mix32 as here before, 30,000 forged IPv6
 * sources chosen to share one chain in a SYN flood's exact source set (6 SYNs each, 180,000
 * packets) took 3.84 s to replay against 0.35 s for 30,000 ordinary ones: every lookup walked
 * the whole chain, so such a flood needed only about 47,000 packets/s to hold the sensor
 * (quadratic: twice the sources, four times the work). Keyed, a chain is as long as chance
 * makes it.
 */
static inline uint32_t keys_slot(const uint8_t *sipkey, uint32_t stored, uint32_t cap)
{
	return (uint32_t)hash_siphash13(sipkey, &stored, sizeof stored) & (cap - 1);
}

/* Slot of key (stored as key+1 so that 0 marks an empty slot; key 0xFFFFFFFF is
 * stored as 0 and kept apart in the caller: see keys_add). */
static bool keys_insert(uint32_t *tab, uint32_t cap, uint32_t stored, const uint8_t *sipkey)
{
	uint32_t i = keys_slot(sipkey, stored, cap);
	while (tab[i]) {
		if (tab[i] == stored)
			return false;
		i = (i + 1) & (cap - 1);
	}
	tab[i] = stored;
	return true;
}

static bool keys_has(const struct track_keys *k, uint32_t key)
{
	uint32_t stored = key + 1u;
	if (stored == 0)
		return k->n && k->tab[k->cap] != 0; /* the one key that wraps: see keys_add */
	uint32_t i = keys_slot(k->sipkey, stored, k->cap);
	while (k->tab[i]) {
		if (k->tab[i] == stored)
			return true;
		i = (i + 1) & (k->cap - 1);
	}
	return false;
}

/*
 * Adds a key: 1 when new, 0 when present, -1 when growing was refused (the caller then
 * gives the set up). The table has cap slots plus one after them for the key
 * 0xFFFFFFFF, whose key+1 wraps to the empty mark.
 */
static int keys_add(struct track_keys *k, uint32_t key, struct track_budget *b)
{
	uint32_t stored = key + 1u;
	if (stored == 0) {
		if (k->tab[k->cap])
			return 0;
		k->tab[k->cap] = 1;
		k->n++;
		return 1;
	}
	if ((k->n + 1) * 2 > k->cap) {
		uint32_t ncap = k->cap * 2;
		if (!budget_take(b, keys_bytes(ncap + 1)))
			return -1;
		uint32_t *n = bigmem_calloc((size_t)ncap + 1, sizeof *n);
		if (!n) {
			b->used -= keys_bytes(ncap + 1);
			return -1;
		}
		for (uint32_t i = 0; i < k->cap; i++)
			if (k->tab[i])
				keys_insert(n, ncap, k->tab[i], k->sipkey);
		n[ncap] = k->tab[k->cap];
		free(k->tab);
		b->used -= keys_bytes(k->cap + 1);
		k->tab = n;
		k->cap = ncap;
	}
	if (!keys_insert(k->tab, k->cap, stored, k->sipkey))
		return 0;
	k->n++;
	return 1;
}

/* An empty set of cap slots (a power of two), paid for from b. */
static bool keys_start(struct track_keys *k, uint32_t cap, struct track_budget *b)
{
	if (!budget_take(b, keys_bytes(cap + 1)))
		return false;
	k->tab = calloc((size_t)cap + 1, sizeof *k->tab);
	if (!k->tab) {
		b->used -= keys_bytes(cap + 1);
		return false;
	}
	k->cap = cap;
	k->n = 0;
	k->sipkey = b->key;
	b->sets++;
	return true;
}

/* Frees a set, giving its bytes back to b. */
static void keys_drop(struct track_keys *k, struct track_budget *b)
{
	if (!k->tab)
		return;
	if (b)
		b->used -= keys_bytes(k->cap + 1) < b->used ? keys_bytes(k->cap + 1) : b->used;
	free(k->tab);
	memset(k, 0, sizeof *k);
}

/* The inline host set is full and key is new: move its members to a side set. */
static bool hosts_start(struct track_entry *e, struct track_budget *b)
{
	struct track_exact *x = exact_of(e, b);
	/* 2x the members at the next growth: load stays <= 1/2 */
	if (!x || !keys_start(&x->hosts, 128, b))
		return false;
	const struct dset_big *full = exact_full(&e->targets);
	for (unsigned i = 0; full && i < full->n; i++)
		keys_add(&x->hosts, full->u.h[i], b); /* 32 members into 128 slots: no growth */
	return true;
}

static void spread_swept(struct track_entry *e, struct track_budget *b)
{
	e->spread |= TRACK_SPREAD_SWEPT;
	if (e->exact)
		keys_drop(&e->exact->spread, b); /* nothing reads the memberships any more */
}

/* Counts a key in the spread's side set once (k1) and twice (k2): 1 the first time, 0 the
 * second, -1 the third or when the budget refuses. */
static int twice(struct track_exact *x, uint32_t k1, uint32_t k2, struct track_budget *b)
{
	int first = keys_add(&x->spread, k1, b);
	if (first != 0)
		return first;
	return keys_add(&x->spread, k2, b) == 1 ? 0 : -1;
}

void track_spread_note(struct track_entry *e, const struct sw_event *ev, struct track_budget *b)
{
	if ((e->spread & TRACK_SPREAD_SWEPT) ||
	    (ev->outcome != OUT_REFUSED && ev->outcome != OUT_UNREACH &&
	     ev->outcome != OUT_TIMEOUT))
		return;
	if (ev->crafted) { /* no client builds its probes by hand */
		spread_swept(e, b);
		return;
	}
	const struct sw_addr *t = &ev->dst;
	struct track_exact *x = exact_of(e, b);
	if (!x || (!x->spread.tab && !keys_start(&x->spread, 16, b))) {
		spread_swept(e, b);
		return;
	}
	int pair = keys_add(&x->spread, mix(t, (uint64_t)ev->port << 17 | 0x4e4e), b);
	if (pair == 0)
		return; /* that service failed before */
	/* a third failed host in one network (the /24 of an IPv4 address, the /64 of an IPv6
	 * one: servers come in pairs, a resolver's or a map resolver's, a sweep goes on), or
	 * more than two failed ports a host (a peer moves to another port, a scan goes on) */
	bool v4 = is_v4(t);
	struct sw_addr net = *t;
	memset(net.a + (v4 ? 15 : 8), 0, v4 ? 1 : 8);
	int host = pair < 0 ? -1 : keys_add(&x->spread, mix(t, 0x7e7e), b);
	x->spread_pairs++;
	if (host == 1) {
		x->spread_hosts++;
		if (twice(x, mix(&net, 0x1d1d), mix(&net, 0x2e2e), b) < 0)
			host = -1;
	}
	if (host < 0 || x->spread_pairs > 2 * (uint64_t)x->spread_hosts + 2) {
		spread_swept(e, b);
		return;
	}
	/* the /8 of an IPv4 address, the /32 of an IPv6 one, counted exactly: a hash's bits
	 * would merge two of three networks one time in five (QUIC interop servers in 3/8 and
	 * 131/8 once made one) */
	struct sw_addr top = *t;
	memset(top.a + (v4 ? 13 : 4), 0, v4 ? 3 : 12);
	int nets = keys_add(&x->spread, mix(&top, 0x3f3f), b);
	if (nets < 0) {
		spread_swept(e, b);
		return;
	}
	if (nets == 1 && e->spread < TRACK_SPREAD_NETS) /* not swept: that returned above */
		e->spread++;
}

static bool ports_start(struct track_entry *e, struct track_budget *b)
{
	struct track_exact *x = exact_of(e, b);
	if (!x || !budget_take(b, TRACK_EXACT_PORT_BYTES))
		return false;
	x->ports = calloc(1, TRACK_EXACT_PORT_BYTES);
	if (!x->ports) {
		b->used -= TRACK_EXACT_PORT_BYTES;
		return false;
	}
	const struct dset_big *full = exact_full(&e->ports);
	for (unsigned i = 0; full && i < full->n; i++)
		x->ports[full->u.port[i] >> 6] |= 1ULL << (full->u.port[i] & 63);
	x->nports = full ? full->n : 0;
	b->sets++;
	return true;
}

static void count_host(struct track_entry *e, uint32_t key, struct track_budget *b)
{
	if (!(e->exact && e->exact->hosts.tab) && exact_full(&e->targets) && !e->inexact &&
	    !dset_has(&e->targets, key) && !hosts_start(e, b)) {
		e->inexact = 1;
		if (b)
			b->denied++;
	}
	struct track_exact *x = e->exact;
	if (x && x->hosts.tab && keys_add(&x->hosts, key, b) < 0) {
		e->inexact = 1;
		if (b)
			b->denied++;
		keys_drop(&x->hosts, b); /* the estimate takes over: its memory is no use now */
	}
	dset_add(&e->targets, key); /* kept too: the estimate if the side set must go */
	if (e->targets.mode == DSET_SMALLBITS)
		e->inexact = 1;
}

static void count_port(struct track_entry *e, uint16_t port, struct track_budget *b)
{
	struct track_exact *x = e->exact;
	if (x && x->ports) {
		uint64_t m = 1ULL << (port & 63);
		if (!(x->ports[port >> 6] & m)) {
			x->ports[port >> 6] |= m;
			x->nports++;
		}
		return; /* the inline set is a bitmap by now and nothing reads it */
	}
	if (exact_full(&e->ports) && !e->inexact && !dset_has(&e->ports, port) &&
	    !ports_start(e, b)) {
		e->inexact = 1;
		if (b)
			b->denied++;
	}
	if (e->exact && e->exact->ports) {
		count_port(e, port, b);
		return;
	}
	dset_add(&e->ports, port);
	if (e->ports.mode == DSET_SMALLBITS)
		e->inexact = 1;
}

void track_release(struct track_entry *e, struct track_budget *b)
{
	free(e->more_samples);
	e->more_samples = NULL;
	dset_clear(&e->targets, false);
	dset_clear(&e->pairs, false);
	dset_clear(&e->ports, true);
	struct track_exact *x = e->exact;
	if (!x)
		return;
	keys_drop(&x->hosts, b);
	keys_drop(&x->spread, b);
	size_t bytes = sizeof *x + (x->ports ? TRACK_EXACT_PORT_BYTES : 0);
	free(x->ports);
	free(x);
	e->exact = NULL;
	if (b)
		b->used -= bytes < b->used ? bytes : b->used;
}

/* Estimates never exceed what was observed. */
static uint64_t bounded(uint64_t est, uint64_t bound)
{
	return est < bound ? est : bound;
}

uint64_t track_distinct_targets(const struct track_entry *e)
{
	if (e->exact && e->exact->hosts.tab)
		return e->exact->hosts.n;
	return bounded(dset_count(&e->targets), e->first_contacts);
}

uint64_t track_distinct_ports(const struct track_entry *e)
{
	if (e->exact && e->exact->ports)
		return e->exact->nports;
	return bounded(bounded(dset_count(&e->ports), e->first_contacts), 65536);
}

uint64_t track_distinct_sources(const struct track_entry *e)
{
	return track_distinct_targets(e);
}

uint32_t track_hosts_longest_run(const struct track_entry *e)
{
	const struct track_keys *k = e->exact ? &e->exact->hosts : NULL;
	if (!k || !k->tab)
		return 0;
	uint32_t longest = 0, run = 0;
	/* twice round, so a run that wraps past the end is counted whole */
	for (uint64_t i = 0; i < 2 * (uint64_t)k->cap; i++) {
		run = k->tab[i & (k->cap - 1)] ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest < k->cap ? longest : k->cap;
}

bool track_has_addr(const struct track_entry *e, const struct sw_addr *a)
{
	if (e->exact && e->exact->hosts.tab)
		return keys_has(&e->exact->hosts, host_key(a));
	return dset_has(&e->targets, host_key(a));
}

/* The entry's samples block, made when first needed (NULL: the heap refused it; the
 * samples stop where they are). */
static struct track_samples *more_samples(struct track_entry *e)
{
	if (!e->more_samples)
		e->more_samples = dset_block_calloc(1, sizeof *e->more_samples);
	return e->more_samples;
}

static void add_sample_port(struct track_entry *e, uint16_t port)
{
	unsigned n = e->n_ports;
	if (n >= TRACK_SAMPLE_PORTS) /* full: the samples are kept, nothing to compare */
		return;
	for (unsigned i = 0; i < n; i++)
		if (track_sample_port(e, i) == port)
			return;
	if (n < TRACK_SAMPLE_PORTS_INLINE) {
		e->sample_ports[n] = port;
	} else {
		struct track_samples *m = more_samples(e);
		if (!m)
			return;
		m->ports[n - TRACK_SAMPLE_PORTS_INLINE] = port;
	}
	e->n_ports = (uint8_t)(n + 1);
}

static void add_sample_addr(struct track_entry *e, uint8_t *n, const struct sw_addr *a)
{
	if (*n >= TRACK_SAMPLE_ADDRS) /* full: the samples are kept, nothing to compare */
		return;
	for (unsigned i = 0; i < *n; i++)
		if (addr_eq(track_sample_addr(e, i), a))
			return;
	if (*n == 0) {
		e->sample_addr = *a;
	} else {
		struct track_samples *m = more_samples(e);
		if (!m)
			return;
		m->addrs[*n - 1] = *a;
	}
	(*n)++;
}

void track_note_probe(struct track_entry *e, const struct sw_event *ev, bool group_by_dst,
                      struct track_budget *b)
{
	if (e->probes == 0) {
		e->ports.is_port = 1;
		e->first_ts = ev->ts_us;
		e->target = ev->dst;
		e->proto = ev->proto;
	}
	e->probes++;
	e->last_ts = ev->ts_us;
	e->pclass_seen |= 1u << ev->pclass;
	if (ev->crafted)
		e->crafted++;
	if (ev->proto != e->proto)
		e->mixed_proto = 1;
	if (!e->multi_target && !addr_eq(&e->target, &ev->dst))
		e->multi_target = 1;
	if (ev->repeat)
		return;
	e->first_contacts++;
	/* grouped by target, the target is the key: the set counts sources */
	count_host(e, host_key(group_by_dst ? &ev->src : &ev->dst), b);
	count_port(e, ev->port, b);
	add_sample_port(e, ev->port);
	if (group_by_dst) {
		e->n_targets = 1; /* the key: every probe's target */
		add_sample_addr(e, &e->n_sources, &ev->src);
	} else {
		add_sample_addr(e, &e->n_targets, &ev->dst);
	}
}

void track_reset_window(struct track_entry *e, uint64_t ts, struct track_budget *b, bool keep_pairs)
{
	track_reset_window_keep(e, ts, b, keep_pairs, 0);
}

void track_reset_window_keep(struct track_entry *e, uint64_t ts, struct track_budget *b,
                             bool keep_pairs, size_t keep_state)
{
	struct dset pairs = e->pairs;
	bool keep = keep_pairs && !track_pairs_worn(e);
	if (keep)
		memset(&e->pairs, 0, sizeof e->pairs); /* not freed below: it stays */
	track_release(e, b);
	e->inexact = 0;
	if (keep) {
		e->pairs = pairs;
		e->inexact = pairs.mode == DSET_SMALLBITS;
	}
	e->win_start = ts;
	e->first_ts = ts;
	e->probes = 0;
	e->score = 0;
	if (keep_state < sizeof e->det)
		memset(e->det.bytes + keep_state, 0, sizeof e->det - keep_state);
	memset(e->outcomes, 0, sizeof e->outcomes);
	e->pclass_seen = 0;
	e->crafted = 0;
	e->multi_target = 0;
	e->mixed_proto = 0;
	e->n_ports = e->n_targets = e->n_sources = 0;
	e->first_contacts = 0;
	memset(&e->attr, 0, sizeof e->attr);
	e->spread = 0;
}

void track_pace_probe(struct track_pace *p, const struct track_entry *e, uint64_t ts)
{
	if (e->probes && ts >= e->last_ts) {
		uint64_t gap = ts - e->last_ts;
		if (p->answer_at) {
			uint64_t answered = e->last_ts + p->answer_at - 1;
			if (ts >= answered && ts - answered <= TRACK_PACE_AT_ONCE_US) {
				if (p->waited < UINT16_MAX)
					p->waited++;
			} else if (p->lagged < UINT8_MAX) {
				p->lagged++;
			}
		} else if (gap < TRACK_PACE_TIMEOUT_US && p->hurried < UINT8_MAX) {
			p->hurried++;
		}
	}
	p->answer_at = 0;
}

void track_pace_answer(struct track_pace *p, const struct track_entry *e, uint64_t ts)
{
	if (!e->probes || p->answer_at || ts < e->last_ts)
		return;
	uint64_t after = ts - e->last_ts;
	p->answer_at = after >= UINT32_MAX ? UINT32_MAX : (uint32_t)after + 1;
}

bool track_pace_waits(const struct track_pace *p, uint64_t answered)
{
	return p->hurried == 0 && p->waited >= 2 && 2 * (uint64_t)p->waited >= answered &&
	       4 * (uint32_t)p->lagged <= p->waited;
}
