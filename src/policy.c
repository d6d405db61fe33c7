/* SPDX-License-Identifier: MIT */
/*
 * Authorization decisions. Without a policy file only the mounting uid and
 * root may act (DESIGN.md section 6).
 */
#include "pinfs/policy.h"

#include <errno.h>
#include <stddef.h>

int policy_check(const struct policy *pol, uid_t owner_uid, const struct pfs_subject *subject,
		 const char *tenant, enum policy_action action)
{
	(void)tenant;
	(void)action;
	if (!pol)
		return subject->uid == 0 || subject->uid == owner_uid ? 0 : -EACCES;
	return -EACCES;
}
