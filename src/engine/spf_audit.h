/*
 * spf_audit - a domain's SPF record tree, counted as check_host() counts
 *
 * SYNOPSIS
 *	struct spf_audit a;
 *	spf_audit_run(resolver, &limits, "192.0.2.1", "example.com", &a);
 *	... a.nodes[i].domain, .record, .problem ...; a.dns_terms, a.terms_over ...
 *	spf_audit_clear(&a);
 *
 * DESCRIPTION
 *	For authmilter-check --domain: the records a check of the domain can
 *	reach, read with the parser and record rules of check_host()
 *	(spf_impl.h: spf_fetch_record(), spf_record_parse(), the term lookups
 *	of spf_mech.c), for a client that no term matches, which is the case
 *	where a receiver evaluates every term: each mechanism up to the first
 *	"all", then redirect= when there is no "all". Every term but all, ip4
 *	and ip6 counts against the DNS-query limit and redirect= does too;
 *	the own lookup of a, mx and exists that finds nothing (NXDOMAIN or
 *	NODATA) is a void lookup, counted by the same code as in a check.
 *	Unlike a check, the walk goes on past the limits, so the totals say by
 *	how much a record is over; terms_over and voids_over say where a
 *	check stops with permerror.
 *
 *	Not looked up: the targets of ptr (it needs the client's PTR
 *	names) and of terms whose domain-spec holds macros (they depend on
 *	each message); both are counted and noted. include/redirect loops are
 *	cut (noted), and the walk stops after SPF_AUDIT_MAX_TERMS terms.
 *
 *	ip is the client address whose family (A or AAAA) the a and mx
 *	lookups use; NULL means IPv4. lim NULL means SPF_LIMITS_DEFAULT; its
 *	time limit is not applied. Never logs.
 *
 * OWNERSHIP
 *	The audit owns its strings and arrays; spf_audit_clear() frees them.
 */
#ifndef AM_SPF_AUDIT_H
#define AM_SPF_AUDIT_H

#include "engine/spf.h"

#define SPF_AUDIT_MAX_TERMS 100

/* One record read: the domain itself (depth 0) or an include/redirect target. */
struct spf_audit_node {
	char *domain;	    /* the name whose TXT records were read */
	char *via;	    /* the term that led here ("include:x"), NULL at the top */
	unsigned depth;	    /* 0 at the top */
	char *record;	    /* the one v=spf1 text found, NULL when none or several */
	char *problem;	    /* why this record is unusable, or NULL */
	enum spf_result rc; /* with problem: what check_host() gives here
			     * (none, permerror, temperror) */
	unsigned dns_terms; /* DNS-querying terms of this record itself */
};

enum spf_audit_kind {
	SPF_AUDIT_PERMERROR, /* a check that gets here gives permerror */
	SPF_AUDIT_TEMPERROR, /* a lookup failed while auditing */
	SPF_AUDIT_ADVICE,    /* legal, but likely not what was meant */
	SPF_AUDIT_INFO,	     /* what the audit could not look at */
};

struct spf_audit_note {
	enum spf_audit_kind kind;
	char *text;
};

struct spf_audit {
	struct spf_audit_node *nodes; /* in the order a check reads them */
	size_t n_nodes;
	struct spf_audit_note *notes;
	size_t n_notes;
	unsigned dns_terms;    /* DNS-querying terms of the whole tree */
	unsigned voids;	       /* void lookups of the whole tree */
	struct spf_limits lim; /* the limits counted against */
	char *terms_over;      /* "include:x in the SPF record of y": where the
				* term limit is passed, or NULL */
	char *voids_over;      /* the same for the void-lookup limit, or NULL */
};

void spf_audit_run(struct resolver *r, const struct spf_limits *lim, const char *ip,
		   const char *domain, struct spf_audit *a);
void spf_audit_clear(struct spf_audit *a);

#endif
