/*
 * authmilter-report - send the DMARC aggregate reports the daemon recorded
 *
 * SYNOPSIS
 *	authmilter-report [-c FILE] [--day YYYY-MM-DD] [--dry-run DIR] [-v]
 *	authmilter-report [-c FILE] --status
 *
 * DESCRIPTION
 *	Reads the report store of the configuration (reporting.store) and
 *	sends one RFC 9990 report per policy domain, policy and closed UTC day
 *	not reported yet (tools/report_run.h says how). Meant to run daily
 *	(systemd/authmilter-report.timer); one run at a time (store_lock()).
 *	--day reports that day only (it may be today: reported up to now).
 *	--dry-run DIR writes the reports and messages there and marks nothing.
 *	With reporting.enabled false a run logs that and does nothing
 *	(exit 0), so the daily timer may stay enabled while reporting is off.
 *	--status prints the daemon's recorder counters (from
 *	reporting.status_file) and the store's: queue, drops, pending, sent,
 *	failed. Log lines go to syslog, and to stderr with -v or when stderr
 *	is a terminal.
 *
 * DIAGNOSTICS
 *	Exit 0 after a run (whatever each delivery did: failures are tried
 *	again next run) or a status, 1 when the store failed or another run
 *	holds the lock, 2 for usage and configuration errors.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/log.h"
#include "daemon/privs.h"
#include "report/deliver.h"
#include "tools/report_run.h"
#include "util/xalloc.h"

struct args {
	const char *config, *day, *dry_run;
	bool status, verbose;
};

static int usage(const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "authmilter-report: %s\n", msg);
	fprintf(stderr, "usage: authmilter-report [-c FILE] [--day YYYY-MM-DD] [--dry-run DIR] "
			"[-v]\n       authmilter-report [-c FILE] --status\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"day", required_argument, NULL, 'd'},
					     {"dry-run", required_argument, NULL, 'n'},
					     {"status", no_argument, NULL, 's'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	a->config = AM_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:v", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'd':
			a->day = optarg;
			break;
		case 'n':
			a->dry_run = optarg;
			break;
		case 's':
			a->status = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		default:
			return usage(NULL);
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	if (a->status && (a->day != NULL || a->dry_run != NULL))
		return usage("--status takes no other option");
	return 0;
}

/* "YYYY-MM-DD" -> UTC day; -1 when it is not a date. */
static long parse_day(const char *s)
{
	struct tm tm;
	int y, m, d, n = 0;
	time_t t;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* timegm() normalizes 2026-02-30 to March: that is not a date */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_mday != d)
		return -1;
	return report_day(t);
}

static void print_day(const char *key, long day)
{
	time_t t = report_day_start(day);
	char buf[16];
	struct tm tm;

	if (day < 0) {
		printf(" %s=-", key);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	printf(" %s=%s", key, buf);
}

/* The recorder's status file, as "key=value" words on one line. */
static void status_recorder(const struct config *cfg)
{
	FILE *fp = fopen(cfg->report_status_file, "r");
	char line[512];
	long updated = 0;

	if (fp == NULL) {
		printf("recorder: no status in %s (is the daemon running with reporting "
		       "enabled?)\n",
		       cfg->report_status_file);
		return;
	}
	printf("recorder:");
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "updated=", 8) == 0)
			updated = atol(line + 8);
		if (strncmp(line, "store_error=", 12) == 0)
			printf(" store_error=\"%s\"", line + 12);
		else
			printf(" %s", line);
	}
	fclose(fp);
	printf(" age=%lds%s\n", (long)time(NULL) - updated,
	       time(NULL) - updated > 10 ? " (stale: the daemon may not be running)" : "");
}

static int status(const struct config *cfg)
{
	struct am_err err = {""};
	struct store_stats s;
	struct store *st;

	status_recorder(cfg);
	st = store_open(cfg->report_store, &err);
	if (st == NULL || store_stats(st, &s, &err) != 0) {
		printf("store: error=\"%s\"\n", err.msg);
		store_close(st);
		return 1;
	}
	printf("store: kind=%s rows=%ld messages=%ld", store_kind(st), s.rows, s.messages);
	print_day("first_day", s.first_day);
	print_day("last_day", s.last_day);
	printf("\nreports: pending=%ld sent=%ld failed=%ld given_up=%ld\n", s.pending, s.sent,
	       s.failed, s.dropped);
	store_close(st);
	return 0;
}

static struct resolver *make_resolver(const struct config *cfg, struct am_err *err)
{
	struct resolver_opts ro;

	memset(&ro, 0, sizeof(ro));
	ro.nameservers = (const char *const *)cfg->nameservers.v;
	ro.n_nameservers = cfg->nameservers.n;
	ro.timeout = cfg->dns_timeout;
	return resolver_new(&ro, err);
}

static int run(const struct config *cfg, const struct args *a)
{
	struct report_run rr;
	struct am_err err = {""};
	long today = report_day(time(NULL));
	int rc = 1, lock;

	memset(&rr, 0, sizeof(rr));
	rr.cfg = cfg;
	rr.now = time(NULL);
	rr.dry_run = a->dry_run;
	rr.from_day = today - (long)cfg->report_keep_days;
	rr.to_day = today - 1;
	if (a->day != NULL) {
		rr.from_day = rr.to_day = parse_day(a->day);
		if (rr.from_day < 0 || rr.from_day > today)
			return usage("--day: a date YYYY-MM-DD, today at the latest");
	}
	if (a->dry_run != NULL && access(a->dry_run, W_OK) != 0) {
		fprintf(stderr, "authmilter-report: --dry-run %s: not a writable directory\n",
			a->dry_run);
		return 2;
	}
	rr.psl = dmarc_ctx_new(AM_PSL_FILE, &err);
	if (rr.psl != NULL)
		rr.r = make_resolver(cfg, &err);
	if (rr.r != NULL)
		rr.st = store_open(cfg->report_store, &err);
	if (rr.st != NULL) {
		lock = store_lock(rr.st, &err);
		if (lock == 0)
			am_err_set(&err, "another authmilter-report run holds the store's lock");
		else if (lock > 0 && report_run(&rr, &err) == 0)
			rc = 0;
	}
	if (rc == 0)
		log_msg(LOG_INFO,
			"run reports=%u sent=%u failed=%u deferred=%u given_up=%u left=%u "
			"rows_expired=%ld%s",
			rr.reports, rr.sent, rr.failed, rr.deferred, rr.given_up, rr.left,
			rr.expired, a->dry_run != NULL ? " dry_run=yes" : "");
	else
		log_msg(LOG_ERR, "run=failed error=\"%s\"", err.msg);
	store_close(rr.st);
	resolver_free(rr.r);
	dmarc_ctx_free(rr.psl);
	return rc;
}

int main(int argc, char **argv)
{
	struct am_err err = {""};
	struct config *cfg;
	struct args a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse_args(argc, argv, &a)) != 0)
		return rc;
	cfg = config_load(a.config, &err);
	if (cfg == NULL) {
		fprintf(stderr, "authmilter-report: %s\n", err.msg);
		return 2;
	}
	/* Started as root (by hand), it becomes the daemon's user: the store's
	 * files (an SQLite database, its journal) stay the daemon's own. */
	if (privs_drop(cfg, &err) != 0) {
		fprintf(stderr, "authmilter-report: %s\n", err.msg);
		rc = 1;
	} else if (a.status) {
		rc = status(cfg);
	} else if (!cfg->reporting_enabled) {
		/* The timer is enabled with the package; reporting is not. */
		log_open("authmilter-report", cfg->syslog_facility, a.verbose || isatty(2),
			 cfg->debug);
		log_msg(LOG_INFO, "run skipped reason=reporting_disabled config=%s", a.config);
		rc = 0;
	} else if (cfg->report_org_name[0] == '\0' || cfg->report_email[0] == '\0') {
		fprintf(stderr,
			"authmilter-report: %s: reporting.org_name and reporting.email "
			"must be set to send reports\n",
			a.config);
		rc = 2;
	} else {
		log_open("authmilter-report", cfg->syslog_facility, a.verbose || isatty(2),
			 cfg->debug);
		deliver_init();
		rc = run(cfg, &a);
	}
	config_unref(cfg);
	return rc;
}
