/* SPDX-License-Identifier: MIT */
/*
 * The service manager's readiness protocol (sd_notify(3)) without libsystemd:
 * one datagram per message, sent to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name when it starts with '@').
 * systemd's docs invite re-implementing this rather than linking the library.
 *
 * The functions are named sdnotify_*, not sd_notify*: that prefix is
 * libsystemd's (STYLE.md section 3).
 *
 * sdnotify_init() reads $NOTIFY_SOCKET once and removes it from the
 * environment, so no child (fusermount3 for auto_unmount, for one) ever
 * talks to the service manager on pinfs's behalf. Without it every send is a
 * no-op returning 0. After init the module holds only immutable state: the
 * send functions may be called from any thread.
 */
#ifndef PINFS_SD_NOTIFY_H
#define PINFS_SD_NOTIFY_H

#include "pinfs/macro.h"

/*
 * Reads and unsets $NOTIFY_SOCKET. Returns 1 if notifications are enabled,
 * 0 if the variable is unset or empty, -EINVAL if it names no usable
 * AF_UNIX address (then notifications stay disabled). Call once, before any
 * thread or child process exists.
 */
int sdnotify_init(void);

/* Whether sdnotify_init() found a socket. */
int sdnotify_enabled(void);

/*
 * Sends state ("READY=1", "STATUS=...", "STOPPING=1", several joined by
 * '\n') as one datagram. Returns 0 (also when disabled) or -errno.
 * Never blocks: the socket is non-blocking.
 */
int sdnotify_send(const char *state);

/* sdnotify_send() of a formatted message (truncated at 4 KiB). */
int sdnotify_sendf(const char *fmt, ...) PFS_PRINTF(1, 2);

#endif /* PINFS_SD_NOTIFY_H */
