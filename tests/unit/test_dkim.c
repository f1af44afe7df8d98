/*
 * test_dkim - unit tests for the pure parts of the DKIM verifier:
 * LF -> CRLF streaming across chunk splits, tag helpers (b= prefix, l=),
 * the result mapping table, the DNS answer builder, and the verifier API
 * on messages that need no key lookup.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <opendkim/dkim.h>

#include "dns/dkim_dns.h"
#include "engine/dkim.h"
#include "engine/dkim_internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* --- LF -> CRLF --- */

static const struct {
	const char *in, *out;
} crlf_cases[] = {
    {"", ""},
    {"a\nb\n", "a\r\nb\r\n"},
    {"a\r\nb\r\n", "a\r\nb\r\n"},
    {"\n\n", "\r\n\r\n"},
    {"a\rb\n", "a\rb\r\n"},
    {"x\r\r\ny\n\r\n", "x\r\r\ny\r\n\r\n"},
    {"no line end", "no line end"},
    {"mixed\r\nlf\nend\r\n", "mixed\r\nlf\r\nend\r\n"},
};

/* Converts in as chunks cut at cut1 and cut2 (cut1 <= cut2 <= len). */
static char *crlf_split(const char *in, size_t cut1, size_t cut2)
{
	struct dkimv_crlf st = {false};
	struct strbuf out = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)in;

	dkimv_crlf_conv(&st, p, cut1, &out);
	dkimv_crlf_conv(&st, p + cut1, cut2 - cut1, &out);
	dkimv_crlf_conv(&st, p + cut2, strlen(in) - cut2, &out);
	return strbuf_detach(&out);
}

/* The same through dkimv_crlf_view(), which copies only chunks that need
 * converting: the concatenated views must equal the conversion. */
static char *crlf_view_split(const char *in, size_t cut1, size_t cut2)
{
	struct dkimv_crlf st = {false};
	struct strbuf out = STRBUF_INIT, scratch = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)in, *v;
	size_t cuts[4] = {0, cut1, cut2, strlen(in)}, i, n;

	for (i = 0; i < 3; i++) {
		v = dkimv_crlf_view(&st, p + cuts[i], cuts[i + 1] - cuts[i], &scratch, &n);
		strbuf_add(&out, v, n);
	}
	strbuf_free(&scratch);
	return strbuf_detach(&out);
}

static void test_crlf_every_split(void **state)
{
	size_t i, a, b, len;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(crlf_cases) / sizeof(crlf_cases[0]); i++) {
		len = strlen(crlf_cases[i].in);
		for (a = 0; a <= len; a++) {
			for (b = a; b <= len; b++) {
				got = crlf_split(crlf_cases[i].in, a, b);
				if (strcmp(got, crlf_cases[i].out) != 0)
					print_error("case %zu cut %zu/%zu\n", i, a, b);
				assert_string_equal(got, crlf_cases[i].out);
				free(got);
				got = crlf_view_split(crlf_cases[i].in, a, b);
				assert_string_equal(got, crlf_cases[i].out);
				free(got);
			}
		}
	}
}

static void test_crlf_cr_then_lf_chunk(void **state)
{
	struct dkimv_crlf st = {false};
	struct strbuf out = STRBUF_INIT;

	(void)state;
	dkimv_crlf_conv(&st, (const unsigned char *)"a\r", 2, &out);
	assert_true(st.last_cr);
	dkimv_crlf_conv(&st, (const unsigned char *)"", 0, &out); /* empty chunk keeps state */
	assert_true(st.last_cr);
	dkimv_crlf_conv(&st, (const unsigned char *)"\nb", 2, &out);
	assert_false(st.last_cr);
	assert_string_equal(strbuf_str(&out), "a\r\nb");
	strbuf_free(&out);
}

/* --- tag helpers --- */

static const struct {
	const char *list, *tag, *want; /* want NULL: absent */
} tag_cases[] = {
    {"v=1; a=rsa-sha256; d=example.com", "d", "example.com"},
    {" v = 1 ;\r\n\td =  example.com  ; s=sel", "d", "example.com"},
    {"bh=AAAA; b=BBBB", "b", "BBBB"},
    {"b=BBBB; bh=AAAA", "bh", "AAAA"},
    {"b=ab\r\n cd==; d=x", "b", "ab\r\n cd=="},
    {"v=1; a=rsa-sha256", "d", NULL},
    {"synerr", "d", NULL},
    {"d=; s=x", "d", ""},
    {"", "d", NULL},
};

static void test_tag_value(void **state)
{
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(tag_cases) / sizeof(tag_cases[0]); i++) {
		got = dkimv_tag_value(tag_cases[i].list, tag_cases[i].tag);
		if (tag_cases[i].want == NULL) {
			if (got != NULL)
				print_error("case %zu: got \"%s\", expected absent\n", i, got);
			assert_null(got);
		} else {
			assert_non_null(got);
			assert_string_equal(got, tag_cases[i].want);
		}
		free(got);
	}
}

static const struct {
	const char *b, *want;
} bprefix_cases[] = {
    {"abcdefghijkl", "abcdefgh"},
    {"ab cd\r\n\tef gh ij", "abcdefgh"},
    {"abc", "abc"},
    {"", ""},
    {NULL, ""},
    {"  \r\n ", ""},
};

static void test_b_prefix(void **state)
{
	size_t i;
	char *got;

	(void)state;
	for (i = 0; i < sizeof(bprefix_cases) / sizeof(bprefix_cases[0]); i++) {
		got = dkimv_b_prefix(bprefix_cases[i].b);
		assert_string_equal(got, bprefix_cases[i].want);
		free(got);
	}
}

static const struct {
	const char *l;
	long want;
} l_cases[] = {
    {"123", 123}, {"0", 0},   {NULL, -1}, {"", -1},
    {"12a", -1},  {"-5", -1}, {" 5", -1}, {"99999999999999999999999", -1},
};

static void test_body_length(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(l_cases) / sizeof(l_cases[0]); i++)
		assert_int_equal(dkimv_body_length(l_cases[i].l), l_cases[i].want);
}

/* --- result mapping --- */

#define PROCESSED DKIM_SIGFLAG_PROCESSED
#define PASSED (DKIM_SIGFLAG_PROCESSED | DKIM_SIGFLAG_PASSED)

static const struct {
	const char *name;
	struct dkimv_facts f;
	enum dkimv_result want;
	const char *reason; /* substring */
} map_cases[] = {
    {"pass",
     {DKIM_SIGERROR_OK, PASSED, DKIM_SIGBH_MATCH, true, 2048, 1024, 5, DKIMV_SKIP_NONE, "k"},
     DKIMV_PASS,
     "signature verified"},
    {"pass, testing key",
     {DKIM_SIGERROR_OK, PASSED | DKIM_SIGFLAG_TESTKEY, DKIM_SIGBH_MATCH, true, 2048, 1024, 5, 0,
      "k"},
     DKIMV_PASS,
     "testing mode (t=y)"},
    {"ed25519 pass (256 bits is not an RSA key)",
     {DKIM_SIGERROR_OK, PASSED, DKIM_SIGBH_MATCH, false, 256, 1024, 5, 0, "k"},
     DKIMV_PASS,
     "verified"},
    {"weak RSA key passes crypto",
     {DKIM_SIGERROR_OK, PASSED, DKIM_SIGBH_MATCH, true, 512, 1024, 5, 0, "k"},
     DKIMV_POLICY,
     "512 bits is under the minimum of 1024"},
    {"weak RSA key fails crypto",
     {DKIM_SIGERROR_BADSIG, PROCESSED, DKIM_SIGBH_UNTESTED, true, 512, 1024, 5, 0, "k"},
     DKIMV_POLICY,
     "under the minimum"},
    {"libopendkim's own weak-key error",
     {DKIM_SIGERROR_KEYTOOSMALL, PROCESSED, DKIM_SIGBH_MATCH, true, 768, 1024, 5, 0, "k"},
     DKIMV_POLICY,
     "768 bits"},
    {"1024 bits at minimum 1024",
     {DKIM_SIGERROR_OK, PASSED, DKIM_SIGBH_MATCH, true, 1024, 1024, 5, 0, "k"},
     DKIMV_PASS,
     "verified"},
    {"body changed",
     {DKIM_SIGERROR_BADSIG, PASSED, DKIM_SIGBH_MISMATCH, true, 2048, 1024, 5, 0, "k"},
     DKIMV_FAIL,
     "body hash did not verify"},
    {"header changed",
     {DKIM_SIGERROR_BADSIG, PROCESSED, DKIM_SIGBH_UNTESTED, true, 2048, 1024, 5, 0, "k"},
     DKIMV_FAIL,
     "signed header fields changed"},
    {"l= beyond body",
     {DKIM_SIGERROR_TOOLARGE_L, PASSED, DKIM_SIGBH_MATCH, true, 2048, 1024, 5, 0, "k"},
     DKIMV_FAIL,
     "shorter than l="},
    {"no key",
     {DKIM_SIGERROR_NOKEY, PROCESSED, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "s._domainkey.d"},
     DKIMV_PERMERROR,
     "no key record published at s._domainkey.d"},
    {"revoked",
     {DKIM_SIGERROR_KEYREVOKED, PROCESSED, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "k"},
     DKIMV_PERMERROR,
     "revoked"},
    {"key lookup tempfail",
     {DKIM_SIGERROR_KEYFAIL, PROCESSED, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "s._domainkey.d"},
     DKIMV_TEMPERROR,
     "failed temporarily"},
    {"key record malformed",
     {DKIM_SIGERROR_DNSSYNTAX, PROCESSED, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "k"},
     DKIMV_PERMERROR,
     "malformed"},
    {"key does not decode",
     {DKIM_SIGERROR_KEYDECODE, PROCESSED, DKIM_SIGBH_UNTESTED, false, 0, 1024, 5, 0, "k"},
     DKIMV_PERMERROR,
     "does not decode"},
    {"expired",
     {DKIM_SIGERROR_EXPIRED, 0, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "k"},
     DKIMV_PERMERROR,
     "expired"},
    {"expired rsa-sha1: the parse error wins",
     {DKIM_SIGERROR_EXPIRED, DKIM_SIGFLAG_IGNORE, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5,
      DKIMV_SKIP_SHA1, "k"},
     DKIMV_PERMERROR,
     "expired"},
    {"no v=",
     {DKIM_SIGERROR_MISSING_V, 0, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5, 0, "k"},
     DKIMV_NEUTRAL,
     "v= missing"},
    {"unparseable field",
     {DKIM_SIGERROR_MISSING_D, 0, DKIM_SIGBH_UNTESTED, false, 0, 1024, 5, 0, "k"},
     DKIMV_NEUTRAL,
     "d= missing"},
    {"unknown algorithm",
     {DKIM_SIGERROR_INVALID_A, 0, DKIM_SIGBH_UNTESTED, false, 0, 1024, 5, 0, "k"},
     DKIMV_NEUTRAL,
     "unsupported algorithm"},
    {"rsa-sha1",
     {DKIM_SIGERROR_UNKNOWN, DKIM_SIGFLAG_IGNORE, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5,
      DKIMV_SKIP_SHA1, "k"},
     DKIMV_POLICY,
     "rsa-sha1 is not acceptable (RFC 8301)"},
    {"over the limit",
     {DKIM_SIGERROR_UNKNOWN, DKIM_SIGFLAG_IGNORE, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5,
      DKIMV_SKIP_LIMIT, "k"},
     DKIMV_POLICY,
     "over the limit of 5 signatures"},
    {"bad key name",
     {DKIM_SIGERROR_UNKNOWN, DKIM_SIGFLAG_IGNORE, DKIM_SIGBH_UNTESTED, true, 0, 1024, 5,
      DKIMV_SKIP_BADNAME, "a..b"},
     DKIMV_PERMERROR,
     "a..b is not a valid DNS name"},
};

static void test_map_table(void **state)
{
	size_t i;
	struct strbuf reason = STRBUF_INIT;
	enum dkimv_result got;

	(void)state;
	for (i = 0; i < sizeof(map_cases) / sizeof(map_cases[0]); i++) {
		strbuf_reset(&reason);
		got = dkimv_map(&map_cases[i].f, &reason);
		if (got != map_cases[i].want ||
		    strstr(strbuf_str(&reason), map_cases[i].reason) == NULL)
			print_error("%s: got %s \"%s\", expected %s \"...%s...\"\n",
				    map_cases[i].name, dkimv_result_name(got), strbuf_str(&reason),
				    dkimv_result_name(map_cases[i].want), map_cases[i].reason);
		assert_int_equal(got, map_cases[i].want);
		assert_non_null(strstr(strbuf_str(&reason), map_cases[i].reason));
	}
	strbuf_free(&reason);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(dkimv_result_name(DKIMV_NONE), "none");
	assert_string_equal(dkimv_result_name(DKIMV_PASS), "pass");
	assert_string_equal(dkimv_result_name(DKIMV_FAIL), "fail");
	assert_string_equal(dkimv_result_name(DKIMV_NEUTRAL), "neutral");
	assert_string_equal(dkimv_result_name(DKIMV_POLICY), "policy");
	assert_string_equal(dkimv_result_name(DKIMV_TEMPERROR), "temperror");
	assert_string_equal(dkimv_result_name(DKIMV_PERMERROR), "permerror");
}

/* --- the DNS answer builder --- */

static void test_dns_build(void **state)
{
	unsigned char rdata[] = "\005hello\003abc";
	struct dns_rr rr = {rdata, 10, NULL, 0, 0};
	unsigned char buf[128];
	size_t n;

	(void)state;
	n = dkim_dns_build(buf, sizeof(buf), 0, &rr, 1);
	assert_int_equal(n, 12 + 5 + 11 + 10);
	assert_int_equal(buf[3] & 0x0f, 0);	      /* rcode */
	assert_int_equal(buf[4] << 8 | buf[5], 1);    /* qdcount */
	assert_int_equal(buf[6] << 8 | buf[7], 1);    /* ancount */
	assert_int_equal(buf[12], 0);		      /* question: root */
	assert_int_equal(buf[13] << 8 | buf[14], 16); /* TXT */
	assert_int_equal(buf[26] << 8 | buf[27], 10); /* rdlength */
	assert_memory_equal(buf + 28, rdata, 10);
	n = dkim_dns_build(buf, sizeof(buf), 3, NULL, 0);
	assert_int_equal(n, 17);
	assert_int_equal(buf[3] & 0x0f, 3);
	assert_int_equal(buf[6] << 8 | buf[7], 0);
	assert_int_equal(dkim_dns_build(buf, 20, 0, &rr, 1), 0); /* does not fit */
	assert_int_equal(dkim_dns_build(buf, 16, 3, NULL, 0), 0);
}

/* --- the verifier on messages that need no key lookup --- */

struct api_fixture {
	struct resolver *r;
	struct dkimv_lib *lib;
};

static int api_setup(void **state)
{
	static const char *ns = "127.0.0.1@1"; /* nothing answers: no lookup may happen */
	struct resolver_opts ro = {&ns, 1, 0.5, true, 0};
	struct dkimv_opts opts = {0, 0, 0.5, true};
	struct am_err err;
	struct api_fixture *fx = xcalloc(1, sizeof(*fx));

	fx->r = resolver_new(&ro, &err);
	assert_non_null(fx->r);
	fx->lib = dkimv_lib_new(fx->r, &opts, &err);
	assert_non_null(fx->lib);
	*state = fx;
	return 0;
}

static int api_teardown(void **state)
{
	struct api_fixture *fx = *state;

	assert_int_equal(resolver_query_count(fx->r), 0);
	dkimv_lib_free(fx->lib);
	resolver_free(fx->r);
	free(fx);
	return 0;
}

static const char body[] = "Hello\nworld\n";

static void feed_body(struct dkimv *v)
{
	size_t i;

	assert_int_equal(dkimv_eoh(v), 0);
	for (i = 0; i < sizeof(body) - 1; i += 3)
		assert_int_equal(dkimv_body(v, (const unsigned char *)body + i, 3), 0);
}

static void test_api_unsigned(void **state)
{
	struct api_fixture *fx = *state;
	struct dkimv *v = dkimv_new(fx->lib);
	const struct dkimv_sig *sigs;
	size_t n = 99;

	assert_int_equal(dkimv_header(v, "From", " a@example.com"), 0);
	assert_int_equal(dkimv_header(v, "Subject", " hi\n there"), 0);
	feed_body(v);
	assert_int_equal(dkimv_eom(v, &sigs, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dkimv_header(v, "X", " late"), -1);
	dkimv_free(v);
	dkimv_free(NULL);
}

static void test_api_no_lookup_results(void **state)
{
	struct api_fixture *fx = *state;
	struct dkimv *v = dkimv_new(fx->lib);
	const struct dkimv_sig *sigs;
	size_t n = 0;
	char *huge = xmalloc(DKIMV_MAX_HEADER + 2);

	memset(huge, 'x', DKIMV_MAX_HEADER + 1);
	huge[DKIMV_MAX_HEADER + 1] = '\0';
	assert_int_equal(dkimv_header(v, "DKIM-Signature", " synerr"), 0);
	assert_int_equal(dkimv_header(v, "DKIM-Signature",
				      " v=1; a=rsa-sha1; d=example.com; s=sel;\n h=from; bh=AAAA;"
				      "\r\n b=abcd efgh\n ijkl; l=42"),
			 0);
	assert_int_equal(dkimv_header(v, "dkim-signature",
				      " v=1; a=rsa-sha256; d=exa..mple.com; s=sel; h=from;"
				      " bh=AAAA; b=abcd"),
			 0);
	assert_int_equal(dkimv_header(v, "DKIM-Signature", huge), 0);
	assert_int_equal(dkimv_header(v, "From", " a@example.com\r\n"), 0);
	feed_body(v);
	assert_int_equal(dkimv_eom(v, &sigs, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(sigs[0].result, DKIMV_NEUTRAL);
	assert_string_equal(sigs[0].domain, "");
	assert_int_equal(sigs[1].result, DKIMV_POLICY);
	assert_string_equal(sigs[1].domain, "example.com");
	assert_string_equal(sigs[1].selector, "sel");
	assert_string_equal(sigs[1].algorithm, "rsa-sha1");
	assert_string_equal(sigs[1].b_prefix, "abcdefgh");
	assert_int_equal(sigs[1].body_length, 42);
	assert_int_equal(sigs[1].key_bits, 0);
	assert_non_null(strstr(sigs[1].reason, "rsa-sha1"));
	assert_int_equal(sigs[2].result, DKIMV_PERMERROR);
	assert_non_null(strstr(sigs[2].reason, "not a valid DNS name"));
	assert_int_equal(sigs[2].body_length, -1);
	assert_int_equal(sigs[3].result, DKIMV_NEUTRAL);
	assert_non_null(strstr(sigs[3].reason, "too long"));
	dkimv_free(v);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crlf_every_split),
	    cmocka_unit_test(test_crlf_cr_then_lf_chunk),
	    cmocka_unit_test(test_tag_value),
	    cmocka_unit_test(test_b_prefix),
	    cmocka_unit_test(test_body_length),
	    cmocka_unit_test(test_map_table),
	    cmocka_unit_test(test_result_names),
	    cmocka_unit_test(test_dns_build),
	    cmocka_unit_test_setup_teardown(test_api_unsigned, api_setup, api_teardown),
	    cmocka_unit_test_setup_teardown(test_api_no_lookup_results, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
