/* attribute.c — tool fingerprints: nmap, masscan, zmap and hping3 each build probes their own way.
 */
#include "scanwatch/attribute.h"

#include <inttypes.h>
#include <string.h>

#include "scanwatch/strbuf.h"
#include "scanwatch/track.h"

/*
 * What each tool's hand-built probes look like (read off captures of the
 * Debian packages: nmap 7.93, masscan 1.3.2, zmap 2.1.1, hping3 3.0.0-alpha-2;
 * the sources agree):
 *  nmap     TCP window 1024/2048/3072/4096; SYN options exactly MSS 1460;
 *           IPv4 TTL drawn from 37..59 per probe (IPv6 hop limit 255); one
 *           source port and one sequence number shared by the probes of a
 *           round; ICMP echo without payload; -O probes with TSval
 *           0xFFFFFFFF; -sT (kernel SYNs) resets open ports right after the
 *           handshake.
 *  masscan  TCP window 1024, no options, TTL 255, one source port, a
 *           SYN-cookie sequence number per probe.
 *  zmap     IPv4 identification 54321 on every probe, TTL 255, window 65535.
 *  hping3   window 512 by default, no options, TTL 64, source port counting
 *           up by one per packet from a random base.
 * Each probe votes; the verdict needs a majority of the entry's probes.
 */
enum {
	V_NMAP,
	V_MASSCAN,
	V_ZMAP,
	V_HPING3,
	V_TOTAL,  /* probes looked at */
	V_LASTSP, /* previous source port (ICMP: sequence) */
	V_SEQSP,  /* option-less probes whose source port was the previous plus one */
	V_LAST,   /* previous TTL (low byte) and SO_LINGER-0 closes (upper bytes) */
};

#define LINGER0_SHIFT 8

static bool nmap_window(uint16_t w)
{
	return w == 1024 || w == 2048 || w == 3072 || w == 4096;
}

/* nmap draws the IPv4 TTL of each raw probe from 37..59 (tcpip.cc); a real host's is fixed. */
static bool nmap_ttl(const struct sw_packet *p, uint32_t last_ttl)
{
	return p->l3 == PKT_L3_IPV4 && p->ttl >= 37 && p->ttl <= 59 && p->ttl != (last_ttl & 0xff);
}

/*
 * nmap's SCTP probes (scan_engine_raw.cc, sendIPScanProbe; tcpip.cc
 * build_sctp_raw): -sY's INIT is the bare 20-byte fixed part with a_rwnd
 * 32768, 10 outbound and 2048 inbound streams and verification tag 0; -sZ's
 * COOKIE-ECHO carries a 4-byte random "cookie" (chunk length 8) where a real
 * one is the listener's state cookie, hundreds of bytes. The IPv4 TTL is
 * drawn from 37..59 as for its other raw probes. No stack sends either.
 */
static void attribute_sctp(uint32_t *a, const struct sw_packet *p)
{
	const struct pkt_sctp *s = &p->sctp;
	bool ttl_ok = p->l3 != PKT_L3_IPV4 || (p->ttl >= 37 && p->ttl <= 59);
	bool init = s->chunk_type == 1 && s->chunk_len == 20 && s->vtag == 0 &&
	            s->a_rwnd == 32768 && s->out_streams == 10 && s->in_streams == 2048;
	bool cookie = s->chunk_type == 10 && s->chunk_len == 8 && p->payload_len == 8;
	if (ttl_ok && (init || cookie))
		a[V_NMAP]++;
}

void attribute_note(struct track_entry *e, const struct sw_event *ev)
{
	const struct sw_packet *p = ev->pkt;
	uint32_t *a = e->attr;
	if (ev->type == EV_OUTCOME) {
		/* a connect() scan that resets each open port right after the handshake
		 * (SO_LINGER 0): how nmap -sT closes, where ordinary clients send FIN */
		if (ev->outcome == OUT_EMPTY && p && (p->tcp_flags & TCP_RST))
			a[V_LAST] += 1u << LINGER0_SHIFT;
		return;
	}
	if (!p || ev->repeat || p->l3 == PKT_L3_ARP)
		return;
	bool v4 = p->l3 == PKT_L3_IPV4;
	bool l4 = (p->flags & PKT_F_HAS_L4) != 0;
	bool ttl_var = nmap_ttl(p, a[V_LAST]);
	a[V_TOTAL]++;
	if (v4 && p->ip_id == 54321)
		a[V_ZMAP]++;
	if (p->proto == 6 && l4) {
		const struct pkt_tcp_opts *o = &p->tcp_opts;
		bool mss_only = o->count == 1 && o->has_mss;
		bool syn = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
		/* masscan and zmap send TTL / hop limit 255; nmap's IPv4 TTL is 37..59 and
		 * its IPv6 hop limit is 255 as well, so the window and options decide */
		bool ttl255 = p->ttl > 192;
		bool nmap_shape = nmap_window(p->tcp_window) &&
		                  (syn ? mss_only && o->mss == 1460 : o->count == 0);
		if (o->has_ts && o->ts_val == 0xffffffffu)
			a[V_NMAP] += 2; /* nmap -O's probes all carry TSval 0xFFFFFFFF */
		else if (nmap_shape && (v4 ? !ttl255 : true) &&
		         !(p->tcp_window == 1024 && o->count == 0 && ttl255))
			a[V_NMAP]++;
		else if (p->tcp_window == 1024 && o->count == 0 && ttl255)
			a[V_MASSCAN]++;
		else if (p->tcp_window == 512 && o->count == 0 && p->ttl <= 64 && p->ttl > 32)
			a[V_HPING3]++;
		if (o->count == 0 && a[V_TOTAL] > 1 && p->sport == (uint16_t)(a[V_LASTSP] + 1))
			a[V_SEQSP]++;
		a[V_LASTSP] = p->sport;
	} else if ((p->proto == 1 || p->proto == 58) && l4) {
		/* nmap's echo requests carry no data (IPv4 TTL 37..59, IPv6 hop limit
		 * 255); hping3's neither, but its TTL is 64 and its sequence counts up */
		if (p->payload_len == 0 && (v4 ? p->ttl >= 37 && p->ttl <= 59 : p->ttl == 255))
			a[V_NMAP]++;
		else if (p->payload_len == 0 && p->ttl == 64 &&
		         p->icmp_seq == (uint16_t)(a[V_LASTSP] + 256))
			a[V_HPING3]++;
		a[V_LASTSP] = p->icmp_seq;
	} else if (p->proto == 17 && l4) {
		if (ttl_var || (v4 && p->ttl >= 37 && p->ttl <= 59 && a[V_NMAP]))
			a[V_NMAP]++;
		if (a[V_TOTAL] > 1 && p->sport == (uint16_t)(a[V_LASTSP] + 1))
			a[V_SEQSP]++;
		a[V_LASTSP] = p->sport;
	} else if (p->proto == 132 && l4) {
		attribute_sctp(a, p);
	} else if (!l4 && ttl_var) {
		a[V_NMAP]++; /* nmap -sO: bare protocol headers, TTL redrawn per probe */
	} else if (!l4 && v4 && p->ttl >= 37 && p->ttl <= 59 && a[V_NMAP]) {
		a[V_NMAP]++;
	}
	a[V_LAST] = (a[V_LAST] & ~0xffu) | p->ttl;
}

bool attribute_port_scanner(const struct track_entry *e)
{
	const uint32_t *a = e->attr;
	return a[V_TOTAL] && (a[V_MASSCAN] * 2 > a[V_TOTAL] || a[V_ZMAP] * 2 > a[V_TOTAL]);
}

void attribute_verdict(const struct track_entry *e, char *tool, size_t toollen,
                       struct sw_detection *rec)
{
	static const char *const names[] = {"nmap", "masscan", "zmap", "hping3"};
	static const char *const why[] = {
	    "window 1024-4096, MSS-only SYN options, randomised TTL",
	    "window 1024 without options, TTL 255",
	    "IP identification 54321 on every probe",
	    "window 512 without options, source port counting up",
	};
	const uint32_t *a = e->attr;
	uint32_t total = a[V_TOTAL];
	int best = -1;
	uint32_t votes[4] = {a[V_NMAP], a[V_MASSCAN], a[V_ZMAP], a[V_HPING3]};
	/* hping3's counting source port is a stronger tell than its window */
	if (total > 2 && a[V_SEQSP] * 2 >= total)
		votes[V_HPING3] += a[V_SEQSP];
	for (int i = 0; i < 4; i++)
		if (votes[i] * 2 > total && (best < 0 || votes[i] > votes[best]))
			best = i;
	uint32_t linger0 = a[V_LAST] >> LINGER0_SHIFT;
	struct strbuf t;
	strbuf_init(&t, tool, toollen);
	if (best < 0 && linger0 > 0 && e->crafted == 0) {
		strbuf_puts(&t, "nmap");
		detection_reason(rec, "tool", linger0,
		                 "tool nmap: connect() scan resetting %" PRIu32
		                 " open port(s) right after the handshake, as nmap -sT does (its "
		                 "SYNs are the kernel's)",
		                 linger0);
		return;
	}
	if (best < 0) {
		strbuf_puts(&t, "unknown");
		return;
	}
	strbuf_puts(&t, names[best]);
	detection_reason(rec, "tool", votes[best] > total ? total : votes[best],
	                 "tool %s: %s (%" PRIu32 " of %" PRIu32 " probes)", names[best], why[best],
	                 votes[best] > total ? total : votes[best], total);
}
