/* SPDX-License-Identifier: MIT */
/*
 * Log sink. One global threshold, read without locking (an int), and a
 * target chosen once at startup before threads exist.
 *
 * Rejections (pfs_log_rejection) are rate-limited per code: a caller who
 * fails writes in a loop must not be able to fill the log, and the audit
 * trail (/.system/audit, memory_audit) already holds every one.
 */
#include "pinfs/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int pfs_log_level = LOG_NOTICE;
static enum pfs_log_target log_target = PFS_LOG_STDERR;
static const char *log_ident = "pinfs";

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",	  [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void pfs_log_open(const char *ident, enum pfs_log_target target, int level)
{
	log_ident = ident;
	log_target = target;
	if (level >= 0)
		pfs_log_level = level;
	if (target == PFS_LOG_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int pfs_log_level_from_name(const char *name)
{
	for (size_t i = 0; i < PFS_ARRAY_SIZE(level_names); i++)
		if (level_names[i] && strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(name, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

PFS_PRINTF(2, 0)
static void vemit(int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_target == PFS_LOG_SYSLOG) {
		syslog(prio, "%s", msg);
		return;
	}
	/* One fprintf per line so lines from different threads never interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[prio & 7], msg);
}

void pfs_log_emit(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vemit(prio, fmt, ap);
	va_end(ap);
}

int pfs_log_errno(int r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (LOG_ERR <= pfs_log_level)
		pfs_log_emit(LOG_ERR, "%s: %s", msg, strerror(r < 0 ? -r : r));
	return r;
}

/* Per code: at most REJECT_BURST lines per REJECT_WINDOW_MS, the rest counted. */
#define REJECT_BURST 10
#define REJECT_WINDOW_MS 60000
#define REJECT_CODES 32

struct reject_slot {
	char code[48];		/* "" for a free slot */
	int64_t start_ms;	/* when this window's first rejection came */
	unsigned logged;	/* lines logged in this window */
	uint64_t dropped;	/* rejections not logged in this window */
};

static pthread_mutex_t reject_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reject_slot reject_slots[REJECT_CODES];	/* protected by reject_lock */

/* The slot of code; codes past the table's size share its last slot. Caller holds the lock. */
static struct reject_slot *reject_slot(const char *code)
{
	for (size_t i = 0; i < REJECT_CODES; i++) {
		struct reject_slot *s = &reject_slots[i];

		if (strcmp(s->code, code) == 0)
			return s;
		if (!s->code[0]) {
			snprintf(s->code, sizeof(s->code), "%s", code);
			return s;
		}
	}
	return &reject_slots[REJECT_CODES - 1];
}

int pfs_log_rejection_at(int64_t now_ms, const char *code, const char *fmt, ...)
{
	struct reject_slot *s;
	uint64_t dropped = 0;
	bool admit, first_drop;
	char msg[900];
	va_list ap;

	pthread_mutex_lock(&reject_lock);
	s = reject_slot(code);
	if (s->logged && now_ms - s->start_ms >= REJECT_WINDOW_MS) {
		dropped = s->dropped;
		s->logged = 0;
		s->dropped = 0;
	}
	if (!s->logged)
		s->start_ms = now_ms;
	admit = s->logged < REJECT_BURST;
	if (admit)
		s->logged++;
	first_drop = !admit && s->dropped++ == 0;
	pthread_mutex_unlock(&reject_lock);

	if (dropped)
		pfs_log_emit(LOG_NOTICE,
			     "%s: %" PRIu64 " more rejections were not logged (at most %d a minute "
			     "are; the audit has every one)",
			     code, dropped, REJECT_BURST);
	if (first_drop)
		pfs_log_emit(LOG_NOTICE,
			     "%s: more than %d rejections within a minute, counting the rest",
			     code, REJECT_BURST);
	if (!admit)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pfs_log_emit(LOG_NOTICE, "%s: %s", code, msg);
	return 1;
}

void pfs_log_rejection_emit(const char *code, const char *fmt, ...)
{
	struct timespec ts;
	char msg[900];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)pfs_log_rejection_at((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, code, "%s",
				   msg);
}
