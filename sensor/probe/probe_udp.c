/* probe_udp.c — -sU UDP scan: an empty datagram, or a DNS query to port 53 as nmap sends. */
#include <netinet/in.h>

#include "scanwatch/probe.h"

/* nmap's UDP payload for 53: a DNS server status request (RFC 1035 header, opcode 2, no
 * questions), so a real server answers and the port reads open. */
static const uint8_t dns_status[12] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static int udp_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	uint64_t h = rng_mix(env->key, t->index, t->port);
	*s = (struct build_spec){
	    .src = env->src,
	    .dst = t->dst,
	    .proto = IPPROTO_UDP,
	    .ttl = (uint8_t)(37 + env->key % 27),
	    .ip_id = (uint16_t)h,
	    .sport = env->sport,
	    .dport = t->port,
	};
	if (t->port == 53) {
		s->payload = dns_status;
		s->paylen = sizeof dns_status;
	}
	return 0;
}

static enum probe_state udp_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (r->proto == IPPROTO_UDP)
		return (r->sport == s->dport && r->dport == s->sport) ? PS_OPEN : PS_NONE;
	/* RFC 1122 3.2.2.1 / RFC 4443 3.1: port unreachable means nothing listens. */
	if (r->proto == IPPROTO_ICMP && r->icmp_type == 3)
		return r->icmp_code == 3 ? PS_CLOSED : PS_FILTERED;
	if (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1)
		return r->icmp_code == 4 ? PS_CLOSED : PS_FILTERED;
	return PS_NONE;
}

const struct probe_module probe_udp = {
    .name = "udp",
    .flag = "-sU",
    .kind = "udp_scan",
    .axis = PA_PORTS,
    .udp_ports = true,
    .extra_retries = 1,
    .silence = PS_OPEN_FILTERED,
    .make = udp_make,
    .classify = udp_classify,
};
