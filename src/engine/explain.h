/*
 * explain - a verdict in plain language, for postmasters
 *
 * explain_verdict() returns a new string, one sentence a line, saying
 * which identity passed or failed, which alignment held, which policy
 * applied and why the action was chosen.
 */
#ifndef AM_EXPLAIN_H
#define AM_EXPLAIN_H

#include "engine/verdict.h"

char *explain_verdict(const struct verdict *v);

#endif
