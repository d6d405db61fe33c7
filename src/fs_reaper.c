/* SPDX-License-Identifier: MIT */
/* The reaper (see fs_reaper.h). */
#include "fs_reaper.h"
#include "fs_access.h"
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"

#include <errno.h>
#include <string.h>

#include "pinfs/log.h"
#include "pinfs/timeutil.h"

struct expire_ctx {
	struct fs *fs;
	struct backend *be;
	unsigned no;
};

/* Each expiry: the kernel forgets the name, and /.system/audit shows it. */
static int on_expired(void *ctx, const char *tenant, const char *key)
{
	struct expire_ctx *c = ctx;
	int64_t now = time_now_us();

	inode_table_detach(c->fs->nodes, tenant, key);
	fs_changed(c->fs, c->no, PIN_CHANGE_EXPIRE, tenant, key, true);
	/* The backend wrote the audit row in its transaction: the ring only here. */
	fs_audit(c->fs, NULL, NULL, "expire", tenant, key, 0, NULL, 0, now);
	return 0;
}

int fs_expire_now(struct fs *fs, const char *source)
{
	int total = 0, failed = 0;

	for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
		if (!fs_gen_backend_routed(fs, (unsigned)i))
			continue;
		struct expire_ctx c = {
			.fs = fs, .be = backend_set_get(fs->backends, i), .no = (unsigned)i};
		int r;

		/* In batches, so one transaction never grows without bound. */
		do {
			r = backend_expire(c.be, false, 1000, source, on_expired, &c);
			if (r > 0)
				total += r;
		} while (r == 1000);
		if (r < 0) {
			failed = r;
			pfs_log(LOG_WARNING, "could not expire pins on \"%s\": %s",
				backend_name(c.be), strerror(-r));
		}
	}
	return failed && !total ? failed : total;
}

static void *reaper_main(void *arg)
{
	struct fs *fs = arg;

	pthread_mutex_lock(&fs->reaper_lock);
	while (!fs->stopping) {
		unsigned interval;
		struct timespec until;

		pthread_rwlock_rdlock(&fs->routes_lock);
		interval = fs->reaper_interval_s;
		pthread_rwlock_unlock(&fs->routes_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += interval ? interval : 3600;
		pthread_cond_timedwait(&fs->reaper_wake, &fs->reaper_lock, &until);
		if (fs->stopping || !interval)
			continue;
		pthread_mutex_unlock(&fs->reaper_lock);
		(void)fs_expire_now(fs, "reaper");
		pthread_mutex_lock(&fs->reaper_lock);
	}
	pthread_mutex_unlock(&fs->reaper_lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the change feed                                                    */

int fs_reaper_start(struct fs *fs)
{
	if (pthread_create(&fs->reaper, NULL, reaper_main, fs) != 0)
		return -EAGAIN;
	fs->reaper_running = true;
	return 0;
}

void fs_reaper_wake(struct fs *fs)
{
	pthread_mutex_lock(&fs->reaper_lock);
	pthread_cond_signal(&fs->reaper_wake);
	pthread_mutex_unlock(&fs->reaper_lock);
}

void fs_reaper_stop(struct fs *fs)
{
	if (!fs->reaper_running)
		return;
	pthread_mutex_lock(&fs->reaper_lock);
	fs->stopping = true;
	pthread_cond_signal(&fs->reaper_wake);
	pthread_mutex_unlock(&fs->reaper_lock);
	pthread_join(fs->reaper, NULL);
	fs->reaper_running = false;
}
