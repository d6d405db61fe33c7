/* SPDX-License-Identifier: MIT */
/*
 * Logging with syslog priorities to stderr (foreground) or syslog
 * (daemonized). Arguments are not evaluated below the threshold. Audit
 * events are not logging: see audit.h.
 */
#ifndef PINFS_LOG_H
#define PINFS_LOG_H

#include <syslog.h>

#include "pinfs/macro.h"

extern int pfs_log_level;

enum pfs_log_target { PFS_LOG_STDERR, PFS_LOG_SYSLOG };

void pfs_log_open(const char *ident, enum pfs_log_target target, int level);
/* Parses "debug", "info", "notice", "warning", "err"; returns -1 if unknown. */
int pfs_log_level_from_name(const char *name);

void pfs_log_emit(int prio, const char *fmt, ...) PFS_PRINTF(2, 3);

#define pfs_log(prio, ...)                                                                         \
	do {                                                                                       \
		if ((prio) <= pfs_log_level)                                                       \
			pfs_log_emit((prio), __VA_ARGS__);                                         \
	} while (0)

/* Logs "msg: strerror(-r)" at LOG_ERR and returns r (a negative errno). */
int pfs_log_errno(int r, const char *fmt, ...) PFS_PRINTF(2, 3);

#endif /* PINFS_LOG_H */
