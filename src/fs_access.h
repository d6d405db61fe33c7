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

/* A policy_subject groups callback: ctx is the struct pfs_subject. */
int fs_proc_groups(void *ctx, gid_t *buf, size_t n);

/*
 * The subject's name in audit rows, rbac_audit rows and whoami: "token:SUB"
 * for a bound token's sub, else "uid:N" (the prefix keeps a token whose sub
 * is "uid:0" from reading as root). Cut to len at a character boundary.
 */
void fs_subject_name(const struct cred_claims *token, uid_t uid, char *buf, size_t len);

#endif /* PINFS_FS_ACCESS_H */
