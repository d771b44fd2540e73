/* attribute.c — tool fingerprints: nmap, masscan, zmap, hping3 and fping each build probes their
 * own way. */
#include "scanwatch/attribute.h"

#include <inttypes.h>
#include <string.h>

#include "scanwatch/strbuf.h"
#include "scanwatch/track.h"

/*
 * What each tool's probes look like (read off captures of the Debian
 * packages: nmap 7.93, masscan 1.3.2, zmap 2.1.1, hping3 3.0.0-alpha-2,
 * fping 5.1; the sources agree):
 *  nmap     TCP window 1024/2048/3072/4096; SYN options exactly MSS 1460;
 *           IPv4 TTL drawn from 37..59 per probe (tcpip.cc; the IPv6 hop
 *           limit on the wire is 255); one source port shared by the probes
 *           of a round; ICMP echo without payload; -O probes with TSval
 *           0xFFFFFFFF; UDP payloads from nmap-payloads (port 53: a 12-byte
 *           DNS status request and a 30-byte version.bind query); -sT
 *           (kernel SYNs, scan_engine_connect.cc init_socket) sets SO_LINGER
 *           0 and nothing else, so open ports are reset right after the
 *           handshake, the SYNs offer the default receive buffer, and the
 *           ports come in nmap's shuffled order.
 *  masscan  TCP window 1024, no options, TTL / hop limit 255 (templ-pkt.c),
 *           one source port, a SYN-cookie sequence number per probe; UDP
 *           payloads from templ-payloads.c (port 53: a 31-byte version.bind
 *           query); --ping's echo requests carry 48 bytes counting up from 8.
 *  zmap     IPv4 identification 54321 on every probe, TTL 255, window 65535.
 *  hping3   window 512 by default, no options, TTL 64, source port counting
 *           up by one per packet from a random base.
 *  fping    56 data bytes (DEFAULT_PING_DATA_SIZE), one ICMP identifier for
 *           the run (ident4, fping.c) and one sequence counter shared by all
 *           hosts (seqmap.c): from one host to the next the sequence number
 *           goes up by one. iputils ping keeps to one host; a loop of pings
 *           starts a new identifier and sequence for each host.
 * Each probe votes for at most one tool through one tell-tale; the verdict
 * needs a majority of the entry's hand-built probes. SYNs an OS stack built
 * (connect(): SACK-permitted or timestamps) name no tool and do not dilute
 * the others (nmap -sV's version connects follow its raw SYN scan).
 *
 * Not named, because another real program sends the same packets (a wrong
 * name is worse than "unknown"): ARP requests (arp-scan, nmap -PR and the
 * kernel all send the 42-byte broadcast request with a zero target MAC;
 * arp-scan's only tells are its pace and its request for its own address,
 * which classify does not pass on), IPv6 UDP from one source port with hop
 * limit 255 unless nmap's or masscan's DNS payload says whose it is, and
 * kernel connects that close normally.
 */

enum tool { T_NMAP, T_MASSCAN, T_ZMAP, T_HPING3, T_FPING, T__COUNT, T_RAW_UDP = T__COUNT };

static const char *const tool_names[T__COUNT] = {"nmap", "masscan", "zmap", "hping3", "fping"};

/* Which tool each tell-tale names, and how the evidence says it: of the packets counted. */
static const struct {
	unsigned char tool;
	unsigned char weight;
	const char *why;
} reasons[ATTR__COUNT] = {
    [ATTR_NMAP_SYN] = {T_NMAP, 1,
                       "SYNs with window 1024-4096, MSS 1460 as the only option and a TTL "
                       "from 37..59 (IPv6: hop limit 255)"},
    [ATTR_NMAP_FLAGS] = {T_NMAP, 1,
                         "option-less non-SYN TCP probes with window 1024-4096 and a TTL from "
                         "37..59 (IPv6: any hop limit)"},
    [ATTR_NMAP_OS] = {T_NMAP, 2, "TCP timestamp value 0xFFFFFFFF (OS detection probes)"},
    [ATTR_NMAP_ICMP] = {T_NMAP, 1,
                        "ICMP requests without data, TTL from 37..59 (IPv6: hop limit 255)"},
    [ATTR_NMAP_UDP] = {T_NMAP, 1, "UDP probes whose TTL is redrawn from 37..59"},
    [ATTR_NMAP_DNS] = {T_NMAP, 1, "nmap-payloads' 12- or 30-byte DNS probes to UDP port 53"},
    [ATTR_NMAP_PROTO] = {T_NMAP, 1, "bare IP protocol probes whose TTL is redrawn from 37..59"},
    [ATTR_NMAP_SCTP] = {T_NMAP, 1,
                        "SCTP INITs without parameters (a_rwnd 32768, 10/2048 streams) or "
                        "COOKIE-ECHOs with a 4-byte cookie"},
    [ATTR_MASSCAN_SYN] = {T_MASSCAN, 1, "SYNs with window 1024, no options, TTL 255"},
    [ATTR_MASSCAN_DNS] = {T_MASSCAN, 1, "masscan's 31-byte version.bind query to UDP port 53"},
    [ATTR_ZMAP_ID] = {T_ZMAP, 1, "IP identification 54321"},
    [ATTR_HPING3_TCP] = {T_HPING3, 1, "TCP probes with window 512, no options, TTL 33-64"},
    [ATTR_HPING3_ICMP] = {T_HPING3, 1,
                          "echo requests without data, TTL 64, sequence stepping by 256"},
    [ATTR_FPING] = {T_FPING, 1,
                    "56-byte echo requests with one identifier, the sequence number one up "
                    "from each host to the next"},
    [ATTR_RAW_UDP4] = {T_RAW_UDP, 1, "UDP probes from one source port with TTL 255"},
    [ATTR_RAW_UDP6] = {T_RAW_UDP, 1, "IPv6 UDP probes from one source port with hop limit 255"},
    [ATTR_MASSCAN_ICMP] = {T_MASSCAN, 1,
                           "echo requests whose 48 data bytes count up from 8: ping(8)'s fill "
                           "without the timestamp ping(8) puts first"},
};

static bool nmap_window(uint16_t w)
{
	return w == 1024 || w == 2048 || w == 3072 || w == 4096;
}

/* nmap draws the IPv4 TTL of each raw probe from 37..59 (tcpip.cc); a real host's is fixed. */
static bool nmap_ttl(const struct sw_packet *p, uint8_t last_ttl)
{
	return p->l3 == PKT_L3_IPV4 && p->ttl >= 37 && p->ttl <= 59 && p->ttl != last_ttl;
}

static bool ttl_in_nmap_range(const struct sw_packet *p)
{
	return p->l3 == PKT_L3_IPV4 && p->ttl >= 37 && p->ttl <= 59;
}

/* Only to tell one target from the next: two words, not sixteen bytes (FNV-1a byte by byte
 * was 1.5% of capture A's instructions, on every probe of every rule). One-to-one on IPv4
 * (the first word of a mapped address is zero, and the second folds to its last four bytes
 * XOR a constant). */
static uint32_t addr_fold(const struct sw_addr *a)
{
	uint64_t w[2];
	memcpy(w, a->a, sizeof w);
	uint64_t x = w[0] * 0x9e3779b97f4a7c15ULL + w[1];
	return (uint32_t)(x ^ x >> 32);
}

static uint32_t tool_votes(const struct attr_state *a, int tool)
{
	uint32_t v = 0;
	for (int r = 0; r < ATTR__COUNT; r++)
		if (reasons[r].tool == tool)
			v += a->reason[r] * reasons[r].weight;
	return v;
}

/* Whose builder sent the raw UDP probes: the DNS payload decides; IPv4 with TTL 255 is
 * masscan's (nmap's IPv4 TTL is 37..59); IPv6 alone says nothing. */
static int raw_udp_owner(const struct attr_state *a)
{
	bool n = a->reason[ATTR_NMAP_DNS] > 0, m = a->reason[ATTR_MASSCAN_DNS] > 0;
	if (n != m)
		return n ? T_NMAP : T_MASSCAN;
	if (!n && a->reason[ATTR_RAW_UDP4] && !a->reason[ATTR_RAW_UDP6])
		return T_MASSCAN;
	return -1;
}

static void note_stack_syn(struct attr_state *a, const struct sw_packet *p)
{
	uint32_t dst = addr_fold(&p->dst);
	a->stack++;
	if (p->tcp_window < 4096)
		a->smallbuf++;
	if (a->has_stack && dst == a->stack_dst) {
		a->pairs++;
		a->descents += p->dport < a->stack_dport;
	}
	a->has_stack = 1;
	a->stack_dst = dst;
	a->stack_dport = p->dport;
}

static void note_tcp(struct attr_state *a, const struct sw_packet *p)
{
	bool v4 = p->l3 == PKT_L3_IPV4;
	const struct pkt_tcp_opts *o = &p->tcp_opts;
	bool syn = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	/* masscan and zmap send TTL / hop limit 255; nmap's IPv4 TTL is 37..59 and
	 * its IPv6 hop limit is 255 as well, so the window and options decide */
	bool ttl255 = p->ttl > 192;
	if (o->has_ts && o->ts_val == 0xffffffffu) {
		a->reason[ATTR_NMAP_OS]++; /* nmap -O's probes all carry TSval 0xFFFFFFFF */
	} else if (syn && (o->has_sack_perm || o->has_ts)) {
		note_stack_syn(a, p); /* connect(): the kernel's SYN */
	} else if (syn && nmap_window(p->tcp_window) && o->count == 1 && o->has_mss &&
	           o->mss == 1460 && (v4 ? !ttl255 : true)) {
		a->reason[ATTR_NMAP_SYN]++;
	} else if (syn && p->tcp_window == 1024 && o->count == 0 && ttl255) {
		a->reason[ATTR_MASSCAN_SYN]++;
	} else if (!syn && nmap_window(p->tcp_window) && o->count == 0 && (v4 ? !ttl255 : true)) {
		/* masscan sends SYNs only: an option-less window-1024 ACK with hop limit 255
		 * is nmap's IPv6 -sA */
		a->reason[ATTR_NMAP_FLAGS]++;
	} else if (p->tcp_window == 512 && o->count == 0 && p->ttl <= 64 && p->ttl > 32) {
		a->reason[ATTR_HPING3_TCP]++;
	}
	if (o->count == 0 && a->total > 1 && p->sport == (uint16_t)(a->last_sport + 1))
		a->seqsp++;
	a->last_sport = p->sport;
}

static void note_icmp(struct attr_state *a, const struct sw_packet *p, uint32_t dst)
{
	bool v4 = p->l3 == PKT_L3_IPV4;
	bool echo = p->icmp_type == (v4 ? 8 : 128);
	/* nmap's requests carry no data (IPv4 TTL 37..59, IPv6 hop limit 255);
	 * hping3's neither, but its TTL is 64 and its sequence steps by 256 */
	if (p->payload_len == 0 && (v4 ? ttl_in_nmap_range(p) : p->ttl == 255))
		a->reason[ATTR_NMAP_ICMP]++;
	else if (echo && (p->flags & PKT_F_ICMP_COUNTING))
		a->reason[ATTR_MASSCAN_ICMP]++;
	else if (p->payload_len == 0 && p->ttl == 64 && a->has_icmp &&
	         p->icmp_seq == (uint16_t)(a->icmp_seq + 256))
		a->reason[ATTR_HPING3_ICMP]++;
	else if (echo && p->payload_len == 56 && a->has_icmp && p->icmp_id == a->icmp_id &&
	         p->icmp_seq == (uint16_t)(a->icmp_seq + 1) && dst != a->last_dst)
		a->reason[ATTR_FPING]++;
}

static void note_udp(struct attr_state *a, const struct sw_packet *p, bool ttl_var)
{
	bool v4 = p->l3 == PKT_L3_IPV4;
	if (ttl_var || (ttl_in_nmap_range(p) && tool_votes(a, T_NMAP)))
		a->reason[ATTR_NMAP_UDP]++;
	/* one source port and TTL 255 for every probe: a raw builder's (an
	 * application's socket has the host's TTL, 64 on Linux); zmap's ID 54321
	 * votes for zmap instead */
	if (p->ttl == 255 && a->has_udp && p->sport == a->udp_sport && !(v4 && p->ip_id == 54321))
		a->reason[v4 ? ATTR_RAW_UDP4 : ATTR_RAW_UDP6]++;
	if (p->dport == 53 && p->ttl == 255) {
		if (p->payload_len == 12 || p->payload_len == 30)
			a->reason[ATTR_NMAP_DNS]++; /* /usr/share/nmap/nmap-payloads, "udp 53" */
		else if (p->payload_len == 31)
			a->reason[ATTR_MASSCAN_DNS]++; /* masscan templ-payloads.c, port 53 */
	}
	if (a->total > 1 && p->sport == (uint16_t)(a->last_sport + 1))
		a->seqsp++;
	a->last_sport = p->sport;
	a->udp_sport = p->sport;
	a->has_udp = 1;
}

/*
 * nmap's SCTP probes (scan_engine_raw.cc, sendIPScanProbe; tcpip.cc
 * build_sctp_raw): -sY's INIT is the bare 20-byte fixed part with a_rwnd
 * 32768, 10 outbound and 2048 inbound streams and verification tag 0; -sZ's
 * COOKIE-ECHO carries a 4-byte random "cookie" (chunk length 8) where a real
 * one is the listener's state cookie, hundreds of bytes. The IPv4 TTL is
 * drawn from 37..59 as for its other raw probes. No stack sends either.
 */
static void attribute_sctp(struct attr_state *a, const struct sw_packet *p)
{
	const struct pkt_sctp *s = &p->sctp;
	bool ttl_ok = p->l3 != PKT_L3_IPV4 || (p->ttl >= 37 && p->ttl <= 59);
	bool init = s->chunk_type == 1 && s->chunk_len == 20 && s->vtag == 0 &&
	            s->a_rwnd == 32768 && s->out_streams == 10 && s->in_streams == 2048;
	bool cookie = s->chunk_type == 10 && s->chunk_len == 8 && p->payload_len == 8;
	if (ttl_ok && (init || cookie))
		a->reason[ATTR_NMAP_SCTP]++;
}

void attribute_note(struct track_entry *e, const struct sw_event *ev)
{
	const struct sw_packet *p = ev->pkt;
	struct attr_state *a = &e->attr;
	if (ev->type == EV_OUTCOME) {
		/* a connect() scan that resets each open port right after the handshake
		 * (SO_LINGER 0), where ordinary clients send FIN. A socket's reset carries
		 * an ACK; the kernel's answer to a SYN-ACK that came too late (classify.c,
		 * flow_reset) has none. */
		if (ev->outcome == OUT_EMPTY && p && (p->tcp_flags & TCP_RST) &&
		    (p->tcp_flags & TCP_ACK))
			a->linger0++;
		return;
	}
	if (!p || p->l3 == PKT_L3_ARP)
		return;
	bool l4 = (p->flags & PKT_F_HAS_L4) != 0;
	bool icmp = (p->proto == 1 || p->proto == 58) && l4;
	uint32_t dst = addr_fold(&p->dst);
	if (ev->repeat) {
		/* a retransmission votes for nothing, but fping's shared sequence counter
		 * counts its retries too; and hping3 flooding one host sends every request
		 * after the first on the same flow, as a repeat, its sequence still stepping
		 * by 256 (hping3 writes it in host byte order): those are its probes */
		if (icmp && p->payload_len == 0 && p->ttl == 64 && a->has_icmp &&
		    p->icmp_id == a->icmp_id && p->icmp_seq == (uint16_t)(a->icmp_seq + 256)) {
			a->total++;
			a->reason[ATTR_HPING3_ICMP]++;
		}
		if (icmp) {
			a->has_icmp = 1;
			a->icmp_id = p->icmp_id;
			a->icmp_seq = p->icmp_seq;
			a->last_dst = dst;
		}
		return;
	}
	bool v4 = p->l3 == PKT_L3_IPV4;
	bool ttl_var = nmap_ttl(p, a->last_ttl);
	a->total++;
	if (v4 && p->ip_id == 54321)
		a->reason[ATTR_ZMAP_ID]++;
	if (p->proto == 6 && l4) {
		note_tcp(a, p);
	} else if (icmp) {
		note_icmp(a, p, dst);
		a->has_icmp = 1;
		a->icmp_id = p->icmp_id;
		a->icmp_seq = p->icmp_seq;
	} else if (p->proto == 17 && l4) {
		note_udp(a, p, ttl_var);
	} else if (p->proto == 132 && l4) {
		attribute_sctp(a, p);
	} else if (!l4 && (ttl_var || (ttl_in_nmap_range(p) && tool_votes(a, T_NMAP)))) {
		a->reason[ATTR_NMAP_PROTO]++; /* nmap -sO: bare protocol headers, TTL redrawn */
	}
	a->last_ttl = p->ttl;
	a->last_dst = dst;
}

/* Probes a tool could have built by hand: all but the OS stack's SYNs. */
static uint32_t handmade(const struct attr_state *a)
{
	return a->total > a->stack ? a->total - a->stack : 0;
}

bool attribute_port_scanner(const struct track_entry *e)
{
	const struct attr_state *a = &e->attr;
	uint32_t n = handmade(a);
	return n && (tool_votes(a, T_MASSCAN) * 2 > n || tool_votes(a, T_ZMAP) * 2 > n);
}

int attribute_template(const struct track_entry *e)
{
	const struct attr_state *a = &e->attr;
	int best = -1;
	uint32_t most = 0;
	for (int i = 0; i < ATTR__COUNT; i++)
		if (a->reason[i] > most) {
			most = a->reason[i];
			best = i;
		}
	if (a->stack > most)
		return ATTR_STACK;
	return best;
}

/* nmap -sT: kernel SYNs, open ports reset after the handshake (SO_LINGER 0), the default receive
 * buffer, ports shuffled. Angry IP Scanner also resets (PortsFetcher.java: setSoLinger(true, 0))
 * but clamps the receive buffer to 32 bytes before connecting (a SYN window near 1152) and asks
 * its ports in the configured order; a connect loop in port order is not nmap either. */
static void connect_verdict(const struct attr_state *a, struct strbuf *t, struct sw_detection *rec)
{
	bool shuffled = a->pairs >= 4 && a->descents * 4 >= a->pairs;
	bool defbuf = a->stack && a->smallbuf == 0;
	if (shuffled && defbuf) {
		strbuf_puts(t, "nmap");
		detection_reason(rec, "tool", a->linger0,
		                 "tool nmap: connect() scan resetting %" PRIu32
		                 " open port(s) right after the handshake, as nmap -sT does",
		                 a->linger0);
		detection_reason(rec, "tool_sign", a->descents,
		                 "default receive buffers, ports shuffled (%" PRIu32 " of %" PRIu32
		                 " successive connects to a host went to a lower port)",
		                 a->descents, a->pairs);
		return;
	}
	strbuf_puts(t, "unknown");
	detection_reason(rec, "tool", 0,
	                 "tool unknown: connect() scan resetting %" PRIu32
	                 " open port(s) after the handshake, but not nmap -sT's shape",
	                 a->linger0);
	if (!defbuf)
		detection_reason(rec, "tool_sign", a->smallbuf,
		                 "%" PRIu32 " of %" PRIu32 " SYNs offer a window under 4096",
		                 a->smallbuf, a->stack);
	else
		detection_reason(rec, "tool_sign", a->descents,
		                 "ports not shuffled: %" PRIu32 " of %" PRIu32
		                 " successive connects to a host went to a lower port",
		                 a->descents, a->pairs);
}

void attribute_verdict(const struct track_entry *e, char *tool, size_t toollen,
                       struct sw_detection *rec)
{
	const struct attr_state *a = &e->attr;
	uint32_t n = handmade(a);
	uint32_t votes[T__COUNT];
	int raw_owner = raw_udp_owner(a);
	for (int i = 0; i < T__COUNT; i++)
		votes[i] = tool_votes(a, i);
	if (raw_owner >= 0) {
		/* the DNS probe carries its own vote already; the raw-UDP count includes it */
		uint32_t dns = a->reason[raw_owner == T_NMAP ? ATTR_NMAP_DNS : ATTR_MASSCAN_DNS];
		uint32_t raw = a->reason[ATTR_RAW_UDP4] + a->reason[ATTR_RAW_UDP6];
		votes[raw_owner] += raw > dns ? raw - dns : 0;
	}
	/* hping3's counting source port is a stronger tell than its window */
	if (n > 2 && a->seqsp * 2 >= n)
		votes[T_HPING3] += a->seqsp;
	int best = -1;
	for (int i = 0; i < T__COUNT; i++)
		if (votes[i] * 2 > n && (best < 0 || votes[i] > votes[best]))
			best = i;
	struct strbuf t;
	strbuf_init(&t, tool, toollen);
	if (best < 0 && a->linger0 > 0 && e->crafted == 0) {
		connect_verdict(a, &t, rec);
		return;
	}
	if (best < 0) {
		strbuf_puts(&t, "unknown");
		return;
	}
	strbuf_puts(&t, tool_names[best]);
	uint32_t shown = votes[best] > n ? n : votes[best];
	if (a->stack)
		detection_reason(rec, "tool", shown,
		                 "tool %s: %" PRIu32 " of %" PRIu32 " probes, besides %" PRIu32
		                 " connect() SYN(s) of the OS stack",
		                 tool_names[best], shown, n, a->stack);
	else
		detection_reason(rec, "tool", shown, "tool %s: %" PRIu32 " of %" PRIu32 " probes",
		                 tool_names[best], shown, n);
	/* the tell-tales that voted, each a reason with the number of packets that showed it */
	for (int r = 0; r < ATTR__COUNT; r++) {
		bool mine =
		    reasons[r].tool == best || (reasons[r].tool == T_RAW_UDP && raw_owner == best);
		if (mine && a->reason[r])
			detection_reason(rec, "tool_sign", a->reason[r], "%s (%" PRIu32 ")",
			                 reasons[r].why, a->reason[r]);
	}
	if (best == T_HPING3 && n > 2 && a->seqsp * 2 >= n)
		detection_reason(rec, "tool_sign", a->seqsp,
		                 "source port counting up by one (%" PRIu32 ")", a->seqsp);
}
