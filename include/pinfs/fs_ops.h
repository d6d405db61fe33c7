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
};

extern const struct fuse_lowlevel_ops fs_ops;

#endif /* PINFS_FS_OPS_H */
