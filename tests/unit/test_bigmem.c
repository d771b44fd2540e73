/* test_bigmem.c — large zeroed blocks: zeroed, overflow refused, huge-page advice where THP allows
 * it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scanwatch/bigmem.h"

/* The THP mode in brackets in /sys/kernel/mm/transparent_hugepage/enabled, or "" without THP. */
static void thp_mode(char *out, size_t len)
{
	out[0] = '\0';
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return;
	char line[128];
	if (fgets(line, sizeof line, f)) {
		char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
		if (a && b && (size_t)(b - a) < len) {
			memcpy(out, a + 1, (size_t)(b - a - 1));
			out[b - a - 1] = '\0';
		}
	}
	fclose(f);
}

/* THPeligible of the mapping holding addr, from /proc/self/smaps: 0, 1, or -1 unknown. */
static int thp_eligible(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	char line[512];
	bool inside = false;
	int r = -1;
	uintptr_t a = (uintptr_t)addr;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			inside = a >= lo && a < hi;
			continue;
		}
		int v;
		if (inside && sscanf(line, "THPeligible: %d", &v) == 1) {
			r = v;
			break;
		}
	}
	fclose(f);
	return r;
}

static void test_zeroed(void)
{
	unsigned char *p = bigmem_calloc(3, 5);
	CHECK(p != NULL);
	bool zero = true;
	for (int i = 0; p && i < 15; i++)
		zero = zero && p[i] == 0;
	CHECK(zero);
	free(p);
	/* a large block: zero at both ends and in the middle, and writable */
	size_t n = (size_t)9 << 20;
	unsigned char *q = bigmem_calloc(n, 1);
	CHECK(q != NULL);
	if (q) {
		CHECK(q[0] == 0 && q[n / 2] == 0 && q[n - 1] == 0);
		memset(q, 0xa5, n);
		CHECK(q[n - 1] == 0xa5);
	}
	free(q);
}

static void test_overflow(void)
{
	CHECK(bigmem_calloc(SIZE_MAX / 2 + 1, 2) == NULL);
	CHECK(bigmem_calloc(SIZE_MAX, SIZE_MAX) == NULL);
	CHECK(bigmem_calloc((size_t)1 << 62, 8) == NULL);
	void *z = bigmem_calloc(0, 16); /* calloc's own answer: NULL or a block to free */
	free(z);
}

static void test_huge_advice(void)
{
	char mode[32];
	thp_mode(mode, sizeof mode);
	if (strcmp(mode, "madvise") != 0 && strcmp(mode, "always") != 0) {
		printf("THP mode \"%s\": huge-page advice not checked\n", mode);
		return;
	}
	size_t n = (size_t)16 << 20;
	unsigned char *big = bigmem_calloc(n, 1);
	CHECK(big != NULL);
	if (!big)
		return;
	/* 8 MiB in is inside a wholly covered 2 MiB page: advised (or always eligible) */
	int e = thp_eligible(big + n / 2);
	CHECK_EQ_U(e, 1);
	if (strcmp(mode, "madvise") == 0) {
		/* the control: the same block from plain calloc is not eligible in madvise mode,
		 * so the check above sees bigmem's advice and not the kernel's default */
		unsigned char *plain = calloc(n, 1);
		CHECK(plain != NULL);
		if (plain)
			CHECK_EQ_U(thp_eligible(plain + n / 2), 0);
		free(plain);
	}
	free(big);
}

int main(void)
{
	test_zeroed();
	test_overflow();
	test_huge_advice();
	CHECK_DONE();
}
