/* probe_connect.c — -sT connect() scan: live via the kernel's connect(), simulated in dry runs. */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* Linux's own SYN options (MSS, SACK permitted, timestamps, window scale 7), since the kernel,
 * not scanprobe, builds a connect scan's SYN; the timestamp values are filled per probe. */
static const uint8_t linux_syn_opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                           0, 0, 0,    0,    0, 0, 1, 3,  3, 7};

static int connect_make(const struct probe_env *env, const struct probe_target *t,
                        struct build_spec *s)
{
	probe_tcp_base(env, t, TCP_SYN, s);
	/* A kernel SYN: TTL 64, window 64240, DF, its own options; ephemeral port = env->sport. */
	s->ttl = 64;
	s->win = 64240;
	s->df = true;
	s->opts = linux_syn_opts;
	s->optlen = sizeof linux_syn_opts;
	return 0;
}

static enum probe_state connect_classify(const struct build_spec *s, const struct parse_view *r)
{
	if ((r->proto == IPPROTO_ICMP && r->icmp_type == 3) ||
	    (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1))
		return PS_FILTERED;
	if (!probe_tcp_matches(s, r))
		return PS_NONE;
	return (r->flags & TCP_RST) ? PS_CLOSED : PS_OPEN;
}

const struct probe_module probe_connect = {
    .name = "connect",
    .flag = "-sT",
    .kind = "connect_scan",
    .axis = PA_PORTS,
    .live = PROBE_LIVE_CONNECT,
    .synack = PROBE_SYNACK_CONNECT,
    .silence = PS_FILTERED,
    .make = connect_make,
    .classify = connect_classify,
};
