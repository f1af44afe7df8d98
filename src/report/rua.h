/*
 * rua - the aggregate report URIs of a DMARC record, read defensively
 *
 * SYNOPSIS
 *	struct rua_list l;
 *	rua_parse(policy.rua, max_uris, &l);
 *	for (i = 0; i < l.n; i++) ... l.v[i].addr, l.v[i].host ...
 *	for (i = 0; i < l.n_refused; i++) ... log l.refused[i] ...
 *	rua_list_clear(&l);
 *
 * DESCRIPTION
 *	The rua tag is a comma-separated list of URIs (RFC 9989 4.7); the
 *	text comes from DNS and is hostile until proven otherwise. Each
 *	element, whitespace around it removed:
 *	 - the obsolete size suffix "!<digits>[kmgt]" is dropped (RFC 9989
 *	   C.4: reporters ignore it);
 *	 - a space, control character or 8-bit byte anywhere, hfields
 *	   included, is refused ("not a URI (...)"): no URI holds them raw,
 *	   so uri below is printable ASCII;
 *	 - a scheme other than mailto: is refused ("unsupported scheme"),
 *	   compared without regard to case (RFC 3986 3.1: "MAILTO:" is
 *	   mailto:); no scheme at all is "not a URI";
 *	 - hfields ("?subject=...", "?bcc=...", "?to=...") are dropped, never
 *	   used: a report goes to the one mailbox of the URI and nowhere
 *	   else;
 *	 - before decoding, the address part may hold only RFC 6068 qchar
 *	   bytes without ',' and '!' (RFC 9989: both must be encoded): no raw
 *	   space, quote, angle bracket, '#', CR, LF or 8-bit byte, and every
 *	   '%' starts a valid %XX;
 *	 - the address is percent-decoded and must then be one addr-spec
 *	   local@domain with a dot-atom local part of at most 64 bytes
 *	   (RFC 5321 4.5.3.1.1) and a domain that is a valid host name
 *	   (letters, digits, hyphens; an A-label form, so a U-label, raw or
 *	   encoded, is refused; at least two labels; a last label not all
 *	   digits; no trailing dot); nothing else: no second address, no
 *	   comma, no quotes, no CR, LF or other control character, no
 *	   spaces. Anything else is refused ("not one mailbox (...)");
 *	 - the same address twice counts once (the domain compared without
 *	   case, the local part exactly), without a refusal line; an empty
 *	   element ("a,,b", a trailing comma) is skipped the same way.
 *	At most max_uris are kept, in the order given; the rest are refused
 *	("over the limit of N"). Each refusal is one line of text for the
 *	log, 'rua element "<element>" refused: <why>', the element escaped
 *	(util/escape.h, and '"' as \x22) and cut at 80 bytes ("..." after
 *	the quote then); at most RUA_MAX_REFUSED lines are kept, then one
 *	saying how many more ("N more rua elements refused"). An element
 *	longer than RUA_MAX_URI bytes is refused unread ("too long").
 *	The work is linear in the length of rua (times max_uris).
 */
#ifndef AM_REPORT_RUA_H
#define AM_REPORT_RUA_H

#include <stdbool.h>
#include <stddef.h>

#define RUA_MAX_URI 512
#define RUA_MAX_REFUSED 10

struct rua_uri {
	char *uri;  /* the element as published, trimmed (size suffix kept) */
	char *addr; /* local@domain, decoded; the domain lower case */
	char *host; /* the domain of addr */
};

struct rua_list {
	struct rua_uri *v;
	size_t n;
	char **refused; /* log lines */
	size_t n_refused;
};

/* Fills out (always; out->n may be 0) and returns out->n. rua may be NULL. */
size_t rua_parse(const char *rua, size_t max_uris, struct rua_list *out);
void rua_list_clear(struct rua_list *l);
/* Whether rua holds at least one usable mailto: URI (the recorder's test). */
bool rua_usable(const char *rua);

#endif
