/* SPDX-License-Identifier: MIT */
/*
 * The storage interface. A backend is one database (a PostgreSQL cluster or
 * an SQLite file) holding the pins of the tenants routed to it. Drivers are
 * sibling files (backend_pg.c, backend_sqlite.c) that fill a
 * struct backend_ops; everything above this header is driver-agnostic.
 *
 * Contract every driver keeps (tests/conformance/backend_conformance.c runs
 * it against both):
 *   - every call is one transaction: it either happens whole or not at all;
 *   - an expired pin (expires_at <= now) is invisible to get and list;
 *   - errors are negative errnos: -ENOENT (no such pin or tenant), -EEXIST,
 *     -ENOTEMPTY, -EINVAL (the database refused the value), -ESTALE (a
 *     conditional write found the pin at another version, or present when
 *     it had to be absent), -EROFS (the database is read-only), -ENOSPC
 *     (the database is full), -EIO (the backend failed or is unreachable,
 *     after the retry budget), -ENOMEM;
 *   - every pin has a version (struct pin_meta.version) that grows with
 *     every committed change of it, by any writer (migrations: a trigger),
 *     and is never given again to the same key, even after a delete: the
 *     larger of the previous version + 1 and the time of the change in
 *     microseconds since the epoch;
 *   - nothing is ever served from memory: there is no cache in a driver;
 *   - all calls are safe from any thread.
 */
#ifndef PINFS_BACKEND_H
#define PINFS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinfs/audit_event.h"
#include "pinfs/error.h"
#include "pinfs/macro.h"

/* Times are microseconds since the Unix epoch, UTC. */
typedef int64_t pfs_usec_t;

#define PIN_SOURCE_MAX 64
#define PIN_TTL_MAX 31536000

/* What a backend knows about a pin besides its value. */
struct pin_meta {
	int64_t id;			/* row id: stable for the pin's lifetime */
	pfs_usec_t created_at;
	pfs_usec_t updated_at;		/* the value's last change (mtime) */
	pfs_usec_t changed_at;		/* the row's last change: value, name, TTL, source (ctime) */
	pfs_usec_t expires_at;		/* 0: no expiry */
	int32_t ttl_seconds;		/* -1: no TTL */
	char source[PIN_SOURCE_MAX];
	int64_t version;		/* grows with every committed change (see above) */
};

/*
 * A pin as read: its stored JSON text (not canonical) and metadata. A read
 * names the longest text it takes (max_value): a longer one is not fetched
 * from the database at all. Then value is NULL and value_len is
 *   - more than max_value: the text's length (or a lower bound of it past
 *     what the database can print: PostgreSQL's 1 GB), or
 *   - 0: not measured (a read with max_value 0, which wants no value and
 *     costs no printing; a listing page with a row PostgreSQL could not
 *     print is delivered this way).
 */
struct pin {
	struct pin_meta meta;
	char *value;			/* owned, NUL-terminated; NULL: not fetched */
	size_t value_len;
};

/* Releases what a struct pin owns (it may be zeroed). */
void pin_done(struct pin *p);

enum pin_ttl_op {
	PIN_TTL_KEEP,	/* keep the current TTL and expiry (new pin: none) */
	PIN_TTL_SET,	/* ttl_seconds = ttl, expires_at = now + ttl */
	PIN_TTL_CLEAR,	/* no TTL, no expiry */
};

/* What an upsert writes. */
struct pin_write {
	const char *value;		/* one JSON document (validated by the caller) */
	size_t value_len;
	const char *source;		/* NULL: keep the current source ("fs" for new pins) */
	enum pin_ttl_op ttl_op;
	int32_t ttl_seconds;		/* with PIN_TTL_SET */
	/*
	 * A conditional write: it happens only if the pin is at expect_version
	 * now (0: only if there is no live pin), checked in the write's own
	 * transaction; otherwise nothing changes and the call is -ESTALE.
	 */
	bool conditional;
	int64_t expect_version;
};

/* A metadata change that leaves the value and updated_at alone (xattrs). */
struct pin_meta_update {
	enum pin_ttl_op ttl_op;
	int32_t ttl_seconds;		/* with PIN_TTL_SET */
	const char *source;		/* NULL: unchanged */
};

/* A change announced by the backend's change feed (every writer, every host). */
enum pin_change_op {
	PIN_CHANGE_UPSERT,
	PIN_CHANGE_DELETE,
	PIN_CHANGE_EXPIRE,
	PIN_CHANGE_RESYNC,	/* the feed (re)connected: changes may have been missed */
	PIN_CHANGE_DOWN,	/* the feed lost its connection */
};

struct pin_change {
	enum pin_change_op op;
	const char *tenant;	/* NULL for RESYNC and DOWN */
	const char *key;	/* "" when too long to announce: any key of tenant */
	bool entry;		/* the tenant's entries changed (a pin appeared, went, moved) */
	int64_t version;	/* the pin's version after an upsert, before a delete; 0: unknown */
};

/* A tenant directory's times. */
struct tenant_times {
	pfs_usec_t created_at;	/* its tenants row's, else its oldest live pin's creation */
	pfs_usec_t changed_at;	/* the last time an entry appeared, went or moved (mtime) */
};

/* Called from the feed's own thread; must not block for long. */
typedef void (*backend_change_cb)(void *ctx, const struct pin_change *c);

/* Called once per expired pin by backend_expire. */
typedef int (*backend_expired_cb)(void *ctx, const char *tenant, const char *key);

/*
 * Called once per pin by backend_pin_list; a non-zero return stops the
 * listing. p and its value are borrowed, valid only during the call. The
 * call runs while the driver holds a pooled connection: it may call the
 * same backend only if pool_size > 1 (a second connection; the per-tenant
 * share does not hold it back: see backend_open).
 */
typedef int (*backend_pin_cb)(void *ctx, const char *key, const struct pin *p);
/* Called once per tenant name by backend_tenant_list; non-zero stops. */
typedef int (*backend_tenant_cb)(void *ctx, const char *tenant);

#define BACKEND_RENAME_NOREPLACE (1u << 0)

/* What sits between the driver and the database (PostgreSQL). */
enum backend_pooler {
	BACKEND_POOLER_NONE,		/* a direct connection: sessions are ours */
	/*
	 * A transaction-pooling proxy (PgBouncer pool_mode = transaction):
	 * consecutive transactions of one client connection may run on
	 * different server sessions, so the driver keeps nothing in a session
	 * (no named prepared statements, no startup "options", no SET, no
	 * LISTEN through it).
	 */
	BACKEND_POOLER_TRANSACTION,
};

/* Tunables shared by the drivers, from the config file. */
struct backend_params {
	unsigned pool_size;		/* connections (PostgreSQL) */
	unsigned pool_wait_ms;		/* deadline for getting a connection */
	unsigned connect_timeout_s;	/* per host */
	unsigned statement_timeout_ms;	/* not applied through a pooler (see above) */
	unsigned retries;		/* extra attempts for retryable failures */
	const char *password_file;	/* optional; never logged */
	enum backend_pooler pooler;	/* PostgreSQL only */
	/*
	 * PostgreSQL only, optional: a direct connection URI for the change
	 * feed's LISTEN (may hold a password: never logged). NULL: the feed
	 * uses the backend URI, or, through a pooler, there is no feed (and
	 * then no cache is ever trusted for this backend).
	 */
	const char *feed_uri;
	const char *route;		/* optional: the route that opened it, for messages */
	unsigned lock_connections;	/* lock holders at once (PostgreSQL: connections) */
};

void backend_params_default(struct backend_params *p);

/*
 * Locks on pins (flock, whole-file fcntl locks), honoured by every client
 * of the backend: every mount on every host for PostgreSQL (session
 * advisory locks, each holder on a connection of its own, never a pooled
 * one, so a holder that waits ties up nothing else and a lock goes with
 * its session: the holder's release, its daemon's death, the connection's
 * loss, a server restart), every process of this host for SQLite (open
 * file description locks on a file next to the database, which go with
 * the descriptor). A lock is named by a 64-bit number (the caller hashes
 * what it locks); a struct backend_lock is one holder.
 */
enum backend_lock_mode { BACKEND_LOCK_NONE, BACKEND_LOCK_SHARED, BACKEND_LOCK_EXCLUSIVE };

struct backend_lock;

struct migration {
	int version;
	const char *name;
	const char *up;
	const char *down;
};

struct backend;

struct backend_ops {
	const char *name;
	int (*open)(const char *uri, const struct backend_params *params, struct backend **ret,
		    struct pfs_error *reterr);
	void (*free)(struct backend *be);

	/* Schema: the highest applied migration (0 when none) and applying one. */
	int (*schema_version)(struct backend *be, int *ret_version);
	/* Applies m up or down: one transaction with its version row. */
	int (*migration_apply)(struct backend *be, const struct migration *m, bool up);

	/* The text is PostgreSQL's jsonb output or SQLite's stored text (see struct pin). */
	int (*pin_get)(struct backend *be, const char *tenant, const char *key, size_t max_value,
		       struct pin *ret);
	/*
	 * -EINVAL for a TTL outside 0..PIN_TTL_MAX or a source of
	 * PIN_SOURCE_MAX bytes or more. Onto an expired row: a new pin
	 * (created_at, source and TTL reset); whether the id is kept is
	 * driver-defined.
	 */
	int (*pin_upsert)(struct backend *be, const char *tenant, const char *key,
			  const struct pin_write *w, struct pin_meta *ret_meta);
	int (*pin_delete)(struct backend *be, const char *tenant, const char *key);
	/*
	 * Moves the live pin at from to to, replacing a pin there; its version
	 * grows past both its own and the replaced pin's. ret_meta (may be
	 * NULL): the moved pin's metadata. Renaming a pin onto itself changes
	 * nothing.
	 */
	int (*pin_rename)(struct backend *be, const char *tenant, const char *from, const char *to,
			  unsigned flags, struct pin_meta *ret_meta);
	/*
	 * Keys > after_key (NULL: from the start) in byte order, at most
	 * limit of them, values as pin_get's with max_value; returns the
	 * number delivered or -errno.
	 */
	int (*pin_list)(struct backend *be, const char *tenant, const char *after_key,
			unsigned limit, size_t max_value, backend_pin_cb cb, void *ctx);

	/* Tenants with a tenants row or a live pin, in byte order, no duplicates. */
	int (*tenant_list)(struct backend *be, backend_tenant_cb cb, void *ctx);
	int (*tenant_exists)(struct backend *be, const char *tenant);
	/*
	 * The times of a tenant that exists (-ENOENT otherwise). A tenant with a
	 * tenants row keeps them there (moved by triggers on the pins table); one
	 * without (pins written by another tool) answers its live pins' oldest
	 * and newest creation.
	 */
	int (*tenant_times)(struct backend *be, const char *tenant, struct tenant_times *ret);
	int (*tenant_create)(struct backend *be, const char *tenant);
	int (*tenant_delete)(struct backend *be, const char *tenant);

	/* A cheap round trip: 0 when the backend answers. */
	int (*ping)(struct backend *be);

	/* Changes TTL and/or source of a live pin; -ENOENT if there is none. */
	int (*pin_set_meta)(struct backend *be, const char *tenant, const char *key,
			    const struct pin_meta_update *u, struct pin_meta *ret_meta);
	/*
	 * Deletes every pin whose expires_at has passed, at most limit of them,
	 * writing one memory_audit row per pin (operation "expire", source and
	 * subject as given) in the same transaction; with dry_run it only
	 * reports them. Calls cb for each. Returns how many, or -errno.
	 */
	int (*expire)(struct backend *be, bool dry_run, unsigned limit, const char *source,
		      backend_expired_cb cb, void *ctx);
	/* Appends audit rows; one transaction for the batch. */
	int (*audit_append)(struct backend *be, const struct audit_event *ev, size_t n);
	int (*rbac_audit_append)(struct backend *be, const struct rbac_event *ev, size_t n);

	/*
	 * The change feed (optional: NULL where the backend has none, as
	 * SQLite, whose only writer is this daemon). feed_start runs cb from a
	 * thread of the driver's own until feed_stop; it reports RESYNC on every
	 * (re)connect and DOWN when the connection is lost. It answers -ENOTSUP
	 * when this backend has no feed (PostgreSQL behind a transaction pooler
	 * with no params->feed_uri); the caller then trusts no cache for it.
	 */
	int (*feed_start)(struct backend *be, backend_change_cb cb, void *ctx);
	void (*feed_stop)(struct backend *be);

	/*
	 * Locks (optional: NULL where the backend has none). lock_new makes a
	 * holder of lock id that holds nothing yet: -ENOLCK past
	 * params->lock_connections holders (or where locks cannot be honoured,
	 * as through a transaction pooler with no "feed" URI), -ENOMEM.
	 */
	int (*lock_new)(struct backend *be, uint64_t id, struct backend_lock **ret);
	/*
	 * Sets what l holds: NONE releases; SHARED or EXCLUSIVE takes the lock
	 * in that mode, giving up the other mode if l had it (as flock(2)
	 * converts). With cancel NULL it does not wait: -EWOULDBLOCK when
	 * another holder is in the way (l keeps what it had). Otherwise it
	 * waits until the lock is granted or *cancel (read atomically) becomes
	 * non-zero: -EINTR (noticed within about 50 ms). -EIO: the backend
	 * failed or could not be reached; l then holds nothing. Blocks only the
	 * calling thread.
	 */
	int (*lock_set)(struct backend_lock *l, enum backend_lock_mode mode, const int *cancel);
	/* Releases what l holds (if the backend is reachable) and frees it. */
	void (*lock_free)(struct backend_lock *l);
};

struct backend_gate;

/* Every driver's object starts with this (zeroed: the driver callocs it). */
struct backend {
	const struct backend_ops *ops;
	char *uri_redacted;		/* for messages: no password */
	const struct migration *migrations;	/* NULL-terminated by version 0 */
	/*
	 * backend.c's, set by backend_open: every call of this backend passes
	 * it, a fair share of the pool per tenant (see backend_open).
	 */
	struct backend_gate *gate;
};

/*
 * Opens the driver that the URI's scheme names: postgresql:// or postgres://
 * (and libpq key=value strings), or sqlite:///path. Returns a new backend,
 * free with backend_free(). Fails with -EINVAL for an unknown scheme or a
 * malformed URI and -EIO when the database cannot be reached; reterr says
 * which.
 *
 * Every call of the backend (the dispatchers below) then shares its
 * params->pool_size connections fairly between tenants: one tenant (calls
 * naming none count as one more) has at most pool_size - 1 calls in flight
 * (1 with a pool of 1), and a free connection goes to the waiting call
 * whose tenant has the fewest in flight. A call that waits longer than
 * pool_wait_ms fails with -EIO. A call made from within a call of the same
 * backend on the same thread (a pin_list callback) is not held back.
 */
int backend_open(const char *uri, const struct backend_params *params, struct backend **ret,
		 struct pfs_error *reterr);
struct backend *backend_free(struct backend *be);
PFS_DEFINE_FREEP(struct backend, backend_free)

/* The newest migration this build knows for be's kind. */
int backend_schema_required(const struct backend *be);

static inline const char *backend_name(const struct backend *be)
{
	return be->uri_redacted;
}

/* Thin dispatchers; see struct backend_ops for what each does. */
int backend_schema_version(struct backend *be, int *ret_version);
int backend_pin_get(struct backend *be, const char *tenant, const char *key, size_t max_value,
		    struct pin *ret);
int backend_pin_upsert(struct backend *be, const char *tenant, const char *key,
		       const struct pin_write *w, struct pin_meta *ret_meta);
int backend_pin_delete(struct backend *be, const char *tenant, const char *key);
int backend_pin_rename(struct backend *be, const char *tenant, const char *from, const char *to,
		       unsigned flags, struct pin_meta *ret_meta);
int backend_pin_list(struct backend *be, const char *tenant, const char *after_key, unsigned limit,
		     size_t max_value, backend_pin_cb cb, void *ctx);
int backend_tenant_list(struct backend *be, backend_tenant_cb cb, void *ctx);
int backend_tenant_exists(struct backend *be, const char *tenant);
int backend_tenant_times(struct backend *be, const char *tenant, struct tenant_times *ret);
int backend_tenant_create(struct backend *be, const char *tenant);
int backend_tenant_delete(struct backend *be, const char *tenant);
int backend_ping(struct backend *be);
int backend_pin_set_meta(struct backend *be, const char *tenant, const char *key,
			 const struct pin_meta_update *u, struct pin_meta *ret_meta);
int backend_expire(struct backend *be, bool dry_run, unsigned limit, const char *source,
		   backend_expired_cb cb, void *ctx);
int backend_audit_append(struct backend *be, const struct audit_event *ev, size_t n);
int backend_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n);
/* -ENOTSUP where the backend has no change feed. */
int backend_feed_start(struct backend *be, backend_change_cb cb, void *ctx);
void backend_feed_stop(struct backend *be);
/* -ENOLCK where the backend has no locks. */
int backend_lock_new(struct backend *be, uint64_t id, struct backend_lock **ret);
int backend_lock_set(struct backend *be, struct backend_lock *l, enum backend_lock_mode mode,
		     const int *cancel);
void backend_lock_free(struct backend *be, struct backend_lock *l);

/* Driver constructors' tables (backend.c picks one by scheme). */
extern const struct backend_ops backend_pg_ops;
extern const struct backend_ops backend_sqlite_ops;

/* Migrations compiled in from migrations/<kind>/ (generated migrations.c). */
extern const struct migration migrations_postgres[];
extern const struct migration migrations_sqlite[];

/* Redacts a password in a URI or conninfo for messages; returns a new string. */
char *backend_uri_redact(const char *uri);

#endif /* PINFS_BACKEND_H */
