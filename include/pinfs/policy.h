/* SPDX-License-Identifier: MIT */
/*
 * RBAC policy: who may do resource:action on which tenant (DESIGN.md
 * section 6 and 11).
 *
 * A policy file is
 *   {"version": str, "enforce": bool,
 *    "roles": {ROLE: {RESOURCE: [ACTION, ...]}},
 *    "bindings": [{"uid"|"user"|"group"|"sub": ..., "roles": [ROLE, ...],
 *                  "tenants": [NAME or GLOB, ...]}]}
 * "enforce" defaults to true; false is shadow mode (decisions are computed
 * and reported as would-deny, but allowed). "user" and "group" names are
 * resolved to ids when the file is loaded.
 *
 * A subject's grants are the union over every binding that matches it (by
 * uid, by primary or supplementary group, by user name, or by a token's
 * "sub"). A verified token bound to the subject's uid replaces its Unix
 * bindings while valid: its "roles" and "tenants" claims apply as they are,
 * and a {"sub": ...} binding may add to them.
 *
 * With no policy (NULL) only the owner uid (the one that mounted) and root
 * are allowed, on everything.
 *
 * Loading does I/O (the file, user and group names); evaluation is pure and
 * thread-safe, and a loaded policy is immutable.
 */
#ifndef PINFS_POLICY_H
#define PINFS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs/error.h"
#include "pinfs/macro.h"

/* The caller of a file operation, recorded at open for later requests. */
struct pfs_subject {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* What a verified token says (cred.h fills it). */
struct cred_claims {
	char *sub;
	char **roles;
	size_t n_roles;
	char **tenants;		/* names or globs */
	size_t n_tenants;
	int64_t exp;		/* seconds since the epoch */
};

/* Everything evaluation needs to know about the caller. */
struct policy_subject {
	uid_t uid;
	gid_t gid;
	/*
	 * Supplementary groups, asked for only when a group binding needs them
	 * (reading them costs a /proc read). May be NULL. Returns a count or
	 * -errno and writes at most n gids.
	 */
	int (*groups)(void *ctx, gid_t *buf, size_t n);
	void *groups_ctx;
	const struct cred_claims *token;	/* a valid token bound to uid, or NULL */
};

enum policy_action {
	POLICY_READ,
	POLICY_WRITE,
	POLICY_DELETE,
	POLICY_ADMIN,
};

/* Resources and actions as strings: the policy file's vocabulary. */
#define POLICY_RES_MEMORY_PIN "memory_pin"
#define POLICY_RES_PROMETHEUS "prometheus"
#define POLICY_RES_POLICY "policy"

enum policy_reason {
	POLICY_REASON_ROLE,		/* allowed: a matching binding's role grants it */
	POLICY_REASON_OWNER,		/* no policy: owner or root */
	POLICY_REASON_NO_BINDING,	/* denied: nothing binds this subject */
	POLICY_REASON_NO_PERMISSION,	/* denied: bound, but no role grants it */
	POLICY_REASON_OUT_OF_SCOPE,	/* denied: the tenant is outside every scope */
	POLICY_REASON_TOKEN,		/* allowed by a token's claims */
};

struct policy_decision {
	bool allowed;		/* what to do (true in shadow mode even when denied) */
	bool denied;		/* what the policy says (would-deny in shadow mode) */
	enum policy_reason reason;
};

struct policy;

/*
 * Loads and validates a policy. On success *ret owns it (policy_free) and
 * reterr, if given, is cleared, or holds a warning to log (code 0; e.g. a
 * "user" or "group" name that does not resolve: that binding never matches).
 * On failure reterr names the field; -EINVAL (bad content), -EFBIG (over
 * 1 MiB), or the -errno of opening or reading the file.
 */
int policy_load_file(const char *path, struct policy **ret, struct pfs_error *reterr);
int policy_load_string(const char *text, size_t len, const char *path, struct policy **ret,
		       struct pfs_error *reterr);
struct policy *policy_free(struct policy *pol);
PFS_DEFINE_FREEP(struct policy, policy_free)

/*
 * Decides resource:action for subject on tenant. tenant NULL means "not
 * about one tenant" (listing the root, /.system files): only the roles
 * count. tenant "*" asks for a binding whose scope contains the glob "*"
 * itself (every tenant), e.g. for /.system/routes.
 */
struct policy_decision policy_decide(const struct policy *pol, uid_t owner_uid,
				     const struct policy_subject *subject, const char *resource,
				     const char *action, const char *tenant);

/*
 * The historical short form used by the filesystem core: memory_pin and
 * an action enum; returns 0 (allowed) or -EACCES. pol NULL: owner and root.
 */
int policy_check(const struct policy *pol, uid_t owner_uid, const struct pfs_subject *subject,
		 const char *tenant, enum policy_action action);

/*
 * Calls cb once for every binding that applies to subject (what whoami
 * shows): its role names and tenant scope, borrowed for the call. A bound
 * token comes first as one more such pair (its claims). Returns how many.
 */
typedef void (*policy_grant_cb)(void *ctx, const char *const *roles, size_t n_roles,
				const char *const *tenants, size_t n_tenants);
int policy_describe(const struct policy *pol, const struct policy_subject *subject,
		    policy_grant_cb cb, void *ctx);

/*
 * Whether a binding's tenant entry (a name or a glob) names only tenants
 * inside scope (the names and globs of the bindings that apply to a
 * caller): "*" in scope covers every entry, a glob entry is covered by the
 * same glob, and a name by any scope entry that matches it. What
 * /.system/policy shows a caller scoped to some tenants. Pure.
 */
bool policy_scope_includes(const char *const *scope, size_t n, const char *entry);

/* The file's "version", enforce flag, SHA-256 of its bytes (first 16 hex), load time. */
const char *policy_version(const struct policy *pol);
bool policy_enforcing(const struct policy *pol);
const char *policy_hash(const struct policy *pol);
int64_t policy_loaded_at(const struct policy *pol);
/* The file as loaded (for /.system/policy). Borrowed. */
const char *policy_text(const struct policy *pol);
/* How many roles and bindings it defines (pinctl policy check). */
size_t policy_n_roles(const struct policy *pol);
size_t policy_n_bindings(const struct policy *pol);
/*
 * The load-time warnings, in file order (a "user" or "group" that does not
 * resolve: that binding never matches). reterr of the load carries only the
 * first and a count. Borrowed; NULL past the end.
 */
size_t policy_n_warnings(const struct policy *pol);
const char *policy_warning(const struct policy *pol, size_t i);

#endif /* PINFS_POLICY_H */
