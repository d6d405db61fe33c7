/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for quota: a subject past its share is refused (-EDQUOT) and
 * nobody else is; the others share the budget up to its reserve (-ENOSPC);
 * a privileged subject has no share and reaches the whole budget; refusals
 * take nothing; giving back frees the share; new limits apply to later
 * requests only; many subjects at once keep the counts right.
 * Written from include/pinfs/quota.h.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pinfs/quota.h"

static void test_quota_subject_past_its_share_is_refused_alone(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	assert_non_null(q);
	quota_set_limits(q, 64, 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(quota_take(q, 1000, false, 1), 0);
	assert_int_equal(quota_take(q, 1000, false, 1), -EDQUOT);
	assert_int_equal(quota_held(q, 1000), 16);
	/* Another uid and root are untouched by 1000's refusal. */
	assert_int_equal(quota_take(q, 1001, false, 16), 0);
	assert_int_equal(quota_take(q, 0, true, 20), 0);
	assert_int_equal(quota_held_total(q), 52);
	/* Giving one back lets 1000 take one again. */
	quota_give(q, 1000, 1);
	assert_int_equal(quota_take(q, 1000, false, 1), 0);
	assert_int_equal(quota_take(q, 1000, false, 1), -EDQUOT);
}

static void test_quota_reserve_is_left_to_privileged_subjects(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	quota_set_limits(q, 64, 16);	/* reserve 8: the others stop at 56 */
	for (uid_t u = 1000; u < 1003; u++)
		assert_int_equal(quota_take(q, u, false, 16), 0);
	assert_int_equal(quota_take(q, 1003, false, 8), 0);
	assert_int_equal(quota_take(q, 1004, false, 1), -ENOSPC);
	assert_int_equal(quota_held(q, 1004), 0);
	/* Root uses the reserve up to the budget itself, and no more. */
	assert_int_equal(quota_take(q, 0, true, 8), 0);
	assert_int_equal(quota_take(q, 0, true, 1), -ENOSPC);
	assert_int_equal(quota_held_total(q), 64);
}

static void test_quota_privileged_subject_has_no_share(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	quota_set_limits(q, 16, 4);
	assert_int_equal(quota_take(q, 0, true, 16), 0);
	assert_int_equal(quota_take(q, 0, true, 1), -ENOSPC);
	assert_int_equal(quota_take(q, 1000, false, 1), -ENOSPC);
}

static void test_quota_refused_request_takes_nothing(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	quota_set_limits(q, 1u << 20, 1u << 18);
	assert_int_equal(quota_take(q, 7, false, (1u << 18) + 1), -EDQUOT);
	assert_int_equal(quota_take(q, 7, false, SIZE_MAX), -EDQUOT);
	assert_int_equal(quota_take(q, 0, true, SIZE_MAX), -ENOSPC);
	assert_int_equal(quota_held_total(q), 0);
	assert_int_equal(quota_held(q, 7), 0);
	assert_int_equal(quota_take(q, 7, false, 1u << 18), 0);
}

static void test_quota_new_limits_apply_to_later_requests(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	assert_int_equal(quota_take(q, 0, true, 1), -ENOSPC);	/* no limits yet */
	quota_set_limits(q, 100, 50);
	assert_int_equal(quota_take(q, 5, false, 40), 0);
	quota_set_limits(q, 100, 10);
	assert_int_equal(quota_held(q, 5), 40);	/* kept */
	assert_int_equal(quota_take(q, 5, false, 1), -EDQUOT);
	quota_give(q, 5, 35);
	assert_int_equal(quota_take(q, 5, false, 5), 0);
	/* A share larger than the budget counts as the budget. */
	quota_set_limits(q, 10, 1000);
	assert_int_equal(quota_take(q, 6, false, 1), -ENOSPC);
}

static void test_quota_give_back_more_than_held_is_clamped(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();

	(void)state;
	quota_set_limits(q, 100, 50);
	assert_int_equal(quota_take(q, 5, false, 10), 0);
	assert_int_equal(quota_take(q, 6, false, 10), 0);
	quota_give(q, 5, 11);
	quota_give(q, 9, 3);	/* holds nothing */
	assert_int_equal(quota_held(q, 5), 0);
	assert_int_equal(quota_held_total(q), 10);
}

static void test_quota_take_upto_gives_what_fits(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();
	size_t got = 0;

	(void)state;
	quota_set_limits(q, 64, 16);	/* reserve 8 */
	assert_int_equal(quota_take_upto(q, 1000, false, 12, 4, &got), 0);
	assert_int_equal(got, 12);
	/* 4 left of the share: asked 8, at least 2. */
	assert_int_equal(quota_take_upto(q, 1000, false, 8, 2, &got), 0);
	assert_int_equal(got, 4);
	got = 99;
	assert_int_equal(quota_take_upto(q, 1000, false, 8, 1, &got), -EDQUOT);
	assert_int_equal(got, 99);	/* untouched */
	/* Below the reserve: the others stop at 56. */
	assert_int_equal(quota_take(q, 1001, false, 16), 0);
	assert_int_equal(quota_take(q, 1002, false, 16), 0);
	assert_int_equal(quota_take_upto(q, 1003, false, 16, 1, &got), 0);
	assert_int_equal(got, 8);
	assert_int_equal(quota_take_upto(q, 1004, false, 4, 1, &got), -ENOSPC);
	assert_int_equal(quota_take_upto(q, 0, true, 100, 1, &got), 0);
	assert_int_equal(got, 8);
	assert_int_equal(quota_held_total(q), 64);
	/* at_least above want counts as want. */
	quota_give(q, 0, 8);
	assert_int_equal(quota_take_upto(q, 0, true, 3, 50, &got), 0);
	assert_int_equal(got, 3);
}

#define THREADS 8
#define ROUNDS 20000

static void *worker(void *arg)
{
	struct quota *q = arg;
	static _Atomic unsigned next;
	uid_t uid = 2000 + next++;

	for (int i = 0; i < ROUNDS; i++) {
		/* Many subjects come and go: the table grows and shrinks under the others. */
		uid_t u = uid + (uid_t)(i % 64) * THREADS;

		if (quota_take(q, u, false, 3) == 0)
			quota_give(q, u, 3);
	}
	return NULL;
}

static void test_quota_threads_keep_counts_right(void **state)
{
	PFS_CLEANUP(quota_freep) struct quota *q = quota_new();
	pthread_t t[THREADS];

	(void)state;
	quota_set_limits(q, 1u << 20, 1u << 10);
	assert_int_equal(quota_take(q, 1, false, 100), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, q), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(quota_held_total(q), 100);
	assert_int_equal(quota_held(q, 1), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quota_subject_past_its_share_is_refused_alone),
	    cmocka_unit_test(test_quota_reserve_is_left_to_privileged_subjects),
	    cmocka_unit_test(test_quota_privileged_subject_has_no_share),
	    cmocka_unit_test(test_quota_refused_request_takes_nothing),
	    cmocka_unit_test(test_quota_new_limits_apply_to_later_requests),
	    cmocka_unit_test(test_quota_give_back_more_than_held_is_clamped),
	    cmocka_unit_test(test_quota_take_upto_gives_what_fits),
	    cmocka_unit_test(test_quota_threads_keep_counts_right),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
