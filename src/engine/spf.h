/*
 * spf - Sender Policy Framework, RFC 7208
 *
 * SYNOPSIS
 *	spf_check_mailfrom(r, &limits, "192.0.2.1", "user@example.com",
 *	                   "mail.example.com", "mx.example.org", &out);
 *	spf_check_helo(r, &limits, "192.0.2.1", "mail.example.com",
 *	               "mx.example.org", &out);
 *	... out.result, out.domain, out.explanation, out.reason ...
 *	spf_outcome_clear(&out);
 *
 * DESCRIPTION
 *	check_host() as RFC 7208 section 4 defines it, with every lookup going
 *	through the shared resolver. The MAIL FROM identity of a null sender is
 *	postmaster@HELO (section 2.4). The HELO identity is checked on its own.
 *	DNS-querying mechanisms are limited (default 10), void lookups are
 *	limited (default 2), each MX and PTR expansion is limited to 10 names.
 *	Never logs; the reason says in plain words what decided the result.
 *
 *	ip is the client address as text; an IPv4-mapped IPv6 address is
 *	checked as IPv4, text that is not an address gives "none". mailfrom
 *	may be NULL, "" or "<>" (null sender: postmaster@helo), with or
 *	without angle brackets; an empty local part becomes "postmaster".
 *	helo and receiver may be NULL (%{h} and %{r} then expand to
 *	"unknown"); lim may be NULL for SPF_LIMITS_DEFAULT. An identity
 *	whose domain is not a valid multi-label name (domain literal, empty
 *	or over-long label) gives "none" without any lookup (RFC 7208 4.3).
 *	A MAIL FROM domain or HELO name in UTF-8 (SMTPUTF8) is checked, and
 *	reported in domain and identity, in its A-label form (RFC 8616); one
 *	that is not a valid IDNA2008 name gives "none" without any lookup.
 *	A check makes at most about 10 * (1 + 10) lookups plus one for exp=,
 *	each bounded by the resolver's timeout.
 *
 * OWNERSHIP
 *	The outcome owns its strings; spf_outcome_clear() frees them.
 */
#ifndef AM_SPF_H
#define AM_SPF_H

#include "dns/resolver.h"

enum spf_result {
	SPF_RESULT_NONE = 0,
	SPF_RESULT_NEUTRAL,
	SPF_RESULT_PASS,
	SPF_RESULT_FAIL,
	SPF_RESULT_SOFTFAIL,
	SPF_RESULT_TEMPERROR,
	SPF_RESULT_PERMERROR,
};

struct spf_limits {
	unsigned dns_mechanisms; /* include a mx ptr exists redirect; RFC: 10 */
	unsigned void_lookups;	 /* RFC: 2 */
	unsigned mx_names;	 /* per mx mechanism; RFC: 10 */
	unsigned ptr_names;	 /* per ptr mechanism / %{p}; RFC: 10 */
	unsigned time_limit;	 /* seconds for the whole check, 0 = none; past it,
				  * the next DNS-querying term gives temperror
				  * (RFC 7208 4.6.4: SHOULD allow at least 20) */
};

#define SPF_LIMITS_DEFAULT        \
	{                         \
		10, 2, 10, 10, 20 \
	}

struct spf_outcome {
	enum spf_result result;
	char *identity;	   /* the identity checked: local@domain or the HELO name */
	char *domain;	   /* the domain check_host() started at (trailing dot
			    * removed), even when invalid; NULL if empty */
	char *explanation; /* exp= text (macro-expanded) on fail, else NULL */
	char *reason;	   /* plain words: what matched or what went wrong */
};

void spf_check_mailfrom(struct resolver *r, const struct spf_limits *lim, const char *ip,
			const char *mailfrom, const char *helo, const char *receiver,
			struct spf_outcome *out);
void spf_check_helo(struct resolver *r, const struct spf_limits *lim, const char *ip,
		    const char *helo, const char *receiver, struct spf_outcome *out);

/*
 * The lookups the same check will make, started now into a (dns/ahead.h,
 * spf_ahead.c): the sender domain's record, and as each record arrives
 * the lookups of its terms, within the check's own limits. The check
 * run later with the same arguments finds the answers waiting; its
 * result is the same as without.
 */
struct dns_ahead;
void spf_ahead_mailfrom(struct dns_ahead *a, const struct spf_limits *lim, const char *ip,
			const char *mailfrom, const char *helo, const char *receiver);
void spf_ahead_helo(struct dns_ahead *a, const struct spf_limits *lim, const char *ip,
		    const char *helo, const char *receiver);
void spf_outcome_clear(struct spf_outcome *out);

const char *spf_result_name(enum spf_result res); /* "pass", "softfail", ... */

#endif
