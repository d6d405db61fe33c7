/* SPDX-License-Identifier: MIT */
/* Seed file parser (see seed.h). Every value is validated as a pin would be. */
#include "pinfs/seed.h"

#include <errno.h>
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

static int parse_pin(json_t *o, size_t i, const char *path, struct seed_pin *p,
		     struct pfs_error *reterr)
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
	text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	/* Through the same validator as a write, so a seed holds only what a file could. */
	r = pin_json_render(text, strlen(text), PIN_JSON_COMPACT, &p->value, &p->value_len, reterr);
	free(text);
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

int seed_load_file(const char *path, struct seed **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(seed_freep) struct seed *s = calloc(1, sizeof(*s));
	json_error_t jerr;
	json_t *doc, *pins, *o;
	size_t i;
	int r = 0;

	if (!s)
		return -ENOMEM;
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return pfs_error_set(reterr, -EINVAL, jerr.line, "%s: line %d: %s", path, jerr.line,
				     jerr.text);
	pins = json_object_get(doc, "pins");
	if (!json_is_array(pins)) {
		json_decref(doc);
		return pfs_error_set(reterr, -EINVAL, 0, "%s: \"pins\" must be an array", path);
	}
	s->pins = calloc(json_array_size(pins) + 1, sizeof(*s->pins));
	if (!s->pins) {
		json_decref(doc);
		return -ENOMEM;
	}
	json_array_foreach(pins, i, o) {
		if (!json_is_object(o)) {
			r = pfs_error_set(reterr, -EINVAL, 0, "%s: pins[%zu] must be an object", path,
					  i);
			break;
		}
		s->n = i + 1;
		r = parse_pin(o, i, path, &s->pins[i], reterr);
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
