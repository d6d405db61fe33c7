/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for route: route_match() picks the route serving a tenant
 * (exact names before globs, first match in file order within each class,
 * -ENXIO when nothing matches: there is no fallback), the backend set, and
 * route_table_new() failing, naming the route, when a backend cannot be
 * opened or is open already with another pooler or feed. No database is
 * reached here: the PostgreSQL driver connects lazily, so opening one only
 * parses its URI.
 * Written from include/pinfs/route.h and DESIGN.md section 5.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pinfs/config.h"
#include "pinfs/route.h"

#define ROUTE(t, b)                                                                                \
	{                                                                                          \
		.tenant = (char *)(t), .backend = (char *)(b), .password_file = NULL,              \
		.is_glob = ((t)[strcspn((t), "*?[")] != '\0')                                      \
	}

static void test_route_match_exact_name_matches(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql:///a"),
	    ROUTE("globex", "postgresql:///g"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 2, "acme"), 0);
	assert_int_equal(route_match(routes, 2, "globex"), 1);
}

static void test_route_match_design_example_routes_each_tenant(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql://pinfs@db1/pins?target_session_attrs=read-write"),
	    ROUTE("lab-*", "sqlite:///var/lib/pinfs/lab.db"),
	    ROUTE("*", "postgresql:///pins"),
	};

	(void)state;
	assert_true(!routes[0].is_glob && routes[1].is_glob && routes[2].is_glob);
	assert_int_equal(route_match(routes, 3, "acme"), 0);
	assert_int_equal(route_match(routes, 3, "lab-1"), 1);
	assert_int_equal(route_match(routes, 3, "lab-"), 1);
	assert_int_equal(route_match(routes, 3, "global"), 2);
	assert_int_equal(route_match(routes, 3, "acme2"), 2);
	assert_int_equal(route_match(routes, 3, "lab"), 2);
}

static void test_route_match_exact_beats_earlier_glob(void **state)
{
	struct config_route routes[] = {
	    ROUTE("*", "postgresql:///all"),
	    ROUTE("lab-*", "sqlite:///tmp/lab.db"),
	    ROUTE("lab-7", "postgresql:///seven"),
	    ROUTE("acme", "postgresql:///acme"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 4, "acme"), 3);
	assert_int_equal(route_match(routes, 4, "lab-7"), 2);
	/* Among globs, file order: "*" comes first. */
	assert_int_equal(route_match(routes, 4, "lab-8"), 0);
	assert_int_equal(route_match(routes, 4, "other"), 0);
}

static void test_route_match_first_glob_in_file_order_wins(void **state)
{
	struct config_route routes[] = {
	    ROUTE("lab-*", "sqlite:///tmp/1.db"),
	    ROUTE("l*", "sqlite:///tmp/2.db"),
	    ROUTE("lab-?", "sqlite:///tmp/3.db"),
	    ROUTE("*", "sqlite:///tmp/4.db"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 4, "lab-1"), 0);
	assert_int_equal(route_match(routes, 4, "lx"), 1);
	assert_int_equal(route_match(routes, 4, "zzz"), 3);
}

static void test_route_match_first_duplicate_exact_wins(void **state)
{
	struct config_route routes[] = {
	    ROUTE("*", "postgresql:///all"),
	    ROUTE("acme", "postgresql:///first"),
	    ROUTE("acme", "postgresql:///second"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 3, "acme"), 1);
}

static void test_route_match_no_route_is_enxio(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql:///a"),
	    ROUTE("lab-*", "sqlite:///tmp/lab.db"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 2, "globex"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "xlab-1"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "acm"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "acmee"), -ENXIO);
}

static void test_route_match_empty_table_is_enxio(void **state)
{
	struct config_route routes[] = {ROUTE("*", "postgresql:///all")};

	(void)state;
	assert_int_equal(route_match(routes, 0, "acme"), -ENXIO);
	assert_int_equal(route_match(NULL, 0, "acme"), -ENXIO);
}

static void test_route_match_only_first_n_routes_are_searched(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql:///a"),
	    ROUTE("globex", "postgresql:///g"),
	    ROUTE("*", "postgresql:///all"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 2, "initech"), -ENXIO);
	assert_int_equal(route_match(routes, 3, "initech"), 2);
	assert_int_equal(route_match(routes, 1, "globex"), -ENXIO);
}

static void test_route_match_is_case_sensitive(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql:///a"),
	    ROUTE("Lab-*", "sqlite:///tmp/lab.db"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 2, "ACME"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "Acme"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "lab-1"), -ENXIO);
	assert_int_equal(route_match(routes, 2, "Lab-1"), 1);
}

static void test_route_match_glob_is_anchored_fnmatch(void **state)
{
	struct config_route routes[] = {
	    ROUTE("t?", "sqlite:///tmp/q.db"),
	    ROUTE("team-[abc]", "sqlite:///tmp/set.db"),
	    ROUTE("*-prod", "sqlite:///tmp/prod.db"),
	    ROUTE("a*z", "sqlite:///tmp/az.db"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 4, "t1"), 0);
	assert_int_equal(route_match(routes, 4, "t"), -ENXIO);
	assert_int_equal(route_match(routes, 4, "t12"), -ENXIO);
	assert_int_equal(route_match(routes, 4, "team-b"), 1);
	assert_int_equal(route_match(routes, 4, "team-d"), -ENXIO);
	assert_int_equal(route_match(routes, 4, "acme-prod"), 2);
	assert_int_equal(route_match(routes, 4, "acme-prod2"), -ENXIO);
	assert_int_equal(route_match(routes, 4, "az"), 3);
	assert_int_equal(route_match(routes, 4, "a.b.z"), 3);
	assert_int_equal(route_match(routes, 4, "a.b.z."), -ENXIO);
}

static void test_route_match_exact_route_is_not_a_glob(void **state)
{
	/* An exact route never matches by prefix or substring. */
	struct config_route routes[] = {
	    ROUTE("lab", "sqlite:///tmp/lab.db"),
	};

	(void)state;
	assert_int_equal(route_match(routes, 1, "lab"), 0);
	assert_int_equal(route_match(routes, 1, "lab-1"), -ENXIO);
	assert_int_equal(route_match(routes, 1, "la"), -ENXIO);
}

static void test_route_match_many_routes_pick_the_right_one(void **state)
{
	enum { N = 300 };
	struct config_route *routes = calloc(N + 1, sizeof(*routes));
	char(*names)[16] = calloc(N, sizeof(*names));

	(void)state;
	assert_non_null(routes);
	assert_non_null(names);
	routes[0] =
	    (struct config_route){.tenant = (char *)"*", .backend = (char *)"x", .is_glob = true};
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "tenant-%03d", i);
		routes[i + 1] = (struct config_route){
		    .tenant = names[i], .backend = (char *)"x", .is_glob = false};
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(route_match(routes, N + 1, names[i]), i + 1);
	assert_int_equal(route_match(routes, N + 1, "tenant-300"), 0);
	free(names);
	free(routes);
}

/* ---- backend_set and route_table ---------------------------------------- */

static void test_route_backend_set_new_is_empty(void **state)
{
	struct backend_set *set = backend_set_new();

	(void)state;
	assert_non_null(set);
	assert_int_equal(backend_set_size(set), 0);
	assert_null(backend_set_get(set, 0));
	assert_null(backend_set_get(set, 7));
	assert_null(backend_set_free(set));
	assert_null(backend_set_free(NULL));
}

static void test_route_table_unknown_scheme_fails_naming_the_route(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "ftp://example.invalid/pins"),
	};
	struct config cfg = {
	    .path = NULL,
	    .mode = CONFIG_MODE_LAB,
	    .routes = routes,
	    .n_routes = 1,
	    .max_value_bytes = 1048576,
	    .log_level = -1,
	};
	PFS_CLEANUP(backend_set_freep) struct backend_set *set = backend_set_new();
	struct route_table *sentinel = (struct route_table *)&cfg;
	struct route_table *rt = sentinel;
	struct pfs_error err = {0};

	(void)state;
	assert_non_null(set);
	backend_params_default(&cfg.backend);
	assert_int_equal(route_table_new(&cfg, set, &rt, &err), -EINVAL);
	assert_ptr_equal(rt, sentinel);
	/* The header: on failure reterr names the route. */
	if (!strstr(err.message, "acme"))
		fail_msg("message \"%s\" does not name the route \"acme\"", err.message);
	/* Nothing half-opened stays in the set. */
	assert_int_equal(backend_set_size(set), 0);
}

static void test_route_table_no_routes_routes_nothing(void **state)
{
	struct config cfg = {
	    .mode = CONFIG_MODE_LAB,
	    .routes = NULL,
	    .n_routes = 0,
	    .max_value_bytes = 1048576,
	    .log_level = -1,
	};
	PFS_CLEANUP(backend_set_freep) struct backend_set *set = backend_set_new();
	struct route_table *rt = NULL;
	struct backend *be = (struct backend *)&cfg;
	unsigned no = 77;

	(void)state;
	assert_non_null(set);
	backend_params_default(&cfg.backend);
	assert_int_equal(route_table_new(&cfg, set, &rt, NULL), 0);
	assert_non_null(rt);
	assert_int_equal(route_table_n_routes(rt), 0);
	assert_int_equal(route_table_n_backends(rt), 0);
	assert_null(route_table_backend(rt, 0));
	assert_null(route_table_pattern(rt, 0, NULL));
	/* No route, no fallback: -ENXIO and the outputs untouched. */
	assert_int_equal(route_table_lookup(rt, "acme", &be, &no), -ENXIO);
	assert_ptr_equal(be, (struct backend *)&cfg);
	assert_int_equal(no, 77);
	assert_int_equal(backend_set_size(set), 0);
	assert_null(route_table_free(rt));
}

static void test_route_table_reload_with_other_pooler_fails_naming_the_route(void **state)
{
	struct config_route first[] = {
	    ROUTE("acme", "postgresql:///pins?host=/nonexistent/pinfs-unit"),
	};
	struct config_route second[] = {
	    ROUTE("acme", "postgresql:///pins?host=/nonexistent/pinfs-unit"),
	};
	struct config cfg = {.mode = CONFIG_MODE_SAAS, .routes = first, .n_routes = 1};
	PFS_CLEANUP(backend_set_freep) struct backend_set *set = backend_set_new();
	struct route_table *rt = NULL, *rt2 = NULL;
	struct pfs_error err = {0};

	(void)state;
	assert_non_null(set);
	backend_params_default(&cfg.backend);
	assert_int_equal(route_table_new(&cfg, set, &rt, &err), 0);
	assert_int_equal(backend_set_size(set), 1);

	/* The same URI with the same settings shares the open backend. */
	cfg.routes = second;
	assert_int_equal(route_table_new(&cfg, set, &rt2, &err), 0);
	assert_int_equal(backend_set_size(set), 1);
	rt2 = route_table_free(rt2);

	/* A reload that names it through a pooler now cannot change the open backend. */
	second[0].pooler = BACKEND_POOLER_TRANSACTION;
	assert_int_equal(route_table_new(&cfg, set, &rt2, &err), -EINVAL);
	assert_null(rt2);
	if (!strstr(err.message, "acme") || !strstr(err.message, "pooler"))
		fail_msg("message \"%s\" does not name the route and \"pooler\"", err.message);

	second[0].pooler = BACKEND_POOLER_NONE;
	second[0].feed = (char *)"postgresql:///pins?host=/nonexistent/direct";
	memset(&err, 0, sizeof(err));
	assert_int_equal(route_table_new(&cfg, set, &rt2, &err), -EINVAL);
	if (!strstr(err.message, "acme") || !strstr(err.message, "feed"))
		fail_msg("message \"%s\" does not name the route and \"feed\"", err.message);
	assert_int_equal(backend_set_size(set), 1);
	route_table_free(rt);
}

static void test_route_table_malformed_feed_uri_fails_naming_feed(void **state)
{
	struct config_route routes[] = {
	    ROUTE("acme", "postgresql:///pins?host=/nonexistent/pinfs-unit"),
	};
	struct config cfg = {.mode = CONFIG_MODE_SAAS, .routes = routes, .n_routes = 1};
	PFS_CLEANUP(backend_set_freep) struct backend_set *set = backend_set_new();
	struct route_table *rt = NULL;
	struct pfs_error err = {0};

	(void)state;
	assert_non_null(set);
	backend_params_default(&cfg.backend);
	routes[0].pooler = BACKEND_POOLER_TRANSACTION;
	routes[0].feed = (char *)"postgresql://[::1/pins";
	assert_int_equal(route_table_new(&cfg, set, &rt, &err), -EINVAL);
	if (!strstr(err.message, "acme") || !strstr(err.message, "feed"))
		fail_msg("message \"%s\" does not name the route and \"feed\"", err.message);
	assert_int_equal(backend_set_size(set), 0);
}

/* backend_uri_redact: every password goes, whatever its length; the rest stays. */
static void test_route_uri_redact_every_password(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"postgresql://u:s3cret@db/pins", "postgresql://u@db/pins"},
	    {"postgresql:///pins?password=ab&host=/s", "postgresql:///pins?password=***&host=/s"},
	    {"postgresql:///pins?password=", "postgresql:///pins?password=***"},
	    {"postgresql:///pins?password=a&password=longer-one",
	     "postgresql:///pins?password=***&password=***"},
	    {"host=/s password='se cret' dbname=pins", "host=/s password=*** dbname=pins"},
	    {"host=/s password='it\\'s' dbname=x", "host=/s password=*** dbname=x"},
	    {"postgresql://db/pins?sslmode=require", "postgresql://db/pins?sslmode=require"},
	    {"sqlite:///var/lib/pinfs/p.db", "sqlite:///var/lib/pinfs/p.db"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = backend_uri_redact(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

static void test_route_table_free_null_returns_null(void **state)
{
	(void)state;
	assert_null(route_table_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_match_exact_name_matches),
	    cmocka_unit_test(test_route_match_design_example_routes_each_tenant),
	    cmocka_unit_test(test_route_match_exact_beats_earlier_glob),
	    cmocka_unit_test(test_route_match_first_glob_in_file_order_wins),
	    cmocka_unit_test(test_route_match_first_duplicate_exact_wins),
	    cmocka_unit_test(test_route_match_no_route_is_enxio),
	    cmocka_unit_test(test_route_match_empty_table_is_enxio),
	    cmocka_unit_test(test_route_match_only_first_n_routes_are_searched),
	    cmocka_unit_test(test_route_match_is_case_sensitive),
	    cmocka_unit_test(test_route_match_glob_is_anchored_fnmatch),
	    cmocka_unit_test(test_route_match_exact_route_is_not_a_glob),
	    cmocka_unit_test(test_route_match_many_routes_pick_the_right_one),
	    cmocka_unit_test(test_route_backend_set_new_is_empty),
	    cmocka_unit_test(test_route_table_unknown_scheme_fails_naming_the_route),
	    cmocka_unit_test(test_route_table_no_routes_routes_nothing),
	    cmocka_unit_test(test_route_table_reload_with_other_pooler_fails_naming_the_route),
	    cmocka_unit_test(test_route_table_malformed_feed_uri_fails_naming_feed),
	    cmocka_unit_test(test_route_uri_redact_every_password),
	    cmocka_unit_test(test_route_table_free_null_returns_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
