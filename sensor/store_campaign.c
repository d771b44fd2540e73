/* store_campaign.c — the campaigns table's rows: made from their members' rows, and when.
 *
 * A campaign's row (006_exposure_campaigns.sql) is a summary of its member detections' rows:
 * the earliest and latest probe, the members, and the unions of their sources, targets and
 * ports. It is made by one statement that reads every member's row (sql_camp), so making it
 * costs in proportion to the campaign's size. Made again in every transaction that writes a
 * member (as before this file), a campaign of n members written in b batches cost n x b row
 * reads: 20,000 scans of one shape, which is what a telescope sees of a botnet scanning one
 * port, stored at 3,400 rows/s, 95% of the time in this statement.
 *
 * When a row is made again. Each campaign the writer has seen has an entry here, counting the
 * member records written since its row was last made. The row is made:
 *   - in every transaction that writes one of its first CAMP_EXACT member records: a campaign
 *     row exists from the moment any member's row does, and a small campaign (a few sources
 *     scanning together, the common case) agrees with its members after every transaction;
 *   - when it has lagged its members for CAMP_LAG_NS (or ten times what making it last cost,
 *     if more), by the writer's tick (store_tick, every EMIT_TICK_MS) or its next batch: so
 *     while a campaign grows, its makes take at most about a tenth of the writer's time
 *     whatever its size, where making it in every transaction cost the size times the
 *     batches;
 *   - at a flush (store_campaigns_sync: the sensor calls it through emit_flush before it
 *     records a run's end, and store_close calls it), after which every row agrees.
 * (Making it also whenever its records had doubled since the last make, as the first version
 * of this file did, cost a fifth of bench D's run for rows a reader would see at most a second
 * later anyway: 20,000 one-campaign records took 1.17 s with it, 0.91 s without.)
 * So a reader of a live database sees a campaign row at most about a second behind its
 * members' rows (a campaign of 20,000 members, made in 0.1 s here: one second), and the rows
 * of a finished run agree exactly. The entries are few (campaign.c keeps at most 64 campaigns
 * open): CAMP_ENTRIES of them; when full, the least recently written one is made up to date if
 * it lags, then forgotten (a campaign seen again later starts over, made at once as a new
 * one).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/store.h"
#include "store_private.h"

#define CAMP_ENTRIES 128
#define CAMP_EXACT   16 /* a campaign of up to this many member records: made every time */
#define CAMP_LAG_NS  1000000000ULL /* a row lags its members at most this long (1 s) */

/*
 * A campaign's row, made from its members' rows: ?1 run, ?2 campaign id, ?3 the newest member
 * record's reasons (its "campaign" reason says why they were grouped). The members are read
 * once, through the detections_campaign index, into m: the five summaries each read m. (Read
 * in each subquery instead, as before, the member list's ORDER BY seq made SQLite 3.40 walk
 * every detection of the run through the (run_id, seq) index, and all five cost 1.6x as much
 * on 20,000 members.) No row is made for a campaign without a member row.
 */
static const char sql_camp[] =
    "WITH m AS MATERIALIZED (SELECT seq, tool, first_seen, last_seen, src_ip, sample_sources,"
    "   sample_targets, sample_ports FROM detections WHERE run_id = ?1 AND campaign = ?2)"
    " INSERT INTO campaigns (run_id, id, tool, first_seen, last_seen, members, sources, targets,"
    " ports, reasons)"
    " SELECT ?1, ?2, max(tool), min(first_seen), max(last_seen),"
    " (SELECT json_group_array(seq) FROM (SELECT seq FROM m ORDER BY seq)),"
    " (SELECT json_group_array(v) FROM (SELECT src_ip AS v FROM m WHERE src_ip <> '*'"
    "   UNION SELECT j.value FROM m, json_each(m.sample_sources) j ORDER BY 1)),"
    " (SELECT json_group_array(v) FROM (SELECT DISTINCT j.value AS v FROM m,"
    "   json_each(m.sample_targets) j ORDER BY 1)),"
    " (SELECT json_group_array(v) FROM (SELECT DISTINCT j.value AS v FROM m,"
    "   json_each(m.sample_ports) j ORDER BY 1)),"
    " (SELECT json_group_array(json(j.value)) FROM json_each(?3) j"
    "   WHERE json_extract(j.value, '$.name') = 'campaign')"
    " FROM m WHERE true HAVING count(*) > 0"
    " ON CONFLICT (run_id, id) DO UPDATE SET tool = excluded.tool,"
    " first_seen = excluded.first_seen, last_seen = excluded.last_seen,"
    " members = excluded.members, sources = excluded.sources, targets = excluded.targets,"
    " ports = excluded.ports, reasons = excluded.reasons";

/* One campaign the writer has seen. */
struct camp_entry {
	int64_t run_id;
	char id[DET_CAMPAIGN_MAX + 1]; /* a record's campaign field, which may fill its array */
	char *reasons;                 /* the newest member record's reasons column (JSON) */
	size_t reasons_cap;
	int reasons_len;
	uint64_t records;      /* member records written */
	uint64_t records_made; /* records when the row was last made; 0: never made */
	uint64_t lag_from_ns;  /* when the row first lagged a written record; 0: it agrees */
	uint64_t cost_ns;      /* what making the row last cost */
	uint64_t last_used;    /* the batch that last wrote a member */
	uint64_t batch;        /* the batch being noted wrote a member (== s->camp_batch) */
	size_t last_rec;       /* that batch's last record of the campaign */
	bool used;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int store_camp_prepare(struct store *s, char *err, size_t errlen)
{
	s->camps = calloc(CAMP_ENTRIES, sizeof *s->camps);
	if (s->camps == NULL) {
		store_set_err(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_prepare_v3(s->db, sql_camp, -1, SQLITE_PREPARE_PERSISTENT, &s->camp, NULL) !=
	    SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

void store_camp_release(struct store *s)
{
	sqlite3_finalize(s->camp);
	s->camp = NULL;
	if (s->camps != NULL)
		for (size_t i = 0; i < CAMP_ENTRIES; i++)
			free(s->camps[i].reasons);
	free(s->camps);
	s->camps = NULL;
}

/* Makes e's row from its members' rows, inside the caller's transaction. */
static int make_row(struct store *s, struct camp_entry *e)
{
	uint64_t t0 = now_ns();
	int rc;

	sqlite3_bind_int64(s->camp, 1, e->run_id);
	sqlite3_bind_text(s->camp, 2, e->id, (int)strlen(e->id), SQLITE_STATIC);
	if (e->reasons != NULL)
		sqlite3_bind_text(s->camp, 3, e->reasons, e->reasons_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->camp, 3);
	rc = sqlite3_step(s->camp);
	sqlite3_reset(s->camp);
	sqlite3_clear_bindings(s->camp);
	if (rc != SQLITE_DONE) {
		store_set_err(s->err, sizeof(s->err), "campaign %s: %s", e->id,
		              sqlite3_errmsg(s->db));
		return -1;
	}
	e->records_made = e->records;
	e->lag_from_ns = 0;
	e->cost_ns = now_ns() - t0;
	s->camp_rows_made++;
	return 0;
}

/* e has lagged its members long enough (see the top of the file). */
static bool lag_due(const struct camp_entry *e, uint64_t now)
{
	uint64_t lag = e->cost_ns > CAMP_LAG_NS / 10 ? e->cost_ns * 10 : CAMP_LAG_NS;

	return e->lag_from_ns != 0 && now - e->lag_from_ns >= lag;
}

/* The entry of (run_id, id), or a free one for it: the least recently used, made up to date
 * first if it lags. NULL only when making that row failed. */
static struct camp_entry *entry_for(struct store *s, int64_t run_id, const char *id)
{
	struct camp_entry *free_e = NULL, *oldest = NULL;

	for (size_t i = 0; i < CAMP_ENTRIES; i++) {
		struct camp_entry *e = &s->camps[i];

		if (!e->used) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (e->run_id == run_id && strncmp(e->id, id, DET_CAMPAIGN_MAX) == 0)
			return e;
		if (oldest == NULL || e->last_used < oldest->last_used)
			oldest = e;
	}
	if (free_e == NULL) {
		if (oldest->lag_from_ns != 0 && make_row(s, oldest) < 0)
			return NULL;
		free_e = oldest;
	}
	char *keep = free_e->reasons;
	size_t keep_cap = free_e->reasons_cap;
	memset(free_e, 0, sizeof *free_e);
	free_e->reasons = keep;
	free_e->reasons_cap = keep_cap;
	free_e->used = true;
	free_e->run_id = run_id;
	size_t n = strnlen(id, DET_CAMPAIGN_MAX);
	memcpy(free_e->id, id, n);
	free_e->id[n] = '\0';
	return free_e;
}

/* Keeps a reasons column (JSON, len bytes; NULL: none) in e: the next make of the row takes
 * its campaign reason. */
static int keep_reasons_text(struct store *s, struct camp_entry *e, const char *json, int len)
{
	if (json == NULL || len < 0)
		len = 0;
	if ((size_t)len + 1 > e->reasons_cap) {
		char *r = realloc(e->reasons, (size_t)len + 1);
		if (r == NULL) {
			store_set_err(s->err, sizeof(s->err), "campaign %s: out of memory", e->id);
			return -1;
		}
		e->reasons = r;
		e->reasons_cap = (size_t)len + 1;
	}
	if (len > 0)
		memcpy(e->reasons, json, (size_t)len);
	e->reasons[len] = '\0';
	e->reasons_len = len;
	return 0;
}

/* The same, from record d's reasons. */
static int keep_reasons(struct store *s, struct camp_entry *e, const struct sw_detection *d)
{
	struct store_row_text t;

	if (store_row_render(d, &t) < 0) {
		store_set_err(s->err, sizeof(s->err), "detection %llu: sample arrays do not fit",
		              (unsigned long long)d->seq);
		return -1;
	}
	return keep_reasons_text(s, e, t.reasons, t.reasons_len);
}

/* e has had a member record written: make its row now when that is due (see the top). */
static int made_when_due(struct store *s, struct camp_entry *e, uint64_t now)
{
	if (e->lag_from_ns == 0)
		e->lag_from_ns = now;
	if (e->records <= CAMP_EXACT || lag_due(e, now))
		return make_row(s, e);
	return 0;
}

int store_camp_note_batch(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n)
{
	uint64_t batch = ++s->camp_batch, now = 0;
	struct camp_entry *e = NULL;

	for (size_t i = 0; i < n; i++) {
		if (d[i].campaign[0] == '\0')
			continue;
		/* Records of one campaign come in runs: try the last one's entry first. */
		if (e == NULL || e->run_id != run_id ||
		    strncmp(e->id, d[i].campaign, DET_CAMPAIGN_MAX) != 0) {
			e = entry_for(s, run_id, d[i].campaign);
			if (e == NULL)
				return -1;
		}
		e->records++;
		e->last_used = batch;
		e->batch = batch;
		e->last_rec = i;
	}
	for (size_t i = 0; i < CAMP_ENTRIES; i++) {
		e = &s->camps[i];
		if (!e->used || e->batch != batch)
			continue;
		if (keep_reasons(s, e, &d[e->last_rec]) < 0)
			return -1;
		if (now == 0)
			now = now_ns();
		if (made_when_due(s, e, now) < 0)
			return -1;
	}
	return 0;
}

int store_camp_note_one(struct store *s, int64_t run_id, const char *id, const char *reasons,
                        int reasons_len)
{
	struct camp_entry *e = entry_for(s, run_id, id);

	if (e == NULL)
		return -1;
	e->records++;
	e->last_used = e->batch = ++s->camp_batch;
	if (keep_reasons_text(s, e, reasons, reasons_len) < 0)
		return -1;
	return made_when_due(s, e, now_ns());
}

void store_camp_rolled_back(struct store *s)
{
	/* Which rows the transaction made is not known here: each campaign is made again with
	 * its next record, and at the next tick or sync. */
	for (size_t i = 0; i < CAMP_ENTRIES && s->camps != NULL; i++)
		if (s->camps[i].used) {
			s->camps[i].records_made = 0;
			if (s->camps[i].lag_from_ns == 0)
				s->camps[i].lag_from_ns = now_ns();
		}
}

/* Is e's row to be made now: lagging at all (a sync), or long enough (a tick)? */
static bool due(const struct camp_entry *e, bool all, uint64_t now)
{
	return e->used && (all ? e->lag_from_ns != 0 : lag_due(e, now));
}

/* Makes the rows that lag (all of them, or those lagging long enough), in one transaction;
 * a failed one is rolled back and leaves every row marked as lagging (store_rollback). */
static int make_lagging(struct store *s, bool all)
{
	uint64_t now = now_ns();
	bool any = false;

	if (s->camps == NULL)
		return 0;
	for (size_t i = 0; i < CAMP_ENTRIES && !any; i++)
		any = due(&s->camps[i], all, now);
	if (!any)
		return 0;
	if (store_begin(s) < 0)
		return -1;
	for (size_t i = 0; i < CAMP_ENTRIES; i++)
		if (due(&s->camps[i], all, now) && make_row(s, &s->camps[i]) < 0) {
			store_rollback(s);
			return -1;
		}
	return store_commit(s);
}

int store_tick(struct store *s)
{
	return s != NULL ? make_lagging(s, false) : 0;
}

int store_campaigns_sync(struct store *s)
{
	return s != NULL ? make_lagging(s, true) : 0;
}

uint64_t store_campaign_rows_made(const struct store *s)
{
	return s != NULL ? s->camp_rows_made : 0;
}
