/* SPDX-License-Identifier: MIT */
/*
 * /.system: the daemon's virtual files (DESIGN.md section 8).
 *
 * Three kinds of file:
 *   - snapshots (metrics, policy, routes, whoami, health, credentials):
 *     rendered once at open, so every read of one open sees one consistent
 *     text, and a new open sees the present;
 *   - streams (audit, events): a cursor per open file; fstat reports the
 *     bytes available to that reader, read returns them and then EOF, and
 *     nothing blocks, so tail -f follows them;
 *   - commands (reload, expire, credentials): what is written is acted on
 *     when the file is closed (flush), and the error, if any, is close()'s.
 * All are opened with direct_io: no page cache, no size that truncates.
 * Open handles are a budget with a share per uid (max_system_handles):
 * anyone may open whoami, health and events, so one uid holding
 * thousands must not leave none for the others (EMFILE for it alone).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_access.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_reaper.h"
#include "fs_system.h"
#include "fs_sysfiles.h"
#include "pinfs/log.h"
#include "pinfs/memtrim.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

#define SYS_WRITE_MAX 65536
#define STREAM_TRIM (4u << 20)

enum sys_kind { SYS_SNAPSHOT, SYS_STREAM, SYS_COMMAND };

struct sysfile {
	const char *name;
	enum sys_kind kind;
	mode_t mode;
	/* resource:action needed to read and to write; NULL resource: anyone */
	const char *read_res, *read_act;
	const char *write_res, *write_act;
	bool need_all_tenants;	/* only for a binding scoped to "*" */
	fs_sysfile_render_fn render;	/* snapshots: the text, rendered at open */
	fs_sysfile_commit_fn commit;	/* commands: acted on at close */
};

static const struct sysfile sysfiles[] = {
	/* Counters of every tenant's operations and decisions: for a "*" scope only. */
	{.name = "metrics", .kind = SYS_SNAPSHOT, .mode = 0444,
	 .read_res = "prometheus", .read_act = "query", .need_all_tenants = true,
	 .render = fs_sysfiles_render_metrics},
	{.name = "audit", .kind = SYS_STREAM, .mode = 0444,
	 .read_res = "memory_pin", .read_act = "admin"},
	{.name = "events", .kind = SYS_STREAM, .mode = 0444},
	{.name = "policy", .kind = SYS_SNAPSHOT, .mode = 0444,
	 .read_res = "policy", .read_act = "read", .render = fs_sysfiles_render_policy},
	{.name = "reload", .kind = SYS_COMMAND, .mode = 0200,
	 .write_res = "policy", .write_act = "write", .commit = fs_sysfiles_commit_reload},
	{.name = "routes", .kind = SYS_SNAPSHOT, .mode = 0444,
	 .read_res = "prometheus", .read_act = "query", .need_all_tenants = true,
	 .render = fs_sysfiles_render_routes},
	{.name = "whoami", .kind = SYS_SNAPSHOT, .mode = 0444, .render = fs_sysfiles_render_whoami},
	{.name = "expire", .kind = SYS_COMMAND, .mode = 0200,
	 .write_res = "memory_pin", .write_act = "admin", .commit = fs_sysfiles_commit_expire},
	{.name = "health", .kind = SYS_SNAPSHOT, .mode = 0444, .render = fs_sysfiles_render_health},
	/* Each uid reads and writes only its own binding. */
	{.name = "credentials", .kind = SYS_SNAPSHOT, .mode = 0666,
	 .render = fs_sysfiles_render_credentials, .commit = fs_sysfiles_commit_credentials},
	/* Who holds which lock, as the audit: for admins, their tenants' only. */
	{.name = "locks", .kind = SYS_SNAPSHOT, .mode = 0444,
	 .read_res = "memory_pin", .read_act = "admin", .render = fs_sysfiles_render_locks},
};

#define N_SYSFILES PFS_ARRAY_SIZE(sysfiles)

/* An open /.system file. */
struct sys_file {
	struct fs_file base;		/* kind FS_FILE_SYSTEM */
	pthread_mutex_t lock;
	unsigned sysid;			/* which /.system file: its node id */
	struct pfs_subject who;		/* recorded at open: commands act for it */
	bool writable;
	bool dirty;			/* written (or O_TRUNC'd) since the last commit */
	struct sys_file *next_open;	/* fs->sys_files, under fs->sys_lock */
	/* Commands: what was written. */
	char *buf;
	size_t len, cap;
	/* Snapshots: the text rendered at open. Streams: bytes rendered for this reader. */
	char *snap;
	size_t snap_len;
	uint64_t cursor;		/* streams: the next event number */
	uint64_t stream_base;		/* streams: file offset of snap[0] */
};

static struct sys_file *sys_file_of(struct fs_file *f)
{
	return (struct sys_file *)f;	/* base is the first member */
}
#define SYS_ID(i) ((uint64_t)(INODE_SYSTEM_DIR + 1 + (i)))

/*
 * A stream's size is the reader's own (what its handle has rendered, and
 * only its tenants'), but the kernel keeps one size per node, and trusts it
 * until the next jiffy even with a zero attribute timeout: a tail started
 * in the same few milliseconds as another reader's fstat took that
 * reader's size for its own end (and read an older event, or waited past
 * its real end). So every reader gets a node of its own: a lookup of a
 * stream answers a node id that names the file and the calling process
 * (INODE_SYSTEM_READER, the file's index in the low 8 bits, a mix of uid,
 * gid and pid in the 55 between), with no entry caching, so the next
 * process's path walk looks it up again. Two readers share a node only if
 * 55 bits of the mix collide; that only lets one of them see the other's
 * size within one jiffy. st_ino stays the file's own.
 */
static uint64_t reader_node(const struct pfs_subject *who, size_t i)
{
	uint64_t h = ((uint64_t)who->uid << 32 | (uint64_t)who->gid) ^
		     ((uint64_t)(uint32_t)who->pid * UINT64_C(0x9e3779b97f4a7c15));

	/* splitmix64's finalizer */
	h ^= h >> 30;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	h *= UINT64_C(0x94d049bb133111eb);
	h ^= h >> 31;
	return INODE_SYSTEM_READER | ((h << 8) & ~INODE_SYSTEM_READER) | (uint64_t)i;
}

/* The file a node id names: SYS_ID of its index (a reader's node too). */
static uint64_t file_node(uint64_t nodeid)
{
	return (nodeid & INODE_SYSTEM_READER) ? SYS_ID(nodeid & 0xff) : nodeid;
}

static const struct sysfile *sysfile_of(uint64_t nodeid)
{
	nodeid = file_node(nodeid);
	if (nodeid <= INODE_SYSTEM_DIR || nodeid > INODE_SYSTEM_DIR + N_SYSFILES)
		return NULL;
	return &sysfiles[nodeid - INODE_SYSTEM_DIR - 1];
}

static off_t fresh_size(struct fs *fs, uint64_t nodeid, const struct pfs_subject *who);

static void fs_system_dir_stat(const struct fs *fs, struct stat *st)
{
	fs_fill_stat(fs, INODE_SYSTEM_DIR, S_IFDIR | 0755, 2, &fs->start, st);
}

static void file_attr(const struct fs *fs, const struct sysfile *sf, uint64_t id, off_t size,
		      struct stat *st)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	fs_fill_stat(fs, id, S_IFREG | sf->mode, 1, &now, st);
	st->st_size = size;
}

/* Whether the anyone-files are open to who: with no policy, only the owner and root. */
static int allowed(struct fs *fs, const struct pfs_subject *who, const char *res, const char *act,
		   bool all_tenants)
{
	if (!res)
		return fs_authorize(fs, who, NULL, NULL, NULL);
	return fs_authorize(fs, who, res, act, all_tenants ? "*" : NULL);
}

bool fs_system_owns_name(uint64_t parent, const char *name)
{
	return parent == INODE_SYSTEM_DIR || (parent == INODE_ROOT && strcmp(name, ".system") == 0);
}

int fs_system_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		     const char *name, struct fs_entry *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = fs_authorize(fs, who, NULL, NULL, NULL);
	if (r < 0)
		return r;
	if (parent == INODE_ROOT) {
		ret->nodeid = INODE_SYSTEM_DIR;
		fs_system_dir_stat(fs, &ret->st);
		ret->entry_timeout = 0;
		ret->attr_timeout = 3600;
		return 0;
	}
	for (size_t i = 0; i < N_SYSFILES; i++) {
		if (strcmp(sysfiles[i].name, name) != 0)
			continue;
		ret->attr_timeout = 0;
		if (sysfiles[i].kind == SYS_STREAM) {
			/* The caller's own node, and the size its open will find. */
			ret->nodeid = reader_node(who, i);
			ret->entry_timeout = 0;
			file_attr(fs, &sysfiles[i], SYS_ID(i), fresh_size(fs, SYS_ID(i), who),
				  &ret->st);
			return 0;
		}
		ret->nodeid = SYS_ID(i);
		file_attr(fs, &sysfiles[i], ret->nodeid, 0, &ret->st);
		ret->entry_timeout = 3600;	/* the names never change */
		return 0;
	}
	return -ENOENT;
}

int fs_system_list(struct fs *fs, const struct pfs_subject *who,
		   int (*add)(void *ctx, const char *name, const struct stat *st), void *ctx)
{
	int r = fs_authorize(fs, who, NULL, NULL, NULL);

	if (r < 0)
		return r;
	for (size_t i = 0; i < N_SYSFILES; i++) {
		struct stat st;

		file_attr(fs, &sysfiles[i], SYS_ID(i), 0, &st);
		r = add(ctx, sysfiles[i].name, &st);
		if (r < 0)
			return r;
	}
	return 0;
}

struct stream_ctx {
	struct fs *fs;
	const struct pfs_subject *who;
	/* What this read already decided, by tenant: one check per tenant, not per event. */
	size_t n_seen;
	struct {
		char tenant[AUDIT_TENANT_MAX + 1];
		bool visible;
	} seen[16];
};

/*
 * Stream readers see only events of tenants they could read. A visibility
 * check: others' events are filtered out, not refused, so reading the
 * stream is neither audited nor counted as a denial.
 */
static bool stream_filter(void *ctx, const char *tenant)
{
	struct stream_ctx *c = ctx;
	size_t n = c->n_seen < PFS_ARRAY_SIZE(c->seen) ? c->n_seen : PFS_ARRAY_SIZE(c->seen);
	bool visible;

	if (tenant[0] == '\0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(c->seen[i].tenant, tenant) == 0)
			return c->seen[i].visible;
	visible = fs_visible(c->fs, c->who, "memory_pin", "read", tenant);
	n = c->n_seen++ % PFS_ARRAY_SIZE(c->seen);
	pfs_strcpy_cut(c->seen[n].tenant, tenant, sizeof(c->seen[n].tenant));
	c->seen[n].visible = visible;
	return visible;
}

/* Stream files: renders what the reader has not seen yet. Caller holds f->lock. */
static int stream_pull(struct fs *fs, struct sys_file *f)
{
	struct stream_ctx c = {.fs = fs, .who = &f->who, .n_seen = 0};
	size_t cap = f->snap_len;
	int r;

	const struct sysfile *sf = sysfile_of(f->sysid);
	struct audit *ring = sf && strcmp(sf->name, "events") == 0 ? fs->events : fs->audit;

	/* snap holds the file's bytes [stream_base, stream_base + snap_len). */
	r = audit_read(ring, &f->cursor, stream_filter, &c, &f->snap, &f->snap_len, &cap);
	if (r < 0)
		return r;
	if (f->snap_len > STREAM_TRIM) {
		/* Keep the newer half: a follower reads at the end. */
		size_t drop = f->snap_len / 2;

		memmove(f->snap, f->snap + drop, f->snap_len - drop);
		f->snap_len -= drop;
		f->stream_base += drop;
	}
	return 0;
}

/*
 * The size a new open of stream nodeid by who would find now; 0 for a
 * caller who may not read it (the size of what it may not read is not
 * its to know, and asking is not a denial to record).
 */
static off_t fresh_size(struct fs *fs, uint64_t nodeid, const struct pfs_subject *who)
{
	const struct sysfile *sf = sysfile_of(nodeid);
	struct sys_file probe = {.sysid = (unsigned)file_node(nodeid), .who = *who};
	off_t size = 0;

	if (!sf || (sf->read_res && !fs_visible(fs, who, sf->read_res, sf->read_act,
						 sf->need_all_tenants ? "*" : NULL)))
		return 0;
	if (stream_pull(fs, &probe) == 0)
		size = (off_t)(probe.stream_base + probe.snap_len);
	free(probe.snap);
	return size;
}

/* The size one open file of a stream or command can read. Caller holds f's node. */
static off_t handle_size(struct fs *fs, const struct sysfile *sf, struct sys_file *f)
{
	off_t size;

	pthread_mutex_lock(&f->lock);
	if (sf->kind == SYS_STREAM)
		(void)stream_pull(fs, f);
	/* What this reader can read: everything rendered for it so far. */
	size = (off_t)(sf->kind == SYS_COMMAND ? f->len : f->stream_base + f->snap_len);
	pthread_mutex_unlock(&f->lock);
	return size;
}

/*
 * A stat(2) that reaches FUSE without the file handle (stat by name; some
 * kernels' fstat) takes a stream's size from the handle the calling thread
 * opened on that file, if any: tail -f opens, fstats and reads from one
 * thread; without one, the size a new open would find. sys_lock keeps the
 * handle from being released meanwhile (lock order: sys_lock, then f->lock).
 */
static off_t caller_handle_size(struct fs *fs, const struct sysfile *sf,
				const struct pfs_subject *who, uint64_t nodeid)
{
	uint64_t id = file_node(nodeid);
	off_t size = -1;

	pthread_mutex_lock(&fs->sys_lock);
	for (struct sys_file *f = fs->sys_files; f; f = f->next_open) {
		if (f->sysid == id && f->who.pid == who->pid && f->who.uid == who->uid) {
			size = handle_size(fs, sf, f);
			break;
		}
	}
	pthread_mutex_unlock(&fs->sys_lock);
	return size >= 0 ? size : fresh_size(fs, id, who);
}

int fs_system_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *file, struct stat *ret)
{
	const struct sysfile *sf;
	off_t size = 0;

	if (nodeid == INODE_SYSTEM_DIR) {
		fs_system_dir_stat(fs, ret);
		return 0;
	}
	sf = sysfile_of(nodeid);
	if (!sf)
		return -ENOENT;
	if (file && file->kind == FS_FILE_SYSTEM)
		size = handle_size(fs, sf, sys_file_of(file));
	else if (sf->kind == SYS_STREAM)
		size = caller_handle_size(fs, sf, who, nodeid);
	file_attr(fs, sf, file_node(nodeid), size, ret);
	return 0;
}

int fs_system_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask)
{
	const struct sysfile *sf = sysfile_of(nodeid);
	int r;

	if (nodeid == INODE_SYSTEM_DIR)
		return (mask & W_OK) ? -EACCES : fs_authorize(fs, who, NULL, NULL, NULL);
	if (!sf)
		return -ENOENT;
	if (mask & X_OK)
		return -EACCES;
	if (mask & R_OK) {
		if (sf->kind == SYS_COMMAND)
			return -EACCES;
		r = allowed(fs, who, sf->read_res, sf->read_act, sf->need_all_tenants);
		if (r < 0)
			return r;
	}
	if (mask & W_OK) {
		if (!sf->commit)
			return -EACCES;
		r = allowed(fs, who, sf->write_res, sf->write_act, false);
		if (r < 0)
			return r;
	}
	return allowed(fs, who, NULL, NULL, false);	/* F_OK: the file is there for them */
}

/*
 * A /.system file acts for the uid that opened it (f->who), whose rights
 * were checked at open. A descriptor passed to another uid (SCM_RIGHTS),
 * or kept across a setuid, must not let that uid act as the opener: a
 * token it wrote to the opener's credentials would bind to the opener.
 * So writes, truncation and commits of what was written come from the
 * opener only.
 */
static bool from_opener(const struct sys_file *f, const struct pfs_subject *who)
{
	return who->uid == f->who.uid;
}

int fs_system_setattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *file, const struct stat *attr, unsigned mask,
		      struct stat *ret)
{
	int r = fs_system_getattr(fs, who, nodeid, file, ret);

	if (r < 0)
		return r;
	/*
	 * Times are ignored; a size only truncates what a command file was
	 * given, by its opener (as writes: fs_system_write).
	 */
	if ((mask & (FS_SET_MODE | FS_SET_UID | FS_SET_GID)) ||
	    ((mask & FS_SET_SIZE) &&
	     (!file || attr->st_size != 0 || !from_opener(sys_file_of(file), who))))
		return -EACCES;
	if (mask & FS_SET_SIZE) {
		struct sys_file *f = sys_file_of(file);

		pthread_mutex_lock(&f->lock);
		f->len = 0;
		pthread_mutex_unlock(&f->lock);
	}
	return 0;
}

int fs_system_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		   struct fs_file **ret_file, struct fs_open_flags *ret_flags)
{
	const struct sysfile *sf = sysfile_of(nodeid);
	int acc = flags & O_ACCMODE;
	struct sys_file *f;
	int r;

	if (!sf)
		return nodeid == INODE_SYSTEM_DIR ? -EISDIR : -ENOENT;
	if (acc != O_WRONLY) {
		if (sf->kind == SYS_COMMAND)
			return -EACCES;	/* write-only */
		r = allowed(fs, who, sf->read_res, sf->read_act, sf->need_all_tenants);
		if (r < 0)
			return r;
	}
	if (acc != O_RDONLY) {
		if (!sf->commit)
			return -EACCES;	/* read-only */
		r = allowed(fs, who, sf->write_res, sf->write_act, false);
		if (r < 0)
			return r;
	}
	/* Bounded per uid too: anyone may open whoami, health and events. */
	r = fs_limit_take(fs, METRICS_LIMIT_SYSTEM_HANDLES, who->uid, 1, -EMFILE, -ENFILE);
	if (r < 0)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f) {
		fs_limit_give(fs, METRICS_LIMIT_SYSTEM_HANDLES, who->uid, 1);
		return -ENOMEM;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->base.kind = FS_FILE_SYSTEM;
	f->sysid = (unsigned)file_node(nodeid);
	f->who = *who;
	f->writable = acc != O_RDONLY;
	/* ": > credentials" writes nothing, and means it: an empty value. */
	f->dirty = f->writable && (flags & O_TRUNC);
	if (sf->kind == SYS_SNAPSHOT) {
		r = sf->render(fs, who, &f->snap, &f->snap_len);
		if (r < 0) {
			fs_system_release(fs, &f->base);
			return r;
		}
	} else if (sf->kind == SYS_STREAM) {
		f->cursor = 0;	/* from the oldest event still kept */
	}
	*ret_flags = (struct fs_open_flags){.direct_io = true};
	pthread_mutex_lock(&fs->sys_lock);
	f->next_open = fs->sys_files;
	fs->sys_files = f;
	pthread_mutex_unlock(&fs->sys_lock);
	*ret_file = &f->base;
	return 0;
}

ssize_t fs_system_read(struct fs *fs, struct fs_file *file, char *buf, size_t size, off_t off)
{
	struct sys_file *f = sys_file_of(file);
	const struct sysfile *sf = sysfile_of(f->sysid);
	size_t n = 0;
	int r;

	if (!sf)
		return -EBADF;
	pthread_mutex_lock(&f->lock);
	if (sf->kind == SYS_STREAM) {
		r = stream_pull(fs, f);
		if (r < 0) {
			pthread_mutex_unlock(&f->lock);
			return r;
		}
	}
	if ((uint64_t)off >= f->stream_base && (uint64_t)off < f->stream_base + f->snap_len) {
		size_t at = (size_t)((uint64_t)off - f->stream_base);

		n = f->snap_len - at;
		if (n > size)
			n = size;
		memcpy(buf, f->snap + at, n);
	}
	pthread_mutex_unlock(&f->lock);
	return (ssize_t)n;
}

ssize_t fs_system_write(struct fs *fs, const struct pfs_subject *who, struct fs_file *file,
			const char *buf, size_t size, off_t off)
{
	struct sys_file *f = sys_file_of(file);
	const struct sysfile *sf = sysfile_of(f->sysid);
	ssize_t r = (ssize_t)size;

	(void)fs;
	if (!sf)
		return -EBADF;
	if (!from_opener(f, who)) {
		pfs_log(LOG_DEBUG, "rbac.denied: uid %u wrote to /.system/%s through a descriptor "
			"opened by uid %u", (unsigned)who->uid, sf->name, (unsigned)f->who.uid);
		return -EACCES;
	}
	pthread_mutex_lock(&f->lock);
	if ((size_t)off + size > SYS_WRITE_MAX) {
		r = -EFBIG;
	} else {
		if ((size_t)off + size > f->cap) {
			char *nb = realloc(f->buf, (size_t)off + size + 1);

			if (!nb) {
				pthread_mutex_unlock(&f->lock);
				return -ENOMEM;
			}
			f->buf = nb;
			f->cap = (size_t)off + size + 1;
		}
		if ((size_t)off > f->len)
			memset(f->buf + f->len, 0, (size_t)off - f->len);
		memcpy(f->buf + off, buf, size);
		if ((size_t)off + size > f->len)
			f->len = (size_t)off + size;
		f->dirty = true;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fs_system_flush(struct fs *fs, const struct pfs_subject *who, struct fs_file *file)
{
	struct sys_file *f = sys_file_of(file);
	const struct sysfile *sf = sysfile_of(f->sysid);
	int r = 0;

	if (!sf)
		return -EBADF;
	pthread_mutex_lock(&f->lock);
	if (sf->commit && f->dirty && !from_opener(f, who)) {
		/* Kept for the opener's own close: it wrote this, not the caller. */
		pfs_log(LOG_NOTICE, "rbac.denied: uid %u closed /.system/%s opened by uid %u: "
			"only the opener's close acts on it", (unsigned)who->uid, sf->name,
			(unsigned)f->who.uid);
		r = -EACCES;
	} else if (sf->commit && f->dirty) {
		/* Acted on once, at the first close after a write. */
		f->dirty = false;
		r = sf->commit(fs, &f->who, f->buf ? f->buf : "", f->len);
		if (f->buf)
			explicit_bzero(f->buf, f->len);	/* it may be a token */
		f->len = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

void fs_system_release(struct fs *fs, struct fs_file *file)
{
	struct sys_file *f = sys_file_of(file);

	pthread_mutex_lock(&fs->sys_lock);
	for (struct sys_file **pp = &fs->sys_files; *pp; pp = &(*pp)->next_open) {
		if (*pp == f) {
			*pp = f->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&fs->sys_lock);
	fs_limit_give(fs, METRICS_LIMIT_SYSTEM_HANDLES, f->who.uid, 1);
	if (f->buf)
		explicit_bzero(f->buf, f->cap);
	free(f->buf);
	free(f->snap);
	memtrim_freed(f->cap + f->snap_len);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void fs_system_free_all(struct fs *fs)
{
	while (fs->sys_files)
		fs_system_release(fs, &fs->sys_files->base);
}
