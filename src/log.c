/* SPDX-License-Identifier: MIT */
/*
 * Log sink. One global threshold, read without locking (an int), and a
 * target chosen once at startup before threads exist. A log file (-o log=)
 * keeps its descriptor number for the process's life: pfs_log_reopen puts
 * the newly opened file under the same number with dup3(), which is
 * atomic, so a thread writing meanwhile writes to the old file or the new.
 *
 * Rejections (pfs_log_rejection) are rate-limited per code: a caller who
 * fails writes in a loop must not be able to fill the log, and the audit
 * trail (/.system/audit, memory_audit) already holds every one.
 */
#include "pinfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pinfs/timeutil.h"

int pfs_log_level = LOG_NOTICE;
static enum pfs_log_target log_target = PFS_LOG_STDERR;
static const char *log_ident = "pinfs";
static int log_fd = -1;		/* PFS_LOG_FILE */
static char *log_path;		/* PFS_LOG_FILE: what pfs_log_reopen opens */

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

/*
 * Opens path for appending. Only a regular file: the daemon runs as root
 * and must not be pointed by a symbolic link at another file, nor block on
 * a FIFO (O_NONBLOCK for the open, cleared after).
 */
static int log_file_open(const char *path, struct pfs_error *reterr)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		  0640);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			return pfs_error_set(reterr, -ELOOP, 0,
					     "log file \"%s\" is a symbolic link: name the file itself",
					     path);
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "log file \"%s\" is not a regular file", path);
		return pfs_error_set(reterr, r, 0, "could not open log file \"%s\": %s", path,
				     strerror(-r));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pfs_error_set(reterr, -EINVAL, 0, "log file \"%s\" is not a regular file",
				     path);
	}
	r = fcntl(fd, F_GETFL);
	if (r < 0 || fcntl(fd, F_SETFL, r & ~O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		return pfs_error_set(reterr, r, 0, "could not set up log file \"%s\": %s", path,
				     strerror(-r));
	}
	return fd;
}

int pfs_log_open_file(const char *ident, const char *path, int level, struct pfs_error *reterr)
{
	char *copy;
	int fd;

	if (path[0] != '/')
		return pfs_error_set(reterr, -EINVAL, 0,
				     "log file \"%s\" is not an absolute path", path);
	fd = log_file_open(path, reterr);
	if (fd < 0)
		return fd;
	copy = strdup(path);
	if (!copy) {
		close(fd);
		return pfs_error_set(reterr, -ENOMEM, 0, "out of memory");
	}
	if (log_fd >= 0)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = copy;
	pfs_log_open(ident, PFS_LOG_FILE, level);
	return 0;
}

int pfs_log_reopen(struct pfs_error *reterr)
{
	int fd, r = 0;

	if (log_target != PFS_LOG_FILE)
		return 0;
	fd = log_file_open(log_path, reterr);
	if (fd < 0)
		return fd;	/* the old file stays */
	if (dup3(fd, log_fd, O_CLOEXEC) < 0)
		r = pfs_error_set(reterr, -errno, 0, "could not reopen log file \"%s\": %s",
				  log_path, strerror(errno));
	close(fd);
	return r;
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
	if (log_target == PFS_LOG_FILE) {
		char when[TIME_RFC3339_LEN], line[sizeof(msg) + 128];
		int n;

		/* One write() per line: O_APPEND keeps lines whole across threads. */
		time_rfc3339(time_now_us(), 1, when);
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", when, log_ident,
			     (long)getpid(), level_names[prio & 7], msg);
		if (n > (int)sizeof(line) - 1) {
			n = (int)sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		while (write(log_fd, line, (size_t)n) < 0 && errno == EINTR)
			;
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
