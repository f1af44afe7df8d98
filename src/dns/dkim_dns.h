/*
 * dkim_dns - libopendkim's key lookups through the shared resolver
 *
 * SYNOPSIS
 *	DKIM_LIB *dl = dkim_init(NULL, NULL);
 *	dkim_dns_attach(dl, resolver);
 *
 * DESCRIPTION
 *	Installs the dkim_dns_set_* hooks so that every TXT lookup libopendkim
 *	makes for a key record goes through resolver_query(). The lookup runs
 *	to completion in the "start" hook (the resolver bounds it by its own
 *	timeout); "waitreply" hands the answer over and "cancel" frees it.
 *
 *	What libopendkim receives, by resolver status:
 *	  DNS_OK        the resolver's answer packet as it came (CNAME records
 *	                in the answer section included; libopendkim skips
 *	                them), or, when there is no packet or it is larger
 *	                than libopendkim's buffer, a packet rebuilt from the
 *	                decoded records (dkim_dns_build);
 *	  DNS_NXDOMAIN, DNS_BADNAME
 *	                a packet with rcode NXDOMAIN and no answer: "no key";
 *	  DNS_NODATA    a NOERROR packet with no answer: "no key";
 *	  DNS_TEMPFAIL  DKIM_DNS_ERROR from waitreply: libopendkim records
 *	                DKIM_SIGERROR_KEYFAIL (a temporary error).
 *
 *	The resolver is thread-safe, each query has its own handle, and the
 *	hooks keep no other state, so one DKIM_LIB serves every thread.
 *
 * OWNERSHIP
 *	The resolver must outlive the DKIM_LIB; dkim_close() does not free it.
 */
#ifndef AM_DKIM_DNS_H
#define AM_DKIM_DNS_H

#include <stddef.h>

#include <opendkim/dkim.h>

#include "dns/resolver.h"

void dkim_dns_attach(DKIM_LIB *dl, struct resolver *r);

/*
 * Writes a DNS response into buf: question "." TXT IN (libopendkim reads
 * the question only for its type and class), the given rcode, and one TXT
 * answer per entry of rr (RDATA copied as is, so it must be TXT RDATA:
 * length-prefixed character-strings). Returns the packet length, or 0 when
 * it does not fit in buflen or an RDATA is over 65535 bytes.
 */
size_t dkim_dns_build(unsigned char *buf, size_t buflen, int rcode, const struct dns_rr *rr,
		      size_t nrr);

#endif
