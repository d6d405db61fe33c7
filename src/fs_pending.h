/* SPDX-License-Identifier: MIT */
/*
 * Pending names: names created through this mount and not committed yet,
 * so their creator can stat, reopen and rename them before a value exists
 * (nothing is in the backend until a valid JSON document is committed). A
 * reader never reads a plain creation in progress (see fs_file_open).
 * Scratch names (sed's and Python's temporaries, path_key_create_class)
 * stay pending even after their content is validated at close, and become
 * a pin only when renamed onto a key, in one backend call; they are never
 * visible to other users.
 *
 * fs->pending_lock protects the list and every struct pending. A pending
 * lives while it is listed or an open file refers to it (refs).
 */
#ifndef PINFS_FS_PENDING_H
#define PINFS_FS_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "pinfs/backend.h"

struct fs;

struct pending {
	struct pending *next;
	char *tenant;
	char *key;
	uid_t uid;		/* only its creator sees it */
	bool scratch;		/* private until renamed onto a key */
	bool gone;		/* committed, renamed or unlinked: off the list */
	unsigned refs;		/* open files + 1 while on the list */
	char *value;		/* scratch: validated (compact) content, or NULL */
	size_t value_len;
	struct timespec mtime;
	/* xattrs set before the first commit, applied by it */
	enum pin_ttl_op ttl_op;
	int32_t ttl_seconds;
	char source[PIN_SOURCE_MAX];	/* "" : the default, "fs" */
	/* user.pin.expect_version set on it: its commit (or rename onto a key) is conditional */
	bool expect_set;
	int64_t expect_version;		/* 0: only if the key has no pin */
	int64_t refused_at_us;		/* when its rename onto a key was last refused (ESTALE) */
};

/* A listed pending name visible to uid (any uid if uid_any). Caller holds fs->pending_lock. */
struct pending *fs_pending_find(struct fs *fs, const char *tenant, const char *key, uid_t uid,
				bool uid_any);

/* Whether uid has a pending name (tenant, key). Takes the lock. */
bool fs_pending_exists(struct fs *fs, const char *tenant, const char *key, uid_t uid);

/*
 * Whether tenant holds a pending name that a file still has open (anyone's):
 * its commit would bring the tenant back, so the tenant is not empty.
 * Takes the lock.
 */
bool fs_pending_open_in_tenant(struct fs *fs, const char *tenant);
/* Forgets every pending name of tenant (it was removed). Takes the lock. */
void fs_pending_drop_tenant(struct fs *fs, const char *tenant);

/*
 * Lists a new pending name created by uid, with two references (the
 * list's and the caller's). Pending names are bounded by max_pending_names
 * with a share per uid: when uid holds its share, its own oldest abandoned
 * scratch file (closed, never renamed) is forgotten to make room, and
 * -EMFILE only when all of its names are open; when the budget is full,
 * the oldest abandoned scratch file of the uid holding the most goes, and
 * -ENFILE when none is abandoned. -ENOMEM. Takes the lock.
 */
int fs_pending_add(struct fs *fs, const char *tenant, const char *key, uid_t uid, bool scratch,
		   struct pending **ret);
/*
 * Takes a listed name off the list (unlink, commit, rename): the list's
 * reference goes. Caller holds fs->pending_lock.
 */
void fs_pending_drop(struct fs *fs, struct pending *p);
/* Drops one reference. Caller holds fs->pending_lock. */
void fs_pending_unref(struct fs *fs, struct pending *p);
/*
 * An open file lets go of p: a plain creation that was never committed
 * (no other file holds it) leaves nothing behind. Takes the lock.
 */
void fs_pending_release(struct fs *fs, struct pending *p);
/* Frees every pending name (fs_free). */
void fs_pending_free_all(struct fs *fs);

/* Moves p to key to (a scratch file renamed before its first commit). Takes the lock. */
int fs_pending_rename(struct fs *fs, struct pending *p, const char *to);

/*
 * A copy of a scratch file's validated content (*ret NULL while it is
 * still being written). Takes the lock.
 */
int fs_pending_value(struct fs *fs, const struct pending *p, char **ret, size_t *ret_len);

/*
 * Gives w the TTL, source and expected version set on p before its first
 * commit: they go with it. source is a buffer w->source may point at.
 * Takes the lock.
 */
void fs_pending_apply_xattrs(struct fs *fs, const struct pending *p, struct pin_write *w,
			     char source[PIN_SOURCE_MAX]);

/* Attributes of a pending name: what its creator staged or validated. Caller holds the lock. */
void fs_pending_stat(const struct fs *fs, uint64_t nodeid, const struct pending *p,
		     struct stat *st);

#endif /* PINFS_FS_PENDING_H */
