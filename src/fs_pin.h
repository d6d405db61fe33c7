/* SPDX-License-Identifier: MIT */
/*
 * A pin as the kernel sees it: its file bytes (the stored value rendered
 * pretty, fetched through the daemon's cache while the backend's feed
 * vouches for it), its attributes and inode numbers, and how long the
 * kernel may cache them. Tenants' and the root's attributes too.
 *
 * Inode numbers: a tenant's is a hash of its name above every backend's
 * space (bit 62), the same in readdir and stat and across mounts; a pin's
 * is its backend's number above a hash of what names it for its lifetime,
 * stable for that lifetime and independent of other tenants' activity.
 */
#ifndef PINFS_FS_PIN_H
#define PINFS_FS_PIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "pinfs/backend.h"

struct fs;

/* Tenants' attributes are cached briefly; they reveal nothing. */
#define FS_TENANT_ATTR_TIMEOUT 1.0

uint64_t fs_tenant_ino(const char *tenant);
/*
 * A committed pin's st_ino, also its user.pin.id: its backend's number above
 * a 48-bit hash of its tenant, key and created_at (see fs_pin.c).
 */
uint64_t fs_pin_ino(unsigned backend_no, const char *tenant, const char *key,
		    const struct pin_meta *meta);
/* A name not committed yet: an st_ino outside every backend's space (bit 63). */
uint64_t fs_pending_ino(const char *tenant, const char *key);

/* A directory's attributes (the root, a tenant): 0755, owned by the mounting user. */
void fs_fill_dir_stat(const struct fs *fs, uint64_t ino, struct stat *st);
/* A pin file's attributes: 0644, size bytes, every time mtime. */
void fs_fill_pin_stat(const struct fs *fs, uint64_t ino, size_t size,
		      const struct timespec *mtime, struct stat *st);
/* A tenant directory's attributes: its times are its entries' last change. */
void fs_fill_tenant_stat(const struct fs *fs, const char *tenant, const struct tenant_times *t,
			 struct stat *st);
/* A time in microseconds as a struct timespec. */
struct timespec fs_usec_to_ts(pfs_usec_t us);

/*
 * Whether tenant exists on backend no, and its times: from the cache while
 * the feed vouches, else from the backend (and then cached). -ENOENT when
 * it does not exist.
 */
int fs_tenant_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		    struct tenant_times *ret);

/* A committed pin's attributes from its text's length and metadata. */
void fs_pin_stat(const struct fs *fs, unsigned backend_no, const char *tenant, const char *key,
		 size_t len, const struct pin_meta *meta, struct stat *st);

/*
 * A stored value as the file's bytes (pretty, final newline): -EFBIG past
 * max bytes (PIN_JSON_UNLIMITED: none), -EIO if it does not render.
 */
int fs_pin_render(const struct pin *p, size_t max, char **ret, size_t *ret_len);

/*
 * A pin's text as read (canonical) and its metadata: from the cache while
 * the backend's feed vouches for it, else from the backend (and then
 * cached). *ret_text is new (free()). -ENOENT when there is no such pin.
 * A value whose text would be longer than max_value_bytes is -EFBIG, with
 * *ret_meta filled in all the same (the pin exists: it is listed, stat'ed,
 * removed and overwritten as any other); the driver does not even fetch a
 * stored text that long.
 */
int fs_pin_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		 const char *key, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta);

/*
 * How long the kernel may keep the entry and attributes of key node
 * nodeid: while the feed vouches (every change then invalidates them),
 * never past the pin's expiry, and never once access to its tenant was
 * taken from someone who may hold the tenant (inode_table_nocache: the
 * kernel would answer them without asking).
 */
double fs_key_timeout(struct fs *fs, uint64_t nodeid, unsigned no, pfs_usec_t expires_at);

#endif /* PINFS_FS_PIN_H */
