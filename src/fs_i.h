/* SPDX-License-Identifier: MIT */
/*
 * The state the filesystem core's modules share (src/fs_*.c; see
 * docs/architecture.md for which module owns what). Nothing outside
 * src/fs_*.c includes this.
 *
 * struct fs is one mount: its backends, caches, rings and threads, the
 * configuration generation a reload swaps, and the counters that bound
 * what users can make the daemon hold. Each field says which lock guards
 * it; fields marked "atomics" are read and written with __atomic builtins.
 *
 * struct fs_file is what the kernel's file handle points at: the first
 * member of a pin file (fs_file.h) or of a /.system file (fs_system.c),
 * so the dispatch in fs_core.c can tell them apart.
 */
#ifndef PINFS_FS_I_H
#define PINFS_FS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "pinfs/audit.h"
#include "pinfs/backend.h"
#include "pinfs/config.h"
#include "pinfs/cred.h"
#include "pinfs/fs_core.h"
#include "pinfs/inode_table.h"
#include "pinfs/path_codec.h"
#include "pinfs/pin_cache.h"
#include "pinfs/policy.h"
#include "pinfs/quota.h"
#include "pinfs/route.h"

#define FS_MAX_BACKENDS 64

struct pending;
struct fs_locks;

struct fs {
	struct fs_options opts;
	struct backend_set *backends;	/* every backend ever routed to; lives as long as fs */
	struct inode_table *nodes;
	struct audit *audit;
	struct audit *events;		/* the change feed's ring (/.system/events) */
	struct pin_cache *cache;	/* trusted only while a backend's feed vouches */
	struct cred_store *creds;
	struct fs_locks *locks;		/* flock and fcntl locks (fs_lock.c), its own lock */
	struct timespec start;

	/* What a reload swaps, together (fs_generation.c): */
	pthread_rwlock_t routes_lock;
	struct route_table *routes;	/* protected by routes_lock */
	struct policy *policy;		/* protected by routes_lock; NULL: owner and root only */
	struct cred_verifier *verifier;	/* protected by routes_lock; NULL: tokens disabled */
	size_t max_value_bytes;		/* protected by routes_lock */
	enum config_mode mode;		/* protected by routes_lock */
	unsigned reaper_interval_s;	/* protected by routes_lock */

	/* Per backend number: since when it failed (0: up), its metrics slot. Atomics. */
	int64_t down_since[FS_MAX_BACKENDS];
	int metrics_slot[FS_MAX_BACKENDS];
	/* Per backend number: 1 feed running, 0 none (local events instead). Atomics. */
	int has_feed[FS_MAX_BACKENDS];
	int feed_up[FS_MAX_BACKENDS];
	struct fs_feed_ctx {
		struct fs *fs;
		unsigned no;
	} feed_ctx[FS_MAX_BACKENDS];
	bool started;

	/*
	 * Resource bounds: what users can make the daemon hold, each a budget
	 * with a share per uid (quota.h; limits set by fs_gen_install). Each
	 * quota has its own leaf lock.
	 */
	struct quota *open_files;	/* open pin files */
	struct quota *staged_bytes;	/* bytes staged by open pin files (by capacity) */
	struct quota *pending_names;	/* names created and not committed (fs_pending.c) */
	struct quota *system_handles;	/* open /.system files */
	size_t open_writers;		/* open pin files that may stage bytes; atomics */

	/* Tenants whose missing route was already logged (name hashes). */
	pthread_mutex_t miss_lock;
	uint64_t missed[256];		/* protected by miss_lock */
	size_t n_missed;		/* protected by miss_lock */

	/*
	 * Tenants removed through this mount lately (fs_dir.c): the root's
	 * modification time must move when one goes, and no backend row is
	 * left to say when.
	 */
	pthread_mutex_t gone_lock;
	struct fs_gone_tenant {
		char name[PATH_TENANT_MAX + 1];
		int64_t at_us;
	} gone[32];			/* protected by gone_lock; a ring */
	unsigned n_gone;		/* protected by gone_lock; entries ever added */

	/* Open pin files (fs_file.c): released at unmount, and told of xattr changes. */
	pthread_mutex_t files_lock;
	struct pin_file *pin_files;	/* protected by files_lock */

	/* Open /.system files (fs_system.c): fstat carries no handle, so it looks here. */
	pthread_mutex_t sys_lock;
	struct sys_file *sys_files;	/* protected by sys_lock */

	/* The reaper thread (fs_reaper.c). */
	pthread_t reaper;
	bool reaper_running;
	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	bool stopping;			/* protected by reaper_lock */

	/* Revocation (fs_revoke.c): the generation handles check, and its thread. */
	uint64_t access_gen;		/* atomics */
	pthread_t revoker;
	bool revoker_running;
	pthread_mutex_t revoke_lock;
	pthread_cond_t revoke_wake;
	bool revoke_pending;		/* protected by revoke_lock: a pass is due */
	bool revoke_stopping;		/* protected by revoke_lock */
	int64_t revoke_prune_at;	/* protected by revoke_lock: the next idle prune (us) */
	bool prune_unsupported;		/* atomics: the kernel refused FUSE_NOTIFY_PRUNE */

	/* Names created and not yet committed (fs_pending.c). */
	pthread_mutex_t pending_lock;
	struct pending *pending;	/* protected by pending_lock */
};

enum fs_file_kind { FS_FILE_PIN, FS_FILE_SYSTEM };

/* The first member of every open file: which kind it is. */
struct fs_file {
	enum fs_file_kind kind;
};

/*
 * Attributes every node shares: the mounting user owns it, a 4 KiB block
 * size, and atime = mtime = ctime = *times. The caller fills the rest.
 */
static inline void fs_fill_stat(const struct fs *fs, uint64_t ino, mode_t mode, nlink_t nlink,
				const struct timespec *times, struct stat *st)
{
	*st = (struct stat){.st_ino = ino, .st_mode = mode, .st_nlink = nlink,
			    .st_uid = fs->opts.owner_uid, .st_gid = fs->opts.owner_gid,
			    .st_blksize = 4096, .st_atim = *times, .st_mtim = *times,
			    .st_ctim = *times};
}

/*
 * Whether who may use the reserve of every budget (quota.h) and has no
 * share: root and the mount's owner, who must still be able to look and
 * clean up when other users have taken all they may.
 */
static inline bool fs_privileged(const struct fs *fs, uid_t uid)
{
	return uid == 0 || uid == fs->opts.owner_uid;
}

/*
 * The access generation: changes whenever access may have been taken away
 * (a policy swap, a token bound or unbound, a bound token's expiry), so
 * every open handle checks its caller again (fs_grant_check). Bumped by
 * fs_revoke.c only.
 */
static inline uint64_t fs_access_generation(struct fs *fs)
{
	return __atomic_load_n(&fs->access_gen, __ATOMIC_ACQUIRE);
}

/* Whether nodeid is /.system or one of its files (a stream reader's node too). */
static inline bool fs_is_system_node(uint64_t nodeid)
{
	return inode_is_system(nodeid);
}

#endif /* PINFS_FS_I_H */
