/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for inode_table: node ids for tenants and pins, lookup counts
 * (ref/forget), rename and detach (a node whose name went away resolves to
 * -ESTALE), ids never reused, and a multi-threaded ref/forget stress.
 * Written from include/pinfs/inode_table.h.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pinfs/inode_table.h"

static int setup_table(void **state)
{
	*state = inode_table_new();
	return *state ? 0 : -1;
}

static int teardown_table(void **state)
{
	assert_null(inode_table_free(*state));
	return 0;
}

static uint64_t ref(struct inode_table *t, const char *tenant, const char *key)
{
	uint64_t id = 0;
	int r = inode_table_ref(t, tenant, key, &id);

	if (r != 0)
		fail_msg("inode_table_ref(%s, %s) = %d", tenant, key ? key : "(null)", r);
	return id;
}

/* Asserts that id resolves to (kind, tenant, key). */
static void expect_resolve(struct inode_table *t, uint64_t id, enum inode_kind kind,
			   const char *tenant, const char *key)
{
	enum inode_kind k = (enum inode_kind) - 1;
	char *rt = NULL, *rk = NULL;
	int r = inode_table_resolve(t, id, &k, &rt, &rk);

	if (r != 0)
		fail_msg("resolve(%llu) = %d, want 0", (unsigned long long)id, r);
	assert_int_equal(k, kind);
	assert_non_null(rt);
	assert_string_equal(rt, tenant);
	if (key) {
		assert_non_null(rk);
		assert_string_equal(rk, key);
	} else {
		assert_null(rk);
	}
	free(rt);
	free(rk);
}

static void expect_resolve_fails(struct inode_table *t, uint64_t id, int err)
{
	enum inode_kind k = INODE_KIND_ROOT;
	char *sentinel = (char *)"untouched";
	char *rt = sentinel, *rk = sentinel;
	int r = inode_table_resolve(t, id, &k, &rt, &rk);

	if (r != err)
		fail_msg("resolve(%llu) = %d, want %d", (unsigned long long)id, r, err);
	assert_ptr_equal(rt, sentinel);
	assert_ptr_equal(rk, sentinel);
}

/* ---- basics --------------------------------------------------------------- */

static void test_inode_table_root_resolves_as_root(void **state)
{
	struct inode_table *t = *state;
	enum inode_kind k = INODE_KIND_PIN;
	char *rt = NULL, *rk = NULL;

	assert_int_equal(INODE_ROOT, 1);
	assert_int_equal(inode_table_resolve(t, INODE_ROOT, &k, &rt, &rk), 0);
	assert_int_equal(k, INODE_KIND_ROOT);
	assert_null(rk);
	free(rt);
	free(rk);
}

static void test_inode_table_system_dir_resolves_as_system(void **state)
{
	struct inode_table *t = *state;
	enum inode_kind k = INODE_KIND_PIN;
	char *rt = NULL, *rk = NULL;

	assert_int_equal(INODE_SYSTEM_DIR, 2);
	assert_int_equal(inode_table_resolve(t, INODE_SYSTEM_DIR, &k, &rt, &rk), 0);
	assert_int_equal(k, INODE_KIND_SYSTEM);
	free(rt);
	free(rk);
}

static void test_inode_table_unknown_id_is_enoent(void **state)
{
	struct inode_table *t = *state;

	expect_resolve_fails(t, INODE_FIRST_DYNAMIC, -ENOENT);
	expect_resolve_fails(t, 123456789, -ENOENT);
	expect_resolve_fails(t, INODE_SYSTEM_READER - 1, -ENOENT);
}

static void test_inode_table_stream_reader_ids_are_system(void **state)
{
	struct inode_table *t = *state;
	enum inode_kind kind = INODE_KIND_PIN;
	char *tenant = (char *)"x", *key = (char *)"y";

	/* /.system streams' per-reader nodes: never handed out, never forgotten. */
	assert_true(inode_is_system(INODE_SYSTEM_READER | 4));
	assert_false(inode_is_system(INODE_SYSTEM_READER - 1));
	assert_int_equal(inode_table_resolve(t, UINT64_MAX, &kind, &tenant, &key), 0);
	assert_int_equal(kind, INODE_KIND_SYSTEM);
	assert_null(tenant);
	assert_null(key);
	inode_table_forget(t, UINT64_MAX, 1);
	assert_true(ref(t, "acme", NULL) < INODE_SYSTEM_READER);
}

static void test_inode_table_id_zero_is_enoent(void **state)
{
	/* 0 is no node id (the header's fixed ids are 1, 2 and 3..1023). */
	expect_resolve_fails(*state, 0, -ENOENT);
}

static void test_inode_table_tenant_ref_resolves_to_tenant(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", NULL);

	assert_true(id >= INODE_FIRST_DYNAMIC);
	expect_resolve(t, id, INODE_KIND_TENANT, "acme", NULL);
}

static void test_inode_table_pin_ref_resolves_to_pin(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "config:rate_limits");

	assert_true(id >= INODE_FIRST_DYNAMIC);
	expect_resolve(t, id, INODE_KIND_PIN, "acme", "config:rate_limits");
}

static void test_inode_table_key_with_slash_and_utf8_resolves_exactly(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "a/b%c\xc3\xa9");

	expect_resolve(t, id, INODE_KIND_PIN, "acme", "a/b%c\xc3\xa9");
}

static void test_inode_table_same_name_gives_same_id(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "acme", "k");
	uint64_t b = ref(t, "acme", "k");
	uint64_t c = ref(t, "acme", NULL);
	uint64_t d = ref(t, "acme", NULL);

	assert_int_equal(a, b);
	assert_int_equal(c, d);
	assert_int_not_equal(a, c);
}

static void test_inode_table_distinct_names_give_distinct_ids(void **state)
{
	struct inode_table *t = *state;
	uint64_t ids[6];

	ids[0] = ref(t, "acme", NULL);
	ids[1] = ref(t, "acme", "k");
	ids[2] = ref(t, "globex", "k");
	ids[3] = ref(t, "globex", NULL);
	ids[4] = ref(t, "acme", "K");
	ids[5] = ref(t, "k", NULL); /* a tenant named like the key */
	for (int i = 0; i < 6; i++) {
		assert_true(ids[i] >= INODE_FIRST_DYNAMIC);
		for (int j = i + 1; j < 6; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	expect_resolve(t, ids[2], INODE_KIND_PIN, "globex", "k");
	expect_resolve(t, ids[5], INODE_KIND_TENANT, "k", NULL);
}

/* Tenant "a" + key "bc" and tenant "ab" + key "c" must not collide. */
static void test_inode_table_tenant_key_boundary_is_kept(void **state)
{
	struct inode_table *t = *state;
	uint64_t x = ref(t, "a", "bc");
	uint64_t y = ref(t, "ab", "c");
	uint64_t z = ref(t, "a", "b/c");

	assert_int_not_equal(x, y);
	assert_int_not_equal(x, z);
	expect_resolve(t, x, INODE_KIND_PIN, "a", "bc");
	expect_resolve(t, y, INODE_KIND_PIN, "ab", "c");
}

/* ---- peek ----------------------------------------------------------------- */

static void test_inode_table_peek_unknown_is_zero_and_creates_nothing(void **state)
{
	struct inode_table *t = *state;
	uint64_t id;

	assert_int_equal(inode_table_peek(t, "acme", "k"), 0);
	assert_int_equal(inode_table_peek(t, "acme", NULL), 0);
	/* Still nothing after peeking. */
	assert_int_equal(inode_table_peek(t, "acme", "k"), 0);
	id = ref(t, "acme", "k");
	assert_int_equal(inode_table_peek(t, "acme", "k"), id);
	assert_int_equal(inode_table_peek(t, "acme", NULL), 0);
}

static void test_inode_table_peek_adds_no_reference(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "k");

	for (int i = 0; i < 5; i++)
		assert_int_equal(inode_table_peek(t, "acme", "k"), id);
	/* One forget balances the one ref: the node is gone. */
	inode_table_forget(t, id, 1);
	assert_int_equal(inode_table_peek(t, "acme", "k"), 0);
	expect_resolve_fails(t, id, -ENOENT);
}

/* ---- forget --------------------------------------------------------------- */

static void test_inode_table_forget_to_zero_frees(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "k");

	(void)ref(t, "acme", "k");
	(void)ref(t, "acme", "k");
	inode_table_forget(t, id, 1);
	expect_resolve(t, id, INODE_KIND_PIN, "acme", "k");
	inode_table_forget(t, id, 1);
	expect_resolve(t, id, INODE_KIND_PIN, "acme", "k");
	assert_int_equal(inode_table_peek(t, "acme", "k"), id);
	inode_table_forget(t, id, 1);
	expect_resolve_fails(t, id, -ENOENT);
	assert_int_equal(inode_table_peek(t, "acme", "k"), 0);
}

static void test_inode_table_forget_n_at_once_frees(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = 0;

	for (int i = 0; i < 10; i++)
		id = ref(t, "acme", NULL);
	inode_table_forget(t, id, 9);
	expect_resolve(t, id, INODE_KIND_TENANT, "acme", NULL);
	inode_table_forget(t, id, 1);
	expect_resolve_fails(t, id, -ENOENT);
}

static void test_inode_table_forget_unknown_id_is_harmless(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "k");

	inode_table_forget(t, id + 1000, 1);
	inode_table_forget(t, 999999, 3);
	expect_resolve(t, id, INODE_KIND_PIN, "acme", "k");
}

static void test_inode_table_ids_are_never_reused(void **state)
{
	struct inode_table *t = *state;
	uint64_t seen[200];

	for (int i = 0; i < 200; i++) {
		/* The same name each time: freed, then attached anew. */
		seen[i] = ref(t, "acme", "k");
		for (int j = 0; j < i; j++)
			if (seen[j] == seen[i])
				fail_msg("id %llu reused", (unsigned long long)seen[i]);
		inode_table_forget(t, seen[i], 1);
		expect_resolve_fails(t, seen[i], -ENOENT);
	}
}

static void test_inode_table_many_nodes_resolve(void **state)
{
	enum { N = 5000 };
	struct inode_table *t = *state;
	uint64_t *ids = calloc(N, sizeof(*ids));
	char key[32];

	assert_non_null(ids);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		ids[i] = ref(t, i % 2 ? "odd" : "even", key);
	}
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_int_equal(inode_table_peek(t, i % 2 ? "odd" : "even", key), ids[i]);
		if (i % 97 == 0)
			expect_resolve(t, ids[i], INODE_KIND_PIN, i % 2 ? "odd" : "even", key);
	}
	/* Free every other one; the rest stay. */
	for (int i = 0; i < N; i += 2)
		inode_table_forget(t, ids[i], 1);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		if (i % 2 == 0) {
			assert_int_equal(inode_table_peek(t, "even", key), 0);
		} else {
			assert_int_equal(inode_table_peek(t, "odd", key), ids[i]);
		}
	}
	free(ids);
}

/* ---- detach ---------------------------------------------------------------- */

static void test_inode_table_detach_makes_node_stale(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "k");

	inode_table_detach(t, "acme", "k");
	expect_resolve_fails(t, id, -ESTALE);
	assert_int_equal(inode_table_peek(t, "acme", "k"), 0);
}

static void test_inode_table_detach_then_ref_gives_new_id(void **state)
{
	struct inode_table *t = *state;
	uint64_t old = ref(t, "acme", "k");
	uint64_t fresh;

	inode_table_detach(t, "acme", "k");
	fresh = ref(t, "acme", "k");
	assert_int_not_equal(fresh, old);
	expect_resolve(t, fresh, INODE_KIND_PIN, "acme", "k");
	expect_resolve_fails(t, old, -ESTALE);
	assert_int_equal(inode_table_peek(t, "acme", "k"), fresh);
}

static void test_inode_table_detached_node_forget_frees(void **state)
{
	struct inode_table *t = *state;
	uint64_t old = ref(t, "acme", "k");
	uint64_t fresh;

	(void)ref(t, "acme", "k");
	inode_table_detach(t, "acme", "k");
	fresh = ref(t, "acme", "k");
	inode_table_forget(t, old, 1);
	expect_resolve_fails(t, old, -ESTALE);
	inode_table_forget(t, old, 1);
	expect_resolve_fails(t, old, -ENOENT);
	/* Forgetting the detached node never touches the new one. */
	expect_resolve(t, fresh, INODE_KIND_PIN, "acme", "k");
	assert_int_equal(inode_table_peek(t, "acme", "k"), fresh);
}

static void test_inode_table_detach_only_that_name(void **state)
{
	struct inode_table *t = *state;
	uint64_t k1 = ref(t, "acme", "k1");
	uint64_t k2 = ref(t, "acme", "k2");
	uint64_t other = ref(t, "globex", "k1");
	uint64_t ten = ref(t, "acme", NULL);

	inode_table_detach(t, "acme", "k1");
	expect_resolve_fails(t, k1, -ESTALE);
	expect_resolve(t, k2, INODE_KIND_PIN, "acme", "k2");
	expect_resolve(t, other, INODE_KIND_PIN, "globex", "k1");
	expect_resolve(t, ten, INODE_KIND_TENANT, "acme", NULL);
}

static void test_inode_table_detach_tenant_makes_tenant_stale(void **state)
{
	struct inode_table *t = *state;
	uint64_t ten = ref(t, "acme", NULL);
	uint64_t fresh;

	inode_table_detach(t, "acme", NULL);
	expect_resolve_fails(t, ten, -ESTALE);
	assert_int_equal(inode_table_peek(t, "acme", NULL), 0);
	fresh = ref(t, "acme", NULL);
	assert_int_not_equal(fresh, ten);
	expect_resolve(t, fresh, INODE_KIND_TENANT, "acme", NULL);
}

static void test_inode_table_detach_unknown_is_harmless(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "k");

	inode_table_detach(t, "acme", "nope");
	inode_table_detach(t, "nope", NULL);
	inode_table_detach(t, "acme", "k");
	inode_table_detach(t, "acme", "k"); /* twice */
	expect_resolve_fails(t, id, -ESTALE);
}

/* ---- rename ----------------------------------------------------------------- */

static void test_inode_table_rename_moves_node_to_new_name(void **state)
{
	struct inode_table *t = *state;
	uint64_t id = ref(t, "acme", "tmpabcd1234");

	inode_table_rename(t, "acme", "tmpabcd1234", "config");
	expect_resolve(t, id, INODE_KIND_PIN, "acme", "config");
	assert_int_equal(inode_table_peek(t, "acme", "config"), id);
	assert_int_equal(inode_table_peek(t, "acme", "tmpabcd1234"), 0);
	/* The same id keeps answering for the new name. */
	assert_int_equal(ref(t, "acme", "config"), id);
}

static void test_inode_table_rename_over_makes_target_stale(void **state)
{
	struct inode_table *t = *state;
	uint64_t src = ref(t, "acme", "sedAbC123");
	uint64_t dst = ref(t, "acme", "key");

	inode_table_rename(t, "acme", "sedAbC123", "key");
	expect_resolve(t, src, INODE_KIND_PIN, "acme", "key");
	expect_resolve_fails(t, dst, -ESTALE);
	assert_int_equal(inode_table_peek(t, "acme", "key"), src);
	assert_int_equal(inode_table_peek(t, "acme", "sedAbC123"), 0);

	/* The replaced node is freed by its last forget. */
	inode_table_forget(t, dst, 1);
	expect_resolve_fails(t, dst, -ENOENT);
	expect_resolve(t, src, INODE_KIND_PIN, "acme", "key");
}

static void test_inode_table_rename_unattached_source_still_detaches_target(void **state)
{
	struct inode_table *t = *state;
	uint64_t dst = ref(t, "acme", "key");

	inode_table_rename(t, "acme", "never-looked-up", "key");
	expect_resolve_fails(t, dst, -ESTALE);
	assert_int_equal(inode_table_peek(t, "acme", "key"), 0);
}

static void test_inode_table_rename_then_old_name_gets_new_id(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "acme", "a");
	uint64_t again;

	inode_table_rename(t, "acme", "a", "b");
	again = ref(t, "acme", "a");
	assert_int_not_equal(again, a);
	expect_resolve(t, again, INODE_KIND_PIN, "acme", "a");
	expect_resolve(t, a, INODE_KIND_PIN, "acme", "b");
}

static void test_inode_table_rename_is_per_tenant(void **state)
{
	struct inode_table *t = *state;
	uint64_t acme = ref(t, "acme", "a");
	uint64_t globex_a = ref(t, "globex", "a");
	uint64_t globex_b = ref(t, "globex", "b");

	inode_table_rename(t, "acme", "a", "b");
	expect_resolve(t, acme, INODE_KIND_PIN, "acme", "b");
	expect_resolve(t, globex_a, INODE_KIND_PIN, "globex", "a");
	expect_resolve(t, globex_b, INODE_KIND_PIN, "globex", "b");
}

static void test_inode_table_rename_chain_keeps_ids(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "acme", "a");
	uint64_t b = ref(t, "acme", "b");

	/* Swap via a temporary name: a -> t, b -> a, t -> b. */
	inode_table_rename(t, "acme", "a", "t");
	inode_table_rename(t, "acme", "b", "a");
	inode_table_rename(t, "acme", "t", "b");
	expect_resolve(t, a, INODE_KIND_PIN, "acme", "b");
	expect_resolve(t, b, INODE_KIND_PIN, "acme", "a");
	assert_int_equal(inode_table_peek(t, "acme", "t"), 0);
}

static void test_inode_table_free_null_returns_null(void **state)
{
	(void)state;
	assert_null(inode_table_free(NULL));
}

static void test_inode_table_free_with_live_nodes_releases_all(void **state)
{
	/* Leak checkers (ASan, valgrind) verify that nothing is left behind. */
	struct inode_table *t = inode_table_new();

	(void)state;
	assert_non_null(t);
	(void)ref(t, "acme", NULL);
	(void)ref(t, "acme", "k");
	(void)ref(t, "acme", "old");
	inode_table_rename(t, "acme", "k", "old");
	inode_table_detach(t, "acme", NULL);
	assert_null(inode_table_free(t));
}

/* ---- threads ---------------------------------------------------------------- */

enum { STRESS_THREADS = 8, STRESS_ITERS = 2000, STRESS_OWN = 200 };

struct stress_ctx {
	struct inode_table *t;
	uint64_t shared_id;
	int no;
	atomic_int *errors;
	uint64_t own_ids[STRESS_OWN];
};

static void *stress_thread(void *arg)
{
	struct stress_ctx *c = arg;
	char key[48];

	for (int i = 0; i < STRESS_ITERS; i++) {
		uint64_t id = 0;

		/* A name the main thread holds: always the same id. */
		if (inode_table_ref(c->t, "shared", "k", &id) != 0 || id != c->shared_id)
			atomic_fetch_add(c->errors, 1);
		else
			inode_table_forget(c->t, id, 1);

		/* A name every thread churns: attached, freed, re-attached. */
		snprintf(key, sizeof(key), "hot-%d", i % 4);
		if (inode_table_ref(c->t, "hot", key, &id) != 0 || id < INODE_FIRST_DYNAMIC) {
			atomic_fetch_add(c->errors, 1);
		} else {
			enum inode_kind k;
			char *rt = NULL, *rk = NULL;

			/* We hold a reference: it must resolve to its name. */
			if (inode_table_resolve(c->t, id, &k, &rt, &rk) != 0 ||
			    k != INODE_KIND_PIN || !rt || strcmp(rt, "hot") != 0 || !rk ||
			    strcmp(rk, key) != 0)
				atomic_fetch_add(c->errors, 1);
			free(rt);
			free(rk);
			inode_table_forget(c->t, id, 1);
		}

		/* A name of its own: record each id (freed at once, so never reused). */
		if (i < STRESS_OWN) {
			snprintf(key, sizeof(key), "own-%d", c->no);
			if (inode_table_ref(c->t, "own", key, &id) != 0)
				atomic_fetch_add(c->errors, 1);
			c->own_ids[i] = id;
			inode_table_forget(c->t, id, 1);
		}
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_inode_table_threads_ref_forget_stay_consistent(void **state)
{
	struct inode_table *t = *state;
	pthread_t th[STRESS_THREADS];
	struct stress_ctx *ctx = calloc(STRESS_THREADS, sizeof(*ctx));
	uint64_t *all = calloc((size_t)STRESS_THREADS * STRESS_OWN, sizeof(*all));
	atomic_int errors = 0;
	uint64_t shared = ref(t, "shared", "k");

	assert_non_null(ctx);
	assert_non_null(all);
	for (int i = 0; i < STRESS_THREADS; i++) {
		ctx[i] =
		    (struct stress_ctx){.t = t, .shared_id = shared, .no = i, .errors = &errors};
		assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &ctx[i]), 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	assert_int_equal(atomic_load(&errors), 0);

	/* Every thread dropped what it took: only the main thread's ref is left. */
	expect_resolve(t, shared, INODE_KIND_PIN, "shared", "k");
	for (int i = 0; i < 4; i++) {
		char key[16];

		snprintf(key, sizeof(key), "hot-%d", i);
		assert_int_equal(inode_table_peek(t, "hot", key), 0);
	}
	inode_table_forget(t, shared, 1);
	assert_int_equal(inode_table_peek(t, "shared", "k"), 0);
	expect_resolve_fails(t, shared, -ENOENT);

	/* Ids never reused, across threads too. */
	for (int i = 0; i < STRESS_THREADS; i++)
		memcpy(all + (size_t)i * STRESS_OWN, ctx[i].own_ids, sizeof(ctx[i].own_ids));
	qsort(all, (size_t)STRESS_THREADS * STRESS_OWN, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < (size_t)STRESS_THREADS * STRESS_OWN; i++)
		if (all[i] == all[i - 1])
			fail_msg("id %llu handed out twice", (unsigned long long)all[i]);
	assert_true(all[0] >= INODE_FIRST_DYNAMIC);

	free(all);
	free(ctx);
}

struct race_ctx {
	struct inode_table *t;
	atomic_int *errors;
	atomic_int *stop;
	int writer;
};

static void *race_thread(void *arg)
{
	struct race_ctx *c = arg;

	if (c->writer) {
		for (int i = 0; i < 3000; i++) {
			inode_table_rename(c->t, "race", "a", "b");
			inode_table_rename(c->t, "race", "b", "a");
			if (i % 3 == 0)
				inode_table_detach(c->t, "race", "a");
			if (i % 7 == 0)
				inode_table_detach(c->t, "race", NULL);
		}
		atomic_fetch_add(c->stop, 1);
		return NULL;
	}
	for (unsigned n = 0; atomic_load(c->stop) < 2; n++) {
		const char *name = (n & 1) ? "a" : "b";
		uint64_t id = 0;
		enum inode_kind k;
		char *rt = NULL, *rk = NULL;
		int r;

		if (inode_table_ref(c->t, "race", name, &id) != 0) {
			atomic_fetch_add(c->errors, 1);
			continue;
		}
		r = inode_table_resolve(c->t, id, &k, &rt, &rk);
		/* Held by us: renamed (still "a" or "b") or detached, never unknown. */
		if (r == 0) {
			if (k != INODE_KIND_PIN || !rt || strcmp(rt, "race") != 0 || !rk ||
			    (strcmp(rk, "a") != 0 && strcmp(rk, "b") != 0))
				atomic_fetch_add(c->errors, 1);
			free(rt);
			free(rk);
		} else if (r != -ESTALE) {
			atomic_fetch_add(c->errors, 1);
		}
		inode_table_forget(c->t, id, 1);
	}
	return NULL;
}

static void test_inode_table_threads_rename_and_detach_race_safely(void **state)
{
	/*
	 * Two writers rename and detach while readers ref/resolve/forget.
	 * A node a reader holds resolves to a live name or -ESTALE, never
	 * -ENOENT; when everyone has forgotten, nothing stays attached.
	 */
	struct inode_table *t = *state;
	pthread_t th[6];
	struct race_ctx ctx[6];
	atomic_int errors = 0, stop = 0;

	for (int i = 0; i < 6; i++) {
		ctx[i] =
		    (struct race_ctx){.t = t, .errors = &errors, .stop = &stop, .writer = i < 2};
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &ctx[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(atomic_load(&errors), 0);
	assert_int_equal(inode_table_peek(t, "race", "a"), 0);
	assert_int_equal(inode_table_peek(t, "race", "b"), 0);
}

/* ---- revocation: walkers and uncacheable nodes ---- */

struct seen {
	uint64_t ids[16];
	bool pin[16];
	size_t n;
};

static void note_seen(void *ctx, uint64_t nodeid, const char *tenant, const char *key)
{
	struct seen *s = ctx;

	assert_non_null(tenant);
	if (s->n < 16) {
		s->pin[s->n] = key != NULL;
		s->ids[s->n++] = nodeid;
	}
}

static void walk(struct inode_table *t, uint64_t id, uid_t uid, gid_t gid, pid_t pid)
{
	struct inode_walker w = {.uid = uid, .gid = gid, .pid = pid};

	inode_table_note_walker(t, id, &w);
}

struct tenants_seen {
	char names[4][8];
	struct inode_walker walkers[4][4];
	size_t n_walkers[4];
	size_t n;
};

static void note_tenant(void *ctx, uint64_t nodeid, const char *tenant,
			const struct inode_walker *walkers, size_t n)
{
	struct tenants_seen *s = ctx;

	(void)nodeid;
	if (s->n >= 4)
		return;
	snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s", tenant);
	s->n_walkers[s->n] = n;
	for (size_t i = 0; n != SIZE_MAX && i < n && i < 4; i++)
		s->walkers[s->n][i] = walkers[i];
	s->n++;
}

static void test_inode_table_walkers_one_per_uid_and_gid_latest_pid(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "a", NULL), k = ref(t, "a", "k");
	struct tenants_seen s = {0};

	walk(t, a, 5, 5, 100);
	walk(t, a, 5, 5, 101);	/* the same walker, a later process */
	walk(t, a, 5, 7, 102);	/* another primary group: another walker */
	walk(t, k, 6, 6, 103);	/* pins record none */
	walk(t, INODE_ROOT, 6, 6, 103);
	assert_int_equal(inode_table_foreach_tenant(t, note_tenant, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], "a");
	assert_int_equal(s.n_walkers[0], 2);
	assert_int_equal(s.walkers[0][0].uid, 5);
	assert_int_equal(s.walkers[0][0].pid, 101);
	assert_int_equal(s.walkers[0][1].gid, 7);
}

static void test_inode_table_too_many_walkers_count_as_anyone(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "a", NULL);
	struct tenants_seen s = {0};

	for (uid_t u = 1000; u < 1000 + 300; u++)
		walk(t, a, u, u, 1);
	assert_int_equal(inode_table_foreach_tenant(t, note_tenant, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.n_walkers[0] == SIZE_MAX);
}

static void test_inode_table_revoke_marks_tenants_and_their_pins(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "a", NULL), a1 = ref(t, "a", "k1"), a2 = ref(t, "a", "k2");
	uint64_t b = ref(t, "b", NULL), b1 = ref(t, "b", "k1");
	struct seen s = {0};

	assert_false(inode_table_nocache(t, a));
	assert_int_equal(inode_table_revoke(t, &a, 1, note_seen, &s), 3);
	assert_int_equal(s.n, 3);
	/* pins before their tenant */
	assert_true(s.pin[0] && s.pin[1] && !s.pin[2]);
	assert_int_equal(s.ids[2], a);
	assert_true((s.ids[0] == a1 && s.ids[1] == a2) || (s.ids[0] == a2 && s.ids[1] == a1));
	assert_true(inode_table_nocache(t, a));
	assert_true(inode_table_nocache(t, a1));
	assert_true(inode_table_nocache(t, a2));
	assert_false(inode_table_nocache(t, b));
	assert_false(inode_table_nocache(t, b1));
	assert_false(inode_table_nocache(t, INODE_ROOT));
	assert_false(inode_table_nocache(t, 999999));
	/* again: nothing new to tell (uncacheable since) */
	s.n = 0;
	assert_int_equal(inode_table_revoke(t, &a, 1, note_seen, &s), 0);
	/* pins and unknown ids are not tenants */
	assert_int_equal(inode_table_revoke(t, &b1, 1, NULL, NULL), 0);
	assert_false(inode_table_nocache(t, b1));
	assert_int_equal(inode_table_revoke(t, NULL, 0, NULL, NULL), 0);
}

static void test_inode_table_pin_under_uncacheable_tenant_is_uncacheable(void **state)
{
	struct inode_table *t = *state;
	uint64_t a = ref(t, "a", NULL), later;

	assert_int_equal(inode_table_revoke(t, &a, 1, NULL, NULL), 1);
	later = ref(t, "a", "fresh");
	assert_true(inode_table_nocache(t, later));
	assert_false(inode_table_nocache(t, ref(t, "b", "fresh")));
	/* what to ask the kernel to drop: the pins first */
	uint64_t *ids = NULL;
	size_t n = 0;

	assert_int_equal(inode_table_nocache_nodes(t, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], later);
	assert_int_equal(ids[1], a);
	free(ids);
	/* once the kernel forgets the tenant node, a fresh one caches again */
	inode_table_forget(t, a, 1);
	inode_table_forget(t, later, 1);
	a = ref(t, "a", NULL);
	assert_false(inode_table_nocache(t, a));
	assert_false(inode_table_nocache(t, ref(t, "a", "fresh")));
	assert_int_equal(inode_table_nocache_nodes(t, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_table, teardown_table)
	    T(test_inode_table_root_resolves_as_root),
	    T(test_inode_table_system_dir_resolves_as_system),
	    T(test_inode_table_unknown_id_is_enoent),
	    T(test_inode_table_stream_reader_ids_are_system),
	    T(test_inode_table_id_zero_is_enoent),
	    T(test_inode_table_tenant_ref_resolves_to_tenant),
	    T(test_inode_table_pin_ref_resolves_to_pin),
	    T(test_inode_table_key_with_slash_and_utf8_resolves_exactly),
	    T(test_inode_table_same_name_gives_same_id),
	    T(test_inode_table_distinct_names_give_distinct_ids),
	    T(test_inode_table_tenant_key_boundary_is_kept),
	    T(test_inode_table_peek_unknown_is_zero_and_creates_nothing),
	    T(test_inode_table_peek_adds_no_reference),
	    T(test_inode_table_forget_to_zero_frees),
	    T(test_inode_table_forget_n_at_once_frees),
	    T(test_inode_table_forget_unknown_id_is_harmless),
	    T(test_inode_table_ids_are_never_reused),
	    T(test_inode_table_many_nodes_resolve),
	    T(test_inode_table_detach_makes_node_stale),
	    T(test_inode_table_detach_then_ref_gives_new_id),
	    T(test_inode_table_detached_node_forget_frees),
	    T(test_inode_table_detach_only_that_name),
	    T(test_inode_table_detach_tenant_makes_tenant_stale),
	    T(test_inode_table_detach_unknown_is_harmless),
	    T(test_inode_table_rename_moves_node_to_new_name),
	    T(test_inode_table_rename_over_makes_target_stale),
	    T(test_inode_table_rename_unattached_source_still_detaches_target),
	    T(test_inode_table_rename_then_old_name_gets_new_id),
	    T(test_inode_table_rename_is_per_tenant),
	    T(test_inode_table_rename_chain_keeps_ids),
	    cmocka_unit_test(test_inode_table_free_null_returns_null),
	    cmocka_unit_test(test_inode_table_free_with_live_nodes_releases_all),
	    T(test_inode_table_threads_ref_forget_stay_consistent),
	    T(test_inode_table_threads_rename_and_detach_race_safely),
	    T(test_inode_table_walkers_one_per_uid_and_gid_latest_pid),
	    T(test_inode_table_too_many_walkers_count_as_anyone),
	    T(test_inode_table_revoke_marks_tenants_and_their_pins),
	    T(test_inode_table_pin_under_uncacheable_tenant_is_uncacheable),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
