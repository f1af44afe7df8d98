/*
 * dkim - verify every DKIM signature of a message (RFC 6376, 8301, 8463)
 *
 * SYNOPSIS
 *	struct dkimv_lib *lib = dkimv_lib_new(resolver, &opts, &err); (shared)
 *	struct dkimv *v = dkimv_new(lib);                              (per message)
 *	dkimv_header(v, "DKIM-Signature", " v=1; a=...");
 *	dkimv_eoh(v);
 *	dkimv_body(v, chunk, len);  (any number of times)
 *	dkimv_eom(v, &sigs, &n);
 *	dkimv_free(v);
 *
 * DESCRIPTION
 *	Wraps libopendkim (2.11, rsa-sha256 and ed25519-sha256). Key lookups
 *	go through the shared resolver by the library's dkim_dns_set_* hooks
 *	(dns/dkim_dns.h); a key delegated by CNAME is followed by the resolver.
 *	Headers and body are streamed to the library as they arrive; the
 *	message is never held whole. Key lookups happen at dkimv_eoh().
 *
 *	A header value is the text after the colon, exactly as received
 *	(leading space included), continuation lines separated by "\n" or
 *	"\r\n"; a trailing line end is dropped. Body chunks are raw bytes with
 *	"\n" or "\r\n" line ends; bare LFs become CRLF (also when a CRLF is
 *	split across two chunks).
 *
 *	A d= in UTF-8 (U-labels) is looked up, reported and aligned in its
 *	A-label form (RFC 8616, util/idna.h). libopendkim refuses a signature
 *	field holding any 8-bit byte (reported neutral here); the engine
 *	verifies those fields itself (engine/dkim_utf8.h) and uses that result.
 *
 *	Every DKIM-Signature header field is reported, in header order, as one
 *	struct dkimv_sig. Results follow RFC 8601 section 2.7.1:
 *
 *	pass       the signature and body hash verified with an acceptable
 *	           algorithm and key. A key with t=y still passes; testing is
 *	           set and the reason says so (the caller decides what to do).
 *	fail       the signature did not verify (signed header fields changed),
 *	           or the body hash did not match (body changed), or the body
 *	           is shorter than l=.
 *	policy     not acceptable to us (RFC 8301), without regard to the
 *	           crypto: a=rsa-sha1 (never verified, no key lookup, not
 *	           counted against the limit); an RSA key under
 *	           opts.min_key_bits; a signature after the first
 *	           opts.max_signatures well-formed, non-rsa-sha1 ones, in header
 *	           order ("not verified: over the limit of N signatures", no key
 *	           lookup); with opts.body_length_strict, a signature that
 *	           verified but whose canonicalized body goes on past its l=
 *	           ("body extends past l=", RFC 6376 8.2: anyone can append to
 *	           such a message). unsigned_bytes says how much is unsigned,
 *	           under either rule.
 *	neutral    the signature field itself cannot be processed: syntax
 *	           error, a required tag missing or empty (v= a= b= bh= d= h= s=;
 *	           so pre-RFC 4871 drafts without v= land here), v= other than
 *	           1, unknown a=, c= or q=, i= outside d=, x= not after t=, h=
 *	           without From, malformed l=, b= or bh=.
 *	permerror  the signature is well formed but can never verify: no key
 *	           record (NXDOMAIN or no TXT), key revoked (empty p=), key
 *	           record malformed or unusable (v=, k=, h=, s=, p= that does
 *	           not decode, several records), key t=s with an i= subdomain,
 *	           the signature expired (x= in the past, RFC 6376 6.1.1
 *	           "PERMFAIL (signature expired)"), t= in the future, or
 *	           selector._domainkey.domain not a valid DNS name (no lookup).
 *	temperror  the key lookup failed temporarily (timeout, SERVFAIL, network
 *	           error), or libopendkim failed on the message (then every
 *	           signature is temperror, reason "verifier failed: ...", and
 *	           dkimv_eom() returns -1).
 *
 *	An earlier row wins: a malformed rsa-sha1 signature is neutral, an
 *	expired one permerror; a weak-key signature is policy whether or not
 *	its crypto verified. key_bits is the RSA modulus size, 256 for an
 *	ed25519 key, 0 when no key was loaded.
 *
 * THREADS
 *	One dkimv_lib (one DKIM_LIB) is shared by all threads without a lock:
 *	after dkimv_lib_new() it is only read, libopendkim keeps per-message
 *	state in the per-message handle, the DNS hooks keep none, and the
 *	resolver is thread-safe. A struct dkimv belongs to one thread at a time.
 *
 * LIMITS
 *	A header field longer than DKIMV_MAX_HEADER bytes and every header field
 *	after the first DKIMV_MAX_HEADERS are not passed to libopendkim (a
 *	signature covering them then fails); such a DKIM-Signature field is
 *	reported as neutral.
 *
 * OWNERSHIP
 *	The signatures array and its strings belong to the dkimv handle and
 *	live until dkimv_free(). The resolver must outlive the dkimv_lib.
 */
#ifndef AM_DKIM_H
#define AM_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "util/err.h"

#define DKIMV_MAX_HEADER (64 * 1024)
#define DKIMV_MAX_HEADERS 1000

enum dkimv_result {
	DKIMV_NONE = 0, /* (message level only: no signature) */
	DKIMV_PASS,
	DKIMV_FAIL,	 /* signature or body hash did not verify */
	DKIMV_NEUTRAL,	 /* signature field cannot be processed: syntax, unsupported */
	DKIMV_POLICY,	 /* unacceptable: rsa-sha1, weak key, over the limit */
	DKIMV_TEMPERROR, /* key lookup failed temporarily */
	DKIMV_PERMERROR, /* key missing, revoked, malformed; signature expired */
};

struct dkimv_opts {
	unsigned max_signatures; /* default (0) 5 */
	unsigned min_key_bits;	 /* default (0) 1024 */
	double dns_timeout;	 /* seconds; the resolver's own timeout bounds lookups */
	bool body_length_strict; /* content past l= keeps a signature from passing */
};

struct dkimv_sig {
	char *domain;	 /* d=, "" when absent */
	char *selector;	 /* s=, "" when absent */
	char *algorithm; /* a=, e.g. "rsa-sha256", "" when absent */
	char *b_prefix;	 /* first 8 characters of b= (whitespace removed), for header.b */
	unsigned key_bits;
	enum dkimv_result result;
	char *reason;	  /* plain words */
	bool testing;	  /* key has t=y */
	long body_length; /* l= value, -1 if absent or malformed */
	/* bytes of the canonicalized body after the first body_length: the
	 * part no signature covers (0 when l= is absent or covers it all) */
	long long unsigned_bytes;
};

/* A deep copy of src into dst (strings duplicated); dkimv_sig_clear()
 * frees dst's strings and zeroes it. */
void dkimv_sig_copy(struct dkimv_sig *dst, const struct dkimv_sig *src);
void dkimv_sig_clear(struct dkimv_sig *s);

struct dkimv_lib;
struct dkimv;

struct dkimv_lib *dkimv_lib_new(struct resolver *r, const struct dkimv_opts *opts,
				struct am_err *err);
void dkimv_lib_free(struct dkimv_lib *lib);

struct dkimv *dkimv_new(struct dkimv_lib *lib);
/* Each returns 0, or -1 when the handle has given up on the message (it
 * then still reports what it knows at dkimv_eom). */
int dkimv_header(struct dkimv *v, const char *name, const char *value);
int dkimv_eoh(struct dkimv *v);
int dkimv_body(struct dkimv *v, const unsigned char *buf, size_t len);
/* Verifies and returns every signature seen (n may be 0). Returns 0, or -1
 * when the library failed; the signatures are then reported as temperror. */
int dkimv_eom(struct dkimv *v, const struct dkimv_sig **sigs, size_t *n);
void dkimv_free(struct dkimv *v);

const char *dkimv_result_name(enum dkimv_result res); /* "pass", ... */

#endif
