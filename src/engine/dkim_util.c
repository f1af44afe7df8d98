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

void dkimv_crlf_conv(struct dkimv_crlf *st, const unsigned char *in, size_t len, struct strbuf *out)
{
	size_t i, start = 0;
	bool prev_cr = st->last_cr;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && !prev_cr) {
			strbuf_add(out, in + start, i - start);
			strbuf_add(out, "\r\n", 2);
			start = i + 1;
		}
		prev_cr = in[i] == '\r';
	}
	strbuf_add(out, in + start, len - start);
	if (len > 0)
		st->last_cr = prev_cr;
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
