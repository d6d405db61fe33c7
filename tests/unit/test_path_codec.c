/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for path_codec: tenant names, key validation, the key <-> file
 * name codec ("/" <-> "%2F", "%" <-> "%25", exact round trip) and the create
 * classes (refused editor names, sed/python scratch names, ordinary keys).
 * Written from include/pinfs/path_codec.h and DESIGN.md sections 2 and 11.
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

#include <cmocka.h>

#include "pinfs/path_codec.h"

/* A malloc'ed string of n copies of c. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Asserts that decode(name) succeeds with exactly want. */
static void expect_decode(const char *name, const char *want)
{
	char *key = (char *)0x1;
	int r = path_key_decode(name, &key);

	if (r != 0)
		fail_msg("path_key_decode(\"%s\") = %d, want 0", name, r);
	assert_non_null(key);
	assert_string_equal(key, want);
	free(key);
}

/* Asserts that decode(name) fails with err and leaves *ret_key alone. */
static void expect_decode_fails(const char *name, int err)
{
	char *sentinel = (char *)"untouched";
	char *key = sentinel;
	int r = path_key_decode(name, &key);

	if (r != err) {
		if (r == 0)
			free(key);
		fail_msg("path_key_decode(\"%s\") = %d, want %d", name, r, err);
	}
	assert_ptr_equal(key, sentinel);
}

static void expect_encode(const char *key, const char *want)
{
	char *name = NULL;
	int r = path_key_encode(key, &name);

	if (r != 0)
		fail_msg("path_key_encode(\"%s\") = %d, want 0", key, r);
	assert_non_null(name);
	assert_string_equal(name, want);
	free(name);
}

static void expect_encode_fails(const char *key, int err)
{
	char *sentinel = (char *)"untouched";
	char *name = sentinel;
	int r = path_key_encode(key, &name);

	if (r != err) {
		if (r == 0)
			free(name);
		fail_msg("path_key_encode(\"%.40s\") = %d, want %d", key, r, err);
	}
	assert_ptr_equal(name, sentinel);
}

/* ---- tenant names ---------------------------------------------------- */

static void test_path_codec_tenant_plain_names_are_valid(void **state)
{
	(void)state;
	assert_int_equal(path_tenant_validate("acme"), 0);
	assert_int_equal(path_tenant_validate("global"), 0);
	assert_int_equal(path_tenant_validate("lab-1"), 0);
	assert_int_equal(path_tenant_validate("A.b_c-9"), 0);
	assert_int_equal(path_tenant_validate("a"), 0);
	assert_int_equal(path_tenant_validate("0"), 0);
	assert_int_equal(path_tenant_validate("a.."), 0);
	assert_int_equal(path_tenant_validate("-x"), 0);
	assert_int_equal(path_tenant_validate("_"), 0);
}

static void test_path_codec_tenant_every_allowed_byte_is_accepted(void **state)
{
	const char *allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
	char name[3] = {'x', 0, 0};

	(void)state;
	for (const char *p = allowed; *p; p++) {
		name[1] = *p;
		if (path_tenant_validate(name) != 0)
			fail_msg("tenant \"%s\" refused", name);
	}
}

static void test_path_codec_tenant_other_bytes_are_einval(void **state)
{
	char name[3] = {'x', 0, 0};

	(void)state;
	for (int c = 1; c < 256; c++) {
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (ok)
			continue;
		name[1] = (char)c;
		if (path_tenant_validate(name) != -EINVAL)
			fail_msg("tenant \"x\\x%02x\" not refused with -EINVAL", c);
	}
}

static void test_path_codec_tenant_empty_is_einval(void **state)
{
	(void)state;
	assert_int_equal(path_tenant_validate(""), -EINVAL);
}

static void test_path_codec_tenant_leading_dot_is_einval(void **state)
{
	(void)state;
	assert_int_equal(path_tenant_validate(".system"), -EINVAL);
	assert_int_equal(path_tenant_validate("."), -EINVAL);
	assert_int_equal(path_tenant_validate(".."), -EINVAL);
	assert_int_equal(path_tenant_validate(".acme"), -EINVAL);
}

static void test_path_codec_tenant_glob_and_separators_are_einval(void **state)
{
	(void)state;
	assert_int_equal(path_tenant_validate("lab-*"), -EINVAL);
	assert_int_equal(path_tenant_validate("a/b"), -EINVAL);
	assert_int_equal(path_tenant_validate("a b"), -EINVAL);
	assert_int_equal(path_tenant_validate("a%2Fb"), -EINVAL);
	assert_int_equal(path_tenant_validate("caf\xc3\xa9"), -EINVAL);
	assert_int_equal(path_tenant_validate("a\n"), -EINVAL);
}

static void test_path_codec_tenant_64_bytes_is_valid(void **state)
{
	char *s = repeat('t', PATH_TENANT_MAX);

	(void)state;
	assert_int_equal(PATH_TENANT_MAX, 64);
	assert_int_equal(path_tenant_validate(s), 0);
	free(s);
}

static void test_path_codec_tenant_65_bytes_is_refused(void **state)
{
	char *s = repeat('t', PATH_TENANT_MAX + 1);
	int r = path_tenant_validate(s);

	(void)state;
	/* The header allows either errno for an overlong tenant. */
	if (r != -EINVAL && r != -ENAMETOOLONG)
		fail_msg("65-byte tenant: got %d, want -EINVAL or -ENAMETOOLONG", r);
	free(s);
}

/* ---- key validation -------------------------------------------------- */

static void test_path_codec_key_ordinary_keys_are_valid(void **state)
{
	(void)state;
	assert_int_equal(path_key_validate("config:rate_limits"), 0);
	assert_int_equal(path_key_validate("session:42"), 0);
	assert_int_equal(path_key_validate("feature_flags"), 0);
	assert_int_equal(path_key_validate("a"), 0);
	assert_int_equal(path_key_validate("a b"), 0);
	assert_int_equal(path_key_validate("a/b/c"), 0);
	assert_int_equal(path_key_validate("/"), 0);
	assert_int_equal(path_key_validate("100%"), 0);
	assert_int_equal(path_key_validate("%2F"), 0);
	assert_int_equal(path_key_validate("..."), 0);
	assert_int_equal(path_key_validate("a.."), 0);
}

static void test_path_codec_key_create_refused_names_are_still_valid_keys(void **state)
{
	(void)state;
	/* Refused on create only: keys written by other tools are served. */
	assert_int_equal(path_key_validate(".hidden"), 0);
	assert_int_equal(path_key_validate("notes~"), 0);
	assert_int_equal(path_key_validate("4913"), 0);
	assert_int_equal(path_key_validate("sedAbC123"), 0);
}

static void test_path_codec_key_utf8_is_valid(void **state)
{
	(void)state;
	assert_int_equal(path_key_validate("caf\xc3\xa9"), 0);	    /* é */
	assert_int_equal(path_key_validate("\xe2\x82\xac"), 0);	    /* € */
	assert_int_equal(path_key_validate("\xf0\x9f\x98\x80"), 0); /* U+1F600 */
	assert_int_equal(path_key_validate("\xf4\x8f\xbf\xbf"), 0); /* U+10FFFF */
	assert_int_equal(path_key_validate("\xe6\x97\xa5\xe6\x9c\xac"), 0);
}

static void test_path_codec_key_empty_is_einval(void **state)
{
	(void)state;
	assert_int_equal(path_key_validate(""), -EINVAL);
}

static void test_path_codec_key_dot_and_dotdot_are_einval(void **state)
{
	(void)state;
	assert_int_equal(path_key_validate("."), -EINVAL);
	assert_int_equal(path_key_validate(".."), -EINVAL);
}

static void test_path_codec_key_control_chars_are_einval(void **state)
{
	char key[4] = {'a', 0, 'b', 0};

	(void)state;
	for (int c = 1; c < 0x20; c++) {
		key[1] = (char)c;
		if (path_key_validate(key) != -EINVAL)
			fail_msg("key with byte 0x%02x not refused", c);
	}
	key[1] = 0x7f;
	assert_int_equal(path_key_validate(key), -EINVAL);
	assert_int_equal(path_key_validate("\n"), -EINVAL);
	assert_int_equal(path_key_validate("tab\there"), -EINVAL);
}

static void test_path_codec_key_invalid_utf8_is_einval(void **state)
{
	static const char *const bad[] = {
	    "\xff", /* never valid */
	    "\xfe",
	    "a\x80",		/* lone continuation byte */
	    "\xc3",		/* truncated 2-byte sequence */
	    "\xe2\x82",		/* truncated 3-byte sequence */
	    "\xf0\x9f\x98",	/* truncated 4-byte sequence */
	    "\xc3(",		/* bad continuation */
	    "\xc0\xaf",		/* overlong "/" */
	    "\xc1\xbf",		/* overlong */
	    "\xe0\x80\xaf",	/* overlong 3-byte "/" */
	    "\xf0\x80\x80\xaf", /* overlong 4-byte "/" */
	    "\xed\xa0\x80",	/* UTF-16 surrogate U+D800 */
	    "\xed\xbf\xbf",	/* UTF-16 surrogate U+DFFF */
	    "\xf4\x90\x80\x80", /* U+110000, beyond Unicode */
	    "\xf5\x80\x80\x80",
	    "caf\xe9", /* Latin-1 é */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (path_key_validate(bad[i]) != -EINVAL)
			fail_msg("invalid UTF-8 key #%zu accepted or wrong errno", i);
}

static void test_path_codec_key_1024_bytes_is_valid(void **state)
{
	char *s = repeat('k', PATH_KEY_MAX);

	(void)state;
	assert_int_equal(PATH_KEY_MAX, 1024);
	assert_int_equal(path_key_validate(s), 0);
	free(s);
}

static void test_path_codec_key_1025_bytes_is_refused(void **state)
{
	char *s = repeat('k', PATH_KEY_MAX + 1);
	int r = path_key_validate(s);

	(void)state;
	if (r != -EINVAL && r != -ENAMETOOLONG)
		fail_msg("1025-byte key: got %d, want -EINVAL or -ENAMETOOLONG", r);
	free(s);
}

/* ---- path_is_clean_utf8 ---------------------------------------------- */

static void test_path_codec_clean_utf8_accepts_text(void **state)
{
	(void)state;
	assert_true(path_is_clean_utf8("hello", 5));
	assert_true(path_is_clean_utf8("caf\xc3\xa9", 5));
	assert_true(path_is_clean_utf8("\xf0\x9f\x98\x80", 4));
	assert_true(path_is_clean_utf8("a/b%c", 5));
}

static void test_path_codec_clean_utf8_respects_len(void **state)
{
	(void)state;
	/* Only the first len bytes count. */
	assert_true(path_is_clean_utf8("ab\n", 2));
	assert_false(path_is_clean_utf8("ab\n", 3));
	assert_true(path_is_clean_utf8("ok\xff", 2));
	assert_false(path_is_clean_utf8("ok\xff", 3));
	/* A multibyte character cut by len is not valid. */
	assert_false(path_is_clean_utf8("\xc3\xa9", 1));
}

static void test_path_codec_clean_utf8_refuses_controls_and_nul(void **state)
{
	(void)state;
	assert_false(path_is_clean_utf8("a\0b", 3));
	assert_false(path_is_clean_utf8("\x1f", 1));
	assert_false(path_is_clean_utf8("\x7f", 1));
	assert_false(path_is_clean_utf8("\r", 1));
	assert_true(path_is_clean_utf8(" ", 1));
	assert_true(path_is_clean_utf8("~", 1));
}

static void test_path_codec_clean_utf8_c1_range_is_refused(void **state)
{
	(void)state;
	/* C1 controls (U+0080..U+009F, C2 80..C2 9F) are control characters too. */
	assert_false(path_is_clean_utf8("\xc2\x85", 2));
	assert_false(path_is_clean_utf8("a\xc2\x80\xc2\x9f", 5));
	assert_int_equal(path_key_validate("next\xc2\x85line"), -EINVAL);
	/* The next code point, U+00A0, is ordinary. */
	assert_true(path_is_clean_utf8("\xc2\xa0", 2));
}

static void test_path_codec_clean_utf8_refuses_bad_sequences(void **state)
{
	(void)state;
	assert_false(path_is_clean_utf8("\x80", 1));
	assert_false(path_is_clean_utf8("\xc0\xaf", 2));
	assert_false(path_is_clean_utf8("\xed\xa0\x80", 3));
	assert_false(path_is_clean_utf8("\xf4\x90\x80\x80", 4));
	assert_false(path_is_clean_utf8("\xe2\x82", 2));
}

/* ---- decode ----------------------------------------------------------- */

static void test_path_codec_decode_plain_name_is_itself(void **state)
{
	(void)state;
	expect_decode("config:rate_limits", "config:rate_limits");
	expect_decode("a b", "a b");
	expect_decode("caf\xc3\xa9", "caf\xc3\xa9");
	expect_decode(".hidden", ".hidden");
	expect_decode("4913", "4913");
}

static void test_path_codec_decode_slash_escape_gives_slash(void **state)
{
	(void)state;
	expect_decode("a%2Fb", "a/b");
	expect_decode("%2F", "/");
	expect_decode("%2F%2F", "//");
	expect_decode("x%2F", "x/");
}

static void test_path_codec_decode_percent_escape_gives_percent(void **state)
{
	(void)state;
	expect_decode("100%25", "100%");
	expect_decode("%25", "%");
	expect_decode("%2525", "%25");
	expect_decode("%252F", "%2F");
	expect_decode("%25%2F", "%/");
}

static void test_path_codec_decode_lowercase_escape_is_einval(void **state)
{
	(void)state;
	expect_decode_fails("a%2fb", -EINVAL);
	expect_decode_fails("%2f", -EINVAL);
}

static void test_path_codec_decode_other_percent_sequences_are_einval(void **state)
{
	static const char *const bad[] = {
	    "%",   "a%",  "%2",	 "a%2", "%41", "%20",  "%00",  "%2E", "%2e", "%%",  "%%25",
	    "%G0", "%2G", "50%", "%5C", "%3A", "%25%", "%2F%", "%f2", "%FF", "%+5",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_decode_fails(bad[i], -EINVAL);
}

static void test_path_codec_decode_dot_and_dotdot_are_einval(void **state)
{
	(void)state;
	expect_decode_fails(".", -EINVAL);
	expect_decode_fails("..", -EINVAL);
}

static void test_path_codec_decode_empty_is_einval(void **state)
{
	(void)state;
	expect_decode_fails("", -EINVAL);
}

static void test_path_codec_decode_raw_slash_is_einval(void **state)
{
	(void)state;
	/* "/" is always written %2F: a raw one would break the exact round trip. */
	expect_decode_fails("a/b", -EINVAL);
	expect_decode_fails("/", -EINVAL);
}

static void test_path_codec_decode_control_or_bad_utf8_is_einval(void **state)
{
	(void)state;
	expect_decode_fails("a\nb", -EINVAL);
	expect_decode_fails("\x7f", -EINVAL);
	expect_decode_fails("caf\xe9", -EINVAL);
	expect_decode_fails("\xc0\xaf", -EINVAL);
}

static void test_path_codec_decode_existing_takes_keys_other_tools_wrote(void **state)
{
	/* What readdir lists (path_key_encode) an existing-name lookup finds again. */
	static const char *const keys[] = {"a\nb", "tab\there", "\x7f", "\xc2\x85", "x/\x01%",
					   ".dot", "tilde~", "caf\xc3\xa9"};
	char *too_long = repeat('n', PATH_NAME_MAX + 1);

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *name = NULL, *key = NULL;

		assert_int_equal(path_key_encode(keys[i], &name), 0);
		assert_int_equal(path_key_decode_existing(name, &key), 0);
		assert_string_equal(key, keys[i]);
		free(key);
		free(name);
	}
	/* The structure still holds: no other "%" escape, no "/", ".", ".." or "". */
	for (const char *const *bad = (const char *const[]){"a%zz", "a%2f", "%", "a/b", ".", "..",
							    "", "caf\xe9", "\xc0\xaf", NULL};
	     *bad; bad++) {
		char *key = (char *)1;

		assert_int_equal(path_key_decode_existing(*bad, &key), -EINVAL);
		assert_ptr_equal(key, (char *)1);
	}
	{
		char *key = (char *)1;

		assert_int_equal(path_key_decode_existing(too_long, &key), -ENAMETOOLONG);
		assert_ptr_equal(key, (char *)1);
	}
	free(too_long);
}

static void test_path_codec_decode_255_bytes_is_valid(void **state)
{
	char *s = repeat('n', PATH_NAME_MAX);
	char *key = NULL;

	(void)state;
	assert_int_equal(path_key_decode(s, &key), 0);
	assert_non_null(key);
	assert_string_equal(key, s);
	free(key);
	free(s);
}

static void test_path_codec_decode_256_bytes_is_enametoolong(void **state)
{
	char *s = repeat('n', PATH_NAME_MAX + 1);

	(void)state;
	expect_decode_fails(s, -ENAMETOOLONG);
	free(s);
}

static void test_path_codec_decode_255_bytes_of_escapes_is_valid(void **state)
{
	/* 85 x "%2F" = 255 bytes of file name for an 85-byte key. */
	char name[PATH_NAME_MAX + 1];
	char want[86];
	char *key = NULL;

	(void)state;
	for (int i = 0; i < 85; i++)
		memcpy(name + 3 * i, "%2F", 3);
	name[255] = '\0';
	memset(want, '/', 85);
	want[85] = '\0';
	assert_int_equal(path_key_decode(name, &key), 0);
	assert_string_equal(key, want);
	free(key);
}

/* ---- encode ----------------------------------------------------------- */

static void test_path_codec_encode_plain_key_is_itself(void **state)
{
	(void)state;
	expect_encode("config:rate_limits", "config:rate_limits");
	expect_encode("caf\xc3\xa9", "caf\xc3\xa9");
	expect_encode("a b", "a b");
	expect_encode("2F", "2F");
}

static void test_path_codec_encode_slash_becomes_upper_2f(void **state)
{
	(void)state;
	expect_encode("a/b", "a%2Fb");
	expect_encode("/", "%2F");
	expect_encode("//x/", "%2F%2Fx%2F");
}

static void test_path_codec_encode_percent_becomes_25(void **state)
{
	(void)state;
	expect_encode("100%", "100%25");
	expect_encode("%", "%25");
	expect_encode("%2F", "%252F");
	expect_encode("%25", "%2525");
	expect_encode("a%/b", "a%25%2Fb");
}

static void test_path_codec_encode_dots_stay_dots(void **state)
{
	(void)state;
	/* Only "/" and "%" are escaped, never ".". */
	expect_encode("...", "...");
	expect_encode(".x", ".x");
	expect_encode("a/..", "a%2F..");
	expect_encode("./", ".%2F");
}

static void test_path_codec_encode_invalid_utf8_is_einval(void **state)
{
	(void)state;
	/* SQLite may hold such a key; it gets no file name (audit lines are JSON text). */
	expect_encode_fails("caf\xe9", -EINVAL);
	expect_encode_fails("\xc0\xaf", -EINVAL);
	expect_encode_fails("\xed\xa0\x80", -EINVAL);	/* a surrogate */
	expect_encode("tab\there", "tab\there");	/* control characters are UTF-8 */
}

static void test_path_codec_encode_dot_and_dotdot_are_einval(void **state)
{
	(void)state;
	/* "." and ".." are never keys: encoding them would name the directory itself. */
	expect_encode_fails(".", -EINVAL);
	expect_encode_fails("..", -EINVAL);
}

static void test_path_codec_encode_empty_is_einval(void **state)
{
	(void)state;
	expect_encode_fails("", -EINVAL);
}

static void test_path_codec_encode_255_bytes_is_valid(void **state)
{
	char *s = repeat('e', PATH_NAME_MAX);

	(void)state;
	expect_encode(s, s);
	free(s);
}

static void test_path_codec_encode_256_bytes_is_enametoolong(void **state)
{
	char *s = repeat('e', PATH_NAME_MAX + 1);

	(void)state;
	expect_encode_fails(s, -ENAMETOOLONG);
	free(s);
}

static void test_path_codec_encode_expansion_counts_towards_255(void **state)
{
	char *s85 = repeat('/', 85); /* encodes to 255 bytes */
	char *s86 = repeat('/', 86); /* encodes to 258 bytes */
	char *p = repeat('x', 253);  /* 252 x + "%" -> 252 + 3 = 255 */
	char *name = NULL;

	(void)state;
	assert_int_equal(path_key_encode(s85, &name), 0);
	assert_int_equal(strlen(name), 255);
	free(name);
	expect_encode_fails(s86, -ENAMETOOLONG);

	p[252] = '%';
	name = NULL;
	assert_int_equal(path_key_encode(p, &name), 0);
	assert_int_equal(strlen(name), 255);
	free(name);
	p[251] = '%'; /* now 251 + 3 + 3 = 257 */
	expect_encode_fails(p, -ENAMETOOLONG);

	free(s85);
	free(s86);
	free(p);
}

static void test_path_codec_encode_long_valid_key_is_enametoolong(void **state)
{
	/* A valid 1024-byte key exists but has no file name. */
	char *s = repeat('k', PATH_KEY_MAX);

	(void)state;
	assert_int_equal(path_key_validate(s), 0);
	expect_encode_fails(s, -ENAMETOOLONG);
	free(s);
}

/* ---- round trip ------------------------------------------------------- */

static void roundtrip_key(const char *key)
{
	char *name = NULL, *back = NULL;

	if (path_key_encode(key, &name) != 0)
		fail_msg("encode(\"%s\") failed", key);
	if (path_key_decode(name, &back) != 0)
		fail_msg("decode(encode(\"%s\")) = decode(\"%s\") failed", key, name);
	if (strcmp(back, key) != 0)
		fail_msg("round trip: \"%s\" -> \"%s\" -> \"%s\"", key, name, back);
	assert_null(strchr(name, '/'));
	free(name);
	free(back);
}

static void test_path_codec_roundtrip_tricky_keys_are_exact(void **state)
{
	static const char *const keys[] = {
	    "a",
	    "/",
	    "%",
	    "%%",
	    "%/",
	    "/%",
	    "%2F",
	    "%2f",
	    "%25",
	    "%252F",
	    "a%2Fb",
	    "a/b",
	    "//",
	    "a//b/",
	    "...",
	    ".a",
	    "a.",
	    "./",
	    "/.",
	    "../..",
	    "%2E%2E",
	    "x%",
	    "%x",
	    "~",
	    "4913",
	    "sedAAAAAA",
	    "tmpabcd_123",
	    "caf\xc3\xa9/%",
	    "\xf0\x9f\x98\x80%2F\xf0\x9f\x98\x80",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		roundtrip_key(keys[i]);
}

/* Deterministic xorshift so failures reproduce. */
static uint32_t rng_next(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void test_path_codec_roundtrip_random_keys_are_exact(void **state)
{
	static const char alphabet[] = "%/2F5fa.";
	uint32_t seed = 0x9e3779b9u;
	char key[40];

	(void)state;
	for (int n = 0; n < 5000; n++) {
		size_t len = 1 + rng_next(&seed) % (sizeof(key) - 1);

		for (size_t i = 0; i < len; i++)
			key[i] = alphabet[rng_next(&seed) % (sizeof(alphabet) - 1)];
		key[len] = '\0';
		if (strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
			continue;
		roundtrip_key(key);
	}
}

static void test_path_codec_roundtrip_random_names_decode_injectively(void **state)
{
	/*
	 * Any name that decodes must encode back to exactly itself: two file
	 * names never map to the same key.
	 */
	static const char alphabet[] = "%2F5fa.";
	uint32_t seed = 12345;
	char name[24];
	int decoded = 0;

	(void)state;
	for (int n = 0; n < 20000; n++) {
		size_t len = 1 + rng_next(&seed) % (sizeof(name) - 1);
		char *key = NULL, *again = NULL;

		for (size_t i = 0; i < len; i++)
			name[i] = alphabet[rng_next(&seed) % (sizeof(alphabet) - 1)];
		name[len] = '\0';
		if (path_key_decode(name, &key) != 0)
			continue;
		decoded++;
		if (path_key_encode(key, &again) != 0)
			fail_msg("decode(\"%s\") = \"%s\" does not encode", name, key);
		if (strcmp(again, name) != 0)
			fail_msg("name \"%s\" -> key \"%s\" -> name \"%s\"", name, key, again);
		free(key);
		free(again);
	}
	/* The generator must actually exercise the success path. */
	assert_true(decoded > 1000);
}

/* ---- create classes --------------------------------------------------- */

static void test_path_codec_create_class_ordinary_names_are_key(void **state)
{
	static const char *const keys[] = {
	    "config:rate_limits",
	    "feature_flags",
	    "a",
	    "a~b",
	    "~a",
	    "49130",
	    "04913",
	    "491",
	    "x.swp",
	    "a/b",
	    "sed",
	    "tmp",
	    "sedimentary",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (path_key_create_class(keys[i]) != PATH_CREATE_KEY)
			fail_msg("\"%s\" is not PATH_CREATE_KEY", keys[i]);
}

static void test_path_codec_create_class_dot_names_are_refused(void **state)
{
	(void)state;
	assert_int_equal(path_key_create_class(".f.swp"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class(".f.swx"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class(".hidden"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class(".sedAbc123"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class("..x"), PATH_CREATE_REFUSED);
}

static void test_path_codec_create_class_tilde_suffix_is_refused(void **state)
{
	(void)state;
	assert_int_equal(path_key_create_class("f~"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class("~"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class("config:x~"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class("tmpabcdefg~"), PATH_CREATE_REFUSED);
}

static void test_path_codec_create_class_4913_is_refused(void **state)
{
	(void)state;
	assert_int_equal(path_key_create_class("4913"), PATH_CREATE_REFUSED);
}

static void test_path_codec_create_class_sed_temporaries_are_scratch(void **state)
{
	static const char *const names[] = {
	    "sedAbC123", "sed000000", "sedzzzzzz", "sedZZZZZZ", "sedq1W2e3",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_key_create_class(names[i]) != PATH_CREATE_SCRATCH)
			fail_msg("\"%s\" is not PATH_CREATE_SCRATCH", names[i]);
}

static void test_path_codec_create_class_sed_lookalikes_are_key(void **state)
{
	static const char *const names[] = {
	    "sedAbC12",	  /* 5 after "sed" */
	    "sedAbC1234", /* 7 after "sed" */
	    "sedAb_123",  /* "_" not in [A-Za-z0-9] */
	    "sedAb-123",
	    "sedAb.123",
	    "SEDabc123", /* the prefix is lower-case "sed" */
	    "xsedabc123",
	    "sed\303\251bcd1", /* "sedébcd1": é is not in [A-Za-z0-9] */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_key_create_class(names[i]) != PATH_CREATE_KEY)
			fail_msg("\"%s\" is not PATH_CREATE_KEY", names[i]);
}

static void test_path_codec_create_class_python_temporaries_are_scratch(void **state)
{
	static const char *const names[] = {
	    "tmpabcdefgh", "tmp01234567", "tmp________", "tmpk3j_9x0q", "tmpz9z9z9z9",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_key_create_class(names[i]) != PATH_CREATE_SCRATCH)
			fail_msg("\"%s\" is not PATH_CREATE_SCRATCH", names[i]);
}

static void test_path_codec_create_class_tmp_lookalikes_are_key(void **state)
{
	static const char *const names[] = {
	    "tmpabcdefg",   /* 7 after "tmp" */
	    "tmpabcdefghi", /* 9 after "tmp" */
	    "tmpABCDEFGH",  /* upper case is not in [a-z0-9_] */
	    "tmpabcdEfgh",  "tmpabcd-fgh", "tmpabcd.fgh", "TMPabcdefgh", "xtmpabcdefgh",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (path_key_create_class(names[i]) != PATH_CREATE_KEY)
			fail_msg("\"%s\" is not PATH_CREATE_KEY", names[i]);
}

static void test_path_codec_rsync_temporary_is_scratch(void **state)
{
	(void)state;
	assert_int_equal(path_key_create_class(".feature_flags.Ab12Cd"), PATH_CREATE_SCRATCH);
	assert_int_equal(path_key_create_class(".k.a1b2c3"), PATH_CREATE_SCRATCH);
	/* vim's and nano's names stay refused. */
	assert_int_equal(path_key_create_class(".k.swp"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class("..a1b2c3"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class(".k.a1b2c"), PATH_CREATE_REFUSED);
	assert_int_equal(path_key_create_class(".k.a1b2c-"), PATH_CREATE_REFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_codec_tenant_plain_names_are_valid),
	    cmocka_unit_test(test_path_codec_tenant_every_allowed_byte_is_accepted),
	    cmocka_unit_test(test_path_codec_tenant_other_bytes_are_einval),
	    cmocka_unit_test(test_path_codec_tenant_empty_is_einval),
	    cmocka_unit_test(test_path_codec_tenant_leading_dot_is_einval),
	    cmocka_unit_test(test_path_codec_tenant_glob_and_separators_are_einval),
	    cmocka_unit_test(test_path_codec_tenant_64_bytes_is_valid),
	    cmocka_unit_test(test_path_codec_tenant_65_bytes_is_refused),
	    cmocka_unit_test(test_path_codec_key_ordinary_keys_are_valid),
	    cmocka_unit_test(test_path_codec_key_create_refused_names_are_still_valid_keys),
	    cmocka_unit_test(test_path_codec_key_utf8_is_valid),
	    cmocka_unit_test(test_path_codec_key_empty_is_einval),
	    cmocka_unit_test(test_path_codec_key_dot_and_dotdot_are_einval),
	    cmocka_unit_test(test_path_codec_key_control_chars_are_einval),
	    cmocka_unit_test(test_path_codec_key_invalid_utf8_is_einval),
	    cmocka_unit_test(test_path_codec_key_1024_bytes_is_valid),
	    cmocka_unit_test(test_path_codec_key_1025_bytes_is_refused),
	    cmocka_unit_test(test_path_codec_clean_utf8_accepts_text),
	    cmocka_unit_test(test_path_codec_clean_utf8_respects_len),
	    cmocka_unit_test(test_path_codec_clean_utf8_refuses_controls_and_nul),
	    cmocka_unit_test(test_path_codec_clean_utf8_refuses_bad_sequences),
	    cmocka_unit_test(test_path_codec_clean_utf8_c1_range_is_refused),
	    cmocka_unit_test(test_path_codec_rsync_temporary_is_scratch),
	    cmocka_unit_test(test_path_codec_decode_plain_name_is_itself),
	    cmocka_unit_test(test_path_codec_decode_slash_escape_gives_slash),
	    cmocka_unit_test(test_path_codec_decode_percent_escape_gives_percent),
	    cmocka_unit_test(test_path_codec_decode_lowercase_escape_is_einval),
	    cmocka_unit_test(test_path_codec_decode_other_percent_sequences_are_einval),
	    cmocka_unit_test(test_path_codec_decode_dot_and_dotdot_are_einval),
	    cmocka_unit_test(test_path_codec_decode_empty_is_einval),
	    cmocka_unit_test(test_path_codec_decode_raw_slash_is_einval),
	    cmocka_unit_test(test_path_codec_decode_control_or_bad_utf8_is_einval),
	    cmocka_unit_test(test_path_codec_decode_existing_takes_keys_other_tools_wrote),
	    cmocka_unit_test(test_path_codec_decode_255_bytes_is_valid),
	    cmocka_unit_test(test_path_codec_decode_256_bytes_is_enametoolong),
	    cmocka_unit_test(test_path_codec_decode_255_bytes_of_escapes_is_valid),
	    cmocka_unit_test(test_path_codec_encode_plain_key_is_itself),
	    cmocka_unit_test(test_path_codec_encode_slash_becomes_upper_2f),
	    cmocka_unit_test(test_path_codec_encode_percent_becomes_25),
	    cmocka_unit_test(test_path_codec_encode_dots_stay_dots),
	    cmocka_unit_test(test_path_codec_encode_invalid_utf8_is_einval),
	    cmocka_unit_test(test_path_codec_encode_dot_and_dotdot_are_einval),
	    cmocka_unit_test(test_path_codec_encode_empty_is_einval),
	    cmocka_unit_test(test_path_codec_encode_255_bytes_is_valid),
	    cmocka_unit_test(test_path_codec_encode_256_bytes_is_enametoolong),
	    cmocka_unit_test(test_path_codec_encode_expansion_counts_towards_255),
	    cmocka_unit_test(test_path_codec_encode_long_valid_key_is_enametoolong),
	    cmocka_unit_test(test_path_codec_roundtrip_tricky_keys_are_exact),
	    cmocka_unit_test(test_path_codec_roundtrip_random_keys_are_exact),
	    cmocka_unit_test(test_path_codec_roundtrip_random_names_decode_injectively),
	    cmocka_unit_test(test_path_codec_create_class_ordinary_names_are_key),
	    cmocka_unit_test(test_path_codec_create_class_dot_names_are_refused),
	    cmocka_unit_test(test_path_codec_create_class_tilde_suffix_is_refused),
	    cmocka_unit_test(test_path_codec_create_class_4913_is_refused),
	    cmocka_unit_test(test_path_codec_create_class_sed_temporaries_are_scratch),
	    cmocka_unit_test(test_path_codec_create_class_sed_lookalikes_are_key),
	    cmocka_unit_test(test_path_codec_create_class_python_temporaries_are_scratch),
	    cmocka_unit_test(test_path_codec_create_class_tmp_lookalikes_are_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
