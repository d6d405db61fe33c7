/* SPDX-License-Identifier: MIT */
/*
 * Names: tenant names, and the codec between pin keys and file names.
 *
 * A key made through the filesystem is any UTF-8 string of 1..1024 bytes
 * without NUL or control characters (C0, DEL, C1); keys other tools wrote
 * are served whatever their bytes, if their file name fits. In a file name "/" is written "%2F" and "%" is written "%25";
 * every other byte is itself, so the codec round-trips exactly and a file
 * name with any other "%" sequence is not a valid key name. An encoded name
 * longer than 255 bytes cannot be a file name (-ENAMETOOLONG).
 *
 * Pure module: no I/O, no allocation except the returned strings.
 */
#ifndef PINFS_PATH_CODEC_H
#define PINFS_PATH_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define PATH_TENANT_MAX 64
#define PATH_KEY_MAX 1024
#define PATH_NAME_MAX 255

/* 0 if name is a valid tenant name, else -EINVAL or -ENAMETOOLONG. */
int path_tenant_validate(const char *name);

/* 0 if key is a valid key, else -EINVAL or -ENAMETOOLONG. */
int path_key_validate(const char *key);

/*
 * File name -> key, for a name that creates a key (create, the target of a
 * rename): the decoded key must be valid (path_key_validate). *ret_key is
 * new (free()). -EINVAL, -ENAMETOOLONG, -ENOMEM.
 */
int path_key_decode(const char *name, char **ret_key);
/*
 * File name -> key, for a name that may only find an existing pin (lookup,
 * unlink, the source of a rename): the same decoding without the
 * control-character rules, so a key another tool wrote is reached under
 * the name readdir lists it by: decode_existing(encode(k)) is k for every
 * key that encodes. Still -EINVAL for invalid UTF-8, a bad "%" escape, "/",
 * "." and "..".
 */
int path_key_decode_existing(const char *name, char **ret_key);

/*
 * Key -> file name. *ret_name is new (free()). -ENAMETOOLONG if over 255
 * bytes, -EINVAL for "", ".", ".." and bytes that are not UTF-8. Keys other
 * tools wrote are encoded whatever else they hold (control characters
 * included).
 */
int path_key_encode(const char *key, char **ret_name);

enum path_create_class {
	PATH_CREATE_KEY,	/* an ordinary key: committed when written */
	PATH_CREATE_SCRATCH,	/* sed/python/rsync temporary: private until renamed onto a key */
	PATH_CREATE_REFUSED,	/* editor swap, backup or probe name: -EACCES */
};

/*
 * How a new key created through the filesystem is treated. Scratch:
 * "sed" + 6 of [A-Za-z0-9] (sed -i), "tmp" + 8 of [a-z0-9_] (Python
 * tempfile) and "." NAME "." + 6 of [A-Za-z0-9] (rsync). Refused: other
 * names starting with ".", names ending in "~", and "4913" (vim then keeps
 * its swap and backup files elsewhere and writes in place).
 */
enum path_create_class path_key_create_class(const char *key);

/*
 * True if s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) without control characters: C0 (< 0x20), DEL (0x7f) and
 * C1 (U+0080..U+009F).
 */
bool path_is_clean_utf8(const char *s, size_t len);

#endif /* PINFS_PATH_CODEC_H */
