/* SPDX-License-Identifier: MIT */
/*
 * Route tables over a backend set (see route.h). Matching is pure; the set
 * opens each distinct backend URI once; tables are immutable once built.
 */
#include "pinfs/route.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int route_match(const struct config_route *routes, size_t n, const char *tenant)
{
	/* Exact names first, then globs; within each, file order. */
	for (size_t i = 0; i < n; i++)
		if (!routes[i].is_glob && strcmp(routes[i].tenant, tenant) == 0)
			return (int)i;
	for (size_t i = 0; i < n; i++)
		if (routes[i].is_glob && fnmatch(routes[i].tenant, tenant, 0) == 0)
			return (int)i;
	return -ENXIO;
}

#define BACKEND_SET_MAX 64

/*
 * Fixed arrays, so readers never race with an addition: a slot is written
 * before n is published (release), and read after n is loaded (acquire).
 */
struct backend_set {
	pthread_mutex_t lock;	/* serializes additions */
	struct backend *backends[BACKEND_SET_MAX];
	char *uris[BACKEND_SET_MAX];	/* secret: may hold passwords */
	/* How each was opened: a later route naming the URI must agree. */
	enum backend_pooler poolers[BACKEND_SET_MAX];
	char *feeds[BACKEND_SET_MAX];	/* NULL or a URI; secret: may hold passwords */
	size_t n;		/* atomic: written under lock, read without */
};

/* Frees a string that may hold a password (NULL is fine). */
static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

struct backend_set *backend_set_new(void)
{
	struct backend_set *set = calloc(1, sizeof(*set));

	if (set)
		pthread_mutex_init(&set->lock, NULL);
	return set;
}

struct backend_set *backend_set_free(struct backend_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n; i++) {
		backend_free(set->backends[i]);
		free_secret(set->uris[i]);
		free_secret(set->feeds[i]);
	}
	pthread_mutex_destroy(&set->lock);
	free(set);
	return NULL;
}

size_t backend_set_size(const struct backend_set *set)
{
	return __atomic_load_n(&set->n, __ATOMIC_ACQUIRE);
}

struct backend *backend_set_get(const struct backend_set *set, size_t i)
{
	return i < backend_set_size(set) ? set->backends[i] : NULL;
}

/*
 * The index of the backend for uri, opening it if the set lacks it. A
 * backend stays open with the pooler and feed it was opened with, so a
 * route (of a reloaded config, say) that names its URI with others is
 * refused rather than served in a way its config does not say.
 */
static int backend_set_obtain(struct backend_set *set, const struct config_route *route,
			      const struct backend_params *defaults, struct pfs_error *reterr)
{
	struct backend_params params = *defaults;
	struct backend *be;
	int r;

	pthread_mutex_lock(&set->lock);
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->uris[i], route->backend) != 0)
			continue;
		pthread_mutex_unlock(&set->lock);
		if (set->poolers[i] != route->pooler ||
		    !pfs_streq_or_null(set->feeds[i], route->feed))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "\"%s\" is open already with another \"%s\" "
					     "(a backend keeps its pooler and feed until "
					     "pinfs restarts)",
					     backend_name(set->backends[i]),
					     set->poolers[i] != route->pooler ? "pooler" : "feed");
		return (int)i;
	}
	if (set->n == BACKEND_SET_MAX) {
		pthread_mutex_unlock(&set->lock);
		return pfs_error_set(reterr, -ENOSPC, 0, "more than %d distinct backends",
				     BACKEND_SET_MAX);
	}
	params.password_file = route->password_file;
	params.pooler = route->pooler;
	params.feed_uri = route->feed;
	params.route = route->tenant;
	r = backend_open(route->backend, &params, &be, reterr);
	if (r < 0) {
		pthread_mutex_unlock(&set->lock);
		return r;
	}
	set->uris[set->n] = strdup(route->backend);
	set->feeds[set->n] = route->feed ? strdup(route->feed) : NULL;
	if (!set->uris[set->n] || (route->feed && !set->feeds[set->n])) {
		free_secret(set->uris[set->n]);
		free_secret(set->feeds[set->n]);
		set->uris[set->n] = set->feeds[set->n] = NULL;
		backend_free(be);
		pthread_mutex_unlock(&set->lock);
		return -ENOMEM;
	}
	set->poolers[set->n] = route->pooler;
	set->backends[set->n] = be;
	r = (int)set->n;
	__atomic_store_n(&set->n, set->n + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&set->lock);
	return r;
}

struct route_table {
	struct backend_set *set;	/* borrowed */
	struct config_route *routes;	/* copies of tenant and is_glob only */
	unsigned *route_backend;	/* route index -> backend number */
	size_t n_routes;
	unsigned *backends;		/* distinct backend numbers, in route order */
	size_t n_backends;
};

int route_table_new(const struct config *cfg, struct backend_set *set, struct route_table **ret,
		    struct pfs_error *reterr)
{
	PFS_CLEANUP(route_table_freep) struct route_table *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	rt->set = set;
	rt->routes = calloc(cfg->n_routes + 1, sizeof(*rt->routes));
	rt->route_backend = calloc(cfg->n_routes + 1, sizeof(*rt->route_backend));
	rt->backends = calloc(cfg->n_routes + 1, sizeof(*rt->backends));
	if (!rt->routes || !rt->route_backend || !rt->backends)
		return -ENOMEM;

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *route = &cfg->routes[i];
		size_t j;

		r = backend_set_obtain(set, route, &cfg->backend, reterr);
		if (r < 0) {
			pfs_error_prefix(reterr, "route \"%s\"", route->tenant);
			return r;
		}
		rt->routes[i].tenant = strdup(route->tenant);
		if (!rt->routes[i].tenant)
			return -ENOMEM;
		rt->routes[i].is_glob = route->is_glob;
		rt->route_backend[i] = (unsigned)r;
		rt->n_routes = i + 1;
		for (j = 0; j < rt->n_backends; j++)
			if (rt->backends[j] == (unsigned)r)
				break;
		if (j == rt->n_backends)
			rt->backends[rt->n_backends++] = (unsigned)r;
	}
	*ret = steal_ptr(&rt);
	return 0;
}

struct route_table *route_table_free(struct route_table *rt)
{
	if (!rt)
		return NULL;
	for (size_t i = 0; i < rt->n_routes; i++)
		free(rt->routes[i].tenant);
	free(rt->routes);
	free(rt->route_backend);
	free(rt->backends);
	free(rt);
	return NULL;
}

int route_table_lookup(const struct route_table *rt, const char *tenant, struct backend **ret_be,
		       unsigned *ret_backend_no)
{
	int i = route_match(rt->routes, rt->n_routes, tenant);

	if (i < 0)
		return i;
	*ret_be = backend_set_get(rt->set, rt->route_backend[i]);
	if (ret_backend_no)
		*ret_backend_no = rt->route_backend[i];
	return 0;
}

size_t route_table_n_backends(const struct route_table *rt)
{
	return rt->n_backends;
}

struct backend *route_table_backend(const struct route_table *rt, size_t i)
{
	return i < rt->n_backends ? backend_set_get(rt->set, rt->backends[i]) : NULL;
}

bool route_table_routes_to(const struct route_table *rt, unsigned no)
{
	for (size_t i = 0; i < rt->n_backends; i++)
		if (rt->backends[i] == no)
			return true;
	return false;
}

size_t route_table_n_routes(const struct route_table *rt)
{
	return rt->n_routes;
}

const char *route_table_pattern(const struct route_table *rt, size_t i, unsigned *ret_backend_no)
{
	if (i >= rt->n_routes)
		return NULL;
	if (ret_backend_no)
		*ret_backend_no = rt->route_backend[i];
	return rt->routes[i].tenant;
}
