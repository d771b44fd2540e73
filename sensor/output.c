/* output.c — the registry of output plugins, looked up by the name used in the configuration. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/json.h"
#include "scanwatch/net.h"
#include "scanwatch/output.h"

/* Each plugin file defines one (or more) of these; a new output adds one line here. */
extern const struct output_ops output_console_ops;
extern const struct output_ops output_console_json_ops;
extern const struct output_ops output_jsonl_ops;
extern const struct output_ops output_syslog_ops;
extern const struct output_ops output_cef_ops;
extern const struct output_ops output_nats_ops;

static const struct output_ops *const outputs[] = {
    &output_jsonl_ops,   &output_syslog_ops,       &output_cef_ops,
    &output_console_ops, &output_console_json_ops, &output_nats_ops,
};

/* Linux IFNAMSIZ is 16; room for longer names elsewhere (and for "any"). */
#define OUTPUT_IFACE_MAX 64
/* RFC 5424 section 6.2.4: HOSTNAME is at most 255 PRINTUSASCII octets. */
#define OUTPUT_HOST_MAX 256

/* Created log files are readable by the owner and group (adm, a log shipper), not by all. */
#define OUTPUT_FILE_MODE 0640

/* Set once at start-up, before the writer thread starts; read-only afterwards. */
static char observer_iface[OUTPUT_IFACE_MAX];
static char hostname[OUTPUT_HOST_MAX];
static char sensor_id[OUTPUT_SENSOR_ID_MAX + 1];
static char site_tags[OUTPUT_SITE_TAGS_MAX][OUTPUT_SITE_TAG_MAX + 1];
static const char *site_tag_ptrs[OUTPUT_SITE_TAGS_MAX];
static size_t n_site_tags;
static char run_token[24];

const struct output_ops *output_lookup(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++)
		if (strcmp(outputs[i]->name, name) == 0)
			return outputs[i];
	return NULL;
}

const struct output_ops *output_at(size_t i)
{
	return i < sizeof(outputs) / sizeof(outputs[0]) ? outputs[i] : NULL;
}

/* What ops->targets allows, in words: "a file path or '-'", "udp://HOST:PORT or ...". */
static void targets_text(unsigned targets, char *buf, size_t len)
{
	const char *items[4];
	size_t n = 0;

	if (targets == OUTPUT_TARGET_STDOUT) {
		snprintf(buf, len, "'-' (standard output)");
		return;
	}
	if (targets & OUTPUT_TARGET_FILE)
		items[n++] = "a file path";
	if (targets & OUTPUT_TARGET_STDOUT)
		items[n++] = "'-'";
	if (targets & OUTPUT_TARGET_NET)
		items[n++] = "udp://, tcp://, tls:// or relp://HOST:PORT";
	if (targets & OUTPUT_TARGET_NATS)
		items[n++] = "nats://HOST[:PORT]";
	snprintf(buf, len, "%s%s%s%s%s", n > 0 ? items[0] : "?",
	         n > 1 ? (n > 2 ? ", " : " or ") : "", n > 1 ? items[1] : "", n > 2 ? ", " : "",
	         n > 2 ? items[2] : "");
}

int output_check_target(const struct output_ops *ops, const char *target, const char *shown,
                        char *err, size_t errlen)
{
	char why[256];
	int kind;

	if (strcmp(target, "-") == 0) {
		kind = OUTPUT_TARGET_STDOUT;
	} else if (strncmp(target, "nats://", 7) == 0) {
		kind = OUTPUT_TARGET_NATS;
	} else if (net_is_url(target)) {
		kind = OUTPUT_TARGET_NET;
	} else if (strstr(target, "://") != NULL) {
		snprintf(
		    err, errlen,
		    "unsupported scheme in target '%s' (use udp://, tcp://, tls://, relp:// or "
		    "nats://)",
		    shown);
		return -1;
	} else {
		kind = OUTPUT_TARGET_FILE;
	}
	if (!(ops->targets & (unsigned)kind)) {
		targets_text(ops->targets, why, sizeof(why));
		snprintf(err, errlen, "%s target '%s' must be %s", ops->name, shown, why);
		return -1;
	}
	if ((kind == OUTPUT_TARGET_NET || kind == OUTPUT_TARGET_NATS) &&
	    (ops->check_url == NULL || ops->check_url(target, why, sizeof(why)) < 0)) {
		snprintf(err, errlen, "bad %s target '%s': %s", ops->name, shown,
		         ops->check_url ? why : "the output has no URL parser");
		return -1;
	}
	return kind;
}

int output_get_counters(const struct output_ops *ops, void *state, struct output_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (ops == NULL || state == NULL || ops->counters == NULL)
		return -1;
	ops->counters(state, out);
	return 0;
}

void output_set_observer(const char *interface)
{
	snprintf(observer_iface, sizeof(observer_iface), "%s", interface ? interface : "");
}

const char *output_observer_interface(void)
{
	return observer_iface[0] != '\0' ? observer_iface : NULL;
}

const char *output_hostname(void)
{
	if (hostname[0] == '\0') {
		char h[OUTPUT_HOST_MAX] = "";
		bool ok;

		/* gethostname may leave the name unterminated when truncated. */
		ok = gethostname(h, sizeof(h) - 1) == 0 && h[0] != '\0';
		for (size_t i = 0; ok && h[i] != '\0'; i++)
			if (h[i] < 33 || h[i] > 126) /* PRINTUSASCII, RFC 5424 section 6 */
				ok = false;
		snprintf(hostname, sizeof(hostname), "%s", ok ? h : "-");
	}
	return hostname;
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

int output_check_sensor_id(const char *id, char *err, size_t errlen)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > OUTPUT_SENSOR_ID_MAX) {
		snprintf(err, errlen, "a sensor id has 1 to %d characters", OUTPUT_SENSOR_ID_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!id_char(id[i])) {
			snprintf(
			    err, errlen,
			    "a sensor id holds only letters, digits, '.', '_' and '-' (it names "
			    "a NATS subject)");
			return -1;
		}
	return 0;
}

int output_check_site_tag(const char *tag, char *err, size_t errlen)
{
	const char *eq = tag ? strchr(tag, '=') : NULL;
	size_t k = eq ? (size_t)(eq - tag) : 0, v = eq ? strlen(eq + 1) : 0;
	bool ok = eq != NULL && k >= 1 && k <= OUTPUT_SITE_KEY_MAX && v >= 1 &&
	          k + 1 + v <= OUTPUT_SITE_TAG_MAX;

	for (size_t i = 0; ok && i < k; i++) {
		char c = tag[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '_';
	}
	for (size_t i = 0; ok && i < v; i++) {
		char c = eq[1 + i];
		ok = id_char(c) || c == ':' || c == '/' || c == '@' || c == '+';
	}
	if (!ok) {
		snprintf(err, errlen,
		         "a site tag is KEY=VALUE: KEY of letters, digits and '_' (at most %d), "
		         "VALUE of letters, digits and . _ - : / @ + (at most %d in all)",
		         OUTPUT_SITE_KEY_MAX, OUTPUT_SITE_TAG_MAX);
		return -1;
	}
	return 0;
}

int output_set_identity(const char *id, const char *const *tags, size_t ntags, char *err,
                        size_t errlen)
{
	struct timespec ts;

	if (id != NULL && id[0] != '\0' && output_check_sensor_id(id, err, errlen) < 0)
		return -1;
	if (ntags > OUTPUT_SITE_TAGS_MAX) {
		snprintf(err, errlen, "at most %d site tags", OUTPUT_SITE_TAGS_MAX);
		return -1;
	}
	for (size_t i = 0; i < ntags; i++)
		if (output_check_site_tag(tags[i], err, errlen) < 0)
			return -1;
	if (id != NULL && id[0] != '\0') {
		snprintf(sensor_id, sizeof(sensor_id), "%s", id);
	} else {
		/* The host name, with what a sensor id cannot hold made '_' (a NATS token). */
		const char *h = output_hostname();
		size_t i;

		for (i = 0; h[i] != '\0' && i < OUTPUT_SENSOR_ID_MAX; i++)
			sensor_id[i] = id_char(h[i]) ? h[i] : '_';
		sensor_id[i] = '\0';
	}
	n_site_tags = ntags;
	for (size_t i = 0; i < ntags; i++) {
		snprintf(site_tags[i], sizeof(site_tags[i]), "%s", tags[i]);
		site_tag_ptrs[i] = site_tags[i];
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(run_token, sizeof(run_token), "%llu",
	         (unsigned long long)ts.tv_sec * 1000000ull +
	             (unsigned long long)ts.tv_nsec / 1000);
	return 0;
}

const char *output_sensor_id(void)
{
	if (sensor_id[0] == '\0')
		(void)output_set_identity(NULL, NULL, 0, NULL, 0);
	return sensor_id;
}

const char *const *output_site_tags(size_t *n)
{
	*n = n_site_tags;
	return site_tag_ptrs;
}

size_t output_join_site_tags(char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n_site_tags; i++) {
		size_t t = strlen(site_tags[i]);

		if (n + (i > 0) + t >= len)
			break;
		if (i > 0)
			buf[n++] = ',';
		memcpy(buf + n, site_tags[i], t + 1);
		n += t;
	}
	return n;
}

const char *output_run_token(void)
{
	(void)output_sensor_id(); /* sets the token with the default identity when unset */
	return run_token;
}

const char *output_format_time(char buf[OUTPUT_TIME_MAX], uint64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;

	/* Years past 9999 do not fit RFC 3339's four digits: show the raw number instead. */
	if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 > 9999) {
		snprintf(buf, OUTPUT_TIME_MAX, "%" PRIu64, us);
		return buf;
	}
	/* The remainders only tell the compiler the ranges gmtime_r already guarantees. */
	snprintf(buf, OUTPUT_TIME_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ",
	         (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
	         (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
	         (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(us % 1000000));
	return buf;
}

uint64_t output_event_time(const struct sw_detection *d)
{
	if (d->phase == DET_OPEN)
		return d->opened_at;
	if (d->phase == DET_CLOSE && d->closed_at != 0)
		return d->closed_at;
	return d->last_seen;
}

/* O_APPEND keeps each line whole when logrotate's copytruncate or another writer shares
 * the file. */
int output_file_append(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, OUTPUT_FILE_MODE);

	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

int output_file_open(struct output_file *f, const char *target, char *err, size_t errlen)
{
	f->fd = -1;
	f->path = NULL;
	if (target == NULL || strcmp(target, "-") == 0) {
		f->fd = STDOUT_FILENO;
		return 0;
	}
	f->path = strdup(target);
	if (f->path == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	f->fd = output_file_append(target, err, errlen);
	if (f->fd < 0)
		goto fail;
	return 0;
fail:
	free(f->path);
	f->path = NULL;
	return -1;
}

/* Retries short writes and EINTR. */
int output_file_write(const struct output_file *f, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(f->fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

int output_file_reopen(struct output_file *f, const char *name)
{
	char err[256];
	int fd;

	if (f->path == NULL)
		return 0;
	fd = output_file_append(f->path, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "scanwatch: %s output: %s\n", name, err);
		return -1; /* keep writing to the old file rather than lose records */
	}
	close(f->fd);
	f->fd = fd;
	return 0;
}

void output_file_close(struct output_file *f)
{
	if (f->path != NULL && f->fd >= 0)
		close(f->fd);
	free(f->path);
	f->path = NULL;
	f->fd = -1;
}

void output_json_field(struct json_writer *w, const char *key, const char *s, size_t size)
{
	json_key(w, key);
	json_string_n(w, s, strnlen(s, size)); /* fixed-size field: never read past it */
}

void output_json_addrs(struct json_writer *w, const char *key, const struct sw_addr *a, unsigned n,
                       unsigned max)
{
	char text[ADDR_TEXT_MAX];

	json_key(w, key);
	json_array_begin(w);
	for (unsigned i = 0; i < n && i < max; i++)
		json_string(w, addr_format(&a[i], text));
	json_array_end(w);
}

void output_json_time(struct json_writer *w, const char *key, uint64_t us)
{
	char t[OUTPUT_TIME_MAX];

	json_kv_string(w, key, output_format_time(t, us));
}

size_t output_split_tags(const struct sw_detection *d, struct output_tag *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n_tags && i < DET_TAGS_MAX && k < max; i++) {
		size_t n = strnlen(d->tags[i], DET_TAG_MAX);

		if (n > 0) {
			out[k].p = d->tags[i];
			out[k].n = n;
			k++;
		}
	}
	return k;
}

size_t output_join_tags(const struct sw_detection *d, char *buf, size_t len)
{
	struct output_tag tags[OUTPUT_TAGS_MAX];
	size_t ntags = output_split_tags(d, tags, OUTPUT_TAGS_MAX), n = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ntags; i++) {
		if (n + (i > 0) + tags[i].n >= len)
			break; /* a whole id or none */
		if (i > 0)
			buf[n++] = ',';
		memcpy(buf + n, tags[i].p, tags[i].n);
		n += tags[i].n;
		buf[n] = '\0';
	}
	return n;
}

void output_json_counts(struct json_writer *w, const struct sw_detection *d)
{
	json_kv_uint(w, "probes", d->probes);
	json_kv_uint(w, "probes_at_open", d->probes_at_open);
	json_kv_uint(w, "distinct_targets", d->distinct_targets);
	json_kv_uint(w, "distinct_ports", d->distinct_ports);
	json_key(w, "sample_ports");
	json_array_begin(w);
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		json_uint(w, d->sample_ports[i]);
	json_array_end(w);
	output_json_addrs(w, "sample_targets", d->sample_targets, d->n_sample_targets,
	                  DET_SAMPLE_TARGETS);
}

void output_json_evidence(struct json_writer *w, const struct sw_detection *d)
{
	char text[DET_EVIDENCE_TEXT];
	size_t n = detection_evidence(d, text, sizeof text);

	json_key(w, "evidence");
	json_string_n(w, text, n);
	json_key(w, "reasons");
	json_array_begin(w);
	for (unsigned i = 0; i < d->n_reasons && i < DET_REASONS_MAX; i++) {
		const struct det_reason *r = &d->reasons[i];
		json_object_begin(w);
		output_json_field(w, "name", r->name, sizeof r->name);
		json_kv_uint(w, "count", r->count);
		output_json_field(w, "text", r->text, sizeof r->text);
		json_object_end(w);
	}
	json_array_end(w);
}

static const char *exposed_transport(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 132:
		return "sctp";
	case 1:
		return "icmp";
	case 58:
		return "ipv6-icmp";
	default:
		return NULL;
	}
}

void output_json_exposure(struct json_writer *w, const struct sw_detection *d)
{
	const struct det_exposure *x = &d->exposure;
	char a[ADDR_TEXT_MAX], num[8];
	unsigned services, hosts;

	if (x->n == 0 && x->unlisted == 0)
		return;
	detection_exposure_counts(x, &services, &hosts);
	json_key(w, "exposure");
	json_object_begin(w);
	json_kv_uint(w, "answers", x->answers);
	json_kv_uint(w, "unlisted_answers", x->unlisted);
	json_kv_uint(w, "services_count", services);
	json_kv_uint(w, "hosts_count", hosts);
	for (int svc = 1; svc >= 0; svc--) {
		json_key(w, svc ? "services" : "hosts");
		json_array_begin(w);
		for (unsigned i = 0; i < x->n && i < DET_EXPOSURE_MAX; i++) {
			const struct det_exposed *it = &x->item[i];
			enum det_reveal r = (enum det_reveal)it->reveal;
			const char *tp = exposed_transport(it->proto);

			if (detection_reveal_is_service(r) != (svc == 1))
				continue;
			json_object_begin(w);
			json_kv_string(w, "ip", addr_format(&it->host, a));
			if (r == REVEAL_PROTO_REPLY) {
				snprintf(num, sizeof num, "%u", it->proto);
				json_kv_string(w, "iana_number", num);
			} else if (svc) {
				if (tp != NULL)
					json_kv_string(w, "transport", tp);
				json_kv_uint(w, "port", it->port);
			}
			json_kv_string(w, "answer", detection_reveal_name(r));
			json_kv_uint(w, "answers", it->answers);
			json_object_end(w);
		}
		json_array_end(w);
	}
	json_object_end(w);
}

size_t output_join_exposure(const struct sw_detection *d, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->exposure.n && i < DET_EXPOSURE_MAX; i++) {
		char one[DET_EXPOSED_TEXT + 16];
		size_t k = detection_exposed_text(&d->exposure.item[i], one, sizeof one);
		int w =
		    snprintf(one + k, sizeof one - k, " x%" PRIu32, d->exposure.item[i].answers);

		if (w < 0)
			break;
		k += (size_t)w;
		if (n + (i > 0) + k + 1 > len)
			break;
		if (i > 0)
			buf[n++] = ',';
		memcpy(buf + n, one, k);
		n += k;
		buf[n] = '\0';
	}
	return n;
}
