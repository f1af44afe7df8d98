/*
 * test_idna - domain names to their A-label form (src/util/idna.c)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/idna.h"

/* U+00FC (u with diaeresis) in UTF-8, and names built from it. */
#define UE "\xc3\xbc"
#define BUECHER "xn--bcher-kva"

static char *repeat(const char *s, size_t n, const char *tail)
{
	size_t len = strlen(s), i;
	char *out = malloc(len * n + strlen(tail) + 1);

	for (i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	strcpy(out + n * len, tail);
	return out;
}

static void check(const char *in, const char *want)
{
	const char *why = NULL;
	char *got = idna_to_alabel(in, &why);

	if (want == NULL && got != NULL)
		print_message("idna_to_alabel(\"%s\") = \"%s\", expected invalid\n", in, got);
	if (want != NULL && got == NULL)
		print_message("idna_to_alabel(\"%s\") invalid (%s), expected \"%s\"\n", in, why,
			      want);
	if (want == NULL) {
		assert_null(got);
		assert_non_null(why);
	} else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
	free(got);
}

static void test_idna_valid(void **state)
{
	static const struct {
		const char *in, *want;
	} t[] = {
	    {"b" UE "cher.example", BUECHER ".example"},
	    /* uppercase: UTS #46 folds case in U-labels, ASCII is lower-cased */
	    {"B" UE "cher.Example", BUECHER ".example"},
	    {"B\xc3\x9c"
	     "CHER.EXAMPLE",
	     BUECHER ".example"},
	    {"XN--BCHER-KVA.EXAMPLE", BUECHER ".example"},
	    /* one trailing dot is dropped */
	    {"b" UE "cher.example.", BUECHER ".example"},
	    {"example.com.", "example.com"},
	    /* A-labels and U-labels mixed in one name */
	    {BUECHER ".b" UE "cher.example", BUECHER "." BUECHER ".example"},
	    {"mail.b" UE "cher.xn--p1ai", "mail." BUECHER ".xn--p1ai"},
	    /* ASCII labels IDNA would refuse are DNS labels all the same */
	    {"_dmarc.r3--sn-ab.Example", "_dmarc.r3--sn-ab.example"},
	    {"-abc-.example", "-abc-.example"},
	    /* NFC: e + combining acute is the same name as e-acute */
	    {"e\xcc\x81.example", "xn--9ca.example"},
	    {"\xc3\xa9.example", "xn--9ca.example"},
	    /* width folding: fullwidth letters are their ASCII letters */
	    {"\xef\xbd\x82\xef\xbd\x95.example", "bu.example"},
	    /* mixed scripts are valid IDNA2008: converted, not judged */
	    {"p\xd0\xb0ypal.example", "xn--pypal-4ve.example"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check(t[i].in, t[i].want);
}

static void test_idna_invalid(void **state)
{
	static const char *const t[] = {
	    "",
	    ".",
	    "..",
	    "a..b",
	    ".example",
	    "example..",
	    /* not IDNA2008-valid labels */
	    "\xe2\x98\x83.example", /* U+2603 snowman: disallowed */
	    "a\xe2\x80\x8d"
	    "b.example",	/* ZWJ outside its context (CONTEXTJ) */
	    "-b" UE ".example", /* hyphen at the start of a U-label */
	    "xn--zzzz.example", /* Punycode that does not decode */
	    "xn--a.example",	/* decodes to a label that is not valid */
	    /* UTF-8 that is not well formed */
	    "b\xc3.example",	    /* truncated sequence */
	    "\xc0\xaf.example",	    /* overlong encoding */
	    "\xed\xa0\x80.example", /* a surrogate */
	    "\xff.example",
	    /* UTS #46 maps these to ASCII that is no DNS label character
	     * (STD3 rules): U+00A0 no-break space to a space, U+FF0F
	     * fullwidth solidus to '/' (found by fuzz_from) */
	    "m\xc2\xa0",
	    "a\xc2\xa0"
	    "b.example",
	    "a\xef\xbc\x8f"
	    "b.example",
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check(t[i], NULL);
	check(NULL, NULL);
}

static void test_idna_lengths(void **state)
{
	char *s;

	/* 63 octets is a label, 64 is not, in ASCII ... */
	s = repeat("a", 63, ".example");
	check(s, s);
	free(s);
	s = repeat("a", 64, ".example");
	check(s, NULL);
	free(s);
	/* ... and for the A-label of a U-label: 20 u-umlauts fit, 60 do not */
	s = repeat(UE, 20, ".example");
	check(s, "xn--tdaaaaaaaaaaaaaaaaaaaa.example");
	free(s);
	s = repeat(UE, 60, ".example");
	check(s, NULL);
	free(s);
	/* a name of 253 octets is one, 254 is not */
	s = repeat("abcdefghi.", 25, "abc");
	assert_int_equal(strlen(s), 253);
	check(s, s);
	free(s);
	s = repeat("abcdefghi.", 25, "abcd");
	check(s, NULL);
	free(s);
	/* input far longer than any name is refused before conversion */
	s = repeat("a.", IDNA_MAX_INPUT, "example");
	check(s, NULL);
	free(s);
}

static void test_idna_ulabel(void **state)
{
	char *u = idna_to_ulabel(BUECHER ".example");

	assert_non_null(u);
	assert_string_equal(u, "b" UE "cher.example");
	free(u);
	u = idna_to_ulabel("mail." BUECHER ".xn--p1ai");
	assert_non_null(u);
	assert_string_equal(u, "mail.b" UE "cher.\xd1\x80\xd1\x84");
	free(u);
	assert_null(idna_to_ulabel("example.com"));
	assert_null(idna_to_ulabel("xn--zzzz.example"));
	assert_null(idna_to_ulabel(NULL));
	assert_true(idna_has_8bit("b" UE "cher"));
	assert_false(idna_has_8bit(BUECHER));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idna_valid),
	    cmocka_unit_test(test_idna_invalid),
	    cmocka_unit_test(test_idna_lengths),
	    cmocka_unit_test(test_idna_ulabel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
