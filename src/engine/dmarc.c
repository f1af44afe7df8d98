/*
 * dmarc - DMARC evaluation: policy discovery, alignment, disposition
 *
 * DESCRIPTION
 *	Discovery by the public suffix list follows RFC 7489 6.6.3: TXT at
 *	_dmarc.<From domain>, keep the records that start with v=DMARC1;
 *	none -> the same at _dmarc.<organizational domain> (if different);
 *	several -> no policy. Discovery by tree walk (RFC 9989 4.10.1) takes
 *	the From domain's walk (dmarc_walk.c): its own record if it has one,
 *	else the record of the organizational domain the walk gives, else the
 *	public suffix domain's (psd=y). Every DNS answer that could change the
 *	outcome and did not arrive (DNS_TEMPFAIL) makes the result temperror,
 *	never "no policy". The record is parsed (dmarc_record.c), SPF and DKIM
 *	identifiers are aligned (dmarc_org.c for PSL; tree walks from the
 *	identifiers here), p/sp/np is chosen, and t=y or pct sampling steps
 *	the policy down as documented in dmarc.h. The reason is one line of
 *	plain words, bounded in length.
 *
 *	A tree walk for alignment that fails temporarily leaves that
 *	identifier's alignment unknown: if nothing else aligned, the result
 *	is fail with align_temperror set, which policy.c treats as it treats
 *	an SPF or DKIM temperror of an identity that could have aligned.
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
#include "engine/dmarc_walk.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define REASON_DKIM_LIST 4 /* d= domains named in a reason */

/* What judging needs to align identifiers under either method. */
struct align_ctx {
	const struct dmarc_ctx *dc;
	struct resolver *r;
	struct dmarc_outcome *out;
	bool org_retried;	 /* the From domain's walk was redone (treewalk) */
	struct strbuf org_error; /* why it failed again */
};

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

/* PSL discovery (RFC 7489 6.6.3): fills out->record/policy_domain, or sets
 * the result and reason and returns false. */
static bool discover_psl(const struct dmarc_ctx *dc, struct resolver *r, struct dmarc_outcome *out,
			 struct strbuf *why)
{
	const char *at = out->from_domain;
	enum dmarc_lookup_rc rc;

	out->org_domain = dmarc_org_domain(dc, out->from_domain);
	rc = dmarc_lookup(r, at, &out->record, why);
	if (rc == DMARC_LOOKUP_NONE && out->org_domain != NULL &&
	    strcmp(out->org_domain, out->from_domain) != 0) {
		at = out->org_domain;
		rc = dmarc_lookup(r, at, &out->record, why);
	}
	switch (rc) {
	case DMARC_LOOKUP_FOUND:
		out->policy_domain = xstrdup(at);
		return true;
	case DMARC_LOOKUP_TEMPFAIL:
		out->result = DMARC_RESULT_TEMPERROR;
		return false;
	case DMARC_LOOKUP_MULTIPLE:
		out->result = DMARC_RESULT_NONE;
		return false;
	case DMARC_LOOKUP_NONE:
		break;
	}
	out->result = DMARC_RESULT_NONE;
	if (out->org_domain != NULL && strcmp(out->org_domain, out->from_domain) != 0)
		strbuf_addf(why, "no DMARC record for %s or %s", out->from_domain, out->org_domain);
	else
		strbuf_addf(why, "no DMARC record for %s", out->from_domain);
	return false;
}

/* Tree walk discovery (RFC 9989 4.10.1): the From domain's own record,
 * whatever the rest of the walk met; else the organizational domain's,
 * else the public suffix domain's. The walk goes on past the From
 * domain's own record, for its organizational domain. */
static bool discover_walk(struct resolver *r, struct dmarc_outcome *out, struct strbuf *why)
{
	const struct dmarc_walk_rec *use = NULL;
	struct dmarc_walk w;

	dmarc_walk_run(r, out->from_domain, &w);
	if (w.org_domain != NULL)
		out->org_domain = xstrdup(w.org_domain);
	if (w.n_rec > 0 && strcmp(w.rec[0].domain, out->from_domain) == 0) {
		use = &w.rec[0];
	} else if (w.tempfail) {
		out->result = DMARC_RESULT_TEMPERROR;
		strbuf_adds(why, w.error);
	} else if (w.n_rec > 0) {
		use = dmarc_walk_find(&w, w.org_domain);
		if (use == NULL) /* psd=y, no record below it: the PSD's own */
			use = &w.rec[w.n_rec - 1];
	} else {
		out->result = DMARC_RESULT_NONE;
		if (w.multiple != NULL)
			strbuf_addf(why, "%s; ", w.multiple);
		strbuf_addf(why,
			    "no DMARC record for %s or a parent domain (tree walk, %u lookups)",
			    out->from_domain, w.queries);
	}
	if (use != NULL) {
		out->record = xstrdup(use->txt);
		out->policy_domain = xstrdup(use->domain);
	}
	dmarc_walk_clear(&w);
	return use != NULL;
}

/* name is parent or one of its subdomains (both normalized). */
static bool name_within(const char *name, const char *parent)
{
	size_t n = strlen(name), p = strlen(parent);

	return n >= p && strcmp(name + n - p, parent) == 0 && (n == p || name[n - p - 1] == '.');
}

/* a and b end with the same label, so some name could be both's
 * organizational domain (both normalized). */
static bool same_top(const char *a, const char *b)
{
	const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	return strcmp(ta ? ta + 1 : a, tb ? tb + 1 : b) == 0;
}

/* Relaxed alignment by tree walks (RFC 9989 4.10.2) of id (normalized, not
 * the From domain): 1 aligned, 0 not, -1 unknown (err says why). An
 * organizational domain is the name itself or a parent of it, so only an
 * identifier within the From domain's organizational domain can align. */
static int align_walk(struct align_ctx *ac, const char *id, struct strbuf *err)
{
	struct dmarc_outcome *out = ac->out;
	struct dmarc_walk w;
	int rc;

	if (out->org_domain == NULL) { /* discovery's walk met a temporary failure */
		if (!same_top(id, out->from_domain))
			return 0;
		if (!ac->org_retried) {
			ac->org_retried = true;
			dmarc_walk_run(ac->r, out->from_domain, &w);
			strbuf_adds(&ac->org_error, w.error ? w.error : "");
			out->org_domain = w.org_domain;
			w.org_domain = NULL;
			dmarc_walk_clear(&w);
		}
		if (out->org_domain == NULL) {
			strbuf_adds(err, strbuf_str(&ac->org_error));
			return -1;
		}
	}
	if (strcmp(id, out->org_domain) == 0)
		return 1; /* the organizational domain is its own (as B.4.2 reads it) */
	if (!name_within(id, out->org_domain))
		return 0;
	dmarc_walk_run(ac->r, id, &w);
	if (w.tempfail)
		strbuf_adds(err, w.error);
	rc = w.tempfail ? -1 : strcmp(w.org_domain, out->org_domain) == 0;
	dmarc_walk_clear(&w);
	return rc;
}

/* One identifier against the From domain: 1 aligned, 0 not, -1 unknown. */
static int align_one(struct align_ctx *ac, const char *id, bool strict, struct strbuf *err)
{
	char *n;
	int rc;

	if (ac->out->discovery == DMARC_DISCOVERY_PSL)
		return dmarc_aligned(ac->dc, id, ac->out->from_domain, strict);
	n = dmarc_name_normalize(id);
	if (n == NULL)
		rc = 0;
	else if (strcmp(n, ac->out->from_domain) == 0)
		rc = 1;
	else
		rc = strict ? 0 : align_walk(ac, n, err);
	free(n);
	if (rc < 0)
		ac->out->align_temperror = true;
	return rc;
}

static void align_spf(struct align_ctx *ac, const struct dmarc_input *in, struct strbuf *why)
{
	struct dmarc_outcome *out = ac->out;
	const char *mode = out->rec.aspf_strict ? "strict" : "relaxed";
	struct strbuf err = STRBUF_INIT;
	int rc;

	if (in->spf_result != SPF_RESULT_PASS || in->spf_domain == NULL) {
		strbuf_addf(why, "SPF %s%s%s (does not count)", spf_result_name(in->spf_result),
			    in->spf_domain ? " for " : "", in->spf_domain ? in->spf_domain : "");
		return;
	}
	rc = align_one(ac, in->spf_domain, out->rec.aspf_strict, &err);
	out->spf_aligned = rc == 1;
	if (rc < 0)
		strbuf_addf(why, "SPF domain %s: alignment with %s unknown (%s)", in->spf_domain,
			    out->from_domain, strbuf_str(&err));
	else
		strbuf_addf(why, "SPF domain %s %saligned with %s (%s)", in->spf_domain,
			    out->spf_aligned ? "" : "not ", out->from_domain, mode);
	strbuf_free(&err);
}

static void align_dkim(struct align_ctx *ac, const struct dmarc_input *in, struct strbuf *why)
{
	struct dmarc_outcome *out = ac->out;
	const char *mode = out->rec.adkim_strict ? "strict" : "relaxed";
	struct strbuf err = STRBUF_INIT, unknown = STRBUF_INIT;
	size_t i;

	for (i = 0; i < in->n_dkim_pass; i++) {
		const char *d = in->dkim_pass_domains[i];
		int rc = d != NULL ? align_one(ac, d, out->rec.adkim_strict, &err) : 0;

		if (rc == 1) {
			out->dkim_aligned = true;
			strbuf_addf(why, "; DKIM d=%s aligned (%s)", d, mode);
			strbuf_free(&err);
			strbuf_free(&unknown);
			return;
		}
		if (rc < 0 && unknown.len == 0)
			strbuf_addf(&unknown, "; DKIM d=%s: alignment unknown (%s)", d,
				    strbuf_str(&err));
		strbuf_reset(&err);
	}
	strbuf_free(&err);
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
	strbuf_adds(why, strbuf_str(&unknown));
	strbuf_free(&unknown);
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
	out->discovery = dmarc_ctx_discovery(dc);
	out->from_domain = dmarc_name_normalize(from_domain);
	if (out->from_domain == NULL) {
		strbuf_adds(&why, "no usable From domain");
	} else if (out->discovery == DMARC_DISCOVERY_PSL ? discover_psl(dc, r, out, &why)
							 : discover_walk(r, out, &why)) {
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

bool dmarc_could_align(const struct dmarc_ctx *dc, const struct dmarc_outcome *out, const char *id,
		       bool strict)
{
	char *n;
	bool could;

	if (out->discovery == DMARC_DISCOVERY_PSL || out->from_domain == NULL)
		return dmarc_aligned(dc, id, out->from_domain, strict);
	n = dmarc_name_normalize(id);
	if (n == NULL)
		return false;
	if (strcmp(n, out->from_domain) == 0)
		could = true;
	else if (strict)
		could = false;
	else if (out->org_domain != NULL)
		could = name_within(n, out->org_domain);
	else
		could = same_top(n, out->from_domain);
	free(n);
	return could;
}

void dmarc_judge(const struct dmarc_ctx *dc, struct resolver *r, const struct dmarc_opts *opts,
		 const struct dmarc_input *in, struct dmarc_outcome *out)
{
	struct align_ctx ac = {dc, r, out, false, STRBUF_INIT};
	struct strbuf why = STRBUF_INIT;
	const char *tag = "p";

	if (!out->have_record)
		return; /* discovery said it all */
	free(out->reason);
	out->reason = NULL;
	align_spf(&ac, in, &why);
	align_dkim(&ac, in, &why);
	strbuf_free(&ac.org_error);
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
