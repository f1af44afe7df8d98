/*
 * store_impl - what store.c shares with the back ends (internal)
 *
 * DESCRIPTION
 *	store.c checks every argument, turns records into column text,
 *	sorts and merges a batch, and decodes what is read back; a back end
 *	(store_sqlite.c, store_pg.c) only moves column text in and out of
 *	its database, through the operations table below. Column text is
 *	what both databases accept: valid UTF-8 (store.c replaces the bytes
 *	that are not with '?'), booleans as "0"/"1", adkim/aspf as one
 *	letter, the disposition by its name, dkim and reasons in record.h's
 *	text form.
 *
 *	Every operation fills err and returns -1 on failure, having written
 *	nothing (one transaction each).
 */
#ifndef AM_REPORT_STORE_IMPL_H
#define AM_REPORT_STORE_IMPL_H

#include "report/store.h"

/* The schema version this program writes; a newer one is refused. */
#define STORE_SCHEMA_VERSION 1

/* The non-key columns of policies, in the order the back ends bind and
 * select them (domain is the key's domain). */
enum store_pol_col {
	SP_DOMAIN = 0,
	SP_P,
	SP_SP,
	SP_NP,
	SP_ADKIM,
	SP_ASPF,
	SP_FO,
	SP_TESTING,
	SP_DISCOVERY,
	SP_RUA,
	SP_N
};

/* The non-key columns of rows but count, likewise. */
enum store_row_col {
	SR_SOURCE_IP = 0,
	SR_DISPOSITION,
	SR_DKIM_PASS,
	SR_SPF_PASS,
	SR_REASONS,
	SR_HEADER_FROM,
	SR_ENVELOPE_FROM,
	SR_DKIM,
	SR_SPF_DOMAIN,
	SR_SPF_RESULT,
	SR_N
};

/* One row of a batch, ready to bind. store.c owns the strings. */
struct store_item {
	long day;
	long count;
	unsigned char phash[REPORT_HASH_LEN];
	unsigned char rhash[REPORT_HASH_LEN];
	bool first_of_policy; /* the first item of its (day, domain, phash) */
	char *pol[SP_N];      /* NULL stays SQL NULL */
	char *row[SR_N];
};

/* The walk of store_rows(): the caller's function and the bad count. */
struct store_walk {
	int (*fn)(void *arg, const struct report_row *row, long count);
	void *arg;
	long bad;
};

struct store_ops {
	const char *kind;
	void (*close)(struct store *st);
	/* v sorted by (day, domain, phash, rhash), no two alike, n > 0 */
	int (*add)(struct store *st, const struct store_item *v, size_t n, struct am_err *err);
	int (*pending)(struct store *st, long from_day, long to_day, struct store_report **out,
		       size_t *n, struct am_err *err);
	/* inserts report_id (made valid) unless r's key is present, then sets
	 * r->report_id (freeing the old), range_begin and range_end from the
	 * table */
	int (*begin)(struct store *st, struct store_report *r, const char *report_id, time_t now,
		     struct am_err *err);
	/* calls store_walk_row() for each row; returns what it returned
	 * when that was not 0 */
	int (*rows)(struct store *st, const struct store_report *r, struct store_walk *w,
		    struct am_err *err);
	int (*dget)(struct store *st, const struct store_report *r, const char *uri,
		    struct store_delivery *d, struct am_err *err);
	/* state: "sent", "failed" or "dropped"; error NULL or a bounded text */
	int (*dset)(struct store *st, const struct store_report *r, const char *uri,
		    const char *state, const char *error, time_t now, struct am_err *err);
	/* state: "done" or "dropped"; report_id (NULL when none was begun)
	 * is stored only when r's key has no reports row yet */
	int (*finish)(struct store *st, const struct store_report *r, const char *report_id,
		      const char *state, time_t now, struct am_err *err);
	long (*expire)(struct store *st, long before_day, struct am_err *err);
	int (*stats)(struct store *st, struct store_stats *s, struct am_err *err);
	int (*lock)(struct store *st, struct am_err *err);
};

/* A back end's handle starts with this. */
struct store {
	const struct store_ops *ops;
};

struct store *store_sqlite_open(const char *path, struct am_err *err);
struct store *store_pg_open(const char *conninfo, struct am_err *err);

/* The report a pending query found, appended to *v (*n entries, room
 * for *cap): pol[] as selected, report_id NULL when none was begun. */
void store_report_push(struct store_report **v, size_t *n, size_t *cap, long day,
		       const unsigned char phash[REPORT_HASH_LEN], const char *const pol[SP_N],
		       long n_rows, long messages, const char *report_id, long range_begin,
		       long range_end);

/* One stored row: decodes col[] and calls w->fn, or counts the row in
 * w->bad when it does not decode. Returns what fn returned (0 for a bad
 * row). */
int store_walk_row(struct store_walk *w, const char *const col[SR_N], long count);

/* A deliveries row into d; -1 with err for a state that is not one. */
int store_delivery_fill(struct store_delivery *d, const char *state, long attempts, long first,
			long last, const char *error, struct am_err *err);

/* A decimal column (PostgreSQL's text results); 0 for NULL or junk. */
long store_atol(const char *s);

#endif
