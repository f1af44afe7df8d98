/*
 * audit_out - a domain audit as text or as one JSON object (see audit.h)
 *
 * DESCRIPTION
 *	Text: the SPF tree with its counts and the --ip verdict, the DMARC
 *	record with where it was found and its effective tags, each rua/ruf
 *	destination, each DKIM key, then the findings most severe first, one
 *	a line. Text from DNS is escaped (util/escape.h) in both forms.
 */
#include "config.h"

#include <stdio.h>

#include "tools/audit.h"
#include "util/escape.h"
#include "util/strbuf.h"

static const char *policy_or_null(enum dmarc_policy p)
{
	return p == DMARC_POLICY_UNSET ? NULL : dmarc_policy_name(p);
}

/* p, sp and np as the engine applies them (sp defaults to p, np to sp). */
static void dmarc_effective(const struct dmarc_record *r, enum dmarc_policy pol[3])
{
	pol[0] = r->policy_fallback ? DMARC_POLICY_NONE : r->p;
	pol[1] = r->sp != DMARC_POLICY_UNSET ? r->sp : pol[0];
	pol[2] = r->np != DMARC_POLICY_UNSET ? r->np : pol[1];
}

static void text_spf(struct strbuf *sb, const struct audit *a)
{
	const struct spf_audit *s = &a->spf;
	size_t i;

	strbuf_adds(sb, "SPF\n");
	for (i = 0; i < s->n_nodes; i++) {
		const struct spf_audit_node *n = &s->nodes[i];

		strbuf_addf(sb, "  %*s", (int)(2 * n->depth), "");
		if (n->via != NULL) {
			escape_add(sb, n->via);
			strbuf_adds(sb, " -> ");
		}
		escape_add(sb, n->domain);
		strbuf_adds(sb, ": ");
		escape_add(sb, n->record != NULL ? n->record : "(no record)");
		if (n->problem != NULL) {
			strbuf_adds(sb, " [");
			escape_add(sb, n->problem);
			strbuf_adds(sb, "]");
		}
		strbuf_adds(sb, "\n");
	}
	strbuf_addf(sb, "  DNS-querying terms: %u of %u; void lookups: %u of %u\n", s->dns_terms,
		    s->lim.dns_mechanisms, s->voids, s->lim.void_lookups);
	if (a->have_ip) {
		strbuf_addf(sb, "  %s: %s (", a->ip, spf_result_name(a->ip_out.result));
		escape_add(sb, a->ip_out.reason);
		strbuf_adds(sb, ")\n");
	}
}

static void text_dests(struct strbuf *sb, const char *tag, const struct audit_dest *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		strbuf_addf(sb, "  %s ", tag);
		escape_add(sb, d[i].uri);
		strbuf_addf(sb, ": %s (", external_result_name(d[i].result));
		escape_add(sb, d[i].why);
		strbuf_adds(sb, ")\n");
	}
}

static void text_dmarc(struct strbuf *sb, const struct audit *a)
{
	const struct audit_dmarc *d = &a->dmarc;
	const struct dmarc_record *r = &d->out.rec;
	enum dmarc_policy pol[3];

	strbuf_adds(sb, "\nDMARC\n  asked: ");
	escape_add(sb, d->queried);
	strbuf_adds(sb, "\n");
	if (d->out.record == NULL) {
		strbuf_adds(sb, "  no record\n");
		return;
	}
	strbuf_adds(sb, "  found at _dmarc.");
	escape_add(sb, d->out.policy_domain);
	strbuf_addf(sb, " (%s): ", d->found_at);
	escape_add(sb, d->out.record);
	strbuf_adds(sb, "\n");
	if (!d->out.have_record)
		return;
	dmarc_effective(r, pol);
	strbuf_addf(sb, "  p=%s sp=%s np=%s adkim=%c aspf=%c pct=%d t=%c psd=%c fo=",
		    dmarc_policy_name(pol[0]), dmarc_policy_name(pol[1]), dmarc_policy_name(pol[2]),
		    r->adkim_strict ? 's' : 'r', r->aspf_strict ? 's' : 'r', r->pct,
		    r->testing ? 'y' : 'n',
		    r->psd == DMARC_PSD_Y   ? 'y'
		    : r->psd == DMARC_PSD_N ? 'n'
					    : 'u');
	escape_add(sb, r->fo != NULL ? r->fo : "0");
	strbuf_adds(sb, "\n");
	text_dests(sb, "rua", d->rua, d->n_rua);
	text_dests(sb, "ruf", d->ruf, d->n_ruf);
}

static void text_dkim(struct strbuf *sb, const struct audit *a)
{
	size_t i, j;

	if (a->n_keys > 0)
		strbuf_adds(sb, "\nDKIM\n");
	for (i = 0; i < a->n_keys; i++) {
		const struct audit_key *k = &a->keys[i];

		strbuf_adds(sb, "  ");
		escape_add(sb, k->name);
		for (j = 0; j < k->n_cname; j++) {
			strbuf_adds(sb, " -> ");
			escape_add(sb, k->cname[j]);
		}
		if (k->rc == DSIG_OK)
			strbuf_addf(sb, ": %s %u bits%s\n", k->ed25519 ? "ed25519" : "RSA", k->bits,
				    k->testing ? ", t=y" : "");
		else
			strbuf_addf(sb, ": %s\n", k->why);
		if (k->record != NULL) {
			strbuf_adds(sb, "    ");
			escape_add(sb, k->record);
			strbuf_adds(sb, "\n");
		}
	}
}

void audit_print_text(FILE *fp, const struct audit *a)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, n[3] = {0, 0, 0};

	strbuf_addf(&sb, "Domain audit of %s (DMARC discovery: %s)\n\n", a->domain,
		    dmarc_discovery_name(a->dmarc.out.discovery));
	text_spf(&sb, a);
	text_dmarc(&sb, a);
	text_dkim(&sb, a);
	for (i = 0; i < a->n_f; i++)
		n[a->f[i].severity]++;
	strbuf_addf(&sb, "\nFindings: %zu error(s), %zu warning(s), %zu info\n", n[0], n[1], n[2]);
	for (i = 0; i < a->n_f; i++) {
		strbuf_addf(&sb, "  %s: %s: ", audit_severity_name(a->f[i].severity), a->f[i].area);
		escape_add(&sb, a->f[i].text);
		strbuf_adds(&sb, "\n");
	}
	fputs(strbuf_str(&sb), fp);
	strbuf_free(&sb);
}

static void json_kv(struct strbuf *sb, const char *key, const char *val, bool first)
{
	strbuf_addf(sb, "%s\"%s\": ", first ? "" : ", ", key);
	json_add_string(sb, val);
}

static void json_spf(struct strbuf *sb, const struct audit *a)
{
	const struct spf_audit *s = &a->spf;
	size_t i;

	strbuf_adds(sb, ", \"spf\": {\"records\": [");
	for (i = 0; i < s->n_nodes; i++) {
		const struct spf_audit_node *n = &s->nodes[i];

		strbuf_adds(sb, i ? ", {" : "{");
		json_kv(sb, "domain", n->domain, true);
		json_kv(sb, "via", n->via, false);
		strbuf_addf(sb, ", \"depth\": %u", n->depth);
		json_kv(sb, "record", n->record, false);
		json_kv(sb, "problem", n->problem, false);
		strbuf_addf(sb, ", \"dns_terms\": %u}", n->dns_terms);
	}
	strbuf_addf(sb,
		    "], \"dns_terms\": %u, \"dns_term_limit\": %u, \"void_lookups\": %u, "
		    "\"void_lookup_limit\": %u",
		    s->dns_terms, s->lim.dns_mechanisms, s->voids, s->lim.void_lookups);
	json_kv(sb, "terms_over_limit_at", s->terms_over, false);
	json_kv(sb, "voids_over_limit_at", s->voids_over, false);
	strbuf_adds(sb, ", \"ip\": ");
	if (!a->have_ip) {
		strbuf_adds(sb, "null}");
		return;
	}
	strbuf_adds(sb, "{");
	json_kv(sb, "ip", a->ip, true);
	json_kv(sb, "result", spf_result_name(a->ip_out.result), false);
	json_kv(sb, "reason", a->ip_out.reason, false);
	strbuf_adds(sb, "}}");
}

static void json_dests(struct strbuf *sb, const char *key, const struct audit_dest *d, size_t n)
{
	size_t i;

	strbuf_addf(sb, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		strbuf_adds(sb, i ? ", {" : "{");
		json_kv(sb, "uri", d[i].uri, true);
		json_kv(sb, "address", d[i].addr, false);
		json_kv(sb, "host", d[i].host, false);
		json_kv(sb, "authorization", external_result_name(d[i].result), false);
		json_kv(sb, "why", d[i].why, false);
		strbuf_adds(sb, "}");
	}
	strbuf_adds(sb, "]");
}

static void json_dmarc(struct strbuf *sb, const struct audit *a)
{
	const struct audit_dmarc *d = &a->dmarc;
	const struct dmarc_record *r = &d->out.rec;
	enum dmarc_policy pol[3];

	strbuf_adds(sb, ", \"dmarc\": {");
	json_kv(sb, "discovery_method", dmarc_discovery_name(d->out.discovery), true);
	json_kv(sb, "asked", d->queried, false);
	json_kv(sb, "record", d->out.record, false);
	json_kv(sb, "policy_domain", d->out.policy_domain, false);
	json_kv(sb, "found_at", d->found_at, false);
	json_kv(sb, "org_domain", d->out.org_domain, false);
	json_kv(sb, "result", d->out.have_record ? NULL : dmarc_result_name(d->out.result), false);
	strbuf_adds(sb, ", \"tags\": ");
	if (!d->out.have_record) {
		strbuf_adds(sb, "null, \"rua\": [], \"ruf\": []}");
		return;
	}
	dmarc_effective(r, pol);
	strbuf_adds(sb, "{");
	json_kv(sb, "p", policy_or_null(pol[0]), true);
	json_kv(sb, "sp", policy_or_null(pol[1]), false);
	json_kv(sb, "np", policy_or_null(pol[2]), false);
	json_kv(sb, "adkim", r->adkim_strict ? "s" : "r", false);
	json_kv(sb, "aspf", r->aspf_strict ? "s" : "r", false);
	strbuf_addf(sb, ", \"pct\": %d", r->pct);
	json_kv(sb, "t", r->testing ? "y" : "n", false);
	json_kv(sb, "psd", r->psd == DMARC_PSD_Y ? "y" : r->psd == DMARC_PSD_N ? "n" : "u", false);
	json_kv(sb, "fo", r->fo != NULL ? r->fo : "0", false);
	json_kv(sb, "rua", r->rua, false);
	json_kv(sb, "ruf", r->ruf, false);
	strbuf_addf(sb, ", \"policy_fallback\": %s}", r->policy_fallback ? "true" : "false");
	json_dests(sb, "rua", d->rua, d->n_rua);
	json_dests(sb, "ruf", d->ruf, d->n_ruf);
	strbuf_adds(sb, "}");
}

static void json_dkim(struct strbuf *sb, const struct audit *a)
{
	size_t i, j;

	strbuf_adds(sb, ", \"dkim\": [");
	for (i = 0; i < a->n_keys; i++) {
		const struct audit_key *k = &a->keys[i];

		strbuf_adds(sb, i ? ", {" : "{");
		json_kv(sb, "selector", k->selector, true);
		json_kv(sb, "name", k->name, false);
		strbuf_adds(sb, ", \"cnames\": [");
		for (j = 0; j < k->n_cname; j++) {
			strbuf_adds(sb, j ? ", " : "");
			json_add_string(sb, k->cname[j]);
		}
		strbuf_adds(sb, "]");
		json_kv(sb, "record", k->record, false);
		strbuf_addf(sb, ", \"records\": %zu", k->n_records);
		json_kv(sb, "result",
			k->rc == DSIG_OK     ? "ok"
			: k->rc == DSIG_FAIL ? "fail"
					     : "temperror",
			false);
		json_kv(sb, "algorithm",
			k->rc != DSIG_OK ? NULL
			: k->ed25519	 ? "ed25519"
					 : "rsa",
			false);
		strbuf_addf(sb, ", \"key_bits\": %u, \"testing\": %s", k->bits,
			    k->testing ? "true" : "false");
		json_kv(sb, "reason", k->rc == DSIG_OK ? NULL : k->why, false);
		strbuf_adds(sb, "}");
	}
	strbuf_adds(sb, "]");
}

void audit_print_json(FILE *fp, const struct audit *a)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, n[3] = {0, 0, 0};

	strbuf_adds(&sb, "{");
	json_kv(&sb, "domain", a->domain, true);
	json_spf(&sb, a);
	json_dmarc(&sb, a);
	json_dkim(&sb, a);
	strbuf_adds(&sb, ", \"findings\": [");
	for (i = 0; i < a->n_f; i++) {
		n[a->f[i].severity]++;
		strbuf_adds(&sb, i ? ", {" : "{");
		json_kv(&sb, "severity", audit_severity_name(a->f[i].severity), true);
		json_kv(&sb, "area", a->f[i].area, false);
		json_kv(&sb, "text", a->f[i].text, false);
		strbuf_adds(&sb, "}");
	}
	strbuf_addf(&sb, "], \"errors\": %zu, \"warnings\": %zu}\n", n[0], n[1]);
	fputs(strbuf_str(&sb), fp);
	strbuf_free(&sb);
}
