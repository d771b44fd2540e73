/* store_write.c — batched detection writes: the upsert, the fast update, coalescing, and the
 * vocabulary CHECKs in C. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/evidence.h"
#include "scanwatch/store.h"
#include "store_private.h"

/*
 * Slots of the table store_write uses to find the records of one batch that
 * share a seq: a power of two at least twice the largest batch seen, so it
 * stays at most half full and a probe ends after a slot or two.
 */
#define STORE_SEQ_SLOTS_MIN 64

/*
 * One statement for every phase. A record is a complete snapshot of the
 * detection, so an UPDATE or CLOSE simply overwrites the row; if its OPEN was
 * never stored (its batch failed on a full disk, say) the later phase
 * inserts the row instead of being lost, and a repeated OPEN is harmless.
 */
static const char sql_upsert[] =
    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
    " target_ip, proto, first_seen, opened_at, last_seen, closed_at, probes, probes_at_open,"
    " distinct_targets, distinct_ports, sample_ports, sample_targets, sample_sources, tags,"
    " tool, campaign, evidence, reasons)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
    " ON CONFLICT (run_id, seq) DO UPDATE SET rule_id = excluded.rule_id,"
    " rule_name = excluded.rule_name, kind = excluded.kind, severity = excluded.severity,"
    " src_ip = excluded.src_ip, target_ip = excluded.target_ip, proto = excluded.proto,"
    " first_seen = excluded.first_seen, opened_at = excluded.opened_at,"
    " last_seen = excluded.last_seen, closed_at = excluded.closed_at,"
    " probes = excluded.probes, probes_at_open = excluded.probes_at_open,"
    " distinct_targets = excluded.distinct_targets, distinct_ports = excluded.distinct_ports,"
    " sample_ports = excluded.sample_ports, sample_targets = excluded.sample_targets,"
    " sample_sources = excluded.sample_sources, tags = excluded.tags, tool = excluded.tool,"
    " campaign = excluded.campaign, evidence = excluded.evidence, reasons = excluded.reasons";

/*
 * The fast path of an UPDATE or CLOSE: the row its OPEN inserted is
 * overwritten in place, except for the five columns the table's CHECKs and
 * secondary indexes cover (kind, severity, src_ip, opened_at, and campaign
 * of the (run_id, campaign) index), which are required to be equal instead:
 * `IS` for campaign, which is NULL outside a campaign. An UPDATE evaluates
 * only the CHECKs and rewrites only the index entries of the columns it sets,
 * so this costs one lookup in the (run_id, seq) index and one row write,
 * where the upsert above also probes the unique index, fails, and rewrites
 * four index entries with the values they already hold (setting campaign
 * here too, as before, deleted and re-inserted its entry: a tenth of the
 * statement on bench D). When no row matches (its OPEN was lost, or one of
 * the five changed: a scan that joined a campaign after it opened), the
 * caller runs the upsert: either way the row ends holding every column of
 * the record, exactly as the upsert alone would leave it.
 */
static const char sql_update[] =
    "UPDATE detections SET rule_id = ?3, rule_name = ?4, target_ip = ?8, proto = ?9,"
    " first_seen = ?10, last_seen = ?12, closed_at = ?13, probes = ?14, probes_at_open = ?15,"
    " distinct_targets = ?16, distinct_ports = ?17, sample_ports = ?18, sample_targets = ?19,"
    " sample_sources = ?20, tags = ?21, tool = ?22, evidence = ?24, reasons = ?25"
    " WHERE run_id = ?1 AND seq = ?2 AND kind = ?5 AND severity = ?6 AND src_ip = ?7"
    " AND opened_at = ?11 AND campaign IS ?23";

/* The id of a row the batch wrote: looked up once for all of a record's packets. */
static const char sql_row_id[] = "SELECT id FROM detections WHERE run_id = ?1 AND seq = ?2";

/*
 * One record's evidence packets (010_evidence_pcapng.sql): the pcapng section the packet
 * path wrote (evidence_ng.h), under the row its record was written to (?1: the row's id,
 * sql_row_id's answer). A record written again (its batch retried) replaces its blob. One
 * statement a record: 009's row a packet made capture D's 20,000 detections cost 160,000
 * statements, and the writer spent more time on them than on everything else it does.
 */
static const char sql_evidence[] =
    "INSERT INTO evidence_pcapng (detection_id, first_ordinal, packets, pcapng)"
    " VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (detection_id, first_ordinal) DO UPDATE SET packets = excluded.packets,"
    " pcapng = excluded.pcapng";

/*
 * One item of a record's exposure list. The list only grows during a
 * detection (an item keeps its place once listed), so each write upserts the
 * items it holds by their place and no row ever has to go.
 */
static const char sql_expo[] =
    "INSERT INTO exposure (run_id, seq, ord, host, proto, port, reveal, answers)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (run_id, seq, ord) DO UPDATE SET host = excluded.host,"
    " proto = excluded.proto, port = excluded.port, reveal = excluded.reveal,"
    " answers = excluded.answers";

/*
 * Decides whether this connection may skip CHECK constraints, and turns them
 * off when it may.
 *
 * Why: SQLite (3.40 here) codes a CHECK of the form `kind IN (18 names)` as
 * a temporary b-tree of the names, and inside a CHECK it builds that b-tree
 * again for every row checked (the once-per-statement shortcut it uses in a
 * WHERE clause does not apply). The two vocabulary CHECKs of the detections
 * table (001_init.sql) thus cost two b-tree creations per row, more than the
 * row's own insert and its four index entries together. validate() enforces
 * the same two rules in C instead, which is exact only if the schema
 * accepts every name detection.c can produce and has no other CHECK. Both
 * are established here, against the file actually opened: the schema holds
 * exactly the two known CHECKs, and a probe row for every kind (and every
 * severity) goes in with the CHECKs enforced, inside a transaction that is
 * rolled back (nothing is written and no row id is used up). If anything
 * differs, or the probe cannot run (a busy peer, a read-only file), the
 * CHECKs stay on and every write is checked by SQLite as before: slower,
 * never laxer. Other connections to the file keep their CHECKs whatever this
 * one does.
 */
static void vocabulary_probe(struct store *s)
{
	static const char sql_probe[] =
	    "INSERT INTO detections (run_id, seq, rule_id, rule_name, kind, severity, src_ip,"
	    " first_seen, opened_at, last_seen, probes, probes_at_open, distinct_targets,"
	    " distinct_ports) VALUES (?1, ?2, '', '', ?3, ?4, '', 0, 0, 0, 0, 0, 0, 0)";
	/* Case-sensitive: the schema's comments say "checks", its constraints "CHECK". */
	static const char sql_count[] =
	    "SELECT coalesce(sum((length(sql) - length(replace(sql, 'CHECK', ''))) / 5), 0),"
	    " coalesce(sum(name = 'detections' AND sql LIKE '%kind_in_vocabulary CHECK (kind IN%'"
	    " AND sql LIKE '%severity_in_vocabulary%CHECK (severity IN%'), 0)"
	    " FROM sqlite_schema WHERE sql IS NOT NULL";
	sqlite3_stmt *st = NULL;
	unsigned rows = (unsigned)KIND__COUNT > (unsigned)SEV_CRITICAL ? (unsigned)KIND__COUNT
	                                                               : (unsigned)SEV_CRITICAL;
	bool ok = false;
	int64_t run;

	s->checks_in_c = false;
	if (sqlite3_prepare_v2(s->db, sql_count, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 2 ||
	    sqlite3_column_int(st, 1) != 1) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (store_exec(s->db, "BEGIN IMMEDIATE", NULL, 0) < 0)
		return;
	if (store_exec(s->db, "INSERT INTO runs (input, started_at) VALUES ('vocabulary probe', 0)",
	               NULL, 0) < 0)
		goto out;
	run = sqlite3_last_insert_rowid(s->db);
	if (sqlite3_prepare_v2(s->db, sql_probe, -1, &st, NULL) != SQLITE_OK)
		goto out;
	for (unsigned i = 0; i < rows; i++) {
		enum sw_kind k = (enum sw_kind)(i % KIND__COUNT);
		enum sw_severity v = (enum sw_severity)(SEV_LOW + i % SEV_CRITICAL);

		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_text(st, 3, detection_kind_name(k), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, detection_severity_name(v), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_reset(st);
	}
	ok = true;
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (ok && store_exec(s->db, "PRAGMA ignore_check_constraints = ON", NULL, 0) == 0)
		s->checks_in_c = true;
}

/* Binds a fixed-size char field; strnlen guards against a producer that forgot the NUL. */
static void bind_field(sqlite3_stmt *st, int i, const char *s, size_t size, bool null_if_empty)
{
	size_t n = strnlen(s, size);

	if (n == 0 && null_if_empty)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, (int)n, SQLITE_STATIC);
}

/*
 * Enforces, for a connection that skips CHECK constraints, exactly what the
 * detections table's CHECKs would refuse: a kind or severity outside the
 * vocabulary (the names detection.c gives them, which vocabulary_probe has
 * seen the schema accept). The constraint names are in the message so it
 * reads like SQLite's own.
 */
static int validate(struct store *s, const struct sw_detection *d)
{
	if (d->kind >= KIND__COUNT) {
		store_set_err(
		    s->err, sizeof(s->err),
		    "detection %llu: kind %u is outside the vocabulary (kind_in_vocabulary)",
		    (unsigned long long)d->seq, d->kind);
		return -1;
	}
	if (d->severity < SEV_LOW || d->severity > SEV_CRITICAL) {
		store_set_err(s->err, sizeof(s->err),
		              "detection %llu: severity %u is outside the vocabulary "
		              "(severity_in_vocabulary)",
		              (unsigned long long)d->seq, d->severity);
		return -1;
	}
	return 0;
}

/*
 * Binds every column of d to st: the upsert and the fast update share the
 * parameter numbers ?1-?24. Texts are bound SQLITE_STATIC with their
 * lengths (SQLite would otherwise count them byte by byte); t and d are the
 * caller's, so the caller clears the bindings before they go.
 */
static void bind_record(sqlite3_stmt *st, int64_t run_id, const struct sw_detection *d,
                        const struct store_row_text *t)
{
	sqlite3_bind_int64(st, 1, run_id);
	store_bind_u64(st, 2, d->seq);
	bind_field(st, 3, d->rule_id, sizeof(d->rule_id), false);
	bind_field(st, 4, d->rule_name, sizeof(d->rule_name), false);
	sqlite3_bind_text(st, 5, detection_kind_name((enum sw_kind)d->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detection_severity_name((enum sw_severity)d->severity), -1,
	                  SQLITE_STATIC);
	const uint64_t nums[] = {d->first_seen,       d->opened_at,     d->last_seen,
	                         d->closed_at,        d->probes,        d->probes_at_open,
	                         d->distinct_targets, d->distinct_ports}; /* ?10-?17 */

	sqlite3_bind_text(st, 7, t->src_text, t->src_len, SQLITE_STATIC);
	if (t->dst_len >= 0)
		sqlite3_bind_text(st, 8, t->dst, t->dst_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int(st, 9, d->proto);
	for (int i = 0; i < (int)(sizeof(nums) / sizeof(nums[0])); i++) {
		if (i == 3 && d->closed_at == 0)
			sqlite3_bind_null(st, 13); /* closed_at: NULL while open */
		else
			store_bind_u64(st, 10 + i, nums[i]);
	}
	sqlite3_bind_text(st, 18, t->ports, t->ports_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 19, t->targets, t->targets_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, t->sources, t->sources_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 21, t->tags, t->tags_len, SQLITE_STATIC);
	bind_field(st, 22, d->tool, sizeof(d->tool), true);
	bind_field(st, 23, d->campaign, sizeof(d->campaign), true);
	sqlite3_bind_text(st, 24, t->evidence, t->evidence_len, SQLITE_STATIC);
	sqlite3_bind_text(st, 25, t->reasons, t->reasons_len, SQLITE_STATIC);
}

/* Runs st once; 0 on SQLITE_DONE, else -1 with the message (and, if ext is not NULL, the
 * extended result code in *ext, set only then). Leaves st reset and unbound. */
static int step_once(struct store *s, sqlite3_stmt *st, uint64_t seq, int *ext)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		if (ext)
			*ext = sqlite3_extended_errcode(s->db);
		store_set_err(s->err, sizeof(s->err), "detection %llu: %s", (unsigned long long)seq,
		              sqlite3_errmsg(s->db));
	}
	sqlite3_reset(st);
	/* The buffers bound with SQLITE_STATIC die with the caller's frame. */
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The id of the row (run_id, seq), which the batch has written: *id (0 if there is none). */
static int row_id(struct store *s, int64_t run_id, uint64_t seq, int64_t *id)
{
	int rc;

	sqlite3_bind_int64(s->row_id, 1, run_id);
	store_bind_u64(s->row_id, 2, seq);
	rc = sqlite3_step(s->row_id);
	*id = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s->row_id, 0);
		rc = sqlite3_step(s->row_id);
	}
	if (rc != SQLITE_DONE)
		store_set_err(s->err, sizeof(s->err), "detection %llu: %s", (unsigned long long)seq,
		              sqlite3_errmsg(s->db));
	sqlite3_reset(s->row_id);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Makes the row (run_id, d->seq) hold d. row_is_new: the batch holds this
 * detection's OPEN, so no row exists yet and the upsert goes first; else the
 * fast update is tried and the upsert covers a row that is missing or
 * differs in a column the fast update does not set.
 */
static int write_one(struct store *s, int64_t run_id, const struct sw_detection *d, bool row_is_new)
{
	struct store_row_text t;

	if (store_row_render(d, &t) < 0) {
		/* Cannot happen with the sizes of store_row_text; refuse rather than store a cut
		 * array. */
		store_set_err(s->err, sizeof(s->err), "detection %llu: sample arrays do not fit",
		              (unsigned long long)d->seq);
		return -1;
	}
	if (!row_is_new) {
		bind_record(s->update, run_id, d, &t);
		if (step_once(s, s->update, d->seq, NULL) < 0)
			return -1;
		if (sqlite3_changes(s->db) == 1)
			return 0;
	}
	bind_record(s->upsert, run_id, d, &t);
	return step_once(s, s->upsert, d->seq, NULL);
}

/* The record's exposure list into the exposure table. */
static int write_exposure(struct store *s, int64_t run_id, const struct sw_detection *d)
{
	char host[ADDR_TEXT_MAX];

	for (unsigned i = 0; i < d->exposure.n && i < DET_EXPOSURE_MAX; i++) {
		const struct det_exposed *x = &d->exposure.item[i];

		sqlite3_bind_int64(s->expo, 1, run_id);
		store_bind_u64(s->expo, 2, d->seq);
		sqlite3_bind_int(s->expo, 3, (int)i);
		sqlite3_bind_text(s->expo, 4, addr_format(&x->host, host), -1, SQLITE_STATIC);
		sqlite3_bind_int(s->expo, 5, x->proto);
		sqlite3_bind_int(s->expo, 6, x->port);
		sqlite3_bind_text(s->expo, 7, detection_reveal_name((enum det_reveal)x->reveal), -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(s->expo, 8, x->answers);
		if (step_once(s, s->expo, d->seq, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Stores the packets d carries under its row (id), which the batch has written already. */
static int write_evidence(struct store *s, int64_t id, const struct sw_detection *d)
{
	const struct evidence_pack *p = d->evidence;

	sqlite3_bind_int64(s->evidence, 1, id);
	sqlite3_bind_int64(s->evidence, 2, p->first);
	sqlite3_bind_int64(s->evidence, 3, p->n);
	sqlite3_bind_blob(s->evidence, 4, p->ng, (int)p->len, SQLITE_STATIC);
	return step_once(s, s->evidence, d->seq, NULL);
}

/*
 * Fills s->slots with where each seq of the batch first and last appears.
 * Sequence numbers come from our own detector (a counter), not from the
 * wire, so a multiplicative hash cannot be steered into long probe chains.
 */
static int index_batch(struct store *s, const struct sw_detection *d, size_t n)
{
	size_t want = STORE_SEQ_SLOTS_MIN;
	unsigned shift;

	if (n > UINT32_MAX / 2) {
		store_set_err(s->err, sizeof(s->err), "batch of %zu records is too large", n);
		return -1;
	}
	while (want < 2 * n)
		want *= 2;
	if (want > s->nslots) {
		struct seq_slot *p = calloc(want, sizeof(*p));

		if (p == NULL) {
			store_set_err(s->err, sizeof(s->err), "out of memory for a batch of %zu",
			              n);
			return -1;
		}
		free(s->slots);
		s->slots = p;
		s->nslots = want;
	} else {
		memset(s->slots, 0, s->nslots * sizeof(*s->slots));
	}
	shift = 64;
	for (size_t v = s->nslots; v > 1; v >>= 1)
		shift--;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)((d[i].seq * 0x9E3779B97F4A7C15ull) >> shift);

		while (s->slots[h].used && s->slots[h].seq != d[i].seq)
			h = (h + 1) & (s->nslots - 1);
		if (!s->slots[h].used) {
			s->slots[h].used = true;
			s->slots[h].seq = d[i].seq;
			s->slots[h].first = (uint32_t)i;
		}
		s->slots[h].last = (uint32_t)i;
	}
	return 0;
}

static struct seq_slot *find_seq(struct store *s, uint64_t seq)
{
	unsigned shift = 64;
	size_t h;

	for (size_t v = s->nslots; v > 1; v >>= 1)
		shift--;
	h = (size_t)((seq * 0x9E3779B97F4A7C15ull) >> shift);
	while (s->slots[h].seq != seq) /* index_batch put every seq of the batch in */
		h = (h + 1) & (s->nslots - 1);
	return &s->slots[h];
}

int store_write(struct store *s, int64_t run_id, const struct sw_detection *d, size_t n)
{
	char msg[STORE_ERR_MAX];
	bool coalesce = s->checks_in_c;

	if (n == 0)
		return 0;
	/*
	 * Every record is checked before anything is written, including those
	 * coalescing skips below, so a batch fails or succeeds exactly as it
	 * would if each record were written in turn.
	 */
	if (s->checks_in_c)
		for (size_t i = 0; i < n; i++)
			if (validate(s, &d[i]) < 0)
				return -1;
	if (coalesce && index_batch(s, d, n) < 0)
		return -1;
	/*
	 * One transaction per batch: one WAL commit for up to a thousand rows
	 * instead of one per row. IMMEDIATE takes the write lock up front so
	 * a busy peer surfaces here, through the busy timeout, not halfway.
	 */
	if (store_exec(s->db, "BEGIN IMMEDIATE", msg, sizeof(msg)) < 0) {
		store_set_err(s->err, sizeof(s->err), "begin: %s", msg);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sw_detection *rec = &d[i];

		/*
		 * Coalescing: every record is a complete snapshot and the phases of
		 * one detection share its seq, so within one transaction only the
		 * last record of a seq decides the row. It is written where the
		 * seq first appears, so rows get their ids in the same order as
		 * when written one by one, and no reader can see the difference:
		 * a reader sees the transaction whole or not at all. Only with
		 * the CHECKs enforced here (validate above) does skipping a record
		 * provably change no outcome: a record SQLite could refuse is never
		 * skipped.
		 */
		if (coalesce) {
			const struct seq_slot *slot = find_seq(s, d[i].seq);

			if (slot->first != i)
				continue;
			rec = &d[slot->last];
		}
		if (write_one(s, run_id, rec, d[i].phase == DET_OPEN) < 0 ||
		    write_exposure(s, run_id, rec) < 0)
			goto fail;
	}
	if (store_camp_note_batch(s, run_id, d, n) < 0)
		goto fail;
	/* Every record's packets, the coalesced ones' too (OPEN brings the first, CLOSE the
	 * rest), under the row of their seq, which exists by now: its id is looked up once a
	 * seq, not once a packet. */
	for (size_t i = 0; i < n; i++) {
		if (d[i].evidence == NULL || d[i].evidence->n == 0)
			continue;
		struct seq_slot *slot = coalesce ? find_seq(s, d[i].seq) : NULL;
		int64_t id = slot ? slot->id : 0;
		if (id == 0 && row_id(s, run_id, d[i].seq, &id) < 0)
			goto fail;
		if (id == 0) { /* its record was written above: cannot happen */
			store_set_err(s->err, sizeof(s->err),
			              "detection %llu: no row for its packets",
			              (unsigned long long)d[i].seq);
			goto fail;
		}
		if (slot)
			slot->id = id;
		if (write_evidence(s, id, &d[i]) < 0)
			goto fail;
	}
	if (store_exec(s->db, "COMMIT", msg, sizeof(msg)) < 0) {
		store_set_err(s->err, sizeof(s->err), "commit: %s", msg);
		goto fail;
	}
	return 0;
fail:
	if (sqlite3_errcode(s->db) == SQLITE_FULL)
		s->full_seen = true;
	/* After SQLITE_FULL or an I/O error SQLite may already have rolled back. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_camp_rolled_back(s);
	return -1;
}

int store_write_prepare(struct store *s, char *err, size_t errlen)
{
	vocabulary_probe(s);
	if (sqlite3_prepare_v3(s->db, sql_upsert, -1, SQLITE_PREPARE_PERSISTENT, &s->upsert,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_update, -1, SQLITE_PREPARE_PERSISTENT, &s->update,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_evidence, -1, SQLITE_PREPARE_PERSISTENT, &s->evidence,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_row_id, -1, SQLITE_PREPARE_PERSISTENT, &s->row_id,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, sql_expo, -1, SQLITE_PREPARE_PERSISTENT, &s->expo, NULL) !=
	        SQLITE_OK) {
		store_set_err(err, errlen, "%s", sqlite3_errmsg(s->db));
		return -1;
	}
	return store_camp_prepare(s, err, errlen);
}

void store_write_release(struct store *s)
{
	sqlite3_finalize(s->upsert);
	sqlite3_finalize(s->update);
	sqlite3_finalize(s->evidence);
	sqlite3_finalize(s->row_id);
	sqlite3_finalize(s->expo);
	store_camp_release(s);
	s->upsert = s->update = s->evidence = s->row_id = s->expo = NULL;
	free(s->slots);
	s->slots = NULL;
	s->nslots = 0;
}
