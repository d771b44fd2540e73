/* capture.c — offline input: pcap and pcapng files through libpcap, merged in timestamp order. */
#include "scanwatch/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	uint64_t count; /* packets read from this file */
	uint64_t size;  /* file size (0: a pipe) */
};

struct capture {
	struct source *src;
	size_t n;
	uint64_t total;
	size_t last; /* source of the packet handed out last: advance it next */
	bool started;
};

static uint64_t tv_us(const struct timeval *tv)
{
	/* pcap timestamps are epoch seconds plus micros; negative or absurd seconds
	 * from a hostile file wrap to big numbers, which only reorders them */
	return (uint64_t)tv->tv_sec * 1000000ULL + (uint64_t)tv->tv_usec;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->src[i].p)
			pcap_close(c->src[i].p);
	free(c->src);
	free(c);
}

struct capture *capture_open_files(const char *const *paths, size_t n, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct capture *c = calloc(1, sizeof *c);
	if (!c || n == 0)
		goto fail_alloc;
	c->src = calloc(n, sizeof *c->src);
	if (!c->src)
		goto fail_alloc;
	c->n = n;
	int stdin_used = 0;
	for (size_t i = 0; i < n; i++) {
		struct source *s = &c->src[i];
		s->path = paths[i];
		if (strcmp(paths[i], "-") == 0 && stdin_used++) {
			snprintf(err, errlen, "-: standard input named more than once");
			goto fail;
		}
		ebuf[0] = 0;
		s->p = pcap_open_offline_with_tstamp_precision(paths[i],
		                                               PCAP_TSTAMP_PRECISION_MICRO, ebuf);
		if (!s->p) {
			snprintf(err, errlen, "%s: %s", paths[i], ebuf[0] ? ebuf : "cannot open");
			goto fail;
		}
		s->dlt = pcap_datalink(s->p);
		if (!decode_dlt_supported(s->dlt)) {
			const char *name = pcap_datalink_val_to_name(s->dlt);
			snprintf(
			    err, errlen,
			    "%s: link type %d (%s) is not supported (Ethernet, Linux SLL/SLL2, raw "
			    "IPv4/IPv6, NULL/LOOP are)",
			    paths[i], s->dlt, name ? name : "unknown");
			goto fail;
		}
		struct stat st;
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
			s->size = (uint64_t)st.st_size;
		c->total += s->size;
	}
	return c;
fail_alloc:
	snprintf(err, errlen, n == 0 ? "no capture file given" : "out of memory");
fail:
	capture_close(c);
	return NULL;
}

/* Loads the next packet of s; 0 on success or end, -1 on a read error. */
static int load(struct source *s, char *err, size_t errlen)
{
	int r = pcap_next_ex(s->p, &s->hdr, &s->data);
	if (r == 1) {
		s->have = true;
		s->count++;
		s->ts_us = tv_us(&s->hdr->ts);
		return 0;
	}
	s->have = false;
	s->ended = true;
	if (r == PCAP_ERROR_BREAK)
		return 0;
	FILE *f = pcap_file(s->p);
	long off = f ? ftell(f) : -1;
	if (off >= 0)
		snprintf(err, errlen, "%s: broken after packet %llu (byte %ld): %s", s->path,
		         (unsigned long long)s->count, off, pcap_geterr(s->p));
	else
		snprintf(err, errlen, "%s: broken after packet %llu: %s", s->path,
		         (unsigned long long)s->count, pcap_geterr(s->p));
	return -1;
}

int capture_next(struct capture *c, struct capture_packet *out, char *err, size_t errlen)
{
	if (!c->started) {
		c->started = true;
		for (size_t i = 0; i < c->n; i++)
			if (load(&c->src[i], err, errlen) < 0)
				return -1;
	} else {
		struct source *s = &c->src[c->last];
		if (!s->ended && load(s, err, errlen) < 0)
			return -1;
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
		return 0;
	struct source *s = &c->src[best];
	c->last = best;
	s->have = false;
	out->data = s->data;
	out->caplen = s->hdr->caplen;
	out->wirelen = s->hdr->len;
	out->ts_us = s->ts_us;
	out->dlt = s->dlt;
	out->source = (unsigned)best;
	return 1;
}

void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total)
{
	uint64_t d = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct source *s = &c->src[i];
		if (s->ended) {
			d += s->size;
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
