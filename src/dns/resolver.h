/*
 * resolver - the one DNS resolver every check uses (libunbound)
 *
 * SYNOPSIS
 *	struct resolver *r = resolver_new(&opts, &err);
 *	struct dns_result *res = resolver_query(r, "example.com", DNS_T_TXT);
 *	... res->status, res->rr[i].text ...
 *	dns_result_free(res);
 *	resolver_free(r);
 *
 * DESCRIPTION
 *	A resolver is shared by all threads and all checks (SPF, DKIM, DMARC).
 *	It forwards to the configured name servers (IP or IP@PORT; none = the
 *	system's /etc/resolv.conf), keeps libunbound's cache, follows CNAMEs,
 *	and bounds every lookup by the configured timeout.
 *
 *	resolver_query() never returns NULL and never blocks past the timeout.
 *	Its status tells apart an answer, NODATA, NXDOMAIN and a temporary
 *	failure (timeout, SERVFAIL, REFUSED, network error). A name that is not
 *	a valid DNS name (empty label, label over 63 octets, name over 253)
 *	yields DNS_BADNAME without any query being sent.
 *
 * OWNERSHIP
 *	The caller owns the dns_result and frees it with dns_result_free().
 */
#ifndef AM_RESOLVER_H
#define AM_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

enum {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SPF = 99,
};

enum dns_status {
	DNS_OK = 0,   /* at least one record of the type asked for */
	DNS_NODATA,   /* the name exists, no record of that type */
	DNS_NXDOMAIN, /* the name does not exist */
	DNS_TEMPFAIL, /* timeout, SERVFAIL, REFUSED, network or library error */
	DNS_BADNAME,  /* not a valid DNS name; no query was sent */
};

struct dns_rr {
	unsigned char *data; /* raw RDATA, names uncompressed */
	size_t len;
	/*
	 * Decoded forms, NUL-terminated:
	 *   TXT/SPF: the character-strings concatenated (text_len bytes; the
	 *            text may itself contain NUL bytes);
	 *   MX, PTR, CNAME, NS: the target name, lower case, no trailing dot;
	 *   A, AAAA: the address in presentation form.
	 */
	char *text;
	size_t text_len;
	unsigned pref; /* MX preference */
};

struct dns_result {
	enum dns_status status;
	int rcode;  /* DNS rcode of the answer, -1 when none */
	size_t nrr; /* records of the asked type (status DNS_OK) */
	struct dns_rr *rr;
	char *error;	       /* why, when status is DNS_TEMPFAIL/BADNAME */
	unsigned char *packet; /* the whole answer message, or NULL */
	size_t packet_len;
};

struct resolver_opts {
	const char *const *nameservers; /* "IP" or "IP@PORT"; n == 0: resolv.conf */
	size_t n_nameservers;
	double timeout;	      /* seconds, bounds every lookup */
	bool no_cache;	      /* for tests that change zones under it */
	size_t cache_entries; /* answers kept in the calling thread's
			       * reach (dns/cache.h); 0: none */
};

struct resolver;

/* Returns NULL and fills err when the options are unusable. */
struct resolver *resolver_new(const struct resolver_opts *opts, struct am_err *err);
void resolver_free(struct resolver *r);

struct dns_result *resolver_query(struct resolver *r, const char *name, int type);
void dns_result_free(struct dns_result *res);

/*
 * The per-message time budget: until resolver_clear_deadline(), every
 * lookup the calling thread makes ends by `seconds` from now, and once the
 * budget is spent a lookup fails at once (DNS_TEMPFAIL) without being
 * sent. Thread-local, so each connection's thread has its own.
 */
void resolver_set_deadline(double seconds);
void resolver_clear_deadline(void);

/* "NOERROR"-style names for logs and explanations. */
const char *dns_status_name(enum dns_status st);

/* A name is valid: 1..253 octets, labels 1..63, optional trailing dot. */
bool dns_name_valid(const char *name);

/* Number of lookups sent since resolver_new(), for tests and benchmarks. */
unsigned long resolver_query_count(struct resolver *r);

/* Process-wide totals of every resolver since start (metrics): queries
 * sent, lookups answered by the answer cache, lookups that timed out,
 * lookups that failed temporarily (timeouts included). */
struct resolver_totals {
	unsigned long queries, cache_hits, timeouts, tempfails;
};
void resolver_totals(struct resolver_totals *t);

/*
 * For tests and fuzzing: a resolver that answers from a function instead of
 * the network. resolver_query() still rejects invalid names (DNS_BADNAME,
 * lookup not called) and still counts queries; for a valid name it returns
 * lookup(arg, name, type), name as the caller gave it. lookup returns a new
 * dns_result (xcalloc'd, freed by the caller with dns_result_free(); NULL
 * means NXDOMAIN). A record whose text is NULL is decoded from its raw
 * RDATA (data, len) exactly as a record from the network is, and dropped
 * when malformed, so lookup may give RDATA only. lookup must be safe to
 * call from every thread that uses the resolver. resolver_free() frees
 * the resolver, never arg.
 */
struct resolver *
resolver_new_fixed(struct dns_result *(*lookup)(void *arg, const char *name, int type), void *arg);

#endif
