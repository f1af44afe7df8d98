/*
 * arc - verify the Authenticated Received Chain of a message (RFC 8617)
 *
 * SYNOPSIS
 *	struct arc_opts opts = {50, 1024, true};
 *	struct arcv *a = arcv_new(resolver, &opts);     (per message)
 *	arcv_header(a, name, value);                     (every header field)
 *	arcv_eoh(a);                                     (structure, key lookups)
 *	arcv_body(a, chunk, len);                        (any number)
 *	arcv_eom(a, &outcome);                           (signatures)
 *	arcv_free(a);
 *	arc_outcome_clear(&outcome);
 *
 * DESCRIPTION
 *	Chain validation as RFC 8617 section 5.2 has it, on OpenSSL through
 *	engine/dsig.h. Header fields are kept (the AMS may sign any of them);
 *	the body streams through one SHA-256 per distinct AMS body
 *	canonicalization and l= (at most ARC_BODY_HASHES); the message is never
 *	held whole.
 *
 *	 1. ARC sets are grouped by i= read as a number, never by position.
 *	    None: result none. More than opts.max_sets instances, an i= that
 *	    is not a number in 1..max_sets, a missing, duplicate or
 *	    non-contiguous instance: fail.
 *	 2. The newest ARC-Seal's cv=fail: fail. cv of instance 1 must be
 *	    none, of every later one pass. An ARC-Seal with h=, a missing
 *	    required tag, an unknown or unacceptable algorithm (rsa-sha1, RSA
 *	    keys under opts.min_key_bits): fail.
 *	 3. The newest ARC-Message-Signature must verify (body hash by its own
 *	    c= and l=; with opts.body_length_strict, a body going on past its
 *	    l= fails it). Older ones are verified newest first for
 *	    header.oldest-pass: the oldest instance from which every newer AMS
 *	    verifies, 0 when all do.
 *	 4. Every ARC-Seal, newest first, over the ARC sets 1..i (relaxed).
 *	Any failure ends the chain as fail (5.2.1: all failures are permanent);
 *	a DNS error says so in the reason (dns_error), so it is never read as
 *	a pass or an override. Key lookups go through the shared resolver at
 *	arcv_eoh(), inside the caller's time budget.
 *
 * OWNERSHIP
 *	The outcome owns its strings; arc_outcome_clear() frees them.
 */
#ifndef AM_ARC_H
#define AM_ARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "engine/dsig.h"

#define ARC_MAX_SETS 50	  /* RFC 8617 4.2.1 */
#define ARC_BODY_HASHES 4 /* distinct AMS body canonicalizations hashed */

enum arc_result { ARC_NONE = 0, ARC_PASS, ARC_FAIL };

struct arc_opts {
	unsigned max_sets;	 /* 1..ARC_MAX_SETS */
	unsigned min_key_bits;	 /* RSA keys under this fail */
	bool body_length_strict; /* AMS l= with content past it fails */
};

struct arc_seal {
	unsigned instance;
	char *domain, *selector; /* d= (A-label when it converts), s= */
	char *cv;		 /* as written */
	bool valid;		 /* its signature verified */
};

struct arc_outcome {
	enum arc_result result;
	unsigned sets;		/* N, the newest instance (0: no chain) */
	int oldest_pass;	/* header.oldest-pass; -1 when the chain did not pass */
	char *reason;		/* plain words */
	bool dns_error;		/* a DNS failure decided the result */
	struct arc_seal *seals; /* seals[k] is instance k + 1, when the chain
				 * has its structure; n_seals 0 otherwise */
	size_t n_seals;
	char **aar; /* aar[k]: the ARC-Authentication-Results payload of
		     * instance k + 1 (after "i=N;"), n_seals of them */
};

struct arcv;

struct arcv *arcv_new(struct resolver *r, const struct arc_opts *opts);
void arcv_header(struct arcv *a, const char *name, const char *value);
void arcv_eoh(struct arcv *a);
void arcv_body(struct arcv *a, const unsigned char *buf, size_t len);
/* Fills out (which the caller clears). */
void arcv_eom(struct arcv *a, struct arc_outcome *out);
void arcv_free(struct arcv *a);
/* Every header field arcv_header() was given, in order, from arcv_eoh()
 * on (none before); valid until arcv_free(). The engine's DKIM
 * verification of UTF-8 signature fields reads them. */
const struct dsig_hdr *arcv_headers(const struct arcv *a, size_t *n);

void arc_outcome_clear(struct arc_outcome *out);

/*
 * Trusted sealers (RFC 8617 7.2.1). With the chain as a whole pass, the
 * sets are walked from the newest down; trust ends at the first seal whose
 * d= is not one of in->sealers (exact, any case, A-labels). The AAR of a
 * trusted set vouches for the message when it says, for the author domain,
 * dmarc=pass (header.from the same domain), or spf=pass for a
 * smtp.mailfrom (or smtp.mfrom) that aligns with it under aspf, or
 * dkim=pass for a header.d (or header.i) that aligns under adkim (relaxed:
 * the author's organizational domain or a name under it). An AAR that does
 * not parse (RFC 8601) vouches for nothing. True with *out filled (the
 * caller clears it) when one does.
 */
struct arc_trust_in {
	const char *const *sealers;
	size_t n_sealers;
	const char *from_domain; /* A-label */
	const char *org_domain;	 /* the author domain's organizational domain */
	bool aspf_strict, adkim_strict;
};
struct arc_override {
	unsigned instance; /* the set that vouched */
	char *sealer;	   /* its seal's d= */
	char *evidence;	   /* "dkim=pass header.d=example.com" */
	char *comment;	   /* RFC 8617 7.2.2: "arc=pass as[2].d=... remote-ip[1]=..." */
};
bool arc_trust(const struct arc_outcome *arc, const struct arc_trust_in *in,
	       struct arc_override *out);
void arc_override_clear(struct arc_override *o);
const char *arc_result_name(enum arc_result r); /* "none", "pass", "fail" */

#endif
