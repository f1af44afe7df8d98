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

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS];
 * its text (a quoted-string unquoted) into out when out is not NULL. */
static bool ar_pvalue(struct ar_cur *c, struct strbuf *out)
{
	size_t start;

	if (ar_cfws(c) < 0)
		return false;
	start = c->i;
	if (AR_PEEK(c) == '"') {
		if (ar_quoted(c, out) <= 0)
			return false;
		start = c->i;
		if (AR_PEEK(c) == '@' && (c->i++, !ar_domain(c)))
			return false;
		if (out != NULL)
			strbuf_add(out, c->s + start, c->i - start);
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
	if (out != NULL)
		strbuf_add(out, c->s + start, c->i - start);
	return ar_cfws(c) >= 0;
}

/* The text of [start, c->i) as a new string, for r when r is not NULL. */
static char *ar_take(const struct ar_cur *c, size_t start)
{
	return xmemdup0(c->s + start, c->i - start);
}

static void ar_add_prop(struct authres_res *r, const struct ar_cur *c, size_t ptype,
			size_t ptype_end, size_t name, size_t name_end, struct strbuf *value)
{
	struct authres_prop *p;

	r->props = xrealloc(r->props, (r->n_props + 1) * sizeof(*r->props));
	p = &r->props[r->n_props++];
	p->ptype = xmemdup0(c->s + ptype, ptype_end - ptype);
	p->name = xmemdup0(c->s + name, name_end - name);
	p->value = strbuf_detach(value);
}

/* methodspec [CFWS reasonspec] [CFWS 1*propspec], after the ";"; what it
 * says into r when r is not NULL. */
static bool ar_resinfo(struct ar_cur *c, struct authres_res *r, bool lenient)
{
	struct strbuf v = STRBUF_INIT;
	size_t start, pt, pte, pn, pne;
	int ws;

	if (ar_cfws(c) < 0)
		return false;
	start = c->i;
	if (ar_keyword(c) == 0)
		return false;
	if (r != NULL)
		r->method = ar_take(c, start);
	if (ar_cfws(c) < 0)
		return false;
	if (AR_PEEK(c) == '/') {
		if (!ar_expect(c, '/') || !ar_digits(c) || ar_cfws(c) < 0)
			return false;
	}
	if (!ar_expect(c, '='))
		return false;
	start = c->i;
	if (ar_keyword(c) == 0)
		return false;
	if (r != NULL)
		r->result = ar_take(c, start);
	if ((ws = ar_cfws(c)) < 0)
		return false;
	if (ws && ar_is_keyword(c, "reason")) {
		c->i += strlen("reason");
		if (!ar_expect(c, '=') || ar_value(c, NULL) <= 0 || (ws = ar_cfws(c)) < 0)
			return false;
	}
	if (!ws)
		return true;
	while (ar_alnum(AR_PEEK(c))) {
		pt = c->i;
		if (ar_keyword(c) == 0)
			return false;
		pte = c->i;
		if (lenient && ar_cfws(c) >= 0 && AR_PEEK(c) == '=') {
			/* "action=none": not ptype.property, skipped */
			if (!ar_expect(c, '=') || !ar_pvalue(c, NULL))
				return false;
			continue;
		}
		if (!ar_expect(c, '.'))
			return false;
		pn = c->i;
		if (ar_keyword(c) == 0)
			return false;
		pne = c->i;
		if (!ar_expect(c, '=') || !ar_pvalue(c, r != NULL ? &v : NULL)) {
			strbuf_free(&v);
			return false;
		}
		if (r != NULL)
			ar_add_prop(r, c, pt, pte, pn, pne, &v);
	}
	return true;
}

/* One more result in p (when p is not NULL). */
static struct authres_res *ar_next_res(struct authres_parsed *p)
{
	if (p == NULL)
		return NULL;
	p->res = xrealloc(p->res, (p->n + 1) * sizeof(*p->res));
	memset(&p->res[p->n], 0, sizeof(p->res[p->n]));
	return &p->res[p->n++];
}

int authres_parse(const char *value, struct authres_parsed *p, bool lenient)
{
	struct ar_cur c = {(const unsigned char *)(value ? value : ""), 0};
	struct strbuf id = STRBUF_INIT;
	int ws;
	bool first = true;

	if (p != NULL)
		memset(p, 0, sizeof(*p));
	if (ar_cfws(&c) < 0 || ar_value(&c, &id) <= 0 || (ws = ar_cfws(&c)) < 0)
		goto bad;
	if (p != NULL)
		p->authserv_id = strbuf_detach(&id);
	/* authres-version: "mx.microsoft.com 1;" */
	if (ws && ar_digits(&c) && ar_cfws(&c) < 0)
		goto bad;
	for (;;) {
		if (ar_cfws(&c) < 0)
			goto bad;
		if (AR_PEEK(&c) != ';')
			break;
		c.i++;
		if (ar_cfws(&c) < 0)
			goto bad;
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
		if (!ar_resinfo(&c, ar_next_res(p), lenient))
			goto bad;
		first = false;
	}
	if (first)
		goto bad;
	if (AR_PEEK(&c) == '\r' && c.s[c.i + 1] == '\n')
		c.i += 2;
	else if (AR_PEEK(&c) == '\n')
		c.i++;
	if (AR_PEEK(&c) != '\0')
		goto bad;
	strbuf_free(&id);
	return 0;
bad:
	strbuf_free(&id);
	authres_parsed_clear(p);
	return -1;
}

bool authres_valid(const char *value)
{
	return authres_parse(value, NULL, false) == 0;
}

void authres_parsed_clear(struct authres_parsed *p)
{
	size_t i, k;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		for (k = 0; k < p->res[i].n_props; k++) {
			free(p->res[i].props[k].ptype);
			free(p->res[i].props[k].name);
			free(p->res[i].props[k].value);
		}
		free(p->res[i].props);
		free(p->res[i].method);
		free(p->res[i].result);
	}
	free(p->res);
	free(p->authserv_id);
	memset(p, 0, sizeof(*p));
}

const char *authres_prop(const struct authres_res *r, const char *ptype, const char *name)
{
	size_t k;

	for (k = 0; k < r->n_props; k++)
		if (strcasecmp(r->props[k].ptype, ptype) == 0 &&
		    strcasecmp(r->props[k].name, name) == 0)
			return r->props[k].value;
	return NULL;
}
