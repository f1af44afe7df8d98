/*
 * feedback - write the RFC 9990 aggregate report document (XML)
 *
 * DESCRIPTION
 *	The document is written as text into a strbuf, element by element,
 *	through three helpers (fb_open, fb_close, fb_text) so the layout is
 *	decided in one place: one element a line, two spaces of indentation
 *	a level, as in the RFC's sample report. Elements are written in the
 *	order of the RFC's tables; the schema only enforces the order where
 *	it declares a sequence (feedback, record, policy_evaluated,
 *	auth_results), but report consumers that read with hand-written
 *	parsers expect the order of the tables everywhere.
 *
 *	Every value goes through xml_escape(), including the ones we make
 *	ourselves (names of enums, numbers are the only exception), so there
 *	is no second path by which a value could reach the document. Tab,
 *	newline and carriage return are written as character references: a
 *	parser normalises them when they appear literally (CR to LF in text,
 *	all three to a space in attribute values), and the reference keeps
 *	the byte the value had.
 *
 *	UTF-8 is checked as RFC 3629 defines it: no overlong forms, no
 *	surrogates (U+D800-U+DFFF), nothing above U+10FFFF. An ill-formed
 *	sequence is replaced by one U+FFFD per maximal subpart (the Unicode
 *	standard's recommended practice, 3.9), so "\xe2\x82" followed by
 *	ASCII gives one replacement character, not two.
 */
#include "config.h"

#include <stddef.h>

#include "report/feedback.h"

#define FB_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/*
 * The length of the well-formed UTF-8 sequence at s (2 to 4) and its
 * code point in *cp; or 0 and, in *bad, the length of the maximal
 * subpart of an ill-formed one (at least 1), which is what gets replaced.
 * s[0] is 0x80 or more. Stops at a NUL like at any other non-continuation
 * byte, so it never reads past the end of the string.
 */
static size_t fb_utf8(const unsigned char *s, unsigned long *cp, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;
	unsigned long c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0; /* overlong below U+0800 */
		else if (s[0] == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90; /* overlong below U+10000 */
		else if (s[0] == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		*bad = 1; /* a stray continuation byte, C0, C1, F5-FF */
		return 0;
	}
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		c = (c << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return n;
}

void xml_escape(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL)
		return;
	while (*p != '\0') {
		unsigned long cp;
		size_t n, bad;

		switch (*p) {
		case '&':
			strbuf_adds(sb, "&amp;");
			break;
		case '<':
			strbuf_adds(sb, "&lt;");
			break;
		case '>':
			strbuf_adds(sb, "&gt;");
			break;
		case '"':
			strbuf_adds(sb, "&quot;");
			break;
		case '\'':
			strbuf_adds(sb, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			strbuf_addf(sb, "&#x%X;", *p);
			break;
		default:
			if (*p < 0x20)
				strbuf_adds(sb, FB_REPLACEMENT); /* not an XML 1.0 Char */
			else if (*p < 0x80)
				strbuf_addc(sb, (char)*p);
			else if ((n = fb_utf8(p, &cp, &bad)) == 0) {
				strbuf_adds(sb, FB_REPLACEMENT);
				p += bad;
				continue;
			} else {
				if (cp == 0xfffe || cp == 0xffff)
					strbuf_adds(sb, FB_REPLACEMENT);
				else
					strbuf_add(sb, p, n);
				p += n;
				continue;
			}
			break;
		}
		p++;
	}
}

static void fb_indent(struct strbuf *doc, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		strbuf_adds(doc, "  ");
}

static void fb_open(struct strbuf *doc, int depth, const char *name)
{
	fb_indent(doc, depth);
	strbuf_addf(doc, "<%s>\n", name);
}

static void fb_close(struct strbuf *doc, int depth, const char *name)
{
	fb_indent(doc, depth);
	strbuf_addf(doc, "</%s>\n", name);
}

/* <name>value</name> on a line of its own; NULL is written as "". */
static void fb_text(struct strbuf *doc, int depth, const char *name, const char *value)
{
	fb_indent(doc, depth);
	strbuf_addf(doc, "<%s>", name);
	xml_escape(doc, value);
	strbuf_addf(doc, "</%s>\n", name);
}

/* The element only when value is not NULL (an optional element). */
static void fb_text_opt(struct strbuf *doc, int depth, const char *name, const char *value)
{
	if (value != NULL)
		fb_text(doc, depth, name, value);
}

static void fb_number(struct strbuf *doc, int depth, const char *name, long value)
{
	fb_indent(doc, depth);
	strbuf_addf(doc, "<%s>%ld</%s>\n", name, value, name);
}

static void fb_metadata(struct strbuf *doc, const struct feedback_meta *m)
{
	fb_open(doc, 1, "report_metadata");
	fb_text(doc, 2, "org_name", m->org_name);
	fb_text(doc, 2, "email", m->email);
	fb_text_opt(doc, 2, "extra_contact_info", m->extra_contact);
	fb_text(doc, 2, "report_id", m->report_id);
	fb_open(doc, 2, "date_range");
	fb_number(doc, 3, "begin", m->begin);
	fb_number(doc, 3, "end", m->end);
	fb_close(doc, 2, "date_range");
	fb_text_opt(doc, 2, "error", m->error);
	fb_text_opt(doc, 2, "generator", m->generator);
	fb_close(doc, 1, "report_metadata");
}

/* An alignment mode: only the two values the schema knows; anything else
 * (there should be nothing else) leaves the optional element out, which
 * means the default, rather than make the document invalid. */
static void fb_alignment(struct strbuf *doc, const char *name, char mode)
{
	if (mode == 'r')
		fb_text(doc, 2, name, "r");
	else if (mode == 's')
		fb_text(doc, 2, name, "s");
}

static void fb_policy(struct strbuf *doc, const struct report_policy *p)
{
	fb_open(doc, 1, "policy_published");
	fb_text(doc, 2, "domain", p->domain);
	fb_text_opt(doc, 2, "discovery_method", p->discovery);
	fb_text(doc, 2, "p", p->p);
	fb_text_opt(doc, 2, "sp", p->sp);
	fb_text_opt(doc, 2, "np", p->np);
	fb_text_opt(doc, 2, "fo", p->fo);
	fb_alignment(doc, "adkim", p->adkim);
	fb_alignment(doc, "aspf", p->aspf);
	fb_text(doc, 2, "testing", p->testing ? "y" : "n");
	fb_close(doc, 1, "policy_published");
}

void feedback_begin(struct strbuf *doc, const struct feedback_meta *m,
		    const struct report_policy *p)
{
	strbuf_adds(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	strbuf_adds(doc, "<feedback xmlns=\"");
	xml_escape(doc, FEEDBACK_NS);
	strbuf_adds(doc, "\">\n");
	fb_text(doc, 1, "version", "1.0");
	fb_metadata(doc, m);
	fb_policy(doc, p);
}

static void fb_row(struct strbuf *doc, const struct report_row *row, long count)
{
	size_t i, n = row->n_reasons;

	/* reasons[] is a fixed array: a count beyond it is not believed */
	if (n > REPORT_MAX_REASONS)
		n = REPORT_MAX_REASONS;
	fb_open(doc, 2, "row");
	fb_text(doc, 3, "source_ip", row->source_ip);
	fb_number(doc, 3, "count", count);
	fb_open(doc, 3, "policy_evaluated");
	fb_text(doc, 4, "disposition", report_disposition_name(row->disposition));
	fb_text(doc, 4, "dkim", row->dkim_pass ? "pass" : "fail");
	fb_text(doc, 4, "spf", row->spf_pass ? "pass" : "fail");
	for (i = 0; i < n; i++) {
		fb_open(doc, 4, "reason");
		fb_text(doc, 5, "type", report_reason_name(row->reasons[i].type));
		fb_text_opt(doc, 5, "comment", row->reasons[i].comment);
		fb_close(doc, 4, "reason");
	}
	fb_close(doc, 3, "policy_evaluated");
	fb_close(doc, 2, "row");
}

static void fb_auth_results(struct strbuf *doc, const struct report_row *row)
{
	size_t i, n = row->n_dkim;

	/* RFC 9990 2.1.3: no more than 100 signatures a row; the row keeps
	 * them in the RFC's order of preference, so the first ones count */
	if (n > REPORT_MAX_DKIM)
		n = REPORT_MAX_DKIM;
	fb_open(doc, 2, "auth_results");
	for (i = 0; row->dkim != NULL && i < n; i++) {
		fb_open(doc, 3, "dkim");
		fb_text(doc, 4, "domain", row->dkim[i].domain);
		fb_text(doc, 4, "selector", row->dkim[i].selector);
		fb_text(doc, 4, "result", row->dkim[i].result);
		fb_close(doc, 3, "dkim");
	}
	/* spf is optional: left out when there is no result to report */
	if (row->spf_result != NULL) {
		fb_open(doc, 3, "spf");
		fb_text(doc, 4, "domain", row->spf_domain);
		fb_text(doc, 4, "scope", "mfrom");
		fb_text(doc, 4, "result", row->spf_result);
		fb_close(doc, 3, "spf");
	}
	fb_close(doc, 2, "auth_results");
}

void feedback_record(struct strbuf *doc, const struct report_row *row, long count)
{
	fb_open(doc, 1, "record");
	fb_row(doc, row, count);
	fb_open(doc, 2, "identifiers");
	fb_text(doc, 3, "header_from", row->header_from);
	/* "" (a null reverse-path) is written: RFC 9990 lets it be empty */
	fb_text_opt(doc, 3, "envelope_from", row->envelope_from);
	fb_close(doc, 2, "identifiers");
	fb_auth_results(doc, row);
	fb_close(doc, 1, "record");
}

void feedback_end(struct strbuf *doc)
{
	strbuf_adds(doc, "</feedback>\n");
}
