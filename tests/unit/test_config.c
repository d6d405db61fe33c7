/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for config: parsing pinfs.json into struct config, refusing
 * unknown keys and wrong types with a message that names the field
 * ("routes[1].backend"), reporting the line of invalid JSON, the embedded
 * default (lab mode, one "*" route to SQLite) and the data directory.
 * Written from include/pinfs/config.h, DESIGN.md section 5 and, for details
 * the header leaves open (bounds, defaults), src/config.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "pinfs/backend.h"
#include "pinfs/config.h"
#include "pinfs/route.h"

/* ---- helpers ---------------------------------------------------------- */

static struct config *load_ok(const char *text)
{
	struct pfs_error err = {0};
	struct config *cfg = NULL;
	int r = config_load_string(text, strlen(text), "test.json", &cfg, &err);

	if (r != 0)
		fail_msg("config_load_string = %d (%s) for:\n%s", r, err.message, text);
	assert_non_null(cfg);
	return cfg;
}

/*
 * Asserts that text is refused with -EINVAL, *ret is left alone, and the
 * message names every one of the given fields (NULL-terminated).
 */
static void expect_refused(const char *text, ...)
{
	struct pfs_error err = {0};
	struct config *sentinel = (struct config *)&err;
	struct config *cfg = sentinel;
	int r = config_load_string(text, strlen(text), "test.json", &cfg, &err);
	va_list ap;
	const char *field;

	if (r != -EINVAL)
		fail_msg("config_load_string = %d, want -EINVAL, for:\n%s", r, text);
	assert_ptr_equal(cfg, sentinel);
	assert_int_equal(err.code, -EINVAL);
	va_start(ap, text);
	while ((field = va_arg(ap, const char *)))
		if (!strstr(err.message, field)) {
			va_end(ap);
			fail_msg("message \"%s\" does not name \"%s\"", err.message, field);
		}
	va_end(ap);
}

#define MIN_ROUTES "\"routes\": [{\"tenant\": \"acme\", \"backend\": \"postgresql:///pins\"}]"

/* ---- what loads -------------------------------------------------------- */

static void test_config_minimal_saas_loads_with_defaults(void **state)
{
	struct config *cfg = load_ok("{\"mode\": \"saas\", " MIN_ROUTES "}");
	struct backend_params def;

	(void)state;
	backend_params_default(&def);
	assert_int_equal(cfg->mode, CONFIG_MODE_SAAS);
	assert_int_equal(cfg->n_routes, 1);
	assert_string_equal(cfg->routes[0].tenant, "acme");
	assert_string_equal(cfg->routes[0].backend, "postgresql:///pins");
	assert_null(cfg->routes[0].password_file);
	assert_false(cfg->routes[0].is_glob);
	assert_null(cfg->policy);
	assert_null(cfg->tokens.algorithm);
	assert_null(cfg->tokens.secret_file);
	assert_null(cfg->tokens.public_key_file);
	assert_null(cfg->tokens.issuer);
	assert_null(cfg->tokens.audience);
	/* Header: default 1 MiB; log level -1 when unset. */
	assert_int_equal(cfg->max_value_bytes, 1048576);
	assert_int_equal(cfg->log_level, -1);
	/* No "pool": the drivers' defaults. */
	assert_int_equal(cfg->backend.pool_size, def.pool_size);
	assert_int_equal(cfg->backend.pool_wait_ms, def.pool_wait_ms);
	assert_int_equal(cfg->backend.connect_timeout_s, def.connect_timeout_s);
	assert_int_equal(cfg->backend.statement_timeout_ms, def.statement_timeout_ms);
	assert_int_equal(cfg->backend.retries, def.retries);
	assert_null(config_free(cfg));
}

static void test_config_design_example_loads_and_routes(void **state)
{
	struct config *cfg = load_ok(
	    "{\n"
	    "  \"mode\": \"saas\",\n"
	    "  \"routes\": [\n"
	    "    {\"tenant\": \"acme\",  \"backend\": "
	    "\"postgresql://pinfs@db1/pins?target_session_attrs=read-write\"},\n"
	    "    {\"tenant\": \"lab-*\", \"backend\": \"sqlite:///var/lib/pinfs/lab.db\"},\n"
	    "    {\"tenant\": \"*\",     \"backend\": \"postgresql:///pins\"}\n"
	    "  ],\n"
	    "  \"policy\": \"/etc/pinfs/rbac_policies.json\"\n"
	    "}\n");

	(void)state;
	assert_int_equal(cfg->mode, CONFIG_MODE_SAAS);
	assert_int_equal(cfg->n_routes, 3);
	assert_string_equal(cfg->routes[0].tenant, "acme");
	assert_string_equal(cfg->routes[0].backend,
			    "postgresql://pinfs@db1/pins?target_session_attrs=read-write");
	assert_false(cfg->routes[0].is_glob);
	assert_string_equal(cfg->routes[1].tenant, "lab-*");
	assert_string_equal(cfg->routes[1].backend, "sqlite:///var/lib/pinfs/lab.db");
	assert_true(cfg->routes[1].is_glob);
	assert_string_equal(cfg->routes[2].tenant, "*");
	assert_true(cfg->routes[2].is_glob);
	assert_string_equal(cfg->policy, "/etc/pinfs/rbac_policies.json");

	/* The parsed table drives routing as the design says. */
	assert_int_equal(route_match(cfg->routes, cfg->n_routes, "acme"), 0);
	assert_int_equal(route_match(cfg->routes, cfg->n_routes, "lab-3"), 1);
	assert_int_equal(route_match(cfg->routes, cfg->n_routes, "globex"), 2);
	config_free(cfg);
}

static void test_config_every_field_is_parsed(void **state)
{
	struct config *cfg = load_ok(
	    "{\n"
	    "  \"mode\": \"enterprise\",\n"
	    "  \"routes\": [\n"
	    "    {\"tenant\": \"acme\", \"backend\": \"postgresql://db1/pins\",\n"
	    "     \"password_file\": \"/etc/pinfs/db1.pass\"},\n"
	    "    {\"tenant\": \"t?[ab]\", \"backend\": \"sqlite:///tmp/x.db\"}\n"
	    "  ],\n"
	    "  \"policy\": \"/etc/pinfs/policy.json\",\n"
	    "  \"tokens\": {\"algorithm\": \"HS256\", \"secret_file\": \"/etc/pinfs/hs.key\",\n"
	    "             \"public_key_file\": \"/etc/pinfs/pub.pem\", \"issuer\": \"iss-x\",\n"
	    "             \"audience\": \"aud-y\"},\n"
	    "  \"pool\": {\"size\": 16, \"wait_ms\": 250, \"connect_timeout_s\": 3,\n"
	    "           \"statement_timeout_ms\": 1500, \"retries\": 4},\n"
	    "  \"max_value_bytes\": 4096,\n"
	    "  \"reaper_interval_s\": 0,\n"
	    "  \"log_level\": \"debug\"\n"
	    "}\n");

	(void)state;
	assert_int_equal(cfg->mode, CONFIG_MODE_ENTERPRISE);
	assert_int_equal(cfg->n_routes, 2);
	assert_string_equal(cfg->routes[0].password_file, "/etc/pinfs/db1.pass");
	assert_null(cfg->routes[1].password_file);
	assert_true(cfg->routes[1].is_glob);
	assert_string_equal(cfg->policy, "/etc/pinfs/policy.json");
	assert_string_equal(cfg->tokens.algorithm, "HS256");
	assert_string_equal(cfg->tokens.secret_file, "/etc/pinfs/hs.key");
	assert_string_equal(cfg->tokens.public_key_file, "/etc/pinfs/pub.pem");
	assert_string_equal(cfg->tokens.issuer, "iss-x");
	assert_string_equal(cfg->tokens.audience, "aud-y");
	assert_int_equal(cfg->backend.pool_size, 16);
	assert_int_equal(cfg->backend.pool_wait_ms, 250);
	assert_int_equal(cfg->backend.connect_timeout_s, 3);
	assert_int_equal(cfg->backend.statement_timeout_ms, 1500);
	assert_int_equal(cfg->backend.retries, 4);
	assert_int_equal(cfg->max_value_bytes, 4096);
	assert_int_equal(cfg->reaper_interval_s, 0); /* 0 disables the reaper */
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	config_free(cfg);
}

static void test_config_partial_pool_keeps_other_defaults(void **state)
{
	struct config *cfg =
	    load_ok("{\"mode\": \"saas\", " MIN_ROUTES ", \"pool\": {\"size\": 3}}");
	struct backend_params def;

	(void)state;
	backend_params_default(&def);
	assert_int_equal(cfg->backend.pool_size, 3);
	assert_int_equal(cfg->backend.pool_wait_ms, def.pool_wait_ms);
	assert_int_equal(cfg->backend.retries, def.retries);
	config_free(cfg);
}

static void test_config_limit_shares_default_to_a_quarter(void **state)
{
	struct config *cfg = load_ok("{" MIN_ROUTES "}");

	(void)state;
	assert_int_equal(cfg->max_open_files, 8192);
	assert_int_equal(cfg->max_open_files_per_uid, 2048);
	assert_int_equal(cfg->max_staged_bytes, 256u << 20);
	assert_int_equal(cfg->max_staged_bytes_per_uid, 64u << 20);
	assert_int_equal(cfg->max_pending_names, 4096);
	assert_int_equal(cfg->max_pending_names_per_uid, 1024);
	assert_int_equal(cfg->max_system_handles, 256);
	assert_int_equal(cfg->max_system_handles_per_uid, 64);
	config_free(cfg);
	/* A quarter of the budget the file sets; staged bytes hold one value at least. */
	cfg = load_ok("{" MIN_ROUTES ", \"max_open_files\": 10, \"max_staged_bytes\": 2097152, "
		      "\"max_value_bytes\": 1048576, \"max_pending_names\": 3, "
		      "\"max_system_handles\": 1}");
	assert_int_equal(cfg->max_open_files_per_uid, 2);
	assert_int_equal(cfg->max_staged_bytes_per_uid, 1048577);
	assert_int_equal(cfg->max_pending_names_per_uid, 1);
	assert_int_equal(cfg->max_system_handles_per_uid, 1);
	config_free(cfg);
	/* ...but never more than the budget. */
	cfg = load_ok("{" MIN_ROUTES ", \"max_staged_bytes\": 1048576, "
		      "\"max_value_bytes\": 4194304}");
	assert_int_equal(cfg->max_staged_bytes_per_uid, 1048576);
	config_free(cfg);
}

static void test_config_limit_shares_are_parsed_and_checked(void **state)
{
	struct config *cfg = load_ok(
	    "{" MIN_ROUTES ", \"max_open_files\": 100, \"max_open_files_per_uid\": 100, "
	    "\"max_staged_bytes_per_uid\": 4096, \"max_pending_names_per_uid\": 7, "
	    "\"max_system_handles\": 50, \"max_system_handles_per_uid\": 5}");

	(void)state;
	assert_int_equal(cfg->max_open_files_per_uid, 100);
	assert_int_equal(cfg->max_staged_bytes_per_uid, 4096);
	assert_int_equal(cfg->max_pending_names_per_uid, 7);
	assert_int_equal(cfg->max_system_handles, 50);
	assert_int_equal(cfg->max_system_handles_per_uid, 5);
	config_free(cfg);
	expect_refused("{" MIN_ROUTES ", \"max_open_files\": 10, \"max_open_files_per_uid\": 11}",
		       "\"max_open_files_per_uid\" (11)", "\"max_open_files\" (10)", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_pending_names_per_uid\": 4097}",
		       "max_pending_names_per_uid", "max_pending_names", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_system_handles_per_uid\": 0}",
		       "max_system_handles_per_uid", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_staged_bytes_per_uid\": 100}",
		       "max_staged_bytes_per_uid", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_pending_names\": \"4096\"}", "max_pending_names",
		       NULL);
}

static void test_config_each_mode_name_maps_to_its_enum(void **state)
{
	static const struct {
		const char *name;
		enum config_mode mode;
	} modes[] = {
	    {"saas", CONFIG_MODE_SAAS},
	    {"enterprise", CONFIG_MODE_ENTERPRISE},
	    {"system", CONFIG_MODE_SYSTEM},
	    {"lab", CONFIG_MODE_LAB},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char text[256];
		struct config *cfg;

		snprintf(text, sizeof(text), "{\"mode\": \"%s\", " MIN_ROUTES "}", modes[i].name);
		cfg = load_ok(text);
		assert_int_equal(cfg->mode, modes[i].mode);
		assert_string_equal(config_mode_name(cfg->mode), modes[i].name);
		config_free(cfg);
	}
}

static void test_config_log_level_names_map_to_syslog(void **state)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
	    {"err", LOG_ERR},	{"warning", LOG_WARNING}, {"notice", LOG_NOTICE},
	    {"info", LOG_INFO}, {"debug", LOG_DEBUG},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char text[256];
		struct config *cfg;

		snprintf(text, sizeof(text), "{" MIN_ROUTES ", \"log_level\": \"%s\"}",
			 levels[i].name);
		cfg = load_ok(text);
		assert_int_equal(cfg->log_level, levels[i].level);
		config_free(cfg);
	}
}

static void test_config_lab_without_routes_loads(void **state)
{
	struct config *cfg = load_ok("{\"mode\": \"lab\"}");

	(void)state;
	assert_int_equal(cfg->mode, CONFIG_MODE_LAB);
	assert_int_equal(cfg->n_routes, 0);
	assert_int_equal(route_match(cfg->routes, cfg->n_routes, "acme"), -ENXIO);
	config_free(cfg);
}

static void test_config_load_string_uses_len(void **state)
{
	const char *text = "{\"mode\": \"lab\"}GARBAGE";
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_string(text, 15, "t.json", &cfg, NULL), 0);
	assert_int_equal(cfg->mode, CONFIG_MODE_LAB);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(config_load_string(text, strlen(text), "t.json", &cfg, NULL), -EINVAL);
	assert_null(cfg);
}

/* ---- what is refused, and the message names the field ------------------- */

static void test_config_unknown_mode_is_einval_naming_mode(void **state)
{
	(void)state;
	expect_refused("{\"mode\": \"cloud\", " MIN_ROUTES "}", "mode", NULL);
	expect_refused("{\"mode\": \"SAAS\", " MIN_ROUTES "}", "mode", NULL);
	expect_refused("{\"mode\": \"\", " MIN_ROUTES "}", "mode", NULL);
}

static void test_config_mode_wrong_type_is_einval_naming_mode(void **state)
{
	(void)state;
	expect_refused("{\"mode\": 1, " MIN_ROUTES "}", "mode", NULL);
	expect_refused("{\"mode\": [\"saas\"], " MIN_ROUTES "}", "mode", NULL);
	expect_refused("{\"mode\": null, " MIN_ROUTES "}", "mode", NULL);
}

static void test_config_unknown_top_level_key_is_einval_naming_it(void **state)
{
	(void)state;
	expect_refused("{\"mode\": \"saas\", " MIN_ROUTES ", \"routez\": []}", "routez", NULL);
	expect_refused("{\"Mode\": \"saas\", " MIN_ROUTES "}", "Mode", NULL);
	expect_refused("{\"mode\": \"saas\", " MIN_ROUTES ", \"max_value_byte\": 5}",
		       "max_value_byte", NULL);
}

static void test_config_unknown_route_key_is_einval_naming_it(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\", "
		       "\"colour\": \"red\"}]}",
		       "routes[0].colour", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}, "
		       "{\"tenant\": \"b\", \"backend\": \"sqlite:///y\", \"passwd\": \"p\"}]}",
		       "routes[1].passwd", NULL);
}

static void test_config_route_backend_wrong_type_names_routes_1_backend(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}, "
		       "{\"tenant\": \"b\", \"backend\": 5}]}",
		       "routes[1].backend", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"\"}]}",
		       "routes[0].backend", NULL);
	expect_refused("{\"routes\": [{\"tenant\": [\"a\"], \"backend\": \"sqlite:///x\"}]}",
		       "routes[0].tenant", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\", "
		       "\"password_file\": true}]}",
		       "routes[0].password_file", NULL);
}

static void test_config_route_missing_backend_names_the_route(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}, "
		       "{\"tenant\": \"b\"}]}",
		       "routes[1]", "backend", NULL);
}

static void test_config_route_missing_tenant_names_the_route(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"backend\": \"sqlite:///x\"}]}", "routes[0]", "tenant",
		       NULL);
}

static void test_config_route_bad_tenant_pattern_is_einval(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"a/b\", \"backend\": \"sqlite:///x\"}]}",
		       "routes[0].tenant", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a b\", \"backend\": \"sqlite:///x\"}]}",
		       "routes[0].tenant", NULL);
}

static void test_config_routes_wrong_shape_is_einval(void **state)
{
	(void)state;
	expect_refused("{\"routes\": {\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}}", "routes",
		       NULL);
	expect_refused("{\"routes\": \"acme\"}", "routes", NULL);
	expect_refused("{\"routes\": [\"acme\"]}", "routes[0]", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}, 7]}",
		       "routes[1]", NULL);
}

static void test_config_pool_fields_are_checked(void **state)
{
	(void)state;
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"size\": \"ten\"}}", "pool.size", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"size\": 0}}", "pool.size", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"size\": 2.5}}", "pool.size", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"retries\": -1}}", "pool.retries", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"wait_ms\": true}}", "pool.wait_ms", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": {\"sise\": 4}}", "pool.sise", NULL);
	expect_refused("{" MIN_ROUTES ", \"pool\": [4]}", "pool", NULL);
}

static void test_config_tokens_fields_are_checked(void **state)
{
	(void)state;
	expect_refused("{" MIN_ROUTES ", \"tokens\": {\"alg\": \"HS256\"}}", "tokens.alg", NULL);
	expect_refused("{" MIN_ROUTES ", \"tokens\": {\"issuer\": 3}}", "tokens.issuer", NULL);
	expect_refused("{" MIN_ROUTES ", \"tokens\": \"HS256\"}", "tokens", NULL);
}

static void test_config_scalar_fields_are_checked(void **state)
{
	(void)state;
	expect_refused("{" MIN_ROUTES ", \"max_value_bytes\": \"1M\"}", "max_value_bytes", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_value_bytes\": -1}", "max_value_bytes", NULL);
	expect_refused("{" MIN_ROUTES ", \"max_value_bytes\": 1.5}", "max_value_bytes", NULL);
	expect_refused("{" MIN_ROUTES ", \"reaper_interval_s\": -5}", "reaper_interval_s", NULL);
	expect_refused("{" MIN_ROUTES ", \"reaper_interval_s\": \"60\"}", "reaper_interval_s",
		       NULL);
	expect_refused("{" MIN_ROUTES ", \"log_level\": \"loud\"}", "log_level", NULL);
	expect_refused("{" MIN_ROUTES ", \"log_level\": 7}", "log_level", NULL);
	expect_refused("{" MIN_ROUTES ", \"policy\": 5}", "policy", NULL);
	expect_refused("{" MIN_ROUTES ", \"policy\": null}", "policy", NULL);
}

static void test_config_invalid_json_reports_line(void **state)
{
	const char *text = "{\n  \"mode\": \"saas\",\n  oops\n}\n";
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_string(text, strlen(text), "bad.json", &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_int_equal(err.code, -EINVAL);
	assert_int_equal(err.line, 3);
	assert_true(err.message[0] != '\0');
}

static void test_config_invalid_json_on_line_5_reports_5(void **state)
{
	const char *text = "{\n\"mode\": \"lab\",\n\"routes\": [\n{\"tenant\": \"a\",\n"
			   "\"backend\": \"sqlite:///x\",}\n]\n}\n";
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_string(text, strlen(text), "bad.json", &cfg, &err), -EINVAL);
	assert_int_equal(err.line, 5);
}

static void test_config_duplicate_key_is_einval(void **state)
{
	(void)state;
	/* A second "mode" must not silently win. */
	expect_refused("{\"mode\": \"saas\", \"mode\": \"lab\", " MIN_ROUTES "}", NULL);
}

static void test_config_not_an_object_is_einval(void **state)
{
	(void)state;
	expect_refused("[]", NULL);
	expect_refused("\"saas\"", NULL);
	expect_refused("null", NULL);
	expect_refused("", NULL);
	expect_refused("   \n", NULL);
	expect_refused("{} {}", NULL);
}

static void test_config_error_after_some_routes_frees_them(void **state)
{
	(void)state;
	/* Leak checkers (ASan, valgrind) verify the partial config is freed. */
	expect_refused(
	    "{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\", "
	    "\"password_file\": \"/p\"}, {\"tenant\": \"b\", \"backend\": \"sqlite:///y\"},"
	    " {\"tenant\": \"c\", \"backend\": 1}], \"policy\": \"/p.json\"}",
	    "routes[2].backend", NULL);
	expect_refused("{\"policy\": \"/p.json\", \"tokens\": {\"issuer\": \"i\"}, " MIN_ROUTES
		       ", \"log_level\": \"nope\"}",
		       "log_level", NULL);
}

static void test_config_reterr_may_be_null(void **state)
{
	const char *text = "{\"mode\": \"nope\"}";
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_string(text, strlen(text), "t.json", &cfg, NULL), -EINVAL);
	assert_null(cfg);
}

/* ---- files --------------------------------------------------------------- */

static char *write_temp(const char *text)
{
	char tmpl[] = "/tmp/pinfs-test-config-XXXXXX";
	int fd = mkstemp(tmpl);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return strdup(tmpl);
}

static void test_config_load_file_parses_and_keeps_path(void **state)
{
	char *path = write_temp("{\n  \"mode\": \"system\",\n  " MIN_ROUTES "\n}\n");
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_non_null(path);
	assert_int_equal(config_load_file(path, &cfg, &err), 0);
	assert_non_null(cfg);
	assert_int_equal(cfg->mode, CONFIG_MODE_SYSTEM);
	assert_int_equal(cfg->n_routes, 1);
	assert_non_null(cfg->path);
	assert_string_equal(cfg->path, path);
	config_free(cfg);
	unlink(path);
	free(path);
}

static void test_config_load_file_invalid_json_reports_line_and_path(void **state)
{
	char *path = write_temp("{\n  \"mode\": \"lab\"\n  \"routes\": []\n}\n");
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_file(path, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, path));
	unlink(path);
	free(path);
}

static void test_config_load_file_unknown_key_names_field(void **state)
{
	char *path = write_temp("{\"mode\": \"lab\", \"routes\": [{\"tenant\": \"a\", "
				"\"backend\": \"sqlite:///x\"}, {\"tenant\": \"b\", "
				"\"backend\": {}}]}");
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_load_file(path, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "routes[1].backend"));
	unlink(path);
	free(path);
}

static void test_config_load_file_missing_is_enoent(void **state)
{
	struct pfs_error err = {0};
	struct config *cfg = NULL;
	const char *path = "/nonexistent-pinfs-dir/pinfs.json";

	(void)state;
	assert_int_equal(config_load_file(path, &cfg, &err), -ENOENT);
	assert_null(cfg);
	assert_int_equal(err.code, -ENOENT);
	assert_non_null(strstr(err.message, path));
}

/* A FIFO or a symbolic link where a file pinfs trusts should be. */
static void test_config_load_file_refuses_fifos_and_readable_password_files(void **state)
{
	char dirt[] = "/tmp/pinfs-test-config-XXXXXX";
	char fifo[96], pw[96], link[96], text[512];
	struct pfs_error err = {0};
	struct config *cfg = NULL;
	char *path;

	(void)state;
	assert_non_null(mkdtemp(dirt));
	/* a FIFO at the config's path is refused at once: it must not block a reload */
	snprintf(fifo, sizeof(fifo), "%s/fifo.json", dirt);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(config_load_file(fifo, &cfg, &err), -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "not a regular file"));
	unlink(fifo);

	/* a password file others may read is refused, saying what to chmod */
	snprintf(pw, sizeof(pw), "%s/pgpass", dirt);
	{
		FILE *f = fopen(pw, "w");

		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	snprintf(text, sizeof(text),
		 "{\"mode\": \"saas\", \"routes\": [{\"tenant\": \"*\", \"backend\": "
		 "\"postgresql:///x\", \"password_file\": \"%s\"}]}",
		 pw);
	path = write_temp(text);
	assert_int_equal(chmod(pw, 0640), 0);
	assert_int_equal(config_load_file(path, &cfg, &err), -EPERM);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "password file"));
	assert_non_null(strstr(err.message, "readable by its group"));
	assert_non_null(strstr(err.message, "chmod go-rwx"));
	assert_int_equal(chmod(pw, 0600), 0);
	assert_int_equal(config_load_file(path, &cfg, &err), 0);
	cfg = config_free(cfg);
	unlink(path);
	free(path);

	/* ... and one named through a symbolic link */
	snprintf(link, sizeof(link), "%s/pgpass-link", dirt);
	assert_int_equal(symlink(pw, link), 0);
	snprintf(text, sizeof(text),
		 "{\"mode\": \"saas\", \"routes\": [{\"tenant\": \"*\", \"backend\": "
		 "\"postgresql:///x\", \"password_file\": \"%s\"}]}",
		 link);
	path = write_temp(text);
	assert_int_equal(config_load_file(path, &cfg, &err), -ELOOP);
	assert_null(cfg);
	assert_non_null(strstr(err.message, "symbolic link"));
	unlink(link);
	unlink(path);
	free(path);

	/* the config itself may be a symbolic link: the file it leads to is checked */
	snprintf(text, sizeof(text),
		 "{\"mode\": \"saas\", \"routes\": [{\"tenant\": \"*\", \"backend\": "
		 "\"postgresql:///x\", \"password_file\": \"%s\"}]}",
		 pw);
	path = write_temp(text);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(config_load_file(link, &cfg, &err), 0);
	cfg = config_free(cfg);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(config_load_file(link, &cfg, &err), -EPERM);
	assert_non_null(strstr(err.message, "writable by everyone"));
	unlink(link);
	unlink(path);
	free(path);
	unlink(pw);
	rmdir(dirt);
}

/* ---- the embedded default ------------------------------------------------ */

static void test_config_default_is_lab_with_one_sqlite_route(void **state)
{
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_new_default("/tmp/pinfs-data", &cfg, &err), 0);
	assert_non_null(cfg);
	assert_null(cfg->path);
	assert_int_equal(cfg->mode, CONFIG_MODE_LAB);
	assert_int_equal(cfg->n_routes, 1);
	assert_string_equal(cfg->routes[0].tenant, "*");
	assert_true(cfg->routes[0].is_glob);
	assert_string_equal(cfg->routes[0].backend, "sqlite:///tmp/pinfs-data/pins.db");
	assert_int_equal(cfg->max_value_bytes, 1048576);
	assert_int_equal(route_match(cfg->routes, cfg->n_routes, "anything"), 0);
	config_free(cfg);
}

static void test_config_default_data_dir_prefers_xdg(void **state)
{
	char *dir = NULL;

	(void)state;
	assert_int_equal(setenv("XDG_DATA_HOME", "/xdg/data", 1), 0);
	assert_int_equal(setenv("HOME", "/home/u", 1), 0);
	assert_int_equal(config_default_data_dir(&dir), 0);
	assert_string_equal(dir, "/xdg/data/pinfs");
	free(dir);
}

static void test_config_default_data_dir_falls_back_to_home(void **state)
{
	char *dir = NULL;

	(void)state;
	assert_int_equal(unsetenv("XDG_DATA_HOME"), 0);
	assert_int_equal(setenv("HOME", "/home/u", 1), 0);
	assert_int_equal(config_default_data_dir(&dir), 0);
	assert_string_equal(dir, "/home/u/.local/share/pinfs");
	free(dir);

	/* An empty or relative XDG_DATA_HOME is ignored (XDG base directory spec). */
	dir = NULL;
	assert_int_equal(setenv("XDG_DATA_HOME", "", 1), 0);
	assert_int_equal(config_default_data_dir(&dir), 0);
	assert_string_equal(dir, "/home/u/.local/share/pinfs");
	free(dir);
	dir = NULL;
	assert_int_equal(setenv("XDG_DATA_HOME", "relative/dir", 1), 0);
	assert_int_equal(config_default_data_dir(&dir), 0);
	assert_string_equal(dir, "/home/u/.local/share/pinfs");
	free(dir);
}

/* ---- "pooler" and "feed" (PostgreSQL behind a transaction pooler) ------ */

#define PGB "postgresql://pinfs@bouncer:6432/pins"
#define DIRECT "postgresql://pinfs@db1/pins"

static void test_config_route_pooler_and_feed_are_parsed(void **state)
{
	struct config *cfg = load_ok(
	    "{\"routes\": [\n"
	    "  {\"tenant\": \"acme\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\",\n"
	    "   \"feed\": \"" DIRECT "\"},\n"
	    "  {\"tenant\": \"beta\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\",\n"
	    "   \"feed\": \"" DIRECT "\"},\n"
	    "  {\"tenant\": \"solo\", \"backend\": \"postgresql://x/other\",\n"
	    "   \"pooler\": \"transaction\"},\n"
	    "  {\"tenant\": \"plain\", \"backend\": \"postgresql://y/p\", \"pooler\": \"none\",\n"
	    "   \"feed\": \"postgres://z/p\"},\n"
	    "  {\"tenant\": \"lab-*\", \"backend\": \"sqlite:///tmp/x.db\", \"pooler\": \"none\"}\n"
	    "]}");

	(void)state;
	assert_int_equal(cfg->n_routes, 5);
	assert_int_equal(cfg->routes[0].pooler, BACKEND_POOLER_TRANSACTION);
	assert_string_equal(cfg->routes[0].feed, DIRECT);
	assert_int_equal(cfg->routes[1].pooler, BACKEND_POOLER_TRANSACTION);
	/* A transaction pooler without a feed loads (the daemon warns: no cache for it). */
	assert_int_equal(cfg->routes[2].pooler, BACKEND_POOLER_TRANSACTION);
	assert_null(cfg->routes[2].feed);
	/* A feed on its own: LISTEN somewhere else than the pool's server. */
	assert_int_equal(cfg->routes[3].pooler, BACKEND_POOLER_NONE);
	assert_string_equal(cfg->routes[3].feed, "postgres://z/p");
	assert_int_equal(cfg->routes[4].pooler, BACKEND_POOLER_NONE);
	assert_null(cfg->routes[4].feed);
	config_free(cfg);
}

static void test_config_route_pooler_defaults_to_none_without_feed(void **state)
{
	struct config *cfg = load_ok("{" MIN_ROUTES "}");

	(void)state;
	assert_int_equal(cfg->routes[0].pooler, BACKEND_POOLER_NONE);
	assert_null(cfg->routes[0].feed);
	config_free(cfg);
}

static void test_config_route_pooler_unknown_value_names_route_and_field(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"pooler\": \"session\"}]}",
		       "route \"acme\"", "routes[0].pooler", "\"none\" or \"transaction\"",
		       "\"session\"", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"sqlite:///x\"}, "
		       "{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"pooler\": \"Transaction\"}]}",
		       "route \"acme\"", "routes[1].pooler", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"pooler\": true}]}",
		       "routes[0].pooler", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"pooler\": \"\"}]}",
		       "routes[0].pooler", NULL);
}

static void test_config_route_feed_must_be_a_postgresql_uri(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"pooler\": \"transaction\", \"feed\": \"host=db1 dbname=pins\"}]}",
		       "route \"acme\"", "routes[0].feed", "postgresql://", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"feed\": \"sqlite:///tmp/x.db\"}]}",
		       "route \"acme\"", "routes[0].feed", "postgresql://", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"acme\", \"backend\": \"" PGB "\", "
		       "\"feed\": 5}]}",
		       "routes[0].feed", NULL);
}

static void test_config_route_pooler_and_feed_refused_for_sqlite(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [{\"tenant\": \"lab\", \"backend\": \"sqlite:///tmp/x.db\", "
		       "\"pooler\": \"transaction\"}]}",
		       "route \"lab\"", "routes[0].pooler", "PostgreSQL", NULL);
	expect_refused("{\"routes\": [{\"tenant\": \"lab\", \"backend\": \"sqlite:///tmp/x.db\", "
		       "\"feed\": \"" DIRECT "\"}]}",
		       "route \"lab\"", "routes[0].feed", "PostgreSQL", NULL);
}

static void test_config_route_feed_through_the_pooler_is_refused(void **state)
{
	struct pfs_error err = {0};
	struct config *cfg = NULL;
	const char *text = "{\"routes\": [{\"tenant\": \"acme\", "
			   "\"backend\": \"postgresql://u:s3cret@bouncer/pins\", "
			   "\"pooler\": \"transaction\", "
			   "\"feed\": \"postgresql://u:s3cret@bouncer/pins\"}]}";

	(void)state;
	expect_refused(text, "route \"acme\"", "routes[0].feed", "direct", NULL);
	assert_int_equal(config_load_string(text, strlen(text), "t.json", &cfg, &err), -EINVAL);
	/* URIs may carry passwords: messages never quote them. */
	assert_null(strstr(err.message, "s3cret"));
}

static void test_config_routes_sharing_a_backend_must_agree(void **state)
{
	(void)state;
	expect_refused("{\"routes\": [\n"
		       "  {\"tenant\": \"acme\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\","
		       "   \"feed\": \"" DIRECT "\"},\n"
		       "  {\"tenant\": \"lab\", \"backend\": \"sqlite:///tmp/x.db\"},\n"
		       "  {\"tenant\": \"beta\", \"backend\": \"" PGB "\"}]}",
		       "route \"beta\"", "routes[2].pooler", "route \"acme\"", "routes[0].pooler",
		       "same backend", NULL);
	expect_refused("{\"routes\": [\n"
		       "  {\"tenant\": \"acme\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\","
		       "   \"feed\": \"" DIRECT "\"},\n"
		       "  {\"tenant\": \"beta\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\","
		       "   \"feed\": \"postgresql://pinfs@db2/pins\"}]}",
		       "route \"beta\"", "routes[1].feed", "routes[0].feed", NULL);
	expect_refused("{\"routes\": [\n"
		       "  {\"tenant\": \"acme\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\","
		       "   \"feed\": \"" DIRECT "\"},\n"
		       "  {\"tenant\": \"beta\", \"backend\": \"" PGB "\", \"pooler\": \"transaction\"}]}",
		       "route \"beta\"", "routes[1].feed", NULL);
	/* Explicit "none" and no "pooler" at all agree. */
	config_free(load_ok("{\"routes\": [{\"tenant\": \"a\", \"backend\": \"" DIRECT "\"},"
			    " {\"tenant\": \"b\", \"backend\": \"" DIRECT "\", \"pooler\": \"none\"}]}"));
}

static void test_config_free_null_returns_null(void **state)
{
	(void)state;
	assert_null(config_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_minimal_saas_loads_with_defaults),
	    cmocka_unit_test(test_config_design_example_loads_and_routes),
	    cmocka_unit_test(test_config_every_field_is_parsed),
	    cmocka_unit_test(test_config_partial_pool_keeps_other_defaults),
	    cmocka_unit_test(test_config_limit_shares_default_to_a_quarter),
	    cmocka_unit_test(test_config_limit_shares_are_parsed_and_checked),
	    cmocka_unit_test(test_config_each_mode_name_maps_to_its_enum),
	    cmocka_unit_test(test_config_log_level_names_map_to_syslog),
	    cmocka_unit_test(test_config_lab_without_routes_loads),
	    cmocka_unit_test(test_config_load_string_uses_len),
	    cmocka_unit_test(test_config_unknown_mode_is_einval_naming_mode),
	    cmocka_unit_test(test_config_mode_wrong_type_is_einval_naming_mode),
	    cmocka_unit_test(test_config_unknown_top_level_key_is_einval_naming_it),
	    cmocka_unit_test(test_config_unknown_route_key_is_einval_naming_it),
	    cmocka_unit_test(test_config_route_backend_wrong_type_names_routes_1_backend),
	    cmocka_unit_test(test_config_route_missing_backend_names_the_route),
	    cmocka_unit_test(test_config_route_missing_tenant_names_the_route),
	    cmocka_unit_test(test_config_route_bad_tenant_pattern_is_einval),
	    cmocka_unit_test(test_config_routes_wrong_shape_is_einval),
	    cmocka_unit_test(test_config_pool_fields_are_checked),
	    cmocka_unit_test(test_config_tokens_fields_are_checked),
	    cmocka_unit_test(test_config_scalar_fields_are_checked),
	    cmocka_unit_test(test_config_invalid_json_reports_line),
	    cmocka_unit_test(test_config_invalid_json_on_line_5_reports_5),
	    cmocka_unit_test(test_config_duplicate_key_is_einval),
	    cmocka_unit_test(test_config_not_an_object_is_einval),
	    cmocka_unit_test(test_config_error_after_some_routes_frees_them),
	    cmocka_unit_test(test_config_reterr_may_be_null),
	    cmocka_unit_test(test_config_load_file_parses_and_keeps_path),
	    cmocka_unit_test(test_config_load_file_invalid_json_reports_line_and_path),
	    cmocka_unit_test(test_config_load_file_unknown_key_names_field),
	    cmocka_unit_test(test_config_load_file_missing_is_enoent),
	    cmocka_unit_test(test_config_load_file_refuses_fifos_and_readable_password_files),
	    cmocka_unit_test(test_config_default_is_lab_with_one_sqlite_route),
	    cmocka_unit_test(test_config_default_data_dir_prefers_xdg),
	    cmocka_unit_test(test_config_default_data_dir_falls_back_to_home),
	    cmocka_unit_test(test_config_route_pooler_and_feed_are_parsed),
	    cmocka_unit_test(test_config_route_pooler_defaults_to_none_without_feed),
	    cmocka_unit_test(test_config_route_pooler_unknown_value_names_route_and_field),
	    cmocka_unit_test(test_config_route_feed_must_be_a_postgresql_uri),
	    cmocka_unit_test(test_config_route_pooler_and_feed_refused_for_sqlite),
	    cmocka_unit_test(test_config_route_feed_through_the_pooler_is_refused),
	    cmocka_unit_test(test_config_routes_sharing_a_backend_must_agree),
	    cmocka_unit_test(test_config_free_null_returns_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
