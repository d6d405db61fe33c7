/* SPDX-License-Identifier: MIT */
/*
 * PostgreSQL driver (libpq). The only file that includes <libpq-fe.h>.
 *
 * A fixed pool of connections, each made lazily and re-made after a failure
 * with capped exponential backoff; statements are prepared once per
 * connection. Every operation runs on one connection as one transaction
 * (one statement, or BEGIN ... COMMIT), and every error path rolls back and
 * returns the connection, so a failure can never leak one. Waiting for a
 * connection has a deadline. Retryable failures (serialization, deadlock,
 * a lost connection, a demoted primary) are retried up to params->retries
 * times; then the caller gets -EIO.
 *
 * Through a transaction pooler (params->pooler, e.g. PgBouncer in
 * transaction mode) each transaction may run on another server session, so
 * nothing may live in a session: statements run from their text
 * (PQexecParams, never a named prepared statement), connections carry no
 * "options" startup parameter and no SET (the statement and lock timeouts
 * are then the role's or the pooler's), and the change feed LISTENs on the
 * direct connection params->feed_uri, or is off.
 *
 * Locks (flock, fcntl) are session advisory locks, each holder on a
 * connection of its own that never serves the pool (to feed_uri through a
 * pooler), with no statement or lock timeout: a lock lives exactly as long
 * as its holder's session. Versions come from a trigger
 * (migrations/postgres/0004), so the statements here never compute one.
 */
#include "pinfs/backend.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "pinfs/log.h"
#include "pinfs/timeutil.h"

#define LIVE "(expires_at IS NULL OR expires_at > now())"
#define USEC(col) "(extract(epoch from " col ") * 1000000)::int8"
#define PIN_COLS_WITH(value)                                                                       \
	"id, " value ", source, " USEC("created_at") ", " USEC("updated_at") ", "                  \
	"COALESCE(" USEC("expires_at") ", 0), COALESCE(ttl_seconds, -1), " USEC("changed_at")     \
	", version"
/*
 * What a read returns: the value's text only up to a length the caller
 * gives (max), and that length. jsonb can print far more than it stores
 * (1e131071 is 131,072 digits), so the text is measured on the server and a
 * longer one never crosses the wire. TEXT_ONCE makes the server print each
 * row once (OFFSET 0 keeps the subquery from being folded into the
 * expressions that use it).
 */
#define TEXT_ONCE " CROSS JOIN LATERAL (SELECT p.value::text AS t OFFSET 0) v"
#define PIN_COLS_BOUNDED(max)                                                                      \
	PIN_COLS_WITH("CASE WHEN octet_length(v.t) <= " max " THEN v.t END") ", octet_length(v.t)"
/*
 * The same without the value, nothing printed: for a read that wants no
 * value, or after a row's text could not be printed (over 1 GB); the
 * length reported is a parameter (see struct pin).
 */
#define PIN_COLS_NO_VALUE(len) PIN_COLS_WITH("NULL::text") ", " len "::int8"
/* The columns of ST_GET, ST_LIST and their _NO_VALUE forms (the bound is $3, $4). */
#define GET_COLS PIN_COLS_BOUNDED("$3::int8")
#define GET_COLS_NO_VALUE PIN_COLS_NO_VALUE("$3")
#define LIST_COLS PIN_COLS_BOUNDED("$4::int8")
#define LIST_COLS_NO_VALUE PIN_COLS_NO_VALUE("$4")
/* The same columns with an empty value: a write needs its new metadata, not its value back. */
#define META_COLS PIN_COLS_WITH("''")
/* PostgreSQL's longest text (1 GB): the lower bound of a value it could not print. */
#define PG_TEXT_MAX ((size_t)1 << 30)

/* Lock holders' connections kept open for the next holder. */
#define PG_LOCK_IDLE_MAX 8
/* How often a lock wait looks at its cancel flag and its connection (ms). */
#define PG_LOCK_POLL_MS 50

/* Internal marker: the statement may be retried on a fresh attempt. */
#define PG_RETRY (-EAGAIN)
/* Internal marker: a statement or lock timeout: the backend is too slow now. */
#define PG_SLOW (-ETIMEDOUT)
/* Statement and lock timeout while the backend is slow (see op_run). */
#define SLOW_PROBE_MS 250u
/*
 * After handling what arrived, the feed waits this long before looking
 * again, so a burst of changes costs one wake-up per millisecond instead of
 * one per change; a change is still seen within about a millisecond.
 */
#define FEED_COALESCE_NS 1000000L

enum stmt {
	ST_GET,
	ST_GET_NO_VALUE,
	ST_UPSERT,
	ST_UPDATE_IF,
	ST_DELETE,
	ST_LOCK_LIVE,
	ST_EXISTS_LIVE,
	ST_DELETE_ANY,
	ST_MOVE,
	ST_LIST,
	ST_LIST_NO_VALUE,
	ST_TENANT_LIST,
	ST_TENANT_EXISTS,
	ST_TENANT_TIMES,
	ST_TENANT_CREATE,
	ST_TENANT_HAS_LIVE,
	ST_TENANT_PURGE,
	ST_TENANT_DROP,
	ST_SET_META,
	ST_EXPIRE,
	ST_EXPIRE_NO_HASH,
	ST_EXPIRE_DRY,
	ST_RBAC_AUDIT,
	ST__COUNT,
};

#define VALUE_HASH "substr(encode(sha256(convert_to(value::text, 'UTF8')), 'hex'), 1, 16)"
#define EXPIRE_SQL(hash)                                                                           \
	"WITH gone AS ("                                                                           \
	"  DELETE FROM system.memory_pins WHERE id IN ("                                           \
	"    SELECT id FROM system.memory_pins WHERE expires_at <= now()"                          \
	"    ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)"                                 \
	"  RETURNING tenant_id, key, value, version),"                                             \
	" audited AS ("                                                                            \
	"  INSERT INTO system.memory_audit"                                                        \
	"    (operation, tenant_id, key, subject, success, value_sha256, source, version)"         \
	"  SELECT 'expire', tenant_id, key, $2, true, " hash ", $2, version"                       \
	"  FROM gone)"                                                                             \
	" SELECT tenant_id, key FROM gone"

static const struct {
	const char *sql;
	int nparams;
} stmts[ST__COUNT] = {
	[ST_GET] = {"SELECT " GET_COLS " FROM system.memory_pins p" TEXT_ONCE
		    " WHERE tenant_id = $1 AND key = $2 AND " LIVE,
		    3},
	[ST_GET_NO_VALUE] = {"SELECT " GET_COLS_NO_VALUE " FROM system.memory_pins"
			     " WHERE tenant_id = $1 AND key = $2 AND " LIVE,
			     3},
	/*
	 * Upsert. An expired row that the reaper has not deleted yet is dead:
	 * writing its key starts a new pin (created_at, source and TTL reset).
	 * $4 source (NULL keeps), $5 TTL op ('keep', 'set', 'clear'), $6 TTL,
	 * $7 true: only if there is no live pin (no row comes back otherwise).
	 * The version comes from the trigger (migrations/postgres/0004).
	 */
	[ST_UPSERT] = {"WITH t AS (INSERT INTO system.tenants (name) VALUES ($1)"
		       "           ON CONFLICT DO NOTHING)"
		       " INSERT INTO system.memory_pins AS p"
		       "   (tenant_id, key, value, source, ttl_seconds, expires_at)"
		       " VALUES ($1, $2, $3::jsonb, COALESCE($4, 'fs'),"
		       "   CASE WHEN $5 = 'set' THEN $6::int END,"
		       "   CASE WHEN $5 = 'set' THEN now() + make_interval(secs => $6::int) END)"
		       " ON CONFLICT (tenant_id, key) DO UPDATE SET"
		       "   value = EXCLUDED.value,"
		       "   updated_at = now(),"
		       "   source = COALESCE($4, CASE WHEN p.expires_at <= now() THEN 'fs'"
		       "                         ELSE p.source END),"
		       "   created_at = CASE WHEN p.expires_at <= now() THEN now()"
		       "                ELSE p.created_at END,"
		       "   ttl_seconds = CASE WHEN $5 = 'set' THEN $6::int"
		       "                 WHEN $5 = 'clear' OR p.expires_at <= now() THEN NULL"
		       "                 ELSE p.ttl_seconds END,"
		       "   expires_at = CASE WHEN $5 = 'set' THEN now() + make_interval(secs => $6::int)"
		       "                WHEN $5 = 'clear' OR p.expires_at <= now() THEN NULL"
		       "                ELSE p.expires_at END"
		       " WHERE $7::boolean IS NOT TRUE OR p.expires_at <= now()"
		       " RETURNING " META_COLS,
		       7},
	/*
	 * A conditional write onto version $7 of a live pin: the row lock makes
	 * a concurrent writer wait, and the WHERE is evaluated again on the row
	 * it committed, so at most one of two writers at one version succeeds.
	 */
	[ST_UPDATE_IF] = {"UPDATE system.memory_pins AS p SET"
			  "   value = $3::jsonb,"
			  "   updated_at = now(),"
			  "   source = COALESCE($4, p.source),"
			  "   ttl_seconds = CASE WHEN $5 = 'set' THEN $6::int"
			  "                 WHEN $5 = 'clear' THEN NULL ELSE p.ttl_seconds END,"
			  "   expires_at = CASE WHEN $5 = 'set' THEN now() + make_interval(secs => $6::int)"
			  "                WHEN $5 = 'clear' THEN NULL ELSE p.expires_at END"
			  " WHERE tenant_id = $1 AND key = $2 AND " LIVE " AND version = $7::int8"
			  " RETURNING " META_COLS,
			  7},
	[ST_DELETE] = {"DELETE FROM system.memory_pins WHERE tenant_id = $1 AND key = $2"
		       " RETURNING " LIVE,
		       2},
	[ST_LOCK_LIVE] = {"SELECT id FROM system.memory_pins"
			  " WHERE tenant_id = $1 AND key = $2 AND " LIVE " FOR UPDATE",
			  2},
	[ST_EXISTS_LIVE] = {"SELECT 1 FROM system.memory_pins"
			    " WHERE tenant_id = $1 AND key = $2 AND " LIVE,
			    2},
	[ST_DELETE_ANY] = {"DELETE FROM system.memory_pins WHERE tenant_id = $1 AND key = $2"
			   " RETURNING version",
			   2},
	/* $4: the replaced pin's version (0: none); the moved one's grows past it. */
	[ST_MOVE] = {"UPDATE system.memory_pins SET key = $3, version = GREATEST(version, $4::int8 + 1)"
		     " WHERE tenant_id = $1 AND key = $2 RETURNING " META_COLS,
		     4},
	[ST_LIST] = {"SELECT key, " LIST_COLS " FROM system.memory_pins p" TEXT_ONCE
		     " WHERE tenant_id = $1 AND key > $2 AND " LIVE " ORDER BY key LIMIT $3",
		     4},
	[ST_LIST_NO_VALUE] = {"SELECT key, " LIST_COLS_NO_VALUE " FROM system.memory_pins"
			      " WHERE tenant_id = $1 AND key > $2 AND " LIVE
			      " ORDER BY key LIMIT $3",
			      4},
	/* Distinct tenants by a loose index scan, so it costs one probe per tenant. */
	[ST_TENANT_LIST] = {"WITH RECURSIVE t(name) AS ("
			    "  (SELECT tenant_id FROM system.memory_pins WHERE " LIVE
			    "   ORDER BY tenant_id LIMIT 1)"
			    "  UNION ALL"
			    "  SELECT (SELECT tenant_id FROM system.memory_pins"
			    "          WHERE tenant_id > t.name AND " LIVE
			    "          ORDER BY tenant_id LIMIT 1)"
			    "  FROM t WHERE t.name IS NOT NULL)"
			    " SELECT name FROM t WHERE name IS NOT NULL"
			    " UNION SELECT name FROM system.tenants ORDER BY 1",
			    0},
	[ST_TENANT_EXISTS] = {"SELECT EXISTS (SELECT 1 FROM system.tenants WHERE name = $1)"
			      " OR EXISTS (SELECT 1 FROM system.memory_pins"
			      "            WHERE tenant_id = $1 AND " LIVE ")",
			      1},
	/*
	 * The tenants row's times if there is one, else its live pins' (see
	 * backend.h); with a tenants row the NOT EXISTS, an InitPlan, keeps the
	 * aggregate from reading the tenant's pins.
	 */
	[ST_TENANT_TIMES] = {"SELECT 0, " USEC("created_at") ", " USEC("changed_at")
			     " FROM system.tenants WHERE name = $1"
			     " UNION ALL SELECT 1, " USEC("min(created_at)") ", " USEC("max(created_at)")
			     " FROM system.memory_pins"
			     " WHERE NOT EXISTS (SELECT 1 FROM system.tenants WHERE name = $1)"
			     " AND tenant_id = $1 AND " LIVE
			     " HAVING count(*) > 0 ORDER BY 1 LIMIT 1",
			     1},
	[ST_TENANT_CREATE] = {"INSERT INTO system.tenants (name) SELECT $1"
			      " WHERE NOT EXISTS (SELECT 1 FROM system.memory_pins"
			      "                   WHERE tenant_id = $1 AND " LIVE ")"
			      " ON CONFLICT DO NOTHING RETURNING 1",
			      1},
	[ST_TENANT_HAS_LIVE] = {"SELECT 1 FROM system.memory_pins"
				" WHERE tenant_id = $1 AND " LIVE " LIMIT 1 FOR UPDATE",
				1},
	[ST_TENANT_PURGE] = {"DELETE FROM system.memory_pins WHERE tenant_id = $1", 1},
	[ST_TENANT_DROP] = {"DELETE FROM system.tenants WHERE name = $1", 1},
	/* Metadata only: the value and updated_at stay. $3 TTL op, $4 TTL, $5 source. */
	[ST_SET_META] = {"UPDATE system.memory_pins SET"
			 "   ttl_seconds = CASE WHEN $3 = 'set' THEN $4::int"
			 "                 WHEN $3 = 'clear' THEN NULL ELSE ttl_seconds END,"
			 "   expires_at = CASE WHEN $3 = 'set' THEN now() + make_interval(secs => $4::int)"
			 "                WHEN $3 = 'clear' THEN NULL ELSE expires_at END,"
			 "   source = COALESCE($5, source)"
			 " WHERE tenant_id = $1 AND key = $2 AND " LIVE " RETURNING " META_COLS,
			 5},
	/* Expired rows go with one audit row each, in one statement (one transaction). */
	[ST_EXPIRE] = {EXPIRE_SQL(VALUE_HASH), 2},
	/* The same for a batch with a value PostgreSQL cannot print: no hashes. */
	[ST_EXPIRE_NO_HASH] = {EXPIRE_SQL("NULL"), 2},
	[ST_EXPIRE_DRY] = {"SELECT tenant_id, key FROM system.memory_pins"
			   " WHERE expires_at <= now() ORDER BY expires_at LIMIT $1",
			   1},
	[ST_RBAC_AUDIT] = {"INSERT INTO system.rbac_audit (created_at, subject, uid, resource, action,"
			   "   decision, reason, tenant_id, key, policy_version)"
			   " VALUES (to_timestamp($1::float8 / 1e6), NULLIF($2, ''),"
			   "   NULLIF($3::int8, -1), $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''),"
			   "   NULLIF($9, ''), NULLIF($10, ''))",
			   10},
};

static const char *const ttl_op_names[] = {
	[PIN_TTL_KEEP] = "keep", [PIN_TTL_SET] = "set", [PIN_TTL_CLEAR] = "clear"};

struct pg_slot {
	PGconn *conn;		/* NULL until first use or after a failure */
	bool busy;
	int n_prepared;		/* statements 0..n_prepared-1 exist on conn */
};

struct backend_pg {
	struct backend base;
	char *uri;		/* secret: may hold a password */
	struct backend_params params;	/* its strings are NULL: see the copies below */
	char *password_file;
	char *feed_uri;		/* NULL: the feed uses uri (or is off behind a pooler); secret */
	char *feed_redacted;	/* for messages */
	char *route;		/* the route that opened it, for messages (NULL: unnamed) */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pg_slot *slots;	/* protected by lock */
	unsigned n_slots;
	struct timespec retry_at;	/* no new connection before this; protected by lock */
	struct timespec slow_until;	/* fail fast before this (a timeout); protected by lock */
	unsigned backoff_ms;		/* protected by lock */

	/* The change feed: its own connection and thread (LISTEN needs a session). */
	pthread_t feed_thread;
	bool feed_running;
	bool feed_stop;			/* protected by lock */
	pthread_cond_t feed_cond;	/* wakes the feed to stop; not the pool's cond */
	backend_change_cb feed_cb;
	void *feed_ctx;

	/* Lock holders: each on a connection of its own (never one of slots). */
	unsigned lock_holders;		/* protected by lock */
	PGconn *lock_idle[PG_LOCK_IDLE_MAX];	/* connections kept for the next holder; lock */
	unsigned n_lock_idle;		/* protected by lock */
	bool lock_refusal_logged;	/* protected by lock */
};

static struct backend_pg *to_pg(struct backend *be)
{
	return (struct backend_pg *)be;
}

/* One table from SQLSTATE to errno; PG_RETRY for transient conditions. */
static int pg_errno(const PGresult *res, PGconn *conn)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!state || PQstatus(conn) != CONNECTION_OK)
		return PG_RETRY;	/* the connection broke: re-make it and retry */
	if (strcmp(state, "23505") == 0)
		return -EEXIST;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return PG_RETRY;	/* serialization failure, deadlock */
	if (strcmp(state, "25006") == 0)
		return PG_RETRY;	/* read-only: a demoted primary; reconnect finds the new one */
	if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0)
		return PG_SLOW;		/* statement_timeout, lock_timeout */
	if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0)
		return -EINVAL;		/* data exception, check violation */
	if (strcmp(state, "54000") == 0)
		return -EFBIG;		/* program limit: a text or jsonb past 1 GB */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return PG_RETRY;	/* connection exception, admin shutdown */
	return -EIO;
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Server NOTICEs ("schema already exists, skipping") are not the user's business. */
static void notice_to_debug(void *arg, const char *message)
{
	(void)arg;
	pfs_log(LOG_DEBUG, "server notice: %.*s", (int)strcspn(message, "\n"), message);
}

static bool through_pooler(const struct backend_pg *pg)
{
	return pg->params.pooler != BACKEND_POOLER_NONE;
}

/* How a connection's session is set up (pg_connect). */
enum pg_session {
	PG_SESSION_POOLED,	/* through a transaction pooler: no session settings at all */
	PG_SESSION_DIRECT,	/* the statement and lock timeouts of the params */
	PG_SESSION_LOCKS,	/* a lock holder's: it may wait for a lock as long as it takes */
};

/*
 * Connects to uri (named redacted in messages). A direct connection gets
 * the statement and lock timeouts as its session's settings; a connection
 * through a transaction pooler gets none (PgBouncer refuses an "options"
 * startup parameter, and a session setting would not follow the client
 * from one server session to the next anyway); a lock holder's connection
 * (always direct) has no timeouts, since waiting for a lock is its job.
 */
static PGconn *pg_connect(struct backend_pg *pg, const char *uri, const char *redacted,
			  enum pg_session session)
{
	char timeout[16], options[96];
	const char *keys[8], *vals[8];
	int n = 0;
	PGconn *conn;

	snprintf(timeout, sizeof(timeout), "%u", pg->params.connect_timeout_s);
	if (session == PG_SESSION_LOCKS)
		snprintf(options, sizeof(options), "-c statement_timeout=0 -c lock_timeout=0");
	else
		snprintf(options, sizeof(options), "-c statement_timeout=%u -c lock_timeout=%u",
			 pg->params.statement_timeout_ms, pg->params.statement_timeout_ms);
	keys[n] = "connect_timeout", vals[n++] = timeout;
	if (session != PG_SESSION_POOLED)
		keys[n] = "options", vals[n++] = options;
	keys[n] = "application_name", vals[n++] = "pinfs";
	keys[n] = "keepalives_idle", vals[n++] = "10";
	if (pg->password_file)
		keys[n] = "passfile", vals[n++] = pg->password_file;
	/* Last, so what the URI says wins over the defaults above. */
	keys[n] = "dbname", vals[n++] = uri;
	keys[n] = NULL, vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return NULL;
	if (PQstatus(conn) != CONNECTION_OK) {
		char *msg = strdup(PQerrorMessage(conn));

		if (msg) {
			msg[strcspn(msg, "\n")] = '\0';
			pfs_log(LOG_WARNING, "could not connect to \"%s\": %s", redacted, msg);
			free(msg);
		}
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, notice_to_debug, NULL);
	return conn;
}

/*
 * Prepares statements from number `from` on; returns how many are prepared
 * now. A missing table (a schema not migrated yet) stops it: the schema
 * check reports that, and the next use of the connection tries again, so a
 * database migrated while we run is served without a reconnect. Through a
 * transaction pooler it prepares nothing: a named statement would exist on
 * one server session only, and the next transaction may run on another
 * (PgBouncer before 1.21 does not track them).
 */
static int prepare_from(struct backend_pg *pg, PGconn *conn, int from)
{
	int i;

	if (through_pooler(pg))
		return 0;
	for (i = from; i < ST__COUNT; i++) {
		char name[32];
		PGresult *res;
		bool ok;

		snprintf(name, sizeof(name), "pinfs_%d", i);
		res = PQprepare(conn, name, stmts[i].sql, stmts[i].nparams, NULL);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			pfs_log(LOG_DEBUG, "could not prepare statement %d on \"%s\": %s", i,
				pg->base.uri_redacted, PQresultErrorMessage(res));
		PQclear(res);
		if (!ok)
			break;
	}
	return i;
}

/*
 * Takes a free slot, waiting until the pool deadline. Returns its index or
 * -EIO (deadline passed, or the server is in its reconnect backoff).
 */
static int pool_acquire(struct backend_pg *pg)
{
	struct timespec deadline, now;
	int slot = -1;

	clock_gettime(CLOCK_REALTIME, &deadline);
	time_add_ms(&deadline, pg->params.pool_wait_ms);

	pthread_mutex_lock(&pg->lock);
	for (;;) {
		for (unsigned i = 0; i < pg->n_slots; i++) {
			if (!pg->slots[i].busy && pg->slots[i].conn) {
				slot = (int)i;
				break;
			}
		}
		if (slot < 0)
			for (unsigned i = 0; i < pg->n_slots; i++)
				if (!pg->slots[i].busy) {
					slot = (int)i;
					break;
				}
		if (slot >= 0)
			break;
		if (pthread_cond_timedwait(&pg->cond, &pg->lock, &deadline) != 0) {
			pthread_mutex_unlock(&pg->lock);
			pfs_log(LOG_WARNING, "no free connection to \"%s\" within %u ms",
				pg->base.uri_redacted, pg->params.pool_wait_ms);
			return -EIO;
		}
	}
	pg->slots[slot].busy = true;
	if (pg->slots[slot].conn) {
		pthread_mutex_unlock(&pg->lock);
		/* The slot is ours now: finish preparing if the schema arrived since. */
		if (pg->slots[slot].n_prepared < ST__COUNT)
			pg->slots[slot].n_prepared =
				prepare_from(pg, pg->slots[slot].conn, pg->slots[slot].n_prepared);
		return slot;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (timespec_before(&now, &pg->retry_at)) {
		/* Backing off after a failed connect: fail fast, do not hammer the server. */
		pg->slots[slot].busy = false;
		pthread_cond_signal(&pg->cond);
		pthread_mutex_unlock(&pg->lock);
		return -EIO;
	}
	pthread_mutex_unlock(&pg->lock);

	/* Connect outside the lock: it may take connect_timeout seconds. */
	PGconn *conn = pg_connect(pg, pg->uri, pg->base.uri_redacted,
				  through_pooler(pg) ? PG_SESSION_POOLED : PG_SESSION_DIRECT);

	pthread_mutex_lock(&pg->lock);
	if (!conn) {
		pg->backoff_ms = pg->backoff_ms ? pg->backoff_ms * 2 : 100;
		if (pg->backoff_ms > 5000)
			pg->backoff_ms = 5000;
		clock_gettime(CLOCK_REALTIME, &pg->retry_at);
		time_add_ms(&pg->retry_at, pg->backoff_ms);
		pg->slots[slot].busy = false;
		pthread_cond_signal(&pg->cond);
		pthread_mutex_unlock(&pg->lock);
		return -EIO;
	}
	pg->backoff_ms = 0;
	pg->slots[slot].conn = conn;
	pthread_mutex_unlock(&pg->lock);
	pg->slots[slot].n_prepared = prepare_from(pg, conn, 0);
	return slot;
}

/*
 * Returns a slot. A broken connection is dropped so the next user re-makes
 * it, and so are the idle ones: after a server restart they are all dead,
 * and finding that out one retry at a time would fail operations that a
 * fresh connection serves.
 */
static void pool_release(struct backend_pg *pg, int slot, bool broken)
{
	PGconn **drop = calloc(pg->n_slots, sizeof(*drop));
	size_t n = 0;

	pthread_mutex_lock(&pg->lock);
	if (broken || PQstatus(pg->slots[slot].conn) != CONNECTION_OK ||
	    PQtransactionStatus(pg->slots[slot].conn) != PQTRANS_IDLE) {
		broken = true;
		if (drop)
			drop[n++] = pg->slots[slot].conn;
		else
			PQfinish(pg->slots[slot].conn);	/* no memory: do it under the lock */
		pg->slots[slot].conn = NULL;
		pg->slots[slot].n_prepared = 0;
	}
	for (unsigned i = 0; broken && drop && i < pg->n_slots; i++) {
		if (!pg->slots[i].busy && pg->slots[i].conn) {
			drop[n++] = pg->slots[i].conn;
			pg->slots[i].conn = NULL;
			pg->slots[i].n_prepared = 0;
		}
	}
	pg->slots[slot].busy = false;
	pthread_cond_signal(&pg->cond);
	pthread_mutex_unlock(&pg->lock);
	for (size_t i = 0; i < n; i++)
		PQfinish(drop[i]);
	free(drop);
}

/*
 * Runs statement st on slot s: prepared if it is prepared on s's
 * connection, else from its text (through a transaction pooler always: see
 * prepare_from). On success *ret_res owns the result.
 */
static int exec_stmt(const struct pg_slot *s, enum stmt st, const char *const *params,
		     PGresult **ret_res)
{
	char name[16];
	PGresult *res;
	ExecStatusType status;
	int r;

	*ret_res = NULL;
	if ((int)st < s->n_prepared) {
		snprintf(name, sizeof(name), "pinfs_%d", (int)st);
		res = PQexecPrepared(s->conn, name, stmts[st].nparams, params, NULL, NULL, 0);
	} else {
		res = PQexecParams(s->conn, stmts[st].sql, stmts[st].nparams, NULL, params, NULL,
				   NULL, 0);
	}
	status = PQresultStatus(res);
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
		*ret_res = res;
		return 0;
	}
	r = pg_errno(res, s->conn);
	pfs_log(LOG_DEBUG, "statement %d failed: %s", (int)st,
		res ? PQresultErrorMessage(res) : PQerrorMessage(s->conn));
	PQclear(res);
	return r;
}

/* Runs a command without results (BEGIN, COMMIT, ...). */
static int exec_simple(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = pg_errno(res, conn);
		pfs_log(LOG_DEBUG, "\"%s\" failed: %s", sql,
			res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	}
	PQclear(res);
	return r;
}

/* An operation on a pooled connection (s->conn); s is the caller's until it returns. */
typedef int (*pg_op)(const struct pg_slot *s, void *ctx);

/* Whether a statement timed out lately (see pg_run). */
static bool backend_slow(struct backend_pg *pg)
{
	struct timespec now;
	bool slow;

	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&pg->lock);
	slow = timespec_before(&now, &pg->slow_until);
	pthread_mutex_unlock(&pg->lock);
	return slow;
}

/*
 * While the backend is slow (a statement timed out lately), operations run
 * with a short statement and lock timeout: callers queued behind a slow one
 * (the kernel sends one lookup of a directory at a time) then fail in a
 * fraction of a second each instead of a whole statement timeout each, and
 * the first that gets through ends the slow spell. Not through a
 * transaction pooler: there a SET would stick to whichever server session
 * ran it, for another client to inherit (pg_run never starts a slow spell
 * there).
 */
static int op_run(struct backend_pg *pg, const struct pg_slot *s, pg_op op, void *ctx)
{
	PGconn *conn = s->conn;
	char sql[128];
	unsigned probe = pg->params.statement_timeout_ms < SLOW_PROBE_MS
				 ? pg->params.statement_timeout_ms
				 : SLOW_PROBE_MS;
	int r;

	if (through_pooler(pg) || !backend_slow(pg))
		return op(s, ctx);
	snprintf(sql, sizeof(sql), "SET statement_timeout = %u; SET lock_timeout = %u", probe,
		 probe);
	r = exec_simple(conn, sql);
	if (r == 0)
		r = op(s, ctx);
	if (PQtransactionStatus(conn) == PQTRANS_INERROR ||
	    PQtransactionStatus(conn) == PQTRANS_INTRANS)
		(void)exec_simple(conn, "ROLLBACK");
	snprintf(sql, sizeof(sql), "SET statement_timeout = %u; SET lock_timeout = %u",
		 pg->params.statement_timeout_ms, pg->params.statement_timeout_ms);
	if (exec_simple(conn, sql) < 0)
		PQreset(conn);	/* never leave a connection with the short timeouts */
	if (r != PG_SLOW && r != PG_RETRY) {
		pthread_mutex_lock(&pg->lock);
		pg->slow_until = (struct timespec){0};
		pthread_mutex_unlock(&pg->lock);
	}
	return r;
}

/*
 * Runs op on a pooled connection, retrying transient failures on a fresh
 * attempt. Any transaction op left open is rolled back before the
 * connection goes back.
 */
static int pg_run(struct backend_pg *pg, pg_op op, void *ctx)
{
	int r = -EIO;

	for (unsigned attempt = 0; attempt <= pg->params.retries; attempt++) {
		int slot = pool_acquire(pg);
		PGconn *conn;

		if (slot < 0)
			return slot;
		conn = pg->slots[slot].conn;
		r = op_run(pg, &pg->slots[slot], op, ctx);
		if (PQtransactionStatus(conn) == PQTRANS_INERROR ||
		    PQtransactionStatus(conn) == PQTRANS_INTRANS)
			(void)exec_simple(conn, "ROLLBACK");
		pool_release(pg, slot, r == PG_RETRY && PQstatus(conn) != CONNECTION_OK);
		if (r == PG_SLOW && through_pooler(pg)) {
			pfs_log(LOG_WARNING, "a statement on \"%s\" timed out",
				pg->base.uri_redacted);
			return -EIO;
		}
		if (r == PG_SLOW) {
			pthread_mutex_lock(&pg->lock);
			clock_gettime(CLOCK_REALTIME, &pg->slow_until);
			time_add_ms(&pg->slow_until, pg->params.statement_timeout_ms);
			pthread_mutex_unlock(&pg->lock);
			pfs_log(LOG_WARNING,
				"a statement on \"%s\" timed out: short timeouts for the next %u ms",
				pg->base.uri_redacted, pg->params.statement_timeout_ms);
			return -EIO;
		}
		if (r != PG_RETRY)
			return r;
		pfs_log(LOG_INFO, "retrying an operation on \"%s\" (attempt %u)",
			pg->base.uri_redacted, attempt + 2);
	}
	return -EIO;
}

static int64_t int_at(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/*
 * Reads the PIN_COLS_BOUNDED (or _NO_VALUE, or META_COLS) columns starting
 * at col. A NULL value was not fetched: its length is the column after the
 * metadata.
 */
static int pin_from_row(const PGresult *res, int row, int col, struct pin *ret)
{
	const char *v = PQgetvalue(res, row, col + 1);
	size_t len = (size_t)PQgetlength(res, row, col + 1);

	memset(ret, 0, sizeof(*ret));
	if (PQgetisnull(res, row, col + 1)) {
		ret->value_len = (size_t)int_at(res, row, col + 9);	/* after version */
	} else {
		ret->value = malloc(len + 1);
		if (!ret->value)
			return -ENOMEM;
		memcpy(ret->value, v, len);
		ret->value[len] = '\0';
		ret->value_len = len;
	}
	ret->meta.id = int_at(res, row, col);
	snprintf(ret->meta.source, sizeof(ret->meta.source), "%s", PQgetvalue(res, row, col + 2));
	ret->meta.created_at = int_at(res, row, col + 3);
	ret->meta.updated_at = int_at(res, row, col + 4);
	ret->meta.expires_at = int_at(res, row, col + 5);
	ret->meta.ttl_seconds = (int32_t)int_at(res, row, col + 6);
	ret->meta.changed_at = int_at(res, row, col + 7);
	ret->meta.version = int_at(res, row, col + 8);
	return 0;
}

struct op_args {
	const char *tenant, *key, *key2;
	size_t max_value;
	const struct pin_write *w;
	struct pin *pin;
	struct pin_meta *meta;
	struct tenant_times *times;
	unsigned flags, limit;
	backend_pin_cb pin_cb;
	backend_tenant_cb tenant_cb;
	void *cb_ctx;
	const struct migration *mig;
	bool up;
	int version;
};

/* The bound of a read as a statement parameter. */
static void max_param(size_t max_value, char *buf, size_t size)
{
	snprintf(buf, size, "%lld",
		 (long long)(max_value < (size_t)INT64_MAX ? max_value : (size_t)INT64_MAX));
}

static int op_get(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	char max[24];
	const char *p[] = {a->tenant, a->key, max};
	PGresult *res;
	int r;

	max_param(a->max_value, max, sizeof(max));
	if (a->max_value == 0) {
		/* No value wanted: nothing to print, nothing measured (length 0). */
		r = exec_stmt(s, ST_GET_NO_VALUE, p, &res);
	} else {
		r = exec_stmt(s, ST_GET, p, &res);
		/* Measuring the text needs it printed: past 1 GB PostgreSQL cannot (54000). */
		if (r == -EFBIG) {
			max_param(PG_TEXT_MAX, max, sizeof(max));
			r = exec_stmt(s, ST_GET_NO_VALUE, p, &res);
		}
	}
	if (r < 0)
		return r;
	r = PQntuples(res) == 0 ? -ENOENT : pin_from_row(res, 0, 0, a->pin);
	PQclear(res);
	return r;
}

static int pg_pin_get(struct backend *be, const char *tenant, const char *key, size_t max_value,
		      struct pin *ret)
{
	struct op_args a = {.tenant = tenant, .key = key, .pin = ret, .max_value = max_value};

	return pg_run(to_pg(be), op_get, &a);
}

/* Runs st, which returns the pin's META_COLS (or no row: -ENOENT); copies its metadata. */
static int exec_meta(const struct pg_slot *s, enum stmt st, const char *const *p,
		     struct pin_meta *ret_meta)
{
	PGresult *res;
	struct pin pin;
	int r = exec_stmt(s, st, p, &res);

	if (r < 0)
		return r;
	r = PQntuples(res) == 0 ? -ENOENT : pin_from_row(res, 0, 0, &pin);
	PQclear(res);
	if (r < 0)
		return r;
	if (ret_meta)
		*ret_meta = pin.meta;
	pin_done(&pin);
	return 0;
}

static int op_upsert(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const struct pin_write *w = a->w;
	char ttl[16], expect[24];
	PFS_AUTOFREE char *value = strndup(w->value, w->value_len);
	bool update_if = w->conditional && w->expect_version != 0;
	const char *p[] = {a->tenant, a->key, value, w->source, ttl_op_names[w->ttl_op], ttl,
			   !w->conditional ? NULL : update_if ? expect : "true"};
	int r;

	if (!value)
		return -ENOMEM;
	snprintf(ttl, sizeof(ttl), "%d", (int)w->ttl_seconds);
	snprintf(expect, sizeof(expect), "%lld", (long long)w->expect_version);
	r = exec_meta(s, update_if ? ST_UPDATE_IF : ST_UPSERT, p, a->meta);
	/* No row: the pin is at another version, or (only if absent) it is there. */
	return r == -ENOENT && w->conditional ? -ESTALE : r;
}

static int pg_pin_upsert(struct backend *be, const char *tenant, const char *key,
			 const struct pin_write *w, struct pin_meta *ret_meta)
{
	struct op_args a = {.tenant = tenant, .key = key, .w = w, .meta = ret_meta};

	return pg_run(to_pg(be), op_upsert, &a);
}

static int op_delete(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *p[] = {a->tenant, a->key};
	PGresult *res;
	int r = exec_stmt(s, ST_DELETE, p, &res);

	if (r < 0)
		return r;
	/* Deleting an expired row is housekeeping, not a delete the caller made. */
	r = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't' ? 0 : -ENOENT;
	PQclear(res);
	return r;
}

static int pg_pin_delete(struct backend *be, const char *tenant, const char *key)
{
	struct op_args a = {.tenant = tenant, .key = key};

	return pg_run(to_pg(be), op_delete, &a);
}

/* Runs st and returns 1 if it produced a row, 0 if not, or -errno. */
static int exec_has_row(const struct pg_slot *s, enum stmt st, const char *const *p)
{
	PGresult *res;
	int r = exec_stmt(s, st, p, &res);

	if (r < 0)
		return r;
	r = PQntuples(res) > 0;
	PQclear(res);
	return r;
}

static int op_rename(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *src[] = {a->tenant, a->key};
	const char *dst[] = {a->tenant, a->key2};
	char replaced[24];
	const char *move[] = {a->tenant, a->key, a->key2, replaced};
	PGresult *res;
	int r;

	/* Two names change; one transaction, so readers never see both or neither. */
	r = exec_simple(s->conn, "BEGIN");
	if (r < 0)
		return r;
	r = exec_has_row(s, ST_LOCK_LIVE, src);
	if (r <= 0)
		return r < 0 ? r : -ENOENT;
	if (a->flags & BACKEND_RENAME_NOREPLACE) {
		r = exec_has_row(s, ST_EXISTS_LIVE, dst);
		if (r != 0)
			return r < 0 ? r : -EEXIST;
	}
	r = exec_stmt(s, ST_DELETE_ANY, dst, &res);
	if (r < 0)
		return r;
	snprintf(replaced, sizeof(replaced), "%lld",
		 PQntuples(res) > 0 ? (long long)int_at(res, 0, 0) : 0LL);
	PQclear(res);
	/* The source row keeps its id: a renamed file keeps its inode. */
	r = exec_meta(s, ST_MOVE, move, a->meta);
	if (r < 0)
		return r;
	return exec_simple(s->conn, "COMMIT");
}

static int pg_pin_rename(struct backend *be, const char *tenant, const char *from, const char *to,
			 unsigned flags, struct pin_meta *ret_meta)
{
	struct op_args a = {.tenant = tenant, .key = from, .key2 = to, .flags = flags,
			    .meta = ret_meta};

	if (strcmp(from, to) == 0) {
		/* rename(2) of a name onto itself succeeds and changes nothing. */
		struct pin pin = {0};
		int r = pg_pin_get(be, tenant, from, 0, &pin);

		if (r == 0 && ret_meta)
			*ret_meta = pin.meta;
		pin_done(&pin);
		return r;
	}
	return pg_run(to_pg(be), op_rename, &a);
}

static int op_list(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	char limit[16], max[24];
	const char *p[] = {a->tenant, a->key ? a->key : "", limit, max};
	PGresult *res;
	int r, n;

	snprintf(limit, sizeof(limit), "%u", a->limit);
	max_param(a->max_value, max, sizeof(max));
	if (a->max_value == 0) {
		r = exec_stmt(s, ST_LIST_NO_VALUE, p, &res);	/* as in op_get */
	} else {
		r = exec_stmt(s, ST_LIST, p, &res);
		/*
		 * A row PostgreSQL cannot print (see op_get): this page without
		 * values, and since which row it was is unknown, unmeasured (0).
		 */
		if (r == -EFBIG) {
			max_param(0, max, sizeof(max));
			r = exec_stmt(s, ST_LIST_NO_VALUE, p, &res);
		}
	}
	if (r < 0)
		return r;
	n = PQntuples(res);
	r = 0;
	for (int i = 0; i < n; i++) {
		struct pin pin;

		r = pin_from_row(res, i, 1, &pin);
		if (r < 0)
			break;
		r = a->pin_cb(a->cb_ctx, PQgetvalue(res, i, 0), &pin);
		pin_done(&pin);
		if (r != 0) {
			r = i + 1;
			break;
		}
		r = i + 1;
	}
	PQclear(res);
	return r;
}

static int pg_pin_list(struct backend *be, const char *tenant, const char *after_key,
		       unsigned limit, size_t max_value, backend_pin_cb cb, void *ctx)
{
	struct op_args a = {.tenant = tenant,
			    .key = after_key,
			    .limit = limit,
			    .max_value = max_value,
			    .pin_cb = cb,
			    .cb_ctx = ctx};

	return pg_run(to_pg(be), op_list, &a);
}

static int op_tenant_list(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	PGresult *res;
	int r = exec_stmt(s, ST_TENANT_LIST, NULL, &res);

	if (r < 0)
		return r;
	for (r = 0; r < PQntuples(res);)
		if (a->tenant_cb(a->cb_ctx, PQgetvalue(res, r++, 0)) != 0)
			break;
	PQclear(res);
	return r;	/* names delivered */
}

static int pg_tenant_list(struct backend *be, backend_tenant_cb cb, void *ctx)
{
	struct op_args a = {.tenant_cb = cb, .cb_ctx = ctx};

	return pg_run(to_pg(be), op_tenant_list, &a);
}

static int op_tenant_exists(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *p[] = {a->tenant};
	PGresult *res;
	int r = exec_stmt(s, ST_TENANT_EXISTS, p, &res);

	if (r < 0)
		return r;
	r = PQgetvalue(res, 0, 0)[0] == 't' ? 0 : -ENOENT;
	PQclear(res);
	return r;
}

static int pg_tenant_exists(struct backend *be, const char *tenant)
{
	struct op_args a = {.tenant = tenant};

	return pg_run(to_pg(be), op_tenant_exists, &a);
}

static int op_tenant_times(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *p[] = {a->tenant};
	PGresult *res;
	int r = exec_stmt(s, ST_TENANT_TIMES, p, &res);

	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = -ENOENT;
	} else {
		a->times->created_at = int_at(res, 0, 1);
		a->times->changed_at = int_at(res, 0, 2);
	}
	PQclear(res);
	return r;
}

static int pg_tenant_times(struct backend *be, const char *tenant, struct tenant_times *ret)
{
	struct tenant_times t = {0};
	struct op_args a = {.tenant = tenant, .times = &t};
	int r = pg_run(to_pg(be), op_tenant_times, &a);

	if (r == 0)
		*ret = t;
	return r;
}

static int op_tenant_create(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *p[] = {a->tenant};
	int r = exec_has_row(s, ST_TENANT_CREATE, p);

	return r < 0 ? r : (r ? 0 : -EEXIST);
}

static int pg_tenant_create(struct backend *be, const char *tenant)
{
	struct op_args a = {.tenant = tenant};

	return pg_run(to_pg(be), op_tenant_create, &a);
}

static int op_tenant_delete(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	const char *p[] = {a->tenant};
	PGresult *res;
	int r;

	r = exec_simple(s->conn, "BEGIN");
	if (r < 0)
		return r;
	r = op_tenant_exists(s, ctx);
	if (r < 0)
		return r;
	r = exec_has_row(s, ST_TENANT_HAS_LIVE, p);
	if (r != 0)
		return r < 0 ? r : -ENOTEMPTY;
	/* Only expired rows are left: they go with the tenant. */
	r = exec_stmt(s, ST_TENANT_PURGE, p, &res);
	if (r < 0)
		return r;
	PQclear(res);
	r = exec_stmt(s, ST_TENANT_DROP, p, &res);
	if (r < 0)
		return r;
	PQclear(res);
	return exec_simple(s->conn, "COMMIT");
}

static int pg_tenant_delete(struct backend *be, const char *tenant)
{
	struct op_args a = {.tenant = tenant};

	return pg_run(to_pg(be), op_tenant_delete, &a);
}

static int op_ping(const struct pg_slot *s, void *ctx)
{
	(void)ctx;
	return exec_simple(s->conn, "SELECT 1");
}

static int pg_ping(struct backend *be)
{
	return pg_run(to_pg(be), op_ping, NULL);
}

static int op_schema_version(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	PGresult *res;
	int r = 0;

	/* Two steps: a query naming a missing table fails at parse time. */
	res = PQexec(s->conn, "SELECT to_regclass('system.pinfs_schema') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		r = pg_errno(res, s->conn);
		PQclear(res);
		return r;
	}
	a->version = 0;
	if (PQgetvalue(res, 0, 0)[0] != 't') {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = PQexec(s->conn, "SELECT COALESCE(max(version), 0) FROM system.pinfs_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		r = pg_errno(res, s->conn);
	else
		a->version = (int)int_at(res, 0, 0);
	PQclear(res);
	return r;
}

/*
 * The version table is created on demand, so PQexec's plain-text path
 * works on an empty database too.
 */
static int pg_schema_version(struct backend *be, int *ret_version)
{
	struct op_args a = {0};
	int r = pg_run(to_pg(be), op_schema_version, &a);

	if (r < 0)
		return r;
	*ret_version = a.version;
	return 0;
}

static int op_migrate(const struct pg_slot *s, void *ctx)
{
	struct op_args *a = ctx;
	char sql[256];
	int r;

	r = exec_simple(s->conn, "BEGIN");
	if (r < 0)
		return r;
	/* One migrator at a time, whoever else runs pinctl against this database. */
	r = exec_simple(s->conn, "SELECT pg_advisory_xact_lock(7405631)");
	if (r < 0)
		return r;
	r = exec_simple(s->conn, "CREATE SCHEMA IF NOT EXISTS system;"
				 " CREATE TABLE IF NOT EXISTS system.pinfs_schema ("
				 " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
				 " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
	if (r < 0)
		return r;
	r = exec_simple(s->conn, a->up ? a->mig->up : a->mig->down);
	if (r < 0) {
		pfs_log(LOG_ERR, "migration %04d_%s (%s) failed: %s", a->mig->version, a->mig->name,
			a->up ? "up" : "down", PQerrorMessage(s->conn));
		return r == PG_RETRY ? -EIO : r;
	}
	if (a->up)
		snprintf(sql, sizeof(sql),
			 "INSERT INTO system.pinfs_schema (version, name) VALUES (%d, '%s')",
			 a->mig->version, a->mig->name);
	else
		snprintf(sql, sizeof(sql), "DELETE FROM system.pinfs_schema WHERE version = %d",
			 a->mig->version);
	r = exec_simple(s->conn, sql);
	if (r < 0)
		return r;
	return exec_simple(s->conn, "COMMIT");
}

static int pg_migration_apply(struct backend *be, const struct migration *m, bool up)
{
	struct op_args a = {.mig = m, .up = up};
	struct backend_pg *pg = to_pg(be);
	int r;

	r = pg_run(pg, op_migrate, &a);
	if (r < 0)
		return r;
	/* Statements were prepared against the old schema: start afresh. */
	pthread_mutex_lock(&pg->lock);
	for (unsigned i = 0; i < pg->n_slots; i++) {
		if (!pg->slots[i].busy && pg->slots[i].conn) {
			PQfinish(pg->slots[i].conn);
			pg->slots[i].conn = NULL;
			pg->slots[i].n_prepared = 0;
		}
	}
	pthread_mutex_unlock(&pg->lock);
	return 0;
}

struct meta_args {
	const char *tenant, *key;
	const struct pin_meta_update *u;
	struct pin_meta *meta;
};

static int op_set_meta(const struct pg_slot *s, void *ctx)
{
	struct meta_args *a = ctx;
	char ttl[16];
	const char *p[] = {a->tenant, a->key, ttl_op_names[a->u->ttl_op], ttl, a->u->source};

	snprintf(ttl, sizeof(ttl), "%d", (int)a->u->ttl_seconds);
	return exec_meta(s, ST_SET_META, p, a->meta);
}

static int pg_pin_set_meta(struct backend *be, const char *tenant, const char *key,
			   const struct pin_meta_update *u, struct pin_meta *ret_meta)
{
	struct meta_args a = {.tenant = tenant, .key = key, .u = u, .meta = ret_meta};

	return pg_run(to_pg(be), op_set_meta, &a);
}

struct expire_args {
	bool dry_run;
	unsigned limit;
	const char *source;
	backend_expired_cb cb;
	void *ctx;
};

static int op_expire(const struct pg_slot *s, void *ctx)
{
	struct expire_args *a = ctx;
	char limit[16];
	const char *p[] = {limit, a->source};
	PGresult *res;
	int r, n;

	snprintf(limit, sizeof(limit), "%u", a->limit);
	r = exec_stmt(s, a->dry_run ? ST_EXPIRE_DRY : ST_EXPIRE, p, &res);
	/* A value too long to print cannot be hashed: expire the batch unhashed. */
	if (r == -EFBIG && !a->dry_run)
		r = exec_stmt(s, ST_EXPIRE_NO_HASH, p, &res);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; i < n && a->cb; i++)
		if (a->cb(a->ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1)) != 0)
			break;
	PQclear(res);
	return n;
}

static int pg_expire(struct backend *be, bool dry_run, unsigned limit, const char *source,
		     backend_expired_cb cb, void *ctx)
{
	struct expire_args a = {
		.dry_run = dry_run, .limit = limit, .source = source, .cb = cb, .ctx = ctx};

	return pg_run(to_pg(be), op_expire, &a);
}

struct audit_args {
	const struct audit_event *ev;
	const struct rbac_event *rev;
	size_t n;
};

/* Appends s to a COPY text row, escaped; NULL or "" as \N when empty_is_null. */
static void copy_field(FILE *out, const char *s, bool empty_is_null, bool last)
{
	if (!s || (empty_is_null && !s[0])) {
		fputs("\\N", out);
	} else {
		for (const char *p = s; *p;) {
			size_t run = strcspn(p, "\\\t\n\r");

			fwrite(p, 1, run, out);
			p += run;
			switch (*p) {
			case '\\': fputs("\\\\", out); break;
			case '\t': fputs("\\t", out); break;
			case '\n': fputs("\\n", out); break;
			case '\r': fputs("\\r", out); break;
			default: continue;	/* the end */
			}
			p++;
		}
	}
	fputc(last ? '\n' : '\t', out);
}

/*
 * Audit events go in with one COPY: a busy mount makes tens of thousands a
 * second, more than row-by-row INSERTs keep up with.
 */
static int copy_audit(PGconn *conn, const struct audit_event *ev, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	PGresult *res;
	int r = 0;

	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct audit_event *e = &ev[i];
		char t[48], num[32];
		time_t secs = (time_t)(e->time_us / 1000000);
		struct tm tm;

		gmtime_r(&secs, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%06ld+00",
			 (long)(e->time_us % 1000000));
		copy_field(out, t, false, false);
		copy_field(out, e->operation, false, false);
		copy_field(out, e->tenant, true, false);
		copy_field(out, e->key, true, false);
		snprintf(num, sizeof(num), "%lld", (long long)e->uid);
		copy_field(out, e->uid < 0 ? NULL : num, false, false);
		copy_field(out, e->subject, true, false);
		copy_field(out, e->success ? "t" : "f", false, false);
		copy_field(out, e->error_code, true, false);
		snprintf(num, sizeof(num), "%.3f", e->latency_ms);
		copy_field(out, num, false, false);
		copy_field(out, e->value_sha256, true, false);
		snprintf(num, sizeof(num), "%lld", (long long)e->version);
		copy_field(out, e->version ? num : NULL, false, true);
	}
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	res = PQexec(conn, "COPY system.memory_audit (created_at, operation, tenant_id, key, uid,"
			   " subject, success, error_code, latency_ms, value_sha256, version)"
			   " FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = pg_errno(res, conn);
		PQclear(res);
		free(buf);
		return r;
	}
	PQclear(res);
	if (PQputCopyData(conn, buf, (int)len) != 1 || PQputCopyEnd(conn, NULL) != 1)
		r = PG_RETRY;
	free(buf);
	while ((res = PQgetResult(conn)) != NULL) {
		if (r == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			r = pg_errno(res, conn);
		PQclear(res);
	}
	return r;
}

static int op_audit(const struct pg_slot *s, void *ctx)
{
	struct audit_args *a = ctx;
	int r;

	if (a->ev)
		return a->n ? copy_audit(s->conn, a->ev, a->n) : 0;
	r = exec_simple(s->conn, "BEGIN");
	for (size_t i = 0; r == 0 && i < a->n; i++) {
		const struct rbac_event *e = &a->rev[i];
		char t[32], uid[32];
		const char *p[] = {t, e->subject, uid, e->resource, e->action, e->decision,
				   e->reason, e->tenant, e->key, e->policy_version};
		PGresult *res;

		snprintf(t, sizeof(t), "%lld", (long long)e->time_us);
		snprintf(uid, sizeof(uid), "%lld", (long long)e->uid);
		r = exec_stmt(s, ST_RBAC_AUDIT, p, &res);
		if (r == 0)
			PQclear(res);
	}
	return r < 0 ? r : exec_simple(s->conn, "COMMIT");
}

static int pg_audit_append(struct backend *be, const struct audit_event *ev, size_t n)
{
	struct audit_args a = {.ev = ev, .n = n};

	return pg_run(to_pg(be), op_audit, &a);
}

static int pg_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n)
{
	struct audit_args a = {.rev = ev, .n = n};

	return pg_run(to_pg(be), op_audit, &a);
}

/* ------------------------------------------------------------------ */
/* change feed                                                        */

#define FEED_CHANNEL "pinfs_changes"

/*
 * Parses "OP:VERSION:TENANT_LEN:TENANTKEY" (schema 4, OP in upper case) or
 * schema 2 and 3's "op:TENANT_LEN:TENANTKEY" (see migrations/postgres/).
 */
static bool parse_payload(const char *payload, struct pin_change *c, char *tenant, size_t tcap)
{
	const char *p = payload + 2;
	char *end;
	unsigned long tlen;

	*c = (struct pin_change){.op = PIN_CHANGE_UPSERT};
	switch (payload[0]) {
	case 'u':
	case 'U':
		break;
	case 'i':	/* schema 3: a new entry (an insert, or a rename's target) */
	case 'I':
		c->entry = true;
		break;
	case 'd':
	case 'D':
		c->op = PIN_CHANGE_DELETE;
		c->entry = true;
		break;
	case 'e':
	case 'E':
		c->op = PIN_CHANGE_EXPIRE;
		c->entry = true;
		break;
	default:
		return false;
	}
	if (payload[1] != ':')
		return false;
	if (payload[0] >= 'A' && payload[0] <= 'Z') {
		long long v = strtoll(p, &end, 10);

		if (end == p || *end != ':' || v < 0)
			return false;
		c->version = v;
		p = end + 1;
	}
	tlen = strtoul(p, &end, 10);
	if (*end != ':' || tlen >= tcap || strlen(end + 1) < tlen)
		return false;
	memcpy(tenant, end + 1, tlen);
	tenant[tlen] = '\0';
	c->tenant = tenant;
	c->key = end + 1 + tlen;
	return true;
}

static bool feed_should_stop(struct backend_pg *pg, unsigned wait_ms)
{
	struct timespec until;
	bool stop;

	pthread_mutex_lock(&pg->lock);
	if (wait_ms && !pg->feed_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		time_add_ms(&until, wait_ms);
		pthread_cond_timedwait(&pg->feed_cond, &pg->lock, &until);
	}
	stop = pg->feed_stop;
	pthread_mutex_unlock(&pg->lock);
	return stop;
}

static void feed_emit(struct backend_pg *pg, enum pin_change_op op)
{
	struct pin_change c = {.op = op};

	pg->feed_cb(pg->feed_ctx, &c);
}

/*
 * LISTENs on its own connection (to feed_uri when there is one); after
 * every (re)connect it reports RESYNC (notifications sent while
 * disconnected are lost, so whatever was cached must go), and DOWN as soon
 * as the connection is lost.
 */
static void *feed_main(void *arg)
{
	struct backend_pg *pg = arg;
	const char *uri = pg->feed_uri ? pg->feed_uri : pg->uri;
	const char *redacted = pg->feed_uri ? pg->feed_redacted : pg->base.uri_redacted;
	unsigned backoff = 0;
	PGconn *conn = NULL;

	while (!feed_should_stop(pg, backoff)) {
		struct pollfd pfd;
		PGnotify *n;

		if (!conn) {
			PGresult *res;

			/* Never through a pooler: pg_feed_start made sure of that. */
			conn = pg_connect(pg, uri, redacted, PG_SESSION_DIRECT);
			if (conn) {
				res = PQexec(conn, "LISTEN " FEED_CHANNEL);
				if (PQresultStatus(res) != PGRES_COMMAND_OK) {
					PQfinish(conn);
					conn = NULL;
				}
				PQclear(res);
			}
			if (!conn) {
				backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 100;
				continue;
			}
			backoff = 0;
			if (pg->feed_uri)
				pfs_log(LOG_INFO, "change feed of \"%s\" connected to \"%s\"",
					pg->base.uri_redacted, redacted);
			else
				pfs_log(LOG_INFO, "change feed of \"%s\" connected",
					pg->base.uri_redacted);
			feed_emit(pg, PIN_CHANGE_RESYNC);
		}
		pfd.fd = PQsocket(conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		/* Wake up now and then to notice feed_stop. */
		if (poll(&pfd, 1, 250) < 0 && errno != EINTR)
			pfd.revents = POLLERR;
		if (pfd.revents && !PQconsumeInput(conn)) {
			pfs_log(LOG_WARNING, "change feed of \"%s\" lost its connection",
				pg->base.uri_redacted);
			PQfinish(conn);
			conn = NULL;
			feed_emit(pg, PIN_CHANGE_DOWN);
			backoff = 100;
			continue;
		}
		bool any = false;

		while ((n = PQnotifies(conn)) != NULL) {
			struct pin_change c;
			char tenant[256];

			if (parse_payload(n->extra, &c, tenant, sizeof(tenant)))
				pg->feed_cb(pg->feed_ctx, &c);
			PQfreemem(n);
			any = true;
		}
		if (any)
			nanosleep(&(struct timespec){.tv_nsec = FEED_COALESCE_NS}, NULL);
	}
	if (conn)
		PQfinish(conn);
	return NULL;
}

static int pg_feed_start(struct backend *be, backend_change_cb cb, void *ctx)
{
	struct backend_pg *pg = to_pg(be);

	if (pg->feed_running)
		return -EALREADY;
	if (through_pooler(pg) && !pg->feed_uri) {
		/*
		 * LISTEN through a transaction pooler would sit on whichever server
		 * session ran it, hearing nothing for us. No feed: the caller trusts
		 * no cache for this backend, so every read goes to the database.
		 */
		pfs_log(LOG_WARNING,
			"%s%s%s\"%s\" is reached through a transaction pooler and has no \"feed\": "
			"no change feed, so caches are off for it",
			pg->route ? "route \"" : "", pg->route ? pg->route : "",
			pg->route ? "\": " : "", pg->base.uri_redacted);
		return -ENOTSUP;
	}
	pg->feed_cb = cb;
	pg->feed_ctx = ctx;
	pg->feed_stop = false;
	if (pthread_create(&pg->feed_thread, NULL, feed_main, pg) != 0)
		return -EAGAIN;
	pg->feed_running = true;
	return 0;
}

static void pg_feed_stop(struct backend *be)
{
	struct backend_pg *pg = to_pg(be);

	if (!pg->feed_running)
		return;
	pthread_mutex_lock(&pg->lock);
	pg->feed_stop = true;
	pthread_cond_broadcast(&pg->feed_cond);
	pthread_mutex_unlock(&pg->lock);
	pthread_join(pg->feed_thread, NULL);
	pg->feed_running = false;
}

/* ------------------------------------------------------------------ */
/* locks                                                              */

struct backend_lock {
	struct backend_pg *pg;
	PGconn *conn;		/* NULL until the first lock, or after a lost connection */
	int64_t id;
	enum backend_lock_mode mode;
};

/*
 * Pins' locks are the two-int4 kind of advisory lock, a key space of its
 * own: they never meet the single-int8 lock the migrations take.
 */
static const char *const lock_sql_try[] = {
	[BACKEND_LOCK_SHARED] = "SELECT pg_try_advisory_lock_shared($1::int4, $2::int4)",
	[BACKEND_LOCK_EXCLUSIVE] = "SELECT pg_try_advisory_lock($1::int4, $2::int4)",
};
static const char *const lock_sql_wait[] = {
	[BACKEND_LOCK_SHARED] = "SELECT pg_advisory_lock_shared($1::int4, $2::int4)",
	[BACKEND_LOCK_EXCLUSIVE] = "SELECT pg_advisory_lock($1::int4, $2::int4)",
};
static const char *const lock_sql_release[] = {
	[BACKEND_LOCK_SHARED] = "SELECT pg_advisory_unlock_shared($1::int4, $2::int4)",
	[BACKEND_LOCK_EXCLUSIVE] = "SELECT pg_advisory_unlock($1::int4, $2::int4)",
};

static int pg_lock_new(struct backend *be, uint64_t id, struct backend_lock **ret)
{
	struct backend_pg *pg = to_pg(be);
	struct backend_lock *l;
	bool full, no_uri = through_pooler(pg) && !pg->feed_uri;

	pthread_mutex_lock(&pg->lock);
	full = no_uri || pg->lock_holders >= pg->params.lock_connections;
	if (!full)
		pg->lock_holders++;
	if (no_uri && !pg->lock_refusal_logged) {
		pg->lock_refusal_logged = true;
		/* A session lock through a transaction pooler would sit on some server session. */
		pfs_log(LOG_WARNING,
			"%s%s%s\"%s\" is reached through a transaction pooler and has no \"feed\": "
			"locks on its pins are refused (ENOLCK)",
			pg->route ? "route \"" : "", pg->route ? pg->route : "",
			pg->route ? "\": " : "", pg->base.uri_redacted);
	}
	pthread_mutex_unlock(&pg->lock);
	if (full) {
		if (!no_uri)
			pfs_log(LOG_DEBUG, "\"%s\": %u lock holders already (pool.lock_connections)",
				pg->base.uri_redacted, pg->params.lock_connections);
		return -ENOLCK;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		pthread_mutex_lock(&pg->lock);
		pg->lock_holders--;
		pthread_mutex_unlock(&pg->lock);
		return -ENOMEM;
	}
	l->pg = pg;
	l->id = (int64_t)id;
	*ret = l;
	return 0;
}

/* Gives l a connection: one kept from an earlier holder, or a new one. */
static int lock_connect(struct backend_lock *l)
{
	struct backend_pg *pg = l->pg;
	const char *uri = pg->feed_uri ? pg->feed_uri : pg->uri;
	const char *redacted = pg->feed_uri ? pg->feed_redacted : pg->base.uri_redacted;

	if (l->conn && PQstatus(l->conn) == CONNECTION_OK)
		return 0;
	if (l->conn)
		PQfinish(l->conn);
	l->conn = NULL;
	pthread_mutex_lock(&pg->lock);
	while (pg->n_lock_idle > 0 && !l->conn) {
		l->conn = pg->lock_idle[--pg->n_lock_idle];
		if (PQstatus(l->conn) != CONNECTION_OK) {
			PQfinish(l->conn);
			l->conn = NULL;
		}
	}
	pthread_mutex_unlock(&pg->lock);
	if (!l->conn)
		l->conn = pg_connect(pg, uri, redacted, PG_SESSION_LOCKS);
	return l->conn ? 0 : -EIO;
}

/* The lock's key as the two int4 of the advisory lock functions. */
static void lock_params(const struct backend_lock *l, char hi[16], char lo[16])
{
	snprintf(hi, 16, "%d", (int)(int32_t)(uint32_t)((uint64_t)l->id >> 32));
	snprintf(lo, 16, "%d", (int)(int32_t)(uint32_t)((uint64_t)l->id & 0xffffffffu));
}

/* Runs one of the lock functions on l's connection: 1 true, 0 false, -EIO. */
static int lock_call(struct backend_lock *l, const char *sql)
{
	char hi[16], lo[16];
	const char *p[] = {hi, lo};
	PGresult *res;
	int r;

	lock_params(l, hi, lo);
	res = PQexecParams(l->conn, sql, 2, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		r = PQgetvalue(res, 0, 0)[0] == 't';
	} else {
		pfs_log(LOG_DEBUG, "lock call on \"%s\" failed: %s", l->pg->base.uri_redacted,
			PQerrorMessage(l->conn));
		r = -EIO;
	}
	PQclear(res);
	return r;
}

/* The connection went wrong: what it held went with its session. */
static void lock_lost(struct backend_lock *l)
{
	if (l->conn)
		PQfinish(l->conn);
	l->conn = NULL;
	l->mode = BACKEND_LOCK_NONE;
}

/*
 * Waits on the server for mode, looking every PG_LOCK_POLL_MS at *cancel
 * (then asks the server to cancel the wait) and at the connection.
 * Returns 0 when granted (also when granted as the cancel went out),
 * -EINTR once cancelled, -EIO.
 */
static int lock_wait(struct backend_lock *l, enum backend_lock_mode mode, const int *cancel)
{
	char hi[16], lo[16];
	const char *p[] = {hi, lo};
	bool cancel_sent = false;
	PGresult *res;
	int r = -EIO;

	lock_params(l, hi, lo);
	if (!PQsendQueryParams(l->conn, lock_sql_wait[mode], 2, NULL, p, NULL, NULL, 0))
		return -EIO;
	for (;;) {
		struct pollfd pfd = {.fd = PQsocket(l->conn), .events = POLLIN};

		if (!PQconsumeInput(l->conn))
			return -EIO;
		if (!PQisBusy(l->conn))
			break;
		if (!cancel_sent && __atomic_load_n(cancel, __ATOMIC_ACQUIRE)) {
			char err[256];
			PGcancel *pc = PQgetCancel(l->conn);

			if (!pc || !PQcancel(pc, err, sizeof(err)))
				pfs_log(LOG_DEBUG, "could not cancel a lock wait on \"%s\": %s",
					l->pg->base.uri_redacted, pc ? err : "out of memory");
			PQfreeCancel(pc);
			cancel_sent = true;
		}
		if (poll(&pfd, 1, PG_LOCK_POLL_MS) < 0 && errno != EINTR)
			return -EIO;
	}
	while ((res = PQgetResult(l->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK) {
			r = 0;
		} else {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			r = state && strcmp(state, "57014") == 0 ? -EINTR : -EIO;
			if (r == -EIO)
				pfs_log(LOG_DEBUG, "lock wait on \"%s\" failed: %s",
					l->pg->base.uri_redacted, PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	return r;
}

static int pg_lock_set(struct backend_lock *l, enum backend_lock_mode mode, const int *cancel)
{
	int r;

	if (mode == l->mode)
		return 0;
	/* A conversion lets go first, as flock(2) does: two upgraders cannot deadlock. */
	if (l->mode != BACKEND_LOCK_NONE) {
		if (lock_call(l, lock_sql_release[l->mode]) < 0)
			lock_lost(l);
		l->mode = BACKEND_LOCK_NONE;
	}
	if (mode == BACKEND_LOCK_NONE)
		return 0;
	r = lock_connect(l);
	if (r < 0)
		return r;
	r = lock_call(l, lock_sql_try[mode]);
	if (r == -EIO) {
		/* A kept connection may have died with a server restart: once more, afresh. */
		lock_lost(l);
		r = lock_connect(l);
		if (r == 0)
			r = lock_call(l, lock_sql_try[mode]);
	}
	if (r == 0)
		r = cancel ? lock_wait(l, mode, cancel) : -EWOULDBLOCK;
	else if (r == 1)
		r = 0;
	if (r == 0)
		l->mode = mode;
	else if (r == -EIO)
		lock_lost(l);
	return r;
}

static void pg_lock_free(struct backend_lock *l)
{
	struct backend_pg *pg;
	bool keep;

	if (!l)
		return;
	pg = l->pg;
	/* The connection may serve another holder once it holds nothing. */
	keep = l->conn && PQstatus(l->conn) == CONNECTION_OK &&
	       PQtransactionStatus(l->conn) == PQTRANS_IDLE;
	if (keep && l->mode != BACKEND_LOCK_NONE)
		keep = lock_call(l, lock_sql_release[l->mode]) == 1;
	pthread_mutex_lock(&pg->lock);
	pg->lock_holders--;
	if (keep && pg->n_lock_idle < PG_LOCK_IDLE_MAX) {
		pg->lock_idle[pg->n_lock_idle++] = l->conn;
		l->conn = NULL;
	}
	pthread_mutex_unlock(&pg->lock);
	if (l->conn)
		PQfinish(l->conn);	/* its session ends: whatever it held goes */
	free(l);
}

static void pg_free(struct backend *be)
{
	struct backend_pg *pg = to_pg(be);

	pg_feed_stop(be);
	for (unsigned i = 0; i < pg->n_lock_idle; i++)
		PQfinish(pg->lock_idle[i]);
	for (unsigned i = 0; i < pg->n_slots; i++)
		if (pg->slots[i].conn)
			PQfinish(pg->slots[i].conn);
	free(pg->slots);
	pthread_mutex_destroy(&pg->lock);
	pthread_cond_destroy(&pg->cond);
	pthread_cond_destroy(&pg->feed_cond);
	if (pg->uri) {
		explicit_bzero(pg->uri, strlen(pg->uri));
		free(pg->uri);
	}
	if (pg->feed_uri) {
		explicit_bzero(pg->feed_uri, strlen(pg->feed_uri));
		free(pg->feed_uri);
	}
	free(pg->feed_redacted);
	free(pg->route);
	free(pg->password_file);
	free(pg->base.uri_redacted);
	free(pg);
}

/* Rejects a malformed URI now, with libpq's own words; what names it in the message. */
static int check_uri(const char *uri, const char *what, struct pfs_error *reterr)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(uri, &err);
	int r;

	if (opts) {
		PQconninfoFree(opts);
		return 0;
	}
	r = pfs_error_set(reterr, -EINVAL, 0, "invalid PostgreSQL URI%s: %s", what,
			  err ? err : "out of memory");
	PQfreemem(err);
	return r;
}

static char *strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int pg_open(const char *uri, const struct backend_params *params, struct backend **ret,
		   struct pfs_error *reterr)
{
	struct backend_pg *pg;
	int r;

	r = check_uri(uri, "", reterr);
	if (r == 0 && params->feed_uri)
		r = check_uri(params->feed_uri, " in \"feed\"", reterr);
	if (r < 0)
		return r;
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	pg->base.ops = &backend_pg_ops;
	pg->base.migrations = migrations_postgres;
	pg->params = *params;
	pg->params.password_file = NULL;
	pg->params.feed_uri = NULL;
	pg->params.route = NULL;
	pg->n_slots = params->pool_size ? params->pool_size : 1;
	pg->uri = strdup(uri);
	pg->base.uri_redacted = backend_uri_redact(uri);
	pg->slots = calloc(pg->n_slots, sizeof(*pg->slots));
	pg->password_file = strdup_or_null(params->password_file);
	pg->feed_uri = strdup_or_null(params->feed_uri);
	pg->feed_redacted = params->feed_uri ? backend_uri_redact(params->feed_uri) : NULL;
	pg->route = strdup_or_null(params->route);
	pthread_mutex_init(&pg->lock, NULL);
	pthread_cond_init(&pg->cond, NULL);
	pthread_cond_init(&pg->feed_cond, NULL);
	if (!pg->uri || !pg->base.uri_redacted || !pg->slots ||
	    (params->password_file && !pg->password_file) ||
	    (params->feed_uri && (!pg->feed_uri || !pg->feed_redacted)) ||
	    (params->route && !pg->route)) {
		pg_free(&pg->base);
		return -ENOMEM;
	}
	*ret = &pg->base;
	return 0;
}

const struct backend_ops backend_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.free = pg_free,
	.schema_version = pg_schema_version,
	.migration_apply = pg_migration_apply,
	.pin_get = pg_pin_get,
	.pin_upsert = pg_pin_upsert,
	.pin_delete = pg_pin_delete,
	.pin_rename = pg_pin_rename,
	.pin_list = pg_pin_list,
	.tenant_list = pg_tenant_list,
	.tenant_exists = pg_tenant_exists,
	.tenant_times = pg_tenant_times,
	.tenant_create = pg_tenant_create,
	.tenant_delete = pg_tenant_delete,
	.ping = pg_ping,
	.pin_set_meta = pg_pin_set_meta,
	.expire = pg_expire,
	.audit_append = pg_audit_append,
	.rbac_audit_append = pg_rbac_audit_append,
	.feed_start = pg_feed_start,
	.feed_stop = pg_feed_stop,
	.lock_new = pg_lock_new,
	.lock_set = pg_lock_set,
	.lock_free = pg_lock_free,
};
