/* SPDX-License-Identifier: MIT */
/*
 * The node table maps FUSE node ids to names (tenant, or tenant + key) and
 * keeps the kernel's lookup counts. A name has at most one attached node;
 * rename re-keys it and unlink detaches it, so a node the kernel still
 * references after its name went away resolves no further (-ESTALE).
 * Node ids are never reused while the daemon runs.
 *
 * Fixed ids: 1 is the root, 2 is /.system, 3..63 are /.system files;
 * 0 and 64..1023 are never used.
 * Thread-safe (one mutex); never calls out while holding it.
 */
#ifndef PINFS_INODE_TABLE_H
#define PINFS_INODE_TABLE_H

#include <stdint.h>

#include "pinfs/macro.h"

#define INODE_ROOT 1
#define INODE_SYSTEM_DIR 2
#define INODE_SYSTEM_LAST 63
#define INODE_FIRST_DYNAMIC 1024

enum inode_kind { INODE_KIND_ROOT, INODE_KIND_TENANT, INODE_KIND_PIN, INODE_KIND_SYSTEM };

struct inode_table;

struct inode_table *inode_table_new(void);
struct inode_table *inode_table_free(struct inode_table *t);
PFS_DEFINE_FREEP(struct inode_table, inode_table_free)

/*
 * Returns the node attached to (tenant, key) (key NULL: the tenant's node),
 * attaching a new one if there is none, and adds one lookup reference.
 */
int inode_table_ref(struct inode_table *t, const char *tenant, const char *key,
		    uint64_t *ret_nodeid);

/*
 * Resolves a node id. *ret_tenant and *ret_key are new strings (free()),
 * *ret_key NULL for tenants. -ENOENT for an unknown id, -ESTALE for a node
 * whose name was unlinked or renamed over.
 */
int inode_table_resolve(struct inode_table *t, uint64_t nodeid, enum inode_kind *ret_kind,
			char **ret_tenant, char **ret_key);

/* Drops n lookup references; the node is freed at zero. */
void inode_table_forget(struct inode_table *t, uint64_t nodeid, uint64_t n);

/* Moves the node attached to (tenant, from) to (tenant, to); detaches what was at to. */
void inode_table_rename(struct inode_table *t, const char *tenant, const char *from,
			const char *to);

/* Detaches the node at (tenant, key) (key NULL: the tenant). */
void inode_table_detach(struct inode_table *t, const char *tenant, const char *key);

/*
 * Calls cb for every attached node (a snapshot taken under the lock; cb
 * runs without it, so it may call the kernel). key is NULL for tenants.
 */
typedef void (*inode_table_cb)(void *ctx, uint64_t nodeid, const char *tenant, const char *key);
int inode_table_foreach(struct inode_table *t, inode_table_cb cb, void *ctx);

/* The node attached to (tenant, key) without adding a reference, or 0. */
uint64_t inode_table_peek(struct inode_table *t, const char *tenant, const char *key);

#endif /* PINFS_INODE_TABLE_H */
