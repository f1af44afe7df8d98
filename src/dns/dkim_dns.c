/*
 * dkim_dns - libopendkim's key lookups through the shared resolver
 *
 * The dkim_dns_set_* hooks of libopendkim 2.11: start(service, type, name,
 * buf, buflen, &handle), waitreply(service, handle, timeout, &bytes,
 * &error, &dnssec), cancel(service, handle). libopendkim calls cancel after
 * every successful start, so the handle is freed there. See dkim_dns.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dns/dkim_dns.h"
#include "util/idna.h"
#include "util/xalloc.h"

#define DNS_HEADER_LEN 12
#define RCODE_NOERROR 0
#define RCODE_NXDOMAIN 3
#define CLASS_IN 1

struct dkim_dns_query {
	int status;   /* DKIM_DNS_SUCCESS or DKIM_DNS_ERROR */
	size_t bytes; /* answer length in the caller's buffer */
};

static unsigned char *put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return p + 2;
}

size_t dkim_dns_build(unsigned char *buf, size_t buflen, int rcode, const struct dns_rr *rr,
		      size_t nrr)
{
	size_t need = DNS_HEADER_LEN + 5, i;
	unsigned char *p = buf;

	if (nrr > 0xffff)
		return 0;
	for (i = 0; i < nrr; i++) {
		if (rr[i].len > 0xffff)
			return 0;
		need += 11 + rr[i].len;
	}
	if (need > buflen)
		return 0;
	/* header: id 0, QR AA RD RA, rcode; 1 question, nrr answers */
	p = put16(p, 0);
	*p++ = 0x85;
	*p++ = (unsigned char)(0x80 | (rcode & 0x0f));
	p = put16(p, 1);
	p = put16(p, (unsigned)nrr);
	p = put16(p, 0);
	p = put16(p, 0);
	/* question: the root name, TXT, IN */
	*p++ = 0;
	p = put16(p, DNS_T_TXT);
	p = put16(p, CLASS_IN);
	for (i = 0; i < nrr; i++) {
		*p++ = 0;
		p = put16(p, DNS_T_TXT);
		p = put16(p, CLASS_IN);
		p = put16(p, 0);
		p = put16(p, 0); /* TTL 0 */
		p = put16(p, (unsigned)rr[i].len);
		if (rr[i].len > 0)
			memcpy(p, rr[i].data, rr[i].len);
		p += rr[i].len;
	}
	return (size_t)(p - buf);
}

/* Copies the resolver's answer for libopendkim into buf; 0 on failure. */
static size_t dkim_dns_answer(const struct dns_result *res, unsigned char *buf, size_t buflen)
{
	switch (res->status) {
	case DNS_OK:
		if (res->packet != NULL && res->packet_len >= DNS_HEADER_LEN &&
		    res->packet_len <= buflen) {
			memcpy(buf, res->packet, res->packet_len);
			return res->packet_len;
		}
		return dkim_dns_build(buf, buflen, RCODE_NOERROR, res->rr, res->nrr);
	case DNS_NODATA:
		return dkim_dns_build(buf, buflen, RCODE_NOERROR, NULL, 0);
	case DNS_NXDOMAIN:
	case DNS_BADNAME:
		return dkim_dns_build(buf, buflen, RCODE_NXDOMAIN, NULL, 0);
	case DNS_TEMPFAIL:
	default:
		return 0;
	}
}

/* start hook: runs the lookup to completion (bounded by the resolver). */
static int dkim_dns_start(void *srv, int type, unsigned char *query, unsigned char *buf,
			  size_t buflen, void **qh)
{
	struct resolver *r = srv;
	struct dkim_dns_query *q = xcalloc(1, sizeof(*q));
	/* A d= in U-labels is looked up under its A-labels (RFC 8616 4);
	 * a name that does not convert is asked as it is, and not found. */
	char *alabel =
	    idna_has_8bit((const char *)query) ? idna_to_alabel((const char *)query, NULL) : NULL;
	struct dns_result *res;

	res = resolver_query(r, alabel != NULL ? alabel : (const char *)query, type);
	free(alabel);
	q->bytes = dkim_dns_answer(res, buf, buflen);
	q->status = q->bytes > 0 ? DKIM_DNS_SUCCESS : DKIM_DNS_ERROR;
	dns_result_free(res);
	*qh = q;
	return 0;
}

static int dkim_dns_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
			      int *dnssec)
{
	struct dkim_dns_query *q = qh;

	(void)srv;
	(void)to;
	if (bytes != NULL)
		*bytes = q->bytes;
	if (error != NULL)
		*error = 0;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	return q->status;
}

static int dkim_dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

void dkim_dns_attach(DKIM_LIB *dl, struct resolver *r)
{
	/* no init/close: the resolver belongs to the caller */
	dkim_dns_set_init(dl, NULL);
	dkim_dns_set_close(dl, NULL);
	dkim_dns_set_nslist(dl, NULL);
	dkim_dns_set_config(dl, NULL);
	dkim_dns_set_trustanchor(dl, NULL);
	dkim_dns_set_query_service(dl, r);
	dkim_dns_set_query_start(dl, dkim_dns_start);
	dkim_dns_set_query_waitreply(dl, dkim_dns_waitreply);
	dkim_dns_set_query_cancel(dl, dkim_dns_cancel);
}
