/* test_readahead.c — the capture read on a thread of its own gives what capture_next gives:
 * every packet, its bytes, times, link type and file, in order, through a ring small enough
 * to wrap and fill; the same end (0, or -1 with the same message for a cut file); a stop
 * that hands over what was read, in order; a packet longer than half the ring cut there. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "scanwatch/capture.h"
#include "scanwatch/readahead.h"

#define NPKT 20000

static char dir[] = "/tmp/sw-readahead-XXXXXX";

/* A pcap file (microseconds, Ethernet) of n packets, packet i of len_of(i) bytes from
 * byte_of(i, j), at t0 + 1000 i µs; cut: the last record loses its last 10 bytes. */
static size_t len_of(uint64_t i)
{
	if (i == 777)
		return 20000; /* longer than half the smallest ring */
	return 14 + (size_t)((i * 2654435761u) % 1500);
}

static uint8_t byte_of(uint64_t i, size_t j)
{
	return (uint8_t)(i * 7 + j * 13 + (j >> 7));
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* the file's byte order is the writer's: the magic says which */
}

static void write_pcap(const char *path, uint64_t first, uint64_t n, uint32_t t0, int cut)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	put32(f, 0xa1b2c3d4);
	put32(f, 0x00040002);
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 1);
	static uint8_t buf[65536];
	for (uint64_t i = first; i < first + n; i++) {
		size_t len = len_of(i);
		for (size_t j = 0; j < len; j++)
			buf[j] = byte_of(i, j);
		put32(f, t0 + (uint32_t)(i / 1000));
		put32(f, (uint32_t)(i % 1000) * 1000);
		put32(f, (uint32_t)len);
		put32(f, (uint32_t)len + 4);
		fwrite(buf, 1, cut && i == first + n - 1 ? len - 10 : len, f);
	}
	fclose(f);
}

struct seen {
	uint32_t caplen, wirelen, sum;
	uint64_t ts_us;
	int dlt;
	unsigned source;
};

static uint32_t sum_of(const uint8_t *d, uint32_t n)
{
	uint32_t s = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		s = (s ^ d[i]) * 16777619u;
	return s;
}

/* Reads paths with capture_next (ra NULL) or through a reader with a ring of ring bytes;
 * stop_after > 0: asks the reader to stop after that many packets. Returns the end status. */
static int read_all(const char **paths, size_t n, size_t ring, uint64_t stop_after,
                    struct seen *out, uint64_t *got, char *err, size_t errlen)
{
	struct capture *c = capture_open_files(paths, n, err, errlen);
	CHECK(c != NULL);
	if (!c)
		return -2;
	struct readahead *ra = NULL;
	if (ring) {
		ra = readahead_start(c, ring, err, errlen);
		CHECK(ra != NULL);
	}
	struct capture_packet cp;
	int r;
	*got = 0;
	while ((r = ra ? readahead_next(ra, &cp, err, errlen)
	               : capture_next(c, &cp, err, errlen)) == 1) {
		if (*got < 2 * NPKT)
			out[*got] = (struct seen){cp.caplen, cp.wirelen, sum_of(cp.data, cp.caplen),
			                          cp.ts_us,  cp.dlt,     cp.source};
		(*got)++;
		if (ra && stop_after && *got == stop_after)
			readahead_stop_reading(ra);
	}
	struct readahead_stats st = {0};
	readahead_stop(ra, &st);
	if (ra)
		CHECK_EQ_U(st.packets, *got); /* a stop hands over all it read */
	capture_close(c);
	return r;
}

static struct seen a[2 * NPKT], b[2 * NPKT];

/* a and b agree on their first n packets, but for packet skip (the long one, cut) */
static void same(const char *what, uint64_t n, uint64_t skip)
{
	uint64_t bad = 0;
	for (uint64_t i = 0; i < n; i++)
		if (memcmp(&a[i], &b[i], sizeof a[i]) != 0 && i != skip)
			bad++;
	printf("%s: %llu packets, %llu differ\n", what, (unsigned long long)n,
	       (unsigned long long)bad);
	CHECK_EQ_U(bad, 0);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	char p1[64], p2[64], p3[64];
	snprintf(p1, sizeof p1, "%s/one.pcap", dir);
	snprintf(p2, sizeof p2, "%s/two.pcap", dir);
	snprintf(p3, sizeof p3, "%s/cut.pcap", dir);
	/* two files whose packets interleave in time: capture_next merges them */
	write_pcap(p1, 0, NPKT, 1700000000, 0);
	write_pcap(p2, NPKT, NPKT, 1700000000 - 20, 0);
	write_pcap(p3, 0, 1000, 1700000000, 1);
	char err1[1024] = "", err2[1024] = "";
	uint64_t n1, n2;

	const char *both[] = {p1, p2};
	int r1 = read_all(both, 2, 0, 0, a, &n1, err1, sizeof err1);
	int r2 = read_all(both, 2, 1, 0, b, &n2, err2, sizeof err2); /* the smallest ring */
	CHECK_EQ_U(r1, 0);
	CHECK_EQ_U(r2, 0);
	CHECK_EQ_U(n1, 2 * NPKT);
	CHECK_EQ_U(n2, n1);
	uint64_t big = UINT64_MAX; /* where the 20,000-byte packet is, in merged order */
	for (uint64_t i = 0; i < n1; i++)
		if (a[i].caplen == 20000)
			big = i;
	CHECK(big < n1);
	if (big >= n1)
		return 1;
	same("two files, smallest ring", n1, big);
	/* the 20,000-byte packet is cut at the ring's half: a prefix, its wire length kept */
	CHECK(b[big].caplen < 20000 && b[big].caplen > 7000);
	CHECK_EQ_U(b[big].wirelen, a[big].wirelen);
	r2 = read_all(both, 2, 4 << 20, 0, b, &n2, err2, sizeof err2); /* a large ring: whole */
	CHECK_EQ_U(n2, n1);
	same("two files, 4 MiB ring", n1, UINT64_MAX);

	/* a cut file: the same packets, the same end and message */
	const char *cut[] = {p3};
	r1 = read_all(cut, 1, 0, 0, a, &n1, err1, sizeof err1);
	r2 = read_all(cut, 1, 1, 0, b, &n2, err2, sizeof err2);
	CHECK_EQ_U(r1, (uint64_t)-1);
	CHECK_EQ_U(r2, (uint64_t)-1);
	CHECK_EQ_U(n2, n1);
	CHECK_STR(err2, err1);
	printf("cut file: %llu packets, then \"%s\"\n", (unsigned long long)n2, err2);
	same("cut file (the smallest ring: packet 777 cut)", n1, 777);

	/* a stop part-way: what was read comes in order, then the end */
	r1 = read_all(both, 2, 0, 0, a, &n1, err1, sizeof err1);
	r2 = read_all(both, 2, 1, 100, b, &n2, err2, sizeof err2);
	CHECK_EQ_U(r2, 0);
	CHECK(n2 >= 100 && n2 < n1);
	same("stopped after 100", n2, UINT64_MAX);

	unlink(p1);
	unlink(p2);
	unlink(p3);
	rmdir(dir);
	CHECK_DONE();
}
