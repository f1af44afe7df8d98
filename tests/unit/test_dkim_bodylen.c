/*
 * test_dkim_bodylen - unit tests for the streaming canonical body length
 * (dkimv_bodylen_*): a table of bodies with their simple and relaxed
 * lengths, each fed whole, in two pieces cut at every offset, byte by
 * byte, and asked for its length after every prefix.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dkim_internal.h"

#define BODY(s) s, sizeof(s) - 1

/* Lengths written as the canonical text they stand for, so each row can be
 * checked by eye. */
static const struct {
	const char *in;
	size_t len;
	unsigned long long simple, relaxed;
} cases[] = {
    /* empty bodies and trailing empty lines */
    {BODY(""), 2 /* CRLF */, 0},
    {BODY("\r\n"), 2, 0},
    {BODY("\r\n\r\n\r\n"), 2, 0},
    {BODY("x"), 3 /* x CRLF */, 3},
    {BODY("x\r\n"), 3, 3},
    {BODY("x\r\n\r\n\r\n"), 3, 3},
    {BODY("\r\nx\r\n"), 5 /* leading empty line kept */, 5},
    {BODY("\r\n\r\nx\r\n\r\n"), 7, 7},
    /* whitespace */
    {BODY(" "), 3 /* SP CRLF */, 0},
    {BODY(" \r\n"), 3, 0},
    {BODY("\t\t\r\n \r\n"), 7 /* HT HT CRLF SP CRLF */, 0},
    {BODY("x \r\n"), 4, 3 /* x CRLF */},
    {BODY("x \t \r\n"), 6, 3},
    {BODY("a \t b\r\n"), 7, 5 /* a SP b CRLF */},
    {BODY(" \ta\r\n"), 5, 4 /* SP a CRLF */},
    {BODY("x\r\n \r\n\t\r\n"), 9, 3},
    {BODY("x\r\n \r\ny\r\n"), 9, 8 /* x CRLF CRLF y CRLF */},
    {BODY(" \r\n\r\n x"), 9, 8 /* CRLF CRLF SP x CRLF */},
    {BODY("x\t\t\r\n\t\t\r\n"), 9, 3},
    /* the last line has no CRLF: its trailing whitespace goes (relaxed) */
    {BODY("x  "), 5, 3},
    {BODY("x\r\n  "), 7 /* x CRLF SP SP CRLF */, 3},
    {BODY("x\r\n\r\n \t"), 9, 3},
    {BODY("a b"), 5, 5},
    /* RFC 6376 3.4.5 example */
    {BODY(" C \r\nD \t E\r\n\r\n\r\n"), 12, 9 /* SP C CRLF D SP E CRLF */},
    /* a CR not followed by LF is data */
    {BODY("\r"), 3 /* CR CRLF */, 3},
    {BODY("\r\r"), 4, 4},
    {BODY("x\r"), 4, 4},
    {BODY("x\r\n\r"), 6 /* x CRLF CR CRLF */, 6},
    {BODY("x\r\n\r\n\r"), 8, 8},
    {BODY("\r\r\n"), 3, 3},
    {BODY("\r\r\n\r\n"), 3, 3},
    {BODY("a\rb\r\n"), 5, 5},
    {BODY("a \r b\r\n"), 7, 7 /* a SP CR SP b CRLF */},
    {BODY("a  \r  \r\n"), 8, 5 /* a SP CR CRLF */},
    {BODY(" \r"), 4, 4 /* SP CR CRLF */},
    {BODY("x \r\n \r"), 8, 7 /* x CRLF SP CR CRLF */},
    /* a LF without CR (not expected after dkimv_crlf_*) is data too */
    {BODY("a\n"), 4, 4},
    {BODY("\n\r\n"), 3, 3},
    /* NUL is data */
    {BODY("\0"), 3, 3},
    {BODY(" \0 \r\n"), 5, 4},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Prints the body escaped, for failure messages. */
static void print_body(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			print_error("\\r");
		else if (c == '\n')
			print_error("\\n");
		else if (c == '\t')
			print_error("\\t");
		else if (c < 0x20 || c >= 0x7f)
			print_error("\\x%02x", c);
		else
			print_error("%c", c);
	}
}

/* Checks both lengths of st against case i; how says how it was fed. */
static void check(size_t i, const char *how, size_t at, const struct dkimv_bodylen *st)
{
	unsigned long long s = dkimv_bodylen_simple(st), r = dkimv_bodylen_relaxed(st);

	if (s == cases[i].simple && r == cases[i].relaxed)
		return;
	print_error("case %zu \"", i);
	print_body(cases[i].in, cases[i].len);
	print_error("\" fed %s (%zu): simple %llu relaxed %llu, expected %llu %llu\n", how, at, s,
		    r, cases[i].simple, cases[i].relaxed);
	fail();
}

static void feed(struct dkimv_bodylen *st, const char *s, size_t len)
{
	dkimv_bodylen_feed(st, (const unsigned char *)s, len);
}

static void test_whole(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct dkimv_bodylen st = {0};

		feed(&st, cases[i].in, cases[i].len);
		check(i, "whole", cases[i].len, &st);
	}
}

static void test_every_split(void **state)
{
	size_t i, cut;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		for (cut = 0; cut <= cases[i].len; cut++) {
			struct dkimv_bodylen st = {0};

			feed(&st, cases[i].in, cut);
			feed(&st, cases[i].in + cut, cases[i].len - cut);
			check(i, "cut at", cut, &st);
		}
	}
}

static void test_byte_by_byte(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct dkimv_bodylen st = {0};

		for (k = 0; k < cases[i].len; k++)
			feed(&st, cases[i].in + k, 1);
		feed(&st, "", 0); /* an empty chunk changes nothing */
		check(i, "byte by byte", cases[i].len, &st);
	}
}

/* Asking for the lengths mid-stream does not disturb the count, and gives
 * what the prefix alone would give. */
static void test_prefixes(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		struct dkimv_bodylen st = {0};

		for (k = 0; k < cases[i].len; k++) {
			struct dkimv_bodylen whole = {0};

			feed(&st, cases[i].in + k, 1);
			feed(&whole, cases[i].in, k + 1);
			assert_int_equal(dkimv_bodylen_simple(&st), dkimv_bodylen_simple(&whole));
			assert_int_equal(dkimv_bodylen_relaxed(&st), dkimv_bodylen_relaxed(&whole));
		}
		check(i, "with queries after every byte", cases[i].len, &st);
	}
}

/* Long runs are counts, not buffers; the sums do not wrap at 32 bits. */
static void test_long_runs(void **state)
{
	static char buf[64 * 1024];
	struct dkimv_bodylen st = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i += 2)
		memcpy(buf + i, "\r\n", 2);
	feed(&st, "x", 1);
	for (i = 0; i < 64; i++)
		feed(&st, buf, sizeof(buf));
	assert_int_equal(dkimv_bodylen_simple(&st), 3);
	assert_int_equal(dkimv_bodylen_relaxed(&st), 3);
	feed(&st, "y", 1);
	assert_int_equal(dkimv_bodylen_simple(&st), 64ULL * sizeof(buf) + 4);
	assert_int_equal(dkimv_bodylen_relaxed(&st), 64ULL * sizeof(buf) + 4);

	memset(buf, ' ', sizeof(buf));
	st = (struct dkimv_bodylen){0};
	for (i = 0; i < 64; i++)
		feed(&st, buf, sizeof(buf));
	assert_int_equal(dkimv_bodylen_simple(&st), 64ULL * sizeof(buf) + 2);
	assert_int_equal(dkimv_bodylen_relaxed(&st), 0);
	feed(&st, "z", 1);
	assert_int_equal(dkimv_bodylen_relaxed(&st), 4); /* SP z CRLF */

	st = (struct dkimv_bodylen){0};
	st.simple = st.relaxed = 5000000000ULL; /* as if 5 GB had been fed */
	feed(&st, "\r\n\r\n", 4);
	assert_true(dkimv_bodylen_simple(&st) == 5000000002ULL);
	assert_true(dkimv_bodylen_relaxed(&st) == 5000000002ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole),	 cmocka_unit_test(test_every_split),
	    cmocka_unit_test(test_byte_by_byte), cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_long_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
