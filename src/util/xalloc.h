/*
 * xalloc - allocation that cannot fail
 *
 * Allocation failure is fatal: these wrappers print one line to stderr and
 * abort, so no caller checks for NULL. x*dup() of NULL returns NULL.
 * xalloc_fail() is that failure, for a caller whose size arithmetic
 * overflowed before it could ask (SIZE_MAX: "size overflow").
 */
#ifndef AM_XALLOC_H
#define AM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xmemdup0(const void *p, size_t n); /* n bytes plus a NUL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xalloc_fail(size_t size) __attribute__((noreturn));

#endif
