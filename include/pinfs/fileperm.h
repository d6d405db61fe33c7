/* SPDX-License-Identifier: MIT */
/*
 * The files pinfs trusts (config, policy, token keys, database password
 * files) and how they are opened. Anyone who could change the policy could
 * grant themselves everything, and anyone who could read a token secret
 * could mint any token, so such a file must be:
 *   - a regular file (a FIFO would block the reader forever, a device is
 *     no config), opened with O_NONBLOCK so finding out never blocks;
 *   - owned by root or by the user pinfs runs as, and writable by nobody
 *     else (group and other write bits clear);
 *   - not on a FUSE file system: its owner and mode are whatever that
 *     file system's daemon says (a pin on a pinfs mount shows root, 0644);
 *   - with FILEPERM_PRIVATE (secrets, private keys, password files):
 *     readable by nobody else either (group and other read bits clear);
 *   - with FILEPERM_NOFOLLOW: named itself, not through a symbolic link at
 *     the last component (O_NOFOLLOW).
 * Every check is made on the open descriptor (fstat, fstatfs), never on
 * the path, so what is checked is what is read. Messages say what to fix.
 */
#ifndef PINFS_FILEPERM_H
#define PINFS_FILEPERM_H

#include <sys/stat.h>

#include "pinfs/error.h"

enum fileperm_flags {
	FILEPERM_PRIVATE = 1 << 0,	/* no group or other read either */
	FILEPERM_NOFOLLOW = 1 << 1,	/* refuse a symbolic link at the last component */
};

/*
 * Checks st (of the open file at path) for a file of kind what ("policy
 * file", ...): owner and write bits, and with FILEPERM_PRIVATE read bits.
 * 0, or -EPERM with a message that says what to fix.
 */
int fileperm_check(const struct stat *st, const char *path, const char *what, unsigned flags,
		   struct pfs_error *reterr);

/*
 * Opens path read-only (O_CLOEXEC, O_NOCTTY, O_NONBLOCK, and O_NOFOLLOW
 * with FILEPERM_NOFOLLOW) and checks the descriptor as the file comment
 * says. On success *ret_fd is the descriptor (the caller closes it) and
 * *ret_st, if not NULL, its fstat. Errors: open's -errno (-ELOOP for a
 * refused symbolic link), -EINVAL for anything but a regular file, -EPERM
 * for a file on a FUSE file system or with the wrong owner or mode; reterr
 * names the file and the fix.
 */
int fileperm_open(const char *path, const char *what, unsigned flags, int *ret_fd,
		  struct stat *ret_st, struct pfs_error *reterr);

/*
 * Reads all of the open descriptor fd and closes it: *ret is new and
 * NUL-terminated (free()), *ret_len its length. -EFBIG when it holds more
 * than max bytes (whatever fstat said: a file may grow after it), read's
 * -errno, -ENOMEM; on failure the buffer is wiped and freed (it may have
 * held a secret). fd is closed in every case.
 */
int fileperm_read_all(int fd, size_t max, char **ret, size_t *ret_len);

/* fileperm_open, then close: for files another library reads (libpq's passfile). */
int fileperm_check_path(const char *path, const char *what, unsigned flags,
			struct pfs_error *reterr);

#endif /* PINFS_FILEPERM_H */
