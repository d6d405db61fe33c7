/* SPDX-License-Identifier: MIT */
/* Directories: listings, tenants made and removed, statfs (see fs_dir.h). */
#include "fs_dir.h"
#include "fs_access.h"
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_names.h"
#include "fs_pending.h"
#include "fs_pin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/backend.h"
#include "pinfs/inode_table.h"
#include "pinfs/log.h"
#include "pinfs/path_codec.h"
#include "pinfs/timeutil.h"

#define DIR_PAGE 256

struct dir_entry {
	char *name;
	char *key;			/* the pin's key when it differs from name, else NULL */
	struct stat st;
	bool whole;			/* st is the pin's as a lookup gives it (readdirplus) */
	pfs_usec_t expires_at;		/* when whole: the pin's expiry, for the entry's timeout */
};

struct fs_dir {
	pthread_mutex_t lock;
	uint64_t nodeid;
	struct fs_grant grant;		/* the last caller's standing (tenants, the root) */
	bool root;			/* the root's listing: filtered for its caller */
	char *tenant;			/* NULL for the root and fixed listings */
	struct backend *be;
	unsigned backend_no;
	struct dir_entry *ents;		/* the current page */
	size_t n_ents, pos, cap;
	char *after_key;		/* last key fetched */
	bool eof;
	off_t next_off;			/* offset of ents[pos] */
};

/* Notes that tenant was removed now (for the root's modification time). */
static void remember_gone(struct fs *fs, const char *tenant)
{
	struct fs_gone_tenant *g;

	pthread_mutex_lock(&fs->gone_lock);
	g = &fs->gone[fs->n_gone++ % PFS_ARRAY_SIZE(fs->gone)];
	snprintf(g->name, sizeof(g->name), "%s", tenant);
	g->at_us = time_now_us();
	pthread_mutex_unlock(&fs->gone_lock);
}

int fs_mkdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	     struct fs_entry *ret)
{
	struct tenant_times times;
	struct backend *be;
	int64_t started = time_now_us();
	int r;

	memset(ret, 0, sizeof(*ret));
	if (parent != INODE_ROOT || fs->opts.only_tenant)
		return -EPERM;	/* keys hold values, not directories */
	/* One rule for names made through the mount: a leading "." is EACCES (editors fall back). */
	if (name[0] == '.')
		return -EACCES;
	r = path_tenant_validate(name);
	if (r < 0)
		return r;
	r = fs_route_allow(fs, who, name, FS_ALLOW(POLICY_ADMIN), "mkdir", NULL, &be, NULL);
	if (r < 0)
		return r;
	r = backend_tenant_create(be, name);
	fs_audit(fs, be, who, "mkdir", name, NULL, r, NULL, 0, started);
	if (r < 0)
		return r;
	times.created_at = times.changed_at = time_now_us();
	return fs_names_tenant_entry(fs, name, &times, ret);
}

int fs_rmdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name)
{
	struct backend *be;
	int64_t started = time_now_us();
	unsigned no;
	int r;

	if (parent != INODE_ROOT || fs->opts.only_tenant)
		return -ENOTDIR;
	if (path_tenant_validate(name) < 0)
		return -ENOENT;
	r = fs_route_allow(fs, who, name, FS_ALLOW(POLICY_ADMIN), "rmdir", NULL, &be, &no);
	if (r < 0)
		return r;
	/*
	 * A file created in it and still open is an entry too (its commit would
	 * bring the tenant back); scratch names nobody holds go with it.
	 */
	r = fs_pending_open_in_tenant(fs, name) ? -ENOTEMPTY : backend_tenant_delete(be, name);
	fs_audit(fs, be, who, "rmdir", name, NULL, r, NULL, 0, started);
	if (r == 0) {
		remember_gone(fs, name);
		fs_pending_drop_tenant(fs, name);
		inode_table_detach(fs->nodes, name, NULL);
		pin_cache_invalidate(fs->cache, no, name, NULL, true);
	}
	return r;
}

static void dir_clear_page(struct fs_dir *d)
{
	for (size_t i = 0; i < d->n_ents; i++) {
		free(d->ents[i].name);
		free(d->ents[i].key);
	}
	free(d->ents);
	d->ents = NULL;
	d->n_ents = d->pos = d->cap = 0;
}

/* Adds name to d's page; the new entry is d->ents[d->n_ents - 1]. */
int fs_dir_add(void *ctx, const char *name, const struct stat *st)
{
	struct fs_dir *d = ctx;

	if (d->n_ents == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct dir_entry *ne = realloc(d->ents, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		d->ents = ne;
		d->cap = cap;
	}
	d->ents[d->n_ents] = (struct dir_entry){.name = strdup(name), .st = *st};
	if (!d->ents[d->n_ents].name)
		return -ENOMEM;
	d->n_ents++;
	return 0;
}

static struct fs_dir *dir_new(uint64_t nodeid)
{
	struct fs_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	d->nodeid = nodeid;
	return d;
}

int fs_dir_new_fixed(uint64_t nodeid, struct fs_dir **ret_dir)
{
	struct fs_dir *d = dir_new(nodeid);

	if (!d)
		return -ENOMEM;
	d->eof = true;
	*ret_dir = d;
	return 0;
}

/* What a backend's listing callback fills in. */
struct collect {
	struct fs *fs;
	struct fs_dir *dir;
	bool prefill;		/* put what the page brings into the cache */
	uint64_t gen;
	const struct pfs_subject *who;
	struct backend *be;
	size_t max;		/* max_value_bytes */
	int err;
};

static int collect_tenant(void *ctx, const char *tenant)
{
	struct collect *c = ctx;
	struct backend *be;
	struct stat st;

	/* Only names this backend really serves, and only those the caller may see. */
	if (path_tenant_validate(tenant) < 0)
		return 0;
	if (fs_route(c->fs, tenant, &be, NULL) < 0 || be != c->be)
		return 0;
	/* Hiding others' tenants is filtering, not a refusal: nothing counted or audited. */
	if (!fs_visible(c->fs, c->who, POLICY_RES_MEMORY_PIN, "read", tenant))
		return 0;
	fs_fill_dir_stat(c->fs, fs_tenant_ino(tenant), &st);
	return c->err = fs_dir_add(c->dir, tenant, &st);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

/*
 * The root's listing: tenants are few, so it is read whole at opendir.
 * /.system is not listed (reachable by name, like a NetApp .snapshot), so
 * that tar, find, cp -r, du and rsync walk pins only.
 */
static int root_fill(struct fs *fs, const struct pfs_subject *who, struct fs_dir *d)
{
	struct collect c = {.fs = fs, .dir = d, .who = who};
	struct backend **bes;
	size_t n, out = 0;
	int r = 0;

	/* Copy the backends out: listing does I/O, and a reload must not wait for it. */
	pthread_rwlock_rdlock(&fs->routes_lock);
	n = route_table_n_backends(fs->routes);
	bes = calloc(n + 1, sizeof(*bes));
	for (size_t i = 0; bes && i < n; i++)
		bes[i] = route_table_backend(fs->routes, i);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (!bes)
		return -ENOMEM;
	for (size_t i = 0; i < n && r >= 0; i++) {
		c.be = bes[i];
		r = backend_tenant_list(c.be, collect_tenant, &c);
		if (r >= 0 && c.err)
			r = c.err;
	}
	free(bes);
	if (r < 0)
		return r;
	if (d->n_ents > 1)	/* (with none, ents is NULL: qsort must not see it) */
		qsort(d->ents, d->n_ents, sizeof(*d->ents), cmp_ent);
	for (size_t i = 0; i < d->n_ents; i++) {
		if (out > 0 && strcmp(d->ents[out - 1].name, d->ents[i].name) == 0) {
			free(d->ents[i].name);
			continue;
		}
		d->ents[out++] = d->ents[i];
	}
	d->n_ents = out;
	d->eof = true;
	return 0;
}

static int collect_pin(void *ctx, const char *key, const struct pin *p)
{
	struct collect *c = ctx;
	PFS_AUTOFREE char *name = NULL;
	struct dir_entry *ent;
	struct stat st;
	bool whole;
	char *last;

	last = strdup(key);
	if (!last)
		return c->err = -ENOMEM;
	free(c->dir->after_key);
	c->dir->after_key = last;
	/* A key no file name can carry (too long once encoded) is not listed. */
	if (path_key_encode(key, &name) < 0 || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
		return 0;
	memset(&st, 0, sizeof(st));
	st.st_ino = fs_pin_ino(c->dir->backend_no, c->dir->tenant, key, &p->meta);
	st.st_mode = S_IFREG | 0644;
	whole = false;
	if (c->prefill && (p->value || p->value_len > c->max)) {
		/* ls -l looks up every name next: the page already holds the values. */
		PFS_AUTOFREE char *text = NULL;
		size_t len;
		int r = p->value ? fs_pin_render(p, c->max, &text, &len) : -EFBIG;

		if (r == 0)
			pin_cache_put(c->fs->cache, c->dir->backend_no, c->gen, c->dir->tenant, key,
				      text, len, &p->meta);
		else if (r == -EFBIG)	/* its lookup need not have it printed again */
			pin_cache_put_too_large(c->fs->cache, c->dir->backend_no, c->gen,
						c->dir->tenant, key, c->max, &p->meta);
		if (r == 0 || r == -EFBIG) {
			/* The attributes a lookup would give (too large: size 0, as read returns). */
			fs_pin_stat(c->fs, c->dir->backend_no, c->dir->tenant, key, r == 0 ? len : 0,
				    &p->meta, &st);
			whole = true;
		}
	}
	c->err = fs_dir_add(c->dir, name, &st);
	if (c->err < 0 || !whole)
		return c->err;
	ent = &c->dir->ents[c->dir->n_ents - 1];
	ent->whole = true;
	ent->expires_at = p->meta.expires_at;
	if (strcmp(name, key) != 0 && !(ent->key = strdup(key)))
		return c->err = -ENOMEM;
	return 0;
}

static int tenant_page(struct fs *fs, struct fs_dir *d)
{
	struct collect c = {.fs = fs, .dir = d, .max = fs_gen_limit(fs, &fs->max_value_bytes)};
	int r;

	dir_clear_page(d);
	if (fs_feed_vouches(fs, d->backend_no)) {
		c.prefill = true;
		c.gen = pin_cache_generation(fs->cache, d->backend_no);
	}
	/* Values only to prefill the cache: else none is fetched (max 0). */
	r = backend_pin_list(d->be, d->tenant, d->after_key, DIR_PAGE, c.prefill ? c.max : 0,
			     collect_pin, &c);
	if (c.err)
		return c.err;
	if (r < 0)
		return r;
	if (r < DIR_PAGE)
		d->eof = true;
	return 0;
}

int fs_dir_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		struct fs_dir **ret_dir)
{
	struct fs_dir *d;
	char *tenant = NULL;
	uint64_t gen = fs_access_generation(fs);
	int r;

	r = fs_names_resolve_dir(fs, nodeid, &tenant);
	if (r < 0)
		return r;
	d = dir_new(nodeid);
	if (!d) {
		free(tenant);
		return -ENOMEM;
	}
	d->tenant = tenant;
	if (tenant) {
		fs_names_note_walker(fs, who, nodeid);
		r = fs_route_allow(fs, who, tenant, FS_ALLOW(POLICY_READ), NULL, NULL, &d->be,
				   &d->backend_no);
	} else {
		/* Anyone a policy knows may list the root: they see their tenants. */
		d->root = true;
		r = fs_authorize(fs, who, NULL, NULL, NULL);
		if (r == 0)
			r = root_fill(fs, who, d);
	}
	if (r < 0) {
		fs_releasedir(fs, d);
		return r;
	}
	fs_grant_init(fs, &d->grant, who, gen);
	*ret_dir = d;
	return 0;
}

int fs_dir_root_stat(struct fs *fs, const struct pfs_subject *who, struct stat *st)
{
	struct fs_dir *d;
	int64_t newest = 0;
	size_t tenants = 0;
	int r;

	fs_fill_dir_stat(fs, INODE_ROOT, st);
	/* Only what this caller may see counts: the root's listing for it. */
	r = fs_dir_open(fs, who, INODE_ROOT, &d);
	if (r == -EACCES)
		return 0;	/* no tenant to count: the mount's own attributes */
	if (r < 0)
		return r;
	for (size_t i = 0; i < d->n_ents; i++) {
		struct tenant_times t;
		struct backend *be;
		unsigned no;

		tenants++;
		if (fs_route(fs, d->ents[i].name, &be, &no) == 0 &&
		    fs_tenant_fetch(fs, be, no, d->ents[i].name, &t) == 0 && t.created_at > newest)
			newest = t.created_at;
	}
	fs_releasedir(fs, d);
	/* Removals of tenants this caller could see move it too. */
	pthread_mutex_lock(&fs->gone_lock);
	for (unsigned i = 0; i < fs->n_gone && i < PFS_ARRAY_SIZE(fs->gone); i++) {
		const struct fs_gone_tenant *g = &fs->gone[i];

		if (g->at_us > newest && fs_visible(fs, who, POLICY_RES_MEMORY_PIN, "read", g->name))
			newest = g->at_us;
	}
	pthread_mutex_unlock(&fs->gone_lock);
	st->st_nlink = 2 + tenants;
	if (newest)
		st->st_mtim = st->st_ctim = st->st_atim = fs_usec_to_ts(newest);
	return 0;
}

/*
 * Whether who may still list d (revocation reaches open directories): a
 * tenant's needs read on it now; the root's is listed again for who when
 * access may have changed since, so it shows only what who may see now.
 * Caller holds d->lock.
 */
static int dir_check(struct fs *fs, const struct pfs_subject *who, struct fs_dir *d)
{
	uint64_t gen;
	int r;

	if (d->tenant)
		return fs_grant_check(fs, &d->grant, who, d->tenant, FS_ALLOW(POLICY_READ));
	if (!d->root || fs_grant_current(fs, &d->grant, who))
		return d->root ? d->grant.result : 0;
	gen = fs_access_generation(fs);
	dir_clear_page(d);
	d->pos = 0;
	d->next_off = 2;	/* readdir skips to the caller's offset again */
	r = fs_authorize(fs, who, NULL, NULL, NULL);
	if (r == 0)
		r = root_fill(fs, who, d);
	if (r < 0)
		dir_clear_page(d);
	fs_grant_init(fs, &d->grant, who, gen);
	d->grant.result = r;
	if (r < 0 && r != -EACCES)
		d->grant.gen = 0;	/* not a decision: the next readdir tries again */
	return r;
}

static void dir_rewind(struct fs_dir *d)
{
	if (d->tenant) {
		dir_clear_page(d);
		free(d->after_key);
		d->after_key = NULL;
		d->eof = false;
	}
	d->pos = 0;
	d->next_off = 2;
}

/*
 * Offers ent to fill. In a readdirplus listing a pin the page brought whole
 * goes as its lookup would: with a lookup reference for the kernel, given
 * back if the reply has no room for it.
 */
static int offer(struct fs *fs, struct fs_dir *d, const struct dir_entry *ent, bool plus,
		 fs_dir_filler fill, void *ctx, off_t next_off)
{
	struct fs_entry e = {.st = ent->st};
	int full;

	if (plus && ent->whole &&
	    inode_table_ref(fs->nodes, d->tenant, ent->key ? ent->key : ent->name, &e.nodeid) == 0)
		e.entry_timeout = e.attr_timeout =
		    fs_key_timeout(fs, e.nodeid, d->backend_no, ent->expires_at);
	full = fill(ctx, ent->name, &e, next_off);
	if (full && e.nodeid)
		inode_table_forget(fs->nodes, e.nodeid, 1);
	return full;
}

/* "." or "..": the kernel takes no reference for them, so none is given. */
static int offer_dot(struct fs *fs, const char *name, uint64_t ino, fs_dir_filler fill, void *ctx,
		     off_t next_off)
{
	struct fs_entry e = {0};

	fs_fill_dir_stat(fs, ino, &e.st);
	return fill(ctx, name, &e, next_off);
}

int fs_readdir(struct fs *fs, const struct pfs_subject *who, struct fs_dir *d, off_t off,
	       bool plus, fs_dir_filler fill, void *ctx)
{
	int r;

	pthread_mutex_lock(&d->lock);
	r = dir_check(fs, who, d);
	if (r < 0)
		goto out;
	/* Offsets: 1 after ".", 2 after "..", then one per entry. */
	if (off == 0) {
		dir_rewind(d);
		if (offer_dot(fs, ".", d->tenant ? fs_tenant_ino(d->tenant) : d->nodeid, fill, ctx,
			      1))
			goto out;
		off = 1;
	}
	if (off == 1) {
		if (offer_dot(fs, "..", INODE_ROOT, fill, ctx, 2))
			goto out;
		off = 2;
	}
	if (off != d->next_off) {
		/* seekdir() to an older position: list again from the start and skip. */
		dir_rewind(d);
		while (d->next_off < off) {
			if (d->pos == d->n_ents) {
				if (d->eof)
					goto out;
				r = tenant_page(fs, d);
				if (r < 0)
					goto out;
				continue;
			}
			d->pos++;
			d->next_off++;
		}
	}
	for (;;) {
		if (d->pos == d->n_ents) {
			if (d->eof || !d->tenant)
				break;
			r = tenant_page(fs, d);
			if (r < 0)
				goto out;
			if (d->n_ents == 0)
				break;
			continue;
		}
		if (offer(fs, d, &d->ents[d->pos], plus, fill, ctx, d->next_off + 1))
			break;
		d->pos++;
		d->next_off++;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return r;
}

void fs_releasedir(struct fs *fs, struct fs_dir *d)
{
	(void)fs;
	dir_clear_page(d);
	free(d->after_key);
	free(d->tenant);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int fs_statfs(struct fs *fs, struct statvfs *ret)
{
	(void)fs;
	/* Nothing meaningful to count; plausible numbers keep df and editors happy. */
	memset(ret, 0, sizeof(*ret));
	ret->f_bsize = 4096;
	ret->f_frsize = 4096;
	ret->f_blocks = 1ull << 28;
	ret->f_bfree = 1ull << 27;
	ret->f_bavail = 1ull << 27;
	ret->f_files = 1ull << 32;
	ret->f_ffree = 1ull << 31;
	ret->f_favail = 1ull << 31;
	ret->f_namemax = PATH_NAME_MAX;
	return 0;
}
