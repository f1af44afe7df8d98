/*
 * verdict - everything the engine concluded about one message
 *
 * DESCRIPTION
 *	A plain struct the daemon turns into milter actions and a log line,
 *	and authmilter-check prints as text or JSON. The engine fills it at end
 *	of message; nothing in it points into the message's input.
 *
 * OWNERSHIP
 *	verdict_free() frees the verdict and everything in it.
 */
#ifndef AM_VERDICT_H
#define AM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/arc.h"
#include "engine/dkim.h"
#include "engine/dmarc.h"
#include "engine/from.h"
#include "engine/iprev.h"
#include "engine/spf.h"

enum action {
	ACTION_ACCEPT = 0,
	ACTION_QUARANTINE,
	ACTION_REJECT,
	ACTION_TEMPFAIL,
};

/* What the author-domain step found; each is a distinct policy input. */
enum author_status {
	AUTHOR_OK = 0,	     /* one From header, one domain */
	AUTHOR_NO_FROM,	     /* no From header */
	AUTHOR_MULTI_FROM,   /* more than one From header */
	AUTHOR_MULTI_DOMAIN, /* one From header, addresses in several domains */
	AUTHOR_UNPARSEABLE,  /* From header we cannot read, or no address */
};

struct verdict {
	/* false when no check ran: the message was skipped (skipped true,
	 * reason says why) or its header passed limits.max_headers or
	 * max_header_bytes (reason "header_limit") */
	bool checked;
	bool skipped;		     /* not ours to check: no header, nothing to log but a skip */
	char *client_ip;	     /* the SMTP client, as the envelope gave it */
	struct spf_outcome spf;	     /* MAIL FROM identity (postmaster@HELO if null) */
	struct spf_outcome spf_helo; /* HELO identity */
	struct iprev_outcome iprev;  /* client IP reverse DNS (RFC 8601 3); result
				      * none: not checked (iprev.enabled false) */
	struct dkimv_sig *dkim;	     /* every signature seen */
	size_t n_dkim;
	struct arc_outcome arc; /* the ARC chain (RFC 8617) */
	/* set when a trusted sealer's testimony overrode a DMARC failure
	 * (override is then "arc"; arc_ov.instance 0 otherwise) */
	struct arc_override arc_ov;
	enum author_status author;
	char *header_from; /* author domain (A-label form), or NULL */
	struct dmarc_outcome dmarc;

	/* What the MTA is told to do, after the local policy (policy.h). When
	 * the local policy kept a message from being refused, override says
	 * which part ("allow_network", "allow_domain", "monitor") and would
	 * what enforcement would have done. error is an internal failure
	 * that decided the action ("quarantine_unavailable", ...). The three
	 * point to static text or are NULL. */
	enum action action;
	enum action would;
	const char *override;
	const char *error;
	char *smtp_rcode; /* "550", for reject/tempfail */
	char *smtp_xcode; /* "5.7.26" */
	char *smtp_text;
	char *reason;	   /* short key for logs: "dmarc_reject", ... */
	char *authres;	   /* Authentication-Results value (no field name), or
			    * NULL when none is to be added (skipped) */
	char *explanation; /* plain language, one sentence a line */
};

struct verdict *verdict_new(void);
void verdict_free(struct verdict *v);

const char *action_name(enum action a); /* "accept", ... */
const char *author_status_name(enum author_status st);

#endif
