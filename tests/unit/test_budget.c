/*
 * test_budget - the per-message DNS budget and the share kept for the
 * DMARC policy lookups (src/engine/budget.c)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/budget.h"

#define EPS 1e-9

static void test_budget_reserve(void **state)
{
	struct budget b;

	budget_init(&b, 30);
	/* nothing spent: the policy may use all, the others two thirds */
	assert_float_equal(budget_policy(&b), 30, EPS);
	assert_float_equal(budget_other(&b), 20, EPS);
	/* the others spend all they may: the policy still has its third */
	budget_spend(&b, BUDGET_OTHER, budget_other(&b));
	assert_float_equal(budget_other(&b), 0, EPS);
	assert_float_equal(budget_policy(&b), 10, EPS);
	/* the policy spends 4 s of it: the others still get none of the rest */
	budget_spend(&b, BUDGET_POLICY, 4);
	assert_float_equal(budget_policy(&b), 6, EPS);
	assert_float_equal(budget_other(&b), 0, EPS);
	/* once the policy is done, what it left is free for the others */
	budget_policy_done(&b);
	assert_float_equal(budget_other(&b), 6, EPS);
	assert_float_equal(budget_policy(&b), 6, EPS);
}

static void test_budget_policy_first(void **state)
{
	struct budget b;

	/* the order of a message: policy record first (1 s), then the others */
	budget_init(&b, 3);
	budget_spend(&b, BUDGET_POLICY, 1.5);
	/* the reserve (1 s) is used up by the policy itself: nothing kept */
	assert_float_equal(budget_other(&b), 1.5, EPS);
	budget_spend(&b, BUDGET_OTHER, 1.5);
	assert_true(budget_other(&b) <= 0);
	assert_true(budget_policy(&b) <= 0);
	/* negative times are not a refund */
	budget_spend(&b, BUDGET_OTHER, -5);
	assert_true(budget_other(&b) <= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_budget_reserve),
	    cmocka_unit_test(test_budget_policy_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
