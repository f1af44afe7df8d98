/*
 * dkim_utf8 - DKIM-Signature fields that hold UTF-8, verified on
 * engine/dsig (see dkim_utf8.h)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/dkim_internal.h"
#include "engine/dkim_utf8.h"
#include "util/idna.h"
#include "util/xalloc.h"

#define DKIMU_FUTURE_SLACK 300 /* seconds a t= may lie ahead of our clock */

struct dkimu_sig {
	size_t k;    /* its position among the DKIM-Signature fields */
	char *value; /* as received */
	struct dsig_tags t;
	bool decided; /* out holds the final result */
	struct dsig_body *body;
	struct dsig_key key;
	enum dsig_rc key_rc;
	struct dkimv_sig out;
};

struct dkimu {
	struct resolver *r;
	struct dkimv_opts opts;
	size_t n_fields; /* DKIM-Signature fields seen */
	struct dkimu_sig *sigs;
	size_t n;
};

struct dkimu *dkimu_new(struct resolver *r, const struct dkimv_opts *opts)
{
	struct dkimu *u = xcalloc(1, sizeof(*u));

	u->r = r;
	u->opts = *opts;
	if (u->opts.max_signatures == 0)
		u->opts.max_signatures = 5;
	if (u->opts.min_key_bits == 0)
		u->opts.min_key_bits = 1024;
	return u;
}

static void dkimu_decide(struct dkimu_sig *s, enum dkimv_result res, const char *why)
{
	s->decided = true;
	s->out.result = res;
	free(s->out.reason);
	s->out.reason = xstrdup(why);
}

/* The report fields every signature has (A-label d=). */
static void dkimu_describe(struct dkimu_sig *s)
{
	const char *d = dsig_tag(&s->t, "d"), *sel = dsig_tag(&s->t, "s"),
		   *a = dsig_tag(&s->t, "a");
	char *al = d != NULL ? idna_to_alabel(d, NULL) : NULL;

	s->out.domain = al != NULL ? al : xstrdup(d != NULL ? d : "");
	s->out.selector = xstrdup(sel != NULL ? sel : "");
	s->out.algorithm = xstrdup(a != NULL ? a : "");
	s->out.b_prefix = dkimv_b_prefix(dsig_tag(&s->t, "b"));
	s->out.body_length = dkimv_body_length(dsig_tag(&s->t, "l"));
}

void dkimu_header(struct dkimu *u, const char *name, const char *value)
{
	struct dkimu_sig *s;
	const char *why = NULL;

	if (strcasecmp(name, "DKIM-Signature") != 0)
		return;
	if (!idna_has_8bit(value) || u->n >= u->opts.max_signatures) {
		u->n_fields++;
		return;
	}
	u->sigs = xrealloc(u->sigs, (u->n + 1) * sizeof(*u->sigs));
	s = &u->sigs[u->n++];
	memset(s, 0, sizeof(*s));
	s->k = u->n_fields++;
	s->value = xstrdup(value);
	if (dsig_tags_parse(value, &s->t, &why) != DSIG_OK) {
		dkimu_describe(s);
		dkimu_decide(s, DKIMV_NEUTRAL, why);
		return;
	}
	dkimu_describe(s);
}

/* The domain of i= ("local@domain" or "@domain") in A-label form, or NULL. */
static char *dkimu_i_domain(const char *i)
{
	const char *at = strrchr(i, '@');

	return idna_to_alabel(at != NULL ? at + 1 : i, NULL);
}

/* i= must be d= or a subdomain of it (RFC 6376 3.5), in A-label form;
 * exactly d= when exact. */
static bool dkimu_i_in_d(const char *i, const char *d, bool exact)
{
	char *ai = dkimu_i_domain(i);
	size_t li, ld = strlen(d);
	bool ok;

	if (ai == NULL)
		return false;
	li = strlen(ai);
	ok = strcmp(ai, d) == 0 ||
	     (!exact && li > ld && ai[li - ld - 1] == '.' && strcmp(ai + li - ld, d) == 0);
	free(ai);
	return ok;
}

/* Whether the colon-separated h= list names From. */
static bool dkimu_h_has_from(const char *h)
{
	char *copy = xstrdup(h), *save = NULL, *p;
	bool found = false;

	for (p = strtok_r(copy, ":", &save); p != NULL && !found; p = strtok_r(NULL, ":", &save)) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		found =
		    strncasecmp(p, "from", 4) == 0 &&
		    (p[4] == '\0' || p[4] == ' ' || p[4] == '\t' || p[4] == '\r' || p[4] == '\n');
	}
	free(copy);
	return found;
}

/* The checks that need no key; false when they decided the result. */
static bool dkimu_check(struct dkimu_sig *s)
{
	static const char *const need[] = {"a", "b", "bh", "d", "h", "s", NULL};
	const char *v = dsig_tag(&s->t, "v"), *i = dsig_tag(&s->t, "i"), *q = dsig_tag(&s->t, "q"),
		   *x = dsig_tag(&s->t, "x"), *ts = dsig_tag(&s->t, "t");
	enum dsig_canon hc, bc;
	const char *const *n;
	long long now = (long long)time(NULL);

	if (v == NULL || strcmp(v, "1") != 0) {
		dkimu_decide(s, DKIMV_NEUTRAL, v == NULL ? "v= missing" : "v= is not 1");
		return false;
	}
	for (n = need; *n != NULL; n++)
		if (dsig_tag(&s->t, *n) == NULL || *dsig_tag(&s->t, *n) == '\0') {
			dkimu_decide(s, DKIMV_NEUTRAL, "a required tag (a b bh d h s) is missing");
			return false;
		}
	if (dsig_parse_alg(dsig_tag(&s->t, "a")) == DSIG_ALG_RSA_SHA1) {
		dkimu_decide(s, DKIMV_POLICY, "rsa-sha1 is not acceptable (RFC 8301)");
		return false;
	}
	if (dsig_parse_alg(dsig_tag(&s->t, "a")) == DSIG_ALG_UNKNOWN ||
	    dsig_parse_canon(dsig_tag(&s->t, "c"), &hc, &bc) != DSIG_OK ||
	    (q != NULL && strcasecmp(q, "dns/txt") != 0)) {
		dkimu_decide(s, DKIMV_NEUTRAL, "unsupported algorithm, canonicalization or query");
		return false;
	}
	if (!dkimu_h_has_from(dsig_tag(&s->t, "h"))) {
		dkimu_decide(s, DKIMV_NEUTRAL, "h= does not include From");
		return false;
	}
	if (dsig_tag(&s->t, "l") != NULL && s->out.body_length < 0) {
		dkimu_decide(s, DKIMV_NEUTRAL, "l= malformed");
		return false;
	}
	if (i != NULL && !dkimu_i_in_d(i, s->out.domain, false)) {
		dkimu_decide(s, DKIMV_NEUTRAL, "i= is not d= or a subdomain of it");
		return false;
	}
	if (x != NULL && ts != NULL && atoll(x) < atoll(ts)) {
		dkimu_decide(s, DKIMV_NEUTRAL, "x= is not later than t=");
		return false;
	}
	if (x != NULL && atoll(x) < now) {
		dkimu_decide(s, DKIMV_PERMERROR, "signature expired (x= is in the past)");
		return false;
	}
	if (ts != NULL && atoll(ts) > now + DKIMU_FUTURE_SLACK) {
		dkimu_decide(s, DKIMV_PERMERROR, "signature time t= is in the future");
		return false;
	}
	return true;
}

void dkimu_eoh(struct dkimu *u)
{
	size_t k;

	for (k = 0; k < u->n; k++) {
		struct dkimu_sig *s = &u->sigs[k];
		enum dsig_canon hc, bc;

		if (s->decided || !dkimu_check(s))
			continue;
		(void)dsig_parse_canon(dsig_tag(&s->t, "c"), &hc, &bc);
		s->body = dsig_body_new(bc, s->out.body_length);
		s->key_rc = dsig_key_fetch(u->r, dsig_tag(&s->t, "s"), dsig_tag(&s->t, "d"),
					   u->opts.min_key_bits, &s->key);
	}
}

void dkimu_body(struct dkimu *u, const unsigned char *buf, size_t len)
{
	size_t k;

	for (k = 0; k < u->n; k++)
		if (u->sigs[k].body != NULL)
			dsig_body_feed(u->sigs[k].body, buf, len);
}

/* The key's verdict, when it decides one. */
static bool dkimu_key(struct dkimu_sig *s)
{
	const char *i = dsig_tag(&s->t, "i");

	if (s->key_rc == DSIG_TEMPFAIL) {
		dkimu_decide(s, DKIMV_TEMPERROR, s->key.why);
		return false;
	}
	if (s->key_rc != DSIG_OK) {
		dkimu_decide(s, s->key.too_small ? DKIMV_POLICY : DKIMV_PERMERROR, s->key.why);
		return false;
	}
	s->out.key_bits = s->key.bits;
	s->out.testing = s->key.testing;
	if (s->key.strict && i != NULL && !dkimu_i_in_d(i, s->out.domain, true)) {
		dkimu_decide(s, DKIMV_PERMERROR, "key t=s forbids an i= in a subdomain of d=");
		return false;
	}
	return true;
}

static void dkimu_verify(struct dkimu_sig *s, const struct dsig_hdr *hdrs, size_t n, bool strict)
{
	unsigned char digest[DSIG_DIGEST_LEN], *bh;
	unsigned long long total = 0;
	struct strbuf in = STRBUF_INIT;
	enum dsig_canon hc, bc;
	const char *why = NULL;
	size_t len = 0;
	bool same;

	dsig_body_final(s->body, digest, &total);
	if (s->out.body_length >= 0 && total > (unsigned long long)s->out.body_length)
		s->out.unsigned_bytes = (long long)(total - (unsigned long long)s->out.body_length);
	if (!dkimu_key(s))
		return;
	bh = dsig_base64(dsig_tag(&s->t, "bh"), &len);
	same = bh != NULL && len == DSIG_DIGEST_LEN && memcmp(bh, digest, len) == 0;
	free(bh);
	if (!same) {
		dkimu_decide(s, DKIMV_FAIL, "body hash did not verify (body changed)");
		return;
	}
	(void)dsig_parse_canon(dsig_tag(&s->t, "c"), &hc, &bc);
	if (dsig_header_input(&in, hc, hdrs, n, dsig_tag(&s->t, "h"), "DKIM-Signature", s->value) !=
		DSIG_OK ||
	    dsig_verify(&s->key, dsig_parse_alg(dsig_tag(&s->t, "a")), in.s, in.len,
			dsig_tag(&s->t, "b"), &why) != DSIG_OK) {
		strbuf_free(&in);
		dkimu_decide(s, DKIMV_FAIL,
			     "signature did not verify (signed header fields changed)");
		return;
	}
	strbuf_free(&in);
	if (strict && s->out.unsigned_bytes > 0) {
		char text[160];

		snprintf(text, sizeof(text),
			 "body extends past l=: %lld of %llu canonical body bytes are not signed",
			 s->out.unsigned_bytes, total);
		dkimu_decide(s, DKIMV_POLICY, text);
		return;
	}
	dkimu_decide(s, DKIMV_PASS,
		     s->key.testing ? "signature verified (UTF-8 field, verified on OpenSSL); key "
				      "in testing mode (t=y)"
				    : "signature verified (UTF-8 field, verified on OpenSSL)");
}

void dkimu_eom(struct dkimu *u, const struct dsig_hdr *hdrs, size_t n)
{
	size_t k;

	for (k = 0; k < u->n; k++)
		if (!u->sigs[k].decided)
			dkimu_verify(&u->sigs[k], hdrs, n, u->opts.body_length_strict);
}

const struct dkimv_sig *dkimu_result(const struct dkimu *u, size_t k)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->sigs[i].k == k && u->sigs[i].decided)
			return &u->sigs[i].out;
	return NULL;
}

void dkimu_free(struct dkimu *u)
{
	size_t k;

	if (u == NULL)
		return;
	for (k = 0; k < u->n; k++) {
		free(u->sigs[k].value);
		dsig_tags_clear(&u->sigs[k].t);
		dsig_body_free(u->sigs[k].body);
		dsig_key_clear(&u->sigs[k].key);
		dkimv_sig_clear(&u->sigs[k].out);
	}
	free(u->sigs);
	free(u);
}
