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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_i.h"
#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

#define SYS_WRITE_MAX 65536
#define STREAM_TRIM (4u << 20)

enum sys_kind { SYS_SNAPSHOT, SYS_STREAM, SYS_COMMAND };

typedef int (*sys_render_fn)(struct fs *fs, const struct pfs_subject *who, char **ret,
			     size_t *ret_len);
typedef int (*sys_commit_fn)(struct fs *fs, const struct pfs_subject *who, const char *buf,
			     size_t len);

struct sysfile {
	const char *name;
	enum sys_kind kind;
	mode_t mode;
	/* resource:action needed to read and to write; NULL resource: anyone */
	const char *read_res, *read_act;
	const char *write_res, *write_act;
	bool need_all_tenants;	/* only for a binding scoped to "*" */
	sys_render_fn render;
	sys_commit_fn commit;
};

static int render_metrics(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len);
static int render_health(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len);
static int render_routes(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len);
static int render_whoami(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len);
static int render_policy(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len);
static int commit_reload(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len);
static int commit_expire(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len);
static int render_credentials(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len);
static int commit_credentials(struct fs *fs, const struct pfs_subject *who, const char *buf,
			      size_t len);

static const struct sysfile sysfiles[] = {
	/* Counters of every tenant's operations and decisions: for a "*" scope only. */
	{"metrics", SYS_SNAPSHOT, 0444, "prometheus", "query", NULL, NULL, true, render_metrics,
	 NULL},
	{"audit", SYS_STREAM, 0444, "memory_pin", "admin", NULL, NULL, false, NULL, NULL},
	{"events", SYS_STREAM, 0444, NULL, NULL, NULL, NULL, false, NULL, NULL},
	{"policy", SYS_SNAPSHOT, 0444, "policy", "read", NULL, NULL, false, render_policy, NULL},
	{"reload", SYS_COMMAND, 0200, NULL, NULL, "policy", "write", false, NULL, commit_reload},
	{"routes", SYS_SNAPSHOT, 0444, "prometheus", "query", NULL, NULL, true, render_routes,
	 NULL},
	{"whoami", SYS_SNAPSHOT, 0444, NULL, NULL, NULL, NULL, false, render_whoami, NULL},
	{"expire", SYS_COMMAND, 0200, NULL, NULL, "memory_pin", "admin", false, NULL,
	 commit_expire},
	{"health", SYS_SNAPSHOT, 0444, NULL, NULL, NULL, NULL, false, render_health, NULL},
	/* Each uid reads and writes only its own binding. */
	{"credentials", SYS_SNAPSHOT, 0666, NULL, NULL, NULL, NULL, false, render_credentials,
	 commit_credentials},
};

#define N_SYSFILES PFS_ARRAY_SIZE(sysfiles)
#define SYS_ID(i) ((uint64_t)(INODE_SYSTEM_DIR + 1 + (i)))

static const struct sysfile *sysfile_of(uint64_t nodeid)
{
	if (nodeid <= INODE_SYSTEM_DIR || nodeid > INODE_SYSTEM_DIR + N_SYSFILES)
		return NULL;
	return &sysfiles[nodeid - INODE_SYSTEM_DIR - 1];
}

void fs_system_dir_stat(const struct fs *fs, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = INODE_SYSTEM_DIR;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_atim = st->st_mtim = st->st_ctim = fs->start;
}

static void file_attr(const struct fs *fs, const struct sysfile *sf, uint64_t id, off_t size,
		      struct stat *st)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	memset(st, 0, sizeof(*st));
	st->st_ino = id;
	st->st_mode = S_IFREG | sf->mode;
	st->st_nlink = 1;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_size = size;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = now;
}

/* Whether the anyone-files are open to who: with no policy, only the owner and root. */
static int allowed(struct fs *fs, const struct pfs_subject *who, const char *res, const char *act,
		   bool all_tenants)
{
	if (!res)
		return fs_authorize(fs, who, NULL, NULL, NULL);
	return fs_authorize(fs, who, res, act, all_tenants ? "*" : NULL);
}

int fs_system_lookup(struct fs *fs, const struct pfs_subject *who, const char *name,
		     struct fs_entry *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = fs_authorize(fs, who, NULL, NULL, NULL);
	if (r < 0)
		return r;
	for (size_t i = 0; i < N_SYSFILES; i++) {
		if (strcmp(sysfiles[i].name, name) != 0)
			continue;
		ret->nodeid = SYS_ID(i);
		file_attr(fs, &sysfiles[i], ret->nodeid, 0, &ret->st);
		ret->entry_timeout = 3600;	/* the names never change */
		ret->attr_timeout = 0;
		return 0;
	}
	return -ENOENT;
}

int fs_system_list(struct fs *fs, const struct pfs_subject *who,
		   int (*add)(void *ctx, const char *name, const struct stat *st), void *ctx)
{
	for (size_t i = 0; i < N_SYSFILES; i++) {
		struct stat st;
		int r;

		file_attr(fs, &sysfiles[i], SYS_ID(i), 0, &st);
		r = add(ctx, sysfiles[i].name, &st);
		if (r < 0)
			return r;
	}
	(void)who;
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

/* Whether who may see backend addresses: what /.system/routes needs. */
static bool sees_routes(struct fs *fs, const struct pfs_subject *who)
{
	return fs_visible(fs, who, "prometheus", "query", "*");
}

/* Backend no as metrics label it (route="N"): a number that reveals no address. */
static void backend_label(struct fs *fs, unsigned no, char *buf, size_t len)
{
	int slot = __atomic_load_n(&fs->metrics_slot[no], __ATOMIC_RELAXED);

	snprintf(buf, len, "%d", slot >= 0 ? slot : (int)no);
}

/* Stream files: renders what the reader has not seen yet. Caller holds f->lock. */
static int stream_pull(struct fs *fs, struct fs_file *f)
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
 * fstat(2) reaches FUSE without the file handle, so a stream's size is
 * taken from the handle the calling thread opened on that node, if any:
 * tail -f opens, fstats and reads from one thread.
 */
/* The size one open file of a stream or command can read. Caller holds f's node. */
static off_t handle_size(struct fs *fs, const struct sysfile *sf, struct fs_file *f)
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
 * fstat(2) reaches FUSE without the file handle, so a stream's size is
 * taken from the handle the calling thread opened on that node, if any:
 * tail -f opens, fstats and reads from one thread. sys_lock keeps the
 * handle from being released meanwhile (lock order: sys_lock, then f->lock).
 */
static off_t caller_handle_size(struct fs *fs, const struct sysfile *sf,
				const struct pfs_subject *who, uint64_t nodeid)
{
	off_t size = 0;

	pthread_mutex_lock(&fs->sys_lock);
	for (struct fs_file *f = fs->sys_files; f; f = f->next_open) {
		if (f->sysid == nodeid && f->who.pid == who->pid && f->who.uid == who->uid) {
			size = handle_size(fs, sf, f);
			break;
		}
	}
	pthread_mutex_unlock(&fs->sys_lock);
	return size;
}

int fs_system_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      struct fs_file *f, struct stat *ret)
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
	if (f && f->kind == FS_FILE_SYSTEM)
		size = handle_size(fs, sf, f);
	else if (sf->kind == SYS_STREAM)
		size = caller_handle_size(fs, sf, who, nodeid);
	file_attr(fs, sf, nodeid, size, ret);
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

int fs_system_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
		   struct fs_file **ret_file, struct fs_open_flags *ret_flags)
{
	const struct sysfile *sf = sysfile_of(nodeid);
	int acc = flags & O_ACCMODE;
	struct fs_file *f;
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
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->kind = FS_FILE_SYSTEM;
	f->sysid = (unsigned)nodeid;
	f->who = *who;
	f->writable = acc != O_RDONLY;
	/* ": > credentials" writes nothing, and means it: an empty value. */
	f->dirty = f->writable && (flags & O_TRUNC);
	if (sf->kind == SYS_SNAPSHOT) {
		r = sf->render(fs, who, &f->snap, &f->snap_len);
		if (r < 0) {
			fs_system_release(fs, f);
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
	*ret_file = f;
	return 0;
}

ssize_t fs_system_read(struct fs *fs, struct fs_file *f, char *buf, size_t size, off_t off)
{
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

ssize_t fs_system_write(struct fs *fs, struct fs_file *f, const char *buf, size_t size, off_t off)
{
	ssize_t r = (ssize_t)size;

	(void)fs;
	if (off < 0)
		return -EINVAL;
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

int fs_system_flush(struct fs *fs, struct fs_file *f)
{
	const struct sysfile *sf = sysfile_of(f->sysid);
	int r = 0;

	if (!sf)
		return -EBADF;
	pthread_mutex_lock(&f->lock);
	if (sf->commit && f->dirty) {
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

void fs_system_release(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->sys_lock);
	for (struct fs_file **pp = &fs->sys_files; *pp; pp = &(*pp)->next_open) {
		if (*pp == f) {
			*pp = f->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&fs->sys_lock);
	if (f->buf)
		explicit_bzero(f->buf, f->cap);
	free(f->buf);
	free(f->snap);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* ------------------------------------------------------------------ */
/* renderers                                                          */

static int dump_json(json_t *o, char **ret, size_t *ret_len)
{
	char *s;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	/* A final newline, like every text file. */
	*ret_len = strlen(s);
	char *t = realloc(s, *ret_len + 2);

	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[(*ret_len)++] = '\n';
	t[*ret_len] = '\0';
	*ret = t;
	return 0;
}

static int render_metrics(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	(void)who;
	fs_refresh_backend_health(fs);
	return metrics_render(ret, len);
}

/*
 * "ok", or a line per backend that is down: named by its address for who
 * may read /.system/routes, else by its metrics label (anyone may read
 * health; the route table is not anyone's business).
 */
static int render_health(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *out;
	bool names = sees_routes(fs, who);
	size_t n;

	out = open_memstream(&text, &tlen);
	if (!out)
		return -ENOMEM;
	n = fs_refresh_backend_health(fs);
	if (n == 0) {
		fputs("ok\n", out);
	} else {
		for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
			int64_t since = __atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED);
			char when[TIME_RFC3339_LEN], label[16];

			if (!since || !fs_backend_routed(fs, (unsigned)i))
				continue;
			time_rfc3339(since, 0, when);
			backend_label(fs, (unsigned)i, label, sizeof(label));
			if (names)
				fprintf(out, "degraded: backend \"%s\" (route=\"%s\") down since %s\n",
					backend_name(backend_set_get(fs->backends, i)), label, when);
			else
				fprintf(out, "degraded: backend route=\"%s\" down since %s\n", label,
					when);
		}
	}
	if (fclose(out) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	*len = tlen;
	return 0;
}

static int render_routes(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	json_t *doc = json_object(), *routes = json_array(), *backends = json_array();

	(void)who;
	if (!doc || !routes || !backends) {
		json_decref(doc);
		json_decref(routes);
		json_decref(backends);
		return -ENOMEM;
	}
	fs_refresh_backend_health(fs);
	pthread_rwlock_rdlock(&fs->routes_lock);
	json_object_set_new(doc, "mode", json_string(config_mode_name(fs->mode)));
	for (size_t i = 0; i < route_table_n_routes(fs->routes); i++) {
		unsigned no;
		const char *pattern = route_table_pattern(fs->routes, i, &no);
		char label[16];

		backend_label(fs, no, label, sizeof(label));
		json_array_append_new(
			routes, json_pack("{s:s, s:s, s:s, s:b}", "tenant", pattern, "backend",
					  backend_name(backend_set_get(fs->backends, no)),
					  "metrics_route", label, "up",
					  __atomic_load_n(&fs->down_since[no], __ATOMIC_RELAXED) == 0));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
		int64_t since = __atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED);
		char when[TIME_RFC3339_LEN] = "", label[16];

		if (!fs_backend_routed(fs, (unsigned)i))
			continue;
		if (since)
			time_rfc3339(since, 0, when);
		backend_label(fs, (unsigned)i, label, sizeof(label));
		json_array_append_new(backends,
				      json_pack("{s:s, s:s, s:b, s:s?}", "backend",
						backend_name(backend_set_get(fs->backends, i)),
						"metrics_route", label, "up", since == 0, "down_since",
						since ? when : NULL));
	}
	json_object_set_new(doc, "routes", routes);
	json_object_set_new(doc, "backends", backends);
	return dump_json(doc, ret, len);
}

static json_t *string_array(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *cstring_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void add_grant(void *ctx, const char *const *roles, size_t n_roles,
		      const char *const *tenants, size_t n_tenants)
{
	json_array_append_new(ctx, json_pack("{s:o, s:o}", "roles", cstring_array(roles, n_roles),
					     "tenants", cstring_array(tenants, n_tenants)));
}

static int render_whoami(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	char subject[AUDIT_SUBJECT_MAX];

	if (!doc)
		return -ENOMEM;
	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	fs_subject_name(token, who->uid, subject, sizeof(subject));
	json_object_set_new(doc, "uid", json_integer(who->uid));
	json_object_set_new(doc, "gid", json_integer(who->gid));
	json_object_set_new(doc, "subject", json_string(subject));
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (fs->policy) {
		struct policy_subject subj = {.uid = who->uid, .gid = who->gid,
					      .groups = fs_proc_groups,
					      .groups_ctx = (void *)who, .token = token};
		json_t *grants = json_array();

		json_object_set_new(doc, "policy_version", json_string(policy_version(fs->policy)));
		json_object_set_new(doc, "enforce", json_boolean(policy_enforcing(fs->policy)));
		/* Each binding that applies: its roles hold on its tenants only. */
		if (grants)
			policy_describe(fs->policy, &subj, add_grant, grants);
		json_object_set_new(doc, "grants", grants ? grants : json_array());
	} else {
		json_object_set_new(doc, "policy_version", json_null());
		json_object_set_new(doc, "note",
				    json_string(who->uid == 0 || who->uid == fs->opts.owner_uid
							? "no policy: the owner and root may do anything"
							: "no policy: only the owner and root have access"));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	if (token) {
		time_rfc3339(token->exp * 1000000, 0, when);
		json_object_set_new(doc, "roles", string_array(token->roles, token->n_roles));
		json_object_set_new(doc, "tenants", string_array(token->tenants, token->n_tenants));
		json_object_set_new(doc, "token_expires_at", json_string(when));
	} else {
		json_object_set_new(doc, "token_expires_at", json_null());
	}
	return dump_json(doc, ret, len);
}

/* The tenant entries of every binding that applies to a caller (its scope). */
struct scope {
	json_t *entries;	/* array of strings */
};

static void add_scope(void *ctx, const char *const *roles, size_t n_roles,
		      const char *const *tenants, size_t n_tenants)
{
	struct scope *sc = ctx;

	(void)roles;
	(void)n_roles;
	for (size_t i = 0; i < n_tenants; i++)
		json_array_append_new(sc->entries, json_string(tenants[i]));
}

/*
 * Keeps in the policy body's bindings only the tenant entries inside the
 * caller's scope, and drops the bindings left with none: a caller sees who
 * else is bound to its own tenants, not other tenants' names and subjects.
 * Fails closed (a binding that cannot be filtered is dropped).
 */
static void filter_bindings(json_t *body, json_t *entries)
{
	json_t *bindings = json_object_get(body, "bindings");
	size_t n = json_array_size(entries), i = 0;
	const char **scope = calloc(n + 1, sizeof(*scope));

	if (!json_is_array(bindings))
		goto out;
	for (size_t k = 0; scope && k < n; k++)
		scope[k] = json_string_value(json_array_get(entries, k));
	while (i < json_array_size(bindings)) {
		json_t *b = json_array_get(bindings, i);
		json_t *kept = scope ? json_array() : NULL;
		json_t *t;
		size_t j;

		json_array_foreach(json_object_get(b, "tenants"), j, t)
			if (kept && json_is_string(t) &&
			    policy_scope_includes(scope, n, json_string_value(t)))
				json_array_append(kept, t);
		if (json_array_size(kept) == 0 || json_object_set_new(b, "tenants", kept) < 0) {
			json_decref(kept);
			json_array_remove(bindings, i);
			continue;
		}
		i++;
	}
out:
	free(scope);
}

/*
 * The effective policy. Its bindings name other tenants and their
 * subjects: a caller that holds neither policy:read on a "*" scope nor
 * policy:write sees only the bindings of its own tenants ("filtered").
 */
static int render_policy(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	bool all = fs_visible(fs, who, "policy", "read", "*") ||
		   fs_visible(fs, who, "policy", "write", NULL);

	if (!doc)
		return -ENOMEM;
	if (!all)
		token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (fs->policy) {
		json_t *body = json_loads(policy_text(fs->policy), JSON_DECODE_ANY, NULL);

		if (body && !all) {
			struct policy_subject subj = {.uid = who->uid, .gid = who->gid,
						      .groups = fs_proc_groups,
						      .groups_ctx = (void *)who, .token = token};
			struct scope sc = {.entries = json_array()};

			if (sc.entries)
				policy_describe(fs->policy, &subj, add_scope, &sc);
			filter_bindings(body, sc.entries);
			json_decref(sc.entries);
		}
		time_rfc3339(policy_loaded_at(fs->policy) * 1000000, 0, when);
		json_object_set_new(doc, "version", json_string(policy_version(fs->policy)));
		json_object_set_new(doc, "hash", json_string(policy_hash(fs->policy)));
		json_object_set_new(doc, "enforce", json_boolean(policy_enforcing(fs->policy)));
		json_object_set_new(doc, "loaded_at", json_string(when));
		json_object_set_new(doc, "filtered", json_boolean(!all));
		json_object_set_new(doc, "policy", body ? body : json_null());
	} else {
		json_object_set_new(doc, "version", json_null());
		json_object_set_new(doc, "enforce", json_true());
		json_object_set_new(doc, "policy", json_null());
		json_object_set_new(doc, "note",
				    json_string("no policy configured: only the mounting uid and "
						"root may do anything"));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	return dump_json(doc, ret, len);
}

static int commit_reload(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len)
{
	struct pfs_error err = {0};
	int r;

	(void)buf;
	(void)len;
	if (!fs->opts.reload)
		return -EOPNOTSUPP;
	r = fs->opts.reload(fs->opts.reload_ctx, &err);
	if (r < 0) {
		pfs_log(LOG_ERR, "reload by uid %u refused, keeping the last good config: %s",
			(unsigned)who->uid, err.message);
		return -EINVAL;
	}
	pfs_log(LOG_NOTICE, "reloaded by uid %u", (unsigned)who->uid);
	return 0;
}

static int commit_expire(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len)
{
	int r;

	(void)buf;
	(void)len;
	r = fs_expire_now(fs, "fs");
	if (r >= 0)
		pfs_log(LOG_INFO, "expire by uid %u: %d pin(s) deleted", (unsigned)who->uid, r);
	return r < 0 ? r : 0;
}

static int render_credentials(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	bool enabled;

	if (!doc)
		return -ENOMEM;
	pthread_rwlock_rdlock(&fs->routes_lock);
	enabled = fs->verifier != NULL;
	pthread_rwlock_unlock(&fs->routes_lock);
	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	json_object_set_new(doc, "uid", json_integer(who->uid));
	json_object_set_new(doc, "tokens_enabled", json_boolean(enabled));
	json_object_set_new(doc, "bound", json_boolean(token != NULL));
	if (token) {
		time_rfc3339(token->exp * 1000000, 0, when);
		json_object_set_new(doc, "subject", json_string(token->sub));
		json_object_set_new(doc, "roles", string_array(token->roles, token->n_roles));
		json_object_set_new(doc, "tenants", string_array(token->tenants, token->n_tenants));
		json_object_set_new(doc, "expires_at", json_string(when));
	}
	return dump_json(doc, ret, len);
}

/*
 * A token written here binds to the writer's uid until it expires; an
 * empty write removes the binding. The error is close()'s: EACCES for a
 * token that does not verify, E2BIG past the size cap, EOPNOTSUPP when no
 * "tokens" are configured.
 */
static int commit_credentials(struct fs *fs, const struct pfs_subject *who, const char *buf,
			      size_t len)
{
	struct pfs_error err = {0};
	size_t n = len;
	int r;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		r = cred_store_unbind(fs->creds, who->uid);
		return r == -ENOENT ? 0 : r;
	}
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (!fs->verifier)
		r = -EOPNOTSUPP;
	else
		r = cred_store_bind(fs->creds, fs->verifier, who->uid, buf, n,
				    time_now_us() / 1000000, &err);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (r < 0)
		pfs_log(LOG_NOTICE, "rbac.token_rejected: uid %u: %s", (unsigned)who->uid,
			r == -EOPNOTSUPP ? "no \"tokens\" configured" : err.message);
	else
		pfs_log(LOG_INFO, "uid %u bound a token", (unsigned)who->uid);
	return r;
}
