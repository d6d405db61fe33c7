/* SPDX-License-Identifier: MIT */
/*
 * Credentials: verifying, minting and binding JWTs (DESIGN.md section 6,
 * notes/fuse-research.md section 5). The only file that includes <jwt.h>.
 *
 * libjwt 1.10 is used for the signature only, and never trusted on its own:
 * it takes the algorithm from the token, accepts "alg": "none" when given no
 * key, alloca()s the token's length, and checks no claims. So cred_verify:
 *   1. refuses more than CRED_TOKEN_MAX bytes (-E2BIG) before anything else,
 *      including whitespace trimming, NUL checks and hashing;
 *   2. requires three non-empty base64url segments (exactly two dots; an
 *      empty signature is the "alg": "none" shape);
 *   3. decodes the header itself and parses it with jansson (duplicate keys
 *      refused): "alg" must equal the configured algorithm (string compare),
 *      "crit" is refused, "typ" if present must be "JWT"; the payload must be
 *      a JSON object without duplicate keys. All of this before any crypto;
 *   4. calls jwt_decode() with the configured key (key_len > 0 always, so
 *      libjwt never takes the unsigned path), then requires jwt_get_alg() to
 *      be the configured algorithm again;
 *   5. parses jwt_get_grants_json() with jansson and checks every claim
 *      itself: "exp" required and numeric, "nbf"/"iat" numeric when present,
 *      CRED_LEEWAY_S of clock skew; "iss" and "aud" (a string or an array
 *      containing ours) when the config sets them; "sub" a non-empty string;
 *      "roles" and "tenants" arrays of strings when present (absent = empty).
 *
 * Key files: an HS* secret is the file's raw bytes with exactly one trailing
 * "\n" (or "\r\n") removed, because "echo secret > file" and editors add one
 * and a secret that differs between the issuer and pinfs by a newline is a
 * confusing failure. Nothing else is trimmed, so a secret may hold any
 * bytes. Per RFC 7518 section 3.2 the secret must be at least as long as the
 * hash: 32, 48 or 64 bytes for HS256, HS384 and HS512. RS* and ES* take a
 * PEM public key (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY") whose type must
 * match the family: RSA of at least 2048 bits; EC on P-256, P-384 or P-521
 * for ES256, ES384 and ES512. This is checked when the verifier is created.
 *
 * struct cred_store: uid -> claims until they expire, and a cache of
 * verified tokens keyed by SHA-256(verifier fingerprint || token), so a
 * token is verified once (RS/ES verification re-parses the PEM: ~0.6 ms) and
 * a cache entry can never outlive a change of key, issuer or audience. The
 * cache holds CRED_CACHE_SIZE entries. Bindings and cache entries die with
 * their token's "exp" plus CRED_LEEWAY_S, the same rule as verification.
 * One mutex protects both; verification runs outside it.
 *
 * A binding keeps its token (wiped on free) and the fingerprint of the
 * verifier that accepted it. cred_store_reverify announces the verifier
 * of new token settings: from then on a binding counts only if that
 * verifier accepted it, and each other one is verified again with it (key,
 * algorithm, issuer, audience, expiry) and kept or dropped. With tokens
 * off, every binding goes.
 *
 * Token bytes are copied only into buffers that are wiped (explicit_bzero)
 * before they are freed, as are secrets. Nothing here logs: error messages
 * never contain a token, a secret or claim values other than the algorithm.
 */
#include "pinfs/fileperm.h"
#include "pinfs/strv.h"
#include "pinfs/cred.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define KEY_FILE_MAX (64 * 1024)
#define CRED_CACHE_SIZE 1024
#define CLAIM_STR_MAX 1024	/* "sub" */
#define CLAIM_ITEM_MAX 255	/* one role or tenant */
#define CLAIM_LIST_MAX 256	/* roles or tenants per token */
#define NUMERIC_DATE_MAX INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

enum alg_family { FAMILY_HS, FAMILY_RS, FAMILY_ES };

struct alg_info {
	const char *name;
	jwt_alg_t alg;
	enum alg_family family;
	size_t min_secret;	/* HS: bytes */
	int ec_bits;		/* ES: curve size */
};

static const struct alg_info algs[] = {
	{"HS256", JWT_ALG_HS256, FAMILY_HS, 32, 0},
	{"HS384", JWT_ALG_HS384, FAMILY_HS, 48, 0},
	{"HS512", JWT_ALG_HS512, FAMILY_HS, 64, 0},
	{"RS256", JWT_ALG_RS256, FAMILY_RS, 0, 0},
	{"RS384", JWT_ALG_RS384, FAMILY_RS, 0, 0},
	{"RS512", JWT_ALG_RS512, FAMILY_RS, 0, 0},
	{"ES256", JWT_ALG_ES256, FAMILY_ES, 0, 256},
	{"ES384", JWT_ALG_ES384, FAMILY_ES, 0, 384},
	{"ES512", JWT_ALG_ES512, FAMILY_ES, 0, 521},
};

struct cred_verifier {
	const struct alg_info *alg;
	unsigned char *key;	/* secret or PEM; wiped on free */
	size_t key_len;
	char *issuer;		/* NULL: not checked */
	char *audience;		/* NULL: not checked */
	unsigned char fingerprint[32];	/* SHA-256 of everything above */
};

static const struct alg_info *find_alg(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < PFS_ARRAY_SIZE(algs); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

static void wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* For PFS_CLEANUP: a NUL-terminated secret string (token copies). */
static void wipe_strp(char **p)
{
	if (*p)
		wipe_free(*p, strlen(*p));
}

static void free_jwtp(jwt_t **p)
{
	if (*p)
		jwt_free(*p);
}

void cred_key_free(unsigned char *key, size_t len)
{
	wipe_free(key, len);
}

/* ------------------------------------------------------------------ */
/* key files                                                          */

/*
 * Reads a whole regular file of at most KEY_FILE_MAX bytes (NUL-terminated),
 * opened and checked as fileperm_open does with flags.
 */
static int read_small_file(const char *path, const char *what, unsigned flags,
			   unsigned char **ret, size_t *ret_len, struct pfs_error *reterr)
{
	char *text;
	size_t len = 0;
	int fd, r;

	r = fileperm_open(path, what, flags | FILEPERM_NOFOLLOW, &fd, NULL, reterr);
	if (r < 0)
		return r;
	r = fileperm_read_all(fd, KEY_FILE_MAX, &text, &len);
	if (r == -EFBIG)
		return pfs_error_set(reterr, -EINVAL, 0, "%s \"%s\" is larger than %d bytes", what,
				     path, KEY_FILE_MAX);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not read %s \"%s\": %s", what, path,
				     strerror(-r));
	*ret = (unsigned char *)text;
	*ret_len = len;
	return 0;
}

int cred_key_read(const char *algorithm, enum cred_key_use use, const char *path,
		  unsigned char **ret, size_t *ret_len, struct pfs_error *reterr)
{
	const struct alg_info *ai = find_alg(algorithm);
	unsigned char *buf = NULL;
	const char *what;
	size_t len = 0;
	int r;

	if (!ai)
		return pfs_error_set(reterr, -EINVAL, 0, "unsupported token algorithm");
	if (!path || !ret || !ret_len)
		return pfs_error_set(reterr, -EINVAL, 0, "no key file given");
	/* Whoever reads a secret or a private key mints tokens: only its owner may. */
	what = ai->family == FAMILY_HS ? "secret file"
	       : use == CRED_KEY_SIGN	 ? "private key file"
					 : "public key file";
	r = read_small_file(path, what,
			    ai->family == FAMILY_HS || use == CRED_KEY_SIGN ? FILEPERM_PRIVATE : 0,
			    &buf, &len, reterr);
	if (r < 0)
		return r;
	if (ai->family == FAMILY_HS) {
		/* One trailing newline, as "echo" and editors write it (file comment). */
		if (len > 0 && buf[len - 1] == '\n') {
			buf[--len] = '\0';
			if (len > 0 && buf[len - 1] == '\r')
				buf[--len] = '\0';
		}
		if (len < ai->min_secret) {
			wipe_free(buf, len + 2);
			return pfs_error_set(
			    reterr, -EINVAL, 0,
			    "secret file \"%s\" holds %zu bytes; %s needs at least "
			    "%zu",
			    path, len, ai->name, ai->min_secret);
		}
	} else if (len == 0) {
		free(buf);
		return pfs_error_set(reterr, -EINVAL, 0, "key file \"%s\" is empty", path);
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Checks that pem is a public key that suits ai (see the file comment). */
static int check_public_key(const struct alg_info *ai, const unsigned char *pem, size_t len,
			    const char *path, struct pfs_error *reterr)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey;
	int id, bits, r = 0;

	if (!bio)
		return -ENOMEM;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();	/* OpenSSL's queue is per thread: leave nothing behind */
	if (!pkey)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "tokens.public_key_file: \"%s\" holds no PEM public key "
				     "(BEGIN PUBLIC KEY)",
				     path);
	id = EVP_PKEY_get_base_id(pkey);
	bits = EVP_PKEY_get_bits(pkey);
	if (ai->family == FAMILY_RS && (id != EVP_PKEY_RSA || bits < 2048))
		r = pfs_error_set(
		    reterr, -EINVAL, 0,
		    "tokens.public_key_file: \"%s\" is not an RSA key of at least 2048 "
		    "bits, as %s needs",
		    path, ai->name);
	else if (ai->family == FAMILY_ES && (id != EVP_PKEY_EC || bits != ai->ec_bits))
		r = pfs_error_set(reterr, -EINVAL, 0,
				  "tokens.public_key_file: \"%s\" is not an EC key on the %d-bit "
				  "curve, as %s needs",
				  path, ai->ec_bits, ai->name);
	EVP_PKEY_free(pkey);
	return r;
}

static void fingerprint(struct cred_verifier *v)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t n = v->key_len;
	unsigned int md_len = 0;

	memset(v->fingerprint, 0, sizeof(v->fingerprint));
	if (!ctx)
		return;
	/* Lengths and NULs keep the fields apart: ("ab","c") != ("a","bc"). */
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, v->alg->name, strlen(v->alg->name) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, &n, sizeof(n)) == 1 &&
	    EVP_DigestUpdate(ctx, v->key, v->key_len) == 1 &&
	    EVP_DigestUpdate(ctx, v->issuer ? "i" : "-", 1) == 1 &&
	    EVP_DigestUpdate(ctx, v->issuer ? v->issuer : "",
			     v->issuer ? strlen(v->issuer) + 1 : 1) == 1 &&
	    EVP_DigestUpdate(ctx, v->audience ? "a" : "-", 1) == 1 &&
	    EVP_DigestUpdate(ctx, v->audience ? v->audience : "",
			     v->audience ? strlen(v->audience) + 1 : 1) == 1)
		(void)EVP_DigestFinal_ex(ctx, v->fingerprint, &md_len);
	EVP_MD_CTX_free(ctx);
}

struct cred_verifier *cred_verifier_free(struct cred_verifier *v)
{
	if (!v)
		return NULL;
	cred_key_free(v->key, v->key_len);
	free(v->issuer);
	free(v->audience);
	explicit_bzero(v, sizeof(*v));
	free(v);
	return NULL;
}

int cred_verifier_new(const struct config_tokens *cfg, struct cred_verifier **ret,
		      struct pfs_error *reterr)
{
	PFS_CLEANUP(cred_verifier_freep) struct cred_verifier *v = NULL;
	const struct alg_info *ai;
	const char *path;
	int r;

	if (!cfg || !cfg->algorithm)
		return pfs_error_set(reterr, -EINVAL, 0, "tokens.algorithm: not set");
	ai = find_alg(cfg->algorithm);
	if (!ai)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "tokens.algorithm: unsupported algorithm \"%s\" (use HS256, "
				     "HS384, HS512, RS256, RS384, RS512, ES256, ES384 or ES512)",
				     cfg->algorithm);
	/* HS* take a shared secret, RS* and ES* a public key: one of the two, not both. */
	{
		bool hs = ai->family == FAMILY_HS;
		const char *want = hs ? "secret_file" : "public_key_file";
		const char *other = hs ? "public_key_file" : "secret_file";

		if (hs ? cfg->public_key_file : cfg->secret_file)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "tokens.%s: not used with %s; set tokens.%s", other,
					     ai->name, want);
		path = hs ? cfg->secret_file : cfg->public_key_file;
		if (!path)
			return pfs_error_set(reterr, -EINVAL, 0, "tokens.%s: required with %s",
					     want, ai->name);
	}
	if ((cfg->issuer && !cfg->issuer[0]) || (cfg->audience && !cfg->audience[0]))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "tokens: issuer and audience must not be empty strings");

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->alg = ai;
	r = cred_key_read(ai->name, CRED_KEY_VERIFY, path, &v->key, &v->key_len, reterr);
	if (r < 0) {
		pfs_error_prefix(reterr, "tokens.%s",
				 ai->family == FAMILY_HS ? "secret_file" : "public_key_file");
		return r;
	}
	if (v->key_len > INT_MAX)	/* libjwt takes an int */
		return pfs_error_set(reterr, -EINVAL, 0, "tokens: key too large");
	if (ai->family != FAMILY_HS) {
		r = check_public_key(ai, v->key, v->key_len, path, reterr);
		if (r < 0)
			return r;
	}
	if ((cfg->issuer && !(v->issuer = strdup(cfg->issuer))) ||
	    (cfg->audience && !(v->audience = strdup(cfg->audience))))
		return -ENOMEM;
	fingerprint(v);
	*ret = steal_ptr(&v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* claims                                                             */

struct cred_claims *cred_claims_free(struct cred_claims *c)
{
	if (!c)
		return NULL;
	free(c->sub);
	strv_free(c->roles, c->n_roles);
	strv_free(c->tenants, c->n_tenants);
	free(c);
	return NULL;
}


struct cred_claims *cred_claims_dup(const struct cred_claims *c)
{
	struct cred_claims *d;

	if (!c)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->exp = c->exp;
	if (c->sub && !(d->sub = strdup(c->sub)))
		return cred_claims_free(d);
	if (strv_dup(c->roles, c->n_roles, &d->roles) < 0)
		return cred_claims_free(d);
	d->n_roles = c->n_roles;
	if (strv_dup(c->tenants, c->n_tenants, &d->tenants) < 0)
		return cred_claims_free(d);
	d->n_tenants = c->n_tenants;
	return d;
}

static bool printable(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* strv_collect's getter over a JSON array of strings. */
static const char *json_string_at(const void *arr, size_t i)
{
	return json_string_value(json_array_get(arr, i));
}

/*
 * A NumericDate claim. Fractions are rounded towards the stricter side:
 * down for "exp" (round_up false), up for "nbf" and "iat".
 */
static int numeric_claim(json_t *claims, const char *name, bool round_up, bool *ret_present,
			 int64_t *ret, struct pfs_error *reterr)
{
	json_t *v = json_object_get(claims, name);
	int64_t t;

	*ret_present = v != NULL;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || i > NUMERIC_DATE_MAX)
			goto range;
		t = (int64_t)i;
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		if (!(d >= 0.0 && d <= (double)NUMERIC_DATE_MAX))
			goto range;
		t = (int64_t)d;
		if (round_up && (double)t < d)
			t++;
	} else {
		return pfs_error_set(reterr, -EACCES, 0, "token claim \"%s\" is not a number",
				     name);
	}
	*ret = t;
	return 0;
range:
	return pfs_error_set(reterr, -EACCES, 0, "token claim \"%s\" is out of range", name);
}

static int string_list_claim(json_t *claims, const char *name, char ***ret, size_t *ret_n,
			     struct pfs_error *reterr)
{
	json_t *arr = json_object_get(claims, name);
	size_t n;
	char **v;

	if (!arr) {
		*ret = calloc(1, sizeof(char *));
		*ret_n = 0;
		return *ret ? 0 : -ENOMEM;
	}
	if (!json_is_array(arr) || json_array_size(arr) > CLAIM_LIST_MAX)
		return pfs_error_set(reterr, -EACCES, 0,
				     "token claim \"%s\" is not an array of at most %d strings",
				     name, CLAIM_LIST_MAX);
	n = json_array_size(arr);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);

		if (!json_is_string(e) ||
		    !printable(json_string_value(e), json_string_length(e), CLAIM_ITEM_MAX))
			return pfs_error_set(reterr, -EACCES, 0,
					     "token claim \"%s\"[%zu] is not a non-empty string of "
					     "at most %d printable bytes",
					     name, i, CLAIM_ITEM_MAX);
	}
	if (strv_collect(n, json_string_at, arr, &v) < 0)
		return -ENOMEM;
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool audience_matches(json_t *aud, const char *want)
{
	size_t i;
	json_t *e;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud))
		return false;
	json_array_foreach(aud, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), want) == 0)
			return true;
	return false;
}

static int check_claims(const struct cred_verifier *v, json_t *claims, int64_t now,
			struct cred_claims **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(cred_claims_freep) struct cred_claims *c = NULL;
	int64_t exp = 0, nbf = 0, iat = 0;
	bool present;
	json_t *j;
	int r;

	if (!json_is_object(claims))
		return pfs_error_set(reterr, -EINVAL, 0, "token claims are not a JSON object");

	r = numeric_claim(claims, "exp", false, &present, &exp, reterr);
	if (r < 0)
		return r;
	if (!present)
		return pfs_error_set(reterr, -EACCES, 0, "token has no \"exp\" claim");
	if (now >= exp + CRED_LEEWAY_S)
		return pfs_error_set(reterr, -EACCES, 0, "token expired (\"exp\" %lld, now %lld)",
				     (long long)exp, (long long)now);

	r = numeric_claim(claims, "nbf", true, &present, &nbf, reterr);
	if (r < 0)
		return r;
	if (present && nbf > now + CRED_LEEWAY_S)
		return pfs_error_set(reterr, -EACCES, 0,
				     "token not valid yet (\"nbf\" %lld, now %lld)", (long long)nbf,
				     (long long)now);

	r = numeric_claim(claims, "iat", true, &present, &iat, reterr);
	if (r < 0)
		return r;
	if (present && iat > now + CRED_LEEWAY_S)
		return pfs_error_set(reterr, -EACCES, 0,
				     "token issued in the future (\"iat\" %lld, now %lld)",
				     (long long)iat, (long long)now);

	if (v->issuer) {
		j = json_object_get(claims, "iss");
		if (!json_is_string(j) || strcmp(json_string_value(j), v->issuer) != 0)
			return pfs_error_set(reterr, -EACCES, 0,
					     "token issuer (\"iss\") is not \"%s\"", v->issuer);
	}
	if (v->audience) {
		j = json_object_get(claims, "aud");
		if (!audience_matches(j, v->audience))
			return pfs_error_set(reterr, -EACCES, 0,
					     "token audience (\"aud\") does not include \"%s\"",
					     v->audience);
	}

	j = json_object_get(claims, "sub");
	if (!json_is_string(j) ||
	    !printable(json_string_value(j), json_string_length(j), CLAIM_STR_MAX))
		return pfs_error_set(reterr, -EACCES, 0,
				     "token claim \"sub\" is not a non-empty string of at most %d "
				     "printable bytes",
				     CLAIM_STR_MAX);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->exp = exp;
	c->sub = strdup(json_string_value(j));
	if (!c->sub)
		return -ENOMEM;
	r = string_list_claim(claims, "roles", &c->roles, &c->n_roles, reterr);
	if (r < 0)
		return r;
	r = string_list_claim(claims, "tenants", &c->tenants, &c->n_tenants, reterr);
	if (r < 0)
		return r;
	*ret = steal_ptr(&c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* verification                                                       */

static int b64url_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

/*
 * Decodes unpadded base64url (RFC 7515 section 2) strictly: no padding, no
 * other characters, and unused trailing bits zero, so each value has one
 * encoding. *ret is new and NUL-terminated.
 */
static int b64url_decode(const char *s, size_t n, char **ret, size_t *ret_len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t len = 0;
	char *out;

	if (n % 4 == 1)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 3);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int val = b64url_value((unsigned char)s[i]);

		if (val < 0) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)val;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
		free(out);
		return -EINVAL;
	}
	out[len] = '\0';
	*ret = out;
	*ret_len = len;
	return 0;
}

/* Decodes a base64url segment that must be one JSON object, duplicate keys refused. */
static int decode_json_segment(const char *s, size_t n, json_t **ret)
{
	char *raw = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *doc;
	int r;

	r = b64url_decode(s, n, &raw, &len);
	if (r < 0)
		return r;
	doc = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &jerr);
	wipe_free(raw, len + 1);
	if (!doc)
		return -EINVAL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EINVAL;
	}
	*ret = doc;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims surrounding whitespace: returns the start, writes the length. */
static const char *trim(const char *s, size_t len, size_t *ret_len)
{
	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	*ret_len = len;
	return s;
}

/* Tokens over CRED_TOKEN_MAX never reach libjwt (it alloca()s their length): -E2BIG. */
static int token_size_check(size_t len, struct pfs_error *reterr)
{
	if (len > CRED_TOKEN_MAX)
		return pfs_error_set(reterr, -E2BIG, 0, "token is longer than %d bytes",
				     CRED_TOKEN_MAX);
	return 0;
}

/* A name for an algorithm the token asked for, safe to put in a message. */
static const char *alg_label(json_t *alg)
{
	const char *s = json_string_value(alg);
	const struct alg_info *ai;

	if (!s)
		return "(none given)";
	if (strcasecmp(s, "none") == 0)
		return "none";
	ai = find_alg(s);
	return ai ? ai->name : "(unsupported)";
}

int cred_verify(const struct cred_verifier *v, const char *token, size_t len, int64_t now,
		struct cred_claims **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(wipe_strp) char *tok = NULL;
	PFS_CLEANUP(json_decrefp) json_t *header = NULL;
	PFS_CLEANUP(json_decrefp) json_t *payload = NULL;
	PFS_CLEANUP(json_decrefp) json_t *claims = NULL;
	PFS_CLEANUP(free_jwtp) jwt_t *jwt = NULL;
	const char *start, *dot1, *dot2;
	char *grants;
	json_error_t jerr;
	json_t *j;
	size_t n;
	int r;

	/* First of all: libjwt alloca()s the token's length. */
	r = token_size_check(len, reterr);
	if (r < 0)
		return r;
	if (!v || !token || !ret)
		return pfs_error_set(reterr, -EINVAL, 0, "no token or verifier");

	start = trim(token, len, &n);
	if (n == 0 || memchr(start, '\0', n))
		return pfs_error_set(reterr, -EINVAL, 0, "token is empty or holds a NUL byte");
	for (size_t i = 0; i < n; i++)
		if (start[i] != '.' && b64url_value((unsigned char)start[i]) < 0)
			return pfs_error_set(reterr, -EINVAL, 0,
					     "token holds a character outside base64url and \".\"");
	dot1 = memchr(start, '.', n);
	dot2 = dot1 ? memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - start)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - start)))
		return pfs_error_set(reterr, -EINVAL, 0,
				     "token is not header.payload.signature (exactly two dots)");
	if (dot1 == start || dot2 == dot1 + 1)
		return pfs_error_set(reterr, -EINVAL, 0, "token has an empty header or payload");
	if (dot2 + 1 == start + n)
		return pfs_error_set(reterr, -EACCES, 0, "token is unsigned (empty signature)");

	/* The header, decoded here: pin the algorithm before any crypto. */
	r = decode_json_segment(start, (size_t)(dot1 - start), &header);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "token header is not a base64url JSON object (or repeats a "
				     "key)");
	j = json_object_get(header, "alg");
	if (!json_is_string(j) || strcmp(json_string_value(j), v->alg->name) != 0)
		return pfs_error_set(reterr, -EACCES, 0,
				     "token algorithm %s is not the configured %s", alg_label(j),
				     v->alg->name);
	if (json_object_get(header, "crit"))
		return pfs_error_set(reterr, -EACCES, 0,
				     "token header has \"crit\", which is not supported");
	j = json_object_get(header, "typ");
	if (j && (!json_is_string(j) || strcasecmp(json_string_value(j), "JWT") != 0))
		return pfs_error_set(reterr, -EINVAL, 0, "token \"typ\" is not \"JWT\"");

	/* The payload must be one object with no repeated claim (no parser games). */
	r = decode_json_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "token payload is not a base64url JSON object (or repeats a "
				     "claim)");

	tok = strndup(start, n);
	if (!tok)
		return -ENOMEM;
	/* key_len > 0 always: libjwt skips verification when it has no key. */
	r = jwt_decode(&jwt, tok, v->key, (int)v->key_len);
	if (r != 0 || !jwt) {
		if (r == ENOMEM)
			return -ENOMEM;
		return pfs_error_set(reterr, -EACCES, 0, "token signature does not verify");
	}
	if (jwt_get_alg(jwt) != v->alg->alg)
		return pfs_error_set(reterr, -EACCES, 0, "token algorithm is not the configured %s",
				     v->alg->name);

	grants = jwt_get_grants_json(jwt, NULL);
	if (!grants)
		return pfs_error_set(reterr, -EACCES, 0, "token has no claims");
	claims = json_loads(grants, JSON_REJECT_DUPLICATES, &jerr);
	wipe_free(grants, strlen(grants));
	if (!claims)
		return pfs_error_set(reterr, -EINVAL, 0, "token claims are not valid JSON");
	return check_claims(v, claims, now, ret, reterr);
}

/* ------------------------------------------------------------------ */
/* minting                                                            */

static int add_strings(json_t *obj, const char *name, const char *const *v, size_t n)
{
	json_t *arr = json_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!v[i] || json_array_append_new(arr, json_string(v[i])) < 0) {
			json_decref(arr);
			return -EINVAL;
		}
	return json_object_set_new(obj, name, arr) < 0 ? -ENOMEM : 0;
}

int cred_mint(const char *algorithm, const unsigned char *key, size_t key_len, const char *sub,
	      const char *const *roles, size_t n_roles, const char *const *tenants,
	      size_t n_tenants, int64_t iat, int64_t exp, const char *issuer, const char *audience,
	      char **ret, struct pfs_error *reterr)
{
	PFS_CLEANUP(json_decrefp) json_t *claims = NULL;
	PFS_CLEANUP(free_jwtp) jwt_t *jwt = NULL;
	PFS_AUTOFREE char *text = NULL;
	const struct alg_info *ai = find_alg(algorithm);
	char *out;

	if (!ai)
		return pfs_error_set(
		    reterr, -EINVAL, 0,
		    "unsupported algorithm \"%s\" (use HS256, HS384, HS512, RS256, "
		    "RS384, RS512, ES256, ES384 or ES512)",
		    algorithm ? algorithm : "");
	if (!key || key_len == 0 || key_len > INT_MAX)
		return pfs_error_set(reterr, -EINVAL, 0, "no signing key");
	if (ai->family == FAMILY_HS && key_len < ai->min_secret)
		return pfs_error_set(reterr, -EINVAL, 0, "%s needs a secret of at least %zu bytes",
				     ai->name, ai->min_secret);
	if (!sub || !sub[0] || !ret || (n_roles && !roles) || (n_tenants && !tenants))
		return pfs_error_set(reterr, -EINVAL, 0, "token needs a subject");
	if (exp <= iat)
		return pfs_error_set(reterr, -EINVAL, 0, "token must expire after it is issued");

	claims = json_object();
	if (!claims || json_object_set_new(claims, "sub", json_string(sub)) < 0 ||
	    json_object_set_new(claims, "iat", json_integer(iat)) < 0 ||
	    json_object_set_new(claims, "exp", json_integer(exp)) < 0)
		return pfs_error_set(reterr, -EINVAL, 0, "could not build the claims (UTF-8?)");
	if (add_strings(claims, "roles", roles, n_roles) < 0 ||
	    add_strings(claims, "tenants", tenants, n_tenants) < 0)
		return pfs_error_set(reterr, -EINVAL, 0, "roles and tenants must be UTF-8 strings");
	if ((issuer && json_object_set_new(claims, "iss", json_string(issuer)) < 0) ||
	    (audience && json_object_set_new(claims, "aud", json_string(audience)) < 0))
		return pfs_error_set(reterr, -EINVAL, 0, "issuer and audience must be UTF-8");
	text = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;

	if (jwt_new(&jwt) != 0)
		return -ENOMEM;
	if (jwt_add_grants_json(jwt, text) != 0)
		return pfs_error_set(reterr, -EINVAL, 0, "could not add the claims");
	if (jwt_set_alg(jwt, ai->alg, key, (int)key_len) != 0)
		return pfs_error_set(reterr, -EINVAL, 0, "could not set up %s signing", ai->name);
	out = jwt_encode_str(jwt);
	if (!out)
		return pfs_error_set(reterr, -EINVAL, 0,
				     "could not sign: is the key a %s private key?", ai->name);
	*ret = out;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the store                                                          */

struct cache_entry {
	bool used;
	unsigned char key[32];		/* SHA-256(fingerprint || token) */
	struct cred_claims *claims;	/* owned */
};

struct uid_binding {
	uid_t uid;
	struct cred_claims *claims;	/* owned */
	char *token;			/* owned, trimmed, wiped on free: re-verified at reloads */
	size_t token_len;
	unsigned char fingerprint[32];	/* of the verifier that accepted it */
	uint64_t serial;		/* tells a binding from a later one of the same uid */
};

/* Which bindings count (cred_store_reverify). */
enum store_keys {
	KEYS_ANY,	/* no verifier announced yet: every binding */
	KEYS_ONE,	/* those accepted by the verifier with store->fingerprint */
	KEYS_NONE,	/* tokens are off: none */
};

struct cred_store {
	pthread_mutex_t lock;
	/* Bindings that expired since cred_store_take_expired last ran. */
	size_t n_expired;		/* protected by lock */
	struct uid_binding *binds;	/* protected by lock */
	size_t n_binds, cap_binds;	/* protected by lock */
	uint64_t next_serial;		/* protected by lock */
	enum store_keys keys;		/* protected by lock */
	unsigned char fingerprint[32];	/* protected by lock */
	struct cache_entry cache[CRED_CACHE_SIZE];	/* protected by lock */
};

struct cred_store *cred_store_new(void)
{
	struct cred_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct cred_store *cred_store_free(struct cred_store *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_binds; i++) {
		cred_claims_free(s->binds[i].claims);
		wipe_free(s->binds[i].token, s->binds[i].token_len);
	}
	free(s->binds);
	for (size_t i = 0; i < CRED_CACHE_SIZE; i++)
		cred_claims_free(s->cache[i].claims);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

static bool expired(const struct cred_claims *c, int64_t now)
{
	return now >= c->exp + CRED_LEEWAY_S;
}

static int cache_key(const struct cred_verifier *v, const char *tok, size_t n, unsigned char *ret)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int md_len = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, v->fingerprint, sizeof(v->fingerprint)) == 1 &&
	     EVP_DigestUpdate(ctx, tok, n) == 1 && EVP_DigestFinal_ex(ctx, ret, &md_len) == 1 &&
	     md_len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* A copy of the cached claims for key, or NULL. Caller holds the lock. */
static struct cred_claims *cache_get(struct cred_store *s, const unsigned char *key, int64_t now)
{
	for (size_t i = 0; i < CRED_CACHE_SIZE; i++) {
		struct cache_entry *e = &s->cache[i];

		if (!e->used || memcmp(e->key, key, sizeof(e->key)) != 0)
			continue;
		if (expired(e->claims, now)) {
			e->claims = cred_claims_free(e->claims);
			e->used = false;
			return NULL;
		}
		return cred_claims_dup(e->claims);
	}
	return NULL;
}

/*
 * Caches claims (a copy) under key: in a free slot, else in place of an
 * expired entry, else of the one that expires first. Caller holds the lock.
 */
static void cache_put(struct cred_store *s, const unsigned char *key, const struct cred_claims *c,
		      int64_t now)
{
	struct cache_entry *same = NULL, *free_slot = NULL, *first_to_expire = NULL, *e;
	struct cred_claims *copy = cred_claims_dup(c);

	if (!copy)
		return;	/* the cache is an optimisation */
	for (size_t i = 0; i < CRED_CACHE_SIZE && !same; i++) {
		e = &s->cache[i];
		if (e->used && memcmp(e->key, key, sizeof(e->key)) == 0)
			same = e;	/* a concurrent bind of the same token got here first */
		else if (!e->used || expired(e->claims, now))
			free_slot = free_slot ? free_slot : e;
		else if (!first_to_expire || e->claims->exp < first_to_expire->claims->exp)
			first_to_expire = e;
	}
	e = same ? same : free_slot ? free_slot : first_to_expire;
	cred_claims_free(e->claims);
	e->claims = copy;
	e->used = true;
	memcpy(e->key, key, sizeof(e->key));
}

/* uid's slot, or NULL. Caller holds the lock. */
static struct uid_binding *find_binding(struct cred_store *s, uid_t uid)
{
	for (size_t i = 0; i < s->n_binds; i++)
		if (s->binds[i].uid == uid)
			return &s->binds[i];
	return NULL;
}

static void drop_binding(struct cred_store *s, struct uid_binding *b)
{
	cred_claims_free(b->claims);
	wipe_free(b->token, b->token_len);
	*b = s->binds[--s->n_binds];
}

/* drop_binding for an expired binding: counted for cred_store_take_expired. */
static void drop_expired(struct cred_store *s, struct uid_binding *b)
{
	s->n_expired++;
	drop_binding(s, b);
}

/* Whether b was accepted by the token settings in force. Caller holds the lock. */
static bool binding_counts(const struct cred_store *s, const struct uid_binding *b)
{
	return s->keys == KEYS_ANY ||
	       (s->keys == KEYS_ONE &&
		memcmp(b->fingerprint, s->fingerprint, sizeof(s->fingerprint)) == 0);
}

/*
 * Verifies the trimmed token tok[0..n) with v at now, through the cache:
 * *ret owns new claims. Errors as cred_verify. Takes the lock itself.
 */
static int verify_cached(struct cred_store *s, const struct cred_verifier *v, const char *tok,
			 size_t n, int64_t now, struct cred_claims **ret, struct pfs_error *reterr)
{
	struct cred_claims *claims;
	unsigned char key[32];
	int r;

	r = cache_key(v, tok, n, key);
	if (r < 0)
		return r;
	pthread_mutex_lock(&s->lock);
	claims = cache_get(s, key, now);
	pthread_mutex_unlock(&s->lock);
	if (!claims) {
		/* Verify outside the lock: RS/ES take ~0.6 ms. */
		r = cred_verify(v, tok, n, now, &claims, reterr);
		if (r < 0)
			return r;
		pthread_mutex_lock(&s->lock);
		cache_put(s, key, claims, now);
		pthread_mutex_unlock(&s->lock);
	}
	*ret = claims;
	return 0;
}

int cred_store_bind(struct cred_store *s, const struct cred_verifier *v, uid_t uid,
		    const char *token, size_t len, int64_t now, struct pfs_error *reterr)
{
	struct cred_claims *claims = NULL;
	struct uid_binding *b;
	const char *start;
	char *copy;
	size_t n;
	int r;

	if (!s || !token)
		return pfs_error_set(reterr, -EINVAL, 0, "no token");
	r = token_size_check(len, reterr);
	if (r < 0)
		return r;
	if (!v)
		return pfs_error_set(reterr, -EINVAL, 0, "tokens are not configured");
	start = trim(token, len, &n);
	r = verify_cached(s, v, start, n, now, &claims, reterr);
	if (r < 0)
		return r;
	/* Kept (wiped on free) so that a reload can verify it again. */
	copy = malloc(n + 1);
	if (!copy) {
		cred_claims_free(claims);
		return -ENOMEM;
	}
	memcpy(copy, start, n);
	copy[n] = '\0';

	pthread_mutex_lock(&s->lock);
	b = find_binding(s, uid);
	if (b) {
		cred_claims_free(b->claims);
		wipe_free(b->token, b->token_len);
		b->claims = claims;
		b->token = copy;
		b->token_len = n;
		memcpy(b->fingerprint, v->fingerprint, sizeof(b->fingerprint));
		b->serial = ++s->next_serial;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	/* Make room: drop expired bindings before growing. */
	for (size_t i = 0; i < s->n_binds;)
		if (expired(s->binds[i].claims, now))
			drop_expired(s, &s->binds[i]);
		else
			i++;
	if (s->n_binds == s->cap_binds) {
		size_t cap = s->cap_binds ? s->cap_binds * 2 : 16;
		struct uid_binding *nb = realloc(s->binds, cap * sizeof(*nb));

		if (!nb) {
			pthread_mutex_unlock(&s->lock);
			cred_claims_free(claims);
			wipe_free(copy, n);
			return -ENOMEM;
		}
		s->binds = nb;
		s->cap_binds = cap;
	}
	b = &s->binds[s->n_binds++];
	*b = (struct uid_binding){.uid = uid, .claims = claims, .token = copy, .token_len = n,
				  .serial = ++s->next_serial};
	memcpy(b->fingerprint, v->fingerprint, sizeof(b->fingerprint));
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* One binding as cred_store_reverify saw it, to verify outside the lock. */
struct recheck {
	uid_t uid;
	uint64_t serial;
	char *token;		/* wiped on free */
	size_t token_len;
	struct cred_claims *claims;	/* what v makes of it, or NULL: it fails */
};

int cred_store_reverify(struct cred_store *s, const struct cred_verifier *v, int64_t now)
{
	struct recheck *todo = NULL;
	size_t n = 0, dropped = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (!v) {
		/* Tokens are off: nothing verifies any more. */
		dropped = s->n_binds;
		while (s->n_binds > 0)
			drop_binding(s, &s->binds[0]);
		s->keys = KEYS_NONE;
		for (size_t i = 0; i < CRED_CACHE_SIZE; i++) {
			s->cache[i].claims = cred_claims_free(s->cache[i].claims);
			s->cache[i].used = false;
		}
		pthread_mutex_unlock(&s->lock);
		return (int)dropped;
	}
	/* From now on only what v accepted counts; the rest waits for its verdict. */
	s->keys = KEYS_ONE;
	memcpy(s->fingerprint, v->fingerprint, sizeof(s->fingerprint));
	todo = calloc(s->n_binds ? s->n_binds : 1, sizeof(*todo));
	for (size_t i = 0; i < s->n_binds;) {
		struct uid_binding *b = &s->binds[i];
		char *copy;

		if (binding_counts(s, b)) {
			i++;
			continue;
		}
		copy = todo ? malloc(b->token_len + 1) : NULL;
		if (!copy) {
			/* Out of memory: it cannot be checked, so it goes. */
			drop_binding(s, b);
			dropped++;
			continue;
		}
		memcpy(copy, b->token, b->token_len + 1);
		todo[n++] = (struct recheck){.uid = b->uid, .serial = b->serial, .token = copy,
					     .token_len = b->token_len};
		i++;
	}
	pthread_mutex_unlock(&s->lock);

	for (size_t i = 0; i < n; i++)
		if (verify_cached(s, v, todo[i].token, todo[i].token_len, now, &todo[i].claims,
				  NULL) < 0)
			todo[i].claims = NULL;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		struct uid_binding *b = find_binding(s, todo[i].uid);

		/* Unbound or bound again meanwhile: that is newer than this verdict. */
		if (b && b->serial == todo[i].serial) {
			if (todo[i].claims) {
				cred_claims_free(b->claims);
				b->claims = steal_ptr(&todo[i].claims);
				memcpy(b->fingerprint, v->fingerprint, sizeof(b->fingerprint));
			} else {
				drop_binding(s, b);
				dropped++;
			}
		}
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		cred_claims_free(todo[i].claims);
		wipe_free(todo[i].token, todo[i].token_len);
	}
	free(todo);
	return (int)dropped;
}

int cred_store_unbind(struct cred_store *s, uid_t uid)
{
	struct uid_binding *b;

	if (!s)
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	b = find_binding(s, uid);
	if (b)
		drop_binding(s, b);
	pthread_mutex_unlock(&s->lock);
	return b ? 0 : -ENOENT;
}

struct cred_claims *cred_store_lookup(struct cred_store *s, uid_t uid, int64_t now)
{
	struct cred_claims *c = NULL;
	struct uid_binding *b;

	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	b = find_binding(s, uid);
	if (b && expired(b->claims, now))
		drop_expired(s, b);
	else if (b && binding_counts(s, b))
		c = cred_claims_dup(b->claims);
	pthread_mutex_unlock(&s->lock);
	return c;
}

int64_t cred_store_next_expiry(struct cred_store *s)
{
	int64_t next = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_binds; i++) {
		int64_t end = s->binds[i].claims->exp + CRED_LEEWAY_S;

		if (!next || end < next)
			next = end;
	}
	if (s->n_expired)
		next = 1;	/* some already expired and were not reported yet */
	pthread_mutex_unlock(&s->lock);
	return next;
}

int cred_store_take_expired(struct cred_store *s, int64_t now)
{
	size_t count;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_binds;)
		if (expired(s->binds[i].claims, now))
			drop_expired(s, &s->binds[i]);
		else
			i++;
	count = s->n_expired;
	s->n_expired = 0;
	pthread_mutex_unlock(&s->lock);
	return count > INT_MAX ? INT_MAX : (int)count;
}

int64_t cred_store_expiry(struct cred_store *s, uid_t uid, int64_t now)
{
	struct uid_binding *b;
	int64_t end = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	b = find_binding(s, uid);
	if (b && !expired(b->claims, now) && binding_counts(s, b))
		end = b->claims->exp + CRED_LEEWAY_S;
	pthread_mutex_unlock(&s->lock);
	return end;
}
