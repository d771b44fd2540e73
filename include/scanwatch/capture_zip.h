/* capture_zip.h — capture files read through gzip or zstd decompression, as Wireshark reads them.
 */
#ifndef SCANWATCH_CAPTURE_ZIP_H
#define SCANWATCH_CAPTURE_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a capture file turned out to be, from its first bytes (never its name). */
enum capture_zip_kind {
	CAPTURE_ZIP_NONE = 0, /* not compressed: the file itself */
	CAPTURE_ZIP_GZIP,     /* RFC 1952 (one or more members, as `gzip -c a b` writes) */
	CAPTURE_ZIP_ZSTD,     /* RFC 8878 (one or more frames) */
};

/* One opened input; its bookkeeping lives as long as the FILE it returned. */
struct capture_zip;

/*
 * Opens path ("-" is standard input) for libpcap's pcap_fopen_offline(): a
 * stream of the decompressed bytes when the file starts with the gzip or
 * zstd magic, otherwise the file itself. *z is set for a stream this module
 * makes (a compressed file, or an uncompressed pipe whose first bytes it
 * had to read) and NULL for a plain file handed over as it is. The caller
 * owns the FILE and closes it with fclose() (libpcap's pcap_close() does);
 * that also frees *z, which must not be used afterwards. *iobuf is set to the
 * stdio buffer given to a plain file (NULL otherwise), which the caller frees
 * after that fclose(). NULL with "PATH: why" in err (and *iobuf NULL).
 */
FILE *capture_zip_open(const char *path, struct capture_zip **z, void **iobuf, char *err,
                       size_t errlen);

enum capture_zip_kind capture_zip_kind(const struct capture_zip *z);
/* "gzip", "zstd", or "" for an uncompressed file. */
const char *capture_zip_name(const struct capture_zip *z);
/* Bytes of the file read so far (compressed ones for a compressed file), for progress. */
uint64_t capture_zip_consumed(const struct capture_zip *z);
/*
 * The stream's first n bytes (at most CAPTURE_ZIP_PEEK_MAX), to tell what it holds, without
 * taking them from the reader: they are the first bytes it reads. Waits until they are there
 * or the stream ends; returns how many there are.
 */
#define CAPTURE_ZIP_PEEK_MAX 16
size_t capture_zip_peek(struct capture_zip *z, unsigned char *buf, size_t n);
/* Why decompression stopped ("gzip: invalid block type", "zstd: truncated"), or NULL. */
const char *capture_zip_error(const struct capture_zip *z);

#endif
