/* capture_ng.c — pcapng files whose interfaces libpcap will not read together (capture_ng.h).
 *
 * The block framing this relies on (draft-ietf-opsawg-pcapng, section 3.1): every block is
 * type (32 bits), total length (32 bits, a multiple of 4, at least 12, counting the whole
 * block), body, and the total length again. Numbers are in the byte order of the section,
 * which its Section Header Block (SHB, type 0x0A0D0D0A, the same in both orders) states with
 * the magic 0x1A2B3C4D right after the length. Interface IDs count the section's IDBs from 0
 * and start again at every SHB (section 4.2). The packet blocks name their interface: the
 * Enhanced Packet Block (type 6) in its first 32 bits, the obsolete Packet Block (type 2) in
 * its first 16; a Simple Packet Block (type 3) belongs to the section's first interface
 * (section 4.4).
 *
 * The filter is a stream of blocks: each block's first bytes are read, perhaps rewritten (an
 * IDB's link type and snapshot length) or the block is left out (a packet of another link
 * type), and the rest of the block is copied through in whatever pieces libpcap asks for, so
 * nothing larger than a block header is ever held.
 */
#include "scanwatch/capture_ng.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define NG_SHB        0x0A0D0D0Au
#define NG_IDB        1u
#define NG_PB         2u
#define NG_SPB        3u
#define NG_EPB        6u
#define NG_HEAD       32    /* the longest block start the filter rewrites: its own IDB */
#define NG_IDB_MAX    65536 /* a longer IDB (options) is passed to libpcap as it is */
#define NG_MAGIC      0x1A2B3C4Du
#define NG_MAX_IFACES 65536u /* more IDBs in one section: the rest of the file passes through */
#define NG_SKIP_CHUNK 16384u
#define NG_FILTER_BUF 65536

static uint32_t get32(const uint8_t *p, bool swapped)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const uint8_t *p, bool swapped)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return swapped ? __builtin_bswap16(v) : v;
}

static void put32(uint8_t *p, uint32_t v, bool swapped)
{
	v = swapped ? __builtin_bswap32(v) : v;
	memcpy(p, &v, 4);
}

static void put16(uint8_t *p, uint16_t v, bool swapped)
{
	v = swapped ? __builtin_bswap16(v) : v;
	memcpy(p, &v, 2);
}

/* Reads up to n bytes (fewer only at the end of f or on an error). */
static size_t read_full(FILE *f, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		size_t k = fread(buf + got, 1, n - got, f);
		if (k == 0)
			break;
		got += k;
	}
	return got;
}

/* Skips n bytes of f: 0, or -1 when f ends first. */
static int skip(FILE *f, uint64_t n)
{
	uint8_t sink[NG_SKIP_CHUNK];
	while (n > 0) {
		size_t k = n < sizeof sink ? (size_t)n : sizeof sink;
		if (read_full(f, sink, k) != k)
			return -1;
		n -= k;
	}
	return 0;
}

/*
 * The survey's input: f read in large pieces, and block headers taken from memory. One
 * fread and one fseeko a block cost about 430 instructions a packet, more than half of what
 * reading the packets afterwards costs (a 300,000-packet capture: 1,146M instructions to
 * replay as pcap, 1,350M as pcapng); from a buffer a block costs a few dozen.
 */
#define NG_SURVEY_BUF (256u * 1024u)
struct sv_in {
	FILE *f;
	bool seekable; /* bodies longer than what is buffered are skipped with fseeko */
	uint8_t *buf;
	size_t len, pos;
};

/* Copies the next n bytes (n <= NG_SURVEY_BUF) to dst: false when f ends first. */
static bool sv_take(struct sv_in *in, uint8_t *dst, size_t n)
{
	if (in->len - in->pos < n) {
		size_t have = in->len - in->pos;
		memmove(in->buf, in->buf + in->pos, have);
		in->len = have;
		in->pos = 0;
		while (in->len < n) {
			size_t k = fread(in->buf + in->len, 1, NG_SURVEY_BUF - in->len, in->f);
			if (k == 0)
				return false;
			in->len += k;
		}
	}
	memcpy(dst, in->buf + in->pos, n);
	in->pos += n;
	return true;
}

/* Skips n bytes: false when f ends first (a seekable file's end shows at the next read). */
static bool sv_skip(struct sv_in *in, uint64_t n)
{
	if (n <= in->len - in->pos) {
		in->pos += (size_t)n;
		return true;
	}
	n -= in->len - in->pos;
	in->pos = in->len = 0;
	if (in->seekable && n <= INT64_MAX)
		return fseeko(in->f, (off_t)n, SEEK_CUR) == 0;
	return skip(in->f, n) == 0;
}

/* The SHB's byte order from its magic (after type and length): 0 host, 1 swapped, -1 none. */
static int shb_order(const uint8_t *magic)
{
	uint32_t m;
	memcpy(&m, magic, 4);
	if (m == NG_MAGIC)
		return 0;
	if (m == __builtin_bswap32(NG_MAGIC))
		return 1;
	return -1;
}

/* The shortest block of a type: header, fixed fields, trailer (sections 4.1-4.4). */
static uint32_t min_len(uint32_t type)
{
	switch (type) {
	case NG_SHB:
		return 28;
	case NG_IDB:
		return 20;
	case NG_EPB:
	case NG_PB:
		return 32;
	case NG_SPB:
		return 16;
	default:
		return 12;
	}
}

/* A block length the framing allows. */
static bool framed(uint32_t len, uint32_t at_least)
{
	return len >= at_least && len % 4 == 0;
}

/* Adds lt to the survey's link types (those packets were seen on), once. */
static void note_type(struct capture_ng_survey *out, uint16_t lt)
{
	for (unsigned i = 0; i < out->ntypes; i++)
		if (out->types[i] == lt)
			return;
	if (out->ntypes < CAPTURE_NG_MAX_TYPES)
		out->types[out->ntypes++] = lt;
	else
		out->more = true;
}

/* The survey's walk; *iftypes holds the section's interfaces' link types (grown here). */
static int survey(struct sv_in *in, struct capture_ng_survey *out, uint16_t **iftypes)
{
	bool swapped = false, first = true;
	uint32_t nif = 0, capif = 0;

	for (;;) {
		uint8_t h[16];
		if (!sv_take(in, h, 8))
			return !first; /* the end (a cut block: libpcap says so, after the rest) */
		uint32_t type = get32(h, false); /* the SHB's type reads the same either way */
		uint32_t used = 8;
		if (first && type != NG_SHB)
			return 0; /* not pcapng */
		if (type == NG_SHB) {
			int order = sv_take(in, h + 8, 4) ? shb_order(h + 8) : -1;
			if (order < 0)
				return !first;
			swapped = order == 1;
			nif = 0;
			used = 12;
		}
		first = false;
		uint32_t len = get32(h + 4, swapped);
		type = get32(h, swapped);
		if (!framed(len, min_len(type)))
			return 1;
		if (type == NG_IDB) {
			if (!sv_take(in, h + 8, 8))
				return 1;
			used = 16;
			uint16_t lt = get16(h + 8, swapped);
			/* a second interface, in this section or a later one */
			if (out->if_type >= 0)
				out->multi = true;
			else
				out->if_type = lt;
			if (nif == capif) {
				uint32_t cap = capif ? capif * 2 : 16;
				uint16_t *p = cap <= NG_MAX_IFACES
				                  ? realloc(*iftypes, cap * sizeof *p)
				                  : NULL;
				if (!p)
					return 1;
				*iftypes = p;
				capif = cap;
			}
			(*iftypes)[nif++] = lt;
		} else if (type == NG_EPB || type == NG_PB || type == NG_SPB) {
			uint32_t id = 0;
			if (type != NG_SPB) {
				if (!sv_take(in, h + 8, 4))
					return 1;
				used = 12;
				id = type == NG_EPB ? get32(h + 8, swapped) : get16(h + 8, swapped);
			}
			out->packets = true;
			if (id < nif) /* else libpcap refuses the block, in every stream */
				note_type(out, (*iftypes)[id]);
		}
		uint64_t rest = (uint64_t)len - used;
		if (!sv_skip(in, rest))
			return 1;
	}
}

int capture_ng_survey(FILE *f, bool seekable, struct capture_ng_survey *out)
{
	uint16_t *iftypes = NULL;
	struct sv_in in = {.f = f, .seekable = seekable, .buf = malloc(NG_SURVEY_BUF)};

	memset(out, 0, sizeof *out);
	out->if_type = -1;
	if (!in.buf)
		return -1;
	int r = survey(&in, out, &iftypes);
	free(iftypes);
	free(in.buf);
	return r;
}

/* One interface of the section, as the filter needs it. */
struct ng_if {
	bool kept;     /* its link type is the one kept */
	uint8_t res;   /* if_tsresol: bit 7 set, 2^-(res & 0x7f) s; clear, 10^-res s */
	uint32_t snap; /* snapshot length, 0 for none */
	int64_t off;   /* if_tsoffset, seconds */
};

struct ng_filter {
	FILE *in;
	uint16_t keep;
	bool swapped;
	bool pass;        /* the framing broke: everything from here on is copied as it is */
	bool ended;       /* in is exhausted */
	bool idb_due;     /* a section began: its one interface goes out next */
	bool out_swapped; /* the stream's byte order: the first section's */
	bool tail_due;    /* a packet's trailer goes out next, then skip_after bytes are left out */
	uint32_t tail;
	uint64_t skip_after;
	unsigned sections;
	struct ng_if *iface;
	uint32_t nif, capif;
	uint8_t *body;         /* an IDB's body, read whole for its options */
	uint8_t head[NG_HEAD]; /* the current block's first bytes, to hand out first */
	const uint8_t *emit;   /* what goes out first: head, or body for an IDB passed on */
	size_t head_len, head_off;
	uint64_t copy; /* bytes of the current block still to copy after head */
};

__extension__ typedef unsigned __int128 ng_u128;

/*
 * A packet's time in the units of its interface, in nanoseconds (the one interface's unit).
 * Arithmetic wraps at 64 bits, as a hostile file's times may; a resolution finer than what
 * 128 bits can scale is taken as nanoseconds.
 */
static uint64_t to_ns(const struct ng_if *ifc, uint64_t ts)
{
	unsigned e = ifc->res & 0x7f;
	ng_u128 units = 0;
	if (ifc->res & 0x80) {
		if (e < 127)
			units = (ng_u128)1 << e;
	} else if (e <= 38) {
		units = 1;
		while (e--)
			units *= 10;
	}
	uint64_t ns = units ? (uint64_t)((ng_u128)ts * 1000000000u / units) : ts;
	return ns + (uint64_t)ifc->off * 1000000000u;
}

/* Notes the section's next interface from its IDB body; false when there are too many. */
static bool add_iface(struct ng_filter *g, const uint8_t *body, size_t len)
{
	if (g->nif == g->capif) {
		uint32_t cap = g->capif ? g->capif * 2 : 16;
		struct ng_if *p = cap <= NG_MAX_IFACES ? realloc(g->iface, cap * sizeof *p) : NULL;
		if (!p)
			return false;
		g->iface = p;
		g->capif = cap;
	}
	struct ng_if ifc = {.kept = get16(body, g->swapped) == g->keep,
	                    .res = 6,
	                    .snap = get32(body + 4, g->swapped)};
	/* Options after the 8 fixed bytes: code, length, value padded to 32 bits (section
	 * 3.5); if_tsresol is code 9, if_tsoffset code 14 (section 4.2). */
	for (size_t at = 8; at + 4 <= len;) {
		uint16_t code = get16(body + at, g->swapped),
		         olen = get16(body + at + 2, g->swapped);
		if (code == 0 || at + 4 + olen > len)
			break;
		if (code == 9 && olen == 1)
			ifc.res = body[at + 4];
		if (code == 14 && olen == 8) {
			uint64_t v;
			memcpy(&v, body + at + 4, 8);
			ifc.off = (int64_t)(g->swapped ? __builtin_bswap64(v) : v);
		}
		at += 4 + (size_t)olen + (-(size_t)olen & 3);
	}
	g->iface[g->nif++] = ifc;
	return true;
}

/* From here on, what was read of this block and everything after it goes out unchanged. */
static void pass_on(struct ng_filter *g, size_t have)
{
	g->head_len = have;
	g->head_off = 0;
	g->copy = 0;
	g->pass = true;
}

/* The stream's one interface: the kept link type, no snapshot limit, nanoseconds. */
static void put_idb(struct ng_filter *g)
{
	uint8_t *h = g->head;
	bool o = g->out_swapped;
	put32(h, NG_IDB, o);
	put32(h + 4, 32, o);
	put16(h + 8, g->keep, o);
	put16(h + 10, 0, o);
	put32(h + 12, 0, o);
	put16(h + 16, 9, o); /* if_tsresol */
	put16(h + 18, 1, o);
	memset(h + 20, 0, 4);
	h[20] = 9;            /* 10^-9 s */
	memset(h + 24, 0, 4); /* opt_endofopt */
	put32(h + 28, 32, o);
	g->head_len = 32;
}

/* Leaves out the rest of a block (rest bytes); a cut one ends the stream. */
static void drop_rest(struct ng_filter *g, uint64_t rest)
{
	if (skip(g->in, rest) < 0)
		g->ended = true; /* the stream of its link type says it was cut */
}

/*
 * A packet block of a kept interface, as an EPB of the one interface in the stream's byte
 * order: its header goes out from head, its data is copied, and its trailer follows in place
 * of the block's options (libpcap reads none), which are left out.
 *
 * A Simple Packet Block becomes an EPB too. It states only the packet's original length: what
 * it holds is that, cut to the snapshot length of the section's first interface (section 4.4),
 * which libpcap takes from the first IDB it read, and the stream's one IDB has no limit. Its
 * time is 0, as libpcap gives it.
 */
static void put_packet(struct ng_filter *g, uint32_t type, uint32_t len, size_t have)
{
	uint8_t *h = g->head;
	bool in = g->swapped, o = g->out_swapped;
	uint32_t caplen, orig, fixed;
	uint64_t ts;
	if (type == NG_SPB) {
		orig = get32(h + 8, in);
		caplen = g->iface[0].snap && g->iface[0].snap < orig ? g->iface[0].snap : orig;
		ts = 0;
		fixed = 16;
	} else {
		uint32_t id = type == NG_EPB ? get32(h + 8, in) : get16(h + 8, in);
		caplen = get32(h + 20, in);
		orig = get32(h + 24, in);
		ts = to_ns(&g->iface[id], (uint64_t)get32(h + 12, in) << 32 | get32(h + 16, in));
		fixed = 32;
	}
	uint64_t data = ((uint64_t)caplen + 3) & ~(uint64_t)3;
	if (data > len - fixed) { /* more data than the block holds: libpcap's to refuse */
		pass_on(g, have);
		return;
	}
	uint32_t out_len = (uint32_t)(32 + data);
	put32(h, NG_EPB, o);
	put32(h + 4, out_len, o);
	put32(h + 8, 0, o);
	put32(h + 12, (uint32_t)(ts >> 32), o);
	put32(h + 16, (uint32_t)ts, o);
	put32(h + 20, caplen, o);
	put32(h + 24, orig, o);
	g->head_len = 28;
	g->copy = data;
	g->tail = out_len;
	g->skip_after = len - (fixed - 4) - data; /* options and the block's own trailer */
	g->tail_due = true;
}

/* Reads the next block's first bytes into head and decides its fate. */
static void next_block(struct ng_filter *g)
{
	uint8_t *h = g->head;
	g->emit = g->head;
	g->head_off = 0;
	g->head_len = 0;
	g->copy = 0;
	if (g->tail_due) {
		g->tail_due = false;
		put32(h, g->tail, g->out_swapped);
		g->head_len = 4;
		drop_rest(g, g->skip_after);
		return;
	}
	if (g->idb_due) {
		g->idb_due = false;
		put_idb(g);
		return;
	}
	size_t n = read_full(g->in, h, 8);
	if (n == 0) {
		g->ended = true;
		return;
	}
	if (n < 8) {
		pass_on(g, n);
		return;
	}
	size_t have = 8;
	uint32_t type = get32(h, false);
	if (type == NG_SHB) {
		if (read_full(g->in, h + 8, 4) != 4) {
			pass_on(g, 8);
			return;
		}
		int order = shb_order(h + 8);
		if (order < 0) {
			pass_on(g, 12);
			return;
		}
		g->swapped = order == 1;
		g->nif = 0; /* interface IDs start again with each section */
		have = 12;
		/* A later section of a major version libpcap does not read (it holds later
		 * sections to major version 1, the first to 1.0 or 1.2) goes out as it is, for
		 * libpcap to refuse as it would have; the first one it reads itself. */
		if (g->sections > 0) {
			if (read_full(g->in, h + 12, 4) != 4) {
				pass_on(g, 12);
				return;
			}
			have = 16;
			if (get16(h + 12, g->swapped) != 1) {
				pass_on(g, 16);
				return;
			}
		}
	}
	type = get32(h, g->swapped);
	uint32_t len = get32(h + 4, g->swapped);
	if (!framed(len, min_len(type)) || (type == NG_IDB && len > NG_IDB_MAX)) {
		pass_on(g, have);
		return;
	}
	switch (type) {
	case NG_SHB:
		if (g->sections++ > 0) { /* later sections continue the first one's */
			drop_rest(g, len - have);
			return;
		}
		g->out_swapped = g->swapped;
		g->idb_due = true;
		g->head_len = have;
		g->copy = len - have;
		return;
	case NG_IDB: {
		/* Every IDB is replaced by the stream's one: read whole, for its options. A cut
		 * one, or one too many, goes out as it is, with everything after it. */
		memcpy(g->body, h, 8);
		size_t got = read_full(g->in, g->body + 8, len - 8);
		if (got != len - 8 || !add_iface(g, g->body + 8, len - 12)) {
			pass_on(g, 8 + got);
			g->emit = g->body;
		}
		return;
	}
	case NG_EPB:
	case NG_PB:
	case NG_SPB: {
		size_t fixed = type == NG_SPB ? 12 : 28;
		size_t k = read_full(g->in, h + have, fixed - have);
		if (k != fixed - have) {
			pass_on(g, have + k);
			return;
		}
		have = fixed;
		uint32_t id = type == NG_EPB  ? get32(h + 8, g->swapped)
		              : type == NG_PB ? get16(h + 8, g->swapped)
		                              : 0;
		if (id >= g->nif) {
			/* a packet of an interface never described: libpcap's to refuse */
			pass_on(g, have);
			return;
		}
		if (!g->iface[id].kept) {
			drop_rest(g, len - have);
			return;
		}
		put_packet(g, type, len, have);
		return;
	}
	default:
		/* Name resolution, statistics, custom blocks: libpcap reads none of them. */
		drop_rest(g, len - have);
		return;
	}
}

static ssize_t ng_read(void *cookie, char *buf, size_t size)
{
	struct ng_filter *g = cookie;
	size_t out = 0;

	while (out < size) {
		if (g->head_off < g->head_len) {
			size_t k = g->head_len - g->head_off;
			k = k < size - out ? k : size - out;
			memcpy(buf + out, g->emit + g->head_off, k);
			g->head_off += k;
			out += k;
			continue;
		}
		if (g->copy > 0 || g->pass) {
			size_t k = size - out;
			if (!g->pass && g->copy < k)
				k = (size_t)g->copy;
			size_t r = fread(buf + out, 1, k, g->in);
			if (r == 0) {
				if (ferror(g->in) && out == 0)
					return -1;
				g->ended = true;
				g->copy = 0;
				g->pass = false;
				break;
			}
			out += r;
			if (!g->pass)
				g->copy -= r;
			continue;
		}
		if (g->ended)
			break;
		next_block(g);
	}
	return (ssize_t)out;
}

static int ng_close(void *cookie)
{
	struct ng_filter *g = cookie;
	int r = fclose(g->in);
	free(g->iface);
	free(g->body);
	free(g);
	return r;
}

FILE *capture_ng_filter(FILE *f, uint16_t keep)
{
	static const cookie_io_functions_t io = {.read = ng_read, .close = ng_close};
	struct ng_filter *g = calloc(1, sizeof *g);
	if (g)
		g->body = malloc(NG_IDB_MAX);
	if (!g || !g->body) {
		free(g);
		return NULL;
	}
	g->in = f;
	g->keep = keep;
	FILE *out = fopencookie(g, "rb", io);
	if (!out) {
		free(g->body);
		free(g);
		return NULL;
	}
	(void)setvbuf(out, NULL, _IOFBF, NG_FILTER_BUF);
	return out;
}
