/*
 * ring - a bounded multi-producer, single-consumer queue (see ring.h)
 *
 * DESCRIPTION
 *	Cell i starts with seq = i. A producer that finds seq == pos at the
 *	head claims the cell by advancing head with a compare-and-swap,
 *	stores its item and publishes it with seq = pos + 1. The consumer
 *	takes the cell at tail when seq == tail + 1 and frees it for the
 *	next lap with seq = tail + capacity. A producer that finds seq < pos
 *	is a full lap ahead of the consumer: the queue is full.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/ring.h"
#include "util/xalloc.h"

struct ring_cell {
	size_t seq;
	void *item;
};

struct ring {
	struct ring_cell *cells;
	size_t mask;
	/* head and tail on their own cache lines: producers and the
	 * consumer do not slow each other down */
	_Alignas(64) size_t head;
	_Alignas(64) size_t tail;
};

struct ring *ring_new(size_t capacity)
{
	struct ring *q = xcalloc(1, sizeof(*q));
	size_t n = 2, i;

	while (n < capacity)
		n *= 2;
	q->cells = xcalloc(n, sizeof(*q->cells));
	for (i = 0; i < n; i++)
		q->cells[i].seq = i;
	q->mask = n - 1;
	return q;
}

void ring_free(struct ring *q)
{
	if (q == NULL)
		return;
	free(q->cells);
	free(q);
}

bool ring_push(struct ring *q, void *item)
{
	size_t pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	struct ring_cell *c;

	for (;;) {
		intptr_t dif;

		c = &q->cells[pos & q->mask];
		dif = (intptr_t)__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) - (intptr_t)pos;
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&q->head, &pos, pos + 1, true,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false;
		} else {
			pos = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
		}
	}
	c->item = item;
	__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

void *ring_pop(struct ring *q)
{
	size_t pos = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
	struct ring_cell *c = &q->cells[pos & q->mask];
	void *item;

	if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != pos + 1)
		return NULL;
	item = c->item;
	__atomic_store_n(&c->seq, pos + q->mask + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&q->tail, pos + 1, __ATOMIC_RELAXED);
	return item;
}

size_t ring_count(const struct ring *q)
{
	size_t head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	size_t tail = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);

	return head >= tail ? head - tail : 0;
}

size_t ring_capacity(const struct ring *q)
{
	return q->mask + 1;
}
