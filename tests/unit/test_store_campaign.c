/* test_store_campaign.c — the campaigns table's rows (sensor/store_campaign.c): each agrees with
 * its members' rows when it should, and making them costs what that file says.
 *
 * The reference a row is compared with is computed here, from the detections table, by a
 * query written independently of the store's (the one the store ran before store_campaign.c:
 * every summary from its own scan of the members).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-store-campaign-XXXXXX";

/* The reference summary of campaign id of run 1: tool|first|last|members|sources|targets|ports.
 */
static const char sql_ref[] =
    "SELECT coalesce(max(tool), '-') || '|' || min(first_seen) || '|' || max(last_seen) || '|' ||"
    " (SELECT json_group_array(seq) FROM (SELECT seq FROM detections WHERE run_id = 1 AND"
    "   campaign = ?1 ORDER BY seq)) || '|' ||"
    " (SELECT json_group_array(v) FROM (SELECT src_ip AS v FROM detections WHERE run_id = 1"
    "   AND campaign = ?1 AND src_ip <> '*' UNION SELECT j.value FROM detections d2,"
    "   json_each(d2.sample_sources) j WHERE d2.run_id = 1 AND d2.campaign = ?1 ORDER BY 1))"
    " || '|' || (SELECT json_group_array(v) FROM (SELECT DISTINCT j.value AS v FROM"
    "   detections d2, json_each(d2.sample_targets) j WHERE d2.run_id = 1 AND"
    "   d2.campaign = ?1 ORDER BY 1)) || '|' ||"
    " (SELECT json_group_array(v) FROM (SELECT DISTINCT j.value AS v FROM detections d2,"
    "   json_each(d2.sample_ports) j WHERE d2.run_id = 1 AND d2.campaign = ?1 ORDER BY 1))"
    " FROM detections WHERE run_id = 1 AND campaign = ?1";
static const char sql_row[] =
    "SELECT coalesce(tool, '-') || '|' || first_seen || '|' || last_seen || '|' || members ||"
    " '|' || sources || '|' || targets || '|' || ports FROM campaigns WHERE run_id = 1 AND"
    " id = ?1";

/* The first column of sql (bound to id) into out; "" when there is no row. */
static void text_of(sqlite3 *db, const char *sql, const char *id, char *out, size_t cap)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

#define SUMMARY_MAX (512 * 1024)
static char want[SUMMARY_MAX], got[SUMMARY_MAX];

/* Does campaign id's row agree with its members' rows (as a reader on its own connection sees
 * them)? Says how not, unless that was expected (!loud). */
static bool agrees_or(sqlite3 *ro, const char *id, bool loud)
{
	text_of(ro, sql_ref, id, want, sizeof want);
	text_of(ro, sql_row, id, got, sizeof got);
	if (want[0] == '\0' || strcmp(want, got) != 0) {
		if (!loud)
			return false;
		fprintf(stderr, "campaign %s:\n  members say %.300s\n  its row says %.300s\n", id,
		        want, got);
		return false;
	}
	return true;
}

static bool agrees(sqlite3 *ro, const char *id)
{
	return agrees_or(ro, id, true);
}

/*
 * Member record k (0, 1, ...) of campaign c: detection seq, from source 198.18.(c).(k % 250),
 * probing port 1000 + k % 97 and 20 + k % 3 on one of 3 targets; tool nmap, or masscan from
 * k == 40 on (so max(tool) changes). phase: OPEN first, then CLOSE.
 */
static void member(struct sw_detection *d, uint64_t seq, unsigned c, unsigned k,
                   enum det_phase phase)
{
	fixture_syn(d, phase);
	d->seq = seq;
	d->src = fixture_v4(198, 18, (uint8_t)c, (uint8_t)(k % 250));
	d->target = fixture_v4(198, 19, (uint8_t)c, (uint8_t)(k % 3));
	d->sample_targets[0] = d->target;
	d->sample_ports[0] = (uint16_t)(1000 + k % 97);
	d->sample_ports[1] = (uint16_t)(20 + k % 3);
	d->first_seen += k * 1000;
	d->last_seen = d->first_seen + (phase == DET_CLOSE ? 5000000 : 1000);
	d->opened_at = d->first_seen + 500;
	if (phase == DET_CLOSE)
		d->closed_at = d->last_seen + 1;
	snprintf(d->tool, sizeof d->tool, "%s", k >= 40 ? "masscan" : "nmap");
	snprintf(d->campaign, sizeof d->campaign, "c%u", c);
}

static struct store *open_store(const char *name, char *path, size_t cap, sqlite3 **ro)
{
	char err[256];
	struct store *s;

	snprintf(path, cap, "%s/%s", dir, name);
	s = store_open(path, err, sizeof err);
	if (s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		exit(1);
	}
	CHECK(store_run_begin(s, "test", "builtin", 1) == 1);
	CHECK(sqlite3_open_v2(path, ro, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	return s;
}

/*
 * A campaign of a few members agrees with them after every transaction, from its first on,
 * whatever its records change (later phases, a new tool).
 */
static void test_small_campaign_always_agrees(void)
{
	char path[256];
	sqlite3 *ro = NULL;
	struct store *s = open_store("small.db", path, sizeof path, &ro);
	struct sw_detection d;
	unsigned writes = 0;

	for (unsigned k = 0; k < 5; k++) {
		member(&d, k + 1, 1, k * 20, DET_OPEN); /* k * 20: members 2.. bring masscan */
		CHECK(store_write(s, 1, &d, 1) == 0);
		writes++;
		CHECK(agrees(ro, "c1"));
	}
	for (unsigned k = 0; k < 5; k++) {
		member(&d, k + 1, 1, k * 20, DET_CLOSE);
		CHECK(store_write(s, 1, &d, 1) == 0);
		writes++;
		CHECK(agrees(ro, "c1"));
	}
	CHECK_EQ_U(store_campaign_rows_made(s), writes);
	/* Nothing lags: a flush makes nothing. */
	CHECK(store_campaigns_sync(s) == 0);
	CHECK_EQ_U(store_campaign_rows_made(s), writes);
	sqlite3_close(ro);
	store_close(s);
}

/*
 * A campaign of 4,000 members, one record a transaction (the writer keeping up): the row
 * exists from the first record, lists no more than its members, agrees once synced, and is
 * made about as many times as the first 16 records and the seconds the loop takes, not 6,000.
 */
static void test_large_campaign_cost(void)
{
	enum { N = 4000 };
	char path[256];
	sqlite3 *ro = NULL;
	struct store *s = open_store("large.db", path, sizeof path, &ro);
	struct sw_detection d;
	struct timespec t0, t1;
	uint64_t writes = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned k = 0; k < N; k++) {
		member(&d, k + 1, 2, k, DET_OPEN);
		CHECK(store_write(s, 1, &d, 1) == 0);
		writes++;
		if (k == 0)
			CHECK(agrees(ro, "c2"));
		if (k % 2 == 1) { /* every other member closes at once */
			member(&d, k + 1, 2, k, DET_CLOSE);
			CHECK(store_write(s, 1, &d, 1) == 0);
			writes++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 6,000 records. Made: with each of the first 16, then at most once a second of the loop
	 * (the lag rule). */
	uint64_t secs = (uint64_t)(t1.tv_sec - t0.tv_sec) + 1;
	uint64_t made = store_campaign_rows_made(s);
	fprintf(stderr, "large campaign: %llu records, row made %llu times in %llu s\n",
	        (unsigned long long)writes, (unsigned long long)made, (unsigned long long)secs);
	CHECK(made >= 16);
	CHECK(made <= 16 + secs);
	/* What a reader sees before the sync: a row of this campaign, made from an earlier state
	 * of its members (a prefix of them), never a later one. */
	CHECK(fixture_query_int(ro, "SELECT count(*) FROM campaigns") == 1);
	int64_t listed = fixture_query_int(ro, "SELECT json_array_length(members) FROM campaigns");
	CHECK(listed >= 11 && listed <= N); /* the 16th record is member 11's (k = 10) */
	CHECK(store_campaigns_sync(s) == 0);
	CHECK(agrees(ro, "c2"));
	CHECK(fixture_query_int(ro, "SELECT json_array_length(members) FROM campaigns") == N);
	sqlite3_close(ro);
	store_close(s);
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The lag rule: a row behind its members is made by store_tick once it has lagged a second,
 * not before. (The wait is the rule's own duration, not a synchronisation.)
 */
static void test_tick_makes_lagging_rows(void)
{
	char path[256];
	sqlite3 *ro = NULL;
	struct store *s = open_store("tick.db", path, sizeof path, &ro);
	struct sw_detection d[8];
	struct timespec t0;
	unsigned k = 0;

	/* 32 records in batches of 8: made at 8 and 16 (<= 16 records), not at 24 and 32 (the
	 * row lags from 24 on, for less than a second). */
	clock_gettime(CLOCK_MONOTONIC, &t0); /* before the lag starts */
	for (unsigned b = 0; b < 4; b++) {
		for (unsigned i = 0; i < 8; i++, k++)
			member(&d[i], k + 1, 3, k, DET_OPEN);
		CHECK(store_write(s, 1, d, 8) == 0);
	}
	CHECK_EQ_U(store_campaign_rows_made(s), 2);
	CHECK(!agrees_or(ro, "c3", false));
	/* One more: the row still lags. */
	member(&d[0], k + 1, 3, k, DET_OPEN);
	k++;
	CHECK(store_write(s, 1, d, 1) == 0);
	CHECK_EQ_U(store_campaign_rows_made(s), 2);
	CHECK(!agrees_or(ro, "c3", false));
	CHECK(store_tick(s) == 0);
	if (secs_since(&t0) < 0.9) /* else the machine stalled for a second: the tick was due */
		CHECK_EQ_U(store_campaign_rows_made(s), 2);
	struct timespec wait = {1, 50 * 1000 * 1000};
	while (nanosleep(&wait, &wait) != 0)
		;
	CHECK(store_tick(s) == 0);
	CHECK_EQ_U(store_campaign_rows_made(s), 3);
	CHECK(agrees(ro, "c3"));
	CHECK_EQ_U(fixture_query_int(ro, "SELECT json_array_length(members) FROM campaigns"), k);
	sqlite3_close(ro);
	store_close(s);
}

/*
 * More campaigns at once than the store keeps entries for (128): 200 of them, records
 * interleaved; every row agrees after the sync, and a store closed without one agrees too.
 */
static void test_many_campaigns(void)
{
	enum { C = 200, PER = 20 };
	char path[256];
	sqlite3 *ro = NULL;
	struct store *s = open_store("many.db", path, sizeof path, &ro);
	static struct sw_detection d[C];
	uint64_t seq = 1;

	for (unsigned k = 0; k < PER; k++) {
		for (unsigned c = 0; c < C; c++)
			member(&d[c], seq++, 10 + c, k, DET_OPEN);
		for (unsigned b = 0; b < C; b += 50)
			CHECK(store_write(s, 1, &d[b], 50) == 0);
	}
	store_close(s); /* makes what lags */
	CHECK(fixture_query_int(ro, "SELECT count(*) FROM campaigns") == C);
	unsigned bad = 0;
	for (unsigned c = 0; c < C; c++) {
		char id[16];
		snprintf(id, sizeof id, "c%u", 10 + c);
		bad += !agrees(ro, id);
	}
	CHECK_EQ_U(bad, 0);
	sqlite3_close(ro);
}

int main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_small_campaign_always_agrees();
	test_large_campaign_cost();
	test_tick_makes_lagging_rows();
	test_many_campaigns();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	CHECK_DONE();
}
