/* SPDX-License-Identifier: MIT */
/* A pin's bytes and attributes (see fs_pin.h). */
#include "fs_pin.h"
#include "fs_feed.h"
#include "fs_generation.h"
#include "fs_i.h"

#include <errno.h>
#include <string.h>

#include "pinfs/hash.h"
#include "pinfs/log.h"
#include "pinfs/pin_json.h"
#include "pinfs/timeutil.h"

#define KEY_CACHE_S 60.0

struct timespec fs_usec_to_ts(pfs_usec_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	return ts;
}

void fs_fill_dir_stat(const struct fs *fs, uint64_t ino, struct stat *st)
{
	fs_fill_stat(fs, ino, S_IFDIR | 0755, 2, &fs->start, st);
}

void fs_fill_tenant_stat(const struct fs *fs, const char *tenant, const struct tenant_times *t,
			 struct stat *st)
{
	fs_fill_dir_stat(fs, fs_tenant_ino(tenant), st);
	if (t->changed_at) {
		st->st_mtim = st->st_ctim = st->st_atim = fs_usec_to_ts(t->changed_at);
	}
}

int fs_tenant_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		    struct tenant_times *ret)
{
	bool cacheable = fs_feed_vouches(fs, no);
	uint64_t gen;
	int r;

	if (cacheable && pin_cache_tenant_get(fs->cache, no, tenant, ret))
		return 0;
	gen = pin_cache_generation(fs->cache, no);	/* before asking: see pin_cache.h */
	r = backend_tenant_times(be, tenant, ret);
	if (r == 0 && cacheable)
		pin_cache_tenant_put(fs->cache, no, gen, tenant, ret);
	return r;
}

/* Never 0, and never a pin's (pins have bit 62 clear). */
uint64_t fs_tenant_ino(const char *tenant)
{
	uint64_t h = pfs_fnv1a(PFS_FNV_OFFSET, tenant);

	return (1ull << 62) | (h & ((1ull << 48) - 1)) | 1;
}

/*
 * A 48-bit hash (FNV-1a, then a 64-bit finalizer to spread it over the low
 * bits) of tenant, key and a pin's created_at, never 0.
 */
static uint64_t pin_hash48(const char *tenant, const char *key, pfs_usec_t created_at)
{
	uint64_t h = pfs_fnv1a_byte(pfs_fnv1a(PFS_FNV_OFFSET, tenant), 0);
	uint64_t t = (uint64_t)created_at;

	h = pfs_fnv1a_byte(pfs_fnv1a(h, key), 0);
	for (int i = 0; i < 8; i++, t >>= 8)
		h = pfs_fnv1a_byte(h, (unsigned char)(t & 0xff));
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h &= (1ull << 48) - 1;
	return h ? h : 1;
}

/*
 * Not the row id: that is one counter over every tenant, so a user
 * watching its own new pins' numbers would learn how many pins were made
 * in tenants it cannot see. Every input is something the pin's reader
 * already sees, so the number tells nothing more; it is the same in readdir
 * and stat, across mounts and hosts, and a new pin under the same name
 * (after a delete or an expiry) gets a new one.
 */
uint64_t fs_pin_ino(unsigned backend_no, const char *tenant, const char *key,
		    const struct pin_meta *meta)
{
	return ((uint64_t)(backend_no + 1) << 48) | pin_hash48(tenant, key, meta->created_at);
}

uint64_t fs_pending_ino(const char *tenant, const char *key)
{
	return (1ull << 63) | pin_hash48(tenant, key, 0);
}

void fs_fill_pin_stat(const struct fs *fs, uint64_t ino, size_t size,
		      const struct timespec *mtime, struct stat *st)
{
	fs_fill_stat(fs, ino, S_IFREG | 0644, 1, mtime, st);
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
}

int fs_pin_render(const struct pin *p, size_t max, char **ret, size_t *ret_len)
{
	struct pfs_error err = {0};
	int r = pin_json_render(p->value, p->value_len, PIN_JSON_PRETTY, max, ret, ret_len, &err);

	if (r == -EINVAL) {
		/* Only another tool could have stored this; the database says it is JSON. */
		pfs_log(LOG_WARNING, "stored value of pin %lld cannot be rendered: %s",
			(long long)p->meta.id, err.message);
		return -EIO;
	}
	return r;
}

double fs_key_timeout(struct fs *fs, uint64_t nodeid, unsigned no, pfs_usec_t expires_at)
{
	double t = KEY_CACHE_S;

	if (!fs_feed_vouches(fs, no) || inode_table_nocache(fs->nodes, nodeid))
		return 0;
	if (expires_at) {
		double left = (double)(expires_at - time_now_us()) / 1e6;

		if (left < t)
			t = left > 0 ? left : 0;
	}
	return t;
}

int fs_pin_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		 const char *key, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta)
{
	bool cacheable = fs_feed_vouches(fs, no);
	size_t max = fs_gen_limit(fs, &fs->max_value_bytes);
	struct pin pin = {0};
	uint64_t gen = 0;
	int r;

	if (cacheable) {
		r = pin_cache_get(fs->cache, no, tenant, key, time_now_us(), ret_text, ret_len,
				  ret_meta);
		if (r == 0 && *ret_len <= max)
			return 0;
		if (r == 0) {
			free(*ret_text);	/* cached before a reload lowered the limit */
			*ret_text = NULL;
			return -EFBIG;
		}
		/* Too large for a limit at least this one: too large now (else ask again). */
		if (r == -EFBIG && *ret_len >= max)
			return -EFBIG;
		gen = pin_cache_generation(fs->cache, no);	/* before asking: see pin_cache.h */
	}
	r = backend_pin_get(be, tenant, key, max, &pin);
	if (r < 0)
		return r;
	r = pin.value ? fs_pin_render(&pin, max, ret_text, ret_len) : -EFBIG;
	*ret_meta = pin.meta;
	if (r == -EFBIG && cacheable)
		pin_cache_put_too_large(fs->cache, no, gen, tenant, key, max, &pin.meta);
	pin_done(&pin);
	if (r == 0 && cacheable)
		pin_cache_put(fs->cache, no, gen, tenant, key, *ret_text, *ret_len, ret_meta);
	return r;
}

void fs_pin_stat(const struct fs *fs, unsigned backend_no, const char *tenant, const char *key,
		 size_t len, const struct pin_meta *meta, struct stat *st)
{
	struct timespec mtime = fs_usec_to_ts(meta->updated_at);

	fs_fill_pin_stat(fs, fs_pin_ino(backend_no, tenant, key, meta), len, &mtime, st);
	/* ctime: the row's last change (a rename, a TTL or source change too). */
	if (meta->changed_at > meta->updated_at)
		st->st_ctim = fs_usec_to_ts(meta->changed_at);
}
