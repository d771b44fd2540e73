/* admit.h — the waiting room: sources held back from per-rule tracking until they could matter. */
#ifndef SCANWATCH_ADMIT_H
#define SCANWATCH_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/classify.h"
#include "scanwatch/hash.h"
#include "scanwatch/packet.h"

/*
 * Most sources a sensor sees never probe a second service: a flood's forged
 * addresses, a client reconnecting to the one server it uses. Giving each of
 * them an entry in every source-grouped rule's table (about a kilobyte a rule)
 * is what made a million-source flood cost gigabytes and cache misses. The
 * detection engine instead holds a source's events here, one compact record
 * per source, for as long as they are all about one service (one target, one
 * port, one probe class) and one packet shape: no source-grouped rule can
 * cross its threshold on such events (detect.c checks that of the rule set),
 * so holding them changes no detection. The first event that is about
 * anything else releases the record: the engine replays the held events, in
 * order and with their own times and packets, into the rules, exactly as if
 * they had been processed when they arrived, and then processes the new one.
 *
 * The record keeps the first probe's decoded packet (less the ICMP quote and
 * fragment pointer, which a probe never carries), and for each event only what
 * differs between probes of one shape (times, source port, IP ID, TTL,
 * sequence numbers, TCP timestamp, flow label), so a replayed packet is the
 * packet the rules would have seen. The packet itself, less its addresses, is
 * kept once for all the records that share it (a flood's forged sources do).
 */

/* Events held after the first probe; one more releases the record (a source
 * that keeps at one service that long is tracked like any other). */
#define ADMIT_LATER 4

/* One held event, as what sets it apart from the first probe (32 bytes): the times, the
 * packet's per-probe fields (SW_PACKET_PER_PROBE in packet.h) and the event's bits. */
struct admit_item {
	uint32_t dts;  /* event time minus the first event's, microseconds */
	int32_t dpkt;  /* its packet's capture time minus the event time */
	uint32_t bits; /* flow label (20 bits), type, outcome, crafted, repeat, has_pkt */
#define X(name, member, type) type name;
	SW_PACKET_PER_PROBE(X)
#undef X
};

/* A released record: the held events, for replay. */
struct admit_held {
	struct sw_addr src, dst;
	uint64_t ts0; /* the first event's time */
	uint16_t port;
	uint8_t pclass, proto;
	uint8_t n; /* items used: item[0] is the first probe */
	/* the first probe's packet with the per-probe fields zeroed: its shape, the bytes
	 * before its ICMP quote and fragment pointer (a probe has neither; packet.h) */
	uint8_t shape[SW_PACKET_SHAPE_BYTES];
	struct admit_item item[1 + ADMIT_LATER];
};

struct admit;

/* At most max_records held sources (oldest recycled first); NULL on allocation failure. */
struct admit *admit_create(size_t max_records, const uint8_t key[16]);
void admit_destroy(struct admit *a);
/* Bytes one held source costs (record plus bucket share), for dividing a memory budget. */
size_t admit_record_size(void);

enum admit_verdict {
	ADMIT_NONE = 0, /* no record for this source */
	ADMIT_HELD,     /* the event joined the source's record: nothing else to do */
	ADMIT_RELEASED, /* the record was taken into *out: replay it, then process the event */
};

/* Offers an event of a source (h: the source's keyed hash) to its record, if any. */
enum admit_verdict admit_offer(struct admit *a, const struct sw_event *ev, uint64_t h,
                               struct admit_held *out);
/* Opens a record with a first probe; false when the probe cannot be held (no packet
 * copy is possible, or its shape is new and its bucket chain is at the cap), in which case
 * the caller processes it. */
bool admit_hold(struct admit *a, const struct sw_event *ev, uint64_t h);
/* Event i of a released record (0: the first probe): fills *ev and, when the event
 * had a packet, *pkt (ev->pkt then points at it). */
size_t admit_count(const struct admit_held *hd);
void admit_replay(const struct admit_held *hd, size_t i, struct sw_event *ev,
                  struct sw_packet *pkt);
/* Forgets records whose last event is older than now - keep_us (their events could
 * no longer be in any rule's state). Returns when the next one is due (UINT64_MAX: none). */
uint64_t admit_expire(struct admit *a, uint64_t now, uint64_t keep_us);
/* Drops every record (rules replaced). */
void admit_clear(struct admit *a);
void admit_get_stats(const struct admit *a, struct htab_stats *out);
/* Sources tracked at once because they came back after their record was recycled. */
uint64_t admit_ghost_hits(const struct admit *a);

#endif
