/*
 * lookahead - what message.c asks of lookahead.c (the session API is in
 * message.h)
 */
#ifndef AM_LOOKAHEAD_H
#define AM_LOOKAHEAD_H

#include "config/config.h"
#include "dns/ahead.h"
#include "engine/message.h"

struct lookahead_counts {
	unsigned from, dkim, arc; /* headers seen */
};

/* The message's own lookups, its MAIL FROM SPF started: NULL when the
 * envelope has no session (or the session starts nothing). */
struct dns_ahead *lookahead_message(struct engine *eng, const struct envelope *env);
/* Makes the calling thread's queries look in a and, when s runs on eng,
 * in the session's lookups. */
void lookahead_use(struct dns_ahead *a, const struct session *s, const struct engine *eng);
/* A header field: starts the DMARC policy lookups of the first From
 * header, the key lookup of a DKIM or ARC signature. */
void lookahead_header(struct dns_ahead *a, struct lookahead_counts *n, const struct config *cfg,
		      const char *name, const char *value);

#endif
