/* SPDX-License-Identifier: MIT */
/* Time helpers shared by audit, xattrs and /.system files. Pure. */
#ifndef PINFS_TIMEUTIL_H
#define PINFS_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TIME_RFC3339_LEN 64

/* Microseconds since the epoch, from CLOCK_REALTIME. */
int64_t time_now_us(void);
/* Adds ms milliseconds to *ts (a deadline for pthread_cond_timedwait and the like). */
void time_add_ms(struct timespec *ts, unsigned ms);

/*
 * Formats usec as RFC 3339 UTC: "2026-11-22T10:00:00Z", or with
 * micro "2026-11-22T10:00:00.123456Z". buf holds TIME_RFC3339_LEN bytes.
 */
void time_rfc3339(int64_t usec, int micro, char buf[TIME_RFC3339_LEN]);

#endif /* PINFS_TIMEUTIL_H */
