/*
 * spf - check_host() of RFC 7208 and the engine's two SPF checks (see spf.h)
 *
 * DESCRIPTION
 *	check_host(domain): the domain must be a valid multi-label name (4.3,
 *	else "none"); its TXT records must hold exactly one "v=spf1" record
 *	(4.5; type SPF is never queried); the record must parse (4.6); then
 *	mechanisms are tried left to right, the first match decides, else
 *	redirect= hands over to the target's record, else the result is
 *	neutral. include and redirect recurse with the same counters, so the
 *	10-term and void-lookup limits (4.6.4) hold for the whole check.
 *	exp= is looked at only when a mechanism of the record that decided
 *	gave "fail" (never inside include); any problem with it is ignored.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/spf_impl.h"
#include "util/clock.h"
#include "util/idna.h"
#include "util/xalloc.h"

static enum spf_result check_host(struct spf_ctx *c, const char *domain, unsigned depth,
				  bool want_exp);

void spf_reason(struct spf_ctx *c, const char *fmt, ...)
{
	va_list ap;

	strbuf_reset(&c->reason);
	va_start(ap, fmt);
	strbuf_vaddf(&c->reason, fmt, ap);
	va_end(ap);
}

/* Puts "<what>: " in front of the reason a nested check left. */
static void reason_within(struct spf_ctx *c, const char *what)
{
	char *inner = strbuf_detach(&c->reason);

	strbuf_addf(&c->reason, "%s: %s", what, inner);
	free(inner);
}

bool spf_count_void(struct spf_ctx *c, const char *name, enum spf_result *res)
{
	if (++c->voids <= c->lim.void_lookups)
		return true;
	spf_reason(c, "void lookup limit of %u exceeded at %s", c->lim.void_lookups, name);
	*res = SPF_RESULT_PERMERROR;
	return false;
}

/* Before each DNS-querying term: the 10-term limit and the time limit. */
static bool count_term(struct spf_ctx *c, const char *domain, const char *term,
		       enum spf_result *res)
{
	if (c->deadline > 0 && clock_now() > c->deadline) {
		spf_reason(c, "time limit of %u s exceeded at %s in the SPF record of %s",
			   c->lim.time_limit, term, domain);
		*res = SPF_RESULT_TEMPERROR;
		return false;
	}
	if (++c->dns_terms <= c->lim.dns_mechanisms)
		return true;
	spf_reason(c, "%u DNS lookup limit exceeded at %s in the SPF record of %s",
		   c->lim.dns_mechanisms, term, domain);
	*res = SPF_RESULT_PERMERROR;
	return false;
}

/* RFC 7208 4.3: labels of 1..63 octets, at most 253 in all, at least two labels. */
bool spf_domain_valid(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 0, i;
	bool numeric = true;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_MAX_DOMAIN || d[0] == '[')
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && d[i] != '.') {
			numeric = label == 0 ? (d[i] >= '0' && d[i] <= '9')
					     : numeric && d[i] >= '0' && d[i] <= '9';
			label++;
			continue;
		}
		if (label == 0 || label > 63)
			return false;
		labels++;
		label = 0;
	}
	return labels >= 2 && !numeric;
}

bool spf_fetch_record(struct spf_ctx *c, const char *domain, struct spf_record *rec,
		      enum spf_result *res, char **text)
{
	struct dns_result *d = resolver_query(c->r, domain, DNS_T_TXT);
	struct strbuf why = STRBUF_INIT;
	const struct dns_rr *found = NULL;
	size_t i, n = 0;
	bool ok = false;

	for (i = 0; d->status == DNS_OK && i < d->nrr; i++) {
		if (spf_record_is_spf(d->rr[i].text, d->rr[i].text_len)) {
			found = &d->rr[i];
			n++;
		}
	}
	*res = SPF_RESULT_PERMERROR;
	if (d->status == DNS_TEMPFAIL) {
		spf_reason(c, "DNS failure looking up TXT %s: %s", domain,
			   d->error != NULL ? d->error : dns_status_name(d->status));
		*res = SPF_RESULT_TEMPERROR;
	} else if (n == 0) {
		spf_reason(c, "no SPF record at %s", domain);
		*res = SPF_RESULT_NONE;
	} else if (n > 1) {
		spf_reason(c, "%zu SPF records at %s", n, domain);
	} else if (!spf_record_parse(found->text, found->text_len, rec, &why)) {
		spf_reason(c, "bad SPF record at %s: %s", domain, strbuf_str(&why));
	} else {
		ok = true;
	}
	if (text != NULL && n == 1)
		*text = xmemdup0(found->text, found->text_len);
	strbuf_free(&why);
	dns_result_free(d);
	return ok;
}

/* exp=: the explanation of a fail; every problem just leaves none (6.2). */
static void explain(struct spf_ctx *c, const char *domain, const char *spec)
{
	char *name = spf_macro_expand(c, domain, spec, SPF_MACRO_DOMAIN);
	struct dns_result *d;

	if (name == NULL)
		return;
	d = resolver_query(c->r, name, DNS_T_TXT);
	if (d->status == DNS_OK && d->nrr == 1 && strlen(d->rr[0].text) == d->rr[0].text_len)
		c->explanation = spf_macro_expand(c, domain, d->rr[0].text, SPF_MACRO_EXP);
	dns_result_free(d);
	free(name);
}

/* include: pass matches; fail, softfail, neutral do not; none is permerror. */
static int eval_include(struct spf_ctx *c, const struct spf_term *t, const char *target,
			unsigned depth, enum spf_result *res)
{
	enum spf_result r = check_host(c, target, depth + 1, false);

	switch (r) {
	case SPF_RESULT_PASS:
		return 1;
	case SPF_RESULT_FAIL:
	case SPF_RESULT_SOFTFAIL:
	case SPF_RESULT_NEUTRAL:
		return 0;
	default:
		*res = r == SPF_RESULT_TEMPERROR ? r : SPF_RESULT_PERMERROR;
		reason_within(c, t->text);
		return -1;
	}
}

/* Returns 1 match, 0 no match, -1 with *res set. */
static int eval_term(struct spf_ctx *c, const char *domain, const struct spf_term *t,
		     unsigned depth, enum spf_result *res)
{
	char *target;
	int m;

	if (t->mech == SPF_MECH_ALL)
		return 1;
	if (t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6)
		return addr_in_cidr(&c->ip, &t->net);
	if (!count_term(c, domain, t->text, res))
		return -1;
	target = t->spec != NULL ? spf_macro_expand(c, domain, t->spec, SPF_MACRO_DOMAIN)
				 : xstrdup(domain);
	if (target == NULL) {
		spf_reason(c, "macro expansion of %s is too long", t->text);
		*res = SPF_RESULT_PERMERROR;
		return -1;
	}
	if (t->mech == SPF_MECH_INCLUDE)
		m = eval_include(c, t, target, depth, res);
	else
		m = spf_mech_lookup(c, t, target, res);
	free(target);
	return m;
}

static enum spf_result eval_redirect(struct spf_ctx *c, const char *domain, const char *spec,
				     unsigned depth, bool want_exp)
{
	char *target, *what = xasprintf("redirect=%s", spec);
	enum spf_result res = SPF_RESULT_PERMERROR;

	if (!count_term(c, domain, what, &res))
		goto out;
	target = spf_macro_expand(c, domain, spec, SPF_MACRO_DOMAIN);
	if (target == NULL) {
		spf_reason(c, "macro expansion of %s is too long", what);
		goto out;
	}
	res = check_host(c, target, depth + 1, want_exp);
	free(target);
	if (res == SPF_RESULT_NONE)
		res = SPF_RESULT_PERMERROR; /* 6.1: no record or a malformed name */
	if (res == SPF_RESULT_PERMERROR || res == SPF_RESULT_TEMPERROR)
		reason_within(c, what);
out:
	free(what);
	return res;
}

static enum spf_result eval_record(struct spf_ctx *c, const char *domain,
				   const struct spf_record *rec, unsigned depth, bool want_exp)
{
	enum spf_result res;
	size_t i;
	int m;

	for (i = 0; i < rec->n; i++) {
		const struct spf_term *t = &rec->terms[i];

		m = eval_term(c, domain, t, depth, &res);
		if (m < 0)
			return res;
		if (m == 0)
			continue;
		if (t->mech == SPF_MECH_INCLUDE) {
			char *inner = strbuf_detach(&c->reason);

			spf_reason(c, "mechanism %s matched at %s (%s)", t->text, domain, inner);
			free(inner);
		} else {
			spf_reason(c, "mechanism %s matched at %s", t->text, domain);
		}
		if (t->qual == SPF_RESULT_FAIL && want_exp && rec->exp != NULL)
			explain(c, domain, rec->exp);
		return t->qual;
	}
	if (rec->redirect != NULL)
		return eval_redirect(c, domain, rec->redirect, depth, want_exp);
	spf_reason(c, "no mechanism matched at %s (default neutral)", domain);
	return SPF_RESULT_NEUTRAL;
}

static enum spf_result check_host(struct spf_ctx *c, const char *domain, unsigned depth,
				  bool want_exp)
{
	struct spf_record rec;
	enum spf_result res;

	if (depth > SPF_MAX_DEPTH) {
		spf_reason(c, "include/redirect nested deeper than %d at %s", SPF_MAX_DEPTH,
			   domain);
		return SPF_RESULT_PERMERROR;
	}
	if (!spf_domain_valid(domain)) {
		spf_reason(c, "'%s' is not a valid domain name", domain);
		return SPF_RESULT_NONE;
	}
	if (!spf_fetch_record(c, domain, &rec, &res, NULL))
		return res;
	res = eval_record(c, domain, &rec, depth, want_exp);
	spf_record_free(&rec);
	return res;
}

/* An identity's domain in its A-label form (RFC 8616): a new string, or
 * NULL with *why set when a UTF-8 name is not a valid IDNA2008 name.
 * ASCII names are used as given. */
char *spf_alabel(const char *d, const char **why)
{
	size_t len;
	char *a;

	if (idna_has_8bit(d))
		return idna_to_alabel(d, why);
	a = xstrdup(d != NULL ? d : "");
	len = strlen(a);
	if (len > 0 && a[len - 1] == '.')
		a[len - 1] = '\0';
	return a;
}

/* Runs one check of local@domain and fills out. */
static void spf_run(struct resolver *r, const struct spf_limits *lim, const char *ip,
		    const char *local, const char *domain, const char *helo, const char *receiver,
		    struct spf_outcome *out)
{
	static const struct spf_limits defaults = SPF_LIMITS_DEFAULT;
	struct spf_ctx c;
	const char *why = NULL, *helo_why = NULL;
	char *dom = spf_alabel(domain, &why);
	/* %{h}: the HELO name's A-label form when it has one */
	char *helo_a = helo != NULL ? spf_alabel(helo, &helo_why) : NULL;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	if (dom == NULL)
		dom = xstrdup(domain);
	out->identity = xasprintf("%s@%s", local, dom);
	out->domain = dom[0] != '\0' ? xstrdup(dom) : NULL;
	c.r = r;
	c.lim = lim != NULL ? *lim : defaults;
	c.sender = out->identity;
	c.local = local;
	c.sender_domain = dom;
	c.helo = helo_a != NULL ? helo_a : helo;
	c.receiver = receiver;
	c.deadline = c.lim.time_limit > 0 ? clock_now() + c.lim.time_limit : 0;
	if (why != NULL) {
		spf_reason(&c, "'%s' is not a valid internationalized domain name (%s)", domain,
			   why);
		out->result = SPF_RESULT_NONE;
	} else if (ip == NULL || !addr_parse(ip, &c.ip)) {
		spf_reason(&c, "client address '%s' is not an IP address", ip != NULL ? ip : "");
		out->result = SPF_RESULT_NONE;
	} else if (strlen(out->identity) > SPF_MAX_IDENTITY ||
		   (helo != NULL && strlen(helo) > SPF_MAX_IDENTITY)) {
		spf_reason(&c, "identity longer than %d bytes", SPF_MAX_IDENTITY);
		out->result = SPF_RESULT_NONE;
	} else {
		addr_unmap(&c.ip);
		out->result = check_host(&c, dom, 0, true);
	}
	if (out->result == SPF_RESULT_FAIL)
		out->explanation = c.explanation;
	else
		free(c.explanation);
	out->reason = strbuf_detach(&c.reason);
	free(c.p_domain);
	free(c.p_name);
	free(helo_a);
	free(dom);
}

void spf_mailfrom_identity(const char *mailfrom, const char *helo, char **buf, const char **local,
			   const char **domain)
{
	const char *s = mailfrom != NULL ? mailfrom : "";
	size_t len = strlen(s);
	char *at;

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	*buf = xstrndup(s, len);
	at = strrchr(*buf, '@');
	*local = "postmaster";
	if (len == 0) {
		*domain = helo;
	} else if (at == NULL) {
		*domain = *buf;
	} else {
		*at = '\0';
		if ((*buf)[0] != '\0')
			*local = *buf;
		*domain = at + 1;
	}
}

void spf_check_mailfrom(struct resolver *r, const struct spf_limits *lim, const char *ip,
			const char *mailfrom, const char *helo, const char *receiver,
			struct spf_outcome *out)
{
	const char *local, *domain;
	char *buf;

	spf_mailfrom_identity(mailfrom, helo, &buf, &local, &domain);
	spf_run(r, lim, ip, local, domain, helo, receiver, out);
	free(buf);
}

void spf_check_helo(struct resolver *r, const struct spf_limits *lim, const char *ip,
		    const char *helo, const char *receiver, struct spf_outcome *out)
{
	spf_run(r, lim, ip, "postmaster", helo, helo, receiver, out);
	free(out->identity);
	/* the A-label when the HELO name was UTF-8, else the name as given */
	if (idna_has_8bit(helo) && out->domain != NULL)
		out->identity = xstrdup(out->domain);
	else
		out->identity = xstrdup(helo != NULL ? helo : "");
}

void spf_outcome_clear(struct spf_outcome *out)
{
	if (out == NULL)
		return;
	free(out->identity);
	free(out->domain);
	free(out->explanation);
	free(out->reason);
	memset(out, 0, sizeof(*out));
}
