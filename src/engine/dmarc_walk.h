/*
 * dmarc_walk - the DNS Tree Walk of RFC 9989 4.10: DMARC records from a
 * name up to its top-level domain, and the organizational domain they give
 *
 * SYNOPSIS
 *	struct dmarc_walk w;
 *	dmarc_walk_run(resolver, "a.mail.example.com", &w);
 *	if (!w.tempfail) ... w.org_domain ...; w.rec[0..n_rec-1] ...
 *	dmarc_walk_clear(&w);
 *
 * DESCRIPTION
 *	dmarc_walk_names() lists the names a walk queries (4.10 steps 3-7):
 *	the name itself, then, for a name of x labels, its parent when x <= 8,
 *	or the 7-label name it ends with when x > 8 (the names between are
 *	skipped), then one label less at a time down to the top-level domain:
 *	min(x, 8) names, DMARC_WALK_MAX at most.
 *
 *	dmarc_walk_run() queries _dmarc.<name> TXT for each in turn through
 *	the shared resolver (so the per-message deadline and the answer cache
 *	apply). At each name the TXT records that do not start with v=DMARC1
 *	are dropped; several v=DMARC1 records are all discarded (noted in
 *	`multiple`, the walk goes on); a single one is kept in rec[], and the
 *	walk stops after it when it says psd=y or psd=n. A name that is not a
 *	valid DNS name once _dmarc. is prepended has no record (no query is
 *	sent). A temporary failure stops the walk: tempfail is set, error says
 *	which lookup, and org_domain stays NULL, since any name not asked could
 *	have held the record that decides.
 *
 *	The organizational domain (4.10.2), from the last record found (the
 *	one with the fewest labels): its name, except that when it says psd=y
 *	and is not at the starting name, the name one label below it (towards
 *	the start); the starting name itself when no record was found. Any
 *	v=DMARC1 record counts, usable or not: whether its policy tags make
 *	sense is for the one record that is applied.
 *
 * OWNERSHIP
 *	The walk owns its strings; dmarc_walk_clear() frees them.
 */
#ifndef AM_DMARC_WALK_H
#define AM_DMARC_WALK_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "engine/dmarc.h"
#include "util/strbuf.h"

#define DMARC_WALK_MAX 8 /* lookups per walk (RFC 9989 4.10) */

struct dmarc_walk_rec {
	char *domain; /* the name it was found for (no _dmarc.) */
	char *txt;    /* the record text */
	enum dmarc_psd psd;
};

struct dmarc_walk {
	char *start;	  /* the normalized starting name, or NULL if invalid */
	unsigned queries; /* lookups made (at most DMARC_WALK_MAX) */
	struct dmarc_walk_rec rec[DMARC_WALK_MAX]; /* longest name first */
	size_t n_rec;
	bool tempfail;	  /* a lookup failed temporarily: the walk is incomplete */
	char *error;	  /* which lookup failed, when tempfail */
	char *multiple;	  /* "N DMARC records at _dmarc.X", the first such name */
	char *org_domain; /* NULL when tempfail or start is invalid */
};

/* The names a walk from name queries, in order, pointing into name (which
 * must be normalized: dmarc_name_normalize()); returns how many. */
size_t dmarc_walk_names(const char *name, const char *out[DMARC_WALK_MAX]);

/* Walks from name (normalized here). Fills *w, which the caller clears. */
void dmarc_walk_run(struct resolver *r, const char *name, struct dmarc_walk *w);

/* The record the walk found at domain, or NULL. */
const struct dmarc_walk_rec *dmarc_walk_find(const struct dmarc_walk *w, const char *domain);

void dmarc_walk_clear(struct dmarc_walk *w);

/* One lookup of _dmarc.<domain> TXT (also used by PSL discovery). */
enum dmarc_lookup_rc {
	DMARC_LOOKUP_FOUND,    /* *txt: the one v=DMARC1 record (new string) */
	DMARC_LOOKUP_NONE,     /* NXDOMAIN, no data, no v=DMARC1 record, bad name */
	DMARC_LOOKUP_MULTIPLE, /* several v=DMARC1 records; why says so */
	DMARC_LOOKUP_TEMPFAIL, /* why says which lookup failed */
};
enum dmarc_lookup_rc dmarc_lookup(struct resolver *r, const char *domain, char **txt,
				  struct strbuf *why);

#endif
