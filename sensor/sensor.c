/* sensor.c — brings inputs, store, sinks and pipeline up, runs the packet loop, handles signals. */
#include "scanwatch/sensor.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scanwatch/capture.h"
#include "scanwatch/defaults.h"
#include "scanwatch/emit.h"
#include "scanwatch/net.h"
#include "scanwatch/notify.h"
#include "scanwatch/output.h"
#include "scanwatch/pipeline.h"
#include "scanwatch/privs.h"
#include "scanwatch/readahead.h"
#include "scanwatch/sandbox.h"
#include "scanwatch/store.h"

#define EXIT_INPUT 1

/* Signals only set flags; the loop acts on them between packets (no work in handlers). */
static volatile sig_atomic_t sig_stop, sig_reload, sig_stats;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGHUP:
		sig_reload = 1;
		break;
	case SIGUSR1:
		sig_stats = 1;
		break;
	default:
		sig_stop = 1;
		break;
	}
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a signal wakes the capture's poll() at once */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static uint64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Everything one run holds; torn down in reverse order by sensor_run. */
struct sensor {
	const struct sensor_opts *o;
	struct sw_ruleset *rules;
	struct capture *cap;
	struct readahead *ra;         /* the capture's reader thread (NULL: read on the loop's) */
	bool reader;                  /* there is or was one: */
	struct readahead_stats ra_st; /* its counters when it stopped */
	struct store *store;
	struct store *stats_store; /* the main thread's own connection, for statistics */
	int64_t run_id;
	struct emit *emit;
	struct emit_sink sinks[SENSOR_MAX_OUTPUTS];
	size_t nsinks;
	struct pipeline *pl;
	uint64_t detections;
	char input[4096];
	char err[1024];
};

static void on_detection(void *ctx, const struct sw_detection *d)
{
	struct sensor *s = ctx;
	if (d->phase == DET_OPEN)
		s->detections++;
	emit_push(s->emit, d);
}

static void describe_input(struct sensor *s)
{
	const struct sensor_opts *o = s->o;
	size_t n = 0, cap = sizeof s->input;
	s->input[0] = 0;
	if (o->iface)
		n += (size_t)snprintf(s->input, cap, "live:%s", o->iface);
	for (size_t i = 0; i < o->ninputs && n < cap; i++)
		n += (size_t)snprintf(s->input + n, cap - n, "%s%s", i ? " " : "", o->inputs[i]);
	if (o->filter && n < cap)
		snprintf(s->input + n, cap - n, " [%s]", o->filter);
}

/* {"name":count,...} of the non-zero anomaly counters; names are plain identifiers. */
static void anomalies_json(const struct decode_stats *d, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "{");
	bool first = true;
	for (int a = 0; a < ANOM__COUNT && n < len; a++) {
		if (!d->anomalies[a])
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s\"%s\":%" PRIu64, first ? "" : ",",
		                      decode_anomaly_name((enum decode_anomaly)a), d->anomalies[a]);
		first = false;
	}
	if (n < len)
		snprintf(buf + n, len - n, "}");
}

static void evictions_json(const struct pipeline_stats *s, char *buf, size_t len)
{
	snprintf(buf, len,
	         "{\"flows_full\":%" PRIu64 ",\"flows_chain\":%" PRIu64 ",\"sources_full\":%" PRIu64
	         ",\"sources_chain\":%" PRIu64 ",\"open_detections\":%" PRIu64 "}",
	         s->classify.flows.evict_full, s->classify.flows.evict_chain,
	         s->detect.entries.evict_full, s->detect.entries.evict_chain,
	         s->detect.evicted_open);
}

static void progress(struct sensor *s, uint64_t packets, uint64_t t0)
{
	uint64_t done, total;
	if (s->ra)
		readahead_progress(s->ra, &done, &total);
	else
		capture_progress(s->cap, &done, &total);
	double el = (double)(mono_us() - t0) / 1e6;
	double pps = el > 0 ? (double)packets / el : 0;
	if (total > 0 && done > 0 && done <= total) {
		double left = el * (double)(total - done) / (double)done;
		fprintf(stderr, "\r%6.1f%%  %.1f of %.1f MB  %.0f packets/s  %.0f s left   ",
		        100.0 * (double)done / (double)total, (double)done / 1e6,
		        (double)total / 1e6, pps, left);
	} else {
		fprintf(stderr, "\r%" PRIu64 " packets  %.0f packets/s   ", packets, pps);
	}
}

/* Evidence packets a detection wanted and does not have: the arena's budget, a held
 * source's lost place, the writer queue's bound. */
static uint64_t evidence_lost(const struct pipeline_stats *ps, const struct emit_stats *es)
{
	return ps->evidence.not_kept + ps->evidence.held_lost + es->evidence_dropped;
}

/*
 * With more than one thread on the packet path, a line each: what it did and how often it
 * waited for the other. The side that waits less is the one that limits the rate.
 */
static void log_workers(struct sensor *s, const struct pipeline_stats *ps)
{
	unsigned n = ps->workers + (s->reader ? 1 : 0), i = 1;
	if (n < 2)
		return;
	if (s->reader) {
		if (s->ra)
			readahead_get_stats(s->ra, &s->ra_st);
		fprintf(stderr,
		        "scanwatch: worker %u of %u (capture reader): %.2f s CPU, %" PRIu64
		        " packets read, waited for room %" PRIu64 " times\n",
		        i++, n, (double)s->ra_st.cpu_us / 1e6, s->ra_st.packets,
		        s->ra_st.room_waits);
	}
	if (ps->workers < 2) {
		fprintf(
		    stderr,
		    "scanwatch: worker %u of %u (decode, classify, detection): %.2f s CPU, %" PRIu64
		    " packets, waited for packets %" PRIu64 " times\n",
		    i, n, (double)ps->cpu_us[0] / 1e6, ps->packets, s->ra_st.data_waits);
		return;
	}
	fprintf(stderr,
	        "scanwatch: worker %u of %u (%sdecode, classify): %.2f s CPU, %" PRIu64
	        " packets, %" PRIu64 " events handed on, waited for room %" PRIu64 " times\n",
	        i, n, s->reader ? "" : "capture, ", (double)ps->cpu_us[0] / 1e6, ps->packets,
	        ps->handoff.messages, ps->handoff.producer_waits);
	fprintf(stderr,
	        "scanwatch: worker %u of %u (detection): %.2f s CPU, %" PRIu64
	        " events, waited for events %" PRIu64 " times, most waiting %" PRIu64 "\n",
	        i + 1, n, (double)ps->cpu_us[1] / 1e6, ps->detect.events,
	        ps->handoff.consumer_waits, ps->handoff.max_depth);
}

/* A one-line account of the counters, for SIGUSR1, the stats interval and the end. */
static void log_stats(struct sensor *s, const char *why)
{
	struct pipeline_stats ps;
	struct emit_stats es;
	struct capture_kstats ks = {0};
	pipeline_get_stats(s->pl, &ps);
	emit_get_stats(s->emit, &es);
	bool live =
	    (s->ra ? readahead_kernel_stats(s->ra, &ks) : capture_kernel_stats(s->cap, &ks)) == 0;
	uint64_t anomalies = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		anomalies += ps.decode.anomalies[a];
	fprintf(stderr,
	        "scanwatch: stats (%s): %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
	        " anomalies, flows %u/%u, sources %u/%u, held %u/%u, evictions %" PRIu64
	        ", detections %" PRIu64 ", queue %u (max %u), records dropped %" PRIu64
	        ", store errors %" PRIu64,
	        why, ps.packets, ps.bytes, anomalies, ps.classify.flows.used,
	        ps.classify.flows.capacity, ps.detect.entries.used, ps.detect.entries.capacity,
	        ps.detect.held.used, ps.detect.held.capacity,
	        ps.classify.flows.evict_full + ps.classify.flows.evict_chain +
	            ps.detect.entries.evict_full + ps.detect.entries.evict_chain,
	        s->detections, es.depth, es.depth_max, es.dropped, es.store_errors);
	if (ps.detect.exact_sets || ps.detect.exact_denied)
		fprintf(stderr,
		        ", exact counts %" PRIu64 " KiB of %" PRIu64 " (%" PRIu64 " sets, %" PRIu64
		        " estimated)",
		        ps.detect.exact_bytes >> 10, ps.detect.exact_limit >> 10,
		        ps.detect.exact_sets, ps.detect.exact_denied);
	if (ps.evidence.limit)
		fprintf(stderr,
		        ", evidence %" PRIu64 " KiB of %" PRIu64 " (%" PRIu64
		        " packets kept, %" PRIu64 " not kept)",
		        ps.evidence.bytes >> 10, ps.evidence.limit >> 10, ps.evidence.kept,
		        evidence_lost(&ps, &es));
	if (ps.detect.expo_sets || ps.detect.expo_denied)
		fprintf(stderr,
		        ", exposure %" PRIu64 " KiB of %" PRIu64 " (%" PRIu64 " sets, %" PRIu64
		        " refused)",
		        ps.detect.expo_bytes >> 10, ps.detect.expo_limit >> 10, ps.detect.expo_sets,
		        ps.detect.expo_denied);
	if (live)
		fprintf(stderr, ", kernel drops %" PRIu64 ", interface drops %" PRIu64, ks.dropped,
		        ks.if_dropped);
	/* delivery to collectors: what waits for them and what was lost */
	for (size_t i = 0; i < s->nsinks; i++) {
		struct output_counters oc;
		if (output_get_counters(s->sinks[i].ops, s->sinks[i].state, &oc) == 0) {
			fprintf(stderr, "; %s sent %" PRIu64, s->sinks[i].ops->name, oc.sent);
			if (oc.has_acked) /* NATS JetStream: what the broker stored */
				fprintf(stderr, ", acked %" PRIu64, oc.acked);
			fprintf(stderr,
			        ", backlog %u (max %u), dropped %" PRIu64 ", reconnects %" PRIu64
			        "%s",
			        oc.backlog, oc.backlog_max, oc.dropped, oc.reconnects,
			        oc.connected ? "" : " (collector down)");
		}
	}
	fputc('\n', stderr);
	log_workers(s, &ps);
	notify_status("%" PRIu64 " packets, %" PRIu64 " detections, %" PRIu64 " kernel drops",
	              ps.packets, s->detections, ks.dropped);
	if (s->stats_store) {
		char anom[2048], evict[512];
		anomalies_json(&ps.decode, anom, sizeof anom);
		evictions_json(&ps, evict, sizeof evict);
		struct store_stats st = {
		    .at_us = wall_us(),
		    .packets = ps.packets,
		    .bytes = ps.bytes,
		    .kernel_drops = ks.dropped,
		    .if_drops = ks.if_dropped,
		    .anomalies_json = anom,
		    .flows_used = ps.classify.flows.used,
		    .flows_capacity = ps.classify.flows.capacity,
		    .entries_used = ps.detect.entries.used,
		    .entries_capacity = ps.detect.entries.capacity,
		    .evictions_json = evict,
		    .queue_depth = es.depth,
		    .queue_max = es.depth_max,
		    .records_dropped = es.dropped,
		    .store_errors = es.store_errors,
		    .evidence_kept = ps.evidence.kept,
		    .evidence_not_kept = evidence_lost(&ps, &es),
		    .evidence_bytes = ps.evidence.bytes,
		};
		if (store_write_stats(s->stats_store, s->run_id, &st) < 0)
			fprintf(stderr, "scanwatch: statistics not stored: %s\n",
			        store_error(s->stats_store));
	}
}

static void summary(struct sensor *s, double secs)
{
	struct pipeline_stats ps;
	struct emit_stats es;
	pipeline_get_stats(s->pl, &ps);
	emit_get_stats(s->emit, &es);
	uint64_t anomalies = 0;
	for (int a = 0; a < ANOM__COUNT; a++)
		anomalies += ps.decode.anomalies[a];
	uint64_t evictions = ps.classify.flows.evict_full + ps.classify.flows.evict_chain +
	                     ps.detect.entries.evict_full + ps.detect.entries.evict_chain;
	fprintf(stderr,
	        "scanwatch: %" PRIu64 " packets, %.1f MB in %.2f s (%.0f packets/s); %" PRIu64
	        " detection(s); %" PRIu64 " anomalies; %" PRIu64 " evictions",
	        ps.packets, (double)ps.bytes / 1e6, secs,
	        secs > 0 ? (double)ps.packets / secs : 0.0, s->detections, anomalies, evictions);
	if (es.store_errors || es.dropped || es.sink_errors)
		fprintf(stderr,
		        "; %" PRIu64 " store errors, %" PRIu64 " output errors, %" PRIu64
		        " records dropped",
		        es.store_errors, es.sink_errors, es.dropped);
	if (evidence_lost(&ps, &es))
		fprintf(stderr, "; %" PRIu64 " evidence packets not kept", evidence_lost(&ps, &es));
	fputc('\n', stderr);
	for (int a = 0; a < ANOM__COUNT; a++)
		if (ps.decode.anomalies[a])
			fprintf(stderr, "  anomaly %-32s %" PRIu64 "\n",
			        decode_anomaly_name((enum decode_anomaly)a),
			        ps.decode.anomalies[a]);
	/* Not anomalies: how the decoder read well-formed input (TSO lengths, tunnels ...). */
	for (int n = 0; n < NOTE__COUNT; n++)
		if (ps.decode.notes[n])
			fprintf(stderr, "  note    %-32s %" PRIu64 "\n",
			        decode_note_name((enum decode_note)n), ps.decode.notes[n]);
	/* a live run's last statistics line had them (log_stats) */
	if (!capture_is_live(s->cap))
		log_workers(s, &ps);
}

/* A handle on the database whose page cache is bounded to cache bytes, which *reserved
 * counts: they come off --memory-cap (defaults.h). NULL with s->err on failure. */
static struct store *open_store(struct sensor *s, const char *path, uint64_t cache,
                                uint64_t *reserved)
{
	struct store *st = store_open(path, s->err, sizeof s->err);
	if (st && store_set_cache(st, cache) < 0) {
		snprintf(s->err, sizeof s->err, "%s: %s", path, store_error(st));
		store_close(st);
		return NULL;
	}
	if (st)
		*reserved += cache;
	return st;
}

static int open_sinks(struct sensor *s)
{
	const struct sensor_opts *o = s->o;
	output_set_observer(
	    o->iface); /* ECS observer.ingress.interface, CEF deviceInboundInterface */
	for (size_t i = 0; i < o->noutputs; i++) {
		const struct output_ops *ops = output_lookup(o->outputs[i].type);
		if (!ops) {
			snprintf(s->err, sizeof s->err, "unknown output type '%s'",
			         o->outputs[i].type);
			return -1;
		}
		char err[512] = "";
		void *st = ops->open(o->outputs[i].target, err, sizeof err);
		if (!st) {
			snprintf(s->err, sizeof s->err, "%s output %s: %s", ops->name,
			         o->outputs[i].target, err);
			return -1;
		}
		s->sinks[s->nsinks].ops = ops;
		s->sinks[s->nsinks].state = st;
		s->nsinks++;
	}
	return 0;
}

/*
 * Everything opened by name at start is open (captures, database, outputs;
 * collectors' names resolved) and no thread runs yet: from here on the
 * process is confined, live and replay alike, since a hostile capture file is
 * as dangerous as hostile traffic. What it may still open: the rule and
 * configuration files (SIGHUP), the database's directory (SQLite's side
 * files, the checkpointer's connection), file outputs' directories (reopen
 * after rotation), and the pid file's directory to delete it at the end.
 */
/* Files one output may ask to keep readable (output_ops.confine_read). */
#define SENSOR_CONFINE_READ_MAX 4

static int confine(struct sensor *s)
{
	const struct sensor_opts *o = s->o;
	const char *write[SENSOR_MAX_OUTPUTS + 1];
	size_t nwrite = 0;

	if (o->no_sandbox)
		return 0;
	if (o->db)
		write[nwrite++] = o->db;
	for (size_t i = 0; i < o->noutputs; i++) {
		const char *t = o->outputs[i].target;
		if (t && strcmp(t, "-") != 0 && !net_is_url(t))
			write[nwrite++] = t;
	}
	/* Live: libpcap reads the interface's drop counters there for pcap_stats
	 * (pcap-linux.c, linux_get_stat: rx_missed_errors, rx_fifo_errors). */
	const char **read =
	    calloc(o->nrule_files + 1 + s->nsinks * SENSOR_CONFINE_READ_MAX, sizeof *read);
	char stats[128];
	size_t nread = 0;
	if (!read) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < o->nrule_files; i++)
		read[nread++] = o->rule_files[i];
	/* What outputs read after confinement (the NATS client's credentials, certificates). */
	for (size_t i = 0; i < s->nsinks; i++)
		if (s->sinks[i].ops->confine_read)
			nread += s->sinks[i].ops->confine_read(s->sinks[i].state, read + nread,
			                                       SENSOR_CONFINE_READ_MAX);
	if (o->iface) {
		snprintf(stats, sizeof stats, "/sys/class/net/%s/statistics", o->iface);
		if (access(stats, F_OK) == 0)
			read[nread++] = stats;
	}
	struct sandbox_paths sp = {
	    .read = read,
	    .nread = nread,
	    .write = write,
	    .nwrite = nwrite,
	    .remove = o->pidfile,
	};
	int rc = sandbox_enter(&sp, s->err, sizeof s->err);
	free(read);
	return rc;
}

static void reload(struct sensor *s, uint64_t packet_now)
{
	struct sw_ruleset *rs = NULL;
	char err[1024];
	notify_reloading();
	if (s->o->load_rules(s->o->load_rules_ctx, &rs, err, sizeof err) < 0) {
		/* the old rules stay in force */
		fprintf(stderr, "%s\nscanwatch: reload failed; the previous rules stay in force\n",
		        err);
		emit_reopen(s->emit);
		return;
	}
	if (pipeline_set_rules(s->pl, rs, packet_now) < 0) {
		fprintf(stderr, "scanwatch: reload failed: the new rule set cannot be used\n");
		rules_free(rs);
		emit_reopen(s->emit);
		notify_ready("reload failed: previous rules in force");
		return;
	}
	rules_free(s->rules);
	s->rules = rs;
	emit_reopen(s->emit);
	size_t enabled = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		enabled += rs->rules[i].enabled;
	fprintf(stderr, "scanwatch: reloaded %zu rules (%zu enabled) from %s\n", rs->nrules,
	        enabled, rs->origin ? rs->origin : "?");
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

/* The packet loop. Returns 0, or EXIT_INPUT when the input broke (err says how). */
static int loop(struct sensor *s)
{
	const struct sensor_opts *o = s->o;
	bool live = capture_is_live(s->cap);
	bool stream = !live && capture_may_wait(s->cap);
	bool tty = !live && isatty(STDERR_FILENO);
	uint64_t t0 = mono_us(), next_progress = t0 + 500000;
	uint64_t next_stats = o->stats_interval_us ? t0 + o->stats_interval_us : UINT64_MAX;
	uint64_t n = 0;
	struct capture_packet cp;
	int status = 0;

	for (;;) {
		int r = s->ra ? readahead_next(s->ra, &cp, s->err, sizeof s->err)
		              : capture_next(s->cap, &cp, s->err, sizeof s->err);
		if (r == 1) {
			pipeline_packet(s->pl, &cp);
			if (stream)
				pipeline_flush(
				    s->pl); /* the next packet may be a long time coming */
			n++;
			if (!live && tty && (n & 0xffff) == 0 && mono_us() >= next_progress) {
				progress(s, n, t0);
				next_progress = mono_us() + 500000;
			}
			/* live: look at the clock and the signals every 256 packets and when idle
			 */
			if ((!live || (n & 255) != 0) && !sig_stop && !sig_reload && !sig_stats)
				continue;
		} else if (r == 0) {
			break;
		} else if (r < 0) {
			status = EXIT_INPUT;
			break;
		}
		if (sig_stop) {
			if (!s->ra)
				break;
			/* the packets the reader has read are taken first, up to its end */
			readahead_stop_reading(s->ra);
			continue;
		}
		if (!live)
			continue;
		/*
		 * Packet time follows the wall clock while the wire is quiet, so
		 * detections close when traffic stops. It trails the clock by
		 * SW_LIVE_TICK_LAG_US so no packet still in the capture ring is
		 * older than the tick: live closes exactly when a replay would.
		 */
		uint64_t wall = wall_us();
		if (wall > SW_LIVE_TICK_LAG_US)
			pipeline_tick(s->pl, wall - SW_LIVE_TICK_LAG_US);
		if (sig_reload) {
			sig_reload = 0;
			reload(s, wall - SW_LIVE_TICK_LAG_US);
		}
		uint64_t now = mono_us();
		if (sig_stats || now >= next_stats) {
			log_stats(s, sig_stats ? "SIGUSR1" : "interval");
			sig_stats = 0;
			if (o->stats_interval_us)
				next_stats = now + o->stats_interval_us;
		}
	}
	if (tty && n > 0xffff)
		fprintf(stderr, "\r%*s\r", 72, "");
	if (status)
		fprintf(stderr, "scanwatch: %s\n", s->err);
	return status;
}

static int finish(struct sensor *s, int status)
{
	pipeline_finish(s->pl);
	/* everything pushed is written before the run row records the totals */
	emit_flush(s->emit);
	if (s->store) {
		struct pipeline_stats ps;
		struct emit_stats es;
		pipeline_get_stats(s->pl, &ps);
		emit_get_stats(s->emit, &es);
		char anom[2048], evict[512];
		anomalies_json(&ps.decode, anom, sizeof anom);
		evictions_json(&ps, evict, sizeof evict);
		struct store_run_end end = {
		    .ended_us = wall_us(),
		    .first_ts_us = ps.first_ts,
		    .last_ts_us = ps.last_ts,
		    .packets = ps.packets,
		    .bytes = ps.bytes,
		    .detections = s->detections,
		    .anomalies_json = anom,
		    .evictions_json = evict,
		    .store_errors = es.store_errors,
		    .records_dropped = es.dropped,
		    .output_errors = es.sink_errors,
		    .status = status,
		    .error = status ? s->err : NULL,
		};
		if (store_run_finish(s->store, s->run_id, &end) < 0) {
			fprintf(stderr, "scanwatch: %s: %s\n", s->o->db, store_error(s->store));
			if (!status)
				status = EXIT_INPUT;
		}
	}
	return status;
}

int sensor_run(const struct sensor_opts *o)
{
	struct sensor s;
	memset(&s, 0, sizeof s);
	s.o = o;
	int status = EXIT_INPUT;

	if (o->load_rules(o->load_rules_ctx, &s.rules, s.err, sizeof s.err) < 0) {
		fprintf(stderr, "%s\n", s.err);
		return RULES_EXIT_CONFIG;
	}
	describe_input(&s);
	if (o->iface) {
		struct capture_live_opts lo = {
		    .iface = o->iface,
		    .filter = o->filter,
		    .snaplen = o->snaplen,
		    .promisc = o->promisc,
		    .buffer_bytes = o->buffer_bytes,
		    .timeout_ms = 100,
		};
		s.cap = capture_open_live(&lo, s.err, sizeof s.err);
		/* the handle is active: nothing below needs privileges (tcpdump -Z) */
		if (s.cap && o->user && privs_drop(o->user, s.err, sizeof s.err) < 0)
			goto fail;
		if (s.cap && !o->user && !o->allow_root && geteuid() == 0) {
			snprintf(
			    s.err, sizeof s.err,
			    "refusing to capture as root: name an unprivileged user with -Z USER, "
			    "or run with only CAP_NET_RAW (or pass --allow-root)");
			goto fail;
		}
	} else {
		s.cap = capture_open_files(o->inputs, o->ninputs, s.err, sizeof s.err);
		if (s.cap && o->filter &&
		    capture_set_filter(s.cap, o->filter, s.err, sizeof s.err) < 0)
			goto fail;
	}
	if (!s.cap)
		goto fail;
	if (o->pidfile && write_pidfile(o->pidfile) < 0) {
		snprintf(s.err, sizeof s.err, "%s: %s", o->pidfile, strerror(errno));
		goto fail;
	}
	/* Before the store and the outputs: both carry the sensor's identity (issue 19). */
	if (output_set_identity(o->sensor_id, o->site_tags, o->nsite_tags, s.err, sizeof s.err) <
	    0) {
		fprintf(stderr, "scanwatch: %s\n", s.err);
		status = RULES_EXIT_CONFIG;
		goto out;
	}
	/* What comes off the cap before the tables (pipeline_config.reserved): the writer's
	 * queue and the database's page caches (defaults.h). */
	uint64_t reserved = 0;
	if (o->db) {
		uint64_t cache = o->memory_cap / SW_STORE_SHARE;
		if (cache > STORE_CACHE_BYTES)
			cache = STORE_CACHE_BYTES;
		s.store = open_store(&s, o->db, cache, &reserved);
		if (!s.store)
			goto fail;
		s.run_id = store_run_begin(s.store, s.input, s.rules->origin, wall_us());
		if (s.run_id >= 0) {
			size_t nt;
			const char *const *tags = output_site_tags(&nt);
			if (store_run_identify(s.store, s.run_id, output_sensor_id(), tags, nt,
			                       output_run_token()) < 0)
				s.run_id = -1;
		}
		if (s.run_id < 0) {
			snprintf(s.err, sizeof s.err, "%s: %s", o->db, store_error(s.store));
			goto fail;
		}
		if (capture_is_live(s.cap)) {
			s.stats_store = open_store(&s, o->db, SW_STORE_STATS_CACHE, &reserved);
			if (!s.stats_store)
				goto fail;
		}
	}
	if (open_sinks(&s) < 0) {
		/* A target that cannot be opened (a refused collector certificate, a file that
		 * cannot be created) is the configuration's fault: EX_CONFIG, as in main.c. */
		fprintf(stderr, "scanwatch: %s\n", s.err);
		status = RULES_EXIT_CONFIG;
		goto out;
	}
	if (confine(&s) < 0)
		goto fail;
	/* Live: the packet path never waits on a sink (full queue: counted drops).
	 * Replay: it waits instead, so forensics loses nothing. */
	struct emit_plan ep;
	emit_plan_for(o->memory_cap / SW_EMIT_SHARE, &ep);
	s.emit = emit_start(s.store, s.run_id, s.sinks, s.nsinks, ep.records, ep.evidence_bytes,
	                    !capture_is_live(s.cap));
	if (!s.emit) {
		snprintf(s.err, sizeof s.err, "cannot start the writer thread");
		goto fail;
	}
	unsigned pl_workers;
	s.reader = readahead_wanted(s.cap, o->workers, &pl_workers);
	struct pipeline_config pc = {
	    .rules = s.rules,
	    .memory_cap = o->memory_cap,
	    .reserved = reserved + ep.bytes,
	    .seed = o->seed,
	    /* Evidence packets are read only by the store (its evidence_pcapng table, for
	     * `scanwatch extract`); the outputs carry the reasons, not the packets. Without a
	     * database nothing would read them, so none are kept, and the tables get their share of
	     * the cap as with --no-evidence. */
	    .evidence = !o->no_evidence && s.store != NULL,
	    .workers = pl_workers,
	    .emit = on_detection,
	    .emit_ctx = &s,
	};
	s.pl = pipeline_create(&pc, s.err, sizeof s.err);
	if (!s.pl)
		goto fail;

	install_signals();
	if (o->iface) {
		fprintf(stderr, "scanwatch: listening on %s\n", o->iface);
		notify_ready("listening");
	}
	uint64_t t0 = mono_us();
	if (s.reader && !(s.ra = readahead_start(s.cap, SW_READAHEAD_RING, s.err, sizeof s.err)))
		goto fail;
	status = loop(&s);
	readahead_stop(s.ra, &s.ra_st);
	s.ra = NULL;
	if (o->iface)
		notify_stopping();
	status = finish(&s, status);
	if (capture_is_live(s.cap))
		log_stats(&s, "exit");
	summary(&s, (double)(mono_us() - t0) / 1e6);
	goto out;
fail:
	fprintf(stderr, "scanwatch: %s\n", s.err);
	status = EXIT_INPUT;
out:
	if (s.emit)
		emit_stop(s.emit);
	for (size_t i = 0; i < s.nsinks; i++)
		s.sinks[i].ops->close(s.sinks[i].state);
	pipeline_destroy(s.pl);
	capture_close(s.cap);
	store_close(s.stats_store);
	store_close(s.store);
	rules_free(s.rules);
	if (o->pidfile)
		unlink(o->pidfile);
	return status;
}
