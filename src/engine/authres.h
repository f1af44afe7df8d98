/*
 * authres - the Authentication-Results header (RFC 8601)
 *
 * SYNOPSIS
 *	char *value = authres_format("mx.example.org", verdict);
 *	char *id = authres_read_authserv_id(incoming_value);
 *	if (id && authres_id_equal(id, "mx.example.org")) ... forged ...
 *
 * DESCRIPTION
 *	authres_format() writes the field body (what follows
 *	"Authentication-Results:") for a verdict:
 *
 *	 mx.example.org;
 *		spf=pass smtp.mailfrom=user@example.com;
 *		spf=none reason="no SPF record" smtp.helo=mail.example.com;
 *		iprev=pass (mail.example.com) policy.iprev=192.0.2.1;
 *		dkim=pass (2048-bit key) header.d=example.com header.s=sel1
 *		    header.a=rsa-sha256 header.b=abcdEFGH;
 *		dmarc=pass (p=reject sp=quarantine pct=100 dis=none
 *		    discovery=treewalk) header.from=example.com
 *		    policy.dmarc=reject
 *
 *	Layout: the authserv-id on the first line, then one result a line,
 *	each line starting "\n\t" and every result but the last ending ";".
 *	A result that would pass column 78 (the field name counted, a tab
 *	counted as one character) is folded between its parts with "\n\t\t";
 *	never inside a quoted-string. A part longer than a line stays whole.
 *	The parts of a result, in order: method=result, an optional comment
 *	(written by us, never message data), reason="..." when the result is
 *	not pass and the engine gave a non-empty reason, then the properties.
 *
 *	Results: spf= for the MAIL FROM identity (smtp.mailfrom, the whole
 *	identity local@domain), spf= for the HELO identity (smtp.helo) when
 *	there is one, iprev= when it was checked (policy.iprev: the client
 *	address, as RFC 8601 2.7.3 defines it; on pass the comment is the PTR
 *	name that maps back, written only when it is a host name of letters,
 *	digits, hyphens and dots), one dkim= per signature (header.d,
 *	header.s, header.a, header.b) or a single dkim=none, and dmarc= with header.from (the
 *	author domain) and policy.dmarc. The dmarc comment, when a record was
 *	found, is "p=.. [sp=..] [np=..] pct=N [t=y] dis=.. discovery=.."
 *	where dis is the disposition after pct/t= sampling and discovery how
 *	the record was found, "treewalk" or "psl" (dmarc.h); the comment may
 *	be folded before "discovery=" (FWS inside a comment, RFC 5322 3.2.2;
 *	a second comment would make python-authres 1.2.0 lose the reason);
 *	policy.dmarc is that disposition for dmarc=fail and the applicable
 *	policy (p, sp or np) otherwise, as the IANA registry entry from RFC
 *	7489 describes it ("evaluated DMARC policy applied/to be applied").
 *	At most AUTHRES_DKIM_MAX signatures are listed.
 *
 *	Values from the message or the envelope (domains, selectors,
 *	addresses, algorithm, header.b, reasons) go through authres_value():
 *	at most AUTHRES_VALUE_MAX bytes are kept; every byte outside printable
 *	US-ASCII (CR, LF, TAB, other controls, 8-bit bytes) is replaced by
 *	"?", so the header is 7-bit and one logical line whatever the input
 *	(a NUL cannot occur: values are C strings). The result is written as
 *	is when it is an RFC 2045 token, or (property values only, not
 *	reasons) local-part@domain-name / @domain-name with a dot-atom local
 *	part whose characters are token characters; otherwise as a quoted-string
 *	with "\" and '"' written as quoted-pairs. So no value can end a
 *	result, start a comment or a new line. Properties whose value needed
 *	quoting are written after the others: python-authres 1.2.0 silently
 *	drops a quoted property value that is not the last of its result.
 *
 *	authres_read_authserv_id() returns the authserv-id a field body
 *	claims: after optional CFWS (folding white space and nested comments
 *	with quoted-pairs), a token or quoted-string (unquoted, folding
 *	removed) that ends at white space, "(", ";" or the end of the value.
 *	It does not require the rest of the value to be valid: a malformed
 *	header that claims our id is still a header claiming our id, and the
 *	safe reading for forged-header removal is the lenient one. NULL when
 *	there is no such id (empty value, unterminated comment or quoted
 *	string, a value glued to other characters, control characters).
 *
 *	authres_valid() checks a whole field body against the RFC 8601
 *	grammar (section 2.2), with RFC 6532 UTF-8 allowed in quoted-strings
 *	and comments, and LF or CRLF folding.
 *
 * OWNERSHIP
 *	authres_format(), authres_value() and authres_read_authserv_id()
 *	return new strings the caller frees. Nothing keeps a pointer to its
 *	arguments.
 */
#ifndef AM_AUTHRES_H
#define AM_AUTHRES_H

#include <stdbool.h>

#include "engine/verdict.h"

#define AUTHRES_FOLD_COLUMN 78
#define AUTHRES_VALUE_MAX 256 /* bytes kept of one value from the message */
#define AUTHRES_DKIM_MAX 16   /* dkim= results listed */

/* The field body for v; authserv_id is ours (configured), NULL is "". */
char *authres_format(const char *authserv_id, const struct verdict *v);

/* s (NULL is "") as an RFC 8601 property value (pvalue), sanitized as
 * described above. */
char *authres_value(const char *s);

/* " authserv-id; none (why)": RFC 8601's no-result, for a message that was
 * not checked. why is our own text (a comment, no parentheses in it). */
char *authres_format_none(const char *authserv_id, const char *why);

/* An RFC 2045 token character: printable ASCII but SP and tspecials. */
bool authres_token_char(unsigned char c);

char *authres_read_authserv_id(const char *value);

/* A parsed field body: the results and their properties, as written
 * (method and result keywords, ptype, property and value; a quoted value
 * unquoted). Comments and reasons are skipped. */
struct authres_prop {
	char *ptype, *name, *value;
};
struct authres_res {
	char *method, *result;
	struct authres_prop *props;
	size_t n_props;
};
struct authres_parsed {
	char *authserv_id;
	struct authres_res *res;
	size_t n;
};

/* Parses a field body under the strict grammar (as authres_valid(), with
 * the authres-version token and comments holding ";"). lenient also skips
 * a bare "keyword=value" where a property belongs (Microsoft writes
 * "dmarc=pass action=none header.from=..."). 0, or -1 when it is not
 * valid (p is then empty). p may be NULL. */
int authres_parse(const char *value, struct authres_parsed *p, bool lenient);
void authres_parsed_clear(struct authres_parsed *p);
/* The value of ptype.name in r (case-insensitive names), or NULL. */
const char *authres_prop(const struct authres_res *r, const char *ptype, const char *name);

/* Whether value is a syntactically valid field body (RFC 8601 2.2). */
bool authres_valid(const char *value);

/* Same authserv-id, compared as RFC 8601 asks: case-insensitive, a
 * single trailing dot ignored on either side. NULL equals nothing. */
bool authres_id_equal(const char *a, const char *b);

#endif
