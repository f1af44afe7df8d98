/*
 * clock - the monotonic clock, in seconds
 *
 * clock_now() returns CLOCK_MONOTONIC as seconds (double): for deadlines,
 * budgets and elapsed times, never for dates. Thread-safe.
 */
#ifndef AM_CLOCK_H
#define AM_CLOCK_H

double clock_now(void);

#endif
