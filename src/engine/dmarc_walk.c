/*
 * dmarc_walk - the DNS Tree Walk (RFC 9989 4.10; see dmarc_walk.h)
 *
 * DESCRIPTION
 *	One walk is at most DMARC_WALK_MAX lookups of _dmarc.<name> TXT, each
 *	through the shared resolver; nothing is kept between walks except by
 *	the resolver's own answer cache. dmarc_lookup() is the one place a
 *	_dmarc name is asked and its TXT records filtered, for the walk and
 *	for PSL discovery alike.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/dmarc_walk.h"
#include "util/xalloc.h"

#define WALK_MAX_LABELS 128 /* a 253-octet name has at most 127 labels */

enum dmarc_lookup_rc dmarc_lookup(struct resolver *r, const char *domain, char **txt,
				  struct strbuf *why)
{
	char *q = xasprintf("_dmarc.%s", domain);
	struct dns_result *res = resolver_query(r, q, DNS_T_TXT);
	enum dmarc_lookup_rc rc = DMARC_LOOKUP_NONE;
	size_t i, n = 0;

	*txt = NULL;
	if (res->status == DNS_TEMPFAIL) {
		strbuf_addf(why, "DNS lookup of %s failed (%s)", q,
			    res->error ? res->error : "temporary error");
		rc = DMARC_LOOKUP_TEMPFAIL;
	} else if (res->status == DNS_OK) {
		for (i = 0; i < res->nrr; i++) {
			if (!dmarc_record_is_dmarc(res->rr[i].text, res->rr[i].text_len))
				continue;
			if (n++ == 0)
				*txt = xmemdup0(res->rr[i].text, res->rr[i].text_len);
		}
		if (n > 1) {
			free(*txt);
			*txt = NULL;
			strbuf_addf(why, "%zu DMARC records at %s, so none applies", n, q);
			rc = DMARC_LOOKUP_MULTIPLE;
		} else if (n == 1) {
			rc = DMARC_LOOKUP_FOUND;
		}
	}
	dns_result_free(res);
	free(q);
	return rc;
}

/* Where each label of name starts, left to right; returns the count. */
static size_t walk_labels(const char *name, const char *at[WALK_MAX_LABELS])
{
	size_t x = 0;
	const char *p;

	at[x++] = name;
	for (p = name; *p != '\0'; p++)
		if (*p == '.' && p[1] != '\0' && x < WALK_MAX_LABELS)
			at[x++] = p + 1;
	return x;
}

size_t dmarc_walk_names(const char *name, const char *out[DMARC_WALK_MAX])
{
	const char *at[WALK_MAX_LABELS];
	size_t x = walk_labels(name, at), n = 0, keep;

	out[n++] = name;
	/* step 4: one label off, or down to 7 labels for a longer name;
	 * step 7: then one label off at a time */
	for (keep = x - 1 < DMARC_WALK_MAX - 1 ? x - 1 : DMARC_WALK_MAX - 1; keep >= 1; keep--)
		out[n++] = at[x - keep];
	return n;
}

/* 4.10.2: the organizational domain from the records found. */
static char *walk_org(const struct dmarc_walk *w)
{
	const struct dmarc_walk_rec *last;
	const char *at[WALK_MAX_LABELS], *lat[WALK_MAX_LABELS];
	size_t x, k;

	if (w->n_rec == 0)
		return xstrdup(w->start); /* "the initial target domain" */
	last = &w->rec[w->n_rec - 1];
	/* rule 1 (psd=n) and rule 3 (the fewest labels) both name the last
	 * record's domain: the walk stops at the first psd=n or psd=y */
	if (last->psd != DMARC_PSD_Y || strcmp(last->domain, w->start) == 0)
		return xstrdup(last->domain);
	/* rule 2: the name one label below the public suffix domain */
	x = walk_labels(w->start, at);
	k = walk_labels(last->domain, lat);
	return xstrdup(at[x - k - 1]);
}

static void walk_found(struct dmarc_walk *w, const char *domain, char *txt)
{
	struct dmarc_walk_rec *wr = &w->rec[w->n_rec++];

	wr->domain = xstrdup(domain);
	wr->txt = txt;
	wr->psd = dmarc_record_psd(txt, strlen(txt));
}

/* Whether _dmarc.<domain> is a name the resolver sends a query for (the
 * rule of dns_name_valid(), for a normalized domain: labels of 63 octets
 * at most, 253 in all; checked here so that test programs with a resolver
 * of their own need nothing else of resolver.c). */
static bool walk_sendable(const char *domain)
{
	size_t label = 0;
	const char *p;

	if (strlen(domain) + sizeof("_dmarc.") - 1 > 253)
		return false;
	for (p = domain; *p != '\0'; p++) {
		label = *p == '.' ? 0 : label + 1;
		if (label > 63)
			return false;
	}
	return true;
}

void dmarc_walk_run(struct resolver *r, const char *name, struct dmarc_walk *w)
{
	const char *names[DMARC_WALK_MAX];
	struct strbuf why = STRBUF_INIT;
	size_t n, i;

	memset(w, 0, sizeof(*w));
	w->start = dmarc_name_normalize(name);
	if (w->start == NULL)
		return;
	n = dmarc_walk_names(w->start, names);
	for (i = 0; i < n; i++) {
		enum dmarc_lookup_rc rc;
		char *txt;

		if (!walk_sendable(names[i]))
			continue; /* no such name, so no record */
		strbuf_reset(&why);
		w->queries++;
		rc = dmarc_lookup(r, names[i], &txt, &why);
		if (rc == DMARC_LOOKUP_TEMPFAIL) {
			w->tempfail = true;
			w->error = strbuf_detach(&why);
			return;
		}
		if (rc == DMARC_LOOKUP_MULTIPLE && w->multiple == NULL)
			w->multiple = strbuf_detach(&why);
		if (rc != DMARC_LOOKUP_FOUND)
			continue;
		walk_found(w, names[i], txt);
		if (w->rec[w->n_rec - 1].psd != DMARC_PSD_U)
			break; /* steps 2 and 6: psd=y or psd=n ends the walk */
	}
	strbuf_free(&why);
	w->org_domain = walk_org(w);
}

const struct dmarc_walk_rec *dmarc_walk_find(const struct dmarc_walk *w, const char *domain)
{
	size_t i;

	for (i = 0; domain != NULL && i < w->n_rec; i++)
		if (strcmp(w->rec[i].domain, domain) == 0)
			return &w->rec[i];
	return NULL;
}

void dmarc_walk_clear(struct dmarc_walk *w)
{
	size_t i;

	for (i = 0; i < w->n_rec; i++) {
		free(w->rec[i].domain);
		free(w->rec[i].txt);
	}
	free(w->start);
	free(w->error);
	free(w->multiple);
	free(w->org_domain);
	memset(w, 0, sizeof(*w));
}
