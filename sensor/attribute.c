/* attribute.c — tool fingerprints: nmap, masscan, zmap and hping3 each build probes their own way.
 */
#include "scanwatch/attribute.h"

#include <stdio.h>
#include <string.h>

#include "scanwatch/track.h"

/*
 * What each tool's hand-built probes look like (read off captures of the
 * Debian packages: nmap 7.93, masscan 1.3.2, zmap 2.1.1, hping3 3.0.0-alpha-2;
 * the sources agree):
 *  nmap     TCP window 1024/2048/3072/4096; SYN options exactly MSS 1460;
 *           IPv4 TTL drawn from 37..59 per probe; one source port and one
 *           sequence number shared by the probes of a round; ICMP echo
 *           without payload.
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
	V_TOTAL,   /* probes looked at */
	V_LASTSP,  /* previous source port */
	V_SEQSP,   /* probes whose source port was the previous plus one */
	V_LASTSEQ, /* previous TCP sequence number */
};

static bool nmap_window(uint16_t w)
{
	return w == 1024 || w == 2048 || w == 3072 || w == 4096;
}

void attribute_note(struct track_entry *e, const struct sw_event *ev)
{
	const struct sw_packet *p = ev->pkt;
	if (!p || ev->repeat || p->l3 == PKT_L3_ARP)
		return;
	uint32_t *a = e->attr;
	bool v4 = p->l3 == PKT_L3_IPV4;
	a[V_TOTAL]++;
	if (v4 && p->ip_id == 54321)
		a[V_ZMAP]++;
	if (p->proto == 6 && (p->flags & PKT_F_HAS_L4)) {
		const struct pkt_tcp_opts *o = &p->tcp_opts;
		bool mss_only = o->count == 1 && o->has_mss;
		bool syn = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
		bool ttl255 = v4 ? p->ttl > 192 : p->ttl > 192;
		if (nmap_window(p->tcp_window) &&
		    (syn ? mss_only && o->mss == 1460 : o->count == 0) && !ttl255)
			a[V_NMAP]++;
		else if (p->tcp_window == 1024 && o->count == 0 && ttl255)
			a[V_MASSCAN]++;
		else if (p->tcp_window == 512 && o->count == 0 && p->ttl <= 64 && p->ttl > 32)
			a[V_HPING3]++;
		if (a[V_TOTAL] > 1 && p->sport == (uint16_t)(a[V_LASTSP] + 1))
			a[V_SEQSP]++;
		a[V_LASTSP] = p->sport;
		a[V_LASTSEQ] = p->tcp_seq;
	} else if ((p->proto == 1 || p->proto == 58) && (p->flags & PKT_F_HAS_L4)) {
		/* nmap's echo requests carry no data; hping3's neither, but its id is
		 * its pid and its sequence counts up */
		if (p->payload_len == 0 && p->ttl < 64 && p->ttl >= 37)
			a[V_NMAP]++;
		else if (p->payload_len == 0 && p->ttl == 64 &&
		         p->icmp_seq == (uint16_t)(a[V_LASTSP] + 256))
			a[V_HPING3]++;
		a[V_LASTSP] = p->icmp_seq;
	} else if (p->proto == 17 && (p->flags & PKT_F_HAS_L4)) {
		if (p->ttl >= 37 && p->ttl <= 59)
			a[V_NMAP]++;
		if (a[V_TOTAL] > 1 && p->sport == (uint16_t)(a[V_LASTSP] + 1))
			a[V_SEQSP]++;
		a[V_LASTSP] = p->sport;
	}
}

void attribute_verdict(const struct track_entry *e, char *tool, size_t toollen, char *evidence,
                       size_t evlen)
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
	if (best < 0) {
		snprintf(tool, toollen, "unknown");
		return;
	}
	snprintf(tool, toollen, "%s", names[best]);
	if (evlen > 0)
		snprintf(evidence, evlen, "; tool %s: %s (%u of %u probes)", names[best], why[best],
		         votes[best] > total ? total : votes[best], total);
}
