/*
 * fuzz_spf - SPF records, macros and check_host() (src/engine/spf*.c,
 * src/util/addr.c)
 *
 * DESCRIPTION
 *	Input: "IP\nLOCAL\nRECORD" (missing parts are empty). RECORD (bytes,
 *	NUL allowed) is served as the TXT record of spf.fuzz.test by the fixed
 *	answer set of fuzz_dns.c, so its include:, redirect=, a, mx, ptr,
 *	exists and exp= can reach the fixed zone (more SPF records, macros,
 *	loops, temporary failures). Runs spf_check_mailfrom() for
 *	LOCAL@spf.fuzz.test from IP and spf_check_helo() for spf.fuzz.test,
 *	and the record parser, macro validator and address / CIDR parsers
 *	directly. Checks: results in range; an explanation only with fail; a
 *	record the parser accepts is a v=spf1 record; an address that parses
 *	formats and parses back to itself.
 */
#include "config.h"

#include "engine/spf_impl.h"
#include "fuzz.h"
#include "fuzz_dns.h"

#define FUZZ_SPF_DOMAIN "spf.fuzz.test"

static struct resolver *res;

/* The next "\n"-terminated part of the input as a new string. */
static char *next_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left;
	char *s = fuzz_cstr(*p, n);

	*p += n + (nl ? 1 : 0);
	*left -= n + (nl ? 1 : 0);
	return s;
}

static void check_outcome(const struct spf_outcome *o)
{
	FUZZ_CHECK(o->result >= SPF_RESULT_NONE && o->result <= SPF_RESULT_PERMERROR, "result %d",
		   (int)o->result);
	FUZZ_CHECK(spf_result_name(o->result) != NULL, "no name");
	if (o->explanation != NULL)
		FUZZ_CHECK(o->result == SPF_RESULT_FAIL, "explanation with %s",
			   spf_result_name(o->result));
}

static void check_parsers(const char *ip, const char *rec, size_t len)
{
	struct spf_record r;
	struct strbuf why = STRBUF_INIT;
	struct am_addr a, b;
	struct am_cidr c;
	char buf[64];

	memset(&r, 0, sizeof(r));
	if (spf_record_parse(rec, len, &r, &why)) {
		FUZZ_CHECK(spf_record_is_spf(rec, len), "parsed, but not v=spf1");
		spf_record_free(&r);
	}
	strbuf_free(&why);
	(void)spf_macro_valid(rec, len, SPF_MACRO_DOMAIN);
	(void)spf_macro_valid(rec, len, SPF_MACRO_MODIFIER);
	(void)spf_macro_valid(rec, len, SPF_MACRO_EXP);
	(void)spf_domain_spec_valid(rec, len);
	if (addr_parse(ip, &a)) {
		FUZZ_CHECK(addr_format(&a, buf, sizeof(buf)) != NULL, "cannot format %s", ip);
		FUZZ_CHECK(addr_parse(buf, &b) && a.family == b.family &&
			       memcmp(a.b, b.b, a.family == AM_AF_INET ? 4 : 16) == 0,
			   "%s formats as %s, which differs", ip, buf);
		if (cidr_parse(ip, &c))
			FUZZ_CHECK(addr_in_cidr(&a, &c), "%s not in its own network", ip);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *ip, *local, *from;
	struct spf_limits lim = SPF_LIMITS_DEFAULT;
	struct spf_outcome o;

	if (res == NULL)
		res = fuzz_dns_resolver();
	ip = next_line(&p, &left);
	local = next_line(&p, &left);
	fuzz_dns_set_extra(FUZZ_SPF_DOMAIN, (const char *)p, left);
	from = malloc(strlen(local) + sizeof("@" FUZZ_SPF_DOMAIN));
	strcpy(from, local);
	strcat(from, "@" FUZZ_SPF_DOMAIN);

	memset(&o, 0, sizeof(o));
	spf_check_mailfrom(res, &lim, ip, from, FUZZ_SPF_DOMAIN, "mx.fuzz.test", &o);
	check_outcome(&o);
	spf_outcome_clear(&o);
	memset(&o, 0, sizeof(o));
	spf_check_helo(res, &lim, ip, FUZZ_SPF_DOMAIN, "mx.fuzz.test", &o);
	check_outcome(&o);
	spf_outcome_clear(&o);

	check_parsers(ip, (const char *)p, left);
	fuzz_dns_set_extra(NULL, NULL, 0);
	free(from);
	free(local);
	free(ip);
	return 0;
}
