/*
 * audit - authmilter-check --domain: run the audit, keep its findings,
 * decide the exit status (see audit.h)
 *
 * SYNOPSIS
 *	rc = audit_main(engine, psl, &args);
 *
 * DESCRIPTION
 *	The domain is taken in its A-label form (a U-label is converted, as
 *	the engine converts a From domain), then SPF, DMARC and each DKIM
 *	selector are audited in turn through the engine's resolver and
 *	configuration (spf.*, dkim.min_key_bits, dmarc.discovery,
 *	dmarc.pct, reporting.max_uris). Findings are kept in the order they
 *	were made and printed most severe first (a stable sort).
 *
 * DIAGNOSTICS
 *	Returns 0 when no finding is an error, 1 when one is, 2 when the
 *	domain is not a domain name (one line on stderr).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/message.h"
#include "tools/audit.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void audit_add(struct audit *a, enum audit_severity sev, const char *area, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	a->f = xrealloc(a->f, (a->n_f + 1) * sizeof(*a->f));
	a->f[a->n_f].severity = sev;
	a->f[a->n_f].area = area;
	a->f[a->n_f].text = strbuf_detach(&sb);
	a->n_f++;
}

const char *audit_severity_name(enum audit_severity sev)
{
	switch (sev) {
	case AUDIT_ERROR:
		return "error";
	case AUDIT_WARNING:
		return "warning";
	default:
		return "info";
	}
}

/* Most severe first, keeping the order within one severity. */
static void audit_sort(struct audit *a)
{
	size_t i, j;

	for (i = 1; i < a->n_f; i++) {
		struct audit_finding f = a->f[i];

		for (j = i; j > 0 && a->f[j - 1].severity > f.severity; j--)
			a->f[j] = a->f[j - 1];
		a->f[j] = f;
	}
}

static void audit_free(struct audit *a)
{
	size_t i;

	spf_audit_clear(&a->spf);
	spf_outcome_clear(&a->ip_out);
	audit_dmarc_clear(&a->dmarc);
	for (i = 0; i < a->n_keys; i++)
		audit_key_clear(&a->keys[i]);
	free(a->keys);
	for (i = 0; i < a->n_f; i++)
		free(a->f[i].text);
	free(a->f);
}

/* The domain as the engine handles names: A-label, no trailing dot. */
static char *audit_domain(const char *in)
{
	const char *why = NULL;
	char *d = idna_has_8bit(in) ? idna_to_alabel(in, &why) : xstrdup(in);
	size_t len;

	if (d == NULL)
		return NULL;
	len = strlen(d);
	if (len > 0 && d[len - 1] == '.')
		d[--len] = '\0';
	if (!dns_name_valid(d) || strchr(d, '.') == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

int audit_main(struct engine *eng, const struct dmarc_ctx *psl, const struct audit_args *aa)
{
	struct audit a;
	char *domain = audit_domain(aa->domain);
	size_t i, errors = 0;

	if (domain == NULL) {
		fprintf(stderr, "authmilter-check: --domain %s is not a domain name\n", aa->domain);
		return 2;
	}
	memset(&a, 0, sizeof(a));
	a.domain = domain;
	a.ip = aa->ip;
	a.eng = eng;
	a.cfg = engine_config(eng);
	a.r = engine_resolver(eng);
	a.psl = psl;
	audit_spf(&a);
	audit_dmarc(&a);
	if (aa->n_selectors == 0)
		audit_add(&a, AUDIT_INFO, "dkim",
			  "no --selector given, so no DKIM key was checked (the selector is the "
			  "s= tag of a DKIM-Signature the domain's mail carries)");
	a.keys = xcalloc(aa->n_selectors + 1, sizeof(*a.keys));
	for (i = 0; i < aa->n_selectors; i++)
		audit_dkim(&a, aa->selectors[i]);
	audit_sort(&a);
	for (i = 0; i < a.n_f; i++)
		errors += a.f[i].severity == AUDIT_ERROR;
	if (aa->json)
		audit_print_json(stdout, &a);
	else
		audit_print_text(stdout, &a);
	audit_free(&a);
	free(domain);
	return errors > 0 ? 1 : 0;
}
