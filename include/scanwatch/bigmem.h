/* bigmem.h — the state tables' large blocks: zeroed, reserved up front, backed by huge pages. */
#ifndef SCANWATCH_BIGMEM_H
#define SCANWATCH_BIGMEM_H

#include <stddef.h>

/*
 * calloc(n, size) for a block the packet path reaches at random (hash tables' entries and
 * buckets, the evidence arena, large distinct-count sets), advised for transparent huge pages
 * (madvise(MADV_HUGEPAGE), Linux's "madvise" THP mode, Debian's default) when it spans at
 * least one 2 MiB page. A table of a few hundred MB in 4 KiB pages misses the TLB on almost
 * every lookup; in 2 MiB pages its page-table walk stays in the cache. Pages are still backed
 * only when first touched, 2 MiB at a time, so the footprint stays what is used (rounded up to
 * a huge page) and never exceeds the block: the memory cap bounds it as before. Freed with
 * free(). NULL when out of memory or when n * size overflows.
 */
void *bigmem_calloc(size_t n, size_t size);

#endif
