/* SPDX-License-Identifier: MIT */
/*
 * Open pin files: what a file handle on a pin holds between open and
 * release, and the write model of DESIGN.md section 3.
 *
 *   - a reader gets a snapshot: one whole value per read pass (a read at
 *     offset 0, or past EOF once EOF was returned, takes a new one), so no
 *     read is ever torn and re-reads and tail -f see the latest value;
 *   - a writer stages bytes (the current value is loaded only when a write
 *     without O_TRUNC needs it); each write is checked as a JSON prefix at
 *     once (-EINVAL) and against max_value_bytes (-EFBIG), and either
 *     failure makes the handle fail for good;
 *   - every request on a handle is the caller's, checked again when access
 *     may have been taken away (fs_file_check): a read, write, fsync or
 *     fstat through a descriptor works only while the same open would be
 *     allowed now (issue 13 item 5);
 *   - flush and fsync commit (fs_commit.h: validate, authorize, write
 *     through the backend, audit, tell the caches and the feed);
 *   - open files and staged bytes are bounded by max_open_files and
 *     max_staged_bytes, each with a share per uid (fs_limit_take): a uid
 *     past its share gets EMFILE (opens) or ENOMEM (writes), the others
 *     do not; staged bytes are given back as soon as a close commits, and
 *     the memory goes back to the system (memtrim.h).
 *
 * Each handle has its own lock; fs->files_lock guards the list of open
 * handles (lock order: files_lock, then a handle's lock).
 */
#ifndef PINFS_FS_FILE_H
#define PINFS_FS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fs_access.h"
#include "fs_i.h"
#include "pinfs/backend.h"
#include "pinfs/fs_core.h"
#include "pinfs/policy.h"

struct pending;
struct pin_scan;

struct pin_file {
	struct fs_file base;		/* kind FS_FILE_PIN */
	pthread_mutex_t lock;
	struct pin_file *prev_pin, *next_pin;	/* fs->pin_files, under fs->files_lock */
	char xsource[PIN_SOURCE_MAX];	/* user.pin.source set while open: its commit keeps it */
	struct pfs_subject who;		/* recorded at open: flush and release act for it */
	unsigned rights;		/* what the open needed (FS_ALLOW mask): every request needs them */
	struct fs_grant grant;		/* the last caller's standing: fs_file_check */
	char *tenant;
	char *key;			/* for pending files, pending->key is authoritative */
	struct backend *be;
	unsigned backend_no;
	struct pending *pending;	/* a created name not yet committed, or NULL */
	bool writable;
	bool append;
	/*
	 * A plain read-only open asks for no FLUSH (fs_open_flags.noflush),
	 * and a FLUSH is where a close lets go of the closing process's fcntl
	 * locks: so the lock owners that locked through this handle are noted
	 * (fs_file_note_lock_owner) and let go of at its release (fs_release).
	 */
	bool noflush;
	uint64_t nodeid;
	uint64_t *lock_owners;
	size_t n_lock_owners;
	/*
	 * user.pin.expect_version set through this handle (fs_file_expect):
	 * each commit happens only if the pin is still at expect_version, and
	 * a commit that happened moves it to the version it made.
	 */
	bool expect_set;
	int64_t expect_version;

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

static inline struct pin_file *fs_pin_file(struct fs_file *f)
{
	return (struct pin_file *)f;	/* base is the first member */
}

/*
 * Notes that POSIX lock owner took a lock through f, if f sends no FLUSH
 * (see struct pin_file.noflush). 0 or -ENOLCK.
 */
int fs_file_note_lock_owner(struct pin_file *f, uint64_t owner);
/* Opens pin node nodeid for who (fs_open's pin half). */
int fs_file_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		 struct pin_file **ret_file, struct fs_open_flags *ret_flags);
/* Creates (or opens, if it exists) name in tenant directory parent (fs_create). */
int fs_file_create(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		   const char *name, int flags, struct fs_entry *ret_entry,
		   struct pin_file **ret_file, struct fs_open_flags *ret_flags);
/*
 * Whether who, the caller of a request on f, may still use it: it holds
 * every right the open needed, now (fs_grant_check). 0 or -EACCES.
 */
int fs_file_check(struct fs *fs, const struct pfs_subject *who, struct pin_file *f);
/* read and write are who's (the caller's): refused with -EACCES when fs_file_check is. */
ssize_t fs_file_read(struct fs *fs, const struct pfs_subject *who, struct pin_file *f, char *buf,
		     size_t size, off_t off);
/* A refused write fails the handle for good: nothing staged from it is ever committed. */
ssize_t fs_file_write(struct fs *fs, const struct pfs_subject *who, struct pin_file *f,
		      const char *buf, size_t size, off_t off);
/*
 * Commits what is staged (flush: closing; fsync: not) for who, the
 * caller, who must pass fs_file_check (NULL: the opener alone, as at
 * release); the commit also needs the opener's write right now.
 */
int fs_file_sync(struct fs *fs, const struct pfs_subject *who, struct pin_file *f, bool closing);
/* Last chance to commit (errors are only logged); frees f. */
void fs_file_release(struct fs *fs, struct pin_file *f);
/* Frees every handle still open (unmount: the kernel sends no release). */
void fs_file_free_all(struct fs *fs);

/* The attributes seen through f: what it staged, else the pin's. */
void fs_file_stat(struct fs *fs, uint64_t nodeid, struct pin_file *f, struct stat *st);
/*
 * fstat(2) carries no file handle: the attributes of pin node nodeid as a
 * writer opened by who's thread staged them, if it has such a handle with
 * staged bytes (false: none, st untouched).
 */
bool fs_file_stat_for_caller(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
			     const char *tenant, const char *key, struct stat *st);
/* Whether f is a name it created and has not committed yet. */
bool fs_file_uncommitted(struct fs *fs, struct pin_file *f);
/* ftruncate: stages size bytes (the value cut, or zero-extended). */
int fs_file_truncate(struct fs *fs, struct pin_file *f, off_t size);
/* truncate(2) by path: stages, validates and commits at once. */
int fs_file_truncate_path(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
			  off_t size);

/*
 * Makes the commits of the pin files open for writing on (tenant, key) by
 * who's thread (the one that opened them) conditional on version (set), or
 * unconditional again (!set). Returns how many files it changed.
 */
int fs_file_expect(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		   const char *key, bool set, int64_t version);

/*
 * The version of what who's thread last read or committed through a file
 * it has open on (tenant, key), if it has one (false: none): what
 * user.pin.version tells that thread, so the version and the value it
 * read always go together.
 */
bool fs_file_seen_version(struct fs *fs, const struct pfs_subject *who, const char *tenant,
			  const char *key, int64_t *ret_version);

/* Tells the open files of (tenant, key) that user.pin.source was set. */
void fs_file_note_source(struct fs *fs, const char *tenant, const char *key, const char *source);

#endif /* PINFS_FS_FILE_H */
