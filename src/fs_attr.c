/* SPDX-License-Identifier: MIT */
/* Attributes of the root, tenants and pins (see fs_attr.h). */
#include "fs_attr.h"
#include "fs_access.h"
#include "fs_file.h"
#include "fs_i.h"
#include "fs_names.h"
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

	(void)who;
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	switch (kind) {
	case INODE_KIND_ROOT:
	case INODE_KIND_TENANT:
		fs_fill_dir_stat(fs, tenant ? fs_tenant_ino(tenant) : INODE_ROOT, ret);
		*ret_timeout = FS_TENANT_ATTR_TIMEOUT;
		return 0;
	case INODE_KIND_PIN:
		return fs_names_pin_attr(fs, nodeid, tenant, key, ret, ret_timeout);
	default:
		return -ENOENT;
	}
}

/* The attributes seen through file if given, else the node's. */
static int attr_of(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		   struct pin_file *file, struct stat *ret, double *ret_timeout)
{
	if (!file)
		return fs_attr_get(fs, who, nodeid, ret, ret_timeout);
	fs_file_stat(fs, nodeid, file, ret);
	*ret_timeout = 0;
	return 0;
}

int fs_attr_set(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		struct pin_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
		double *ret_timeout)
{
	struct stat cur;
	int r;

	r = attr_of(fs, who, nodeid, file, &cur, ret_timeout);
	if (r < 0)
		return r;
	/* Ownership and mode are fixed: setting them to what they are is a no-op. */
	if ((mask & FS_SET_MODE) && (attr->st_mode & 07777) != (cur.st_mode & 07777))
		return -EPERM;
	if ((mask & FS_SET_UID) && attr->st_uid != cur.st_uid)
		return -EPERM;
	if ((mask & FS_SET_GID) && attr->st_gid != cur.st_gid)
		return -EPERM;

	if (mask & (FS_SET_SIZE | FS_SET_ATIME | FS_SET_MTIME)) {
		PFS_AUTOFREE char *tenant = NULL;
		PFS_AUTOFREE char *key = NULL;
		enum inode_kind kind;

		r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
		if (r < 0)
			return r == -ESTALE ? -ENOENT : r;
		if (kind != INODE_KIND_PIN)
			return (mask & FS_SET_SIZE) ? -EISDIR
						    : fs_allow(fs, who, tenant, POLICY_WRITE);
		r = fs_allow(fs, who, tenant, POLICY_WRITE);
		if (r < 0)
			return r;
	}

	if (mask & FS_SET_SIZE) {
		if (attr->st_size < 0)
			return -EINVAL;
		if (file)
			r = fs_file_truncate(fs, file, attr->st_size);
		else
			r = fs_file_truncate_path(fs, who, nodeid, attr->st_size);
		if (r < 0)
			return r;
	}
	/* Times (touch) are not stored: updated_at is the last write. */
	return attr_of(fs, who, nodeid, file, ret, ret_timeout);
}

int fs_attr_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	int r;

	/* The answer must agree with what open, readdir and create would say. */
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	switch (kind) {
	case INODE_KIND_ROOT:
		if (mask & W_OK)
			return fs_allow(fs, who, NULL, POLICY_ADMIN);	/* mkdir of a tenant */
		return fs_authorize(fs, who, NULL, NULL, NULL);		/* anyone may list it */
	case INODE_KIND_TENANT:
		if (mask & W_OK) {
			r = fs_allow(fs, who, tenant, POLICY_WRITE);
			if (r < 0)
				return r;
		}
		return fs_allow(fs, who, tenant, POLICY_READ);
	case INODE_KIND_PIN:
		if (mask & X_OK)
			return -EACCES;	/* pins are not executable */
		if (mask & W_OK) {
			r = fs_allow(fs, who, tenant, POLICY_WRITE);
			if (r < 0)
				return r;
		}
		return (mask & R_OK) || !(mask & W_OK) ? fs_allow(fs, who, tenant, POLICY_READ)
						       : 0;
	default:
		return -ENOENT;
	}
}
