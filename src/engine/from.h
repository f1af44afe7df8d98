/*
 * from - the RFC 5322 From header: who is the author, which domain
 *
 * SYNOPSIS
 *	struct from_result fr;
 *	from_parse(value, &fr);
 *	... fr.status, fr.domain ...
 *	from_result_clear(&fr);
 *
 * DESCRIPTION
 *	Parses one From header field body (the text after "From:", unfolded or
 *	not) as an RFC 5322 mailbox-list / address-list: display names, quoted
 *	strings, comments (nested), quoted-pairs, groups, obsolete routes and
 *	RFC 2047 encoded words in display names. The author domain is the
 *	domain of the addr-spec; a display name that looks like an address
 *	never counts. The result says whether the header held exactly one
 *	domain (possibly in several addresses: FROM_MULTI_SAME_DOMAIN), several
 *	domains, no address, or could not be parsed. Domains are returned in
 *	their A-label form (RFC 8616: U-labels converted, lower case, no
 *	trailing dot; see util/idna.h), so "b\xc3\xbccher.example" and
 *	"XN--BCHER-KVA.example" are one domain; a domain that is not a valid
 *	IDNA2008 name makes the header FROM_UNPARSEABLE.
 *
 * OWNERSHIP
 *	The result owns its strings; from_result_clear() frees them.
 */
#ifndef AM_FROM_H
#define AM_FROM_H

#include <stddef.h>

enum from_status {
	FROM_OK = 0,		/* one address, one domain */
	FROM_MULTI_SAME_DOMAIN, /* several addresses, all in one domain */
	FROM_MULTI_DOMAIN,	/* addresses in different domains */
	FROM_NO_ADDRESS,	/* empty, or only an empty group */
	FROM_UNPARSEABLE,	/* syntax the parser cannot read; no domain */
};

struct from_result {
	enum from_status status;
	char *domain;  /* author domain when status is FROM_OK or _SAME_DOMAIN */
	char *address; /* first addr-spec, local@domain */
	size_t n_addresses;
	char **domains; /* every address's domain, in order (n_addresses) */
	char *error;	/* what was wrong, when FROM_UNPARSEABLE */
};

/* Limits: input over FROM_MAX_LEN bytes or with more than FROM_MAX_ADDRESSES
 * addresses is FROM_UNPARSEABLE. Work is linear in the input length. */
#define FROM_MAX_LEN 16384
#define FROM_MAX_ADDRESSES 64

/* Parses value (NUL-terminated). Always fills out; never fails otherwise. */
void from_parse(const char *value, struct from_result *out);
/* The same for len bytes that may contain NUL (a NUL is FROM_UNPARSEABLE). */
void from_parse_n(const char *value, size_t len, struct from_result *out);
void from_result_clear(struct from_result *fr);
const char *from_status_name(enum from_status st);

#endif
