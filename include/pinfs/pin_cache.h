/* SPDX-License-Identifier: MIT */
/*
 * The daemon's cache of pins (their rendered text and metadata) and of
 * which tenants exist, per backend. It is an optimisation, never a
 * fallback: the filesystem core consults it only while that backend's
 * change feed is connected, and every change the feed announces
 * invalidates what it touches.
 *
 * Fills race with invalidations: a reader takes the backend's generation
 * before it asks the database and puts what it got with that generation;
 * the put is dropped if an invalidation came in between, so a stale value
 * can never be cached after the change that made it stale.
 *
 * Bounded (least recently used entries go first). Thread-safe: one mutex,
 * held only for hash and list work and copies.
 */
#ifndef PINFS_PIN_CACHE_H
#define PINFS_PIN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinfs/backend.h"
#include "pinfs/macro.h"

struct pin_cache;

struct pin_cache *pin_cache_new(size_t max_bytes);
struct pin_cache *pin_cache_free(struct pin_cache *c);
PFS_DEFINE_FREEP(struct pin_cache, pin_cache_free)

/* The generation of backend no: read it before fetching what you will put. */
uint64_t pin_cache_generation(struct pin_cache *c, unsigned no);

/*
 * Copies the cached pin into *ret_text (new, free()) and *ret_meta. -ENOENT
 * when not cached or expired at now_us (an expired entry is dropped).
 * -EFBIG for a pin cached as too large to read: *ret_meta is its metadata
 * and *ret_len the limit it was too large for (*ret_text untouched).
 */
int pin_cache_get(struct pin_cache *c, unsigned no, const char *tenant, const char *key,
		  int64_t now_us, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta);
/* Caches a copy, unless backend no's generation moved past gen. */
void pin_cache_put(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
		   const char *key, const char *text, size_t len, const struct pin_meta *meta);
/*
 * Caches that a pin is too large to read within limit bytes (no text), so
 * lookups and stats do not ask the database to print it again; the same
 * generation rule.
 */
void pin_cache_put_too_large(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
			     const char *key, size_t limit, const struct pin_meta *meta);

/* Whether tenant is known to exist on backend no; then *ret_times are its times. */
bool pin_cache_tenant_get(struct pin_cache *c, unsigned no, const char *tenant,
			  struct tenant_times *ret_times);
/* Caches that tenant exists on backend no, with its times (unless the generation moved). */
void pin_cache_tenant_put(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
			  const struct tenant_times *times);

/*
 * Drops (no, tenant, key), and with gone also the tenant's existence (the
 * last pin of a tenant may have gone with it); key NULL or "": every key of
 * tenant and its existence. Bumps the generation.
 */
void pin_cache_invalidate(struct pin_cache *c, unsigned no, const char *tenant, const char *key,
			  bool gone);
/* Drops everything of backend no and bumps its generation. */
void pin_cache_invalidate_backend(struct pin_cache *c, unsigned no);

/* Hits and misses so far (metrics and tests). */
void pin_cache_stats(struct pin_cache *c, uint64_t *ret_hits, uint64_t *ret_misses,
		     size_t *ret_bytes, size_t *ret_entries);

#endif /* PINFS_PIN_CACHE_H */
