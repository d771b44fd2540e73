/* detect_record.c — the record of a tracking entry, and its handing to the sinks with its
 * campaign and evidence packets (detect_private.h). */
#include <inttypes.h>
#include <string.h>

#include "detect_private.h"
#include "scanwatch/attribute.h"
#include "scanwatch/campaign.h"
#include "scanwatch/exposure.h"
#include "scanwatch/strbuf.h"

static const char *orientation(const struct track_entry *e, uint64_t targets, uint64_t ports)
{
	(void)e;
	if (targets <= 1)
		return ports > 1 ? "vertical" : "single target";
	if (ports <= 2)
		return "horizontal";
	return "block (many ports on many hosts)";
}

/* The exposure as reasons: what was revealed, and what the list could not hold. */
static void describe_exposure(struct sw_detection *rec, uint8_t mark)
{
	const struct det_exposure *x = &rec->exposure;
	unsigned services, hosts;
	if (mark == EXPOSURE_DENIED)
		detection_reason(rec, "exposure_unrecorded", 0,
		                 "answers to the scanner not recorded: exposure memory spent");
	if (x->n == 0)
		return;
	detection_exposure_counts(x, &services, &hosts);
	detection_reason(rec, "exposed", x->n,
	                 "revealed %u open service(s) and %u live host(s) in %" PRIu64 " answer(s)",
	                 services, hosts, x->answers);
	if (x->unlisted)
		detection_reason(rec, "exposure_unlisted", x->unlisted,
		                 "%" PRIu64 " answer(s) about services or hosts past the first %u",
		                 x->unlisted, (unsigned)DET_EXPOSURE_MAX);
}

void detect_fill_record(struct detect_engine *d, const struct sw_rule *r,
                        const struct track_entry *e, enum det_phase phase, uint64_t closed_at)
{
	struct sw_detection *rec = &d->rec;
	memset(rec, 0, sizeof *rec);
	rec->seq = e->det_seq;
	rec->phase = (uint8_t)phase;
	rec->kind = e->kind;
	rec->severity = (uint8_t)r->severity;
	rec->proto = e->mixed_proto ? 0 : e->proto;
	struct strbuf sb;
	strbuf_init(&sb, rec->rule_id, sizeof rec->rule_id);
	strbuf_puts(&sb, r->id);
	strbuf_init(&sb, rec->rule_name, sizeof rec->rule_name);
	strbuf_puts(&sb, r->name);
	rec->n_tags = 0;
	for (size_t i = 0; i < r->ntags; i++)
		detection_add_tag(rec, r->tags[i], strlen(r->tags[i]));
	switch (r->group_by) {
	case GROUP_SRC:
		rec->src = e->key.a;
		rec->has_target = !e->multi_target;
		rec->target = e->target;
		break;
	case GROUP_DST:
		rec->target = e->key.a;
		rec->has_target = 1;
		if (e->n_sources == 1)
			rec->src = *track_sample_addr(e, 0);
		else
			rec->src_any = 1;
		break;
	case GROUP_SRC_DST:
		rec->src = e->key.a;
		rec->target = e->key.b;
		rec->has_target = 1;
		break;
	}
	rec->distinct_targets = r->group_by == GROUP_DST ? 1 : track_distinct_targets(e);
	rec->first_seen = e->first_ts;
	rec->opened_at = e->opened_at;
	rec->last_seen = e->last_ts;
	rec->closed_at = closed_at;
	rec->probes = e->probes;
	rec->probes_at_open = e->probes_at_open;
	rec->distinct_ports = track_distinct_ports(e);
	rec->n_sample_ports = e->n_ports;
	/* at most TRACK_SAMPLE_PORTS: an insertion sort */
	for (unsigned i = 0; i < e->n_ports; i++) {
		uint16_t v = track_sample_port(e, i);
		unsigned j = i;
		for (; j > 0 && rec->sample_ports[j - 1] > v; j--)
			rec->sample_ports[j] = rec->sample_ports[j - 1];
		rec->sample_ports[j] = v;
	}
	rec->n_sample_targets = e->n_targets;
	if (r->group_by == GROUP_DST) { /* its one target is its key (track.h) */
		if (e->n_targets)
			rec->sample_targets[0] = e->key.a;
	} else {
		for (unsigned i = 0; i < e->n_targets; i++)
			rec->sample_targets[i] = *track_sample_addr(e, i);
	}
	rec->n_sample_sources = e->n_sources;
	for (unsigned i = 0; i < e->n_sources; i++)
		rec->sample_sources[i] = *track_sample_addr(e, i);

	rec->n_reasons = 0;
	if (r->group_by == GROUP_DST)
		detection_reason(rec, "shape", e->probes,
		                 "%" PRIu64 " probes to %" PRIu64 " port(s) from %" PRIu64
		                 " source(s)",
		                 e->probes, rec->distinct_ports, track_distinct_sources(e));
	else
		detection_reason(rec, "shape", e->probes,
		                 "%s: %" PRIu64 " probes to %" PRIu64 " port(s) on %" PRIu64
		                 " host(s)",
		                 orientation(e, rec->distinct_targets, rec->distinct_ports),
		                 e->probes, rec->distinct_ports, rec->distinct_targets);
	if (e->inexact)
		detection_reason(
		    rec, "estimated", 0,
		    "distinct counts estimated: the memory for exact counts was spent");
	static const char *const oname[OUT__COUNT][2] = {
	    [OUT_SUCCESS] = {"answered", "answered"},
	    [OUT_EMPTY] = {"opened_unused", "opened-and-closed unused"},
	    [OUT_HALFOPEN] = {"half_open", "half-open"},
	    [OUT_REFUSED] = {"refused", "refused"},
	    [OUT_UNREACH] = {"unreachable", "unreachable"},
	    [OUT_TIMEOUT] = {"unanswered", "unanswered"},
	    [OUT_USED] = {"resolved_used", "resolved then used"},
	};
	/* OUT_ESTABLISHED has no reason of its own: every completed handshake also ends as
	 * answered or opened-and-closed unused, which say it. */
	for (unsigned o = 1; o < OUT__COUNT; o++)
		if (e->outcomes[o] && o != OUT_ESTABLISHED)
			detection_reason(rec, oname[o][0], e->outcomes[o], "%s %" PRIu32,
			                 oname[o][1], e->outcomes[o]);
	if (e->crafted)
		detection_reason(rec, "hand_built", e->crafted, "%" PRIu32 " hand-built probe(s)",
		                 e->crafted);
	if (e->opened_kind != e->kind)
		detection_reason(rec, "opened_as", 0, "opened as %s",
		                 detection_kind_name((enum sw_kind)e->opened_kind));
	if (r->detector->describe)
		r->detector->describe(r, e, rec);
	attribute_verdict(e, rec->tool, sizeof rec->tool, rec);
	exposure_fill(d->expo, e, e->exposed, &rec->exposure);
	describe_exposure(rec, e->exposed);
}

/* Hands d->rec (filled from e) to the sinks, with its campaign when it has one and the
 * entry's evidence packets not sent before. */
void detect_emit_record(struct detect_engine *d, struct track_entry *e)
{
	if (d->rec.phase != DET_UPDATE) /* OPEN: the opening packets; CLOSE: the rest */
		ev_attach(d, e);
	campaign_note(d->camp, &d->rec, attribute_template(e), d->emit, d->ctx);
	d->emit(d->ctx, &d->rec);
}
