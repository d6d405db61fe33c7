/* SPDX-License-Identifier: MIT */
/*
 * Backend conformance suite: the contract of include/pinfs/backend.h,
 * checked through its public API only, against whichever driver
 * PINFS_TEST_BACKEND_URI names. Unset or empty, it uses a fresh SQLite file
 * in a new directory under $TMPDIR (or /tmp), removed afterwards; the
 * integration harness runs the same binary against PostgreSQL, directly
 * and through PgBouncer in transaction mode (PINFS_TEST_BACKEND_POOLER=
 * transaction: the backend is opened as a route with "pooler": "transaction"
 * would be).
 *
 * The group setup opens the backend and migrates it up with the embedded
 * migrations (backend_schema_version() and be->ops->migration_apply() over
 * be->migrations), so a database that is already current is fine.
 *
 * Every test uses its own tenants, named with a per-run prefix, so tests
 * are independent and the suite can be rerun on a database that keeps
 * earlier runs' rows. The migration round trip (down, then up again) wipes
 * the tables and therefore runs last.
 *
 * Values are written in the form PostgreSQL's jsonb prints them
 * ({"a": 1}, [1, 2]), so both drivers read back the same bytes.
 * Callbacks never assert: a failed assertion would longjmp out of the
 * driver while it holds a connection. They record, and the test asserts
 * afterwards.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
/* Tests only: the SQLite tests read the audit rows that no backend call returns. */
#include <sqlite3.h>

#include "pinfs/audit.h"
#include "pinfs/backend.h"

#define LIST_KEYS 1000
#define LIST_PAGE 7
#define THREADS 8
#define THREAD_WRITES 40
#define USEC_PER_SEC INT64_C(1000000)
/* A read's bound on the value's length that no test value reaches. */
#define ANY_LENGTH ((size_t)64 << 20)

static struct {
	struct backend *be;
	char uri[PATH_MAX + 16];
	bool is_sqlite;
	char scratch[PATH_MAX]; /* SQLite only: a directory this run owns */
	char prefix[32];	/* per run, for tenant names */
} S;

/* ---- helpers ----------------------------------------------------------- */

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t size, const char *format, ...) PFS_PRINTF(3, 4);
static void fmt(char *buf, size_t size, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(buf, size, format, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

/* Writes "<run prefix>-<name>" into buf: a tenant only this test uses. */
static const char *tenant(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s-%s", S.prefix, name);

	assert_true(n > 0 && (size_t)n < size && n <= 64);
	return buf;
}
#define TENANT(var, name)                                                                          \
	char var##_buf[80];                                                                        \
	const char *var = tenant(var##_buf, sizeof(var##_buf), name)

static pfs_usec_t wall_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (pfs_usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int upsert_full(const char *t, const char *key, const char *value, const char *source,
		       enum pin_ttl_op op, int32_t ttl, struct pin_meta *ret_meta)
{
	struct pin_write w = {
	    .value = value,
	    .value_len = strlen(value),
	    .source = source,
	    .ttl_op = op,
	    .ttl_seconds = ttl,
	};

	return backend_pin_upsert(S.be, t, key, &w, ret_meta);
}

static void put(const char *t, const char *key, const char *value, struct pin_meta *ret_meta)
{
	struct pin_meta m;

	assert_int_equal(upsert_full(t, key, value, NULL, PIN_TTL_KEEP, 0, &m), 0);
	if (ret_meta)
		*ret_meta = m;
}

/* Writes key with PIN_TTL_SET 0: it expires at once. */
static void put_expired(const char *t, const char *key, const char *value, const char *source)
{
	struct pin_meta m;

	assert_int_equal(upsert_full(t, key, value, source, PIN_TTL_SET, 0, &m), 0);
	assert_int_equal(m.ttl_seconds, 0);
	assert_true(m.expires_at != 0);
}

/* Asserts that key reads back as value and returns its metadata. */
static void expect_pin(const char *t, const char *key, const char *value, struct pin_meta *ret_meta)
{
	struct pin p = {0};

	assert_int_equal(backend_pin_get(S.be, t, key, ANY_LENGTH, &p), 0);
	assert_non_null(p.value);
	assert_string_equal(p.value, value);
	assert_int_equal(p.value_len, strlen(value));
	if (ret_meta)
		*ret_meta = p.meta;
	pin_done(&p);
}

static void expect_no_pin(const char *t, const char *key)
{
	struct pin p = {0};

	assert_int_equal(backend_pin_get(S.be, t, key, ANY_LENGTH, &p), -ENOENT);
	assert_null(p.value);
}

static void assert_meta_equal(const struct pin_meta *a, const struct pin_meta *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->updated_at, b->updated_at);
	assert_int_equal(a->expires_at, b->expires_at);
	assert_int_equal(a->ttl_seconds, b->ttl_seconds);
	assert_string_equal(a->source, b->source);
}

/* Pins collected by pin_list. */
struct rows {
	size_t n, cap;
	char **keys;
	char **values;
	int64_t *ids;
	size_t stop_after; /* non-zero: the callback stops at this row */
	bool oom;
};

static int rows_cb(void *ctx, const char *key, const struct pin *p)
{
	struct rows *rs = ctx;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		char **k = realloc(rs->keys, cap * sizeof(*k));
		char **v = k ? realloc(rs->values, cap * sizeof(*v)) : NULL;
		int64_t *ids = v ? realloc(rs->ids, cap * sizeof(*ids)) : NULL;

		if (k)
			rs->keys = k;
		if (v)
			rs->values = v;
		if (!ids) {
			rs->oom = true;
			return 1;
		}
		rs->ids = ids;
		rs->cap = cap;
	}
	rs->keys[rs->n] = strdup(key);
	if (p->value) {
		rs->values[rs->n] = strndup(p->value, p->value_len);
	} else if (asprintf(&rs->values[rs->n], "<no value: %zu bytes>", p->value_len) < 0) {
		rs->values[rs->n] = NULL;
	}
	rs->ids[rs->n] = p->meta.id;
	if (!rs->keys[rs->n] || !rs->values[rs->n])
		rs->oom = true;
	rs->n++;
	return rs->stop_after && rs->n >= rs->stop_after ? 1 : 0;
}

static void rows_done(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->keys[i]);
		free(rs->values[i]);
	}
	free(rs->keys);
	free(rs->values);
	free(rs->ids);
	*rs = (struct rows){0};
}

/* Lists a whole tenant in pages of page rows, appending to rs; returns the page count. */
static int list_all(const char *t, unsigned page, struct rows *rs)
{
	char *after = NULL;
	int pages = 0, r;

	for (;;) {
		size_t before = rs->n;

		r = backend_pin_list(S.be, t, after, page, ANY_LENGTH, rows_cb, rs);
		assert_false(rs->oom);
		assert_true(r >= 0);
		assert_int_equal((size_t)r, rs->n - before);
		assert_true((unsigned)r <= page);
		pages++;
		if ((unsigned)r < page)
			break;
		free(after);
		after = strdup(rs->keys[rs->n - 1]);
		assert_non_null(after);
	}
	free(after);
	return pages;
}

/* Tenant names collected by tenant_list. */
struct names {
	size_t n, cap;
	char **v;
	bool oom;
};

static int names_cb(void *ctx, const char *name)
{
	struct names *ns = ctx;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (!v) {
			ns->oom = true;
			return 1;
		}
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(name);
	if (!ns->v[ns->n])
		ns->oom = true;
	ns->n++;
	return 0;
}

static void names_done(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	*ns = (struct names){0};
}

static void list_tenants(struct names *ns)
{
	int r = backend_tenant_list(S.be, names_cb, ns);

	assert_false(ns->oom);
	assert_true(r >= 0); /* backend.h does not say what it counts */
	/* Sorted byte-wise, no duplicates. */
	for (size_t i = 1; i < ns->n; i++)
		assert_true(strcmp(ns->v[i - 1], ns->v[i]) < 0);
}

static size_t count_name(const struct names *ns, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < ns->n; i++)
		k += strcmp(ns->v[i], name) == 0;
	return k;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Applies every embedded migration newer than the database's version. */
static int migrate_up(struct backend *be)
{
	int version = -1, r;

	r = backend_schema_version(be, &version);
	if (r < 0)
		return r;
	for (const struct migration *m = be->migrations; m && m->version; m++) {
		if (m->version <= version)
			continue;
		r = be->ops->migration_apply(be, m, true);
		if (r < 0) {
			fprintf(stderr, "# migration %04d_%s failed: %s\n", m->version, m->name,
				strerror(-r));
			return r;
		}
	}
	return 0;
}

/* PINFS_TEST_BACKEND_POOLER: "transaction", or unset/empty/"none". */
static enum backend_pooler pooler_from_env(void)
{
	const char *env = getenv("PINFS_TEST_BACKEND_POOLER");

	if (env && strcmp(env, "transaction") == 0)
		return BACKEND_POOLER_TRANSACTION;
	if (env && env[0] && strcmp(env, "none") != 0)
		fprintf(stderr, "# PINFS_TEST_BACKEND_POOLER=\"%s\" is not \"none\" or "
				"\"transaction\", ignoring\n", env);
	return BACKEND_POOLER_NONE;
}

static int open_params(const char *uri, unsigned pool_size, unsigned pool_wait_ms,
		       struct backend **ret)
{
	struct backend_params params;
	struct pfs_error err = {0};
	int r;

	backend_params_default(&params);
	if (pool_size)
		params.pool_size = pool_size;
	if (pool_wait_ms)
		params.pool_wait_ms = pool_wait_ms;
	params.pooler = pooler_from_env();
	r = backend_open(uri, &params, ret, &err);
	if (r < 0)
		fprintf(stderr, "# could not open \"%s\": %s\n", uri, err.message);
	return r;
}

/* ---- suite setup ------------------------------------------------------- */

static int rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 32];

	if (!dir[0] || strchr(dir, '\'') || strncmp(dir, "/", 1) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	return system(cmd);
}

static int suite_teardown(void **state)
{
	(void)state;
	S.be = backend_free(S.be);
	if (S.scratch[0])
		(void)rm_rf(S.scratch);
	S.scratch[0] = '\0';
	return 0;
}

static int suite_setup(void **state)
{
	const char *env = getenv("PINFS_TEST_BACKEND_URI");
	const char *tmp = getenv("TMPDIR");
	int r;

	(void)state;
	snprintf(S.prefix, sizeof(S.prefix), "ct%lx",
		 (unsigned long)((uint64_t)wall_usec() ^ ((uint64_t)getpid() << 20)) &
		     0xffffffffffUL);

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	if (S.is_sqlite) {
		snprintf(S.scratch, sizeof(S.scratch), "%s/pinfs-conformance-XXXXXX", tmp);
		if (!mkdtemp(S.scratch)) {
			fprintf(stderr, "# could not create a directory in \"%s\": %s\n", tmp,
				strerror(errno));
			return -1;
		}
	}
	if (env && env[0]) {
		snprintf(S.uri, sizeof(S.uri), "%s", env);
	} else {
		/* A missing parent directory: the driver must create it. */
		fmt(S.uri, sizeof(S.uri), "sqlite://%s/db/pins.db", S.scratch);
	}

	r = open_params(S.uri, 0, 0, &S.be);
	if (r >= 0) {
		r = migrate_up(S.be);
		if (r < 0)
			fprintf(stderr, "# could not migrate \"%s\": %s\n", backend_name(S.be),
				strerror(-r));
	}
	if (r < 0) {
		(void)suite_teardown(state); /* cmocka may not run it after a failed setup */
		return -1;
	}
	return 0;
}

/* ---- basics ------------------------------------------------------------ */

static void test_backend_ping_answers_zero(void **state)
{
	(void)state;
	assert_int_equal(backend_ping(S.be), 0);
}

static void test_backend_schema_version_is_newest_embedded(void **state)
{
	int version = -1, newest = 0;

	(void)state;
	assert_non_null(S.be->migrations);
	for (const struct migration *m = S.be->migrations; m->version; m++) {
		assert_true(m->version > newest); /* ascending, no duplicates */
		assert_non_null(m->name);
		assert_non_null(m->up);
		assert_non_null(m->down);
		newest = m->version;
	}
	assert_true(newest >= 1);
	assert_int_equal(backend_schema_required(S.be), newest);
	assert_int_equal(backend_schema_version(S.be, &version), 0);
	assert_int_equal(version, newest);
}

static void test_backend_uri_redacted_is_set(void **state)
{
	(void)state;
	assert_non_null(S.be->uri_redacted);
	assert_non_null(S.be->ops);
	assert_non_null(S.be->ops->name);
	if (S.is_sqlite)
		assert_string_equal(backend_name(S.be), S.uri);
}

/* ---- get / upsert / delete --------------------------------------------- */

static void test_backend_pin_get_missing_is_enoent(void **state)
{
	TENANT(t, "get-missing");

	(void)state;
	expect_no_pin(t, "nothing");
	put(t, "present", "1", NULL);
	expect_no_pin(t, "absent");
	expect_no_pin(t, "Present"); /* keys are case-sensitive */
}

static void test_backend_pin_upsert_new_then_get_roundtrips(void **state)
{
	static const char *const values[] = {
	    "{\"a\": 1, \"b\": [1, 2]}",
	    "\"a string\"",
	    "42",
	    "-1.5",
	    "true",
	    "false",
	    "null",
	    "[]",
	    "{}",
	    "{\"nested\": {\"deep\": [true, null, \"x\"]}}",
	};
	TENANT(t, "roundtrip");
	pfs_usec_t before = wall_usec();

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct pin_meta written, read;
		char key[32];

		snprintf(key, sizeof(key), "k%zu", i);
		put(t, key, values[i], &written);
		assert_true(written.id > 0);
		assert_string_equal(written.source, "fs");
		assert_int_equal(written.ttl_seconds, -1);
		assert_int_equal(written.expires_at, 0);
		assert_true(written.created_at <= written.updated_at);
		/* Stamped by the backend's clock: allow for skew with ours. */
		assert_true(written.created_at >= before - 5 * USEC_PER_SEC);
		assert_true(written.updated_at <= wall_usec() + 5 * USEC_PER_SEC);
		expect_pin(t, key, values[i], &read);
		assert_meta_equal(&written, &read);
	}
}

static void test_backend_pin_upsert_existing_keeps_id_and_created_at(void **state)
{
	struct pin_meta m1, m2, m3;
	TENANT(t, "update");

	(void)state;
	put(t, "k", "1", &m1);
	sleep_ms(5);
	put(t, "k", "{\"v\": 2}", &m2);
	assert_int_equal(m2.id, m1.id);
	assert_int_equal(m2.created_at, m1.created_at);
	assert_true(m2.updated_at > m1.updated_at);
	expect_pin(t, "k", "{\"v\": 2}", &m3);
	assert_meta_equal(&m2, &m3);
}

static void test_backend_pin_upsert_ids_are_distinct(void **state)
{
	struct pin_meta a, b, c;
	TENANT(t, "ids");
	TENANT(u, "ids-other");

	(void)state;
	put(t, "a", "1", &a);
	put(t, "b", "1", &b);
	put(u, "a", "1", &c); /* same key, other tenant: another pin */
	assert_true(a.id != b.id);
	assert_true(a.id != c.id);
	assert_true(b.id != c.id);
	expect_pin(u, "a", "1", NULL);
}

static void test_backend_pin_upsert_source_is_kept_or_set(void **state)
{
	struct pin_meta m;
	TENANT(t, "source");

	(void)state;
	assert_int_equal(upsert_full(t, "seeded", "1", "seed", PIN_TTL_KEEP, 0, &m), 0);
	assert_string_equal(m.source, "seed");
	/* NULL keeps the current source. */
	assert_int_equal(upsert_full(t, "seeded", "2", NULL, PIN_TTL_KEEP, 0, &m), 0);
	assert_string_equal(m.source, "seed");
	expect_pin(t, "seeded", "2", &m);
	assert_string_equal(m.source, "seed");
	assert_int_equal(upsert_full(t, "seeded", "3", "fs", PIN_TTL_KEEP, 0, &m), 0);
	assert_string_equal(m.source, "fs");
	/* A new pin without a source is "fs". */
	assert_int_equal(upsert_full(t, "fresh", "1", NULL, PIN_TTL_KEEP, 0, &m), 0);
	assert_string_equal(m.source, "fs");
}

static void test_backend_pin_upsert_invalid_json_is_einval(void **state)
{
	TENANT(t, "badjson");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "{nope", NULL, PIN_TTL_KEEP, 0, NULL), -EINVAL);
	expect_no_pin(t, "k");
	put(t, "k", "[1]", NULL);
	assert_int_equal(upsert_full(t, "k", "[1,", NULL, PIN_TTL_KEEP, 0, NULL), -EINVAL);
	expect_pin(t, "k", "[1]", NULL); /* the previous value, untouched */
}

static void test_backend_pin_upsert_ttl_out_of_range_is_einval(void **state)
{
	TENANT(t, "ttl-range");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "1", NULL, PIN_TTL_SET, PIN_TTL_MAX + 1, NULL),
			 -EINVAL);
	assert_int_equal(upsert_full(t, "k", "1", NULL, PIN_TTL_SET, -1, NULL), -EINVAL);
	expect_no_pin(t, "k");
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT); /* rolled back whole */
}

static void test_backend_pin_delete_removes_then_enoent(void **state)
{
	TENANT(t, "delete");

	(void)state;
	assert_int_equal(backend_pin_delete(S.be, t, "never"), -ENOENT);
	put(t, "k", "1", NULL);
	put(t, "other", "2", NULL);
	assert_int_equal(backend_pin_delete(S.be, t, "k"), 0);
	expect_no_pin(t, "k");
	assert_int_equal(backend_pin_delete(S.be, t, "k"), -ENOENT);
	expect_pin(t, "other", "2", NULL);
}

static void test_backend_pin_delete_then_upsert_is_new_pin(void **state)
{
	struct pin_meta m1, m2;
	TENANT(t, "recreate");

	(void)state;
	put(t, "k", "1", &m1);
	assert_int_equal(backend_pin_delete(S.be, t, "k"), 0);
	put(t, "k", "2", &m2);
	assert_true(m2.id != m1.id); /* ids are never reused */
	assert_true(m2.created_at >= m1.created_at);
}

/* ---- rename ------------------------------------------------------------ */

static void test_backend_pin_rename_moves_and_keeps_id(void **state)
{
	struct pin_meta m1, m2;
	TENANT(t, "rename");

	(void)state;
	put(t, "from", "{\"x\": 1}", &m1);
	assert_int_equal(backend_pin_rename(S.be, t, "from", "to", 0, NULL), 0);
	expect_no_pin(t, "from");
	expect_pin(t, "to", "{\"x\": 1}", &m2);
	assert_int_equal(m2.id, m1.id);
	assert_int_equal(m2.created_at, m1.created_at);
}

static void test_backend_pin_rename_onto_existing_replaces_it(void **state)
{
	struct pin_meta src, dst, got;
	struct rows rs = {0};
	TENANT(t, "rename-replace");

	(void)state;
	put(t, "a", "\"new\"", &src);
	put(t, "b", "\"old\"", &dst);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", 0, NULL), 0);
	expect_no_pin(t, "a");
	expect_pin(t, "b", "\"new\"", &got);
	assert_int_equal(got.id, src.id);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 1);
	assert_string_equal(rs.keys[0], "b");
	assert_int_equal(rs.ids[0], src.id);
	rows_done(&rs);
}

static void test_backend_pin_rename_noreplace_onto_existing_is_eexist(void **state)
{
	TENANT(t, "rename-noreplace");

	(void)state;
	put(t, "a", "1", NULL);
	put(t, "b", "2", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", BACKEND_RENAME_NOREPLACE, NULL), -EEXIST);
	expect_pin(t, "a", "1", NULL);
	expect_pin(t, "b", "2", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "c", BACKEND_RENAME_NOREPLACE, NULL), 0);
	expect_no_pin(t, "a");
	expect_pin(t, "c", "1", NULL);
}

static void test_backend_pin_rename_missing_source_is_enoent(void **state)
{
	TENANT(t, "rename-missing");

	(void)state;
	assert_int_equal(backend_pin_rename(S.be, t, "x", "y", 0, NULL), -ENOENT);
	put(t, "y", "1", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "x", "y", 0, NULL), -ENOENT);
	assert_int_equal(backend_pin_rename(S.be, t, "x", "y", BACKEND_RENAME_NOREPLACE, NULL), -ENOENT);
	expect_pin(t, "y", "1", NULL); /* untouched */
	expect_no_pin(t, "x");
}

static void test_backend_pin_rename_onto_expired_target_succeeds(void **state)
{
	struct pin_meta src, got;
	TENANT(t, "rename-expired-dst");

	(void)state;
	put(t, "a", "\"live\"", &src);
	put_expired(t, "b", "\"gone\"", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", BACKEND_RENAME_NOREPLACE, NULL), 0);
	expect_no_pin(t, "a");
	expect_pin(t, "b", "\"live\"", &got);
	assert_int_equal(got.id, src.id);
	assert_int_equal(got.ttl_seconds, -1); /* the source's metadata, not the target's */
	assert_int_equal(got.expires_at, 0);
}

static void test_backend_pin_rename_expired_source_is_enoent(void **state)
{
	TENANT(t, "rename-expired-src");

	(void)state;
	put_expired(t, "a", "1", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", 0, NULL), -ENOENT);
	expect_no_pin(t, "b");
}

static void test_backend_pin_rename_across_many_keeps_other_pins(void **state)
{
	struct rows rs = {0};
	TENANT(t, "rename-others");

	(void)state;
	put(t, "a", "1", NULL);
	put(t, "m", "2", NULL);
	put(t, "z", "3", NULL);
	assert_int_equal(backend_pin_rename(S.be, t, "m", "b", 0, NULL), 0);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 3);
	assert_string_equal(rs.keys[0], "a");
	assert_string_equal(rs.keys[1], "b");
	assert_string_equal(rs.keys[2], "z");
	assert_string_equal(rs.values[1], "2");
	rows_done(&rs);
}

/* ---- list -------------------------------------------------------------- */

static void test_backend_pin_list_pages_of_7_cover_1000_keys(void **state)
{
	struct rows rs = {0};
	int pages;
	TENANT(t, "list-1000");

	(void)state;
	/* Insert in a scrambled order: the listing must sort, not replay. */
	for (unsigned i = 0; i < LIST_KEYS; i++) {
		unsigned k = (i * 7919u) % LIST_KEYS;
		char key[32], value[32];

		snprintf(key, sizeof(key), "key-%04u", k);
		snprintf(value, sizeof(value), "%u", k);
		put(t, key, value, NULL);
	}
	pages = list_all(t, LIST_PAGE, &rs);
	assert_int_equal(rs.n, LIST_KEYS);
	assert_int_equal(pages, LIST_KEYS / LIST_PAGE + 1);
	for (unsigned i = 0; i < LIST_KEYS; i++) {
		char key[32], value[32];

		snprintf(key, sizeof(key), "key-%04u", i);
		snprintf(value, sizeof(value), "%u", i);
		assert_string_equal(rs.keys[i], key); /* in order, no gap, no duplicate */
		assert_string_equal(rs.values[i], value);
		assert_true(rs.ids[i] > 0);
	}
	rows_done(&rs);

	/* Resuming after a name that is not a key starts at the next key. */
	assert_int_equal(backend_pin_list(S.be, t, "key-0500x", 3, ANY_LENGTH, rows_cb, &rs), 3);
	assert_string_equal(rs.keys[0], "key-0501");
	assert_string_equal(rs.keys[2], "key-0503");
	rows_done(&rs);
	/* After the last key: nothing. */
	assert_int_equal(backend_pin_list(S.be, t, "key-0999", 7, ANY_LENGTH, rows_cb, &rs), 0);
	assert_int_equal(rs.n, 0);
}

static void test_backend_pin_list_orders_keys_bytewise(void **state)
{
	/* Byte order, not locale order: "B" < "a", "a/b" < "a0", UTF-8 after ASCII. */
	static const char *const keys[] = {
	    "a",   "B",	  "a/b", "a0",	"a%2F", "\xc3\xa9t\xc3\xa9", "z", "~tilde",
	    "A b", "a.b", "Z",	 "a-b", "aa",	"\xe2\x82\xac",	     "0", "a b",
	};
	enum { N = sizeof(keys) / sizeof(keys[0]) };
	const char *sorted[N];
	struct rows rs = {0};
	TENANT(t, "list-order");

	(void)state;
	for (size_t i = 0; i < N; i++) {
		put(t, keys[i], "1", NULL);
		sorted[i] = keys[i];
	}
	qsort(sorted, N, sizeof(sorted[0]), cmp_str);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 100, ANY_LENGTH, rows_cb, &rs), N);
	for (size_t i = 0; i < N; i++)
		assert_string_equal(rs.keys[i], sorted[i]);
	rows_done(&rs);
	/* One at a time gives the same order. */
	list_all(t, 1, &rs);
	assert_int_equal(rs.n, N);
	for (size_t i = 0; i < N; i++)
		assert_string_equal(rs.keys[i], sorted[i]);
	rows_done(&rs);
}

static void test_backend_pin_list_skips_expired(void **state)
{
	struct rows rs = {0};
	TENANT(t, "list-expired");

	(void)state;
	put(t, "k1", "1", NULL);
	put_expired(t, "k2", "2", NULL);
	put(t, "k3", "3", NULL);
	put(t, "k4", "4", NULL);
	put_expired(t, "k4", "4", NULL); /* a live pin made to expire */
	put(t, "k5", "5", NULL);
	list_all(t, 2, &rs);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.keys[0], "k1");
	assert_string_equal(rs.keys[1], "k3");
	assert_string_equal(rs.keys[2], "k5");
	rows_done(&rs);
}

static void test_backend_pin_list_unknown_tenant_is_empty(void **state)
{
	struct rows rs = {0};
	TENANT(t, "list-nobody");

	(void)state;
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 0);
	assert_int_equal(rs.n, 0);
}

static void test_backend_pin_list_isolates_tenants(void **state)
{
	struct rows rs = {0};
	TENANT(t, "list-iso-a");
	TENANT(u, "list-iso-b");

	(void)state;
	put(t, "k", "1", NULL);
	put(u, "k", "2", NULL);
	put(u, "l", "3", NULL);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 1);
	assert_string_equal(rs.values[0], "1");
	rows_done(&rs);
}

/*
 * A read names the longest text it takes: a longer value is not fetched
 * (value NULL), its length is reported, and its metadata is all there.
 * Written in jsonb's print form, so both drivers hold the same text.
 */
static void test_backend_pin_get_longer_than_max_value_has_no_value(void **state)
{
	const char *v = "{\"a\": \"0123456789\"}";
	struct pin_meta m;
	struct pin p = {0};

	TENANT(t, "maxvalue");
	(void)state;
	put(t, "k", v, &m);
	assert_int_equal(backend_pin_get(S.be, t, "k", strlen(v), &p), 0);
	assert_non_null(p.value);
	assert_string_equal(p.value, v);
	pin_done(&p);
	assert_int_equal(backend_pin_get(S.be, t, "k", strlen(v) - 1, &p), 0);
	assert_null(p.value);
	assert_int_equal(p.value_len, strlen(v));
	assert_meta_equal(&p.meta, &m);
	pin_done(&p);
	assert_int_equal(backend_pin_get(S.be, t, "k", 0, &p), 0);
	assert_null(p.value);
	pin_done(&p);
	assert_int_equal(backend_pin_get(S.be, t, "missing", 0, &p), -ENOENT);
}

static void test_backend_pin_list_longer_than_max_value_has_no_value(void **state)
{
	struct rows rs = {0};

	TENANT(t, "maxvalue-list");
	(void)state;
	put(t, "a", "[1, 2]", NULL);
	put(t, "b", "\"0123456789\"", NULL);
	put(t, "c", "{}", NULL);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, 6, rows_cb, &rs), 3);
	assert_false(rs.oom);
	assert_string_equal(rs.values[0], "[1, 2]");
	assert_string_equal(rs.values[1], "<no value: 12 bytes>");
	assert_string_equal(rs.values[2], "{}");
	assert_true(rs.ids[1] > 0);
	rows_done(&rs);
}

/*
 * PostgreSQL measures the text it prints, not what it stores: "[1e131071]"
 * is a few bytes of jsonb and 131,074 of text, and a read bounded below
 * that gets no value. (SQLite stores and returns the text it was given.)
 */
static void test_backend_pin_get_max_value_bounds_the_printed_text(void **state)
{
	struct pin p = {0};
	struct rows rs = {0};

	TENANT(t, "maxvalue-printed");
	(void)state;
	put(t, "k", "[1e131071]", NULL);
	assert_int_equal(backend_pin_get(S.be, t, "k", 1000, &p), 0);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, 1000, rows_cb, &rs), 1);
	if (S.is_sqlite) {
		assert_string_equal(p.value, "[1e131071]");
		assert_string_equal(rs.values[0], "[1e131071]");
	} else {
		assert_null(p.value);
		assert_int_equal(p.value_len, 131074);
		assert_string_equal(rs.values[0], "<no value: 131074 bytes>");
	}
	pin_done(&p);
	rows_done(&rs);
}

static void test_backend_pin_list_callback_nonzero_stops(void **state)
{
	struct rows rs = {.stop_after = 3};
	TENANT(t, "list-stop");

	(void)state;
	for (int i = 0; i < 6; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		put(t, key, "1", NULL);
	}
	/* The row whose callback stopped the listing was delivered. */
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 3);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.keys[2], "k2");
	rows_done(&rs);
	/* And the backend is still usable. */
	expect_pin(t, "k5", "1", NULL);
}

/* ---- TTL --------------------------------------------------------------- */

static void test_backend_pin_ttl_set_keep_clear(void **state)
{
	struct pin_meta m, kept, got;
	TENANT(t, "ttl");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "1", NULL, PIN_TTL_SET, 3600, &m), 0);
	assert_int_equal(m.ttl_seconds, 3600);
	assert_true(llabs(m.expires_at - (m.updated_at + 3600 * USEC_PER_SEC)) <= USEC_PER_SEC);
	expect_pin(t, "k", "1", &got);
	assert_meta_equal(&m, &got);

	/* KEEP: a new value, the same TTL and expiry. */
	sleep_ms(2);
	assert_int_equal(upsert_full(t, "k", "2", NULL, PIN_TTL_KEEP, 0, &kept), 0);
	assert_int_equal(kept.ttl_seconds, 3600);
	assert_int_equal(kept.expires_at, m.expires_at);
	assert_true(kept.updated_at > m.updated_at);

	/* SET again restarts the clock. */
	assert_int_equal(upsert_full(t, "k", "3", NULL, PIN_TTL_SET, 60, &m), 0);
	assert_int_equal(m.ttl_seconds, 60);
	assert_true(llabs(m.expires_at - (m.updated_at + 60 * USEC_PER_SEC)) <= USEC_PER_SEC);

	/* CLEAR: no TTL, no expiry. */
	assert_int_equal(upsert_full(t, "k", "4", NULL, PIN_TTL_CLEAR, 0, &m), 0);
	assert_int_equal(m.ttl_seconds, -1);
	assert_int_equal(m.expires_at, 0);
	expect_pin(t, "k", "4", &got);
	assert_meta_equal(&m, &got);

	/* KEEP on a new pin: none. CLEAR on a new pin: none. */
	assert_int_equal(upsert_full(t, "n1", "1", NULL, PIN_TTL_KEEP, 99, &m), 0);
	assert_int_equal(m.ttl_seconds, -1);
	assert_int_equal(m.expires_at, 0);
	assert_int_equal(upsert_full(t, "n2", "1", NULL, PIN_TTL_CLEAR, 99, &m), 0);
	assert_int_equal(m.ttl_seconds, -1);

	/* The bounds themselves are fine. */
	assert_int_equal(upsert_full(t, "max", "1", NULL, PIN_TTL_SET, PIN_TTL_MAX, &m), 0);
	assert_int_equal(m.ttl_seconds, PIN_TTL_MAX);
	expect_pin(t, "max", "1", NULL);
}

static void test_backend_pin_ttl_zero_expires_at_once(void **state)
{
	struct rows rs = {0};
	TENANT(t, "ttl-zero");

	(void)state;
	put(t, "k", "1", NULL);
	put(t, "stay", "2", NULL);
	put_expired(t, "k", "1", NULL);
	expect_no_pin(t, "k");
	assert_int_equal(backend_pin_delete(S.be, t, "k"), -ENOENT);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 1);
	assert_string_equal(rs.keys[0], "stay");
	rows_done(&rs);
}

static void test_backend_pin_ttl_expires_after_its_time(void **state)
{
	TENANT(t, "ttl-one");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "1", NULL, PIN_TTL_SET, 1, NULL), 0);
	expect_pin(t, "k", "1", NULL);
	sleep_ms(1100);
	expect_no_pin(t, "k");
}

static void test_backend_pin_upsert_onto_expired_is_new_pin(void **state)
{
	struct pin_meta old, m, got;
	TENANT(t, "ttl-reuse");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "1", "seed", PIN_TTL_SET, 0, &old), 0);
	sleep_ms(2);
	/* As if the key were free: new created_at, default source, no TTL (KEEP). */
	assert_int_equal(upsert_full(t, "k", "2", NULL, PIN_TTL_KEEP, 0, &m), 0);
	assert_true(m.created_at > old.created_at);
	assert_string_equal(m.source, "fs");
	assert_int_equal(m.ttl_seconds, -1);
	assert_int_equal(m.expires_at, 0);
	expect_pin(t, "k", "2", &got);
	assert_meta_equal(&m, &got);
}

/* ---- metadata (xattrs) ------------------------------------------------- */

static void test_backend_pin_set_meta_set_keep_clear(void **state)
{
	const struct pin_meta_update set = {.ttl_op = PIN_TTL_SET, .ttl_seconds = 3600};
	const struct pin_meta_update src = {
	    .ttl_op = PIN_TTL_KEEP, .ttl_seconds = 5, .source = "xattr"};
	const struct pin_meta_update clear = {.ttl_op = PIN_TTL_CLEAR, .ttl_seconds = 7};
	const struct pin_meta_update none = {.ttl_op = PIN_TTL_KEEP};
	const struct pin_meta_update zero = {.ttl_op = PIN_TTL_SET, .ttl_seconds = 0};
	struct pin_meta m0, m, got;
	TENANT(t, "meta");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "{\"a\": 1}", "seed", PIN_TTL_KEEP, 0, &m0), 0);
	sleep_ms(2); /* so a changed updated_at would show */

	/* SET: TTL and expiry from now; the value, updated_at and source stay. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &set, &m), 0);
	assert_int_equal(m.ttl_seconds, 3600);
	assert_true(llabs(m.expires_at - (wall_usec() + 3600 * USEC_PER_SEC)) < 60 * USEC_PER_SEC);
	assert_int_equal(m.id, m0.id);
	assert_int_equal(m.created_at, m0.created_at);
	assert_int_equal(m.updated_at, m0.updated_at);
	assert_string_equal(m.source, "seed");
	expect_pin(t, "k", "{\"a\": 1}", &got);
	assert_meta_equal(&m, &got);

	/* KEEP with a source: only the source changes. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &src, &got), 0);
	assert_int_equal(got.ttl_seconds, 3600);
	assert_int_equal(got.expires_at, m.expires_at);
	assert_int_equal(got.updated_at, m0.updated_at);
	assert_string_equal(got.source, "xattr");
	m = got;
	expect_pin(t, "k", "{\"a\": 1}", &got);
	assert_meta_equal(&m, &got);

	/* CLEAR: no TTL, no expiry; the source stays (NULL). ret_meta may be NULL. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &clear, NULL), 0);
	expect_pin(t, "k", "{\"a\": 1}", &got);
	assert_int_equal(got.ttl_seconds, -1);
	assert_int_equal(got.expires_at, 0);
	assert_string_equal(got.source, "xattr");
	assert_int_equal(got.id, m0.id);
	assert_int_equal(got.created_at, m0.created_at);
	assert_int_equal(got.updated_at, m0.updated_at);

	/* KEEP without a source changes nothing at all. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &none, &m), 0);
	assert_meta_equal(&m, &got);

	/* SET 0 expires it at once; an expired pin has no metadata to change. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &zero, &m), 0);
	assert_int_equal(m.ttl_seconds, 0);
	assert_true(m.expires_at != 0);
	expect_no_pin(t, "k");
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &clear, NULL), -ENOENT);
	expect_no_pin(t, "k");
}

static void test_backend_pin_set_meta_missing_is_enoent(void **state)
{
	struct pin_meta_update set = {.ttl_op = PIN_TTL_SET, .ttl_seconds = 60, .source = "x"};
	struct pin_meta m = {.id = 4242};
	TENANT(t, "meta-missing");
	TENANT(u, "meta-no-tenant");

	(void)state;
	put(t, "other", "1", NULL);
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &set, &m), -ENOENT);
	assert_int_equal(m.id, 4242); /* ret_meta untouched on failure */
	assert_int_equal(backend_pin_set_meta(S.be, u, "k", &set, NULL), -ENOENT);
	expect_no_pin(t, "k");
	expect_no_pin(u, "k");
	assert_int_equal(backend_tenant_exists(S.be, u), -ENOENT);
}

static void test_backend_pin_set_meta_ttl_out_of_range_is_einval(void **state)
{
	const struct pin_meta_update negative = {.ttl_op = PIN_TTL_SET, .ttl_seconds = -1};
	const struct pin_meta_update too_long = {
	    .ttl_op = PIN_TTL_SET, .ttl_seconds = PIN_TTL_MAX + 1, .source = "bad"};
	const struct pin_meta_update max = {.ttl_op = PIN_TTL_SET, .ttl_seconds = PIN_TTL_MAX};
	struct pin_meta before, got;
	TENANT(t, "meta-badttl");

	(void)state;
	assert_int_equal(upsert_full(t, "k", "1", NULL, PIN_TTL_SET, 600, &before), 0);
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &negative, NULL), -EINVAL);
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &too_long, NULL), -EINVAL);
	/* Nothing changed, the source of the refused call included. */
	expect_pin(t, "k", "1", &got);
	assert_meta_equal(&before, &got);
	/* The bound itself is fine. */
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &max, &got), 0);
	assert_int_equal(got.ttl_seconds, PIN_TTL_MAX);
}

/*
 * A source that struct pin_meta cannot hold is refused. SQLite only for
 * now: the PostgreSQL driver stores it and reads it back truncated (no
 * length check in ST_SET_META or ST_UPSERT); make it NEEDS_ANY once it checks.
 */
static void test_backend_pin_set_meta_long_source_is_einval(void **state)
{
	char longsrc[PIN_SOURCE_MAX + 1];
	const struct pin_meta_update u = {.ttl_op = PIN_TTL_KEEP, .source = longsrc};
	struct pin_meta before, got;
	TENANT(t, "meta-longsrc");

	(void)state;
	memset(longsrc, 's', PIN_SOURCE_MAX);
	longsrc[PIN_SOURCE_MAX] = '\0';
	put(t, "k", "1", &before);
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &u, NULL), -EINVAL);
	expect_pin(t, "k", "1", &got);
	assert_meta_equal(&before, &got);
	/* PIN_SOURCE_MAX - 1 bytes fit. */
	longsrc[PIN_SOURCE_MAX - 1] = '\0';
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &u, &got), 0);
	assert_string_equal(got.source, longsrc);
}

/* ---- expiry ------------------------------------------------------------ */

#define EXPIRE_LIMIT 1000000u
#define EXPIRE_SOURCE "conformance"

/* What backend_expire reported: all calls, and the keys of one tenant in order. */
struct expired {
	const char *tenant; /* only this tenant's keys are kept */
	size_t calls;	    /* every call, any tenant */
	size_t stop_after;  /* non-zero: return 1 at this call */
	size_t n;
	char *keys[16];
	bool overflow;
};

static int expired_cb(void *ctx, const char *tenant_name, const char *key)
{
	struct expired *ex = ctx;

	ex->calls++;
	if (strcmp(tenant_name, ex->tenant) == 0) {
		if (ex->n < PFS_ARRAY_SIZE(ex->keys))
			ex->keys[ex->n++] = strdup(key);
		else
			ex->overflow = true;
	}
	return ex->stop_after && ex->calls >= ex->stop_after ? 1 : 0;
}

static void expired_done(struct expired *ex)
{
	for (size_t i = 0; i < ex->n; i++)
		free(ex->keys[i]);
	ex->n = 0;
	ex->calls = 0;
	ex->overflow = false;
}

/* Runs backend_expire and checks what every callback-reporting call must hold. */
static int expire_run(bool dry_run, unsigned limit, struct expired *ex)
{
	int r;

	expired_done(ex);
	r = backend_expire(S.be, dry_run, limit, EXPIRE_SOURCE, expired_cb, ex);
	assert_false(ex->overflow);
	for (size_t i = 0; i < ex->n; i++)
		assert_non_null(ex->keys[i]);
	if (r >= 0 && !ex->stop_after)
		assert_int_equal((size_t)r, ex->calls); /* one call per pin */
	return r;
}

/* Sorts the keys reported for the tenant, for comparing sets. */
static void expired_sort(struct expired *ex)
{
	qsort(ex->keys, ex->n, sizeof(ex->keys[0]), cmp_str);
}

/* SQLite only: the database file, for the audit rows no backend call reads. */
static const char *sqlite_path(void)
{
	return S.uri + strlen("sqlite://");
}

/* SQLite only: runs a query that answers one integer; -1 on any failure. */
static int64_t sqlite_count(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(sqlite_path(), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (v < 0)
		fprintf(stderr, "# could not run \"%s\": %s\n", sql,
			db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* SQLite only: runs statements on the database under test: 0, or -1 on failure. */
static int sqlite_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *err = NULL;
	int rc;

	rc = sqlite3_open_v2(sqlite_path(), &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK && !err)
		err = sqlite3_mprintf("%s", db ? sqlite3_errmsg(db) : "out of memory");
	if (rc != SQLITE_OK)
		fprintf(stderr, "# could not run \"%s\": %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* SQLite only: how many memory_audit rows of tenant t match the condition. */
static int64_t sqlite_audit_rows(const char *t, const char *cond)
{
	char sql[1024];

	fmt(sql, sizeof(sql), "SELECT count(*) FROM memory_audit WHERE tenant_id = '%s' AND (%s)",
	    t, cond);
	return sqlite_count(sql);
}

static void test_backend_expire_dry_run_reports_then_real_deletes_once(void **state)
{
	struct expired ex = {0};
	char hash[17], cond[256];
	int r;
	TENANT(t, "expire");

	(void)state;
	ex.tenant = t;
	put_expired(t, "e1", "{\"a\": 1}", "seed");
	put_expired(t, "e2", "[1, 2]", NULL);
	put(t, "live", "3", NULL);
	assert_int_equal(upsert_full(t, "later", "4", NULL, PIN_TTL_SET, 3600, NULL), 0);

	/* A dry run reports exactly this tenant's expired pins and deletes nothing. */
	for (int round = 0; round < 2; round++) {
		r = expire_run(true, EXPIRE_LIMIT, &ex);
		assert_true(r >= 2);
		assert_int_equal(ex.n, 2);
		expired_sort(&ex);
		assert_string_equal(ex.keys[0], "e1");
		assert_string_equal(ex.keys[1], "e2");
		expect_no_pin(t, "e1"); /* expired: gone for readers, deleted or not */
		expect_pin(t, "live", "3", NULL);
	}
	if (S.is_sqlite)
		assert_int_equal(sqlite_audit_rows(t, "1"), 0); /* a dry run writes no audit */

	/* The real thing reports them once and deletes them. */
	r = expire_run(false, EXPIRE_LIMIT, &ex);
	assert_true(r >= 2);
	assert_int_equal(ex.n, 2);
	expired_sort(&ex);
	assert_string_equal(ex.keys[0], "e1");
	assert_string_equal(ex.keys[1], "e2");
	expect_no_pin(t, "e1");
	expect_no_pin(t, "e2");
	expect_pin(t, "live", "3", NULL);
	expect_pin(t, "later", "4", NULL);

	/* Gone: neither a dry run nor another expire sees them again. */
	assert_true(expire_run(true, EXPIRE_LIMIT, &ex) >= 0);
	assert_int_equal(ex.n, 0);
	assert_true(expire_run(false, EXPIRE_LIMIT, &ex) >= 0);
	assert_int_equal(ex.n, 0);
	expired_done(&ex);

	/* SQLite: one audit row per pin (PostgreSQL's rows are checked by the harness). */
	if (S.is_sqlite) {
		assert_int_equal(sqlite_audit_rows(t, "1"), 2);
		assert_int_equal(
		    sqlite_audit_rows(
			t, "operation = 'expire' AND subject = '" EXPIRE_SOURCE
			   "' AND source = '" EXPIRE_SOURCE "' AND success = 1"
			   " AND uid IS NULL AND error_code IS NULL"
			   " AND length(value_sha256) = 16"
			   " AND created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-*T*.[0-9]"
			   "[0-9][0-9][0-9][0-9][0-9]Z'"),
		    2);
		audit_hash_value("{\"a\": 1}", strlen("{\"a\": 1}"), hash);
		fmt(cond, sizeof(cond), "key = 'e1' AND value_sha256 = '%s'", hash);
		assert_int_equal(sqlite_audit_rows(t, cond), 1);
		audit_hash_value("[1, 2]", strlen("[1, 2]"), hash);
		fmt(cond, sizeof(cond), "key = 'e2' AND value_sha256 = '%s'", hash);
		assert_int_equal(sqlite_audit_rows(t, cond), 1);
	}

	/* The key is free again: a write makes a new, live pin. */
	put(t, "e1", "5", NULL);
	expect_pin(t, "e1", "5", NULL);
}

static void test_backend_expire_oldest_first_up_to_limit(void **state)
{
	struct expired ex = {0};
	TENANT(t, "expire-limit");

	(void)state;
	ex.tenant = t;
	/* Clear what earlier tests left, so only this test's pins are expired. */
	assert_true(expire_run(false, EXPIRE_LIMIT, &ex) >= 0);
	put_expired(t, "c", "1", NULL);
	sleep_ms(5);
	put_expired(t, "a", "1", NULL);
	sleep_ms(5);
	put_expired(t, "b", "1", NULL);

	assert_int_equal(expire_run(true, 0, &ex), 0);
	assert_int_equal(expire_run(false, 0, &ex), 0);
	assert_int_equal(expire_run(true, 2, &ex), 2);
	assert_int_equal(ex.n, 2);
	assert_string_equal(ex.keys[0], "c"); /* by expiry, not by key */
	assert_string_equal(ex.keys[1], "a");
	assert_int_equal(expire_run(false, 2, &ex), 2);
	assert_int_equal(ex.n, 2);
	assert_string_equal(ex.keys[0], "c");
	assert_string_equal(ex.keys[1], "a");
	assert_int_equal(expire_run(false, EXPIRE_LIMIT, &ex), 1);
	assert_int_equal(ex.n, 1);
	assert_string_equal(ex.keys[0], "b");
	assert_int_equal(expire_run(false, EXPIRE_LIMIT, &ex), 0);
	expired_done(&ex);
	if (S.is_sqlite)
		assert_int_equal(sqlite_audit_rows(t, "operation = 'expire'"), 3);
}

static void test_backend_expire_callback_stop_still_deletes(void **state)
{
	struct expired ex = {.stop_after = 1};
	int r;
	TENANT(t, "expire-stop");

	(void)state;
	ex.tenant = t;
	put_expired(t, "a", "1", NULL);
	put_expired(t, "b", "1", NULL);
	put_expired(t, "c", "1", NULL);
	r = expire_run(false, EXPIRE_LIMIT, &ex);
	assert_true(r >= 3);
	assert_int_equal(ex.calls, 1); /* the callback asked to stop */
	/* All of them went all the same; a NULL callback is fine too. */
	ex.stop_after = 0;
	assert_true(expire_run(true, EXPIRE_LIMIT, &ex) >= 0);
	assert_int_equal(ex.n, 0);
	put_expired(t, "d", "1", NULL);
	assert_true(backend_expire(S.be, false, EXPIRE_LIMIT, EXPIRE_SOURCE, NULL, NULL) >= 1);
	assert_true(expire_run(true, EXPIRE_LIMIT, &ex) >= 0);
	assert_int_equal(ex.n, 0);
	expired_done(&ex);
	if (S.is_sqlite)
		assert_int_equal(sqlite_audit_rows(t, "operation = 'expire'"), 4);
}

/* ---- audit ------------------------------------------------------------- */

static void test_backend_audit_append_writes_a_batch(void **state)
{
	struct audit_event ev[3];
	TENANT(t, "audit");

	(void)state;
	memset(ev, 0, sizeof(ev));
	for (size_t i = 0; i < PFS_ARRAY_SIZE(ev); i++) {
		ev[i].time_us = INT64_C(1700000000123456) + (int64_t)i;
		fmt(ev[i].operation, sizeof(ev[i].operation), "%s", i ? "upsert" : "read");
		fmt(ev[i].tenant, sizeof(ev[i].tenant), "%s", t);
		fmt(ev[i].key, sizeof(ev[i].key), "k%zu", i);
		ev[i].uid = 1000;
		fmt(ev[i].subject, sizeof(ev[i].subject), "uid:1000");
		ev[i].success = true;
		ev[i].latency_ms = 1.25;
		audit_hash_value("1", 1, ev[i].value_sha256);
	}
	/* A failed delete by the reaper: no uid, an error code, no value. */
	fmt(ev[2].operation, sizeof(ev[2].operation), "delete");
	ev[2].uid = -1;
	ev[2].subject[0] = '\0';
	ev[2].success = false;
	fmt(ev[2].error_code, sizeof(ev[2].error_code), "ENOENT");
	ev[2].value_sha256[0] = '\0';

	assert_int_equal(backend_audit_append(S.be, ev, 3), 0);
	assert_int_equal(backend_audit_append(S.be, ev, 0), 0);
	assert_int_equal(backend_audit_append(S.be, NULL, 0), 0);
	if (S.is_sqlite) {
		assert_int_equal(sqlite_audit_rows(t, "1"), 3);
		assert_int_equal(
		    sqlite_audit_rows(t, "key = 'k0' AND operation = 'read' AND uid = 1000"
					 " AND subject = 'uid:1000' AND success = 1"
					 " AND error_code IS NULL AND latency_ms = 1.25"
					 " AND length(value_sha256) = 16 AND source = 'fs'"
					 " AND created_at = '2023-11-14T22:13:20.123456Z'"),
		    1);
		assert_int_equal(
		    sqlite_audit_rows(t, "key = 'k1' AND operation = 'upsert'"
					 " AND created_at = '2023-11-14T22:13:20.123457Z'"),
		    1);
		/* Empty strings and uid -1 are stored as NULL, as in PostgreSQL. */
		assert_int_equal(
		    sqlite_audit_rows(t, "key = 'k2' AND operation = 'delete' AND uid IS NULL"
					 " AND subject IS NULL AND success = 0"
					 " AND error_code = 'ENOENT' AND value_sha256 IS NULL"),
		    1);
	}
}

static void test_backend_rbac_audit_append_writes_a_batch(void **state)
{
	struct rbac_event ev[2];
	char sql[512];
	TENANT(t, "rbac-audit");

	(void)state;
	memset(ev, 0, sizeof(ev));
	for (size_t i = 0; i < PFS_ARRAY_SIZE(ev); i++) {
		ev[i].time_us = INT64_C(1700000000000001);
		fmt(ev[i].subject, sizeof(ev[i].subject), "alice");
		ev[i].uid = 1000;
		fmt(ev[i].resource, sizeof(ev[i].resource), "memory_pin");
		fmt(ev[i].action, sizeof(ev[i].action), "read");
		fmt(ev[i].decision, sizeof(ev[i].decision), "allow");
		fmt(ev[i].reason, sizeof(ev[i].reason), "role:dev");
		fmt(ev[i].tenant, sizeof(ev[i].tenant), "%s", t);
		fmt(ev[i].key, sizeof(ev[i].key), "k%zu", i);
		fmt(ev[i].policy_version, sizeof(ev[i].policy_version), "v1");
	}
	/* A deny with no key, reason, subject or uid. */
	fmt(ev[1].decision, sizeof(ev[1].decision), "deny");
	ev[1].key[0] = ev[1].reason[0] = ev[1].subject[0] = '\0';
	ev[1].uid = -1;

	assert_int_equal(backend_rbac_audit_append(S.be, ev, 2), 0);
	assert_int_equal(backend_rbac_audit_append(S.be, ev, 0), 0);
	assert_int_equal(backend_rbac_audit_append(S.be, NULL, 0), 0);
	if (S.is_sqlite) {
		fmt(sql, sizeof(sql), "SELECT count(*) FROM rbac_audit WHERE tenant_id = '%s'", t);
		assert_int_equal(sqlite_count(sql), 2);
		fmt(sql, sizeof(sql),
		    "SELECT count(*) FROM rbac_audit WHERE tenant_id = '%s' AND key = 'k0'"
		    " AND subject = 'alice' AND uid = 1000 AND resource = 'memory_pin'"
		    " AND action = 'read' AND decision = 'allow' AND reason = 'role:dev'"
		    " AND policy_version = 'v1' AND created_at = '2023-11-14T22:13:20.000001Z'",
		    t);
		assert_int_equal(sqlite_count(sql), 1);
		fmt(sql, sizeof(sql),
		    "SELECT count(*) FROM rbac_audit WHERE tenant_id = '%s' AND key IS NULL"
		    " AND subject IS NULL AND uid IS NULL AND reason IS NULL"
		    " AND decision = 'deny'",
		    t);
		assert_int_equal(sqlite_count(sql), 1);
	}
}

/* SQLite only: a tenant whose pins have all expired (and with no record) is not listed. */
static void test_sqlite_tenant_with_only_expired_pins_is_not_listed(void **state)
{
	char sql[512];
	struct names ns = {0};
	TENANT(t, "only-expired");

	(void)state;
	fmt(sql, sizeof(sql),
	    "INSERT INTO memory_pins (tenant_id, key, value, ttl_seconds, expires_at)"
	    " VALUES ('%s', 'old', '1', 0, '2001-01-01T00:00:00.000000Z')",
	    t);
	assert_int_equal(sqlite_exec(sql), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT);
	list_tenants(&ns);
	assert_int_equal(count_name(&ns, t), 0);
	names_done(&ns);
}

/* ---- tenants ----------------------------------------------------------- */

/*
 * Directory and change times (schema: PostgreSQL 3, SQLite 2): a tenant's
 * changed_at moves when an entry appears, goes or moves, not on an
 * overwrite; a pin's changed_at (ctime) moves on a rename and a metadata
 * change while its updated_at (mtime) stays.
 */
static void test_backend_tenant_times_move_with_entries_only(void **state)
{
	struct tenant_times t0, t1, t2, t3, t4;
	struct pin_meta m1, m2;
	struct pin_meta_update u = {.ttl_op = PIN_TTL_KEEP, .source = "other"};
	TENANT(t, "times");

	(void)state;
	assert_int_equal(backend_tenant_times(S.be, t, &t0), -ENOENT);
	assert_int_equal(backend_tenant_create(S.be, t), 0);
	assert_int_equal(backend_tenant_times(S.be, t, &t0), 0);
	assert_true(t0.created_at > 0 && t0.changed_at >= t0.created_at);
	sleep_ms(20);
	put(t, "a", "1", &m1);
	assert_int_equal(backend_tenant_times(S.be, t, &t1), 0);
	assert_true(t1.changed_at > t0.changed_at);
	assert_int_equal(t1.created_at, t0.created_at);
	assert_true(m1.changed_at >= m1.updated_at);
	sleep_ms(20);
	put(t, "a", "2", NULL);
	assert_int_equal(backend_tenant_times(S.be, t, &t2), 0);
	assert_int_equal(t2.changed_at, t1.changed_at);	/* an overwrite is no new entry */
	sleep_ms(20);
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", 0, NULL), 0);
	assert_int_equal(backend_tenant_times(S.be, t, &t3), 0);
	assert_true(t3.changed_at > t2.changed_at);
	expect_pin(t, "b", "2", &m2);
	assert_true(m2.changed_at > m2.updated_at);	/* the rename moved its ctime only */
	sleep_ms(20);
	assert_int_equal(backend_pin_set_meta(S.be, t, "b", &u, &m1), 0);
	assert_true(m1.changed_at > m2.changed_at);
	assert_int_equal(m1.updated_at, m2.updated_at);
	sleep_ms(20);
	assert_int_equal(backend_pin_delete(S.be, t, "b"), 0);
	assert_int_equal(backend_tenant_times(S.be, t, &t4), 0);
	assert_true(t4.changed_at > t3.changed_at);
}

/*
 * SQLite: a tenant whose pins another tool wrote, with no tenants row,
 * answers its live pins' oldest and newest creation; the tenants row, once
 * there, wins (it is read first, and the pins are not aggregated).
 */
static void test_backend_tenant_times_without_row_from_pins(void **state)
{
	struct tenant_times t0, t1;
	struct pin_meta m1, m2;
	char sql[256];
	TENANT(t, "rowless");

	(void)state;
	put(t, "a", "1", &m1);
	sleep_ms(20);
	put(t, "b", "2", &m2);
	fmt(sql, sizeof(sql), "DELETE FROM tenants WHERE name = '%s'", t);
	assert_int_equal(sqlite_exec(sql), 0);
	assert_int_equal(backend_tenant_times(S.be, t, &t0), 0);
	assert_int_equal(t0.created_at, m1.created_at);
	assert_int_equal(t0.changed_at, m2.created_at);
	fmt(sql, sizeof(sql),
	    "INSERT INTO tenants (name, created_at) VALUES ('%s', '2001-02-03T04:05:06.000Z')", t);
	assert_int_equal(sqlite_exec(sql), 0);
	assert_int_equal(backend_tenant_times(S.be, t, &t1), 0);
	assert_int_equal(t1.created_at, (int64_t)981173106 * 1000000);
	assert_int_equal(backend_pin_delete(S.be, t, "a"), 0);
	assert_int_equal(backend_pin_delete(S.be, t, "b"), 0);
}

static void test_backend_tenant_create_exists_delete(void **state)
{
	struct names ns = {0};
	TENANT(t, "tenant");

	(void)state;
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT);
	assert_int_equal(backend_tenant_delete(S.be, t), -ENOENT);
	assert_int_equal(backend_tenant_create(S.be, t), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), 0);
	assert_int_equal(backend_tenant_create(S.be, t), -EEXIST);
	list_tenants(&ns);
	assert_int_equal(count_name(&ns, t), 1);
	names_done(&ns);
	assert_int_equal(backend_tenant_delete(S.be, t), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT);
	assert_int_equal(backend_tenant_delete(S.be, t), -ENOENT);
	list_tenants(&ns);
	assert_int_equal(count_name(&ns, t), 0);
	names_done(&ns);
	/* And it can come back. */
	assert_int_equal(backend_tenant_create(S.be, t), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), 0);
}

static void test_backend_tenant_with_pins_is_not_empty(void **state)
{
	struct names ns = {0};
	TENANT(t, "tenant-pins");

	(void)state;
	put(t, "k", "1", NULL); /* an upsert makes the tenant exist */
	assert_int_equal(backend_tenant_exists(S.be, t), 0);
	assert_int_equal(backend_tenant_create(S.be, t), -EEXIST);
	assert_int_equal(backend_tenant_delete(S.be, t), -ENOTEMPTY);
	expect_pin(t, "k", "1", NULL);
	list_tenants(&ns);
	assert_int_equal(count_name(&ns, t), 1);
	names_done(&ns);
	/* Emptied, it still exists (its record), and can then be deleted. */
	assert_int_equal(backend_pin_delete(S.be, t, "k"), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), 0);
	assert_int_equal(backend_tenant_delete(S.be, t), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT);
}

static void test_backend_tenant_expired_pins_do_not_block_delete(void **state)
{
	struct rows rs = {0};
	TENANT(t, "tenant-expired");

	(void)state;
	assert_int_equal(backend_tenant_create(S.be, t), 0);
	put_expired(t, "old", "1", NULL);
	assert_int_equal(backend_tenant_delete(S.be, t), 0);
	assert_int_equal(backend_tenant_exists(S.be, t), -ENOENT);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 0);
	/* Recreated, it is empty. */
	assert_int_equal(backend_tenant_create(S.be, t), 0);
	expect_no_pin(t, "old");
}

static void test_backend_tenant_list_sorted_and_unique(void **state)
{
	struct names ns = {0};
	TENANT(a, "tl-a");
	TENANT(b, "tl-B");
	TENANT(c, "tl-c");

	(void)state;
	assert_int_equal(backend_tenant_create(S.be, c), 0);
	assert_int_equal(backend_tenant_create(S.be, a), 0);
	put(a, "k", "1", NULL); /* a record and pins: listed once */
	put(a, "l", "1", NULL);
	put(b, "k", "1", NULL);
	assert_int_equal(backend_pin_delete(S.be, b, "k"), 0);
	list_tenants(&ns); /* checks order and uniqueness of the whole list */
	assert_int_equal(count_name(&ns, a), 1);
	assert_int_equal(count_name(&ns, b), 1);
	assert_int_equal(count_name(&ns, c), 1);
	names_done(&ns);
}

/* ---- pool and threads -------------------------------------------------- */

struct worker {
	pthread_t thread;
	int index;
	const char *tenant;
	int failures;
	int last_error;
};

static int count_cb(void *ctx, const char *key, const struct pin *p)
{
	(void)key;
	(void)p;
	++*(int *)ctx;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < THREAD_WRITES; i++) {
		char key[32], value[32];
		struct pin p = {0};
		int n = 0, r;

		snprintf(key, sizeof(key), "w%d-%03d", w->index, i);
		snprintf(value, sizeof(value), "%d", i);
		r = upsert_full(w->tenant, key, value, NULL, PIN_TTL_KEEP, 0, NULL);
		if (r == 0)
			r = backend_pin_get(S.be, w->tenant, key, ANY_LENGTH, &p);
		if (r == 0 && (!p.value || strcmp(p.value, value) != 0))
			r = -EBADMSG;
		pin_done(&p);
		if (r == 0) {
			r = backend_pin_list(S.be, w->tenant, NULL, 16, ANY_LENGTH, count_cb, &n);
			r = r < 0 ? r : 0;
		}
		if (r == 0 && i % 8 == 0)
			r = backend_tenant_exists(S.be, w->tenant);
		if (r < 0) {
			w->failures++;
			w->last_error = r;
		}
	}
	return NULL;
}

static void test_backend_threads_write_and_read_concurrently(void **state)
{
	struct worker workers[THREADS];
	int n = 0;
	TENANT(t, "threads");

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){.index = i, .tenant = t};
		assert_int_equal(pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]),
				 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
		if (workers[i].failures)
			fprintf(stderr, "# worker %d: %d failures, last %s\n", i,
				workers[i].failures, strerror(-workers[i].last_error));
		assert_int_equal(workers[i].failures, 0);
	}
	assert_int_equal(backend_pin_list(S.be, t, NULL, 0u - 1u, ANY_LENGTH, count_cb, &n),
			 THREADS * THREAD_WRITES);
	assert_int_equal(n, THREADS * THREAD_WRITES);
}

/* ---- versions and conditional writes ----------------------------------- */

/* A conditional upsert of value at version expect (0: only if absent). */
static int put_if(const char *t, const char *key, const char *value, int64_t expect,
		  struct pin_meta *ret_meta)
{
	struct pin_write w = {
	    .value = value,
	    .value_len = strlen(value),
	    .ttl_op = PIN_TTL_KEEP,
	    .conditional = true,
	    .expect_version = expect,
	};

	return backend_pin_upsert(S.be, t, key, &w, ret_meta);
}

static void test_backend_pin_version_grows_with_every_change(void **state)
{
	struct pin_meta m, got;
	struct pin_meta_update ttl = {.ttl_op = PIN_TTL_SET, .ttl_seconds = 3600};
	struct pin_meta_update source = {.ttl_op = PIN_TTL_KEEP, .source = "seed"};
	struct rows rs = {0};
	int64_t v;
	TENANT(t, "versions");

	(void)state;
	put(t, "k", "1", &m);
	assert_true(m.version > 0);
	v = m.version;
	expect_pin(t, "k", "1", &got);
	assert_int_equal(got.version, v); /* what the write answered is what is stored */
	put(t, "k", "1", &m);		  /* the same value again is a change too */
	assert_true(m.version > v);
	v = m.version;
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &ttl, &m), 0);
	assert_true(m.version > v);
	v = m.version;
	assert_int_equal(backend_pin_set_meta(S.be, t, "k", &source, &m), 0);
	assert_true(m.version > v);
	v = m.version;
	assert_int_equal(backend_pin_rename(S.be, t, "k", "k2", 0, &m), 0);
	assert_true(m.version > v);
	expect_pin(t, "k2", "1", &got);
	assert_int_equal(got.version, m.version);
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 1);
	rows_done(&rs);
	/* Onto itself: nothing changes, the version included. */
	assert_int_equal(backend_pin_rename(S.be, t, "k2", "k2", 0, &m), 0);
	assert_int_equal(m.version, got.version);
}

static void test_backend_pin_version_never_comes_back_after_delete(void **state)
{
	struct pin_meta m1, m2;
	TENANT(t, "versions-recreate");

	(void)state;
	put(t, "k", "1", &m1);
	for (int i = 0; i < 5; i++)
		put(t, "k", "1", &m1);
	assert_int_equal(backend_pin_delete(S.be, t, "k"), 0);
	put(t, "k", "2", &m2);
	assert_true(m2.version > m1.version);
	/* A writer that read the old pin cannot overwrite the new one. */
	assert_int_equal(put_if(t, "k", "3", m1.version, NULL), -ESTALE);
	expect_pin(t, "k", "2", NULL);
}

static void test_backend_pin_rename_onto_existing_grows_past_both(void **state)
{
	struct pin_meta a, b, m;
	TENANT(t, "versions-rename");

	(void)state;
	put(t, "a", "1", &a);
	put(t, "b", "2", &b);
	for (int i = 0; i < 3; i++)
		put(t, "b", "2", &b); /* the target is ahead of the source */
	assert_int_equal(backend_pin_rename(S.be, t, "a", "b", 0, &m), 0);
	assert_true(m.version > a.version);
	assert_true(m.version > b.version);
	assert_int_equal(m.id, a.id);
	assert_int_equal(put_if(t, "b", "9", b.version, NULL), -ESTALE);
	expect_pin(t, "b", "1", NULL);
}

static void test_backend_pin_conditional_upsert_at_version(void **state)
{
	struct pin_meta m, m2;
	TENANT(t, "conditional");

	(void)state;
	/* Only if absent: creates once, then finds it there. */
	assert_int_equal(put_if(t, "k", "1", 0, &m), 0);
	expect_pin(t, "k", "1", NULL);
	assert_int_equal(put_if(t, "k", "2", 0, NULL), -ESTALE);
	expect_pin(t, "k", "1", NULL);
	/* At the version it is at: written, with a newer version. */
	assert_int_equal(put_if(t, "k", "3", m.version, &m2), 0);
	assert_true(m2.version > m.version);
	expect_pin(t, "k", "3", NULL);
	/* At the version it was at: refused, the newer value stays. */
	assert_int_equal(put_if(t, "k", "4", m.version, NULL), -ESTALE);
	expect_pin(t, "k", "3", &m);
	assert_int_equal(m.version, m2.version);
	/* At a version of a pin that does not exist: refused, nothing is created. */
	assert_int_equal(put_if(t, "none", "5", m2.version, NULL), -ESTALE);
	expect_no_pin(t, "none");
	/* An expired pin is absent. */
	put_expired(t, "old", "6", NULL);
	assert_int_equal(put_if(t, "old", "7", 0, NULL), 0);
	expect_pin(t, "old", "7", NULL);
}

static void test_backend_pin_conditional_upsert_keeps_metadata_rules(void **state)
{
	struct pin_meta m;
	struct pin_write w = {.value = "2", .value_len = 1, .source = "seed",
			      .ttl_op = PIN_TTL_SET, .ttl_seconds = 600, .conditional = true};
	TENANT(t, "conditional-meta");

	(void)state;
	put(t, "k", "1", &m);
	w.expect_version = m.version;
	assert_int_equal(backend_pin_upsert(S.be, t, "k", &w, &m), 0);
	assert_string_equal(m.source, "seed");
	assert_int_equal(m.ttl_seconds, 600);
	expect_pin(t, "k", "2", &m);
	assert_string_equal(m.source, "seed");
	assert_int_equal(m.ttl_seconds, 600);
}

#define CAS_WORKERS 4
#define CAS_ROUNDS 25

struct cas_worker {
	pthread_t thread;
	const char *tenant;
	int conflicts, failures, last_error;
};

/* Adds 1 to the counter CAS_ROUNDS times: read, add, write at the version read, retry. */
static void *cas_main(void *arg)
{
	struct cas_worker *w = arg;

	for (int i = 0; i < CAS_ROUNDS; i++) {
		for (;;) {
			struct pin p = {0};
			char value[32];
			int r = backend_pin_get(S.be, w->tenant, "counter", ANY_LENGTH, &p);

			if (r == 0) {
				snprintf(value, sizeof(value), "%ld", strtol(p.value, NULL, 10) + 1);
				r = put_if(w->tenant, "counter", value, p.meta.version, NULL);
			}
			pin_done(&p);
			if (r == -ESTALE) {
				w->conflicts++;
				continue;
			}
			if (r < 0) {
				w->failures++;
				w->last_error = r;
			}
			break;
		}
	}
	return NULL;
}

static void test_backend_pin_conditional_upsert_loses_no_update(void **state)
{
	struct cas_worker workers[CAS_WORKERS];
	char want[16];
	int conflicts = 0;
	TENANT(t, "cas");

	(void)state;
	put(t, "counter", "0", NULL);
	for (int i = 0; i < CAS_WORKERS; i++) {
		workers[i] = (struct cas_worker){.tenant = t};
		assert_int_equal(pthread_create(&workers[i].thread, NULL, cas_main, &workers[i]), 0);
	}
	for (int i = 0; i < CAS_WORKERS; i++) {
		assert_int_equal(pthread_join(workers[i].thread, NULL), 0);
		if (workers[i].failures)
			fprintf(stderr, "# worker %d: %d failures, last %s\n", i,
				workers[i].failures, strerror(-workers[i].last_error));
		assert_int_equal(workers[i].failures, 0);
		conflicts += workers[i].conflicts;
	}
	snprintf(want, sizeof(want), "%d", CAS_WORKERS * CAS_ROUNDS);
	expect_pin(t, "counter", want, NULL);
	fprintf(stderr, "# %d conflicts retried\n", conflicts);
}

/* ---- locks --------------------------------------------------------------- */

#define LOCK_ID(n) (UINT64_C(0x5eed000000000000) ^ (uint64_t)wall_usec() ^ (uint64_t)(n))

/*
 * Through a transaction pooler with no feed URI there is no session to hold
 * a lock: every holder is refused. True (and checked) when that is the case.
 */
static bool locks_refused(void)
{
	struct backend_lock *l = NULL;

	if (pooler_from_env() != BACKEND_POOLER_TRANSACTION)
		return false;
	assert_int_equal(backend_lock_new(S.be, 1, &l), -ENOLCK);
	return true;
}

static struct backend_lock *holder(struct backend *be, uint64_t id)
{
	struct backend_lock *l = NULL;

	assert_int_equal(backend_lock_new(be, id, &l), 0);
	assert_non_null(l);
	return l;
}

static void test_backend_lock_excludes_other_holders(void **state)
{
	uint64_t id = LOCK_ID(1);
	struct backend_lock *l1, *l2, *l3, *other;

	(void)state;
	if (locks_refused())
		return;
	l1 = holder(S.be, id);
	l2 = holder(S.be, id);
	l3 = holder(S.be, id);
	other = holder(S.be, id + 1);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l2, BACKEND_LOCK_EXCLUSIVE, NULL), -EWOULDBLOCK);
	assert_int_equal(backend_lock_set(S.be, l2, BACKEND_LOCK_SHARED, NULL), -EWOULDBLOCK);
	assert_int_equal(backend_lock_set(S.be, other, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	/* Down to shared: other shared holders come in, an exclusive one does not. */
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_SHARED, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l2, BACKEND_LOCK_SHARED, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l3, BACKEND_LOCK_EXCLUSIVE, NULL), -EWOULDBLOCK);
	/* Letting go (NONE) and freeing both release. */
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_NONE, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l3, BACKEND_LOCK_EXCLUSIVE, NULL), -EWOULDBLOCK);
	backend_lock_free(S.be, l2);
	assert_int_equal(backend_lock_set(S.be, l3, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_SHARED, NULL), -EWOULDBLOCK);
	backend_lock_free(S.be, l3);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_SHARED, NULL), 0);
	backend_lock_free(S.be, l1);
	backend_lock_free(S.be, other);
}

struct lock_waiter {
	pthread_t thread;
	struct backend_lock *l;
	int cancel;
	int result;
	pfs_usec_t waited;
};

static void *lock_waiter_main(void *arg)
{
	struct lock_waiter *w = arg;
	pfs_usec_t t0 = wall_usec();

	w->result = backend_lock_set(S.be, w->l, BACKEND_LOCK_EXCLUSIVE, &w->cancel);
	w->waited = wall_usec() - t0;
	return NULL;
}

static void test_backend_lock_wait_granted_when_released(void **state)
{
	uint64_t id = LOCK_ID(2);
	struct lock_waiter w = {0};
	struct backend_lock *l1;

	(void)state;
	if (locks_refused())
		return;
	l1 = holder(S.be, id);
	w.l = holder(S.be, id);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	assert_int_equal(pthread_create(&w.thread, NULL, lock_waiter_main, &w), 0);
	sleep_ms(200);
	backend_lock_free(S.be, l1);
	assert_int_equal(pthread_join(w.thread, NULL), 0);
	assert_int_equal(w.result, 0);
	assert_true(w.waited >= 150 * 1000);
	assert_true(w.waited < 5 * USEC_PER_SEC);
	backend_lock_free(S.be, w.l);
}

static void test_backend_lock_wait_ends_when_cancelled(void **state)
{
	uint64_t id = LOCK_ID(3);
	struct lock_waiter w = {0};
	struct backend_lock *l1, *l3;

	(void)state;
	if (locks_refused())
		return;
	l1 = holder(S.be, id);
	w.l = holder(S.be, id);
	assert_int_equal(backend_lock_set(S.be, l1, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	assert_int_equal(pthread_create(&w.thread, NULL, lock_waiter_main, &w), 0);
	sleep_ms(200);
	__atomic_store_n(&w.cancel, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(w.thread, NULL), 0);
	assert_int_equal(w.result, -EINTR);
	assert_true(w.waited < 2 * USEC_PER_SEC);
	/* The holder kept its lock; the cancelled one holds nothing. */
	l3 = holder(S.be, id);
	assert_int_equal(backend_lock_set(S.be, l3, BACKEND_LOCK_SHARED, NULL), -EWOULDBLOCK);
	backend_lock_free(S.be, l1);
	assert_int_equal(backend_lock_set(S.be, l3, BACKEND_LOCK_EXCLUSIVE, NULL), 0);
	backend_lock_free(S.be, l3);
	backend_lock_free(S.be, w.l);
}

static void test_backend_lock_holders_are_bounded(void **state)
{
	struct backend_params params;
	struct pfs_error err = {0};
	struct backend *be = NULL;
	struct backend_lock *a, *b, *c = NULL;

	(void)state;
	if (locks_refused())
		return;
	backend_params_default(&params);
	params.lock_connections = 2;
	params.pooler = pooler_from_env();
	assert_int_equal(backend_open(S.uri, &params, &be, &err), 0);
	a = holder(be, LOCK_ID(4));
	b = holder(be, LOCK_ID(5));
	assert_int_equal(backend_lock_new(be, LOCK_ID(6), &c), -ENOLCK);
	backend_lock_free(be, a);
	c = holder(be, LOCK_ID(6));
	backend_lock_free(be, b);
	backend_lock_free(be, c);
	backend_free(be);
}

/*
 * Another process (another mount's daemon) holds a lock: it excludes this
 * one, and goes with that process when it is killed, holder not freed.
 */
static void test_backend_lock_goes_with_a_killed_process(void **state)
{
	uint64_t id = LOCK_ID(7);
	struct backend_lock *mine;
	int ready[2], status;
	pid_t pid;
	char c;
	int r = -EWOULDBLOCK;

	(void)state;
	if (locks_refused())
		return;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct backend *be = NULL;
		struct backend_lock *l = NULL;

		close(ready[0]);
		if (open_params(S.uri, 1, 0, &be) < 0 || backend_lock_new(be, id, &l) < 0 ||
		    backend_lock_set(be, l, BACKEND_LOCK_EXCLUSIVE, NULL) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	mine = holder(S.be, id);
	assert_int_equal(backend_lock_set(S.be, mine, BACKEND_LOCK_SHARED, NULL), -EWOULDBLOCK);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* PostgreSQL ends the session when it sees the socket close: soon, not at once. */
	for (int i = 0; i < 100 && r == -EWOULDBLOCK; i++) {
		r = backend_lock_set(S.be, mine, BACKEND_LOCK_EXCLUSIVE, NULL);
		if (r == -EWOULDBLOCK)
			sleep_ms(50);
	}
	assert_int_equal(r, 0);
	backend_lock_free(S.be, mine);
}

static void test_backend_failed_calls_return_their_connection(void **state)
{
	struct backend *be = NULL;
	struct pin p = {0};
	struct pin_write bad = {.value = "{", .value_len = 1, .ttl_op = PIN_TTL_KEEP};
	struct pin_write ok = {.value = "1", .value_len = 1, .ttl_op = PIN_TTL_KEEP};
	TENANT(t, "pool-errors");

	(void)state;
	/* One connection: a single leaked one would make every later call wait and fail. */
	assert_int_equal(open_params(S.uri, 1, 2000, &be), 0);
	assert_int_equal(backend_pin_upsert(be, t, "a", &ok, NULL), 0);
	assert_int_equal(backend_pin_upsert(be, t, "b", &ok, NULL), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(backend_pin_get(be, t, "missing", ANY_LENGTH, &p), -ENOENT);
		assert_int_equal(backend_pin_delete(be, t, "missing"), -ENOENT);
		assert_int_equal(backend_pin_rename(be, t, "missing", "x", 0, NULL), -ENOENT);
		assert_int_equal(backend_pin_rename(be, t, "a", "b", BACKEND_RENAME_NOREPLACE, NULL),
				 -EEXIST);
		assert_int_equal(backend_pin_upsert(be, t, "a", &bad, NULL), -EINVAL);
		assert_int_equal(backend_tenant_create(be, t), -EEXIST);
		assert_int_equal(backend_tenant_delete(be, t), -ENOTEMPTY);
	}
	assert_int_equal(backend_ping(be), 0);
	assert_int_equal(backend_pin_get(be, t, "a", ANY_LENGTH, &p), 0);
	assert_string_equal(p.value, "1");
	pin_done(&p);
	backend_free(be);
}

struct reenter {
	struct backend *be;
	const char *tenant;
	int calls;
	int unexpected;
};

static int reenter_cb(void *ctx, const char *key, const struct pin *p)
{
	struct reenter *re = ctx;
	struct pin q = {0};
	int r;

	(void)p;
	r = backend_pin_get(re->be, re->tenant, key, ANY_LENGTH, &q);
	pin_done(&q);
	re->calls++;
	if (r != 0 && r != -EIO)
		re->unexpected++;
	return 0;
}

static void test_backend_list_callback_reentry_never_hangs(void **state)
{
	struct reenter re = {0};
	TENANT(t, "reenter");

	(void)state;
	/*
	 * With a one-connection pool a callback that calls the backend either
	 * gets its answer or -EIO once the pool wait passes: never a hang.
	 */
	assert_int_equal(open_params(S.uri, 1, 100, &re.be), 0);
	re.tenant = t;
	put(t, "a", "1", NULL);
	put(t, "b", "1", NULL);
	assert_int_equal(backend_pin_list(re.be, t, NULL, 10, ANY_LENGTH, reenter_cb, &re), 2);
	assert_int_equal(re.calls, 2);
	assert_int_equal(re.unexpected, 0);
	assert_int_equal(backend_ping(re.be), 0);
	backend_free(re.be);
}

/*
 * Calls that hold a connection until told to let go: a pin_list whose
 * callback waits (the driver holds the connection meanwhile). Each records
 * when it got in (its order among the calls) and its result.
 */
struct held_call {
	pthread_t thread;
	struct backend *be;
	const char *tenant;
	bool release;		/* protected by H.lock */
	int entered;		/* protected by H.lock: 0, or 1 + how many got in before */
	int r;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n_entered;
} H = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static int held_cb(void *ctx, const char *key, const struct pin *p)
{
	struct held_call *c = ctx;
	struct timespec until;
	int e = 0;

	(void)key;
	(void)p;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;	/* never hang the suite */
	pthread_mutex_lock(&H.lock);
	c->entered = ++H.n_entered;
	pthread_cond_broadcast(&H.cond);
	while (!c->release && e == 0)
		e = pthread_cond_timedwait(&H.cond, &H.lock, &until);
	pthread_mutex_unlock(&H.lock);
	return 1;	/* one pin is enough */
}

static void *held_main(void *arg)
{
	struct held_call *c = arg;

	c->r = backend_pin_list(c->be, c->tenant, NULL, 10, ANY_LENGTH, held_cb, c);
	return NULL;
}

static void held_start(struct held_call *c, struct backend *be, const char *t)
{
	*c = (struct held_call){.be = be, .tenant = t};
	assert_int_equal(pthread_create(&c->thread, NULL, held_main, c), 0);
}

/* Waits (5 s at most) until n calls got in; returns how many did. */
static int held_wait_entered(int n)
{
	struct timespec until;
	int got, e = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&H.lock);
	while (H.n_entered < n && e == 0)
		e = pthread_cond_timedwait(&H.cond, &H.lock, &until);
	got = H.n_entered;
	pthread_mutex_unlock(&H.lock);
	return got;
}

static int held_entered(const struct held_call *c)
{
	int n;

	pthread_mutex_lock(&H.lock);
	n = c->entered;
	pthread_mutex_unlock(&H.lock);
	return n;
}

static void held_release(struct held_call *c)
{
	pthread_mutex_lock(&H.lock);
	c->release = true;
	pthread_cond_broadcast(&H.cond);
	pthread_mutex_unlock(&H.lock);
}

static void held_join(struct held_call *c)
{
	held_release(c);
	assert_int_equal(pthread_join(c->thread, NULL), 0);
}

static void test_backend_one_tenant_never_takes_every_connection(void **state)
{
	struct backend *be = NULL;
	struct held_call a[3];
	struct pin p = {0};
	int64_t t0, ms;
	TENANT(ta, "share-a");
	TENANT(tb, "share-b");

	(void)state;
	H.n_entered = 0;
	assert_int_equal(open_params(S.uri, 2, 3000, &be), 0);
	put(ta, "a", "1", NULL);
	put(tb, "b", "2", NULL);
	/* Three calls of tenant A that hold their connection; a pool of two. */
	for (int i = 0; i < 3; i++)
		held_start(&a[i], be, ta);
	assert_int_equal(held_wait_entered(1), 1);
	sleep_ms(300);	/* time for a second call of A to take the other connection */
	assert_int_equal(held_wait_entered(1), 1);
	/* Tenant B still gets the other connection at once. */
	t0 = wall_usec();
	assert_int_equal(backend_pin_get(be, tb, "b", ANY_LENGTH, &p), 0);
	ms = (wall_usec() - t0) / 1000;
	assert_string_equal(p.value, "2");
	pin_done(&p);
	if (ms >= 1000)
		fprintf(stderr, "# tenant B waited %lld ms\n", (long long)ms);
	assert_true(ms < 1000);
	/* A's calls go one after another, each within the pool wait. */
	for (int i = 0; i < 3; i++)
		held_release(&a[i]);
	for (int i = 0; i < 3; i++) {
		held_join(&a[i]);
		assert_int_equal(a[i].r, 1);
	}
	backend_free(be);
}

static void test_backend_free_connection_goes_to_tenant_with_fewest(void **state)
{
	struct backend *be = NULL;
	struct held_call a[3], b[2], c;
	TENANT(ta, "fair-a");
	TENANT(tb, "fair-b");
	TENANT(tc, "fair-c");

	(void)state;
	H.n_entered = 0;
	assert_int_equal(open_params(S.uri, 4, 5000, &be), 0);
	put(ta, "a", "1", NULL);
	put(tb, "b", "1", NULL);
	put(tc, "c", "1", NULL);
	/* A holds 3 connections (its most of 4), B the fourth. */
	for (int i = 0; i < 3; i++)
		held_start(&a[i], be, ta);
	assert_int_equal(held_wait_entered(3), 3);
	held_start(&b[0], be, tb);
	assert_int_equal(held_wait_entered(4), 4);
	/* B's second call queues first, then C's first. */
	held_start(&b[1], be, tb);
	sleep_ms(200);
	held_start(&c, be, tc);
	sleep_ms(200);
	assert_int_equal(held_entered(&b[1]), 0);
	assert_int_equal(held_entered(&c), 0);
	/* One of A's connections comes free: C holds none, B one, so C goes first. */
	held_join(&a[0]);
	assert_int_equal(held_wait_entered(5), 5);
	assert_int_equal(held_entered(&c), 5);
	assert_int_equal(held_entered(&b[1]), 0);
	held_join(&c);
	held_join(&a[1]);
	held_join(&a[2]);
	held_join(&b[0]);
	held_join(&b[1]);
	assert_int_equal(a[0].r, 1);
	assert_int_equal(c.r, 1);
	assert_int_equal(b[1].r, 1);
	backend_free(be);
}

/* ---- SQLite only ------------------------------------------------------- */

static void test_sqlite_uri_relative_or_directory_is_einval(void **state)
{
	static const char *const bad[] = {"sqlite://relative.db", "sqlite://", "sqlite:///tmp/"};
	struct backend *be = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pfs_error err = {0};

		assert_int_equal(backend_open(bad[i], NULL, &be, &err), -EINVAL);
		assert_null(be);
		assert_true(err.message[0] != '\0');
	}
}

static void test_sqlite_open_creates_parent_directories(void **state)
{
	char uri[PATH_MAX + 32], dir[PATH_MAX], file[PATH_MAX + 16];
	struct backend *be = NULL;
	struct stat st;

	(void)state;
	fmt(dir, sizeof(dir), "%s/made/here", S.scratch);
	fmt(file, sizeof(file), "%s/new.db", dir);
	fmt(uri, sizeof(uri), "sqlite://%s", file);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(open_params(uri, 2, 0, &be), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(stat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(migrate_up(be), 0);
	assert_int_equal(backend_ping(be), 0);
	backend_free(be);
}

static void test_sqlite_commits_survive_reopen_in_wal_mode(void **state)
{
	char wal[PATH_MAX + 32];
	struct backend *other = NULL;
	struct pin p = {0};
	struct stat st;
	TENANT(t, "sqlite-reopen");

	(void)state;
	put(t, "k", "{\"kept\": true}", NULL);
	/* journal_mode=WAL leaves a -wal file next to an open database. */
	fmt(wal, sizeof(wal), "%s-wal", S.uri + strlen("sqlite://"));
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(open_params(S.uri, 1, 0, &other), 0);
	assert_int_equal(backend_pin_get(other, t, "k", ANY_LENGTH, &p), 0);
	assert_string_equal(p.value, "{\"kept\": true}");
	pin_done(&p);
	backend_free(other);
}

/* Runs the sqlite3 shell on the database under test: 0, or -1 if it could not. */
static int sqlite_shell(const char *sql)
{
	char cmd[PATH_MAX * 2 + 64], script[PATH_MAX + 32];
	FILE *f;
	int r;

	fmt(script, sizeof(script), "%s/shell.sql", S.scratch);
	f = fopen(script, "w");
	if (!f)
		return -1;
	fprintf(f, ".timeout 5000\n%s\n", sql);
	if (fclose(f) != 0)
		return -1;
	fmt(cmd, sizeof(cmd), "sqlite3 -bail '%s' < '%s' >/dev/null", S.uri + strlen("sqlite://"),
	    script);
	r = system(cmd);
	return r == 0 ? 0 : -1;
}

/* Other tools' writes move versions too: the triggers of migrations/sqlite/0003. */
static void test_sqlite_other_tools_writes_grow_versions(void **state)
{
	char sql[512];
	struct pin_meta m1, m2, m3;
	TENANT(t, "sqlite-foreign-versions");

	(void)state;
	fmt(sql, sizeof(sql),
	    "INSERT INTO memory_pins (tenant_id, key, value) VALUES ('%s', 'k', '1');", t);
	assert_int_equal(sqlite_shell(sql), 0);
	expect_pin(t, "k", "1", &m1);
	assert_true(m1.version > 1);
	fmt(sql, sizeof(sql), "UPDATE memory_pins SET value = '2' WHERE tenant_id = '%s';", t);
	assert_int_equal(sqlite_shell(sql), 0);
	expect_pin(t, "k", "2", &m2);
	assert_true(m2.version > m1.version);
	/* A tool that sets a lower version still moves it forward. */
	fmt(sql, sizeof(sql), "UPDATE memory_pins SET version = 5 WHERE tenant_id = '%s';", t);
	assert_int_equal(sqlite_shell(sql), 0);
	expect_pin(t, "k", "2", &m3);
	assert_true(m3.version > m2.version);
	put(t, "k", "3", &m1);
	assert_true(m1.version > m3.version);
}

static void test_sqlite_rows_from_other_tools_are_served(void **state)
{
	char sql[1024];
	struct rows rs = {0};
	struct pin_meta m;
	TENANT(t, "sqlite-foreign");

	(void)state;
	/*
	 * Rows as another tool writes them: column defaults (millisecond
	 * times), SQLite's "YYYY-MM-DD HH:MM:SS" format, an offset zone.
	 */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO memory_pins (tenant_id, key, value) VALUES ('%s', 'plain', '[1, 2]');"
		 "INSERT INTO memory_pins (tenant_id, key, value, ttl_seconds, expires_at)"
		 " VALUES ('%s', 'past', '1', 60, datetime('now', '-1 minute'));"
		 "INSERT INTO memory_pins (tenant_id, key, value, ttl_seconds, expires_at)"
		 " VALUES ('%s', 'future', '2', 3600, datetime('now', '+1 hour'));"
		 "INSERT INTO memory_pins (tenant_id, key, value, expires_at)"
		 " VALUES ('%s', 'zoned', '3', strftime('%%Y-%%m-%%dT%%H:%%M:%%S+05:00', 'now'));",
		 t, t, t, t);
	assert_int_equal(sqlite_shell(sql), 0);

	expect_pin(t, "plain", "[1, 2]", &m);
	assert_string_equal(m.source, "fs");
	assert_true(m.created_at > 0);
	assert_true(llabs(m.created_at - wall_usec()) < 60 * USEC_PER_SEC);
	assert_int_equal(m.ttl_seconds, -1);
	assert_int_equal(m.expires_at, 0);
	expect_no_pin(t, "past");
	expect_pin(t, "future", "2", &m);
	assert_int_equal(m.ttl_seconds, 3600);
	assert_true(llabs(m.expires_at - (wall_usec() + 3600 * USEC_PER_SEC)) < 60 * USEC_PER_SEC);
	/* The UTC clock reading labelled +05:00 is an instant five hours ago. */
	expect_no_pin(t, "zoned");
	assert_int_equal(backend_pin_list(S.be, t, NULL, 10, ANY_LENGTH, rows_cb, &rs), 2);
	assert_string_equal(rs.keys[0], "future");
	assert_string_equal(rs.keys[1], "plain");
	rows_done(&rs);
	/* A tenant with pins but no record exists, and its first upsert adds the record. */
	assert_int_equal(backend_tenant_exists(S.be, t), 0);
	assert_int_equal(backend_tenant_create(S.be, t), -EEXIST);
}

static void test_sqlite_locked_by_another_process_is_eio_then_recovers(void **state)
{
	char script[PATH_MAX + 32];
	struct pin_write two = {.value = "2", .value_len = 1, .ttl_op = PIN_TTL_KEEP};
	struct backend_params params;
	struct backend *be = NULL;
	struct pfs_error err = {0};
	struct timespec t0, t1;
	bool saw_eio = false;
	long waited_ms = 0;
	pid_t pid;
	FILE *f;
	int status, r;
	TENANT(t, "sqlite-busy");

	(void)state;
	put(t, "k", "1", NULL);
	backend_params_default(&params);
	params.statement_timeout_ms = 300; /* the busy timeout */
	assert_int_equal(backend_open(S.uri, &params, &be, &err), 0);

	/* Another process holds the write lock for two seconds. */
	fmt(script, sizeof(script), "%s/lock.sql", S.scratch);
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f,
		"BEGIN IMMEDIATE;\nINSERT INTO tenants (name) VALUES ('%s-lock');\n"
		".shell sleep 2\nROLLBACK;\n",
		S.prefix);
	assert_int_equal(fclose(f), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(script, "r", stdin))
			_exit(126);
		execlp("sqlite3", "sqlite3", S.uri + strlen("sqlite://"), (char *)NULL);
		_exit(127);
	}

	/* Writes wait the busy timeout, then fail with EIO; nothing blocks readers. */
	for (int i = 0; i < 20 && !saw_eio; i++) {
		sleep_ms(100);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = backend_pin_upsert(be, t, "k", &two, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_true(r == 0 || r == -EIO);
		if (r == -EIO) {
			saw_eio = true;
			waited_ms =
			    (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		}
	}
	if (saw_eio) {
		struct pin p = {0};

		assert_int_equal(backend_pin_get(be, t, "k", ANY_LENGTH, &p), 0);
		pin_done(&p);
		assert_int_equal(backend_ping(be), 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_true(saw_eio);
	assert_true(waited_ms >= 250);
	/* The lock is gone: writes work again, on the same connections. */
	assert_int_equal(
	    backend_pin_upsert(be, t, "k", &(struct pin_write){.value = "3", .value_len = 1}, NULL),
	    0);
	expect_pin(t, "k", "3", NULL);
	backend_free(be);
}

/* ---- schema (last: it wipes the tables) -------------------------------- */

static void test_backend_migrations_down_then_up_again(void **state)
{
	const struct migration *last = NULL;
	struct pin p = {0};
	int version = -1, newest;
	TENANT(t, "migrate");

	(void)state;
	put(t, "before", "1", NULL);
	newest = backend_schema_required(S.be);
	for (const struct migration *m = S.be->migrations; m->version; m++)
		last = m;
	assert_non_null(last);

	/* Applying the newest again is refused and changes nothing. */
	assert_true(S.be->ops->migration_apply(S.be, last, true) < 0);
	assert_int_equal(backend_schema_version(S.be, &version), 0);
	assert_int_equal(version, newest);
	expect_pin(t, "before", "1", NULL);

	for (const struct migration *m = last;; m--) {
		assert_int_equal(S.be->ops->migration_apply(S.be, m, false), 0);
		assert_int_equal(backend_schema_version(S.be, &version), 0);
		assert_int_equal(version, m == S.be->migrations ? 0 : m[-1].version);
		if (m == S.be->migrations)
			break;
	}
	assert_int_equal(version, 0);
	assert_true(backend_pin_get(S.be, t, "before", ANY_LENGTH, &p) < 0); /* no tables */
	assert_null(p.value);
	assert_int_equal(backend_ping(S.be), 0);

	assert_int_equal(migrate_up(S.be), 0);
	assert_int_equal(backend_schema_version(S.be, &version), 0);
	assert_int_equal(version, newest);
	expect_no_pin(t, "before");
	put(t, "after", "2", NULL);
	expect_pin(t, "after", "2", NULL);
}

/*
 * Tests that do not apply to the backend under test are left out of the
 * plan rather than skipped: cmocka 1.1.5 reports a skip as "not ok ...
 * # SKIP", which meson's TAP parser counts as a failure.
 */
enum needs {
	NEEDS_ANY,
	NEEDS_SQLITE,	    /* the SQLite driver's own behaviour */
	NEEDS_SQLITE_SHELL, /* that, and the sqlite3 shell as "another tool" */
};

static const struct {
	struct CMUnitTest test;
	enum needs needs;
} all_tests[] = {
    {cmocka_unit_test(test_backend_ping_answers_zero), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_times_move_with_entries_only), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_times_without_row_from_pins), NEEDS_SQLITE},
    {cmocka_unit_test(test_backend_schema_version_is_newest_embedded), NEEDS_ANY},
    {cmocka_unit_test(test_backend_uri_redacted_is_set), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_get_missing_is_enoent), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_new_then_get_roundtrips), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_existing_keeps_id_and_created_at), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_ids_are_distinct), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_source_is_kept_or_set), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_invalid_json_is_einval), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_ttl_out_of_range_is_einval), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_delete_removes_then_enoent), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_delete_then_upsert_is_new_pin), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_moves_and_keeps_id), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_onto_existing_replaces_it), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_noreplace_onto_existing_is_eexist), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_missing_source_is_enoent), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_onto_expired_target_succeeds), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_expired_source_is_enoent), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_across_many_keeps_other_pins), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_pages_of_7_cover_1000_keys), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_orders_keys_bytewise), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_skips_expired), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_unknown_tenant_is_empty), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_isolates_tenants), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_callback_nonzero_stops), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_get_longer_than_max_value_has_no_value), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_list_longer_than_max_value_has_no_value), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_get_max_value_bounds_the_printed_text), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_ttl_set_keep_clear), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_ttl_zero_expires_at_once), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_ttl_expires_after_its_time), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_upsert_onto_expired_is_new_pin), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_set_meta_set_keep_clear), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_set_meta_missing_is_enoent), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_set_meta_ttl_out_of_range_is_einval), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_set_meta_long_source_is_einval), NEEDS_SQLITE},
    {cmocka_unit_test(test_backend_expire_dry_run_reports_then_real_deletes_once), NEEDS_ANY},
    {cmocka_unit_test(test_backend_expire_oldest_first_up_to_limit), NEEDS_ANY},
    {cmocka_unit_test(test_backend_expire_callback_stop_still_deletes), NEEDS_ANY},
    {cmocka_unit_test(test_backend_audit_append_writes_a_batch), NEEDS_ANY},
    {cmocka_unit_test(test_backend_rbac_audit_append_writes_a_batch), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_create_exists_delete), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_with_pins_is_not_empty), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_expired_pins_do_not_block_delete), NEEDS_ANY},
    {cmocka_unit_test(test_backend_tenant_list_sorted_and_unique), NEEDS_ANY},
    {cmocka_unit_test(test_backend_threads_write_and_read_concurrently), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_version_grows_with_every_change), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_version_never_comes_back_after_delete), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_rename_onto_existing_grows_past_both), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_conditional_upsert_at_version), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_conditional_upsert_keeps_metadata_rules), NEEDS_ANY},
    {cmocka_unit_test(test_backend_pin_conditional_upsert_loses_no_update), NEEDS_ANY},
    {cmocka_unit_test(test_backend_lock_excludes_other_holders), NEEDS_ANY},
    {cmocka_unit_test(test_backend_lock_wait_granted_when_released), NEEDS_ANY},
    {cmocka_unit_test(test_backend_lock_wait_ends_when_cancelled), NEEDS_ANY},
    {cmocka_unit_test(test_backend_lock_holders_are_bounded), NEEDS_ANY},
    {cmocka_unit_test(test_backend_lock_goes_with_a_killed_process), NEEDS_ANY},
    {cmocka_unit_test(test_backend_failed_calls_return_their_connection), NEEDS_ANY},
    {cmocka_unit_test(test_backend_list_callback_reentry_never_hangs), NEEDS_ANY},
    {cmocka_unit_test(test_backend_one_tenant_never_takes_every_connection), NEEDS_ANY},
    {cmocka_unit_test(test_backend_free_connection_goes_to_tenant_with_fewest), NEEDS_ANY},
    {cmocka_unit_test(test_sqlite_uri_relative_or_directory_is_einval), NEEDS_SQLITE},
    {cmocka_unit_test(test_sqlite_open_creates_parent_directories), NEEDS_SQLITE},
    {cmocka_unit_test(test_sqlite_commits_survive_reopen_in_wal_mode), NEEDS_SQLITE},
    {cmocka_unit_test(test_sqlite_rows_from_other_tools_are_served), NEEDS_SQLITE_SHELL},
    {cmocka_unit_test(test_sqlite_other_tools_writes_grow_versions), NEEDS_SQLITE_SHELL},
    {cmocka_unit_test(test_sqlite_tenant_with_only_expired_pins_is_not_listed), NEEDS_SQLITE},
    {cmocka_unit_test(test_sqlite_locked_by_another_process_is_eio_then_recovers),
     NEEDS_SQLITE_SHELL},
    {cmocka_unit_test(test_backend_migrations_down_then_up_again), NEEDS_ANY},
};

int main(void)
{
	const char *env = getenv("PINFS_TEST_BACKEND_URI");
	struct CMUnitTest tests[sizeof(all_tests) / sizeof(all_tests[0])];
	bool shell;
	size_t n = 0;

	S.is_sqlite = !env || !env[0] || strncmp(env, "sqlite://", 9) == 0;
	shell = S.is_sqlite && (!env || !strchr(env, '\'')) &&
		system("command -v sqlite3 >/dev/null 2>&1") == 0;
	for (size_t i = 0; i < sizeof(all_tests) / sizeof(all_tests[0]); i++) {
		bool run = all_tests[i].needs == NEEDS_ANY ||
			   (all_tests[i].needs == NEEDS_SQLITE && S.is_sqlite) ||
			   (all_tests[i].needs == NEEDS_SQLITE_SHELL && shell);

		if (run)
			tests[n++] = all_tests[i].test;
		else
			fprintf(stderr, "# not applicable here: %s\n", all_tests[i].test.name);
	}
	/* What cmocka_run_group_tests_name() expands to, with a count known at run time. */
	return _cmocka_run_group_tests("backend conformance", tests, n, suite_setup,
				       suite_teardown);
}
