/* SPDX-License-Identifier: MIT */
/*
 * Tenant names and the key <-> file name codec (DESIGN.md section 2).
 * Invariant: for every valid key k, decode(encode(k)) == k, and every file
 * name that decodes is the encoding of exactly one key.
 */
#include "pinfs/path_codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pinfs/utf8.h"

int path_tenant_validate(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || name[0] == '.')
		return -EINVAL;
	if (len > PATH_TENANT_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

bool path_is_clean_utf8(const char *s, size_t len)
{
	return utf8_valid(s, len, true);
}

int path_key_validate(const char *key)
{
	size_t len = strlen(key);

	if (len == 0)
		return -EINVAL;
	if (len > PATH_KEY_MAX)
		return -ENAMETOOLONG;
	if (strcmp(key, ".") == 0 || strcmp(key, "..") == 0)
		return -EINVAL;
	if (!path_is_clean_utf8(key, len))
		return -EINVAL;
	return 0;
}

/* The codec's inverse; validate: also the rules for keys made through the filesystem. */
static int key_decode(const char *name, bool validate, char **ret_key)
{
	size_t len = strlen(name);
	char *key, *o;
	int r;

	if (len > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	key = malloc(len + 1);
	if (!key)
		return -ENOMEM;
	o = key;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '/') {
			free(key);
			return -EINVAL;	/* a file name never holds one; "%2F" does */
		}
		if (name[i] != '%') {
			*o++ = name[i];
			continue;
		}
		/* Only the two canonical escapes exist; anything else has no key. */
		if (strncmp(name + i, "%2F", 3) == 0)
			*o++ = '/';
		else if (strncmp(name + i, "%25", 3) == 0)
			*o++ = '%';
		else {
			free(key);
			return -EINVAL;
		}
		i += 2;
	}
	*o = '\0';
	/* Keys that are no UTF-8 have no file name (path_key_encode): none is found. */
	r = validate ? path_key_validate(key) : utf8_valid(key, strlen(key), false) ? 0 : -EINVAL;
	if (r < 0) {
		free(key);
		return r;
	}
	*ret_key = key;
	return 0;
}

int path_key_decode(const char *name, char **ret_key)
{
	return key_decode(name, true, ret_key);
}

int path_key_decode_existing(const char *name, char **ret_key)
{
	return key_decode(name, false, ret_key);
}

int path_key_encode(const char *key, char **ret_name)
{
	size_t len = 0;
	char *name, *o;

	/*
	 * Keys other tools wrote are served whatever their bytes, control
	 * characters included, but these are no file name; nor is a key that is
	 * not UTF-8 (SQLite stores any bytes): audit and event lines carry keys
	 * as JSON strings, which must be UTF-8.
	 */
	if (key[0] == '\0' || strcmp(key, ".") == 0 || strcmp(key, "..") == 0 ||
	    !utf8_valid(key, strlen(key), false))
		return -EINVAL;
	for (const char *p = key; *p; p++)
		len += (*p == '/' || *p == '%') ? 3 : 1;
	if (len > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	name = malloc(len + 1);
	if (!name)
		return -ENOMEM;
	o = name;
	for (const char *p = key; *p; p++) {
		if (*p == '/') {
			memcpy(o, "%2F", 3);
			o += 3;
		} else if (*p == '%') {
			memcpy(o, "%25", 3);
			o += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	*ret_name = name;
	return 0;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_lower_alnum_us(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
}

/* True if s is prefix followed by exactly n characters accepted by ok(). */
static bool matches_temp(const char *s, const char *prefix, size_t n, bool (*ok)(unsigned char))
{
	size_t plen = strlen(prefix);

	if (strlen(s) != plen + n || strncmp(s, prefix, plen) != 0)
		return false;
	for (size_t i = plen; i < plen + n; i++)
		if (!ok((unsigned char)s[i]))
			return false;
	return true;
}

/* rsync's temporary: "." NAME "." and six of [A-Za-z0-9]. */
static bool is_rsync_temp(const char *key, size_t len)
{
	if (len < 9 || key[0] != '.' || key[len - 7] != '.')
		return false;
	for (size_t i = len - 6; i < len; i++)
		if (!is_alnum((unsigned char)key[i]))
			return false;
	return true;
}

enum path_create_class path_key_create_class(const char *key)
{
	size_t len = strlen(key);

	if (is_rsync_temp(key, len))
		return PATH_CREATE_SCRATCH;

	if (key[0] == '.' || (len > 0 && key[len - 1] == '~') || strcmp(key, "4913") == 0)
		return PATH_CREATE_REFUSED;
	/* sed -i's and Python tempfile's names. */
	if (matches_temp(key, "sed", 6, is_alnum) || matches_temp(key, "tmp", 8, is_lower_alnum_us))
		return PATH_CREATE_SCRATCH;
	return PATH_CREATE_KEY;
}
