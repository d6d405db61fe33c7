/* SPDX-License-Identifier: MIT */
/* The commit pass of one write (see fs_commit.h). */
#include "fs_commit.h"
#include "fs_access.h"
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_pending.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "pinfs/log.h"
#include "pinfs/macro.h"
#include "pinfs/pin_json.h"
#include "pinfs/timeutil.h"

/*
 * Parses the staged bytes as one JSON document; *ret_value is its
 * canonical compact form (numbers as PostgreSQL prints them). What readers
 * will get, indentation and expanded numbers included, is what is limited.
 */
static int commit_validate(struct fs *fs, const struct fs_commit *c, char **ret_value,
			   size_t *ret_len)
{
	struct pfs_error err = {0};
	int r = pin_json_canonicalize(c->staged ? c->staged : "", c->staged_len,
				      fs_gen_limit(fs, &fs->max_value_bytes), ret_value, ret_len,
				      NULL, &err);

	if (r == -EINVAL || r == -EFBIG)
		pfs_log_rejection(r == -EFBIG ? "memory_pin.too_large" : "memory_pin.invalid_json",
				  "\"%s/%s\" by uid %u: %s", c->tenant, c->key, (unsigned)c->who->uid,
				  err.message);
	return r;
}

/* A scratch file's validated content is kept private until renamed onto a key. */
static int commit_scratch(struct fs *fs, struct fs_commit *c, char **value, size_t len)
{
	pthread_mutex_lock(&fs->pending_lock);
	free(c->pending->value);
	c->pending->value = steal_ptr(value);
	c->pending->value_len = len;
	clock_gettime(CLOCK_REALTIME, &c->pending->mtime);
	pthread_mutex_unlock(&fs->pending_lock);
	return 0;
}

/*
 * Upserts value under the key, with the metadata the writer set;
 * conditional when the writer set an expected version (on the handle or,
 * before its first commit, on the name it created). *ret_version: the
 * version written, or the one a refused conditional commit expected.
 */
static int commit_write(struct fs *fs, struct fs_commit *c, const char *value, size_t len,
			int64_t *ret_version)
{
	struct pin_write w = {.value = value, .value_len = len, .source = "fs",
			      .ttl_op = PIN_TTL_KEEP};
	char source[PIN_SOURCE_MAX];
	int r;

	/* cp -a sets user.pin.source before it closes: that, not "fs", is the writer's word. */
	if (c->source && c->source[0])
		w.source = c->source;
	/* xattrs set on a new file before this first commit go with it. */
	if (c->pending)
		fs_pending_apply_xattrs(fs, c->pending, &w, source);
	if (c->conditional) {
		w.conditional = true;
		w.expect_version = c->expect_version;
	}
	c->was_conditional = w.conditional;
	r = backend_pin_upsert(c->be, c->tenant, c->key, &w, &c->meta);
	*ret_version = r == 0 ? c->meta.version : w.expect_version;
	if (r == -EEXIST)
		r = -EIO;	/* an upsert cannot collide: the backend misbehaved */
	if (r == -EIO)
		pfs_log(LOG_WARNING, "memory_store.backend_error: could not write \"%s/%s\"",
			c->tenant, c->key);
	if (r == -ESTALE)
		pfs_log_rejection("memory_pin.conflict",
				  "\"%s/%s\" by uid %u: not at version %lld any more, not written",
				  c->tenant, c->key, (unsigned)c->who->uid, (long long)w.expect_version);
	return r;
}

/*
 * Audits a commit. The hash is of the canonical text, what a reader gets:
 * "cat PIN | sha256sum" starts with the audit's value_sha256.
 */
static void commit_audit(struct fs *fs, const struct fs_commit *c, int r, const char *compact,
			 size_t len, int64_t started, int64_t version)
{
	PFS_AUTOFREE char *pretty = NULL;
	size_t plen = 0;

	if (r == 0 && pin_json_render(compact, len, PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &pretty,
				      &plen, NULL) < 0)
		pretty = NULL;
	fs_audit_version(fs, c->be, c->who, "upsert", c->tenant, c->key, r, pretty, plen, started,
			 version);
}

int fs_commit(struct fs *fs, struct fs_commit *c)
{
	PFS_AUTOFREE char *value = NULL;
	int64_t started = time_now_us(), version = 0;
	size_t len = 0;
	int r;

	r = commit_validate(fs, c, &value, &len);
	if (r == 0 && c->scratch)
		return commit_scratch(fs, c, &value, len);
	if (r == 0)
		r = fs_allow(fs, c->who, c->tenant, POLICY_WRITE);
	if (r == 0)
		r = commit_write(fs, c, value, len, &version);
	commit_audit(fs, c, r, value, len, started, version);
	if (r < 0)
		return r;
	/* A created file's first commit adds an entry to its tenant. */
	fs_changed_version(fs, c->backend_no, PIN_CHANGE_UPSERT, c->tenant, c->key,
			   c->pending != NULL, version);
	return 0;
}
