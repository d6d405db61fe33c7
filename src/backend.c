/* SPDX-License-Identifier: MIT */
/*
 * Backend dispatch: picks a driver by URI scheme and forwards each call
 * through its ops table, each through the backend's gate: a fair share of
 * its connections per tenant.
 *
 * The gate. Every call of a backend holds one of its pooled connections
 * while it runs (the change feed has its own), so the calls in flight are
 * the connections in use. The gate admits at most pool_size calls at once
 * and, per tenant (calls naming no tenant, as tenant listings, the reaper
 * and the audit writer, are one more class), at most pool_size - 1 (all of
 * them with a pool of one): one tenant's load, however heavy, always
 * leaves a connection to the others. When calls queue, a free place goes
 * to the waiting call whose tenant has the fewest in flight, the earliest
 * among equals, so a tenant with one call waiting is not stuck behind
 * another's many. A wait ends at pool_wait_ms with -EIO, as a pool wait
 * does (and says the same). A call made from within a call (a pin_list
 * callback calling the backend) passes the gate of the backend its thread
 * is in already: it must not wait for its own caller.
 */
#include "pinfs/backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pinfs/hash.h"
#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

struct gate_tenant {
	uint64_t hash;		/* of the tenant's name ("" for calls naming none) */
	unsigned in_flight;
};

struct gate_waiter {
	uint64_t hash;
	struct gate_waiter *next;
};

struct backend_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	unsigned size, per_tenant, wait_ms;
	unsigned in_flight;		/* protected by lock */
	struct gate_tenant *tenants;	/* protected by lock: those with calls in flight */
	size_t n_tenants, cap_tenants;	/* protected by lock */
	struct gate_waiter *waiters;	/* protected by lock: in order of arrival */
};

/* The gate this thread is inside (calls from within a call pass it). */
static __thread const struct backend_gate *gate_entered;

static struct backend_gate *gate_new(const struct backend_params *params)
{
	struct backend_gate *g;
	pthread_condattr_t ca;

	if (!params->pool_size)
		return NULL;	/* the driver's default size: no gate */
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	g->size = params->pool_size;
	g->per_tenant = params->pool_size > 1 ? params->pool_size - 1 : 1;
	g->wait_ms = params->pool_wait_ms;
	return g;
}

static void gate_free(struct backend_gate *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->cond);
	free(g->tenants);
	free(g);
}

/* The tenant's entry, or NULL if it has nothing in flight. Caller holds g->lock. */
static struct gate_tenant *gate_tenant(struct backend_gate *g, uint64_t hash)
{
	for (size_t i = 0; i < g->n_tenants; i++)
		if (g->tenants[i].hash == hash)
			return &g->tenants[i];
	return NULL;
}

static unsigned gate_in_flight(struct backend_gate *g, uint64_t hash)
{
	struct gate_tenant *t = gate_tenant(g, hash);

	return t ? t->in_flight : 0;
}

/* Whether w goes next: a place is free and w is the best waiter that may take one. */
static bool gate_turn(struct backend_gate *g, const struct gate_waiter *w)
{
	const struct gate_waiter *best = NULL;
	unsigned best_n = 0;

	if (g->in_flight >= g->size)
		return false;
	for (const struct gate_waiter *v = g->waiters; v; v = v->next) {
		unsigned n = gate_in_flight(g, v->hash);

		if (n < g->per_tenant && (!best || n < best_n)) {
			best = v;
			best_n = n;
		}
	}
	return best == w;
}

static void gate_unlink(struct backend_gate *g, const struct gate_waiter *w)
{
	for (struct gate_waiter **pp = &g->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

/*
 * Waits for a place for a call on tenant (NULL: none). 0 (*ret_hash: what
 * gate_leave needs), 1 when the gate is not to be used (none, or this
 * thread is inside it already), -EIO past the deadline, -ENOMEM.
 */
static int gate_enter(struct backend *be, const char *tenant, uint64_t *ret_hash)
{
	struct backend_gate *g = be->gate;
	struct gate_waiter w = {.hash = pfs_fnv1a(PFS_FNV_OFFSET, tenant ? tenant : "")};
	struct gate_waiter **tail;
	struct gate_tenant *t;
	struct timespec deadline;
	bool share;
	int r = 0;

	if (!g || gate_entered == g)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	time_add_ms(&deadline, g->wait_ms);
	pthread_mutex_lock(&g->lock);
	for (tail = &g->waiters; *tail; tail = &(*tail)->next)
		;
	*tail = &w;
	while (!gate_turn(g, &w) && r == 0)
		r = pthread_cond_timedwait(&g->cond, &g->lock, &deadline);
	if (r == 0 || gate_turn(g, &w)) {
		t = gate_tenant(g, w.hash);
		if (!t && g->n_tenants == g->cap_tenants) {
			size_t cap = g->cap_tenants ? g->cap_tenants * 2 : 8;
			struct gate_tenant *nt = realloc(g->tenants, cap * sizeof(*nt));

			if (nt) {
				g->tenants = nt;
				g->cap_tenants = cap;
			}
		}
		if (!t && g->n_tenants < g->cap_tenants) {
			t = &g->tenants[g->n_tenants++];
			*t = (struct gate_tenant){.hash = w.hash};
		}
		r = t ? 0 : -ENOMEM;
		if (t) {
			t->in_flight++;
			g->in_flight++;
		}
	} else {
		r = -EIO;
	}
	share = r == -EIO && gate_in_flight(g, w.hash) >= g->per_tenant;
	gate_unlink(g, &w);
	/* Another waiter may be next now (a place is still free, or w was in its way). */
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	if (r == -EIO) {
		metrics_limit_refused(METRICS_LIMIT_POOL,
				      share ? METRICS_LIMIT_SHARE : METRICS_LIMIT_TOTAL);
		pfs_log(LOG_WARNING, "no free connection to \"%s\" within %u ms%s",
			be->uri_redacted, g->wait_ms,
			share ? " for this tenant: it uses its share of the pool" : "");
		return r;
	}
	if (r == 0) {
		metrics_limit_in_use(METRICS_LIMIT_POOL, 1);
		*ret_hash = w.hash;
	}
	return r;
}

static void gate_leave(struct backend *be, uint64_t hash)
{
	struct backend_gate *g = be->gate;
	struct gate_tenant *t;

	pthread_mutex_lock(&g->lock);
	t = gate_tenant(g, hash);
	if (t && --t->in_flight == 0)
		*t = g->tenants[--g->n_tenants];
	g->in_flight--;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	metrics_limit_in_use(METRICS_LIMIT_POOL, -1);
}

/* Runs call (an expression using be) through be's gate for tenant; r: its result or the gate's. */
#define GATED(be, tenant, call)                                                                    \
	do {                                                                                       \
		const struct backend_gate *gate_outer_ = gate_entered;                             \
		uint64_t gate_hash_ = 0;                                                           \
		int gate_r_ = gate_enter((be), (tenant), &gate_hash_);                             \
                                                                                                   \
		if (gate_r_ < 0) {                                                                 \
			r = gate_r_;                                                               \
			break;                                                                     \
		}                                                                                  \
		gate_entered = (be)->gate;                                                         \
		r = (call);                                                                        \
		gate_entered = gate_outer_;                                                        \
		if (gate_r_ == 0)                                                                  \
			gate_leave((be), gate_hash_);                                              \
	} while (0)

void pin_done(struct pin *p)
{
	free(p->value);
	p->value = NULL;
	p->value_len = 0;
}

void backend_params_default(struct backend_params *p)
{
	*p = (struct backend_params){
		.pool_size = 8,
		.pool_wait_ms = 5000,
		.connect_timeout_s = 5,
		.statement_timeout_ms = 10000,
		.retries = 2,
		.password_file = NULL,
		.lock_connections = 32,
	};
}

static const struct backend_ops *driver_for(const char *uri)
{
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return &backend_pg_ops;
	if (strncmp(uri, "sqlite://", 9) == 0)
		return &backend_sqlite_ops;
	/* A libpq key=value conninfo ("host=... dbname=..."). */
	if (strchr(uri, '=') && !strstr(uri, "://"))
		return &backend_pg_ops;
	return NULL;
}

int backend_open(const char *uri, const struct backend_params *params, struct backend **ret,
		 struct pfs_error *reterr)
{
	const struct backend_ops *ops = driver_for(uri);
	struct backend_params defaults;
	struct backend *be;
	int r;

	if (!ops)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "unrecognized backend \"%.*s\": expected postgresql://... "
				     "or sqlite:///path",
				     (int)strcspn(uri, ":"), uri);
	if (!params) {
		backend_params_default(&defaults);
		params = &defaults;
	}
	r = ops->open(uri, params, &be, reterr);
	if (r < 0)
		return r;
	be->gate = gate_new(params);
	if (params->pool_size && !be->gate) {
		be->ops->free(be);
		return -ENOMEM;
	}
	*ret = be;
	return 0;
}

struct backend *backend_free(struct backend *be)
{
	if (be) {
		struct backend_gate *g = be->gate;

		be->ops->free(be);
		gate_free(g);
	}
	return NULL;
}

int backend_schema_required(const struct backend *be)
{
	int v = 0;

	for (const struct migration *m = be->migrations; m && m->version; m++)
		v = m->version;
	return v;
}

/*
 * Redacts "password=..." in a conninfo and ":secret@" in a URI, so a
 * backend can be named in logs and /.system files.
 */
char *backend_uri_redact(const char *uri)
{
	static const char key[] = "password=";
	const size_t klen = sizeof(key) - 1;
	char *s = strdup(uri), *scheme, *out, *o;
	const char *p;

	if (!s)
		return NULL;
	/* scheme://user:secret@host: the userinfo's password goes. */
	scheme = strstr(s, "://");
	if (scheme) {
		char *auth = scheme + 3;
		char *slash = strchr(auth, '/');
		char *at = strchr(auth, '@');

		if (at && (!slash || at < slash)) {
			char *colon = memchr(auth, ':', (size_t)(at - auth));

			if (colon)
				memmove(colon, at, strlen(at) + 1);
		}
	}
	/* Every password=VALUE (URI query or conninfo) becomes password=***. */
	out = malloc(strlen(s) + 3 * (strlen(s) / klen + 1) + 1);
	if (!out) {
		free(s);
		return NULL;
	}
	o = out;
	for (p = s; *p;) {
		const char *hit = strstr(p, key);
		size_t n = hit ? (size_t)(hit - p) + klen : strlen(p);

		memcpy(o, p, n);
		o += n;
		p += n;
		if (!hit)
			break;
		if (*p == '\'') {	/* conninfo: password='se cret' */
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p += strcspn(p, " &");
		}
		memcpy(o, "***", 3);
		o += 3;
	}
	*o = '\0';
	free(s);
	return out;
}

int backend_schema_version(struct backend *be, int *ret_version)
{
	int r;

	GATED(be, NULL, be->ops->schema_version(be, ret_version));
	return r;
}

int backend_pin_get(struct backend *be, const char *tenant, const char *key, size_t max_value,
		    struct pin *ret)
{
	int r;

	GATED(be, tenant, be->ops->pin_get(be, tenant, key, max_value, ret));
	return r;
}

int backend_pin_upsert(struct backend *be, const char *tenant, const char *key,
		       const struct pin_write *w, struct pin_meta *ret_meta)
{
	int r;

	GATED(be, tenant, be->ops->pin_upsert(be, tenant, key, w, ret_meta));
	return r;
}

int backend_pin_delete(struct backend *be, const char *tenant, const char *key)
{
	int r;

	GATED(be, tenant, be->ops->pin_delete(be, tenant, key));
	return r;
}

int backend_pin_rename(struct backend *be, const char *tenant, const char *from, const char *to,
		       unsigned flags, struct pin_meta *ret_meta)
{
	int r;

	GATED(be, tenant, be->ops->pin_rename(be, tenant, from, to, flags, ret_meta));
	return r;
}

int backend_pin_list(struct backend *be, const char *tenant, const char *after_key, unsigned limit,
		     size_t max_value, backend_pin_cb cb, void *ctx)
{
	int r;

	GATED(be, tenant, be->ops->pin_list(be, tenant, after_key, limit, max_value, cb, ctx));
	return r;
}

int backend_tenant_list(struct backend *be, backend_tenant_cb cb, void *ctx)
{
	int r;

	GATED(be, NULL, be->ops->tenant_list(be, cb, ctx));
	return r;
}

int backend_tenant_exists(struct backend *be, const char *tenant)
{
	int r;

	GATED(be, tenant, be->ops->tenant_exists(be, tenant));
	return r;
}

int backend_tenant_times(struct backend *be, const char *tenant, struct tenant_times *ret)
{
	int r;

	GATED(be, tenant, be->ops->tenant_times(be, tenant, ret));
	return r;
}

int backend_tenant_create(struct backend *be, const char *tenant)
{
	int r;

	GATED(be, tenant, be->ops->tenant_create(be, tenant));
	return r;
}

int backend_tenant_delete(struct backend *be, const char *tenant)
{
	int r;

	GATED(be, tenant, be->ops->tenant_delete(be, tenant));
	return r;
}

int backend_ping(struct backend *be)
{
	int r;

	GATED(be, NULL, be->ops->ping(be));
	return r;
}

int backend_pin_set_meta(struct backend *be, const char *tenant, const char *key,
			 const struct pin_meta_update *u, struct pin_meta *ret_meta)
{
	int r;

	GATED(be, tenant, be->ops->pin_set_meta(be, tenant, key, u, ret_meta));
	return r;
}

int backend_expire(struct backend *be, bool dry_run, unsigned limit, const char *source,
		   backend_expired_cb cb, void *ctx)
{
	int r;

	GATED(be, NULL, be->ops->expire(be, dry_run, limit, source, cb, ctx));
	return r;
}

int backend_audit_append(struct backend *be, const struct audit_event *ev, size_t n)
{
	int r;

	GATED(be, NULL, be->ops->audit_append(be, ev, n));
	return r;
}

int backend_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n)
{
	int r;

	GATED(be, NULL, be->ops->rbac_audit_append(be, ev, n));
	return r;
}

int backend_feed_start(struct backend *be, backend_change_cb cb, void *ctx)
{
	return be->ops->feed_start ? be->ops->feed_start(be, cb, ctx) : -ENOTSUP;
}

void backend_feed_stop(struct backend *be)
{
	if (be->ops->feed_stop)
		be->ops->feed_stop(be);
}

int backend_lock_new(struct backend *be, uint64_t id, struct backend_lock **ret)
{
	return be->ops->lock_new ? be->ops->lock_new(be, id, ret) : -ENOLCK;
}

int backend_lock_set(struct backend *be, struct backend_lock *l, enum backend_lock_mode mode,
		     const int *cancel)
{
	return be->ops->lock_set(l, mode, cancel);
}

void backend_lock_free(struct backend *be, struct backend_lock *l)
{
	if (l)
		be->ops->lock_free(l);
}
