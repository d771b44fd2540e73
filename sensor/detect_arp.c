/* detect_arp.c — ARP sweeps: one sender asking for many addresses that do not answer. */
#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Score: targets asked for and not (yet) answered. Each new target counts
 * when asked; an answer takes it back. A host resolving its gateway and a
 * few peers before talking to them gets answers within milliseconds and
 * never holds more than one or two outstanding; a sweep of a subnet asks for
 * dozens of addresses, most of them empty, within a second.
 * used: targets the asker then sent ordinary traffic to (OUT_USED):
 * the kernel resolving a server before connecting to it, not a sweep.
 */
/*
 * repeat: requests asking again for an address still unanswered. A sweep (arp-scan,
 * nmap -sn) asks each address once and retries the silent ones only after its pass; a
 * kernel resolving neighbours with traffic queued for them (a gateway re-resolving hosts
 * that left) asks each one again every second (Linux mcast_solicit, three tries per
 * packet it holds). Found on a third-party capture: a home router asking for 8 departed
 * hosts 99 times in a minute, its fifth distinct address on its eighth request.
 */
/* What this detector keeps in a tracking entry besides the engine's counts (track.h,
 * TRACK_STATE). */
struct arp_state {
	uint32_t used;   /* targets then used (OUT_USED) */
	uint32_t repeat; /* requests asking again for an unanswered address */
};
TRACK_STATE_FITS(struct arp_state);

static inline struct arp_state *st_of(struct track_entry *e)
{
	return TRACK_STATE(e, struct arp_state);
}

static inline const struct arp_state *cst_of(const struct track_entry *e)
{
	return TRACK_CSTATE(e, struct arp_state);
}

static bool arp_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	(void)r;
	if (ev->type == EV_PROBE) {
		if (ev->repeat)
			st_of(e)->repeat++;
		else if (track_pair_add(e, &ev->dst, 0))
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
		st_of(e)->used++;
	return true;
}

/* Or many targets asked for and not then talked to: a sweep of a LAN whose hosts are all
 * up is answered every time, and still asks for more addresses in seconds than a host
 * resolves in hours; a client that fans out to forty servers talks to each it resolved. */
static bool arp_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	uint64_t asked = track_distinct_targets(e);
	uint64_t used = cst_of(e)->used < asked ? cst_of(e)->used : asked;
	/* Outstanding addresses: a sweep's, unless asked again as a resolver asks. A sweep
	 * retries the silent addresses after its pass, so when its count crosses it has asked
	 * again for few of them (none, for a pass longer than the threshold); a kernel asks
	 * each again a second later, while new ones trickle in with the traffic for them. */
	bool sweeping = e->score >= r->threshold && 4ULL * cst_of(e)->repeat <= asked;
	return sweeping || asked - used >= 3ULL * r->threshold;
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
