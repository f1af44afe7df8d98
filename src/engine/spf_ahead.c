/*
 * spf_ahead - an SPF check's lookups, started as soon as its identity is
 * known (see spf.h)
 *
 * DESCRIPTION
 *	At MAIL (or HELO) the sender domain's TXT lookup is started; when
 *	its answer comes, the record is parsed with the check's own parser
 *	and the lookups of its terms are started all at once: include and
 *	redirect targets (whose records go the same way), a and mx targets
 *	(the client's address family), the names of an mx answer, exists
 *	targets. At end of message the check itself runs as it always has,
 *	term by term in record order with its own limits, and finds these
 *	answers waiting (dns/ahead.h); the answers it does not ask for are
 *	only wasted lookups.
 *
 *	Bounds: at most lim->dns_mechanisms DNS-querying terms are started
 *	for one check, counted in the order they are found, and at most
 *	lim->mx_names names per mx answer; include and redirect are followed
 *	to SPF_MAX_DEPTH. Terms whose domain-spec uses %{p} (which needs its
 *	own lookups), ptr and exp= are left to the check.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns/ahead.h"
#include "engine/spf.h"
#include "engine/spf_impl.h"
#include "util/addr.h"
#include "util/xalloc.h"

/* One check's lookahead, in the set's memory. */
struct spf_ahead {
	struct spf_ctx c; /* what macro expansion reads: ip, sender, helo */
	unsigned terms;	  /* DNS-querying terms started */
	int addr_type;	  /* DNS_T_A or DNS_T_AAAA: the client's family */
};

/* A TXT lookup of check_host(domain) at depth. */
struct spf_ahead_txt {
	struct spf_ahead *s;
	char *domain;
	unsigned depth;
};

static char *ahead_strdup(struct dns_ahead *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(dns_ahead_alloc(a, n), s, n);
}

static void ahead_txt(struct dns_ahead *a, struct spf_ahead *s, const char *domain, unsigned depth);

static void on_mx(void *arg, struct dns_ahead *a, const struct dns_result *res)
{
	struct spf_ahead *s = arg;
	size_t i;

	for (i = 0; res->status == DNS_OK && i < res->nrr && i < s->c.lim.mx_names; i++)
		if (res->rr[i].text != NULL)
			dns_ahead_start(a, res->rr[i].text, s->addr_type, NULL, NULL);
}

/* The target of a term or redirect= at domain, or NULL when it is left to
 * the check (a %{p} macro, an expansion error). */
static char *ahead_target(struct spf_ahead *s, const char *domain, const char *spec)
{
	if (spec == NULL)
		return xstrdup(domain);
	if (strstr(spec, "%{p") != NULL || strstr(spec, "%{P") != NULL)
		return NULL;
	return spf_macro_expand(&s->c, domain, spec, SPF_MACRO_DOMAIN);
}

static void ahead_term(struct dns_ahead *a, struct spf_ahead *s, const char *domain,
		       const struct spf_term *t, unsigned depth)
{
	char *target;

	if (t->mech == SPF_MECH_ALL || t->mech == SPF_MECH_IP4 || t->mech == SPF_MECH_IP6)
		return;
	if (s->terms >= s->c.lim.dns_mechanisms)
		return;
	s->terms++;
	if (t->mech == SPF_MECH_PTR || (target = ahead_target(s, domain, t->spec)) == NULL)
		return;
	switch (t->mech) {
	case SPF_MECH_INCLUDE:
		ahead_txt(a, s, target, depth + 1);
		break;
	case SPF_MECH_A:
		dns_ahead_start(a, target, s->addr_type, NULL, NULL);
		break;
	case SPF_MECH_MX:
		dns_ahead_start(a, target, DNS_T_MX, on_mx, s);
		break;
	case SPF_MECH_EXISTS:
		dns_ahead_start(a, target, DNS_T_A, NULL, NULL);
		break;
	default:
		break;
	}
	free(target);
}

static void on_txt(void *arg, struct dns_ahead *a, const struct dns_result *res)
{
	struct spf_ahead_txt *q = arg;
	struct spf_record rec;
	struct strbuf why = STRBUF_INIT;
	const struct dns_rr *found = NULL;
	size_t i, n = 0;
	char *target;

	for (i = 0; res->status == DNS_OK && i < res->nrr; i++)
		if (spf_record_is_spf(res->rr[i].text, res->rr[i].text_len)) {
			found = &res->rr[i];
			n++;
		}
	if (n != 1 || !spf_record_parse(found->text, found->text_len, &rec, &why)) {
		strbuf_free(&why);
		return;
	}
	for (i = 0; i < rec.n; i++)
		ahead_term(a, q->s, q->domain, &rec.terms[i], q->depth);
	if (rec.redirect != NULL && q->s->terms < q->s->c.lim.dns_mechanisms) {
		q->s->terms++;
		target = ahead_target(q->s, q->domain, rec.redirect);
		if (target != NULL)
			ahead_txt(a, q->s, target, q->depth + 1);
		free(target);
	}
	spf_record_free(&rec);
	strbuf_free(&why);
}

static void ahead_txt(struct dns_ahead *a, struct spf_ahead *s, const char *domain, unsigned depth)
{
	struct spf_ahead_txt *q;

	if (depth > SPF_MAX_DEPTH)
		return;
	q = dns_ahead_alloc(a, sizeof(*q));
	q->s = s;
	q->domain = ahead_strdup(a, domain);
	q->depth = depth;
	dns_ahead_start(a, domain, DNS_T_TXT, on_txt, q);
}

/* As spf_run() sets up a check of local@domain. */
static void ahead_run(struct dns_ahead *a, const struct spf_limits *lim, const char *ip,
		      const char *local, const char *domain, const char *helo, const char *receiver)
{
	static const struct spf_limits defaults = SPF_LIMITS_DEFAULT;
	const char *why = NULL;
	char *dom = spf_alabel(domain, &why), *helo_a = NULL;
	struct spf_ahead *s;

	if (dom == NULL || dom[0] == '\0' || ip == NULL)
		goto out;
	s = dns_ahead_alloc(a, sizeof(*s));
	if (!addr_parse(ip, &s->c.ip))
		goto out;
	addr_unmap(&s->c.ip);
	s->c.lim = lim != NULL ? *lim : defaults;
	s->addr_type = s->c.ip.family == AM_AF_INET ? DNS_T_A : DNS_T_AAAA;
	s->c.sender = dns_ahead_alloc(a, strlen(local) + strlen(dom) + 2);
	strcpy((char *)s->c.sender, local);
	strcat((char *)s->c.sender, "@");
	strcat((char *)s->c.sender, dom);
	if (strlen(s->c.sender) > SPF_MAX_IDENTITY)
		goto out;
	s->c.local = ahead_strdup(a, local);
	s->c.sender_domain = ahead_strdup(a, dom);
	if (helo != NULL)
		helo_a = spf_alabel(helo, &why);
	s->c.helo = helo_a != NULL ? ahead_strdup(a, helo_a)
		    : helo != NULL ? ahead_strdup(a, helo)
				   : NULL;
	s->c.receiver = receiver != NULL ? ahead_strdup(a, receiver) : NULL;
	ahead_txt(a, s, dom, 0);
out:
	free(helo_a);
	free(dom);
}

void spf_ahead_mailfrom(struct dns_ahead *a, const struct spf_limits *lim, const char *ip,
			const char *mailfrom, const char *helo, const char *receiver)
{
	const char *local, *domain;
	char *buf;

	if (a == NULL)
		return;
	spf_mailfrom_identity(mailfrom, helo, &buf, &local, &domain);
	if (domain != NULL)
		ahead_run(a, lim, ip, local, domain, helo, receiver);
	free(buf);
}

void spf_ahead_helo(struct dns_ahead *a, const struct spf_limits *lim, const char *ip,
		    const char *helo, const char *receiver)
{
	if (a != NULL && helo != NULL)
		ahead_run(a, lim, ip, "postmaster", helo, helo, receiver);
}
