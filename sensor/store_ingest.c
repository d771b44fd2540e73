/* store_ingest.c — a sensor's ECS JSON record (from the NATS stream) written into a central
 * store: its run found or made by (sensor, run token), its detection upserted, never regressed. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scanwatch/addr.h"
#include "scanwatch/store.h"
#include "store_private.h"

/*
 * The record is the ECS object output_jsonl.c renders (output_jsonl_render): the store reads
 * it back here with SQLite's JSON functions (json_valid, json_extract: a parser SQLite
 * hardens against hostile input; nothing is parsed by hand). The fields, and the columns they
 * fill:
 *   agent.id, agent.ephemeral_id, labels   runs.sensor_id, runs.sensor_run, runs.site_tags
 *   event.id                               seq (the sensor's run-unique sequence number)
 *   event.action, scanwatch.severity       kind, severity (vocabularies checked in C first)
 *   rule.id, rule.name                     rule_id, rule_name
 *   source.ip (absent: "*"), destination.ip  src_ip, target_ip
 *   network.iana_number (absent: 0)        proto
 *   scanwatch.first_seen/opened_at/last_seen, event.end when phase is close   the times
 *   scanwatch.probes ... distinct_ports    the counts
 *   scanwatch.sample_*, tags               the JSON array columns (json_extract minifies them
 *                                          as the store writes them)
 *   scanwatch.tool, campaign, evidence, reasons
 * Times are RFC 3339 with microseconds (output_format_time); a year past 9999 is written as
 * the raw microsecond count, read back as such.
 */

/* The longest run token (agent.ephemeral_id) taken; the sensor's is 20 digits at most. */
#define STORE_RUN_TOKEN_MAX 64

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS.ffffffZ" (or a raw count) -> microseconds. */
#define US(path)                                                            \
	"(CASE WHEN instr(json_extract(?1, '" path "'), 'T') = 11 THEN"     \
	" unixepoch(substr(json_extract(?1, '" path "'), 1, 19)) * 1000000" \
	" + CAST(substr(json_extract(?1, '" path "'), 21, 6) AS INTEGER)"   \
	" ELSE CAST(json_extract(?1, '" path "') AS INTEGER) END)"

/* clang-format off */
static const char sql_head[] =
    "SELECT json_valid(?1), json_extract(?1, '$.agent.id'),"
    " json_extract(?1, '$.agent.ephemeral_id'), json_extract(?1, '$.event.action'),"
    " json_extract(?1, '$.scanwatch.severity'), json_extract(?1, '$.source.ip'),"
    " json_extract(?1, '$.destination.ip'), json_type(?1, '$.event.id'), "
    US("$.scanwatch.first_seen") ", " US("$.scanwatch.opened_at") ", "
    US("$.scanwatch.last_seen") ","
    " CASE WHEN json_extract(?1, '$.scanwatch.phase') = 'close' THEN " US("$.event.end") " END";
/* clang-format on */

/* The sensor's run in the central store: made once, found after. */
static const char sql_run_make[] =
    "INSERT INTO runs (input, started_at, sensor_id, site_tags, sensor_run)"
    " VALUES ('nats:' || ?2, ?4, ?2,"
    " (SELECT json_group_array(key || '=' || value) FROM json_each(?1, '$.labels')), ?3)"
    " ON CONFLICT (sensor_id, sensor_run) DO NOTHING";
static const char sql_run_find[] = "SELECT id FROM runs WHERE sensor_id = ?1 AND sensor_run = ?2";

/*
 * Every phase is a full snapshot: the row takes the record unless it already holds a later
 * one. A closed row stays as it is; an open one takes a close, or an update that is not older
 * (last probe and probe count not behind). So a redelivered or reordered record never moves a
 * row back, and the same record twice changes nothing.
 */
static const char sql_upsert[] =
    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
    " target_ip, proto, first_seen, opened_at, last_seen, closed_at, probes, probes_at_open,"
    " distinct_targets, distinct_ports, sample_ports, sample_targets, sample_sources, tags,"
    " tool, campaign, evidence, reasons) VALUES (?2,"
    " CAST(json_extract(?1, '$.event.id') AS INTEGER), json_extract(?1, '$.rule.id'),"
    " json_extract(?1, '$.rule.name'), json_extract(?1, '$.event.action'),"
    " json_extract(?1, '$.scanwatch.severity'), coalesce(json_extract(?1, '$.source.ip'), '*'),"
    " json_extract(?1, '$.destination.ip'),"
    " coalesce(CAST(json_extract(?1, '$.network.iana_number') AS INTEGER), 0), ?3, ?4, ?5, ?6,"
    " json_extract(?1, '$.scanwatch.probes'), json_extract(?1, '$.scanwatch.probes_at_open'),"
    " json_extract(?1, '$.scanwatch.distinct_targets'),"
    " json_extract(?1, '$.scanwatch.distinct_ports'),"
    " json_extract(?1, '$.scanwatch.sample_ports'),"
    " json_extract(?1, '$.scanwatch.sample_targets'),"
    " json_extract(?1, '$.scanwatch.sample_sources'), json_extract(?1, '$.tags'),"
    " json_extract(?1, '$.scanwatch.tool'), json_extract(?1, '$.scanwatch.campaign'),"
    " json_extract(?1, '$.scanwatch.evidence'), json_extract(?1, '$.scanwatch.reasons'))"
    " ON CONFLICT (run_id, seq) DO UPDATE SET rule_id = excluded.rule_id,"
    " rule_name = excluded.rule_name, kind = excluded.kind, severity = excluded.severity,"
    " src_ip = excluded.src_ip, target_ip = excluded.target_ip, proto = excluded.proto,"
    " first_seen = excluded.first_seen, opened_at = excluded.opened_at,"
    " last_seen = excluded.last_seen, closed_at = excluded.closed_at,"
    " probes = excluded.probes, probes_at_open = excluded.probes_at_open,"
    " distinct_targets = excluded.distinct_targets, distinct_ports = excluded.distinct_ports,"
    " sample_ports = excluded.sample_ports, sample_targets = excluded.sample_targets,"
    " sample_sources = excluded.sample_sources, tags = excluded.tags, tool = excluded.tool,"
    " campaign = excluded.campaign, evidence = excluded.evidence, reasons = excluded.reasons"
    " WHERE detections.closed_at IS NULL AND (excluded.closed_at IS NOT NULL OR"
    " (excluded.last_seen >= detections.last_seen AND excluded.probes >= detections.probes))";

static const char *text_or_null(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Checks what the schema's CHECKs and the reader need, before any write: 0, or -1 (why). */
static int check_head(sqlite3_stmt *st, char *why, size_t whylen)
{
	const char *sensor = text_or_null(st, 1), *run = text_or_null(st, 2),
	           *kind = text_or_null(st, 3), *sev = text_or_null(st, 4),
	           *src = text_or_null(st, 5), *dst = text_or_null(st, 6),
	           *idtype = text_or_null(st, 7);
	enum sw_kind k;
	enum sw_severity v;
	struct sw_addr a;

	if (sqlite3_column_int(st, 0) != 1) {
		snprintf(why, whylen, "not JSON");
		return -1;
	}
	if (sensor == NULL || sensor[0] == '\0' || strlen(sensor) >= STORE_SENSOR_ID_MAX ||
	    run == NULL || run[0] == '\0' || strlen(run) >= STORE_RUN_TOKEN_MAX) {
		snprintf(why, whylen, "no agent.id or agent.ephemeral_id");
		return -1;
	}
	if (kind == NULL || detection_kind_parse(kind, &k) < 0 || sev == NULL ||
	    detection_severity_parse(sev, &v) < 0) {
		snprintf(why, whylen, "event.action or scanwatch.severity outside the vocabulary");
		return -1;
	}
	if ((src != NULL && addr_parse(src, &a) < 0) || (dst != NULL && addr_parse(dst, &a) < 0)) {
		snprintf(why, whylen, "source.ip or destination.ip is not an address");
		return -1;
	}
	if (idtype == NULL || strcmp(idtype, "text") != 0) {
		snprintf(why, whylen, "no event.id");
		return -1;
	}
	return 0;
}

static int64_t run_of(struct store *s, const char *json, int len, const char *sensor,
                      const char *token)
{
	sqlite3_stmt *st = NULL;
	struct timespec now;
	int64_t id = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	if (sqlite3_prepare_v2(s->db, sql_run_make, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, json, len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, token, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, sql_run_find, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, sensor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
out:
	if (id < 0)
		store_set_err(s->err, sizeof(s->err), "central run: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return id;
}

/* A record of a campaign: its campaigns row, as the sensor's own store keeps it
 * (store_campaign.c). 0, or -1 (s->err). */
static int note_campaign(struct store *s, const char *json, int len, int64_t run)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT json_extract(?1, '$.scanwatch.campaign'),"
	                       " json_extract(?1, '$.scanwatch.reasons')",
	                       -1, &st, NULL) != SQLITE_OK) {
		store_set_err(s->err, sizeof(s->err), "ingest: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, json, len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		store_set_err(s->err, sizeof(s->err), "ingest: %s", sqlite3_errmsg(s->db));
		rc = -1;
	} else if (sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		const char *id = text_or_null(st, 0);
		/* an id longer than any sensor makes names no campaign a row could be made for */
		if (id != NULL && id[0] != '\0' && strlen(id) < DET_CAMPAIGN_MAX)
			rc = store_camp_note_one(s, run, id, text_or_null(st, 1),
			                         sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	return rc;
}

int store_ingest(struct store *s, const char *json, size_t len, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	char sensor[STORE_SENSOR_ID_MAX], token[STORE_RUN_TOKEN_MAX];
	int64_t run, times[4];
	bool times_null[4];
	int rc = -1;

	if (len > (size_t)STORE_INGEST_MAX) {
		snprintf(why, whylen, "longer than %d bytes", STORE_INGEST_MAX);
		return 1;
	}
	/* JSON first: the functions below raise an error on text that is not JSON. */
	if (sqlite3_prepare_v2(
	        s->db, "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END",
	        -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto dberr;
	if (sqlite3_column_int(st, 0) != 1) {
		snprintf(why, whylen, "not a JSON object");
		sqlite3_finalize(st);
		return 1;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, sql_head, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto dberr;
	if (check_head(st, why, whylen) < 0) {
		sqlite3_finalize(st);
		return 1;
	}
	snprintf(sensor, sizeof sensor, "%s", text_or_null(st, 1));
	snprintf(token, sizeof token, "%s", text_or_null(st, 2));
	for (int i = 0; i < 4; i++) /* first_seen, opened_at, last_seen, closed_at (or NULL) */
		times_null[i] = sqlite3_column_type(st, 8 + i) == SQLITE_NULL;
	for (int i = 0; i < 4; i++)
		times[i] = sqlite3_column_int64(st, 8 + i);
	sqlite3_finalize(st);
	st = NULL;
	run = run_of(s, json, (int)len, sensor, token);
	if (run < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, sql_upsert, -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, json, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, run);
	for (int i = 0; i < 4; i++)
		if (!times_null[i])
			sqlite3_bind_int64(st, 3 + i, times[i]);
	rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		/* A NOT NULL column the record lacks: the record is bad, not the store. */
		snprintf(why, whylen, "%s", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return 1;
	}
	if (rc != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	return note_campaign(s, json, (int)len, run) < 0 ? -1 : 0;
dberr:
	store_set_err(s->err, sizeof(s->err), "ingest: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return -1;
}

int store_begin(struct store *s)
{
	if (store_exec(s->db, "BEGIN IMMEDIATE", s->err, sizeof(s->err)) < 0)
		return -1;
	return 0;
}

int store_commit(struct store *s)
{
	if (store_exec(s->db, "COMMIT", s->err, sizeof(s->err)) < 0) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		store_camp_rolled_back(s);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_camp_rolled_back(s);
}
