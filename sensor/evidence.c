/* evidence.c — the packets behind detections: one budgeted arena of packet copies shared by
 * per-entry rings of references, and the held-back sources' first packets. */
#include "scanwatch/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "scanwatch/bigmem.h"
#include "scanwatch/hash.h"

/*
 * A packet copied once, whatever the number of rules whose entries keep it
 * (one SYN is evidence for the half-open, TRW and slow-scan rules alike):
 * refs counts the rings and held lists that point at it. Slots come in two
 * sizes: a probe or an answer of IPv4 or IPv6 without options beyond a
 * scanner's TCP ones (Ethernet 14 + IPv6 40 + TCP 40 = 94 bytes) fits a small
 * one of SLOT_SMALL_DATA bytes, whose whole slot is SLOT_SMALL_BYTES; anything
 * longer takes a big one of EVIDENCE_SNAP. A handle's top bit says which.
 */
struct slot {
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen; /* bytes in data */
	uint32_t origlen;
	int32_t linktype;
	uint32_t refs;
	uint8_t data[]; /* SLOT_SMALL_DATA or EVIDENCE_SNAP bytes of room */
};
#define SLOT_SMALL_DATA  96
#define SLOT_SMALL_BYTES (sizeof(struct slot) + SLOT_SMALL_DATA)
#define SLOT_BIG_BYTES   (sizeof(struct slot) + EVIDENCE_SNAP)
#define SLOT_SMALL       0x80000000u /* a handle's class bit */

/*
 * One entry's packets: head[i] is the i-th packet the entry noted (0: not
 * kept, or taken already), tail a circle of the latest ones past the head.
 * Most entries note a few packets (a source tracked for two probes), so the
 * ring holds the first RING_INLINE head places, and a block of the rest of the
 * head and the tail is taken only when an entry notes more.
 */
#define RING_INLINE 8
struct ring {
	uint32_t head[RING_INLINE];
	uint32_t more;     /* the block of head places RING_INLINE.. and the tail (0: none yet) */
	uint32_t noted;    /* packets noted: the next one's ordinal */
	uint32_t taken;    /* head positions taken already (given to a record) */
	uint32_t given;    /* packets given to records: at most EVIDENCE_MAX */
	uint64_t last_gen; /* the packet noted last, to keep a packet once */
};

struct ring_more {
	uint32_t head[EVIDENCE_HEAD - RING_INLINE];
	uint32_t tail[EVIDENCE_TAIL];
	uint32_t tail_ord[EVIDENCE_TAIL];
};

/* A held-back source's packets, in the order its events came. */
struct held {
	struct sw_addr src;
	uint8_t used, n;
	uint8_t claimed[EVIDENCE_HELD_MAX]; /* replay: event matched already */
	uint64_t ts[EVIDENCE_HELD_MAX];
	uint32_t slot[EVIDENCE_HELD_MAX]; /* 0: not kept */
};

/* A handshake's answer waiting for its outcome (EVIDENCE_ANSWERS). */
struct answer {
	struct sw_addr prober, target;
	uint16_t pport, tport;
	uint32_t slot; /* 0: free */
	uint64_t gen;
	uint32_t ack_slot; /* the prober's bare ACK completing the handshake (0: none) */
	uint64_t ack_gen;
};

/* The fragments of one datagram (EVIDENCE_FRAGS). */
struct fragset {
	struct sw_addr src, dst;
	uint16_t ip_id;
	uint8_t proto, n;
	uint32_t slot[EVIDENCE_FRAG_MAX];
	uint64_t gen[EVIDENCE_FRAG_MAX];
};

/* Held-source places, at most: a power of two, a sliver of the arena. */
#define EVIDENCE_HELD_PLACES_MAX 4096

/* One size of slot, the rings or their head blocks: a pool of fixed-size items numbered from 1. */
struct pool {
	uint8_t *base; /* item i at base + i * size; 0 is "none" */
	size_t size;
	uint32_t n, top, free; /* items the address space holds, first never used, free list */
};

struct evidence {
	struct pool small, big;  /* small and big slots */
	struct pool rings, more; /* rings and their head blocks */
	struct held *held;
	uint32_t nheld;         /* power of two */
	struct answer *answers; /* EVIDENCE_ANSWERS */
	struct fragset *frags;  /* EVIDENCE_FRAGS */
	uint8_t key[16];
	size_t used, limit;
	/* the current packet */
	struct evidence_frame frame;
	bool have_frame;
	uint64_t gen;       /* the counter behind frame_gen and sel_gen */
	uint64_t frame_gen; /* the current frame's number */
	uint32_t frame_slot;
	bool frame_denied; /* the budget refused to copy the current frame */
	/* replay of a released source */
	bool replaying;
	struct held replay;
	uint32_t sel_slot; /* the replayed event's packet (0: none) */
	uint64_t sel_gen;
	struct evidence_stats st;
};

size_t evidence_ring_bytes(void)
{
	return sizeof(struct ring) + sizeof(struct ring_more) + EVIDENCE_MAX * SLOT_BIG_BYTES;
}

static bool pool_init(struct pool *p, size_t size, size_t room)
{
	p->size = size;
	p->n = (uint32_t)(room / size < UINT32_MAX / 2 ? room / size : UINT32_MAX / 2);
	p->top = 1;
	/* address space for the most the budget allows; calloc'd pages are only backed by
	 * memory once touched, so the arena's footprint is what is used */
	p->base = bigmem_calloc((size_t)p->n + 1, size);
	return p->base != NULL;
}

static void *pool_at(const struct pool *p, uint32_t i)
{
	return p->base + (size_t)i * p->size;
}

/* A free item's free-list link: its last four bytes (what they held is dead by then). */
static uint32_t *pool_link(const struct pool *p, uint32_t i)
{
	return (uint32_t *)(void *)(p->base + (size_t)i * p->size + p->size - sizeof(uint32_t));
}

static void charge(struct evidence *ev, size_t bytes);
static void refund(struct evidence *ev, size_t bytes);

/* An item of p, charged to the budget; 0 when the budget or the address space is spent. */
static uint32_t pool_take(struct evidence *ev, struct pool *p)
{
	if (ev->used + p->size > ev->limit)
		return 0;
	uint32_t i = p->free;
	if (i)
		p->free = *pool_link(p, i);
	else if (p->top <= p->n)
		i = p->top++;
	else
		return 0;
	charge(ev, p->size);
	return i;
}

/* pool_take, the item zeroed (a recycled one still holds its former contents). */
static uint32_t pool_take_clear(struct evidence *ev, struct pool *p)
{
	uint32_t i = pool_take(ev, p);
	if (i)
		memset(pool_at(p, i), 0, p->size);
	return i;
}

static void pool_give(struct evidence *ev, struct pool *p, uint32_t i)
{
	*pool_link(p, i) = p->free;
	p->free = i;
	refund(ev, p->size);
}

static struct slot *slot_at(const struct evidence *ev, uint32_t h)
{
	return h & SLOT_SMALL ? pool_at(&ev->small, h & ~SLOT_SMALL) : pool_at(&ev->big, h);
}

struct evidence *evidence_create(size_t limit, const uint8_t key[16])
{
	struct evidence *ev = calloc(1, sizeof *ev);
	if (!ev)
		return NULL;
	memcpy(ev->key, key, 16);
	/* a sixteenth of the arena at most for held sources' places */
	uint32_t nheld = 16;
	while (nheld < EVIDENCE_HELD_PLACES_MAX && 2 * nheld * sizeof(struct held) <= limit / 16)
		nheld *= 2;
	ev->nheld = nheld;
	ev->used = nheld * sizeof(struct held);
	ev->limit = limit;
	if (limit < ev->used + evidence_ring_bytes())
		goto fail; /* not even one detection's packets */
	size_t room = limit - ev->used;
	ev->held = calloc(nheld, sizeof *ev->held);
	ev->answers = calloc(EVIDENCE_ANSWERS, sizeof *ev->answers);
	ev->frags = calloc(EVIDENCE_FRAGS, sizeof *ev->frags);
	if (!pool_init(&ev->small, SLOT_SMALL_BYTES, room) ||
	    !pool_init(&ev->big, SLOT_BIG_BYTES, room) ||
	    !pool_init(&ev->rings, sizeof(struct ring), room) ||
	    !pool_init(&ev->more, sizeof(struct ring_more), room) || !ev->held || !ev->answers ||
	    !ev->frags)
		goto fail;
	ev->st.limit = limit;
	ev->st.bytes = ev->st.bytes_max = ev->used;
	return ev;
fail:
	evidence_destroy(ev);
	return NULL;
}

void evidence_destroy(struct evidence *ev)
{
	if (!ev)
		return;
	free(ev->small.base);
	free(ev->big.base);
	free(ev->more.base);
	free(ev->rings.base);
	free(ev->held);
	free(ev->answers);
	free(ev->frags);
	free(ev);
}

static void charge(struct evidence *ev, size_t bytes)
{
	ev->used += bytes;
	ev->st.bytes = ev->used;
	if (ev->used > ev->st.bytes_max)
		ev->st.bytes_max = ev->used;
}

static void refund(struct evidence *ev, size_t bytes)
{
	ev->used -= bytes;
	ev->st.bytes = ev->used;
}

/* A slot with room for caplen bytes (small when they fit); 0 when the budget refuses. */
static uint32_t slot_alloc(struct evidence *ev, uint32_t caplen)
{
	if (caplen <= SLOT_SMALL_DATA) {
		uint32_t i = pool_take(ev, &ev->small);
		return i ? i | SLOT_SMALL : 0;
	}
	return pool_take(ev, &ev->big);
}

static void slot_unref(struct evidence *ev, uint32_t h)
{
	if (!h || --slot_at(ev, h)->refs)
		return;
	if (h & SLOT_SMALL)
		pool_give(ev, &ev->small, h & ~SLOT_SMALL);
	else
		pool_give(ev, &ev->big, h);
}

void evidence_frame(struct evidence *ev, const struct evidence_frame *f)
{
	slot_unref(ev, ev->frame_slot); /* the last frame's own reference (frame_slot) */
	ev->have_frame = f != NULL;
	if (f)
		ev->frame = *f;
	ev->frame_gen = ++ev->gen;
	ev->frame_slot = 0;
	ev->frame_denied = false;
}

/* The current frame's slot, copying it on first use; 0 when the budget refuses. The frame
 * holds a reference of its own until the next frame: a detection that takes the packet
 * (evidence_take) drops its reference while other rules may still note the same packet, and
 * without the frame's the copy would go back to the arena under them, to be overwritten by
 * the next packet. */
static uint32_t frame_slot(struct evidence *ev)
{
	if (ev->frame_slot || ev->frame_denied)
		return ev->frame_slot;
	const struct evidence_frame *f = &ev->frame;
	uint32_t caplen = f->caplen < EVIDENCE_SNAP ? f->caplen : EVIDENCE_SNAP;
	uint32_t i = slot_alloc(ev, caplen);
	if (!i) {
		ev->frame_denied = true;
		return 0;
	}
	struct slot *p = slot_at(ev, i);
	p->ts_sec = f->ts_sec;
	p->ts_nsec = f->ts_nsec;
	p->caplen = caplen;
	p->origlen = f->wirelen;
	p->linktype = f->linktype;
	memcpy(p->data, f->data, caplen);
	p->refs = 1;
	ev->frame_slot = i;
	ev->st.copied++;
	return i;
}

/* Puts packet slot (of generation gen; 0: the packet was not kept) in the ring. */
static void ring_put(struct evidence *ev, struct ring *r, uint32_t slot, uint64_t gen)
{
	if (r->last_gen == gen)
		return;
	r->last_gen = gen;
	uint32_t ord = r->noted++;
	if (!slot) {
		ev->st.not_kept++;
		return;
	}
	if (ord < RING_INLINE) {
		slot_at(ev, slot)->refs++;
		ev->st.kept++;
		r->head[ord] = slot;
		return;
	}
	if (!r->more && !(r->more = pool_take_clear(ev, &ev->more))) {
		ev->st.not_kept++; /* the budget refused the block */
		return;
	}
	struct ring_more *m = pool_at(&ev->more, r->more);
	slot_at(ev, slot)->refs++;
	ev->st.kept++;
	if (ord < EVIDENCE_HEAD) {
		m->head[ord - RING_INLINE] = slot;
		return;
	}
	unsigned k = (ord - EVIDENCE_HEAD) % EVIDENCE_TAIL;
	slot_unref(ev, m->tail[k]);
	m->tail[k] = slot;
	m->tail_ord[k] = ord;
}

static struct ring *ring_of(struct evidence *ev, uint32_t *ring)
{
	if (!*ring) {
		*ring = pool_take_clear(ev, &ev->rings);
		if (!*ring) {
			ev->st.not_kept++;
			return NULL;
		}
	}
	return pool_at(&ev->rings, *ring);
}

void evidence_note(struct evidence *ev, uint32_t *ring, uint64_t ts_us)
{
	uint32_t slot;
	uint64_t gen;
	if (ev->replaying) {
		slot = ev->sel_slot;
		gen = ev->sel_gen;
		if (!slot)
			return; /* counted as held_lost once, when the event was selected */
	} else {
		if (!ev->have_frame || ev->frame.ts_us != ts_us)
			return;
		gen = ev->frame_gen;
		if (*ring && ((struct ring *)pool_at(&ev->rings, *ring))->last_gen == gen)
			return;
		slot = frame_slot(ev);
	}
	struct ring *r = ring_of(ev, ring);
	if (r)
		ring_put(ev, r, slot, gen);
}

static struct answer *answer_place(struct evidence *ev, const struct sw_addr *prober,
                                   const struct sw_addr *target, uint16_t pport, uint16_t tport)
{
	struct {
		struct sw_addr a, b;
		uint16_t p, t;
	} k;
	memset(&k, 0, sizeof k);
	k.a = *prober;
	k.b = *target;
	k.p = pport;
	k.t = tport;
	return &ev->answers[hash_siphash13(ev->key, &k, sizeof k) % EVIDENCE_ANSWERS];
}

static bool answer_is(const struct answer *a, const struct sw_addr *prober,
                      const struct sw_addr *target, uint16_t pport, uint16_t tport)
{
	return a->slot && a->pport == pport && a->tport == tport &&
	       memcmp(&a->prober, prober, sizeof *prober) == 0 &&
	       memcmp(&a->target, target, sizeof *target) == 0;
}

bool evidence_wants(const struct sw_packet *pkt)
{
	if (pkt->flags & PKT_F_FRAG)
		return true; /* evidence_fragment */
	if (!(pkt->flags & PKT_F_HAS_L4))
		return false;
	/* evidence_answer: a SYN-ACK, an SCTP INIT-ACK (RFC 9260 3.3.3), a bare ACK */
	if (pkt->proto == 6)
		return (pkt->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) ||
		       (pkt->tcp_flags == TCP_ACK && !pkt->payload_len);
	return pkt->proto == 132 && pkt->sctp.chunk_type == 2;
}

void evidence_answer(struct evidence *ev, const struct sw_packet *pkt)
{
	if (!ev->have_frame || ev->frame.ts_us != pkt->ts_us || !(pkt->flags & PKT_F_HAS_L4))
		return;
	bool synack = pkt->proto == 6 &&
	              (pkt->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK);
	bool initack = pkt->proto == 132 && pkt->sctp.chunk_type == 2; /* RFC 9260 3.3.3 */
	if (pkt->proto == 6 && pkt->tcp_flags == TCP_ACK && !pkt->payload_len) {
		/* the prober's ACK completing a handshake whose SYN-ACK is kept: a connect scan's
		 * probe, without which its replay would read as half-open */
		struct answer *a = answer_place(ev, &pkt->src, &pkt->dst, pkt->sport, pkt->dport);
		if (!answer_is(a, &pkt->src, &pkt->dst, pkt->sport, pkt->dport) || a->ack_slot)
			return;
		uint32_t slot = frame_slot(ev);
		if (slot) {
			slot_at(ev, slot)->refs++;
			a->ack_slot = slot;
			a->ack_gen = ev->frame_gen;
		}
		return;
	}
	if (!synack && !initack)
		return;
	/* the answer goes from the target to the prober */
	struct answer *a = answer_place(ev, &pkt->dst, &pkt->src, pkt->dport, pkt->sport);
	uint32_t slot = frame_slot(ev);
	if (!slot)
		return;
	slot_unref(ev, a->slot); /* the place's former answer, if any, is forgotten */
	slot_unref(ev, a->ack_slot);
	a->ack_slot = 0;
	slot_at(ev, slot)->refs++;
	a->prober = pkt->dst;
	a->target = pkt->src;
	a->pport = pkt->dport;
	a->tport = pkt->sport;
	a->slot = slot;
	a->gen = ev->frame_gen;
}

static struct fragset *frag_place(struct evidence *ev, const struct sw_packet *p, bool *same)
{
	struct {
		struct sw_addr a, b;
		uint16_t id;
		uint8_t proto;
	} k;
	memset(&k, 0, sizeof k);
	k.a = p->src;
	k.b = p->dst;
	k.id = p->ip_id;
	k.proto = p->proto;
	struct fragset *f = &ev->frags[hash_siphash13(ev->key, &k, sizeof k) % EVIDENCE_FRAGS];
	*same = f->n && f->ip_id == p->ip_id && f->proto == p->proto &&
	        memcmp(&f->src, &p->src, sizeof p->src) == 0 &&
	        memcmp(&f->dst, &p->dst, sizeof p->dst) == 0;
	return f;
}

void evidence_fragment(struct evidence *ev, const struct sw_packet *pkt)
{
	if (!ev->have_frame || ev->frame.ts_us != pkt->ts_us || !(pkt->flags & PKT_F_FRAG))
		return;
	bool same;
	struct fragset *f = frag_place(ev, pkt, &same);
	if (!same) { /* another datagram's place: it is forgotten */
		for (unsigned i = 0; i < f->n; i++)
			slot_unref(ev, f->slot[i]);
		memset(f, 0, sizeof *f);
		f->src = pkt->src;
		f->dst = pkt->dst;
		f->ip_id = pkt->ip_id;
		f->proto = pkt->proto;
	}
	if (f->n >= EVIDENCE_FRAG_MAX)
		return;
	uint32_t slot = frame_slot(ev);
	if (!slot)
		return;
	slot_at(ev, slot)->refs++;
	f->slot[f->n] = slot;
	f->gen[f->n] = ev->frame_gen;
	f->n++;
}

void evidence_note_event(struct evidence *ev, uint32_t *ring, const struct sw_event *e)
{
	const struct sw_packet *p = e->pkt;
	/* The handshake's completing ACK is kept with the connection's outcome, after its SYN-ACK
	 * (evidence_answer): its own event would put it before that answer. */
	if (!p || e->outcome == OUT_ESTABLISHED)
		return;
	bool same;
	if ((p->flags & PKT_F_FRAG) && (frag_place(ev, p, &same), same)) {
		/* the probe a defragmented datagram made: its fragments are its packets (a held
		 * probe's too, replayed later, while its datagram's place is not taken) */
		const struct fragset *f = frag_place(ev, p, &same);
		struct ring *r = ring_of(ev, ring);
		for (unsigned i = 0; r && i < f->n; i++)
			ring_put(ev, r, f->slot[i], f->gen[i]);
		return;
	}
	/* an outcome the prober's own packet brings (its RST after a SYN-ACK, its ACK or FIN
	 * of a connect): the target's answer before it shows what it learned */
	if (!ev->replaying && e->type == EV_OUTCOME && (p->proto == 6 || p->proto == 132) &&
	    (e->outcome == OUT_HALFOPEN || e->outcome == OUT_EMPTY || e->outcome == OUT_SUCCESS) &&
	    memcmp(&p->src, &e->src, sizeof p->src) == 0) {
		struct answer *a = answer_place(ev, &p->src, &p->dst, p->sport, p->dport);
		if (answer_is(a, &p->src, &p->dst, p->sport, p->dport)) {
			struct ring *r = ring_of(ev, ring);
			if (r)
				ring_put(ev, r, a->slot, a->gen);
			if (r && a->ack_slot)
				ring_put(ev, r, a->ack_slot, a->ack_gen);
		}
	}
	evidence_note(ev, ring, p->ts_us);
}

void evidence_release(struct evidence *ev, uint32_t *ring)
{
	if (!*ring)
		return;
	struct ring *r = pool_at(&ev->rings, *ring);
	for (unsigned i = 0; i < RING_INLINE; i++)
		slot_unref(ev, r->head[i]);
	if (r->more) {
		struct ring_more *m = pool_at(&ev->more, r->more);
		for (unsigned i = 0; i < EVIDENCE_HEAD - RING_INLINE; i++)
			slot_unref(ev, m->head[i]);
		for (unsigned i = 0; i < EVIDENCE_TAIL; i++)
			slot_unref(ev, m->tail[i]);
		pool_give(ev, &ev->more, r->more);
	}
	pool_give(ev, &ev->rings, *ring);
	*ring = 0;
}

static void pack_put(struct evidence *ev, struct evidence_pack *out, uint32_t *slot, uint32_t ord)
{
	if (!*slot)
		return;
	const struct slot *p = slot_at(ev, *slot);
	if (!evidence_pack_put(out, p->ts_sec, p->ts_nsec, p->caplen, p->origlen, p->linktype, ord,
	                       p->data))
		ev->st.not_kept++; /* a link type past 16 bits, or past the pack's interfaces */
	slot_unref(ev, *slot);
	*slot = 0;
}

uint32_t evidence_take(struct evidence *ev, uint32_t ring, struct evidence_pack *out)
{
	evidence_pack_clear(out);
	if (!ring)
		return 0;
	struct ring *r = pool_at(&ev->rings, ring);
	uint32_t head = r->noted < EVIDENCE_HEAD ? r->noted : EVIDENCE_HEAD;
	struct ring_more *m = r->more ? pool_at(&ev->more, r->more) : NULL;
	for (uint32_t i = r->taken; i < head; i++)
		if (i < RING_INLINE)
			pack_put(ev, out, &r->head[i], i);
		else if (m)
			pack_put(ev, out, &m->head[i - RING_INLINE], i);
	r->taken = head;
	if (r->noted > EVIDENCE_HEAD && m) {
		/* the tail, oldest first (the circle's next place to write is its oldest), and
		 * only the latest of it once the detection has had EVIDENCE_MAX packets: a
		 * detection opened past the head gave the tail of then with its OPEN */
		uint32_t past = r->noted - EVIDENCE_HEAD;
		uint32_t n = past < EVIDENCE_TAIL ? past : EVIDENCE_TAIL;
		uint32_t start = past < EVIDENCE_TAIL ? 0 : past % EVIDENCE_TAIL;
		uint32_t held = 0;
		for (uint32_t k = 0; k < n; k++)
			held += m->tail[(start + k) % EVIDENCE_TAIL] != 0;
		uint32_t room = EVIDENCE_MAX - r->given - out->n;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t j = (start + k) % EVIDENCE_TAIL;
			if (!m->tail[j])
				continue;
			if (held-- > room) { /* older than the room left: dropped */
				slot_unref(ev, m->tail[j]);
				m->tail[j] = 0;
				continue;
			}
			pack_put(ev, out, &m->tail[j], m->tail_ord[j]);
		}
	}
	r->given += out->n;
	return out->n;
}

static struct held *held_place(struct evidence *ev, const struct sw_addr *src)
{
	uint64_t h = hash_siphash13(ev->key, src, sizeof *src);
	return &ev->held[h & (ev->nheld - 1)];
}

static void held_clear(struct evidence *ev, struct held *b)
{
	for (unsigned i = 0; i < b->n; i++)
		slot_unref(ev, b->slot[i]);
	memset(b, 0, sizeof *b);
}

void evidence_hold(struct evidence *ev, const struct sw_addr *src, uint64_t pkt_ts_us,
                   uint64_t ts_us, bool first)
{
	if (!ev->have_frame || ev->frame.ts_us != pkt_ts_us)
		return;
	struct held *b = held_place(ev, src);
	if (first || !b->used || memcmp(&b->src, src, sizeof *src) != 0) {
		/* a new hold, or another source's place: only the latest holder keeps one */
		held_clear(ev, b);
		b->src = *src;
		b->used = 1;
	}
	if (b->n >= EVIDENCE_HELD_MAX)
		return;
	uint32_t slot = frame_slot(ev);
	if (slot)
		slot_at(ev, slot)->refs++;
	b->ts[b->n] = ts_us;
	b->slot[b->n] = slot;
	b->n++;
}

void evidence_unhold(struct evidence *ev, const struct sw_addr *src)
{
	struct held *b = held_place(ev, src);
	memset(&ev->replay, 0, sizeof ev->replay);
	if (b->used && memcmp(&b->src, src, sizeof *src) == 0) {
		ev->replay = *b; /* its references move to the replay */
		memset(b, 0, sizeof *b);
	}
	ev->replaying = true;
	ev->sel_slot = 0;
}

void evidence_replay_event(struct evidence *ev, uint64_t ts_us)
{
	/* selects the replayed event's packet: the first unclaimed one of its time */
	ev->sel_slot = 0;
	ev->sel_gen = ++ev->gen;
	for (unsigned i = 0; i < ev->replay.n; i++)
		if (!ev->replay.claimed[i] && ev->replay.ts[i] == ts_us) {
			ev->replay.claimed[i] = 1;
			ev->sel_slot = ev->replay.slot[i];
			break;
		}
	if (!ev->sel_slot)
		ev->st.held_lost++;
}

void evidence_unhold_done(struct evidence *ev)
{
	held_clear(ev, &ev->replay);
	ev->replaying = false;
	ev->sel_slot = 0;
}

void evidence_get_stats(const struct evidence *ev, struct evidence_stats *out)
{
	*out = ev->st;
}
