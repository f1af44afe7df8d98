/*
 * report_run - one run of authmilter-report: store -> reports -> MTA
 *
 * SYNOPSIS
 *	struct report_run rr = { .cfg = cfg, .st = st, .r = resolver, .psl = psl,
 *	                         .now = time(NULL), .from_day = d0, .to_day = d1 };
 *	report_run(&rr, &err);
 *
 * DESCRIPTION
 *	For each (day, policy domain, policy) of the store with rows in
 *	[from_day, to_day] and no finished report (store_pending()), oldest
 *	first, at most reporting.max_reports_per_run of them:
 *	 1. a policy domain in reporting.exclude_domains is dropped;
 *	 2. its rua is read (report/rua.h, at most reporting.max_uris URIs);
 *	    each URI refused is logged;
 *	 3. each destination not yet sent or given up: a failure older than
 *	    reporting.retry_days is given up (logged); an external
 *	    destination is checked (report/external.h): not authorized ->
 *	    given up, a temporary DNS error -> tried again next run, never
 *	    sent; an authorized override replaces the URI;
 *	 4. the report is made once (its Report-ID and date range kept in the
 *	    store, so a retry is the same report: same file name, same
 *	    Subject), gzipped, and mailed to each destination by
 *	    reporting.sendmail or reporting.smtp; a destination is marked
 *	    sent only once the MTA accepted it, failed (tried again) on a
 *	    temporary failure, given up on a permanent one;
 *	 5. the report is finished when no destination is left to try.
 *	Then rows older than reporting.keep_days are deleted.
 *
 *	A day is reported whole (00:00:00 to 23:59:59 UTC); the current day
 *	(only with --day) up to now, and reporting it closes it: messages
 *	recorded later that day are not reported.
 *
 *	With dry_run set, the .xml.gz files and the messages are written to
 *	that directory instead, the DNS checks are still made, and nothing
 *	in the store changes.
 */
#ifndef AM_REPORT_RUN_H
#define AM_REPORT_RUN_H

#include <stdbool.h>
#include <time.h>

#include "config/config.h"
#include "dns/resolver.h"
#include "engine/dmarc.h"
#include "report/store.h"
#include "util/err.h"

struct report_run {
	const struct config *cfg;
	struct store *st;
	struct resolver *r;
	struct dmarc_ctx *psl;
	time_t now;
	long from_day, to_day;
	const char *dry_run; /* a directory, or NULL */
	/* what the run did, for its summary line */
	unsigned reports;  /* reports made */
	unsigned sent;	   /* messages the MTA accepted (dry run: written) */
	unsigned failed;   /* deliveries to try again */
	unsigned deferred; /* destinations waiting for DNS */
	unsigned given_up; /* destinations and reports dropped */
	unsigned left;	   /* reports left for the next run (max_reports_per_run) */
	long expired;	   /* rows deleted (keep_days) */
};

/* Our domain in file names and Subjects: reporting.domain, or the domain
 * of reporting.email. */
const char *report_receiver(const struct config *cfg);

/* 0, or -1 with err when the store failed (what was sent stays marked). */
int report_run(struct report_run *rr, struct am_err *err);

#endif
