/* SPDX-License-Identifier: MIT */
/*
 * Directories: listing the root (the tenants a caller may see, read whole
 * at opendir), a tenant (its keys, fetched a page at a time while the
 * listing goes on: keyset pagination, so memory stays bounded) and fixed
 * listings (/.system's names, given by the dispatch); creating and
 * removing tenants (mkdir, rmdir); statfs. fs_core.h declares the
 * readdir, mkdir, rmdir and statfs this module implements.
 */
#ifndef PINFS_FS_DIR_H
#define PINFS_FS_DIR_H

#include <stdint.h>
#include <sys/stat.h>

#include "pinfs/policy.h"

struct fs;
struct fs_dir;

/*
 * Opens the root (the tenants who may see; /.system is reachable by name
 * but not listed) or a tenant directory for who.
 */
int fs_dir_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		struct fs_dir **ret_dir);
/*
 * The root's attributes for who: its link count is 2 + the tenants who may
 * see, its times the newest creation or removal of one of them.
 */
int fs_dir_root_stat(struct fs *fs, const struct pfs_subject *who, struct stat *st);
/* A listing of fixed names, filled with fs_dir_add (/.system). */
int fs_dir_new_fixed(uint64_t nodeid, struct fs_dir **ret_dir);
/* Adds an entry to a fixed listing; ctx is the struct fs_dir (a fill callback). */
int fs_dir_add(void *ctx, const char *name, const struct stat *st);

#endif /* PINFS_FS_DIR_H */
