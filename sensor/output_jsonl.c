/* output_jsonl.c — the "jsonl" output: one Elastic Common Schema (ECS 8.x) JSON object per
 * detection record. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/json.h"
#include "scanwatch/output.h"
#include "scanwatch/output_syslog.h"

/*
 * Field names and types follow the ECS field reference, version 8.11
 * (https://www.elastic.co/guide/en/ecs/8.11/ecs-field-reference.html):
 * base (@timestamp, message, tags), ecs, event, rule, threat, source,
 * destination, network, observer, related. Fields ECS has no name for live
 * under the custom top-level object "scanwatch" (ECS "custom fields" advice:
 * one namespace named after the product, so they never clash with a future
 * ECS field).
 */
#define JSONL_ECS_VERSION "8.11.0"

#ifndef SCANWATCH_VERSION
#define SCANWATCH_VERSION "unknown"
#endif

/*
 * Worst-case record: the evidence (DET_EVIDENCE_TEXT bytes) escaped at six
 * bytes a byte three times (joined, as reasons, and in the MSG), rule name and
 * tags likewise, 18 addresses in samples and up to 18 more in related.ip:
 * about 36 KiB. 64 KiB leaves room for fields added later.
 */
#define JSONL_LINE_MAX OUTPUT_JSONL_LINE_MAX

struct jsonl {
	struct output_file file;
	char line[JSONL_LINE_MAX];
	char msg[JSONL_LINE_MAX / 4];
};

/*
 * MITRE ATT&CK Enterprise techniques the shipped rules tag
 * (https://attack.mitre.org/techniques/). A sub-technique names its parent;
 * each technique its tactic. Tags not in this table still appear in "tags".
 */
struct attack {
	const char *id, *name, *parent, *tactic_id, *tactic_name;
};

static const struct attack attack_table[] = {
    {"T1046", "Network Service Discovery", NULL, "TA0007", "Discovery"},
    {"T1595", "Active Scanning", NULL, "TA0043", "Reconnaissance"},
    {"T1595.001", "Scanning IP Blocks", "T1595", "TA0043", "Reconnaissance"},
    {"T1595.002", "Vulnerability Scanning", "T1595", "TA0043", "Reconnaissance"},
    {"T1018", "Remote System Discovery", NULL, "TA0007", "Discovery"},
    {"T1082", "System Information Discovery", NULL, "TA0007", "Discovery"},
    {"T1498", "Network Denial of Service", NULL, "TA0040", "Impact"},
    {"T1498.001", "Direct Network Flood", "T1498", "TA0040", "Impact"},
    {"T1499", "Endpoint Denial of Service", NULL, "TA0040", "Impact"},
    {"T1499.001", "OS Exhaustion Flood", "T1499", "TA0040", "Impact"},
    {"T1499.002", "Service Exhaustion Flood", "T1499", "TA0040", "Impact"},
};

#define ATTACK_N (sizeof(attack_table) / sizeof(attack_table[0]))

static const struct attack *attack_find(const char *id, size_t n)
{
	for (size_t i = 0; i < ATTACK_N; i++)
		if (strlen(attack_table[i].id) == n && memcmp(attack_table[i].id, id, n) == 0)
			return &attack_table[i];
	return NULL;
}

/* Adds e to set (of n) unless present; returns the new n. */
static size_t add_unique(const struct attack **set, size_t n, const struct attack *e)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == e)
			return n;
	set[n] = e;
	return n + 1;
}

static void attack_arrays(struct json_writer *w, const struct attack *const *set, size_t n,
                          bool tactic)
{
	char url[96];

	json_key(w, "id");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++)
		json_string(w, tactic ? set[i]->tactic_id : set[i]->id);
	json_array_end(w);
	json_key(w, "name");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++)
		json_string(w, tactic ? set[i]->tactic_name : set[i]->name);
	json_array_end(w);
	json_key(w, "reference");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		if (tactic) {
			snprintf(url, sizeof(url), "https://attack.mitre.org/tactics/%s/",
			         set[i]->tactic_id);
		} else if (set[i]->parent != NULL) {
			/* Sub-techniques live at .../techniques/T1595/001/. */
			snprintf(url, sizeof(url), "https://attack.mitre.org/techniques/%s/%s/",
			         set[i]->parent, set[i]->id + strlen(set[i]->parent) + 1);
		} else {
			snprintf(url, sizeof(url), "https://attack.mitre.org/techniques/%s/",
			         set[i]->id);
		}
		json_string(w, url);
	}
	json_array_end(w);
}

/* threat.*: techniques, their sub-techniques (ECS threat.technique.subtechnique.*) and
 * tactics, each a set of parallel arrays; nothing when no tag is known. */
static void render_threat(struct json_writer *w, const struct output_tag *tags, size_t ntags)
{
	const struct attack *tech[OUTPUT_TAGS_MAX * 2], *sub[OUTPUT_TAGS_MAX],
	    *tactic[OUTPUT_TAGS_MAX * 2];
	size_t nt = 0, ns = 0, na = 0;

	for (size_t i = 0; i < ntags; i++) {
		const struct attack *a = attack_find(tags[i].p, tags[i].n), *parent = a;

		if (a == NULL)
			continue;
		if (a->parent != NULL) {
			ns = add_unique(sub, ns, a);
			parent = attack_find(a->parent, strlen(a->parent));
		}
		if (parent != NULL)
			nt = add_unique(tech, nt, parent);
	}
	/* One tactic entry per distinct tactic id. */
	for (size_t i = 0; i < nt; i++) {
		bool seen = false;

		for (size_t k = 0; k < na; k++)
			seen |= strcmp(tactic[k]->tactic_id, tech[i]->tactic_id) == 0;
		if (!seen)
			tactic[na++] = tech[i];
	}
	if (nt == 0)
		return;
	json_key(w, "threat");
	json_object_begin(w);
	json_kv_string(w, "framework", "MITRE ATT&CK");
	json_key(w, "tactic");
	json_object_begin(w);
	attack_arrays(w, tactic, na, true);
	json_object_end(w);
	json_key(w, "technique");
	json_object_begin(w);
	attack_arrays(w, tech, nt, false);
	if (ns > 0) {
		json_key(w, "subtechnique");
		json_object_begin(w);
		attack_arrays(w, sub, ns, false);
		json_object_end(w);
	}
	json_object_end(w);
	json_object_end(w);
}

/* IANA protocol keyword (ECS network.transport), or NULL for one ECS has no name for. */
static const char *transport_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "ipv6-icmp";
	case 132:
		return "sctp";
	}
	return NULL;
}

/* related.ip (ECS: every IP seen in the event, for pivoting), each address once. */
static void render_related(struct json_writer *w, const struct sw_detection *d)
{
	struct sw_addr all[2 + DET_SAMPLE_TARGETS + DET_SAMPLE_SOURCES];
	char text[ADDR_TEXT_MAX];
	size_t n = 0;

	if (!d->src_any)
		all[n++] = d->src;
	if (d->has_target)
		all[n++] = d->target;
	for (unsigned i = 0; i < d->n_sample_targets && i < DET_SAMPLE_TARGETS; i++)
		all[n++] = d->sample_targets[i];
	for (unsigned i = 0; i < d->n_sample_sources && i < DET_SAMPLE_SOURCES; i++)
		all[n++] = d->sample_sources[i];
	json_key(w, "related");
	json_object_begin(w);
	json_key(w, "ip");
	json_array_begin(w);
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t k = 0; k < i && !dup; k++)
			dup = addr_eq(&all[k], &all[i]);
		if (!dup)
			json_string(w, addr_format(&all[i], text));
	}
	json_array_end(w);
	json_object_end(w);
}

/* labels (ECS base field: key/value keywords) from the site tags KEY=VALUE; none: absent. */
static void render_labels(struct json_writer *w)
{
	size_t n;
	const char *const *tags = output_site_tags(&n);

	if (n == 0)
		return;
	json_key(w, "labels");
	json_object_begin(w);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(tags[i], '=');
		char key[OUTPUT_SITE_KEY_MAX + 1];

		if (eq == NULL) /* output_set_identity checked every tag: cannot happen */
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - tags[i]), tags[i]);
		json_kv_string(w, key, eq + 1);
	}
	json_object_end(w);
}

/* An address that tells the record's family: the source, else the target, else a sample. */
static const struct sw_addr *family_addr(const struct sw_detection *d)
{
	if (!d->src_any)
		return &d->src;
	if (d->has_target)
		return &d->target;
	if (d->n_sample_targets > 0)
		return &d->sample_targets[0];
	if (d->n_sample_sources > 0)
		return &d->sample_sources[0];
	return NULL;
}

int output_jsonl_render(const struct sw_detection *d, char *buf, size_t len, char *msg,
                        size_t msglen)
{
	static const char *const types[] = {
	    [DET_OPEN] = "start", [DET_UPDATE] = "info", [DET_CLOSE] = "end"};
	struct json_writer w;
	struct output_tag tags[OUTPUT_TAGS_MAX];
	size_t ntags = output_split_tags(d, tags, OUTPUT_TAGS_MAX);
	char addr[ADDR_TEXT_MAX], id[24];
	const char *transport = transport_name(d->proto), *iface = output_observer_interface();
	const struct sw_addr *fam = family_addr(d);
	bool closing = d->phase == DET_CLOSE && d->closed_at != 0;

	if (d->phase > DET_CLOSE)
		return -1;
	if (output_syslog_render_msg(d, msg, msglen) < 0)
		msg[0] = '\0';
	json_init(&w, buf, len);
	json_object_begin(&w);
	output_json_time(&w, "@timestamp", output_event_time(d));
	json_kv_string(&w, "message", msg);
	json_key(&w, "ecs");
	json_object_begin(&w);
	json_kv_string(&w, "version", JSONL_ECS_VERSION);
	json_object_end(&w);

	json_key(&w, "event");
	json_object_begin(&w);
	json_kv_string(&w, "kind", "alert");
	json_key(&w, "category");
	json_array_begin(&w);
	json_string(&w, "network");
	json_string(&w, "intrusion_detection");
	json_array_end(&w);
	json_key(&w, "type");
	json_array_begin(&w);
	json_string(&w, types[d->phase]);
	json_array_end(&w);
	json_kv_string(&w, "action", detection_kind_name((enum sw_kind)d->kind));
	json_kv_string(&w, "module", "scanwatch");
	json_kv_string(&w, "dataset", "scanwatch.detection");
	/* event.id is a keyword: the run-unique sequence number that ties the records of one
	 * detection together. */
	snprintf(id, sizeof(id), "%" PRIu64, d->seq);
	json_kv_string(&w, "id", id);
	json_kv_uint(&w, "severity", d->severity);
	output_json_time(&w, "start", d->first_seen);
	if (closing) {
		output_json_time(&w, "end", d->closed_at);
		/* event.duration is in nanoseconds (ECS). */
		json_kv_uint(&w, "duration",
		             d->closed_at > d->first_seen ? (d->closed_at - d->first_seen) * 1000
		                                          : 0);
	}
	json_object_end(&w);

	json_key(&w, "rule");
	json_object_begin(&w);
	output_json_field(&w, "id", d->rule_id, sizeof(d->rule_id));
	output_json_field(&w, "name", d->rule_name, sizeof(d->rule_name));
	json_kv_string(&w, "ruleset", "scanwatch");
	json_object_end(&w);

	render_threat(&w, tags, ntags);

	if (!d->src_any) {
		json_key(&w, "source");
		json_object_begin(&w);
		json_kv_string(&w, "ip", addr_format(&d->src, addr));
		json_object_end(&w);
	}
	if (d->has_target) {
		json_key(&w, "destination");
		json_object_begin(&w);
		json_kv_string(&w, "ip", addr_format(&d->target, addr));
		json_object_end(&w);
	}
	if (transport != NULL || d->proto != 0 || fam != NULL) {
		json_key(&w, "network");
		json_object_begin(&w);
		if (transport != NULL)
			json_kv_string(&w, "transport", transport);
		if (d->proto != 0) {
			snprintf(id, sizeof(id), "%u", d->proto);
			json_kv_string(&w, "iana_number", id);
		}
		if (fam != NULL)
			json_kv_string(&w, "type", addr_is_v4(fam) ? "ipv4" : "ipv6");
		json_object_end(&w);
	}

	/* The sensor's identity (issue 19): observer.name is "the custom name of the observer"
	 * (ECS observer fields), agent.id the unique id of the agent, agent.ephemeral_id the
	 * id that changes when it restarts: this run. */
	json_key(&w, "agent");
	json_object_begin(&w);
	json_kv_string(&w, "id", output_sensor_id());
	json_kv_string(&w, "name", output_sensor_id());
	json_kv_string(&w, "type", "scanwatch");
	json_kv_string(&w, "version", SCANWATCH_VERSION);
	json_kv_string(&w, "ephemeral_id", output_run_token());
	json_object_end(&w);
	render_labels(&w);

	json_key(&w, "observer");
	json_object_begin(&w);
	json_kv_string(&w, "name", output_sensor_id());
	json_kv_string(&w, "hostname", output_hostname());
	json_kv_string(&w, "product", "scanwatch");
	json_kv_string(&w, "vendor", "scanwatch");
	json_kv_string(&w, "version", SCANWATCH_VERSION);
	json_kv_string(&w, "type", "ids");
	if (iface != NULL) {
		json_key(&w, "ingress");
		json_object_begin(&w);
		json_key(&w, "interface");
		json_object_begin(&w);
		json_kv_string(&w, "name", iface);
		json_object_end(&w);
		json_object_end(&w);
	}
	json_object_end(&w);

	render_related(&w, d);
	json_key(&w, "tags");
	json_array_begin(&w);
	for (size_t i = 0; i < ntags; i++)
		json_string_n(&w, tags[i].p, tags[i].n);
	json_array_end(&w);

	json_key(&w, "scanwatch");
	json_object_begin(&w);
	json_kv_string(&w, "phase", detection_phase_name((enum det_phase)d->phase));
	json_kv_string(&w, "severity", detection_severity_name((enum sw_severity)d->severity));
	output_json_time(&w, "first_seen", d->first_seen);
	output_json_time(&w, "opened_at", d->opened_at);
	output_json_time(&w, "last_seen", d->last_seen);
	output_json_counts(&w, d);
	output_json_addrs(&w, "sample_sources", d->sample_sources, d->n_sample_sources,
	                  DET_SAMPLE_SOURCES);
	if (strnlen(d->tool, sizeof(d->tool)) > 0)
		output_json_field(&w, "tool", d->tool, sizeof(d->tool));
	if (strnlen(d->campaign, sizeof(d->campaign)) > 0)
		output_json_field(&w, "campaign", d->campaign, sizeof(d->campaign));
	output_json_evidence(&w, d);
	output_json_exposure(&w, d);
	json_object_end(&w);
	json_object_end(&w);
	return json_finish(&w);
}

static void *jsonl_open(const char *target, char *err, size_t errlen)
{
	struct jsonl *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	(void)output_hostname(); /* resolved here, before the writer thread reads it */
	(void)output_sensor_id();
	if (output_file_open(&j->file, target, err, errlen) < 0) {
		free(j);
		return NULL;
	}
	return j;
}

static int jsonl_write(void *state, const struct sw_detection *d)
{
	struct jsonl *j = state;
	int n = output_jsonl_render(d, j->line, sizeof(j->line) - 1, j->msg, sizeof(j->msg));

	if (n < 0)
		return -1;
	j->line[n++] = '\n';
	/*
	 * One write(2) per line, unbuffered: with O_APPEND the line lands whole,
	 * and a shipper tailing the file never sees half a record. Detections
	 * are rare enough (a few per second at most) that a syscall each is cheap.
	 */
	return output_file_write(&j->file, j->line, (size_t)n);
}

static void jsonl_flush(void *state)
{
	(void)state; /* every line is written as it comes */
}

/* logrotate `create`: the old file was renamed; open a new one at the path. */
static int jsonl_reopen(void *state)
{
	struct jsonl *j = state;

	return output_file_reopen(&j->file, "jsonl");
}

static void jsonl_close(void *state)
{
	struct jsonl *j = state;

	if (j == NULL)
		return;
	output_file_close(&j->file);
	free(j);
}

const struct output_ops output_jsonl_ops = {
    .name = "jsonl",
    .targets = OUTPUT_TARGET_STDOUT | OUTPUT_TARGET_FILE,
    .open = jsonl_open,
    .write = jsonl_write,
    .flush = jsonl_flush,
    .reopen = jsonl_reopen,
    .close = jsonl_close,
};
