/* SPDX-License-Identifier: MIT */
/*
 * Pin values. A pin holds exactly one JSON value (any type, surrounding
 * whitespace allowed), nested at most 64 levels. This module checks staged
 * bytes as they arrive (so the write() that makes them unparseable, or too
 * large, fails at once) and renders values canonically:
 *   - pretty: two-space indent, "key": value, empty containers as {} and [],
 *     object keys in stored order, a final newline (what `cat` shows and
 *     what st_size counts);
 *   - compact: no insignificant whitespace (what the backends store).
 * Numbers are printed the way PostgreSQL's numeric prints them (jsonb keeps
 * numbers as numeric), so both drivers store and return the same text:
 * no exponent, as many digits after the point as the input had after
 * shifting by its exponent, no sign on zero (1e3 -> 1000, 1.50 -> 1.50,
 * 1.5e-3 -> 0.0015, -0 -> 0, 1E+2 -> 100).
 * Strings keep their UTF-8; only '"', '\\' and control characters are
 * escaped. Every rendering is bounded: the caller says how many bytes the
 * pretty form may have, and nothing longer is ever allocated (-EFBIG).
 * Built on yajl's incremental parser; no I/O.
 */
#ifndef PINFS_PIN_JSON_H
#define PINFS_PIN_JSON_H

#include <stddef.h>

#include "pinfs/error.h"
#include "pinfs/macro.h"

#define PIN_JSON_MAX_DEPTH 64

/*
 * PostgreSQL numeric's range, which a new value's numbers must keep (jsonb
 * refuses the rest): at most this many digits before the decimal point and
 * after it, and an exponent below PIN_JSON_NUMBER_MAX_EXPONENT in magnitude.
 */
#define PIN_JSON_NUMBER_MAX_DIGITS 131072
#define PIN_JSON_NUMBER_MAX_SCALE 16383
#define PIN_JSON_NUMBER_MAX_EXPONENT 1073741823

/* No bound on the pretty length (tests and tools only). */
#define PIN_JSON_UNLIMITED ((size_t)-1)

enum pin_json_style { PIN_JSON_PRETTY, PIN_JSON_COMPACT };

/*
 * Validates a new value (what a write commits) and returns its canonical
 * compact form (numbers as above), in *ret_out (new, free(), NUL-terminated)
 * and *ret_len, and in *ret_pretty_len (if not NULL) the length of its
 * pretty form: what readers will get, and st_size. Errors, with reterr filled in:
 *   -EINVAL: not exactly one value (empty input, a second value, bad
 *            UTF-8, nesting over 64), a number outside numeric's range, or
 *            an object with the same key twice (jsonb would keep only the
 *            last, SQLite both: a pin has neither);
 *   -EFBIG:  the pretty form would be longer than max_pretty bytes (found
 *            without ever holding more than max_pretty bytes);
 *   -ENOMEM.
 */
int pin_json_canonicalize(const char *in, size_t len, size_t max_pretty, char **ret_out,
			  size_t *ret_len, size_t *ret_pretty_len, struct pfs_error *reterr);

/*
 * Renders a stored value in the given style: numbers as above, except that
 * a number outside numeric's range (only another tool can have stored one,
 * and only in SQLite) is printed as stored, as are repeated keys.
 * *ret_out is new (free()), NUL-terminated, *ret_len its length. -EINVAL
 * with reterr filled for anything that is not exactly one value; -EFBIG when
 * the pretty form would be longer than max_pretty bytes; -ENOMEM.
 */
int pin_json_render(const char *in, size_t len, enum pin_json_style style, size_t max_pretty,
		    char **ret_out, size_t *ret_len, struct pfs_error *reterr);

/* Incremental prefix check for a staged buffer. */
struct pin_scan;

/* A scanner for a value whose pretty form may have at most max_pretty bytes. */
struct pin_scan *pin_scan_new(size_t max_pretty);
struct pin_scan *pin_scan_free(struct pin_scan *s);
PFS_DEFINE_FREEP(struct pin_scan, pin_scan_free)

/*
 * Feeds the next bytes. Returns 0 while what was fed so far can still begin
 * one JSON value that pin_json_canonicalize could accept; -EINVAL once it
 * cannot (bad syntax, a number outside numeric's range), -EFBIG once the
 * pretty form of what was fed is longer than max_pretty (the scanner then
 * stays failed, with that error); -ENOMEM. Repeated object keys are found
 * by pin_json_canonicalize only.
 */
int pin_scan_feed(struct pin_scan *s, const char *buf, size_t len);
/* Bytes fed so far. */
size_t pin_scan_offset(const struct pin_scan *s);
/* Forgets everything fed (for a rewrite or truncate of the staged buffer). */
int pin_scan_reset(struct pin_scan *s);

#endif /* PINFS_PIN_JSON_H */
