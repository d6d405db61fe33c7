/* SPDX-License-Identifier: MIT */
/*
 * pinctl: the operator's tool. Acts on every backend that the config's
 * routes name: "pinctl [--config FILE] COMMAND". Without --config it uses
 * /etc/pinfs/pinfs.json if present, else the embedded default's SQLite file
 * (the same one "pinfs MOUNTPOINT" mounts).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pinfs/config.h"
#include "pinfs/log.h"
#include "pinfs/migrate.h"
#include "pinfs/route.h"

#define DEFAULT_CONFIG PINFS_SYSCONFDIR "/pinfs.json"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pinctl [--config FILE] COMMAND [ARGS]\n"
		"\n"
		"Commands (each acts on every backend the config routes to):\n"
		"  migrate up        apply every migration this build knows\n"
		"  migrate down      revert the newest applied migration\n"
		"  migrate status    show each backend's schema version\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default %s if it exists,\n"
		"                     else the embedded default's SQLite file)\n"
		"  -h, --help         print this help and exit\n"
		"  -V, --version      print the version and exit\n",
		DEFAULT_CONFIG);
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

static int load_config(const char *path, struct config **ret)
{
	struct pfs_error err = {0};
	PFS_AUTOFREE char *dir = NULL;
	int r;

	if (!path && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	if (path) {
		r = config_load_file(path, ret, &err);
		if (r < 0)
			fprintf(stderr, "pinctl: %s\n", err.message);
		return r;
	}
	r = config_default_data_dir(&dir);
	if (r == 0)
		r = mkdir_p(dir);
	if (r == 0)
		r = config_new_default(dir, ret, &err);
	if (r < 0)
		fprintf(stderr, "pinctl: could not set up the embedded default: %s\n",
			err.message[0] ? err.message : strerror(-r));
	return r;
}

static int cmd_migrate(struct route_table *rt, const char *what)
{
	int failed = 0;

	for (size_t i = 0; i < route_table_n_backends(rt); i++) {
		struct backend *be = route_table_backend(rt, i);
		struct pfs_error err = {0};
		int r, n, current, required;

		if (strcmp(what, "up") == 0) {
			r = migrate_up(be, &n, &err);
			if (r == 0 && (r = migrate_status(be, &current, &required)) == 0)
				printf("%s: applied %d migration%s, schema version %d\n",
				       backend_name(be), n, n == 1 ? "" : "s", current);
		} else if (strcmp(what, "down") == 0) {
			r = migrate_down(be, &n, &err);
			if (r == 0 && (r = migrate_status(be, &current, &required)) == 0) {
				if (n)
					printf("%s: reverted migration %d, schema version %d\n",
					       backend_name(be), n, current);
				else
					printf("%s: nothing to revert\n", backend_name(be));
			}
		} else {
			r = migrate_status(be, &current, &required);
			if (r == 0)
				printf("%s: schema version %d, this pinctl needs %d: %s\n",
				       backend_name(be), current, required,
				       current == required ? "up to date"
				       : current < required ? "run \"pinctl migrate up\""
							    : "newer than this pinctl");
		}
		if (r < 0) {
			fprintf(stderr, "pinctl: %s: %s\n", backend_name(be),
				err.message[0] ? err.message : strerror(-r));
			failed = 1;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	PFS_CLEANUP(config_freep) struct config *cfg = NULL;
	PFS_CLEANUP(backend_set_freep) struct backend_set *set = NULL;
	PFS_CLEANUP(route_table_freep) struct route_table *rt = NULL;
	struct pfs_error err = {0};
	const char *config_path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pinctl %s\n", PINFS_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	pfs_log_open("pinctl", PFS_LOG_STDERR, getenv("PINFS_DEBUG") ? LOG_DEBUG : LOG_WARNING);

	const char *cmd = argv[optind];

	if (strcmp(cmd, "migrate") == 0) {
		const char *what = optind + 1 < argc ? argv[optind + 1] : "";

		if (strcmp(what, "up") != 0 && strcmp(what, "down") != 0 &&
		    strcmp(what, "status") != 0) {
			fprintf(stderr, "pinctl: migrate needs up, down or status\n");
			return 2;
		}
		if (load_config(config_path, &cfg) < 0)
			return 1;
		set = backend_set_new();
		if (!set || route_table_new(cfg, set, &rt, &err) < 0) {
			fprintf(stderr, "pinctl: %s\n", err.message);
			return 1;
		}
		return cmd_migrate(rt, what);
	}
	fprintf(stderr, "pinctl: unrecognized command \"%s\" (try --help)\n", cmd);
	return 2;
}
