/*
 * external - may a report about one domain go to a mailbox of another?
 * (see external.h)
 *
 * DESCRIPTION
 *	RFC 9990 section 4, steps 1-9. The destination host is the domain of
 *	a rua address that rua_parse() accepted, so it is already an LDH
 *	name in A-label form; the policy domain is converted to its A-label
 *	form here (step 3) in case a caller has the U-label.
 *
 *	Overrides (step 9): the rua tags of every v=DMARC1 record in the
 *	answer are read together, so the decision does not depend on the
 *	order in which DNS returned them. A rua tag that holds no usable
 *	mailto: URI, or one whose value is not text (a NUL byte), refuses
 *	the destination: the Report Consumer asked for something else than
 *	the original URI, and we cannot tell what.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/external.h"
#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* URIs of an override kept (all are read, so that a URI to another host
 * past this many still refuses the destination). */
#define EXTERNAL_MAX_OVERRIDE 8

bool external_needed(const struct dmarc_ctx *psl, const char *policy_domain, const char *host)
{
	char *a = dmarc_org_domain(psl, policy_domain);
	char *b = dmarc_org_domain(psl, host);
	bool needed = a == NULL || b == NULL || strcmp(a, b) != 0;

	free(a);
	free(b);
	return needed;
}

static bool external_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims whitespace at both ends of (*s, *n), then, as dmarc_record.c
 * does, one trailing backslash (the "p=reject\;" zone file mistake). */
static void external_trim(const char **s, size_t *n)
{
	while (*n > 0 && external_is_ws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && external_is_ws((*s)[*n - 1]))
		(*n)--;
	if (*n > 0 && (*s)[*n - 1] == '\\') {
		(*n)--;
		while (*n > 0 && external_is_ws((*s)[*n - 1]))
			(*n)--;
	}
}

/* The value of the first rua tag of a DMARC record (len bytes, tag name
 * in any case), trimmed; NULL when it has none. */
static const char *external_rua_tag(const char *txt, size_t len, size_t *vlen)
{
	size_t pos = 0;

	while (pos < len) {
		const char *el = txt + pos, *semi = memchr(el, ';', len - pos);
		size_t n = semi ? (size_t)(semi - el) : len - pos;
		const char *eq = memchr(el, '=', n), *tag = el, *v;
		size_t tlen;

		pos += n + 1;
		if (eq == NULL)
			continue;
		tlen = (size_t)(eq - el);
		external_trim(&tag, &tlen);
		if (tlen != 3 || strncasecmp(tag, "rua", 3) != 0)
			continue;
		v = eq + 1;
		*vlen = n - (size_t)(v - el);
		external_trim(&v, vlen);
		return v;
	}
	return NULL;
}

/*
 * Collects the rua tags of the v=DMARC1 records of res into rua (joined
 * by commas). Returns the number of v=DMARC1 records; *bad is set when a
 * rua value holds a NUL byte.
 */
static size_t external_collect(const struct dns_result *res, struct strbuf *rua, bool *has_rua,
			       bool *bad)
{
	size_t i, n = 0;

	for (i = 0; i < res->nrr; i++) {
		const struct dns_rr *rr = &res->rr[i];
		const char *v;
		size_t vlen;

		if (rr->text == NULL || !dmarc_record_is_dmarc(rr->text, rr->text_len))
			continue;
		n++;
		v = external_rua_tag(rr->text, rr->text_len, &vlen);
		if (v == NULL)
			continue;
		*has_rua = true;
		if (memchr(v, '\0', vlen) != NULL)
			*bad = true;
		if (rua->len > 0)
			strbuf_addc(rua, ',');
		strbuf_add(rua, v, vlen);
	}
	return n;
}

/* Step 9: the override, when the records carry rua. */
static void external_override(const struct rua_uri *uri, const char *rua, bool bad,
			      struct external_verdict *ev)
{
	size_t i;

	if (bad) {
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "override rua is not text");
		return;
	}
	if (rua_parse(rua, SIZE_MAX, &ev->override) == 0) {
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "override rua holds no usable mailto: URI");
		return;
	}
	for (i = 0; i < ev->override.n; i++) {
		if (strcasecmp(ev->override.v[i].host, uri->host) != 0) {
			ev->result = EXTERNAL_REFUSED;
			snprintf(ev->why, sizeof(ev->why),
				 "override names another host (%s, not %s)", ev->override.v[i].host,
				 uri->host);
			rua_list_clear(&ev->override);
			return;
		}
	}
	for (i = EXTERNAL_MAX_OVERRIDE; i < ev->override.n; i++) {
		free(ev->override.v[i].uri);
		free(ev->override.v[i].addr);
		free(ev->override.v[i].host);
	}
	if (ev->override.n > EXTERNAL_MAX_OVERRIDE)
		ev->override.n = EXTERNAL_MAX_OVERRIDE;
	snprintf(ev->why, sizeof(ev->why), "authorized by %s, override to %zu URI(s)", uri->host,
		 ev->override.n);
}

/* Steps 5-9 on the answer for name. */
static void external_answer(const struct dns_result *res, const char *name,
			    const struct rua_uri *uri, struct external_verdict *ev)
{
	struct strbuf rua = STRBUF_INIT;
	bool has_rua = false, bad = false;

	switch (res->status) {
	case DNS_TEMPFAIL:
		ev->result = EXTERNAL_TEMPERROR;
		snprintf(ev->why, sizeof(ev->why), "lookup of %s failed: %s", name,
			 res->error ? res->error : "temporary failure");
		return;
	case DNS_BADNAME:
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "name too long for DNS (step 4): %s", name);
		return;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "no record at %s (%s)", name,
			 dns_status_name(res->status));
		return;
	case DNS_OK:
		break;
	}
	if (external_collect(res, &rua, &has_rua, &bad) == 0) {
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "no v=DMARC1 record at %s", name);
	} else if (has_rua) {
		ev->result = EXTERNAL_AUTHORIZED;
		external_override(uri, strbuf_str(&rua), bad, ev);
	} else {
		ev->result = EXTERNAL_AUTHORIZED;
		snprintf(ev->why, sizeof(ev->why), "authorized by %s", name);
	}
	strbuf_free(&rua);
}

void external_check(struct resolver *r, const struct dmarc_ctx *psl, const char *policy_domain,
		    const struct rua_uri *uri, struct external_verdict *ev)
{
	struct dns_result *res;
	const char *why = NULL;
	char *pd, *name;

	memset(ev, 0, sizeof(*ev));
	pd = idna_to_alabel(policy_domain, &why);
	if (pd == NULL) {
		ev->result = EXTERNAL_REFUSED;
		snprintf(ev->why, sizeof(ev->why), "policy domain is not a domain name: %s", why);
		return;
	}
	if (!external_needed(psl, pd, uri->host)) {
		ev->result = EXTERNAL_SAME_ORG;
		snprintf(ev->why, sizeof(ev->why), "%s and %s have one organizational domain", pd,
			 uri->host);
		free(pd);
		return;
	}
	/* Steps 1-4; the resolver answers BADNAME for a name over DNS limits
	 * without sending it. */
	name = xasprintf("%s._report._dmarc.%s", pd, uri->host);
	res = resolver_query(r, name, DNS_T_TXT);
	external_answer(res, name, uri, ev);
	dns_result_free(res);
	free(name);
	free(pd);
}

void external_verdict_clear(struct external_verdict *ev)
{
	if (ev == NULL)
		return;
	rua_list_clear(&ev->override);
	memset(ev, 0, sizeof(*ev));
}

const char *external_result_name(enum external_result res)
{
	switch (res) {
	case EXTERNAL_SAME_ORG:
		return "same-org";
	case EXTERNAL_AUTHORIZED:
		return "authorized";
	case EXTERNAL_REFUSED:
		return "refused";
	case EXTERNAL_TEMPERROR:
		return "temperror";
	}
	return "unknown";
}
