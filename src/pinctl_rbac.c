/* SPDX-License-Identifier: MIT */
/*
 * pinctl policy check and pinctl token mint (see src/pinctl_rbac.h). Thin
 * wrappers: validation is policy_load_file's, signing is cred_mint's, and
 * the key file is read exactly as the daemon's verifier reads it
 * (cred_key_read), so a minted token verifies against the same file.
 * The token goes to stdout only; the key is wiped after use.
 */
#include "pinctl_rbac.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pinfs/cred.h"
#include "pinfs/policy.h"

#define MINT_TTL_MAX 31536000	/* one year */

int pinctl_policy_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, failed = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: pinctl policy check FILE...\n");
			return 0;
		default:
			fprintf(stderr, "usage: pinctl policy check FILE...\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: pinctl policy check FILE...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		PFS_CLEANUP(policy_freep) struct policy *pol = NULL;
		struct pfs_error err = {0};
		int r = policy_load_file(argv[i], &pol, &err);

		if (r < 0) {
			fprintf(stderr, "pinctl: %s\n",
				err.message[0] ? err.message : strerror(-r));
			failed = 1;
			continue;
		}
		/* Every warning, not the first and a count as the daemon's log has it. */
		for (size_t w = 0; w < policy_n_warnings(pol); w++)
			fprintf(stderr, "pinctl: warning: %s\n", policy_warning(pol, w));
		printf("%s: ok (version %s, hash %s, %zu role%s, %zu binding%s, %s)\n", argv[i],
		       policy_version(pol), policy_hash(pol), policy_n_roles(pol),
		       policy_n_roles(pol) == 1 ? "" : "s", policy_n_bindings(pol),
		       policy_n_bindings(pol) == 1 ? "" : "s",
		       policy_enforcing(pol) ? "enforce" : "shadow");
	}
	return failed;
}

/*
 * Splits "a,b,c" into a new array of pointers into a new copy (*ret_buf);
 * "" is the empty list. Empty items ("a,,b") are refused.
 */
static int split_list(const char *arg, char **ret_buf, char ***ret_v, size_t *ret_n)
{
	char *buf = strdup(arg), **v;
	size_t n = 0, cap = 1;

	if (!buf)
		return -ENOMEM;
	for (const char *p = arg; *p; p++)
		cap += *p == ',';
	v = calloc(cap, sizeof(*v));
	if (!v) {
		free(buf);
		return -ENOMEM;
	}
	if (buf[0]) {
		char *save = buf;

		for (char *item; (item = strsep(&save, ","));) {
			if (!item[0]) {
				free(v);
				free(buf);
				return -EINVAL;
			}
			v[n++] = item;
		}
	}
	*ret_buf = buf;
	*ret_v = v;
	*ret_n = n;
	return 0;
}

static void mint_usage(FILE *out)
{
	fprintf(out,
		"usage: pinctl token mint --sub S --roles R1,R2 --tenants T1,T2 --ttl SECONDS\n"
		"                         [--key FILE] [--algorithm ALG] [--issuer I] "
		"[--audience A]\n"
		"Defaults come from the config's \"tokens\" object; RS* and ES* need --key\n"
		"(the PEM private key). --roles \"\" and --tenants \"\" give empty lists.\n");
}

int pinctl_token_mint(const struct config *cfg, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"sub", required_argument, NULL, 's'},
		{"roles", required_argument, NULL, 'r'},
		{"tenants", required_argument, NULL, 't'},
		{"ttl", required_argument, NULL, 'T'},
		{"key", required_argument, NULL, 'k'},
		{"algorithm", required_argument, NULL, 'a'},
		{"issuer", required_argument, NULL, 'i'},
		{"audience", required_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const struct config_tokens *def = cfg ? &cfg->tokens : NULL;
	const char *sub = NULL, *roles_arg = NULL, *tenants_arg = NULL, *ttl_arg = NULL;
	const char *key_path = NULL, *alg = def ? def->algorithm : NULL;
	const char *issuer = def ? def->issuer : NULL, *audience = def ? def->audience : NULL;
	PFS_AUTOFREE char *roles_buf = NULL;
	PFS_AUTOFREE char *tenants_buf = NULL;
	PFS_AUTOFREE char **roles = NULL;
	PFS_AUTOFREE char **tenants = NULL;
	size_t n_roles = 0, n_tenants = 0, key_len = 0;
	unsigned char *key = NULL;
	struct pfs_error err = {0};
	char *token = NULL, *end;
	long long ttl;
	int64_t now;
	int c, r;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sub = optarg;
			break;
		case 'r':
			roles_arg = optarg;
			break;
		case 't':
			tenants_arg = optarg;
			break;
		case 'T':
			ttl_arg = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'a':
			alg = optarg;
			break;
		case 'i':
			issuer = optarg[0] ? optarg : NULL;
			break;
		case 'A':
			audience = optarg[0] ? optarg : NULL;
			break;
		case 'h':
			mint_usage(stdout);
			return 0;
		default:
			mint_usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !sub || !roles_arg || !tenants_arg || !ttl_arg) {
		if (optind < argc)
			fprintf(stderr, "pinctl: token mint: unexpected argument \"%s\"\n",
				argv[optind]);
		else
			fprintf(stderr,
				"pinctl: token mint needs --sub, --roles, --tenants and --ttl\n");
		mint_usage(stderr);
		return 2;
	}
	errno = 0;
	ttl = strtoll(ttl_arg, &end, 10);
	if (errno || end == ttl_arg || *end || ttl < 1 || ttl > MINT_TTL_MAX) {
		fprintf(stderr, "pinctl: --ttl: must be a number of seconds from 1 to %d\n",
			MINT_TTL_MAX);
		return 2;
	}
	if (!alg) {
		fprintf(stderr, "pinctl: no algorithm: pass --algorithm or set tokens.algorithm in "
				"the config\n");
		return 2;
	}
	if (!key_path) {
		if (strncmp(alg, "HS", 2) == 0 && def && def->secret_file) {
			key_path = def->secret_file;
		} else {
			fprintf(stderr,
				"pinctl: no signing key: pass --key FILE (%s)\n",
				strncmp(alg, "HS", 2) == 0 ? "the shared secret"
							   : "the PEM private key");
			return 2;
		}
	}
	if (split_list(roles_arg, &roles_buf, &roles, &n_roles) < 0 ||
	    split_list(tenants_arg, &tenants_buf, &tenants, &n_tenants) < 0) {
		fprintf(stderr, "pinctl: --roles and --tenants take comma-separated names\n");
		return 2;
	}

	r = cred_key_read(alg, CRED_KEY_SIGN, key_path, &key, &key_len, &err);
	if (r < 0) {
		fprintf(stderr, "pinctl: %s\n", err.message[0] ? err.message : strerror(-r));
		return 1;
	}
	now = (int64_t)time(NULL);
	r = cred_mint(alg, key, key_len, sub, (const char *const *)roles, n_roles,
		      (const char *const *)tenants, n_tenants, now, now + ttl, issuer, audience,
		      &token, &err);
	cred_key_free(key, key_len);
	if (r < 0) {
		fprintf(stderr, "pinctl: %s\n", err.message[0] ? err.message : strerror(-r));
		return 1;
	}
	r = printf("%s\n", token) < 0 || fflush(stdout) != 0;
	explicit_bzero(token, strlen(token));
	free(token);
	if (r) {
		fprintf(stderr, "pinctl: could not write the token: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
