/*
 * report_fill - fill a report store with N distinct rows, for the
 * reporter's benchmark (contrib/bench/report)
 *
 * SYNOPSIS
 *	report_fill STORE N DAY DOMAIN
 *
 * DESCRIPTION
 *	Writes N distinct rows of one policy domain and UTC day (days since
 *	the epoch) through store_add(), as the daemon's writer thread does,
 *	4096 to a transaction: each its own source address, with two DKIM
 *	results and an SPF result, half of them failing DMARC. Prints the
 *	time it took.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/store.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define BATCH 4096

static void fill_one(struct report_record *r, long day, const char *domain, long i)
{
	memset(r, 0, sizeof(*r));
	r->day = day;
	r->policy.domain = xstrdup(domain);
	r->policy.p = xstrdup("reject");
	r->policy.sp = xstrdup("reject");
	r->policy.np = xstrdup("reject");
	r->policy.adkim = r->policy.aspf = 'r';
	r->policy.fo = xstrdup("0");
	r->policy.discovery = xstrdup("treewalk");
	r->policy.rua = xasprintf("mailto:dmarc@%s", domain);
	r->row.source_ip = xasprintf("10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	r->row.disposition = i % 2 ? REPORT_DISP_REJECT : REPORT_DISP_PASS;
	r->row.dkim_pass = i % 2 == 0;
	r->row.spf_pass = i % 2 == 0;
	r->row.header_from = xstrdup(domain);
	r->row.envelope_from = xasprintf("bounce.%s", domain);
	r->row.n_dkim = 2;
	r->row.dkim = xcalloc(2, sizeof(*r->row.dkim));
	r->row.dkim[0].domain = xstrdup(domain);
	r->row.dkim[0].selector = xstrdup("s2026");
	r->row.dkim[0].result = xstrdup(i % 2 ? "fail" : "pass");
	r->row.dkim[1].domain = xstrdup("esp.example");
	r->row.dkim[1].selector = xstrdup("esp1");
	r->row.dkim[1].result = xstrdup("pass");
	r->row.spf_domain = xasprintf("bounce.%s", domain);
	r->row.spf_result = xstrdup(i % 2 ? "fail" : "pass");
}

int main(int argc, char **argv)
{
	struct am_err err = {""};
	struct report_record *recs;
	const struct report_record **ptrs;
	long *counts, n, day, i, k, m;
	struct store *st;
	double t0;

	if (argc != 5) {
		fprintf(stderr, "usage: report_fill STORE N DAY DOMAIN\n");
		return 2;
	}
	n = atol(argv[2]);
	day = atol(argv[3]);
	st = store_open(argv[1], &err);
	if (st == NULL) {
		fprintf(stderr, "report_fill: %s\n", err.msg);
		return 1;
	}
	recs = xcalloc(BATCH, sizeof(*recs));
	ptrs = xcalloc(BATCH, sizeof(*ptrs));
	counts = xcalloc(BATCH, sizeof(*counts));
	t0 = clock_now();
	for (i = 0; i < n; i += m) {
		m = n - i < BATCH ? n - i : BATCH;
		for (k = 0; k < m; k++) {
			fill_one(&recs[k], day, argv[4], i + k);
			ptrs[k] = &recs[k];
			counts[k] = 1 + (i + k) % 7;
		}
		if (store_add(st, ptrs, counts, (size_t)m, &err) != 0) {
			fprintf(stderr, "report_fill: %s\n", err.msg);
			return 1;
		}
		for (k = 0; k < m; k++)
			report_record_clear(&recs[k]);
	}
	printf("report_fill: %ld distinct rows in %.2f s\n", n, clock_now() - t0);
	store_close(st);
	free(recs);
	free(ptrs);
	free(counts);
	return 0;
}
