/* fuzz_pipeline_gen.c — libFuzzer target: a compact program of packet records, turned into
 * well-formed frames and fed straight to pipeline_packet, so the fuzzer explores the detectors'
 * state machines rather than the capture formats.
 *
 * Why a target of its own and not a LLVMFuzzerCustomMutator in fuzz_pipeline: fuzz_pipeline's
 * inputs are capture files, whose byte mutations mostly break a length or a checksum and end
 * in the decoders; a custom mutator there would have to parse and rewrite pcap and pcapng and
 * would still pay the memfd and libpcap cost of every input. Here the input itself is the
 * structure: every byte string is a valid program, each record a packet or a burst of packets
 * whose lengths and checksums are computed, so any mutation (bit flips, crossover of records)
 * changes what the scanners do, never whether the decoder accepts it. fuzz_pipeline keeps
 * exploring the file formats and the decoders; this one the engine behind them.
 *
 * Input: byte 0 is the header, then records of GEN_REC bytes (a short tail is ignored).
 *   header  bit 0: the built-in rules (0) or the same rules with every threshold at 2 (1), so
 *           detections open after a few packets; bit 1: a 4 MiB memory cap instead of 1 MiB
 *           (both are small: tables fill and evict after a few hundred sources); bit 2: no
 *           evidence packets (--no-evidence; kept by default, as the sensor does)
 *   record  r[0] bits 0-2 what: 0 TCP, 1 UDP, 2 ICMP/ICMPv6 (type r[3]), 3 SCTP (chunk r[3]),
 *                4 ARP (op r[3] & 3), 5 another IP protocol (r[3]), 6 an ICMP error quoting a
 *                TCP/UDP/SCTP probe (r[3] & 3: which, r[3] >> 2: the code), 7 control:
 *                r[3] < 128 a clock tick (pipeline_tick), else a rules reload (SIGHUP)
 *           r[0] bit 3 reply: from the destination back to the source (ICMP errors: from a
 *                router); bit 4 IPv6 (RFC 8200) instead of IPv4 (RFC 791)
 *           r[0] bits 5-7 time step before the record: 0 none, 1 r[7]*10 us, 2 r[7] ms,
 *                3 r[7] s, 4 r[7] min, 5 back by r[7] ms, 6 forward r[7] << 40 us,
 *                7 to r[7] << 56 (times on both sides of 2^63, as pcapng allows)
 *           r[1] source: bit 7 clear, one of 64 scanners (198.18.0.x / 2001:2::x, RFC 2544 and
 *                RFC 5180 test space); bit 7 set, an arbitrary address made of r[1..2], r[8]
 *           r[2] destination host: 198.18.1.x / 2001:2::1:x
 *           r[3] TCP flags (RFC 9293), or as above per protocol
 *           r[4..5] destination port (big-endian)
 *           r[6] burst: bits 0-4 packets - 1, bit 7 times 16 (up to 512 packets, for the
 *                floods); bits 5-6 what moves between them: 0 the port, 1 the target,
 *                2 the source (a spoofed flood or a distributed scan), 3 the source among
 *                four, then the port (nmap -D: each port probed from every decoy in turn)
 *           r[8] TTL (0 reads as 64)
 *           r[9] variant: bits 0-2 TCP option layout / UDP and ICMP payload size, bits 3-4
 *                window, bits 5-7 IP id and source port habits (fixed, counting, random)
 * A program stops after GEN_MAX_PACKETS frames. Every frame is Ethernet II, with correct IP,
 * TCP, UDP, ICMP(v6) checksums (RFC 1071, pseudo-headers of RFC 9293 / RFC 8200 section 8.1)
 * and SCTP CRC32c (RFC 9260 appendix A).
 *
 * Checks: every frame is decoded without an anomaly (well-formed input is never malformed);
 * the packet counter counts every frame; each record renders as JSON; records name a kind of
 * the vocabulary, a known phase, and (when the program used only test-space sources) a source
 * inside 198.18.0.0/15 or 2001:2::/48, or none; the engine's opened/closed counters agree with
 * the records. Set SW_FUZZ_KINDS=1 to print, at exit, the detection kinds a run emitted, and
 * SW_FUZZ_LONGEST=1 the length of the longest record's JSON.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scanwatch/embedded.h"
#include "scanwatch/output.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GEN_REC         10
#define GEN_MAX_PACKETS 4096
#define GEN_FRAME_MAX   256
#define GEN_T0          1700000000000000ULL /* 2023-11-14, microseconds */
#define DLT_EN10MB      1

static struct sw_ruleset *gen_rules[2];
static uint32_t gen_kinds_seen;
static size_t gen_longest; /* the longest record's JSON (SW_FUZZ_LONGEST=1 prints it) */

struct gen_run {
	uint64_t opened;
	bool test_space; /* only 198.18.0.0/15 and 2001:2::/48 addresses were sent */
};

/* ---- checksums --------------------------------------------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* CRC32c (Castagnoli), reflected, as RFC 9260 appendix A states it; stored little-endian. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1)));
	}
	return ~c;
}

/* ---- addresses --------------------------------------------------------------------------- */

struct gen_addr {
	bool v6;
	uint8_t a[16];
	uint8_t mac[6];
};

static void gen_host(struct gen_addr *h, bool v6, uint8_t net, uint8_t host)
{
	memset(h, 0, sizeof *h);
	h->v6 = v6;
	if (v6) { /* 2001:2::NET:HOST */
		h->a[0] = 0x20, h->a[1] = 0x01, h->a[3] = 0x02;
		h->a[13] = net;
		h->a[15] = host;
	} else { /* 198.18.NET.HOST */
		h->a[0] = 198, h->a[1] = 18, h->a[2] = net, h->a[3] = host;
	}
	memcpy(h->mac, (const uint8_t[]){0x02, 0, 0, 0, net, host}, 6);
}

static void gen_arbitrary(struct gen_addr *h, bool v6, const uint8_t *r)
{
	uint32_t x = (uint32_t)r[1] * 2654435761u ^ (uint32_t)r[2] << 8 ^ (uint32_t)r[8] << 16;
	memset(h, 0, sizeof *h);
	h->v6 = v6;
	for (int i = 0; i < 16; i++) {
		x = x * 1103515245u + 12345u;
		h->a[i] = (uint8_t)(x >> 16);
	}
	memcpy(h->mac, (const uint8_t[]){0x02, 0xff, h->a[0], h->a[1], h->a[2], h->a[3]}, 6);
}

/* ---- frames ------------------------------------------------------------------------------ */

struct gen_pkt {
	struct gen_addr src, dst;
	uint8_t proto; /* IP protocol */
	uint8_t ttl;
	uint16_t ip_id;
	bool df;
	const uint8_t *l4;
	size_t l4len;
};

/* Ethernet + IPv4/IPv6 around an L4 body whose checksum (at csum_off, -1: none) covers the
 * pseudo-header. Returns the frame length. */
static size_t gen_ip(uint8_t *f, const struct gen_pkt *p, uint8_t *l4, size_t l4len, int csum_off)
{
	size_t hl = p->src.v6 ? 40 : 20, off = 14 + hl;
	memcpy(f, p->dst.mac, 6);
	memcpy(f + 6, p->src.mac, 6);
	put16(f + 12, p->src.v6 ? 0x86dd : 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, hl);
	uint32_t ps;
	if (p->src.v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = p->proto;
		ip[7] = p->ttl;
		memcpy(ip + 8, p->src.a, 16);
		memcpy(ip + 24, p->dst.a, 16);
		ps = sum16(ip + 8, 32, 0) + (uint32_t)l4len + p->proto;
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, p->ip_id);
		ip[6] = p->df ? 0x40 : 0;
		ip[8] = p->ttl;
		ip[9] = p->proto;
		memcpy(ip + 12, p->src.a, 4);
		memcpy(ip + 16, p->dst.a, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
		ps = sum16(ip + 12, 8, 0) + (uint32_t)l4len + p->proto;
	}
	if (csum_off >= 0) {
		put16(l4 + csum_off, 0);
		uint16_t c = fold(sum16(l4, l4len, ps));
		if (p->proto == 17 && c == 0)
			c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
		put16(l4 + csum_off, c);
	}
	memcpy(f + off, l4, l4len);
	return off + l4len;
}

/* TCP option layouts of the scanners and stacks the attribution knows (RFC 9293 3.2, RFC 7323,
 * RFC 2018): none (masscan, zmap, hping3), nmap's SYN scan, Linux, Windows, nmap -O's T1. */
static size_t gen_tcp_opts(uint8_t *o, unsigned v)
{
	static const uint8_t mss[] = {2, 4, 0x05, 0xb4};
	static const uint8_t linux_syn[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
	                                    0, 1, 0,    0,    0, 0, 1, 3,  3, 7};
	static const uint8_t windows[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
	static const uint8_t nmap_t1[] = {3,    3,    10,   1,    2, 4, 0x05, 0xb4, 8, 10,
	                                  0xff, 0xff, 0xff, 0xff, 0, 0, 0,    0,    4, 2};
	static const uint8_t mss_ws[] = {2, 4, 0x02, 0x18, 1, 3, 3, 0};
	switch (v & 7) {
	case 1:
	case 5:
		memcpy(o, mss, sizeof mss);
		return sizeof mss;
	case 2:
		memcpy(o, linux_syn, sizeof linux_syn);
		return sizeof linux_syn;
	case 3:
		memcpy(o, windows, sizeof windows);
		return sizeof windows;
	case 4:
		memcpy(o, nmap_t1, sizeof nmap_t1);
		return sizeof nmap_t1;
	case 6:
		memcpy(o, mss_ws, sizeof mss_ws);
		return sizeof mss_ws;
	default:
		return 0;
	}
}

static size_t gen_tcp(uint8_t *f, struct gen_pkt *p, uint16_t sport, uint16_t dport, uint8_t flags,
                      uint32_t seq, unsigned variant)
{
	static const uint16_t windows[] = {1024, 64240, 65535, 0};
	uint8_t l4[60];
	memset(l4, 0, sizeof l4);
	size_t ol = gen_tcp_opts(l4 + 20, variant);
	size_t hl = 20 + ol;
	put16(l4, sport);
	put16(l4 + 2, dport);
	put32(l4 + 4, seq);
	put32(l4 + 8, (flags & 0x10) ? seq ^ 0x5a5a5a5au : 0);
	l4[12] = (uint8_t)((hl / 4) << 4);
	l4[13] = flags;
	put16(l4 + 14, windows[(variant >> 3) & 3]);
	p->proto = 6;
	return gen_ip(f, p, l4, hl, 16);
}

static size_t gen_udp(uint8_t *f, struct gen_pkt *p, uint16_t sport, uint16_t dport,
                      unsigned variant)
{
	static const uint8_t sizes[] = {0, 8, 12, 32, 0, 40, 1, 48};
	uint8_t l4[8 + 48];
	size_t n = sizes[variant & 7];
	memset(l4, 0, sizeof l4);
	for (size_t i = 0; i < n; i++)
		l4[8 + i] = (uint8_t)(i * 7 + dport);
	put16(l4, sport);
	put16(l4 + 2, dport);
	put16(l4 + 4, (uint16_t)(8 + n));
	p->proto = 17;
	return gen_ip(f, p, l4, 8 + n, 6);
}

/* ICMP (RFC 792: echo, timestamp, ...) or ICMPv6 (RFC 4443) without a quote. */
static size_t gen_icmp(uint8_t *f, struct gen_pkt *p, uint8_t type, uint16_t id, uint16_t seq,
                       unsigned variant)
{
	static const uint8_t sizes[] = {0, 12, 56, 0, 20, 12, 0, 32};
	uint8_t l4[8 + 56];
	size_t n = sizes[variant & 7];
	memset(l4, 0, sizeof l4);
	l4[0] = type;
	l4[1] = (uint8_t)(variant >> 5 == 7 ? 9 : 0); /* nmap -O's IE probe: code 9 */
	put16(l4 + 4, id);
	put16(l4 + 6, seq);
	p->proto = p->src.v6 ? 58 : 1;
	if (p->src.v6)
		return gen_ip(f, p, l4, 8 + n, 2);
	/* ICMPv4's checksum covers the message only (RFC 792): no pseudo-header. */
	put16(l4 + 2, fold(sum16(l4, 8 + n, 0)));
	return gen_ip(f, p, l4, 8 + n, -1);
}

/* RFC 9260: the common header and one chunk: INIT / INIT-ACK with their 16 bytes of fixed
 * fields, COOKIE-ECHO with a 4-byte cookie, any other as a bare chunk header. */
static size_t gen_sctp(uint8_t *f, struct gen_pkt *p, uint16_t sport, uint16_t dport, uint8_t chunk,
                       uint32_t tag)
{
	uint8_t l4[12 + 20];
	size_t clen = chunk == 1 || chunk == 2 ? 20 : chunk == 10 ? 8 : 4;
	memset(l4, 0, sizeof l4);
	put16(l4, sport);
	put16(l4 + 2, dport);
	put32(l4 + 4, chunk == 1 ? 0 : tag);
	l4[12] = chunk;
	put16(l4 + 14, (uint16_t)clen);
	if (clen == 20) {
		put32(l4 + 16, tag ^ 0x1234);
		put32(l4 + 20, 32768);
		put16(l4 + 24, 10);
		put16(l4 + 26, 2048);
		put32(l4 + 28, tag);
	} else if (clen == 8) {
		put32(l4 + 16, tag);
	}
	uint32_t c = crc32c(l4, 12 + clen);
	l4[8] = (uint8_t)c, l4[9] = (uint8_t)(c >> 8), l4[10] = (uint8_t)(c >> 16);
	l4[11] = (uint8_t)(c >> 24);
	p->proto = 132;
	return gen_ip(f, p, l4, 12 + clen, -1);
}

/* An IP header naming a protocol, with no payload (nmap -sO, hping3 --rawip). Protocols
 * whose header must follow (TCP, UDP, ICMP, ICMPv6, SCTP, IPv6 extension headers of RFC 8200
 * 4.1 and RFC 7045) would make the packet malformed: they become others. */
static size_t gen_rawip(uint8_t *f, struct gen_pkt *p, uint8_t proto)
{
	static const uint8_t needs_header[] = {0, 1, 6, 17, 43, 44, 51, 58, 60, 132, 135, 139, 140};
	uint8_t none[1] = {0};
	if (memchr(needs_header, proto, sizeof needs_header))
		proto = (uint8_t)(proto + 100);
	p->proto = proto;
	return gen_ip(f, p, none, 0, -1);
}

/* RFC 826 over Ethernet: a request (op 1) or reply (op 2) for IPv4. */
static size_t gen_arp(uint8_t *f, const struct gen_addr *src, const struct gen_addr *dst,
                      uint16_t op)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	memcpy(f, op == 1 ? bcast : dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	put16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6, a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, src->mac, 6);
	memcpy(a + 14, src->a, 4);
	memset(a + 18, 0, 6);
	if (op != 1)
		memcpy(a + 18, dst->mac, 6);
	memcpy(a + 24, dst->a, 4);
	return 14 + 28;
}

/* An ICMP destination unreachable (RFC 792) / ICMPv6 one (RFC 4443 3.1) from `from` to the
 * prober, quoting the prober's IP header and the first 8 bytes of its TCP/UDP/SCTP header. */
static size_t gen_icmp_error(uint8_t *f, struct gen_pkt *p, const struct gen_addr *from,
                             uint8_t which, uint8_t code, uint16_t sport, uint16_t dport)
{
	static const uint8_t protos[] = {6, 17, 132, 17};
	uint8_t q[8 + 40 + 8];
	bool v6 = p->src.v6;
	size_t hl = v6 ? 40 : 20;
	memset(q, 0, sizeof q);
	uint8_t *ip = q + 8, *l4 = q + 8 + hl;
	uint8_t proto = protos[which & 3];
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, 8);
		ip[6] = proto;
		ip[7] = p->ttl;
		memcpy(ip + 8, p->src.a, 16);
		memcpy(ip + 24, p->dst.a, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, 28);
		put16(ip + 4, p->ip_id);
		ip[8] = p->ttl;
		ip[9] = proto;
		memcpy(ip + 12, p->src.a, 4);
		memcpy(ip + 16, p->dst.a, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	put16(l4, sport);
	put16(l4 + 2, dport);
	put32(l4 + 4, proto == 17 ? 8u << 16 : 0x01020304u);
	struct gen_pkt e = *p;
	e.dst = p->src;
	e.src = *from;
	e.ttl = 64;
	e.proto = v6 ? 58 : 1;
	q[0] = v6 ? 1 : 3;
	q[1] = v6 ? (uint8_t)(code % 7) : (uint8_t)(code % 16);
	size_t n = 8 + hl + 8;
	if (v6)
		return gen_ip(f, &e, q, n, 2);
	put16(q + 2, fold(sum16(q, n, 0)));
	return gen_ip(f, &e, q, n, -1);
}

/* ---- the program ------------------------------------------------------------------------- */

static void gen_emit(void *ctx, const struct sw_detection *d)
{
	struct gen_run *run = ctx;
	static char json[OUTPUT_CONSOLE_LINE_MAX - 1]; /* the console's line less its newline */
	if (d->phase == DET_OPEN)
		run->opened++;
	if (d->kind >= KIND__COUNT || d->phase > DET_CLOSE)
		abort();
	gen_kinds_seen |= 1u << d->kind;
	fuzz_check_evidence(d);
	int len = output_json_render(d, json, sizeof json);
	if (len < 0)
		abort(); /* a detection too large for any sink's line buffer */
	if ((size_t)len > gen_longest)
		gen_longest = (size_t)len;
	if (run->test_space && !d->src_any) {
		static const uint8_t v6net[6] = {0x20, 0x01, 0, 0x02, 0, 0};
		const uint8_t *a = d->src.a;
		bool in = addr_is_v4(&d->src) ? a[12] == 198 && (a[13] & 0xfe) == 18
		                              : memcmp(a, v6net, 6) == 0;
		if (!in)
			abort(); /* a source address nobody sent */
	}
}

static void gen_print_kinds(void)
{
	fuzz_print_kinds("fuzz_pipeline_gen", gen_kinds_seen);
	if (getenv("SW_FUZZ_LONGEST"))
		fprintf(stderr, "fuzz_pipeline_gen: longest record %zu bytes of JSON\n",
		        gen_longest);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024];
	(void)argc, (void)argv;
	if (rules_load_builtin(&gen_rules[0], err, sizeof err) < 0)
		goto fail;
	/* The same rules with every threshold at 2: detections open after a few packets. */
	size_t n = embedded_default_rules_len;
	char *text = malloc(n + 1);
	if (!text)
		abort();
	memcpy(text, embedded_default_rules, n);
	text[n] = 0;
	for (char *t = strstr(text, "threshold: "); t; t = strstr(t + 1, "threshold: ")) {
		char *v = t + strlen("threshold: ");
		if (*v < '0' || *v > '9')
			continue;
		*v++ = '2';
		while (*v >= '0' && *v <= '9')
			*v++ = ' ';
	}
	int r = rules_load_string("fuzz low thresholds", text, n, &gen_rules[1], err, sizeof err);
	free(text);
	if (r < 0)
		goto fail;
	atexit(gen_print_kinds);
	return 0;
fail:
	fprintf(stderr, "fuzz_pipeline_gen: %s\n", err);
	exit(1);
}

static uint64_t gen_step(uint64_t ts, unsigned cls, uint8_t v)
{
	switch (cls) {
	case 1:
		return ts + v * 10ULL;
	case 2:
		return ts + v * 1000ULL;
	case 3:
		return ts + v * 1000000ULL;
	case 4:
		return ts + v * 60000000ULL;
	case 5:
		return ts - v * 1000ULL;
	case 6:
		return ts + ((uint64_t)v << 40);
	case 7:
		return (uint64_t)v << 56 | (ts & 0xffffffffULL);
	default:
		return ts;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct gen_run run = {.test_space = true};
	if (size < 1)
		return 0;
	const struct sw_ruleset *rules = gen_rules[data[0] & 1];
	struct pipeline_config pc = {
	    .rules = rules,
	    .memory_cap = (data[0] & 2) ? 4ULL << 20 : 1ULL << 20,
	    .evidence = !(data[0] & 4),
	    .seed = 1,
	    .emit = gen_emit,
	    .emit_ctx = &run,
	};
	struct pipeline *pl = pipeline_create(&pc, err, sizeof err);
	if (!pl)
		abort();
	uint8_t frame[GEN_FRAME_MAX];
	uint64_t ts = GEN_T0, frames = 0;
	uint32_t lcg = 12345;
	for (size_t off = 1; off + GEN_REC <= size && frames < GEN_MAX_PACKETS; off += GEN_REC) {
		const uint8_t *r = data + off;
		unsigned what = r[0] & 7, cls = r[0] >> 5;
		bool reply = r[0] & 8, v6 = (r[0] & 16) && what != 4;
		ts = gen_step(ts, cls, r[7]);
		if (what == 7) {
			if (r[3] < 128)
				pipeline_tick(pl, ts);
			else if (pipeline_set_rules(pl, gen_rules[(r[3] & 1) ^ (data[0] & 1)], ts) <
			         0)
				abort();
			continue;
		}
		unsigned count = (r[6] & 31) + 1u;
		if (r[6] & 0x80)
			count *= 16;
		unsigned move = (r[6] >> 5) & 3, variant = r[9];
		uint16_t dport = (uint16_t)(r[4] << 8 | r[5]);
		for (unsigned i = 0; i < count && frames < GEN_MAX_PACKETS; i++) {
			struct gen_pkt p = {.ttl = r[8] ? r[8] : 64};
			struct gen_addr router;
			uint8_t sidx = (uint8_t)((r[1] & 63) + (move == 2   ? i
			                                        : move == 3 ? i % 4
			                                                    : 0));
			uint8_t didx = (uint8_t)(r[2] + (move == 1 ? i : 0));
			uint16_t port = (uint16_t)(dport + (move == 0 ? i : move == 3 ? i / 4 : 0));
			lcg = lcg * 1103515245u + 12345u;
			if (r[1] & 0x80 && move < 2) {
				gen_arbitrary(&p.src, v6, r);
				run.test_space = false;
			} else {
				gen_host(&p.src, v6, 0,
				         (uint8_t)(sidx % 64 + 1 + (move == 2 ? i / 64 : 0)));
			}
			gen_host(&p.dst, v6, 1, didx);
			gen_host(&router, v6, 2, 1);
			/* IP id and source port habits: nmap keeps one source port per scan,
			 * masscan and zmap fix the id (zmap 54321), hping3 counts. */
			unsigned habit = variant >> 5;
			uint16_t sport = habit & 1 ? (uint16_t)(40000 + (r[1] & 63))
			                           : (uint16_t)(1024 + (lcg >> 16) % 60000);
			p.ip_id = habit == 2   ? 54321
			          : habit == 3 ? (uint16_t)(1000 + i)
			                       : (uint16_t)lcg;
			p.df = habit >= 4;
			if (reply && what != 6) {
				struct gen_addr t = p.src;
				p.src = p.dst;
				p.dst = t;
				uint16_t x = sport;
				sport = port;
				port = x;
			}
			size_t len = 0;
			uint32_t seq = lcg ^ (uint32_t)port << 16;
			switch (what) {
			case 0:
				len = gen_tcp(frame, &p, sport, port, r[3], seq, variant);
				break;
			case 1:
				len = gen_udp(frame, &p, sport, port, variant);
				break;
			case 2:
				/* Error messages carry a quote (RFC 792, RFC 4443 2.1): built as
				 * such. */
				if (v6 ? r[3] < 128 : memchr("\3\4\5\13\14", r[3] % 44, 5) != NULL)
					len = gen_icmp_error(frame, &p, &p.dst, variant & 3, r[3],
					                     sport, port);
				else
					len = gen_icmp(frame, &p, v6 ? r[3] : (uint8_t)(r[3] % 44),
					               (uint16_t)(sport ^ r[1]), (uint16_t)i,
					               variant);
				break;
			case 3:
				len = gen_sctp(frame, &p, sport, port, r[3], seq);
				break;
			case 4:
				len = gen_arp(frame, &p.src, &p.dst,
				              (uint16_t)((r[3] & 3) ? (r[3] & 3) : 1));
				break;
			case 5:
				len = gen_rawip(frame, &p, r[3]);
				break;
			default:
				len = gen_icmp_error(frame, &p, reply ? &router : &p.dst, r[3] & 3,
				                     (uint8_t)(r[3] >> 2), sport, port);
				break;
			}
			struct capture_packet cp = {
			    .data = frame,
			    .caplen = (uint32_t)len,
			    .wirelen = (uint32_t)len,
			    .ts_us = ts,
			    .dlt = DLT_EN10MB,
			};
			pipeline_packet(pl, &cp);
			frames++;
			if (cls >= 1 && cls <= 4 && i + 1 < count)
				ts = gen_step(ts, cls == 1 ? 1 : cls - 1, r[7] ? 1 : 0);
		}
	}
	pipeline_finish(pl);
	struct pipeline_stats ps;
	pipeline_get_stats(pl, &ps);
	if (ps.evidence.bytes_max > ps.evidence.limit)
		abort(); /* the evidence arena past its share of the cap */
	uint64_t anomalies = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		anomalies += ps.decode.anomalies[a];
	if (anomalies != 0)
		abort(); /* a well-formed frame counted as malformed */
	if (ps.packets != frames)
		abort();
	if (ps.detect.opened != run.opened || ps.detect.closed > ps.detect.opened)
		abort();
	pipeline_destroy(pl);
	return 0;
}
