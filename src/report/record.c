/*
 * record - what one message contributes to an aggregate report (see record.h)
 *
 * DESCRIPTION
 *	report_record_from_verdict() turns the engine's verdict into RFC
 *	9990's terms; the rest of the file is the record's memory, its
 *	hashes and the text form of its lists, shared by the recorder, the
 *	store and the reporter.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "report/record.h"
#include "report/rua.h"
#include "util/xalloc.h"

static const char *const disposition_names[] = {"none", "pass", "quarantine", "reject"};
static const char *const reason_names[] = {"local_policy", "mailing_list", "other",
					   "policy_test_mode", "trusted_forwarder"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *report_disposition_name(enum report_disposition d)
{
	return (unsigned)d < N_OF(disposition_names) ? disposition_names[d] : "none";
}

const char *report_reason_name(enum report_reason_type t)
{
	return (unsigned)t < N_OF(reason_names) ? reason_names[t] : "other";
}

static int name_index(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int report_disposition_parse(const char *name)
{
	return name_index(disposition_names, N_OF(disposition_names), name);
}

int report_reason_parse(const char *name)
{
	return name_index(reason_names, N_OF(reason_names), name);
}

long report_day(time_t t)
{
	return (long)(t / 86400);
}

time_t report_day_start(long day)
{
	return (time_t)day * 86400;
}

/* A copy of s cut to max bytes; NULL stays NULL. */
static char *dup_cut(const char *s, size_t max)
{
	return s == NULL ? NULL : xstrndup(s, max);
}

static char *field(const char *s)
{
	return dup_cut(s != NULL ? s : "", REPORT_MAX_FIELD);
}

/* ---- the record from a verdict ---- */

static const char *policy_text(enum dmarc_policy p)
{
	return p == DMARC_POLICY_QUARANTINE ? "quarantine"
	       : p == DMARC_POLICY_REJECT   ? "reject"
					    : "none";
}

static void record_policy(const struct dmarc_outcome *d, struct report_policy *p)
{
	const struct dmarc_record *r = &d->rec;
	enum dmarc_policy pp = r->policy_fallback ? DMARC_POLICY_NONE : r->p;
	enum dmarc_policy sp = r->sp != DMARC_POLICY_UNSET ? r->sp : pp;
	enum dmarc_policy np = r->np != DMARC_POLICY_UNSET ? r->np : sp;

	p->domain = field(d->policy_domain);
	p->p = xstrdup(policy_text(pp));
	p->sp = xstrdup(policy_text(sp));
	p->np = xstrdup(policy_text(np));
	p->adkim = r->adkim_strict ? 's' : 'r';
	p->aspf = r->aspf_strict ? 's' : 'r';
	p->fo = field(r->fo != NULL ? r->fo : "0");
	p->testing = r->testing;
	p->discovery = xstrdup(dmarc_discovery_name(d->discovery));
	p->rua = dup_cut(r->rua, REPORT_MAX_RUA);
}

static enum report_disposition action_disposition(enum action a)
{
	return a == ACTION_REJECT	? REPORT_DISP_REJECT
	       : a == ACTION_QUARANTINE ? REPORT_DISP_QUARANTINE
					: REPORT_DISP_NONE;
}

static enum report_disposition policy_disposition(enum dmarc_policy p)
{
	return p == DMARC_POLICY_REJECT	      ? REPORT_DISP_REJECT
	       : p == DMARC_POLICY_QUARANTINE ? REPORT_DISP_QUARANTINE
					      : REPORT_DISP_NONE;
}

static void add_reason(struct report_row *row, enum report_reason_type t, char *comment)
{
	if (row->n_reasons == REPORT_MAX_REASONS) {
		free(comment);
		return;
	}
	row->reasons[row->n_reasons].type = t;
	row->reasons[row->n_reasons].comment = comment;
	row->n_reasons++;
}

/* Why the disposition of a failing message is not its published policy. */
static void record_reasons(const struct verdict *v, struct report_row *row)
{
	const struct dmarc_outcome *d = &v->dmarc;

	if (d->rec.testing && d->applied != d->policy)
		add_reason(row, REPORT_REASON_POLICY_TEST_MODE,
			   xstrdup("t=y: the policy is in test"));
	if (d->sampled_out)
		add_reason(
		    row, REPORT_REASON_OTHER,
		    xasprintf("sampled out by pct=%d: the next lower policy applied", d->rec.pct));
	if (v->error != NULL)
		add_reason(
		    row, REPORT_REASON_LOCAL_POLICY,
		    xasprintf("internal error (%s): decided by the local error policy", v->error));
	if (v->override != NULL && strcmp(v->override, "arc") == 0)
		add_reason(
		    row, REPORT_REASON_TRUSTED_FORWARDER,
		    dup_cut(v->arc_ov.comment != NULL ? v->arc_ov.comment : "arc: trusted sealer",
			    REPORT_MAX_FIELD));
	else if (v->override != NULL && strcmp(v->override, "allow_network") == 0)
		add_reason(row, REPORT_REASON_LOCAL_POLICY,
			   xstrdup("allowlist: the sending network is never refused"));
	else if (v->override != NULL && strcmp(v->override, "allow_domain") == 0)
		add_reason(row, REPORT_REASON_LOCAL_POLICY,
			   xstrdup("allowlist: the From domain is never refused"));
	else if (v->override != NULL && strcmp(v->override, "monitor") == 0)
		add_reason(row, REPORT_REASON_LOCAL_POLICY,
			   xstrdup("monitor mode: results recorded, nothing refused"));
	else if (v->error == NULL && row->disposition != policy_disposition(d->applied))
		add_reason(row, REPORT_REASON_LOCAL_POLICY,
			   xasprintf("local policy: %s instead of %s",
				     report_disposition_name(row->disposition),
				     policy_text(d->applied)));
}

/* RFC 9990 2.1.3's classes: 0 strict aligned pass, 1 relaxed aligned
 * pass, 2 other pass, 3 the rest. Relaxed: the signing domain is the
 * From domain's organizational domain or a name under it. */
static int dkim_class(const struct verdict *v, const struct dkimv_sig *s)
{
	const char *org = v->dmarc.org_domain;
	size_t dl, ol;

	if (s->result != DKIMV_PASS)
		return 3;
	if (v->header_from != NULL && strcasecmp(s->domain, v->header_from) == 0)
		return 0;
	if (org == NULL)
		return 2;
	dl = strlen(s->domain);
	ol = strlen(org);
	if (strcasecmp(s->domain, org) == 0 ||
	    (dl > ol && s->domain[dl - ol - 1] == '.' && strcasecmp(s->domain + dl - ol, org) == 0))
		return 1;
	return 2;
}

static void record_dkim(const struct verdict *v, struct report_row *row)
{
	size_t i, n = v->n_dkim < REPORT_MAX_DKIM ? v->n_dkim : REPORT_MAX_DKIM;
	int cls;

	row->dkim = n ? xcalloc(n, sizeof(*row->dkim)) : NULL;
	for (cls = 0; cls < 4; cls++)
		for (i = 0; i < v->n_dkim && row->n_dkim < n; i++) {
			const struct dkimv_sig *s = &v->dkim[i];
			struct report_dkim *d;

			if (dkim_class(v, s) != cls)
				continue;
			d = &row->dkim[row->n_dkim++];
			d->domain = field(s->domain);
			d->selector = field(s->selector);
			d->result = xstrdup(dkimv_result_name(s->result));
		}
}

/* The MAIL FROM domain as SPF checked it (A-label form), "" for <>. */
static char *envelope_domain(const struct verdict *v, const char *mail_from)
{
	const char *at;

	if (mail_from == NULL || *mail_from == '\0')
		return xstrdup("");
	if (v->spf.domain != NULL)
		return field(v->spf.domain);
	at = strrchr(mail_from, '@');
	return field(at != NULL ? at + 1 : mail_from);
}

static void record_row(const struct verdict *v, const char *mail_from, struct report_row *row)
{
	const struct dmarc_outcome *d = &v->dmarc;

	row->source_ip = field(v->client_ip);
	if (d->result == DMARC_RESULT_PASS)
		row->disposition =
		    d->policy == DMARC_POLICY_QUARANTINE || d->policy == DMARC_POLICY_REJECT
			? REPORT_DISP_PASS
			: REPORT_DISP_NONE;
	else
		row->disposition = action_disposition(v->action);
	row->dkim_pass = d->dkim_aligned;
	row->spf_pass = d->spf_aligned;
	if (d->result != DMARC_RESULT_PASS)
		record_reasons(v, row);
	row->header_from = field(v->header_from);
	row->envelope_from = envelope_domain(v, mail_from);
	record_dkim(v, row);
	row->spf_domain = field(v->spf.domain);
	row->spf_result = xstrdup(spf_result_name(v->spf.result));
}

int report_record_from_verdict(const struct verdict *v, const char *mail_from, time_t when,
			       struct report_record *rec, const char **why)
{
	const struct dmarc_outcome *d = &v->dmarc;
	const char *no = NULL;

	memset(rec, 0, sizeof(*rec));
	if (!v->checked || v->skipped)
		no = "not_checked";
	else if (!d->have_record || d->policy_domain == NULL ||
		 (d->result != DMARC_RESULT_PASS && d->result != DMARC_RESULT_FAIL))
		no = "no_policy";
	else if (!rua_usable(d->rec.rua))
		no = "no_rua";
	else if (v->action == ACTION_TEMPFAIL)
		no = "tempfail";
	if (no != NULL) {
		if (why != NULL)
			*why = no;
		return -1;
	}
	rec->day = report_day(when);
	record_policy(d, &rec->policy);
	record_row(v, mail_from, &rec->row);
	return 0;
}

/* ---- memory ---- */

void report_policy_clear(struct report_policy *p)
{
	free(p->domain);
	free(p->p);
	free(p->sp);
	free(p->np);
	free(p->fo);
	free(p->discovery);
	free(p->rua);
	memset(p, 0, sizeof(*p));
}

void report_row_clear(struct report_row *row)
{
	size_t i;

	free(row->source_ip);
	for (i = 0; i < row->n_reasons; i++)
		free(row->reasons[i].comment);
	free(row->header_from);
	free(row->envelope_from);
	for (i = 0; i < row->n_dkim; i++) {
		free(row->dkim[i].domain);
		free(row->dkim[i].selector);
		free(row->dkim[i].result);
	}
	free(row->dkim);
	free(row->spf_domain);
	free(row->spf_result);
	memset(row, 0, sizeof(*row));
}

void report_record_clear(struct report_record *rec)
{
	report_policy_clear(&rec->policy);
	report_row_clear(&rec->row);
}

void report_policy_copy(struct report_policy *dst, const struct report_policy *src)
{
	*dst = *src;
	dst->domain = xstrdup(src->domain);
	dst->p = xstrdup(src->p);
	dst->sp = xstrdup(src->sp);
	dst->np = xstrdup(src->np);
	dst->fo = xstrdup(src->fo);
	dst->discovery = xstrdup(src->discovery);
	dst->rua = xstrdup(src->rua);
}

void report_row_copy(struct report_row *dst, const struct report_row *src)
{
	size_t i;

	*dst = *src;
	dst->source_ip = xstrdup(src->source_ip);
	for (i = 0; i < src->n_reasons; i++)
		dst->reasons[i].comment = xstrdup(src->reasons[i].comment);
	dst->header_from = xstrdup(src->header_from);
	dst->envelope_from = xstrdup(src->envelope_from);
	dst->dkim = src->n_dkim ? xcalloc(src->n_dkim, sizeof(*dst->dkim)) : NULL;
	for (i = 0; i < src->n_dkim; i++) {
		dst->dkim[i].domain = xstrdup(src->dkim[i].domain);
		dst->dkim[i].selector = xstrdup(src->dkim[i].selector);
		dst->dkim[i].result = xstrdup(src->dkim[i].result);
	}
	dst->spf_domain = xstrdup(src->spf_domain);
	dst->spf_result = xstrdup(src->spf_result);
}

/* ---- hashes ---- */

/* Each value is written with its length first, so no two different
 * field lists serialize alike; NULL differs from "". */
static void hash_str(struct strbuf *sb, const char *s)
{
	uint32_t len = s != NULL ? (uint32_t)strlen(s) : UINT32_MAX;

	strbuf_add(sb, &len, sizeof(len));
	if (s != NULL)
		strbuf_add(sb, s, len);
}

static void hash_int(struct strbuf *sb, long v)
{
	int64_t x = v;

	strbuf_add(sb, &x, sizeof(x));
}

static void hash_done(struct strbuf *sb, unsigned char out[REPORT_HASH_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(sb->s != NULL ? sb->s : "", sb->len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen < REPORT_HASH_LEN)
		xalloc_fail(SIZE_MAX); /* a SHA-256 that fails is a broken libcrypto */
	memcpy(out, md, REPORT_HASH_LEN);
	strbuf_free(sb);
}

void report_policy_hash(const struct report_policy *p, unsigned char out[REPORT_HASH_LEN])
{
	struct strbuf sb = STRBUF_INIT;

	hash_str(&sb, p->domain);
	hash_str(&sb, p->p);
	hash_str(&sb, p->sp);
	hash_str(&sb, p->np);
	hash_int(&sb, p->adkim);
	hash_int(&sb, p->aspf);
	hash_str(&sb, p->fo);
	hash_int(&sb, p->testing);
	hash_str(&sb, p->discovery);
	hash_str(&sb, p->rua);
	hash_done(&sb, out);
}

void report_row_hash(const struct report_row *row, unsigned char out[REPORT_HASH_LEN])
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	hash_str(&sb, row->source_ip);
	hash_int(&sb, row->disposition);
	hash_int(&sb, row->dkim_pass);
	hash_int(&sb, row->spf_pass);
	hash_int(&sb, (long)row->n_reasons);
	for (i = 0; i < row->n_reasons; i++) {
		hash_int(&sb, row->reasons[i].type);
		hash_str(&sb, row->reasons[i].comment);
	}
	hash_str(&sb, row->header_from);
	hash_str(&sb, row->envelope_from);
	hash_int(&sb, (long)row->n_dkim);
	for (i = 0; i < row->n_dkim; i++) {
		hash_str(&sb, row->dkim[i].domain);
		hash_str(&sb, row->dkim[i].selector);
		hash_str(&sb, row->dkim[i].result);
	}
	hash_str(&sb, row->spf_domain);
	hash_str(&sb, row->spf_result);
	hash_done(&sb, out);
}
