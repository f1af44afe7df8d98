/*
 * test_dmarc_walk - the RFC 9989 DNS Tree Walk against canned DNS answers
 *
 * The canned resolver is dmarc_mock_dns.h. Covered: the names a walk
 * queries (the 8-query rule, with the examples of RFC 9989 4.10 and
 * 5.1.8), the organizational domain a walk gives (the examples of 4.10.2,
 * psd=y and psd=n, several records, temporary failures), policy discovery
 * by tree walk (own record, organizational domain, public suffix domain),
 * relaxed alignment by walks from the identifiers (with the number of
 * lookups), and what a temporary failure during a walk does.
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
#include "engine/dmarc_walk.h"

#include "dmarc_mock_dns.h"

#define TF(name)                               \
	{                                      \
		name, DNS_T_TXT, DNS_TEMPFAIL, \
		{                              \
			NULL                   \
		}                              \
	}
#define END                  \
	{                    \
		NULL, 0, 0,  \
		{            \
			NULL \
		}            \
	}

static struct dmarc_ctx *dc;

static int setup(void **state)
{
	struct am_err err;

	(void)state;
	dc = dmarc_ctx_new(AM_PSL_FILE, &err);
	if (dc == NULL)
		fprintf(stderr, "# %s\n", err.msg);
	return dc == NULL;
}

static int teardown(void **state)
{
	(void)state;
	dmarc_ctx_free(dc);
	return 0;
}

static void eval(const struct mock_rr *zone, const char *from, const char *spf_dom,
		 const char *dkim, struct dmarc_outcome *out)
{
	const char *d[1] = {dkim};
	struct dmarc_input in = {from, spf_dom, spf_dom ? SPF_RESULT_PASS : SPF_RESULT_NONE, d,
				 dkim ? 1 : 0};

	mock_use(zone);
	dmarc_evaluate(dc, NULL, NULL, &in, out);
}

static const char *str(const char *s)
{
	return s ? s : "(null)";
}

/* ---- the names of a walk ---- */

static void test_walk_names(void **state)
{
	static const struct {
		const char *name, *want;
	} rows[] = {
	    {"com", "com"},
	    {"example.com", "example.com com"},
	    {"a.mail.example.com", "a.mail.example.com mail.example.com example.com com"},
	    /* 8 labels: the parent is already 7 */
	    {"a.b.c.d.e.f.example.com",
	     "a.b.c.d.e.f.example.com b.c.d.e.f.example.com c.d.e.f.example.com "
	     "d.e.f.example.com e.f.example.com f.example.com example.com com"},
	    /* 9 labels: the 8-label parent is skipped */
	    {"z.a.b.c.d.e.f.example.com",
	     "z.a.b.c.d.e.f.example.com b.c.d.e.f.example.com c.d.e.f.example.com "
	     "d.e.f.example.com e.f.example.com f.example.com example.com com"},
	    /* RFC 9989 4.10 */
	    {"a.b.c.d.e.f.g.h.i.j.mail.example.com",
	     "a.b.c.d.e.f.g.h.i.j.mail.example.com g.h.i.j.mail.example.com "
	     "h.i.j.mail.example.com i.j.mail.example.com j.mail.example.com mail.example.com "
	     "example.com com"},
	    /* RFC 9989 5.1.8 */
	    {"mail.a.b.c.d.e.f.g.example.com",
	     "mail.a.b.c.d.e.f.g.example.com c.d.e.f.g.example.com d.e.f.g.example.com "
	     "e.f.g.example.com f.g.example.com g.example.com example.com com"},
	};
	const char *names[DMARC_WALK_MAX];
	size_t i, j, n, fails = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char got[1024] = "";

		n = dmarc_walk_names(rows[i].name, names);
		assert_true(n <= DMARC_WALK_MAX);
		for (j = 0; j < n; j++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", j ? " " : "",
				 names[j]);
		if (strcmp(got, rows[i].want) != 0) {
			print_error("%s:\n  got  %s\n  want %s\n", rows[i].name, got, rows[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
	/* the longest name there is: 127 one-letter labels, still 8 names */
	{
		char name[254];

		for (i = 0; i < 127; i++) {
			name[2 * i] = (char)('a' + i % 26);
			name[2 * i + 1] = '.';
		}
		name[253] = '\0';
		n = dmarc_walk_names(name, names);
		assert_int_equal(n, 8);
		assert_ptr_equal(names[0], name);
		assert_string_equal(names[1], name + 253 - 13);
		assert_int_equal(strlen(names[1]), 13);
		assert_int_equal(strlen(names[7]), 1);
	}
}

/* ---- the organizational domain of a walk ---- */

static void test_walk_org(void **state)
{
	static const struct mock_rr z1[] = {
	    T("_dmarc.mail.example.com", "v=DMARC1; p=none"),
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    END,
	};
	static const struct mock_rr z2[] = {
	    T("_dmarc.mail.example.com", "v=DMARC1; p=none; psd=n"),
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    END,
	};
	static const struct mock_rr z3[] = {
	    T("_dmarc.com", "v=DMARC1; p=reject; psd=y"),
	    END,
	};
	static const struct mock_rr z_start_y[] = {
	    T("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"),
	    END,
	};
	static const struct mock_rr z_multi[] = {
	    {"_dmarc.mail.example.com",
	     DNS_T_TXT,
	     DNS_OK,
	     {"v=DMARC1; p=none; psd=n", "v=DMARC1; p=reject; psd=n"}},
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    END,
	};
	static const struct mock_rr z_tf[] = {
	    T("_dmarc.mail.example.com", "v=DMARC1; p=none"),
	    TF("_dmarc.example.com"),
	    END,
	};
	static const struct mock_rr z_unusable[] = {
	    T("_dmarc.com", "v=DMARC1; psd=y"), /* no p=, no rua: still a PSD's record */
	    T("_dmarc.mail.example.com", "v=spf1 psd=n"),
	    END,
	};
	static const struct mock_rr z_deep[] = {
	    /* RFC 9989 5.1.8: the zone cut's record is never asked for */
	    T("_dmarc.b.c.d.e.f.g.example.com", "v=DMARC1; p=none; psd=n"),
	    T("_dmarc.example.com", "v=DMARC1; p=reject"),
	    END,
	};
	static const struct {
		const char *start;
		const struct mock_rr *zone;
		const char *org; /* NULL: a temporary failure */
		unsigned queries;
		size_t n_rec;
	} rows[] = {
	    /* the three examples of RFC 9989 4.10.2 */
	    {"a.mail.example.com", z1, "example.com", 4, 2},
	    {"a.mail.example.com", z2, "mail.example.com", 2, 1},
	    {"a.mail.example.com", z3, "example.com", 4, 1},
	    {"a.mail.example.com", NULL, "a.mail.example.com", 4, 0},
	    {"Mail.Example.COM.", z1, "example.com", 3, 2},
	    {"bank.example", z_start_y, "bank.example", 1, 1},
	    {"giant.bank.example", z_start_y, "giant.bank.example", 2, 1},
	    {"a.b.giant.bank.example", z_start_y, "giant.bank.example", 4, 1},
	    {"a.mail.example.com", z_multi, "example.com", 4, 1},
	    {"a.mail.example.com", z_tf, NULL, 3, 1},
	    {"a.mail.example.com", z_unusable, "example.com", 4, 1},
	    {"mail.a.b.c.d.e.f.g.example.com", z_deep, "example.com", 8, 1},
	    {"b.c.d.e.f.g.example.com", z_deep, "b.c.d.e.f.g.example.com", 1, 1},
	};
	struct dmarc_walk w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		mock_use(rows[i].zone);
		dmarc_walk_run(NULL, rows[i].start, &w);
		if ((rows[i].org == NULL) != (w.org_domain == NULL) ||
		    (rows[i].org && strcmp(rows[i].org, w.org_domain) != 0) ||
		    w.queries != rows[i].queries || mock_queries != rows[i].queries ||
		    w.n_rec != rows[i].n_rec || w.tempfail != (rows[i].org == NULL))
			fail_msg("row %zu %s: org %s after %u queries (%s), %zu records; expected "
				 "%s after %u, %zu",
				 i, rows[i].start, str(w.org_domain), w.queries, mock_log, w.n_rec,
				 str(rows[i].org), rows[i].queries, rows[i].n_rec);
		dmarc_walk_clear(&w);
	}
	mock_use(z_multi);
	dmarc_walk_run(NULL, "mail.example.com", &w);
	assert_non_null(w.multiple);
	assert_non_null(strstr(w.multiple, "2 DMARC records at _dmarc.mail.example.com"));
	dmarc_walk_clear(&w);
	mock_use(z_tf);
	dmarc_walk_run(NULL, "example.com", &w);
	assert_true(w.tempfail);
	assert_non_null(strstr(w.error, "_dmarc.example.com"));
	dmarc_walk_clear(&w);
}

/* ---- policy discovery ---- */

static void test_discovery(void **state)
{
	static const struct mock_rr zone[] = {
	    T("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine"),
	    T("_dmarc.sub.example.com", "v=DMARC1; p=none"),
	    T("_dmarc.bank.example", "v=DMARC1; p=reject; sp=quarantine; psd=y"),
	    T("_dmarc.giant.bank.example", "v=DMARC1; p=none"),
	    T("_dmarc.b.corp.example", "v=DMARC1; p=none; psd=n"),
	    T("_dmarc.corp.example", "v=DMARC1; p=reject"),
	    {"_dmarc.multi.test", DNS_T_TXT, DNS_OK, {"v=DMARC1; p=reject", "v=DMARC1; p=none"}},
	    TF("_dmarc.tf.example"),
	    T("_dmarc.tf2.example", "v=DMARC1; p=quarantine"),
	    TF("_dmarc.example"),
	    END,
	};
	static const struct {
		const char *from;
		enum dmarc_result res;
		const char *policy_domain, *org;
		enum dmarc_policy policy;
		unsigned queries;
	} rows[] = {
	    /* the own record, and the walk goes on for the org domain */
	    {"sub.example.com", DMARC_RESULT_FAIL, "sub.example.com", "example.com",
	     DMARC_POLICY_NONE, 3},
	    {"example.com", DMARC_RESULT_FAIL, "example.com", "example.com", DMARC_POLICY_REJECT,
	     2},
	    {"Deep.Sub2.Example.COM.", DMARC_RESULT_FAIL, "example.com", "example.com",
	     DMARC_POLICY_QUARANTINE, 4},
	    /* RFC 9989 B.4.3, and a PSD record used when the org domain has none */
	    {"giant.bank.example", DMARC_RESULT_FAIL, "giant.bank.example", "giant.bank.example",
	     DMARC_POLICY_NONE, 2},
	    {"x.giant.bank.example", DMARC_RESULT_FAIL, "giant.bank.example", "giant.bank.example",
	     DMARC_POLICY_NONE, 3},
	    {"x.mega.bank.example", DMARC_RESULT_FAIL, "bank.example", "mega.bank.example",
	     DMARC_POLICY_QUARANTINE, 3},
	    /* psd=n in the middle of the tree */
	    {"a.b.corp.example", DMARC_RESULT_FAIL, "b.corp.example", "b.corp.example",
	     DMARC_POLICY_NONE, 2},
	    /* several records are discarded, the walk goes on */
	    {"multi.test", DMARC_RESULT_NONE, NULL, "multi.test", DMARC_POLICY_UNSET, 2},
	    {"nothing.invalid", DMARC_RESULT_NONE, NULL, "nothing.invalid", DMARC_POLICY_UNSET, 2},
	    /* a temporary failure before any record: no policy known */
	    {"a.tf.example", DMARC_RESULT_TEMPERROR, NULL, NULL, DMARC_POLICY_UNSET, 2},
	    /* after the own record: the policy stands, the org domain is unknown */
	    {"tf2.example", DMARC_RESULT_FAIL, "tf2.example", NULL, DMARC_POLICY_QUARANTINE, 2},
	};
	struct dmarc_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		eval(zone, rows[i].from, NULL, NULL, &o);
		if (o.result != rows[i].res || o.policy != rows[i].policy ||
		    strcmp(str(o.policy_domain), str(rows[i].policy_domain)) != 0 ||
		    strcmp(str(o.org_domain), str(rows[i].org)) != 0 ||
		    mock_queries != rows[i].queries || o.discovery != DMARC_DISCOVERY_TREEWALK)
			fail_msg("%s: got %s %s at %s, org %s after %u queries (%s) [%s]",
				 rows[i].from, dmarc_result_name(o.result),
				 dmarc_policy_name(o.policy), str(o.policy_domain),
				 str(o.org_domain), mock_queries, mock_log, o.reason);
		dmarc_outcome_clear(&o);
	}
	eval(zone, "Deep.Sub2.Example.COM.", NULL, NULL, &o);
	assert_string_equal(mock_log, "_dmarc.deep.sub2.example.com/16 _dmarc.sub2.example.com/16 "
				      "_dmarc.example.com/16 _dmarc.com/16 ");
	assert_string_equal(o.record, "v=DMARC1; p=reject; sp=quarantine");
	dmarc_outcome_clear(&o);
	eval(zone, "multi.test", NULL, NULL, &o);
	assert_non_null(strstr(o.reason, "2 DMARC records at _dmarc.multi.test"));
	assert_non_null(strstr(o.reason, "tree walk, 2 lookups"));
	dmarc_outcome_clear(&o);
	eval(zone, "a.tf.example", NULL, NULL, &o);
	assert_non_null(strstr(o.reason, "_dmarc.tf.example"));
	dmarc_outcome_clear(&o);
}

/* ---- alignment ---- */

static const struct mock_rr align_zone[] = {
    T("_dmarc.example.com", "v=DMARC1; p=reject"),
    T("_dmarc.signing.example.com", "v=DMARC1; p=reject"),
    T("_dmarc.dept.example.com", "v=DMARC1; p=none; psd=n"),
    T("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s; aspf=s"),
    T("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"),
    T("_dmarc.giant.bank.example", "v=DMARC1; p=reject"),
    TF("_dmarc.flaky.example.com"),
    TF("_dmarc.evil.example"),
    T("_dmarc.tf2.example", "v=DMARC1; p=quarantine"),
    TF("_dmarc.example"),
    END,
};

static void test_alignment(void **state)
{
	static const struct {
		const char *from, *spf, *dkim;
		enum dmarc_result res;
		bool spf_al, dkim_al, temp;
		unsigned queries;
	} rows[] = {
	    /* RFC 9989 B.4.1: 2 for the From domain, 3 for signing.example.com */
	    {"example.com", "example.com", "signing.example.com", DMARC_RESULT_PASS, 1, 1, 0, 5},
	    /* RFC 9989 B.4.3: mail.mega.bank.example is outside giant.bank.example,
	     * so its walk (which would say mega.bank.example) is not needed */
	    {"giant.bank.example", "mail.giant.bank.example", "mail.mega.bank.example",
	     DMARC_RESULT_PASS, 1, 0, 0, 5},
	    {"example.com", "bounce.example.com", NULL, DMARC_RESULT_PASS, 1, 0, 0, 5},
	    /* the organizational domain itself: no walk */
	    {"a.example.com", "example.com", NULL, DMARC_RESULT_PASS, 1, 0, 0, 3},
	    /* a spoofer's own domains: no walk, and its DNS is never asked */
	    {"example.com", "evil.example", "evil.example", DMARC_RESULT_FAIL, 0, 0, 0, 2},
	    /* psd=n makes dept.example.com an organizational domain of its own */
	    {"example.com", NULL, "dept.example.com", DMARC_RESULT_FAIL, 0, 0, 0, 3},
	    {"example.com", NULL, "x.dept.example.com", DMARC_RESULT_FAIL, 0, 0, 0, 4},
	    {"strict.example", "mail.strict.example", "strict.example", DMARC_RESULT_PASS, 0, 1, 0,
	     2},
	    /* a walk that fails: alignment unknown, unless something else aligned */
	    {"example.com", NULL, "flaky.example.com", DMARC_RESULT_FAIL, 0, 0, 1, 3},
	    {"example.com", "example.com", "flaky.example.com", DMARC_RESULT_PASS, 1, 0, 1, 3},
	    /* the From domain's walk failed after its record: done again once */
	    {"tf2.example", "a.tf2.example", "b.tf2.example", DMARC_RESULT_FAIL, 0, 0, 1, 4},
	    {"tf2.example", "tf2.example", NULL, DMARC_RESULT_PASS, 1, 0, 0, 2},
	    {"tf2.example", "other.test", NULL, DMARC_RESULT_FAIL, 0, 0, 0, 2},
	};
	struct dmarc_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		eval(align_zone, rows[i].from, rows[i].spf, rows[i].dkim, &o);
		if (o.result != rows[i].res || o.spf_aligned != rows[i].spf_al ||
		    o.dkim_aligned != rows[i].dkim_al || o.align_temperror != rows[i].temp ||
		    mock_queries != rows[i].queries)
			fail_msg("row %zu %s: got %s spf=%d dkim=%d temp=%d after %u queries (%s) "
				 "[%s]",
				 i, rows[i].from, dmarc_result_name(o.result), o.spf_aligned,
				 o.dkim_aligned, o.align_temperror, mock_queries, mock_log,
				 o.reason);
		dmarc_outcome_clear(&o);
	}
	eval(align_zone, "example.com", NULL, "flaky.example.com", &o);
	assert_non_null(strstr(o.reason, "DKIM d=flaky.example.com: alignment unknown (DNS lookup "
					 "of _dmarc.flaky.example.com failed"));
	dmarc_outcome_clear(&o);
}

/* Could an identity whose check failed temporarily have aligned? */
static void test_could_align(void **state)
{
	struct dmarc_outcome o;

	(void)state;
	eval(align_zone, "a.example.com", NULL, NULL, &o);
	assert_string_equal(o.org_domain, "example.com");
	assert_true(dmarc_could_align(dc, &o, "A.Example.COM", true));
	assert_false(dmarc_could_align(dc, &o, "b.example.com", true));
	assert_true(dmarc_could_align(dc, &o, "b.example.com", false));
	assert_true(dmarc_could_align(dc, &o, "example.com", false));
	assert_false(dmarc_could_align(dc, &o, "example.net", false));
	assert_false(dmarc_could_align(dc, &o, "notexample.com", false));
	dmarc_outcome_clear(&o);
	/* the org domain unknown: any name under the same top-level domain */
	eval(align_zone, "tf2.example", NULL, NULL, &o);
	assert_null(o.org_domain);
	assert_true(dmarc_could_align(dc, &o, "other.example", false));
	assert_false(dmarc_could_align(dc, &o, "other.test", false));
	dmarc_outcome_clear(&o);
	/* strict: the same name only */
	eval(align_zone, "strict.example", NULL, NULL, &o);
	assert_true(dmarc_could_align(dc, &o, "strict.example", true));
	assert_false(dmarc_could_align(dc, &o, "mail.strict.example", true));
	dmarc_outcome_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_names),	cmocka_unit_test(test_walk_org),
	    cmocka_unit_test(test_discovery),	cmocka_unit_test(test_alignment),
	    cmocka_unit_test(test_could_align),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
