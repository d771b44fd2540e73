/* config.h — the sensor's own YAML configuration (-c FILE): capture, storage, outputs, rules. */
#ifndef SCANWATCH_CONFIG_H
#define SCANWATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/addr.h"

/* The file systemd units and packages use; read only when -c names it. */
#define CONFIG_DEFAULT_PATH "/etc/scanwatch/scanwatch.yaml"
/* Statistics interval when the file does not set one. */
#define CONFIG_STATS_INTERVAL_DEFAULT_US (60ull * 1000000ull)

/* The most threads `workers` may ask for. */
#define CONFIG_WORKERS_MAX 256

/* Which keys the file set (bits of sw_config.present): command-line flags override them. */
enum config_key {
	CONFIG_INTERFACE = 1u << 0,
	CONFIG_FILTER = 1u << 1,
	CONFIG_SNAPLEN = 1u << 2,
	CONFIG_PROMISCUOUS = 1u << 3,
	CONFIG_BUFFER_SIZE = 1u << 4,
	CONFIG_USER = 1u << 5,
	CONFIG_DATABASE = 1u << 6,
	CONFIG_MEMORY_CAP = 1u << 7,
	CONFIG_STATS_INTERVAL = 1u << 8,
	CONFIG_HOME_NET = 1u << 9,
	CONFIG_RULES = 1u << 10,
	CONFIG_OUTPUTS = 1u << 11,
	CONFIG_ALLOW_ROOT = 1u << 12,
	CONFIG_SANDBOX = 1u << 13,
	CONFIG_WORKERS = 1u << 14,
	CONFIG_SENSOR_ID = 1u << 15,
	CONFIG_SITE_TAGS = 1u << 16,
	CONFIG_EVIDENCE = 1u << 17,
};

/* One output: type is a name of the output registry (output_lookup), target checked by
 * output_check_target. */
struct sw_config_output {
	char *type;
	/* "-" (standard output), a file path, or a URL: udp://HOST[:PORT][?OPTIONS], tcp://... */
	char *target;
	int line; /* where it was defined, for messages when opening it fails */
};

/*
 * Every string and array is owned by the struct and freed by config_free().
 * Absent keys leave strings NULL, counts 0 and numbers at the defaults
 * noted; `present` says which keys the file set. Relative paths (database,
 * rules, file targets) are resolved against the config file's directory,
 * so a config works the same whatever directory the daemon starts in.
 */
struct sw_config {
	char *path;       /* the file read */
	unsigned present; /* enum config_key bits */
	char *interface;
	char *filter;         /* BPF expression, compiled by the capture module */
	uint32_t snaplen;     /* 64..262144; 0 when absent */
	uint32_t workers;     /* 1..CONFIG_WORKERS_MAX; 0 when absent */
	bool promiscuous;     /* false when absent: check present */
	uint64_t buffer_size; /* bytes; 0 when absent */
	char *user;           /* -Z */
	char *database;
	uint64_t memory_cap;        /* bytes; 0 when absent */
	uint64_t stats_interval_us; /* CONFIG_STATS_INTERVAL_DEFAULT_US when absent */
	struct sw_cidr *home_net;
	size_t nhome;
	char **rules; /* files or directories, in the file's order */
	size_t nrules;
	struct sw_config_output *outputs;
	size_t noutputs;
	bool allow_root;
	bool sandbox;     /* true when absent: check present */
	char *sensor_id;  /* NULL: the host name (output_set_identity) */
	char **site_tags; /* KEY=VALUE, checked by output_check_site_tag */
	size_t nsite_tags;
	bool evidence; /* keep evidence packets; true when absent: check present */
};

/*
 * Reads and checks path strictly: unknown or duplicate keys, wrong types and
 * out-of-range values are errors. On error returns -1 with
 * "FILE:LINE:COL: what is wrong" (or "FILE: reason" when it cannot be read)
 * in err and *out untouched; the caller exits with RULES_EXIT_CONFIG (78).
 * An empty file (or one holding only comments) is valid and sets nothing.
 * The caller owns *out and frees it with config_free().
 */
int config_load(const char *path, struct sw_config **out, char *err, size_t errlen);
/* Frees cfg and every string and array it owns; NULL is a no-op. */
void config_free(struct sw_config *cfg);

#endif
