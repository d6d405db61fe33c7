/* SPDX-License-Identifier: MIT */
/*
 * Logging with syslog priorities to stderr (foreground), syslog
 * (daemonized) or a file (-o log=FILE). Arguments are not evaluated below
 * the threshold. Audit events are not logging: see audit.h.
 */
#ifndef PINFS_LOG_H
#define PINFS_LOG_H

#include <stdint.h>
#include <syslog.h>

#include "pinfs/error.h"
#include "pinfs/macro.h"

extern int pfs_log_level;

enum pfs_log_target { PFS_LOG_STDERR, PFS_LOG_SYSLOG, PFS_LOG_FILE };

/* Stderr or syslog; PFS_LOG_FILE only through pfs_log_open_file. level < 0 keeps the level. */
void pfs_log_open(const char *ident, enum pfs_log_target target, int level);
/*
 * Logs to path from now on, one line per message: "RFC3339-TIME IDENT[PID]:
 * LEVEL: message", appended. path must be absolute and name a regular file
 * (created 0640 if missing); a symbolic link is -ELOOP, a FIFO, device or
 * directory -EINVAL, each with reterr saying so. Call before threads start.
 */
int pfs_log_open_file(const char *ident, const char *path, int level, struct pfs_error *reterr);
/*
 * Reopens the log file (after logrotate moved it; on SIGHUP), with the same
 * checks. 0 without a log file. On failure the old file stays in use.
 * Thread-safe against concurrent logging.
 */
int pfs_log_reopen(struct pfs_error *reterr);
/* Parses "debug", "info", "notice", "warning", "err"; returns -1 if unknown. */
int pfs_log_level_from_name(const char *name);

void pfs_log_emit(int prio, const char *fmt, ...) PFS_PRINTF(2, 3);

#define pfs_log(prio, ...)                                                                         \
	do {                                                                                       \
		if ((prio) <= pfs_log_level)                                                       \
			pfs_log_emit((prio), __VA_ARGS__);                                         \
	} while (0)

/*
 * Logs a refused operation as "CODE: message" at LOG_NOTICE (the default
 * level, so a default mount shows it), CODE being its stable error code
 * (memory_pin.invalid_json, rbac.denied, ...). Rate-limited per code: at
 * most 10 lines a minute each; past that one line says counting started,
 * and the first rejection of the next minute is preceded by how many were
 * not logged. Thread-safe. Never pass a pin's value or a token.
 */
#define pfs_log_rejection(code, ...)                                                               \
	do {                                                                                       \
		if (LOG_NOTICE <= pfs_log_level)                                                   \
			pfs_log_rejection_emit((code), __VA_ARGS__);                               \
	} while (0)
void pfs_log_rejection_emit(const char *code, const char *fmt, ...) PFS_PRINTF(2, 3);
/* The same with the clock given (milliseconds, monotonic); returns 1 if logged, 0 if counted. */
int pfs_log_rejection_at(int64_t now_ms, const char *code, const char *fmt, ...) PFS_PRINTF(3, 4);

/* Logs "msg: strerror(-r)" at LOG_ERR and returns r (a negative errno). */
int pfs_log_errno(int r, const char *fmt, ...) PFS_PRINTF(2, 3);

#endif /* PINFS_LOG_H */
