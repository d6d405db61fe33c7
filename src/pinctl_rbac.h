/* SPDX-License-Identifier: MIT */
/*
 * pinctl's RBAC commands: "pinctl policy check FILE..." and "pinctl token
 * mint ...". src/pinctl.c dispatches to them.
 *
 * Both take the arguments from the subcommand word on, getopt style:
 * argv[0] is the subcommand ("check" or "mint") and argv[1..argc) are its
 * options and operands, so "pinctl -c x.json token mint --sub a ..." calls
 * pinctl_token_mint(cfg, argc - optind - 1, argv + optind + 1). Both reset
 * getopt (optind = 0) themselves.
 *
 * They return the process exit status: 0 success, 1 failure (the reason is
 * on stderr), 2 usage error.
 */
#ifndef PINFS_PINCTL_RBAC_H
#define PINFS_PINCTL_RBAC_H

#include "pinfs/config.h"

/*
 * Loads and validates each FILE; prints "FILE: ok (version V, hash H,
 * N roles, M bindings, enforce|shadow)" for each good one on stdout, and the
 * error naming the field, or a warning (an unknown user or group), on stderr.
 */
int pinctl_policy_check(int argc, char **argv);

/*
 * token mint --sub S --roles R1,R2 --tenants T1,T2 --ttl SECONDS [--key FILE]
 *            [--algorithm ALG] [--issuer I] [--audience A]
 * Prints the signed token and a newline on stdout. Defaults come from
 * cfg->tokens (cfg may be NULL): the algorithm, the issuer, the audience,
 * and for HS* the secret_file. RS* and ES* need --key: the PEM private key.
 */
int pinctl_token_mint(const struct config *cfg, int argc, char **argv);

#endif /* PINFS_PINCTL_RBAC_H */
