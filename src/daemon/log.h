/*
 * log - the daemon's syslog output (and stderr in the foreground)
 *
 * SYNOPSIS
 *	log_open("authmilter", LOG_MAIL, foreground, debug);
 *	log_msg(LOG_INFO, "reload ok file=%s", path);
 *	log_kv(&sb, "helo", untrusted_value);
 *
 * DESCRIPTION
 *	Only the daemon logs (the engine fills errors and reasons). Lines are
 *	key=value pairs so they can be grepped and parsed. log_kv() appends
 *	" key=value", quoting the value when it has spaces, '"' or '=' and
 *	escaping control and 8-bit bytes as \xNN, so a value from the network
 *	can neither start a new line nor fake another key.
 *	LOG_DEBUG lines are dropped unless debugging is on.
 */
#ifndef AM_LOG_H
#define AM_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "util/strbuf.h"

void log_open(const char *ident, int facility, bool foreground, bool debug);
void log_reconfigure(int facility, bool debug);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_kv(struct strbuf *sb, const char *key, const char *value);

#endif
