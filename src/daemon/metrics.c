/*
 * metrics - what the daemon counts, in the Prometheus text format
 *
 * SYNOPSIS
 *	metrics_message(v, ms);        (each verdict, after its log line)
 *	metrics_skip("trusted_network");
 *	metrics_conn(+1); metrics_event(METRIC_PROTOCOL_ERROR);
 *	char *text = metrics_render();  (for GET /metrics: metrics_http.c)
 *
 * DESCRIPTION
 *	Counters are process-wide atomics (relaxed): the message path takes
 *	no lock. Every label value comes from a fixed set (actions, the
 *	policy's reason keys, the result names of each method, override
 *	kinds), never from mail or DNS; a value outside its set (there is
 *	none today) is counted as "other", so a sender cannot add series.
 *	The added delay (the log line's ms) goes to a histogram in seconds.
 *	DNS totals come from the resolver (resolver_totals()), the report
 *	queue's from the recorder.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/metrics.h"
#include "daemon/recorder.h"
#include "dns/resolver.h"
#include "engine/verdict.h"
#include "util/clock.h"
#include "util/strbuf.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const actions[] = {"accept", "quarantine", "reject", "tempfail", "skip"};
static const char *const reasons[] = {
    "dmarc_pass",	"no_dmarc_policy",	 "dmarc_fail_policy_none", "dmarc_reject",
    "dmarc_quarantine", "dmarc_temperror",	 "auth_temperror",	   "no_from",
    "multiple_from",	"multiple_from_domains", "unparseable_from",	   "header_limit",
    "trusted_network",	"authenticated",	 "no_client_address",	   "other"};
static const char *const methods[] = {"spf", "spf_helo", "dkim", "dmarc", "arc", "iprev"};
static const char *const results[] = {"none",	  "pass",   "fail",	 "neutral",
				      "softfail", "policy", "temperror", "permerror"};
static const char *const overrides[] = {"allow_network", "allow_domain", "monitor", "arc"};
static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
				 0.25,	0.5,   1.0,  2.5,   5.0,  10.0};

enum { M_SPF, M_SPF_HELO, M_DKIM, M_DMARC, M_ARC, M_IPREV };

static struct {
	unsigned long messages[N_OF(actions)][N_OF(reasons)];
	unsigned long results[N_OF(methods)][N_OF(results)];
	unsigned long overrides[N_OF(overrides)];
	unsigned long events[METRIC_N_EVENTS];
	unsigned long delay[N_OF(buckets) + 1]; /* the last: +Inf */
	unsigned long delay_ms_sum;
	long conns, in_progress; /* gauges */
	double loaded_at;	 /* the configuration in use since (clock_now()) */
} m;

static void add(unsigned long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static unsigned long get(const unsigned long *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The index of s in names[0..n-1]; n - 1 (the catch-all) when absent. */
static size_t lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return n - 1;
}

static void add_result(int method, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < N_OF(results); i++)
		if (strcmp(results[i], name) == 0) {
			add(&m.results[method][i]);
			return;
		}
}

void metrics_message(const struct verdict *v, long ms)
{
	size_t a = lookup(actions, N_OF(actions), action_name(v->action)), i, b;

	add(&m.messages[a][lookup(reasons, N_OF(reasons), v->reason)]);
	if (v->checked) {
		add_result(M_SPF, spf_result_name(v->spf.result));
		add_result(M_SPF_HELO, spf_result_name(v->spf_helo.result));
		for (i = 0; i < v->n_dkim; i++)
			add_result(M_DKIM, dkimv_result_name(v->dkim[i].result));
		add_result(M_DMARC, dmarc_result_name(v->dmarc.result));
		add_result(M_ARC, arc_result_name(v->arc.result));
		add_result(M_IPREV, iprev_result_name(v->iprev.result));
	}
	for (i = 0; v->override != NULL && i < N_OF(overrides); i++)
		if (strcmp(overrides[i], v->override) == 0)
			add(&m.overrides[i]);
	for (b = 0; b < N_OF(buckets) && (double)ms / 1000.0 > buckets[b]; b++)
		;
	add(&m.delay[b]);
	__atomic_add_fetch(&m.delay_ms_sum, (unsigned long)(ms > 0 ? ms : 0), __ATOMIC_RELAXED);
}

void metrics_skip(const char *why)
{
	add(&m.messages[N_OF(actions) - 1][lookup(reasons, N_OF(reasons), why)]);
}

void metrics_event(enum metric_event e)
{
	if ((unsigned)e < METRIC_N_EVENTS)
		add(&m.events[e]);
}

void metrics_conn(int delta)
{
	if (delta > 0)
		add(&m.events[METRIC_CONN_OPENED]);
	__atomic_add_fetch(&m.conns, delta, __ATOMIC_RELAXED);
}

void metrics_in_progress(int delta)
{
	__atomic_add_fetch(&m.in_progress, delta, __ATOMIC_RELAXED);
}

void metrics_loaded(void)
{
	double now = clock_now();

	__atomic_store(&m.loaded_at, &now, __ATOMIC_RELAXED);
}

static void head(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_messages(struct strbuf *sb)
{
	size_t a, r;

	head(sb, "authmilter_messages_total", "counter",
	     "Messages by the action taken and the reason key of the log line.");
	for (a = 0; a < N_OF(actions); a++)
		for (r = 0; r < N_OF(reasons); r++)
			if (get(&m.messages[a][r]) > 0)
				strbuf_addf(
				    sb,
				    "authmilter_messages_total{action=\"%s\",reason=\"%s\"} "
				    "%lu\n",
				    actions[a], reasons[r], get(&m.messages[a][r]));
	head(sb, "authmilter_results_total", "counter",
	     "Results by method (dkim: one per signature).");
	for (a = 0; a < N_OF(methods); a++)
		for (r = 0; r < N_OF(results); r++)
			if (get(&m.results[a][r]) > 0)
				strbuf_addf(sb,
					    "authmilter_results_total{method=\"%s\",result=\"%s\"} "
					    "%lu\n",
					    methods[a], results[r], get(&m.results[a][r]));
	head(sb, "authmilter_overrides_total", "counter",
	     "Refusals the local policy turned into accept, by kind.");
	for (a = 0; a < N_OF(overrides); a++)
		strbuf_addf(sb, "authmilter_overrides_total{kind=\"%s\"} %lu\n", overrides[a],
			    get(&m.overrides[a]));
}

static void counter(struct strbuf *sb, const char *name, const char *help, unsigned long v)
{
	head(sb, name, "counter", help);
	strbuf_addf(sb, "%s %lu\n", name, v);
}

static void render_delay(struct strbuf *sb)
{
	unsigned long cum = 0;
	size_t b;

	head(sb, "authmilter_added_delay_seconds", "histogram",
	     "Time from end of message to the reply (the log line's ms).");
	for (b = 0; b < N_OF(buckets); b++) {
		cum += get(&m.delay[b]);
		strbuf_addf(sb, "authmilter_added_delay_seconds_bucket{le=\"%g\"} %lu\n",
			    buckets[b], cum);
	}
	cum += get(&m.delay[N_OF(buckets)]);
	strbuf_addf(sb, "authmilter_added_delay_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
	strbuf_addf(sb, "authmilter_added_delay_seconds_sum %.3f\n",
		    (double)get(&m.delay_ms_sum) / 1000.0);
	strbuf_addf(sb, "authmilter_added_delay_seconds_count %lu\n", cum);
}

static void render_daemon(struct strbuf *sb)
{
	struct resolver_totals t;
	unsigned long rec = 0, drop = 0;
	double loaded;

	resolver_totals(&t);
	counter(sb, "authmilter_dns_queries_total", "DNS queries sent.", t.queries);
	counter(sb, "authmilter_dns_cache_hits_total", "DNS lookups answered by the cache.",
		t.cache_hits);
	counter(sb, "authmilter_dns_timeouts_total", "DNS lookups that timed out.", t.timeouts);
	counter(sb, "authmilter_dns_temporary_errors_total",
		"DNS lookups that failed temporarily (timeouts included).", t.tempfails);
	counter(sb, "authmilter_milter_connections_total", "MTA connections opened.",
		get(&m.events[METRIC_CONN_OPENED]));
	counter(sb, "authmilter_milter_protocol_errors_total",
		"MTA connections closed for a protocol error.",
		get(&m.events[METRIC_PROTOCOL_ERROR]));
	counter(sb, "authmilter_milter_idle_closes_total",
		"MTA connections closed by idle_timeout or negotiate_timeout.",
		get(&m.events[METRIC_IDLE_CLOSE]));
	head(sb, "authmilter_reloads_total", "counter", "Configuration reloads, by outcome.");
	strbuf_addf(sb, "authmilter_reloads_total{result=\"ok\"} %lu\n",
		    get(&m.events[METRIC_RELOAD_OK]));
	strbuf_addf(sb, "authmilter_reloads_total{result=\"failed\"} %lu\n",
		    get(&m.events[METRIC_RELOAD_FAILED]));
	recorder_counts(&rec, &drop);
	counter(sb, "authmilter_report_records_total", "Records queued for aggregate reports.",
		rec);
	counter(sb, "authmilter_report_dropped_total",
		"Records dropped: the report queue was full.", drop);
	head(sb, "authmilter_connections_active", "gauge", "MTA connections open.");
	strbuf_addf(sb, "authmilter_connections_active %ld\n",
		    __atomic_load_n(&m.conns, __ATOMIC_RELAXED));
	head(sb, "authmilter_messages_in_progress", "gauge", "Messages between MAIL and the end.");
	strbuf_addf(sb, "authmilter_messages_in_progress %ld\n",
		    __atomic_load_n(&m.in_progress, __ATOMIC_RELAXED));
	__atomic_load(&m.loaded_at, &loaded, __ATOMIC_RELAXED);
	head(sb, "authmilter_config_age_seconds", "gauge",
	     "Seconds since the configuration in use was loaded.");
	strbuf_addf(sb, "authmilter_config_age_seconds %.0f\n",
		    loaded > 0 ? clock_now() - loaded : 0.0);
}

char *metrics_render(void)
{
	struct strbuf sb = STRBUF_INIT;

	render_messages(&sb);
	render_delay(&sb);
	render_daemon(&sb);
	return strbuf_detach(&sb);
}
