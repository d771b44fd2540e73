/* probe_syn.c — -sS half-open SYN scan, and the TCP probe helpers every TCP module shares. */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* nmap's SYN scan sends a single MSS option (kind 2, length 4, 1460). */
static const uint8_t probe_syn_opts[4] = {2, 4, 0x05, 0xb4};

static uint64_t addr_key(const struct sw_addr *a)
{
	uint64_t h = 0;
	for (int i = 0; i < 16; i++)
		h = h * 131 + a->a[i];
	return h;
}

void probe_tcp_base(const struct probe_env *env, const struct probe_target *t, uint8_t flags,
                    struct build_spec *s)
{
	uint64_t h = rng_mix(env->key, addr_key(&t->dst), t->port);
	*s = (struct build_spec){
	    .src = env->src,
	    .dst = t->dst,
	    .proto = IPPROTO_TCP,
	    /* A raw-packet scanner picks one TTL per run, as nmap does (37..63 here). */
	    .ttl = (uint8_t)(37 + env->key % 27),
	    .ip_id = (uint16_t)(h >> 48),
	    .sport = env->sport,
	    .dport = t->port,
	    .seq = (uint32_t)h, /* the cookie replies must acknowledge (zmap validation) */
	    .ack = (flags & TCP_ACK) ? (uint32_t)(h >> 32) : 0,
	    .flags = flags,
	    .win = 1024, /* nmap's raw TCP probes advertise 1024 */
	};
	if (flags & TCP_SYN) {
		s->opts = probe_syn_opts;
		s->optlen = sizeof probe_syn_opts;
	}
}

bool probe_tcp_matches(const struct build_spec *s, const struct parse_view *r)
{
	if (r->proto != IPPROTO_TCP || r->sport != s->dport || r->dport != s->sport)
		return false;
	if (r->flags & TCP_RST) {
		/* RFC 9293 3.10.7.1: a reset takes its seq from our ACK field if we sent one,
		 * otherwise it acknowledges our sequence number plus the segment length. */
		if (s->flags & TCP_ACK)
			return r->seq == s->ack;
		uint32_t len = (s->flags & TCP_SYN ? 1u : 0u) + (s->flags & TCP_FIN ? 1u : 0u);
		return (r->flags & TCP_ACK) && r->ack == s->seq + len;
	}
	if ((r->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return (s->flags & TCP_SYN) && r->ack == s->seq + 1;
	return false;
}

static int syn_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_SYN, s);
	return 0;
}

static bool unreachable(const struct parse_view *r)
{
	/* RFC 792 type 3 / RFC 4443 type 1: a firewall or router said no. */
	return (r->proto == IPPROTO_ICMP && r->icmp_type == 3) ||
	       (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1);
}

static enum probe_state syn_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (unreachable(r))
		return PS_FILTERED;
	if (!probe_tcp_matches(s, r))
		return PS_NONE;
	return (r->flags & TCP_RST) ? PS_CLOSED : PS_OPEN;
}

const struct probe_module probe_syn = {
    .name = "syn",
    .flag = "-sS",
    .kind = "syn_scan",
    .axis = PA_PORTS,
    .silence = PS_FILTERED,
    .make = syn_make,
    .classify = syn_classify,
};
