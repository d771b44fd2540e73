/* pipeline.c — drives one packet through decode, classify and detect; sizes the tables from the
 * cap. */
#include "scanwatch/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/defaults.h"
#include "scanwatch/defrag.h"
#include "scanwatch/evidence.h"
#include "scanwatch/hash.h"

struct pipeline {
	struct classify *cl;
	struct detect_engine *de;
	struct defrag *df;
	struct evidence *ev; /* NULL: no evidence packets kept */
	struct sw_packet pkt;
	struct sw_packet rebuilt;
	struct pipeline_stats st;
};

static void to_detect(void *ctx, const struct sw_event *ev)
{
	struct pipeline *pl = ctx;
	detect_event(pl->de, ev);
}

/* Entries of entry_size that fit in budget bytes, counting the bucket array (one
 * uint32_t per entry, rounded up to a power of two: at most two per entry). */
static size_t entries_for(uint64_t budget, size_t entry_size)
{
	return (size_t)(budget / (entry_size + 2 * sizeof(uint32_t)));
}

struct pipeline *pipeline_create(const struct pipeline_config *cfg, char *err, size_t errlen)
{
	struct pipeline *pl = calloc(1, sizeof *pl);
	if (!pl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	uint8_t key[16];
	hash_make_key(key, cfg->seed);
	/* Evidence packets take their share off the top (defaults.h), so the cap still bounds
	 * everything; with --no-evidence the tables get it back. */
	uint64_t ev_budget = cfg->evidence ? cfg->memory_cap / SW_EVIDENCE_SHARE : 0;
	uint64_t cap = cfg->memory_cap - ev_budget;
	uint64_t flow_budget = cap / 100 * SW_FLOW_SHARE_PERCENT;
	uint64_t track_budget = cap - flow_budget;
	size_t nflows = entries_for(flow_budget, classify_flow_size());
	size_t nentries = entries_for(track_budget, detect_entry_size());
	if (nflows < 1024 || nentries < 256) {
		snprintf(err, errlen,
		         "memory cap of %llu bytes is too small (at least 1M is needed)",
		         (unsigned long long)cfg->memory_cap);
		goto fail;
	}
	pl->cl = classify_create(nflows, key, to_detect, pl);
	pl->de = detect_create(cfg->rules, nentries, key, cfg->emit, cfg->emit_ctx);
	pl->df = defrag_create();
	if (!pl->cl || !pl->de || !pl->df) {
		snprintf(err, errlen, "cannot allocate tracking tables (%zu flows, %zu entries)",
		         nflows, nentries);
		goto fail;
	}
	if (cfg->evidence) {
		pl->ev = evidence_create((size_t)ev_budget, key);
		if (!pl->ev || detect_set_evidence(pl->de, pl->ev) < 0) {
			snprintf(
			    err, errlen,
			    "cannot allocate the evidence arena (%llu bytes of the memory cap)",
			    (unsigned long long)ev_budget);
			goto fail;
		}
	}
	pl->st.max_flows = nflows;
	pl->st.max_entries = nentries;
	return pl;
fail:
	pipeline_destroy(pl);
	return NULL;
}

void pipeline_destroy(struct pipeline *pl)
{
	if (!pl)
		return;
	classify_destroy(pl->cl);
	detect_destroy(pl->de); /* gives its rings back to the arena: first */
	evidence_destroy(pl->ev);
	defrag_destroy(pl->df);
	free(pl);
}

void pipeline_tick(struct pipeline *pl, uint64_t now_us)
{
	/* Timeouts first: they are events that happened before anything at now. */
	classify_advance(pl->cl, now_us);
	detect_advance(pl->de, now_us);
}

/* The packet whose events come next, for the evidence arena. A caller that only sets
 * ts_us (a test harness) gets the same time split. */
static void set_frame(struct pipeline *pl, const struct capture_packet *cp)
{
	struct evidence_frame f = {
	    .data = cp->data,
	    .caplen = cp->caplen,
	    .wirelen = cp->wirelen,
	    .ts_sec = cp->ts_sec,
	    .ts_nsec = cp->ts_nsec,
	    .linktype = cp->dlt,
	    .ts_us = cp->ts_us,
	};
	if (!cp->ts_sec && !cp->ts_nsec) {
		f.ts_sec = (int64_t)(cp->ts_us / 1000000);
		f.ts_nsec = (uint32_t)(cp->ts_us % 1000000 * 1000);
	}
	evidence_frame(pl->ev, &f);
}

/* The decoded packet (and the transport header it completes, for a fragment) to classify. */
static void classify_decoded(struct pipeline *pl)
{
	struct pipeline_stats *st = &pl->st;
	/* a transport header cut across fragments is rebuilt and classified once */
	if ((pl->pkt.flags & PKT_F_FRAG) && !(pl->pkt.flags & PKT_F_HAS_L4)) {
		if (defrag_packet(pl->df, &pl->pkt, &pl->rebuilt, &st->decode))
			classify_packet(pl->cl, &pl->rebuilt);
		if (pl->pkt.flags & PKT_F_FRAG_LATER)
			return;
	}
	classify_packet(pl->cl, &pl->pkt);
}

void pipeline_packet(struct pipeline *pl, const struct capture_packet *cp)
{
	struct pipeline_stats *st = &pl->st;
	if (st->packets == 0)
		st->first_ts = cp->ts_us;
	st->packets++;
	st->bytes += cp->wirelen;
	if (cp->ts_us > st->last_ts)
		st->last_ts = cp->ts_us;
	pipeline_tick(pl, cp->ts_us);
	if (decode_packet(cp->dlt, cp->data, cp->caplen, cp->wirelen, cp->ts_us, &pl->pkt,
	                  &st->decode) != DECODE_OK)
		return;
	if (pl->ev) {
		set_frame(pl, cp);
		evidence_answer(pl->ev, &pl->pkt);
		evidence_fragment(pl->ev, &pl->pkt);
	}
	classify_decoded(pl);
	if (pl->ev)
		evidence_frame(pl->ev, NULL); /* the bytes are the capture's until the next read */
}

void pipeline_finish(struct pipeline *pl)
{
	detect_finish(pl->de, pl->st.last_ts);
}

void pipeline_get_stats(const struct pipeline *pl, struct pipeline_stats *out)
{
	*out = pl->st;
	classify_get_stats(pl->cl, &out->classify);
	detect_get_stats(pl->de, &out->detect);
	if (pl->ev)
		evidence_get_stats(pl->ev, &out->evidence);
}

int pipeline_set_rules(struct pipeline *pl, const struct sw_ruleset *rs, uint64_t now)
{
	return detect_set_rules(pl->de, rs, now);
}
