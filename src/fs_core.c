/* SPDX-License-Identifier: MIT */
/*
 * The filesystem core's front: a mount's lifecycle (fs_new, fs_start,
 * fs_reload, fs_free) and the dispatch of every fs_core.h request to the
 * module that owns it. Two kinds of node sit side by side and are reached
 * the same way: /.system (node ids INODE_SYSTEM_DIR..INODE_SYSTEM_LAST,
 * handles of kind FS_FILE_SYSTEM: fs_system.c) and the tree of tenants and
 * pins (fs_names.c, fs_attr.c, fs_file.c, fs_dir.c, fs_xattr.c). Neither
 * calls into the other; docs/architecture.md draws the whole map.
 *
 * Nothing is kept only in memory except what a writer has staged but not
 * committed (fs_file.c) and names created and not yet committed
 * (fs_pending.c).
 */
#include "pinfs/fs_core.h"
#include "fs_access.h"
#include "fs_attr.h"
#include "fs_dir.h"
#include "fs_feed.h"
#include "fs_file.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_lock.h"
#include "fs_names.h"
#include "fs_pending.h"
#include "fs_reaper.h"
#include "fs_revoke.h"
#include "fs_system.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pinfs/path_codec.h"

/* ------------------------------------------------------------------ */
/* lifecycle                                                          */

/*
 * -o tenant=NAME mounts NAME's directory as the root: NAME must be a tenant
 * name some route serves, and the mounting user must be allowed to read it
 * (a mount that nobody who started it may use is refused, not served empty).
 */
static int check_only_tenant(struct fs *fs, const char *tenant, struct pfs_error *reterr)
{
	struct pfs_subject owner = {.uid = fs->opts.owner_uid, .gid = fs->opts.owner_gid,
				    .pid = getpid()};
	int r = path_tenant_validate(tenant);

	if (r < 0)
		return pfs_error_set(reterr, r, 0,
				     "-o tenant=%s: not a tenant name (1-64 of A-Z a-z 0-9 _ . -, "
				     "not starting with \".\")",
				     tenant);
	r = fs_route_allow(fs, &owner, tenant, FS_ALLOW(POLICY_READ), NULL, NULL, NULL, NULL);
	if (r == -ENXIO)
		return pfs_error_set(reterr, r, 0, "-o tenant=%s: no route serves tenant \"%s\"",
				     tenant, tenant);
	if (r == -EACCES)
		return pfs_error_set(reterr, r, 0,
				     "-o tenant=%s: uid %u may not read tenant \"%s\" under the "
				     "policy: mount refused",
				     tenant, (unsigned)owner.uid, tenant);
	return r;
}

int fs_new(const struct config *cfg, const struct fs_options *opts, struct fs **ret,
	   struct pfs_error *reterr)
{
	PFS_CLEANUP(fs_freep) struct fs *fs = calloc(1, sizeof(*fs));
	struct fs_generation g;
	int r;

	if (!fs)
		return -ENOMEM;
	fs->opts = *opts;
	clock_gettime(CLOCK_REALTIME, &fs->start);
	pthread_mutex_init(&fs->pending_lock, NULL);
	pthread_rwlock_init(&fs->routes_lock, NULL);
	pthread_mutex_init(&fs->reaper_lock, NULL);
	pthread_mutex_init(&fs->sys_lock, NULL);
	pthread_mutex_init(&fs->miss_lock, NULL);
	pthread_mutex_init(&fs->files_lock, NULL);
	pthread_mutex_init(&fs->gone_lock, NULL);
	pthread_cond_init(&fs->reaper_wake, NULL);
	fs_revoke_init(fs);
	fs->nodes = inode_table_new();
	fs->backends = backend_set_new();
	fs->audit = audit_new(8192, 1024);
	fs->events = audit_new_changes(1024);
	fs->cache = pin_cache_new(8u << 20);
	fs->creds = cred_store_new();
	fs->open_files = quota_new();
	fs->staged_bytes = quota_new();
	fs->pending_names = quota_new();
	fs->system_handles = quota_new();
	fs->locks = fs_locks_new(fs);
	if (!fs->nodes || !fs->backends || !fs->audit || !fs->events || !fs->creds || !fs->cache ||
	    !fs->open_files || !fs->staged_bytes || !fs->pending_names || !fs->system_handles ||
	    !fs->locks)
		return -ENOMEM;
	r = fs_gen_build(fs, cfg, &g, reterr);
	if (r < 0)
		return r;
	fs_gen_install(fs, cfg, &g);
	if (opts->only_tenant) {
		r = check_only_tenant(fs, opts->only_tenant, reterr);
		if (r < 0)
			return r;
	}
	*ret = steal_ptr(&fs);
	return 0;
}

int fs_reload(struct fs *fs, const struct config *cfg, struct pfs_error *reterr)
{
	struct fs_generation g;
	int r;

	r = fs_gen_build(fs, cfg, &g, reterr);
	if (r < 0)
		return r;	/* the last good generation stays */
	fs_gen_install(fs, cfg, &g);
	fs_reaper_wake(fs);	/* the interval may have changed */
	if (fs->started)
		fs_feed_start(fs);	/* backends the reload added */
	return 0;
}

int fs_start(struct fs *fs)
{
	int r = audit_start(fs->audit);

	if (r < 0)
		return r;
	r = fs_reaper_start(fs);
	if (r < 0)
		return r;
	r = fs_revoke_start(fs);
	if (r < 0)
		return r;
	fs->started = true;
	fs_feed_start(fs);
	return 0;
}

struct fs *fs_free(struct fs *fs)
{
	if (!fs)
		return NULL;
	/* Waits end (EINTR) and locks go before the backends that hold them. */
	fs_locks_free(fs, fs->locks);
	fs->locks = NULL;
	fs_reaper_stop(fs);
	fs_revoke_stop(fs);
	/* Files still open at unmount get no release; they let go of their pending names. */
	fs_file_free_all(fs);
	fs_system_free_all(fs);
	fs_pending_free_all(fs);
	/* Feeds call into fs, and the audit writer uses backends: they go first. */
	fs_feed_stop(fs);
	audit_free(fs->audit);
	audit_free(fs->events);
	pin_cache_free(fs->cache);
	fs_gen_free_current(fs);
	cred_store_free(fs->creds);
	backend_set_free(fs->backends);
	inode_table_free(fs->nodes);
	quota_free(fs->open_files);
	quota_free(fs->staged_bytes);
	quota_free(fs->pending_names);
	quota_free(fs->system_handles);
	pthread_rwlock_destroy(&fs->routes_lock);
	pthread_mutex_destroy(&fs->pending_lock);
	pthread_mutex_destroy(&fs->reaper_lock);
	pthread_mutex_destroy(&fs->sys_lock);
	pthread_mutex_destroy(&fs->miss_lock);
	pthread_mutex_destroy(&fs->files_lock);
	pthread_mutex_destroy(&fs->gone_lock);
	pthread_cond_destroy(&fs->reaper_wake);
	fs_revoke_destroy(fs);
	free(fs);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* dispatch: /.system or pins                                         */

int fs_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      struct fs_entry *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (strlen(name) > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	if (fs_system_owns_name(parent, name))
		return fs_system_lookup(fs, who, parent, name, ret);
	return fs_names_lookup(fs, who, parent, name, ret);
}

void fs_forget(struct fs *fs, uint64_t nodeid, uint64_t nlookup)
{
	inode_table_forget(fs->nodes, nodeid, nlookup);
}

int fs_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, struct stat *ret, double *ret_timeout)
{
	if (fs_is_system_node(nodeid)) {
		*ret_timeout = 0;
		return fs_system_getattr(fs, who, nodeid, file, ret);
	}
	if (file) {
		int r = fs_file_check(fs, who, fs_pin_file(file));

		if (r < 0)
			return r;
		fs_file_stat(fs, nodeid, fs_pin_file(file), ret);
		*ret_timeout = 0;
		return 0;
	}
	return fs_attr_get(fs, who, nodeid, ret, ret_timeout);
}

int fs_setattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
	       double *ret_timeout)
{
	if (fs_is_system_node(nodeid)) {
		*ret_timeout = 0;
		return fs_system_setattr(fs, who, nodeid, file, attr, mask, ret);
	}
	return fs_attr_set(fs, who, nodeid, file ? fs_pin_file(file) : NULL, attr, mask, ret,
			   ret_timeout);
}

int fs_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask)
{
	if (fs_is_system_node(nodeid))
		return fs_system_access(fs, who, nodeid, mask);
	return fs_attr_access(fs, who, nodeid, mask);
}

int fs_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
	    struct fs_file **ret_file, struct fs_open_flags *ret_flags)
{
	struct pin_file *f;
	int r;

	if (fs_is_system_node(nodeid))
		return fs_system_open(fs, who, nodeid, flags, ret_file, ret_flags);
	r = fs_file_open(fs, who, nodeid, flags, &f, ret_flags);
	if (r == 0)
		*ret_file = &f->base;
	return r;
}

int fs_create(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      mode_t mode, int flags, struct fs_entry *ret_entry, struct fs_file **ret_file,
	      struct fs_open_flags *ret_flags)
{
	struct pin_file *f;
	int r;

	(void)mode;	/* every pin is 0644 */
	r = fs_file_create(fs, who, parent, name, flags, ret_entry, &f, ret_flags);
	if (r == 0)
		*ret_file = &f->base;
	return r;
}

ssize_t fs_read(struct fs *fs, const struct pfs_subject *who, struct fs_file *f, char *buf,
		size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_read(fs, f, buf, size, off);
	return fs_file_read(fs, who, fs_pin_file(f), buf, size, off);
}

ssize_t fs_write(struct fs *fs, const struct pfs_subject *who, struct fs_file *f,
		 const char *buf, size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_write(fs, who, f, buf, size, off);
	return fs_file_write(fs, who, fs_pin_file(f), buf, size, off);
}

int fs_flush(struct fs *fs, const struct pfs_subject *who, struct fs_file *f)
{
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_flush(fs, who, f);
	return fs_file_sync(fs, who, fs_pin_file(f), true);
}

int fs_fsync(struct fs *fs, const struct pfs_subject *who, struct fs_file *f)
{
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_flush(fs, who, f);
	return fs_file_sync(fs, who, fs_pin_file(f), false);
}

void fs_release(struct fs *fs, struct fs_file *f)
{
	struct pin_file *pf;

	if (f->kind == FS_FILE_SYSTEM) {
		fs_system_release(fs, f);
		return;
	}
	pf = fs_pin_file(f);
	/* The FLUSH a close of it would have sent (struct pin_file.noflush). */
	for (size_t i = 0; i < pf->n_lock_owners; i++)
		fs_locks_release(fs, FS_LOCK_POSIX, pf->lock_owners[i], pf->nodeid);
	fs_file_release(fs, pf);
}

int fs_lock(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, struct fs_file *file,
	    enum fs_lock_kind kind, uint64_t owner, enum fs_lock_type type, bool wait,
	    struct fs_lock_wait **ret_wait)
{
	*ret_wait = NULL;
	if (fs_is_system_node(nodeid))
		return type == FS_LOCK_UNLOCK ? 0 : -ENOLCK;	/* nothing there to share */
	if (kind == FS_LOCK_POSIX && type != FS_LOCK_UNLOCK && file && file->kind == FS_FILE_PIN) {
		int r = fs_file_note_lock_owner(fs_pin_file(file), owner);

		if (r < 0)
			return r;
	}
	return fs_locks_take(fs, who, nodeid, kind, owner, type, wait, ret_wait);
}

int fs_lock_wait_start(struct fs *fs, struct fs_lock_wait *w, fs_lock_done_fn done, void *ctx)
{
	return fs_locks_wait_start(fs, w, done, ctx);
}

void fs_lock_wait_cancel(struct fs_lock_wait *w)
{
	fs_locks_wait_cancel(w);
}

int fs_lock_test(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, uint64_t owner,
		 enum fs_lock_type type, enum fs_lock_type *ret_type, uint32_t *ret_pid)
{
	*ret_type = FS_LOCK_UNLOCK;
	*ret_pid = 0;
	if (fs_is_system_node(nodeid))
		return -ENOLCK;
	return fs_locks_test(fs, who, nodeid, owner, type, ret_type, ret_pid);
}

void fs_lock_release(struct fs *fs, enum fs_lock_kind kind, uint64_t owner, uint64_t nodeid)
{
	fs_locks_release(fs, kind, owner, nodeid);
}

int fs_opendir(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_dir **ret_dir)
{
	struct fs_dir *d;
	int r;

	if (nodeid != INODE_SYSTEM_DIR)
		return fs_dir_open(fs, who, nodeid, ret_dir);
	r = fs_dir_new_fixed(nodeid, &d);
	if (r < 0)
		return r;
	r = fs_system_list(fs, who, fs_dir_add, d);
	if (r < 0) {
		fs_releasedir(fs, d);
		return r;
	}
	*ret_dir = d;
	return 0;
}
