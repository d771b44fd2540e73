/* detect_trw.c — Threshold Random Walk: sequential hypothesis test over first-contact outcomes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scanwatch/detect.h"
#include "scanwatch/track.h"

/*
 * Jung, Paxson, Berger, Balakrishnan, "Fast Portscan Detection Using
 * Sequential Hypothesis Testing", IEEE S&P 2004. Each first contact of a
 * source with a (target, port) ends in success (handshake used, echo or
 * datagram answered) or failure (refused, unreachable, unanswered). Under H0
 * (benign) success has probability theta0, under H1 (scanner) theta1. The
 * walk adds ln(theta1/theta0) per success and ln((1-theta1)/(1-theta0)) per
 * failure; crossing ln(beta/alpha) accepts H1 (score 1, the rule's threshold
 * is 1), crossing ln((1-beta)/(1-alpha)) accepts H0 and restarts the walk.
 * With the paper's defaults four failures in a row decide.
 *
 * Accepting H0 does not restart the walk at zero, as a fresh walk after each
 * decision would: a peer-to-peer client or a resolver whose contacts mostly
 * succeed would then be one unlucky run of four failures from an alarm, again
 * and again. The walk is held at ln((1-beta)/(1-alpha)) instead, where a source
 * that has shown itself benign must fail about twice as many net first
 * contacts (seven with the defaults) before it is called a scanner.
 *
 * Jung et al. step the walk on a source's first contact with each host; this walk steps on
 * each (host, port) pair, so that a slow vertical connect scan is seen too. Two kinds of
 * failure on a host already contacted are still not first contacts in their sense, and do
 * not step (track_host_excuses):
 *  - another port of a host known to be down (an echo request to it went unanswered) that
 *    has never answered anything (no echo, refusal, SYN/ACK): a monitor's host check found
 *    it down, and its first failure was counted, if that was not the ping (below). A scanner
 *    that pings leaves the hosts that are down alone; ports of a host never pinged all step;
 *  - the first two failed ports of a host that answered the source (an echo, a service): a
 *    server with a service or two stopped.
 * Nor does an ordinary echo request (ping's, with data) that goes unanswered: many hosts drop
 * pings (a Windows host's firewall does by default), a monitor's host checks meet hosts that
 * are down (Nagios 4 whose first four hosts were down was called a sweep so), and an ordinary
 * ping sweep is the icmp_sweep rule's, which weighs silence against answers. It marks the host
 * down. A scanner's hand-built echo request (nmap's, without data) still steps.
 * A monitor checks each host's services in turn: real Nagios 4 checking five services on
 * fifteen hosts, four of them down (20 failed pairs), one service stopped on the other eleven,
 * crossed within 31 s with a step per pair. A vertical scan still steps on every port past
 * the second of a host that answers, and on every port of a host that refuses or was never
 * pinged.
 *
 * Nor does the walk forget what it met when its window restarts (detector.remembers): a
 * monitor's checks come round again and again, and a walk that forgot every hour would take the
 * next round's checks for first contacts, its failures first as likely as not. The pair set,
 * host facts included, stays until it is worn (track_pairs_worn: a busy client's).
 *
 * Nor does a walk cross while its failures are scattered over the Internet (track.h,
 * TRACK_SPREAD_NETS): a peer-to-peer client working through a stale host cache fails
 * most of its first contacts, at peers that share nothing but the port (Jung et al.
 * name peer-to-peer among their benign sources of failures); a scan of a site stays in
 * the site's networks, and hand-built probes are never scattered.
 */
enum { P_THETA0, P_THETA1, P_ALPHA, P_BETA };
static const char *const trw_param_names[] = {"theta0", "theta1", "alpha", "beta"};
static const double trw_param_defaults[] = {0.8, 0.2, 0.01, 0.99};

/* What this detector keeps in a tracking entry (track.h, TRACK_STATE): the walk's
 * log-likelihood ratio, and the failures by probe family, for the kind. */
enum { F_SYN_CRAFTED, F_SYN_KERNEL, F_UDP, F_ECHO, F__COUNT };
struct trw_state {
	double llr;
	uint32_t failures[F__COUNT];
};
TRACK_STATE_FITS(struct trw_state);

static bool is_failure(uint8_t o)
{
	return o == OUT_REFUSED || o == OUT_UNREACH || o == OUT_TIMEOUT || o == OUT_HALFOPEN;
}

/* The walk's steps and bounds: four logarithms, the same for every event of a rule.
 * The last rule's are kept, checked against its parameters (a reloaded rule set may
 * put other parameters at the same address); the engine is single-threaded. */
struct walk {
	const struct sw_rule *r;
	double p[4];
	double up, down, eta1, eta0;
};

static const struct walk *walk_of(const struct sw_rule *r)
{
	static struct walk w;
	if (w.r == r && memcmp(w.p, r->params, sizeof w.p) == 0)
		return &w;
	double t0 = r->params[P_THETA0], t1 = r->params[P_THETA1];
	w.r = r;
	memcpy(w.p, r->params, sizeof w.p);
	w.up = log((1.0 - t1) / (1.0 - t0));
	w.down = log(t1 / t0);
	w.eta1 = log(r->params[P_BETA] / r->params[P_ALPHA]);
	w.eta0 = log((1.0 - r->params[P_BETA]) / (1.0 - r->params[P_ALPHA]));
	return &w;
}

static bool trw_event(const struct sw_rule *r, struct track_entry *e, const struct sw_event *ev)
{
	if (ev->type == EV_PROBE)
		return true;
	bool fail = is_failure(ev->outcome);
	if (!fail && ev->outcome != OUT_SUCCESS && ev->outcome != OUT_EMPTY)
		return true;
	/*
	 * An unanswered datagram is no evidence either way: much of UDP never answers
	 * (syslog, NetFlow, SNMP traps, RTP one way, a SIP request to a dead proxy), a
	 * browser whose QUIC is blocked sends Initials to one address after another
	 * (RFC 9000 section 6.2: it falls back to TCP), and a capture of one direction
	 * sees no answer to anything. Only a refusal (ICMP port unreachable) counts as a
	 * UDP failure here; silent UDP scans are the port- and host-count rules' work.
	 * (Found on third-party captures: a QUIC client's 11 Initials to 7 Google
	 * addresses, and a SIP phone's DNS, DHCP and SIP retries, each called a scan.)
	 */
	if (fail && ev->pclass == PC_UDP && ev->outcome == OUT_TIMEOUT)
		return true;
	/* what the outcome says of the host, from every outcome: the pair set is a bitmap
	 * past 32 members, and a first outcome taken for a repeat (one time in ten at a
	 * hundred members) must not lose it */
	bool host_new = track_host_add(e, &ev->dst, TRACK_HOST_SEEN);
	bool silent = ev->outcome == OUT_TIMEOUT || ev->outcome == OUT_UNREACH;
	if (!silent)
		track_host_add(e, &ev->dst, TRACK_HOST_ALIVE);
	if (!fail)
		track_host_add(e, &ev->dst, TRACK_HOST_ANSWERED);
	else if (silent && ev->pclass == PC_ICMP_ECHO)
		track_host_add(e, &ev->dst, TRACK_HOST_DOWN);
	/* only the first outcome per (target, port) steps the walk */
	if (!track_pair_add(e, &ev->dst, ev->pclass == PC_ICMP_ECHO ? 0 : ev->port))
		return true;
	if (fail && ((ev->pclass == PC_ICMP_ECHO && !ev->crafted) ||
	             (!host_new && track_host_excuses(e, e, &ev->dst, silent))))
		return true;
	const struct walk *w = walk_of(r);
	double up = w->up, down = w->down, eta1 = w->eta1, eta0 = w->eta0;
	struct trw_state *st = TRACK_STATE(e, struct trw_state);
	if (fail) {
		st->llr += up;
		if (ev->pclass == PC_TCP_SYN)
			st->failures[ev->crafted ? F_SYN_CRAFTED : F_SYN_KERNEL]++;
		else if (ev->pclass == PC_UDP)
			st->failures[F_UDP]++;
		else if (ev->pclass == PC_ICMP_ECHO)
			st->failures[F_ECHO]++;
	} else {
		st->llr += down;
	}
	if (st->llr >= eta1)
		e->score = 1;
	else if (st->llr <= eta0 && !e->det_seq)
		st->llr = eta0; /* accepted benign: the walk stays there (see below) */
	return true;
}

static bool trw_crossed(const struct sw_rule *r, const struct track_entry *e)
{
	return e->score >= r->threshold && !track_spread_scattered(e);
}

static enum sw_kind trw_kind(const struct sw_rule *r, const struct track_entry *e)
{
	(void)r;
	const uint32_t *n = TRACK_CSTATE(e, struct trw_state)->failures;
	uint32_t best = F_SYN_KERNEL;
	for (uint32_t i = F_SYN_CRAFTED; i < F__COUNT; i++)
		if (n[i] > n[best])
			best = i;
	switch (best) {
	case F_SYN_CRAFTED:
		return detect_syn_kind(e);
	case F_UDP:
		return detect_udp_kind(e);
	case F_ECHO:
		return KIND_ICMP_SWEEP;
	default:
		return KIND_CONNECT_SCAN;
	}
}

static void trw_describe(const struct sw_rule *r, const struct track_entry *e,
                         struct sw_detection *rec)
{
	(void)r;
	detection_reason(rec, "sequential_test", 0, "sequential test: log-likelihood ratio %.2f",
	                 TRACK_CSTATE(e, struct trw_state)->llr);
}

/* One service is one (target, port) pair: one step of the walk, which crosses only
 * when a single failure's step reaches ln(beta/alpha). */
static bool trw_one_service(const struct sw_rule *r)
{
	const struct walk *w = walk_of(r);
	return w->up >= w->eta1;
}

const struct detector detect_trw = {
    .name = "trw",
    .probes_belong = true,
    .summary =
        "Threshold Random Walk sequential test over first-contact outcomes (Jung et al. 2004)",
    .classes = 1u << PC_TCP_SYN | 1u << PC_UDP | 1u << PC_ICMP_ECHO,
    .default_group = GROUP_SRC,
    .outcomes = true,
    .spread = true,
    .remembers = true,
    .nparams = 4,
    .param_names = trw_param_names,
    .param_defaults = trw_param_defaults,
    .on_event = trw_event,
    .crossed = trw_crossed,
    .kind = trw_kind,
    .describe = trw_describe,
    .one_service = trw_one_service,
};
