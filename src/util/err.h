/*
 * err - an error message a library function fills for its caller
 *
 * Low-level modules do not log. A function that can fail takes a
 * struct am_err * (which may be NULL when the caller does not care),
 * fills it with one line of text, and returns a failure value; the caller
 * decides whether and how to log it.
 */
#ifndef AM_ERR_H
#define AM_ERR_H

struct am_err {
	char msg[512];
};

void am_err_set(struct am_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
