/* results.c — scanprobe's per host/port verdicts and their rendering as a table or as JSON. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/probe.h"

/* JSON lists every (host, port) up to this many probes, only the answered ones beyond, so a
 * benchmark-sized plan does not print gigabytes. */
#define RESULTS_JSON_ALL_MAX 65536
/* The table lists a host's ports individually unless they share its most common state. */

int results_init(struct probe_results *r, const struct probe_plan *plan)
{
	memset(r, 0, sizeof *r);
	r->port_pos = malloc(65536 * sizeof *r->port_pos);
	if (!r->port_pos)
		return -1;
	for (size_t i = 0; i < 65536; i++)
		r->port_pos[i] = -1;
	for (size_t i = 0; i < plan->ports.n; i++)
		r->port_pos[plan->ports.v[i]] = (int32_t)i;
	if (plan->mod->flood)
		return 0;
	r->n = plan->nprobes;
	r->state = calloc(r->n ? r->n : 1, 1);
	if (!r->state) {
		free(r->port_pos);
		r->port_pos = NULL;
		return -1;
	}
	return 0;
}

void results_free(struct probe_results *r)
{
	free(r->state);
	free(r->port_pos);
	memset(r, 0, sizeof *r);
}

void results_set(struct probe_results *r, uint64_t idx, enum probe_state s)
{
	if (idx >= r->n || s == PS_NONE)
		return;
	/* A later answer wins over an earlier one (a retransmission may meet a changed host),
	 * but silence never erases an answer. */
	r->state[idx] = (uint8_t)s;
}

/* Index of (host, port) in the plan, or -1 when the pair is not in it. */
static int64_t results_index(const struct probe_results *r, const struct probe_plan *plan,
                             const struct sw_addr *host, uint16_t port)
{
	int32_t pp = r->port_pos[port];
	if (pp < 0)
		return -1;
	uint64_t base = 0;
	for (size_t i = 0; i < plan->hosts.n; i++) {
		const struct targets_range *g = &plan->hosts.r[i];
		/* host - first, when host lies in [first, first + count). */
		if (memcmp(host->a, g->first.a, 8) == 0 && addr_cmp(host, &g->first) >= 0) {
			uint64_t x = 0, y = 0;
			for (int k = 8; k < 16; k++) {
				x = x << 8 | g->first.a[k];
				y = y << 8 | host->a[k];
			}
			if (y - x < g->count)
				return (int64_t)((base + (y - x)) * plan->ports.n + (uint64_t)pp);
		}
		base += g->count;
	}
	return -1;
}

bool results_observe(struct probe_results *r, const struct probe_plan *plan,
                     const struct probe_env *env, const struct parse_view *v)
{
	struct sw_addr host;
	uint16_t port;
	if (plan->mod->flood || !probe_reply_key(plan->mod, env, v, &host, &port))
		return false;
	int64_t idx = results_index(r, plan, &host, port);
	if (idx < 0)
		return false;
	/* Rebuild the probe this would answer and let the module check the cookie. */
	struct probe_target t;
	struct build_spec spec;
	if (probe_plan_make(plan, env, (uint64_t)idx, &t, &spec) != 0)
		return false;
	enum probe_state st = plan->mod->classify(&spec, v);
	if (st == PS_NONE)
		return false;
	r->received++;
	results_set(r, (uint64_t)idx, st);
	return true;
}

static enum probe_state state_at(const struct probe_plan *plan, const struct probe_results *r,
                                 uint64_t i)
{
	enum probe_state s = (enum probe_state)r->state[i];
	return s == PS_NONE ? plan->mod->silence : s;
}

static const char *proto_of(const struct probe_plan *plan)
{
	if (plan->mod->axis == PA_PROTOS)
		return "ip";
	return plan->mod->udp_ports ? "udp" : "tcp";
}

static void print_summary_json(FILE *f, const struct probe_plan *plan,
                               const struct probe_results *r)
{
	fprintf(f,
	        "\"summary\":{\"probes\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"received\":%" PRIu64
	        ",\"written\":%" PRIu64 ",\"elapsed\":%.6f}",
	        plan->nprobes, r->sent, r->received, r->written, r->elapsed);
}

static void print_json(FILE *f, const struct probe_plan *plan, const struct probe_results *r)
{
	char a[ADDR_TEXT_MAX];
	bool all = r->n <= RESULTS_JSON_ALL_MAX;
	fprintf(f, "{\"scan\":\"%s\",\"flag\":\"%s\",\"kind\":\"%s\",\"dry_run\":%s,",
	        plan->mod->name, plan->mod->flag, plan->mod->kind, r->dry ? "true" : "false");
	fprintf(f, "\"source\":\"%s\",", addr_format(&plan->env.src, a));
	if (plan->mod->flood) {
		fprintf(f, "\"hosts\":[],");
		print_summary_json(f, plan, r);
		fprintf(f, "}\n");
		return;
	}
	fprintf(f, "\"ports_listed\":\"%s\",\"hosts\":[", all ? "all" : "answered");
	size_t np = plan->ports.n;
	bool first_host = true;
	for (uint64_t h = 0; h < plan->hosts.total; h++) {
		bool any = false;
		for (size_t p = 0; p < np && !any; p++)
			any = r->state[h * np + p] != PS_NONE;
		if (!any && !all)
			continue;
		struct sw_addr addr;
		targets_get(&plan->hosts, h, &addr);
		fprintf(f, "%s{\"addr\":\"%s\"", first_host ? "" : ",", addr_format(&addr, a));
		first_host = false;
		if (plan->mod->axis == PA_HOSTS) {
			fprintf(f, ",\"state\":\"%s\"}",
			        probe_state_name(state_at(plan, r, h * np)));
			continue;
		}
		fprintf(f, ",\"ports\":[");
		bool first_port = true;
		for (size_t p = 0; p < np; p++) {
			uint64_t i = h * np + p;
			if (!all && r->state[i] == PS_NONE)
				continue;
			fprintf(f, "%s{\"port\":%u,\"proto\":\"%s\",\"state\":\"%s\"}",
			        first_port ? "" : ",", plan->ports.v[p], proto_of(plan),
			        probe_state_name(state_at(plan, r, i)));
			first_port = false;
		}
		fprintf(f, "]}");
	}
	fprintf(f, "],");
	print_summary_json(f, plan, r);
	fprintf(f, "}\n");
}

static void print_table(FILE *f, const struct probe_plan *plan, const struct probe_results *r)
{
	char a[ADDR_TEXT_MAX];
	size_t np = plan->ports.n;
	fprintf(f,
	        "scanprobe %s (%s) from %s%s: %" PRIu64 " probes, %" PRIu64 " sent, %" PRIu64
	        " replies, %.3f s\n",
	        plan->mod->name, plan->mod->flag, addr_format(&plan->env.src, a),
	        r->dry ? " (dry run, simulated target)" : "", plan->nprobes, r->sent, r->received,
	        r->elapsed);
	if (r->dry)
		fprintf(f, "%" PRIu64 " packets written\n", r->written);
	if (plan->mod->flood)
		return;
	if (plan->mod->axis == PA_HOSTS) {
		uint64_t up = 0;
		for (uint64_t h = 0; h < plan->hosts.total; h++) {
			if (state_at(plan, r, h * np) != PS_UP)
				continue;
			struct sw_addr addr;
			targets_get(&plan->hosts, h, &addr);
			fprintf(f, "%-40s up\n", addr_format(&addr, a));
			up++;
		}
		fprintf(f, "%" PRIu64 " of %" PRIu64 " hosts up\n", up, plan->hosts.total);
		return;
	}
	for (uint64_t h = 0; h < plan->hosts.total; h++) {
		uint64_t count[PS_DOWN + 1] = {0};
		bool any = false;
		for (size_t p = 0; p < np; p++) {
			count[state_at(plan, r, h * np + p)]++;
			any |= r->state[h * np + p] != PS_NONE;
		}
		if (!any && plan->hosts.total > 1)
			continue; /* nmap also skips hosts that never answered */
		enum probe_state common = PS_OPEN;
		for (int s = PS_OPEN; s <= PS_DOWN; s++)
			if (count[s] > count[common])
				common = (enum probe_state)s;
		struct sw_addr addr;
		targets_get(&plan->hosts, h, &addr);
		fprintf(f, "\nHost %s\n", addr_format(&addr, a));
		if (np > 1 && count[common] * 2 > np)
			fprintf(f, "Not shown: %" PRIu64 " %s %s\n", count[common],
			        probe_state_name(common),
			        plan->mod->axis == PA_PROTOS ? "protocols" : "ports");
		else
			common = PS_NONE;
		fprintf(f, "%-10s %s\n", plan->mod->axis == PA_PROTOS ? "PROTOCOL" : "PORT",
		        "STATE");
		for (size_t p = 0; p < np; p++) {
			enum probe_state s = state_at(plan, r, h * np + p);
			if (s == common)
				continue;
			char port[16];
			snprintf(port, sizeof port, "%u/%s", plan->ports.v[p], proto_of(plan));
			fprintf(f, "%-10s %s\n", port, probe_state_name(s));
		}
	}
}

void results_print(FILE *f, const struct probe_plan *plan, const struct probe_results *r, bool json)
{
	if (json)
		print_json(f, plan, r);
	else
		print_table(f, plan, r);
}
