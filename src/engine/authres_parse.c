/*
 * authres_parse - read incoming Authentication-Results field bodies
 *
 * DESCRIPTION
 *	authres_read_authserv_id() (lenient: which id does a header claim),
 *	authres_valid() (strict RFC 8601 section 2.2 grammar) and
 *	authres_id_equal(). Both readers walk the value once with a cursor;
 *	comments nest with a counter, not recursion, so no input can exhaust
 *	the stack, and time is linear in the length of the value (the field
 *	size is limited by the daemon before it gets here).
 *
 *	FWS is [*WSP (CRLF / LF)] 1*WSP: a line break must be followed by
 *	white space. Quoted-strings and comments accept 8-bit bytes (RFC 6532
 *	UTF8-non-ascii); tokens and keywords are US-ASCII.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/authres.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct ar_cur {
	const unsigned char *s;
	size_t i;
};

#define AR_PEEK(c) ((c)->s[(c)->i])

static bool ar_wsp(unsigned char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool ar_alnum(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

bool authres_token_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("()<>@,;:\\\"/[]?=", ch);
}

static bool ar_atext(unsigned char ch)
{
	return ar_alnum(ch) || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch));
}

/* Length of a line break at s ("\r\n" or "\n") followed by WSP, else 0. */
static size_t ar_fold_at(const unsigned char *s)
{
	size_t n = s[0] == '\r' && s[1] == '\n' ? 2 : s[0] == '\n' ? 1 : 0;

	return n && ar_wsp(s[n]) ? n : 0;
}

/* Skips FWS; true when anything was skipped. */
static bool ar_fws(struct ar_cur *c)
{
	size_t start = c->i, n;

	for (;;) {
		while (ar_wsp(AR_PEEK(c)))
			c->i++;
		n = ar_fold_at(c->s + c->i);
		if (n == 0)
			break;
		c->i += n;
	}
	return c->i > start;
}

/* Skips one comment at the cursor: 1 skipped, 0 none there, -1 bad. */
static int ar_comment(struct ar_cur *c)
{
	size_t depth = 0;
	unsigned char ch;

	if (AR_PEEK(c) != '(')
		return 0;
	do {
		ar_fws(c);
		ch = AR_PEEK(c);
		if (ch == '(') {
			depth++;
		} else if (ch == ')') {
			depth--;
		} else if (ch == '\\') {
			c->i++;
			if (AR_PEEK(c) < 0x20 && !ar_wsp(AR_PEEK(c)))
				return -1;
		} else if (ch < 0x21 || ch == 0x7f) {
			return -1; /* end of value, bare CR/LF, control */
		}
		c->i++;
	} while (depth > 0);
	return 1;
}

/* Skips CFWS: 1 skipped something, 0 nothing, -1 bad comment. */
static int ar_cfws(struct ar_cur *c)
{
	size_t start = c->i;
	int r;

	do {
		ar_fws(c);
		r = ar_comment(c);
		if (r < 0)
			return -1;
	} while (r > 0);
	return c->i > start;
}

/* A quoted-string at the cursor, its content (folding removed, quoted-
 * pairs resolved) appended to out when out is not NULL: 1, 0 not one,
 * -1 bad. */
static int ar_quoted(struct ar_cur *c, struct strbuf *out)
{
	unsigned char ch;
	size_t n;

	if (AR_PEEK(c) != '"')
		return 0;
	c->i++;
	for (;;) {
		ch = AR_PEEK(c);
		if (ch == '"') {
			c->i++;
			return 1;
		}
		if ((n = ar_fold_at(c->s + c->i)) > 0) {
			c->i += n; /* the line break goes, the WSP stays */
			continue;
		}
		if (ch == '\\') {
			ch = c->s[++c->i];
			if (ch < 0x20 && !ar_wsp(ch))
				return -1;
		} else if ((ch < 0x20 && !ar_wsp(ch)) || ch == 0x7f) {
			return -1;
		}
		if (out)
			strbuf_addc(out, (char)ch);
		c->i++;
	}
}

static size_t ar_token(struct ar_cur *c)
{
	size_t start = c->i;

	while (authres_token_char(AR_PEEK(c)))
		c->i++;
	return c->i - start;
}

/* A value (token / quoted-string): 1, 0 not there, -1 bad. */
static int ar_value(struct ar_cur *c, struct strbuf *out)
{
	size_t start = c->i;

	if (AR_PEEK(c) == '"')
		return ar_quoted(c, out);
	if (ar_token(c) == 0)
		return 0;
	if (out)
		strbuf_add(out, c->s + start, c->i - start);
	return 1;
}

char *authres_read_authserv_id(const char *value)
{
	struct ar_cur c = {(const unsigned char *)(value ? value : ""), 0};
	struct strbuf id = STRBUF_INIT;
	unsigned char ch;

	if (ar_cfws(&c) < 0 || ar_value(&c, &id) <= 0 || id.len == 0)
		goto none;
	ch = AR_PEEK(&c);
	if (ch && !ar_wsp(ch) && ch != '\r' && ch != '\n' && ch != '(' && ch != ';')
		goto none;
	return strbuf_detach(&id);
none:
	strbuf_free(&id);
	return NULL;
}

bool authres_id_equal(const char *a, const char *b)
{
	size_t na, nb;

	if (!a || !b)
		return false;
	na = strlen(a);
	nb = strlen(b);
	if (na > 0 && a[na - 1] == '.')
		na--;
	if (nb > 0 && b[nb - 1] == '.')
		nb--;
	return na == nb && strncasecmp(a, b, na) == 0;
}

/* ---- strict grammar ---- */

/* Keyword = ldh-str (RFC 5321): let-dig *(let-dig / "-"), not ending in
 * "-". Returns its length, 0 when there is none or it ends in "-". */
static size_t ar_keyword(struct ar_cur *c)
{
	size_t start = c->i;

	if (!ar_alnum(AR_PEEK(c)))
		return 0;
	while (ar_alnum(AR_PEEK(c)) || AR_PEEK(c) == '-')
		c->i++;
	if (c->s[c->i - 1] == '-')
		return 0;
	return c->i - start;
}

/* Whether keyword kw (case-insensitive) starts at the cursor and is
 * followed by a non-keyword character; does not move the cursor. */
static bool ar_is_keyword(const struct ar_cur *c, const char *kw)
{
	size_t n = strlen(kw);
	unsigned char next;

	/* Only after a match are the n bytes known to be there (no NUL among
	 * them), so the byte after them is in bounds. */
	if (strncasecmp((const char *)c->s + c->i, kw, n) != 0)
		return false;
	next = c->s[c->i + n];
	return !ar_alnum(next) && next != '-';
}

static bool ar_digits(struct ar_cur *c)
{
	size_t start = c->i;

	while (AR_PEEK(c) >= '0' && AR_PEEK(c) <= '9')
		c->i++;
	return c->i > start;
}

static bool ar_expect(struct ar_cur *c, unsigned char ch)
{
	if (ar_cfws(c) < 0 || AR_PEEK(c) != ch)
		return false;
	c->i++;
	return ar_cfws(c) >= 0;
}

/* RFC 6376 domain-name at the cursor. */
static bool ar_domain(struct ar_cur *c)
{
	do {
		if (ar_keyword(c) == 0)
			return false;
	} while (AR_PEEK(c) == '.' && ar_alnum(c->s[c->i + 1]) && ++c->i);
	return true;
}

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS] */
static bool ar_pvalue(struct ar_cur *c)
{
	size_t start;

	if (ar_cfws(c) < 0)
		return false;
	start = c->i;
	if (AR_PEEK(c) == '"') {
		if (ar_quoted(c, NULL) <= 0)
			return false;
		if (AR_PEEK(c) == '@' && (c->i++, !ar_domain(c)))
			return false;
		return ar_cfws(c) >= 0;
	}
	/* dot-atom "@" domain-name? */
	while (ar_atext(AR_PEEK(c)) ||
	       (AR_PEEK(c) == '.' && c->i > start && ar_atext(c->s[c->i + 1])))
		c->i++;
	if (AR_PEEK(c) == '@') {
		c->i++;
		if (!ar_domain(c))
			return false;
	} else {
		c->i = start;
		if (ar_token(c) == 0)
			return false;
	}
	return ar_cfws(c) >= 0;
}

/* methodspec [CFWS reasonspec] [CFWS 1*propspec], after the ";". */
static bool ar_resinfo(struct ar_cur *c)
{
	int ws;

	if (ar_cfws(c) < 0 || ar_keyword(c) == 0 || ar_cfws(c) < 0)
		return false;
	if (AR_PEEK(c) == '/') {
		if (!ar_expect(c, '/') || !ar_digits(c) || ar_cfws(c) < 0)
			return false;
	}
	if (!ar_expect(c, '=') || ar_keyword(c) == 0 || (ws = ar_cfws(c)) < 0)
		return false;
	if (ws && ar_is_keyword(c, "reason")) {
		c->i += strlen("reason");
		if (!ar_expect(c, '=') || ar_value(c, NULL) <= 0 || (ws = ar_cfws(c)) < 0)
			return false;
	}
	if (!ws)
		return true;
	while (ar_alnum(AR_PEEK(c))) {
		if (ar_keyword(c) == 0 || !ar_expect(c, '.') || ar_keyword(c) == 0 ||
		    !ar_expect(c, '=') || !ar_pvalue(c))
			return false;
	}
	return true;
}

bool authres_valid(const char *value)
{
	struct ar_cur c = {(const unsigned char *)(value ? value : ""), 0};
	int ws;
	bool first = true;

	if (ar_cfws(&c) < 0 || ar_value(&c, NULL) <= 0 || (ws = ar_cfws(&c)) < 0)
		return false;
	if (ws && ar_digits(&c) && ar_cfws(&c) < 0)
		return false;
	for (;;) {
		if (ar_cfws(&c) < 0)
			return false;
		if (AR_PEEK(&c) != ';')
			break;
		c.i++;
		if (ar_cfws(&c) < 0)
			return false;
		if (first && ar_is_keyword(&c, "none")) {
			struct ar_cur save = c;

			c.i += strlen("none");
			if (ar_cfws(&c) >= 0 && AR_PEEK(&c) != ';' && AR_PEEK(&c) != '=' &&
			    AR_PEEK(&c) != '/') {
				first = false;
				break; /* no-result: nothing may follow */
			}
			c = save;
		}
		if (!ar_resinfo(&c))
			return false;
		first = false;
	}
	if (first)
		return false;
	if (AR_PEEK(&c) == '\r' && c.s[c.i + 1] == '\n')
		c.i += 2;
	else if (AR_PEEK(&c) == '\n')
		c.i++;
	return AR_PEEK(&c) == '\0';
}
