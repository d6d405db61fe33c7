/* SPDX-License-Identifier: MIT */
/*
 * Routing: which backend serves a tenant. Exact names are tried first, then
 * globs, each in file order; the first match wins. A tenant with no route
 * is never served from anywhere (-ENXIO): there is no fallback.
 *
 * route_match() is pure. A struct backend_set owns every backend opened
 * while the daemon runs, one per distinct URI, and keeps it until the set
 * is freed, so a backend pointer stays valid across route reloads. A
 * struct route_table is an immutable snapshot of a config's routes over a
 * set: reloading builds a new table and swaps it in.
 */
#ifndef PINFS_ROUTE_H
#define PINFS_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "pinfs/backend.h"
#include "pinfs/config.h"
#include "pinfs/error.h"

/* Index of the route serving tenant, or -ENXIO. */
int route_match(const struct config_route *routes, size_t n, const char *tenant);

struct backend_set;

struct backend_set *backend_set_new(void);
struct backend_set *backend_set_free(struct backend_set *set);
PFS_DEFINE_FREEP(struct backend_set, backend_set_free)
size_t backend_set_size(const struct backend_set *set);
/* Backend number i (its st_ino space is i + 1). Borrowed; NULL past the end. */
struct backend *backend_set_get(const struct backend_set *set, size_t i);

struct route_table;

/*
 * Builds a table for cfg's routes, opening in set every backend it does
 * not hold yet. The table copies what it needs from cfg. On failure
 * reterr names the route.
 */
int route_table_new(const struct config *cfg, struct backend_set *set, struct route_table **ret,
		    struct pfs_error *reterr);
struct route_table *route_table_free(struct route_table *rt);
PFS_DEFINE_FREEP(struct route_table, route_table_free)

/* The backend serving tenant (borrowed from the set), or -ENXIO. */
int route_table_lookup(const struct route_table *rt, const char *tenant, struct backend **ret_be,
		       unsigned *ret_backend_no);

/* The distinct backends this table routes to. */
size_t route_table_n_backends(const struct route_table *rt);
struct backend *route_table_backend(const struct route_table *rt, size_t i);

/* Whether any route of rt leads to backend number no. */
bool route_table_routes_to(const struct route_table *rt, unsigned no);

size_t route_table_n_routes(const struct route_table *rt);
/* Route i's tenant pattern and backend number. */
const char *route_table_pattern(const struct route_table *rt, size_t i, unsigned *ret_backend_no);

#endif /* PINFS_ROUTE_H */
