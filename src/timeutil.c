/* SPDX-License-Identifier: MIT */
/* Time helpers (see timeutil.h). */
#include "pinfs/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void time_rfc3339(int64_t usec, int micro, char buf[TIME_RFC3339_LEN])
{
	time_t secs = (time_t)(usec / 1000000);
	long frac = (long)(usec % 1000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	n = strftime(buf, TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(buf + n, TIME_RFC3339_LEN - n, ".%06ldZ", frac);
	else
		snprintf(buf + n, TIME_RFC3339_LEN - n, "Z");
}
