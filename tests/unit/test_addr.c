/*
 * test_addr - IP address and CIDR parsing and matching (src/util/addr.c)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/addr.h"

static void test_addr_parse_table(void **state)
{
	static const struct {
		const char *in;
		int family;	 /* 0 = must not parse */
		const char *out; /* addr_format() of the result */
	} t[] = {
	    {"192.0.2.1", AM_AF_INET, "192.0.2.1"},
	    {"0.0.0.0", AM_AF_INET, "0.0.0.0"},
	    {"255.255.255.255", AM_AF_INET, "255.255.255.255"},
	    {"2001:DB8::1", AM_AF_INET6, "2001:db8::1"},
	    {"::", AM_AF_INET6, "::"},
	    {"::ffff:1.2.3.4", AM_AF_INET6, "::ffff:1.2.3.4"},
	    {"CAFE:BABE::192.168.218.40", AM_AF_INET6, "cafe:babe::c0a8:da28"},
	    {"1.2.3", 0, NULL},
	    {"1.2.3.4.5", 0, NULL},
	    {"01.2.3.4", 0, NULL},
	    {"256.1.1.1", 0, NULL},
	    {"1.2.3.4:8080", 0, NULL},
	    {"1.2.3.4/32", 0, NULL},
	    {" 1.2.3.4", 0, NULL},
	    {":CAFE::BABE", 0, NULL},
	    {"1::2::3", 0, NULL},
	    {"[::1]", 0, NULL},
	    {"", 0, NULL},
	};
	char buf[AM_ADDR_STRLEN];
	struct am_addr a;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = addr_parse(t[i].in, &a);

		if (ok != (t[i].family != 0))
			print_message("addr_parse(\"%s\") returned %d\n", t[i].in, ok);
		assert_int_equal(ok, t[i].family != 0);
		if (!ok)
			continue;
		assert_int_equal(a.family, t[i].family);
		assert_string_equal(addr_format(&a, buf, sizeof(buf)), t[i].out);
	}
	assert_false(addr_parse(NULL, &a));
}

static void test_addr_unmap(void **state)
{
	struct am_addr a, v4;
	char buf[AM_ADDR_STRLEN];

	assert_true(addr_parse("::FFFF:1.2.3.4", &a));
	assert_true(addr_unmap(&a));
	assert_int_equal(a.family, AM_AF_INET);
	assert_true(addr_parse("1.2.3.4", &v4));
	assert_memory_equal(&a, &v4, sizeof(a));
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "1.2.3.4");
	assert_false(addr_unmap(&a));		  /* already IPv4 */
	assert_true(addr_parse("::1.2.3.4", &a)); /* IPv4-compatible, not mapped */
	assert_false(addr_unmap(&a));
	assert_int_equal(a.family, AM_AF_INET6);
}

static void test_cidr_parse_table(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *net;
		unsigned prefix;
	} t[] = {
	    {"192.0.2.0/24", true, "192.0.2.0", 24},
	    {"192.0.2.77/24", true, "192.0.2.0", 24},
	    {"192.0.2.77", true, "192.0.2.77", 32},
	    {"1.1.1.1/0", true, "0.0.0.0", 0},
	    {"10.0.0.0/8", true, "10.0.0.0", 8},
	    {"172.16.5.4/12", true, "172.16.0.0", 12},
	    {"2001:db8::/32", true, "2001:db8::", 32},
	    {"CAFE:BABE:8000::/33", true, "cafe:babe:8000::", 33},
	    {"cafe:babe:ffff::/33", true, "cafe:babe:8000::", 33},
	    {"::1", true, "::1", 128},
	    {"::/0", true, "::", 0},
	    {"1.2.3.4/33", false, NULL, 0},
	    {"1.2.3.4/032", false, NULL, 0},
	    {"1.2.3.4/", false, NULL, 0},
	    {"1.2.3.4//32", false, NULL, 0},
	    {"1.2.3.4/-1", false, NULL, 0},
	    {"::/129", false, NULL, 0},
	    {"/24", false, NULL, 0},
	    {"example.com/24", false, NULL, 0},
	};
	char buf[AM_ADDR_STRLEN];
	struct am_cidr c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = cidr_parse(t[i].in, &c);

		if (ok != t[i].ok)
			print_message("cidr_parse(\"%s\") returned %d\n", t[i].in, ok);
		assert_int_equal(ok, t[i].ok);
		if (!t[i].ok)
			continue;
		assert_string_equal(addr_format(&c.net, buf, sizeof(buf)), t[i].net);
		assert_int_equal(c.prefix, t[i].prefix);
	}
}

static void test_addr_in_cidr_table(void **state)
{
	static const struct {
		const char *addr, *cidr;
		bool in;
	} t[] = {
	    {"192.0.2.1", "192.0.2.0/24", true},
	    {"192.0.3.1", "192.0.2.0/24", false},
	    {"192.0.2.1", "192.0.2.1", true},
	    {"192.0.2.2", "192.0.2.1", false},
	    {"192.0.2.3", "192.0.2.2/31", true},
	    {"1.2.3.4", "0.0.0.0/0", true},
	    {"::ffff:192.0.2.1", "192.0.2.0/24", true},	  /* mapped client, IPv4 network */
	    {"192.0.2.1", "::ffff:192.0.2.0/120", false}, /* IPv4 never matches IPv6 */
	    {"1.2.3.4", "::/0", false},
	    {"2001:db8::1", "0.0.0.0/0", false},
	    {"2001:db8::1", "2001:db8::/32", true},
	    {"2001:db9::1", "2001:db8::/32", false},
	    {"cafe:babe:8000::", "cafe:babe:8000::/33", true},
	    {"cafe:babe:7fff::", "cafe:babe:8000::/33", false},
	    {"deaf:babe::cab:fee", "::/0", true},
	};
	struct am_addr a;
	struct am_cidr c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_true(addr_parse(t[i].addr, &a));
		assert_true(cidr_parse(t[i].cidr, &c));
		if (addr_in_cidr(&a, &c) != t[i].in)
			print_message("%s in %s: expected %d\n", t[i].addr, t[i].cidr, t[i].in);
		assert_int_equal(addr_in_cidr(&a, &c), t[i].in);
	}
}

static void test_addr_bytes_and_prefix(void **state)
{
	static const unsigned char v4[4] = {192, 0, 2, 1};
	struct am_addr a, b;
	unsigned p;

	assert_true(addr_from_bytes(v4, 4, &a));
	assert_true(addr_parse("192.0.2.1", &b));
	assert_memory_equal(&a, &b, sizeof(a));
	assert_false(addr_from_bytes(v4, 3, &a));
	assert_true(addr_parse("192.0.2.200", &b));
	assert_true(addr_prefix_equal(&a, &b, 24));
	assert_false(addr_prefix_equal(&a, &b, 25));
	assert_false(addr_prefix_equal(&a, &b, 33));
	assert_true(cidr_parse_prefix("0", 1, 32, &p));
	assert_int_equal(p, 0);
	assert_true(cidr_parse_prefix("128", 3, 128, &p));
	assert_int_equal(p, 128);
	assert_false(cidr_parse_prefix("129", 3, 128, &p));
	assert_false(cidr_parse_prefix("00", 2, 32, &p));
	assert_false(cidr_parse_prefix("", 0, 32, &p));
	assert_false(cidr_parse_prefix("1000", 4, 128, &p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse_table),	  cmocka_unit_test(test_addr_unmap),
	    cmocka_unit_test(test_cidr_parse_table),	  cmocka_unit_test(test_addr_in_cidr_table),
	    cmocka_unit_test(test_addr_bytes_and_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
