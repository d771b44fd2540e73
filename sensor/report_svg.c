/* report_svg.c — the report's timeline: one inline SVG, a row a source, a bar a detection. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report_private.h"

/* Timeline geometry, in SVG user units (the SVG scales to the page width). */
#define TL_WIDTH   1320.0
#define TL_LABEL_W 200.0 /* left column: the source address */
#define TL_RIGHT   24.0
#define TL_AXIS_H  30.0
#define TL_LANE_H  22.0
#define TL_BAR_H   16.0
#define TL_ROW_PAD 8.0
#define TL_CHAR_W  6.4 /* average glyph width at 11px sans-serif, to fit labels */

/* An SVG label of at most max_chars, cut with an ellipsis. */
static void put_label(FILE *f, const char *s, size_t max_chars)
{
	char buf[128];
	size_t n = strlen(s);
	if (max_chars >= sizeof buf - 4)
		max_chars = sizeof buf - 4;
	if (n <= max_chars) {
		report_html_esc(f, s);
		return;
	}
	/* Cut at a character boundary: never inside a UTF-8 sequence. */
	size_t k = max_chars > 1 ? max_chars - 1 : 0;
	while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	memcpy(buf, s, k);
	memcpy(buf + k, "\xe2\x80\xa6", 4);
	report_html_esc(f, buf);
}

/* Tick spacing: the smallest "round" step that gives at most 8 ticks over span. */
static double tick_step(double span)
{
	static const double steps[] = {
	    1e3,      2e3,       5e3,       1e4,       2e4,        5e4,     1e5,
	    2e5,      5e5,       1e6,       2e6,       5e6,        10e6,    15e6,
	    30e6,     60e6,      120e6,     300e6,     600e6,      900e6,   1800e6,
	    3600e6,   7200e6,    10800e6,   21600e6,   43200e6,    86400e6, 172800e6,
	    604800e6, 1209600e6, 2592000e6, 7776000e6, 31536000e6,
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if (span / steps[i] <= 8)
			return steps[i];
	double s = steps[sizeof steps / sizeof steps[0] - 1];
	while (span / s > 8)
		s *= 2;
	return s;
}

static void put_tick_label(FILE *f, double t_us, double step)
{
	if (t_us < 0 || t_us > (double)INT32_MAX * 1e9) {
		fputs("?", f);
		return;
	}
	uint64_t us = (uint64_t)t_us;
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		fputs("?", f);
		return;
	}
	if (step < 1e6)
		fprintf(f, "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min, tm.tm_sec,
		        (unsigned)(us % 1000000 / 1000));
	else if (step < 60e6)
		fprintf(f, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
	else if (step < 86400e6)
		fprintf(f, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else
		fprintf(f, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void report_svg_timeline(FILE *f, const struct report *r)
{
	char b1[40], b2[40], b3[40];
	uint64_t t0 = UINT64_MAX, t1 = 0;
	bool present[KIND__COUNT + 1] = {false};
	size_t rows = r->nsrcs < REPORT_MAX_ROWS ? r->nsrcs : REPORT_MAX_ROWS;

	for (size_t i = 0; i < rows; i++) {
		const struct rsrc *s = &r->srcs[i];
		if (s->t_first < t0)
			t0 = s->t_first;
		if (s->t_last > t1)
			t1 = s->t_last;
		for (size_t j = 0; j < s->ndet; j++) {
			int k = r->d[r->order[s->first_idx + j]].kind_idx;
			present[k >= 0 ? k : KIND__COUNT] = true;
		}
	}
	fputs("<section id=\"timeline\"><h2>Timeline by source</h2>", f);
	if (rows == 0) {
		fputs("<p class=\"muted\">No detections.</p></section>", f);
		return;
	}
	fprintf(f,
	        "<p class=\"muted\">From %s to %s UTC (%s). One row per source; each bar runs "
	        "from a detection's first probe to its close (or its last probe while it "
	        "is still open).</p>",
	        report_html_time(t0, b1), report_html_time(t1, b2), report_html_dur(t1 - t0, b3));
	fputs("<div class=\"legend\">", f);
	for (int k = 0; k <= KIND__COUNT; k++)
		if (present[k])
			fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>",
			        report_html_kind_color(k < KIND__COUNT ? k : -1),
			        k < KIND__COUNT ? detection_kind_name((enum sw_kind)k) : "other");
	fputs("</div>", f);

	/* The span is padded a little so bars never touch the frame; a zero span gets 1 ms. */
	double span = t1 > t0 ? (double)(t1 - t0) : 1000.0;
	double lo = (double)t0 - span * 0.01, hi = (double)t0 + span * 1.02;
	double pw = TL_WIDTH - TL_LABEL_W - TL_RIGHT;
#define X(t) (TL_LABEL_W + ((double)(t)-lo) * pw / (hi - lo))
	double height = TL_AXIS_H;
	for (size_t i = 0; i < rows; i++)
		height += r->srcs[i].lanes * TL_LANE_H + TL_ROW_PAD;
	height += 6;
	fprintf(f,
	        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
	        "%.0f\" width=\"100%%\" role=\"img\" aria-label=\"timeline of detections by "
	        "source\">",
	        TL_WIDTH, height);
	/* Axis: grid lines and labels at round times. */
	double step = tick_step(hi - lo);
	fputs("<g class=\"axis\" font-size=\"11\" fill=\"#6b7280\">", f);
	for (double t = ceil(lo / step) * step; t <= hi; t += step) {
		double x = X(t);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e5e7eb\"/>"
		        "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">",
		        x, TL_AXIS_H - 6, x, height, x, TL_AXIS_H - 12);
		put_tick_label(f, t, step);
		fputs("</text>", f);
	}
	fputs("</g>", f);
	double y = TL_AXIS_H;
	for (size_t i = 0; i < rows; i++) {
		const struct rsrc *s = &r->srcs[i];
		double rh = s->lanes * TL_LANE_H + TL_ROW_PAD;
		fputs("<g class=\"timeline-row\" data-src=\"", f);
		report_html_esc(f, s->src);
		fputs("\">", f);
		if (i % 2 == 0)
			fprintf(f,
			        "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" "
			        "fill=\"#f9fafb\"/>",
			        y, TL_WIDTH, rh);
		fprintf(f,
		        "<text x=\"8\" y=\"%.1f\" font-size=\"12.5\" fill=\"#111827\" "
		        "font-weight=\"600\">",
		        y + TL_ROW_PAD / 2 + TL_BAR_H - 3);
		put_label(f, strcmp(s->src, "*") == 0 ? "* (many sources)" : s->src, 26);
		fprintf(f, "</text><text x=\"8\" y=\"%.1f\" font-size=\"10.5\" fill=\"#6b7280\">",
		        y + TL_ROW_PAD / 2 + TL_BAR_H + 9);
		if (s->lanes > 1 || rh > 34)
			fprintf(f, "%zu detection%s, %" PRIu64 " probes", s->ndet,
			        s->ndet == 1 ? "" : "s", s->probes);
		fputs("</text>", f);
		for (size_t j = 0; j < s->ndet; j++) {
			const struct rdet *d = &r->d[r->order[s->first_idx + j]];
			double x0 = X(d->first_seen), x1 = X(report_det_end(d));
			double w = x1 - x0 < 3 ? 3 : x1 - x0;
			double by = y + TL_ROW_PAD / 2 + d->lane * TL_LANE_H;
			fputs("<g class=\"bar\"><title>", f);
			report_html_esc(f, d->kind);
			fputs(" from ", f);
			report_html_esc(f, d->src);
			fprintf(f,
			        ": %s \xe2\x80\x93 %s UTC, %" PRIu64 " probes, %" PRIu64
			        " targets, %" PRIu64 " ports%s</title>",
			        report_html_time(d->first_seen, b1),
			        report_html_time(report_det_end(d), b2), d->probes,
			        d->distinct_targets, d->distinct_ports,
			        d->closed_at ? "" : " (open)");
			fprintf(
			    f,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" rx=\"3\" "
			    "fill=\"%s\"%s/>",
			    x0, by, w, TL_BAR_H, report_html_kind_color(d->kind_idx),
			    d->closed_at ? "" : " stroke=\"#111827\" stroke-dasharray=\"3 2\"");
			/* Label inside the bar when it fits, else right of it up to the next bar.
			 */
			char label[160];
			snprintf(label, sizeof label, "%s \xc2\xb7 %" PRIu64 " probes",
			         d->kind ? d->kind : "?", d->probes);
			double need = (double)strlen(label) * TL_CHAR_W + 10;
			double room_right = TL_WIDTH - TL_RIGHT / 2 - (x0 + w);
			for (size_t k = j + 1; k < s->ndet; k++) {
				const struct rdet *e = &r->d[r->order[s->first_idx + k]];
				if (e->lane == d->lane) {
					room_right = X(e->first_seen) - (x0 + w);
					break;
				}
			}
			if (w >= need)
				fprintf(f,
				        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				        "fill=\"#fff\">",
				        x0 + 5, by + TL_BAR_H - 4.5);
			else if (room_right >= need)
				fprintf(f,
				        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
				        "fill=\"#374151\">",
				        x0 + w + 4, by + TL_BAR_H - 4.5);
			else
				label[0] = 0;
			if (label[0]) {
				report_html_esc(f, label);
				fputs("</text>", f);
			}
			fputs("</g>", f);
		}
		fputs("</g>", f);
		y += rh;
	}
#undef X
	fputs("</svg>", f);
	if (r->nsrcs > rows)
		fprintf(f,
		        "<p class=\"note\">%zu more sources are not drawn; the tables below count "
		        "them.</p>",
		        r->nsrcs - rows);
	fputs("</section>", f);
}
