/* SPDX-License-Identifier: MIT */
/*
 * Private to the filesystem core (fs_core.c, fs_system.c, fs_xattr.c):
 * the state they share. Nothing outside src/fs_*.c includes this.
 */
#ifndef PINFS_FS_I_H
#define PINFS_FS_I_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "pinfs/audit.h"
#include "pinfs/backend.h"
#include "pinfs/config.h"
#include "pinfs/cred.h"
#include "pinfs/policy.h"
#include "pinfs/fs_core.h"
#include "pinfs/inode_table.h"
#include "pinfs/pin_cache.h"
#include "pinfs/route.h"

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
};

#define FS_MAX_BACKENDS 64

struct fs {
	struct fs_options opts;
	struct backend_set *backends;	/* every backend ever routed to; lives as long as fs */
	struct inode_table *nodes;
	struct audit *audit;
	struct audit *events;		/* the change feed's ring (/.system/events) */
	struct pin_cache *cache;	/* trusted only while a backend's feed vouches */
	struct cred_store *creds;
	struct timespec start;

	/* What a reload swaps, together: */
	pthread_rwlock_t routes_lock;
	struct route_table *routes;	/* protected by routes_lock */
	struct policy *policy;		/* protected by routes_lock; NULL: owner and root only */
	struct cred_verifier *verifier;	/* protected by routes_lock; NULL: tokens disabled */
	size_t max_value_bytes;		/* protected by routes_lock */
	size_t max_open_files;		/* protected by routes_lock */
	size_t max_staged_bytes;	/* protected by routes_lock */
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

	/* Resource bounds: what users can make the daemon hold. Atomics. */
	size_t open_files;
	size_t staged_bytes;
	size_t n_pending;		/* protected by pending_lock */

	/* Tenants whose missing route was already logged (name hashes). */
	pthread_mutex_t miss_lock;
	uint64_t missed[256];		/* protected by miss_lock */
	size_t n_missed;		/* protected by miss_lock */

	/* Open pin files: released at unmount, and told of xattr changes. */
	pthread_mutex_t files_lock;
	struct fs_file *pin_files;	/* protected by files_lock */

	/* Open /.system files, so fstat (which carries no handle) finds the caller's. */
	pthread_mutex_t sys_lock;
	struct fs_file *sys_files;	/* protected by sys_lock */

	/* The reaper thread (expired pins). */
	pthread_t reaper;
	bool reaper_running;
	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	bool stopping;			/* protected by reaper_lock */

	pthread_mutex_t pending_lock;
	struct pending *pending;	/* protected by pending_lock */
};

enum fs_file_kind { FS_FILE_PIN, FS_FILE_SYSTEM };

struct fs_file {
	pthread_mutex_t lock;
	enum fs_file_kind kind;
	unsigned sysid;			/* FS_FILE_SYSTEM: which /.system file */
	uint64_t cursor;		/* stream files: the next event number */
	uint64_t stream_base;		/* stream files: file offset of snap[0] */
	struct fs_file *next_open;	/* /.system files: fs->sys_files, under fs->sys_lock */
	struct fs_file *prev_pin, *next_pin;	/* pin files: fs->pin_files, under fs->files_lock */
	char xsource[PIN_SOURCE_MAX];	/* user.pin.source set while open: its commit keeps it */
	struct pfs_subject who;		/* recorded at open: flush and release act for it */
	char *tenant;
	char *key;			/* for pending files, pending->key is authoritative */
	struct backend *be;
	unsigned backend_no;
	struct pending *pending;	/* a created name not yet committed, or NULL */
	bool writable;
	bool append;

	/* Staged bytes (writers). */
	char *buf;
	size_t len, cap;
	bool loaded;			/* buf holds a base (current value or truncation) */
	bool committed;			/* a commit reached the backend: a new base is fetched */
	bool dirty;			/* buf differs from what was last committed */
	int failed;			/* sticky -EINVAL/-EFBIG: nothing is ever committed */
	bool reported;			/* the writer was already told why its commit failed */
	struct pin_scan *scan;

	/* Read snapshot: one value per read pass, so no read is ever torn. */
	char *snap;
	size_t snap_len;
	bool snap_valid;
	bool at_eof;
	bool eof_returned;		/* the last read returned 0 bytes */
	struct pin_meta snap_meta;
};

struct dir_entry {
	char *name;
	struct stat st;
};

struct fs_dir {
	pthread_mutex_t lock;
	uint64_t nodeid;
	char *tenant;			/* NULL for the root */
	struct backend *be;
	unsigned backend_no;
	struct dir_entry *ents;		/* the current page */
	size_t n_ents, pos;
	char *after_key;		/* last key fetched */
	bool eof;
	off_t next_off;			/* offset of ents[pos] */
};


/* Helpers fs_core.c shares with its sibling files. */
/*
 * A pin's canonical text and metadata, through the cache (see fs_pin_fetch in
 * fs_core.c); -EFBIG, with the metadata, for a value too large to read.
 */
int fs_pin_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		 const char *key, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta);
/* Tells the open files of (tenant, key) that user.pin.source was set. */
void fs_note_source(struct fs *fs, const char *tenant, const char *key, const char *source);
/* Drops what this mount cached about (tenant, key) after changing it itself. */
void fs_forget_pin(struct fs *fs, unsigned no, const char *tenant, const char *key, bool gone);
/* A policy_subject groups callback: ctx is the struct pfs_subject. */
int fs_proc_groups(void *ctx, gid_t *buf, size_t n);
/* A listed pending name visible to uid (any uid if uid_any). Caller holds fs->pending_lock. */
struct pending *fs_pending_find(struct fs *fs, const char *tenant, const char *key, uid_t uid,
				bool uid_any);
int fs_authorize(struct fs *fs, const struct pfs_subject *who, const char *resource,
		 const char *action, const char *tenant);
int fs_route(struct fs *fs, const char *tenant, struct backend **ret_be, unsigned *ret_no);
void fs_audit(struct fs *fs, struct backend *be, const struct pfs_subject *who,
	      const char *operation, const char *tenant, const char *key, int result,
	      const char *value, size_t value_len, int64_t started_us);

/* Whether the current routes lead to backend number no (a refused reload may have opened others). */
bool fs_backend_routed(struct fs *fs, unsigned no);
/* Pings every routed backend, updates down_since and pinfs_backend_up; returns how many are down. */
size_t fs_refresh_backend_health(struct fs *fs);
/* Deletes expired pins on every backend now (the reaper's work); returns how many. */
int fs_expire_now(struct fs *fs, const char *source);

/* /.system (fs_system.c). Node ids INODE_SYSTEM_DIR and up. */
int fs_system_lookup(struct fs *fs, const struct pfs_subject *who, const char *name,
		     struct fs_entry *ret);
int fs_system_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *file, struct stat *ret);
int fs_system_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		   struct fs_file **ret_file, struct fs_open_flags *ret_flags);
ssize_t fs_system_read(struct fs *fs, struct fs_file *f, char *buf, size_t size, off_t off);
ssize_t fs_system_write(struct fs *fs, struct fs_file *f, const char *buf, size_t size,
			off_t off);
int fs_system_flush(struct fs *fs, struct fs_file *f);
void fs_system_release(struct fs *fs, struct fs_file *f);
/* Adds /.system's files to a directory listing of it. */
int fs_system_list(struct fs *fs, const struct pfs_subject *who,
		   int (*add)(void *ctx, const char *name, const struct stat *st), void *ctx);
void fs_system_dir_stat(const struct fs *fs, struct stat *st);
/* access(2) on /.system and its files: what open would decide. */
int fs_system_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask);

#endif /* PINFS_FS_I_H */
