/* SPDX-License-Identifier: MIT */
/*
 * The change feed and kernel invalidation (see fs_feed.h). on_change runs
 * on a driver's feed thread: it may call the kernel (through
 * fs->opts.kernel_inval) because no request handler waits on it.
 */
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"

#include <errno.h>
#include <string.h>

#include "pinfs/log.h"
#include "pinfs/path_codec.h"
#include "pinfs/timeutil.h"

bool fs_feed_vouches(struct fs *fs, unsigned no)
{
	return no < FS_MAX_BACKENDS && __atomic_load_n(&fs->has_feed[no], __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&fs->feed_up[no], __ATOMIC_ACQUIRE);
}

static const char *const change_names[] = {
	[PIN_CHANGE_UPSERT] = "upsert",
	[PIN_CHANGE_DELETE] = "delete",
	[PIN_CHANGE_EXPIRE] = "expire",
};

/* One line in /.system/events (version 0: unknown, not shown). */
static void event_append(struct fs *fs, enum pin_change_op op, const char *tenant,
			 const char *key, int64_t version)
{
	struct audit_event ev = {.time_us = time_now_us(), .uid = -1, .success = true,
				 .version = version};

	pfs_strcpy_cut(ev.operation, change_names[op], sizeof(ev.operation));
	pfs_strcpy_cut(ev.tenant, tenant, sizeof(ev.tenant));
	pfs_strcpy_cut(ev.key, key, sizeof(ev.key));
	audit_submit(fs->events, NULL, &ev);
}


void fs_changed_version(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
			const char *key, bool entry, int64_t version)
{
	pin_cache_invalidate(fs->cache, no, tenant, key, entry);
	/* Backends with a feed announce every change, this mount's included, through on_change. */
	if (no < FS_MAX_BACKENDS && !__atomic_load_n(&fs->has_feed[no], __ATOMIC_RELAXED))
		event_append(fs, op, tenant, key, version);
}

void fs_changed(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
		const char *key, bool entry)
{
	fs_changed_version(fs, no, op, tenant, key, entry, 0);
}

/* Asks the kernel to drop its entry and attributes for (tenant, key). */
static void kernel_forget(struct fs *fs, const char *tenant, const char *key, bool gone,
			  bool entry)
{
	PFS_AUTOFREE char *name = NULL;
	uint64_t parent, nodeid;

	if (!fs->opts.kernel_inval)
		return;
	/* The tenant's times moved: its attributes go too. */
	nodeid = !entry ? 0 : fs->opts.only_tenant ? INODE_ROOT : inode_table_peek(fs->nodes, tenant, NULL);
	if (nodeid)
		fs->opts.kernel_inval(fs->opts.kernel_inval_ctx, nodeid, 0, NULL);
	if (!key || !key[0])
		return;
	nodeid = inode_table_peek(fs->nodes, tenant, key);
	parent = !gone ? 0
		 : fs->opts.only_tenant ? INODE_ROOT	/* the mount's root is the tenant */
					: inode_table_peek(fs->nodes, tenant, NULL);
	if (parent && path_key_encode(key, &name) < 0)
		parent = 0;
	if (nodeid || parent)
		fs->opts.kernel_inval(fs->opts.kernel_inval_ctx, nodeid, parent, name);
}

struct forget_all_ctx {
	struct fs *fs;
	unsigned no;
};

static void forget_node(void *ctx, uint64_t nodeid, const char *tenant, const char *key)
{
	struct forget_all_ctx *c = ctx;
	struct backend *be;
	unsigned no;

	/* Only what this backend serves. */
	if (!key || fs_route(c->fs, tenant, &be, &no) < 0 || no != c->no)
		return;
	c->fs->opts.kernel_inval(c->fs->opts.kernel_inval_ctx, nodeid, 0, NULL);
}

/*
 * Runs on a backend's feed thread, never a request handler. The daemon's
 * cache is dropped first, then the kernel's, so a lookup that races with
 * this refetches from the database.
 */
static void on_change(void *ctx, const struct pin_change *c)
{
	struct fs_feed_ctx *fc = ctx;
	struct fs *fs = fc->fs;

	switch (c->op) {
	case PIN_CHANGE_RESYNC:
	case PIN_CHANGE_DOWN:
		/* Changes may have been missed: nothing cached can be trusted. */
		__atomic_store_n(&fs->feed_up[fc->no], 0, __ATOMIC_RELEASE);
		pin_cache_invalidate_backend(fs->cache, fc->no);
		if (fs->opts.kernel_inval) {
			struct forget_all_ctx fa = {.fs = fs, .no = fc->no};

			inode_table_foreach(fs->nodes, forget_node, &fa);
		}
		if (c->op == PIN_CHANGE_RESYNC)
			__atomic_store_n(&fs->feed_up[fc->no], 1, __ATOMIC_RELEASE);
		break;
	default:
		/* An entry that appeared, went or moved changes the tenant's times too. */
		pin_cache_invalidate(fs->cache, fc->no, c->tenant, c->key,
				     c->entry || c->op != PIN_CHANGE_UPSERT);
		kernel_forget(fs, c->tenant, c->key, c->op != PIN_CHANGE_UPSERT, c->entry);
		event_append(fs, c->op, c->tenant, c->key, c->version);
		break;
	}
}


void fs_feed_start(struct fs *fs)
{
	for (size_t i = 0; i < backend_set_size(fs->backends) && i < FS_MAX_BACKENDS; i++) {
		int r;

		if (__atomic_load_n(&fs->has_feed[i], __ATOMIC_RELAXED) ||
		    fs->feed_ctx[i].fs)
			continue;
		fs->feed_ctx[i] = (struct fs_feed_ctx){.fs = fs, .no = (unsigned)i};
		r = backend_feed_start(backend_set_get(fs->backends, i), on_change,
				       &fs->feed_ctx[i]);
		if (r == 0)
			__atomic_store_n(&fs->has_feed[i], 1, __ATOMIC_RELAXED);
		else if (r != -ENOTSUP)
			pfs_log(LOG_WARNING, "could not start the change feed of \"%s\": %s",
				backend_name(backend_set_get(fs->backends, i)), strerror(-r));
	}
}

void fs_feed_stop(struct fs *fs)
{
	for (size_t i = 0; fs->backends && i < backend_set_size(fs->backends); i++)
		backend_feed_stop(backend_set_get(fs->backends, i));
}
