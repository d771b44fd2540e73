/* capture.h — packet input: capture files merged in time order, or a live interface. */
#ifndef SCANWATCH_CAPTURE_H
#define SCANWATCH_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture;

/* One packet; data is valid until the next capture_next call. */
struct capture_packet {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;
	int64_t ts_sec;   /* the same time as the capture has it: seconds, */
	uint32_t ts_nsec; /* and nanoseconds (a microsecond capture's times 1000) */
	int dlt;
	unsigned source; /* index of the file it came from */
};

/*
 * Opens every file ("-" is standard input, at most once) as pcap or pcapng
 * with microsecond timestamps, decompressing gzip and zstd files (known by
 * their first bytes, capture_zip.h). Fails, with "FILE: what is wrong" in
 * err, on a file that cannot be opened or is not a capture, and when no file
 * has a link type the decoder handles. A file of a link type it does not
 * handle among others is left out: the others are read, and capture_next()
 * reports it at the end ("FILE: link type N (NAME, description) is not a
 * link type scanwatch reads ..."). The caller owns the result.
 */
struct capture *capture_open_files(const char *const *paths, size_t n, char *err, size_t errlen);
/*
 * The next packet: across all files in timestamp order (ties: file order), or
 * from the live interface. 1: a packet, in *out, valid until the next call;
 * 0: every file ended (never for live); -1: every file ended but some broke
 * ("FILE: broken after packet N (byte M): ...") or could not be read (the
 * link type, see capture_open_files), all of them named, "; "-separated — the
 * packets before a fault, and every other file's, were delivered — or the
 * interface failed; CAPTURE_IDLE (live only): no packet within the timeout,
 * or pcap_breakloop ran (a signal): the caller's turn to tick the clock and
 * check its flags, then call again.
 */
int capture_next(struct capture *c, struct capture_packet *out, char *err, size_t errlen);
/* Live capture settings (tcpdump's -i, -s, -p, -B, and the BPF expression). */
struct capture_live_opts {
	const char *iface;
	const char *filter; /* NULL: everything */
	int snaplen;        /* 0: 262144 */
	bool promisc;
	uint64_t buffer_bytes; /* kernel ring (TPACKET_V3 through libpcap); 0: the default */
	int timeout_ms;        /* block retire timeout: bounds the delay to see a packet */
};

/*
 * Opens and activates a live capture. Must run with CAP_NET_RAW; the caller
 * drops privileges right after. NULL with "IFACE: what is wrong" in err.
 */
struct capture *capture_open_live(const struct capture_live_opts *o, char *err, size_t errlen);
/* Applies a BPF expression to every input (live or files); 0 or -1 with err. */
int capture_set_filter(struct capture *c, const char *expr, char *err, size_t errlen);

/* Kernel counters of a live capture (pcap_stats); 0, or -1 for files. */
struct capture_kstats {
	uint64_t received, dropped, if_dropped;
};
int capture_kernel_stats(struct capture *c, struct capture_kstats *out);
/* True for a live capture (capture_next may then return CAPTURE_IDLE). */
bool capture_is_live(const struct capture *c);
/* True when the next packet may be long in coming: a live capture, or a file that is a pipe,
 * a FIFO or a terminal rather than a regular file (`tcpdump -w - | scanwatch -r -`). */
bool capture_may_wait(const struct capture *c);

/*
 * capture_next's result, for a live capture only, when its timeout_ms passed
 * without a packet or a signal broke the wait: not an error and not the end.
 */
#define CAPTURE_IDLE 2

/* Bytes read so far and total size of the regular files (0 when unknown). */
void capture_progress(const struct capture *c, uint64_t *done, uint64_t *total);
/* Closes every input and frees c; NULL is a no-op. */
void capture_close(struct capture *c);

#endif
