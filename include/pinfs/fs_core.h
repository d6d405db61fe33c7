/* SPDX-License-Identifier: MIT */
/*
 * The filesystem's semantics, with FUSE-free types: DESIGN.md sections 2-4.
 * fs_ops.c decodes each FUSE request, calls exactly one function here and
 * sends exactly one reply. Everything returns 0 (or a count) or -errno.
 *
 * Write model: writes are staged per open file (struct fs_file) and
 * committed at flush or fsync after a full JSON parse; a write whose bytes
 * can no longer begin a JSON document fails at once with -EINVAL, and the
 * write that would pass the size limit with -EFBIG; both leave the handle
 * failed, so nothing from it is ever committed.
 *
 * Thread-safe: FUSE's worker threads call in concurrently; each struct
 * fs_file has its own lock.
 */
#ifndef PINFS_FS_CORE_H
#define PINFS_FS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "pinfs/config.h"
#include "pinfs/error.h"
#include "pinfs/macro.h"
#include "pinfs/policy.h"

struct fs;
struct fs_file;
struct fs_dir;

/* What a lookup, create or mkdir answers: a node and its attributes. */
struct fs_entry {
	uint64_t nodeid;
	struct stat st;
	double entry_timeout;	/* seconds the kernel may cache the name */
	double attr_timeout;	/* seconds the kernel may cache st */
};

/* How the kernel should treat an open file. */
struct fs_open_flags {
	bool direct_io;
	bool keep_cache;
	bool nonseekable;
	bool noflush;		/* close needs no FLUSH (plain read-only pins: see fs_lock) */
};

/* Options fixed at mount time. */
struct fs_options {
	uid_t owner_uid;	/* the mounting user: owns every file, allowed with no policy */
	gid_t owner_gid;
	const char *only_tenant;	/* -o tenant=NAME, or NULL */
	/* Re-reads the config and calls fs_reload (a write to /.system/reload). */
	int (*reload)(void *ctx, struct pfs_error *reterr);
	void *reload_ctx;
	/*
	 * Tells the kernel to forget what it cached: nodeid's attributes (0:
	 * none) and the name in directory parent (0 or name NULL: none). Called
	 * only from the daemon's own threads (change feeds), never from a
	 * request handler and never under a lock a request takes.
	 */
	void (*kernel_inval)(void *ctx, uint64_t nodeid, uint64_t parent, const char *name);
	void *kernel_inval_ctx;
	/*
	 * Asks the kernel to drop what it keeps of nodeids[0..n) that nobody
	 * uses (no cwd, descriptor or open file), so that it forgets them;
	 * nodes in use are left alone. Same rules as kernel_inval; its ctx.
	 * 0, or -errno (-EINVAL: the kernel cannot, before Linux 6.18).
	 */
	int (*kernel_prune)(void *ctx, const uint64_t *nodeids, size_t n);
	/*
	 * Makes the kernel look every name it caches up again at its next use
	 * (entries only; attributes stay until kernel_inval). Replies to
	 * lookups already under way count as older. Same rules and ctx as
	 * kernel_inval. 0, or -errno (-EINVAL: the kernel cannot, before
	 * Linux 6.16).
	 */
	int (*kernel_expire_names)(void *ctx);
};

/*
 * Builds the filesystem for cfg (only read during the call): opens every
 * backend the routes name and checks each schema is current. On failure
 * reterr names the route and the command that fixes it.
 */
int fs_new(const struct config *cfg, const struct fs_options *opts, struct fs **ret,
	   struct pfs_error *reterr);
/*
 * Swaps in cfg's routes, mode and limits (SIGHUP, /.system/reload). If the
 * new config cannot be served, nothing changes: the last good table stays.
 */
int fs_reload(struct fs *fs, const struct config *cfg, struct pfs_error *reterr);
/* Starts the background threads (audit writer, reaper): after fuse_daemonize's fork. */
int fs_start(struct fs *fs);
struct fs *fs_free(struct fs *fs);
PFS_DEFINE_FREEP(struct fs, fs_free)

int fs_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      struct fs_entry *ret);
void fs_forget(struct fs *fs, uint64_t nodeid, uint64_t nlookup);
/* file may be NULL; when given, attributes come from what it staged. */
int fs_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, struct stat *ret, double *ret_timeout);

/* Which attributes a setattr changes (FUSE_SET_ATTR_* in fs_ops terms). */
enum fs_setattr_mask {
	FS_SET_MODE = 1 << 0,
	FS_SET_UID = 1 << 1,
	FS_SET_GID = 1 << 2,
	FS_SET_SIZE = 1 << 3,
	FS_SET_ATIME = 1 << 4,
	FS_SET_MTIME = 1 << 5,
	FS_SET_CTIME = 1 << 6,
};
int fs_setattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
	       double *ret_timeout);
int fs_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask);

int fs_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
	    struct fs_file **ret_file, struct fs_open_flags *ret_flags);
int fs_create(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      mode_t mode, int flags, struct fs_entry *ret_entry, struct fs_file **ret_file,
	      struct fs_open_flags *ret_flags);
/*
 * Copies up to size bytes at off into buf; returns the count (0 at EOF).
 * who is the caller of this request (see fs_write).
 */
ssize_t fs_read(struct fs *fs, const struct pfs_subject *who, struct fs_file *file, char *buf,
		size_t size, off_t off);
/*
 * who is the caller of this request, which need not be the opener: a
 * descriptor can be passed (SCM_RIGHTS) or inherited across a setuid. A
 * /.system file refuses writes and commits by anyone but its opener. A
 * request on a pin file or a tenant's directory needs the rights its open
 * needed, held by the caller now (revocation reaches open handles); a
 * commit needs the opener's write right now as well.
 */
ssize_t fs_write(struct fs *fs, const struct pfs_subject *who, struct fs_file *file,
		 const char *buf, size_t size, off_t off);
int fs_flush(struct fs *fs, const struct pfs_subject *who, struct fs_file *file);
int fs_fsync(struct fs *fs, const struct pfs_subject *who, struct fs_file *file);
/* Last chance to commit (errors are only logged); frees file. */
void fs_release(struct fs *fs, struct fs_file *file);

int fs_unlink(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name);
int fs_mkdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	     struct fs_entry *ret);
int fs_rmdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name);

#define FS_RENAME_NOREPLACE (1u << 0)
#define FS_RENAME_EXCHANGE (1u << 1)
int fs_rename(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname, unsigned flags);

int fs_opendir(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_dir **ret_dir);
/*
 * Called by fs_readdir for each entry; returns non-zero when the reply
 * buffer is full (the entry was not added and will be offered again).
 * e->st always holds the entry's inode number and type. In a readdirplus
 * listing (plus), e->nodeid is non-zero when the entry comes whole, as a
 * lookup would give it: a lookup reference is then taken for the kernel,
 * and given back by fs_readdir if the filler refuses the entry; a caller
 * whose reply then fails to reach the kernel must fs_forget each one.
 */
typedef int (*fs_dir_filler)(void *ctx, const char *name, const struct fs_entry *e,
			     off_t next_off);
/* who: the caller, who needs the rights the opendir needed, now (see fs_write). */
int fs_readdir(struct fs *fs, const struct pfs_subject *who, struct fs_dir *dir, off_t off,
	       bool plus, fs_dir_filler fill, void *ctx);
void fs_releasedir(struct fs *fs, struct fs_dir *dir);

int fs_statfs(struct fs *fs, struct statvfs *ret);

/*
 * Locks: flock(2) and fcntl(2) locks on a whole pin (start 0, length 0;
 * other ranges are -EINVAL), honoured by every mount of the same backend.
 * owner names the holder as the kernel does: FS_LOCK_FLOCK, the open file
 * (its handle); FS_LOCK_POSIX, the process's lock owner. Taking one needs
 * memory_pin:read; /.system files have none (-ENOLCK). (The kernel keeps
 * directories' locks itself: FUSE passes on only files'.)
 */
enum fs_lock_kind { FS_LOCK_FLOCK, FS_LOCK_POSIX };
enum fs_lock_type { FS_LOCK_UNLOCK, FS_LOCK_SHARED, FS_LOCK_EXCLUSIVE };
/* fs_lock's answer when the request must wait: see fs_lock_wait_start. */
#define FS_LOCK_WAITING 1
struct fs_lock_wait;
/* Called once, from a thread of the lock module, with the request's result. */
typedef void (*fs_lock_done_fn)(void *ctx, int result);
/*
 * Takes (shared or exclusive) or lets go of a lock. Returns 0 or -errno
 * when done: -EWOULDBLOCK when another holder is in the way and !wait,
 * -ENOLCK when no more holders fit (pool.lock_connections), -EACCES, -EIO.
 * With wait, a lock held elsewhere makes it return FS_LOCK_WAITING and a
 * wait in *ret_wait, which the caller must start with fs_lock_wait_start.
 * file is the open file the request came through (NULL if none): a POSIX
 * lock taken through a file opened with noflush is let go of when that
 * file is released, since no close of it sends a FLUSH.
 */
int fs_lock(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, struct fs_file *file,
	    enum fs_lock_kind kind, uint64_t owner, enum fs_lock_type type, bool wait,
	    struct fs_lock_wait **ret_wait);
/*
 * Starts waiting: done(ctx, result) is called exactly once, from another
 * thread, with 0 (granted), -EINTR (fs_lock_wait_cancel, the holder went,
 * or unmount) or -EIO; w is freed after done returns. Returns 0, or -errno
 * when the wait could not start (w is then freed and done never called).
 */
int fs_lock_wait_start(struct fs *fs, struct fs_lock_wait *w, fs_lock_done_fn done, void *ctx);
/* Makes a started wait end with -EINTR soon (the request was interrupted). Any thread. */
void fs_lock_wait_cancel(struct fs_lock_wait *w);
/*
 * F_GETLK: whether owner could take type on nodeid now; *ret_type is
 * FS_LOCK_UNLOCK if so, else the kind of lock in the way, with *ret_pid
 * its holder's pid when it is a process on this mount's host (else 0).
 */
int fs_lock_test(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, uint64_t owner,
		 enum fs_lock_type type, enum fs_lock_type *ret_type, uint32_t *ret_pid);
/*
 * Lets go of owner's locks of kind: FS_LOCK_FLOCK when its file is
 * released, FS_LOCK_POSIX (on nodeid) at each close of nodeid (a flush).
 */
void fs_lock_release(struct fs *fs, enum fs_lock_kind kind, uint64_t owner, uint64_t nodeid);

/*
 * Extended attributes (user.pin.*). getxattr: *ret_value is new (free()).
 * listxattr: NUL-separated names, new (free()); may be empty (NULL, 0).
 * flags: XATTR_CREATE / XATTR_REPLACE.
 */
int fs_getxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, const char *name,
		char **ret_value, size_t *ret_len);
int fs_listxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, char **ret_list,
		 size_t *ret_len);
int fs_setxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, const char *name,
		const char *value, size_t len, int flags);
int fs_removexattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		   const char *name);

#endif /* PINFS_FS_CORE_H */
