/* probe.c — the registry of scanprobe's probe modules and what they share (reply matching). */
#include <netinet/in.h>
#include <string.h>

#include "scanwatch/probe.h"

/* Every probe kind, one line each (zmap probe_modules style); NULL-terminated. */
static const struct probe_module *const probe_modules[] = {
    &probe_syn,       &probe_connect,   &probe_fin,
    &probe_null,      &probe_xmas,      &probe_maimon,
    &probe_ack,       &probe_window,    &probe_udp,
    &probe_ipproto,   &probe_ping_echo, &probe_ping_ts,
    &probe_ping_syn,  &probe_ping_ack,  &probe_ping_arp,
    &probe_flood_syn, &probe_flood_rst, NULL,
};

const struct probe_module *probe_find_flag(const char *flag)
{
	for (size_t i = 0; probe_modules[i]; i++) {
		if (strcmp(probe_modules[i]->flag, flag) == 0)
			return probe_modules[i];
	}
	return NULL;
}

const char *probe_state_name(enum probe_state s)
{
	switch (s) {
	case PS_OPEN:
		return "open";
	case PS_CLOSED:
		return "closed";
	case PS_FILTERED:
		return "filtered";
	case PS_OPEN_FILTERED:
		return "open|filtered";
	case PS_UNFILTERED:
		return "unfiltered";
	case PS_UP:
		return "up";
	case PS_DOWN:
		return "down";
	case PS_NONE:
		break;
	}
	return "unknown";
}

static bool is_icmp_error(const struct parse_view *r)
{
	if (r->proto == IPPROTO_ICMP)
		return r->icmp_type == 3;
	if (r->proto == IPPROTO_ICMPV6)
		return r->icmp_type == 1 || r->icmp_type == 4; /* unreachable, parameter problem */
	return false;
}

bool probe_reply_key(const struct probe_module *m, const struct probe_env *env,
                     const struct parse_view *r, struct sw_addr *host, uint16_t *port)
{
	if (m->arp) {
		if (r->proto != 0 || r->arp_op != 2)
			return false;
		*host = r->arp_spa;
		*port = 0;
		return true;
	}
	if (!addr_eq(&r->dst, &env->src))
		return false;
	if (is_icmp_error(r)) {
		if (!r->has_quote || !addr_eq(&r->q_src, &env->src))
			return false;
		bool l4 = r->q_proto == IPPROTO_TCP || r->q_proto == IPPROTO_UDP;
		if (l4 && r->q_sport != env->sport)
			return false;
		*host = r->q_dst;
		if (m->axis == PA_PROTOS)
			*port = r->q_proto;
		else if (m->axis == PA_PORTS)
			*port = r->q_dport;
		else
			*port = 0;
		return m->axis != PA_PORTS || l4;
	}
	*host = r->src;
	if (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) {
		if (r->dport != env->sport)
			return false;
		*port = m->axis == PA_PORTS ? r->sport : m->axis == PA_PROTOS ? r->proto : 0;
		return true;
	}
	if (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6) {
		/* Echo / timestamp replies carry our identifier back (RFC 792, RFC 4443). */
		if (r->icmp_id != env->sport)
			return false;
		*port = m->axis == PA_PROTOS ? r->proto : 0;
		return m->axis != PA_PORTS;
	}
	if (m->axis == PA_PROTOS) {
		*port = r->proto;
		return true;
	}
	return false;
}

int probe_plan_make(const struct probe_plan *plan, const struct probe_env *env, uint64_t idx,
                    struct probe_target *t, struct build_spec *s)
{
	size_t np = plan->ports.n;
	if (plan->mod->flood) {
		targets_get(&plan->hosts, idx % plan->hosts.total, &t->dst);
		t->port = 0;
	} else {
		targets_get(&plan->hosts, idx / np, &t->dst);
		t->port = plan->ports.v[idx % np];
	}
	t->index = idx;
	return plan->mod->make(env, t, s);
}
