/* SPDX-License-Identifier: MIT */
/*
 * The FUSE low-level adapter: one struct fuse_lowlevel_ops whose handlers
 * decode a request, call fs_core and send exactly one reply. The session's
 * userdata is a struct fs_ops_ctx.
 */
#ifndef PINFS_FS_OPS_H
#define PINFS_FS_OPS_H

#include <fuse_lowlevel.h>

#include "pinfs/fs_core.h"

struct fs_ops_ctx {
	struct fs *fs;
	struct fuse_session *se;	/* for kernel notifications; set once mounted */
};

extern const struct fuse_lowlevel_ops fs_ops;

/* struct fs_options.kernel_inval over a struct fs_ops_ctx (see fs_core.h). */
void fs_ops_kernel_inval(void *ctx, uint64_t nodeid, uint64_t parent, const char *name);
/* struct fs_options.kernel_prune over a struct fs_ops_ctx (see fs_core.h). */
int fs_ops_kernel_prune(void *ctx, const uint64_t *nodeids, size_t n);
/* struct fs_options.kernel_expire_names over a struct fs_ops_ctx (see fs_core.h). */
int fs_ops_kernel_expire_names(void *ctx);

#endif /* PINFS_FS_OPS_H */
