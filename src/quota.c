/* SPDX-License-Identifier: MIT */
/*
 * Shares of a budget (see quota.h). The subjects holding something are a
 * sorted array of (uid, held), searched by bisection: a subject enters it
 * when it first takes something and leaves when it has given everything
 * back, so the array is as long as the number of uids holding a resource
 * right now, never more.
 *
 * Invariants (under lock): held_total == the sum of every entry's held;
 * no entry holds 0; entries are sorted by uid, without duplicates.
 */
#include "pinfs/quota.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct quota_entry {
	uid_t uid;
	size_t held;
};

struct quota {
	pthread_mutex_t lock;
	size_t total, share, reserve;	/* protected by lock */
	size_t held_total;		/* protected by lock */
	struct quota_entry *ents;	/* protected by lock */
	size_t n, cap;			/* protected by lock */
};

struct quota *quota_new(void)
{
	struct quota *q = calloc(1, sizeof(*q));

	if (q)
		pthread_mutex_init(&q->lock, NULL);
	return q;
}

struct quota *quota_free(struct quota *q)
{
	if (!q)
		return NULL;
	pthread_mutex_destroy(&q->lock);
	free(q->ents);
	free(q);
	return NULL;
}

void quota_set_limits(struct quota *q, size_t total, size_t share)
{
	pthread_mutex_lock(&q->lock);
	q->total = total;
	q->share = share < total ? share : total;
	q->reserve = total / QUOTA_RESERVE_DIVISOR;
	if (!q->reserve && total >= 2)
		q->reserve = 1;
	pthread_mutex_unlock(&q->lock);
}

/* The index of uid's entry, or where it would go (*found says which). Caller holds the lock. */
static size_t find(const struct quota *q, uid_t uid, bool *found)
{
	size_t lo = 0, hi = q->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (q->ents[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < q->n && q->ents[lo].uid == uid;
	return lo;
}

/* What is left under limit once used is taken (0 when nothing). */
static size_t room(size_t used, size_t limit)
{
	return used < limit ? limit - used : 0;
}

int quota_take_upto(struct quota *q, uid_t subject, bool privileged, size_t want,
		    size_t at_least, size_t *ret_taken)
{
	size_t i, held, share_room, total_room, take;
	bool found;
	int r = 0;

	if (at_least > want)
		at_least = want;
	pthread_mutex_lock(&q->lock);
	i = find(q, subject, &found);
	held = found ? q->ents[i].held : 0;
	share_room = privileged ? SIZE_MAX : room(held, q->share);
	total_room = room(q->held_total, privileged ? q->total : q->total - q->reserve);
	/* The offender first: a subject past its share is told so, whatever the others hold. */
	if (at_least > share_room)
		r = -EDQUOT;
	else if (at_least > total_room)
		r = -ENOSPC;
	take = want < share_room ? want : share_room;
	take = take < total_room ? take : total_room;
	if (r < 0 || take == 0)
		goto out;
	if (!found) {
		if (q->n == q->cap) {
			size_t cap = q->cap ? q->cap * 2 : 16;
			struct quota_entry *e = realloc(q->ents, cap * sizeof(*e));

			if (!e) {
				r = -ENOMEM;
				goto out;
			}
			q->ents = e;
			q->cap = cap;
		}
		memmove(&q->ents[i + 1], &q->ents[i], (q->n - i) * sizeof(*q->ents));
		q->ents[i] = (struct quota_entry){.uid = subject, .held = 0};
		q->n++;
	}
	q->ents[i].held += take;
	q->held_total += take;
out:
	pthread_mutex_unlock(&q->lock);
	if (r == 0)
		*ret_taken = take;
	return r;
}

int quota_take(struct quota *q, uid_t subject, bool privileged, size_t amount)
{
	size_t taken;

	return quota_take_upto(q, subject, privileged, amount, amount, &taken);
}

void quota_give(struct quota *q, uid_t subject, size_t amount)
{
	bool found;
	size_t i;

	if (amount == 0)
		return;
	pthread_mutex_lock(&q->lock);
	i = find(q, subject, &found);
	if (found) {
		if (amount > q->ents[i].held)
			amount = q->ents[i].held;	/* a caller's bug must not wrap the count */
		q->ents[i].held -= amount;
		q->held_total -= amount;
		if (q->ents[i].held == 0) {
			memmove(&q->ents[i], &q->ents[i + 1], (q->n - i - 1) * sizeof(*q->ents));
			q->n--;
		}
	}
	pthread_mutex_unlock(&q->lock);
}

size_t quota_held(struct quota *q, uid_t subject)
{
	bool found;
	size_t i, held;

	pthread_mutex_lock(&q->lock);
	i = find(q, subject, &found);
	held = found ? q->ents[i].held : 0;
	pthread_mutex_unlock(&q->lock);
	return held;
}

size_t quota_held_total(struct quota *q)
{
	size_t held;

	pthread_mutex_lock(&q->lock);
	held = q->held_total;
	pthread_mutex_unlock(&q->lock);
	return held;
}
