/*
 * policy - from the checks' results to one action and SMTP reply
 *
 * DESCRIPTION
 *	policy_decide() maps the author-domain status, the DMARC outcome and
 *	temporary errors to an action under the configuration, fills the SMTP
 *	reply for reject and tempfail, and sets a short reason key for logs
 *	("dmarc_reject", "no_from", "dns_temperror", ...). This is the one
 *	place where "what happens on error" is decided.
 */
#ifndef AM_POLICY_H
#define AM_POLICY_H

#include "config/config.h"
#include "engine/dmarc.h"
#include "engine/verdict.h"

void policy_decide(const struct config *cfg, const struct dmarc_ctx *dc, struct verdict *v);

#endif
