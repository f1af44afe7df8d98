/*
 * iprev - the client's reverse DNS, checked forward (RFC 8601 section 3)
 *
 * SYNOPSIS
 *	struct iprev_outcome o;
 *	iprev_check(r, "192.0.2.1", &o);
 *	... o.result, o.ip, o.name, o.reason ...
 *	iprev_outcome_clear(&o);
 *
 * DESCRIPTION
 *	RFC 8601 section 3: with I the client's address, N the names its PTR
 *	lookup gives and L the addresses those names have (A for an IPv4
 *	client, AAAA for IPv6), the check passes when I is in L. An
 *	IPv4-mapped IPv6 address is checked as the IPv4 address it stands
 *	for (in-addr.arpa, then A records). Every lookup goes through the
 *	shared resolver, its cache and the calling thread's deadline
 *	(resolver_set_deadline()). Never logs.
 *
 *	At most IPREV_MAX_NAMES names of the PTR answer are looked up, in the
 *	order of the answer; the rest are ignored and the reason says which
 *	(RFC 8601 7.4 asks a verifier not to go to unbounded lengths; 10 is
 *	RFC 7208 4.6.4's bound for the same lookups in SPF's ptr). The lookups
 *	stop at the first name that maps back.
 *
 *	Results, as RFC 8601 section 2.7.3 defines them:
 *	  pass       a PTR name has an address record equal to the client's
 *	             address (name is that PTR name).
 *	  fail       PTR names were found, but none maps back: their address
 *	             lookups answered with other addresses, NXDOMAIN or no
 *	             data.
 *	  temperror  the PTR lookup failed temporarily (SERVFAIL, REFUSED,
 *	             timeout, the message's time budget spent), or an address
 *	             lookup did and no other name passed: a later attempt may
 *	             give another result. An address lookup that fails when
 *	             another name passes changes nothing.
 *	  permerror  no PTR data is published for the address (the PTR lookup
 *	             answered NXDOMAIN or no data; RFC 8601 2.7.3 makes this
 *	             permerror, not fail), the PTR data is unusable (none of
 *	             the names looked at is a valid DNS name: empty, a label
 *	             over 63 octets, over 253 octets), or ip is not an IPv4 or
 *	             IPv6 address. Invalid names among valid ones are skipped.
 *
 *	The property RFC 8601 reports for iprev, policy.iprev, is the client
 *	address that was evaluated (IANA "Email Authentication Methods"; RFC
 *	8601 appendix B.4: "iprev=pass policy.iprev=192.0.2.200"): that is ip
 *	below. The PTR name is reported as name, outside the header's
 *	properties.
 *
 * OWNERSHIP
 *	The outcome owns its strings; iprev_outcome_clear() frees them and
 *	zeroes it. A zeroed outcome is IPREV_RESULT_NONE: not checked.
 */
#ifndef AM_IPREV_H
#define AM_IPREV_H

#include "dns/resolver.h"

#define IPREV_MAX_NAMES 10 /* PTR names looked up forward, at most */

enum iprev_result {
	IPREV_RESULT_NONE = 0, /* not checked (iprev.enabled false); not an RFC result */
	IPREV_RESULT_PASS,
	IPREV_RESULT_FAIL,
	IPREV_RESULT_TEMPERROR,
	IPREV_RESULT_PERMERROR,
};

struct iprev_outcome {
	enum iprev_result result;
	char *ip;     /* the address checked, presentation form (an IPv4-mapped
		       * address as IPv4); ip as given when it is not an address */
	char *name;   /* the PTR name that maps back (pass), else the first
		       * non-empty PTR name of the answer; NULL when there is none */
	char *reason; /* plain words: which name matched or what went wrong */
};

/* Checks ip (text) and fills *out, which need not be initialised. */
void iprev_check(struct resolver *r, const char *ip, struct iprev_outcome *out);
void iprev_outcome_clear(struct iprev_outcome *o);

/* "none", "pass", "fail", "temperror", "permerror"; "unknown" otherwise. */
const char *iprev_result_name(enum iprev_result res);

/* The lookups iprev_check(r, ip) will make, started now into a
 * (dns/ahead.h): the PTR lookup, and when it answers the address lookups
 * of its first IPREV_MAX_NAMES names. */
struct dns_ahead;
void iprev_ahead(struct dns_ahead *a, const char *ip);

#endif
