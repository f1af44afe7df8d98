/*
 * budget - the per-message DNS time budget (see budget.h)
 */
#include "config.h"

#include "engine/budget.h"

#define BUDGET_POLICY_SHARE (1.0 / 3.0)

void budget_init(struct budget *b, double total)
{
	b->total = total;
	b->reserve = total * BUDGET_POLICY_SHARE;
	b->spent[BUDGET_POLICY] = b->spent[BUDGET_OTHER] = 0;
	b->policy_done = false;
}

static double budget_left(const struct budget *b)
{
	return b->total - b->spent[BUDGET_POLICY] - b->spent[BUDGET_OTHER];
}

double budget_policy(const struct budget *b)
{
	return budget_left(b);
}

double budget_other(const struct budget *b)
{
	double kept = b->reserve - b->spent[BUDGET_POLICY];

	if (b->policy_done || kept < 0)
		kept = 0;
	return budget_left(b) - kept;
}

void budget_spend(struct budget *b, enum budget_pool pool, double seconds)
{
	if (seconds > 0)
		b->spent[pool] += seconds;
}

void budget_policy_done(struct budget *b)
{
	b->policy_done = true;
}
