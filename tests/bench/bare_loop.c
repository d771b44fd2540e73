/* bare_loop.c — the benchmark's floor: read a capture with pcap_next_ex, touch one byte a packet.
 */

/*
 * Nothing can replay a capture faster than libpcap hands packets out, so this
 * loop is the yardstick scanwatch's replay rate is divided by. It does the
 * least a real reader must: take each packet and read one byte of it (so the
 * packet's cache line is really loaded, as any decoder would), folding the
 * bytes into a sum that is printed so the compiler cannot drop the loop.
 *
 * Usage: bare_loop [--buffer BYTES] FILE — prints "packets N sum S seconds T packets/s R".
 * Exit status 0, or 1 when the file cannot be read to its end.
 *
 * --buffer gives the FILE libpcap reads a stdio buffer of BYTES, as scanwatch gives a plain
 * capture file (capture_zip.c): without it glibc's is st_blksize (4 KiB here), a read(2)
 * for every 4 KiB. The benchmark times both, so that a ratio to the floor does not credit
 * scanwatch with what the floor itself could do.
 */

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t bufsize = 0;
	if (argc == 4 && strcmp(argv[1], "--buffer") == 0) {
		bufsize = strtoul(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: bare_loop [--buffer BYTES] FILE\n");
		return 2;
	}
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p;
	char *iobuf = NULL;
	if (bufsize) {
		FILE *f = fopen(argv[1], "rb");
		if (!f || !(iobuf = malloc(bufsize)) || setvbuf(f, iobuf, _IOFBF, bufsize) != 0) {
			fprintf(stderr, "bare_loop: %s: cannot open with a %zu-byte buffer\n",
			        argv[1], bufsize);
			return 1;
		}
		p = pcap_fopen_offline(f, errbuf);
	} else {
		p = pcap_open_offline(argv[1], errbuf);
	}
	if (!p) {
		fprintf(stderr, "bare_loop: %s\n", errbuf);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, sum = 0;
	int rc;
	double t0 = now_s();
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		if (h->caplen > 0)
			sum += data[h->caplen - 1]; /* the last byte, as a decoder reads last */
	}
	double secs = now_s() - t0;
	int status = 0;
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bare_loop: %s: %s\n", argv[1], pcap_geterr(p));
		status = 1;
	}
	pcap_close(p);
	free(iobuf);
	printf("packets %llu sum %llu seconds %.6f packets/s %.0f\n", (unsigned long long)packets,
	       (unsigned long long)sum, secs, secs > 0 ? (double)packets / secs : 0.0);
	return status;
}
