/* test_probe_build.c — scanprobe's checksums, packet templates, RFC 1624 patching, targets, ports,
 * safety. */
#include <netinet/in.h>
#include <stdlib.h>

#include "check.h"

/*
 * scanprobe's modules are linked into the scanprobe executable, not into scanwatch_core, so
 * the test compiles the modules it checks directly (they share no static names).
 */
#include "../../sensor/probe/build.c"
#include "../../sensor/probe/parse.c"
#include "../../sensor/probe/rng.c"
#include "../../sensor/probe/targets.c"

/* ---- an independent, deliberately naive checksum: build the pseudo-header as bytes, then
 * add 16-bit words folding the carry after every addition (RFC 1071 section 2 (C)). ---- */
static uint16_t ref_fold_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i += 2) {
		uint32_t w = (uint32_t)p[i] << 8;
		if (i + 1 < n)
			w |= p[i + 1];
		s += w;
		if (s > 0xffff)
			s = (s & 0xffff) + 1;
	}
	return (uint16_t)s;
}

/* Verifies pkt: the IPv4 header and the L4 checksum (with a pseudo-header rebuilt from the IP
 * header bytes) both sum to 0xffff, the one's complement identity a receiver checks. */
static int ref_verify(const struct build_pkt *p, uint8_t proto, bool pseudo)
{
	uint8_t buf[BUILD_MAX + 40];
	size_t n = 0;
	if (!p->v6 && ref_fold_sum(p->b, 20) != 0xffff)
		return -1;
	size_t l4len = p->len - p->l4;
	if (pseudo) {
		if (p->v6) {
			memcpy(buf, p->b + 8, 32);
			buf[32] = (uint8_t)(l4len >> 24), buf[33] = (uint8_t)(l4len >> 16);
			buf[34] = (uint8_t)(l4len >> 8), buf[35] = (uint8_t)l4len;
			buf[36] = buf[37] = buf[38] = 0, buf[39] = proto;
			n = 40;
		} else {
			memcpy(buf, p->b + 12, 8);
			buf[8] = 0, buf[9] = proto;
			buf[10] = (uint8_t)(l4len >> 8), buf[11] = (uint8_t)l4len;
			n = 12;
		}
	}
	memcpy(buf + n, p->b + p->l4, l4len);
	n += l4len;
	return ref_fold_sum(buf, n) == 0xffff ? 0 : -1;
}

static struct sw_addr v4(const char *s)
{
	struct sw_addr a;
	if (addr_parse(s, &a) != 0)
		memset(&a, 0, sizeof a);
	return a;
}

static void test_known_vectors(void)
{
	/* RFC 1071 section 3 example: the sum of these words is 0xddf2. */
	static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	CHECK_EQ_U(build_fold(build_sum(rfc1071, 8, 0)), (uint16_t)~0xddf2);
	/* A classic IPv4 header (192.168.0.1 -> 192.168.0.199, UDP) whose checksum is 0xb861. */
	uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	CHECK_EQ_U(build_cksum(ip, 20), 0xb861);
	/* Odd length: the last byte is padded with zero. */
	static const uint8_t odd[3] = {0x12, 0x34, 0x56};
	CHECK_EQ_U(build_cksum(odd, 3), (uint16_t) ~(0x1234 + 0x5600));
	/* All-zero data sums to zero: checksum 0xffff. */
	static const uint8_t zero[6];
	CHECK_EQ_U(build_cksum(zero, 6), 0xffff);
	/* RFC 1624 section 4 example: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000. */
	CHECK_EQ_U(build_cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);

	/* A SYN whose checksum was computed by hand (and agrees with tcpdump):
	 * 198.18.0.1:40000 -> 198.18.0.2:80, seq 1, win 1024, no options. */
	struct build_spec s = {.src = v4("198.18.0.1"),
	                       .dst = v4("198.18.0.2"),
	                       .proto = IPPROTO_TCP,
	                       .ttl = 64,
	                       .sport = 40000,
	                       .dport = 80,
	                       .seq = 1,
	                       .flags = 0x02,
	                       .win = 1024};
	struct build_pkt p;
	CHECK(build_packet(&s, &p) == 0);
	/* pseudo: c612+0001+c612+0002+0006+0014 = 0x18c41; tcp: 9c40+0050+0000+0001+0000+0000
	 * +5002+0400 = 0xf093 (data offset 5, flags SYN). 0x18c41+0xf093 = 0x27cd4 -> 0x7cd6,
	 * complemented 0x8329. */
	CHECK_EQ_U(p.b[20 + 16] << 8 | p.b[20 + 17], 0x8329);
}

static void random_spec(struct rng *r, struct build_spec *s, uint8_t *payload, uint8_t *opts,
                        bool v6, uint8_t proto)
{
	memset(s, 0, sizeof *s);
	uint8_t a[16], b[16];
	for (int i = 0; i < 16; i++)
		a[i] = (uint8_t)rng_next(r), b[i] = (uint8_t)rng_next(r);
	if (v6) {
		addr_from_v6(&s->src, a);
		addr_from_v6(&s->dst, b);
		s->src.a[0] = 0x20, s->dst.a[0] = 0x20; /* never read as IPv4-mapped */
	} else {
		addr_from_v4(&s->src, a);
		addr_from_v4(&s->dst, b);
	}
	s->proto = proto;
	s->ttl = (uint8_t)rng_next(r);
	s->ip_id = (uint16_t)rng_next(r);
	s->df = rng_next(r) & 1;
	s->flow = (uint32_t)rng_next(r);
	s->sport = (uint16_t)rng_next(r);
	s->dport = (uint16_t)rng_next(r);
	s->seq = (uint32_t)rng_next(r);
	s->ack = (uint32_t)rng_next(r);
	s->flags = (uint8_t)rng_next(r);
	s->win = (uint16_t)rng_next(r);
	s->icmp_type = (uint8_t)rng_next(r);
	s->icmp_code = (uint8_t)rng_next(r);
	s->icmp_id = (uint16_t)rng_next(r);
	s->icmp_seq = (uint16_t)rng_next(r);
	if (proto == IPPROTO_TCP) {
		s->optlen = (uint8_t)(4 * rng_below(r, 11));
		for (int i = 0; i < s->optlen; i++)
			opts[i] = (uint8_t)rng_next(r);
		s->opts = opts;
	}
	s->paylen = (uint16_t)rng_below(r, 300); /* odd lengths included */
	for (int i = 0; i < s->paylen; i++)
		payload[i] = (uint8_t)rng_next(r);
	s->payload = payload;
}

/* Every packet type, many random instances: the checksums verify with the naive reference,
 * and parse_l3 reads back what was built. */
static void test_every_type(void)
{
	static const struct {
		bool v6;
		uint8_t proto;
		bool pseudo;
	} types[] = {
	    {false, IPPROTO_TCP, true}, {false, IPPROTO_UDP, true}, {false, IPPROTO_ICMP, false},
	    {true, IPPROTO_TCP, true},  {true, IPPROTO_UDP, true},  {true, IPPROTO_ICMPV6, true},
	};
	struct rng r;
	rng_seed(&r, 1);
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		int bad = 0, badparse = 0;
		for (int i = 0; i < 3000; i++) {
			struct build_spec s;
			struct build_pkt p;
			struct parse_view v;
			uint8_t pay[300], opts[40];
			random_spec(&r, &s, pay, opts, types[t].v6, types[t].proto);
			if (build_packet(&s, &p) != 0) {
				bad++;
				continue;
			}
			if (ref_verify(&p, types[t].proto, types[t].pseudo) != 0)
				bad++;
			/* RFC 768: UDP never transmits a zero checksum it computed. */
			if (types[t].proto == IPPROTO_UDP && p.b[p.l4_ck] == 0 &&
			    p.b[p.l4_ck + 1] == 0)
				bad++;
			if (parse_l3(p.b, p.len, &v) != 0 || v.proto != s.proto ||
			    !addr_eq(&v.src, &s.src) || !addr_eq(&v.dst, &s.dst) ||
			    v.ttl != s.ttl || v.paylen != s.paylen) {
				badparse++;
				continue;
			}
			if (s.proto == IPPROTO_TCP &&
			    (v.sport != s.sport || v.dport != s.dport || v.seq != s.seq ||
			     v.ack != s.ack || v.flags != s.flags || v.win != s.win))
				badparse++;
			if (s.proto == IPPROTO_UDP && (v.sport != s.sport || v.dport != s.dport))
				badparse++;
			if ((s.proto == IPPROTO_ICMP || s.proto == IPPROTO_ICMPV6) &&
			    (v.icmp_type != s.icmp_type || v.icmp_code != s.icmp_code ||
			     v.icmp_id != s.icmp_id || v.icmp_seq != s.icmp_seq))
				badparse++;
		}
		CHECK_EQ_U(bad, 0);
		CHECK_EQ_U(badparse, 0);
	}
	/* The reference can fail: a flipped bit must be caught. */
	struct build_spec s;
	struct build_pkt p;
	uint8_t pay[300], opts[40];
	random_spec(&r, &s, pay, opts, false, IPPROTO_TCP);
	CHECK(build_packet(&s, &p) == 0);
	p.b[p.l4 + 4] ^= 0x10;
	CHECK(ref_verify(&p, IPPROTO_TCP, true) != 0);
	/* Limits: options not a multiple of 4, oversize payloads and mixed families refused. */
	s.optlen = 3;
	CHECK(build_packet(&s, &p) != 0);
	s.optlen = 0;
	s.paylen = BUILD_MAX;
	CHECK(build_packet(&s, &p) != 0);
	s.paylen = 0;
	s.dst.a[0] = 0x20;
	CHECK(build_packet(&s, &p) != 0);
}

/* The pseudo-header sums agree with a byte-built pseudo-header (RFC 9293 3.1, RFC 8200 8.1). */
static void test_pseudo(void)
{
	struct sw_addr s4 = v4("198.18.0.1"), d4 = v4("198.19.255.254");
	uint8_t ph4[12] = {198, 18, 0, 1, 198, 19, 255, 254, 0, 17, 0x01, 0x23};
	CHECK_EQ_U(build_fold(build_pseudo_sum(&s4, &d4, 17, 0x123)),
	           (uint16_t)~ref_fold_sum(ph4, 12));
	struct sw_addr s6, d6;
	addr_parse("2001:2::1", &s6);
	addr_parse("2001:2:0:ffff::fe", &d6);
	uint8_t ph6[40] = {0};
	memcpy(ph6, s6.a, 16);
	memcpy(ph6 + 16, d6.a, 16);
	ph6[33] = 0x01, ph6[34] = 0x02, ph6[35] = 0x03, ph6[39] = 6; /* 32-bit length 0x10203 */
	CHECK_EQ_U(build_fold(build_pseudo_sum(&s6, &d6, 6, 0x10203)),
	           (uint16_t)~ref_fold_sum(ph6, 40));
}

/* RFC 1624: patching fields with incremental updates equals recomputing from scratch. */
static void test_incremental(void)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	struct rng r;
	rng_seed(&r, 2);
	int mismatches = 0, runs = 0;
	for (int i = 0; i < 20000; i++) {
		bool v6 = i & 1;
		uint8_t proto = protos[rng_below(&r, 3)];
		if (v6 && proto == IPPROTO_ICMP)
			proto = IPPROTO_ICMPV6;
		struct build_spec s;
		struct build_pkt p, ref;
		uint8_t pay[300], opts[40];
		random_spec(&r, &s, pay, opts, v6, proto);
		if (build_packet(&s, &p) != 0)
			continue;
		for (int k = 0; k < 8; k++) {
			uint8_t nb[16];
			for (int j = 0; j < 16; j++)
				nb[j] = (uint8_t)rng_next(&r);
			switch (rng_below(&r, 4)) {
			case 0: { /* destination address: IP header and pseudo-header */
				struct sw_addr d = s.dst;
				memcpy(v6 ? d.a : d.a + 12, nb, v6 ? 16 : 4);
				build_patch_dst(&p, &d);
				break;
			}
			case 1: /* ports (TCP, UDP) or identifier and sequence (ICMP), not the
			         * checksum field itself */
				build_patch(
				    &p,
				    p.l4 + (proto == IPPROTO_TCP || proto == IPPROTO_UDP ? 0 : 4),
				    nb, 4, BUILD_CK_L4);
				break;
			case 2: /* IPv4 identification (or IPv6 payload-free flow bits) */
				if (!v6)
					build_patch(&p, 4, nb, 2, BUILD_CK_IP);
				break;
			default: /* payload words, when there are any (even offsets only) */
				if (p.len - p.l4 >= 12)
					build_patch(&p, p.l4 + 8, nb, 4, BUILD_CK_L4);
				break;
			}
			ref = p;
			build_finish(&ref);
			runs++;
			if (memcmp(ref.b, p.b, p.len) != 0)
				mismatches++;
		}
	}
	CHECK(runs > 100000);
	CHECK_EQ_U(mismatches, 0);

	/* RFC 768 corner: a UDP datagram whose computed checksum is 0 carries 0xffff; patching
	 * must keep the substitution consistent both ways. */
	struct build_spec s = {.src = v4("198.18.0.1"),
	                       .dst = v4("198.18.0.2"),
	                       .proto = IPPROTO_UDP,
	                       .ttl = 64,
	                       .sport = 1,
	                       .dport = 2};
	uint8_t pay[2] = {0, 0};
	s.payload = pay;
	s.paylen = 2;
	struct build_pkt p;
	bool found = false;
	for (uint32_t w = 0; w <= 0xffff && !found; w++) {
		pay[0] = (uint8_t)(w >> 8), pay[1] = (uint8_t)w;
		build_packet(&s, &p);
		found = p.b[26] == 0xff && p.b[27] == 0xff;
	}
	CHECK(found);
	uint8_t port[2] = {0x12, 0x34};
	build_patch(&p, 20, port, 2, BUILD_CK_L4);
	struct build_pkt ref = p;
	build_finish(&ref);
	CHECK(memcmp(ref.b, p.b, p.len) == 0);
	port[0] = 0, port[1] = 1; /* back to the all-ones case */
	build_patch(&p, 20, port, 2, BUILD_CK_L4);
	CHECK(p.b[26] == 0xff && p.b[27] == 0xff);
}

static void test_arp_ether(void)
{
	uint8_t f[64], sha[6] = {2, 0, 0, 0, 0, 1}, tha[6] = {0};
	uint8_t spa[4] = {198, 18, 0, 1}, tpa[4] = {198, 18, 0, 2};
	size_t n = build_arp(f, 1, sha, spa, tha, tpa);
	CHECK_EQ_U(n, 42);
	struct parse_view v;
	CHECK(parse_ether(f, n, &v) == 0);
	CHECK_EQ_U(v.arp_op, 1);
	CHECK(addr_eq(&v.arp_tpa, &(struct sw_addr){0}) == false);
	struct sw_addr want = v4("198.18.0.2");
	CHECK(addr_eq(&v.arp_tpa, &want));
	CHECK(parse_ether(f, 20, &v) != 0); /* truncated */
}

/* ICMP errors quote the probe; the parser finds the quoted ports. */
static void test_quote(void)
{
	struct build_spec probe = {.src = v4("198.18.0.1"),
	                           .dst = v4("198.18.0.2"),
	                           .proto = IPPROTO_UDP,
	                           .ttl = 50,
	                           .sport = 4444,
	                           .dport = 161};
	struct build_pkt q, e;
	CHECK(build_packet(&probe, &q) == 0);
	struct build_spec err = {.src = probe.dst,
	                         .dst = probe.src,
	                         .proto = IPPROTO_ICMP,
	                         .ttl = 64,
	                         .icmp_type = 3,
	                         .icmp_code = 3,
	                         .payload = q.b,
	                         .paylen = q.len};
	CHECK(build_packet(&err, &e) == 0);
	struct parse_view v;
	CHECK(parse_l3(e.b, e.len, &v) == 0);
	CHECK(v.has_quote);
	CHECK_EQ_U(v.q_dport, 161);
	CHECK_EQ_U(v.q_sport, 4444);
	CHECK_EQ_U(v.q_proto, IPPROTO_UDP);
	/* Truncation anywhere never reads past the end (ASan checks) and never succeeds wrongly. */
	for (uint16_t n = 0; n < e.len; n++)
		parse_l3(e.b, n, &v);
	CHECK(parse_l3(e.b, 19, &v) != 0);
}

static void test_targets(void)
{
	struct targets t = {0};
	char err[256];
	struct sw_addr a;
	char buf[ADDR_TEXT_MAX];
	CHECK(targets_add(&t, "198.18.1.1-20", err, sizeof err) == 0);
	CHECK_EQ_U(t.total, 20);
	targets_get(&t, 19, &a);
	CHECK_STR(addr_format(&a, buf), "198.18.1.20");
	CHECK(targets_add(&t, "198.18.2.7/24,198.18.3.5", err, sizeof err) == 0);
	CHECK_EQ_U(t.total, 20 + 256 + 1);
	targets_get(&t, 20, &a);
	CHECK_STR(addr_format(&a, buf), "198.18.2.0"); /* host bits cleared */
	targets_get(&t, 276, &a);
	CHECK_STR(addr_format(&a, buf), "198.18.3.5");
	CHECK(targets_add(&t, "198.18.255.250-198.19.0.5", err, sizeof err) == 0);
	targets_get(&t, t.total - 1, &a);
	CHECK_STR(addr_format(&a, buf), "198.19.0.5");
	CHECK_EQ_U(t.r[t.n - 1].count, 12);
	CHECK(targets_add(&t, "2001:2::1-ff", err, sizeof err) == 0);
	CHECK_EQ_U(t.r[t.n - 1].count, 255);
	CHECK(targets_add(&t, "2001:2::/120", err, sizeof err) == 0);
	CHECK_EQ_U(t.r[t.n - 1].count, 256);
	size_t before = t.n;
	CHECK(targets_add(&t, "198.18.1.20-1", err, sizeof err) != 0);
	CHECK(targets_add(&t, "198.18.1.1-300", err, sizeof err) != 0);
	CHECK(targets_add(&t, "198.18.0.0/7", err, sizeof err) != 0); /* > 2^24 hosts */
	CHECK(targets_add(&t, "2001:2::/48", err, sizeof err) != 0);
	CHECK(targets_add(&t, "example.com", err, sizeof err) != 0);
	CHECK(targets_add(&t, "198.18.1.1-2001:2::1", err, sizeof err) != 0);
	CHECK(targets_add(&t, "198.18.1.1-", err, sizeof err) != 0);
	CHECK_EQ_U(t.n, before);
	targets_free(&t);

	/* Address arithmetic carries across bytes. */
	a = v4("198.18.255.255");
	targets_addr_add(&a, 1);
	CHECK_STR(addr_format(&a, buf), "198.19.0.0");
}

static void test_ports(void)
{
	struct ports p = {0};
	char err[256];
	CHECK(targets_ports("22,80,1000-1010", 1, 65535, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 13);
	CHECK_EQ_U(p.v[0], 22);
	CHECK_EQ_U(p.v[12], 1010);
	free(p.v);
	CHECK(targets_ports("80,22,80,21-23", 1, 65535, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 4); /* 80 22 21 23: order kept, duplicates dropped */
	CHECK_EQ_U(p.v[2], 21);
	free(p.v);
	CHECK(targets_ports("-", 1, 65535, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 65535);
	CHECK_EQ_U(p.v[65534], 65535);
	free(p.v);
	CHECK(targets_ports("-1024", 1, 65535, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 1024);
	free(p.v);
	CHECK(targets_ports("65000-", 1, 65535, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 536);
	free(p.v);
	CHECK(targets_ports("0-255", 0, 255, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.n, 256);
	free(p.v);
	static const char *const bad[] = {"",  "70000", "22,",   ",22",   "a",
	                                  "0", "30-20", "1-2-3", "22;80", "256x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(targets_ports(bad[i], 1, 65535, &p, err, sizeof err) != 0);
	CHECK(targets_ports("256", 0, 255, &p, err, sizeof err) != 0);

	CHECK(targets_top_ports(1, false, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.v[0], 80);
	free(p.v);
	CHECK(targets_top_ports(1000, false, &p, err, sizeof err) == 0);
	uint8_t *seen = calloc(65536, 1);
	int dups = 0;
	for (size_t i = 0; i < p.n; i++)
		dups += seen[p.v[i]]++ ? 1 : 0;
	CHECK_EQ_U(dups, 0);
	CHECK(seen[22] && seen[443] && seen[3389] && seen[65389]);
	free(seen);
	free(p.v);
	CHECK(targets_top_ports(1001, false, &p, err, sizeof err) != 0);
	CHECK(targets_top_ports(0, false, &p, err, sizeof err) != 0);
	CHECK(targets_top_ports(1, true, &p, err, sizeof err) == 0);
	CHECK_EQ_U(p.v[0], 631);
	free(p.v);
}

static bool allowed(const char *target, const struct sw_cidr *extra, size_t n)
{
	struct targets t = {0};
	char err[256];
	if (targets_add(&t, target, err, sizeof err) != 0)
		return false;
	bool ok = targets_allowed(&t, extra, n, err, sizeof err);
	targets_free(&t);
	return ok;
}

static void test_safety(void)
{
	static const char *const ok[] = {
	    "127.0.0.1",   "127.255.255.255",       "::1",
	    "198.18.0.0",  "198.19.255.255",        "198.18.0.0/15",
	    "2001:2::1",   "2001:2:0:ffff::ffff",   "192.0.2.0",
	    "192.0.2.255", "198.51.100.7",          "203.0.113.255",
	    "2001:db8::1", "2001:db8:ffff:ffff::1", "198.18.255.250-198.19.0.5",
	};
	static const char *const refused[] = {
	    "8.8.8.8",
	    "10.0.0.1",
	    "198.17.255.255",
	    "198.20.0.0",
	    "126.255.255.255",
	    "128.0.0.0",
	    "::2",
	    "::",
	    "2001:3::1",
	    "2001:1:ffff:ffff:ffff:ffff:ffff:ffff",
	    "192.0.3.0",
	    "192.0.1.255",
	    "203.0.114.0",
	    "2001:db9::1",
	    "198.16.0.0/14",
	    "198.19.255.250-198.20.0.5",
	    "192.0.2.0/23",
	    "::ffff:8.8.8.8",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		bool r = allowed(ok[i], NULL, 0);
		if (!r)
			fprintf(stderr, "wrongly refused %s\n", ok[i]);
		CHECK(r);
	}
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		bool r = allowed(refused[i], NULL, 0);
		if (r)
			fprintf(stderr, "wrongly allowed %s\n", refused[i]);
		CHECK(!r);
	}
	struct sw_cidr extra;
	CHECK(addr_cidr_parse("10.0.0.0/8", &extra) == 0);
	CHECK(allowed("10.0.0.1", &extra, 1));
	CHECK(allowed("10.255.255.255", &extra, 1));
	CHECK(!allowed("11.0.0.0", &extra, 1));
	CHECK(!allowed("9.255.255.255-10.0.0.1", &extra, 1));
	struct targets t = {0};
	char err[256];
	targets_add(&t, "8.8.8.8", err, sizeof err);
	CHECK(!targets_allowed(&t, NULL, 0, err, sizeof err));
	CHECK(strstr(err, "refusing target 8.8.8.8") != NULL);
	targets_free(&t);
	struct sw_addr a = v4("198.19.254.10");
	CHECK(targets_addr_allowed(&a, NULL, 0));
	a = v4("1.1.1.1");
	CHECK(!targets_addr_allowed(&a, NULL, 0));
}

/* The order is a permutation: every index exactly once, deterministic for a seed. */
static void test_perm(void)
{
	static const uint64_t sizes[] = {1, 2, 3, 1000, 4097, 65536};
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		uint64_t n = sizes[s];
		uint8_t *seen = calloc(n, 1);
		struct rng r;
		struct rng_perm p;
		uint64_t x, count = 0, inorder = 0, prev = 0;
		rng_seed(&r, 42);
		rng_perm_init(&p, n, &r, false);
		int dup = 0;
		while (rng_perm_next(&p, &x)) {
			if (x >= n || seen[x]++)
				dup++;
			inorder += count > 0 && x == prev + 1;
			prev = x;
			count++;
		}
		CHECK_EQ_U(count, n);
		CHECK_EQ_U(dup, 0);
		if (n >= 1000)
			CHECK(inorder < n / 10); /* actually shuffled */
		free(seen);
	}
	struct rng r1, r2;
	struct rng_perm p1, p2;
	rng_seed(&r1, 7);
	rng_seed(&r2, 7);
	rng_perm_init(&p1, 5000, &r1, false);
	rng_perm_init(&p2, 5000, &r2, false);
	uint64_t a, b;
	int differ = 0;
	while (rng_perm_next(&p1, &a) && rng_perm_next(&p2, &b))
		differ += a != b;
	CHECK_EQ_U(differ, 0);
	rng_perm_init(&p1, 3, &r1, true);
	CHECK(rng_perm_next(&p1, &a) && a == 0);
	CHECK(rng_perm_next(&p1, &a) && a == 1);
	CHECK(rng_perm_next(&p1, &a) && a == 2);
	CHECK(!rng_perm_next(&p1, &a));
}

int main(void)
{
	test_known_vectors();
	test_every_type();
	test_pseudo();
	test_incremental();
	test_arp_ether();
	test_quote();
	test_targets();
	test_ports();
	test_safety();
	test_perm();
	CHECK_DONE();
}
