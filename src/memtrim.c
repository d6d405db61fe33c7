/* SPDX-License-Identifier: MIT */
/* Giving freed memory back to the system (see memtrim.h). */
#include "pinfs/memtrim.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Bytes freed since the last trim, and when that was (microseconds, monotonic). Atomics. */
static size_t freed_since_trim;
static int64_t last_trim_us;

void memtrim_setup(void)
{
	/*
	 * glibc gives each thread that allocates its own arena, and freed
	 * memory stays in them: listing 100,000 pins across the worker threads
	 * left RSS well above what was live. Two arenas are enough for our
	 * short critical sections.
	 */
	(void)mallopt(M_ARENA_MAX, 2);
	(void)mallopt(M_MMAP_THRESHOLD, (int)MEMTRIM_MMAP_THRESHOLD);
}

void memtrim_freed(size_t bytes)
{
	int64_t now, last;
	struct timespec ts;

	if (__atomic_add_fetch(&freed_since_trim, bytes, __ATOMIC_RELAXED) < MEMTRIM_BATCH)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	last = __atomic_load_n(&last_trim_us, __ATOMIC_RELAXED);
	if (now - last < 1000000 ||
	    !__atomic_compare_exchange_n(&last_trim_us, &last, now, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		return;	/* trimmed lately, or another thread trims now */
	__atomic_store_n(&freed_since_trim, 0, __ATOMIC_RELAXED);
	(void)malloc_trim(0);
}
