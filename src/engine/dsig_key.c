/*
 * dsig_key - DKIM-style key records and signature verification on
 * OpenSSL (see dsig.h)
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engine/dsig.h"
#include "util/idna.h"
#include "util/xalloc.h"

#define DSIG_ED25519_LEN 32
#define DSIG_SIG_MAX 2048 /* bytes of a decoded signature: 16384-bit RSA */

static bool dsig_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

unsigned char *dsig_base64(const char *s, size_t *len)
{
	size_t n = 0, pad = 0, i;
	char *clean = xmalloc(strlen(s) + 1);
	unsigned char *out;
	int got;

	for (i = 0; s[i] != '\0'; i++)
		if (!dsig_space(s[i]))
			clean[n++] = s[i];
	clean[n] = '\0';
	if (n == 0 || n % 4 != 0) {
		free(clean);
		return NULL;
	}
	pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
	out = xmalloc(n / 4 * 3 + 1);
	got = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	free(clean);
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)got - pad;
	return out;
}

static enum dsig_rc dsig_key_fail(struct dsig_key *key, const char *why)
{
	snprintf(key->why, sizeof(key->why), "%s", why);
	return DSIG_FAIL;
}

/* Whether the colon-separated list holds word (case-insensitive). */
static bool dsig_list_has(const char *list, const char *w1, const char *w2)
{
	const char *p = list, *e;

	while (*p != '\0') {
		size_t n;

		while (dsig_space(*p) || *p == ':')
			p++;
		e = p;
		while (*e != '\0' && *e != ':' && !dsig_space(*e))
			e++;
		n = (size_t)(e - p);
		if ((n == strlen(w1) && strncasecmp(p, w1, n) == 0) ||
		    (w2 != NULL && n == strlen(w2) && strncasecmp(p, w2, n) == 0))
			return true;
		p = e;
	}
	return false;
}

/*
 * Decoded keys, shared by every message and thread: OpenSSL 3 builds a
 * decoder chain for each d2i_PUBKEY(), which costs more than verifying a
 * signature, and the same few keys (a list's, a big provider's) seal most
 * mail. Keyed by p= exactly as published and the key type; DSIG_CACHE_KEYS
 * entries, replaced round robin. An EVP_PKEY is immutable once decoded and
 * reference-counted, so a hit hands out one more reference.
 */
#define DSIG_CACHE_KEYS 128

static struct {
	pthread_mutex_t mu;
	struct {
		char *p;
		bool ed25519;
		EVP_PKEY *pkey;
	} e[DSIG_CACHE_KEYS];
	size_t next;
} dsig_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static EVP_PKEY *dsig_cache_get(const char *p, bool ed25519)
{
	EVP_PKEY *pk = NULL;
	size_t i;

	pthread_mutex_lock(&dsig_cache.mu);
	for (i = 0; i < DSIG_CACHE_KEYS && pk == NULL; i++)
		if (dsig_cache.e[i].p != NULL && dsig_cache.e[i].ed25519 == ed25519 &&
		    strcmp(dsig_cache.e[i].p, p) == 0 && EVP_PKEY_up_ref(dsig_cache.e[i].pkey) == 1)
			pk = dsig_cache.e[i].pkey;
	pthread_mutex_unlock(&dsig_cache.mu);
	return pk;
}

static void dsig_cache_put(const char *p, bool ed25519, EVP_PKEY *pkey)
{
	size_t i;

	if (EVP_PKEY_up_ref(pkey) != 1)
		return;
	pthread_mutex_lock(&dsig_cache.mu);
	i = dsig_cache.next++ % DSIG_CACHE_KEYS;
	free(dsig_cache.e[i].p);
	EVP_PKEY_free(dsig_cache.e[i].pkey);
	dsig_cache.e[i].p = xstrdup(p);
	dsig_cache.e[i].ed25519 = ed25519;
	dsig_cache.e[i].pkey = pkey;
	pthread_mutex_unlock(&dsig_cache.mu);
}

/* The public key from p= bytes: SubjectPublicKeyInfo, else RSAPublicKey. */
static EVP_PKEY *dsig_rsa_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk == NULL) {
		p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pk != NULL && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

enum dsig_rc dsig_key_parse(const char *record, unsigned min_bits, struct dsig_key *key)
{
	struct dsig_tags t;
	const char *v, *k, *h, *s, *p, *why = NULL;
	unsigned char *der = NULL;
	size_t len = 0;

	memset(key, 0, sizeof(*key));
	if (dsig_tags_parse(record, &t, &why) != DSIG_OK)
		return dsig_key_fail(key, why);
	v = dsig_tag(&t, "v");
	k = dsig_tag(&t, "k");
	h = dsig_tag(&t, "h");
	s = dsig_tag(&t, "s");
	p = dsig_tag(&t, "p");
	if (v != NULL && strcmp(v, "DKIM1") != 0)
		why = "key record v= is not DKIM1";
	else if (k != NULL && strcasecmp(k, "rsa") != 0 && strcasecmp(k, "ed25519") != 0)
		why = "key type k= is not rsa or ed25519";
	else if (h != NULL && !dsig_list_has(h, "sha256", NULL))
		why = "key h= does not allow sha256";
	else if (s != NULL && !dsig_list_has(s, "*", "email"))
		why = "key s= does not allow email";
	else if (p == NULL)
		why = "key record has no p=";
	else if (*p == '\0')
		why = "key revoked (empty p=)";
	else if ((der = dsig_base64(p, &len)) == NULL)
		why = "key p= is not base64";
	if (why != NULL) {
		dsig_tags_clear(&t);
		return dsig_key_fail(key, why);
	}
	key->ed25519 = k != NULL && strcasecmp(k, "ed25519") == 0;
	key->testing = dsig_tag(&t, "t") != NULL && dsig_list_has(dsig_tag(&t, "t"), "y", NULL);
	key->strict = dsig_tag(&t, "t") != NULL && dsig_list_has(dsig_tag(&t, "t"), "s", NULL);
	key->pkey = dsig_cache_get(p, key->ed25519);
	if (key->pkey == NULL) {
		if (key->ed25519 && len == DSIG_ED25519_LEN)
			key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der,
								DSIG_ED25519_LEN);
		else if (!key->ed25519)
			key->pkey = dsig_rsa_key(der, len);
		if (key->pkey != NULL)
			dsig_cache_put(p, key->ed25519, key->pkey);
	}
	key->bits = key->ed25519	? 256
		    : key->pkey != NULL ? (unsigned)EVP_PKEY_get_bits(key->pkey)
					: 0;
	dsig_tags_clear(&t);
	free(der);
	if (key->pkey == NULL)
		return dsig_key_fail(key, "key p= does not decode");
	if (!key->ed25519 && key->bits < min_bits) {
		char why_bits[80];

		snprintf(why_bits, sizeof(why_bits), "%u-bit RSA key, under %u bits (RFC 8301)",
			 key->bits, min_bits);
		EVP_PKEY_free(key->pkey);
		key->pkey = NULL;
		key->too_small = true;
		return dsig_key_fail(key, why_bits);
	}
	return DSIG_OK;
}

enum dsig_rc dsig_key_fetch(struct resolver *r, const char *selector, const char *domain,
			    unsigned min_bits, struct dsig_key *key)
{
	char *a = idna_has_8bit(domain) ? idna_to_alabel(domain, NULL) : NULL;
	char *name = xasprintf("%s._domainkey.%s", selector, a != NULL ? a : domain);
	struct dns_result *res = resolver_query(r, name, DNS_T_TXT);
	enum dsig_rc rc = DSIG_FAIL;
	size_t i;

	memset(key, 0, sizeof(*key));
	if (res->status == DNS_TEMPFAIL) {
		snprintf(key->why, sizeof(key->why), "key lookup of %.40s failed (%.40s)", name,
			 res->error != NULL ? res->error : "temporary error");
		rc = DSIG_TEMPFAIL;
	} else if (res->status != DNS_OK) {
		snprintf(key->why, sizeof(key->why), "no key at %.60s", name);
	} else {
		for (i = 0; i < res->nrr && rc != DSIG_OK; i++)
			if (strlen(res->rr[i].text) == res->rr[i].text_len)
				rc = dsig_key_parse(res->rr[i].text, min_bits, key);
	}
	dns_result_free(res);
	free(name);
	free(a);
	return rc;
}

void dsig_key_clear(struct dsig_key *key)
{
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

enum dsig_rc dsig_verify(const struct dsig_key *key, enum dsig_alg alg, const void *data,
			 size_t len, const char *b, const char **why)
{
	unsigned char digest[DSIG_DIGEST_LEN], *sig;
	const unsigned char *in = data;
	size_t siglen = 0, inlen = len;
	const char *dummy;
	EVP_MD_CTX *md;
	int ok;

	if (why == NULL)
		why = &dummy;
	if (alg == DSIG_ALG_RSA_SHA1) {
		*why = "rsa-sha1 is not acceptable (RFC 8301)";
		return DSIG_FAIL;
	}
	if (alg != DSIG_ALG_RSA_SHA256 && alg != DSIG_ALG_ED25519_SHA256) {
		*why = "unknown signature algorithm";
		return DSIG_FAIL;
	}
	if (key->pkey == NULL || key->ed25519 != (alg == DSIG_ALG_ED25519_SHA256)) {
		*why = "the key does not fit the algorithm";
		return DSIG_FAIL;
	}
	sig = b != NULL ? dsig_base64(b, &siglen) : NULL;
	if (sig == NULL || siglen == 0 || siglen > DSIG_SIG_MAX) {
		free(sig);
		*why = "b= is not a base64 signature";
		return DSIG_FAIL;
	}
	if (key->ed25519) { /* RFC 8463: Ed25519 over the SHA-256 hash */
		unsigned int n = DSIG_DIGEST_LEN;

		(void)EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL);
		in = digest;
		inlen = DSIG_DIGEST_LEN;
	}
	md = EVP_MD_CTX_new();
	ok = md != NULL &&
	     EVP_DigestVerifyInit(md, NULL, key->ed25519 ? NULL : EVP_sha256(), NULL, key->pkey) ==
		 1 &&
	     EVP_DigestVerify(md, sig, siglen, in, inlen) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	if (!ok) {
		*why = "the signature does not verify";
		return DSIG_FAIL;
	}
	return DSIG_OK;
}
