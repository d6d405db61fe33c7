/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 checking, shared by the name codec and the JSON checks. Pure. */
#ifndef PINFS_UTF8_H
#define PINFS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True if s[0..len) is valid UTF-8: no overlong forms, no surrogates,
 * nothing past U+10FFFF. With no_controls, C0 (< 0x20), DEL and C1
 * (U+0080..U+009F) are refused too.
 */
bool utf8_valid(const char *s, size_t len, bool no_controls);

/*
 * Makes the NUL-terminated s valid UTF-8 in place: every byte that does not
 * begin a valid character becomes '?'. Returns how many were replaced.
 * For text from outside (keys other tools wrote) that must go where only
 * valid UTF-8 is accepted (JSON lines, PostgreSQL text).
 */
size_t utf8_scrub(char *s);

#endif /* PINFS_UTF8_H */
