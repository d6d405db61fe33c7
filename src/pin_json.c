/* SPDX-License-Identifier: MIT */
/*
 * Pin values: validation and canonical rendering on top of yajl's
 * incremental parser. One set of yajl callbacks serves both the renderer
 * (which writes output) and the prefix scanner (which only tracks depth), so
 * the two can never disagree about what a valid value is.
 *
 * Numbers arrive as the text yajl saw (the yajl_number callback) and are
 * rewritten digit by digit into the form PostgreSQL's numeric_out prints,
 * so nothing is rounded through a double and integers of any size survive.
 *
 * Every byte a rendering would produce is counted as the pretty form's
 * (the compact form only leaves out whitespace), and counted before it is
 * written: a rendering stops at the first byte past its limit, so a short
 * input that would expand (1e131071 is 131,072 digits; indentation grows
 * with depth) never gets to allocate more than the limit.
 */
#include "pinfs/pin_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
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

/* The offset and length of one key of an open object, as written in the output. */
struct keyref {
	size_t off, len;
};

struct render {
	yajl_handle h;
	bool done;		/* the top-level value is complete */
	size_t done_at;		/* where in the current chunk it completed */
	bool emit;		/* false: scan only */
	bool pretty;
	bool strict;		/* a new value: numbers in numeric's range, keys once */
	bool after_key;		/* the next value follows "key": */
	bool too_deep;
	bool bad_utf8;
	bool too_large;
	bool out_of_range;
	bool dup_key;
	bool oom;
	unsigned depth;
	unsigned count[PIN_JSON_MAX_DEPTH + 2];	/* items written at each depth */
	size_t max;		/* bytes the pretty form may have */
	size_t plen;		/* bytes of the pretty form so far (<= max) */
	char detail[48];	/* the number or key an error is about */
	char *buf;
	size_t len, cap;
	/* strict and emitting: keys of the open objects, kstart[d] the first of depth d's */
	struct keyref *keys;
	size_t nkeys, keys_cap;
	size_t kstart[PIN_JSON_MAX_DEPTH + 2];
};

/* Counts n more bytes of the pretty form; 0 (too_large) past the limit. */
static int count(struct render *r, size_t n)
{
	if (n > r->max - r->plen) {
		r->too_large = true;
		return 0;
	}
	r->plen += n;
	return 1;
}

/* Writes bytes already counted. */
static int emit(struct render *r, const char *s, size_t n)
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

/* Bytes both forms have. */
static int put(struct render *r, const char *s, size_t n)
{
	return count(r, n) && emit(r, s, n);
}

static int puts_(struct render *r, const char *s)
{
	return put(r, s, strlen(s));
}

#define SPACES16 "                "

/* Bytes only the pretty form has. */
static int put_pretty(struct render *r, const char *s, size_t n)
{
	return count(r, n) && (!r->pretty || emit(r, s, n));
}

static int newline_indent(struct render *r, unsigned depth)
{
	/* "\n" and two spaces a level: depth <= PIN_JSON_MAX_DEPTH, so it all fits. */
	static const char nl_indent[2 * PIN_JSON_MAX_DEPTH + 2] =
		"\n" SPACES16 SPACES16 SPACES16 SPACES16 SPACES16 SPACES16 SPACES16 SPACES16;

	return put_pretty(r, nl_indent, 1 + 2 * (size_t)depth);
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

/*
 * After a value: at depth 0 that was the whole document, and the pretty
 * form's final newline follows it (counted here, so the scanner counts it
 * at the write that completes the document).
 */
static int after_value(struct render *r)
{
	if (r->depth == 0 && !r->done) {
		r->done = true;
		r->done_at = yajl_get_bytes_consumed(r->h);
		return put_pretty(r, "\n", 1);
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

/* Remembers what an error is about, cut short for a message. */
static void set_detail(struct render *r, const char *s, size_t n)
{
	size_t max = sizeof(r->detail) - 4;

	if (n > max) {
		memcpy(r->detail, s, max);
		memcpy(r->detail + max, "...", 4);
	} else {
		memcpy(r->detail, s, n);
		r->detail[n] = '\0';
	}
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

/*
 * A number token (yajl checked its grammar: -?int(.frac)?([eE][+-]?exp)?)
 * as decimal digits d[0..ni+nf) with the point after ni of them, times
 * ten to the exponent.
 */
struct number {
	bool neg;
	const char *ip, *fp;	/* integer and fraction digits */
	size_t ni, nf;
	int64_t exp;		/* saturated: far past what any check allows */
};

#define EXP_SATURATED (INT64_C(1) << 40)

static void number_split(const char *s, size_t n, struct number *x)
{
	size_t i = 0;
	bool eneg = false;

	memset(x, 0, sizeof(*x));
	if (i < n && s[i] == '-') {
		x->neg = true;
		i++;
	}
	x->ip = s + i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	x->ni = (size_t)(s + i - x->ip);
	x->fp = s + i;
	if (i < n && s[i] == '.') {
		x->fp = s + ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		x->nf = (size_t)(s + i - x->fp);
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (x->exp < EXP_SATURATED)
				x->exp = x->exp * 10 + (s[i] - '0');
		if (eneg)
			x->exp = -x->exp;
	}
}

static char number_digit(const struct number *x, int64_t j)
{
	return (size_t)j < x->ni ? x->ip[j] : x->fp[(size_t)j - x->ni];
}

/*
 * Where numeric_out puts the digits. point: how many of d[] come before the
 * decimal point (may be negative or past the end); first: the first digit
 * that is not 0 (-1: the number is zero); scale: digits after the point,
 * max(0, nf - exp), as numeric_in's display scale. Returns whether
 * PostgreSQL can store the number (numeric_in's and make_result's checks).
 */
struct layout {
	int64_t point, first, scale, len;
};

static bool number_layout(const struct number *x, struct layout *l)
{
	int64_t total = (int64_t)(x->ni + x->nf);

	l->first = -1;
	for (int64_t j = 0; j < total && l->first < 0; j++)
		if (number_digit(x, j) != '0')
			l->first = j;
	l->point = (int64_t)x->ni + x->exp;
	l->scale = (int64_t)x->nf - x->exp;
	if (l->scale < 0)
		l->scale = 0;
	l->len = (x->neg && l->first >= 0) +
		 (l->first < 0 || l->point <= l->first ? 1 : l->point - l->first) +
		 (l->scale > 0 ? 1 + l->scale : 0);
	return x->exp < PIN_JSON_NUMBER_MAX_EXPONENT && x->exp > -PIN_JSON_NUMBER_MAX_EXPONENT &&
	       l->scale <= PIN_JSON_NUMBER_MAX_SCALE &&
	       (l->first < 0 || l->point - 1 - l->first < PIN_JSON_NUMBER_MAX_DIGITS);
}

/* Writes d[from..to) (already counted). */
static int emit_digits(struct render *r, const struct number *x, int64_t from, int64_t to)
{
	size_t f = (size_t)from, t = (size_t)to;

	if (f < x->ni && !emit(r, x->ip + f, (t < x->ni ? t : x->ni) - f))
		return 0;
	if (t > x->ni) {
		f = f > x->ni ? f - x->ni : 0;
		return emit(r, x->fp + f, t - x->ni - f);
	}
	return 1;
}

static int emit_zeros(struct render *r, int64_t n)
{
	static const char zeros[] = "00000000000000000000000000000000";

	const int64_t chunk = (int64_t)sizeof(zeros) - 1;

	for (; n > 0; n -= chunk)
		if (!emit(r, zeros, (size_t)(n < chunk ? n : chunk)))
			return 0;
	return 1;
}

/* numeric_out's text: [-]int[.frac], frac exactly scale digits, no sign on zero. */
static int put_number(struct render *r, const char *s, size_t n)
{
	struct number x;
	struct layout l;
	int64_t total;

	number_split(s, n, &x);
	if (!number_layout(&x, &l)) {
		if (r->strict) {
			r->out_of_range = true;
			set_detail(r, s, n);
			return 0;
		}
		return put(r, s, n);	/* only another tool stored this: show it as it is */
	}
	if (!count(r, (size_t)l.len))
		return 0;
	if (!r->emit)
		return 1;
	total = (int64_t)(x.ni + x.nf);
	if (x.neg && l.first >= 0 && !emit(r, "-", 1))
		return 0;
	if (l.first < 0 || l.point <= l.first) {
		if (!emit(r, "0", 1))
			return 0;
	} else if (!emit_digits(r, &x, l.first, l.point < total ? l.point : total) ||
		   !emit_zeros(r, l.point - total)) {
		return 0;
	}
	if (l.scale == 0)
		return 1;
	/* scale > 0 means point < total: the fraction is d[point..total), zero-padded in front. */
	return emit(r, ".", 1) && emit_zeros(r, -l.point) &&
	       emit_digits(r, &x, l.point > 0 ? l.point : 0, total);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct render *r = ctx;

	return before_value(r) && put_number(r, s, n) && after_value(r);
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

/* Whether the keys of the open object are checked for repeats. */
static bool keys_checked(const struct render *r)
{
	return r->strict && r->emit;
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
	r->kstart[r->depth] = r->nkeys;
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

static int remember_key(struct render *r, size_t off)
{
	if (r->nkeys == r->keys_cap) {
		size_t cap = r->keys_cap ? r->keys_cap * 2 : 16;
		struct keyref *nk = realloc(r->keys, cap * sizeof(*nk));

		if (!nk) {
			r->oom = true;
			return 0;
		}
		r->keys = nk;
		r->keys_cap = cap;
	}
	r->keys[r->nkeys++] = (struct keyref){off, r->len - off};
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct render *r = ctx;
	size_t off;

	if (!strict_utf8(r, key, n))
		return 0;
	if (r->count[r->depth]++ > 0 && !put(r, ",", 1))
		return 0;
	if (!newline_indent(r, r->depth))
		return 0;
	off = r->len;
	if (!put_string(r, key, n) || (keys_checked(r) && !remember_key(r, off)))
		return 0;
	r->after_key = true;
	return put(r, ":", 1) && put_pretty(r, " ", 1);
}

static int cmp_key(const void *a, const void *b, void *arg)
{
	const struct keyref *x = a, *y = b;
	const char *buf = arg;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(buf + x->off, buf + y->off, x->len);
}

/* Refuses an object that has a key twice (keys as written: escaping is canonical). */
static int check_keys(struct render *r)
{
	size_t from = r->kstart[r->depth], n = r->nkeys - from;
	struct keyref *k;

	r->nkeys = from;
	if (n < 2)
		return 1; /* and r->keys may still be NULL */
	k = r->keys + from;
	qsort_r(k, n, sizeof(*k), cmp_key, r->buf);
	for (size_t i = 1; i < n; i++) {
		if (cmp_key(&k[i - 1], &k[i], r->buf) == 0) {
			r->dup_key = true;
			set_detail(r, r->buf + k[i].off, k[i].len);
			return 0;
		}
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct render *r = ctx;

	if (keys_checked(r) && !check_keys(r))
		return 0;
	return close_container(r, "}");
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
	if (r->too_large)
		return pfs_error_set(reterr, -EFBIG, 0,
				     "the value's canonical form is longer than %zu bytes", r->max);
	if (r->too_deep)
		return pfs_error_set(reterr, -EINVAL, 0, "JSON nested deeper than %d levels",
				     PIN_JSON_MAX_DEPTH);
	if (r->bad_utf8)
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: a string is not valid UTF-8");
	if (r->out_of_range)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "number %s is out of range for PostgreSQL's numeric (at most "
				     "%d digits before the decimal point and %d after)",
				     r->detail, PIN_JSON_NUMBER_MAX_DIGITS,
				     PIN_JSON_NUMBER_MAX_SCALE);
	if (r->dup_key)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "invalid JSON: object key %s appears twice", r->detail);
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

/* Parses in[0..len) as one value into r (set up by the caller); 0 or -errno. */
static int render_doc(struct render *r, const char *in, size_t len, struct pfs_error *reterr)
{
	struct lexguard g = {0};
	yajl_handle h;
	yajl_status st;
	int ret = 0;

	if (only_space(in, len))
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: empty value");
	if (!lexguard_feed(&g, in, len) || g.in_hex || g.pair != LG_FREE)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "invalid JSON: \\u0000, an unpaired surrogate, or a form feed "
				     "or vertical tab outside a string");
	h = yajl_alloc(&callbacks, NULL, r);
	if (!h)
		return -ENOMEM;
	r->h = h;
	st = yajl_parse(h, (const unsigned char *)in, len);
	/*
	 * After the document only whitespace may follow. yajl does not always
	 * see it ("6\"": an unfinished string after a complete number passes
	 * its end-of-input check), so check it here, as the scanner does.
	 */
	if (st == yajl_status_ok && r->done && !only_space(in + r->done_at, len - r->done_at))
		ret = pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: trailing garbage");
	else if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (ret == 0 && st != yajl_status_ok)
		ret = parse_error(h, r, in, len, reterr);
	yajl_free(h);
	return ret;
}

int pin_json_render(const char *in, size_t len, enum pin_json_style style, size_t max_pretty,
		    char **ret_out, size_t *ret_len, struct pfs_error *reterr)
{
	struct render r = {.emit = true, .pretty = style == PIN_JSON_PRETTY, .max = max_pretty};
	int ret = render_doc(&r, in, len, reterr);

	free(r.keys);
	if (ret < 0) {
		free(r.buf);
		return ret;
	}
	*ret_out = r.buf;
	*ret_len = r.len;
	return 0;
}

int pin_json_canonicalize(const char *in, size_t len, size_t max_pretty, char **ret_out,
			  size_t *ret_len, size_t *ret_pretty_len, struct pfs_error *reterr)
{
	struct render r = {.emit = true, .strict = true, .max = max_pretty};
	int ret = render_doc(&r, in, len, reterr);

	free(r.keys);
	if (ret < 0) {
		free(r.buf);
		return ret;
	}
	*ret_out = r.buf;
	*ret_len = r.len;
	if (ret_pretty_len)
		*ret_pretty_len = r.plen;
	return 0;
}

struct pin_scan {
	struct render r;
	struct lexguard g;
	yajl_handle h;
	size_t fed;
	size_t max;
	int failed;		/* 0, or the error every later feed returns */
};

struct pin_scan *pin_scan_new(size_t max_pretty)
{
	struct pin_scan *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max = max_pretty;
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
	/* Numbers are judged as for a new value; keys are not kept (no output to compare). */
	s->r.strict = true;
	s->r.max = s->max;
	s->fed = 0;
	s->failed = 0;
	s->h = yajl_alloc(&callbacks, NULL, &s->r);
	s->r.h = s->h;
	return s->h ? 0 : -ENOMEM;
}

int pin_scan_feed(struct pin_scan *s, const char *buf, size_t len)
{
	if (s->failed)
		return s->failed;
	if (!s->h)
		return -ENOMEM;
	bool was_done = s->r.done;

	s->fed += len;
	if (!lexguard_feed(&s->g, buf, len) ||
	    yajl_parse(s->h, (const unsigned char *)buf, len) != yajl_status_ok) {
		s->failed = s->r.too_large ? -EFBIG : -EINVAL;
		return s->failed;
	}
	/*
	 * yajl holds an unfinished token without judging it, so a second value
	 * ("1 2") would pass until the end; after a complete document only
	 * whitespace may follow.
	 */
	if (s->r.done && !only_space(buf + (was_done ? 0 : s->r.done_at),
				     len - (was_done ? 0 : s->r.done_at))) {
		s->failed = -EINVAL;
		return s->failed;
	}
	return 0;
}

size_t pin_scan_offset(const struct pin_scan *s)
{
	return s->fed;
}
