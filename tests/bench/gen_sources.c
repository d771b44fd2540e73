/* gen_sources.c — benchmark capture writer: TCP SYNs from up to a million distinct sources. */

/*
 * scanprobe draws flood sources at random inside 198.18.0.0/15, which holds
 * only 131,072 addresses, and runs at most 256 scanners; the benchmark needs
 * one million distinct sources (table pressure) and tens of thousands of
 * small independent scans (detection rows). This writer produces both, fast,
 * without sending anything: the capture is only ever read back from disk.
 *
 * Addresses stay in the benchmarking ranges: source number i < 130,816 is
 * the IPv4 address 198.18.1.0 + i (198.18.1.0 .. 198.19.255.255, RFC 2544
 * section C.2.2), the rest are 2001:2:0:1::<i - 130816> (2001:2::/48,
 * RFC 5180 section 8). Targets are in 198.18.0.0/24 and 2001:2::/64, which
 * hold no source, so targets and sources never share an address.
 *
 * Two shapes. With --ports 1 (the default), a spoofed-source SYN flood:
 * PER rounds in which every source sends one SYN to 198.18.0.1:80 (or
 * 2001:2::1) from a new source port, sources in a fixed pseudo-random order
 * (a multiplicative permutation), so all sources are live at once and IPv4
 * and IPv6 interleave. With --ports K > 1, many small independent port scans:
 * one source after another (same permutation) sends its PER SYNs to its own
 * host 198.18.0.(1 + i % 254) (or 2001:2::(1 + i % 254)), ports base + k % K
 * from a per-source base, from one source port; lockstep rounds would instead
 * look like one decoy scan (nmap -D), which is what the sensor would then,
 * rightly, report. With --replies the target answers every SYN with a RST-ACK
 * (port closed), right after it. Timestamps start at 2023-11-14 22:13:20 UTC
 * and advance --gap microseconds per packet, so a five-million-packet capture
 * spans seconds: every source stays inside the rules' windows and none goes
 * idle during the capture.
 *
 * Usage: gen_sources --sources N --per-source P [--ports K] [--replies]
 *                    [--gap US] [--seed S] -o OUT.pcap
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sources that fit in 198.18.1.0 .. 198.19.255.255 (the /15 less its first /24). */
#define GEN_V4_SOURCES (131072u - 256u)
/* Largest source count accepted: the IPv6 part numbers sources in 32 bits. */
#define GEN_MAX_SOURCES 100000000u
/* First timestamp: a fixed instant, so the same arguments give the same file. */
#define GEN_EPOCH 1700000000u
/* Ethernet 14 + IPv6 40 + TCP 24 (the largest frame written). */
#define GEN_MAX_FRAME 78
/* stdio buffer: large writes keep generation well under the replay times measured. */
#define GEN_IOBUF (1u << 20)

struct gen_opts {
	uint32_t sources;
	uint32_t per_source;
	uint32_t ports;
	bool replies;
	uint32_t gap_us;
	uint64_t seed;
	const char *out;
};

struct gen_state {
	FILE *f;
	uint64_t ts_us;  /* microseconds since GEN_EPOCH */
	uint32_t gap_us; /* added to ts_us after every packet */
	uint64_t rng;
	uint64_t packets;
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* pcap headers are written little-endian; readers detect the order from the magic. */
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* xorshift64*: sequence numbers and IP ids only need to look random, not be secret. */
static uint32_t gen_rand(struct gen_state *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return (uint32_t)((g->rng * 2685821657736338717ull) >> 32);
}

/* Ones' complement sum of big-endian 16-bit words (RFC 1071), not yet folded. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* Address of source number i (see the layout comment at the top). */
static void source_addr(uint32_t i, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (i < GEN_V4_SOURCES) {
		*family = 4;
		put_be32(addr, (198u << 24 | 18u << 16 | 1u << 8) + i);
		return;
	}
	*family = 6;
	static const uint8_t prefix[8] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01};
	memcpy(addr, prefix, sizeof prefix);
	put_be32(addr + 12, i - GEN_V4_SOURCES);
}

/* Target host number h (1..254) of 198.18.0.0/24 or 2001:2::/64. */
static void target_addr(int family, uint32_t h, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (family == 4) {
		put_be32(addr, (198u << 24 | 18u << 16) + h);
		return;
	}
	static const uint8_t prefix[4] = {0x20, 0x01, 0x00, 0x02};
	memcpy(addr, prefix, sizeof prefix);
	put_be32(addr + 12, h);
}

struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	bool mss; /* carry an MSS option (nmap's SYNs do; RSTs do not) */
};

/*
 * Builds one Ethernet frame (RFC 894 / RFC 2464) carrying IPv4 (RFC 791) or
 * IPv6 (RFC 8200) and a TCP header (RFC 9293) with correct checksums.
 * Returns the frame length.
 */
static size_t build_frame(uint8_t *b, int family, const uint8_t src[16], const uint8_t dst[16],
                          const struct tcp_seg *t, uint16_t ip_id, bool from_target)
{
	static const uint8_t mac_scan[6] = {0x02, 0, 0, 0, 0, 0x01};
	static const uint8_t mac_tgt[6] = {0x02, 0, 0, 0, 0, 0x02};
	size_t tcp_len = t->mss ? 24 : 20;
	memcpy(b, from_target ? mac_scan : mac_tgt, 6);
	memcpy(b + 6, from_target ? mac_tgt : mac_scan, 6);
	put_be16(b + 12, family == 4 ? 0x0800 : 0x86dd);

	uint8_t *ip = b + 14;
	size_t ip_len = family == 4 ? 20 : 40;
	uint8_t *tcp = ip + ip_len;
	uint32_t pseudo;
	if (family == 4) {
		ip[0] = 0x45;
		ip[1] = 0;
		put_be16(ip + 2, (uint16_t)(ip_len + tcp_len));
		put_be16(ip + 4, ip_id);
		put_be16(ip + 6, 0);
		ip[8] = 64;
		ip[9] = 6;
		put_be16(ip + 10, 0);
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		put_be16(ip + 10, fold(sum16(ip, 20, 0)));
		/* RFC 9293 3.1: pseudo-header of source, destination, protocol, length */
		pseudo = sum16(ip + 12, 8, 6 + (uint32_t)tcp_len);
	} else {
		put_be32(ip, 0x60000000u);
		put_be16(ip + 4, (uint16_t)tcp_len);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		/* RFC 8200 8.1: the upper-layer checksum covers a 40-byte pseudo-header */
		pseudo = sum16(ip + 8, 32, 6 + (uint32_t)tcp_len);
	}

	put_be16(tcp, t->sport);
	put_be16(tcp + 2, t->dport);
	put_be32(tcp + 4, t->seq);
	put_be32(tcp + 8, t->ack);
	tcp[12] = (uint8_t)((tcp_len / 4) << 4);
	tcp[13] = t->flags;
	put_be16(tcp + 14, t->window);
	put_be16(tcp + 16, 0);
	put_be16(tcp + 18, 0);
	if (t->mss) {
		/* RFC 9293 3.2: kind 2, length 4, MSS 1460 */
		tcp[20] = 2;
		tcp[21] = 4;
		put_be16(tcp + 22, 1460);
	}
	put_be16(tcp + 16, fold(sum16(tcp, tcp_len, pseudo)));
	return 14 + ip_len + tcp_len;
}

static int write_record(struct gen_state *g, const uint8_t *frame, size_t len)
{
	uint8_t rh[16];
	uint64_t ts = g->ts_us;
	g->ts_us += g->gap_us;
	put_le32(rh, (uint32_t)(GEN_EPOCH + ts / 1000000));
	put_le32(rh + 4, (uint32_t)(ts % 1000000));
	put_le32(rh + 8, (uint32_t)len);
	put_le32(rh + 12, (uint32_t)len);
	if (fwrite(rh, sizeof rh, 1, g->f) != 1 || fwrite(frame, len, 1, g->f) != 1)
		return -1;
	g->packets++;
	return 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* A multiplier coprime with n, so j -> j * m mod n visits every source once per round. */
static uint64_t permutation_step(uint32_t n)
{
	uint64_t m = 2654435761u % n; /* Knuth's multiplicative hash constant scatters well */
	if (m == 0)
		m = 1;
	while (gcd(m, n) != 1)
		m++;
	return m;
}

/* Per-source value that looks random: Knuth's multiplicative hash. */
static uint32_t source_hash(uint32_t i)
{
	return (uint32_t)(i * 2654435761u) >> 8;
}

/* Writes the k-th SYN of source i, and the target's RST-ACK when asked to. */
static int emit_probe(const struct gen_opts *o, struct gen_state *g, uint32_t i, uint32_t k)
{
	int family;
	uint8_t src[16], dst[16], frame[GEN_MAX_FRAME];
	source_addr(i, &family, src);
	struct tcp_seg syn = {
	    .seq = gen_rand(g),
	    .flags = 0x02, /* SYN */
	    .window = 1024,
	    .mss = true,
	};
	if (o->ports == 1) {
		/* flood: one service, a new source port per SYN, as hping3 -S --flood */
		target_addr(family, 1, dst);
		syn.sport = (uint16_t)(1024 + (source_hash(i) + k) % 64000);
		syn.dport = 80;
	} else {
		/* scan: each source its own host and run of ports, one source port, as nmap -sS */
		target_addr(family, 1 + i % 254, dst);
		syn.sport = (uint16_t)(1024 + source_hash(i) % 64000);
		syn.dport = (uint16_t)(1 + (source_hash(i) + k % o->ports) % 65535);
	}
	size_t n = build_frame(frame, family, src, dst, &syn, (uint16_t)gen_rand(g), false);
	if (write_record(g, frame, n) < 0)
		return -1;
	if (!o->replies)
		return 0;
	struct tcp_seg rst = {
	    .sport = syn.dport,
	    .dport = syn.sport,
	    .ack = syn.seq + 1,
	    .flags = 0x14, /* RST, ACK: port closed (RFC 9293 3.10.7.1) */
	};
	n = build_frame(frame, family, dst, src, &rst, 0, true);
	return write_record(g, frame, n);
}

static int generate(const struct gen_opts *o, struct gen_state *g)
{
	uint8_t ghdr[24];
	put_le32(ghdr, 0xa1b2c3d4u); /* microsecond pcap */
	put_le16(ghdr + 4, 2);
	put_le16(ghdr + 6, 4);
	put_le32(ghdr + 8, 0);
	put_le32(ghdr + 12, 0);
	put_le32(ghdr + 16, 65535); /* snaplen */
	put_le32(ghdr + 20, 1);     /* LINKTYPE_ETHERNET */
	if (fwrite(ghdr, sizeof ghdr, 1, g->f) != 1)
		return -1;

	uint64_t step = permutation_step(o->sources);
	if (o->ports == 1) {
		/* flood: rounds, so every source is live at once */
		for (uint32_t k = 0; k < o->per_source; k++)
			for (uint32_t j = 0; j < o->sources; j++)
				if (emit_probe(o, g, (uint32_t)(((uint64_t)j * step) % o->sources),
				               k) < 0)
					return -1;
		return 0;
	}
	/* scans: one source after another; lockstep rounds would be one decoy scan */
	for (uint32_t j = 0; j < o->sources; j++)
		for (uint32_t k = 0; k < o->per_source; k++)
			if (emit_probe(o, g, (uint32_t)(((uint64_t)j * step) % o->sources), k) < 0)
				return -1;
	return 0;
}

static int parse_u32(const char *s, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "gen_sources: bad %s '%s' (%" PRIu32 "..%" PRIu32 ")\n", what, s,
		        min, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_sources --sources N --per-source P [--ports K] [--replies]\n"
	                "                   [--gap US] [--seed S] -o OUT.pcap\n");
}

static int parse_args(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longopts[] = {
	    {"sources", required_argument, NULL, 's'}, {"per-source", required_argument, NULL, 'p'},
	    {"ports", required_argument, NULL, 'k'},   {"replies", no_argument, NULL, 'r'},
	    {"gap", required_argument, NULL, 'g'},     {"seed", required_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0},
	};
	uint32_t seed = 1;
	*o = (struct gen_opts){.ports = 1, .gap_us = 1};
	int c;
	while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case 's':
			rc = parse_u32(optarg, "--sources", 1, GEN_MAX_SOURCES, &o->sources);
			break;
		case 'p':
			rc = parse_u32(optarg, "--per-source", 1, 1000, &o->per_source);
			break;
		case 'k':
			rc = parse_u32(optarg, "--ports", 1, 65535, &o->ports);
			break;
		case 'r':
			o->replies = true;
			break;
		case 'g':
			rc = parse_u32(optarg, "--gap", 1, 1000000, &o->gap_us);
			break;
		case 'S':
			rc = parse_u32(optarg, "--seed", 0, UINT32_MAX, &seed);
			break;
		case 'o':
			o->out = optarg;
			break;
		default:
			usage();
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	if (optind != argc || !o->out || !o->sources || !o->per_source) {
		usage();
		return -1;
	}
	o->seed = seed;
	return 0;
}

int main(int argc, char **argv)
{
	struct gen_opts o;
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	/* xorshift must not start at zero; the odd constant keeps seed 0 usable */
	struct gen_state g = {
	    .rng = o.seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull,
	    .gap_us = o.gap_us,
	};
	char *iobuf = NULL;
	g.f = fopen(o.out, "wb");
	if (!g.f) {
		fprintf(stderr, "gen_sources: %s: %s\n", o.out, strerror(errno));
		return 1;
	}
	iobuf = malloc(GEN_IOBUF);
	if (!iobuf || setvbuf(g.f, iobuf, _IOFBF, GEN_IOBUF) != 0)
		goto fail;
	if (generate(&o, &g) < 0)
		goto fail;
	if (fclose(g.f) != 0) {
		g.f = NULL;
		goto fail;
	}
	free(iobuf);
	uint32_t v4 = o.sources < GEN_V4_SOURCES ? o.sources : GEN_V4_SOURCES;
	fprintf(stderr,
	        "gen_sources: %s: %" PRIu64 " packets, %" PRIu32 " sources (%" PRIu32
	        " IPv4, %" PRIu32 " IPv6)\n",
	        o.out, g.packets, o.sources, v4, o.sources - v4);
	return 0;
fail:
	fprintf(stderr, "gen_sources: %s: %s\n", o.out, strerror(errno ? errno : EIO));
	if (g.f)
		fclose(g.f);
	free(iobuf);
	remove(o.out);
	return 1;
}
