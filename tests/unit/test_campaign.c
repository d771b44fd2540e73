/* test_campaign.c — the campaign rule on synthetic records: same shape, time and targets group;
 * a different tool, template, kind, rate, time or network does not; a member that closed before
 * its partner came has its CLOSE sent again with the id; distributed scans are their own. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/attribute.h"
#include "scanwatch/campaign.h"

#define T0 (1700000000ULL * 1000000)
#define S  1000000ULL

static struct sw_detection sent[16];
static int nsent;

static void collect(void *ctx, const struct sw_detection *d)
{
	(void)ctx;
	if (nsent < 16)
		sent[nsent++] = *d;
}

static struct sw_addr v4(uint8_t c, uint8_t d)
{
	struct sw_addr a;
	uint8_t b[4] = {198, 18, c, d};
	addr_set_v4(&a, b);
	return a;
}

/* A masscan-shaped SYN scan from 198.18.0.SRC of 198.18.1.TGT: 1000 probes over 2 s. */
static struct sw_detection rec(uint64_t seq, uint8_t src, uint8_t tgt, uint64_t first,
                               enum det_phase phase)
{
	struct sw_detection d;
	memset(&d, 0, sizeof d);
	d.seq = seq;
	d.phase = (uint8_t)phase;
	d.kind = KIND_SYN_SCAN;
	d.src = v4(0, src);
	d.has_target = 1;
	d.target = v4(1, tgt);
	d.first_seen = first;
	d.last_seen = first + 2 * S;
	d.probes = 1000;
	if (phase == DET_CLOSE)
		d.closed_at = d.last_seen + 30 * S;
	strcpy(d.tool, "masscan");
	return d;
}

static void note(struct campaign *c, struct sw_detection *d, int tmpl)
{
	campaign_note(c, d, tmpl, collect, NULL);
}

/* Two at once, same shape, same /24: one campaign, on both; the first's next record has it. */
static void test_group(void)
{
	struct campaign *c = campaign_create(60 * S);
	struct sw_detection a = rec(1, 11, 1, T0, DET_OPEN), b = rec(2, 12, 2, T0 + S, DET_OPEN);
	note(c, &a, ATTR_MASSCAN_SYN);
	CHECK_STR(a.campaign, "");
	note(c, &b, ATTR_MASSCAN_SYN);
	CHECK_STR(b.campaign, "c1700000000-1");
	a = rec(1, 11, 1, T0, DET_CLOSE);
	note(c, &a, ATTR_MASSCAN_SYN);
	CHECK_STR(a.campaign, "c1700000000-1");
	CHECK(a.n_reasons == 1 && strcmp(a.reasons[0].name, "campaign") == 0 &&
	      a.reasons[0].count == 2);
	CHECK_EQ_U(nsent, 0); /* nothing had closed: nothing sent again */
	struct campaign_stats st;
	campaign_get_stats(c, &st);
	CHECK_EQ_U(st.formed, 1);
	CHECK_EQ_U(st.joined, 2);
	campaign_destroy(c);
}

/* What keeps detections apart: each differs from the first in one thing only. */
static void test_apart(void)
{
	for (int k = 0; k < 7; k++) {
		struct campaign *c = campaign_create(60 * S);
		struct sw_detection a = rec(1, 11, 1, T0, DET_OPEN),
		                    b = rec(2, 12, 2, T0, DET_OPEN);
		int tb = ATTR_MASSCAN_SYN, ta = ATTR_MASSCAN_SYN;
		switch (k) {
		case 0:
			strcpy(b.tool, "zmap");
			break;
		case 1:
			tb = ATTR_ZMAP_ID;
			break;
		case 2:
			b.kind = KIND_FIN_SCAN;
			break;
		case 3:
			b.probes = 5000; /* five times the rate */
			break;
		case 4: /* began 61 s after the other's last probe */
			b = rec(2, 12, 2, a.last_seen + 61 * S, DET_OPEN);
			break;
		case 5:
			b.target = v4(2, 2); /* another /24 */
			break;
		case 6: /* no tell-tale: ordinary packets prove no common author */
			ta = tb = -1;
			break;
		}
		note(c, &a, ta);
		note(c, &b, tb);
		CHECK(b.campaign[0] == '\0');
		if (b.campaign[0] != '\0')
			fprintf(stderr, "case %d grouped\n", k);
		campaign_destroy(c);
	}
	/* and the same source twice is one scanner, not a campaign */
	struct campaign *c = campaign_create(60 * S);
	struct sw_detection a = rec(1, 11, 1, T0, DET_OPEN), b = rec(2, 11, 2, T0, DET_OPEN);
	note(c, &a, ATTR_MASSCAN_SYN);
	note(c, &b, ATTR_MASSCAN_SYN);
	CHECK(b.campaign[0] == '\0');
	campaign_destroy(c);
}

/* A partner within the window after the first closed: the first's CLOSE goes out again with
 * the id; past the window nothing joins. */
static void test_late(void)
{
	struct campaign *c = campaign_create(60 * S);
	struct sw_detection a = rec(1, 11, 1, T0, DET_CLOSE);
	nsent = 0;
	note(c, &a, ATTR_MASSCAN_SYN);
	CHECK_STR(a.campaign, "");
	struct sw_detection b = rec(2, 12, 1, a.last_seen + 50 * S, DET_OPEN);
	note(c, &b, ATTR_MASSCAN_SYN);
	CHECK_STR(b.campaign, "c1700000000-1");
	CHECK_EQ_U(nsent, 1);
	CHECK_EQ_U(sent[0].seq, 1);
	CHECK_EQ_U(sent[0].phase, DET_CLOSE);
	CHECK_STR(sent[0].campaign, "c1700000000-1");
	/* 200 s later a third of the same shape is another matter */
	struct sw_detection x = rec(3, 13, 1, b.last_seen + 200 * S, DET_OPEN);
	note(c, &x, ATTR_MASSCAN_SYN);
	CHECK_STR(x.campaign, "");
	campaign_destroy(c);
}

/* A distributed scan is its own campaign from its OPEN on. */
static void test_distributed(void)
{
	struct campaign *c = campaign_create(60 * S);
	struct sw_detection d = rec(7, 0, 1, T0, DET_OPEN);
	d.kind = KIND_DISTRIBUTED_SCAN;
	d.src_any = 1;
	d.n_sample_sources = 4;
	note(c, &d, ATTR_NMAP_SYN);
	CHECK_STR(d.campaign, "c1700000000-7");
	CHECK(d.n_reasons == 1 && d.reasons[0].count == 4);
	/* floods never */
	struct sw_detection f = rec(8, 0, 1, T0, DET_OPEN);
	f.kind = KIND_SYN_FLOOD;
	f.src_any = 1;
	note(c, &f, -1);
	CHECK_STR(f.campaign, "");
	campaign_destroy(c);
}

/* More detections than the table remembers: nothing breaks, the oldest are forgotten. */
static void test_many(void)
{
	struct campaign *c = campaign_create(60 * S);
	for (unsigned i = 0; i < 1000; i++) {
		struct sw_detection d = rec(i + 1, (uint8_t)(i % 250 + 1), (uint8_t)(i % 200),
		                            T0 + i * 100 * S, DET_OPEN);
		/* each 100 s after the last, past the window: no campaign; still open: kept */
		note(c, &d, ATTR_MASSCAN_SYN);
	}
	struct campaign_stats st;
	campaign_get_stats(c, &st);
	CHECK(st.forgotten > 0);
	CHECK_EQ_U(st.formed, 0);
	campaign_destroy(c);
}

/*
 * The oldest related detection is the partner, wherever it sits in the table: B, older than A
 * but remembered after it, is; A and B are unrelated (their targets' networks differ) and C is
 * related to both (it probed both networks).
 */
static void test_oldest_partner(void)
{
	struct campaign *c = campaign_create(60 * S);
	struct sw_detection a = rec(1, 11, 1, T0 + 10 * S, DET_OPEN);
	struct sw_detection b = rec(2, 12, 1, T0, DET_OPEN);
	struct sw_detection d = rec(3, 13, 1, T0 + 11 * S, DET_OPEN);
	uint8_t x[4] = {198, 18, 2, 1}, y[4] = {198, 18, 3, 1};
	addr_set_v4(&a.target, x);
	addr_set_v4(&b.target, y);
	x[3] = 5;
	y[3] = 5;
	addr_set_v4(&d.target, x);
	addr_set_v4(&d.sample_targets[0], y);
	d.n_sample_targets = 1;
	note(c, &a, ATTR_MASSCAN_SYN);
	note(c, &b, ATTR_MASSCAN_SYN);
	CHECK_STR(b.campaign, "");
	note(c, &d, ATTR_MASSCAN_SYN);
	CHECK_STR(d.campaign, "c1700000000-2"); /* founded by B: its first probe and seq */
	campaign_destroy(c);
}

int main(void)
{
	test_group();
	test_oldest_partner();
	test_apart();
	test_late();
	test_distributed();
	test_many();
	CHECK_DONE();
}
