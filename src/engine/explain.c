/*
 * explain - a verdict in plain language (see explain.h)
 *
 * Every value that came from the message or the envelope goes through
 * escape_add(), so the explanation is safe to print on a terminal.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/explain.h"
#include "util/escape.h"
#include "util/idna.h"
#include "util/strbuf.h"

static void explain_spf(struct strbuf *sb, const char *what, const struct spf_outcome *o)
{
	strbuf_addf(sb, "SPF for the %s identity", what);
	if (o->identity != NULL) {
		strbuf_adds(sb, " ");
		escape_add(sb, o->identity);
	}
	strbuf_addf(sb, ": %s", spf_result_name(o->result));
	if (o->reason != NULL) {
		strbuf_adds(sb, " (");
		escape_add(sb, o->reason);
		strbuf_adds(sb, ")");
	}
	if (o->explanation != NULL) {
		strbuf_adds(sb, "; the domain explains: ");
		escape_add(sb, o->explanation);
	}
	strbuf_adds(sb, ".\n");
}

static void explain_iprev(struct strbuf *sb, const struct iprev_outcome *o)
{
	if (o->result == IPREV_RESULT_NONE) {
		strbuf_adds(sb, "iprev (reverse DNS of the client): not checked, iprev.enabled is "
				"false.\n");
		return;
	}
	strbuf_adds(sb, "iprev (reverse DNS of the client ");
	escape_add(sb, o->ip);
	strbuf_addf(sb, "): %s", iprev_result_name(o->result));
	if (o->reason != NULL) {
		strbuf_adds(sb, " (");
		escape_add(sb, o->reason);
		strbuf_adds(sb, ")");
	}
	strbuf_adds(sb, "; it does not change the action.\n");
}

static void explain_dkim(struct strbuf *sb, const struct verdict *v)
{
	size_t i;

	if (v->n_dkim == 0)
		strbuf_adds(sb, "DKIM: the message has no DKIM signature.\n");
	for (i = 0; i < v->n_dkim; i++) {
		const struct dkimv_sig *s = &v->dkim[i];

		strbuf_addf(sb, "DKIM signature %zu d=", i + 1);
		escape_add(sb, s->domain ? s->domain : "-");
		strbuf_adds(sb, " s=");
		escape_add(sb, s->selector ? s->selector : "-");
		strbuf_adds(sb, " a=");
		escape_add(sb, s->algorithm ? s->algorithm : "-");
		if (s->key_bits > 0)
			strbuf_addf(sb, " (%u-bit key)", s->key_bits);
		strbuf_addf(sb, ": %s", dkimv_result_name(s->result));
		if (s->reason != NULL) {
			strbuf_adds(sb, " (");
			escape_add(sb, s->reason);
			strbuf_adds(sb, ")");
		}
		if (s->unsigned_bytes > 0)
			strbuf_addf(sb,
				    "; it signs only the first %ld bytes of the body, %lld more "
				    "bytes after them are not covered",
				    s->body_length, s->unsigned_bytes);
		strbuf_adds(sb, s->testing ? "; the key is in testing mode (t=y).\n" : ".\n");
	}
}

static void explain_dmarc(struct strbuf *sb, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	char *u;

	if (v->author != AUTHOR_OK) {
		strbuf_addf(sb, "Author: %s, so DMARC could not be evaluated.\n",
			    author_status_name(v->author));
		return;
	}
	strbuf_adds(sb, "Author domain (From header): ");
	escape_add(sb, v->header_from);
	if ((u = idna_to_ulabel(v->header_from)) != NULL) {
		strbuf_adds(sb, " (");
		escape_add(sb, u);
		strbuf_adds(sb, ")");
		free(u);
	}
	strbuf_adds(sb, ".\n");
	strbuf_addf(sb, "DMARC: %s", dmarc_result_name(d->result));
	if (d->reason != NULL) {
		strbuf_adds(sb, " (");
		escape_add(sb, d->reason);
		strbuf_adds(sb, ")");
	}
	strbuf_adds(sb, ".\n");
	if (!d->have_record)
		return;
	strbuf_adds(sb, "DMARC record at _dmarc.");
	escape_add(sb, d->policy_domain ? d->policy_domain : "-");
	strbuf_addf(sb, ": p=%s", dmarc_policy_name(d->rec.p));
	if (d->rec.sp != DMARC_POLICY_UNSET)
		strbuf_addf(sb, " sp=%s", dmarc_policy_name(d->rec.sp));
	if (d->rec.np != DMARC_POLICY_UNSET)
		strbuf_addf(sb, " np=%s", dmarc_policy_name(d->rec.np));
	strbuf_addf(sb, " pct=%d%s; SPF %s aligned, DKIM %s aligned.\n", d->rec.pct,
		    d->rec.testing ? " t=y" : "", d->spf_aligned ? "is" : "is not",
		    d->dkim_aligned ? "is" : "is not");
	if (d->result == DMARC_RESULT_FAIL) {
		strbuf_addf(sb, "The %s policy applies", dmarc_policy_name(d->policy));
		if (d->applied != d->policy)
			strbuf_addf(sb, ", stepped down to %s (%s)", dmarc_policy_name(d->applied),
				    d->sampled_out ? "not sampled by pct" : "testing mode t=y");
		strbuf_adds(sb, ".\n");
	}
}

static void explain_arc(struct strbuf *sb, const struct verdict *v)
{
	const struct arc_outcome *a = &v->arc;
	size_t k;

	strbuf_addf(sb, "ARC: %s", arc_result_name(a->result));
	if (a->reason != NULL) {
		strbuf_adds(sb, " (");
		escape_add(sb, a->reason);
		strbuf_adds(sb, ")");
	}
	for (k = a->n_seals; k > 0; k--) {
		strbuf_addf(sb, "%s set %u sealed by ", k == a->n_seals ? ";" : ",",
			    a->seals[k - 1].instance);
		escape_add(sb, a->seals[k - 1].domain);
	}
	if (a->result == ARC_PASS)
		strbuf_addf(sb, "; oldest-pass %d", a->oldest_pass);
	strbuf_adds(sb, ".\n");
	if (v->arc_ov.instance == 0)
		return;
	strbuf_adds(sb, "The trusted sealer ");
	escape_add(sb, v->arc_ov.sealer);
	strbuf_addf(sb, " (set %u) vouched for the author domain: it saw ", v->arc_ov.instance);
	escape_add(sb, v->arc_ov.evidence);
	strbuf_adds(sb, " before the message was changed on its way; so the DMARC failure is "
			"not enforced.\n");
}

static const char *explain_words(const char *key)
{
	static const struct {
		const char *key, *words;
	} t[] = {
	    {"trusted_network", "the client is in policy.trusted_networks"},
	    {"authenticated", "the sender authenticated (SMTP AUTH) and "
			      "policy.skip_authenticated is true"},
	    {"no_client_address", "there is no TCP client address (local submission)"},
	    {"allow_network", "the client is in policy.allow_networks"},
	    {"allow_domain", "the author domain is in policy.allow_domains"},
	    {"monitor", "policy.mode is \"monitor\""},
	    {"arc", "a trusted ARC sealer vouched for the message (arc.trusted_sealers)"},
	};
	size_t i;

	for (i = 0; key != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].key, key) == 0)
			return t[i].words;
	return key;
}

static void explain_action(struct strbuf *sb, const struct verdict *v)
{
	strbuf_addf(sb, "Action: %s", action_name(v->action));
	if (v->reason != NULL)
		strbuf_addf(sb, " (%s)", v->reason);
	if (v->error != NULL)
		strbuf_addf(sb, ", because of an internal error (%s) and policy.on_error",
			    v->error);
	if (v->override != NULL)
		strbuf_addf(sb, ", because %s; enforcement would %s", explain_words(v->override),
			    action_name(v->would));
	if (v->smtp_rcode != NULL) {
		strbuf_addf(sb, " with reply %s %s ", v->smtp_rcode, v->smtp_xcode);
		escape_add(sb, v->smtp_text);
	}
	strbuf_adds(sb, ".\n");
}

char *explain_verdict(const struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (v->skipped) {
		strbuf_addf(&sb, "Not checked, and no header added: %s.\n",
			    explain_words(v->reason));
	} else if (!v->checked) {
		strbuf_adds(&sb, "Not checked: the message header passed limits.max_headers or "
				 "limits.max_header_bytes.\n");
	} else {
		explain_spf(&sb, "MAIL FROM", &v->spf);
		explain_spf(&sb, "HELO", &v->spf_helo);
		explain_iprev(&sb, &v->iprev);
		explain_dkim(&sb, v);
		explain_arc(&sb, v);
		explain_dmarc(&sb, v);
	}
	explain_action(&sb, v);
	return strbuf_detach(&sb);
}
