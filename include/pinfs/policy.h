/* SPDX-License-Identifier: MIT */
/*
 * Authorization: may this subject do resource:action on this tenant?
 *
 * With no policy file configured only the uid that mounted and root may do
 * anything. (The RBAC policy file, bindings and tokens build on this.)
 * Pure: no I/O once loaded; safe from any thread.
 */
#ifndef PINFS_POLICY_H
#define PINFS_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

/* The caller of a file operation, recorded at open for later requests. */
struct pfs_subject {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

enum policy_action {
	POLICY_READ,
	POLICY_WRITE,
	POLICY_DELETE,
	POLICY_ADMIN,
};

struct policy;

/*
 * 0 if subject may do action on tenant (NULL tenant: the root), -EACCES if
 * not. pol may be NULL (no policy configured): then only owner_uid and root
 * are allowed.
 */
int policy_check(const struct policy *pol, uid_t owner_uid, const struct pfs_subject *subject,
		 const char *tenant, enum policy_action action);

#endif /* PINFS_POLICY_H */
