/*
 * record_text - the DKIM results and reasons of a row as one text column
 * each, and back (see record.h)
 *
 * DESCRIPTION
 *	The store keeps a row's lists as text so that one row is one table
 *	row. Fields are %XX-escaped where they could be mistaken for the
 *	separators, and decoding refuses anything it did not write: a row
 *	altered in the database is skipped by the reporter, not misread.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report/record.h"
#include "util/xalloc.h"

/* ---- text form of the lists ---- */

static void enc_field(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '%') {
			strbuf_addc(sb, '%');
			strbuf_addc(sb, hex[c >> 4]);
			strbuf_addc(sb, hex[c & 15]);
		} else {
			strbuf_addc(sb, (char)c);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The field [p, end) decoded into a new string; NULL when a %XX escape is
 * malformed or decodes to NUL. */
static char *dec_field(const char *p, const char *end)
{
	char *out = xmalloc((size_t)(end - p) + 1), *o = out;

	while (p < end) {
		if (*p == '%') {
			int hi = end - p > 2 ? hexval(p[1]) : -1, lo = hi >= 0 ? hexval(p[2]) : -1;

			if (lo < 0 || (hi | lo) == 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi << 4 | lo);
			p += 3;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* Splits one entry [p, end) at tabs into exactly n new strings. */
static int dec_entry(const char *p, const char *end, char **f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *fe = tab != NULL ? tab : end;

		if ((tab != NULL) != (i + 1 < n) || (f[i] = dec_field(p, fe)) == NULL) {
			while (i > 0)
				free(f[--i]);
			return -1;
		}
		p = fe + 1;
	}
	return 0;
}

void report_dkim_encode(struct strbuf *sb, const struct report_dkim *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addc(sb, '\n');
		enc_field(sb, d[i].domain);
		strbuf_addc(sb, '\t');
		enc_field(sb, d[i].selector);
		strbuf_addc(sb, '\t');
		enc_field(sb, d[i].result);
	}
}

void report_reasons_encode(struct strbuf *sb, const struct report_reason *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addc(sb, '\n');
		strbuf_adds(sb, report_reason_name(r[i].type));
		strbuf_addc(sb, '\t');
		enc_field(sb, r[i].comment);
	}
}

/* Calls fn for each "\n"-separated entry of text; stops at the first -1. */
static int dec_list(const char *text, size_t max,
		    int (*fn)(void *arg, const char *p, const char *e), void *arg)
{
	const char *p = text;
	size_t n = 0;

	if (text == NULL || *text == '\0')
		return 0;
	for (;;) {
		const char *nl = strchr(p, '\n'), *e = nl != NULL ? nl : p + strlen(p);

		if (n++ == max || fn(arg, p, e) != 0)
			return -1;
		if (nl == NULL)
			return 0;
		p = nl + 1;
	}
}

struct dkim_dec {
	struct report_dkim *v;
	size_t n;
};

static int dkim_dec_one(void *arg, const char *p, const char *e)
{
	struct dkim_dec *dd = arg;
	char *f[3];

	if (dec_entry(p, e, f, 3) != 0)
		return -1;
	dd->v = xrealloc(dd->v, (dd->n + 1) * sizeof(*dd->v));
	dd->v[dd->n].domain = f[0];
	dd->v[dd->n].selector = f[1];
	dd->v[dd->n].result = f[2];
	dd->n++;
	return 0;
}

int report_dkim_decode(const char *text, struct report_dkim **d, size_t *n)
{
	struct dkim_dec dd = {NULL, 0};
	size_t i;

	if (dec_list(text, REPORT_MAX_DKIM, dkim_dec_one, &dd) != 0) {
		for (i = 0; i < dd.n; i++) {
			free(dd.v[i].domain);
			free(dd.v[i].selector);
			free(dd.v[i].result);
		}
		free(dd.v);
		*d = NULL;
		*n = 0;
		return -1;
	}
	*d = dd.v;
	*n = dd.n;
	return 0;
}

struct reason_dec {
	struct report_reason *v;
	size_t n;
};

static int reason_dec_one(void *arg, const char *p, const char *e)
{
	struct reason_dec *rd = arg;
	char *f[2];
	int t;

	if (dec_entry(p, e, f, 2) != 0)
		return -1;
	t = report_reason_parse(f[0]);
	free(f[0]);
	if (t < 0) {
		free(f[1]);
		return -1;
	}
	if (*f[1] == '\0') { /* a reason without a comment */
		free(f[1]);
		f[1] = NULL;
	}
	rd->v[rd->n].type = (enum report_reason_type)t;
	rd->v[rd->n].comment = f[1];
	rd->n++;
	return 0;
}

int report_reasons_decode(const char *text, struct report_reason *r, size_t *n)
{
	struct reason_dec rd = {r, 0};

	if (dec_list(text, REPORT_MAX_REASONS, reason_dec_one, &rd) != 0) {
		while (rd.n > 0)
			free(r[--rd.n].comment);
		*n = 0;
		return -1;
	}
	*n = rd.n;
	return 0;
}
