/* SPDX-License-Identifier: MIT */
/* Attributes of the root, tenants and pins (see fs_attr.h). */
#include "fs_attr.h"
#include "fs_access.h"
#include "fs_dir.h"
#include "fs_file.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_names.h"
#include "fs_pending.h"
#include "fs_pin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "pinfs/inode_table.h"

int fs_attr_get(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, struct stat *ret,
		double *ret_timeout)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	int r;

	r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r;
	switch (kind) {
	case INODE_KIND_ROOT:
		*ret_timeout = 0;	/* it depends on who asks */
		return fs_dir_root_stat(fs, who, ret);
	case INODE_KIND_TENANT: {
		struct tenant_times times;
		struct backend *be;
		unsigned no;

		r = fs_route(fs, tenant, &be, &no);
		if (r == 0)
			r = fs_tenant_fetch(fs, be, no, tenant, &times);
		if (r < 0)
			return r;
		fs_fill_tenant_stat(fs, tenant, &times, ret);
		*ret_timeout = FS_TENANT_ATTR_TIMEOUT;
		return 0;
	}
	case INODE_KIND_PIN:
		/*
		 * The kernel holds this node, but the caller may have lost read since
		 * it walked here (a held descriptor or cwd): a pin's attributes need
		 * read, as its name does.
		 */
		r = fs_allow(fs, who, tenant, POLICY_READ);
		if (r < 0)
			return r;
		if (fs_file_stat_for_caller(fs, who, nodeid, tenant, key, ret)) {
			*ret_timeout = 0;	/* what a writer sees is its own */
			return 0;
		}
		return fs_names_pin_attr(fs, nodeid, tenant, key, ret, ret_timeout);
	default:
		return -ENOENT;
	}
}

/* The attributes seen through file if given, else the node's. */
static int attr_of(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		   struct pin_file *file, struct stat *ret, double *ret_timeout)
{
	int r;

	if (!file)
		return fs_attr_get(fs, who, nodeid, ret, ret_timeout);
	r = fs_file_check(fs, who, file);
	if (r < 0)
		return r;
	fs_file_stat(fs, nodeid, file, ret);
	*ret_timeout = 0;
	return 0;
}

/*
 * Whether who may touch a node (change its times, or its mode or owner
 * where such a change is accepted): the right that governs it, write on
 * its tenant for a tenant or a pin, admin (which creates tenants) for the
 * root. Times, mode and owner are not stored: a granted change is a no-op.
 */
static int may_touch(struct fs *fs, const struct pfs_subject *who, enum inode_kind kind,
		     const char *tenant)
{
	return kind == INODE_KIND_ROOT ? fs_allow(fs, who, NULL, POLICY_ADMIN)
				       : fs_allow(fs, who, tenant, POLICY_WRITE);
}

/* Whether the setattr asks for a mode or owner other than what is shown. */
static bool changes_mode_or_owner(const struct stat *attr, unsigned mask, const struct stat *cur)
{
	return ((mask & FS_SET_MODE) && (attr->st_mode & 07777) != (cur->st_mode & 07777)) ||
	       ((mask & FS_SET_UID) && attr->st_uid != cur->st_uid) ||
	       ((mask & FS_SET_GID) && attr->st_gid != cur->st_gid);
}

/* Whether pin (tenant, key) is a name being created, not committed yet (file's or who's). */
static bool is_uncommitted(struct fs *fs, const struct pfs_subject *who, struct pin_file *file,
			   const char *tenant, const char *key)
{
	return file ? fs_file_uncommitted(fs, file) : fs_pending_exists(fs, tenant, key, who->uid);
}

/*
 * setattr. Every kind of node answers with its attributes or a clean
 * errno (never a reply without them):
 *   - mode and owner: what is shown is a no-op; anything else is EPERM on a
 *     committed pin (pins are 0644, owned by the mounting user), and
 *     accepted silently on a name not committed yet (rsync's and tar's
 *     fchmod/fchown of the file they are writing) and on the root and
 *     tenants (tar and rsync -a restore directory modes) by who may touch them;
 *   - times (touch, utimensat with UTIME_NOW or given times): accepted
 *     without being stored by who may touch the node (EACCES otherwise);
 *     a pin's times stay its updated_at, a directory's its newest change;
 *   - ctime: ignored (the kernel sends it with other changes);
 *   - size: truncates a pin (write right), EISDIR on a directory.
 */
int fs_attr_set(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		struct pin_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
		double *ret_timeout)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	enum inode_kind kind;
	struct stat cur;
	int r;

	r = attr_of(fs, who, nodeid, file, &cur, ret_timeout);
	if (r < 0)
		return r;
	r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r;
	if (kind != INODE_KIND_ROOT && kind != INODE_KIND_TENANT && kind != INODE_KIND_PIN)
		return -ENOENT;
	if (kind != INODE_KIND_PIN && (mask & FS_SET_SIZE))
		return -EISDIR;
	if (changes_mode_or_owner(attr, mask, &cur)) {
		if (kind == INODE_KIND_PIN && !is_uncommitted(fs, who, file, tenant, key))
			return -EPERM;
		if (may_touch(fs, who, kind, tenant) < 0)
			return -EPERM;
	}
	if (mask & (FS_SET_ATIME | FS_SET_MTIME)) {
		r = may_touch(fs, who, kind, tenant);
		if (r < 0)
			return r;
	}
	if (mask & FS_SET_SIZE) {
		if (attr->st_size < 0)
			return -EINVAL;
		r = fs_allow(fs, who, tenant, POLICY_WRITE);
		if (r == 0 && file)
			r = fs_file_truncate(fs, file, attr->st_size);
		else if (r == 0)
			r = fs_file_truncate_path(fs, who, nodeid, attr->st_size);
		if (r < 0)
			return r;
		return attr_of(fs, who, nodeid, file, ret, ret_timeout);
	}
	*ret = cur;
	return 0;
}

int fs_attr_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	enum inode_kind kind;
	int r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);

	/* The answer must agree with what open, readdir, create and mkdir would say. */
	if (r < 0)
		return r;
	if (kind == INODE_KIND_ROOT)
		return (mask & W_OK) ? fs_allow(fs, who, NULL, POLICY_ADMIN)	/* mkdir */
				     : fs_authorize(fs, who, NULL, NULL, NULL);	/* anyone lists it */
	if (kind != INODE_KIND_TENANT && kind != INODE_KIND_PIN)
		return -ENOENT;
	if (kind == INODE_KIND_PIN && (mask & X_OK))
		return -EACCES;	/* pins are not executable */
	if (mask & W_OK) {
		r = fs_allow(fs, who, tenant, POLICY_WRITE);
		if (r < 0)
			return r;
	}
	/* A tenant is searched and listed with read; a pin asked only for W_OK needs no more. */
	return kind == INODE_KIND_TENANT || (mask & R_OK) || !(mask & W_OK)
		       ? fs_allow(fs, who, tenant, POLICY_READ)
		       : 0;
}
