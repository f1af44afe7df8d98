/*
 * resolver - the one DNS resolver every check uses (see resolver.h)
 *
 * DESCRIPTION
 *	One libunbound context, run in threaded async mode. A lookup is sent
 *	with ub_resolve_async() and then waited for with a deadline: whichever
 *	waiting thread is free polls the context's descriptor and calls
 *	ub_process(), which runs the callbacks of every finished lookup, its own
 *	or another thread's; the others sleep on a condition variable. All
 *	callbacks and cancellations run under the resolver mutex, so a lookup
 *	that times out can be cancelled without a callback arriving later.
 *
 *	resolver_new_fixed() (tests and fuzzing) makes a resolver without a
 *	libunbound context whose answers come from a function; see
 *	resolver_fixed_query().
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <unbound.h>

#include "dns/ahead.h"
#include "dns/cache.h"
#include "dns/resolver.h"
#include "dns/resolver_impl.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define RESOLVER_MAX_TIMEOUT 60.0
#define RESOLVER_CACHE_MAX_TTL 3600    /* seconds an answer is kept at most */
#define RESOLVER_CACHE_MAX_NEG_TTL 300 /* the same for NXDOMAIN and NODATA */

static int resolver_set(struct ub_ctx *ctx, const char *opt, const char *val, struct am_err *err)
{
	int rc = ub_ctx_set_option(ctx, opt, val);

	if (rc != 0)
		am_err_set(err, "resolver option %s %s: %s", opt, val, ub_strerror(rc));
	return rc;
}

/*
 * libunbound answers some reverse zones itself (RFC 1918, RFC 6303, the
 * documentation prefixes). A milter is a stub: those names belong to the
 * configured resolvers, which may well serve them (internal PTR records,
 * and SPF's ptr and %{p}). Only localhost's own zones stay local.
 */
static int resolver_unblock_zones(struct ub_ctx *ctx, struct am_err *err)
{
	static const char *const zones[] = {
	    "0.in-addr.arpa.",
	    "254.169.in-addr.arpa.",
	    "2.0.192.in-addr.arpa.",
	    "100.51.198.in-addr.arpa.",
	    "113.0.203.in-addr.arpa.",
	    "255.255.255.255.in-addr.arpa.",
	    "d.f.ip6.arpa.",
	    "8.e.f.ip6.arpa.",
	    "9.e.f.ip6.arpa.",
	    "a.e.f.ip6.arpa.",
	    "b.e.f.ip6.arpa.",
	    "8.b.d.0.1.0.0.2.ip6.arpa.",
	    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	};
	char buf[128];
	size_t i;

	if (resolver_set(ctx, "unblock-lan-zones:", "yes", err) != 0)
		return -1;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		snprintf(buf, sizeof(buf), "%s nodefault", zones[i]);
		if (resolver_set(ctx, "local-zone:", buf, err) != 0)
			return -1;
	}
	return 0;
}

static int resolver_configure(struct resolver *r, const struct resolver_opts *opts,
			      struct am_err *err)
{
	size_t i;
	int rc;

	/* Tests and sites with a local recursor use 127.0.0.0/8 servers. */
	if (resolver_set(r->ctx, "do-not-query-localhost:", "no", err) != 0)
		return -1;
	if (resolver_unblock_zones(r->ctx, err) != 0)
		return -1;
	/* A server that timed out once must not be written off for 15 min. */
	if (resolver_set(r->ctx, "infra-keep-probing:", "yes", err) != 0)
		return -1;
	if (opts->no_cache && (resolver_set(r->ctx, "cache-max-ttl:", "0", err) != 0 ||
			       resolver_set(r->ctx, "cache-max-negative-ttl:", "0", err) != 0))
		return -1;
	if (opts->n_nameservers == 0) {
		rc = ub_ctx_resolvconf(r->ctx, NULL);
		if (rc != 0) {
			am_err_set(err, "cannot read /etc/resolv.conf: %s", ub_strerror(rc));
			return -1;
		}
	}
	for (i = 0; i < opts->n_nameservers; i++) {
		rc = ub_ctx_set_fwd(r->ctx, opts->nameservers[i]);
		if (rc != 0) {
			am_err_set(err, "bad name server \"%s\": %s", opts->nameservers[i],
				   ub_strerror(rc));
			return -1;
		}
	}
	rc = ub_ctx_async(r->ctx, 1);
	if (rc != 0) {
		am_err_set(err, "resolver threads: %s", ub_strerror(rc));
		return -1;
	}
	return 0;
}

struct resolver *resolver_new(const struct resolver_opts *opts, struct am_err *err)
{
	struct resolver *r;

	if (!(opts->timeout > 0.0 && opts->timeout <= RESOLVER_MAX_TIMEOUT)) {
		am_err_set(err, "DNS timeout %.3g s out of range (0, %g]", opts->timeout,
			   RESOLVER_MAX_TIMEOUT);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->timeout = opts->timeout;
	r->ctx = ub_ctx_create();
	if (r->ctx == NULL) {
		am_err_set(err, "cannot create the DNS resolver");
		free(r);
		return NULL;
	}
	if (resolver_configure(r, opts, err) != 0) {
		ub_ctx_delete(r->ctx);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->pump_cond, NULL);
	if (!opts->no_cache && opts->cache_entries > 0)
		r->cache = dns_cache_new(opts->cache_entries, RESOLVER_CACHE_MAX_TTL,
					 RESOLVER_CACHE_MAX_NEG_TTL);
	return r;
}

struct resolver *
resolver_new_fixed(struct dns_result *(*lookup)(void *arg, const char *name, int type), void *arg)
{
	struct resolver *r = xcalloc(1, sizeof(*r));

	r->fixed = lookup;
	r->fixed_arg = arg;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_cond_init(&r->pump_cond, NULL);
	return r;
}

void resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	ahead_stop(r);
	if (r->ctx != NULL)
		ub_ctx_delete(r->ctx);
	dns_cache_free(r->cache);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
	pthread_cond_destroy(&r->pump_cond);
	free(r);
}

static unsigned long totals[RT_N];

void resolver_count(enum resolver_total which)
{
	__atomic_add_fetch(&totals[which], 1, __ATOMIC_RELAXED);
}

void resolver_totals(struct resolver_totals *t)
{
	t->queries = __atomic_load_n(&totals[RT_QUERY], __ATOMIC_RELAXED);
	t->cache_hits = __atomic_load_n(&totals[RT_CACHE_HIT], __ATOMIC_RELAXED);
	t->timeouts = __atomic_load_n(&totals[RT_TIMEOUT], __ATOMIC_RELAXED);
	t->tempfails = __atomic_load_n(&totals[RT_TEMPFAIL], __ATOMIC_RELAXED);
}

unsigned long resolver_query_count(struct resolver *r)
{
	unsigned long n;

	pthread_mutex_lock(&r->mu);
	n = r->queries;
	pthread_mutex_unlock(&r->mu);
	return n;
}

bool dns_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

/*
 * The name in presentation form for libunbound: every byte that is not a
 * letter, digit, '-' or '_' is written as \DDD, so no byte of a name that
 * came from a message can be read as syntax.
 */
char *resolver_escape(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(name), i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
		    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			strbuf_addc(&sb, (char)c);
		else
			strbuf_addf(&sb, "\\%03u", c);
	}
	strbuf_addc(&sb, '.');
	return strbuf_detach(&sb);
}

static void resolver_callback(void *arg, int err, struct ub_result *res)
{
	struct pending *p = arg;

	p->err = err;
	p->res = res;
	p->done = 1;
}

/* Poll the context's descriptor once, outside the lock, then run the
 * callbacks of what arrived and the continuations of lookups started
 * ahead (dns/ahead.h); called with mu held. */
void resolver_process_once(struct resolver *r, double wait)
{
	struct pollfd pfd;
	int ms = (int)(wait * 1000.0) + 1;

	if (ms > RESOLVER_POLL_MS)
		ms = RESOLVER_POLL_MS;
	r->processing = 1;
	pfd.fd = ub_fd(r->ctx);
	pfd.events = POLLIN;
	pthread_mutex_unlock(&r->mu);
	(void)poll(&pfd, 1, ms);
	pthread_mutex_lock(&r->mu);
	(void)ub_process(r->ctx);
	ahead_run_ready(r);
	r->processing = 0;
	pthread_cond_broadcast(&r->cond);
}

void resolver_sleep(struct resolver *r, double wait)
{
	struct timespec ts;
	double until;

	if (wait > RESOLVER_POLL_MS / 1000.0)
		wait = RESOLVER_POLL_MS / 1000.0;
	clock_gettime(CLOCK_REALTIME, &ts);
	until = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait;
	ts.tv_sec = (time_t)until;
	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	(void)pthread_cond_timedwait(&r->cond, &r->mu, &ts);
}

static __thread double thread_deadline; /* 0: no per-message budget */

void resolver_set_deadline(double seconds)
{
	thread_deadline = clock_now() + seconds;
}

void resolver_clear_deadline(void)
{
	thread_deadline = 0;
}

double resolver_thread_deadline(void)
{
	return thread_deadline;
}

/* Runs one lookup to completion or to the deadline. 0, or -1 on timeout. */
static int resolver_wait(struct resolver *r, const char *qname, int type, struct pending *p,
			 struct dns_result *out)
{
	double deadline = clock_now() + r->timeout, left;
	bool budget = false; /* the message's budget ends it, not dns.timeout */
	int id, rc;

	if (thread_deadline > 0 && thread_deadline < deadline) {
		deadline = thread_deadline;
		budget = true;
		if (deadline <= clock_now()) {
			out->error = xasprintf("the message's time budget is spent");
			return -1;
		}
	}
	pthread_mutex_lock(&r->mu);
	r->queries++;
	resolver_count(RT_QUERY);
	rc = ub_resolve_async(r->ctx, qname, type, 1, p, resolver_callback, &id);
	if (rc != 0) {
		pthread_mutex_unlock(&r->mu);
		out->error = xasprintf("resolver: %s", ub_strerror(rc));
		return -1;
	}
	while (!p->done && (left = deadline - clock_now()) > 0) {
		if (!r->processing)
			resolver_process_once(r, left);
		else
			resolver_sleep(r, left);
	}
	if (!p->done) {
		/* Under mu no callback can be running: after a successful
		 * cancel none will come; UB_NOID means it already came. */
		if (ub_cancel(r->ctx, id) == UB_NOERROR || !p->done) {
			pthread_mutex_unlock(&r->mu);
			resolver_count(RT_TIMEOUT);
			out->error = budget ? xasprintf("the message's time budget ran out")
					    : xasprintf("timeout after %.3g s", r->timeout);
			return -1;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/*
 * Reads an uncompressed wire-format name at p (n bytes available) into sb
 * in lower case without the trailing dot. Returns the bytes consumed, or 0
 * when the name is malformed or compressed.
 */
static size_t wire_name(const unsigned char *p, size_t n, struct strbuf *sb)
{
	size_t off = 0;

	while (off < n) {
		size_t len = p[off++], i;

		if (len == 0)
			return off;
		if (len > 63 || off + len > n)
			return 0;
		if (sb->len > 0)
			strbuf_addc(sb, '.');
		for (i = 0; i < len; i++) {
			unsigned char c = p[off + i];

			strbuf_addc(sb, (char)((c >= 'A' && c <= 'Z') ? c + 32 : c));
		}
		off += len;
	}
	return 0;
}

/* Fills rr->text from the raw RDATA; 0, or -1 when the RDATA is malformed. */
static int rr_decode(struct dns_rr *rr, int type)
{
	struct strbuf sb = STRBUF_INIT;
	char addr[INET6_ADDRSTRLEN];
	size_t off = 0;

	switch (type) {
	case DNS_T_TXT:
	case DNS_T_SPF:
		while (off < rr->len) {
			size_t len = rr->data[off++];

			if (off + len > rr->len)
				goto bad;
			strbuf_add(&sb, rr->data + off, len);
			off += len;
		}
		break;
	case DNS_T_MX:
		if (rr->len < 3)
			goto bad;
		rr->pref = (unsigned)rr->data[0] << 8 | rr->data[1];
		if (wire_name(rr->data + 2, rr->len - 2, &sb) != rr->len - 2)
			goto bad;
		break;
	case DNS_T_PTR:
	case DNS_T_CNAME:
	case DNS_T_NS:
		if (wire_name(rr->data, rr->len, &sb) != rr->len)
			goto bad;
		break;
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rr->len != (type == DNS_T_A ? 4u : 16u))
			goto bad;
		inet_ntop(type == DNS_T_A ? AF_INET : AF_INET6, rr->data, addr, sizeof(addr));
		strbuf_adds(&sb, addr);
		break;
	default:
		break;
	}
	rr->text_len = sb.len;
	rr->text = strbuf_detach(&sb);
	return 0;
bad:
	strbuf_free(&sb);
	return -1;
}

void resolver_result_fill(struct dns_result *out, struct ub_result *res, int type)
{
	size_t n = 0, i;

	out->rcode = res->rcode;
	if (res->answer_packet != NULL && res->answer_len > 0) {
		out->packet =
		    (unsigned char *)xmemdup0(res->answer_packet, (size_t)res->answer_len);
		out->packet_len = (size_t)res->answer_len;
	}
	if (res->rcode == 3 || res->nxdomain) {
		out->status = DNS_NXDOMAIN;
		return;
	}
	if (res->rcode != 0) {
		out->status = DNS_TEMPFAIL;
		out->error = xasprintf("server answered rcode %d", res->rcode);
		return;
	}
	while (res->havedata && res->data[n] != NULL)
		n++;
	out->rr = xcalloc(n ? n : 1, sizeof(*out->rr));
	for (i = 0; i < n; i++) {
		struct dns_rr *rr = &out->rr[out->nrr];

		rr->len = (size_t)res->len[i];
		rr->data = (unsigned char *)xmemdup0(res->data[i], rr->len);
		if (rr_decode(rr, type) != 0) {
			free(rr->data);
			memset(rr, 0, sizeof(*rr));
			continue; /* a malformed record is not an answer */
		}
		out->nrr++;
	}
	out->status = out->nrr > 0 ? DNS_OK : DNS_NODATA;
}

/*
 * A query of a resolver_new_fixed() resolver: the function's answer, with
 * undecoded records decoded (and malformed ones dropped) as result_fill()
 * does for a network answer. NULL from the function is NXDOMAIN.
 */
static struct dns_result *resolver_fixed_query(struct resolver *r, const char *name, int type)
{
	struct dns_result *out;
	size_t i, n = 0;

	pthread_mutex_lock(&r->mu);
	r->queries++;
	pthread_mutex_unlock(&r->mu);
	out = r->fixed(r->fixed_arg, name, type);
	if (out == NULL) {
		out = xcalloc(1, sizeof(*out));
		out->status = DNS_NXDOMAIN;
		out->rcode = 3;
		return out;
	}
	for (i = 0; i < out->nrr; i++) {
		struct dns_rr rr = out->rr[i];

		if (rr.text == NULL && rr_decode(&rr, type) != 0) {
			free(rr.data);
			continue;
		}
		out->rr[n++] = rr;
	}
	out->nrr = n;
	if (out->status == DNS_OK && n == 0)
		out->status = DNS_NODATA;
	return out;
}

static struct dns_result *resolver_lookup(struct resolver *r, const char *name, int type)
{
	struct dns_result *out = xcalloc(1, sizeof(*out));
	struct pending p = {0, 0, NULL};
	char *qname;

	out->rcode = -1;
	if (name == NULL || !dns_name_valid(name)) {
		out->status = DNS_BADNAME;
		out->error = xasprintf("invalid domain name");
		return out;
	}
	if (r->fixed != NULL) {
		free(out);
		return resolver_fixed_query(r, name, type);
	}
	if (r->cache != NULL) {
		struct dns_result *hit = dns_cache_get(r->cache, name, type);

		if (hit != NULL) {
			free(out);
			resolver_count(RT_CACHE_HIT);
			return hit;
		}
	}
	{
		/* started ahead for this message (dns/ahead.h) */
		struct dns_result *early = ahead_take(r, name, type);

		if (early != NULL) {
			free(out);
			return early;
		}
	}
	qname = resolver_escape(name);
	if (resolver_wait(r, qname, type, &p, out) != 0) {
		free(qname);
		out->status = DNS_TEMPFAIL;
		return out;
	}
	free(qname);
	if (p.err != 0 || p.res == NULL) {
		out->status = DNS_TEMPFAIL;
		out->error = xasprintf("resolver: %s", ub_strerror(p.err));
	} else {
		resolver_result_fill(out, p.res, type);
		if (r->cache != NULL && p.res->ttl > 0)
			dns_cache_put(r->cache, name, type, out, (unsigned)p.res->ttl);
	}
	ub_resolve_free(p.res);
	return out;
}

struct dns_result *resolver_query(struct resolver *r, const char *name, int type)
{
	struct dns_result *res = resolver_lookup(r, name, type);

	if (res->status == DNS_TEMPFAIL)
		resolver_count(RT_TEMPFAIL);
	return res;
}

void dns_result_free(struct dns_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nrr; i++) {
		free(res->rr[i].data);
		free(res->rr[i].text);
	}
	free(res->rr);
	free(res->error);
	free(res->packet);
	free(res);
}

const char *dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "ok";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_TEMPFAIL:
		return "tempfail";
	case DNS_BADNAME:
		return "badname";
	}
	return "unknown";
}
