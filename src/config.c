/* SPDX-License-Identifier: MIT */
/*
 * Config file parser (pinfs.json(5)). Pure: reads one file, builds an
 * immutable struct config or explains, naming the field, what is wrong.
 * Every key is declared in one table per object with its type and bounds;
 * anything else is refused ("unrecognized key"), so a typo cannot silently
 * change behaviour.
 */
#include "pinfs/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>

#include "pinfs/fileperm.h"
#include "pinfs/log.h"

static const char *const mode_names[] = {
	[CONFIG_MODE_SAAS] = "saas",
	[CONFIG_MODE_ENTERPRISE] = "enterprise",
	[CONFIG_MODE_SYSTEM] = "system",
	[CONFIG_MODE_LAB] = "lab",
};

const char *config_mode_name(enum config_mode mode)
{
	return mode_names[mode];
}

enum field_type { F_STRING, F_UINT, F_OBJECT, F_ARRAY };

struct field {
	const char *name;
	enum field_type type;
	unsigned long long min, max;	/* for F_UINT */
};

/*
 * Checks that every key of obj is declared in fields[] with the right type.
 * where is the object's path for messages ("" for the top level).
 */
static int check_fields(json_t *obj, const char *where, const struct field *fields, size_t n,
			const char *path, struct pfs_error *reterr)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const struct field *f = NULL;
		bool ok;

		for (size_t i = 0; i < n; i++)
			if (strcmp(fields[i].name, key) == 0)
				f = &fields[i];
		if (!f)
			return pfs_error_set(reterr, -EINVAL, 0, "%s: unrecognized key \"%s%s\"",
					     path, where, key);
		switch (f->type) {
		case F_STRING:
			ok = json_is_string(v) && json_string_length(v) > 0;
			break;
		case F_UINT:
			ok = json_is_integer(v) && json_integer_value(v) >= 0 &&
			     (unsigned long long)json_integer_value(v) >= f->min &&
			     (unsigned long long)json_integer_value(v) <= f->max;
			break;
		case F_OBJECT:
			ok = json_is_object(v);
			break;
		case F_ARRAY:
			ok = json_is_array(v);
			break;
		default:
			ok = false;
		}
		if (!ok) {
			static const char *const what[] = {
				[F_STRING] = "a non-empty string",
				[F_UINT] = "an integer",
				[F_OBJECT] = "an object",
				[F_ARRAY] = "an array",
			};

			if (f->type == F_UINT)
				return pfs_error_set(reterr, -EINVAL, 0,
						     "%s: \"%s%s\" must be an integer from %llu to %llu",
						     path, where, key, f->min, f->max);
			return pfs_error_set(reterr, -EINVAL, 0, "%s: \"%s%s\" must be %s", path,
					     where, key, what[f->type]);
		}
	}
	return 0;
}

static int dup_string(json_t *obj, const char *key, char **ret)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static unsigned long long get_uint(json_t *obj, const char *key, unsigned long long def)
{
	json_t *v = json_object_get(obj, key);

	return v ? (unsigned long long)json_integer_value(v) : def;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A route's tenant: a tenant name, or a glob over the same characters. */
static bool valid_route_pattern(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-*?[]!",
			    *p))
			return false;
	return *s != '\0';
}

static bool is_postgresql_uri(const char *uri)
{
	return strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0;
}

/*
 * A route's "pooler" and "feed" (PostgreSQL only). URIs are never quoted
 * back: they may hold a password.
 */
static int parse_route_pooler(json_t *v, struct config_route *rt, const char *where,
			      const char *path, struct pfs_error *reterr)
{
	json_t *pooler = json_object_get(v, "pooler");

	if (pooler) {
		const char *s = json_string_value(pooler);

		if (strcmp(s, "none") == 0)
			rt->pooler = BACKEND_POOLER_NONE;
		else if (strcmp(s, "transaction") == 0)
			rt->pooler = BACKEND_POOLER_TRANSACTION;
		else
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: route \"%s\": \"%spooler\" must be \"none\" or "
					     "\"transaction\", not \"%s\"",
					     path, rt->tenant, where, s);
	}
	if (dup_string(v, "feed", &rt->feed) < 0)
		return -ENOMEM;
	if (strncmp(rt->backend, "sqlite://", 9) == 0 &&
	    (rt->pooler != BACKEND_POOLER_NONE || rt->feed))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: route \"%s\": \"%s%s\" is only for PostgreSQL "
				     "backends, and \"%sbackend\" is an SQLite file",
				     path, rt->tenant, where, rt->feed ? "feed" : "pooler", where);
	if (rt->feed && !is_postgresql_uri(rt->feed))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: route \"%s\": \"%sfeed\" must be a postgresql:// URI (a "
				     "direct connection to the database, for LISTEN)",
				     path, rt->tenant, where);
	/* LISTEN through a transaction pooler hears nothing reliably: the reason for "feed". */
	if (rt->feed && rt->pooler == BACKEND_POOLER_TRANSACTION &&
	    strcmp(rt->feed, rt->backend) == 0)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "%s: route \"%s\": \"%sfeed\" must be a direct connection to "
				     "PostgreSQL, not the pooler that \"%sbackend\" names",
				     path, rt->tenant, where, where);
	return 0;
}

/*
 * Routes naming one backend URI share one backend (route.c opens each URI
 * once), so they must agree on how to reach it; silently taking the first
 * route's settings would run the others' tenants in a way nobody wrote.
 */
static int check_shared_backends(const struct config *cfg, const char *path,
				 struct pfs_error *reterr)
{
	for (size_t i = 1; i < cfg->n_routes; i++) {
		const struct config_route *b = &cfg->routes[i];

		for (size_t j = 0; j < i; j++) {
			const struct config_route *a = &cfg->routes[j];
			const char *field;

			if (strcmp(a->backend, b->backend) != 0)
				continue;
			if (a->pooler != b->pooler)
				field = "pooler";
			else if (!pfs_streq_or_null(a->feed, b->feed))
				field = "feed";
			else
				break;	/* checked against the first route sharing it */
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: route \"%s\": \"routes[%zu].%s\" differs from "
					     "that of route \"%s\" (\"routes[%zu].%s\"), which "
					     "names the same backend: routes naming one "
					     "backend share it and must agree",
					     path, b->tenant, i, field, a->tenant, j, field);
		}
	}
	return 0;
}

static int parse_routes(json_t *arr, struct config *cfg, const char *path, struct pfs_error *reterr)
{
	static const struct field route_fields[] = {
		{"tenant", F_STRING, 0, 0},
		{"backend", F_STRING, 0, 0},
		{"password_file", F_STRING, 0, 0},
		{"pooler", F_STRING, 0, 0},
		{"feed", F_STRING, 0, 0},
	};
	size_t i;
	json_t *v;
	int r;

	cfg->routes = calloc(json_array_size(arr) + 1, sizeof(*cfg->routes));
	if (!cfg->routes)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		struct config_route *rt = &cfg->routes[i];
		char where[32];

		snprintf(where, sizeof(where), "routes[%zu].", i);
		if (!json_is_object(v))
			return pfs_error_set(reterr, -EINVAL, 0, "%s: \"routes[%zu]\" must be an object",
					     path, i);
		r = check_fields(v, where, route_fields, PFS_ARRAY_SIZE(route_fields), path, reterr);
		if (r < 0)
			return r;
		if (!json_object_get(v, "tenant") || !json_object_get(v, "backend"))
			return pfs_error_set(reterr, -EINVAL, 0, "%s: \"%s%s\" is missing", path,
					     where,
					     json_object_get(v, "tenant") ? "backend" : "tenant");
		cfg->n_routes = i + 1;
		if (dup_string(v, "tenant", &rt->tenant) < 0 ||
		    dup_string(v, "backend", &rt->backend) < 0 ||
		    dup_string(v, "password_file", &rt->password_file) < 0)
			return -ENOMEM;
		if (!valid_route_pattern(rt->tenant))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: \"%stenant\" is not a tenant name or glob: \"%s\"",
					     path, where, rt->tenant);
		rt->is_glob = is_glob(rt->tenant);
		r = parse_route_pooler(v, rt, where, path, reterr);
		if (r < 0)
			return r;
	}
	return check_shared_backends(cfg, path, reterr);
}

/*
 * One budget's share per uid: the key's value, or a quarter of the budget
 * (at least floor, at most the budget). A share larger than its budget is
 * refused: it would mean nothing.
 */
static int parse_share(json_t *doc, const char *key, const char *budget_key, size_t budget,
		       size_t floor, size_t *ret, const char *path, struct pfs_error *reterr)
{
	json_t *v = json_object_get(doc, key);
	size_t share = budget / 4;

	if (v) {
		share = (size_t)json_integer_value(v);
		if (share > budget)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: \"%s\" (%zu) must not be larger than "
					     "\"%s\" (%zu)",
					     path, key, share, budget_key, budget);
	} else {
		if (share < floor)
			share = floor;
		if (share > budget)
			share = budget;
		if (share == 0)
			share = 1;
	}
	*ret = share;
	return 0;
}

static int parse_shares(json_t *doc, struct config *cfg, const char *path,
			struct pfs_error *reterr)
{
	int r;

	r = parse_share(doc, "max_open_files_per_uid", "max_open_files", cfg->max_open_files, 1,
			&cfg->max_open_files_per_uid, path, reterr);
	/* A uid's share of staged bytes holds at least one value of the largest size. */
	if (r == 0)
		r = parse_share(doc, "max_staged_bytes_per_uid", "max_staged_bytes",
				cfg->max_staged_bytes, cfg->max_value_bytes + 1,
				&cfg->max_staged_bytes_per_uid, path, reterr);
	if (r == 0)
		r = parse_share(doc, "max_pending_names_per_uid", "max_pending_names",
				cfg->max_pending_names, 1, &cfg->max_pending_names_per_uid, path,
				reterr);
	if (r == 0)
		r = parse_share(doc, "max_system_handles_per_uid", "max_system_handles",
				cfg->max_system_handles, 1, &cfg->max_system_handles_per_uid, path,
				reterr);
	return r;
}

static int parse_doc(json_t *doc, struct config *cfg, const char *path, struct pfs_error *reterr)
{
	static const struct field top[] = {
		{"mode", F_STRING, 0, 0},
		{"routes", F_ARRAY, 0, 0},
		{"policy", F_STRING, 0, 0},
		{"tokens", F_OBJECT, 0, 0},
		{"pool", F_OBJECT, 0, 0},
		{"max_value_bytes", F_UINT, 2, 64ull << 20},
		{"max_open_files", F_UINT, 1, 1u << 20},
		{"max_open_files_per_uid", F_UINT, 1, 1u << 20},
		{"max_staged_bytes", F_UINT, 1u << 20, 1ull << 40},
		{"max_staged_bytes_per_uid", F_UINT, 4096, 1ull << 40},
		{"max_pending_names", F_UINT, 1, 1u << 20},
		{"max_pending_names_per_uid", F_UINT, 1, 1u << 20},
		{"max_system_handles", F_UINT, 1, 1u << 20},
		{"max_system_handles_per_uid", F_UINT, 1, 1u << 20},
		{"reaper_interval_s", F_UINT, 0, 86400},
		{"log_level", F_STRING, 0, 0},
	};
	static const struct field pool[] = {
		{"size", F_UINT, 1, 256},
		{"wait_ms", F_UINT, 1, 600000},
		{"connect_timeout_s", F_UINT, 2, 600},
		{"statement_timeout_ms", F_UINT, 1, 3600000},
		{"retries", F_UINT, 0, 10},
		{"lock_connections", F_UINT, 1, 1024},
	};
	static const struct field tokens[] = {
		{"algorithm", F_STRING, 0, 0},
		{"secret_file", F_STRING, 0, 0},
		{"public_key_file", F_STRING, 0, 0},
		{"issuer", F_STRING, 0, 0},
		{"audience", F_STRING, 0, 0},
	};
	json_t *v;
	int r;

	if (!json_is_object(doc))
		return pfs_error_set(reterr, -EINVAL, 0, "%s: the config must be a JSON object", path);
	r = check_fields(doc, "", top, PFS_ARRAY_SIZE(top), path, reterr);
	if (r < 0)
		return r;

	v = json_object_get(doc, "mode");
	cfg->mode = CONFIG_MODE_SAAS;
	if (v) {
		size_t i;

		for (i = 0; i < PFS_ARRAY_SIZE(mode_names); i++)
			if (strcmp(json_string_value(v), mode_names[i]) == 0)
				break;
		if (i == PFS_ARRAY_SIZE(mode_names))
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: \"mode\" must be one of saas, enterprise, system, "
					     "lab, not \"%s\"",
					     path, json_string_value(v));
		cfg->mode = (enum config_mode)i;
	}

	v = json_object_get(doc, "routes");
	if (v) {
		r = parse_routes(v, cfg, path, reterr);
		if (r < 0)
			return r;
	}

	if (dup_string(doc, "policy", &cfg->policy) < 0)
		return -ENOMEM;

	v = json_object_get(doc, "tokens");
	if (v) {
		r = check_fields(v, "tokens.", tokens, PFS_ARRAY_SIZE(tokens), path, reterr);
		if (r < 0)
			return r;
		if (dup_string(v, "algorithm", &cfg->tokens.algorithm) < 0 ||
		    dup_string(v, "secret_file", &cfg->tokens.secret_file) < 0 ||
		    dup_string(v, "public_key_file", &cfg->tokens.public_key_file) < 0 ||
		    dup_string(v, "issuer", &cfg->tokens.issuer) < 0 ||
		    dup_string(v, "audience", &cfg->tokens.audience) < 0)
			return -ENOMEM;
	}

	v = json_object_get(doc, "pool");
	if (v) {
		r = check_fields(v, "pool.", pool, PFS_ARRAY_SIZE(pool), path, reterr);
		if (r < 0)
			return r;
		cfg->backend.pool_size = (unsigned)get_uint(v, "size", cfg->backend.pool_size);
		cfg->backend.pool_wait_ms = (unsigned)get_uint(v, "wait_ms", cfg->backend.pool_wait_ms);
		cfg->backend.connect_timeout_s =
			(unsigned)get_uint(v, "connect_timeout_s", cfg->backend.connect_timeout_s);
		cfg->backend.statement_timeout_ms = (unsigned)get_uint(
			v, "statement_timeout_ms", cfg->backend.statement_timeout_ms);
		cfg->backend.retries = (unsigned)get_uint(v, "retries", cfg->backend.retries);
		cfg->backend.lock_connections = (unsigned)get_uint(v, "lock_connections",
								   cfg->backend.lock_connections);
	}

	cfg->max_value_bytes = (size_t)get_uint(doc, "max_value_bytes", cfg->max_value_bytes);
	cfg->max_open_files = (size_t)get_uint(doc, "max_open_files", cfg->max_open_files);
	cfg->max_staged_bytes = (size_t)get_uint(doc, "max_staged_bytes", cfg->max_staged_bytes);
	cfg->max_pending_names =
		(size_t)get_uint(doc, "max_pending_names", cfg->max_pending_names);
	cfg->max_system_handles =
		(size_t)get_uint(doc, "max_system_handles", cfg->max_system_handles);
	r = parse_shares(doc, cfg, path, reterr);
	if (r < 0)
		return r;
	cfg->reaper_interval_s =
		(unsigned)get_uint(doc, "reaper_interval_s", cfg->reaper_interval_s);

	v = json_object_get(doc, "log_level");
	if (v) {
		cfg->log_level = pfs_log_level_from_name(json_string_value(v));
		if (cfg->log_level < 0)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "%s: \"log_level\" must be one of err, warning, "
					     "notice, info, debug, not \"%s\"",
					     path, json_string_value(v));
	}
	return 0;
}

static struct config *config_alloc(const char *path)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	if (path && !(cfg->path = strdup(path))) {
		free(cfg);
		return NULL;
	}
	cfg->mode = CONFIG_MODE_SAAS;
	backend_params_default(&cfg->backend);
	cfg->max_value_bytes = 1048576;
	cfg->max_open_files = 8192;
	cfg->max_open_files_per_uid = 8192 / 4;
	cfg->max_staged_bytes = 256u << 20;
	cfg->max_staged_bytes_per_uid = (256u << 20) / 4;
	cfg->max_pending_names = 4096;
	cfg->max_pending_names_per_uid = 4096 / 4;
	cfg->max_system_handles = 256;
	cfg->max_system_handles_per_uid = 256 / 4;
	cfg->reaper_interval_s = 60;
	cfg->log_level = -1;
	return cfg;
}

static int load(json_t *doc, const json_error_t *jerr, const char *path, struct config **ret,
		struct pfs_error *reterr)
{
	PFS_CLEANUP(config_freep) struct config *cfg = NULL;
	int r;

	if (!doc)
		return pfs_error_set(reterr, -EINVAL, jerr->line, "%s: invalid JSON at line %d: %s",
				     path, jerr->line, jerr->text);
	cfg = config_alloc(path);
	if (!cfg)
		return -ENOMEM;
	r = parse_doc(doc, cfg, path, reterr);
	if (r < 0)
		return r;
	*ret = steal_ptr(&cfg);
	return 0;
}

/* A relative path in the config is relative to the config file's directory. */
static int absolutize(char **p, const char *config_path)
{
	const char *slash = strrchr(config_path, '/');
	char *abs;

	if (!*p || (*p)[0] == '/')
		return 0;
	if (asprintf(&abs, "%.*s%s", slash ? (int)(slash - config_path + 1) : 2,
		     slash ? config_path : "./", *p) < 0)
		return -ENOMEM;
	free(*p);
	*p = abs;
	return 0;
}

int config_load_file(const char *path, struct config **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(json_decrefp) json_t *doc = NULL;
	json_error_t jerr;
	int fd, r;

	/* A symbolic link to it is fine: the file it leads to is what is checked. */
	r = fileperm_open(path, "config file", 0, &fd, NULL, reterr);
	if (r < 0)
		return r;
	doc = json_loadfd(fd, JSON_REJECT_DUPLICATES, &jerr);
	close(fd);
	r = load(doc, &jerr, path, ret, reterr);
	if (r < 0)
		return r;
	for (size_t i = 0; i < (*ret)->n_routes; i++) {
		if (absolutize(&(*ret)->routes[i].password_file, path) < 0) {
			*ret = config_free(*ret);
			return -ENOMEM;
		}
		/*
		 * A password file anyone can rewrite redirects the daemon's logins,
		 * and one anyone can read gives them away. (A missing one is
		 * libpq's to report, at login.)
		 */
		struct pfs_error perr = {0};

		if ((*ret)->routes[i].password_file &&
		    (r = fileperm_check_path((*ret)->routes[i].password_file, "password file",
					     FILEPERM_PRIVATE | FILEPERM_NOFOLLOW, &perr)) < 0 &&
		    r != -ENOENT) {
			if (reterr)
				*reterr = perr;
			*ret = config_free(*ret);
			return r;
		}
	}
	if (absolutize(&(*ret)->policy, path) < 0 ||
	    absolutize(&(*ret)->tokens.secret_file, path) < 0 ||
	    absolutize(&(*ret)->tokens.public_key_file, path) < 0) {
		*ret = config_free(*ret);
		return -ENOMEM;
	}
	return 0;
}

int config_load_string(const char *text, size_t len, const char *path, struct config **ret,
		       struct pfs_error *reterr)
{
	PFS_CLEANUP(json_decrefp) json_t *doc = NULL;
	json_error_t jerr;

	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	return load(doc, &jerr, path ? path : "<config>", ret, reterr);
}

int config_default_data_dir(char **ret)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&dir, "%s/pinfs", xdg) < 0)
			return -ENOMEM;
	} else if (home && home[0] == '/') {
		if (asprintf(&dir, "%s/.local/share/pinfs", home) < 0)
			return -ENOMEM;
	} else {
		return -ENOENT;
	}
	*ret = dir;
	return 0;
}

int config_new_default(const char *data_dir, struct config **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(config_freep) struct config *cfg = config_alloc(NULL);

	if (!cfg)
		return -ENOMEM;
	cfg->mode = CONFIG_MODE_LAB;
	cfg->routes = calloc(1, sizeof(*cfg->routes));
	if (!cfg->routes)
		return -ENOMEM;
	cfg->n_routes = 1;
	cfg->routes[0].tenant = strdup("*");
	cfg->routes[0].is_glob = true;
	if (!cfg->routes[0].tenant || asprintf(&cfg->routes[0].backend, "sqlite://%s/pins.db",
					       data_dir) < 0)
		return pfs_error_set(reterr, -ENOMEM, 0, "out of memory");
	*ret = steal_ptr(&cfg);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int config_new_embedded(struct config **ret, struct pfs_error *reterr)
{
	PFS_AUTOFREE char *dir = NULL;
	int r = config_default_data_dir(&dir);

	if (r < 0)
		return pfs_error_set(reterr, r, 0,
				     "no $HOME or $XDG_DATA_HOME for the embedded default");
	r = mkdir_p(dir);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not create \"%s\": %s", dir,
				     strerror(-r));
	return config_new_default(dir, ret, reterr);
}

struct config *config_free(struct config *cfg)
{
	if (!cfg)
		return NULL;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		free(cfg->routes[i].tenant);
		if (cfg->routes[i].backend) {
			/* It may carry a password. */
			explicit_bzero(cfg->routes[i].backend, strlen(cfg->routes[i].backend));
			free(cfg->routes[i].backend);
		}
		free(cfg->routes[i].password_file);
		if (cfg->routes[i].feed) {
			explicit_bzero(cfg->routes[i].feed, strlen(cfg->routes[i].feed));
			free(cfg->routes[i].feed);
		}
	}
	free(cfg->routes);
	free(cfg->policy);
	free(cfg->tokens.algorithm);
	free(cfg->tokens.secret_file);
	free(cfg->tokens.public_key_file);
	free(cfg->tokens.issuer);
	free(cfg->tokens.audience);
	free(cfg->path);
	free(cfg);
	return NULL;
}
