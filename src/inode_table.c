/* SPDX-License-Identifier: MIT */
/*
 * Node table: node id <-> name, with lookup counts (see inode_table.h).
 *
 * Two chained hash tables index the same nodes: by id (every live node) and
 * by name (attached nodes only). Invariant: a node is in the name index iff
 * node->attached. All fields are protected by t->lock.
 */
#include "pinfs/inode_table.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/hash.h"

/* Past this many distinct walkers a tenant node counts as walked by anyone. */
#define WALKERS_MAX 256

struct node {
	uint64_t id;
	uint64_t nlookup;
	char *tenant;
	char *key;		/* NULL for a tenant */
	bool attached;
	bool nocache;		/* inode_table_revoke marked it */
	bool revoking;		/* inode_table_revoke is marking its pins (under the lock) */
	bool many_walkers;	/* tenants: more than WALKERS_MAX walked it */
	struct inode_walker *walkers;	/* tenants: who walked it, one per (uid, gid) */
	size_t n_walkers, cap_walkers;
	struct node *next_id;	/* chain in by_id */
	struct node *next_name;	/* chain in by_name */
};

struct inode_table {
	pthread_mutex_t lock;
	struct node **by_id;
	struct node **by_name;
	size_t nbuckets;	/* both tables; a power of two */
	size_t count;
	size_t n_nocache;	/* how many nodes are uncacheable */
	uint64_t next_id;
};

static uint64_t hash_id(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return id;
}

/* FNV-1a over tenant, a separator that cannot occur in names, and key. */
static uint64_t hash_name(const char *tenant, const char *key)
{
	uint64_t h = pfs_fnv1a_byte(pfs_fnv1a(PFS_FNV_OFFSET, tenant), 0xff);

	return key ? pfs_fnv1a(h, key) : h;
}

static bool same_name(const struct node *n, const char *tenant, const char *key)
{
	if (strcmp(n->tenant, tenant) != 0)
		return false;
	if (!key || !n->key)
		return !key && !n->key;
	return strcmp(n->key, key) == 0;
}

struct inode_table *inode_table_new(void)
{
	struct inode_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nbuckets = 1024;
	t->by_id = calloc(t->nbuckets, sizeof(*t->by_id));
	t->by_name = calloc(t->nbuckets, sizeof(*t->by_name));
	if (!t->by_id || !t->by_name) {
		free(t->by_id);
		free(t->by_name);
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->next_id = INODE_FIRST_DYNAMIC;
	return t;
}

static void node_free(struct node *n)
{
	free(n->walkers);
	free(n->tenant);
	free(n->key);
	free(n);
}

struct inode_table *inode_table_free(struct inode_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct node *n = t->by_id[i];

		while (n) {
			struct node *next = n->next_id;

			node_free(n);
			n = next;
		}
	}
	free(t->by_id);
	free(t->by_name);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return NULL;
}

static struct node **id_slot(struct inode_table *t, uint64_t id)
{
	struct node **pp = &t->by_id[hash_id(id) & (t->nbuckets - 1)];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next_id;
	return pp;
}

static struct node **name_slot(struct inode_table *t, const char *tenant, const char *key)
{
	struct node **pp = &t->by_name[hash_name(tenant, key) & (t->nbuckets - 1)];

	while (*pp && !same_name(*pp, tenant, key))
		pp = &(*pp)->next_name;
	return pp;
}

static void name_unlink(struct inode_table *t, struct node *n)
{
	struct node **pp;

	if (!n->attached)
		return;
	pp = &t->by_name[hash_name(n->tenant, n->key) & (t->nbuckets - 1)];
	while (*pp && *pp != n)
		pp = &(*pp)->next_name;
	if (*pp)
		*pp = n->next_name;
	n->next_name = NULL;
	n->attached = false;
}

static void name_link(struct inode_table *t, struct node *n)
{
	struct node **head = &t->by_name[hash_name(n->tenant, n->key) & (t->nbuckets - 1)];

	n->next_name = *head;
	*head = n;
	n->attached = true;
}

/* Doubles both tables when they get crowded. Failure to grow is harmless. */
static void maybe_grow(struct inode_table *t)
{
	size_t nb = t->nbuckets * 2;
	struct node **by_id, **by_name;

	if (t->count < t->nbuckets * 2)
		return;
	by_id = calloc(nb, sizeof(*by_id));
	by_name = calloc(nb, sizeof(*by_name));
	if (!by_id || !by_name) {
		free(by_id);
		free(by_name);
		return;
	}
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct node *n = t->by_id[i];

		while (n) {
			struct node *next = n->next_id;
			size_t b = hash_id(n->id) & (nb - 1);

			n->next_id = by_id[b];
			by_id[b] = n;
			if (n->attached) {
				b = hash_name(n->tenant, n->key) & (nb - 1);
				n->next_name = by_name[b];
				by_name[b] = n;
			}
			n = next;
		}
	}
	free(t->by_id);
	free(t->by_name);
	t->by_id = by_id;
	t->by_name = by_name;
	t->nbuckets = nb;
}

int inode_table_ref(struct inode_table *t, const char *tenant, const char *key,
		    uint64_t *ret_nodeid)
{
	struct node *n;
	int r = 0;

	pthread_mutex_lock(&t->lock);
	n = *name_slot(t, tenant, key);
	if (!n) {
		n = calloc(1, sizeof(*n));
		if (!n || !(n->tenant = strdup(tenant)) || (key && !(n->key = strdup(key)))) {
			if (n)
				node_free(n);
			r = -ENOMEM;
			goto out;
		}
		n->id = t->next_id++;
		if (key) {
			/* A pin looked up under an uncacheable tenant node is uncacheable. */
			struct node *tn = *name_slot(t, tenant, NULL);

			n->nocache = tn && tn->nocache;
			t->n_nocache += n->nocache;
		}
		*id_slot(t, n->id) = n;
		name_link(t, n);
		t->count++;
		maybe_grow(t);
	}
	n->nlookup++;
	*ret_nodeid = n->id;
out:
	pthread_mutex_unlock(&t->lock);
	return r;
}

uint64_t inode_table_peek(struct inode_table *t, const char *tenant, const char *key)
{
	struct node *n;
	uint64_t id;

	pthread_mutex_lock(&t->lock);
	n = *name_slot(t, tenant, key);
	id = n ? n->id : 0;
	pthread_mutex_unlock(&t->lock);
	return id;
}

int inode_table_resolve(struct inode_table *t, uint64_t nodeid, enum inode_kind *ret_kind,
			char **ret_tenant, char **ret_key)
{
	char *tenant = NULL, *key = NULL;
	struct node *n;
	int r = 0;

	if (nodeid == INODE_ROOT) {
		*ret_kind = INODE_KIND_ROOT;
		*ret_tenant = *ret_key = NULL;
		return 0;
	}
	if (nodeid < INODE_FIRST_DYNAMIC || inode_is_system(nodeid)) {
		if (!inode_is_system(nodeid))
			return -ENOENT;
		*ret_kind = INODE_KIND_SYSTEM;
		*ret_tenant = *ret_key = NULL;
		return 0;
	}
	pthread_mutex_lock(&t->lock);
	n = *id_slot(t, nodeid);
	if (!n) {
		r = -ENOENT;
	} else if (!n->attached) {
		r = -ESTALE;
	} else if (!(tenant = strdup(n->tenant)) || (n->key && !(key = strdup(n->key)))) {
		free(tenant);
		r = -ENOMEM;
	} else {
		*ret_kind = n->key ? INODE_KIND_PIN : INODE_KIND_TENANT;
		*ret_tenant = tenant;
		*ret_key = key;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void inode_table_forget(struct inode_table *t, uint64_t nodeid, uint64_t nlookup)
{
	struct node **pp, *n;

	if (nodeid < INODE_FIRST_DYNAMIC || inode_is_system(nodeid))
		return;
	pthread_mutex_lock(&t->lock);
	pp = id_slot(t, nodeid);
	n = *pp;
	if (n) {
		n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
		if (n->nlookup == 0) {
			name_unlink(t, n);
			*pp = n->next_id;
			t->count--;
			t->n_nocache -= n->nocache;
			node_free(n);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void inode_table_rename(struct inode_table *t, const char *tenant, const char *from,
			const char *to)
{
	struct node *src, *dst;
	char *newkey;

	pthread_mutex_lock(&t->lock);
	dst = *name_slot(t, tenant, to);
	if (dst)
		name_unlink(t, dst);
	src = *name_slot(t, tenant, from);
	if (src) {
		newkey = strdup(to);
		name_unlink(t, src);
		if (newkey) {
			free(src->key);
			src->key = newkey;
			name_link(t, src);
		}
		/* Without memory for the new name the node just goes stale. */
	}
	pthread_mutex_unlock(&t->lock);
}

void inode_table_detach(struct inode_table *t, const char *tenant, const char *key)
{
	struct node *n;

	pthread_mutex_lock(&t->lock);
	n = *name_slot(t, tenant, key);
	if (n)
		name_unlink(t, n);
	pthread_mutex_unlock(&t->lock);
}

struct snap {
	uint64_t id;
	char *tenant;
	char *key;
};

/* Adds node nd to v[*n] (a strdup failure leaves tenant NULL: skipped). Caller holds the lock. */
static void snap_add(struct snap *v, size_t *n, const struct node *nd)
{
	v[*n].id = nd->id;
	v[*n].tenant = strdup(nd->tenant);
	v[*n].key = nd->key ? strdup(nd->key) : NULL;
	(*n)++;
}

/* Calls cb for each of v[0..n) and frees v. Without the lock. */
static void snap_run(struct snap *v, size_t n, inode_table_cb cb, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].tenant && cb)
			cb(ctx, v[i].id, v[i].tenant, v[i].key);
		free(v[i].tenant);
		free(v[i].key);
	}
	free(v);
}

int inode_table_foreach(struct inode_table *t, inode_table_cb cb, void *ctx)
{
	struct snap *v;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	v = calloc(t->count + 1, sizeof(*v));
	for (size_t i = 0; v && i < t->nbuckets; i++)
		for (struct node *nd = t->by_id[i]; nd; nd = nd->next_id)
			if (nd->attached)
				snap_add(v, &n, nd);
	pthread_mutex_unlock(&t->lock);
	if (!v)
		return -ENOMEM;
	snap_run(v, n, cb, ctx);
	return 0;
}

void inode_table_note_walker(struct inode_table *t, uint64_t nodeid, const struct inode_walker *w)
{
	struct node *n;

	if (nodeid < INODE_FIRST_DYNAMIC)
		return;
	pthread_mutex_lock(&t->lock);
	n = *id_slot(t, nodeid);
	if (n && !n->key && !n->many_walkers) {
		size_t i = 0;

		while (i < n->n_walkers && (n->walkers[i].uid != w->uid || n->walkers[i].gid != w->gid))
			i++;
		if (i < n->n_walkers) {
			n->walkers[i].pid = w->pid;	/* its latest process: whose groups to read */
		} else if (n->n_walkers == WALKERS_MAX) {
			n->many_walkers = true;
			free(n->walkers);
			n->walkers = NULL;
			n->n_walkers = n->cap_walkers = 0;
		} else {
			if (n->n_walkers == n->cap_walkers) {
				size_t cap = n->cap_walkers ? n->cap_walkers * 2 : 4;
				struct inode_walker *nw = realloc(n->walkers, cap * sizeof(*nw));

				if (!nw)
					n->many_walkers = true;	/* cannot remember: assume anyone */
				else {
					n->walkers = nw;
					n->cap_walkers = cap;
				}
			}
			if (n->n_walkers < n->cap_walkers)
				n->walkers[n->n_walkers++] = *w;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

bool inode_table_nocache(struct inode_table *t, uint64_t nodeid)
{
	struct node *n;
	bool nocache;

	if (nodeid < INODE_FIRST_DYNAMIC)
		return false;
	pthread_mutex_lock(&t->lock);
	n = *id_slot(t, nodeid);
	nocache = n && n->nocache;
	pthread_mutex_unlock(&t->lock);
	return nocache;
}

int inode_table_nocache_nodes(struct inode_table *t, uint64_t **ret, size_t *ret_n)
{
	uint64_t *v;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	v = malloc((t->n_nocache + 1) * sizeof(*v));
	for (int pins = 1; v && t->n_nocache && pins >= 0; pins--)
		for (size_t i = 0; i < t->nbuckets; i++)
			for (struct node *nd = t->by_id[i]; nd; nd = nd->next_id)
				if (nd->attached && nd->nocache && (nd->key != NULL) == pins)
					v[n++] = nd->id;
	pthread_mutex_unlock(&t->lock);
	if (!v)
		return -ENOMEM;
	*ret = v;
	*ret_n = n;
	return 0;
}

struct tenant_snap {
	uint64_t id;
	char *tenant;
	struct inode_walker *walkers;
	size_t n;	/* SIZE_MAX: too many to list */
};

int inode_table_foreach_tenant(struct inode_table *t, inode_table_tenant_cb cb, void *ctx)
{
	struct tenant_snap *v;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	v = calloc(t->count + 1, sizeof(*v));
	for (size_t i = 0; v && i < t->nbuckets; i++) {
		for (struct node *nd = t->by_id[i]; nd; nd = nd->next_id) {
			struct tenant_snap *ts = &v[n];

			if (!nd->attached || nd->key)
				continue;
			ts->id = nd->id;
			ts->tenant = strdup(nd->tenant);
			ts->n = nd->many_walkers ? SIZE_MAX : nd->n_walkers;
			if (nd->n_walkers && !nd->many_walkers) {
				ts->walkers = malloc(nd->n_walkers * sizeof(*ts->walkers));
				if (ts->walkers)
					memcpy(ts->walkers, nd->walkers,
					       nd->n_walkers * sizeof(*ts->walkers));
				else
					ts->n = SIZE_MAX;	/* not listed: counts as anyone */
			}
			n++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (v[i].tenant)
			cb(ctx, v[i].id, v[i].tenant, v[i].walkers, v[i].n);
		free(v[i].tenant);
		free(v[i].walkers);
	}
	free(v);
	return 0;
}

int inode_table_revoke(struct inode_table *t, const uint64_t *tenant_ids, size_t n,
		       inode_table_cb cb, void *ctx)
{
	struct snap *v;
	size_t count = 0;
	bool *fresh;

	if (n == 0)
		return 0;
	fresh = calloc(n, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	v = calloc(t->count + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		struct node *nd = *id_slot(t, tenant_ids[i]);

		if (!nd || !nd->attached || nd->key)
			continue;
		fresh[i] = !nd->nocache;
		t->n_nocache += fresh[i];
		nd->nocache = nd->revoking = true;
	}
	/* The pins first: the kernel then forgets them before their tenant's entry. */
	for (size_t i = 0; v && i < t->nbuckets; i++) {
		for (struct node *nd = t->by_id[i]; nd; nd = nd->next_id) {
			struct node *tn;

			if (!nd->attached || !nd->key || nd->nocache)
				continue;	/* marked before: uncacheable since */
			tn = *name_slot(t, nd->tenant, NULL);
			if (!tn || !tn->revoking)
				continue;
			nd->nocache = true;
			t->n_nocache++;
			snap_add(v, &count, nd);
		}
	}
	for (size_t i = 0; v && i < n; i++) {
		struct node *nd = *id_slot(t, tenant_ids[i]);

		if (!nd || !nd->revoking)
			continue;
		nd->revoking = false;
		if (fresh[i])
			snap_add(v, &count, nd);
	}
	pthread_mutex_unlock(&t->lock);
	free(fresh);
	if (!v)
		return -ENOMEM;
	snap_run(v, count, cb, ctx);
	return (int)count;
}
