/* evidence.h — the packets behind a detection: a budgeted packet arena, per-entry rings, and
 * the packs that go with OPEN and CLOSE records to the store. */
#ifndef SCANWATCH_EVIDENCE_H
#define SCANWATCH_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"
#include "scanwatch/classify.h"
#include "scanwatch/evidence_ng.h"
#include "scanwatch/packet.h"

/*
 * What a detection keeps, and why these numbers (every tunable of the
 * feature is here):
 *   EVIDENCE_HEAD  the first packets of the scan, probes and answers in
 *                  the order the sensor saw them: what opened it and
 *                  the first answers that show what the scanner learned.
 *                  64 packets are some 32 probes with their answers (a
 *                  connect scan's probe is a SYN, the SYN-ACK and the
 *                  ACK or RST): the shipped scan rules open within 13
 *                  probes on the real-tool corpus but for slow sweeps that
 *                  many hosts answer (fping: 64 to 106), whose sample then
 *                  holds the first packets and the 8 before the opening;
 *   EVIDENCE_TAIL  the last packets before it closed: that it went on, and
 *                  how it ended;
 *   EVIDENCE_SNAP  bytes kept of each packet: every header a scan probe
 *                  carries (Ethernet, VLAN, IPv6 with extension headers,
 *                  TCP with 40 bytes of options, an ICMP error's quote),
 *                  not the payload of an answer.
 * So a detection stores at most 72 packets of at most 256 bytes: 18,432
 * bytes of packet data, in two pcapng blobs of 22,008 bytes at most with one
 * link type (evidence_ng.h; documented in README.md and scanwatch.8 as the
 * disk bound per detection).
 */
#define EVIDENCE_HEAD 64
#define EVIDENCE_TAIL 8
#define EVIDENCE_MAX  (EVIDENCE_HEAD + EVIDENCE_TAIL)
#define EVIDENCE_SNAP 256

/*
 * Handshake answers remembered until their outcome: a SYN-ACK (SCTP INIT-ACK)
 * is no event of its own, the half-open or connect outcome comes with the
 * prober's RST or ACK after it, so the answer that shows an open port is kept
 * by flow in a direct-mapped table of this many places until then.
 */
#define EVIDENCE_ANSWERS 1024

/*
 * Fragmented probes (nmap -f): the probe event comes with the packet the
 * defragmenter rebuilt, so the fragments themselves are kept by datagram
 * (source, destination, IP ID, protocol), at most EVIDENCE_FRAG_MAX of each,
 * in a direct-mapped table of EVIDENCE_FRAGS places, and noted together with
 * the event: the sample then replays as the probe it was.
 */
#define EVIDENCE_FRAGS    256
#define EVIDENCE_FRAG_MAX 4

/* Events a held-back source (admit.h) can hold: its first probe and ADMIT_LATER more. */
#define EVIDENCE_HELD_MAX 5

/* The packet being processed, as the capture gave it (borrowed for one packet's time). */
struct evidence_frame {
	const uint8_t *data;
	uint32_t caplen, wirelen;
	int64_t ts_sec;
	uint32_t ts_nsec;
	int32_t linktype;
	uint64_t ts_us; /* the same time in microseconds: what events carry */
};

struct evidence_stats {
	uint64_t kept;         /* packet references taken into rings */
	uint64_t copied;       /* packets copied into the arena (one copy serves every ring) */
	uint64_t not_kept;     /* packets a detection's entry wanted that the budget refused, or
	                        * that its pcapng could not name (evidence_pack_put) */
	uint64_t held_lost;    /* events of held-back sources replayed without their packet */
	uint64_t bytes, limit; /* arena bytes in use now, and the most it may take */
	uint64_t bytes_max;    /* the most in use at any time */
};

struct evidence;

/*
 * An arena of at most limit bytes (slots of one packet, rings and the table
 * of held sources' packets all count), allocated as it is used. key keys the
 * held-source table. NULL when limit cannot hold anything useful or on
 * allocation failure.
 */
struct evidence *evidence_create(size_t limit, const uint8_t key[16]);
void evidence_destroy(struct evidence *ev);
/* Bytes of arena one entry's full ring of EVIDENCE_MAX packets can take (for the docs and
 * tests). */
size_t evidence_ring_bytes(void);

/* The packet whose events come next (NULL: none, e.g. timeouts); borrowed until the next
 * call. */
void evidence_frame(struct evidence *ev, const struct evidence_frame *f);

/*
 * An entry's ring is a handle in *ring (0: none yet); the entry owns it until
 * evidence_release. evidence_note adds the current frame (when ts_us is its
 * time; an event about another packet is not its evidence) to the ring,
 * making the ring on first use: the first EVIDENCE_HEAD packets, then the last
 * EVIDENCE_TAIL. The same packet noted twice in a row is kept once.
 */
void evidence_note(struct evidence *ev, uint32_t *ring, uint64_t ts_us);
/*
 * An event's packets into an entry's ring: its own packet (evidence_note) and, for an
 * outcome of a TCP or SCTP handshake, the target's answer before it (evidence_answer).
 */
void evidence_note_event(struct evidence *ev, uint32_t *ring, const struct sw_event *e);
/* The current frame, when it is a handshake's answer (SYN-ACK, SCTP INIT-ACK), is kept
 * by flow for the outcome that follows it. */
void evidence_answer(struct evidence *ev, const struct sw_packet *pkt);
/* The current frame, when it is an IP fragment, is kept by datagram for the event of the
 * packet rebuilt from it (EVIDENCE_FRAGS). */
void evidence_fragment(struct evidence *ev, const struct sw_packet *pkt);
/* Whether evidence_answer or evidence_fragment may keep the packet without an event of its
 * own (with two workers the packet thread sends only those and the events' packets). */
bool evidence_wants(const struct sw_packet *pkt);
/* Gives back the ring and its packets; *ring becomes 0. */
void evidence_release(struct evidence *ev, uint32_t *ring);
/*
 * Writes into out (evidence_pack_new(EVIDENCE_MAX), emptied first) the ring's packets not
 * taken before: at OPEN the head so far, at CLOSE the rest of the head and the tail. Their
 * arena slots are given back at once. Returns out->n.
 */
uint32_t evidence_take(struct evidence *ev, uint32_t ring, struct evidence_pack *out);

/*
 * Held-back sources (admit.h): their first events are processed only when a
 * later one releases them. The packets of those events are kept here, by
 * source (a keyed table of bounded size: a new source may take another's
 * place, whose packets are then lost, counted as held_lost when replayed),
 * and given to the entries when the events are replayed:
 *   evidence_hold     notes the current frame (pkt_ts_us: its time) for src
 *                     under the event time ts_us (first: a new hold);
 *   evidence_unhold   takes src's held packets for a replay: until
 *                     evidence_unhold_done, evidence_note adds the packet
 *                     evidence_replay_event selected, not the frame;
 *   evidence_replay_event  selects the packet of the replayed event at ts_us
 *                     (one with a packet; the first unclaimed one of that time).
 */
void evidence_hold(struct evidence *ev, const struct sw_addr *src, uint64_t pkt_ts_us,
                   uint64_t ts_us, bool first);
void evidence_unhold(struct evidence *ev, const struct sw_addr *src);
void evidence_replay_event(struct evidence *ev, uint64_t ts_us);
/* Ends a replay: held packets no entry took are given back. */
void evidence_unhold_done(struct evidence *ev);

void evidence_get_stats(const struct evidence *ev, struct evidence_stats *out);

#endif
