/* SPDX-License-Identifier: MIT */
/* Opening and checking the files pinfs trusts (see fileperm.h). */
#include "pinfs/fileperm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546	/* <linux/magic.h> */
#endif

int fileperm_check(const struct stat *st, const char *path, const char *what, unsigned flags,
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
	/* Group or other read on a secret: anyone in them can mint tokens or log in. */
	if ((flags & FILEPERM_PRIVATE) && (st->st_mode & (S_IRGRP | S_IROTH)))
		return pfs_error_set(reterr, -EPERM, 0,
				     "%s \"%s\" is readable by %s: refusing it (chmod go-rwx "
				     "\"%s\")",
				     what, path, (st->st_mode & S_IROTH) ? "everyone" : "its group",
				     path);
	return 0;
}

int fileperm_open(const char *path, const char *what, unsigned flags, int *ret_fd,
		  struct stat *ret_st, struct pfs_error *reterr)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct statfs sfs;
	struct stat st;
	int fd, r;

	if (flags & FILEPERM_NOFOLLOW)
		oflags |= O_NOFOLLOW;
	fd = open(path, oflags);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP && (flags & FILEPERM_NOFOLLOW))
			return pfs_error_set(reterr, r, 0,
					     "%s \"%s\" is a symbolic link: refusing it (name the "
					     "file itself in the config)",
					     what, path);
		return pfs_error_set(reterr, r, 0, "could not open %s \"%s\": %s", what, path,
				     strerror(-r));
	}
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
		r = -errno;
		close(fd);
		return pfs_error_set(reterr, r, 0, "could not stat %s \"%s\": %s", what, path,
				     strerror(-r));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s \"%s\" is not a regular file: refusing it", what, path);
	}
	/* Its owner and mode are whatever some daemon answers (pins show root, 0644). */
	if (sfs.f_type == FUSE_SUPER_MAGIC) {
		close(fd);
		return pfs_error_set(reterr, -EPERM, 0,
				     "%s \"%s\" is on a FUSE file system: refusing it (keep it on "
				     "a local file system)",
				     what, path);
	}
	r = fileperm_check(&st, path, what, flags, reterr);
	if (r < 0) {
		close(fd);
		return r;
	}
	/* A regular file: O_NONBLOCK changes nothing, but readers need not know that. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*ret_fd = fd;
	if (ret_st)
		*ret_st = st;
	return 0;
}

int fileperm_check_path(const char *path, const char *what, unsigned flags,
			struct pfs_error *reterr)
{
	int fd, r;

	r = fileperm_open(path, what, flags, &fd, NULL, reterr);
	if (r == 0)
		close(fd);
	return r;
}

int fileperm_read_all(int fd, size_t max, char **ret, size_t *ret_len)
{
	char *buf = malloc(max + 2);
	size_t len = 0;
	int r = 0;

	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* Up to one byte past the limit, to tell "too long" from "exactly max". */
	while (len <= max) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r == 0 && len > max)
		r = -EFBIG;
	if (r < 0) {
		explicit_bzero(buf, max + 2);
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}
