/*
 * arc_trust - may a trusted sealer's testimony stand in for a failed
 * DMARC check (RFC 8617 7.2.1)? (see arc.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/arc.h"
#include "engine/authres.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* d in its A-label form, lower case (new string), or NULL. */
static char *arc_norm(const char *d)
{
	return d != NULL ? idna_to_alabel(d, NULL) : NULL;
}

/* Whether id aligns with the author domain: the same name (strict), or
 * the organizational domain or a name under it (relaxed). */
static bool arc_aligned(const char *id, const char *from, const char *org, bool strict)
{
	char *a = arc_norm(id);
	size_t la, lo;
	bool ok = false;

	if (a == NULL || from == NULL)
		goto out;
	if (strcmp(a, from) == 0) {
		ok = true;
		goto out;
	}
	if (strict || org == NULL)
		goto out;
	la = strlen(a);
	lo = strlen(org);
	ok = strcmp(a, org) == 0 ||
	     (la > lo && a[la - lo - 1] == '.' && strcmp(a + la - lo, org) == 0);
out:
	free(a);
	return ok;
}

/* The domain of "local@domain", "@domain" or "domain". */
static const char *arc_domain_of(const char *v)
{
	const char *at = v != NULL ? strrchr(v, '@') : NULL;

	return at != NULL ? at + 1 : v;
}

/* The evidence in one result that the author domain passed, as
 * "method=pass ptype.property=value", or NULL. */
static char *arc_evidence_one(const struct authres_res *r, const struct arc_trust_in *in)
{
	const char *v = NULL, *what = NULL;

	if (strcasecmp(r->result, "pass") != 0)
		return NULL;
	if (strcasecmp(r->method, "dmarc") == 0) {
		v = authres_prop(r, "header", "from");
		what = "header.from";
		if (v == NULL || !arc_aligned(v, in->from_domain, NULL, true))
			return NULL;
	} else if (strcasecmp(r->method, "spf") == 0) {
		what = "smtp.mailfrom";
		if ((v = authres_prop(r, "smtp", "mailfrom")) == NULL) {
			v = authres_prop(r, "smtp", "mfrom");
			what = "smtp.mfrom";
		}
		if (v == NULL || !arc_aligned(arc_domain_of(v), in->from_domain, in->org_domain,
					      in->aspf_strict))
			return NULL;
	} else if (strcasecmp(r->method, "dkim") == 0) {
		what = "header.d";
		if ((v = authres_prop(r, "header", "d")) == NULL) {
			v = authres_prop(r, "header", "i");
			what = "header.i";
		}
		if (v == NULL || !arc_aligned(arc_domain_of(v), in->from_domain, in->org_domain,
					      in->adkim_strict))
			return NULL;
	} else {
		return NULL;
	}
	return xasprintf("%s=pass %s=%s", r->method, what, v);
}

/* The strongest evidence in one AAR that the author domain passed. */
static char *arc_evidence(const struct authres_parsed *p, const struct arc_trust_in *in)
{
	/* the strongest first: DMARC itself, then DKIM, then SPF */
	static const char *const order[] = {"dmarc", "dkim", "spf"};
	size_t i, o;

	for (o = 0; o < 3; o++)
		for (i = 0; i < p->n; i++) {
			const struct authres_res *r = &p->res[i];
			char *ev;

			if (strcasecmp(r->method, order[o]) == 0 &&
			    (ev = arc_evidence_one(r, in)) != NULL)
				return ev;
		}
	return NULL;
}

/* Whether domain is one of the trusted sealers (exact, any case). */
static bool arc_trusted(const char *domain, const char *const *sealers, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(domain, sealers[i]) == 0)
			return true;
	return false;
}

/* RFC 8617 7.2.2: "arc=pass as[N].d=D as[N].s=S ... remote-ip[1]=IP". */
static char *arc_comment(const struct arc_outcome *arc)
{
	struct strbuf sb = STRBUF_INIT;
	struct authres_parsed p;
	const char *ip = NULL;
	size_t k, i;

	strbuf_adds(&sb, "arc=pass");
	for (k = arc->n_seals; k > 0; k--)
		strbuf_addf(&sb, " as[%u].d=%s as[%u].s=%s", arc->seals[k - 1].instance,
			    arc->seals[k - 1].domain, arc->seals[k - 1].instance,
			    arc->seals[k - 1].selector);
	if (arc->n_seals > 0 && authres_parse(arc->aar[0], &p, true) == 0) {
		for (i = 0; i < p.n && ip == NULL; i++)
			ip = authres_prop(&p.res[i], "smtp", "remote-ip");
		if (ip != NULL)
			strbuf_addf(&sb, " remote-ip[1]=%s", ip);
		authres_parsed_clear(&p);
	}
	return strbuf_detach(&sb);
}

bool arc_trust(const struct arc_outcome *arc, const struct arc_trust_in *in,
	       struct arc_override *out)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	if (arc->result != ARC_PASS || in->from_domain == NULL)
		return false;
	/* newest first; trust ends at the first sealer not trusted */
	for (k = arc->n_seals; k > 0; k--) {
		const struct arc_seal *s = &arc->seals[k - 1];
		struct authres_parsed p;
		char *ev;

		if (!s->valid || !arc_trusted(s->domain, in->sealers, in->n_sealers))
			return false;
		if (authres_parse(arc->aar[k - 1], &p, true) != 0)
			continue;
		ev = arc_evidence(&p, in);
		authres_parsed_clear(&p);
		if (ev != NULL) {
			out->instance = s->instance;
			out->sealer = xstrdup(s->domain);
			out->evidence = ev;
			out->comment = arc_comment(arc);
			return true;
		}
	}
	return false;
}

void arc_override_clear(struct arc_override *o)
{
	free(o->sealer);
	free(o->evidence);
	free(o->comment);
	memset(o, 0, sizeof(*o));
}
