/* output.h — output plugins: each renders struct sw_detection for one kind of sink. */
#ifndef SCANWATCH_OUTPUT_H
#define SCANWATCH_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/detection.h"

/*
 * Delivery counters of an output that sends over the network (syslog, CEF
 * over syslog); outputs writing files have none.
 */
struct output_counters {
	uint64_t sent;       /* messages handed to the kernel */
	uint64_t dropped;    /* messages lost: backlog full, or still waiting at close */
	uint64_t reconnects; /* connections to the collector re-established */
	uint64_t failures;   /* connect attempts and sends that failed */
	uint32_t backlog;    /* messages waiting for the collector now */
	uint32_t backlog_max;
	bool connected;
	bool has_acked; /* the output learns of delivery (NATS JetStream publish acks) */
	uint64_t acked; /* messages the broker acknowledged (stored) */
};

/*
 * Called only from the emit writer thread, never from the packet path.
 *  open    target is the plugin's destination ("-" for stdout, a path, a URL);
 *          returns a state pointer owned by the plugin, or NULL with err set.
 *  write   renders one record; 0, or -1 when it could not be delivered.
 *  flush   pushes buffered output out (end of a batch).
 *  reopen  reopens files after SIGHUP (logrotate `create`); may be NULL.
 *  close   flushes and frees the state.
 *  tick    optional: called by the writer thread at least every EMIT_TICK_MS
 *          (see emit.c) even when no record arrives, so an output can retry
 *          a lost connection and send its backlog; must not block.
 *  counters optional: copies the delivery counters; unlike every other
 *          callback it may be called from any thread (statistics).
 */
/* Where an output may write: the kinds of target its open takes. */
enum output_target {
	OUTPUT_TARGET_STDOUT = 1, /* "-" */
	OUTPUT_TARGET_FILE = 2,   /* a path, appended to */
	OUTPUT_TARGET_NET = 4,    /* udp://HOST[:PORT][?OPTIONS] or tcp://... */
	OUTPUT_TARGET_NATS = 8,   /* nats://[USER:PASS@|TOKEN@]HOST[:PORT][?OPTIONS] */
};

/*
 * The registry's entry of one output; a new output is one file defining one of these and one
 * line in output.c's table (sensor/output_template.c is the file to copy).
 *  name    the type the configuration and the registry use ("jsonl")
 *  targets where it may write: enum output_target bits; the configuration file and the
 *          command line refuse other targets before open is called
 *  check_url  required when targets has OUTPUT_TARGET_NET: checks a URL exactly as open will
 *          read it, opening nothing; 0, or -1 with what is wrong in err
 */
struct output_ops {
	const char *name;
	unsigned targets;
	int (*check_url)(const char *url, char *err, size_t errlen);
	void *(*open)(const char *target, char *err, size_t errlen);
	int (*write)(void *state, const struct sw_detection *d);
	void (*flush)(void *state);
	int (*reopen)(void *state);
	void (*close)(void *state);
	void (*tick)(void *state);
	void (*counters)(void *state, struct output_counters *out);
	/*
	 * optional: files the output still reads once the sensor is confined (the sandbox
	 * keeps them readable): up to max paths into out, borrowed from the state; returns how
	 * many. The NATS client reads its credentials and certificates when it connects.
	 */
	size_t (*confine_read)(void *state, const char **out, size_t max);
};

/* Registry lookup by name ("console", "console-json", "jsonl" ...); NULL if unknown. */
const struct output_ops *output_lookup(const char *name);
/* The i-th output of the registry, NULL past the last: to list them. */
const struct output_ops *output_at(size_t i);
/*
 * Checks that target is one ops may write to: "-", a URL (checked by ops->check_url, so the
 * configuration file and the command line accept exactly what open will), or a file path.
 * Returns its enum output_target kind, or -1 with a message in err that shows the target as
 * shown (the caller's rendering of it, for example cut and escaped from a file).
 */
int output_check_target(const struct output_ops *ops, const char *target, const char *shown,
                        char *err, size_t errlen);

/* Counters of one opened output: 0, or -1 (out zeroed) when it keeps none. Any thread. */
int output_get_counters(const struct output_ops *ops, void *state, struct output_counters *out);

/*
 * What the outputs report about the sensor itself (ECS observer.*, CEF
 * deviceInboundInterface): the capture interface, or NULL for a replay. Call
 * before the outputs are opened; the string is copied.
 */
void output_set_observer(const char *interface);
/* The interface set above, or NULL. */
const char *output_observer_interface(void);
/*
 * The host name the outputs report (gethostname, resolved once, "-" when it
 * is empty or not printable ASCII as RFC 5424 section 6.2.4 requires).
 */
const char *output_hostname(void);

/*
 * The sensor's identity (issue 19), carried in every record of every sink: a sensor id (ECS
 * observer.name and agent.id, CEF dvchost, the syslog SD-PARAM sensor, the NATS subject) and
 * site tags KEY=VALUE (ECS labels, syslog siteTags, CEF flexString1). Set once at start-up,
 * before the outputs open; the strings are copied. NULL or "" sensor_id: the host name.
 */
#define OUTPUT_SENSOR_ID_MAX 64 /* characters of a sensor id */
#define OUTPUT_SITE_TAGS_MAX 8  /* site tags a sensor carries */
#define OUTPUT_SITE_TAG_MAX  96 /* characters of one KEY=VALUE tag */
#define OUTPUT_SITE_KEY_MAX  32 /* characters of its KEY (an RFC 5424 SD-NAME is at most 32) */
/*
 * A sensor id is 1 to 64 of [A-Za-z0-9._-]: it names a NATS subject token (no '*', '>' or
 * space; '.' becomes '_' there) and a syslog SD-PARAM value. 0, or -1 with why in err.
 */
int output_check_sensor_id(const char *id, char *err, size_t errlen);
/* A site tag is KEY=VALUE: KEY 1 to 32 of [A-Za-z0-9_], VALUE 1 to 63 of [A-Za-z0-9._:/@+-]
 * (nothing a syslog SD-PARAM, CEF or NATS header would have to escape). 0 or -1 (err). */
int output_check_site_tag(const char *tag, char *err, size_t errlen);
/* Sets the identity; ids and tags must have passed the checks above. 0, or -1 (err). */
int output_set_identity(const char *sensor_id, const char *const *tags, size_t ntags, char *err,
                        size_t errlen);
/* The sensor id in force: the configured one, else the host name (output_hostname). */
const char *output_sensor_id(void);
/* The site tags ("KEY=VALUE"); *n their number. */
const char *const *output_site_tags(size_t *n);
/* The tags joined with commas, for one-string fields (syslog siteTags, CEF flexString1). */
size_t output_join_site_tags(char *buf, size_t len);
/*
 * This run of the sensor, unique across its runs: the wall clock in microseconds when the
 * identity was set, in decimal (ECS agent.ephemeral_id, the NATS message id). Readers of the
 * records (the collector) tell two runs of one sensor apart by it.
 */
const char *output_run_token(void);

/* ISO 8601 / RFC 3339 UTC with microseconds ("2026-11-26T04:28:29.123456Z"), NUL included. */
#define OUTPUT_TIME_MAX 32
/* Formats us (microseconds since the epoch) into buf; returns buf. */
const char *output_format_time(char buf[OUTPUT_TIME_MAX], uint64_t us);

/*
 * The time a record is about: its opening (DET_OPEN), its end (DET_CLOSE with
 * closed_at set), else its latest probe. Used as the syslog TIMESTAMP, the CEF
 * rt and the ECS @timestamp.
 */
uint64_t output_event_time(const struct sw_detection *d);

/*
 * A file destination shared by the outputs that write lines to a file or stdout
 * (jsonl, cef, console): opened for appending, reopened after logrotate.
 */
struct output_file {
	int fd;     /* the file, STDOUT_FILENO, or -1 when not open */
	char *path; /* owned copy of the path; NULL for stdout */
};

/*
 * Opens path for appending (created 0640) and returns the descriptor, or -1
 * with err set to "path: reason".
 */
int output_file_append(const char *path, char *err, size_t errlen);
/* target "-" or NULL is stdout, anything else a path for output_file_append; 0 or -1 (err). */
int output_file_open(struct output_file *f, const char *target, char *err, size_t errlen);
/* Writes all of buf in one write(2) where the kernel takes it; 0, or -1. */
int output_file_write(const struct output_file *f, const char *buf, size_t n);
/*
 * logrotate `create`: opens a fresh file at the path and closes the old one; on
 * failure says so on stderr ("scanwatch: <name> output: ...") and keeps
 * writing to the old file. 0 (also for stdout), or -1.
 */
int output_file_reopen(struct output_file *f, const char *name);
/* Closes the file (never stdout) and frees the path; f is left closed. */
void output_file_close(struct output_file *f);

/* One item of d->tags, with its length (never past DET_TAG_MAX bytes). */
struct output_tag {
	const char *p;
	size_t n;
};
#define OUTPUT_TAGS_MAX DET_TAGS_MAX
/* The record's tags as at most max items, empty ones skipped. */
size_t output_split_tags(const struct sw_detection *d, struct output_tag *out, size_t max);
/* The tags joined with commas ("T1046,T1595.001") for sinks whose field is one string
 * (CEF cs3, the syslog SD-PARAM); whole ids only. Returns the length written. */
#define OUTPUT_TAGS_JOINED (DET_TAGS_MAX * DET_TAG_MAX)
size_t output_join_tags(const struct sw_detection *d, char *buf, size_t len);

struct json_writer;
/* "key":"s" for a fixed-size, maybe unterminated field: never reads past size bytes. */
void output_json_field(struct json_writer *w, const char *key, const char *s, size_t size);
/* "evidence": the reasons' words joined with "; ", then "reasons": [{"name", "count",
 * "text"}, ...], the same reasons as data. */
void output_json_evidence(struct json_writer *w, const struct sw_detection *d);
/* "key":"time" in output_format_time's form. */
void output_json_time(struct json_writer *w, const char *key, uint64_t us);
/*
 * The counters and samples both JSON forms share: probes, probes_at_open,
 * distinct_targets, distinct_ports, sample_ports and sample_targets.
 */
void output_json_counts(struct json_writer *w, const struct sw_detection *d);
/* "key":[addresses]: the first min(n, max) of a. */
void output_json_addrs(struct json_writer *w, const char *key, const struct sw_addr *a, unsigned n,
                       unsigned max);

/*
 * "exposure": what the scanner learned, when anything answered it (nothing is written
 * otherwise): {"answers", "unlisted_answers", "services_count", "hosts_count", "services":
 * [{"ip", "transport", "port", "answer", "answers"}], "hosts": [{"ip", "answer", "answers"}]}
 * (ECS-style names: ip, transport and port as in source.* and network.*).
 */
void output_json_exposure(struct json_writer *w, const struct sw_detection *d);
/*
 * The exposure list joined for one-string sinks (syslog, CEF): "198.18.1.2 22/tcp x1,..."
 * (detection_exposed_text, then " x" and the answers); whole items only, as many as fit in
 * len - 1 bytes. Those sinks give it OUTPUT_EXPOSURE_JOINED bytes, so a record with its
 * 64 items still fits one RFC 5426 datagram (2048 bytes) beside the rest of the record; their
 * service and host counts say when the list was cut (the store and JSON hold it whole).
 * Returns the length.
 */
#define OUTPUT_EXPOSURE_JOINED 1024
size_t output_join_exposure(const struct sw_detection *d, char *buf, size_t len);

/*
 * Renders d as one JSON object (no newline) into buf; returns the length, or
 * -1 when buf is too small. Shared by the console --json mode and tests. The
 * console's line holds OUTPUT_CONSOLE_LINE_MAX bytes, the newline included
 * (output_console.c says why that size).
 */
#define OUTPUT_CONSOLE_LINE_MAX 49152
int output_json_render(const struct sw_detection *d, char *buf, size_t len);

/*
 * The ECS JSON object of the jsonl output (output_jsonl.c), without the newline, into buf;
 * msg (msglen bytes) is scratch for its message. The length, or -1 when buf is too small. The
 * NATS output publishes exactly this, so a record reads the same from a file or the stream.
 */
#define OUTPUT_JSONL_LINE_MAX 65536
int output_jsonl_render(const struct sw_detection *d, char *buf, size_t len, char *msg,
                        size_t msglen);

#endif
