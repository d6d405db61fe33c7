/* SPDX-License-Identifier: MIT */
/*
 * /.system: the daemon's virtual files (DESIGN.md section 8), the other
 * kind of node besides pins. The dispatch (fs_core.c) sends every request
 * on node ids INODE_SYSTEM_DIR..INODE_SYSTEM_LAST, and on handles of kind
 * FS_FILE_SYSTEM, here; nothing here calls the pin modules.
 */
#ifndef PINFS_FS_SYSTEM_H
#define PINFS_FS_SYSTEM_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "pinfs/fs_core.h"
#include "pinfs/policy.h"

struct fs;
struct fs_file;

/* Whether name in directory parent is /.system or one of its files. */
bool fs_system_owns_name(uint64_t parent, const char *name);

/* Looks up ".system" in the root, or a file in /.system. */
int fs_system_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		     const char *name, struct fs_entry *ret);
/* f: the caller's handle on the node, or NULL. */
int fs_system_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *f, struct stat *ret);
int fs_system_setattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *f, const struct stat *attr, unsigned mask,
		      struct stat *ret);
/* access(2) on /.system and its files: what open would decide. */
int fs_system_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask);

int fs_system_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		   struct fs_file **ret_file, struct fs_open_flags *ret_flags);
ssize_t fs_system_read(struct fs *fs, struct fs_file *f, char *buf, size_t size, off_t off);
/* who: the caller of the request; only the opener may write or commit. */
ssize_t fs_system_write(struct fs *fs, const struct pfs_subject *who, struct fs_file *f,
			const char *buf, size_t size, off_t off);
int fs_system_flush(struct fs *fs, const struct pfs_subject *who, struct fs_file *f);
void fs_system_release(struct fs *fs, struct fs_file *f);
/* Frees every handle still open (unmount: the kernel sends no release). */
void fs_system_free_all(struct fs *fs);

/* May who list /.system? Then calls add for each of its files. */
int fs_system_list(struct fs *fs, const struct pfs_subject *who,
		   int (*add)(void *ctx, const char *name, const struct stat *st), void *ctx);

#endif /* PINFS_FS_SYSTEM_H */
