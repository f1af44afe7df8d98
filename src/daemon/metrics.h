/*
 * metrics - counters and gauges of the daemon, served to Prometheus
 *
 * SYNOPSIS
 *	metrics_start("127.0.0.1:9806", &err);    (metrics.listen; "" = off)
 *	metrics_message(v, ms); metrics_skip(why); metrics_event(e);
 *	metrics_conn(+1 / -1); metrics_in_progress(+1 / -1); metrics_loaded();
 *	metrics_stop();
 *
 * DESCRIPTION
 *	metrics.c counts (atomics, no lock on the message path) and renders
 *	the Prometheus text format; metrics_http.c serves it at GET /metrics
 *	on metrics.listen with libmicrohttpd, in a thread of its own. The
 *	counting runs whether or not anything is served.
 */
#ifndef AM_METRICS_H
#define AM_METRICS_H

#include "engine/verdict.h"
#include "util/err.h"

enum metric_event {
	METRIC_CONN_OPENED,
	METRIC_PROTOCOL_ERROR,
	METRIC_IDLE_CLOSE,
	METRIC_RELOAD_OK,
	METRIC_RELOAD_FAILED,
	METRIC_N_EVENTS
};

void metrics_message(const struct verdict *v, long ms);
void metrics_skip(const char *why);
void metrics_event(enum metric_event e);
void metrics_conn(int delta);
void metrics_in_progress(int delta);
/* A configuration was loaded (at start, at a good reload). */
void metrics_loaded(void);
/* The text format, a new string. */
char *metrics_render(void);

/* 0, or -1 with err (an address that cannot be bound). listen "" does
 * nothing. */
int metrics_start(const char *listen, struct am_err *err);
void metrics_stop(void);

#endif
