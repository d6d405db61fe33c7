/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for pin_json: rendering one JSON value pretty (what `cat`
 * shows) and compact (what backends store), the exactly-one-value rules,
 * the depth limit, numbers as PostgreSQL's numeric prints them (and its
 * range), repeated keys, the limit on the pretty length (expanded numbers
 * and indentation included), string escaping, and the incremental prefix
 * scanner that makes the write() of non-JSON, or of too much, fail at once.
 * Written from include/pinfs/pin_json.h and DESIGN.md sections 3, 4, 11.
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
#include <strings.h>

#include <cmocka.h>

#include "pinfs/pin_json.h"

/* ---- helpers ---------------------------------------------------------- */

static void expect_render_n(const char *in, size_t len, enum pin_json_style style, const char *want)
{
	struct pfs_error err = {0};
	char *out = NULL;
	size_t out_len = (size_t)-1;
	int r = pin_json_render(in, len, style, PIN_JSON_UNLIMITED, &out, &out_len, &err);

	if (r != 0)
		fail_msg("render(%s, \"%.*s\") = %d (%s), want 0",
			 style == PIN_JSON_PRETTY ? "pretty" : "compact", (int)len, in, r,
			 err.message);
	assert_non_null(out);
	if (strcmp(out, want) != 0)
		fail_msg("render(%s, \"%.*s\"):\n got: \"%s\"\nwant: \"%s\"",
			 style == PIN_JSON_PRETTY ? "pretty" : "compact", (int)len, in, out, want);
	assert_int_equal(out_len, strlen(want));
	free(out);
}

static void expect_render(const char *in, enum pin_json_style style, const char *want)
{
	expect_render_n(in, strlen(in), style, want);
}

static void expect_invalid_n(const char *in, size_t len)
{
	struct pfs_error err = {0};
	char *sentinel = (char *)"untouched";
	char *out = sentinel;
	size_t out_len = 4242;

	for (int style = PIN_JSON_PRETTY; style <= PIN_JSON_COMPACT; style++) {
		int r = pin_json_render(in, len, (enum pin_json_style)style, PIN_JSON_UNLIMITED,
					&out, &out_len, &err);

		if (r != -EINVAL) {
			if (r == 0)
				free(out);
			fail_msg("render(\"%.*s\") = %d, want -EINVAL", (int)len, in, r);
		}
		assert_ptr_equal(out, sentinel);
		assert_int_equal(out_len, 4242);
		/* reterr is filled in for the caller's message. */
		assert_int_equal(err.code, -EINVAL);
		assert_true(err.message[0] != '\0');
		memset(&err, 0, sizeof(err));
	}
}

static void expect_invalid(const char *in)
{
	expect_invalid_n(in, strlen(in));
}

/* A malloc'ed string: depth '[' + "1" + depth ']' (or {"a": ... } when obj). */
static char *nested(int depth, bool obj)
{
	size_t cap = (size_t)depth * 6 + 8;
	char *s = malloc(cap);
	size_t n = 0;

	assert_non_null(s);
	for (int i = 0; i < depth; i++) {
		if (obj) {
			memcpy(s + n, "{\"a\":", 5);
			n += 5;
		} else {
			s[n++] = '[';
		}
	}
	s[n++] = '1';
	for (int i = 0; i < depth; i++)
		s[n++] = obj ? '}' : ']';
	s[n] = '\0';
	return s;
}

/* ---- pretty rendering -------------------------------------------------- */

static void test_pin_json_pretty_object_is_jq_like(void **state)
{
	(void)state;
	expect_render("{\"a\":1,\"b\":[1,2],\"c\":{}}", PIN_JSON_PRETTY,
		      "{\n"
		      "  \"a\": 1,\n"
		      "  \"b\": [\n"
		      "    1,\n"
		      "    2\n"
		      "  ],\n"
		      "  \"c\": {}\n"
		      "}\n");
}

static void test_pin_json_pretty_nested_containers_indent_two_spaces(void **state)
{
	(void)state;
	expect_render("[{\"a\":null,\"b\":{\"c\":[true,false]}},\"x\"]", PIN_JSON_PRETTY,
		      "[\n"
		      "  {\n"
		      "    \"a\": null,\n"
		      "    \"b\": {\n"
		      "      \"c\": [\n"
		      "        true,\n"
		      "        false\n"
		      "      ]\n"
		      "    }\n"
		      "  },\n"
		      "  \"x\"\n"
		      "]\n");
}

static void test_pin_json_pretty_empty_containers_are_compact(void **state)
{
	(void)state;
	expect_render("{}", PIN_JSON_PRETTY, "{}\n");
	expect_render("[]", PIN_JSON_PRETTY, "[]\n");
	expect_render(" {  } ", PIN_JSON_PRETTY, "{}\n");
	expect_render("[\n\n]", PIN_JSON_PRETTY, "[]\n");
	expect_render("{\"a\":[],\"b\":{},\"c\":[[]]}", PIN_JSON_PRETTY,
		      "{\n"
		      "  \"a\": [],\n"
		      "  \"b\": {},\n"
		      "  \"c\": [\n"
		      "    []\n"
		      "  ]\n"
		      "}\n");
}

static void test_pin_json_pretty_scalars_end_with_newline(void **state)
{
	(void)state;
	expect_render("true", PIN_JSON_PRETTY, "true\n");
	expect_render("false", PIN_JSON_PRETTY, "false\n");
	expect_render("null", PIN_JSON_PRETTY, "null\n");
	expect_render("42", PIN_JSON_PRETTY, "42\n");
	expect_render("\"hello\"", PIN_JSON_PRETTY, "\"hello\"\n");
	expect_render("\"\"", PIN_JSON_PRETTY, "\"\"\n");
}

static void test_pin_json_pretty_keeps_object_key_order(void **state)
{
	(void)state;
	expect_render("{\"z\":1,\"a\":2,\"m\":3}", PIN_JSON_PRETTY,
		      "{\n  \"z\": 1,\n  \"a\": 2,\n  \"m\": 3\n}\n");
}

static void test_pin_json_pretty_strips_surrounding_whitespace(void **state)
{
	(void)state;
	expect_render("  \n\t 7 \t\r\n\n", PIN_JSON_PRETTY, "7\n");
	expect_render("\n{\"a\" :\n 1\n}\n", PIN_JSON_PRETTY, "{\n  \"a\": 1\n}\n");
}

static void test_pin_json_pretty_is_idempotent(void **state)
{
	const char *in = "{\"k\":[1,{\"x\":\"y\"},[]],\"e\":{},\"n\":1.50}";
	char *once = NULL, *twice = NULL;
	size_t n1 = 0, n2 = 0;

	(void)state;
	assert_int_equal(
	    pin_json_render(in, strlen(in), PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &once, &n1, NULL),
	    0);
	assert_int_equal(
	    pin_json_render(once, n1, PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &twice, &n2, NULL), 0);
	assert_int_equal(n1, n2);
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

/* ---- compact rendering ------------------------------------------------- */

static void test_pin_json_compact_has_no_whitespace_or_newline(void **state)
{
	(void)state;
	expect_render("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {}\n}\n",
		      PIN_JSON_COMPACT, "{\"a\":1,\"b\":[1,2],\"c\":{}}");
	expect_render(" [ 1 , [ ] , { } , \"a b\" ] ", PIN_JSON_COMPACT, "[1,[],{},\"a b\"]");
}

static void test_pin_json_compact_scalars_have_no_newline(void **state)
{
	(void)state;
	expect_render("true", PIN_JSON_COMPACT, "true");
	expect_render(" null\n", PIN_JSON_COMPACT, "null");
	expect_render("\"s\"\n", PIN_JSON_COMPACT, "\"s\"");
	expect_render("-3", PIN_JSON_COMPACT, "-3");
}

static void test_pin_json_compact_of_pretty_equals_compact(void **state)
{
	const char *in = "[{\"a\":{\"b\":[null,\"\\n\"]}},0.0]";
	char *pretty = NULL, *c1 = NULL, *c2 = NULL;
	size_t np = 0, n1 = 0, n2 = 0;

	(void)state;
	assert_int_equal(pin_json_render(in, strlen(in), PIN_JSON_PRETTY, PIN_JSON_UNLIMITED,
					 &pretty, &np, NULL),
			 0);
	assert_int_equal(
	    pin_json_render(in, strlen(in), PIN_JSON_COMPACT, PIN_JSON_UNLIMITED, &c1, &n1, NULL),
	    0);
	assert_int_equal(
	    pin_json_render(pretty, np, PIN_JSON_COMPACT, PIN_JSON_UNLIMITED, &c2, &n2, NULL), 0);
	assert_string_equal(c1, in);
	assert_string_equal(c1, c2);
	assert_int_equal(n1, n2);
	free(pretty);
	free(c1);
	free(c2);
}

/* ---- length handling --------------------------------------------------- */

static void test_pin_json_render_uses_len_not_nul(void **state)
{
	(void)state;
	/* Only the first len bytes are the document. */
	expect_render_n("123456", 2, PIN_JSON_COMPACT, "12");
	expect_render_n("[1]garbage", 3, PIN_JSON_PRETTY, "[\n  1\n]\n");
}

static void test_pin_json_render_embedded_nul_is_einval(void **state)
{
	(void)state;
	/* A NUL after the value is not whitespace. */
	expect_invalid_n("1\0", 2);
	expect_invalid_n("{}\0\n", 4);
	expect_invalid_n("\0", 1);
}

/* ---- exactly one value -------------------------------------------------- */

static void test_pin_json_render_empty_is_einval(void **state)
{
	(void)state;
	expect_invalid_n("", 0);
}

static void test_pin_json_render_whitespace_only_is_einval(void **state)
{
	(void)state;
	expect_invalid("   ");
	expect_invalid("\n");
	expect_invalid(" \t\r\n ");
}

static void test_pin_json_render_second_value_is_einval(void **state)
{
	(void)state;
	expect_invalid("1 2");
	expect_invalid("{} {}");
	expect_invalid("{\"a\":1}\n{\"a\":2}\n");
	expect_invalid("[1][2]");
	expect_invalid("\"a\"\"b\"");
	expect_invalid("null null");
	expect_invalid("true false");
	expect_invalid("{\"a\":1}x");
	expect_invalid("{\"a\":1},");
	expect_invalid("[1]]");
}

static void test_pin_json_render_incomplete_is_einval(void **state)
{
	(void)state;
	expect_invalid("{");
	expect_invalid("{\"a\":");
	expect_invalid("{\"a\":1");
	expect_invalid("[1,");
	expect_invalid("\"abc");
	expect_invalid("tru");
	expect_invalid("nul");
	expect_invalid("-");
	expect_invalid("1.");
	expect_invalid("1e");
}

static void test_pin_json_render_not_json_is_einval(void **state)
{
	(void)state;
	expect_invalid("not-json");
	expect_invalid("x");
	expect_invalid("{'a':1}");
	expect_invalid("{a:1}");
	expect_invalid("[1,]");
	expect_invalid("{\"a\":1,}");
	expect_invalid("[,1]");
	expect_invalid("{\"a\" 1}");
	expect_invalid("{1:2}");
	expect_invalid("True");
	expect_invalid("NULL");
	expect_invalid("NaN");
	expect_invalid("Infinity");
	expect_invalid("-Infinity");
	expect_invalid("/* c */ 1");
	expect_invalid("1 // c");
	expect_invalid("\"tab\there\""); /* raw control char inside a string */
	expect_invalid("\"a\nb\"");
	expect_invalid("\"\\x41\""); /* not a JSON escape */
	expect_invalid("\"\\u12\"");
}

static void test_pin_json_render_formfeed_and_vtab_are_not_whitespace(void **state)
{
	(void)state;
	/* JSON whitespace is space, tab, LF and CR only (RFC 8259, jansson). */
	expect_invalid("\f1");
	expect_invalid("1\v");
	expect_invalid("[1,\f2]");
	expect_invalid("{\"a\":\v1}");
}

static void test_pin_json_render_bad_numbers_are_einval(void **state)
{
	(void)state;
	expect_invalid("01");
	expect_invalid("-01");
	expect_invalid("+1");
	expect_invalid(".5");
	expect_invalid("1.e5");
	expect_invalid("0x10");
	expect_invalid("1e+");
	expect_invalid("--1");
}

static void test_pin_json_render_invalid_utf8_is_einval(void **state)
{
	(void)state;
	expect_invalid("\"\xff\"");
	expect_invalid("\"caf\xe9\""); /* Latin-1 */
	expect_invalid("\"\xc3\"");    /* truncated */
	expect_invalid("\"\xe2\x82\"");
	expect_invalid("\"\x80\"");
	expect_invalid("{\"\xff\":1}"); /* in a key */
	expect_invalid("[\"ok\",\"\xc3(\"]");
}

/* ---- depth --------------------------------------------------------------- */

static void test_pin_json_render_depth_64_is_ok(void **state)
{
	char *arr = nested(PIN_JSON_MAX_DEPTH, false);
	char *obj = nested(PIN_JSON_MAX_DEPTH, true);
	char *out = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(PIN_JSON_MAX_DEPTH, 64);
	assert_int_equal(
	    pin_json_render(arr, strlen(arr), PIN_JSON_COMPACT, PIN_JSON_UNLIMITED, &out, &n, NULL),
	    0);
	assert_string_equal(out, arr);
	free(out);
	out = NULL;
	assert_int_equal(
	    pin_json_render(obj, strlen(obj), PIN_JSON_COMPACT, PIN_JSON_UNLIMITED, &out, &n, NULL),
	    0);
	assert_string_equal(out, obj);
	free(out);
	out = NULL;
	assert_int_equal(
	    pin_json_render(arr, strlen(arr), PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &out, &n, NULL),
	    0);
	free(out);
	free(arr);
	free(obj);
}

static void test_pin_json_render_depth_65_is_einval(void **state)
{
	char *arr = nested(PIN_JSON_MAX_DEPTH + 1, false);
	char *obj = nested(PIN_JSON_MAX_DEPTH + 1, true);

	(void)state;
	expect_invalid(arr);
	expect_invalid(obj);
	free(arr);
	free(obj);
}

static void test_pin_json_render_depth_mixed_65_is_einval(void **state)
{
	/* 33 objects around 32 arrays: 65 levels in all. */
	char buf[1024];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 33; i++) {
		memcpy(buf + n, "{\"k\":", 5);
		n += 5;
		if (i < 32)
			buf[n++] = '[';
	}
	buf[n++] = '0';
	for (int i = 0; i < 33; i++) {
		if (i > 0)
			buf[n++] = ']';
		buf[n++] = '}';
	}
	buf[n] = '\0';
	expect_invalid(buf);
}

static void test_pin_json_render_very_deep_is_einval_not_crash(void **state)
{
	char *arr = nested(100000, false);

	(void)state;
	expect_invalid(arr);
	free(arr);
}

static void test_pin_json_render_wide_is_ok(void **state)
{
	/* Many siblings are not depth. */
	size_t count = 5000;
	char *s = malloc(count * 4 + 4);
	char *out = NULL;
	size_t n = 0, len = 0;

	(void)state;
	assert_non_null(s);
	s[len++] = '[';
	for (size_t i = 0; i < count; i++) {
		memcpy(s + len, i ? ",[]" : "[]", i ? 3 : 2);
		len += i ? 3 : 2;
	}
	s[len++] = ']';
	s[len] = '\0';
	assert_int_equal(
	    pin_json_render(s, len, PIN_JSON_COMPACT, PIN_JSON_UNLIMITED, &out, &n, NULL), 0);
	assert_string_equal(out, s);
	free(out);
	free(s);
}

/* ---- numbers -------------------------------------------------------------- */

/*
 * Numbers are written as PostgreSQL 15's numeric_out prints them (each pair
 * checked with psql: SELECT 'IN'::jsonb::text), so a pin reads back the
 * same from both drivers.
 */
static const char *const pg_numbers[][2] = {
    {"1.10", "1.10"},
    {"12345678901234567890", "12345678901234567890"},
    {"12345678901234567890123", "12345678901234567890123"},
    {"1e3", "1000"},
    {"1.50", "1.50"},
    {"1.5e-3", "0.0015"},
    {"-0", "0"},
    {"1E+2", "100"},
    {"0e-5", "0.00000"},
    {"-0.0", "0.0"},
    {"1e-3", "0.001"},
    {"123.456e1", "1234.56"},
    {"0.1e1", "1"},
    {"1.0e0", "1.0"},
    {"-1.50E-2", "-0.0150"},
    {"100e-2", "1.00"},
    {"1e20", "100000000000000000000"},
    {"1.5e20", "150000000000000000000"},
    {"0.00", "0.00"},
    {"-0e10", "0"},
    {"5e-1", "0.5"},
    {"9.99e2", "999"},
    {"-0.0e-3", "0.0000"},
    {"1e0000000000000000000000005", "100000"},
    {"0e1073741822", "0"},
    {"0", "0"},
    {"-7", "-7"},
    {"3.141592653589793238462643", "3.141592653589793238462643"},
    {"123456789012345678901234567890.000000000000000000001",
     "123456789012345678901234567890.000000000000000000001"},
};

static void test_pin_json_numbers_are_printed_as_postgresql_prints_them(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pg_numbers) / sizeof(pg_numbers[0]); i++) {
		char pretty[256];

		snprintf(pretty, sizeof(pretty), "%s\n", pg_numbers[i][1]);
		expect_render(pg_numbers[i][0], PIN_JSON_COMPACT, pg_numbers[i][1]);
		expect_render(pg_numbers[i][0], PIN_JSON_PRETTY, pretty);
		/* What PostgreSQL prints it prints again unchanged. */
		expect_render(pg_numbers[i][1], PIN_JSON_COMPACT, pg_numbers[i][1]);
	}
}

static void test_pin_json_numbers_in_containers_are_printed_as_postgresql_does(void **state)
{
	(void)state;
	expect_render("[1.10, 12345678901234567890, 1e3, -0]", PIN_JSON_COMPACT,
		      "[1.10,12345678901234567890,1000,0]");
	expect_render("{\"rpm\": 1.10, \"e\": 2E-2}", PIN_JSON_PRETTY,
		      "{\n  \"rpm\": 1.10,\n  \"e\": 0.02\n}\n");
}

/* Calls canonicalize; returns its result, *ret_out the compact text (or NULL). */
static int canon(const char *in, size_t max, char **ret_out, size_t *ret_pretty_len)
{
	struct pfs_error err = {0};
	char *sentinel = (char *)"untouched";
	char *out = sentinel;
	size_t len = 4242, plen = 4242;
	int r = pin_json_canonicalize(in, strlen(in), max, &out, &len, &plen, &err);

	if (r < 0) {
		assert_ptr_equal(out, sentinel);
		assert_int_equal(len, 4242);
		assert_int_equal(plen, 4242);
		assert_int_equal(err.code, r);
		assert_true(err.message[0] != '\0');
		out = NULL;
	} else {
		assert_int_equal(len, strlen(out));
	}
	if (ret_out)
		*ret_out = out;
	else if (out)
		free(out);
	if (ret_pretty_len)
		*ret_pretty_len = r < 0 ? 0 : plen;
	return r;
}

/* Repeats c n times between prefix and suffix; a new string. */
static char *repeat(const char *prefix, const char *c, size_t n, const char *suffix)
{
	size_t lc = strlen(c), lp = strlen(prefix), ls = strlen(suffix);
	char *s = malloc(lp + lc * n + ls + 1);

	assert_non_null(s);
	memcpy(s, prefix, lp);
	for (size_t i = 0; i < n; i++)
		memcpy(s + lp + i * lc, c, lc);
	memcpy(s + lp + lc * n, suffix, ls + 1);
	return s;
}

/*
 * numeric's range: 131072 digits before the point, 16383 after, an
 * exponent under 1073741823. Past it PostgreSQL refuses the value
 * ("value overflows numeric format"): a new value is refused the same way
 * on both drivers.
 */
static void test_pin_json_canonicalize_refuses_numbers_postgresql_refuses(void **state)
{
	static const char *const refused[] = {
	    "1e131072",
	    "10e131071",
	    "-1e131072",
	    "1e-16384",
	    "10e-16384",
	    "0e-16384",
	    "0.0e-16383",
	    "1.5e-16383",
	    "123e-16384",
	    "0e1073741823",
	    "0e-1073741822",
	    "1e2147483648",
	    "1e-2147483648",
	    "1e99999999999999999999",
	    "[1, {\"a\": 1e999999}]",
	};
	static const char *const at_the_limit[] = {
	    "1e131071", "9.9e131071", "0.1e131072", "1e-16383",
	    "0e-16383", "12e-16383",  "0.1e-16382", "0e999999",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (canon(refused[i], PIN_JSON_UNLIMITED, NULL, NULL) != -EINVAL)
			fail_msg("%s was not refused", refused[i]);
	}
	for (size_t i = 0; i < sizeof(at_the_limit) / sizeof(at_the_limit[0]); i++) {
		if (canon(at_the_limit[i], PIN_JSON_UNLIMITED, NULL, NULL) != 0)
			fail_msg("%s was refused", at_the_limit[i]);
	}
}

static void test_pin_json_numbers_at_the_limits_have_postgresqls_lengths(void **state)
{
	char *out;
	size_t plen;

	(void)state;
	/* psql: length('1e131071'::jsonb::text) = 131072, '1e-16383' 16385, '0e-16383' 16385. */
	assert_int_equal(canon("1e131071", PIN_JSON_UNLIMITED, &out, &plen), 0);
	assert_int_equal(strlen(out), 131072);
	assert_true(out[0] == '1' && strspn(out + 1, "0") == 131071);
	assert_int_equal(plen, 131073);
	free(out);
	assert_int_equal(canon("1e-16383", PIN_JSON_UNLIMITED, &out, NULL), 0);
	assert_int_equal(strlen(out), 16385);
	assert_true(strncmp(out, "0.", 2) == 0 && strspn(out + 2, "0") == 16382 &&
		    out[16384] == '1');
	free(out);
	assert_int_equal(canon("0e-16383", PIN_JSON_UNLIMITED, &out, NULL), 0);
	assert_int_equal(strlen(out), 16385);
	free(out);
}

/* Stored by another tool (SQLite only: PostgreSQL never holds one), shown as stored. */
static void test_pin_json_render_shows_out_of_range_numbers_as_stored(void **state)
{
	(void)state;
	expect_render("1e999999", PIN_JSON_COMPACT, "1e999999");
	expect_render("[1e131072, 1e3]", PIN_JSON_COMPACT, "[1e131072,1000]");
	expect_render("0e-16384", PIN_JSON_PRETTY, "0e-16384\n");
}

static void test_pin_json_scan_refuses_out_of_range_number_at_the_write(void **state)
{
	struct pin_scan *sc = pin_scan_new(PIN_JSON_UNLIMITED);

	(void)state;
	assert_non_null(sc);
	/* The number is judged once it ends (here at the newline). */
	assert_int_equal(pin_scan_feed(sc, "1e999999", 8), 0);
	assert_int_equal(pin_scan_feed(sc, "\n", 1), -EINVAL);
	assert_int_equal(pin_scan_feed(sc, " ", 1), -EINVAL);
	assert_int_equal(pin_scan_reset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "[1e131071, ", 11), 0);
	pin_scan_free(sc);
}

/* ---- repeated keys ----------------------------------------------------- */

static void test_pin_json_canonicalize_refuses_a_repeated_key(void **state)
{
	static const char *const refused[] = {
	    "{\"a\":1,\"a\":2}",
	    "{\"a\":1,\"b\":2,\"a\":1}",
	    "{\"x\":[{\"k\":1,\"j\":2,\"k\":3}]}",
	    "{\"a\":1,\"\\u0061\":2}", /* the same key, escaped */
	    "{\"\":1,\"\":2}",
	    "{\"a\":{\"b\":1},\"c\":2,\"a\":3}",
	};
	static const char *const accepted[] = {
	    "{\"a\":{\"a\":{\"a\":1}}}",
	    "[{\"a\":1},{\"a\":2}]",
	    "{\"a\":1,\"A\":2,\"a \":3,\"ab\":4,\"b\":5}",
	    "{\"a\":[{\"b\":1}],\"b\":{\"a\":1}}",
	};
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (canon(refused[i], PIN_JSON_UNLIMITED, NULL, NULL) != -EINVAL)
			fail_msg("%s was not refused", refused[i]);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		if (canon(accepted[i], PIN_JSON_UNLIMITED, &out, NULL) != 0)
			fail_msg("%s was refused", accepted[i]);
		assert_string_equal(out, accepted[i]);
		free(out);
	}
}

static void test_pin_json_canonicalize_many_keys_one_repeated_is_refused(void **state)
{
	char *doc = malloc(20 * 5000 + 32);
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	doc[n++] = '{';
	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(doc + n, "%s\"k%d\":%d", i ? "," : "", i, i);
	strcpy(doc + n, "}");
	assert_int_equal(canon(doc, PIN_JSON_UNLIMITED, NULL, NULL), 0);
	strcpy(doc + n, ",\"k4321\":0}");
	assert_int_equal(canon(doc, PIN_JSON_UNLIMITED, NULL, NULL), -EINVAL);
	free(doc);
}

/* A stored row with a repeated key (SQLite keeps both) reads back as stored. */
static void test_pin_json_render_keeps_a_repeated_key_as_stored(void **state)
{
	(void)state;
	expect_render("{\"a\":1,\"a\":2}", PIN_JSON_PRETTY, "{\n  \"a\": 1,\n  \"a\": 2\n}\n");
}

/* ---- the limit is on what readers get ------------------------------------ */

static void test_pin_json_canonicalize_reports_the_pretty_length(void **state)
{
	static const char *const docs[] = {
	    "1",
	    "\"x\"",
	    "[]",
	    "{}",
	    "[1,2,[3,{}]]",
	    "{\"a\":{\"b\":[1e3,null,\"\\u0001\"]}}",
	    "  [ 1.5e-3 , -0 ]  ",
	    "{\"k\":\"caf\xc3\xa9\",\"l\":[[[[true]]]]}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *pretty, *compact;
		size_t n, plen;

		assert_int_equal(pin_json_render(docs[i], strlen(docs[i]), PIN_JSON_PRETTY,
						 PIN_JSON_UNLIMITED, &pretty, &n, NULL),
				 0);
		assert_int_equal(canon(docs[i], PIN_JSON_UNLIMITED, &compact, &plen), 0);
		if (plen != n)
			fail_msg("%s: pretty length %zu, canonicalize said %zu", docs[i], n, plen);
		/* Exactly at the limit is fine; one byte less is EFBIG, for both. */
		free(compact);
		assert_int_equal(canon(docs[i], n, NULL, NULL), 0);
		assert_int_equal(canon(docs[i], n - 1, NULL, NULL), -EFBIG);
		free(pretty);
		assert_int_equal(pin_json_render(docs[i], strlen(docs[i]), PIN_JSON_PRETTY, n,
						 &pretty, &n, NULL),
				 0);
		free(pretty);
		assert_int_equal(pin_json_render(docs[i], strlen(docs[i]), PIN_JSON_COMPACT, n - 1,
						 &pretty, &n, NULL),
				 -EFBIG);
		/* The scanner counts the same, final newline included, once the value is complete.
		 */
		if (strcmp(docs[i], "1") != 0) {
			struct pin_scan *fits = pin_scan_new(n), *over = pin_scan_new(n - 1);

			assert_non_null(fits);
			assert_non_null(over);
			assert_int_equal(pin_scan_feed(fits, docs[i], strlen(docs[i])), 0);
			assert_int_equal(pin_scan_feed(over, docs[i], strlen(docs[i])), -EFBIG);
			pin_scan_free(fits);
			pin_scan_free(over);
		}
	}
}

/*
 * The bomb: 9 KB of "1e131071" print as 131 MB. Refused with
 * EFBIG by canonicalize and by the scanner at the write that crosses the
 * limit, without building the digits.
 */
static void test_pin_json_exponent_bomb_is_efbig_at_once(void **state)
{
	char *bomb = repeat("[1e131071", ",1e131071", 999, "]");
	struct pin_scan *sc = pin_scan_new(1048576);
	size_t off = 0, failed_at = 0;
	int r = 0;

	(void)state;
	assert_non_null(sc);
	assert_int_equal(canon(bomb, 1048576, NULL, NULL), -EFBIG);
	assert_int_equal(pin_json_render(bomb, strlen(bomb), PIN_JSON_PRETTY, 1048576,
					 &(char *){NULL}, &(size_t){0}, NULL),
			 -EFBIG);
	/* Written 4 KiB at a time: the first write whose numbers pass 1 MiB fails. */
	while (off < strlen(bomb) && r == 0) {
		size_t n = strlen(bomb) - off < 4096 ? strlen(bomb) - off : 4096;

		r = pin_scan_feed(sc, bomb + off, n);
		off += n;
		failed_at = off;
	}
	assert_int_equal(r, -EFBIG);
	/* 1 MiB is 8 numbers of 131,075 bytes each (indent, digits, ","): the first 4 KiB. */
	assert_int_equal(failed_at, 4096);
	assert_int_equal(pin_scan_feed(sc, "]", 1), -EFBIG); /* it stays failed */
	pin_scan_free(sc);
	free(bomb);
}

/*
 * The other amplifier: indentation. Items 64 levels deep carry 128 spaces
 * each when pretty-printed: 20 KB of input become 1.3 MB for readers, and
 * that is what the limit counts.
 */
static void test_pin_json_deep_nesting_counts_its_indentation(void **state)
{
	char *deep = repeat("", "[", 63, "");
	char *doc;
	char *items = repeat("0", ",0", 9999, ""); /* 10,000 items at depth 64 */
	size_t plen;

	(void)state;
	doc = malloc(strlen(deep) + 1 + strlen(items) + 64 + 1);
	assert_non_null(doc);
	strcpy(doc, deep);
	strcat(doc, "[");
	strcat(doc, items);
	for (int i = 0; i < 64; i++)
		strcat(doc, "]");
	/* 20 KB in; each item "\n" + 128 spaces + "0," = 131 bytes: 1.3 MB out. */
	assert_true(strlen(doc) < 21000);
	assert_int_equal(canon(doc, PIN_JSON_UNLIMITED, NULL, &plen), 0);
	assert_true(plen > 1048576);
	assert_int_equal(canon(doc, 1048576, NULL, NULL), -EFBIG);
	free(doc);
	free(items);
	free(deep);
}

/* ---- strings -------------------------------------------------------------- */

static void test_pin_json_strings_keep_utf8_unescaped(void **state)
{
	(void)state;
	expect_render("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", PIN_JSON_COMPACT,
		      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* \u escapes of printable characters come out as the characters. */
	expect_render("\"caf\\u00e9\"", PIN_JSON_COMPACT, "\"caf\xc3\xa9\"");
	expect_render("\"\\u20AC\"", PIN_JSON_COMPACT, "\"\xe2\x82\xac\"");
	expect_render("\"\\ud83d\\ude00\"", PIN_JSON_COMPACT, "\"\xf0\x9f\x98\x80\"");
	expect_render("\"\\u0041\"", PIN_JSON_COMPACT, "\"A\"");
	expect_render("{\"\xc3\xa9\":1}", PIN_JSON_PRETTY, "{\n  \"\xc3\xa9\": 1\n}\n");
}

static void test_pin_json_strings_solidus_is_not_escaped(void **state)
{
	(void)state;
	expect_render("\"a/b\"", PIN_JSON_COMPACT, "\"a/b\"");
	expect_render("\"a\\/b\"", PIN_JSON_COMPACT, "\"a/b\"");
}

static void test_pin_json_strings_quote_and_backslash_are_escaped(void **state)
{
	(void)state;
	expect_render("\"say \\\"hi\\\"\"", PIN_JSON_COMPACT, "\"say \\\"hi\\\"\"");
	expect_render("\"c:\\\\dir\"", PIN_JSON_COMPACT, "\"c:\\\\dir\"");
	expect_render("\"\\u0022\\u005c\"", PIN_JSON_COMPACT, "\"\\\"\\\\\"");
	expect_render("{\"a\\\"b\":\"\\\\\"}", PIN_JSON_PRETTY, "{\n  \"a\\\"b\": \"\\\\\"\n}\n");
}

static void test_pin_json_strings_named_control_escapes_are_short(void **state)
{
	(void)state;
	expect_render("\"\\n\\t\\r\\b\\f\"", PIN_JSON_COMPACT, "\"\\n\\t\\r\\b\\f\"");
	expect_render("\"\\u000a\\u0009\\u000d\\u0008\\u000c\"", PIN_JSON_COMPACT,
		      "\"\\n\\t\\r\\b\\f\"");
	expect_render("\"line1\\nline2\"", PIN_JSON_PRETTY, "\"line1\\nline2\"\n");
}

static void test_pin_json_strings_other_controls_are_u00xx(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"\"\\u0001\"", "\"\\u0001\""},
	    {"\"\\u001f\"", "\"\\u001f\""},
	    {"\"\\u001B[0m\"", "\"\\u001b[0m\""},
	    {"\"a\\u0007b\"", "\"a\\u0007b\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		size_t n = 0;

		assert_int_equal(pin_json_render(cases[i].in, strlen(cases[i].in), PIN_JSON_COMPACT,
						 PIN_JSON_UNLIMITED, &out, &n, NULL),
				 0);
		/* The hex digits' case is not part of the contract. */
		if (strcasecmp(out, cases[i].want) != 0)
			fail_msg("render(%s) = %s, want %s", cases[i].in, out, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		free(out);
	}
}

static void test_pin_json_strings_lone_surrogate_escape_is_einval(void **state)
{
	(void)state;
	/*
	 * A \u escape that is half of a UTF-16 pair has no UTF-8 form: it must
	 * be refused, not turned into "?", into invalid UTF-8, or glued to the
	 * next escape as if it were a pair (jansson and PostgreSQL jsonb refuse it).
	 */
	expect_invalid("\"\\ud800\"");
	expect_invalid("\"\\udc00\"");
	expect_invalid("\"\\ud83d\\u0041\"");
	expect_invalid("\"\\ud83dx\"");
	expect_invalid("{\"\\udfff\":1}");
}

static void test_pin_json_render_reterr_may_be_null(void **state)
{
	char *out = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(
	    pin_json_render("{", 1, PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &out, &n, NULL), -EINVAL);
	assert_null(out);
	assert_int_equal(
	    pin_json_render("{}", 2, PIN_JSON_PRETTY, PIN_JSON_UNLIMITED, &out, &n, NULL), 0);
	assert_string_equal(out, "{}\n");
	free(out);
}

/* ---- the incremental scanner --------------------------------------------- */

/* Feeds s one byte at a time; returns the index of the byte that failed, or -1. */
static long feed_bytes(struct pin_scan *sc, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int r = pin_scan_feed(sc, s + i, 1);

		if (r == 0)
			continue;
		assert_int_equal(r, -EINVAL);
		return (long)i;
	}
	return -1;
}

static long feed_str(struct pin_scan *sc, const char *s)
{
	return feed_bytes(sc, s, strlen(s));
}

static int setup_scan(void **state)
{
	*state = pin_scan_new(PIN_JSON_UNLIMITED);
	return *state ? 0 : -1;
}

static int teardown_scan(void **state)
{
	assert_null(pin_scan_free(*state));
	return 0;
}

static void test_pin_scan_object_byte_by_byte_never_fails(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(feed_str(sc, "{\"a\": 1}"), -1);
	assert_int_equal(pin_scan_offset(sc), 8);
}

static void test_pin_scan_valid_documents_byte_by_byte_never_fail(void **state)
{
	static const char *const docs[] = {
	    "{\n  \"a\": [1, 2.5e-3, -0, true, false, null],\n  \"b\": {}\n}\n",
	    "  \"caf\xc3\xa9 \\u00e9 \\\" \\\\ \\n\"  ",
	    "12345678901234567890",
	    "[[[[[]]]]]",
	    "null\n\n",
	    "\"\xf0\x9f\x98\x80\"",
	};
	struct pin_scan *sc = *state;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		assert_int_equal(pin_scan_reset(sc), 0);
		if (feed_str(sc, docs[i]) != -1)
			fail_msg("valid document #%zu refused", i);
		assert_int_equal(pin_scan_offset(sc), strlen(docs[i]));
	}
}

static void test_pin_scan_whole_buffer_at_once_is_ok(void **state)
{
	struct pin_scan *sc = *state;
	const char *doc = "{\"rate\": {\"default_rpm\": 600}}\n";

	assert_int_equal(pin_scan_feed(sc, doc, strlen(doc)), 0);
	assert_int_equal(pin_scan_offset(sc), strlen(doc));
}

static void test_pin_scan_not_json_fails_at_second_byte(void **state)
{
	struct pin_scan *sc = *state;

	/* "n" can begin null; "no" cannot. */
	assert_int_equal(feed_str(sc, "not-json"), 1);
}

static void test_pin_scan_not_json_in_one_piece_fails(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "not-json\n", 9), -EINVAL);
}

static void test_pin_scan_literal_prefixes_are_ok(void **state)
{
	static const char *const prefixes[] = {
	    "n",      "nu",
	    "nul",    "null",
	    "t",      "tr",
	    "tru",    "true",
	    "f",      "fals",
	    "false",  "-",
	    "1.",     "1e",
	    "1e+",    "-0.",
	    "\"",     "\"abc",
	    "\"\\",   "\"\\u00",
	    "{",      "{\"a\":",
	    "{\"a\"", "[",
	    "[1,",    "[1, {\"b\": [",
	    "   ",    "\n",
	    "\"\xc3",
	};
	struct pin_scan *sc = *state;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		assert_int_equal(pin_scan_reset(sc), 0);
		if (pin_scan_feed(sc, prefixes[i], strlen(prefixes[i])) != 0)
			fail_msg("prefix \"%s\" refused", prefixes[i]);
		assert_int_equal(pin_scan_reset(sc), 0);
		if (feed_str(sc, prefixes[i]) != -1)
			fail_msg("prefix \"%s\" refused byte by byte", prefixes[i]);
	}
}

static void test_pin_scan_impossible_starts_fail(void **state)
{
	static const char *const bad[] = {
	    "}",       "]",	   ",",	 ":",  "x",	 "'",	    "no",   "nx", "tx",
	    "trux",    "fa1",	   "+",	 "-a", "1.e",	 "01",	    "[1,]", "{,",
	    "{\"a\",", "[}", "{]", "\"\xff", "\"a\x01", "N",    "T",
	};
	struct pin_scan *sc = *state;

	int failures = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pin_scan_reset(sc), 0);
		if (pin_scan_feed(sc, bad[i], strlen(bad[i])) != -EINVAL) {
			print_error("impossible prefix \"%s\" accepted\n", bad[i]);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/*
 * yajl holds a number or literal token until it ends, without checking that
 * the parser can take one there; those prefixes pass the write() check and
 * are refused when the whole document is judged at close.
 */
static void test_pin_scan_unfinished_token_in_wrong_place_is_caught_at_render(void **state)
{
	static const char *const late[] = {"{1", "{\"a\" 1"};
	struct pin_scan *sc = *state;

	for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
		char *out = NULL;
		size_t len = 0;

		assert_int_equal(pin_scan_reset(sc), 0);
		assert_int_equal(pin_scan_feed(sc, late[i], strlen(late[i])), 0);
		assert_int_equal(pin_json_render(late[i], strlen(late[i]), PIN_JSON_COMPACT,
						 PIN_JSON_UNLIMITED, &out, &len, NULL),
				 -EINVAL);
		assert_null(out);
	}
}

static void test_pin_scan_formfeed_and_vtab_fail(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "\f", 1), -EINVAL);
	assert_int_equal(pin_scan_reset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "[1,", 3), 0);
	assert_int_equal(pin_scan_feed(sc, "\v", 1), -EINVAL);
}

static void test_pin_scan_close_brace_fails_at_once(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "}", 1), -EINVAL);
}

static void test_pin_scan_split_number_is_one_value(void **state)
{
	struct pin_scan *sc = *state;

	/* "1" then "2" is the number 12, not two values. */
	assert_int_equal(pin_scan_feed(sc, "1", 1), 0);
	assert_int_equal(pin_scan_feed(sc, "2", 1), 0);
	assert_int_equal(pin_scan_feed(sc, "\n", 1), 0);
	assert_int_equal(pin_scan_offset(sc), 3);
}

static void test_pin_scan_split_utf8_char_is_ok(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "\"\xe2", 2), 0);
	assert_int_equal(pin_scan_feed(sc, "\x82", 1), 0);
	assert_int_equal(pin_scan_feed(sc, "\xac\"", 2), 0);
}

static void test_pin_scan_second_value_fails(void **state)
{
	static const char *const cases[] = {
	    "1 2", "{} {", "{\"a\":1}\n{", "[1]x", "null n", "\"a\" \"", "true,", "0 -",
	};
	struct pin_scan *sc = *state;

	int failures = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i]);
		long at;

		assert_int_equal(pin_scan_reset(sc), 0);
		/* Everything but the last byte is a fine prefix; the last byte is not. */
		at = feed_bytes(sc, cases[i], len);
		if (at != (long)len - 1) {
			print_error("\"%s\" fed byte by byte: failed at byte %ld, want %ld\n",
				    cases[i], at, (long)len - 1);
			failures++;
		}
		/* The same in one piece. */
		assert_int_equal(pin_scan_reset(sc), 0);
		if (pin_scan_feed(sc, cases[i], len) != -EINVAL) {
			print_error("\"%s\" fed at once: accepted\n", cases[i]);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

static void test_pin_scan_trailing_whitespace_after_value_is_ok(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "{\"a\":1}", 7), 0);
	assert_int_equal(pin_scan_feed(sc, " \n\t\r\n", 5), 0);
	assert_int_equal(pin_scan_feed(sc, "\n", 1), 0);
	assert_int_equal(pin_scan_feed(sc, "x", 1), -EINVAL);
}

static void test_pin_scan_stays_failed(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "no", 2), -EINVAL);
	/* Even bytes that would have made sense later are refused. */
	assert_int_equal(pin_scan_feed(sc, "ull", 3), -EINVAL);
	assert_int_equal(pin_scan_feed(sc, " ", 1), -EINVAL);
	assert_int_equal(pin_scan_feed(sc, "{}", 2), -EINVAL);
}

static void test_pin_scan_reset_makes_it_usable_again(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "}", 1), -EINVAL);
	assert_int_equal(pin_scan_reset(sc), 0);
	assert_int_equal(pin_scan_offset(sc), 0);
	assert_int_equal(feed_str(sc, "{\"a\": 1}"), -1);
	assert_int_equal(pin_scan_offset(sc), 8);

	/* A complete value, then reset: a new value may start. */
	assert_int_equal(pin_scan_reset(sc), 0);
	assert_int_equal(pin_scan_offset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "[2]", 3), 0);
	assert_int_equal(pin_scan_offset(sc), 3);
}

static void test_pin_scan_reset_forgets_an_open_prefix(void **state)
{
	struct pin_scan *sc = *state;

	/* Without the reset, "}" after "[" would fail; after it, "{" must start afresh. */
	assert_int_equal(pin_scan_feed(sc, "[1,", 3), 0);
	assert_int_equal(pin_scan_reset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "{}", 2), 0);
	assert_int_equal(pin_scan_feed(sc, " ", 1), 0);
}

static void test_pin_scan_offset_counts_fed_bytes(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_offset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "", 0), 0);
	assert_int_equal(pin_scan_offset(sc), 0);
	assert_int_equal(pin_scan_feed(sc, "[1,", 3), 0);
	assert_int_equal(pin_scan_offset(sc), 3);
	assert_int_equal(pin_scan_feed(sc, " 2]", 3), 0);
	assert_int_equal(pin_scan_offset(sc), 6);
}

static void test_pin_scan_empty_feed_is_ok(void **state)
{
	struct pin_scan *sc = *state;

	assert_int_equal(pin_scan_feed(sc, "", 0), 0);
	assert_int_equal(pin_scan_feed(sc, "[", 1), 0);
	assert_int_equal(pin_scan_feed(sc, "", 0), 0);
	assert_int_equal(pin_scan_feed(sc, "]", 1), 0);
}

static void test_pin_scan_scanners_are_independent(void **state)
{
	struct pin_scan *a = *state;
	PFS_CLEANUP(pin_scan_freep) struct pin_scan *b = pin_scan_new(PIN_JSON_UNLIMITED);

	assert_non_null(b);
	assert_int_equal(pin_scan_feed(b, "}", 1), -EINVAL);
	assert_int_equal(pin_scan_feed(a, "{", 1), 0);
	assert_int_equal(pin_scan_feed(a, "}", 1), 0);
}

static void test_pin_scan_free_null_returns_null(void **state)
{
	(void)state;
	assert_null(pin_scan_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_json_pretty_object_is_jq_like),
	    cmocka_unit_test(test_pin_json_pretty_nested_containers_indent_two_spaces),
	    cmocka_unit_test(test_pin_json_pretty_empty_containers_are_compact),
	    cmocka_unit_test(test_pin_json_pretty_scalars_end_with_newline),
	    cmocka_unit_test(test_pin_json_pretty_keeps_object_key_order),
	    cmocka_unit_test(test_pin_json_pretty_strips_surrounding_whitespace),
	    cmocka_unit_test(test_pin_json_pretty_is_idempotent),
	    cmocka_unit_test(test_pin_json_compact_has_no_whitespace_or_newline),
	    cmocka_unit_test(test_pin_json_compact_scalars_have_no_newline),
	    cmocka_unit_test(test_pin_json_compact_of_pretty_equals_compact),
	    cmocka_unit_test(test_pin_json_render_uses_len_not_nul),
	    cmocka_unit_test(test_pin_json_render_embedded_nul_is_einval),
	    cmocka_unit_test(test_pin_json_render_empty_is_einval),
	    cmocka_unit_test(test_pin_json_render_whitespace_only_is_einval),
	    cmocka_unit_test(test_pin_json_render_second_value_is_einval),
	    cmocka_unit_test(test_pin_json_render_incomplete_is_einval),
	    cmocka_unit_test(test_pin_json_render_not_json_is_einval),
	    cmocka_unit_test(test_pin_json_render_formfeed_and_vtab_are_not_whitespace),
	    cmocka_unit_test(test_pin_json_render_bad_numbers_are_einval),
	    cmocka_unit_test(test_pin_json_render_invalid_utf8_is_einval),
	    cmocka_unit_test(test_pin_json_render_depth_64_is_ok),
	    cmocka_unit_test(test_pin_json_render_depth_65_is_einval),
	    cmocka_unit_test(test_pin_json_render_depth_mixed_65_is_einval),
	    cmocka_unit_test(test_pin_json_render_very_deep_is_einval_not_crash),
	    cmocka_unit_test(test_pin_json_render_wide_is_ok),
	    cmocka_unit_test(test_pin_json_numbers_are_printed_as_postgresql_prints_them),
	    cmocka_unit_test(test_pin_json_numbers_in_containers_are_printed_as_postgresql_does),
	    cmocka_unit_test(test_pin_json_canonicalize_refuses_numbers_postgresql_refuses),
	    cmocka_unit_test(test_pin_json_numbers_at_the_limits_have_postgresqls_lengths),
	    cmocka_unit_test(test_pin_json_render_shows_out_of_range_numbers_as_stored),
	    cmocka_unit_test(test_pin_json_scan_refuses_out_of_range_number_at_the_write),
	    cmocka_unit_test(test_pin_json_canonicalize_refuses_a_repeated_key),
	    cmocka_unit_test(test_pin_json_canonicalize_many_keys_one_repeated_is_refused),
	    cmocka_unit_test(test_pin_json_render_keeps_a_repeated_key_as_stored),
	    cmocka_unit_test(test_pin_json_canonicalize_reports_the_pretty_length),
	    cmocka_unit_test(test_pin_json_exponent_bomb_is_efbig_at_once),
	    cmocka_unit_test(test_pin_json_deep_nesting_counts_its_indentation),
	    cmocka_unit_test(test_pin_json_strings_keep_utf8_unescaped),
	    cmocka_unit_test(test_pin_json_strings_solidus_is_not_escaped),
	    cmocka_unit_test(test_pin_json_strings_quote_and_backslash_are_escaped),
	    cmocka_unit_test(test_pin_json_strings_named_control_escapes_are_short),
	    cmocka_unit_test(test_pin_json_strings_other_controls_are_u00xx),
	    cmocka_unit_test(test_pin_json_strings_lone_surrogate_escape_is_einval),
	    cmocka_unit_test(test_pin_json_render_reterr_may_be_null),
	    cmocka_unit_test_setup_teardown(test_pin_scan_object_byte_by_byte_never_fails,
					    setup_scan, teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_valid_documents_byte_by_byte_never_fail,
					    setup_scan, teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_whole_buffer_at_once_is_ok, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_not_json_fails_at_second_byte, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_not_json_in_one_piece_fails, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_literal_prefixes_are_ok, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(
		test_pin_scan_unfinished_token_in_wrong_place_is_caught_at_render, setup_scan,
		teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_impossible_starts_fail, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_formfeed_and_vtab_fail, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_close_brace_fails_at_once, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_split_number_is_one_value, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_split_utf8_char_is_ok, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_second_value_fails, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_trailing_whitespace_after_value_is_ok,
					    setup_scan, teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_stays_failed, setup_scan, teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_reset_makes_it_usable_again, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_reset_forgets_an_open_prefix, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_offset_counts_fed_bytes, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_empty_feed_is_ok, setup_scan,
					    teardown_scan),
	    cmocka_unit_test_setup_teardown(test_pin_scan_scanners_are_independent, setup_scan,
					    teardown_scan),
	    cmocka_unit_test(test_pin_scan_free_null_returns_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
