/* SPDX-License-Identifier: MIT */
/*
 * A pin as the kernel sees it: its file bytes (the stored value rendered
 * pretty, fetched through the daemon's cache while the backend's feed
 * vouches for it), its attributes and inode numbers, and how long the
 * kernel may cache them. Tenants' and the root's attributes too.
 *
 * Inode numbers: a tenant's is a hash of its name above every backend's
 * space (bit 62), the same in readdir and stat and across mounts; a pin's
 * is its backend's number above its row id, stable for its lifetime.
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
uint64_t fs_pin_ino(unsigned backend_no, int64_t id);

/* A directory's attributes (the root, a tenant): 0755, owned by the mounting user. */
void fs_fill_dir_stat(const struct fs *fs, uint64_t ino, struct stat *st);
/* A pin file's attributes: 0644, size bytes, every time mtime. */
void fs_fill_pin_stat(const struct fs *fs, uint64_t ino, size_t size,
		      const struct timespec *mtime, struct stat *st);
/* A committed pin's attributes from its text's length and metadata. */
void fs_pin_stat(const struct fs *fs, unsigned backend_no, size_t len,
		 const struct pin_meta *meta, struct stat *st);

/* A stored value as the file's bytes (pretty, final newline); -EIO if it does not render. */
int fs_pin_render(const struct pin *p, char **ret, size_t *ret_len);

/*
 * A pin's text as read (canonical) and its metadata: from the cache while
 * the backend's feed vouches for it, else from the backend (and then
 * cached). *ret_text is new (free()). -ENOENT when there is no such pin.
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
double fs_key_timeout(struct fs *fs, uint64_t nodeid, unsigned no, const struct pin_meta *meta);

#endif /* PINFS_FS_PIN_H */
