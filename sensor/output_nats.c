/* output_nats.c — the "nats" output: each record's ECS JSON published to NATS JetStream with
 * publish acknowledgements, from a bounded backlog resent until acknowledged (at-least-once). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/net_nats.h"
#include "scanwatch/output.h"

/*
 * How it works (issue 19). The emit writer thread calls write(), which renders the record with
 * the jsonl output's own writer (output_jsonl_render: the stream carries exactly the lines
 * --jsonl writes) and appends it to a bounded in-memory backlog; it never touches the network,
 * so neither the capture nor the writer ever waits on the broker. The output's own thread
 * (started on the first write or tick, that is after the sensor is confined: its threads and
 * the NATS client's inherit the sandbox) takes the oldest record and publishes it with
 * js_PublishMsg, a JetStream publish that returns the stream's acknowledgement (the record is
 * stored, on every replica the stream asks for, before the ack is sent: nats-server
 * server/stream.go processJetStreamMsg). Only an acknowledged record leaves the backlog; a
 * failed or timed-out publish is retried, after a reconnect too, with the same Nats-Msg-Id
 * header, so JetStream drops a copy it already holds (the stream's duplicate window, 2 minutes
 * by default: ADR-31 / nats-server server/stream.go checkMsgId). Delivery is at-least-once and
 * in order. In a live capture a full backlog drops its OLDEST record: every record is a full
 * snapshot of its detection, so the newer UPDATE or CLOSE of the same scan supersedes what is
 * lost. A replay (no capture interface) waits for room instead, up to linger= seconds a record.
 *
 * The NATS C client (cnats 3.4, Debian's libnats-dev) is created in the output's thread, not in
 * open(): nats_Open starts the library's timer and callback threads (src/nats.c), and every
 * thread must start after the sandbox is entered. The host is resolved in open(), before
 * confinement, and handed to the client as an address (no resolver files afterwards).
 */

/* How long one publish waits for its ack before it is retried (and the retry's pause). */
#define NATS_ACK_WAIT_MS 2000
#define NATS_RETRY_MS    100
/* Longest message id: sensor id, run token, seq, phase and time with dots. */
#define NATS_MSGID_MAX (OUTPUT_SENSOR_ID_MAX + 96)
/* NATS subjects: "scanwatch." + token + ".detections". */
#define NATS_SUBJECT_MAX (OUTPUT_SENSOR_ID_MAX + 32)

/* Outputs whose thread uses the client library now (the library is shut down with the last). */
static _Atomic int nats_users;

/* One record: its JSON and its message id. */
struct nats_rec {
	char *json;
	int len;
	char id[NATS_MSGID_MAX];
};

struct nats_out {
	struct net_nats_conf c; /* the URL, its files and the resolved server */
	char subject[NATS_SUBJECT_MAX];
	/* writer thread only */
	char line[OUTPUT_JSONL_LINE_MAX];
	char msg[OUTPUT_JSONL_LINE_MAX / 4];
	/* the backlog, oldest first: ring[(head + i) % cap] */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* records arrived, or close asks to stop */
	pthread_cond_t drained;
	pthread_cond_t space; /* a record left the backlog (acked): a waiting replay goes on */
	bool replay;          /* no capture interface: a full backlog waits instead of dropping */
	struct nats_rec *ring;
	uint32_t cap, head, count;
	bool started, stop;
	pthread_t thread;
	/* counters: any thread reads them (counters callback) */
	_Atomic uint64_t sent, acked, dups, dropped, reconnects, failures;
	_Atomic uint32_t backlog_max;
	_Atomic bool connected;
	uint64_t left_at_exit;
	_Atomic bool error_said; /* it said once why it could not set the client up */
};

static int nats_check(const char *url, char *err, size_t errlen)
{
	struct net_nats_conf c;

	return net_nats_conf_parse(url, &c, err, errlen) < 0 ? -1
	                                                     : net_nats_conf_files(&c, err, errlen);
}

/* --- the backlog ----------------------------------------------------------------------------- */

static void rec_free(struct nats_rec *r)
{
	free(r->json);
	r->json = NULL;
}

/* Appends r (taking its JSON); a full backlog drops its oldest. Under mu. */
static void backlog_push(struct nats_out *o, struct nats_rec *r)
{
	if (o->count == o->cap) {
		rec_free(&o->ring[o->head]);
		o->head = (o->head + 1) % o->cap;
		o->count--;
		atomic_fetch_add(&o->dropped, 1);
	}
	o->ring[(o->head + o->count) % o->cap] = *r;
	o->count++;
	if (o->count > atomic_load(&o->backlog_max))
		atomic_store(&o->backlog_max, o->count);
}

/* --- the client's callbacks (its own threads) --------------------------------------------------
 */

static void on_connected(natsConnection *nc, void *closure)
{
	struct nats_out *o = closure;

	(void)nc;
	atomic_store(&o->connected, true);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct nats_out *o = closure;

	(void)nc;
	atomic_store(&o->connected, false);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	struct nats_out *o = closure;

	(void)nc;
	atomic_store(&o->connected, true);
	atomic_fetch_add(&o->reconnects, 1);
	/* Wake the publisher: the records waiting go out now, not after its pause. */
	pthread_mutex_lock(&o->mu);
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
}

/* --- the publisher thread ----------------------------------------------------------------------
 */

static natsStatus client_options(struct nats_out *o, natsOptions **out)
{
	natsOptions *opts = NULL;
	natsStatus s = net_nats_options(&o->c, output_sensor_id(), &opts);

	/* Not there yet at start: keep trying in the background (the records wait). */
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, o);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(opts, on_disconnected, o);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(opts, on_reconnected, o);
	if (s != NATS_OK) {
		natsOptions_Destroy(opts);
		return s;
	}
	*out = opts;
	return NATS_OK;
}

/* One publish of r; true when JetStream acknowledged it. */
static bool publish_one(struct nats_out *o, jsCtx *js, const struct nats_rec *r)
{
	jsPubOptions po;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	natsStatus s;

	jsPubOptions_Init(&po);
	po.MsgId = r->id;
	po.MaxWait = NATS_ACK_WAIT_MS;
	s = natsMsg_Create(&m, o->subject, NULL, r->json, r->len);
	if (s != NATS_OK)
		return false;
	atomic_fetch_add(&o->sent, 1);
	s = js_PublishMsg(&pa, js, m, &po, &jerr);
	natsMsg_Destroy(m);
	if (s != NATS_OK) {
		atomic_fetch_add(&o->failures, 1);
		return false;
	}
	atomic_fetch_add(&o->acked, 1);
	if (pa->Duplicate)
		atomic_fetch_add(&o->dups, 1);
	jsPubAck_Destroy(pa);
	return true;
}

static void pause_ms(struct nats_out *o, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&o->mu);
	if (!o->stop)
		pthread_cond_timedwait(&o->cv, &o->mu, &until);
	pthread_mutex_unlock(&o->mu);
}

/* Publishes the backlog's oldest record until acked; returns when close() says stop. */
static void publish_loop(struct nats_out *o, jsCtx *js)
{
	struct nats_rec r = {0};
	size_t bufcap = 0;

	for (;;) {
		struct nats_rec *head;
		bool ok;

		pthread_mutex_lock(&o->mu);
		while (o->count == 0 && !o->stop) {
			pthread_cond_broadcast(&o->drained);
			pthread_cond_wait(&o->cv, &o->mu);
		}
		if (o->stop) {
			pthread_mutex_unlock(&o->mu);
			break;
		}
		/* A copy: the writer may drop this record (backlog full) while it is out. */
		head = &o->ring[o->head];
		if ((size_t)head->len + 1 > bufcap) {
			char *b = realloc(r.json, (size_t)head->len + 1);

			if (b == NULL) {
				pthread_mutex_unlock(&o->mu);
				pause_ms(o, NATS_RETRY_MS);
				continue;
			}
			r.json = b;
			bufcap = (size_t)head->len + 1;
		}
		memcpy(r.json, head->json, (size_t)head->len);
		r.len = head->len;
		memcpy(r.id, head->id, sizeof r.id);
		pthread_mutex_unlock(&o->mu);

		ok = publish_one(o, js, &r);
		pthread_mutex_lock(&o->mu);
		/* Still the head (not dropped meanwhile): it leaves the backlog now. */
		if (ok && o->count > 0 && strcmp(o->ring[o->head].id, r.id) == 0) {
			rec_free(&o->ring[o->head]);
			o->head = (o->head + 1) % o->cap;
			o->count--;
			pthread_cond_signal(&o->space);
		}
		pthread_mutex_unlock(&o->mu);
		if (!ok)
			pause_ms(o, NATS_RETRY_MS);
	}
	free(r.json);
}

static void *nats_thread(void *arg)
{
	struct nats_out *o = arg;
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	natsStatus s = client_options(o, &opts);

	if (s == NATS_OK) {
		s = natsConnection_Connect(&nc, opts);
		if (s == NATS_NOT_YET_CONNECTED)
			s = NATS_OK; /* RetryOnFailedConnect: it keeps trying in the background */
		else if (s == NATS_OK)
			atomic_store(&o->connected, true);
	}
	if (s == NATS_OK) {
		jsOptions_Init(&jso);
		jso.Wait = NATS_ACK_WAIT_MS;
		s = natsConnection_JetStream(&js, nc, &jso);
	}
	if (s != NATS_OK) {
		/* Said once; the records wait in the backlog (and are counted lost at close). */
		fprintf(stderr, "scanwatch: nats output %s: %s\n", o->c.label,
		        natsStatus_GetText(s));
		o->error_said = true;
		pthread_mutex_lock(&o->mu);
		while (!o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		pthread_mutex_unlock(&o->mu);
	} else {
		publish_loop(o, js);
	}
	jsCtx_Destroy(js);
	if (nc != NULL) {
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	natsOptions_Destroy(opts);
	return NULL;
}

/* On the writer thread (confined by now): the publisher starts with the first record or tick. */
static void ensure_started(struct nats_out *o)
{
	if (o->started)
		return;
	atomic_fetch_add(&nats_users, 1);
	if (pthread_create(&o->thread, NULL, nats_thread, o) != 0) {
		atomic_fetch_sub(&nats_users, 1);
		if (!o->error_said)
			fprintf(stderr, "scanwatch: nats output %s: cannot start its thread\n",
			        o->c.label);
		o->error_said = true;
		return;
	}
	o->started = true;
}

/* --- the output ------------------------------------------------------------------------------ */

static void *nats_open(const char *target, char *err, size_t errlen)
{
	struct nats_out *o = calloc(1, sizeof(*o));
	char token[OUTPUT_SENSOR_ID_MAX + 1];
	const char *id = output_sensor_id();
	size_t i;

	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (net_nats_conf_parse(target, &o->c, err, errlen) < 0 ||
	    net_nats_conf_files(&o->c, err, errlen) < 0 || net_nats_resolve(&o->c, err, errlen) < 0)
		goto fail;
	/* A subject token may not hold '.' (the separator); the sensor id's dots become '_'. */
	for (i = 0; id[i] != '\0' && i < OUTPUT_SENSOR_ID_MAX; i++)
		token[i] = id[i] == '.' ? '_' : id[i];
	token[i] = '\0';
	snprintf(o->subject, sizeof o->subject, "scanwatch.%s.detections", token);
	o->cap = o->c.backlog;
	o->ring = calloc(o->cap, sizeof(*o->ring));
	if (o->ring == NULL) {
		snprintf(err, errlen, "out of memory for a backlog of %u records", o->cap);
		goto fail;
	}
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	pthread_cond_init(&o->drained, NULL);
	pthread_cond_init(&o->space, NULL);
	o->replay = output_observer_interface() == NULL;
	(void)output_hostname(); /* resolved here, before the writer thread reads them */
	(void)output_run_token();
	return o;
fail:
	free(o);
	return NULL;
}

static int nats_write(void *state, const struct sw_detection *d)
{
	struct nats_out *o = state;
	struct nats_rec r;
	int n = output_jsonl_render(d, o->line, sizeof(o->line), o->msg, sizeof(o->msg));

	if (n < 0)
		return -1;
	/* The record's name for JetStream's de-duplication: which sensor, which run, which
	 * detection, which phase, and (UPDATE repeats) the time it is about. */
	snprintf(r.id, sizeof r.id, "%s.%s.%" PRIu64 ".%s.%" PRIu64, output_sensor_id(),
	         output_run_token(), d->seq, detection_phase_name((enum det_phase)d->phase),
	         output_event_time(d));
	r.len = n;
	r.json = malloc((size_t)n);
	if (r.json == NULL) {
		atomic_fetch_add(&o->dropped, 1);
		return -1;
	}
	memcpy(r.json, o->line, (size_t)n);
	ensure_started(o);
	pthread_mutex_lock(&o->mu);
	/* A replay never drops (DESIGN.md): with the backlog full it waits for the broker, as it
	 * waits for the disk, but not forever: after linger seconds without room the oldest
	 * record goes (counted), so a broker that never returns cannot hang the replay. A live
	 * capture never waits here. */
	if (o->replay && o->count == o->cap && o->started) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += o->c.linger_s;
		pthread_cond_signal(&o->cv);
		while (o->count == o->cap &&
		       pthread_cond_timedwait(&o->space, &o->mu, &until) != ETIMEDOUT)
			;
	}
	backlog_push(o, &r);
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	return 0;
}

static void nats_tick(void *state)
{
	ensure_started(state);
}

static void nats_counters(void *state, struct output_counters *out)
{
	struct nats_out *o = state;

	pthread_mutex_lock(&o->mu);
	out->backlog = o->count;
	pthread_mutex_unlock(&o->mu);
	out->sent = atomic_load(&o->sent);
	out->acked = atomic_load(&o->acked);
	out->has_acked = true;
	out->dropped = atomic_load(&o->dropped) + o->left_at_exit;
	out->reconnects = atomic_load(&o->reconnects);
	out->failures = atomic_load(&o->failures);
	out->backlog_max = atomic_load(&o->backlog_max);
	out->connected = atomic_load(&o->connected);
}

static size_t nats_confine_read(void *state, const char **out, size_t max)
{
	struct nats_out *o = state;
	const char *files[] = {o->c.tls_ca, o->c.tls_cert, o->c.tls_key, o->c.creds};
	size_t n = 0;

	for (size_t i = 0; i < sizeof files / sizeof files[0] && n < max; i++)
		if (files[i][0] != '\0')
			out[n++] = files[i];
	return n;
}

static void nats_close(void *state)
{
	struct nats_out *o = state;
	struct timespec until;
	uint32_t left;

	if (o == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += o->c.linger_s;
	pthread_mutex_lock(&o->mu);
	/* What is still unacknowledged gets linger seconds to reach the broker. */
	while (o->started && o->count > 0 && !atomic_load(&o->error_said) &&
	       pthread_cond_timedwait(&o->drained, &o->mu, &until) != ETIMEDOUT)
		;
	o->stop = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	if (o->started) {
		pthread_join(o->thread, NULL);
		/* The client library's own threads (timers, callbacks) end with the last output
		 * that used it: nothing of it outlives the outputs (src/nats.c,
		 * nats_CloseAndWait), and a second --nats still open keeps it. */
		if (atomic_fetch_sub(&nats_users, 1) == 1)
			nats_CloseAndWait(NATS_ACK_WAIT_MS);
	}
	left = o->count;
	o->left_at_exit = left;
	for (uint32_t i = 0; i < o->count; i++)
		rec_free(&o->ring[(o->head + i) % o->cap]);
	fprintf(stderr,
	        "scanwatch: nats %s: %" PRIu64 " records acknowledged (%" PRIu64
	        " duplicates) in %" PRIu64 " publishes, %" PRIu64
	        " dropped (%u still waiting at exit), %" PRIu64 " reconnects, %" PRIu64
	        " failed publishes, backlog max %u\n",
	        o->c.label, atomic_load(&o->acked), atomic_load(&o->dups), atomic_load(&o->sent),
	        atomic_load(&o->dropped) + left, left, atomic_load(&o->reconnects),
	        atomic_load(&o->failures), atomic_load(&o->backlog_max));
	pthread_cond_destroy(&o->drained);
	pthread_cond_destroy(&o->space);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o->ring);
	free(o);
}

const struct output_ops output_nats_ops = {
    .name = "nats",
    .targets = OUTPUT_TARGET_NATS,
    .check_url = nats_check,
    .open = nats_open,
    .write = nats_write,
    .flush = nats_tick,
    .reopen = NULL,
    .close = nats_close,
    .tick = nats_tick,
    .counters = nats_counters,
    .confine_read = nats_confine_read,
};
