/*
 * authres - write the Authentication-Results field body (RFC 8601)
 *
 * DESCRIPTION
 *	Each result (spf, spf helo, iprev, dkim..., dmarc) is built as a list of
 *	parts ("dkim=pass", "(2048-bit key)", "header.d=example.com", ...),
 *	then authres_fold() lays the parts out on lines of at most
 *	AUTHRES_FOLD_COLUMN characters. Every value from the message goes
 *	through authres_value() (see authres.h for the escaping rules). The
 *	wire names of results are RFC 8601 / RFC 7489 words kept here, so the
 *	header does not change when another module renames its log words.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/authres.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define AR_PARTS_MAX 10
#define AR_FIELD_NAME_LEN 23 /* strlen("Authentication-Results:") */

/* One result being built: the leading parts, then the properties,
 * unquoted ones first (see authres.h on python-authres). */
struct ar_result {
	char *head[AR_PARTS_MAX];
	size_t n_head;
	char *prop[AR_PARTS_MAX];
	bool prop_quoted[AR_PARTS_MAX];
	size_t n_prop;
};

/* A dot-atom of characters that are both atext and token characters. */
static bool ar_is_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
		if (!authres_token_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* RFC 6376 domain-name: sub-domain *("." sub-domain), sub-domain =
 * let-dig [ldh-str]. */
static bool ar_is_domain_name(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0)
		return false;
	for (i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* Whether s can be written without quotes: a token, or (addr: in a
 * property value, not in a reason) [dot-atom] "@" domain-name. */
static bool ar_is_bare(const char *s, size_t n, bool addr)
{
	const char *at = memchr(s, '@', n);
	size_t i, k;

	if (n == 0)
		return false;
	if (!at || !addr) {
		for (i = 0; i < n; i++)
			if (!authres_token_char((unsigned char)s[i]))
				return false;
		return true;
	}
	k = (size_t)(at - s);
	if (k > 0 && !ar_is_dot_atom(s, k))
		return false;
	return ar_is_domain_name(at + 1, n - k - 1);
}

/* s as a value (addr false: RFC 8601 value, for reason=) or a pvalue. */
static char *ar_quote(const char *s, bool addr)
{
	struct strbuf sb = STRBUF_INIT;
	char *clean;
	size_t i, n;

	if (!s)
		s = "";
	n = strnlen(s, AUTHRES_VALUE_MAX);
	clean = xmemdup0(s, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)clean[i];

		if (c < 0x20 || c >= 0x7f)
			clean[i] = '?';
	}
	if (ar_is_bare(clean, n, addr)) {
		strbuf_add(&sb, clean, n);
	} else {
		strbuf_addc(&sb, '"');
		for (i = 0; i < n; i++) {
			if (clean[i] == '"' || clean[i] == '\\')
				strbuf_addc(&sb, '\\');
			strbuf_addc(&sb, clean[i]);
		}
		strbuf_addc(&sb, '"');
	}
	free(clean);
	return strbuf_detach(&sb);
}

char *authres_value(const char *s)
{
	return ar_quote(s, true);
}

/* Adds a part we wrote ourselves (method=result, comment). */
static void ar_head(struct ar_result *r, char *part)
{
	if (r->n_head < AR_PARTS_MAX)
		r->head[r->n_head++] = part;
	else
		free(part);
}

/* Adds "name=value" with value from the message; NULL value: nothing. */
static void ar_prop(struct ar_result *r, const char *name, const char *value)
{
	char *v;

	if (!value || r->n_prop >= AR_PARTS_MAX)
		return;
	v = authres_value(value);
	r->prop_quoted[r->n_prop] = v[0] == '"';
	r->prop[r->n_prop++] = xasprintf("%s=%s", name, v);
	free(v);
}

static void ar_reason(struct ar_result *r, const char *reason)
{
	char *v;

	if (!reason || !*reason)
		return; /* python-authres 1.2.0 rejects reason="" */
	v = ar_quote(reason, false);
	ar_head(r, xasprintf("reason=%s", v));
	free(v);
}

/* The parts of r in output order; frees r's strings into parts[]. */
static size_t ar_parts(struct ar_result *r, char **parts)
{
	size_t n = 0, i;
	int pass;

	for (i = 0; i < r->n_head; i++)
		parts[n++] = r->head[i];
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->n_prop; i++)
			if (r->prop_quoted[i] == (pass == 1))
				parts[n++] = r->prop[i];
	return n;
}

/*
 * Appends result r to out: "\n\t" and its parts, folded with "\n\t\t"
 * when a part would pass the fold column. last: no ";" follows. Frees
 * the parts.
 */
static void authres_fold(struct strbuf *out, struct ar_result *r, bool last)
{
	char *parts[2 * AR_PARTS_MAX];
	size_t n = ar_parts(r, parts), col, i;

	strbuf_adds(out, "\n\t");
	col = 1;
	for (i = 0; i < n; i++) {
		size_t len = strlen(parts[i]) + (i + 1 == n && !last ? 1 : 0);

		if (i > 0) {
			if (col + 1 + len > AUTHRES_FOLD_COLUMN) {
				strbuf_adds(out, "\n\t\t");
				col = 2;
			} else {
				strbuf_addc(out, ' ');
				col++;
			}
		}
		strbuf_adds(out, parts[i]);
		col += strlen(parts[i]);
		free(parts[i]);
	}
	if (!last)
		strbuf_addc(out, ';');
}

/*
 * A result keyword for the header: the module's own name, except that a
 * value outside its enum (which the modules name "unknown") is written as
 * permerror, so the header only ever holds RFC 8601 result keywords.
 */
static const char *ar_result(const char *name)
{
	return strcmp(name, "unknown") == 0 ? "permerror" : name;
}

/* NULL for DMARC_POLICY_UNSET (and anything unknown). */
static const char *ar_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	case DMARC_POLICY_UNSET:
		break;
	}
	return NULL;
}

static void ar_spf(struct ar_result *r, const struct spf_outcome *o, const char *ptype)
{
	const char *id = o->identity ? o->identity : o->domain;

	ar_head(r, xasprintf("spf=%s", ar_result(spf_result_name(o->result))));
	if (o->result != SPF_RESULT_PASS)
		ar_reason(r, o->reason);
	ar_prop(r, ptype, id);
}

/*
 * iprev (RFC 8601 section 3): policy.iprev is the client address checked
 * (RFC 8601 2.7.3, appendix B.4). On pass, the PTR name that maps back is
 * the comment, when it is a host name of letters, digits and hyphens:
 * nothing in it can end the comment.
 */
static void ar_iprev(struct ar_result *r, const struct iprev_outcome *o)
{
	ar_head(r, xasprintf("iprev=%s", ar_result(iprev_result_name(o->result))));
	if (o->result == IPREV_RESULT_PASS && o->name != NULL &&
	    strlen(o->name) <= AUTHRES_VALUE_MAX && ar_is_domain_name(o->name, strlen(o->name)))
		ar_head(r, xasprintf("(%s)", o->name));
	if (o->result != IPREV_RESULT_PASS)
		ar_reason(r, o->reason);
	ar_prop(r, "policy.iprev", o->ip);
}

/* arc (RFC 8617 6): the chain's result (none when there is no chain),
 * the client, header.oldest-pass when it passed. Written for every verdict
 * the engine computed (it sets client_ip). */
static void ar_arc(struct ar_result *r, const struct verdict *v)
{
	const struct arc_outcome *a = &v->arc;
	char n[24];

	ar_head(r, xasprintf("arc=%s", ar_result(arc_result_name(a->result))));
	if (a->result == ARC_FAIL)
		ar_reason(r, a->reason);
	ar_prop(r, "smtp.remote-ip", v->client_ip);
	if (a->result == ARC_PASS) {
		snprintf(n, sizeof(n), "%d", a->oldest_pass);
		ar_prop(r, "header.oldest-pass", n);
	}
}

static void ar_dkim(struct ar_result *r, const struct dkimv_sig *s)
{
	struct strbuf c = STRBUF_INIT;

	ar_head(r, xasprintf("dkim=%s", ar_result(dkimv_result_name(s->result))));
	if (s->key_bits > 0)
		strbuf_addf(&c, "%u-bit key", s->key_bits);
	if (s->testing)
		strbuf_addf(&c, "%stesting", c.len ? ", " : "");
	if (s->body_length >= 0)
		strbuf_addf(&c, "%sl=%ld", c.len ? ", " : "", s->body_length);
	if (s->unsigned_bytes > 0)
		strbuf_addf(&c, ", %lld bytes unsigned", s->unsigned_bytes);
	if (c.len)
		ar_head(r, xasprintf("(%s)", c.s));
	strbuf_free(&c);
	if (s->result != DKIMV_PASS)
		ar_reason(r, s->reason);
	ar_prop(r, "header.d", s->domain);
	ar_prop(r, "header.s", s->selector);
	ar_prop(r, "header.a", s->algorithm);
	ar_prop(r, "header.b", s->b_prefix);
}

static const char *ar_author_words(enum author_status st)
{
	switch (st) {
	case AUTHOR_OK:
		return NULL;
	case AUTHOR_NO_FROM:
		return "no From header";
	case AUTHOR_MULTI_FROM:
		return "multiple From headers";
	case AUTHOR_MULTI_DOMAIN:
		return "From addresses in several domains";
	case AUTHOR_UNPARSEABLE:
		return "unreadable From header";
	}
	return "unreadable From header";
}

/* The dmarc comment: record tags, disposition, discovery method, author
 * trouble. */
static void ar_dmarc_comment(struct ar_result *r, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	const char *words = ar_author_words(v->author), *name;
	struct strbuf c = STRBUF_INIT;

	if (d->have_record) {
		if ((name = ar_policy_name(d->rec.p)))
			strbuf_addf(&c, "p=%s ", name);
		if ((name = ar_policy_name(d->rec.sp)))
			strbuf_addf(&c, "sp=%s ", name);
		if ((name = ar_policy_name(d->rec.np)))
			strbuf_addf(&c, "np=%s ", name);
		strbuf_addf(&c, "pct=%d ", d->rec.pct);
		if (d->rec.testing)
			strbuf_adds(&c, "t=y ");
		name = v->override != NULL && strcmp(v->override, "arc") == 0
			   ? NULL
			   : ar_policy_name(d->applied);
		strbuf_addf(&c, "dis=%s", name ? name : "none");
		/* discovery= starts a second part of the same comment, so the
		 * comment can fold there (FWS inside a comment) */
		ar_head(r, xasprintf("(%s", c.s));
		strbuf_reset(&c);
		strbuf_addf(&c, "discovery=%s", dmarc_discovery_name(d->discovery));
	}
	if (v->arc_ov.instance > 0 && v->arc_ov.sealer != NULL &&
	    ar_is_domain_name(v->arc_ov.sealer, strlen(v->arc_ov.sealer)))
		strbuf_addf(&c, "%sarc override: %s i=%u", c.len ? "; " : "", v->arc_ov.sealer,
			    v->arc_ov.instance);
	if (words)
		strbuf_addf(&c, "%s%s", c.len ? "; " : "", words);
	if (c.len)
		ar_head(r, xasprintf(d->have_record ? "%s)" : "(%s)", c.s));
	strbuf_free(&c);
}

static void ar_dmarc(struct ar_result *r, const struct verdict *v)
{
	const struct dmarc_outcome *d = &v->dmarc;
	const char *from = v->header_from ? v->header_from : d->from_domain;
	const char *pol;

	ar_head(r, xasprintf("dmarc=%s", ar_result(dmarc_result_name(d->result))));
	ar_dmarc_comment(r, v);
	if (d->result != DMARC_RESULT_PASS)
		ar_reason(r, d->reason);
	ar_prop(r, "header.from", from);
	if (d->have_record) {
		pol = ar_policy_name(d->result == DMARC_RESULT_FAIL ? d->applied : d->policy);
		if (pol)
			ar_prop(r, "policy.dmarc", pol);
	}
}

char *authres_format(const char *authserv_id, const struct verdict *v)
{
	struct strbuf out = STRBUF_INIT;
	struct ar_result r;
	size_t i, n_dkim = v->n_dkim < AUTHRES_DKIM_MAX ? v->n_dkim : AUTHRES_DKIM_MAX;
	char *id = ar_quote(authserv_id, false);

	strbuf_addf(&out, " %s;", id);
	free(id);

	memset(&r, 0, sizeof(r));
	ar_spf(&r, &v->spf, "smtp.mailfrom");
	authres_fold(&out, &r, false);

	if (v->spf_helo.identity) {
		memset(&r, 0, sizeof(r));
		ar_spf(&r, &v->spf_helo, "smtp.helo");
		authres_fold(&out, &r, false);
	}

	if (v->iprev.result != IPREV_RESULT_NONE) {
		memset(&r, 0, sizeof(r));
		ar_iprev(&r, &v->iprev);
		authres_fold(&out, &r, false);
	}

	for (i = 0; i < n_dkim; i++) {
		memset(&r, 0, sizeof(r));
		ar_dkim(&r, &v->dkim[i]);
		authres_fold(&out, &r, false);
	}
	if (n_dkim == 0) {
		memset(&r, 0, sizeof(r));
		ar_head(&r, xstrdup("dkim=none"));
		authres_fold(&out, &r, false);
	}

	if (v->client_ip != NULL) { /* a verdict the engine computed */
		memset(&r, 0, sizeof(r));
		ar_arc(&r, v);
		authres_fold(&out, &r, false);
	}

	memset(&r, 0, sizeof(r));
	ar_dmarc(&r, v);
	authres_fold(&out, &r, true);
	return strbuf_detach(&out);
}

char *authres_format_none(const char *authserv_id, const char *why)
{
	char *id = ar_quote(authserv_id, false);
	char *out = xasprintf(" %s; none (%s)", id, why);

	free(id);
	return out;
}
