/*
 * arc - the Authenticated Received Chain: collecting the sets, checking
 * their structure, and driving the verification (see arc.h)
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/arc_internal.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum arc_kind { ARC_K_NONE, ARC_K_AAR, ARC_K_AMS, ARC_K_AS };

/* i= values read as numbers up to here, so that an instance over
 * arc.max_sets is told from one that is not a number */
#define ARC_INSTANCE_READ 999

struct arcv *arcv_new(struct resolver *r, const struct arc_opts *opts)
{
	struct arcv *a = xcalloc(1, sizeof(*a));

	a->r = r;
	a->opts = *opts;
	if (a->opts.max_sets == 0 || a->opts.max_sets > ARC_MAX_SETS)
		a->opts.max_sets = ARC_MAX_SETS;
	return a;
}

static enum arc_kind arc_kind(const char *name)
{
	if (strcasecmp(name, "ARC-Authentication-Results") == 0)
		return ARC_K_AAR;
	if (strcasecmp(name, "ARC-Message-Signature") == 0)
		return ARC_K_AMS;
	if (strcasecmp(name, "ARC-Seal") == 0)
		return ARC_K_AS;
	return ARC_K_NONE;
}

void arcv_header(struct arcv *a, const char *name, const char *value)
{
	if (a->eoh_done)
		return;
	if (a->n_hdrs == a->cap_hdrs) {
		a->cap_hdrs = a->cap_hdrs ? 2 * a->cap_hdrs : 32;
		a->offs = xrealloc(a->offs, a->cap_hdrs * sizeof(*a->offs));
	}
	a->offs[a->n_hdrs++] = a->arena.len;
	strbuf_add(&a->arena, name, strlen(name) + 1);
	strbuf_add(&a->arena, value, strlen(value) + 1);
	if (arc_kind(name) != ARC_K_NONE)
		a->any_arc = true;
}

/* The chain is decided (fail) before any signature: why is ours. */
static void arc_early(struct arcv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arc_early(struct arcv *a, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (a->early != ARC_NONE)
		return;
	a->early = ARC_FAIL;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(a->why);
	a->why = strbuf_detach(&sb);
}

/* An instance value: digits, 1..max; 0 when it is not one. */
static unsigned arc_instance_value(const char *s, size_t n, unsigned max)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 3)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= max ? (unsigned)v : 0;
}

/* "i=N;" at the start of an AAR: N, and the payload after the ";". */
static unsigned arc_aar_instance(const char *v, unsigned max, const char **payload)
{
	const char *p = v, *d;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != 'i' && *p != 'I')
		return 0;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	if (*p++ != '=')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	for (d = p; *p >= '0' && *p <= '9'; p++)
		;
	max = arc_instance_value(d, (size_t)(p - d), max);
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p != ';')
		return 0;
	*payload = p + 1;
	return max;
}

/* The i= of an AMS or AS header field; 0 when there is none. */
static unsigned arc_sig_instance(const char *value, unsigned max)
{
	struct dsig_tags t;
	const char *i;
	unsigned n = 0;

	if (dsig_tags_parse(value, &t, NULL) != DSIG_OK)
		return 0;
	i = dsig_tag(&t, "i");
	if (i != NULL)
		n = arc_instance_value(i, strlen(i), max);
	dsig_tags_clear(&t);
	return n;
}

/* Step 1 and 3.1-3.2: every ARC field in a set 1..N, one of each. */
static bool arc_collect(struct arcv *a)
{
	unsigned max = ARC_INSTANCE_READ, i, n = 0;
	size_t k;

	a->sets = xcalloc(ARC_MAX_SETS, sizeof(*a->sets));
	for (k = 0; k < ARC_MAX_SETS; k++)
		a->sets[k].aar = a->sets[k].ams = a->sets[k].as = ARC_NO_HDR;
	for (k = 0; k < a->n_hdrs; k++) {
		enum arc_kind kind = arc_kind(a->hdrs[k].name);
		const char *payload;
		struct arc_set *s;

		if (kind == ARC_K_NONE)
			continue;
		i = kind == ARC_K_AAR ? arc_aar_instance(a->hdrs[k].value, max, &payload)
				      : arc_sig_instance(a->hdrs[k].value, max);
		if (i == 0) {
			arc_early(a, "an ARC header field without a valid instance (i=1..%u)",
				  a->opts.max_sets);
			return false;
		}
		if (i > a->opts.max_sets) {
			arc_early(a, "more than arc.max_sets (%u) ARC sets", a->opts.max_sets);
			return false;
		}
		s = &a->sets[i - 1];
		if (kind == ARC_K_AAR && s->n_aar++ == 0)
			s->aar = k;
		else if (kind == ARC_K_AMS && s->n_ams++ == 0)
			s->ams = k;
		else if (kind == ARC_K_AS && s->n_as++ == 0)
			s->as = k;
		if (i > n)
			n = i;
	}
	a->n_sets = n;
	for (i = 1; i <= n; i++) {
		const struct arc_set *s = &a->sets[i - 1];

		if (s->n_aar == 0 || s->n_ams == 0 || s->n_as == 0) {
			arc_early(a, "ARC set %u is missing or incomplete", i);
			return false;
		}
		if (s->n_aar > 1 || s->n_ams > 1 || s->n_as > 1) {
			arc_early(a, "ARC set %u has a header field twice", i);
			return false;
		}
	}
	return true;
}

/* l= of an AMS: -1 absent; -2 malformed. */
static long long arc_length(const struct dsig_tags *t)
{
	const char *l = dsig_tag(t, "l");
	long long v = 0;

	if (l == NULL)
		return -1;
	if (*l == '\0' || strlen(l) > 18)
		return -2;
	for (; *l != '\0'; l++) {
		if (*l < '0' || *l > '9')
			return -2;
		v = v * 10 + (*l - '0');
	}
	return v;
}

/* An x= (signature expiration, RFC 6376 3.5) in the past, or before t=. */
static bool arc_expired(const struct dsig_tags *t)
{
	const char *x = dsig_tag(t, "x"), *ts = dsig_tag(t, "t");
	char *end;
	unsigned long long xv, tv;

	if (x == NULL)
		return false;
	xv = strtoull(x, &end, 10);
	if (*x == '\0' || *end != '\0')
		return true;
	if (ts != NULL && (tv = strtoull(ts, &end, 10), *end == '\0') && xv < tv)
		return true;
	return xv < (unsigned long long)time(NULL);
}

/* Whether the h= list names field (case-insensitive). */
static bool arc_h_has(const char *h, const char *field)
{
	size_t n = strlen(field);
	const char *p = h;

	while (*p != '\0') {
		const char *e;

		while (*p == ':' || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		for (e = p; *e != '\0' && *e != ':' && *e != ' ' && *e != '\t'; e++)
			;
		if ((size_t)(e - p) == n && strncasecmp(p, field, n) == 0)
			return true;
		p = e;
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
	}
	return false;
}

static bool arc_has_tags(const struct dsig_tags *t, const char *const *need)
{
	for (; *need != NULL; need++)
		if (dsig_tag(t, *need) == NULL || *dsig_tag(t, *need) == '\0')
			return false;
	return true;
}

/* Steps 2 and 3.3, and what the signatures need: tags, algorithms. */
static bool arc_check_set(struct arcv *a, unsigned i)
{
	static const char *const as_need[] = {"a", "b", "cv", "d", "s", NULL};
	static const char *const ams_need[] = {"a", "b", "bh", "d", "s", NULL};
	struct arc_set *s = &a->sets[i - 1];
	enum dsig_canon hc, bc;
	const char *cv;

	if (dsig_tags_parse(a->hdrs[s->as].value, &s->as_t, NULL) != DSIG_OK ||
	    dsig_tags_parse(a->hdrs[s->ams].value, &s->ams_t, NULL) != DSIG_OK) {
		arc_early(a, "ARC set %u has a signature field that does not parse", i);
		return false;
	}
	cv = dsig_tag(&s->as_t, "cv");
	if (cv != NULL && strcasecmp(cv, "fail") == 0) {
		arc_early(a, "ARC-Seal %u says cv=fail", i);
		return false;
	}
	if (cv == NULL || strcasecmp(cv, i == 1 ? "none" : "pass") != 0) {
		arc_early(
		    a, i == 1 ? "ARC-Seal %u must say cv=none" : "ARC-Seal %u must say cv=pass", i);
		return false;
	}
	if (dsig_tag(&s->as_t, "h") != NULL) {
		arc_early(a, "ARC-Seal %u has an h= tag (RFC 8617 4.1.3)", i);
		return false;
	}
	if (!arc_has_tags(&s->as_t, as_need) || !arc_has_tags(&s->ams_t, ams_need) ||
	    dsig_tag(&s->ams_t, "h") == NULL) {
		arc_early(a, "ARC set %u lacks a required tag", i);
		return false;
	}
	if (arc_h_has(dsig_tag(&s->ams_t, "h"), "arc-seal")) {
		arc_early(a, "ARC-Message-Signature %u signs an ARC-Seal (RFC 8617 4.1.2)", i);
		return false;
	}
	if (dsig_parse_alg(dsig_tag(&s->as_t, "a")) == DSIG_ALG_RSA_SHA1 ||
	    dsig_parse_alg(dsig_tag(&s->ams_t, "a")) == DSIG_ALG_RSA_SHA1) {
		arc_early(a, "ARC set %u is signed with rsa-sha1 (RFC 8301)", i);
		return false;
	}
	if (dsig_parse_alg(dsig_tag(&s->as_t, "a")) == DSIG_ALG_UNKNOWN ||
	    dsig_parse_alg(dsig_tag(&s->ams_t, "a")) == DSIG_ALG_UNKNOWN ||
	    (dsig_tag(&s->ams_t, "c") != NULL &&
	     dsig_parse_canon(dsig_tag(&s->ams_t, "c"), &hc, &bc) != DSIG_OK)) {
		arc_early(a, "ARC set %u has an unknown algorithm or canonicalization", i);
		return false;
	}
	if (arc_length(&s->ams_t) < -1) {
		arc_early(a, "ARC-Message-Signature %u has a malformed l=", i);
		return false;
	}
	if (arc_expired(&s->ams_t)) {
		arc_early(a, "ARC-Message-Signature %u has expired (x=)", i);
		return false;
	}
	return true;
}

/* The header fields, pointing into the arena (it grows no more). */
static void arc_index(struct arcv *a)
{
	size_t k;

	a->hdrs = xcalloc(a->n_hdrs + 1, sizeof(*a->hdrs));
	for (k = 0; k < a->n_hdrs; k++) {
		a->hdrs[k].name = a->arena.s + a->offs[k];
		a->hdrs[k].value = a->hdrs[k].name + strlen(a->hdrs[k].name) + 1;
	}
}

void arcv_eoh(struct arcv *a)
{
	unsigned i;

	if (a->eoh_done)
		return;
	a->eoh_done = true;
	arc_index(a);
	if (!a->any_arc || !arc_collect(a))
		return;
	for (i = a->n_sets; i >= 1; i--)
		if (!arc_check_set(a, i))
			return;
	for (i = a->n_sets; i >= 1; i--) {
		struct arc_set *s = &a->sets[i - 1];
		enum dsig_canon hc, bc;
		long long l = arc_length(&s->ams_t);

		arc_ams_canon(&s->ams_t, &hc, &bc);
		s->body = l >= -1 ? arc_body_get(a, bc, l) : -1;
		s->as_key = arc_key_get(a, dsig_tag(&s->as_t, "s"), dsig_tag(&s->as_t, "d"));
		s->ams_key = arc_key_get(a, dsig_tag(&s->ams_t, "s"), dsig_tag(&s->ams_t, "d"));
	}
}

void arcv_body(struct arcv *a, const unsigned char *buf, size_t len)
{
	size_t i;

	if (!a->eoh_done)
		arcv_eoh(a);
	for (i = 0; a->early == ARC_NONE && i < a->n_bodies; i++)
		dsig_body_feed(a->bodies[i], buf, len);
}

/* A failure found while verifying: why says what, of which instance. */
static void arc_fail(struct arcv *a, const char *what, unsigned i, enum dsig_rc rc, const char *why)
{
	free(a->why);
	a->why = xasprintf("%s %u: %s", what, i, why);
	a->early = ARC_FAIL;
	if (rc == DSIG_TEMPFAIL) {
		a->dns_error = true;
		free(a->why);
		a->why = xasprintf("%s %u: %s (a DNS error: no ARC override)", what, i, why);
	}
}

/* Steps 4 to 6; out->oldest_pass and the seals' validity. */
static void arc_verify(struct arcv *a, struct arc_outcome *out)
{
	unsigned char digests[ARC_BODY_HASHES * DSIG_DIGEST_LEN];
	unsigned long long totals[ARC_BODY_HASHES];
	const char *why = NULL;
	enum dsig_rc rc;
	unsigned i;
	size_t k;

	for (k = 0; k < a->n_bodies; k++)
		dsig_body_final(a->bodies[k], digests + k * DSIG_DIGEST_LEN, &totals[k]);
	rc = arc_verify_ams(a, a->n_sets, digests, totals, &why);
	if (rc != DSIG_OK) {
		arc_fail(a, "ARC-Message-Signature", a->n_sets, rc, why);
		return;
	}
	out->oldest_pass = 0;
	for (i = a->n_sets - 1; i >= 1; i--)
		if (arc_verify_ams(a, i, digests, totals, &why) != DSIG_OK) {
			out->oldest_pass = (int)i + 1;
			break;
		}
	for (i = a->n_sets; i >= 1; i--) {
		rc = arc_verify_as(a, i, &why);
		if (rc != DSIG_OK) {
			arc_fail(a, "ARC-Seal", i, rc, why);
			return;
		}
		out->seals[i - 1].valid = true;
	}
}

/* The seals and AAR payloads, once the structure is known. */
static void arc_describe(const struct arcv *a, struct arc_outcome *out)
{
	unsigned i;

	out->seals = xcalloc(a->n_sets, sizeof(*out->seals));
	out->aar = xcalloc(a->n_sets, sizeof(*out->aar));
	out->n_seals = a->n_sets;
	for (i = 1; i <= a->n_sets; i++) {
		const struct arc_set *s = &a->sets[i - 1];
		const char *d = dsig_tag(&s->as_t, "d"), *payload = "";
		char *al = d != NULL && idna_has_8bit(d) ? idna_to_alabel(d, NULL) : NULL;

		out->seals[i - 1].instance = i;
		out->seals[i - 1].domain = al != NULL ? al : xstrdup(d != NULL ? d : "");
		out->seals[i - 1].selector = xstrdup(dsig_tag(&s->as_t, "s"));
		out->seals[i - 1].cv = xstrdup(dsig_tag(&s->as_t, "cv"));
		(void)arc_aar_instance(a->hdrs[s->aar].value, ARC_INSTANCE_READ, &payload);
		out->aar[i - 1] = xstrdup(payload);
	}
}

void arcv_eom(struct arcv *a, struct arc_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->oldest_pass = -1;
	if (!a->eoh_done)
		arcv_eoh(a);
	if (!a->any_arc) {
		out->reason = xstrdup("no ARC headers");
		return;
	}
	out->sets = a->n_sets;
	if (a->early == ARC_NONE) {
		arc_describe(a, out);
		arc_verify(a, out);
	}
	if (a->early == ARC_FAIL) {
		out->result = ARC_FAIL;
		out->oldest_pass = -1;
		out->dns_error = a->dns_error;
		out->reason = xstrdup(a->why);
		return;
	}
	out->result = ARC_PASS;
	out->reason = xasprintf("%u ARC set%s, every seal and the newest message signature verify",
				a->n_sets, a->n_sets == 1 ? "" : "s");
}

const struct dsig_hdr *arcv_headers(const struct arcv *a, size_t *n)
{
	*n = a->hdrs != NULL ? a->n_hdrs : 0;
	return a->hdrs;
}

void arcv_free(struct arcv *a)
{
	size_t k;

	if (a == NULL)
		return;
	strbuf_free(&a->arena);
	free(a->offs);
	free(a->hdrs);
	for (k = 0; a->sets != NULL && k < ARC_MAX_SETS; k++) {
		dsig_tags_clear(&a->sets[k].ams_t);
		dsig_tags_clear(&a->sets[k].as_t);
	}
	free(a->sets);
	for (k = 0; k < a->n_bodies; k++)
		dsig_body_free(a->bodies[k]);
	for (k = 0; k < a->n_keys; k++) {
		free(a->keys[k].selector);
		free(a->keys[k].domain);
		dsig_key_clear(&a->keys[k].key);
	}
	free(a->keys);
	free(a->why);
	free(a);
}

void arc_outcome_clear(struct arc_outcome *out)
{
	size_t k;

	for (k = 0; k < out->n_seals; k++) {
		free(out->seals[k].domain);
		free(out->seals[k].selector);
		free(out->seals[k].cv);
		free(out->aar[k]);
	}
	free(out->seals);
	free(out->aar);
	free(out->reason);
	memset(out, 0, sizeof(*out));
}

const char *arc_result_name(enum arc_result r)
{
	switch (r) {
	case ARC_NONE:
		return "none";
	case ARC_PASS:
		return "pass";
	case ARC_FAIL:
		return "fail";
	}
	return "unknown";
}
