/* main.c — scanprobe: arguments, the safety check, then a dry run (--write) or a live run. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/probe.h"

#ifndef SCANWATCH_VERSION
#define SCANWATCH_VERSION "dev"
#endif

/* nmap's timing templates: scan delay (T0..T2) and, for T3..T5 which have none, the pacing
 * and parallelism scanprobe bounds them with. */
static const struct {
	double gap;        /* seconds between probes */
	unsigned parallel; /* -sT connects in flight */
	double wait;       /* seconds to wait for late answers */
	unsigned retries;  /* resends of unanswered raw probes */
} timing[6] = {
    {300.0, 1, 5.0, 1},     /* T0 paranoid: 5 minutes */
    {15.0, 1, 3.0, 1},      /* T1 sneaky */
    {0.4, 1, 1.5, 1},       /* T2 polite */
    {0.001, 32, 1.0, 1},    /* T3 normal: 1000 probes/s */
    {0.0002, 64, 0.5, 1},   /* T4 aggressive: 5000 probes/s */
    {0.00005, 128, 0.3, 0}, /* T5 insane: 20000 probes/s */
};

/* Dry-run scanner addresses when -S is absent: inside 198.18.0.0/15 / 2001:2::/48, apart from
 * the benign hosts of background.c. */
static const char *const default_src_v4 = "198.19.254.10";
static const char *const default_src_v6 = "2001:2:0:fe::10";
/* --allow blocks a run may name. */
#define MAX_ALLOW 16

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: scanprobe [scan] [options] TARGETS...\n"
	    "scans: -sS -sT -sF -sN -sX -sA -sM -sW -sU -sO, -sn with "
	    "-PE|-PP|-PS[port]|-PA[port]|-PR,\n"
	    "       --flood syn|rst (with --count N and/or --duration S)\n"
	    "targets: 198.18.1.1 198.18.0.0/24 198.18.1.1-20 2001:2::1 (with -6)\n"
	    "  -p LIST          ports: 22,80,1000-1010 or - (all); -sO: protocol numbers\n"
	    "  --top-ports N    nmap's N most common ports (default: 1000 TCP, 20 UDP)\n"
	    "  -T0..-T5         timing template; --scan-delay TIME (500ms, 2s); --max-rate PPS\n"
	    "  --seed N         deterministic run; --no-randomize: targets in order\n"
	    "  -g PORT          source port (raw kinds); -S ADDR source address; -6 IPv6\n"
	    "  --json           JSON results\n"
	    "  --allow CIDR     also allow targets in CIDR (repeatable)\n"
	    "  --max-packets N  packet bound; --max-duration S time bound (live default 300)\n"
	    "  --max-retries N  resends of unanswered probes (live); --wait TIME for late replies\n"
	    "dry run (nothing is sent):\n"
	    "  --write F.pcap   write probes and simulated replies; --labels FILE (default "
	    "F.labels.tsv)\n"
	    "  --profile YAML   simulated target; or --sim-up CIDRS --sim-open PORTS --sim-closed "
	    "PORTS\n"
	    "                   --sim-udp-open PORTS --sim-udp-closed PORTS --sim-default "
	    "closed|filtered\n"
	    "                   --sim-ttl N --sim-rtt TIME --sim-jitter TIME\n"
	    "                   (default: every target up, TCP 22,80,443 and UDP 53,123 open, rest "
	    "closed)\n"
	    "  --background N   N benign flows (HTTP, DNS, ping) from benign clients\n"
	    "  --scanners N     N scanner addresses (-S, -S+1, ...) each running the scan\n"
	    "targets outside 127.0.0.0/8, ::1, 198.18.0.0/15, 2001:2::/48, 192.0.2.0/24,\n"
	    "198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 are refused unless --allow names "
	    "them\n");
}

enum {
	O_TOP = 256,
	O_DELAY,
	O_RATE,
	O_SEED,
	O_NORAND,
	O_FLOOD,
	O_COUNT,
	O_DURATION,
	O_JSON,
	O_WRITE,
	O_LABELS,
	O_PROFILE,
	O_SIM_UP,
	O_SIM_OPEN,
	O_SIM_CLOSED,
	O_SIM_UOPEN,
	O_SIM_UCLOSED,
	O_SIM_DEFAULT,
	O_SIM_TTL,
	O_SIM_RTT,
	O_SIM_JITTER,
	O_BACKGROUND,
	O_SCANNERS,
	O_ALLOW,
	O_MAXPKT,
	O_MAXDUR,
	O_RETRIES,
	O_WAIT,
	O_HELP,
	O_VERSION,
};

static const struct option longopts[] = {
    {"top-ports", required_argument, NULL, O_TOP},
    {"scan-delay", required_argument, NULL, O_DELAY},
    {"max-rate", required_argument, NULL, O_RATE},
    {"seed", required_argument, NULL, O_SEED},
    {"no-randomize", no_argument, NULL, O_NORAND},
    {"flood", required_argument, NULL, O_FLOOD},
    {"count", required_argument, NULL, O_COUNT},
    {"duration", required_argument, NULL, O_DURATION},
    {"json", no_argument, NULL, O_JSON},
    {"write", required_argument, NULL, O_WRITE},
    {"labels", required_argument, NULL, O_LABELS},
    {"profile", required_argument, NULL, O_PROFILE},
    {"sim-up", required_argument, NULL, O_SIM_UP},
    {"sim-open", required_argument, NULL, O_SIM_OPEN},
    {"sim-closed", required_argument, NULL, O_SIM_CLOSED},
    {"sim-udp-open", required_argument, NULL, O_SIM_UOPEN},
    {"sim-udp-closed", required_argument, NULL, O_SIM_UCLOSED},
    {"sim-default", required_argument, NULL, O_SIM_DEFAULT},
    {"sim-ttl", required_argument, NULL, O_SIM_TTL},
    {"sim-rtt", required_argument, NULL, O_SIM_RTT},
    {"sim-jitter", required_argument, NULL, O_SIM_JITTER},
    {"background", required_argument, NULL, O_BACKGROUND},
    {"scanners", required_argument, NULL, O_SCANNERS},
    {"allow", required_argument, NULL, O_ALLOW},
    {"max-packets", required_argument, NULL, O_MAXPKT},
    {"max-duration", required_argument, NULL, O_MAXDUR},
    {"max-retries", required_argument, NULL, O_RETRIES},
    {"wait", required_argument, NULL, O_WAIT},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

/* nmap time syntax: a number with an optional unit ms, s, m, h (default seconds). */
static int parse_time(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v >= 0))
		return -1;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60;
	else if (strcmp(end, "h") == 0)
		v *= 3600;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

struct args {
	const struct probe_module *mod;
	const struct probe_module *ping; /* the -P kind (host discovery) */
	const char *ping_ports;
	const char *ports;
	uint64_t top;
	int tmpl;
	double delay, rate;
	uint64_t seed, count, max_packets, background, scanners, retries;
	bool have_seed, have_count, have_retries, sn, v6, json, no_randomize;
	double duration, max_duration, wait;
	const char *src, *sport, *write, *labels, *profile;
	struct sw_cidr allow[MAX_ALLOW];
	size_t nallow;
	const char *sim_key[16], *sim_val[16];
	size_t nsim;
};

static int fail_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "scanprobe: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return 2;
}

/* Selects the module whose flag is prefix + word (from the registry, probe.c). */
static int set_scan(struct args *a, const char *prefix, const char *word)
{
	char flag[64];
	const struct probe_module *m;

	snprintf(flag, sizeof flag, "%s%s", prefix, word);
	m = probe_find_flag(flag);
	if (!m)
		return fail_usage("unknown scan type", flag);
	if (a->mod && a->mod != m)
		return fail_usage("one scan type per run", flag);
	a->mod = m;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:P:p:T:g:S:6h", longopts, NULL)) != -1) {
		char err[256];
		switch (c) {
		case 's':
			if (strcmp(optarg, "n") == 0) {
				a->sn = true;
				break;
			}
			if (set_scan(a, "-s", optarg) != 0)
				return 2;
			break;
		case 'P': {
			/* -PE, -PP, -PR; -PS and -PA may name their port (-PS443). */
			char kind[2] = {optarg[0], '\0'}, flag[4] = "-P";
			const struct probe_module *m;

			strcat(flag, kind);
			m = probe_find_flag(flag);
			if (!m || (optarg[0] && optarg[1] && !m->flag_port))
				return fail_usage("unknown ping type (-PE -PP -PS -PA -PR)",
				                  optarg);
			if (a->ping && a->ping != m)
				return fail_usage("one ping type per run", optarg);
			a->ping = m;
			a->ping_ports = optarg[0] && optarg[1] ? optarg + 1 : NULL;
			break;
		}
		case 'p':
			a->ports = optarg;
			break;
		case 'T':
			if (!optarg[0] || optarg[1] || optarg[0] < '0' || optarg[0] > '5')
				return fail_usage("timing template is -T0 to -T5", optarg);
			a->tmpl = optarg[0] - '0';
			break;
		case 'g':
			a->sport = optarg;
			break;
		case 'S':
			a->src = optarg;
			break;
		case '6':
			a->v6 = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("scanprobe %s\n", SCANWATCH_VERSION);
			exit(0);
		case O_TOP:
			if (parse_u64(optarg, 65535, &a->top) != 0 || a->top == 0)
				return fail_usage("bad --top-ports", optarg);
			break;
		case O_DELAY:
			if (parse_time(optarg, &a->delay) != 0)
				return fail_usage("bad --scan-delay (e.g. 500ms)", optarg);
			break;
		case O_RATE: {
			char *end;
			a->rate = strtod(optarg, &end);
			if (*end || !(a->rate > 0))
				return fail_usage("bad --max-rate", optarg);
			break;
		}
		case O_SEED:
			if (parse_u64(optarg, UINT64_MAX, &a->seed) != 0)
				return fail_usage("bad --seed", optarg);
			a->have_seed = true;
			break;
		case O_NORAND:
			a->no_randomize = true;
			break;
		case O_FLOOD:
			if (set_scan(a, "--flood ", optarg) != 0)
				return 2;
			break;
		case O_COUNT:
			if (parse_u64(optarg, PROBE_HARD_MAX_PACKETS, &a->count) != 0 || !a->count)
				return fail_usage("bad --count", optarg);
			a->have_count = true;
			break;
		case O_DURATION:
			if (parse_time(optarg, &a->duration) != 0 || a->duration <= 0)
				return fail_usage("bad --duration", optarg);
			break;
		case O_JSON:
			a->json = true;
			break;
		case O_WRITE:
			a->write = optarg;
			break;
		case O_LABELS:
			a->labels = optarg;
			break;
		case O_PROFILE:
			a->profile = optarg;
			break;
		case O_SIM_UP:
		case O_SIM_OPEN:
		case O_SIM_CLOSED:
		case O_SIM_UOPEN:
		case O_SIM_UCLOSED:
		case O_SIM_DEFAULT:
		case O_SIM_TTL:
		case O_SIM_RTT:
		case O_SIM_JITTER: {
			static const char *const keys[] = {"up",       "tcp_open",   "tcp_closed",
			                                   "udp_open", "udp_closed", "default",
			                                   "ttl",      "rtt_ms",     "jitter_ms"};
			if (a->nsim == sizeof a->sim_key / sizeof a->sim_key[0])
				return fail_usage("too many --sim options", optarg);
			a->sim_key[a->nsim] = keys[c - O_SIM_UP];
			a->sim_val[a->nsim++] = optarg;
			break;
		}
		case O_BACKGROUND:
			if (parse_u64(optarg, 10000000, &a->background) != 0)
				return fail_usage("bad --background", optarg);
			break;
		case O_SCANNERS:
			if (parse_u64(optarg, 256, &a->scanners) != 0 || !a->scanners)
				return fail_usage("bad --scanners (1..256)", optarg);
			break;
		case O_ALLOW:
			if (a->nallow == MAX_ALLOW)
				return fail_usage("too many --allow", optarg);
			if (addr_cidr_parse(optarg, &a->allow[a->nallow]) != 0)
				return fail_usage("bad --allow CIDR", optarg);
			a->nallow++;
			break;
		case O_MAXPKT:
			if (parse_u64(optarg, PROBE_HARD_MAX_PACKETS, &a->max_packets) != 0 ||
			    !a->max_packets)
				return fail_usage("bad --max-packets", optarg);
			break;
		case O_MAXDUR:
			if (parse_time(optarg, &a->max_duration) != 0 || a->max_duration <= 0)
				return fail_usage("bad --max-duration", optarg);
			break;
		case O_RETRIES:
			if (parse_u64(optarg, 10, &a->retries) != 0)
				return fail_usage("bad --max-retries (0..10)", optarg);
			a->have_retries = true;
			break;
		case O_WAIT:
			if (parse_time(optarg, &a->wait) != 0 || a->wait > 60)
				return fail_usage("bad --wait (at most 60s)", optarg);
			break;
		default:
			snprintf(err, sizeof err, "%s", argv[optind - 1]);
			usage(stderr);
			return fail_usage("unknown or incomplete option", err);
		}
	}
	return 0;
}

/* Chooses the module from -s / -sn -P / --flood. */
static int pick_module(struct args *a)
{
	if (a->sn || a->ping) {
		if (a->mod)
			return fail_usage("-sn (host discovery) excludes port scans", a->mod->flag);
		a->mod = a->ping ? a->ping : probe_find_flag("-PE"); /* -sn alone: echo, as nmap */
	}
	return 0;
}

static int build_ports(const struct args *a, struct probe_plan *plan)
{
	char err[256];
	const struct probe_module *m = plan->mod;
	if (m->axis == PA_HOSTS) {
		/* Host-only kinds: one pseudo-port; -PS/-PA and floods aim at one real port. */
		struct ports one = {0};
		const char *pp = m->flood ? a->ports : a->ping_ports;
		if (pp) {
			if (targets_ports(pp, 1, 65535, &one, err, sizeof err) != 0)
				return fail_usage(err, NULL);
			if (one.n != 1) {
				free(one.v);
				return fail_usage("this kind aims at exactly one port", pp);
			}
			plan->env.ping_port = plan->env.flood_port = one.v[0];
			free(one.v);
		} else {
			plan->env.ping_port = plan->env.flood_port =
			    80; /* nmap's -PS/-PA default */
		}
		plan->ports.v = calloc(1, sizeof *plan->ports.v);
		if (!plan->ports.v)
			return fail_usage("out of memory", NULL);
		plan->ports.n = 1;
		return 0;
	}
	if (a->ports && a->top)
		return fail_usage("-p and --top-ports exclude each other", NULL);
	int rc;
	if (m->axis == PA_PROTOS)
		rc = targets_ports(a->ports ? a->ports : "0-255", 0, 255, &plan->ports, err,
		                   sizeof err);
	else if (a->ports)
		rc = targets_ports(strcmp(a->ports, "-") == 0 ? "1-65535" : a->ports, 0, 65535,
		                   &plan->ports, err, sizeof err);
	else
		rc = targets_top_ports(a->top ? (unsigned)a->top : (m->udp_ports ? 20 : 1000),
		                       m->udp_ports, &plan->ports, err, sizeof err);
	return rc == 0 ? 0 : fail_usage(err, NULL);
}

int main(int argc, char **argv)
{
	struct args a = {.tmpl = 3, .delay = -1, .max_duration = -1, .wait = -1, .scanners = 1};
	struct probe_plan plan = {0};
	struct probe_results res = {0};
	struct target_sim *sim = NULL;
	char err[512];
	int rc = parse_args(argc, argv, &a);
	if (rc != 0)
		return rc;
	if ((rc = pick_module(&a)) != 0)
		return rc;
	bool has_scan = a.mod != NULL;
	bool dry = a.write != NULL;
	if (!has_scan && !(dry && a.background && optind == argc)) {
		usage(stderr);
		return fail_usage("name a scan type (e.g. -sS), or --write F --background N for "
		                  "benign-only traffic",
		                  NULL);
	}
	if (!dry && (a.labels || a.profile || a.nsim || a.background || a.scanners > 1))
		return fail_usage("--labels, --profile, --sim-*, --background and --scanners need "
		                  "--write",
		                  NULL);
	if (has_scan && a.mod->flood && !a.have_count && a.duration <= 0)
		return fail_usage("a flood needs a bound: --count N and/or --duration S", NULL);
	if (has_scan && optind == argc)
		return fail_usage("no targets", NULL);

	/* ---- targets, then the safety check: nothing below opens a socket before it. ---- */
	plan.mod = has_scan ? a.mod : &probe_syn;
	for (int i = optind; i < argc; i++) {
		if (targets_add(&plan.hosts, argv[i], err, sizeof err) != 0) {
			rc = fail_usage(err, NULL);
			goto out;
		}
	}
	for (size_t i = 0; i < plan.hosts.n; i++) {
		if (!addr_is_v4(&plan.hosts.r[i].first) != a.v6) {
			rc = fail_usage(a.v6 ? "-6 given but an IPv4 target named"
			                     : "IPv6 targets need -6",
			                NULL);
			goto out;
		}
	}
	if (!targets_allowed(&plan.hosts, a.allow, a.nallow, err, sizeof err)) {
		fprintf(stderr, "scanprobe: %s\n", err);
		rc = 2;
		goto out;
	}
	if (a.src) {
		if (addr_parse(a.src, &plan.env.src) != 0 || !addr_is_v4(&plan.env.src) == !a.v6) {
			rc = fail_usage(
			    a.v6 ? "-S needs an IPv6 address with -6" : "bad -S address", a.src);
			goto out;
		}
	} else if (dry || plan.hosts.total == 0) {
		addr_parse(a.v6 ? default_src_v6 : default_src_v4, &plan.env.src);
	}
	/* Replies go to the source, so it must be as safe as a target (all scanner addresses). */
	if (a.src || dry) {
		struct targets srcs = {0};
		struct targets_range sr = {.first = plan.env.src, .count = (uint32_t)a.scanners};
		srcs.r = &sr;
		srcs.n = 1;
		if (!targets_allowed(&srcs, a.allow, a.nallow, err, sizeof err)) {
			fprintf(stderr, "scanprobe: source address: %s\n", err);
			rc = 2;
			goto out;
		}
	}

	/* ---- plan ---- */
	plan.seed = a.have_seed ? a.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	plan.randomize = !a.no_randomize;
	plan.gap = a.delay >= 0 ? a.delay : timing[a.tmpl].gap;
	if (a.rate > 0 && plan.gap < 1.0 / a.rate)
		plan.gap = 1.0 / a.rate;
	plan.parallel = a.delay > 0 ? 1 : timing[a.tmpl].parallel;
	plan.wait = a.wait >= 0 ? a.wait : timing[a.tmpl].wait;
	plan.retries =
	    a.have_retries ? (unsigned)a.retries : timing[a.tmpl].retries + plan.mod->extra_retries;
	plan.max_duration = a.max_duration > 0 ? a.max_duration
	                    : dry              ? -1
	                                       : PROBE_DEFAULT_MAX_DURATION;
	uint64_t cap = dry ? PROBE_HARD_MAX_PACKETS : PROBE_LIVE_MAX_PACKETS;
	plan.max_packets = a.max_packets && a.max_packets < cap ? a.max_packets : cap;
	struct rng r;
	rng_seed(&r, plan.seed);
	plan.env.key = rng_next(&r);
	plan.env.sport = (uint16_t)(32768 + rng_below(&r, 28232));
	if (a.sport) {
		uint64_t v;
		if (parse_u64(a.sport, 65535, &v) != 0 || v == 0) {
			rc = fail_usage("bad -g port", a.sport);
			goto out;
		}
		plan.env.sport = (uint16_t)v;
	}
	if (has_scan && (rc = build_ports(&a, &plan)) != 0)
		goto out;
	if (has_scan && plan.mod->flood) {
		plan.env.spoof = a.src == NULL; /* floods spoof unless -S names the source */
		uint64_t n = a.have_count ? a.count : UINT64_MAX;
		if (a.duration > 0) {
			double by_time = floor(a.duration / plan.gap);
			if (by_time < (double)n)
				n = (uint64_t)by_time;
		}
		plan.nprobes = n < plan.max_packets ? n : plan.max_packets;
	} else if (has_scan) {
		plan.nprobes = plan.hosts.total * plan.ports.n;
	}
	/* A live plan that cannot finish inside the bound is refused up front; a dry run is
	 * cut at the cap (benchmarks ask for "N packets of this scan"). */
	if (!dry && plan.nprobes > plan.max_packets) {
		fprintf(stderr,
		        "scanprobe: %" PRIu64 " probes exceed the packet bound %" PRIu64
		        "; narrow the targets or raise --max-packets\n",
		        plan.nprobes, plan.max_packets);
		rc = 2;
		goto out;
	}
	if (!dry && has_scan && !a.src && plan.hosts.total) {
		struct sw_addr first;
		targets_get(&plan.hosts, 0, &first);
		if (send_raw_route_source(&first, &plan.env.src) != 0) {
			fprintf(stderr, "scanprobe: no route to %s's network; use -S\n",
			        argv[optind]);
			rc = 1;
			goto out;
		}
	}
	if (results_init(&res, &plan) != 0) {
		rc = fail_usage("out of memory", NULL);
		goto out;
	}

	/* ---- run ---- */
	if (dry) {
		sim = malloc(sizeof *sim);
		if (!sim) {
			rc = fail_usage("out of memory", NULL);
			goto out;
		}
		target_sim_defaults(sim);
		if (a.profile && target_sim_load(sim, a.profile, err, sizeof err) != 0) {
			rc = fail_usage(err, NULL);
			goto out;
		}
		for (size_t i = 0; i < a.nsim; i++) {
			const char *val = a.sim_val[i];
			char ms[64];
			if (strcmp(a.sim_key[i], "rtt_ms") == 0 ||
			    strcmp(a.sim_key[i], "jitter_ms") == 0) {
				double v;
				if (parse_time(val, &v) != 0) {
					rc = fail_usage("bad time", val);
					goto out;
				}
				/* A bare number means milliseconds for these two. */
				snprintf(ms, sizeof ms, "%.6f",
				         strpbrk(val, "smh") ? v * 1000 : strtod(val, NULL));
				val = ms;
			}
			if (target_sim_set(sim, a.sim_key[i], val, err, sizeof err) != 0) {
				rc = fail_usage(err, NULL);
				goto out;
			}
		}
		struct dryrun_opts o = {
		    .path = a.write,
		    .labels = a.labels,
		    .scanners = (unsigned)a.scanners,
		    .background = (unsigned)a.background,
		    .sim = sim,
		    .has_scan = has_scan,
		};
		if (dryrun_run(&plan, &o, &res) != 0) {
			rc = 1;
			goto out;
		}
	} else if (send_raw_run(&plan, &res) != 0) {
		rc = 1;
		goto out;
	}
	if (has_scan)
		results_print(stdout, &plan, &res, a.json);
	else if (a.json)
		printf("{\"scan\":null,\"dry_run\":true,\"summary\":{\"written\":%" PRIu64 "}}\n",
		       res.written);
	else
		printf("scanprobe: %" PRIu64 " benign packets written\n", res.written);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (sim) {
		target_sim_free(sim);
		free(sim);
	}
	results_free(&res);
	targets_free(&plan.hosts);
	free(plan.ports.v);
	return rc;
}
