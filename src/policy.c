/* SPDX-License-Identifier: MIT */
/*
 * RBAC policy: loading, validating and evaluating policies/rbac_policies.json
 * (DESIGN.md sections 6 and 11; the format is in include/pinfs/policy.h and
 * policies/rbac_policies.schema.json).
 *
 * Loading reads the file (at most POLICY_MAX_BYTES), parses it with jansson
 * (duplicate keys refused), validates every field, naming it in the error
 * ("bindings[2].roles[0]: unknown role \"x\""), resolves "user" and "group"
 * names with getpwnam_r/getgrnam_r, and hashes the bytes (SHA-256, first 16
 * hex). Besides the keys in policy.h, a top-level "$schema" string is
 * accepted (and ignored) so editors can find the JSON Schema; any other
 * unknown key is refused. A name that does not resolve is not an error:
 * the binding is kept but never matches, and a warning is returned through
 * reterr with code 0 while the load succeeds (callers log err.message when
 * it is non-empty).
 *
 * Evaluation is pure and lock-free: a loaded policy is never modified.
 * Grants are per binding: a binding allows resource:action on tenant when
 * one of its roles grants resource:action AND its own scope covers tenant.
 * The subject's grants are the union over matching bindings; roles of one
 * binding are never combined with the scope of another (otherwise "admin on
 * acme" plus "readonly on *" would become "admin on *"). A token bound to
 * the uid is one more such (roles, tenants) pair, and replaces the uid, user
 * and group bindings; "sub" bindings only ever match a token's subject.
 *
 * Scope: tenant NULL is not about a tenant (only roles count); tenant "*"
 * needs a scope entry that is literally "*"; anything else is matched with
 * fnmatch(3) against each scope entry.
 *
 * Supplementary groups cost a /proc read, so subject->groups is called at
 * most once per decision, and only when a group binding that the primary
 * gid does not match could still change the outcome.
 */
#include "pinfs/fileperm.h"
#include "pinfs/strv.h"
#include "pinfs/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#define POLICY_MAX_BYTES (1024 * 1024)	/* the seed is ~2 KiB; 1 MiB is plenty */
#define NAME_MAX_LEN 64			/* tenant, role and resource names */
#define GLOB_MAX_LEN 255
#define ACTION_MAX_LEN 64
#define GROUPS_MAX 65536		/* NGROUPS_MAX on Linux */

struct grant {
	char *resource;
	char **actions;
	size_t n_actions;
};

struct role {
	char *name;
	struct grant *grants;
	size_t n_grants;
};

enum binding_kind {
	BINDING_UID,
	BINDING_USER,
	BINDING_GROUP,
	BINDING_SUB,
};

struct binding {
	enum binding_kind kind;
	bool resolved;		/* false: unknown user or group name, never matches */
	uid_t uid;		/* BINDING_UID, BINDING_USER */
	gid_t gid;		/* BINDING_GROUP */
	char *sub;		/* BINDING_SUB */
	size_t *roles;		/* indexes into policy->roles */
	size_t n_roles;
	char **tenants;
	size_t n_tenants;
};

struct policy {
	char *version;
	bool enforce;
	char hash[17];
	int64_t loaded_at;
	char *text;		/* the file's bytes, NUL-terminated */
	struct role *roles;
	size_t n_roles;
	struct binding *bindings;
	size_t n_bindings;
	bool has_group_bindings;
	char **warnings;	/* load-time warnings, in file order (policy_warning) */
	size_t n_warnings;
};

/* ------------------------------------------------------------------ */
/* freeing                                                            */


struct policy *policy_free(struct policy *pol)
{
	if (!pol)
		return NULL;
	for (size_t i = 0; i < pol->n_roles; i++) {
		struct role *ro = &pol->roles[i];

		for (size_t j = 0; j < ro->n_grants; j++) {
			free(ro->grants[j].resource);
			strv_free(ro->grants[j].actions, ro->grants[j].n_actions);
		}
		free(ro->grants);
		free(ro->name);
	}
	free(pol->roles);
	for (size_t i = 0; i < pol->n_bindings; i++) {
		struct binding *b = &pol->bindings[i];

		free(b->sub);
		free(b->roles);
		strv_free(b->tenants, b->n_tenants);
	}
	free(pol->bindings);
	free(pol->version);
	free(pol->text);
	strv_free(pol->warnings, pol->n_warnings);
	free(pol);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* validation helpers                                                 */

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* [A-Za-z0-9_.-]{1,64}: tenant, role and resource names. */
static bool valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!name_char(s[n]))
			return false;
	return n >= 1 && n <= NAME_MAX_LEN;
}

/*
 * A tenant scope entry: a tenant name, or a glob of name characters with
 * "*", "?" and bracket expressions ("[a-z]", "[!0-9]"). A bracket must be
 * closed and non-empty, so a typo is refused rather than silently matching
 * itself literally.
 */
static bool valid_scope_entry(const char *s)
{
	size_t n = strlen(s);
	bool glob = false;

	if (n == 0 || n > GLOB_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '[') {
			size_t j = i + 1, start;

			if (s[j] == '!')
				j++;
			start = j;
			while (j < n && s[j] != ']') {
				if (!name_char(s[j]))
					return false;
				j++;
			}
			if (j >= n || j == start)
				return false;
			i = j;
			glob = true;
		} else if (s[i] == '*' || s[i] == '?') {
			glob = true;
		} else if (!name_char(s[i])) {
			return false;
		}
	}
	return glob || n <= NAME_MAX_LEN;
}

/* 1..max bytes, no control characters. */
static bool printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool valid_action(const char *s)
{
	return printable(s, ACTION_MAX_LEN);
}

/* strv_collect's getter over a JSON array of strings. */
static const char *json_string_at(const void *arr, size_t i)
{
	return json_string_value(json_array_get(arr, i));
}

/*
 * Copies a JSON array of strings, each checked with ok(). where names the
 * array in messages ("roles.dev.memory_pin").
 */
static int parse_strings(json_t *arr, bool (*ok)(const char *), const char *what, const char *path,
			 const char *where, char ***ret, size_t *ret_n, struct pfs_error *reterr)
{
	char **v;
	size_t n;

	if (!json_is_array(arr))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: %s: must be an array of strings",
				     path, where);
	n = json_array_size(arr);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);

		if (!json_is_string(e))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: %s: must be an array of strings", path, where);
		if (!ok(json_string_value(e)) || strlen(json_string_value(e)) !=
							 json_string_length(e))
			return pfs_error_set(reterr, -EINVAL, 0, "%s: %s[%zu]: invalid %s \"%s\"",
					     path, where, i, what, json_string_value(e));
	}
	if (strv_collect(n, json_string_at, arr, &v) < 0)
		return -ENOMEM;
	*ret = v;
	*ret_n = n;
	return 0;
}

static int parse_roles(json_t *obj, struct policy *pol, const char *path, struct pfs_error *reterr)
{
	const char *name;
	json_t *rv;

	if (!json_is_object(obj))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: roles: must be an object", path);
	pol->roles = calloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof(*pol->roles));
	if (!pol->roles)
		return -ENOMEM;

	json_object_foreach(obj, name, rv) {
		struct role *ro = &pol->roles[pol->n_roles];
		const char *res;
		json_t *acts;

		if (!valid_name(name))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: roles: invalid role name \"%s\" "
					     "(1-64 of A-Z a-z 0-9 _ . -)",
					     path, name);
		if (!json_is_object(rv))
			return pfs_error_set(
			    reterr, -EINVAL, 0,
			    "%s: roles.%s: must be an object of resource: [action, ...]", path,
			    name);
		ro->name = strdup(name);
		if (!ro->name)
			return -ENOMEM;
		pol->n_roles++;
		ro->grants = calloc(json_object_size(rv) ? json_object_size(rv) : 1,
				    sizeof(*ro->grants));
		if (!ro->grants)
			return -ENOMEM;

		json_object_foreach(rv, res, acts) {
			struct grant *g = &ro->grants[ro->n_grants];
			char where[256];
			int r;

			snprintf(where, sizeof(where), "roles.%s.%s", name, res);
			if (!valid_name(res))
				return pfs_error_set(reterr, -EINVAL, 0,
						     "%s: roles.%s: invalid resource name \"%s\"",
						     path, name, res);
			g->resource = strdup(res);
			if (!g->resource)
				return -ENOMEM;
			ro->n_grants++;
			r = parse_strings(acts, valid_action, "action", path, where, &g->actions,
					  &g->n_actions, reterr);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static ssize_t find_role(const struct policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_roles; i++)
		if (strcmp(pol->roles[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* Keeps a load-time warning (every one: pinctl policy check prints them all). */
static int warn(struct policy *pol, const char *path, const char *where, const char *what,
		const char *name)
{
	char **v = realloc(pol->warnings, (pol->n_warnings + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	pol->warnings = v;
	if (asprintf(&v[pol->n_warnings], "%s: %s: unknown %s \"%s\", the binding never matches",
		     path, where, what, name) < 0)
		return -ENOMEM;
	pol->n_warnings++;
	return 0;
}

/* Resolves a user name to a uid: 0, -ENOENT (no such user) or another -errno. */
static int resolve_user(const char *name, uid_t *ret)
{
	size_t size = 16384;

	for (;;) {
		struct passwd pw, *res = NULL;
		char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r == 0 && res)
			*ret = res->pw_uid;
		free(buf);
		if (r == ERANGE && size < 1024 * 1024) {
			size *= 2;
			continue;
		}
		if (r == 0)
			return res ? 0 : -ENOENT;
		/* ENOENT, ESRCH, EBADF, EPERM: "not found" per getpwnam_r(3) */
		return r == ENOENT || r == ESRCH || r == EBADF || r == EPERM ? -ENOENT : -r;
	}
}

static int resolve_group(const char *name, gid_t *ret)
{
	size_t size = 16384;

	for (;;) {
		struct group gr, *res = NULL;
		char *buf = malloc(size);
		int r;

		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r == 0 && res)
			*ret = res->gr_gid;
		free(buf);
		if (r == ERANGE && size < 16 * 1024 * 1024) {
			size *= 2;
			continue;
		}
		if (r == 0)
			return res ? 0 : -ENOENT;
		return r == ENOENT || r == ESRCH || r == EBADF || r == EPERM ? -ENOENT : -r;
	}
}

static bool valid_subject_name(const char *s)
{
	return printable(s, 1024);
}

static int parse_binding(json_t *obj, size_t idx, struct policy *pol, struct binding *b,
			 const char *path, struct pfs_error *reterr)
{
	static const char *const keys[] = {"uid", "user", "group", "sub", "roles", "tenants"};
	char where[64], sub_where[96];
	const char *key;
	json_t *v, *roles;
	char **role_names = NULL;
	size_t n_role_names = 0;
	int n_subjects = 0, r;

	snprintf(where, sizeof(where), "bindings[%zu]", idx);
	if (!json_is_object(obj))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: %s: must be an object", path, where);
	json_object_foreach(obj, key, v) {
		bool known = false;

		for (size_t i = 0; i < PFS_ARRAY_SIZE(keys); i++)
			if (strcmp(keys[i], key) == 0)
				known = true;
		if (!known)
			return pfs_error_set(reterr, -EINVAL, 0, "%s: %s: unrecognized key \"%s\"",
					     path, where, key);
		if (strcmp(key, "uid") == 0 || strcmp(key, "user") == 0 ||
		    strcmp(key, "group") == 0 || strcmp(key, "sub") == 0)
			n_subjects++;
	}
	if (n_subjects != 1)
		return pfs_error_set(
		    reterr, -EINVAL, 0,
		    "%s: %s: must have exactly one of \"uid\", \"user\", \"group\", "
		    "\"sub\"",
		    path, where);

	b->resolved = true;
	if ((v = json_object_get(obj, "uid"))) {
		b->kind = BINDING_UID;
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX - 1)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: %s.uid: must be an integer from 0 to %lu", path,
					     where, (unsigned long)UINT32_MAX - 1);
		b->uid = (uid_t)json_integer_value(v);
	} else if ((v = json_object_get(obj, "sub"))) {
		b->kind = BINDING_SUB;
		if (!json_is_string(v) || !valid_subject_name(json_string_value(v)) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: %s.sub: must be a non-empty string", path, where);
		b->sub = strdup(json_string_value(v));
		if (!b->sub)
			return -ENOMEM;
	} else {
		bool user = (v = json_object_get(obj, "user")) != NULL;

		if (!user)
			v = json_object_get(obj, "group");
		b->kind = user ? BINDING_USER : BINDING_GROUP;
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > 256 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: %s.%s: must be a non-empty string", path, where,
					     user ? "user" : "group");
		r = user ? resolve_user(json_string_value(v), &b->uid)
			 : resolve_group(json_string_value(v), &b->gid);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			/* Not fatal: the account may be created later; reload then. */
			snprintf(sub_where, sizeof(sub_where), "%s.%s", where,
				 user ? "user" : "group");
			if (warn(pol, path, sub_where, user ? "user" : "group",
				 json_string_value(v)) < 0)
				return -ENOMEM;
			b->resolved = false;
		}
		if (!user)
			pol->has_group_bindings = true;
	}

	roles = json_object_get(obj, "roles");
	if (!roles)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: %s: missing \"roles\"", path, where);
	snprintf(sub_where, sizeof(sub_where), "%s.roles", where);
	r = parse_strings(roles, valid_name, "role name", path, sub_where, &role_names,
			  &n_role_names, reterr);
	if (r < 0)
		return r;
	if (n_role_names == 0) {
		strv_free(role_names, n_role_names);
		return pfs_error_set(reterr, -EINVAL, 0, "%s: %s.roles: must not be empty", path,
				     where);
	}
	b->roles = calloc(n_role_names, sizeof(*b->roles));
	if (!b->roles) {
		strv_free(role_names, n_role_names);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_role_names; i++) {
		ssize_t ri = find_role(pol, role_names[i]);

		if (ri < 0) {
			r = pfs_error_set(reterr, -EINVAL, 0,
					  "%s: %s.roles[%zu]: unknown role \"%s\"", path, where, i,
					  role_names[i]);
			strv_free(role_names, n_role_names);
			return r;
		}
		b->roles[b->n_roles++] = (size_t)ri;
	}
	strv_free(role_names, n_role_names);

	v = json_object_get(obj, "tenants");
	if (!v)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: %s: missing \"tenants\" (use [] for no tenant, [\"*\"] "
				     "for all)",
				     path, where);
	snprintf(sub_where, sizeof(sub_where), "%s.tenants", where);
	return parse_strings(v, valid_scope_entry, "tenant name or glob", path, sub_where,
			     &b->tenants, &b->n_tenants, reterr);
}

static int compile(json_t *doc, struct policy *pol, const char *path, struct pfs_error *reterr)
{
	static const char *const keys[] = {"$schema", "version", "enforce", "roles", "bindings"};
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(doc))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: must be a JSON object", path);
	json_object_foreach(doc, key, v) {
		bool known = false;

		for (size_t i = 0; i < PFS_ARRAY_SIZE(keys); i++)
			if (strcmp(keys[i], key) == 0)
				known = true;
		if (!known)
			return pfs_error_set(reterr, -EINVAL, 0, "%s: unrecognized key \"%s\"",
					     path, key);
	}

	v = json_object_get(doc, "$schema");
	if (v && !json_is_string(v))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: $schema: must be a string", path);

	v = json_object_get(doc, "version");
	if (!v)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: missing \"version\"", path);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    !printable(json_string_value(v), 128))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: version: must be a non-empty string (at most 128 "
				     "printable bytes)",
				     path);
	pol->version = strdup(json_string_value(v));
	if (!pol->version)
		return -ENOMEM;

	v = json_object_get(doc, "enforce");
	if (v && !json_is_boolean(v))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: enforce: must be true or false",
				     path);
	pol->enforce = v ? json_is_true(v) : true;

	v = json_object_get(doc, "roles");
	if (!v)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: missing \"roles\"", path);
	r = parse_roles(v, pol, path, reterr);
	if (r < 0)
		return r;

	v = json_object_get(doc, "bindings");
	if (!v)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: missing \"bindings\"", path);
	if (!json_is_array(v))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: bindings: must be an array", path);
	pol->bindings = calloc(json_array_size(v) ? json_array_size(v) : 1, sizeof(*pol->bindings));
	if (!pol->bindings)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(v); i++) {
		/* counted first so policy_free frees a half-parsed binding */
		pol->n_bindings++;
		r = parse_binding(json_array_get(v, i), i, pol, &pol->bindings[i], path, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sha256_prefix(const char *data, size_t len, char ret[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len < 8)
		return -EIO;
	for (size_t i = 0; i < 8; i++)
		snprintf(ret + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int policy_load_string(const char *text, size_t len, const char *path, struct policy **ret,
		       struct pfs_error *reterr)
{
	PFS_CLEANUP(json_decrefp) json_t *doc = NULL;
	PFS_CLEANUP(policy_freep) struct policy *pol = NULL;
	json_error_t jerr;
	int r;

	if (!path)
		path = "<policy>";
	if (!text || !ret)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: no policy text", path);
	if (len > POLICY_MAX_BYTES)
		return pfs_error_set(reterr, -EFBIG, 0,
				     "%s: policy file is %zu bytes, over the limit of %d", path,
				     len, POLICY_MAX_BYTES);

	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return pfs_error_set(reterr, -EINVAL, jerr.line,
				     "%s: invalid JSON at line %d, column %d: %s", path, jerr.line,
				     jerr.column, jerr.text);
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	r = compile(doc, pol, path, reterr);
	if (r == -ENOMEM)
		return pfs_error_set(reterr, r, 0, "%s: out of memory", path);
	if (r < 0)
		return r;

	pol->text = malloc(len + 1);
	if (!pol->text)
		return pfs_error_set(reterr, -ENOMEM, 0, "%s: out of memory", path);
	memcpy(pol->text, text, len);
	pol->text[len] = '\0';
	r = sha256_prefix(text, len, pol->hash);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "%s: could not hash the policy", path);
	pol->loaded_at = (int64_t)time(NULL);

	if (reterr) {
		/* Success, but with something the caller should log. */
		memset(reterr, 0, sizeof(*reterr));
		if (pol->n_warnings == 1)
			pfs_error_set(reterr, 0, 0, "%s", pol->warnings[0]);
		else if (pol->n_warnings > 1)
			pfs_error_set(reterr, 0, 0,
				      "%s (and %zu more warnings: \"pinctl policy check %s\" "
				      "lists them all)",
				      pol->warnings[0], pol->n_warnings - 1, path);
	}
	*ret = steal_ptr(&pol);
	return 0;
}

int policy_load_file(const char *path, struct policy **ret, struct pfs_error *reterr)
{
	PFS_AUTOFREE char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, r;

	if (!path || !ret)
		return pfs_error_set(reterr, -EINVAL, 0, "no policy file given");
	/* A symbolic link to it is fine: the file it leads to is what is checked. */
	r = fileperm_open(path, "policy file", 0, &fd, &st, reterr);
	if (r < 0)
		return r;
	if (st.st_size > POLICY_MAX_BYTES) {
		close(fd);
		return pfs_error_set(reterr, -EFBIG, 0,
				     "%s: policy file is %lld bytes, over the limit of %d", path,
				     (long long)st.st_size, POLICY_MAX_BYTES);
	}
	r = fileperm_read_all(fd, POLICY_MAX_BYTES, &buf, &len);
	if (r == -EFBIG)
		return pfs_error_set(reterr, -EFBIG, 0, "%s: policy file is over the limit of %d bytes",
				     path, POLICY_MAX_BYTES);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not read policy file \"%s\": %s", path,
				     strerror(-r));
	return policy_load_string(buf, len, path, ret, reterr);
}

/* ------------------------------------------------------------------ */
/* evaluation                                                         */

/* How far one source of grants (a binding or a token) gets; ordered. */
enum outcome {
	OUTCOME_NONE,		/* does not apply to the subject */
	OUTCOME_BOUND,		/* applies, but no role grants resource:action */
	OUTCOME_OUT_OF_SCOPE,	/* a role grants it, the tenant is outside the scope */
	OUTCOME_ALLOW,
};

static bool role_grants(const struct role *ro, const char *resource, const char *action)
{
	for (size_t i = 0; i < ro->n_grants; i++) {
		const struct grant *g = &ro->grants[i];

		if (strcmp(g->resource, resource) != 0)
			continue;
		for (size_t j = 0; j < g->n_actions; j++)
			if (strcmp(g->actions[j], action) == 0)
				return true;
	}
	return false;
}

static bool scope_covers(char *const *tenants, size_t n, const char *tenant)
{
	if (!tenant)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tenant, "*") == 0) {
			if (strcmp(tenants[i], "*") == 0)
				return true;
		} else if (fnmatch(tenants[i], tenant, 0) == 0) {
			return true;
		}
	}
	return false;
}

bool policy_scope_includes(const char *const *scope, size_t n, const char *entry)
{
	bool glob = strpbrk(entry, "*?[") != NULL;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(scope[i], "*") == 0 || strcmp(scope[i], entry) == 0)
			return true;
		if (!glob && fnmatch(scope[i], entry, 0) == 0)
			return true;
	}
	return false;
}

/* The outcome of binding b if it applies to the subject. */
static enum outcome binding_outcome(const struct policy *pol, const struct binding *b,
				    const char *resource, const char *action, const char *tenant)
{
	bool granted = false;

	for (size_t i = 0; i < b->n_roles && !granted; i++)
		granted = role_grants(&pol->roles[b->roles[i]], resource, action);
	if (!granted)
		return OUTCOME_BOUND;
	return scope_covers(b->tenants, b->n_tenants, tenant) ? OUTCOME_ALLOW
							       : OUTCOME_OUT_OF_SCOPE;
}

/* The outcome of a token's own claims (always bound: the token is there). */
static enum outcome token_outcome(const struct policy *pol, const struct cred_claims *tok,
				  const char *resource, const char *action, const char *tenant)
{
	bool granted = false;

	/* An unknown role name in a claim grants nothing; it is not an error. */
	for (size_t i = 0; i < tok->n_roles && !granted; i++) {
		ssize_t ri = tok->roles[i] ? find_role(pol, tok->roles[i]) : -1;

		granted = ri >= 0 && role_grants(&pol->roles[ri], resource, action);
	}
	if (!granted)
		return OUTCOME_BOUND;
	return scope_covers(tok->tenants, tok->n_tenants, tenant) ? OUTCOME_ALLOW
								  : OUTCOME_OUT_OF_SCOPE;
}

/*
 * Reads the subject's supplementary groups into *buf (a small stack buffer
 * first, a heap one if there are more). Returns the count; errors count as
 * "no supplementary groups" (fail closed).
 */
static size_t read_groups(const struct policy_subject *s, gid_t *small, size_t n_small,
			  gid_t **ret_heap)
{
	int n = s->groups(s->groups_ctx, small, n_small);
	gid_t *heap;

	*ret_heap = NULL;
	if (n <= 0)
		return 0;
	if ((size_t)n <= n_small)
		return (size_t)n;
	/* More than fit: ask again with room for all of them. */
	if (n > GROUPS_MAX)
		n = GROUPS_MAX;
	heap = calloc((size_t)n, sizeof(*heap));
	if (!heap)
		return n_small;	/* fail closed on what we have: a subset of the groups */
	size_t room = (size_t)n;

	n = s->groups(s->groups_ctx, heap, room);
	if (n <= 0) {
		free(heap);
		return 0;
	}
	*ret_heap = heap;
	/* The callback reports how many there are; only room of them were written. */
	return (size_t)n < room ? (size_t)n : room;
}

static bool gid_in(gid_t gid, const gid_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == gid)
			return true;
	return false;
}

static struct policy_decision finish(const struct policy *pol, enum outcome best, bool by_token)
{
	struct policy_decision d = {0};

	switch (best) {
	case OUTCOME_ALLOW:
		d.reason = by_token ? POLICY_REASON_TOKEN : POLICY_REASON_ROLE;
		break;
	case OUTCOME_OUT_OF_SCOPE:
		d.reason = POLICY_REASON_OUT_OF_SCOPE;
		break;
	case OUTCOME_BOUND:
		d.reason = POLICY_REASON_NO_PERMISSION;
		break;
	case OUTCOME_NONE:
	default:
		d.reason = POLICY_REASON_NO_BINDING;
		break;
	}
	d.denied = best != OUTCOME_ALLOW;
	d.allowed = !d.denied || !pol->enforce;
	return d;
}

struct policy_decision policy_decide(const struct policy *pol, uid_t owner_uid,
				     const struct policy_subject *subject, const char *resource,
				     const char *action, const char *tenant)
{
	enum outcome best = OUTCOME_NONE;
	bool by_token = false;

	if (!pol) {
		bool ok = subject && (subject->uid == 0 || subject->uid == owner_uid);

		return (struct policy_decision){
			.allowed = ok,
			.denied = !ok,
			.reason = ok ? POLICY_REASON_OWNER : POLICY_REASON_NO_BINDING,
		};
	}
	if (!subject || !resource || !action)
		return finish(pol, OUTCOME_NONE, false);

	if (subject->token) {
		/* The token replaces the Unix bindings; "sub" bindings may add to it. */
		const struct cred_claims *tok = subject->token;

		best = token_outcome(pol, tok, resource, action, tenant);
		by_token = best == OUTCOME_ALLOW;
		for (size_t i = 0; i < pol->n_bindings && best != OUTCOME_ALLOW; i++) {
			const struct binding *b = &pol->bindings[i];
			enum outcome o;

			if (b->kind != BINDING_SUB || !tok->sub || strcmp(b->sub, tok->sub) != 0)
				continue;
			o = binding_outcome(pol, b, resource, action, tenant);
			if (o > best)
				best = o;
		}
		return finish(pol, best, by_token);
	}

	/* uid, user and primary-gid matches first: they need no /proc read. */
	for (size_t i = 0; i < pol->n_bindings && best != OUTCOME_ALLOW; i++) {
		const struct binding *b = &pol->bindings[i];
		bool match;
		enum outcome o;

		switch (b->kind) {
		case BINDING_UID:
		case BINDING_USER:
			match = b->resolved && b->uid == subject->uid;
			break;
		case BINDING_GROUP:
			match = b->resolved && b->gid == subject->gid;
			break;
		case BINDING_SUB:
		default:
			match = false;
			break;
		}
		if (!match)
			continue;
		o = binding_outcome(pol, b, resource, action, tenant);
		if (o > best)
			best = o;
	}

	if (best != OUTCOME_ALLOW && pol->has_group_bindings && subject->groups) {
		gid_t small[64];
		gid_t *heap = NULL;
		const gid_t *groups = NULL;
		size_t n_groups = 0;
		bool fetched = false;

		for (size_t i = 0; i < pol->n_bindings && best != OUTCOME_ALLOW; i++) {
			const struct binding *b = &pol->bindings[i];
			enum outcome o;

			if (b->kind != BINDING_GROUP || !b->resolved || b->gid == subject->gid)
				continue;
			/* Only ask for the groups when this binding would change the outcome. */
			o = binding_outcome(pol, b, resource, action, tenant);
			if (o <= best)
				continue;
			if (!fetched) {
				n_groups = read_groups(subject, small, PFS_ARRAY_SIZE(small),
						       &heap);
				groups = heap ? heap : small;
				fetched = true;
			}
			if (gid_in(b->gid, groups, n_groups))
				best = o;
		}
		free(heap);
	}
	return finish(pol, best, false);
}

/* Whether b binds subject (without a token); groups are read once, lazily. */
static bool binding_matches(const struct binding *b, const struct policy_subject *subject,
			    gid_t **groups, size_t *n_groups, bool *fetched, gid_t *small,
			    size_t n_small)
{
	if (!b->resolved)
		return false;
	switch (b->kind) {
	case BINDING_UID:
	case BINDING_USER:
		return b->uid == subject->uid;
	case BINDING_GROUP:
		if (b->gid == subject->gid)
			return true;
		if (!subject->groups)
			return false;
		if (!*fetched) {
			gid_t *heap = NULL;

			*n_groups = read_groups(subject, small, n_small, &heap);
			*groups = heap ? heap : small;
			*fetched = true;
		}
		return gid_in(b->gid, *groups, *n_groups);
	default:
		return false;
	}
}

int policy_describe(const struct policy *pol, const struct policy_subject *subject,
		    policy_grant_cb cb, void *ctx)
{
	gid_t small[64], *groups = NULL;
	size_t n_groups = 0;
	bool fetched = false;
	int count = 0;

	if (!pol || !subject)
		return 0;
	if (subject->token) {
		const struct cred_claims *tok = subject->token;

		cb(ctx, (const char *const *)tok->roles, tok->n_roles,
		   (const char *const *)tok->tenants, tok->n_tenants);
		count++;
	}
	for (size_t i = 0; i < pol->n_bindings; i++) {
		const struct binding *b = &pol->bindings[i];
		const char **roles;
		bool match;

		if (subject->token)
			match = b->kind == BINDING_SUB && subject->token->sub &&
				strcmp(b->sub, subject->token->sub) == 0;
		else
			match = binding_matches(b, subject, &groups, &n_groups, &fetched, small,
						PFS_ARRAY_SIZE(small));
		if (!match)
			continue;
		roles = calloc(b->n_roles + 1, sizeof(*roles));
		if (!roles)
			break;
		for (size_t k = 0; k < b->n_roles; k++)
			roles[k] = pol->roles[b->roles[k]].name;
		cb(ctx, roles, b->n_roles, (const char *const *)b->tenants, b->n_tenants);
		free(roles);
		count++;
	}
	if (groups != small)
		free(groups);
	return count;
}

int policy_check(const struct policy *pol, uid_t owner_uid, const struct pfs_subject *subject,
		 const char *tenant, enum policy_action action)
{
	static const char *const names[] = {
		[POLICY_READ] = "read",
		[POLICY_WRITE] = "write",
		[POLICY_DELETE] = "delete",
		[POLICY_ADMIN] = "admin",
	};
	struct policy_subject ps = {0};
	struct policy_decision d;

	if (!subject)
		return -EACCES;
	if ((unsigned)action >= PFS_ARRAY_SIZE(names))
		return -EACCES;
	ps.uid = subject->uid;
	ps.gid = subject->gid;
	d = policy_decide(pol, owner_uid, &ps, POLICY_RES_MEMORY_PIN, names[action], tenant);
	return d.allowed ? 0 : -EACCES;
}

/* ------------------------------------------------------------------ */
/* accessors                                                          */

const char *policy_version(const struct policy *pol)
{
	return pol ? pol->version : NULL;
}

bool policy_enforcing(const struct policy *pol)
{
	return pol ? pol->enforce : true;
}

const char *policy_hash(const struct policy *pol)
{
	return pol ? pol->hash : NULL;
}

int64_t policy_loaded_at(const struct policy *pol)
{
	return pol ? pol->loaded_at : 0;
}

const char *policy_text(const struct policy *pol)
{
	return pol ? pol->text : NULL;
}

size_t policy_n_warnings(const struct policy *pol)
{
	return pol ? pol->n_warnings : 0;
}

const char *policy_warning(const struct policy *pol, size_t i)
{
	return pol && i < pol->n_warnings ? pol->warnings[i] : NULL;
}

size_t policy_n_roles(const struct policy *pol)
{
	return pol ? pol->n_roles : 0;
}

size_t policy_n_bindings(const struct policy *pol)
{
	return pol ? pol->n_bindings : 0;
}
