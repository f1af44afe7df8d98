/*
 * test_authres - unit tests for authres_format(), authres_value(),
 * authres_read_authserv_id(), authres_valid() and authres_id_equal()
 *
 * Verdicts are built on the stack with literal strings (never freed), so
 * this test needs only the authres objects of the engine library.
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

#include "engine/authres.h"

#define S(x) ((char *)(x))

struct str_case {
	const char *in;
	const char *want; /* NULL: expect NULL */
};

static void check_str(const char *what, const char *in, const char *got, const char *want)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
		fail_msg("%s(\"%s\"): got [%s], want [%s]", what, in, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_value(void **state)
{
	static char longv[400], longwant[AUTHRES_VALUE_MAX + 1];
	const struct str_case cases[] = {
	    {"example.com", "example.com"},
	    {"user@example.com", "user@example.com"},
	    {"first.last+tag@sub.example.com", "first.last+tag@sub.example.com"},
	    {"@example.com", "@example.com"},
	    {"rsa-sha256", "rsa-sha256"},
	    {"abc+DEF9", "abc+DEF9"},
	    {"", "\"\""},
	    {"example.net(.example.com", "\"example.net(.example.com\""},
	    {"a;dkim=pass", "\"a;dkim=pass\""},
	    {"x\"y", "\"x\\\"y\""},
	    {"a\\b", "\"a\\\\b\""},
	    {"\r\nX-Injected: 1", "\"??X-Injected: 1\""},
	    {"caf\xc3\xa9.example", "\"caf??.example\""},
	    {"tab\there", "\"tab?here\""},
	    {"del\x7f", "\"del?\""},
	    {"john doe@example.com", "\"john doe@example.com\""},
	    {"a..b@example.com", "\"a..b@example.com\""},
	    {".a@example.com", "\".a@example.com\""},
	    {"a=b@example.com", "\"a=b@example.com\""},
	    {"user@exa_mple.com", "\"user@exa_mple.com\""},
	    {"user@example.com.", "\"user@example.com.\""},
	    {"user@-example.com", "\"user@-example.com\""},
	    {"user@example-.com", "\"user@example-.com\""},
	    {"a@b@example.com", "\"a@b@example.com\""},
	    {"Qgi/FoC0", "\"Qgi/FoC0\""},
	    {"(comment)", "\"(comment)\""},
	    {"reason=\"x\"", "\"reason=\\\"x\\\"\""},
	    {longv, longwant},
	};
	size_t i;

	(void)state;
	memset(longv, 'a', sizeof(longv) - 1);
	memset(longwant, 'a', AUTHRES_VALUE_MAX);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = authres_value(cases[i].in);

		check_str("authres_value", cases[i].in, got, cases[i].want);
		free(got);
	}
	{
		char *got = authres_value(NULL);

		check_str("authres_value", "(null)", got, "\"\"");
		free(got);
	}
}

static struct verdict base_verdict(void)
{
	struct verdict v;

	memset(&v, 0, sizeof(v));
	v.spf.result = SPF_RESULT_PASS;
	v.spf.identity = S("user@example.com");
	v.spf.domain = S("example.com");
	v.spf_helo.result = SPF_RESULT_PASS;
	v.spf_helo.identity = S("mail.example.com");
	v.header_from = S("example.com");
	v.dmarc.result = DMARC_RESULT_PASS;
	v.dmarc.have_record = true;
	v.dmarc.rec.p = DMARC_POLICY_REJECT;
	v.dmarc.rec.sp = DMARC_POLICY_QUARANTINE;
	v.dmarc.rec.pct = 100;
	v.dmarc.policy = DMARC_POLICY_REJECT;
	v.dmarc.applied = DMARC_POLICY_NONE;
	return v;
}

static struct dkimv_sig good_sig(void)
{
	struct dkimv_sig s;

	memset(&s, 0, sizeof(s));
	s.domain = S("example.com");
	s.selector = S("sel1");
	s.algorithm = S("rsa-sha256");
	s.b_prefix = S("abcdEFGH");
	s.key_bits = 2048;
	s.result = DKIMV_PASS;
	s.body_length = -1;
	return s;
}

static void check_format(const char *name, const struct verdict *v, const char *want)
{
	char *got = authres_format("mx.example.org", v);

	check_str("authres_format", name, got, want);
	free(got);
}

static void test_format_exact(void **state)
{
	struct verdict v = base_verdict();
	struct dkimv_sig sigs[2] = {good_sig(), good_sig()};

	(void)state;
	v.dkim = sigs;
	v.n_dkim = 1;
	check_format("all pass", &v,
		     " mx.example.org;\n"
		     "\tspf=pass smtp.mailfrom=user@example.com;\n"
		     "\tspf=pass smtp.helo=mail.example.com;\n"
		     "\tdkim=pass (2048-bit key) header.d=example.com header.s=sel1\n"
		     "\t\theader.a=rsa-sha256 header.b=abcdEFGH;\n"
		     "\tdmarc=pass (p=reject sp=quarantine pct=100 dis=none discovery=treewalk)\n"
		     "\t\theader.from=example.com policy.dmarc=reject");

	/* Nothing found anywhere; no HELO identity. */
	memset(&v, 0, sizeof(v));
	v.spf.identity = S("postmaster@helo.example");
	v.spf.reason = S("no SPF record");
	v.dmarc.reason = S("no DMARC record");
	v.author = AUTHOR_NO_FROM;
	check_format("all none", &v,
		     " mx.example.org;\n"
		     "\tspf=none reason=\"no SPF record\" smtp.mailfrom=postmaster@helo.example;\n"
		     "\tdkim=none;\n"
		     "\tdmarc=none (no From header) reason=\"no DMARC record\"");

	/* Failures: reasons, a quoted header.b written last, pct sampling. */
	v = base_verdict();
	v.spf.result = SPF_RESULT_SOFTFAIL;
	v.spf.reason = S("matched ~all");
	v.spf_helo.result = SPF_RESULT_TEMPERROR;
	v.spf_helo.reason = S("DNS timeout");
	sigs[0].result = DKIMV_FAIL;
	sigs[0].reason = S("body hash mismatch");
	sigs[0].b_prefix = S("ab/dEF=H");
	sigs[0].key_bits = 0;
	sigs[0].testing = true;
	sigs[0].body_length = 12;
	sigs[1].result = DKIMV_POLICY;
	sigs[1].algorithm = S("rsa-sha1");
	sigs[1].key_bits = 512;
	sigs[1].reason = S("rsa-sha1 not accepted");
	v.dkim = sigs;
	v.n_dkim = 2;
	v.dmarc.result = DMARC_RESULT_FAIL;
	v.dmarc.rec.sp = DMARC_POLICY_UNSET;
	v.dmarc.rec.np = DMARC_POLICY_NONE;
	v.dmarc.rec.pct = 50;
	v.dmarc.rec.testing = true;
	v.dmarc.applied = DMARC_POLICY_QUARANTINE;
	v.dmarc.discovery = DMARC_DISCOVERY_PSL;
	v.dmarc.reason = S("no aligned identifier");
	check_format(
	    "failures", &v,
	    " mx.example.org;\n"
	    "\tspf=softfail reason=\"matched ~all\" smtp.mailfrom=user@example.com;\n"
	    "\tspf=temperror reason=\"DNS timeout\" smtp.helo=mail.example.com;\n"
	    "\tdkim=fail (testing, l=12) reason=\"body hash mismatch\" header.d=example.com\n"
	    "\t\theader.s=sel1 header.a=rsa-sha256 header.b=\"ab/dEF=H\";\n"
	    "\tdkim=policy (512-bit key) reason=\"rsa-sha1 not accepted\" header.d=example.com\n"
	    "\t\theader.s=sel1 header.a=rsa-sha1 header.b=abcdEFGH;\n"
	    "\tdmarc=fail (p=reject np=none pct=50 t=y dis=quarantine discovery=psl)\n"
	    "\t\treason=\"no aligned identifier\" header.from=example.com\n"
	    "\t\tpolicy.dmarc=quarantine");
}

/* reason= is a value, not a pvalue: an address is quoted; "" is left out. */
static void test_format_reasons(void **state)
{
	struct verdict v = base_verdict();
	struct dkimv_sig s = good_sig();

	(void)state;
	v.spf.result = SPF_RESULT_FAIL;
	v.spf.reason = S("");
	v.spf_helo.identity = NULL;
	s.result = DKIMV_PERMERROR;
	s.reason = S("no key for sel1@example.com");
	s.key_bits = 0;
	v.dkim = &s;
	v.n_dkim = 1;
	v.dmarc.result = DMARC_RESULT_TEMPERROR;
	v.dmarc.reason = S("a@example.com");
	v.dmarc.have_record = false;
	check_format(
	    "reasons", &v,
	    " mx.example.org;\n"
	    "\tspf=fail smtp.mailfrom=user@example.com;\n"
	    "\tdkim=permerror reason=\"no key for sel1@example.com\" header.d=example.com\n"
	    "\t\theader.s=sel1 header.a=rsa-sha256 header.b=abcdEFGH;\n"
	    "\tdmarc=temperror reason=\"a@example.com\" header.from=example.com");
}

/*
 * Shape checks for any formatted value: valid RFC 8601, our id reads
 * back, 7-bit, every line break is "\n\t", lines fit the fold column
 * unless they hold a single part (no space outside quotes).
 */
static void check_shape(const char *name, const char *id, const char *got)
{
	const char *line = got, *p;
	char *rid = authres_read_authserv_id(got);
	size_t col;

	if (!authres_valid(got))
		fail_msg("%s: not valid RFC 8601: [%s]", name, got);
	check_str("read id of format", name, rid, id);
	free(rid);
	for (p = got; *p; p++) {
		if ((unsigned char)*p >= 0x80 || *p == '\r' ||
		    (*p < 0x20 && *p != '\n' && *p != '\t'))
			fail_msg("%s: byte 0x%02x at %zu", name, (unsigned char)*p,
				 (size_t)(p - got));
		if (*p == '\n' && p[1] != '\t')
			fail_msg("%s: line break not followed by a tab at %zu", name,
				 (size_t)(p - got));
	}
	col = strlen("Authentication-Results:");
	while (line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		size_t spaces = 0;
		bool quoted = false;

		for (p = line; p < line + len; p++) {
			if (*p == '\\' && quoted)
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (*p == ' ' && !quoted)
				spaces++;
		}
		if (quoted)
			fail_msg("%s: fold inside a quoted-string: [%.*s]", name, (int)len, line);
		if (col + len > AUTHRES_FOLD_COLUMN && spaces > 0 && line != got)
			fail_msg("%s: line of %zu columns: [%.*s]", name, col + len, (int)len,
				 line);
		col = 0;
		line = end ? end + 1 : NULL;
	}
}

static const char *hostile[] = {
    "example.net(.example.com",
    "a;dkim=pass",
    "x\"y",
    "\r\nX-Injected: 1",
    "\xff\xfe 8-bit \xc3\xa9",
    "",
    "a\\",
    "\\",
    "(",
    ")",
    "\"",
    "x; dmarc=pass",
    "header.d=evil.example",
    "a b c",
    "foo\n\tbar",
    "@",
    "user@",
    "reason=x",
    "example.com (comment) policy.dmarc=none",
    "user@example.com",
    "a very long value that goes on and on and on past the seventy-eight column limit easily",
};

static void test_format_hostile(void **state)
{
	size_t i, n = sizeof(hostile) / sizeof(hostile[0]);

	(void)state;
	for (i = 0; i < n; i++) {
		struct verdict v = base_verdict();
		struct dkimv_sig sigs[7];
		const char *h = hostile[i];
		char *got;
		size_t k;

		for (k = 0; k < 7; k++) {
			sigs[k] = good_sig();
			sigs[k].result = (enum dkimv_result)k;
		}
		sigs[i % 7].domain = S(h);
		sigs[(i + 1) % 7].selector = S(h);
		sigs[(i + 2) % 7].algorithm = S(h);
		sigs[(i + 3) % 7].b_prefix = S(h);
		sigs[(i + 4) % 7].reason = S(h);
		v.dkim = sigs;
		v.n_dkim = 7;
		v.spf.identity = S(h);
		v.spf.result = SPF_RESULT_FAIL;
		v.spf.reason = S(h);
		v.spf_helo.identity = S(h);
		v.header_from = S(h);
		v.dmarc.result = DMARC_RESULT_PERMERROR;
		v.dmarc.reason = S(h);
		got = authres_format("mx.example.org", &v);
		check_shape(h, "mx.example.org", got);
		free(got);
	}
}

static void test_format_ids(void **state)
{
	const struct str_case ids[] = {
	    {"mx.example.org", "mx.example.org"},
	    {"MX.Example.ORG.", "MX.Example.ORG."},
	    {"odd id;x", "odd id;x"},
	    {"q\"uote", "q\"uote"},
	    {"-@c", "-@c"},
	    {"user@example.com", "user@example.com"},
	};
	struct verdict v = base_verdict();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char *got = authres_format(ids[i].in, &v);

		check_shape(ids[i].in, ids[i].want, got);
		free(got);
	}
}

static void test_format_dkim_cap(void **state)
{
	struct dkimv_sig sigs[AUTHRES_DKIM_MAX + 3];
	struct verdict v = base_verdict();
	size_t i, count = 0;
	char *got;
	const char *p;

	(void)state;
	for (i = 0; i < AUTHRES_DKIM_MAX + 3; i++)
		sigs[i] = good_sig();
	v.dkim = sigs;
	v.n_dkim = AUTHRES_DKIM_MAX + 3;
	got = authres_format("mx.example.org", &v);
	for (p = got; (p = strstr(p, "dkim=")); p++)
		count++;
	if (count != AUTHRES_DKIM_MAX)
		fail_msg("dkim results: got %zu, want %d", count, AUTHRES_DKIM_MAX);
	check_shape("dkim cap", "mx.example.org", got);
	free(got);
}

static void test_read_authserv_id(void **state)
{
	const struct str_case cases[] = {
	    {" mx.example.org; spf=pass smtp.mailfrom=a@b.example", "mx.example.org"},
	    {"mx.example.org;none", "mx.example.org"},
	    {"mx.example.org", "mx.example.org"},
	    {"\r\n\tmx.example.org\r\n ; none", "mx.example.org"},
	    {"(c (nested \\) still) x) mx.example.org (after); none", "mx.example.org"},
	    {" \"mx.example.org\"; none", "mx.example.org"},
	    {"\"mx.ex\\\"ample\\\\.org\"; none", "mx.ex\"ample\\.org"},
	    {"\"mx.example\r\n .org\"; none", "mx.example .org"},
	    {"mx.example.org 1; none", "mx.example.org"},
	    {"mx.example.org(comment); none", "mx.example.org"},
	    {"mx.example.org foo; garbage", "mx.example.org"},
	    {"", NULL},
	    {NULL, NULL},
	    {"   ", NULL},
	    {"(unterminated comment mx.example.org; none", NULL},
	    {"(a) (b (c)", NULL},
	    {"\"unterminated; none", NULL},
	    {"\"\"; none", NULL},
	    {"; spf=pass", NULL},
	    {"mx.example.org=x; none", NULL},
	    {"mx.example.org/1; none", NULL},
	    {"mx.example.org\x01; none", NULL},
	    {"mx.example.org\xc3\xa9; none", NULL},
	    {"@mx.example.org; none", NULL},
	    {"\n mx.example.org; none", "mx.example.org"},
	    {"\nmx.example.org; none", NULL},
	    {"(x\\", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = authres_read_authserv_id(cases[i].in);

		check_str("authres_read_authserv_id", cases[i].in ? cases[i].in : "(null)", got,
			  cases[i].want);
		free(got);
	}
}

static void test_id_equal(void **state)
{
	const struct {
		const char *a, *b;
		bool want;
	} cases[] = {
	    {"mx.example.org", "mx.example.org", true},
	    {"MX.Example.Org", "mx.example.org", true},
	    {"mx.example.org.", "mx.example.org", true},
	    {"mx.example.org", "mx.example.org.", true},
	    {"mx.example.org.", "MX.EXAMPLE.ORG.", true},
	    {"mx.example.org..", "mx.example.org", false},
	    {"mx.example.org", "mx.example.org.x", false},
	    {"mx.example.or", "mx.example.org", false},
	    {"", "", true},
	    {".", "", true},
	    {NULL, "mx.example.org", false},
	    {"mx.example.org", NULL, false},
	    {NULL, NULL, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = authres_id_equal(cases[i].a, cases[i].b);

		if (got != cases[i].want)
			fail_msg("authres_id_equal(%s, %s): got %d, want %d",
				 cases[i].a ? cases[i].a : "(null)",
				 cases[i].b ? cases[i].b : "(null)", got, cases[i].want);
	}
}

/* authres_parse(): results and properties, with the forms big providers
 * send (an authres-version token, comments holding ";"). */
static void test_parse(void **state)
{
	struct authres_parsed p;

	assert_int_equal(
	    authres_parse(
		"mx.microsoft.com 1; spf=pass (sender IP is 192.0.2.9; ok) "
		"smtp.mailfrom=news@example.com; dkim=pass (signature was verified) "
		"header.d=example.com;\r\n dmarc=pass action=none header.from=example.com",
		&p, false),
	    -1); /* "action=none" is not ptype.property: not RFC 8601 */
	assert_int_equal(authres_parse("mx.microsoft.com 1; spf=pass (sender IP is 192.0.2.9; ok) "
				       "smtp.mailfrom=news@example.com; dmarc=pass action=none "
				       "header.from=example.com;compauth=pass reason=100",
				       &p, true),
			 0); /* ... but Microsoft writes it: the lenient reading skips it */
	assert_int_equal(p.n, 3);
	assert_string_equal(authres_prop(&p.res[1], "header", "from"), "example.com");
	assert_string_equal(p.res[2].method, "compauth");
	authres_parsed_clear(&p);
	assert_int_equal(
	    authres_parse("mx.microsoft.com 1; spf=pass (sender IP is 192.0.2.9; ok) "
			  "smtp.mailfrom=news@example.com; dkim=pass (signature was verified)\r\n"
			  " header.d=example.com; dmarc=pass header.from=\"example.com\"",
			  &p, false),
	    0);
	assert_string_equal(p.authserv_id, "mx.microsoft.com");
	assert_int_equal(p.n, 3);
	assert_string_equal(p.res[0].method, "spf");
	assert_string_equal(p.res[0].result, "pass");
	assert_string_equal(authres_prop(&p.res[0], "smtp", "mailfrom"), "news@example.com");
	assert_string_equal(authres_prop(&p.res[1], "HEADER", "d"), "example.com");
	assert_string_equal(authres_prop(&p.res[2], "header", "from"), "example.com");
	assert_null(authres_prop(&p.res[2], "header", "d"));
	authres_parsed_clear(&p);
	assert_int_equal(authres_parse("lists.example; dkim=pass header.i=@example.com", &p, false),
			 0);
	assert_string_equal(authres_prop(&p.res[0], "header", "i"), "@example.com");
	authres_parsed_clear(&p);
	assert_int_equal(authres_parse("example.org; none", &p, false), 0);
	assert_int_equal(p.n, 0);
	authres_parsed_clear(&p);
	assert_int_equal(authres_parse("example.org; dkim=", &p, true), -1);
	assert_null(p.res);
}

static void test_valid(void **state)
{
	const struct {
		const char *in;
		bool want;
	} cases[] = {
	    {"example.com; none", true},
	    {"example.com 1 (v); none (nothing)", true},
	    {"example.com; spf=pass smtp.mailfrom=user@example.net", true},
	    {"example.com; dkim=pass header.i=@example.net header.b=\"ab/c\"", true},
	    {"example.com; dkim/1=fail reason=\"bad\" header.d=x.example", true},
	    {"example.com;\n\tspf=pass (c) smtp.helo=h.example;\r\n dmarc=none\r\n", true},
	    {"example.com; dkim=pass header.d=\"a\"@example.com", true},
	    {"example.com; x=y policy.x=\"q\\\"s\"", true},
	    {"\"quoted.id\"; none", true},
	    {"", false},
	    {"example.com", false},
	    {"example.com;", false},
	    {"example.com; none; spf=pass", false},
	    {"example.com; none dkim=pass", false},
	    {"example.com; spf=pass; none", false},
	    {"example.com foo; none", false},
	    {"example.com; spf=pass smtp.mailfrom=a;b", false},
	    {"example.com; dkim=pass header.b=ab/c", false},
	    {"example.com; spf=pass smtp.mailfrom", false},
	    {"example.com; spf=pass mailfrom=x", false},
	    {"example.com; spf=pass smtp.mailfrom=x\nX-Injected: 1", false},
	    {"example.com; spf=pass (unterminated", false},
	    {"example.com; spf=pass reason=", false},
	    {"example.com; spf-=pass", false},
	    {"example.com; dkim=pass header.d=\"\xc3\xa9\"", true},
	    {"example.com; dkim=pass header.d=\xc3\xa9", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = authres_valid(cases[i].in);

		if (got != cases[i].want)
			fail_msg("authres_valid(\"%s\"): got %d, want %d", cases[i].in, got,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value),
	    cmocka_unit_test(test_format_exact),
	    cmocka_unit_test(test_format_reasons),
	    cmocka_unit_test(test_format_hostile),
	    cmocka_unit_test(test_format_ids),
	    cmocka_unit_test(test_format_dkim_cap),
	    cmocka_unit_test(test_read_authserv_id),
	    cmocka_unit_test(test_id_equal),
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
