/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policy: the shipped seed matrix (DESIGN.md section 11),
 * scope globs, uid/user/group/sub bindings, lazily asked supplementary
 * groups, tokens replacing Unix bindings, per-binding grants (no mixing of
 * one binding's roles with another's scope), shadow mode, the tenant "*"
 * rule, validation errors that name the field, and the hash.
 * PINFS_POLICY_FILE (set by meson) points at policies/rbac_policies.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "pinfs/policy.h"

/* ---- helpers ---------------------------------------------------------- */

#define ROLES_SEED                                                                                 \
	"\"roles\": {"                                                                             \
	"\"infra\": {\"memory_pin\": [\"read\", \"write\", \"delete\", \"admin\"],"                \
	"  \"prometheus\": [\"reload\", \"query\"]},"                                              \
	"\"machine\": {\"memory_pin\": [\"read\", \"write\"], \"prometheus\": [\"reload\"]},"      \
	"\"dev\": {\"memory_pin\": [\"read\"], \"prometheus\": [\"query\"]},"                      \
	"\"readonly\": {\"memory_pin\": [\"read\"]}}"

static struct policy *load_ok(const char *text)
{
	struct pfs_error err = {0};
	struct policy *pol = NULL;
	int r = policy_load_string(text, strlen(text), "test.json", &pol, &err);

	if (r != 0)
		fail_msg("policy_load_string = %d (%s) for:\n%s", r, err.message, text);
	assert_non_null(pol);
	return pol;
}

/* Refused with code; the message names every given fragment (NULL-terminated). */
static void expect_refused_len(const char *text, size_t len, int code, ...)
{
	struct pfs_error err = {0};
	struct policy *sentinel = (struct policy *)&err;
	struct policy *pol = sentinel;
	int r = policy_load_string(text, len, "test.json", &pol, &err);
	const char *frag;
	va_list ap;

	if (r != code)
		fail_msg("policy_load_string = %d (%s), want %d, for:\n%.300s", r, err.message,
			 code, text);
	assert_ptr_equal(pol, sentinel);
	assert_int_equal(err.code, code);
	va_start(ap, code);
	while ((frag = va_arg(ap, const char *)))
		if (!strstr(err.message, frag)) {
			va_end(ap);
			fail_msg("message \"%s\" does not name \"%s\"", err.message, frag);
		}
	va_end(ap);
}

#define expect_refused(text, ...) expect_refused_len(text, strlen(text), -EINVAL, __VA_ARGS__, NULL)

struct groups_fake {
	const gid_t *gids;
	size_t n;
	int ret;	/* when non-zero, returned instead (an error) */
	int calls;
};

static int groups_cb(void *ctx, gid_t *buf, size_t n)
{
	struct groups_fake *g = ctx;

	g->calls++;
	if (g->ret)
		return g->ret;
	for (size_t i = 0; i < n && i < g->n; i++)
		buf[i] = g->gids[i];
	return (int)g->n;
}

static struct policy_subject unix_subject(uid_t uid, gid_t gid, struct groups_fake *g)
{
	struct policy_subject s = {.uid = uid, .gid = gid};

	if (g) {
		s.groups = groups_cb;
		s.groups_ctx = g;
	}
	return s;
}

static struct policy_decision decide(const struct policy *pol, const struct policy_subject *s,
				     const char *res, const char *act, const char *tenant)
{
	return policy_decide(pol, 4242, s, res, act, tenant);
}

static void assert_allowed(struct policy_decision d, enum policy_reason reason)
{
	assert_true(d.allowed);
	assert_false(d.denied);
	assert_int_equal(d.reason, reason);
}

static void assert_denied(struct policy_decision d, enum policy_reason reason)
{
	assert_false(d.allowed);
	assert_true(d.denied);
	assert_int_equal(d.reason, reason);
}

/* ---- the shipped seed ------------------------------------------------- */

static struct policy *load_shipped(void)
{
	const char *path = getenv("PINFS_POLICY_FILE");
	struct pfs_error err = {0};
	struct policy *pol = NULL;

	if (!path)
		fail_msg("PINFS_POLICY_FILE is not set (meson sets it)");
	if (policy_load_file(path, &pol, &err) != 0)
		fail_msg("%s: %s", path, err.message);
	return pol;
}

static void test_policy_shipped_file_loads_and_enforces(void **state)
{
	struct policy *pol = load_shipped();

	(void)state;
	assert_true(policy_enforcing(pol));
	assert_int_equal(policy_n_roles(pol), 5);
	assert_true(policy_n_bindings(pol) >= 4);
	assert_non_null(policy_version(pol));
	assert_int_equal(strlen(policy_hash(pol)), 16);
	policy_free(pol);
}

/* DESIGN.md section 11, row by row. */
static void test_policy_seed_matrix_matches_design(void **state)
{
	static const struct {
		const char *role, *resource, *allowed, *denied;
	} rows[] = {
		{"infra", "memory_pin", "read write delete admin", "approve"},
		{"infra", "prometheus", "reload query", "read"},
		{"infra", "costsim", "read write admin", "delete"},
		{"infra", "policy", "read write approve", "admin"},
		{"admin", "memory_pin", "read write delete admin", "approve"},
		{"admin", "prometheus", "reload query", "read"},
		{"admin", "costsim", "read write admin", "delete"},
		{"admin", "policy", "read write approve", "admin"},
		{"machine", "memory_pin", "read write", "delete admin"},
		{"machine", "prometheus", "reload", "query"},
		{"machine", "costsim", "read", "write admin"},
		{"machine", "policy", "read", "write approve"},
		{"dev", "memory_pin", "read", "write delete admin"},
		{"dev", "prometheus", "query", "reload"},
		{"dev", "costsim", "read", "write admin"},
		{"dev", "policy", "read", "write approve"},
		{"readonly", "memory_pin", "read", "write delete admin"},
		{"readonly", "prometheus", "query", "reload"},
		{"readonly", "costsim", "read", "write admin"},
		{"readonly", "policy", "read", "write approve"},
	};
	struct policy *pol = load_shipped();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *role = (char *)rows[i].role, *star = (char *)"*";
		struct cred_claims tok = {.sub = (char *)"matrix", .roles = &role, .n_roles = 1,
					  .tenants = &star, .n_tenants = 1, .exp = 0};
		struct policy_subject s = {.uid = 1000, .gid = 1000, .token = &tok};
		char list[64], *save, *act;

		snprintf(list, sizeof(list), "%s", rows[i].allowed);
		for (act = strtok_r(list, " ", &save); act; act = strtok_r(NULL, " ", &save)) {
			struct policy_decision d = decide(pol, &s, rows[i].resource, act, "acme");

			if (!d.allowed || d.denied)
				fail_msg("%s should be allowed %s:%s", role, rows[i].resource, act);
			assert_int_equal(d.reason, POLICY_REASON_TOKEN);
		}
		snprintf(list, sizeof(list), "%s", rows[i].denied);
		for (act = strtok_r(list, " ", &save); act; act = strtok_r(NULL, " ", &save)) {
			struct policy_decision d = decide(pol, &s, rows[i].resource, act, "acme");

			if (d.allowed || !d.denied)
				fail_msg("%s should be denied %s:%s", role, rows[i].resource, act);
			assert_int_equal(d.reason, POLICY_REASON_NO_PERMISSION);
		}
	}
	policy_free(pol);
}

static void test_policy_shipped_root_is_infra_everywhere(void **state)
{
	struct policy *pol = load_shipped();
	struct policy_subject root = unix_subject(0, 0, NULL);
	struct pfs_subject ps = {.uid = 0, .gid = 0};

	(void)state;
	assert_allowed(decide(pol, &root, "memory_pin", "admin", "acme"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &root, "prometheus", "query", "*"), POLICY_REASON_ROLE);
	assert_int_equal(policy_check(pol, 4242, &ps, "acme", POLICY_DELETE), 0);
	/* A uid with no binding gets nothing, owner or not: the policy decides. */
	ps.uid = 4242;
	ps.gid = 4242;
	assert_int_equal(policy_check(pol, 4242, &ps, "acme", POLICY_READ), -EACCES);
	policy_free(pol);
}

/* ---- no policy ---------------------------------------------------------- */

static void test_policy_null_allows_owner_and_root_only(void **state)
{
	struct pfs_subject owner = {.uid = 4242}, root = {.uid = 0}, other = {.uid = 1000};
	struct policy_subject s = unix_subject(1000, 1000, NULL);

	(void)state;
	assert_int_equal(policy_check(NULL, 4242, &owner, "acme", POLICY_ADMIN), 0);
	assert_int_equal(policy_check(NULL, 4242, &root, NULL, POLICY_WRITE), 0);
	assert_int_equal(policy_check(NULL, 4242, &other, "acme", POLICY_READ), -EACCES);
	assert_denied(decide(NULL, &s, "memory_pin", "read", "acme"), POLICY_REASON_NO_BINDING);
	s.uid = 4242;
	assert_allowed(decide(NULL, &s, "memory_pin", "read", "acme"), POLICY_REASON_OWNER);
}

/* ---- bindings ----------------------------------------------------------- */

static void test_policy_scope_globs_match_with_fnmatch(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1000, \"roles\": [\"dev\"],"
		    " \"tenants\": [\"global\", \"lab-*\", \"team-[ab]\", \"q?\"]}]}");
	struct policy_subject s = unix_subject(1000, 1000, NULL);

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "global"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &s, "memory_pin", "read", "lab-1"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &s, "memory_pin", "read", "lab-"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &s, "memory_pin", "read", "team-b"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &s, "memory_pin", "read", "q1"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s, "memory_pin", "read", "team-c"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s, "memory_pin", "read", "q12"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s, "memory_pin", "read", "labx"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s, "memory_pin", "read", "globalx"), POLICY_REASON_OUT_OF_SCOPE);
	/* no role grants it: that is reported before the scope */
	assert_denied(decide(pol, &s, "memory_pin", "write", "global"),
		      POLICY_REASON_NO_PERMISSION);
	/* tenant NULL: only roles count */
	assert_allowed(decide(pol, &s, "prometheus", "query", NULL), POLICY_REASON_ROLE);
	/* tenant "*" needs a literal "*" in the scope; globs do not cover it */
	assert_denied(decide(pol, &s, "memory_pin", "read", "*"), POLICY_REASON_OUT_OF_SCOPE);
	policy_free(pol);
}

static void test_policy_tenant_star_needs_literal_star(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1, \"roles\": [\"dev\"], \"tenants\": [\"*\"]},"
		    "{\"uid\": 2, \"roles\": [\"dev\"], \"tenants\": [\"a*\", \"*?\"]},"
		    "{\"uid\": 3, \"roles\": [\"dev\"], \"tenants\": []}]}");
	struct policy_subject s1 = unix_subject(1, 1, NULL), s2 = unix_subject(2, 2, NULL);
	struct policy_subject s3 = unix_subject(3, 3, NULL);
	char *star = (char *)"*", *glob = (char *)"a*", *role = (char *)"dev";
	struct cred_claims tok = {.sub = (char *)"t", .roles = &role, .n_roles = 1,
				  .tenants = &glob, .n_tenants = 1};
	struct policy_subject st = {.uid = 9, .gid = 9, .token = &tok};

	(void)state;
	assert_allowed(decide(pol, &s1, "prometheus", "query", "*"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s2, "prometheus", "query", "*"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s3, "prometheus", "query", "*"), POLICY_REASON_OUT_OF_SCOPE);
	/* an empty scope still allows what is not about a tenant */
	assert_allowed(decide(pol, &s3, "prometheus", "query", NULL), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s3, "memory_pin", "read", "acme"), POLICY_REASON_OUT_OF_SCOPE);
	/* the same rule for a token's tenants claim */
	assert_denied(decide(pol, &st, "prometheus", "query", "*"), POLICY_REASON_OUT_OF_SCOPE);
	tok.tenants = &star;
	assert_allowed(decide(pol, &st, "prometheus", "query", "*"), POLICY_REASON_TOKEN);
	policy_free(pol);
}

static void test_policy_uid_user_group_bindings_match(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1000, \"roles\": [\"dev\"], \"tenants\": [\"a\"]},"
		    "{\"user\": \"root\", \"roles\": [\"machine\"], \"tenants\": [\"b\"]},"
		    "{\"group\": \"root\", \"roles\": [\"readonly\"], \"tenants\": [\"c\"]}]}");
	struct policy_subject dev = unix_subject(1000, 1000, NULL);
	struct policy_subject root = unix_subject(0, 5000, NULL);
	struct policy_subject gid0 = unix_subject(2000, 0, NULL);
	struct policy_subject nobody = unix_subject(2000, 2000, NULL);

	(void)state;
	assert_allowed(decide(pol, &dev, "memory_pin", "read", "a"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &dev, "memory_pin", "read", "b"), POLICY_REASON_OUT_OF_SCOPE);
	/* "user": "root" resolved to uid 0 at load time */
	assert_allowed(decide(pol, &root, "memory_pin", "write", "b"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &root, "memory_pin", "read", "c"), POLICY_REASON_OUT_OF_SCOPE);
	/* "group": "root" (gid 0) matches the primary gid */
	assert_allowed(decide(pol, &gid0, "memory_pin", "read", "c"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &gid0, "memory_pin", "write", "c"), POLICY_REASON_NO_PERMISSION);
	assert_denied(decide(pol, &nobody, "memory_pin", "read", "a"), POLICY_REASON_NO_BINDING);
	policy_free(pol);
}

static void test_policy_union_is_per_binding(void **state)
{
	/* admin on acme plus readonly on everything must not become admin on everything */
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1000, \"roles\": [\"infra\"], \"tenants\": [\"acme\"]},"
		    "{\"uid\": 1000, \"roles\": [\"readonly\"], \"tenants\": [\"*\"]}]}");
	struct policy_subject s = unix_subject(1000, 1000, NULL);

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "admin", "acme"), POLICY_REASON_ROLE);
	assert_allowed(decide(pol, &s, "memory_pin", "read", "other"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s, "memory_pin", "write", "other"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s, "memory_pin", "admin", "*"), POLICY_REASON_OUT_OF_SCOPE);
	policy_free(pol);
}

static void test_policy_unknown_user_warns_and_never_matches(void **state)
{
	const char *text = "{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
			   "{\"user\": \"pinfs-no-such-user-x\", \"roles\": [\"infra\"],"
			   " \"tenants\": [\"*\"]},"
			   "{\"group\": \"pinfs-no-such-group-x\", \"roles\": [\"infra\"],"
			   " \"tenants\": [\"*\"]}]}";
	struct pfs_error err = {0};
	struct policy *pol = NULL;
	struct groups_fake g = {.gids = (gid_t[]){0, 1, 2}, .n = 3};
	struct policy_subject s = unix_subject(0, 0, &g);

	(void)state;
	assert_int_equal(policy_load_string(text, strlen(text), "test.json", &pol, &err), 0);
	assert_non_null(pol);
	assert_int_equal(err.code, 0);
	assert_non_null(strstr(err.message, "bindings[0].user"));
	assert_non_null(strstr(err.message, "pinfs-no-such-user-x"));
	assert_non_null(strstr(err.message, "1 more"));
	assert_denied(decide(pol, &s, "memory_pin", "read", "acme"), POLICY_REASON_NO_BINDING);
	assert_int_equal(g.calls, 0);	/* an unresolved group needs no group list */
	policy_free(pol);
}

static void test_policy_every_warning_is_kept_in_order(void **state)
{
	const char *text = "{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
			   "{\"user\": \"pinfs-no-such-user-a\", \"roles\": [\"dev\"], \"tenants\": [\"x\"]},"
			   "{\"uid\": 0, \"roles\": [\"infra\"], \"tenants\": [\"*\"]},"
			   "{\"group\": \"pinfs-no-such-group-b\", \"roles\": [\"dev\"], \"tenants\": [\"x\"]},"
			   "{\"user\": \"pinfs-no-such-user-c\", \"roles\": [\"dev\"], \"tenants\": [\"x\"]}]}";
	static const char *const want[] = {"bindings[0].user: unknown user \"pinfs-no-such-user-a\"",
					   "bindings[2].group: unknown group \"pinfs-no-such-group-b\"",
					   "bindings[3].user: unknown user \"pinfs-no-such-user-c\""};
	struct pfs_error err = {0};
	struct policy *pol = NULL;

	(void)state;
	assert_int_equal(policy_load_string(text, strlen(text), "test.json", &pol, &err), 0);
	assert_int_equal(policy_n_warnings(pol), 3);
	for (size_t i = 0; i < 3; i++) {
		if (!strstr(policy_warning(pol, i), want[i]))
			fail_msg("warning %zu is \"%s\", want \"%s\"", i, policy_warning(pol, i),
				 want[i]);
		assert_non_null(strstr(policy_warning(pol, i), "test.json: "));
	}
	assert_null(policy_warning(pol, 3));
	/* The load's message stays one line: the first, a count, and where to see all. */
	assert_non_null(strstr(err.message, want[0]));
	assert_non_null(strstr(err.message, "2 more warnings"));
	assert_non_null(strstr(err.message, "pinctl policy check test.json"));
	policy_free(pol);

	pol = load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": []}");
	assert_int_equal(policy_n_warnings(pol), 0);
	assert_null(policy_warning(pol, 0));
	policy_free(pol);
	assert_int_equal(policy_n_warnings(NULL), 0);
}

static void test_policy_clean_load_clears_reterr(void **state)
{
	const char *text = "{\"version\": \"1\", " ROLES_SEED ", \"bindings\": []}";
	struct pfs_error err = {.code = -EIO, .message = "stale"};
	struct policy *pol = NULL;

	(void)state;
	assert_int_equal(policy_load_string(text, strlen(text), NULL, &pol, &err), 0);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.message, "");
	policy_free(pol);
}

/* ---- lazy supplementary groups ---------------------------------------- */

static void test_policy_groups_not_asked_without_group_bindings(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1000, \"roles\": [\"dev\"], \"tenants\": [\"*\"]}]}");
	struct groups_fake g = {.gids = (gid_t[]){10, 20}, .n = 2};
	struct policy_subject s = unix_subject(1000, 1000, &g), o = unix_subject(7, 7, &g);

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "x"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s, "memory_pin", "write", "x"), POLICY_REASON_NO_PERMISSION);
	assert_denied(decide(pol, &o, "memory_pin", "read", "x"), POLICY_REASON_NO_BINDING);
	assert_int_equal(g.calls, 0);
	policy_free(pol);
}

static void test_policy_groups_asked_once_and_only_when_needed(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"uid\": 1000, \"roles\": [\"dev\"], \"tenants\": [\"*\"]},"
		    "{\"group\": \"root\", \"roles\": [\"machine\"], \"tenants\": [\"m\"]},"
		    "{\"group\": \"root\", \"roles\": [\"infra\"], \"tenants\": [\"i\"]}]}");
	struct groups_fake member = {.gids = (gid_t[]){5, 0, 7}, .n = 3};
	struct groups_fake outsider = {.gids = (gid_t[]){5, 7}, .n = 2};
	struct policy_subject s = unix_subject(1000, 1000, &member);
	struct policy_subject o = unix_subject(1000, 1000, &outsider);

	(void)state;
	/* settled by the uid binding: no group list */
	assert_allowed(decide(pol, &s, "memory_pin", "read", "x"), POLICY_REASON_ROLE);
	assert_int_equal(member.calls, 0);
	/* two group bindings could allow: one call between them */
	assert_allowed(decide(pol, &s, "memory_pin", "admin", "i"), POLICY_REASON_ROLE);
	assert_int_equal(member.calls, 1);
	assert_allowed(decide(pol, &s, "memory_pin", "write", "m"), POLICY_REASON_ROLE);
	assert_int_equal(member.calls, 2);
	/* no group binding grants prometheus:query beyond what dev has: not asked */
	assert_allowed(decide(pol, &s, "prometheus", "query", NULL), POLICY_REASON_ROLE);
	assert_int_equal(member.calls, 2);
	/* not a member: asked once, denied; nothing granted resource "x" at all: not asked */
	assert_denied(decide(pol, &o, "memory_pin", "admin", "i"), POLICY_REASON_NO_PERMISSION);
	assert_int_equal(outsider.calls, 1);
	policy_free(pol);
}

static void test_policy_primary_gid_needs_no_group_list(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"group\": \"root\", \"roles\": [\"dev\"], \"tenants\": [\"*\"]}]}");
	struct groups_fake g = {.gids = NULL, .n = 0};
	struct policy_subject s = unix_subject(1000, 0, &g);

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "x"), POLICY_REASON_ROLE);
	assert_int_equal(g.calls, 0);
	policy_free(pol);
}

static void test_policy_many_groups_and_group_errors(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"group\": \"root\", \"roles\": [\"dev\"], \"tenants\": [\"*\"]}]}");
	gid_t many[200];
	struct groups_fake g = {.gids = many, .n = 200};
	struct groups_fake broken = {.ret = -EIO};
	struct policy_subject s = unix_subject(1000, 1000, &g);
	struct policy_subject b = unix_subject(1000, 1000, &broken);

	(void)state;
	for (size_t i = 0; i < 200; i++)
		many[i] = (gid_t)(10000 + i);
	many[190] = 0;	/* beyond the first, small buffer */
	assert_allowed(decide(pol, &s, "memory_pin", "read", "x"), POLICY_REASON_ROLE);
	assert_int_equal(g.calls, 2);
	/* an error reading the groups fails closed */
	assert_denied(decide(pol, &b, "memory_pin", "read", "x"), POLICY_REASON_NO_BINDING);
	assert_int_equal(broken.calls, 1);
	policy_free(pol);
}

/* ---- tokens -------------------------------------------------------------- */

#define TOKEN_POLICY                                                                               \
	"{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["                                     \
	"{\"uid\": 1000, \"roles\": [\"infra\"], \"tenants\": [\"*\"]},"                           \
	"{\"group\": \"root\", \"roles\": [\"infra\"], \"tenants\": [\"*\"]},"                     \
	"{\"sub\": \"ci-bot\", \"roles\": [\"machine\"], \"tenants\": [\"lab-*\"]}]}"

static void test_policy_token_replaces_unix_bindings(void **state)
{
	struct policy *pol = load_ok(TOKEN_POLICY);
	char *roles[] = {(char *)"readonly"}, *tenants[] = {(char *)"acme"};
	struct cred_claims tok = {.sub = (char *)"alice", .roles = roles, .n_roles = 1,
				  .tenants = tenants, .n_tenants = 1};
	struct groups_fake g = {.gids = (gid_t[]){0}, .n = 1};
	struct policy_subject s = unix_subject(1000, 1000, &g);

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "write", "other"), POLICY_REASON_ROLE);
	s.token = &tok;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "acme"), POLICY_REASON_TOKEN);
	assert_denied(decide(pol, &s, "memory_pin", "write", "acme"), POLICY_REASON_NO_PERMISSION);
	assert_denied(decide(pol, &s, "memory_pin", "read", "other"), POLICY_REASON_OUT_OF_SCOPE);
	assert_int_equal(g.calls, 0);	/* group bindings do not apply to a token */
	policy_free(pol);
}

static void test_policy_token_sub_binding_adds_per_binding(void **state)
{
	struct policy *pol = load_ok(TOKEN_POLICY);
	char *roles[] = {(char *)"readonly"}, *tenants[] = {(char *)"acme"};
	struct cred_claims tok = {.sub = (char *)"ci-bot", .roles = roles, .n_roles = 1,
				  .tenants = tenants, .n_tenants = 1};
	struct cred_claims bare = {.sub = (char *)"ci-bot"};
	struct cred_claims other = {.sub = (char *)"ci-bot2"};
	struct policy_subject s = {.uid = 5, .gid = 5, .token = &tok};

	(void)state;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "acme"), POLICY_REASON_TOKEN);
	assert_allowed(decide(pol, &s, "memory_pin", "write", "lab-1"), POLICY_REASON_ROLE);
	/* the claims' roles and the binding's scope do not mix */
	assert_denied(decide(pol, &s, "memory_pin", "write", "acme"), POLICY_REASON_OUT_OF_SCOPE);
	assert_denied(decide(pol, &s, "memory_pin", "delete", "lab-1"),
		      POLICY_REASON_NO_PERMISSION);
	/* a token with no roles or tenants claims gets only its sub binding */
	s.token = &bare;
	assert_allowed(decide(pol, &s, "memory_pin", "read", "lab-x"), POLICY_REASON_ROLE);
	assert_denied(decide(pol, &s, "memory_pin", "read", "acme"), POLICY_REASON_OUT_OF_SCOPE);
	/* sub compares exactly */
	s.token = &other;
	assert_denied(decide(pol, &s, "memory_pin", "read", "lab-x"), POLICY_REASON_NO_PERMISSION);
	policy_free(pol);
}

static void test_policy_sub_binding_needs_a_token(void **state)
{
	struct policy *pol =
	    load_ok("{\"version\": \"1\", " ROLES_SEED ", \"bindings\": ["
		    "{\"sub\": \"0\", \"roles\": [\"infra\"], \"tenants\": [\"*\"]}]}");
	struct policy_subject s = unix_subject(0, 0, NULL);

	(void)state;
	assert_denied(decide(pol, &s, "memory_pin", "read", "a"), POLICY_REASON_NO_BINDING);
	policy_free(pol);
}

static void test_policy_token_unknown_role_grants_nothing(void **state)
{
	struct policy *pol = load_ok(TOKEN_POLICY);
	char *roles[] = {(char *)"superuser", (char *)"INFRA"}, *tenants[] = {(char *)"*"};
	struct cred_claims tok = {.sub = (char *)"mallory", .roles = roles, .n_roles = 2,
				  .tenants = tenants, .n_tenants = 1};
	struct policy_subject s = {.uid = 1000, .gid = 0, .token = &tok};

	(void)state;
	assert_denied(decide(pol, &s, "memory_pin", "read", "a"), POLICY_REASON_NO_PERMISSION);
	policy_free(pol);
}

/* ---- shadow mode --------------------------------------------------------- */

static void test_policy_shadow_mode_allows_but_reports(void **state)
{
	struct policy *pol = load_ok("{\"version\": \"s\", \"enforce\": false, " ROLES_SEED ","
				     "\"bindings\": [{\"uid\": 1000, \"roles\": [\"dev\"],"
				     " \"tenants\": [\"a\"]}]}");
	struct policy_subject s = unix_subject(1000, 1000, NULL);
	struct policy_subject o = unix_subject(7, 7, NULL);
	struct pfs_subject ps = {.uid = 7, .gid = 7};
	struct policy_decision d;

	(void)state;
	assert_false(policy_enforcing(pol));
	assert_allowed(decide(pol, &s, "memory_pin", "read", "a"), POLICY_REASON_ROLE);
	d = decide(pol, &s, "memory_pin", "write", "a");
	assert_true(d.allowed);
	assert_true(d.denied);
	assert_int_equal(d.reason, POLICY_REASON_NO_PERMISSION);
	d = decide(pol, &o, "memory_pin", "read", "a");
	assert_true(d.allowed);
	assert_true(d.denied);
	assert_int_equal(d.reason, POLICY_REASON_NO_BINDING);
	assert_int_equal(policy_check(pol, 4242, &ps, "a", POLICY_ADMIN), 0);
	policy_free(pol);
}

static void test_policy_enforce_true_and_default(void **state)
{
	struct policy *a = load_ok("{\"version\": \"1\", \"enforce\": true, \"roles\": {},"
				   " \"bindings\": []}");
	struct policy *b = load_ok("{\"version\": \"1\", \"roles\": {}, \"bindings\": []}");
	struct pfs_subject ps = {.uid = 0, .gid = 0};

	(void)state;
	assert_true(policy_enforcing(a));
	assert_true(policy_enforcing(b));
	assert_int_equal(policy_check(b, 0, &ps, "a", POLICY_READ), -EACCES);
	policy_free(a);
	policy_free(b);
}

/* ---- policy_check -------------------------------------------------------- */

static void test_policy_check_maps_actions(void **state)
{
	struct policy *pol = load_ok("{\"version\": \"1\", \"roles\": {"
				     "\"w\": {\"memory_pin\": [\"write\", \"delete\"]}},"
				     "\"bindings\": [{\"uid\": 1000, \"roles\": [\"w\"],"
				     " \"tenants\": [\"acme\"]}]}");
	struct pfs_subject ps = {.uid = 1000, .gid = 1000};

	(void)state;
	assert_int_equal(policy_check(pol, 0, &ps, "acme", POLICY_READ), -EACCES);
	assert_int_equal(policy_check(pol, 0, &ps, "acme", POLICY_WRITE), 0);
	assert_int_equal(policy_check(pol, 0, &ps, "acme", POLICY_DELETE), 0);
	assert_int_equal(policy_check(pol, 0, &ps, "acme", POLICY_ADMIN), -EACCES);
	assert_int_equal(policy_check(pol, 0, &ps, "other", POLICY_WRITE), -EACCES);
	assert_int_equal(policy_check(pol, 0, &ps, NULL, POLICY_WRITE), 0);
	assert_int_equal(policy_check(pol, 0, NULL, "acme", POLICY_WRITE), -EACCES);
	policy_free(pol);
}

/* ---- validation ---------------------------------------------------------- */

#define V "\"version\": \"1\", "
#define B0 "\"bindings\": []"

static void test_policy_invalid_json_is_refused_with_line(void **state)
{
	(void)state;
	expect_refused("{\"version\": \"1\",\n \"roles\": {", "test.json", "invalid JSON",
		       "line 2");
	expect_refused("", "invalid JSON");
	expect_refused("[1, 2]", "must be a JSON object");
	expect_refused("{\"version\": \"1\"} {}", "invalid JSON");
}

static void test_policy_duplicate_keys_are_refused(void **state)
{
	(void)state;
	expect_refused("{\"version\": \"1\", \"version\": \"2\", \"roles\": {}, " B0 "}",
		       "duplicate", "version");
	expect_refused("{" V "\"roles\": {\"dev\": {\"memory_pin\": [\"read\"],"
		       " \"memory_pin\": [\"write\"]}}, " B0 "}",
		       "duplicate");
	expect_refused("{" V "\"roles\": {\"dev\": {}}, \"bindings\": [{\"uid\": 1,"
		       " \"uid\": 2, \"roles\": [\"dev\"], \"tenants\": []}]}",
		       "duplicate");
}

static void test_policy_wrong_types_name_the_field(void **state)
{
	(void)state;
	expect_refused("{\"version\": 1, \"roles\": {}, " B0 "}", "version");
	expect_refused("{\"version\": \"\", \"roles\": {}, " B0 "}", "version");
	expect_refused("{\"roles\": {}, " B0 "}", "missing \"version\"");
	expect_refused("{" V "\"enforce\": \"no\", \"roles\": {}, " B0 "}", "enforce");
	expect_refused("{" V "\"enforce\": 0, \"roles\": {}, " B0 "}", "enforce");
	expect_refused("{" V "\"roles\": [], " B0 "}", "roles: must be an object");
	expect_refused("{" V "\"roles\": {\"dev\": [\"read\"]}, " B0 "}", "roles.dev:");
	expect_refused("{" V "\"roles\": {\"dev\": {\"memory_pin\": \"read\"}}, " B0 "}",
		       "roles.dev.memory_pin: must be an array of strings");
	expect_refused("{" V "\"roles\": {\"dev\": {\"memory_pin\": [\"read\", 7]}}, " B0 "}",
		       "roles.dev.memory_pin: must be an array of strings");
	expect_refused("{" V "\"roles\": {\"dev\": {\"memory_pin\": [\"\"]}}, " B0 "}",
		       "roles.dev.memory_pin[0]");
	expect_refused("{" V "\"roles\": {\"de v\": {}}, " B0 "}", "role name", "de v");
	expect_refused("{" V "\"roles\": {}, \"bindings\": {}}", "bindings: must be an array");
	expect_refused("{" V "\"roles\": {}}", "missing \"bindings\"");
	expect_refused("{" V B0 "}", "missing \"roles\"");
	expect_refused("{" V "\"roles\": {}, \"bindings\": [7]}", "bindings[0]: must be an object");
}

static void test_policy_unknown_keys_are_refused(void **state)
{
	(void)state;
	expect_refused("{" V "\"roles\": {}, \"bindingz\": [], " B0 "}",
		       "unrecognized key \"bindingz\"");
	expect_refused("{" V "\"roles\": {\"dev\": {}}, \"bindings\": [{\"uid\": 1,"
		       " \"roles\": [\"dev\"], \"tenants\": [], \"role\": 1}]}",
		       "bindings[0]", "unrecognized key \"role\"");
	/* "$schema" is allowed, for editors */
	policy_free(load_ok("{\"$schema\": \"./rbac_policies.schema.json\", " V
			    "\"roles\": {}, " B0 "}"));
}

static void test_policy_bad_bindings_name_the_field(void **state)
{
	(void)state;
	expect_refused("{" V ROLES_SEED ", \"bindings\": ["
		       "{\"uid\": 1, \"roles\": [\"dev\"], \"tenants\": []},"
		       "{\"uid\": 2, \"roles\": [\"dev\"], \"tenants\": []},"
		       "{\"uid\": 3, \"roles\": [\"x\"], \"tenants\": []}]}",
		       "bindings[2].roles[0]: unknown role \"x\"");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"user\": \"root\","
		       " \"roles\": [\"dev\"], \"tenants\": []}]}",
		       "bindings[0]: must have exactly one of");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"roles\": [\"dev\"],"
		       " \"tenants\": []}]}",
		       "bindings[0]: must have exactly one of");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": -1, \"roles\": [\"dev\"],"
		       " \"tenants\": []}]}",
		       "bindings[0].uid");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": \"0\", \"roles\": [\"dev\"],"
		       " \"tenants\": []}]}",
		       "bindings[0].uid");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"user\": \"\", \"roles\": [\"dev\"],"
		       " \"tenants\": []}]}",
		       "bindings[0].user");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"sub\": 5, \"roles\": [\"dev\"],"
		       " \"tenants\": []}]}",
		       "bindings[0].sub");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [],"
		       " \"tenants\": []}]}",
		       "bindings[0].roles: must not be empty");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": \"dev\","
		       " \"tenants\": []}]}",
		       "bindings[0].roles: must be an array of strings");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"]}]}",
		       "bindings[0]: missing \"tenants\"");
	expect_refused("{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"],"
		       " \"tenants\": [\"ok\", \"a/b\"]}]}",
		       "bindings[0].tenants[1]", "a/b");
}

static void test_policy_tenant_patterns_are_checked(void **state)
{
	static const char *const good[] = {"acme", "lab-*", "*", "a?c", "team-[ab]", "x[!0-9]y",
					   "A.b_c-d", "[a-z]*"};
	static const char *const bad[] = {"", "a b", "a/b", "lab-[", "x]", "[]", "[!]", "a{b,c}",
					  "\\\\*"};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"],"
			 " \"tenants\": [\"%s\"]}]}",
			 good[i]);
		policy_free(load_ok(text));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"],"
			 " \"tenants\": [\"%s\"]}]}",
			 bad[i]);
		expect_refused(text, "bindings[0].tenants[0]");
	}
	/* a 65-byte name is too long for a tenant; as a glob up to 255 bytes is fine */
	snprintf(text, sizeof(text),
		 "{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"],"
		 " \"tenants\": [\"%065d\"]}]}",
		 0);
	expect_refused(text, "bindings[0].tenants[0]");
	snprintf(text, sizeof(text),
		 "{" V ROLES_SEED ", \"bindings\": [{\"uid\": 1, \"roles\": [\"dev\"],"
		 " \"tenants\": [\"%0100d*\"]}]}",
		 0);
	policy_free(load_ok(text));
}

static void test_policy_huge_file_is_refused(void **state)
{
	size_t len = 2 * 1024 * 1024;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	/* valid JSON, just too big: the limit comes before parsing */
	memset(text, ' ', len);
	memcpy(text, "{" V "\"roles\": {}, " B0, strlen("{" V "\"roles\": {}, " B0));
	text[len - 1] = '}';
	text[len] = '\0';
	expect_refused_len(text, len, -EFBIG, "over the limit", NULL);
	free(text);
}

/* ---- hash, text, files --------------------------------------------------- */

static void test_policy_hash_is_sha256_prefix_of_bytes(void **state)
{
	const char *text = "{" V "\"roles\": {}, " B0 "}\n";
	unsigned char md[32];
	unsigned int md_len = 0;
	char want[17];
	struct policy *pol = load_ok(text);
	int64_t now = (int64_t)time(NULL);

	(void)state;
	assert_int_equal(EVP_Digest(text, strlen(text), md, &md_len, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(policy_hash(pol), want);
	assert_string_equal(policy_text(pol), text);
	assert_string_equal(policy_version(pol), "1");
	assert_true(policy_loaded_at(pol) >= now - 5 && policy_loaded_at(pol) <= now + 5);
	policy_free(pol);

	/* one byte more (whitespace) is another hash */
	pol = load_ok("{" V "\"roles\": {}, " B0 "} \n");
	assert_string_not_equal(policy_hash(pol), want);
	policy_free(pol);
}

static void test_policy_load_file_matches_load_string(void **state)
{
	const char *text = "{" V "\"roles\": {\"dev\": {\"memory_pin\": [\"read\"]}}, " B0 "}";
	char path[] = "/tmp/test_policy_XXXXXX";
	struct pfs_error err = {0};
	struct policy *a = NULL, *b = load_ok(text);
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(policy_load_file(path, &a, &err), 0);
	assert_string_equal(policy_hash(a), policy_hash(b));
	assert_string_equal(policy_text(a), text);
	assert_int_equal(policy_n_roles(a), 1);
	assert_int_equal(policy_n_bindings(a), 0);
	policy_free(a);
	policy_free(b);
	unlink(path);

	assert_int_equal(policy_load_file(path, &a, &err), -ENOENT);
	assert_non_null(strstr(err.message, path));
	assert_int_equal(policy_load_file("/tmp", &a, &err), -EINVAL);
	assert_null(policy_free(NULL));
}

/* A FIFO at the policy path must not block the reload thread forever. */
static void test_policy_load_file_refuses_a_fifo_at_once_and_follows_links(void **state)
{
	const char *text = "{" V "\"roles\": {\"dev\": {\"memory_pin\": [\"read\"]}}, " B0 "}";
	char dir[] = "/tmp/test_policy_XXXXXX";
	char fifo[64], file[64], link[64];
	struct pfs_error err = {0};
	struct policy *p = NULL;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo.json", dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(policy_load_file(fifo, &p, &err), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err.message, "not a regular file"));
	unlink(fifo);

	/* a symbolic link to a good policy is a supported setup */
	snprintf(file, sizeof(file), "%s/rbac.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(symlink(file, link), 0);
	assert_int_equal(policy_load_file(link, &p, &err), 0);
	p = policy_free(p);
	/* ... but what it leads to is checked */
	assert_int_equal(chmod(file, 0664), 0);
	assert_int_equal(policy_load_file(link, &p, &err), -EPERM);
	assert_non_null(strstr(err.message, "writable by its group"));
	unlink(link);
	unlink(file);
	rmdir(dir);
}

/* What /.system/policy shows a scoped caller of another binding's tenant entries. */
static void test_policy_scope_includes_only_names_inside_the_scope(void **state)
{
	const char *const scope[] = {"acme", "lab-*"};
	const char *const star[] = {"*"};

	(void)state;
	assert_true(policy_scope_includes(scope, 2, "acme"));
	assert_true(policy_scope_includes(scope, 2, "lab-1"));	/* a name the glob matches */
	assert_true(policy_scope_includes(scope, 2, "lab-*"));	/* the same glob */
	assert_false(policy_scope_includes(scope, 2, "beta"));
	assert_false(policy_scope_includes(scope, 2, "lab-[0-9]"));	/* another glob */
	assert_false(policy_scope_includes(scope, 2, "*"));
	assert_false(policy_scope_includes(scope, 2, "l*"));
	assert_false(policy_scope_includes(scope, 0, "acme"));
	assert_true(policy_scope_includes(star, 1, "anything"));
	assert_true(policy_scope_includes(star, 1, "*"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_scope_includes_only_names_inside_the_scope),
		cmocka_unit_test(test_policy_shipped_file_loads_and_enforces),
		cmocka_unit_test(test_policy_seed_matrix_matches_design),
		cmocka_unit_test(test_policy_shipped_root_is_infra_everywhere),
		cmocka_unit_test(test_policy_null_allows_owner_and_root_only),
		cmocka_unit_test(test_policy_scope_globs_match_with_fnmatch),
		cmocka_unit_test(test_policy_tenant_star_needs_literal_star),
		cmocka_unit_test(test_policy_uid_user_group_bindings_match),
		cmocka_unit_test(test_policy_union_is_per_binding),
		cmocka_unit_test(test_policy_unknown_user_warns_and_never_matches),
		cmocka_unit_test(test_policy_every_warning_is_kept_in_order),
		cmocka_unit_test(test_policy_clean_load_clears_reterr),
		cmocka_unit_test(test_policy_groups_not_asked_without_group_bindings),
		cmocka_unit_test(test_policy_groups_asked_once_and_only_when_needed),
		cmocka_unit_test(test_policy_primary_gid_needs_no_group_list),
		cmocka_unit_test(test_policy_many_groups_and_group_errors),
		cmocka_unit_test(test_policy_token_replaces_unix_bindings),
		cmocka_unit_test(test_policy_token_sub_binding_adds_per_binding),
		cmocka_unit_test(test_policy_sub_binding_needs_a_token),
		cmocka_unit_test(test_policy_token_unknown_role_grants_nothing),
		cmocka_unit_test(test_policy_shadow_mode_allows_but_reports),
		cmocka_unit_test(test_policy_enforce_true_and_default),
		cmocka_unit_test(test_policy_check_maps_actions),
		cmocka_unit_test(test_policy_invalid_json_is_refused_with_line),
		cmocka_unit_test(test_policy_duplicate_keys_are_refused),
		cmocka_unit_test(test_policy_wrong_types_name_the_field),
		cmocka_unit_test(test_policy_unknown_keys_are_refused),
		cmocka_unit_test(test_policy_bad_bindings_name_the_field),
		cmocka_unit_test(test_policy_tenant_patterns_are_checked),
		cmocka_unit_test(test_policy_huge_file_is_refused),
		cmocka_unit_test(test_policy_hash_is_sha256_prefix_of_bytes),
		cmocka_unit_test(test_policy_load_file_matches_load_string),
		cmocka_unit_test(test_policy_load_file_refuses_a_fifo_at_once_and_follows_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
