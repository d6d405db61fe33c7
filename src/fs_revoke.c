/* SPDX-License-Identifier: MIT */
/* Revocation: the generation and the thread that makes the kernel forget (see fs_revoke.h). */
#include "fs_revoke.h"
#include "fs_access.h"
#include "fs_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/log.h"
#include "pinfs/path_codec.h"
#include "pinfs/timeutil.h"

/* How long after a pass the same nodes are invalidated again. */
#define REVOKE_AGAIN_MS 200
/*
 * The longest the thread sleeps: then it asks the kernel again to drop the
 * uncacheable nodes nobody uses any more.
 */
#define REVOKE_IDLE_MS 10000

void fs_revoke_init(struct fs *fs)
{
	pthread_mutex_init(&fs->revoke_lock, NULL);
	pthread_cond_init(&fs->revoke_wake, NULL);
}

void fs_revoke_destroy(struct fs *fs)
{
	pthread_mutex_destroy(&fs->revoke_lock);
	pthread_cond_destroy(&fs->revoke_wake);
}

void fs_revoke_note(struct fs *fs)
{
	pthread_mutex_lock(&fs->revoke_lock);
	__atomic_add_fetch(&fs->access_gen, 1, __ATOMIC_ACQ_REL);
	fs->revoke_pending = true;
	pthread_cond_signal(&fs->revoke_wake);
	pthread_mutex_unlock(&fs->revoke_lock);
}

/* The tenant nodes a walker can no longer read. */
struct lost {
	struct fs *fs;
	uint64_t *ids;
	size_t n, cap;
	int err;
};

static void judge_tenant(void *ctx, uint64_t nodeid, const char *tenant,
			 const struct inode_walker *walkers, size_t n)
{
	struct lost *l = ctx;
	bool lost = n == SIZE_MAX;	/* too many walked it to tell */

	for (size_t i = 0; i < n && !lost; i++) {
		struct pfs_subject who = {
		    .uid = walkers[i].uid, .gid = walkers[i].gid, .pid = walkers[i].pid};

		lost = !fs_still_allowed(l->fs, &who, tenant, POLICY_READ);
	}
	if (!lost)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint64_t *nv = realloc(l->ids, cap * sizeof(*nv));

		if (!nv) {
			l->err = -ENOMEM;
			return;
		}
		l->ids = nv;
		l->cap = cap;
	}
	l->ids[l->n++] = nodeid;
}

/* What the kernel is told to forget: a pin's attributes, and its entry in its tenant. */
struct inval {
	uint64_t nodeid;
	uint64_t parent;	/* 0: attributes only */
	char *name;
};

struct inval_list {
	struct fs *fs;
	struct inval *v;
	size_t n, cap;
};

static void collect(void *ctx, uint64_t nodeid, const char *tenant, const char *key)
{
	struct inval_list *l = ctx;
	struct inval it = {.nodeid = nodeid};

	if (!key)
		return;	/* a tenant: its entry is never cached; prune() drops the node */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct inval *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return;	/* out of memory: the mark still keeps new replies uncached */
		l->v = nv;
		l->cap = cap;
	}
	it.parent = inode_table_peek(l->fs->nodes, tenant, NULL);
	if (!it.parent || path_key_encode(key, &it.name) < 0)
		it.parent = 0;	/* its attributes still go */
	l->v[l->n++] = it;
}

/* Tells the kernel to forget each pin's attributes, and with names its entry too. */
static void tell_kernel(struct fs *fs, const struct inval_list *l, bool names)
{
	for (size_t i = 0; i < l->n; i++)
		fs->opts.kernel_inval(fs->opts.kernel_inval_ctx, l->v[i].nodeid,
				      names ? l->v[i].parent : 0, names ? l->v[i].name : NULL);
}

/*
 * Asks the kernel to drop the uncacheable nodes nobody uses: once it has
 * forgotten a tenant node, the tenant's next walk makes a fresh node that
 * caches again. Nodes in use (a cwd, a descriptor, an open file) stay, and
 * stay uncacheable. Without revoke_lock.
 */
static void prune(struct fs *fs)
{
	uint64_t *ids = NULL;
	size_t n = 0;
	int r;

	if (!fs->opts.kernel_prune || __atomic_load_n(&fs->prune_unsupported, __ATOMIC_RELAXED) ||
	    inode_table_nocache_nodes(fs->nodes, &ids, &n) < 0)
		return;
	r = n ? fs->opts.kernel_prune(fs->opts.kernel_inval_ctx, ids, n) : 0;
	free(ids);
	if (r == -EINVAL || r == -ENOSYS) {
		__atomic_store_n(&fs->prune_unsupported, true, __ATOMIC_RELAXED);
		pfs_log(LOG_INFO, "revocation: this kernel cannot prune nodes (Linux 6.18 can): "
			"a tenant where access was taken away stays uncached until the kernel "
			"evicts it");
	}
}

/* Waits up to ms on revoke_wake unless stopping. Caller holds revoke_lock. */
static void wait_locked(struct fs *fs, int64_t ms)
{
	struct timespec until;

	if (fs->revoke_stopping)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	time_add_ms(&until, (unsigned)(ms > 0 ? ms : 0));
	pthread_cond_timedwait(&fs->revoke_wake, &fs->revoke_lock, &until);
}

/*
 * Marks the tenants some past walker can no longer read, with their pins,
 * and makes the kernel forget what it cached there. Without revoke_lock.
 */
static void revoke_pass(struct fs *fs)
{
	struct lost lost = {.fs = fs};
	struct inval_list l = {.fs = fs};
	int64_t started = time_now_us();
	int r;

	r = inode_table_foreach_tenant(fs->nodes, judge_tenant, &lost);
	if (r == 0 && lost.err == 0)
		r = inode_table_revoke(fs->nodes, lost.ids, lost.n,
				       fs->opts.kernel_inval ? collect : NULL, &l);
	if (r < 0 || lost.err < 0)
		pfs_log(LOG_WARNING, "revocation: out of memory: what the kernel cached stays "
			"until it expires (at most 60 s)");
	if (fs->opts.kernel_inval && l.n) {
		/*
		 * Every name the kernel caches is looked up again (the lookups under
		 * way count as older), and the pins' attributes go: a reply older
		 * than that is not applied (the kernel's attr_version).
		 */
		bool expired = fs->opts.kernel_expire_names &&
			       fs->opts.kernel_expire_names(fs->opts.kernel_inval_ctx) == 0;

		tell_kernel(fs, &l, !expired);
		pfs_log(LOG_INFO, "revocation: %zu tenant(s) no longer cached; the kernel forgot "
			"%zu cached pin(s) in %.1f ms%s", lost.n, l.n,
			(double)(time_now_us() - started) / 1000.0,
			expired ? " (every cached name expired)" : "");
		if (!expired) {
			/* Older kernels: an entry sent before its invalidation outlives it. */
			int64_t again = time_now_us() + REVOKE_AGAIN_MS * 1000;

			pthread_mutex_lock(&fs->revoke_lock);
			while (!fs->revoke_stopping && time_now_us() < again)
				wait_locked(fs, (again - time_now_us() + 999) / 1000);
			pthread_mutex_unlock(&fs->revoke_lock);
			tell_kernel(fs, &l, true);
		}
	}
	prune(fs);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	free(lost.ids);
}

static void *revoker_main(void *arg)
{
	struct fs *fs = arg;

	pthread_mutex_lock(&fs->revoke_lock);
	while (!fs->revoke_stopping) {
		int64_t next = cred_store_next_expiry(fs->creds);
		int64_t now_us = time_now_us();

		/* A bound token's expiry takes its grants away like an unbind. */
		if (next && next * 1000000 <= now_us &&
		    cred_store_take_expired(fs->creds, now_us / 1000000) > 0) {
			__atomic_add_fetch(&fs->access_gen, 1, __ATOMIC_ACQ_REL);
			fs->revoke_pending = true;
		}
		if (!fs->revoke_pending) {
			int64_t ms = next ? (next * 1000000 - now_us + 999) / 1000 : REVOKE_IDLE_MS;

			if (now_us >= fs->revoke_prune_at) {
				fs->revoke_prune_at = now_us + REVOKE_IDLE_MS * 1000;
				pthread_mutex_unlock(&fs->revoke_lock);
				prune(fs);
				pthread_mutex_lock(&fs->revoke_lock);
				continue;
			}
			if (ms > (fs->revoke_prune_at - now_us + 999) / 1000)
				ms = (fs->revoke_prune_at - now_us + 999) / 1000;
			wait_locked(fs, ms);
			continue;
		}
		fs->revoke_pending = false;
		pthread_mutex_unlock(&fs->revoke_lock);
		revoke_pass(fs);
		pthread_mutex_lock(&fs->revoke_lock);
	}
	pthread_mutex_unlock(&fs->revoke_lock);
	return NULL;
}

int fs_revoke_start(struct fs *fs)
{
	if (pthread_create(&fs->revoker, NULL, revoker_main, fs) != 0)
		return -EAGAIN;
	fs->revoker_running = true;
	return 0;
}

void fs_revoke_stop(struct fs *fs)
{
	if (!fs->revoker_running)
		return;
	pthread_mutex_lock(&fs->revoke_lock);
	fs->revoke_stopping = true;
	pthread_cond_signal(&fs->revoke_wake);
	pthread_mutex_unlock(&fs->revoke_lock);
	pthread_join(fs->revoker, NULL);
	fs->revoker_running = false;
}
