/* bigmem.c — large zeroed blocks advised for transparent huge pages (bigmem.h). */
#include "scanwatch/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BIGMEM_HUGE ((uintptr_t)2 << 20) /* x86-64 and arm64 (4 KiB granule) PMD size */

void *bigmem_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = calloc(n, size);
	if (!p)
		return NULL;
	/* only the huge pages wholly inside the block: glibc mmaps a block this large on its
	 * own, page-aligned after a 16-byte header, so that is all of it but the two ends */
	uintptr_t lo = ((uintptr_t)p + BIGMEM_HUGE - 1) & ~(BIGMEM_HUGE - 1);
	uintptr_t hi = ((uintptr_t)p + n * size) & ~(BIGMEM_HUGE - 1);
#ifdef MADV_HUGEPAGE
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice: refusal is harmless */
#endif
	return p;
}
