/* output_cef.c — the "cef" output: ArcSight Common Event Format lines, to a file or inside syslog
 * messages. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/net.h"
#include "scanwatch/output.h"
#include "scanwatch/output_syslog.h"

/*
 * Format: "Implementing ArcSight Common Event Format (CEF)", revision 25
 * (Micro Focus, 2017):
 *   CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
 * Header fields escape '|' and '\' with a backslash; extension values escape
 * '=' and '\' and write newlines as \n / \r; extension keys come from the
 * CEF key dictionary ("ArcSight Extension Dictionary" table of the same
 * document), custom values in the csN/cnN slots with their csNLabel.
 */

#ifndef SCANWATCH_VERSION
#define SCANWATCH_VERSION "unknown"
#endif

/* One CEF line: the evidence (DET_EVIDENCE_TEXT, 1,824 bytes) escaped at two bytes a byte
 * plus ~1 KiB of addresses and numbers; 8 KiB is ample. */
#define CEF_LINE_MAX 12288

struct cef {
	struct output_file file; /* file or stdout; fd -1 when sending over syslog */
	struct output_syslog_link *link;
	char line[CEF_LINE_MAX];
};

struct cbuf {
	char *p;
	size_t len, cap;
	bool ok;
};

static void cb_put(struct cbuf *b, const char *s, size_t n)
{
	if (!b->ok || n >= b->cap - b->len) {
		b->ok = false;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/*
 * Appends a value, escaped for the header (ext == false: '|' and '\'; a
 * header may not hold a line break, so CR/LF become spaces) or for an
 * extension value (ext == true: '=' and '\', CR/LF as \r / \n). Other
 * control bytes and ill-formed UTF-8 (CEF is UTF-8) become '?', so a parser
 * never meets a byte the format does not allow.
 */
static void cb_esc(struct cbuf *b, const char *s, size_t n, bool ext)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = output_syslog_utf8_len(u + i, n - i);

		if (u[i] == '\\' || (ext ? u[i] == '=' : u[i] == '|')) {
			char e[2] = {'\\', (char)u[i]};

			cb_put(b, e, 2);
		} else if (u[i] == '\n' || u[i] == '\r') {
			if (ext)
				cb_put(b, u[i] == '\n' ? "\\n" : "\\r", 2);
			else
				cb_put(b, " ", 1);
		} else if (l == 0 || u[i] < 0x20 || u[i] == 0x7F) {
			cb_put(b, "?", 1);
			l = 1;
		} else {
			cb_put(b, s + i, l);
		}
		i += l == 0 ? 1 : l;
	}
}

static void cb_hdr(struct cbuf *b, const char *s, size_t n)
{
	cb_esc(b, s, n, false);
	cb_put(b, "|", 1);
}

/* " key=value" (the first extension has no leading space). */
static void cb_ext(struct cbuf *b, bool *first, const char *key, const char *v, size_t n)
{
	if (!*first)
		cb_put(b, " ", 1);
	*first = false;
	cb_put(b, key, strlen(key));
	cb_put(b, "=", 1);
	cb_esc(b, v, n, true);
}

static void cb_ext_s(struct cbuf *b, bool *first, const char *key, const char *v, size_t size)
{
	size_t n = strnlen(v, size);

	if (n > 0)
		cb_ext(b, first, key, v, n);
}

static void cb_ext_u(struct cbuf *b, bool *first, const char *key, uint64_t v)
{
	char t[24];

	snprintf(t, sizeof(t), "%" PRIu64, v);
	cb_ext(b, first, key, t, strlen(t));
}

/* A labelled custom slot: "csNLabel=label csN=value", only when there is a value. */
static void cb_custom(struct cbuf *b, bool *first, const char *slot, const char *label,
                      const char *v, size_t n)
{
	char key[24]; /* the longest, "flexString1Label", and its NUL */

	if (n == 0)
		return;
	snprintf(key, sizeof(key), "%sLabel", slot);
	cb_ext(b, first, key, label, strlen(label));
	cb_ext(b, first, slot, v, n);
}

/* CEF Severity 0-10 (rev 25: 0-3 Low, 4-6 Medium, 7-8 High, 9-10 Very-High). */
static int cef_severity(enum sw_severity s)
{
	switch (s) {
	case SEV_LOW:
		return 3;
	case SEV_MEDIUM:
		return 5;
	case SEV_HIGH:
		return 8;
	case SEV_CRITICAL:
		return 10;
	}
	return 5;
}

/* CEF "proto" (transportProtocol) takes the protocol's name. */
static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	case 58:
		return "ICMPv6";
	case 132:
		return "SCTP";
	}
	return NULL;
}

static void cb_addr(struct cbuf *b, bool *first, const char *v4key, const char *v6slot,
                    const char *v6label, const struct sw_addr *a)
{
	char t[ADDR_TEXT_MAX], key[16];

	addr_format(a, t);
	if (addr_is_v4(a)) {
		cb_ext(b, first, v4key, t, strlen(t));
		return;
	}
	/* src/dst are IPv4 only in the dictionary; IPv6 goes in the c6a slots, labelled. */
	snprintf(key, sizeof(key), "%sLabel", v6slot);
	cb_ext(b, first, key, v6label, strlen(v6label));
	cb_ext(b, first, v6slot, t, strlen(t));
}

static size_t join_addrs(char *out, size_t cap, const struct sw_addr *a, unsigned n, unsigned max)
{
	char t[ADDR_TEXT_MAX];
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n && i < max; i++) {
		int w = snprintf(out + len, cap - len, "%s%s", i ? "," : "", addr_format(&a[i], t));

		if (w < 0 || (size_t)w >= cap - len)
			break;
		len += (size_t)w;
	}
	return len;
}

/* Renders the CEF line (no newline) into buf; returns the length or -1. */
static int cef_render(const struct sw_detection *d, char *buf, size_t len)
{
	struct cbuf b = {buf, 0, len, len > 0};
	char sev[4], list[(DET_SAMPLE_TARGETS + DET_SAMPLE_SOURCES) * ADDR_TEXT_MAX];
	const char *iface = output_observer_interface(), *proto = proto_name(d->proto);
	const char *phase = detection_phase_name((enum det_phase)d->phase);
	const char *kind = detection_kind_name((enum sw_kind)d->kind);
	uint64_t rt = output_event_time(d);
	size_t n;
	bool first = true;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	cb_put(&b, "CEF:0|", 6);
	cb_hdr(&b, "scanwatch", 9);
	cb_hdr(&b, "scanwatch", 9);
	cb_hdr(&b, SCANWATCH_VERSION, strlen(SCANWATCH_VERSION));
	/* Signature ID: the rule, the device's identifier for the kind of event. */
	cb_hdr(&b, d->rule_id, strnlen(d->rule_id, sizeof(d->rule_id)));
	cb_hdr(&b, d->rule_name, strnlen(d->rule_name, sizeof(d->rule_name)));
	snprintf(sev, sizeof(sev), "%d", cef_severity((enum sw_severity)d->severity));
	cb_hdr(&b, sev, strlen(sev));

	/* Times as milliseconds since the epoch, one of the formats rev 25 lists. */
	cb_ext_u(&b, &first, "rt", rt / 1000);
	cb_ext_u(&b, &first, "start", d->first_seen / 1000);
	cb_ext_u(&b, &first, "end",
	         (d->phase == DET_CLOSE && d->closed_at != 0 ? d->closed_at : d->last_seen) / 1000);
	cb_ext(&b, &first, "act", phase, strlen(phase));
	cb_ext(&b, &first, "cat", kind, strlen(kind));
	/* externalId: the device's own id for the event, ties open/update/close together. */
	cb_ext_u(&b, &first, "externalId", d->seq);
	if (!d->src_any)
		cb_addr(&b, &first, "src", "c6a2", "Source IPv6 Address", &d->src);
	if (d->has_target)
		cb_addr(&b, &first, "dst", "c6a3", "Destination IPv6 Address", &d->target);
	if (proto != NULL)
		cb_ext(&b, &first, "proto", proto, strlen(proto));
	/* cnt (baseEventCount): how many probes this one record stands for. */
	cb_ext_u(&b, &first, "cnt", d->probes);
	/* dvchost names the sensor (issue 19: its id, by default the host name); site tags go
	 * in flexString2 (flexString1 holds the exposure), cs1..cs6 being taken. */
	cb_ext(&b, &first, "dvchost", output_sensor_id(), strlen(output_sensor_id()));
	{
		char site[OUTPUT_SITE_TAGS_MAX * (OUTPUT_SITE_TAG_MAX + 1)];
		size_t ns = output_join_site_tags(site, sizeof site);
		if (ns > 0)
			cb_custom(&b, &first, "flexString2", "siteTags", site, ns);
	}
	if (iface != NULL)
		cb_ext(&b, &first, "deviceInboundInterface", iface, strlen(iface));
	cb_custom(&b, &first, "cn1", "distinctPorts", list,
	          (size_t)snprintf(list, sizeof(list), "%" PRIu64, d->distinct_ports));
	cb_custom(&b, &first, "cn2", "distinctTargets", list,
	          (size_t)snprintf(list, sizeof(list), "%" PRIu64, d->distinct_targets));
	cb_custom(&b, &first, "cn3", "probesAtOpen", list,
	          (size_t)snprintf(list, sizeof(list), "%" PRIu64, d->probes_at_open));
	cb_custom(&b, &first, "cs1", "tool", d->tool, strnlen(d->tool, sizeof(d->tool)));
	cb_custom(&b, &first, "cs2", "campaign", d->campaign,
	          strnlen(d->campaign, sizeof(d->campaign)));
	{
		char tags[OUTPUT_TAGS_JOINED];
		size_t nt = output_join_tags(d, tags, sizeof tags);
		cb_custom(&b, &first, "cs3", "attackTechniques", tags, nt);
	}
	n = 0;
	list[0] = '\0';
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++) {
		int w =
		    snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "", d->sample_ports[i]);

		if (w > 0 && (size_t)w < sizeof(list) - n)
			n += (size_t)w;
	}
	cb_custom(&b, &first, "cs4", "samplePorts", list, n);
	n = join_addrs(list, sizeof(list), d->sample_targets, d->n_sample_targets,
	               DET_SAMPLE_TARGETS);
	cb_custom(&b, &first, "cs5", "sampleTargets", list, n);
	n = join_addrs(list, sizeof(list), d->sample_sources, d->n_sample_sources,
	               DET_SAMPLE_SOURCES);
	cb_custom(&b, &first, "cs6", "sampleSources", list, n);
	if (d->exposure.n > 0) {
		/* flexString1 and flexNumber1/2 with their labels (CEF rev 25's extension
		 * dictionary): cs1-cs6 and cn1-cn3 are taken above */
		char ex[OUTPUT_EXPOSURE_JOINED];
		unsigned services, hosts;
		size_t nx = output_join_exposure(d, ex, sizeof ex);

		detection_exposure_counts(&d->exposure, &services, &hosts);
		cb_custom(&b, &first, "flexString1", "exposure", ex, nx);
		cb_custom(&b, &first, "flexNumber1", "exposedServices", list,
		          (size_t)snprintf(list, sizeof(list), "%u", services));
		cb_custom(&b, &first, "flexNumber2", "exposedHosts", list,
		          (size_t)snprintf(list, sizeof(list), "%u", hosts));
	}
	{
		char ev[DET_EVIDENCE_TEXT];
		size_t nev = detection_evidence(d, ev, sizeof ev);
		cb_ext_s(&b, &first, "msg", ev, nev + 1);
	}
	return b.ok ? (int)b.len : -1;
}

/* target: "-" (stdout), a file path, or a syslog URL (udp://, tcp://; see output_syslog.h). */
static void *cef_open(const char *target, char *err, size_t errlen)
{
	struct cef *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->file.fd = -1;
	(void)output_hostname(); /* resolved here, before the writer thread reads it */
	(void)output_sensor_id();
	if (net_is_url(target)) {
		c->link = output_syslog_link_open(target, err, errlen);
		if (c->link == NULL)
			goto fail;
		return c;
	}
	if (output_file_open(&c->file, target, err, errlen) < 0)
		goto fail;
	return c;
fail:
	free(c);
	return NULL;
}

static int cef_write(void *state, const struct sw_detection *d)
{
	struct cef *c = state;
	int n = cef_render(d, c->line, sizeof(c->line) - 1);

	if (n < 0)
		return -1;
	if (c->link != NULL) {
		/* A CEF line is never cut (a cut line is not CEF): it goes whole or is dropped. */
		return output_syslog_link_send(
		    c->link, (enum sw_severity)d->severity, output_event_time(d),
		    detection_kind_name((enum sw_kind)d->kind), NULL, c->line, false);
	}
	c->line[n++] = '\n';
	/* One write(2) per line with O_APPEND: a tailing shipper never sees half a line. */
	return output_file_write(&c->file, c->line, (size_t)n);
}

static void cef_flush(void *state)
{
	struct cef *c = state;

	if (c->link != NULL)
		output_syslog_link_tick(c->link);
}

static int cef_reopen(void *state)
{
	struct cef *c = state;

	return output_file_reopen(&c->file, "cef");
}

static void cef_counters(void *state, struct output_counters *out)
{
	struct cef *c = state;

	memset(out, 0, sizeof(*out));
	if (c->link != NULL)
		output_syslog_link_counters(c->link, out);
}

static void cef_close(void *state)
{
	struct cef *c = state;

	if (c == NULL)
		return;
	if (c->link != NULL)
		output_syslog_link_close(c->link);
	output_file_close(&c->file);
	free(c);
}

const struct output_ops output_cef_ops = {
    .name = "cef",
    .targets = OUTPUT_TARGET_STDOUT | OUTPUT_TARGET_FILE | OUTPUT_TARGET_NET,
    .check_url = output_syslog_check,
    .open = cef_open,
    .write = cef_write,
    .flush = cef_flush,
    .reopen = cef_reopen,
    .close = cef_close,
    .tick = cef_flush,
    .counters = cef_counters,
};
