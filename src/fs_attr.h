/* SPDX-License-Identifier: MIT */
/*
 * Attributes of the root, tenants and pins: getattr, setattr (truncation,
 * and the mode, owner and time changes a filesystem of JSON values can or
 * cannot honour) and access(2), which must agree with what open, create,
 * readdir and mkdir would decide. /.system's are fs_system.c's.
 */
#ifndef PINFS_FS_ATTR_H
#define PINFS_FS_ATTR_H

#include <stdint.h>
#include <sys/stat.h>

#include "pinfs/policy.h"

struct fs;
struct pin_file;

/* Attributes of nodeid (root, tenant or pin) without a file handle. */
int fs_attr_get(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, struct stat *ret,
		double *ret_timeout);
/* setattr of nodeid; file: the pin handle it came through, or NULL. mask: FS_SET_*. */
int fs_attr_set(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		struct pin_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
		double *ret_timeout);
/* access(2) on nodeid: 0 or -EACCES (-ENOENT for a node whose name went away). */
int fs_attr_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask);

#endif /* PINFS_FS_ATTR_H */
