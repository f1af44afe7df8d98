/*
 * ahead_driver - lookups started ahead (dns/ahead.h), against the DNS
 * server on loopback, for ahead.sh
 *
 * SYNOPSIS
 *	ahead_driver PORT TIMEOUT share NAME
 *	ahead_driver PORT TIMEOUT parallel NAME...
 *	ahead_driver PORT TIMEOUT cancel NAME
 *	ahead_driver PORT TIMEOUT late NAME
 *	ahead_driver PORT TIMEOUT budget NAME
 *	ahead_driver PORT TIMEOUT spf IP MAILFROM HELO
 *
 * DESCRIPTION
 *	Each command makes a resolver without the answer cache (so every
 *	answer comes from a lookup), prints what it saw as "key=value" lines
 *	and exits 0; ahead.sh compares them, and the DNS server's query log.
 *	  share     NAME (TXT) started ahead, then asked for: the answer, and
 *	            how many lookups the resolver sent for it (1).
 *	  parallel  every NAME (TXT) started at once: how many were out
 *	            before any answer came (each name is slow), then each
 *	            asked for in turn.
 *	  cancel    NAME (A) started, the set freed at once: nothing may
 *	            touch it afterwards (run under valgrind or ASan); then
 *	            the same name asked for without a set.
 *	  late      NAME (A) never answers: asked for after its start, it
 *	            times out within TIMEOUT of the asking.
 *	  budget    the calling thread's budget spent: a lookup still out
 *	            fails at once.
 *	  spf       the SPF check of MAILFROM, once with its lookups started
 *	            ahead (and waited for), once on a fresh resolver without:
 *	            both results, and the lookups the first check itself sent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/ahead.h"
#include "dns/resolver.h"
#include "engine/spf.h"
#include "util/clock.h"

static struct resolver *new_resolver(const char *ns, double timeout)
{
	const char *servers[1] = {ns};
	struct resolver_opts o = {servers, 1, timeout, false, 0};
	struct am_err err = {""};
	struct resolver *r = resolver_new(&o, &err);

	if (r == NULL) {
		fprintf(stderr, "ahead_driver: %s\n", err.msg);
		exit(2);
	}
	return r;
}

static void nap(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

static void print_result(const char *what, const struct dns_result *res)
{
	printf("%s=%s", what, dns_status_name(res->status));
	if (res->status == DNS_OK && res->nrr > 0)
		printf(" text=%s", res->rr[0].text);
	if (res->error != NULL)
		printf(" error=\"%s\"", res->error);
	printf("\n");
}

static void ask(struct resolver *r, struct dns_ahead *a, const char *what, const char *name,
		int type)
{
	struct dns_result *res;

	dns_ahead_use(a, NULL, NULL);
	res = resolver_query(r, name, type);
	dns_ahead_use(NULL, NULL, NULL);
	print_result(what, res);
	dns_result_free(res);
}

static const char *spf_name(enum spf_result res)
{
	static const char *const names[] = {"none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror"};

	return (unsigned)res < 7 ? names[res] : "?";
}

static int cmd_spf(const char *ns, double timeout, char **argv)
{
	struct resolver *r = new_resolver(ns, timeout), *r2 = new_resolver(ns, timeout);
	struct dns_ahead *a = dns_ahead_new(r);
	struct spf_outcome o1, o2;
	unsigned long before;
	unsigned last = 0;
	int quiet = 0;

	spf_ahead_mailfrom(a, NULL, argv[0], argv[1], argv[2], "mx.example.org");
	/* until nothing new has been started for 0.3 s: the chain is out */
	while (quiet < 6) {
		nap(0.05);
		quiet = dns_ahead_sent(a) == last ? quiet + 1 : 0;
		last = dns_ahead_sent(a);
	}
	printf("started=%u\n", dns_ahead_sent(a));
	before = resolver_query_count(r);
	dns_ahead_use(a, NULL, NULL);
	spf_check_mailfrom(r, NULL, argv[0], argv[1], argv[2], "mx.example.org", &o1);
	dns_ahead_use(NULL, NULL, NULL);
	printf("check_sent=%lu\n", resolver_query_count(r) - before);
	spf_check_mailfrom(r2, NULL, argv[0], argv[1], argv[2], "mx.example.org", &o2);
	printf("ahead=%s reason=\"%s\"\n", spf_name(o1.result), o1.reason);
	printf("plain=%s reason=\"%s\"\n", spf_name(o2.result), o2.reason);
	spf_outcome_clear(&o1);
	spf_outcome_clear(&o2);
	dns_ahead_free(a);
	resolver_free(r);
	resolver_free(r2);
	return 0;
}

int main(int argc, char **argv)
{
	char ns[64];
	double timeout;
	struct resolver *r;
	struct dns_ahead *a;
	int i;

	if (argc < 5) {
		fprintf(stderr, "usage: ahead_driver PORT TIMEOUT CMD ARGS...\n");
		return 2;
	}
	snprintf(ns, sizeof(ns), "127.0.0.1@%s", argv[1]);
	timeout = atof(argv[2]);
	if (strcmp(argv[3], "spf") == 0 && argc == 7)
		return cmd_spf(ns, timeout, argv + 4);
	r = new_resolver(ns, timeout);
	a = dns_ahead_new(r);
	if (strcmp(argv[3], "share") == 0) {
		dns_ahead_start(a, argv[4], DNS_T_TXT, NULL, NULL);
		nap(0.3);
		printf("sent_before=%lu\n", resolver_query_count(r));
		ask(r, a, "answer", argv[4], DNS_T_TXT);
		printf("sent=%lu\n", resolver_query_count(r));
	} else if (strcmp(argv[3], "parallel") == 0) {
		for (i = 4; i < argc; i++)
			dns_ahead_start(a, argv[i], DNS_T_TXT, NULL, NULL);
		printf("out_at_once=%u\n", dns_ahead_sent(a));
		for (i = 4; i < argc; i++)
			ask(r, a, argv[i], argv[i], DNS_T_TXT);
		printf("sent=%lu\n", resolver_query_count(r));
	} else if (strcmp(argv[3], "cancel") == 0) {
		dns_ahead_start(a, argv[4], DNS_T_A, NULL, NULL);
		dns_ahead_free(a);
		a = NULL;
		nap(0.2);
		ask(r, NULL, "after", argv[4], DNS_T_A);
		printf("sent=%lu\n", resolver_query_count(r));
	} else if (strcmp(argv[3], "late") == 0) {
		double t0;

		dns_ahead_start(a, argv[4], DNS_T_A, NULL, NULL);
		nap(timeout * 1.5); /* past its own timeout before anyone asks */
		t0 = clock_now();
		ask(r, a, "answer", argv[4], DNS_T_A);
		printf("waited_at_least_timeout=%s\n",
		       clock_now() - t0 >= timeout * 0.9 ? "yes" : "no");
	} else if (strcmp(argv[3], "budget") == 0) {
		dns_ahead_start(a, argv[4], DNS_T_A, NULL, NULL);
		resolver_set_deadline(0);
		ask(r, a, "answer", argv[4], DNS_T_A);
		resolver_clear_deadline();
	} else {
		fprintf(stderr, "ahead_driver: unknown command %s\n", argv[3]);
		return 2;
	}
	dns_ahead_free(a);
	resolver_free(r);
	return 0;
}
