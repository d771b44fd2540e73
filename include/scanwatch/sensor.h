/* sensor.h — the sensor's lifecycle: inputs, sinks and store up, the packet loop, signals, stats.
 */
#ifndef SCANWATCH_SENSOR_H
#define SCANWATCH_SENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/rules.h"

#define SENSOR_MAX_OUTPUTS 16

struct sensor_output {
	const char *type;   /* registry name: console, console-json, jsonl, syslog, cef */
	const char *target; /* "-", a path or a URL */
};

/*
 * Loads the rule set in force (at start and on SIGHUP): the caller decides
 * where rules come from (command line, configuration file, built-in). 0, or
 * -1 with "FILE:LINE:COL: what is wrong" in err.
 */
typedef int (*sensor_rules_fn)(void *ctx, struct sw_ruleset **out, char *err, size_t errlen);

struct sensor_opts {
	/* input: capture files, or a live interface */
	const char *const *inputs;
	size_t ninputs;
	const char *iface;
	const char *filter; /* BPF expression, for files and live */
	int snaplen;
	bool promisc;
	uint64_t buffer_bytes;
	/* privileges */
	const char *user; /* -Z */
	bool allow_root;
	/* rules */
	sensor_rules_fn load_rules;
	void *load_rules_ctx;
	/* results */
	const char *db; /* NULL: no database */
	struct sensor_output outputs[SENSOR_MAX_OUTPUTS];
	size_t noutputs;
	/* tracking */
	uint64_t memory_cap;
	unsigned workers; /* threads on the packet path (pipeline_config.workers) */
	uint64_t seed;
	bool no_evidence; /* keep no evidence packets (--no-evidence, `evidence: false`) */
	/* live operation */
	uint64_t stats_interval_us;
	const char *pidfile;
	/* confinement (sandbox.c): on unless turned off; the files load_rules reads */
	bool no_sandbox;
	const char *const *rule_files; /* rule files and directories, configuration file */
	size_t nrule_files;
	/* identity (output_set_identity): NULL sensor_id is the host name */
	const char *sensor_id;
	const char *const *site_tags;
	size_t nsite_tags;
};

/* Runs until the input ends (files) or SIGTERM/SIGINT (live). Returns the exit status:
 * 0, 1 (input or runtime error), or 78 (configuration error at start). */
int sensor_run(const struct sensor_opts *o);

#endif
