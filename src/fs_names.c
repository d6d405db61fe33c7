/* SPDX-License-Identifier: MIT */
/* Names: lookups, unlink and rename of keys (see fs_names.h). */
#include "fs_names.h"
#include "fs_access.h"
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_pending.h"
#include "fs_pin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/backend.h"
#include "pinfs/inode_table.h"
#include "pinfs/log.h"
#include "pinfs/path_codec.h"
#include "pinfs/timeutil.h"

int fs_names_resolve(struct fs *fs, uint64_t nodeid, enum inode_kind *ret_kind,
		     char **ret_tenant, char **ret_key)
{
	int r;

	if (nodeid == INODE_ROOT && fs->opts.only_tenant) {
		/* -o tenant=NAME: the mount's root is that tenant's directory. */
		*ret_kind = INODE_KIND_TENANT;
		*ret_key = NULL;
		*ret_tenant = strdup(fs->opts.only_tenant);
		return *ret_tenant ? 0 : -ENOMEM;
	}
	r = inode_table_resolve(fs->nodes, nodeid, ret_kind, ret_tenant, ret_key);
	return r == -ESTALE ? -ENOENT : r;
}

int fs_names_resolve_dir(struct fs *fs, uint64_t nodeid, char **ret_tenant)
{
	enum inode_kind kind;
	char *tenant, *key;
	int r;

	if (nodeid == INODE_ROOT && !fs->opts.only_tenant) {
		*ret_tenant = NULL;
		return 0;
	}
	if (nodeid == INODE_SYSTEM_DIR)
		return -EACCES;	/* /.system's names are fixed */
	r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r;
	free(key);
	if (kind != INODE_KIND_TENANT) {
		free(tenant);
		return kind == INODE_KIND_PIN ? -ENOTDIR : -ENOENT;
	}
	*ret_tenant = tenant;
	return 0;
}

void fs_names_note_walker(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid)
{
	struct inode_walker w = {.uid = who->uid, .gid = who->gid, .pid = who->pid};

	inode_table_note_walker(fs->nodes, nodeid, &w);
}

int fs_names_tenant_entry(struct fs *fs, const char *tenant, const struct tenant_times *times,
			  struct fs_entry *ret)
{
	int r = inode_table_ref(fs->nodes, tenant, NULL, &ret->nodeid);

	if (r < 0)
		return r;
	fs_fill_tenant_stat(fs, tenant, times, &ret->st);
	ret->entry_timeout = 0;	/* every path walk re-asks with the caller's credentials */
	ret->attr_timeout = FS_TENANT_ATTR_TIMEOUT;
	return 0;
}

static int lookup_tenant(struct fs *fs, const struct pfs_subject *who, const char *name,
			 struct fs_entry *ret)
{
	struct tenant_times times;
	struct backend *be;
	unsigned no;
	int r;

	/* A name that cannot be a tenant cannot exist. */
	if (path_tenant_validate(name) < 0)
		return -ENOENT;
	r = fs_route_allow(fs, who, name, FS_ALLOW(POLICY_READ), NULL, NULL, &be, &no);
	if (r < 0)
		return r;
	/* Every path walk comes here (tenant entries are never cached by the kernel). */
	r = fs_tenant_fetch(fs, be, no, name, &times);
	if (r < 0)
		return r;
	r = fs_names_tenant_entry(fs, name, &times, ret);
	if (r == 0)
		fs_names_note_walker(fs, who, ret->nodeid);	/* it may hold the node now */
	return r;
}

int fs_names_lookup_key(struct fs *fs, const struct pfs_subject *who, const char *tenant,
			const char *name, struct fs_entry *ret)
{
	PFS_AUTOFREE char *key = NULL;
	PFS_AUTOFREE char *text = NULL;
	struct pin_meta meta;
	size_t len;
	struct backend *be;
	unsigned no;
	int r;

	r = path_key_decode_existing(name, &key);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = fs_route_allow(fs, who, tenant, FS_ALLOW(POLICY_READ), NULL, NULL, &be, &no);
	if (r < 0)
		return r;
	r = fs_pin_fetch(fs, be, no, tenant, key, &text, &len, &meta);
	if (r == 0 || r == -EFBIG) {
		/* Too large to read, but there: size 0, as read returns nothing. */
		fs_pin_stat(fs, no, tenant, key, r == 0 ? len : 0, &meta, &ret->st);
		r = inode_table_ref(fs->nodes, tenant, key, &ret->nodeid);
		if (r < 0)
			return r;
		ret->entry_timeout = ret->attr_timeout = fs_key_timeout(fs, ret->nodeid, no, meta.expires_at);
		return 0;
	}
	if (r != -ENOENT)
		return r;

	/* Not committed: maybe the caller's own pending creation. */
	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, who->uid, false);

	if (p) {
		r = inode_table_ref(fs->nodes, tenant, key, &ret->nodeid);
		if (r == 0) {
			fs_pending_stat(fs, ret->nodeid, p, &ret->st);
			ret->entry_timeout = 0;
			ret->attr_timeout = 0;
		}
	} else {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	return r;
}


int fs_names_pin_attr(struct fs *fs, uint64_t nodeid, const char *tenant, const char *key,
		      struct stat *ret, double *ret_timeout)
{
	PFS_AUTOFREE char *text = NULL;
	struct pin_meta meta;
	struct backend *be;
	size_t len;
	unsigned no;
	int r;

	*ret_timeout = 0;
	r = fs_route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = fs_pin_fetch(fs, be, no, tenant, key, &text, &len, &meta);
	if (r == 0 || r == -EFBIG) {
		fs_pin_stat(fs, no, tenant, key, r == 0 ? len : 0, &meta, ret);	/* as in lookup */
		*ret_timeout = fs_key_timeout(fs, nodeid, no, meta.expires_at);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	/* The kernel holds this node, so whoever asks already looked it up. */
	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, 0, true);

	if (p)
		fs_pending_stat(fs, nodeid, p, ret);
	else
		r = -ENOENT;
	pthread_mutex_unlock(&fs->pending_lock);
	return p ? 0 : r;
}

int fs_names_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent,
		    const char *name, struct fs_entry *ret)
{
	PFS_AUTOFREE char *tenant = NULL;
	int r;

	r = fs_names_resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return lookup_tenant(fs, who, name, ret);
	/* A walk that starts inside the tenant (a cwd, a directory descriptor) holds it. */
	fs_names_note_walker(fs, who, parent);
	return fs_names_lookup_key(fs, who, tenant, name, ret);
}

int fs_unlink(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	struct backend *be;
	unsigned no;
	int64_t started = time_now_us();
	int r;

	r = fs_names_resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return -EISDIR;
	r = path_key_decode_existing(name, &key);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = fs_route_allow(fs, who, tenant, FS_ALLOW(POLICY_DELETE), "delete", key, &be, &no);
	if (r < 0)
		return r;

	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, who->uid, false);

	if (p)
		fs_pending_drop(fs, p);
	pthread_mutex_unlock(&fs->pending_lock);

	r = backend_pin_delete(be, tenant, key);
	if (r == -ENOENT && p) {
		r = 0;	/* it only ever existed here */
	} else {
		fs_audit(fs, be, who, "delete", tenant, key, r, NULL, 0, started);
		if (r == 0) {
			fs_changed(fs, no, PIN_CHANGE_DELETE, tenant, key, true);
		}
	}
	if (r == 0)
		inode_table_detach(fs->nodes, tenant, key);
	return r;
}

/*
 * Commits a scratch file's validated content under a real key; conditional
 * when an expected version was set on it. *ret_version: the version
 * written, or the one a refused conditional commit expected (0: none).
 */
static int rename_pending(struct fs *fs, struct pending *p, struct backend *be,
			  const char *tenant, const char *from, const char *to, unsigned flags,
			  int64_t *ret_version)
{
	PFS_AUTOFREE char *value = NULL;
	size_t len = 0;
	int r;

	r = fs_pending_value(fs, p, &value, &len);
	if (r < 0)
		return r;

	if (flags & FS_RENAME_NOREPLACE) {
		struct pin pin = {0};

		r = backend_pin_get(be, tenant, to, 0, &pin);	/* exists? (no value) */
		pin_done(&pin);
		if (r == 0)
			return -EEXIST;
		if (r != -ENOENT)
			return r;
	}

	if (!value) {
		/* Still being written: the name moves, the content follows at its commit. */
		r = fs_pending_rename(fs, p, to);
		if (r < 0)
			return r;
		inode_table_rename(fs->nodes, tenant, from, to);
		return 0;
	}

	struct pin_write w = {.value = value, .value_len = len, .source = "fs",
			      .ttl_op = PIN_TTL_KEEP};
	struct pin_meta meta = {0};
	char source[PIN_SOURCE_MAX];

	fs_pending_apply_xattrs(fs, p, &w, source);
	r = backend_pin_upsert(be, tenant, to, &w, &meta);
	*ret_version = r == 0 ? meta.version : w.conditional ? w.expect_version : 0;
	if (r < 0)
		return r == -EEXIST ? -EIO : r;
	pthread_mutex_lock(&fs->pending_lock);
	fs_pending_drop(fs, p);
	pthread_mutex_unlock(&fs->pending_lock);
	inode_table_rename(fs->nodes, tenant, from, to);
	return 0;
}

/* How soon after a refused rename the same one is the kernel's retry (microseconds). */
#define FS_RENAME_RETRY_US 1000000

int fs_rename(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname, unsigned flags)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *newtenant = NULL;
	PFS_AUTOFREE char *from = NULL;
	PFS_AUTOFREE char *to = NULL;
	struct pending *p;
	struct backend *be;
	struct pin_meta meta = {0};
	int64_t started = time_now_us(), version = 0;
	unsigned no;
	int r;

	if (flags & FS_RENAME_EXCHANGE)
		return -EINVAL;	/* no atomic exchange of two values */
	r = fs_names_resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	r = fs_names_resolve_dir(fs, newparent, &newtenant);
	if (r < 0)
		return r;
	/* Tenants do not move, and pins do not cross tenants: mv copies instead. */
	if (!tenant || !newtenant || strcmp(tenant, newtenant) != 0)
		return -EXDEV;
	r = path_key_decode_existing(name, &from);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = path_key_decode(newname, &to);
	if (r < 0)
		return r;
	if (path_key_create_class(to) == PATH_CREATE_REFUSED)
		return -EACCES;	/* vim's "f~" backup: refused so it writes in place */
	r = fs_route_allow(fs, who, tenant, FS_ALLOW(POLICY_WRITE) | FS_ALLOW(POLICY_DELETE),
			   "rename", to, &be, &no);
	if (r < 0)
		return r;

	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, tenant, from, who->uid, false);
	if (p)
		p->refs++;
	pthread_mutex_unlock(&fs->pending_lock);
	if (p) {
		bool again;

		r = rename_pending(fs, p, be, tenant, from, to, flags, &version);
		/*
		 * The kernel tries a rename that failed with ESTALE once more
		 * (retry_estale): the same refusal right after the first is not
		 * a second conflict to audit, count and log.
		 */
		pthread_mutex_lock(&fs->pending_lock);
		again = r == -ESTALE && p->refused_at_us &&
			time_now_us() - p->refused_at_us < FS_RENAME_RETRY_US;
		p->refused_at_us = r == -ESTALE ? time_now_us() : 0;
		pthread_mutex_unlock(&fs->pending_lock);
		/* The temporary's content becomes the key's: that is the write. */
		if (!again)
			fs_audit_version(fs, be, who, "upsert", tenant, to, r, NULL, 0, started,
					 version);
		if (r == -ESTALE && !again)
			pfs_log_rejection("memory_pin.conflict",
					  "rename onto \"%s/%s\" by uid %u: not at version %lld any "
					  "more, not written",
					  tenant, to, (unsigned)who->uid, (long long)version);
		if (r == 0)
			fs_changed_version(fs, no, PIN_CHANGE_UPSERT, tenant, to, true, version);
		pthread_mutex_lock(&fs->pending_lock);
		fs_pending_unref(fs, p);
		pthread_mutex_unlock(&fs->pending_lock);
		return r;
	}

	r = backend_pin_rename(be, tenant, from, to,
			       (flags & FS_RENAME_NOREPLACE) ? BACKEND_RENAME_NOREPLACE : 0, &meta);
	fs_audit_version(fs, be, who, "rename", tenant, to, r, NULL, 0, started, meta.version);
	if (r == 0) {
		inode_table_rename(fs->nodes, tenant, from, to);
		fs_changed(fs, no, PIN_CHANGE_DELETE, tenant, from, true);
		fs_changed_version(fs, no, PIN_CHANGE_UPSERT, tenant, to, true, meta.version);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* directories                                                        */
