/*
 * dsig - DKIM-style signatures on OpenSSL: tag lists, canonicalization,
 * keys and verification (RFC 6376 3.2-3.7, RFC 8301, RFC 8463)
 *
 * SYNOPSIS
 *	struct dsig_tags t;
 *	dsig_tags_parse(value, &t, &why);          tag=value; ... (3.2)
 *	const char *d = dsig_tag(&t, "d");
 *
 *	struct dsig_body *bh = dsig_body_new(DSIG_RELAXED, 8);   (l=8; -1: none)
 *	dsig_body_feed(bh, chunk, len);            body with CRLF line ends
 *	dsig_body_final(bh, digest, &total);       SHA-256, canonical length
 *
 *	struct strbuf in = STRBUF_INIT;            the header hash input
 *	dsig_canon_header(&in, DSIG_RELAXED, "From", " a@example.com", true);
 *	dsig_canon_header(&in, ..., "DKIM-Signature", value_without_b, false);
 *
 *	struct dsig_key key;
 *	dsig_key_fetch(resolver, "sel", "example.com", &key, &why);
 *	dsig_verify(&key, DSIG_ALG_RSA_SHA256, in.s, in.len, b_value, &why);
 *	dsig_key_clear(&key);
 *
 * DESCRIPTION
 *	The parts of DKIM verification that ARC (RFC 8617: ARC-Message-
 *	Signature and ARC-Seal are DKIM-style signatures) needs, written on
 *	OpenSSL because no Debian library verifies ARC. DKIM-Signature fields
 *	themselves stay on libopendkim (engine/dkim.c).
 *
 *	Canonicalization follows RFC 6376 3.4 exactly: relaxed headers are
 *	lower-cased names, unfolded values, runs of WSP as one SP, no WSP at
 *	the ends; simple headers are the field as received. Header values are
 *	taken as the engine gets them (the text after the colon, folds as "\n"
 *	or "\r\n"; a bare LF becomes CRLF). Bodies stream in chunks split
 *	anywhere; a CR not followed by LF is data, a bare LF ends a line (as the
 *	DKIM verifier's LF to CRLF conversion does). Work is linear in the
 *	input and memory is O(1) per body hash.
 *
 *	Keys: the TXT record at selector._domainkey.domain (A-label form)
 *	through the shared resolver; v=DKIM1 if present, k=rsa (default) or
 *	ed25519, h= must allow sha256, s= must allow email, p= empty means
 *	revoked. An RSA key is a SubjectPublicKeyInfo or a bare RSAPublicKey.
 *
 *	Algorithms: rsa-sha256 (PKCS #1 v1.5) and ed25519-sha256 (PureEdDSA
 *	over the SHA-256 hash of the header input, RFC 8463). rsa-sha1 is not
 *	acceptable (RFC 8301) and never verifies here.
 *
 * RESULTS
 *	Functions that can fail return an enum dsig_rc: DSIG_OK; DSIG_FAIL
 *	(the signature, key or input is bad: permanent); DSIG_TEMPFAIL (a DNS
 *	lookup failed temporarily). why, when asked for, is static text or
 *	points into a buffer the call's struct owns.
 *
 * OWNERSHIP
 *	dsig_tags keeps a private copy of the list; dsig_tags_clear() frees
 *	it. dsig_body_free() and dsig_key_clear() free theirs.
 */
#ifndef AM_DSIG_H
#define AM_DSIG_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "util/strbuf.h"

#define DSIG_TAGS_MAX 32
#define DSIG_DIGEST_LEN 32 /* SHA-256 */

enum dsig_rc { DSIG_OK = 0, DSIG_FAIL, DSIG_TEMPFAIL };
enum dsig_canon { DSIG_SIMPLE = 0, DSIG_RELAXED };
enum dsig_alg {
	DSIG_ALG_UNKNOWN = 0,
	DSIG_ALG_RSA_SHA256,
	DSIG_ALG_ED25519_SHA256,
	DSIG_ALG_RSA_SHA1
};

struct dsig_tags {
	char *copy; /* the list, with tags and values cut out in place */
	struct {
		const char *name, *value; /* value: WSP removed at both ends */
	} t[DSIG_TAGS_MAX];
	size_t n;
};

/* Parses an RFC 6376 3.2 tag-list. DSIG_FAIL (why set) on a syntax error,
 * a duplicate tag or more than DSIG_TAGS_MAX tags. */
enum dsig_rc dsig_tags_parse(const char *list, struct dsig_tags *tags, const char **why);
/* The value of tag name, or NULL when absent. */
const char *dsig_tag(const struct dsig_tags *tags, const char *name);
void dsig_tags_clear(struct dsig_tags *tags);

/* c= "header/body" (or "header") into the two canonicalizations. */
enum dsig_rc dsig_parse_canon(const char *c, enum dsig_canon *header, enum dsig_canon *body);
enum dsig_alg dsig_parse_alg(const char *a);

/* Appends the canonicalized header field to in; crlf: with its CRLF
 * (every field but the signature field itself). */
void dsig_canon_header(struct strbuf *in, enum dsig_canon c, const char *name, const char *value,
		       bool crlf);
/* value with the b= tag's value removed (RFC 6376 3.7: "b=" kept). */
char *dsig_strip_b(const char *value);

struct dsig_hdr {
	const char *name, *value; /* value as the engine gets it */
};
#define DSIG_H_MAX 256 /* distinct names in h= */

/* Appends the header hash input of a signature to in: the fields h= names
 * (RFC 6376 5.4.2: for each name, the last instance not yet taken, from
 * the bottom; a name with none left adds nothing), then the signature
 * field (sig_name, sig_value) with its b= emptied and no CRLF. DSIG_FAIL
 * when h= names more than DSIG_H_MAX distinct fields. */
enum dsig_rc dsig_header_input(struct strbuf *in, enum dsig_canon c, const struct dsig_hdr *hdrs,
			       size_t n, const char *h, const char *sig_name,
			       const char *sig_value);

struct dsig_body;
/* A SHA-256 body hash under canonicalization c, of at most length bytes
 * of the canonical body (length < 0: all of it). */
struct dsig_body *dsig_body_new(enum dsig_canon c, long long length);
void dsig_body_feed(struct dsig_body *b, const unsigned char *buf, size_t len);
/* The digest, and the length of the whole canonical body (also past
 * length). Call once. */
void dsig_body_final(struct dsig_body *b, unsigned char digest[DSIG_DIGEST_LEN],
		     unsigned long long *total);
enum dsig_canon dsig_body_canon(const struct dsig_body *b);
long long dsig_body_length(const struct dsig_body *b);
void dsig_body_free(struct dsig_body *b);

struct dsig_key {
	void *pkey; /* EVP_PKEY *, or NULL */
	bool ed25519;
	unsigned bits;	/* RSA modulus size; 256 for ed25519 */
	bool testing;	/* t=y: the domain is testing DKIM */
	bool strict;	/* t=s: i= must be d= itself */
	bool too_small; /* failed for an RSA key under min_bits (RFC 8301) */
	char why[160];	/* what went wrong, when a call failed */
};

/* Looks the key up (selector._domainkey.domain, through r) and loads it.
 * min_bits: RSA keys shorter than this are DSIG_FAIL (RFC 8301). */
enum dsig_rc dsig_key_fetch(struct resolver *r, const char *selector, const char *domain,
			    unsigned min_bits, struct dsig_key *key);
/* The same from the text of a key record (tests). */
enum dsig_rc dsig_key_parse(const char *record, unsigned min_bits, struct dsig_key *key);
void dsig_key_clear(struct dsig_key *key);

/* Verifies signature b (base64, WSP allowed) over the header input with
 * key; alg must match the key's type. */
enum dsig_rc dsig_verify(const struct dsig_key *key, enum dsig_alg alg, const void *data,
			 size_t len, const char *b, const char **why);
/* base64 (WSP ignored) into a new buffer; NULL when it does not decode. */
unsigned char *dsig_base64(const char *s, size_t *len);

#endif
