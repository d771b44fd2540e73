/* readahead.h — the capture read on a thread of its own, ahead of the packet loop. */
#ifndef SCANWATCH_READAHEAD_H
#define SCANWATCH_READAHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanwatch/capture.h"

/*
 * Reading a capture (libpcap's record reads and copies, decompression, the
 * kernel ring of a live capture) is about a fifth of what one packet costs
 * the sensor (capture A: the bare libpcap loop takes 0.08-0.10 s of one
 * worker's 0.42 s a million packets; decompression takes more). A reader
 * thread takes it off the packet loop: it calls
 * capture_next and copies each packet, with its header, into a byte ring
 * (handoff.h); the packet loop takes them from there with readahead_next,
 * which keeps capture_next's contract, and runs the rest on its own thread,
 * exactly as without the reader, so the records are the same by construction.
 *
 * From readahead_start to readahead_stop the capture belongs to the reader:
 * the loop asks through the functions here for what it would have asked the
 * capture (progress, kernel counters).
 */
struct readahead;

/*
 * How a run's workers are shared out: true when c is to be read on a reader thread (three
 * workers or more, and an input that never waits long: a file, or a live capture whose
 * timeout brings the reader back; a pipe or a FIFO could keep it, and a stop, waiting for
 * ever), with *pipeline_workers the rest for the pipeline.
 *
 * Two workers go to the pipeline's own cut (pipeline.c): the packet thread reads, decodes
 * and classifies, the detection thread runs the rules. It was the other way round, the
 * reader first, while the rules' ring cost more than it saved; measured again on the
 * benchmark's quick captures (1M packets, 11 interleaved runs, medians, 2026-12-07), two
 * workers ran at 1.15x one worker on A, 1.34x on B and 1.15x on C with the reader, and at
 * 1.28x, 1.80x and 1.32x with the detection thread: the two halves are now about even
 * (perf: 49% and 51% of the samples on A), where the reader only ever takes the fifth
 * that reading costs. A third worker reads the capture as well.
 *
 * What workers is when nobody asked (main.c, default_workers): the cores this process may
 * run on, for files as for live captures. An explicit count is obeyed.
 */
bool readahead_wanted(const struct capture *c, unsigned workers, unsigned *pipeline_workers);
/* Starts reading c into a ring of at least ring_bytes (at least twice the largest packet c
 * can give: its snap length). NULL with a message in err. */
struct readahead *readahead_start(struct capture *c, size_t ring_bytes, char *err, size_t errlen);
/* capture_next's contract: 1 a packet in *out (valid until the next call), 0 the end, -1 the
 * end with what broke in err, CAPTURE_IDLE a live capture's timeout. */
int readahead_next(struct readahead *ra, struct capture_packet *out, char *err, size_t errlen);
/* capture_progress as of the packets read so far. */
void readahead_progress(struct readahead *ra, uint64_t *done, uint64_t *total);
/* capture_kernel_stats, taken by the reader between two packets (a live capture's reader
 * comes back at least every timeout_ms); 0, or -1 for files. */
int readahead_kernel_stats(struct readahead *ra, struct capture_kstats *out);

struct readahead_stats {
	uint64_t packets;    /* read and handed on */
	uint64_t room_waits; /* the ring was full: the packet loop is the slower side */
	uint64_t data_waits; /* the ring was empty: the reader is the slower side */
	uint64_t cpu_us;     /* the reader thread's CPU time (0: unknown) */
};
void readahead_get_stats(struct readahead *ra, struct readahead_stats *out);
/* Asks the reader to stop reading, after the packet or timeout it is waiting for:
 * readahead_next then gives what it read before, and the end (0). */
void readahead_stop_reading(struct readahead *ra);
/* Stops the reader if it has not stopped and frees ra; the capture is the caller's again.
 * Packets read and not taken by then are dropped, as a stop leaves those in a live
 * capture's kernel ring (the sensor takes them first: readahead_stop_reading). *last
 * (when not NULL) gets the final counters. NULL is a no-op. */
void readahead_stop(struct readahead *ra, struct readahead_stats *last);

#endif
