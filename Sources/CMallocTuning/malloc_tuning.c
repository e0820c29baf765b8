#include "malloc_tuning.h"
#include <stdlib.h>  // defines __GLIBC__ where the C library is glibc

#if defined(__GLIBC__)
#include <malloc.h>

int ai_usage_tune_malloc(int arena_max, int mmap_threshold) {
    int applied = 1;
    if (arena_max > 0) applied &= mallopt(M_ARENA_MAX, arena_max);
    if (mmap_threshold > 0) applied &= mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    return applied;
}
#else
int ai_usage_tune_malloc(int arena_max, int mmap_threshold) {
    (void)arena_max;
    (void)mmap_threshold;
    return 0;
}
#endif
