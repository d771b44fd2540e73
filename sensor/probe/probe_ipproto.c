/* probe_ipproto.c — -sO IP protocol scan: one packet per protocol number, nmap style. */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* Port nmap's -sO aims its UDP probe at (unlikely to be open, so the host answers port
 * unreachable, which proves UDP is spoken). */
#define IPPROTO_UDP_PROBE_PORT 40125

static int ipproto_make(const struct probe_env *env, const struct probe_target *t,
                        struct build_spec *s)
{
	uint8_t proto = (uint8_t)t->port;
	bool v6 = !addr_is_v4(&t->dst);
	struct probe_target tt = *t;
	/* Like nmap, speak the protocol where we know it so the host's answer is a real one. */
	if (proto == IPPROTO_TCP) {
		tt.port = 80;
		probe_tcp_base(env, &tt, TCP_ACK, s);
		return 0;
	}
	uint64_t h = rng_mix(env->key, t->index, proto);
	*s = (struct build_spec){
	    .src = env->src,
	    .dst = t->dst,
	    .proto = proto,
	    .ttl = (uint8_t)(37 + env->key % 27),
	    .ip_id = (uint16_t)h,
	};
	if (proto == IPPROTO_UDP) {
		s->sport = env->sport;
		s->dport = IPPROTO_UDP_PROBE_PORT;
	} else if ((proto == IPPROTO_ICMP && !v6) || (proto == IPPROTO_ICMPV6 && v6)) {
		s->icmp_type = v6 ? 128 : 8; /* echo request */
		s->icmp_id = env->sport;
		s->icmp_seq = (uint16_t)h;
	}
	return 0;
}

static enum probe_state ipproto_classify(const struct build_spec *s, const struct parse_view *r)
{
	bool icmp_err = (r->proto == IPPROTO_ICMP && r->icmp_type == 3) ||
	                (r->proto == IPPROTO_ICMPV6 && (r->icmp_type == 1 || r->icmp_type == 4));
	if (icmp_err) {
		if (!r->has_quote || r->q_proto != s->proto)
			return PS_NONE;
		/* Protocol unreachable (RFC 792 code 2; RFC 8200 4: parameter problem code 1,
		 * unrecognized next header) is the "closed" answer. Port unreachable proves the
		 * protocol is spoken. */
		if ((r->proto == IPPROTO_ICMP && r->icmp_code == 2) ||
		    (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 4 && r->icmp_code == 1))
			return PS_CLOSED;
		if ((r->proto == IPPROTO_ICMP && r->icmp_code == 3) ||
		    (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1 && r->icmp_code == 4))
			return PS_OPEN;
		return PS_FILTERED;
	}
	return r->proto == s->proto ? PS_OPEN : PS_NONE;
}

const struct probe_module probe_ipproto = {
    .name = "ipproto",
    .flag = "-sO",
    .kind = "ip_proto_scan",
    .axis = PA_PROTOS,
    .silence = PS_OPEN_FILTERED,
    .make = ipproto_make,
    .classify = ipproto_classify,
};
