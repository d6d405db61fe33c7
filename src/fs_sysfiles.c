/* SPDX-License-Identifier: MIT */
/*
 * What each /.system file says or does (see fs_sysfiles.h): the snapshot
 * renderers (metrics, health, routes, whoami, policy, credentials, locks) and the
 * commands acted on at close (reload, expire, credentials). How the files
 * behave as files (cursors, sizes, permissions) is fs_system.c's.
 */
#include "fs_sysfiles.h"
#include "fs_access.h"
#include "fs_generation.h"
#include "fs_i.h"
#include "fs_lock.h"
#include "fs_reaper.h"
#include "fs_revoke.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

static int dump_json(json_t *o, char **ret, size_t *ret_len)
{
	char *s;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	/* A final newline, like every text file. */
	*ret_len = strlen(s);
	char *t = realloc(s, *ret_len + 2);

	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[(*ret_len)++] = '\n';
	t[*ret_len] = '\0';
	*ret = t;
	return 0;
}

/* Whether who may see backend addresses: what /.system/routes needs. */
static bool sees_routes(struct fs *fs, const struct pfs_subject *who)
{
	return fs_visible(fs, who, "prometheus", "query", "*");
}

/* Backend no as metrics label it (route="N"): a number that reveals no address. */
static void backend_label(struct fs *fs, unsigned no, char *buf, size_t len)
{
	int slot = __atomic_load_n(&fs->metrics_slot[no], __ATOMIC_RELAXED);

	snprintf(buf, len, "%d", slot >= 0 ? slot : (int)no);
}

int fs_sysfiles_render_metrics(struct fs *fs, const struct pfs_subject *who, char **ret,
			       size_t *len)
{
	(void)who;
	fs_gen_refresh_health(fs);
	return metrics_render(ret, len);
}

/*
 * "ok", or a line per backend that is down: named by its address for who
 * may read /.system/routes, else by its metrics label (anyone may read
 * health; the route table is not anyone's business).
 */
int fs_sysfiles_render_health(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *out;
	bool names = sees_routes(fs, who);
	size_t n;

	out = open_memstream(&text, &tlen);
	if (!out)
		return -ENOMEM;
	n = fs_gen_refresh_health(fs);
	if (n == 0) {
		fputs("ok\n", out);
	} else {
		for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
			int64_t since = __atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED);
			char when[TIME_RFC3339_LEN], label[16];

			if (!since || !fs_gen_backend_routed(fs, (unsigned)i))
				continue;
			time_rfc3339(since, 0, when);
			backend_label(fs, (unsigned)i, label, sizeof(label));
			if (names)
				fprintf(out, "degraded: backend \"%s\" (route=\"%s\") down since %s\n",
					backend_name(backend_set_get(fs->backends, i)), label, when);
			else
				fprintf(out, "degraded: backend route=\"%s\" down since %s\n", label,
					when);
		}
	}
	if (fclose(out) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	*len = tlen;
	return 0;
}

int fs_sysfiles_render_routes(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	json_t *doc = json_object(), *routes = json_array(), *backends = json_array();

	(void)who;
	if (!doc || !routes || !backends) {
		json_decref(doc);
		json_decref(routes);
		json_decref(backends);
		return -ENOMEM;
	}
	fs_gen_refresh_health(fs);
	pthread_rwlock_rdlock(&fs->routes_lock);
	json_object_set_new(doc, "mode", json_string(config_mode_name(fs->mode)));
	for (size_t i = 0; i < route_table_n_routes(fs->routes); i++) {
		unsigned no;
		const char *pattern = route_table_pattern(fs->routes, i, &no);
		char label[16];

		backend_label(fs, no, label, sizeof(label));
		json_array_append_new(
			routes, json_pack("{s:s, s:s, s:s, s:b}", "tenant", pattern, "backend",
					  backend_name(backend_set_get(fs->backends, no)),
					  "metrics_route", label, "up",
					  __atomic_load_n(&fs->down_since[no], __ATOMIC_RELAXED) == 0));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	for (size_t i = 0; i < backend_set_size(fs->backends); i++) {
		int64_t since = __atomic_load_n(&fs->down_since[i], __ATOMIC_RELAXED);
		char when[TIME_RFC3339_LEN] = "", label[16];

		if (!fs_gen_backend_routed(fs, (unsigned)i))
			continue;
		if (since)
			time_rfc3339(since, 0, when);
		backend_label(fs, (unsigned)i, label, sizeof(label));
		json_array_append_new(backends,
				      json_pack("{s:s, s:s, s:b, s:s?}", "backend",
						backend_name(backend_set_get(fs->backends, i)),
						"metrics_route", label, "up", since == 0, "down_since",
						since ? when : NULL));
	}
	json_object_set_new(doc, "routes", routes);
	json_object_set_new(doc, "backends", backends);
	return dump_json(doc, ret, len);
}

static json_t *string_array(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *cstring_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void add_grant(void *ctx, const char *const *roles, size_t n_roles,
		      const char *const *tenants, size_t n_tenants)
{
	json_array_append_new(ctx, json_pack("{s:o, s:o}", "roles", cstring_array(roles, n_roles),
					     "tenants", cstring_array(tenants, n_tenants)));
}

int fs_sysfiles_render_whoami(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	char subject[AUDIT_SUBJECT_MAX];

	if (!doc)
		return -ENOMEM;
	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	fs_subject_name(token, who->uid, subject, sizeof(subject));
	json_object_set_new(doc, "uid", json_integer(who->uid));
	json_object_set_new(doc, "gid", json_integer(who->gid));
	json_object_set_new(doc, "subject", json_string(subject));
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (fs->policy) {
		struct policy_subject subj = {.uid = who->uid, .gid = who->gid,
					      .groups = fs_proc_groups,
					      .groups_ctx = (void *)who, .token = token};
		json_t *grants = json_array();

		json_object_set_new(doc, "policy_version", json_string(policy_version(fs->policy)));
		json_object_set_new(doc, "enforce", json_boolean(policy_enforcing(fs->policy)));
		/* Each binding that applies: its roles hold on its tenants only. */
		if (grants)
			policy_describe(fs->policy, &subj, add_grant, grants);
		json_object_set_new(doc, "grants", grants ? grants : json_array());
	} else {
		json_object_set_new(doc, "policy_version", json_null());
		json_object_set_new(doc, "note",
				    json_string(who->uid == 0 || who->uid == fs->opts.owner_uid
							? "no policy: the owner and root may do anything"
							: "no policy: only the owner and root have access"));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	if (token) {
		time_rfc3339(token->exp * 1000000, 0, when);
		json_object_set_new(doc, "roles", string_array(token->roles, token->n_roles));
		json_object_set_new(doc, "tenants", string_array(token->tenants, token->n_tenants));
		json_object_set_new(doc, "token_expires_at", json_string(when));
	} else {
		json_object_set_new(doc, "token_expires_at", json_null());
	}
	return dump_json(doc, ret, len);
}

/* The tenant entries of every binding that applies to a caller (its scope). */
struct scope {
	json_t *entries;	/* array of strings */
};

static void add_scope(void *ctx, const char *const *roles, size_t n_roles,
		      const char *const *tenants, size_t n_tenants)
{
	struct scope *sc = ctx;

	(void)roles;
	(void)n_roles;
	for (size_t i = 0; i < n_tenants; i++)
		json_array_append_new(sc->entries, json_string(tenants[i]));
}

/*
 * Keeps in the policy body's bindings only the tenant entries inside the
 * caller's scope, and drops the bindings left with none: a caller sees who
 * else is bound to its own tenants, not other tenants' names and subjects.
 * Fails closed (a binding that cannot be filtered is dropped).
 */
static void filter_bindings(json_t *body, json_t *entries)
{
	json_t *bindings = json_object_get(body, "bindings");
	size_t n = json_array_size(entries), i = 0;
	const char **scope = calloc(n + 1, sizeof(*scope));

	if (!json_is_array(bindings))
		goto out;
	for (size_t k = 0; scope && k < n; k++)
		scope[k] = json_string_value(json_array_get(entries, k));
	while (i < json_array_size(bindings)) {
		json_t *b = json_array_get(bindings, i);
		json_t *kept = scope ? json_array() : NULL;
		json_t *t;
		size_t j;

		json_array_foreach(json_object_get(b, "tenants"), j, t)
			if (kept && json_is_string(t) &&
			    policy_scope_includes(scope, n, json_string_value(t)))
				json_array_append(kept, t);
		if (json_array_size(kept) == 0 || json_object_set_new(b, "tenants", kept) < 0) {
			json_decref(kept);
			json_array_remove(bindings, i);
			continue;
		}
		i++;
	}
out:
	free(scope);
}

/*
 * The effective policy. Its bindings name other tenants and their
 * subjects: a caller that holds neither policy:read on a "*" scope nor
 * policy:write sees only the bindings of its own tenants ("filtered").
 */
int fs_sysfiles_render_policy(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	bool all = fs_visible(fs, who, "policy", "read", "*") ||
		   fs_visible(fs, who, "policy", "write", NULL);

	if (!doc)
		return -ENOMEM;
	if (!all)
		token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (fs->policy) {
		json_t *body = json_loads(policy_text(fs->policy), JSON_DECODE_ANY, NULL);

		if (body && !all) {
			struct policy_subject subj = {.uid = who->uid, .gid = who->gid,
						      .groups = fs_proc_groups,
						      .groups_ctx = (void *)who, .token = token};
			struct scope sc = {.entries = json_array()};

			if (sc.entries)
				policy_describe(fs->policy, &subj, add_scope, &sc);
			filter_bindings(body, sc.entries);
			json_decref(sc.entries);
		}
		time_rfc3339(policy_loaded_at(fs->policy) * 1000000, 0, when);
		json_object_set_new(doc, "version", json_string(policy_version(fs->policy)));
		json_object_set_new(doc, "hash", json_string(policy_hash(fs->policy)));
		json_object_set_new(doc, "enforce", json_boolean(policy_enforcing(fs->policy)));
		json_object_set_new(doc, "loaded_at", json_string(when));
		json_object_set_new(doc, "filtered", json_boolean(!all));
		json_object_set_new(doc, "policy", body ? body : json_null());
	} else {
		json_object_set_new(doc, "version", json_null());
		json_object_set_new(doc, "enforce", json_true());
		json_object_set_new(doc, "policy", json_null());
		json_object_set_new(doc, "note",
				    json_string("no policy configured: only the mounting uid and "
						"root may do anything"));
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	return dump_json(doc, ret, len);
}

int fs_sysfiles_commit_reload(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len)
{
	struct pfs_error err = {0};
	int r;

	(void)buf;
	(void)len;
	if (!fs->opts.reload)
		return -EOPNOTSUPP;
	r = fs->opts.reload(fs->opts.reload_ctx, &err);
	if (r < 0) {
		pfs_log(LOG_ERR, "reload by uid %u refused, keeping the last good config: %s",
			(unsigned)who->uid, err.message);
		return -EINVAL;
	}
	pfs_log(LOG_NOTICE, "reloaded by uid %u", (unsigned)who->uid);
	return 0;
}

int fs_sysfiles_commit_expire(struct fs *fs, const struct pfs_subject *who, const char *buf,
			 size_t len)
{
	int r;

	(void)buf;
	(void)len;
	r = fs_expire_now(fs, "fs");
	if (r >= 0)
		pfs_log(LOG_INFO, "expire by uid %u: %d pin(s) deleted", (unsigned)who->uid, r);
	return r < 0 ? r : 0;
}

int fs_sysfiles_render_credentials(struct fs *fs, const struct pfs_subject *who, char **ret,
			      size_t *len)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	json_t *doc = json_object();
	char when[TIME_RFC3339_LEN];
	bool enabled;

	if (!doc)
		return -ENOMEM;
	pthread_rwlock_rdlock(&fs->routes_lock);
	enabled = fs->verifier != NULL;
	pthread_rwlock_unlock(&fs->routes_lock);
	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	json_object_set_new(doc, "uid", json_integer(who->uid));
	json_object_set_new(doc, "tokens_enabled", json_boolean(enabled));
	json_object_set_new(doc, "bound", json_boolean(token != NULL));
	if (token) {
		time_rfc3339(token->exp * 1000000, 0, when);
		json_object_set_new(doc, "subject", json_string(token->sub));
		json_object_set_new(doc, "roles", string_array(token->roles, token->n_roles));
		json_object_set_new(doc, "tenants", string_array(token->tenants, token->n_tenants));
		json_object_set_new(doc, "expires_at", json_string(when));
	}
	return dump_json(doc, ret, len);
}

/*
 * A token written here binds to the writer's uid until it expires; an
 * empty write removes the binding. The error is close()'s: EACCES for a
 * token that does not verify, E2BIG past the size cap, EOPNOTSUPP when no
 * "tokens" are configured.
 */
int fs_sysfiles_commit_credentials(struct fs *fs, const struct pfs_subject *who, const char *buf,
			      size_t len)
{
	struct pfs_error err = {0};
	size_t n = len;
	int r;

	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
		n--;
	if (n == 0) {
		r = cred_store_unbind(fs->creds, who->uid);
		if (r == 0)
			fs_revoke_note(fs);	/* its token's grants are gone */
		return r == -ENOENT ? 0 : r;
	}
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (!fs->verifier)
		r = -EOPNOTSUPP;
	else
		r = cred_store_bind(fs->creds, fs->verifier, who->uid, buf, n,
				    time_now_us() / 1000000, &err);
	pthread_rwlock_unlock(&fs->routes_lock);
	if (r < 0)
		pfs_log_rejection("rbac.token_rejected", "uid %u: %s", (unsigned)who->uid,
				  r == -EOPNOTSUPP ? "no \"tokens\" configured" : err.message);
	else
		pfs_log(LOG_INFO, "uid %u bound a token", (unsigned)who->uid);
	if (r == 0)
		fs_revoke_note(fs);	/* it replaces what the uid had */
	return r;
}

/* One held or waited-for lock, copied out of the lock module (lock_line_cb). */
struct lock_line {
	json_t *o;
	char tenant[AUDIT_TENANT_MAX + 1];
	uid_t uid;
};

struct lock_lines {
	struct lock_line *v;
	size_t n, cap;
	bool oom;
};

/* Runs under the lock module's lock: copies, and asks nothing of anyone. */
static int lock_line_cb(void *ctx, const struct fs_lock_info *info)
{
	struct lock_lines *ls = ctx;
	char since[TIME_RFC3339_LEN];
	json_t *o;

	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 16;
		struct lock_line *v = realloc(ls->v, cap * sizeof(*v));

		if (!v) {
			ls->oom = true;
			return 1;
		}
		ls->v = v;
		ls->cap = cap;
	}
	time_rfc3339(info->since_us, 1, since);
	o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:I, s:I}", "tenant", info->tenant, "key",
		      info->key, "kind", info->kind == FS_LOCK_FLOCK ? "flock" : "fcntl", "mode",
		      info->type == FS_LOCK_SHARED ? "shared" : "exclusive", "waiting",
		      info->waiting, "since", since, "uid", (json_int_t)info->who->uid, "pid",
		      (json_int_t)info->who->pid);
	if (!o) {
		ls->oom = true;
		return 1;
	}
	ls->v[ls->n].o = o;
	pfs_strcpy_cut(ls->v[ls->n].tenant, info->tenant, sizeof(ls->v[ls->n].tenant));
	ls->v[ls->n].uid = info->who->uid;
	ls->n++;
	return 0;
}

int fs_sysfiles_render_locks(struct fs *fs, const struct pfs_subject *who, char **ret, size_t *len)
{
	struct lock_lines ls = {0};
	char *out = NULL;
	size_t n = 0;
	FILE *f;
	int r = 0;

	fs_locks_list(fs, lock_line_cb, &ls);
	f = open_memstream(&out, &n);
	if (!f || ls.oom)
		r = -ENOMEM;
	for (size_t i = 0; i < ls.n; i++) {
		PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
		char subject[AUDIT_SUBJECT_MAX];
		char *line;

		/* Like the audit: only the tenants the reader could read. */
		if (r < 0 || !fs_visible(fs, who, "memory_pin", "read", ls.v[i].tenant))
			continue;
		token = cred_store_lookup(fs->creds, ls.v[i].uid, time_now_us() / 1000000);
		fs_subject_name(token, ls.v[i].uid, subject, sizeof(subject));
		if (json_object_set_new(ls.v[i].o, "subject", json_string(subject)) < 0) {
			r = -ENOMEM;
			continue;
		}
		line = json_dumps(ls.v[i].o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!line || fprintf(f, "%s\n", line) < 0)
			r = -ENOMEM;
		free(line);
	}
	for (size_t i = 0; i < ls.n; i++)
		json_decref(ls.v[i].o);
	free(ls.v);
	if (f && fclose(f) != 0)
		r = -ENOMEM;
	if (r < 0) {
		free(out);
		return r;
	}
	*ret = out;
	*len = n;
	return 0;
}
