/* SPDX-License-Identifier: MIT */
/* Pending names (see fs_pending.h). */
#include "fs_pending.h"
#include "fs_access.h"
#include "fs_i.h"
#include "fs_pin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/log.h"
#include "pinfs/macro.h"
#include "pinfs/path_codec.h"
#include "pinfs/pin_json.h"

/* How long an abandoned scratch file (no open handle) is kept for its rename. */
#define FS_SCRATCH_TTL_S 300

struct pending *fs_pending_find(struct fs *fs, const char *tenant, const char *key, uid_t uid,
				bool uid_any)
{
	for (struct pending *p = fs->pending; p; p = p->next)
		if (strcmp(p->tenant, tenant) == 0 && strcmp(p->key, key) == 0 &&
		    (uid_any || p->uid == uid))
			return p;
	return NULL;
}

/* Takes p off the list (it lives on while files hold references). Caller holds the lock. */
static void pending_unlist(struct fs *fs, struct pending *p)
{
	struct pending **pp = &fs->pending;

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = p->next;
	p->next = NULL;
	p->gone = true;
	fs_limit_give(fs, METRICS_LIMIT_PENDING_NAMES, p->uid, 1);
}

static void pending_free(struct pending *p)
{
	free(p->tenant);
	free(p->key);
	free(p->value);
	free(p);
}

void fs_pending_unref(struct fs *fs, struct pending *p)
{
	(void)fs;
	if (--p->refs == 0)
		pending_free(p);
}

void fs_pending_drop(struct fs *fs, struct pending *p)
{
	if (p->gone)
		return;
	pending_unlist(fs, p);
	fs_pending_unref(fs, p);
}

/*
 * Forgets scratch files nobody has open and nobody renamed for a while:
 * their writer died or gave up (a live sed or Python renames at once).
 * Caller holds the lock.
 */
static void pending_sweep(struct fs *fs)
{
	struct timespec now;
	struct pending *p = fs->pending;

	clock_gettime(CLOCK_REALTIME, &now);
	while (p) {
		struct pending *next = p->next;

		if (p->refs == 1 && now.tv_sec - p->mtime.tv_sec > FS_SCRATCH_TTL_S)
			fs_pending_drop(fs, p);
		p = next;
	}
}

/*
 * Makes room for a name uid creates, when the budget of pending names
 * refused it (r: -EDQUOT, uid's share; -ENOSPC, everyone's): forgets the
 * oldest abandoned scratch file (no open handle: its writer closed it and
 * never renamed it) of uid, or, when the budget is full, of the uid that
 * holds the most names. So abandoned names cost only their creator, and
 * the heaviest creator first. Returns whether one was forgotten. Caller
 * holds the lock.
 */
static bool pending_evict(struct fs *fs, uid_t uid, int r)
{
	struct pending *victim = NULL;
	size_t victim_held = 0;

	for (struct pending *p = fs->pending; p; p = p->next) {
		size_t held;

		if (p->refs != 1 || (r == -EDQUOT && p->uid != uid))
			continue;
		held = r == -EDQUOT ? 0 : fs_limit_held(fs, METRICS_LIMIT_PENDING_NAMES, p->uid);
		if (!victim || held > victim_held ||
		    (held == victim_held && (p->mtime.tv_sec < victim->mtime.tv_sec ||
					     (p->mtime.tv_sec == victim->mtime.tv_sec &&
					      p->mtime.tv_nsec < victim->mtime.tv_nsec)))) {
			victim = p;
			victim_held = held;
		}
	}
	if (!victim)
		return false;
	pfs_log(LOG_INFO, "forgot an abandoned scratch file of uid %u in \"%s\" to make room "
		"(%s)", (unsigned)victim->uid, victim->tenant,
		r == -EDQUOT ? "max_pending_names_per_uid" : "max_pending_names");
	fs_pending_drop(fs, victim);
	return true;
}

void fs_pending_stat(const struct fs *fs, uint64_t nodeid, const struct pending *p,
		     struct stat *st)
{
	size_t size = 0;
	PFS_AUTOFREE char *pretty = NULL;

	if (p->value) {
		struct pin pin = {.value = p->value, .value_len = p->value_len};

		/* Validated against max_value_bytes at its commit. */
		if (fs_pin_render(&pin, PIN_JSON_UNLIMITED, &pretty, &size) < 0)
			size = 0;
	}
	(void)nodeid;
	fs_fill_pin_stat(fs, fs_pending_ino(p->tenant, p->key), size, &p->mtime, st);
}


int fs_pending_add(struct fs *fs, const char *tenant, const char *key, uid_t uid, bool scratch,
		   struct pending **ret)
{
	struct pending *p = calloc(1, sizeof(*p));
	int r = 0;

	if (!p || !(p->tenant = strdup(tenant)) || !(p->key = strdup(key))) {
		if (p)
			pending_free(p);
		return -ENOMEM;
	}
	p->uid = uid;
	p->scratch = scratch;
	p->refs = 2;	/* the list's and the caller's */
	clock_gettime(CLOCK_REALTIME, &p->mtime);
	pthread_mutex_lock(&fs->pending_lock);
	pending_sweep(fs);
	do
		r = fs_limit_try(fs, METRICS_LIMIT_PENDING_NAMES, uid, 1);
	while ((r == -EDQUOT || r == -ENOSPC) && pending_evict(fs, uid, r));
	if (r == 0) {
		p->next = fs->pending;
		fs->pending = p;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	if (r < 0) {
		pending_free(p);
		return fs_limit_refused(METRICS_LIMIT_PENDING_NAMES, uid, r, -EMFILE, -ENFILE);
	}
	*ret = p;
	return 0;
}

void fs_pending_release(struct fs *fs, struct pending *p)
{
	pthread_mutex_lock(&fs->pending_lock);
	/* A plain creation that was never committed leaves nothing behind. */
	if (!p->scratch && !p->gone && p->refs == 2)
		fs_pending_drop(fs, p);
	fs_pending_unref(fs, p);
	pthread_mutex_unlock(&fs->pending_lock);
}

void fs_pending_free_all(struct fs *fs)
{
	while (fs->pending) {
		struct pending *p = fs->pending;

		fs->pending = p->next;
		pending_free(p);
	}
}

int fs_pending_rename(struct fs *fs, struct pending *p, const char *to)
{
	char *newkey = strdup(to);

	if (!newkey)
		return -ENOMEM;
	pthread_mutex_lock(&fs->pending_lock);
	free(p->key);
	p->key = newkey;
	p->scratch = path_key_create_class(to) == PATH_CREATE_SCRATCH;
	pthread_mutex_unlock(&fs->pending_lock);
	return 0;
}

int fs_pending_value(struct fs *fs, const struct pending *p, char **ret, size_t *ret_len)
{
	int r = 0;

	*ret = NULL;
	*ret_len = 0;
	pthread_mutex_lock(&fs->pending_lock);
	if (p->value) {
		*ret = malloc(p->value_len + 1);
		if (*ret) {
			memcpy(*ret, p->value, p->value_len + 1);
			*ret_len = p->value_len;
		} else {
			r = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&fs->pending_lock);
	return r;
}

void fs_pending_apply_xattrs(struct fs *fs, const struct pending *p, struct pin_write *w,
			     char source[PIN_SOURCE_MAX])
{
	pthread_mutex_lock(&fs->pending_lock);
	w->ttl_op = p->ttl_op;
	w->ttl_seconds = p->ttl_seconds;
	memcpy(source, p->source, PIN_SOURCE_MAX);
	w->conditional = p->expect_set;
	w->expect_version = p->expect_version;
	pthread_mutex_unlock(&fs->pending_lock);
	if (source[0])
		w->source = source;
}

bool fs_pending_exists(struct fs *fs, const char *tenant, const char *key, uid_t uid)
{
	bool found;

	pthread_mutex_lock(&fs->pending_lock);
	found = fs_pending_find(fs, tenant, key, uid, false) != NULL;
	pthread_mutex_unlock(&fs->pending_lock);
	return found;
}

bool fs_pending_open_in_tenant(struct fs *fs, const char *tenant)
{
	bool found = false;

	pthread_mutex_lock(&fs->pending_lock);
	for (struct pending *p = fs->pending; p && !found; p = p->next)
		found = p->refs > 1 && strcmp(p->tenant, tenant) == 0;
	pthread_mutex_unlock(&fs->pending_lock);
	return found;
}

void fs_pending_drop_tenant(struct fs *fs, const char *tenant)
{
	pthread_mutex_lock(&fs->pending_lock);
	for (struct pending *p = fs->pending, *next; p; p = next) {
		next = p->next;
		if (strcmp(p->tenant, tenant) == 0)
			fs_pending_drop(fs, p);
	}
	pthread_mutex_unlock(&fs->pending_lock);
}
