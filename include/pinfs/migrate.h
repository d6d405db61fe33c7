/* SPDX-License-Identifier: MIT */
/*
 * Schema migrations over any backend: the numbered scripts compiled into
 * this build (migrations/<kind>/NNNN_name.{up,down}.sql), applied in order,
 * each in its own transaction together with its version row.
 */
#ifndef PINFS_MIGRATE_H
#define PINFS_MIGRATE_H

#include "pinfs/backend.h"
#include "pinfs/error.h"

/* Applies every migration newer than the database's; *ret_applied counts them. */
int migrate_up(struct backend *be, int *ret_applied, struct pfs_error *reterr);
/* Reverts the newest applied migration (*ret_reverted: its version, 0 if none). */
int migrate_down(struct backend *be, int *ret_reverted, struct pfs_error *reterr);
/* The database's version and the one this build requires. */
int migrate_status(struct backend *be, int *ret_current, int *ret_required);
/*
 * 0 if the schema is exactly what this build needs; otherwise -EPROTO with a
 * message naming the fix ("pinctl migrate up", or a newer pinfs), or the
 * backend's error.
 */
int migrate_check(struct backend *be, struct pfs_error *reterr);

#endif /* PINFS_MIGRATE_H */
