/* SPDX-License-Identifier: MIT */
/*
 * Routing: which backend serves a tenant. Exact names are tried first, then
 * globs, each in file order; the first match wins. A tenant with no route
 * is never served from anywhere (-ENXIO): there is no fallback.
 *
 * route_match() is pure. A struct route_table owns the opened backends (one
 * per distinct URI) and is immutable once built, so readers need no lock.
 */
#ifndef PINFS_ROUTE_H
#define PINFS_ROUTE_H

#include <stddef.h>

#include "pinfs/backend.h"
#include "pinfs/config.h"
#include "pinfs/error.h"

/* Index of the route serving tenant, or -ENXIO. */
int route_match(const struct config_route *routes, size_t n, const char *tenant);

struct route_table;

/*
 * Opens every backend the config's routes name. A backend that cannot be
 * opened fails the whole table with its message in reterr.
 */
int route_table_new(const struct config *cfg, struct route_table **ret, struct pfs_error *reterr);
struct route_table *route_table_free(struct route_table *rt);
PFS_DEFINE_FREEP(struct route_table, route_table_free)

/* The backend serving tenant (borrowed, valid while rt lives), or -ENXIO. */
int route_table_lookup(const struct route_table *rt, const char *tenant, struct backend **ret_be,
		       unsigned *ret_backend_no);

size_t route_table_n_backends(const struct route_table *rt);
/* Backend number i (0-based; its st_ino space is i + 1). Borrowed. */
struct backend *route_table_backend(const struct route_table *rt, size_t i);

#endif /* PINFS_ROUTE_H */
