/*
 * ring - a bounded queue of pointers: many producers, one consumer, no lock
 *
 * SYNOPSIS
 *	struct ring *q = ring_new(10000);      (capacity rounded up to a power of 2)
 *	if (!ring_push(q, item)) ... full: the caller drops item ...
 *	while ((item = ring_pop(q)) != NULL) ...   (one consumer thread)
 *	ring_free(q);
 *
 * DESCRIPTION
 *	The message threads hand records to the recorder's writer thread
 *	through this queue, and "recording never slows a verdict" means a
 *	push must never wait: it is a few atomic operations (D. Vyukov's
 *	bounded queue, each cell carrying a sequence number), and a push to
 *	a full queue fails at once. Items are popped in the order their
 *	pushes claimed a cell. ring_pop() must only be called by one thread
 *	at a time; ring_push() by any number.
 *
 * OWNERSHIP
 *	The queue holds pointers only; ring_free() does not free the items
 *	still queued (pop them first).
 */
#ifndef AM_RING_H
#define AM_RING_H

#include <stdbool.h>
#include <stddef.h>

struct ring;

struct ring *ring_new(size_t capacity);
void ring_free(struct ring *q);
/* false when the queue is full; item must not be NULL */
bool ring_push(struct ring *q, void *item);
/* the oldest item, or NULL when the queue is empty */
void *ring_pop(struct ring *q);
/* items queued now (a snapshot; exact when no push is under way) */
size_t ring_count(const struct ring *q);
size_t ring_capacity(const struct ring *q);

#endif
