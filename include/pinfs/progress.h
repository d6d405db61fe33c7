/* SPDX-License-Identifier: MIT */
/*
 * A progress line for long pinctl runs (seed, expire, migrate) on a
 * terminal: "seed: 1200/5000 pins (24%), 850 pins/s, ETA 4s", rewritten in
 * place with a carriage return at most 4 times a second, and erased when
 * the run ends or before the caller prints a line of its own. A disabled
 * progress (not a terminal, or --quiet) writes nothing at all; the caller's
 * summary line is not this module's business.
 *
 * Not thread-safe: one progress per run, used from one thread.
 */
#ifndef PINFS_PROGRESS_H
#define PINFS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pinfs/macro.h"

/* Minimum time between two drawings of the line. */
#define PROGRESS_INTERVAL_S 0.25

struct progress;

/*
 * A progress line on out (borrowed; stderr in pinctl) for the run called
 * what ("seed"), counting unit ("pins"); both borrowed for its life.
 * enabled false: every call is a no-op. total 0: unknown (no percentage and
 * no ETA). Returns NULL only if out of memory, which callers may treat as
 * disabled: every function accepts NULL.
 */
struct progress *progress_new(FILE *out, bool enabled, const char *what, const char *unit,
			      uint64_t total);
/* Erases the line (if drawn) and frees p. Returns NULL. */
struct progress *progress_free(struct progress *p);
PFS_DEFINE_FREEP(struct progress, progress_free)

/* done units so far: draws the line if the last drawing is PROGRESS_INTERVAL_S old. */
void progress_update(struct progress *p, uint64_t done);
/* The same with the time given (seconds, monotonic), for tests. */
void progress_update_at(struct progress *p, uint64_t done, double now_s);
/* Erases the line before the caller writes to the same terminal; the next update redraws it. */
void progress_clear(struct progress *p);

/*
 * Formats the line (without \r) into buf: "what: done/total unit (P%),
 * R unit/s, ETA T", or "what: done unit, R unit/s" when total is 0; no
 * rate and ETA before a rate can be told (no time elapsed or nothing done).
 * Returns the length, as snprintf does.
 */
int progress_format(char *buf, size_t size, const char *what, const char *unit, uint64_t done,
		    uint64_t total, double elapsed_s);

#endif /* PINFS_PROGRESS_H */
