/*
 * dmarc_mock_dns - a canned resolver for the DMARC unit tests
 *
 * Included by exactly one file of a test program: it defines
 * resolver_query() and dns_result_free() themselves, serving the table
 * mock_zone points to, so the DMARC code runs unchanged without a network
 * (the linker then does not pull in resolver.o). A name in the table with
 * another type answers NODATA, a name not in it NXDOMAIN, a DNS_TEMPFAIL
 * entry fails every type. Every query is counted (mock_queries) and
 * logged as "name/type " (mock_log).
 */
#ifndef AM_DMARC_MOCK_DNS_H
#define AM_DMARC_MOCK_DNS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/resolver.h"

struct mock_rr {
	const char *name;
	int type;
	enum dns_status st;
	const char *txt[3];
};

static const struct mock_rr *mock_zone;
static unsigned mock_queries;
static char mock_log[2048];

struct dns_result *resolver_query(struct resolver *r, const char *name, int type)
{
	struct dns_result *res = calloc(1, sizeof(*res));
	const struct mock_rr *m;
	bool name_seen = false;
	size_t n = 0;

	(void)r;
	mock_queries++;
	snprintf(mock_log + strlen(mock_log), sizeof(mock_log) - strlen(mock_log), "%s/%d ", name,
		 type);
	res->status = DNS_NXDOMAIN;
	for (m = mock_zone; m && m->name; m++) {
		if (strcasecmp(m->name, name) != 0)
			continue;
		name_seen = true;
		if (m->type != type && m->st != DNS_TEMPFAIL)
			continue;
		res->status = m->st;
		if (m->st != DNS_OK)
			break;
		while (n < 3 && m->txt[n])
			n++;
		res->rr = calloc(n, sizeof(*res->rr));
		for (res->nrr = 0; res->nrr < n; res->nrr++) {
			res->rr[res->nrr].text = strdup(m->txt[res->nrr]);
			res->rr[res->nrr].text_len = strlen(m->txt[res->nrr]);
		}
		return res;
	}
	if (res->status == DNS_NXDOMAIN && name_seen)
		res->status = DNS_NODATA;
	if (res->status == DNS_TEMPFAIL)
		res->error = strdup("SERVFAIL");
	return res;
}

void dns_result_free(struct dns_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nrr; i++)
		free(res->rr[i].text);
	free(res->rr);
	free(res->error);
	free(res);
}

static void mock_use(const struct mock_rr *zone)
{
	mock_zone = zone;
	mock_queries = 0;
	mock_log[0] = '\0';
}

#define T(name, rec)                     \
	{                                \
		name, DNS_T_TXT, DNS_OK, \
		{                        \
			rec, NULL, NULL  \
		}                        \
	}

#endif
