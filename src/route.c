/* SPDX-License-Identifier: MIT */
/*
 * Route table: tenant -> backend. Matching is pure (route_match); the table
 * opens each distinct backend URI once and is never modified afterwards.
 */
#include "pinfs/route.h"

#include <errno.h>
#include <fnmatch.h>
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

struct route_table {
	const struct config *cfg;	/* borrowed */
	struct backend **backends;	/* one per distinct URI */
	size_t n_backends;
	size_t *route_backend;		/* route index -> backend index */
};

int route_table_new(const struct config *cfg, struct route_table **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(route_table_freep) struct route_table *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	rt->cfg = cfg;
	rt->backends = calloc(cfg->n_routes + 1, sizeof(*rt->backends));
	rt->route_backend = calloc(cfg->n_routes + 1, sizeof(*rt->route_backend));
	if (!rt->backends || !rt->route_backend)
		return -ENOMEM;

	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *route = &cfg->routes[i];
		struct backend_params params = cfg->backend;
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(cfg->routes[j].backend, route->backend) == 0)
				break;
		if (j < i) {
			rt->route_backend[i] = rt->route_backend[j];
			continue;
		}
		params.password_file = route->password_file;
		r = backend_open(route->backend, &params, &rt->backends[rt->n_backends], reterr);
		if (r < 0) {
			pfs_error_prefix(reterr, "route \"%s\"", route->tenant);
			return r;
		}
		rt->route_backend[i] = rt->n_backends++;
	}
	*ret = steal_ptr(&rt);
	return 0;
}

struct route_table *route_table_free(struct route_table *rt)
{
	if (!rt)
		return NULL;
	for (size_t i = 0; i < rt->n_backends; i++)
		backend_free(rt->backends[i]);
	free(rt->backends);
	free(rt->route_backend);
	free(rt);
	return NULL;
}

int route_table_lookup(const struct route_table *rt, const char *tenant, struct backend **ret_be,
		       unsigned *ret_backend_no)
{
	int i = route_match(rt->cfg->routes, rt->cfg->n_routes, tenant);

	if (i < 0)
		return i;
	*ret_be = rt->backends[rt->route_backend[i]];
	if (ret_backend_no)
		*ret_backend_no = (unsigned)rt->route_backend[i];
	return 0;
}

size_t route_table_n_backends(const struct route_table *rt)
{
	return rt->n_backends;
}

struct backend *route_table_backend(const struct route_table *rt, size_t i)
{
	return i < rt->n_backends ? rt->backends[i] : NULL;
}
