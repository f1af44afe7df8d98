/*
 * log - the daemon's syslog output (see log.h)
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"

#define LOG_VALUE_MAX 256

static const char *log_ident = "authmilter";
static int log_facility = LOG_MAIL;
static bool log_foreground;
/* Read by every log_msg() without the lock, written at reload: atomic. */
static bool log_debug;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void log_open(const char *ident, int facility, bool foreground, bool debug)
{
	log_ident = ident;
	log_facility = facility;
	log_foreground = foreground;
	__atomic_store_n(&log_debug, debug, __ATOMIC_RELAXED);
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void log_reconfigure(int facility, bool debug)
{
	pthread_mutex_lock(&log_mu);
	if (facility != log_facility) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
		log_facility = facility;
	}
	__atomic_store_n(&log_debug, debug, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&log_mu);
}

void log_msg(int level, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (level == LOG_DEBUG && !__atomic_load_n(&log_debug, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	syslog(level, "%s", line);
	if (log_foreground)
		fprintf(stderr, "%s[%d]: %s\n", log_ident, (int)getpid(), line);
	pthread_mutex_unlock(&log_mu);
}

void log_kv(struct strbuf *sb, const char *key, const char *value)
{
	const unsigned char *p, *end;
	bool quote = false;
	size_t len;

	if (value == NULL || *value == '\0')
		value = "-";
	/* at most LOG_VALUE_MAX bytes of a value (escaped, 4 times that), so
	 * the whole line fits log_msg()'s buffer; a cut value ends in "..." */
	len = strnlen(value, LOG_VALUE_MAX);
	end = (const unsigned char *)value + len;
	for (p = (const unsigned char *)value; p < end; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p >= 0x7f)
			quote = true;
	strbuf_addf(sb, " %s=", key);
	if (!quote) {
		strbuf_addf(sb, "%.*s%s", (int)len, value, value[len] ? "..." : "");
		return;
	}
	strbuf_addc(sb, '"');
	for (p = (const unsigned char *)value; p < end; p++) {
		if (*p == '"')
			strbuf_adds(sb, "\\\"");
		else if (*p >= ' ' && *p < 0x7f && *p != '\\')
			strbuf_addc(sb, (char)*p);
		else
			strbuf_addf(sb, "\\x%02x", *p);
	}
	strbuf_adds(sb, value[len] ? "...\"" : "\"");
}
