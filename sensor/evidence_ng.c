/* evidence_ng.c — a record's evidence packets as one pcapng section: the writer the packet
 * path fills and the reader of blobs from a database (evidence_ng.h). */
#include "scanwatch/evidence_ng.h"

#include <stdlib.h>
#include <string.h>

#include "scanwatch/evidence.h"

/* Block types and options (draft-ietf-opsawg-pcapng sections 4.1-4.3, 3.5). */
#define NG_SHB          0x0A0D0D0Au
#define NG_IDB          1u
#define NG_EPB          6u
#define NG_MAGIC        0x1A2B3C4Du
#define NG_OPT_END      0u
#define NG_IF_TSRESOL   9u
#define NG_EPB_PACKETID 5u
#define NG_NS_MAX_SEC   18446744072ll /* the last second 64 bits of nanoseconds reach whole */

/* Caplen the reader takes at most: libpcap's largest snapshot (MAXIMUM_SNAPLEN). */
#define NG_CAPLEN_MAX 262144u

/*
 * The sensor carries a packet's link type as libpcap's DLT_ value (what pcap_datalink gives and
 * pcap_open_dead takes), and a file holds the LINKTYPE_ value (pcap-linktype(7)). They are one
 * number but for a few old link types whose DLT_ values differ between systems; these are the
 * ones libpcap maps on Linux (pcap-common.c, dlt_to_linktype), and 14, OpenBSD's DLT_RAW,
 * which a capture file may hold and the decoder reads as raw IP.
 */
static const struct {
	int32_t dlt, lt;
} ng_dlt_map[] = {
    {12, 101}, /* RAW (first: the way back) */
    {14, 101}, /* RAW, as OpenBSD numbers it (one way) */
    {11, 100}, /* ATM_RFC1483 */
    {15, 102}, /* SLIP_BSDOS */
    {16, 103}, /* PPP_BSDOS */
    {19, 106}, /* ATM_CLIP */
};

static int32_t ng_linktype_of(int32_t dlt)
{
	for (size_t i = 0; i < sizeof ng_dlt_map / sizeof ng_dlt_map[0]; i++)
		if (ng_dlt_map[i].dlt == dlt)
			return ng_dlt_map[i].lt;
	return dlt;
}

static int32_t ng_dlt_of(int32_t lt)
{
	for (size_t i = 0; i < sizeof ng_dlt_map / sizeof ng_dlt_map[0]; i++)
		if (ng_dlt_map[i].lt == lt)
			return ng_dlt_map[i].dlt;
	return lt;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

struct evidence_pack *evidence_pack_new(uint32_t npkts)
{
	size_t bytes = EVIDENCE_NG_BYTES(npkts, EVIDENCE_SNAP);
	struct evidence_pack *p;

	if (bytes > UINT32_MAX)
		return NULL;
	p = malloc(sizeof *p + bytes);
	if (p) {
		evidence_pack_clear(p);
		p->cap = (uint32_t)bytes;
		p->every_id = false;
	}
	return p;
}

void evidence_pack_clear(struct evidence_pack *p)
{
	p->n = p->first = p->next = p->len = p->nif = 0;
}

/* The IDB for iface (a link type, perhaps | EVIDENCE_NG_SECONDS) at ng + at. */
static void put_idb(uint8_t *b, uint32_t iface)
{
	put32(b, NG_IDB);
	put32(b + 4, EVIDENCE_NG_IDB);
	put16(b + 8, (uint16_t)ng_linktype_of((int32_t)(iface & 0xffffu)));
	put16(b + 10, 0);
	put32(b + 12, EVIDENCE_SNAP);
	put16(b + 16, NG_IF_TSRESOL);
	put16(b + 18, 1);
	b[20] = (iface & EVIDENCE_NG_SECONDS) ? 0 : 9; /* 10^-0 or 10^-9 s */
	b[21] = b[22] = b[23] = 0;
	put16(b + 24, NG_OPT_END);
	put16(b + 26, 0);
	put32(b + 28, EVIDENCE_NG_IDB);
}

bool evidence_pack_put(struct evidence_pack *p, int64_t ts_sec, uint32_t ts_nsec, uint32_t caplen,
                       uint32_t origlen, int32_t linktype, uint32_t ordinal, const uint8_t *data)
{
	if (linktype < 0 || linktype > 0xffff || caplen > EVIDENCE_SNAP || caplen > origlen ||
	    ts_nsec > 999999999u)
		return false;
	bool secs = ts_sec < 0 || ts_sec > NG_NS_MAX_SEC;
	uint32_t iface = (uint32_t)linktype | (secs ? EVIDENCE_NG_SECONDS : 0);
	uint32_t id = 0;
	while (id < p->nif && p->iface[id] != iface)
		id++;
	if (id == EVIDENCE_NG_IFACES)
		return false;
	uint32_t padded = (caplen + 3u) & ~3u;
	/* the ordinal goes in an option only when it does not follow from the last one's */
	bool implied = !p->every_id && (p->len ? ordinal == p->next : ordinal == 0);
	uint32_t epb = (implied ? EVIDENCE_NG_EPB_BARE : EVIDENCE_NG_EPB_FIXED) + padded;
	size_t need = (size_t)p->len + (p->len ? 0 : EVIDENCE_NG_SHB) +
	              (id == p->nif ? EVIDENCE_NG_IDB : 0) + epb;
	if (need > p->cap)
		return false;
	if (p->len == 0) {
		uint8_t *b = p->ng;
		put32(b, NG_SHB);
		put32(b + 4, EVIDENCE_NG_SHB);
		put32(b + 8, NG_MAGIC);
		put16(b + 12, 1);
		put16(b + 14, 0);
		put64(b + 16, UINT64_MAX); /* section length not given */
		put32(b + 24, EVIDENCE_NG_SHB);
		p->len = EVIDENCE_NG_SHB;
		p->first = ordinal;
	}
	if (id == p->nif) {
		put_idb(p->ng + p->len, iface);
		p->len += EVIDENCE_NG_IDB;
		p->iface[p->nif++] = iface;
	}
	uint64_t ts =
	    secs ? (ts_sec < 0 ? 0 : (uint64_t)ts_sec) : (uint64_t)ts_sec * 1000000000u + ts_nsec;
	uint8_t *b = p->ng + p->len;
	put32(b, NG_EPB);
	put32(b + 4, epb);
	put32(b + 8, id);
	put32(b + 12, (uint32_t)(ts >> 32));
	put32(b + 16, (uint32_t)ts);
	put32(b + 20, caplen);
	put32(b + 24, origlen);
	memcpy(b + 28, data, caplen);
	memset(b + 28 + caplen, 0, padded - caplen);
	b += 28 + padded;
	if (!implied) {
		put16(b, NG_EPB_PACKETID);
		put16(b + 2, 8);
		put64(b + 4, ordinal);
		put16(b + 12, NG_OPT_END);
		put16(b + 14, 0);
		b += 16;
	}
	put32(b, epb);
	p->len += epb;
	p->next = ordinal + 1;
	p->n++;
	return true;
}

size_t evidence_pack_size(const struct evidence_pack *p)
{
	return sizeof *p + p->len;
}

struct evidence_pack *evidence_pack_dup(const struct evidence_pack *p)
{
	struct evidence_pack *q = malloc(evidence_pack_size(p));
	if (!q)
		return NULL;
	memcpy(q, p, evidence_pack_size(p));
	q->cap = q->len;
	return q;
}

/* --- Reading a blob that may come from anyone ------------------------------------------- */

struct ng_iface {
	int32_t linktype;
	uint64_t units; /* time units a second: 10^v or 2^v of if_tsresol, 10^6 without */
};

struct ng_reader {
	const uint8_t *b;
	size_t len;
	bool swapped;
	struct ng_iface ifc[EVIDENCE_NG_IFACES];
	uint32_t nif; /* interfaces of the section so far; past EVIDENCE_NG_IFACES: unnamed */
};

static uint32_t get32(const struct ng_reader *r, const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return r->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const struct ng_reader *r, const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return r->swapped ? __builtin_bswap16(v) : v;
}

static uint64_t get64(const struct ng_reader *r, const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return r->swapped ? __builtin_bswap64(v) : v;
}

/*
 * Walks the options at o (n bytes, the rest of a block body): for each, code, length and
 * value; false when an option runs past the block. Options are padded to 4 (3.5).
 */
static bool ng_option(const struct ng_reader *r, const uint8_t **o, size_t *n, uint16_t *code,
                      uint16_t *olen, const uint8_t **val)
{
	if (*n < 4)
		return false;
	*code = get16(r, *o);
	*olen = get16(r, *o + 2);
	size_t step = 4 + (((size_t)*olen + 3u) & ~(size_t)3u);
	if (step > *n)
		return false;
	*val = *o + 4;
	*o += step;
	*n -= step;
	return true;
}

static const char *ng_idb(struct ng_reader *r, const uint8_t *body, size_t n)
{
	if (n < 8)
		return "interface block too short";
	struct ng_iface f = {.linktype = ng_dlt_of(get16(r, body)), .units = 1000000u};
	const uint8_t *o = body + 8, *val;
	size_t left = n - 8;
	uint16_t code, olen;
	while (ng_option(r, &o, &left, &code, &olen, &val) && code != NG_OPT_END)
		if (code == NG_IF_TSRESOL && olen >= 1) {
			unsigned e = val[0] & 0x7fu;
			if (val[0] & 0x80u) {
				if (e > 63)
					return "if_tsresol past 2^-63";
				f.units = (uint64_t)1 << e;
			} else {
				if (e > 19)
					return "if_tsresol past 10^-19";
				f.units = 1;
				while (e--)
					f.units *= 10;
			}
		}
	if (r->nif < EVIDENCE_NG_IFACES)
		r->ifc[r->nif] = f;
	r->nif++;
	return NULL;
}

static const char *ng_epb(struct ng_reader *r, const uint8_t *body, size_t n, uint32_t next,
                          struct evidence_view *v)
{
	if (n < 20)
		return "packet block too short";
	uint32_t id = get32(r, body);
	if (id >= r->nif || id >= EVIDENCE_NG_IFACES)
		return "packet of an interface not described";
	const struct ng_iface *f = &r->ifc[id];
	uint64_t ts = (uint64_t)get32(r, body + 4) << 32 | get32(r, body + 8);
	uint32_t caplen = get32(r, body + 12), origlen = get32(r, body + 16);
	if (caplen > NG_CAPLEN_MAX || caplen > n - 20)
		return "captured length past the block";
	if (origlen < caplen)
		return "original length below the captured length";
	uint64_t sec = ts / f->units, frac = ts % f->units;
	if (sec > INT64_MAX)
		return "time past 64-bit seconds";
	v->ts_sec = (int64_t)sec;
	v->ts_nsec = (uint32_t)((unsigned __int128)frac * 1000000000u / f->units);
	v->caplen = caplen;
	v->origlen = origlen;
	v->linktype = f->linktype;
	v->data = body + 20;
	v->ordinal = next;
	size_t padded = ((size_t)caplen + 3u) & ~(size_t)3u;
	const uint8_t *o = body + 20, *val;
	size_t left = 0; /* the data's padding cut short: no options */
	uint16_t code, olen;
	if (padded <= n - 20) {
		o += padded;
		left = n - 20 - padded;
	}
	while (ng_option(r, &o, &left, &code, &olen, &val) && code != NG_OPT_END)
		if (code == NG_EPB_PACKETID && olen == 8) {
			uint64_t ord = get64(r, val);
			if (ord > UINT32_MAX)
				return "packet id past 32 bits";
			v->ordinal = (uint32_t)ord;
		}
	return NULL;
}

int evidence_ng_walk(const uint8_t *b, size_t len,
                     int (*fn)(void *ctx, const struct evidence_view *pkt), void *ctx,
                     const char **why)
{
	struct ng_reader r = {.b = b, .len = len};
	bool in_section = false;
	uint32_t next = 0; /* the ordinal of a packet without epb_packetid */
	size_t at = 0;

	*why = NULL;
	while (at < len) {
		if (len - at < 12) {
			*why = "a block cut short";
			return -1;
		}
		const uint8_t *p = b + at;
		uint32_t type;
		memcpy(&type, p, 4);
		if (type == NG_SHB) { /* the same in both orders; the magic says which */
			uint32_t magic;
			memcpy(&magic, p + 8, 4);
			if (magic == NG_MAGIC)
				r.swapped = false;
			else if (magic == __builtin_bswap32(NG_MAGIC))
				r.swapped = true;
			else {
				*why = "a section of unknown byte order";
				return -1;
			}
			in_section = true;
			r.nif = 0;
		} else if (!in_section) {
			*why = "no section header first";
			return -1;
		}
		uint32_t blen = get32(&r, p + 4);
		if (blen < 12 || blen % 4 || blen > len - at || get32(&r, p + blen - 4) != blen) {
			*why = "a block's length does not frame it";
			return -1;
		}
		const uint8_t *body = p + 8;
		size_t n = blen - 12;
		const char *bad = NULL;
		if (type == NG_SHB) {
			if (n < 16)
				bad = "section header too short";
		} else if (get32(&r, p) == NG_IDB) {
			bad = ng_idb(&r, body, n);
		} else if (get32(&r, p) == NG_EPB) {
			struct evidence_view v;
			bad = ng_epb(&r, body, n, next, &v);
			if (!bad) {
				next = v.ordinal + 1;
				int rc = fn(ctx, &v);
				if (rc)
					return rc;
			}
		}
		if (bad) {
			*why = bad;
			return -1;
		}
		at += blen;
	}
	return 0;
}
