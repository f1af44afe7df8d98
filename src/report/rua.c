/*
 * rua - the aggregate report URIs of a DMARC record, read defensively
 * (see rua.h)
 *
 * DESCRIPTION
 *	The text comes from DNS, so every element is checked against the
 *	narrowest form that still carries a mailbox: the URI characters of
 *	RFC 3986 before decoding (no raw space, quote, angle bracket, CR, LF
 *	or 8-bit byte), then, decoded, exactly one local@domain with a
 *	dot-atom local part and an LDH domain in A-label form. What passes
 *	cannot add a recipient or a header line wherever the address is
 *	written later (RCPT TO, To:, a log line).
 *
 *	The work is linear in the input: each element is read once, and the
 *	duplicate check compares against at most max_uris kept addresses.
 *
 * DIAGNOSTICS
 *	Refusals are log lines in out->refused, never printed here. The
 *	element is echoed with escape_add() (and '"' as \x22, so the quotes
 *	around it stay the only ones), at most RUA_ECHO_MAX bytes of it.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/rua.h"
#include "util/escape.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define RUA_ECHO_MAX 80	   /* bytes of a refused element shown in its line */
#define RUA_LOCAL_MAX 64   /* RFC 5321 4.5.3.1.1 */
#define RUA_DOMAIN_MAX 253 /* RFC 1035, presentation form without the dot */
#define RUA_LABEL_MAX 63

struct rua_parser {
	struct rua_list *out;
	size_t max_uris;
	size_t cap;	     /* of out->v */
	size_t more_refused; /* refusals past RUA_MAX_REFUSED */
};

static bool rua_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool rua_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool rua_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int rua_hex(unsigned char c)
{
	if (rua_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Records one refusal of el (n bytes) as a log line, or counts it once
 * RUA_MAX_REFUSED lines are kept. */
static void rua_refuse(struct rua_parser *p, const char *el, size_t n, const char *why)
{
	struct rua_list *l = p->out;
	struct strbuf sb = STRBUF_INIT;
	char one[2] = {0, 0};
	size_t i;

	if (l->n_refused >= RUA_MAX_REFUSED) {
		p->more_refused++;
		return;
	}
	strbuf_adds(&sb, "rua element \"");
	for (i = 0; i < n && i < RUA_ECHO_MAX; i++) {
		if (el[i] == '"') {
			strbuf_adds(&sb, "\\x22");
			continue;
		}
		one[0] = el[i];
		escape_add(&sb, one);
	}
	strbuf_addf(&sb, "\"%s refused: %s", n > RUA_ECHO_MAX ? "..." : "", why);
	if (l->refused == NULL)
		l->refused = xcalloc(RUA_MAX_REFUSED + 1, sizeof(*l->refused));
	l->refused[l->n_refused++] = strbuf_detach(&sb);
}

/* Length of el without a trailing obsolete size suffix "!" 1*DIGIT
 * [k/m/g/t] (RFC 9989 obs-dmarc-report-size; ABNF literals are
 * case-insensitive, so "!10M" too). */
static size_t rua_strip_size(const char *el, size_t n)
{
	size_t i = n;

	if (i > 0 && strchr("kmgtKMGT", el[i - 1]) != NULL)
		i--;
	if (i == 0 || !rua_is_digit((unsigned char)el[i - 1]))
		return n;
	while (i > 0 && rua_is_digit((unsigned char)el[i - 1]))
		i--;
	return i > 0 && el[i - 1] == '!' ? i - 1 : n;
}

/* A byte that may stand unencoded in the address part of a mailto: URI:
 * RFC 6068 qchar (unreserved and some-delims) without ',' (the list
 * separator) and '!' (RFC 9989: both must be encoded). Everything else,
 * '%' aside, means the element is not a URI we want to read. */
static bool rua_uri_char(unsigned char c)
{
	if (rua_is_alpha(c) || rua_is_digit(c))
		return true;
	return c != '\0' && strchr("-._~$'()*+;:@", c) != NULL;
}

/* Decodes the address part s (n bytes) into buf (at least n + 1 bytes);
 * false when a byte may not stand there or a %XX is malformed, or when a
 * decoded byte is a control, space or 8-bit character. */
static bool rua_decode(const char *s, size_t n, char *buf, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return false;
			hi = rua_hex((unsigned char)s[i + 1]);
			lo = rua_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (!rua_uri_char(c)) {
			return false;
		}
		if (c <= ' ' || c >= 0x7f)
			return false;
		buf[o++] = (char)c;
	}
	buf[o] = '\0';
	*outlen = o;
	return true;
}

/* atext of RFC 5322 3.2.3. */
static bool rua_atext(unsigned char c)
{
	if (rua_is_alpha(c) || rua_is_digit(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* dot-atom-text, 1..RUA_LOCAL_MAX bytes. */
static bool rua_local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > RUA_LOCAL_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (s[i] != '.' && !rua_atext((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* One LDH label: letters, digits, hyphens, not at either end. */
static bool rua_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > RUA_LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!rua_is_alpha((unsigned char)s[i]) && !rua_is_digit((unsigned char)s[i]) &&
		    s[i] != '-')
			return false;
	return true;
}

/*
 * A host name (lower-cased in place): at least two LDH labels, no empty
 * label (so no trailing dot), a last label that is not all digits (that
 * would be an IPv4 address), and every "xn--" label a valid A-label, which
 * idna_to_alabel() checks by decoding and encoding it again.
 */
static bool rua_domain_ok(char *d, size_t n)
{
	size_t i, start = 0, labels = 0;
	bool digits = true;
	const char *why;
	char *a;
	bool ok;

	if (n == 0 || n > RUA_DOMAIN_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && d[i] != '.') {
			digits = digits && rua_is_digit((unsigned char)d[i]);
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] = (char)(d[i] - 'A' + 'a');
			continue;
		}
		if (!rua_label_ok(d + start, i - start))
			return false;
		labels++;
		start = i + 1;
		if (i < n)
			digits = true;
	}
	if (labels < 2 || digits)
		return false;
	a = idna_to_alabel(d, &why);
	ok = a != NULL && strcmp(a, d) == 0;
	free(a);
	return ok;
}

/* Whether addr is among the URIs kept so far. */
static bool rua_seen(const struct rua_list *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].addr, addr) == 0)
			return true;
	return false;
}

static void rua_keep(struct rua_parser *p, const char *el, size_t n, const char *addr, size_t at)
{
	struct rua_list *l = p->out;
	struct rua_uri *u;

	if (l->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		l->v = xrealloc(l->v, p->cap * sizeof(*l->v));
	}
	u = &l->v[l->n++];
	u->uri = xmemdup0(el, n);
	u->addr = xstrdup(addr);
	u->host = xstrdup(addr + at + 1);
}

/* Returns NULL when el is "mailto:" + one mailbox (decoded into addr,
 * *at the index of its '@'), else why it is not. */
static const char *rua_mailbox(const char *el, size_t n, char *addr, size_t *at)
{
	const char *colon = memchr(el, ':', n);
	const char *s, *q;
	const char *sep;
	size_t i, len;

	/* No URI holds these raw (RFC 3986 2), and uri is kept as published:
	 * whoever prints it later gets printable ASCII only. */
	for (i = 0; i < n; i++)
		if ((unsigned char)el[i] <= ' ' || (unsigned char)el[i] >= 0x7f)
			return "not a URI (space, control or 8-bit byte)";
	if (colon == NULL || colon == el)
		return "not a URI";
	for (i = 0; el + i < colon; i++)
		if (!rua_is_alpha((unsigned char)el[i]) &&
		    (i == 0 || (!rua_is_digit((unsigned char)el[i]) && !strchr("+-.", el[i]))))
			return "not a URI";
	/* RFC 3986 3.1: schemes are case-insensitive ("MAILTO:" is mailto:). */
	if (colon - el != 6 || strncasecmp(el, "mailto", 6) != 0)
		return "unsupported scheme";
	s = colon + 1;
	len = n - (size_t)(s - el);
	/* hfields (RFC 6068) are dropped: no "?to=", "?bcc=" or headers. */
	q = memchr(s, '?', len);
	if (q != NULL)
		len = (size_t)(q - s);
	if (!rua_decode(s, len, addr, &len))
		return "not one mailbox (a byte not allowed there)";
	sep = memchr(addr, '@', len);
	if (sep == NULL || memchr(sep + 1, '@', len - (size_t)(sep - addr) - 1) != NULL)
		return "not one mailbox (not one @)";
	*at = (size_t)(sep - addr);
	if (!rua_local_ok(addr, *at))
		return "not one mailbox (local part)";
	if (!rua_domain_ok(addr + *at + 1, len - *at - 1))
		return "not one mailbox (domain)";
	return NULL;
}

/* One element of the list, untrimmed. */
static void rua_element(struct rua_parser *p, const char *el, size_t n)
{
	char addr[RUA_MAX_URI + 1];
	const char *why;
	size_t at = 0;

	while (n > 0 && rua_is_wsp(el[0])) {
		el++;
		n--;
	}
	while (n > 0 && rua_is_wsp(el[n - 1]))
		n--;
	if (n == 0)
		return; /* "a, ,b" or a trailing comma: nothing published */
	if (n > RUA_MAX_URI) {
		rua_refuse(p, el, n, "too long");
		return;
	}
	why = rua_mailbox(el, rua_strip_size(el, n), addr, &at);
	if (why != NULL) {
		rua_refuse(p, el, n, why);
		return;
	}
	if (rua_seen(p->out, addr))
		return;
	if (p->out->n >= p->max_uris) {
		char limit[64];

		snprintf(limit, sizeof(limit), "over the limit of %zu", p->max_uris);
		rua_refuse(p, el, n, limit);
		return;
	}
	rua_keep(p, el, n, addr, at);
}

size_t rua_parse(const char *rua, size_t max_uris, struct rua_list *out)
{
	struct rua_parser p = {out, max_uris, 0, 0};
	const char *s = rua;

	memset(out, 0, sizeof(*out));
	while (s != NULL && *s != '\0') {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		rua_element(&p, s, n);
		s = comma ? comma + 1 : NULL;
	}
	if (p.more_refused > 0)
		out->refused[out->n_refused++] =
		    xasprintf("%zu more rua elements refused", p.more_refused);
	return out->n;
}

void rua_list_clear(struct rua_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].uri);
		free(l->v[i].addr);
		free(l->v[i].host);
	}
	for (i = 0; i < l->n_refused; i++)
		free(l->refused[i]);
	free(l->v);
	free(l->refused);
	memset(l, 0, sizeof(*l));
}

bool rua_usable(const char *rua)
{
	struct rua_list l;
	bool ok = rua_parse(rua, 1, &l) > 0;

	rua_list_clear(&l);
	return ok;
}
