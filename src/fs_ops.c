/* SPDX-License-Identifier: MIT */
/*
 * FUSE low-level handlers (ll_*): decode, call fs_core, reply once.
 * fs_core answers -errno; this is the only place that turns that into a
 * FUSE reply (a lock request that must wait is answered once too, later,
 * from the lock module's thread: reply_lock). Kernel-facing settings live
 * here too: no writeback cache (it loses the writer's identity and
 * write-time errors), readdirplus when the kernel judges it useful
 * (READDIRPLUS_AUTO: `ls -l`, not `ls`), so that a listing hands the
 * kernel the pins a page brought whole and their lookups need no request,
 * and flock and POSIX locks sent to the daemon. Every request is counted
 * (pinfs_fuse_requests_total) first.
 */
#include "pinfs/fs_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "pinfs/log.h"
#include "pinfs/metrics.h"

static struct fs *fs_of(fuse_req_t req)
{
	return ((struct fs_ops_ctx *)fuse_req_userdata(req))->fs;
}

static struct pfs_subject subject_of(fuse_req_t req)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	return (struct pfs_subject){.uid = c->uid, .gid = c->gid, .pid = c->pid};
}

static struct fs_file *file_of(const struct fuse_file_info *fi)
{
	return fi ? (struct fs_file *)(uintptr_t)fi->fh : NULL;
}

static void reply_entry(fuse_req_t req, int r, const struct fs_entry *e)
{
	struct fuse_entry_param p;

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.ino = e->nodeid;
	p.attr = e->st;
	p.attr_timeout = e->attr_timeout;
	p.entry_timeout = e->entry_timeout;
	if (fuse_reply_entry(req, &p) != 0)
		fs_forget(fs_of(req), e->nodeid, 1);	/* the kernel never got it */
}

static void set_open_flags(struct fuse_file_info *fi, const struct fs_open_flags *of)
{
	fi->direct_io = of->direct_io;
	fi->keep_cache = of->keep_cache;
	fi->nonseekable = of->nonseekable;
	fi->noflush = of->noflush;
}

static void ll_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	if ((conn->capable & (FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO)) ==
	    (FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO))
		conn->want |= FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO;
	else
		conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	/*
	 * flock(2) and fcntl(2) locks come to us, so every mount of the
	 * backend honours them; without these the kernel would keep them to
	 * this host's processes of this mount.
	 */
	if (conn->capable & FUSE_CAP_FLOCK_LOCKS)
		conn->want |= FUSE_CAP_FLOCK_LOCKS;
	if (conn->capable & FUSE_CAP_POSIX_LOCKS)
		conn->want |= FUSE_CAP_POSIX_LOCKS;
}

static void ll_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	metrics_fuse_request(METRICS_FUSE_LOOKUP);
	struct pfs_subject who = subject_of(req);
	struct fs_entry e;

	reply_entry(req, fs_lookup(fs_of(req), &who, parent, name, &e), &e);
}

static void ll_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	metrics_fuse_request(METRICS_FUSE_FORGET);
	fs_forget(fs_of(req), ino, nlookup);
	fuse_reply_none(req);
}

static void ll_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	metrics_fuse_request(METRICS_FUSE_FORGET);
	for (size_t i = 0; i < count; i++)
		fs_forget(fs_of(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void ll_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_GETATTR);
	struct pfs_subject who = subject_of(req);
	struct stat st;
	double timeout;
	int r = fs_getattr(fs_of(req), &who, ino, file_of(fi), &st, &timeout);

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void ll_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_SETATTR);
	static const struct {
		int fuse;
		unsigned ours;
	} map[] = {
		{FUSE_SET_ATTR_MODE, FS_SET_MODE},
		{FUSE_SET_ATTR_UID, FS_SET_UID},
		{FUSE_SET_ATTR_GID, FS_SET_GID},
		{FUSE_SET_ATTR_SIZE, FS_SET_SIZE},
		{FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW, FS_SET_ATIME},
		{FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW, FS_SET_MTIME},
		{FUSE_SET_ATTR_CTIME, FS_SET_CTIME},
	};
	struct pfs_subject who = subject_of(req);
	unsigned mask = 0;
	struct stat st;
	double timeout;
	int r;

	for (size_t i = 0; i < PFS_ARRAY_SIZE(map); i++)
		if (to_set & map[i].fuse)
			mask |= map[i].ours;
	r = fs_setattr(fs_of(req), &who, ino, file_of(fi), attr, mask, &st, &timeout);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, timeout);
}

static void ll_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	metrics_fuse_request(METRICS_FUSE_ACCESS);
	struct pfs_subject who = subject_of(req);

	/* Never ENOSYS: the kernel would take that as "always allowed". */
	fuse_reply_err(req, -fs_access(fs_of(req), &who, ino, mask));
}

static void ll_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_OPEN);
	struct pfs_subject who = subject_of(req);
	struct fs_open_flags of;
	struct fs_file *f;
	int r = fs_open(fs_of(req), &who, ino, fi->flags, &f, &of);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)f;
	set_open_flags(fi, &of);
	if (fuse_reply_open(req, fi) != 0)
		fs_release(fs_of(req), f);	/* interrupted: the kernel will not release it */
}

static void ll_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_CREATE);
	struct pfs_subject who = subject_of(req);
	struct fs_open_flags of;
	struct fs_entry e;
	struct fs_file *f;
	struct fuse_entry_param p;
	int r = fs_create(fs_of(req), &who, parent, name, mode, fi->flags, &e, &f, &of);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)f;
	set_open_flags(fi, &of);
	memset(&p, 0, sizeof(p));
	p.ino = e.nodeid;
	p.attr = e.st;
	p.attr_timeout = e.attr_timeout;
	p.entry_timeout = e.entry_timeout;
	if (fuse_reply_create(req, &p, fi) != 0) {
		fs_release(fs_of(req), f);
		fs_forget(fs_of(req), e.nodeid, 1);
	}
}

static void ll_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_READ);
	struct pfs_subject who = subject_of(req);
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	(void)ino;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = fs_read(fs_of(req), &who, file_of(fi), buf, size, off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void ll_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_WRITE);
	struct pfs_subject who = subject_of(req);
	ssize_t n = fs_write(fs_of(req), &who, file_of(fi), buf, size, off);

	(void)ino;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void ll_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_FLUSH);
	struct pfs_subject who = subject_of(req);

	/* A close lets go of the closing process's fcntl locks on the file (POSIX). */
	fs_lock_release(fs_of(req), FS_LOCK_POSIX, fi->lock_owner, ino);
	fuse_reply_err(req, -fs_flush(fs_of(req), &who, file_of(fi)));
}

static void ll_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_FSYNC);
	struct pfs_subject who = subject_of(req);

	(void)ino;
	(void)datasync;
	fuse_reply_err(req, -fs_fsync(fs_of(req), &who, file_of(fi)));
}

static void ll_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_RELEASE);
	/* The open file is gone: so is its flock lock (the kernel says flock_release). */
	fs_lock_release(fs_of(req), FS_LOCK_FLOCK, fi->fh, ino);
	fs_release(fs_of(req), file_of(fi));
	fuse_reply_err(req, 0);
}

static void ll_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	metrics_fuse_request(METRICS_FUSE_UNLINK);
	struct pfs_subject who = subject_of(req);

	fuse_reply_err(req, -fs_unlink(fs_of(req), &who, parent, name));
}

static void ll_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	metrics_fuse_request(METRICS_FUSE_MKDIR);
	struct pfs_subject who = subject_of(req);
	struct fs_entry e;

	(void)mode;
	reply_entry(req, fs_mkdir(fs_of(req), &who, parent, name, &e), &e);
}

static void ll_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	metrics_fuse_request(METRICS_FUSE_RMDIR);
	struct pfs_subject who = subject_of(req);

	fuse_reply_err(req, -fs_rmdir(fs_of(req), &who, parent, name));
}

static void ll_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	metrics_fuse_request(METRICS_FUSE_RENAME);
	struct pfs_subject who = subject_of(req);
	unsigned ours = 0;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & RENAME_NOREPLACE)
		ours |= FS_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		ours |= FS_RENAME_EXCHANGE;
	fuse_reply_err(req, -fs_rename(fs_of(req), &who, parent, name, newparent, newname, ours));
}

static void ll_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_OPENDIR);
	struct pfs_subject who = subject_of(req);
	struct fs_dir *d;
	int r = fs_opendir(fs_of(req), &who, ino, &d);

	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0)
		fs_releasedir(fs_of(req), d);
}

struct dirbuf {
	fuse_req_t req;
	bool plus;
	char *buf;
	size_t size, used;
	uint64_t *refs;		/* plus: the lookup references the reply hands over */
	size_t n_refs;
};

static int dir_fill(void *ctx, const char *name, const struct fs_entry *e, off_t next_off)
{
	struct dirbuf *b = ctx;
	struct fuse_entry_param p = {.ino = e->nodeid, .attr = e->st,
				     .attr_timeout = e->attr_timeout,
				     .entry_timeout = e->entry_timeout};
	size_t need = b->plus ? fuse_add_direntry_plus(b->req, NULL, 0, name, NULL, 0)
			      : fuse_add_direntry(b->req, NULL, 0, name, NULL, 0);

	if (b->used + need > b->size)
		return 1;
	if (b->plus)
		fuse_add_direntry_plus(b->req, b->buf + b->used, b->size - b->used, name, &p,
				       next_off);
	else
		fuse_add_direntry(b->req, b->buf + b->used, b->size - b->used, name, &e->st,
				  next_off);
	b->used += need;
	if (e->nodeid)
		b->refs[b->n_refs++] = e->nodeid;
	return 0;
}

static void do_readdir(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
		       bool plus)
{
	struct pfs_subject who = subject_of(req);
	struct fs *fs = fs_of(req);
	struct dirbuf b = {.req = req, .plus = plus, .buf = malloc(size), .size = size};
	int r;

	/* At most one entry per 24-byte dirent header: a bound on the references. */
	if (plus)
		b.refs = malloc((size / 24 + 1) * sizeof(*b.refs));
	if (!b.buf || (plus && !b.refs)) {
		free(b.buf);
		free(b.refs);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = fs_readdir(fs, &who, (struct fs_dir *)(uintptr_t)fi->fh, off, plus, dir_fill, &b);
	if (r < 0 && b.used == 0)
		fuse_reply_err(req, -r);
	else if (fuse_reply_buf(req, b.buf, b.used) != 0)
		for (size_t i = 0; i < b.n_refs; i++)
			fs_forget(fs, b.refs[i], 1);	/* the kernel never got them */
	free(b.buf);
	free(b.refs);
}

static void ll_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_READDIR);
	(void)ino;
	do_readdir(req, size, off, fi, false);
}

static void ll_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_READDIRPLUS);
	(void)ino;
	do_readdir(req, size, off, fi, true);
}

static void ll_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_RELEASEDIR);
	(void)ino;
	fs_releasedir(fs_of(req), (struct fs_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void ll_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	metrics_fuse_request(METRICS_FUSE_OTHER);
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);	/* every change is committed when it returns */
}

static void ll_statfs(fuse_req_t req, fuse_ino_t ino)
{
	metrics_fuse_request(METRICS_FUSE_STATFS);
	struct statvfs sv;
	int r = fs_statfs(fs_of(req), &sv);

	(void)ino;
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_statfs(req, &sv);
}

static void ll_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	metrics_fuse_request(METRICS_FUSE_OTHER);
	(void)ino, (void)cmd, (void)arg, (void)fi, (void)flags, (void)in_buf, (void)in_bufsz,
		(void)out_bufsz;
	fuse_reply_err(req, ENOTTY);	/* not a terminal; what isatty() and Python expect */
}

static void ll_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	metrics_fuse_request(METRICS_FUSE_OTHER);
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void ll_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	metrics_fuse_request(METRICS_FUSE_OTHER);
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EPERM);
}

static void ll_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	metrics_fuse_request(METRICS_FUSE_OTHER);
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

/* Answers a size probe (size 0) with the length, else the bytes or ERANGE. */
static void reply_xattr_bytes(fuse_req_t req, const char *v, size_t len, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, v, len);
}

static void ll_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	metrics_fuse_request(METRICS_FUSE_GETXATTR);
	struct pfs_subject who = subject_of(req);
	char *v = NULL;
	size_t len = 0;
	int r = fs_getxattr(fs_of(req), &who, ino, name, &v, &len);

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_xattr_bytes(req, v, len, size);
	free(v);
}

static void ll_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	metrics_fuse_request(METRICS_FUSE_LISTXATTR);
	struct pfs_subject who = subject_of(req);
	char *list = NULL;
	size_t len = 0;
	int r = fs_listxattr(fs_of(req), &who, ino, &list, &len);

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_xattr_bytes(req, list, len, size);
	free(list);
}

static void ll_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	metrics_fuse_request(METRICS_FUSE_SETXATTR);
	struct pfs_subject who = subject_of(req);

	fuse_reply_err(req, -fs_setxattr(fs_of(req), &who, ino, name, value, size, flags));
}

static void ll_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	metrics_fuse_request(METRICS_FUSE_REMOVEXATTR);
	struct pfs_subject who = subject_of(req);

	fuse_reply_err(req, -fs_removexattr(fs_of(req), &who, ino, name));
}

/*
 * A lock request that waits is answered from the lock module's thread
 * (lock_done). An interrupt (the kernel's FUSE_INTERRUPT, after a signal:
 * flock -w's timer) ends the wait with EINTR; the interrupt callback and
 * the answer are kept apart by libfuse's request lock, which
 * fuse_req_interrupt_func(req, NULL, NULL) takes before the reply.
 */
struct lock_call {
	fuse_req_t req;
	struct fs_lock_wait *w;
};

static void lock_interrupted(fuse_req_t req, void *data)
{
	struct lock_call *c = data;

	(void)req;
	fs_lock_wait_cancel(c->w);
}

static void lock_done(void *ctx, int r)
{
	struct lock_call *c = ctx;

	fuse_req_interrupt_func(c->req, NULL, NULL);
	fuse_reply_err(c->req, -r);
	free(c);
}

static void lock_abandoned(void *ctx, int r)
{
	(void)ctx;
	(void)r;
}

static void reply_lock(fuse_req_t req, int r, struct fs_lock_wait *w)
{
	struct lock_call *c;

	if (r != FS_LOCK_WAITING) {
		fuse_reply_err(req, -r);
		return;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		/* The wait starts, ends at once and answers nobody: it frees itself. */
		fs_lock_wait_cancel(w);
		if (fs_lock_wait_start(fs_of(req), w, lock_abandoned, NULL) < 0)
			pfs_log(LOG_DEBUG, "a lock wait could not be ended cleanly");
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*c = (struct lock_call){.req = req, .w = w};
	fuse_req_interrupt_func(req, lock_interrupted, c);
	r = fs_lock_wait_start(fs_of(req), w, lock_done, c);
	if (r < 0) {
		fuse_req_interrupt_func(req, NULL, NULL);
		free(c);
		fuse_reply_err(req, -r);
	}
}

static void ll_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
	metrics_fuse_request(METRICS_FUSE_FLOCK);
	struct pfs_subject who = subject_of(req);
	enum fs_lock_type type = (op & LOCK_EX)	  ? FS_LOCK_EXCLUSIVE
				 : (op & LOCK_SH) ? FS_LOCK_SHARED
						  : FS_LOCK_UNLOCK;
	struct fs_lock_wait *w = NULL;
	int r = fs_lock(fs_of(req), &who, ino, file_of(fi), FS_LOCK_FLOCK, fi->fh, type,
			!(op & LOCK_NB), &w);

	reply_lock(req, r, w);
}

/* fcntl locks: the whole file only (start 0, length 0: to the end and past it). */
static int whole_file(const struct flock *lock)
{
	return lock->l_whence == SEEK_SET && lock->l_start == 0 && lock->l_len == 0;
}

static void ll_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock, int sleep)
{
	metrics_fuse_request(METRICS_FUSE_SETLK);
	struct pfs_subject who = subject_of(req);
	enum fs_lock_type type = lock->l_type == F_WRLCK   ? FS_LOCK_EXCLUSIVE
				 : lock->l_type == F_RDLCK ? FS_LOCK_SHARED
							   : FS_LOCK_UNLOCK;
	struct fs_lock_wait *w = NULL;
	int r;

	if (!whole_file(lock) && type != FS_LOCK_UNLOCK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* Letting go of any range lets go of the whole-file lock: nothing smaller exists. */
	r = fs_lock(fs_of(req), &who, ino, file_of(fi), FS_LOCK_POSIX, fi->lock_owner, type,
		    sleep != 0, &w);
	reply_lock(req, r, w);
}

static void ll_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct flock *lock)
{
	metrics_fuse_request(METRICS_FUSE_GETLK);
	struct pfs_subject who = subject_of(req);
	enum fs_lock_type type = lock->l_type == F_WRLCK ? FS_LOCK_EXCLUSIVE : FS_LOCK_SHARED;
	enum fs_lock_type in_way;
	uint32_t pid;
	int r;

	if (!whole_file(lock)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	r = fs_lock_test(fs_of(req), &who, ino, fi->lock_owner, type, &in_way, &pid);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (in_way == FS_LOCK_UNLOCK) {
		lock->l_type = F_UNLCK;
	} else {
		lock->l_type = in_way == FS_LOCK_EXCLUSIVE ? F_WRLCK : F_RDLCK;
		lock->l_whence = SEEK_SET;
		lock->l_start = 0;
		lock->l_len = 0;
		lock->l_pid = (pid_t)pid;
	}
	fuse_reply_lock(req, lock);
}

void fs_ops_kernel_inval(void *ctx, uint64_t nodeid, uint64_t parent, const char *name)
{
	struct fs_ops_ctx *c = ctx;

	if (!c->se)
		return;
	/* -ENOENT means the kernel had nothing cached: that is fine. */
	if (nodeid)
		(void)fuse_lowlevel_notify_inval_inode(c->se, nodeid, -1, 0);	/* attributes only */
	if (parent && name)
		(void)fuse_lowlevel_notify_inval_entry(c->se, parent, name, strlen(name));
}

/*
 * FUSE_NOTIFY_INC_EPOCH (Linux 6.16, protocol 7.44) and FUSE_NOTIFY_PRUNE
 * (Linux 6.18, 7.45) are newer than libfuse 3.14: written here as libfuse
 * writes its own notifications, one message on the session's device, in
 * the layout of the kernel's uapi <linux/fuse.h>. An older kernel answers
 * -EINVAL.
 */
#define PFS_FUSE_NOTIFY_INC_EPOCH 8
#define PFS_FUSE_NOTIFY_PRUNE 9
#define PFS_PRUNE_BATCH 256

struct notify_out_header {
	uint32_t len;
	int32_t error;		/* the notification's code */
	uint64_t unique;	/* 0: a notification */
};

struct notify_prune_out {
	uint32_t count;
	uint32_t padding;
	uint64_t spare;
};

static int notify_raw(struct fs_ops_ctx *c, int code, const void *body, size_t body_len,
		      const void *tail, size_t tail_len)
{
	struct notify_out_header oh = {
	    .len = (uint32_t)(sizeof(oh) + body_len + tail_len), .error = code};
	struct iovec iov[3] = {
	    {.iov_base = &oh, .iov_len = sizeof(oh)},
	    {.iov_base = (void *)body, .iov_len = body_len},
	    {.iov_base = (void *)tail, .iov_len = tail_len},
	};

	if (writev(fuse_session_fd(c->se), iov, 3) < 0)
		return errno == ENOENT ? 0 : -errno;	/* ENOENT: nothing of it was cached */
	return 0;
}

int fs_ops_kernel_prune(void *ctx, const uint64_t *nodeids, size_t n)
{
	struct fs_ops_ctx *c = ctx;

	if (!c->se)
		return 0;
	for (size_t done = 0; done < n;) {
		size_t k = n - done < PFS_PRUNE_BATCH ? n - done : PFS_PRUNE_BATCH;
		struct notify_prune_out po = {.count = (uint32_t)k};
		int r = notify_raw(c, PFS_FUSE_NOTIFY_PRUNE, &po, sizeof(po), nodeids + done,
				   k * sizeof(*nodeids));

		if (r < 0)
			return r;
		done += k;
	}
	return 0;
}

int fs_ops_kernel_expire_names(void *ctx)
{
	struct fs_ops_ctx *c = ctx;

	return c->se ? notify_raw(c, PFS_FUSE_NOTIFY_INC_EPOCH, NULL, 0, NULL, 0) : 0;
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = ll_init,
	.lookup = ll_lookup,
	.forget = ll_forget,
	.forget_multi = ll_forget_multi,
	.getattr = ll_getattr,
	.setattr = ll_setattr,
	.access = ll_access,
	.open = ll_open,
	.create = ll_create,
	.read = ll_read,
	.write = ll_write,
	.flush = ll_flush,
	.fsync = ll_fsync,
	.release = ll_release,
	.unlink = ll_unlink,
	.mkdir = ll_mkdir,
	.rmdir = ll_rmdir,
	.rename = ll_rename,
	.opendir = ll_opendir,
	.readdir = ll_readdir,
	.readdirplus = ll_readdirplus,
	.releasedir = ll_releasedir,
	.fsyncdir = ll_fsyncdir,
	.statfs = ll_statfs,
	.ioctl = ll_ioctl,
	.getxattr = ll_getxattr,
	.listxattr = ll_listxattr,
	.setxattr = ll_setxattr,
	.removexattr = ll_removexattr,
	.flock = ll_flock,
	.setlk = ll_setlk,
	.getlk = ll_getlk,
	.symlink = ll_symlink,
	.link = ll_link,
	.mknod = ll_mknod,
};
