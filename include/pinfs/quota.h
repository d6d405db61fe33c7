/* SPDX-License-Identifier: MIT */
/*
 * Shares of a budget: how much of one resource (open files, staged bytes,
 * names not yet committed, /.system handles) each subject holds, checked
 * against three numbers, so that no subject can take what the others need:
 *
 *   total    the budget: nobody is given anything past it;
 *   share    the most one subject may hold;
 *   reserve  the top of the budget (total / QUOTA_RESERVE_DIVISOR), which
 *            only privileged subjects (root and the mount's owner) may use.
 *
 * A subject that is not privileged is refused with -EDQUOT when what it
 * holds plus what it asks would pass its share (only that subject is
 * refused: the offender), and with -ENOSPC when what everyone holds plus
 * what it asks would pass total - reserve. A privileged subject has no
 * share and is refused (-ENOSPC) only past the total. The caller maps the
 * two answers to its errnos (open files: EMFILE and ENFILE).
 *
 * Subjects are uids. Pure bookkeeping: no I/O, no logging. Limits may
 * change at any time (a reload): what is held stays held and is given back
 * as usual, only later requests meet the new limits. Thread-safe: one
 * mutex per quota, a leaf lock (nothing is called while it is held).
 */
#ifndef PINFS_QUOTA_H
#define PINFS_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "pinfs/macro.h"

/* The reserve is this fraction of the total (at least 1 when the total is 2 or more). */
#define QUOTA_RESERVE_DIVISOR 8

struct quota;

/* A new quota with no limits yet (everything is refused until quota_set_limits). */
struct quota *quota_new(void);
/* Frees q (NULL-safe); returns NULL. */
struct quota *quota_free(struct quota *q);
PFS_DEFINE_FREEP(struct quota, quota_free)

/* Sets the budget and the share (share > total counts as total); the reserve follows. */
void quota_set_limits(struct quota *q, size_t total, size_t share);

/*
 * Gives subject amount more, or refuses: -EDQUOT past its share, -ENOSPC
 * past the budget (see above), -ENOMEM when the subject table cannot grow.
 * A refused request takes nothing.
 */
int quota_take(struct quota *q, uid_t subject, bool privileged, size_t amount);
/*
 * The same for a request that can make do with less: gives subject as
 * much as it may have of want, at least at_least (<= want), and says how
 * much in *ret_taken; refused as quota_take when not even at_least fits.
 */
int quota_take_upto(struct quota *q, uid_t subject, bool privileged, size_t want,
		    size_t at_least, size_t *ret_taken);
/* Gives back amount that subject took (never more than it holds). */
void quota_give(struct quota *q, uid_t subject, size_t amount);

/* What subject holds now, and what everyone holds. */
size_t quota_held(struct quota *q, uid_t subject);
size_t quota_held_total(struct quota *q);

#endif /* PINFS_QUOTA_H */
