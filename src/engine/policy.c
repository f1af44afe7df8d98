/*
 * policy - from the checks' results to the one action the MTA is told
 * (see policy.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/policy.h"
#include "util/addr.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/*
 * Text that reaches an SMTP reply: only printable ASCII that cannot be read
 * as syntax by the MTA or a milter library ('%' is a format character there).
 */
static void reply_add_safe(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		strbuf_addc(sb, (c > ' ' && c < 0x7f && c != '%' && c != '\\') ? (char)c : '?');
	}
}

/* Splits "550 5.7.26 text" into the verdict's reply fields, expanding
 * %{domain} and %{policy}. config.c checked the shape. */
static void policy_reply(struct verdict *v, const char *reply, const char *domain,
			 const char *policy)
{
	struct strbuf sb = STRBUF_INIT;
	const char *sp = strchr(reply + 4, ' ');
	const char *p;

	free(v->smtp_rcode);
	free(v->smtp_xcode);
	free(v->smtp_text);
	v->smtp_rcode = xstrndup(reply, 3);
	v->smtp_xcode = sp ? xstrndup(reply + 4, (size_t)(sp - reply - 4)) : xstrdup(reply + 4);
	for (p = sp ? sp + 1 : ""; *p != '\0'; p++) {
		if (strncmp(p, "%{domain}", 9) == 0) {
			reply_add_safe(&sb, domain ? domain : "-");
			p += 8;
		} else if (strncmp(p, "%{policy}", 9) == 0) {
			reply_add_safe(&sb, policy ? policy : "-");
			p += 8;
		} else {
			strbuf_addc(&sb, *p == '%' ? '?' : *p);
		}
	}
	v->smtp_text = strbuf_detach(&sb);
}

static void policy_set(struct verdict *v, enum action a, const char *reason)
{
	v->action = a;
	free(v->reason);
	v->reason = xstrdup(reason);
}

static void policy_clear_reply(struct verdict *v)
{
	free(v->smtp_rcode);
	free(v->smtp_xcode);
	free(v->smtp_text);
	v->smtp_rcode = v->smtp_xcode = v->smtp_text = NULL;
}

/* A temporary failure of a check whose identity could have aligned with
 * the author domain (under the record's aspf / adkim), or of a tree walk
 * that would have told whether a passing identity aligns: its result might
 * have changed the DMARC outcome. Other identities' temporary failures
 * (a spoofer's own DNS) change nothing. */
static bool policy_temp_could_align(const struct dmarc_ctx *dc, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	size_t i;

	if (d->align_temperror)
		return true;
	if (v->spf.result == SPF_RESULT_TEMPERROR && v->spf.domain != NULL &&
	    dmarc_could_align(dc, d, v->spf.domain, d->rec.aspf_strict))
		return true;
	for (i = 0; i < v->n_dkim; i++) {
		const struct dkimv_sig *s = &v->dkim[i];

		if (s->result == DKIMV_TEMPERROR && s->domain != NULL &&
		    dmarc_could_align(dc, d, s->domain, d->rec.adkim_strict))
			return true;
	}
	return false;
}

static void policy_temperror(const struct config *cfg, struct verdict *v, const char *reason)
{
	if (cfg->on_error == ON_ERROR_ACCEPT) {
		policy_set(v, ACTION_ACCEPT, reason);
		return;
	}
	policy_set(v, ACTION_TEMPFAIL, reason);
	policy_reply(v, cfg->tempfail_reply, v->header_from, NULL);
}

static void policy_author(const struct config *cfg, struct verdict *v)
{
	static const char *const reasons[] = {
	    [AUTHOR_NO_FROM] = "no_from",
	    [AUTHOR_MULTI_FROM] = "multiple_from",
	    [AUTHOR_MULTI_DOMAIN] = "multiple_from_domains",
	    [AUTHOR_UNPARSEABLE] = "unparseable_from",
	};
	static const char *const texts[] = {
	    [AUTHOR_NO_FROM] = "550 5.7.1 Message has no From header",
	    [AUTHOR_MULTI_FROM] = "550 5.7.1 Message has more than one From header",
	    [AUTHOR_MULTI_DOMAIN] = "550 5.7.1 From header names addresses in more than one domain",
	    [AUTHOR_UNPARSEABLE] = "550 5.7.1 From header cannot be parsed",
	};
	int act = cfg->act_unparseable_from;

	if (v->author == AUTHOR_NO_FROM)
		act = cfg->act_no_from;
	else if (v->author == AUTHOR_MULTI_FROM)
		act = cfg->act_multiple_from;
	else if (v->author == AUTHOR_MULTI_DOMAIN)
		act = cfg->act_multiple_domains;
	policy_set(v, (enum action)act, reasons[v->author]);
	if (act == ACTION_REJECT)
		policy_reply(v, texts[v->author], NULL, NULL);
	else if (act == ACTION_TEMPFAIL)
		policy_reply(v, cfg->tempfail_reply, NULL, NULL);
}

/* A DMARC failure that a trusted ARC sealer vouches for (engine/arc.h
 * arc_trust()): accepted, with override "arc" and what enforcement would
 * have done. */
static bool policy_arc_override(const struct config *cfg, struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	struct arc_trust_in in = {(const char *const *)cfg->arc_trusted_sealers.v,
				  cfg->arc_trusted_sealers.n,
				  v->header_from,
				  d->org_domain,
				  d->rec.aspf_strict,
				  d->rec.adkim_strict};
	enum action would;

	arc_override_clear(&v->arc_ov);
	if (in.n_sealers == 0 || !arc_trust(&v->arc, &in, &v->arc_ov))
		return false;
	if (d->applied == DMARC_POLICY_REJECT) {
		would = (enum action)cfg->act_dmarc_reject;
		policy_set(v, ACTION_ACCEPT, "dmarc_reject");
	} else {
		would = (enum action)cfg->act_dmarc_quarantine;
		policy_set(v, ACTION_ACCEPT, "dmarc_quarantine");
	}
	v->override = "arc";
	v->would = would;
	return true;
}

/* Step 1 for a checked message: the DMARC outcome under policy.*. */
static void policy_dmarc(const struct config *cfg, const struct dmarc_ctx *dc, struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	int act;

	switch (d->result) {
	case DMARC_RESULT_TEMPERROR:
		policy_temperror(cfg, v, "dmarc_temperror");
		return;
	case DMARC_RESULT_FAIL:
		break;
	default:
		policy_set(v, ACTION_ACCEPT,
			   d->result == DMARC_RESULT_PASS ? "dmarc_pass" : "no_dmarc_policy");
		return;
	}
	if (d->applied == DMARC_POLICY_NONE || d->applied == DMARC_POLICY_UNSET) {
		policy_set(v, ACTION_ACCEPT, "dmarc_fail_policy_none");
		return;
	}
	if (policy_arc_override(cfg, v))
		return;
	if (policy_temp_could_align(dc, v)) {
		policy_temperror(cfg, v, "auth_temperror");
		return;
	}
	if (d->applied == DMARC_POLICY_REJECT) {
		act = cfg->act_dmarc_reject;
		policy_set(v, (enum action)act, "dmarc_reject");
	} else {
		act = cfg->act_dmarc_quarantine;
		policy_set(v, (enum action)act, "dmarc_quarantine");
	}
	if (act == ACTION_QUARANTINE && cfg->quarantine == QUARANTINE_REJECT)
		policy_set(v, act = ACTION_REJECT, "dmarc_quarantine");
	if (act == ACTION_REJECT)
		policy_reply(v, cfg->reject_reply, v->header_from, dmarc_policy_name(d->policy));
	else if (act == ACTION_TEMPFAIL)
		policy_reply(v, cfg->tempfail_reply, v->header_from, NULL);
}

/* Step 4: which local override, if any, keeps the message from being
 * refused. */
static const char *policy_override(const struct config *cfg, const struct policy_in *in,
				   const struct verdict *v)
{
	if (in->allow_net)
		return "allow_network";
	if (v->checked && v->author == AUTHOR_OK && v->header_from != NULL &&
	    domainlist_match(&cfg->allow_domains, v->header_from))
		return "allow_domain";
	if (cfg->mode == MODE_MONITOR)
		return "monitor";
	return NULL;
}

void policy_decide(const struct config *cfg, const struct dmarc_ctx *dc, const struct policy_in *in,
		   struct verdict *v)
{
	const char *error = in->error;

	policy_clear_reply(v);
	v->override = NULL;
	v->error = NULL;
	v->would = ACTION_ACCEPT;
	/* 1. enforcement */
	if (in->over_limit) {
		policy_set(v, ACTION_REJECT, "header_limit");
		policy_reply(v, "552 5.3.4 Message header exceeds the size limit", NULL, NULL);
	} else if (v->author != AUTHOR_OK) {
		policy_author(cfg, v);
	} else {
		policy_dmarc(cfg, dc, v);
	}
	/* 2. a hold the MTA cannot do */
	if (error == NULL && v->action == ACTION_QUARANTINE && cfg->quarantine == QUARANTINE_HOLD &&
	    in->no_hold)
		error = "quarantine_unavailable";
	/* 3. internal errors */
	if (error != NULL) {
		v->error = error;
		v->override = NULL; /* an ARC override is not carried out */
		policy_clear_reply(v);
		v->action = cfg->on_error == ON_ERROR_ACCEPT ? ACTION_ACCEPT : ACTION_TEMPFAIL;
		if (v->action == ACTION_TEMPFAIL)
			policy_reply(v, "451 4.3.0 Temporary failure in message authentication",
				     NULL, NULL);
	}
	/* 4. local overrides */
	if (v->action != ACTION_ACCEPT && (v->override = policy_override(cfg, in, v)) != NULL) {
		v->would = v->action;
		v->action = ACTION_ACCEPT;
		policy_clear_reply(v);
	}
}

/* client_ip as an address, IPv4-mapped IPv6 as IPv4; false if it is none. */
static bool policy_client(const char *client_ip, struct am_addr *a)
{
	if (client_ip == NULL || *client_ip == '\0' || !addr_parse(client_ip, a))
		return false;
	addr_unmap(a);
	return true;
}

const char *policy_skip(const struct config *cfg, const char *client_ip, const char *auth_user)
{
	struct am_addr a;

	if (!policy_client(client_ip, &a))
		return "no_client_address";
	if (netlist_match(&cfg->trusted_networks, &a))
		return "trusted_network";
	if (auth_user != NULL && *auth_user != '\0' && cfg->skip_authenticated)
		return "authenticated";
	return NULL;
}

bool policy_allow_net(const struct config *cfg, const char *client_ip)
{
	struct am_addr a;

	return policy_client(client_ip, &a) && netlist_match(&cfg->allow_networks, &a);
}
