/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the config parser (config_load_string, pinfs.json(5)).
 *
 * Invariants:
 *   - the result is 0, -EINVAL or -ENOMEM; on failure reterr carries the
 *     same code and a message, and *ret is left alone;
 *   - loading is deterministic (a second load gives the same answer);
 *   - anything jansson refuses (duplicate keys included) is refused;
 *   - on success every field matches the document, parsed independently
 *     here with jansson: the mode, each route's tenant, backend and
 *     password_file, is_glob, the policy path, every tokens.* string, the
 *     pool values, max_value_bytes and reaper_interval_s (each within its
 *     documented bounds, or the default when absent), and log_level.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "pinfs/config.h"

/* A string field: absent in the document means NULL in the config. */
static void check_string(json_t *obj, const char *key, const char *got)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (!v) {
		FUZZ_CHECK_MSG(got == NULL, "\"%s\" absent but set to \"%s\"", key, got);
		return;
	}
	FUZZ_CHECK(json_is_string(v) && json_string_length(v) > 0);
	FUZZ_CHECK_MSG(got && strcmp(got, json_string_value(v)) == 0, "\"%s\" is \"%s\"", key,
		       got ? got : "(null)");
}

static void check_uint(json_t *obj, const char *key, unsigned long long got, unsigned long long def,
		       unsigned long long min, unsigned long long max)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;

	if (!v) {
		FUZZ_CHECK_MSG(got == def, "\"%s\" absent but %llu, not the default %llu", key, got,
			       def);
		return;
	}
	FUZZ_CHECK(json_is_integer(v));
	FUZZ_CHECK_MSG(
	    json_integer_value(v) >= 0 && (unsigned long long)json_integer_value(v) == got &&
		got >= min && got <= max,
	    "\"%s\" is %llu, document says %lld", key, got, (long long)json_integer_value(v));
}

static void check_config(const struct config *cfg, json_t *doc)
{
	static const char *const modes[] = {"saas", "enterprise", "system", "lab"};
	struct backend_params def;
	json_t *v, *pool, *routes, *tokens;

	FUZZ_CHECK(json_is_object(doc));
	FUZZ_CHECK(cfg->path && strcmp(cfg->path, "<fuzz>") == 0);

	v = json_object_get(doc, "mode");
	FUZZ_CHECK((unsigned)cfg->mode < 4);
	FUZZ_CHECK(strcmp(config_mode_name(cfg->mode), modes[cfg->mode]) == 0);
	if (v)
		FUZZ_CHECK(json_is_string(v) &&
			   strcmp(json_string_value(v), modes[cfg->mode]) == 0);
	else
		FUZZ_CHECK(cfg->mode == CONFIG_MODE_SAAS);

	routes = json_object_get(doc, "routes");
	FUZZ_CHECK(cfg->n_routes == (routes ? json_array_size(routes) : 0));
	FUZZ_CHECK(cfg->n_routes == 0 || cfg->routes != NULL);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct config_route *rt = &cfg->routes[i];
		json_t *jr = json_array_get(routes, i);

		FUZZ_CHECK(json_is_object(jr));
		check_string(jr, "tenant", rt->tenant);
		check_string(jr, "backend", rt->backend);
		check_string(jr, "password_file", rt->password_file);
		FUZZ_CHECK(rt->tenant && rt->tenant[0] && rt->backend && rt->backend[0]);
		FUZZ_CHECK(rt->is_glob == (strpbrk(rt->tenant, "*?[") != NULL));
		for (const char *p = rt->tenant; *p; p++)
			FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789_.-*?[]!",
					  *p) != NULL);
	}

	check_string(doc, "policy", cfg->policy);

	tokens = json_object_get(doc, "tokens");
	FUZZ_CHECK(!tokens || json_is_object(tokens));
	check_string(tokens, "algorithm", cfg->tokens.algorithm);
	check_string(tokens, "secret_file", cfg->tokens.secret_file);
	check_string(tokens, "public_key_file", cfg->tokens.public_key_file);
	check_string(tokens, "issuer", cfg->tokens.issuer);
	check_string(tokens, "audience", cfg->tokens.audience);

	backend_params_default(&def);
	pool = json_object_get(doc, "pool");
	FUZZ_CHECK(!pool || json_is_object(pool));
	check_uint(pool, "size", cfg->backend.pool_size, def.pool_size, 1, 256);
	check_uint(pool, "wait_ms", cfg->backend.pool_wait_ms, def.pool_wait_ms, 1, 600000);
	check_uint(pool, "connect_timeout_s", cfg->backend.connect_timeout_s, def.connect_timeout_s,
		   2, 600);
	check_uint(pool, "statement_timeout_ms", cfg->backend.statement_timeout_ms,
		   def.statement_timeout_ms, 1, 3600000);
	check_uint(pool, "retries", cfg->backend.retries, def.retries, 0, 10);

	check_uint(doc, "max_value_bytes", cfg->max_value_bytes, 1048576, 2, 64ull << 20);
	check_uint(doc, "reaper_interval_s", cfg->reaper_interval_s, 60, 0, 86400);

	v = json_object_get(doc, "log_level");
	if (v)
		FUZZ_CHECK(cfg->log_level >= 0 && cfg->log_level <= 7);
	else
		FUZZ_CHECK(cfg->log_level == -1);

	/* Nothing else is accepted at the top level. */
	{
		static const char *const known[] = {"mode",
						    "routes",
						    "policy",
						    "tokens",
						    "pool",
						    "max_value_bytes",
						    "reaper_interval_s",
						    "log_level"};
		const char *key;
		json_t *val;

		json_object_foreach(doc, key, val)
		{
			bool ok = false;

			for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
				ok = ok || strcmp(known[i], key) == 0;
			FUZZ_CHECK_MSG(ok, "unrecognized key \"%s\" accepted", key);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *sentinel = (struct config *)(uintptr_t)0x1;
	struct config *cfg = sentinel, *cfg2 = NULL;
	struct pfs_error err = {0}, err2 = {0};
	json_error_t jerr;
	json_t *doc;
	int r, r2;

	r = config_load_string((const char *)data, size, "<fuzz>", &cfg, &err);
	FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -ENOMEM, "config_load_string = %d", r);
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (r < 0) {
		FUZZ_CHECK(cfg == sentinel);
		FUZZ_CHECK(err.code == r);
		FUZZ_CHECK(err.message[0] != '\0');
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
	} else {
		FUZZ_CHECK_MSG(doc != NULL, "accepted what jansson refuses: %s", jerr.text);
		FUZZ_CHECK(cfg != NULL && cfg != sentinel);
		check_config(cfg, doc);
	}

	r2 = config_load_string((const char *)data, size, "<fuzz>", &cfg2, &err2);
	FUZZ_CHECK(r2 == r);
	if (r < 0)
		FUZZ_CHECK(strcmp(err.message, err2.message) == 0);

	json_decref(doc);
	if (r == 0)
		config_free(cfg);
	config_free(cfg2);
	return 0;
}
