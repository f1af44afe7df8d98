/*
 * test_external - RFC 9990 section 4: whether a report about one domain
 * may go to a mailbox of another, on a fixed resolver
 *
 * One row per case: the policy domain, the rua host, the zone the
 * resolver answers from, the result, the override addresses and the name
 * queried (none for the same organizational domain or a name too long for
 * DNS). Organizational domains come from the real public suffix list.
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
#include "report/external.h"
#include "report/rua.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct zone_rr {
	const char *name; /* "*.x" answers every name under x */
	enum dns_status st;
	const char *txt[4];
	size_t len0; /* length of txt[0] when it holds a NUL; 0: strlen */
};

#define BLUE "blue.example.com._report._dmarc.red.example.net"

static const struct zone_rr zone[] = {
    {BLUE, DNS_OK, {"v=DMARC1"}, 0},
    {"blue.example.com._report._dmarc.tmp.example.net", DNS_TEMPFAIL, {NULL}, 0},
    {"blue.example.com._report._dmarc.nodata.example.net", DNS_NODATA, {NULL}, 0},
    {"blue.example.com._report._dmarc.mixed.example.net",
     DNS_OK,
     {"v=spf1 -all", "v=DMARC1; p=none", "google-site-verification=x"},
     0},
    {"blue.example.com._report._dmarc.nodmarc.example.net",
     DNS_OK,
     {"v=spf1 -all", "hello v=DMARC1", "v=dmarc1"},
     0},
    {"blue.example.com._report._dmarc.over.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:other@over.example.net"},
     0},
    {"blue.example.com._report._dmarc.over2.example.net",
     DNS_OK,
     {"v=DMARC1;RUA = mailto:a@OVER2.example.net , MAILTO:b@over2.example.net!10m ;"},
     0},
    {"blue.example.com._report._dmarc.evil.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:x@victim.example"},
     0},
    {"blue.example.com._report._dmarc.mix.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:a@mix.example.net,mailto:x@victim.example"},
     0},
    {"blue.example.com._report._dmarc.sub.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:a@deeper.sub.example.net"},
     0},
    {"blue.example.com._report._dmarc.https.example.net",
     DNS_OK,
     {"v=DMARC1; rua=https://https.example.net/"},
     0},
    {"blue.example.com._report._dmarc.empty.example.net", DNS_OK, {"v=DMARC1; rua="}, 0},
    {"blue.example.com._report._dmarc.two.example.net",
     DNS_OK,
     {"v=DMARC1", "v=DMARC1; rua=mailto:o@two.example.net"},
     0},
    {"blue.example.com._report._dmarc.tworua.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:o@tworua.example.net", "v=DMARC1; rua=mailto:x@victim.example"},
     0},
    {"blue.example.com._report._dmarc.tworub.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:x@victim.example", "v=DMARC1; rua=mailto:o@tworub.example.net"},
     0},
    {"blue.example.com._report._dmarc.spfrua.example.net",
     DNS_OK,
     {"v=spf1 rua=mailto:x@victim.example", "v=DMARC1"},
     0},
    {"blue.example.com._report._dmarc.nul.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:a@nul.example.net\0,mailto:x@victim.example"},
     63},
    {"blue.example.com._report._dmarc.bad.example.net",
     DNS_OK,
     {"v=DMARC1; rua=mailto:a@bad.example.net%0d%0aBcc:x@victim.example"},
     0},
    {"blue.example.com._report._dmarc.many.example.net",
     DNS_OK,
     {"v=DMARC1; "
      "rua=mailto:1@many.example.net,mailto:2@many.example.net,mailto:3@many.example.net,mailto:4@"
      "many.example.net,mailto:5@many.example.net,mailto:6@many.example.net,mailto:7@many.example."
      "net,mailto:8@many.example.net,mailto:9@many.example.net,mailto:10@many.example.net"},
     0},
    {"blue.example.com._report._dmarc.manyevil.example.net",
     DNS_OK,
     {"v=DMARC1; "
      "rua=mailto:1@manyevil.example.net,mailto:2@manyevil.example.net,mailto:3@manyevil.example."
      "net,mailto:4@manyevil.example.net,mailto:5@manyevil.example.net,mailto:6@manyevil.example."
      "net,mailto:7@manyevil.example.net,mailto:8@manyevil.example.net,mailto:9@manyevil.example."
      "net,mailto:x@victim.example"},
     0},
    {"*._report._dmarc.wild.example.org", DNS_OK, {"v=DMARC1;"}, 0},
    {"a.co.uk._report._dmarc.b.co.uk", DNS_OK, {"v=DMARC1"}, 0},
    {"xn--bcher-kva.example._report._dmarc.red.example.net", DNS_OK, {"v=DMARC1"}, 0},
    {NULL, DNS_OK, {NULL}, 0},
};

static struct strbuf queried = STRBUF_INIT;

static bool zone_match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), nl = strlen(name);

	if (pattern[0] != '*')
		return strcasecmp(pattern, name) == 0;
	return nl > pl - 1 && strcasecmp(name + nl - (pl - 1), pattern + 1) == 0;
}

static struct dns_result *zone_lookup(void *arg, const char *name, int type)
{
	const struct zone_rr *z;
	struct dns_result *res;
	size_t i;

	(void)arg;
	strbuf_addf(&queried, "%s%s", queried.len ? " " : "", name);
	for (z = zone; z->name != NULL; z++)
		if (zone_match(z->name, name))
			break;
	if (z->name == NULL)
		return NULL; /* NXDOMAIN */
	res = xcalloc(1, sizeof(*res));
	res->status = type == DNS_T_TXT ? z->st : DNS_NODATA;
	res->rcode = 0;
	if (res->status == DNS_TEMPFAIL)
		res->error = xstrdup("SERVFAIL");
	if (res->status != DNS_OK)
		return res;
	while (res->nrr < 4 && z->txt[res->nrr] != NULL)
		res->nrr++;
	res->rr = xcalloc(res->nrr, sizeof(*res->rr));
	for (i = 0; i < res->nrr; i++) {
		size_t len = i == 0 && z->len0 ? z->len0 : strlen(z->txt[i]);

		res->rr[i].text = xmemdup0(z->txt[i], len);
		res->rr[i].text_len = len;
	}
	return res;
}

struct row {
	const char *policy, *host;
	enum external_result want;
	const char *override; /* addresses, space-separated */
	const char *why;      /* a word of ev.why */
	const char *queried;  /* names looked up, space-separated */
};

static const struct row rows[] = {
    /* the same organizational domain: no lookup */
    {"example.com", "example.com", EXTERNAL_SAME_ORG, "", "organizational", ""},
    {"blue.example.com", "reports.example.com", EXTERNAL_SAME_ORG, "", "organizational", ""},
    {"a.example.com", "b.example.com", EXTERNAL_SAME_ORG, "", "organizational", ""},
    {"example.co.uk", "dmarc.example.co.uk", EXTERNAL_SAME_ORG, "", "organizational", ""},
    {"Example.COM", "example.com", EXTERNAL_SAME_ORG, "", "organizational", ""},
    /* different ones: the lookup decides */
    {"blue.example.com", "red.example.net", EXTERNAL_AUTHORIZED, "", "authorized", BLUE},
    {"blue.example.com", "gone.example.net", EXTERNAL_REFUSED, "", "no record",
     "blue.example.com._report._dmarc.gone.example.net"},
    {"blue.example.com", "nodata.example.net", EXTERNAL_REFUSED, "", "no record",
     "blue.example.com._report._dmarc.nodata.example.net"},
    {"blue.example.com", "tmp.example.net", EXTERNAL_TEMPERROR, "", "SERVFAIL",
     "blue.example.com._report._dmarc.tmp.example.net"},
    {"blue.example.com", "mixed.example.net", EXTERNAL_AUTHORIZED, "", "authorized",
     "blue.example.com._report._dmarc.mixed.example.net"},
    {"blue.example.com", "nodmarc.example.net", EXTERNAL_REFUSED, "", "no v=DMARC1",
     "blue.example.com._report._dmarc.nodmarc.example.net"},
    {"blue.example.com", "spfrua.example.net", EXTERNAL_AUTHORIZED, "", "authorized",
     "blue.example.com._report._dmarc.spfrua.example.net"},
    /* public suffixes of more than one label; a public suffix itself */
    {"a.co.uk", "b.co.uk", EXTERNAL_AUTHORIZED, "", "authorized", "a.co.uk._report._dmarc.b.co.uk"},
    {"c.co.uk", "b.co.uk", EXTERNAL_REFUSED, "", "no record", "c.co.uk._report._dmarc.b.co.uk"},
    {"co.uk", "co.uk", EXTERNAL_REFUSED, "", "no record", "co.uk._report._dmarc.co.uk"},
    /* the wildcard answers through DNS like any name */
    {"blue.example.com", "wild.example.org", EXTERNAL_AUTHORIZED, "", "authorized",
     "blue.example.com._report._dmarc.wild.example.org"},
    {"anything.example", "wild.example.org", EXTERNAL_AUTHORIZED, "", "authorized",
     "anything.example._report._dmarc.wild.example.org"},
    /* the policy domain in its A-label form (step 3) */
    {"b\xc3\xbc"
     "cher.example",
     "red.example.net", EXTERNAL_AUTHORIZED, "", "authorized",
     "xn--bcher-kva.example._report._dmarc.red.example.net"},
    {"b\xc3\xbc"
     "cher.example",
     "reports.xn--bcher-kva.example", EXTERNAL_SAME_ORG, "", "organizational", ""},
    {"a..example", "red.example.net", EXTERNAL_REFUSED, "", "not a domain name", ""},
    /* overrides: the same host only */
    {"blue.example.com", "over.example.net", EXTERNAL_AUTHORIZED, "other@over.example.net",
     "override", "blue.example.com._report._dmarc.over.example.net"},
    {"blue.example.com", "over2.example.net", EXTERNAL_AUTHORIZED,
     "a@over2.example.net b@over2.example.net", "override",
     "blue.example.com._report._dmarc.over2.example.net"},
    {"blue.example.com", "two.example.net", EXTERNAL_AUTHORIZED, "o@two.example.net", "override",
     "blue.example.com._report._dmarc.two.example.net"},
    {"blue.example.com", "evil.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.evil.example.net"},
    {"blue.example.com", "mix.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.mix.example.net"},
    {"blue.example.com", "sub.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.sub.example.net"},
    {"blue.example.com", "tworua.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.tworua.example.net"},
    {"blue.example.com", "tworub.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.tworub.example.net"},
    /* at most 8 kept, but every one read */
    {"blue.example.com", "many.example.net", EXTERNAL_AUTHORIZED,
     "1@many.example.net 2@many.example.net 3@many.example.net 4@many.example.net "
     "5@many.example.net 6@many.example.net 7@many.example.net 8@many.example.net",
     "override to 8", "blue.example.com._report._dmarc.many.example.net"},
    {"blue.example.com", "manyevil.example.net", EXTERNAL_REFUSED, "", "another host",
     "blue.example.com._report._dmarc.manyevil.example.net"},
    {"blue.example.com", "https.example.net", EXTERNAL_REFUSED, "", "no usable",
     "blue.example.com._report._dmarc.https.example.net"},
    {"blue.example.com", "empty.example.net", EXTERNAL_REFUSED, "", "no usable",
     "blue.example.com._report._dmarc.empty.example.net"},
    {"blue.example.com", "nul.example.net", EXTERNAL_REFUSED, "", "not text",
     "blue.example.com._report._dmarc.nul.example.net"},
    {"blue.example.com", "bad.example.net", EXTERNAL_REFUSED, "", "no usable",
     "blue.example.com._report._dmarc.bad.example.net"},
};

static void check_row(struct resolver *r, struct dmarc_ctx *psl, const struct row *w)
{
	struct strbuf got = STRBUF_INIT;
	struct external_verdict ev;
	struct rua_list l;
	char *uri = xasprintf("mailto:dmarc@%s", w->host);
	size_t i;

	assert_int_equal(rua_parse(uri, 1, &l), 1);
	strbuf_reset(&queried);
	external_check(r, psl, w->policy, &l.v[0], &ev);
	for (i = 0; i < ev.override.n; i++)
		strbuf_addf(&got, "%s%s", i ? " " : "", ev.override.v[i].addr);
	if (ev.result != w->want || strcmp(strbuf_str(&got), w->override) != 0 ||
	    strstr(ev.why, w->why) == NULL || strcmp(strbuf_str(&queried), w->queried) != 0) {
		print_error("%s -> %s: %s, override \"%s\", why \"%s\", queried \"%s\"\n",
			    w->policy, w->host, external_result_name(ev.result), strbuf_str(&got),
			    ev.why, strbuf_str(&queried));
		fail();
	}
	external_verdict_clear(&ev);
	assert_int_equal(ev.override.n, 0);
	rua_list_clear(&l);
	strbuf_free(&got);
	free(uri);
}

static void test_rows(void **state)
{
	struct am_err err;
	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, &err);
	struct resolver *r = resolver_new_fixed(zone_lookup, NULL);
	size_t i;

	assert_non_null(psl);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(r, psl, &rows[i]);
	resolver_free(r);
	dmarc_ctx_free(psl);
}

/* Step 4: a name over 253 octets is not a positive determination, and no
 * query leaves. */
static void test_too_long(void **state)
{
	struct am_err err;
	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, &err);
	struct resolver *r = resolver_new_fixed(zone_lookup, NULL);
	struct strbuf pd = STRBUF_INIT;
	struct external_verdict ev;
	struct rua_list l;

	/* 4 * 50 + "example.com": 211 octets, + "._report._dmarc." (16) +
	 * "red.example.net" (15) = 242: fits */
	strbuf_adds(&pd, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strbuf_adds(&pd, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.");
	strbuf_adds(&pd, "ccccccccccccccccccccccccccccccccccccccccccccccccc.");
	strbuf_adds(&pd, "ddddddddddddddddddddddddddddddddddddddddddddddddd.");
	strbuf_adds(&pd, "example.com");
	assert_int_equal(rua_parse("mailto:a@red.example.net", 1, &l), 1);
	strbuf_reset(&queried);
	external_check(r, psl, strbuf_str(&pd), &l.v[0], &ev);
	assert_int_equal(ev.result, EXTERNAL_REFUSED); /* NXDOMAIN, but asked */
	assert_int_equal(resolver_query_count(r), 1);
	external_verdict_clear(&ev);
	rua_list_clear(&l);

	/* one more label of 12 octets: 255, over the limit */
	assert_int_equal(rua_parse("mailto:a@abcdefghijk.red.example.net", 1, &l), 1);
	external_check(r, psl, strbuf_str(&pd), &l.v[0], &ev);
	assert_int_equal(ev.result, EXTERNAL_REFUSED);
	assert_non_null(strstr(ev.why, "too long"));
	assert_int_equal(resolver_query_count(r), 1);
	external_verdict_clear(&ev);
	rua_list_clear(&l);

	strbuf_free(&pd);
	resolver_free(r);
	dmarc_ctx_free(psl);
}

static void test_needed(void **state)
{
	static const struct {
		const char *a, *b;
		bool needed;
	} cases[] = {
	    {"example.com", "example.com", false},
	    {"a.example.com", "b.example.com", false},
	    {"example.com", "mail.reports.example.com", false},
	    {"example.co.uk", "x.example.co.uk", false},
	    {"example.com", "example.net", true},
	    {"a.co.uk", "b.co.uk", true},
	    {"example.co.uk", "example.com", true},
	    {"co.uk", "co.uk", true}, /* a public suffix has no organizational domain */
	    {"com", "example.com", true},
	};
	struct am_err err;
	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, &err);
	size_t i;

	assert_non_null(psl);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (external_needed(psl, cases[i].a, cases[i].b) != cases[i].needed) {
			print_error("%s vs %s\n", cases[i].a, cases[i].b);
			fail();
		}
	}
	dmarc_ctx_free(psl);
}

static void test_names(void **state)
{
	assert_string_equal(external_result_name(EXTERNAL_SAME_ORG), "same-org");
	assert_string_equal(external_result_name(EXTERNAL_AUTHORIZED), "authorized");
	assert_string_equal(external_result_name(EXTERNAL_REFUSED), "refused");
	assert_string_equal(external_result_name(EXTERNAL_TEMPERROR), "temperror");
	external_verdict_clear(NULL);
}

static int teardown(void **state)
{
	strbuf_free(&queried);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_needed),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
