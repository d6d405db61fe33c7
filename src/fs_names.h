/* SPDX-License-Identifier: MIT */
/*
 * Names: resolving directory nodes, looking up tenants and keys (committed
 * pins first, then the caller's own pending names), and the namespace
 * changes on keys (unlink and rename, which fs_core.h declares and this
 * module implements). The root's and /.system's fixed names are the
 * dispatch's (fs_core.c).
 *
 * Tenant entries are never cached by the kernel (entry_timeout 0), so
 * every path walk passes through lookup_tenant with the caller's
 * credentials; key entries may be cached while the feed vouches.
 */
#ifndef PINFS_FS_NAMES_H
#define PINFS_FS_NAMES_H

#include <stdint.h>

#include "pinfs/inode_table.h"
#include <sys/stat.h>

#include "pinfs/backend.h"
#include "pinfs/fs_core.h"
#include "pinfs/policy.h"

struct fs;

/*
 * Resolves a node id to its kind and names (*ret_tenant and *ret_key new,
 * free(); *ret_key NULL for directories). With -o tenant=NAME the root is
 * tenant NAME's directory. -ENOENT for a node whose name went away.
 */
int fs_names_resolve(struct fs *fs, uint64_t nodeid, enum inode_kind *ret_kind,
		     char **ret_tenant, char **ret_key);

/*
 * Resolves a directory node: the root (*ret_tenant NULL) or a tenant
 * (*ret_tenant new, free()). -EACCES for /.system (its names are fixed),
 * -ENOTDIR for a pin, -ENOENT for a node whose name went away.
 */
int fs_names_resolve_dir(struct fs *fs, uint64_t nodeid, char **ret_tenant);

/*
 * Records that who walked tenant node nodeid (a lookup of it, or a lookup
 * or listing in it): who may hold it now, and what the kernel caches under
 * it answers who without asking (see fs_revoke.h).
 */
void fs_names_note_walker(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid);

/* The entry of tenant (adds a lookup reference), never cached by the kernel. */
int fs_names_tenant_entry(struct fs *fs, const char *tenant, const struct tenant_times *times,
			  struct fs_entry *ret);

/* Looks name up in directory node parent (the root or a tenant) for who. */
int fs_names_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		    const char *name, struct fs_entry *ret);
/* Looks up the (encoded) file name in tenant for who: a pin, or who's pending name. */
int fs_names_lookup_key(struct fs *fs, const struct pfs_subject *who, const char *tenant,
			const char *name, struct fs_entry *ret);

/*
 * The attributes of pin node nodeid (tenant, key): the committed pin's, or
 * a pending name's (anyone's: the kernel holds the node, so whoever asks
 * already looked it up). *ret_timeout: how long the kernel may keep them.
 */
int fs_names_pin_attr(struct fs *fs, uint64_t nodeid, const char *tenant, const char *key,
		      struct stat *ret, double *ret_timeout);

#endif /* PINFS_FS_NAMES_H */
