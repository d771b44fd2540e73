/* test_store_ingest.c — the collector's write path: ECS records (as the nats output publishes
 * them) stored in a central store give exactly the rows the sensor's own store writes; a record
 * twice, or an older phase after a newer, changes nothing; hostile records are refused. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "scanwatch/output.h"
#include "scanwatch/store.h"

static char dir[] = "/tmp/sw-test-ingest-XXXXXX";

/* The every-column text of each row, in seq order, as the test compares two stores. */
static const char sql_rows[] =
    "SELECT group_concat(x, char(10)) FROM (SELECT seq || '|' || rule_id || '|' || rule_name"
    " || '|' || kind || '|' || severity || '|' || src_ip || '|' || coalesce(target_ip, '-')"
    " || '|' || proto || '|' || first_seen || '|' || opened_at || '|' || last_seen || '|'"
    " || coalesce(closed_at, '-') || '|' || probes || '|' || probes_at_open || '|'"
    " || distinct_targets || '|' || distinct_ports || '|' || sample_ports || '|'"
    " || sample_targets || '|' || sample_sources || '|' || tags || '|' || coalesce(tool, '-')"
    " || '|' || coalesce(campaign, '-') || '|' || evidence || '|' || reasons AS x"
    " FROM detections ORDER BY seq)";

/* Each campaigns row, without its run (the two stores number their runs apart). */
static const char sql_campaigns[] =
    "SELECT group_concat(x, char(10)) FROM (SELECT id || '|' || coalesce(tool, '-') || '|'"
    " || first_seen || '|' || last_seen || '|' || members || '|' || sources || '|' || targets"
    " || '|' || ports || '|' || coalesce(reasons, '-') AS x FROM campaigns ORDER BY id)";

static void text_of(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void rows_text(const char *path, char *out, size_t len)
{
	text_of(path, sql_rows, out, len);
}

static int64_t count(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int64_t n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		n = fixture_query_int(db, sql);
	sqlite3_close(db);
	return n;
}

static int ingest(struct store *s, const struct sw_detection *d)
{
	static char line[OUTPUT_JSONL_LINE_MAX], msg[OUTPUT_JSONL_LINE_MAX / 4];
	char why[256];
	int n = output_jsonl_render(d, line, sizeof line, msg, sizeof msg);

	if (n < 0)
		return -9;
	return store_ingest(s, line, (size_t)n, why, sizeof why);
}

static int ingest_text(struct store *s, const char *json)
{
	char why[256];

	return store_ingest(s, json, strlen(json), why, sizeof why);
}

/* The IPv6 flood of test_feeds: many sources, no source address, a campaign. */
static void make_flood6(struct sw_detection *d, enum det_phase phase)
{
	memset(d, 0, sizeof(*d));
	d->seq = 9;
	d->phase = phase;
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
	d->last_seen = phase == DET_OPEN ? d->opened_at : 1795667311000000ull;
	d->closed_at = phase == DET_CLOSE ? 1795667312500000ull : 0;
	d->probes = phase == DET_OPEN ? 1000 : 50000;
	d->probes_at_open = 1000;
	d->distinct_targets = 1;
	d->distinct_ports = 1;
	d->n_sample_ports = 1;
	d->sample_ports[0] = 80;
	d->n_sample_targets = 1;
	d->sample_targets[0] = d->target;
	d->n_sample_sources = 2;
	d->sample_sources[0] = fixture_ip("2001:2::99");
	d->sample_sources[1] = fixture_ip("198.18.7.7");
	snprintf(d->campaign, sizeof(d->campaign), "c-1");
	fixture_reasons(d, "50000 SYNs from 4000 sources; a \"quoted\" word\nand a line");
}

static int count_group(void *ctx, const struct store_cross *g)
{
	(void)g;
	(*(int *)ctx)++;
	return 0;
}

/* Keeps the numbers of the (one) group; its strings are borrowed, so they are checked here. */
static int keep_group(void *ctx, const struct store_cross *g)
{
	struct store_cross *k = ctx;

	*k = *g;
	CHECK_STR(g->src, "198.18.0.2");
	CHECK_STR(g->sensor_ids, "a-edge,edge-1.par,edge-2");
	k->src = k->sensor_ids = NULL;
	return 0;
}

int main(void)
{
	const char *tags[] = {"site=par1", "zone=dmz"};
	char own[256], central[256], err[256], a[16384], b[16384];
	struct store *so, *sc;
	struct sw_detection recs[6];
	int64_t run;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(own, sizeof own, "%s/own.db", dir);
	snprintf(central, sizeof central, "%s/central.db", dir);
	CHECK(output_set_identity("edge-1.par", tags, 2, err, sizeof err) == 0);
	so = store_open(own, err, sizeof err);
	sc = store_open(central, err, sizeof err);
	CHECK(so != NULL && sc != NULL);
	if (so == NULL || sc == NULL)
		CHECK_DONE();

	/* The sensor's own store: each phase through store_write. */
	fixture_syn(&recs[0], DET_OPEN);
	make_flood6(&recs[1], DET_OPEN);
	fixture_syn(&recs[2], DET_UPDATE);
	make_flood6(&recs[3], DET_UPDATE);
	fixture_syn(&recs[4], DET_CLOSE);
	make_flood6(&recs[5], DET_CLOSE);
	run = store_run_begin(so, "x", NULL, 1);
	CHECK(run > 0);
	for (int i = 0; i < 6; i++)
		CHECK(store_write(so, run, &recs[i], 1) == 0);

	/* The central store: the same records as ECS JSON, in a transaction. */
	CHECK(store_begin(sc) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(ingest(sc, &recs[i]) == 0);
	CHECK(store_commit(sc) == 0);
	/* Not closed yet: the central rows are the updates. */
	CHECK_EQ_U(count(central, "SELECT count(*) FROM detections WHERE closed_at IS NULL"), 2);
	/* An OPEN delivered again after its UPDATE changes nothing. */
	rows_text(central, a, sizeof a);
	CHECK(ingest(sc, &recs[0]) == 0);
	CHECK(ingest(sc, &recs[1]) == 0);
	rows_text(central, b, sizeof b);
	CHECK_STR(b, a);
	CHECK(ingest(sc, &recs[4]) == 0);
	CHECK(ingest(sc, &recs[5]) == 0);
	/* After the close, every earlier phase again, and the close twice: no change. */
	rows_text(central, a, sizeof a);
	for (int i = 0; i < 6; i++)
		CHECK(ingest(sc, &recs[i]) == 0);
	rows_text(central, b, sizeof b);
	CHECK_STR(b, a);

	/* The differential check: every column of every row as the sensor's store holds it. */
	rows_text(own, a, sizeof a);
	rows_text(central, b, sizeof b);
	CHECK(strlen(a) > 100);
	CHECK_STR(b, a);
	CHECK_EQ_U(count(central, "SELECT count(*) FROM detections"), 2);
	/* The flood's campaign: the collector makes its row as the sensor's own store does. */
	CHECK(store_campaigns_sync(so) == 0);
	CHECK(store_campaigns_sync(sc) == 0);
	text_of(own, sql_campaigns, a, sizeof a);
	text_of(central, sql_campaigns, b, sizeof b);
	CHECK(strncmp(a, "c-1|", 4) == 0);
	CHECK_STR(b, a);
	/* One run, named after its sensor and run token, with the site tags. */
	CHECK_EQ_U(count(central, "SELECT count(*) FROM runs WHERE sensor_id = 'edge-1.par'"
	                          " AND site_tags = '[\"site=par1\",\"zone=dmz\"]'"),
	           1);

	/* A second sensor sees the syn scan's source: one cross-sensor group of two members. */
	CHECK(output_set_identity("edge-2", NULL, 0, err, sizeof err) == 0);
	fixture_syn(&recs[0], DET_CLOSE);
	recs[0].seq = 1;
	CHECK(ingest(sc, &recs[0]) == 0);
	CHECK_EQ_U(count(central, "SELECT count(*) FROM runs"), 2);
	CHECK_EQ_U(count(central, "SELECT count(*) FROM cross_sensor"), 1);
	CHECK_EQ_U(count(central, "SELECT sensors FROM cross_sensor WHERE src_ip = '198.18.0.2'"),
	           2);
	CHECK_EQ_U(count(central, "SELECT count(DISTINCT sensor_id) FROM cross_sensor_members"), 2);
	/* The flood ('*', many sources) belongs to no group. */
	CHECK_EQ_U(count(central, "SELECT count(*) FROM cross_sensor_members WHERE src_ip = '*'"),
	           0);

	/* A third sensor whose id sorts first, recorded last: the reader lists the ids in name
	 * order whatever order the view's group_concat gave them. */
	CHECK(output_set_identity("a-edge", NULL, 0, err, sizeof err) == 0);
	fixture_syn(&recs[0], DET_CLOSE);
	recs[0].seq = 1;
	CHECK(ingest(sc, &recs[0]) == 0);

	/* The same group through the store's reader (query --cross-sensor). */
	{
		struct store_reader *r = store_read_open(central, err, sizeof err);
		struct store_cross seen = {0};
		int groups = 0;

		CHECK(r != NULL);
		if (r != NULL) {
			CHECK(store_read_cross_sensor(r, count_group, &groups, err, sizeof err) ==
			      0);
			CHECK(groups == 1);
			CHECK(store_read_cross_sensor(r, keep_group, &seen, err, sizeof err) == 0);
			CHECK_EQ_U(seen.sensors, 3);
			CHECK_EQ_U(seen.detections, 3);
			store_read_close(r);
		}
	}

	/* Hostile records: refused (1), nothing written. */
	CHECK(ingest_text(sc, "not json") == 1);
	CHECK(ingest_text(sc, "{\"agent\":{\"id\":\"x\",\"ephemeral_id\":\"1\"}}") == 1);
	CHECK(ingest_text(sc, "{\"agent\":{\"id\":\"x\",\"ephemeral_id\":\"1\"},\"event\":{\"id\":"
	                      "\"1\",\"action\":\"made_up_scan\"},\"scanwatch\":{\"severity\":"
	                      "\"low\"}}") == 1);
	CHECK(ingest_text(sc, "{\"agent\":{\"id\":\"x\",\"ephemeral_id\":\"1\"},\"event\":{\"id\":"
	                      "\"1\",\"action\":\"syn_scan\"},\"scanwatch\":{\"severity\":"
	                      "\"low\"},\"source\":{\"ip\":\"not-an-ip\"}}") == 1);
	/* Vocabulary and addresses fine, the rest missing: NOT NULL refuses it. */
	CHECK(ingest_text(sc, "{\"agent\":{\"id\":\"x\",\"ephemeral_id\":\"1\"},\"event\":{\"id\":"
	                      "\"1\",\"action\":\"syn_scan\"},\"scanwatch\":{\"severity\":"
	                      "\"low\"}}") == 1);
	CHECK(ingest_text(sc, "[1,2,3]") == 1);
	CHECK_EQ_U(count(central, "SELECT count(*) FROM detections"), 4);

	store_close(so);
	store_close(sc);
	snprintf(a, sizeof a, "rm -rf %s", dir);
	CHECK(system(a) == 0);
	CHECK_DONE();
}
