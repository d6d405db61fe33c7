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

#endif /* PINFS_UTF8_H */
