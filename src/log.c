/* SPDX-License-Identifier: MIT */
/*
 * Log sink. One global threshold, read without locking (an int), and a
 * target chosen once at startup before threads exist.
 */
#include "pinfs/log.h"

#include <stdarg.h>
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
