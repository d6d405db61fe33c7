/* SPDX-License-Identifier: MIT */
/*
 * Configuration generations (see fs_generation.h): building one from a
 * config, swapping it in, and reading the current one: routes, limits and
 * the health of the backends it routes to.
 */
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_revoke.h"

#include <errno.h>
#include <string.h>

#include "pinfs/backend.h"
#include "pinfs/hash.h"
#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/migrate.h"
#include "pinfs/timeutil.h"

static void generation_done(struct fs_generation *g)
{
	route_table_free(g->routes);
	policy_free(g->policy);
	cred_verifier_free(g->verifier);
}

int fs_gen_build(struct fs *fs, const struct config *cfg, struct fs_generation *g,
		 struct pfs_error *reterr)
{
	int r;

	memset(g, 0, sizeof(*g));
	if (cfg->n_routes == 0) {
		if (cfg->mode != CONFIG_MODE_LAB)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: no route configured: in %s mode every tenant "
					     "needs a route (add \"routes\")",
					     cfg->path ? cfg->path : "config",
					     config_mode_name(cfg->mode));
		pfs_log(LOG_WARNING, "lab mode with no route: every tenant answers ENXIO");
	}
	r = route_table_new(cfg, fs->backends, &g->routes, reterr);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < route_table_n_backends(g->routes); i++) {
		struct backend *be = route_table_backend(g->routes, i);

		if (!cfg->path) {
			int applied;

			r = migrate_up(be, &applied, reterr);
			if (r < 0)
				goto fail;
		}
		r = migrate_check(be, reterr);
		if (r < 0)
			goto fail;
	}
	if (cfg->policy) {
		struct pfs_error warn = {0};

		r = policy_load_file(cfg->policy, &g->policy, &warn);
		metrics_policy_load(r == 0);
		if (r < 0) {
			if (reterr)
				*reterr = warn;
			goto fail;
		}
		if (warn.message[0])
			pfs_log(LOG_WARNING, "%s", warn.message);
	}
	if (cfg->tokens.algorithm) {
		r = cred_verifier_new(&cfg->tokens, &g->verifier, reterr);
		if (r < 0)
			goto fail;
	}
	/* Metrics slots for backends the set gained. */
	for (size_t i = 0; i < backend_set_size(fs->backends) && i < FS_MAX_BACKENDS; i++) {
		int slot = metrics_backend_register(backend_name(backend_set_get(fs->backends, i)));

		__atomic_store_n(&fs->metrics_slot[i], slot, __ATOMIC_RELAXED);
		if (slot >= 0 && !__atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED))
			metrics_backend_up(slot, true);
	}
	return 0;
fail:
	generation_done(g);
	return r;
}

/*
 * Bound tokens the token settings now in force would not verify (another
 * key, algorithm, issuer or audience, or tokens off) are unbound. Under
 * the read lock: fs->verifier stays while it is used, binds go on.
 */
static int revoke_unverified_tokens(struct fs *fs)
{
	int n;

	pthread_rwlock_rdlock(&fs->routes_lock);
	n = cred_store_reverify(fs->creds, fs->verifier, time_now_us() / 1000000);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (n > 0)
		pfs_log(LOG_NOTICE, "token settings changed: %d bound token%s no longer verif%s, "
			"unbound", n, n == 1 ? "" : "s", n == 1 ? "ies" : "y");
	return n;
}

void fs_gen_install(struct fs *fs, const struct config *cfg, struct fs_generation *g)
{
	struct fs_generation old;
	bool policed;

	pthread_rwlock_wrlock(&fs->routes_lock);
	old.routes = fs->routes;
	old.policy = fs->policy;
	old.verifier = fs->verifier;
	fs->routes = g->routes;
	fs->policy = g->policy;
	fs->verifier = g->verifier;
	fs->max_value_bytes = cfg->max_value_bytes;
	fs->mode = cfg->mode;
	fs->reaper_interval_s = cfg->reaper_interval_s;
	pthread_rwlock_unlock(&fs->routes_lock);
	/* Later requests meet the new limits; what is held stays held. */
	quota_set_limits(fs->open_files, cfg->max_open_files, cfg->max_open_files_per_uid);
	quota_set_limits(fs->staged_bytes, cfg->max_staged_bytes, cfg->max_staged_bytes_per_uid);
	quota_set_limits(fs->pending_names, cfg->max_pending_names,
			 cfg->max_pending_names_per_uid);
	quota_set_limits(fs->system_handles, cfg->max_system_handles,
			 cfg->max_system_handles_per_uid);
	if (fs->policy)
		metrics_policy_version(policy_version(fs->policy), policy_hash(fs->policy));
	/* Readers copy what they need out under the lock: nobody holds old. */
	policed = old.policy || g->policy;
	generation_done(&old);
	/*
	 * Any policy swap may take access from anyone (its text, or the users
	 * and groups its names resolve to): open handles check again, and the
	 * kernel forgets what it cached under the tenants (fs_revoke.h).
	 */
	if (revoke_unverified_tokens(fs) > 0 || policed)
		fs_revoke_note(fs);
}

void fs_gen_free_current(struct fs *fs)
{
	struct fs_generation g = {.routes = fs->routes, .policy = fs->policy,
				  .verifier = fs->verifier};

	generation_done(&g);
	fs->routes = NULL;
	fs->policy = NULL;
	fs->verifier = NULL;
}

/* Whether tenant's missing route is news: true once per name (up to a bound). */
static bool first_miss(struct fs *fs, const char *tenant)
{
	uint64_t h = pfs_fnv1a(PFS_FNV_OFFSET, tenant);
	bool first = true;

	pthread_mutex_lock(&fs->miss_lock);
	for (size_t i = 0; i < fs->n_missed && first; i++)
		first = fs->missed[i] != h;
	if (first && fs->n_missed < PFS_ARRAY_SIZE(fs->missed))
		fs->missed[fs->n_missed++] = h;
	pthread_mutex_unlock(&fs->miss_lock);
	return first;
}

int fs_route(struct fs *fs, const char *tenant, struct backend **ret_be, unsigned *ret_no)
{
	int r;

	if (fs->opts.only_tenant && strcmp(tenant, fs->opts.only_tenant) != 0)
		return -ENOENT;
	pthread_rwlock_rdlock(&fs->routes_lock);
	r = route_table_lookup(fs->routes, tenant, ret_be, ret_no);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (r == -ENXIO) {
		metrics_missing_route();
		if (first_miss(fs, tenant))
			pfs_log(
			    LOG_NOTICE,
			    "memory_store.missing_route: no route for tenant \"%s\": ENXIO "
			    "(logged once per tenant; pinfs_missing_route_total counts them all)",
			    tenant);
	}
	return r;
}

size_t fs_gen_limit(struct fs *fs, const size_t *field)
{
	size_t v;

	pthread_rwlock_rdlock(&fs->routes_lock);
	v = *field;
	pthread_rwlock_unlock(&fs->routes_lock);
	return v;
}

bool fs_gen_backend_routed(struct fs *fs, unsigned no)
{
	bool routed;

	pthread_rwlock_rdlock(&fs->routes_lock);
	routed = route_table_routes_to(fs->routes, no);
	pthread_rwlock_unlock(&fs->routes_lock);
	return routed;
}

size_t fs_gen_refresh_health(struct fs *fs)
{
	size_t down = 0;

	for (size_t i = 0; i < backend_set_size(fs->backends) && i < FS_MAX_BACKENDS; i++) {
		int r;

		if (!fs_gen_backend_routed(fs, (unsigned)i))
			continue;	/* opened by a refused reload: nobody's business */
		r = backend_ping(backend_set_get(fs->backends, i));
		int64_t since = __atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED);

		if (r < 0 && !since)
			__atomic_store_n(&fs->down_since[i], time_now_us(), __ATOMIC_RELAXED);
		else if (r == 0 && since)
			__atomic_store_n(&fs->down_since[i], 0, __ATOMIC_RELAXED);
		metrics_backend_up(__atomic_load_n(&fs->metrics_slot[i], __ATOMIC_RELAXED), r == 0);
		down += r < 0;
	}
	return down;
}
