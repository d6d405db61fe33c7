/* SPDX-License-Identifier: MIT */
/*
 * Backend dispatch: picks a driver by URI scheme and forwards each call
 * through its ops table. No logic of its own beyond that.
 */
#include "pinfs/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pin_done(struct pin *p)
{
	free(p->value);
	p->value = NULL;
	p->value_len = 0;
}

void backend_params_default(struct backend_params *p)
{
	*p = (struct backend_params){
		.pool_size = 8,
		.pool_wait_ms = 5000,
		.connect_timeout_s = 5,
		.statement_timeout_ms = 10000,
		.retries = 2,
		.password_file = NULL,
		.lock_connections = 32,
	};
}

static const struct backend_ops *driver_for(const char *uri)
{
	if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
		return &backend_pg_ops;
	if (strncmp(uri, "sqlite://", 9) == 0)
		return &backend_sqlite_ops;
	/* A libpq key=value conninfo ("host=... dbname=..."). */
	if (strchr(uri, '=') && !strstr(uri, "://"))
		return &backend_pg_ops;
	return NULL;
}

int backend_open(const char *uri, const struct backend_params *params, struct backend **ret,
		 struct pfs_error *reterr)
{
	const struct backend_ops *ops = driver_for(uri);
	struct backend_params defaults;

	if (!ops)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "unrecognized backend \"%.*s\": expected postgresql://... "
				     "or sqlite:///path",
				     (int)strcspn(uri, ":"), uri);
	if (!params) {
		backend_params_default(&defaults);
		params = &defaults;
	}
	return ops->open(uri, params, ret, reterr);
}

struct backend *backend_free(struct backend *be)
{
	if (be)
		be->ops->free(be);
	return NULL;
}

int backend_schema_required(const struct backend *be)
{
	int v = 0;

	for (const struct migration *m = be->migrations; m && m->version; m++)
		v = m->version;
	return v;
}

/*
 * Redacts "password=..." in a conninfo and ":secret@" in a URI, so a
 * backend can be named in logs and /.system files.
 */
char *backend_uri_redact(const char *uri)
{
	static const char key[] = "password=";
	const size_t klen = sizeof(key) - 1;
	char *s = strdup(uri), *scheme, *out, *o;
	const char *p;

	if (!s)
		return NULL;
	/* scheme://user:secret@host: the userinfo's password goes. */
	scheme = strstr(s, "://");
	if (scheme) {
		char *auth = scheme + 3;
		char *slash = strchr(auth, '/');
		char *at = strchr(auth, '@');

		if (at && (!slash || at < slash)) {
			char *colon = memchr(auth, ':', (size_t)(at - auth));

			if (colon)
				memmove(colon, at, strlen(at) + 1);
		}
	}
	/* Every password=VALUE (URI query or conninfo) becomes password=***. */
	out = malloc(strlen(s) + 3 * (strlen(s) / klen + 1) + 1);
	if (!out) {
		free(s);
		return NULL;
	}
	o = out;
	for (p = s; *p;) {
		const char *hit = strstr(p, key);
		size_t n = hit ? (size_t)(hit - p) + klen : strlen(p);

		memcpy(o, p, n);
		o += n;
		p += n;
		if (!hit)
			break;
		if (*p == '\'') {	/* conninfo: password='se cret' */
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p += strcspn(p, " &");
		}
		memcpy(o, "***", 3);
		o += 3;
	}
	*o = '\0';
	free(s);
	return out;
}

int backend_schema_version(struct backend *be, int *ret_version)
{
	return be->ops->schema_version(be, ret_version);
}

int backend_pin_get(struct backend *be, const char *tenant, const char *key, struct pin *ret)
{
	return be->ops->pin_get(be, tenant, key, ret);
}

int backend_pin_upsert(struct backend *be, const char *tenant, const char *key,
		       const struct pin_write *w, struct pin_meta *ret_meta)
{
	return be->ops->pin_upsert(be, tenant, key, w, ret_meta);
}

int backend_pin_delete(struct backend *be, const char *tenant, const char *key)
{
	return be->ops->pin_delete(be, tenant, key);
}

int backend_pin_rename(struct backend *be, const char *tenant, const char *from, const char *to,
		       unsigned flags, struct pin_meta *ret_meta)
{
	return be->ops->pin_rename(be, tenant, from, to, flags, ret_meta);
}

int backend_pin_list(struct backend *be, const char *tenant, const char *after_key,
		     unsigned limit, backend_pin_cb cb, void *ctx)
{
	return be->ops->pin_list(be, tenant, after_key, limit, cb, ctx);
}

int backend_tenant_list(struct backend *be, backend_tenant_cb cb, void *ctx)
{
	return be->ops->tenant_list(be, cb, ctx);
}

int backend_tenant_exists(struct backend *be, const char *tenant)
{
	return be->ops->tenant_exists(be, tenant);
}

int backend_tenant_times(struct backend *be, const char *tenant, struct tenant_times *ret)
{
	return be->ops->tenant_times(be, tenant, ret);
}

int backend_tenant_create(struct backend *be, const char *tenant)
{
	return be->ops->tenant_create(be, tenant);
}

int backend_tenant_delete(struct backend *be, const char *tenant)
{
	return be->ops->tenant_delete(be, tenant);
}

int backend_ping(struct backend *be)
{
	return be->ops->ping(be);
}

int backend_pin_set_meta(struct backend *be, const char *tenant, const char *key,
			 const struct pin_meta_update *u, struct pin_meta *ret_meta)
{
	return be->ops->pin_set_meta(be, tenant, key, u, ret_meta);
}

int backend_expire(struct backend *be, bool dry_run, unsigned limit, const char *source,
		   backend_expired_cb cb, void *ctx)
{
	return be->ops->expire(be, dry_run, limit, source, cb, ctx);
}

int backend_audit_append(struct backend *be, const struct audit_event *ev, size_t n)
{
	return be->ops->audit_append(be, ev, n);
}

int backend_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n)
{
	return be->ops->rbac_audit_append(be, ev, n);
}

int backend_feed_start(struct backend *be, backend_change_cb cb, void *ctx)
{
	return be->ops->feed_start ? be->ops->feed_start(be, cb, ctx) : -ENOTSUP;
}

void backend_feed_stop(struct backend *be)
{
	if (be->ops->feed_stop)
		be->ops->feed_stop(be);
}

int backend_lock_new(struct backend *be, uint64_t id, struct backend_lock **ret)
{
	return be->ops->lock_new ? be->ops->lock_new(be, id, ret) : -ENOLCK;
}

int backend_lock_set(struct backend *be, struct backend_lock *l, enum backend_lock_mode mode,
		     const int *cancel)
{
	return be->ops->lock_set(l, mode, cancel);
}

void backend_lock_free(struct backend *be, struct backend_lock *l)
{
	if (l)
		be->ops->lock_free(l);
}
