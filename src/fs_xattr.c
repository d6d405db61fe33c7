/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes: a pin's TTL and metadata as user.pin.* (DESIGN.md
 * section 7 and 11).
 *
 *   user.pin.ttl         read/write/remove: seconds 0..31536000, as last set
 *   user.pin.expires_at  read: RFC 3339 UTC, only while a TTL is set
 *   user.pin.created_at  read
 *   user.pin.updated_at  read
 *   user.pin.source      read/write: who wrote it ("fs" by default)
 *   user.pin.id          read: the pin's number, its st_ino (fs_pin_ino: not the row id)
 *   user.pin.version     read: grows with every committed change (backend.h);
 *                        a thread with the pin open is told the version of
 *                        what it read (or committed) through that file
 *   user.pin.expect_version  write/remove, never listed or read: makes the
 *                        next commits conditional (decimal; 0: only if absent).
 *                        On a name the caller created and has not committed
 *                        (a temporary, a new file) it is staged on that name,
 *                        and its commit or rename onto a key is conditional;
 *                        on a committed pin it goes to the files the calling
 *                        thread has open for writing on it (fsetxattr on the
 *                        descriptor it writes with), and with none it is
 *                        EINVAL: nothing to attach it to.
 *
 * security.*, system.* and trusted.* never reach a backend: reading one is
 * ENODATA at once (the kernel asks for security.capability on every write).
 * Setting anything but ttl and source is ENOTSUP, so cp -a and rsync -X copy
 * what can be copied and skip the rest quietly. On a file created but not
 * yet committed, changes are staged and applied by its first commit.
 *
 * Changing attributes needs memory_pin:write, and a TTL that schedules a
 * pin's deletion needs memory_pin:delete as well (DESIGN.md section 7):
 * every way of deleting needs the delete right. This file is the one place
 * that rule is enforced (schedules_deletion, fs_setxattr). A TTL schedules
 * deletion when it is set on a committed pin that had no expiry, or when
 * the expiry it sets (now + ttl, by the daemon's clock) is earlier than
 * the pin's current one. Extending an expiry, removing the TTL, and a TTL
 * staged on a file its creator has not committed yet (the first commit
 * writes that writer's own value) need write only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "fs_access.h"
#include "fs_feed.h"
#include "fs_file.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_names.h"
#include "fs_pending.h"
#include "fs_pin.h"
#include "pinfs/inode_table.h"
#include "pinfs/path_codec.h"
#include "pinfs/timeutil.h"

enum xattr_id {
	XA_TTL,
	XA_EXPIRES_AT,
	XA_CREATED_AT,
	XA_UPDATED_AT,
	XA_SOURCE,
	XA_ID,
	XA_VERSION,
	XA_EXPECT_VERSION,	/* write-only: never read or listed */
	XA__COUNT,
};

static const char *const xattr_names[XA__COUNT] = {
	[XA_TTL] = "user.pin.ttl",		 [XA_EXPIRES_AT] = "user.pin.expires_at",
	[XA_CREATED_AT] = "user.pin.created_at", [XA_UPDATED_AT] = "user.pin.updated_at",
	[XA_SOURCE] = "user.pin.source",	 [XA_ID] = "user.pin.id",
	[XA_VERSION] = "user.pin.version",	 [XA_EXPECT_VERSION] = "user.pin.expect_version",
};

static int xattr_lookup(const char *name)
{
	for (int i = 0; i < XA__COUNT; i++)
		if (strcmp(xattr_names[i], name) == 0)
			return i;
	return -1;
}

/* Namespaces pinfs never stores: answered without a round trip. */
static bool foreign_namespace(const char *name)
{
	return strncmp(name, "security.", 9) == 0 || strncmp(name, "system.", 7) == 0 ||
	       strncmp(name, "trusted.", 8) == 0;
}

/* What the attributes are read from: a committed pin or a pending creation. */
struct xattr_target {
	char *tenant;
	char *key;
	struct backend *be;
	unsigned no;
	bool pending;
	struct pin_meta meta;	/* committed pins */
};

static void target_done(struct xattr_target *t)
{
	free(t->tenant);
	free(t->key);
}

/*
 * Resolves nodeid to a pin (or pending file) and checks who may do action.
 * t holds the names it resolved even on failure: callers always call
 * target_done.
 */
static int target_get(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		      const char *action, struct xattr_target *t)
{
	enum inode_kind kind;
	char *text = NULL;
	size_t len;
	int r;

	memset(t, 0, sizeof(*t));
	if (nodeid < INODE_FIRST_DYNAMIC)
		return -ENODATA;	/* the root and /.system have none */
	r = fs_names_resolve(fs, nodeid, &kind, &t->tenant, &t->key);
	if (r < 0)
		return r;
	if (kind != INODE_KIND_PIN)
		return -ENODATA;	/* tenants have none */
	/* The right first: out of scope, EACCES whether or not the tenant has a route. */
	r = fs_route_allow(fs, who, t->tenant,
			   FS_ALLOW(strcmp(action, "write") == 0 ? POLICY_WRITE : POLICY_READ), NULL,
			   NULL, &t->be, &t->no);
	if (r < 0)
		return r;
	r = fs_pin_fetch(fs, t->be, t->no, t->tenant, t->key, &text, &len, &t->meta);
	free(text);
	if (r == 0 || r == -EFBIG)
		return 0;	/* a value too large to read still has its attributes */
	if (r == -ENOENT) {
		pthread_mutex_lock(&fs->pending_lock);
		t->pending = fs_pending_find(fs, t->tenant, t->key, who->uid, false) != NULL;
		pthread_mutex_unlock(&fs->pending_lock);
		if (t->pending)
			return 0;
	}
	return r;
}

/*
 * A change that could not find its pin (it went away, or the caller may
 * not change it) is a failed write: audited with the reason.
 */
static int target_refused(struct fs *fs, const struct pfs_subject *who, struct xattr_target *t,
			  int r, int64_t started)
{
	if (r != -ENODATA)
		fs_audit(fs, t->be, who, "xattr_write", t->tenant, t->key, r, NULL, 0, started);
	target_done(t);
	return r == -ENODATA ? -ENOTSUP : r;	/* directories have no attributes to set */
}

/* The value of attribute id, or -ENODATA. buf holds at least 64 bytes. */
static int format_attr(struct fs *fs, const struct xattr_target *t, int id, char *buf,
		       size_t len)
{
	struct pin_meta m = t->meta;

	if (t->pending) {
		/* Not a row yet: only what was staged on it. */
		struct pending *p;

		pthread_mutex_lock(&fs->pending_lock);
		p = fs_pending_find(fs, t->tenant, t->key, 0, true);
		memset(&m, 0, sizeof(m));
		m.ttl_seconds = -1;
		if (p && p->ttl_op == PIN_TTL_SET)
			m.ttl_seconds = p->ttl_seconds;
		snprintf(m.source, sizeof(m.source), "%s", p && p->source[0] ? p->source : "fs");
		pthread_mutex_unlock(&fs->pending_lock);
		if (id != XA_TTL && id != XA_SOURCE)
			return -ENODATA;
	}
	switch (id) {
	case XA_TTL:
		if (m.ttl_seconds < 0)
			return -ENODATA;
		return snprintf(buf, len, "%d", (int)m.ttl_seconds);
	case XA_EXPIRES_AT:
		if (!m.expires_at)
			return -ENODATA;
		time_rfc3339(m.expires_at, 0, buf);
		return (int)strlen(buf);
	case XA_CREATED_AT:
		time_rfc3339(m.created_at, 0, buf);
		return (int)strlen(buf);
	case XA_UPDATED_AT:
		time_rfc3339(m.updated_at, 0, buf);
		return (int)strlen(buf);
	case XA_SOURCE:
		return snprintf(buf, len, "%s", m.source);
	case XA_ID:
		return snprintf(buf, len, "%llu",
				(unsigned long long)fs_pin_ino(t->no, t->tenant, t->key, &m));
	case XA_VERSION:
		return snprintf(buf, len, "%lld", (long long)m.version);
	default:
		return -ENODATA;
	}
}

int fs_getxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, const char *name,
		char **ret_value, size_t *ret_len)
{
	struct xattr_target t;
	int64_t started = time_now_us();
	char buf[TIME_RFC3339_LEN + PIN_SOURCE_MAX];
	int id, r;

	if (foreign_namespace(name))
		return -ENODATA;
	id = xattr_lookup(name);
	if (id < 0)
		return -ENODATA;
	r = target_get(fs, who, nodeid, "read", &t);
	if (r < 0) {
		target_done(&t);
		return r;
	}
	/* A thread with the pin open is told the version of what it read through it. */
	if (id == XA_VERSION && !t.pending)
		(void)fs_file_seen_version(fs, who, t.tenant, t.key, &t.meta.version);
	r = format_attr(fs, &t, id, buf, sizeof(buf));
	if (r >= 0) {
		*ret_value = strndup(buf, (size_t)r);
		*ret_len = (size_t)r;
		if (!*ret_value)
			r = -ENOMEM;
	}
	/* A missing attribute is an answer, not a failure. */
	fs_audit(fs, NULL, who, "xattr_read", t.tenant, t.key, r >= 0 || r == -ENODATA ? 0 : r,
		 NULL, 0, started);
	target_done(&t);
	return r < 0 ? r : 0;
}

int fs_listxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, char **ret_list,
		 size_t *ret_len)
{
	struct xattr_target t;
	char buf[TIME_RFC3339_LEN + PIN_SOURCE_MAX];
	char *list;
	size_t len = 0;
	int r;

	*ret_list = NULL;
	*ret_len = 0;
	r = target_get(fs, who, nodeid, "read", &t);
	if (r < 0) {
		target_done(&t);
		return r == -ENODATA ? 0 : r;	/* directories: an empty list */
	}
	list = malloc(256);
	if (!list) {
		target_done(&t);
		return -ENOMEM;
	}
	/* Exactly the attributes that exist. */
	for (int i = 0; i < XA__COUNT; i++) {
		if (format_attr(fs, &t, i, buf, sizeof(buf)) < 0)
			continue;
		memcpy(list + len, xattr_names[i], strlen(xattr_names[i]) + 1);
		len += strlen(xattr_names[i]) + 1;
	}
	target_done(&t);
	*ret_list = list;
	*ret_len = len;
	return 0;
}

/* "3600": decimal digits only, 0..PIN_TTL_MAX. */
static int parse_ttl(const char *value, size_t len, int32_t *ret)
{
	long long v = 0;

	if (len == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -EINVAL;
		if (v <= PIN_TTL_MAX)
			v = v * 10 + (value[i] - '0');
	}
	if (v > PIN_TTL_MAX)
		return -ERANGE;
	*ret = (int32_t)v;
	return 0;
}

static int parse_source(const char *value, size_t len, char out[PIN_SOURCE_MAX])
{
	if (len == 0 || len >= PIN_SOURCE_MAX || !path_is_clean_utf8(value, len))
		return -EINVAL;
	memcpy(out, value, len);
	out[len] = '\0';
	return 0;
}

/*
 * Applies u to the target: to the backend (a change of the pin, with a new
 * version: t->meta.version), or staged on a pending file.
 */
static int apply(struct fs *fs, struct xattr_target *t, const struct pin_meta_update *u)
{
	struct pending *p;

	if (!t->pending) {
		struct pin_meta meta = {0};
		int r = backend_pin_set_meta(t->be, t->tenant, t->key, u, &meta);

		if (r == 0)
			t->meta.version = meta.version;
		/* Drops the cached copy; an event where no feed announces it (SQLite). */
		fs_changed_version(fs, t->no, PIN_CHANGE_UPSERT, t->tenant, t->key, false,
				   r == 0 ? meta.version : 0);
		if (r == 0 && u->source)
			fs_file_note_source(fs, t->tenant, t->key, u->source);
		return r;
	}
	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, t->tenant, t->key, 0, true);
	if (p) {
		if (u->ttl_op != PIN_TTL_KEEP) {
			p->ttl_op = u->ttl_op;
			p->ttl_seconds = u->ttl_seconds;
		}
		if (u->source)
			snprintf(p->source, sizeof(p->source), "%s", u->source);
	}
	pthread_mutex_unlock(&fs->pending_lock);
	return p ? 0 : -ENOENT;
}

/* "42": decimal digits only, a version (0: only if absent). */
static int parse_version(const char *value, size_t len, int64_t *ret)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return len == 0 ? -EINVAL : -ERANGE;
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9')
			return -EINVAL;
		v = v * 10 + (value[i] - '0');
	}
	*ret = v;
	return 0;
}

/*
 * Makes the caller's next commits of t conditional on version (set) or not
 * (!set): staged on a name the caller created and has not committed, else
 * on the files its thread has open for writing on the pin (none: -EINVAL,
 * or -ENODATA when clearing).
 */
static int expect(struct fs *fs, const struct pfs_subject *who, struct xattr_target *t, bool set,
		  int64_t version)
{
	struct pending *p;

	if (!t->pending) {
		if (fs_file_expect(fs, who, t->tenant, t->key, set, version) > 0)
			return 0;
		return set ? -EINVAL : -ENODATA;
	}
	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, t->tenant, t->key, who->uid, false);
	if (p) {
		p->expect_set = set;
		p->expect_version = version;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	return p ? 0 : -ENOENT;
}

/*
 * Whether setting a TTL of ttl seconds on t at now_us brings its deletion
 * closer (see the file comment): always for a committed pin without an
 * expiry, and for one whose expiry would move earlier; never for a file not
 * committed yet. Compared with the expiry the daemon last fetched: a
 * concurrent change by someone else between that fetch and the update is
 * not seen (the update itself is unconditional).
 */
static bool schedules_deletion(const struct xattr_target *t, int32_t ttl, int64_t now_us)
{
	if (t->pending)
		return false;
	if (t->meta.expires_at == 0)
		return true;
	return now_us + (int64_t)ttl * 1000000 < t->meta.expires_at;
}

int fs_setxattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, const char *name,
		const char *value, size_t len, int flags)
{
	struct pin_meta_update u = {.ttl_op = PIN_TTL_KEEP};
	char source[PIN_SOURCE_MAX];
	char cur[TIME_RFC3339_LEN + PIN_SOURCE_MAX];
	struct xattr_target t;
	int64_t started = time_now_us();
	int id = xattr_lookup(name);
	bool exists;
	int r;

	if (id != XA_TTL && id != XA_SOURCE && id != XA_EXPECT_VERSION)
		return -ENOTSUP;	/* read-only, unknown, or not ours */
	if (id == XA_EXPECT_VERSION) {
		int64_t version;

		r = parse_version(value, len, &version);
		if (r < 0)
			return r;
		r = target_get(fs, who, nodeid, "write", &t);
		if (r < 0)
			return target_refused(fs, who, &t, r, started);
		r = expect(fs, who, &t, true, version);
		/* It stores nothing: the ring only, as xattr reads. */
		fs_audit(fs, NULL, who, "xattr_write", t.tenant, t.key, r, NULL, 0, started);
		target_done(&t);
		return r;
	}
	/* Check the value before anything else: a bad one changes nothing. */
	if (id == XA_TTL) {
		r = parse_ttl(value, len, &u.ttl_seconds);
		u.ttl_op = PIN_TTL_SET;
	} else {
		r = parse_source(value, len, source);
		u.source = source;
	}
	if (r < 0)
		return r;
	r = target_get(fs, who, nodeid, "write", &t);
	if (r < 0)
		return target_refused(fs, who, &t, r, started);
	exists = format_attr(fs, &t, id, cur, sizeof(cur)) >= 0;
	/* Bringing the deletion closer is deleting: refused ones reach rbac_audit. */
	if (id == XA_TTL && schedules_deletion(&t, u.ttl_seconds, time_now_us()))
		r = fs_authorize(fs, who, "memory_pin", "delete", t.tenant);
	if (r == 0 && (flags & XATTR_CREATE) && exists)
		r = -EEXIST;
	else if (r == 0 && (flags & XATTR_REPLACE) && !exists)
		r = -ENODATA;
	else if (r == 0)
		r = apply(fs, &t, &u);
	fs_audit_version(fs, t.be, who, "xattr_write", t.tenant, t.key, r, NULL, 0, started,
			 r == 0 && !t.pending ? t.meta.version : 0);
	target_done(&t);
	return r;
}

int fs_removexattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		   const char *name)
{
	struct pin_meta_update u = {.ttl_op = PIN_TTL_CLEAR};
	char cur[TIME_RFC3339_LEN + PIN_SOURCE_MAX];
	struct xattr_target t;
	int64_t started = time_now_us();
	int id = xattr_lookup(name);
	int r;

	if (foreign_namespace(name))
		return -ENODATA;
	if (id < 0)
		return -ENODATA;
	if (id != XA_TTL && id != XA_EXPECT_VERSION)
		return -ENOTSUP;	/* the others always exist and cannot go */
	r = target_get(fs, who, nodeid, "write", &t);
	if (r < 0)
		return target_refused(fs, who, &t, r, started);
	if (id == XA_EXPECT_VERSION) {
		/* Back to unconditional commits. */
		r = expect(fs, who, &t, false, 0);
		fs_audit(fs, NULL, who, "xattr_write", t.tenant, t.key, r, NULL, 0, started);
		target_done(&t);
		return r;
	}
	if (format_attr(fs, &t, XA_TTL, cur, sizeof(cur)) < 0)
		r = -ENODATA;
	else
		r = apply(fs, &t, &u);
	fs_audit_version(fs, t.be, who, "xattr_write", t.tenant, t.key, r, NULL, 0, started,
			 r == 0 && !t.pending ? t.meta.version : 0);
	target_done(&t);
	return r;
}
