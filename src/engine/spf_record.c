/*
 * spf_record - SPF record syntax, RFC 7208 sections 4.5, 4.6, 5, 6 and 12
 *
 * DESCRIPTION
 *	A record is "v=spf1" and terms separated by one or more spaces; the
 *	whole record is checked before anything is evaluated (4.6), so a
 *	syntax error anywhere gives permerror. Only printable ASCII and space
 *	may appear. A term is a modifier when it starts with a name followed
 *	by "=" (name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )), otherwise
 *	an optionally qualified mechanism, which must be one of the eight
 *	known ones. Unknown modifiers are ignored once their macro-string is
 *	valid; redirect= and exp= may each appear once and need a valid
 *	domain-spec. CIDR lengths are decimal without leading zeros.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/spf_impl.h"
#include "util/xalloc.h"

static const struct {
	const char *name;
	enum spf_mech mech;
} mech_names[] = {
    {"all", SPF_MECH_ALL}, {"include", SPF_MECH_INCLUDE}, {"a", SPF_MECH_A},
    {"mx", SPF_MECH_MX},   {"ptr", SPF_MECH_PTR},	  {"ip4", SPF_MECH_IP4},
    {"ip6", SPF_MECH_IP6}, {"exists", SPF_MECH_EXISTS},
};

bool spf_record_is_spf(const char *txt, size_t len)
{
	return len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/*
 * Takes a dual-cidr-length ("/24", "//64", "/24//64") off the end of rest.
 * Returns false when one is there but out of range or badly written.
 */
static bool take_dual_cidr(const char *rest, size_t *len, struct spf_term *t)
{
	size_t end = *len, i = end;

	while (i > 0 && isdigit((unsigned char)rest[i - 1]))
		i--;
	if (i == end || i == 0 || rest[i - 1] != '/')
		return true; /* no cidr: it is part of the domain-spec */
	if (i >= 2 && rest[i - 2] == '/') {
		if (!cidr_parse_prefix(rest + i, end - i, 128, &t->cidr6))
			return false;
		end = i - 2;
		for (i = end; i > 0 && isdigit((unsigned char)rest[i - 1]); i--)
			;
		if (i == end || i == 0 || rest[i - 1] != '/') {
			*len = end;
			return true;
		}
	}
	if (!cidr_parse_prefix(rest + i, end - i, 32, &t->cidr4))
		return false;
	*len = i - 1;
	return true;
}

/* ip4:NET[/LEN] and ip6:NET[/LEN]; rest points after the mechanism name. */
static bool parse_ip(const char *rest, struct spf_term *t, struct strbuf *why)
{
	int family = t->mech == SPF_MECH_IP4 ? AM_AF_INET : AM_AF_INET6;

	if (rest[0] == ':' && cidr_parse(rest + 1, &t->net) && t->net.net.family == family)
		return true;
	strbuf_addf(why, "invalid network in '%s'", t->text);
	return false;
}

/* rest = "" or ":" domain-spec (plus a dual-cidr for a and mx). */
static bool parse_target(const char *rest, struct spf_term *t, bool need, bool cidr,
			 struct strbuf *why)
{
	size_t len = strlen(rest);

	t->cidr4 = 32;
	t->cidr6 = 128;
	if (cidr && !take_dual_cidr(rest, &len, t)) {
		strbuf_addf(why, "invalid CIDR length in '%s'", t->text);
		return false;
	}
	if (len == 0 && !need)
		return true;
	if (len == 0) {
		strbuf_addf(why, "'%s' needs a domain", t->text);
		return false;
	}
	if (rest[0] != ':' || !spf_domain_spec_valid(rest + 1, len - 1)) {
		strbuf_addf(why, "invalid domain-spec in '%s'", t->text);
		return false;
	}
	t->spec = xstrndup(rest + 1, len - 1);
	return true;
}

static bool parse_mechanism(const char *s, size_t nlen, struct spf_term *t, struct strbuf *why)
{
	const char *rest = s + nlen;
	size_t i;

	for (i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (strlen(mech_names[i].name) == nlen &&
		    strncasecmp(s, mech_names[i].name, nlen) == 0)
			break;
	if (i == sizeof(mech_names) / sizeof(mech_names[0]) || (*rest && !strchr(":/", *rest))) {
		strbuf_addf(why, "unknown mechanism '%s'", t->text);
		return false;
	}
	t->mech = mech_names[i].mech;
	switch (t->mech) {
	case SPF_MECH_ALL:
		if (*rest == '\0')
			return true;
		strbuf_addf(why, "'all' takes no argument in '%s'", t->text);
		return false;
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		return parse_target(rest, t, true, false, why);
	case SPF_MECH_PTR:
		return parse_target(rest, t, false, false, why);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		return parse_target(rest, t, false, true, why);
	default:
		return parse_ip(rest, t, why);
	}
}

static bool parse_modifier(const char *name, size_t nlen, const char *val, struct spf_record *rec,
			   struct strbuf *why)
{
	char **slot = NULL;

	if (nlen == 8 && strncasecmp(name, "redirect", 8) == 0)
		slot = &rec->redirect;
	else if (nlen == 3 && strncasecmp(name, "exp", 3) == 0)
		slot = &rec->exp;
	if (slot == NULL) {
		if (spf_macro_valid(val, strlen(val), SPF_MACRO_MODIFIER))
			return true;
		strbuf_addf(why, "invalid macro-string in modifier '%.*s'", (int)nlen, name);
		return false;
	}
	if (*slot != NULL) {
		strbuf_addf(why, "modifier '%.*s' appears twice", (int)nlen, name);
		return false;
	}
	if (!spf_domain_spec_valid(val, strlen(val))) {
		strbuf_addf(why, "invalid domain-spec in '%.*s=%s'", (int)nlen, name, val);
		return false;
	}
	*slot = xstrdup(val);
	return true;
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), after the first */
static bool name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

static bool parse_term(const char *s, struct spf_record *rec, struct strbuf *why)
{
	static const char quals[] = "+-~?";
	static const enum spf_result qres[] = {SPF_RESULT_PASS, SPF_RESULT_FAIL,
					       SPF_RESULT_SOFTFAIL, SPF_RESULT_NEUTRAL};
	const char *q = strchr(quals, s[0]);
	const char *name = s + (s[0] != '\0' && q != NULL);
	size_t nlen = 0;
	struct spf_term *t;

	if (isalpha((unsigned char)name[0]))
		while (name_char(name[nlen]))
			nlen++;
	if (nlen > 0 && name[nlen] == '=' && name == s)
		return parse_modifier(name, nlen, name + nlen + 1, rec, why);
	if (nlen == 0 || name[nlen] == '=') {
		strbuf_addf(why, "invalid term '%s'", s);
		return false;
	}
	rec->terms = xrealloc(rec->terms, (rec->n + 1) * sizeof(*rec->terms));
	t = &rec->terms[rec->n++];
	memset(t, 0, sizeof(*t));
	t->text = s;
	t->qual = q != NULL ? qres[q - quals] : SPF_RESULT_PASS;
	return parse_mechanism(name, nlen, t, why);
}

/*
 * Parses txt (len bytes, may hold NULs) into rec. On failure rec is freed
 * and *why says what is wrong.
 */
bool spf_record_parse(const char *txt, size_t len, struct spf_record *rec, struct strbuf *why)
{
	char *tok, *save = NULL;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	if (!spf_record_is_spf(txt, len)) {
		strbuf_adds(why, "not an SPF record");
		return false;
	}
	if (len > SPF_MAX_RECORD) {
		strbuf_addf(why, "record longer than %d bytes", SPF_MAX_RECORD);
		return false;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)txt[i] < 0x20 || (unsigned char)txt[i] > 0x7e) {
			strbuf_addf(why, "invalid character 0x%02x in record",
				    (unsigned char)txt[i]);
			return false;
		}
	}
	rec->buf = xmemdup0(txt, len);
	for (tok = strtok_r(rec->buf + 6, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!parse_term(tok, rec, why)) {
			spf_record_free(rec);
			return false;
		}
	}
	return true;
}

void spf_record_free(struct spf_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		free(rec->terms[i].spec);
	free(rec->terms);
	free(rec->buf);
	free(rec->redirect);
	free(rec->exp);
	memset(rec, 0, sizeof(*rec));
}
