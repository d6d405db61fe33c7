/* SPDX-License-Identifier: MIT */
/*
 * The SQLite driver: struct backend_ops over one database file named by
 * "sqlite:///absolute/path/to/file.db" (the file and its missing parent
 * directories are created, directories with mode 0700). It holds the same
 * tables and columns as the PostgreSQL schema, without the "system."
 * prefix (migrations/sqlite/), plus the driver's own pinfs_schema table.
 *
 * Threads: a fixed pool of connections, each opened with
 * SQLITE_OPEN_NOMUTEX and used by one thread at a time; a caller waits for
 * a free one at most params->pool_wait_ms (then -EIO). Write transactions
 * are BEGIN IMMEDIATE and, inside this process, also take a writer slot
 * first, so our own writers queue on a condition variable instead of
 * polling SQLite's busy handler; the busy handler (busy_timeout =
 * params->statement_timeout_ms) only covers other processes on the same
 * file. WAL lets readers run alongside the writer.
 *
 * Invariants:
 *   - every call is one transaction: writes are BEGIN IMMEDIATE ... COMMIT,
 *     reads are a single statement in autocommit mode (its own snapshot) or,
 *     when they need several, BEGIN ... COMMIT;
 *     every error path rolls back, and a connection goes back to the pool
 *     only once it is outside any transaction (else it is closed and
 *     reopened on next use);
 *   - SQLITE_BUSY/LOCKED are retried until the busy timeout has passed,
 *     then reported as -EIO; all result codes become errnos in
 *     sqlite_errno(), the one table for this edge;
 *   - times are TEXT, RFC 3339 UTC with microseconds, written by us from
 *     CLOCK_REALTIME (never by SQLite's clock, which has milliseconds) and
 *     compared (pinfs_live()) and ordered (pinfs_usec()) through SQL
 *     functions that parse them, so rows written by other tools in other
 *     valid formats ("2026-11-22 10:00:00", "...+02:00") expire correctly
 *     too. An unparseable expires_at counts as no expiry (and reads back
 *     as 0);
 *   - an upsert onto an expired row deletes it and inserts a new row: a new
 *     id (AUTOINCREMENT never reuses one), a new created_at, source "fs" or
 *     the given one, and with PIN_TTL_KEEP no TTL, exactly as if the key had
 *     been free. An expired pin is gone; its id must not be resurrected;
 *   - rename keeps the source row (its id, created_at and updated_at) and
 *     only changes its key, after deleting whatever row held the target;
 *   - every statement that changes a row sets its version (the larger of
 *     version + 1 and the time in microseconds; a rename also past the
 *     replaced row's), and a conditional upsert compares it inside the same
 *     write transaction; the triggers of migrations/sqlite/0003 do the same
 *     for rows other writers change;
 *   - locks are open file description locks on PATH-pinlocks (see the
 *     locks section), not rows: they never touch the database;
 *   - expire deletes each expired row and writes its memory_audit row in
 *     the same write transaction; its callback (like audit_append's rows)
 *     runs only after the commit and outside any connection, so what it
 *     reports has happened and it may call this backend again;
 *   - nothing is cached but prepared statements (per connection).
 *
 * Not here: deciding when to expire (the reaper, pinctl) and queueing
 * audit events (audit.c). <sqlite3.h> is included by this file only.
 */
#include "pinfs/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pinfs/audit.h"
#include "pinfs/log.h"
#include "pinfs/timeutil.h"

#define SQLITE_URI_PREFIX "sqlite://"
#define SQLITE_POOL_MAX 64
#define SQLITE_DEFAULT_POOL 4
#define SQLITE_DEFAULT_WAIT_MS 5000
#define SQLITE_DEFAULT_BUSY_MS 5000
#define USEC_PER_SEC INT64_C(1000000)

/* The prepared statements each connection caches, by id. */
enum stmt_id {
	ST_BEGIN,
	ST_BEGIN_IMMEDIATE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_PING,
	ST_PIN_GET,
	ST_PIN_FIND,
	ST_PIN_INSERT,
	ST_PIN_UPDATE,
	ST_PIN_DELETE_ID,
	ST_PIN_DELETE_LIVE,
	ST_PIN_DELETE_KEY,
	ST_PIN_SET_KEY,
	ST_PIN_LIST,
	ST_PIN_SET_META,
	ST_EXPIRED_SELECT,
	ST_AUDIT_INSERT,
	ST_RBAC_AUDIT_INSERT,
	ST_EXPIRE_AUDIT,
	ST_TENANT_ENSURE,
	ST_TENANT_INSERT,
	ST_TENANT_STATE,
	ST_TENANT_TIMES,
	ST_TENANT_TIMES_PINS,
	ST_TENANT_LIST,
	ST_TENANT_PURGE_EXPIRED,
	ST_TENANT_DELETE,
	ST_SCHEMA_TABLE,
	ST_SCHEMA_VERSION,
	ST_SCHEMA_HAS,
	ST_SCHEMA_INSERT,
	ST_SCHEMA_DELETE,
	ST__MAX,
};

/*
 * The pin columns every reader takes, in the order row_pin() expects: the
 * metadata (META_COLS, what row_meta() reads), the value only up to the
 * length the read allows (the parameter named max), then the value's
 * length in bytes. SQLite reads the row's text to measure it; the driver
 * never copies a longer one.
 */
#define META_COLS "id, source, created_at, updated_at, ttl_seconds, expires_at, changed_at, version"
#define PIN_COLS(max)                                                                              \
	META_COLS ", CASE WHEN length(CAST(value AS BLOB)) <= " max " THEN value END,"               \
		  " length(CAST(value AS BLOB))"
#define GET_COLS PIN_COLS("?4")
#define LIST_COLS PIN_COLS("?5")

static const char *const stmt_sql[ST__MAX] = {
    [ST_BEGIN] = "BEGIN",
    [ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PING] = "SELECT 1",
    [ST_PIN_GET] = "SELECT " GET_COLS " FROM memory_pins"
		   " WHERE tenant_id = ?1 AND key = ?2 AND pinfs_live(expires_at, ?3)",
    /* Any row at the key, live or expired, which it is, and its version. */
    [ST_PIN_FIND] = "SELECT id, pinfs_live(expires_at, ?3), version FROM memory_pins"
		    " WHERE tenant_id = ?1 AND key = ?2",
    [ST_PIN_INSERT] = "INSERT INTO memory_pins"
		      " (tenant_id, key, value, source, created_at, updated_at,"
		      " ttl_seconds, expires_at, changed_at, version)"
		      " VALUES (?1, ?2, ?3, coalesce(?4, 'fs'), ?5, ?5, ?6, ?7, ?5, max(?8, 2))"
		      " RETURNING " META_COLS,
    /*
     * ?5 non-zero keeps the TTL columns (PIN_TTL_KEEP); ?8 the time in
     * microseconds: every change sets the version (the triggers of
     * migrations/sqlite/0003 are for other writers).
     */
    [ST_PIN_UPDATE] = "UPDATE memory_pins SET value = ?2, updated_at = ?3, changed_at = ?3,"
		      " source = coalesce(?4, source),"
		      " ttl_seconds = CASE WHEN ?5 THEN ttl_seconds ELSE ?6 END,"
		      " expires_at = CASE WHEN ?5 THEN expires_at ELSE ?7 END,"
		      " version = max(version + 1, ?8)"
		      " WHERE id = ?1 RETURNING " META_COLS,
    [ST_PIN_DELETE_ID] = "DELETE FROM memory_pins WHERE id = ?1",
    [ST_PIN_DELETE_LIVE] = "DELETE FROM memory_pins"
			   " WHERE tenant_id = ?1 AND key = ?2 AND pinfs_live(expires_at, ?3)",
    [ST_PIN_DELETE_KEY] = "DELETE FROM memory_pins WHERE tenant_id = ?1 AND key = ?2",
    /* ?4 the time in microseconds, ?5 the replaced pin's version (0: none). */
    [ST_PIN_SET_KEY] = "UPDATE memory_pins SET key = ?2, changed_at = ?3,"
		       " version = max(version + 1, ?4, ?5 + 1) WHERE id = ?1 RETURNING " META_COLS,
    /* Keyset pagination on the (tenant_id, key) unique index, byte order. */
    [ST_PIN_LIST] = "SELECT key, " LIST_COLS " FROM memory_pins"
		    " WHERE tenant_id = ?1 AND key > ?2 AND pinfs_live(expires_at, ?3)"
		    " ORDER BY key LIMIT ?4",
    /* Metadata only: value and updated_at stay. ?4 non-zero keeps the TTL columns. */
    [ST_PIN_SET_META] = "UPDATE memory_pins SET source = coalesce(?3, source), changed_at = ?8,"
			" ttl_seconds = CASE WHEN ?4 THEN ttl_seconds ELSE ?5 END,"
			" expires_at = CASE WHEN ?4 THEN expires_at ELSE ?6 END,"
			" version = max(version + 1, ?7)"
			" WHERE tenant_id = ?1 AND key = ?2 AND pinfs_live(expires_at, ?7)"
			" RETURNING " META_COLS,
    /*
     * Expired rows, oldest expiry first by the instant (not the text: rows
     * from other tools use other formats). "IS NOT NULL" lets the partial
     * index on expires_at skip the pins that never expire.
     */
    [ST_EXPIRED_SELECT] = "SELECT id, tenant_id, key, value, version FROM memory_pins"
			  " WHERE expires_at IS NOT NULL AND NOT pinfs_live(expires_at, ?1)"
			  " ORDER BY pinfs_usec(expires_at), id LIMIT ?2",
    /* The mapping of PostgreSQL's ST_AUDIT: "" and uid -1 are stored as NULL. */
    [ST_AUDIT_INSERT] = "INSERT INTO memory_audit (created_at, operation, tenant_id, key, uid,"
			" subject, success, error_code, latency_ms, value_sha256, version)"
			" VALUES (?1, ?2, nullif(?3, ''), nullif(?4, ''), nullif(?5, -1),"
			" nullif(?6, ''), ?7, nullif(?8, ''), ?9, nullif(?10, ''), nullif(?11, 0))",
    [ST_RBAC_AUDIT_INSERT] = "INSERT INTO rbac_audit (created_at, subject, uid, resource,"
			     " action, decision, reason, tenant_id, key, policy_version)"
			     " VALUES (?1, nullif(?2, ''), nullif(?3, -1), ?4, ?5, ?6,"
			     " nullif(?7, ''), nullif(?8, ''), nullif(?9, ''), nullif(?10, ''))",
    /* One row per expired pin; ?4 is both subject and source, as in PostgreSQL. */
    [ST_EXPIRE_AUDIT] = "INSERT INTO memory_audit (created_at, operation, tenant_id, key,"
			" subject, success, value_sha256, source, version)"
			" VALUES (?1, 'expire', ?2, ?3, ?4, 1, nullif(?5, ''), ?4, ?6)",
    [ST_TENANT_ENSURE] = "INSERT INTO tenants (name, created_at) VALUES (?1, ?2)"
			 " ON CONFLICT (name) DO NOTHING",
    [ST_TENANT_INSERT] = "INSERT INTO tenants (name, created_at) VALUES (?1, ?2)",
    [ST_TENANT_STATE] = "SELECT EXISTS (SELECT 1 FROM tenants WHERE name = ?1),"
			" EXISTS (SELECT 1 FROM memory_pins"
			" WHERE tenant_id = ?1 AND pinfs_live(expires_at, ?2))",
    /*
     * A tenant's times: its tenants row's, else its live pins' (see
     * backend.h). Two statements, the second run only without a row: as one
     * UNION, SQLite aggregated every pin of the tenant on each lookup.
     */
    [ST_TENANT_TIMES] = "SELECT pinfs_usec(created_at), pinfs_usec(changed_at) FROM tenants"
			" WHERE name = ?1",
    [ST_TENANT_TIMES_PINS] = "SELECT min(pinfs_usec(created_at)), max(pinfs_usec(created_at))"
			     " FROM memory_pins WHERE tenant_id = ?1 AND pinfs_live(expires_at, ?2)"
			     " HAVING count(*) > 0",
    [ST_TENANT_LIST] = "SELECT name FROM tenants UNION"
		       " SELECT tenant_id FROM memory_pins WHERE pinfs_live(expires_at, ?1)"
		       " ORDER BY 1",
    [ST_TENANT_PURGE_EXPIRED] = "DELETE FROM memory_pins"
				" WHERE tenant_id = ?1 AND NOT pinfs_live(expires_at, ?2)",
    [ST_TENANT_DELETE] = "DELETE FROM tenants WHERE name = ?1",
    [ST_SCHEMA_TABLE] = "SELECT 1 FROM sqlite_master WHERE type = 'table'"
			" AND name = 'pinfs_schema'",
    [ST_SCHEMA_VERSION] = "SELECT coalesce(max(version), 0) FROM pinfs_schema",
    [ST_SCHEMA_HAS] = "SELECT 1 FROM pinfs_schema WHERE version = ?1",
    [ST_SCHEMA_INSERT] = "INSERT INTO pinfs_schema (version, name, applied_at)"
			 " VALUES (?1, ?2, ?3)",
    [ST_SCHEMA_DELETE] = "DELETE FROM pinfs_schema WHERE version = ?1",
};

static const char schema_table_sql[] = "CREATE TABLE IF NOT EXISTS pinfs_schema ("
				       " version INTEGER PRIMARY KEY,"
				       " name TEXT NOT NULL,"
				       " applied_at TEXT NOT NULL)";

struct sqlite_backend;

struct sqlite_conn {
	struct sqlite_backend *sb;
	sqlite3 *db;		     /* NULL: closed, reopened on next use */
	sqlite3_stmt *stmt[ST__MAX]; /* prepared on first use */
	struct sqlite_conn *next;    /* idle list link, protected by sb->lock */
};

struct sqlite_backend {
	struct backend base; /* first: the dispatcher casts */
	char *path;
	unsigned busy_ms;
	unsigned pool_wait_ms;
	bool sync_ready; /* lock and conditions initialised */
	pthread_mutex_t lock;
	pthread_cond_t conn_idle;   /* CLOCK_MONOTONIC; signalled on pool_put */
	pthread_cond_t writer_done; /* CLOCK_MONOTONIC; signalled on writer_leave */
	struct sqlite_conn *idle;   /* protected by lock */
	bool writer;		    /* protected by lock: a write transaction is open */
	/* Locks: open file description locks on lock_path (see the locks section). */
	char *lock_path;
	unsigned lock_holders;	    /* protected by lock */
	unsigned lock_max;
	pthread_cond_t lock_gone;   /* CLOCK_MONOTONIC; signalled when a holder lets go */
	size_t n_conns;
	struct sqlite_conn conns[];
};

/* ---- errors ------------------------------------------------------------ */

/*
 * The one SQLite → errno table. Extended codes are matched first, then the
 * primary code. -EBUSY is internal: txn_run() retries it within the busy
 * timeout and then reports -EIO, so it never reaches a caller.
 */
static const struct {
	int rc;
	int err;
} rc_errno_table[] = {
    {SQLITE_CONSTRAINT_UNIQUE, -EEXIST},
    {SQLITE_CONSTRAINT_PRIMARYKEY, -EEXIST},
    {SQLITE_CONSTRAINT_FOREIGNKEY, -ENOENT},
    {SQLITE_CONSTRAINT, -EINVAL}, /* CHECK, NOT NULL, ...: the value was refused */
    {SQLITE_TOOBIG, -EINVAL},
    {SQLITE_MISMATCH, -EINVAL},
    {SQLITE_BUSY, -EBUSY},
    {SQLITE_LOCKED, -EBUSY},
    {SQLITE_NOMEM, -ENOMEM},
    {SQLITE_READONLY, -EROFS}, /* the plain code only: READONLY_* are failures */
    {SQLITE_FULL, -ENOSPC},
};

static int sqlite_errno(int rc)
{
	for (size_t i = 0; i < PFS_ARRAY_SIZE(rc_errno_table); i++)
		if (rc_errno_table[i].rc == rc)
			return rc_errno_table[i].err;
	if (rc != (rc & 0xff) && (rc & 0xff) != SQLITE_READONLY)
		return sqlite_errno(rc & 0xff);
	return -EIO; /* ERROR, IOERR, CORRUPT, CANTOPEN, NOTADB, SCHEMA, ... */
}

/* Logs a failed SQLite call at debug (request path) and returns its errno. */
static int conn_error(const struct sqlite_conn *c, int rc, const char *what)
{
	pfs_log(LOG_DEBUG, "sqlite \"%s\": could not %s: %s (%d)", c->sb->path, what,
		c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), rc);
	return sqlite_errno(rc);
}

/* ---- time -------------------------------------------------------------- */

static pfs_usec_t realtime_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (pfs_usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

static struct timespec monotonic_deadline(unsigned ms)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	time_add_ms(&ts, ms);
	return ts;
}

static bool deadline_passed(const struct timespec *deadline)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads exactly n decimal digits at s[*i] into *ret. */
static bool take_digits(const char *s, size_t len, size_t *i, size_t n, int *ret)
{
	int v = 0;

	if (len - *i < n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char ch = s[*i + k];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	*i += n;
	*ret = v;
	return true;
}

/*
 * Parses "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]" (RFC 3339 and
 * SQLite's own date formats; no zone means UTC) into microseconds since
 * the epoch. Digits past the sixth of the fraction are dropped.
 */
static int usec_parse(const char *s, size_t len, pfs_usec_t *ret)
{
	int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, usec = 0;
	int64_t days, t;
	size_t i = 0;

	if (!take_digits(s, len, &i, 4, &year) || i >= len || s[i++] != '-' ||
	    !take_digits(s, len, &i, 2, &mon) || i >= len || s[i++] != '-' ||
	    !take_digits(s, len, &i, 2, &day) || i >= len ||
	    (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return -EINVAL;
	i++;
	if (!take_digits(s, len, &i, 2, &hour) || i >= len || s[i++] != ':' ||
	    !take_digits(s, len, &i, 2, &min))
		return -EINVAL;
	if (i < len && s[i] == ':') {
		i++;
		if (!take_digits(s, len, &i, 2, &sec))
			return -EINVAL;
		if (i < len && s[i] == '.') {
			int scale = 100000;

			i++;
			if (i >= len || s[i] < '0' || s[i] > '9')
				return -EINVAL;
			for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
				usec += (s[i] - '0') * scale;
		}
	}
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	days = days_from_civil(year, mon, day);
	t = ((days * 24 + hour) * 60 + min) * 60 + sec;

	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;

		if (!take_digits(s, len, &i, 2, &oh))
			return -EINVAL;
		if (i < len && s[i] == ':')
			i++;
		if (i < len && !take_digits(s, len, &i, 2, &om))
			return -EINVAL;
		if (oh > 23 || om > 59)
			return -EINVAL;
		t -= sign * (oh * 3600 + om * 60);
	}
	if (i != len)
		return -EINVAL;
	*ret = t * USEC_PER_SEC + usec;
	return 0;
}

/* Formats t as "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
static void usec_format(pfs_usec_t t, char *buf, size_t size)
{
	int64_t secs = t / USEC_PER_SEC, usec = t % USEC_PER_SEC;
	time_t tt;
	struct tm tm;

	if (usec < 0) {
		usec += USEC_PER_SEC;
		secs--;
	}
	tt = (time_t)secs;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)usec);
}

/*
 * SQL function pinfs_live(expires_at, now_usec): 1 when a row with this
 * expires_at is visible at now_usec (no expiry, an unparseable one, or one
 * in the future), else 0.
 */
static void sql_pinfs_live(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text;
	pfs_usec_t expires;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_int(ctx, 1);
		return;
	}
	text = sqlite3_value_text(argv[0]);
	if (!text) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (usec_parse((const char *)text, (size_t)sqlite3_value_bytes(argv[0]), &expires) < 0) {
		sqlite3_result_int(ctx, 1);
		return;
	}
	sqlite3_result_int(ctx, expires > sqlite3_value_int64(argv[1]));
}

/*
 * SQL function pinfs_usec(t): the instant a time column names, in
 * microseconds since the epoch, or NULL when it is NULL or unparseable.
 */
static void sql_pinfs_usec(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *text;
	pfs_usec_t t;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	text = sqlite3_value_text(argv[0]);
	if (!text) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (usec_parse((const char *)text, (size_t)sqlite3_value_bytes(argv[0]), &t) < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, t);
}

/* ---- statements -------------------------------------------------------- */

static int stmt_get(struct sqlite_conn *c, enum stmt_id id, sqlite3_stmt **ret)
{
	int rc;

	if (!c->stmt[id]) {
		rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					&c->stmt[id], NULL);
		if (rc != SQLITE_OK)
			return conn_error(c, rc, "prepare a statement");
	}
	*ret = c->stmt[id];
	return 0;
}

/* Cleanup for a cached statement: reset it so it holds no read lock. */
static void stmt_resetp(sqlite3_stmt **st)
{
	if (*st) {
		(void)sqlite3_reset(*st);
		(void)sqlite3_clear_bindings(*st);
	}
}
#define STMT_AUTORESET PFS_CLEANUP(stmt_resetp)

static void stmt_finalizep(sqlite3_stmt **st)
{
	(void)sqlite3_finalize(*st);
}

/* Steps once: 1 for a row, 0 when done, or a negative errno. */
static int stmt_step(struct sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return conn_error(c, rc, what);
}

/* Steps a statement that returns no row through to its end. */
static int stmt_run(struct sqlite_conn *c, sqlite3_stmt *st, const char *what)
{
	int r;

	do
		r = stmt_step(c, st, what);
	while (r == 1);
	return r;
}

/* Runs a cached statement without parameters. */
static int exec_cached(struct sqlite_conn *c, enum stmt_id id)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(c, id, &st);
	if (r < 0)
		return r;
	return stmt_run(c, st, stmt_sql[id]);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static int bind_time(sqlite3_stmt *st, int i, pfs_usec_t t)
{
	char buf[64];

	usec_format(t, buf, sizeof(buf));
	return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* Binds ?1 = a, ?2 = b (text) and ?3 = n (integer) as most statements take them. */
static int bind_key_now(struct sqlite_conn *c, sqlite3_stmt *st, const char *a, const char *b,
			int64_t n)
{
	int rc = bind_text(st, 1, a);

	if (rc == SQLITE_OK && b)
		rc = bind_text(st, 2, b);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, b ? 3 : 2, n);
	return rc == SQLITE_OK ? 0 : conn_error(c, rc, "bind parameters");
}

static pfs_usec_t column_usec(sqlite3_stmt *st, int col)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	pfs_usec_t t;

	if (!text || usec_parse((const char *)text, (size_t)sqlite3_column_bytes(st, col), &t) < 0)
		return 0;
	return t;
}

/* Reads META_COLS starting at column col. */
static void row_meta(sqlite3_stmt *st, int col, struct pin_meta *m)
{
	const unsigned char *source;
	int64_t ttl;

	*m = (struct pin_meta){.id = sqlite3_column_int64(st, col)};
	source = sqlite3_column_text(st, col + 1);
	snprintf(m->source, sizeof(m->source), "%s", source ? (const char *)source : "");
	m->created_at = column_usec(st, col + 2);
	m->updated_at = column_usec(st, col + 3);
	if (sqlite3_column_type(st, col + 4) == SQLITE_NULL) {
		m->ttl_seconds = -1;
	} else {
		ttl = sqlite3_column_int64(st, col + 4);
		m->ttl_seconds = ttl < 0 ? 0 : ttl > PIN_TTL_MAX ? PIN_TTL_MAX : (int32_t)ttl;
	}
	m->expires_at =
	    sqlite3_column_type(st, col + 5) == SQLITE_NULL ? 0 : column_usec(st, col + 5);
	m->changed_at = column_usec(st, col + 6);
	m->version = sqlite3_column_int64(st, col + 7);
}

/*
 * Reads PIN_COLS starting at column col. With copy the value is a new
 * string (pin_done() frees it); without, it borrows the statement's buffer,
 * valid until the next step. A value longer than the read allowed is NULL,
 * with its length.
 */
static int row_pin(sqlite3_stmt *st, int col, bool copy, struct pin *ret)
{
	const unsigned char *text;
	size_t len;
	char *value;

	row_meta(st, col, &ret->meta);
	if (sqlite3_column_type(st, col + 8) == SQLITE_NULL) {
		ret->value = NULL;
		ret->value_len = (size_t)sqlite3_column_int64(st, col + 9);
		return 0;
	}
	text = sqlite3_column_text(st, col + 8);
	if (!text)
		return -ENOMEM; /* NOT NULL column: only an allocation failure yields NULL */
	len = (size_t)sqlite3_column_bytes(st, col + 8);
	if (copy) {
		value = malloc(len + 1);
		if (!value)
			return -ENOMEM;
		memcpy(value, text, len + 1);
	} else {
		/* The callback gets a const struct pin: the cast lends, it does not give. */
		value = (char *)(uintptr_t)text;
	}
	ret->value = value;
	ret->value_len = len;
	return 0;
}

/* ---- connections and the pool ------------------------------------------ */

static void conn_close(struct sqlite_conn *c)
{
	for (size_t i = 0; i < ST__MAX; i++) {
		(void)sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	(void)sqlite3_close_v2(c->db);
	c->db = NULL;
}

/* Runs one PRAGMA and, with want, checks the text it answers. */
static int conn_pragma(struct sqlite_conn *c, const char *sql, const char *want,
		       struct pfs_error *reterr)
{
	PFS_CLEANUP(stmt_finalizep) sqlite3_stmt *st = NULL;
	const unsigned char *got;
	int rc;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		do
			rc = sqlite3_step(st);
		while (rc == SQLITE_ROW && !want);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pfs_error_set(reterr, -EIO, 0, "could not run \"%s\" on \"%s\": %s", sql,
				     c->sb->path, sqlite3_errmsg(c->db));
	if (want) {
		got = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (!got || strcmp((const char *)got, want) != 0)
			return pfs_error_set(reterr, -EIO, 0,
					     "could not run \"%s\" on \"%s\": the database "
					     "answered \"%s\"",
					     sql, c->sb->path, got ? (const char *)got : "");
	}
	return 0;
}

static int conn_open(struct sqlite_backend *sb, struct sqlite_conn *c, struct pfs_error *reterr)
{
	int rc, r;

	c->sb = sb;
	rc =
	    sqlite3_open_v2(sb->path, &c->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = pfs_error_set(reterr, -EIO, 0, "could not open SQLite database \"%s\": %s",
				  sb->path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_close(c);
		return r;
	}
	(void)sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	rc = sqlite3_busy_timeout(c->db, (int)sb->busy_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(c->db, "pinfs_live", 2,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
					     NULL, sql_pinfs_live, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(c->db, "pinfs_usec", 1,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
					     NULL, sql_pinfs_usec, NULL, NULL);
	if (rc != SQLITE_OK) {
		r = pfs_error_set(reterr, -EIO, 0, "could not set up SQLite database \"%s\": %s",
				  sb->path, sqlite3_errmsg(c->db));
		conn_close(c);
		return r;
	}
	/* FULL: a commit that close() reported must survive a power cut, WAL or not. */
	r = conn_pragma(c, "PRAGMA journal_mode = WAL", "wal", reterr);
	if (r >= 0)
		r = conn_pragma(c, "PRAGMA synchronous = FULL", NULL, reterr);
	if (r >= 0)
		r = conn_pragma(c, "PRAGMA foreign_keys = ON", NULL, reterr);
	if (r < 0) {
		conn_close(c);
		return r;
	}
	return 0;
}

static int pool_get(struct sqlite_backend *sb, struct sqlite_conn **ret)
{
	struct timespec deadline = monotonic_deadline(sb->pool_wait_ms);
	struct sqlite_conn *c;
	int e = 0;

	pthread_mutex_lock(&sb->lock);
	while (!sb->idle && e == 0)
		e = pthread_cond_timedwait(&sb->conn_idle, &sb->lock, &deadline);
	c = sb->idle;
	if (c)
		sb->idle = c->next;
	pthread_mutex_unlock(&sb->lock);
	if (!c) {
		pfs_log(LOG_DEBUG, "sqlite \"%s\": no connection free after %u ms", sb->path,
			sb->pool_wait_ms);
		return -EIO;
	}
	c->next = NULL;
	*ret = c;
	if (!c->db) {
		struct pfs_error err = {0};
		int r = conn_open(sb, c, &err);

		if (r < 0) {
			pfs_log(LOG_DEBUG, "%s", err.message);
			return r; /* the caller still puts c back */
		}
	}
	return 0;
}

static void pool_put(struct sqlite_backend *sb, struct sqlite_conn *c)
{
	/* Never hand on a connection inside a transaction: close it instead. */
	if (c->db && !sqlite3_get_autocommit(c->db)) {
		(void)exec_cached(c, ST_ROLLBACK);
		if (!sqlite3_get_autocommit(c->db)) {
			pfs_log(LOG_DEBUG,
				"sqlite \"%s\": connection stuck in a transaction, "
				"reopening it",
				sb->path);
			conn_close(c);
		}
	}
	pthread_mutex_lock(&sb->lock);
	c->next = sb->idle;
	sb->idle = c;
	pthread_cond_signal(&sb->conn_idle);
	pthread_mutex_unlock(&sb->lock);
}

/* Takes this process's writer slot, waiting at most until deadline. */
static int writer_enter(struct sqlite_backend *sb, const struct timespec *deadline)
{
	int e = 0;
	bool got;

	pthread_mutex_lock(&sb->lock);
	while (sb->writer && e == 0)
		e = pthread_cond_timedwait(&sb->writer_done, &sb->lock, deadline);
	got = !sb->writer;
	if (got)
		sb->writer = true;
	pthread_mutex_unlock(&sb->lock);
	return got ? 0 : -EBUSY;
}

static void writer_leave(struct sqlite_backend *sb)
{
	pthread_mutex_lock(&sb->lock);
	sb->writer = false;
	pthread_cond_signal(&sb->writer_done);
	pthread_mutex_unlock(&sb->lock);
}

/* ---- transactions ------------------------------------------------------ */

enum txn_mode {
	TXN_READ,     /* fn runs one statement in autocommit mode: its own snapshot */
	TXN_SNAPSHOT, /* fn runs several reads inside BEGIN ... COMMIT */
	TXN_WRITE,    /* fn runs inside BEGIN IMMEDIATE ... COMMIT */
};

typedef int (*txn_fn)(struct sqlite_conn *c, void *ctx);

static int txn_once(struct sqlite_backend *sb, struct sqlite_conn *c, enum txn_mode mode,
		    const struct timespec *deadline, txn_fn fn, void *ctx)
{
	int r, k;

	if (mode == TXN_READ)
		return fn(c, ctx);

	if (mode == TXN_WRITE) {
		r = writer_enter(sb, deadline);
		if (r < 0)
			return r;
	}
	r = exec_cached(c, mode == TXN_WRITE ? ST_BEGIN_IMMEDIATE : ST_BEGIN);
	if (r >= 0) {
		r = fn(c, ctx);
		if (r >= 0) {
			k = exec_cached(c, ST_COMMIT);
			if (k < 0)
				r = k;
		}
	}
	if (r < 0 && !sqlite3_get_autocommit(c->db))
		(void)exec_cached(c, ST_ROLLBACK);
	if (mode == TXN_WRITE)
		writer_leave(sb);
	return r;
}

/*
 * Runs fn as one transaction on a pooled connection, retrying it while
 * SQLite (or our writer slot) is busy and the busy timeout has not passed.
 * fn must have no effect outside the transaction before it can fail with
 * -EBUSY (pin_list's callbacks turn a later -EBUSY into -EIO themselves).
 */
static int txn_run(struct sqlite_backend *sb, enum txn_mode mode, txn_fn fn, void *ctx)
{
	struct timespec deadline;
	struct sqlite_conn *c = NULL;
	unsigned backoff_ms = 1;
	int r;

	r = pool_get(sb, &c);
	if (r < 0) {
		if (c)
			pool_put(sb, c);
		return r;
	}
	/* The busy budget starts once we hold a connection: the pool wait has its own. */
	deadline = monotonic_deadline(sb->busy_ms);
	for (;;) {
		r = txn_once(sb, c, mode, &deadline, fn, ctx);
		if (r != -EBUSY || deadline_passed(&deadline))
			break;
		(void)nanosleep(&(struct timespec){.tv_nsec = (long)backoff_ms * 1000000L}, NULL);
		if (backoff_ms < 64)
			backoff_ms *= 2;
	}
	pool_put(sb, c);
	if (r == -EBUSY) {
		pfs_log(LOG_DEBUG, "sqlite \"%s\": database still busy after %u ms", sb->path,
			sb->busy_ms);
		r = -EIO;
	}
	return r;
}

static struct sqlite_backend *to_sqlite(struct backend *be)
{
	return (struct sqlite_backend *)be;
}

/* ---- pins -------------------------------------------------------------- */

/* Finds the row at (tenant, key), live or not: 1 and its id (and version), 0, or -errno. */
static int pin_find(struct sqlite_conn *c, const char *tenant, const char *key, pfs_usec_t now,
		    int64_t *ret_id, bool *ret_live, int64_t *ret_version)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(c, ST_PIN_FIND, &st);
	if (r >= 0)
		r = bind_key_now(c, st, tenant, key, now);
	if (r >= 0)
		r = stmt_step(c, st, "look up a pin");
	if (r <= 0)
		return r;
	*ret_id = sqlite3_column_int64(st, 0);
	*ret_live = sqlite3_column_int(st, 1) != 0;
	if (ret_version)
		*ret_version = sqlite3_column_int64(st, 2);
	return 1;
}

/* One parameter of a statement, for exec_params. */
struct sql_param {
	enum { P_NULL, P_TEXT, P_INT, P_TIME, P_REAL, P_FIELD, P_TEXTN } kind;
	const char *s;		/* P_TEXT (NULL: SQL NULL), P_FIELD, P_TEXTN */
	size_t size;		/* P_FIELD: a fixed-size array, which may lack its NUL if full;
				   P_TEXTN: the text's length */
	int64_t i;		/* P_INT, P_TIME (microseconds) */
	double d;		/* P_REAL */
};

#define P_TEXT_OF(v) {.kind = P_TEXT, .s = (v)}
#define P_INT_OF(v) {.kind = P_INT, .i = (v)}
#define P_TIME_OF(v) {.kind = P_TIME, .i = (v)}
#define P_FIELD_OF(field) {.kind = P_FIELD, .s = (field), .size = sizeof(field)}
#define P_TEXTN_OF(v, n) {.kind = P_TEXTN, .s = (v), .size = (n)}
#define P_NULL_V {.kind = P_NULL}

/* Binds a fixed-size char array of a record, which may lack its NUL if full. */
static int bind_field(sqlite3_stmt *st, int i, const char *s, size_t size)
{
	return sqlite3_bind_text(st, i, s, (int)strnlen(s, size), SQLITE_STATIC);
}

/* Binds p[0..n) to ?1..?n of st. */
static int bind_params(struct sqlite_conn *c, sqlite3_stmt *st, const struct sql_param *p,
		       size_t n)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		int at = (int)i + 1;

		switch (p[i].kind) {
		case P_NULL:
			rc = sqlite3_bind_null(st, at);
			break;
		case P_TEXTN:
			rc = sqlite3_bind_text64(st, at, p[i].s, p[i].size, SQLITE_STATIC,
						 SQLITE_UTF8);
			break;
		case P_TEXT:
			rc = bind_text(st, at, p[i].s);
			break;
		case P_INT:
			rc = sqlite3_bind_int64(st, at, p[i].i);
			break;
		case P_TIME:
			rc = bind_time(st, at, p[i].i);
			break;
		case P_REAL:
			rc = sqlite3_bind_double(st, at, p[i].d);
			break;
		case P_FIELD:
			rc = bind_field(st, at, p[i].s, p[i].size);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : conn_error(c, rc, "bind parameters");
}

/* Runs cached statement id with parameters ?1..?n. */
static int exec_params(struct sqlite_conn *c, enum stmt_id id, const struct sql_param *p,
		       size_t n, const char *what)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r = stmt_get(c, id, &st);

	if (r >= 0)
		r = bind_params(c, st, p, n);
	return r < 0 ? r : stmt_run(c, st, what);
}

/* Runs a cached statement whose only parameter ?1 is a row id. */
static int exec_id(struct sqlite_conn *c, enum stmt_id id, int64_t row, const char *what)
{
	const struct sql_param p[] = {P_INT_OF(row)};

	return exec_params(c, id, p, 1, what);
}

/* Runs a cached statement with text ?1, ?2 (NULL: not bound) and integer ?3 (or ?2). */
static int exec_key_now(struct sqlite_conn *c, enum stmt_id id, const char *a, const char *b,
			int64_t n, const char *what)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(c, id, &st);
	if (r >= 0)
		r = bind_key_now(c, st, a, b, n);
	if (r >= 0)
		r = stmt_run(c, st, what);
	return r;
}

/* Runs a cached statement whose parameters are ?1 = a and, unless NULL, ?2 = b. */
static int exec_texts(struct sqlite_conn *c, enum stmt_id id, const char *a, const char *b,
		      const char *what)
{
	const struct sql_param p[] = {P_TEXT_OF(a), P_TEXT_OF(b)};

	return exec_params(c, id, p, b ? 2 : 1, what);
}

static int step_returning(struct sqlite_conn *c, sqlite3_stmt *st, const char *what,
			  struct pin_meta *ret_meta);

/*
 * Gives row id the key; its version grows past its own and replaced's (the
 * version of the pin it replaced, 0: none).
 */
static int pin_set_key(struct sqlite_conn *c, int64_t id, const char *key, pfs_usec_t now,
		       int64_t replaced, struct pin_meta *ret_meta)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	const struct sql_param p[] = {P_INT_OF(id), P_TEXT_OF(key), P_TIME_OF(now), P_INT_OF(now),
				      P_INT_OF(replaced)};
	int r = stmt_get(c, ST_PIN_SET_KEY, &st);

	if (r >= 0)
		r = bind_params(c, st, p, PFS_ARRAY_SIZE(p));
	return r < 0 ? r : step_returning(c, st, "rename a pin", ret_meta);
}

/* Runs a cached statement whose only parameters are ?1 = text and ?2 = a time. */
static int exec_name_time(struct sqlite_conn *c, enum stmt_id id, const char *name, pfs_usec_t t,
			  const char *what)
{
	const struct sql_param p[] = {P_TEXT_OF(name), P_TIME_OF(t)};

	return exec_params(c, id, p, PFS_ARRAY_SIZE(p), what);
}

/* The bound of a read as a parameter: SQLite's integers are signed 64-bit. */
static sqlite3_int64 max_param(size_t max_value)
{
	return max_value < (size_t)INT64_MAX ? (sqlite3_int64)max_value : INT64_MAX;
}

/*
 * Reads the live pin at (tenant, key) at time now: into *ret_pin (its
 * value a new string), or only its metadata into *ret_meta when ret_pin is
 * NULL. 0, -ENOENT or -errno.
 */
static int pin_read(struct sqlite_conn *c, const char *tenant, const char *key, pfs_usec_t now,
		    size_t max_value, struct pin *ret_pin, struct pin_meta *ret_meta)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	struct pin p = {0};
	int r;

	r = stmt_get(c, ST_PIN_GET, &st);
	if (r >= 0)
		r = bind_key_now(c, st, tenant, key, now);
	if (r >= 0) {
		int rc = sqlite3_bind_int64(st, 4, max_param(max_value));

		if (rc != SQLITE_OK)
			r = conn_error(c, rc, "bind parameters");
	}
	if (r >= 0)
		r = stmt_step(c, st, "read a pin");
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	if (!ret_pin) {
		row_meta(st, 0, ret_meta);
		return 0;
	}
	r = row_pin(st, 0, true, &p);
	if (r < 0)
		return r;
	*ret_pin = p;
	return 0;
}

struct get_args {
	const char *tenant, *key;
	size_t max_value;
	struct pin *ret;
};

static int do_pin_get(struct sqlite_conn *c, void *ctx)
{
	struct get_args *a = ctx;

	return pin_read(c, a->tenant, a->key, realtime_usec(), a->max_value, a->ret, NULL);
}

static int sqlite_pin_get(struct backend *be, const char *tenant, const char *key, size_t max_value,
			  struct pin *ret)
{
	struct get_args a = {tenant, key, max_value, ret};

	return txn_run(to_sqlite(be), TXN_READ, do_pin_get, &a);
}

struct upsert_args {
	const char *tenant, *key;
	const struct pin_write *w;
	struct pin_meta *ret_meta;
};

/* Steps an INSERT/UPDATE ... RETURNING META_COLS and reads the one row. */
static int step_returning(struct sqlite_conn *c, sqlite3_stmt *st, const char *what,
			  struct pin_meta *ret_meta)
{
	int r;

	r = stmt_step(c, st, what);
	if (r < 0)
		return r;
	if (r == 0)
		return -EIO; /* RETURNING gave no row: cannot happen */
	row_meta(st, 0, ret_meta);
	return stmt_run(c, st, what);
}

/* A write's TTL columns: ttl_seconds and expires_at (SQL NULL unless it sets a TTL). */
static void ttl_params(enum pin_ttl_op op, int32_t ttl, pfs_usec_t now, struct sql_param p[2])
{
	if (op == PIN_TTL_SET) {
		p[0] = (struct sql_param)P_INT_OF(ttl);
		p[1] = (struct sql_param)P_TIME_OF(now + (pfs_usec_t)ttl * USEC_PER_SEC);
	} else {
		p[0] = p[1] = (struct sql_param)P_NULL_V;
	}
}

static int pin_insert(struct sqlite_conn *c, const struct upsert_args *a, pfs_usec_t now,
		      struct pin_meta *ret_meta)
{
	const struct pin_write *w = a->w;
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	struct sql_param p[] = {P_TEXT_OF(a->tenant),		 P_TEXT_OF(a->key),
				P_TEXTN_OF(w->value, w->value_len), P_TEXT_OF(w->source),
				P_TIME_OF(now),			 P_NULL_V,
				P_NULL_V,			 P_INT_OF(now)};
	int r;

	ttl_params(w->ttl_op, w->ttl_seconds, now, &p[5]);
	r = stmt_get(c, ST_PIN_INSERT, &st);
	if (r >= 0)
		r = bind_params(c, st, p, PFS_ARRAY_SIZE(p));
	return r < 0 ? r : step_returning(c, st, "insert a pin", ret_meta);
}

static int pin_update(struct sqlite_conn *c, const struct upsert_args *a, int64_t id,
		      pfs_usec_t now, struct pin_meta *ret_meta)
{
	const struct pin_write *w = a->w;
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	struct sql_param p[] = {P_INT_OF(id), P_TEXTN_OF(w->value, w->value_len), P_TIME_OF(now),
				P_TEXT_OF(w->source), P_INT_OF(w->ttl_op == PIN_TTL_KEEP),
				P_NULL_V, P_NULL_V, P_INT_OF(now)};
	int r;

	ttl_params(w->ttl_op, w->ttl_seconds, now, &p[5]);
	r = stmt_get(c, ST_PIN_UPDATE, &st);
	if (r >= 0)
		r = bind_params(c, st, p, PFS_ARRAY_SIZE(p));
	return r < 0 ? r : step_returning(c, st, "update a pin", ret_meta);
}

static int do_pin_upsert(struct sqlite_conn *c, void *ctx)
{
	struct upsert_args *a = ctx;
	struct pin_meta meta;
	pfs_usec_t now = realtime_usec(); /* taken under the write lock: ordered */
	int64_t id = 0, version = 0;
	bool live = false;
	int r;

	r = pin_find(c, a->tenant, a->key, now, &id, &live, &version);
	if (r < 0)
		return r;
	/* Checked inside this write transaction: nobody writes between the check and the write. */
	if (a->w->conditional &&
	    (a->w->expect_version == 0 ? r > 0 && live
				       : r == 0 || !live || version != a->w->expect_version))
		return -ESTALE;
	if (r > 0 && !live) {
		/* An expired pin is gone: the new value is a new pin with a new id. */
		r = exec_id(c, ST_PIN_DELETE_ID, id, "delete an expired pin");
		if (r < 0)
			return r;
	}
	if (r > 0 && live)
		r = pin_update(c, a, id, now, &meta);
	else
		r = pin_insert(c, a, now, &meta);
	if (r < 0)
		return r;
	r = exec_name_time(c, ST_TENANT_ENSURE, a->tenant, now, "record a tenant");
	if (r < 0)
		return r;
	if (a->ret_meta)
		*a->ret_meta = meta;
	return 0;
}

static int sqlite_pin_upsert(struct backend *be, const char *tenant, const char *key,
			     const struct pin_write *w, struct pin_meta *ret_meta)
{
	struct upsert_args a = {tenant, key, w, ret_meta};

	if (!w || !w->value)
		return -EINVAL;
	if (w->ttl_op != PIN_TTL_KEEP && w->ttl_op != PIN_TTL_SET && w->ttl_op != PIN_TTL_CLEAR)
		return -EINVAL;
	if (w->ttl_op == PIN_TTL_SET && (w->ttl_seconds < 0 || w->ttl_seconds > PIN_TTL_MAX))
		return -EINVAL;
	/* A source must read back as written: refuse what struct pin_meta cannot hold. */
	if (w->source && strlen(w->source) >= PIN_SOURCE_MAX)
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_WRITE, do_pin_upsert, &a);
}

struct delete_args {
	const char *tenant, *key;
};

static int do_pin_delete(struct sqlite_conn *c, void *ctx)
{
	struct delete_args *a = ctx;
	int r;

	r = exec_key_now(c, ST_PIN_DELETE_LIVE, a->tenant, a->key, realtime_usec(), "delete a pin");
	if (r < 0)
		return r;
	/* An expired row counts as absent; the reaper deletes (and audits) it. */
	return sqlite3_changes(c->db) > 0 ? 0 : -ENOENT;
}

static int sqlite_pin_delete(struct backend *be, const char *tenant, const char *key)
{
	struct delete_args a = {tenant, key};

	return txn_run(to_sqlite(be), TXN_WRITE, do_pin_delete, &a);
}

struct rename_args {
	const char *tenant, *from, *to;
	unsigned flags;
	struct pin_meta meta;	/* the moved pin's, given to the caller once committed */
};

static int do_pin_rename(struct sqlite_conn *c, void *ctx)
{
	struct rename_args *a = ctx;
	pfs_usec_t now = realtime_usec();
	int64_t id, to_id, to_version = 0;
	bool live = false, to_live = false;
	int r;

	r = pin_find(c, a->tenant, a->from, now, &id, &live, NULL);
	if (r < 0)
		return r;
	if (r == 0 || !live)
		return -ENOENT;
	if (strcmp(a->from, a->to) == 0) {
		if (a->flags & BACKEND_RENAME_NOREPLACE)
			return -EEXIST;
		return pin_read(c, a->tenant, a->from, now, 0, NULL, &a->meta);
	}
	r = pin_find(c, a->tenant, a->to, now, &to_id, &to_live, &to_version);
	if (r < 0)
		return r;
	if (r > 0 && to_live && (a->flags & BACKEND_RENAME_NOREPLACE))
		return -EEXIST;
	/* Two statements, one transaction: readers never see both names or neither. */
	r = exec_texts(c, ST_PIN_DELETE_KEY, a->tenant, a->to, "replace a pin");
	if (r < 0)
		return r;
	return pin_set_key(c, id, a->to, now, to_version, &a->meta);
}

static int sqlite_pin_rename(struct backend *be, const char *tenant, const char *from,
			     const char *to, unsigned flags, struct pin_meta *ret_meta)
{
	struct rename_args a = {tenant, from, to, flags, {0}};
	int r;

	if (flags & ~BACKEND_RENAME_NOREPLACE)
		return -EINVAL;
	r = txn_run(to_sqlite(be), TXN_WRITE, do_pin_rename, &a);
	if (r == 0 && ret_meta)
		*ret_meta = a.meta;
	return r;
}

struct list_args {
	const char *tenant, *after_key;
	unsigned limit;
	size_t max_value;
	backend_pin_cb cb;
	void *ctx;
	int delivered;
};

static int do_pin_list(struct sqlite_conn *c, void *ctx)
{
	struct list_args *a = ctx;
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r, rc;

	a->delivered = 0;
	r = stmt_get(c, ST_PIN_LIST, &st);
	if (r < 0)
		return r;
	/* Keys are at least one byte long, so '' sorts before every key. */
	rc = bind_text(st, 1, a->tenant);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 2, a->after_key ? a->after_key : "");
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, realtime_usec());
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (int64_t)a->limit); /* 0: no rows, as in SQL */
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, max_param(a->max_value));
	if (rc != SQLITE_OK)
		return conn_error(c, rc, "bind parameters");

	/* Rows are streamed: one page, never the whole tenant, is in memory. */
	for (;;) {
		struct pin p = {0};
		const unsigned char *key;

		r = stmt_step(c, st, "list pins");
		if (r <= 0)
			break;
		key = sqlite3_column_text(st, 0);
		r = key ? row_pin(st, 1, false, &p) : -ENOMEM;
		if (r < 0)
			break;
		a->delivered++;
		if (a->cb(a->ctx, (const char *)key, &p) != 0)
			break;
	}
	if (r < 0 && a->delivered > 0 && r == -EBUSY)
		r = -EIO; /* rows already went out: a retry would repeat them */
	return r < 0 ? r : a->delivered;
}

static int sqlite_pin_list(struct backend *be, const char *tenant, const char *after_key,
			   unsigned limit, size_t max_value, backend_pin_cb cb, void *ctx)
{
	struct list_args a = {tenant, after_key, limit, max_value, cb, ctx, 0};

	if (!cb)
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_READ, do_pin_list, &a);
}

/* ---- tenants ----------------------------------------------------------- */

struct tenant_list_args {
	backend_tenant_cb cb;
	void *ctx;
};

static int do_tenant_list(struct sqlite_conn *c, void *ctx)
{
	struct tenant_list_args *a = ctx;
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r, rc, delivered = 0;

	r = stmt_get(c, ST_TENANT_LIST, &st);
	if (r < 0)
		return r;
	rc = sqlite3_bind_int64(st, 1, realtime_usec());
	if (rc != SQLITE_OK)
		return conn_error(c, rc, "bind parameters");
	for (;;) {
		const unsigned char *name;

		r = stmt_step(c, st, "list tenants");
		if (r <= 0)
			break;
		name = sqlite3_column_text(st, 0);
		if (!name) {
			r = -ENOMEM;
			break;
		}
		delivered++;
		if (a->cb(a->ctx, (const char *)name) != 0)
			break;
	}
	if (r < 0 && delivered > 0 && r == -EBUSY)
		r = -EIO;
	return r < 0 ? r : delivered;
}

static int sqlite_tenant_list(struct backend *be, backend_tenant_cb cb, void *ctx)
{
	struct tenant_list_args a = {cb, ctx};

	if (!cb)
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_READ, do_tenant_list, &a);
}

/* What tenant_state finds: a tenants row, live pins (either makes the tenant exist). */
enum { TENANT_ROW = 1, TENANT_LIVE = 2 };

/* TENANT_ROW | TENANT_LIVE bits for tenant at time now, or -errno. */
static int tenant_state(struct sqlite_conn *c, const char *tenant, pfs_usec_t now)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(c, ST_TENANT_STATE, &st);
	if (r >= 0)
		r = bind_key_now(c, st, tenant, NULL, now);
	if (r >= 0)
		r = stmt_step(c, st, "look up a tenant");
	if (r < 0)
		return r;
	if (r == 0)
		return -EIO;
	return (sqlite3_column_int(st, 0) ? TENANT_ROW : 0) |
	       (sqlite3_column_int(st, 1) ? TENANT_LIVE : 0);
}

static int do_tenant_exists(struct sqlite_conn *c, void *ctx)
{
	int state = tenant_state(c, ctx, realtime_usec());

	return state < 0 ? state : state ? 0 : -ENOENT;
}

static int sqlite_tenant_exists(struct backend *be, const char *tenant)
{
	return txn_run(to_sqlite(be), TXN_READ, do_tenant_exists, (void *)(uintptr_t)tenant);
}

static int do_tenant_create(struct sqlite_conn *c, void *ctx)
{
	pfs_usec_t now = realtime_usec();
	int state = tenant_state(c, ctx, now);

	if (state)
		return state < 0 ? state : -EEXIST;
	return exec_name_time(c, ST_TENANT_INSERT, ctx, now, "create a tenant");
}

struct tenant_times_args {
	const char *tenant;
	struct tenant_times times;
};

/* Steps statement id (?1 the tenant, ?2 now for the pins' one): 1 with a row in ret. */
static int tenant_times_step(struct sqlite_conn *c, enum stmt_id id, const char *tenant,
			     struct tenant_times *ret)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(c, id, &st);
	if (r >= 0) {
		int rc = bind_text(st, 1, tenant);

		if (rc == SQLITE_OK && id == ST_TENANT_TIMES_PINS)
			rc = sqlite3_bind_int64(st, 2, realtime_usec());
		r = rc == SQLITE_OK ? 0 : conn_error(c, rc, "bind parameters");
	}
	if (r >= 0)
		r = stmt_step(c, st, "read a tenant's times");
	if (r > 0) {
		ret->created_at = sqlite3_column_int64(st, 0);
		ret->changed_at = sqlite3_column_int64(st, 1);
	}
	return r;
}

static int do_tenant_times(struct sqlite_conn *c, void *ctx)
{
	struct tenant_times_args *a = ctx;
	int r = tenant_times_step(c, ST_TENANT_TIMES, a->tenant, &a->times);

	if (r == 0)
		r = tenant_times_step(c, ST_TENANT_TIMES_PINS, a->tenant, &a->times);
	return r < 0 ? r : r == 0 ? -ENOENT : 0;
}

static int sqlite_tenant_times(struct backend *be, const char *tenant, struct tenant_times *ret)
{
	struct tenant_times_args a = {.tenant = tenant};
	int r = txn_run(to_sqlite(be), TXN_READ, do_tenant_times, &a);

	if (r == 0)
		*ret = a.times;
	return r;
}

static int sqlite_tenant_create(struct backend *be, const char *tenant)
{
	return txn_run(to_sqlite(be), TXN_WRITE, do_tenant_create, (void *)(uintptr_t)tenant);
}

static int do_tenant_delete(struct sqlite_conn *c, void *ctx)
{
	pfs_usec_t now = realtime_usec();
	int state = tenant_state(c, ctx, now);
	int r;

	if (state < 0)
		return state;
	if (state & TENANT_LIVE)
		return -ENOTEMPTY;
	if (!(state & TENANT_ROW))
		return -ENOENT;
	/* Its expired pins are invisible, but their rows must not outlive it. */
	r = exec_key_now(c, ST_TENANT_PURGE_EXPIRED, ctx, NULL, now, "delete expired pins");
	if (r < 0)
		return r;
	return exec_texts(c, ST_TENANT_DELETE, ctx, NULL, "delete a tenant");
}

static int sqlite_tenant_delete(struct backend *be, const char *tenant)
{
	return txn_run(to_sqlite(be), TXN_WRITE, do_tenant_delete, (void *)(uintptr_t)tenant);
}

/* ---- schema ------------------------------------------------------------ */

static int do_schema_version(struct sqlite_conn *c, void *ctx)
{
	int *ret_version = ctx;
	int r;

	{
		STMT_AUTORESET sqlite3_stmt *st = NULL;

		r = stmt_get(c, ST_SCHEMA_TABLE, &st);
		if (r >= 0)
			r = stmt_step(c, st, "look for the schema version table");
		if (r < 0)
			return r;
		if (r == 0) {
			*ret_version = 0;
			return 0;
		}
	}
	{
		STMT_AUTORESET sqlite3_stmt *st = NULL;

		r = stmt_get(c, ST_SCHEMA_VERSION, &st);
		if (r >= 0)
			r = stmt_step(c, st, "read the schema version");
		if (r < 0)
			return r;
		*ret_version = r ? sqlite3_column_int(st, 0) : 0;
	}
	return 0;
}

static int sqlite_schema_version(struct backend *be, int *ret_version)
{
	int version = 0, r;

	r = txn_run(to_sqlite(be), TXN_SNAPSHOT, do_schema_version, &version);
	if (r < 0)
		return r;
	*ret_version = version;
	return 0;
}

struct migration_args {
	const struct migration *m;
	bool up;
};

static int do_migration_apply(struct sqlite_conn *c, void *ctx)
{
	struct migration_args *a = ctx;
	const struct migration *m = a->m;
	char *errmsg = NULL;
	bool applied;
	int r, rc;

	rc = sqlite3_exec(c->db, schema_table_sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return conn_error(c, rc, "create the schema version table");
	{
		STMT_AUTORESET sqlite3_stmt *st = NULL;

		r = stmt_get(c, ST_SCHEMA_HAS, &st);
		if (r < 0)
			return r;
		rc = sqlite3_bind_int(st, 1, m->version);
		if (rc != SQLITE_OK)
			return conn_error(c, rc, "bind parameters");
		r = stmt_step(c, st, "read the schema version");
		if (r < 0)
			return r;
		applied = r == 1;
	}
	if (a->up == applied)
		return a->up ? -EEXIST : -ENOENT;

	/* No statement may be active on c while the script changes the schema. */
	rc = sqlite3_exec(c->db, a->up ? m->up : m->down, NULL, NULL, &errmsg);
	if (rc != SQLITE_OK) {
		pfs_log(LOG_ERR, "could not apply migration %04d_%s %s to \"%s\": %s", m->version,
			m->name, a->up ? "up" : "down", c->sb->path,
			errmsg ? errmsg : sqlite3_errstr(rc));
		sqlite3_free(errmsg);
		r = sqlite_errno(rc);
		return r == -EBUSY || r == -ENOMEM ? r : -EIO;
	}

	{
		STMT_AUTORESET sqlite3_stmt *st = NULL;

		r = stmt_get(c, a->up ? ST_SCHEMA_INSERT : ST_SCHEMA_DELETE, &st);
		if (r < 0)
			return r;
		rc = sqlite3_bind_int(st, 1, m->version);
		if (rc == SQLITE_OK && a->up)
			rc = bind_text(st, 2, m->name);
		if (rc == SQLITE_OK && a->up)
			rc = bind_time(st, 3, realtime_usec());
		if (rc != SQLITE_OK)
			return conn_error(c, rc, "bind parameters");
		return stmt_run(c, st, "record the schema version");
	}
}

static int sqlite_migration_apply(struct backend *be, const struct migration *m, bool up)
{
	struct migration_args a = {m, up};

	if (!m || m->version <= 0 || !m->name || !(up ? m->up : m->down))
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_WRITE, do_migration_apply, &a);
}

/* ---- metadata, expiry and audit ---------------------------------------- */

struct set_meta_args {
	const char *tenant, *key;
	const struct pin_meta_update *u;
	struct pin_meta meta;
};

static int do_pin_set_meta(struct sqlite_conn *c, void *ctx)
{
	struct set_meta_args *a = ctx;
	const struct pin_meta_update *u = a->u;
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	pfs_usec_t now = realtime_usec();
	/* PIN_TTL_CLEAR leaves ?5 and ?6 NULL. */
	struct sql_param p[] = {P_TEXT_OF(a->tenant), P_TEXT_OF(a->key), P_TEXT_OF(u->source),
				P_INT_OF(u->ttl_op == PIN_TTL_KEEP), P_NULL_V, P_NULL_V,
				P_INT_OF(now), P_TIME_OF(now)};
	int r;

	ttl_params(u->ttl_op, u->ttl_seconds, now, &p[4]);
	r = stmt_get(c, ST_PIN_SET_META, &st);
	if (r >= 0)
		r = bind_params(c, st, p, PFS_ARRAY_SIZE(p));
	if (r < 0)
		return r;
	r = stmt_step(c, st, "change a pin's metadata");
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT; /* no row, or only an expired one: that pin is gone */
	row_meta(st, 0, &a->meta);
	return stmt_run(c, st, "change a pin's metadata");
}

static int sqlite_pin_set_meta(struct backend *be, const char *tenant, const char *key,
			       const struct pin_meta_update *u, struct pin_meta *ret_meta)
{
	struct set_meta_args a = {.tenant = tenant, .key = key, .u = u};
	int r;

	if (!u)
		return -EINVAL;
	if (u->ttl_op != PIN_TTL_KEEP && u->ttl_op != PIN_TTL_SET && u->ttl_op != PIN_TTL_CLEAR)
		return -EINVAL;
	if (u->ttl_op == PIN_TTL_SET && (u->ttl_seconds < 0 || u->ttl_seconds > PIN_TTL_MAX))
		return -EINVAL;
	if (u->source && strlen(u->source) >= PIN_SOURCE_MAX)
		return -EINVAL;
	r = txn_run(to_sqlite(be), TXN_WRITE, do_pin_set_meta, &a);
	if (r < 0)
		return r;
	if (ret_meta)
		*ret_meta = a.meta; /* only once committed */
	return 0;
}

/* One pin expire found: what its audit row and the callback need. */
struct expired_pin {
	int64_t id;
	char *tenant; /* owned */
	char *key;    /* owned */
	char sha[17]; /* audit_hash_value() of the stored value ("" in a dry run) */
	int64_t version;
};

struct expire_args {
	bool dry_run;
	int64_t limit;
	const char *source;
	struct expired_pin *v; /* owned, n used of cap */
	size_t n, cap;
};

static void expired_clear(struct expire_args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].tenant);
		free(a->v[i].key);
	}
	a->n = 0;
}

/* Appends the row st is on (ST_EXPIRED_SELECT's columns) to a->v. */
static int expired_add(struct expire_args *a, sqlite3_stmt *st)
{
	const unsigned char *tenant = sqlite3_column_text(st, 1);
	const unsigned char *key = tenant ? sqlite3_column_text(st, 2) : NULL;
	struct expired_pin *e;

	if (!tenant || !key)
		return -ENOMEM; /* NOT NULL columns: only an allocation failure yields NULL */
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct expired_pin *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	e = &a->v[a->n];
	*e = (struct expired_pin){.id = sqlite3_column_int64(st, 0),
				  .version = sqlite3_column_int64(st, 4)};
	e->tenant = strdup((const char *)tenant);
	e->key = strdup((const char *)key);
	if (!e->tenant || !e->key) {
		free(e->tenant);
		free(e->key);
		return -ENOMEM;
	}
	if (!a->dry_run) {
		const unsigned char *value = sqlite3_column_text(st, 3);

		if (!value) {
			free(e->tenant);
			free(e->key);
			return -ENOMEM;
		}
		audit_hash_value((const char *)value, (size_t)sqlite3_column_bytes(st, 3), e->sha);
	}
	a->n++;
	return 0;
}

/* Writes the memory_audit row for one expired pin. */
static int expire_audit(struct sqlite_conn *c, const struct expire_args *a,
			const struct expired_pin *e, pfs_usec_t now)
{
	STMT_AUTORESET sqlite3_stmt *st = NULL;
	int r, rc;

	r = stmt_get(c, ST_EXPIRE_AUDIT, &st);
	if (r < 0)
		return r;
	rc = bind_time(st, 1, now);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 2, e->tenant);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 3, e->key);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 4, a->source);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 5, e->sha);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, e->version);
	if (rc != SQLITE_OK)
		return conn_error(c, rc, "bind parameters");
	return stmt_run(c, st, "audit an expired pin");
}

static int do_expire(struct sqlite_conn *c, void *ctx)
{
	struct expire_args *a = ctx;
	pfs_usec_t now = realtime_usec();
	int r, rc;

	expired_clear(a); /* a retry after -EBUSY starts over */
	{
		STMT_AUTORESET sqlite3_stmt *st = NULL;

		r = stmt_get(c, ST_EXPIRED_SELECT, &st);
		if (r < 0)
			return r;
		rc = sqlite3_bind_int64(st, 1, now);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, a->limit);
		if (rc != SQLITE_OK)
			return conn_error(c, rc, "bind parameters");
		/* Read them all first: deleting rows under an open SELECT is undefined. */
		for (;;) {
			r = stmt_step(c, st, "find expired pins");
			if (r <= 0)
				break;
			r = expired_add(a, st);
			if (r < 0)
				break;
		}
		if (r < 0)
			return r;
	}
	if (a->dry_run)
		return 0;
	/* Each pin goes with its audit row, all in this one transaction. */
	for (size_t i = 0; i < a->n; i++) {
		r = exec_id(c, ST_PIN_DELETE_ID, a->v[i].id, "delete an expired pin");
		if (r >= 0)
			r = expire_audit(c, a, &a->v[i], now);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sqlite_expire(struct backend *be, bool dry_run, unsigned limit, const char *source,
			 backend_expired_cb cb, void *ctx)
{
	struct expire_args a = {
	    .dry_run = dry_run,
	    .limit = limit > INT_MAX ? INT_MAX : (int64_t)limit, /* the count must fit an int */
	    .source = source,
	};
	int r;

	/* memory_audit.source is NOT NULL: refuse up front, not only when a pin expired. */
	if (!dry_run && !source)
		return -EINVAL;
	/* A dry run is one SELECT: its own snapshot, no write lock. */
	r = txn_run(to_sqlite(be), dry_run ? TXN_READ : TXN_WRITE, do_expire, &a);
	if (r >= 0) {
		/* After the commit, holding no connection: cb may call this backend. */
		for (size_t i = 0; cb && i < a.n; i++)
			if (cb(ctx, a.v[i].tenant, a.v[i].key) != 0)
				break;
		r = (int)a.n;
	}
	expired_clear(&a);
	free(a.v);
	return r;
}


static int audit_insert(struct sqlite_conn *c, const struct audit_event *e)
{
	const struct sql_param p[] = {
		P_TIME_OF(e->time_us), P_FIELD_OF(e->operation),
		P_FIELD_OF(e->tenant), P_FIELD_OF(e->key), P_INT_OF(e->uid),
		P_FIELD_OF(e->subject), P_INT_OF(e->success),
		P_FIELD_OF(e->error_code), {.kind = P_REAL, .d = e->latency_ms},
		P_FIELD_OF(e->value_sha256), P_INT_OF(e->version),
	};

	return exec_params(c, ST_AUDIT_INSERT, p, PFS_ARRAY_SIZE(p), "write an audit row");
}

static int rbac_audit_insert(struct sqlite_conn *c, const struct rbac_event *e)
{
	const struct sql_param p[] = {
		P_TIME_OF(e->time_us), P_FIELD_OF(e->subject),
		P_INT_OF(e->uid), P_FIELD_OF(e->resource), P_FIELD_OF(e->action),
		P_FIELD_OF(e->decision), P_FIELD_OF(e->reason), P_FIELD_OF(e->tenant),
		P_FIELD_OF(e->key), P_FIELD_OF(e->policy_version),
	};

	return exec_params(c, ST_RBAC_AUDIT_INSERT, p, PFS_ARRAY_SIZE(p), "write an RBAC audit row");
}

struct audit_args {
	const struct audit_event *ev; /* one of ev and rev */
	const struct rbac_event *rev;
	size_t n;
};

static int do_audit_append(struct sqlite_conn *c, void *ctx)
{
	struct audit_args *a = ctx;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < a->n; i++)
		r = a->ev ? audit_insert(c, &a->ev[i]) : rbac_audit_insert(c, &a->rev[i]);
	return r < 0 ? r : 0;
}

static int sqlite_audit_append(struct backend *be, const struct audit_event *ev, size_t n)
{
	struct audit_args a = {.ev = ev, .n = n};

	if (n == 0)
		return 0;
	if (!ev)
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_WRITE, do_audit_append, &a);
}

static int sqlite_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n)
{
	struct audit_args a = {.rev = ev, .n = n};

	if (n == 0)
		return 0;
	if (!ev)
		return -EINVAL;
	return txn_run(to_sqlite(be), TXN_WRITE, do_audit_append, &a);
}

/* ---- lifecycle --------------------------------------------------------- */

static int do_ping(struct sqlite_conn *c, void *ctx)
{
	(void)ctx;
	return exec_cached(c, ST_PING);
}

static int sqlite_ping(struct backend *be)
{
	return txn_run(to_sqlite(be), TXN_READ, do_ping, NULL);
}

static void sqlite_free(struct backend *be)
{
	struct sqlite_backend *sb = to_sqlite(be);

	if (!sb)
		return;
	for (size_t i = 0; i < sb->n_conns; i++)
		conn_close(&sb->conns[i]);
	if (sb->sync_ready) {
		pthread_cond_destroy(&sb->writer_done);
		pthread_cond_destroy(&sb->lock_gone);
		pthread_cond_destroy(&sb->conn_idle);
		pthread_mutex_destroy(&sb->lock);
	}
	free(sb->path);
	free(sb->lock_path);
	free(sb->base.uri_redacted);
	free(sb);
}

static struct sqlite_backend *sqlite_backend_free(struct sqlite_backend *sb)
{
	sqlite_free(sb ? &sb->base : NULL);
	return NULL;
}
PFS_DEFINE_FREEP(struct sqlite_backend, sqlite_backend_free)

/* Creates the missing directories above path (mode 0700: pins are private). */
static int mkdir_parents(const char *path)
{
	PFS_AUTOFREE char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		if (s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int sync_init(struct sqlite_backend *sb)
{
	pthread_condattr_t attr;
	int e;

	e = pthread_condattr_init(&attr);
	if (e)
		return -e;
	e = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!e)
		e = pthread_mutex_init(&sb->lock, NULL);
	if (!e) {
		e = pthread_cond_init(&sb->conn_idle, &attr);
		if (e)
			pthread_mutex_destroy(&sb->lock);
	}
	if (!e) {
		e = pthread_cond_init(&sb->writer_done, &attr);
		if (e) {
			pthread_cond_destroy(&sb->conn_idle);
			pthread_mutex_destroy(&sb->lock);
		}
	}
	if (!e) {
		e = pthread_cond_init(&sb->lock_gone, &attr);
		if (e) {
			pthread_cond_destroy(&sb->writer_done);
			pthread_cond_destroy(&sb->conn_idle);
			pthread_mutex_destroy(&sb->lock);
		}
	}
	pthread_condattr_destroy(&attr);
	if (e)
		return -e;
	sb->sync_ready = true;
	return 0;
}

static int sqlite_open(const char *uri, const struct backend_params *params, struct backend **ret,
		       struct pfs_error *reterr)
{
	PFS_CLEANUP(sqlite_backend_freep) struct sqlite_backend *sb = NULL;
	const char *path;
	size_t n;
	int r;

	if (strncmp(uri, SQLITE_URI_PREFIX, strlen(SQLITE_URI_PREFIX)) != 0)
		return pfs_error_set(reterr, -EINVAL, 0, "not an SQLite URI: \"%s\"", uri);
	path = uri + strlen(SQLITE_URI_PREFIX);
	if (path[0] != '/')
		return pfs_error_set(reterr, -EINVAL, 0,
				     "SQLite path in \"%s\" is not absolute: use "
				     "sqlite:///absolute/path/to/file.db",
				     uri);
	if (path[strlen(path) - 1] == '/')
		return pfs_error_set(reterr, -EINVAL, 0,
				     "SQLite path in \"%s\" names a directory, not a file", uri);
	if (!sqlite3_threadsafe())
		return pfs_error_set(reterr, -EIO, 0,
				     "the SQLite library was built without thread support");

	n = params && params->pool_size ? params->pool_size : SQLITE_DEFAULT_POOL;
	if (n > SQLITE_POOL_MAX)
		n = SQLITE_POOL_MAX;
	sb = calloc(1, sizeof(*sb) + n * sizeof(sb->conns[0]));
	if (!sb)
		return pfs_error_set(reterr, -ENOMEM, 0, "out of memory");
	sb->base.ops = &backend_sqlite_ops;
	sb->base.migrations = migrations_sqlite;
	sb->base.uri_redacted = strdup(uri); /* no credentials in a file URI */
	sb->path = strdup(path);
	if (sb->path && asprintf(&sb->lock_path, "%s-pinlocks", path) < 0)
		sb->lock_path = NULL;
	if (!sb->base.uri_redacted || !sb->path || !sb->lock_path)
		return pfs_error_set(reterr, -ENOMEM, 0, "out of memory");
	sb->lock_max = params && params->lock_connections ? params->lock_connections : 32;
	sb->busy_ms = params && params->statement_timeout_ms ? params->statement_timeout_ms
							     : SQLITE_DEFAULT_BUSY_MS;
	if (sb->busy_ms > INT_MAX)
		sb->busy_ms = INT_MAX;
	sb->pool_wait_ms =
	    params && params->pool_wait_ms ? params->pool_wait_ms : SQLITE_DEFAULT_WAIT_MS;
	r = sync_init(sb);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not initialise a lock: %s", strerror(-r));

	r = mkdir_parents(sb->path);
	if (r < 0)
		return pfs_error_set(reterr, r == -ENOMEM ? r : -EIO, 0,
				     "could not create the directory of \"%s\": %s", sb->path,
				     strerror(-r));

	/* Open every connection now, so a bad file fails the open, not a request. */
	for (size_t i = 0; i < n; i++) {
		r = conn_open(sb, &sb->conns[i], reterr);
		sb->n_conns = i + 1;
		if (r < 0)
			return r;
		sb->conns[i].next = sb->idle;
		sb->idle = &sb->conns[i];
	}
	*ret = &((struct sqlite_backend *)steal_ptr(&sb))->base;
	return 0;
}

/* ---- locks ------------------------------------------------------------- */

/*
 * A lock is one byte of the file PATH-pinlocks next to the database, at
 * the offset the lock's number names, locked with an open file description
 * lock (F_OFD_SETLK): every holder opens the file itself, so holders
 * exclude each other within this process as across every process of the
 * host, and a lock goes with its descriptor, whoever dies. Nothing is
 * ever written to the file. A holder that must wait tries again when a
 * holder of this process lets go, and at least every SQLITE_LOCK_POLL_MS
 * (holders in other processes cannot wake it).
 */
#define SQLITE_LOCK_POLL_MS 20

struct backend_lock {
	struct sqlite_backend *sb;
	int fd;
	off_t at;
	enum backend_lock_mode mode;
};

static int sqlite_lock_new(struct backend *be, uint64_t id, struct backend_lock **ret)
{
	struct sqlite_backend *sb = to_sqlite(be);
	struct backend_lock *l;
	bool full;

	pthread_mutex_lock(&sb->lock);
	full = sb->lock_holders >= sb->lock_max;
	if (!full)
		sb->lock_holders++;
	pthread_mutex_unlock(&sb->lock);
	if (full)
		return -ENOLCK;
	l = calloc(1, sizeof(*l));
	if (l)
		l->fd = open(sb->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (!l || l->fd < 0) {
		int r = l ? -errno : -ENOMEM;

		if (l)
			pfs_log(LOG_WARNING, "could not open the lock file \"%s\": %s", sb->lock_path,
				strerror(-r));
		free(l);
		pthread_mutex_lock(&sb->lock);
		sb->lock_holders--;
		pthread_mutex_unlock(&sb->lock);
		return r == -ENOMEM ? r : -EIO;
	}
	l->sb = sb;
	/* Any offset below the largest off_t: one byte each, never two locks' bytes. */
	l->at = (off_t)(id & (UINT64_MAX >> 2));
	*ret = l;
	return 0;
}

/* One F_OFD_SETLK: 0, -EWOULDBLOCK (held elsewhere), -EIO. */
static int ofd_set(struct backend_lock *l, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = l->at, .l_len = 1};

	if (fcntl(l->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return -EWOULDBLOCK;
	pfs_log(LOG_DEBUG, "lock on \"%s\" failed: %s", l->sb->lock_path, strerror(errno));
	return -EIO;
}

/* A holder of this process let go: waiters look again. */
static void lock_gone(struct sqlite_backend *sb)
{
	pthread_mutex_lock(&sb->lock);
	pthread_cond_broadcast(&sb->lock_gone);
	pthread_mutex_unlock(&sb->lock);
}

static int sqlite_lock_set(struct backend_lock *l, enum backend_lock_mode mode, const int *cancel)
{
	struct sqlite_backend *sb = l->sb;
	int r;

	if (mode == l->mode)
		return 0;
	/* A conversion lets go first, as flock(2) does: two upgraders cannot livelock. */
	if (l->mode != BACKEND_LOCK_NONE) {
		(void)ofd_set(l, F_UNLCK);
		l->mode = BACKEND_LOCK_NONE;
		lock_gone(sb);
	}
	if (mode == BACKEND_LOCK_NONE)
		return 0;
	for (;;) {
		struct timespec until;

		r = ofd_set(l, mode == BACKEND_LOCK_SHARED ? F_RDLCK : F_WRLCK);
		if (r != -EWOULDBLOCK || !cancel)
			break;
		if (__atomic_load_n(cancel, __ATOMIC_ACQUIRE))
			return -EINTR;
		until = monotonic_deadline(SQLITE_LOCK_POLL_MS);
		pthread_mutex_lock(&sb->lock);
		(void)pthread_cond_timedwait(&sb->lock_gone, &sb->lock, &until);
		pthread_mutex_unlock(&sb->lock);
	}
	if (r == 0)
		l->mode = mode;
	return r;
}

static void sqlite_lock_free(struct backend_lock *l)
{
	struct sqlite_backend *sb;

	if (!l)
		return;
	sb = l->sb;
	close(l->fd);	/* what the descriptor held goes with it */
	pthread_mutex_lock(&sb->lock);
	sb->lock_holders--;
	pthread_cond_broadcast(&sb->lock_gone);
	pthread_mutex_unlock(&sb->lock);
	free(l);
}

const struct backend_ops backend_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .free = sqlite_free,
    .schema_version = sqlite_schema_version,
    .migration_apply = sqlite_migration_apply,
    .pin_get = sqlite_pin_get,
    .pin_upsert = sqlite_pin_upsert,
    .pin_delete = sqlite_pin_delete,
    .pin_rename = sqlite_pin_rename,
    .pin_list = sqlite_pin_list,
    .tenant_list = sqlite_tenant_list,
    .tenant_exists = sqlite_tenant_exists,
    .tenant_times = sqlite_tenant_times,
    .tenant_create = sqlite_tenant_create,
    .tenant_delete = sqlite_tenant_delete,
    .ping = sqlite_ping,
    .pin_set_meta = sqlite_pin_set_meta,
    .expire = sqlite_expire,
    .audit_append = sqlite_audit_append,
    .rbac_audit_append = sqlite_rbac_audit_append,
    .lock_new = sqlite_lock_new,
    .lock_set = sqlite_lock_set,
    .lock_free = sqlite_lock_free,
};
