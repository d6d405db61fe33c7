/* SPDX-License-Identifier: MIT */
/* Strict UTF-8 validation (see utf8.h). */
#include "pinfs/utf8.h"

#include <stdint.h>
#include <string.h>

/*
 * The length of the character at p[0..len) (len > 0), or 0 if it is not
 * valid UTF-8 (or, with no_controls, a control character).
 */
static size_t char_len(const unsigned char *p, size_t len, bool no_controls)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;

	if (no_controls && (c < 0x20 || c == 0x7f))
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n >= len)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (no_controls && cp >= 0x80 && cp <= 0x9f))
		return 0;
	return n + 1;
}

bool utf8_valid(const char *s, size_t len, bool no_controls)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = char_len(p + i, len - i, no_controls);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

size_t utf8_scrub(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t len = strlen(s), i = 0, replaced = 0;

	while (i < len) {
		size_t n = char_len(p + i, len - i, false);

		if (n == 0) {
			p[i] = '?';
			n = 1;
			replaced++;
		}
		i += n;
	}
	return replaced;
}

