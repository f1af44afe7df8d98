/*
 * test_dmarc_eval - DMARC evaluation against canned DNS answers, with
 * discovery by the public suffix list (RFC 7489)
 *
 * The canned resolver is dmarc_mock_dns.h (a per-test table, mock_zone),
 * so dmarc.c runs unchanged without a network. Covered: alignment
 * (relaxed/strict, PSL), policy discovery (own record, organizational
 * domain, several records, temporary failures),
 * p/sp/np choice with the RFC 9091 existence check, pct sampling (exact
 * stepping with a fixed rand100 and a 10,000-draw binomial check with a
 * seeded one), t=y, and how t=y and pct combine (one step in total).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "dns/resolver.h"
#include "engine/dmarc.h"

#include "dmarc_mock_dns.h"

/* ---- helpers ---- */

static struct dmarc_ctx *dc;

static int setup(void **state)
{
	struct am_err err;

	(void)state;
	dc = dmarc_ctx_new(AM_PSL_FILE, &err);
	if (dc == NULL) {
		fprintf(stderr, "# %s\n", err.msg);
		return 1;
	}
	/* These cases are RFC 7489's discovery; test_dmarc_walk has the
	 * tree walk's. */
	dmarc_ctx_set_discovery(dc, DMARC_DISCOVERY_PSL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dmarc_ctx_free(dc);
	return 0;
}

static unsigned fixed_rand(void *arg)
{
	unsigned *v = arg;

	v[1]++; /* draws */
	return v[0];
}

static void eval(const struct mock_rr *zone, const char *from, const char *spf_dom,
		 enum spf_result spf, const char *dkim, const struct dmarc_opts *opts,
		 struct dmarc_outcome *out)
{
	const char *d[1] = {dkim};
	struct dmarc_input in = {from, spf_dom, spf, d, dkim ? 1 : 0};

	mock_use(zone);
	dmarc_evaluate(dc, NULL, opts, &in, out);
}

/* ---- alignment ---- */

static void test_alignment(void **state)
{
	static const struct {
		const char *a, *b;
		bool strict, want;
	} rows[] = {
	    {"example.com", "example.com", true, true},
	    {"Example.COM.", "example.com", true, true},
	    {"mail.example.com", "example.com", true, false},
	    {"mail.example.com", "example.com", false, true},
	    {"a.b.example.com", "c.example.com", false, true},
	    {"example.co.uk", "other.co.uk", false, false},
	    {"a.example.co.uk", "example.co.uk", false, true},
	    {"co.uk", "co.uk", false, true},
	    {"a.co.uk", "co.uk", false, false},
	    {"esp.example", "example.com", false, false},
	    {"oooo.com", "ooo.com", false, false},
	    {"www.\xe9\xa3\x9f\xe7\x8b\xae.\xe4\xb8\xad\xe5\x9b\xbd",
	     "\xe9\xa3\x9f\xe7\x8b\xae.\xe4\xb8\xad\xe5\x9b\xbd", false, true},
	    {"www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s", false, true},
	    {"b.test.ck", "a.b.test.ck", false, true},
	    {"b.test.ck", "c.test.ck", false, false},
	    {"example..com", "example.com", false, false},
	    {".example.com", "example.com", false, false},
	    {"", "example.com", false, false},
	    {NULL, "example.com", false, false},
	};
	size_t i, fails = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool got = dmarc_aligned(dc, rows[i].a, rows[i].b, rows[i].strict);

		if (got != rows[i].want) {
			print_error("row %zu: %s vs %s (%s): got %d expected %d\n", i,
				    rows[i].a ? rows[i].a : "(null)", rows[i].b,
				    rows[i].strict ? "strict" : "relaxed", got, rows[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
}

/* ---- discovery ---- */

static void test_discovery(void **state)
{
	static const struct mock_rr own[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    T("_dmarc.sub.example.com", "v=DMARC1; p=quarantine"),
	    {NULL, 0, 0, {NULL}},
	};
	static const struct mock_rr filtered[] = {
	    {"_dmarc.example.com",
	     DNS_T_TXT,
	     DNS_OK,
	     {"v=spf1 -all", "v=DMARC1; p=quarantine", "google-site-verification=x"}},
	    {NULL, 0, 0, {NULL}},
	};
	static const struct mock_rr multi[] = {
	    {"_dmarc.example.com", DNS_T_TXT, DNS_OK, {"v=DMARC1; p=reject", "v=DMARC1; p=none"}},
	    T("_dmarc.sub.example.com", "v=DMARC1; p=reject"),
	    {NULL, 0, 0, {NULL}},
	};
	struct dmarc_outcome o;

	(void)state;
	eval(own, "sub.example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_FAIL);
	assert_string_equal(o.policy_domain, "sub.example.com");
	assert_int_equal(o.policy, DMARC_POLICY_QUARANTINE);
	assert_int_equal(mock_queries, 1);
	dmarc_outcome_clear(&o);

	eval(own, "Deep.Sub2.Example.COM.", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_string_equal(o.from_domain, "deep.sub2.example.com");
	assert_string_equal(o.org_domain, "example.com");
	assert_string_equal(o.policy_domain, "example.com");
	assert_int_equal(o.policy, DMARC_POLICY_REJECT);
	assert_string_equal(mock_log, "_dmarc.deep.sub2.example.com/16 _dmarc.example.com/16 ");
	dmarc_outcome_clear(&o);

	eval(filtered, "example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_FAIL);
	assert_string_equal(o.record, "v=DMARC1; p=quarantine");
	dmarc_outcome_clear(&o);

	eval(multi, "example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_NONE);
	assert_false(o.have_record);
	assert_non_null(strstr(o.reason, "2 DMARC records"));
	dmarc_outcome_clear(&o);

	/* several records at the From domain: no fallback to the org domain */
	eval(multi, "example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(mock_queries, 1);
	dmarc_outcome_clear(&o);

	eval(own, "other.example", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_NONE);
	assert_null(o.policy_domain);
	assert_int_equal(o.policy, DMARC_POLICY_UNSET);
	assert_int_equal(mock_queries, 1); /* other.example is its own org domain */
	dmarc_outcome_clear(&o);
}

static void test_discovery_errors(void **state)
{
	static const struct mock_rr tf_own[] = {
	    {"_dmarc.sub.example.com", DNS_T_TXT, DNS_TEMPFAIL, {NULL}},
	    T("_dmarc.example.com", "v=DMARC1; p=none"),
	    {NULL, 0, 0, {NULL}},
	};
	static const struct mock_rr tf_org[] = {
	    {"_dmarc.example.com", DNS_T_TXT, DNS_TEMPFAIL, {NULL}},
	    {NULL, 0, 0, {NULL}},
	};
	static const struct mock_rr tf_org_unused[] = {
	    T("_dmarc.sub.example.com", "v=DMARC1; p=reject"),
	    {"_dmarc.example.com", DNS_T_TXT, DNS_TEMPFAIL, {NULL}},
	    {NULL, 0, 0, {NULL}},
	};
	static const struct mock_rr bad[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=bogus"),
	    {NULL, 0, 0, {NULL}},
	};
	struct dmarc_outcome o;

	(void)state;
	eval(tf_own, "sub.example.com", "example.com", SPF_RESULT_PASS, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_TEMPERROR);
	assert_non_null(strstr(o.reason, "_dmarc.sub.example.com"));
	dmarc_outcome_clear(&o);

	eval(tf_org, "sub.example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_TEMPERROR);
	assert_int_equal(o.applied, DMARC_POLICY_UNSET);
	dmarc_outcome_clear(&o);

	/* a temporary failure that cannot change the outcome is not asked */
	eval(tf_org_unused, "sub.example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_FAIL);
	assert_int_equal(mock_queries, 1);
	dmarc_outcome_clear(&o);

	eval(bad, "sub.example.com", NULL, SPF_RESULT_NONE, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_PERMERROR);
	assert_false(o.have_record);
	assert_non_null(strstr(o.reason, "invalid p= value"));
	dmarc_outcome_clear(&o);
}

/* ---- p / sp / np ---- */

static const struct mock_rr np_zone[] = {
    T("_dmarc.example.com", "v=DMARC1; p=none; sp=quarantine; np=reject"),
    T("_dmarc.nosp.example", "v=DMARC1; p=quarantine; np=reject"),
    T("_dmarc.plain.example", "v=DMARC1; p=reject"),
    {"exists.example.com", DNS_T_MX, DNS_OK, {NULL}},
    {"v6only.example.com", DNS_T_AAAA, DNS_OK, {NULL}},
    {"mxonly.example.com", DNS_T_MX, DNS_OK, {NULL}},
    {"flaky.example.com", DNS_T_A, DNS_TEMPFAIL, {NULL}},
    {NULL, 0, 0, {NULL}},
};

static void test_policy_choice(void **state)
{
	static const struct {
		const char *from;
		enum dmarc_result res;
		enum dmarc_policy policy;
		unsigned queries;
	} rows[] = {
	    {"example.com", DMARC_RESULT_FAIL, DMARC_POLICY_NONE, 1},
	    {"exists.example.com", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, 3},
	    {"v6only.example.com", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, 3},
	    {"mxonly.example.com", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, 3},
	    {"gone.example.com", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, 5},
	    {"flaky.example.com", DMARC_RESULT_TEMPERROR, DMARC_POLICY_UNSET, 3},
	    {"gone.nosp.example", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, 5},
	    {"gone.plain.example", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, 2},
	};
	struct dmarc_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		eval(np_zone, rows[i].from, NULL, SPF_RESULT_NONE, NULL, NULL, &o);
		if (o.result != rows[i].res || o.policy != rows[i].policy ||
		    mock_queries != rows[i].queries)
			fail_msg("%s: got %s/%s after %u queries (%s), expected %s/%s after %u",
				 rows[i].from, dmarc_result_name(o.result),
				 dmarc_policy_name(o.policy), mock_queries, mock_log,
				 dmarc_result_name(rows[i].res), dmarc_policy_name(rows[i].policy),
				 rows[i].queries);
		dmarc_outcome_clear(&o);
	}
	/* a passing message needs no existence check */
	eval(np_zone, "gone.example.com", "example.com", SPF_RESULT_PASS, NULL, NULL, &o);
	assert_int_equal(o.result, DMARC_RESULT_PASS);
	assert_int_equal(o.applied, DMARC_POLICY_NONE);
	assert_int_equal(mock_queries, 2);
	dmarc_outcome_clear(&o);
}

/* ---- SPF and DKIM inputs ---- */

static void test_identifiers(void **state)
{
	static const struct mock_rr zone[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    T("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s"),
	    {NULL, 0, 0, {NULL}},
	};
	static const struct {
		const char *from, *spf_dom;
		enum spf_result spf;
		const char *dkim;
		enum dmarc_result want;
		bool spf_al, dkim_al;
	} rows[] = {
	    {"example.com", "bounce.example.com", SPF_RESULT_PASS, NULL, DMARC_RESULT_PASS, 1, 0},
	    {"example.com", "example.com", SPF_RESULT_SOFTFAIL, NULL, DMARC_RESULT_FAIL, 0, 0},
	    {"example.com", "example.com", SPF_RESULT_NEUTRAL, "esp.example", DMARC_RESULT_FAIL, 0,
	     0},
	    {"example.com", "esp.example", SPF_RESULT_PASS, "mail.example.com", DMARC_RESULT_PASS,
	     0, 1},
	    {"strict.example", "mail.strict.example", SPF_RESULT_PASS, "mail.strict.example",
	     DMARC_RESULT_FAIL, 0, 0},
	    {"strict.example", "STRICT.example.", SPF_RESULT_PASS, NULL, DMARC_RESULT_PASS, 1, 0},
	    {"strict.example", NULL, SPF_RESULT_NONE, "strict.example", DMARC_RESULT_PASS, 0, 1},
	};
	struct dmarc_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		eval(zone, rows[i].from, rows[i].spf_dom, rows[i].spf, rows[i].dkim, NULL, &o);
		if (o.result != rows[i].want || o.spf_aligned != rows[i].spf_al ||
		    o.dkim_aligned != rows[i].dkim_al)
			fail_msg("row %zu: got %s spf=%d dkim=%d (%s)", i,
				 dmarc_result_name(o.result), o.spf_aligned, o.dkim_aligned,
				 o.reason);
		dmarc_outcome_clear(&o);
	}
}

static void test_reason(void **state)
{
	static const struct mock_rr zone[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    {NULL, 0, 0, {NULL}},
	};
	struct dmarc_outcome o;

	(void)state;
	eval(zone, "example.com", "bounce.esp.example", SPF_RESULT_PASS, "esp.example", NULL, &o);
	assert_string_equal(o.reason, "SPF domain bounce.esp.example not aligned with example.com "
				      "(relaxed); DKIM d=esp.example not aligned (relaxed); "
				      "p=reject applies");
	assert_int_equal(o.applied, DMARC_POLICY_REJECT);
	dmarc_outcome_clear(&o);
}

/* ---- pct and t=y ---- */

static void test_pct_exact(void **state)
{
	static const struct {
		const char *rec;
		enum dmarc_pct_mode mode;
		unsigned rnd;
		enum dmarc_policy applied;
		bool sampled_out;
		unsigned draws;
	} rows[] = {
	    {"v=DMARC1; p=reject; pct=50", DMARC_PCT_SAMPLE, 49, DMARC_POLICY_REJECT, 0, 1},
	    {"v=DMARC1; p=reject; pct=50", DMARC_PCT_SAMPLE, 50, DMARC_POLICY_QUARANTINE, 1, 1},
	    {"v=DMARC1; p=quarantine; pct=50", DMARC_PCT_SAMPLE, 99, DMARC_POLICY_NONE, 1, 1},
	    {"v=DMARC1; p=quarantine; pct=1", DMARC_PCT_SAMPLE, 0, DMARC_POLICY_QUARANTINE, 0, 1},
	    {"v=DMARC1; p=none; pct=10", DMARC_PCT_SAMPLE, 99, DMARC_POLICY_NONE, 0, 0},
	    {"v=DMARC1; p=reject; pct=0", DMARC_PCT_SAMPLE, 0, DMARC_POLICY_QUARANTINE, 1, 0},
	    {"v=DMARC1; p=reject; pct=100", DMARC_PCT_SAMPLE, 99, DMARC_POLICY_REJECT, 0, 0},
	    {"v=DMARC1; p=reject; pct=0", DMARC_PCT_IGNORE, 99, DMARC_POLICY_REJECT, 0, 0},
	    {"v=DMARC1; p=reject; t=y", DMARC_PCT_IGNORE, 0, DMARC_POLICY_QUARANTINE, 0, 0},
	    {"v=DMARC1; p=quarantine; t=y", DMARC_PCT_SAMPLE, 0, DMARC_POLICY_NONE, 0, 0},
	    {"v=DMARC1; p=none; t=y", DMARC_PCT_SAMPLE, 0, DMARC_POLICY_NONE, 0, 0},
	    /* t=y and pct together: one step in total, no draw */
	    {"v=DMARC1; p=reject; t=y; pct=0", DMARC_PCT_SAMPLE, 99, DMARC_POLICY_QUARANTINE, 0, 0},
	    {"v=DMARC1; p=reject; pct=20; t=y", DMARC_PCT_SAMPLE, 99, DMARC_POLICY_QUARANTINE, 0,
	     0},
	    {"v=DMARC1; p=reject; t=n; pct=20", DMARC_PCT_SAMPLE, 20, DMARC_POLICY_QUARANTINE, 1,
	     1},
	};
	struct dmarc_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mock_rr zone[] = {T("_dmarc.example.com", rows[i].rec),
					 {NULL, 0, 0, {NULL}}};
		unsigned rs[2] = {rows[i].rnd, 0};
		struct dmarc_opts opts = {rows[i].mode, fixed_rand, rs};

		eval(zone, "example.com", NULL, SPF_RESULT_FAIL, NULL, &opts, &o);
		if (o.result != DMARC_RESULT_FAIL || o.applied != rows[i].applied ||
		    o.sampled_out != rows[i].sampled_out || rs[1] != rows[i].draws)
			fail_msg("row %zu [%s rnd=%u]: got %s applied=%s out=%d draws=%u (%s)", i,
				 rows[i].rec, rows[i].rnd, dmarc_result_name(o.result),
				 dmarc_policy_name(o.applied), o.sampled_out, rs[1], o.reason);
		dmarc_outcome_clear(&o);
	}
}

/* splitmix64: a seeded, reproducible source for the binomial check */
static unsigned seeded_rand(void *arg)
{
	uint64_t *s = arg, z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned)((z ^ (z >> 31)) % 100);
}

/* pct=30 over 10,000 failing messages: sampled in ~ Binomial(10000, 0.3),
 * mean 3000, sd 45.8; accept mean +- 5 sd. The seed is fixed, so this is
 * reproducible; it fails if the comparison or the stepping is wrong. */
static void count_sampled(unsigned (*rnd)(void *), void *arg, int n, int *in, int *out_q)
{
	static const struct mock_rr zone[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=reject; pct=30"),
	    {NULL, 0, 0, {NULL}},
	};
	struct dmarc_opts opts = {DMARC_PCT_SAMPLE, rnd, arg};
	struct dmarc_outcome o;
	int i;

	*in = *out_q = 0;
	for (i = 0; i < n; i++) {
		eval(zone, "example.com", NULL, SPF_RESULT_FAIL, NULL, &opts, &o);
		*in += o.applied == DMARC_POLICY_REJECT && !o.sampled_out;
		*out_q += o.applied == DMARC_POLICY_QUARANTINE && o.sampled_out;
		dmarc_outcome_clear(&o);
	}
}

static void test_pct_binomial(void **state)
{
	uint64_t seed = 20240601;
	int in, out_q;

	(void)state;
	count_sampled(seeded_rand, &seed, 10000, &in, &out_q);
	print_message("# pct=30, seeded: %d of 10000 sampled in\n", in);
	assert_int_equal(in + out_q, 10000);
	assert_in_range(in, 3000 - 229, 3000 + 229);
	/* the default source (getrandom): 2000 draws, both outcomes occur,
	 * within +- 6 sd (sd 20.5) of 600 */
	count_sampled(NULL, NULL, 2000, &in, &out_q);
	print_message("# pct=30, getrandom: %d of 2000 sampled in\n", in);
	assert_int_equal(in + out_q, 2000);
	assert_in_range(in, 600 - 123, 600 + 123);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alignment),	     cmocka_unit_test(test_discovery),
	    cmocka_unit_test(test_discovery_errors), cmocka_unit_test(test_policy_choice),
	    cmocka_unit_test(test_identifiers),	     cmocka_unit_test(test_reason),
	    cmocka_unit_test(test_pct_exact),	     cmocka_unit_test(test_pct_binomial),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
