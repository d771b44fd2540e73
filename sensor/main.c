/* main.c — scanwatch: arguments and lifecycle only; the work is in the modules. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/capture.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detect.h"
#include "scanwatch/emit.h"
#include "scanwatch/eval.h"
#include "scanwatch/output.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/rules.h"
#include "scanwatch/store.h"

#define EXIT_INPUT 1
#define EXIT_USAGE 2

#define MAX_INPUTS     256
#define MAX_RULE_PATHS 64

struct options {
	const char *inputs[MAX_INPUTS];
	size_t ninputs;
	const char *rule_paths[MAX_RULE_PATHS];
	size_t nrule_paths;
	const char *db;
	bool no_db;
	bool json;
	bool quiet;
	bool test_config;
	bool verbose;
	uint64_t memory_cap;
	uint64_t seed;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: scanwatch -r FILE [-r FILE ...] [options]\n"
	        "       scanwatch -T [--rules PATH ...]\n"
	        "       scanwatch eval LABELS [--rules PATH ...] [-v]\n"
	        "       scanwatch --list-detectors\n"
	        "\n"
	        "Replays pcap/pcapng captures (\"-\" is standard input, several are merged in\n"
	        "time order), detects network scans and stores each detection in SQLite.\n"
	        "\n"
	        "  -r, --read FILE        capture file to replay (repeatable)\n"
	        "      --db PATH          SQLite database (default %s)\n"
	        "      --no-db            do not store detections\n"
	        "      --rules PATH       rule file or directory (repeatable; default: built-in "
	        "rules)\n"
	        "      --json             print detections as JSON lines instead of text\n"
	        "  -q, --quiet            print no detections (summary only)\n"
	        "      --memory-cap SIZE  bound on tracking memory, e.g. 64M (default %lluM)\n"
	        "      --seed N           fixed hash key (reproducible table layout, for tests)\n"
	        "  -T, --test-config      check configuration and rules, then exit\n"
	        "  -V, --version          print the version\n"
	        "  -h, --help             this text\n"
	        "\n"
	        "Exit status: 0 success, 1 input error (detections found before it are stored),\n"
	        "2 usage error, 78 configuration error.\n",
	        SW_DEFAULT_DB, (unsigned long long)(SW_DEFAULT_MEMORY_CAP >> 20));
}

static int parse_args(int argc, char **argv, struct options *o, bool eval_mode)
{
	enum { O_DB = 256, O_NODB, O_RULES, O_JSON, O_CAP, O_SEED, O_LIST };
	static const struct option longopts[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"db", required_argument, NULL, O_DB},
	    {"no-db", no_argument, NULL, O_NODB},
	    {"rules", required_argument, NULL, O_RULES},
	    {"json", no_argument, NULL, O_JSON},
	    {"quiet", no_argument, NULL, 'q'},
	    {"memory-cap", required_argument, NULL, O_CAP},
	    {"seed", required_argument, NULL, O_SEED},
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
	int c;
	while ((c = getopt_long(argc, argv, "r:qTvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->ninputs == MAX_INPUTS) {
				fprintf(stderr, "scanwatch: at most %d capture files\n",
				        MAX_INPUTS);
				return -1;
			}
			o->inputs[o->ninputs++] = optarg;
			break;
		case O_DB:
			o->db = optarg;
			break;
		case O_NODB:
			o->no_db = true;
			break;
		case O_RULES:
			if (o->nrule_paths == MAX_RULE_PATHS) {
				fprintf(stderr, "scanwatch: at most %d rule paths\n",
				        MAX_RULE_PATHS);
				return -1;
			}
			o->rule_paths[o->nrule_paths++] = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case O_CAP:
			if (rules_parse_size(optarg, &o->memory_cap) < 0 || o->memory_cap == 0) {
				fprintf(stderr,
				        "scanwatch: --memory-cap: '%s' is not a size (e.g. 64M)\n",
				        optarg);
				return -1;
			}
			break;
		case O_SEED: {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "scanwatch: --seed: '%s' is not a number\n",
				        optarg);
				return -1;
			}
			o->seed = v;
			break;
		}
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
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (eval_mode && optind + 1 != argc) {
		fprintf(stderr, "scanwatch eval: give exactly one labels file\n");
		return -1;
	}
	if (eval_mode)
		return 0;
	if (optind < argc) {
		fprintf(stderr,
		        "scanwatch: unexpected argument '%s' (captures are given with -r)\n",
		        argv[optind]);
		return -1;
	}
	if (!o->test_config && o->ninputs == 0) {
		fprintf(stderr, "scanwatch: nothing to read: give a capture with -r FILE\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The packet path hands records to the writer thread. */
struct run {
	struct emit *emit;
	uint64_t detections;
};

static void on_detection(void *ctx, const struct sw_detection *d)
{
	struct run *run = ctx;
	if (d->phase == DET_OPEN)
		run->detections++;
	emit_push(run->emit, d);
}

static void join_inputs(const struct options *o, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < o->ninputs && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", o->inputs[i]);
}

/* {"name":count,...} of the non-zero anomaly counters; names are plain identifiers. */
static void anomalies_json(const struct decode_stats *d, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "{");
	bool first = true;
	for (int a = 0; a < ANOM__COUNT && n < len; a++) {
		if (!d->anomalies[a])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s\":%" PRIu64, first ? "" : ",",
		                      decode_anomaly_name((enum decode_anomaly)a), d->anomalies[a]);
		first = false;
	}
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

static void evictions_json(const struct pipeline_stats *s, char *buf, size_t len)
{
	snprintf(buf, len,
	         "{\"flows_full\":%" PRIu64 ",\"flows_chain\":%" PRIu64 ",\"sources_full\":%" PRIu64
	         ",\"sources_chain\":%" PRIu64 ",\"open_detections\":%" PRIu64 "}",
	         s->classify.flows.evict_full, s->classify.flows.evict_chain,
	         s->detect.entries.evict_full, s->detect.entries.evict_chain,
	         s->detect.evicted_open);
}

static void progress(const struct capture *cap, uint64_t packets, double t0)
{
	uint64_t done, total;
	capture_progress(cap, &done, &total);
	double el = mono_s() - t0;
	double pps = el > 0 ? (double)packets / el : 0;
	if (total > 0 && done > 0 && done <= total) {
		double left = el * (double)(total - done) / (double)done;
		fprintf(stderr, "\r%6.1f%%  %.1f of %.1f MB  %.0f packets/s  %.0f s left   ",
		        100.0 * (double)done / (double)total, (double)done / 1e6,
		        (double)total / 1e6, pps, left);
	} else {
		fprintf(stderr, "\r%" PRIu64 " packets  %.0f packets/s   ", packets, pps);
	}
}

static void summary(const struct pipeline_stats *s, uint64_t detections, double secs,
                    const struct emit_stats *es)
{
	uint64_t anomalies = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		anomalies += s->decode.anomalies[a];
	uint64_t evictions = s->classify.flows.evict_full + s->classify.flows.evict_chain +
	                     s->detect.entries.evict_full + s->detect.entries.evict_chain;
	fprintf(stderr,
	        "scanwatch: %" PRIu64 " packets, %.1f MB in %.2f s (%.0f packets/s); %" PRIu64
	        " detection(s); %" PRIu64 " anomalies; %" PRIu64 " evictions",
	        s->packets, (double)s->bytes / 1e6, secs,
	        secs > 0 ? (double)s->packets / secs : 0.0, detections, anomalies, evictions);
	if (es->store_errors || es->dropped)
		fprintf(stderr, "; %" PRIu64 " store errors, %" PRIu64 " records dropped",
		        es->store_errors, es->dropped);
	fputc('\n', stderr);
	for (int a = 0; a < ANOM__COUNT; a++)
		if (s->decode.anomalies[a])
			fprintf(stderr, "  anomaly %-32s %" PRIu64 "\n",
			        decode_anomaly_name((enum decode_anomaly)a),
			        s->decode.anomalies[a]);
}

static int load_rules(const struct options *o, struct sw_ruleset **rs)
{
	char err[1024];
	int r = o->nrule_paths
	            ? rules_load_paths(o->rule_paths, o->nrule_paths, rs, err, sizeof err)
	            : rules_load_builtin(rs, err, sizeof err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	bool eval_mode = argc > 1 && strcmp(argv[1], "eval") == 0;
	if (eval_mode) {
		argv++;
		argc--;
	}
	if (parse_args(argc, argv, &o, eval_mode) < 0)
		return EXIT_USAGE;

	struct sw_ruleset *rs = NULL;
	if (load_rules(&o, &rs) < 0)
		return RULES_EXIT_CONFIG;
	if (eval_mode) {
		struct eval_options eo = {
		    .labels = argv[optind],
		    .rules = rs,
		    .memory_cap = o.memory_cap,
		    .seed = o.seed,
		    .verbose = o.verbose,
		};
		int st = eval_run(&eo);
		rules_free(rs);
		return st;
	}
	if (o.test_config) {
		size_t enabled = 0;
		for (size_t i = 0; i < rs->nrules; i++)
			enabled += rs->rules[i].enabled;
		printf("scanwatch: configuration OK: %zu rules (%zu enabled) from %s\n", rs->nrules,
		       enabled, rs->origin ? rs->origin : "built-in rules");
		rules_free(rs);
		return 0;
	}

	int status = 0;
	char err[1024];
	char input[4096];
	struct store *store = NULL;
	struct capture *cap = NULL;
	struct pipeline *pl = NULL;
	struct emit_sink sink = {0};
	size_t nsinks = 0;
	struct run run = {0};
	int64_t run_id = 0;

	cap = capture_open_files(o.inputs, o.ninputs, err, sizeof err);
	if (!cap) {
		fprintf(stderr, "scanwatch: %s\n", err);
		status = EXIT_INPUT;
		goto out;
	}
	if (!o.no_db) {
		store = store_open(o.db, err, sizeof err);
		if (!store) {
			fprintf(stderr, "scanwatch: %s\n", err);
			status = EXIT_INPUT;
			goto out;
		}
		join_inputs(&o, input, sizeof input);
		run_id = store_run_begin(store, input, rs->origin, wall_us());
		if (run_id < 0) {
			fprintf(stderr, "scanwatch: %s: %s\n", o.db, store_error(store));
			status = EXIT_INPUT;
			goto out;
		}
	}
	if (!o.quiet) {
		sink.ops = output_lookup(o.json ? "console-json" : "console");
		sink.state = sink.ops ? sink.ops->open("-", err, sizeof err) : NULL;
		if (!sink.state) {
			fprintf(stderr, "scanwatch: console output: %s\n",
			        sink.ops ? err : "missing");
			status = EXIT_INPUT;
			goto out;
		}
		nsinks = 1;
	}
	/* Replay blocks when the writer falls behind: forensics loses nothing. */
	run.emit = emit_start(store, run_id, &sink, nsinks, 1024, true);
	if (!run.emit) {
		fprintf(stderr, "scanwatch: cannot start the writer thread\n");
		status = EXIT_INPUT;
		goto out;
	}
	struct pipeline_config pc = {
	    .rules = rs,
	    .memory_cap = o.memory_cap,
	    .seed = o.seed,
	    .emit = on_detection,
	    .emit_ctx = &run,
	};
	pl = pipeline_create(&pc, err, sizeof err);
	if (!pl) {
		fprintf(stderr, "scanwatch: %s\n", err);
		status = EXIT_INPUT;
		goto out;
	}

	bool tty = isatty(STDERR_FILENO);
	double t0 = mono_s(), next_progress = t0 + 0.5;
	struct capture_packet cp;
	int r;
	uint64_t n = 0;
	while ((r = capture_next(cap, &cp, err, sizeof err)) == 1) {
		pipeline_packet(pl, &cp);
		if (tty && (++n & 0xffff) == 0 && mono_s() >= next_progress) {
			progress(cap, n, t0);
			next_progress = mono_s() + 0.5;
		}
	}
	if (tty && n > 0xffff)
		fprintf(stderr, "\r%*s\r", 72, "");
	if (r < 0) {
		fprintf(stderr, "scanwatch: %s\n", err);
		status = EXIT_INPUT;
	}
	pipeline_finish(pl);
	double secs = mono_s() - t0;

	/* Everything pushed is written before the run row records the totals. */
	struct emit_stats es;
	emit_flush(run.emit);
	emit_get_stats(run.emit, &es);
	struct pipeline_stats ps;
	pipeline_get_stats(pl, &ps);
	if (store) {
		char anom[2048], evict[512];
		anomalies_json(&ps.decode, anom, sizeof anom);
		evictions_json(&ps, evict, sizeof evict);
		struct store_run_end end = {
		    .ended_us = wall_us(),
		    .first_ts_us = ps.first_ts,
		    .last_ts_us = ps.last_ts,
		    .packets = ps.packets,
		    .bytes = ps.bytes,
		    .detections = run.detections,
		    .anomalies_json = anom,
		    .evictions_json = evict,
		    .status = status,
		    .error = status ? err : NULL,
		};
		if (store_run_finish(store, run_id, &end) < 0) {
			fprintf(stderr, "scanwatch: %s: %s\n", o.db, store_error(store));
			if (!status)
				status = EXIT_INPUT;
		}
	}
	emit_stop(run.emit);
	run.emit = NULL;
	summary(&ps, run.detections, secs, &es);
out:
	if (run.emit)
		emit_stop(run.emit);
	if (sink.state)
		sink.ops->close(sink.state);
	pipeline_destroy(pl);
	capture_close(cap);
	store_close(store);
	rules_free(rs);
	return status;
}
