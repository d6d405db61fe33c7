/* SPDX-License-Identifier: MIT */
/*
 * Process-wide metrics (see metrics.h): fixed arrays of C11 atomics, one
 * per label combination, so counting is a single relaxed atomic add with no
 * lock and no allocation. Label sets are the header's enums, which is why
 * no metric can grow a tenant or key label by accident.
 *
 * Only two things are not fixed-size: backend display names (registered
 * rarely, at startup or reload) and the policy version/hash strings (set on
 * policy load). Both live behind meta_lock, which the request path never
 * takes; metrics_render() takes it briefly to copy them out.
 *
 * Invariants:
 *  - latency buckets are stored non-cumulative, one slot per bound plus
 *    +Inf, and _count is derived from them at render time, so a rendered
 *    histogram always has _count == the +Inf bucket even while writers run;
 *  - latency sums are kept in integer nanoseconds (exact, no float atomics)
 *    and printed as an exact decimal number of seconds;
 *  - a backend slot number, once returned, names the same backend until
 *    metrics_reset(); slots are never reused otherwise.
 *
 * Rendering reads each atomic once (relaxed); it is a consistent snapshot
 * of every single series, not of the registry as a whole, which is all the
 * Prometheus model asks for.
 */
#include "pinfs/metrics.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/macro.h"

/* Bucket upper bounds: in nanoseconds for counting, as text for the "le" label. */
static const uint64_t latency_bounds_ns[] = {
    500000ull,	   1000000ull,	  2500000ull,	 5000000ull,	 10000000ull,
    25000000ull,   50000000ull,	  100000000ull,	 250000000ull,	 500000000ull,
    1000000000ull, 2500000000ull, 5000000000ull, 10000000000ull,
};
static const char *const latency_bounds_text[] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",	 "1",	  "2.5",  "5",	   "10",
};
#define NBOUNDS PFS_ARRAY_SIZE(latency_bounds_ns)

/* Longest observation kept exactly; anything longer (or +Inf) counts as this. */
#define LATENCY_MAX_SECONDS 1e9

static const char *const op_names[METRICS__OP_COUNT] = {
    [METRICS_OP_READ] = "read",
    [METRICS_OP_UPSERT] = "upsert",
    [METRICS_OP_DELETE] = "delete",
    [METRICS_OP_RENAME] = "rename",
    [METRICS_OP_LIST] = "list",
    [METRICS_OP_MKDIR] = "mkdir",
    [METRICS_OP_RMDIR] = "rmdir",
    [METRICS_OP_XATTR_READ] = "xattr_read",
    [METRICS_OP_XATTR_WRITE] = "xattr_write",
    [METRICS_OP_EXPIRE] = "expire",
};

static const char *const fuse_op_names[METRICS__FUSE_COUNT] = {
    [METRICS_FUSE_LOOKUP] = "lookup",	      [METRICS_FUSE_FORGET] = "forget",
    [METRICS_FUSE_GETATTR] = "getattr",	      [METRICS_FUSE_SETATTR] = "setattr",
    [METRICS_FUSE_ACCESS] = "access",	      [METRICS_FUSE_OPEN] = "open",
    [METRICS_FUSE_CREATE] = "create",	      [METRICS_FUSE_READ] = "read",
    [METRICS_FUSE_WRITE] = "write",	      [METRICS_FUSE_FLUSH] = "flush",
    [METRICS_FUSE_FSYNC] = "fsync",	      [METRICS_FUSE_RELEASE] = "release",
    [METRICS_FUSE_UNLINK] = "unlink",	      [METRICS_FUSE_MKDIR] = "mkdir",
    [METRICS_FUSE_RMDIR] = "rmdir",	      [METRICS_FUSE_RENAME] = "rename",
    [METRICS_FUSE_OPENDIR] = "opendir",	      [METRICS_FUSE_READDIR] = "readdir",
    [METRICS_FUSE_READDIRPLUS] = "readdirplus",
    [METRICS_FUSE_RELEASEDIR] = "releasedir", [METRICS_FUSE_STATFS] = "statfs",
    [METRICS_FUSE_GETXATTR] = "getxattr",     [METRICS_FUSE_SETXATTR] = "setxattr",
    [METRICS_FUSE_LISTXATTR] = "listxattr",   [METRICS_FUSE_REMOVEXATTR] = "removexattr",
    [METRICS_FUSE_GETLK] = "getlk",	      [METRICS_FUSE_SETLK] = "setlk",
    [METRICS_FUSE_FLOCK] = "flock",
    [METRICS_FUSE_OTHER] = "other",
};

static const char *const limit_names[METRICS__LIMIT_COUNT] = {
    [METRICS_LIMIT_OPEN_FILES] = "open_files",
    [METRICS_LIMIT_STAGED_BYTES] = "staged_bytes",
    [METRICS_LIMIT_PENDING_NAMES] = "pending_names",
    [METRICS_LIMIT_SYSTEM_HANDLES] = "system_handles",
    [METRICS_LIMIT_POOL] = "pool",
};

static const char *const limit_scope_names[METRICS__LIMIT_SCOPE_COUNT] = {
    [METRICS_LIMIT_SHARE] = "share",
    [METRICS_LIMIT_TOTAL] = "total",
};

static const char *const lock_wait_names[METRICS__LOCK_WAIT_COUNT] = {
    [METRICS_LOCK_WAIT_ACQUIRED] = "acquired",
    [METRICS_LOCK_WAIT_INTERRUPTED] = "interrupted",
    [METRICS_LOCK_WAIT_FAILED] = "failed",
};

static const char *const resource_names[METRICS__RES_COUNT] = {
    [METRICS_RES_MEMORY_PIN] = "memory_pin",
    [METRICS_RES_PROMETHEUS] = "prometheus",
    [METRICS_RES_COSTSIM] = "costsim",
    [METRICS_RES_POLICY] = "policy",
};

static const char *const action_names[METRICS__ACT_COUNT] = {
    [METRICS_ACT_READ] = "read",       [METRICS_ACT_WRITE] = "write",
    [METRICS_ACT_DELETE] = "delete",   [METRICS_ACT_ADMIN] = "admin",
    [METRICS_ACT_QUERY] = "query",     [METRICS_ACT_RELOAD] = "reload",
    [METRICS_ACT_APPROVE] = "approve",
};

static const char *const decision_names[METRICS__DEC_COUNT] = {
    [METRICS_DEC_ALLOW] = "allow",
    [METRICS_DEC_DENY] = "deny",
    [METRICS_DEC_WOULD_DENY] = "would_deny",
};

static const char *const reason_names[METRICS__REASON_COUNT] = {
    [METRICS_REASON_ROLE] = "role",
    [METRICS_REASON_OWNER] = "owner",
    [METRICS_REASON_NO_BINDING] = "no_binding",
    [METRICS_REASON_NO_PERMISSION] = "no_permission",
    [METRICS_REASON_OUT_OF_SCOPE] = "out_of_scope",
    [METRICS_REASON_TOKEN] = "token",
};

/* Request-path state: atomics only. Index [1] of a bool pair is "ok"/"hit"/"success". */
static atomic_ullong op_total[METRICS__OP_COUNT][2];
static atomic_ullong op_latency_bucket[METRICS__OP_COUNT][NBOUNDS + 1]; /* last: +Inf */
static atomic_ullong op_latency_sum_ns[METRICS__OP_COUNT];
static atomic_ullong fuse_total[METRICS__FUSE_COUNT];
static atomic_ullong rbac_total[METRICS__RES_COUNT][METRICS__ACT_COUNT][METRICS__DEC_COUNT]
			       [METRICS__REASON_COUNT];
static atomic_ullong policy_loads_total[2];
static atomic_ullong audit_events_total;
static atomic_ullong audit_dropped_total;
static atomic_ullong cache_total[2];
static atomic_ullong missing_route_total;
static atomic_ullong limit_refusals_total[METRICS__LIMIT_COUNT][METRICS__LIMIT_SCOPE_COUNT];
static atomic_llong limit_in_use[METRICS__LIMIT_COUNT];
static atomic_ullong commit_conflicts_total;
static atomic_ullong lock_waits_total[METRICS__LOCK_WAIT_COUNT];
static atomic_ullong lock_conflicts_total;
static atomic_llong locks_held;

struct backend_slot {
	atomic_int up;
	atomic_llong in_use;
	atomic_ullong waits;
};
static struct backend_slot backends[METRICS_MAX_BACKENDS];
/* Number of registered slots; written under meta_lock, read anywhere. */
static atomic_int backend_count;

/* Rarely written state; never taken on the request path. */
static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static char *backend_names[METRICS_MAX_BACKENDS]; /* protected by meta_lock */
static char *policy_version;			  /* protected by meta_lock; NULL: unset */
static char *policy_hash;			  /* protected by meta_lock */

static void inc(atomic_ullong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static unsigned long long load(atomic_ullong *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void zero(atomic_ullong *c)
{
	atomic_store_explicit(c, 0, memory_order_relaxed);
}

static void zero_array(atomic_ullong *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		zero(&c[i]);
}

static void backend_slot_zero(struct backend_slot *b)
{
	atomic_store_explicit(&b->up, 0, memory_order_relaxed);
	atomic_store_explicit(&b->in_use, 0, memory_order_relaxed);
	zero(&b->waits);
}

void metrics_reset(void)
{
	char *names[METRICS_MAX_BACKENDS];
	char *version, *hash;
	int n;

	/* Multi-dimensional arrays of atomics are contiguous; zero them flat. */
	zero_array(&op_total[0][0], sizeof(op_total) / sizeof(atomic_ullong));
	zero_array(&op_latency_bucket[0][0], sizeof(op_latency_bucket) / sizeof(atomic_ullong));
	zero_array(op_latency_sum_ns, METRICS__OP_COUNT);
	zero_array(fuse_total, METRICS__FUSE_COUNT);
	zero_array(&rbac_total[0][0][0][0], sizeof(rbac_total) / sizeof(atomic_ullong));
	zero_array(policy_loads_total, 2);
	zero(&audit_events_total);
	zero(&audit_dropped_total);
	zero_array(cache_total, 2);
	zero(&missing_route_total);
	zero_array(&limit_refusals_total[0][0],
		   sizeof(limit_refusals_total) / sizeof(atomic_ullong));
	for (size_t i = 0; i < METRICS__LIMIT_COUNT; i++)
		atomic_store_explicit(&limit_in_use[i], 0, memory_order_relaxed);
	zero(&commit_conflicts_total);
	zero_array(lock_waits_total, METRICS__LOCK_WAIT_COUNT);
	zero(&lock_conflicts_total);
	atomic_store_explicit(&locks_held, 0, memory_order_relaxed);

	pthread_mutex_lock(&meta_lock);
	n = atomic_load_explicit(&backend_count, memory_order_relaxed);
	atomic_store_explicit(&backend_count, 0, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		names[i] = backend_names[i];
		backend_names[i] = NULL;
		backend_slot_zero(&backends[i]);
	}
	version = policy_version;
	hash = policy_hash;
	policy_version = policy_hash = NULL;
	pthread_mutex_unlock(&meta_lock);

	for (int i = 0; i < n; i++)
		free(names[i]);
	free(version);
	free(hash);
}

/* Rounded nanoseconds; NaN and negatives count as 0, huge values are capped. */
static uint64_t seconds_to_ns(double seconds)
{
	if (!(seconds > 0))
		return 0;
	if (seconds >= LATENCY_MAX_SECONDS)
		seconds = LATENCY_MAX_SECONDS;
	return (uint64_t)(seconds * 1e9 + 0.5);
}

void metrics_op_done(enum metrics_op op, bool ok, double seconds)
{
	uint64_t ns = seconds_to_ns(seconds);
	size_t b = 0;

	if ((unsigned)op >= METRICS__OP_COUNT)
		return;

	/* 14 bounds: a linear scan is as fast as anything cleverer. */
	while (b < NBOUNDS && ns > latency_bounds_ns[b])
		b++;

	inc(&op_total[op][ok]);
	inc(&op_latency_bucket[op][b]);
	atomic_fetch_add_explicit(&op_latency_sum_ns[op], ns, memory_order_relaxed);
}

void metrics_fuse_request(enum metrics_fuse_op op)
{
	if ((unsigned)op >= METRICS__FUSE_COUNT)
		op = METRICS_FUSE_OTHER;
	inc(&fuse_total[op]);
}

void metrics_rbac_decision(enum metrics_resource res, enum metrics_action act,
			   enum metrics_decision dec, enum metrics_reason reason)
{
	if ((unsigned)res >= METRICS__RES_COUNT || (unsigned)act >= METRICS__ACT_COUNT ||
	    (unsigned)dec >= METRICS__DEC_COUNT || (unsigned)reason >= METRICS__REASON_COUNT)
		return;
	inc(&rbac_total[res][act][dec][reason]);
}

void metrics_policy_load(bool ok)
{
	inc(&policy_loads_total[ok]);
}

void metrics_policy_version(const char *version, const char *hash)
{
	char *v = strdup(version ? version : "");
	char *h = strdup(hash ? hash : "");
	char *old_v, *old_h;

	/*
	 * Out of memory: drop the info sample rather than keep showing the
	 * previous policy's version, which would be a lie.
	 */
	if (!v || !h) {
		free(v);
		free(h);
		v = h = NULL;
	}

	pthread_mutex_lock(&meta_lock);
	old_v = policy_version;
	old_h = policy_hash;
	policy_version = v;
	policy_hash = h;
	pthread_mutex_unlock(&meta_lock);

	free(old_v);
	free(old_h);
}

void metrics_audit_event(void)
{
	inc(&audit_events_total);
}

void metrics_audit_dropped(void)
{
	inc(&audit_dropped_total);
}

void metrics_cache(bool hit)
{
	inc(&cache_total[hit]);
}

void metrics_missing_route(void)
{
	inc(&missing_route_total);
}

void metrics_limit_refused(enum metrics_limit limit, enum metrics_limit_scope scope)
{
	if ((unsigned)limit >= METRICS__LIMIT_COUNT ||
	    (unsigned)scope >= METRICS__LIMIT_SCOPE_COUNT)
		return;
	inc(&limit_refusals_total[limit][scope]);
}

void metrics_limit_in_use(enum metrics_limit limit, long long delta)
{
	if ((unsigned)limit >= METRICS__LIMIT_COUNT)
		return;
	atomic_fetch_add_explicit(&limit_in_use[limit], delta, memory_order_relaxed);
}

void metrics_commit_conflict(void)
{
	inc(&commit_conflicts_total);
}

void metrics_lock_wait(enum metrics_lock_wait result)
{
	if ((unsigned)result < METRICS__LOCK_WAIT_COUNT)
		inc(&lock_waits_total[result]);
}

void metrics_lock_conflict(void)
{
	inc(&lock_conflicts_total);
}

void metrics_locks_held(int delta)
{
	atomic_fetch_add_explicit(&locks_held, delta, memory_order_relaxed);
}

int metrics_backend_register(const char *name)
{
	char *copy;
	int n, r;

	if (!name)
		return -EINVAL;

	pthread_mutex_lock(&meta_lock);
	n = atomic_load_explicit(&backend_count, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		if (strcmp(backend_names[i], name) == 0) {
			r = i;
			goto out;
		}
	}
	if (n >= METRICS_MAX_BACKENDS) {
		r = -ENOSPC;
		goto out;
	}
	copy = strdup(name);
	if (!copy) {
		r = -ENOMEM;
		goto out;
	}
	backend_names[n] = copy;
	backend_slot_zero(&backends[n]);
	atomic_store_explicit(&backend_count, n + 1, memory_order_release);
	r = n;
out:
	pthread_mutex_unlock(&meta_lock);
	return r;
}

/* Slot from the request path; callers may pass a failed registration's -errno. */
static struct backend_slot *backend_slot(int slot)
{
	if (slot < 0 || slot >= atomic_load_explicit(&backend_count, memory_order_relaxed))
		return NULL;
	return &backends[slot];
}

void metrics_backend_up(int slot, bool up)
{
	struct backend_slot *b = backend_slot(slot);

	if (b)
		atomic_store_explicit(&b->up, up, memory_order_relaxed);
}

void metrics_pool_in_use(int slot, int delta)
{
	struct backend_slot *b = backend_slot(slot);

	if (b)
		atomic_fetch_add_explicit(&b->in_use, delta, memory_order_relaxed);
}

void metrics_pool_wait(int slot)
{
	struct backend_slot *b = backend_slot(slot);

	if (b)
		inc(&b->waits);
}

unsigned long long metrics_op_count(enum metrics_op op, bool ok)
{
	if ((unsigned)op >= METRICS__OP_COUNT)
		return 0;
	return load(&op_total[op][ok]);
}

unsigned long long metrics_audit_dropped_count(void)
{
	return load(&audit_dropped_total);
}

const char *metrics_op_name(enum metrics_op op)
{
	if ((unsigned)op >= METRICS__OP_COUNT)
		return "unknown";
	return op_names[op];
}

/* ---- rendering ---------------------------------------------------------- */

/* Growing output buffer; the first failure sticks and is reported at the end. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

static bool buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + more < b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (b->len + more >= cap)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void buf_putn(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

static PFS_PRINTF(2, 3) void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (Go's utf8.ValidString rules), or 0. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte's range excludes overlongs, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * A label value, escaped for the text format (\\, \", \n). Prometheus
 * rejects a whole scrape whose label values are not UTF-8, and backend names
 * come from configuration, so invalid bytes become U+FFFD.
 */
static void buf_put_label_value(struct buf *b, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;

	while (*s) {
		size_t n = utf8_seq_len(s);

		if (n == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			s++;
		} else if (*s == '\\') {
			buf_puts(b, "\\\\");
			s++;
		} else if (*s == '"') {
			buf_puts(b, "\\\"");
			s++;
		} else if (*s == '\n') {
			buf_puts(b, "\\n");
			s++;
		} else {
			buf_putn(b, (const char *)s, n);
			s += n;
		}
	}
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_1(struct buf *b, const char *name, const char *label, const char *value,
		     unsigned long long v)
{
	buf_printf(b, "%s{%s=\"", name, label);
	buf_put_label_value(b, value);
	buf_printf(b, "\"} %llu\n", v);
}

static void render_operations(struct buf *b)
{
	static const char *const status[2] = {"error", "ok"};

	family(b, "memory_pins_operations_total", "counter",
	       "Memory pin operations finished, by operation and status.");
	for (int op = 0; op < METRICS__OP_COUNT; op++)
		for (int ok = 1; ok >= 0; ok--)
			buf_printf(b,
				   "memory_pins_operations_total{operation=\"%s\",status=\"%s\"} "
				   "%llu\n",
				   op_names[op], status[ok], load(&op_total[op][ok]));
}

static void render_latency(struct buf *b)
{
	const char *name = "memory_pins_latency_seconds";

	family(b, name, "histogram", "Latency of memory pin operations in seconds.");
	for (int op = 0; op < METRICS__OP_COUNT; op++) {
		unsigned long long bucket[NBOUNDS + 1], cum = 0;
		unsigned long long sum_ns;

		for (size_t i = 0; i <= NBOUNDS; i++)
			bucket[i] = load(&op_latency_bucket[op][i]);
		sum_ns = load(&op_latency_sum_ns[op]);
		for (size_t i = 0; i <= NBOUNDS; i++)
			cum += bucket[i];
		if (cum == 0)
			continue;

		cum = 0;
		for (size_t i = 0; i < NBOUNDS; i++) {
			cum += bucket[i];
			buf_printf(b, "%s_bucket{operation=\"%s\",le=\"%s\"} %llu\n", name,
				   op_names[op], latency_bounds_text[i], cum);
		}
		cum += bucket[NBOUNDS];
		buf_printf(b, "%s_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n", name, op_names[op],
			   cum);
		buf_printf(b, "%s_sum{operation=\"%s\"} %llu.%09llu\n", name, op_names[op],
			   sum_ns / 1000000000ull, sum_ns % 1000000000ull);
		buf_printf(b, "%s_count{operation=\"%s\"} %llu\n", name, op_names[op], cum);
	}
}

static void render_rbac(struct buf *b)
{
	family(b, "rbac_decisions_total", "counter",
	       "RBAC decisions by resource, action, decision and reason.");
	for (int r = 0; r < METRICS__RES_COUNT; r++)
		for (int a = 0; a < METRICS__ACT_COUNT; a++)
			for (int d = 0; d < METRICS__DEC_COUNT; d++)
				for (int why = 0; why < METRICS__REASON_COUNT; why++) {
					unsigned long long v = load(&rbac_total[r][a][d][why]);

					if (v == 0)
						continue;
					buf_printf(b,
						   "rbac_decisions_total{resource=\"%s\","
						   "action=\"%s\",decision=\"%s\",reason=\"%s\"} "
						   "%llu\n",
						   resource_names[r], action_names[a],
						   decision_names[d], reason_names[why], v);
				}

	family(b, "rbac_policy_loads_total", "counter", "RBAC policy load attempts by status.");
	sample_1(b, "rbac_policy_loads_total", "status", "success", load(&policy_loads_total[1]));
	sample_1(b, "rbac_policy_loads_total", "status", "failure", load(&policy_loads_total[0]));

	family(b, "rbac_policy_version_info", "gauge",
	       "Version and hash of the RBAC policy in effect (always 1).");
	pthread_mutex_lock(&meta_lock);
	if (policy_version) {
		buf_puts(b, "rbac_policy_version_info{version=\"");
		buf_put_label_value(b, policy_version);
		buf_puts(b, "\",hash=\"");
		buf_put_label_value(b, policy_hash);
		buf_puts(b, "\"} 1\n");
	}
	pthread_mutex_unlock(&meta_lock);
}

/*
 * Backends are labelled by slot number (route="0", "1", ...), never by
 * name: a name is an address (host, database, file path), which
 * /.system/routes shows only to a "*" scope, next to each route's label.
 * Rendered under meta_lock: registration waits, the request path does not.
 */
static void render_backends(struct buf *b)
{
	int n;

	pthread_mutex_lock(&meta_lock);
	n = atomic_load_explicit(&backend_count, memory_order_relaxed);

	family(b, "pinfs_backend_up", "gauge",
	       "Whether the backend serving a route is reachable (1) or not (0).");
	for (int i = 0; i < n; i++)
		buf_printf(b, "pinfs_backend_up{route=\"%d\"} %d\n", i,
			   atomic_load_explicit(&backends[i].up, memory_order_relaxed));

	family(b, "pinfs_pool_connections_in_use", "gauge",
	       "Backend pool connections currently in use, by route.");
	for (int i = 0; i < n; i++)
		buf_printf(b, "pinfs_pool_connections_in_use{route=\"%d\"} %lld\n", i,
			   (long long)atomic_load_explicit(&backends[i].in_use,
							   memory_order_relaxed));

	family(b, "pinfs_pool_waits_total", "counter",
	       "Requests that waited for a free backend pool connection, by route.");
	for (int i = 0; i < n; i++)
		buf_printf(b, "pinfs_pool_waits_total{route=\"%d\"} %llu\n", i,
			   load(&backends[i].waits));
	pthread_mutex_unlock(&meta_lock);
}

static void render_daemon(struct buf *b)
{
	family(b, "pinfs_audit_dropped_total", "counter",
	       "Audit events dropped because the audit queue was full.");
	buf_printf(b, "pinfs_audit_dropped_total %llu\n", load(&audit_dropped_total));

	family(b, "pinfs_audit_events_total", "counter", "Audit events queued.");
	buf_printf(b, "pinfs_audit_events_total %llu\n", load(&audit_events_total));

	family(b, "pinfs_fuse_requests_total", "counter", "FUSE requests received, by operation.");
	for (int op = 0; op < METRICS__FUSE_COUNT; op++) {
		unsigned long long v = load(&fuse_total[op]);

		if (v)
			sample_1(b, "pinfs_fuse_requests_total", "op", fuse_op_names[op], v);
	}

	/* Both results always, so a hit ratio is defined from the first scrape. */
	family(b, "pinfs_cache_requests_total", "counter", "Cache lookups, by result.");
	sample_1(b, "pinfs_cache_requests_total", "result", "hit", load(&cache_total[1]));
	sample_1(b, "pinfs_cache_requests_total", "result", "miss", load(&cache_total[0]));

	family(b, "pinfs_missing_route_total", "counter",
	       "Requests for a tenant that no route serves.");
	buf_printf(b, "pinfs_missing_route_total %llu\n", load(&missing_route_total));

	family(b, "pinfs_commit_conflicts_total", "counter",
	       "Conditional commits refused (ESTALE) because the pin was at another version.");
	buf_printf(b, "pinfs_commit_conflicts_total %llu\n", load(&commit_conflicts_total));

	family(b, "pinfs_lock_waits_total", "counter",
	       "Lock requests (flock, fcntl) that waited for another holder, by how the wait ended.");
	for (int i = 0; i < METRICS__LOCK_WAIT_COUNT; i++)
		sample_1(b, "pinfs_lock_waits_total", "result", lock_wait_names[i],
			 load(&lock_waits_total[i]));

	family(b, "pinfs_lock_conflicts_total", "counter",
	       "Lock requests refused at once because another holder has the pin "
	       "(EWOULDBLOCK, EAGAIN).");
	buf_printf(b, "pinfs_lock_conflicts_total %llu\n", load(&lock_conflicts_total));

	family(b, "pinfs_locks_held", "gauge", "Locks held through this mount now.");
	buf_printf(b, "pinfs_locks_held %lld\n",
		   (long long)atomic_load_explicit(&locks_held, memory_order_relaxed));
}

/* Every limit and scope always, so a refusal rate is defined from the first scrape. */
static void render_limits(struct buf *b)
{
	family(b, "pinfs_limit_refusals_total", "counter",
	       "Requests refused by a resource limit, by limit and by whether one subject's "
	       "share or the whole budget was used up.");
	for (int l = 0; l < METRICS__LIMIT_COUNT; l++)
		for (int sc = 0; sc < METRICS__LIMIT_SCOPE_COUNT; sc++)
			buf_printf(b,
				   "pinfs_limit_refusals_total{limit=\"%s\",scope=\"%s\"} "
				   "%llu\n",
				   limit_names[l], limit_scope_names[sc],
				   load(&limit_refusals_total[l][sc]));

	family(b, "pinfs_limit_in_use", "gauge",
	       "What is held now against each resource limit (files, bytes, names, handles, "
	       "backend operations in flight).");
	for (int l = 0; l < METRICS__LIMIT_COUNT; l++)
		buf_printf(b, "pinfs_limit_in_use{limit=\"%s\"} %lld\n", limit_names[l],
			   (long long)atomic_load_explicit(&limit_in_use[l], memory_order_relaxed));
}

int metrics_render(char **ret, size_t *ret_len)
{
	struct buf b = {0};

	/* A populated registry renders to about 10 KiB; start big enough for that. */
	(void)buf_reserve(&b, 16384);

	render_operations(&b);
	render_latency(&b);
	render_rbac(&b);
	render_backends(&b);
	render_daemon(&b);
	render_limits(&b);

	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*ret = b.p;
	if (ret_len)
		*ret_len = b.len;
	return 0;
}
