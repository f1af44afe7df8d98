/*
 * spf_mech - the SPF mechanisms that query DNS, and the %{p} macro
 *
 * DESCRIPTION
 *	a, mx, ptr and exists (RFC 7208 sections 5.3, 5.4, 5.5, 5.7). The
 *	caller has already counted the term against the 10-term limit and
 *	expanded its target name. Here:
 *	- the term's own lookup that finds nothing (NXDOMAIN or NODATA) is a
 *	  void lookup (4.6.4); the address lookups of MX and PTR names are not;
 *	- a temporary DNS failure is temperror, except on the PTR side of ptr
 *	  and %{p}, where RFC 5.5 says the name is skipped;
 *	- a name the resolver refuses as invalid is a lookup that found
 *	  nothing, not an error (the suite's "invalid-domain" tests);
 *	- more than lim.mx_names MX records is permerror, only the first
 *	  lim.ptr_names PTR names are looked at.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/spf_impl.h"
#include "util/xalloc.h"

static const char *type_name(int type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_MX:
		return "MX";
	case DNS_T_PTR:
		return "PTR";
	default:
		return "TXT";
	}
}

static struct dns_result *query(struct spf_ctx *c, const char *name, int type)
{
	return resolver_query(c->r, name, type);
}

static int temperror(struct spf_ctx *c, const struct dns_result *d, const char *name, int type,
		     enum spf_result *res)
{
	spf_reason(c, "DNS failure looking up %s %s: %s", type_name(type), name,
		   d->error != NULL ? d->error : dns_status_name(d->status));
	*res = SPF_RESULT_TEMPERROR;
	return -1;
}

/* The term's own lookup found nothing: count it; -1 when over the limit. */
static int nothing(struct spf_ctx *c, const struct dns_result *d, const char *name,
		   enum spf_result *res)
{
	if (d->status == DNS_BADNAME)
		return 0;
	return spf_count_void(c, name, res) ? 0 : -1;
}

/* Whether one of the A/AAAA records of a query matches the client within prefix. */
static bool addrs_match(struct spf_ctx *c, const struct dns_result *d, unsigned prefix)
{
	struct am_addr a;
	size_t i;

	for (i = 0; d->status == DNS_OK && i < d->nrr; i++)
		if (addr_from_bytes(d->rr[i].data, d->rr[i].len, &a) &&
		    addr_prefix_equal(&a, &c->ip, prefix))
			return true;
	return false;
}

static int addr_type(const struct spf_ctx *c)
{
	return c->ip.family == AM_AF_INET ? DNS_T_A : DNS_T_AAAA;
}

/* a, or one MX name (own = false: no void counting). */
static int mech_addr(struct spf_ctx *c, const struct spf_term *t, const char *name, bool own,
		     enum spf_result *res)
{
	struct dns_result *d = query(c, name, addr_type(c));
	unsigned prefix = c->ip.family == AM_AF_INET ? t->cidr4 : t->cidr6;
	int ret = 0;

	if (d->status == DNS_TEMPFAIL)
		ret = temperror(c, d, name, addr_type(c), res);
	else if (d->status != DNS_OK)
		ret = own ? nothing(c, d, name, res) : 0;
	else
		ret = addrs_match(c, d, prefix);
	dns_result_free(d);
	return ret;
}

static int mech_mx(struct spf_ctx *c, const struct spf_term *t, const char *target,
		   enum spf_result *res)
{
	struct dns_result *d = query(c, target, DNS_T_MX);
	int ret = 0;
	size_t i;

	if (d->status == DNS_TEMPFAIL) {
		ret = temperror(c, d, target, DNS_T_MX, res);
	} else if (d->status != DNS_OK) {
		ret = nothing(c, d, target, res);
	} else if (d->nrr > c->lim.mx_names) {
		spf_reason(c, "%zu MX records at %s, more than the limit of %u", d->nrr, target,
			   c->lim.mx_names);
		*res = SPF_RESULT_PERMERROR;
		ret = -1;
	}
	for (i = 0; d->status == DNS_OK && ret == 0 && i < d->nrr; i++) {
		const char *mx = d->rr[i].text;

		if (mx != NULL && mx[0] != '\0' && strcmp(mx, ".") != 0) /* null MX */
			ret = mech_addr(c, t, mx, false, res);
	}
	dns_result_free(d);
	return ret;
}

/* name is domain or a subdomain of it (case-insensitive, trailing dots ignored). */
static bool name_within(const char *name, const char *domain)
{
	size_t n = strlen(name), m = strlen(domain);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (m > 0 && domain[m - 1] == '.')
		m--;
	if (n < m || strncasecmp(name + n - m, domain, m) != 0)
		return false;
	return n == m || (m > 0 && name[n - m - 1] == '.');
}

/* A PTR name is validated when one of its addresses is the client's. */
static bool validated(struct spf_ctx *c, const char *name)
{
	struct dns_result *d = query(c, name, addr_type(c));
	bool ok = addrs_match(c, d, c->ip.family == AM_AF_INET ? 32 : 128);

	dns_result_free(d);
	return ok;
}

static struct dns_result *ptr_query(struct spf_ctx *c)
{
	struct strbuf qn = STRBUF_INIT;
	struct dns_result *d;

	spf_ip_nibbles(&c->ip, true, &qn);
	strbuf_adds(&qn, c->ip.family == AM_AF_INET ? ".in-addr.arpa" : ".ip6.arpa");
	d = query(c, strbuf_str(&qn), DNS_T_PTR);
	strbuf_free(&qn);
	return d;
}

static int mech_ptr(struct spf_ctx *c, const char *target, enum spf_result *res)
{
	struct dns_result *d = ptr_query(c);
	int ret = 0;
	size_t i;

	if (d->status == DNS_NXDOMAIN || d->status == DNS_NODATA)
		ret = nothing(c, d, "the client's PTR name", res);
	for (i = 0; d->status == DNS_OK && ret == 0 && i < d->nrr && i < c->lim.ptr_names; i++)
		if (name_within(d->rr[i].text, target) && validated(c, d->rr[i].text))
			ret = 1;
	dns_result_free(d);
	return ret;
}

/*
 * %{p}: a validated name of the client, preferring the domain itself, then
 * a subdomain of it, then any; "unknown" when there is none. Lookups are
 * bounded by ptr_names and done once per domain.
 */
const char *spf_ptr_name(struct spf_ctx *c, const char *domain)
{
	struct dns_result *d;
	const char *best = NULL;
	int rank = 0, r;
	size_t i;

	if (c->p_domain != NULL && strcasecmp(c->p_domain, domain) == 0)
		return c->p_name;
	d = ptr_query(c);
	for (i = 0; d->status == DNS_OK && i < d->nrr && i < c->lim.ptr_names && rank < 3; i++) {
		const char *n = d->rr[i].text;

		r = strcasecmp(n, domain) == 0 ? 3 : name_within(n, domain) ? 2 : 1;
		if (r > rank && validated(c, n)) {
			best = n;
			rank = r;
		}
	}
	free(c->p_domain);
	free(c->p_name);
	c->p_domain = xstrdup(domain);
	c->p_name = xstrdup(best != NULL ? best : "unknown");
	dns_result_free(d);
	return c->p_name;
}

static int mech_exists(struct spf_ctx *c, const char *target, enum spf_result *res)
{
	struct dns_result *d = query(c, target, DNS_T_A);
	int ret;

	if (d->status == DNS_TEMPFAIL)
		ret = temperror(c, d, target, DNS_T_A, res);
	else if (d->status != DNS_OK)
		ret = nothing(c, d, target, res);
	else
		ret = 1;
	dns_result_free(d);
	return ret;
}

int spf_mech_lookup(struct spf_ctx *c, const struct spf_term *t, const char *target,
		    enum spf_result *res)
{
	switch (t->mech) {
	case SPF_MECH_A:
		return mech_addr(c, t, target, true, res);
	case SPF_MECH_MX:
		return mech_mx(c, t, target, res);
	case SPF_MECH_PTR:
		return mech_ptr(c, target, res);
	case SPF_MECH_EXISTS:
		return mech_exists(c, target, res);
	default:
		return 0;
	}
}
