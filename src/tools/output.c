/*
 * output - print a verdict as text or as one JSON object (see output.h)
 */
#include "config.h"

#include <stdlib.h>

#include "tools/output.h"
#include "util/escape.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static void json_key(struct strbuf *sb, const char *key, bool first)
{
	strbuf_addf(sb, "%s\"%s\": ", first ? "" : ", ", key);
}

static void json_kv(struct strbuf *sb, const char *key, const char *val, bool first)
{
	json_key(sb, key, first);
	json_add_string(sb, val);
}

static const char *policy_or_null(enum dmarc_policy p)
{
	return p == DMARC_POLICY_UNSET ? NULL : dmarc_policy_name(p);
}

static void json_spf(struct strbuf *sb, const char *key, const struct spf_outcome *o, bool with_exp)
{
	json_key(sb, key, false);
	strbuf_adds(sb, "{");
	json_kv(sb, "result", spf_result_name(o->result), true);
	json_kv(sb, "domain", o->domain, false);
	json_kv(sb, "identity", o->identity, false);
	if (with_exp)
		json_kv(sb, "explanation", o->explanation, false);
	json_kv(sb, "reason", o->reason, false);
	strbuf_adds(sb, "}");
}

/* null when iprev was not checked (iprev.enabled false). */
static void json_iprev(struct strbuf *sb, const struct iprev_outcome *o)
{
	json_key(sb, "iprev", false);
	if (o->result == IPREV_RESULT_NONE) {
		strbuf_adds(sb, "null");
		return;
	}
	strbuf_adds(sb, "{");
	json_kv(sb, "result", iprev_result_name(o->result), true);
	json_kv(sb, "ip", o->ip, false);
	json_kv(sb, "name", o->name, false);
	json_kv(sb, "reason", o->reason, false);
	strbuf_adds(sb, "}");
}

static void json_dkim(struct strbuf *sb, const struct verdict *v)
{
	size_t i;

	json_key(sb, "dkim", false);
	strbuf_adds(sb, "[");
	for (i = 0; i < v->n_dkim; i++) {
		const struct dkimv_sig *s = &v->dkim[i];

		strbuf_adds(sb, i ? ", {" : "{");
		json_kv(sb, "domain", s->domain, true);
		json_kv(sb, "selector", s->selector, false);
		json_kv(sb, "algorithm", s->algorithm, false);
		strbuf_addf(sb, ", \"key_bits\": %u", s->key_bits);
		json_kv(sb, "result", dkimv_result_name(s->result), false);
		json_kv(sb, "reason", s->reason, false);
		strbuf_addf(sb, ", \"testing\": %s", s->testing ? "true" : "false");
		strbuf_addf(sb, ", \"body_length\": %ld", s->body_length);
		strbuf_addf(sb, ", \"unsigned_bytes\": %lld}", s->unsigned_bytes);
	}
	strbuf_adds(sb, "]");
}

static void json_arc(struct strbuf *sb, const struct verdict *v)
{
	const struct arc_outcome *a = &v->arc;
	size_t k;

	json_key(sb, "arc", false);
	strbuf_adds(sb, "{");
	json_kv(sb, "result", arc_result_name(a->result), true);
	strbuf_addf(sb, ", \"sets\": %u", a->sets);
	if (a->result == ARC_PASS)
		strbuf_addf(sb, ", \"oldest_pass\": %d", a->oldest_pass);
	else
		strbuf_adds(sb, ", \"oldest_pass\": null");
	json_kv(sb, "reason", a->reason, false);
	strbuf_adds(sb, ", \"seals\": [");
	for (k = 0; k < a->n_seals; k++) {
		const struct arc_seal *s = &a->seals[k];

		strbuf_addf(sb, "%s{\"instance\": %u", k ? ", " : "", s->instance);
		json_kv(sb, "domain", s->domain, false);
		json_kv(sb, "selector", s->selector, false);
		json_kv(sb, "cv", s->cv, false);
		strbuf_addf(sb, ", \"valid\": %s}", s->valid ? "true" : "false");
	}
	strbuf_adds(sb, "]");
	json_key(sb, "override", false);
	if (v->arc_ov.instance == 0) {
		strbuf_adds(sb, "null}");
		return;
	}
	strbuf_addf(sb, "{\"instance\": %u", v->arc_ov.instance);
	json_kv(sb, "sealer", v->arc_ov.sealer, false);
	json_kv(sb, "evidence", v->arc_ov.evidence, false);
	json_kv(sb, "comment", v->arc_ov.comment, false);
	strbuf_adds(sb, "}}");
}

static void json_dmarc(struct strbuf *sb, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;

	json_key(sb, "dmarc", false);
	strbuf_adds(sb, "{");
	json_kv(sb, "result", v->author == AUTHOR_OK ? dmarc_result_name(d->result) : "none", true);
	json_kv(sb, "header_from", v->header_from, false);
	json_kv(sb, "policy_domain", d->policy_domain, false);
	json_kv(sb, "org_domain", d->org_domain, false);
	json_kv(sb, "discovery_method",
		v->author == AUTHOR_OK ? dmarc_discovery_name(d->discovery) : NULL, false);
	json_kv(sb, "p", d->have_record ? policy_or_null(d->rec.p) : NULL, false);
	json_kv(sb, "sp", d->have_record ? policy_or_null(d->rec.sp) : NULL, false);
	json_kv(sb, "np", d->have_record ? policy_or_null(d->rec.np) : NULL, false);
	if (d->have_record)
		strbuf_addf(sb, ", \"pct\": %d", d->rec.pct);
	else
		strbuf_adds(sb, ", \"pct\": null");
	strbuf_addf(sb, ", \"testing\": %s", d->have_record && d->rec.testing ? "true" : "false");
	json_kv(sb, "policy", policy_or_null(d->policy), false);
	json_kv(sb, "applied", policy_or_null(d->applied), false);
	strbuf_addf(sb, ", \"sampled_out\": %s, \"spf_aligned\": %s, \"dkim_aligned\": %s",
		    d->sampled_out ? "true" : "false", d->spf_aligned ? "true" : "false",
		    d->dkim_aligned ? "true" : "false");
	json_kv(sb, "reason", d->reason, false);
	strbuf_adds(sb, "}");
}

static char *output_reply(const struct verdict *v)
{
	if (v->smtp_rcode == NULL)
		return NULL;
	return xasprintf("%s %s %s", v->smtp_rcode, v->smtp_xcode, v->smtp_text);
}

static void output_json(FILE *fp, const struct verdict *v)
{
	struct strbuf sb = STRBUF_INIT;
	char *reply = output_reply(v);
	char *ar = v->authres != NULL ? xasprintf("Authentication-Results:%s", v->authres) : NULL;

	strbuf_adds(&sb, "{");
	json_kv(&sb, "author", v->checked ? author_status_name(v->author) : NULL, true);
	strbuf_addf(&sb, ", \"checked\": %s, \"skipped\": %s", v->checked ? "true" : "false",
		    v->skipped ? "true" : "false");
	if (v->checked) {
		json_spf(&sb, "spf", &v->spf, true);
		json_spf(&sb, "spf_helo", &v->spf_helo, false);
		json_iprev(&sb, &v->iprev);
		json_dkim(&sb, v);
		json_arc(&sb, v);
		json_dmarc(&sb, v);
	} else {
		strbuf_adds(&sb,
			    ", \"spf\": null, \"spf_helo\": null, \"iprev\": null, \"dkim\": [], "
			    "\"arc\": null, \"dmarc\": null");
	}
	json_kv(&sb, "action", action_name(v->action), false);
	json_kv(&sb, "reason", v->reason, false);
	json_kv(&sb, "would", v->override != NULL ? action_name(v->would) : NULL, false);
	json_kv(&sb, "override", v->override, false);
	json_kv(&sb, "error", v->error, false);
	json_kv(&sb, "smtp_reply", reply, false);
	json_kv(&sb, "authentication_results", ar, false);
	json_kv(&sb, "explanation", v->explanation, false);
	strbuf_adds(&sb, "}\n");
	fputs(strbuf_str(&sb), fp);
	strbuf_free(&sb);
	free(reply);
	free(ar);
}

static void output_text(FILE *fp, const struct verdict *v)
{
	char *reply = output_reply(v);
	struct strbuf sb = STRBUF_INIT;

	if (reply != NULL)
		escape_add(&sb, reply);
	if (v->authres != NULL)
		fprintf(fp, "Authentication-Results:%s\n\n", v->authres);
	else
		fprintf(fp, "Authentication-Results: none added\n\n");
	fprintf(fp, "action: %s (%s", action_name(v->action), v->reason ? v->reason : "-");
	if (v->override != NULL)
		fprintf(fp, "; override=%s would=%s", v->override, action_name(v->would));
	if (v->error != NULL)
		fprintf(fp, "; error=%s", v->error);
	fprintf(fp, ")\n");
	fprintf(fp, "smtp reply: %s\n\n", reply != NULL ? strbuf_str(&sb) : "-");
	fputs(v->explanation, fp);
	strbuf_free(&sb);
	free(reply);
}

void output_print(FILE *fp, bool json, const struct verdict *v)
{
	if (json)
		output_json(fp, v);
	else
		output_text(fp, v);
}
