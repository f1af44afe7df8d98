/*
 * dmarc - DMARC policy discovery, alignment and disposition (RFC 7489,
 * with RFC 9091 np= and RFC 9989 t=, psd= and the DNS Tree Walk)
 *
 * SYNOPSIS
 *	struct dmarc_ctx *dc = dmarc_ctx_new(AM_PSL_FILE, &err);   (shared)
 *	dmarc_ctx_set_discovery(dc, DMARC_DISCOVERY_PSL);   (before sharing)
 *	struct dmarc_input in = { .from_domain = ..., .spf_domain = ..., ... };
 *	struct dmarc_outcome out;
 *	dmarc_discover(dc, resolver, from_domain, &out);   (as soon as From is known)
 *	dmarc_judge(dc, resolver, &opts, &in, &out);        (once SPF and DKIM are)
 *	dmarc_outcome_clear(&out);
 *	(dmarc_evaluate() does both at once.)
 *
 * DESCRIPTION
 *	Finds the From domain's policy record and organizational domain by
 *	one of two methods (dmarc_ctx_set_discovery(); the outcome says which
 *	was used):
 *	 - DMARC_DISCOVERY_TREEWALK (the default; RFC 9989 4.10, dmarc_walk.h):
 *	   _dmarc.<from domain>, then up the tree, at most 8 lookups; the
 *	   record used is the From domain's own, else the organizational
 *	   domain's, else that of a public suffix domain (psd=y). Several
 *	   records at one name are discarded and the walk goes on. The
 *	   organizational domain of an SPF or DKIM identifier (relaxed
 *	   alignment) is found by a walk from that identifier, in
 *	   dmarc_judge(); a walk is skipped when its answer cannot matter: an
 *	   identifier equal to the From domain or to its organizational domain
 *	   aligns, one outside the From domain's organizational domain does
 *	   not (an organizational domain is always the name itself or a
 *	   parent of it).
 *	 - DMARC_DISCOVERY_PSL (RFC 7489): _dmarc.<from domain>, then
 *	   _dmarc.<organizational domain> from libpsl (the public suffix
 *	   list); alignment compares PSL organizational domains, no DNS.
 *	Then it parses the record, checks relaxed or strict alignment of the
 *	SPF identity and of each passing DKIM domain, picks p, sp or np, and
 *	applies pct sampling and t=y by stepping the policy down one level
 *	(RFC 7489 6.6.4). A temporary DNS failure on the way to a policy is
 *	DMARC_RESULT_TEMPERROR, never "no policy". One in a tree walk for
 *	alignment leaves that identifier's alignment unknown: with nothing
 *	else aligned the result is fail with align_temperror set, which
 *	policy.c treats like a temporary SPF or DKIM failure of an identity
 *	that could have aligned (auth_temperror).
 *
 *	Results: none = no record at the From or organizational domain, or
 *	several v=DMARC1 records at the name queried (RFC 7489 6.6.3 step 5;
 *	under treewalk they are discarded and the walk goes on, so none means
 *	no name of the walk had exactly one), or no usable From domain;
 *	permerror = exactly one record that starts with v=DMARC1 but is
 *	unusable (e.g. p=bogus and no usable rua); there is no fallback to
 *	the organizational domain then. Alignment counts the
 *	SPF identity only when spf_result is pass, and only passing DKIM d=.
 *	Domains are expected in their A-label form (util/idna.h): the From
 *	parser, SPF and DKIM deliver them so.
 *
 * OWNERSHIP
 *	The outcome owns its strings; dmarc_outcome_clear() frees them.
 *	A dmarc_ctx is immutable once its discovery method is set, and safe
 *	to share.
 */
#ifndef AM_DMARC_H
#define AM_DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "engine/spf.h"
#include "util/err.h"

enum dmarc_result {
	DMARC_RESULT_NONE = 0,
	DMARC_RESULT_PASS,
	DMARC_RESULT_FAIL,
	DMARC_RESULT_TEMPERROR,
	DMARC_RESULT_PERMERROR,
};

enum dmarc_policy {
	DMARC_POLICY_UNSET = 0,
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

enum dmarc_pct_mode {
	DMARC_PCT_SAMPLE = 0, /* RFC 7489: sample failing messages at pct% */
	DMARC_PCT_IGNORE,     /* RFC 9989: pct is not used */
};

/* How the policy record and organizational domains are found (the order
 * matches the dmarc.discovery names in config.c). */
enum dmarc_discovery {
	DMARC_DISCOVERY_TREEWALK = 0, /* RFC 9989 4.10, the DNS Tree Walk */
	DMARC_DISCOVERY_PSL,	      /* RFC 7489, the public suffix list */
};

/* psd= (RFC 9989 4.7): y = a public suffix domain, n = an organizational
 * domain, u = unknown (the default, also for an invalid value). */
enum dmarc_psd {
	DMARC_PSD_U = 0,
	DMARC_PSD_Y,
	DMARC_PSD_N,
};

/*
 * A parsed record (RFC 7489 6.3/6.4, RFC 9091 np, RFC 9989 t). Parsing:
 *  - the first tag must be v=DMARC1: tag name in any case, value exactly
 *    "DMARC1" (6.3 "MUST match precisely"); whitespace around '=' and ';';
 *  - one backslash at the end of a value is dropped ("p=reject\;", a zone
 *    file quoting mistake seen in the wild, as Mail::DMARC tolerates);
 *  - unknown tags, elements without '=', and invalid values of adkim,
 *    aspf, pct, t, psd, fo, rf, ri are ignored: the default applies (6.3:
 *    "syntax errors in the remainder of the record SHOULD be discarded in
 *    favor of default values");
 *  - p absent or invalid, or sp/np invalid: if rua holds at least one
 *    usable mailto: URI the record acts as "v=DMARC1; p=none" (6.6.3;
 *    RFC 9989 extends it to np) and policy_fallback is set, otherwise it
 *    is not a record;
 *  - the first occurrence of a repeated tag counts.
 */
#define DMARC_RECORD_MAX 2048 /* longer TXT text is not a record */

struct dmarc_record {
	enum dmarc_policy p, sp, np; /* sp/np UNSET when absent */
	bool adkim_strict, aspf_strict;
	int pct;	      /* 0..100, default 100 */
	bool testing;	      /* t=y */
	enum dmarc_psd psd;   /* psd=y|n|u (case-insensitive), default u */
	char *rua, *ruf, *fo; /* as published (fo only when valid), or NULL */
	bool policy_fallback; /* acting as p=none per RFC 7489 6.6.3 */
};

struct dmarc_opts {
	enum dmarc_pct_mode pct_mode;
	/* Returns a uniform integer in 0..99; NULL: the library's own random
	 * source. Tests inject a seeded one. */
	unsigned (*rand100)(void *arg);
	void *rand_arg;
};

/*
 * Stepping the policy down (applied, for a failing message):
 *  - t=y (RFC 9989): one level down (reject -> quarantine -> none), in
 *    either pct mode; no random draw is made.
 *  - pct (RFC 7489 6.6.4), only with DMARC_PCT_SAMPLE, only when t=y is not
 *    set and the policy is stricter than none: the message is sampled in
 *    when rand100() < pct; otherwise one level down and sampled_out = true.
 *  Both together step down ONE level in total, never two: t=y is the RFC
 *  9989 replacement for the "pct=0" testing idiom of RFC 7489, i.e. both
 *  mean "not fully enforcing yet", and a record published for both kinds of
 *  receiver (t=y; pct=N) must not be weaker for one that reads both tags.
 * The policy for a missing From subdomain (np) needs A, AAAA and MX lookups;
 * they are made only when the message fails, the record came from the
 * organizational domain and np differs from the policy that would apply
 * otherwise. On pass, policy shows sp (or p) and applied is NONE.
 */

struct dmarc_input {
	const char *from_domain; /* the author domain (from.c) */
	const char *spf_domain;	 /* domain of the SPF identity that counts */
	enum spf_result spf_result;
	const char *const *dkim_pass_domains; /* d= of each passing signature */
	size_t n_dkim_pass;
};

struct dmarc_outcome {
	enum dmarc_result result;
	enum dmarc_discovery discovery; /* the method used */
	char *from_domain;
	char *policy_domain; /* where the record was found, or NULL */
	char *org_domain;    /* the From domain's; NULL when unknown (PSL: a
			      * public suffix; treewalk: a lookup failed) */
	char *record;	     /* the record text used, or NULL */
	struct dmarc_record rec;
	bool have_record;
	enum dmarc_policy policy;  /* p, sp or np, whichever applies */
	enum dmarc_policy applied; /* after pct / t=y; NONE on pass */
	bool sampled_out;	   /* pct sampling stepped the policy down */
	bool spf_aligned, dkim_aligned;
	bool align_temperror; /* treewalk: a walk for alignment failed
			       * temporarily, so an identifier might have
			       * aligned (policy.c: auth_temperror) */
	char *reason;	      /* plain words */
};

struct dmarc_ctx;

/* A new context uses DMARC_DISCOVERY_TREEWALK; the public suffix list is
 * loaded either way (dmarc_org_domain() and dmarc_aligned() use it). */
struct dmarc_ctx *dmarc_ctx_new(const char *psl_file, struct am_err *err);
void dmarc_ctx_free(struct dmarc_ctx *dc);
/* The discovery method; set it once, before the context is shared. */
void dmarc_ctx_set_discovery(struct dmarc_ctx *dc, enum dmarc_discovery how);
enum dmarc_discovery dmarc_ctx_discovery(const struct dmarc_ctx *dc);

/* name lower-cased (ASCII) without one trailing dot, as a new string; NULL
 * when it has an empty label, a leading dot or is longer than 253 octets. */
char *dmarc_name_normalize(const char *name);

/* The organizational domain of name (lower case, new string), or NULL when
 * name is itself a public suffix or invalid. */
char *dmarc_org_domain(const struct dmarc_ctx *dc, const char *name);

/* 0: a DMARC record (rec filled); -1: not one (err says why). */
int dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *rec, struct am_err *err);
void dmarc_record_clear(struct dmarc_record *rec);

/* The TXT text starts with a v=DMARC1 tag (the discovery filter of RFC 7489
 * 6.6.3 step 3: other TXT records at _dmarc.<domain> are discarded). */
bool dmarc_record_is_dmarc(const char *txt, size_t len);
/* The psd= tag of a v=DMARC1 text, whether or not the rest of it makes a
 * usable record (the tree walk stops at psd=y or n either way); U when
 * absent, invalid or not a DMARC record. */
enum dmarc_psd dmarc_record_psd(const char *txt, size_t len);

/* Identifier alignment (RFC 7489 3.1): strict = the same name, relaxed = the
 * same organizational domain, from the public suffix list whatever the
 * discovery method (the tree walk needs DNS: dmarc_judge() does it). Case
 * and one trailing dot do not matter; a name with empty labels aligns with
 * nothing. */
bool dmarc_aligned(const struct dmarc_ctx *dc, const char *a, const char *b, bool strict);
/* Whether identifier id could align with the From domain of a judged
 * outcome without DNS: PSL, dmarc_aligned(); treewalk, the same name, or
 * (relaxed) the organizational domain or a name under it, or, when that is
 * unknown, a name sharing a parent with the From domain. For an identity
 * whose check failed temporarily: could its result have changed DMARC? */
bool dmarc_could_align(const struct dmarc_ctx *dc, const struct dmarc_outcome *out, const char *id,
		       bool strict);

/*
 * Discovery: the record at _dmarc.<from_domain> or at the organizational
 * domain (treewalk: or the public suffix domain's), parsed (a record that
 * does not parse is permerror). On return out->have_record is true, or
 * out->result and out->reason say why there is no policy (none,
 * temperror, permerror). Treewalk: also the From domain's organizational
 * domain, from the same walk (it goes on past the From domain's own
 * record, up to 8 lookups in all).
 */
void dmarc_discover(const struct dmarc_ctx *dc, struct resolver *r, const char *from_domain,
		    struct dmarc_outcome *out);
/* Whether judging may still need the np= existence check (A, AAAA, MX of
 * the From domain): the record came from the organizational domain and
 * np differs from the policy that applies otherwise. */
bool dmarc_needs_exists(const struct dmarc_outcome *out);
/* Alignment (treewalk, relaxed: tree walks from the identifiers), the
 * choice of p/sp/np (the np= existence check only for a failing message)
 * and pct / t=y. Does nothing when discovery found no record. The walks
 * are not reserved time by dmarc_needs_exists(): they are made only for
 * identifiers inside the From domain's organizational domain, which a
 * spoofer cannot make pass, so the spoofer's slow DNS cannot turn a
 * failure into a temperror through them. */
void dmarc_judge(const struct dmarc_ctx *dc, struct resolver *r, const struct dmarc_opts *opts,
		 const struct dmarc_input *in, struct dmarc_outcome *out);
void dmarc_evaluate(const struct dmarc_ctx *dc, struct resolver *r, const struct dmarc_opts *opts,
		    const struct dmarc_input *in, struct dmarc_outcome *out);
void dmarc_outcome_clear(struct dmarc_outcome *out);

const char *dmarc_result_name(enum dmarc_result res);	    /* "pass", ... */
const char *dmarc_policy_name(enum dmarc_policy p);	    /* "none", ... */
const char *dmarc_discovery_name(enum dmarc_discovery how); /* "treewalk", "psl" */

#endif
