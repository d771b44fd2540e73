/* probe_flood.c — --flood syn|rst: many TCP segments at one port, optionally from spoofed sources.
 */
#include <netinet/in.h>

#include "scanwatch/packet.h"
#include "scanwatch/probe.h"

/* Spoofed sources stay inside the benchmarking ranges (RFC 2544, RFC 5180), never real ones. */
static void spoofed(const struct probe_env *env, uint64_t i, bool v6, struct sw_addr *out)
{
	uint64_t h = rng_mix(env->key, i, 0x5bf);
	if (v6) {
		static const uint8_t base[16] = {0x20, 0x01, 0x00, 0x02};
		addr_from_v6(out, base);
		for (int k = 0; k < 10; k++)
			out->a[6 + k] = (uint8_t)(h >> (k * 6));
	} else {
		uint8_t v4[4] = {198, (uint8_t)(18 + ((h >> 16) & 1)), (uint8_t)(h >> 8),
		                 (uint8_t)h};
		if (v4[3] == 0 || v4[3] == 255)
			v4[3] = 1; /* neither network nor broadcast-looking */
		addr_from_v4(out, v4);
	}
}

static void flood_base(const struct probe_env *env, const struct probe_target *t, uint8_t flags,
                       struct build_spec *s)
{
	struct probe_target tt = *t;
	tt.port = env->flood_port;
	probe_tcp_base(env, &tt, flags, s);
	uint64_t h = rng_mix(env->key, t->index, 0xf1d);
	/* Flood tools randomise ports and sequence numbers per packet (hping3 --rand-source). */
	s->sport = (uint16_t)(1024 + h % 64512);
	s->seq = (uint32_t)(h >> 16);
	s->ip_id = (uint16_t)(h >> 48);
	s->win = 512;
	s->opts = NULL;
	s->optlen = 0;
	if (env->spoof) {
		spoofed(env, t->index, !addr_is_v4(&t->dst), &s->src);
		s->ttl = (uint8_t)(32 + (h >> 40) % 96);
	}
}

static int syn_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	flood_base(env, t, TCP_SYN, s);
	return 0;
}

static int rst_make(const struct probe_env *env, const struct probe_target *t, struct build_spec *s)
{
	flood_base(env, t, TCP_RST, s);
	return 0;
}

/* A flood reports no per-port state: replies are counted, not classified. */
static enum probe_state flood_classify(const struct build_spec *s, const struct parse_view *r)
{
	return PS_NONE;
}

const struct probe_module probe_flood_syn = {
    .name = "flood-syn",
    .flag = "--flood syn",
    .kind = "syn_flood",
    .axis = PA_HOSTS,
    .flood = true,
    .synack = PROBE_SYNACK_SILENT,
    .silence = PS_NONE,
    .make = syn_make,
    .classify = flood_classify,
};

const struct probe_module probe_flood_rst = {
    .name = "flood-rst",
    .flag = "--flood rst",
    .kind = "rst_flood",
    .axis = PA_HOSTS,
    .flood = true,
    .synack = PROBE_SYNACK_SILENT,
    .silence = PS_NONE,
    .make = rst_make,
    .classify = flood_classify,
};
