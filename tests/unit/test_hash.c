/* test_hash.c — SipHash against the published vectors; bounded tables: LRU, eviction, chain cap. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "check.h"
#include "scanwatch/hash.h"

struct ent {
	struct htab_node node;
	uint64_t key;
	int value;
};

static int evicted;
static uint64_t last_evicted;

static void on_evict(void *ctx, void *e)
{
	(void)ctx;
	evicted++;
	last_evicted = ((struct ent *)e)->key;
}

static void test_siphash_vectors(void)
{
	/* SipHash-2-4 test vectors from the reference implementation (vectors.h):
	 * key 00 01 .. 0f, message 00 01 .. (len-1). */
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	CHECK_EQ_U(hash_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	CHECK_EQ_U(hash_siphash24(key, msg, 1), 0x74f839c593dc67fdULL);
	CHECK_EQ_U(hash_siphash24(key, msg, 7), 0xab0200f58b01d137ULL);
	CHECK_EQ_U(hash_siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
	CHECK_EQ_U(hash_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	CHECK_EQ_U(hash_siphash24(key, msg, 63), 0x958a324ceb064572ULL);
	/* 1-3 differs from 2-4 and depends on the key */
	uint8_t key2[16] = {1};
	CHECK(hash_siphash13(key, msg, 15) != hash_siphash24(key, msg, 15));
	CHECK(hash_siphash13(key, msg, 15) != hash_siphash13(key2, msg, 15));
	/* seeded keys are reproducible, distinct seeds give distinct keys */
	uint8_t a[16], b[16], c[16];
	hash_make_key(a, 42);
	hash_make_key(b, 42);
	hash_make_key(c, 43);
	CHECK(memcmp(a, b, 16) == 0);
	CHECK(memcmp(a, c, 16) != 0);
}

static void test_table_basic(void)
{
	uint8_t key[16] = {0};
	evicted = 0;
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 100, 2, key, on_evict, NULL);
	CHECK(t != NULL);
	for (uint64_t k = 1; k <= 100; k++) {
		struct ent *e = htab_insert(t, &k, htab_hash(t, &k), 0, k);
		e->value = (int)k * 10;
	}
	CHECK_EQ_U(evicted, 0);
	for (uint64_t k = 1; k <= 100; k++) {
		struct ent *e = htab_find(t, &k, htab_hash(t, &k));
		CHECK(e && e->value == (int)k * 10);
	}
	uint64_t missing = 1000;
	CHECK(htab_find(t, &missing, htab_hash(t, &missing)) == NULL);
	/* touching key 1 makes key 2 the oldest: the next insert into a full pool evicts 2 */
	uint64_t k1 = 1;
	htab_touch(t, htab_find(t, &k1, htab_hash(t, &k1)), 0, 500);
	uint64_t k101 = 101;
	htab_insert(t, &k101, htab_hash(t, &k101), 1, 501);
	CHECK_EQ_U(evicted, 1);
	CHECK_EQ_U(last_evicted, 2);
	uint64_t k2 = 2;
	CHECK(htab_find(t, &k2, htab_hash(t, &k2)) == NULL);
	CHECK(htab_find(t, &k1, htab_hash(t, &k1)) != NULL);
	/* oldest per list */
	struct ent *o = htab_oldest(t, 0);
	CHECK(o && o->key == 3);
	o = htab_oldest(t, 1);
	CHECK(o && o->key == 101);
	/* remove and iterate */
	htab_remove(t, o);
	uint32_t cur = 0;
	int n = 0;
	while (htab_next(t, &cur))
		n++;
	CHECK_EQ_U(n, 99);
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK_EQ_U(st.evict_full, 1);
	CHECK_EQ_U(st.used, 99);
	htab_destroy(t);
}

/* Keys chosen to collide under a known key: the chain stays capped. */
static void test_chain_cap(void)
{
	uint8_t key[16];
	hash_make_key(key, 7);
	evicted = 0;
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 4096, 1, key, on_evict, NULL);
	CHECK(t != NULL);
	/* find 200 keys that land in bucket 0 (bucket count is 4096) */
	uint64_t found[200];
	int nf = 0;
	for (uint64_t k = 1; nf < 200; k++)
		if ((htab_hash(t, &k) & 4095) == 0)
			found[nf++] = k;
	for (int i = 0; i < nf; i++)
		htab_insert(t, &found[i], htab_hash(t, &found[i]), 0, (uint64_t)i);
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK(st.evict_chain >= 200 - HTAB_CHAIN_MAX);
	CHECK(st.used <= HTAB_CHAIN_MAX);
	/* the newest keys survive, the oldest went */
	CHECK(htab_find(t, &found[199], htab_hash(t, &found[199])) != NULL);
	CHECK(htab_find(t, &found[0], htab_hash(t, &found[0])) == NULL);
	/* under another key the same inputs spread out: no chain evictions */
	uint8_t key2[16];
	hash_make_key(key2, 8);
	struct htab *t2 = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                              sizeof(uint64_t), 4096, 1, key2, NULL, NULL);
	for (int i = 0; i < nf; i++)
		htab_insert(t2, &found[i], htab_hash(t2, &found[i]), 0, (uint64_t)i);
	htab_get_stats(t2, &st);
	CHECK_EQ_U(st.evict_chain, 0);
	CHECK_EQ_U(st.used, 200);
	htab_destroy(t);
	htab_destroy(t2);
}

/* Random churn against a reference: every key present in the model is found. */
static void test_churn(void)
{
	uint8_t key[16];
	hash_make_key(key, 99);
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 512, 3, key, NULL, NULL);
	CHECK(t != NULL);
	uint64_t rng = 12345;
	int bad = 0;
	for (int i = 0; i < 200000; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t k = (rng >> 33) % 2000;
		uint64_t h = htab_hash(t, &k);
		struct ent *e = htab_find(t, &k, h);
		if (e) {
			if (e->key != k)
				bad++;
			if ((rng >> 20) & 1)
				htab_remove(t, e);
			else
				htab_touch(t, e, (unsigned)((rng >> 40) % 3), (uint64_t)i);
		} else {
			e = htab_insert(t, &k, h, (unsigned)((rng >> 40) % 3), (uint64_t)i);
			e->value = (int)k;
		}
	}
	CHECK_EQ_U(bad, 0);
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK(st.used <= 512);
	uint32_t cur = 0;
	uint32_t n = 0;
	struct ent *e;
	while ((e = htab_next(t, &cur))) {
		n++;
		if (htab_find(t, &e->key, htab_hash(t, &e->key)) != e)
			bad++;
	}
	CHECK_EQ_U(n, st.used);
	CHECK_EQ_U(bad, 0);
	htab_destroy(t);
}

/*
 * A deliberately plain SipHash-c-d (byte at a time, as the paper describes
 * it), to hold hash.c's fixed-length instances to: it is first checked
 * against the published 2-4 vectors, then hash_siphash13 must equal its 1-3
 * output at every length, in particular the specialised 16, 32 and 40.
 */
static uint64_t ref_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void ref_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ref_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = ref_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = ref_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ref_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ref_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = ref_rotl(v[2], 32);
}

static uint64_t ref_siphash(const uint8_t key[16], const uint8_t *m, size_t len, int c, int d)
{
	uint64_t k0 = 0, k1 = 0;
	for (int i = 7; i >= 0; i--) {
		k0 = k0 << 8 | key[i];
		k1 = k1 << 8 | key[8 + i];
	}
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
	                 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	/* the message padded with zeros to a multiple of 8, length in the last byte */
	size_t blocks = len / 8 + 1;
	for (size_t b = 0; b < blocks; b++) {
		uint64_t w = 0;
		for (int i = 7; i >= 0; i--) {
			size_t at = b * 8 + (size_t)i;
			uint8_t byte = at < len ? m[at] : 0;
			if (b == blocks - 1 && i == 7)
				byte = (uint8_t)len;
			w = w << 8 | byte;
		}
		v[3] ^= w;
		for (int r = 0; r < c; r++)
			ref_round(v);
		v[0] ^= w;
	}
	v[2] ^= 0xff;
	for (int r = 0; r < d; r++)
		ref_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void test_siphash_lengths(void)
{
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* the reference itself against the published vectors */
	CHECK_EQ_U(ref_siphash(key, msg, 0, 2, 4), 0x726fdb47dd0e0e31ULL);
	CHECK_EQ_U(ref_siphash(key, msg, 15, 2, 4), 0xa129ca6149be45e5ULL);
	CHECK_EQ_U(ref_siphash(key, msg, 63, 2, 4), 0x958a324ceb064572ULL);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	int bad = 0;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 16; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			key[i] = (uint8_t)(rng >> 56);
		}
		for (int i = 0; i < 64; i++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			msg[i] = (uint8_t)(rng >> 56);
		}
		/* unaligned starts too: the table keys sit at any offset in an entry */
		for (size_t off = 0; off < 3; off++)
			for (size_t len = 0; len + off <= 64; len++)
				if (hash_siphash13(key, msg + off, len) !=
				    ref_siphash(key, msg + off, len, 1, 3))
					bad++;
	}
	CHECK_EQ_U(bad, 0);
}

/*
 * Tables of many entry and key sizes (the lookups and copies have fixed-size
 * instances for 16, 32 and 40-byte keys; index_of() divides by the entry size
 * through a multiplicative inverse) against a plain model of what the table
 * promises: lookups find exactly the live keys, inserted entries are zeroed
 * even when recycled, lists keep touch order, and a full pool evicts the
 * oldest list head (ties to the lowest list).
 */
#define MODEL_KEYS  300
#define MODEL_CAP   64
#define MODEL_LISTS 5

struct model_ent {
	bool live;
	unsigned list;
	uint64_t seq; /* touch order */
	uint64_t ts;
};

static struct model_ent model[MODEL_KEYS];
static int model_evicted;
static size_t model_key_off, model_key_len;

static void model_key(uint8_t *out, size_t len, unsigned k)
{
	/* distinct in the last byte as well as the first, so no prefix compare can pass */
	memset(out, 0xa5, len);
	out[0] = (uint8_t)k;
	out[len - 1] = (uint8_t)(k >> 8 ^ 0x3c);
	if (len > 9)
		out[len / 2] = (uint8_t)(k * 7);
}

static unsigned model_key_of(const uint8_t *entry)
{
	const uint8_t *k = entry + model_key_off;
	return k[0] | (unsigned)((k[model_key_len - 1] ^ 0x3c) << 8);
}

static void model_on_evict(void *ctx, void *e)
{
	(void)ctx;
	model_evicted = (int)model_key_of(e);
}

/* The model's victim: the head (least seq) of each list, then the least ts among heads. */
static int model_victim(void)
{
	int best = -1;
	for (unsigned l = 0; l < MODEL_LISTS; l++) {
		int head = -1;
		for (int k = 0; k < MODEL_KEYS; k++)
			if (model[k].live && model[k].list == l &&
			    (head < 0 || model[k].seq < model[head].seq))
				head = k;
		if (head >= 0 && (best < 0 || model[head].ts < model[best].ts))
			best = head;
	}
	return best;
}

static void test_table_model(size_t entry_size, size_t key_len)
{
	uint8_t sipkey[16];
	hash_make_key(sipkey, entry_size * 131 + key_len);
	model_key_off = sizeof(struct htab_node);
	model_key_len = key_len;
	memset(model, 0, sizeof model);
	struct htab *t = htab_create(entry_size, model_key_off, key_len, MODEL_CAP, MODEL_LISTS,
	                             sipkey, model_on_evict, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	uint64_t rng = entry_size * 1000 + key_len, seq = 0;
	int bad_find = 0, bad_zero = 0, bad_victim = 0, bad_oldest = 0, live = 0;
	uint8_t key[64];
	for (int i = 0; i < 12000; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned k = (unsigned)(rng >> 33) % MODEL_KEYS;
		unsigned list = (unsigned)(rng >> 20) % MODEL_LISTS;
		/* times mostly rise but repeat and step back, so heads tie and lists interleave */
		uint64_t ts = (uint64_t)i / 3 + ((rng >> 50) & 3);
		model_key(key, key_len, k);
		uint64_t h = htab_hash(t, key);
		uint8_t *e = htab_find(t, key, h);
		if ((e != NULL) != model[k].live || (e && model_key_of(e) != k))
			bad_find++;
		if (e) {
			if ((rng >> 40) % 3 == 0) {
				htab_remove(t, e);
				model[k].live = false;
				live--;
			} else {
				htab_touch(t, e, list, ts);
				model[k].list = list;
				model[k].seq = ++seq;
				model[k].ts = ts;
			}
			continue;
		}
		int victim = live == MODEL_CAP ? model_victim() : -1;
		model_evicted = -1;
		e = htab_insert(t, key, h, list, ts);
		if (model_evicted != victim)
			bad_victim++;
		if (victim >= 0) {
			model[victim].live = false;
			live--;
		}
		/* everything after the node and the key arrives zeroed, recycled or not */
		for (size_t b = model_key_off + key_len; b < entry_size; b++)
			if (e[b] != 0)
				bad_zero++;
		memset(e + model_key_off + key_len, 0xee, entry_size - model_key_off - key_len);
		model[k] = (struct model_ent){.live = true, .list = list, .seq = ++seq, .ts = ts};
		live++;
		/* each list's oldest is the model's head of that list */
		for (unsigned l = 0; l < MODEL_LISTS; l++) {
			const uint8_t *o = htab_oldest(t, l);
			int head = -1;
			for (int m = 0; m < MODEL_KEYS; m++)
				if (model[m].live && model[m].list == l &&
				    (head < 0 || model[m].seq < model[head].seq))
					head = m;
			if ((o == NULL) != (head < 0) || (o && (int)model_key_of(o) != head))
				bad_oldest++;
		}
	}
	CHECK_EQ_U(bad_find, 0);
	CHECK_EQ_U(bad_zero, 0);
	CHECK_EQ_U(bad_victim, 0);
	CHECK_EQ_U(bad_oldest, 0);
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK_EQ_U(st.used, (uint64_t)live);
	CHECK(st.evict_full > 0); /* the pool did fill, so the victim checks meant something */
	htab_destroy(t);
}

/*
 * Lookups compare the stored 64-bit hash first, so the key compare decides
 * only between keys whose hashes are equal. The caller supplies the hash, so
 * equal hashes are forced here: every key one byte away from another (first,
 * middle, last byte) must still be told apart, for every key size.
 */
static void test_same_hash(size_t key_len)
{
	uint8_t sipkey[16] = {0};
	struct htab *t = htab_create(sizeof(struct htab_node) + 48, sizeof(struct htab_node),
	                             key_len, 64, 1, sipkey, NULL, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	uint8_t keys[3][48];
	size_t pos[3] = {0, key_len / 2, key_len - 1};
	for (int i = 0; i < 3; i++) {
		memset(keys[i], 0x5a, sizeof keys[i]);
		keys[i][pos[i]] ^= 0x01;
		htab_insert(t, keys[i], 42, 0, 0);
	}
	int bad = 0;
	for (int i = 0; i < 3; i++) {
		const uint8_t *e = htab_find(t, keys[i], 42);
		if (!e || memcmp(e + sizeof(struct htab_node), keys[i], key_len) != 0)
			bad++;
	}
	/* the unflipped key and one flipped elsewhere share the hash but are absent */
	uint8_t absent[48];
	memset(absent, 0x5a, sizeof absent);
	if (htab_find(t, absent, 42) != NULL)
		bad++;
	absent[key_len - 1] ^= 0x80;
	if (htab_find(t, absent, 42) != NULL)
		bad++;
	CHECK_EQ_U(bad, 0);
	htab_destroy(t);
}

/*
 * A table starts with a few thousand buckets and doubles them as its entries
 * outnumber them: every entry must stay findable across each split, removal
 * and LRU order must keep working, and an idle chain must not outgrow the cap
 * (the splits keep chains near one entry).
 */
static void test_growth(void)
{
	enum { N = 300000, CAP = 400000 };
	uint8_t key[16];
	hash_make_key(key, 7);
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), CAP, 2, key, NULL, NULL);
	CHECK(t != NULL);
	int missing = 0, wrong = 0, present = 0;
	for (uint64_t k = 1; k <= N; k++) {
		CHECK(htab_find(t, &k, htab_hash(t, &k)) == NULL || (wrong++, 0));
		struct ent *e = htab_insert(t, &k, htab_hash(t, &k), (unsigned)(k & 1), k);
		e->key = k;
		/* earlier keys survive every doubling */
		if ((k & (k - 1)) == 0)
			for (uint64_t j = 1; j <= k; j++) {
				struct ent *f = htab_find(t, &j, htab_hash(t, &j));
				missing += f == NULL;
				wrong += f && f->key != j;
			}
	}
	CHECK_EQ_U(missing, 0);
	CHECK_EQ_U(wrong, 0);
	/* remove every third, then check all */
	for (uint64_t k = 3; k <= N; k += 3) {
		struct ent *f = htab_find(t, &k, htab_hash(t, &k));
		CHECK(f != NULL);
		if (f)
			htab_remove(t, f);
	}
	for (uint64_t k = 1; k <= N; k++) {
		struct ent *f = htab_find(t, &k, htab_hash(t, &k));
		if (k % 3 == 0)
			wrong += f != NULL;
		else
			present += f != NULL && f->key == k;
	}
	CHECK_EQ_U(wrong, 0);
	CHECK_EQ_U(present, N - N / 3);
	struct htab_stats st;
	htab_get_stats(t, &st);
	CHECK_EQ_U(st.used, N - N / 3);
	CHECK_EQ_U(st.evict_chain, 0); /* no chain ever reached the cap */
	/* list 1 holds the odd keys in insertion order: 1, then 5 (3 was removed) */
	struct ent *o = htab_oldest(t, 1);
	CHECK(o && o->key == 1);
	htab_remove(t, o);
	o = htab_oldest(t, 1);
	CHECK(o && o->key == 5);
	htab_destroy(t);
}

/* htab_try_insert recycles nothing: NULL at a full pool and at a chain at the cap, where
 * htab_insert would have recycled an entry; a removal makes room again. */
static void test_try_insert(void)
{
	uint8_t sipkey[16] = {3};
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 4, 1, sipkey, on_evict, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	evicted = 0;
	struct ent *e[4];
	for (uint64_t k = 0; k < 4; k++) {
		e[k] = htab_try_insert(t, &k, htab_hash(t, &k), 0, k);
		CHECK(e[k] != NULL);
	}
	uint64_t k5 = 99;
	CHECK(htab_try_insert(t, &k5, htab_hash(t, &k5), 0, 5) == NULL);
	CHECK_EQ_U(evicted, 0);
	for (uint64_t k = 0; k < 4; k++)
		CHECK(htab_find(t, &k, htab_hash(t, &k)) == e[k]); /* all still there */
	htab_remove(t, e[1]);
	CHECK(htab_try_insert(t, &k5, htab_hash(t, &k5), 0, 6) != NULL);
	htab_destroy(t);

	/* one chain: HTAB_CHAIN_MAX keys with one hash fill it, the next is refused */
	t = htab_create(sizeof(struct ent), offsetof(struct ent, key), sizeof(uint64_t), 256, 1,
	                sipkey, on_evict, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	for (uint64_t k = 0; k < HTAB_CHAIN_MAX; k++)
		CHECK(htab_try_insert(t, &k, 7, 0, k) != NULL);
	uint64_t more = HTAB_CHAIN_MAX;
	CHECK(htab_try_insert(t, &more, 7, 0, 100) == NULL);
	CHECK_EQ_U(evicted, 0);
	CHECK(htab_insert(t, &more, 7, 0, 100) != NULL); /* the recycling insert takes it */
	CHECK_EQ_U(evicted, 1);
	htab_destroy(t);
}

/*
 * Chains under chosen hashes. A bucket's and an entry's links carry the next entry's hash tag
 * and whether it is the chain's last (hash.c, "Chain links"), so a lookup skips entries
 * without reading them; every insertion and removal (head, middle, last) must keep those
 * bits true. Keys are forced into 8 buckets with 3 tags, some pairs sharing even the whole
 * hash, and inserts, removals and lookups are checked against a model. cap 1 << 24 is a table
 * too large for tagged links, which must behave the same with plain ones.
 */
enum { CHAIN_KEYS = 96 };
static bool chain_live[CHAIN_KEYS];

static void chain_on_evict(void *ctx, void *e)
{
	(void)ctx;
	unsigned k;
	memcpy(&k, (uint8_t *)e + sizeof(struct htab_node), sizeof k);
	chain_live[k % CHAIN_KEYS] = false;
}

static uint64_t chain_hash(unsigned k)
{
	uint64_t bucket = (k * 5u) % 8u;        /* 8 of the 4096 first buckets */
	uint64_t tag = (k / 8u) % 3u;           /* top 7 bits: 3 tags */
	uint64_t rest = (k % 17u == 0) ? 0 : k; /* every 17th key shares its whole hash */
	return bucket | tag << 57 | (rest << 20);
}

static void test_tagged_chains(size_t cap)
{
	uint8_t sipkey[16] = {5};
	struct htab *t = htab_create(sizeof(struct htab_node) + 8, sizeof(struct htab_node), 8, cap,
	                             1, sipkey, chain_on_evict, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	memset(chain_live, 0, sizeof chain_live);
	uint64_t rng = cap, live_max = 0;
	int bad = 0;
	for (int i = 0; i < 40000; i++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned k = (unsigned)(rng >> 33) % CHAIN_KEYS;
		uint64_t key = k;
		uint8_t *e = htab_find(t, &key, chain_hash(k));
		if ((e != NULL) != chain_live[k])
			bad++;
		if (e && (rng >> 25) % 2 == 0) {
			htab_remove(t, e);
			chain_live[k] = false;
		} else if (!e) {
			htab_insert(t, &key, chain_hash(k), 0, (uint64_t)i);
			chain_live[k] = true;
		}
		/* every key, present or not, is where the model says */
		for (unsigned m = 0; m < CHAIN_KEYS; m++) {
			uint64_t mk = m;
			if ((htab_find(t, &mk, chain_hash(m)) != NULL) != chain_live[m])
				bad++;
		}
		uint64_t live = 0;
		for (unsigned m = 0; m < CHAIN_KEYS; m++)
			live += chain_live[m];
		if (live > live_max)
			live_max = live;
	}
	CHECK_EQ_U(bad, 0);
	CHECK(live_max > 40); /* chains of several entries, so heads, middles and ends moved */
	htab_destroy(t);
}

/* A kept list (htab_keep_list) is recycled from last while it holds at most half the pool: a
 * full pool evicts the oldest entry of the other lists even when a kept entry is older; past
 * half, the oldest of all, kept or not. */
static void test_kept_list(void)
{
	uint8_t k[16] = {9};
	struct htab *t = htab_create(sizeof(struct ent), offsetof(struct ent, key),
	                             sizeof(uint64_t), 8, 2, k, on_evict, NULL);
	CHECK(t != NULL);
	if (!t)
		return;
	htab_keep_list(t, 1);
	evicted = 0;
	uint64_t key = 1; /* the oldest, on the kept list */
	htab_insert(t, &key, htab_hash(t, &key), 1, 1);
	for (key = 2; key <= 8; key++)
		htab_insert(t, &key, htab_hash(t, &key), 0, key);
	CHECK_EQ_U(evicted, 0);
	key = 9;
	htab_insert(t, &key, htab_hash(t, &key), 0, 9);
	CHECK_EQ_U(evicted, 1);
	CHECK_EQ_U(last_evicted, 2);     /* not 1 */
	for (key = 10; key <= 13; key++) /* onto the kept list: 3, 4, 5, 6 make room */
		htab_insert(t, &key, htab_hash(t, &key), 1, key);
	CHECK_EQ_U(evicted, 5);
	CHECK_EQ_U(last_evicted, 6);
	key = 14; /* five of eight kept, past half: the oldest of all goes */
	htab_insert(t, &key, htab_hash(t, &key), 0, 14);
	CHECK_EQ_U(evicted, 6);
	CHECK_EQ_U(last_evicted, 1);
	htab_destroy(t);
}

int main(void)
{
	test_siphash_vectors();
	test_try_insert();
	test_siphash_lengths();
	test_table_basic();
	test_chain_cap();
	test_churn();
	test_growth();
	test_kept_list();
	test_tagged_chains(1000);
	test_tagged_chains((size_t)1 << 24);
	/* entry sizes with odd factors 5, 7, 9, 13, 33 and powers of two; key sizes with
	 * fixed-size instances (16, 32, 40) and without (8, 24, 12) */
	static const size_t sizes[][2] = {{80, 40}, {72, 40}, {88, 32},  {56, 16},  {104, 24},
	                                  {64, 16}, {48, 8},  {264, 40}, {120, 12}, {96, 32}};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		test_table_model(sizes[i][0], sizes[i][1]);
	static const size_t key_lens[] = {8, 12, 16, 24, 32, 40, 48};
	for (size_t i = 0; i < sizeof key_lens / sizeof key_lens[0]; i++)
		test_same_hash(key_lens[i]);
	CHECK_DONE();
}
