/*
 * from - the RFC 5322 From header: who is the author, which domain
 *
 * DESCRIPTION
 *	A hand-written lexer and recursive-descent parser for the RFC 5322
 *	address-list grammar (section 3.4) with the obsolete forms of section
 *	4.4: obs-phrase, obs-local-part, obs-domain, obs-route and empty list
 *	elements. CFWS (whitespace and nested comments) is skipped by the
 *	lexer. Bytes 0x80-0xff are atext (RFC 6532); every domain is turned
 *	into its A-label form (util/idna.h), so U-labels and A-labels of one
 *	domain compare equal, and a domain that is not a valid IDNA2008 name
 *	makes the header unparseable.
 *
 *	Nothing is guessed: unbalanced quotes, comments or angle brackets, a
 *	display name without an angle address, an addr-spec followed by more
 *	words, a domain literal, an encoded word where an address belongs
 *	(RFC 2047 section 5: never in an addr-spec) all give FROM_UNPARSEABLE
 *	with no domain. Every token is lexed a bounded number of times (a
 *	phrase that turns out to be a local-part is lexed again once), so the
 *	work is linear in the input, which is bounded by FROM_MAX_LEN.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/from.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum tok_type {
	T_EOF = 0,
	T_ATOM,
	T_QSTRING, /* start/len cover the text between the quotes */
	T_DLITERAL,
	T_DOT,
	T_AT,
	T_LT,
	T_GT,
	T_COMMA,
	T_COLON,
	T_SEMI,
	T_ERROR,
};

struct tok {
	enum tok_type type;
	size_t start, len;
};

struct parser {
	const unsigned char *s;
	size_t len, pos;
	const char *err; /* first error, static text */
	struct from_result *out;
	size_t cap;
	char errbuf[128]; /* for an error that is not static text */
};

static bool is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct tok lex_fail(struct parser *p, const char *why)
{
	struct tok t = {T_ERROR, p->pos, 0};

	if (p->err == NULL)
		p->err = why;
	return t;
}

/* Skips whitespace and (nested) comments. Returns false on an unterminated
 * comment or a NUL byte, with p->err set. */
static bool lex_skip_cfws(struct parser *p)
{
	size_t depth = 0;

	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];

		if (c == 0) {
			p->err = "NUL byte";
			return false;
		}
		if (depth > 0) {
			if (c == '\\') {
				if (p->pos + 1 >= p->len || p->s[p->pos + 1] == 0)
					break;
				p->pos += 2;
				continue;
			}
			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			p->pos++;
			continue;
		}
		if (c == '(') {
			depth = 1;
			p->pos++;
		} else if (is_wsp(c)) {
			p->pos++;
		} else {
			return true;
		}
	}
	if (depth > 0) {
		p->err = "unbalanced parenthesis (unterminated comment)";
		return false;
	}
	return true;
}

/* A quoted string or domain literal starting at p->pos (the opening char);
 * quoted-pairs are kept as they are. */
static struct tok lex_quoted(struct parser *p, unsigned char close, enum tok_type type)
{
	struct tok t = {type, p->pos + 1, 0};
	size_t i = p->pos + 1;

	while (i < p->len && p->s[i] != close) {
		if (p->s[i] == 0)
			return lex_fail(p, "NUL byte");
		if (type == T_DLITERAL && (p->s[i] == '[' || p->s[i] == ']'))
			return lex_fail(p, "bracket inside a domain literal");
		if (p->s[i] == '\\')
			i++;
		i++;
	}
	if (i >= p->len)
		return lex_fail(p, type == T_QSTRING ? "unbalanced quote" : "unbalanced [");
	t.len = i - t.start;
	p->pos = i + 1;
	return t;
}

static struct tok lex_next(struct parser *p)
{
	static const char punct[] = ".@<>,:;";
	static const enum tok_type ptype[] = {T_DOT, T_AT, T_LT, T_GT, T_COMMA, T_COLON, T_SEMI};
	struct tok t = {T_EOF, 0, 0};
	const char *pc;
	unsigned char c;

	if (p->err != NULL || !lex_skip_cfws(p))
		return lex_fail(p, "syntax error");
	t.start = p->pos;
	if (p->pos >= p->len)
		return t;
	c = p->s[p->pos];
	if (c == '"')
		return lex_quoted(p, '"', T_QSTRING);
	if (c == '[')
		return lex_quoted(p, ']', T_DLITERAL);
	if (is_atext(c)) {
		while (p->pos < p->len && is_atext(p->s[p->pos]))
			p->pos++;
		t.type = T_ATOM;
		t.len = p->pos - t.start;
		return t;
	}
	pc = strchr(punct, c);
	if (pc != NULL && c != 0) {
		p->pos++;
		t.type = ptype[pc - punct];
		t.len = 1;
		return t;
	}
	if (c == ')')
		return lex_fail(p, "unbalanced parenthesis");
	if (c == ']')
		return lex_fail(p, "unbalanced ]");
	return lex_fail(p, "character not allowed outside quotes");
}

static enum tok_type lex_peek(struct parser *p)
{
	size_t save = p->pos;
	struct tok t = lex_next(p);

	p->pos = save;
	return t.type;
}

static bool fail(struct parser *p, const char *why)
{
	if (p->err == NULL)
		p->err = why;
	return false;
}

/* An RFC 2047 encoded-word: "=?" charset "?" encoding "?" text "?=". */
static bool is_encoded_word(const unsigned char *s, size_t len)
{
	size_t i, q = 0;

	if (len < 8 || s[0] != '=' || s[1] != '?' || s[len - 2] != '?' || s[len - 1] != '=')
		return false;
	for (i = 2; i < len - 2; i++)
		q += s[i] == '?';
	return q == 2;
}

/* Checks the characters of the dot-separated labels in sb: letters,
 * digits, '-', '_' or 8-bit bytes, no empty label. The DNS limits are
 * checked on the A-label form (idna_to_alabel). */
static bool domain_check(struct parser *p, const struct strbuf *sb)
{
	size_t i, label = 0;

	if (sb->len == 0 || sb->len > IDNA_MAX_INPUT)
		return fail(p, "domain empty or too long");
	for (i = 0; i < sb->len; i++) {
		unsigned char c = (unsigned char)sb->s[i];

		if (c == '.') {
			if (label == 0)
				return fail(p, "empty domain label");
			label = 0;
			continue;
		}
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return fail(p, "character not allowed in a domain name");
		label++;
	}
	return label > 0 || fail(p, "empty domain label");
}

/* The A-label form of the domain in sb (new string), or NULL with the
 * error set when it is not a valid (internationalized) domain name. */
static char *domain_alabel(struct parser *p, const struct strbuf *sb)
{
	const char *why = NULL;
	char *a = idna_to_alabel(strbuf_str(sb), &why);

	if (a == NULL) {
		snprintf(p->errbuf, sizeof(p->errbuf), "domain is not a valid name: %s", why);
		fail(p, p->errbuf);
	}
	return a;
}

/* domain = dot-atom / obs-domain, plus one trailing dot (removed). A domain
 * literal has no DMARC domain and is refused. Returns a new string. */
static char *parse_domain(struct parser *p)
{
	struct strbuf sb = STRBUF_INIT;
	struct tok t = lex_next(p);
	char *d = NULL;

	if (t.type == T_DLITERAL) {
		fail(p, "domain literal has no domain name");
		return NULL;
	}
	while (t.type == T_ATOM) {
		strbuf_add(&sb, p->s + t.start, t.len);
		if (lex_peek(p) != T_DOT)
			break;
		lex_next(p);
		if (lex_peek(p) != T_ATOM)
			break; /* a trailing dot */
		strbuf_addc(&sb, '.');
		t = lex_next(p);
	}
	if (t.type != T_ATOM)
		fail(p, "expected a domain name after @");
	if (p->err == NULL && domain_check(p, &sb))
		d = domain_alabel(p, &sb);
	strbuf_free(&sb);
	return d;
}

static void add_address(struct parser *p, struct strbuf *local, char *domain)
{
	struct from_result *out = p->out;

	if (out->n_addresses >= FROM_MAX_ADDRESSES) {
		fail(p, "too many addresses");
		free(domain);
		return;
	}
	if (out->n_addresses == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4;
		out->domains = xrealloc(out->domains, p->cap * sizeof(*out->domains));
	}
	if (out->address == NULL)
		out->address = xasprintf("%s@%s", strbuf_str(local), domain);
	out->domains[out->n_addresses++] = domain;
}

/* addr-spec from the current position: local-part "@" domain, where
 * local-part = word *("." word) (dot-atom is a special case). */
static bool parse_addr_spec(struct parser *p)
{
	struct strbuf local = STRBUF_INIT;
	struct tok t;
	char *domain;

	for (;;) {
		t = lex_next(p);
		if (t.type == T_ATOM) {
			if (is_encoded_word(p->s + t.start, t.len))
				break;
			strbuf_add(&local, p->s + t.start, t.len);
		} else if (t.type == T_QSTRING) {
			strbuf_addc(&local, '"');
			strbuf_add(&local, p->s + t.start, t.len);
			strbuf_addc(&local, '"');
		} else {
			break;
		}
		t = lex_next(p);
		if (t.type != T_DOT)
			break;
		strbuf_addc(&local, '.');
	}
	if (t.type != T_AT || local.len == 0) {
		strbuf_free(&local);
		if (t.type == T_ATOM && is_encoded_word(p->s + t.start, t.len))
			return fail(p, "encoded word where an address belongs");
		return fail(p, "display name without <address>, or bad local part");
	}
	domain = parse_domain(p);
	if (domain != NULL)
		add_address(p, &local, domain);
	strbuf_free(&local);
	return domain != NULL && p->err == NULL;
}

/* angle-addr after "<": [obs-route] addr-spec ">" */
static bool parse_angle(struct parser *p)
{
	enum tok_type nt = lex_peek(p);
	char *d;

	if (nt == T_AT || nt == T_COMMA) {
		/* obs-route = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":" */
		for (;;) {
			struct tok t = lex_next(p);

			if (t.type == T_COLON)
				break;
			if (t.type == T_COMMA)
				continue;
			if (t.type != T_AT)
				return fail(p, "bad source route");
			d = parse_domain(p);
			if (d == NULL)
				return false;
			free(d);
		}
	}
	if (lex_peek(p) == T_GT)
		return fail(p, "empty address <>");
	if (!parse_addr_spec(p))
		return false;
	if (lex_next(p).type != T_GT)
		return fail(p, "unbalanced < (missing >)");
	return true;
}

/* Skips a phrase (display name): 1*word with obs-phrase dots after the
 * first word. Returns the number of tokens; 0 when there was none. */
static size_t skip_phrase(struct parser *p)
{
	size_t n = 0;
	enum tok_type t;

	while ((t = lex_peek(p)) == T_ATOM || t == T_QSTRING || (t == T_DOT && n > 0)) {
		lex_next(p);
		n++;
	}
	return n;
}

/* One mailbox or group (group only when allow_group). An empty element
 * (obs-addr-list) is accepted and adds nothing. */
static bool parse_address(struct parser *p, bool allow_group)
{
	size_t start = p->pos, n = skip_phrase(p);

	switch (lex_peek(p)) {
	case T_LT:
		lex_next(p);
		return parse_angle(p);
	case T_AT:
		p->pos = start;
		return parse_addr_spec(p);
	case T_COLON:
		if (n == 0)
			return fail(p, "group without a display name");
		if (!allow_group)
			return fail(p, "group inside a group");
		lex_next(p);
		for (;;) {
			if (lex_peek(p) == T_SEMI) {
				lex_next(p);
				return true;
			}
			if (!parse_address(p, false))
				return false;
			if (lex_peek(p) == T_COMMA)
				lex_next(p);
			else if (lex_peek(p) != T_SEMI)
				return fail(p, "unterminated group (missing ;)");
		}
	case T_COMMA:
	case T_EOF:
	case T_SEMI:
		if (n == 0)
			return true;
		return fail(p, "words without an address");
	case T_GT:
		return fail(p, "unbalanced >");
	case T_DOT:
		return fail(p, "unexpected dot");
	case T_DLITERAL:
		return fail(p, "domain literal outside an address");
	default:
		return fail(p, "unexpected character");
	}
}

static void from_finish(struct from_result *out)
{
	size_t i;

	if (out->n_addresses == 0) {
		out->status = FROM_NO_ADDRESS;
		return;
	}
	out->status = out->n_addresses == 1 ? FROM_OK : FROM_MULTI_SAME_DOMAIN;
	for (i = 1; i < out->n_addresses; i++)
		if (strcmp(out->domains[i], out->domains[0]) != 0)
			out->status = FROM_MULTI_DOMAIN;
	if (out->status != FROM_MULTI_DOMAIN)
		out->domain = xstrdup(out->domains[0]);
}

static void from_unparseable(struct from_result *out, const char *why)
{
	from_result_clear(out);
	out->status = FROM_UNPARSEABLE;
	out->error = xstrdup(why);
}

void from_parse_n(const char *value, size_t len, struct from_result *out)
{
	struct parser p = {(const unsigned char *)value, len, 0, NULL, out, 0, ""};

	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return from_unparseable(out, "no From header value");
	if (len > FROM_MAX_LEN)
		return from_unparseable(out, "From header longer than the limit");
	if (memchr(value, 0, len) != NULL)
		return from_unparseable(out, "NUL byte");
	for (;;) {
		if (!parse_address(&p, true))
			break;
		if (lex_peek(&p) == T_COMMA) {
			lex_next(&p);
			continue;
		}
		if (lex_peek(&p) != T_EOF)
			fail(&p, "unexpected text after an address");
		break;
	}
	if (p.err != NULL)
		return from_unparseable(out, p.err);
	from_finish(out);
}

void from_parse(const char *value, struct from_result *out)
{
	from_parse_n(value, value ? strlen(value) : 0, out);
}

void from_result_clear(struct from_result *fr)
{
	size_t i;

	for (i = 0; i < fr->n_addresses; i++)
		free(fr->domains[i]);
	free(fr->domains);
	free(fr->domain);
	free(fr->address);
	free(fr->error);
	memset(fr, 0, sizeof(*fr));
}

const char *from_status_name(enum from_status st)
{
	switch (st) {
	case FROM_OK:
		return "ok";
	case FROM_MULTI_SAME_DOMAIN:
		return "multi-same-domain";
	case FROM_MULTI_DOMAIN:
		return "multi-domain";
	case FROM_NO_ADDRESS:
		return "no-address";
	case FROM_UNPARSEABLE:
		return "unparseable";
	}
	return "unknown";
}
