/*
 * iprev - the client's reverse DNS, checked forward (see iprev.h)
 *
 * DESCRIPTION
 *	One PTR lookup, then one A or AAAA lookup per PTR name (at most
 *	IPREV_MAX_NAMES, stopping at the first that maps back), each through
 *	resolver_query(). What the walk over the names saw is counted in a
 *	struct iprev_walk, and iprev_conclude() turns the counts into the
 *	result and its reason.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns/ahead.h"
#include "engine/iprev.h"
#include "util/addr.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* What the forward lookups of the PTR names found. */
struct iprev_walk {
	size_t answered; /* PTR names in the answer */
	size_t looked;	 /* of them, looked at (at most IPREV_MAX_NAMES) */
	size_t invalid;	 /* not valid DNS names: skipped */
	size_t no_addr;	 /* NXDOMAIN or no address record of the family */
	size_t temp;	 /* the address lookup failed temporarily */
	char *temp_name; /* the first of those, and why */
	char *temp_why;
	const char *last; /* the last valid name looked up */
};

const char *iprev_result_name(enum iprev_result res)
{
	static const char *const names[] = {"none", "pass", "fail", "temperror", "permerror"};

	return (unsigned)res < sizeof(names) / sizeof(names[0]) ? names[res] : "unknown";
}

void iprev_outcome_clear(struct iprev_outcome *o)
{
	if (o == NULL)
		return;
	free(o->ip);
	free(o->name);
	free(o->reason);
	memset(o, 0, sizeof(*o));
}

/* The reverse name of a: "1.2.0.192.in-addr.arpa", or its 32 nibbles,
 * lowest first, under ip6.arpa. */
static void iprev_reverse_name(const struct am_addr *a, struct strbuf *qn)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	if (a->family == AM_AF_INET) {
		strbuf_addf(qn, "%u.%u.%u.%u.in-addr.arpa", a->b[3], a->b[2], a->b[1], a->b[0]);
		return;
	}
	for (i = 15; i >= 0; i--)
		strbuf_addf(qn, "%c.%c.", hex[a->b[i] & 15], hex[a->b[i] >> 4]);
	strbuf_adds(qn, "ip6.arpa");
}

/* Whether one of the address records of d is a. */
static bool iprev_maps_back(const struct dns_result *d, const struct am_addr *a)
{
	struct am_addr b;
	size_t i;

	for (i = 0; d->status == DNS_OK && i < d->nrr; i++)
		if (d->rr[i].text != NULL && addr_parse(d->rr[i].text, &b) &&
		    b.family == a->family &&
		    addr_prefix_equal(&b, a, a->family == AM_AF_INET ? 32 : 128))
			return true;
	return false;
}

/* Looks the PTR names up forward until one maps back (out->result pass,
 * out->name that name); counts the rest in w. */
static void iprev_walk_names(struct resolver *r, const struct am_addr *a,
			     const struct dns_result *ptr, struct iprev_outcome *out,
			     struct iprev_walk *w)
{
	int type = a->family == AM_AF_INET ? DNS_T_A : DNS_T_AAAA;
	size_t i;

	w->answered = ptr->nrr;
	w->looked = ptr->nrr < IPREV_MAX_NAMES ? ptr->nrr : IPREV_MAX_NAMES;
	for (i = 0; i < w->looked && out->result != IPREV_RESULT_PASS; i++) {
		const char *name = ptr->rr[i].text != NULL ? ptr->rr[i].text : "";
		struct dns_result *d;

		if (out->name == NULL && name[0] != '\0')
			out->name = xstrdup(name);
		if (!dns_name_valid(name)) {
			w->invalid++;
			continue;
		}
		w->last = name;
		d = resolver_query(r, name, type);
		if (iprev_maps_back(d, a)) {
			free(out->name);
			out->name = xstrdup(name);
			out->result = IPREV_RESULT_PASS;
		} else if (d->status == DNS_TEMPFAIL) {
			if (w->temp++ == 0) {
				w->temp_name = xstrdup(name);
				w->temp_why =
				    xstrdup(d->error != NULL ? d->error : "temporary error");
			}
		} else if (d->status != DNS_OK) {
			w->no_addr++;
		}
		dns_result_free(d);
	}
}

/* The result and reason when no name passed. */
static void iprev_conclude(const struct iprev_walk *w, const char *type, struct iprev_outcome *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t valid = w->looked - w->invalid;

	if (w->temp > 0) {
		out->result = IPREV_RESULT_TEMPERROR;
		strbuf_addf(&sb, "the %s lookup of %s failed temporarily (%s)", type, w->temp_name,
			    w->temp_why);
		if (valid > 1)
			strbuf_addf(&sb, " and no other PTR name maps back to %s", out->ip);
	} else if (valid == 0) {
		out->result = IPREV_RESULT_PERMERROR;
		strbuf_addf(&sb, "the PTR data of %s is unusable: %s a valid DNS name", out->ip,
			    w->looked == 1 ? "its name is not" : "none of its names is");
	} else {
		out->result = IPREV_RESULT_FAIL;
		if (valid == 1 && w->no_addr == 1)
			strbuf_addf(&sb, "%s has no %s record", w->last, type);
		else if (valid == 1)
			strbuf_addf(&sb, "%s does not map back to %s", w->last, out->ip);
		else
			strbuf_addf(&sb, "none of the %zu PTR names maps back to %s", valid,
				    out->ip);
		if (w->invalid > 0)
			strbuf_addf(&sb, " (%zu other%s not a valid DNS name)", w->invalid,
				    w->invalid == 1 ? " is" : "s are");
	}
	if (w->answered > w->looked)
		strbuf_addf(&sb,
			    "; PTR names %zu to %zu of the answer were ignored (at most %d "
			    "are looked up)",
			    w->looked + 1, w->answered, IPREV_MAX_NAMES);
	out->reason = strbuf_detach(&sb);
}

/* Everything after the PTR answer; ptr->status is DNS_OK. */
static void iprev_names(struct resolver *r, const struct am_addr *a, const struct dns_result *ptr,
			struct iprev_outcome *out)
{
	const char *type = a->family == AM_AF_INET ? "A" : "AAAA";
	struct iprev_walk w;

	memset(&w, 0, sizeof(w));
	iprev_walk_names(r, a, ptr, out, &w);
	if (out->result == IPREV_RESULT_PASS)
		out->reason = xasprintf("%s maps back to %s", out->name, out->ip);
	else
		iprev_conclude(&w, type, out);
	free(w.temp_name);
	free(w.temp_why);
}

void iprev_check(struct resolver *r, const char *ip, struct iprev_outcome *out)
{
	char buf[AM_ADDR_STRLEN];
	struct strbuf qn = STRBUF_INIT;
	struct dns_result *ptr;
	struct am_addr a;

	memset(out, 0, sizeof(*out));
	if (ip == NULL || !addr_parse(ip, &a)) {
		out->result = IPREV_RESULT_PERMERROR;
		out->ip = xstrdup(ip != NULL ? ip : "");
		out->reason = xstrdup("the client address is not an IPv4 or IPv6 address");
		return;
	}
	(void)addr_unmap(&a);
	out->ip = xstrdup(addr_format(&a, buf, sizeof(buf)));
	iprev_reverse_name(&a, &qn);
	ptr = resolver_query(r, strbuf_str(&qn), DNS_T_PTR);
	switch (ptr->status) {
	case DNS_OK:
		iprev_names(r, &a, ptr, out);
		break;
	case DNS_TEMPFAIL:
		out->result = IPREV_RESULT_TEMPERROR;
		out->reason = xasprintf("the PTR lookup of %s failed temporarily (%s)", out->ip,
					ptr->error != NULL ? ptr->error : "temporary error");
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		out->result = IPREV_RESULT_PERMERROR;
		out->reason = xasprintf("no PTR record for %s (%s)", out->ip,
					ptr->status == DNS_NXDOMAIN ? "no such name" : "no data");
		break;
	case DNS_BADNAME:
	default:
		out->result = IPREV_RESULT_PERMERROR;
		out->reason = xasprintf("the reverse name of %s cannot be looked up", out->ip);
		break;
	}
	dns_result_free(ptr);
	strbuf_free(&qn);
}

static void iprev_on_ptr(void *arg, struct dns_ahead *a, const struct dns_result *ptr)
{
	const int *type = arg;
	size_t i;

	for (i = 0; ptr->status == DNS_OK && i < ptr->nrr && i < IPREV_MAX_NAMES; i++)
		if (ptr->rr[i].text != NULL)
			dns_ahead_start(a, ptr->rr[i].text, *type, NULL, NULL);
}

void iprev_ahead(struct dns_ahead *a, const char *ip)
{
	struct strbuf qn = STRBUF_INIT;
	struct am_addr addr;
	int *type;

	if (a == NULL || ip == NULL || !addr_parse(ip, &addr))
		return;
	(void)addr_unmap(&addr);
	type = dns_ahead_alloc(a, sizeof(*type));
	*type = addr.family == AM_AF_INET ? DNS_T_A : DNS_T_AAAA;
	iprev_reverse_name(&addr, &qn);
	dns_ahead_start(a, strbuf_str(&qn), DNS_T_PTR, iprev_on_ptr, type);
	strbuf_free(&qn);
}
