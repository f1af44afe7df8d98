/*
 * resolver_impl - what resolver.c and ahead.c share (not a public API)
 */
#ifndef AM_RESOLVER_IMPL_H
#define AM_RESOLVER_IMPL_H

#include <pthread.h>
#include <stdbool.h>

#include <unbound.h>

#include "dns/resolver.h"

#define RESOLVER_POLL_MS 50

struct ahead_entry;

struct resolver {
	struct ub_ctx *ctx;
	double timeout;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int processing; /* a thread is polling the descriptor */
	unsigned long queries;
	struct dns_cache *cache; /* NULL: every lookup goes to libunbound */
	/* resolver_new_fixed(): answers come from here, ctx is NULL */
	struct dns_result *(*fixed)(void *arg, const char *name, int type);
	void *fixed_arg;
	/* lookups started ahead (ahead.c), all under mu */
	unsigned ahead_out;	   /* sent, not answered */
	struct ahead_entry *ready; /* answered, continuation not run yet */
	pthread_t pump;		   /* runs ub_process() while ahead_out > 0 */
	bool pump_started, pump_stop;
	pthread_cond_t pump_cond;
};

struct pending {
	int done;
	int err;
	struct ub_result *res;
};

/* resolver.c */
enum resolver_total { RT_QUERY, RT_CACHE_HIT, RT_TIMEOUT, RT_TEMPFAIL, RT_N };
void resolver_count(enum resolver_total which);
char *resolver_escape(const char *name);
void resolver_process_once(struct resolver *r, double wait);
void resolver_sleep(struct resolver *r, double wait);
double resolver_thread_deadline(void);
void resolver_result_fill(struct dns_result *out, struct ub_result *res, int type);

/* ahead.c */
/* The answer of a lookup the calling thread's message started ahead
 * (waited for, within dns.timeout of its start and the message's budget),
 * or NULL when none was started: then the lookup is made as usual. */
struct dns_result *ahead_take(struct resolver *r, const char *name, int type);
/* Runs the continuations of lookups answered by the last ub_process(). */
void ahead_run_ready(struct resolver *r);
/* Stops the pump thread (resolver_free()). */
void ahead_stop(struct resolver *r);

#endif
