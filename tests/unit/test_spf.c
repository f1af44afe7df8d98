/*
 * test_spf - SPF macro expansion, record syntax and identity handling
 *
 * Everything here runs without DNS: the macro table is RFC 7208 section
 * 7.4 (with the %{p} answer primed in the check's cache), the record table
 * is the grammar of sections 4.6, 5, 6 and 7.1, and the identity tests use
 * inputs that check_host() must reject before any lookup. DNS behaviour is
 * covered by tests/conformance/spf_suite.sh.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "engine/spf_impl.h"
#include "util/xalloc.h"

/* The RFC 7208 section 7.4 example check. */
static void ctx_init(struct spf_ctx *c, const char *ip)
{
	memset(c, 0, sizeof(*c));
	c->sender = "strong-bad@email.example.com";
	c->local = "strong-bad";
	c->sender_domain = "email.example.com";
	c->helo = "mx.example.org";
	c->receiver = "mx.example.net";
	assert_true(addr_parse(ip, &c->ip));
	c->p_domain = xstrdup("email.example.com");
	c->p_name = xstrdup("mx.example.org");
}

static void ctx_done(struct spf_ctx *c)
{
	free(c->p_domain);
	free(c->p_name);
	strbuf_free(&c->reason);
}

static void check_expand(struct spf_ctx *c, const char *in, enum spf_macro_mode mode,
			 const char *want)
{
	char *got = spf_macro_expand(c, "email.example.com", in, mode);

	if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
		print_message("expand \"%s\": expected \"%s\", got \"%s\"\n", in,
			      want ? want : "(error)", got ? got : "(error)");
	if (want == NULL)
		assert_null(got);
	else
		assert_non_null(got);
	if (want != NULL)
		assert_string_equal(got, want);
	free(got);
}

static void test_macro_rfc_examples(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"%{s}", "strong-bad@email.example.com"},
	    {"%{o}", "email.example.com"},
	    {"%{d}", "email.example.com"},
	    {"%{d4}", "email.example.com"},
	    {"%{d3}", "email.example.com"},
	    {"%{d2}", "example.com"},
	    {"%{d1}", "com"},
	    {"%{dr}", "com.example.email"},
	    {"%{d2r}", "example.email"},
	    {"%{l}", "strong-bad"},
	    {"%{l-}", "strong.bad"},
	    {"%{lr}", "strong-bad"},
	    {"%{lr-}", "bad.strong"},
	    {"%{l1r-}", "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
	    /* beyond the RFC table */
	    {"%{p}", "mx.example.org"},
	    {"%{p2}.trusted.example.net.", "example.org.trusted.example.net"},
	    {"%{h}", "mx.example.org"},
	    {"%{i}", "192.0.2.3"},
	    {"%{S}", "strong-bad%40email.example.com"},
	    {"%{l2r+-}.x.example", "bad.strong.x.example"},
	    {"%{d200}", "email.example.com"},
	    {"a%%b%_c%-d.example.com", "a%b c%20d.example.com"},
	};
	struct spf_ctx c;
	size_t i;

	ctx_init(&c, "192.0.2.3");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_expand(&c, t[i].in, SPF_MACRO_DOMAIN, t[i].out);
	ctx_done(&c);
}

static void test_macro_ipv6_and_exp(void **state)
{
	struct spf_ctx c;
	char *got;

	ctx_init(&c, "2001:db8::cb01");
	/*
	 * RFC 7.4 writes the nibbles in lower case; the OpenSPF suite
	 * (v-macro-ip6) wants upper case in explanations. DNS names are
	 * case-insensitive, so the RFC example is compared ignoring case.
	 */
	got = spf_macro_expand(&c, "email.example.com", "%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN);
	assert_non_null(got);
	assert_int_equal(strcasecmp(got, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
					 "8.b.d.0.1.0.0.2.ip6._spf.example.com"),
			 0);
	free(got);
	check_expand(&c, "%{c} via %{r} for %{l}", SPF_MACRO_EXP,
		     "2001:db8::cb01 via mx.example.net for strong-bad");
	check_expand(&c, "%{C}", SPF_MACRO_EXP, "2001%3Adb8%3A%3Acb01");
	check_expand(&c, "trailing dot stays.", SPF_MACRO_EXP, "trailing dot stays.");
	check_expand(&c, "%{c}.example.com", SPF_MACRO_DOMAIN, NULL); /* c only in exp */
	check_expand(&c, "%{r}.example.com", SPF_MACRO_DOMAIN, NULL);
	check_expand(&c, "%{t}.example.com", SPF_MACRO_DOMAIN, NULL);
	check_expand(&c, "The %{x}-files.", SPF_MACRO_EXP, NULL);
	check_expand(&c,
		     "\xEF\xBB\xBF"
		     "Explanation",
		     SPF_MACRO_EXP, NULL);
	check_expand(&c, "two words", SPF_MACRO_DOMAIN, NULL);
	ctx_done(&c);
	ctx_init(&c, "192.0.2.3");
	c.local = "~jack&jill=up-a_b3.c";
	check_expand(&c, "l=%{L}", SPF_MACRO_EXP, "l=~jack%26jill%3Dup-a_b3.c");
	ctx_done(&c);
}

/* 7.3: an expanded name over 253 octets loses whole labels on the left. */
static void test_macro_truncation(void **state)
{
	struct spf_ctx c;
	char *got;
	size_t i;
	struct strbuf spec = STRBUF_INIT;

	ctx_init(&c, "192.0.2.3");
	c.sender_domain = "somewhat.long.exp.example.com";
	strbuf_adds(&spec, "foobar");
	for (i = 0; i < 8; i++)
		strbuf_adds(&spec, ".%{o}");
	strbuf_adds(&spec, ".example.com");
	got = spf_macro_expand(&c, "d.example", strbuf_str(&spec), SPF_MACRO_DOMAIN);
	assert_non_null(got);
	assert_int_equal(strlen(got), 251);
	assert_true(strncmp(got, "somewhat.long.exp.example.com.", 30) == 0);
	free(got);
	strbuf_free(&spec);
	ctx_done(&c);
}

static void test_macro_syntax_table(void **state)
{
	static const struct {
		const char *s;
		enum spf_macro_mode mode;
		bool ok;
	} t[] = {
	    {"%{d}", SPF_MACRO_DOMAIN, true},	     {"%{D2r.-+,/_=}", SPF_MACRO_DOMAIN, true},
	    {"%%%_%-", SPF_MACRO_DOMAIN, true},	     {"%{d0}", SPF_MACRO_DOMAIN, false},
	    {"%(ir)", SPF_MACRO_DOMAIN, false},	     {"foo%", SPF_MACRO_DOMAIN, false},
	    {"foo%.bar", SPF_MACRO_DOMAIN, false},   {"%{a}", SPF_MACRO_DOMAIN, false},
	    {"%{d", SPF_MACRO_DOMAIN, false},	     {"%{d2x}", SPF_MACRO_DOMAIN, false},
	    {"%{c}", SPF_MACRO_DOMAIN, false},	     {"%{c}", SPF_MACRO_MODIFIER, true},
	    {"%{c} %{r} %{t}", SPF_MACRO_EXP, true}, {"a b", SPF_MACRO_MODIFIER, false},
	    {"%abc", SPF_MACRO_MODIFIER, false},     {"tab\there", SPF_MACRO_EXP, false},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = spf_macro_valid(t[i].s, strlen(t[i].s), t[i].mode);

		if (ok != t[i].ok)
			print_message("macro \"%s\" mode %d: expected %d\n", t[i].s, t[i].mode,
				      t[i].ok);
		assert_int_equal(ok, t[i].ok);
	}
}

static void test_domain_spec_table(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} t[] = {
	    {"example.com", true},
	    {"example.com.", true},
	    {"foo.example.xn--zckzah", true},
	    {"foo:bar/baz.example.com", true},
	    {"%{d}", true},
	    {"_spf.%{d2}", true},
	    {"%{i}.%{l2r-}.user.%{d2}", true},
	    {"mail.example...com", true}, /* valid spec, invalid name: checked at lookup */
	    {"macro%%percent%_%_space%-url-space.example.com", true},
	    {"foo.%{d}x", false},
	    {"foo-bar", false},
	    {"museum", false},
	    {"museum.", false},
	    {"111.222.33.44", false},
	    {"abc.123", false},
	    {"example.-com", false},
	    {"example.com-", false},
	    {"example.com:8080", false},
	    {"ip5.example.com/24", false},
	    {"-all", false},
	    {"", false},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = spf_domain_spec_valid(t[i].s, strlen(t[i].s));

		if (ok != t[i].ok)
			print_message("domain-spec \"%s\": expected %d\n", t[i].s, t[i].ok);
		assert_int_equal(ok, t[i].ok);
	}
}

/* One line per term: qualifier, mechanism, spec, prefix lengths; then modifiers. */
static char *record_dump(const struct spf_record *rec)
{
	static const char *const mech[] = {"all", "include", "a",   "mx",
					   "ptr", "ip4",     "ip6", "exists"};
	struct strbuf sb = STRBUF_INIT;
	char buf[AM_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];

		strbuf_addf(&sb, "%s%s%s", i ? " " : "", spf_result_name(t->qual), mech[t->mech]);
		if (t->spec != NULL)
			strbuf_addf(&sb, ":%s", t->spec);
		if (t->mech == SPF_MECH_A || t->mech == SPF_MECH_MX)
			strbuf_addf(&sb, "/%u//%u", t->cidr4, t->cidr6);
		if (t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6)
			strbuf_addf(&sb, ":%s/%u", addr_format(&t->net.net, buf, sizeof(buf)),
				    t->net.prefix);
	}
	if (rec->redirect != NULL)
		strbuf_addf(&sb, " redirect=%s", rec->redirect);
	if (rec->exp != NULL)
		strbuf_addf(&sb, " exp=%s", rec->exp);
	return strbuf_detach(&sb);
}

static void test_record_table(void **state)
{
	static const struct {
		const char *rec;
		const char *dump; /* NULL = syntax error */
	} t[] = {
	    {"v=spf1", ""},
	    {"V=SpF1 ~all", "softfailall"},
	    {"v=spf1 a  -all ", "passa/32//128 failall"},
	    {"v=spf1 a/24//64 mx//0 ?mx:Foo.example.com/0",
	     "passa/24//64 passmx/32//0 neutralmx:Foo.example.com/0//128"},
	    {"v=spf1 a:foo:bar/baz.example.com", "passa:foo:bar/baz.example.com/32//128"},
	    {"v=spf1 ip4:192.0.2.77/24 -ip6:2001:DB8::/32 ip6:::1.1.1.1/0",
	     "passip4:192.0.2.0/24 failip6:2001:db8::/32 passip6:::/0"},
	    {"v=spf1 include:_spf.%{d2} exists:%{i}.bl.example.com ptr ptr:example.COM",
	     "passinclude:_spf.%{d2} passexists:%{i}.bl.example.com passptr "
	     "passptr:example.COM"},
	    {"v=spf1 moo.cow-far_out=man:dog/cat default=+ -all", "failall"},
	    {"v=spf1 Redirect=%{d}.d.spf.example.com. EXP=msg.example.com -all",
	     "failall redirect=%{d}.d.spf.example.com. exp=msg.example.com"},
	    {"v=spf10", NULL},
	    {"v=spf1mx", NULL},
	    {"v=spf1 ip4:1.2.3.4 -all moo", NULL},
	    {"v=spf1 moo.cow/far_out=man:dog/cat", NULL},
	    {"v=spf1 moo.cow:far_out=man:dog/cat", NULL},
	    {"v=spf1 redirect:t2.example.com", NULL},
	    {"v=spf1 -redirect=t2.example.com", NULL},
	    {"v=spf1 1up=foo", NULL},
	    {"v=spf1 =all", NULL},
	    {"v=spf1 foo=%abc", NULL},
	    {"v=spf1 exp=", NULL},
	    {"v=spf1 exp=-all", NULL},
	    {"v=spf1 exp=%{r}.example.com", NULL},
	    {"v=spf1 exp=a.example.com exp=b.example.com", NULL},
	    {"v=spf1 redirect=a.example.com redirect=a.example.com", NULL},
	    {"v=spf1 -all.", NULL},
	    {"v=spf1 -all:foobar", NULL},
	    {"v=spf1 -all/8", NULL},
	    {"v=spf1 ptr/0", NULL},
	    {"v=spf1 ptr:", NULL},
	    {"v=spf1 a:", NULL},
	    {"v=spf1 a//33", "passa/32//33"},
	    {"v=spf1 a/33", NULL},
	    {"v=spf1 a//129", NULL},
	    {"v=spf1 a/24/64", NULL},
	    {"v=spf1 a/024", NULL},
	    {"v=spf1 a:example.com:8080", NULL},
	    {"v=spf1 include", NULL},
	    {"v=spf1 include:", NULL},
	    {"v=spf1 include:ip5.example.com/24", NULL},
	    {"v=spf1 exists", NULL},
	    {"v=spf1 exists:mail.example.com/24", NULL},
	    {"v=spf1 ip4", NULL},
	    {"v=spf1 ip4:1.2.3", NULL},
	    {"v=spf1 ip4:1.2.3.4:8080", NULL},
	    {"v=spf1 ip4:1.2.3.4/33", NULL},
	    {"v=spf1 ip4:1.2.3.4/032", NULL},
	    {"v=spf1 ip4:1.2.3.4//32", NULL},
	    {"v=spf1 ip4:2001:db8::1", NULL},
	    {"v=spf1 ip6:::1.1.1.1/129", NULL},
	    {"v=spf1 ip6:::1.1.1.1//33", NULL},
	    {"v=spf1 ip6::CAFE::BABE", NULL},
	    {"v=spf1 ip6:1.2.3.4", NULL},
	    {"v=spf1 a:ctrl.example.com\rptr -all", NULL},
	    {"v=spf1 \x80"
	     "a:example.net -all",
	     NULL},
	    {"v=spf1 a:%{a}.example.com", NULL},
	    {"v=spf1 exists:%(ir).sbl.example.com", NULL},
	};
	struct strbuf why = STRBUF_INIT;
	struct spf_record rec;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ok = spf_record_parse(t[i].rec, strlen(t[i].rec), &rec, &why);
		char *dump = ok ? record_dump(&rec) : NULL;

		if (ok != (t[i].dump != NULL) || (ok && strcmp(dump, t[i].dump) != 0))
			print_message("record \"%s\": expected \"%s\", got \"%s\" (%s)\n", t[i].rec,
				      t[i].dump ? t[i].dump : "(syntax error)",
				      dump ? dump : "(syntax error)", strbuf_str(&why));
		assert_int_equal(ok, t[i].dump != NULL);
		if (ok)
			assert_string_equal(dump, t[i].dump);
		else
			assert_true(why.len > 0);
		free(dump);
		if (ok)
			spf_record_free(&rec);
		strbuf_reset(&why);
	}
	/* A NUL inside the TXT data is a syntax error, not the end of the record. */
	assert_false(spf_record_parse("v=spf1 a:foo.example.com\0", 25, &rec, &why));
	strbuf_free(&why);
}

/* Identities that check_host() must answer "none" for without any lookup. */
static void test_identity_none(void **state)
{
	static const struct {
		const char *ip, *mailfrom, *helo, *identity, *reason;
	} t[] = {
	    {"1.2.3.5", "", "A2345678", "postmaster@A2345678", "not a valid domain"},
	    {"1.2.3.5", "<>", "[1.2.3.5]", "postmaster@[1.2.3.5]", "not a valid domain"},
	    {"1.2.3.5", "foo@[1.2.3.5]", "x.example", "foo@[1.2.3.5]", "not a valid domain"},
	    {"1.2.3.5", "<lyme@A...example.com>", "x.example", "lyme@A...example.com",
	     "not a valid domain"},
	    {"1.2.3.5", "x@a123456789012345678901234567890123456789012345678901234567890123.com",
	     "x.example", NULL, "not a valid domain"},
	    {"1.2.3.5", "x@192.0.2.1", "x.example", NULL, "not a valid domain"},
	    {"1.2.3.5", "", NULL, "postmaster@", "not a valid domain"},
	    {"1.2.3", "x@example.com", "x.example", "x@example.com", "not an IP address"},
	};
	struct spf_outcome out;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		spf_check_mailfrom(NULL, NULL, t[i].ip, t[i].mailfrom, t[i].helo, NULL, &out);
		if (out.result != SPF_RESULT_NONE || strstr(out.reason, t[i].reason) == NULL)
			print_message("mailfrom \"%s\": %s (%s)\n", t[i].mailfrom,
				      spf_result_name(out.result), out.reason);
		assert_int_equal(out.result, SPF_RESULT_NONE);
		assert_non_null(strstr(out.reason, t[i].reason));
		assert_null(out.explanation);
		if (t[i].identity != NULL)
			assert_string_equal(out.identity, t[i].identity);
		spf_outcome_clear(&out);
	}
	spf_check_helo(NULL, NULL, "192.0.2.1", "OEMCOMPUTER", NULL, &out);
	assert_int_equal(out.result, SPF_RESULT_NONE);
	assert_string_equal(out.identity, "OEMCOMPUTER");
	assert_string_equal(out.domain, "OEMCOMPUTER");
	spf_outcome_clear(&out);
	spf_outcome_clear(NULL);
}

static void test_result_names(void **state)
{
	assert_string_equal(spf_result_name(SPF_RESULT_NONE), "none");
	assert_string_equal(spf_result_name(SPF_RESULT_NEUTRAL), "neutral");
	assert_string_equal(spf_result_name(SPF_RESULT_PASS), "pass");
	assert_string_equal(spf_result_name(SPF_RESULT_FAIL), "fail");
	assert_string_equal(spf_result_name(SPF_RESULT_SOFTFAIL), "softfail");
	assert_string_equal(spf_result_name(SPF_RESULT_TEMPERROR), "temperror");
	assert_string_equal(spf_result_name(SPF_RESULT_PERMERROR), "permerror");
	assert_string_equal(spf_result_name((enum spf_result)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_macro_rfc_examples), cmocka_unit_test(test_macro_ipv6_and_exp),
	    cmocka_unit_test(test_macro_truncation),   cmocka_unit_test(test_macro_syntax_table),
	    cmocka_unit_test(test_domain_spec_table),  cmocka_unit_test(test_record_table),
	    cmocka_unit_test(test_identity_none),      cmocka_unit_test(test_result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
