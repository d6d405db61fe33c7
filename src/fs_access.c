/* SPDX-License-Identifier: MIT */
/*
 * Access and audit (see fs_access.h): RBAC decisions for file operations,
 * their metrics and rbac_audit rows, and the audit event of every
 * operation. The policy and the token verifier are read under
 * fs->routes_lock (a reload swaps them); cred_store lookups give copies.
 */
#include "fs_access.h"
#include "fs_generation.h"
#include "fs_i.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"

/*
 * Supplementary groups of thread who->pid, read as libfuse would:
 * /proc/TID/status. check_uid: only if that thread's real uid is still
 * who->uid (a thread recorded earlier may have gone and its id be reused).
 */
static int proc_groups(const struct pfs_subject *who, gid_t *buf, size_t n, bool check_uid)
{
	char path[64], line[4096];
	size_t count = 0;
	FILE *f;

	if (who->pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)who->pid, (int)who->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (check_uid && strncmp(line, "Uid:", 4) == 0 &&
		    strtoul(line + 4, NULL, 10) != (unsigned long)who->uid)
			break;	/* someone else's now: no groups */
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (count < n)
				buf[count] = (gid_t)g;
			count++;
		}
		break;
	}
	fclose(f);
	return (int)count;
}

int fs_proc_groups(void *ctx, gid_t *buf, size_t n)
{
	return proc_groups(ctx, buf, n, false);
}

static int recorded_groups(void *ctx, gid_t *buf, size_t n)
{
	return proc_groups(ctx, buf, n, true);
}

static enum metrics_resource metrics_resource_of(const char *res)
{
	if (strcmp(res, "prometheus") == 0)
		return METRICS_RES_PROMETHEUS;
	if (strcmp(res, "costsim") == 0)
		return METRICS_RES_COSTSIM;
	if (strcmp(res, "policy") == 0)
		return METRICS_RES_POLICY;
	return METRICS_RES_MEMORY_PIN;
}

static enum metrics_action metrics_action_of(const char *act)
{
	static const char *const names[] = {
		[METRICS_ACT_READ] = "read",	 [METRICS_ACT_WRITE] = "write",
		[METRICS_ACT_DELETE] = "delete", [METRICS_ACT_ADMIN] = "admin",
		[METRICS_ACT_QUERY] = "query",	 [METRICS_ACT_RELOAD] = "reload",
		[METRICS_ACT_APPROVE] = "approve",
	};

	for (size_t i = 0; i < PFS_ARRAY_SIZE(names); i++)
		if (strcmp(names[i], act) == 0)
			return (enum metrics_action)i;
	return METRICS_ACT_READ;
}

static const char *const reason_names[] = {
	[POLICY_REASON_ROLE] = "role",
	[POLICY_REASON_OWNER] = "owner",
	[POLICY_REASON_NO_BINDING] = "no_binding",
	[POLICY_REASON_NO_PERMISSION] = "no_permission",
	[POLICY_REASON_OUT_OF_SCOPE] = "out_of_scope",
	[POLICY_REASON_TOKEN] = "token",
};

void fs_subject_name(const struct cred_claims *token, uid_t uid, char *buf, size_t len)
{
	char head[32];

	if (token && token->sub) {
		size_t n = strlen("token:");

		pfs_strcpy_cut(buf, "token:", len);
		if (n < len)
			pfs_strcpy_cut(buf + n, token->sub, len - n);
	} else {
		snprintf(head, sizeof(head), "uid:%u", (unsigned)uid);
		pfs_strcpy_cut(buf, head, len);
	}
}

/*
 * Decides resource:action on tenant for who. With record, the decision is
 * counted (rbac_decisions_total) and a denial (or shadow-mode would-deny)
 * is audited to the tenant's backend; without, it is only a visibility
 * check (what a listing or a stream may show the caller), which is neither
 * counted nor audited: filtering others' names out is not a refusal of
 * anything the caller asked for, and counting it would let anyone fill the
 * audit and move the counters at will.
 */
static int decide(struct fs *fs, const struct pfs_subject *who, const char *resource,
		  const char *action, const char *tenant, bool record)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	struct policy_subject subj = {
		.uid = who->uid, .gid = who->gid, .groups = fs_proc_groups,
		.groups_ctx = (void *)who};
	struct policy_decision d;
	char version[64] = "";
	struct backend *be = NULL;

	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	subj.token = token;
	pthread_rwlock_rdlock(&fs->routes_lock);
	if (!resource) {
		bool open = fs->policy != NULL;

		pthread_rwlock_unlock(&fs->routes_lock);
		return open || who->uid == 0 || who->uid == fs->opts.owner_uid ? 0 : -EACCES;
	}
	d = policy_decide(fs->policy, fs->opts.owner_uid, &subj, resource, action, tenant);
	if (record && d.denied) {
		if (fs->policy)
			pfs_strcpy_cut(version, policy_version(fs->policy), sizeof(version));
		/* Backends outlive every route table; the table itself does not outlive the lock. */
		if (tenant && strcmp(tenant, "*") != 0)
			(void)route_table_lookup(fs->routes, tenant, &be, NULL);
	}
	pthread_rwlock_unlock(&fs->routes_lock);
	if (!record)
		return d.allowed ? 0 : -EACCES;

	metrics_rbac_decision(metrics_resource_of(resource), metrics_action_of(action),
			      !d.denied ? METRICS_DEC_ALLOW
			      : d.allowed ? METRICS_DEC_WOULD_DENY
					  : METRICS_DEC_DENY,
			      (enum metrics_reason)d.reason);
	if (d.denied) {
		struct rbac_event ev = {.time_us = time_now_us(), .uid = who->uid};

		fs_subject_name(token, who->uid, ev.subject, sizeof(ev.subject));
		pfs_strcpy_cut(ev.resource, resource, sizeof(ev.resource));
		pfs_strcpy_cut(ev.action, action, sizeof(ev.action));
		pfs_strcpy_cut(ev.decision, d.allowed ? "would_deny" : "deny", sizeof(ev.decision));
		pfs_strcpy_cut(ev.reason, reason_names[d.reason], sizeof(ev.reason));
		pfs_strcpy_cut(ev.tenant, tenant ? tenant : "", sizeof(ev.tenant));
		pfs_strcpy_cut(ev.policy_version, version, sizeof(ev.policy_version));
		audit_submit_rbac(fs->audit, be, &ev);
		pfs_log_rejection(d.allowed ? "rbac.would_deny" : "rbac.denied",
				  "uid %u %s:%s on \"%s\" (%s)%s", (unsigned)who->uid, resource,
				  action, tenant ? tenant : "", reason_names[d.reason],
				  d.allowed ? ", allowed in shadow mode" : "");
	}
	return d.allowed ? 0 : -EACCES;
}

int fs_authorize(struct fs *fs, const struct pfs_subject *who, const char *resource,
		 const char *action, const char *tenant)
{
	return decide(fs, who, resource, action, tenant, true);
}

bool fs_visible(struct fs *fs, const struct pfs_subject *who, const char *resource,
		const char *action, const char *tenant)
{
	return decide(fs, who, resource, action, tenant, false) == 0;
}

bool fs_still_allowed(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		      enum policy_action action)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	static const char *const names[] = {"read", "write", "delete", "admin"};
	struct policy_subject subj = {.uid = who->uid, .gid = who->gid, .groups = recorded_groups,
				      .groups_ctx = (void *)who};
	struct policy_decision d;

	token = cred_store_lookup(fs->creds, who->uid, time_now_us() / 1000000);
	subj.token = token;
	pthread_rwlock_rdlock(&fs->routes_lock);
	d = policy_decide(fs->policy, fs->opts.owner_uid, &subj, POLICY_RES_MEMORY_PIN,
			  names[action], tenant);
	pthread_rwlock_unlock(&fs->routes_lock);
	return d.allowed;
}

static const char *const action_names[] = {
	[POLICY_READ] = "read",
	[POLICY_WRITE] = "write",
	[POLICY_DELETE] = "delete",
	[POLICY_ADMIN] = "admin",
};

int fs_allow(struct fs *fs, const struct pfs_subject *who, const char *tenant,
	     enum policy_action action)
{
	return fs_authorize(fs, who, POLICY_RES_MEMORY_PIN, action_names[action], tenant);
}

int fs_route_allow(struct fs *fs, const struct pfs_subject *who, const char *tenant,
		   unsigned actions, const char *operation, const char *key,
		   struct backend **ret_be, unsigned *ret_no)
{
	int64_t started = time_now_us();
	struct backend *be = NULL;
	int r = 0;

	if (fs->opts.only_tenant && strcmp(tenant, fs->opts.only_tenant) != 0)
		return -ENOENT;	/* not on this mount (a mount option, no secret) */
	/*
	 * The rights come before the route: a caller without them gets EACCES
	 * whether or not a route exists, so the route table cannot be probed
	 * name by name (DESIGN section 11); a caller with them gets ENXIO for a
	 * missing route (section 4).
	 */
	for (int a = POLICY_READ; a <= POLICY_ADMIN && r == 0; a++)
		if (actions & FS_ALLOW(a))
			r = fs_allow(fs, who, tenant, (enum policy_action)a);
	if (r < 0) {
		/* The refusal's audit row goes to the tenant's backend, if it has one. */
		pthread_rwlock_rdlock(&fs->routes_lock);
		if (route_table_lookup(fs->routes, tenant, &be, NULL) < 0)
			be = NULL;
		pthread_rwlock_unlock(&fs->routes_lock);
		if (operation)
			fs_audit(fs, be, who, operation, tenant, key, r, NULL, 0, started);
		if (ret_be)
			*ret_be = be;
		return r;
	}
	r = fs_route(fs, tenant, &be, ret_no);
	if (r == 0 && ret_be)
		*ret_be = be;
	return r;
}

void fs_grant_init(struct fs *fs, struct fs_grant *g, const struct pfs_subject *who,
		   uint64_t gen)
{
	*g = (struct fs_grant){
	    .gen = gen + 1, .uid = who->uid, .gid = who->gid, .pid = who->pid,
	    .until_s = cred_store_expiry(fs->creds, who->uid, time_now_us() / 1000000)};
}

bool fs_grant_current(struct fs *fs, const struct fs_grant *g, const struct pfs_subject *who)
{
	return g->gen == fs_access_generation(fs) + 1 && g->uid == who->uid &&
	       g->gid == who->gid && g->pid == who->pid &&
	       (!g->until_s || time_now_us() / 1000000 < g->until_s);
}

int fs_grant_check(struct fs *fs, struct fs_grant *g, const struct pfs_subject *who,
		   const char *tenant, unsigned actions)
{
	uint64_t gen = fs_access_generation(fs);	/* before deciding: a change meanwhile counts */
	int r = 0;

	if (fs_grant_current(fs, g, who))
		return g->result;
	for (int a = POLICY_READ; a <= POLICY_ADMIN && r == 0; a++)
		if (actions & FS_ALLOW(a))
			r = fs_allow(fs, who, tenant, (enum policy_action)a);
	fs_grant_init(fs, g, who, gen);
	g->result = r;
	return r;
}

/*
 * One stable error code per errno an operation can end with, for audit rows
 * and logs (DESIGN.md section 4): the code names the reason the caller got.
 */
static const char *error_code(const char *operation, int r)
{
	static const struct {
		int err;
		const char *code;
	} codes[] = {
		{EFBIG, "memory_pin.too_large"},
		{ENXIO, "memory_store.missing_route"},
		{EIO, "memory_store.backend_error"},
		{EACCES, "rbac.denied"},
		{ENOENT, "memory_pin.not_found"},
		{ESTALE, "memory_pin.conflict"},
		{EEXIST, "memory_pin.exists"},
		{ENOTEMPTY, "memory_store.not_empty"},
		{ERANGE, "memory_pin.out_of_range"},
		{ENODATA, "memory_pin.no_such_attribute"},
		{ENOTSUP, "memory_pin.not_supported"},
		{EPERM, "memory_pin.not_permitted"},
		{ENAMETOOLONG, "memory_pin.name_too_long"},
		{EISDIR, "memory_pin.is_a_directory"},
		{ENOTDIR, "memory_pin.not_a_directory"},
		{EXDEV, "memory_pin.cross_tenant"},
		{EROFS, "memory_store.read_only"},
		{ENOSPC, "memory_store.full"},
		{ENOMEM, "memory_store.out_of_memory"},
		{ENFILE, "memory_store.too_many_files"},
		{EMFILE, "memory_store.too_many_files"},
		{E2BIG, "rbac.token_too_large"},
		{EBADF, "memory_store.bad_handle"},
	};

	if (r >= 0)
		return "";
	if (r == -EINVAL)
		return strcmp(operation, "upsert") == 0 ? "memory_pin.invalid_json"
							 : "memory_pin.invalid";
	for (size_t i = 0; i < PFS_ARRAY_SIZE(codes); i++)
		if (codes[i].err == -r)
			return codes[i].code;
	return "memory_store.error";	/* no operation returns another errno */
}

static struct quota *limit_quota(struct fs *fs, enum metrics_limit which)
{
	switch (which) {
	case METRICS_LIMIT_OPEN_FILES:
		return fs->open_files;
	case METRICS_LIMIT_STAGED_BYTES:
		return fs->staged_bytes;
	case METRICS_LIMIT_PENDING_NAMES:
		return fs->pending_names;
	case METRICS_LIMIT_SYSTEM_HANDLES:
		return fs->system_handles;
	default:
		return NULL;
	}
}

/* The config keys of a budget and of its share, for messages. */
static const char *const limit_keys[][2] = {
	[METRICS_LIMIT_OPEN_FILES] = {"max_open_files", "max_open_files_per_uid"},
	[METRICS_LIMIT_STAGED_BYTES] = {"max_staged_bytes", "max_staged_bytes_per_uid"},
	[METRICS_LIMIT_PENDING_NAMES] = {"max_pending_names", "max_pending_names_per_uid"},
	[METRICS_LIMIT_SYSTEM_HANDLES] = {"max_system_handles", "max_system_handles_per_uid"},
};

int fs_limit_refused(enum metrics_limit which, uid_t uid, int r, int share_err, int total_err)
{
	bool share = r == -EDQUOT;

	if (r != -EDQUOT && r != -ENOSPC)
		return r;
	r = share ? share_err : total_err;
	metrics_limit_refused(which, share ? METRICS_LIMIT_SHARE : METRICS_LIMIT_TOTAL);
	pfs_log_rejection(error_code("", r), "uid %u refused: %s used up%s: %s", (unsigned)uid,
			  limit_keys[which][share], share ? " by this uid" : "",
			  strerrorname_np(-r));
	return r;
}

int fs_limit_take(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount,
		  int share_err, int total_err)
{
	size_t taken;

	return fs_limit_take_upto(fs, which, uid, amount, amount, &taken, share_err, total_err);
}

int fs_limit_take_upto(struct fs *fs, enum metrics_limit which, uid_t uid, size_t want,
		       size_t at_least, size_t *ret_taken, int share_err, int total_err)
{
	struct quota *q = limit_quota(fs, which);
	int r;

	if (!q)
		return -EINVAL;
	r = quota_take_upto(q, uid, fs_privileged(fs, uid), want, at_least, ret_taken);
	if (r == 0)
		metrics_limit_in_use(which, (long long)*ret_taken);
	return fs_limit_refused(which, uid, r, share_err, total_err);
}

int fs_limit_try(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount)
{
	struct quota *q = limit_quota(fs, which);
	int r;

	if (!q)
		return -EINVAL;
	r = quota_take(q, uid, fs_privileged(fs, uid), amount);
	if (r == 0)
		metrics_limit_in_use(which, (long long)amount);
	return r;
}

size_t fs_limit_held(struct fs *fs, enum metrics_limit which, uid_t uid)
{
	struct quota *q = limit_quota(fs, which);

	return q ? quota_held(q, uid) : 0;
}

void fs_limit_give(struct fs *fs, enum metrics_limit which, uid_t uid, size_t amount)
{
	struct quota *q = limit_quota(fs, which);

	if (!q || amount == 0)
		return;
	quota_give(q, uid, amount);
	metrics_limit_in_use(which, -(long long)amount);
}

static enum metrics_op metrics_op_of(const char *operation)
{
	for (int i = 0; i < METRICS__OP_COUNT; i++)
		if (strcmp(metrics_op_name((enum metrics_op)i), operation) == 0)
			return (enum metrics_op)i;
	return METRICS_OP_READ;
}

void fs_audit(struct fs *fs, struct backend *be, const struct pfs_subject *who,
	      const char *operation, const char *tenant, const char *key, int result,
	      const char *value, size_t value_len, int64_t started_us)
{
	fs_audit_version(fs, be, who, operation, tenant, key, result, value, value_len, started_us,
			 0);
}

void fs_audit_version(struct fs *fs, struct backend *be, const struct pfs_subject *who,
		      const char *operation, const char *tenant, const char *key, int result,
		      const char *value, size_t value_len, int64_t started_us, int64_t version)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *token = NULL;
	struct audit_event ev = {.uid = who ? (int64_t)who->uid : -1, .success = result >= 0,
				 .version = version};
	int64_t now = time_now_us();

	ev.time_us = now;
	ev.latency_ms = (double)(now - started_us) / 1000.0;
	pfs_strcpy_cut(ev.operation, operation, sizeof(ev.operation));
	pfs_strcpy_cut(ev.tenant, tenant ? tenant : "", sizeof(ev.tenant));
	pfs_strcpy_cut(ev.key, key ? key : "", sizeof(ev.key));
	pfs_strcpy_cut(ev.error_code, error_code(operation, result), sizeof(ev.error_code));
	if (who) {
		token = cred_store_lookup(fs->creds, who->uid, now / 1000000);
		fs_subject_name(token, who->uid, ev.subject, sizeof(ev.subject));
	} else {
		pfs_strcpy_cut(ev.subject, "pinfs", sizeof(ev.subject));
	}
	if (value && result >= 0)
		audit_hash_value(value, value_len, ev.value_sha256);
	metrics_op_done(metrics_op_of(operation), result >= 0, (double)(now - started_us) / 1e6);
	if (result == -ESTALE)
		metrics_commit_conflict();
	audit_submit(fs->audit, be, &ev);
}

