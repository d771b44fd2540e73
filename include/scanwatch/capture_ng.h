/* capture_ng.h — pcapng files whose interfaces libpcap will not read together.
 *
 * A pcapng file describes each capture interface in an Interface Description Block (IDB) with
 * its own link type, snapshot length and time resolution (draft-ietf-opsawg-pcapng section
 * 4.2), so one file can hold Ethernet frames from one interface and Linux cooked or raw IP
 * packets from another, as mergecap and Wireshark's multi-interface captures write. libpcap
 * (1.10, sf-pcapng.c) reads only files whose IDBs all repeat the first one's link type and
 * snapshot length, and stops at the first that does not ("an interface has a type ...
 * different from the type of the first interface"), in whatever section it comes (a
 * capture tool's sections, one per run, can each have their own snapshot length); it
 * even stops at a second raw-IP
 * interface identical to the first (it compares the first one's DLT_RAW with the next one's
 * LINKTYPE_RAW). capture.c therefore reads a file that describes more than one interface
 * as one libpcap stream per link type its packets were captured on, each made by
 * the filter below, and merges them by time as it merges several files.
 */
#ifndef SCANWATCH_CAPTURE_NG_H
#define SCANWATCH_CAPTURE_NG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Link types one file may mix; a file with more has the rest reported unread. */
#define CAPTURE_NG_MAX_TYPES 16

struct capture_ng_survey {
	uint16_t types[CAPTURE_NG_MAX_TYPES]; /* LINKTYPE_ values packets were captured on, in
	                                         the order of their first packet */
	unsigned ntypes;
	bool more;    /* packets of link types beyond CAPTURE_NG_MAX_TYPES were seen */
	bool multi;   /* the file describes more than one interface, in one section or
	                 several: libpcap may stop (it holds every IDB to the first one's link
	                 type and snapshot length, whatever its section) */
	bool packets; /* a packet block was seen, of a described interface or not */
	int if_type;  /* the first interface's link type, -1 when no section describes one */
};

/*
 * Reads the stream f (at its start) block by block, to its end, listing the link types of the
 * interfaces its packets were captured on;
 * seekable: f is a plain file, whose block bodies are skipped with fseeko rather than read.
 * 1 when f is a pcapng file (*out filled), 0 when it is not one, -1 when out of memory. A block
 * whose framing does not hold ends the walk with what was learned before it: the file's streams
 * then end there too, and libpcap says what is wrong after the packets before it, as it would have.
 * f is left at an unspecified place.
 */
int capture_ng_survey(FILE *f, bool seekable, struct capture_ng_survey *out);

/*
 * A stream of the pcapng stream f for pcap_fopen_offline(): each section describes one
 * interface of link type `keep`, with no snapshot limit and nanosecond times; the packets of
 * the section's interfaces of that link type are given as that interface's, their times
 * converted from their own interface's resolution and offset (if_tsresol, if_tsoffset), and
 * the others are left out, so libpcap reads exactly the packets of that link type. Blocks
 * whose framing does not hold (and everything after them) pass through unchanged, for libpcap
 * to judge. Takes f over: closing the returned FILE closes f. NULL when out of memory (f is
 * then still the caller's).
 */
FILE *capture_ng_filter(FILE *f, uint16_t keep);

#endif
