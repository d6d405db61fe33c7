/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the RBAC policy loader and evaluator (include/pinfs/policy.h).
 *
 * The input is a policy file. Loading must answer 0, -EINVAL, -EFBIG (over
 * 1 MiB) or -ENOMEM, with reterr naming the problem; anything jansson
 * refuses is refused. When it loads, the policy is evaluated against a
 * matrix of subjects (uids, primary groups, supplementary groups read
 * through the groups callback, tokens), resources, actions and tenants
 * taken from the document and from a fixed list, and every decision is
 * compared with a reference model written here from the header's rules
 * (DESIGN.md section 11): a binding allows resource:action on a tenant when
 * one of its roles grants it and its own scope covers the tenant; a token's
 * claims are one more such pair and replace the uid, user and group
 * bindings, and "sub" bindings add to it. The reason is checked too, as is
 * the shadow mode (enforce false allows everything it would deny),
 * policy_check against policy_decide, policy_describe's count, and the
 * accessors (text, hash, version).
 *
 * One subject's supplementary groups grow between the evaluator's two reads
 * (as /proc/TID/status can while the caller calls setgroups): the callback
 * contract ("returns a count ... writes at most n gids") allows it, so that
 * subject is only checked for memory safety and self-consistency.
 */
#include <errno.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "fuzz.h"
#include "pinfs/policy.h"

#define OWNER_UID 4242
#define PFS_FUZZ_MAX_ITEMS 16 /* names taken from the document for the matrix */

enum outcome { O_NONE, O_BOUND, O_OUT_OF_SCOPE, O_ALLOW };

/* ---- the groups callback ---------------------------------------------- */

struct groups_src {
	gid_t first;	/* base gid */
	size_t n_first; /* how many the first read reports */
	size_t n_later; /* how many every later read reports */
	unsigned calls;
};

static int groups_cb(void *ctx, gid_t *buf, size_t n)
{
	struct groups_src *g = ctx;
	size_t count = g->calls++ == 0 ? g->n_first : g->n_later;

	for (size_t i = 0; i < count && i < n; i++)
		buf[i] = g->first + (gid_t)i;
	return (int)count;
}

/* ---- the reference model ------------------------------------------------ */

static bool ref_role_grants(json_t *roles, const char *role, const char *res, const char *act)
{
	json_t *acts = json_object_get(json_object_get(roles, role), res);
	size_t i;
	json_t *a;

	json_array_foreach(acts, i, a) if (strcmp(json_string_value(a), act) == 0) return true;
	return false;
}

static bool ref_scope(json_t *tenants, const char *tenant)
{
	size_t i;
	json_t *t;

	if (!tenant)
		return true;
	json_array_foreach(tenants, i, t)
	{
		const char *s = json_string_value(t);

		if (strcmp(tenant, "*") == 0 ? strcmp(s, "*") == 0 : fnmatch(s, tenant, 0) == 0)
			return true;
	}
	return false;
}

/* The outcome of one (roles, tenants) source that applies to the subject. */
static enum outcome ref_source(json_t *roles, const char *const *role_names, size_t n_roles,
			       json_t *scope, const char *res, const char *act, const char *tenant)
{
	bool granted = false;

	for (size_t i = 0; i < n_roles && !granted; i++)
		granted = ref_role_grants(roles, role_names[i], res, act);
	if (!granted)
		return O_BOUND;
	return ref_scope(scope, tenant) ? O_ALLOW : O_OUT_OF_SCOPE;
}

static enum outcome ref_binding(json_t *roles, json_t *b, const char *res, const char *act,
				const char *tenant)
{
	json_t *names = json_object_get(b, "roles");
	const char **v = calloc(json_array_size(names) + 1, sizeof(*v));
	enum outcome o;
	size_t i;
	json_t *e;

	FUZZ_CHECK(v != NULL);
	json_array_foreach(names, i, e) v[i] = json_string_value(e);
	o = ref_source(roles, v, json_array_size(names), json_object_get(b, "tenants"), res, act,
		       tenant);
	free(v);
	return o;
}

struct subject {
	uid_t uid;
	gid_t gid;
	struct groups_src *groups; /* NULL: no callback */
	bool unstable;		   /* groups change between reads: no reference */
	const struct cred_claims *token;
};

static bool ref_in_groups(const struct subject *s, gid_t gid)
{
	if (gid == s->gid)
		return true;
	if (!s->groups)
		return false;
	return gid >= s->groups->first && gid - s->groups->first < s->groups->n_first;
}

/*
 * What each binding's subject resolves to, once per input (name lookups
 * read /etc/passwd and /etc/group): a uid or gid, or -1 (an unknown name,
 * or a "sub" binding).
 */
static long long *ref_resolve(json_t *bindings)
{
	long long *ids = calloc(json_array_size(bindings) + 1, sizeof(*ids));
	size_t i;
	json_t *b;

	FUZZ_CHECK(ids != NULL);
	json_array_foreach(bindings, i, b)
	{
		json_t *v;

		ids[i] = -1;
		if ((v = json_object_get(b, "uid"))) {
			ids[i] = (long long)json_integer_value(v);
		} else if ((v = json_object_get(b, "user"))) {
			struct passwd *pw = getpwnam(json_string_value(v));

			if (pw)
				ids[i] = (long long)pw->pw_uid;
		} else if ((v = json_object_get(b, "group"))) {
			struct group *gr = getgrnam(json_string_value(v));

			if (gr)
				ids[i] = (long long)gr->gr_gid;
		}
	}
	return ids;
}

/* Whether binding b (a JSON object; id from ref_resolve) binds the subject, tokens aside. */
static bool ref_matches(json_t *b, long long id, const struct subject *s)
{
	if (id < 0)
		return false;
	if (json_object_get(b, "uid") || json_object_get(b, "user"))
		return (uid_t)id == s->uid;
	if (json_object_get(b, "group"))
		return ref_in_groups(s, (gid_t)id);
	return false; /* "sub" */
}

/* The expected decision's outcome; *ret_by_token: the token's own claims allowed it. */
static enum outcome ref_decide(json_t *doc, const long long *ids, const struct subject *s,
			       const char *res, const char *act, const char *tenant,
			       bool *ret_by_token, size_t *ret_n_describe)
{
	json_t *roles = json_object_get(doc, "roles");
	json_t *bindings = json_object_get(doc, "bindings");
	enum outcome best = O_NONE;
	size_t i, n_describe = 0;
	json_t *b;

	*ret_by_token = false;
	if (s->token) {
		json_t *scope = json_array();

		FUZZ_CHECK(scope != NULL);
		for (size_t k = 0; k < s->token->n_tenants; k++)
			json_array_append_new(scope, json_string(s->token->tenants[k]));
		best = ref_source(roles, (const char *const *)s->token->roles, s->token->n_roles,
				  scope, res, act, tenant);
		json_decref(scope);
		*ret_by_token = best == O_ALLOW;
		n_describe = 1;
	}
	json_array_foreach(bindings, i, b)
	{
		bool match;
		enum outcome o;

		if (s->token) {
			json_t *sub = json_object_get(b, "sub");

			match = sub && s->token->sub &&
				strcmp(json_string_value(sub), s->token->sub) == 0;
		} else {
			match = ref_matches(b, ids[i], s);
		}
		if (!match)
			continue;
		n_describe++;
		o = ref_binding(roles, b, res, act, tenant);
		if (o > best)
			best = o;
	}
	*ret_n_describe = n_describe;
	return best;
}

/* ---- the matrix ---------------------------------------------------------- */

struct pair {
	const char *res, *act;
};

static void describe_cb(void *ctx, const char *const *roles, size_t n_roles,
			const char *const *tenants, size_t n_tenants)
{
	size_t *calls = ctx;

	(*calls)++;
	for (size_t i = 0; i < n_roles; i++)
		FUZZ_CHECK(roles[i] != NULL);
	for (size_t i = 0; i < n_tenants; i++)
		FUZZ_CHECK(tenants[i] != NULL);
}

static void check_one(const struct policy *pol, json_t *doc, const long long *ids,
		      const struct subject *s, const struct pair *p, const char *tenant)
{
	struct policy_subject ps = {
	    .uid = s->uid,
	    .gid = s->gid,
	    .groups = s->groups ? groups_cb : NULL,
	    .groups_ctx = s->groups,
	    .token = s->token,
	};
	struct policy_decision d, d2;
	enum outcome want;
	bool by_token;
	size_t n_describe, calls = 0;
	int n;

	if (s->groups)
		s->groups->calls = 0;
	d = policy_decide(pol, OWNER_UID, &ps, p->res, p->act, tenant);

	/* Self-consistency, for every subject. */
	FUZZ_CHECK(d.allowed == (!d.denied || !policy_enforcing(pol)));
	if (d.denied)
		FUZZ_CHECK(d.reason == POLICY_REASON_NO_BINDING ||
			   d.reason == POLICY_REASON_NO_PERMISSION ||
			   d.reason == POLICY_REASON_OUT_OF_SCOPE);
	else
		FUZZ_CHECK(d.reason == POLICY_REASON_ROLE ||
			   (d.reason == POLICY_REASON_TOKEN && s->token));
	FUZZ_CHECK(!s->groups || s->groups->calls <= 2);

	if (s->groups)
		s->groups->calls = 0;
	d2 = policy_decide(pol, OWNER_UID, &ps, p->res, p->act, tenant);
	if (!s->unstable)
		FUZZ_CHECK(d.allowed == d2.allowed && d.denied == d2.denied &&
			   d.reason == d2.reason);

	if (s->groups)
		s->groups->calls = 0;
	n = policy_describe(pol, &ps, describe_cb, &calls);
	FUZZ_CHECK(n >= 0 && (size_t)n == calls);

	if (s->unstable)
		return;
	want = ref_decide(doc, ids, s, p->res, p->act, tenant, &by_token, &n_describe);
	FUZZ_CHECK_MSG(d.denied == (want != O_ALLOW),
		       "uid %u gid %u%s %s:%s on \"%s\": denied %d, reference outcome %d",
		       (unsigned)s->uid, (unsigned)s->gid, s->token ? " (token)" : "", p->res,
		       p->act, tenant ? tenant : "(none)", d.denied, want);
	switch (want) {
	case O_ALLOW:
		FUZZ_CHECK(d.reason == (by_token ? POLICY_REASON_TOKEN : POLICY_REASON_ROLE));
		break;
	case O_OUT_OF_SCOPE:
		FUZZ_CHECK(d.reason == POLICY_REASON_OUT_OF_SCOPE);
		break;
	case O_BOUND:
		FUZZ_CHECK(d.reason == POLICY_REASON_NO_PERMISSION);
		break;
	case O_NONE:
		FUZZ_CHECK(d.reason == POLICY_REASON_NO_BINDING);
		break;
	}
	FUZZ_CHECK_MSG((size_t)n == n_describe, "describe: %d, reference %zu", n, n_describe);

	/* The short form is policy_decide on memory_pin without supplementary groups. */
	if (!s->token && strcmp(p->res, POLICY_RES_MEMORY_PIN) == 0) {
		static const char *const acts[] = {"read", "write", "delete", "admin"};
		struct pfs_subject who = {.uid = s->uid, .gid = s->gid, .pid = 0};
		struct policy_subject plain = {.uid = s->uid, .gid = s->gid};

		for (int a = POLICY_READ; a <= POLICY_ADMIN; a++) {
			struct policy_decision dp;

			if (strcmp(acts[a], p->act) != 0)
				continue;
			dp = policy_decide(pol, OWNER_UID, &plain, p->res, p->act, tenant);
			FUZZ_CHECK(
			    policy_check(pol, OWNER_UID, &who, tenant, (enum policy_action)a) ==
			    (dp.allowed ? 0 : -EACCES));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed_tenants[] = {NULL, "*",	  "acme", "beta",     "team-a",
						    "a",  "Acme", "x.y",  "acme-prod"};
	static const struct pair fixed_pairs[] = {
	    {"memory_pin", "read"},  {"memory_pin", "write"},  {"memory_pin", "delete"},
	    {"memory_pin", "admin"}, {"prometheus", "reload"}, {"policy", "approve"},
	    {"nope", "read"},
	};
	struct groups_src small = {.first = 100, .n_first = 3, .n_later = 3};
	struct groups_src many = {.first = 2000, .n_first = 100, .n_later = 100};
	struct groups_src growing = {.first = 3000, .n_first = 70, .n_later = 80};
	struct policy *pol = (struct policy *)(uintptr_t)0x1, *sentinel = pol;
	struct pfs_error err = {0};
	long long *ids;
	const char *tenants[PFS_FUZZ_MAX_ITEMS + 9];
	struct pair pairs[PFS_FUZZ_MAX_ITEMS + 7];
	const char *tok_roles[PFS_FUZZ_MAX_ITEMS + 1];
	const char *tok_tenants[] = {"acme", "team-*"};
	size_t n_tenants = 0, n_pairs = 0, n_tok_roles = 0;
	const char *sub = "svc-fuzz";
	json_error_t jerr;
	json_t *doc, *v;
	const char *key;
	int r;

	r = policy_load_string((const char *)data, size, "<fuzz>", &pol, &err);
	FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -EFBIG || r == -ENOMEM,
		       "policy_load_string = %d", r);
	if (size > 1024 * 1024)
		FUZZ_CHECK(r == -EFBIG);
	if (r < 0) {
		FUZZ_CHECK(pol == sentinel);
		FUZZ_CHECK(err.code == r && err.message[0] != '\0');
		return 0;
	}
	FUZZ_CHECK(pol != NULL && pol != sentinel);
	FUZZ_CHECK(err.code == 0);

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK_MSG(doc != NULL, "loaded a policy jansson refuses: %s", jerr.text);
	FUZZ_CHECK(json_is_object(doc));

	/* Accessors. */
	FUZZ_CHECK(policy_text(pol) && memcmp(policy_text(pol), data, size) == 0 &&
		   policy_text(pol)[size] == '\0');
	FUZZ_CHECK(policy_hash(pol) && strlen(policy_hash(pol)) == 16 &&
		   strspn(policy_hash(pol), "0123456789abcdef") == 16);
	v = json_object_get(doc, "version");
	FUZZ_CHECK(json_is_string(v) && strcmp(policy_version(pol), json_string_value(v)) == 0);
	v = json_object_get(doc, "enforce");
	FUZZ_CHECK(policy_enforcing(pol) == (v ? json_is_true(v) : true));
	FUZZ_CHECK(policy_n_roles(pol) == json_object_size(json_object_get(doc, "roles")));
	FUZZ_CHECK(policy_n_bindings(pol) == json_array_size(json_object_get(doc, "bindings")));
	FUZZ_CHECK(policy_loaded_at(pol) > 0);

	ids = ref_resolve(json_object_get(doc, "bindings"));

	/* The matrix: fixed names plus what the document mentions. */
	for (size_t i = 0; i < PFS_ARRAY_SIZE(fixed_tenants); i++)
		tenants[n_tenants++] = fixed_tenants[i];
	for (size_t i = 0; i < PFS_ARRAY_SIZE(fixed_pairs); i++)
		pairs[n_pairs++] = fixed_pairs[i];
	json_object_foreach(json_object_get(doc, "roles"), key, v)
	{
		const char *res;
		json_t *acts;

		if (n_tok_roles < PFS_FUZZ_MAX_ITEMS / 2)
			tok_roles[n_tok_roles++] = key;
		json_object_foreach(v, res, acts)
		{
			if (n_pairs < PFS_ARRAY_SIZE(pairs) && json_array_size(acts) > 0)
				pairs[n_pairs++] =
				    (struct pair){res, json_string_value(json_array_get(acts, 0))};
		}
	}
	tok_roles[n_tok_roles++] = "no-such-role";
	{
		size_t i;
		json_t *b;

		json_array_foreach(json_object_get(doc, "bindings"), i, b)
		{
			json_t *t = json_array_get(json_object_get(b, "tenants"), 0);

			if (t && n_tenants < PFS_ARRAY_SIZE(tenants))
				tenants[n_tenants++] = json_string_value(t);
			if (json_is_string(json_object_get(b, "sub")))
				sub = json_string_value(json_object_get(b, "sub"));
		}
	}

	{
		struct cred_claims tok = {
		    .sub = (char *)sub,
		    .roles = (char **)tok_roles,
		    .n_roles = n_tok_roles,
		    .tenants = (char **)tok_tenants,
		    .n_tenants = PFS_ARRAY_SIZE(tok_tenants),
		    .exp = INT64_MAX,
		};
		struct cred_claims tok_other = tok;
		const struct subject subjects[] = {
		    {.uid = 0, .gid = 0},
		    {.uid = 1000, .gid = 1000, .groups = &small},
		    {.uid = 1001, .gid = 1001, .groups = &many},
		    {.uid = 65534, .gid = 65534},
		    {.uid = OWNER_UID, .gid = 100, .groups = &small},
		    {.uid = 1000, .gid = 1000, .groups = &growing, .unstable = true},
		    {.uid = 1000, .gid = 1000, .token = &tok},
		    {.uid = 1002, .gid = 1002, .token = &tok_other},
		};
		/* Big policies get a smaller matrix: the point is the decisions, not time. */
		size_t max_combos = policy_n_bindings(pol) > 256 ? 16 : SIZE_MAX, combos = 0;

		tok_other.sub = (char *)"someone-else";
		tok_other.n_roles = 1;
		for (size_t si = 0; si < PFS_ARRAY_SIZE(subjects); si++)
			for (size_t pi = 0; pi < n_pairs; pi++)
				for (size_t ti = 0; ti < n_tenants && combos < max_combos;
				     ti++, combos++)
					check_one(pol, doc, ids, &subjects[si], &pairs[pi],
						  tenants[ti]);
	}

	/* No policy: the owner and root only. */
	{
		struct policy_subject root = {.uid = 0}, owner = {.uid = OWNER_UID},
				      other = {.uid = 1000};

		FUZZ_CHECK(
		    policy_decide(NULL, OWNER_UID, &root, "memory_pin", "read", "a").allowed);
		FUZZ_CHECK(policy_decide(NULL, OWNER_UID, &owner, "x", "y", NULL).allowed);
		FUZZ_CHECK(
		    !policy_decide(NULL, OWNER_UID, &other, "memory_pin", "read", "a").allowed);
	}

	free(ids);
	json_decref(doc);
	policy_free(pol);
	return 0;
}
