/*
 * dsig_canon - tag lists, header and body canonicalization of DKIM-style
 * signatures (see dsig.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "engine/dsig.h"
#include "util/xalloc.h"

static bool dsig_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool dsig_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* [s, e) without the WSP at both ends, cut in place (*e becomes NUL). */
static char *dsig_trim(char *s, char *e)
{
	while (s < e && dsig_wsp(*s))
		s++;
	while (e > s && dsig_wsp(e[-1]))
		e--;
	*e = '\0';
	return s;
}

/* One tag-spec [s, e): name "=" value. */
static enum dsig_rc dsig_tag_spec(struct dsig_tags *tags, char *s, char *e, const char **why)
{
	char *eq = memchr(s, '=', (size_t)(e - s)), *name, *p;
	size_t i;

	if (eq == NULL) {
		*why = "a tag without \"=\"";
		return DSIG_FAIL;
	}
	name = dsig_trim(s, eq);
	if (!dsig_alpha(name[0])) {
		*why = "a tag name that does not start with a letter";
		return DSIG_FAIL;
	}
	for (p = name; *p != '\0'; p++)
		if (!dsig_alpha(*p) && !(*p >= '0' && *p <= '9') && *p != '_') {
			*why = "a bad character in a tag name";
			return DSIG_FAIL;
		}
	for (i = 0; i < tags->n; i++)
		if (strcmp(tags->t[i].name, name) == 0) {
			*why = "a tag given twice";
			return DSIG_FAIL;
		}
	if (tags->n == DSIG_TAGS_MAX) {
		*why = "too many tags";
		return DSIG_FAIL;
	}
	tags->t[tags->n].name = name;
	tags->t[tags->n].value = dsig_trim(eq + 1, e);
	tags->n++;
	return DSIG_OK;
}

enum dsig_rc dsig_tags_parse(const char *list, struct dsig_tags *tags, const char **why)
{
	const char *dummy;
	char *p, *end, *semi;

	if (why == NULL)
		why = &dummy;
	memset(tags, 0, sizeof(*tags));
	tags->copy = xstrdup(list != NULL ? list : "");
	end = tags->copy + strlen(tags->copy);
	for (p = tags->copy; p < end; p = semi + 1) {
		char *q;

		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		for (q = p; q < semi && dsig_wsp(*q); q++)
			;
		/* an empty tag-spec only as a trailing ";" (RFC 6376 3.2) */
		if (q == semi && semi == end)
			break;
		if ((q == semi && (*why = "an empty tag-spec (\";;\")", true)) ||
		    dsig_tag_spec(tags, p, semi, why) != DSIG_OK) {
			dsig_tags_clear(tags);
			return DSIG_FAIL;
		}
	}
	return DSIG_OK;
}

const char *dsig_tag(const struct dsig_tags *tags, const char *name)
{
	size_t i;

	for (i = 0; i < tags->n; i++)
		if (strcmp(tags->t[i].name, name) == 0)
			return tags->t[i].value;
	return NULL;
}

void dsig_tags_clear(struct dsig_tags *tags)
{
	free(tags->copy);
	memset(tags, 0, sizeof(*tags));
}

static enum dsig_rc dsig_canon_word(const char *s, size_t n, enum dsig_canon *c)
{
	if (n == 6 && strncasecmp(s, "simple", 6) == 0)
		*c = DSIG_SIMPLE;
	else if (n == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*c = DSIG_RELAXED;
	else
		return DSIG_FAIL;
	return DSIG_OK;
}

enum dsig_rc dsig_parse_canon(const char *c, enum dsig_canon *header, enum dsig_canon *body)
{
	const char *slash;

	*header = *body = DSIG_SIMPLE; /* c= absent: simple/simple */
	if (c == NULL)
		return DSIG_OK;
	slash = strchr(c, '/');
	if (dsig_canon_word(c, slash != NULL ? (size_t)(slash - c) : strlen(c), header) != DSIG_OK)
		return DSIG_FAIL;
	return slash == NULL ? DSIG_OK : dsig_canon_word(slash + 1, strlen(slash + 1), body);
}

enum dsig_alg dsig_parse_alg(const char *a)
{
	if (a == NULL)
		return DSIG_ALG_UNKNOWN;
	if (strcasecmp(a, "rsa-sha256") == 0)
		return DSIG_ALG_RSA_SHA256;
	if (strcasecmp(a, "ed25519-sha256") == 0)
		return DSIG_ALG_ED25519_SHA256;
	if (strcasecmp(a, "rsa-sha1") == 0)
		return DSIG_ALG_RSA_SHA1;
	return DSIG_ALG_UNKNOWN;
}

void dsig_canon_header(struct strbuf *in, enum dsig_canon c, const char *name, const char *value,
		       bool crlf)
{
	const char *p;
	bool sp = false, any = false;

	if (c == DSIG_SIMPLE) {
		strbuf_adds(in, name);
		strbuf_addc(in, ':');
		for (p = value; *p != '\0'; p++) {
			if (*p == '\n' && (p == value || p[-1] != '\r'))
				strbuf_addc(in, '\r');
			strbuf_addc(in, *p);
		}
	} else {
		const char *e = name + strlen(name);

		while (e > name && dsig_wsp(e[-1])) /* no WSP before the colon */
			e--;
		for (p = name; p < e; p++)
			strbuf_addc(in, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
		strbuf_addc(in, ':');
		/* unfold, runs of WSP as one SP, none at either end */
		for (p = value; *p != '\0'; p++) {
			if (dsig_wsp(*p)) {
				sp = any;
				continue;
			}
			if (sp)
				strbuf_addc(in, ' ');
			strbuf_addc(in, *p);
			sp = false;
			any = true;
		}
	}
	if (crlf)
		strbuf_add(in, "\r\n", 2);
}

static bool dsig_only_wsp(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!dsig_wsp(*s))
			return false;
	return true;
}

char *dsig_strip_b(const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = value, *semi, *eq, *n;

	while (*p != '\0') {
		semi = strchr(p, ';');
		if (semi == NULL)
			semi = p + strlen(p);
		eq = memchr(p, '=', (size_t)(semi - p));
		for (n = p; eq != NULL && n < eq && dsig_wsp(*n); n++)
			;
		if (eq != NULL && *n == 'b' && dsig_only_wsp(n + 1, eq)) {
			strbuf_add(&sb, p, (size_t)(eq + 1 - p)); /* up to and with "=" */
		} else {
			strbuf_add(&sb, p, (size_t)(semi - p));
		}
		if (*semi == ';')
			strbuf_addc(&sb, ';');
		p = *semi == ';' ? semi + 1 : semi;
	}
	return strbuf_detach(&sb);
}

/* Whether h= name [n, n + len) names field (case-insensitive). */
static bool dsig_name_is(const char *n, size_t len, const char *field)
{
	return strlen(field) == len && strncasecmp(n, field, len) == 0;
}

enum dsig_rc dsig_header_input(struct strbuf *in, enum dsig_canon c, const struct dsig_hdr *hdrs,
			       size_t n, const char *h, const char *sig_name, const char *sig_value)
{
	struct {
		const char *name;
		size_t len, next; /* next: hdrs[0 .. next) are still candidates */
	} seen[DSIG_H_MAX];
	size_t nseen = 0, i, k;
	const char *p = h, *e;
	char *stripped;

	while (*p != '\0') {
		while (dsig_wsp(*p) || *p == ':')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ':' && !dsig_wsp(*e); e++)
			;
		for (k = 0; k < nseen; k++)
			if (seen[k].len == (size_t)(e - p) &&
			    strncasecmp(seen[k].name, p, seen[k].len) == 0)
				break;
		if (k == nseen) {
			if (nseen == DSIG_H_MAX)
				return DSIG_FAIL;
			seen[nseen].name = p;
			seen[nseen].len = (size_t)(e - p);
			seen[nseen++].next = n;
		}
		/* RFC 6376 5.4.2: the last instance not yet taken, bottom up */
		for (i = seen[k].next; i > 0; i--)
			if (dsig_name_is(p, (size_t)(e - p), hdrs[i - 1].name))
				break;
		if (i > 0) {
			dsig_canon_header(in, c, hdrs[i - 1].name, hdrs[i - 1].value, true);
			seen[k].next = i - 1;
		} else {
			seen[k].next = 0;
		}
		p = e;
	}
	stripped = dsig_strip_b(sig_value);
	dsig_canon_header(in, c, sig_name, stripped, false);
	free(stripped);
	return DSIG_OK;
}

/* ------------------------------------------------------------- body */

struct dsig_body {
	enum dsig_canon c;
	long long length; /* l=, or -1 */
	unsigned long long total, hashed;
	unsigned long long crlf; /* line ends held back: they may be trailing */
	bool wsp;		 /* relaxed: WSP held back (it may end the line) */
	bool cr;		 /* the last byte was a CR: LF may follow */
	bool content;		 /* a byte other than a line end was emitted */
	EVP_MD_CTX *md;
};

struct dsig_body *dsig_body_new(enum dsig_canon c, long long length)
{
	struct dsig_body *b = xcalloc(1, sizeof(*b));

	b->c = c;
	b->length = length;
	b->md = EVP_MD_CTX_new();
	if (b->md == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		xalloc_fail(sizeof(*b));
	return b;
}

/* Canonical bytes out: counted all, hashed up to l=. */
static void dsig_emit(struct dsig_body *b, const unsigned char *p, size_t n)
{
	size_t take = n;

	if (b->length >= 0) {
		unsigned long long left = (unsigned long long)b->length - b->hashed;

		if (b->hashed >= (unsigned long long)b->length)
			take = 0;
		else if (left < n)
			take = (size_t)left;
	}
	if (take > 0)
		(void)EVP_DigestUpdate(b->md, p, take);
	b->hashed += take;
	b->total += n;
}

/* Before content: the held-back line ends and WSP were not trailing. */
static void dsig_flush(struct dsig_body *b)
{
	for (; b->crlf > 0; b->crlf--)
		dsig_emit(b, (const unsigned char *)"\r\n", 2);
	if (b->wsp)
		dsig_emit(b, (const unsigned char *)" ", 1);
	b->wsp = false;
	b->content = true;
}

/* Content bytes [p, p + n): no CR or LF, and no WSP under relaxed. */
static void dsig_content(struct dsig_body *b, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	dsig_flush(b);
	dsig_emit(b, p, n);
}

void dsig_body_feed(struct dsig_body *b, const unsigned char *buf, size_t len)
{
	bool relaxed = b->c == DSIG_RELAXED;
	size_t i, run = 0; /* start of the pending run of content bytes */

	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				b->wsp = false; /* WSP at the end of a line goes */
				b->crlf++;
				run = i + 1;
				continue;
			}
			dsig_content(b, (const unsigned char *)"\r", 1); /* a bare CR is data */
		}
		if (c == '\n') { /* a bare LF ends a line, as CRLF does */
			dsig_content(b, buf + run, i - run);
			b->wsp = false;
			b->crlf++;
			run = i + 1;
		} else if (c == '\r' || (relaxed && (c == ' ' || c == '\t'))) {
			dsig_content(b, buf + run, i - run);
			if (c == '\r')
				b->cr = true;
			else
				b->wsp = true;
			run = i + 1;
		}
	}
	dsig_content(b, buf + run, len - run);
}

void dsig_body_final(struct dsig_body *b, unsigned char digest[DSIG_DIGEST_LEN],
		     unsigned long long *total)
{
	unsigned int n = DSIG_DIGEST_LEN;

	if (b->cr) {
		b->cr = false;
		dsig_content(b, (const unsigned char *)"\r", 1);
	}
	/* the last line's end; an empty body is CRLF (simple) or nothing */
	if (b->content || b->c == DSIG_SIMPLE)
		dsig_emit(b, (const unsigned char *)"\r\n", 2);
	(void)EVP_DigestFinal_ex(b->md, digest, &n);
	if (total != NULL)
		*total = b->total;
}

enum dsig_canon dsig_body_canon(const struct dsig_body *b)
{
	return b->c;
}

long long dsig_body_length(const struct dsig_body *b)
{
	return b->length;
}

void dsig_body_free(struct dsig_body *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->md);
	free(b);
}
