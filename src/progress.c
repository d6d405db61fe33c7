/* SPDX-License-Identifier: MIT */
/*
 * Progress lines (see progress.h). Drawing is "\r", the line, and enough
 * spaces to cover a longer previous line; erasing is "\r", spaces, "\r".
 * No escape sequences, so a terminal without them (TERM=dumb) shows the
 * same thing. The rate is the average since the start, which is steadier
 * than the last interval's for runs whose batches vary in size.
 */
#include "pinfs/progress.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct progress {
	FILE *out;
	const char *what;
	const char *unit;
	uint64_t total;
	double start_s;
	double drawn_s;		/* when the line was last drawn; < 0: never */
	size_t shown;		/* length of the line on screen; 0: none */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress *progress_new(FILE *out, bool enabled, const char *what, const char *unit,
			      uint64_t total)
{
	struct progress *p;

	if (!enabled)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->out = out;
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->start_s = now_s();
	p->drawn_s = -1;
	return p;
}

void progress_clear(struct progress *p)
{
	if (!p || !p->shown)
		return;
	fprintf(p->out, "\r%*s\r", (int)p->shown, "");
	fflush(p->out);
	p->shown = 0;
}

struct progress *progress_free(struct progress *p)
{
	progress_clear(p);
	free(p);
	return NULL;
}

/* "4s", "3m05s", "2h07m". */
static void format_duration(char *buf, size_t size, double s)
{
	uint64_t t = s < 0 ? 0 : (uint64_t)(s + 0.5);

	if (t < 60)
		snprintf(buf, size, "%" PRIu64 "s", t);
	else if (t < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", t / 60, t % 60);
	else
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", t / 3600, t / 60 % 60);
}

int progress_format(char *buf, size_t size, const char *what, const char *unit, uint64_t done,
		    uint64_t total, double elapsed_s)
{
	char count[64], rate[48] = "", eta[48] = "";

	if (total)
		snprintf(count, sizeof(count), "%" PRIu64 "/%" PRIu64 " %s (%u%%)", done, total,
			 unit, (unsigned)(done >= total ? 100 : done * 100 / total));
	else
		snprintf(count, sizeof(count), "%" PRIu64 " %s", done, unit);
	if (done > 0 && elapsed_s > 0) {
		double r = (double)done / elapsed_s;

		if (r < 10)
			snprintf(rate, sizeof(rate), ", %.1f %s/s", r, unit);
		else
			snprintf(rate, sizeof(rate), ", %.0f %s/s", r, unit);
		if (total && done < total) {
			char d[24];

			format_duration(d, sizeof(d), (double)(total - done) / r);
			snprintf(eta, sizeof(eta), ", ETA %s", d);
		}
	}
	return snprintf(buf, size, "%s: %s%s%s", what, count, rate, eta);
}

void progress_update_at(struct progress *p, uint64_t done, double now)
{
	char line[256];
	int n;

	if (!p || (p->drawn_s >= 0 && now - p->drawn_s < PROGRESS_INTERVAL_S))
		return;
	n = progress_format(line, sizeof(line), p->what, p->unit, done, p->total, now - p->start_s);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	/* Spaces cover what is left of a longer previous line. */
	fprintf(p->out, "\r%s%*s", line, p->shown > (size_t)n ? (int)(p->shown - (size_t)n) : 0,
		"");
	if (p->shown > (size_t)n)
		fprintf(p->out, "\r%s", line);
	fflush(p->out);
	p->shown = (size_t)n;
	p->drawn_s = now;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (p)
		progress_update_at(p, done, now_s());
}
