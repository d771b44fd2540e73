/* exposure.c — per-entry exposure sets: which services and hosts answered a scanner, bounded. */
#include "scanwatch/exposure.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct expo_set {
	const void *owner;
	uint64_t answers;
	uint64_t unlisted;
	uint16_t n, cap;
	uint32_t pad;
	struct det_exposed item[];
};

_Static_assert(sizeof(struct expo_set) == 32, "exposure.h states the set header's size");
_Static_assert(sizeof(struct det_exposed) == 24, "exposure.h states an item's size");

struct exposure {
	struct expo_set **slot; /* open addressing by owner, linear probing; NULL: empty */
	size_t nslots, count;
	struct exposure_stats st;
};

/* A set's first size, and how it grows (ending at DET_EXPOSURE_MAX). */
#define EXPO_FIRST 4
#define EXPO_GROW  4

static size_t set_bytes(unsigned cap)
{
	return sizeof(struct expo_set) + (size_t)cap * sizeof(struct det_exposed);
}

struct exposure *exposure_create(size_t limit)
{
	struct exposure *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->st.limit = limit;
	return x;
}

void exposure_destroy(struct exposure *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->nslots; i++)
		free(x->slot[i]);
	free(x->slot);
	free(x);
}

void exposure_get_stats(const struct exposure *x, struct exposure_stats *out)
{
	*out = x->st;
}

enum det_reveal exposure_reveal(const struct sw_event *ev)
{
	if (ev->type != EV_OUTCOME)
		return REVEAL_NONE;
	bool answered = ev->outcome == OUT_SUCCESS;
	/* a SYN-ACK or INIT-ACK came back, whatever the prober then did with it */
	bool opened = answered || ev->outcome == OUT_EMPTY || ev->outcome == OUT_HALFOPEN;
	switch (ev->pclass) {
	case PC_TCP_SYN:
		return opened ? REVEAL_SYN_ACK : REVEAL_NONE;
	case PC_SCTP_INIT:
		return opened ? REVEAL_INIT_ACK : REVEAL_NONE;
	case PC_UDP:
		return answered ? REVEAL_UDP_REPLY : REVEAL_NONE;
	case PC_IPPROTO:
		return answered ? REVEAL_PROTO_REPLY : REVEAL_NONE;
	case PC_ICMP_ECHO:
		return answered ? REVEAL_ECHO_REPLY : REVEAL_NONE;
	case PC_ICMP_OTHER:
		return answered ? REVEAL_ICMP_REPLY : REVEAL_NONE;
	case PC_ARP:
		return answered ? REVEAL_ARP_REPLY : REVEAL_NONE;
	default:
		return REVEAL_NONE;
	}
}

/* Entry addresses are pool slots: mix the pointer's bits (nothing here comes off the wire). */
static size_t slot_of(const struct exposure *x, const void *owner)
{
	uint64_t h = (uint64_t)(uintptr_t)owner * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 32) & (x->nslots - 1);
}

static struct expo_set **find(const struct exposure *x, const void *owner)
{
	if (x->nslots == 0)
		return NULL;
	for (size_t i = slot_of(x, owner);; i = (i + 1) & (x->nslots - 1)) {
		if (!x->slot[i])
			return NULL;
		if (x->slot[i]->owner == owner)
			return &x->slot[i];
	}
}

static bool budget_take(struct exposure *x, size_t bytes)
{
	if (x->st.used + bytes > x->st.limit) {
		x->st.denied++;
		return false;
	}
	x->st.used += bytes;
	return true;
}

static void put(struct exposure *x, struct expo_set *s)
{
	size_t i = slot_of(x, s->owner);
	while (x->slot[i])
		i = (i + 1) & (x->nslots - 1);
	x->slot[i] = s;
}

/* Room for one more set in the map (kept at most half full); false when refused. */
static bool map_room(struct exposure *x)
{
	if ((x->count + 1) * 2 <= x->nslots)
		return true;
	size_t n = x->nslots ? x->nslots * 2 : 64;
	size_t more = (n - x->nslots) * sizeof *x->slot;
	if (!budget_take(x, more))
		return false;
	struct expo_set **old = x->slot, **fresh = calloc(n, sizeof *fresh);
	if (!fresh) {
		x->st.used -= more;
		x->st.denied++;
		return false;
	}
	size_t oldn = x->nslots;
	x->slot = fresh;
	x->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			put(x, old[i]);
	free(old);
	return true;
}

static struct expo_set *make_set(struct exposure *x, const void *owner)
{
	if (!map_room(x) || !budget_take(x, set_bytes(EXPO_FIRST)))
		return NULL;
	struct expo_set *s = calloc(1, set_bytes(EXPO_FIRST));
	if (!s) {
		x->st.used -= set_bytes(EXPO_FIRST);
		x->st.denied++;
		return NULL;
	}
	s->owner = owner;
	s->cap = EXPO_FIRST;
	put(x, s);
	x->count++;
	x->st.sets++;
	return s;
}

/* Grows *sp by EXPO_GROW times, up to DET_EXPOSURE_MAX; false when refused. */
static bool grow(struct exposure *x, struct expo_set **sp)
{
	struct expo_set *s = *sp;
	unsigned cap = s->cap * EXPO_GROW;
	if (cap > DET_EXPOSURE_MAX)
		cap = DET_EXPOSURE_MAX;
	if (cap <= s->cap)
		return false;
	size_t more = set_bytes(cap) - set_bytes(s->cap);
	if (!budget_take(x, more))
		return false;
	struct expo_set *t = realloc(s, set_bytes(cap));
	if (!t) {
		x->st.used -= more;
		x->st.denied++;
		return false;
	}
	t->cap = (uint16_t)cap;
	*sp = t; /* the map slot itself */
	return true;
}

void exposure_note(struct exposure *x, const void *owner, uint8_t *flag, const struct sw_event *ev,
                   enum det_reveal r)
{
	if (*flag == EXPOSURE_DENIED)
		return;
	struct expo_set **sp = *flag == EXPOSURE_SET ? find(x, owner) : NULL;
	if (!sp) {
		struct expo_set *s = make_set(x, owner);
		if (!s) {
			*flag = EXPOSURE_DENIED;
			return;
		}
		*flag = EXPOSURE_SET;
		sp = find(x, owner);
	}
	struct det_exposed k = {.host = ev->dst, .reveal = (uint8_t)r};
	/* An IPv6 solicitation's "target" is the solicited-node group (classify.c keys the
	 * flow by it); the host that answered is the advertisement's source (RFC 4861 4.4). */
	if (r == REVEAL_ARP_REPLY && ev->pkt && !addr_is_v4(&ev->dst))
		k.host = ev->pkt->src;
	if (r == REVEAL_PROTO_REPLY) {
		k.proto = (uint8_t)ev->port; /* the protocol probed */
	} else {
		k.proto = ev->proto;
		k.port = r == REVEAL_ARP_REPLY ? 0 : ev->port;
	}
	struct expo_set *s = *sp;
	s->answers++;
	for (unsigned i = 0; i < s->n; i++) {
		struct det_exposed *it = &s->item[i];
		if (it->port == k.port && it->proto == k.proto && it->reveal == k.reveal &&
		    addr_eq(&it->host, &k.host)) {
			if (it->answers < UINT32_MAX)
				it->answers++;
			return;
		}
	}
	if (s->n == s->cap && !grow(x, sp)) {
		(*sp)->unlisted++;
		return;
	}
	s = *sp;
	k.answers = 1;
	s->item[s->n++] = k;
}

void exposure_fill(const struct exposure *x, const void *owner, uint8_t flag,
                   struct det_exposure *out)
{
	memset(out, 0, sizeof *out);
	if (flag != EXPOSURE_SET)
		return;
	struct expo_set *const *sp = find(x, owner);
	if (!sp)
		return;
	const struct expo_set *s = *sp;
	out->n = s->n;
	out->answers = s->answers;
	out->unlisted = s->unlisted;
	memcpy(out->item, s->item, s->n * sizeof s->item[0]);
}

void exposure_drop(struct exposure *x, const void *owner, uint8_t *flag)
{
	uint8_t f = *flag;
	*flag = EXPOSURE_NONE;
	if (f != EXPOSURE_SET)
		return;
	struct expo_set **sp = find(x, owner);
	if (!sp)
		return;
	struct expo_set *s = *sp;
	x->st.used -= set_bytes(s->cap);
	free(s);
	/* backward-shift deletion keeps every probe chain unbroken (Knuth 6.4, algorithm R) */
	size_t i = (size_t)(sp - x->slot), j = i;
	x->slot[i] = NULL;
	x->count--;
	for (;;) {
		j = (j + 1) & (x->nslots - 1);
		if (!x->slot[j])
			break;
		size_t home = slot_of(x, x->slot[j]->owner);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		x->slot[i] = x->slot[j];
		x->slot[j] = NULL;
		i = j;
	}
}
