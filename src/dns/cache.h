/*
 * cache - answers the resolver has seen, kept for their TTL
 *
 * SYNOPSIS
 *	struct dns_cache *c = dns_cache_new(10000, 3600, 300);
 *	struct dns_result *hit = dns_cache_get(c, "example.com", DNS_T_TXT);
 *	dns_cache_put(c, "example.com", DNS_T_TXT, result, ttl);
 *
 * DESCRIPTION
 *	libunbound keeps its own cache, but reaching it from a waiting thread
 *	costs a round trip through libunbound's worker thread and a pipe; the
 *	engine benchmark showed that handoff, not cryptography, dominating a
 *	verdict. This cache answers repeated lookups in the calling thread.
 *	Answers (including NXDOMAIN and NODATA) are kept for their TTL, capped
 *	at max_ttl (negative answers at max_neg_ttl); temporary failures are
 *	never kept. At most max_entries answers are kept; when full, the
 *	oldest entry of the bucket, or an expired one, makes room. Names are
 *	compared case-insensitively. Thread-safe (striped locks).
 *
 * OWNERSHIP
 *	dns_cache_put() copies the result; dns_cache_get() returns a new copy
 *	the caller frees with dns_result_free().
 */
#ifndef AM_DNS_CACHE_H
#define AM_DNS_CACHE_H

#include "dns/resolver.h"

struct dns_cache;

struct dns_cache *dns_cache_new(size_t max_entries, unsigned max_ttl, unsigned max_neg_ttl);
void dns_cache_free(struct dns_cache *c);
struct dns_result *dns_cache_get(struct dns_cache *c, const char *name, int type);
void dns_cache_put(struct dns_cache *c, const char *name, int type, const struct dns_result *res,
		   unsigned ttl);
/* Copies a result (also used by the resolver). */
struct dns_result *dns_result_copy(const struct dns_result *res);

#endif
