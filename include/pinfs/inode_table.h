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
 *
 * Revocation (issue 13 item 4): a tenant node remembers who walked it
 * (looked it up, or looked up or listed names in it), and a node can be
 * made uncacheable: what the kernel is told about it, and about the
 * pins looked up under an uncacheable tenant node, must not be cached. The
 * mark goes with the node, so it lasts as long as the kernel holds the node
 * (a process's cwd, a directory descriptor, an open file under it) and a
 * fresh node, made once the kernel forgot the old one, caches again.
 * Thread-safe (one mutex); never calls out while holding it.
 */
#ifndef PINFS_INODE_TABLE_H
#define PINFS_INODE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs/macro.h"

#define INODE_ROOT 1
#define INODE_SYSTEM_DIR 2
#define INODE_SYSTEM_LAST 63
#define INODE_FIRST_DYNAMIC 1024
/*
 * Node ids with this bit are one reader's node of a /.system stream
 * (fs_system.c): the rest of the id names the file and the reader. The
 * table never hands them out (its ids count up from INODE_FIRST_DYNAMIC).
 */
#define INODE_SYSTEM_READER (UINT64_C(1) << 63)

/* Whether nodeid is /.system, one of its files, or a reader's node of one. */
static inline bool inode_is_system(uint64_t nodeid)
{
	return (nodeid >= INODE_SYSTEM_DIR && nodeid <= INODE_SYSTEM_LAST) ||
	       (nodeid & INODE_SYSTEM_READER);
}

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

/* Who walked a tenant node: looked it up, or looked up or listed names in it. */
struct inode_walker {
	uid_t uid;
	gid_t gid;
	pid_t pid;	/* the latest of its processes (thread id) to walk it */
};

/* Records w as a walker of tenant node nodeid (other nodes: nothing). */
void inode_table_note_walker(struct inode_table *t, uint64_t nodeid, const struct inode_walker *w);

/*
 * Calls cb for every attached tenant node with the walkers it recorded
 * (a snapshot taken under the lock; cb runs without it). n is SIZE_MAX
 * (walkers NULL) when more walked it than a node remembers: count it as
 * walked by anyone.
 */
typedef void (*inode_table_tenant_cb)(void *ctx, uint64_t nodeid, const char *tenant,
				      const struct inode_walker *walkers, size_t n);
int inode_table_foreach_tenant(struct inode_table *t, inode_table_tenant_cb cb, void *ctx);

/*
 * The uncacheable attached nodes, pins before tenants: *ret (new, free())
 * holds *ret_n ids. 0 or -ENOMEM.
 */
int inode_table_nocache_nodes(struct inode_table *t, uint64_t **ret, size_t *ret_n);

/* Whether nodeid was made uncacheable (inode_table_revoke). */
bool inode_table_nocache(struct inode_table *t, uint64_t nodeid);

/*
 * Makes uncacheable the attached tenant nodes tenant_ids[0..n) and every
 * attached pin node of those tenants; pins looked up there from now on
 * are made uncacheable too. Then calls cb (without the lock; cb NULL:
 * none) for each node it newly marked (one marked before has been
 * uncacheable since), pins before tenants, so that the kernel can be told
 * to forget them. Returns how many that was, or -ENOMEM.
 */
int inode_table_revoke(struct inode_table *t, const uint64_t *tenant_ids, size_t n,
		       inode_table_cb cb, void *ctx);

#endif /* PINFS_INODE_TABLE_H */
