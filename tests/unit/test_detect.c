/* test_detect.c — classifier and engine on synthetic traffic: each kind opens, benign stays quiet.
 */
#include "../../sensor/detect_private.h" /* the engine's address-hash memo */
#include "detect_harness.h"
#include "fixtures.h"

static void setup(struct harness *h, const char *yaml)
{
	harness_setup(h, yaml, 4096, 1);
}

static void teardown(struct harness *h)
{
	harness_teardown(h);
}

static struct sw_packet tcp(struct sw_addr src, struct sw_addr dst, uint16_t sp, uint16_t dp,
                            uint8_t flags, bool kernel_syn, uint16_t payload)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_IPV4;
	p.proto = 6;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = flags;
	p.ttl = 64;
	p.payload_len = payload;
	if (kernel_syn) { /* Linux: MSS, SACK_PERM, TS, NOP, WS */
		static const uint8_t k[] = {2, 4, 8, 1, 3};
		p.tcp_window = 64240;
		p.tcp_opts.count = 5;
		memcpy(p.tcp_opts.kinds, k, 5);
		p.tcp_opts.has_mss = p.tcp_opts.has_sack_perm = p.tcp_opts.has_ts =
		    p.tcp_opts.has_wscale = 1;
		p.tcp_opts.mss = 1460;
	} else { /* nmap -sS */
		p.tcp_window = 1024;
		p.tcp_opts.count = (flags & TCP_SYN) ? 1 : 0;
		p.tcp_opts.kinds[0] = 2;
		p.tcp_opts.has_mss = (flags & TCP_SYN) != 0;
		p.tcp_opts.mss = 1460;
		p.ttl = 47;
	}
	return p;
}

static int count_phase(int phase)
{
	int n = 0;
	for (int i = 0; i < nrec; i++)
		n += recs[i].phase == phase;
	return n;
}

static const struct sw_detection *first_open(void)
{
	for (int i = 0; i < nrec; i++)
		if (recs[i].phase == DET_OPEN)
			return &recs[i];
	return NULL;
}

static void test_syn_scan(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr s = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1; port <= 100; port++) {
		struct sw_packet p = tcp(s, t, 40000, port, TCP_SYN, false, 0);
		feed(&h, &p, 100);
		if (port == 22 || port == 80) {
			struct sw_packet sa = tcp(t, s, port, 40000, TCP_SYN | TCP_ACK, true, 0);
			feed(&h, &sa, 50);
			struct sw_packet r = tcp(s, t, 40000, port, TCP_RST, false, 0);
			feed(&h, &r, 10);
		} else {
			struct sw_packet r = tcp(t, s, port, 40000, TCP_RST | TCP_ACK, true, 0);
			feed(&h, &r, 50);
		}
	}
	/* a minute of silence from elsewhere closes it */
	struct sw_packet other = tcp(fixture_v4(198, 18, 9, 9), t, 1, 2, TCP_ACK, true, 10);
	feed(&h, &other, 60ULL * 1000000);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
	CHECK_EQ_U(count_phase(DET_CLOSE), 1);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_SYN_SCAN);
	CHECK(o && o->probes_at_open <= 5);
	CHECK(o && addr_eq(&o->src, &s));
	CHECK(o && o->has_target && addr_eq(&o->target, &t));
	CHECK_STR(o ? o->tool : NULL, "nmap");
	const struct sw_detection *c = &recs[nrec - 1];
	CHECK_EQ_U(c->phase, DET_CLOSE);
	CHECK_EQ_U(c->probes, 100);
	CHECK(c->distinct_ports >= 95 && c->distinct_ports <= 105);
	CHECK_EQ_U(c->distinct_targets, 1);
	/* closes one idle time after the last probe: 30 s for the threshold rules, 60 s for TRW */
	uint64_t idle = strcmp(c->rule_id, "SW-TRW-001") == 0 ? 60 : 30;
	CHECK_EQ_U(c->closed_at, c->last_seen + idle * 1000000);
	char ev[DET_EVIDENCE_TEXT];
	CHECK(strstr(fixture_evidence(c, ev, sizeof ev), "half-open 2") != NULL);
	CHECK(strstr(ev, "refused 98") != NULL);
	bool named = false;
	for (unsigned i = 0; i < c->n_reasons; i++)
		if (strcmp(c->reasons[i].name, "refused") == 0 && c->reasons[i].count == 98)
			named = true;
	CHECK(named);
	teardown(&h);
}

static void test_benign_clients(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr cli = fixture_v4(198, 18, 0, 10);
	/* 200 connections to 5 services, every one used and closed */
	for (int i = 0; i < 200; i++) {
		struct sw_addr srv = fixture_v4(198, 18, 1, (uint8_t)(1 + i % 5));
		uint16_t sp = (uint16_t)(30000 + i), dp = (uint16_t)(i % 2 ? 80 : 443);
		struct sw_packet pk[] = {
		    tcp(cli, srv, sp, dp, TCP_SYN, true, 0),
		    tcp(srv, cli, dp, sp, TCP_SYN | TCP_ACK, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK | TCP_PSH, true, 100),
		    tcp(srv, cli, dp, sp, TCP_ACK | TCP_PSH, true, 1000),
		    tcp(cli, srv, sp, dp, TCP_ACK | TCP_FIN, true, 0),
		    tcp(srv, cli, dp, sp, TCP_ACK | TCP_FIN, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK, true, 0),
		};
		for (size_t j = 0; j < sizeof pk / sizeof pk[0]; j++)
			feed(&h, &pk[j], 1000);
		h.now += 200000;
	}
	/* three refused connections (a service restarting) */
	for (int i = 0; i < 3; i++) {
		struct sw_packet s = tcp(cli, fixture_v4(198, 18, 1, 1), (uint16_t)(50000 + i),
		                         8080, TCP_SYN, true, 0);
		struct sw_packet r = tcp(fixture_v4(198, 18, 1, 1), cli, 8080,
		                         (uint16_t)(50000 + i), TCP_RST | TCP_ACK, true, 0);
		feed(&h, &s, 1000);
		feed(&h, &r, 1000);
	}
	teardown(&h);
	char evb[DET_EVIDENCE_TEXT];
	for (int i = 0; i < nrec; i++)
		fprintf(stderr, "unexpected: %s %s %s\n", recs[i].rule_id,
		        detection_kind_name((enum sw_kind)recs[i].kind),
		        fixture_evidence(&recs[i], evb, sizeof evb));
	CHECK_EQ_U(nrec, 0);
}

/*
 * A packet builder's script making real connections (TracePcap's demo_all_rules.pcap, written
 * with Scapy): SYNs no OS stack builds, but the script answers each SYN-ACK with the ACK that
 * completes the handshake, to six services on six hosts, and sends its requests only once all
 * six are open. No half-open scanner completes a handshake: nothing to report.
 */
static void test_builder_completes_handshakes(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr cli = fixture_v4(198, 18, 0, 11);
	for (int i = 0; i < 6; i++) {
		struct sw_addr srv = fixture_v4(198, 18, 1, (uint8_t)(20 + i));
		uint16_t sp = (uint16_t)(56000 + i), dp = (uint16_t)(i % 2 ? 80 : 443);
		struct sw_packet pk[] = {
		    tcp(cli, srv, sp, dp, TCP_SYN, false, 0),
		    tcp(srv, cli, dp, sp, TCP_SYN | TCP_ACK, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK, false, 0),
		};
		for (size_t j = 0; j < sizeof pk / sizeof pk[0]; j++)
			feed(&h, &pk[j], 100);
	}
	for (int i = 0; i < 6; i++) {
		struct sw_addr srv = fixture_v4(198, 18, 1, (uint8_t)(20 + i));
		uint16_t sp = (uint16_t)(56000 + i), dp = (uint16_t)(i % 2 ? 80 : 443);
		struct sw_packet req = tcp(cli, srv, sp, dp, TCP_ACK | TCP_PSH, false, 80);
		struct sw_packet rsp = tcp(srv, cli, dp, sp, TCP_ACK | TCP_PSH, true, 500);
		feed(&h, &req, 1000);
		feed(&h, &rsp, 1000);
	}
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
}

/*
 * nmap run once per technique, one port each, against one host (nDPI's tcp_scan.pcapng):
 * -sS -p 3389, then -sF -p 3390, -sN -p 3391, -sX -p 3392, each refused, eight seconds
 * apart. Four hand-built probes to four ports: one scan, which the SYN rule reports once the
 * stealth probes join its entry (neither family reaches four on its own).
 */
/* One nmap run per flag set in flags (0: -sN), each to the next port from port, refused, eight
 * seconds apart, each from a source port of its own from sport. */
static void one_port_each(struct harness *h, struct sw_addr s, struct sw_addr t,
                          const uint8_t flags[4], uint16_t port, uint16_t sport)
{
	for (unsigned i = 0; i < 4; i++) {
		uint16_t dp = (uint16_t)(port + i), sp = (uint16_t)(sport + 1000 * i);
		struct sw_packet p = tcp(s, t, sp, dp, flags[i], false, 0);
		struct sw_packet r = tcp(t, s, dp, sp, TCP_RST | TCP_ACK, true, 0);
		feed(h, &p, 8ULL * 1000000);
		feed(h, &r, 500);
	}
}

static void test_one_port_per_technique(void)
{
	struct harness h;
	setup(&h, NULL);
	static const uint8_t flags[] = {TCP_SYN, TCP_FIN, 0, TCP_FIN | TCP_PSH | TCP_URG};
	one_port_each(&h, fixture_v4(198, 18, 0, 12), fixture_v4(198, 18, 1, 30), flags, 3389,
	              43067);
	teardown(&h);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_SYN_SCAN && strcmp(o->rule_id, "SW-TCP-SYN-001") == 0);
	CHECK(o && o->probes_at_open == 4 && o->distinct_ports == 4);
	bool joined = false;
	for (unsigned i = 0; o && i < o->n_reasons; i++)
		if (strcmp(o->reasons[i].name, "stealth_probes") == 0 && o->reasons[i].count == 3)
			joined = true;
	CHECK(joined);
}

/*
 * Joined probes make no entry (detector.joins): the same four techniques with the stealth
 * probes first find no SYN entry to join, so three stealth pairs and one SYN pair stay below
 * both rules' threshold of four. What a stealth probe adds to a SYN scan's entry is
 * counted, never what it would start.
 */
static void test_joined_probes_make_no_entry(void)
{
	struct harness h;
	setup(&h, NULL);
	static const uint8_t flags[] = {TCP_FIN, 0, TCP_FIN | TCP_PSH | TCP_URG, TCP_SYN};
	one_port_each(&h, fixture_v4(198, 18, 0, 13), fixture_v4(198, 18, 1, 31), flags, 3390,
	              52000);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
}

static void test_connect_scan(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr s = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1; port <= 50; port++) {
		struct sw_packet p = tcp(s, t, (uint16_t)(40000 + port), port, TCP_SYN, true, 0);
		struct sw_packet r =
		    tcp(t, s, port, (uint16_t)(40000 + port), TCP_RST | TCP_ACK, true, 0);
		feed(&h, &p, 100);
		feed(&h, &r, 50);
	}
	teardown(&h);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_CONNECT_SCAN);
	CHECK(o && o->probes_at_open <= 6);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
}

static struct sw_packet icmp(struct sw_addr src, struct sw_addr dst, uint8_t type, uint16_t id,
                             uint16_t payload)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_IPV4;
	p.proto = 1;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.icmp_type = type;
	p.icmp_id = id;
	p.payload_len = payload;
	p.ttl = 50;
	return p;
}

static void test_icmp(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr s = fixture_v4(198, 18, 0, 1);
	/* a poller: ping(8) to one host, answered, every few seconds */
	for (int i = 0; i < 20; i++) {
		struct sw_packet q = icmp(s, fixture_v4(198, 18, 1, 1), 8, 77, 56);
		struct sw_packet a = icmp(fixture_v4(198, 18, 1, 1), s, 0, 77, 56);
		feed(&h, &q, 3000000);
		feed(&h, &a, 300);
	}
	CHECK_EQ_U(nrec, 0);
	/* a sweep: empty echo requests to 64 hosts, 8 answer */
	struct sw_addr sc = fixture_v4(198, 18, 0, 66);
	for (int i = 0; i < 64; i++) {
		struct sw_packet q = icmp(sc, fixture_v4(198, 18, 2, (uint8_t)i), 8, 1234, 0);
		feed(&h, &q, 1000);
		if (i % 8 == 0) {
			struct sw_packet a =
			    icmp(fixture_v4(198, 18, 2, (uint8_t)i), sc, 0, 1234, 0);
			feed(&h, &a, 100);
		}
	}
	teardown(&h);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_ICMP_SWEEP);
	CHECK(o && addr_eq(&o->src, &sc));
	CHECK(o && o->probes_at_open <= 5);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
}

static void test_rst_flood_and_allow(void)
{
	struct harness h;
	setup(&h,
	      "version: 1\nallow: [\"198.18.7.0/24\"]\nrules:\n"
	      "  - {id: F, name: f, detector: rst_flood, threshold: 50, window: 10s, idle: 5s}\n");
	struct sw_addr s = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2),
	               allowed = fixture_v4(198, 18, 7, 1);
	for (int i = 0; i < 300; i++) {
		struct sw_packet r = tcp(s, t, (uint16_t)(1000 + i), 80, TCP_RST, false, 0);
		struct sw_packet r2 = tcp(allowed, t, (uint16_t)(1000 + i), 80, TCP_RST, false, 0);
		feed(&h, &r, 1000);
		feed(&h, &r2, 1000);
	}
	/* a few stray resets from a third host stay quiet */
	for (int i = 0; i < 5; i++) {
		struct sw_packet r = tcp(fixture_v4(198, 18, 0, 3), t, 5555, 443, TCP_RST, true, 0);
		feed(&h, &r, 100000);
	}
	teardown(&h);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_RST_FLOOD && addr_eq(&o->src, &s));
	CHECK(o && o->probes_at_open == 50);
	CHECK_STR(o ? o->rule_id : NULL, "F");
}

static void test_window_reset(void)
{
	struct harness h;
	setup(&h,
	      "version: 1\nrules:\n"
	      "  - {id: S, name: s, detector: halfopen, threshold: 5, window: 10s, idle: 5s}\n");
	struct sw_addr s = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	/* one crafted SYN every 4 s: at most 3 in any 10 s window */
	for (uint16_t port = 1; port <= 12; port++) {
		struct sw_packet p = tcp(s, t, 40000, port, TCP_SYN, false, 0);
		feed(&h, &p, 4000000);
	}
	teardown(&h);
	CHECK_EQ_U(nrec, 0);
	/* the same twelve within 10 s open one */
	setup(&h,
	      "version: 1\nrules:\n"
	      "  - {id: S, name: s, detector: halfopen, threshold: 5, window: 10s, idle: 5s}\n");
	for (uint16_t port = 1; port <= 12; port++) {
		struct sw_packet p = tcp(s, t, 40000, port, TCP_SYN, false, 0);
		feed(&h, &p, 500000);
	}
	teardown(&h);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
	CHECK_EQ_U(count_phase(DET_CLOSE), 1);
}

static struct sw_packet arp_request(struct sw_addr sender, struct sw_addr target)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_ARP;
	p.arp_op = 1;
	p.src = sender;
	p.dst = target;
	return p;
}

/* A server resolving the clients that just queried it is not an ARP sweep; asking for
 * addresses nobody spoke from is. */
static void test_arp(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr srv = fixture_v4(198, 18, 0, 53);
	for (int i = 0; i < 40; i++) {
		struct sw_addr cli = fixture_v4(198, 18, 0, (uint8_t)(100 + i));
		struct sw_packet q = {0};
		q.l3 = PKT_L3_IPV4;
		q.proto = 17;
		q.flags = PKT_F_HAS_L4;
		q.src = cli;
		q.dst = srv;
		q.sport = 40000;
		q.dport = 53;
		q.payload_len = 30;
		feed(&h, &q, 1000);
		struct sw_packet a = arp_request(srv, cli);
		feed(&h, &a, 100);
	}
	CHECK_EQ_U(nrec, 0);
	struct sw_addr scanner = fixture_v4(198, 18, 0, 9);
	for (int i = 0; i < 40; i++) {
		struct sw_packet a =
		    arp_request(scanner, fixture_v4(198, 18, 0, (uint8_t)(150 + i)));
		feed(&h, &a, 1000);
	}
	teardown(&h);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_ARP_SWEEP && addr_eq(&o->src, &scanner));
	CHECK(o && o->probes_at_open == 5);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
}

/* nmap -6 -sn on a LAN: neighbour solicitations to many solicited-node groups are an
 * ICMPv6 sweep; duplicate address detection (from ::) is nobody's probe. */
static void test_nd_sweep(void)
{
	struct harness h;
	setup(&h, NULL);
	uint8_t a6[16] = {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t unspec[16] = {0};
	struct sw_addr scanner, none;
	addr_from_v6(&scanner, a6);
	addr_from_v6(&none, unspec);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 40; i++) {
			uint8_t g[16] = {0xff, 2, 0, 0, 0,    0, 0, 0,
			                 0,    0, 0, 1, 0xff, 0, 0, (uint8_t)(i + 2)};
			struct sw_packet p = {0};
			p.l3 = PKT_L3_IPV6;
			p.proto = 58;
			p.flags = PKT_F_HAS_L4;
			p.icmp_type = 135;
			p.src = pass == 0 ? none : scanner;
			addr_from_v6(&p.dst, g);
			feed(&h, &p, 1000);
		}
		if (pass == 0)
			CHECK_EQ_U(nrec, 0);
	}
	teardown(&h);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_ICMP_SWEEP && addr_eq(&o->src, &scanner));
	CHECK_EQ_U(count_phase(DET_OPEN), 1);
}

/* One kernel connection attempt from cli:sp to srv:dp and its fate: 0 answered and used
 * (data both ways, then FIN), 1 refused (RST), 2 unanswered. */
static void attempt(struct harness *h, struct sw_addr cli, struct sw_addr srv, uint16_t sp,
                    uint16_t dp, int fate)
{
	struct sw_packet syn = tcp(cli, srv, sp, dp, TCP_SYN, true, 0);
	feed(h, &syn, 1000);
	if (fate == 1) {
		struct sw_packet r = tcp(srv, cli, dp, sp, TCP_RST | TCP_ACK, true, 0);
		feed(h, &r, 300);
	} else if (fate == 0) {
		struct sw_packet pk[] = {
		    tcp(srv, cli, dp, sp, TCP_SYN | TCP_ACK, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK, true, 0),
		    tcp(cli, srv, sp, dp, TCP_ACK | TCP_PSH, true, 60),
		    tcp(srv, cli, dp, sp, TCP_ACK | TCP_PSH, true, 200),
		    tcp(cli, srv, sp, dp, TCP_ACK | TCP_FIN, true, 0),
		};
		for (size_t j = 0; j < sizeof pk / sizeof pk[0]; j++)
			feed(h, &pk[j], 300);
	}
}

static void expect_none(const char *what)
{
	char evb[DET_EVIDENCE_TEXT];
	for (int i = 0; i < nrec; i++)
		fprintf(stderr, "%s: unexpected %s %s %s\n", what, recs[i].rule_id,
		        detection_kind_name((enum sw_kind)recs[i].kind),
		        fixture_evidence(&recs[i], evb, sizeof evb));
	CHECK_EQ_U(nrec, 0);
}

/* A health checker: every 2 s for a minute, the same 20 backends; three refuse (down),
 * three never answer (gone). It repeats one fixed set of services, most of which answer. */
static void test_health_checker(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr lb = fixture_v4(198, 18, 0, 5);
	uint16_t sp = 20000;
	for (int round = 0; round < 30; round++) {
		for (int b = 0; b < 20; b++)
			attempt(&h, lb, fixture_v4(198, 18, 4, (uint8_t)(10 + b)), sp++, 8080,
			        b == 3 || b == 11 || b == 17
			            ? 1
			            : (b == 7 || b == 15 || b == 19 ? 2 : 0));
		h.now += 2000000 - 20 * 2500;
	}
	teardown(&h);
	expect_none("health checker");
}

/* A peer-to-peer client: 40 peers over a minute, three in four accept; the refusals and
 * silences fall where they fall (here two of the first five). */
static void test_p2p_client(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr me = fixture_v4(198, 18, 0, 6);
	static const int fate[40] = {0, 1, 0, 2, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0,
	                             0, 2, 1, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	for (int i = 0; i < 40; i++) {
		attempt(&h, me, fixture_v4(198, 18, 5, (uint8_t)(1 + i * 3)), (uint16_t)(30000 + i),
		        (uint16_t)(6881 + i % 7), fate[i]);
		h.now += 1500000;
	}
	teardown(&h);
	expect_none("p2p client");
}

/* A client reconnecting without back-off to a service that is down: 400 connect()s to one
 * closed port in 8 s, each refused. It fills no backlog and is no flood; hping3 -S at the
 * same closed port, refused as often, still is. */
static void test_reconnect_storm(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr app = fixture_v4(198, 18, 0, 20), db = fixture_v4(198, 18, 0, 21);
	for (int i = 0; i < 400; i++) {
		uint16_t sp = (uint16_t)(40000 + i);
		struct sw_packet s = tcp(app, db, sp, 5432, TCP_SYN, true, 0);
		struct sw_packet r = tcp(db, app, 5432, sp, TCP_RST | TCP_ACK, false, 0);
		feed(&h, &s, 20000);
		feed(&h, &r, 50);
	}
	teardown(&h);
	expect_none("reconnect storm");

	setup(&h, NULL);
	struct sw_addr fl = fixture_v4(198, 18, 0, 1);
	for (int i = 0; i < 400; i++) {
		uint16_t sp = (uint16_t)(3000 + i);
		struct sw_packet s = tcp(fl, db, sp, 5432, TCP_SYN, false, 0);
		s.tcp_window = 512; /* hping3: no options */
		s.tcp_opts.count = 0;
		s.tcp_opts.has_mss = 0;
		struct sw_packet r = tcp(db, fl, 5432, sp, TCP_RST | TCP_ACK, false, 0);
		feed(&h, &s, 200);
		feed(&h, &r, 50);
	}
	teardown(&h);
	int flood = 0;
	for (int i = 0; i < nrec; i++)
		flood += recs[i].phase == DET_OPEN && recs[i].kind == KIND_SYN_FLOOD &&
		         addr_eq(&recs[i].src, &fl) && addr_eq(&recs[i].target, &db);
	CHECK_EQ_U(flood, 1);
}

/* A real SYN scan inside a flood of forged one-packet SYNs to one port of the same target:
 * the flood is a syn_flood (not a decoy scan) and the scanner is reported as itself. */
static void test_scan_under_flood(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr scanner = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	uint16_t port = 1;
	for (int i = 0; i < 10000; i++) {
		struct sw_addr forged = fixture_v4(198, 19, (uint8_t)(i >> 8), (uint8_t)i);
		struct sw_packet f = tcp(forged, t, (uint16_t)(1024 + i), 80, TCP_SYN, false, 0);
		f.tcp_window = 512;
		f.tcp_opts.count = 0;
		f.tcp_opts.has_mss = 0;
		feed(&h, &f, 5);
		if (i % 50 == 0 && port <= 200) {
			struct sw_packet p = tcp(scanner, t, 40000, port++, TCP_SYN, false, 0);
			feed(&h, &p, 5);
		}
	}
	teardown(&h);
	bool scan = false, flood = false, decoy = false;
	for (int i = 0; i < nrec; i++) {
		if (recs[i].phase != DET_OPEN)
			continue;
		scan |= recs[i].kind == KIND_SYN_SCAN && addr_eq(&recs[i].src, &scanner);
		flood |= recs[i].kind == KIND_SYN_FLOOD;
		decoy |= recs[i].kind == KIND_DECOY_SCAN;
	}
	CHECK(scan);
	CHECK(flood);
	CHECK(!decoy);
}

/*
 * An open detection outlives a flood of forged sources the rules must track (each probes two
 * ports, so none is held back): the table is recycled many times over between two of the
 * scan's probes once it has opened, but the flood's
 * counting entries go first, and the scan stays one record, whole. Before, the scanner's
 * entry went with the oldest, its detection "closed early" and opened again: one scan, many
 * records.
 */
static void test_open_outlives_flood(void)
{
	struct harness h;
	harness_setup(&h, NULL, 512, 1);
	struct sw_addr scanner = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	uint16_t port = 1;
	for (int i = 0; i < 6000; i++) {
		struct sw_addr forged = fixture_v4(198, 19, (uint8_t)(i >> 8), (uint8_t)i);
		struct sw_addr ft = fixture_v4(198, 18, 1, (uint8_t)(1 + i % 200));
		for (uint16_t k = 0; k < 2; k++) {
			struct sw_packet f = tcp(forged, ft, (uint16_t)(1024 + i),
			                         (uint16_t)(80 + k), TCP_SYN, false, 0);
			feed(&h, &f, 20);
		}
		if ((i < 5 || i % 100 == 0) && port <= 60) { /* crosses early, then slowly */
			struct sw_packet p = tcp(scanner, t, 40000, port++, TCP_SYN, false, 0);
			feed(&h, &p, 20);
		}
	}
	teardown(&h);
	int opens = 0, early = 0;
	uint64_t probes = 0;
	for (int i = 0; i < nrec; i++) {
		if (!addr_eq(&recs[i].src, &scanner) || recs[i].kind != KIND_SYN_SCAN)
			continue;
		opens += recs[i].phase == DET_OPEN;
		if (recs[i].phase == DET_CLOSE)
			probes = recs[i].probes;
		for (unsigned k = 0; k < recs[i].n_reasons; k++)
			early += strcmp(recs[i].reasons[k].name, "closed_early") == 0;
	}
	CHECK_EQ_U(opens, 1);
	CHECK_EQ_U(early, 0);
	CHECK_EQ_U(probes, 60);
}

/*
 * A scan that begins like a decoy is not absorbed for good: a few forged sources touch a
 * target first (two hand-built SYNs each, in lockstep: the target's distributed scan opens),
 * then a real scanner sweeps 100 of its ports. Its first probes are no more than its share of
 * the crowd's, so it is absorbed; once it stands out it is reported under its own source.
 * Before, the absorption at its threshold was final and the scan never had a record.
 */
static void test_absorbed_then_stands_out(void)
{
	struct harness h;
	setup(&h, NULL);
	struct sw_addr scanner = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	for (uint16_t round = 0; round < 2; round++)
		for (int i = 0; i < 8; i++) {
			struct sw_addr forged = fixture_v4(198, 19, 7, (uint8_t)(1 + i));
			struct sw_packet f = tcp(forged, t, 50000, (uint16_t)(1000 + round * 8 + i),
			                         TCP_SYN, false, 0);
			feed(&h, &f, 50);
		}
	for (uint16_t port = 1; port <= 100; port++) {
		struct sw_packet p = tcp(scanner, t, 40000, port, TCP_SYN, false, 0);
		feed(&h, &p, 100);
		struct sw_packet r = tcp(t, scanner, port, 40000, TCP_RST | TCP_ACK, true, 0);
		feed(&h, &r, 50);
	}
	teardown(&h);
	bool crowd = false;
	int opens = 0;
	uint64_t at_open = 0, probes = 0;
	for (int i = 0; i < nrec; i++) {
		crowd |= recs[i].phase == DET_OPEN && recs[i].kind == KIND_DISTRIBUTED_SCAN;
		if (recs[i].kind != KIND_SYN_SCAN || !addr_eq(&recs[i].src, &scanner))
			continue;
		if (recs[i].phase == DET_OPEN) {
			opens++;
			at_open = recs[i].probes_at_open;
		}
		if (recs[i].phase == DET_CLOSE)
			probes = recs[i].probes;
	}
	CHECK(crowd); /* the premise: the forged sources' crowd opened first */
	CHECK_EQ_U(opens, 1);
	CHECK(at_open > 4 && at_open <= 12); /* later than alone, once it stood out */
	CHECK_EQ_U(probes, 100);
}

/* A rule with crafted_only: over two hours, a stack's stray FIN/ACKs (old connections' ends,
 * answered by RST) never add up, while nmap -T0's FIN probes, five minutes apart, do. Without
 * crafted_only the stray packets stay quiet too: an ordinary stack's FIN/ACK scores for none of
 * its outcomes (detect_stealth.c). The control is a monitor's pings (with data, unanswered) to
 * eight hosts ten minutes apart: the same slow rule of the ICMP sweep detector counts them
 * without crafted_only, and never with it. */
/* A slow rule of detector (5 in 2 hours), with or without crafted_only. */
static const char *slow_rule(const char *detector, bool crafted_only)
{
	static char yaml[256];
	snprintf(yaml, sizeof yaml,
	         "version: 1\nrules:\n  - id: SLOW\n    name: slow\n    detector: %s\n%s"
	         "    threshold: 5\n    window: 2h\n    idle: 15m\n",
	         detector, crafted_only ? "    crafted_only: true\n" : "");
	return yaml;
}

static void monitor_pings(struct harness *h, struct sw_addr m)
{
	for (int i = 0; i < 8; i++) {
		struct sw_packet p = icmp(m, fixture_v4(198, 18, 3, (uint8_t)(10 + i)), 8,
		                          (uint16_t)(0x4000 + i), 56);
		feed(h, &p, 600000000); /* ten minutes apart */
	}
}

static void stray_fins(struct harness *h, struct sw_addr c)
{
	for (int i = 0; i < 8; i++) {
		struct sw_addr srv = fixture_v4(198, 18, 3, (uint8_t)(10 + i));
		struct sw_packet f =
		    tcp(c, srv, (uint16_t)(40000 + i), 443, TCP_FIN | TCP_ACK, true, 0);
		struct sw_packet r = tcp(srv, c, 443, (uint16_t)(40000 + i), TCP_RST, true, 0);
		feed(h, &f, 600000000); /* ten minutes apart */
		feed(h, &r, 20000);
	}
}

static void test_crafted_only(void)
{
	struct harness h;
	struct sw_addr c = fixture_v4(198, 18, 0, 30);
	setup(&h, slow_rule("stealth", true));
	stray_fins(&h, c);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);

	setup(&h, slow_rule("stealth", false));
	stray_fins(&h, c);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);

	setup(&h, slow_rule("icmp_sweep", true));
	monitor_pings(&h, c);
	teardown(&h);
	CHECK_EQ_U(nrec, 0);

	setup(&h, slow_rule("icmp_sweep", false));
	monitor_pings(&h, c);
	teardown(&h);
	CHECK_EQ_U(count_phase(DET_OPEN), 1);

	setup(&h, slow_rule("stealth", true));
	struct sw_addr sc = fixture_v4(198, 18, 0, 31), t = fixture_v4(198, 18, 1, 1);
	for (int i = 0; i < 6; i++) {
		struct sw_packet f = tcp(sc, t, 51000, (uint16_t)(20 + i), TCP_FIN, false, 0);
		feed(&h, &f, 300000000); /* -T0: five minutes apart */
	}
	teardown(&h);
	const struct sw_detection *o = first_open();
	CHECK(o && o->kind == KIND_FIN_SCAN && addr_eq(&o->src, &sc));
	CHECK(o && o->probes_at_open == 5);
}

/* The memos of addresses' keyed hashes (detect.h, addr_memo: the engine's, addr_base, and a
 * prehashing thread's, detect_prehash) give every address its own SipHash: 3,000 addresses
 * (IPv4 and IPv6, many more than the 64 slots, so most share a slot with others) asked in an
 * order that makes them evict each other, each several times. */
static void test_addr_memo(void)
{
	struct harness h;
	uint8_t key[16];
	static struct addr_memo pre[DETECT_MEMO_SLOTS];
	setup(&h, NULL);
	hash_make_key(key, 1); /* setup's seed */
	unsigned wrong = 0, asked = 0, pre_wrong = 0;
	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < 3000; i++) {
			unsigned k = (i * 7919u + round * 104729u) % 3000u;
			char text[48];
			if (k % 2)
				snprintf(text, sizeof text, "198.18.%u.%u", k >> 8, k & 255);
			else
				snprintf(text, sizeof text, "2001:2::%x", k);
			struct sw_addr a = fixture_ip(text);
			/* twice in a row: the second comes from the memo */
			for (int twice = 0; twice < 2; twice++, asked++) {
				wrong += addr_base(h.de, &a) != hash_siphash13(key, &a, sizeof a);
				struct sw_event ev = {.src = a};
				struct detect_prehash ph;
				detect_prehash(h.de, pre, &ev, &ph);
				pre_wrong += ph.src != hash_siphash13(key, &a, sizeof a);
			}
		}
	CHECK_EQ_U(asked, 18000);
	CHECK_EQ_U(wrong, 0);
	CHECK_EQ_U(pre_wrong, 0);
	teardown(&h);
}

int main(void)
{
	test_addr_memo();
	test_syn_scan();
	test_benign_clients();
	test_builder_completes_handshakes();
	test_one_port_per_technique();
	test_joined_probes_make_no_entry();
	test_connect_scan();
	test_icmp();
	test_rst_flood_and_allow();
	test_window_reset();
	test_arp();
	test_nd_sweep();
	test_health_checker();
	test_p2p_client();
	test_reconnect_storm();
	test_scan_under_flood();
	test_open_outlives_flood();
	test_absorbed_then_stands_out();
	test_crafted_only();
	CHECK_DONE();
}
