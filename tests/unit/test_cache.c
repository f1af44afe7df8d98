/*
 * test_cache - the resolver's answer cache: copies, case, negative
 * answers, what is never kept, and the entry bound
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/cache.h"
#include "util/xalloc.h"

static struct dns_result *txt(enum dns_status st, const char *text)
{
	struct dns_result *r = xcalloc(1, sizeof(*r));

	r->status = st;
	if (st == DNS_OK) {
		r->nrr = 1;
		r->rr = xcalloc(1, sizeof(*r->rr));
		r->rr[0].text = xstrdup(text);
		r->rr[0].text_len = strlen(text);
		r->rr[0].data = (unsigned char *)xstrdup(text);
		r->rr[0].len = strlen(text);
	}
	return r;
}

static void test_hit_is_a_copy(void **state)
{
	struct dns_cache *c = dns_cache_new(100, 3600, 300);
	struct dns_result *r = txt(DNS_OK, "v=spf1 -all"), *a, *b;

	dns_cache_put(c, "Example.COM.", DNS_T_TXT, r, 60);
	dns_result_free(r); /* the cache kept its own copy */
	a = dns_cache_get(c, "example.com", DNS_T_TXT);
	b = dns_cache_get(c, "EXAMPLE.com.", DNS_T_TXT);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->status, DNS_OK);
	assert_string_equal(a->rr[0].text, "v=spf1 -all");
	assert_null(dns_cache_get(c, "example.com", DNS_T_A)); /* type is part of the key */
	assert_null(dns_cache_get(c, "www.example.com", DNS_T_TXT));
	dns_result_free(a);
	dns_result_free(b);
	dns_cache_free(c);
}

static void test_what_is_kept(void **state)
{
	static const struct {
		enum dns_status st;
		unsigned ttl;
		bool kept;
	} rows[] = {
	    {DNS_OK, 60, true},	       {DNS_NXDOMAIN, 60, true}, {DNS_NODATA, 60, true},
	    {DNS_TEMPFAIL, 60, false}, {DNS_BADNAME, 60, false}, {DNS_OK, 0, false},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct dns_cache *c = dns_cache_new(100, 3600, 300);
		struct dns_result *r = txt(rows[i].st, "x"), *got;

		dns_cache_put(c, "a.example", DNS_T_TXT, r, rows[i].ttl);
		got = dns_cache_get(c, "a.example", DNS_T_TXT);
		if ((got != NULL) != rows[i].kept)
			fail_msg("row %zu: status %s ttl %u kept=%d, expected %d", i,
				 dns_status_name(rows[i].st), rows[i].ttl, got != NULL,
				 rows[i].kept);
		if (got != NULL)
			assert_int_equal(got->status, rows[i].st);
		dns_result_free(got);
		dns_result_free(r);
		dns_cache_free(c);
	}
}

static void test_bounded(void **state)
{
	struct dns_cache *off = dns_cache_new(0, 3600, 300);
	struct dns_cache *c = dns_cache_new(50, 3600, 300);
	struct dns_result *r = txt(DNS_OK, "x"), *got;
	char name[64];
	size_t i, kept = 0;

	dns_cache_put(off, "a.example", DNS_T_TXT, r, 60);
	assert_null(dns_cache_get(off, "a.example", DNS_T_TXT));
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%zu.example", i);
		dns_cache_put(c, name, DNS_T_TXT, r, 60);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%zu.example", i);
		got = dns_cache_get(c, name, DNS_T_TXT);
		kept += got != NULL;
		dns_result_free(got);
	}
	if (kept == 0 || kept > 50)
		fail_msg("%zu of 5000 answers kept with a bound of 50", kept);
	dns_result_free(r);
	dns_cache_free(off);
	dns_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit_is_a_copy),
	    cmocka_unit_test(test_what_is_kept),
	    cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
