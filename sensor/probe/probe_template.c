/* probe_template.c — the probe module to copy: an empty UDP datagram to each port, read as
 * open by an answer and closed by an ICMP port unreachable. Compiled, never registered.
 *
 * A new probe kind is this file copied and one line in probe.c's probe_modules[] registry:
 *   1. cp sensor/probe/probe_template.c sensor/probe/probe_NAME.c; rename template to NAME
 *      throughout, and the symbol to probe_NAME (declared with the others in probe.h).
 *   2. Fill the struct probe_module at the end: probe.h documents each member. The flag is how
 *      the command line selects it ("-s" + letter, "-P" + letter, "--flood " + word); .live,
 *      .synack and .extra_retries tell the live engine, the dry-run simulator and the timing
 *      what differs from a raw-socket SYN-style probe (their zero values).
 *   3. make() must be pure (same env and target, same spec): replies are matched by rebuilding
 *      the probe. classify() reads a reply already matched to the probe.
 *   4. Add &probe_NAME to probe_modules[] in probe.c, a case to
 *      tests/captures/test_probe_eval.sh, and a label kind the sensor reports.
 *
 * Why it is compiled but not registered: CMake compiles every .c file of sensor/probe/ into
 * scanprobe, so a change to struct probe_module or the build_* helpers breaks this file's build at
 * once; probe.c's registry does not list it, so no flag selects it. tests/unit/test_templates.c
 * builds and classifies its packets and checks the registry does not name it.
 */
#include <netinet/in.h>

#include "scanwatch/probe.h"

static int template_make(const struct probe_env *env, const struct probe_target *t,
                         struct build_spec *s)
{
	*s = (struct build_spec){
	    .src = env->src,
	    .dst = t->dst,
	    .proto = IPPROTO_UDP,
	    .ttl = 64,
	    .ip_id = (uint16_t)rng_mix(env->key, t->index, t->port), /* a cookie, reproducible */
	    .sport = env->sport,
	    .dport = t->port,
	};
	return 0;
}

static enum probe_state template_classify(const struct build_spec *s, const struct parse_view *r)
{
	if (r->proto == IPPROTO_UDP && r->sport == s->dport && r->dport == s->sport)
		return PS_OPEN;
	/* RFC 792 type 3 code 3 / RFC 4443 type 1 code 4: nothing listens there. */
	if ((r->proto == IPPROTO_ICMP && r->icmp_type == 3 && r->icmp_code == 3) ||
	    (r->proto == IPPROTO_ICMPV6 && r->icmp_type == 1 && r->icmp_code == 4))
		return PS_CLOSED;
	return PS_NONE;
}

/* Declared here, not in probe.h: nothing but the template's test may use it. */
extern const struct probe_module probe_template;

const struct probe_module probe_template = {
    .name = "template",
    .flag = "-sY", /* a letter no other module uses */
    .kind = "udp_scan",
    .axis = PA_PORTS,
    .udp_ports = true,
    .silence = PS_OPEN_FILTERED,
    .make = template_make,
    .classify = template_classify,
};
