/* SPDX-License-Identifier: MIT */
/*
 * pinctl: the operator's tool. Acts on every backend that the config's
 * routes name: "pinctl [--config FILE] COMMAND". Without --config it uses
 * /etc/pinfs/pinfs.json if present, else the embedded default's SQLite file
 * (the same one "pinfs MOUNTPOINT" mounts).
 *
 * Output: results on stdout, one line per backend or pin as before, and
 * always a summary line last (seed, expire, migrate); errors on stderr. On
 * a terminal, seed, expire and migrate also draw a progress line on stderr
 * (progress.h), erased before any other line is printed; --quiet or a
 * stderr that is not a terminal turns it off.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pinctl_rbac.h"
#include "pinfs/config.h"
#include "pinfs/log.h"
#include "pinfs/migrate.h"
#include "pinfs/pin_json.h"
#include "pinfs/progress.h"
#include "pinfs/route.h"
#include "pinfs/seed.h"

#define DEFAULT_CONFIG PINFS_CONFDIR "/pinfs.json"

/* How many expired pins "expire" counts first, for the progress line's ETA. */
#define EXPIRE_COUNT_MAX 1000000

static bool quiet;	/* --quiet: no progress line */

/* A progress line on stderr, if it is a terminal and --quiet was not given. */
static struct progress *progress_start(const char *what, const char *unit, uint64_t total)
{
	return progress_new(stderr, !quiet && isatty(STDERR_FILENO), what, unit, total);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pinctl [--config FILE] COMMAND [ARGS]\n"
		"\n"
		"Commands (each acts on every backend the config routes to):\n"
		"  migrate up        apply every migration this build knows\n"
		"  migrate down      revert the newest applied migration\n"
		"  migrate status    show each backend's schema version\n"
		"  seed --file F [--dry-run] [--verify] [--wait SECONDS]\n"
		"                    upsert the pins of a seed file (idempotent)\n"
		"  expire [--dry-run]\n"
		"                    delete every expired pin now, auditing each\n"
		"  policy check FILE...\n"
		"                    validate RBAC policy files\n"
		"  token mint --sub S --roles R,... --tenants T,... --ttl SECONDS\n"
		"             [--key FILE] [--algorithm ALG] [--issuer I] [--audience A]\n"
		"                    sign a JWT for /.system/credentials\n"
		"\n"
		"seed, expire and migrate end with a summary line on stdout; on a terminal\n"
		"they show a progress line (count, rate, ETA) on stderr while they run.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default %s if it exists,\n"
		"                     else the embedded default's SQLite file)\n"
		"  -q, --quiet        no progress line (errors and the summary stay)\n"
		"  -h, --help         print this help and exit\n"
		"  -V, --version      print the version and exit\n",
		DEFAULT_CONFIG);
}

static int load_config(const char *path, struct config **ret)
{
	struct pfs_error err = {0};
	int r;

	if (!path && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	if (path) {
		r = config_load_file(path, ret, &err);
		if (r < 0)
			fprintf(stderr, "pinctl: %s\n", err.message);
		return r;
	}
	r = config_new_embedded(ret, &err);
	if (r < 0)
		fprintf(stderr, "pinctl: could not set up the embedded default: %s\n",
			err.message[0] ? err.message : strerror(-r));
	return r;
}

static int cmd_migrate(struct route_table *rt, const char *what)
{
	size_t n_be = route_table_n_backends(rt), n_failed = 0, n_current = 0;
	char label[32];
	struct progress *pg;
	int total = 0;

	snprintf(label, sizeof(label), "migrate %s", what);
	pg = progress_start(label, "backends", n_be);
	for (size_t i = 0; i < n_be; i++) {
		struct backend *be = route_table_backend(rt, i);
		struct pfs_error err = {0};
		int r, n = 0, current, required;

		progress_update(pg, i);
		if (strcmp(what, "up") == 0) {
			r = migrate_up(be, &n, &err);
			if (r == 0 && (r = migrate_status(be, &current, &required)) == 0) {
				progress_clear(pg);
				printf("%s: applied %d migration%s, schema version %d\n",
				       backend_name(be), n, plural((uint64_t)n), current);
			}
		} else if (strcmp(what, "down") == 0) {
			r = migrate_down(be, &n, &err);
			if (r == 0 && (r = migrate_status(be, &current, &required)) == 0) {
				progress_clear(pg);
				if (n)
					printf("%s: reverted migration %d, schema version %d\n",
					       backend_name(be), n, current);
				else
					printf("%s: nothing to revert\n", backend_name(be));
				n = n ? 1 : 0;	/* migrate_down gives the version, not a count */
			}
		} else {
			r = migrate_status(be, &current, &required);
			if (r == 0) {
				progress_clear(pg);
				printf("%s: schema version %d, this pinctl needs %d: %s\n",
				       backend_name(be), current, required,
				       current == required ? "up to date"
				       : current < required ? "run \"pinctl migrate up\""
							    : "newer than this pinctl");
				n_current += current == required;
			}
		}
		if (r < 0) {
			progress_clear(pg);
			fprintf(stderr, "pinctl: %s: %s\n", backend_name(be),
				err.message[0] ? err.message : strerror(-r));
			n_failed++;
			continue;
		}
		total += n;
	}
	progress_update(pg, n_be);
	pg = progress_free(pg);
	if (strcmp(what, "status") == 0)
		printf("migrate status: %zu of %zu backend%s up to date", n_current, n_be,
		       plural(n_be));
	else
		printf("migrate %s: %s %d migration%s on %zu backend%s", what,
		       strcmp(what, "up") == 0 ? "applied" : "reverted", total,
		       plural((uint64_t)total), n_be - n_failed, plural(n_be - n_failed));
	if (n_failed)
		printf(", %zu backend%s failed", n_failed, plural(n_failed));
	printf("\n");
	return n_failed ? 1 : 0;
}

struct expire_ctx {
	const char *verb;
	struct progress *pg;
	uint64_t done;		/* over every backend so far */
};

static int print_expired(void *ctx, const char *tenant, const char *key)
{
	struct expire_ctx *c = ctx;

	progress_clear(c->pg);
	printf("%s %s/%s\n", c->verb, tenant, key);
	c->done++;
	progress_update(c->pg, c->done);
	return 0;
}

/* How many pins would expire on every backend (for the ETA); 0 if unknown. */
static uint64_t count_expired(struct backend_set *set)
{
	uint64_t total = 0;

	for (size_t i = 0; i < backend_set_size(set); i++) {
		int r = backend_expire(backend_set_get(set, i), true, EXPIRE_COUNT_MAX, "pinctl",
				       NULL, NULL);

		if (r < 0 || r >= EXPIRE_COUNT_MAX)
			return 0;
		total += (uint64_t)r;
	}
	return total;
}

static int cmd_expire(struct backend_set *set, int argc, char **argv)
{
	bool dry_run = argc > 1 && strcmp(argv[1], "--dry-run") == 0;
	size_t n_be = backend_set_size(set), n_failed = 0;
	struct expire_ctx c = {.verb = dry_run ? "would expire" : "expired"};
	bool show = !quiet && isatty(STDERR_FILENO) && !dry_run;

	if (argc > (dry_run ? 2 : 1)) {
		fprintf(stderr, "pinctl: expire takes only --dry-run\n");
		return 2;
	}
	/* A dry run only lists: nothing to wait for. */
	c.pg = show ? progress_start("expire", "pins", count_expired(set)) : NULL;
	progress_update(c.pg, 0);
	for (size_t i = 0; i < n_be; i++) {
		struct backend *be = backend_set_get(set, i);
		uint64_t before = c.done;
		int r;

		/*
		 * Deletions go in batches of 1000, each its own transaction. A dry
		 * run deletes nothing, so a batch would find the same rows again:
		 * it lists them all in one.
		 */
		do
			r = backend_expire(be, dry_run, dry_run ? INT_MAX : 1000, "pinctl",
					   print_expired, &c);
		while (r == 1000 && !dry_run);
		if (r < 0) {
			progress_clear(c.pg);
			fprintf(stderr, "pinctl: %s: could not expire pins: %s\n", backend_name(be),
				strerror(-r));
			n_failed++;
			continue;
		}
		progress_clear(c.pg);
		printf("%s: %" PRIu64 " pin%s %s\n", backend_name(be), c.done - before,
		       plural(c.done - before), dry_run ? "would expire" : "expired");
	}
	c.pg = progress_free(c.pg);
	if (dry_run)
		printf("%" PRIu64 " pin%s would expire on %zu backend%s", c.done, plural(c.done),
		       n_be - n_failed, plural(n_be - n_failed));
	else
		printf("expired %" PRIu64 " pin%s on %zu backend%s", c.done, plural(c.done),
		       n_be - n_failed, plural(n_be - n_failed));
	if (n_failed)
		printf(", %zu backend%s failed", n_failed, plural(n_failed));
	printf("\n");
	return n_failed ? 1 : 0;
}

/* Waits until every backend answers, for at most seconds. */
static int wait_backends(struct backend_set *set, unsigned seconds)
{
	for (unsigned waited = 0;; waited++) {
		size_t down = 0;

		for (size_t i = 0; i < backend_set_size(set); i++)
			down += backend_ping(backend_set_get(set, i)) < 0;
		if (!down)
			return 0;
		if (waited >= seconds)
			return -EIO;
		sleep(1);
	}
}

static int cmd_seed(struct route_table *rt, struct backend_set *set, size_t max_value, int argc,
		    char **argv)
{
	static const struct option opts[] = {
		{"file", required_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'n'},
		{"verify", no_argument, NULL, 'v'},
		{"wait", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	PFS_CLEANUP(seed_freep) struct seed *seed = NULL;
	struct pfs_error err = {0};
	struct progress *pg;
	const char *file = NULL;
	bool dry_run = false, verify = false;
	unsigned wait_s = 0;
	int c, failed = 0;
	size_t written = 0, routed = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:nvw:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'v':
			verify = true;
			break;
		case 'w':
			wait_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!file || optind != argc) {
		fprintf(stderr, "pinctl: seed needs --file FILE\n");
		return 2;
	}
	if (seed_load_file(file, max_value, &seed, &err) < 0) {
		fprintf(stderr, "pinctl: %s\n", err.message);
		return 1;
	}
	if (wait_s && wait_backends(set, wait_s) < 0) {
		fprintf(stderr, "pinctl: the backends did not answer within %u s\n", wait_s);
		return 1;
	}
	/* A dry run only prints what it would do: nothing to wait for. */
	pg = dry_run ? NULL : progress_start("seed", "pins", seed->n);
	for (size_t i = 0; i < seed->n; i++) {
		const struct seed_pin *p = &seed->pins[i];
		struct pin_write w = {.value = p->value, .value_len = p->value_len,
				      .source = p->source ? p->source : "seed",
				      .ttl_op = p->ttl_seconds >= 0 ? PIN_TTL_SET : PIN_TTL_KEEP,
				      .ttl_seconds = p->ttl_seconds};
		struct backend *be;
		int r;

		progress_update(pg, i);
		r = route_table_lookup(rt, p->tenant, &be, NULL);
		if (r < 0) {
			progress_clear(pg);
			fprintf(stderr, "pinctl: %s/%s: no route for tenant \"%s\"\n", p->tenant,
				p->key, p->tenant);
			failed = 1;
			continue;
		}
		routed++;
		if (dry_run) {
			printf("would write %s/%s (%zu bytes) to %s\n", p->tenant, p->key,
			       p->value_len, backend_name(be));
			continue;
		}
		r = backend_pin_upsert(be, p->tenant, p->key, &w, NULL);
		if (r < 0) {
			progress_clear(pg);
			fprintf(stderr, "pinctl: %s/%s: %s\n", p->tenant, p->key, strerror(-r));
			failed = 1;
			continue;
		}
		written++;
		if (verify) {
			struct pin got = {0};

			/* Equal as JSON: PostgreSQL's jsonb keeps its own key order. */
			r = backend_pin_get(be, p->tenant, p->key, max_value, &got);
			if (r < 0 || !got.value ||
			    !seed_value_equal(got.value, got.value_len, p->value, p->value_len)) {
				progress_clear(pg);
				fprintf(stderr, "pinctl: %s/%s: read back %s\n", p->tenant, p->key,
					r < 0 ? strerror(-r) : "a different value");
				failed = 1;
			}
			pin_done(&got);
		}
	}
	progress_update(pg, seed->n);
	pg = progress_free(pg);
	if (dry_run)
		printf("would seed %zu of %zu pins\n", routed, seed->n);
	else
		printf("seeded %zu of %zu pins%s\n", written, seed->n, verify ? ", verified" : "");
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},
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

	while ((c = getopt_long(argc, argv, "+c:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'q':
			quiet = true;
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
	int sub_argc = argc - optind - 1;
	char **sub_argv = argv + optind + 1;

	if (strcmp(cmd, "policy") == 0) {
		if (sub_argc < 1 || strcmp(sub_argv[0], "check") != 0) {
			fprintf(stderr, "pinctl: policy needs check FILE...\n");
			return 2;
		}
		return pinctl_policy_check(sub_argc, sub_argv);
	}
	if (strcmp(cmd, "token") == 0) {
		if (sub_argc < 1 || strcmp(sub_argv[0], "mint") != 0) {
			fprintf(stderr, "pinctl: token needs mint ...\n");
			return 2;
		}
		/* The config only gives defaults here: a missing one is no error. */
		if ((config_path || access(DEFAULT_CONFIG, F_OK) == 0) &&
		    load_config(config_path, &cfg) < 0)
			return 1;
		return pinctl_token_mint(cfg, sub_argc, sub_argv);
	}
	if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "seed") != 0 && strcmp(cmd, "expire") != 0) {
		fprintf(stderr, "pinctl: unrecognized command \"%s\" (try --help)\n", cmd);
		return 2;
	}
	if (strcmp(cmd, "migrate") == 0) {
		const char *what = sub_argc > 0 ? sub_argv[0] : "";

		if (strcmp(what, "up") != 0 && strcmp(what, "down") != 0 &&
		    strcmp(what, "status") != 0) {
			fprintf(stderr, "pinctl: migrate needs up, down or status\n");
			return 2;
		}
	}
	if (load_config(config_path, &cfg) < 0)
		return 1;
	set = backend_set_new();
	if (!set || route_table_new(cfg, set, &rt, &err) < 0) {
		fprintf(stderr, "pinctl: %s\n", err.message[0] ? err.message : "out of memory");
		return 1;
	}
	if (strcmp(cmd, "migrate") == 0)
		return cmd_migrate(rt, sub_argv[0]);
	if (strcmp(cmd, "seed") == 0)
		return cmd_seed(rt, set, cfg->max_value_bytes, sub_argc + 1, sub_argv - 1);
	return cmd_expire(set, sub_argc + 1, sub_argv - 1);
}
