/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cred: JWT verification with libjwt 1.10 pinned the safe
 * way (notes/fuse-research.md section 5.3), key files, minting, and the
 * uid store with its verified-token cache. Keys are generated at test time
 * (RSA 2048, EC P-256 and P-384) and written to a temporary directory.
 *
 * jwt_decode is wrapped (-Wl,--wrap=jwt_decode, see tests/unit/meson.build)
 * to count the calls: tokens refused before any crypto must never reach it,
 * and a cached token must not be verified again.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "pinfs/cred.h"

/* ---- jwt_decode wrapper ------------------------------------------------ */

struct jwt;
int __real_jwt_decode(struct jwt **jwt, const char *token, const unsigned char *key, int key_len);
int __wrap_jwt_decode(struct jwt **jwt, const char *token, const unsigned char *key, int key_len);

static int decode_calls;

int __wrap_jwt_decode(struct jwt **jwt, const char *token, const unsigned char *key, int key_len)
{
	__atomic_fetch_add(&decode_calls, 1, __ATOMIC_RELAXED);
	return __real_jwt_decode(jwt, token, key, key_len);
}

/* ---- fixtures ---------------------------------------------------------- */

#define SECRET "0123456789abcdef0123456789abcdef-pinfs"	/* 38 bytes */
#define ISS "https://auth.example"
#define AUD "pinfs"

static char dir[64];
static char hs_path[128], short_path[128], rsa_pub_path[128], rsa_priv_path[128];
static char ec_pub_path[128], ec384_pub_path[128];
static char *rsa_priv_pem, *rsa_pub_pem, *ec_priv_pem;
static int64_t now;

static char *pem_of(EVP_PKEY *k, bool private_key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	assert_non_null(bio);
	if (private_key)
		assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PUBKEY(bio, k), 1);
	len = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)len);
	BIO_free(bio);
	assert_non_null(out);
	return out;
}

static void write_file(char *path, size_t size, const char *name, const void *data, size_t len)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	/* Secrets and private keys must be readable by their owner only. */
	assert_int_equal(chmod(path, 0600), 0);
}

static int setup(void **state)
{
	EVP_PKEY *rsa, *ec, *ec384;
	char *pem;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_cred_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	now = (int64_t)time(NULL);
	write_file(hs_path, sizeof(hs_path), "hs.secret", SECRET "\n", strlen(SECRET) + 1);
	write_file(short_path, sizeof(short_path), "short.secret",
		   "0123456789abcdef0123456789abcde\n", 32);

	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (!rsa || !ec || !ec384)
		return -1;
	rsa_priv_pem = pem_of(rsa, true);
	rsa_pub_pem = pem_of(rsa, false);
	ec_priv_pem = pem_of(ec, true);
	write_file(rsa_pub_path, sizeof(rsa_pub_path), "rsa.pub", rsa_pub_pem, strlen(rsa_pub_pem));
	write_file(rsa_priv_path, sizeof(rsa_priv_path), "rsa.key", rsa_priv_pem,
		   strlen(rsa_priv_pem));
	pem = pem_of(ec, false);
	write_file(ec_pub_path, sizeof(ec_pub_path), "ec.pub", pem, strlen(pem));
	free(pem);
	pem = pem_of(ec384, false);
	write_file(ec384_pub_path, sizeof(ec384_pub_path), "ec384.pub", pem, strlen(pem));
	free(pem);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
	return 0;
}

static int teardown(void **state)
{
	const char *const names[] = {hs_path, short_path, rsa_pub_path, rsa_priv_path,
				     ec_pub_path, ec384_pub_path};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(names[i]);
	rmdir(dir);
	free(rsa_priv_pem);
	free(rsa_pub_pem);
	free(ec_priv_pem);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static struct cred_verifier *verifier(const char *alg, const char *secret, const char *pub,
				      const char *iss, const char *aud)
{
	struct config_tokens cfg = {
		.algorithm = (char *)alg,
		.secret_file = (char *)secret,
		.public_key_file = (char *)pub,
		.issuer = (char *)iss,
		.audience = (char *)aud,
	};
	struct cred_verifier *v = NULL;
	struct pfs_error err = {0};

	if (cred_verifier_new(&cfg, &v, &err) != 0)
		fail_msg("cred_verifier_new(%s): %s", alg, err.message);
	return v;
}

static struct cred_verifier *hs_verifier(void)
{
	return verifier("HS256", hs_path, NULL, ISS, AUD);
}

static int verifier_error(const char *alg, const char *secret, const char *pub, const char *want)
{
	struct config_tokens cfg = {
		.algorithm = (char *)alg,
		.secret_file = (char *)secret,
		.public_key_file = (char *)pub,
	};
	struct cred_verifier *v = NULL;
	struct pfs_error err = {0};
	int r = cred_verifier_new(&cfg, &v, &err);

	assert_null(v);
	if (want && !strstr(err.message, want))
		fail_msg("message \"%s\" does not contain \"%s\"", err.message, want);
	return r;
}

static char *mint_full(const char *alg, const void *key, size_t key_len, const char *sub,
		       int64_t iat, int64_t exp, const char *iss, const char *aud)
{
	static const char *const roles[] = {"dev", "machine"};
	static const char *const tenants[] = {"acme", "lab-*"};
	struct pfs_error err = {0};
	char *tok = NULL;

	if (cred_mint(alg, key, key_len, sub, roles, 2, tenants, 2, iat, exp, iss, aud, &tok,
		      &err) != 0)
		fail_msg("cred_mint(%s): %s", alg, err.message);
	return tok;
}

static char *mint_hs(int64_t iat, int64_t exp)
{
	return mint_full("HS256", SECRET, strlen(SECRET), "alice", iat, exp, ISS, AUD);
}

/* Verifies and returns the error code; on success checks and frees the claims. */
static int verify(const struct cred_verifier *v, const char *tok, int64_t at, const char *want)
{
	struct cred_claims *c = NULL;
	struct pfs_error err = {0};
	int r = cred_verify(v, tok, strlen(tok), at, &c, &err);

	if (r == 0) {
		assert_non_null(c);
		cred_claims_free(c);
	} else {
		assert_null(c);
		if (want && !strstr(err.message, want))
			fail_msg("message \"%s\" does not contain \"%s\"", err.message, want);
	}
	return r;
}

static char *b64url(const void *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	char *out = malloc(len * 4 / 3 + 4), *o = out;
	size_t i;

	assert_non_null(out);
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tbl[p[i] >> 2];
		*o++ = tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = tbl[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = tbl[p[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = tbl[p[i] >> 2];
		*o++ = tbl[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = tbl[p[i] >> 2];
		*o++ = tbl[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = tbl[(p[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/*
 * A hand-made token: header and payload JSON as given, signed with
 * HMAC-SHA256 over key (or with signature "sig" verbatim when sig != NULL).
 */
static char *craft(const char *header, const char *payload, const void *key, size_t key_len,
		   const char *sig)
{
	char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
	char *input, *out, *s;
	unsigned char mac[64];
	size_t mac_len = 0;

	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	if (sig) {
		s = strdup(sig);
	} else {
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len,
					  (const unsigned char *)input, strlen(input), mac,
					  sizeof(mac), &mac_len));
		s = b64url(mac, mac_len);
	}
	assert_true(asprintf(&out, "%s.%s", input, s) > 0);
	free(h);
	free(p);
	free(s);
	free(input);
	return out;
}

#define HS_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A payload with every claim right, and "extra" spliced in (may override nothing). */
static char *payload(const char *fmt, ...) PFS_PRINTF(1, 2);
static char *payload(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) > 0);
	va_end(ap);
	return s;
}

static int verify_crafted(const char *header, const char *body, const char *want)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = craft(header, body, SECRET, strlen(SECRET), NULL);
	int r = verify(v, tok, now, want);

	free(tok);
	cred_verifier_free(v);
	return r;
}

/* ---- accepted ---------------------------------------------------------- */

static void test_cred_valid_hs256_is_accepted_with_claims(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = mint_hs(now, now + 600), *nl;
	struct cred_claims *c = NULL, *d;
	struct pfs_error err = {0};

	(void)state;
	assert_int_equal(cred_verify(v, tok, strlen(tok), now, &c, &err), 0);
	assert_string_equal(c->sub, "alice");
	assert_int_equal(c->n_roles, 2);
	assert_string_equal(c->roles[0], "dev");
	assert_string_equal(c->roles[1], "machine");
	assert_int_equal(c->n_tenants, 2);
	assert_string_equal(c->tenants[1], "lab-*");
	assert_int_equal(c->exp, now + 600);
	d = cred_claims_dup(c);
	assert_non_null(d);
	assert_string_equal(d->tenants[0], "acme");
	assert_int_equal(d->exp, c->exp);
	cred_claims_free(c);
	cred_claims_free(d);
	assert_null(cred_claims_free(NULL));
	assert_null(cred_claims_dup(NULL));

	/* as written by echo: surrounding whitespace is ignored */
	assert_true(asprintf(&nl, "  %s\n", tok) > 0);
	assert_int_equal(verify(v, nl, now, NULL), 0);
	free(nl);
	free(tok);
	cred_verifier_free(v);
}

static void test_cred_valid_rs256_and_es256_are_accepted(void **state)
{
	struct cred_verifier *rs = verifier("RS256", NULL, rsa_pub_path, ISS, AUD);
	struct cred_verifier *es = verifier("ES256", NULL, ec_pub_path, ISS, AUD);
	char *rt = mint_full("RS256", rsa_priv_pem, strlen(rsa_priv_pem), "bob", now, now + 60,
			     ISS, AUD);
	char *et = mint_full("ES256", ec_priv_pem, strlen(ec_priv_pem), "carol", now, now + 60,
			     ISS, AUD);

	(void)state;
	assert_int_equal(verify(rs, rt, now, NULL), 0);
	assert_int_equal(verify(es, et, now, NULL), 0);
	/* and across: the other family's token is refused by the algorithm pin */
	decode_calls = 0;
	assert_int_equal(verify(rs, et, now, "ES256"), -EACCES);
	assert_int_equal(verify(es, rt, now, "RS256"), -EACCES);
	assert_int_equal(decode_calls, 0);
	free(rt);
	free(et);
	cred_verifier_free(rs);
	cred_verifier_free(es);
}

static void test_cred_issuer_and_audience_unset_are_not_checked(void **state)
{
	struct cred_verifier *v = verifier("HS256", hs_path, NULL, NULL, NULL);
	char *tok = mint_full("HS256", SECRET, strlen(SECRET), "x", now, now + 60, "other", "else");

	(void)state;
	assert_int_equal(verify(v, tok, now, NULL), 0);
	free(tok);
	cred_verifier_free(v);
}

/* ---- signatures and algorithms ----------------------------------------- */

static void test_cred_forged_signature_is_rejected(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = mint_hs(now, now + 600);
	char *sig = strrchr(tok, '.') + 1;
	char *other = mint_full("HS256", SECRET "-but-another-one", strlen(SECRET) + 16, "alice",
				now, now + 600, ISS, AUD);

	(void)state;
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(v, tok, now, "signature"), -EACCES);
	assert_int_equal(verify(v, other, now, "signature"), -EACCES);
	free(tok);
	free(other);
	cred_verifier_free(v);
}

static void test_cred_tampered_payload_is_rejected(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = mint_hs(now, now + 600);
	char *good_payload = payload("{\"sub\":\"root\",\"exp\":%lld,\"iss\":\"" ISS
				     "\",\"aud\":\"" AUD "\",\"roles\":[\"infra\"]}",
				     (long long)now + 600);
	char *p = b64url(good_payload, strlen(good_payload));
	char *dot1 = strchr(tok, '.'), *dot2 = strrchr(tok, '.'), *forged;

	(void)state;
	*dot1 = '\0';
	assert_true(asprintf(&forged, "%s.%s%s", tok, p, dot2) > 0);
	assert_int_equal(verify(v, forged, now, "signature"), -EACCES);
	free(forged);
	free(p);
	free(good_payload);
	free(tok);
	cred_verifier_free(v);
}

static void test_cred_alg_none_is_rejected_before_crypto(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *body = payload("{\"sub\":\"root\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
			     "\"}",
			     (long long)now + 600);
	char *h = b64url("{\"alg\":\"none\"}", 14), *p = b64url(body, strlen(body));
	char *unsigned_tok, *fake_sig, *hs_body_none;

	(void)state;
	assert_true(asprintf(&unsigned_tok, "%s.%s.", h, p) > 0);
	assert_true(asprintf(&fake_sig, "%s.%s.c2lnbmF0dXJl", h, p) > 0);
	hs_body_none = craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", body, SECRET, strlen(SECRET),
			     NULL);
	decode_calls = 0;
	assert_int_equal(verify(v, unsigned_tok, now, "unsigned"), -EACCES);
	assert_int_equal(verify(v, fake_sig, now, "none"), -EACCES);
	assert_int_equal(verify(v, hs_body_none, now, "none"), -EACCES);
	/* "None", "NONE", a missing alg: all refused */
	free(hs_body_none);
	hs_body_none = craft("{\"alg\":\"NONE\"}", body, SECRET, strlen(SECRET), NULL);
	assert_int_equal(verify(v, hs_body_none, now, NULL), -EACCES);
	free(hs_body_none);
	hs_body_none = craft("{\"typ\":\"JWT\"}", body, SECRET, strlen(SECRET), NULL);
	assert_int_equal(verify(v, hs_body_none, now, NULL), -EACCES);
	assert_int_equal(decode_calls, 0);
	free(hs_body_none);
	free(unsigned_tok);
	free(fake_sig);
	free(h);
	free(p);
	free(body);
	cred_verifier_free(v);
}

static void test_cred_alg_confusion_hs256_with_rsa_pem_is_rejected(void **state)
{
	struct cred_verifier *v = verifier("RS256", NULL, rsa_pub_path, ISS, AUD);
	/* the classic attack: HMAC keyed with the verifier's own public key PEM */
	char *tok = mint_full("HS256", rsa_pub_pem, strlen(rsa_pub_pem), "mallory", now, now + 600,
			      ISS, AUD);

	(void)state;
	decode_calls = 0;
	assert_int_equal(verify(v, tok, now, "HS256"), -EACCES);
	assert_int_equal(decode_calls, 0);
	free(tok);
	cred_verifier_free(v);
}

static void test_cred_header_rules(void **state)
{
	char *body = payload("{\"sub\":\"a\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
			     (long long)now + 600);

	(void)state;
	decode_calls = 0;
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", body, "crit"),
			 -EACCES);
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", body, "header"),
			 -EINVAL);
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", body, "typ"),
			 -EINVAL);
	assert_int_equal(verify_crafted("{\"alg\":\"hs256\"}", body, NULL), -EACCES);
	assert_int_equal(verify_crafted("[\"HS256\"]", body, "header"), -EINVAL);
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\"", body, "header"), -EINVAL);
	assert_int_equal(decode_calls, 0);
	/* the typ check is case-insensitive, as libjwt's */
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", body, NULL), 0);
	assert_int_equal(verify_crafted("{\"alg\":\"HS256\"}", body, NULL), 0);
	free(body);
}

static void test_cred_malformed_tokens_are_einval(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = mint_hs(now, now + 600), *bad;
	char *dot1 = strchr(tok, '.');

	(void)state;
	decode_calls = 0;
	assert_int_equal(verify(v, "", now, NULL), -EINVAL);
	assert_int_equal(verify(v, " \n", now, NULL), -EINVAL);
	assert_int_equal(verify(v, "abc", now, "two dots"), -EINVAL);
	assert_int_equal(verify(v, "a.b", now, "two dots"), -EINVAL);
	assert_int_equal(verify(v, "a.b.c.d", now, "two dots"), -EINVAL);
	assert_int_equal(verify(v, ".b.c", now, "empty"), -EINVAL);
	assert_int_equal(verify(v, "a..c", now, "empty"), -EINVAL);
	assert_int_equal(verify(v, "a+b.c.d", now, "base64url"), -EINVAL);
	assert_int_equal(verify(v, "YQ==.b.c", now, "base64url"), -EINVAL);
	assert_int_equal(verify(v, "a b.c.d", now, "base64url"), -EINVAL);
	/* header fine, payload garbage */
	assert_true(asprintf(&bad, "%.*s.bm90IGpzb24.c2ln", (int)(dot1 - tok), tok) > 0);
	assert_int_equal(verify(v, bad, now, "payload"), -EINVAL);
	free(bad);
	/* a NUL inside the given length */
	{
		struct cred_claims *c = NULL;
		size_t n = strlen(tok);
		char *copy = malloc(n + 1);

		memcpy(copy, tok, n + 1);
		copy[3] = '\0';
		assert_int_equal(cred_verify(v, copy, n, now, &c, NULL), -EINVAL);
		assert_null(c);
		free(copy);
	}
	assert_int_equal(decode_calls, 0);
	free(tok);
	cred_verifier_free(v);
}

static void test_cred_duplicate_claims_are_rejected(void **state)
{
	char *body = payload("{\"sub\":\"a\",\"sub\":\"root\",\"exp\":%lld,\"iss\":\"" ISS
			     "\",\"aud\":\"" AUD "\"}",
			     (long long)now + 600);

	(void)state;
	assert_int_equal(verify_crafted(HS_HEADER, body, "payload"), -EINVAL);
	free(body);
}

/* ---- size limits ------------------------------------------------------- */

static void test_cred_oversized_tokens_are_e2big(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_store *s = cred_store_new();
	size_t big = 4 * 1024 * 1024;
	char *tok = malloc(big + 1);
	struct cred_claims *c = NULL;
	struct pfs_error err = {0};

	(void)state;
	assert_non_null(tok);
	/* a 4 MiB token shaped like a real one: libjwt would alloca() it */
	memset(tok, 'A', big);
	tok[100] = '.';
	tok[big - 100] = '.';
	tok[big] = '\0';
	decode_calls = 0;
	assert_int_equal(cred_verify(v, tok, big, now, &c, &err), -E2BIG);
	assert_null(c);
	assert_int_equal(cred_store_bind(s, v, 1000, tok, big, now, &err), -E2BIG);
	assert_int_equal(cred_verify(v, tok, CRED_TOKEN_MAX + 1, now, &c, &err), -E2BIG);
	assert_int_equal(cred_store_bind(s, v, 1000, tok, CRED_TOKEN_MAX + 1, now, &err), -E2BIG);
	/* exactly the limit is looked at (and is garbage here) */
	assert_int_equal(cred_verify(v, tok, CRED_TOKEN_MAX, now, &c, &err), -EINVAL);
	assert_int_equal(decode_calls, 0);
	/* the limit comes first, even before the NULL checks */
	assert_int_equal(cred_verify(NULL, NULL, big, now, NULL, NULL), -E2BIG);
	free(tok);
	cred_store_free(s);
	cred_verifier_free(v);
}

/* ---- claims ------------------------------------------------------------ */

static void test_cred_expiry_and_leeway_edges(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *tok = mint_hs(now - 1000, now);

	(void)state;
	assert_int_equal(verify(v, tok, now, NULL), 0);
	assert_int_equal(verify(v, tok, now + CRED_LEEWAY_S - 1, NULL), 0);
	assert_int_equal(verify(v, tok, now + CRED_LEEWAY_S, "exp"), -EACCES);
	assert_int_equal(verify(v, tok, now + 3600, "expired"), -EACCES);
	free(tok);
	cred_verifier_free(v);
}

static void test_cred_nbf_and_iat_in_the_future(void **state)
{
	char *b;

	(void)state;
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"nbf\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
		    "\"}",
		    (long long)now + 600, (long long)now + CRED_LEEWAY_S);
	assert_int_equal(verify_crafted(HS_HEADER, b, NULL), 0);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"nbf\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
		    "\"}",
		    (long long)now + 600, (long long)now + CRED_LEEWAY_S + 1);
	assert_int_equal(verify_crafted(HS_HEADER, b, "nbf"), -EACCES);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"nbf\":%lld.5,\"iss\":\"" ISS "\",\"aud\":\"" AUD
		    "\"}",
		    (long long)now + 600, (long long)now + CRED_LEEWAY_S);
	assert_int_equal(verify_crafted(HS_HEADER, b, "nbf"), -EACCES);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"nbf\":\"0\",\"iss\":\"" ISS "\",\"aud\":\"" AUD
		    "\"}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, "nbf"), -EACCES);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"iat\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
		    "\"}",
		    (long long)now + 600, (long long)now + 3600);
	assert_int_equal(verify_crafted(HS_HEADER, b, "iat"), -EACCES);
	free(b);
}

static void test_cred_exp_missing_string_or_odd(void **state)
{
	char *b;

	(void)state;
	assert_int_equal(verify_crafted(HS_HEADER,
					"{\"sub\":\"a\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
					"exp"),
			 -EACCES);
	b = payload("{\"sub\":\"a\",\"exp\":\"%lld\",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, "exp"), -EACCES);
	free(b);
	assert_int_equal(verify_crafted(HS_HEADER,
					"{\"sub\":\"a\",\"exp\":null,\"iss\":\"" ISS
					"\",\"aud\":\"" AUD "\"}",
					"exp"),
			 -EACCES);
	assert_int_equal(verify_crafted(HS_HEADER,
					"{\"sub\":\"a\",\"exp\":1e300,\"iss\":\"" ISS
					"\",\"aud\":\"" AUD "\"}",
					"exp"),
			 -EACCES);
	assert_int_equal(verify_crafted(HS_HEADER,
					"{\"sub\":\"a\",\"exp\":-5,\"iss\":\"" ISS
					"\",\"aud\":\"" AUD "\"}",
					"exp"),
			 -EACCES);
	/* a fractional exp is fine */
	b = payload("{\"sub\":\"a\",\"exp\":%lld.25,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, NULL), 0);
	free(b);
}

static void test_cred_issuer_and_audience(void **state)
{
	struct cred_verifier *v = hs_verifier();
	char *wrong_iss = mint_full("HS256", SECRET, strlen(SECRET), "a", now, now + 60,
				    "https://evil.example", AUD);
	char *no_iss = mint_full("HS256", SECRET, strlen(SECRET), "a", now, now + 60, NULL, AUD);
	char *wrong_aud = mint_full("HS256", SECRET, strlen(SECRET), "a", now, now + 60, ISS,
				    "other");
	char *no_aud = mint_full("HS256", SECRET, strlen(SECRET), "a", now, now + 60, ISS, NULL);
	char *b;

	(void)state;
	assert_int_equal(verify(v, wrong_iss, now, "iss"), -EACCES);
	assert_int_equal(verify(v, no_iss, now, "iss"), -EACCES);
	assert_int_equal(verify(v, wrong_aud, now, "aud"), -EACCES);
	assert_int_equal(verify(v, no_aud, now, "aud"), -EACCES);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"iss\":\"" ISS
		    "\",\"aud\":[\"x\",\"" AUD "\",\"y\"]}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, NULL), 0);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":[\"x\",\"pinfsx\"]}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, "aud"), -EACCES);
	free(b);
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":[[\"" AUD "\"]]}",
		    (long long)now + 600);
	assert_int_equal(verify_crafted(HS_HEADER, b, "aud"), -EACCES);
	free(b);
	free(wrong_iss);
	free(no_iss);
	free(wrong_aud);
	free(no_aud);
	cred_verifier_free(v);
}

static void test_cred_sub_roles_tenants_types(void **state)
{
	static const char *const bodies[] = {
	    "{\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":\"\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":7,\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":\"a\\nb\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":\"a\",\"roles\":\"infra\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
	    "\"}",
	    "{\"sub\":\"a\",\"roles\":[1],\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":\"a\",\"tenants\":{},\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
	    "{\"sub\":\"a\",\"tenants\":[\"\"],\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD
	    "\"}",
	};
	char *b;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		b = payload(bodies[i], (long long)now + 600);
#pragma GCC diagnostic pop
		if (verify_crafted(HS_HEADER, b, NULL) != -EACCES)
			fail_msg("accepted: %s", b);
		free(b);
	}
	/* absent roles and tenants are empty lists */
	b = payload("{\"sub\":\"a\",\"exp\":%lld,\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}",
		    (long long)now + 600);
	{
		struct cred_verifier *v = hs_verifier();
		char *tok = craft(HS_HEADER, b, SECRET, strlen(SECRET), NULL);
		struct cred_claims *c = NULL;

		assert_int_equal(cred_verify(v, tok, strlen(tok), now, &c, NULL), 0);
		assert_int_equal(c->n_roles, 0);
		assert_int_equal(c->n_tenants, 0);
		cred_claims_free(c);
		free(tok);
		cred_verifier_free(v);
	}
	free(b);
}

/* ---- verifier creation and key files ----------------------------------- */

static void test_cred_short_hs_secret_is_refused(void **state)
{
	char path[160], path2[160];

	(void)state;
	/* 31 bytes after the trailing newline is dropped */
	assert_int_equal(verifier_error("HS256", short_path, NULL, "at least 32"), -EINVAL);
	/* exactly 32 bytes plus a newline is enough, and the newline is not part of it */
	write_file(path, sizeof(path), "32.secret", "0123456789abcdef0123456789abcdef\n", 33);
	{
		struct cred_verifier *v = verifier("HS256", path, NULL, NULL, NULL);
		char *tok = mint_full("HS256", "0123456789abcdef0123456789abcdef", 32, "a", now,
				      now + 60, NULL, NULL);

		assert_int_equal(verify(v, tok, now, NULL), 0);
		free(tok);
		cred_verifier_free(v);
	}
	/* HS384 and HS512 need 48 and 64 bytes */
	assert_int_equal(verifier_error("HS384", path, NULL, "at least 48"), -EINVAL);
	assert_int_equal(verifier_error("HS512", hs_path, NULL, "at least 64"), -EINVAL);
	/* only one newline is dropped: "...\n\n" keeps one */
	write_file(path2, sizeof(path2), "nn.secret", "0123456789abcdef0123456789abcde\n\n", 33);
	{
		struct cred_verifier *v = verifier("HS256", path2, NULL, NULL, NULL);
		char *tok = mint_full("HS256", "0123456789abcdef0123456789abcde\n", 32, "a", now,
				      now + 60, NULL, NULL);

		assert_int_equal(verify(v, tok, now, NULL), 0);
		free(tok);
		cred_verifier_free(v);
	}
	unlink(path);
	unlink(path2);
}

static void test_cred_verifier_config_errors(void **state)
{
	(void)state;
	assert_int_equal(verifier_error(NULL, hs_path, NULL, "algorithm"), -EINVAL);
	assert_int_equal(verifier_error("none", hs_path, NULL, "none"), -EINVAL);
	assert_int_equal(verifier_error("PS256", NULL, rsa_pub_path, "PS256"), -EINVAL);
	assert_int_equal(verifier_error("HS256", NULL, NULL, "secret_file"), -EINVAL);
	assert_int_equal(verifier_error("HS256", hs_path, rsa_pub_path, "public_key_file"),
			 -EINVAL);
	assert_int_equal(verifier_error("RS256", hs_path, NULL, "secret_file"), -EINVAL);
	assert_int_equal(verifier_error("RS256", NULL, NULL, "public_key_file"), -EINVAL);
	assert_int_equal(verifier_error("RS256", NULL, "/nonexistent/key.pem", "key.pem"), -ENOENT);
	assert_int_equal(verifier_error("HS256", dir, NULL, "regular file"), -EINVAL);
	/* the key must suit the algorithm */
	assert_int_equal(verifier_error("RS256", NULL, ec_pub_path, "RSA"), -EINVAL);
	assert_int_equal(verifier_error("ES256", NULL, rsa_pub_path, "EC"), -EINVAL);
	assert_int_equal(verifier_error("ES256", NULL, ec384_pub_path, "256"), -EINVAL);
	assert_int_equal(verifier_error("RS256", NULL, rsa_priv_path, "PUBLIC KEY"), -EINVAL);
	assert_int_equal(verifier_error("RS256", NULL, hs_path, "PUBLIC KEY"), -EINVAL);
	assert_null(cred_verifier_free(NULL));
	/* ES384 with the P-384 key is fine */
	cred_verifier_free(verifier("ES384", NULL, ec384_pub_path, NULL, NULL));
}

static void test_cred_key_read_matches_the_verifier(void **state)
{
	unsigned char *key = NULL;
	size_t len = 0;
	struct pfs_error err = {0};

	(void)state;
	assert_int_equal(cred_key_read("HS256", CRED_KEY_SIGN, hs_path, &key, &len, &err), 0);
	assert_int_equal(len, strlen(SECRET));
	assert_memory_equal(key, SECRET, len);
	cred_key_free(key, len);
	assert_int_equal(cred_key_read("RS256", CRED_KEY_SIGN, rsa_priv_path, &key, &len, &err), 0);
	assert_int_equal(len, strlen(rsa_priv_pem));
	cred_key_free(key, len);
	assert_int_equal(cred_key_read("HS256", CRED_KEY_SIGN, short_path, &key, &len, &err),
			 -EINVAL);
	assert_int_equal(cred_key_read("none", CRED_KEY_SIGN, hs_path, &key, &len, &err), -EINVAL);
}

/* Reads path for use and expects r with a message containing want. */
static void key_read_error(const char *alg, enum cred_key_use use, const char *path, int r,
			   const char *want)
{
	unsigned char *key = NULL;
	size_t len = 0;
	struct pfs_error err = {0};

	assert_int_equal(cred_key_read(alg, use, path, &key, &len, &err), r);
	assert_null(key);
	if (!strstr(err.message, want))
		fail_msg("\"%s\" not in \"%s\"", want, err.message);
}

static void test_cred_key_files_must_be_private_and_plain(void **state)
{
	char link[200], fifo[200];
	unsigned char *key = NULL;
	size_t len = 0;
	struct pfs_error err = {0};

	(void)state;
	/* a secret or a private key that others may read is refused, saying what to chmod */
	assert_int_equal(chmod(hs_path, 0640), 0);
	key_read_error("HS256", CRED_KEY_VERIFY, hs_path, -EPERM, "readable by its group");
	assert_int_equal(verifier_error("HS256", hs_path, NULL, "chmod go-rwx"), -EPERM);
	assert_int_equal(chmod(hs_path, 0604), 0);
	key_read_error("HS256", CRED_KEY_SIGN, hs_path, -EPERM, "readable by everyone");
	assert_int_equal(chmod(hs_path, 0400), 0);
	assert_int_equal(cred_key_read("HS256", CRED_KEY_VERIFY, hs_path, &key, &len, &err), 0);
	cred_key_free(key, len);
	assert_int_equal(chmod(hs_path, 0600), 0);
	assert_int_equal(chmod(rsa_priv_path, 0644), 0);
	key_read_error("RS256", CRED_KEY_SIGN, rsa_priv_path, -EPERM, "private key file");
	assert_int_equal(chmod(rsa_priv_path, 0600), 0);
	/* a public key may be read by anyone, but written by nobody else */
	assert_int_equal(chmod(rsa_pub_path, 0644), 0);
	cred_verifier_free(verifier("RS256", NULL, rsa_pub_path, NULL, NULL));
	assert_int_equal(chmod(rsa_pub_path, 0664), 0);
	assert_int_equal(verifier_error("RS256", NULL, rsa_pub_path, "writable by its group"),
			 -EPERM);
	assert_int_equal(chmod(rsa_pub_path, 0600), 0);

	/* named through a symbolic link: refused, even to a good file */
	snprintf(link, sizeof(link), "%s/link.secret", dir);
	assert_int_equal(symlink(hs_path, link), 0);
	key_read_error("HS256", CRED_KEY_VERIFY, link, -ELOOP, "symbolic link");
	assert_int_equal(verifier_error("HS256", link, NULL, "symbolic link"), -ELOOP);
	unlink(link);
	/* a FIFO is refused at once instead of blocking the reader */
	snprintf(fifo, sizeof(fifo), "%s/fifo.secret", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	key_read_error("HS256", CRED_KEY_VERIFY, fifo, -EINVAL, "not a regular file");
	unlink(fifo);
}

static void test_cred_mint_refuses_bad_input(void **state)
{
	struct pfs_error err = {0};
	char *tok = NULL;

	(void)state;
	assert_int_equal(cred_mint("none", (const unsigned char *)SECRET, strlen(SECRET), "a",
				   NULL, 0, NULL, 0, now, now + 1, NULL, NULL, &tok, &err),
			 -EINVAL);
	assert_int_equal(cred_mint("HS256", (const unsigned char *)"short", 5, "a", NULL, 0, NULL,
				   0, now, now + 1, NULL, NULL, &tok, &err),
			 -EINVAL);
	assert_int_equal(cred_mint("HS256", (const unsigned char *)SECRET, 0, "a", NULL, 0, NULL,
				   0, now, now + 1, NULL, NULL, &tok, &err),
			 -EINVAL);
	assert_int_equal(cred_mint("HS256", (const unsigned char *)SECRET, strlen(SECRET), "",
				   NULL, 0, NULL, 0, now, now + 1, NULL, NULL, &tok, &err),
			 -EINVAL);
	assert_int_equal(cred_mint("HS256", (const unsigned char *)SECRET, strlen(SECRET), "a",
				   NULL, 0, NULL, 0, now, now, NULL, NULL, &tok, &err),
			 -EINVAL);
	/* RS256 with a public key cannot sign */
	assert_int_equal(cred_mint("RS256", (const unsigned char *)rsa_pub_pem,
				   strlen(rsa_pub_pem), "a", NULL, 0, NULL, 0, now, now + 1, NULL,
				   NULL, &tok, &err),
			 -EINVAL);
	assert_null(tok);
}

/* ---- the store ----------------------------------------------------------- */

static void test_cred_store_bind_lookup_expiry_unbind(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_store *s = cred_store_new();
	char *t1 = mint_hs(now, now + 100);
	char *t2 = mint_full("HS256", SECRET, strlen(SECRET), "bob", now, now + 50, ISS, AUD);
	struct pfs_error err = {0};
	struct cred_claims *c;

	(void)state;
	assert_non_null(s);
	assert_null(cred_store_lookup(s, 1000, now));
	assert_int_equal(cred_store_bind(s, v, 1000, t1, strlen(t1), now, &err), 0);
	c = cred_store_lookup(s, 1000, now);
	assert_non_null(c);
	assert_string_equal(c->sub, "alice");
	cred_claims_free(c);
	assert_null(cred_store_lookup(s, 1001, now));

	/* rebinding replaces; a failed bind leaves the old binding */
	assert_int_equal(cred_store_bind(s, v, 1000, t2, strlen(t2), now, &err), 0);
	assert_int_equal(cred_store_bind(s, v, 1000, "x.y.z", 5, now, &err), -EINVAL);
	c = cred_store_lookup(s, 1000, now);
	assert_string_equal(c->sub, "bob");
	cred_claims_free(c);

	/* expiry (with the same leeway as verification) drops the binding */
	c = cred_store_lookup(s, 1000, now + 50 + CRED_LEEWAY_S - 1);
	assert_non_null(c);
	cred_claims_free(c);
	assert_null(cred_store_lookup(s, 1000, now + 50 + CRED_LEEWAY_S));
	assert_null(cred_store_lookup(s, 1000, now));
	assert_int_equal(cred_store_unbind(s, 1000), -ENOENT);

	assert_int_equal(cred_store_bind(s, v, 1000, t1, strlen(t1), now, &err), 0);
	assert_int_equal(cred_store_bind(s, v, 1001, t1, strlen(t1), now, &err), 0);
	assert_int_equal(cred_store_unbind(s, 1000), 0);
	assert_int_equal(cred_store_unbind(s, 1000), -ENOENT);
	assert_null(cred_store_lookup(s, 1000, now));
	c = cred_store_lookup(s, 1001, now);
	assert_non_null(c);
	cred_claims_free(c);
	/* an expired token is refused even though it was cached */
	assert_int_equal(cred_store_bind(s, v, 1002, t1, strlen(t1), now + 100 + CRED_LEEWAY_S,
					 &err),
			 -EACCES);
	assert_int_equal(cred_store_bind(s, NULL, 1002, t1, strlen(t1), now, &err), -EINVAL);

	free(t1);
	free(t2);
	assert_null(cred_store_free(s));
	assert_null(cred_store_free(NULL));
	cred_verifier_free(v);
}

static void test_cred_store_reports_expiries(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_store *s = cred_store_new();
	char *t1 = mint_hs(now, now + 100);
	char *t2 = mint_full("HS256", SECRET, strlen(SECRET), "bob", now, now + 50, ISS, AUD);
	struct pfs_error err = {0};
	(void)state;
	assert_int_equal(cred_store_next_expiry(s), 0);
	assert_int_equal(cred_store_take_expired(s, now), 0);
	assert_int_equal(cred_store_bind(s, v, 1000, t1, strlen(t1), now, &err), 0);
	assert_int_equal(cred_store_bind(s, v, 1001, t2, strlen(t2), now, &err), 0);
	/* the end of a binding is its exp plus the leeway */
	assert_int_equal(cred_store_next_expiry(s), now + 50 + CRED_LEEWAY_S);
	assert_int_equal(cred_store_expiry(s, 1000, now), now + 100 + CRED_LEEWAY_S);
	assert_int_equal(cred_store_expiry(s, 1002, now), 0);
	assert_int_equal(cred_store_expiry(s, 1001, now + 50 + CRED_LEEWAY_S), 0);
	assert_int_equal(cred_store_take_expired(s, now + 50 + CRED_LEEWAY_S - 1), 0);

	/* an expiry a lookup noticed first is still reported */
	assert_null(cred_store_lookup(s, 1001, now + 50 + CRED_LEEWAY_S));
	assert_int_equal(cred_store_next_expiry(s), 1);
	assert_int_equal(cred_store_take_expired(s, now + 50 + CRED_LEEWAY_S), 1);
	assert_int_equal(cred_store_next_expiry(s), now + 100 + CRED_LEEWAY_S);
	assert_int_equal(cred_store_take_expired(s, now + 100 + CRED_LEEWAY_S), 1);
	assert_int_equal(cred_store_next_expiry(s), 0);
	assert_int_equal(cred_store_take_expired(s, now + 200), 0);

	free(t1);
	free(t2);
	cred_store_free(s);
	cred_verifier_free(v);
}

static void test_cred_store_cache_skips_reverification(void **state)
{
	struct cred_verifier *v = verifier("RS256", NULL, rsa_pub_path, ISS, AUD);
	struct cred_verifier *v2 = verifier("RS256", NULL, rsa_pub_path, ISS, NULL);
	struct cred_store *s = cred_store_new();
	char *tok = mint_full("RS256", rsa_priv_pem, strlen(rsa_priv_pem), "bob", now, now + 600,
			      ISS, AUD);
	char *nl;

	(void)state;
	assert_true(asprintf(&nl, "%s\n", tok) > 0);
	decode_calls = 0;
	assert_int_equal(cred_store_bind(s, v, 1000, tok, strlen(tok), now, NULL), 0);
	assert_int_equal(decode_calls, 1);
	assert_int_equal(cred_store_bind(s, v, 1000, tok, strlen(tok), now + 1, NULL), 0);
	assert_int_equal(cred_store_bind(s, v, 1001, nl, strlen(nl), now + 2, NULL), 0);
	assert_int_equal(decode_calls, 1);
	/* another verifier (another audience) does not trust the first one's cache */
	assert_int_equal(cred_store_bind(s, v2, 1002, tok, strlen(tok), now, NULL), 0);
	assert_int_equal(decode_calls, 2);
	/* a bad token is never cached: each attempt verifies */
	tok[strlen(tok) - 3] = tok[strlen(tok) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(cred_store_bind(s, v, 1003, tok, strlen(tok), now, NULL), -EACCES);
	assert_int_equal(cred_store_bind(s, v, 1003, tok, strlen(tok), now, NULL), -EACCES);
	assert_int_equal(decode_calls, 4);
	free(nl);
	free(tok);
	cred_store_free(s);
	cred_verifier_free(v);
	cred_verifier_free(v2);
}

/* A reload's token settings drop the bindings they would not verify, and only those. */
static void test_cred_store_reverify_drops_what_new_settings_refuse(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_verifier *any_iss = verifier("HS256", hs_path, NULL, NULL, AUD);
	struct cred_verifier *other_aud = verifier("HS256", hs_path, NULL, ISS, "not-" AUD);
	struct cred_verifier *other_key, *v_again;
	struct cred_store *s = cred_store_new();
	char *tok = mint_hs(now, now + 600);
	char *short_lived = mint_hs(now, now + 10);
	char other_path[160];
	struct cred_claims *c;

	(void)state;
	write_file(other_path, sizeof(other_path), "other.secret",
		   "another-secret-of-at-least-32-bytes!", 36);
	other_key = verifier("HS256", other_path, NULL, ISS, AUD);
	assert_int_equal(cred_store_bind(s, v, 1000, tok, strlen(tok), now, NULL), 0);
	assert_int_equal(cred_store_bind(s, v, 1001, short_lived, strlen(short_lived), now, NULL),
			 0);

	/* the same settings: nothing to do, nothing verified again */
	decode_calls = 0;
	assert_int_equal(cred_store_reverify(s, v, now), 0);
	assert_int_equal(decode_calls, 0);
	c = cred_store_lookup(s, 1000, now);
	assert_non_null(c);
	cred_claims_free(c);

	/* settings the tokens still satisfy keep them (verified again, once each) */
	assert_int_equal(cred_store_reverify(s, any_iss, now), 0);
	assert_int_equal(decode_calls, 2);
	c = cred_store_lookup(s, 1000, now);
	assert_non_null(c);
	assert_string_equal(c->sub, "alice");
	cred_claims_free(c);

	/* ... but not a token that has expired by the time of the reload */
	assert_int_equal(cred_store_reverify(s, v, now + 10 + CRED_LEEWAY_S), 1);
	assert_null(cred_store_lookup(s, 1001, now));

	/* another audience or another key: dropped */
	assert_int_equal(cred_store_reverify(s, other_aud, now), 1);
	assert_null(cred_store_lookup(s, 1000, now));
	assert_int_equal(cred_store_unbind(s, 1000), -ENOENT);
	assert_int_equal(cred_store_bind(s, v, 1000, tok, strlen(tok), now, NULL), 0);
	/* bound with a verifier that is no longer in force: never counts */
	assert_null(cred_store_lookup(s, 1000, now));
	assert_int_equal(cred_store_reverify(s, other_key, now), 1);
	assert_null(cred_store_lookup(s, 1000, now));

	/* tokens off: every binding goes */
	v_again = hs_verifier();
	assert_int_equal(cred_store_reverify(s, v_again, now), 0);
	assert_int_equal(cred_store_bind(s, v_again, 1000, tok, strlen(tok), now, NULL), 0);
	assert_int_equal(cred_store_bind(s, v_again, 1002, tok, strlen(tok), now, NULL), 0);
	assert_int_equal(cred_store_reverify(s, NULL, now), 2);
	assert_null(cred_store_lookup(s, 1000, now));
	assert_null(cred_store_lookup(s, 1002, now));
	assert_int_equal(cred_store_reverify(NULL, v, now), 0);

	unlink(other_path);
	free(tok);
	free(short_lived);
	cred_store_free(s);
	cred_verifier_free(v);
	cred_verifier_free(v_again);
	cred_verifier_free(any_iss);
	cred_verifier_free(other_aud);
	cred_verifier_free(other_key);
}

static void test_cred_store_cache_is_bounded(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_store *s = cred_store_new();
	char sub[32];

	(void)state;
	/* more distinct tokens than the cache holds: all bind, nothing leaks */
	for (int i = 0; i < 1100; i++) {
		char *tok;

		snprintf(sub, sizeof(sub), "user-%d", i);
		tok = mint_full("HS256", SECRET, strlen(SECRET), sub, now, now + 60 + i, ISS, AUD);
		assert_int_equal(cred_store_bind(s, v, (uid_t)(i % 7), tok, strlen(tok), now, NULL),
				 0);
		free(tok);
	}
	cred_store_free(s);
	cred_verifier_free(v);
}

struct thread_arg {
	struct cred_store *s;
	struct cred_verifier *v;
	const char *tok;
	uid_t uid;
	int failures;
};

static void *bind_loop(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 200; i++) {
		struct cred_claims *c;

		if (cred_store_bind(a->s, a->v, a->uid, a->tok, strlen(a->tok), now, NULL) != 0)
			a->failures++;
		c = cred_store_lookup(a->s, a->uid, now);
		if (!c)
			a->failures++;
		cred_claims_free(c);
		if (i % 50 == 0)
			(void)cred_store_unbind(a->s, a->uid);
	}
	return NULL;
}

static void test_cred_store_is_thread_safe(void **state)
{
	struct cred_verifier *v = hs_verifier();
	struct cred_store *s = cred_store_new();
	char *tok = mint_hs(now, now + 600);
	struct thread_arg args[4];
	pthread_t th[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){.s = s, .v = v, .tok = tok, .uid = (uid_t)(1000 + i)};
		assert_int_equal(pthread_create(&th[i], NULL, bind_loop, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	free(tok);
	cred_store_free(s);
	cred_verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cred_valid_hs256_is_accepted_with_claims),
		cmocka_unit_test(test_cred_valid_rs256_and_es256_are_accepted),
		cmocka_unit_test(test_cred_issuer_and_audience_unset_are_not_checked),
		cmocka_unit_test(test_cred_forged_signature_is_rejected),
		cmocka_unit_test(test_cred_tampered_payload_is_rejected),
		cmocka_unit_test(test_cred_alg_none_is_rejected_before_crypto),
		cmocka_unit_test(test_cred_alg_confusion_hs256_with_rsa_pem_is_rejected),
		cmocka_unit_test(test_cred_header_rules),
		cmocka_unit_test(test_cred_malformed_tokens_are_einval),
		cmocka_unit_test(test_cred_duplicate_claims_are_rejected),
		cmocka_unit_test(test_cred_oversized_tokens_are_e2big),
		cmocka_unit_test(test_cred_expiry_and_leeway_edges),
		cmocka_unit_test(test_cred_nbf_and_iat_in_the_future),
		cmocka_unit_test(test_cred_exp_missing_string_or_odd),
		cmocka_unit_test(test_cred_issuer_and_audience),
		cmocka_unit_test(test_cred_sub_roles_tenants_types),
		cmocka_unit_test(test_cred_short_hs_secret_is_refused),
		cmocka_unit_test(test_cred_verifier_config_errors),
		cmocka_unit_test(test_cred_key_read_matches_the_verifier),
		cmocka_unit_test(test_cred_key_files_must_be_private_and_plain),
		cmocka_unit_test(test_cred_mint_refuses_bad_input),
		cmocka_unit_test(test_cred_store_bind_lookup_expiry_unbind),
		cmocka_unit_test(test_cred_store_reports_expiries),
		cmocka_unit_test(test_cred_store_cache_skips_reverification),
		cmocka_unit_test(test_cred_store_reverify_drops_what_new_settings_refuse),
		cmocka_unit_test(test_cred_store_cache_is_bounded),
		cmocka_unit_test(test_cred_store_is_thread_safe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
