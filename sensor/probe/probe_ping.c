/* probe_ping.c — -sn host discovery: ICMP echo (-PE), timestamp (-PP), TCP SYN/ACK (-PS/-PA), ARP
 * (-PR). */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* nmap's echo requests carry no data; timestamp requests carry the three 32-bit stamps. */
#define ICMP_TS_LEN 12

static int echo_make(const struct probe_env *env, const struct probe_target *t,
                     struct build_spec *s)
{
	bool v6 = !addr_is_v4(&t->dst);
	*s = (struct build_spec){
	    .src = env->src,
	    .dst = t->dst,
	    .proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
	    .ttl = (uint8_t)(37 + env->key % 27),
	    .ip_id = (uint16_t)rng_mix(env->key, t->index, 1),
	    .icmp_type = v6 ? 128 : 8, /* RFC 4443 4.1 / RFC 792 echo request */
	    .icmp_id = env->sport,     /* replies echo it back: our match key */
	    .icmp_seq = (uint16_t)t->index,
	};
	return 0;
}

static enum probe_state echo_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (r->proto == IPPROTO_ICMP && r->icmp_type == 0 && r->icmp_id == s->icmp_id)
		return PS_UP;
	if (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 129 && r->icmp_id == s->icmp_id)
		return PS_UP;
	return PS_NONE;
}

static int ts_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	static const uint8_t zero_stamps[ICMP_TS_LEN];
	if (!addr_is_v4(&t->dst))
		return -1; /* ICMPv6 has no timestamp message */
	echo_make(env, t, s);
	s->icmp_type = 13; /* RFC 792 timestamp request */
	s->payload = zero_stamps;
	s->paylen = sizeof zero_stamps;
	return 0;
}

static enum probe_state ts_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (r->proto == IPPROTO_ICMP && r->icmp_type == 14 && r->icmp_id == s->icmp_id)
		return PS_UP;
	return PS_NONE;
}

static int tcp_ping(const struct probe_env *env, const struct probe_target *t, uint8_t flags,
                    struct build_spec *s)
{
	struct probe_target tt = *t;
	tt.port = env->ping_port;
	probe_tcp_base(env, &tt, flags, s);
	return 0;
}

static int syn_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	return tcp_ping(env, t, TCP_SYN, s);
}

static int ack_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	return tcp_ping(env, t, TCP_ACK, s);
}

/* Any valid SYN-ACK or RST proves a live host, whatever the port's state. */
static enum probe_state tcp_classify(const struct build_spec *s, const struct parse_view *r)
{
	return probe_tcp_matches(s, r) ? PS_UP : PS_NONE;
}

/* ARP (RFC 826) works on the local link only and has no L3 packet: engines build the frame. */
static int arp_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	if (!addr_is_v4(&t->dst))
		return -1;
	*s = (struct build_spec){.src = env->src, .dst = t->dst};
	return 0;
}

static enum probe_state arp_classify(const struct build_spec *s, const struct parse_view *r)
{
	return (r->arp_op == 2 && addr_eq(&r->arp_spa, &s->dst)) ? PS_UP : PS_NONE;
}

const struct probe_module probe_ping_echo = {
    .name = "ping-echo",
    .flag = "-PE",
    .kind = "icmp_sweep",
    .axis = PA_HOSTS,
    .silence = PS_DOWN,
    .make = echo_make,
    .classify = echo_classify,
};

const struct probe_module probe_ping_ts = {
    .name = "ping-timestamp",
    .flag = "-PP",
    .kind = "icmp_sweep",
    .axis = PA_HOSTS,
    .silence = PS_DOWN,
    .make = ts_make,
    .classify = ts_classify,
};

const struct probe_module probe_ping_syn = {
    .name = "ping-syn",
    .flag = "-PS",
    .flag_port = true,
    .kind = "tcp_sweep",
    .axis = PA_HOSTS,
    .silence = PS_DOWN,
    .make = syn_make,
    .classify = tcp_classify,
};

const struct probe_module probe_ping_ack = {
    .name = "ping-ack",
    .flag = "-PA",
    .flag_port = true,
    .kind = "tcp_sweep",
    .axis = PA_HOSTS,
    .silence = PS_DOWN,
    .make = ack_make,
    .classify = tcp_classify,
};

const struct probe_module probe_ping_arp = {
    .name = "ping-arp",
    .flag = "-PR",
    .kind = "arp_sweep",
    .axis = PA_HOSTS,
    .arp = true,
    .live = PROBE_LIVE_DRY_ONLY,
    .silence = PS_DOWN,
    .make = arp_make,
    .classify = arp_classify,
};
