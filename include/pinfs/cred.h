/* SPDX-License-Identifier: MIT */
/*
 * Credentials: JWTs users present by writing them to /.system/credentials.
 * The only module that includes <jwt.h> (libjwt 1.10).
 *
 * Verification pins the configured algorithm before any crypto (the header
 * is decoded and checked here, so "alg": "none" and algorithm switching
 * never reach libjwt's verifier) and again after jwt_decode; refuses tokens
 * over CRED_TOKEN_MAX bytes before libjwt sees them (libjwt 1.10 alloca()s
 * the token's length); and checks every claim itself: "exp" required,
 * "nbf" and "iat" optional, 30 s leeway at most, "iss" and "aud" equal to
 * the configured ones when configured, "sub" a non-empty string, "roles"
 * and "tenants" arrays of strings. HS256/384/512 secrets shorter than 32
 * bytes are refused when the verifier is created.
 *
 * A struct cred_store binds verified claims to uids until they expire (or
 * until a reload's token settings no longer verify them), and caches
 * verified tokens by SHA-256 so a token is verified once.
 * Thread-safe.
 */
#ifndef PINFS_CRED_H
#define PINFS_CRED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pinfs/config.h"
#include "pinfs/error.h"
#include "pinfs/macro.h"
#include "pinfs/policy.h"

#define CRED_TOKEN_MAX 8192
#define CRED_LEEWAY_S 30

struct cred_verifier;

/* What a key file is read for: it decides who else may read it. */
enum cred_key_use {
	CRED_KEY_VERIFY,	/* the daemon's verifier: an HS* secret or an RS/ES public key */
	CRED_KEY_SIGN,		/* pinctl token mint: an HS* secret or an RS/ES private key */
};

/*
 * Reads a key file the way the verifier does (and pinctl token mint must):
 * for HS* the secret's raw bytes, with one trailing "\n" (or "\r\n")
 * dropped, at least as long as the hash (32/48/64 bytes); for RS* and ES*
 * the PEM text as it is. At most 64 KiB. The file is opened and checked
 * as fileperm_open does, with FILEPERM_NOFOLLOW, and FILEPERM_PRIVATE for
 * secrets and private keys (a public key may be readable by anyone, but
 * writable by nobody else). *ret is new: release it with
 * cred_key_free(*ret, *ret_len), which wipes it.
 */
int cred_key_read(const char *algorithm, enum cred_key_use use, const char *path,
		  unsigned char **ret, size_t *ret_len, struct pfs_error *reterr);
void cred_key_free(unsigned char *key, size_t len);

/* From the config's "tokens" object (algorithm, secret_file or public_key_file, issuer, audience). */
int cred_verifier_new(const struct config_tokens *cfg, struct cred_verifier **ret,
		      struct pfs_error *reterr);
struct cred_verifier *cred_verifier_free(struct cred_verifier *v);
PFS_DEFINE_FREEP(struct cred_verifier, cred_verifier_free)

/*
 * Verifies token[0..len) (surrounding whitespace ignored) at time now.
 * On success *ret owns new claims (cred_claims_free). -EINVAL for a
 * malformed token, -EACCES for a bad signature, wrong algorithm, or a
 * claim that fails (reterr says which), -E2BIG over CRED_TOKEN_MAX.
 */
int cred_verify(const struct cred_verifier *v, const char *token, size_t len, int64_t now,
		struct cred_claims **ret, struct pfs_error *reterr);

struct cred_claims *cred_claims_free(struct cred_claims *c);
PFS_DEFINE_FREEP(struct cred_claims, cred_claims_free)
/* A deep copy, or NULL. */
struct cred_claims *cred_claims_dup(const struct cred_claims *c);

/* Signs a token (pinctl token mint, tests). *ret is new (free()). */
int cred_mint(const char *algorithm, const unsigned char *key, size_t key_len, const char *sub,
	      const char *const *roles, size_t n_roles, const char *const *tenants,
	      size_t n_tenants, int64_t iat, int64_t exp, const char *issuer, const char *audience,
	      char **ret, struct pfs_error *reterr);

struct cred_store;

struct cred_store *cred_store_new(void);
struct cred_store *cred_store_free(struct cred_store *s);
PFS_DEFINE_FREEP(struct cred_store, cred_store_free)

/*
 * Verifies token (through the cache) and binds its claims to uid, replacing
 * any earlier binding of that uid. Errors as cred_verify.
 */
int cred_store_bind(struct cred_store *s, const struct cred_verifier *v, uid_t uid,
		    const char *token, size_t len, int64_t now, struct pfs_error *reterr);
/*
 * Announces the token settings now in force (v, or NULL: tokens are off),
 * after a reload: from this call on, lookups see only bindings v accepted;
 * every other binding is verified again with v at now (its key, algorithm,
 * issuer, audience and the token's expiry) and kept with the new claims or
 * dropped. With v NULL every binding is dropped. Returns how many were
 * dropped. Verification runs outside the store's lock; a uid that binds or
 * unbinds meanwhile keeps what it did. A binding made with another
 * verifier later never counts until a call with that verifier.
 */
int cred_store_reverify(struct cred_store *s, const struct cred_verifier *v, int64_t now);
/* Removes uid's binding (0, or -ENOENT if there was none). */
int cred_store_unbind(struct cred_store *s, uid_t uid);
/*
 * A copy of uid's claims if bound and not expired at now (cred_claims_free),
 * else NULL. Expired bindings are dropped.
 */
struct cred_claims *cred_store_lookup(struct cred_store *s, uid_t uid, int64_t now);

/*
 * When (seconds since the epoch) uid's binding stops counting by expiry
 * ("exp" plus the leeway), or 0 if it has none that counts at now.
 */
int64_t cred_store_expiry(struct cred_store *s, uid_t uid, int64_t now);
/*
 * The earliest time a binding stops counting by expiry, 1 if some expired
 * and were not reported by cred_store_take_expired yet, or 0: none.
 */
int64_t cred_store_next_expiry(struct cred_store *s);
/*
 * Drops the bindings expired at now; returns how many bindings expired
 * since the last call, however they were dropped (here, by a lookup, or to
 * make room for another binding).
 */
int cred_store_take_expired(struct cred_store *s, int64_t now);

#endif /* PINFS_CRED_H */
