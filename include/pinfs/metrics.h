/* SPDX-License-Identifier: MIT */
/*
 * Process-wide metrics: counters, gauges and histograms updated with
 * relaxed atomics on the request path (no locks, no allocation), rendered
 * on demand in the Prometheus text exposition format (version 0.0.4) for
 * /.system/metrics. Metric names follow the seed:
 *
 *   memory_pins_operations_total{operation,status}   counter
 *   memory_pins_latency_seconds{operation}           histogram
 *   rbac_decisions_total{resource,action,decision,reason}  counter
 *   rbac_policy_loads_total{status}                  counter
 *   rbac_policy_version_info{version,hash}           gauge (1)
 *   pinfs_backend_up{route}                          gauge (0/1)
 *   pinfs_audit_dropped_total                        counter
 *   pinfs_audit_events_total                         counter
 *   pinfs_fuse_requests_total{op}                    counter
 *   pinfs_cache_requests_total{result}               counter (hit/miss)
 *   pinfs_pool_connections_in_use{route}             gauge
 *   pinfs_pool_waits_total{route}                    counter
 *   pinfs_missing_route_total                        counter
 *   pinfs_limit_refusals_total{limit,scope}          counter
 *   pinfs_limit_in_use{limit}                        gauge
 *   pinfs_commit_conflicts_total                     counter
 *   pinfs_lock_waits_total{result}                   counter
 *   pinfs_lock_conflicts_total                       counter
 *   pinfs_locks_held                                 gauge
 *
 * No metric carries a tenant, key, uid or token subject label, and no
 * label names a backend's address: route="N" is the backend's registration
 * slot (/.system/routes maps it to the address for a "*" scope).
 * Thread-safe.
 */
#ifndef PINFS_METRICS_H
#define PINFS_METRICS_H

#include <stdbool.h>
#include <stddef.h>

enum metrics_op {
	METRICS_OP_READ,
	METRICS_OP_UPSERT,
	METRICS_OP_DELETE,
	METRICS_OP_RENAME,
	METRICS_OP_LIST,
	METRICS_OP_MKDIR,
	METRICS_OP_RMDIR,
	METRICS_OP_XATTR_READ,
	METRICS_OP_XATTR_WRITE,
	METRICS_OP_EXPIRE,
	METRICS__OP_COUNT,
};

enum metrics_fuse_op {
	METRICS_FUSE_LOOKUP,
	METRICS_FUSE_FORGET,
	METRICS_FUSE_GETATTR,
	METRICS_FUSE_SETATTR,
	METRICS_FUSE_ACCESS,
	METRICS_FUSE_OPEN,
	METRICS_FUSE_CREATE,
	METRICS_FUSE_READ,
	METRICS_FUSE_WRITE,
	METRICS_FUSE_FLUSH,
	METRICS_FUSE_FSYNC,
	METRICS_FUSE_RELEASE,
	METRICS_FUSE_UNLINK,
	METRICS_FUSE_MKDIR,
	METRICS_FUSE_RMDIR,
	METRICS_FUSE_RENAME,
	METRICS_FUSE_OPENDIR,
	METRICS_FUSE_READDIR,
	METRICS_FUSE_READDIRPLUS,
	METRICS_FUSE_RELEASEDIR,
	METRICS_FUSE_STATFS,
	METRICS_FUSE_GETXATTR,
	METRICS_FUSE_SETXATTR,
	METRICS_FUSE_LISTXATTR,
	METRICS_FUSE_REMOVEXATTR,
	METRICS_FUSE_GETLK,
	METRICS_FUSE_SETLK,
	METRICS_FUSE_FLOCK,
	METRICS_FUSE_OTHER,
	METRICS__FUSE_COUNT,
};

/* RBAC decision dimensions (fixed sets, so counting never allocates). */
enum metrics_resource {
	METRICS_RES_MEMORY_PIN,
	METRICS_RES_PROMETHEUS,
	METRICS_RES_COSTSIM,
	METRICS_RES_POLICY,
	METRICS__RES_COUNT,
};
enum metrics_action {
	METRICS_ACT_READ,
	METRICS_ACT_WRITE,
	METRICS_ACT_DELETE,
	METRICS_ACT_ADMIN,
	METRICS_ACT_QUERY,
	METRICS_ACT_RELOAD,
	METRICS_ACT_APPROVE,
	METRICS__ACT_COUNT,
};
enum metrics_decision {
	METRICS_DEC_ALLOW,
	METRICS_DEC_DENY,
	METRICS_DEC_WOULD_DENY,	/* shadow mode */
	METRICS__DEC_COUNT,
};
enum metrics_reason {
	METRICS_REASON_ROLE,		/* a bound role grants it */
	METRICS_REASON_OWNER,		/* no policy: the mounting uid or root */
	METRICS_REASON_NO_BINDING,	/* no binding matches the subject */
	METRICS_REASON_NO_PERMISSION,	/* bound, but no role grants the action */
	METRICS_REASON_OUT_OF_SCOPE,	/* the tenant is outside the binding's scope */
	METRICS_REASON_TOKEN,		/* a token's claims decided */
	METRICS__REASON_COUNT,
};

/* The resource bounds of the daemon (pinfs.json(5), LIMITS). */
enum metrics_limit {
	METRICS_LIMIT_OPEN_FILES,	/* max_open_files */
	METRICS_LIMIT_STAGED_BYTES,	/* max_staged_bytes */
	METRICS_LIMIT_PENDING_NAMES,	/* max_pending_names */
	METRICS_LIMIT_SYSTEM_HANDLES,	/* max_system_handles */
	METRICS_LIMIT_POOL,		/* pool.size: backend operations in flight */
	METRICS__LIMIT_COUNT,
};
/* Which bound refused: one subject's (or tenant's) share, or the whole budget. */
enum metrics_limit_scope {
	METRICS_LIMIT_SHARE,
	METRICS_LIMIT_TOTAL,
	METRICS__LIMIT_SCOPE_COUNT,
};

/* How a lock wait ended. */
enum metrics_lock_wait {
	METRICS_LOCK_WAIT_ACQUIRED,
	METRICS_LOCK_WAIT_INTERRUPTED,	/* a signal (flock -w's timeout), or the holder went */
	METRICS_LOCK_WAIT_FAILED,	/* the backend failed */
	METRICS__LOCK_WAIT_COUNT,
};

/* Resets everything to zero (tests) and forgets registered backends. */
void metrics_reset(void);

/* One pin operation finished after seconds; ok: it succeeded. */
void metrics_op_done(enum metrics_op op, bool ok, double seconds);
void metrics_fuse_request(enum metrics_fuse_op op);
void metrics_rbac_decision(enum metrics_resource res, enum metrics_action act,
			   enum metrics_decision dec, enum metrics_reason reason);
void metrics_policy_load(bool ok);
/* Sets rbac_policy_version_info (strings are copied; may be called concurrently). */
void metrics_policy_version(const char *version, const char *hash);
void metrics_audit_event(void);
void metrics_audit_dropped(void);
void metrics_cache(bool hit);
void metrics_missing_route(void);
/* A request refused by a limit (counted once per refusal). */
void metrics_limit_refused(enum metrics_limit limit, enum metrics_limit_scope scope);
/* What a limit's holders hold changed by delta (open files, bytes, names, handles). */
void metrics_limit_in_use(enum metrics_limit limit, long long delta);

/* A conditional commit found the pin at another version. */
void metrics_commit_conflict(void);
/* A lock request waited for another holder, and how that ended. */
void metrics_lock_wait(enum metrics_lock_wait result);
/* A lock request that may not wait was refused: another holder has the pin. */
void metrics_lock_conflict(void);
/* Locks held through this mount: +1 when one is taken, -1 when it goes. */
void metrics_locks_held(int delta);

/*
 * Backends are registered once (at startup or reload) under a display name
 * (a redacted URI); the returned slot number is then used on the request
 * path, and is the backend's route label. At most METRICS_MAX_BACKENDS;
 * beyond that -ENOSPC. Registering an existing name returns its slot.
 */
#define METRICS_MAX_BACKENDS 64
int metrics_backend_register(const char *name);
void metrics_backend_up(int slot, bool up);
void metrics_pool_in_use(int slot, int delta);
void metrics_pool_wait(int slot);

/* Current value of an operation counter (tests, health). */
unsigned long long metrics_op_count(enum metrics_op op, bool ok);
unsigned long long metrics_audit_dropped_count(void);

/*
 * Renders every metric as Prometheus text (HELP and TYPE lines, then
 * samples; histogram buckets cumulative with +Inf, _sum and _count).
 * *ret is new (free()). Never blocks the request path. -ENOMEM.
 */
int metrics_render(char **ret, size_t *ret_len);

/* Names for labels and logs. */
const char *metrics_op_name(enum metrics_op op);

#endif /* PINFS_METRICS_H */
