/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for seed: a seed value is stored with its numbers exactly as
 * the file writes them (as a write through the filesystem stores them), so
 * "pinctl seed" and "cp -r" of the same pins give the same rows; the raw
 * value is found whatever the member order, nesting, strings with quotes,
 * brackets and escapes around it; bad seed files are refused by field.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pinfs/pin_json.h"
#include "pinfs/seed.h"

static char seed_path[64];

static struct seed *load_text_max(const char *text, size_t max_value, int expect)
{
	struct pfs_error err = {0};
	struct seed *s = NULL;
	FILE *f;
	int fd, r;

	snprintf(seed_path, sizeof(seed_path), "/tmp/pinfs-seed-XXXXXX");
	fd = mkstemp(seed_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	r = seed_load_file(seed_path, max_value, &s, &err);
	unlink(seed_path);
	if (r != expect)
		fail_msg("seed_load_file = %d (%s), expected %d, for:\n%s", r, err.message, expect,
			 text);
	return s;
}

static struct seed *load_text(const char *text, int expect)
{
	return load_text_max(text, PIN_JSON_UNLIMITED, expect);
}

/* As a write would store them: the digits kept, written as PostgreSQL's numeric prints them. */
static void test_seed_numbers_are_kept_as_written(void **state)
{
	struct seed *s;

	(void)state;
	s = load_text("{\"pins\": [{\"tenant\": \"global\", \"key\": \"k\", \"value\":\n"
		      "  {\"a\": 0.8, \"b\": 2.0, \"c\": 1.50, \"d\": 1e3, \"e\": -0.0,\n"
		      "   \"g\": [0.1, 0.95]}}]}\n",
		      0);
	assert_int_equal(s->n, 1);
	assert_string_equal(
	    s->pins[0].value,
	    "{\"a\":0.8,\"b\":2.0,\"c\":1.50,\"d\":1000,\"e\":0.0,\"g\":[0.1,0.95]}");
	assert_int_equal(s->pins[0].value_len, strlen(s->pins[0].value));
	seed_free(s);
}

static void test_seed_raw_value_found_in_any_member_order(void **state)
{
	struct seed *s;

	(void)state;
	s = load_text("{\"description\": \"a \\\"value\\\": [1.0 } {\",\n"
		      " \"version\": 1,\n"
		      " \"pins\": [\n"
		      "  {\"value\": 1.0, \"tenant\": \"t1\", \"key\": \"a\"},\n"
		      "  {\"tenant\": \"t2\", \"key\": \"b\\\"]}\", \"source\": \"x\",\n"
		      "   \"value\": {\"value\": 3.0, \"s\": \"}]\\\\\", \"n\": [[], {}, 4.0]}},\n"
		      "  {\"key\": \"c\", \"value\": \"2.0\", \"tenant\": \"t3\", \"ttl_seconds\": 60}\n"
		      " ],\n"
		      " \"after\": {\"value\": 9.0}}\n",
		      0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->pins[0].value, "1.0");
	assert_string_equal(s->pins[1].key, "b\"]}");
	assert_string_equal(s->pins[1].value, "{\"value\":3.0,\"s\":\"}]\\\\\",\"n\":[[],{},4.0]}");
	assert_string_equal(s->pins[1].source, "x");
	assert_string_equal(s->pins[2].value, "\"2.0\"");
	assert_int_equal(s->pins[2].ttl_seconds, 60);
	seed_free(s);
}

static void test_seed_value_equal_ignores_key_order_not_numbers(void **state)
{
	(void)state;
	assert_true(seed_value_equal("{\"a\":1,\"b\":2}", 13, "{\"b\":2,\"a\":1}", 13));
	assert_false(seed_value_equal("{\"a\":1}", 7, "{\"a\":2}", 7));
}

static void test_seed_bad_files_are_refused(void **state)
{
	(void)state;
	assert_null(load_text("{\"pins\": {}}", -EINVAL));
	assert_null(load_text("{\"pins\": [{\"tenant\": \".x\", \"key\": \"k\", \"value\": 1}]}",
			      -EINVAL));
	assert_null(load_text("{\"pins\": [{\"tenant\": \"t\", \"key\": \"k\"}]}", -EINVAL));
	assert_null(load_text("{\"pins\": [", -EINVAL));
	assert_null(load_text("{\"pins\": [], \"pins\": []}", -EINVAL));
	/* What no write could store: a number PostgreSQL refuses, a value too long to read. */
	assert_null(load_text(
	    "{\"pins\": [{\"tenant\": \"t\", \"key\": \"k\", \"value\": 1e131072}]}", -EINVAL));
	assert_null(load_text_max(
	    "{\"pins\": [{\"tenant\": \"t\", \"key\": \"k\", \"value\": [1e99]}]}", 100, -EFBIG));
	/* "[\n  " 91 digits "\n]\n" is 98 bytes: within 100. */
	seed_free(load_text_max(
	    "{\"pins\": [{\"tenant\": \"t\", \"key\": \"k\", \"value\": [1e90]}]}", 100, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_numbers_are_kept_as_written),
		cmocka_unit_test(test_seed_raw_value_found_in_any_member_order),
		cmocka_unit_test(test_seed_value_equal_ignores_key_order_not_numbers),
		cmocka_unit_test(test_seed_bad_files_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
