/* report_html.c — the report's page: escaping, the kinds, scanners, ports and evidence tables,
 * the header and cards, and writing the file. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report_private.h"

/* Colours per kind, in DETECTION_KINDS order; dark enough for white labels. */
static const char *const kind_colors[KIND__COUNT] = {
    "#2563eb", /* syn_scan */
    "#0891b2", /* connect_scan */
    "#7c3aed", /* fin_scan */
    "#9333ea", /* null_scan */
    "#c026d3", /* xmas_scan */
    "#db2777", /* maimon_scan */
    "#4f46e5", /* ack_scan */
    "#0d9488", /* window_scan */
    "#ea580c", /* udp_scan */
    "#a16207", /* ip_proto_scan */
    "#16a34a", /* icmp_sweep */
    "#65a30d", /* tcp_sweep */
    "#b45309", /* arp_sweep */
    "#dc2626", /* rst_flood */
    "#991b1b", /* syn_flood */
    "#475569", /* decoy_scan */
    "#be123c", /* distributed_scan */
    "#78716c", /* os_fingerprint */
    "#0e7490", /* sctp_scan */
    "#4d7c0f", /* udp_sweep */
    "#b91c1c", /* udp_flood */
    "#7f1d1d", /* icmp_flood */
};
#define UNKNOWN_KIND_COLOR "#6b7280"

const char *report_html_kind_color(int idx)
{
	return idx >= 0 && idx < KIND__COUNT ? kind_colors[idx] : UNKNOWN_KIND_COLOR;
}

/* ---- HTML --------------------------------------------------------------- */

/*
 * Text from the data, escaped for HTML text and attribute values alike
 * (HTML 5 section 13.1.2.6: & < > " ' are the characters that could end or
 * open markup). Control characters other than tab and newline become U+FFFD:
 * they are parse errors in HTML and mean nothing to a reader.
 */
void report_html_esc(FILE *f, const char *s)
{
	static const char *const entity[128] = {
	    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};

	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 128 && entity[c])
			fputs(entity[c], f);
		else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			fputs("\xef\xbf\xbd", f);
		else
			fputc(c, f);
	}
}

/* "2024-05-01 12:00:00.123" (UTC); "?" for a time gmtime cannot represent. */
const char *report_html_time(uint64_t us, char buf[40])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (us / 1000000 > (uint64_t)INT32_MAX * 1000 || !gmtime_r(&t, &tm)) {
		snprintf(buf, 40, "?");
		return buf;
	}
	snprintf(buf, 40, "%04d-%02d-%02d %02d:%02d:%02d.%03u", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000 / 1000));
	return buf;
}

/* "850 ms", "12.4 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
const char *report_html_dur(uint64_t us, char buf[40])
{
	uint64_t s = us / 1000000;
	if (us < 1000000)
		snprintf(buf, 40, "%" PRIu64 " ms", us / 1000);
	else if (s < 60)
		snprintf(buf, 40, "%.1f s", (double)us / 1e6);
	else if (s < 3600)
		snprintf(buf, 40, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, 40, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, 40, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *proto_name(int proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 0:
		return "mixed";
	default:
		return "ip";
	}
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f4f6;color:#111827;"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    "main{max-width:1360px;margin:0 auto;padding:24px 20px 48px}"
    "header h1{margin:0 0 4px;font-size:24px}"
    "header p{margin:0;color:#4b5563}"
    "section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:16px 18px;"
    "margin-top:18px;box-shadow:0 1px 2px rgba(0,0,0,.04)}"
    "h2{margin:0 0 10px;font-size:17px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}"
    ".card{flex:1 1 150px;background:#fff;border:1px solid #e5e7eb;border-radius:10px;"
    "padding:10px 14px}"
    ".card b{display:block;font-size:22px}"
    ".card span{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 18px;"
    "align-items:start}"
    ".grid section{margin-top:18px}"
    "table.matrix td{vertical-align:top;font-size:12px}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}"
    "th{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.03em}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.when{white-space:nowrap}"
    ".chip{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;"
    "margin:1px 2px 1px 0;white-space:nowrap}"
    ".sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;"
    "border:1px solid #d1d5db}"
    ".sev-high,.sev-critical{background:#fee2e2;border-color:#fca5a5;color:#991b1b}"
    ".sev-medium{background:#fef3c7;border-color:#fcd34d;color:#92400e}"
    ".sev-low{background:#e0f2fe;border-color:#7dd3fc;color:#075985}"
    ".bar{height:10px;background:#93c5fd;border-radius:3px;min-width:2px}"
    ".mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12.5px}"
    ".muted{color:#6b7280}"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:0 0 8px;font-size:12.5px}"
    ".legend i{display:inline-block;width:12px;height:12px;border-radius:3px;"
    "vertical-align:-2px;margin-right:4px}"
    ".evidence ul{margin:0;padding-left:16px}"
    ".evidence td{font-size:13px}"
    "svg text{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    ".note{background:#fffbeb;border:1px solid #fde68a;border-radius:6px;padding:6px 10px;"
    "margin-top:12px}";

static void put_chip(FILE *f, const struct rdet *d)
{
	fprintf(f, "<span class=\"chip\" style=\"background:%s\">",
	        report_html_kind_color(d->kind_idx));
	report_html_esc(f, d->kind ? d->kind : "?");
	fputs("</span>", f);
}

/* A muted label (HTML already) and an escaped monospace value, then tail. */
static void put_mono(FILE *f, const char *label, const char *value, const char *tail)
{
	fprintf(f, "<span class=\"muted\">%s</span> <span class=\"mono\">", label);
	report_html_esc(f, value);
	fprintf(f, "</span>%s", tail);
}

static void put_kinds(FILE *f, const struct report *r)
{
	size_t count[KIND__COUNT + 1] = {0};
	uint64_t probes[KIND__COUNT + 1] = {0};
	size_t max = 1;
	for (size_t i = 0; i < r->n; i++) {
		int k = r->d[i].kind_idx >= 0 ? r->d[i].kind_idx : KIND__COUNT;
		count[k]++;
		probes[k] += r->d[i].probes;
		if (count[k] > max)
			max = count[k];
	}
	fputs("<section id=\"kinds\"><h2>Detections by kind</h2>", f);
	if (r->n == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return;
	}
	fputs("<table><tr><th>Kind</th><th>Detections</th><th></th><th>Probes</th></tr>", f);
	/* Most frequent first; ties in vocabulary order. */
	for (size_t done = 0; done <= KIND__COUNT; done++) {
		int best = -1;
		for (int k = 0; k <= KIND__COUNT; k++)
			if (count[k] && (best < 0 || count[k] > count[best]))
				best = k;
		if (best < 0)
			break;
		fprintf(f,
		        "<tr><td><span class=\"chip\" style=\"background:%s\">%s</span></td>"
		        "<td class=\"n\">%zu</td><td style=\"width:40%%\"><div class=\"bar\" "
		        "style=\"width:%.1f%%;background:%s\"></div></td><td class=\"n\">%" PRIu64
		        "</td></tr>",
		        report_html_kind_color(best < KIND__COUNT ? best : -1),
		        best < KIND__COUNT ? detection_kind_name((enum sw_kind)best) : "other",
		        count[best], 100.0 * (double)count[best] / (double)max,
		        report_html_kind_color(best < KIND__COUNT ? best : -1), probes[best]);
		count[best] = 0;
	}
	fputs("</table></section>", f);
}

static const struct report *top_ctx;

static int cmp_top_src(const void *a, const void *b)
{
	const struct rsrc *x = &top_ctx->srcs[*(const size_t *)a];
	const struct rsrc *y = &top_ctx->srcs[*(const size_t *)b];
	if (x->ndet != y->ndet)
		return x->ndet > y->ndet ? -1 : 1;
	if (x->probes != y->probes)
		return x->probes > y->probes ? -1 : 1;
	return strcmp(x->src, y->src);
}

static int put_scanners(FILE *f, const struct report *r)
{
	char b1[40];
	fputs("<section id=\"scanners\"><h2>Top scanners</h2>", f);
	if (r->nsrcs == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return 0;
	}
	size_t *idx = malloc(r->nsrcs * sizeof *idx);
	if (!idx)
		return -1;
	for (size_t i = 0; i < r->nsrcs; i++)
		idx[i] = i;
	top_ctx = r;
	qsort(idx, r->nsrcs, sizeof *idx, cmp_top_src);
	top_ctx = NULL;
	fputs("<table><tr><th>Source</th><th>Detections</th><th>Probes</th><th>Kinds</th>"
	      "<th>Tool</th><th>First seen (UTC)</th></tr>",
	      f);
	for (size_t i = 0; i < r->nsrcs && i < REPORT_TOP_N; i++) {
		const struct rsrc *s = &r->srcs[idx[i]];
		fputs("<tr><td class=\"mono\">", f);
		report_html_esc(f, s->src);
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">%" PRIu64 "</td><td>",
		        s->ndet, s->probes);
		for (int k = 0; k < KIND__COUNT; k++)
			if (s->kinds & (1u << k))
				fprintf(f, "<span class=\"chip\" style=\"background:%s\">%s</span>",
				        kind_colors[k], detection_kind_name((enum sw_kind)k));
		fputs("</td><td>", f);
		/* The tools attributed to this source's detections, each once. */
		for (size_t j = 0; j < s->ndet; j++) {
			const struct rdet *d = &r->d[r->order[s->first_idx + j]];
			bool seen = !d->tool || strcmp(d->tool, "unknown") == 0;
			for (size_t k = 0; k < j && !seen; k++) {
				const struct rdet *e = &r->d[r->order[s->first_idx + k]];
				seen = e->tool && strcmp(e->tool, d->tool) == 0;
			}
			if (!seen) {
				report_html_esc(f, d->tool);
				fputc(' ', f);
			}
		}
		fprintf(f, "</td><td class=\"mono\">%s</td></tr>",
		        report_html_time(s->t_first, b1));
	}
	fputs("</table>", f);
	if (r->nsrcs > REPORT_TOP_N)
		fprintf(f, "<p class=\"muted\">%zu sources in all.</p>", r->nsrcs);
	fputs("</section>", f);
	free(idx);
	return 0;
}

static int put_ports(FILE *f, const struct report *r)
{
	uint32_t *count = calloc(65536, sizeof *count);
	uint8_t *protos = calloc(65536, 1); /* bit 0 tcp, bit 1 udp */
	int rc = -1;
	if (!count || !protos)
		goto out;
	for (size_t i = 0; i < r->n; i++) {
		const struct rdet *d = &r->d[i];
		/* ICMP and ARP detections sample types or nothing: only TCP and UDP have ports. */
		if (d->proto != 6 && d->proto != 17)
			continue;
		for (unsigned j = 0; j < d->nports; j++) {
			/* A port listed twice in one sample counts once for that detection. */
			bool dup = false;
			for (unsigned k = 0; k < j && !dup; k++)
				dup = d->ports[k] == d->ports[j];
			if (dup)
				continue;
			count[d->ports[j]]++;
			protos[d->ports[j]] |= d->proto == 6 ? 1 : 2;
		}
	}
	fputs("<section id=\"ports\"><h2>Most-probed ports</h2>", f);
	uint16_t top[REPORT_TOP_N];
	size_t ntop = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		if (!count[p])
			continue;
		/* Insertion into the short sorted list: by count, then port number. */
		size_t at = ntop;
		while (at > 0 && count[top[at - 1]] < count[p])
			at--;
		if (at >= REPORT_TOP_N)
			continue;
		if (ntop < REPORT_TOP_N)
			ntop++;
		memmove(&top[at + 1], &top[at], (ntop - 1 - at) * sizeof top[0]);
		top[at] = (uint16_t)p;
	}
	if (ntop == 0) {
		fputs("<p class=\"muted\">No port was sampled.</p></section>", f);
		rc = 0;
		goto out;
	}
	fputs("<p class=\"muted\">How many detections have the port among their sampled "
	      "ports.</p><table><tr><th>Port</th><th>Detections</th><th></th></tr>",
	      f);
	for (size_t i = 0; i < ntop; i++) {
		uint16_t p = top[i];
		fprintf(f, "<tr><td class=\"mono\">%u/%s</td><td class=\"n\">%u</td>", p,
		        protos[p] == 3   ? "tcp,udp"
		        : protos[p] == 1 ? "tcp"
		                         : "udp",
		        count[p]);
		fprintf(f,
		        "<td style=\"width:55%%\"><div class=\"bar\" style=\"width:%.1f%%\">"
		        "</div></td></tr>",
		        100.0 * count[p] / count[top[0]]);
	}
	fputs("</table></section>", f);
	rc = 0;
out:
	free(count);
	free(protos);
	return rc;
}

/* The evidence: one list item per reason. */
static void put_evidence_list(FILE *f, const struct rdet *d)
{
	bool any = false;
	for (unsigned i = 0; i < d->nreasons; i++) {
		const char *item = d->reasons[i];
		if (strspn(item, " \t\r\n") == strlen(item))
			continue; /* blank reasons say nothing */
		fputs(any ? "<li>" : "<ul><li>", f);
		report_html_esc(f, item);
		fputs("</li>", f);
		any = true;
	}
	fputs(any ? "</ul>" : "<span class=\"muted\">\xe2\x80\x94</span>", f);
}

static const struct report *camp_ctx;

/* Detections with a campaign first, by campaign then first probe. */
static int cmp_camp(const void *a, const void *b)
{
	const struct rdet *x = &camp_ctx->d[*(const size_t *)a],
	                  *y = &camp_ctx->d[*(const size_t *)b];
	int c = strcmp(x->campaign, y->campaign);
	if (c)
		return c;
	return (x->first_seen > y->first_seen) - (x->first_seen < y->first_seen);
}

/* Campaigns: each one's members together (source, kind, tool, when), as campaign.c grouped
 * them; the first REPORT_MAX_TABLE members. */
static int put_campaigns(FILE *f, const struct report *r)
{
	size_t n = 0, *idx;
	char b1[40], b2[40];
	for (size_t i = 0; i < r->n; i++)
		n += r->d[i].campaign != NULL && r->d[i].campaign[0] != '\0';
	fputs("<section id=\"campaigns\"><h2>Campaigns</h2>", f);
	if (n == 0) {
		fputs("<p class=\"muted\">No sources were seen scanning together.</p></section>",
		      f);
		return 0;
	}
	idx = malloc(n * sizeof *idx);
	if (!idx)
		return -1;
	n = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->d[i].campaign != NULL && r->d[i].campaign[0] != '\0')
			idx[n++] = i;
	camp_ctx = r;
	qsort(idx, n, sizeof *idx, cmp_camp);
	fputs("<table><tr><th>campaign</th><th>#</th><th>source</th><th>kind</th><th>tool</th>"
	      "<th>first probe</th><th>last probe</th></tr>",
	      f);
	for (size_t k = 0; k < n && k < REPORT_MAX_TABLE; k++) {
		const struct rdet *d = &r->d[idx[k]];
		bool first = k == 0 || strcmp(r->d[idx[k - 1]].campaign, d->campaign) != 0;
		fputs("<tr><td class=\"mono\">", f);
		if (first)
			report_html_esc(f, d->campaign);
		fprintf(f,
		        "</td><td class=\"mono\">%" PRId64 ":%" PRId64 "</td><td class=\"mono\">",
		        d->run_id, d->seq);
		report_html_esc(f, d->src);
		if (d->sources) {
			fputs(" <span class=\"muted\">(", f);
			report_html_esc(f, d->sources);
			fputs(")</span>", f);
		}
		fputs("</td><td>", f);
		put_chip(f, d);
		fputs("</td><td>", f);
		report_html_esc(f, d->tool ? d->tool : "unknown");
		fprintf(f, "</td><td class=\"mono\">%s</td><td class=\"mono\">%s</td></tr>",
		        report_html_time(d->first_seen, b1), report_html_time(d->last_seen, b2));
	}
	fputs("</table></section>", f);
	free(idx);
	return 0;
}

/* What one detection's scanner learned: each service or host that answered, and how often. */
static void put_revealed(FILE *f, const struct rdet *d)
{
	if (d->nexposed == 0)
		return;
	fputs("<br><span class=\"muted\">revealed</span> <span class=\"mono\">", f);
	for (unsigned i = 0; i < d->nexposed; i++) {
		char t[DET_EXPOSED_TEXT];
		detection_exposed_text(&d->exposed[i], t, sizeof t);
		fputs(i ? ", " : "", f);
		report_html_esc(f, t);
		if (d->exposed[i].answers > 1)
			fprintf(f, " \xc3\x97%" PRIu32, d->exposed[i].answers);
	}
	fputs("</span>", f);
	if (d->unlisted)
		fprintf(f, " <span class=\"muted\">and %" PRIu64 " answer(s) past the list</span>",
		        d->unlisted);
}

/* The matrix's columns: a service (proto, port) or "alive" (a host answered a ping or ARP). */
struct mcol {
	uint8_t proto;
	uint16_t port;
	bool alive;
};

static bool mcol_of(const struct det_exposed *x, struct mcol *c)
{
	enum det_reveal rv = (enum det_reveal)x->reveal;
	c->alive = !detection_reveal_is_service(rv);
	c->proto = c->alive ? 0 : x->proto;
	c->port = c->alive || rv == REVEAL_PROTO_REPLY ? 0 : x->port;
	return true;
}

static int mcol_cmp(const void *a, const void *b)
{
	const struct mcol *x = a, *y = b;
	if (x->alive != y->alive)
		return x->alive ? -1 : 1; /* "alive" first */
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return (x->proto > y->proto) - (x->proto < y->proto);
}

static int mhost_cmp(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

/*
 * What was revealed to whom: one row per host that answered a scanner, one column per
 * service (or "alive"), each cell the sources that learned it. The first REPORT_MATRIX_HOSTS
 * hosts and REPORT_MATRIX_PORTS columns (in address and port order); the page says when more
 * existed.
 */
static int put_matrix(FILE *f, const struct report *r)
{
	struct sw_addr hosts[REPORT_MATRIX_HOSTS];
	struct mcol cols[REPORT_MATRIX_PORTS];
	size_t nh = 0, nc = 0;
	bool more_h = false, more_c = false;

	for (size_t i = 0; i < r->n; i++)
		for (unsigned j = 0; j < r->d[i].nexposed; j++) {
			const struct det_exposed *x = &r->d[i].exposed[j];
			struct mcol c;
			size_t k;
			mcol_of(x, &c);
			for (k = 0; k < nh && !addr_eq(&hosts[k], &x->host); k++)
				;
			if (k == nh) {
				if (nh < REPORT_MATRIX_HOSTS)
					hosts[nh++] = x->host;
				else
					more_h = true;
			}
			for (k = 0; k < nc && mcol_cmp(&cols[k], &c) != 0; k++)
				;
			if (k == nc) {
				if (nc < REPORT_MATRIX_PORTS)
					cols[nc++] = c;
				else
					more_c = true;
			}
		}
	fputs("<section id=\"exposure\"><h2>What was revealed to whom</h2>", f);
	if (nh == 0) {
		fputs("<p class=\"muted\">No service or host answered a scanner.</p></section>", f);
		return 0;
	}
	qsort(hosts, nh, sizeof hosts[0], mhost_cmp);
	qsort(cols, nc, sizeof cols[0], mcol_cmp);
	fputs("<table class=\"matrix\"><tr><th>host</th>", f);
	for (size_t c = 0; c < nc; c++) {
		if (cols[c].alive)
			fputs("<th>alive</th>", f);
		else if (cols[c].port == 0)
			fprintf(f, "<th>proto %u</th>", cols[c].proto);
		else
			fprintf(f, "<th>%u/%s</th>", cols[c].port, proto_name(cols[c].proto));
	}
	fputs("</tr>", f);
	for (size_t h = 0; h < nh; h++) {
		char a[ADDR_TEXT_MAX];
		fputs("<tr><td class=\"mono\">", f);
		report_html_esc(f, addr_format(&hosts[h], a));
		fputs("</td>", f);
		for (size_t c = 0; c < nc; c++) {
			/* the sources whose detections list this (host, column), each once */
			unsigned shown = 0, total = 0;
			const char *seen[4];
			fputs("<td class=\"mono\">", f);
			for (size_t i = 0; i < r->n; i++) {
				const struct rdet *d = &r->d[i];
				bool hit = false;
				for (unsigned j = 0; j < d->nexposed && !hit; j++) {
					struct mcol m;
					mcol_of(&d->exposed[j], &m);
					hit = addr_eq(&d->exposed[j].host, &hosts[h]) &&
					      mcol_cmp(&m, &cols[c]) == 0;
				}
				if (!hit)
					continue;
				bool dup = false;
				for (unsigned k = 0; k < shown && !dup; k++)
					dup = strcmp(seen[k], d->src) == 0;
				if (dup)
					continue;
				total++;
				if (shown < 4) {
					seen[shown] = d->src;
					fputs(shown ? "<br>" : "", f);
					report_html_esc(f, d->src);
					shown++;
				}
			}
			if (total > shown)
				fprintf(f, "<br><span class=\"muted\">+%u more</span>",
				        total - shown);
			fputs("</td>", f);
		}
		fputs("</tr>", f);
	}
	fputs("</table>", f);
	if (more_h || more_c)
		fprintf(f,
		        "<p class=\"note\">The first %d hosts and %d services are shown; every "
		        "detection below lists its own.</p>",
		        REPORT_MATRIX_HOSTS, REPORT_MATRIX_PORTS);
	fputs("</section>", f);
	return 0;
}

static void put_details(FILE *f, const struct report *r)
{
	char b1[40], b2[40];
	fputs("<section id=\"detections\" class=\"evidence\"><h2>Detections and evidence</h2>", f);
	if (r->n == 0) {
		fputs("<p class=\"muted\">None.</p></section>", f);
		return;
	}
	fputs("<table><tr><th>#</th><th>Detection</th><th>Source \xe2\x86\x92 target</th>"
	      "<th>When (UTC)</th><th>Volume</th><th>Samples</th><th>Evidence</th></tr>",
	      f);
	for (size_t i = 0; i < r->n && i < REPORT_MAX_TABLE; i++) {
		const struct rdet *d = &r->d[i];
		fputs("<tr><td class=\"mono\">", f);
		if (d->sensor) { /* which sensor of the fleet saw it (issue 19) */
			report_html_esc(f, d->sensor);
			fputs("<br>", f);
		}
		if (d->run_id)
			fprintf(f, "%" PRId64 ":", d->run_id);
		fprintf(f, "%" PRId64 "</td><td>", d->seq);
		put_chip(f, d);
		fputs(" <span class=\"sev sev-", f);
		report_html_esc(f, d->severity);
		fputs("\">", f);
		report_html_esc(f, d->severity);
		fputs("</span><br><span class=\"mono\">", f);
		report_html_esc(f, d->rule_id);
		fputs("</span><br><span class=\"muted\">", f);
		report_html_esc(f, d->rule_name);
		fputs("</span></td><td><span class=\"mono\">", f);
		report_html_esc(f, d->src);
		fputs("</span><br>\xe2\x86\x92 <span class=\"mono\">", f);
		if (d->target)
			report_html_esc(f, d->target);
		else
			fprintf(f, "%" PRIu64 " targets", d->distinct_targets);
		fprintf(f, "</span><br><span class=\"muted\">%s", proto_name(d->proto));
		if (d->tool) {
			fputs(", tool ", f);
			report_html_esc(f, d->tool);
		}
		fprintf(f, "</span></td><td class=\"mono when\">%s<br>%s<br>%s",
		        report_html_time(d->first_seen, b1),
		        d->closed_at ? "closed" : "open, last probe",
		        report_html_time(report_det_end(d), b2));
		fprintf(f, "<br><span class=\"muted\">%s</span></td>",
		        report_html_dur(report_det_end(d) - d->first_seen, b1));
		fprintf(f,
		        "<td class=\"n when\">%" PRIu64 " probe%s<br>%" PRIu64
		        " target%s<br>%" PRIu64 " port%s</td><td>",
		        d->probes, d->probes == 1 ? "" : "s", d->distinct_targets,
		        d->distinct_targets == 1 ? "" : "s", d->distinct_ports,
		        d->distinct_ports == 1 ? "" : "s");
		if (d->nports) {
			/* ICMP detections sample message types where TCP and UDP sample ports. */
			fprintf(f, "<span class=\"muted\">%s</span> <span class=\"mono\">",
			        d->proto == 1 || d->proto == 58 ? "types" : "ports");
			for (unsigned j = 0; j < d->nports; j++)
				fprintf(f, "%s%u", j ? ", " : "", d->ports[j]);
			fputs("</span><br>", f);
		}
		if (d->targets)
			put_mono(f, "targets", d->targets, "<br>");
		if (d->sources)
			put_mono(f, "sources", d->sources, "");
		fputs("</td><td>", f);
		put_evidence_list(f, d);
		if (d->tags)
			put_mono(f, "ATT&amp;CK", d->tags, "");
		if (d->campaign) {
			fputs(" <span class=\"muted\">campaign</span> ", f);
			report_html_esc(f, d->campaign);
		}
		put_revealed(f, d);
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
	if (r->n > REPORT_MAX_TABLE)
		fprintf(f, "<p class=\"note\">The first %d of %zu detections are listed.</p>",
		        REPORT_MAX_TABLE, r->n);
	fputs("</section>", f);
}

static int put_page(FILE *f, const struct report *r, const char *title)
{
	char b1[40];
	uint64_t probes = 0, t0 = UINT64_MAX, t1 = 0;
	unsigned nkinds = 0;
	bool kinds[KIND__COUNT + 1] = {false};
	for (size_t i = 0; i < r->n; i++) {
		probes += r->d[i].probes;
		if (r->d[i].first_seen < t0)
			t0 = r->d[i].first_seen;
		if (report_det_end(&r->d[i]) > t1)
			t1 = report_det_end(&r->d[i]);
		int k = r->d[i].kind_idx >= 0 ? r->d[i].kind_idx : KIND__COUNT;
		nkinds += !kinds[k];
		kinds[k] = true;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<meta name=\"generator\" content=\"scanwatch " SCANWATCH_VERSION "\"><title>",
	      f);
	report_html_esc(f, title);
	fprintf(f, "</title><style>%s</style></head>\n<body><main><header><h1>", css);
	report_html_esc(f, title);
	fputs("</h1><p>", f);
	report_html_esc(f, r->origin);
	fputs(" \xc2\xb7 ", f);
	report_html_esc(f, r->runs_text);
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		fprintf(f, " \xc2\xb7 generated %04d-%02d-%02d %02d:%02d UTC by scanwatch %s",
		        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		        SCANWATCH_VERSION);
	fputs("</p></header>\n<div class=\"cards\">", f);
	fprintf(f, "<div class=\"card\"><b>%zu</b><span>detections</span></div>", r->n);
	fprintf(f, "<div class=\"card\"><b>%zu</b><span>sources</span></div>", r->nsrcs);
	fprintf(f, "<div class=\"card\"><b>%u</b><span>kinds</span></div>", nkinds);
	fprintf(f, "<div class=\"card\"><b>%" PRIu64 "</b><span>probes</span></div>", probes);
	fprintf(f, "<div class=\"card\"><b>%s</b><span>first probe to last</span></div>",
	        r->n ? report_html_dur(t1 - t0, b1) : "\xe2\x80\x94");
	fputs("</div>\n", f);
	if (r->skipped)
		fprintf(f,
		        "<p class=\"note\">%" PRIu64 " row(s) of the database are not detections "
		        "this scanwatch can read and are left out.</p>",
		        r->skipped);
	if (r->truncated)
		fprintf(f,
		        "<p class=\"note\">Only the first %d detections were read; narrow the "
		        "report with --run.</p>",
		        REPORT_MAX_DETECTIONS);
	report_svg_timeline(f, r);
	fputs("\n<div class=\"grid\">", f);
	put_kinds(f, r);
	if (put_ports(f, r) < 0)
		return -1;
	fputs("</div>\n", f);
	if (put_scanners(f, r) < 0)
		return -1;
	if (put_campaigns(f, r) < 0 || put_matrix(f, r) < 0)
		return -1;
	put_details(f, r);
	fputs("\n</main></body></html>\n", f);
	return 0;
}

/* Writes the page to a temporary file beside path and renames it into place. */
int report_html_write(const char *path, const struct report *r, const char *title, char *err,
                      size_t errlen)
{
	if (strcmp(path, "-") == 0) {
		if (put_page(stdout, r, title) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
			snprintf(err, errlen, "standard output: %s",
			         errno ? strerror(errno) : "write error");
			return -1;
		}
		return 0;
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* mkstemp makes 0600; a report is meant to be shared, as the umask allows. */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	errno = 0;
	int rc = put_page(f, r, title);
	int werr = ferror(f) ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && !werr)
		werr = errno ? errno : EIO;
	if (rc < 0 && !werr)
		werr = ENOMEM;
	if (werr) {
		snprintf(err, errlen, "%s: %s", path, strerror(werr));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}
