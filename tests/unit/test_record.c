/*
 * test_record - what a verdict contributes to an aggregate report: which
 * messages are recorded, the applied disposition and its reasons (pct,
 * t=y, ARC, allowlists, monitor mode, the operator's action map, errors),
 * policy_published with its defaults, identifiers, the RFC 9990 order of
 * DKIM results and their limit; the row and policy hashes (equal content,
 * equal hash; any field changed, another hash); the text form of the lists
 * and its refusal of malformed text
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/record.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define WHEN ((time_t)1764979200 + 3600) /* 2025-12-06 01:00 UTC */

/* A verdict for a message from 192.0.2.1, From example.com, DMARC record
 * "v=DMARC1; p=reject; rua=mailto:agg@example.com" at example.com, SPF
 * pass for example.com, judged fail. Tests change what they need. */
static void base_verdict(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->checked = true;
	v->client_ip = "192.0.2.1";
	v->author = AUTHOR_OK;
	v->header_from = "example.com";
	v->spf.result = SPF_RESULT_FAIL;
	v->spf.domain = "bounce.example.net";
	v->dmarc.result = DMARC_RESULT_FAIL;
	v->dmarc.have_record = true;
	v->dmarc.policy_domain = "example.com";
	v->dmarc.org_domain = "example.com";
	v->dmarc.discovery = DMARC_DISCOVERY_TREEWALK;
	v->dmarc.rec.p = DMARC_POLICY_REJECT;
	v->dmarc.rec.pct = 100;
	v->dmarc.rec.rua = "mailto:agg@example.com";
	v->dmarc.policy = DMARC_POLICY_REJECT;
	v->dmarc.applied = DMARC_POLICY_REJECT;
	v->action = ACTION_REJECT;
}

static void assert_reason(const struct report_row *row, size_t i, enum report_reason_type t,
			  const char *comment_part)
{
	assert_true(i < row->n_reasons);
	assert_int_equal(row->reasons[i].type, t);
	if (comment_part == NULL) {
		assert_null(row->reasons[i].comment);
		return;
	}
	assert_non_null(row->reasons[i].comment);
	if (strstr(row->reasons[i].comment, comment_part) == NULL)
		fail_msg("reason comment \"%s\" lacks \"%s\"", row->reasons[i].comment,
			 comment_part);
}

static void test_not_recorded(void **state)
{
	struct verdict v;
	struct report_record rec;
	const char *why = NULL;

	(void)state;
	base_verdict(&v);
	v.checked = false;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "not_checked");

	base_verdict(&v);
	v.dmarc.have_record = false;
	v.dmarc.result = DMARC_RESULT_NONE;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "no_policy");

	base_verdict(&v);
	v.dmarc.result = DMARC_RESULT_TEMPERROR;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "no_policy");

	base_verdict(&v);
	v.dmarc.rec.rua = NULL;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "no_rua");

	base_verdict(&v);
	v.dmarc.rec.rua = "https://reports.example.com/dmarc, ftp://x.example";
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "no_rua");

	base_verdict(&v);
	v.action = ACTION_TEMPFAIL;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why), -1);
	assert_string_equal(why, "tempfail");
}

/* One row a case: the verdict's outcome -> disposition and reasons. */
static void test_dispositions(void **state)
{
	static const struct {
		const char *name;
		enum dmarc_result result;
		enum dmarc_policy policy, applied;
		bool testing, sampled_out;
		enum action action;
		const char *override, *error;
		enum report_disposition want;
		int reason; /* -1: none */
		const char *comment;
	} rows[] = {
	    {"pass, p=reject", DMARC_RESULT_PASS, DMARC_POLICY_REJECT, DMARC_POLICY_NONE, false,
	     false, ACTION_ACCEPT, NULL, NULL, REPORT_DISP_PASS, -1, NULL},
	    {"pass, p=quarantine", DMARC_RESULT_PASS, DMARC_POLICY_QUARANTINE, DMARC_POLICY_NONE,
	     false, false, ACTION_ACCEPT, NULL, NULL, REPORT_DISP_PASS, -1, NULL},
	    {"pass, p=none", DMARC_RESULT_PASS, DMARC_POLICY_NONE, DMARC_POLICY_NONE, false, false,
	     ACTION_ACCEPT, NULL, NULL, REPORT_DISP_NONE, -1, NULL},
	    {"fail, rejected", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, false,
	     false, ACTION_REJECT, NULL, NULL, REPORT_DISP_REJECT, -1, NULL},
	    {"fail, quarantined", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE,
	     DMARC_POLICY_QUARANTINE, false, false, ACTION_QUARANTINE, NULL, NULL,
	     REPORT_DISP_QUARANTINE, -1, NULL},
	    {"fail, p=none", DMARC_RESULT_FAIL, DMARC_POLICY_NONE, DMARC_POLICY_NONE, false, false,
	     ACTION_ACCEPT, NULL, NULL, REPORT_DISP_NONE, -1, NULL},
	    {"t=y", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_QUARANTINE, true, false,
	     ACTION_QUARANTINE, NULL, NULL, REPORT_DISP_QUARANTINE, REPORT_REASON_POLICY_TEST_MODE,
	     "t=y"},
	    {"pct sampled out", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_QUARANTINE,
	     false, true, ACTION_QUARANTINE, NULL, NULL, REPORT_DISP_QUARANTINE,
	     REPORT_REASON_OTHER, "pct=50"},
	    {"monitor", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, false, false,
	     ACTION_ACCEPT, "monitor", NULL, REPORT_DISP_NONE, REPORT_REASON_LOCAL_POLICY,
	     "monitor mode"},
	    {"allow_networks", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT, false,
	     false, ACTION_ACCEPT, "allow_network", NULL, REPORT_DISP_NONE,
	     REPORT_REASON_LOCAL_POLICY, "sending network"},
	    {"allow_domains", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, DMARC_POLICY_QUARANTINE,
	     false, false, ACTION_ACCEPT, "allow_domain", NULL, REPORT_DISP_NONE,
	     REPORT_REASON_LOCAL_POLICY, "From domain"},
	    {"ARC trusted sealer", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT, DMARC_POLICY_REJECT,
	     false, false, ACTION_ACCEPT, "arc", NULL, REPORT_DISP_NONE,
	     REPORT_REASON_TRUSTED_FORWARDER, "as[2].d=lists.example.org"},
	    {"action map: quarantine for reject", DMARC_RESULT_FAIL, DMARC_POLICY_REJECT,
	     DMARC_POLICY_REJECT, false, false, ACTION_QUARANTINE, NULL, NULL,
	     REPORT_DISP_QUARANTINE, REPORT_REASON_LOCAL_POLICY, "quarantine instead of reject"},
	    {"action map: reject for quarantine", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE,
	     DMARC_POLICY_QUARANTINE, false, false, ACTION_REJECT, NULL, NULL, REPORT_DISP_REJECT,
	     REPORT_REASON_LOCAL_POLICY, "reject instead of quarantine"},
	    {"error, accepted", DMARC_RESULT_FAIL, DMARC_POLICY_QUARANTINE, DMARC_POLICY_QUARANTINE,
	     false, false, ACTION_ACCEPT, NULL, "quarantine_failed", REPORT_DISP_NONE,
	     REPORT_REASON_LOCAL_POLICY, "quarantine_failed"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct verdict v;
		struct report_record rec;
		const char *why = NULL;

		base_verdict(&v);
		v.dmarc.result = rows[i].result;
		v.dmarc.policy = v.dmarc.rec.p = rows[i].policy;
		v.dmarc.applied = rows[i].applied;
		v.dmarc.rec.testing = rows[i].testing;
		v.dmarc.sampled_out = rows[i].sampled_out;
		v.dmarc.rec.pct = rows[i].sampled_out ? 50 : 100;
		v.action = rows[i].action;
		v.override = rows[i].override;
		v.error = rows[i].error;
		v.arc_ov.comment = "arc=pass as[2].d=lists.example.org remote-ip[2]=192.0.2.9";
		print_message("# %s\n", rows[i].name);
		assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, &why),
				 0);
		assert_string_equal(report_disposition_name(rec.row.disposition),
				    report_disposition_name(rows[i].want));
		if (rows[i].reason < 0) {
			assert_int_equal(rec.row.n_reasons, 0);
		} else {
			assert_int_equal(rec.row.n_reasons, 1);
			assert_reason(&rec.row, 0, (enum report_reason_type)rows[i].reason,
				      rows[i].comment);
		}
		report_record_clear(&rec);
	}
}

/* Published values, defaults, identifiers, the day. */
static void test_policy_and_identifiers(void **state)
{
	struct verdict v;
	struct report_record rec;

	(void)state;
	base_verdict(&v);
	v.dmarc.rec.sp = DMARC_POLICY_QUARANTINE;
	v.dmarc.rec.adkim_strict = true;
	v.dmarc.rec.fo = "1:d";
	v.dmarc.rec.testing = true;
	v.dmarc.discovery = DMARC_DISCOVERY_PSL;
	v.dmarc.spf_aligned = false;
	v.dmarc.dkim_aligned = true;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, NULL), 0);
	assert_int_equal(rec.day, 20428); /* 2025-12-06 */
	assert_string_equal(rec.policy.domain, "example.com");
	assert_string_equal(rec.policy.p, "reject");
	assert_string_equal(rec.policy.sp, "quarantine");
	assert_string_equal(rec.policy.np, "quarantine"); /* np defaults to sp */
	assert_int_equal(rec.policy.adkim, 's');
	assert_int_equal(rec.policy.aspf, 'r');
	assert_string_equal(rec.policy.fo, "1:d");
	assert_true(rec.policy.testing);
	assert_string_equal(rec.policy.discovery, "psl");
	assert_string_equal(rec.policy.rua, "mailto:agg@example.com");
	assert_string_equal(rec.row.source_ip, "192.0.2.1");
	assert_string_equal(rec.row.header_from, "example.com");
	assert_string_equal(rec.row.envelope_from, "bounce.example.net");
	assert_string_equal(rec.row.spf_domain, "bounce.example.net");
	assert_string_equal(rec.row.spf_result, "fail");
	assert_true(rec.row.dkim_pass);
	assert_false(rec.row.spf_pass);
	report_record_clear(&rec);

	/* p= missing with a rua: acts as p=none; sp and np follow p; the
	 * null reverse-path has an empty envelope_from */
	base_verdict(&v);
	v.dmarc.rec.policy_fallback = true;
	v.dmarc.rec.p = DMARC_POLICY_UNSET;
	v.spf.domain = "helo.example.net";
	assert_int_equal(report_record_from_verdict(&v, "", WHEN, &rec, NULL), 0);
	assert_string_equal(rec.policy.p, "none");
	assert_string_equal(rec.policy.sp, "none");
	assert_string_equal(rec.policy.np, "none");
	assert_string_equal(rec.policy.fo, "0");
	assert_string_equal(rec.policy.discovery, "treewalk");
	assert_string_equal(rec.row.envelope_from, "");
	assert_string_equal(rec.row.spf_domain, "helo.example.net");
	report_record_clear(&rec);
}

/* RFC 9990 2.1.3: strict aligned pass, relaxed aligned pass, other
 * pass, the rest; header order within a class; at most 100. */
static void test_dkim_order(void **state)
{
	struct dkimv_sig sigs[150];
	struct verdict v;
	struct report_record rec;
	static const struct {
		const char *d;
		enum dkimv_result r;
	} in[] = {
	    {"example.com", DKIMV_FAIL},      {"esp.example", DKIMV_PASS},
	    {"mail.example.com", DKIMV_PASS}, {"example.com", DKIMV_PASS},
	    {"notexample.com", DKIMV_PASS},   {"esp.example", DKIMV_PERMERROR},
	};
	static const char *const want[] = {"example.com/pass", "mail.example.com/pass",
					   "esp.example/pass", "notexample.com/pass",
					   "example.com/fail", "esp.example/permerror"};
	size_t i;

	(void)state;
	memset(sigs, 0, sizeof(sigs));
	for (i = 0; i < 6; i++) {
		sigs[i].domain = (char *)in[i].d;
		sigs[i].selector = "s1";
		sigs[i].result = in[i].r;
	}
	base_verdict(&v);
	v.dkim = sigs;
	v.n_dkim = 6;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, NULL), 0);
	assert_int_equal(rec.row.n_dkim, 6);
	for (i = 0; i < 6; i++) {
		char got[64];

		snprintf(got, sizeof(got), "%s/%s", rec.row.dkim[i].domain, rec.row.dkim[i].result);
		assert_string_equal(got, want[i]);
		assert_string_equal(rec.row.dkim[i].selector, "s1");
	}
	report_record_clear(&rec);

	/* 150 signatures, the passing one last in the header: it is kept */
	for (i = 0; i < 150; i++) {
		sigs[i].domain = "spam.example";
		sigs[i].selector = "x";
		sigs[i].result = DKIMV_FAIL;
	}
	sigs[149].domain = "example.com";
	sigs[149].result = DKIMV_PASS;
	v.n_dkim = 150;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &rec, NULL), 0);
	assert_int_equal(rec.row.n_dkim, REPORT_MAX_DKIM);
	assert_string_equal(rec.row.dkim[0].domain, "example.com");
	report_record_clear(&rec);
}

/* Strings from mail and DNS are cut to REPORT_MAX_FIELD bytes. */
static void test_cut(void **state)
{
	char long_name[1000];
	struct dkimv_sig sig;
	struct verdict v;
	struct report_record rec;

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(&sig, 0, sizeof(sig));
	sig.domain = long_name;
	sig.selector = long_name;
	sig.result = DKIMV_FAIL;
	base_verdict(&v);
	v.dkim = &sig;
	v.n_dkim = 1;
	v.spf.domain = long_name;
	assert_int_equal(report_record_from_verdict(&v, "x@y.example", WHEN, &rec, NULL), 0);
	assert_int_equal(strlen(rec.row.dkim[0].domain), REPORT_MAX_FIELD);
	assert_int_equal(strlen(rec.row.dkim[0].selector), REPORT_MAX_FIELD);
	assert_int_equal(strlen(rec.row.spf_domain), REPORT_MAX_FIELD);
	assert_int_equal(strlen(rec.row.envelope_from), REPORT_MAX_FIELD);
	report_record_clear(&rec);
}

static void hashes(const struct report_record *r, unsigned char *ph, unsigned char *rh)
{
	report_policy_hash(&r->policy, ph);
	report_row_hash(&r->row, rh);
}

/* Equal content, equal hashes (also for copies); every field changes
 * one of them. */
static void test_hashes(void **state)
{
	struct dkimv_sig sig;
	struct verdict v;
	struct report_record a, b;
	unsigned char pa[REPORT_HASH_LEN], ra[REPORT_HASH_LEN], pb[REPORT_HASH_LEN],
	    rb[REPORT_HASH_LEN];
	int k;

	(void)state;
	memset(&sig, 0, sizeof(sig));
	sig.domain = "example.com";
	sig.selector = "s1";
	sig.result = DKIMV_FAIL;
	base_verdict(&v);
	v.dkim = &sig;
	v.n_dkim = 1;
	v.dmarc.sampled_out = true;
	v.dmarc.applied = DMARC_POLICY_QUARANTINE;
	v.action = ACTION_QUARANTINE;
	assert_int_equal(report_record_from_verdict(&v, "a@b.example", WHEN, &a, NULL), 0);
	hashes(&a, pa, ra);
	report_policy_copy(&b.policy, &a.policy);
	report_row_copy(&b.row, &a.row);
	hashes(&b, pb, rb);
	assert_memory_equal(pa, pb, REPORT_HASH_LEN);
	assert_memory_equal(ra, rb, REPORT_HASH_LEN);
	report_record_clear(&b);

	for (k = 0; k < 17; k++) {
		bool policy_field = k >= 11;

		report_policy_copy(&b.policy, &a.policy);
		report_row_copy(&b.row, &a.row);
		switch (k) {
		case 0:
			b.row.source_ip[0] = '8';
			break;
		case 1:
			b.row.disposition = REPORT_DISP_REJECT;
			break;
		case 2:
			b.row.dkim_pass = true;
			break;
		case 3:
			b.row.spf_pass = true;
			break;
		case 4:
			b.row.reasons[0].comment[0] = 'X';
			break;
		case 5:
			b.row.header_from[0] = 'X';
			break;
		case 6:
			b.row.envelope_from[0] = 'X';
			break;
		case 7:
			b.row.dkim[0].selector[0] = 'X';
			break;
		case 8:
			b.row.dkim[0].result[0] = 'X';
			break;
		case 9:
			b.row.spf_domain[0] = 'X';
			break;
		case 10:
			b.row.spf_result[0] = 'X';
			break;
		case 11:
			b.policy.domain[0] = 'X';
			break;
		case 12:
			b.policy.sp[0] = 'X';
			break;
		case 13:
			b.policy.adkim = 's';
			break;
		case 14:
			b.policy.testing = true;
			break;
		case 15:
			b.policy.rua[0] = 'X';
			break;
		case 16:
			b.policy.fo[0] = '1';
			break;
		}
		hashes(&b, pb, rb);
		print_message("# field %d\n", k);
		if (policy_field) {
			assert_memory_not_equal(pa, pb, REPORT_HASH_LEN);
			assert_memory_equal(ra, rb, REPORT_HASH_LEN);
		} else {
			assert_memory_equal(pa, pb, REPORT_HASH_LEN);
			assert_memory_not_equal(ra, rb, REPORT_HASH_LEN);
		}
		report_record_clear(&b);
	}
	report_record_clear(&a);
}

static void test_text_roundtrip(void **state)
{
	struct report_dkim in[3] = {
	    {"a\tb.example", "s%1\n", "pass"},
	    {"", "", "none"},
	    {"x'; DROP TABLE rows;--", "\x01\x7f\xc3\xa9", "fail"},
	};
	struct report_reason rin[2] = {{REPORT_REASON_OTHER, "sampled\tout\n%"},
				       {REPORT_REASON_LOCAL_POLICY, NULL}};
	struct report_reason rout[REPORT_MAX_REASONS];
	struct strbuf sb = STRBUF_INIT;
	struct report_dkim *out;
	size_t n, i;

	(void)state;
	report_dkim_encode(&sb, in, 3);
	assert_null(strchr(strchr(strbuf_str(&sb), '\n') + 1, '\x01'));
	assert_int_equal(report_dkim_decode(strbuf_str(&sb), &out, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(out[i].domain, in[i].domain);
		assert_string_equal(out[i].selector, in[i].selector);
		assert_string_equal(out[i].result, in[i].result);
		free(out[i].domain);
		free(out[i].selector);
		free(out[i].result);
	}
	free(out);
	strbuf_reset(&sb);
	report_reasons_encode(&sb, rin, 2);
	assert_int_equal(report_reasons_decode(strbuf_str(&sb), rout, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rout[0].type, REPORT_REASON_OTHER);
	assert_string_equal(rout[0].comment, "sampled\tout\n%");
	assert_int_equal(rout[1].type, REPORT_REASON_LOCAL_POLICY);
	assert_null(rout[1].comment);
	free(rout[0].comment);
	strbuf_free(&sb);
	assert_int_equal(report_dkim_decode("", &out, &n), 0);
	assert_int_equal(n, 0);
}

static void test_text_malformed(void **state)
{
	static const char *const bad_dkim[] = {
	    "a\tb",	    /* two fields */
	    "a\tb\tc\td",   /* four */
	    "a%zz\tb\tc",   /* bad escape */
	    "a%0\tb\tc",    /* short escape */
	    "a%00\tb\tc",   /* NUL */
	    "a\tb\tc\n\tx", /* second entry short */
	    "a\tb\tc%",	    /* escape cut at the end */
	};
	static const char *const bad_reasons[] = {
	    "nosuchtype\tx", "other", "other\tx\ty",
	    "other\ta\nother\tb\nother\tc\nother\td\nother\te", /* over REPORT_MAX_REASONS */
	};
	struct report_reason r[REPORT_MAX_REASONS];
	struct strbuf many = STRBUF_INIT;
	struct report_dkim *d;
	size_t n, i;

	(void)state;
	for (i = 0; i < sizeof(bad_dkim) / sizeof(bad_dkim[0]); i++) {
		print_message("# dkim %zu\n", i);
		assert_int_equal(report_dkim_decode(bad_dkim[i], &d, &n), -1);
		assert_null(d);
		assert_int_equal(n, 0);
	}
	for (i = 0; i < sizeof(bad_reasons) / sizeof(bad_reasons[0]); i++) {
		print_message("# reasons %zu\n", i);
		assert_int_equal(report_reasons_decode(bad_reasons[i], r, &n), -1);
		assert_int_equal(n, 0);
	}
	for (i = 0; i <= REPORT_MAX_DKIM; i++)
		strbuf_adds(&many, i ? "\nd\ts\tpass" : "d\ts\tpass");
	assert_int_equal(report_dkim_decode(strbuf_str(&many), &d, &n), -1);
	strbuf_free(&many);
}

static void test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i <= REPORT_DISP_REJECT; i++)
		assert_int_equal(report_disposition_parse(report_disposition_name(i)), i);
	for (i = 0; i <= REPORT_REASON_TRUSTED_FORWARDER; i++)
		assert_int_equal(report_reason_parse(report_reason_name(i)), i);
	assert_int_equal(report_disposition_parse("Reject"), -1);
	assert_int_equal(report_reason_parse(NULL), -1);
	assert_int_equal(report_day(86399), 0);
	assert_int_equal(report_day(86400), 1);
	assert_int_equal(report_day_start(2), 172800);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_recorded),
	    cmocka_unit_test(test_dispositions),
	    cmocka_unit_test(test_policy_and_identifiers),
	    cmocka_unit_test(test_dkim_order),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_hashes),
	    cmocka_unit_test(test_text_roundtrip),
	    cmocka_unit_test(test_text_malformed),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
