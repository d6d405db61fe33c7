/* SPDX-License-Identifier: MIT */
/*
 * Access and audit: the one place in the filesystem core that decides who
 * may do what (RBAC through the loaded policy and bound tokens) and how
 * much of each resource budget a uid may hold (fs_limit_take), and that
 * records it (audit events, rbac_audit rows for denials, the operation,
 * decision and limit metrics). Every other fs_*.c module asks here and
 * never reads the policy or the quotas itself.
 *
 * Thread-safe; never calls a backend (audit rows are queued, see audit.h).
 */
#ifndef PINFS_FS_ACCESS_H
#define PINFS_FS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs/metrics.h"
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
/*
 * The same decision as a visibility check (may a listing or a stream show
 * who this tenant or event?): neither counted in rbac_decisions_total nor
 * audited. True when fs_authorize would return 0.
 */
bool fs_visible(struct fs *fs, const struct pfs_subject *who, const char *resource,
		const char *action, const char *tenant);
/* fs_authorize for memory_pin:action on tenant. */
int fs_allow(struct fs *fs, const struct pfs_subject *who, const char *tenant,
	     enum policy_action action);

/* An action for fs_route_allow's mask. */
#define FS_ALLOW(action) (1u << (action))

/*
 * The backend serving tenant and its number (fs_route), once who may do
 * every memory_pin action in the mask actions (FS_ALLOW(POLICY_READ) | ...)
 * on it; the rights are checked first, so an out-of-scope caller gets
 * EACCES whether or not a route exists. operation given: a refusal is
 * audited as that operation on key (NULL: on the tenant). On -EACCES
 * *ret_be is the tenant's backend or NULL (for the caller's own audit
 * row). Returns 0, -EACCES, -ENOENT (outside -o tenant), or fs_route's.
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
	uint64_t gen;		/* fs_access_generation() + 1 when decided; 0: never */
	uid_t uid;		/* whom it was decided for */
	gid_t gid;
	pid_t pid;
	int64_t until_s;	/* when that caller's bound token stops counting (0: none) */
	int result;		/* 0 or -EACCES */
};

/*
 * Seeds g with the open's own decision: who was allowed the open's rights
 * at generation gen (fs_access_generation() read before that decision).
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
 * fs_audit with the pin's version the operation wrote or read (a refused
 * conditional commit, -ESTALE: the version it expected; counted as a
 * conflict); 0: none.
 */
void fs_audit_version(struct fs *fs, struct backend *be, const struct pfs_subject *who,
		      const char *operation, const char *tenant, const char *key, int result,
		      const char *value, size_t value_len, int64_t started_us, int64_t version);

/*
 * The budgets of fs_i.h (open files, staged bytes, pending names, /.system
 * handles): takes amount of budget which for uid (root and the mount's
 * owner may use the reserve and have no share: fs_privileged). Returns 0;
 * share_err when uid has used up its share (only uid is refused: the
 * offender); total_err when the budget is used up; -ENOMEM. Each refusal
 * is counted (pinfs_limit_refusals_total) and logged, rate-limited, with
 * the errno's stable code; what is held shows as pinfs_limit_in_use.
 * which is METRICS_LIMIT_OPEN_FILES .. METRICS_LIMIT_SYSTEM_HANDLES.
 */
int fs_limit_take(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount,
		  int share_err, int total_err);
/*
 * The same for a request that can make do with less: as much of want as
 * uid may have, at least at_least, in *ret_taken; refused (and counted) as
 * fs_limit_take only when not even at_least fits.
 */
int fs_limit_take_upto(struct fs *fs, enum metrics_limit which, uid_t uid, size_t want,
		       size_t at_least, size_t *ret_taken, int share_err, int total_err);
/*
 * For a caller that can make room and try again: fs_limit_take's taking,
 * but a refusal is the quota's -EDQUOT (uid's share) or -ENOSPC (the
 * budget), neither counted nor logged; fs_limit_refused then does both for
 * the final answer and returns share_err or total_err (other r as is).
 */
int fs_limit_try(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount);
int fs_limit_refused(enum metrics_limit which, uid_t uid, int r, int share_err, int total_err);
/* What uid holds of budget which now. */
size_t fs_limit_held(struct fs *fs, enum metrics_limit which, uid_t uid);
/* Gives back what fs_limit_take gave uid. */
void fs_limit_give(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount);

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

/*
 * The subject's name in audit rows, rbac_audit rows and whoami: "token:SUB"
 * for a bound token's sub, else "uid:N" (the prefix keeps a token whose sub
 * is "uid:0" from reading as root). Cut to len at a character boundary.
 */
void fs_subject_name(const struct cred_claims *token, uid_t uid, char *buf, size_t len);

#endif /* PINFS_FS_ACCESS_H */
