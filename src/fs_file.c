/* SPDX-License-Identifier: MIT */
/* Open pin files: snapshots, staging and commits (see fs_file.h). */
#include "fs_file.h"
#include "fs_access.h"
#include "fs_commit.h"
#include "fs_generation.h"
#include "fs_lock.h"
#include "fs_names.h"
#include "fs_pending.h"
#include "fs_pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/inode_table.h"
#include "pinfs/log.h"
#include "pinfs/memtrim.h"
#include "pinfs/path_codec.h"
#include "pinfs/pin_json.h"
#include "pinfs/timeutil.h"

/*
 * A new open pin file, or NULL (*ret_err says why): -EMFILE when who's uid
 * holds its share of max_open_files, -ENFILE when everyone together holds
 * the budget, -ENOMEM.
 */
static struct pin_file *file_new(struct fs *fs, const struct pfs_subject *who,
				 const char *tenant, const char *key, struct backend *be,
				 unsigned no, int *ret_err)
{
	struct pin_file *f;

	*ret_err = fs_limit_take(fs, METRICS_LIMIT_OPEN_FILES, who->uid, 1, -EMFILE, -ENFILE);
	if (*ret_err < 0)
		return NULL;
	*ret_err = -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f) {
		fs_limit_give(fs, METRICS_LIMIT_OPEN_FILES, who->uid, 1);
		return NULL;
	}
	f->base.kind = FS_FILE_PIN;
	pthread_mutex_init(&f->lock, NULL);
	f->who = *who;
	f->be = be;
	f->backend_no = no;
	f->tenant = strdup(tenant);
	f->key = strdup(key);
	if (!f->tenant || !f->key) {
		free(f->tenant);
		free(f->key);
		free(f);
		fs_limit_give(fs, METRICS_LIMIT_OPEN_FILES, who->uid, 1);
		return NULL;
	}
	pthread_mutex_lock(&fs->files_lock);
	f->next_pin = fs->pin_files;
	if (fs->pin_files)
		fs->pin_files->prev_pin = f;
	fs->pin_files = f;
	pthread_mutex_unlock(&fs->files_lock);
	return f;
}

void fs_file_note_source(struct fs *fs, const char *tenant, const char *key, const char *source)
{
	pthread_mutex_lock(&fs->files_lock);
	for (struct pin_file *f = fs->pin_files; f; f = f->next_pin) {
		if (!f->writable || strcmp(f->tenant, tenant) != 0 || strcmp(f->key, key) != 0)
			continue;
		pthread_mutex_lock(&f->lock);
		snprintf(f->xsource, sizeof(f->xsource), "%s", source);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&fs->files_lock);
}

int fs_file_expect(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		   const char *key, bool set, int64_t version)
{
	int n = 0;

	pthread_mutex_lock(&fs->files_lock);
	for (struct pin_file *f = fs->pin_files; f; f = f->next_pin) {
		if (!f->writable || f->who.pid != who->pid || f->who.uid != who->uid ||
		    strcmp(f->tenant, tenant) != 0 || strcmp(f->key, key) != 0 ||
		    fs_file_uncommitted(fs, f))
			continue;
		pthread_mutex_lock(&f->lock);
		f->expect_set = set;
		f->expect_version = version;
		pthread_mutex_unlock(&f->lock);
		n++;
	}
	pthread_mutex_unlock(&fs->files_lock);
	return n;
}

bool fs_file_seen_version(struct fs *fs, const struct pfs_subject *who, const char *tenant,
			  const char *key, int64_t *ret_version)
{
	bool found = false;

	pthread_mutex_lock(&fs->files_lock);
	for (struct pin_file *f = fs->pin_files; f && !found; f = f->next_pin) {
		if (f->who.pid != who->pid || f->who.uid != who->uid ||
		    strcmp(f->tenant, tenant) != 0 || strcmp(f->key, key) != 0)
			continue;
		pthread_mutex_lock(&f->lock);
		/* snap_meta: the snapshot's metadata, or what the last commit answered. */
		if ((f->snap_valid || f->committed) && f->snap_meta.version > 0) {
			*ret_version = f->snap_meta.version;
			found = true;
		}
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&fs->files_lock);
	return found;
}

static void file_free(struct fs *fs, struct pin_file *f)
{
	pthread_mutex_lock(&fs->files_lock);
	if (f->prev_pin)
		f->prev_pin->next_pin = f->next_pin;
	else if (fs->pin_files == f)
		fs->pin_files = f->next_pin;
	if (f->next_pin)
		f->next_pin->prev_pin = f->prev_pin;
	pthread_mutex_unlock(&fs->files_lock);
	if (f->pending)
		fs_pending_release(fs, f->pending);
	pin_scan_free(f->scan);
	fs_limit_give(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, f->cap);
	fs_limit_give(fs, METRICS_LIMIT_OPEN_FILES, f->who.uid, 1);
	if (f->writable)
		__atomic_sub_fetch(&fs->open_writers, 1, __ATOMIC_RELAXED);
	free(f->buf);
	free(f->snap);
	free(f->tenant);
	free(f->key);
	free(f->lock_owners);
	pthread_mutex_destroy(&f->lock);
	memtrim_freed(f->cap + f->snap_len);
	free(f);
}

/* The file's current name (a pending file follows renames). Caller frees. */
static int file_name(struct fs *fs, struct pin_file *f, char **ret_key, bool *ret_scratch)
{
	char *key;
	bool scratch = false;

	pthread_mutex_lock(&fs->pending_lock);
	if (f->pending && !f->pending->gone) {
		key = strdup(f->pending->key);
		scratch = f->pending->scratch;
	} else {
		key = strdup(f->key);
	}
	pthread_mutex_unlock(&fs->pending_lock);
	if (!key)
		return -ENOMEM;
	*ret_key = key;
	*ret_scratch = scratch;
	return 0;
}

/* Logs a stored value too large to read (-EFBIG); returns r. */
static int too_large_notice(const char *tenant, const char *key, int r)
{
	if (r == -EFBIG)
		pfs_log_rejection("memory_pin.too_large",
				  "the stored value of \"%s/%s\" is longer than max_value_bytes "
				  "once rendered: EFBIG (rm or overwrite it)",
				  tenant, key);
	return r;
}

/* Loads the current value (pretty) as the base of the staged buffer. */
static int file_load(struct fs *fs, struct pin_file *f)
{
	struct pin_meta meta;
	char *text;
	size_t len;
	int r;

	if (f->loaded)
		return 0;
	if (f->pending && !f->committed) {
		f->loaded = true;	/* a new file starts empty */
		return 0;
	}
	r = fs_pin_fetch(fs, f->be, f->backend_no, f->tenant, f->key, &text, &len, &meta);
	if (r < 0)
		return too_large_notice(f->tenant, f->key, r);
	/* Staged bytes are accounted by capacity (see buf_reserve), against the writer's share. */
	if (len > f->cap) {
		r = fs_limit_take(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, len - f->cap, -ENOMEM,
				  -ENOMEM);
		if (r < 0) {
			free(text);
			return r;
		}
	} else {
		fs_limit_give(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, f->cap - len);
	}
	free(f->buf);
	f->buf = text;
	f->len = f->cap = len;
	f->loaded = true;
	return pin_scan_reset(f->scan) < 0 ? -ENOMEM : pin_scan_feed(f->scan, f->buf, f->len);
}

/* What f has staged and not committed: its length, if it holds any. Caller holds f->lock. */
static bool staged_len(struct fs *fs, struct pin_file *f, size_t *ret_len)
{
	if (!f->writable || !f->loaded || !(f->dirty || fs_file_uncommitted(fs, f)))
		return false;
	*ret_len = f->len;
	return true;
}

/*
 * The attributes of pin node nodeid (tenant, key) as seen by a writer that
 * staged len bytes (staged) or not: the pin's own (inode number, owner),
 * with the staged size and the time of the write.
 */
static void stat_with_staged(struct fs *fs, uint64_t nodeid, const char *tenant, const char *key,
			     bool staged, size_t len, struct stat *st)
{
	struct timespec now;
	double timeout;

	clock_gettime(CLOCK_REALTIME, &now);
	if (fs_names_pin_attr(fs, nodeid, tenant, key, st, &timeout) < 0) {
		/* Not a row (any more): deleted under an open file, or never committed. */
		fs_fill_pin_stat(fs, fs_pending_ino(tenant, key), 0, &now, st);
		if (!staged)
			st->st_nlink = 0;	/* removed, as an unlinked file */
	}
	if (staged) {
		st->st_size = (off_t)len;
		st->st_blocks = (blkcnt_t)((len + 511) / 512);
		st->st_mtim = st->st_ctim = now;
	}
}

void fs_file_stat(struct fs *fs, uint64_t nodeid, struct pin_file *f, struct stat *st)
{
	PFS_AUTOFREE char *key = NULL;
	bool scratch, staged;
	size_t len = 0;

	if (file_name(fs, f, &key, &scratch) < 0) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&f->lock);
	staged = staged_len(fs, f, &len);
	pthread_mutex_unlock(&f->lock);
	stat_with_staged(fs, nodeid, f->tenant, key, staged, len, st);
}

bool fs_file_stat_for_caller(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
			     const char *tenant, const char *key, struct stat *st)
{
	bool staged = false;
	size_t len = 0;

	if (!__atomic_load_n(&fs->open_writers, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&fs->files_lock);
	for (struct pin_file *f = fs->pin_files; f && !staged; f = f->next_pin) {
		PFS_AUTOFREE char *name = NULL;
		bool scratch;

		if (f->who.pid != who->pid || !f->writable || strcmp(f->tenant, tenant) != 0 ||
		    file_name(fs, f, &name, &scratch) < 0 || strcmp(name, key) != 0)
			continue;
		pthread_mutex_lock(&f->lock);
		staged = staged_len(fs, f, &len);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&fs->files_lock);
	if (staged)
		stat_with_staged(fs, nodeid, tenant, key, true, len, st);
	return staged;
}

/* The rights an open with flags needs: read unless write-only, write to write or truncate. */
static unsigned open_rights(int flags)
{
	int acc = flags & O_ACCMODE;

	return (acc != O_WRONLY ? FS_ALLOW(POLICY_READ) : 0) |
	       (acc != O_RDONLY || (flags & O_TRUNC) ? FS_ALLOW(POLICY_WRITE) : 0);
}

static int file_setup(struct fs *fs, struct pin_file *f, int flags, struct fs_open_flags *ret_flags)
{
	int acc = flags & O_ACCMODE;

	f->writable = acc != O_RDONLY;
	f->append = (flags & O_APPEND) != 0;
	if (f->writable)
		__atomic_add_fetch(&fs->open_writers, 1, __ATOMIC_RELAXED);
	if (f->writable) {
		f->scan = pin_scan_new(fs_gen_limit(fs, &fs->max_value_bytes));
		if (!f->scan)
			return -ENOMEM;
	}
	if (flags & O_TRUNC)
		f->loaded = true; /* empty base, not dirty: bash's first flush commits nothing */
	/*
	 * direct_io: every read reaches the daemon and is not clamped to a
	 * cached size, so each read pass returns one whole current value.
	 * A plain reader's close has nothing to commit: no FLUSH (one round
	 * trip less per cat). The fcntl locks taken through it, which a FLUSH
	 * would let go of, go at its release (struct pin_file.noflush).
	 */
	f->noflush = acc == O_RDONLY && !(flags & O_TRUNC);
	*ret_flags = (struct fs_open_flags){.direct_io = true, .noflush = f->noflush};
	return 0;
}

int fs_file_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		 struct pin_file **ret_file, struct fs_open_flags *ret_flags)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	struct backend *be;
	struct pending *p;
	struct pin_file *f;
	int64_t started = time_now_us();
	uint64_t gen = fs_access_generation(fs);
	unsigned no;
	int r;

	r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r;
	if (kind != INODE_KIND_PIN)
		return -EISDIR;
	/* A refused write is a rejected write: the audit shows why. */
	r = fs_route_allow(fs, who, tenant, open_rights(flags),
			   open_rights(flags) & FS_ALLOW(POLICY_WRITE) ? "upsert" : "read", key, &be,
			   &no);
	if (r < 0)
		return r;

	f = file_new(fs, who, tenant, key, be, no, &r);
	if (!f)
		return r;
	f->nodeid = nodeid;
	f->rights = open_rights(flags);
	fs_grant_init(fs, &f->grant, who, gen);
	r = file_setup(fs, f, flags, ret_flags);
	if (r < 0)
		goto fail;
	/*
	 * While someone holds an fcntl lock on the pin, a reader's close must
	 * let go of its process's locks as POSIX says (any close of the file
	 * does): it sends its FLUSH.
	 */
	if (f->noflush && fs_locks_posix_on(fs, nodeid))
		f->noflush = ret_flags->noflush = false;

	/*
	 * A name this uid created and has not committed yet. A scratch file is
	 * private to its writer, who reopens it (rsync, for its xattrs): every
	 * open joins it. A plain creation is joined only by an open that cannot
	 * read what was there before (it writes only, truncates, or creates):
	 * its commit is then that creation's and carries its staged xattrs. A
	 * reader (O_RDONLY, O_RDWR alone) is not part of someone's creation in
	 * progress and must not read its empty base: it goes on below to the
	 * committed value, or ENOENT while there is none, like every other uid.
	 */
	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, tenant, key, who->uid, false);
	if (p && (p->scratch || (flags & O_ACCMODE) == O_WRONLY || (flags & (O_TRUNC | O_CREAT)))) {
		p->refs++;
		f->pending = p;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	if (f->pending) {
		*ret_file = f;
		return 0;
	}

	if ((flags & O_ACCMODE) == O_WRONLY) {
		/*
		 * A writer reads nothing: no fetch (the lookup that gave the kernel
		 * this node found the pin; a write without O_TRUNC loads the value
		 * when it needs it).
		 */
		*ret_file = f;
		return 0;
	}
	/* The first read pass can use what we fetch now. */
	r = fs_pin_fetch(fs, be, no, tenant, key, &f->snap, &f->snap_len, &f->snap_meta);
	if (r == -EFBIG && (flags & O_TRUNC)) {
		*ret_file = f;	/* too large to read, but being replaced: nothing to read */
		return 0;
	}
	fs_audit_version(fs, be, who, "read", tenant, key, r, f->snap, f->snap_len, started,
			 r == 0 ? f->snap_meta.version : 0);
	if (r < 0) {
		too_large_notice(tenant, key, r);
		goto fail;
	}
	f->snap_valid = true;
	*ret_file = f;
	return 0;
fail:
	file_free(fs, f);
	return r;
}

int fs_file_create(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		   const char *name, int flags, struct fs_entry *ret_entry,
		   struct pin_file **ret_file, struct fs_open_flags *ret_flags)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	enum path_create_class cls;
	struct backend *be;
	struct pin_file *f;
	uint64_t gen = fs_access_generation(fs);
	unsigned no;
	int r;

	memset(ret_entry, 0, sizeof(*ret_entry));
	r = fs_names_resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return -EPERM;	/* only directories (tenants) live in the root */
	r = path_key_decode(name, &key);
	if (r < 0)
		return r;
	cls = path_key_create_class(key);
	if (cls == PATH_CREATE_REFUSED)
		return -EACCES;	/* editors then keep swap and backup files elsewhere */
	r = fs_route_allow(fs, who, tenant, open_rights(flags | O_TRUNC), "upsert", key, &be, &no);
	if (r < 0)
		return r;

	/* The kernel asks only when it had no entry; the name may exist all the same. */
	r = fs_names_lookup_key(fs, who, tenant, name, ret_entry);
	if (r == 0) {
		if (flags & O_EXCL) {
			inode_table_forget(fs->nodes, ret_entry->nodeid, 1);
			return -EEXIST;
		}
		r = fs_file_open(fs, who, ret_entry->nodeid, flags, ret_file, ret_flags);
		if (r < 0)
			inode_table_forget(fs->nodes, ret_entry->nodeid, 1);
		return r;
	}
	if (r != -ENOENT)
		return r;

	f = file_new(fs, who, tenant, key, be, no, &r);
	if (!f)
		return r;
	f->rights = open_rights(flags | O_TRUNC);
	fs_grant_init(fs, &f->grant, who, gen);
	r = file_setup(fs, f, flags | O_TRUNC, ret_flags);
	if (r == 0)
		r = fs_pending_add(fs, tenant, key, who->uid, cls == PATH_CREATE_SCRATCH,
				   &f->pending);
	if (r == 0)
		r = inode_table_ref(fs->nodes, tenant, key, &ret_entry->nodeid);
	if (r < 0) {
		if (f->pending) {
			pthread_mutex_lock(&fs->pending_lock);
			fs_pending_drop(fs, f->pending);
			pthread_mutex_unlock(&fs->pending_lock);
		}
		file_free(fs, f);
		return r;
	}
	pthread_mutex_lock(&fs->pending_lock);
	fs_pending_stat(fs, ret_entry->nodeid, f->pending, &ret_entry->st);
	pthread_mutex_unlock(&fs->pending_lock);
	ret_entry->entry_timeout = 0;
	ret_entry->attr_timeout = 0;
	*ret_file = f;
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading                                                            */

/* Takes a fresh snapshot of the file's current value. Caller holds f->lock. */
static int file_snapshot(struct fs *fs, struct pin_file *f)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&fs->pending_lock);
	if (f->pending && !f->pending->gone) {
		struct pin pp = {.value = f->pending->value, .value_len = f->pending->value_len};

		r = pp.value ? fs_pin_render(&pp, PIN_JSON_UNLIMITED, &text, &len) : 0;
		pthread_mutex_unlock(&fs->pending_lock);
		if (r < 0)
			return r;
		goto done;
	}
	pthread_mutex_unlock(&fs->pending_lock);

	r = fs_pin_fetch(fs, f->be, f->backend_no, f->tenant, f->key, &text, &len, &f->snap_meta);
	if (r < 0)
		return too_large_notice(f->tenant, f->key, r);
done:
	free(f->snap);
	f->snap = text;
	f->snap_len = len;
	f->snap_valid = true;
	return 0;
}

int fs_file_check(struct fs *fs, const struct pfs_subject *who, struct pin_file *f)
{
	int r;

	pthread_mutex_lock(&f->lock);
	r = fs_grant_check(fs, &f->grant, who, f->tenant, f->rights);
	pthread_mutex_unlock(&f->lock);
	return r;
}

ssize_t fs_file_read(struct fs *fs, const struct pfs_subject *who, struct pin_file *f, char *buf,
		     size_t size, off_t off)
{
	const char *src;
	size_t len, n;
	int r;

	pthread_mutex_lock(&f->lock);
	r = fs_grant_check(fs, &f->grant, who, f->tenant, f->rights);
	if (r < 0) {
		pthread_mutex_unlock(&f->lock);
		return r;
	}
	if (f->dirty) {
		/* A writer reads back what it staged. */
		src = f->buf;
		len = f->len;
	} else {
		/*
		 * A read at offset 0 starts a new pass over the latest value, and so
		 * does a read past the end once EOF was returned there: tail -f,
		 * after fstat showed growth. A reader in the middle of a pass, or
		 * reading up to its EOF, stays on one value and never sees a mix.
		 */
		if (!f->snap_valid || (off == 0 && f->at_eof) ||
		    ((size_t)off >= f->snap_len && f->eof_returned)) {
			r = file_snapshot(fs, f);
			if (r < 0) {
				pthread_mutex_unlock(&f->lock);
				return r;
			}
		}
		src = f->snap;
		len = f->snap_len;
	}
	n = (size_t)off >= len ? 0 : len - (size_t)off;
	if (n > size)
		n = size;
	if (n)
		memcpy(buf, src + off, n);
	f->at_eof = (size_t)off + n >= len;
	f->eof_returned = n == 0;
	pthread_mutex_unlock(&f->lock);
	return (ssize_t)n;
}

/* ------------------------------------------------------------------ */
/* writing                                                            */

/*
 * Grows the staged buffer within the writer's share of max_staged_bytes
 * and the budget itself (-ENOMEM either way: it is this writer's write
 * that does not fit).
 */
static int buf_reserve(struct fs *fs, struct pin_file *f, size_t need)
{
	size_t cap, more;
	char *nb;
	int r;

	if (need <= f->cap)
		return 0;
	/* Doubling, but never past what a value may hold, nor past the budget when need fits. */
	cap = f->cap ? f->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > fs_gen_limit(fs, &fs->max_value_bytes) + 1)
		cap = fs_gen_limit(fs, &fs->max_value_bytes) + 1;
	if (cap < need)
		cap = need;
	r = fs_limit_take_upto(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, cap - f->cap,
			       need - f->cap, &more, -ENOMEM, -ENOMEM);
	if (r < 0)
		return r;
	cap = f->cap + more;
	nb = realloc(f->buf, cap);
	if (!nb) {
		fs_limit_give(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, more);
		return -ENOMEM;
	}
	f->buf = nb;
	f->cap = cap;
	return 0;
}

/* Fails the handle for good; nothing from it will be committed. */
static int file_fail(struct fs *fs, struct pin_file *f, int err, const char *code)
{
	f->failed = err;
	f->reported = true;	/* this write() itself returns the error */
	fs_audit(fs, f->be, &f->who, "upsert", f->tenant, f->key, err, NULL, 0, time_now_us());
	pfs_log_rejection(code, "write to \"%s/%s\" by uid %u rejected", f->tenant, f->key,
			  (unsigned)f->who.uid);
	return err;
}

ssize_t fs_file_write(struct fs *fs, const struct pfs_subject *who, struct pin_file *f,
		      const char *data, size_t size, off_t off)
{
	size_t old_len;
	int r;

	pthread_mutex_lock(&f->lock);
	if (f->failed) {
		r = f->failed;
		goto out;
	}
	if (fs_grant_check(fs, &f->grant, who, f->tenant, f->rights) < 0) {
		/* Sticky: what it staged before is not its value without these bytes. */
		r = file_fail(fs, f, -EACCES, "rbac.denied");
		goto out;
	}
	r = file_load(fs, f);
	if (r < 0)
		goto out;
	if (f->append)
		off = (off_t)f->len; /* O_APPEND appends to the staged bytes, whatever off says */
	if ((size_t)off + size > fs_gen_limit(fs, &fs->max_value_bytes)) {
		r = file_fail(fs, f, -EFBIG, "memory_pin.too_large");
		goto out;
	}
	r = buf_reserve(fs, f, (size_t)off + size + 1);
	if (r < 0) {
		/* Sticky: committing without these bytes would store a value nobody wrote. */
		r = file_fail(fs, f, r, "memory_store.out_of_memory");
		goto out;
	}
	old_len = f->len;
	if ((size_t)off > f->len)
		memset(f->buf + f->len, 0, (size_t)off - f->len);
	memcpy(f->buf + off, data, size);
	if ((size_t)off + size > f->len)
		f->len = (size_t)off + size;
	f->dirty = true;

	/* The common case appends: feed just the new bytes; otherwise rescan. */
	if ((size_t)off == old_len && pin_scan_offset(f->scan) == old_len) {
		r = pin_scan_feed(f->scan, data, size);
	} else {
		r = pin_scan_reset(f->scan);
		if (r == 0)
			r = pin_scan_feed(f->scan, f->buf, f->len);
	}
	if (r == -EINVAL || r == -EFBIG) {
		/* EFBIG: what readers would get (numbers expanded, indentation) is too long. */
		r = file_fail(fs, f, r,
			      r == -EFBIG ? "memory_pin.too_large" : "memory_pin.invalid_json");
		goto out;
	}
	if (r < 0)
		goto out;
	r = (int)size;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

/* After a commit: the next read pass sees it, and a created name is now a pin. */
static void file_committed(struct fs *fs, struct pin_file *f, char **key)
{
	f->dirty = false;
	f->committed = true;
	f->snap_valid = false;
	if (f->pending) {
		pthread_mutex_lock(&fs->pending_lock);
		fs_pending_drop(fs, f->pending);
		pthread_mutex_unlock(&fs->pending_lock);
		free(f->key);
		f->key = steal_ptr(key);
	}
}

/*
 * Commits what f staged, under the name it has now (a created file follows
 * renames), with what was set on it (source, expected version): fs_commit
 * runs the pass. Caller holds f->lock.
 */
static int file_commit(struct fs *fs, struct pin_file *f)
{
	PFS_AUTOFREE char *key = NULL;
	struct fs_commit c;
	bool scratch;
	int r;

	if (f->failed)
		return f->failed;
	if (!f->dirty)
		return 0;
	r = file_name(fs, f, &key, &scratch);
	if (r < 0)
		return r;
	c = (struct fs_commit){.who = &f->who, .be = f->be, .backend_no = f->backend_no,
			       .tenant = f->tenant, .key = key, .staged = f->buf,
			       .staged_len = f->len, .source = f->xsource, .pending = f->pending,
			       .scratch = scratch, .conditional = f->expect_set,
			       .expect_version = f->expect_version};
	r = fs_commit(fs, &c);
	if (r < 0)
		return r;
	if (scratch) {
		f->dirty = false;	/* validated, kept for the rename */
		return 0;
	}
	f->snap_meta = c.meta;
	/* A conditional handle now holds the version it made: its next commit expects that. */
	if (c.was_conditional) {
		f->expect_set = true;
		f->expect_version = c.meta.version;
	}
	file_committed(fs, f, &key);
	return 0;
}

/*
 * Gives back the staged bytes of a handle whose value is committed. close()
 * returns before the kernel sends RELEASE, so without this a script writing
 * big values one after another would find the previous file's bytes still
 * counted against max_staged_bytes. Later writes on the handle (a dup'd
 * descriptor) start again from the committed value, as after a fresh open.
 */
static void file_unstage(struct fs *fs, struct pin_file *f)
{
	if (f->dirty || !f->committed || !f->loaded)
		return;
	fs_limit_give(fs, METRICS_LIMIT_STAGED_BYTES, f->who.uid, f->cap);
	memtrim_freed(f->cap);
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
	f->loaded = false;
}

int fs_file_sync(struct fs *fs, const struct pfs_subject *who, struct pin_file *f, bool closing)
{
	int r = 0;

	pthread_mutex_lock(&f->lock);
	if (who && f->dirty && !f->failed)
		r = fs_grant_check(fs, &f->grant, who, f->tenant, f->rights);
	if (r == 0)
		r = file_commit(fs, f);
	if (r < 0)
		f->reported = true;
	else if (closing)
		file_unstage(fs, f);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fs_file_note_lock_owner(struct pin_file *f, uint64_t owner)
{
	uint64_t *owners;
	int r = 0;

	if (!f->noflush)
		return 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n_lock_owners; i++)
		if (f->lock_owners[i] == owner)
			goto out;
	owners = realloc(f->lock_owners, (f->n_lock_owners + 1) * sizeof(*owners));
	if (!owners) {
		r = -ENOLCK;
		goto out;
	}
	owners[f->n_lock_owners++] = owner;
	f->lock_owners = owners;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

void fs_file_release(struct fs *fs, struct pin_file *f)
{
	int r;

	pthread_mutex_lock(&f->lock);
	/* Only bytes written after the last flush (mmap writeback) get here. */
	r = f->dirty && !f->failed && !f->reported ? file_commit(fs, f) : 0;
	pthread_mutex_unlock(&f->lock);
	if (r < 0)
		pfs_log(LOG_WARNING, "changes to \"%s/%s\" were not committed at release: %s",
			f->tenant, f->key, strerror(-r));
	file_free(fs, f);
}

void fs_file_free_all(struct fs *fs)
{
	while (fs->pin_files)
		file_free(fs, fs->pin_files);
}

bool fs_file_uncommitted(struct fs *fs, struct pin_file *f)
{
	bool pending;

	pthread_mutex_lock(&fs->pending_lock);
	pending = f->pending && !f->pending->gone;
	pthread_mutex_unlock(&fs->pending_lock);
	return pending;
}

/* ------------------------------------------------------------------ */
/* truncation                                                         */

int fs_file_truncate(struct fs *fs, struct pin_file *f, off_t size)
{
	int r;

	pthread_mutex_lock(&f->lock);
	if (f->failed) {
		r = f->failed;
		goto out;
	}
	if ((size_t)size > fs_gen_limit(fs, &fs->max_value_bytes)) {
		r = file_fail(fs, f, -EFBIG, "memory_pin.too_large");
		goto out;
	}
	if (size == 0) {
		f->loaded = true;	/* no need to fetch what is being thrown away */
		f->len = 0;
	} else {
		r = file_load(fs, f);
		if (r < 0)
			goto out;
		r = buf_reserve(fs, f, (size_t)size + 1);
		if (r < 0) {
			r = file_fail(fs, f, r, "memory_store.out_of_memory");
			goto out;
		}
		if ((size_t)size > f->len)
			memset(f->buf + f->len, 0, (size_t)size - f->len);
		f->len = (size_t)size;
	}
	f->dirty = true;
	r = pin_scan_reset(f->scan);
	if (r == 0)
		r = pin_scan_feed(f->scan, f->buf ? f->buf : "", f->len);
	if (r == -EINVAL || r == -EFBIG)
		r = 0;	/* a truncated prefix is judged at close, not now */
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}


int fs_file_truncate_path(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
			  off_t size)
{
	struct fs_open_flags of;
	struct pin_file *f;
	int r;

	r = fs_file_open(fs, who, nodeid, O_WRONLY, &f, &of);
	if (r < 0)
		return r;
	r = fs_file_truncate(fs, f, size);
	if (r == 0)
		r = fs_file_sync(fs, who, f, true);
	file_free(fs, f);
	return r;
}
