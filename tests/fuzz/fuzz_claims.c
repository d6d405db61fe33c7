/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: JWT verification and claim checks (cred_verify, cred_mint).
 *
 * Two HS256 verifiers share one fixed 32-byte secret, written to a
 * temporary file once (the verifier reads it when created; the file is
 * removed at once): one without and one with an issuer and an audience.
 * "Now" is fixed, so a corpus token never expires.
 *
 * The first byte picks what the rest of the input is:
 *   'S', 'A'  a JWT header and payload as JSON, separated by the first NUL
 *             (no NUL: the payload alone, under {"alg":"HS256","typ":"JWT"}),
 *             which this target encodes and signs with the secret, so that
 *             arbitrary claims reach the claim checks ('A': the verifier with
 *             issuer "pinfs-fuzz" and audience "pinfs");
 *   'M'       cred_mint input: one byte choosing exp (and whether to set
 *             iss/aud), then NUL-separated sub, roles, "" and tenants, minted
 *             and verified again;
 *   other     the whole input is a token, verified as it is by both.
 *
 * Invariants:
 *   - over CRED_TOKEN_MAX bytes is -E2BIG, before anything else (a 4 MiB
 *     token is tried once at start-up, and one of exactly CRED_TOKEN_MAX
 *     bytes must verify);
 *   - a token verifies only if its third segment is exactly the base64url
 *     HMAC-SHA256 of the first two under the secret (checked here with
 *     OpenSSL), so no input forges a signature, "alg": "none" included;
 *   - for signed JSON, verification succeeds exactly when a reference
 *     model of the documented rules (header alg HS256, no crit, typ JWT;
 *     payload an object without duplicate keys; exp required; nbf/iat not
 *     in the future; 30 s leeway; iss/aud; sub, roles, tenants) says so, and
 *     the claims returned equal the payload's;
 *   - a verified token with one signature character changed, its payload
 *     changed, or re-signed with HS512 under the same secret never verifies;
 *   - cred_mint then cred_verify round-trips sub, roles, tenants and exp.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "pinfs/cred.h"

#define NOW INT64_C(1700000000)
#define SECRET "pinfs-fuzz-secret-0123456789abcd" /* 32 bytes */
#define SECRET_LEN 32
#define ISSUER "pinfs-fuzz"
#define AUDIENCE "pinfs"
#define NUMERIC_DATE_MAX INT64_C(253402300799)

static struct cred_verifier *plain_v, *aud_v;

/* ---- encoding and signing ------------------------------------------------ */

static char *b64url(const unsigned char *in, size_t len)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len / 3 * 4 + 5), *o = out;
	size_t i = 0;

	FUZZ_CHECK(out != NULL);
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		*o++ = tbl[v >> 6 & 63];
		*o++ = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		*o++ = tbl[v >> 18 & 63];
		*o++ = tbl[v >> 12 & 63];
		*o++ = tbl[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

/* The base64url HMAC of signing_input[0..len) under the secret. */
static char *hmac_b64(const EVP_MD *md, const char *signing_input, size_t len)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	FUZZ_CHECK(HMAC(md, SECRET, SECRET_LEN, (const unsigned char *)signing_input, len, mac,
			&mac_len) != NULL);
	return b64url(mac, mac_len);
}

/* header.payload.signature from raw header and payload bytes. */
static char *sign_parts(const EVP_MD *md, const char *hdr, size_t hdr_len, const char *payload,
			size_t payload_len)
{
	char *h = b64url((const unsigned char *)hdr, hdr_len);
	char *p = b64url((const unsigned char *)payload, payload_len);
	char *input, *sig, *tok;

	FUZZ_CHECK(asprintf(&input, "%s.%s", h, p) >= 0);
	sig = hmac_b64(md, input, strlen(input));
	FUZZ_CHECK(asprintf(&tok, "%s.%s", input, sig) >= 0);
	free(h);
	free(p);
	free(input);
	free(sig);
	return tok;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Whether the token (surrounding whitespace aside) is h.p.s with s exactly
 * the HS256 signature of "h.p": what any accepted token must be.
 */
static bool signature_is_genuine(const char *tok, size_t len)
{
	const char *dot;
	char *want;
	bool ok;

	while (len > 0 && is_space(tok[0])) {
		tok++;
		len--;
	}
	while (len > 0 && is_space(tok[len - 1]))
		len--;
	dot = memrchr(tok, '.', len);
	if (!dot)
		return false;
	want = hmac_b64(EVP_sha256(), tok, (size_t)(dot - tok));
	ok = strlen(want) == len - (size_t)(dot + 1 - tok) &&
	     memcmp(want, dot + 1, strlen(want)) == 0;
	free(want);
	return ok;
}

/* ---- checks on verified claims -------------------------------------------- */

static bool printable(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void check_claims_sane(const struct cred_claims *c)
{
	FUZZ_CHECK(c != NULL && c->sub != NULL);
	FUZZ_CHECK(printable(c->sub, strlen(c->sub), 1024));
	FUZZ_CHECK(NOW < c->exp + CRED_LEEWAY_S);
	FUZZ_CHECK(c->n_roles <= 256 && c->n_tenants <= 256);
	FUZZ_CHECK(c->roles != NULL && c->tenants != NULL);
	for (size_t i = 0; i < c->n_roles; i++)
		FUZZ_CHECK(printable(c->roles[i], strlen(c->roles[i]), 255));
	for (size_t i = 0; i < c->n_tenants; i++)
		FUZZ_CHECK(printable(c->tenants[i], strlen(c->tenants[i]), 255));
}

static void check_list_equal(json_t *arr, char *const *v, size_t n)
{
	FUZZ_CHECK(n == (arr ? json_array_size(arr) : 0));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(v[i], json_string_value(json_array_get(arr, i))) == 0);
}

static int verify(const struct cred_verifier *v, const char *tok, size_t len,
		  struct cred_claims **ret)
{
	struct pfs_error err = {0};
	int r;

	*ret = NULL;
	r = cred_verify(v, tok, len, NOW, ret, &err);
	FUZZ_CHECK_MSG(r == 0 || r == -EINVAL || r == -EACCES || r == -E2BIG || r == -ENOMEM,
		       "cred_verify = %d", r);
	if (r < 0) {
		FUZZ_CHECK(*ret == NULL);
		FUZZ_CHECK(err.code == r && err.message[0] != '\0');
	} else {
		FUZZ_CHECK(len <= CRED_TOKEN_MAX);
		FUZZ_CHECK_MSG(signature_is_genuine(tok, len), "a forged token verified");
		check_claims_sane(*ret);
	}
	if (len > CRED_TOKEN_MAX)
		FUZZ_CHECK(r == -E2BIG);
	return r;
}

/* ---- the reference model for signed JSON ------------------------------------ */

/* NumericDate: -1 if invalid, else the value rounded as cred.h says. */
static int64_t ref_date(json_t *v, bool round_up)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		return i < 0 || i > NUMERIC_DATE_MAX ? -1 : (int64_t)i;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (!(d >= 0.0 && d <= (double)NUMERIC_DATE_MAX))
			return -1;
		/* d >= 0: truncation is floor; ceil is one more unless d is whole. */
		return (int64_t)d + (round_up && (double)(int64_t)d < d ? 1 : 0);
	}
	return -1;
}

static bool ref_list_ok(json_t *arr)
{
	size_t i;
	json_t *e;

	if (!arr)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > 256)
		return false;
	json_array_foreach(arr, i, e) if (!json_is_string(e) ||
					  !printable(json_string_value(e), json_string_length(e),
						     255)) return false;
	return true;
}

static bool ref_audience(json_t *aud)
{
	size_t i;
	json_t *e;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), AUDIENCE) == 0;
	json_array_foreach(aud, i, e) if (json_is_string(e) &&
					  strcmp(json_string_value(e), AUDIENCE) == 0) return true;
	return false;
}

/* Whether the documented rules accept this header and payload (signature good). */
static bool ref_accepts(json_t *hdr, json_t *pl, bool with_aud)
{
	json_t *v;
	int64_t exp, t;

	if (!json_is_object(hdr) || !json_is_object(pl))
		return false;
	v = json_object_get(hdr, "alg");
	if (!json_is_string(v) || strcmp(json_string_value(v), "HS256") != 0)
		return false;
	if (json_object_get(hdr, "crit"))
		return false;
	v = json_object_get(hdr, "typ");
	if (v && (!json_is_string(v) || strcasecmp(json_string_value(v), "JWT") != 0))
		return false;

	v = json_object_get(pl, "exp");
	if (!v || (exp = ref_date(v, false)) < 0 || NOW >= exp + CRED_LEEWAY_S)
		return false;
	if ((v = json_object_get(pl, "nbf")) &&
	    ((t = ref_date(v, true)) < 0 || t > NOW + CRED_LEEWAY_S))
		return false;
	if ((v = json_object_get(pl, "iat")) &&
	    ((t = ref_date(v, true)) < 0 || t > NOW + CRED_LEEWAY_S))
		return false;
	if (with_aud) {
		v = json_object_get(pl, "iss");
		if (!json_is_string(v) || strcmp(json_string_value(v), ISSUER) != 0)
			return false;
		if (!ref_audience(json_object_get(pl, "aud")))
			return false;
	}
	v = json_object_get(pl, "sub");
	if (!json_is_string(v) || !printable(json_string_value(v), json_string_length(v), 1024))
		return false;
	return ref_list_ok(json_object_get(pl, "roles")) &&
	       ref_list_ok(json_object_get(pl, "tenants"));
}

static void fuzz_signed(const char *in, size_t len, bool with_aud)
{
	static const char default_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	const struct cred_verifier *v = with_aud ? aud_v : plain_v;
	const char *nul = memchr(in, '\0', len);
	const char *hdr = default_hdr, *pl = in;
	size_t hdr_len = strlen(default_hdr), pl_len = len;
	struct cred_claims *c = NULL, *c2 = NULL;
	json_t *jh, *jp;
	bool want;
	char *tok;
	int r;

	if (nul) {
		hdr = in;
		hdr_len = (size_t)(nul - in);
		pl = nul + 1;
		pl_len = len - hdr_len - 1;
	}
	tok = sign_parts(EVP_sha256(), hdr, hdr_len, pl, pl_len);
	r = verify(v, tok, strlen(tok), &c);
	if (strlen(tok) > CRED_TOKEN_MAX)
		goto out;
	if (hdr_len == 0 || pl_len == 0) {
		FUZZ_CHECK(r == -EINVAL);
		goto out;
	}

	jh = json_loadb(hdr, hdr_len, JSON_REJECT_DUPLICATES, NULL);
	jp = json_loadb(pl, pl_len, JSON_REJECT_DUPLICATES, NULL);
	want = ref_accepts(jh, jp, with_aud);
	FUZZ_CHECK_MSG((r == 0) == want, "cred_verify = %d, the reference %s it", r,
		       want ? "accepts" : "refuses");
	if (r == 0) {
		json_t *exp = json_object_get(jp, "exp");

		FUZZ_CHECK(strcmp(c->sub, json_string_value(json_object_get(jp, "sub"))) == 0);
		FUZZ_CHECK(c->exp == ref_date(exp, false));
		check_list_equal(json_object_get(jp, "roles"), c->roles, c->n_roles);
		check_list_equal(json_object_get(jp, "tenants"), c->tenants, c->n_tenants);

		/* The same token through the other verifier agrees with the model too. */
		r = verify(with_aud ? plain_v : aud_v, tok, strlen(tok), &c2);
		FUZZ_CHECK((r == 0) == ref_accepts(jh, jp, !with_aud));
		cred_claims_free(c2);

		/* One signature character changed. */
		{
			char *sig = strrchr(tok, '.') + 1;

			sig[0] = sig[0] == 'A' ? 'B' : 'A';
			FUZZ_CHECK(verify(v, tok, strlen(tok), &c2) == -EACCES);
			sig[0] = sig[0] == 'A' ? 'B' : 'A';
		}
		/* The payload changed under the old signature. */
		{
			char *sig = strrchr(tok, '.') + 1, *dot1 = strchr(tok, '.');
			static const char other[] = "{\"sub\":\"root\",\"exp\":9999999999}";
			char *p2 = b64url((const unsigned char *)other, strlen(other));
			char *forged;

			FUZZ_CHECK(
			    asprintf(&forged, "%.*s.%s.%s", (int)(dot1 - tok), tok, p2, sig) >= 0);
			FUZZ_CHECK(verify(v, forged, strlen(forged), &c2) == -EACCES);
			free(forged);
			free(p2);
		}
		/* Algorithm switching: HS512 with the same secret. */
		{
			static const char h512[] = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
			char *t512 = sign_parts(EVP_sha512(), h512, strlen(h512), pl, pl_len);

			r = verify(v, t512, strlen(t512), &c2);
			FUZZ_CHECK(r == -EACCES || r == -E2BIG);
			free(t512);
		}
	}
	json_decref(jh);
	json_decref(jp);
out:
	cred_claims_free(c);
	free(tok);
}

/* ---- minting ---------------------------------------------------------------- */

static void fuzz_mint(const char *in, size_t len)
{
	static const int64_t exp_offsets[] = {-100, -31, -30, -29, -1, 1, 3600, INT64_C(1) << 40};
	unsigned char sel = len > 0 ? (unsigned char)in[0] : 0;
	int64_t exp = NOW + exp_offsets[sel % PFS_ARRAY_SIZE(exp_offsets)];
	int64_t iat = exp - 3600; /* always before exp; in the future for the far one */
	bool with_aud = sel & 0x80;
	char *fields[600];
	size_t n_fields = 0, start = 1;
	const char *sub;
	const char **roles, **tenants;
	size_t n_roles = 0, n_tenants = 0;
	struct pfs_error err = {0};
	struct cred_claims *c = NULL;
	char *tok = NULL;
	bool valid_utf8 = true, want;
	int r;

	while (start <= len && n_fields < PFS_ARRAY_SIZE(fields)) {
		const char *nul = memchr(in + start, '\0', len - start);
		size_t flen = nul ? (size_t)(nul - (in + start)) : len - start;

		fields[n_fields++] = fuzz_strndup((const uint8_t *)in + start, flen);
		if (!nul)
			break;
		start += flen + 1;
	}
	sub = n_fields > 0 ? fields[0] : "";
	roles = calloc(n_fields + 1, sizeof(*roles));
	tenants = calloc(n_fields + 1, sizeof(*tenants));
	FUZZ_CHECK(roles && tenants);
	{
		size_t i = 1;

		for (; i < n_fields && fields[i][0]; i++)
			roles[n_roles++] = fields[i];
		for (i++; i < n_fields; i++)
			tenants[n_tenants++] = fields[i];
	}
	for (size_t i = 0; i < n_fields; i++) {
		json_t *s = json_string(fields[i]);

		valid_utf8 = valid_utf8 && s != NULL;
		json_decref(s);
	}

	r = cred_mint("HS256", (const unsigned char *)SECRET, SECRET_LEN, sub, roles, n_roles,
		      tenants, n_tenants, iat, exp, with_aud ? ISSUER : NULL,
		      with_aud ? AUDIENCE : NULL, &tok, &err);
	if (sub[0] && valid_utf8)
		FUZZ_CHECK_MSG(r == 0, "cred_mint = %d: %s", r, err.message);
	if (r < 0)
		goto out;
	FUZZ_CHECK(tok != NULL);
	FUZZ_CHECK(signature_is_genuine(tok, strlen(tok)));

	r = verify(with_aud ? aud_v : plain_v, tok, strlen(tok), &c);
	if (strlen(tok) > CRED_TOKEN_MAX)
		goto out;
	want = NOW < exp + CRED_LEEWAY_S && exp <= NUMERIC_DATE_MAX && iat <= NOW + CRED_LEEWAY_S &&
	       printable(sub, strlen(sub), 1024) && n_roles <= 256 && n_tenants <= 256;
	for (size_t i = 0; i < n_roles; i++)
		want = want && printable(roles[i], strlen(roles[i]), 255);
	for (size_t i = 0; i < n_tenants; i++)
		want = want && printable(tenants[i], strlen(tenants[i]), 255);
	FUZZ_CHECK_MSG((r == 0) == want, "minted token: cred_verify = %d, want %s", r,
		       want ? "success" : "a refusal");
	if (r == 0) {
		FUZZ_CHECK(strcmp(c->sub, sub) == 0 && c->exp == exp);
		FUZZ_CHECK(c->n_roles == n_roles && c->n_tenants == n_tenants);
		for (size_t i = 0; i < n_roles; i++)
			FUZZ_CHECK(strcmp(c->roles[i], roles[i]) == 0);
		for (size_t i = 0; i < n_tenants; i++)
			FUZZ_CHECK(strcmp(c->tenants[i], tenants[i]) == 0);
		/* A deep copy is equal and independent. */
		{
			struct cred_claims *d = cred_claims_dup(c);

			FUZZ_CHECK(d && d != c && d->sub != c->sub && strcmp(d->sub, c->sub) == 0);
			FUZZ_CHECK(d->n_roles == c->n_roles && d->n_tenants == c->n_tenants);
			cred_claims_free(d);
		}
	}
out:
	cred_claims_free(c);
	free(tok);
	free(roles);
	free(tenants);
	for (size_t i = 0; i < n_fields; i++)
		free(fields[i]);
}

/* ---- start-up --------------------------------------------------------------- */

static struct cred_verifier *make_verifier(const char *path, bool with_aud)
{
	struct config_tokens cfg = {
	    .algorithm = (char *)"HS256",
	    .secret_file = (char *)path,
	    .issuer = with_aud ? (char *)ISSUER : NULL,
	    .audience = with_aud ? (char *)AUDIENCE : NULL,
	};
	struct cred_verifier *v = NULL;
	struct pfs_error err = {0};
	int r = cred_verifier_new(&cfg, &v, &err);

	FUZZ_CHECK_MSG(r == 0, "cred_verifier_new: %s", err.message);
	return v;
}

static void free_verifiers(void)
{
	plain_v = cred_verifier_free(plain_v);
	aud_v = cred_verifier_free(aud_v);
}

/* Cases too big for a committed corpus file, run once. */
static void startup_cases(void)
{
	size_t big = 4u << 20;
	char *tok = malloc(big + 1);
	struct cred_claims *c = NULL;
	char *pad, *payload;
	size_t pad_len;

	FUZZ_CHECK(tok != NULL);
	/* 4 MiB: one long segment, then a well-formed shape of that size. */
	memset(tok, 'A', big);
	tok[big] = '\0';
	FUZZ_CHECK(verify(plain_v, tok, big, &c) == -E2BIG);
	tok[1000] = '.';
	tok[big - 1000] = '.';
	FUZZ_CHECK(verify(plain_v, tok, big, &c) == -E2BIG);
	/* One byte over, even if it is whitespace that trimming would drop. */
	memset(tok, ' ', CRED_TOKEN_MAX + 1);
	FUZZ_CHECK(verify(plain_v, tok, CRED_TOKEN_MAX + 1, &c) == -E2BIG);
	free(tok);

	/* A genuine token of exactly CRED_TOKEN_MAX bytes verifies; one more space does not. */
	for (pad_len = 6000; pad_len < 7000; pad_len++) {
		pad = malloc(pad_len + 1);
		FUZZ_CHECK(pad != NULL);
		memset(pad, 'x', pad_len);
		pad[pad_len] = '\0';
		FUZZ_CHECK(asprintf(&payload, "{\"sub\":\"s\",\"exp\":2000000000,\"pad\":\"%s\"}",
				    pad) >= 0);
		free(pad);
		tok = sign_parts(EVP_sha256(), "{\"alg\":\"HS256\"}", 15, payload, strlen(payload));
		free(payload);
		if (strlen(tok) == CRED_TOKEN_MAX) {
			char *spaced;

			FUZZ_CHECK(verify(plain_v, tok, CRED_TOKEN_MAX, &c) == 0);
			c = cred_claims_free(c);
			FUZZ_CHECK(asprintf(&spaced, "%s\n", tok) >= 0);
			FUZZ_CHECK(verify(plain_v, spaced, CRED_TOKEN_MAX + 1, &c) == -E2BIG);
			free(spaced);
			free(tok);
			break;
		}
		free(tok);
	}
	FUZZ_CHECK(pad_len < 7000);
}

static void init_once(void)
{
	static bool done;
	char dir[] = "/tmp/pinfs-fuzz-claims-XXXXXX";
	char path[64], short_path[64];
	FILE *f;

	if (done)
		return;
	done = true;
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/secret", dir);
	snprintf(short_path, sizeof(short_path), "%s/short", dir);
	f = fopen(path, "w");
	FUZZ_CHECK(f && fputs(SECRET "\n", f) >= 0 && fclose(f) == 0);
	f = fopen(short_path, "w");
	FUZZ_CHECK(f && fwrite(SECRET, 1, SECRET_LEN - 1, f) == SECRET_LEN - 1 && fclose(f) == 0);
	/* Secrets readable by others are refused (pinfs.json(5), TRUSTED FILES). */
	FUZZ_CHECK(chmod(path, 0600) == 0 && chmod(short_path, 0600) == 0);

	plain_v = make_verifier(path, false);
	aud_v = make_verifier(path, true);
	{
		/* 31 bytes is too short for HS256. */
		struct config_tokens cfg = {.algorithm = (char *)"HS256",
					    .secret_file = short_path};
		struct cred_verifier *v = NULL;

		FUZZ_CHECK(cred_verifier_new(&cfg, &v, NULL) == -EINVAL && v == NULL);
	}
	FUZZ_CHECK(unlink(path) == 0 && unlink(short_path) == 0 && rmdir(dir) == 0);
	atexit(free_verifiers);
	startup_cases();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct cred_claims *c = NULL;

	init_once();
	if (size > 0 && (data[0] == 'S' || data[0] == 'A')) {
		fuzz_signed(in + 1, size - 1, data[0] == 'A');
	} else if (size > 0 && data[0] == 'M') {
		fuzz_mint(in + 1, size - 1);
	} else {
		verify(plain_v, in, size, &c);
		c = cred_claims_free(c);
		verify(aud_v, in, size, &c);
		cred_claims_free(c);
	}
	return 0;
}
