/* SPDX-License-Identifier: MIT */
/* A pin's bytes and attributes (see fs_pin.h). */
#include "fs_pin.h"
#include "fs_feed.h"
#include "fs_i.h"

#include <errno.h>
#include <string.h>

#include "pinfs/hash.h"
#include "pinfs/log.h"
#include "pinfs/pin_json.h"
#include "pinfs/timeutil.h"

#define KEY_CACHE_S 60.0

static struct timespec usec_to_ts(pfs_usec_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	return ts;
}

void fs_fill_dir_stat(const struct fs *fs, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = fs->start;
}

/* Never 0, and never a pin's (pins have bit 62 clear). */
uint64_t fs_tenant_ino(const char *tenant)
{
	uint64_t h = pfs_fnv1a(PFS_FNV_OFFSET, tenant);

	return (1ull << 62) | (h & ((1ull << 48) - 1)) | 1;
}

uint64_t fs_pin_ino(unsigned backend_no, int64_t id)
{
	return ((uint64_t)(backend_no + 1) << 48) | ((uint64_t)id & ((1ull << 48) - 1));
}

void fs_fill_pin_stat(const struct fs *fs, uint64_t ino, size_t size,
		      const struct timespec *mtime, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_atim = st->st_mtim = st->st_ctim = *mtime;
}

int fs_pin_render(const struct pin *p, char **ret, size_t *ret_len)
{
	struct pfs_error err = {0};
	int r = pin_json_render(p->value, p->value_len, PIN_JSON_PRETTY, ret, ret_len, &err);

	if (r == -EINVAL) {
		/* Only another tool could have stored this; the database says it is JSON. */
		pfs_log(LOG_WARNING, "stored value of pin %lld cannot be rendered: %s",
			(long long)p->meta.id, err.message);
		return -EIO;
	}
	return r;
}

double fs_key_timeout(struct fs *fs, uint64_t nodeid, unsigned no, const struct pin_meta *meta)
{
	double t = KEY_CACHE_S;

	if (!fs_feed_vouches(fs, no) || inode_table_nocache(fs->nodes, nodeid))
		return 0;
	if (meta->expires_at) {
		double left = (double)(meta->expires_at - time_now_us()) / 1e6;

		if (left < t)
			t = left > 0 ? left : 0;
	}
	return t;
}

int fs_pin_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		 const char *key, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta)
{
	bool cacheable = fs_feed_vouches(fs, no);
	struct pin pin = {0};
	uint64_t gen = 0;
	int r;

	if (cacheable) {
		if (pin_cache_get(fs->cache, no, tenant, key, time_now_us(), ret_text, ret_len,
				  ret_meta) == 0)
			return 0;
		gen = pin_cache_generation(fs->cache, no);	/* before asking: see pin_cache.h */
	}
	r = backend_pin_get(be, tenant, key, &pin);
	if (r < 0)
		return r;
	r = fs_pin_render(&pin, ret_text, ret_len);
	*ret_meta = pin.meta;
	pin_done(&pin);
	if (r == 0 && cacheable)
		pin_cache_put(fs->cache, no, gen, tenant, key, *ret_text, *ret_len, ret_meta);
	return r;
}

void fs_pin_stat(const struct fs *fs, unsigned backend_no, size_t len,
		 const struct pin_meta *meta, struct stat *st)
{
	struct timespec mtime = usec_to_ts(meta->updated_at);

	fs_fill_pin_stat(fs, fs_pin_ino(backend_no, meta->id), len, &mtime, st);
}
