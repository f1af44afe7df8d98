/*
 * dkim_util - streaming LF -> CRLF and tag-list helpers for the DKIM
 * verifier (see dkim_internal.h)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dkim_internal.h"
#include "util/xalloc.h"

/* Whether the LF at in[i] has a CR before it (in this chunk or, at 0, at
 * the end of the previous one). */
static bool crlf_has_cr(const struct dkimv_crlf *st, const unsigned char *in, size_t i)
{
	return i > 0 ? in[i - 1] == '\r' : st->last_cr;
}

void dkimv_crlf_conv(struct dkimv_crlf *st, const unsigned char *in, size_t len, struct strbuf *out)
{
	const unsigned char *nl, *end = in + len;
	size_t start = 0;

	for (nl = in; nl < end && (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++) {
		size_t i = (size_t)(nl - in);

		if (!crlf_has_cr(st, in, i)) {
			strbuf_add(out, in + start, i - start);
			strbuf_add(out, "\r\n", 2);
			start = i + 1;
		}
	}
	strbuf_add(out, in + start, len - start);
	if (len > 0)
		st->last_cr = in[len - 1] == '\r';
}

const unsigned char *dkimv_crlf_view(struct dkimv_crlf *st, const unsigned char *in, size_t len,
				     struct strbuf *scratch, size_t *outlen)
{
	const unsigned char *nl, *end = in + len;

	for (nl = in; nl < end && (nl = memchr(nl, '\n', (size_t)(end - nl))) != NULL; nl++) {
		if (!crlf_has_cr(st, in, (size_t)(nl - in))) {
			strbuf_reset(scratch);
			dkimv_crlf_conv(st, in, len, scratch);
			*outlen = scratch->len;
			return (const unsigned char *)scratch->s;
		}
	}
	if (len > 0)
		st->last_cr = in[len - 1] == '\r';
	*outlen = len;
	return in;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trimmed copy of [p, e). */
static char *trimmed(const char *p, const char *e)
{
	while (p < e && is_wsp(*p))
		p++;
	while (e > p && is_wsp(e[-1]))
		e--;
	return xmemdup0(p, (size_t)(e - p));
}

char *dkimv_tag_value(const char *list, const char *tag)
{
	size_t taglen = strlen(tag);
	const char *p = list, *end, *eq, *n, *ne;

	if (list == NULL)
		return NULL;
	while (*p != '\0') {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL) {
			n = p;
			ne = eq;
			while (n < ne && is_wsp(*n))
				n++;
			while (ne > n && is_wsp(ne[-1]))
				ne--;
			if ((size_t)(ne - n) == taglen && strncmp(n, tag, taglen) == 0)
				return trimmed(eq + 1, end);
		}
		p = *end == ';' ? end + 1 : end;
	}
	return NULL;
}

char *dkimv_b_prefix(const char *b)
{
	char buf[DKIMV_B_PREFIX_LEN + 1];
	size_t n = 0;

	for (; b != NULL && *b != '\0' && n < DKIMV_B_PREFIX_LEN; b++) {
		if (!is_wsp(*b))
			buf[n++] = *b;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

long dkimv_body_length(const char *l)
{
	unsigned long long v;
	const char *p;
	char *end;

	if (l == NULL || *l == '\0')
		return -1;
	for (p = l; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
	}
	errno = 0;
	v = strtoull(l, &end, 10);
	if (errno != 0 || v > (unsigned long long)LONG_MAX)
		return -1;
	return (long)v;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void dkimv_sig_copy(struct dkimv_sig *dst, const struct dkimv_sig *src)
{
	*dst = *src;
	dst->domain = dup_or_null(src->domain);
	dst->selector = dup_or_null(src->selector);
	dst->algorithm = dup_or_null(src->algorithm);
	dst->b_prefix = dup_or_null(src->b_prefix);
	dst->reason = dup_or_null(src->reason);
}

void dkimv_sig_clear(struct dkimv_sig *s)
{
	free(s->domain);
	free(s->selector);
	free(s->algorithm);
	free(s->b_prefix);
	free(s->reason);
	memset(s, 0, sizeof(*s));
}
