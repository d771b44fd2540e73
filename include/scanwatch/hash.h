/* hash.h — SipHash and the bounded, keyed, LRU-ordered hash tables every tracker uses. */
#ifndef SCANWATCH_HASH_H
#define SCANWATCH_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SipHash-1-3 (Aumasson & Bernstein; the variant Linux and Rust use for
 * tables): a keyed PRF, so an attacker who does not know the key cannot pick
 * addresses that collide (STYLE.md item 6, as Linux conntrack).
 */
uint64_t hash_siphash13(const uint8_t key[16], const void *data, size_t len);
/* Reference SipHash-2-4, used by the tests against the published vectors. */
uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len);

/* Fills key from getrandom(2), or from the seed (splitmix64) when seed != 0. */
void hash_make_key(uint8_t key[16], uint64_t seed);

/*
 * Every table entry starts with this node. Entries live in one preallocated
 * pool (index 0 is never used, so 0 means "none"); a bucket array of chain
 * heads; and NLISTS doubly linked lists kept in last-touch order, which give
 * both idle expiry (walk from the head) and eviction of the oldest entry when
 * the pool is full.
 */
#define HTAB_NONE 0u
struct htab_node {
	uint32_t chain;      /* link to the next entry in the bucket chain (hash.c: with its tag) */
	uint32_t prev, next; /* LRU list links */
	uint8_t list;        /* which LRU list */
	uint8_t used;
	uint16_t pad;
	uint64_t hash;
	uint64_t ts; /* last touch, packet time (µs) */
};

struct htab;

/* Called when an entry leaves the table by eviction (pool full or chain cap). */
typedef void (*htab_evict_fn)(void *ctx, void *entry);

struct htab_stats {
	uint64_t inserts;
	uint64_t evict_full;  /* oldest entry recycled because the pool was full */
	uint64_t evict_chain; /* entry recycled because its chain hit HTAB_CHAIN_MAX */
	uint64_t expired;     /* left by idle expiry */
	uint32_t used, capacity;
};

/*
 * Creates a table of at most max_entries entries of entry_size bytes (the
 * entry starts with struct htab_node), whose key is key_len bytes at key_off.
 * Memory is allocated once here. NULL on failure.
 */
struct htab *htab_create(size_t entry_size, size_t key_off, size_t key_len, size_t max_entries,
                         unsigned nlists, const uint8_t sipkey[16], htab_evict_fn evict, void *ctx);
void htab_destroy(struct htab *t);
/*
 * Marks list `list` as kept (before the first insert): while kept lists hold at most half the
 * pool, a full pool recycles the oldest entry of the lists not kept; past that, or when only
 * kept lists have entries, the oldest of all, as without. detect.c keeps the lists of open
 * detections: a flood's counting entries go before a scan already reported, and reported
 * scans cannot crowd out the counting of new ones.
 */
void htab_keep_list(struct htab *t, unsigned list);

/* The keyed hash (SipHash-1-3 with the table's random key) of key, for htab_find and
 * htab_insert. */
uint64_t htab_hash(const struct htab *t, const void *key);
/* The entry with this key, or NULL. */
void *htab_find(struct htab *t, const void *key, uint64_t h);
/*
 * Inserts a zeroed entry with this key (which must not be present) on list
 * `list`, touched at ts. Recycles the oldest entry (calling evict first) when
 * the pool is full. Never fails once the table exists.
 */
void *htab_insert(struct htab *t, const void *key, uint64_t h, unsigned list, uint64_t ts);
/* htab_insert that recycles nothing: NULL when the pool is full or the key's chain is at
 * HTAB_CHAIN_MAX, for tables whose entries others point at (admit.c's shapes). */
void *htab_try_insert(struct htab *t, const void *key, uint64_t h, unsigned list, uint64_t ts);
/* Moves the entry to the tail of `list` with time ts. */
void htab_touch(struct htab *t, void *entry, unsigned list, uint64_t ts);
/* Removes the entry (no evict callback). */
void htab_remove(struct htab *t, void *entry);
/* The oldest entry of a list, or NULL. */
void *htab_oldest(struct htab *t, unsigned list);
/* Iterates all used entries in pool order: start with *cursor = 0; NULL at the end. */
void *htab_next(struct htab *t, uint32_t *cursor);
/* Copies the counters so far into *out. */
void htab_get_stats(const struct htab *t, struct htab_stats *out);
/* Counts one entry its owner removed because it expired (the table cannot tell). */
void htab_count_expired(struct htab *t);

/* Longest chain walked before the oldest entry of the chain is recycled (scanlogd's cap). */
#define HTAB_CHAIN_MAX 16

#endif
