/* test_attribute.c — tool attribution: each tool's probe shape named, look-alikes left unknown. */
#include <stdlib.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/attribute.h"
#include "scanwatch/track.h"

static const struct sw_addr *scanner(void)
{
	static struct sw_addr s;
	s = fixture_v4(198, 18, 0, 1);
	return &s;
}

static struct sw_packet base(uint8_t l3, uint8_t proto, const struct sw_addr *dst, uint8_t ttl)
{
	struct sw_packet p;
	memset(&p, 0, sizeof p);
	p.l3 = l3;
	p.proto = proto;
	p.flags = PKT_F_HAS_L4;
	p.src = l3 == PKT_L3_IPV6 ? fixture_ip("2001:2::1") : *scanner();
	p.dst = *dst;
	p.ttl = ttl;
	return p;
}

/* An IPv4 echo request to dst with `data` bytes after its header. */
static struct sw_packet echo4(const struct sw_addr *dst, uint8_t ttl, uint16_t id, uint16_t seq,
                              uint16_t data)
{
	struct sw_packet p = base(PKT_L3_IPV4, 1, dst, ttl);
	p.icmp_type = 8;
	p.icmp_id = id;
	p.icmp_seq = seq;
	p.payload_len = data;
	return p;
}

/* A kernel SYN as connect() makes it: MSS, SACK-permitted, timestamps, window scale. */
static struct sw_packet stack_syn(const struct sw_addr *dst, uint16_t sport, uint16_t dport,
                                  uint16_t window, uint8_t wscale)
{
	struct sw_packet p = base(PKT_L3_IPV4, 6, dst, 64);
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = TCP_SYN;
	p.tcp_window = window;
	p.tcp_opts.count = 5;
	p.tcp_opts.has_mss = p.tcp_opts.has_sack_perm = p.tcp_opts.has_ts = 1;
	p.tcp_opts.has_wscale = 1;
	p.tcp_opts.wscale = wscale;
	p.tcp_opts.mss = 1460;
	p.tcp_opts.ts_val = 12345 + dport;
	return p;
}

static void probe(struct track_entry *e, const struct sw_packet *p)
{
	struct sw_event ev = {.type = EV_PROBE, .proto = p->proto, .port = p->dport, .pkt = p};
	ev.src = p->src;
	ev.dst = p->dst;
	attribute_note(e, &ev);
}

/* The scanner's RST right after a completed handshake (SO_LINGER 0): TCP_RST | TCP_ACK. A
 * kernel's reset of a SYN-ACK that came after the socket was closed has no ACK (classify.c
 * calls both OUT_EMPTY). */
static void reset_flags(struct track_entry *e, const struct sw_addr *dst, uint16_t dport,
                        uint8_t flags)
{
	struct sw_packet p = base(PKT_L3_IPV4, 6, dst, 64);
	p.dport = dport;
	p.tcp_flags = flags;
	struct sw_event ev = {.type = EV_OUTCOME, .outcome = OUT_EMPTY, .proto = 6, .pkt = &p};
	attribute_note(e, &ev);
}

static void reset_after_handshake(struct track_entry *e, const struct sw_addr *dst, uint16_t dport)
{
	reset_flags(e, dst, dport, TCP_RST | TCP_ACK);
}

struct verdict {
	char tool[DET_TOOL_MAX];
	char why[DET_EVIDENCE_TEXT]; /* the reasons' words, joined */
	unsigned named;              /* reasons named "tool" */
};

static struct verdict verdict(const struct track_entry *e)
{
	struct verdict v;
	static struct sw_detection rec;
	memset(&v, 0, sizeof v);
	memset(&rec, 0, sizeof rec);
	attribute_verdict(e, v.tool, sizeof v.tool, &rec);
	detection_evidence(&rec, v.why, sizeof v.why);
	for (unsigned i = 0; i < rec.n_reasons; i++)
		v.named += strcmp(rec.reasons[i].name, "tool") == 0;
	return v;
}

static struct track_entry *entry(void)
{
	struct track_entry *e = calloc(1, sizeof *e);
	if (!e)
		abort();
	return e;
}

/* fping -g: one identifier, the sequence one up from host to host, 56 data bytes. */
static void test_fping(void)
{
	struct track_entry *e = entry();
	for (uint8_t i = 1; i <= 40; i++) {
		struct sw_addr d = fixture_v4(198, 18, 1, i);
		struct sw_packet p = echo4(&d, 64, 3432, (uint16_t)(i - 1), 56);
		probe(e, &p);
	}
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "fping");
	CHECK(strstr(v.why, "56-byte echo requests") != NULL);
	CHECK(strstr(v.why, "tool fping: 39 of 40 probes") != NULL);
	CHECK_EQ_U(v.named, 1);
	/* the evidence speaks of echo requests, never of TCP */
	CHECK(strstr(v.why, "SYN") == NULL && strstr(v.why, "window") == NULL);
	free(e);
}

/* masscan --ping: a random identifier and sequence per host, TTL 255, and 48 data bytes
 * counting up from 8 (decode_icmp.c's PKT_F_ICMP_COUNTING); zmap's echo requests (IP
 * identification 54321, 12 bytes of zeros) are zmap's. */
static void test_masscan_zmap_ping(void)
{
	struct track_entry *m = entry(), *z = entry();
	for (uint8_t i = 1; i <= 16; i++) {
		struct sw_addr d = fixture_v4(198, 18, 1, i);
		struct sw_packet p =
		    echo4(&d, 255, (uint16_t)(7919 * i), (uint16_t)(104729 * i), 48);
		p.flags |= PKT_F_ICMP_COUNTING;
		probe(m, &p);
		p.flags &= (uint16_t)~PKT_F_ICMP_COUNTING;
		p.payload_len = 12;
		p.ip_id = 54321;
		p.icmp_seq = 0;
		probe(z, &p);
	}
	struct verdict v = verdict(m);
	CHECK_STR(v.tool, "masscan");
	CHECK(strstr(v.why, "48 data bytes count up from 8") != NULL);
	v = verdict(z);
	CHECK_STR(v.tool, "zmap");
	free(m);
	free(z);
}

/* A shell loop of `ping -c 1 HOST`: a new identifier and sequence 1 for each host; and one
 * ping to one host (the sequence goes up, the host does not change). Neither is fping. */
static void test_ping_is_not_fping(void)
{
	struct track_entry *e = entry();
	for (uint8_t i = 1; i <= 40; i++) {
		struct sw_addr d = fixture_v4(198, 18, 1, i);
		struct sw_packet p = echo4(&d, 64, (uint16_t)(1000 + i), 1, 56);
		probe(e, &p);
	}
	CHECK_STR(verdict(e).tool, "unknown");
	free(e);

	e = entry();
	struct sw_addr d = fixture_v4(198, 18, 1, 1);
	for (uint16_t s = 1; s <= 40; s++) {
		struct sw_packet p = echo4(&d, 64, 77, s, 56);
		probe(e, &p);
	}
	CHECK_STR(verdict(e).tool, "unknown");
	free(e);
}

/* One host flooded with echo requests: all but the first are repeats of one flow. hping3's
 * (no data, TTL 64, sequence stepping by 256) name it; ping -f's (56 bytes, +1) do not. */
static void test_hping3_icmp_flood_one_host(void)
{
	static const struct {
		uint16_t payload, step;
		const char *tool;
	} runs[] = {{0, 256, "hping3"}, {56, 1, "unknown"}};
	struct sw_addr d = fixture_v4(198, 18, 0, 2);
	for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
		struct track_entry *e = entry();
		for (uint16_t i = 0; i < 500; i++) {
			struct sw_packet p =
			    echo4(&d, 64, 4242, (uint16_t)(i * runs[r].step), runs[r].payload);
			struct sw_event ev = {.type = EV_PROBE, .proto = 1, .port = 8, .pkt = &p};
			ev.src = p.src;
			ev.dst = p.dst;
			ev.repeat = i > 0;
			attribute_note(e, &ev);
		}
		struct verdict v = verdict(e);
		CHECK_STR(v.tool, runs[r].tool);
		if (r == 0)
			CHECK(strstr(v.why, "tool hping3: 499 of 500 probes") != NULL);
		free(e);
	}
}

/* nmap -sn -PE: echo requests without data, TTL redrawn from 37..59; the evidence says so. */
static void test_nmap_icmp_evidence(void)
{
	struct track_entry *e = entry();
	for (uint8_t i = 1; i <= 30; i++) {
		struct sw_addr d = fixture_v4(198, 18, 1, i);
		struct sw_packet p = echo4(&d, (uint8_t)(37 + i % 23), 999, 0, 0);
		probe(e, &p);
	}
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "nmap");
	CHECK(strstr(v.why, "ICMP requests without data") != NULL);
	CHECK(strstr(v.why, "MSS") == NULL && strstr(v.why, "SYN") == NULL);
	free(e);
}

/* nmap -sT: kernel SYNs with the default receive buffer, ports shuffled, open ports reset. */
static void test_nmap_connect(void)
{
	static const uint16_t ports[] = {80,  23, 443, 21,   22,   25,   3389, 110, 445, 139,
	                                 143, 53, 135, 3306, 8080, 1723, 111,  995, 993, 5900};
	struct track_entry *e = entry();
	struct sw_addr t = fixture_v4(198, 18, 0, 2);
	for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++) {
		struct sw_packet p = stack_syn(&t, (uint16_t)(40000 + i), ports[i], 64240, 7);
		probe(e, &p);
	}
	reset_after_handshake(e, &t, 22);
	reset_after_handshake(e, &t, 80);
	reset_flags(e, &t, 443, TCP_RST); /* a late SYN-ACK's: no socket reset it */
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "nmap");
	CHECK(strstr(v.why, "resetting 2 open port(s)") != NULL);
	CHECK(strstr(v.why, "ports shuffled") != NULL);
	free(e);
}

/* Angry IP Scanner (PortsFetcher.java): SO_RCVBUF 32 before connect (window 1152, scale 0),
 * SO_LINGER 0 after, ports 80, 443, 8080 in order on each host. Not nmap. */
static void test_angryip_is_not_nmap(void)
{
	static const uint16_t ports[] = {80, 443, 8080};
	struct track_entry *e = entry();
	uint16_t sport = 50000;
	for (uint8_t h = 2; h <= 12; h++) {
		struct sw_addr t = fixture_v4(198, 18, 0, h);
		for (size_t i = 0; i < 3; i++) {
			struct sw_packet p =
			    stack_syn(&t, sport++, 7, 64240, 10); /* the port-7 ping */
			probe(e, &p);
		}
		for (size_t i = 0; i < 3; i++) {
			struct sw_packet p = stack_syn(&t, sport++, ports[i], 1152, 0);
			probe(e, &p);
		}
	}
	struct sw_addr t = fixture_v4(198, 18, 0, 2);
	reset_after_handshake(e, &t, 80);
	reset_after_handshake(e, &t, 443);
	reset_after_handshake(e, &t, 8080);
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "unknown");
	CHECK(strstr(v.why, "not nmap -sT's shape") != NULL);
	CHECK(strstr(v.why, "window under 4096") != NULL);
	free(e);

	/* a connect loop with SO_LINGER 0 and default buffers, ports in ascending order */
	e = entry();
	for (uint16_t port = 1; port <= 50; port++) {
		struct sw_packet p = stack_syn(&t, (uint16_t)(40000 + port), port, 64240, 7);
		probe(e, &p);
	}
	reset_after_handshake(e, &t, 22);
	v = verdict(e);
	CHECK_STR(v.tool, "unknown");
	CHECK(strstr(v.why, "ports not shuffled: 0 of 49") != NULL);
	free(e);
}

/* nmap -sV: a raw SYN scan, then kernel connects to the open ports; the connects do not
 * outvote the SYN scan. */
static void test_nmap_version_scan(void)
{
	struct track_entry *e = entry();
	struct sw_addr t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1; port <= 20; port++) {
		struct sw_packet p = base(PKT_L3_IPV4, 6, &t, (uint8_t)(37 + port % 23));
		p.sport = 61000;
		p.dport = port;
		p.tcp_flags = TCP_SYN;
		p.tcp_window = 1024;
		p.tcp_opts.count = 1;
		p.tcp_opts.has_mss = 1;
		p.tcp_opts.mss = 1460;
		probe(e, &p);
	}
	for (uint16_t i = 0; i < 30; i++) {
		struct sw_packet p =
		    stack_syn(&t, (uint16_t)(42000 + i), i % 2 ? 22 : 80, 64240, 7);
		probe(e, &p);
	}
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "nmap");
	CHECK(strstr(v.why, "tool nmap: 20 of 20 probes, besides 30 connect() SYN(s)") != NULL);
	free(e);
}

/* nmap -6 -sA: option-less ACKs, window 1024, hop limit 255; masscan sends no ACK probes. */
static void test_nmap6_ack(void)
{
	struct track_entry *e = entry();
	struct sw_addr t = fixture_ip("2001:2::2");
	for (uint16_t port = 1; port <= 30; port++) {
		struct sw_packet p = base(PKT_L3_IPV6, 6, &t, 255);
		p.sport = 48337;
		p.dport = port;
		p.tcp_flags = TCP_ACK;
		p.tcp_window = 1024;
		probe(e, &p);
	}
	CHECK_STR(verdict(e).tool, "nmap");
	free(e);

	/* masscan's SYNs (window 1024, no options, TTL 255) are still masscan's */
	e = entry();
	struct sw_addr t4 = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1; port <= 30; port++) {
		struct sw_packet p = base(PKT_L3_IPV4, 6, &t4, 255);
		p.sport = 61000;
		p.dport = port;
		p.tcp_flags = TCP_SYN;
		p.tcp_window = 1024;
		probe(e, &p);
	}
	CHECK_STR(verdict(e).tool, "masscan");
	free(e);
}

/* UDP from one source port with TTL / hop limit 255; the DNS payload to port 53 says whose. */
static struct track_entry *raw_udp(uint8_t l3, uint16_t dns_len)
{
	struct track_entry *e = entry();
	struct sw_addr t = l3 == PKT_L3_IPV6 ? fixture_ip("2001:2::2") : fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1001; port <= 1020; port++) {
		struct sw_packet p = base(l3, 17, &t, 255);
		p.sport = 59854;
		p.dport = port;
		p.ip_id = (uint16_t)(port * 7919);
		probe(e, &p);
	}
	if (dns_len) {
		struct sw_packet p = base(l3, 17, &t, 255);
		p.sport = 59854;
		p.dport = 53;
		p.payload_len = dns_len;
		probe(e, &p);
	}
	return e;
}

static void test_raw_udp(void)
{
	struct track_entry *e = raw_udp(PKT_L3_IPV4, 31);
	struct verdict v = verdict(e);
	CHECK_STR(v.tool, "masscan");
	CHECK(strstr(v.why, "31-byte version.bind") != NULL);
	CHECK(strstr(v.why, "UDP probes from one source port with TTL 255 (20)") != NULL);
	free(e);
	e = raw_udp(PKT_L3_IPV4, 0); /* IPv4 TTL 255 is not nmap's (37..59) */
	CHECK_STR(verdict(e).tool, "masscan");
	free(e);
	e = raw_udp(PKT_L3_IPV6, 12);
	CHECK_STR(verdict(e).tool, "nmap");
	free(e);
	e = raw_udp(PKT_L3_IPV6, 31);
	CHECK_STR(verdict(e).tool, "masscan");
	free(e);
	e = raw_udp(PKT_L3_IPV6, 0); /* nmap and masscan build these alike: nobody named */
	CHECK_STR(verdict(e).tool, "unknown");
	free(e);
}

/* An application's UDP (TTL 64) names nobody, whatever its source port does. */
static void test_app_udp(void)
{
	struct track_entry *e = entry();
	struct sw_addr t = fixture_v4(198, 18, 0, 2);
	for (uint16_t port = 1001; port <= 1030; port++) {
		struct sw_packet p = base(PKT_L3_IPV4, 17, &t, 64);
		p.sport = 40000;
		p.dport = port;
		probe(e, &p);
	}
	CHECK_STR(verdict(e).tool, "unknown");
	free(e);
}

int main(void)
{
	test_fping();
	test_ping_is_not_fping();
	test_masscan_zmap_ping();
	test_nmap_icmp_evidence();
	test_hping3_icmp_flood_one_host();
	test_nmap_connect();
	test_angryip_is_not_nmap();
	test_nmap_version_scan();
	test_nmap6_ack();
	test_raw_udp();
	test_app_udp();
	CHECK_DONE();
}
