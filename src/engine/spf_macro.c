/*
 * spf_macro - macro-string syntax and expansion, RFC 7208 section 7
 *
 * DESCRIPTION
 *	A macro-string is literals and macro-expands: "%%" "%_" "%-" and
 *	"%{" letter [digits] ["r"] *delimiter "}". One tokenizer serves the
 *	syntax checks (record parse time) and the expansion (evaluation time),
 *	so the two cannot disagree.
 *
 *	Letters c, r and t are only allowed in explanation text; spaces only
 *	there too. An upper-case letter expands like its lower-case form and
 *	is then URL-escaped (everything outside ALPHA DIGIT "-" "." "_" "~").
 *	%{i} of an IPv6 client is its 32 nibbles, written in upper case as the
 *	OpenSPF suite expects (DNS names compare case-insensitively anyway).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/spf_impl.h"
#include "util/xalloc.h"

enum mtok_kind { MTOK_LITERAL, MTOK_ESCAPE, MTOK_MACRO };

struct mtok {
	enum mtok_kind kind;
	char ch;	 /* the literal, the escape char, or the macro letter as written */
	unsigned digits; /* right-hand parts to keep; 0 = all */
	bool reverse;
	char delims[8]; /* NUL-terminated set; empty = "." */
};

static bool in_set(const char *set, char ch)
{
	return ch != '\0' && strchr(set, ch) != NULL;
}

/* Reads one token at s[*pos] and advances *pos; false on a syntax error. */
static bool mtok_next(const char *s, size_t len, size_t *pos, enum spf_macro_mode mode,
		      struct mtok *t)
{
	size_t p = *pos, nd = 0;
	unsigned char ch = (unsigned char)s[p];
	char lower;

	memset(t, 0, sizeof(*t));
	if (ch != '%') {
		if (ch == ' ' ? mode != SPF_MACRO_EXP : (ch < 0x21 || ch > 0x7e))
			return false;
		t->kind = MTOK_LITERAL;
		t->ch = (char)ch;
		*pos = p + 1;
		return true;
	}
	if (p + 1 < len && in_set("%_-", s[p + 1])) {
		t->kind = MTOK_ESCAPE;
		t->ch = s[p + 1];
		*pos = p + 2;
		return true;
	}
	if (p + 2 >= len || s[p + 1] != '{')
		return false;
	p += 2;
	t->kind = MTOK_MACRO;
	t->ch = s[p];
	lower = (char)tolower((unsigned char)s[p]);
	if (!in_set("slodiphcrtv", lower) || (mode == SPF_MACRO_DOMAIN && in_set("crt", lower)))
		return false;
	for (p++; p < len && isdigit((unsigned char)s[p]); p++, nd++)
		t->digits = nd < 3 ? t->digits * 10 + (unsigned)(s[p] - '0') : 999;
	if (nd > 0 && t->digits == 0)
		return false; /* "If a DIGIT is specified, the value MUST be nonzero." */
	if (p < len && (s[p] == 'r' || s[p] == 'R')) {
		t->reverse = true;
		p++;
	}
	for (; p < len && in_set(".-+,/_=", s[p]); p++)
		if (!in_set(t->delims, s[p]) && strlen(t->delims) < sizeof(t->delims) - 1)
			t->delims[strlen(t->delims)] = s[p];
	if (p >= len || s[p] != '}')
		return false;
	*pos = p + 1;
	return true;
}

bool spf_macro_valid(const char *s, size_t len, enum spf_macro_mode mode)
{
	struct mtok t;
	size_t pos = 0;

	while (pos < len)
		if (!mtok_next(s, len, &pos, mode, &t))
			return false;
	return true;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool toplabel_valid(const char *s, size_t len)
{
	bool alpha = false, dash = false;
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = true;
		else if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha || dash;
}

/*
 * domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand
 * Checked on a mask of s where each macro-expand is one '%' and literals
 * stay themselves, so a dot inside "%{d.}" is not taken for a label dot.
 */
bool spf_domain_spec_valid(const char *s, size_t len)
{
	struct mtok t;
	size_t pos = 0, m = 0;
	char *mask, *dot;
	bool ok = false;

	if (len == 0)
		return false;
	mask = xmalloc(len + 1);
	while (pos < len) {
		if (!mtok_next(s, len, &pos, SPF_MACRO_DOMAIN, &t))
			goto out;
		mask[m++] = t.kind == MTOK_LITERAL ? t.ch : '%';
	}
	mask[m] = '\0';
	if (mask[m - 1] == '%') {
		ok = true;
		goto out;
	}
	if (mask[m - 1] == '.')
		mask[--m] = '\0';
	dot = strrchr(mask, '.');
	ok = dot != NULL && strchr(dot, '%') == NULL && toplabel_valid(dot + 1, strlen(dot + 1));
out:
	free(mask);
	return ok;
}

void spf_ip_nibbles(const struct am_addr *a, bool reverse, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int i, n = a->family == AM_AF_INET ? 4 : 16;

	for (i = 0; i < n; i++) {
		unsigned char b = a->b[reverse ? n - 1 - i : i];

		if (i > 0)
			strbuf_addc(out, '.');
		if (n == 4)
			strbuf_addf(out, "%u", b);
		else if (reverse)
			strbuf_addf(out, "%c.%c", hex[b & 15], hex[b >> 4]);
		else
			strbuf_addf(out, "%c.%c", hex[b >> 4], hex[b & 15]);
	}
}

static void macro_value(struct spf_ctx *c, const char *domain, char letter, struct strbuf *v)
{
	char buf[AM_ADDR_STRLEN];

	switch (letter) {
	case 's':
		strbuf_adds(v, c->sender);
		break;
	case 'l':
		strbuf_adds(v, c->local);
		break;
	case 'o':
		strbuf_adds(v, c->sender_domain);
		break;
	case 'd':
		strbuf_adds(v, domain);
		break;
	case 'i':
		spf_ip_nibbles(&c->ip, false, v);
		break;
	case 'p':
		strbuf_adds(v, spf_ptr_name(c, domain));
		break;
	case 'v':
		strbuf_adds(v, c->ip.family == AM_AF_INET ? "in-addr" : "ip6");
		break;
	case 'h':
		strbuf_adds(v, c->helo != NULL ? c->helo : "unknown");
		break;
	case 'c':
		strbuf_adds(v, addr_format(&c->ip, buf, sizeof(buf)));
		break;
	case 'r':
		strbuf_adds(v, c->receiver != NULL ? c->receiver : "unknown");
		break;
	case 't':
		strbuf_addf(v, "%lld", (long long)time(NULL));
		break;
	}
}

/* Splits val on the delimiters, reverses, keeps the right-hand parts, joins with dots. */
static void macro_transform(const char *val, const struct mtok *t, struct strbuf *out)
{
	const char *delims = t->delims[0] != '\0' ? t->delims : ".";
	size_t n = 1, i, k = 0, first = 0;
	const char **part;
	size_t *plen;
	const char *p;

	for (p = val; *p != '\0'; p++)
		n += in_set(delims, *p);
	part = xcalloc(n, sizeof(*part));
	plen = xcalloc(n, sizeof(*plen));
	part[0] = val;
	for (p = val; *p != '\0'; p++) {
		if (in_set(delims, *p)) {
			part[++k] = p + 1;
			continue;
		}
		plen[k]++;
	}
	if (t->digits > 0 && t->digits < n)
		first = n - t->digits;
	for (i = first; i < n; i++) {
		size_t j = t->reverse ? n - 1 - i : i;

		if (i > first)
			strbuf_addc(out, '.');
		strbuf_add(out, part[j], plen[j]);
	}
	free(part);
	free(plen);
}

static void url_escape(const char *s, size_t len, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || in_set("-._~", (char)ch))
			strbuf_addc(out, (char)ch);
		else
			strbuf_addf(out, "%%%02X", ch);
	}
}

/* Removes one trailing dot, then whole labels from the left until <= 253 octets. */
static void domain_trim(struct strbuf *sb)
{
	const char *dot;
	size_t cut;

	if (sb->len > 0 && sb->s[sb->len - 1] == '.')
		sb->s[--sb->len] = '\0';
	while (sb->len > SPF_MAX_DOMAIN && (dot = strchr(sb->s, '.')) != NULL) {
		cut = (size_t)(dot - sb->s) + 1;
		memmove(sb->s, sb->s + cut, sb->len - cut + 1);
		sb->len -= cut;
	}
}

char *spf_macro_expand(struct spf_ctx *c, const char *domain, const char *s,
		       enum spf_macro_mode mode)
{
	struct strbuf out = STRBUF_INIT, val = STRBUF_INIT, tr = STRBUF_INIT;
	size_t pos = 0, len = strlen(s);
	struct mtok t;

	while (pos < len) {
		if (!mtok_next(s, len, &pos, mode, &t) || out.len > SPF_MAX_EXPANSION)
			goto fail;
		if (t.kind == MTOK_LITERAL) {
			strbuf_addc(&out, t.ch);
		} else if (t.kind == MTOK_ESCAPE) {
			strbuf_adds(&out, t.ch == '%' ? "%" : t.ch == '_' ? " " : "%20");
		} else {
			strbuf_reset(&val);
			strbuf_reset(&tr);
			macro_value(c, domain, (char)tolower((unsigned char)t.ch), &val);
			macro_transform(strbuf_str(&val), &t, &tr);
			if (isupper((unsigned char)t.ch))
				url_escape(strbuf_str(&tr), tr.len, &out);
			else
				strbuf_add(&out, strbuf_str(&tr), tr.len);
		}
	}
	if (out.len > SPF_MAX_EXPANSION)
		goto fail;
	strbuf_free(&val);
	strbuf_free(&tr);
	if (mode == SPF_MACRO_DOMAIN)
		domain_trim(&out);
	return strbuf_detach(&out);
fail:
	strbuf_free(&out);
	strbuf_free(&val);
	strbuf_free(&tr);
	return NULL;
}
