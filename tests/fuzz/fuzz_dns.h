/*
 * fuzz_dns - a fixed, in-memory DNS answer set for the fuzz targets
 *
 * SYNOPSIS
 *	struct resolver *r = fuzz_dns_resolver();
 *	fuzz_dns_set_extra("fuzz.example", txt, len);   (per input, optional)
 *
 * DESCRIPTION
 *	A resolver_new_fixed() resolver answering from a table in fuzz_dns.c:
 *	SPF records (include, redirect, a, mx, ptr, exists, macros, exp=,
 *	loops, void lookups, two records), DKIM keys (RSA 2048 and Ed25519
 *	made for these tests: tests/fuzz/keys/, which the seed builder signs
 *	with; a revoked key, a t=y key), DMARC records (p, sp, np, pct, t,
 *	strict alignment, two records), A/AAAA/MX/PTR, names that fail
 *	temporarily, NODATA for other types of a name in the table and
 *	NXDOMAIN for the rest. Nothing goes to the network.
 *
 *	fuzz_dns_set_extra() adds one TXT record (bytes, any content) at one
 *	name until the next call; NULL removes it.
 */
#ifndef AM_FUZZ_DNS_H
#define AM_FUZZ_DNS_H

#include <stddef.h>

#include "dns/resolver.h"

/* The client addresses and names the seeds use. */
#define FUZZ_DOMAIN "example.com"

struct resolver *fuzz_dns_resolver(void);
void fuzz_dns_set_extra(const char *name, const char *txt, size_t len);

#endif
