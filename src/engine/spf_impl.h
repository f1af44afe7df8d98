/*
 * spf_impl - what the SPF files share among themselves (not a public API)
 *
 * DESCRIPTION
 *	spf.c          check_host(), record selection, explanations, the API
 *	spf_mech.c     mechanisms that query DNS (a mx ptr exists), %{p}
 *	spf_record.c   record syntax: terms, modifiers, CIDR lengths
 *	spf_macro.c    macro-string syntax and expansion (RFC 7208 section 7)
 *	spf_ahead.c    the lookups of a check, started as soon as MAIL or HELO
 *	spf_audit.c    a domain's record tree, counted as check_host() counts
 *
 *	Every bound that SPF input can push is named here.
 */
#ifndef AM_SPF_IMPL_H
#define AM_SPF_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/spf.h"
#include "util/addr.h"
#include "util/strbuf.h"

#define SPF_MAX_RECORD 4096    /* bytes of one v=spf1 record */
#define SPF_MAX_IDENTITY 512   /* bytes of a sender or HELO identity */
#define SPF_MAX_EXPANSION 2048 /* bytes of one macro expansion */
#define SPF_MAX_DOMAIN 253     /* an expanded domain is cut to this (7.3) */
#define SPF_MAX_DEPTH 20       /* nested include/redirect (the 10-term limit bites first) */

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	enum spf_result qual;  /* PASS, FAIL, SOFTFAIL or NEUTRAL */
	const char *text;      /* the term as written, for reasons */
	char *spec;	       /* domain-spec, NULL when absent */
	unsigned cidr4, cidr6; /* a, mx: prefix lengths (default 32, 128) */
	struct am_cidr net;    /* ip4, ip6 */
};

struct spf_record {
	char *buf; /* the record, terms NUL-separated */
	struct spf_term *terms;
	size_t n;
	char *redirect; /* domain-spec or NULL */
	char *exp;	/* domain-spec or NULL */
};

/* One check: the inputs of check_host() and what it has spent so far. */
struct spf_ctx {
	struct resolver *r;
	struct spf_limits lim;
	struct am_addr ip;  /* the client, IPv4-mapped already unmapped */
	const char *sender; /* local@domain after the postmaster rule */
	const char *local;
	const char *sender_domain;
	const char *helo;
	const char *receiver;
	unsigned dns_terms;	 /* include a mx ptr exists redirect evaluated */
	unsigned voids;		 /* lookups that gave NXDOMAIN or NODATA */
	double deadline;	 /* CLOCK_MONOTONIC seconds; 0 = none */
	char *p_domain, *p_name; /* %{p} cache: the name found for p_domain */
	char *explanation;
	struct strbuf reason;
};

/* spf_record.c */
bool spf_record_is_spf(const char *txt, size_t len);
/* Parses a whole record; false with a reason in *why on any syntax error. */
bool spf_record_parse(const char *txt, size_t len, struct spf_record *rec, struct strbuf *why);
void spf_record_free(struct spf_record *rec);

/* spf_macro.c */
enum spf_macro_mode {
	SPF_MACRO_DOMAIN,   /* a domain-spec: no c r t, no spaces; result is a name */
	SPF_MACRO_MODIFIER, /* an unknown modifier's macro-string: any letter */
	SPF_MACRO_EXP,	    /* explanation text: c r t and spaces allowed */
};
bool spf_macro_valid(const char *s, size_t len, enum spf_macro_mode mode);
bool spf_domain_spec_valid(const char *s, size_t len);
/*
 * Expands s for the current domain. DOMAIN mode drops one trailing dot and
 * cuts labels off the left until the name fits 253 octets. Returns a new
 * string, or NULL on a syntax error or an expansion over SPF_MAX_EXPANSION.
 */
char *spf_macro_expand(struct spf_ctx *c, const char *domain, const char *s,
		       enum spf_macro_mode mode);
void spf_ip_nibbles(const struct am_addr *a, bool reverse, struct strbuf *out);

/* spf_mech.c */
/* Returns 1 match, 0 no match, -1 with *res set (temperror, permerror). */
int spf_mech_lookup(struct spf_ctx *c, const struct spf_term *t, const char *target,
		    enum spf_result *res);
const char *spf_ptr_name(struct spf_ctx *c, const char *domain);

/* spf.c */
/* An identity's domain in its A-label form: a new string, or NULL with
 * *why set (not valid IDNA2008). ASCII names lose a trailing dot only. */
char *spf_alabel(const char *d, const char **why);
/* The MAIL FROM identity as check_host() gets it: angle brackets off; a
 * null sender is postmaster@helo, a missing or empty local part is
 * postmaster (RFC 7208 2.4). *local and *domain point into *buf (or are
 * helo, or a constant); free *buf. */
void spf_mailfrom_identity(const char *mailfrom, const char *helo, char **buf, const char **local,
			   const char **domain);
/* RFC 7208 4.3: a multi-label name of valid length, not a domain literal. */
bool spf_domain_valid(const char *d);
/*
 * Finds and parses the one v=spf1 record of domain (4.5). Returns false
 * with *res and the reason set when there is none (none), more than one
 * or a bad one (permerror), or the lookup failed (temperror). text, when
 * not NULL, gets a copy of the record whenever exactly one was found,
 * parsed or not (free it); else it is left alone.
 */
bool spf_fetch_record(struct spf_ctx *c, const char *domain, struct spf_record *rec,
		      enum spf_result *res, char **text);
void spf_reason(struct spf_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool spf_count_void(struct spf_ctx *c, const char *name, enum spf_result *res);

#endif
