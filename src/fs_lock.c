/* SPDX-License-Identifier: MIT */
/* Locks across mounts: holders, waits and what /.system/locks lists (see fs_lock.h). */
#include "fs_lock.h"
#include "fs_access.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_names.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/hash.h"
#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

struct lock_holder {
	struct lock_holder *next; /* ls->holders, oldest first; under ls->lock */
	enum fs_lock_kind kind;
	uint64_t owner;
	uint64_t nodeid;
	char *tenant;
	char *key;
	struct backend *be;
	unsigned no;		     /* the backend's number */
	struct backend_lock *bl;     /* NULL until the first backend call */
	enum backend_lock_mode mode; /* held now */
	struct pfs_subject who;	     /* who asked for it last */
	int64_t since_us;	     /* held since (or, with wait, waiting since) */
	/* Under ls->lock: */
	bool busy;		   /* a request works on it outside the lock */
	bool gone;		   /* let go of while busy: off the list, the busy one frees it */
	struct fs_lock_wait *wait; /* a wait in progress, or NULL */
};

struct fs_lock_wait {
	struct fs_locks *ls;
	struct lock_holder *h;
	enum backend_lock_mode mode;
	int cancel; /* atomics: non-zero ends the wait */
	fs_lock_done_fn done;
	void *done_ctx;
};

struct fs_locks {
	struct fs *fs;
	pthread_mutex_t lock;
	pthread_cond_t idle;	     /* signalled when waiters drops to 0 */
	struct lock_holder *holders; /* protected by lock */
	unsigned waiters;	     /* wait threads running; protected by lock */
	bool stopping;		     /* protected by lock */
};

struct fs_locks *fs_locks_new(struct fs *fs)
{
	struct fs_locks *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->fs = fs;
	pthread_mutex_init(&ls->lock, NULL);
	pthread_cond_init(&ls->idle, NULL);
	return ls;
}

static enum backend_lock_mode mode_of(enum fs_lock_type type)
{
	return type == FS_LOCK_SHARED	   ? BACKEND_LOCK_SHARED
	       : type == FS_LOCK_EXCLUSIVE ? BACKEND_LOCK_EXCLUSIVE
					   : BACKEND_LOCK_NONE;
}

static enum fs_lock_type type_of(enum backend_lock_mode mode)
{
	return mode == BACKEND_LOCK_SHARED	? FS_LOCK_SHARED
	       : mode == BACKEND_LOCK_EXCLUSIVE ? FS_LOCK_EXCLUSIVE
						: FS_LOCK_UNLOCK;
}

/*
 * The lock's number: the same for every daemon on every host. flock and
 * fcntl locks are apart (they do not meet on Linux either).
 */
static uint64_t lock_id(enum fs_lock_kind kind, const char *tenant, const char *key)
{
	uint64_t h = pfs_fnv1a_byte(PFS_FNV_OFFSET, kind == FS_LOCK_FLOCK ? 'f' : 'p');

	h = pfs_fnv1a(h, tenant);
	h = pfs_fnv1a_byte(h, '/');
	h = pfs_fnv1a(h, key);
	/* FNV-1a's last byte moves its high bits little: finalize (splitmix64). */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* Moves h to mode, keeping the gauge and the time it is held since. Caller holds ls->lock. */
static void holder_set_mode(struct lock_holder *h, enum backend_lock_mode mode)
{
	if (h->mode == BACKEND_LOCK_NONE && mode != BACKEND_LOCK_NONE) {
		metrics_locks_held(1);
		h->since_us = time_now_us();
	} else if (h->mode != BACKEND_LOCK_NONE && mode == BACKEND_LOCK_NONE) {
		metrics_locks_held(-1);
	}
	h->mode = mode;
}

/* Takes h off the list. Caller holds ls->lock. */
static void holder_unlink(struct fs_locks *ls, struct lock_holder *h)
{
	for (struct lock_holder **pp = &ls->holders; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->next = NULL;
}

/* Lets go of what h holds and frees it. h is off the list and nobody else's. */
static void holder_free(struct lock_holder *h)
{
	if (h->mode != BACKEND_LOCK_NONE)
		metrics_locks_held(-1);
	backend_lock_free(h->be, h->bl);
	free(h->tenant);
	free(h->key);
	free(h);
}

static bool holder_matches(const struct lock_holder *h, enum fs_lock_kind kind, uint64_t owner,
			   uint64_t nodeid)
{
	/* An open file is on one node; a process may lock many. */
	return h->kind == kind && h->owner == owner &&
	       (kind == FS_LOCK_FLOCK || h->nodeid == nodeid);
}

static struct lock_holder *holder_find(struct fs_locks *ls, enum fs_lock_kind kind, uint64_t owner,
				       uint64_t nodeid)
{
	for (struct lock_holder *h = ls->holders; h; h = h->next)
		if (holder_matches(h, kind, owner, nodeid))
			return h;
	return NULL;
}

/* Appends h (the list is oldest first). Caller holds ls->lock. */
static void holder_add(struct fs_locks *ls, struct lock_holder *h)
{
	struct lock_holder **pp = &ls->holders;

	while (*pp)
		pp = &(*pp)->next;
	*pp = h;
}

/* What a lock on nodeid is about: a pin, the backend serving it and its number, once who may read
 * it. */
static int lock_target(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		       char **ret_tenant, char **ret_key, struct backend **ret_be, unsigned *ret_no)
{
	enum inode_kind kind;
	char *tenant = NULL, *key = NULL;
	int r;

	r = fs_names_resolve(fs, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r;
	if (kind != INODE_KIND_PIN) {
		/* The kernel keeps directories' locks itself (FUSE sends files' only). */
		free(tenant);
		free(key);
		return -ENOLCK;
	}
	r = fs_route_allow(fs, who, tenant, FS_ALLOW(POLICY_READ), NULL, NULL, ret_be, ret_no);
	if (r < 0) {
		free(tenant);
		free(key);
		return r;
	}
	*ret_tenant = tenant;
	*ret_key = key;
	return 0;
}

/*
 * h was granted its lock: what this daemon cached of the pin is dropped,
 * since the change feed that would
 * have dropped it may still be on its way. The lock's previous holder
 * committed before it let go, so the next read gets that commit: a lock
 * orders reads after writes across mounts, as NFS locks do.
 */
static void holder_granted(struct fs_locks *ls, const struct lock_holder *h)
{
	pin_cache_invalidate(ls->fs->cache, h->no, h->tenant, h->key, false);
}

/* Lets go of h at the request of its owner: now, or by whoever works on it. */
static void holder_drop_locked(struct fs_locks *ls, struct lock_holder *h,
			       struct lock_holder **free_list)
{
	holder_unlink(ls, h);
	if (h->busy || h->wait) {
		h->gone = true;
		if (h->wait)
			__atomic_store_n(&h->wait->cancel, 1, __ATOMIC_RELEASE);
		return;
	}
	h->next = *free_list;
	*free_list = h;
}

/*
 * After a request or a wait on h: a holder that holds nothing is forgotten,
 * and one let go of meanwhile (gone: already off the list) goes. Caller
 * holds ls->lock; true: the caller frees h once it has let go of the lock.
 */
static bool holder_settle(struct fs_locks *ls, struct lock_holder *h)
{
	bool drop = h->gone || h->mode == BACKEND_LOCK_NONE;

	if (drop && !h->gone)
		holder_unlink(ls, h);
	return drop;
}

/* A wait thread is done (or never started). Caller holds ls->lock. */
static void waiter_gone(struct fs_locks *ls)
{
	if (--ls->waiters == 0)
		pthread_cond_broadcast(&ls->idle);
}

static void free_all(struct lock_holder *list)
{
	while (list) {
		struct lock_holder *next = list->next;

		holder_free(list);
		list = next;
	}
}

void fs_locks_release(struct fs *fs, enum fs_lock_kind kind, uint64_t owner, uint64_t nodeid)
{
	struct fs_locks *ls = fs->locks;
	struct lock_holder *gone = NULL, *next;

	if (!ls)
		return;
	pthread_mutex_lock(&ls->lock);
	for (struct lock_holder *h = ls->holders; h; h = next) {
		next = h->next;
		if (holder_matches(h, kind, owner, nodeid))
			holder_drop_locked(ls, h, &gone);
	}
	pthread_mutex_unlock(&ls->lock);
	free_all(gone);
}

bool fs_locks_posix_on(struct fs *fs, uint64_t nodeid)
{
	struct fs_locks *ls = fs->locks;
	bool found = false;

	if (!ls)
		return false;
	pthread_mutex_lock(&ls->lock);
	for (struct lock_holder *h = ls->holders; h && !found; h = h->next)
		found = h->kind == FS_LOCK_POSIX && h->nodeid == nodeid;
	pthread_mutex_unlock(&ls->lock);
	return found;
}

int fs_locks_take(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
		  enum fs_lock_kind kind, uint64_t owner, enum fs_lock_type type, bool wait,
		  struct fs_lock_wait **ret_wait)
{
	struct fs_locks *ls = fs->locks;
	enum backend_lock_mode mode = mode_of(type);
	struct lock_holder *h, *fresh = NULL;
	struct backend *be = NULL;
	char *tenant = NULL, *key = NULL;
	unsigned no = 0;
	bool drop;
	int r;

	*ret_wait = NULL;
	if (type == FS_LOCK_UNLOCK) {
		fs_locks_release(fs, kind, owner, nodeid);
		return 0;
	}
	r = lock_target(fs, who, nodeid, &tenant, &key, &be, &no);
	if (r < 0)
		return r;

	pthread_mutex_lock(&ls->lock);
	h = holder_find(ls, kind, owner, nodeid);
	if (h && (h->busy || h->wait)) {
		/* Another thread of the owner is taking it right now. */
		pthread_mutex_unlock(&ls->lock);
		free(tenant);
		free(key);
		return -EINTR;
	}
	if (h && h->mode == mode) {
		pthread_mutex_unlock(&ls->lock);
		free(tenant);
		free(key);
		return 0;
	}
	if (!h) {
		fresh = calloc(1, sizeof(*fresh));
		if (!fresh) {
			pthread_mutex_unlock(&ls->lock);
			free(tenant);
			free(key);
			return -ENOMEM;
		}
		*fresh = (struct lock_holder){.kind = kind,
					      .owner = owner,
					      .nodeid = nodeid,
					      .tenant = steal_ptr(&tenant),
					      .key = steal_ptr(&key),
					      .be = be,
					      .no = no};
		holder_add(ls, fresh);
		h = fresh;
	}
	h->busy = true;
	h->who = *who;
	pthread_mutex_unlock(&ls->lock);
	free(tenant);
	free(key);

	r = h->bl ? 0 : backend_lock_new(h->be, lock_id(kind, h->tenant, h->key), &h->bl);
	if (r == 0)
		r = backend_lock_set(h->be, h->bl, mode, NULL);
	if (r == 0)
		holder_granted(ls, h);

	pthread_mutex_lock(&ls->lock);
	h->busy = false;
	/* Whatever failed, h holds nothing now (a conversion let go first). */
	holder_set_mode(h, r == 0 ? mode : BACKEND_LOCK_NONE);
	if (r == -EWOULDBLOCK && wait && !h->gone && !ls->stopping) {
		struct fs_lock_wait *w = calloc(1, sizeof(*w));

		if (w) {
			*w = (struct fs_lock_wait){.ls = ls, .h = h, .mode = mode};
			h->wait = w;
			h->since_us = time_now_us();
			pthread_mutex_unlock(&ls->lock);
			*ret_wait = w;
			return FS_LOCK_WAITING;
		}
		r = -ENOMEM;
	}
	if (r == -EWOULDBLOCK)
		metrics_lock_conflict();
	if (r == -EIO)
		pfs_log(LOG_WARNING, "memory_store.backend_error: could not lock \"%s/%s\"",
			h->tenant, h->key);
	drop = holder_settle(ls, h);
	pthread_mutex_unlock(&ls->lock);
	if (drop)
		holder_free(h);
	return r;
}

static void *wait_main(void *arg)
{
	struct fs_lock_wait *w = arg;
	struct fs_locks *ls = w->ls;
	struct lock_holder *h = w->h;
	bool drop;
	int r;

	r = backend_lock_set(h->be, h->bl, w->mode, &w->cancel);
	if (r == 0)
		holder_granted(ls, h);
	pthread_mutex_lock(&ls->lock);
	h->wait = NULL;
	holder_set_mode(h, r == 0 ? w->mode : BACKEND_LOCK_NONE);
	metrics_lock_wait(r == 0	? METRICS_LOCK_WAIT_ACQUIRED
			  : r == -EINTR ? METRICS_LOCK_WAIT_INTERRUPTED
					: METRICS_LOCK_WAIT_FAILED);
	if (h->gone && r == 0)
		r = -EINTR; /* its holder went while it waited: nothing to hand over */
	drop = holder_settle(ls, h);
	pthread_mutex_unlock(&ls->lock);
	if (drop)
		holder_free(h);
	w->done(w->done_ctx, r);
	pthread_mutex_lock(&ls->lock);
	waiter_gone(ls);
	pthread_mutex_unlock(&ls->lock);
	free(w);
	return NULL;
}

int fs_locks_wait_start(struct fs *fs, struct fs_lock_wait *w, fs_lock_done_fn done, void *ctx)
{
	struct fs_locks *ls = w->ls;
	pthread_attr_t attr;
	pthread_t thread;
	bool drop;
	int e;

	(void)fs;
	w->done = done;
	w->done_ctx = ctx;
	pthread_mutex_lock(&ls->lock);
	ls->waiters++;
	pthread_mutex_unlock(&ls->lock);
	e = pthread_attr_init(&attr);
	if (e == 0) {
		(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		/* A waiter blocks in poll and libpq: a small stack is plenty. */
		(void)pthread_attr_setstacksize(&attr, 256u << 10);
		e = pthread_create(&thread, &attr, wait_main, w);
		pthread_attr_destroy(&attr);
	}
	if (e == 0)
		return 0;
	pthread_mutex_lock(&ls->lock);
	w->h->wait = NULL;
	drop = holder_settle(ls, w->h);
	waiter_gone(ls);
	pthread_mutex_unlock(&ls->lock);
	if (drop)
		holder_free(w->h);
	free(w);
	pfs_log(LOG_WARNING, "could not start a lock wait: %s", strerror(e));
	return -e;
}

void fs_locks_wait_cancel(struct fs_lock_wait *w)
{
	__atomic_store_n(&w->cancel, 1, __ATOMIC_RELEASE);
}

int fs_locks_test(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, uint64_t owner,
		  enum fs_lock_type type, enum fs_lock_type *ret_type, uint32_t *ret_pid)
{
	struct fs_locks *ls = fs->locks;
	enum backend_lock_mode held = BACKEND_LOCK_NONE, mode = mode_of(type);
	struct backend_lock *probe = NULL;
	char *tenant = NULL, *key = NULL;
	struct backend *be = NULL;
	unsigned no;
	uint64_t id;
	int r;

	*ret_type = FS_LOCK_UNLOCK;
	*ret_pid = 0;
	if (type == FS_LOCK_UNLOCK)
		return 0;
	r = lock_target(fs, who, nodeid, &tenant, &key, &be, &no);
	if (r < 0)
		return r;
	id = lock_id(FS_LOCK_POSIX, tenant, key);
	pthread_mutex_lock(&ls->lock);
	for (struct lock_holder *h = ls->holders; h; h = h->next) {
		if (holder_matches(h, FS_LOCK_POSIX, owner, nodeid))
			held = h->mode;
		else if (h->kind == FS_LOCK_POSIX && h->mode != BACKEND_LOCK_NONE &&
			 strcmp(h->tenant, tenant) == 0 && strcmp(h->key, key) == 0)
			*ret_pid = (uint32_t)h->who.pid; /* a process of this host */
	}
	pthread_mutex_unlock(&ls->lock);
	free(tenant);
	free(key);
	/* The owner's own lock is never in its way (POSIX): held exclusive, nobody else has it. */
	if (held == BACKEND_LOCK_EXCLUSIVE || (held == BACKEND_LOCK_SHARED && mode == held)) {
		*ret_pid = 0;
		return 0;
	}
	/* A holder of its own asks the backend, as any other process would. */
	r = backend_lock_new(be, id, &probe);
	if (r == 0)
		r = backend_lock_set(be, probe, mode, NULL);
	if (r == -EWOULDBLOCK) {
		if (mode == BACKEND_LOCK_SHARED) {
			*ret_type = FS_LOCK_EXCLUSIVE; /* only that keeps a shared one out */
			r = 0;
		} else if (held == BACKEND_LOCK_SHARED) {
			/* Its own shared lock is in the way too: it cannot tell others' apart. */
			*ret_type = FS_LOCK_SHARED;
			r = 0;
		} else {
			r = backend_lock_set(be, probe, BACKEND_LOCK_SHARED, NULL);
			*ret_type = r == 0 ? FS_LOCK_SHARED : FS_LOCK_EXCLUSIVE;
			if (r == -EWOULDBLOCK)
				r = 0;
		}
	}
	if (*ret_type == FS_LOCK_UNLOCK)
		*ret_pid = 0;
	backend_lock_free(be, probe);
	return r;
}

void fs_locks_list(struct fs *fs, int (*cb)(void *ctx, const struct fs_lock_info *info), void *ctx)
{
	struct fs_locks *ls = fs->locks;

	if (!ls)
		return;
	pthread_mutex_lock(&ls->lock);
	for (struct lock_holder *h = ls->holders; h; h = h->next) {
		struct fs_lock_info info = {.tenant = h->tenant,
					    .key = h->key,
					    .kind = h->kind,
					    .type = type_of(h->wait ? h->wait->mode : h->mode),
					    .waiting = h->wait != NULL,
					    .who = &h->who,
					    .since_us = h->since_us};

		if (h->mode == BACKEND_LOCK_NONE && !h->wait)
			continue; /* being taken right now */
		if (cb(ctx, &info) != 0)
			break;
	}
	pthread_mutex_unlock(&ls->lock);
}

void fs_locks_free(struct fs *fs, struct fs_locks *ls)
{
	struct lock_holder *gone = NULL;

	(void)fs;
	if (!ls)
		return;
	pthread_mutex_lock(&ls->lock);
	ls->stopping = true;
	while (ls->holders)
		holder_drop_locked(ls, ls->holders, &gone);
	while (ls->waiters > 0)
		pthread_cond_wait(&ls->idle, &ls->lock);
	pthread_mutex_unlock(&ls->lock);
	free_all(gone);
	pthread_mutex_destroy(&ls->lock);
	pthread_cond_destroy(&ls->idle);
	free(ls);
}
