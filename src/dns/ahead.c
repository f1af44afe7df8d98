/*
 * ahead - DNS lookups started before their answers are needed (see ahead.h)
 *
 * DESCRIPTION
 *	A lookup started ahead is sent with ub_resolve_async() at once; its
 *	entry in the set holds the answer when libunbound's callback brings
 *	it. Callbacks run inside ub_process(), which is called under the
 *	resolver's lock by whichever thread polls libunbound's descriptor: a
 *	thread waiting for an answer (resolver.c), or the pump thread that
 *	this file starts the first time a lookup is sent ahead, so that
 *	answers (and the lookups their continuations start) move on while
 *	the connection's thread is busy reading from the MTA. Continuations
 *	are not run inside libunbound's callback but right after
 *	ub_process() returns (ahead_run_ready()), still under the lock.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unbound.h>

#include "dns/ahead.h"
#include "dns/cache.h"
#include "dns/resolver.h"
#include "dns/resolver_impl.h"
#include "util/clock.h"
#include "util/xalloc.h"

enum ahead_state {
	AE_OUT,	 /* sent, no answer yet */
	AE_DONE, /* answered (res), or answered from the cache (res NULL) */
	AE_LOST, /* not sent, or abandoned after a timeout: ask again */
};

struct ahead_entry {
	struct dns_ahead *set;
	char *name;
	int type;
	int id;
	enum ahead_state state;
	struct dns_result *res;
	dns_ahead_fn *then;
	void *arg;
	struct ahead_entry *next_ready;
};

struct ahead_mem {
	struct ahead_mem *next;
	max_align_t data[];
};

struct dns_ahead {
	struct resolver *r;
	struct ahead_entry *e[DNS_AHEAD_MAX];
	size_t n;
	unsigned sent;
	struct ahead_mem *mem;
};

static __thread struct dns_ahead *in_use[3];
static __thread bool holding; /* running continuations: the lock is held */

struct dns_ahead *dns_ahead_new(struct resolver *r)
{
	struct dns_ahead *a = xcalloc(1, sizeof(*a));

	a->r = r;
	return a;
}

struct resolver *dns_ahead_resolver(const struct dns_ahead *a)
{
	return a->r;
}

void *dns_ahead_alloc(struct dns_ahead *a, size_t n)
{
	struct ahead_mem *m = xcalloc(1, sizeof(*m) + n);

	m->next = a->mem;
	a->mem = m;
	return m->data;
}

unsigned dns_ahead_sent(const struct dns_ahead *a)
{
	return a != NULL ? a->sent : 0;
}

void dns_ahead_use(struct dns_ahead *a, struct dns_ahead *b, struct dns_ahead *c)
{
	in_use[0] = a;
	in_use[1] = b;
	in_use[2] = c;
}

static void ahead_callback(void *arg, int err, struct ub_result *res)
{
	struct ahead_entry *e = arg;
	struct resolver *r = e->set->r;

	if (e->state != AE_OUT) { /* cannot happen: cancelled under the lock */
		ub_resolve_free(res);
		return;
	}
	r->ahead_out--;
	e->res = xcalloc(1, sizeof(*e->res));
	e->res->rcode = -1;
	if (err != 0 || res == NULL) {
		e->res->status = DNS_TEMPFAIL;
		e->res->error = xasprintf("resolver: %s", ub_strerror(err));
	} else {
		resolver_result_fill(e->res, res, e->type);
		if (r->cache != NULL && res->ttl > 0)
			dns_cache_put(r->cache, e->name, e->type, e->res, (unsigned)res->ttl);
	}
	ub_resolve_free(res);
	e->state = AE_DONE;
	if (e->then != NULL) {
		e->next_ready = r->ready;
		r->ready = e;
	}
}

static void run_then(struct ahead_entry *e, const struct dns_result *res)
{
	bool was = holding;

	holding = true;
	e->then(e->arg, e->set, res);
	holding = was;
}

void ahead_run_ready(struct resolver *r)
{
	struct ahead_entry *e;

	while ((e = r->ready) != NULL) {
		r->ready = e->next_ready;
		e->next_ready = NULL;
		run_then(e, e->res);
	}
}

/* Keeps ub_process() going while lookups are out and nobody waits. */
static void *ahead_pump(void *arg)
{
	struct resolver *r = arg;

	pthread_mutex_lock(&r->mu);
	while (!r->pump_stop) {
		if (r->ahead_out == 0)
			pthread_cond_wait(&r->pump_cond, &r->mu);
		else if (!r->processing)
			resolver_process_once(r, RESOLVER_POLL_MS / 1000.0);
		else
			resolver_sleep(r, RESOLVER_POLL_MS / 1000.0);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

void ahead_stop(struct resolver *r)
{
	bool started;

	pthread_mutex_lock(&r->mu);
	r->pump_stop = true;
	started = r->pump_started;
	pthread_cond_broadcast(&r->pump_cond);
	pthread_mutex_unlock(&r->mu);
	if (started)
		pthread_join(r->pump, NULL);
}

static struct ahead_entry *ahead_find(struct dns_ahead *a, const char *name, int type)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->e[i]->type == type && strcasecmp(a->e[i]->name, name) == 0)
			return a->e[i];
	return NULL;
}

/* Sends the lookup; called with the lock held. */
static void ahead_send(struct dns_ahead *a, struct ahead_entry *e)
{
	struct resolver *r = a->r;
	char *qname = resolver_escape(e->name);
	int rc = ub_resolve_async(r->ctx, qname, e->type, 1, e, ahead_callback, &e->id);

	free(qname);
	if (rc != 0) {
		e->state = AE_LOST;
		return;
	}
	e->state = AE_OUT;
	r->queries++;
	resolver_count(RT_QUERY);
	a->sent++;
	if (r->ahead_out++ == 0) {
		if (!r->pump_started && !r->pump_stop &&
		    pthread_create(&r->pump, NULL, ahead_pump, r) == 0)
			r->pump_started = true;
		pthread_cond_signal(&r->pump_cond);
	}
}

static void ahead_start_locked(struct dns_ahead *a, const char *name, int type, dns_ahead_fn *then,
			       void *arg)
{
	struct resolver *r = a->r;
	struct ahead_entry *e;
	struct dns_result *hit = NULL;

	if (r->fixed != NULL || r->ctx == NULL || a->n >= DNS_AHEAD_MAX || name == NULL ||
	    !dns_name_valid(name) || ahead_find(a, name, type) != NULL)
		return;
	e = xcalloc(1, sizeof(*e));
	e->set = a;
	e->name = xstrdup(name);
	e->type = type;
	e->then = then;
	e->arg = arg;
	a->e[a->n++] = e;
	if (r->cache != NULL)
		hit = dns_cache_get(r->cache, name, type);
	if (hit != NULL) {
		e->state = AE_DONE; /* the query will be answered by the cache */
		if (then != NULL)
			run_then(e, hit);
		dns_result_free(hit);
		return;
	}
	ahead_send(a, e);
}

void dns_ahead_start(struct dns_ahead *a, const char *name, int type, dns_ahead_fn *then, void *arg)
{
	struct dns_result *hit;

	if (a == NULL || a->r->fixed != NULL)
		return;
	/* A cached answer with nothing to follow: the check's own query will
	 * be answered by the cache too, so there is nothing to start (and no
	 * lock to take on the message path). */
	if (then == NULL && a->r->cache != NULL && name != NULL &&
	    (hit = dns_cache_get(a->r->cache, name, type)) != NULL) {
		dns_result_free(hit);
		return;
	}
	if (holding) {
		ahead_start_locked(a, name, type, then, arg);
		return;
	}
	pthread_mutex_lock(&a->r->mu);
	ahead_start_locked(a, name, type, then, arg);
	pthread_mutex_unlock(&a->r->mu);
}

static struct dns_result *ahead_fail(const char *why)
{
	struct dns_result *out = xcalloc(1, sizeof(*out));

	out->rcode = -1;
	out->status = DNS_TEMPFAIL;
	out->error = xstrdup(why);
	return out;
}

/* Waits for e (lock held) until deadline; its answer, or a timeout. */
static struct dns_result *ahead_wait(struct resolver *r, struct ahead_entry *e)
{
	double now = clock_now(), deadline = now + r->timeout, tdl = resolver_thread_deadline(),
	       left;
	bool budget = false;
	char why[64];

	if (e->state == AE_OUT && tdl > 0 && tdl <= now)
		return ahead_fail("the message's time budget is spent");
	if (tdl > 0 && tdl < deadline) {
		deadline = tdl;
		budget = true;
	}
	while (e->state == AE_OUT && (left = deadline - clock_now()) > 0) {
		if (!r->processing)
			resolver_process_once(r, left);
		else
			resolver_sleep(r, left);
	}
	if (e->state == AE_DONE)
		return dns_result_copy(e->res);
	/* Under the lock no callback runs: after the cancel none comes. */
	(void)ub_cancel(r->ctx, e->id);
	e->state = AE_LOST;
	r->ahead_out--;
	resolver_count(RT_TIMEOUT);
	if (budget)
		return ahead_fail("the message's time budget ran out");
	snprintf(why, sizeof(why), "timeout after %.3g s", r->timeout);
	return ahead_fail(why);
}

struct dns_result *ahead_take(struct resolver *r, const char *name, int type)
{
	struct ahead_entry *e = NULL;
	struct dns_result *out = NULL;
	size_t i;

	if (in_use[0] == NULL && in_use[1] == NULL && in_use[2] == NULL)
		return NULL;
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < 3 && e == NULL; i++)
		if (in_use[i] != NULL && in_use[i]->r == r)
			e = ahead_find(in_use[i], name, type);
	/* Not started, not sent, or answered from the cache: ask as usual. */
	if (e != NULL && (e->state == AE_OUT || (e->state == AE_DONE && e->res != NULL)))
		out = ahead_wait(r, e);
	pthread_mutex_unlock(&r->mu);
	return out;
}

void dns_ahead_free(struct dns_ahead *a)
{
	struct resolver *r;
	struct ahead_entry **pp;
	struct ahead_mem *m;
	size_t i;

	if (a == NULL)
		return;
	r = a->r;
	pthread_mutex_lock(&r->mu);
	for (pp = &r->ready; *pp != NULL;) /* never set outside the lock; to be sure */
		if ((*pp)->set == a)
			*pp = (*pp)->next_ready;
		else
			pp = &(*pp)->next_ready;
	for (i = 0; i < a->n; i++) {
		struct ahead_entry *e = a->e[i];

		if (e->state == AE_OUT) {
			(void)ub_cancel(r->ctx, e->id);
			r->ahead_out--;
		}
		dns_result_free(e->res);
		free(e->name);
		free(e);
	}
	pthread_mutex_unlock(&r->mu);
	while ((m = a->mem) != NULL) {
		a->mem = m->next;
		free(m);
	}
	for (i = 0; i < 3; i++)
		if (in_use[i] == a)
			in_use[i] = NULL;
	free(a);
}
