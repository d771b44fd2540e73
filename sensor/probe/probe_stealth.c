/* probe_stealth.c — TCP scans without a SYN: -sF -sN -sX -sM (RFC 9293 3.10.7.1 probing), -sA -sW.
 */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

static bool unreachable(const struct parse_view *r)
{
	return (r->proto == IPPROTO_ICMP && r->icmp_type == 3) ||
	       (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1);
}

static int fin_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_FIN, s);
	return 0;
}

static int null_make(const struct probe_env *env, const struct probe_target *t,
                     struct build_spec *s)
{
	probe_tcp_base(env, t, 0, s);
	return 0;
}

static int xmas_make(const struct probe_env *env, const struct probe_target *t,
                     struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_FIN | TCP_PSH | TCP_URG, s);
	return 0;
}

static int maimon_make(const struct probe_env *env, const struct probe_target *t,
                       struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_FIN | TCP_ACK, s);
	return 0;
}

static int ack_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_ACK, s);
	return 0;
}

/*
 * RFC 9293: a closed port answers any segment without RST by a RST; an open (LISTEN) port
 * silently drops one without SYN, ACK or RST. So a RST means closed, silence open|filtered.
 */
static enum probe_state noack_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (unreachable(r))
		return PS_FILTERED;
	if (!probe_tcp_matches(s, r) || !(r->flags & TCP_RST))
		return PS_NONE;
	return PS_CLOSED;
}

/* ACK scan: any RST proves the packet reached the host unfiltered; it says nothing of state. */
static enum probe_state ack_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (unreachable(r))
		return PS_FILTERED;
	if (!probe_tcp_matches(s, r) || !(r->flags & TCP_RST))
		return PS_NONE;
	return PS_UNFILTERED;
}

/* Window scan: some stacks put a non-zero window in RSTs from open ports (nmap -sW).
 * Linux always sends window 0, so against Linux every answered port reads closed. */
static enum probe_state window_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (unreachable(r))
		return PS_FILTERED;
	if (!probe_tcp_matches(s, r) || !(r->flags & TCP_RST))
		return PS_NONE;
	return r->win ? PS_OPEN : PS_CLOSED;
}

const struct probe_module probe_fin = {
    .name = "fin",
    .flag = "-sF",
    .kind = "fin_scan",
    .axis = PA_PORTS,
    .silence = PS_OPEN_FILTERED,
    .make = fin_make,
    .classify = noack_classify,
};

const struct probe_module probe_null = {
    .name = "null",
    .flag = "-sN",
    .kind = "null_scan",
    .axis = PA_PORTS,
    .silence = PS_OPEN_FILTERED,
    .make = null_make,
    .classify = noack_classify,
};

const struct probe_module probe_xmas = {
    .name = "xmas",
    .flag = "-sX",
    .kind = "xmas_scan",
    .axis = PA_PORTS,
    .silence = PS_OPEN_FILTERED,
    .make = xmas_make,
    .classify = noack_classify,
};

/* Maimon (FIN/ACK): BSD stacks drop it on open ports; Linux resets it like any stray ACK. */
const struct probe_module probe_maimon = {
    .name = "maimon",
    .flag = "-sM",
    .kind = "maimon_scan",
    .axis = PA_PORTS,
    .silence = PS_OPEN_FILTERED,
    .make = maimon_make,
    .classify = noack_classify,
};

const struct probe_module probe_ack = {
    .name = "ack",
    .flag = "-sA",
    .kind = "ack_scan",
    .axis = PA_PORTS,
    .silence = PS_FILTERED,
    .make = ack_make,
    .classify = ack_classify,
};

/* On the wire a window scan is an ACK scan, so a sensor may fairly call it either. */
const struct probe_module probe_window = {
    .name = "window",
    .flag = "-sW",
    .kind = "window_scan",
    .kind_alt = "ack_scan",
    .axis = PA_PORTS,
    .silence = PS_FILTERED,
    .make = ack_make,
    .classify = window_classify,
};
