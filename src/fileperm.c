/* SPDX-License-Identifier: MIT */
/* Ownership and mode checks for the files pinfs trusts (see fileperm.h). */
#include "pinfs/fileperm.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int fileperm_check(const struct stat *st, const char *path, const char *what,
		   struct pfs_error *reterr)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me)
		return pfs_error_set(reterr, -EPERM, 0,
				     "%s \"%s\" is owned by uid %u, not by root or uid %u that "
				     "pinfs runs as: refusing it (chown it)",
				     what, path, (unsigned)st->st_uid, (unsigned)me);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return pfs_error_set(reterr, -EPERM, 0,
				     "%s \"%s\" is writable by %s: refusing it (chmod go-w \"%s\")",
				     what, path, (st->st_mode & S_IWOTH) ? "everyone" : "its group",
				     path);
	return 0;
}

int fileperm_check_path(const char *path, const char *what, struct pfs_error *reterr)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return pfs_error_set(reterr, -errno, 0, "could not stat %s \"%s\": %s", what, path,
				     strerror(errno));
	return fileperm_check(&st, path, what, reterr);
}
