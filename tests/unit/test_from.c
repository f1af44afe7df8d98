/*
 * test_from - table-driven tests of the RFC 5322 From parser (from.c)
 *
 * Each row: header value, expected status, expected author domain (NULL
 * when none), expected number of addresses. Rows cover the grammar (display
 * names, quoted strings, nested comments, groups, obs-route, obs-phrase),
 * the attacks known from OpenDMARC (CVE-2019-16378: several From addresses
 * with only the first one checked) and display-name spoofing, unbalanced
 * syntax, NUL and 8-bit bytes, and very long input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "engine/from.h"

struct row {
	const char *in;
	enum from_status st;
	const char *domain;
	size_t n;
};

#define OK FROM_OK
#define SAME FROM_MULTI_SAME_DOMAIN
#define MULTI FROM_MULTI_DOMAIN
#define NONE FROM_NO_ADDRESS
#define BAD FROM_UNPARSEABLE

static const struct row rows[] = {
    /* plain forms */
    {"joe@example.com", OK, "example.com", 1},
    {"Joe Q. Public <john.q.public@example.com>", OK, "example.com", 1},
    {"\"Joe Q. Public\" <john.q.public@example.com>", OK, "example.com", 1},
    {"<joe@example.com>", OK, "example.com", 1},
    {"  joe@example.com  ", OK, "example.com", 1},
    {"Joe <joe@EXAMPLE.Com>", OK, "example.com", 1},
    {"joe@example.com.", OK, "example.com", 1},
    {"Joe <joe@sub.example.co.uk.>", OK, "sub.example.co.uk", 1},
    {"joe@example.com..", BAD, NULL, 0},
    {"joe@.example.com", BAD, NULL, 0},
    {"joe@example..com", BAD, NULL, 0},
    /* quoted strings and quoted-pairs */
    {"\"Joe \\\"the\\\" Boss\" <joe@example.com>", OK, "example.com", 1},
    {"\"joe smith\"@example.com", OK, "example.com", 1},
    {"\"a\\\"@evil.example\"@good.example", OK, "good.example", 1},
    {"\"Johnson, Joe\" <joe@example.com>", OK, "example.com", 1},
    /* comments, nested, with specials inside */
    {"(Joe Johnson) joe@example.com", OK, "example.com", 1},
    {"joe@example.com (Joe (the (real) one) <x@evil.example>)", OK, "example.com", 1},
    {"Joe <joe(comment)@(c)example.com>", OK, "example.com", 1},
    {"(,) joe@example.com", OK, "example.com", 1},
    {"Joe <joe@example.com> (\\) still a comment)", OK, "example.com", 1},
    /* display names that look like addresses */
    {"\"ceo@bank.example\" <x@evil.example>", OK, "evil.example", 1},
    {"ceo@bank.example <x@evil.example>", BAD, NULL, 0},
    {"\"ceo@bank.example\" x@evil.example", BAD, NULL, 0},
    {"(ceo@bank.example) x@evil.example", OK, "evil.example", 1},
    {"\"<ceo@bank.example>\" <x@evil.example>", OK, "evil.example", 1},
    /* RFC 2047 encoded words */
    {"=?utf-8?q?J=C3=B6rg?= <joerg@example.de>", OK, "example.de", 1},
    {"=?utf-8?B?Y2VvQGJhbmsuZXhhbXBsZQ==?= <x@evil.example>", OK, "evil.example", 1},
    {"=?utf-8?q?ceo@bank.example?= <x@evil.example>", BAD, NULL, 0},
    {"=?utf-8?q?ceo@bank.example?=", BAD, NULL, 0},
    {"=?utf-8?q?ceo?=@bank.example", BAD, NULL, 0},
    /* several addresses: CVE-2019-16378 */
    {"joe@joe.example, ace@ace.example", MULTI, NULL, 2},
    {"Joe <joe@joe.example>, ace@ace.example", MULTI, NULL, 2},
    {"a@example.com, b@EXAMPLE.com.", SAME, "example.com", 2},
    {"a@example.com, b@sub.example.com", MULTI, NULL, 2},
    {"Undisclosed: a@b.example, c@d.example;", MULTI, NULL, 2},
    {"Team: a@b.example, <c@b.example>;", SAME, "b.example", 2},
    {"Team: a@b.example;, x@evil.example", MULTI, NULL, 2},
    {"Undisclosed recipients:;", NONE, NULL, 0},
    {"", NONE, NULL, 0},
    {"   (only a comment)  ", NONE, NULL, 0},
    {", joe@example.com,", OK, "example.com", 1},
    {"Team: a@b.example", BAD, NULL, 0},
    {"Outer: Inner: a@b.example;;", BAD, NULL, 0},
    {"Mail From:<joe@joe.example>", BAD, NULL, 0},
    /* obsolete forms */
    {"<@route1.example,@route2.example:joe@example.com>", OK, "example.com", 1},
    {"Joe <@a.example:joe@example.com>", OK, "example.com", 1},
    {"Joe Q. Public <joe@example.com>", OK, "example.com", 1},
    {"joe . smith @ example . com", OK, "example.com", 1},
    {"joe.\"x y\"@example.com", OK, "example.com", 1},
    /* unbalanced syntax: never a guessed domain */
    {"<<<><joe@joe.example>>>", BAD, NULL, 0},
    {"Joe <joe@example.com", BAD, NULL, 0},
    {"Joe joe@example.com>", BAD, NULL, 0},
    {"\"Joe <joe@example.com>", BAD, NULL, 0},
    {"(Joe <joe@example.com>", BAD, NULL, 0},
    {"Joe) <joe@example.com>", BAD, NULL, 0},
    {"joe@example.com <x@evil.example>", BAD, NULL, 0},
    {"<>", BAD, NULL, 0},
    {"Joe <joe>", BAD, NULL, 0},
    {"joe@", BAD, NULL, 0},
    {"@example.com", BAD, NULL, 0},
    {"joe@[192.0.2.1]", BAD, NULL, 0},
    {"joe@exa mple.com", BAD, NULL, 0},
    {"joe@exa\\mple.com", BAD, NULL, 0},
    {"joe@evil.example\x01", BAD, NULL, 0},
    {"joe@ex;ample.com", BAD, NULL, 0},
    {"joe@example.com;", BAD, NULL, 0},
    /* 8-bit: UTF-8 domains become A-labels (RFC 8616), ASCII is lower-cased */
    {"J\xc3\xb6rg <j@B\xc3\xbc"
     "CHER.Example>",
     OK, "xn--bcher-kva.example", 1},
    {"j@\xe9\xa3\x9f\xe7\x8b\xae.\xe4\xb8\xad\xe5\x9b\xbd", OK, "xn--85x722f.xn--fiqs8s", 1},
    {"j@xn--85x722f.XN--FIQS8S", OK, "xn--85x722f.xn--fiqs8s", 1},
    /* the U-label and the A-label of one domain are one domain */
    {"a@b\xc3\xbc"
     "cher.example, b@XN--BCHER-KVA.example",
     SAME, "xn--bcher-kva.example", 2},
    {"a@b\xc3\xbc"
     "cher.example, b@bucher.example",
     MULTI, NULL, 2},
    /* not valid IDNA2008: unparseable, never "no policy" */
    {"j@\xe2\x98\x83.example", BAD, NULL, 0},
    {"j@xn--zzzz.example", BAD, NULL, 0},
    {"j@b\xc3.example", BAD, NULL, 0},
    {"j@\xc0\xaf.example", BAD, NULL, 0},
    /* 30 u-umlauts are 60 octets of UTF-8 and a 36-octet A-label */
    {"j@\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
     "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
     "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc.example",
     OK, "xn--tdaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 1},
    /* labels and names over DNS limits */
    {"j@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", BAD, NULL, 0},
};

static void test_rows(void **state)
{
	size_t i, fails = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct from_result fr;
		int bad;

		from_parse(r->in, &fr);
		bad = fr.status != r->st || fr.n_addresses != r->n ||
		      (r->domain == NULL) != (fr.domain == NULL) ||
		      (r->domain && strcmp(r->domain, fr.domain) != 0) ||
		      (r->st == BAD && fr.error == NULL);
		if (bad) {
			print_error("row %zu [%s]: got %s domain=%s n=%zu (%s), expected %s "
				    "domain=%s n=%zu\n",
				    i, r->in, from_status_name(fr.status),
				    fr.domain ? fr.domain : "(null)", fr.n_addresses,
				    fr.error ? fr.error : "", from_status_name(r->st),
				    r->domain ? r->domain : "(null)", r->n);
			fails++;
		}
		from_result_clear(&fr);
	}
	assert_int_equal(fails, 0);
}

static void test_address_and_domains(void **state)
{
	struct from_result fr;

	(void)state;
	from_parse("Team: \"a b\"@X.example, c@y.EXAMPLE.;", &fr);
	assert_int_equal(fr.status, FROM_MULTI_DOMAIN);
	assert_string_equal(fr.address, "\"a b\"@x.example");
	assert_int_equal(fr.n_addresses, 2);
	assert_string_equal(fr.domains[0], "x.example");
	assert_string_equal(fr.domains[1], "y.example");
	assert_null(fr.domain);
	from_result_clear(&fr);
}

static void test_embedded_nul(void **state)
{
	static const char v[] = "joe@evil.example\0, x@good.example";
	struct from_result fr;

	(void)state;
	from_parse_n(v, sizeof(v) - 1, &fr);
	assert_int_equal(fr.status, FROM_UNPARSEABLE);
	assert_null(fr.domain);
	from_result_clear(&fr);
	from_parse(NULL, &fr);
	assert_int_equal(fr.status, FROM_UNPARSEABLE);
	from_result_clear(&fr);
}

static void test_too_many_addresses(void **state)
{
	char buf[FROM_MAX_ADDRESSES * 16 + 64];
	struct from_result fr;
	size_t i, off = 0;

	(void)state;
	for (i = 0; i <= FROM_MAX_ADDRESSES; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sa%zu@x.example",
					i ? "," : "", i);
	from_parse(buf, &fr);
	assert_int_equal(fr.status, FROM_UNPARSEABLE);
	from_result_clear(&fr);
	/* exactly the limit is fine */
	*strrchr(buf, ',') = '\0';
	from_parse(buf, &fr);
	assert_int_equal(fr.status, FROM_MULTI_SAME_DOMAIN);
	assert_int_equal(fr.n_addresses, FROM_MAX_ADDRESSES);
	from_result_clear(&fr);
}

/* Long inputs: over the limit is refused; pathological ones under the limit
 * (deep comments, many dots, long phrases) parse in linear time. */
static void test_long_input(void **state)
{
	size_t n = FROM_MAX_LEN, i;
	char *buf = malloc(n + 2);
	struct from_result fr;
	clock_t t0;

	(void)state;
	memset(buf, 'a', n + 1);
	buf[n + 1] = '\0';
	from_parse(buf, &fr);
	assert_int_equal(fr.status, FROM_UNPARSEABLE);
	from_result_clear(&fr);

	t0 = clock();
	for (i = 0; i < n - 40; i++)
		buf[i] = i < (n - 40) / 2 ? '(' : ')';
	strcpy(buf + n - 40, " joe@example.com");
	from_parse(buf, &fr);
	assert_int_equal(fr.status, FROM_OK);
	assert_string_equal(fr.domain, "example.com");
	from_result_clear(&fr);

	for (i = 0; i < n - 40; i++)
		buf[i] = i % 2 ? '.' : 'w';
	strcpy(buf + n - 40, " <joe@example.com>");
	from_parse(buf, &fr);
	assert_int_equal(fr.status, FROM_OK);
	from_result_clear(&fr);

	for (i = 0; i < n - 40; i++)
		buf[i] = i % 2 ? ' ' : '"';
	buf[n - 40] = '\0';
	from_parse(buf, &fr); /* 8k quoted words, no address */
	assert_int_equal(fr.status, FROM_UNPARSEABLE);
	from_result_clear(&fr);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),	 cmocka_unit_test(test_address_and_domains),
	    cmocka_unit_test(test_embedded_nul), cmocka_unit_test(test_too_many_addresses),
	    cmocka_unit_test(test_long_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
