/*
 * resolve - query the project's resolver from the command line (tests)
 *
 *	resolve [-T TIMEOUT] [-t THREADS] [-n REPEAT] [-C CACHE] [-D BUDGET]
 *	        NAMESERVER TYPE NAME...
 *
 * Prints, per name, "NAME STATUS RECORD|RECORD..." with records sorted,
 * MX as "PREF NAME", then the elapsed milliseconds of the whole run on a
 * last line "elapsed MS". With -t, every thread resolves every name -n
 * times concurrently and the answers of all threads must agree (exit 1
 * and a message if not). -C keeps up to CACHE answers in the resolver's own
 * cache; -D gives the single-threaded lookups a time budget of BUDGET
 * seconds in all (resolver_set_deadline), as a message has; -S sleeps
 * between the -n rounds. The last lines are "sent N", the lookups that went
 * to libunbound (not answered by the resolver's own cache), and "elapsed MS".
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dns/resolver.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static struct resolver *res;
static char **names;
static int n_names, type, repeat = 1;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *describe(const char *name)
{
	struct dns_result *r = resolver_query(res, name, type);
	struct strbuf sb = STRBUF_INIT;
	char **items = xcalloc(r->nrr + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < r->nrr; i++)
		items[i] = type == DNS_T_MX ? xasprintf("%u %s", r->rr[i].pref, r->rr[i].text)
					    : xstrdup(r->rr[i].text);
	qsort(items, r->nrr, sizeof(char *), cmp);
	strbuf_addf(&sb, "%s %s", name, dns_status_name(r->status));
	for (i = 0; i < r->nrr; i++) {
		strbuf_addf(&sb, "%s%s", i ? "|" : " ", items[i]);
		free(items[i]);
	}
	free(items);
	dns_result_free(r);
	return strbuf_detach(&sb);
}

static void *worker(void *arg)
{
	char **expect = arg;
	long bad = 0;
	int i, k;

	for (k = 0; k < repeat; k++)
		for (i = 0; i < n_names; i++) {
			char *got = describe(names[i]);

			if (strcmp(got, expect[i]) != 0) {
				fprintf(stderr, "thread answer differs: %s vs %s\n", got,
					expect[i]);
				bad++;
			}
			free(got);
		}
	return (void *)bad;
}

static int type_of(const char *s)
{
	static const struct {
		const char *name;
		int type;
	} t[] = {{"A", DNS_T_A},     {"AAAA", DNS_T_AAAA},   {"MX", DNS_T_MX}, {"TXT", DNS_T_TXT},
		 {"PTR", DNS_T_PTR}, {"CNAME", DNS_T_CNAME}, {"NS", DNS_T_NS}};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0)
			return t[i].type;
	return -1;
}

int main(int argc, char **argv)
{
	struct resolver_opts opts = {NULL, 1, 2.0, false, 0};
	struct am_err err = {""};
	struct timespec t0, t1;
	char **expect;
	int c, threads = 0, i, k, failed = 0;
	pthread_t tid[64];

	double budget = 0, pause = 0;

	while ((c = getopt(argc, argv, "T:t:n:C:D:S:")) != -1) {
		if (c == 'S')
			pause = atof(optarg);
		else if (c == 'C')
			opts.cache_entries = (size_t)atol(optarg);
		else if (c == 'D')
			budget = atof(optarg);
		else if (c == 'T')
			opts.timeout = atof(optarg);
		else if (c == 't')
			threads = atoi(optarg) > 64 ? 64 : atoi(optarg);
		else if (c == 'n')
			repeat = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 3 || (type = type_of(argv[optind + 1])) < 0) {
		fprintf(stderr, "usage: resolve [-T timeout] [-t threads] [-n repeat] [-C cache] "
				"[-D budget] NS TYPE NAME...\n");
		return 2;
	}
	opts.nameservers = (const char *const *)&argv[optind];
	names = &argv[optind + 2];
	n_names = argc - optind - 2;
	res = resolver_new(&opts, &err);
	if (res == NULL) {
		fprintf(stderr, "resolve: %s\n", err.msg);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (budget > 0)
		resolver_set_deadline(budget);
	expect = xcalloc((size_t)n_names, sizeof(char *));
	for (i = 0; i < n_names; i++) {
		expect[i] = describe(names[i]);
		printf("%s\n", expect[i]);
	}
	for (k = 1; k < repeat && threads == 0; k++) {
		if (pause > 0)
			usleep((useconds_t)(pause * 1e6));
		for (i = 0; i < n_names; i++) {
			char *again = describe(names[i]);

			failed += strcmp(again, expect[i]) != 0;
			free(again);
		}
	}
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, expect);
	for (i = 0; i < threads; i++) {
		void *bad;

		pthread_join(tid[i], &bad);
		failed += bad != NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent %lu\n", resolver_query_count(res));
	printf("elapsed %ld\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	for (i = 0; i < n_names; i++)
		free(expect[i]);
	free(expect);
	resolver_free(res);
	return failed ? 1 : 0;
}
