/* capture.h — packet input: capture files merged in time order (and, later, live interfaces). */
#ifndef SCANWATCH_CAPTURE_H
#define SCANWATCH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct capture;

/* One packet; data is valid until the next capture_next call. */
struct capture_packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;
	int dlt;
	unsigned source; /* index of the file it came from */
};

/*
 * Opens every file ("-" is standard input, at most once) as pcap or pcapng
 * with microsecond timestamps. Fails, with "FILE: what is wrong" in err, on a
 * file that cannot be opened, is not a capture, or has a link type the
 * decoder does not handle. The caller owns the result.
 */
struct capture *capture_open_files(const char *const *paths, size_t n, char *err, size_t errlen);
/*
 * The next packet across all files in timestamp order (ties: file order).
 * 1: a packet; 0: every file ended; -1: a file broke ("FILE: truncated after
 * packet N (byte M): ...") — the packets before the fault were delivered.
 */
int capture_next(struct capture *c, struct capture_packet *out, char *err, size_t errlen);
/* Bytes read so far and total size of the regular files (0 when unknown). */
void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);
void capture_close(struct capture *c);

#endif
