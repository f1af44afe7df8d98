/*
 * test_dmarc_record - table-driven tests of the DMARC record parser
 *
 * Each row: record text, whether it is a record, and the fields it must
 * give (p, sp, np, adkim, aspf, pct, t, policy fallback). The rules under
 * test are documented in dmarc.h (RFC 7489 6.3/6.4/6.6.3, RFC 9091, RFC
 * 9989).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dmarc.h"

#define U DMARC_POLICY_UNSET
#define N DMARC_POLICY_NONE
#define Q DMARC_POLICY_QUARANTINE
#define R DMARC_POLICY_REJECT

struct row {
	const char *txt;
	int ok; /* 0 = a record, -1 = not */
	enum dmarc_policy p, sp, np;
	int adkim_s, aspf_s, pct, t, fallback;
};

static const struct row rows[] = {
    {"v=DMARC1; p=none", 0, N, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1;p=reject", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=quarantine;", 0, Q, U, U, 0, 0, 100, 0, 0},
    {"  V = DMARC1 ; P = Reject ; ", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1\t;\tp=REJECT", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; sp=none; np=quarantine", 0, R, N, Q, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=none; adkim=s; aspf=S", 0, N, U, U, 1, 1, 100, 0, 0},
    {"v=DMARC1; p=none; adkim=strict; aspf=x", 0, N, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; pct=0", 0, R, U, U, 0, 0, 0, 0, 0},
    {"v=DMARC1; p=reject; pct=050", 0, R, U, U, 0, 0, 50, 0, 0},
    {"v=DMARC1; p=reject; pct=101", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; pct=f", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; pct=5.5", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; pct=-1", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; pct=", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; t=y", 0, R, U, U, 0, 0, 100, 1, 0},
    {"v=DMARC1; p=reject; t=Y", 0, R, U, U, 0, 0, 100, 1, 0},
    {"v=DMARC1; p=reject; t=n", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; t=yes", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; foo=bar; fo:0; 1:d:s;;", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; p=none", 0, R, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1\\; p=reject\\;", 0, R, U, U, 0, 0, 100, 0, 0},
    /* p/sp/np missing or invalid: p=none with a usable rua, else nothing */
    {"v=DMARC1; rua=mailto:d@example.com", 0, N, U, U, 0, 0, 100, 0, 1},
    {"v=DMARC1; p=bogus; rua=mailto:d@example.com", 0, N, U, U, 0, 0, 100, 0, 1},
    {"v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com!10m", 0, N, U, U, 0, 0, 100, 0, 1},
    {"v=DMARC1; p=reject; np=bogus; rua=ftp://x, mailto:d@example.com", 0, N, U, U, 0, 0, 100, 0,
     1},
    {"v=DMARC1", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=n", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; sp=bogus", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; p=reject; np=bogus", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; rua=ftp://www.example.com", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; rua=mailto:nobody", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1; psd=y", -1, U, U, U, 0, 0, 100, 0, 0},
    /* the version tag */
    {"", -1, U, U, U, 0, 0, 100, 0, 0},
    {"V=BOB", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC2; p=none", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=dmarc1; p=none", -1, U, U, U, 0, 0, 100, 0, 0},
    {"p=none; v=DMARC1", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC1 p=none", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=spf1 -all", -1, U, U, U, 0, 0, 100, 0, 0},
    {"v=DMARC10; p=none", -1, U, U, U, 0, 0, 100, 0, 0},
};

static void test_rows(void **state)
{
	size_t i, fails = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct dmarc_record rec;
		struct am_err err = {""};
		int rc = dmarc_record_parse(r->txt, strlen(r->txt), &rec, &err);
		int bad = rc != r->ok;

		if (!bad && rc == 0)
			bad = rec.p != r->p || rec.sp != r->sp || rec.np != r->np ||
			      rec.adkim_strict != r->adkim_s || rec.aspf_strict != r->aspf_s ||
			      rec.pct != r->pct || rec.testing != r->t ||
			      rec.policy_fallback != r->fallback;
		if (bad) {
			print_error("row %zu [%s]: got rc=%d p=%d sp=%d np=%d adkim_s=%d aspf_s=%d "
				    "pct=%d t=%d fb=%d (%s); expected rc=%d p=%d sp=%d np=%d "
				    "adkim_s=%d aspf_s=%d pct=%d t=%d fb=%d\n",
				    i, r->txt, rc, rec.p, rec.sp, rec.np, rec.adkim_strict,
				    rec.aspf_strict, rec.pct, rec.testing, rec.policy_fallback,
				    err.msg, r->ok, r->p, r->sp, r->np, r->adkim_s, r->aspf_s,
				    r->pct, r->t, r->fallback);
			fails++;
		}
		if (rc != 0 && err.msg[0] == '\0') {
			print_error("row %zu: no error message\n", i);
			fails++;
		}
		dmarc_record_clear(&rec);
	}
	assert_int_equal(fails, 0);
}

static void test_strings(void **state)
{
	static const char txt[] = "v=DMARC1; p=none; rua=mailto:a@x.example, mailto:b@y.example; "
				  "ruf=mailto:f@x.example; fo=0:D";
	struct dmarc_record rec;

	(void)state;
	assert_int_equal(dmarc_record_parse(txt, strlen(txt), &rec, NULL), 0);
	assert_string_equal(rec.rua, "mailto:a@x.example, mailto:b@y.example");
	assert_string_equal(rec.ruf, "mailto:f@x.example");
	assert_string_equal(rec.fo, "0:d");
	dmarc_record_clear(&rec);
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=none; fo=00", 23, &rec, NULL), 0);
	assert_null(rec.fo);
	dmarc_record_clear(&rec);
}

static void test_limits(void **state)
{
	char *big = malloc(DMARC_RECORD_MAX + 2);
	static const char nul[] = "v=DMARC1; p=none\0; p=reject";
	struct dmarc_record rec;
	struct am_err err;

	(void)state;
	memset(big, ' ', DMARC_RECORD_MAX + 1);
	memcpy(big, "v=DMARC1; p=reject;", 19);
	big[DMARC_RECORD_MAX + 1] = '\0';
	assert_int_equal(dmarc_record_parse(big, DMARC_RECORD_MAX + 1, &rec, &err), -1);
	assert_false(dmarc_record_is_dmarc(big, DMARC_RECORD_MAX + 1));
	assert_int_equal(dmarc_record_parse(big, DMARC_RECORD_MAX, &rec, &err), 0);
	assert_int_equal(rec.p, DMARC_POLICY_REJECT);
	dmarc_record_clear(&rec);
	assert_int_equal(dmarc_record_parse(nul, sizeof(nul) - 1, &rec, &err), -1);
	free(big);
}

static void test_is_dmarc(void **state)
{
	(void)state;
	assert_true(dmarc_record_is_dmarc("v=DMARC1; p=bogus", 17));
	assert_true(dmarc_record_is_dmarc("v = DMARC1", 10));
	assert_true(dmarc_record_is_dmarc("v=DMARC1", 8));
	assert_false(dmarc_record_is_dmarc("v=DMARC1x", 9));
	assert_false(dmarc_record_is_dmarc("v=spf1 -all", 11));
	assert_false(dmarc_record_is_dmarc("", 0));
	assert_false(dmarc_record_is_dmarc(NULL, 0));
}

/* psd= (RFC 9989 4.7): y, n or u; anything else is u. dmarc_record_psd()
 * reads it from any v=DMARC1 text, usable as a policy or not. */
static void test_psd(void **state)
{
	static const struct {
		const char *txt;
		int parses;		 /* dmarc_record_parse() */
		enum dmarc_psd psd, any; /* in the record; from dmarc_record_psd() */
	} psd_rows[] = {
	    {"v=DMARC1; p=none", 0, DMARC_PSD_U, DMARC_PSD_U},
	    {"v=DMARC1; p=reject; psd=y", 0, DMARC_PSD_Y, DMARC_PSD_Y},
	    {"v=DMARC1; p=reject; psd=n", 0, DMARC_PSD_N, DMARC_PSD_N},
	    {"v=DMARC1; p=reject; psd=u", 0, DMARC_PSD_U, DMARC_PSD_U},
	    {"v=DMARC1; p=reject; PSD = Y ", 0, DMARC_PSD_Y, DMARC_PSD_Y},
	    {"v=DMARC1; p=reject; psd=yes", 0, DMARC_PSD_U, DMARC_PSD_U},
	    {"v=DMARC1; p=reject; psd=", 0, DMARC_PSD_U, DMARC_PSD_U},
	    {"v=DMARC1; p=reject; psd=n; psd=y", 0, DMARC_PSD_N, DMARC_PSD_N},
	    {"v=DMARC1; p=reject; psd=x; psd=y", 0, DMARC_PSD_U, DMARC_PSD_U},
	    {"v=DMARC1; psd=y; rua=mailto:d@example.com", 0, DMARC_PSD_Y, DMARC_PSD_Y},
	    {"v=DMARC1; psd=y", -1, DMARC_PSD_U, DMARC_PSD_Y},
	    {"v=DMARC1; p=bogus; psd=n", -1, DMARC_PSD_U, DMARC_PSD_N},
	    {"v=spf1 psd=y", -1, DMARC_PSD_U, DMARC_PSD_U},
	    {"psd=y; v=DMARC1; p=none", -1, DMARC_PSD_U, DMARC_PSD_U},
	};
	size_t i, fails = 0;

	(void)state;
	for (i = 0; i < sizeof(psd_rows) / sizeof(psd_rows[0]); i++) {
		struct dmarc_record rec;
		size_t len = strlen(psd_rows[i].txt);
		int rc = dmarc_record_parse(psd_rows[i].txt, len, &rec, NULL);
		enum dmarc_psd any = dmarc_record_psd(psd_rows[i].txt, len);

		if (rc != psd_rows[i].parses || (rc == 0 && rec.psd != psd_rows[i].psd) ||
		    any != psd_rows[i].any) {
			print_error("row %zu [%s]: rc=%d psd=%d any=%d; expected %d %d %d\n", i,
				    psd_rows[i].txt, rc, rc == 0 ? (int)rec.psd : -1, (int)any,
				    psd_rows[i].parses, (int)psd_rows[i].psd, (int)psd_rows[i].any);
			fails++;
		}
		if (rc == 0)
			dmarc_record_clear(&rec);
	}
	assert_int_equal(dmarc_record_psd(NULL, 0), DMARC_PSD_U);
	assert_int_equal(fails, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),   cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_limits), cmocka_unit_test(test_is_dmarc),
	    cmocka_unit_test(test_psd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
