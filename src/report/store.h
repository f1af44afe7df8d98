/*
 * store - the report store: recorded rows, and what was reported
 *
 * SYNOPSIS
 *	struct store *st = store_open("sqlite:/var/lib/authmilter/reports.db", &err);
 *	struct store *st = store_open("postgresql:host=db1 dbname=dmarc", &err);
 *	store_add(st, recs, n, &err);                 (the daemon's writer thread)
 *	store_pending(st, from_day, to_day, &reports, &n, &err);  (the reporter)
 *	store_rows(st, &reports[i], row_fn, arg, &err);
 *	store_close(st);
 *
 * DESCRIPTION
 *	Two back ends with the same tables and the same behaviour: SQLite
 *	(libsqlite3; one file, WAL mode, synchronous=NORMAL, busy timeout)
 *	for one host, PostgreSQL (libpq) for a fleet of MX hosts that share
 *	one database. The spec is "sqlite:PATH" or "postgresql:CONNINFO"
 *	(libpq's conninfo string or URI).
 *
 *	store_open() creates the tables, or migrates them from an older
 *	schema version, in one transaction: SQLite keeps the version in
 *	PRAGMA user_version, PostgreSQL in table authmilter_schema. A
 *	database of a newer schema than this program knows is an error.
 *
 *	Tables (day = UTC days since the epoch; phash and rhash =
 *	report_policy_hash() and report_row_hash()):
 *	  policies(day, domain, phash, p, sp, np, adkim, aspf, fo, testing,
 *	           discovery, rua)                   key (day, domain, phash)
 *	  rows(day, domain, phash, rhash, count, source_ip, disposition,
 *	       dkim_pass, spf_pass, reasons, header_from, envelope_from, dkim,
 *	       spf_domain, spf_result)               key (day, domain, phash, rhash)
 *	  reports(day, domain, phash, report_id, range_begin, range_end,
 *	          state, created, finished)          key (day, domain, phash)
 *	  deliveries(day, domain, phash, uri, state, attempts, first_try,
 *	             last_try, error)                key (day, domain, phash, uri)
 *	reasons and dkim are the text forms of record.h.
 *
 *	Every statement is prepared with bound parameters; no SQL text is
 *	ever built from mail or DNS data. Strings are stored cut to
 *	record.h's bounds and as valid UTF-8 (PostgreSQL accepts nothing
 *	else in a text column): each byte that is not part of a valid UTF-8
 *	sequence is stored, and read back, as '?'. Keys are the hashes of
 *	the records as given.
 *
 *	PostgreSQL: a connection attempt takes at most the conninfo's
 *	connect_timeout, 5 seconds when it sets none, all its hosts
 *	together (the host name lookup aside), so a caller that runs every
 *	second is not held up long by a database that is down.
 *
 * THREADS
 *	A store handle belongs to one thread at a time. Several processes
 *	(daemons, the reporter) may use one database at once.
 *
 * ERRORS
 *	Functions returning int return 0 (or a count) on success, -1 with err
 *	filled on failure. After a failure the handle is still usable: a
 *	lost PostgreSQL connection is re-established by the next call, and a
 *	failed call leaves nothing half-written (one transaction each).
 */
#ifndef AM_REPORT_STORE_H
#define AM_REPORT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "report/record.h"
#include "util/err.h"

struct store;

/* NULL with err when the spec is malformed, the database cannot be
 * opened or reached, or its schema cannot be created or migrated. */
struct store *store_open(const char *spec, struct am_err *err);
void store_close(struct store *st); /* NULL: no-op */
/* "sqlite" or "postgresql" */
const char *store_kind(const struct store *st);

/*
 * One batch from the daemon, in one transaction: for each record, its
 * policy is inserted unless (day, domain, phash) is present, and
 * counts[i] is added to the count of the row with the same (day, domain,
 * phash, rhash), or a row is inserted with that count (UPSERT). Records
 * are written in key order, so concurrent writers cannot deadlock.
 * Nothing is written on failure.
 */
int store_add(struct store *st, const struct report_record *const *recs, const long *counts,
	      size_t n, struct am_err *err);

/* One report to make: a (day, policy domain, policy) with rows. */
struct store_report {
	long day;
	char *domain;
	unsigned char phash[REPORT_HASH_LEN];
	struct report_policy policy; /* as recorded */
	long n_rows;		     /* distinct rows */
	long messages;		     /* sum of their counts */
	/* From the reports table once store_report_begin() ran; NULL/0 before. */
	char *report_id;
	long range_begin, range_end;
};

/* The (day, domain, phash) with rows and from_day <= day <= to_day that
 * have no finished report (state "done" or "dropped"), ordered by day,
 * then domain. *out is an array of *n entries (NULL when none); free it
 * with store_reports_free(). */
int store_pending(struct store *st, long from_day, long to_day, struct store_report **out,
		  size_t *n, struct am_err *err);
void store_reports_free(struct store_report *v, size_t n);

/*
 * Starts a report, or finds the one started before: when reports has no
 * row for r's key, one is inserted with report_id, range_begin and
 * range_end as given in r and state "open"; either way r->report_id,
 * range_begin and range_end are then what the table holds, so a report
 * tried again keeps its Report-ID and date range. (A row that
 * store_report_finish() made without a report_id takes r's.)
 */
int store_report_begin(struct store *st, struct store_report *r, struct am_err *err);

/* The rows of a report, in a stable order (rhash), one call each; fn
 * returns 0 to go on, anything else stops the walk and is returned.
 * A row whose stored text does not decode is skipped and counted in
 * *bad (may be NULL). fn must not use st (PostgreSQL streams the rows
 * on st's connection). */
int store_rows(struct store *st, const struct store_report *r,
	       int (*fn)(void *arg, const struct report_row *row, long count), void *arg, long *bad,
	       struct am_err *err);

enum store_dstate {
	STORE_D_NEW = 0, /* not tried yet (no deliveries row) */
	STORE_D_SENT,	 /* the MTA accepted it */
	STORE_D_FAILED,	 /* tried, to be tried again */
	STORE_D_DROPPED, /* given up: never to be sent */
};

struct store_delivery {
	enum store_dstate state;
	int attempts;
	time_t first_try, last_try; /* 0 when never tried */
	char error[256];	    /* the last error, "" when none */
};

/* The state of delivering report r to uri (STORE_D_NEW when unknown). */
int store_delivery_get(struct store *st, const struct store_report *r, const char *uri,
		       struct store_delivery *d, struct am_err *err);
/* Records an attempt (attempts + 1, last_try = now, first_try set once)
 * with its outcome; error may be NULL. Committed before it returns. */
int store_delivery_set(struct store *st, const struct store_report *r, const char *uri,
		       enum store_dstate state, const char *error, time_t now, struct am_err *err);
/* Ends a report: state "done" (every destination handled) or "dropped"
 * (given up, or nothing to send it to); pending no more. Works without
 * store_report_begin() too (a reports row is made). */
int store_report_finish(struct store *st, const struct store_report *r, bool dropped, time_t now,
			struct am_err *err);

/* Deletes policies, rows, reports and deliveries of days before
 * before_day; the number of rows deleted from rows. */
long store_expire(struct store *st, long before_day, struct am_err *err);

/* One consistent snapshot (one statement). A delivery is one (report,
 * uri) in its current state; a report dropped without any delivery
 * counts once in dropped, one dropped with deliveries by those only. */
struct store_stats {
	long rows;		  /* distinct rows stored */
	long messages;		  /* sum of their counts */
	long pending;		  /* (day, domain, phash) with rows and no reports
				   * row in state "done" or "dropped": what
				   * store_pending() lists, of every day */
	long sent;		  /* deliveries in state sent */
	long failed;		  /* deliveries in state failed */
	long dropped;		  /* deliveries in state dropped, plus reports in
				   * state "dropped" that have no deliveries */
	long first_day, last_day; /* of the rows; -1 when none */
};
int store_stats(struct store *st, struct store_stats *s, struct am_err *err);

/*
 * One reporter at a time: 1 when this handle now holds the reporter
 * lock, 0 when another process holds it, -1 on error. SQLite: an
 * exclusive flock(2) on PATH-reporter.lock; PostgreSQL: a session
 * advisory lock. Either way it ends with the process or store_close(),
 * so a killed reporter never leaves it held. A PostgreSQL handle that
 * loses its connection takes the lock again on the new one; when
 * another process took it meanwhile, every call fails ("reporter lock
 * was lost") until store_lock() is called again.
 */
int store_lock(struct store *st, struct am_err *err);

#endif
