/*
 * budget - the per-message time budget for DNS, with a share kept for the
 * DMARC policy
 *
 * SYNOPSIS
 *	struct budget b;
 *	budget_init(&b, cfg->message_time);
 *	resolver_set_deadline(budget_policy(&b));   ... DMARC record lookups ...
 *	budget_spend(&b, BUDGET_POLICY, seconds);
 *	resolver_set_deadline(budget_other(&b));    ... SPF, DKIM keys ...
 *	budget_spend(&b, BUDGET_OTHER, seconds);
 *	budget_policy_done(&b);
 *
 * DESCRIPTION
 *	limits.message_time bounds all DNS work of one message. The lookups
 *	that find the author domain's DMARC policy (its record, the
 *	organizational domain's, the np= existence check) must not be starved
 *	by the other lookups, whose names a spoofer may control (its own
 *	MAIL FROM, HELO and DKIM d= domains, answering slowly on purpose). So
 *	a third of the budget is kept for the policy lookups until
 *	budget_policy_done(): the other lookups may use the rest only, while
 *	the policy lookups may use everything not yet spent. Times are
 *	seconds; a result of 0 or less means the budget is spent (the
 *	resolver then fails a lookup at once).
 */
#ifndef AM_BUDGET_H
#define AM_BUDGET_H

#include <stdbool.h>

enum budget_pool { BUDGET_POLICY, BUDGET_OTHER };

struct budget {
	double total;	/* limits.message_time */
	double reserve; /* kept for the policy lookups until they are done */
	double spent[2];
	bool policy_done;
};

void budget_init(struct budget *b, double total);
/* Seconds the next policy (resp. other) lookups may take. */
double budget_policy(const struct budget *b);
double budget_other(const struct budget *b);
void budget_spend(struct budget *b, enum budget_pool pool, double seconds);
/* The policy needs no more lookups: its unspent reserve is free. */
void budget_policy_done(struct budget *b);

#endif
