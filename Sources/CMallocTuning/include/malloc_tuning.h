#ifndef AI_USAGE_MALLOC_TUNING_H
#define AI_USAGE_MALLOC_TUNING_H

/// Bounds glibc's heap for a long-lived process that reads large responses from several threads:
/// at most `arena_max` malloc arenas, and blocks of `mmap_threshold` bytes or more mapped on their
/// own (so a freed response body goes back to the system instead of staying in an arena).
/// A value of 0 leaves that setting alone. Returns 1 when applied, 0 where there is no glibc.
int ai_usage_tune_malloc(int arena_max, int mmap_threshold);

#endif
