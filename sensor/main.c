/* main.c — scanwatch: arguments, subcommands and lifecycle only; the work is in the modules. */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/cli.h"
#include "scanwatch/collect.h"
#include "scanwatch/config.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detect.h"
#include "scanwatch/eval.h"
#include "scanwatch/extract.h"
#include "scanwatch/output.h"
#include "scanwatch/query.h"
#include "scanwatch/report.h"
#include "scanwatch/rules.h"
#include "scanwatch/sensor.h"

#define EXIT_USAGE     2
#define MAX_INPUTS     256
#define MAX_RULE_PATHS 64

struct options {
	const char *inputs[MAX_INPUTS];
	size_t ninputs;
	const char *rule_paths[MAX_RULE_PATHS];
	size_t nrule_paths;
	const char *iface;
	char *filter; /* the BPF words after the options, joined */
	int snaplen;
	bool no_promisc;
	uint64_t buffer_bytes;
	const char *user;
	bool allow_root;
	bool no_sandbox;
	bool no_evidence;
	const char *db;
	bool no_db;
	bool json;
	bool quiet;
	bool test_config;
	bool bad_target; /* an output target failed its check: a configuration error (78) */
	bool verbose;
	uint64_t memory_cap;
	unsigned workers; /* 0: the cores this process may run on */
	bool set_workers;
	uint64_t seed;
	uint64_t stats_interval_us;
	const char *pidfile;
	const char *sensor_id;
	const char *site_tags[OUTPUT_SITE_TAGS_MAX];
	size_t nsite_tags;
	struct sensor_output outputs[SENSOR_MAX_OUTPUTS];
	size_t noutputs;
	const char *config_path; /* -c */
	/* what load_rules may read once the sensor is confined: rule paths, the config file */
	const char *rule_files[MAX_RULE_PATHS * 2 + 1];
	size_t nrule_files;
	/* which settings the command line gave: they override the configuration file */
	bool set_db, set_cap, set_stats, set_snaplen, set_buffer;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: scanwatch -r FILE [-r FILE ...] [options] [BPF expression]\n"
	    "       scanwatch -i IFACE [options] [BPF expression]\n"
	    "       scanwatch -T [--rules PATH ...]\n"
	    "       scanwatch eval LABELS [--rules PATH ...] [-v]\n"
	    "       scanwatch query [--db PATH] [filters] [--format table|jsonl|csv] [--follow]\n"
	    "       scanwatch report --html OUT.html [--db PATH ... | -r FILE ...]\n"
	    "       scanwatch extract [--db PATH] --id N -w OUT.pcap|-\n"
	    "       scanwatch collect --nats URL --db CENTRAL.db [--stream NAME] [--durable NAME]\n"
	    "       scanwatch --list-detectors\n"
	    "\n"
	    "Detects network scans in captures (\"-\" is standard input; several files are\n"
	    "merged in time order) or live on an interface, and stores each detection in\n"
	    "SQLite.\n"
	    "\n"
	    "input\n"
	    "  -r, --read FILE        capture file to replay (repeatable)\n"
	    "  -i, --interface IFACE  capture live on IFACE\n"
	    "  -s, --snaplen N        bytes kept per packet (live; default 262144)\n"
	    "  -p, --no-promiscuous   do not put the interface into promiscuous mode\n"
	    "  -B, --buffer SIZE      kernel capture ring, e.g. 64M (default 32M)\n"
	    "  -Z, --user USER        drop to USER right after the capture is open\n"
	    "      --allow-root       keep capturing as root (not recommended)\n"
	    "      --no-sandbox       do not confine the running sensor (seccomp, Landlock)\n"
	    "output\n"
	    "      --db PATH          SQLite database (default %s)\n"
	    "      --no-db            do not store detections\n"
	    "      --json             print detections as JSON lines instead of text\n"
	    "  -q, --quiet            print no detections\n"
	    "      --jsonl PATH|-     also write ECS JSON lines\n"
	    "      --syslog URL       also send RFC 5424 syslog: udp://HOST[:PORT][?OPTIONS], "
	    "tcp://..., tls://... (RFC 5425: ca=, cert=, key=, name=) or relp://...\n"
	    "      --cef PATH|-|URL   also write CEF\n"
	    "      --nats URL         also publish ECS JSON to NATS JetStream: "
	    "nats://[USER:PASS@|TOKEN@]HOST[:PORT][?OPTIONS] (tls_ca=, tls_cert=, tls_key=, "
	    "creds=, stream=, backlog=)\n"
	    "      --sensor-id ID     the sensor's name in every record (default: the host name)\n"
	    "      --site-tag K=V     a site tag carried in every record (repeatable)\n"
	    "detection\n"
	    "      --rules PATH       rule file or directory (repeatable; default: built-in "
	    "rules)\n"
	    "      --memory-cap SIZE  bound on tracking memory, e.g. 64M (default %lluM)\n"
	    "      --workers N        threads on the packet path: 1 runs everything on one,\n"
	    "                         2 runs the rules on a second, 3 or more also read the\n"
	    "                         capture on a third (default: the cores this process\n"
	    "                         may use; at most 3 used)\n"
	    "      --seed N           fixed hash key (reproducible table layout, for tests)\n"
	    "      --no-evidence      keep no evidence packets (default with a database: the\n"
	    "                         first 64 and last 8 packets of each detection, 256 bytes\n"
	    "                         each)\n"
	    "operation\n"
	    "  -c, --config FILE      sensor configuration (YAML); command-line flags override it\n"
	    "      --stats-interval D statistics every D when live (default 60s; 0: never)\n"
	    "      --pidfile PATH     write the process id to PATH\n"
	    "  -T, --test-config      check configuration and rules, then exit\n"
	    "      --list-detectors   list the detectors rules can use\n"
	    "  -V, --version          print the version\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Signals (live): HUP reloads rules and reopens outputs, TERM/INT stop cleanly,\n"
	    "USR1 logs statistics. Exit status: 0 success, 1 input or runtime error\n"
	    "(detections found before it are stored), 2 usage error, 78 configuration error.\n",
	    SW_DEFAULT_DB, (unsigned long long)(SW_DEFAULT_MEMORY_CAP >> 20));
}

static int add_output(struct options *o, const char *type, const char *target)
{
	char err[512];

	/* The configuration file's outputs get the same check (config.c), so a target works in
	 * either place or in neither. */
	if (output_check_target(output_lookup(type), target, target, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch: --%s: %s\n", type, err);
		o->bad_target = true;
		return -1;
	}
	if (o->noutputs == SENSOR_MAX_OUTPUTS) {
		fprintf(stderr, "scanwatch: at most %d outputs\n", SENSOR_MAX_OUTPUTS);
		return -1;
	}
	o->outputs[o->noutputs].type = type;
	o->outputs[o->noutputs].target = target;
	o->noutputs++;
	return 0;
}

/* Joins the words left after the options into one BPF expression, as tcpdump does. */
static int join_filter(struct options *o, int argc, char **argv, int first)
{
	size_t len = 1;
	for (int i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	o->filter = calloc(1, len);
	if (!o->filter)
		return -1;
	for (int i = first; i < argc; i++) {
		if (i > first)
			strcat(o->filter, " ");
		strcat(o->filter, argv[i]);
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o, bool eval_mode)
{
	enum {
		O_DB = 256,
		O_NODB,
		O_RULES,
		O_JSON,
		O_CAP,
		O_WORKERS,
		O_SEED,
		O_LIST,
		O_ALLOW_ROOT,
		O_JSONL,
		O_SYSLOG,
		O_CEF,
		O_STATS,
		O_PIDFILE,
		O_NO_SANDBOX,
		O_NO_EVIDENCE,
		O_NATS,
		O_SENSOR_ID,
		O_SITE_TAG,
	};
	static const struct option longopts[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"config", required_argument, NULL, 'c'},
	    {"interface", required_argument, NULL, 'i'},
	    {"snaplen", required_argument, NULL, 's'},
	    {"no-promiscuous", no_argument, NULL, 'p'},
	    {"buffer", required_argument, NULL, 'B'},
	    {"user", required_argument, NULL, 'Z'},
	    {"allow-root", no_argument, NULL, O_ALLOW_ROOT},
	    {"no-sandbox", no_argument, NULL, O_NO_SANDBOX},
	    {"no-evidence", no_argument, NULL, O_NO_EVIDENCE},
	    {"db", required_argument, NULL, O_DB},
	    {"no-db", no_argument, NULL, O_NODB},
	    {"rules", required_argument, NULL, O_RULES},
	    {"json", no_argument, NULL, O_JSON},
	    {"jsonl", required_argument, NULL, O_JSONL},
	    {"syslog", required_argument, NULL, O_SYSLOG},
	    {"cef", required_argument, NULL, O_CEF},
	    {"nats", required_argument, NULL, O_NATS},
	    {"sensor-id", required_argument, NULL, O_SENSOR_ID},
	    {"site-tag", required_argument, NULL, O_SITE_TAG},
	    {"quiet", no_argument, NULL, 'q'},
	    {"memory-cap", required_argument, NULL, O_CAP},
	    {"workers", required_argument, NULL, O_WORKERS},
	    {"seed", required_argument, NULL, O_SEED},
	    {"stats-interval", required_argument, NULL, O_STATS},
	    {"pidfile", required_argument, NULL, O_PIDFILE},
	    {"test-config", no_argument, NULL, 'T'},
	    {"list-detectors", no_argument, NULL, O_LIST},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	o->db = SW_DEFAULT_DB;
	o->memory_cap = SW_DEFAULT_MEMORY_CAP;
	o->stats_interval_us = SW_STATS_INTERVAL_US;
	o->buffer_bytes = 32ULL << 20;
	int c;
	/* a capture filter's words end the options ("+"); eval takes its options anywhere */
	while (
	    (c = getopt_long(argc, argv, eval_mode ? "r:i:s:pB:Z:c:qTvVh" : "+r:i:s:pB:Z:c:qTvVh",
	                     longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_append("scanwatch", "capture files", o->inputs, &o->ninputs,
			               MAX_INPUTS, optarg) < 0)
				return -1;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 64 || v > 262144) {
				fprintf(stderr, "scanwatch: -s: snaplen must be 64..262144\n");
				return -1;
			}
			o->snaplen = (int)v;
			o->set_snaplen = true;
			break;
		}
		case 'p':
			o->no_promisc = true;
			break;
		case 'B':
			if (cli_parse_size("scanwatch", "-B", optarg, &o->buffer_bytes) < 0)
				return -1;
			o->set_buffer = true;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case O_ALLOW_ROOT:
			o->allow_root = true;
			break;
		case O_NO_SANDBOX:
			o->no_sandbox = true;
			break;
		case O_NO_EVIDENCE:
			o->no_evidence = true;
			break;
		case O_DB:
			o->db = optarg;
			o->set_db = true;
			break;
		case O_NODB:
			o->no_db = true;
			break;
		case O_RULES:
			if (cli_append("scanwatch", "rule paths", o->rule_paths, &o->nrule_paths,
			               MAX_RULE_PATHS, optarg) < 0)
				return -1;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_JSONL:
			if (add_output(o, "jsonl", optarg) < 0)
				return -1;
			break;
		case O_SYSLOG:
			if (add_output(o, "syslog", optarg) < 0)
				return -1;
			break;
		case O_CEF:
			if (add_output(o, "cef", optarg) < 0)
				return -1;
			break;
		case O_NATS:
			if (add_output(o, "nats", optarg) < 0)
				return -1;
			break;
		case O_SENSOR_ID: {
			char err[256];
			if (output_check_sensor_id(optarg, err, sizeof err) < 0) {
				fprintf(stderr, "scanwatch: --sensor-id: %s\n", err);
				o->bad_target = true;
				return -1;
			}
			o->sensor_id = optarg;
			break;
		}
		case O_SITE_TAG: {
			char err[256];
			if (output_check_site_tag(optarg, err, sizeof err) < 0) {
				fprintf(stderr, "scanwatch: --site-tag: %s\n", err);
				o->bad_target = true;
				return -1;
			}
			if (cli_append("scanwatch", "site tags", o->site_tags, &o->nsite_tags,
			               OUTPUT_SITE_TAGS_MAX, optarg) < 0)
				return -1;
			break;
		}
		case 'q':
			o->quiet = true;
			break;
		case O_CAP:
			if (cli_parse_size("scanwatch", "--memory-cap", optarg, &o->memory_cap) < 0)
				return -1;
			o->set_cap = true;
			break;
		case O_WORKERS: {
			uint64_t w;
			if (cli_parse_u64("scanwatch", "--workers", optarg, &w) < 0)
				return -1;
			if (w < 1 || w > CONFIG_WORKERS_MAX) {
				fprintf(stderr, "scanwatch: --workers must be from 1 to %d\n",
				        CONFIG_WORKERS_MAX);
				return -1;
			}
			o->workers = (unsigned)w;
			o->set_workers = true;
			break;
		}
		case O_SEED:
			if (cli_parse_u64("scanwatch", "--seed", optarg, &o->seed) < 0)
				return -1;
			break;
		case O_STATS:
			if (strcmp(optarg, "0") == 0)
				o->stats_interval_us = 0;
			else if (rules_parse_duration(optarg, &o->stats_interval_us) < 0) {
				fprintf(stderr,
				        "scanwatch: --stats-interval: '%s' is not a duration\n",
				        optarg);
				return -1;
			}
			break;
		case O_PIDFILE:
			o->pidfile = optarg;
			break;
		case 'T':
			o->test_config = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case O_LIST:
			for (size_t i = 0; detect_at(i); i++)
				printf("%-16s %s\n", detect_at(i)->name, detect_at(i)->summary);
			exit(0);
		case 'V':
			printf("scanwatch %s\n", SCANWATCH_VERSION);
			exit(0);
		default:
			return cli_help_or_usage_error(c, usage);
		}
	}
	if (eval_mode) {
		if (optind + 1 != argc) {
			fprintf(stderr, "scanwatch eval: give exactly one labels file\n");
			return -1;
		}
		return 0;
	}
	if (optind < argc && join_filter(o, argc, argv, optind) < 0)
		return -1;
	return 0;
}

/* After the configuration file: is there exactly one kind of input? */
static int check_input(const struct options *o)
{
	if (o->ninputs && o->iface) {
		fprintf(stderr, "scanwatch: -r and -i do not go together\n");
		return -1;
	}
	if (o->ninputs == 0 && !o->iface) {
		fprintf(stderr, "scanwatch: nothing to read: give captures with -r FILE or an "
		                "interface with -i IFACE (or `interface:` in the configuration)\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Settings from the configuration file where the command line gave none. Strings stay
 * owned by cfg, which lives as long as the options. */
static void apply_config(struct options *o, const struct sw_config *cfg)
{
	if ((cfg->present & CONFIG_INTERFACE) && !o->iface && o->ninputs == 0)
		o->iface = cfg->interface;
	if ((cfg->present & CONFIG_FILTER) && !o->filter && cfg->filter)
		o->filter = strdup(cfg->filter);
	if ((cfg->present & CONFIG_SNAPLEN) && !o->set_snaplen)
		o->snaplen = (int)cfg->snaplen;
	if (cfg->present & CONFIG_PROMISCUOUS)
		o->no_promisc = o->no_promisc || !cfg->promiscuous;
	if ((cfg->present & CONFIG_BUFFER_SIZE) && !o->set_buffer)
		o->buffer_bytes = cfg->buffer_size;
	if ((cfg->present & CONFIG_USER) && !o->user)
		o->user = cfg->user;
	if ((cfg->present & CONFIG_DATABASE) && !o->set_db)
		o->db = cfg->database;
	if ((cfg->present & CONFIG_MEMORY_CAP) && !o->set_cap)
		o->memory_cap = cfg->memory_cap;
	if ((cfg->present & CONFIG_WORKERS) && !o->set_workers)
		o->workers = cfg->workers;
	if ((cfg->present & CONFIG_STATS_INTERVAL) && !o->set_stats)
		o->stats_interval_us = cfg->stats_interval_us;
	if (cfg->present & CONFIG_ALLOW_ROOT)
		o->allow_root = o->allow_root || cfg->allow_root;
	if (cfg->present & CONFIG_SANDBOX)
		o->no_sandbox = o->no_sandbox || !cfg->sandbox;
	if (cfg->present & CONFIG_EVIDENCE)
		o->no_evidence = o->no_evidence || !cfg->evidence;
	if ((cfg->present & CONFIG_SENSOR_ID) && !o->sensor_id)
		o->sensor_id = cfg->sensor_id;
	/* --site-tag replaces the file's list rather than adding to it, as --rules does. */
	for (size_t i = 0; o->nsite_tags == 0 && i < cfg->nsite_tags; i++)
		o->site_tags[i] = cfg->site_tags[i];
	if (o->nsite_tags == 0)
		o->nsite_tags = cfg->nsite_tags;
	for (size_t i = 0; i < cfg->noutputs && o->noutputs < SENSOR_MAX_OUTPUTS; i++) {
		o->outputs[o->noutputs].type = cfg->outputs[i].type;
		o->outputs[o->noutputs].target = cfg->outputs[i].target;
		o->noutputs++;
	}
}

/* The files load_rules reads: the confined sensor keeps read access to them (SIGHUP). */
static void list_rule_files(struct options *o, const struct sw_config *cfg)
{
	o->nrule_files = 0;
	for (size_t i = 0; i < o->nrule_paths; i++)
		o->rule_files[o->nrule_files++] = o->rule_paths[i];
	if (o->config_path)
		o->rule_files[o->nrule_files++] = o->config_path;
	for (size_t i = 0; cfg && !o->nrule_paths && i < cfg->nrules && i < MAX_RULE_PATHS; i++)
		o->rule_files[o->nrule_files++] = cfg->rules[i];
}

/*
 * The rule set in force: --rules paths, else the configuration file's `rules`
 * (the file is read again, so SIGHUP picks up its edits), else the built-in
 * rules; the configuration's home_net is added to the rules' own.
 */
static int load_rules(void *ctx, struct sw_ruleset **out, char *err, size_t errlen)
{
	const struct options *o = ctx;
	struct sw_config *cfg = NULL;
	if (o->config_path && config_load(o->config_path, &cfg, err, errlen) < 0)
		return -1;
	int r;
	if (o->nrule_paths)
		r = rules_load_paths(o->rule_paths, o->nrule_paths, out, err, errlen);
	else if (cfg && cfg->nrules)
		r = rules_load_paths((const char *const *)cfg->rules, cfg->nrules, out, err,
		                     errlen);
	else
		r = rules_load_builtin(out, err, errlen);
	if (r == 0 && cfg && cfg->nhome) {
		struct sw_ruleset *rs = *out;
		struct sw_cidr *h = realloc(rs->home_net, (rs->nhome + cfg->nhome) * sizeof *h);
		if (!h) {
			snprintf(err, errlen, "out of memory");
			rules_free(rs);
			*out = NULL;
			r = -1;
		} else {
			memcpy(h + rs->nhome, cfg->home_net, cfg->nhome * sizeof *h);
			rs->home_net = h;
			rs->nhome += cfg->nhome;
		}
	}
	config_free(cfg);
	return r;
}

static int test_config(struct options *o)
{
	struct sw_ruleset *rs = NULL;
	char err[1024];
	if (load_rules(o, &rs, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return RULES_EXIT_CONFIG;
	}
	size_t enabled = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		enabled += rs->rules[i].enabled;
	printf("scanwatch: configuration OK: %zu rules (%zu enabled) from %s\n", rs->nrules,
	       enabled, rs->origin ? rs->origin : "built-in rules");
	rules_free(rs);
	return 0;
}

/*
 * --workers (or workers:), else the cores this process may run on (taskset, cgroup cpusets),
 * for a live interface and capture files alike (include/scanwatch/readahead.h). Asked here,
 * before the sandbox: sched_getaffinity is not on its list.
 */
static unsigned default_workers(unsigned asked)
{
	cpu_set_t set;

	if (asked)
		return asked;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return 1;
}

static int run_eval(struct options *o, const char *labels)
{
	struct sw_ruleset *rs = NULL;
	char err[1024];
	if (load_rules(o, &rs, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return RULES_EXIT_CONFIG;
	}
	struct eval_options eo = {
	    .labels = labels,
	    .rules = rs,
	    .memory_cap = o->memory_cap,
	    .seed = o->seed,
	    .workers = default_workers(o->workers),
	    .verbose = o->verbose,
	};
	int st = eval_run(&eo);
	rules_free(rs);
	return st;
}

int main(int argc, char **argv)
{
	struct options o;
	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return query_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "extract") == 0)
		return extract_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "collect") == 0)
		return collect_main(argc - 1, argv + 1);
	bool eval_mode = argc > 1 && strcmp(argv[1], "eval") == 0;
	if (eval_mode) {
		argv++;
		argc--;
	}
	if (parse_args(argc, argv, &o, eval_mode) < 0)
		return o.bad_target ? RULES_EXIT_CONFIG : EXIT_USAGE;
	if (eval_mode)
		return run_eval(&o, argv[optind]);
	struct sw_config *cfg = NULL;
	if (o.config_path) {
		char err[1024];
		if (config_load(o.config_path, &cfg, err, sizeof err) < 0) {
			fprintf(stderr, "%s\n", err);
			free(o.filter);
			return RULES_EXIT_CONFIG;
		}
		apply_config(&o, cfg);
	}
	if (o.test_config || check_input(&o) < 0) {
		int st = o.test_config ? test_config(&o) : EXIT_USAGE;
		config_free(cfg);
		free(o.filter);
		return st;
	}

	list_rule_files(&o, cfg);
	struct sensor_opts so = {
	    .inputs = o.inputs,
	    .ninputs = o.ninputs,
	    .iface = o.iface,
	    .filter = o.filter,
	    .snaplen = o.snaplen,
	    .promisc = !o.no_promisc,
	    .buffer_bytes = o.buffer_bytes,
	    .user = o.user,
	    .allow_root = o.allow_root,
	    .load_rules = load_rules,
	    .load_rules_ctx = &o,
	    .db = o.no_db ? NULL : o.db,
	    .memory_cap = o.memory_cap,
	    .workers = default_workers(o.workers),
	    .seed = o.seed,
	    .stats_interval_us = o.stats_interval_us,
	    .pidfile = o.pidfile,
	    .no_sandbox = o.no_sandbox,
	    .no_evidence = o.no_evidence,
	    .rule_files = o.rule_files,
	    .nrule_files = o.nrule_files,
	    .sensor_id = o.sensor_id,
	    .site_tags = o.site_tags,
	    .nsite_tags = o.nsite_tags,
	};
	if (!o.quiet)
		so.outputs[so.noutputs++] =
		    (struct sensor_output){o.json ? "console-json" : "console", "-"};
	for (size_t i = 0; i < o.noutputs && so.noutputs < SENSOR_MAX_OUTPUTS; i++)
		so.outputs[so.noutputs++] = o.outputs[i];
	int st = sensor_run(&so);
	config_free(cfg);
	free(o.filter);
	return st;
}
