/* output_syslog.c — the "syslog" output: RFC 5424 messages with the detection as STRUCTURED-DATA,
 * over UDP, TCP or TLS. */
#include "scanwatch/output_syslog.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scanwatch/net.h"

/*
 * RFC 5426 section 3.2: IPv4 receivers SHOULD accept datagrams of 2048
 * octets; larger ones may be cut or lost on the way. A UDP message's MSG is
 * cut to stay within this (its STRUCTURED-DATA never is).
 */
#define SYSLOG_UDP_LIMIT 2048
/* Over TCP (and TLS) there is no datagram, but rsyslog's default $MaxMessageSize is 8 KiB and
 * larger messages are cut by it; the cut is ours instead, at a character boundary. */
#define SYSLOG_TCP_LIMIT 8192
/*
 * Largest message built at all, and the hard cap for messages that must not
 * be cut (a CEF line). A detection's SD is under 3 KiB even with every text
 * field full and escaped; this leaves a wide margin.
 */
#define SYSLOG_BUF 16384
/* Default backlog while the collector is unreachable: about 20 MB at worst, minutes of a
 * scan storm, hours of ordinary traffic. */
#define SYSLOG_BACKLOG_DEFAULT 10000
/* Ceiling of the backlog option, so a typo cannot reserve gigabytes of pointers. */
#define SYSLOG_BACKLOG_MAX 1000000
/* At close, how long the remaining backlog may take to go out before it is counted lost. */
#define SYSLOG_DRAIN_MS 5000
/* Local use 0 (RFC 5424 section 6.2.1, Table 1): the conventional facility for an
 * application's own security events, routable without touching the system's. */
#define SYSLOG_FACILITY_DEFAULT 16
/*
 * Private Enterprise Number in the SD-ID. 32473 is the number RFC 5612
 * reserves for documentation and examples; a deployment with its own PEN
 * would change this one line.
 */
#define SYSLOG_SD_ID "scanwatch@32473"

struct output_syslog_link {
	struct net_sender *tx;
	int facility;
	size_t limit;
	char url[NET_HOST_MAX + 64];
	char buf[SYSLOG_BUF];
};

struct syslog_out {
	struct output_syslog_link *link;
	char sd[SYSLOG_BUF / 2];
	char msg[SYSLOG_BUF / 2];
};

/* --- formatting ------------------------------------------------------------------------- */

size_t output_syslog_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF) {
		need = 2;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 3;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		else if (b == 0xED)
			hi = 0x9F; /* UTF-16 surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 4;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		else if (b == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;

		if (s[i] < l || s[i] > h)
			return 0;
	}
	return need;
}

/* A bounded appender: after an overflow every call is a no-op and ok stays false. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool ok;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->len = 0;
	b->cap = cap;
	b->ok = cap > 0;
	if (cap > 0)
		p[0] = '\0';
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!b->ok || n >= b->cap - b->len) {
		b->ok = false;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->ok = false;
		return;
	}
	sb_put(b, tmp, (size_t)n);
}

/*
 * Appends n bytes of s with '"', '\' and ']' escaped by a backslash (RFC
 * 5424 section 6.3.3). The value MUST be UTF-8 (same section): ill-formed
 * bytes become '?'. Control characters are legal but would split the line in
 * file-based collectors and hide text on a terminal, so they become '?' too.
 * With esc == false (MSG) nothing is escaped, only cleaned.
 */
static void sb_clean(struct sbuf *b, const char *s, size_t n, bool esc)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = output_syslog_utf8_len(u + i, n - i);

		if (l == 0 || u[i] < 0x20 || u[i] == 0x7F) {
			sb_put(b, "?", 1);
			i++;
			continue;
		}
		if (esc && (u[i] == '"' || u[i] == '\\' || u[i] == ']'))
			sb_put(b, "\\", 1);
		sb_put(b, s + i, l);
		i += l;
	}
}

/* One SD-PARAM: SP PARAM-NAME "=" %d34 PARAM-VALUE %d34; names here are all SD-NAMEs. */
static void sd_param(struct sbuf *b, const char *name, const char *value, size_t n)
{
	sb_printf(b, " %s=\"", name);
	sb_clean(b, value, n, true);
	sb_put(b, "\"", 1);
}

static void sd_str(struct sbuf *b, const char *name, const char *s, size_t size)
{
	sd_param(b, name, s, strnlen(s, size));
}

static void sd_u64(struct sbuf *b, const char *name, uint64_t v)
{
	char t[24];

	snprintf(t, sizeof(t), "%" PRIu64, v);
	sd_param(b, name, t, strlen(t));
}

static void sd_time(struct sbuf *b, const char *name, uint64_t us)
{
	char t[OUTPUT_TIME_MAX];

	output_format_time(t, us);
	sd_param(b, name, t, strlen(t));
}

static void sd_addrs(struct sbuf *b, const char *name, const struct sw_addr *a, unsigned n,
                     unsigned max)
{
	char list[DET_SAMPLE_TARGETS * ADDR_TEXT_MAX + DET_SAMPLE_SOURCES * ADDR_TEXT_MAX];
	char t[ADDR_TEXT_MAX];
	struct sbuf l;

	sb_init(&l, list, sizeof(list));
	for (unsigned i = 0; i < n && i < max; i++) {
		if (i > 0)
			sb_put(&l, ",", 1);
		sb_puts(&l, addr_format(&a[i], t));
	}
	sd_param(b, name, list, l.len);
}

/*
 * The detection as one SD-ELEMENT "[scanwatch@32473 kind=\"syn_scan\" ...]",
 * PARAM-VALUEs escaped per RFC 5424 section 6.3.3. Returns the length or -1.
 */
static int output_syslog_render_sd(const struct sw_detection *d, char *buf, size_t len)
{
	char t[ADDR_TEXT_MAX], ports[DET_SAMPLE_PORTS * 6 + 1];
	struct sbuf b, p;

	sb_init(&b, buf, len);
	/* SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]" (RFC 5424 section 6.3.1). */
	sb_puts(&b, "[" SYSLOG_SD_ID);
	sd_param(&b, "phase", detection_phase_name((enum det_phase)d->phase),
	         strlen(detection_phase_name((enum det_phase)d->phase)));
	sd_u64(&b, "seq", d->seq);
	sd_str(&b, "kind", detection_kind_name((enum sw_kind)d->kind), 32);
	sd_str(&b, "severity", detection_severity_name((enum sw_severity)d->severity), 16);
	sd_str(&b, "rule", d->rule_id, sizeof(d->rule_id));
	sd_str(&b, "ruleName", d->rule_name, sizeof(d->rule_name));
	sd_str(&b, "src", d->src_any ? "*" : addr_format(&d->src, t), ADDR_TEXT_MAX);
	if (d->has_target)
		sd_str(&b, "dst", addr_format(&d->target, t), ADDR_TEXT_MAX);
	sd_u64(&b, "proto", d->proto);
	sd_time(&b, "firstSeen", d->first_seen);
	sd_time(&b, "openedAt", d->opened_at);
	sd_time(&b, "lastSeen", d->last_seen);
	if (d->closed_at != 0)
		sd_time(&b, "closedAt", d->closed_at);
	sd_u64(&b, "probes", d->probes);
	sd_u64(&b, "probesAtOpen", d->probes_at_open);
	sd_u64(&b, "distinctTargets", d->distinct_targets);
	sd_u64(&b, "distinctPorts", d->distinct_ports);
	sb_init(&p, ports, sizeof(ports));
	for (unsigned i = 0; i < d->n_sample_ports && i < DET_SAMPLE_PORTS; i++)
		sb_printf(&p, i > 0 ? ",%u" : "%u", d->sample_ports[i]);
	sd_param(&b, "samplePorts", ports, p.len);
	sd_addrs(&b, "sampleTargets", d->sample_targets, d->n_sample_targets, DET_SAMPLE_TARGETS);
	if (d->n_sample_sources > 0)
		sd_addrs(&b, "sampleSources", d->sample_sources, d->n_sample_sources,
		         DET_SAMPLE_SOURCES);
	{
		char tags[OUTPUT_TAGS_JOINED];
		if (output_join_tags(d, tags, sizeof tags) > 0)
			sd_str(&b, "tags", tags, sizeof tags);
	}
	if (strnlen(d->tool, sizeof(d->tool)) > 0)
		sd_str(&b, "tool", d->tool, sizeof(d->tool));
	if (strnlen(d->campaign, sizeof(d->campaign)) > 0)
		sd_str(&b, "campaign", d->campaign, sizeof(d->campaign));
	if (d->exposure.n > 0) {
		char list[OUTPUT_EXPOSURE_JOINED];
		unsigned services, hosts;
		size_t n = output_join_exposure(d, list, sizeof list);

		detection_exposure_counts(&d->exposure, &services, &hosts);
		sd_u64(&b, "exposedServices", services);
		sd_u64(&b, "exposedHosts", hosts);
		sd_u64(&b, "exposedAnswers", d->exposure.answers);
		sd_param(&b, "exposure", list, n);
	}
	/* The sensor's identity (issue 19): HOSTNAME says which machine, these which sensor. */
	sd_str(&b, "sensor", output_sensor_id(), OUTPUT_SENSOR_ID_MAX + 1);
	{
		char site[OUTPUT_SITE_TAGS_MAX * (OUTPUT_SITE_TAG_MAX + 1)];
		size_t n = output_join_site_tags(site, sizeof site);
		if (n > 0)
			sd_param(&b, "siteTags", site, n);
	}
	sb_put(&b, "]", 1);
	return b.ok ? (int)b.len : -1;
}

int output_syslog_render_msg(const struct sw_detection *d, char *buf, size_t len)
{
	char src[ADDR_TEXT_MAX], dst[ADDR_TEXT_MAX];
	size_t n;
	struct sbuf b;

	if (d->src_any)
		snprintf(src, sizeof(src), "*");
	else
		addr_format(&d->src, src);
	if (d->has_target)
		addr_format(&d->target, dst);
	else
		snprintf(dst, sizeof(dst), "*");
	sb_init(&b, buf, len);
	/* "syn_scan open: 198.18.0.1 -> 198.18.0.2: 4 probes to 4 ports on 1 hosts; ..." */
	sb_printf(&b,
	          "%s %s: %s -> %s: %" PRIu64 " probes to %" PRIu64 " ports on %" PRIu64
	          " hosts; severity %s; rule ",
	          detection_kind_name((enum sw_kind)d->kind),
	          detection_phase_name((enum det_phase)d->phase), src, dst, d->probes,
	          d->distinct_ports, d->distinct_targets,
	          detection_severity_name((enum sw_severity)d->severity));
	sb_clean(&b, d->rule_id, strnlen(d->rule_id, sizeof(d->rule_id)), false);
	sb_puts(&b, " (");
	sb_clean(&b, d->rule_name, strnlen(d->rule_name, sizeof(d->rule_name)), false);
	sb_puts(&b, ")");
	if ((n = strnlen(d->tool, sizeof(d->tool))) > 0) {
		sb_puts(&b, "; tool ");
		sb_clean(&b, d->tool, n, false);
	}
	if (d->exposure.n > 0) {
		unsigned services, hosts;

		detection_exposure_counts(&d->exposure, &services, &hosts);
		sb_printf(&b, "; exposed %u services, %u hosts", services, hosts);
	}
	if ((n = strnlen(d->campaign, sizeof(d->campaign))) > 0) {
		sb_puts(&b, "; campaign ");
		sb_clean(&b, d->campaign, n, false);
	}
	char ev[DET_EVIDENCE_TEXT];
	if ((n = detection_evidence(d, ev, sizeof ev)) > 0) {
		sb_puts(&b, ": ");
		sb_clean(&b, ev, n, false);
	}
	return b.ok ? (int)b.len : -1;
}

/* Longest prefix of s (n bytes, clean UTF-8) of at most max bytes ending on a character. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t l = output_syslog_utf8_len(u + i, n - i);

		if (l == 0)
			l = 1;
		if (i + l > max)
			break;
		i += l;
	}
	return i;
}

int output_syslog_format(char *buf, size_t len, size_t limit, int pri, uint64_t ts_us,
                         const char *hostname, long pid, const char *msgid, const char *sd,
                         const char *msg, bool may_truncate)
{
	char ts[OUTPUT_TIME_MAX];
	struct sbuf b;
	size_t mlen = msg ? strlen(msg) : 0;

	sb_init(&b, buf, len);
	/*
	 * RFC 5424 section 6: HEADER = PRI VERSION SP TIMESTAMP SP HOSTNAME SP
	 * APP-NAME SP PROCID SP MSGID. TIMESTAMP is RFC 3339 with at most six
	 * fraction digits (section 6.2.3); it is the detection's event time, so
	 * a replayed capture keeps the time of the traffic it describes.
	 */
	sb_printf(&b, "<%d>1 %s %s scanwatch %ld %s ", pri, output_format_time(ts, ts_us), hostname,
	          pid, msgid && msgid[0] ? msgid : "-");
	sb_puts(&b, sd && sd[0] ? sd : "-");
	if (!b.ok)
		return -1;
	if (mlen > 0) {
		size_t room = limit > b.len + 1 ? limit - b.len - 1 : 0;

		if (mlen > room) {
			if (!may_truncate)
				return -1;
			mlen = utf8_cut(msg, mlen, room);
		}
		if (mlen > 0) {
			/* MSG = MSG-ANY: no BOM, so receivers take the octets as they are. */
			sb_put(&b, " ", 1);
			sb_put(&b, msg, mlen);
		}
	}
	return b.ok ? (int)b.len : -1;
}

int output_syslog_severity(enum sw_severity sev)
{
	switch (sev) {
	case SEV_LOW:
		return 5; /* notice */
	case SEV_MEDIUM:
		return 4; /* warning */
	case SEV_HIGH:
		return 3; /* error */
	case SEV_CRITICAL:
		return 2; /* critical */
	}
	return 4;
}

/* --- the link --------------------------------------------------------------------------- */

/* RFC 5424 section 6.2.1, Table 1. */
static const char *const facility_names[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5", "local6", "local7",
};

static int parse_facility(const char *s)
{
	char *end;
	long v;

	for (int i = 0; i < 24; i++)
		if (strcmp(s, facility_names[i]) == 0)
			return i;
	v = strtol(s, &end, 10);
	if (end != s && *end == '\0' && v >= 0 && v <= 23)
		return (int)v;
	return -1;
}

/* What a link's URL says: the collector, the facility and the backlog. */
struct link_conf {
	struct net_url u;
	int facility;
	unsigned long backlog;
};

/* Parses url and its options; 0, or -1 with what is wrong in err. */
static int link_parse(const char *url, struct link_conf *c, char *err, size_t errlen)
{
	static const char *const options[] = {"facility", "backlog", NULL};
	const char *tls_options[8];
	char v[64];
	int rc;
	size_t n = 0;

	c->facility = SYSLOG_FACILITY_DEFAULT;
	c->backlog = SYSLOG_BACKLOG_DEFAULT;
	/* 514: RFC 5426 section 3.3 for UDP; TCP collectors conventionally listen there too.
	 * 6514: RFC 5425 section 4.1 for TLS. RELP has no assigned port; 2514 is the one
	 * rsyslog's imrelp documentation uses. */
	if (net_url_parse(url,
	                  strncmp(url, "tls://", 6) == 0    ? "6514"
	                  : strncmp(url, "relp://", 7) == 0 ? "2514"
	                                                    : "514",
	                  &c->u, err, errlen) < 0)
		return -1;
	if (c->u.proto == NET_NATS) {
		snprintf(err, errlen, "nats:// is for the nats output (--nats)");
		return -1;
	}
	for (const char *const *o = options; *o != NULL; o++)
		tls_options[n++] = *o;
	for (const char *const *o = net_tls_options; *o != NULL && c->u.proto == NET_TLS; o++)
		tls_options[n++] = *o;
	tls_options[n] = NULL;
	if (net_url_check_params(&c->u, tls_options, err, errlen) < 0)
		return -1;
	rc = net_url_param(&c->u, "facility", v, sizeof(v));
	if (rc != 0 && (rc < 0 || (c->facility = parse_facility(v)) < 0)) {
		snprintf(err, errlen,
		         "facility must be local0..local7, a name of RFC 5424 Table 1 or 0..23");
		return -1;
	}
	rc = net_url_param(&c->u, "backlog", v, sizeof(v));
	if (rc != 0) {
		char *end;

		c->backlog = rc > 0 ? strtoul(v, &end, 10) : 0;
		if (rc < 0 || end == v || *end != '\0' || c->backlog == 0 ||
		    c->backlog > SYSLOG_BACKLOG_MAX) {
			snprintf(err, errlen, "backlog must be 1..%d messages", SYSLOG_BACKLOG_MAX);
			return -1;
		}
	}
	return 0;
}

int output_syslog_check(const char *url, char *err, size_t errlen)
{
	struct link_conf c;
	struct net_tls_conf *tls;

	if (link_parse(url, &c, err, errlen) < 0)
		return -1;
	if (c.u.proto != NET_TLS)
		return 0;
	/* The CA, certificate and key are read now, so a missing or bad file is a configuration
	 * error found by -T and before the sensor starts, not a connection that never comes. */
	tls = net_tls_conf_load(&c.u, err, errlen);
	net_tls_conf_free(tls);
	return tls != NULL ? 0 : -1;
}

struct output_syslog_link *output_syslog_link_open(const char *url, char *err, size_t errlen)
{
	struct output_syslog_link *l;
	struct link_conf c;

	if (link_parse(url, &c, err, errlen) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->facility = c.facility;
	l->limit = c.u.proto == NET_UDP ? SYSLOG_UDP_LIMIT : SYSLOG_TCP_LIMIT;
	/* The label shows no query: it is for humans reading stderr. */
	snprintf(l->url, sizeof(l->url), "syslog %s://%s%s%s:%s",
	         c.u.proto == NET_UDP   ? "udp"
	         : c.u.proto == NET_TCP ? "tcp"
	         : c.u.proto == NET_TLS ? "tls"
	                                : "relp",
	         strchr(c.u.host, ':') ? "[" : "", c.u.host, strchr(c.u.host, ':') ? "]" : "",
	         c.u.port);
	(void)output_hostname(); /* resolved now, before the writer thread reads it */
	(void)output_sensor_id();
	l->tx = net_sender_open(&c.u, c.backlog, l->url, err, errlen);
	if (l->tx == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

int output_syslog_link_send(struct output_syslog_link *l, enum sw_severity sev, uint64_t ts_us,
                            const char *msgid, const char *sd, const char *msg, bool may_truncate)
{
	int pri = l->facility * 8 + output_syslog_severity(sev);
	int n = output_syslog_format(
	    l->buf, sizeof(l->buf), may_truncate ? l->limit : sizeof(l->buf) - 1, pri, ts_us,
	    output_hostname(), (long)getpid(), msgid, sd, msg, may_truncate);

	if (n < 0) {
		fprintf(stderr, "scanwatch: %s: a message too long to send was dropped\n", l->url);
		return -1;
	}
	return net_sender_send(l->tx, l->buf, (size_t)n);
}

void output_syslog_link_tick(struct output_syslog_link *l)
{
	net_sender_poll(l->tx);
}

void output_syslog_link_counters(struct output_syslog_link *l, struct output_counters *out)
{
	struct net_sender_stats st;

	net_sender_get_stats(l->tx, &st);
	out->sent = st.sent;
	out->dropped = st.dropped;
	out->reconnects = st.reconnects;
	out->failures = st.failures;
	out->backlog = st.backlog;
	out->backlog_max = st.backlog_max;
	out->connected = st.connected;
}

void output_syslog_link_close(struct output_syslog_link *l)
{
	struct net_sender_stats st;
	size_t lost;

	if (l == NULL)
		return;
	lost = net_sender_drain(l->tx, SYSLOG_DRAIN_MS);
	net_sender_get_stats(l->tx, &st);
	/* Always said: the operator (and the outage test) reads what the collector missed. */
	fprintf(stderr,
	        "scanwatch: %s: %" PRIu64 " messages sent, %" PRIu64 " dropped (%zu still waiting "
	        "at exit), %" PRIu64 " reconnects, %" PRIu64
	        " failed attempts, backlog max %" PRIu32 "%s\n",
	        l->url, st.sent, st.dropped, lost, st.reconnects, st.failures, st.backlog_max,
	        st.unconfirmed > 0 ? "; the collector did not answer the RELP close" : "");
	if (st.unconfirmed > 0)
		fprintf(stderr,
		        "scanwatch: %s: up to %" PRIu32
		        " of the sent messages were never acknowledged and may be lost\n",
		        l->url, st.unconfirmed);
	net_sender_close(l->tx);
	free(l);
}

/* --- the "syslog" output ---------------------------------------------------------------- */

static void *syslog_open(const char *target, char *err, size_t errlen)
{
	struct syslog_out *s;

	if (target == NULL || !net_is_url(target)) {
		snprintf(err, errlen,
		         "'%s': expected udp://HOST:PORT, tcp://HOST:PORT, tls://HOST:PORT or "
		         "relp://HOST:PORT",
		         target ? target : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->link = output_syslog_link_open(target, err, errlen);
	if (s->link == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static int syslog_write(void *state, const struct sw_detection *d)
{
	struct syslog_out *s = state;

	if (output_syslog_render_sd(d, s->sd, sizeof(s->sd)) < 0 ||
	    output_syslog_render_msg(d, s->msg, sizeof(s->msg)) < 0)
		return -1;
	/* MSGID (section 6.2.7) names the type of message: the kind of scan. */
	return output_syslog_link_send(s->link, (enum sw_severity)d->severity, output_event_time(d),
	                               detection_kind_name((enum sw_kind)d->kind), s->sd, s->msg,
	                               true);
}

static void syslog_tick(void *state)
{
	struct syslog_out *s = state;

	output_syslog_link_tick(s->link);
}

static void syslog_counters(void *state, struct output_counters *out)
{
	struct syslog_out *s = state;

	output_syslog_link_counters(s->link, out);
}

static void syslog_close(void *state)
{
	struct syslog_out *s = state;

	if (s == NULL)
		return;
	output_syslog_link_close(s->link);
	free(s);
}

const struct output_ops output_syslog_ops = {
    .name = "syslog",
    .targets = OUTPUT_TARGET_NET,
    .check_url = output_syslog_check,
    .open = syslog_open,
    .write = syslog_write,
    .flush = syslog_tick, /* end of a batch: push out whatever the socket takes now */
    .reopen = NULL,
    .close = syslog_close,
    .tick = syslog_tick,
    .counters = syslog_counters,
};
