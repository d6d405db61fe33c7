/* SPDX-License-Identifier: MIT */
/*
 * Seed file parser (see seed.h). Every value is validated as a pin would be.
 *
 * Values keep their numbers' digits as the file writes them (0.8 stays
 * 0.8, 2.0 stays 2.0; 1e3 becomes 1000, as PostgreSQL prints it), as a
 * write through the filesystem does, so that "pinctl seed" and
 * "cp -r examples/seed/TENANT /pins/" store the same text. jansson checks
 * the document (and gives the other fields), but its doubles would print
 * as 0.80000000000000004 and 2: the value is rendered from its own bytes in
 * the file instead, found by a small scanner that may assume valid JSON
 * because jansson has accepted the document first.
 */
#include "pinfs/seed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pinfs/backend.h"
#include "pinfs/path_codec.h"
#include "pinfs/pin_json.h"

struct seed *seed_free(struct seed *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		free(s->pins[i].tenant);
		free(s->pins[i].key);
		free(s->pins[i].value);
		free(s->pins[i].source);
	}
	free(s->pins);
	free(s);
	return NULL;
}

/* ---- raw value spans --------------------------------------------------- */

struct span {
	const char *p;
	size_t len;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': returns the byte after the closing quote. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return p < end ? p + 1 : end;
}

/* p at the start of a value: returns the byte after it. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	if (p >= end)
		return end;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !strchr(",]} \t\n\r", *p))
			p++;
		return p;
	}
	for (; p < end; p++) {
		if (*p == '"') {
			p = skip_string(p, end) - 1;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return end;
}

/* Whether the key string at p (at '"') is exactly name, without escapes. */
static bool key_is(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - p) > n + 1 && memcmp(p + 1, name, n) == 0 && p[n + 1] == '"';
}

/*
 * Calls fn(member value span) for each member of the object at p named name.
 * Returns the byte after the object.
 */
static const char *object_members(const char *p, const char *end, const char *name,
				  void (*fn)(struct span v, void *ctx), void *ctx)
{
	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return skip_value(p, end);
	for (p = skip_ws(p + 1, end); p < end && *p == '"';) {
		bool match = key_is(p, end, name);
		const char *v;

		p = skip_ws(skip_string(p, end), end);	/* at ':' */
		v = skip_ws(p + 1, end);
		p = skip_value(v, end);
		if (match)
			fn((struct span){v, (size_t)(p - v)}, ctx);
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
	return p < end ? p + 1 : end;
}

struct value_spans {
	struct span *v;		/* one per element of "pins" */
	size_t n, cap;
	size_t element;		/* the element being scanned */
};

static void on_value(struct span v, void *ctx)
{
	struct value_spans *vs = ctx;

	if (vs->element < vs->cap)
		vs->v[vs->element] = v;
}

static void on_pins(struct span arr, void *ctx)
{
	struct value_spans *vs = ctx;
	const char *p = skip_ws(arr.p, arr.p + arr.len), *end = arr.p + arr.len;

	if (p >= end || *p != '[')
		return;
	for (p = skip_ws(p + 1, end), vs->element = 0; p < end && *p != ']'; vs->element++) {
		p = object_members(p, end, "value", on_value, vs);
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
	}
}

/* ---- pins ------------------------------------------------------------------ */

static int parse_pin(json_t *o, size_t i, const char *path, const struct span *raw,
		     size_t max_value, struct seed_pin *p, struct pfs_error *reterr)
{
	json_t *tenant = json_object_get(o, "tenant"), *key = json_object_get(o, "key");
	json_t *value = json_object_get(o, "value"), *source = json_object_get(o, "source");
	json_t *ttl = json_object_get(o, "ttl_seconds");
	char *text;
	int r;

	p->ttl_seconds = -1;
	if (!json_is_string(tenant) || path_tenant_validate(json_string_value(tenant)) < 0)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu].tenant: not a tenant name",
				     path, i);
	if (!json_is_string(key) || path_key_validate(json_string_value(key)) < 0)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu].key: not a key", path, i);
	if (!value)
		return pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu].value is missing", path, i);
	if (source && (!json_is_string(source) || json_string_length(source) == 0 ||
		       json_string_length(source) >= PIN_SOURCE_MAX))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu].source: a short string",
				     path, i);
	if (ttl && !json_is_null(ttl) &&
	    (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	     json_integer_value(ttl) > PIN_TTL_MAX))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: pins[%zu].ttl_seconds: an integer from 0 to %d", path, i,
				     PIN_TTL_MAX);
	if (raw && raw->p) {
		/* Through the same validator as a write, so a seed holds only what a file could. */
		r = pin_json_canonicalize(raw->p, raw->len, max_value, &p->value, &p->value_len,
					  NULL, reterr);
	} else {
		/* A "value" key the scanner did not see (written with escapes): jansson's text. */
		text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!text)
			return -ENOMEM;
		r = pin_json_canonicalize(text, strlen(text), max_value, &p->value, &p->value_len,
					  NULL, reterr);
		free(text);
	}
	if (r < 0) {
		pfs_error_prefix(reterr, "%s: pins[%zu].value", path, i);
		return r;
	}
	p->tenant = strdup(json_string_value(tenant));
	p->key = strdup(json_string_value(key));
	p->source = source ? strdup(json_string_value(source)) : NULL;
	if (ttl && json_is_integer(ttl))
		p->ttl_seconds = (int32_t)json_integer_value(ttl);
	if (!p->tenant || !p->key || (source && !p->source))
		return -ENOMEM;
	return 0;
}

/* Reads a whole file (seed files are small: at most 64 MiB). */
static int read_all(const char *path, char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			char *nb;

			if (cap > (64u << 20)) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int seed_load_file(const char *path, size_t max_value, struct seed **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(seed_freep) struct seed *s = calloc(1, sizeof(*s));
	PFS_AUTOFREE char *text = NULL;
	PFS_AUTOFREE struct span *spans = NULL;
	struct value_spans vs = {0};
	json_error_t jerr;
	json_t *doc, *pins, *o;
	size_t i, len = 0;
	int r = 0;

	if (!s)
		return -ENOMEM;
	r = read_all(path, &text, &len);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not read seed file \"%s\": %s", path,
				     strerror(-r));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return pfs_error_set(reterr, -EINVAL, jerr.line, "%s: line %d: %s", path, jerr.line,
				     jerr.text);
	pins = json_object_get(doc, "pins");
	if (!json_is_array(pins)) {
		json_decref(doc);
		return pfs_error_set(reterr, -EINVAL, 0, "%s: \"pins\" must be an array", path);
	}
	s->pins = calloc(json_array_size(pins) + 1, sizeof(*s->pins));
	spans = calloc(json_array_size(pins) + 1, sizeof(*spans));
	if (!s->pins || !spans) {
		json_decref(doc);
		return -ENOMEM;
	}
	vs.v = spans;
	vs.cap = json_array_size(pins);
	(void)object_members(text, text + len, "pins", on_pins, &vs);
	json_array_foreach(pins, i, o) {
		if (!json_is_object(o)) {
			r = pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu] must be an object", path,
					  i);
			break;
		}
		s->n = i + 1;
		r = parse_pin(o, i, path, &spans[i], max_value, &s->pins[i], reterr);
		if (r < 0)
			break;
	}
	json_decref(doc);
	if (r < 0)
		return r;
	*ret = steal_ptr(&s);
	return 0;
}

bool seed_value_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	json_t *ja = json_loadb(a, alen, JSON_DECODE_ANY, NULL);
	json_t *jb = json_loadb(b, blen, JSON_DECODE_ANY, NULL);
	bool same = ja && jb && json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return same;
}
