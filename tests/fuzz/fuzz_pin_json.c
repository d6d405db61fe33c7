/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: pin values (include/pinfs/pin_json.h): pin_json_render in
 * both styles, pin_json_canonicalize (what a write commits) and the
 * incremental prefix scanner.
 *
 * Invariants:
 *   - both styles agree on whether the input is one valid value; failure
 *     is -EINVAL (or -ENOMEM) and leaves the outputs alone;
 *   - an accepted value renders to a NUL-free string of the reported
 *     length; pretty ends in "\n", compact has no whitespace outside
 *     strings;
 *   - rendering is idempotent and the styles convert into each other:
 *     render(pretty(x)) == pretty(x), render(compact(x)) == compact(x), and
 *     compact(pretty(x)) == compact(x), pretty(compact(x)) == pretty(x) (so
 *     the compact form a backend stores parses again);
 *   - canonicalize accepts only what render accepts, and then returns
 *     exactly render's compact form and the length of its pretty form;
 *     with a limit one byte short of that length it is -EFBIG (and so is
 *     render), at exactly that length it succeeds;
 *   - the scanner, fed the whole input in any chunking (whole, byte by byte,
 *     and pseudo-random sizes derived from the input), never refuses an
 *     input that canonicalize accepts, reaches the same verdict in every
 *     chunking, and counts every byte fed;
 *   - jansson (JSON_DECODE_ANY, what DESIGN.md section 11 names as the
 *     definition of a pin) is the reference: a value it parses within 64
 *     levels renders, one deeper is -EINVAL, render accepts nothing it
 *     refuses (except numbers too big for jansson's integer or double types,
 *     which pins keep as text), and the compact form holds the same value
 *     as the input (numbers compared as jansson's doubles: pins rewrite
 *     1e3 as 1000). (jansson loads a document followed by a raw NUL byte;
 *     render must refuse any input with one.)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "pinfs/pin_json.h"

static char *render(const char *in, size_t len, enum pin_json_style style, size_t *ret_len,
		    int *ret_r)
{
	char *sentinel = (char *)"untouched";
	char *out = sentinel;
	size_t out_len = 4242;
	struct pfs_error err = {0};
	int r = pin_json_render(in, len, style, PIN_JSON_UNLIMITED, &out, &out_len, &err);

	FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -ENOMEM, "pin_json_render = %d", r);
	*ret_r = r;
	if (r < 0) {
		FUZZ_CHECK(out == sentinel && out_len == 4242);
		FUZZ_CHECK(err.code == r && err.message[0] != '\0');
		return NULL;
	}
	FUZZ_CHECK(out != NULL && out != sentinel);
	FUZZ_CHECK_MSG(strlen(out) == out_len, "reported %zu bytes, %zu before a NUL", out_len,
		       strlen(out));
	*ret_len = out_len;
	return out;
}

/* Renders an output again and requires exactly want. */
static void expect_render(const char *in, size_t len, enum pin_json_style style, const char *want,
			  size_t want_len)
{
	size_t out_len = 0;
	int r;
	char *out = render(in, len, style, &out_len, &r);

	FUZZ_CHECK_MSG(r == 0, "rendered output does not render again (%d): %.*s", r, (int)len, in);
	FUZZ_CHECK_MSG(out_len == want_len && memcmp(out, want, want_len) == 0,
		       "not idempotent:\n in: %.*s\nout: %s\nwant: %s", (int)len, in, out, want);
	free(out);
}

static bool compact_has_no_space(const char *s, size_t len)
{
	bool in_string = false, escape = false;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_string) {
			if (escape)
				escape = false;
			else if (c == '\\')
				escape = true;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			return false;
		}
	}
	return true;
}

/* Feeds data in chunks of sizes from next_size(); true if no feed was refused. */
static bool scan(struct pin_scan *s, const char *data, size_t size, uint64_t seed, size_t max_chunk)
{
	size_t off = 0;
	bool ok = true;

	FUZZ_CHECK(pin_scan_reset(s) == 0);
	FUZZ_CHECK(pin_scan_offset(s) == 0);
	while (off < size) {
		size_t n;
		int r;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		n = max_chunk <= 1 ? 1 : 1 + (size_t)(seed >> 33) % max_chunk;
		if (n > size - off)
			n = size - off;
		r = pin_scan_feed(s, data + off, n);
		FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -ENOMEM, "pin_scan_feed = %d", r);
		if (r < 0) {
			ok = false;
			/* It stays failed. */
			FUZZ_CHECK(pin_scan_feed(s, " ", 1) == -EINVAL);
			break;
		}
		off += n;
	}
	if (ok)
		FUZZ_CHECK(pin_scan_offset(s) == size);
	return ok;
}

/* json_equal, but numbers are equal when their values are (1e3 and 1000). */
static bool same_value(json_t *a, json_t *b)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		json_array_foreach(a, i, e)
		{
			if (!same_value(e, json_array_get(b, i)))
				return false;
		}
		return true;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach(a, k, e)
		{
			json_t *other = json_object_get(b, k);

			if (!other || !same_value(e, other))
				return false;
		}
		return true;
	}
	return json_equal(a, b);
}

/* Nesting depth of a jansson value: 0 for a scalar, 1 for [] or {}. */
static size_t depth_of(json_t *v)
{
	size_t d = 0, i;
	const char *k;
	json_t *e;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			size_t de = depth_of(e);

			d = de > d ? de : d;
		}
		return d + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
		{
			size_t de = depth_of(e);

			d = de > d ? de : d;
		}
		return d + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t pretty_len = 0, compact_len = 0;
	int rp, rc, rcanon;
	char *pretty = render(in, size, PIN_JSON_PRETTY, &pretty_len, &rp);
	char *compact = render(in, size, PIN_JSON_COMPACT, &compact_len, &rc);
	struct pin_scan *s = pin_scan_new(PIN_JSON_UNLIMITED);
	uint64_t seed = 1469598103934665603u;
	bool whole, verdict;
	json_error_t jerr;
	json_t *doc;

	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK_MSG((rp == 0) == (rc == 0), "pretty %d, compact %d", rp, rc);

	if (rp == 0 && rc == 0) {
		FUZZ_CHECK(pretty_len >= 2 && pretty[pretty_len - 1] == '\n');
		FUZZ_CHECK(compact_len >= 1 && compact[compact_len - 1] != '\n');
		FUZZ_CHECK_MSG(compact_has_no_space(compact, compact_len), "compact: %s", compact);
		expect_render(pretty, pretty_len, PIN_JSON_PRETTY, pretty, pretty_len);
		expect_render(compact, compact_len, PIN_JSON_COMPACT, compact, compact_len);
		expect_render(pretty, pretty_len, PIN_JSON_COMPACT, compact, compact_len);
		expect_render(compact, compact_len, PIN_JSON_PRETTY, pretty, pretty_len);
	}

	/* What a write commits: render's compact form, and its pretty length. */
	{
		char *canon = NULL, *shorter = NULL;
		size_t canon_len = 0, plen = 0, n = 0;
		int r = pin_json_canonicalize(in, size, PIN_JSON_UNLIMITED, &canon, &canon_len,
					      &plen, NULL);

		FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -ENOMEM, "canonicalize = %d", r);
		rcanon = r;
		if (r == 0) {
			FUZZ_CHECK_MSG(rc == 0, "canonicalize accepts what render refuses (%d)",
				       rc);
			FUZZ_CHECK_MSG(canon_len == compact_len &&
					   memcmp(canon, compact, canon_len) == 0,
				       "canonical %s, compact %s", canon, compact);
			FUZZ_CHECK_MSG(plen == pretty_len,
				       "pretty length %zu, canonicalize said %zu", pretty_len,
				       plen);
			FUZZ_CHECK(
			    pin_json_canonicalize(in, size, plen, &shorter, &n, NULL, NULL) == 0);
			free(shorter);
			FUZZ_CHECK(pin_json_canonicalize(in, size, plen - 1, &shorter, &n, NULL,
							 NULL) == -EFBIG);
			FUZZ_CHECK(pin_json_render(in, size, PIN_JSON_PRETTY, plen - 1, &shorter,
						   &n, NULL) == -EFBIG);
			free(canon);
		}
	}

	/* The scanner: one verdict whatever the chunking. */
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211u;
	whole = scan(s, in, size, seed, size);
	if (rcanon == 0)
		FUZZ_CHECK_MSG(whole, "the scanner refuses a value canonicalize accepts");
	if (size <= 65536) {
		verdict = scan(s, in, size, seed, 1);
		FUZZ_CHECK_MSG(verdict == whole, "byte by byte: %d, whole: %d", verdict, whole);
	}
	verdict = scan(s, in, size, seed, 17);
	FUZZ_CHECK_MSG(verdict == whole, "chunks of 1..17: %d, whole: %d", verdict, whole);
	verdict = scan(s, in, size, seed ^ 0x9e3779b97f4a7c15u, size / 2 + 1);
	FUZZ_CHECK_MSG(verdict == whole, "chunks of 1..%zu: %d, whole: %d", size / 2 + 1, verdict,
		       whole);

	/* jansson as the reference. */
	doc = json_loadb(in, size, JSON_DECODE_ANY, &jerr);
	if (doc) {
		size_t depth = depth_of(doc);

		/* jansson stops at a raw NUL byte ("1\0" loads); JSON has none, render refuses it.
		 */
		if (memchr(in, '\0', size))
			FUZZ_CHECK(rp == -EINVAL);
		else if (depth <= PIN_JSON_MAX_DEPTH)
			FUZZ_CHECK_MSG(rp == 0, "jansson parses it (depth %zu), render says %d",
				       depth, rp);
		else
			FUZZ_CHECK_MSG(rp == -EINVAL, "depth %zu rendered (%d)", depth, rp);
		if (rc == 0) {
			json_t *again = json_loadb(compact, compact_len, JSON_DECODE_ANY, &jerr);

			/* 1.5e300 prints as 301 digits: an integer too big for jansson. */
			FUZZ_CHECK_MSG(again != NULL || strstr(jerr.text, "too big"),
				       "jansson refuses the compact form: %s", jerr.text);
			FUZZ_CHECK_MSG(!again || same_value(doc, again), "compact form differs: %s",
				       compact);
			json_decref(again);
		}
		json_decref(doc);
	} else if (rp == 0) {
		FUZZ_CHECK_MSG(strstr(jerr.text, "too big") || strstr(jerr.text, "overflow"),
			       "render accepts what jansson refuses (%s at %d:%d): %.*s", jerr.text,
			       jerr.line, jerr.column, (int)(size < 200 ? size : 200), in);
	}

	pin_scan_free(s);
	free(pretty);
	free(compact);
	return 0;
}
