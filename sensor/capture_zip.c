/* capture_zip.c — gzip and zstd capture files decompressed on the fly into a stdio stream
 * (fopencookie) that libpcap reads as if it were the file. */
#include "scanwatch/capture_zip.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* Magic numbers: RFC 1952 section 2.3.1 (ID1 ID2), RFC 8878 section 3.1.1 (little-endian). */
static const unsigned char zip_gzip_magic[2] = {0x1f, 0x8b};
static const unsigned char zip_zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
#define ZIP_MAGIC_MAX 4

/*
 * Compressed bytes read from the file at a time, and the stdio buffer of the
 * decompressed stream libpcap reads through: large enough that a replay
 * makes few system calls and few decompressor calls per packet.
 */
#define ZIP_IN_SIZE   (128 * 1024)
#define ZIP_FILE_BUF  (64 * 1024)
#define ZIP_PLAIN_BUF (256 * 1024) /* a plain file's stdio buffer */

struct capture_zip {
	FILE *raw; /* the file (or stdin); closed with the stream unless it is stdin */
	enum capture_zip_kind kind;
	unsigned char *in; /* compressed input buffer, ZIP_IN_SIZE */
	size_t in_len, in_off;
	bool raw_eof;
	bool frame_open; /* inside a gzip member / zstd frame that has not ended yet */
	bool failed;
	z_stream zs;
	ZSTD_DCtx *zd;
	uint64_t consumed; /* bytes read from raw */
	uint64_t produced; /* bytes handed to the reader */
	/* the stream's first bytes, read by capture_zip_peek and handed to the reader first */
	unsigned char head[CAPTURE_ZIP_PEEK_MAX];
	size_t head_len, head_off;
	char err[128];
};

enum capture_zip_kind capture_zip_kind(const struct capture_zip *z)
{
	return z->kind;
}

const char *capture_zip_name(const struct capture_zip *z)
{
	switch (z->kind) {
	case CAPTURE_ZIP_GZIP:
		return "gzip";
	case CAPTURE_ZIP_ZSTD:
		return "zstd";
	default:
		return "";
	}
}

uint64_t capture_zip_consumed(const struct capture_zip *z)
{
	return z->consumed;
}

const char *capture_zip_error(const struct capture_zip *z)
{
	return z->err[0] ? z->err : NULL;
}

/* read(2) that retries when a signal interrupted it. */
static ssize_t zip_sysread(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * Refills the input buffer when it is empty; false at the end of the file or
 * on an error. read(2), not fread(): from a pipe it returns what has arrived,
 * so a capture written into a FIFO bit by bit is replayed as it comes.
 */
static bool zip_fill(struct capture_zip *z)
{
	ssize_t n;

	if (z->in_off < z->in_len)
		return true;
	if (z->raw_eof)
		return false;
	n = zip_sysread(fileno(z->raw), z->in, ZIP_IN_SIZE);
	z->in_len = n > 0 ? (size_t)n : 0;
	z->in_off = 0;
	if (n <= 0) {
		z->raw_eof = true;
		if (n < 0) {
			snprintf(z->err, sizeof z->err, "read error: %s", strerror(errno));
			z->failed = true;
		}
		return false;
	}
	z->consumed += (uint64_t)n;
	return true;
}

/* The end of the file: clean between members/frames, truncated inside one. */
static ssize_t zip_end(struct capture_zip *z)
{
	if (z->failed)
		return -1;
	if (z->frame_open) {
		snprintf(z->err, sizeof z->err, "%s: compressed data truncated",
		         capture_zip_name(z));
		z->failed = true;
		return -1;
	}
	return 0;
}

static ssize_t zip_read_gzip(struct capture_zip *z, char *buf, size_t size)
{
	z->zs.next_out = (Bytef *)buf;
	z->zs.avail_out = (uInt)size;
	while (z->zs.avail_out == size) {
		int r;

		if (!zip_fill(z))
			return zip_end(z);
		if (!z->frame_open) {
			/* another member after a complete one (gzip -c a b > c): start over */
			if (inflateReset(&z->zs) != Z_OK) {
				snprintf(z->err, sizeof z->err, "gzip: cannot reset the inflater");
				z->failed = true;
				return -1;
			}
			z->zs.next_out = (Bytef *)buf;
			z->zs.avail_out = (uInt)size;
			z->frame_open = true;
		}
		z->zs.next_in = z->in + z->in_off;
		z->zs.avail_in = (uInt)(z->in_len - z->in_off);
		r = inflate(&z->zs, Z_NO_FLUSH);
		z->in_off = z->in_len - z->zs.avail_in;
		if (r == Z_STREAM_END) {
			z->frame_open = false;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			snprintf(z->err, sizeof z->err, "gzip: %s",
			         z->zs.msg ? z->zs.msg : "corrupt data");
			z->failed = true;
			return -1;
		}
	}
	return (ssize_t)(size - z->zs.avail_out);
}

static ssize_t zip_read_zstd(struct capture_zip *z, char *buf, size_t size)
{
	ZSTD_outBuffer out = {buf, size, 0};

	while (out.pos == 0) {
		ZSTD_inBuffer in;
		size_t r;

		if (!zip_fill(z)) {
			/* the decoder may still hold output for input it already took */
			if (z->frame_open && !z->failed) {
				in = (ZSTD_inBuffer){z->in, 0, 0};
				r = ZSTD_decompressStream(z->zd, &out, &in);
				if (!ZSTD_isError(r))
					z->frame_open = r != 0;
				if (out.pos > 0)
					break;
			}
			return zip_end(z);
		}
		in = (ZSTD_inBuffer){z->in + z->in_off, z->in_len - z->in_off, 0};
		r = ZSTD_decompressStream(z->zd, &out, &in);
		z->in_off += in.pos;
		if (ZSTD_isError(r)) {
			snprintf(z->err, sizeof z->err, "zstd: %s", ZSTD_getErrorName(r));
			z->failed = true;
			return -1;
		}
		/* 0: a frame ended and everything it held was flushed */
		z->frame_open = r != 0;
	}
	return (ssize_t)out.pos;
}

/* Copies up to size bytes of src[*off, len) to buf, moving *off on; how many. */
static size_t take(char *buf, size_t size, const unsigned char *src, size_t *off, size_t len)
{
	size_t k = len - *off;
	if (k > size)
		k = size;
	memcpy(buf, src + *off, k);
	*off += k;
	return k;
}

/* The next decompressed (or piped) bytes, as read(2) gives them: what is there, at least one
 * byte, 0 at the end, -1 on an error. */
static ssize_t zip_read_stream(struct capture_zip *z, char *buf, size_t size)
{
	ssize_t n;

	if (z->failed)
		return -1;
	if (size == 0)
		return 0;
	if (z->kind == CAPTURE_ZIP_GZIP) {
		/* zlib counts in uInt */
		if (size > (size_t)UINT32_MAX)
			size = UINT32_MAX;
		n = zip_read_gzip(z, buf, size);
	} else if (z->kind == CAPTURE_ZIP_ZSTD) {
		n = zip_read_zstd(z, buf, size);
	} else {
		/* uncompressed from a pipe: the bytes read to look at the magic, then the rest */
		if (zip_fill(z)) {
			n = (ssize_t)take(buf, size, z->in, &z->in_off, z->in_len);
		} else {
			n = zip_end(z);
		}
	}
	return n;
}

static ssize_t zip_read(void *cookie, char *buf, size_t size)
{
	struct capture_zip *z = cookie;
	ssize_t n;

	if (z->head_off < z->head_len) { /* what capture_zip_peek looked at */
		n = (ssize_t)take(buf, size, z->head, &z->head_off, z->head_len);
	} else {
		n = zip_read_stream(z, buf, size);
	}
	if (n > 0)
		z->produced += (uint64_t)n;
	return n;
}

size_t capture_zip_peek(struct capture_zip *z, unsigned char *buf, size_t n)
{
	if (n > sizeof z->head)
		n = sizeof z->head;
	while (z->head_len < n) {
		ssize_t k = zip_read_stream(z, (char *)z->head + z->head_len, n - z->head_len);
		if (k <= 0)
			break;
		z->head_len += (size_t)k;
	}
	size_t have = z->head_len < n ? z->head_len : n;
	memcpy(buf, z->head, have);
	return have;
}

/* ftell() only: the position in the decompressed data, for "broken at byte N" messages. */
static int zip_seek(void *cookie, off64_t *off, int whence)
{
	struct capture_zip *z = cookie;

	if (whence != SEEK_CUR || *off != 0) {
		errno = ESPIPE;
		return -1;
	}
	*off = (off64_t)z->produced;
	return 0;
}

static void zip_free(struct capture_zip *z)
{
	if (!z)
		return;
	if (z->kind == CAPTURE_ZIP_GZIP)
		inflateEnd(&z->zs);
	ZSTD_freeDCtx(z->zd);
	if (z->raw && z->raw != stdin)
		fclose(z->raw);
	free(z->in);
	free(z);
}

static int zip_close(void *cookie)
{
	zip_free(cookie);
	return 0;
}

static enum capture_zip_kind zip_sniff(const unsigned char *m, size_t n)
{
	if (n >= sizeof zip_gzip_magic && memcmp(m, zip_gzip_magic, sizeof zip_gzip_magic) == 0)
		return CAPTURE_ZIP_GZIP;
	if (n >= sizeof zip_zstd_magic && memcmp(m, zip_zstd_magic, sizeof zip_zstd_magic) == 0)
		return CAPTURE_ZIP_ZSTD;
	return CAPTURE_ZIP_NONE;
}

/* Sets up the decompressor of z->kind; 0, or -1 when it cannot (memory). */
static int zip_start(struct capture_zip *z)
{
	if (z->kind == CAPTURE_ZIP_GZIP) {
		/* 15 + 32: any window size, gzip or zlib header detected by inflate itself */
		if (inflateInit2(&z->zs, 15 + 32) != Z_OK) {
			z->kind = CAPTURE_ZIP_NONE; /* nothing for zip_free to end */
			return -1;
		}
	} else {
		z->zd = ZSTD_createDCtx();
		if (!z->zd)
			return -1;
	}
	z->frame_open = true; /* a compressed file must hold at least one whole member/frame */
	return 0;
}

FILE *capture_zip_open(const char *path, struct capture_zip **zp, void **iobuf, char *err,
                       size_t errlen)
{
	static const cookie_io_functions_t io = {
	    .read = zip_read, .write = NULL, .seek = zip_seek, .close = zip_close};
	struct capture_zip *z = calloc(1, sizeof *z);
	unsigned char magic[ZIP_MAGIC_MAX];
	size_t n;
	FILE *f;

	*zp = NULL;
	*iobuf = NULL;
	if (z)
		z->in = malloc(ZIP_IN_SIZE);
	if (!z || !z->in) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	z->raw = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!z->raw) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/*
	 * The magic is read below stdio, so nothing sits in raw's buffer: a
	 * plain file is handed over rewound, a pipe is read on with read(2).
	 */
	for (n = 0; n < sizeof magic;) {
		ssize_t k = zip_sysread(fileno(z->raw), magic + n, sizeof magic - n);

		if (k < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	z->kind = zip_sniff(magic, n);
	if (z->kind == CAPTURE_ZIP_NONE && lseek(fileno(z->raw), 0, SEEK_SET) == 0) {
		/* A plain file libpcap can read directly: no copy through a cookie. stdio's
		 * buffer would be st_blksize (4 KiB here), a read(2) for every 4 KiB libpcap
		 * reads; a larger one is set before the stream's first use (C11 7.21.5.6), and
		 * glibc takes its size only with a buffer given. */
		if (z->raw != stdin && (*iobuf = malloc(ZIP_PLAIN_BUF)) != NULL)
			(void)setvbuf(z->raw, *iobuf, _IOFBF, ZIP_PLAIN_BUF);
		if (fseek(z->raw, 0, SEEK_SET) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		f = z->raw;
		z->raw = NULL;
		zip_free(z);
		return f;
	}
	/* The magic bytes were consumed (a pipe cannot seek back): they are the first input. */
	memcpy(z->in, magic, n);
	z->in_len = n;
	z->consumed = n;
	if (z->kind != CAPTURE_ZIP_NONE && zip_start(z) < 0) {
		snprintf(err, errlen, "%s: cannot start %s decompression (out of memory)", path,
		         capture_zip_name(z));
		goto fail;
	}
	f = fopencookie(z, "rb", io);
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	(void)setvbuf(f, NULL, _IOFBF, ZIP_FILE_BUF);
	*zp = z;
	return f;
fail:
	zip_free(z); /* closes the file first: then its buffer may go */
	free(*iobuf);
	*iobuf = NULL;
	return NULL;
}
