/* test_feeds.c — the SIEM feeds: ECS JSON lines, RFC 5424 syslog (UDP, TCP, outage), CEF, URLs,
 * emit ticks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/defaults.h"
#include "scanwatch/emit.h"
#include "scanwatch/net.h"
#include "scanwatch/output.h"
#include "scanwatch/output_syslog.h"

static char dir[] = "/tmp/sw-test-feeds-XXXXXX";

/* A spoofed-source flood over IPv6: no source, no single target's family hint but samples. */
static void make_flood6(struct sw_detection *d)
{
	memset(d, 0, sizeof(*d));
	d->seq = 9;
	d->phase = DET_CLOSE;
	d->kind = KIND_SYN_FLOOD;
	d->severity = SEV_CRITICAL;
	d->proto = 6;
	d->src_any = 1;
	d->has_target = 1;
	snprintf(d->rule_id, sizeof(d->rule_id), "SW-SYNFLOOD");
	snprintf(d->rule_name, sizeof(d->rule_name), "SYN flood");
	fixture_tags(d, "T1498,T1499.001,T9999");
	d->target = fixture_ip("2001:2::2");
	d->first_seen = 1795667309000000ull;
	d->opened_at = 1795667310000000ull;
	d->last_seen = 1795667311000000ull;
	d->closed_at = 1795667312500000ull;
	d->probes = 50000;
	d->probes_at_open = 1000;
	d->distinct_targets = 1;
	d->distinct_ports = 1;
	d->n_sample_ports = 1;
	d->sample_ports[0] = 80;
	d->n_sample_targets = 1;
	d->sample_targets[0] = d->target;
	d->n_sample_sources = 2;
	d->sample_sources[0] = fixture_ip("2001:2::99");
	d->sample_sources[1] =
	    fixture_ip("2001:2::2"); /* also the target: related.ip lists it once */
	snprintf(d->campaign, sizeof(d->campaign), "c-1");
	fixture_reasons(d, "50000 SYNs from 4000 sources");
}

/* Replaces every "@HOST@" in tmpl with the reported host name, every "@RUN@" with the run
 * token (the wall clock at output_set_identity). */
static void with_host(const char *tmpl, char *out, size_t cap)
{
	const char *h = output_hostname(), *p = tmpl, *m, *r;
	size_t n = 0;

	for (;;) {
		m = strstr(p, "@HOST@");
		r = strstr(p, "@RUN@");
		if (m == NULL && r == NULL)
			break;
		if (m != NULL && (r == NULL || m < r)) {
			n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(m - p), p, h);
			p = m + 6;
		} else {
			n += (size_t)snprintf(out + n, cap - n, "%.*s%s", (int)(r - p), p,
			                      output_run_token());
			p = r + 5;
		}
	}
	snprintf(out + n, cap - n, "%s", p);
}

/* --- jsonl ------------------------------------------------------------------------------ */

static const char jsonl_expect[] =
    "{\"@timestamp\":\"2026-11-26T04:28:29.123456Z\",\"message\":\"syn_scan open: 198.18.0.2 "
    "-> 198.18.1.2: 5 probes to 5 ports on 1 hosts; severity medium; rule SW-TCP-SYN-001 (TCP "
    "SYN scan); tool nmap: 5 ports in 0.1s; \\\"window\\\" 1024\",\"ecs\":{\"version\":\"8.11."
    "0\"},\"event\":{\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"],"
    "\"type\":[\"start\"],\"action\":\"syn_scan\",\"module\":\"scanwatch\",\"dataset\":"
    "\"scanwatch.detection\",\"id\":\"7\",\"severity\":2,\"start\":\"2026-11-26T04:28:29."
    "000001Z\"},\"rule\":{\"id\":\"SW-TCP-SYN-001\",\"name\":\"TCP SYN scan\",\"ruleset\":"
    "\"scanwatch\"},\"threat\":{\"framework\":\"MITRE ATT&CK\",\"tactic\":{\"id\":[\"TA0007\","
    "\"TA0043\"],\"name\":[\"Discovery\",\"Reconnaissance\"],\"reference\":[\"https://"
    "attack.mitre.org/tactics/TA0007/\",\"https://attack.mitre.org/tactics/TA0043/\"]},"
    "\"technique\":{\"id\":[\"T1046\",\"T1595\"],\"name\":[\"Network Service Discovery\","
    "\"Active Scanning\"],\"reference\":[\"https://attack.mitre.org/techniques/T1046/\","
    "\"https://attack.mitre.org/techniques/T1595/\"],\"subtechnique\":{\"id\":[\"T1595.001\"],"
    "\"name\":[\"Scanning IP Blocks\"],\"reference\":[\"https://attack.mitre.org/techniques/"
    "T1595/001/\"]}}},\"source\":{\"ip\":\"198.18.0.2\"},\"destination\":{\"ip\":\"198.18.1."
    "2\"},\"network\":{\"transport\":\"tcp\",\"iana_number\":\"6\",\"type\":\"ipv4\"},"
    "\"agent\":{\"id\":\"edge-1.par\",\"name\":\"edge-1.par\",\"type\":\"scanwatch\",\"version\":"
    "\"" SCANWATCH_VERSION "\",\"ephemeral_id\":\"@RUN@\"},\"labels\":{\"site\":\"par1\",\"zone\":"
    "\"dmz\"},"
    "\"observer\":{\"name\":\"edge-1.par\",\"hostname\":\"@HOST@\",\"product\":\"scanwatch\","
    "\"vendor\":\"scanwatch\","
    "\"version\":\"" SCANWATCH_VERSION "\",\"type\":\"ids\",\"ingress\":{\"interface\":{\"name\":"
    "\"sw-tgt\"}}},\"related\":{\"ip\":[\"198.18.0.2\",\"198.18.1.2\"]},\"tags\":[\"T1046\","
    "\"T1595.001\"],\"scanwatch\":{\"phase\":\"open\",\"severity\":\"medium\",\"first_seen\":"
    "\"2026-11-26T04:28:29.000001Z\",\"opened_at\":\"2026-11-26T04:28:29.123456Z\",\"last_seen\""
    ":\"2026-11-26T04:28:29.123456Z\",\"probes\":5,\"probes_at_open\":5,\"distinct_targets\":1,"
    "\"distinct_ports\":5,\"sample_ports\":[22,443],\"sample_targets\":[\"198.18.1.2\"],"
    "\"sample_sources\":[],\"tool\":\"nmap\",\"evidence\":\"5 ports in 0.1s; \\\"window\\\" "
    "1024\",\"reasons\":[{\"name\":\"text\",\"count\":0,\"text\":\"5 ports in "
    "0.1s\"},{\"name\":\"text\",\"count\":0,\"text\":\"\\\"window\\\" 1024\"}]}}\n"
    /* The IPv6 flood's close: no source.ip, event.end and duration, unknown tag kept. */
    "{\"@timestamp\":\"2026-11-26T04:28:32.500000Z\",\"message\":\"syn_flood close: * -> "
    "2001:2::2: 50000 probes to 1 ports on 1 hosts; severity critical; rule SW-SYNFLOOD (SYN "
    "flood); campaign c-1: 50000 SYNs from 4000 sources\",\"ecs\":{\"version\":\"8.11.0\"},"
    "\"event\":{\"kind\":\"alert\",\"category\":[\"network\",\"intrusion_detection\"],\"type\":"
    "[\"end\"],\"action\":\"syn_flood\",\"module\":\"scanwatch\",\"dataset\":\"scanwatch."
    "detection\",\"id\":\"9\",\"severity\":4,\"start\":\"2026-11-26T04:28:29.000000Z\",\"end\":"
    "\"2026-11-26T04:28:32.500000Z\",\"duration\":3500000000},\"rule\":{\"id\":\"SW-SYNFLOOD\","
    "\"name\":\"SYN flood\",\"ruleset\":\"scanwatch\"},\"threat\":{\"framework\":\"MITRE "
    "ATT&CK\",\"tactic\":{\"id\":[\"TA0040\"],\"name\":[\"Impact\"],\"reference\":[\"https://"
    "attack.mitre.org/tactics/TA0040/\"]},\"technique\":{\"id\":[\"T1498\",\"T1499\"],\"name\":"
    "[\"Network Denial of Service\",\"Endpoint Denial of Service\"],\"reference\":[\"https://"
    "attack.mitre.org/techniques/T1498/\",\"https://attack.mitre.org/techniques/T1499/\"],"
    "\"subtechnique\":{\"id\":[\"T1499.001\"],\"name\":[\"OS Exhaustion Flood\"],\"reference\":"
    "[\"https://attack.mitre.org/techniques/T1499/001/\"]}}},\"destination\":{\"ip\":\"2001:2::"
    "2\"},\"network\":{\"transport\":\"tcp\",\"iana_number\":\"6\",\"type\":\"ipv6\"},"
    "\"agent\":{\"id\":\"edge-1.par\",\"name\":\"edge-1.par\",\"type\":\"scanwatch\",\"version\":"
    "\"" SCANWATCH_VERSION "\",\"ephemeral_id\":\"@RUN@\"},\"labels\":{\"site\":\"par1\",\"zone\":"
    "\"dmz\"},"
    "\"observer\":{\"name\":\"edge-1.par\",\"hostname\":\"@HOST@\",\"product\":\"scanwatch\","
    "\"vendor\":\"scanwatch\","
    "\"version\":\"" SCANWATCH_VERSION "\",\"type\":\"ids\",\"ingress\":{\"interface\":{\"name\":"
    "\"sw-tgt\"}}},\"related\":{\"ip\":[\"2001:2::2\",\"2001:2::99\"]},\"tags\":[\"T1498\","
    "\"T1499.001\",\"T9999\"],\"scanwatch\":{\"phase\":\"close\",\"severity\":\"critical\","
    "\"first_seen\":\"2026-11-26T04:28:29.000000Z\",\"opened_at\":\"2026-11-26T04:28:30."
    "000000Z\",\"last_seen\":\"2026-11-26T04:28:31.000000Z\",\"probes\":50000,\"probes_at_"
    "open\":1000,\"distinct_targets\":1,\"distinct_ports\":1,\"sample_ports\":[80],\"sample_"
    "targets\":[\"2001:2::2\"],\"sample_sources\":[\"2001:2::99\",\"2001:2::2\"],\"campaign\":"
    "\"c-1\",\"evidence\":\"50000 SYNs from 4000 sources\",\"reasons\":[{\"name\":\"text\","
    "\"count\":0,\"text\":\"50000 SYNs from 4000 sources\"}]}}\n";

static void test_jsonl(void)
{
	const struct output_ops *ops = output_lookup("jsonl");
	char path[128], rotated[128], err[256], expect[16384], got[16384];
	struct sw_detection d;
	void *st;

	CHECK(ops != NULL);
	if (ops == NULL)
		return;
	output_set_observer("sw-tgt");
	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	st = ops->open(path, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	fixture_syn(&d, DET_OPEN);
	CHECK(ops->write(st, &d) == 0);
	make_flood6(&d);
	CHECK(ops->write(st, &d) == 0);
	ops->flush(st);
	with_host(jsonl_expect, expect, sizeof(expect));
	fixture_read_file(path, got, sizeof(got));
	CHECK_STR(got, expect);

	/* logrotate `create`: rename, SIGHUP (reopen), the next line goes to a new file. */
	snprintf(rotated, sizeof(rotated), "%s/alerts.jsonl.1", dir);
	CHECK(rename(path, rotated) == 0);
	CHECK(ops->reopen(st) == 0);
	fixture_syn(&d, DET_UPDATE);
	CHECK(ops->write(st, &d) == 0);
	ops->close(st);
	CHECK(fixture_read_file(rotated, got, sizeof(got)) == strlen(expect));
	fixture_read_file(path, got, sizeof(got));
	CHECK(strstr(got, "\"type\":[\"info\"]") != NULL);
	CHECK(strstr(got, "\"@timestamp\":\"2026-11-26T04:28:40.500000Z\"") != NULL);
	CHECK(strchr(got, '\n') == got + strlen(got) - 1); /* exactly one line */
	unlink(rotated);
	unlink(path);

	/* A reopen that fails keeps writing to the old file. */
	snprintf(path, sizeof(path), "%s/sub/alerts.jsonl", dir);
	snprintf(rotated, sizeof(rotated), "%s/sub", dir);
	CHECK(mkdir(rotated, 0700) == 0);
	st = ops->open(path, err, sizeof(err));
	CHECK(st != NULL);
	if (st != NULL) {
		snprintf(got, sizeof(got), "%s/moved", dir);
		CHECK(rename(rotated, got) == 0); /* the directory is gone: the open must fail */
		CHECK(ops->reopen(st) < 0);
		fixture_syn(&d, DET_OPEN);
		CHECK(ops->write(st, &d) == 0);
		ops->close(st);
		snprintf(path, sizeof(path), "%s/moved/alerts.jsonl", dir);
		CHECK(fixture_read_file(path, got, sizeof(got)) > 100);
		unlink(path);
		snprintf(path, sizeof(path), "%s/moved", dir);
		rmdir(path);
	}
	output_set_observer(NULL);
}

/* --- CEF, with a strict parser ---------------------------------------------------------- */

#define CEF_FIELDS_MAX 64

struct cef_parsed {
	char hdr[7][512];
	size_t next;
	char key[CEF_FIELDS_MAX][32];
	char val[CEF_FIELDS_MAX][1024];
};

/*
 * Parses one CEF line strictly: "CEF:0|" then six header fields split on
 * unescaped '|' (only \| and \\ allowed), then key=value pairs: a key is
 * [A-Za-z0-9_]+ right after the start or a space and before an unescaped
 * '='; a value runs to the space before the next key; only \= \\ \n \r are
 * allowed escapes and a bare '=' or '|'-escape in a value is an error.
 */
static int cef_parse(const char *line, struct cef_parsed *p)
{
	const char *s = line;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (strncmp(s, "CEF:", 4) != 0)
		return -1;
	s += 4;
	for (int f = 0; f < 7; f++) {
		n = 0;
		for (;; s++) {
			if (*s == '\0')
				return -1;
			if (*s == '|')
				break;
			if (*s == '\\') {
				s++;
				if (*s != '\\' && *s != '|')
					return -1;
			} else if (*s == '\n' || *s == '\r') {
				return -1;
			}
			if (n + 1 >= sizeof(p->hdr[f]))
				return -1;
			p->hdr[f][n++] = *s;
		}
		s++; /* the '|' */
	}
	if (strcmp(p->hdr[0], "0") != 0)
		return -1;
	/* Extension. */
	while (*s != '\0') {
		const char *k = s;
		size_t kl = 0;

		while ((k[kl] >= 'a' && k[kl] <= 'z') || (k[kl] >= 'A' && k[kl] <= 'Z') ||
		       (k[kl] >= '0' && k[kl] <= '9') || k[kl] == '_')
			kl++;
		if (kl == 0 || kl >= sizeof(p->key[0]) || k[kl] != '=' || p->next == CEF_FIELDS_MAX)
			return -1;
		memcpy(p->key[p->next], k, kl);
		s = k + kl + 1;
		n = 0;
		for (;;) {
			char c = *s;

			if (c == '\0')
				break;
			if (c == ' ') {
				/* Does a new key start after this space? */
				const char *q = s + 1;

				while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
				       (*q >= '0' && *q <= '9') || *q == '_')
					q++;
				if (q > s + 1 && *q == '=')
					break;
			}
			if (c == '=' || c == '\n' || c == '\r')
				return -1; /* must have been escaped */
			if (c == '\\') {
				s++;
				if (*s == '\\' || *s == '=')
					c = *s;
				else if (*s == 'n')
					c = '\n';
				else if (*s == 'r')
					c = '\r';
				else
					return -1;
			}
			if (n + 1 >= sizeof(p->val[0]))
				return -1;
			p->val[p->next][n++] = c;
			s++;
		}
		p->next++;
		if (*s == ' ')
			s++;
	}
	return 0;
}

static const char *cef_get(const struct cef_parsed *p, const char *key)
{
	for (size_t i = 0; i < p->next; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	return NULL;
}

static const char cef_expect[] =
    "CEF:0|scanwatch|scanwatch|" SCANWATCH_VERSION "|SW-TCP-SYN-001|TCP SYN scan|5|"
    "rt=1795667320500 start=1795667309000 end=1795667321000 act=close cat=syn_scan "
    "externalId=7 src=198.18.0.2 dst=198.18.1.2 proto=TCP cnt=1999 dvchost=edge-1.par "
    "flexString2Label=siteTags flexString2=site\\=par1,zone\\=dmz "
    "cn1Label=distinctPorts cn1=1000 cn2Label=distinctTargets cn2=1 cn3Label=probesAtOpen "
    "cn3=5 cs1Label=tool cs1=nmap cs3Label=attackTechniques cs3=T1046,T1595.001 "
    "cs4Label=samplePorts cs4=22,443 cs5Label=sampleTargets cs5=198.18.1.2 msg=5 ports in "
    "0.1s; \"window\" 1024\n";

static void test_cef(void)
{
	const struct output_ops *ops = output_lookup("cef");
	char path[128], err[256], expect[4096], got[16384];
	struct sw_detection d;
	struct cef_parsed p;
	void *st;
	char *nl;

	CHECK(ops != NULL);
	if (ops == NULL)
		return;
	snprintf(path, sizeof(path), "%s/alerts.cef", dir);
	st = ops->open(path, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	fixture_syn(&d, DET_CLOSE);
	d.closed_at = 1795667321000000ull;
	d.last_seen = 1795667320500000ull;
	CHECK(ops->write(st, &d) == 0);
	/* Values holding every character CEF escapes, in header and extension. */
	make_flood6(&d);
	snprintf(d.rule_id, sizeof(d.rule_id), "R|1\\x=y");
	snprintf(d.rule_name, sizeof(d.rule_name), "a|b\\c=d\nnext");
	fixture_reasons(&d, "k=v \\ | x=1\\=2 end\r\nline two cs1=fake");
	snprintf(d.tool, sizeof(d.tool), "t=|\\");
	CHECK(ops->write(st, &d) == 0);
	ops->close(st);

	fixture_read_file(path, got, sizeof(got));
	nl = strchr(got, '\n');
	CHECK(nl != NULL);
	if (nl == NULL)
		return;
	/* The first (close) record: but rt is closed_at for a close. */
	with_host(cef_expect, expect, sizeof(expect));
	{
		char *e = strstr(expect, "rt=1795667320500");

		memcpy(e, "rt=1795667321000", 16);
	}
	CHECK(strncmp(got, expect, (size_t)(nl - got + 1)) == 0);
	if (strncmp(got, expect, (size_t)(nl - got + 1)) != 0)
		fprintf(stderr, "got:    %.*s\nexpect: %s", (int)(nl - got + 1), got, expect);
	*nl = '\0';
	CHECK(cef_parse(got, &p) == 0);
	CHECK_STR(p.hdr[4], "SW-TCP-SYN-001");
	CHECK_STR(cef_get(&p, "msg"), "5 ports in 0.1s; \"window\" 1024");

	/* The second: a strict parse gives back exactly what went in. */
	{
		char *line2 = nl + 1, *nl2 = strchr(line2, '\n');

		CHECK(nl2 != NULL && nl2[1] == '\0'); /* the newline in values did not split it */
		if (nl2 == NULL)
			return;
		*nl2 = '\0';
		CHECK(cef_parse(line2, &p) == 0);
		CHECK_STR(p.hdr[1], "scanwatch");
		CHECK_STR(p.hdr[4], "R|1\\x=y");
		CHECK_STR(p.hdr[5], "a|b\\c=d next"); /* no line break allowed in a header */
		CHECK_STR(p.hdr[6], "10");
		CHECK_STR(cef_get(&p, "msg"), "k=v \\ | x=1\\=2 end\r\nline two cs1=fake");
		CHECK_STR(cef_get(&p, "cs1"), "t=|\\");
		CHECK_STR(cef_get(&p, "cs1Label"), "tool");
		CHECK_STR(cef_get(&p, "c6a3"), "2001:2::2");
		CHECK_STR(cef_get(&p, "c6a3Label"), "Destination IPv6 Address");
		CHECK(cef_get(&p, "src") == NULL); /* spoofed sources: no source */
		CHECK(cef_get(&p, "c6a2") == NULL);
		CHECK_STR(cef_get(&p, "cs6"), "2001:2::99,2001:2::2");
		CHECK_STR(cef_get(&p, "cs2"), "c-1");
		CHECK_STR(cef_get(&p, "act"), "close");
		CHECK_STR(cef_get(&p, "cnt"), "50000");
	}
	/* The parser itself rejects what a strict CEF reader must. */
	CHECK(cef_parse("CEF:0|a|b|c|d|e|5|k=a=b", &p) < 0);
	CHECK(cef_parse("CEF:0|a|b|c|d|e|5|k=a\\|b", &p) < 0);
	CHECK(cef_parse("CEF:0|a|b\\=|c|d|e|5|", &p) < 0);
	CHECK(cef_parse("CEF:0|a|b|c|d|e|5", &p) < 0);
	unlink(path);
}

/* --- syslog ----------------------------------------------------------------------------- */

static int udp_listener(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

static int tcp_listener(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons((uint16_t)*port)};
	socklen_t sl = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Waits up to ms for fd to be readable. */
static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

/* Reads one RFC 6587 octet-counted frame into buf (NUL-terminated); its length or -1. */
static int read_frame(int fd, char *buf, size_t cap)
{
	size_t len = 0, got = 0;
	char c;

	for (;;) {
		if (!readable(fd, 3000) || recv(fd, &c, 1, 0) != 1)
			return -1;
		if (c == ' ')
			break;
		if (c < '0' || c > '9' || len > cap)
			return -1;
		len = len * 10 + (size_t)(c - '0');
	}
	if (len >= cap)
		return -1;
	while (got < len) {
		ssize_t n;

		if (!readable(fd, 3000))
			return -1;
		n = recv(fd, buf + got, len - got, 0);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	buf[len] = '\0';
	return (int)len;
}

/*
 * Parses the STRUCTURED-DATA of an RFC 5424 message strictly and returns the
 * unescaped value of param (in out), or -1: SD-ELEMENT syntax, SD-NAME
 * characters (section 6.3.2), and only \" \\ \] escapes inside values.
 */
static int sd_value(const char *msg, const char *param, char *out, size_t cap)
{
	const char *s = msg;
	int found = -1;

	/* Skip the six header fields. */
	for (int i = 0; i < 6; i++) {
		s = strchr(s, ' ');
		if (s == NULL)
			return -1;
		s++;
	}
	if (*s++ != '[')
		return -1;
	while (*s != ' ' && *s != ']') {
		if (*s <= 32 || *s == '=' || *s == '"' || *s > 126)
			return -1;
		s++;
	}
	while (*s == ' ') {
		const char *name = ++s;
		size_t nl, n = 0;

		while (*s > 32 && *s < 127 && *s != '=' && *s != ']' && *s != '"')
			s++;
		nl = (size_t)(s - name);
		if (nl == 0 || nl > 32 || *s++ != '=' || *s++ != '"')
			return -1;
		bool want = strlen(param) == nl && memcmp(name, param, nl) == 0;

		while (*s != '"') {
			char c = *s;

			if (c == '\0' || c == ']')
				return -1; /* ']' must be escaped inside a value */
			if (c == '\\') {
				s++;
				if (*s != '"' && *s != '\\' && *s != ']')
					return -1;
				c = *s;
			}
			if (want && n + 1 < cap)
				out[n++] = c;
			s++;
		}
		s++;
		if (want) {
			out[n] = '\0';
			found = 0;
		}
	}
	if (*s != ']')
		return -1;
	return found;
}

static void test_syslog_udp(void)
{
	const struct output_ops *ops = output_lookup("syslog");
	char url[128], err[256], got[8192], expect[8192], v[600];
	struct sw_detection d;
	void *st;
	int port, fd = udp_listener(&port);
	ssize_t n;

	CHECK(ops != NULL && ops->tick != NULL && ops->counters != NULL);
	if (ops == NULL)
		return;
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", port);
	st = ops->open(url, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	fixture_syn(&d, DET_OPEN);
	snprintf(d.rule_name, sizeof(d.rule_name), "q\"uote b\\ack ]br");
	CHECK(ops->write(st, &d) == 0);
	CHECK(readable(fd, 3000));
	n = recv(fd, got, sizeof(got) - 1, 0);
	CHECK(n > 0);
	got[n > 0 ? n : 0] = '\0';
	/* local0 (16) * 8 + warning (4) = 132. */
	snprintf(expect, sizeof(expect),
	         "<132>1 2026-11-26T04:28:29.123456Z %s scanwatch %ld syn_scan "
	         "[scanwatch@32473 phase=\"open\" seq=\"7\" kind=\"syn_scan\" "
	         "severity=\"medium\" rule=\"SW-TCP-SYN-001\" ruleName=\"q\\\"uote b\\\\ack "
	         "\\]br\" src=\"198.18.0.2\" dst=\"198.18.1.2\" proto=\"6\" "
	         "firstSeen=\"2026-11-26T04:28:29.000001Z\" openedAt=\"2026-11-26T04:28:29."
	         "123456Z\" lastSeen=\"2026-11-26T04:28:29.123456Z\" probes=\"5\" "
	         "probesAtOpen=\"5\" distinctTargets=\"1\" distinctPorts=\"5\" "
	         "samplePorts=\"22,443\" sampleTargets=\"198.18.1.2\" tags=\"T1046,T1595.001\" "
	         "tool=\"nmap\" sensor=\"edge-1.par\" siteTags=\"site=par1,zone=dmz\"] syn_scan "
	         "open: 198.18.0.2 -> 198.18.1.2: 5 probes to 5 ports "
	         "on 1 hosts; severity medium; rule SW-TCP-SYN-001 (q\"uote b\\ack ]br); tool "
	         "nmap: 5 ports in 0.1s; \"window\" 1024",
	         output_hostname(), (long)getpid());
	CHECK_STR(got, expect);
	CHECK(sd_value(got, "ruleName", v, sizeof(v)) == 0);
	CHECK_STR(v, "q\"uote b\\ack ]br");
	CHECK(sd_value(got, "samplePorts", v, sizeof(v)) == 0);
	CHECK_STR(v, "22,443");

	/* Too long for a datagram: MSG is cut (on a character), SD stays whole. */
	make_flood6(&d);
	fixture_reasons_full(&d, "\xc3\xa9", 2); /* é */
	snprintf(d.rule_name, sizeof(d.rule_name), "%0*d", (int)sizeof(d.rule_name) - 1, 0);
	for (int i = 0; i < 4; i++) /* a long rule name, four times: over 2048 together */
		CHECK(ops->write(st, &d) == 0);
	for (int i = 0; i < 4; i++) {
		CHECK(readable(fd, 3000));
		n = recv(fd, got, sizeof(got) - 1, 0);
		CHECK(n > 0 && n <= 2048);
		got[n > 0 ? n : 0] = '\0';
		CHECK(sd_value(got, "campaign", v, sizeof(v)) == 0);
		CHECK_STR(v, "c-1");
		CHECK(sd_value(got, "src", v, sizeof(v)) == 0);
		CHECK_STR(v, "*");
		/* cut between characters: the last byte ends an é (0xA9) */
		CHECK(n > 0 && (unsigned char)got[n - 1] == 0xA9);
	}
	{
		struct output_counters c;

		CHECK(output_get_counters(ops, st, &c) == 0);
		CHECK_EQ_U(c.sent, 5);
		CHECK_EQ_U(c.dropped, 0);
		CHECK_EQ_U(c.backlog, 0);
	}
	ops->close(st);
	close(fd);
}

static void make_seq(struct sw_detection *d, uint64_t seq)
{
	fixture_syn(d, DET_UPDATE);
	d->seq = seq;
}

/* Polls the output's tick until cond holds or 10 s pass (the backoff is 0.5 s first). */
#define TICK_UNTIL(ops, st, cond)                                    \
	do {                                                         \
		for (int t_ = 0; t_ < 1000 && !(cond); t_++) {       \
			struct timespec ts_ = {0, 10 * 1000 * 1000}; \
			(ops)->tick(st);                             \
			nanosleep(&ts_, NULL);                       \
		}                                                    \
	} while (0)

static void test_syslog_tcp_outage(void)
{
	const struct output_ops *ops = output_lookup("syslog");
	char url[128], err[256], got[8192], v[64];
	struct output_counters c;
	struct sw_detection d;
	int port = 0, lfd = tcp_listener(&port), cfd;
	void *st;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d?facility=local3&backlog=3", port);
	st = ops->open(url, err, sizeof(err));
	CHECK(st != NULL);
	if (st == NULL)
		return;
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	make_seq(&d, 1);
	CHECK(ops->write(st, &d) == 0);
	CHECK(read_frame(cfd, got, sizeof(got)) > 0);
	/* local3 (19) * 8 + warning (4) = 156; MSGID the kind. */
	CHECK(strncmp(got, "<156>1 2026-11-26T04:28:40.500000Z ", 35) == 0);
	CHECK(sd_value(got, "seq", v, sizeof(v)) == 0);
	CHECK_STR(v, "1");

	/* The collector dies: five records while it is gone, room for three. */
	close(cfd);
	close(lfd);
	for (uint64_t s = 2; s <= 6; s++) {
		make_seq(&d, s);
		ops->write(st, &d);
	}
	CHECK(output_get_counters(ops, st, &c) == 0);
	CHECK_EQ_U(c.backlog, 3);
	CHECK_EQ_U(c.dropped, 2);
	CHECK(!c.connected);

	/* It comes back on the same port: the tick alone (no new record) delivers 4, 5, 6. */
	lfd = tcp_listener(&port);
	TICK_UNTIL(ops, st, (output_get_counters(ops, st, &c), c.backlog == 0));
	CHECK_EQ_U(c.backlog, 0);
	CHECK_EQ_U(c.reconnects, 1);
	CHECK(c.connected);
	cfd = accept(lfd, NULL, NULL);
	CHECK(cfd >= 0);
	for (int s = 4; s <= 6; s++) {
		char want[8];

		CHECK(read_frame(cfd, got, sizeof(got)) > 0);
		snprintf(want, sizeof(want), "%d", s);
		CHECK(sd_value(got, "seq", v, sizeof(v)) == 0);
		CHECK_STR(v, want);
	}
	CHECK_EQ_U(c.sent, 4);

	/* A message still waiting at close is counted dropped, after a bounded wait. */
	close(cfd);
	close(lfd);
	make_seq(&d, 7);
	ops->write(st, &d);
	make_seq(&d, 8);
	ops->write(st, &d);
	ops->close(st);
}

static void test_url(void)
{
	struct net_url u;
	char err[256], v[32];
	static const char *const allowed[] = {"facility", "backlog", NULL};

	CHECK(net_url_parse("udp://127.0.0.1:5514?facility=local3", "514", &u, err, sizeof(err)) ==
	      0);
	CHECK(u.proto == NET_UDP);
	CHECK_STR(u.host, "127.0.0.1");
	CHECK_STR(u.port, "5514");
	CHECK(net_url_param(&u, "facility", v, sizeof(v)) == 1);
	CHECK_STR(v, "local3");
	CHECK(net_url_param(&u, "backlog", v, sizeof(v)) == 0);
	CHECK(net_url_check_params(&u, allowed, err, sizeof(err)) == 0);
	CHECK(net_url_parse("tcp://[2001:2::1]:6514", "514", &u, err, sizeof(err)) == 0);
	CHECK(u.proto == NET_TCP);
	CHECK_STR(u.host, "2001:2::1");
	CHECK_STR(u.port, "6514");
	CHECK(net_url_parse("tcp://collector.example", "514", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.port, "514");
	CHECK(net_url_parse("tcp://[2001:2::1]", "514", &u, err, sizeof(err)) == 0);
	CHECK_STR(u.host, "2001:2::1");
	CHECK(net_url_parse("udp://h:1?backlog=5&facility=user", "514", &u, err, sizeof(err)) == 0);
	CHECK(net_url_param(&u, "backlog", v, sizeof(v)) == 1);
	CHECK_STR(v, "5");
	CHECK(net_url_parse("udp://h:1?bogus=1", "514", &u, err, sizeof(err)) == 0);
	CHECK(net_url_check_params(&u, allowed, err, sizeof(err)) < 0);
	CHECK(net_url_parse("http://h:1", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("udp://:1", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("udp://h:0", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("udp://h:65536", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("udp://h:12a", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("tcp://[2001:2::1", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("tcp://[2001:2::1]x", "514", &u, err, sizeof(err)) < 0);
	CHECK(net_is_url("udp://x") && net_is_url("tcp://x") && !net_is_url("/var/log/x"));
	/* nats:// (issue 19): userinfo before the host, as the NATS clients read their URLs. */
	CHECK(net_is_url("nats://x"));
	CHECK(net_url_parse("nats://u1:p@ss@198.18.0.1:4223?creds=x", "4222", &u, err,
	                    sizeof(err)) < 0); /* '@' in the password: the host is "ss@..." */
	CHECK(net_url_parse("nats://u1:pw@198.18.0.1:4223?linger=3", "4222", &u, err,
	                    sizeof(err)) == 0);
	CHECK(u.proto == NET_NATS && u.has_userinfo);
	CHECK_STR(u.user, "u1");
	CHECK_STR(u.pass, "pw");
	CHECK_STR(u.host, "198.18.0.1");
	CHECK_STR(u.port, "4223");
	CHECK(net_url_parse("nats://s3cr3t@[2001:2::1]", "4222", &u, err, sizeof(err)) == 0);
	CHECK(u.has_userinfo && u.pass[0] == '\0');
	CHECK_STR(u.user, "s3cr3t");
	CHECK_STR(u.host, "2001:2::1");
	CHECK_STR(u.port, "4222");
	CHECK(net_url_parse("nats://@h", "4222", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("nats://u:@h", "4222", &u, err, sizeof(err)) < 0);
	CHECK(net_url_parse("nats://h", "4222", &u, err, sizeof(err)) == 0 && !u.has_userinfo);
	/* The nats output takes nats:// only, and checks its options and files up front. */
	{
		const struct output_ops *nats = output_lookup("nats");
		const struct output_ops *sys = output_lookup("syslog");

		CHECK(nats != NULL);
		if (nats != NULL) {
			CHECK(output_check_target(nats, "nats://198.18.0.1", "x", err,
			                          sizeof err) == OUTPUT_TARGET_NATS);
			CHECK(output_check_target(nats, "tcp://198.18.0.1:1", "x", err,
			                          sizeof err) < 0);
			CHECK(output_check_target(nats, "/tmp/x", "x", err, sizeof err) < 0);
			CHECK(output_check_target(nats, "nats://h?bogus=1", "x", err, sizeof err) <
			      0);
			CHECK(output_check_target(nats, "nats://h?backlog=0", "x", err,
			                          sizeof err) < 0);
			CHECK(output_check_target(nats, "nats://h?tls_cert=/etc/hostname", "x", err,
			                          sizeof err) < 0); /* without tls_key */
			CHECK(output_check_target(nats, "nats://h?creds=/nonexistent/x.creds", "x",
			                          err, sizeof err) < 0);
			CHECK(strstr(err, "No such file") != NULL);
			CHECK(output_check_target(nats, "nats://u:p@h?creds=/etc/hostname", "x",
			                          err,
			                          sizeof err) < 0); /* two kinds of credentials */
		}
		CHECK(output_check_target(sys, "nats://198.18.0.1", "x", err, sizeof err) < 0);
	}
	/* The output refuses bad options at open, not at the first record. */
	CHECK(output_lookup("syslog")->open("udp://127.0.0.1:9?facility=local9", err,
	                                    sizeof(err)) == NULL);
	CHECK(output_lookup("syslog")->open("udp://127.0.0.1:9?backlog=0", err, sizeof(err)) ==
	      NULL);
	CHECK(output_lookup("syslog")->open("/tmp/x", err, sizeof(err)) == NULL);
}

static void test_format(void)
{
	char t[OUTPUT_TIME_MAX], buf[256];
	int n;

	CHECK_STR(output_format_time(t, 0), "1970-01-01T00:00:00.000000Z");
	CHECK_STR(output_format_time(t, 1795667309123456ull), "2026-11-26T04:28:29.123456Z");
	/* NILVALUE SD, no MSG; a MSG cut to the limit on a character boundary. */
	n = output_syslog_format(buf, sizeof(buf), 200, 134, 0, "h", 1, "m", NULL, NULL, true);
	CHECK_STR(buf, "<134>1 1970-01-01T00:00:00.000000Z h scanwatch 1 m -");
	CHECK(n == (int)strlen(buf));
	n = output_syslog_format(buf, sizeof(buf), 55, 134, 0, "h", 1, "m", NULL,
	                         "\xc3\xa9\xc3\xa9", true);
	CHECK_STR(buf, "<134>1 1970-01-01T00:00:00.000000Z h scanwatch 1 m - \xc3\xa9");
	CHECK(output_syslog_format(buf, sizeof(buf), 55, 134, 0, "h", 1, "m", NULL, "abcd", false) <
	      0);
	CHECK_EQ_U(output_syslog_severity(SEV_LOW), 5);
	CHECK_EQ_U(output_syslog_severity(SEV_CRITICAL), 2);
}

/* --- emit calls tick even without records ----------------------------------------------- */

static int ticks;

static int fake_write(void *s, const struct sw_detection *d)
{
	return 0;
}

static void fake_tick(void *s)
{
	__atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
}

static void test_emit_tick(void)
{
	static const struct output_ops fake = {
	    .name = "fake", .write = fake_write, .tick = fake_tick};
	struct emit_sink sink = {&fake, NULL};
	struct emit *e = emit_start(NULL, 1, &sink, 1, 4, SW_EMIT_EVIDENCE_BYTES, false);
	int seen = 0;

	CHECK(e != NULL);
	if (e == NULL)
		return;
	/* At least two ticks within 3 s with no record pushed (the interval is 250 ms). */
	for (int i = 0; i < 300 && seen < 2; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		seen = __atomic_load_n(&ticks, __ATOMIC_SEQ_CST);
	}
	CHECK(seen >= 2);
	emit_stop(e);
}

/* The nats output with no broker (a closed port): live, a full backlog drops its oldest
 * records and counts them; at exit what waits is counted lost. Nothing blocks the writer. */
static void test_nats_backlog(void)
{
	const struct output_ops *ops = output_lookup("nats");
	struct output_counters oc;
	struct sw_detection d;
	char err[256];
	void *st;

	CHECK(ops != NULL);
	if (ops == NULL)
		return;
	output_set_observer("sw-tgt"); /* live: a full backlog drops, never waits */
	st = ops->open("nats://127.0.0.1:9?backlog=3&linger=0", err, sizeof err);
	CHECK(st != NULL);
	if (st == NULL) {
		fprintf(stderr, "nats open: %s\n", err);
		output_set_observer(NULL);
		return;
	}
	for (unsigned i = 0; i < 10; i++) {
		fixture_syn(&d, DET_UPDATE);
		d.seq = 100 + i;
		CHECK(ops->write(st, &d) == 0);
	}
	CHECK(output_get_counters(ops, st, &oc) == 0);
	CHECK(oc.has_acked && oc.acked == 0);
	CHECK_EQ_U(oc.backlog, 3);
	CHECK_EQ_U(oc.backlog_max, 3);
	CHECK_EQ_U(oc.dropped, 7); /* the seven oldest */
	CHECK(!oc.connected);
	ops->close(st); /* linger=0: the three waiting are lost, and said so */
	output_set_observer(NULL);
	CHECK(ops->open("nats://127.0.0.1:9?tls_ca=/nonexistent/ca.pem", err, sizeof err) == NULL);
}

/* Sensor identity (issue 19): what ids and tags are accepted, and the default. */
static void test_identity(void)
{
	const char *tags[] = {"site=par1", "zone=dmz"};
	const char *bad_tags[] = {"site=par1", "zone dmz"};
	char err[256];
	size_t n;

	CHECK(output_check_sensor_id("edge-1.par", err, sizeof err) == 0);
	CHECK(output_check_sensor_id("", err, sizeof err) < 0);
	CHECK(output_check_sensor_id("a*b", err, sizeof err) < 0); /* a NATS wildcard */
	CHECK(output_check_sensor_id("a b", err, sizeof err) < 0);
	CHECK(output_check_sensor_id("a>", err, sizeof err) < 0);
	CHECK(output_check_sensor_id(
	          "x1234567890123456789012345678901234567890123456789012345678901234", err,
	          sizeof err) < 0); /* 65 characters */
	CHECK(output_check_site_tag("site=par1", err, sizeof err) == 0);
	CHECK(output_check_site_tag("rack_2=r2/u14", err, sizeof err) == 0);
	CHECK(output_check_site_tag("site", err, sizeof err) < 0);
	CHECK(output_check_site_tag("=x", err, sizeof err) < 0);
	CHECK(output_check_site_tag("site=", err, sizeof err) < 0);
	CHECK(output_check_site_tag("si-te=x", err, sizeof err) < 0);
	CHECK(output_check_site_tag("site=a\"b", err, sizeof err) < 0); /* SD-PARAM quoting */
	CHECK(output_check_site_tag("site=a]b", err, sizeof err) < 0);
	CHECK(output_check_site_tag("site=a,b", err, sizeof err) < 0); /* the joined form's comma */
	/* The default is the host name; a refused identity changes nothing. */
	CHECK(output_set_identity(NULL, NULL, 0, err, sizeof err) == 0);
	CHECK(strlen(output_sensor_id()) > 0);
	CHECK(output_set_identity("edge-1.par", bad_tags, 2, err, sizeof err) < 0);
	CHECK(output_set_identity("edge-1.par", tags, 2, err, sizeof err) == 0);
	CHECK_STR(output_sensor_id(), "edge-1.par");
	CHECK(output_site_tags(&n) != NULL && n == 2);
	CHECK(strlen(output_run_token()) >= 16); /* microseconds since 1970: 16 digits */
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_identity();
	test_nats_backlog();
	test_format();
	test_url();
	test_jsonl();
	test_cef();
	test_syslog_udp();
	test_syslog_tcp_outage();
	test_emit_tick();
	rmdir(dir);
	CHECK_DONE();
}
