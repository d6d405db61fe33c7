/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the name codec (include/pinfs/path_codec.h).
 *
 * The input is split at NUL bytes into names (a file name can hold no NUL,
 * so each piece is what the kernel could hand us), and every name goes
 * through every function. Invariants, checked against small independent
 * reference implementations written here from the header's contract:
 *   - path_is_clean_utf8 agrees with a reference UTF-8 decoder (also on the
 *     raw input, NULs included);
 *   - path_tenant_validate and path_key_validate accept exactly what the
 *     header says, with -ENAMETOOLONG only for lengths over the limit;
 *   - encode: fails only for "", ".", ".." (-EINVAL) or an encoded length
 *     over 255 (-ENAMETOOLONG); otherwise the name has no '/', is at most
 *     255 bytes, and decode(encode(k)) == k for every valid key k (and
 *     fails for an invalid one);
 *   - decode: on success the key is valid and encode(key) gives back the
 *     same name byte for byte (one name per key); a name without '%' or
 *     '/' decodes to itself exactly when it is a valid key of at most 255
 *     bytes;
 *   - path_key_create_class gives the header's class (rsync, sed and
 *     Python temporaries are scratch; other dot names, "~" backups and
 *     "4913" are refused).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pinfs/path_codec.h"

/*
 * Reference: valid UTF-8 (decoded, not pattern-matched), and with
 * no_controls without C0, DEL or C1.
 */
static bool ref_utf8(const unsigned char *s, size_t len, bool no_controls)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp, min;
		size_t n;

		if (c < 0x80) {
			n = 0;
			cp = c;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1fu;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0fu;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07u;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		if (no_controls && (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)))
			return false;
		i += n + 1;
	}
	return true;
}

static bool ref_clean_utf8(const unsigned char *s, size_t len)
{
	return ref_utf8(s, len, true);
}

static bool ref_tenant_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static void check_tenant(const char *s, size_t len)
{
	int r = path_tenant_validate(s);
	bool chars = true;

	for (size_t i = 0; i < len; i++)
		chars = chars && ref_tenant_char((unsigned char)s[i]);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	if (r == 0)
		FUZZ_CHECK(len >= 1 && len <= PATH_TENANT_MAX && s[0] != '.' && chars);
	else if (len >= 1 && len <= PATH_TENANT_MAX && s[0] != '.' && chars)
		FUZZ_CHECK_MSG(false, "tenant \"%s\" refused with %d", s, r);
	if (r == -ENAMETOOLONG)
		FUZZ_CHECK(len > PATH_TENANT_MAX);
}

static bool ref_key_valid(const char *s, size_t len)
{
	return len >= 1 && len <= PATH_KEY_MAX && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
	       ref_clean_utf8((const unsigned char *)s, len);
}

static size_t ref_encoded_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += (s[i] == '/' || s[i] == '%') ? 3 : 1;
	return n;
}

static bool ref_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* prefix followed by exactly n bytes accepted by ok(). */
static bool ref_temp(const char *s, size_t len, const char *prefix, size_t n,
		     bool (*ok)(unsigned char))
{
	size_t plen = strlen(prefix);

	if (len != plen + n || memcmp(s, prefix, plen) != 0)
		return false;
	for (size_t i = plen; i < len; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

static bool ref_tmp_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
}

/* The header's classification of a new key (path_key_create_class). */
static enum path_create_class ref_create_class(const char *s, size_t len)
{
	/* rsync: "." NAME "." and six of [A-Za-z0-9], NAME not empty. */
	bool rsync = len >= 9 && s[0] == '.' && s[len - 7] == '.';

	for (size_t i = len >= 6 ? len - 6 : 0; rsync && i < len; i++)
		rsync = ref_alnum((unsigned char)s[i]);
	if (rsync)
		return PATH_CREATE_SCRATCH;
	if (s[0] == '.' || s[len - 1] == '~' || strcmp(s, "4913") == 0)
		return PATH_CREATE_REFUSED;
	if (ref_temp(s, len, "sed", 6, ref_alnum) || ref_temp(s, len, "tmp", 8, ref_tmp_char))
		return PATH_CREATE_SCRATCH;
	return PATH_CREATE_KEY;
}

static void check_key(const char *s, size_t len)
{
	int r = path_key_validate(s);
	bool valid = ref_key_valid(s, len);

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	FUZZ_CHECK_MSG((r == 0) == valid, "path_key_validate(\"%s\") = %d", s, r);
	if (r == -ENAMETOOLONG)
		FUZZ_CHECK(len > PATH_KEY_MAX);

	if (r == 0) {
		enum path_create_class cls = path_key_create_class(s);

		FUZZ_CHECK_MSG(cls == ref_create_class(s, len),
			       "create class of \"%s\": %d, want %d", s, cls,
			       ref_create_class(s, len));
	}
}

static void check_encode(const char *s, size_t len)
{
	bool special = len == 0 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 ||
		       !ref_utf8((const unsigned char *)s, len, false);
	size_t want_len = ref_encoded_len(s, len);
	char *name = NULL, *back = NULL;
	int r;

	r = path_key_encode(s, &name);
	if (special) {
		FUZZ_CHECK(r == -EINVAL);
		return;
	}
	if (want_len > PATH_NAME_MAX) {
		FUZZ_CHECK_MSG(r == -ENAMETOOLONG, "encode of a %zu-byte name: %d", want_len, r);
		return;
	}
	FUZZ_CHECK_MSG(r == 0, "encode(\"%s\") = %d", s, r);
	FUZZ_CHECK(name != NULL);
	FUZZ_CHECK(strlen(name) == want_len && want_len <= PATH_NAME_MAX);
	FUZZ_CHECK(strchr(name, '/') == NULL);
	FUZZ_CHECK(strcmp(name, ".") != 0 && strcmp(name, "..") != 0);

	/* Every name readdir lists finds its key again. */
	r = path_key_decode_existing(name, &back);
	FUZZ_CHECK_MSG(r == 0, "decode_existing(encode(\"%s\")) = %d", s, r);
	FUZZ_CHECK_MSG(strcmp(back, s) == 0, "decode_existing(encode(\"%s\")) = \"%s\"", s, back);
	free(back);

	r = path_key_decode(name, &back);
	if (ref_key_valid(s, len)) {
		FUZZ_CHECK_MSG(r == 0, "decode(encode(\"%s\")) = %d", s, r);
		FUZZ_CHECK_MSG(strcmp(back, s) == 0, "decode(encode(\"%s\")) = \"%s\"", s, back);
		free(back);
	} else {
		/* A key other tools wrote: it has a file name, but no name decodes to it. */
		FUZZ_CHECK_MSG(r < 0, "decode(encode(\"%s\")) succeeded for an invalid key", s);
	}
	free(name);
}

static void check_decode(const char *s, size_t len)
{
	char *key = NULL, *again = NULL;
	bool plain = strpbrk(s, "%/") == NULL;
	int r;

	/* A name that finds an existing key is that key's one file name. */
	r = path_key_decode_existing(s, &key);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	if (r == 0) {
		FUZZ_CHECK(ref_utf8((const unsigned char *)key, strlen(key), false));
		FUZZ_CHECK_MSG(path_key_encode(key, &again) == 0 && strcmp(again, s) == 0,
			       "encode(decode_existing(\"%s\")) differs", s);
		free(again);
		again = NULL;
	}
	free(key);
	key = NULL;

	r = path_key_decode(s, &key);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
	if (r == -ENAMETOOLONG)
		FUZZ_CHECK(len > PATH_NAME_MAX);
	if (len > PATH_NAME_MAX)
		FUZZ_CHECK(r == -ENAMETOOLONG);
	if (plain && len <= PATH_NAME_MAX)
		FUZZ_CHECK_MSG((r == 0) == ref_key_valid(s, len), "decode(\"%s\") = %d", s, r);
	if (strchr(s, '/'))
		FUZZ_CHECK(r < 0);
	if (r < 0)
		return;

	FUZZ_CHECK(key != NULL);
	FUZZ_CHECK(ref_key_valid(key, strlen(key)));
	{
		/* What decodes strictly decodes the same leniently. */
		char *same = NULL;

		FUZZ_CHECK(path_key_decode_existing(s, &same) == 0 && strcmp(same, key) == 0);
		free(same);
	}
	if (plain)
		FUZZ_CHECK(strcmp(key, s) == 0);
	/* The codec is a bijection: this name is the one encoding of its key. */
	r = path_key_encode(key, &again);
	FUZZ_CHECK_MSG(r == 0, "encode(decode(\"%s\")) = %d", s, r);
	FUZZ_CHECK_MSG(strcmp(again, s) == 0, "encode(decode(\"%s\")) = \"%s\"", s, again);
	free(again);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;
	int names = 0;

	FUZZ_CHECK(path_is_clean_utf8((const char *)data, size) == ref_clean_utf8(data, size));

	/* Each NUL-separated piece is one name (at most 64 per input). */
	while (start <= size && names++ < 64) {
		const uint8_t *nul = memchr(data + start, '\0', size - start);
		size_t len = nul ? (size_t)(nul - (data + start)) : size - start;
		char *s = fuzz_strndup(data + start, len);

		FUZZ_CHECK(path_is_clean_utf8(s, len) == ref_clean_utf8((const uint8_t *)s, len));
		check_tenant(s, len);
		check_key(s, len);
		check_encode(s, len);
		check_decode(s, len);
		free(s);
		if (!nul)
			break;
		start += len + 1;
	}
	return 0;
}
