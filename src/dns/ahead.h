/*
 * ahead - DNS lookups started before their answers are needed
 *
 * SYNOPSIS
 *	struct dns_ahead *a = dns_ahead_new(r);
 *	dns_ahead_start(a, "example.com", DNS_T_TXT, then, arg);
 *	...
 *	dns_ahead_use(a, NULL, NULL);        (this thread's lookups look in a)
 *	res = resolver_query(r, "example.com", DNS_T_TXT);   (answered from a)
 *	dns_ahead_use(NULL, NULL, NULL);
 *	dns_ahead_free(a);                   (cancels what is still out)
 *
 * DESCRIPTION
 *	The engine knows most names it will look up long before end of
 *	message: the client address at connect, the HELO name, MAIL FROM, the
 *	signatures in the header. A dns_ahead is the set of lookups one
 *	connection or one message started as soon as it knew their names;
 *	they run at the same time, on libunbound's asynchronous interface.
 *	The checks themselves are unchanged: they still call resolver_query()
 *	in their own order, with their own limits, and a query whose name and
 *	type a set in use by the calling thread (dns_ahead_use()) has started
 *	gets that lookup's answer, waiting for it if it is still out. A lookup
 *	nobody asks for is only a wasted query.
 *
 *	Timing holds as for any lookup: an answer that comes later than
 *	dns.timeout after the lookup was started counts as a timeout (the
 *	query is then made again if asked for), and the calling thread's
 *	deadline (resolver_set_deadline()) bounds the wait and, once spent,
 *	fails the query as it would have failed unsent.
 *
 *	then, when not NULL, runs once the answer is in (or at once, when the
 *	answer is cached), on whichever thread processed it, with the
 *	resolver's lock held: it may start further lookups with
 *	dns_ahead_start() (an SPF record's includes, a PTR answer's names)
 *	and must do nothing slow. Its res is only valid during the call.
 *	A lookup already in the set, or started past DNS_AHEAD_MAX, is not
 *	started again, and then does not run. A resolver_new_fixed()
 *	resolver starts nothing (its answers are instant).
 *
 *	dns_ahead_free() cancels every lookup still out and runs no further
 *	continuation: nothing a set started outlives it. Memory a
 *	continuation needs is taken with dns_ahead_alloc() and freed with
 *	the set.
 *
 *	A set is used by one message (or connection) at a time; lookups it
 *	started are answered on any thread. Thread-safe as the resolver is.
 */
#ifndef AM_DNS_AHEAD_H
#define AM_DNS_AHEAD_H

#include <stddef.h>

#include "dns/resolver.h"

#define DNS_AHEAD_MAX 128 /* lookups one set starts at most */

struct dns_ahead;

typedef void dns_ahead_fn(void *arg, struct dns_ahead *a, const struct dns_result *res);

struct dns_ahead *dns_ahead_new(struct resolver *r);
void dns_ahead_free(struct dns_ahead *a);
struct resolver *dns_ahead_resolver(const struct dns_ahead *a);
void dns_ahead_start(struct dns_ahead *a, const char *name, int type, dns_ahead_fn *then,
		     void *arg);
/* Zeroed memory that lives as long as the set. */
void *dns_ahead_alloc(struct dns_ahead *a, size_t n);
/* The sets the calling thread's queries look in (any may be NULL). */
void dns_ahead_use(struct dns_ahead *a, struct dns_ahead *b, struct dns_ahead *c);
/* Lookups this set has sent (tests, benchmarks). */
unsigned dns_ahead_sent(const struct dns_ahead *a);

#endif
