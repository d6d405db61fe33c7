/* SPDX-License-Identifier: MIT */
/*
 * Pin cache (see pin_cache.h): a chained hash table over entries that are
 * also on one LRU list. A tenant's existence is an entry with key NULL.
 * Invariants: bytes == the sum of entry sizes <= max_bytes after every put;
 * every entry is in exactly one bucket and on the LRU list. All of it is
 * protected by c->lock.
 */
#include "pinfs/pin_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/hash.h"
#include "pinfs/metrics.h"

#define MAX_BACKENDS 64

struct entry {
	struct entry *next;		/* bucket chain */
	struct entry *lru_prev, *lru_next;
	uint64_t hash;
	unsigned no;
	char *tenant;
	char *key;			/* NULL: "tenant exists" */
	char *text;
	size_t len;			/* too_large: the limit it was too large for */
	bool too_large;			/* no text: the pin is too large to read */
	struct pin_meta meta;
	size_t size;			/* what it costs against max_bytes */
};

struct pin_cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets;		/* a power of two */
	struct entry lru;		/* sentinel: lru.lru_next is the most recent */
	size_t bytes, max_bytes, entries;
	uint64_t gen[MAX_BACKENDS];
	uint64_t hits, misses;
};

static uint64_t hash_of(unsigned no, const char *tenant, const char *key)
{
	uint64_t h = pfs_fnv1a_byte(pfs_fnv1a(PFS_FNV_OFFSET ^ no, tenant), 0xff);

	return key ? pfs_fnv1a(h, key) : pfs_fnv1a_byte(h, 0xfe);
}

struct pin_cache *pin_cache_new(size_t max_bytes)
{
	struct pin_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nbuckets = 4096;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->lru.lru_next = c->lru.lru_prev = &c->lru;
	c->max_bytes = max_bytes;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void entry_free(struct entry *e)
{
	free(e->tenant);
	free(e->key);
	free(e->text);
	free(e);
}

struct pin_cache *pin_cache_free(struct pin_cache *c)
{
	if (!c)
		return NULL;
	for (struct entry *e = c->lru.lru_next, *n; e != &c->lru; e = n) {
		n = e->lru_next;
		entry_free(e);
	}
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return NULL;
}

static bool matches(const struct entry *e, uint64_t h, unsigned no, const char *tenant,
		    const char *key)
{
	if (e->hash != h || e->no != no || strcmp(e->tenant, tenant) != 0)
		return false;
	if (!key || !e->key)
		return !key && !e->key;
	return strcmp(e->key, key) == 0;
}

static struct entry **slot(struct pin_cache *c, uint64_t h, unsigned no, const char *tenant,
			   const char *key)
{
	struct entry **pp = &c->buckets[h & (c->nbuckets - 1)];

	while (*pp && !matches(*pp, h, no, tenant, key))
		pp = &(*pp)->next;
	return pp;
}

static void lru_unlink(struct entry *e)
{
	e->lru_prev->lru_next = e->lru_next;
	e->lru_next->lru_prev = e->lru_prev;
}

static void lru_push_front(struct pin_cache *c, struct entry *e)
{
	e->lru_next = c->lru.lru_next;
	e->lru_prev = &c->lru;
	c->lru.lru_next->lru_prev = e;
	c->lru.lru_next = e;
}

/* Unhooks and frees e. Caller holds the lock. */
static void drop(struct pin_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	lru_unlink(e);
	c->bytes -= e->size;
	c->entries--;
	entry_free(e);
}

uint64_t pin_cache_generation(struct pin_cache *c, unsigned no)
{
	uint64_t g;

	if (no >= MAX_BACKENDS)
		return 0;
	pthread_mutex_lock(&c->lock);
	g = c->gen[no];
	pthread_mutex_unlock(&c->lock);
	return g;
}

int pin_cache_get(struct pin_cache *c, unsigned no, const char *tenant, const char *key,
		  int64_t now_us, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta)
{
	uint64_t h = hash_of(no, tenant, key);
	struct entry *e;
	int r = -ENOENT;

	pthread_mutex_lock(&c->lock);
	e = *slot(c, h, no, tenant, key);
	if (e && e->meta.expires_at && e->meta.expires_at <= now_us) {
		drop(c, e);	/* expired: gone for every reader at once */
		e = NULL;
	}
	if (e && e->too_large) {
		*ret_len = e->len;
		*ret_meta = e->meta;
		lru_unlink(e);
		lru_push_front(c, e);
		r = -EFBIG;
	} else if (e) {
		char *copy = malloc(e->len + 1);

		if (copy) {
			memcpy(copy, e->text, e->len + 1);
			*ret_text = copy;
			*ret_len = e->len;
			*ret_meta = e->meta;
			lru_unlink(e);
			lru_push_front(c, e);
			r = 0;
		} else {
			r = -ENOMEM;
		}
	}
	if (r == 0 || r == -EFBIG)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	metrics_cache(r == 0 || r == -EFBIG);
	return r;
}

/*
 * Inserts or replaces; evicts from the cold end. Caller holds the lock.
 * text NULL with a key: a too-large marker (len is its limit, no text).
 */
static void insert(struct pin_cache *c, uint64_t h, unsigned no, const char *tenant,
		   const char *key, const char *text, size_t len, const struct pin_meta *meta)
{
	struct entry **pp = slot(c, h, no, tenant, key);
	struct entry *e;
	bool too_large = key && !text;
	size_t size =
	    sizeof(*e) + strlen(tenant) + (key ? strlen(key) : 0) + (too_large ? 0 : len) + 3;

	if (*pp)
		drop(c, *pp);
	if (size > c->max_bytes / 4)
		return;	/* one huge value must not empty the cache */
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->hash = h;
	e->no = no;
	e->tenant = strdup(tenant);
	e->key = key ? strdup(key) : NULL;
	e->text = malloc(too_large ? 1 : len + 1);
	if (!e->tenant || (key && !e->key) || !e->text) {
		entry_free(e);
		return;
	}
	if (text)
		memcpy(e->text, text, len);
	e->text[too_large ? 0 : len] = '\0';
	e->len = len;
	e->too_large = too_large;
	if (meta)
		e->meta = *meta;
	e->size = size;
	pp = &c->buckets[h & (c->nbuckets - 1)];
	e->next = *pp;
	*pp = e;
	lru_push_front(c, e);
	c->bytes += size;
	c->entries++;
	while (c->bytes > c->max_bytes && c->lru.lru_prev != &c->lru)
		drop(c, c->lru.lru_prev);
}

void pin_cache_put(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
		   const char *key, const char *text, size_t len, const struct pin_meta *meta)
{
	if (no >= MAX_BACKENDS || !key || !text)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->gen[no] == gen)
		insert(c, hash_of(no, tenant, key), no, tenant, key, text, len, meta);
	pthread_mutex_unlock(&c->lock);
}

void pin_cache_put_too_large(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
			     const char *key, size_t limit, const struct pin_meta *meta)
{
	if (no >= MAX_BACKENDS || !key)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->gen[no] == gen)
		insert(c, hash_of(no, tenant, key), no, tenant, key, NULL, limit, meta);
	pthread_mutex_unlock(&c->lock);
}

bool pin_cache_tenant_get(struct pin_cache *c, unsigned no, const char *tenant,
			  struct tenant_times *ret_times)
{
	uint64_t h = hash_of(no, tenant, NULL);
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = *slot(c, h, no, tenant, NULL);
	if (e) {
		/* A tenant's entry keeps its times in the metadata's. */
		ret_times->created_at = e->meta.created_at;
		ret_times->changed_at = e->meta.changed_at;
	}
	pthread_mutex_unlock(&c->lock);
	return e != NULL;
}

void pin_cache_tenant_put(struct pin_cache *c, unsigned no, uint64_t gen, const char *tenant,
			  const struct tenant_times *times)
{
	struct pin_meta m = {.created_at = times->created_at, .changed_at = times->changed_at};

	if (no >= MAX_BACKENDS)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->gen[no] == gen)
		insert(c, hash_of(no, tenant, NULL), no, tenant, NULL, NULL, 0, &m);
	pthread_mutex_unlock(&c->lock);
}

void pin_cache_invalidate(struct pin_cache *c, unsigned no, const char *tenant, const char *key,
			  bool gone)
{
	if (no >= MAX_BACKENDS)
		return;
	pthread_mutex_lock(&c->lock);
	c->gen[no]++;
	if (key && key[0]) {
		struct entry *e = *slot(c, hash_of(no, tenant, key), no, tenant, key);

		if (e)
			drop(c, e);
		/* The last pin of a tenant may have gone with it: ask again. */
		e = gone ? *slot(c, hash_of(no, tenant, NULL), no, tenant, NULL) : NULL;
		if (e)
			drop(c, e);
	} else {
		for (struct entry *e = c->lru.lru_next, *n; e != &c->lru; e = n) {
			n = e->lru_next;
			if (e->no == no && strcmp(e->tenant, tenant) == 0)
				drop(c, e);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void pin_cache_invalidate_backend(struct pin_cache *c, unsigned no)
{
	if (no >= MAX_BACKENDS)
		return;
	pthread_mutex_lock(&c->lock);
	c->gen[no]++;
	for (struct entry *e = c->lru.lru_next, *n; e != &c->lru; e = n) {
		n = e->lru_next;
		if (e->no == no)
			drop(c, e);
	}
	pthread_mutex_unlock(&c->lock);
}

void pin_cache_stats(struct pin_cache *c, uint64_t *ret_hits, uint64_t *ret_misses,
		     size_t *ret_bytes, size_t *ret_entries)
{
	pthread_mutex_lock(&c->lock);
	*ret_hits = c->hits;
	*ret_misses = c->misses;
	*ret_bytes = c->bytes;
	*ret_entries = c->entries;
	pthread_mutex_unlock(&c->lock);
}
