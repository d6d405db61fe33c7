/* SPDX-License-Identifier: MIT */
/*
 * The commit pass of one write, in one function that reads top to bottom
 * (docs/architecture.md, "The commit pass"):
 *
 *   1. validate: the staged bytes are one JSON document, canonicalized
 *      (pin_json), and what readers will get fits max_value_bytes;
 *   2. authorize: the writer may write the tenant now (fs_allow);
 *   3. write through the backend (backend_pin_upsert), conditional on a
 *      version when user.pin.expect_version was set;
 *   4. audit (fs_audit_version), with the hash of what a reader gets;
 *   5. tell the caches and the feed (fs_changed_version).
 *
 * A scratch file (an editor's temporary) stops after step 1: its value
 * waits, private, in its struct pending for the rename onto a key.
 * fs_file.c decides when to commit (flush, fsync, release), under which
 * name, and what the handle becomes afterwards; this module knows nothing
 * of open files.
 */
#ifndef PINFS_FS_COMMIT_H
#define PINFS_FS_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinfs/backend.h"
#include "pinfs/policy.h"

struct fs;
struct pending;

/* One commit: what to write, for whom, and (out) what was written. */
struct fs_commit {
	const struct pfs_subject *who;	/* the writer (the opener of the file) */
	struct backend *be;
	unsigned backend_no;
	const char *tenant, *key;	/* key: the file's name now */
	const char *staged;		/* the bytes written, not NUL-terminated */
	size_t staged_len;
	const char *source;		/* user.pin.source set on the handle, or NULL: "fs" */
	struct pending *pending;	/* the created name not committed yet, or NULL */
	bool scratch;			/* pending is a scratch name: validate and keep */
	bool conditional;		/* only if the pin is at expect_version (0: absent) */
	int64_t expect_version;
	struct pin_meta meta;		/* out: the pin as written */
	bool was_conditional;		/* out: it was (also from the created name's xattrs) */
};

/*
 * Runs the pass for c: 0, or the failing step's -errno (-EINVAL, -EFBIG,
 * -EACCES, -ESTALE, -EIO...), audited and logged. A scratch name's value
 * is kept in c->pending; otherwise c->meta is the pin written (its
 * version included).
 */
int fs_commit(struct fs *fs, struct fs_commit *c);

#endif /* PINFS_FS_COMMIT_H */
