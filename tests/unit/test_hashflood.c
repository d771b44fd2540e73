/* test_hashflood.c — hash flooding: keys crafted to collide under a known key cost bounded work
 * per insert and cannot push out unrelated entries; a random key per run spreads the same keys.
 *
 * test_hash.c shows the chain cap on 200 keys. This is the attack at scale: an adversary
 * who knows the key (here: a fixed seed, as --seed gives) sends tens of thousands of
 * sources that all land in one bucket. The work per insert is the chain walked, and the
 * chain is what the table holds in that bucket: the stats after every insert show it never
 * exceeds HTAB_CHAIN_MAX and that every insert past the cap recycled exactly one entry of
 * that chain (evict_chain), not an entry elsewhere (evict_full). No timing is measured.
 */
#include <stdlib.h>

#include "check.h"
#include "scanwatch/hash.h"

struct ent {
	struct htab_node node;
	uint64_t key;
};

/* Colliding keys found; and the bucket bits they share, enough for any table up to 1024
 * buckets (htab sizes its bucket array as a power of two near its capacity). */
#define FLOOD_KEYS  20000
#define FLOOD_BITS  1023u
#define TABLE_SMALL 256 /* the attacked table: far fewer entries than attack keys */

static int evicted_victims;
static uint64_t victim_lo, victim_hi;

static void on_evict(void *ctx, void *e)
{
	(void)ctx;
	uint64_t k = ((struct ent *)e)->key;
	if (k >= victim_lo && k < victim_hi)
		evicted_victims++;
}

static uint64_t *find_colliding(const struct htab *t, size_t n)
{
	uint64_t *keys = malloc(n * sizeof *keys);
	CHECK(keys != NULL);
	size_t nf = 0;
	for (uint64_t k = 1ULL << 40; nf < n; k++)
		if ((htab_hash(t, &k) & FLOOD_BITS) == 0)
			keys[nf++] = k;
	return keys;
}

static void test_flood_bounded(void)
{
	uint8_t key[16];
	hash_make_key(key, 0x5eed); /* the attacker knows it */
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), TABLE_SMALL, 1, key, on_evict, NULL);
	CHECK(t != NULL);
	uint64_t *keys = find_colliding(t, FLOOD_KEYS);

	/* Legitimate sources inserted first, in other buckets: 100 of them. */
	victim_lo = 1;
	victim_hi = 1;
	int nvictims = 0;
	for (uint64_t k = 1; nvictims < 100; k++) {
		if ((htab_hash(t, &k) & FLOOD_BITS) == 0)
			continue;
		htab_insert(t, &k, htab_hash(t, &k), 0, 0);
		victim_hi = k + 1;
		nvictims++;
	}
	evicted_victims = 0;

	struct htab_stats st;
	int over_cap = 0, wrong_evictions = 0;
	for (int i = 0; i < FLOOD_KEYS; i++) {
		uint64_t h = htab_hash(t, &keys[i]);
		CHECK(htab_find(t, &keys[i], h) == NULL);
		htab_insert(t, &keys[i], h, 0, (uint64_t)i + 1);
		htab_get_stats(t, &st);
		/* What the flood holds is one chain: victims + at most HTAB_CHAIN_MAX. */
		if (st.used > (uint32_t)nvictims + HTAB_CHAIN_MAX)
			over_cap++;
		uint64_t want = i + 1 > HTAB_CHAIN_MAX ? (uint64_t)(i + 1 - HTAB_CHAIN_MAX) : 0;
		if (st.evict_chain != want || st.evict_full != 0)
			wrong_evictions++;
	}
	CHECK_EQ_U(over_cap, 0);
	CHECK_EQ_U(wrong_evictions, 0);
	CHECK_EQ_U(st.inserts, (uint64_t)nvictims + FLOOD_KEYS);
	CHECK_EQ_U(st.used, (uint64_t)nvictims + HTAB_CHAIN_MAX);
	/* No legitimate entry was pushed out, and each is still found. */
	CHECK_EQ_U(evicted_victims, 0);
	int found = 0;
	for (uint64_t k = victim_lo; k < victim_hi; k++)
		if ((htab_hash(t, &k) & FLOOD_BITS) != 0 && htab_find(t, &k, htab_hash(t, &k)))
			found++;
	CHECK_EQ_U(found, nvictims);
	/* The chain keeps the newest attack keys (the oldest are recycled). */
	for (int i = FLOOD_KEYS - HTAB_CHAIN_MAX; i < FLOOD_KEYS; i++)
		CHECK(htab_find(t, &keys[i], htab_hash(t, &keys[i])) != NULL);
	CHECK(htab_find(t, &keys[0], htab_hash(t, &keys[0])) == NULL);
	htab_destroy(t);
	free(keys);
}

static void test_random_key_spreads(void)
{
	uint8_t known[16], k1[16], k2[16];
	hash_make_key(known, 0x5eed);
	/* seed 0: a key from getrandom(2), different on every run */
	hash_make_key(k1, 0);
	hash_make_key(k2, 0);
	CHECK(memcmp(k1, k2, 16) != 0);
	CHECK(memcmp(k1, known, 16) != 0);

	struct htab *attacked = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                                    sizeof(uint64_t), TABLE_SMALL, 1, known, NULL, NULL);
	uint64_t *keys = find_colliding(attacked, FLOOD_KEYS);
	htab_destroy(attacked);

	/* The same keys under a random key, in a table big enough to hold them all: they
	 * spread over the buckets, so no chain reaches the cap and nothing is evicted. */
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 2 * FLOOD_KEYS, 1, k1, NULL, NULL);
	CHECK(t != NULL);
	uint32_t low_bits_zero = 0;
	for (int i = 0; i < FLOOD_KEYS; i++) {
		uint64_t h = htab_hash(t, &keys[i]);
		low_bits_zero += (h & FLOOD_BITS) == 0;
		htab_insert(t, &keys[i], h, 0, (uint64_t)i);
	}
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK_EQ_U(st.evict_chain, 0);
	CHECK_EQ_U(st.evict_full, 0);
	CHECK_EQ_U(st.used, FLOOD_KEYS);
	/* About FLOOD_KEYS / 1024 = 20 share the attacked bits by chance; 200 is far outside
	 * any honest hash (a fixed or leaked key would give FLOOD_KEYS). */
	CHECK(low_bits_zero < 200);
	for (int i = 0; i < FLOOD_KEYS; i++)
		if (!htab_find(t, &keys[i], htab_hash(t, &keys[i])))
			CHECK(!"key lost");
	htab_destroy(t);
	free(keys);
}

int main(void)
{
	test_flood_bounded();
	test_random_key_spreads();
	CHECK_DONE();
}
