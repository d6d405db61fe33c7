/* SPDX-License-Identifier: MIT */
/*
 * Who may have changed a file pinfs trusts (config, policy, token keys,
 * database password files): it must be owned by root or by the user pinfs
 * runs as, and writable by nobody else. Anyone who could change the policy
 * could grant themselves everything.
 */
#ifndef PINFS_FILEPERM_H
#define PINFS_FILEPERM_H

#include <sys/stat.h>

#include "pinfs/error.h"

/*
 * Checks st (of the open file at path) for a file of kind what ("policy
 * file", ...). 0, or -EPERM with a message that says what to fix.
 */
int fileperm_check(const struct stat *st, const char *path, const char *what,
		   struct pfs_error *reterr);

/* The same by path (stat(2) follows links, as open would). */
int fileperm_check_path(const char *path, const char *what, struct pfs_error *reterr);

#endif /* PINFS_FILEPERM_H */
