/*
 * strbuf - a growable, always NUL-terminated byte string
 *
 * A zeroed struct strbuf (STRBUF_INIT) is an empty buffer. The buffer owns
 * its memory; strbuf_detach() hands it to the caller, strbuf_free() frees it.
 * Growing cannot fail: an allocation failure, or a length that would not
 * fit a size_t, is fatal (see xalloc.h).
 */
#ifndef AM_STRBUF_H
#define AM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *s;    /* NULL until the first append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap;
};

#define STRBUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

void strbuf_add(struct strbuf *sb, const void *p, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
const char *strbuf_str(const struct strbuf *sb); /* "" when empty */
char *strbuf_detach(struct strbuf *sb);		 /* never NULL */
void strbuf_free(struct strbuf *sb);

#endif
