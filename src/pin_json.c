/* SPDX-License-Identifier: MIT */
/*
 * Pin values: validation and canonical rendering on top of yajl's
 * incremental parser. One set of yajl callbacks serves both the renderer
 * (which writes output) and the prefix scanner (which only tracks depth), so
 * the two can never disagree about what a valid value is.
 *
 * Numbers are passed through as the text yajl saw (the yajl_number
 * callback), so nothing is rounded through a double and integers of any size
 * survive, as PostgreSQL's numeric does.
 */
#include "pinfs/pin_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "pinfs/utf8.h"

/*
 * What yajl lets through and JSON (and PostgreSQL's jsonb) does not: form
 * feed and vertical tab as whitespace, \u0000, and unpaired UTF-16
 * surrogates in \u escapes (yajl turns them into "?" or CESU-8 bytes).
 * This guard walks the raw bytes, across feeds, and refuses those.
 */
struct lexguard {
	bool in_string;
	bool escape;
	bool in_hex;		/* reading the four digits of a \u escape */
	unsigned ndigits;
	unsigned code;
	enum { LG_FREE, LG_WANT_BACKSLASH, LG_WANT_U, LG_WANT_LOW } pair;
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Judges a complete \u escape; false if it can be in no valid document. */
static bool lexguard_escape(struct lexguard *g)
{
	bool high = g->code >= 0xd800 && g->code <= 0xdbff;
	bool low = g->code >= 0xdc00 && g->code <= 0xdfff;

	if (g->pair == LG_WANT_LOW) {
		g->pair = LG_FREE;
		return low;
	}
	if (high) {
		g->pair = LG_WANT_BACKSLASH;
		return true;
	}
	return !low && g->code != 0;
}

/* Returns false at the first byte that can be in no valid document. */
static bool lexguard_feed(struct lexguard *g, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (!g->in_string) {
			if (c == '"')
				g->in_string = true;
			else if (c == '\f' || c == '\v')
				return false;
		} else if (g->in_hex) {
			int v = hexval(c);

			if (v < 0)
				return false;
			g->code = g->code * 16 + (unsigned)v;
			if (++g->ndigits == 4) {
				g->in_hex = false;
				if (!lexguard_escape(g))
					return false;
			}
		} else if (g->pair == LG_WANT_BACKSLASH) {
			if (c != '\\')
				return false;
			g->pair = LG_WANT_U;
		} else if (g->pair == LG_WANT_U) {
			if (c != 'u')
				return false;
			g->pair = LG_WANT_LOW;
			g->in_hex = true;
			g->ndigits = g->code = 0;
		} else if (g->escape) {
			g->escape = false;
			if (c == 'u') {
				g->in_hex = true;
				g->ndigits = g->code = 0;
			}
		} else if (c == '\\') {
			g->escape = true;
		} else if (c == '"') {
			g->in_string = false;
		}
	}
	return true;
}

struct render {
	yajl_handle h;
	bool done;		/* the top-level value is complete */
	size_t done_at;		/* where in the current chunk it completed */
	bool emit;		/* false: scan only */
	bool pretty;
	bool after_key;		/* the next value follows "key": */
	bool too_deep;
	bool bad_utf8;
	bool oom;
	unsigned depth;
	unsigned count[PIN_JSON_MAX_DEPTH + 2];	/* items written at each depth */
	char *buf;
	size_t len, cap;
};

static int put(struct render *r, const char *s, size_t n)
{
	if (!r->emit)
		return 1;
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		char *nb;

		while (cap < r->len + n + 1)
			cap *= 2;
		nb = realloc(r->buf, cap);
		if (!nb) {
			r->oom = true;
			return 0;
		}
		r->buf = nb;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return 1;
}

static int puts_(struct render *r, const char *s)
{
	return put(r, s, strlen(s));
}

static int newline_indent(struct render *r, unsigned depth)
{
	if (!r->pretty)
		return 1;
	if (!put(r, "\n", 1))
		return 0;
	for (unsigned i = 0; i < depth; i++)
		if (!put(r, "  ", 2))
			return 0;
	return 1;
}

/* Separator and indentation before a value (not before an object's value). */
static int before_value(struct render *r)
{
	if (r->after_key) {
		r->after_key = false;
		return 1;
	}
	if (r->depth == 0)
		return 1;
	if (r->count[r->depth]++ > 0 && !put(r, ",", 1))
		return 0;
	return newline_indent(r, r->depth);
}

/* After a value: at depth 0 that was the whole document. */
static int after_value(struct render *r)
{
	if (r->depth == 0 && !r->done) {
		r->done = true;
		r->done_at = yajl_get_bytes_consumed(r->h);
	}
	return 1;
}

static int put_string(struct render *r, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	if (!put(r, "\"", 1))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		char esc[7];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\t': e = "\\t"; break;
		case '\r': e = "\\r"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				e = esc;
			}
		}
		if (!e)
			continue;
		if (!put(r, (const char *)s + start, i - start) || !puts_(r, e))
			return 0;
		start = i + 1;
	}
	return put(r, (const char *)s + start, n - start) && put(r, "\"", 1);
}

static int cb_null(void *ctx)
{
	struct render *r = ctx;

	return before_value(r) && puts_(r, "null") && after_value(r);
}

static int cb_boolean(void *ctx, int v)
{
	struct render *r = ctx;

	return before_value(r) && puts_(r, v ? "true" : "false") && after_value(r);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct render *r = ctx;

	return before_value(r) && put(r, s, n) && after_value(r);
}

/* yajl lets overlong UTF-8 through; JSON (and jsonb) do not. */
static int strict_utf8(struct render *r, const unsigned char *s, size_t n)
{
	if (utf8_valid((const char *)s, n, false))
		return 1;
	r->bad_utf8 = true;
	return 0;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct render *r = ctx;

	return strict_utf8(r, s, n) && before_value(r) && put_string(r, s, n) && after_value(r);
}

static int open_container(struct render *r, const char *brace)
{
	if (!before_value(r))
		return 0;
	if (r->depth + 1 > PIN_JSON_MAX_DEPTH) {
		r->too_deep = true;
		return 0;
	}
	r->depth++;
	r->count[r->depth] = 0;
	return puts_(r, brace);
}

static int close_container(struct render *r, const char *brace)
{
	if (r->count[r->depth] > 0 && !newline_indent(r, r->depth - 1))
		return 0;
	r->depth--;
	return puts_(r, brace) && after_value(r);
}

static int cb_start_map(void *ctx)
{
	return open_container(ctx, "{");
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct render *r = ctx;

	if (!strict_utf8(r, key, n))
		return 0;
	if (r->count[r->depth]++ > 0 && !put(r, ",", 1))
		return 0;
	if (!newline_indent(r, r->depth) || !put_string(r, key, n))
		return 0;
	r->after_key = true;
	return puts_(r, r->pretty ? ": " : ":");
}

static int cb_end_map(void *ctx)
{
	return close_container(ctx, "}");
}

static int cb_start_array(void *ctx)
{
	return open_container(ctx, "[");
}

static int cb_end_array(void *ctx)
{
	return close_container(ctx, "]");
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/* Turns a failed yajl status into -errno, with yajl's message in reterr. */
static int parse_error(yajl_handle h, const struct render *r, const char *in, size_t len,
		       struct pfs_error *reterr)
{
	unsigned char *msg;
	int code;

	if (r->oom)
		return -ENOMEM;
	if (r->too_deep)
		return pfs_error_set(reterr, -EINVAL, 0, "JSON nested deeper than %d levels",
				     PIN_JSON_MAX_DEPTH);
	if (r->bad_utf8)
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: a string is not valid UTF-8");
	msg = yajl_get_error(h, 0, (const unsigned char *)in, len);
	code = pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: %s",
			     msg ? (const char *)msg : "parse error");
	if (msg) {
		/* yajl's messages end in a newline; keep ours on one line. */
		if (reterr) {
			size_t l = strlen(reterr->message);

			while (l > 0 && (reterr->message[l - 1] == '\n' || reterr->message[l - 1] == ' '))
				reterr->message[--l] = '\0';
		}
		yajl_free_error(h, msg);
	}
	return code;
}

static bool only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

int pin_json_render(const char *in, size_t len, enum pin_json_style style, char **ret_out,
		    size_t *ret_len, struct pfs_error *reterr)
{
	struct render r = {.emit = true, .pretty = style == PIN_JSON_PRETTY};
	struct lexguard g = {0};
	yajl_handle h;
	yajl_status st;
	int ret;

	if (only_space(in, len))
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: empty value");
	if (!lexguard_feed(&g, in, len) || g.in_hex || g.pair != LG_FREE)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "invalid JSON: \\u0000, an unpaired surrogate, or a form feed "
				     "or vertical tab outside a string");
	h = yajl_alloc(&callbacks, NULL, &r);
	if (!h)
		return -ENOMEM;
	r.h = h;
	st = yajl_parse(h, (const unsigned char *)in, len);
	/*
	 * After the document only whitespace may follow. yajl does not always
	 * see it ("6\"": an unfinished string after a complete number passes
	 * its end-of-input check), so check it here, as the scanner does.
	 */
	if (st == yajl_status_ok && r.done && !only_space(in + r.done_at, len - r.done_at)) {
		yajl_free(h);
		free(r.buf);
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: trailing garbage");
	}
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		ret = parse_error(h, &r, in, len, reterr);
		yajl_free(h);
		free(r.buf);
		return ret;
	}
	yajl_free(h);
	if (r.pretty && !put(&r, "\n", 1)) {
		free(r.buf);
		return -ENOMEM;
	}
	*ret_out = r.buf;
	*ret_len = r.len;
	return 0;
}

struct pin_scan {
	struct render r;
	struct lexguard g;
	yajl_handle h;
	size_t fed;
	bool failed;
};

struct pin_scan *pin_scan_new(void)
{
	struct pin_scan *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (pin_scan_reset(s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct pin_scan *pin_scan_free(struct pin_scan *s)
{
	if (!s)
		return NULL;
	if (s->h)
		yajl_free(s->h);
	free(s);
	return NULL;
}

int pin_scan_reset(struct pin_scan *s)
{
	if (s->h)
		yajl_free(s->h);
	memset(&s->r, 0, sizeof(s->r));
	memset(&s->g, 0, sizeof(s->g));
	s->fed = 0;
	s->failed = false;
	s->h = yajl_alloc(&callbacks, NULL, &s->r);
	s->r.h = s->h;
	return s->h ? 0 : -ENOMEM;
}

int pin_scan_feed(struct pin_scan *s, const char *buf, size_t len)
{
	if (s->failed)
		return -EINVAL;
	if (!s->h)
		return -ENOMEM;
	bool was_done = s->r.done;

	s->fed += len;
	if (!lexguard_feed(&s->g, buf, len) ||
	    yajl_parse(s->h, (const unsigned char *)buf, len) != yajl_status_ok) {
		s->failed = true;
		return -EINVAL;
	}
	/*
	 * yajl holds an unfinished token without judging it, so a second value
	 * ("1 2") would pass until the end; after a complete document only
	 * whitespace may follow.
	 */
	if (s->r.done && !only_space(buf + (was_done ? 0 : s->r.done_at),
				     len - (was_done ? 0 : s->r.done_at))) {
		s->failed = true;
		return -EINVAL;
	}
	return 0;
}

size_t pin_scan_offset(const struct pin_scan *s)
{
	return s->fed;
}
