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

struct render {
	bool emit;		/* false: scan only */
	bool pretty;
	bool after_key;		/* the next value follows "key": */
	bool too_deep;
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

	return before_value(r) && puts_(r, "null");
}

static int cb_boolean(void *ctx, int v)
{
	struct render *r = ctx;

	return before_value(r) && puts_(r, v ? "true" : "false");
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct render *r = ctx;

	return before_value(r) && put(r, s, n);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct render *r = ctx;

	return before_value(r) && put_string(r, s, n);
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
	return puts_(r, brace);
}

static int cb_start_map(void *ctx)
{
	return open_container(ctx, "{");
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct render *r = ctx;

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
	yajl_handle h;
	yajl_status st;
	int ret;

	if (only_space(in, len))
		return pfs_error_set(reterr, -EINVAL, 0, "invalid JSON: empty value");
	h = yajl_alloc(&callbacks, NULL, &r);
	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)in, len);
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
	s->fed = 0;
	s->failed = false;
	s->h = yajl_alloc(&callbacks, NULL, &s->r);
	return s->h ? 0 : -ENOMEM;
}

int pin_scan_feed(struct pin_scan *s, const char *buf, size_t len)
{
	if (s->failed)
		return -EINVAL;
	if (!s->h)
		return -ENOMEM;
	s->fed += len;
	if (yajl_parse(s->h, (const unsigned char *)buf, len) != yajl_status_ok) {
		s->failed = true;
		return -EINVAL;
	}
	return 0;
}

size_t pin_scan_offset(const struct pin_scan *s)
{
	return s->fed;
}
