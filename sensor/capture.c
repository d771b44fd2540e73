/* capture.c — input: live interfaces, and pcap/pcapng files (gzip or zstd compressed too)
 * through libpcap, merged in timestamp order. */
#include "scanwatch/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanwatch/capture_foreign.h"
#include "scanwatch/capture_ng.h"
#include "scanwatch/capture_zip.h"
#include "scanwatch/decode.h"

struct source {
	pcap_t *p;
	const char *path;
	int dlt;
	bool have;  /* head packet is loaded */
	bool ended; /* no more packets */
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t ts_us;
	bool nano; /* the handle gives nanoseconds in tv_usec (files always; live when it can) */
	uint64_t count;          /* packets read from this file */
	uint64_t size;           /* file size (0: a pipe) */
	struct capture_zip *zip; /* the decompressing stream under p, NULL for a plain file */
	struct capture_foreign *foreign; /* snoop or Network Monitor rewritten as pcap, or NULL */
	void *iobuf; /* a plain file's stdio buffer (capture_zip_open), freed after its close */
};

struct capture {
	struct source *src;
	size_t n;
	bool live;
	bool stream;            /* a file that is not a regular one (a pipe, a FIFO, a terminal) */
	int timeout_ms;         /* live: longest wait for a packet before CAPTURE_IDLE */
	struct pcap_stat kprev; /* pcap_stats counters are 32-bit: accumulate differences */
	struct capture_kstats acc;
	uint64_t total;
	size_t last; /* source of the packet handed out last: advance it next */
	bool started;
	/* Files that broke or could not be read, "; "-separated: reported once the others are
	 * done. */
	char failed[1024];
};

/*
 * Handles are opened at nanosecond precision where libpcap offers it (every
 * file: it scales a microsecond file's times by 1000; live when the kernel
 * can), so evidence packets keep their capture's own time to the digit
 * (pcap-tstamp(7)). Events run on microseconds, tv_usec / 1000 as libpcap
 * itself would have truncated.
 */
static uint64_t tv_us(const struct source *s, const struct timeval *tv)
{
	/* pcap timestamps are epoch seconds plus a fraction; negative or absurd seconds
	 * from a hostile file wrap to big numbers, which only reorders them */
	uint64_t frac = (uint64_t)tv->tv_usec;
	return (uint64_t)tv->tv_sec * 1000000ULL + (s->nano ? frac / 1000 : frac);
}

/*
 * The header's time as seconds and nanoseconds, for evidence, and its lengths. A hostile file
 * can hold a fraction of a second or more (libpcap passes the record's field through), whose
 * whole seconds are carried into ts_sec so ts_nsec stays below 10^9 (a pcap record must have
 * one); and a captured length above the original length, which the pcap format forbids
 * (draft-ietf-opsawg-pcap section 5: the captured length is at most the original one): the
 * packet was at least as long as what was captured, so wirelen is raised to caplen, and a
 * record the sensor writes (extract) is valid again.
 */
static void hdr_out(const struct source *s, const struct pcap_pkthdr *h, struct capture_packet *out)
{
	uint64_t frac = (uint64_t)(uint32_t)h->ts.tv_usec * (s->nano ? 1 : 1000);
	out->ts_sec = (int64_t)((uint64_t)h->ts.tv_sec + frac / 1000000000u); /* wraps, as tv_us */
	out->ts_nsec = (uint32_t)(frac % 1000000000u);
	out->caplen = h->caplen;
	out->wirelen = h->len > h->caplen ? h->len : h->caplen;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->src[i].p)
			pcap_close(c->src[i].p);
		free(c->src[i].iobuf);
	}
	free(c->src);
	free(c);
}

/* Adds one file's failure to those reported at the end (the first ones, if there are many). */
static void note_failure(struct capture *c, const char *msg)
{
	static const char sep[] = "; ";
	size_t n = strlen(c->failed), cap = sizeof c->failed - 1, k;

	if (n && n + sizeof sep - 1 < cap) {
		memcpy(c->failed + n, sep, sizeof sep - 1);
		n += sizeof sep - 1;
	}
	k = strlen(msg);
	if (k > cap - n)
		k = cap - n; /* the first failures are kept whole, the last one may be cut */
	memcpy(c->failed + n, msg, k);
	c->failed[n + k] = '\0';
}

/* "link type 147 (USER0, User 0)": what a person can look up in pcap-linktype(7). */
static void link_type_text(int dlt, char *buf, size_t len)
{
	const char *name = pcap_datalink_val_to_name(dlt);
	const char *desc = pcap_datalink_val_to_description(dlt);

	if (name && desc)
		snprintf(buf, len, "link type %d (%s, %s)", dlt, name, desc);
	else
		snprintf(buf, len, "link type %d (%s)", dlt, name ? name : "unknown");
}

/*
 * Opens one file into s: decompressing when it is compressed; keep >= 0: only that link type
 * of a pcapng file (capture_ng.h). 0, or -1 with err.
 */
static int open_file(struct source *s, const char *path, int keep, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	FILE *f = capture_zip_open(path, &s->zip, &s->iobuf, err, errlen);

	if (!f)
		return -1;
	f = capture_foreign_open(f, s->zip, path, &s->foreign, err, errlen);
	if (!f) { /* closed, and the decompressor with it */
		s->zip = NULL;
		free(s->iobuf);
		s->iobuf = NULL;
		return -1;
	}
	if (keep >= 0) {
		FILE *g = capture_ng_filter(f, (uint16_t)keep);
		if (!g) {
			snprintf(err, errlen, "%s: out of memory", path);
			fclose(f);
			s->zip = NULL;
			free(s->iobuf);
			s->iobuf = NULL;
			return -1;
		}
		f = g;
	}
	/* One thread at a time reads a capture (the packet loop, or its reader: readahead.h,
	 * whose start and join order the two), so stdio need not lock the stream around each
	 * of libpcap's two reads a packet: once a second thread exists glibc otherwise does,
	 * which cost the bare read loop a quarter more time here. */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	s->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	s->nano = true;
	if (!s->p) {
		if (s->zip && capture_zip_error(s->zip))
			snprintf(err, errlen, "%s: %s", path, capture_zip_error(s->zip));
		else
			snprintf(err, errlen, "%s: %s%s%s", path,
			         s->zip && capture_zip_kind(s->zip) != CAPTURE_ZIP_NONE
			             ? capture_zip_name(s->zip)
			             : "",
			         s->zip && capture_zip_kind(s->zip) != CAPTURE_ZIP_NONE
			             ? " data is not a capture: "
			             : "",
			         ebuf[0] ? ebuf : "cannot open");
		/* libpcap leaves the stream to us when it fails; stdin is never closed */
		if (f != stdin)
			fclose(f);
		free(s->iobuf); /* NULL for stdin */
		s->iobuf = NULL;
		s->zip = NULL;
		s->foreign = NULL;
		return -1;
	}
	return 0;
}

/* A pipe or FIFO (or stdin from one) can go quiet for as long as its writer likes. */
static bool is_stream(const char *path)
{
	struct stat st;
	int r = strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &st) : stat(path, &st);
	return r != 0 || !S_ISREG(st.st_mode);
}

/*
 * Whether path is a pcapng file that describes more than one interface, which libpcap
 * may stop in (capture_ng.h says when): then *sv lists its link types, each read as a
 * stream of its own. A pipe or standard input cannot be read twice and is left to libpcap as
 * it is (the caller does not ask); so is a file that cannot be opened here (opening it again
 * says why).
 */
static bool must_split(const char *path, struct capture_ng_survey *sv)
{
	char err[256];
	struct capture_zip *z;
	void *iobuf;
	FILE *f = capture_zip_open(path, &z, &iobuf, err, sizeof err);

	if (!f)
		return false;
	int r = capture_ng_survey(f, z == NULL, sv);
	fclose(f);
	free(iobuf);
	if (r != 1)
		return false;
	/*
	 * A file that holds no packet block and describes no interface, or several, is a
	 * capture of nothing: libpcap refuses the first ("no Interface Description Blocks")
	 * and may stop at the second's second IDB (another link type or snapshot length), where
	 * Wireshark opens both, empty (a capture stopped before its first packet). Read through
	 * the filter as one Ethernet interface, it is an empty stream; a packet block of an
	 * interface never described stays libpcap's to refuse.
	 */
	if (!sv->packets && sv->ntypes == 0 && (sv->multi || sv->if_type < 0)) {
		sv->types[0] = 1; /* LINKTYPE_ETHERNET */
		sv->ntypes = 1;
		return true;
	}
	return sv->multi && sv->ntypes > 0;
}

struct capture *capture_open_files(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof *c);
	struct capture_ng_survey *sv = calloc(n ? n : 1, sizeof *sv);
	size_t readable = 0, nsrc = 0;
	if (!c || !sv || n == 0)
		goto fail_alloc;
	/* One source per file, or per link type of a file that must be split. */
	for (size_t i = 0; i < n; i++) {
		bool stream = is_stream(paths[i]);
		if (stream)
			c->stream = true;
		/* standard input cannot be read twice, even when it is a regular file */
		if (stream || strcmp(paths[i], "-") == 0 || !must_split(paths[i], &sv[i]))
			sv[i].ntypes = 0;
		nsrc += sv[i].ntypes ? sv[i].ntypes : 1;
	}
	c->src = calloc(nsrc, sizeof *c->src);
	if (!c->src)
		goto fail_alloc;
	c->n = nsrc;
	int stdin_used = 0;
	for (size_t k = 0; k < nsrc; k++) {
		struct source *s = &c->src[k];
		/* which file, and which of its link types, source k reads */
		size_t i = 0, part = k;
		while (part >= (sv[i].ntypes ? sv[i].ntypes : 1u)) {
			part -= sv[i].ntypes ? sv[i].ntypes : 1u;
			i++;
		}
		int keep = sv[i].ntypes ? sv[i].types[part] : -1;
		s->path = paths[i];
		if (strcmp(paths[i], "-") == 0 && stdin_used++) {
			snprintf(err, errlen, "-: standard input named more than once");
			goto fail;
		}
		if (open_file(s, paths[i], keep, err, errlen) < 0)
			goto fail;
		if (part == 0 && sv[i].more) {
			char msg[512];
			snprintf(msg, sizeof msg,
			         "%s: holds packets of more than %d link types; those of the "
			         "others are not read",
			         paths[i], CAPTURE_NG_MAX_TYPES);
			note_failure(c, msg);
		}
		s->dlt = pcap_datalink(s->p);
		if (!decode_dlt_supported(s->dlt)) {
			/*
			 * A capture of a link type the decoder cannot read: said
			 * in one line naming the type, and the other files of a
			 * multi-file replay are still read (it ends, empty).
			 */
			char lt[256], msg[512];
			link_type_text(s->dlt, lt, sizeof lt);
			snprintf(
			    msg, sizeof msg,
			    "%s: %s is not a link type scanwatch reads (scanwatch(8) lists them)",
			    paths[i], lt);
			note_failure(c, msg);
			pcap_close(s->p);
			s->p = NULL;
			free(s->iobuf);
			s->iobuf = NULL;
			s->zip = NULL;
			s->foreign = NULL;
			s->ended = true;
			continue;
		}
		readable++;
		struct stat st;
		/* A split file's size counts once, with its first stream (capture_progress). */
		if (part == 0 && strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			s->size = (uint64_t)st.st_size;
		c->total += s->size;
	}
	if (readable == 0) {
		snprintf(err, errlen, "%s", c->failed);
		goto fail;
	}
	free(sv);
	return c;
fail_alloc:
	snprintf(err, errlen, n == 0 ? "no capture file given" : "out of memory");
fail:
	free(sv);
	capture_close(c);
	return NULL;
}

struct capture *capture_open_live(const struct capture_live_opts *o, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = calloc(1, sizeof *c);
	if (c)
		c->src = calloc(1, sizeof *c->src);
	if (!c || !c->src) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->n = 1;
	c->live = true;
	struct source *s = &c->src[0];
	s->path = o->iface;
	s->p = pcap_create(o->iface, ebuf);
	if (!s->p) {
		snprintf(err, errlen, "%s: %s", o->iface, ebuf);
		goto fail;
	}
	/*
	 * Not immediate mode: with TPACKET_V3 the kernel hands over whole blocks,
	 * far fewer wake-ups at high rates; the timeout bounds how long a packet
	 * waits in a half-filled block (pcap_set_immediate_mode(3PCAP)).
	 */
	pcap_set_snaplen(s->p, o->snaplen > 0 ? o->snaplen : 262144);
	pcap_set_promisc(s->p, o->promisc);
	pcap_set_timeout(s->p, o->timeout_ms > 0 ? o->timeout_ms : 100);
	pcap_set_immediate_mode(s->p, 0);
	if (o->buffer_bytes)
		pcap_set_buffer_size(s->p, o->buffer_bytes > INT32_MAX ? INT32_MAX
		                                                       : (int)o->buffer_bytes);
	if (pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO) != 0)
		pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_MICRO);
	int r = pcap_activate(s->p);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s%s", o->iface, pcap_statustostr(r),
		         r == PCAP_ERROR_PERM_DENIED ? " (capturing needs CAP_NET_RAW)"
		         : r == PCAP_ERROR           ? ""
		                                     : "");
		if (r == PCAP_ERROR || r == PCAP_ERROR_NO_SUCH_DEVICE ||
		    r == PCAP_ERROR_PERM_DENIED) {
			const char *detail = pcap_geterr(s->p);
			if (detail && *detail) {
				size_t n = strlen(err);
				snprintf(err + n, errlen - n, ": %s", detail);
			}
		}
		goto fail;
	}
	s->nano = pcap_get_tstamp_precision(s->p) == PCAP_TSTAMP_PRECISION_NANO;
	if (r > 0) /* a warning, e.g. promiscuous mode not supported: say it, go on */
		fprintf(stderr, "scanwatch: %s: %s\n", o->iface, pcap_statustostr(r));
	s->dlt = pcap_datalink(s->p);
	if (!decode_dlt_supported(s->dlt)) {
		char lt[256];
		link_type_text(s->dlt, lt, sizeof lt);
		snprintf(err, errlen,
		         "%s: %s is not a link type scanwatch reads (scanwatch(8) lists them)",
		         o->iface, lt);
		goto fail;
	}
	if (o->filter && capture_set_filter(c, o->filter, err, errlen) < 0)
		goto fail;
	/*
	 * Non-blocking, and we poll() ourselves with the timeout: libpcap's own
	 * wait on a TPACKET_V3 ring retries after EINTR and never times out on a
	 * silent link, and the loop must see signals and tick the clock there.
	 */
	if (pcap_setnonblock(s->p, 1, ebuf) < 0 || pcap_get_selectable_fd(s->p) < 0) {
		snprintf(err, errlen, "%s: cannot make the capture non-blocking: %s", o->iface,
		         ebuf);
		goto fail;
	}
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 100;
	return c;
fail:
	capture_close(c);
	return NULL;
}

int capture_set_filter(struct capture *c, const char *expr, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		struct source *s = &c->src[i];
		struct bpf_program prog;
		if (!s->p)
			continue; /* a file of a link type not read: nothing to filter */
		if (pcap_compile(s->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			snprintf(err, errlen, "filter '%s': %s", expr, pcap_geterr(s->p));
			return -1;
		}
		int r = pcap_setfilter(s->p, &prog);
		pcap_freecode(&prog);
		if (r < 0) {
			snprintf(err, errlen, "%s: filter '%s': %s", s->path, expr,
			         pcap_geterr(s->p));
			return -1;
		}
	}
	return 0;
}

bool capture_is_live(const struct capture *c)
{
	return c->live;
}

bool capture_may_wait(const struct capture *c)
{
	return c->live || c->stream;
}

int capture_kernel_stats(struct capture *c, struct capture_kstats *out)
{
	if (!c->live)
		return -1;
	struct pcap_stat ps;
	if (pcap_stats(c->src[0].p, &ps) < 0)
		return -1;
	c->acc.received += (uint32_t)(ps.ps_recv - c->kprev.ps_recv);
	c->acc.dropped += (uint32_t)(ps.ps_drop - c->kprev.ps_drop);
	c->acc.if_dropped += (uint32_t)(ps.ps_ifdrop - c->kprev.ps_ifdrop);
	c->kprev = ps;
	*out = c->acc;
	return 0;
}

/* Loads the next packet of s; 0 on success or end, -1 on a read error. */
static int load(struct source *s, char *err, size_t errlen)
{
	int r = pcap_next_ex(s->p, &s->hdr, &s->data);
	if (r == 1) {
		s->have = true;
		s->count++;
		s->ts_us = tv_us(s, &s->hdr->ts);
		return 0;
	}
	s->have = false;
	s->ended = true;
	if (s->foreign) {
		char what[128];
		uint64_t n = capture_foreign_skipped(s->foreign, what, sizeof what);
		if (n) /* said, not lost silently: they are frames no decoder here takes */
			fprintf(stderr, "scanwatch: %s: %llu frame(s) not read: %s\n", s->path,
			        (unsigned long long)n, what);
		if (capture_foreign_error(s->foreign)) {
			snprintf(err, errlen, "%s: broken after packet %llu: %s: %s", s->path,
			         (unsigned long long)s->count, capture_foreign_name(s->foreign),
			         capture_foreign_error(s->foreign));
			return -1;
		}
	}
	if (r == PCAP_ERROR_BREAK)
		return 0;
	FILE *f = pcap_file(s->p);
	long off = f ? ftell(f) : -1;
	/* A compressed file's offset is in the decompressed data, and its decompressor may say
	 * more than libpcap's short read does. */
	const char *zerr = s->zip ? capture_zip_error(s->zip) : NULL;
	const char *unit = s->zip && capture_zip_kind(s->zip) != CAPTURE_ZIP_NONE
	                       ? " of the decompressed data"
	                       : "";
	if (off >= 0)
		snprintf(err, errlen, "%s: broken after packet %llu (byte %ld%s): %s", s->path,
		         (unsigned long long)s->count, off, unit, zerr ? zerr : pcap_geterr(s->p));
	else
		snprintf(err, errlen, "%s: broken after packet %llu: %s", s->path,
		         (unsigned long long)s->count, zerr ? zerr : pcap_geterr(s->p));
	return -1;
}

static int next_live(struct capture *c, struct capture_packet *out, char *err, size_t errlen)
{
	struct source *s = &c->src[0];
	int r = pcap_next_ex(s->p, &s->hdr, &s->data);
	if (r == 0) {
		/* nothing buffered: wait for the ring, a signal (EINTR) or the timeout */
		struct pollfd pfd = {.fd = pcap_get_selectable_fd(s->p), .events = POLLIN};
		(void)poll(&pfd, 1, c->timeout_ms);
		return CAPTURE_IDLE;
	}
	if (r == PCAP_ERROR_BREAK)
		return CAPTURE_IDLE;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", s->path, pcap_geterr(s->p));
		return -1;
	}
	s->count++;
	out->data = s->data;
	out->ts_us = tv_us(s, &s->hdr->ts);
	hdr_out(s, s->hdr, out);
	out->dlt = s->dlt;
	out->source = 0;
	return 1;
}

/* Loads the next packet of s; a breakage ends s and is kept if it is the first. */
static void load_or_note(struct capture *c, struct source *s)
{
	char msg[sizeof c->failed];
	if (load(s, msg, sizeof msg) < 0)
		note_failure(c, msg);
}

/* Hands out file `idx`'s loaded packet. */
static int deliver(struct source *s, unsigned idx, struct capture_packet *out)
{
	s->have = false;
	out->data = s->data;
	out->ts_us = s->ts_us;
	hdr_out(s, s->hdr, out);
	out->dlt = s->dlt;
	out->source = idx;
	return 1;
}

/* Every file is done: 0, or -1 with the first breakage kept for the end. */
static int ended(const struct capture *c, char *err, size_t errlen)
{
	if (c->failed[0]) {
		snprintf(err, errlen, "%s", c->failed);
		return -1;
	}
	return 0;
}

/*
 * One file, the usual replay: no merge. The same results as the general path
 * below (which would pick the only source every time) without its scan and
 * bookkeeping per packet.
 */
static int next_single(struct capture *c, struct capture_packet *out, char *err, size_t errlen)
{
	struct source *s = &c->src[0];

	if (!s->ended) {
		load_or_note(c, s);
		if (s->have)
			return deliver(s, 0, out);
	}
	return ended(c, err, errlen);
}

int capture_next(struct capture *c, struct capture_packet *out, char *err, size_t errlen)
{
	if (c->live)
		return next_live(c, out, err, errlen);
	if (c->n == 1)
		return next_single(c, out, err, errlen);
	/* A file that breaks ends there; the other files are still delivered in full and
	 * the first breakage is reported when everything else is done. */
	if (!c->started) {
		c->started = true;
		for (size_t i = 0; i < c->n; i++)
			if (!c->src[i].ended)
				load_or_note(c, &c->src[i]);
	} else if (!c->src[c->last].ended) {
		load_or_note(c, &c->src[c->last]);
	}
	/* Few files: a linear scan for the earliest head beats a heap. */
	size_t best = c->n;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->src[i].have)
			continue;
		if (best == c->n || c->src[i].ts_us < c->src[best].ts_us)
			best = i;
	}
	if (best == c->n)
		return ended(c, err, errlen);
	c->last = best;
	return deliver(&c->src[best], (unsigned)best, out);
}

void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total)
{
	uint64_t d = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct source *s = &c->src[i];
		if (s->ended) {
			d += s->size;
		} else if (s->zip && s->size) {
			d +=
			    capture_zip_consumed(s->zip); /* compressed bytes, as the size counts */
		} else if (s->p && s->size) {
			FILE *f = pcap_file(s->p);
			long off = f ? ftell(f) : -1;
			if (off > 0)
				d += (uint64_t)off;
		}
	}
	*done = d;
	*total = c->total;
}
