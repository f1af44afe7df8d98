/*
 * test_ring - the recorder's lock-free queue: order, capacity, a full
 * queue refusing at once, wrap-around over many laps, and several
 * producer threads against one consumer losing and duplicating nothing
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/ring.h"

#define ITEM(i) ((void *)(uintptr_t)((i) + 1))
#define INDEX(p) ((size_t)(uintptr_t)(p)-1)

static void test_order_and_capacity(void **state)
{
	struct ring *q = ring_new(5);
	size_t i;

	(void)state;
	assert_int_equal(ring_capacity(q), 8);
	assert_null(ring_pop(q));
	for (i = 0; i < 8; i++)
		assert_true(ring_push(q, ITEM(i)));
	assert_false(ring_push(q, ITEM(8)));
	assert_int_equal(ring_count(q), 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(INDEX(ring_pop(q)), i);
	assert_null(ring_pop(q));
	assert_int_equal(ring_count(q), 0);
	ring_free(q);
	ring_free(NULL);
}

/* Many laps: every cell is reused, order kept, full and empty exact. */
static void test_laps(void **state)
{
	struct ring *q = ring_new(4);
	size_t next_in = 0, next_out = 0, lap;

	(void)state;
	for (lap = 0; lap < 1000; lap++) {
		size_t k = lap % 5; /* 0..4 pushes, the 5th always refused */

		while (k-- > 0) {
			if (ring_count(q) == 4) {
				assert_false(ring_push(q, ITEM(next_in)));
				break;
			}
			assert_true(ring_push(q, ITEM(next_in)));
			next_in++;
		}
		if (lap % 3 != 0) {
			void *p = ring_pop(q);

			if (next_out == next_in) {
				assert_null(p);
			} else {
				assert_int_equal(INDEX(p), next_out);
				next_out++;
			}
		}
	}
	assert_int_equal(ring_count(q), next_in - next_out);
	while (next_out < next_in)
		assert_int_equal(INDEX(ring_pop(q)), next_out++);
	assert_null(ring_pop(q));
	ring_free(q);
}

#define PRODUCERS 4
#define PER_PRODUCER 200000

struct producer {
	struct ring *q;
	size_t id;
	size_t refused;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	size_t i;

	for (i = 0; i < PER_PRODUCER; i++) {
		size_t v = p->id * PER_PRODUCER + i;

		while (!ring_push(p->q, ITEM(v)))
			p->refused++; /* full: the consumer catches up */
	}
	return NULL;
}

/* Every item arrives exactly once, and each producer's items in order. */
static void test_threads(void **state)
{
	struct ring *q = ring_new(64);
	struct producer prod[PRODUCERS];
	pthread_t th[PRODUCERS];
	size_t last[PRODUCERS], got = 0, i;
	unsigned char *seen = calloc(PRODUCERS * (size_t)PER_PRODUCER, 1);

	(void)state;
	assert_non_null(seen);
	for (i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct producer){q, i, 0};
		last[i] = SIZE_MAX;
		assert_int_equal(pthread_create(&th[i], NULL, produce, &prod[i]), 0);
	}
	while (got < PRODUCERS * (size_t)PER_PRODUCER) {
		void *p = ring_pop(q);
		size_t v, who;

		if (p == NULL)
			continue;
		v = INDEX(p);
		assert_true(v < PRODUCERS * (size_t)PER_PRODUCER);
		assert_int_equal(seen[v], 0);
		seen[v] = 1;
		who = v / PER_PRODUCER;
		assert_true(last[who] == SIZE_MAX || v % PER_PRODUCER > last[who]);
		last[who] = v % PER_PRODUCER;
		got++;
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	assert_null(ring_pop(q));
	free(seen);
	ring_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_capacity),
	    cmocka_unit_test(test_laps),
	    cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
