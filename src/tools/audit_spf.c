/*
 * audit_spf - the SPF part of a domain audit (see audit.h)
 *
 * DESCRIPTION
 *	The record tree and its counts come from spf_audit_run() (the
 *	engine's parser and counting, engine/spf_audit.h) with the spf.*
 *	limits of the configuration; the --ip verdict from
 *	spf_check_mailfrom() for postmaster@<domain>, the check the daemon
 *	makes for that MAIL FROM.
 *
 *	Findings: a record that a check cannot use is an error (two records,
 *	a syntax error, an include or redirect target without a record, over
 *	the DNS-term or void-lookup limit: all permerror); no record at the
 *	domain itself is a warning (SPF then gives none, which DMARC can
 *	live with when DKIM aligns); a lookup that failed during the audit is
 *	a warning; advice (ptr, +all, terms after all) is a warning; --ip not
 *	passing is an error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tools/audit.h"
#include "util/xalloc.h"

static void audit_spf_node(struct audit *a, const struct spf_audit_node *n)
{
	if (n->problem == NULL)
		return;
	if (n->rc == SPF_RESULT_TEMPERROR) {
		audit_add(a, AUDIT_WARNING, "spf", "the SPF record of %s could not be read: %s",
			  n->domain, n->problem);
	} else if (n->depth == 0 && n->rc == SPF_RESULT_NONE) {
		audit_add(a, AUDIT_WARNING, "spf",
			  "%s has no SPF record (%s): mail whose return path is in this domain "
			  "gets SPF none",
			  n->domain, n->problem);
	} else if (n->depth == 0) {
		audit_add(a, AUDIT_ERROR, "spf", "%s: every SPF check of %s gives permerror",
			  n->problem, n->domain);
	} else {
		audit_add(a, AUDIT_ERROR, "spf",
			  "%s (reached by %s): %s; a check that gets there gives permerror",
			  n->domain, n->via, n->problem);
	}
}

static void audit_spf_counts(struct audit *a)
{
	const struct spf_audit *s = &a->spf;

	if (s->terms_over != NULL)
		audit_add(a, AUDIT_ERROR, "spf",
			  "%u DNS-querying terms (include, a, mx, ptr, exists, redirect), over "
			  "the limit of %u (RFC 7208 4.6.4, spf.lookup_limit): a check of a host "
			  "the record does not list gives permerror at %s",
			  s->dns_terms, s->lim.dns_mechanisms, s->terms_over);
	if (s->voids_over != NULL)
		audit_add(a, AUDIT_ERROR, "spf",
			  "%u void lookups (names that do not exist or have no address), over "
			  "the limit of %u (spf.void_lookup_limit): a check gives permerror at %s",
			  s->voids, s->lim.void_lookups, s->voids_over);
}

static void audit_spf_notes(struct audit *a)
{
	size_t i;

	for (i = 0; i < a->spf.n_notes; i++) {
		const struct spf_audit_note *n = &a->spf.notes[i];
		enum audit_severity sev = n->kind == SPF_AUDIT_PERMERROR ? AUDIT_ERROR
					  : n->kind == SPF_AUDIT_INFO	 ? AUDIT_INFO
									 : AUDIT_WARNING;

		audit_add(a, sev, "spf", "%s", n->text);
	}
}

static void audit_spf_ip(struct audit *a)
{
	char *mailfrom = xasprintf("postmaster@%s", a->domain);
	const struct spf_outcome *o = &a->ip_out;

	spf_check_mailfrom(a->r, &a->cfg->spf_limits, a->ip, mailfrom, NULL, a->cfg->authserv_id,
			   &a->ip_out);
	a->have_ip = true;
	if (o->result == SPF_RESULT_PASS)
		audit_add(a, AUDIT_INFO, "spf", "%s passes SPF for %s (%s)", a->ip, a->domain,
			  o->reason);
	else
		audit_add(a, AUDIT_ERROR, "spf", "%s does not pass SPF for %s: %s (%s)", a->ip,
			  a->domain, spf_result_name(o->result), o->reason);
	free(mailfrom);
}

void audit_spf(struct audit *a)
{
	size_t i;

	spf_audit_run(a->r, &a->cfg->spf_limits, a->ip, a->domain, &a->spf);
	for (i = 0; i < a->spf.n_nodes; i++)
		audit_spf_node(a, &a->spf.nodes[i]);
	audit_spf_counts(a);
	audit_spf_notes(a);
	if (a->spf.n_nodes > 0 && a->spf.nodes[0].problem == NULL && a->spf.terms_over == NULL &&
	    a->spf.voids_over == NULL)
		audit_add(a, AUDIT_INFO, "spf",
			  "SPF record of %s: %u of %u DNS-querying terms, %u of %u void lookups",
			  a->domain, a->spf.dns_terms, a->spf.lim.dns_mechanisms, a->spf.voids,
			  a->spf.lim.void_lookups);
	if (a->ip != NULL)
		audit_spf_ip(a);
}
