/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for log: level names, and the per-code rate limit of
 * rejections (at most 10 lines a minute per code, a line when counting
 * starts, the count before the next minute's first line; codes apart).
 * Log lines go to stderr, which the tests point at a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pinfs/log.h"

/*
 * begin() points stderr at a fresh temporary file; end() puts stderr back
 * (so cmocka's own messages stay visible) and returns what was written (a
 * new string, free()).
 */
static FILE *capture;
static int saved_stderr = -1;

static void begin(void)
{
	fflush(stderr);
	capture = tmpfile();
	assert_non_null(capture);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(capture), STDERR_FILENO) >= 0);
}

static char *end(void)
{
	long size;
	char *buf;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	size = ftell(capture);
	buf = calloc(1, (size_t)size + 1);
	assert_non_null(buf);
	rewind(capture);
	assert_int_equal(fread(buf, 1, (size_t)size, capture), (size_t)size);
	fclose(capture);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	pfs_log_open("pinfs", PFS_LOG_STDERR, LOG_NOTICE);
	return 0;
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_log_level_names_parse(void **state)
{
	(void)state;
	assert_int_equal(pfs_log_level_from_name("notice"), LOG_NOTICE);
	assert_int_equal(pfs_log_level_from_name("INFO"), LOG_INFO);
	assert_int_equal(pfs_log_level_from_name("warn"), LOG_WARNING);
	assert_int_equal(pfs_log_level_from_name("error"), LOG_ERR);
	assert_int_equal(pfs_log_level_from_name("loud"), -1);
}

static void test_log_rejection_is_notice_with_its_code(void **state)
{
	char *out;
	int r;

	(void)state;
	begin();
	r = pfs_log_rejection_at(1000, "test.one", "write to \"%s\" rejected", "a/b");
	out = end();
	assert_int_equal(r, 1);
	assert_string_equal(out, "pinfs: notice: test.one: write to \"a/b\" rejected\n");
	free(out);
}

static void test_log_rejection_flood_is_cut_at_ten_a_minute_and_counted(void **state)
{
	int logged = 0, other, late, next, quiet;
	char *out;

	(void)state;
	begin();
	for (int i = 0; i < 35; i++)
		logged += pfs_log_rejection_at(5000 + i * 10, "test.flood", "n %d", i);
	/* Another code is not held back by this one's flood. */
	other = pfs_log_rejection_at(6100, "test.other", "x");
	out = end();
	assert_int_equal(logged, 10);
	assert_int_equal(other, 1);
	assert_int_equal(count_lines(out, "test.flood: n "), 10);
	assert_non_null(strstr(out, "pinfs: notice: test.flood: n 9\n"
				    "pinfs: notice: test.flood: more than 10 rejections within a "
				    "minute, counting the rest\n"));
	assert_int_equal(count_lines(out, "counting the rest"), 1);
	assert_int_equal(count_lines(out, "test.other: x"), 1);
	free(out);

	/* Still within the minute that began at 5000. */
	begin();
	late = pfs_log_rejection_at(64999, "test.flood", "late");
	out = end();
	assert_int_equal(late, 0);
	assert_string_equal(out, "");
	free(out);

	/* A minute later: the count of what was left out, then the line itself. */
	begin();
	next = pfs_log_rejection_at(65000, "test.flood", "next");
	out = end();
	assert_int_equal(next, 1);
	assert_string_equal(out, "pinfs: notice: test.flood: 26 more rejections were not logged "
				 "(at most 10 a minute are; the audit has every one)\n"
				 "pinfs: notice: test.flood: next\n");
	free(out);

	/* And no count line when nothing was left out. */
	begin();
	quiet = pfs_log_rejection_at(200000, "test.flood", "quiet");
	out = end();
	assert_int_equal(quiet, 1);
	assert_string_equal(out, "pinfs: notice: test.flood: quiet\n");
	free(out);
}

static void test_log_rejection_macro_honours_the_level(void **state)
{
	char *out;

	(void)state;
	begin();
	pfs_log_level = LOG_WARNING;
	pfs_log_rejection("test.level", "hidden");
	pfs_log_level = LOG_NOTICE;
	pfs_log_rejection("test.level", "shown");
	out = end();
	assert_string_equal(out, "pinfs: notice: test.level: shown\n");
	free(out);
}

static void test_log_rejection_many_codes_share_the_last_slot(void **state)
{
	char code[32], *out;
	int logged = 0;

	(void)state;
	/* More codes than slots: the ones past the table share its last slot's limit. */
	begin();
	for (int i = 0; i < 60; i++) {
		snprintf(code, sizeof(code), "test.many%d", i);
		logged += pfs_log_rejection_at(300000, code, "x");
	}
	out = end();
	assert_true(logged >= 20 && logged < 60);
	assert_non_null(strstr(out, "test.many0: x"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_level_names_parse),
		cmocka_unit_test(test_log_rejection_is_notice_with_its_code),
		cmocka_unit_test(test_log_rejection_flood_is_cut_at_ten_a_minute_and_counted),
		cmocka_unit_test(test_log_rejection_macro_honours_the_level),
		cmocka_unit_test(test_log_rejection_many_codes_share_the_last_slot),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
