/* SPDX-License-Identifier: MIT */
/*
 * Seed files: a list of pins to upsert ("pinctl seed"). The format is
 *   {"pins": [{"tenant": T, "key": K, "value": ANY, "source": S?,
 *              "ttl_seconds": N?}, ...]}
 * (extra top-level keys such as "version" and "description" are allowed).
 * Parsing is pure; seeding is idempotent (upserts).
 */
#ifndef PINFS_SEED_H
#define PINFS_SEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinfs/error.h"
#include "pinfs/macro.h"

struct seed_pin {
	char *tenant;
	char *key;
	char *value;		/* compact JSON */
	size_t value_len;
	char *source;		/* NULL: "seed" */
	int32_t ttl_seconds;	/* -1: none */
};

struct seed {
	struct seed_pin *pins;
	size_t n;
};

/*
 * Loads a seed file; each value goes through the validator a write does
 * (pin_json_canonicalize), so a seed holds only what a file could, within
 * max_value bytes once rendered (-EFBIG past it).
 */
int seed_load_file(const char *path, size_t max_value, struct seed **ret, struct pfs_error *reterr);
struct seed *seed_free(struct seed *s);
/* Whether two JSON texts hold the same value (object key order aside). */
bool seed_value_equal(const char *a, size_t alen, const char *b, size_t blen);
PFS_DEFINE_FREEP(struct seed, seed_free)

#endif /* PINFS_SEED_H */
