/* SPDX-License-Identifier: MIT */
/*
 * Configuration generations: what one config makes (the route table, the
 * policy, the token verifier) and the limits it sets, built whole and
 * swapped in as one under fs->routes_lock by a reload, so a request sees
 * either the old generation or the new one, never a mix. Also the reads
 * of the current generation other modules need: which backend serves a
 * tenant (fs_route), the limits, and the health of the routed backends.
 *
 * Building does I/O (backends are opened and their schemas checked);
 * nothing is held locked meanwhile. Thread-safe.
 */
#ifndef PINFS_FS_GENERATION_H
#define PINFS_FS_GENERATION_H

#include <stdbool.h>
#include <stddef.h>

#include "pinfs/config.h"
#include "pinfs/error.h"

struct fs;
struct backend;

/* What a config makes that a reload swaps in as one. */
struct fs_generation {
	struct route_table *routes;
	struct policy *policy;
	struct cred_verifier *verifier;
};

/*
 * Builds cfg's routes, policy and token verifier into *g, and checks every
 * backend routed to: the schema must be current (the embedded default,
 * cfg->path NULL, migrates its own file). On failure nothing is left to free.
 */
int fs_gen_build(struct fs *fs, const struct config *cfg, struct fs_generation *g,
		 struct pfs_error *reterr);
/* Swaps g and cfg's limits in; the old generation is freed. */
void fs_gen_install(struct fs *fs, const struct config *cfg, struct fs_generation *g);
/* Frees what the current generation holds (fs_free). */
void fs_gen_free_current(struct fs *fs);

/*
 * The backend serving tenant and its number: -ENXIO with no route (counted
 * and logged once per tenant), -ENOENT outside the mount's -o tenant.
 */
int fs_route(struct fs *fs, const char *tenant, struct backend **ret_be, unsigned *ret_no);

/* A limit a reload may change: pass &fs->max_value_bytes. (The budgets are quotas: fs_i.h.) */
size_t fs_gen_limit(struct fs *fs, const size_t *field);

/* Whether the current routes lead to backend no (a refused reload may have opened others). */
bool fs_gen_backend_routed(struct fs *fs, unsigned no);
/* Pings every routed backend, updates down_since and pinfs_backend_up; returns how many down. */
size_t fs_gen_refresh_health(struct fs *fs);

#endif /* PINFS_FS_GENERATION_H */
