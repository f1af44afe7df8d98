/*
 * verdict - allocation and names for the engine's per-message verdict
 *
 * DESCRIPTION
 *	verdict_new() returns a zeroed verdict (every result none, action
 *	accept); verdict_free() frees it and everything it owns: both SPF
 *	outcomes, the iprev outcome, the DKIM signature array and each
 *	signature's strings, the DMARC outcome and the action strings.
 */
#include "config.h"

#include <stdlib.h>

#include "engine/verdict.h"
#include "util/xalloc.h"

struct verdict *verdict_new(void)
{
	return xcalloc(1, sizeof(struct verdict));
}

void verdict_free(struct verdict *v)
{
	size_t i;

	if (!v)
		return;
	free(v->client_ip);
	spf_outcome_clear(&v->spf);
	spf_outcome_clear(&v->spf_helo);
	iprev_outcome_clear(&v->iprev);
	for (i = 0; i < v->n_dkim; i++)
		dkimv_sig_clear(&v->dkim[i]);
	free(v->dkim);
	arc_outcome_clear(&v->arc);
	arc_override_clear(&v->arc_ov);
	free(v->header_from);
	dmarc_outcome_clear(&v->dmarc);
	free(v->smtp_rcode);
	free(v->smtp_xcode);
	free(v->smtp_text);
	free(v->reason);
	free(v->authres);
	free(v->explanation);
	free(v);
}

const char *action_name(enum action a)
{
	switch (a) {
	case ACTION_ACCEPT:
		return "accept";
	case ACTION_QUARANTINE:
		return "quarantine";
	case ACTION_REJECT:
		return "reject";
	case ACTION_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

const char *author_status_name(enum author_status st)
{
	switch (st) {
	case AUTHOR_OK:
		return "ok";
	case AUTHOR_NO_FROM:
		return "no_from";
	case AUTHOR_MULTI_FROM:
		return "multi_from";
	case AUTHOR_MULTI_DOMAIN:
		return "multi_domain";
	case AUTHOR_UNPARSEABLE:
		return "unparseable";
	}
	return "unknown";
}
