/*
 * dmarc - DMARC evaluation: policy discovery, alignment, disposition
 *
 * DESCRIPTION
 *	dmarc_evaluate() follows RFC 7489 6.6.3: TXT at _dmarc.<From domain>,
 *	keep the records that start with v=DMARC1; none -> the same at
 *	_dmarc.<organizational domain> (if different); several -> no policy.
 *	Every DNS answer that could change the outcome and did not arrive
 *	(DNS_TEMPFAIL) makes the result temperror, never "no policy". The
 *	record is parsed (dmarc_record.c), SPF and DKIM identifiers are
 *	aligned (dmarc_org.c), p/sp/np is chosen, and t=y or pct sampling
 *	steps the policy down as documented in dmarc.h. The reason is one
 *	line of plain words, bounded in length.
 *
 *	All DNS goes through the shared resolver (CNAMEs are followed there).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

#include "engine/dmarc.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define REASON_DKIM_LIST 4 /* d= domains named in a reason */

enum lookup_rc { LOOKUP_FOUND, LOOKUP_NONE, LOOKUP_MULTIPLE, LOOKUP_TEMPFAIL };

/* A uniform 0..99 from getrandom(); thread-safe. On a failing kernel call
 * it returns 0, which samples the message in: the full policy applies. */
static unsigned default_rand100(void *arg)
{
	uint32_t v;
	ssize_t n;

	(void)arg;
	for (;;) {
		n = getrandom(&v, sizeof(v), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(v))
			return 0;
		if (v < UINT32_MAX - UINT32_MAX % 100) /* no modulo bias */
			return v % 100;
	}
}

/* Looks up _dmarc.<domain> TXT. LOOKUP_FOUND: *txt is the one record that
 * starts with v=DMARC1 (new string). LOOKUP_TEMPFAIL: *why says why. */
static enum lookup_rc lookup_policy(struct resolver *r, const char *domain, char **txt,
				    struct strbuf *why)
{
	char *q = xasprintf("_dmarc.%s", domain);
	struct dns_result *res = resolver_query(r, q, DNS_T_TXT);
	enum lookup_rc rc = LOOKUP_NONE;
	size_t i, n = 0;

	*txt = NULL;
	if (res->status == DNS_TEMPFAIL) {
		strbuf_addf(why, "DNS lookup of %s failed (%s)", q,
			    res->error ? res->error : "temporary error");
		rc = LOOKUP_TEMPFAIL;
	} else if (res->status == DNS_OK) {
		for (i = 0; i < res->nrr; i++) {
			if (!dmarc_record_is_dmarc(res->rr[i].text, res->rr[i].text_len))
				continue;
			if (n++ == 0)
				*txt = xmemdup0(res->rr[i].text, res->rr[i].text_len);
		}
		if (n > 1) {
			free(*txt);
			*txt = NULL;
			strbuf_addf(why, "%zu DMARC records at %s, so none applies", n, q);
			rc = LOOKUP_MULTIPLE;
		} else if (n == 1) {
			rc = LOOKUP_FOUND;
		}
	}
	dns_result_free(res);
	free(q);
	return rc;
}

/* RFC 9091: the domain does not exist when A, AAAA and MX are NXDOMAIN.
 * 1 exists, 0 does not, -1 temporary failure (why filled). */
static int domain_exists(struct resolver *r, const char *domain, struct strbuf *why)
{
	static const int types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_MX};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_result *res = resolver_query(r, domain, types[i]);
		enum dns_status st = res->status;

		if (st == DNS_TEMPFAIL)
			strbuf_addf(why, "DNS lookup of %s (existence check for np=) failed (%s)",
				    domain, res->error ? res->error : "temporary error");
		dns_result_free(res);
		if (st == DNS_TEMPFAIL)
			return -1;
		if (st == DNS_OK || st == DNS_NODATA)
			return 1;
	}
	return 0;
}

static enum dmarc_policy step_down(enum dmarc_policy p)
{
	if (p == DMARC_POLICY_REJECT)
		return DMARC_POLICY_QUARANTINE;
	return p == DMARC_POLICY_UNSET ? p : DMARC_POLICY_NONE;
}

/* Discovery: fills out->record/policy_domain, or sets the result and
 * reason and returns false. */
static bool discover(const struct dmarc_ctx *dc, struct resolver *r, struct dmarc_outcome *out,
		     struct strbuf *why)
{
	const char *at = out->from_domain;
	enum lookup_rc rc = lookup_policy(r, at, &out->record, why);

	(void)dc;
	if (rc == LOOKUP_NONE && out->org_domain != NULL &&
	    strcmp(out->org_domain, out->from_domain) != 0) {
		at = out->org_domain;
		rc = lookup_policy(r, at, &out->record, why);
	}
	switch (rc) {
	case LOOKUP_FOUND:
		out->policy_domain = xstrdup(at);
		return true;
	case LOOKUP_TEMPFAIL:
		out->result = DMARC_RESULT_TEMPERROR;
		return false;
	case LOOKUP_MULTIPLE:
		out->result = DMARC_RESULT_NONE;
		return false;
	case LOOKUP_NONE:
		break;
	}
	out->result = DMARC_RESULT_NONE;
	if (out->org_domain != NULL && strcmp(out->org_domain, out->from_domain) != 0)
		strbuf_addf(why, "no DMARC record for %s or %s", out->from_domain, out->org_domain);
	else
		strbuf_addf(why, "no DMARC record for %s", out->from_domain);
	return false;
}

static void align_spf(const struct dmarc_ctx *dc, const struct dmarc_input *in,
		      struct dmarc_outcome *out, struct strbuf *why)
{
	const char *mode = out->rec.aspf_strict ? "strict" : "relaxed";

	if (in->spf_result != SPF_RESULT_PASS || in->spf_domain == NULL) {
		strbuf_addf(why, "SPF %s%s%s (does not count)", spf_result_name(in->spf_result),
			    in->spf_domain ? " for " : "", in->spf_domain ? in->spf_domain : "");
		return;
	}
	out->spf_aligned =
	    dmarc_aligned(dc, in->spf_domain, out->from_domain, out->rec.aspf_strict);
	strbuf_addf(why, "SPF domain %s %saligned with %s (%s)", in->spf_domain,
		    out->spf_aligned ? "" : "not ", out->from_domain, mode);
}

static void align_dkim(const struct dmarc_ctx *dc, const struct dmarc_input *in,
		       struct dmarc_outcome *out, struct strbuf *why)
{
	const char *mode = out->rec.adkim_strict ? "strict" : "relaxed";
	size_t i;

	for (i = 0; i < in->n_dkim_pass; i++) {
		const char *d = in->dkim_pass_domains[i];

		if (d != NULL && dmarc_aligned(dc, d, out->from_domain, out->rec.adkim_strict)) {
			out->dkim_aligned = true;
			strbuf_addf(why, "; DKIM d=%s aligned (%s)", d, mode);
			return;
		}
	}
	if (in->n_dkim_pass == 0) {
		strbuf_adds(why, "; no passing DKIM signature");
		return;
	}
	strbuf_adds(why, "; DKIM");
	for (i = 0; i < in->n_dkim_pass && i < REASON_DKIM_LIST; i++)
		strbuf_addf(why, "%s d=%s", i ? "," : "",
			    in->dkim_pass_domains[i] ? in->dkim_pass_domains[i] : "?");
	if (in->n_dkim_pass > REASON_DKIM_LIST)
		strbuf_addf(why, " and %zu more", in->n_dkim_pass - REASON_DKIM_LIST);
	strbuf_addf(why, " not aligned (%s)", mode);
}

/* p for the From domain's own record, else sp (or p); np when the From
 * domain does not exist and np would change the answer. Returns false on a
 * temporary DNS failure of the existence check. */
static bool choose_policy(struct resolver *r, struct dmarc_outcome *out, bool failed,
			  const char **tag, struct strbuf *why)
{
	const struct dmarc_record *rec = &out->rec;
	int ex;

	out->policy = rec->p;
	*tag = "p";
	if (strcmp(out->policy_domain, out->from_domain) == 0)
		return true;
	if (rec->sp != DMARC_POLICY_UNSET) {
		out->policy = rec->sp;
		*tag = "sp";
	}
	if (!failed || rec->np == DMARC_POLICY_UNSET || rec->np == out->policy)
		return true;
	ex = domain_exists(r, out->from_domain, why);
	if (ex < 0)
		return false;
	if (ex == 0) {
		out->policy = rec->np;
		*tag = "np";
	}
	return true;
}

/* t=y or pct sampling: at most one step down in total (see dmarc.h). */
static void apply_policy(const struct dmarc_opts *opts, struct dmarc_outcome *out, const char *tag,
			 struct strbuf *why)
{
	const struct dmarc_record *rec = &out->rec;
	unsigned (*rnd)(void *) = opts && opts->rand100 ? opts->rand100 : default_rand100;
	bool sample = !opts || opts->pct_mode == DMARC_PCT_SAMPLE;
	bool in;

	out->applied = out->policy;
	strbuf_addf(why, "; %s=%s applies", tag, dmarc_policy_name(out->policy));
	if (out->policy == DMARC_POLICY_NONE)
		return;
	if (rec->testing) {
		out->applied = step_down(out->policy);
		strbuf_addf(why, ", t=y (testing): %s", dmarc_policy_name(out->applied));
		return;
	}
	if (!sample || rec->pct >= 100)
		return;
	in = rec->pct > 0 && rnd(opts ? opts->rand_arg : NULL) < (unsigned)rec->pct;
	if (in) {
		strbuf_addf(why, ", sampled in (pct=%d)", rec->pct);
		return;
	}
	out->applied = step_down(out->policy);
	out->sampled_out = true;
	strbuf_addf(why, ", not sampled (pct=%d): %s", rec->pct, dmarc_policy_name(out->applied));
}

/* Discovery's last step: the record found must parse. */
static void parse_record(struct dmarc_outcome *out, struct strbuf *why)
{
	struct am_err err = {""};

	if (dmarc_record_parse(out->record, strlen(out->record), &out->rec, &err) != 0) {
		out->result = DMARC_RESULT_PERMERROR;
		strbuf_addf(why, "DMARC record at _dmarc.%s is unusable: %s", out->policy_domain,
			    err.msg);
		return;
	}
	out->have_record = true;
}

void dmarc_discover(const struct dmarc_ctx *dc, struct resolver *r, const char *from_domain,
		    struct dmarc_outcome *out)
{
	struct strbuf why = STRBUF_INIT;

	memset(out, 0, sizeof(*out));
	out->rec.pct = 100;
	out->result = DMARC_RESULT_NONE;
	out->from_domain = dmarc_name_normalize(from_domain);
	if (out->from_domain == NULL) {
		strbuf_adds(&why, "no usable From domain");
	} else {
		out->org_domain = dmarc_org_domain(dc, out->from_domain);
		if (discover(dc, r, out, &why))
			parse_record(out, &why);
	}
	out->reason = strbuf_detach(&why);
}

bool dmarc_needs_exists(const struct dmarc_outcome *out)
{
	const struct dmarc_record *rec = &out->rec;
	enum dmarc_policy other = rec->sp != DMARC_POLICY_UNSET ? rec->sp : rec->p;

	return out->have_record && strcmp(out->policy_domain, out->from_domain) != 0 &&
	       rec->np != DMARC_POLICY_UNSET && rec->np != other;
}

void dmarc_judge(const struct dmarc_ctx *dc, struct resolver *r, const struct dmarc_opts *opts,
		 const struct dmarc_input *in, struct dmarc_outcome *out)
{
	struct strbuf why = STRBUF_INIT;
	const char *tag = "p";

	if (!out->have_record)
		return; /* discovery said it all */
	free(out->reason);
	out->reason = NULL;
	align_spf(dc, in, out, &why);
	align_dkim(dc, in, out, &why);
	if (out->rec.policy_fallback)
		strbuf_adds(&why,
			    "; record has no valid policy, acting as p=none (RFC 7489 6.6.3)");
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_RESULT_PASS;
		choose_policy(r, out, false, &tag, &why);
		out->applied = DMARC_POLICY_NONE;
		strbuf_adds(&why, "; DMARC pass");
	} else if (!choose_policy(r, out, true, &tag, &why)) {
		out->result = DMARC_RESULT_TEMPERROR;
		out->policy = DMARC_POLICY_UNSET;
	} else {
		out->result = DMARC_RESULT_FAIL;
		if (strcmp(tag, "np") == 0)
			strbuf_addf(&why, "; %s does not exist", out->from_domain);
		apply_policy(opts, out, tag, &why);
	}
	out->reason = strbuf_detach(&why);
}

void dmarc_evaluate(const struct dmarc_ctx *dc, struct resolver *r, const struct dmarc_opts *opts,
		    const struct dmarc_input *in, struct dmarc_outcome *out)
{
	dmarc_discover(dc, r, in != NULL ? in->from_domain : NULL, out);
	dmarc_judge(dc, r, opts, in, out);
}

void dmarc_outcome_clear(struct dmarc_outcome *out)
{
	free(out->from_domain);
	free(out->policy_domain);
	free(out->org_domain);
	free(out->record);
	free(out->reason);
	dmarc_record_clear(&out->rec);
	memset(out, 0, sizeof(*out));
}
