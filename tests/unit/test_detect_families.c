/* test_detect_families.c — UDP sweeps, UDP and ICMP floods, ICMP fingerprint batteries and IPv6
 * ND sweeps on synthetic traffic: each opens once with its kind, its benign look-alike stays
 * quiet. */
#include "detect_harness.h"
#include "fixtures.h"

/* The built-in rules, as shipped. */
static void setup(struct harness *h)
{
	harness_setup(h, NULL, 16384, 1);
}

/* A minute of quiet first: the probes' timeouts fire, then what is open closes. */
static void teardown(struct harness *h)
{
	h->now += 60ULL * 1000000;
	classify_advance(h->cl, h->now);
	harness_teardown(h);
}

/* Lets packet time pass with no packet (probe timeouts fire). */
static void idle(struct harness *h, uint64_t dt_us)
{
	h->now += dt_us;
	classify_advance(h->cl, h->now);
	detect_advance(h->de, h->now);
}

static int opened(enum sw_kind kind)
{
	int n = 0;
	for (int i = 0; i < nrec; i++)
		n += recs[i].phase == DET_OPEN && recs[i].kind == kind;
	return n;
}

static const struct sw_detection *open_of(enum sw_kind kind)
{
	for (int i = 0; i < nrec; i++)
		if (recs[i].phase == DET_OPEN && recs[i].kind == kind)
			return &recs[i];
	return NULL;
}

static struct sw_packet udp(struct sw_addr src, struct sw_addr dst, uint16_t sp, uint16_t dp,
                            uint16_t payload)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_IPV4;
	p.proto = 17;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.sport = sp;
	p.dport = dp;
	p.ttl = 64;
	p.payload_len = payload;
	return p;
}

static struct sw_packet icmp(struct sw_addr src, struct sw_addr dst, uint8_t type, uint8_t code,
                             uint16_t id, uint16_t seq)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_IPV4;
	p.proto = 1;
	p.flags = PKT_F_HAS_L4;
	p.src = src;
	p.dst = dst;
	p.icmp_type = type;
	p.icmp_code = code;
	p.icmp_id = id;
	p.icmp_seq = seq;
	p.ttl = 64;
	return p;
}

static void test_udp_sweep(void)
{
	struct harness h;
	setup(&h);
	/* a resolver asking 30 servers on 53: 25 answer, 5 stay silent */
	struct sw_addr res = fixture_v4(198, 18, 0, 53);
	for (int i = 0; i < 30; i++) {
		struct sw_addr srv = fixture_v4(198, 18, 3, (uint8_t)(i + 1));
		struct sw_packet q = udp(res, srv, (uint16_t)(40000 + i), 53, 40);
		feed(&h, &q, 2000);
		if (i % 6 != 5) {
			struct sw_packet a = udp(srv, res, 53, (uint16_t)(40000 + i), 120);
			feed(&h, &a, 500);
		}
	}
	idle(&h, 5ULL * 1000000);
	CHECK_EQ_U(nrec, 0);
	/* nmap -PU: one empty datagram to 40125 on each of 30 hosts, all silent */
	struct sw_addr sc = fixture_v4(198, 18, 0, 1);
	for (int i = 0; i < 30; i++) {
		struct sw_packet q = udp(sc, fixture_v4(198, 18, 1, (uint8_t)i), 53000, 40125, 0);
		feed(&h, &q, 1000);
	}
	idle(&h, 5ULL * 1000000);
	teardown(&h);
	const struct sw_detection *o = open_of(KIND_UDP_SWEEP);
	CHECK(o && addr_eq(&o->src, &sc));
	CHECK_EQ_U(opened(KIND_UDP_SWEEP), 1);
	CHECK_EQ_U(opened(KIND_UDP_SCAN), 0);
	CHECK_EQ_U(opened(KIND_UDP_FLOOD), 0);
}

static void test_udp_flood(void)
{
	struct harness h;
	setup(&h);
	/* a busy DNS server: 100 clients, 10 queries each, every one answered */
	struct sw_addr dns = fixture_v4(198, 18, 0, 53);
	for (int q = 0; q < 10; q++)
		for (int c = 0; c < 100; c++) {
			struct sw_addr cli = fixture_v4(198, 18, 4, (uint8_t)c);
			uint16_t sp = (uint16_t)(30000 + q * 100 + c);
			struct sw_packet p = udp(cli, dns, sp, 53, 33);
			struct sw_packet a = udp(dns, cli, 53, sp, 90);
			feed(&h, &p, 300);
			feed(&h, &a, 200);
		}
	CHECK_EQ_U(nrec, 0);
	/* a UDP port scan of 1000 ports: a scan, never a flood */
	struct sw_addr sc = fixture_v4(198, 18, 0, 7), t = fixture_v4(198, 18, 0, 2);
	for (int i = 0; i < 1000; i++) {
		struct sw_packet p = udp(sc, t, 45000, (uint16_t)(1 + i), 0);
		feed(&h, &p, 100);
	}
	CHECK_EQ_U(opened(KIND_UDP_FLOOD), 0);
	CHECK_EQ_U(opened(KIND_UDP_SCAN), 1);
	int before = nrec;
	/* hping3 --udp -p 9 at another target: empty datagrams, source port counting up */
	struct sw_addr fl = fixture_v4(198, 18, 0, 1);
	t = fixture_v4(198, 18, 0, 4);
	for (int i = 0; i < 3000; i++) {
		struct sw_packet p = udp(fl, t, (uint16_t)(2000 + i), 9, 0);
		feed(&h, &p, 100);
	}
	/* a syslog sender (RFC 5426) to a collector that never answers: one socket, 200
	 * messages a second for 20 s, 4,000 datagrams of one flow */
	struct sw_addr shipper = fixture_v4(198, 18, 0, 30), coll = fixture_v4(198, 18, 0, 5);
	for (int i = 0; i < 4000; i++) {
		struct sw_packet p = udp(shipper, coll, 51514, 514, (uint16_t)(80 + i % 60));
		feed(&h, &p, 5000);
	}
	/* 20 hosts each streaming metrics to one collector, 2,600 datagrams apiece in 5 s:
	 * 52,000 together, far below the stream rate from each */
	struct sw_addr metrics = fixture_v4(198, 18, 0, 7);
	for (int i = 0; i < 2600; i++)
		for (int k = 0; k < 20; k++) {
			struct sw_packet p = udp(fixture_v4(198, 18, 9, (uint8_t)k), metrics,
			                         (uint16_t)(33000 + k), 8125, 40);
			feed(&h, &p, 96);
		}
	/* 150 hosts each sending a log line a second to one collector for 20 s: each stays one
	 * flow (classify.c keeps an unanswered flow that goes on), so 150 first datagrams */
	struct sw_addr central = fixture_v4(198, 18, 0, 8);
	for (int sec = 0; sec < 20; sec++)
		for (int k = 0; k < 150; k++) {
			struct sw_packet p = udp(fixture_v4(198, 18, 10, (uint8_t)k), central,
			                         (uint16_t)(34000 + k), 514, 70);
			feed(&h, &p, 1000000 / 150);
		}
	/* hping3 --udp -k -d 40 at 10,000 a second: one source port, 'X' after 'X' (decode_udp.c
	 * flags it), 3,000 datagrams of one flow: hand-built, each one scores */
	struct sw_addr hk = fixture_v4(198, 18, 0, 32), victim2 = fixture_v4(198, 18, 0, 9);
	for (int i = 0; i < 3000; i++) {
		struct sw_packet p = udp(hk, victim2, 2500, 9, 40);
		p.flags |= PKT_F_UDP_FILLER;
		feed(&h, &p, 100);
	}
	/* a flood from one socket with a payload (a sendto() loop): 60,000 datagrams in 0.6 s */
	struct sw_addr looper = fixture_v4(198, 18, 0, 31), victim = fixture_v4(198, 18, 0, 6);
	for (int i = 0; i < 60000; i++) {
		struct sw_packet p = udp(looper, victim, 40001, 80, 1024);
		feed(&h, &p, 10);
	}
	teardown(&h);
	const struct sw_detection *o = open_of(KIND_UDP_FLOOD);
	CHECK(o && addr_eq(&o->target, &t) && addr_eq(&o->src, &fl));
	CHECK(o && o->probes_at_open == 200);
	CHECK_EQ_U(opened(KIND_UDP_FLOOD), 3);
	int on_coll = 0, on_victim = 0, on_victim2 = 0;
	for (int i = 0; i < nrec; i++) {
		if (recs[i].phase != DET_OPEN)
			continue;
		on_coll += addr_eq(&recs[i].target, &coll) || addr_eq(&recs[i].target, &metrics) ||
		           addr_eq(&recs[i].target, &central);
		if (recs[i].kind == KIND_UDP_FLOOD && addr_eq(&recs[i].target, &victim) &&
		    addr_eq(&recs[i].src, &looper))
			on_victim++;
		if (recs[i].kind == KIND_UDP_FLOOD && addr_eq(&recs[i].target, &victim2) &&
		    addr_eq(&recs[i].src, &hk) && recs[i].probes_at_open == 200)
			on_victim2++;
	}
	CHECK_EQ_U(on_coll, 0);
	CHECK_EQ_U(on_victim, 1);
	CHECK_EQ_U(on_victim2, 1);
	CHECK(nrec > before);
}

static void test_icmp_flood(void)
{
	struct harness h;
	setup(&h);
	struct sw_addr t = fixture_v4(198, 18, 0, 2);
	/* ping(8) once a second for two minutes, answered */
	struct sw_addr mon = fixture_v4(198, 18, 0, 9);
	for (int i = 0; i < 120; i++) {
		struct sw_packet q = icmp(mon, t, 8, 0, 4242, (uint16_t)i);
		struct sw_packet a = icmp(t, mon, 0, 0, 4242, (uint16_t)i);
		q.payload_len = a.payload_len = 56;
		feed(&h, &q, 1000000);
		feed(&h, &a, 300);
	}
	CHECK_EQ_U(nrec, 0);
	/* hping3 --icmp: one identifier, every request answered */
	struct sw_addr fl = fixture_v4(198, 18, 0, 1);
	for (int i = 0; i < 1000; i++) {
		struct sw_packet q = icmp(fl, t, 8, 0, 777, (uint16_t)(i << 8));
		struct sw_packet a = icmp(t, fl, 0, 0, 777, (uint16_t)(i << 8));
		feed(&h, &q, 100);
		feed(&h, &a, 50);
	}
	/* and from forged sources at another target */
	struct sw_addr t2 = fixture_v4(198, 18, 0, 3);
	for (int i = 0; i < 1000; i++) {
		struct sw_packet q =
		    icmp(fixture_v4(10, (uint8_t)(i >> 8), (uint8_t)i, 1), t2, 8, 0, 777, 0);
		feed(&h, &q, 100);
	}
	/* 120 hosts each pinging their gateway once a second for 10 s, answered: 600 requests
	 * in 5 s together, 120 echo flows */
	struct sw_addr gw = fixture_v4(198, 18, 0, 4);
	for (int sec = 0; sec < 10; sec++)
		for (int k = 0; k < 120; k++) {
			struct sw_addr host = fixture_v4(198, 18, 12, (uint8_t)k);
			struct sw_packet q =
			    icmp(host, gw, 8, 0, (uint16_t)(100 + k), (uint16_t)sec);
			struct sw_packet a =
			    icmp(gw, host, 0, 0, (uint16_t)(100 + k), (uint16_t)sec);
			q.payload_len = a.payload_len = 56;
			feed(&h, &q, 1000000 / 120 - 100);
			feed(&h, &a, 100);
		}
	int before = opened(KIND_ICMP_FLOOD);
	/* ping -f from one host: 56-byte requests of one identifier, 3,000 in 0.3 s */
	struct sw_addr pf = fixture_v4(198, 18, 0, 40), t5 = fixture_v4(198, 18, 0, 5);
	for (int i = 0; i < 3000; i++) {
		struct sw_packet q = icmp(pf, t5, 8, 0, 31337, (uint16_t)i);
		q.payload_len = 56;
		feed(&h, &q, 100);
	}
	teardown(&h);
	CHECK_EQ_U(before, 2);
	CHECK_EQ_U(opened(KIND_ICMP_FLOOD), 3);
	const struct sw_detection *o = open_of(KIND_ICMP_FLOOD);
	/* at hping3's 500th request, with the monitor's few pings of the window beside */
	CHECK(o && addr_eq(&o->target, &t) && addr_eq(&o->src, &fl));
	CHECK(o && o->probes_at_open >= 500 && o->probes_at_open <= 505);
	int on_gw = 0, on_t5 = 0, forged = 0;
	for (int i = 0; i < nrec; i++) {
		if (recs[i].phase != DET_OPEN)
			continue;
		on_gw += addr_eq(&recs[i].target, &gw);
		on_t5 += recs[i].kind == KIND_ICMP_FLOOD && addr_eq(&recs[i].target, &t5) &&
		         addr_eq(&recs[i].src, &pf);
		forged += addr_eq(&recs[i].target, &t2) && recs[i].src_any;
	}
	CHECK_EQ_U(on_gw, 0);
	CHECK_EQ_U(on_t5, 1);
	CHECK_EQ_U(forged, 1);
}

static void test_icmp_battery(void)
{
	struct harness h;
	setup(&h);
	/* nmap -sn -PE -PP -PM across 20 hosts: a sweep, not a fingerprint */
	struct sw_addr sw = fixture_v4(198, 18, 0, 5);
	for (int i = 0; i < 20; i++) {
		struct sw_addr d = fixture_v4(198, 18, 1, (uint8_t)i);
		struct sw_packet e = icmp(sw, d, 8, 0, 11, 0);
		struct sw_packet ts = icmp(sw, d, 13, 0, 12, 0);
		struct sw_packet m = icmp(sw, d, 17, 0, 13, 0);
		feed(&h, &e, 1000);
		feed(&h, &ts, 1000);
		feed(&h, &m, 1000);
	}
	CHECK_EQ_U(opened(KIND_OS_FINGERPRINT), 0);
	/* an Xprobe2-style battery at one host: echo code 123, timestamp, mask, information */
	struct sw_addr sc = fixture_v4(198, 18, 0, 1), t = fixture_v4(198, 18, 0, 2);
	static const uint8_t type[] = {8, 13, 17, 15}, code[] = {123, 0, 0, 0};
	for (int i = 0; i < 4; i++) {
		struct sw_packet p = icmp(sc, t, type[i], code[i], (uint16_t)(100 + i), 0);
		feed(&h, &p, 20000);
	}
	teardown(&h);
	const struct sw_detection *o = open_of(KIND_OS_FINGERPRINT);
	CHECK(o && addr_eq(&o->src, &sc) && o->probes_at_open == 3);
	CHECK_EQ_U(opened(KIND_OS_FINGERPRINT), 1);
}

static struct sw_packet nd(const struct sw_addr *src, const struct sw_addr *dst, uint8_t type)
{
	struct sw_packet p = {0};
	p.l3 = PKT_L3_IPV6;
	p.proto = 58;
	p.flags = PKT_F_HAS_L4;
	p.icmp_type = type;
	p.src = *src;
	p.dst = *dst;
	p.ttl = 255;
	return p;
}

static struct sw_addr v6(uint8_t b14, uint8_t b15)
{
	uint8_t a[16] = {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b14, b15};
	struct sw_addr r;
	addr_from_v6(&r, a);
	return r;
}

/* NS for target (to its solicited-node group, RFC 4291 2.7.1), the target's advert, and
 * (used) the asker's traffic to it. */
static void resolve6(struct harness *h, const struct sw_addr *asker, const struct sw_addr *target,
                     bool used)
{
	uint8_t g[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
	memcpy(g + 13, target->a + 13, 3);
	struct sw_addr grp;
	addr_from_v6(&grp, g);
	struct sw_packet ns = nd(asker, &grp, 135);
	struct sw_packet na = nd(target, asker, 136);
	feed(h, &ns, 1000);
	feed(h, &na, 50);
	if (used) { /* ping(8) to it, answered */
		struct sw_packet q = nd(asker, target, 128), a = nd(target, asker, 129);
		q.icmp_id = a.icmp_id = 99;
		q.payload_len = a.payload_len = 56;
		feed(h, &q, 30);
		feed(h, &a, 50);
	}
}

static void test_nd_small_sweep(void)
{
	struct harness h;
	setup(&h);
	/* a client opening connections to twelve on-link neighbours (the benign ipv6_fanout) */
	struct sw_addr cli = v6(0, 9);
	for (int i = 0; i < 12; i++) {
		struct sw_addr t = v6(0, (uint8_t)(0x20 + i));
		resolve6(&h, &cli, &t, true);
	}
	idle(&h, 5ULL * 1000000);
	CHECK_EQ_U(nrec, 0);
	/* nmap -6 -sn of eight live neighbours: asked, answered, never talked to */
	struct sw_addr sc = v6(0, 1);
	for (int i = 0; i < 8; i++) {
		struct sw_addr t = v6(1, (uint8_t)i);
		resolve6(&h, &sc, &t, false);
	}
	teardown(&h);
	const struct sw_detection *o = open_of(KIND_ICMP_SWEEP);
	CHECK(o && addr_eq(&o->src, &sc));
	CHECK_EQ_U(opened(KIND_ICMP_SWEEP), 1);
}

int main(void)
{
	test_udp_sweep();
	test_udp_flood();
	test_icmp_flood();
	test_icmp_battery();
	test_nd_small_sweep();
	CHECK_DONE();
}
