/* collect.c — `scanwatch collect`: a durable JetStream consumer of the sensors' records into one
 * central store, each record acknowledged once its row is committed. */
#include "scanwatch/collect.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanwatch/cli.h"
#include "scanwatch/net_nats.h"
#include "scanwatch/store.h"

/*
 * The subjects the sensors publish on (output_nats.c: scanwatch.<sensor>.detections); the
 * stream the collector makes when it does not exist yet holds them all.
 */
#define COLLECT_SUBJECTS "scanwatch.*.detections"
#define COLLECT_STREAM   "SCANWATCH"
#define COLLECT_DURABLE  "scanwatch-collect"
/* Records fetched at once: one transaction each batch, then the acks. */
#define COLLECT_BATCH 256
/* How long a fetch waits for records before it looks at the signals again. */
#define COLLECT_FETCH_MS 500
/* A record not acknowledged within this is delivered again (a collector that died between
 * commit and ack: the upsert makes the second delivery change nothing). */
#define COLLECT_ACK_WAIT_S 30
/* Unacknowledged records the server lets out at once: several batches. */
#define COLLECT_MAX_ACK_PENDING 4096
/* Pause after a failed fetch, stream or consumer call before trying again. */
#define COLLECT_RETRY_MS     250
#define COLLECT_REPLICAS_MAX 5

#define EXIT_USAGE 2

struct collect_opts {
	const char *url, *db, *stream, *durable;
	int replicas;
};

struct collect_counts {
	uint64_t received, stored, refused, acked, db_errors;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: scanwatch collect --nats URL --db CENTRAL.db [--stream NAME] [--durable "
	        "NAME]\n"
	        "                         [--replicas N]\n"
	        "\n"
	        "Consumes the records sensors publish to NATS JetStream (--nats on each sensor)\n"
	        "into one central database, until interrupted (SIGINT, SIGTERM).\n"
	        "\n"
	        "  --nats URL       nats://[USER:PASS@|TOKEN@]HOST[:PORT][?OPTIONS] (tls_ca=,\n"
	        "                   tls_cert=, tls_key=, tls=1, creds=)\n"
	        "  --db PATH        the central database (created if needed)\n"
	        "  --stream NAME    the JetStream stream (default %s; made with the subjects\n"
	        "                   %s when it does not exist)\n"
	        "  --durable NAME   the durable consumer's name (default %s): a restarted\n"
	        "                   collector goes on where it stopped\n"
	        "  --replicas N     replicas of a stream it makes (default 1; 3 in a cluster)\n",
	        COLLECT_STREAM, COLLECT_SUBJECTS, COLLECT_DURABLE);
}

static int parse_args(int argc, char **argv, struct collect_opts *o)
{
	enum { O_NATS = 256, O_DB, O_STREAM, O_DURABLE, O_REPLICAS };
	static const struct option longopts[] = {
	    {"nats", required_argument, NULL, O_NATS},
	    {"db", required_argument, NULL, O_DB},
	    {"stream", required_argument, NULL, O_STREAM},
	    {"durable", required_argument, NULL, O_DURABLE},
	    {"replicas", required_argument, NULL, O_REPLICAS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->stream = COLLECT_STREAM;
	o->durable = COLLECT_DURABLE;
	o->replicas = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_NATS:
			o->url = optarg;
			break;
		case O_DB:
			o->db = optarg;
			break;
		case O_STREAM:
			o->stream = optarg;
			break;
		case O_DURABLE:
			o->durable = optarg;
			break;
		case O_REPLICAS: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end != '\0' || end == optarg || v < 1 || v > COLLECT_REPLICAS_MAX) {
				fprintf(stderr, "scanwatch collect: --replicas must be 1 to %d\n",
				        COLLECT_REPLICAS_MAX);
				return -1;
			}
			o->replicas = (int)v;
			break;
		}
		default:
			return cli_help_or_usage_error(c, usage);
		}
	}
	if (o->url == NULL || o->db == NULL) {
		fprintf(stderr, "scanwatch collect: give --nats URL and --db PATH\n");
		usage(stderr);
		return -1;
	}
	/* Stream and consumer names: no '.', '*', '>' or blanks (NATS subject tokens). */
	if (strpbrk(o->stream, ".*> \t") != NULL || o->stream[0] == '\0' ||
	    strpbrk(o->durable, ".*> \t") != NULL || o->durable[0] == '\0') {
		fprintf(stderr,
		        "scanwatch collect: a stream or durable name holds no '.', '*', '>' "
		        "or blank\n");
		return -1;
	}
	return cli_no_operands("scanwatch collect", argc, argv, optind);
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	if (!stop_requested)
		nanosleep(&ts, NULL);
}

/* The stream exists, or is made: retried until it works or a signal stops us. */
static int ensure_stream(jsCtx *js, const struct collect_opts *o)
{
	const char *subjects[] = {COLLECT_SUBJECTS};
	bool said = false;

	while (!stop_requested) {
		jsStreamInfo *si = NULL;
		jsErrCode jerr = 0;
		natsStatus s = js_GetStreamInfo(&si, js, o->stream, NULL, &jerr);

		if (s == NATS_NOT_FOUND) {
			jsStreamConfig cfg;

			jsStreamConfig_Init(&cfg);
			cfg.Name = o->stream;
			cfg.Subjects = subjects;
			cfg.SubjectsLen = 1;
			cfg.Storage = js_FileStorage;
			cfg.Replicas = o->replicas;
			s = js_AddStream(&si, js, &cfg, NULL, &jerr);
		}
		jsStreamInfo_Destroy(si);
		if (s == NATS_OK)
			return 0;
		if (!said)
			fprintf(stderr, "scanwatch collect: stream %s: %s (%d); retrying\n",
			        o->stream, natsStatus_GetText(s), (int)jerr);
		said = true;
		pause_ms(COLLECT_RETRY_MS);
	}
	return -1;
}

static natsSubscription *subscribe(jsCtx *js, const struct collect_opts *o)
{
	bool said = false;

	while (!stop_requested) {
		natsSubscription *sub = NULL;
		jsSubOptions so;
		jsErrCode jerr = 0;
		natsStatus s;

		jsSubOptions_Init(&so);
		so.Stream = o->stream;
		so.Config.AckPolicy = js_AckExplicit;
		so.Config.AckWait = (int64_t)COLLECT_ACK_WAIT_S * 1000000000LL;
		so.Config.MaxAckPending = COLLECT_MAX_ACK_PENDING;
		so.Config.DeliverPolicy = js_DeliverAll;
		s = js_PullSubscribe(&sub, js, COLLECT_SUBJECTS, o->durable, NULL, &so, &jerr);
		if (s == NATS_OK)
			return sub;
		if (!said)
			fprintf(stderr, "scanwatch collect: consumer %s: %s (%d); retrying\n",
			        o->durable, natsStatus_GetText(s), (int)jerr);
		said = true;
		pause_ms(COLLECT_RETRY_MS);
	}
	return NULL;
}

/*
 * One fetched batch: every record stored in one transaction, then each acknowledged (a refused
 * record is terminated: it would never store). On a database error nothing is acknowledged;
 * the server delivers the batch again after COLLECT_ACK_WAIT_S.
 */
static void store_batch(struct store *st, natsMsgList *list, struct collect_counts *n)
{
	char why[256];
	bool *refused = calloc((size_t)list->Count, sizeof(*refused));

	if (refused == NULL || store_begin(st) < 0)
		goto dberr;
	for (int i = 0; i < list->Count; i++) {
		natsMsg *m = list->Msgs[i];
		int rc = store_ingest(st, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), why,
		                      sizeof why);

		n->received++;
		if (rc < 0) {
			store_rollback(st);
			goto dberr;
		}
		if (rc > 0) {
			if (n->refused++ == 0)
				fprintf(stderr, "scanwatch collect: a record refused (%s): %s\n",
				        natsMsg_GetSubject(m), why);
			refused[i] = true;
		}
	}
	if (store_commit(st) < 0)
		goto dberr;
	for (int i = 0; i < list->Count; i++) {
		natsStatus s = refused[i] ? natsMsg_Term(list->Msgs[i], NULL)
		                          : natsMsg_Ack(list->Msgs[i], NULL);

		if (!refused[i])
			n->stored++;
		if (s == NATS_OK)
			n->acked++;
	}
	free(refused);
	return;
dberr:
	if (n->db_errors++ == 0)
		fprintf(stderr, "scanwatch collect: %s\n",
		        refused ? store_error(st) : "out of memory");
	free(refused);
	pause_ms(COLLECT_RETRY_MS);
}

static void run_loop(struct store *st, natsSubscription *sub, struct collect_counts *n)
{
	while (!stop_requested) {
		natsMsgList list = {0};
		jsErrCode jerr = 0;
		natsStatus s =
		    natsSubscription_Fetch(&list, sub, COLLECT_BATCH, COLLECT_FETCH_MS, &jerr);

		if (s == NATS_OK && list.Count > 0)
			store_batch(st, &list, n);
		else if (s != NATS_OK && s != NATS_TIMEOUT)
			pause_ms(COLLECT_RETRY_MS);
		natsMsgList_Destroy(&list);
		/* campaign rows that have lagged their members a second (store_campaign.c) */
		if (store_tick(st) < 0 && n->db_errors++ == 0)
			fprintf(stderr, "scanwatch collect: %s\n", store_error(st));
	}
}

int collect_main(int argc, char **argv)
{
	struct collect_opts o;
	struct collect_counts n = {0};
	struct net_nats_conf conf;
	struct store *st = NULL;
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	natsSubscription *sub = NULL;
	jsCtx *js = NULL;
	jsOptions jso;
	struct sigaction sa;
	char err[512];
	natsStatus s;
	int status = 1;

	if (parse_args(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (net_nats_conf_parse(o.url, &conf, err, sizeof err) < 0 ||
	    net_nats_conf_files(&conf, err, sizeof err) < 0 ||
	    net_nats_resolve(&conf, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch collect: --nats %s: %s\n", o.url, err);
		return 78; /* EX_CONFIG, as the sensor's bad targets */
	}
	st = store_open(o.db, err, sizeof err);
	if (st == NULL) {
		fprintf(stderr, "scanwatch collect: %s\n", err);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	s = net_nats_options(&conf, "scanwatch-collect", &opts);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(opts, true, NULL, NULL);
	if (s == NATS_OK) {
		s = natsConnection_Connect(&nc, opts);
		if (s == NATS_NOT_YET_CONNECTED)
			s = NATS_OK;
	}
	if (s == NATS_OK) {
		jsOptions_Init(&jso);
		s = natsConnection_JetStream(&js, nc, &jso);
	}
	if (s != NATS_OK) {
		fprintf(stderr, "scanwatch collect: %s: %s\n", conf.label, natsStatus_GetText(s));
		goto out;
	}
	if (ensure_stream(js, &o) == 0 && (sub = subscribe(js, &o)) != NULL) {
		fprintf(stderr, "scanwatch collect: consuming %s (stream %s, durable %s) into %s\n",
		        conf.label, o.stream, o.durable, o.db);
		run_loop(st, sub, &n);
	}
	fprintf(stderr,
	        "scanwatch collect: %" PRIu64 " records received, %" PRIu64 " stored, %" PRIu64
	        " refused, %" PRIu64 " acknowledged, %" PRIu64 " database errors\n",
	        n.received, n.stored, n.refused, n.acked, n.db_errors);
	status = n.db_errors > 0 ? 1 : 0;
out:
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	if (nc != NULL) {
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	natsOptions_Destroy(opts);
	nats_CloseAndWait(2000);
	store_close(st);
	return status;
}
