/* SPDX-License-Identifier: MIT */
/*
 * The daemon's configuration: a JSON file (pinfs.json(5)) parsed into an
 * immutable struct config. Parsing is pure: it reads the file and reports
 * problems through struct pfs_error, naming the offending field. Unknown
 * keys are refused so a typo never silently changes behaviour.
 */
#ifndef PINFS_CONFIG_H
#define PINFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "pinfs/backend.h"
#include "pinfs/error.h"
#include "pinfs/macro.h"

enum config_mode {
	CONFIG_MODE_SAAS,
	CONFIG_MODE_ENTERPRISE,
	CONFIG_MODE_SYSTEM,
	CONFIG_MODE_LAB,
};

struct config_route {
	char *tenant;		/* exact name or fnmatch(3) glob */
	char *backend;		/* URI; may hold a password: never log it */
	char *password_file;	/* optional */
	bool is_glob;
	/*
	 * PostgreSQL only. Every route naming the same backend URI carries the
	 * same pooler and feed (the parser refuses a config where they differ:
	 * the routes share one backend).
	 */
	enum backend_pooler pooler;	/* "pooler": "none" (default) or "transaction" */
	char *feed;		/* "feed": direct URI for LISTEN, or NULL; may hold a password */
};

struct config_tokens {
	char *algorithm;	/* "HS256", "RS256", "ES256", ... or NULL: tokens disabled */
	char *secret_file;
	char *public_key_file;
	char *issuer;
	char *audience;
};

struct config {
	char *path;			/* the file it came from, or NULL (embedded default) */
	enum config_mode mode;
	struct config_route *routes;
	size_t n_routes;
	char *policy;			/* policy file path, or NULL */
	struct config_tokens tokens;
	struct backend_params backend;	/* pool and timeouts */
	size_t max_value_bytes;		/* what a reader gets (and staged bytes); default 1 MiB */
	/*
	 * Resource bounds, each a budget over everyone and the share one uid
	 * may hold of it (absent from the file: a quarter of the budget; for
	 * staged bytes at least one whole value). The top eighth of each budget
	 * is for root and the mount's owner only (quota.h).
	 */
	size_t max_open_files;		/* open pin files at once; default 8192 */
	size_t max_open_files_per_uid;
	size_t max_staged_bytes;	/* staged bytes over all handles; default 256 MiB */
	size_t max_staged_bytes_per_uid;
	size_t max_pending_names;	/* names created, not committed; default 4096 */
	size_t max_pending_names_per_uid;
	size_t max_system_handles;	/* open /.system files; default 256 */
	size_t max_system_handles_per_uid;
	unsigned reaper_interval_s;	/* 0 disables the reaper */
	int log_level;			/* syslog priority; -1: unset */
};

/* Parses a config file. On success *ret owns a new config (config_free). */
int config_load_file(const char *path, struct config **ret, struct pfs_error *reterr);
/* The same from a string (tests, fuzzing); path is used in messages only. */
int config_load_string(const char *text, size_t len, const char *path, struct config **ret,
		       struct pfs_error *reterr);
/*
 * The embedded default: lab mode, one route "*" to sqlite:///<data_dir>/pins.db.
 * data_dir is $XDG_DATA_HOME/pinfs or ~/.local/share/pinfs (see
 * config_default_data_dir).
 */
int config_new_default(const char *data_dir, struct config **ret, struct pfs_error *reterr);
int config_default_data_dir(char **ret);
/*
 * config_new_default over config_default_data_dir, creating that directory
 * (mode 0700) if missing: what "pinfs MOUNTPOINT" and pinctl without a
 * config use. reterr says what failed.
 */
int config_new_embedded(struct config **ret, struct pfs_error *reterr);

struct config *config_free(struct config *cfg);
PFS_DEFINE_FREEP(struct config, config_free)

const char *config_mode_name(enum config_mode mode);

#endif /* PINFS_CONFIG_H */
