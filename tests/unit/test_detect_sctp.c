/* test_detect_sctp.c — SW-SCTP-001 on synthetic SCTP traffic through classify and the engine:
 * nmap -sY and -sZ open sctp_scan named nmap, other hand-built INITs are not named, and a
 * telecom peer's associations stay quiet, as do a small stack's whose INITs look hand-built. */
#define MAXREC 64
#include "detect_harness.h"
#include "fixtures.h"

/* The shipped rule set (rules/default.yaml, compiled in). */
static void setup(struct harness *h)
{
	harness_setup(h, NULL, 4096, 3);
}

static void teardown(struct harness *h)
{
	harness_teardown(h);
}

enum {
	C_DATA = 0,
	C_INIT = 1,
	C_INIT_ACK = 2,
	C_SACK = 3,
	C_ABORT = 6,
	C_COOKIE_ECHO = 10,
	C_COOKIE_ACK = 11
};

static struct sw_packet sctp(struct sw_addr src, struct sw_addr dst, uint16_t sp, uint16_t dp,
                             uint8_t type, uint16_t chunk_len, uint8_t ttl)
{
	struct sw_packet p = {0};
	p.l3 = addr_is_v4(&src) ? PKT_L3_IPV4 : PKT_L3_IPV6;
	p.proto = 132;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.sport = sp;
	p.dport = dp;
	p.ttl = ttl;
	p.sctp.chunk_type = type;
	p.sctp.chunk_len = chunk_len;
	p.payload_len = (uint16_t)((chunk_len + 3) & ~3);
	return p;
}

/* An INIT's fixed fields; nmap's are a_rwnd 32768, 10 and 2048 streams, nothing after them. */
static void init_fields(struct sw_packet *p, uint32_t tag, uint32_t rwnd, uint16_t os, uint16_t mis)
{
	p->sctp.init_tag = tag;
	p->sctp.a_rwnd = rwnd;
	p->sctp.out_streams = os;
	p->sctp.in_streams = mis;
}

/* ICMP protocol unreachable (ICMPv6: unrecognised next header) quoting an SCTP probe. */
static struct sw_packet proto_unreach(struct sw_addr prober, struct sw_addr target, uint16_t sp,
                                      uint16_t dp)
{
	bool v4 = addr_is_v4(&prober);
	struct sw_packet p = {0};
	p.l3 = v4 ? PKT_L3_IPV4 : PKT_L3_IPV6;
	p.proto = v4 ? 1 : 58;
	p.flags = PKT_F_HAS_L4 | PKT_F_QUOTED;
	p.src = target;
	p.dst = prober;
	p.ttl = 64;
	p.icmp_type = v4 ? 3 : 4;
	p.icmp_code = v4 ? 2 : 1;
	p.quoted.src = prober;
	p.quoted.dst = target;
	p.quoted.proto = 132;
	p.quoted.sport = sp;
	p.quoted.dport = dp;
	p.quoted.has_ports = 1;
	return p;
}

static const struct sw_detection *only_open(void)
{
	const struct sw_detection *o = NULL;
	int n = 0;
	for (int i = 0; i < nrec; i++)
		if (recs[i].phase == DET_OPEN) {
			o = &recs[i];
			n++;
		}
	CHECK_EQ_U(n, 1);
	return n == 1 ? o : NULL;
}

/* nmap -sY of 20 ports on a host without SCTP: every INIT refused by ICMP. */
static void test_nmap_sY(void)
{
	struct harness h;
	setup(&h);
	struct sw_addr s = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1; port <= 20; port++) {
		struct sw_packet p = sctp(s, t, 53000, port, C_INIT, 20, (uint8_t)(37 + port % 23));
		init_fields(&p, 1000u + port, 32768, 10, 2048);
		feed(&h, &p, 200);
		struct sw_packet u = proto_unreach(s, t, 53000, port);
		feed(&h, &u, 50);
	}
	teardown(&h);
	const struct sw_detection *o = only_open();
	CHECK(o && o->kind == KIND_SCTP_SCAN && strcmp(o->rule_id, "SW-SCTP-001") == 0);
	CHECK(o && o->probes_at_open == 4 && o->proto == 132);
	CHECK_STR(o ? o->tool : NULL, "nmap");
	const struct sw_detection *c = &recs[nrec - 1];
	CHECK(c->phase == DET_CLOSE && c->probes == 20 && c->distinct_ports == 20);
	char ev[DET_EVIDENCE_TEXT];
	fixture_evidence(c, ev, sizeof ev);
	CHECK(strstr(ev, "SCTP chunks: 20 INIT, 0 COOKIE-ECHO") != NULL);
	CHECK(strstr(ev, "refused 20") != NULL);
}

/* nmap -6 -sZ: COOKIE-ECHOs with a 4-byte cookie, unanswered (open|filtered to nmap). */
static void test_nmap6_sZ(void)
{
	struct harness h;
	setup(&h);
	struct sw_addr s = fixture_ip("2001:2::1"), t = fixture_ip("2001:2::2");
	for (uint16_t port = 1; port <= 20; port++) {
		struct sw_packet p = sctp(s, t, 53000, port, C_COOKIE_ECHO, 8, 255);
		p.sctp.vtag = 0x5000u + port;
		feed(&h, &p, 200);
	}
	struct sw_packet late = sctp(fixture_ip("2001:2::9"), t, 1, 2, C_DATA, 100, 64);
	feed(&h, &late, 10ULL * 1000000); /* the probes time out */
	teardown(&h);
	const struct sw_detection *o = only_open();
	CHECK(o && o->kind == KIND_SCTP_SCAN && o->probes_at_open == 4);
	CHECK_STR(o ? o->tool : NULL, "nmap");
	const struct sw_detection *c = &recs[nrec - 1];
	char ev[DET_EVIDENCE_TEXT];
	fixture_evidence(c, ev, sizeof ev);
	CHECK(strstr(ev, "SCTP chunks: 0 INIT, 20 COOKIE-ECHO") != NULL);
	CHECK(strstr(ev, "unanswered 20") != NULL);
}

/* Hand-built INITs of another shape (a_rwnd 65535, 1/1 streams, TTL 64): a scan, but no
 * tool can be named from them. */
static void test_other_builder_unnamed(void)
{
	struct harness h;
	setup(&h);
	struct sw_addr s = fixture_v4(198, 18, 0, 7), t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 2900; port < 2920; port++) {
		struct sw_packet p = sctp(s, t, 2905, port, C_INIT, 20, 64);
		init_fields(&p, 0x1111, 65535, 1, 1);
		feed(&h, &p, 200);
		struct sw_packet a = sctp(t, s, port, 2905, C_ABORT, 4, 64);
		feed(&h, &a, 50);
	}
	teardown(&h);
	const struct sw_detection *o = only_open();
	CHECK(o && o->kind == KIND_SCTP_SCAN);
	CHECK_STR(o ? o->tool : NULL, "unknown");
}

/*
 * A signalling peer (M3UA / Diameter): kernel INITs with parameters to six
 * peers, five associations come up and carry DATA, one peer is down (ABORT).
 * Then the same again after the peer restarts. Nothing to report.
 */
static void test_telecom_peer_quiet(void)
{
	struct harness h;
	setup(&h);
	struct sw_addr s = fixture_v4(198, 18, 0, 5);
	for (int round = 0; round < 2; round++)
		for (uint8_t i = 0; i < 6; i++) {
			struct sw_addr peer = fixture_v4(198, 18, 2, (uint8_t)(10 + i));
			uint16_t sp = (uint16_t)(40000 + round * 10 + i);
			struct sw_packet init = sctp(s, peer, sp, 2905, C_INIT, 68, 64);
			init_fields(&init, 0xa000u + i, 106496, 10, 65535);
			feed(&h, &init, 1000);
			if (i == 5) {
				struct sw_packet ab = sctp(peer, s, 2905, sp, C_ABORT, 4, 64);
				feed(&h, &ab, 500);
				continue;
			}
			struct sw_packet steps[] = {
			    sctp(peer, s, 2905, sp, C_INIT_ACK, 400, 64),
			    sctp(s, peer, sp, 2905, C_COOKIE_ECHO, 300, 64),
			    sctp(peer, s, 2905, sp, C_COOKIE_ACK, 4, 64),
			    sctp(s, peer, sp, 2905, C_DATA, 120, 64),
			    sctp(peer, s, 2905, sp, C_SACK, 16, 64),
			};
			for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
				feed(&h, &steps[k], 300);
		}
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
}

/*
 * A small stack's associations (Arkime's m3ua_synthetic.pcap has them): its INITs carry no
 * parameter, as nmap -sY's do, but each association comes up (INIT-ACK, its COOKIE-ECHO,
 * COOKIE-ACK) and carries DATA, to four ports and more of one peer, one after another.
 * nmap never sends the COOKIE-ECHO an INIT-ACK asks for: nothing to report.
 */
/* A small stack's association to each of the ports 2904-2911 of peer: its parameterless INIT,
 * the INIT-ACK, its COOKIE-ECHO, the COOKIE-ACK and its DATA, fed in the order of the chunk
 * types in order, 100 µs apart. */
static void small_stack(struct harness *h, struct sw_addr s, struct sw_addr peer,
                        const uint8_t order[5])
{
	for (uint16_t port = 2904; port < 2912; port++)
		for (unsigned k = 0; k < 5; k++) {
			bool from_s =
			    order[k] == C_INIT || order[k] == C_COOKIE_ECHO || order[k] == C_DATA;
			uint16_t len = order[k] == C_COOKIE_ECHO  ? 8
			               : order[k] == C_COOKIE_ACK ? 4
			               : order[k] == C_DATA       ? 60
			                                          : 20;
			struct sw_packet p = from_s ? sctp(s, peer, port, port, order[k], len, 64)
			                            : sctp(peer, s, port, port, order[k], len, 64);
			if (order[k] == C_INIT)
				init_fields(&p, 0x12345678u + port, 65535, 10, 10);
			feed(h, &p, 100);
		}
}

static void test_small_stack_associations_quiet(void)
{
	struct harness h;
	setup(&h);
	static const uint8_t up[] = {C_INIT, C_INIT_ACK, C_COOKIE_ECHO, C_COOKIE_ACK, C_DATA};
	small_stack(&h, fixture_v4(198, 18, 0, 6), fixture_v4(198, 18, 2, 20), up);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
}

/*
 * A capture that begins inside a small stack's associations to eight ports of one peer: DATA
 * first, then each association's COOKIE-ECHO sent again and its restart by a parameterless
 * INIT (m3ua_synthetic.pcap's second pair of hosts, whose handshakes come after their DATA).
 * Chunks of associations that are up are never probes: nothing to report.
 */
static void test_picked_up_associations_quiet(void)
{
	struct harness h;
	setup(&h);
	static const uint8_t picked[] = {C_DATA, C_COOKIE_ACK, C_COOKIE_ECHO, C_INIT_ACK, C_INIT};
	small_stack(&h, fixture_v4(198, 18, 0, 8), fixture_v4(198, 18, 2, 21), picked);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
}

int main(void)
{
	test_nmap_sY();
	test_nmap6_sZ();
	test_other_builder_unnamed();
	test_telecom_peer_quiet();
	test_small_stack_associations_quiet();
	test_picked_up_associations_quiet();
	CHECK_DONE();
}
