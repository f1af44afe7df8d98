/*
 * verdict_log - the one syslog line per message
 *
 *	qid=4XyZ ip=192.0.2.1 helo=mail.example.com mailfrom=a@example.com
 *	from=example.com spf=pass spf_helo=none dkim=example.com:sel:pass
 *	dmarc=pass dmarc_domain=example.com p=reject pct=100 sampled=no
 *	action=accept reason=dmarc_pass ms=12
 *
 * ms is the time from the end of the message to the reply: the delay the
 * checks add to the SMTP transaction (most of it DNS).
 * Every value goes through log_kv(): quoted when it has spaces, control
 * and 8-bit bytes escaped. from= is the author domain's A-label form;
 * from_u= adds its U-label form when it has one. dkim_unsigned= lists
 * signatures whose body goes on past l= (domain:selector:bytes). An
 * override (allow_network, allow_domain, monitor) adds would=ACTION
 * override=WHY; an internal error adds error=. A message whose checks did
 * not run (over a header limit) has no check results on its line.
 */
#ifndef AM_VERDICT_LOG_H
#define AM_VERDICT_LOG_H

#include "engine/verdict.h"

struct verdict_log {
	const char *qid, *ip, *helo, *mail_from;
	const struct verdict *v;
	long ms;
};

void verdict_log_line(const struct verdict_log *vl);
void verdict_log_skip(const char *qid, const char *ip, const char *mail_from, const char *why);

#endif
