/*
 * test_feedback - the RFC 9990 XML document: xml_escape() on a table of
 * markup, control characters, ill-formed and well-formed UTF-8; every
 * field that comes from mail or DNS escaped in its element without
 * changing the document's structure; the order of elements; optional
 * elements left out or written; the limits on DKIM results and reasons;
 * the names of dispositions and reasons
 *
 * The structure of a document is checked as its sequence of tags (a tag
 * is "name" or "/name"), read by a scanner that knows nothing of the
 * writer: a value that escaped badly adds or removes a tag.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/feedback.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xef\xbf\xbd"

static void test_escape_table(void **state)
{
	static const struct {
		const char *in, *want;
	} rows[] = {
	    {"", ""},
	    {"example.com", "example.com"},
	    {"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f"},
	    {"&amp;", "&amp;amp;"},
	    {"]]></x><y a='1'>", "]]&gt;&lt;/x&gt;&lt;y a=&apos;1&apos;&gt;"},
	    {"<!-- c -->", "&lt;!-- c --&gt;"},
	    /* kept, as references so a parser cannot normalise them */
	    {"a\tb\nc\rd", "a&#x9;b&#xA;c&#xD;d"},
	    /* control characters XML 1.0 cannot carry */
	    {"\x01x\x08\x0b\x0c\x1b[31m\x1f", FFFD "x" FFFD FFFD FFFD FFFD "[31m" FFFD},
	    {"\x7f", "\x7f"},
	    /* well-formed UTF-8: 2, 3, 4 bytes, the edges of each range */
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	    {"\xc2\x80\xdf\xbf", "\xc2\x80\xdf\xbf"},
	    {"\xe2\x82\xac", "\xe2\x82\xac"},
	    {"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80", "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"},
	    {"\xef\xbf\xbc\xef\xbf\xbd", "\xef\xbf\xbc\xef\xbf\xbd"},
	    {"\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	     "\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"},
	    {"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84",
	     "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84"},
	    /* noncharacters XML 1.0 excludes */
	    {"\xef\xbf\xbe", FFFD},
	    {"a\xef\xbf\xbf", "a" FFFD},
	    /* overlong forms: every byte is a maximal subpart of its own */
	    {"\xc0\xaf", FFFD FFFD},
	    {"\xc1\xbf", FFFD FFFD},
	    {"\xe0\x80\xaf", FFFD FFFD FFFD},
	    {"\xe0\x9f\xbf", FFFD FFFD FFFD},
	    {"\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD},
	    {"\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD},
	    /* surrogates, beyond U+10FFFF, bytes never in UTF-8 */
	    {"\xed\xa0\x80", FFFD FFFD FFFD},
	    {"\xed\xbf\xbf", FFFD FFFD FFFD},
	    {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},
	    {"\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD},
	    {"\xfe\xff", FFFD FFFD},
	    /* stray continuation bytes; sequences cut short */
	    {"\x80x\xbf", FFFD "x" FFFD},
	    {"\xe2\x82x", FFFD "x"},
	    {"\xe2\x82", FFFD},
	    {"\xf0\x9f\x98<", FFFD "&lt;"},
	    {"\xc3", FFFD},
	    {"\xc3\xc3\xa9", FFFD "\xc3\xa9"},
	    {"\xe2\x28\xa1", FFFD "(" FFFD},
	};
	size_t i;

	for (i = 0; i < N_OF(rows); i++) {
		struct strbuf sb = STRBUF_INIT;

		xml_escape(&sb, rows[i].in);
		if (strcmp(strbuf_str(&sb), rows[i].want) != 0)
			print_error("row %zu\n", i);
		assert_string_equal(strbuf_str(&sb), rows[i].want);
		strbuf_free(&sb);
	}
	{
		struct strbuf sb = STRBUF_INIT;

		xml_escape(&sb, NULL);
		assert_int_equal(sb.len, 0);
		strbuf_free(&sb);
	}
}

/* The tags of doc, one per line: "name" or "/name" (declarations left
 * out, attributes cut off). */
static char *tags_of(const char *doc)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;

	for (p = strchr(doc, '<'); p != NULL; p = strchr(p + 1, '<')) {
		size_t n;

		if (p[1] == '?')
			continue;
		n = strcspn(p + 1, " >");
		strbuf_add(&sb, p + 1, n);
		strbuf_addc(&sb, '\n');
	}
	return strbuf_detach(&sb);
}

/* The text of the first <name> after the first <parent> that opens a
 * container (its tag ends the line: "<spf>\n" is auth_results' spf, not
 * policy_evaluated's "<spf>fail</spf>"); NULL if none. */
static char *text_of(const char *doc, const char *parent, const char *name)
{
	char open[64], close[64];
	const char *p = doc, *e;

	if (parent != NULL) {
		snprintf(open, sizeof(open), "<%s>\n", parent);
		if ((p = strstr(doc, open)) == NULL)
			return NULL;
	}
	snprintf(open, sizeof(open), "<%s>", name);
	snprintf(close, sizeof(close), "</%s>", name);
	if ((p = strstr(p, open)) == NULL || (e = strstr(p, close)) == NULL)
		return NULL;
	p += strlen(open);
	return xmemdup0(p, (size_t)(e - p));
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (hay = strstr(hay, needle); hay != NULL; hay = strstr(hay + 1, needle))
		n++;
	return n;
}

/* A full set of values: every optional element present. */
struct fixture {
	struct feedback_meta meta;
	struct report_policy pol;
	struct report_row row;
	struct report_dkim dkim[2];
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->meta = (struct feedback_meta){
	    .org_name = "Example Receiver",
	    .email = "dmarc-reports@mx.example.org",
	    .extra_contact = "https://mx.example.org/dmarc",
	    .report_id = "20240327a1b2c3d4e5f60718",
	    .begin = 1711497600,
	    .end = 1711583999,
	    .error = "multiple records",
	    .generator = "authmilter 0.1.0",
	};
	f->pol = (struct report_policy){
	    .domain = "example.com",
	    .p = "reject",
	    .sp = "quarantine",
	    .np = "none",
	    .adkim = 's',
	    .aspf = 'r',
	    .fo = "1:d",
	    .testing = true,
	    .discovery = "treewalk",
	    .rua = "mailto:d@example.com",
	};
	f->dkim[0] = (struct report_dkim){"example.com", "sel1", "pass"};
	f->dkim[1] = (struct report_dkim){"esp.example", "s2", "fail"};
	f->row = (struct report_row){
	    .source_ip = "192.0.2.1",
	    .disposition = REPORT_DISP_QUARANTINE,
	    .dkim_pass = true,
	    .spf_pass = false,
	    .n_reasons = 2,
	    .header_from = "news.example.com",
	    .envelope_from = "bounce.example.com",
	    .dkim = f->dkim,
	    .n_dkim = 2,
	    .spf_domain = "bounce.example.com",
	    .spf_result = "softfail",
	};
	f->row.reasons[0] = (struct report_reason){REPORT_REASON_LOCAL_POLICY, "allow list"};
	f->row.reasons[1] = (struct report_reason){REPORT_REASON_OTHER, NULL};
}

static char *fixture_doc(const struct fixture *f, long count)
{
	struct strbuf doc = STRBUF_INIT;

	feedback_begin(&doc, &f->meta, &f->pol);
	feedback_record(&doc, &f->row, count);
	feedback_end(&doc);
	return strbuf_detach(&doc);
}

static const char full_tags[] =
    "feedback\nversion\n/version\n"
    "report_metadata\norg_name\n/org_name\nemail\n/email\n"
    "extra_contact_info\n/extra_contact_info\nreport_id\n/report_id\n"
    "date_range\nbegin\n/begin\nend\n/end\n/date_range\n"
    "error\n/error\ngenerator\n/generator\n/report_metadata\n"
    "policy_published\ndomain\n/domain\ndiscovery_method\n/discovery_method\n"
    "p\n/p\nsp\n/sp\nnp\n/np\nfo\n/fo\nadkim\n/adkim\naspf\n/aspf\n"
    "testing\n/testing\n/policy_published\n"
    "record\nrow\nsource_ip\n/source_ip\ncount\n/count\n"
    "policy_evaluated\ndisposition\n/disposition\ndkim\n/dkim\nspf\n/spf\n"
    "reason\ntype\n/type\ncomment\n/comment\n/reason\n"
    "reason\ntype\n/type\n/reason\n/policy_evaluated\n/row\n"
    "identifiers\nheader_from\n/header_from\nenvelope_from\n/envelope_from\n"
    "/identifiers\n"
    "auth_results\n"
    "dkim\ndomain\n/domain\nselector\n/selector\nresult\n/result\n/dkim\n"
    "dkim\ndomain\n/domain\nselector\n/selector\nresult\n/result\n/dkim\n"
    "spf\ndomain\n/domain\nscope\n/scope\nresult\n/result\n/spf\n"
    "/auth_results\n/record\n/feedback\n";

/* Every element in the RFC's order, with the values where they belong. */
static void test_full_document(void **state)
{
	static const struct {
		const char *parent, *name, *want;
	} vals[] = {
	    {NULL, "version", "1.0"},
	    {"report_metadata", "org_name", "Example Receiver"},
	    {"report_metadata", "email", "dmarc-reports@mx.example.org"},
	    {"report_metadata", "extra_contact_info", "https://mx.example.org/dmarc"},
	    {"report_metadata", "report_id", "20240327a1b2c3d4e5f60718"},
	    {"date_range", "begin", "1711497600"},
	    {"date_range", "end", "1711583999"},
	    {"report_metadata", "error", "multiple records"},
	    {"report_metadata", "generator", "authmilter 0.1.0"},
	    {"policy_published", "domain", "example.com"},
	    {"policy_published", "discovery_method", "treewalk"},
	    {"policy_published", "p", "reject"},
	    {"policy_published", "sp", "quarantine"},
	    {"policy_published", "np", "none"},
	    {"policy_published", "fo", "1:d"},
	    {"policy_published", "adkim", "s"},
	    {"policy_published", "aspf", "r"},
	    {"policy_published", "testing", "y"},
	    {"row", "source_ip", "192.0.2.1"},
	    {"row", "count", "42"},
	    {"policy_evaluated", "disposition", "quarantine"},
	    {"policy_evaluated", "dkim", "pass"},
	    {"policy_evaluated", "spf", "fail"},
	    {"reason", "type", "local_policy"},
	    {"reason", "comment", "allow list"},
	    {"identifiers", "header_from", "news.example.com"},
	    {"identifiers", "envelope_from", "bounce.example.com"},
	    {"auth_results", "domain", "example.com"},
	    {"auth_results", "selector", "sel1"},
	    {"auth_results", "result", "pass"},
	    {"spf", "domain", "bounce.example.com"},
	    {"spf", "scope", "mfrom"},
	    {"spf", "result", "softfail"},
	};
	struct fixture f;
	char *doc, *tags, *t;
	size_t i;

	fixture_init(&f);
	doc = fixture_doc(&f, 42);
	tags = tags_of(doc);
	assert_string_equal(tags, full_tags);
	assert_true(strncmp(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
	assert_non_null(strstr(doc, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"));
	assert_int_equal(strcmp(doc + strlen(doc) - 12, "</feedback>\n"), 0);
	for (i = 0; i < N_OF(vals); i++) {
		t = text_of(doc, vals[i].parent, vals[i].name);
		assert_non_null(t);
		assert_string_equal(t, vals[i].want);
		free(t);
	}
	/* the second reason (no comment) and the second signature */
	assert_non_null(strstr(doc, "<reason>\n          <type>other</type>\n        </reason>"));
	assert_non_null(strstr(doc, "<selector>s2</selector>\n        <result>fail</result>"));
	free(tags);
	free(doc);
}

/* Optional elements left out: NULL metadata, NULL sp/np/fo/discovery, an
 * alignment mode that is neither r nor s, no envelope_from, no DKIM, no
 * SPF result, no reasons. */
static void test_optional_omitted(void **state)
{
	struct fixture f;
	char *doc, *tags, *t;

	fixture_init(&f);
	f.meta.extra_contact = f.meta.error = f.meta.generator = NULL;
	f.pol.sp = f.pol.np = f.pol.fo = f.pol.discovery = NULL;
	f.pol.adkim = '\0';
	f.pol.aspf = 'x';
	f.pol.testing = false;
	f.row.envelope_from = NULL;
	f.row.n_dkim = 0;
	f.row.spf_result = NULL;
	f.row.n_reasons = 0;
	doc = fixture_doc(&f, 1);
	tags = tags_of(doc);
	assert_string_equal(tags, "feedback\nversion\n/version\n"
				  "report_metadata\norg_name\n/org_name\nemail\n/email\n"
				  "report_id\n/report_id\n"
				  "date_range\nbegin\n/begin\nend\n/end\n/date_range\n"
				  "/report_metadata\n"
				  "policy_published\ndomain\n/domain\np\n/p\n"
				  "testing\n/testing\n/policy_published\n"
				  "record\nrow\nsource_ip\n/source_ip\ncount\n/count\n"
				  "policy_evaluated\ndisposition\n/disposition\ndkim\n/dkim\n"
				  "spf\n/spf\n/policy_evaluated\n/row\n"
				  "identifiers\nheader_from\n/header_from\n/identifiers\n"
				  "auth_results\n/auth_results\n/record\n/feedback\n");
	t = text_of(doc, "policy_published", "testing");
	assert_string_equal(t, "n");
	free(t);
	free(tags);
	free(doc);

	/* a null reverse-path: envelope_from written, empty */
	f.row.envelope_from = "";
	doc = fixture_doc(&f, 1);
	assert_non_null(strstr(doc, "<header_from>news.example.com</header_from>\n"
				    "      <envelope_from></envelope_from>\n"));
	free(doc);
}

enum field {
	F_ORG,
	F_EMAIL,
	F_EXTRA,
	F_RID,
	F_ERROR,
	F_GENERATOR,
	F_DOMAIN,
	F_FO,
	F_DISCOVERY,
	F_P,
	F_SP,
	F_NP,
	F_IP,
	F_COMMENT,
	F_HFROM,
	F_EFROM,
	F_DKIM_D,
	F_DKIM_S,
	F_DKIM_R,
	F_SPF_D,
	F_SPF_R,
	F_MAX
};

static const struct {
	const char *parent, *name;
} field_elem[F_MAX] = {
    [F_ORG] = {"report_metadata", "org_name"},
    [F_EMAIL] = {"report_metadata", "email"},
    [F_EXTRA] = {"report_metadata", "extra_contact_info"},
    [F_RID] = {"report_metadata", "report_id"},
    [F_ERROR] = {"report_metadata", "error"},
    [F_GENERATOR] = {"report_metadata", "generator"},
    [F_DOMAIN] = {"policy_published", "domain"},
    [F_FO] = {"policy_published", "fo"},
    [F_DISCOVERY] = {"policy_published", "discovery_method"},
    [F_P] = {"policy_published", "p"},
    [F_SP] = {"policy_published", "sp"},
    [F_NP] = {"policy_published", "np"},
    [F_IP] = {"row", "source_ip"},
    [F_COMMENT] = {"reason", "comment"},
    [F_HFROM] = {"identifiers", "header_from"},
    [F_EFROM] = {"identifiers", "envelope_from"},
    [F_DKIM_D] = {"auth_results", "domain"},
    [F_DKIM_S] = {"auth_results", "selector"},
    [F_DKIM_R] = {"auth_results", "result"},
    [F_SPF_D] = {"spf", "domain"},
    [F_SPF_R] = {"spf", "result"},
};

static void fixture_set(struct fixture *f, enum field which, char *v)
{
	char **slot[F_MAX] = {
	    [F_DOMAIN] = &f->pol.domain,
	    [F_FO] = &f->pol.fo,
	    [F_DISCOVERY] = &f->pol.discovery,
	    [F_P] = &f->pol.p,
	    [F_SP] = &f->pol.sp,
	    [F_NP] = &f->pol.np,
	    [F_IP] = &f->row.source_ip,
	    [F_COMMENT] = &f->row.reasons[0].comment,
	    [F_HFROM] = &f->row.header_from,
	    [F_EFROM] = &f->row.envelope_from,
	    [F_DKIM_D] = &f->dkim[0].domain,
	    [F_DKIM_S] = &f->dkim[0].selector,
	    [F_DKIM_R] = &f->dkim[0].result,
	    [F_SPF_D] = &f->row.spf_domain,
	    [F_SPF_R] = &f->row.spf_result,
	};
	const char **mslot[F_MAX] = {
	    [F_ORG] = &f->meta.org_name,	[F_EMAIL] = &f->meta.email,
	    [F_EXTRA] = &f->meta.extra_contact, [F_RID] = &f->meta.report_id,
	    [F_ERROR] = &f->meta.error,		[F_GENERATOR] = &f->meta.generator,
	};

	if (slot[which] != NULL)
		*slot[which] = v;
	else
		*mslot[which] = v;
}

/* Each field in turn holds each hostile value: the tags of the document
 * stay those of the plain one, and the element holds the escaped text. */
static void test_hostile_fields(void **state)
{
	static const struct {
		const char *in, *want;
	} vals[] = {
	    {"</domain><domain>evil.example</domain>",
	     "&lt;/domain&gt;&lt;domain&gt;evil.example&lt;/domain&gt;"},
	    {"a&b\"c'd<!--", "a&amp;b&quot;c&apos;d&lt;!--"},
	    {"x\r\ny\x01\x1b", "x&#xD;&#xA;y" FFFD FFFD},
	    {"\xff\xfe<\xc0\xae\xed\xa0\x80", FFFD FFFD "&lt;" FFFD FFFD FFFD FFFD FFFD},
	    {"b\xc3\xbc"
	     "cher.example \xe2\x9c\x89\xef\xbf\xbe",
	     "b\xc3\xbc"
	     "cher.example \xe2\x9c\x89" FFFD},
	    {"<![CDATA[x]]>", "&lt;![CDATA[x]]&gt;"},
	};
	struct fixture f;
	char *plain, *plain_tags;
	size_t v;
	int w;

	fixture_init(&f);
	plain = fixture_doc(&f, 3);
	plain_tags = tags_of(plain);
	for (w = 0; w < F_MAX; w++) {
		for (v = 0; v < N_OF(vals); v++) {
			char *value = xstrdup(vals[v].in), *doc, *tags, *t;

			fixture_init(&f);
			fixture_set(&f, (enum field)w, value);
			doc = fixture_doc(&f, 3);
			tags = tags_of(doc);
			if (strcmp(tags, plain_tags) != 0 || strchr(doc, '\r') != NULL)
				print_error("field %d value %zu\n", w, v);
			assert_string_equal(tags, plain_tags);
			assert_null(strchr(doc, '\r'));
			t = text_of(doc, field_elem[w].parent, field_elem[w].name);
			assert_non_null(t);
			assert_string_equal(t, vals[v].want);
			free(t);
			free(tags);
			free(doc);
			free(value);
		}
	}
	free(plain_tags);
	free(plain);
}

/* At most REPORT_MAX_DKIM signatures and REPORT_MAX_REASONS reasons, the
 * first ones; the count as given; several records in one document. */
static void test_limits_and_counts(void **state)
{
	struct report_dkim many[REPORT_MAX_DKIM + 50];
	char names[REPORT_MAX_DKIM + 50][16];
	struct fixture f;
	struct strbuf doc = STRBUF_INIT;
	size_t i;
	char *t;

	for (i = 0; i < N_OF(many); i++) {
		snprintf(names[i], sizeof(names[i]), "d%zu.example", i);
		many[i] = (struct report_dkim){names[i], "s", i % 2 ? "fail" : "pass"};
	}
	fixture_init(&f);
	f.row.dkim = many;
	f.row.n_dkim = N_OF(many);
	for (i = 0; i < REPORT_MAX_REASONS; i++)
		f.row.reasons[i] = (struct report_reason){REPORT_REASON_OTHER, "r"};
	f.row.n_reasons = REPORT_MAX_REASONS + 3; /* not believed */
	feedback_begin(&doc, &f.meta, &f.pol);
	feedback_record(&doc, &f.row, 123456789L);
	f.row.n_dkim = 1;
	f.row.n_reasons = 0;
	feedback_record(&doc, &f.row, 1);
	f.row.dkim = NULL;
	f.row.n_dkim = 5; /* no array: nothing to write */
	feedback_record(&doc, &f.row, 0);
	feedback_end(&doc);

	assert_int_equal(count_of(doc.s, "<record>"), 3);
	assert_int_equal(count_of(doc.s, "</record>"), 3);
	assert_int_equal(count_of(doc.s, "<selector>"), REPORT_MAX_DKIM + 1);
	assert_int_equal(count_of(doc.s, "<reason>"), REPORT_MAX_REASONS);
	assert_non_null(strstr(doc.s, "<domain>d99.example</domain>"));
	assert_null(strstr(doc.s, "<domain>d100.example</domain>"));
	assert_int_equal(count_of(doc.s, "<count>123456789</count>"), 1);
	assert_int_equal(count_of(doc.s, "<count>1</count>"), 1);
	assert_int_equal(count_of(doc.s, "<count>0</count>"), 1);
	assert_int_equal(count_of(doc.s, "<policy_published>"), 1);
	t = text_of(doc.s, "record", "count");
	assert_string_equal(t, "123456789");
	free(t);
	strbuf_free(&doc);
}

/* The schema's names of every disposition and reason type. */
static void test_enum_names(void **state)
{
	static const struct {
		enum report_disposition d;
		const char *name;
	} disp[] = {
	    {REPORT_DISP_NONE, "none"},
	    {REPORT_DISP_PASS, "pass"},
	    {REPORT_DISP_QUARANTINE, "quarantine"},
	    {REPORT_DISP_REJECT, "reject"},
	};
	static const struct {
		enum report_reason_type t;
		const char *name;
	} why[] = {
	    {REPORT_REASON_LOCAL_POLICY, "local_policy"},
	    {REPORT_REASON_MAILING_LIST, "mailing_list"},
	    {REPORT_REASON_OTHER, "other"},
	    {REPORT_REASON_POLICY_TEST_MODE, "policy_test_mode"},
	    {REPORT_REASON_TRUSTED_FORWARDER, "trusted_forwarder"},
	};
	struct fixture f;
	size_t i;
	char *doc, *t;

	for (i = 0; i < N_OF(disp); i++) {
		fixture_init(&f);
		f.row.disposition = disp[i].d;
		f.row.dkim_pass = i % 2 == 0;
		f.row.spf_pass = i % 2 == 1;
		doc = fixture_doc(&f, 1);
		t = text_of(doc, "policy_evaluated", "disposition");
		assert_string_equal(t, disp[i].name);
		free(t);
		t = text_of(doc, "policy_evaluated", "dkim");
		assert_string_equal(t, i % 2 == 0 ? "pass" : "fail");
		free(t);
		t = text_of(doc, "policy_evaluated", "spf");
		assert_string_equal(t, i % 2 == 1 ? "pass" : "fail");
		free(t);
		free(doc);
	}
	for (i = 0; i < N_OF(why); i++) {
		fixture_init(&f);
		f.row.reasons[0].type = why[i].t;
		doc = fixture_doc(&f, 1);
		t = text_of(doc, "reason", "type");
		assert_string_equal(t, why[i].name);
		free(t);
		free(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_table),      cmocka_unit_test(test_full_document),
	    cmocka_unit_test(test_optional_omitted),  cmocka_unit_test(test_hostile_fields),
	    cmocka_unit_test(test_limits_and_counts), cmocka_unit_test(test_enum_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
