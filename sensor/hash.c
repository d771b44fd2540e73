/* hash.c — SipHash and bounded keyed tables with LRU lists, chain caps and eviction counters. */
#include "scanwatch/hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "scanwatch/bigmem.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* memcpy: no alignment assumption; the compiler makes it one load */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

/*
 * SipHash with c compression and d finalisation rounds (the paper's SipHash-c-d).
 * Always inlined so that a call with a constant length (below) unrolls into
 * straight-line code: no loop counters, no tail-byte loop when the length is a
 * multiple of 8, which every table key is.
 */
static inline __attribute__((always_inline)) uint64_t
siphash_cd(const uint8_t key[16], const void *data, size_t len, int c, int d)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t full = len & ~(size_t)7;

	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(in + i);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	for (int r = 0; r < c; r++)
		SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * The lengths the tables hash on every packet get their own straight-line
 * instance (same function, same values; only the loop shape differs):
 * 16 bytes is one address, 32 two addresses, 40 a flow or tracker key.
 */
uint64_t hash_siphash13(const uint8_t key[16], const void *data, size_t len)
{
	switch (len) {
	case 16:
		return siphash_cd(key, data, 16, 1, 3);
	case 32:
		return siphash_cd(key, data, 32, 1, 3);
	case 40:
		return siphash_cd(key, data, 40, 1, 3);
	default:
		return siphash_cd(key, data, len, 1, 3);
	}
}

uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 2, 4);
}

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void hash_make_key(uint8_t key[16], uint64_t seed)
{
	if (seed == 0) {
		size_t got = 0;
		while (got < 16) {
			ssize_t n = getrandom(key + got, 16 - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got == 16)
			return;
		/* No entropy source: fall back to a fixed seed rather than an unkeyed table. */
		seed = 0x5eed5eed5eed5eedULL;
	}
	uint64_t s = seed;
	uint64_t a = splitmix64(&s), b = splitmix64(&s);
	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

struct htab_list {
	uint32_t head, tail;
};

/* Lists a table may have (htab_create's limit) and the words of their "non-empty" bitmap. */
#define HTAB_LISTS_MAX  255
#define HTAB_LIST_WORDS ((HTAB_LISTS_MAX + 64) / 64)

struct htab {
	uint8_t *pool;
	size_t entry_size, key_off, key_len;
	/*
	 * index_of() divides a byte offset by entry_size on every touch and
	 * removal; a 64-bit divide costs tens of cycles. The offset is always an
	 * exact multiple, so it is shifted by entry_size's power of two and
	 * multiplied by the inverse of its odd part modulo 2^64 instead (exact
	 * division, Hacker's Delight 10-16).
	 */
	unsigned size_shift;
	uint64_t size_inv;
	uint32_t capacity; /* usable entries: indices 1..capacity */
	uint32_t *buckets; /* links (below) to the chains' first entries */
	/* Tagged links (see link_make) when the indices fit LINK_INDEX; else plain indices, and
	 * these two say so: idx_mask all ones, untagged 1. */
	uint32_t idx_mask, untagged;
	/*
	 * Buckets in use: a prefix of the array, doubled (each chain split in two
	 * by the next bit of its hashes) whenever the entries outnumber it, up to
	 * max_mask. The array is sized for the cap, but a table that holds a few
	 * thousand entries keeps its lookups in a few cache-resident kilobytes
	 * instead of spreading them over megabytes of mostly empty buckets.
	 */
	uint64_t mask, max_mask;
	uint32_t free_head;
	uint32_t next_fresh; /* first never-used index */
	unsigned nlists;
	struct htab_list *lists;
	/* Bit l set while list l has entries: a full pool's eviction scans only those. */
	uint64_t nonempty[HTAB_LIST_WORDS];
	/* Bit l set for a kept list (htab_keep_list), and the entries on kept lists. */
	uint64_t kept[HTAB_LIST_WORDS];
	uint32_t kept_n;
	uint8_t key[16];
	htab_evict_fn evict;
	void *ctx;
	struct htab_stats st;
};

static inline struct htab_node *node_at(const struct htab *t, uint32_t i)
{
	return (struct htab_node *)(t->pool + (size_t)i * t->entry_size);
}

static inline uint32_t index_of(const struct htab *t, const void *e)
{
	uint64_t off = (uint64_t)((const uint8_t *)e - t->pool);
	return (uint32_t)((off >> t->size_shift) * t->size_inv);
}

/*
 * Chain links. A bucket and an entry's chain field name the next entry; in a table of fewer
 * than 2^24 entries they also carry what a lookup needs to skip it without reading it, so a
 * miss (most lookups of a flood: every forged source is new) costs the bucket's cache line
 * and not one more per entry in the chain:
 *   bits 0-23   the entry's index (HTAB_NONE: the chain ends)
 *   bit  24     the entry has a successor in the chain
 *   bits 25-31  a 7-bit tag of the entry's hash (bits 57-63; the bucket index uses the low
 *               bits), so a lookup reads the entry only when the tags agree (1 in 128 for
 *               another key) or the chain goes on past it.
 * A table too large for 24-bit indices keeps plain indices and reads every entry, as a
 * chained table does. The free list's links (in the chain field of unused entries) are plain
 * indices in both.
 */
#define LINK_INDEX 0x00ffffffu
#define LINK_SUCC  0x01000000u
#define LINK_TAG   0xfe000000u

static inline uint32_t link_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) & LINK_TAG;
}

static inline uint32_t link_idx(const struct htab *t, uint32_t l)
{
	return l & t->idx_mask;
}

/* A link to entry i (hash h), whose own chain field is next. */
static inline uint32_t link_make(const struct htab *t, uint32_t i, uint64_t h, uint32_t next)
{
	if (t->untagged)
		return i;
	return i | link_tag(h) | (next != HTAB_NONE ? LINK_SUCC : 0);
}

/* False when the linked entry surely has another hash (its tag differs). */
static inline bool link_may_match(const struct htab *t, uint32_t l, uint64_t h)
{
	return t->untagged || (l & LINK_TAG) == link_tag(h);
}

/* False when the linked entry is surely the chain's last. */
static inline bool link_goes_on(const struct htab *t, uint32_t l)
{
	return t->untagged || (l & LINK_SUCC);
}

/* The inverse of an odd number modulo 2^64, by Newton's iteration (each step doubles the
 * correct low bits; x = a is right to 3 bits since a*a = 1 mod 8). */
static uint64_t inverse_odd(uint64_t a)
{
	uint64_t x = a;
	for (int i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x;
}

/* Buckets a table starts with (16 KiB of them), before it grows with its entries. */
#define HTAB_BUCKETS_MIN 4096

static size_t bucket_count(size_t max_entries)
{
	size_t n = 16;
	while (n < max_entries)
		n <<= 1;
	return n;
}

struct htab *htab_create(size_t entry_size, size_t key_off, size_t key_len, size_t max_entries,
                         unsigned nlists, const uint8_t sipkey[16], htab_evict_fn evict, void *ctx)
{
	if (max_entries < 1 || max_entries >= UINT32_MAX - 1 || nlists < 1 ||
	    nlists > HTAB_LISTS_MAX || entry_size < sizeof(struct htab_node) ||
	    key_off + key_len > entry_size)
		return NULL;
	struct htab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	size_t nb = bucket_count(max_entries);
	/* calloc, not malloc+memset: pages the table never reaches are never touched, so RSS
	 * grows with use while the cap stays a hard upper bound. */
	t->pool = bigmem_calloc(max_entries + 1, entry_size);
	t->buckets = bigmem_calloc(nb, sizeof(uint32_t));
	t->lists = calloc(nlists, sizeof *t->lists);
	if (!t->pool || !t->buckets || !t->lists)
		goto fail;
	t->entry_size = entry_size;
	t->size_shift = (unsigned)__builtin_ctzll(entry_size);
	t->size_inv = inverse_odd(entry_size >> t->size_shift);
	t->key_off = key_off;
	t->key_len = key_len;
	t->capacity = (uint32_t)max_entries;
	t->untagged = max_entries >= LINK_INDEX;
	t->idx_mask = t->untagged ? UINT32_MAX : LINK_INDEX;
	t->max_mask = nb - 1;
	t->mask = (nb < HTAB_BUCKETS_MIN ? nb : HTAB_BUCKETS_MIN) - 1;
	t->next_fresh = 1;
	t->nlists = nlists;
	memcpy(t->key, sipkey, 16);
	t->evict = evict;
	t->ctx = ctx;
	t->st.capacity = t->capacity;
	return t;
fail:
	htab_destroy(t);
	return NULL;
}

void htab_keep_list(struct htab *t, unsigned list)
{
	if (list < t->nlists && t->st.used == 0)
		t->kept[list / 64] |= 1ULL << (list % 64);
}

void htab_destroy(struct htab *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t->buckets);
	free(t->lists);
	free(t);
}

uint64_t htab_hash(const struct htab *t, const void *key)
{
	return hash_siphash13(t->key, key, t->key_len);
}

/*
 * Key equality. len is a compile-time constant in the instances below: the
 * common key sizes (multiples of 8) become a few word loads and XORs instead
 * of a call to memcmp; len 0 means "t->key_len, through memcmp".
 */
static inline __attribute__((always_inline)) bool
key_equal(const struct htab *t, const struct htab_node *n, const void *key, size_t len)
{
	const uint8_t *a = (const uint8_t *)n + t->key_off, *b = key;
	if (len == 0)
		return memcmp(a, b, t->key_len) == 0;
	uint64_t diff = 0;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	return diff == 0;
}

/* The full 64-bit hash is compared first, so the key itself is read only on a real hit. */
static inline __attribute__((always_inline)) void *find_len(struct htab *t, const void *key,
                                                            uint64_t h, size_t len)
{
	uint32_t l = t->buckets[h & t->mask];
	while (l != HTAB_NONE) {
		if (!link_may_match(t, l, h)) {
			if (!link_goes_on(t, l))
				return NULL;
			l = node_at(t, link_idx(t, l))->chain;
			continue;
		}
		struct htab_node *n = node_at(t, link_idx(t, l));
		if (n->hash == h && key_equal(t, n, key, len))
			return n;
		l = n->chain;
	}
	return NULL;
}

/* One small function per key size, so htab_find's dispatch is a tail jump into a lookup with
 * no more registers to save than it needs. */
static __attribute__((noinline)) void *find_16(struct htab *t, const void *key, uint64_t h)
{
	return find_len(t, key, h, 16);
}

static __attribute__((noinline)) void *find_32(struct htab *t, const void *key, uint64_t h)
{
	return find_len(t, key, h, 32);
}

static __attribute__((noinline)) void *find_40(struct htab *t, const void *key, uint64_t h)
{
	return find_len(t, key, h, 40);
}

static __attribute__((noinline)) void *find_any(struct htab *t, const void *key, uint64_t h)
{
	return find_len(t, key, h, 0);
}

void *htab_find(struct htab *t, const void *key, uint64_t h)
{
	/* The sizes of the flow, tracker and per-address keys; anything else takes memcmp. */
	switch (t->key_len) {
	case 16:
		return find_16(t, key, h);
	case 32:
		return find_32(t, key, h);
	case 40:
		return find_40(t, key, h);
	default:
		return find_any(t, key, h);
	}
}

/* Copies a key into an entry; constant sizes become plain moves instead of a memcpy call. */
static inline void key_copy(const struct htab *t, struct htab_node *n, const void *key)
{
	uint8_t *dst = (uint8_t *)n + t->key_off;
	switch (t->key_len) {
	case 16:
		memcpy(dst, key, 16);
		break;
	case 32:
		memcpy(dst, key, 32);
		break;
	case 40:
		memcpy(dst, key, 40);
		break;
	default:
		memcpy(dst, key, t->key_len);
		break;
	}
}

static inline void list_mark(struct htab *t, unsigned list, bool nonempty)
{
	uint64_t bit = 1ULL << (list & 63);
	if (nonempty)
		t->nonempty[list >> 6] |= bit;
	else
		t->nonempty[list >> 6] &= ~bit;
}

static void list_unlink(struct htab *t, struct htab_node *n, uint32_t i)
{
	struct htab_list *l = &t->lists[n->list];
	if (n->prev)
		node_at(t, n->prev)->next = n->next;
	else
		l->head = n->next;
	if (n->next) {
		node_at(t, n->next)->prev = n->prev;
	} else {
		l->tail = n->prev;
		if (!n->prev) /* it was the only entry */
			list_mark(t, n->list, false);
	}
	n->prev = n->next = HTAB_NONE;
	if (t->kept[n->list >> 6] >> (n->list & 63) & 1)
		t->kept_n--;
	(void)i;
}

static void list_append(struct htab *t, struct htab_node *n, uint32_t i, unsigned list)
{
	struct htab_list *l = &t->lists[list];
	n->list = (uint8_t)list;
	n->next = HTAB_NONE;
	if (t->kept[list >> 6] >> (list & 63) & 1)
		t->kept_n++;
	n->prev = l->tail;
	if (l->tail) {
		node_at(t, l->tail)->next = i;
	} else {
		l->head = i;
		list_mark(t, list, true);
	}
	l->tail = i;
}

static void chain_unlink(struct htab *t, struct htab_node *n, uint32_t i)
{
	/* pp: the link to the entry looked at; before: the link to the one before it, whose
	 * successor bit goes when n was the last */
	uint32_t *pp = &t->buckets[n->hash & t->mask], *before = NULL;
	while (*pp != HTAB_NONE) {
		if (link_idx(t, *pp) == i) {
			*pp = n->chain;
			if (n->chain == HTAB_NONE && before && !t->untagged)
				*before &= ~LINK_SUCC;
			return;
		}
		before = pp;
		pp = &node_at(t, link_idx(t, *pp))->chain;
	}
}

static void release(struct htab *t, struct htab_node *n, uint32_t i)
{
	chain_unlink(t, n, i);
	list_unlink(t, n, i);
	n->used = 0;
	n->chain = t->free_head;
	t->free_head = i;
	t->st.used--;
}

void htab_remove(struct htab *t, void *entry)
{
	struct htab_node *n = entry;
	if (n->used)
		release(t, n, index_of(t, n));
}

static void evict_entry(struct htab *t, struct htab_node *n)
{
	if (t->evict)
		t->evict(t->ctx, n);
	/* The callback must not remove the entry itself; it may read it. */
	if (n->used)
		release(t, n, index_of(t, n));
}

/* The oldest list head of the lists not kept while kept lists hold at most half the pool, else
 * (or when only kept lists have entries) of all lists; ties go to the lowest list number.
 * Empty lists are skipped by bitmap. */
static struct htab_node *oldest_overall(struct htab *t)
{
	struct htab_node *best = NULL;
	bool others = false;
	if (t->kept_n <= t->capacity / 2)
		for (unsigned w = 0; w < HTAB_LIST_WORDS; w++)
			others |= (t->nonempty[w] & ~t->kept[w]) != 0;
	for (unsigned w = 0; w < HTAB_LIST_WORDS; w++) {
		uint64_t lists = others ? t->nonempty[w] & ~t->kept[w] : t->nonempty[w];
		for (uint64_t bits = lists; bits; bits &= bits - 1) {
			unsigned l = w * 64 + (unsigned)__builtin_ctzll(bits);
			struct htab_node *n = node_at(t, t->lists[l].head);
			if (!best || n->ts < best->ts)
				best = n;
		}
	}
	return best;
}

/* Doubles the buckets in use: chain i splits into i and i + n by the hash bit n. */
static void grow(struct htab *t)
{
	uint64_t n = t->mask + 1;
	for (uint64_t b = 0; b < n; b++) {
		uint32_t lo = HTAB_NONE, hi = HTAB_NONE;
		uint32_t l = t->buckets[b];
		while (l != HTAB_NONE) {
			uint32_t i = link_idx(t, l);
			struct htab_node *e = node_at(t, i);
			uint32_t next = e->chain;
			if (e->hash & n) {
				e->chain = hi;
				hi = link_make(t, i, e->hash, hi);
			} else {
				e->chain = lo;
				lo = link_make(t, i, e->hash, lo);
			}
			l = next;
		}
		t->buckets[b] = lo;
		t->buckets[b + n] = hi;
	}
	t->mask = 2 * n - 1;
}

static inline __attribute__((always_inline)) void *
insert(struct htab *t, const void *key, uint64_t h, unsigned list, uint64_t ts, bool recycle)
{
	uint32_t *bucket = &t->buckets[h & t->mask];
	unsigned len = 0;
	struct htab_node *oldest = NULL;
	/* Counting is all most inserts need; the oldest is looked for only at the cap. */
	for (uint32_t l = *bucket; l != HTAB_NONE && len < HTAB_CHAIN_MAX;
	     l = node_at(t, link_idx(t, l))->chain) {
		len++;
		if (!link_goes_on(t, l))
			break;
	}
	if (!recycle &&
	    (len >= HTAB_CHAIN_MAX || (t->free_head == HTAB_NONE && t->next_fresh > t->capacity)))
		return NULL;
	if (len >= HTAB_CHAIN_MAX) {
		for (uint32_t l = *bucket; l != HTAB_NONE; l = node_at(t, link_idx(t, l))->chain) {
			struct htab_node *n = node_at(t, link_idx(t, l));
			if (!oldest || n->ts < oldest->ts)
				oldest = n;
		}
		/* Someone found colliding keys (or the table is badly overfull): keep
		 * the per-packet walk bounded by recycling the chain's oldest entry. */
		t->st.evict_chain++;
		evict_entry(t, oldest);
	}
	uint32_t i;
	bool fresh = false;
	if (t->free_head != HTAB_NONE) {
		i = t->free_head;
		t->free_head = node_at(t, i)->chain;
	} else if (t->next_fresh <= t->capacity) {
		i = t->next_fresh++;
		fresh = true; /* calloc'd and never used: already zero */
	} else {
		struct htab_node *victim = oldest_overall(t);
		t->st.evict_full++;
		evict_entry(t, victim);
		i = t->free_head;
		t->free_head = node_at(t, i)->chain;
	}
	struct htab_node *n = node_at(t, i);
	if (!fresh)
		memset(n, 0, t->entry_size);
	key_copy(t, n, key);
	n->hash = h;
	n->used = 1;
	n->ts = ts;
	bucket = &t->buckets[h & t->mask]; /* eviction above may have changed the chain head */
	n->chain = *bucket;
	*bucket = link_make(t, i, h, n->chain);
	list_append(t, n, i, list);
	t->st.inserts++;
	t->st.used++;
	if (t->st.used > t->mask + 1 && t->mask < t->max_mask)
		grow(t);
	return n;
}

void *htab_insert(struct htab *t, const void *key, uint64_t h, unsigned list, uint64_t ts)
{
	return insert(t, key, h, list, ts, true);
}

void *htab_try_insert(struct htab *t, const void *key, uint64_t h, unsigned list, uint64_t ts)
{
	return insert(t, key, h, list, ts, false);
}

void htab_touch(struct htab *t, void *entry, unsigned list, uint64_t ts)
{
	struct htab_node *n = entry;
	uint32_t i = index_of(t, n);
	n->ts = ts;
	if (n->list == list && t->lists[list].tail == i)
		return;
	list_unlink(t, n, i);
	list_append(t, n, i, list);
}

void *htab_oldest(struct htab *t, unsigned list)
{
	uint32_t h = t->lists[list].head;
	return h == HTAB_NONE ? NULL : node_at(t, h);
}

void *htab_next(struct htab *t, uint32_t *cursor)
{
	for (uint32_t i = *cursor + 1; i < t->next_fresh; i++) {
		struct htab_node *n = node_at(t, i);
		if (n->used) {
			*cursor = i;
			return n;
		}
	}
	*cursor = t->next_fresh;
	return NULL;
}

void htab_get_stats(const struct htab *t, struct htab_stats *out)
{
	*out = t->st;
}

void htab_count_expired(struct htab *t)
{
	t->st.expired++;
}
