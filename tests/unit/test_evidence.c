/* test_evidence.c — the evidence arena and rings: what a detection keeps, and the bounds. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/evidence.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* Packet i: 300 bytes (more than the snap), each byte i + its offset, at time 1000 s + i ms. */
static uint8_t frame_bytes[300];

static void set_frame(struct evidence *ev, uint32_t i)
{
	for (size_t k = 0; k < sizeof frame_bytes; k++)
		frame_bytes[k] = (uint8_t)(i + k);
	struct evidence_frame f = {
	    .data = frame_bytes,
	    .caplen = sizeof frame_bytes,
	    .wirelen = 1514,
	    .ts_sec = 1000 + i / 1000,
	    .ts_nsec = (i % 1000) * 1000000 + 7, /* nanoseconds a microsecond capture lacks */
	    .linktype = 1,
	    .ts_us = (1000ULL + i / 1000) * 1000000 + (i % 1000) * 1000,
	};
	evidence_frame(ev, &f);
}

static uint64_t ts_of(uint32_t i)
{
	return (1000ULL + i / 1000) * 1000000 + (i % 1000) * 1000;
}

/* Notes packets [from, to) into the ring. */
static void note_range(struct evidence *ev, uint32_t *ring, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++) {
		set_frame(ev, i);
		evidence_note(ev, ring, ts_of(i));
	}
	evidence_frame(ev, NULL);
}

struct nth {
	uint32_t want, at;
	struct evidence_view v;
};

static int nth_one(void *ctx, const struct evidence_view *k)
{
	struct nth *w = ctx;
	if (w->at++ != w->want)
		return 0;
	w->v = *k;
	return 1;
}

/* Packet i of a pack, read back from its pcapng section (which must hold it). */
static struct evidence_view pkt_at(const struct evidence_pack *pk, uint32_t i)
{
	struct nth w = {.want = i};
	const char *why;
	CHECK_EQ_U(evidence_ng_walk(pk->ng, pk->len, nth_one, &w, &why), 1);
	return w.v;
}

/* The packet with ordinal ord is packet ord's copy, cut to the snap. */
static void check_pkt(struct evidence_view v, uint32_t ord)
{
	const struct evidence_view *p = &v;

	CHECK_EQ_U(p->ordinal, ord);
	CHECK_EQ_U(p->caplen, EVIDENCE_SNAP);
	CHECK_EQ_U(p->origlen, 1514);
	CHECK_EQ_U(p->ts_sec, 1000 + ord / 1000);
	CHECK_EQ_U(p->ts_nsec, (ord % 1000) * 1000000 + 7);
	CHECK_EQ_U(p->linktype, 1);
	CHECK_EQ_U(p->data[0], (uint8_t)ord);
	CHECK_EQ_U(p->data[EVIDENCE_SNAP - 1], (uint8_t)(ord + EVIDENCE_SNAP - 1));
}

static struct evidence *make(size_t limit)
{
	struct evidence *ev = evidence_create(limit, key);
	CHECK(ev != NULL);
	return ev;
}

/* A detection opened early: OPEN has what opened it, CLOSE the rest of the head and the
 * last EVIDENCE_TAIL, never more than EVIDENCE_MAX in all. */
static void test_open_early(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_stats st0, st;
	evidence_get_stats(ev, &st0);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	uint32_t ring = 0;
	note_range(ev, &ring, 0, 10);
	CHECK(ring != 0);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 10);
	for (uint32_t i = 0; i < 10; i++)
		check_pkt(pkt_at(pk, i), i);
	note_range(ev, &ring, 10, 100);
	CHECK_EQ_U(evidence_take(ev, ring, pk), EVIDENCE_MAX - 10);
	for (uint32_t i = 0; i < EVIDENCE_HEAD - 10; i++)
		check_pkt(pkt_at(pk, i), 10 + i);
	for (uint32_t k = 0; k < EVIDENCE_TAIL; k++)
		check_pkt(pkt_at(pk, EVIDENCE_HEAD - 10 + k), 100 - EVIDENCE_TAIL + k);
	/* nothing left to give, however many packets come */
	note_range(ev, &ring, 100, 120);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 0);
	evidence_release(ev, &ring);
	CHECK_EQ_U(ring, 0);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.bytes, st0.bytes); /* everything given back */
	CHECK_EQ_U(st.kept, 120);
	CHECK_EQ_U(st.copied, 120);
	CHECK_EQ_U(st.not_kept, 0);
	free(pk);
	evidence_destroy(ev);
}

/* A detection opened past the head: its OPEN has the head and the tail of then, its CLOSE
 * nothing more (the per-detection bound), and a tail shorter than EVIDENCE_TAIL works. */
static void test_open_late(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	uint32_t ring = 0;
	const uint32_t opened = EVIDENCE_HEAD + 13;
	note_range(ev, &ring, 0, opened);
	CHECK_EQ_U(evidence_take(ev, ring, pk), EVIDENCE_MAX);
	check_pkt(pkt_at(pk, 0), 0);
	check_pkt(pkt_at(pk, EVIDENCE_HEAD - 1), EVIDENCE_HEAD - 1);
	check_pkt(pkt_at(pk, EVIDENCE_HEAD), opened - EVIDENCE_TAIL);
	check_pkt(pkt_at(pk, EVIDENCE_MAX - 1), opened - 1);
	note_range(ev, &ring, opened, opened + 15);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 0);
	evidence_release(ev, &ring);

	/* a short tail: EVIDENCE_HEAD + 3 packets in all, taken at once at CLOSE */
	note_range(ev, &ring, 0, EVIDENCE_HEAD + 3);
	CHECK_EQ_U(evidence_take(ev, ring, pk), EVIDENCE_HEAD + 3);
	check_pkt(pkt_at(pk, EVIDENCE_HEAD + 2), EVIDENCE_HEAD + 2);
	evidence_release(ev, &ring);
	free(pk);
	evidence_destroy(ev);
}

/* One packet noted by three rules' entries is copied once and kept three times; the same
 * packet noted twice by one entry is kept once; an event about another packet (its time is
 * not the frame's) and an event with no frame (a timeout) keep nothing. */
static void test_sharing(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct evidence_stats st0, st;
	evidence_get_stats(ev, &st0);
	uint32_t a = 0, b = 0, c = 0;
	set_frame(ev, 5);
	evidence_note(ev, &a, ts_of(5));
	evidence_note(ev, &a, ts_of(5));
	evidence_note(ev, &b, ts_of(5));
	evidence_note(ev, &c, ts_of(5));
	evidence_note(ev, &c, ts_of(6)); /* not this packet's event */
	evidence_frame(ev, NULL);
	evidence_note(ev, &c, ts_of(5)); /* no packet now */
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.copied, 1);
	CHECK_EQ_U(st.kept, 3);
	CHECK(a && b && c && a != b && b != c);
	CHECK_EQ_U(evidence_take(ev, a, pk), 1);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 5);
	CHECK_EQ_U(pkt_at(pk, 0).ordinal, 0);
	evidence_release(ev, &a);
	CHECK_EQ_U(evidence_take(ev, b, pk), 1);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 5); /* the copy outlived a's reference */
	evidence_release(ev, &b);
	evidence_release(ev, &c);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.bytes, st0.bytes);
	free(pk);
	evidence_destroy(ev);
}

/* The budget: the arena never holds more than its limit, what it refuses is counted, and
 * what is given back can be used again. */
static void test_budget(void)
{
	CHECK(evidence_create(100, key) == NULL); /* not even one detection's packets */

	size_t limit = 64 << 10;
	struct evidence *ev = make(limit);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct evidence_stats st, base;
	evidence_get_stats(ev, &base);
	CHECK(base.bytes <= limit / 16); /* the held table: a sixteenth at most */
	uint32_t rings[64] = {0};
	/* 64 entries of 40 packets each want far more than 64 KiB */
	for (unsigned r = 0; r < 64; r++)
		for (uint32_t i = 0; i < 40; i++) {
			set_frame(ev, r * 40 + i); /* packets of their own: no sharing */
			evidence_note(ev, &rings[r], ts_of(r * 40 + i));
		}
	evidence_frame(ev, NULL);
	evidence_get_stats(ev, &st);
	CHECK(st.bytes <= limit);
	CHECK(st.bytes_max <= limit);
	CHECK(st.not_kept > 0);
	CHECK(st.kept > 0);
	/* every note was either kept or counted: a ring refused counts its packet too */
	CHECK_EQ_U(st.kept + st.not_kept, 40 * 64);
	uint64_t kept = 0;
	for (unsigned r = 0; r < 64; r++) {
		if (rings[r])
			kept += evidence_take(ev, rings[r], pk);
		evidence_release(ev, &rings[r]);
	}
	CHECK(kept > 0);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.bytes, base.bytes); /* only the held table is left */
	/* and the arena works again */
	uint32_t ring = 0;
	note_range(ev, &ring, 0, 3);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 3);
	evidence_release(ev, &ring);
	free(pk);
	evidence_destroy(ev);
}

/*
 * A probe-sized packet takes a small slot (less of the budget than a big one) and comes back
 * whole; a ring's head places past its first few come in a block, which a ring that needs
 * them takes later and clean even when it was another ring's before.
 */
static void test_sizes_and_blocks(void)
{
	struct evidence *ev = make(64 << 10);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct evidence_stats st0, st1, st2;
	uint32_t small = 0, big = 0;

	/* 74 bytes: an IPv4 SYN with a scanner's TCP options, on Ethernet */
	evidence_get_stats(ev, &st0);
	for (size_t k = 0; k < sizeof frame_bytes; k++)
		frame_bytes[k] = (uint8_t)(0x40 + k);
	struct evidence_frame f = {.data = frame_bytes,
	                           .caplen = 74,
	                           .wirelen = 74,
	                           .ts_sec = 1000,
	                           .linktype = 1,
	                           .ts_us = 1000000000ULL};
	evidence_frame(ev, &f);
	evidence_note(ev, &small, f.ts_us);
	evidence_frame(ev, NULL);
	evidence_get_stats(ev, &st1);
	note_range(ev, &big, 0, 1);
	evidence_get_stats(ev, &st2);
	CHECK(st1.bytes - st0.bytes < st2.bytes - st1.bytes); /* (each with its ring) */
	CHECK(st2.bytes - st1.bytes - (st1.bytes - st0.bytes) >= EVIDENCE_SNAP - 96);
	CHECK_EQ_U(evidence_take(ev, small, pk), 1);
	CHECK_EQ_U(pkt_at(pk, 0).caplen, 74);
	CHECK_EQ_U(pkt_at(pk, 0).origlen, 74);
	for (unsigned k = 0; k < 74; k++) /* (frame_bytes holds packet 0 by now) */
		CHECK_EQ_U(pkt_at(pk, 0).data[k], (uint8_t)(0x40 + k));
	CHECK_EQ_U(evidence_take(ev, big, pk), 1);
	check_pkt(pkt_at(pk, 0), 0);
	evidence_release(ev, &small);
	evidence_release(ev, &big);

	/* ring a takes a block (12 packets) and gives it back */
	uint32_t a = 0, b = 0, x[32] = {0};
	note_range(ev, &a, 0, 12);
	CHECK_EQ_U(evidence_take(ev, a, pk), 12);
	evidence_release(ev, &a);
	/* ring b: 8 packets, then its 9th refused (rings x hold the budget), its 10th kept
	 * once they are gone: place 8 of the block it takes then must be empty, not a's */
	note_range(ev, &b, 100, 108);
	evidence_get_stats(ev, &st0);
	for (uint32_t r = 0, i = 1000; r < 32; r++) {
		evidence_get_stats(ev, &st1);
		if (st1.not_kept > st0.not_kept)
			break;
		for (uint32_t k = 0; k < EVIDENCE_HEAD; k++, i++) {
			set_frame(ev, i);
			evidence_note(ev, &x[r], ts_of(i));
		}
	}
	evidence_frame(ev, NULL);
	evidence_get_stats(ev, &st1);
	CHECK(st1.not_kept > st0.not_kept); /* the budget is spent */
	note_range(ev, &b, 108, 109);
	evidence_get_stats(ev, &st2);
	CHECK_EQ_U(st2.not_kept, st1.not_kept + 1);
	for (uint32_t r = 0; r < 32; r++)
		evidence_release(ev, &x[r]);
	note_range(ev, &b, 109, 110);
	CHECK_EQ_U(evidence_take(ev, b, pk), 9);
	for (uint32_t k = 0; k < 9 && k < pk->n; k++) {
		uint32_t id = k < 8 ? 100 + k : 109;
		CHECK_EQ_U(pkt_at(pk, k).ordinal, k < 8 ? k : 9);
		CHECK_EQ_U(pkt_at(pk, k).data[0], (uint8_t)id);
		CHECK_EQ_U(pkt_at(pk, k).ts_nsec, (id % 1000) * 1000000 + 7);
	}
	evidence_release(ev, &b);
	evidence_get_stats(ev, &st2);
	evidence_destroy(ev);
	free(pk);
}

/* Held-back sources: their packets wait by source and go to the entries when replayed. */
static void test_held(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct evidence_stats st0, st;
	evidence_get_stats(ev, &st0);
	struct sw_addr a, b;
	CHECK(addr_parse("198.18.0.1", &a) == 0);
	CHECK(addr_parse("198.18.0.9", &b) == 0);
	/* an old hold of a, superseded by a new one (admit recycled the record) */
	set_frame(ev, 1);
	evidence_hold(ev, &a, ts_of(1), ts_of(1), true);
	/* the new hold: three events, the last twice in one microsecond (probe, answer) */
	for (uint32_t i = 2; i < 5; i++) {
		set_frame(ev, i);
		evidence_hold(ev, &a, ts_of(i), ts_of(i), i == 2);
	}
	set_frame(ev, 5);
	evidence_hold(ev, &b, ts_of(5), ts_of(5), true);
	/* a's release: replayed events 2, 3, 4, then one the table never had (lost) */
	set_frame(ev, 6);
	uint32_t r1 = 0, r2 = 0;
	evidence_unhold(ev, &a);
	for (uint32_t i = 2; i < 6; i++) {
		evidence_replay_event(ev, ts_of(i));
		evidence_note(ev, &r1, ts_of(i));
		evidence_note(ev, &r2, ts_of(i)); /* a second rule's entry */
	}
	evidence_unhold_done(ev);
	evidence_note(ev, &r1, ts_of(6)); /* the releasing packet itself */
	evidence_frame(ev, NULL);
	CHECK_EQ_U(evidence_take(ev, r1, pk), 4);
	CHECK_EQ_U(pkt_at(pk, 0).ordinal, 0);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 2);
	CHECK_EQ_U(pkt_at(pk, 0).ts_nsec, 2 * 1000000 + 7);
	CHECK_EQ_U(pkt_at(pk, 1).data[0], 3);
	CHECK_EQ_U(pkt_at(pk, 2).data[0], 4);
	CHECK_EQ_U(pkt_at(pk, 3).data[0], 6);
	CHECK_EQ_U(pkt_at(pk, 3).ordinal, 3);
	CHECK_EQ_U(evidence_take(ev, r2, pk), 3);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.held_lost, 1);
	evidence_release(ev, &r1);
	evidence_release(ev, &r2);
	/* b's packet waits still; a new hold taking its place gives it back */
	evidence_unhold(ev, &b);
	evidence_unhold_done(ev);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.bytes, st0.bytes);
	free(pk);
	evidence_destroy(ev);
}

/* A SYN-ACK is no event: it is kept by flow and noted before the outcome the prober's RST
 * brings, so the open port's answer is in the sample; another flow's outcome does not get it. */
static void test_answers(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct sw_packet synack = {0}, rst = {0};
	struct sw_addr prober, target;
	CHECK(addr_parse("198.18.0.1", &prober) == 0);
	CHECK(addr_parse("198.18.0.2", &target) == 0);
	synack.flags = PKT_F_HAS_L4;
	synack.proto = 6;
	synack.tcp_flags = TCP_SYN | TCP_ACK;
	synack.src = target;
	synack.dst = prober;
	synack.sport = 80;
	synack.dport = 40000;
	synack.ts_us = ts_of(7);
	set_frame(ev, 7);
	evidence_answer(ev, &synack);
	/* the prober's bare ACK completes the handshake (a connect scan), then its RST */
	struct sw_packet ack = synack;
	ack.tcp_flags = TCP_ACK;
	ack.src = prober;
	ack.dst = target;
	ack.sport = 40000;
	ack.dport = 80;
	ack.ts_us = ts_of(8);
	set_frame(ev, 8);
	evidence_answer(ev, &ack);
	rst = ack;
	rst.tcp_flags = TCP_RST | TCP_ACK;
	rst.ts_us = ts_of(9);
	struct sw_event out = {.type = EV_OUTCOME,
	                       .outcome = OUT_EMPTY,
	                       .proto = 6,
	                       .port = 80,
	                       .ts_us = ts_of(9),
	                       .src = prober,
	                       .dst = target,
	                       .pkt = &rst};
	set_frame(ev, 9);
	uint32_t ring = 0, other = 0;
	evidence_note_event(ev, &ring, &out);
	/* the same outcome shape on another port: that flow had no SYN-ACK */
	rst.dport = 81;
	out.port = 81;
	evidence_note_event(ev, &other, &out);
	evidence_frame(ev, NULL);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 3);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 7); /* the SYN-ACK, the ACK, then the RST */
	CHECK_EQ_U(pkt_at(pk, 1).data[0], 8);
	CHECK_EQ_U(pkt_at(pk, 2).data[0], 9);
	CHECK_EQ_U(evidence_take(ev, other, pk), 1);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 9);
	evidence_release(ev, &ring);
	evidence_release(ev, &other);
	free(pk);
	evidence_destroy(ev);
}

/* A fragmented probe's event comes with the rebuilt packet: the ring gets its fragments. */
static void test_fragments(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct sw_packet frag = {0};
	CHECK(addr_parse("198.18.0.1", &frag.src) == 0);
	CHECK(addr_parse("198.18.0.2", &frag.dst) == 0);
	frag.flags = PKT_F_FRAG;
	frag.proto = 6;
	frag.ip_id = 0x75c0;
	for (uint32_t i = 20; i < 23; i++) {
		frag.ts_us = ts_of(i);
		set_frame(ev, i);
		evidence_fragment(ev, &frag);
	}
	/* another datagram's fragment (another IP ID) is not this probe's */
	frag.ip_id = 0x75c1;
	frag.ts_us = ts_of(23);
	set_frame(ev, 23);
	evidence_fragment(ev, &frag);
	frag.ip_id = 0x75c0;
	frag.flags = PKT_F_FRAG | PKT_F_HAS_L4; /* the rebuilt probe, at its last fragment */
	frag.ts_us = ts_of(22);
	struct sw_event probe = {.type = EV_PROBE,
	                         .proto = 6,
	                         .port = 199,
	                         .ts_us = ts_of(22),
	                         .src = frag.src,
	                         .dst = frag.dst,
	                         .pkt = &frag};
	uint32_t ring = 0;
	evidence_note_event(ev, &ring, &probe);
	evidence_frame(ev, NULL);
	CHECK_EQ_U(evidence_take(ev, ring, pk), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ_U(pkt_at(pk, i).data[0], 20 + i);
	evidence_release(ev, &ring);
	free(pk);
	evidence_destroy(ev);
}

/*
 * A packet's copy is shared by every entry that notes it; the first entry's detection may
 * take its packets (and drop its reference) while the same packet is still being noted by
 * other rules. The copy must outlive that: before the fix, the current frame's copy went
 * back to the arena when its only reference was dropped, the next entries of that packet
 * were given the freed copy, and the next packet overwrote it, so one entry held the later
 * packet in its place, under several ordinals (seen on test_workers' many.pcap: one SYN
 * stored 18 times in a distributed scan's evidence).
 */
static void test_taken_mid_frame(void)
{
	struct evidence *ev = make(4 << 20);
	struct evidence_pack *pk = evidence_pack_new(EVIDENCE_MAX);
	struct evidence_stats st0, st;
	evidence_get_stats(ev, &st0);
	uint32_t a = 0, b = 0, c = 0;
	set_frame(ev, 7);
	evidence_note(ev, &a, ts_of(7));
	CHECK_EQ_U(evidence_take(ev, a, pk), 1); /* a's detection opens on packet 7 */
	evidence_release(ev, &a);
	evidence_note(ev, &b, ts_of(7));    /* another rule takes the same packet */
	for (uint32_t i = 8; i < 12; i++) { /* later packets, noted elsewhere */
		set_frame(ev, i);
		evidence_note(ev, &c, ts_of(i));
	}
	evidence_frame(ev, NULL);
	CHECK_EQ_U(evidence_take(ev, b, pk), 1);
	CHECK_EQ_U(pkt_at(pk, 0).ordinal, 0);
	CHECK_EQ_U(pkt_at(pk, 0).ts_nsec, 7000007);
	CHECK_EQ_U(pkt_at(pk, 0).data[0], 7);
	CHECK_EQ_U(pkt_at(pk, 0).data[EVIDENCE_SNAP - 1], (uint8_t)(7 + EVIDENCE_SNAP - 1));
	CHECK_EQ_U(evidence_take(ev, c, pk), 4);
	for (uint32_t i = 0; i < 4 && i < pk->n; i++)
		CHECK_EQ_U(pkt_at(pk, i).data[0], 8 + i);
	evidence_release(ev, &b);
	evidence_release(ev, &c);
	evidence_get_stats(ev, &st);
	CHECK_EQ_U(st.bytes, st0.bytes); /* every copy given back, none twice */
	free(pk);
	evidence_destroy(ev);
}

int main(void)
{
	test_taken_mid_frame();
	test_fragments();
	test_answers();
	test_open_early();
	test_open_late();
	test_sharing();
	test_budget();
	test_held();
	test_sizes_and_blocks();
	CHECK_DONE();
}
