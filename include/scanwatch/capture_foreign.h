/* capture_foreign.h — capture files in formats libpcap does not read (Sun snoop, Microsoft
 * Network Monitor, Endace ERF, NetXRay and Sniffer for Windows), given to libpcap as a pcap
 * stream made on the fly. */
#ifndef SCANWATCH_CAPTURE_FOREIGN_H
#define SCANWATCH_CAPTURE_FOREIGN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a file turned out to be, from its first bytes (never its name). */
enum capture_foreign_kind {
	CAPTURE_FOREIGN_NONE = 0, /* not one of these: libpcap's to read (pcap, pcapng) */
	CAPTURE_FOREIGN_SNOOP,    /* RFC 1761: Solaris snoop, Check Point fw monitor -o */
	CAPTURE_FOREIGN_NETMON1,  /* Network Monitor 1.x ("RTSS") */
	CAPTURE_FOREIGN_NETMON2,  /* Network Monitor 2.x ("GMBU"): Network Monitor 2 and 3 */
	CAPTURE_FOREIGN_ERF,      /* Endace ERF (DAG cards, dagsnap): no signature (see the .c) */
	CAPTURE_FOREIGN_NETXRAY,  /* NetXRay, Sniffer for Windows ("XCP\0"; "VL\0\0" before 1.0) */
};

/* The longest packet given to libpcap (its MAXIMUM_SNAPLEN): a longer one is cut to it. */
#define CAPTURE_FOREIGN_SNAPLEN 262144

struct capture_foreign;

/*
 * Looks at the first bytes of f, as capture_zip_open gave it (z: its stream, NULL for a plain
 * file), without taking them from libpcap. A snoop, Network Monitor, NetXRay/Sniffer or ERF file
 * (ERF has no signature: only a plain file whose first records are sound is taken for one) gives a
 * new stream of the same packets as a pcap file (microsecond times; link type of the file, or of
 * its first packet), which takes f over (closing it closes f), and sets *fz. Anything else
 * gives f itself, at its first byte, and *fz NULL. A Network Monitor file is read through its
 * frame table, and a NetXRay/Sniffer file whose circular buffer went round from two places,
 * so either must be a plain file. NULL with "PATH: why" in err (f is then closed).
 */
struct capture_zip;
FILE *capture_foreign_open(FILE *f, struct capture_zip *z, const char *path,
                           struct capture_foreign **fz, char *err, size_t errlen);

enum capture_foreign_kind capture_foreign_kind(const struct capture_foreign *fz);
/* "snoop", "Network Monitor 1.x", "Network Monitor 2.x", "ERF", "NetXRay/Sniffer". */
const char *capture_foreign_name(const struct capture_foreign *fz);
/* Why reading stopped ("snoop record 12: ..."), or NULL. */
const char *capture_foreign_error(const struct capture_foreign *fz);
/* Frames not given to libpcap (another link type than the stream's, or a media type no
 * decoder takes), and what the first of them was; 0 when none. Records that are no packets
 * (Network Monitor's event, filter and network-information records) are not counted. */
uint64_t capture_foreign_skipped(const struct capture_foreign *fz, char *what, size_t whatlen);

#endif
