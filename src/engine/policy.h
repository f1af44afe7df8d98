/*
 * policy - from the checks' results to the one action the MTA is told
 *
 * SYNOPSIS
 *	const char *why = policy_skip(cfg, "192.0.2.1", NULL);  (NULL: check it)
 *	struct policy_in in = {.allow_net = ..., .over_limit = ..., ...};
 *	policy_decide(cfg, dc, &in, v);
 *
 * DESCRIPTION
 *	This is the one place that decides what happens to a message; the
 *	daemon only carries it out, and authmilter-check prints it, so both
 *	say the same for the same input and configuration.
 *
 *	policy_skip() says whether a message is not ours to check at all:
 *	"no_client_address" (no TCP client: local submission),
 *	"trusted_network" (policy.trusted_networks) or "authenticated"
 *	({auth_authen} set, with policy.skip_authenticated). Such a message
 *	gets no checks, no header, and is accepted.
 *
 *	policy_decide() fills v's action, reason key, SMTP reply (reject and
 *	tempfail), would, override and error, in this order:
 *	 1. the enforcement action: a header over limits.max_headers or
 *	    max_header_bytes is refused 552 5.3.4 ("header_limit");
 *	    otherwise the author-domain status and the DMARC outcome decide
 *	    under policy.* ("dmarc_reject", "no_from", ...). A DMARC failure
 *	    that a trusted ARC sealer vouches for (arc.trusted_sealers,
 *	    engine/arc.h arc_trust()) is accepted instead: override "arc",
 *	    would the enforcement action, the reason key unchanged. A temporary
 *	    error counts only where it could have changed the outcome: a DMARC
 *	    record that could not be fetched ("dmarc_temperror"), or an SPF
 *	    or DKIM temperror of an identity that could have aligned with the
 *	    author domain under the record's aspf/adkim ("auth_temperror");
 *	 2. a quarantine the MTA cannot carry out (hold asked, the MTA did
 *	    not offer it) is the internal error "quarantine_unavailable";
 *	 3. an internal error (in->error, or step 2) gives policy.on_error:
 *	    tempfail 451 4.3.0, or accept;
 *	 4. the local overrides, for any action other than accept: a client
 *	    in policy.allow_networks, then an author domain in
 *	    policy.allow_domains (or a subdomain), then policy.mode =
 *	    "monitor", turn it into accept; would keeps the action and
 *	    override says which one. So monitor mode never refuses anything,
 *	    header limits and errors included.
 *	The reason key stays the one of step 1, so logs show why enforcement
 *	would have acted.
 */
#ifndef AM_POLICY_H
#define AM_POLICY_H

#include <stdbool.h>

#include "config/config.h"
#include "engine/dmarc.h"
#include "engine/verdict.h"

struct policy_in {
	bool allow_net;	   /* the client is in policy.allow_networks */
	bool over_limit;   /* the header passed a limit; the checks did not run */
	bool no_hold;	   /* the MTA cannot hold (quarantine) messages */
	const char *error; /* an internal error key, or NULL */
};

/* Why a message from client_ip (text; NULL or "" when there is no TCP
 * client) with SMTP AUTH identity auth_user (NULL or "": none) is not
 * checked, or NULL when it is. */
const char *policy_skip(const struct config *cfg, const char *client_ip, const char *auth_user);
/* Whether client_ip is in policy.allow_networks. */
bool policy_allow_net(const struct config *cfg, const char *client_ip);
void policy_decide(const struct config *cfg, const struct dmarc_ctx *dc, const struct policy_in *in,
		   struct verdict *v);

#endif
