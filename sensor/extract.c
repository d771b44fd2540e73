/* extract.c — `scanwatch extract`: writes a stored detection's evidence packets as a pcap or
 * pcapng file, read through the store's read API only. */
#include "scanwatch/extract.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/addr.h"
#include "scanwatch/defaults.h"
#include "scanwatch/detection.h"
#include "scanwatch/evidence.h"
#include "scanwatch/store.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: scanwatch extract [--db PATH] --id N [-F pcap|pcapng] -w FILE|-\n"
	        "\n"
	        "Writes the evidence packets stored with detection N (the id `scanwatch query`\n"
	        "shows) as a pcap file that tcpdump and Wireshark read: the packets that\n"
	        "opened it and the last ones before it closed, with their capture times and\n"
	        "link type, each cut to %d bytes.\n"
	        "\n"
	        "  --db PATH    database (default %s)\n"
	        "  --id N       the detection\n"
	        "  -F FORMAT    pcap (default: one link type, the first packet's) or pcapng\n"
	        "               (every link type, nanosecond times, each packet's ordinal as\n"
	        "               its epb_packetid)\n"
	        "  -w FILE      the file to write (\"-\": standard output)\n",
	        EVIDENCE_SNAP, SW_DEFAULT_DB);
}

/* What the first walk learns, so the file's header fits every packet it holds. */
struct survey {
	uint64_t n;
	bool have_lt;
	int32_t linktype; /* the first packet's: a pcap file has one */
	bool nano;        /* some time has a fraction finer than a microsecond */
	uint32_t snap;    /* the largest caplen, at least EVIDENCE_SNAP */
};

static int survey_one(void *ctx, const struct evidence_view *k)
{
	struct survey *s = ctx;
	if (!s->have_lt) {
		s->have_lt = true;
		s->linktype = k->linktype;
	}
	if (k->ts_nsec % 1000)
		s->nano = true;
	if (k->caplen > s->snap)
		s->snap = k->caplen;
	s->n++;
	return 0;
}

struct writer {
	pcap_dumper_t *dump;
	const struct survey *sv;
	uint64_t written, other_lt, bad_time;
};

static int write_one(void *ctx, const struct evidence_view *k)
{
	struct writer *w = ctx;
	if (k->linktype != w->sv->linktype) {
		w->other_lt++; /* merged captures of two link types: one pcap holds one */
		return 0;
	}
	if (k->ts_sec < 0 || k->ts_sec > UINT32_MAX) {
		w->bad_time++; /* the pcap record header's seconds are 32 bits, unsigned */
		return 0;
	}
	/* A handle opened at nanosecond precision takes nanoseconds in tv_usec
	 * (pcap_open_dead_with_tstamp_precision(3PCAP)). */
	struct pcap_pkthdr h = {
	    .caplen = k->caplen,
	    .len = k->origlen,
	};
	h.ts.tv_sec = (time_t)k->ts_sec;
	h.ts.tv_usec = (suseconds_t)(w->sv->nano ? k->ts_nsec : k->ts_nsec / 1000);
	pcap_dump((u_char *)w->dump, &h, k->data);
	w->written++;
	return 0;
}

/* -F pcapng: the packets in pcapng sections (evidence_ng.h), written a section at a time. */
struct ng_writer {
	FILE *f;
	struct evidence_pack *pack;
	uint64_t written, refused;
	bool failed;
};

/* The NG_SECTION_PACKETS packets of a section: a detection's 72 fit one. */
#define NG_SECTION_PACKETS 1024

static void ng_flush(struct ng_writer *w)
{
	if (w->pack->len && fwrite(w->pack->ng, 1, w->pack->len, w->f) != w->pack->len)
		w->failed = true;
	evidence_pack_clear(w->pack);
}

static int write_one_ng(void *ctx, const struct evidence_view *k)
{
	struct ng_writer *w = ctx;
	bool put = evidence_pack_put(w->pack, k->ts_sec, k->ts_nsec, k->caplen, k->origlen,
	                             k->linktype, k->ordinal, k->data);
	if (!put && w->pack->n > 0) { /* no room, or no interface left: a new section */
		ng_flush(w);
		put = evidence_pack_put(w->pack, k->ts_sec, k->ts_nsec, k->caplen, k->origlen,
		                        k->linktype, k->ordinal, k->data);
	}
	if (put)
		w->written++;
	else
		w->refused++; /* longer than the snap, or a link type past 16 bits: not ours */
	return w->failed;
}

static int find_row(void *ctx, const struct store_row *row)
{
	*(struct store_row *)ctx = *row;
	return 1;
}

static int parse_id(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* What extract says it wrote: the detection, the count and where. */
static void say_written(int64_t id, const struct store_row *row, uint64_t n, const char *out)
{
	char src[ADDR_TEXT_MAX];
	fprintf(stderr,
	        "scanwatch extract: detection %" PRId64 " (%s from %s, rule %s): %" PRIu64
	        " packet(s) written to %s\n",
	        id, detection_kind_name((enum sw_kind)row->d.kind),
	        row->d.src_any ? "*" : addr_format(&row->d.src, src), row->d.rule_id, n,
	        strcmp(out, "-") == 0 ? "standard output" : out);
}

/* -F pcapng: every packet, of every link type; the exit status. */
static int extract_ng(struct store_reader *r, int64_t id, const struct store_row *row,
                      const char *out)
{
	char err[512];
	struct ng_writer w = {.pack = evidence_pack_new(NG_SECTION_PACKETS)};
	int st = 1;

	if (!w.pack) {
		fprintf(stderr, "scanwatch extract: out of memory\n");
		return 1;
	}
	w.pack->every_id = true;
	w.f = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
	if (!w.f) {
		fprintf(stderr, "scanwatch extract: %s: %s\n", out, strerror(errno));
		free(w.pack);
		return 1;
	}
	if (store_read_evidence(r, id, write_one_ng, &w, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch extract: %s\n", err);
		goto out;
	}
	ng_flush(&w);
	if (w.failed || fflush(w.f) != 0 || ferror(w.f)) {
		fprintf(stderr, "scanwatch extract: %s: write error\n", out);
		goto out;
	}
	say_written(id, row, w.written, out);
	if (w.refused)
		fprintf(stderr,
		        "scanwatch extract: %" PRIu64
		        " packet(s) longer than %d bytes or of a link type past 16 bits left out "
		        "(no build of the sensor stores one)\n",
		        w.refused, EVIDENCE_SNAP);
	st = 0;
out:
	if (w.f != stdout && fclose(w.f) != 0 && st == 0) {
		fprintf(stderr, "scanwatch extract: %s: write error\n", out);
		st = 1;
	}
	free(w.pack);
	return st;
}

int extract_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},    {"id", required_argument, NULL, 'n'},
	    {"write", required_argument, NULL, 'w'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *db = SW_DEFAULT_DB, *out = NULL;
	int64_t id = 0;
	bool ng = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "w:F:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n':
			if (parse_id(optarg, &id) < 0) {
				fprintf(stderr,
				        "scanwatch extract: --id: '%s' is not a detection id\n",
				        optarg);
				return 2;
			}
			break;
		case 'w':
			out = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "pcap") != 0 && strcmp(optarg, "pcapng") != 0) {
				fprintf(stderr,
				        "scanwatch extract: -F: '%s' is not pcap or pcapng\n",
				        optarg);
				return 2;
			}
			ng = strcmp(optarg, "pcapng") == 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !id || !out) {
		fprintf(stderr, "scanwatch extract: %s\n",
		        optind < argc ? "unexpected argument" : "--id and -w are required");
		usage(stderr);
		return 2;
	}

	char err[512];
	int st = 1;
	pcap_t *dead = NULL;
	pcap_dumper_t *dump = NULL;
	struct store_reader *r = store_read_open(db, err, sizeof err);
	if (!r) {
		fprintf(stderr, "scanwatch extract: %s\n", err);
		return 1;
	}
	struct store_row row;
	struct store_filter f = {.after_id = id - 1, .limit = 1, .order = STORE_ORDER_ID};
	int rc = store_read_detections(r, &f, find_row, &row, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "scanwatch extract: %s: %s\n", db, err);
		goto done;
	}
	if (rc == 0 || row.id != id) {
		fprintf(stderr, "scanwatch extract: %s: no detection %" PRId64 "\n", db, id);
		goto done;
	}
	struct survey sv = {.snap = EVIDENCE_SNAP};
	if (store_read_evidence(r, id, survey_one, &sv, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch extract: %s: %s\n", db, err);
		goto done;
	}
	/* the rows the survey could not read are those the second walk leaves out */
	const char *why = NULL;
	uint64_t skipped = store_read_skipped(r, &why);
	if (sv.n == 0 && skipped) {
		fprintf(stderr,
		        "scanwatch extract: %s: detection %" PRId64
		        " has no readable evidence packet: %" PRIu64
		        " unreadable row(s) skipped (%s)\n",
		        db, id, skipped, why ? why : "?");
		goto done;
	}
	if (sv.n == 0) {
		fprintf(stderr,
		        "scanwatch extract: %s: detection %" PRId64
		        " has no evidence packets (the sensor ran with --no-evidence, its memory "
		        "for them was spent, or the database predates them)\n",
		        db, id);
		goto done;
	}
	if (ng) {
		st = extract_ng(r, id, &row, out);
		if (st == 0 && skipped)
			fprintf(stderr,
			        "scanwatch extract: %" PRIu64 " unreadable row(s) skipped (%s)\n",
			        skipped, why ? why : "?");
		goto done;
	}
	dead = pcap_open_dead_with_tstamp_precision(sv.linktype, (int)sv.snap,
	                                            sv.nano ? PCAP_TSTAMP_PRECISION_NANO
	                                                    : PCAP_TSTAMP_PRECISION_MICRO);
	if (!dead) {
		fprintf(stderr, "scanwatch extract: out of memory\n");
		goto done;
	}
	dump = strcmp(out, "-") == 0 ? pcap_dump_fopen(dead, stdout) : pcap_dump_open(dead, out);
	if (!dump) {
		fprintf(stderr, "scanwatch extract: %s\n", pcap_geterr(dead));
		goto done;
	}
	struct writer w = {.dump = dump, .sv = &sv};
	if (store_read_evidence(r, id, write_one, &w, err, sizeof err) < 0) {
		fprintf(stderr, "scanwatch extract: %s: %s\n", db, err);
		goto done;
	}
	if (pcap_dump_flush(dump) < 0 || ferror(pcap_dump_file(dump))) {
		fprintf(stderr, "scanwatch extract: %s: write error\n", out);
		goto done;
	}
	say_written(id, &row, w.written, out);
	if (w.other_lt)
		fprintf(stderr,
		        "scanwatch extract: %" PRIu64
		        " packet(s) of another link type than the first left out (a pcap file "
		        "has one)\n",
		        w.other_lt);
	if (w.bad_time)
		fprintf(stderr,
		        "scanwatch extract: %" PRIu64
		        " packet(s) with a time pcap cannot hold (before 1970 or after 2106) left "
		        "out\n",
		        w.bad_time);
	if (skipped)
		fprintf(stderr, "scanwatch extract: %" PRIu64 " unreadable row(s) skipped (%s)\n",
		        skipped, why ? why : "?");
	st = 0;
done:
	if (dump) {
		if (strcmp(out, "-") == 0)
			pcap_dump_flush(dump); /* stdout is not ours to close */
		else
			pcap_dump_close(dump);
	}
	if (dead)
		pcap_close(dead);
	store_read_close(r);
	return st;
}
