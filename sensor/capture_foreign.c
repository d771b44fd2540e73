/* capture_foreign.c — Sun snoop, Network Monitor, ERF and Sniffer files turned into a pcap stream
 * on the fly (fopencookie) that libpcap reads as if it were the file (capture_foreign.h).
 *
 * A responder is handed what the device wrote: snoop files come from Solaris snoop(1M) and
 * Check Point's `fw monitor -o`, Network Monitor files (.cap) from Windows (Network Monitor 2
 * and 3, Message Analyzer's export). libpcap reads neither, so each record is rewritten as a
 * pcap record (pcap-savefile(5)) with its times and lengths, and its link type mapped to the
 * DLT the decoders take.
 *
 * Formats, as their documents state them:
 *   snoop  RFC 1761: a 16-byte header ("snoop\0\0\0", version 2, datalink type), then
 *          records of original length, included length, record length (padding the data to
 *          a 4-byte boundary), cumulative drops, seconds and microseconds: all big-endian.
 *   netmon Microsoft's Netmon.h (CAPTUREFILE_HEADER_VALUES, FRAME): after the signature
 *          ("RTSS" 1.x, "GMBU" 2.x), the version, the media type, the start of the capture
 *          (a SYSTEMTIME, taken as UTC), then the frame table's offset and length: the table
 *          lists each frame's offset in the file, 4 bytes each. A 1.x frame starts with the
 *          time since the start in milliseconds (4 bytes), then original and included length
 *          (2 bytes each); a 2.x frame with microseconds (8 bytes) and the two lengths (4
 *          bytes each). All little-endian. From version 2.1 on, each frame's data is followed
 *          by the frame's own media type (2 bytes), which then decides over the file's (as
 *          Network Monitor 3 writes: a file may mix adapters). Media types 0xE000 + N carry
 *          pcap link type N; 0xFFE0 and above are event, filter and network-information
 *          records, not packets.
 *   netxray NetXRay and Sniffer for Windows (Sniffer Pro, Distributed Sniffer: .cap, .caz
 *          unzipped). No published specification: the layout is what Wireshark's
 *          wiretap/netxray.c has established from real captures. A 128-byte header ("XCP\0"
 *          and a version "001.000" to "002.003"; "VL\0\0" before 1.0): the start time in
 *          seconds (byte 12), the packets' first byte and the byte after the last (24, 28: when
 *          the first is the greater, the capture buffer went round and the packets run to the
 *          file's end, then on from byte 128), the NDIS medium (44, less one unless byte 45
 *          is 2), the time unit (48), the start tick count (52, 8 bytes), realtick (76), the
 *          capture type (84: which pod took an Ethernet capture). Records: a 64-bit tick count,
 *          the original and included lengths (2 bytes each; one length and 6 bytes before
 *          1.0), then 16 (1.x) or 28 (2.x) bytes more. Ticks are milliseconds before 1.1,
 * microseconds in 1.1, and in 2.x per the time unit and capture type (netxray_tps). All
 *          little-endian.
 */
#include "scanwatch/capture_foreign.h"
#include "scanwatch/capture_zip.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define FOREIGN_PEEK      4 /* bytes that tell the formats apart */
#define FOREIGN_ERF_PROBE 4 /* ERF records that must look sound before a file is taken for one */

/* The link types written into the pcap header: LINKTYPE_ values (pcap-linktype(7)), which are
 * what a file holds (DLT_RAW, say, is 12 or 14 in memory but LINKTYPE_RAW, 101, in a file). */
enum {
	LT_ETHERNET = 1,
	LT_IEEE802_5 = 6,
	LT_FDDI = 10,
	LT_PPP_HDLC = 50,
	LT_RAW = 101,
	LT_C_HDLC = 104,
	LT_SUNATM = 123,
};
#define FOREIGN_TABLE_BUF 1024 /* frame-table entries read at a time */
#define PCAP_HDR_LEN      24
#define PCAP_REC_LEN      16

struct capture_foreign {
	FILE *in;
	enum capture_foreign_kind kind;
	/* what the reader gets next: buf[off..len) (the pcap header, then one record at a time) */
	unsigned char *buf;
	size_t len, off;
	bool done, failed;
	char err[192];
	uint64_t records; /* records of the input looked at (for messages) */
	uint64_t skipped;
	char skipped_what[96];
	int dlt; /* the stream's link type; -1 until known */
	/* Network Monitor */
	unsigned ver_major, ver_minor;
	uint16_t media; /* the file's media type */
	uint64_t start_us;
	uint64_t file_size; /* 0: not a plain file (snoop is read on as a stream) */
	uint64_t table_off, table_n, table_i;
	uint32_t table[FOREIGN_TABLE_BUF];
	uint64_t table_base; /* index of table[0] */
	size_t table_have;
	/* NetXRay / Sniffer for Windows */
	uint64_t pos;                  /* offset of the next byte read */
	uint64_t data_start, data_end; /* the packets' first byte and the byte after the last */
	uint64_t tps;                  /* time-stamp ticks per second */
	uint64_t start_ticks;          /* the tick count of the start time */
	unsigned rec_hdr_len;          /* 12 (NetXRay before 1.0), 24 (1.x) or 40 (2.x) */
	bool wrapped, wrapped_round;   /* a circular buffer's file; read past its physical end */
};

enum capture_foreign_kind capture_foreign_kind(const struct capture_foreign *fz)
{
	return fz->kind;
}

const char *capture_foreign_name(const struct capture_foreign *fz)
{
	switch (fz->kind) {
	case CAPTURE_FOREIGN_SNOOP:
		return "snoop";
	case CAPTURE_FOREIGN_NETMON1:
		return "Network Monitor 1.x";
	case CAPTURE_FOREIGN_NETMON2:
		return "Network Monitor 2.x";
	case CAPTURE_FOREIGN_ERF:
		return "ERF";
	case CAPTURE_FOREIGN_NETXRAY:
		return "NetXRay/Sniffer";
	default:
		return "";
	}
}

const char *capture_foreign_error(const struct capture_foreign *fz)
{
	return fz->err[0] ? fz->err : NULL;
}

uint64_t capture_foreign_skipped(const struct capture_foreign *fz, char *what, size_t whatlen)
{
	if (whatlen)
		snprintf(what, whatlen, "%s", fz->skipped_what);
	return fz->skipped;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4); /* host order: libpcap reads either */
}

static void put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

__attribute__((format(printf, 2, 3))) static bool fail(struct capture_foreign *fz, const char *fmt,
                                                       ...)
{
	if (!fz->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(fz->err, sizeof fz->err, fmt, ap);
		va_end(ap);
		fz->failed = true;
	}
	return false;
}

/* Reads exactly n bytes; false at the end of the input or on an error. */
static bool get(struct capture_foreign *fz, void *p, size_t n)
{
	return fread(p, 1, n, fz->in) == n;
}

/* Passes over n bytes (padding, the part of a packet past the snapshot length). */
static bool skip(struct capture_foreign *fz, uint64_t n)
{
	unsigned char tmp[4096];
	if (n == 0)
		return true;
	if (fz->file_size && n <= INT64_MAX && fseeko(fz->in, (off_t)n, SEEK_CUR) == 0)
		return true; /* a plain file */
	while (n > 0) {
		size_t k = n < sizeof tmp ? (size_t)n : sizeof tmp;
		if (!get(fz, tmp, k))
			return false;
		n -= k;
	}
	return true;
}

static void pcap_header(struct capture_foreign *fz)
{
	unsigned char *h = fz->buf;
	put32(h, 0xa1b2c3d4u); /* microsecond times */
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);
	put32(h + 12, 0);
	put32(h + 16, CAPTURE_FOREIGN_SNAPLEN);
	put32(h + 20, (uint32_t)fz->dlt);
}

/* Writes the record header for keep bytes already at buf + PCAP_REC_LEN. */
static void pcap_record(struct capture_foreign *fz, uint64_t ts_us, uint32_t orig, uint32_t keep)
{
	unsigned char *r = fz->buf;
	put32(r, (uint32_t)(ts_us / 1000000));
	put32(r + 4, (uint32_t)(ts_us % 1000000));
	put32(r + 8, keep);
	put32(r + 12, orig > keep ? orig : keep);
	fz->len = PCAP_REC_LEN + keep;
	fz->off = 0;
}

/* Counts a frame left out; the first one's reason (other_dlt: of another link type than the
 * stream's, else of a media type no decoder takes) is what the message says. */
static void note_skipped(struct capture_foreign *fz, bool other_dlt, unsigned v)
{
	if (fz->skipped++ == 0)
		snprintf(fz->skipped_what, sizeof fz->skipped_what,
		         other_dlt ? "the first is of link type %u, not the first frame's"
		                   : "the first is of media type %u, which no decoder here reads",
		         v);
}

/* ---- snoop (RFC 1761) ---------------------------------------------------------------------- */

/* RFC 1761's datalink types, and the SunATM type Solaris adds (18). */
static int snoop_dlt(uint32_t t)
{
	switch (t) {
	case 0: /* IEEE 802.3 */
	case 4: /* Ethernet */
		return LT_ETHERNET;
	case 2: /* IEEE 802.5 Token Ring */
		return LT_IEEE802_5;
	case 8: /* FDDI */
		return LT_FDDI;
	case 18: /* Solaris: ATM with the SunATM pseudo-header */
		return LT_SUNATM;
	default:
		return -1;
	}
}

/* The next record into buf: 1, 0 at the end, -1 on a broken record. */
static int snoop_next(struct capture_foreign *fz)
{
	unsigned char h[24];
	size_t n = fread(h, 1, sizeof h, fz->in);
	if (n == 0 && !ferror(fz->in))
		return 0;
	fz->records++;
	if (n < sizeof h) {
		fail(fz, "snoop record %llu: header truncated (%zu of 24 bytes)",
		     (unsigned long long)fz->records, n);
		return -1;
	}
	uint32_t orig = be32(h), incl = be32(h + 4), reclen = be32(h + 8);
	uint32_t sec = be32(h + 16), usec = be32(h + 20);
	if ((uint64_t)reclen < 24 + (uint64_t)incl) {
		fail(fz, "snoop record %llu: record length %u is shorter than its header and data",
		     (unsigned long long)fz->records, reclen);
		return -1;
	}
	uint32_t keep = incl < CAPTURE_FOREIGN_SNAPLEN ? incl : CAPTURE_FOREIGN_SNAPLEN;
	if (!get(fz, fz->buf + PCAP_REC_LEN, keep) || !skip(fz, (uint64_t)reclen - 24 - keep)) {
		fail(fz, "snoop record %llu: truncated (%u bytes of data announced)",
		     (unsigned long long)fz->records, incl);
		return -1;
	}
	pcap_record(fz, (uint64_t)sec * 1000000 + usec, orig, keep);
	return 1;
}

/* ---- Network Monitor (Netmon.h) ------------------------------------------------------------ */

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The capture's start (a SYSTEMTIME) in microseconds since 1970; 0 when it is no date after
 * 1970 (the frames' times then count from the epoch: their order and spacing hold). */
static uint64_t systemtime_us(const unsigned char *st)
{
	unsigned y = le16(st), mo = le16(st + 2), d = le16(st + 6), h = le16(st + 8),
	         mi = le16(st + 10), s = le16(st + 12), ms = le16(st + 14);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
	    ms > 999)
		return 0;
	int64_t days = days_from_civil(y, mo, d);
	return ((uint64_t)days * 86400 + h * 3600u + mi * 60u + s) * 1000000 + ms * 1000u;
}

/* The DLT for a media type; -1 for one no decoder takes, -2 for records that are no packets. */
static int netmon_dlt(uint16_t media)
{
	if (media >= 0xffe0)
		return -2; /* NetEvent, network information, DNS cache, filter records */
	if ((media & 0xf000) == 0xe000)
		return media & 0x0fff; /* a pcap link type */
	switch (media) {
	case 1:
		return LT_ETHERNET;
	case 2:
		return LT_IEEE802_5;
	case 3:
		return LT_FDDI;
	default:
		return -1; /* ATM, IEEE 1394, 802.11 with Network Monitor's own metadata ... */
	}
}

/* The offset of frame i from the frame table. */
static bool netmon_entry(struct capture_foreign *fz, uint64_t i, uint64_t *off)
{
	if (i < fz->table_base || i >= fz->table_base + fz->table_have) {
		size_t want = fz->table_n - i < FOREIGN_TABLE_BUF ? (size_t)(fz->table_n - i)
		                                                  : FOREIGN_TABLE_BUF;
		unsigned char raw[4 * FOREIGN_TABLE_BUF];
		if (fseeko(fz->in, (off_t)(fz->table_off + 4 * i), SEEK_SET) != 0 ||
		    !get(fz, raw, 4 * want))
			return false;
		for (size_t k = 0; k < want; k++)
			fz->table[k] = le32(raw + 4 * k);
		fz->table_base = i;
		fz->table_have = want;
	}
	*off = fz->table[i - fz->table_base];
	return true;
}

/* The next packet record into buf: 1, 0 at the end, -1 on a broken frame. */
static int netmon_next(struct capture_foreign *fz)
{
	bool v1 = fz->kind == CAPTURE_FOREIGN_NETMON1;
	size_t hlen = v1 ? 8 : 16;
	bool trailer = !v1 && (fz->ver_major > 2 || (fz->ver_major == 2 && fz->ver_minor >= 1));
	while (fz->table_i < fz->table_n) {
		uint64_t i = fz->table_i++, off;
		unsigned char h[16], m[2];
		fz->records = i + 1;
		if (!netmon_entry(fz, i, &off)) {
			fail(fz, "the frame table (%llu entries at byte %llu) is truncated",
			     (unsigned long long)fz->table_n, (unsigned long long)fz->table_off);
			return -1;
		}
		if (off + hlen > fz->file_size || fseeko(fz->in, (off_t)off, SEEK_SET) != 0 ||
		    !get(fz, h, hlen)) {
			fail(fz, "frame %llu: its offset %llu is past the end of the file",
			     (unsigned long long)(i + 1), (unsigned long long)off);
			return -1;
		}
		uint64_t delta = v1 ? (uint64_t)le32(h) * 1000 : le64(h);
		uint32_t orig = v1 ? le16(h + 4) : le32(h + 8);
		uint32_t incl = v1 ? le16(h + 6) : le32(h + 12);
		if (off + hlen + incl > fz->file_size) {
			fail(fz, "frame %llu: %u bytes of data run past the end of the file",
			     (unsigned long long)(i + 1), incl);
			return -1;
		}
		uint16_t media = fz->media;
		if (trailer) {
			/* the media type follows the data; a frame that ends the file without it
			 * keeps the file's */
			if (off + hlen + incl + 2 <= fz->file_size &&
			    fseeko(fz->in, (off_t)(off + hlen + incl), SEEK_SET) == 0 &&
			    get(fz, m, 2))
				media = le16(m);
			if (fseeko(fz->in, (off_t)(off + hlen), SEEK_SET) != 0) {
				fail(fz, "frame %llu: cannot seek to byte %llu",
				     (unsigned long long)(i + 1), (unsigned long long)off);
				return -1;
			}
		}
		int dlt = netmon_dlt(media);
		if (dlt == -2)
			continue;
		if (dlt == -1) {
			note_skipped(fz, false, media);
			continue;
		}
		if (fz->dlt < 0)
			fz->dlt = dlt;
		else if (dlt != fz->dlt) {
			note_skipped(fz, true, (unsigned)dlt);
			continue;
		}
		uint32_t keep = incl < CAPTURE_FOREIGN_SNAPLEN ? incl : CAPTURE_FOREIGN_SNAPLEN;
		if (!get(fz, fz->buf + PCAP_REC_LEN, keep)) {
			fail(fz, "frame %llu: data truncated (%u bytes announced)",
			     (unsigned long long)(i + 1), incl);
			return -1;
		}
		/* a delta past 2^63 wraps: times from a hostile file only reorder, as in capture.c
		 */
		pcap_record(fz, fz->start_us + delta, orig, keep);
		return 1;
	}
	return 0;
}

/* ---- ERF (Endace) -------------------------------------------------------------------------- */

/*
 * Endace's Extensible Record Format, as its DAG cards and dagsnap write it (Endace's "ERF Types
 * Reference Guide"): records with no file header, each a 16-byte header (a little-endian
 * 32.32 fixed-point time in seconds; the type, its bit 7 saying extension headers follow; flags;
 * then big-endian the record length, the loss counter and the wire length), 8-byte extension
 * headers while their bit 7 says another follows, then the payload. Ethernet records put 2
 * bytes (offset, pad) before the frame; PoS records start with an HDLC (Cisco) or PPP header;
 * types 22 and 23 are bare IPv4 and IPv6. Padding (48) and metadata (27) records hold no
 * packet. A file has no signature, so one is taken for ERF only when it is a plain file that
 * is none of the formats with one and its first records are sound (erf_probe), as Wireshark
 * guesses.
 */
enum {
	ERF_HDLC_POS = 1,
	ERF_ETH = 2,
	ERF_COLOR_HDLC_POS = 10,
	ERF_COLOR_ETH = 11,
	ERF_DSM_COLOR_HDLC_POS = 15,
	ERF_DSM_COLOR_ETH = 16,
	ERF_COLOR_HASH_POS = 19,
	ERF_COLOR_HASH_ETH = 20,
	ERF_IPV4 = 22,
	ERF_IPV6 = 23,
	ERF_META = 27,
	ERF_PAD = 48,
};

static bool erf_eth(unsigned t)
{
	return t == ERF_ETH || t == ERF_COLOR_ETH || t == ERF_DSM_COLOR_ETH ||
	       t == ERF_COLOR_HASH_ETH;
}

static bool erf_pos(unsigned t)
{
	return t == ERF_HDLC_POS || t == ERF_COLOR_HDLC_POS || t == ERF_DSM_COLOR_HDLC_POS ||
	       t == ERF_COLOR_HASH_POS;
}

/* Whether a 16-byte header looks like an ERF record's: a type read here (or padding or
 * metadata), a length that holds the header (and an Ethernet record's 2 bytes), and for a
 * packet a wire length. Not a time: a traffic generator's files (TRex's) start at the epoch,
 * their first record at time 0; erf_probe's chain of records laid end to end, in time order,
 * is what sets an ERF file apart. */
static bool erf_sound(const unsigned char *h)
{
	unsigned type = h[8] & 0x7f, rlen = be16(h + 10), wlen = be16(h + 14);
	if (rlen < 16 || (erf_eth(type) && rlen < 18))
		return false;
	if (type == ERF_PAD || type == ERF_META)
		return true;
	return (erf_eth(type) || erf_pos(type) || type == ERF_IPV4 || type == ERF_IPV6) && wlen > 0;
}

/* Whether the plain file f starts with FOREIGN_ERF_PROBE sound records (fewer if it ends
 * sooner, but at least one packet), laid end to end to the byte and in time order (a day
 * back at most); f is left at its start. A file of another kind passes by chance about once
 * in 10^4 per record looked at: 12 of 128 types, then the lengths and times must agree. */
static bool erf_probe(FILE *f, uint64_t size)
{
	uint64_t off = 0, last = 0;
	unsigned n = 0, packets = 0;
	bool ok = true;
	while (n < FOREIGN_ERF_PROBE && off < size) {
		unsigned char h[16];
		if (off + 16 > size || fseeko(f, (off_t)off, SEEK_SET) != 0 ||
		    fread(h, 1, sizeof h, f) != sizeof h || !erf_sound(h) ||
		    off + be16(h + 10) > size) {
			ok = false;
			break;
		}
		unsigned type = h[8] & 0x7f;
		if (type != ERF_PAD && type != ERF_META) {
			uint64_t sec = le32(h + 4);
			if (packets++ > 0 && sec + 86400 < last) {
				ok = false;
				break;
			}
			last = sec > last ? sec : last;
		}
		off += be16(h + 10);
		n++;
	}
	clearerr(f);
	return fseeko(f, 0, SEEK_SET) == 0 && ok && packets > 0;
}

/* The next packet record into buf: 1, 0 at the end, -1 on a broken record. */
static int erf_next(struct capture_foreign *fz)
{
	for (;;) {
		unsigned char h[16], x[8];
		size_t n = fread(h, 1, sizeof h, fz->in);
		if (n == 0 && !ferror(fz->in))
			return 0;
		fz->records++;
		if (n < sizeof h) {
			fail(fz, "record %llu: header truncated (%zu of 16 bytes)",
			     (unsigned long long)fz->records, n);
			return -1;
		}
		unsigned type = h[8] & 0x7f, rlen = be16(h + 10), wlen = be16(h + 14);
		if (rlen < 16) {
			fail(fz, "record %llu: record length %u is shorter than its header",
			     (unsigned long long)fz->records, rlen);
			return -1;
		}
		uint32_t body = rlen - 16;
		for (bool more = h[8] & 0x80; more; more = x[0] & 0x80) { /* extension headers */
			if (body < 8 || !get(fz, x, 8)) {
				fail(fz, "record %llu: extension headers run past the record",
				     (unsigned long long)fz->records);
				return -1;
			}
			body -= 8;
		}
		int lt = -1;
		if (erf_eth(type)) {
			if (body < 2 || !skip(fz, 2)) { /* offset and pad */
				fail(fz,
				     "record %llu: Ethernet record without its 2 bytes of padding",
				     (unsigned long long)fz->records);
				return -1;
			}
			body -= 2;
			lt = LT_ETHERNET;
		} else if (type == ERF_IPV4 || type == ERF_IPV6) {
			lt = LT_RAW;
		} else if (erf_pos(type)) {
			lt = LT_C_HDLC; /* or PPP in HDLC framing: known from the data, below */
		}
		if (lt < 0) { /* padding and metadata hold no packet; other types are said */
			if (!skip(fz, body)) {
				fail(fz, "record %llu: truncated (%u bytes announced)",
				     (unsigned long long)fz->records, rlen);
				return -1;
			}
			if (type != ERF_PAD && type != ERF_META)
				note_skipped(fz, false, type);
			continue;
		}
		/* the record is padded to 8 bytes (DAG cards align them): what follows the
		 * packet's wire length is padding, not packet */
		uint32_t keep = body < wlen ? body : wlen;
		if (keep > CAPTURE_FOREIGN_SNAPLEN)
			keep = CAPTURE_FOREIGN_SNAPLEN;
		if (!get(fz, fz->buf + PCAP_REC_LEN, keep) || !skip(fz, body - keep)) {
			fail(fz, "record %llu: truncated (%u bytes announced)",
			     (unsigned long long)fz->records, rlen);
			return -1;
		}
		if (lt == LT_C_HDLC && keep >= 2 && fz->buf[PCAP_REC_LEN] == 0xff &&
		    fz->buf[PCAP_REC_LEN + 1] == 0x03)
			lt = LT_PPP_HDLC; /* RFC 1662 address and control */
		if (fz->dlt < 0)
			fz->dlt = lt;
		else if (lt != fz->dlt) {
			note_skipped(fz, true, (unsigned)lt);
			continue;
		}
		uint64_t ts = le64(h);
		uint64_t us =
		    (ts >> 32) * 1000000 + (((ts & 0xffffffffu) * 1000000 + (1u << 31)) >> 32);
		pcap_record(fz, us, wlen, keep);
		return 1;
	}
}

/* ---- NetXRay and Sniffer for Windows ----------------------------------------------------- */

#define NETXRAY_HDR_LEN 128

/* Moves to byte `to` of a plain file (a wrapped capture's second half). */
static bool seek_to(struct capture_foreign *fz, uint64_t to)
{
	if (to > INT64_MAX || fseeko(fz->in, (off_t)to, SEEK_SET) != 0)
		return false;
	fz->pos = to;
	return true;
}

/* The next packet record into buf: 1, 0 at the end, -1 on a broken record. */
static int netxray_next(struct capture_foreign *fz)
{
	unsigned char h[40];
	if (fz->wrapped && !fz->wrapped_round && fz->pos == fz->file_size) {
		/* the circular buffer's oldest packets came first: the rest start after the header
		 * and end at data_end */
		fz->wrapped_round = true;
		if (!seek_to(fz, NETXRAY_HDR_LEN)) {
			fail(fz, "cannot go back to byte %d for the wrapped buffer's rest",
			     NETXRAY_HDR_LEN);
			return -1;
		}
	}
	if (fz->pos == fz->data_end && (!fz->wrapped || fz->wrapped_round))
		return 0;
	size_t n = fread(h, 1, fz->rec_hdr_len, fz->in);
	fz->records++;
	if (n < fz->rec_hdr_len) {
		fail(
		    fz,
		    "record %llu: header truncated (%zu of %u bytes; the packets end at byte %llu)",
		    (unsigned long long)fz->records, n, fz->rec_hdr_len,
		    (unsigned long long)fz->data_end);
		return -1;
	}
	fz->pos += fz->rec_hdr_len;
	uint64_t ticks = le64(h);
	uint32_t orig = le16(h + 8), incl = fz->rec_hdr_len == 16 ? orig : le16(h + 10);
	/* 2.x Ethernet: 0xff 0xff in the header's bytes 14-15 mark 4 bytes after the frame (its
	 * FCS or junk, as Sniffer's pods left them): not part of what the decoders read */
	uint32_t pad =
	    fz->rec_hdr_len == 40 && fz->dlt == LT_ETHERNET && h[14] == 0xff && h[15] == 0xff ? 4
	                                                                                      : 0;
	uint64_t limit = fz->wrapped && !fz->wrapped_round ? fz->file_size : fz->data_end;
	if (incl < pad || fz->pos + incl > limit) {
		fail(fz, "record %llu: %u bytes of data run past byte %llu, where the packets end",
		     (unsigned long long)fz->records, incl, (unsigned long long)limit);
		return -1;
	}
	uint32_t data = incl - pad;
	uint32_t keep = data < CAPTURE_FOREIGN_SNAPLEN ? data : CAPTURE_FOREIGN_SNAPLEN;
	if (!get(fz, fz->buf + PCAP_REC_LEN, keep) || !skip(fz, (uint64_t)incl - keep)) {
		fail(fz, "record %llu: truncated (%u bytes of data announced)",
		     (unsigned long long)fz->records, incl);
		return -1;
	}
	fz->pos += incl;
	/* ticks since the start's tick count, in microseconds after the start time (both can be
	 * anything a file holds: 128-bit arithmetic, clamped to the times pcap can carry) */
	__int128 us = ((__int128)ticks - (__int128)fz->start_ticks) * 1000000 / (__int128)fz->tps +
	              (__int128)fz->start_us;
	if (us < 0)
		us = 0;
	if (us > (__int128)UINT32_MAX * 1000000)
		us = (__int128)UINT32_MAX * 1000000;
	pcap_record(fz, (uint64_t)us, orig >= pad ? orig - pad : data, keep);
	return 1;
}

/* Time-stamp ticks per second of a 2.x file, from its network type, capture type (which pod
 * took an Ethernet capture) and time unit; 0 when unknown. The values are those observed in
 * Sniffer captures (Wireshark's wiretap/netxray.c documents them; there is no published
 * specification of the format). *pod: a capture by a pod, whose 2.002 and 2.003 files count
 * ticks from 0 rather than from the header's start tick count. */
static uint64_t netxray_tps(unsigned type, unsigned captype, unsigned unit,
                            const unsigned char *realtick, bool *pod)
{
	static const uint64_t ndis[3] = {1000000, 1193000, 0},
	                      other[3] = {1000000, 1193000, 1193182};
	static const uint64_t gigpod[3] = {1000000000, 0, 31250000},
	                      pod3[3] = {1000000, 0, 1250000}, pod5[3] = {1000000, 0, 0},
	                      gigpod6[3] = {1000000000, 0, 20000000};
	*pod = false;
	if (unit >= 3)
		return 0;
	if (type != 1)
		return other[unit];
	switch (captype) {
	case 0: /* NDIS on the host's adapter: unit 2 counts what the header's realtick says */
		return unit == 2 ? le32(realtick) : ndis[unit];
	case 2:
		*pod = true;
		return gigpod[unit];
	case 3:
		*pod = true;
		return pod3[unit];
	case 5:
		*pod = true;
		return pod5[unit];
	case 6:
		*pod = true;
		return gigpod6[unit];
	default:
		return 0;
	}
}

/* Reads the 128-byte header and moves to the first packet. */
static bool netxray_open(struct capture_foreign *fz)
{
	static const char *const versions[] = {"001.000", "001.100", "002.000",
	                                       "002.001", "002.002", "002.003"};
	unsigned char h[NETXRAY_HDR_LEN];
	if (!get(fz, h, sizeof h))
		return fail(fz, "header truncated (a file starts with %d bytes of it)",
		            NETXRAY_HDR_LEN);
	fz->pos = NETXRAY_HDR_LEN;
	bool old = memcmp(h, "VL\0\0", 4) == 0;
	unsigned major = 0, minor = 0;
	if (!old) {
		size_t v = 0;
		while (v < sizeof versions / sizeof versions[0] &&
		       memcmp(h + 4, versions[v], 8) != 0)
			v++;
		if (v == sizeof versions / sizeof versions[0])
			return fail(fz, "version \"%.7s\" is not one scanwatch reads (1.0-2.003)",
			            (const char *)h + 4);
		major = v < 2 ? 1 : 2;
		minor = v < 2 ? (unsigned)v : (unsigned)v - 2;
	}
	/* the network type is NDIS's medium, less one unless the byte after it is 2 */
	unsigned network = h[44], plus = h[45], captype = h[84];
	if (plus != 0 && plus != 2)
		return fail(fz, "network type %u with %u after it is not one scanwatch reads",
		            network, plus);
	unsigned type = plus == 0 ? network + 1 : network;
	if (type == 1 || (type == 4 && major < 2)) /* WAN before 2.0: Ethernet-shaped (NDISWAN) */
		fz->dlt = LT_ETHERNET;
	else if (type == 2)
		fz->dlt = LT_IEEE802_5;
	else
		return fail(
		    fz,
		    "network type %u (capture type %u) is not one scanwatch reads (Ethernet, "
		    "Token Ring)",
		    type, captype);
	bool pod = false;
	fz->tps = old || (major == 1 && minor == 0) ? 1000
	          : major == 1                      ? 1000000
	                       : netxray_tps(type, captype, h[48], h + 76, &pod);
	if (fz->tps == 0)
		return fail(fz, "time unit %u of capture type %u: ticks per second unknown", h[48],
		            captype);
	fz->start_ticks = pod && (minor == 2 || minor == 3) ? 0 : le64(h + 52);
	fz->start_us = (uint64_t)le32(h + 12) * 1000000;
	fz->rec_hdr_len = old ? 16 : major == 1 ? 28 : 40;
	fz->data_start = le32(h + 24);
	fz->data_end = le32(h + 28);
	/* (an end past the file's is a cut file: its packets up to the cut are read, then said) */
	if (fz->data_start < NETXRAY_HDR_LEN || fz->data_end < NETXRAY_HDR_LEN ||
	    (fz->file_size && fz->data_start > fz->file_size))
		return fail(fz, "packets from byte %llu to %llu: not inside the file",
		            (unsigned long long)fz->data_start, (unsigned long long)fz->data_end);
	fz->wrapped = fz->data_start > fz->data_end;
	if (fz->wrapped && !fz->file_size)
		return fail(fz,
		            "a capture whose buffer went round is read from two places: give the "
		            "file itself (not a pipe, not compressed)");
	if (!skip(fz, fz->data_start - NETXRAY_HDR_LEN))
		return fail(fz, "the packets' start (byte %llu) is past the end of the file",
		            (unsigned long long)fz->data_start);
	fz->pos = fz->data_start;
	pcap_header(fz);
	fz->len = PCAP_HDR_LEN;
	return true;
}

/* The next packet record of any foreign format into buf: 1, 0 at the end, -1 when broken. */
static int next_record(struct capture_foreign *fz)
{
	switch (fz->kind) {
	case CAPTURE_FOREIGN_SNOOP:
		return snoop_next(fz);
	case CAPTURE_FOREIGN_ERF:
		return erf_next(fz);
	case CAPTURE_FOREIGN_NETXRAY:
		return netxray_next(fz);
	default:
		return netmon_next(fz);
	}
}

/* ---- the stream libpcap reads -------------------------------------------------------------- */

static ssize_t foreign_read(void *cookie, char *out, size_t n)
{
	struct capture_foreign *fz = cookie;
	/* One record at a time, as read(2) gives what is there: a snoop stream written into a
	 * FIFO bit by bit is read as it comes, not once a whole buffer of it has. */
	if (fz->off == fz->len && !fz->done) {
		int r = next_record(fz);
		if (r <= 0) {
			fz->done = true;
			if (r < 0)
				return -1;
		}
	}
	size_t k = fz->len - fz->off;
	if (k > n)
		k = n;
	memcpy(out, fz->buf + fz->off, k);
	fz->off += k;
	return (ssize_t)k;
}

static int foreign_close(void *cookie)
{
	struct capture_foreign *fz = cookie;
	int r = 0;
	if (fz->in && fz->in != stdin)
		r = fclose(fz->in);
	free(fz->buf);
	free(fz);
	return r;
}

static bool first_record(struct capture_foreign *fz);

static const cookie_io_functions_t foreign_io = {.read = foreign_read, .close = foreign_close};

/* Reads the snoop header. */
static bool snoop_open(struct capture_foreign *fz)
{
	unsigned char h[16];
	if (!get(fz, h, sizeof h))
		return fail(fz, "snoop header truncated");
	if (memcmp(h, "snoop\0\0\0", 8) != 0)
		return fail(fz, "not a snoop file (bad identification pattern)");
	uint32_t ver = be32(h + 8), type = be32(h + 12);
	if (ver != 2)
		return fail(fz, "snoop version %u (RFC 1761 defines version 2)", ver);
	fz->dlt = snoop_dlt(type);
	if (fz->dlt < 0)
		return fail(fz,
		            "snoop datalink type %u is not one scanwatch reads (Ethernet, "
		            "Token Ring, FDDI, SunATM)",
		            type);
	pcap_header(fz);
	fz->len = PCAP_HDR_LEN;
	return true;
}

/* Reads the Network Monitor header, and the first packet (whose link type is the stream's). */
static bool netmon_open(struct capture_foreign *fz)
{
	unsigned char h[32];
	if (!fz->file_size)
		return fail(fz,
		            "a Network Monitor file is read through its frame table, which ends "
		            "the file: give the file itself (not a pipe, not compressed)");
	if (!get(fz, h, sizeof h))
		return fail(fz, "Network Monitor header truncated");
	fz->ver_minor = h[4];
	fz->ver_major = h[5];
	fz->media = le16(h + 6);
	fz->start_us = systemtime_us(h + 8);
	fz->table_off = le32(h + 24);
	fz->table_n = le32(h + 28) / 4;
	if ((fz->kind == CAPTURE_FOREIGN_NETMON1) != (fz->ver_major == 1))
		return fail(fz, "signature and version %u disagree", fz->ver_major);
	if (fz->table_off + 4 * fz->table_n > fz->file_size)
		return fail(fz,
		            "the frame table (%llu entries at byte %llu) runs past the end of the "
		            "file",
		            (unsigned long long)fz->table_n, (unsigned long long)fz->table_off);
	return first_record(fz);
}

/* Reads the first packet record (whose link type is the stream's) and puts the pcap header
 * before it; false when it is broken. */
static bool first_record(struct capture_foreign *fz)
{
	int r = next_record(fz);
	if (r < 0)
		return false;
	if (r == 0) { /* no packet at all: an empty capture of Ethernet */
		fz->done = true;
		fz->dlt = fz->dlt < 0 ? LT_ETHERNET : fz->dlt;
		pcap_header(fz);
		fz->len = PCAP_HDR_LEN;
		fz->off = 0;
		return true;
	}
	/* buf holds the first record: move it behind the pcap header */
	memmove(fz->buf + PCAP_HDR_LEN, fz->buf, fz->len);
	pcap_header(fz);
	fz->len += PCAP_HDR_LEN;
	fz->off = 0;
	return true;
}

/* The signatures libpcap reads: pcap in either byte order, with microseconds, nanoseconds or
 * Kuznetzov's modified records, and pcapng's Section Header Block. */
static bool pcap_magic(const unsigned char *p, size_t n)
{
	static const uint32_t magic[] = {0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1,
	                                 0xa1b2cd34, 0x34cdb2a1, 0x0a0d0d0a};
	if (n < 4)
		return false;
	uint32_t v = le32(p);
	for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
		if (v == magic[i])
			return true;
	return false;
}

static enum capture_foreign_kind sniff(const unsigned char *p, size_t n)
{
	if (n < FOREIGN_PEEK)
		return CAPTURE_FOREIGN_NONE;
	if (memcmp(p, "snoo", 4) == 0)
		return CAPTURE_FOREIGN_SNOOP;
	if (memcmp(p, "RTSS", 4) == 0)
		return CAPTURE_FOREIGN_NETMON1;
	if (memcmp(p, "GMBU", 4) == 0)
		return CAPTURE_FOREIGN_NETMON2;
	if (memcmp(p, "XCP\0", 4) == 0 || memcmp(p, "VL\0\0", 4) == 0)
		return CAPTURE_FOREIGN_NETXRAY;
	return CAPTURE_FOREIGN_NONE;
}

FILE *capture_foreign_open(FILE *f, struct capture_zip *z, const char *path,
                           struct capture_foreign **fzp, char *err, size_t errlen)
{
	unsigned char peek[FOREIGN_PEEK];
	size_t n;
	uint64_t size = 0; /* a plain file's (which can seek); 0 for capture_zip's stream */
	*fzp = NULL;
	if (z) {
		n = capture_zip_peek(z, peek, sizeof peek); /* nothing taken from the reader */
	} else {
		struct stat sb;
		n = fread(peek, 1, sizeof peek, f);
		clearerr(f);
		if (fseeko(f, 0, SEEK_SET) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode))
			size = (uint64_t)sb.st_size;
	}
	enum capture_foreign_kind kind = sniff(peek, n);
	if (kind == CAPTURE_FOREIGN_NONE && size && !pcap_magic(peek, n) && erf_probe(f, size))
		kind = CAPTURE_FOREIGN_ERF;
	if (kind == CAPTURE_FOREIGN_NONE)
		return f; /* libpcap's to read, from its first byte */
	struct capture_foreign *fz = calloc(1, sizeof *fz);
	if (!fz || !(fz->buf = malloc(PCAP_HDR_LEN + PCAP_REC_LEN + CAPTURE_FOREIGN_SNAPLEN))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(fz);
		goto fail;
	}
	fz->in = f;
	fz->kind = kind;
	fz->dlt = -1;
	fz->file_size = size;
	bool ok = kind == CAPTURE_FOREIGN_SNOOP     ? snoop_open(fz)
	          : kind == CAPTURE_FOREIGN_ERF     ? first_record(fz)
	          : kind == CAPTURE_FOREIGN_NETXRAY ? netxray_open(fz)
	                                            : netmon_open(fz);
	FILE *g = NULL;
	if (!ok)
		snprintf(err, errlen, "%s: %s: %s", path, capture_foreign_name(fz), fz->err);
	else if (!(g = fopencookie(fz, "rb", foreign_io)))
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (!g) {
		free(fz->buf);
		free(fz);
		goto fail;
	}
	*fzp = fz;
	return g;
fail:
	if (f != stdin)
		fclose(f);
	return NULL;
}
