/* detect_arp.c — ARP sweeps: one sender asking for many addresses that do not answer. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Score: targets asked for and not (yet) answered. Each new target counts
 * when asked; an answer takes it back. A host resolving its gateway and a
 * few peers before talking to them gets answers within milliseconds and
 * never holds more than one or two outstanding; a sweep of a subnet asks for
 * dozens of addresses, most of them empty, within a second.
 * aux[A_USED]: targets the asker then sent ordinary traffic to (OUT_USED):
 * the kernel resolving a server before connecting to it, not a sweep.
 */
enum { A_USED };

static bool arp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (!ev->repeat && track_pair_add(e, &ev->dst, 0))
			e->score++;
		return true;
	}
	/*
	 * IPv6: a host solicits a neighbour only to send it what it has queued
	 * (RFC 4861 7.2.2), so a solicitation counts until the asker's traffic to
	 * the address follows (OUT_USED), answered or not. nmap -6 -sn on a LAN
	 * asks and sends nothing after the advertisement: eight addresses swept
	 * stay eight, where a client opening connections to twelve neighbours
	 * holds no more outstanding than it opens at once.
	 */
	bool v6 = !addr_is_v4(&ev->dst);
	if (ev->outcome == (v6 ? OUT_USED : OUT_SUCCESS) && e->score > 0 && !e->det_seq)
		e->score--;
	if (ev->outcome == OUT_USED)
		e->aux[A_USED]++;
	return true;
}

/* Or many targets asked for and not then talked to: a sweep of a LAN whose hosts are all
 * up is answered every time, and still asks for more addresses in seconds than a host
 * resolves in hours; a client that fans out to forty servers talks to each it resolved. */
static bool arp_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	uint64_t asked = track_distinct_targets(e);
	uint64_t used = e->aux[A_USED] < asked ? e->aux[A_USED] : asked;
	return e->score >= r->threshold || asked - used >= 3ULL * r->threshold;
}

/* A sweep by neighbour solicitation is ICMPv6 on the wire (nmap -6 -sn on a LAN): reported as
 * the ICMPv6 host sweep it is, the same kind as nmap -6 -sn beyond the LAN. */
static enum sw_kind arp_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	return addr_is_v4(&e->target) ? KIND_ARP_SWEEP : KIND_ICMP_SWEEP;
}

const struct detector detect_arp = {
    .name = "arp_sweep",
    .probes_belong = true,
    .summary = "ARP who-has sweeps of a LAN",
    .classes = 1u << PC_ARP,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .on_event = arp_event,
    .crossed = arp_crossed,
    .kind = arp_kind,
};
