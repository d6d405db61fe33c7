/* SPDX-License-Identifier: MIT */
/*
 * Filesystem semantics over the route table and backends, with no FUSE
 * types (see fs_core.h and DESIGN.md sections 2-4).
 *
 * The tree is two levels deep: the root lists tenants, a tenant lists its
 * keys. Nothing is kept only in memory except what a writer has staged but
 * not committed:
 *   - struct fs_file stages an open file's bytes until flush or fsync;
 *   - struct pending remembers names created through this mount and not yet
 *     committed, so the creator can stat, reopen and rename them. Scratch
 *     names (sed's and Python's temporaries) stay pending even after their
 *     content is validated at close, and become a pin only when renamed onto
 *     a key, in one backend call; they are never visible to other users.
 *
 * Locking: fs->pending_lock protects the pending list and every struct
 * pending; each fs_file has its own lock. No lock is held across a backend
 * call except a file's own (which only its handle's requests take).
 */
#include "pinfs/fs_core.h"
#include "fs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pinfs/backend.h"
#include "pinfs/inode_table.h"
#include "pinfs/log.h"
#include "pinfs/migrate.h"
#include "pinfs/path_codec.h"
#include "pinfs/pin_json.h"
#include "pinfs/metrics.h"
#include "pinfs/route.h"
#include "pinfs/timeutil.h"

#define DIR_PAGE 256
/* Names created and not committed yet (scratch files included) at once. */
#define FS_MAX_PENDING 4096
/* How long an abandoned scratch file (no open handle) is kept for its rename. */
#define FS_SCRATCH_TTL_S 300
/* Tenants can be cached briefly; their attributes reveal nothing. */
#define TENANT_ATTR_TIMEOUT 1.0

/* ------------------------------------------------------------------ */
/* small helpers                                                      */

static struct timespec usec_to_ts(pfs_usec_t us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000};

	return ts;
}

static void fill_dir_stat(const struct fs *fs, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = fs->start;
}

/*
 * Tenants' st_ino: a hash of the name above every backend's space (bit 62),
 * so it is the same in readdir and stat, across mounts, and never 0.
 */
static uint64_t tenant_ino(const char *tenant)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const char *p = tenant; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return (1ull << 62) | (h & ((1ull << 48) - 1)) | 1;
}

/* Pins' st_ino: the backend's number above the row id, stable across mounts. */
static uint64_t pin_ino(unsigned backend_no, int64_t id)
{
	return ((uint64_t)(backend_no + 1) << 48) | ((uint64_t)id & ((1ull << 48) - 1));
}

static void fill_pin_stat(const struct fs *fs, uint64_t ino, size_t size,
			  const struct timespec *mtime, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = fs->opts.owner_uid;
	st->st_gid = fs->opts.owner_gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_atim = st->st_mtim = st->st_ctim = *mtime;
}

static size_t max_value_bytes(struct fs *fs);

/* Renders a stored value as the file's bytes: -EFBIG past max bytes. */
static int render_pretty(const struct pin *p, size_t max, char **ret, size_t *ret_len)
{
	struct pfs_error err = {0};
	int r = pin_json_render(p->value, p->value_len, PIN_JSON_PRETTY, max, ret, ret_len, &err);

	if (r == -EINVAL) {
		/* Only another tool could have stored this; the database says it is JSON. */
		pfs_log(LOG_WARNING, "stored value of pin %lld cannot be rendered: %s",
			(long long)p->meta.id, err.message);
		return -EIO;
	}
	return r;
}

/* Whether backend no's change feed vouches for what we cached (connected now). */
static bool feed_vouches(struct fs *fs, unsigned no)
{
	return no < FS_MAX_BACKENDS && __atomic_load_n(&fs->has_feed[no], __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&fs->feed_up[no], __ATOMIC_ACQUIRE);
}

#define KEY_CACHE_S 60.0

/*
 * How long the kernel may keep a key's entry and attributes: while the
 * feed vouches (every change then invalidates them), and never past the
 * pin's expiry.
 */
static double key_timeout(struct fs *fs, unsigned no, const struct pin_meta *meta)
{
	double t = KEY_CACHE_S;

	if (!feed_vouches(fs, no))
		return 0;
	if (meta->expires_at) {
		double left = (double)(meta->expires_at - time_now_us()) / 1e6;

		if (left < t)
			t = left > 0 ? left : 0;
	}
	return t;
}

/*
 * A pin's text as read (canonical) and its metadata: from the cache while
 * the backend's feed vouches for it, else from the backend (and then
 * cached). *ret_text is new (free()). A value whose text would be longer
 * than max_value_bytes is -EFBIG, with *ret_meta filled in all the same
 * (the pin exists: it is listed, stat'ed, removed and overwritten as any
 * other); the driver does not even fetch a stored text that long.
 */
int fs_pin_fetch(struct fs *fs, struct backend *be, unsigned no, const char *tenant,
		 const char *key, char **ret_text, size_t *ret_len, struct pin_meta *ret_meta)
{
	bool cacheable = feed_vouches(fs, no);
	size_t max = max_value_bytes(fs);
	struct pin pin = {0};
	uint64_t gen = 0;
	int r;

	if (cacheable) {
		r = pin_cache_get(fs->cache, no, tenant, key, time_now_us(), ret_text, ret_len,
				  ret_meta);
		if (r == 0 && *ret_len <= max)
			return 0;
		if (r == 0) {
			free(*ret_text);	/* cached before a reload lowered the limit */
			*ret_text = NULL;
			return -EFBIG;
		}
		/* Too large for a limit at least this one: too large now (else ask again). */
		if (r == -EFBIG && *ret_len >= max)
			return -EFBIG;
		gen = pin_cache_generation(fs->cache, no);	/* before asking: see pin_cache.h */
	}
	r = backend_pin_get(be, tenant, key, max, &pin);
	if (r < 0)
		return r;
	r = pin.value ? render_pretty(&pin, max, ret_text, ret_len) : -EFBIG;
	*ret_meta = pin.meta;
	if (r == -EFBIG && cacheable)
		pin_cache_put_too_large(fs->cache, no, gen, tenant, key, max, &pin.meta);
	pin_done(&pin);
	if (r == 0 && cacheable)
		pin_cache_put(fs->cache, no, gen, tenant, key, *ret_text, *ret_len, ret_meta);
	return r;
}

void fs_forget_pin(struct fs *fs, unsigned no, const char *tenant, const char *key, bool gone)
{
	pin_cache_invalidate(fs->cache, no, tenant, key, gone);
}

/* Attributes of a committed pin from its text's length and metadata. */
static void pin_stat(const struct fs *fs, unsigned backend_no, size_t len,
		     const struct pin_meta *meta, struct stat *st)
{
	struct timespec mtime = usec_to_ts(meta->updated_at);

	fill_pin_stat(fs, pin_ino(backend_no, meta->id), len, &mtime, st);
}

/* Whether tenant's missing route is news: true once per name (up to a bound). */
static bool first_miss(struct fs *fs, const char *tenant)
{
	uint64_t h = 0xcbf29ce484222325ull;
	bool first = true;

	for (const char *p = tenant; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
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
			pfs_log(LOG_NOTICE,
				"memory_store.missing_route: no route for tenant \"%s\": ENXIO "
				"(logged once per tenant; pinfs_missing_route_total counts them all)",
				tenant);
	}
	return r;
}

#define route fs_route

/*
 * Supplementary groups of the calling thread, read as libfuse would:
 * /proc/TID/status. Writes at most n and returns how many there are.
 */
int fs_proc_groups(void *ctx, gid_t *buf, size_t n)
{
	const struct pfs_subject *who = ctx;
	char path[64], line[4096];
	size_t count = 0;
	FILE *f;

	if (who->pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)who->pid, (int)who->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (count < n)
				buf[count] = (gid_t)g;
			count++;
		}
		break;
	}
	fclose(f);
	return (int)count;
}

static enum metrics_resource metrics_resource_of(const char *res)
{
	if (strcmp(res, "prometheus") == 0)
		return METRICS_RES_PROMETHEUS;
	if (strcmp(res, "costsim") == 0)
		return METRICS_RES_COSTSIM;
	if (strcmp(res, "policy") == 0)
		return METRICS_RES_POLICY;
	return METRICS_RES_MEMORY_PIN;
}

static enum metrics_action metrics_action_of(const char *act)
{
	static const char *const names[] = {
		[METRICS_ACT_READ] = "read",	 [METRICS_ACT_WRITE] = "write",
		[METRICS_ACT_DELETE] = "delete", [METRICS_ACT_ADMIN] = "admin",
		[METRICS_ACT_QUERY] = "query",	 [METRICS_ACT_RELOAD] = "reload",
		[METRICS_ACT_APPROVE] = "approve",
	};

	for (size_t i = 0; i < PFS_ARRAY_SIZE(names); i++)
		if (strcmp(names[i], act) == 0)
			return (enum metrics_action)i;
	return METRICS_ACT_READ;
}

static const char *const reason_names[] = {
	[POLICY_REASON_ROLE] = "role",
	[POLICY_REASON_OWNER] = "owner",
	[POLICY_REASON_NO_BINDING] = "no_binding",
	[POLICY_REASON_NO_PERMISSION] = "no_permission",
	[POLICY_REASON_OUT_OF_SCOPE] = "out_of_scope",
	[POLICY_REASON_TOKEN] = "token",
};

/* The subject's name in audit rows: its token's sub, else "uid:N". */
static void subject_name(const struct cred_claims *token, uid_t uid, char *buf, size_t len)
{
	if (token && token->sub)
		snprintf(buf, len, "%s", token->sub);
	else
		snprintf(buf, len, "uid:%u", (unsigned)uid);
}

/*
 * Decides resource:action on tenant for who, counts the decision, and
 * audits denials (and shadow-mode would-denials) to the tenant's backend.
 * resource NULL: a file anyone may use once a policy exists (whoami,
 * health); with no policy only the owner and root may.
 */
int fs_authorize(struct fs *fs, const struct pfs_subject *who, const char *resource,
		 const char *action, const char *tenant)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	struct policy_subject subj = {
		.uid = who->uid, .gid = who->gid, .groups = fs_proc_groups,
		.groups_ctx = (void *)who};
	struct policy_decision d;
	char version[64] = "";
	struct backend *be = NULL;

	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	subj.token = token;
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (!resource) {
		bool open = fs->policy != NULL;

		pthread_rwlock_unlock(&fs->routes_lock);
		return open || who->uid == 0 || who->uid == fs->opts.owner_uid ? 0 : -EACCES;
	}
	d = policy_decide(fs->policy, fs->opts.owner_uid, &subj, resource, action, tenant);
	if (fs->policy)
		snprintf(version, sizeof(version), "%s", policy_version(fs->policy));
	pthread_rwlock_unlock(&fs->routes_lock);

	metrics_rbac_decision(metrics_resource_of(resource), metrics_action_of(action),
			      !d.denied ? METRICS_DEC_ALLOW
			      : d.allowed ? METRICS_DEC_WOULD_DENY
					  : METRICS_DEC_DENY,
			      (enum metrics_reason)d.reason);
	if (d.denied) {
		struct rbac_event ev = {.time_us = time_now_us(), .uid = who->uid};

		subject_name(token, who->uid, ev.subject, sizeof(ev.subject));
		snprintf(ev.resource, sizeof(ev.resource), "%s", resource);
		snprintf(ev.action, sizeof(ev.action), "%s", action);
		snprintf(ev.decision, sizeof(ev.decision), "%s", d.allowed ? "would_deny" : "deny");
		snprintf(ev.reason, sizeof(ev.reason), "%s", reason_names[d.reason]);
		snprintf(ev.tenant, sizeof(ev.tenant), "%s", tenant ? tenant : "");
		snprintf(ev.policy_version, sizeof(ev.policy_version), "%s", version);
		if (tenant && strcmp(tenant, "*") != 0)
			(void)route_table_lookup(fs->routes, tenant, &be, NULL);
		audit_submit_rbac(fs->audit, be, &ev);
		pfs_log(LOG_DEBUG, "rbac.denied: uid %u %s:%s on \"%s\" (%s)%s", (unsigned)who->uid,
			resource, action, tenant ? tenant : "", reason_names[d.reason],
			d.allowed ? ", allowed in shadow mode" : "");
	}
	return d.allowed ? 0 : -EACCES;
}

static const char *const action_names[] = {
	[POLICY_READ] = "read",
	[POLICY_WRITE] = "write",
	[POLICY_DELETE] = "delete",
	[POLICY_ADMIN] = "admin",
};

static int authorize(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		     enum policy_action action)
{
	return fs_authorize(fs, who, POLICY_RES_MEMORY_PIN, action_names[action], tenant);
}

/* One stable error code per errno, for audit rows and logs (DESIGN.md section 4). */
static const char *error_code(const char *operation, int r)
{
	switch (-r) {
	case 0:
		return "";
	case EINVAL:
		return strcmp(operation, "upsert") == 0 ? "memory_pin.invalid_json"
							 : "memory_pin.invalid";
	case EFBIG:
		return "memory_pin.too_large";
	case ENXIO:
		return "memory_store.missing_route";
	case EIO:
		return "memory_store.backend_error";
	case EACCES:
		return "rbac.denied";
	case ENOENT:
		return "memory_pin.not_found";
	case EEXIST:
		return "memory_pin.exists";
	case ENOTEMPTY:
		return "memory_store.not_empty";
	case ERANGE:
		return "memory_pin.out_of_range";
	default:
		return "memory_store.error";
	}
}

static enum metrics_op metrics_op_of(const char *operation)
{
	for (int i = 0; i < METRICS__OP_COUNT; i++)
		if (strcmp(metrics_op_name((enum metrics_op)i), operation) == 0)
			return (enum metrics_op)i;
	return METRICS_OP_READ;
}

void fs_audit(struct fs *fs, struct backend *be, const struct pfs_subject *who,
	      const char *operation, const char *tenant, const char *key, int result,
	      const char *value, size_t value_len, int64_t started_us)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	struct audit_event ev = {.uid = who ? (int64_t)who->uid : -1, .success = result >= 0};
	int64_t now = time_now_us();

	ev.time_us = now;
	ev.latency_ms = (double)(now - started_us) / 1000.0;
	pfs_strcpy_cut(ev.operation, operation, sizeof(ev.operation));
	pfs_strcpy_cut(ev.tenant, tenant ? tenant : "", sizeof(ev.tenant));
	pfs_strcpy_cut(ev.key, key ? key : "", sizeof(ev.key));
	pfs_strcpy_cut(ev.error_code, error_code(operation, result), sizeof(ev.error_code));
	if (who) {
		token = cred_store_lookup(fs->creds, who->uid, now / 1000000);
		subject_name(token, who->uid, ev.subject, sizeof(ev.subject));
	} else {
		pfs_strcpy_cut(ev.subject, "pinfs", sizeof(ev.subject));
	}
	if (value && result >= 0)
		audit_hash_value(value, value_len, ev.value_sha256);
	metrics_op_done(metrics_op_of(operation), result >= 0, (double)(now - started_us) / 1e6);
	audit_submit(fs->audit, be, &ev);
}

/* ------------------------------------------------------------------ */
/* pending names                                                      */

/* Finds a listed pending name visible to uid (any uid if uid_any). Caller holds the lock. */
struct pending *fs_pending_find(struct fs *fs, const char *tenant, const char *key, uid_t uid,
				bool uid_any)
{
	for (struct pending *p = fs->pending; p; p = p->next)
		if (strcmp(p->tenant, tenant) == 0 && strcmp(p->key, key) == 0 &&
		    (uid_any || p->uid == uid))
			return p;
	return NULL;
}

/* Takes p off the list (it lives on while files hold references). Caller holds the lock. */
static void pending_unlist(struct fs *fs, struct pending *p)
{
	struct pending **pp = &fs->pending;

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = p->next;
	p->next = NULL;
	p->gone = true;
	fs->n_pending--;
}

static void pending_free(struct pending *p)
{
	free(p->tenant);
	free(p->key);
	free(p->value);
	free(p);
}

/* Drops one reference; caller holds the lock. */
static void pending_unref(struct fs *fs, struct pending *p)
{
	(void)fs;
	if (--p->refs == 0)
		pending_free(p);
}

/* Removes a listed pending name (unlink, commit): the list's reference goes. */
static void pending_drop(struct fs *fs, struct pending *p)
{
	if (p->gone)
		return;
	pending_unlist(fs, p);
	pending_unref(fs, p);
}

/*
 * Forgets scratch files nobody has open and nobody renamed for a while:
 * their writer died or gave up (a live sed or Python renames at once).
 * Caller holds the lock.
 */
static void pending_sweep(struct fs *fs)
{
	struct timespec now;
	struct pending *p = fs->pending;

	clock_gettime(CLOCK_REALTIME, &now);
	while (p) {
		struct pending *next = p->next;

		if (p->refs == 1 && now.tv_sec - p->mtime.tv_sec > FS_SCRATCH_TTL_S)
			pending_drop(fs, p);
		p = next;
	}
}

/* Attributes of a pending name: what its creator staged or validated. */
static void pending_stat(const struct fs *fs, uint64_t nodeid, const struct pending *p,
			 struct stat *st)
{
	size_t size = 0;
	PFS_AUTOFREE char *pretty = NULL;

	if (p->value) {
		struct pin pin = {.value = p->value, .value_len = p->value_len};

		/* Validated against max_value_bytes at its commit. */
		if (render_pretty(&pin, PIN_JSON_UNLIMITED, &pretty, &size) < 0)
			size = 0;
	}
	/* Not a row yet: an st_ino outside every backend's space. */
	fill_pin_stat(fs, (1ull << 63) | nodeid, size, &p->mtime, st);
}

/* ------------------------------------------------------------------ */
/* lifecycle                                                          */

/* What a config makes that a reload swaps in as one. */
struct fs_generation {
	struct route_table *routes;
	struct policy *policy;
	struct cred_verifier *verifier;
};

static void generation_done(struct fs_generation *g)
{
	route_table_free(g->routes);
	policy_free(g->policy);
	cred_verifier_free(g->verifier);
}

/*
 * Builds cfg's routes, policy and token verifier, and checks every backend
 * routed to: the schema must be current (the embedded default migrates its
 * own file).
 */
static int build_generation(struct fs *fs, const struct config *cfg, struct fs_generation *g,
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

static void start_feeds(struct fs *fs);
static void file_free(struct fs *fs, struct fs_file *f);
static void local_change(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
			 const char *key);

/* Swaps g in; the old generation is freed. */
static void install_generation(struct fs *fs, const struct config *cfg, struct fs_generation *g)
{
	struct fs_generation old;

	pthread_rwlock_wrlock(&fs->routes_lock);
	old.routes = fs->routes;
	old.policy = fs->policy;
	old.verifier = fs->verifier;
	fs->routes = g->routes;
	fs->policy = g->policy;
	fs->verifier = g->verifier;
	fs->max_value_bytes = cfg->max_value_bytes;
	fs->max_open_files = cfg->max_open_files;
	fs->max_staged_bytes = cfg->max_staged_bytes;
	fs->mode = cfg->mode;
	fs->reaper_interval_s = cfg->reaper_interval_s;
	pthread_rwlock_unlock(&fs->routes_lock);
	if (fs->policy)
		metrics_policy_version(policy_version(fs->policy), policy_hash(fs->policy));
	/* Readers copy what they need out under the lock: nobody holds old. */
	generation_done(&old);
	pthread_mutex_lock(&fs->reaper_lock);
	pthread_cond_signal(&fs->reaper_wake);	/* the interval may have changed */
	pthread_mutex_unlock(&fs->reaper_lock);
	if (fs->started)
		start_feeds(fs);	/* backends the reload added */
}

int fs_new(const struct config *cfg, const struct fs_options *opts, struct fs **ret,
	   struct pfs_error *reterr)
{
	PFS_CLEANUP(fs_freep) struct fs *fs = calloc(1, sizeof(*fs));
	struct fs_generation g;
	int r;

	if (!fs)
		return -ENOMEM;
	fs->opts = *opts;
	clock_gettime(CLOCK_REALTIME, &fs->start);
	pthread_mutex_init(&fs->pending_lock, NULL);
	pthread_rwlock_init(&fs->routes_lock, NULL);
	pthread_mutex_init(&fs->reaper_lock, NULL);
	pthread_mutex_init(&fs->sys_lock, NULL);
	pthread_mutex_init(&fs->miss_lock, NULL);
	pthread_mutex_init(&fs->files_lock, NULL);
	pthread_cond_init(&fs->reaper_wake, NULL);
	fs->nodes = inode_table_new();
	fs->backends = backend_set_new();
	fs->audit = audit_new(8192, 1024);
	fs->events = audit_new_changes(1024);
	fs->cache = pin_cache_new(8u << 20);
	fs->creds = cred_store_new();
	if (!fs->nodes || !fs->backends || !fs->audit || !fs->events || !fs->creds || !fs->cache)
		return -ENOMEM;
	r = build_generation(fs, cfg, &g, reterr);
	if (r < 0)
		return r;
	install_generation(fs, cfg, &g);
	*ret = steal_ptr(&fs);
	return 0;
}

int fs_reload(struct fs *fs, const struct config *cfg, struct pfs_error *reterr)
{
	struct fs_generation g;
	int r;

	r = build_generation(fs, cfg, &g, reterr);
	if (r < 0)
		return r;	/* the last good generation stays */
	install_generation(fs, cfg, &g);
	return 0;
}

/* A limit that a reload may change. */
static size_t limit_of(struct fs *fs, const size_t *field)
{
	size_t v;

	pthread_rwlock_rdlock(&fs->routes_lock);
	v = *field;
	pthread_rwlock_unlock(&fs->routes_lock);
	return v;
}

static size_t max_value_bytes(struct fs *fs)
{
	size_t v;

	pthread_rwlock_rdlock(&fs->routes_lock);
	v = fs->max_value_bytes;
	pthread_rwlock_unlock(&fs->routes_lock);
	return v;
}

/* ------------------------------------------------------------------ */
/* background work: the reaper                                        */

bool fs_backend_routed(struct fs *fs, unsigned no)
{
	bool routed;

	pthread_rwlock_rdlock(&fs->routes_lock);
	routed = route_table_routes_to(fs->routes, no);
	pthread_rwlock_unlock(&fs->routes_lock);
	return routed;
}

size_t fs_refresh_backend_health(struct fs *fs)
{
	size_t down = 0;

	for (size_t i = 0; i < backend_set_size(fs->backends) && i < FS_MAX_BACKENDS; i++) {
		int r;

		if (!fs_backend_routed(fs, (unsigned)i))
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

struct expire_ctx {
	struct fs *fs;
	struct backend *be;
	unsigned no;
};

/* Each expiry: the kernel forgets the name, and /.system/audit shows it. */
static int on_expired(void *ctx, const char *tenant, const char *key)
{
	struct expire_ctx *c = ctx;
	int64_t now = time_now_us();

	inode_table_detach(c->fs->nodes, tenant, key);
	fs_forget_pin(c->fs, c->no, tenant, key, true);
	local_change(c->fs, c->no, PIN_CHANGE_EXPIRE, tenant, key);
	/* The backend wrote the audit row in its transaction: the ring only here. */
	fs_audit(c->fs, NULL, NULL, "expire", tenant, key, 0, NULL, 0, now);
	return 0;
}

int fs_expire_now(struct fs *fs, const char *source)
{
	int total = 0, failed = 0;

	for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
		if (!fs_backend_routed(fs, (unsigned)i))
			continue;
		struct expire_ctx c = {
			.fs = fs, .be = backend_set_get(fs->backends, i), .no = (unsigned)i};
		int r;

		/* In batches, so one transaction never grows without bound. */
		do {
			r = backend_expire(c.be, false, 1000, source, on_expired, &c);
			if (r > 0)
				total += r;
		} while (r == 1000);
		if (r < 0) {
			failed = r;
			pfs_log(LOG_WARNING, "could not expire pins on \"%s\": %s",
				backend_name(c.be), strerror(-r));
		}
	}
	return failed && !total ? failed : total;
}

static void *reaper_main(void *arg)
{
	struct fs *fs = arg;

	pthread_mutex_lock(&fs->reaper_lock);
	while (!fs->stopping) {
		unsigned interval;
		struct timespec until;

		pthread_rwlock_rdlock(&fs->routes_lock);
		interval = fs->reaper_interval_s;
		pthread_rwlock_unlock(&fs->routes_lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += interval ? interval : 3600;
		pthread_cond_timedwait(&fs->reaper_wake, &fs->reaper_lock, &until);
		if (fs->stopping || !interval)
			continue;
		pthread_mutex_unlock(&fs->reaper_lock);
		(void)fs_expire_now(fs, "reaper");
		pthread_mutex_lock(&fs->reaper_lock);
	}
	pthread_mutex_unlock(&fs->reaper_lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the change feed                                                    */

static const char *const change_names[] = {
	[PIN_CHANGE_UPSERT] = "upsert",
	[PIN_CHANGE_DELETE] = "delete",
	[PIN_CHANGE_EXPIRE] = "expire",
};

/* One line in /.system/events. */
static void event_append(struct fs *fs, enum pin_change_op op, const char *tenant,
			 const char *key)
{
	struct audit_event ev = {.time_us = time_now_us(), .uid = -1, .success = true};

	pfs_strcpy_cut(ev.operation, change_names[op], sizeof(ev.operation));
	pfs_strcpy_cut(ev.tenant, tenant, sizeof(ev.tenant));
	pfs_strcpy_cut(ev.key, key, sizeof(ev.key));
	audit_submit(fs->events, NULL, &ev);
}

/*
 * A change this mount made, on a backend without a feed (SQLite: this
 * daemon is its only writer). Backends with a feed announce every change,
 * this mount's included, through on_change.
 */
static void local_change(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
			 const char *key)
{
	if (no < FS_MAX_BACKENDS && !__atomic_load_n(&fs->has_feed[no], __ATOMIC_RELAXED))
		event_append(fs, op, tenant, key);
}

/* Asks the kernel to drop its entry and attributes for (tenant, key). */
static void kernel_forget(struct fs *fs, const char *tenant, const char *key, bool gone)
{
	PFS_AUTOFREE char *name = NULL;
	uint64_t parent, nodeid;

	if (!fs->opts.kernel_inval || !key || !key[0])
		return;
	nodeid = inode_table_peek(fs->nodes, tenant, key);
	parent = gone ? inode_table_peek(fs->nodes, tenant, NULL) : 0;
	if (parent && path_key_encode(key, &name) < 0)
		parent = 0;
	if (nodeid || parent)
		fs->opts.kernel_inval(fs->opts.kernel_inval_ctx, nodeid, parent, name);
}

struct forget_all_ctx {
	struct fs *fs;
	unsigned no;
};

static void forget_node(void *ctx, uint64_t nodeid, const char *tenant, const char *key)
{
	struct forget_all_ctx *c = ctx;
	struct backend *be;
	unsigned no;

	/* Only what this backend serves. */
	if (!key || fs_route(c->fs, tenant, &be, &no) < 0 || no != c->no)
		return;
	c->fs->opts.kernel_inval(c->fs->opts.kernel_inval_ctx, nodeid, 0, NULL);
}

/*
 * Runs on a backend's feed thread, never a request handler. The daemon's
 * cache is dropped first, then the kernel's, so a lookup that races with
 * this refetches from the database.
 */
static void on_change(void *ctx, const struct pin_change *c)
{
	struct fs_feed_ctx *fc = ctx;
	struct fs *fs = fc->fs;

	switch (c->op) {
	case PIN_CHANGE_RESYNC:
	case PIN_CHANGE_DOWN:
		/* Changes may have been missed: nothing cached can be trusted. */
		__atomic_store_n(&fs->feed_up[fc->no], 0, __ATOMIC_RELEASE);
		pin_cache_invalidate_backend(fs->cache, fc->no);
		if (fs->opts.kernel_inval) {
			struct forget_all_ctx fa = {.fs = fs, .no = fc->no};

			inode_table_foreach(fs->nodes, forget_node, &fa);
		}
		if (c->op == PIN_CHANGE_RESYNC)
			__atomic_store_n(&fs->feed_up[fc->no], 1, __ATOMIC_RELEASE);
		break;
	default:
		pin_cache_invalidate(fs->cache, fc->no, c->tenant, c->key,
				     c->op != PIN_CHANGE_UPSERT);
		kernel_forget(fs, c->tenant, c->key, c->op != PIN_CHANGE_UPSERT);
		event_append(fs, c->op, c->tenant, c->key);
		break;
	}
}

/* Starts the feed of every backend that has one and is not yet followed. */
static void start_feeds(struct fs *fs)
{
	for (size_t i = 0; i < backend_set_size(fs->backends) && i < FS_MAX_BACKENDS; i++) {
		int r;

		if (__atomic_load_n(&fs->has_feed[i], __ATOMIC_RELAXED) ||
		    fs->feed_ctx[i].fs)
			continue;
		fs->feed_ctx[i] = (struct fs_feed_ctx){.fs = fs, .no = (unsigned)i};
		r = backend_feed_start(backend_set_get(fs->backends, i), on_change,
				       &fs->feed_ctx[i]);
		if (r == 0)
			__atomic_store_n(&fs->has_feed[i], 1, __ATOMIC_RELAXED);
		else if (r != -ENOTSUP)
			pfs_log(LOG_WARNING, "could not start the change feed of \"%s\": %s",
				backend_name(backend_set_get(fs->backends, i)), strerror(-r));
	}
}

int fs_start(struct fs *fs)
{
	int r = audit_start(fs->audit);

	if (r < 0)
		return r;
	if (pthread_create(&fs->reaper, NULL, reaper_main, fs) != 0)
		return -EAGAIN;
	fs->reaper_running = true;
	fs->started = true;
	start_feeds(fs);
	return 0;
}

struct fs *fs_free(struct fs *fs)
{
	if (!fs)
		return NULL;
	while (fs->pending) {
		struct pending *p = fs->pending;

		fs->pending = p->next;
		pending_free(p);
	}
	if (fs->reaper_running) {
		pthread_mutex_lock(&fs->reaper_lock);
		fs->stopping = true;
		pthread_cond_signal(&fs->reaper_wake);
		pthread_mutex_unlock(&fs->reaper_lock);
		pthread_join(fs->reaper, NULL);
	}
	/* Files still open at unmount get no release from the kernel. */
	while (fs->pin_files)
		file_free(fs, fs->pin_files);
	while (fs->sys_files)
		fs_system_release(fs, fs->sys_files);
	/* Feeds call into fs, and the audit writer uses backends: they go first. */
	for (size_t i = 0; fs->backends && i < backend_set_size(fs->backends); i++)
		backend_feed_stop(backend_set_get(fs->backends, i));
	audit_free(fs->audit);
	audit_free(fs->events);
	pin_cache_free(fs->cache);
	route_table_free(fs->routes);
	policy_free(fs->policy);
	cred_verifier_free(fs->verifier);
	cred_store_free(fs->creds);
	backend_set_free(fs->backends);
	inode_table_free(fs->nodes);
	pthread_rwlock_destroy(&fs->routes_lock);
	pthread_mutex_destroy(&fs->pending_lock);
	pthread_mutex_destroy(&fs->reaper_lock);
	pthread_mutex_destroy(&fs->sys_lock);
	pthread_mutex_destroy(&fs->miss_lock);
	pthread_mutex_destroy(&fs->files_lock);
	pthread_cond_destroy(&fs->reaper_wake);
	free(fs);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* names                                                              */

/* Resolves a directory node: the root (tenant NULL) or a tenant. */
static int resolve_dir(struct fs *fs, uint64_t nodeid, char **ret_tenant)
{
	enum inode_kind kind;
	char *tenant, *key;
	int r;

	if (nodeid == INODE_ROOT) {
		*ret_tenant = NULL;
		return 0;
	}
	if (nodeid == INODE_SYSTEM_DIR)
		return -EACCES;	/* /.system's names are fixed */
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	free(key);
	if (kind != INODE_KIND_TENANT) {
		free(tenant);
		return kind == INODE_KIND_PIN ? -ENOTDIR : -ENOENT;
	}
	*ret_tenant = tenant;
	return 0;
}

static int tenant_entry(struct fs *fs, const char *tenant, struct fs_entry *ret)
{
	int r = inode_table_ref(fs->nodes, tenant, NULL, &ret->nodeid);

	if (r < 0)
		return r;
	fill_dir_stat(fs, tenant_ino(tenant), &ret->st);
	ret->entry_timeout = 0;	/* every path walk re-asks with the caller's credentials */
	ret->attr_timeout = TENANT_ATTR_TIMEOUT;
	return 0;
}

static int lookup_tenant(struct fs *fs, const struct pfs_subject *who, const char *name,
			 struct fs_entry *ret)
{
	struct backend *be;
	unsigned no;
	int r;

	/* A name that cannot be a tenant cannot exist. */
	if (path_tenant_validate(name) < 0)
		return -ENOENT;
	r = route(fs, name, &be, &no);
	if (r < 0)
		return r;
	r = authorize(fs, who, name, POLICY_READ);
	if (r < 0)
		return r;
	/* Every path walk comes here (tenant entries are never cached by the kernel). */
	if (!feed_vouches(fs, no) || !pin_cache_tenant_known(fs->cache, no, name)) {
		uint64_t gen = pin_cache_generation(fs->cache, no);

		r = backend_tenant_exists(be, name);
		if (r < 0)
			return r;
		if (feed_vouches(fs, no))
			pin_cache_tenant_put(fs->cache, no, gen, name);
	}
	return tenant_entry(fs, name, ret);
}

static int lookup_key(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		      const char *name, struct fs_entry *ret)
{
	PFS_AUTOFREE char *key = NULL;
	PFS_AUTOFREE char *text = NULL;
	struct pin_meta meta;
	size_t len;
	struct backend *be;
	unsigned no;
	int r;

	r = path_key_decode(name, &key);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = authorize(fs, who, tenant, POLICY_READ);
	if (r < 0)
		return r;
	r = fs_pin_fetch(fs, be, no, tenant, key, &text, &len, &meta);
	if (r == 0 || r == -EFBIG) {
		/* Too large to read, but there: size 0, as read returns nothing. */
		pin_stat(fs, no, r == 0 ? len : 0, &meta, &ret->st);
		r = inode_table_ref(fs->nodes, tenant, key, &ret->nodeid);
		if (r < 0)
			return r;
		ret->entry_timeout = ret->attr_timeout = key_timeout(fs, no, &meta);
		return 0;
	}
	if (r != -ENOENT)
		return r;

	/* Not committed: maybe the caller's own pending creation. */
	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, who->uid, false);

	if (p) {
		r = inode_table_ref(fs->nodes, tenant, key, &ret->nodeid);
		if (r == 0) {
			pending_stat(fs, ret->nodeid, p, &ret->st);
			ret->entry_timeout = 0;
			ret->attr_timeout = 0;
		}
	} else {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	return r;
}

int fs_lookup(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      struct fs_entry *ret)
{
	PFS_AUTOFREE char *tenant = NULL;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (strlen(name) > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	if (parent == INODE_SYSTEM_DIR)
		return fs_system_lookup(fs, who, name, ret);
	if (parent == INODE_ROOT && strcmp(name, ".system") == 0) {
		r = fs_authorize(fs, who, NULL, NULL, NULL);
		if (r < 0)
			return r;
		ret->nodeid = INODE_SYSTEM_DIR;
		fs_system_dir_stat(fs, &ret->st);
		ret->entry_timeout = 0;
		ret->attr_timeout = 3600;
		return 0;
	}
	r = resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return lookup_tenant(fs, who, name, ret);
	return lookup_key(fs, who, tenant, name, ret);
}

void fs_forget(struct fs *fs, uint64_t nodeid, uint64_t nlookup)
{
	inode_table_forget(fs->nodes, nodeid, nlookup);
}

/* ------------------------------------------------------------------ */
/* attributes                                                         */

static void file_stat(struct fs *fs, uint64_t nodeid, struct fs_file *f, struct stat *st);

static int pin_getattr(struct fs *fs, uint64_t nodeid, const char *tenant, const char *key,
		       struct stat *ret, double *ret_timeout)
{
	PFS_AUTOFREE char *text = NULL;
	struct pin_meta meta;
	struct backend *be;
	size_t len;
	unsigned no;
	int r;

	*ret_timeout = 0;
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = fs_pin_fetch(fs, be, no, tenant, key, &text, &len, &meta);
	if (r == 0 || r == -EFBIG) {
		pin_stat(fs, no, r == 0 ? len : 0, &meta, ret);	/* as in lookup_key */
		*ret_timeout = key_timeout(fs, no, &meta);
		return 0;
	}
	if (r != -ENOENT)
		return r;
	/* The kernel holds this node, so whoever asks already looked it up. */
	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, 0, true);

	if (p)
		pending_stat(fs, nodeid, p, ret);
	else
		r = -ENOENT;
	pthread_mutex_unlock(&fs->pending_lock);
	return p ? 0 : r;
}

int fs_getattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, struct stat *ret, double *ret_timeout)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	int r;

	(void)who;
	if (nodeid >= INODE_SYSTEM_DIR && nodeid <= INODE_SYSTEM_LAST) {
		*ret_timeout = 0;
		return fs_system_getattr(fs, who, nodeid, file, ret);
	}
	if (file) {
		file_stat(fs, nodeid, file, ret);
		*ret_timeout = 0;
		return 0;
	}
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	switch (kind) {
	case INODE_KIND_ROOT:
	case INODE_KIND_TENANT:
		fill_dir_stat(fs, tenant ? tenant_ino(tenant) : INODE_ROOT, ret);
		*ret_timeout = TENANT_ATTR_TIMEOUT;
		return 0;
	case INODE_KIND_PIN:
		return pin_getattr(fs, nodeid, tenant, key, ret, ret_timeout);
	default:
		return -ENOENT;
	}
}

/* ------------------------------------------------------------------ */
/* open files                                                         */

/*
 * A new open pin file, or NULL: out of memory, or past max_open_files
 * (*ret_err says which: -ENOMEM or -ENFILE).
 */
static struct fs_file *file_new(struct fs *fs, const struct pfs_subject *who, const char *tenant,
				const char *key, struct backend *be, unsigned no, int *ret_err)
{
	struct fs_file *f;

	*ret_err = -ENFILE;
	if (__atomic_add_fetch(&fs->open_files, 1, __ATOMIC_RELAXED) >
	    limit_of(fs, &fs->max_open_files)) {
		__atomic_sub_fetch(&fs->open_files, 1, __ATOMIC_RELAXED);
		pfs_log(LOG_WARNING, "too many open pin files (max_open_files): ENFILE");
		return NULL;
	}
	*ret_err = -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f) {
		__atomic_sub_fetch(&fs->open_files, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->who = *who;
	f->be = be;
	f->backend_no = no;
	f->tenant = strdup(tenant);
	f->key = strdup(key);
	if (!f->tenant || !f->key) {
		free(f->tenant);
		free(f->key);
		free(f);
		__atomic_sub_fetch(&fs->open_files, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	pthread_mutex_lock(&fs->files_lock);
	f->next_pin = fs->pin_files;
	if (fs->pin_files)
		fs->pin_files->prev_pin = f;
	fs->pin_files = f;
	pthread_mutex_unlock(&fs->files_lock);
	return f;
}

void fs_note_source(struct fs *fs, const char *tenant, const char *key, const char *source)
{
	pthread_mutex_lock(&fs->files_lock);
	for (struct fs_file *f = fs->pin_files; f; f = f->next_pin) {
		if (!f->writable || strcmp(f->tenant, tenant) != 0 || strcmp(f->key, key) != 0)
			continue;
		pthread_mutex_lock(&f->lock);
		snprintf(f->xsource, sizeof(f->xsource), "%s", source);
		pthread_mutex_unlock(&f->lock);
	}
	pthread_mutex_unlock(&fs->files_lock);
}

static void file_free(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->files_lock);
	if (f->prev_pin)
		f->prev_pin->next_pin = f->next_pin;
	else if (fs->pin_files == f)
		fs->pin_files = f->next_pin;
	if (f->next_pin)
		f->next_pin->prev_pin = f->prev_pin;
	pthread_mutex_unlock(&fs->files_lock);
	if (f->pending) {
		pthread_mutex_lock(&fs->pending_lock);
		struct pending *p = f->pending;

		/* A plain creation that was never committed leaves nothing behind. */
		if (!p->scratch && !p->gone && p->refs == 2)
			pending_drop(fs, p);
		pending_unref(fs, p);
		pthread_mutex_unlock(&fs->pending_lock);
	}
	pin_scan_free(f->scan);
	__atomic_sub_fetch(&fs->staged_bytes, f->cap, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&fs->open_files, 1, __ATOMIC_RELAXED);
	free(f->buf);
	free(f->snap);
	free(f->tenant);
	free(f->key);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* The file's current name (a pending file follows renames). Caller frees. */
static int file_name(struct fs *fs, struct fs_file *f, char **ret_key, bool *ret_scratch)
{
	char *key;
	bool scratch = false;

	pthread_mutex_lock(&fs->pending_lock);
	if (f->pending && !f->pending->gone) {
		key = strdup(f->pending->key);
		scratch = f->pending->scratch;
	} else {
		key = strdup(f->key);
	}
	pthread_mutex_unlock(&fs->pending_lock);
	if (!key)
		return -ENOMEM;
	*ret_key = key;
	*ret_scratch = scratch;
	return 0;
}

/* Logs a stored value too large to read (-EFBIG); returns r. */
static int too_large_notice(const char *tenant, const char *key, int r)
{
	if (r == -EFBIG)
		pfs_log(LOG_NOTICE,
			"memory_pin.too_large: the stored value of \"%s/%s\" is longer than "
			"max_value_bytes once rendered: EFBIG (rm or overwrite it)",
			tenant, key);
	return r;
}

/* Loads the current value (pretty) as the base of the staged buffer. */
static int file_load(struct fs *fs, struct fs_file *f)
{
	struct pin_meta meta;
	char *text;
	size_t len;
	int r;

	if (f->loaded)
		return 0;
	if (f->pending && !f->committed) {
		f->loaded = true;	/* a new file starts empty */
		return 0;
	}
	r = fs_pin_fetch(fs, f->be, f->backend_no, f->tenant, f->key, &text, &len, &meta);
	if (r < 0)
		return too_large_notice(f->tenant, f->key, r);
	/* Staged bytes are accounted by capacity (see buf_reserve). */
	__atomic_add_fetch(&fs->staged_bytes, len, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&fs->staged_bytes, f->cap, __ATOMIC_RELAXED);
	free(f->buf);
	f->buf = text;
	f->len = f->cap = len;
	f->loaded = true;
	return pin_scan_reset(f->scan) < 0 ? -ENOMEM : pin_scan_feed(f->scan, f->buf, f->len);
}

static void file_stat(struct fs *fs, uint64_t nodeid, struct fs_file *f, struct stat *st)
{
	struct timespec now;

	pthread_mutex_lock(&f->lock);
	if (f->loaded && (f->dirty || f->pending)) {
		clock_gettime(CLOCK_REALTIME, &now);
		fill_pin_stat(fs, f->pending ? (1ull << 63) | nodeid : 0, f->len, &now, st);
		if (!f->pending)
			st->st_ino = pin_ino(f->backend_no, f->snap_meta.id);
		pthread_mutex_unlock(&f->lock);
		return;
	}
	pthread_mutex_unlock(&f->lock);
	double timeout;

	if (pin_getattr(fs, nodeid, f->tenant, f->key, st, &timeout) < 0) {
		/* Deleted under an open file: report it empty, as a removed file. */
		clock_gettime(CLOCK_REALTIME, &now);
		fill_pin_stat(fs, (1ull << 63) | nodeid, 0, &now, st);
		st->st_nlink = 0;
	}
}

static int open_check(struct fs *fs, const struct pfs_subject *who, const char *tenant, int flags)
{
	int acc = flags & O_ACCMODE;
	int r = 0;

	if (acc != O_WRONLY)
		r = authorize(fs, who, tenant, POLICY_READ);
	if (r == 0 && (acc != O_RDONLY || (flags & O_TRUNC)))
		r = authorize(fs, who, tenant, POLICY_WRITE);
	return r;
}

static int file_setup(struct fs *fs, struct fs_file *f, int flags, struct fs_open_flags *ret_flags)
{
	int acc = flags & O_ACCMODE;

	f->writable = acc != O_RDONLY;
	f->append = (flags & O_APPEND) != 0;
	if (f->writable) {
		f->scan = pin_scan_new(max_value_bytes(fs));
		if (!f->scan)
			return -ENOMEM;
	}
	if (flags & O_TRUNC)
		f->loaded = true;	/* empty base, not dirty: bash's first flush commits nothing */
	/*
	 * direct_io: every read reaches the daemon and is not clamped to a
	 * cached size, so each read pass returns one whole current value.
	 */
	*ret_flags = (struct fs_open_flags){.direct_io = true, .noflush = !f->writable};
	return 0;
}

int fs_open(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int flags,
	    struct fs_file **ret_file, struct fs_open_flags *ret_flags)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	struct backend *be;
	struct pending *p;
	struct fs_file *f;
	int64_t started = time_now_us();
	unsigned no;
	int r;

	if (nodeid >= INODE_SYSTEM_DIR && nodeid <= INODE_SYSTEM_LAST)
		return fs_system_open(fs, who, nodeid, flags, ret_file, ret_flags);
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	if (kind != INODE_KIND_PIN)
		return -EISDIR;
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = open_check(fs, who, tenant, flags);
	if (r < 0) {
		/* A refused write is a rejected write: the audit shows why. */
		fs_audit(fs, be, who, (flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)
					      ? "read" : "upsert",
			 tenant, key, r, NULL, 0, started);
		return r;
	}

	f = file_new(fs, who, tenant, key, be, no, &r);
	if (!f)
		return r;
	r = file_setup(fs, f, flags, ret_flags);
	if (r < 0)
		goto fail;

	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, tenant, key, who->uid, false);
	if (p) {
		p->refs++;
		f->pending = p;
	}
	pthread_mutex_unlock(&fs->pending_lock);
	if (f->pending) {
		*ret_file = f;
		return 0;
	}

	if ((flags & O_ACCMODE) == O_WRONLY) {
		/*
		 * A writer reads nothing: no fetch (the lookup that gave the kernel
		 * this node found the pin; a write without O_TRUNC loads the value
		 * when it needs it).
		 */
		*ret_file = f;
		return 0;
	}
	/* The first read pass can use what we fetch now. */
	r = fs_pin_fetch(fs, be, no, tenant, key, &f->snap, &f->snap_len, &f->snap_meta);
	if (r == -EFBIG && (flags & O_TRUNC)) {
		*ret_file = f;	/* too large to read, but being replaced: nothing to read */
		return 0;
	}
	fs_audit(fs, be, who, "read", tenant, key, r, f->snap, f->snap_len, started);
	if (r < 0) {
		too_large_notice(tenant, key, r);
		goto fail;
	}
	f->snap_valid = true;
	*ret_file = f;
	return 0;
fail:
	file_free(fs, f);
	return r;
}

int fs_create(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      mode_t mode, int flags, struct fs_entry *ret_entry, struct fs_file **ret_file,
	      struct fs_open_flags *ret_flags)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	enum path_create_class cls;
	struct pending *p = NULL;
	struct backend *be;
	struct fs_file *f;
	unsigned no;
	int r;

	(void)mode;	/* every pin is 0644 */
	memset(ret_entry, 0, sizeof(*ret_entry));
	r = resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return -EPERM;	/* only directories (tenants) live in the root */
	r = path_key_decode(name, &key);
	if (r < 0)
		return r;
	cls = path_key_create_class(key);
	if (cls == PATH_CREATE_REFUSED)
		return -EACCES;	/* editors then keep swap and backup files elsewhere */
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = open_check(fs, who, tenant, flags | O_TRUNC);
	if (r < 0) {
		fs_audit(fs, be, who, "upsert", tenant, key, r, NULL, 0, time_now_us());
		return r;
	}

	/* The kernel asks only when it had no entry; the name may exist all the same. */
	r = lookup_key(fs, who, tenant, name, ret_entry);
	if (r == 0) {
		if (flags & O_EXCL) {
			inode_table_forget(fs->nodes, ret_entry->nodeid, 1);
			return -EEXIST;
		}
		r = fs_open(fs, who, ret_entry->nodeid, flags, ret_file, ret_flags);
		if (r < 0)
			inode_table_forget(fs->nodes, ret_entry->nodeid, 1);
		return r;
	}
	if (r != -ENOENT)
		return r;

	f = file_new(fs, who, tenant, key, be, no, &r);
	if (!f)
		return r;
	r = file_setup(fs, f, flags | O_TRUNC, ret_flags);
	if (r == 0) {
		p = calloc(1, sizeof(*p));
		if (!p || !(p->tenant = strdup(tenant)) || !(p->key = strdup(key)))
			r = -ENOMEM;
	}
	if (r < 0) {
		if (p)
			pending_free(p);
		file_free(fs, f);
		return r;
	}
	pthread_mutex_lock(&fs->pending_lock);
	pending_sweep(fs);
	r = fs->n_pending >= FS_MAX_PENDING ? -ENFILE : 0;
	pthread_mutex_unlock(&fs->pending_lock);
	if (r < 0) {
		pfs_log(LOG_WARNING, "too many files created and not yet committed: ENFILE");
		pending_free(p);
		file_free(fs, f);
		return r;
	}
	p->uid = who->uid;
	p->scratch = cls == PATH_CREATE_SCRATCH;
	p->refs = 2;	/* the list's and this file's */
	clock_gettime(CLOCK_REALTIME, &p->mtime);
	f->pending = p;

	r = inode_table_ref(fs->nodes, tenant, key, &ret_entry->nodeid);
	if (r < 0) {
		pending_free(p);
		f->pending = NULL;
		file_free(fs, f);
		return r;
	}
	pthread_mutex_lock(&fs->pending_lock);
	p->next = fs->pending;
	fs->pending = p;
	fs->n_pending++;
	pending_stat(fs, ret_entry->nodeid, p, &ret_entry->st);
	pthread_mutex_unlock(&fs->pending_lock);
	ret_entry->entry_timeout = 0;
	ret_entry->attr_timeout = 0;
	*ret_file = f;
	return 0;
}

/* ------------------------------------------------------------------ */
/* reading                                                            */

/* Takes a fresh snapshot of the file's current value. Caller holds f->lock. */
static int file_snapshot(struct fs *fs, struct fs_file *f)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&fs->pending_lock);
	if (f->pending && !f->pending->gone) {
		struct pin pp = {.value = f->pending->value, .value_len = f->pending->value_len};

		r = pp.value ? render_pretty(&pp, PIN_JSON_UNLIMITED, &text, &len) : 0;
		pthread_mutex_unlock(&fs->pending_lock);
		if (r < 0)
			return r;
		goto done;
	}
	pthread_mutex_unlock(&fs->pending_lock);

	r = fs_pin_fetch(fs, f->be, f->backend_no, f->tenant, f->key, &text, &len, &f->snap_meta);
	if (r < 0)
		return too_large_notice(f->tenant, f->key, r);
done:
	free(f->snap);
	f->snap = text;
	f->snap_len = len;
	f->snap_valid = true;
	return 0;
}

ssize_t fs_read(struct fs *fs, struct fs_file *f, char *buf, size_t size, off_t off)
{
	const char *src;
	size_t len, n;
	int r;

	if (off < 0)
		return -EINVAL;
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_read(fs, f, buf, size, off);
	pthread_mutex_lock(&f->lock);
	if (f->dirty) {
		/* A writer reads back what it staged. */
		src = f->buf;
		len = f->len;
	} else {
		/*
		 * A read at offset 0 starts a new pass over the latest value, and so
		 * does a read past the end once EOF was returned there: tail -f,
		 * after fstat showed growth. A reader in the middle of a pass, or
		 * reading up to its EOF, stays on one value and never sees a mix.
		 */
		if (!f->snap_valid || (off == 0 && f->at_eof) ||
		    ((size_t)off >= f->snap_len && f->eof_returned)) {
			r = file_snapshot(fs, f);
			if (r < 0) {
				pthread_mutex_unlock(&f->lock);
				return r;
			}
		}
		src = f->snap;
		len = f->snap_len;
	}
	n = (size_t)off >= len ? 0 : len - (size_t)off;
	if (n > size)
		n = size;
	if (n)
		memcpy(buf, src + off, n);
	f->at_eof = (size_t)off + n >= len;
	f->eof_returned = n == 0;
	pthread_mutex_unlock(&f->lock);
	return (ssize_t)n;
}

/* ------------------------------------------------------------------ */
/* writing                                                            */

/* Grows the staged buffer, within max_staged_bytes over all open files (-ENOMEM). */
static int buf_reserve(struct fs *fs, struct fs_file *f, size_t need)
{
	size_t cap;
	char *nb;

	if (need <= f->cap)
		return 0;
	/* Doubling, but never past what a value may hold, nor past the budget when need fits. */
	cap = f->cap ? f->cap : 256;
	while (cap < need)
		cap *= 2;
	if (cap > max_value_bytes(fs) + 1)
		cap = max_value_bytes(fs) + 1;
	if (cap < need)
		cap = need;
	for (;;) {
		if (__atomic_add_fetch(&fs->staged_bytes, cap - f->cap, __ATOMIC_RELAXED) <=
		    limit_of(fs, &fs->max_staged_bytes))
			break;
		__atomic_sub_fetch(&fs->staged_bytes, cap - f->cap, __ATOMIC_RELAXED);
		if (cap == need) {
			pfs_log(LOG_WARNING, "staged writes exceed max_staged_bytes: ENOMEM");
			return -ENOMEM;
		}
		cap = need;
	}
	nb = realloc(f->buf, cap);
	if (!nb) {
		__atomic_sub_fetch(&fs->staged_bytes, cap - f->cap, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	f->buf = nb;
	f->cap = cap;
	return 0;
}

/* Fails the handle for good; nothing from it will be committed. */
static int file_fail(struct fs *fs, struct fs_file *f, int err, const char *code)
{
	f->failed = err;
	f->reported = true;	/* this write() itself returns the error */
	fs_audit(fs, f->be, &f->who, "upsert", f->tenant, f->key, err, NULL, 0, time_now_us());
	/* A too-large value is what a hostile writer tries: worth a line at the default level. */
	pfs_log(err == -EFBIG ? LOG_NOTICE : LOG_INFO, "%s: write to \"%s/%s\" by uid %u rejected",
		code, f->tenant, f->key, (unsigned)f->who.uid);
	return err;
}

ssize_t fs_write(struct fs *fs, struct fs_file *f, const char *data, size_t size, off_t off)
{
	size_t old_len;
	int r;

	if (off < 0)
		return -EINVAL;
	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_write(fs, f, data, size, off);
	pthread_mutex_lock(&f->lock);
	if (f->failed) {
		r = f->failed;
		goto out;
	}
	r = file_load(fs, f);
	if (r < 0)
		goto out;
	if (f->append)
		off = (off_t)f->len;	/* O_APPEND appends to the staged bytes, whatever off says */
	if ((size_t)off + size > max_value_bytes(fs)) {
		r = file_fail(fs, f, -EFBIG, "memory_pin.too_large");
		goto out;
	}
	r = buf_reserve(fs, f, (size_t)off + size + 1);
	if (r < 0) {
		/* Sticky: committing without these bytes would store a value nobody wrote. */
		r = file_fail(fs, f, r, "memory_store.out_of_memory");
		goto out;
	}
	old_len = f->len;
	if ((size_t)off > f->len)
		memset(f->buf + f->len, 0, (size_t)off - f->len);
	memcpy(f->buf + off, data, size);
	if ((size_t)off + size > f->len)
		f->len = (size_t)off + size;
	f->dirty = true;

	/* The common case appends: feed just the new bytes; otherwise rescan. */
	if ((size_t)off == old_len && pin_scan_offset(f->scan) == old_len) {
		r = pin_scan_feed(f->scan, data, size);
	} else {
		r = pin_scan_reset(f->scan);
		if (r == 0)
			r = pin_scan_feed(f->scan, f->buf, f->len);
	}
	if (r == -EINVAL || r == -EFBIG) {
		/* EFBIG: what readers would get (numbers expanded, indentation) is too long. */
		r = file_fail(fs, f, r,
			      r == -EFBIG ? "memory_pin.too_large" : "memory_pin.invalid_json");
		goto out;
	}
	if (r < 0)
		goto out;
	r = (int)size;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

/*
 * Audits a commit. The hash is of the canonical text, what a reader gets:
 * "cat PIN | sha256sum" starts with the audit's value_sha256.
 */
static void audit_commit(struct fs *fs, struct fs_file *f, const char *key, int r,
			 const char *compact, size_t len, int64_t started)
{
	PFS_AUTOFREE char *pretty = NULL;
	size_t plen = 0;

	if (r == 0 && pin_json_render(compact, len, PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &pretty,
				      &plen, NULL) < 0)
		pretty = NULL;
	fs_audit(fs, f->be, &f->who, "upsert", f->tenant, key, r, pretty, plen, started);
}

/* Validates and commits the staged bytes. Caller holds f->lock. */
static int file_commit(struct fs *fs, struct fs_file *f)
{
	struct pfs_error err = {0};
	PFS_AUTOFREE char *key = NULL;
	PFS_AUTOFREE char *value = NULL;
	int64_t started = time_now_us();
	size_t len = 0;
	bool scratch;
	int r;

	if (f->failed)
		return f->failed;
	if (!f->dirty)
		return 0;
	/* What readers will get, indentation and expanded numbers included, is what is limited. */
	r = pin_json_canonicalize(f->buf ? f->buf : "", f->len, max_value_bytes(fs), &value, &len,
				  NULL, &err);
	if (r < 0) {
		if (r == -EINVAL || r == -EFBIG)
			pfs_log(r == -EFBIG ? LOG_NOTICE : LOG_INFO, "%s: \"%s/%s\" by uid %u: %s",
				r == -EFBIG ? "memory_pin.too_large" : "memory_pin.invalid_json",
				f->tenant, f->key, (unsigned)f->who.uid, err.message);
		fs_audit(fs, f->be, &f->who, "upsert", f->tenant, f->key, r, NULL, 0, started);
		return r;
	}
	r = file_name(fs, f, &key, &scratch);
	if (r < 0)
		return r;
	if (scratch) {
		/* Kept private until renamed onto a key. */
		pthread_mutex_lock(&fs->pending_lock);
		free(f->pending->value);
		f->pending->value = steal_ptr(&value);
		f->pending->value_len = len;
		clock_gettime(CLOCK_REALTIME, &f->pending->mtime);
		pthread_mutex_unlock(&fs->pending_lock);
		f->dirty = false;
		return 0;
	}

	struct pin_write w = {.value = value, .value_len = len, .source = "fs",
			      .ttl_op = PIN_TTL_KEEP};
	char source[PIN_SOURCE_MAX] = "";

	/* cp -a sets user.pin.source before it closes: that, not "fs", is the writer's word. */
	if (f->xsource[0])
		w.source = f->xsource;
	if (f->pending) {
		/* xattrs set on the new file before this first commit go with it. */
		pthread_mutex_lock(&fs->pending_lock);
		w.ttl_op = f->pending->ttl_op;
		w.ttl_seconds = f->pending->ttl_seconds;
		memcpy(source, f->pending->source, sizeof(source));
		pthread_mutex_unlock(&fs->pending_lock);
		if (source[0])
			w.source = source;
	}
	r = backend_pin_upsert(f->be, f->tenant, key, &w, &f->snap_meta);
	if (r == -EEXIST)
		r = -EIO;	/* an upsert cannot collide: the backend misbehaved */
	audit_commit(fs, f, key, r, value, len, started);
	if (r < 0) {
		if (r == -EIO)
			pfs_log(LOG_WARNING, "memory_store.backend_error: could not write \"%s/%s\"",
				f->tenant, key);
		return r;
	}
	f->dirty = false;
	f->committed = true;
	f->snap_valid = false;	/* the next read pass sees what was committed */
	fs_forget_pin(fs, f->backend_no, f->tenant, key, false);
	local_change(fs, f->backend_no, PIN_CHANGE_UPSERT, f->tenant, key);
	if (f->pending) {
		pthread_mutex_lock(&fs->pending_lock);
		pending_drop(fs, f->pending);	/* now a real pin */
		pthread_mutex_unlock(&fs->pending_lock);
		free(f->key);
		f->key = steal_ptr(&key);
	}
	return 0;
}

/*
 * Gives back the staged bytes of a handle whose value is committed. close()
 * returns before the kernel sends RELEASE, so without this a script writing
 * big values one after another would find the previous file's bytes still
 * counted against max_staged_bytes. Later writes on the handle (a dup'd
 * descriptor) start again from the committed value, as after a fresh open.
 */
static void file_unstage(struct fs *fs, struct fs_file *f)
{
	if (f->dirty || !f->committed || !f->loaded)
		return;
	__atomic_sub_fetch(&fs->staged_bytes, f->cap, __ATOMIC_RELAXED);
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
	f->loaded = false;
}

static int file_sync(struct fs *fs, struct fs_file *f, bool closing)
{
	int r;

	if (f->kind == FS_FILE_SYSTEM)
		return fs_system_flush(fs, f);
	pthread_mutex_lock(&f->lock);
	r = file_commit(fs, f);
	if (r < 0)
		f->reported = true;
	else if (closing)
		file_unstage(fs, f);
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fs_flush(struct fs *fs, struct fs_file *f)
{
	return file_sync(fs, f, true);
}

int fs_fsync(struct fs *fs, struct fs_file *f)
{
	return file_sync(fs, f, false);
}

void fs_release(struct fs *fs, struct fs_file *f)
{
	int r;

	if (f->kind == FS_FILE_SYSTEM) {
		fs_system_release(fs, f);
		return;
	}
	pthread_mutex_lock(&f->lock);
	/* Only bytes written after the last flush (mmap writeback) get here. */
	r = f->dirty && !f->failed && !f->reported ? file_commit(fs, f) : 0;
	pthread_mutex_unlock(&f->lock);
	if (r < 0)
		pfs_log(LOG_WARNING, "changes to \"%s/%s\" were not committed at release: %s",
			f->tenant, f->key, strerror(-r));
	file_free(fs, f);
}

/* ------------------------------------------------------------------ */
/* setattr, access                                                    */

static int truncate_file(struct fs *fs, struct fs_file *f, off_t size)
{
	int r;

	pthread_mutex_lock(&f->lock);
	if (f->failed) {
		r = f->failed;
		goto out;
	}
	if ((size_t)size > max_value_bytes(fs)) {
		r = file_fail(fs, f, -EFBIG, "memory_pin.too_large");
		goto out;
	}
	if (size == 0) {
		f->loaded = true;	/* no need to fetch what is being thrown away */
		f->len = 0;
	} else {
		r = file_load(fs, f);
		if (r < 0)
			goto out;
		r = buf_reserve(fs, f, (size_t)size + 1);
		if (r < 0) {
			r = file_fail(fs, f, r, "memory_store.out_of_memory");
			goto out;
		}
		if ((size_t)size > f->len)
			memset(f->buf + f->len, 0, (size_t)size - f->len);
		f->len = (size_t)size;
	}
	f->dirty = true;
	r = pin_scan_reset(f->scan);
	if (r == 0)
		r = pin_scan_feed(f->scan, f->buf ? f->buf : "", f->len);
	if (r == -EINVAL || r == -EFBIG)
		r = 0;	/* a truncated prefix is judged at close, not now */
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

int fs_setattr(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_file *file, const struct stat *attr, unsigned mask, struct stat *ret,
	       double *ret_timeout)
{
	struct stat cur;
	int r;

	r = fs_getattr(fs, who, nodeid, file, &cur, ret_timeout);
	if (r < 0)
		return r;
	if (nodeid >= INODE_SYSTEM_DIR && nodeid <= INODE_SYSTEM_LAST) {
		/* Times are ignored; a size only truncates what a command file was given. */
		if ((mask & (FS_SET_MODE | FS_SET_UID | FS_SET_GID)) ||
		    ((mask & FS_SET_SIZE) && (!file || attr->st_size != 0)))
			return -EACCES;
		if (mask & FS_SET_SIZE) {
			pthread_mutex_lock(&file->lock);
			file->len = 0;
			pthread_mutex_unlock(&file->lock);
		}
		*ret = cur;
		return 0;
	}
	/* Ownership and mode are fixed: setting them to what they are is a no-op. */
	if ((mask & FS_SET_MODE) && (attr->st_mode & 07777) != (cur.st_mode & 07777))
		return -EPERM;
	if ((mask & FS_SET_UID) && attr->st_uid != cur.st_uid)
		return -EPERM;
	if ((mask & FS_SET_GID) && attr->st_gid != cur.st_gid)
		return -EPERM;

	if (mask & (FS_SET_SIZE | FS_SET_ATIME | FS_SET_MTIME)) {
		PFS_AUTOFREE char *tenant = NULL;
		PFS_AUTOFREE char *key = NULL;
		enum inode_kind kind;

		r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
		if (r < 0)
			return r == -ESTALE ? -ENOENT : r;
		if (kind != INODE_KIND_PIN)
			return (mask & FS_SET_SIZE) ? -EISDIR : authorize(fs, who, tenant, POLICY_WRITE);
		r = authorize(fs, who, tenant, POLICY_WRITE);
		if (r < 0)
			return r;
	}

	if (mask & FS_SET_SIZE) {
		if (attr->st_size < 0)
			return -EINVAL;
		if (file) {
			r = truncate_file(fs, file, attr->st_size);
		} else {
			/* truncate(2) by path: stage, validate and commit at once. */
			struct fs_open_flags of;
			struct fs_file *f;

			r = fs_open(fs, who, nodeid, O_WRONLY, &f, &of);
			if (r < 0)
				return r;
			r = truncate_file(fs, f, attr->st_size);
			if (r == 0)
				r = fs_flush(fs, f);
			file_free(fs, f);
		}
		if (r < 0)
			return r;
	}
	/* Times (touch) are not stored: updated_at is the last write. */
	return fs_getattr(fs, who, nodeid, file, ret, ret_timeout);
}

int fs_access(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid, int mask)
{
	enum inode_kind kind;
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	int r;

	/* The answer must agree with what open, readdir and create would say. */
	if (nodeid >= INODE_SYSTEM_DIR && nodeid <= INODE_SYSTEM_LAST)
		return fs_system_access(fs, who, nodeid, mask);
	r = inode_table_resolve(fs->nodes, nodeid, &kind, &tenant, &key);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	switch (kind) {
	case INODE_KIND_ROOT:
		if (mask & W_OK)
			return authorize(fs, who, NULL, POLICY_ADMIN);	/* mkdir of a tenant */
		return fs_authorize(fs, who, NULL, NULL, NULL);		/* anyone may list it */
	case INODE_KIND_TENANT:
		if (mask & W_OK) {
			r = authorize(fs, who, tenant, POLICY_WRITE);
			if (r < 0)
				return r;
		}
		return authorize(fs, who, tenant, POLICY_READ);
	case INODE_KIND_PIN:
		if (mask & X_OK)
			return -EACCES;	/* pins are not executable */
		if (mask & W_OK) {
			r = authorize(fs, who, tenant, POLICY_WRITE);
			if (r < 0)
				return r;
		}
		return (mask & R_OK) || !(mask & W_OK) ? authorize(fs, who, tenant, POLICY_READ)
						       : 0;
	default:
		return -ENOENT;
	}
}

/* ------------------------------------------------------------------ */
/* namespace changes                                                  */

int fs_unlink(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *key = NULL;
	struct backend *be;
	unsigned no;
	int64_t started = time_now_us();
	int r;

	r = resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	if (!tenant)
		return -EISDIR;
	r = path_key_decode(name, &key);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = authorize(fs, who, tenant, POLICY_DELETE);
	if (r < 0) {
		fs_audit(fs, be, who, "delete", tenant, key, r, NULL, 0, started);
		return r;
	}

	pthread_mutex_lock(&fs->pending_lock);
	struct pending *p = fs_pending_find(fs, tenant, key, who->uid, false);

	if (p)
		pending_drop(fs, p);
	pthread_mutex_unlock(&fs->pending_lock);

	r = backend_pin_delete(be, tenant, key);
	if (r == -ENOENT && p) {
		r = 0;	/* it only ever existed here */
	} else {
		fs_audit(fs, be, who, "delete", tenant, key, r, NULL, 0, started);
		if (r == 0) {
			fs_forget_pin(fs, no, tenant, key, true);
			local_change(fs, no, PIN_CHANGE_DELETE, tenant, key);
		}
	}
	if (r == 0)
		inode_table_detach(fs->nodes, tenant, key);
	return r;
}

int fs_mkdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	     struct fs_entry *ret)
{
	struct backend *be;
	int64_t started = time_now_us();
	int r;

	memset(ret, 0, sizeof(*ret));
	if (parent != INODE_ROOT)
		return -EPERM;	/* keys hold values, not directories */
	r = path_tenant_validate(name);
	if (r < 0)
		return r;
	r = route(fs, name, &be, NULL);
	if (r < 0)
		return r;
	r = authorize(fs, who, name, POLICY_ADMIN);
	if (r < 0) {
		fs_audit(fs, be, who, "mkdir", name, NULL, r, NULL, 0, started);
		return r;
	}
	r = backend_tenant_create(be, name);
	fs_audit(fs, be, who, "mkdir", name, NULL, r, NULL, 0, started);
	if (r < 0)
		return r;
	return tenant_entry(fs, name, ret);
}

int fs_rmdir(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name)
{
	struct backend *be;
	int64_t started = time_now_us();
	unsigned no;
	int r;

	if (parent != INODE_ROOT)
		return -ENOTDIR;
	if (path_tenant_validate(name) < 0)
		return -ENOENT;
	r = route(fs, name, &be, &no);
	if (r < 0)
		return r;
	r = authorize(fs, who, name, POLICY_ADMIN);
	if (r < 0) {
		fs_audit(fs, be, who, "rmdir", name, NULL, r, NULL, 0, started);
		return r;
	}
	r = backend_tenant_delete(be, name);
	fs_audit(fs, be, who, "rmdir", name, NULL, r, NULL, 0, started);
	if (r == 0) {
		inode_table_detach(fs->nodes, name, NULL);
		fs_forget_pin(fs, no, name, NULL, true);
	}
	return r;
}

/* Commits a scratch file's validated content under a real key. */
static int rename_pending(struct fs *fs, struct pending *p, struct backend *be,
			  const char *tenant, const char *from, const char *to, unsigned flags)
{
	PFS_AUTOFREE char *value = NULL;
	size_t len = 0;
	int r;

	pthread_mutex_lock(&fs->pending_lock);
	if (p->value) {
		value = malloc(p->value_len + 1);
		if (value) {
			memcpy(value, p->value, p->value_len + 1);
			len = p->value_len;
		}
	}
	pthread_mutex_unlock(&fs->pending_lock);

	if (flags & FS_RENAME_NOREPLACE) {
		struct pin pin = {0};

		r = backend_pin_get(be, tenant, to, 0, &pin);	/* exists? (no value) */
		pin_done(&pin);
		if (r == 0)
			return -EEXIST;
		if (r != -ENOENT)
			return r;
	}

	if (!value) {
		/* Still being written: the name moves, the content follows at its commit. */
		char *newkey = strdup(to);

		if (!newkey)
			return -ENOMEM;
		pthread_mutex_lock(&fs->pending_lock);
		free(p->key);
		p->key = newkey;
		p->scratch = path_key_create_class(to) == PATH_CREATE_SCRATCH;
		pthread_mutex_unlock(&fs->pending_lock);
		inode_table_rename(fs->nodes, tenant, from, to);
		return 0;
	}

	struct pin_write w = {.value = value, .value_len = len, .source = "fs",
			      .ttl_op = PIN_TTL_KEEP};
	char source[PIN_SOURCE_MAX] = "";

	pthread_mutex_lock(&fs->pending_lock);
	w.ttl_op = p->ttl_op;
	w.ttl_seconds = p->ttl_seconds;
	memcpy(source, p->source, sizeof(source));
	pthread_mutex_unlock(&fs->pending_lock);
	if (source[0])
		w.source = source;
	r = backend_pin_upsert(be, tenant, to, &w, NULL);
	if (r < 0)
		return r == -EEXIST ? -EIO : r;
	pthread_mutex_lock(&fs->pending_lock);
	pending_drop(fs, p);
	pthread_mutex_unlock(&fs->pending_lock);
	inode_table_rename(fs->nodes, tenant, from, to);
	return 0;
}

int fs_rename(struct fs *fs, const struct pfs_subject *who, uint64_t parent, const char *name,
	      uint64_t newparent, const char *newname, unsigned flags)
{
	PFS_AUTOFREE char *tenant = NULL;
	PFS_AUTOFREE char *newtenant = NULL;
	PFS_AUTOFREE char *from = NULL;
	PFS_AUTOFREE char *to = NULL;
	struct pending *p;
	struct backend *be;
	int64_t started = time_now_us();
	unsigned no;
	int r;

	if (flags & FS_RENAME_EXCHANGE)
		return -EINVAL;	/* no atomic exchange of two values */
	r = resolve_dir(fs, parent, &tenant);
	if (r < 0)
		return r;
	r = resolve_dir(fs, newparent, &newtenant);
	if (r < 0)
		return r;
	/* Tenants do not move, and pins do not cross tenants: mv copies instead. */
	if (!tenant || !newtenant || strcmp(tenant, newtenant) != 0)
		return -EXDEV;
	r = path_key_decode(name, &from);
	if (r < 0)
		return r == -ENAMETOOLONG ? r : -ENOENT;
	r = path_key_decode(newname, &to);
	if (r < 0)
		return r;
	if (path_key_create_class(to) == PATH_CREATE_REFUSED)
		return -EACCES;	/* vim's "f~" backup: refused so it writes in place */
	r = route(fs, tenant, &be, &no);
	if (r < 0)
		return r;
	r = authorize(fs, who, tenant, POLICY_WRITE);
	if (r == 0)
		r = authorize(fs, who, tenant, POLICY_DELETE);
	if (r < 0) {
		fs_audit(fs, be, who, "rename", tenant, to, r, NULL, 0, started);
		return r;
	}

	pthread_mutex_lock(&fs->pending_lock);
	p = fs_pending_find(fs, tenant, from, who->uid, false);
	if (p)
		p->refs++;
	pthread_mutex_unlock(&fs->pending_lock);
	if (p) {
		r = rename_pending(fs, p, be, tenant, from, to, flags);
		/* The temporary's content becomes the key's: that is the write. */
		fs_audit(fs, be, who, "upsert", tenant, to, r, NULL, 0, started);
		if (r == 0) {
			fs_forget_pin(fs, no, tenant, to, false);
			local_change(fs, no, PIN_CHANGE_UPSERT, tenant, to);
		}
		pthread_mutex_lock(&fs->pending_lock);
		pending_unref(fs, p);
		pthread_mutex_unlock(&fs->pending_lock);
		return r;
	}

	r = backend_pin_rename(be, tenant, from, to,
			       (flags & FS_RENAME_NOREPLACE) ? BACKEND_RENAME_NOREPLACE : 0);
	fs_audit(fs, be, who, "rename", tenant, to, r, NULL, 0, started);
	if (r == 0) {
		inode_table_rename(fs->nodes, tenant, from, to);
		fs_forget_pin(fs, no, tenant, from, true);
		fs_forget_pin(fs, no, tenant, to, false);
		local_change(fs, no, PIN_CHANGE_DELETE, tenant, from);
		local_change(fs, no, PIN_CHANGE_UPSERT, tenant, to);
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* directories                                                        */

static void dir_clear_page(struct fs_dir *d)
{
	for (size_t i = 0; i < d->n_ents; i++)
		free(d->ents[i].name);
	free(d->ents);
	d->ents = NULL;
	d->n_ents = d->pos = 0;
}

struct collect {
	struct fs *fs;
	struct fs_dir *dir;
	bool prefill;		/* put what the page brings into the cache */
	uint64_t gen;
	const struct pfs_subject *who;
	struct backend *be;
	size_t cap;
	size_t max;		/* max_value_bytes */
	int err;
};

static int add_ent(struct collect *c, const char *name, const struct stat *st)
{
	struct fs_dir *d = c->dir;

	if (d->n_ents == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct dir_entry *ne = realloc(d->ents, cap * sizeof(*ne));

		if (!ne)
			return c->err = -ENOMEM;
		d->ents = ne;
		c->cap = cap;
	}
	d->ents[d->n_ents].name = strdup(name);
	if (!d->ents[d->n_ents].name)
		return c->err = -ENOMEM;
	d->ents[d->n_ents].st = *st;
	d->n_ents++;
	return 0;
}

static int collect_tenant(void *ctx, const char *tenant)
{
	struct collect *c = ctx;
	struct backend *be;
	struct stat st;

	/* Only names this backend really serves, and only those the caller may see. */
	if (path_tenant_validate(tenant) < 0)
		return 0;
	if (route(c->fs, tenant, &be, NULL) < 0 || be != c->be)
		return 0;
	if (authorize(c->fs, c->who, tenant, POLICY_READ) < 0)
		return 0;
	fill_dir_stat(c->fs, tenant_ino(tenant), &st);
	return add_ent(c, tenant, &st);
}

static int cmp_ent(const void *a, const void *b)
{
	return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

/* The root's listing: tenants are few, so it is read whole at opendir. */
static int root_fill(struct fs *fs, const struct pfs_subject *who, struct fs_dir *d)
{
	struct collect c = {.fs = fs, .dir = d, .who = who};
	struct backend **bes;
	struct stat st;
	size_t n, out = 0;
	int r = 0;

	fs_system_dir_stat(fs, &st);
	r = add_ent(&c, ".system", &st);
	if (r < 0)
		return r;

	/* Copy the backends out: listing does I/O, and a reload must not wait for it. */
	pthread_rwlock_rdlock(&fs->routes_lock);
	n = route_table_n_backends(fs->routes);
	bes = calloc(n + 1, sizeof(*bes));
	for (size_t i = 0; bes && i < n; i++)
		bes[i] = route_table_backend(fs->routes, i);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (!bes)
		return -ENOMEM;
	for (size_t i = 0; i < n && r >= 0; i++) {
		c.be = bes[i];
		r = backend_tenant_list(c.be, collect_tenant, &c);
		if (r >= 0 && c.err)
			r = c.err;
	}
	free(bes);
	if (r < 0)
		return r;
	qsort(d->ents, d->n_ents, sizeof(*d->ents), cmp_ent);
	for (size_t i = 0; i < d->n_ents; i++) {
		if (out > 0 && strcmp(d->ents[out - 1].name, d->ents[i].name) == 0) {
			free(d->ents[i].name);
			continue;
		}
		d->ents[out++] = d->ents[i];
	}
	d->n_ents = out;
	d->eof = true;
	return 0;
}

static int add_ent_cb(void *ctx, const char *name, const struct stat *st)
{
	return add_ent(ctx, name, st);
}

/* /.system's listing: fixed names, read whole at opendir. */
static int system_opendir(struct fs *fs, const struct pfs_subject *who, struct fs_dir **ret_dir)
{
	struct fs_dir *d;
	struct collect c = {.fs = fs, .who = who};
	int r = fs_authorize(fs, who, NULL, NULL, NULL);

	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->nodeid = INODE_SYSTEM_DIR;
	c.dir = d;
	r = fs_system_list(fs, who, add_ent_cb, &c);
	if (r < 0) {
		fs_releasedir(fs, d);
		return r;
	}
	d->eof = true;
	*ret_dir = d;
	return 0;
}

static int collect_pin(void *ctx, const char *key, const struct pin *p)
{
	struct collect *c = ctx;
	PFS_AUTOFREE char *name = NULL;
	struct stat st;
	char *last;

	last = strdup(key);
	if (!last)
		return c->err = -ENOMEM;
	free(c->dir->after_key);
	c->dir->after_key = last;
	/* A key no file name can carry (too long once encoded) is not listed. */
	if (path_key_encode(key, &name) < 0 || strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
		return 0;
	memset(&st, 0, sizeof(st));
	st.st_ino = pin_ino(c->dir->backend_no, p->meta.id);
	st.st_mode = S_IFREG | 0644;
	if (c->prefill && (p->value || p->value_len > c->max)) {
		/* ls -l looks up every name next: the page already holds the values. */
		PFS_AUTOFREE char *text = NULL;
		size_t len;
		int r = p->value ? render_pretty(p, c->max, &text, &len) : -EFBIG;

		if (r == 0)
			pin_cache_put(c->fs->cache, c->dir->backend_no, c->gen, c->dir->tenant, key,
				      text, len, &p->meta);
		else if (r == -EFBIG)	/* its lookup need not have it printed again */
			pin_cache_put_too_large(c->fs->cache, c->dir->backend_no, c->gen,
						c->dir->tenant, key, c->max, &p->meta);
	}
	return add_ent(c, name, &st);
}

static int tenant_page(struct fs *fs, struct fs_dir *d)
{
	struct collect c = {.fs = fs, .dir = d, .max = max_value_bytes(fs)};
	int r;

	dir_clear_page(d);
	if (feed_vouches(fs, d->backend_no)) {
		c.prefill = true;
		c.gen = pin_cache_generation(fs->cache, d->backend_no);
	}
	/* Values only to prefill the cache: else none is fetched (max 0). */
	r = backend_pin_list(d->be, d->tenant, d->after_key, DIR_PAGE, c.prefill ? c.max : 0,
			     collect_pin, &c);
	if (c.err)
		return c.err;
	if (r < 0)
		return r;
	if (r < DIR_PAGE)
		d->eof = true;
	return 0;
}

int fs_opendir(struct fs *fs, const struct pfs_subject *who, uint64_t nodeid,
	       struct fs_dir **ret_dir)
{
	struct fs_dir *d;
	char *tenant = NULL;
	int r;

	if (nodeid == INODE_SYSTEM_DIR)
		return system_opendir(fs, who, ret_dir);
	r = resolve_dir(fs, nodeid, &tenant);
	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d) {
		free(tenant);
		return -ENOMEM;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->nodeid = nodeid;
	d->tenant = tenant;
	if (tenant) {
		r = route(fs, tenant, &d->be, &d->backend_no);
		if (r == 0)
			r = authorize(fs, who, tenant, POLICY_READ);
	} else {
		/* Anyone a policy knows may list the root: they see their tenants and .system. */
		r = fs_authorize(fs, who, NULL, NULL, NULL);
		if (r == 0)
			r = root_fill(fs, who, d);
	}
	if (r < 0) {
		fs_releasedir(fs, d);
		return r;
	}
	*ret_dir = d;
	return 0;
}

static void dir_rewind(struct fs_dir *d)
{
	if (d->tenant) {
		dir_clear_page(d);
		free(d->after_key);
		d->after_key = NULL;
		d->eof = false;
	}
	d->pos = 0;
	d->next_off = 2;
}

int fs_readdir(struct fs *fs, struct fs_dir *d, off_t off, fs_dir_filler fill, void *ctx)
{
	struct stat st;
	int r = 0;

	pthread_mutex_lock(&d->lock);
	/* Offsets: 1 after ".", 2 after "..", then one per entry. */
	if (off == 0) {
		dir_rewind(d);
		fill_dir_stat(fs, d->tenant ? tenant_ino(d->tenant) : d->nodeid, &st);
		if (fill(ctx, ".", &st, 1))
			goto out;
		off = 1;
	}
	if (off == 1) {
		fill_dir_stat(fs, INODE_ROOT, &st);
		if (fill(ctx, "..", &st, 2))
			goto out;
		off = 2;
	}
	if (off != d->next_off) {
		/* seekdir() to an older position: list again from the start and skip. */
		dir_rewind(d);
		while (d->next_off < off) {
			if (d->pos == d->n_ents) {
				if (d->eof)
					goto out;
				r = tenant_page(fs, d);
				if (r < 0)
					goto out;
				continue;
			}
			d->pos++;
			d->next_off++;
		}
	}
	for (;;) {
		if (d->pos == d->n_ents) {
			if (d->eof || !d->tenant)
				break;
			r = tenant_page(fs, d);
			if (r < 0)
				goto out;
			if (d->n_ents == 0)
				break;
			continue;
		}
		if (fill(ctx, d->ents[d->pos].name, &d->ents[d->pos].st, d->next_off + 1))
			break;
		d->pos++;
		d->next_off++;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return r;
}

void fs_releasedir(struct fs *fs, struct fs_dir *d)
{
	(void)fs;
	dir_clear_page(d);
	free(d->after_key);
	free(d->tenant);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int fs_statfs(struct fs *fs, struct statvfs *ret)
{
	(void)fs;
	/* Nothing meaningful to count; plausible numbers keep df and editors happy. */
	memset(ret, 0, sizeof(*ret));
	ret->f_bsize = 4096;
	ret->f_frsize = 4096;
	ret->f_blocks = 1ull << 28;
	ret->f_bfree = 1ull << 27;
	ret->f_bavail = 1ull << 27;
	ret->f_files = 1ull << 32;
	ret->f_ffree = 1ull << 31;
	ret->f_favail = 1ull << 31;
	ret->f_namemax = PATH_NAME_MAX;
	return 0;
}
