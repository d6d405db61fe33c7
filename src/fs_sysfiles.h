/* SPDX-License-Identifier: MIT */
/*
 * What each /.system file says or does. Renderers make a snapshot's text
 * when it is opened (*ret new, free()); commands act on what was written
 * to them when it is closed (the error is close()'s). fs_system.c's table
 * names them; who may open which file is decided there.
 */
#ifndef PINFS_FS_SYSFILES_H
#define PINFS_FS_SYSFILES_H

#include <stddef.h>

#include "pinfs/policy.h"

struct fs;

typedef int (*fs_sysfile_render_fn)(struct fs *fs, const struct pfs_subject *who, char **ret,
				    size_t *ret_len);
typedef int (*fs_sysfile_commit_fn)(struct fs *fs, const struct pfs_subject *who,
				    const char *buf, size_t len);

/* Prometheus text exposition (after a health check of every routed backend). */
int fs_sysfiles_render_metrics(struct fs *fs, const struct pfs_subject *who, char **ret,
			       size_t *len);
/* "ok", or one line per backend that is down. */
int fs_sysfiles_render_health(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len);
/* The route table and each backend's health (JSON). */
int fs_sysfiles_render_routes(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len);
/* The caller: uid, subject, grants, token expiry (JSON). */
int fs_sysfiles_render_whoami(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len);
/* The effective policy, its version, hash and load time (JSON). */
int fs_sysfiles_render_policy(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len);
/* The caller's token binding (JSON). */
int fs_sysfiles_render_credentials(struct fs *fs, const struct pfs_subject *who, char **ret,
				   size_t *len);

/*
 * The locks held and waited for through this mount, one JSON object a line
 * (tenant, key, kind, mode, waiting, since, uid, pid, subject), only those
 * of tenants who may read.
 */
int fs_sysfiles_render_locks(struct fs *fs, const struct pfs_subject *who, char **ret,
			     size_t *len);

/* Re-reads the config (the mount's reload callback); -EINVAL if refused. */
int fs_sysfiles_commit_reload(struct fs *fs, const struct pfs_subject *who, const char *buf,
			      size_t len);
/* Deletes expired pins now. */
int fs_sysfiles_commit_expire(struct fs *fs, const struct pfs_subject *who, const char *buf,
			      size_t len);
/* Binds the token written (or, empty, unbinds) for the writer's uid. */
int fs_sysfiles_commit_credentials(struct fs *fs, const struct pfs_subject *who,
				   const char *buf, size_t len);

#endif /* PINFS_FS_SYSFILES_H */
