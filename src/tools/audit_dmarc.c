/*
 * audit_dmarc - the DMARC part of a domain audit (see audit.h)
 *
 * DESCRIPTION
 *	The record is found by dmarc_discover(), the engine's discovery with
 *	the configured method (dmarc.discovery: tree walk or public suffix
 *	list), and parsed by the engine's parser, so the tags shown are the
 *	values the engine uses (defaults filled in, invalid values dropped).
 *	Then:
 *	 - records on the wrong name: a v=DMARC1 TXT record at the domain
 *	   itself, at dmarc.<domain>, at _dmarc._dmarc.<domain> or at
 *	   _dmarc.<domain>.<domain> (a zone file name without its final
 *	   dot); receivers never look there. An error when the domain has no
 *	   record of its own at _dmarc.<domain>, else a warning;
 *	 - the usual mistakes: p missing or invalid, p=none, pct under 100
 *	   (RFC 9989 removed pct), sp or np looser than the policy above it,
 *	   no rua; t=y and strict alignment are noted;
 *	 - each rua and ruf URI read by rua_parse() (the reporter's rules and
 *	   reporting.max_uris) and checked by external_check() (RFC 9990 4,
 *	   as authmilter-report does before sending): a destination outside
 *	   the policy domain's organizational domain without its
 *	   <policy-domain>._report._dmarc.<host> record is a warning, since
 *	   the reports are not sent but mail is not affected.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dmarc_walk.h"
#include "report/rua.h"
#include "tools/audit.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* The _dmarc names discovery asks, in order. */
static char *dmarc_queried(const struct audit *a, const struct dmarc_outcome *o)
{
	struct strbuf sb = STRBUF_INIT;
	const char *names[DMARC_WALK_MAX];
	char *norm = dmarc_name_normalize(a->domain);
	size_t n, i;

	if (norm == NULL)
		return strbuf_detach(&sb);
	if (o->discovery == DMARC_DISCOVERY_TREEWALK) {
		n = dmarc_walk_names(norm, names);
		for (i = 0; i < n; i++)
			strbuf_addf(&sb, "%s_dmarc.%s", i ? ", " : "", names[i]);
	} else {
		strbuf_addf(&sb, "_dmarc.%s", norm);
		if (o->org_domain != NULL && strcmp(o->org_domain, norm) != 0)
			strbuf_addf(&sb, ", _dmarc.%s", o->org_domain);
	}
	free(norm);
	return strbuf_detach(&sb);
}

static bool dmarc_has_record(struct resolver *r, const char *name)
{
	struct dns_result *res = resolver_query(r, name, DNS_T_TXT);
	bool found = false;
	size_t i;

	for (i = 0; res->status == DNS_OK && i < res->nrr; i++)
		found = found || dmarc_record_is_dmarc(res->rr[i].text, res->rr[i].text_len);
	dns_result_free(res);
	return found;
}

/* v=DMARC1 records where receivers never look. */
static void dmarc_misplaced(struct audit *a, bool own)
{
	char *names[4];
	size_t i;

	names[0] = xstrdup(a->domain);
	names[1] = xasprintf("dmarc.%s", a->domain);
	names[2] = xasprintf("_dmarc._dmarc.%s", a->domain);
	names[3] = xasprintf("_dmarc.%s.%s", a->domain, a->domain);
	for (i = 0; i < 4; i++) {
		if (dmarc_has_record(a->r, names[i]))
			audit_add(a, own ? AUDIT_WARNING : AUDIT_ERROR, "dmarc",
				  "a DMARC record is published at %s, where receivers never look; "
				  "it belongs at _dmarc.%s%s",
				  names[i], a->domain,
				  own ? " (which has one)" : " (which has none)");
		free(names[i]);
	}
}

static int policy_rank(enum dmarc_policy p)
{
	return p == DMARC_POLICY_REJECT ? 2 : p == DMARC_POLICY_QUARANTINE ? 1 : 0;
}

static void dmarc_tags(struct audit *a, const struct dmarc_record *rec)
{
	enum dmarc_policy sp = rec->sp != DMARC_POLICY_UNSET ? rec->sp : rec->p;

	if (rec->policy_fallback)
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "p= is missing or invalid: the record acts as p=none (RFC 7489 6.6.3)");
	else if (rec->p == DMARC_POLICY_NONE)
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "p=none: monitoring only, failing mail is delivered as if there were "
			  "no policy; once the reports show the domain's mail passes, move to "
			  "p=quarantine, then p=reject");
	if (rec->pct < 100)
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "pct=%d: RFC 9989 removed pct, so receivers that follow it apply the "
			  "policy to all failing mail (this one: dmarc.pct = \"%s\"); use t=y "
			  "to test instead",
			  rec->pct, a->cfg->dmarc_pct == DMARC_PCT_IGNORE ? "ignore" : "sample");
	if (rec->sp != DMARC_POLICY_UNSET && policy_rank(rec->sp) < policy_rank(rec->p))
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "sp=%s is looser than p=%s: anyone can send as a made-up subdomain "
			  "under the weaker policy",
			  dmarc_policy_name(rec->sp), dmarc_policy_name(rec->p));
	if (rec->np != DMARC_POLICY_UNSET && policy_rank(rec->np) < policy_rank(sp))
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "np=%s is looser than sp=%s: subdomains that do not exist get the "
			  "weaker policy",
			  dmarc_policy_name(rec->np), dmarc_policy_name(sp));
	if (rec->testing)
		audit_add(a, AUDIT_INFO, "dmarc",
			  "t=y: the domain is testing; receivers apply one level less (reject "
			  "as quarantine, quarantine as none)");
	if (rec->adkim_strict || rec->aspf_strict)
		audit_add(a, AUDIT_INFO, "dmarc",
			  "strict alignment (%s%s%s): an ESP's DKIM d= or return path must be "
			  "exactly the author domain, not a subdomain",
			  rec->adkim_strict ? "adkim=s" : "",
			  rec->adkim_strict && rec->aspf_strict ? ", " : "",
			  rec->aspf_strict ? "aspf=s" : "");
	if (rec->rua == NULL)
		audit_add(a, AUDIT_WARNING, "dmarc",
			  "no rua: nobody receives aggregate reports, so the domain cannot see "
			  "who sends as it or what fails");
}

/* rua or ruf: each URI parsed and its external authorization checked. */
static struct audit_dest *dmarc_dests(struct audit *a, const char *tag, const char *value,
				      size_t *n)
{
	const char *pd = a->dmarc.out.policy_domain;
	size_t max = a->cfg->report_max_uris > 0 ? a->cfg->report_max_uris : SIZE_MAX, i;
	struct audit_dest *d;
	struct rua_list l;

	rua_parse(value, max, &l);
	d = xcalloc(l.n + 1, sizeof(*d));
	for (i = 0; i < l.n_refused; i++)
		audit_add(a, AUDIT_WARNING, "dmarc", "%s: %s", tag, l.refused[i]);
	for (i = 0; i < l.n; i++) {
		struct external_verdict ev;

		external_check(a->r, a->psl, pd, &l.v[i], &ev);
		d[i].uri = xstrdup(l.v[i].uri);
		d[i].addr = xstrdup(l.v[i].addr);
		d[i].host = xstrdup(l.v[i].host);
		d[i].result = ev.result;
		d[i].why = xstrdup(ev.why);
		if (ev.result == EXTERNAL_REFUSED || ev.result == EXTERNAL_TEMPERROR)
			audit_add(a, AUDIT_WARNING, "dmarc",
				  "%s %s: reports about %s may not go to %s (%s); the report "
				  "receiver must publish TXT \"v=DMARC1\" at %s._report._dmarc.%s",
				  tag, l.v[i].uri, pd, l.v[i].host, ev.why, pd, l.v[i].host);
		external_verdict_clear(&ev);
	}
	*n = l.n;
	rua_list_clear(&l);
	return d;
}

static void dmarc_found(struct audit *a)
{
	struct audit_dmarc *d = &a->dmarc;
	const struct dmarc_outcome *o = &d->out;

	if (strcmp(o->policy_domain, a->domain) == 0)
		d->found_at = "author domain";
	else if (o->org_domain != NULL && strcmp(o->policy_domain, o->org_domain) == 0)
		d->found_at = "organizational domain";
	else
		d->found_at = "public suffix domain";
	if (d->found_at[0] != 'a')
		audit_add(a, AUDIT_INFO, "dmarc",
			  "no DMARC record at _dmarc.%s: the record of the %s %s applies (its "
			  "sp=, or np= for a name that does not exist)",
			  a->domain, d->found_at, o->policy_domain);
}

void audit_dmarc(struct audit *a)
{
	struct audit_dmarc *d = &a->dmarc;
	const struct dmarc_outcome *o = &d->out;

	dmarc_discover(a->psl, a->r, a->domain, &d->out);
	d->queried = dmarc_queried(a, o);
	if (o->policy_domain != NULL)
		dmarc_found(a);
	if (o->have_record) {
		dmarc_tags(a, &o->rec);
		d->rua = dmarc_dests(a, "rua", o->rec.rua, &d->n_rua);
		d->ruf = dmarc_dests(a, "ruf", o->rec.ruf, &d->n_ruf);
	} else if (o->result == DMARC_RESULT_TEMPERROR) {
		audit_add(a, AUDIT_WARNING, "dmarc", "the DMARC record could not be read: %s",
			  o->reason);
	} else if (o->result == DMARC_RESULT_PERMERROR) {
		audit_add(a, AUDIT_ERROR, "dmarc",
			  "the DMARC record at _dmarc.%s cannot be used: %s (receivers treat the "
			  "domain as having no policy)",
			  o->policy_domain != NULL ? o->policy_domain : a->domain, o->reason);
	} else {
		audit_add(a, AUDIT_ERROR, "dmarc", "%s: mail that fails SPF and DKIM is delivered",
			  o->reason);
	}
	dmarc_misplaced(a, o->policy_domain != NULL && d->found_at[0] == 'a');
}

void audit_dmarc_clear(struct audit_dmarc *d)
{
	size_t i;

	dmarc_outcome_clear(&d->out);
	free(d->queried);
	for (i = 0; i < d->n_rua; i++) {
		free(d->rua[i].uri);
		free(d->rua[i].addr);
		free(d->rua[i].host);
		free(d->rua[i].why);
	}
	for (i = 0; i < d->n_ruf; i++) {
		free(d->ruf[i].uri);
		free(d->ruf[i].addr);
		free(d->ruf[i].host);
		free(d->ruf[i].why);
	}
	free(d->rua);
	free(d->ruf);
}
