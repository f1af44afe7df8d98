/*
 * external - may a report about one domain go to a mailbox of another?
 *
 * SYNOPSIS
 *	struct external_verdict ev;
 *	external_check(resolver, psl, "example.com", &uri, &ev);
 *	switch (ev.result) { ... }
 *	external_verdict_clear(&ev);
 *
 * DESCRIPTION
 *	RFC 9990 section 4. When the organizational domain of the rua host
 *	differs from that of the policy domain (or either has none), the
 *	report may go there only if a TXT record at
 *	<policy-domain>._report._dmarc.<rua-host> (the wildcard
 *	*._report._dmarc.<rua-host> answers through DNS itself) starts with
 *	v=DMARC1. Organizational domains come from the public suffix list
 *	(dmarc_org_domain()).
 *
 *	Results:
 *	 EXTERNAL_SAME_ORG     no check needed: send to uri.
 *	 EXTERNAL_AUTHORIZED   a v=DMARC1 record was found: send. When it
 *	                       carries rua= whose URIs (rua.h rules) all have
 *	                       the same host as uri, they replace uri
 *	                       (override holds them, override.n > 0); when
 *	                       any of them names another host, nothing is
 *	                       sent to either (EXTERNAL_REFUSED). The rua
 *	                       tags of all v=DMARC1 records of the answer
 *	                       are read together (the answer's order does
 *	                       not matter); at most 8 URIs are kept.
 *	 EXTERNAL_REFUSED      not authorized: no record (NXDOMAIN, NODATA,
 *	                       no v=DMARC1 text), the name too long for DNS
 *	                       (BADNAME: no query is sent), an override to
 *	                       another host, or a rua= override that holds
 *	                       no usable mailto: URI (the Report Consumer
 *	                       asked for something else than uri, and we
 *	                       cannot tell what). Never send.
 *	 EXTERNAL_TEMPERROR    the lookup failed temporarily: decide on a
 *	                       later run; never send now.
 *	why says in plain words what decided it (for the log).
 */
#ifndef AM_REPORT_EXTERNAL_H
#define AM_REPORT_EXTERNAL_H

#include "dns/resolver.h"
#include "engine/dmarc.h"
#include "report/rua.h"

enum external_result {
	EXTERNAL_SAME_ORG = 0,
	EXTERNAL_AUTHORIZED,
	EXTERNAL_REFUSED,
	EXTERNAL_TEMPERROR,
};

struct external_verdict {
	enum external_result result;
	struct rua_list override; /* replacement URIs (n == 0: none) */
	char why[256];
};

/* Whether the organizational domains of policy_domain and host differ
 * (true also when either has none): the DNS check is needed. */
bool external_needed(const struct dmarc_ctx *psl, const char *policy_domain, const char *host);
void external_check(struct resolver *r, const struct dmarc_ctx *psl, const char *policy_domain,
		    const struct rua_uri *uri, struct external_verdict *ev);
void external_verdict_clear(struct external_verdict *ev);
const char *external_result_name(enum external_result res);

#endif
