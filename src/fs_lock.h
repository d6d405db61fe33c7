/* SPDX-License-Identifier: MIT */
/*
 * Locks across mounts: flock(2) and fcntl(2) record locks on a whole pin,
 * honoured between every process on
 * every daemon that mounts the same backend (backend.h: PostgreSQL
 * advisory locks, each holder on a connection of its own; SQLite: open
 * file description locks, host-wide).
 *
 * A holder is what the kernel names as a lock's owner: for flock the open
 * file (its file handle, released with it), for fcntl locks the process
 * (the kernel's lock owner, whose locks on a pin go at its next close of
 * that pin: a FLUSH). Taking a lock needs memory_pin:read on the tenant;
 * letting go needs nothing. A request that must wait is answered later,
 * from a thread of its own (fs_locks_wait_start), so no FUSE worker is
 * tied up by a wait however long; a wait ends when the lock is granted,
 * when the request is interrupted (a signal: flock -w's timeout) or its
 * holder goes, or at unmount. Conversions (shared to exclusive and back)
 * let go of the old mode first, as flock(2) does. A granted lock drops
 * what this daemon cached of the pin, so a holder reads what the previous
 * holder committed even before the change feed says so.
 *
 * Lock numbers are a hash of the kind, the tenant and the key (FNV-1a),
 * the same in every build and on every host: daemons agree without talking.
 *
 * fs->locks guards the holder list; it is never held across a backend
 * call. Metrics: pinfs_lock_waits_total, pinfs_lock_conflicts_total,
 * pinfs_locks_held. /.system/locks lists the holders (fs_locks_list).
 */
#ifndef PINFS_FS_LOCK_H
#define PINFS_FS_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "pinfs/fs_core.h"

struct fs;
struct fs_locks;

/* The lock state of mount fs; NULL on -ENOMEM. */
struct fs_locks *fs_locks_new(struct fs *fs);
/*
 * Ends every wait (its request gets EINTR), waits for the waiting threads
 * to finish, releases every lock and frees ls (unmount). NULL-safe.
 */
void fs_locks_free(struct fs *fs, struct fs_locks *ls);

/* fs_lock's pin and tenant half (fs_core.h says what it does). */
int fs_locks_take(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		  enum fs_lock_kind kind, uint64_t owner, enum fs_lock_type type, bool wait,
		  struct fs_lock_wait **ret_wait);
int fs_locks_wait_start(struct fs *fs, struct fs_lock_wait *w, fs_lock_done_fn done, void *ctx);
void fs_locks_wait_cancel(struct fs_lock_wait *w);
int fs_locks_test(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, uint64_t owner,
		  enum fs_lock_type type, enum fs_lock_type *ret_type, uint32_t *ret_pid);
/* Lets go of owner's locks of kind (POSIX: on nodeid only). */
void fs_locks_release(struct fs *fs, enum fs_lock_kind kind, uint64_t owner, uint64_t nodeid);
/* Whether any owner holds or waits for a POSIX lock on nodeid through this mount. */
bool fs_locks_posix_on(struct fs *fs, uint64_t nodeid);

/* One lock held or waited for, as /.system/locks shows it (borrowed strings). */
struct fs_lock_info {
	const char *tenant;
	const char *key;
	enum fs_lock_kind kind;
	enum fs_lock_type type; /* held, or (waiting) asked for */
	bool waiting;
	const struct pfs_subject *who;
	int64_t since_us; /* held since, or waiting since */
};

/*
 * Calls cb for every lock held or waited for through this mount, oldest
 * first; a non-zero return stops. cb runs under fs->locks's lock: it must
 * not call back into the lock module.
 */
void fs_locks_list(struct fs *fs, int (*cb)(void *ctx, const struct fs_lock_info *info), void *ctx);

#endif /* PINFS_FS_LOCK_H */
