/* evidence_ng.h — a record's evidence packets as one pcapng section in memory: written as the
 * packets are taken, stored as one blob, read back (from a database that may be hostile). */
#ifndef SCANWATCH_EVIDENCE_NG_H
#define SCANWATCH_EVIDENCE_NG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The format is pcapng (draft-ietf-opsawg-pcapng; the IETF's text, section numbers below
 * are of draft 02), so the blob a detection's row holds opens as it is in Wireshark or
 * tcpdump (`sqlite3 DB "SELECT writefile('x.pcapng', pcapng) FROM evidence_pcapng ..."`):
 *   - a Section Header Block (4.1), version 1.0, section length unknown (-1), in the
 *     writer's byte order (the byte-order magic says which);
 *   - an Interface Description Block (4.2) before the first packet of each link type,
 *     snapshot length EVIDENCE_SNAP, option if_tsresol 9 (nanoseconds); its link type is
 *     the LINKTYPE_ value a file holds, where the sensor's is the capture's DLT_ value
 *     (LINKTYPE_RAW 101 for DLT_RAW 12, and four more: evidence_ng.c), and is read back as
 *     the DLT_ value;
 *   - an Enhanced Packet Block (4.3) per packet, in the order the detection saw them,
 *     its place among the events its detection saw (evidence.h) in the option
 *     epb_packetid (4.3.1, code 5, 64 bits), which is left out where the ordinal follows
 *     from the packet before it: the previous packet's plus one, 0 for the first. (Most
 *     do; the option and its end mark are 16 bytes, a sixth of a scan's probe packet.)
 * A time outside what 64 bits of nanoseconds since the epoch hold (before 1970, after
 * 2554) goes under an interface of whole seconds (if_tsresol 0), its fraction dropped,
 * and a time before 1970 as 0: no capture file libpcap reads has one.
 */
#define EVIDENCE_NG_IFACES 16 /* (link type, resolution) pairs one pack can name */

/* Bytes the section of n packets can take at most: the SHB, every IDB, n EPBs. */
#define EVIDENCE_NG_SHB       28u
#define EVIDENCE_NG_IDB       32u
#define EVIDENCE_NG_EPB_FIXED 48u /* an EPB but its data (padded to 4) */
#define EVIDENCE_NG_EPB_BARE  32u /* the same without its epb_packetid option */
#define EVIDENCE_NG_BYTES(n, snap)                                \
	(EVIDENCE_NG_SHB + EVIDENCE_NG_IFACES * EVIDENCE_NG_IDB + \
	 (size_t)(n) * (EVIDENCE_NG_EPB_FIXED + (((size_t)(snap) + 3u) & ~(size_t)3u)))

/* The packets that go with one record: n packets in len bytes of one pcapng section. */
struct evidence_pack {
	uint32_t n;     /* packets */
	uint32_t first; /* the first packet's ordinal (meaningful when n > 0) */
	uint32_t next;  /* the last one's plus one: an ordinal the blob need not state */
	uint32_t len;   /* bytes of ng in use (0 while empty: the SHB comes with the first) */
	uint32_t cap;   /* bytes ng can hold */
	uint32_t nif;   /* interfaces described so far */
	bool every_id;  /* state every packet's epb_packetid, implied or not (a file people read:
	                 * Wireshark shows the option, not what the blob's convention implies) */
	uint32_t iface[EVIDENCE_NG_IFACES]; /* link type | EVIDENCE_NG_SECONDS, in IDB order */
	uint8_t ng[];
};
#define EVIDENCE_NG_SECONDS 0x80000000u /* an interface of whole seconds (see above) */

/* One packet read back: borrowed from the blob for the callback's time. */
struct evidence_view {
	uint32_t ordinal;
	int64_t ts_sec;
	uint32_t ts_nsec; /* 0..999,999,999 */
	uint32_t caplen, origlen;
	int32_t linktype;
	const uint8_t *data; /* caplen bytes */
};

/* A pack for up to npkts packets of at most EVIDENCE_SNAP bytes, empty; NULL on allocation
 * failure. free() it. */
struct evidence_pack *evidence_pack_new(uint32_t npkts);
/* Empties p for the next record. */
void evidence_pack_clear(struct evidence_pack *p);
/*
 * Appends one packet (caplen bytes of data, at most EVIDENCE_SNAP; caplen <= origlen).
 * false, p unchanged, when it does not fit: no room, a link type outside 0..65535 (an IDB
 * holds 16 bits), or a pack already naming EVIDENCE_NG_IFACES interfaces.
 */
bool evidence_pack_put(struct evidence_pack *p, int64_t ts_sec, uint32_t ts_nsec, uint32_t caplen,
                       uint32_t origlen, int32_t linktype, uint32_t ordinal, const uint8_t *data);
/* Bytes evidence_pack_dup takes for p. */
size_t evidence_pack_size(const struct evidence_pack *p);
/* A copy of p with room for nothing more (cap = len); NULL on allocation failure. free() it. */
struct evidence_pack *evidence_pack_dup(const struct evidence_pack *p);

/*
 * Calls fn for each packet of the pcapng blob b (len bytes), in the blob's order, until fn
 * returns non-zero (returned). The blob may come from anywhere (a database is a file
 * anyone may have written): it is read within its len bytes whatever its numbers say,
 * in either byte order, with any number of sections, any if_tsresol, and blocks of other
 * types skipped. At the first block that cannot be read (framing, an EPB naming no
 * interface, lengths that do not fit, a time past 64-bit seconds) the walk stops: -1,
 * *why saying what. A blob of no packets is 0.
 */
int evidence_ng_walk(const uint8_t *b, size_t len,
                     int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx,
                     const char **why);

#endif
