/* SPDX-License-Identifier: MIT */
/*
 * Giving freed memory back to the system. glibc's malloc keeps what a
 * process frees for reuse: after users staged and released hundreds of
 * megabytes, the daemon's RSS would stay there. Three measures:
 *
 *   - memtrim_setup limits glibc to two arenas (one per thread that
 *     allocates, by default, each keeping what was freed in it);
 *   - it also fixes glibc's mmap threshold at
 *     MEMTRIM_MMAP_THRESHOLD: every larger block (a staged value, a read
 *     snapshot, a /.system stream) is its own mapping, unmapped when freed.
 *     Left dynamic, glibc raises the threshold to the largest block freed so
 *     far, and from then on such blocks come from the heap and stay;
 *   - memtrim_freed, told of every large buffer freed, calls malloc_trim(0)
 *     once MEMTRIM_BATCH bytes were freed since the last trim, at most once
 *     a second (the small blocks a big JSON value's parse left behind are
 *     scattered over the heap: only a trim returns their pages).
 *
 * Thread-safe; memtrim_freed does the trim on the calling thread.
 */
#ifndef PINFS_MEMTRIM_H
#define PINFS_MEMTRIM_H

#include <stddef.h>

#define MEMTRIM_MMAP_THRESHOLD (128u << 10)
#define MEMTRIM_BATCH (8u << 20)

/* Call once at startup, before threads start (the daemon's main). */
void memtrim_setup(void);
/* bytes of large buffers were just freed. */
void memtrim_freed(size_t bytes);

#endif /* PINFS_MEMTRIM_H */
