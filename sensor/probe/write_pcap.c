/* write_pcap.c — scanprobe's buffered pcap writer (classic libpcap format, Ethernet, microseconds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scanwatch/probe.h"

/* Output buffer: 4 MiB keeps a 5M-packet capture to a few hundred write(2) calls. */
#define WRITE_PCAP_BUF (4u << 20)
/* Snapshot length written into the header; frames are never longer than BUILD_MAX + 14. */
#define WRITE_PCAP_SNAPLEN 65535
#define DLT_EN10MB_VALUE   1

struct write_pcap {
	FILE *f;
	uint8_t *buf;
	size_t used;
	bool failed;
};

/* pcap headers are written in host byte order; readers detect it from the magic. We write
 * little-endian explicitly so the same seed gives the same bytes on every machine. */
static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void drain(struct write_pcap *w)
{
	if (w->used && fwrite(w->buf, 1, w->used, w->f) != w->used)
		w->failed = true;
	w->used = 0;
}

struct write_pcap *write_pcap_open(const char *path)
{
	struct write_pcap *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->buf = malloc(WRITE_PCAP_BUF);
	if (!w->buf)
		goto fail;
	w->f = fopen(path, "wb");
	if (!w->f)
		goto fail;
	setvbuf(w->f, NULL, _IONBF, 0); /* we buffer ourselves */
	/* pcap file header: magic, version 2.4, thiszone, sigfigs, snaplen, linktype. */
	uint8_t *h = w->buf;
	le32(h, 0xa1b2c3d4);
	le16(h + 4, 2);
	le16(h + 6, 4);
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, WRITE_PCAP_SNAPLEN);
	le32(h + 20, DLT_EN10MB_VALUE);
	w->used = 24;
	return w;
fail : {
	int e = errno;
	free(w->buf);
	free(w);
	errno = e;
	return NULL;
}
}

int write_pcap_frame(struct write_pcap *w, uint64_t usec, const uint8_t *frame, size_t len)
{
	if (len > WRITE_PCAP_SNAPLEN)
		return -1;
	if (WRITE_PCAP_BUF - w->used < 16 + len)
		drain(w);
	uint8_t *h = w->buf + w->used;
	le32(h, (uint32_t)(usec / 1000000));
	le32(h + 4, (uint32_t)(usec % 1000000));
	le32(h + 8, (uint32_t)len);
	le32(h + 12, (uint32_t)len);
	memcpy(h + 16, frame, len);
	w->used += 16 + len;
	return w->failed ? -1 : 0;
}

int write_pcap_close(struct write_pcap *w)
{
	if (!w)
		return -1;
	drain(w);
	bool bad = w->failed;
	if (fclose(w->f) != 0)
		bad = true;
	free(w->buf);
	free(w);
	return bad ? -1 : 0;
}
