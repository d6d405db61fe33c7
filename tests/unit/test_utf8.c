/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the UTF-8 helpers that keep records valid text: a copy
 * cut to a fixed field (pfs_strcpy_cut) ends before a character, never
 * inside one, and utf8_scrub turns every byte that begins no valid
 * character into '?'. Written from include/pinfs/utf8.h and macro.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pinfs/macro.h"
#include "pinfs/utf8.h"

static void test_utf8_cut_never_splits_a_character(void **state)
{
	char src[200], dst[128];

	(void)state;
	/* 70 x "é" (2 bytes each): 127 bytes fit, the cut keeps 63 whole ones. */
	for (int i = 0; i < 70; i++)
		memcpy(src + 2 * i, "\xc3\xa9", 2);
	src[140] = '\0';
	pfs_strcpy_cut(dst, src, sizeof(dst));
	assert_int_equal(strlen(dst), 126);
	assert_true(utf8_valid(dst, strlen(dst), false));

	/* 3- and 4-byte characters at the edge. */
	pfs_strcpy_cut(dst, "ab\xe2\x80\xa8", 5);
	assert_string_equal(dst, "ab");
	pfs_strcpy_cut(dst, "a\xf0\x9f\x98\x80z", 5);
	assert_string_equal(dst, "a");
	pfs_strcpy_cut(dst, "a\xf0\x9f\x98\x80z", 6);
	assert_string_equal(dst, "a\xf0\x9f\x98\x80");
	/* What fits is copied whole; ASCII is cut anywhere. */
	pfs_strcpy_cut(dst, "\xc3\xa9", 3);
	assert_string_equal(dst, "\xc3\xa9");
	pfs_strcpy_cut(dst, "abcdef", 4);
	assert_string_equal(dst, "abc");
	pfs_strcpy_cut(dst, "\xc3\xa9", 2);
	assert_string_equal(dst, "");
	/* A run of stray continuation bytes backs up at most 3. */
	pfs_strcpy_cut(dst, "abcd\x80\x80\x80\x80\x80\x80", 8);
	assert_string_equal(dst, "abcd");
}

static void test_utf8_scrub_replaces_invalid_bytes(void **state)
{
	char s[64];

	(void)state;
	strcpy(s, "caf\xc3\xa9");
	assert_int_equal(utf8_scrub(s), 0);
	assert_string_equal(s, "caf\xc3\xa9");
	strcpy(s, "a\xff" "b\xc3");
	assert_int_equal(utf8_scrub(s), 2);
	assert_string_equal(s, "a?b?");
	/* A surrogate (ED A0 80) and an overlong "/" (C0 AF): every byte of them. */
	strcpy(s, "\xed\xa0\x80-\xc0\xaf");
	assert_int_equal(utf8_scrub(s), 5);
	assert_string_equal(s, "?" "?" "?-" "?" "?");
	/* U+2028 and U+0085 are valid: escaping them is the renderer's job. */
	strcpy(s, "\xe2\x80\xa8\xc2\x85");
	assert_int_equal(utf8_scrub(s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_cut_never_splits_a_character),
	    cmocka_unit_test(test_utf8_scrub_replaces_invalid_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
