/*
 * store_driver - what the store test driver's files share
 *
 * DESCRIPTION
 *	store_driver.c holds the commands and the helpers below;
 *	store_checks.c the scenarios of "store_driver check".
 */
#ifndef AM_TESTS_STORE_DRIVER_H
#define AM_TESTS_STORE_DRIVER_H

#include <stdbool.h>

#include "report/store.h"

/* Prints "ok - DESC" or "not ok - DESC"; counts failures. */
void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "# " and the line (diagnostics of the check before). */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* tap() of got == want, both shown when they differ. */
void tap_long(const char *desc, long got, long want);
void tap_str(const char *desc, const char *got, const char *want);

/* Opens spec or prints "not ok" and exits 1. */
struct store *open_or_die(const char *spec);

/* SQL run on spec's database directly (not through the store): sqlite3 or
 * libpq. The first column of the first row, if any, goes to out (size
 * outlen); 0, or -1 with the error in out. */
int raw_sql(const char *spec, const char *sql, char *out, size_t outlen);
bool spec_is_pg(const char *spec);

/* A plain record: pol and row pick variants of the policy and the row. */
void rec_make(struct report_record *r, long day, const char *domain, int pol, int row);
/* Every string of the record, domain too, set to s (and two DKIM
 * results and two reasons holding it). */
void rec_fill(struct report_record *r, long day, const char *s);

/* The reports of a store, and the rows of one, collected. */
struct seen_row {
	unsigned char rhash[REPORT_HASH_LEN];
	long count;
	struct report_row row;
};
struct seen {
	struct seen_row *v;
	size_t n;
	long bad;
	int stop_after; /* > 0: the walk returns 7 after that many rows */
};
int seen_rows(struct store *st, const struct store_report *r, struct seen *s);
void seen_free(struct seen *s);
/* The row of s whose hash is h, or NULL */
const struct seen_row *seen_find(const struct seen *s, const unsigned char *h);

int check_main(const char *name, const char *spec);

extern int tap_failed;

#endif
