/*
 * test_iprev - the iprev check (RFC 8601 section 3) against canned DNS
 * answers, and how its outcome is written in Authentication-Results
 *
 * A resolver_new_fixed() resolver serves one zone per case: rows of name,
 * type and presentation data (PTR and CNAME targets as names, A/AAAA as
 * addresses; the resolver takes the text as decoded). A row of type
 * SERVFAIL makes every query of its name fail temporarily; a name with
 * rows of other types only answers no data; any other name is NXDOMAIN.
 * Covered: pass (first or a later name), permerror (no PTR: NXDOMAIN and
 * no data; unusable PTR data; not an address), fail (names that do not
 * map back, names without addresses, an IPv6 client whose name has only
 * A records), temperror (PTR SERVFAIL; an address lookup SERVFAIL with no
 * other pass) and pass despite one, more than 10 PTR names, IPv6,
 * IPv4-mapped IPv6, invalid PTR names, the number of lookups, and the
 * iprev= result in authres_format().
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
#include "engine/authres.h"
#include "engine/iprev.h"
#include "engine/verdict.h"
#include "util/xalloc.h"

#define SERVFAIL 0
#define ZONE_MAX 24

struct zrow {
	const char *name;
	int type; /* DNS_T_..., or SERVFAIL */
	const char *data;
};

/* The reverse names used below. */
#define REV4 "1.2.0.192.in-addr.arpa"
#define REV6 "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
#define LABEL64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static struct dns_result *zone_lookup(void *arg, const char *name, int type)
{
	const struct zrow *z = arg;
	struct dns_result *res = NULL;
	size_t i;

	for (i = 0; i < ZONE_MAX && z[i].name != NULL; i++) {
		if (strcasecmp(z[i].name, name) != 0)
			continue;
		if (res == NULL) {
			res = xcalloc(1, sizeof(*res));
			res->rr = xcalloc(ZONE_MAX, sizeof(*res->rr));
			res->status = DNS_NODATA;
		}
		if (z[i].type == SERVFAIL) {
			res->status = DNS_TEMPFAIL;
			res->error = xstrdup("server answered rcode 2");
			return res;
		}
		if (z[i].type != type)
			continue;
		res->status = DNS_OK;
		res->rr[res->nrr].text = xstrdup(z[i].data);
		res->rr[res->nrr].text_len = strlen(z[i].data);
		res->nrr++;
	}
	return res;
}

struct iprev_case {
	const char *what;
	const char *ip;
	struct zrow zone[ZONE_MAX];
	enum iprev_result want;
	const char *want_ip;
	const char *want_name;	 /* NULL: none */
	const char *want_reason; /* a part of the reason */
	unsigned long lookups;	 /* queries sent (0: not checked) */
};

static const struct iprev_case cases[] = {
    {"pass",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "mail.example.com"}, {"mail.example.com", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "mail.example.com",
     "mail.example.com maps back to 192.0.2.1",
     2},
    {"pass on the second name; the first has other addresses",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "other.example"},
      {REV4, DNS_T_PTR, "mail.example.com"},
      {"other.example", DNS_T_A, "198.51.100.1"},
      {"mail.example.com", DNS_T_A, "198.51.100.2"},
      {"mail.example.com", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "mail.example.com",
     "maps back",
     3},
    {"the lookups stop at the first name that maps back",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "mail.example.com"},
      {REV4, DNS_T_PTR, "other.example"},
      {"mail.example.com", DNS_T_A, "192.0.2.1"},
      {"other.example", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "mail.example.com",
     NULL,
     2},
    {"no PTR record (NXDOMAIN): permerror, RFC 8601 2.7.3",
     "192.0.2.1",
     {{"unrelated.example", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PERMERROR,
     "192.0.2.1",
     NULL,
     "no PTR record for 192.0.2.1 (no such name)",
     1},
    {"no PTR record (no data): permerror",
     "192.0.2.1",
     {{REV4, DNS_T_TXT, "not a PTR"}},
     IPREV_RESULT_PERMERROR,
     "192.0.2.1",
     NULL,
     "no PTR record for 192.0.2.1 (no data)",
     1},
    {"the one name has another address: fail",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "host.example.net"}, {"host.example.net", DNS_T_A, "203.0.113.9"}},
     IPREV_RESULT_FAIL,
     "192.0.2.1",
     "host.example.net",
     "host.example.net does not map back to 192.0.2.1",
     2},
    {"the one name does not exist: fail",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "gone.example.net"}},
     IPREV_RESULT_FAIL,
     "192.0.2.1",
     "gone.example.net",
     "gone.example.net has no A record",
     2},
    {"no name maps back: fail, the name is the first PTR name",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "a.example"},
      {REV4, DNS_T_PTR, "b.example"},
      {"a.example", DNS_T_A, "192.0.2.2"},
      {"b.example", DNS_T_TXT, "no address"}},
     IPREV_RESULT_FAIL,
     "192.0.2.1",
     "a.example",
     "none of the 2 PTR names maps back to 192.0.2.1",
     3},
    {"PTR lookup SERVFAIL: temperror",
     "192.0.2.1",
     {{REV4, SERVFAIL, NULL}},
     IPREV_RESULT_TEMPERROR,
     "192.0.2.1",
     NULL,
     "the PTR lookup of 192.0.2.1 failed temporarily (server answered rcode 2)",
     1},
    {"address lookup SERVFAIL and no other name passes: temperror",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "a.example"},
      {REV4, DNS_T_PTR, "b.example"},
      {"a.example", SERVFAIL, NULL},
      {"b.example", DNS_T_A, "192.0.2.2"}},
     IPREV_RESULT_TEMPERROR,
     "192.0.2.1",
     "a.example",
     "the A lookup of a.example failed temporarily (server answered rcode 2) and no other "
     "PTR name maps back to 192.0.2.1",
     3},
    {"address lookup SERVFAIL, another name passes: pass",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "a.example"},
      {REV4, DNS_T_PTR, "b.example"},
      {"a.example", SERVFAIL, NULL},
      {"b.example", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "b.example",
     NULL,
     3},
    {"12 PTR names: the 11th, which maps back, is never looked up",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "n1.example"},
      {REV4, DNS_T_PTR, "n2.example"},
      {REV4, DNS_T_PTR, "n3.example"},
      {REV4, DNS_T_PTR, "n4.example"},
      {REV4, DNS_T_PTR, "n5.example"},
      {REV4, DNS_T_PTR, "n6.example"},
      {REV4, DNS_T_PTR, "n7.example"},
      {REV4, DNS_T_PTR, "n8.example"},
      {REV4, DNS_T_PTR, "n9.example"},
      {REV4, DNS_T_PTR, "n10.example"},
      {REV4, DNS_T_PTR, "n11.example"},
      {REV4, DNS_T_PTR, "n12.example"},
      {"n11.example", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_FAIL,
     "192.0.2.1",
     "n1.example",
     "none of the 10 PTR names maps back to 192.0.2.1; PTR names 11 to 12 of the answer "
     "were ignored (at most 10 are looked up)",
     11},
    {"10 PTR names, the 10th maps back: pass",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "n1.example"},
      {REV4, DNS_T_PTR, "n2.example"},
      {REV4, DNS_T_PTR, "n3.example"},
      {REV4, DNS_T_PTR, "n4.example"},
      {REV4, DNS_T_PTR, "n5.example"},
      {REV4, DNS_T_PTR, "n6.example"},
      {REV4, DNS_T_PTR, "n7.example"},
      {REV4, DNS_T_PTR, "n8.example"},
      {REV4, DNS_T_PTR, "n9.example"},
      {REV4, DNS_T_PTR, "n10.example"},
      {"n10.example", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "n10.example",
     NULL,
     11},
    {"IPv6: ip6.arpa and AAAA",
     "2001:DB8:0::1",
     {{REV6, DNS_T_PTR, "v6.example.com"}, {"v6.example.com", DNS_T_AAAA, "2001:db8::1"}},
     IPREV_RESULT_PASS,
     "2001:db8::1",
     "v6.example.com",
     "v6.example.com maps back to 2001:db8::1",
     2},
    {"IPv6 client whose name has only an A record: fail",
     "2001:db8::1",
     {{REV6, DNS_T_PTR, "v4only.example.com"}, {"v4only.example.com", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_FAIL,
     "2001:db8::1",
     "v4only.example.com",
     "v4only.example.com has no AAAA record",
     2},
    {"IPv4-mapped IPv6 is checked as IPv4",
     "::ffff:192.0.2.1",
     {{REV4, DNS_T_PTR, "mail.example.com"}, {"mail.example.com", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "mail.example.com",
     "mail.example.com maps back to 192.0.2.1",
     2},
    {"the only PTR name is not a valid DNS name: permerror",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, LABEL64 ".example"}},
     IPREV_RESULT_PERMERROR,
     "192.0.2.1",
     LABEL64 ".example",
     "the PTR data of 192.0.2.1 is unusable: its name is not a valid DNS name",
     1},
    {"no PTR name is valid (the root, a label over 63 octets): permerror",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, ""}, {REV4, DNS_T_PTR, LABEL64 ".example"}},
     IPREV_RESULT_PERMERROR,
     "192.0.2.1",
     LABEL64 ".example",
     "none of its names is a valid DNS name",
     1},
    {"an invalid PTR name is skipped, a valid one passes",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "bad..example"},
      {REV4, DNS_T_PTR, "mail.example.com"},
      {"mail.example.com", DNS_T_A, "192.0.2.1"}},
     IPREV_RESULT_PASS,
     "192.0.2.1",
     "mail.example.com",
     NULL,
     2},
    {"an invalid PTR name is skipped, the valid one fails: fail",
     "192.0.2.1",
     {{REV4, DNS_T_PTR, "bad..example"},
      {REV4, DNS_T_PTR, "host.example.net"},
      {"host.example.net", DNS_T_A, "192.0.2.9"}},
     IPREV_RESULT_FAIL,
     "192.0.2.1",
     "bad..example",
     "host.example.net does not map back to 192.0.2.1 (1 other is not a valid DNS name)",
     2},
    {"not an address: permerror, no lookup",
     "mail.example.com",
     {{REV4, DNS_T_PTR, "mail.example.com"}},
     IPREV_RESULT_PERMERROR,
     "mail.example.com",
     NULL,
     "not an IPv4 or IPv6 address",
     0},
};

static void test_cases(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct iprev_case *c = &cases[i];
		struct resolver *r = resolver_new_fixed(zone_lookup, (void *)c->zone);
		struct iprev_outcome o;
		unsigned long n;

		iprev_check(r, c->ip, &o);
		n = resolver_query_count(r);
		if (o.result != c->want || strcmp(o.ip ? o.ip : "(null)", c->want_ip) != 0 ||
		    strcmp(o.name ? o.name : "(null)", c->want_name ? c->want_name : "(null)") !=
			0 ||
		    o.reason == NULL ||
		    (c->want_reason != NULL && strstr(o.reason, c->want_reason) == NULL) ||
		    n != c->lookups) {
			print_message(
			    "# case %zu (%s):\n#   got:      %s ip=%s name=%s lookups=%lu "
			    "reason=%s\n#   expected: %s ip=%s name=%s lookups=%lu "
			    "reason~%s\n",
			    i, c->what, iprev_result_name(o.result), o.ip, o.name, n, o.reason,
			    iprev_result_name(c->want), c->want_ip, c->want_name, c->lookups,
			    c->want_reason);
			bad++;
		}
		iprev_outcome_clear(&o);
		assert_null(o.ip);
		assert_int_equal(o.result, IPREV_RESULT_NONE);
		resolver_free(r);
	}
	assert_int_equal(bad, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(iprev_result_name(IPREV_RESULT_NONE), "none");
	assert_string_equal(iprev_result_name(IPREV_RESULT_PASS), "pass");
	assert_string_equal(iprev_result_name(IPREV_RESULT_FAIL), "fail");
	assert_string_equal(iprev_result_name(IPREV_RESULT_TEMPERROR), "temperror");
	assert_string_equal(iprev_result_name(IPREV_RESULT_PERMERROR), "permerror");
	assert_string_equal(iprev_result_name((enum iprev_result)99), "unknown");
	iprev_outcome_clear(NULL);
}

/* The iprev= line of the header for one outcome; NULL when there is none. */
static char *header_line(enum iprev_result res, const char *ip, const char *name,
			 const char *reason)
{
	struct verdict *v = verdict_new();
	char *ar, *line = NULL, *p, *end;

	v->checked = true;
	v->iprev.result = res;
	v->iprev.ip = ip ? xstrdup(ip) : NULL;
	v->iprev.name = name ? xstrdup(name) : NULL;
	v->iprev.reason = reason ? xstrdup(reason) : NULL;
	ar = authres_format("mx.example.org", v);
	assert_true(authres_valid(ar));
	if ((p = strstr(ar, "\n\tiprev=")) != NULL) {
		p += 2;
		end = strstr(p, ";\n\t");
		assert_non_null(end);
		line = xstrndup(p, (size_t)(end - p));
	}
	free(ar);
	verdict_free(v);
	return line;
}

static void test_authres(void **state)
{
	static const struct {
		enum iprev_result res;
		const char *ip, *name, *reason, *want;
	} rows[] = {
	    {IPREV_RESULT_PASS, "192.0.2.1", "mail.example.com", "mail.example.com maps back",
	     "iprev=pass (mail.example.com) policy.iprev=192.0.2.1"},
	    {IPREV_RESULT_PASS, "2001:db8::1", "v6.example.com", NULL,
	     "iprev=pass (v6.example.com) policy.iprev=\"2001:db8::1\""},
	    /* a name that could end the comment is not written */
	    {IPREV_RESULT_PASS, "192.0.2.1", "a) b.example", NULL,
	     "iprev=pass policy.iprev=192.0.2.1"},
	    {IPREV_RESULT_FAIL, "192.0.2.1", "host.example.net",
	     "host.example.net does not map back to 192.0.2.1",
	     "iprev=fail reason=\"host.example.net does not map back to 192.0.2.1\"\n\t\t"
	     "policy.iprev=192.0.2.1"},
	    {IPREV_RESULT_PERMERROR, "192.0.2.1", NULL, "no PTR record",
	     "iprev=permerror reason=\"no PTR record\" policy.iprev=192.0.2.1"},
	    {IPREV_RESULT_TEMPERROR, "192.0.2.1", NULL, "x\r\n\"y\"",
	     "iprev=temperror reason=\"x??\\\"y\\\"\" policy.iprev=192.0.2.1"},
	    {IPREV_RESULT_NONE, NULL, NULL, NULL, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *line = header_line(rows[i].res, rows[i].ip, rows[i].name, rows[i].reason);

		if (rows[i].want == NULL)
			assert_null(line);
		else
			assert_string_equal(line, rows[i].want);
		free(line);
	}
}

/* iprev comes after the SPF results and before DKIM. */
static void test_authres_order(void **state)
{
	struct verdict *v = verdict_new();
	char *ar, *spf, *iprev, *dkim;

	(void)state;
	v->checked = true;
	v->spf_helo.identity = xstrdup("mail.example.com");
	v->iprev.result = IPREV_RESULT_PASS;
	v->iprev.ip = xstrdup("192.0.2.1");
	ar = authres_format("mx.example.org", v);
	spf = strstr(ar, "smtp.helo=");
	iprev = strstr(ar, "iprev=pass");
	dkim = strstr(ar, "dkim=none");
	assert_non_null(spf);
	assert_non_null(iprev);
	assert_non_null(dkim);
	assert_true(spf < iprev && iprev < dkim);
	free(ar);
	verdict_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_authres),
	    cmocka_unit_test(test_authres_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
