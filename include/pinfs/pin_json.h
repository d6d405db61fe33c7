/* SPDX-License-Identifier: MIT */
/*
 * Pin values. A pin holds exactly one JSON value (any type, surrounding
 * whitespace allowed), nested at most 64 levels. This module checks staged
 * bytes as they arrive (so the write() that makes them unparseable fails at
 * once) and renders values canonically:
 *   - pretty: two-space indent, "key": value, empty containers as {} and [],
 *     object keys in stored order, numbers exactly as stored, a final newline
 *     (what `cat` shows and what st_size counts);
 *   - compact: no insignificant whitespace (what the backends store).
 * Strings keep their UTF-8; only '"', '\\' and control characters are
 * escaped. Built on yajl's incremental parser; no I/O.
 */
#ifndef PINFS_PIN_JSON_H
#define PINFS_PIN_JSON_H

#include <stddef.h>

#include "pinfs/error.h"
#include "pinfs/macro.h"

#define PIN_JSON_MAX_DEPTH 64

enum pin_json_style { PIN_JSON_PRETTY, PIN_JSON_COMPACT };

/*
 * Parses the whole of in[0..len) as one JSON value and writes it in the
 * given style. *ret_out is new (free()), NUL-terminated, *ret_len its length.
 * -EINVAL with reterr filled for anything that is not exactly one value
 * (empty input, a second value, bad UTF-8, nesting over 64); -ENOMEM.
 */
int pin_json_render(const char *in, size_t len, enum pin_json_style style, char **ret_out,
		    size_t *ret_len, struct pfs_error *reterr);

/* Incremental prefix check for a staged buffer. */
struct pin_scan;

struct pin_scan *pin_scan_new(void);
struct pin_scan *pin_scan_free(struct pin_scan *s);
PFS_DEFINE_FREEP(struct pin_scan, pin_scan_free)

/*
 * Feeds the next bytes. Returns 0 while what was fed so far can still begin
 * one JSON value, -EINVAL once it cannot (the scanner then stays failed),
 * -ENOMEM.
 */
int pin_scan_feed(struct pin_scan *s, const char *buf, size_t len);
/* Bytes fed so far. */
size_t pin_scan_offset(const struct pin_scan *s);
/* Forgets everything fed (for a rewrite or truncate of the staged buffer). */
int pin_scan_reset(struct pin_scan *s);

#endif /* PINFS_PIN_JSON_H */
