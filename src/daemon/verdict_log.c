/*
 * verdict_log - the one syslog line per message (see verdict_log.h)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "daemon/log.h"
#include "daemon/verdict_log.h"
#include "util/idna.h"
#include "util/strbuf.h"

static void verdict_log_dkim(struct strbuf *sb, const struct verdict *v)
{
	struct strbuf d = STRBUF_INIT;
	size_t i;

	for (i = 0; i < v->n_dkim; i++)
		strbuf_addf(&d, "%s%s:%s:%s", i ? "," : "",
			    v->dkim[i].domain ? v->dkim[i].domain : "",
			    v->dkim[i].selector ? v->dkim[i].selector : "",
			    dkimv_result_name(v->dkim[i].result));
	log_kv(sb, "dkim", d.len > 0 ? strbuf_str(&d) : "none");
	strbuf_reset(&d);
	for (i = 0; i < v->n_dkim; i++)
		if (v->dkim[i].unsigned_bytes > 0)
			strbuf_addf(&d, "%s%s:%s:%lld", d.len ? "," : "",
				    v->dkim[i].domain ? v->dkim[i].domain : "",
				    v->dkim[i].selector ? v->dkim[i].selector : "",
				    v->dkim[i].unsigned_bytes);
	if (d.len > 0)
		log_kv(sb, "dkim_unsigned", strbuf_str(&d));
	strbuf_free(&d);
}

static void verdict_log_dmarc(struct strbuf *sb, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	char pct[16];

	if (v->author != AUTHOR_OK) {
		log_kv(sb, "dmarc", "none");
		log_kv(sb, "author", author_status_name(v->author));
		return;
	}
	log_kv(sb, "dmarc", dmarc_result_name(d->result));
	log_kv(sb, "dmarc_domain", d->policy_domain);
	if (!d->have_record)
		return;
	log_kv(sb, "p", dmarc_policy_name(d->rec.p));
	if (d->policy != d->rec.p)
		log_kv(sb, "applies", dmarc_policy_name(d->policy));
	snprintf(pct, sizeof(pct), "%d", d->rec.pct);
	log_kv(sb, "pct", pct);
	log_kv(sb, "sampled", d->sampled_out ? "out" : "in");
	if (d->result == DMARC_RESULT_FAIL && d->applied != d->policy)
		log_kv(sb, "applied", dmarc_policy_name(d->applied)); /* pct or t=y */
}

void verdict_log_line(const struct verdict_log *vl)
{
	struct strbuf sb = STRBUF_INIT;
	const struct verdict *v = vl->v;
	char *u;

	log_kv(&sb, "qid", vl->qid); /* every key comes with a leading space */
	log_kv(&sb, "ip", vl->ip);
	log_kv(&sb, "helo", vl->helo);
	log_kv(&sb, "mailfrom", vl->mail_from);
	if (v->checked) {
		log_kv(&sb, "from", v->header_from);
		if ((u = idna_to_ulabel(v->header_from)) != NULL) {
			log_kv(&sb, "from_u", u);
			free(u);
		}
		log_kv(&sb, "spf", spf_result_name(v->spf.result));
		log_kv(&sb, "spf_helo", spf_result_name(v->spf_helo.result));
		log_kv(&sb, "iprev", iprev_result_name(v->iprev.result)); /* none: disabled */
		verdict_log_dkim(&sb, v);
		log_kv(&sb, "arc", arc_result_name(v->arc.result));
		if (v->arc_ov.instance > 0)
			log_kv(&sb, "arc_override", v->arc_ov.sealer);
		verdict_log_dmarc(&sb, v);
	}
	log_kv(&sb, "action", action_name(v->action));
	log_kv(&sb, "reason", v->reason);
	if (v->override != NULL) {
		log_kv(&sb, "would", action_name(v->would));
		log_kv(&sb, "override", v->override);
	}
	if (v->error != NULL)
		log_kv(&sb, "error", v->error);
	strbuf_addf(&sb, " ms=%ld", vl->ms);
	log_msg(LOG_INFO, "%s", strbuf_str(&sb) + 1);
	strbuf_free(&sb);
}

void verdict_log_skip(const char *qid, const char *ip, const char *mail_from, const char *why)
{
	struct strbuf sb = STRBUF_INIT;

	log_kv(&sb, "qid", qid);
	log_kv(&sb, "ip", ip);
	log_kv(&sb, "mailfrom", mail_from);
	log_kv(&sb, "action", "skip");
	log_kv(&sb, "reason", why);
	log_msg(LOG_INFO, "%s", strbuf_str(&sb) + 1);
	strbuf_free(&sb);
}
