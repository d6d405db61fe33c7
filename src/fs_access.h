/* SPDX-License-Identifier: MIT */
/*
 * Access and audit: the one place in the filesystem core that decides who
 * may do what (RBAC through the loaded policy and bound tokens) and that
 * records it (audit events, rbac_audit rows for denials, the operation and
 * decision metrics). Every other fs_*.c module asks here and never reads
 * the policy itself.
 *
 * Thread-safe; never calls a backend (audit rows are queued, see audit.h).
 */
#ifndef PINFS_FS_ACCESS_H
#define PINFS_FS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs/policy.h"

struct fs;
struct backend;

/*
 * Decides resource:action on tenant for who, counts the decision, and
 * audits denials (and shadow-mode would-denials) to the tenant's backend.
 * resource NULL: a file anyone may use once a policy exists (whoami,
 * health); with no policy only the owner and root may. tenant NULL: not
 * about one tenant; "*": needs a binding scoped to every tenant.
 * Returns 0 or -EACCES.
 */
int fs_authorize(struct fs *fs, const struct pfs_subject *who, const char *resource,
		 const char *action, const char *tenant);
/* fs_authorize for memory_pin:action on tenant. */
int fs_allow(struct fs *fs, const struct pfs_subject *who, const char *tenant,
	     enum policy_action action);

/* An action for fs_route_allow's mask. */
#define FS_ALLOW(action) (1u << (action))

/*
 * The backend serving tenant and its number (fs_route), once who may do
 * every memory_pin action in the mask actions (FS_ALLOW(POLICY_READ) | ...)
 * on it. operation given: a refusal is audited as that operation on key
 * (NULL: on the tenant). Returns 0, -EACCES, or fs_route's errors.
 */
int fs_route_allow(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		   unsigned actions, const char *operation, const char *key,
		   struct backend **ret_be, unsigned *ret_no);

/*
 * What an open handle (a pin file, a tenant's directory) was last allowed,
 * so that checking it again costs an atomic read while nothing changed.
 * Guarded by the handle's own lock.
 */
struct fs_grant {
	uint64_t gen;		/* fs_revoke_generation() + 1 when decided; 0: never */
	uid_t uid;		/* whom it was decided for */
	gid_t gid;
	pid_t pid;
	int64_t until_s;	/* when that caller's bound token stops counting (0: none) */
	int result;		/* 0 or -EACCES */
};

/*
 * Seeds g with the open's own decision: who was allowed the open's rights
 * at generation gen (fs_revoke_generation() read before that decision).
 */
void fs_grant_init(struct fs *fs, struct fs_grant *g, const struct pfs_subject *who,
		   uint64_t gen);
/* Whether g still answers for who: nothing changed since, and the same caller asks. */
bool fs_grant_current(struct fs *fs, const struct fs_grant *g, const struct pfs_subject *who);
/*
 * Whether who, the caller of a request on the handle g belongs to, may
 * still do every memory_pin action in actions (an FS_ALLOW mask) on
 * tenant: the same answer an open would get now. Decided again (counted,
 * and audited if denied, by fs_allow) only when access may have been
 * taken away since (a reload, a token bound, unbound or expired) or when
 * another caller asks; otherwise the last answer. Returns 0 or -EACCES.
 */
int fs_grant_check(struct fs *fs, struct fs_grant *g, const struct pfs_subject *who,
		   const char *tenant, unsigned actions);

/*
 * Records one file operation: an audit event (queued for be's memory_audit;
 * be NULL: the /.system/audit ring only) and its metrics. who NULL: the
 * daemon itself (the reaper). value, when given and result >= 0, is hashed
 * (never stored). started_us: when the operation began (time_now_us()).
 */
void fs_audit(struct fs *fs, struct backend *be, const struct pfs_subject *who,
	      const char *operation, const char *tenant, const char *key, int result,
	      const char *value, size_t value_len, int64_t started_us);

/*
 * Whether who, recorded earlier (who->pid: one of its threads then, whose
 * supplementary groups count only if it still runs as who->uid), may do
 * memory_pin:action on tenant now (in shadow mode: yes). Neither counted
 * nor audited: this is the revocation thread asking about tenants' past
 * walkers, not a request.
 */
bool fs_still_allowed(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		      enum policy_action action);

/* A policy_subject groups callback: ctx is the struct pfs_subject. */
int fs_proc_groups(void *ctx, gid_t *buf, size_t n);

/* The subject's name in audit rows and whoami: its token's sub, else "uid:N". */
void fs_subject_name(const struct cred_claims *token, uid_t uid, char *buf, size_t len);

#endif /* PINFS_FS_ACCESS_H */
