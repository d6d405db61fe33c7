/* SPDX-License-Identifier: MIT */
/*
 * The shipped examples must stay loadable by the code they document:
 *   - every examples/pinfs*.json through config_load_file (a strict mode,
 *     at least one route, absolute paths for the files the daemon opens);
 *   - examples/pinfs-primary-standby.json names two hosts and
 *     target_session_attrs=read-write (what makes it fail over);
 *   - every policy file (policies/NAME.json) but the JSON Schema through
 *     policy_load_file;
 *   - examples/memory_pins_seed.json through seed_load_file: the 7 default
 *     pins of tenant "global";
 *   - examples/seed/TENANT/KEY (for "cp -r examples/seed/global /pins/")
 *     holds exactly the seed file's pins, value for value.
 * PINFS_SOURCE_ROOT (set by meson) locates the tree.
 */
#include <dirent.h>
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

#include <cmocka.h>

#include "pinfs/config.h"
#include "pinfs/policy.h"
#include "pinfs/pin_json.h"
#include "pinfs/seed.h"

static const char *root(void)
{
	const char *r = getenv("PINFS_SOURCE_ROOT");

	if (!r)
		fail_msg("PINFS_SOURCE_ROOT is not set (run through meson test)");
	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Lists DIR's regular files whose names start with prefix and end with suffix, sorted. */
static size_t list_files(const char *dir, const char *prefix, const char *suffix, char ***ret)
{
	struct dirent **ents = NULL;
	char **out = NULL;
	size_t n_out = 0;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0)
		fail_msg("could not list \"%s\": %s", dir, strerror(errno));
	out = calloc((size_t)(n < 0 ? 0 : n) + 1, sizeof(*out));
	assert_non_null(out);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] != '.' && strncmp(name, prefix, strlen(prefix)) == 0 &&
		    ends_with(name, suffix) && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			out[n_out] = strdup(path);
			assert_non_null(out[n_out]);
			n_out++;
		}
		free(ents[i]);
	}
	free(ents);
	*ret = out;
	return n_out;
}

static void free_list(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

static void assert_absolute(const char *path, const char *file, const char *what)
{
	if (path && path[0] != '/')
		fail_msg("%s: %s \"%s\" is not an absolute path", file, what, path);
}

static void test_examples_configs_load(void **state)
{
	char dir[4096], **files;
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/examples", root());
	n = list_files(dir, "pinfs", ".json", &files);
	/* sqlite, postgres, primary-standby, mixed, pgbouncer: losing one is a failure too. */
	if (n < 5)
		fail_msg("expected at least 5 examples/pinfs*.json, found %zu", n);
	for (size_t i = 0; i < n; i++) {
		struct pfs_error err = {0};
		struct config *cfg = NULL;
		int r = config_load_file(files[i], &cfg, &err);

		if (r != 0)
			fail_msg("%s does not load: %s", files[i], err.message);
		print_message("# %s: mode %s, %zu routes\n", files[i], config_mode_name(cfg->mode),
			      cfg->n_routes);
		if (cfg->mode == CONFIG_MODE_LAB)
			fail_msg("%s: an operator's example must not use lab mode", files[i]);
		if (cfg->n_routes == 0)
			fail_msg("%s: no routes", files[i]);
		for (size_t j = 0; j < cfg->n_routes; j++)
			assert_absolute(cfg->routes[j].password_file, files[i], "password_file");
		config_free(cfg);
	}
	free_list(files);
}

/* The PgBouncer example pools every route in transaction mode, with a direct feed. */
static void test_examples_pgbouncer_has_pooler_and_feed(void **state)
{
	char path[4096];
	struct pfs_error err = {0};
	struct config *cfg = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/pinfs-pgbouncer.json", root());
	if (config_load_file(path, &cfg, &err) != 0)
		fail_msg("%s does not load: %s", path, err.message);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		assert_int_equal(cfg->routes[i].pooler, BACKEND_POOLER_TRANSACTION);
		assert_non_null(cfg->routes[i].feed);
		assert_string_not_equal(cfg->routes[i].feed, cfg->routes[i].backend);
	}
	config_free(cfg);
}

static void test_examples_primary_standby_fails_over(void **state)
{
	char path[4096];
	struct pfs_error err = {0};
	struct config *cfg = NULL;
	const char *uri, *hosts;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/pinfs-primary-standby.json", root());
	assert_int_equal(config_load_file(path, &cfg, &err), 0);
	assert_true(cfg->n_routes >= 1);
	uri = cfg->routes[0].backend;
	assert_non_null(strstr(uri, "target_session_attrs=read-write"));
	/* postgresql://user@host1:port,host2:port/db: a comma in the authority part. */
	hosts = strchr(uri, '@');
	assert_non_null(hosts);
	assert_true(strchr(hosts, ',') && strchr(hosts, ',') < strchr(hosts, '/'));
	config_free(cfg);
}

static void test_examples_policies_load(void **state)
{
	char dir[4096], **files;
	size_t n, loaded = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/policies", root());
	n = list_files(dir, "", ".json", &files);
	for (size_t i = 0; i < n; i++) {
		struct pfs_error err = {0};
		struct policy *pol = NULL;
		int r;

		if (ends_with(files[i], ".schema.json"))
			continue;
		r = policy_load_file(files[i], &pol, &err);
		if (r != 0)
			fail_msg("%s does not load: %s", files[i], err.message);
		print_message("# %s loads\n", files[i]);
		policy_free(pol);
		loaded++;
	}
	assert_true(loaded >= 1);
	free_list(files);
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		fail_msg("could not open \"%s\": %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	*ret_len = (size_t)len;
	return buf;
}

static void test_examples_seed_has_the_seven_default_pins(void **state)
{
	static const char *const keys[] = {"rate_limits",    "budget",	      "feature_flags",
					   "skill_registry", "retry_policy", "observability",
					   "system:version"};
	char path[4096];
	struct pfs_error err = {0};
	struct seed *seed = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/memory_pins_seed.json", root());
	if (seed_load_file(path, PIN_JSON_UNLIMITED, &seed, &err) != 0)
		fail_msg("%s does not load: %s", path, err.message);
	assert_int_equal(seed->n, PFS_ARRAY_SIZE(keys));
	for (size_t i = 0; i < PFS_ARRAY_SIZE(keys); i++) {
		bool found = false;

		for (size_t j = 0; j < seed->n; j++)
			if (strcmp(seed->pins[j].tenant, "global") == 0 &&
			    strcmp(seed->pins[j].key, keys[i]) == 0)
				found = true;
		if (!found)
			fail_msg("the seed has no pin global/%s", keys[i]);
	}
	seed_free(seed);
}

/* examples/seed/TENANT/KEY must equal the seed file, pin for pin (cp -r == pinctl seed). */
static void test_examples_seed_tree_equals_seed_file(void **state)
{
	char path[4096], dir[4096];
	struct pfs_error err = {0};
	struct seed *seed = NULL;
	size_t n_files = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/examples/memory_pins_seed.json", root());
	assert_int_equal(seed_load_file(path, PIN_JSON_UNLIMITED, &seed, &err), 0);
	for (size_t i = 0; i < seed->n; i++) {
		const struct seed_pin *p = &seed->pins[i];
		size_t len;
		char *text;

		/* Keys with "/" or "%" would be encoded in file names; the seed has none. */
		assert_null(strpbrk(p->key, "/%"));
		snprintf(path, sizeof(path), "%s/examples/seed/%s/%s", root(), p->tenant, p->key);
		text = read_file(path, &len);
		if (!seed_value_equal(text, len, p->value, p->value_len))
			fail_msg("%s differs from %s/%s in memory_pins_seed.json", path, p->tenant,
				 p->key);
		free(text);
	}
	/* ... and nothing more: a stray file would become an extra pin. */
	snprintf(dir, sizeof(dir), "%s/examples/seed", root());
	{
		struct dirent **tenants = NULL;
		int nt = scandir(dir, &tenants, NULL, alphasort);

		assert_true(nt >= 0);
		for (int t = 0; t < nt; t++) {
			char tdir[4096 + 256 + 2], **files;
			size_t n;

			if (tenants[t]->d_name[0] == '.') {
				free(tenants[t]);
				continue;
			}
			snprintf(tdir, sizeof(tdir), "%s/%s", dir, tenants[t]->d_name);
			n = list_files(tdir, "", "", &files);
			for (size_t f = 0; f < n; f++) {
				const char *key = strrchr(files[f], '/') + 1;
				bool found = false;

				for (size_t i = 0; i < seed->n; i++)
					if (strcmp(seed->pins[i].tenant, tenants[t]->d_name) == 0 &&
					    strcmp(seed->pins[i].key, key) == 0)
						found = true;
				if (!found)
					fail_msg("%s is not in memory_pins_seed.json", files[f]);
			}
			n_files += n;
			free_list(files);
			free(tenants[t]);
		}
		free(tenants);
	}
	assert_int_equal(n_files, seed->n);
	seed_free(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_configs_load),
		cmocka_unit_test(test_examples_primary_standby_fails_over),
	    cmocka_unit_test(test_examples_pgbouncer_has_pooler_and_feed),
		cmocka_unit_test(test_examples_policies_load),
		cmocka_unit_test(test_examples_seed_has_the_seven_default_pins),
		cmocka_unit_test(test_examples_seed_tree_equals_seed_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
