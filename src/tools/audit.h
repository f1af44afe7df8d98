/*
 * audit - authmilter-check --domain: a sender's published records, read
 * with the engine's own parsers and resolver
 *
 * SYNOPSIS
 *	struct audit_args aa = {"example.com", selectors, n, "192.0.2.1", false};
 *	rc = audit_main(engine, psl, &aa);      0, 1 (errors found) or 2
 *
 * DESCRIPTION
 *	audit.c        the run, the findings and the exit status
 *	audit_spf.c    the SPF record tree (engine/spf_audit.h) and --ip
 *	audit_dmarc.c  the DMARC record, where it was found, its tags, the
 *	               rua/ruf destinations (report/rua.h, report/external.h)
 *	audit_dkim.c   each selector's key (engine/dsig.h), CNAMEs followed
 *	audit_out.c    the text and the JSON form
 *
 *	Each part fills its section of struct audit and adds findings in
 *	plain words; audit_out.c prints them, most severe first.
 *
 * OWNERSHIP
 *	struct audit owns everything it points to; audit_free() frees it.
 */
#ifndef AM_TOOLS_AUDIT_H
#define AM_TOOLS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "engine/dmarc.h"
#include "engine/dsig.h"
#include "engine/spf_audit.h"
#include "report/external.h"

#define AUDIT_MAX_CNAMES 8 /* CNAME hops of a key name reported */

enum audit_severity { AUDIT_ERROR = 0, AUDIT_WARNING, AUDIT_INFO };

struct audit_finding {
	enum audit_severity severity;
	const char *area; /* "spf", "dmarc", "dkim" */
	char *text;
};

struct audit_dest { /* one rua or ruf destination */
	char *uri, *addr, *host;
	enum external_result result;
	char *why;
};

struct audit_dmarc {
	struct dmarc_outcome out; /* dmarc_discover(): record, where, org domain */
	const char *found_at;	  /* "author domain", "organizational domain",
				   * "public suffix domain", or NULL */
	char *queried;		  /* the _dmarc names discovery asks, in order */
	struct audit_dest *rua, *ruf;
	size_t n_rua, n_ruf;
};

struct audit_key {
	char *selector, *name;
	char *cname[AUDIT_MAX_CNAMES]; /* the targets, in order */
	size_t n_cname;
	char *record;	  /* the key record text used, or NULL */
	size_t n_records; /* TXT records at the name */
	enum dsig_rc rc;  /* dsig_key_fetch() */
	bool ed25519, testing, too_small;
	unsigned bits;
	char why[160];
};

struct audit {
	const char *domain; /* A-label, no trailing dot */
	const char *ip;
	struct engine *eng;
	const struct config *cfg;
	struct resolver *r;
	const struct dmarc_ctx *psl;
	struct spf_audit spf;
	struct spf_outcome ip_out; /* --ip: spf_check_mailfrom() */
	bool have_ip;
	struct audit_dmarc dmarc;
	struct audit_key *keys;
	size_t n_keys;
	struct audit_finding *f;
	size_t n_f;
};

struct audit_args {
	const char *domain;
	const char *const *selectors;
	size_t n_selectors;
	const char *ip; /* or NULL */
	bool json;
};

struct engine;
int audit_main(struct engine *eng, const struct dmarc_ctx *psl, const struct audit_args *aa);

/* audit.c */
void audit_add(struct audit *a, enum audit_severity sev, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *audit_severity_name(enum audit_severity sev);

/* audit_spf.c, audit_dmarc.c, audit_dkim.c */
void audit_spf(struct audit *a);
void audit_dmarc(struct audit *a);
void audit_dkim(struct audit *a, const char *selector);
void audit_dmarc_clear(struct audit_dmarc *d);
void audit_key_clear(struct audit_key *k);

/* audit_out.c */
void audit_print_text(FILE *fp, const struct audit *a);
void audit_print_json(FILE *fp, const struct audit *a);

#endif
