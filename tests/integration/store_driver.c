/*
 * store_driver - drives the report store for store.sh
 *
 * SYNOPSIS
 *	store_driver open SPEC            open (create or migrate) and close
 *	store_driver version SPEC         the schema version, read directly
 *	store_driver sql SPEC SQL         SQL on the database directly
 *	store_driver check NAME SPEC      one scenario (store_checks.c), TAP-ish
 *	store_driver hammer SPEC N SEED   N batches of store_add on fixed keys
 *	store_driver totals SPEC          every row's count: "IP COUNT" lines
 *	store_driver lock SPEC            store_lock(), print it, hold until killed
 *	store_driver trylock SPEC         store_lock(), print it, exit
 *	store_driver repl SPEC            commands on stdin: add, stats, lock, quit
 *
 * DESCRIPTION
 *	Results go to stdout; "check" prints "ok - DESC" / "not ok - DESC"
 *	lines that store.sh numbers. "open" prints the kind, or "error: MSG"
 *	and "ms=N" (how long the failure took). "hammer" prints the counts
 *	it added, "IP COUNT" per row, for store.sh to compare with "totals"
 *	after several ran at once. "repl" answers each line with "ok ms=N
 *	[messages=M|lock=L]" or "err ms=N MSG", flushed, for the connection-loss
 *	tests that stop and start the server between commands.
 *	Exit 0, 1 on a failure, 2 on a usage error.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store_driver.h"
#include "util/clock.h"
#include "util/xalloc.h"

int tap_failed;

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void tap_long(const char *desc, long got, long want)
{
	tap(got == want, "%s", desc);
	if (got != want)
		diag("  got: %ld, expected: %ld", got, want);
}

void tap_str(const char *desc, const char *got, const char *want)
{
	bool ok = (got == NULL && want == NULL) ||
		  (got != NULL && want != NULL && strcmp(got, want) == 0);

	tap(ok, "%s", desc);
	if (!ok)
		diag("  got: \"%s\", expected: \"%s\"", got ? got : "(null)",
		     want ? want : "(null)");
}

struct store *open_or_die(const char *spec)
{
	struct am_err err = {""};
	struct store *st = store_open(spec, &err);

	if (st == NULL) {
		tap(false, "store_open");
		diag("  %s", err.msg);
		exit(1);
	}
	return st;
}

/* ---- the database, directly ---- */

bool spec_is_pg(const char *spec)
{
	return strncmp(spec, "postgresql:", 11) == 0;
}

static int first_col(void *arg, int n, char **vals, char **names)
{
	char **out = arg;

	if (*out == NULL && n > 0)
		*out = xstrdup(vals[0] != NULL ? vals[0] : "");
	return 0;
}

static int raw_sqlite(const char *path, const char *sql, char *out, size_t outlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL, *val = NULL;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(out, outlen, "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, first_col, &val, &msg) == SQLITE_OK ? 0 : -1;
	snprintf(out, outlen, "%s", rc == 0 ? (val ? val : "") : (msg ? msg : "?"));
	sqlite3_free(msg);
	free(val);
	sqlite3_close(db);
	return rc;
}

static int raw_pg(const char *conninfo, const char *sql, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *res;
	ExecStatusType st;
	int rc = -1;

	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(out, outlen, "%s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	res = PQexec(c, sql);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		rc = 0;
		snprintf(out, outlen, "%s",
			 st == PGRES_TUPLES_OK && PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	} else {
		snprintf(out, outlen, "%s", PQresultErrorMessage(res));
	}
	PQclear(res);
	PQfinish(c);
	return rc;
}

int raw_sql(const char *spec, const char *sql, char *out, size_t outlen)
{
	if (spec_is_pg(spec))
		return raw_pg(spec + 11, sql, out, outlen);
	if (strncmp(spec, "sqlite:", 7) == 0)
		return raw_sqlite(spec + 7, sql, out, outlen);
	snprintf(out, outlen, "not a spec: %s", spec);
	return -1;
}

/* ---- records ---- */

void rec_make(struct report_record *r, long day, const char *domain, int pol, int row)
{
	memset(r, 0, sizeof(*r));
	r->day = day;
	r->policy.domain = xstrdup(domain);
	r->policy.p = xstrdup(pol % 2 ? "reject" : "none");
	r->policy.sp = xstrdup("none");
	r->policy.np = xstrdup(pol % 3 == 2 ? "quarantine" : "none");
	r->policy.adkim = 'r';
	r->policy.aspf = pol % 4 == 3 ? 's' : 'r';
	r->policy.fo = xstrdup("0");
	r->policy.discovery = xstrdup("treewalk");
	r->policy.rua = xasprintf("mailto:dmarc@%s", domain);
	r->row.source_ip = xasprintf("192.0.2.%d", row);
	r->row.disposition = row % 2 ? REPORT_DISP_REJECT : REPORT_DISP_NONE;
	r->row.dkim_pass = row % 3 == 0;
	r->row.spf_pass = row % 5 == 0;
	if (row % 2) {
		r->row.reasons[0].type = REPORT_REASON_LOCAL_POLICY;
		r->row.reasons[0].comment = xasprintf("row %d", row);
		r->row.n_reasons = 1;
	}
	r->row.header_from = xstrdup(domain);
	r->row.envelope_from = xstrdup(domain);
	r->row.dkim = xcalloc(1, sizeof(*r->row.dkim));
	r->row.dkim[0].domain = xstrdup(domain);
	r->row.dkim[0].selector = xasprintf("s%d", row);
	r->row.dkim[0].result = xstrdup(row % 3 == 0 ? "pass" : "fail");
	r->row.n_dkim = 1;
	r->row.spf_domain = xstrdup(domain);
	r->row.spf_result = xstrdup(row % 5 == 0 ? "pass" : "softfail");
}

void rec_fill(struct report_record *r, long day, const char *s)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->day = day;
	r->policy.domain = xstrdup(s);
	r->policy.p = xstrdup(s);
	r->policy.sp = xstrdup(s);
	r->policy.np = xstrdup(s);
	r->policy.adkim = '\'';
	r->policy.aspf = '"';
	r->policy.fo = xstrdup(s);
	r->policy.testing = true;
	r->policy.discovery = xstrdup(s);
	r->policy.rua = xstrdup(s);
	r->row.source_ip = xstrdup(s);
	r->row.disposition = REPORT_DISP_QUARANTINE;
	r->row.dkim_pass = true;
	for (i = 0; i < 2; i++) {
		r->row.reasons[i].type = i ? REPORT_REASON_OTHER : REPORT_REASON_TRUSTED_FORWARDER;
		r->row.reasons[i].comment = xstrdup(s);
	}
	r->row.n_reasons = 2;
	r->row.header_from = xstrdup(s);
	r->row.envelope_from = xstrdup(s);
	r->row.dkim = xcalloc(2, sizeof(*r->row.dkim));
	for (i = 0; i < 2; i++) {
		r->row.dkim[i].domain = xstrdup(s);
		r->row.dkim[i].selector = xstrdup(s);
		r->row.dkim[i].result = xstrdup(s);
	}
	r->row.n_dkim = 2;
	r->row.spf_domain = xstrdup(s);
	r->row.spf_result = xstrdup(s);
}

/* ---- collecting ---- */

static int seen_one(void *arg, const struct report_row *row, long count)
{
	struct seen *s = arg;
	struct seen_row *x;

	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	x = &s->v[s->n++];
	report_row_hash(row, x->rhash);
	x->count = count;
	report_row_copy(&x->row, row);
	return s->stop_after > 0 && (int)s->n >= s->stop_after ? 7 : 0;
}

int seen_rows(struct store *st, const struct store_report *r, struct seen *s)
{
	struct am_err err = {""};
	int rc = store_rows(st, r, seen_one, s, &s->bad, &err);

	if (rc < 0)
		diag("store_rows: %s", err.msg);
	return rc;
}

void seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		report_row_clear(&s->v[i].row);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

const struct seen_row *seen_find(const struct seen *s, const unsigned char *h)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (memcmp(s->v[i].rhash, h, REPORT_HASH_LEN) == 0)
			return &s->v[i];
	return NULL;
}

/* ---- commands ---- */

static int cmd_open(const char *spec)
{
	struct am_err err = {""};
	double t0 = clock_now();
	struct store *st = store_open(spec, &err);

	if (st == NULL) {
		printf("error: %s\nms=%ld\n", err.msg, (long)((clock_now() - t0) * 1000));
		return 1;
	}
	printf("%s\n", store_kind(st));
	store_close(st);
	return 0;
}

static int cmd_version(const char *spec)
{
	char out[512];
	int rc = raw_sql(spec,
			 spec_is_pg(spec) ? "SELECT max(version) FROM authmilter_schema"
					  : "PRAGMA user_version",
			 out, sizeof(out));

	printf("%s\n", out);
	return rc == 0 ? 0 : 1;
}

static int cmd_sql(const char *spec, const char *sql)
{
	char out[512];
	int rc = raw_sql(spec, sql, out, sizeof(out));

	printf("%s\n", out);
	return rc == 0 ? 0 : 1;
}

#define HAMMER_KEYS 6
#define HAMMER_BATCH 12

/* N batches, each of HAMMER_BATCH records on HAMMER_KEYS rows of two
 * reports, in an order shuffled by seed, so that two processes write the
 * same rows in different orders of their input. */
static int cmd_hammer(const char *spec, long n, unsigned seed)
{
	struct report_record recs[HAMMER_KEYS];
	const struct report_record *batch[HAMMER_BATCH];
	long counts[HAMMER_BATCH], added[HAMMER_KEYS] = {0};
	int idx[HAMMER_BATCH];
	struct am_err err = {""};
	struct store *st = open_or_die(spec);
	long b;
	int i, j, t;

	for (i = 0; i < HAMMER_KEYS; i++)
		rec_make(&recs[i], 100, i % 2 ? "odd.example" : "even.example", 0, i + 1);
	srand(seed);
	for (b = 0; b < n; b++) {
		for (i = 0; i < HAMMER_BATCH; i++)
			idx[i] = i % HAMMER_KEYS;
		for (i = HAMMER_BATCH - 1; i > 0; i--) {
			j = rand() % (i + 1);
			t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		for (i = 0; i < HAMMER_BATCH; i++) {
			batch[i] = &recs[idx[i]];
			counts[i] = 1 + idx[i];
		}
		if (store_add(st, batch, counts, HAMMER_BATCH, &err) != 0) {
			fprintf(stderr, "hammer: batch %ld: %s\n", b, err.msg);
			break;
		}
		for (i = 0; i < HAMMER_BATCH; i++)
			added[idx[i]] += counts[i];
	}
	for (i = 0; i < HAMMER_KEYS; i++) {
		printf("%s %ld\n", recs[i].row.source_ip, added[i]);
		report_record_clear(&recs[i]);
	}
	store_close(st);
	return b == n ? 0 : 1;
}

static int cmd_totals(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct store_report *v;
	struct am_err err = {""};
	size_t n, i, k;

	if (store_pending(st, 0, 1000000, &v, &n, &err) != 0) {
		fprintf(stderr, "totals: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct seen s = {0};

		seen_rows(st, &v[i], &s);
		for (k = 0; k < s.n; k++)
			printf("%s %ld\n", s.v[k].row.source_ip, s.v[k].count);
		seen_free(&s);
	}
	store_reports_free(v, n);
	store_close(st);
	return 0;
}

static int cmd_lock(const char *spec, bool hold)
{
	struct am_err err = {""};
	struct store *st = open_or_die(spec);
	int rc = store_lock(st, &err);

	printf("%d\n", rc);
	if (rc < 0)
		printf("error: %s\n", err.msg);
	fflush(stdout);
	if (hold && rc == 1)
		for (;;)
			pause(); /* until killed */
	store_close(st);
	return rc < 0 ? 1 : 0;
}

/* The connection-loss tests: each command is one call, timed. */
static int cmd_repl(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record rec;
	const struct report_record *recs[1] = {&rec};
	long one = 1;
	char line[64];

	rec_make(&rec, 200, "repl.example", 0, 1);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct am_err err = {""};
		struct store_stats s;
		double t0 = clock_now();
		int rc, lock = -1;

		if (strncmp(line, "quit", 4) == 0)
			break;
		if (strncmp(line, "add", 3) == 0)
			rc = store_add(st, recs, &one, 1, &err);
		else if (strncmp(line, "lock", 4) == 0)
			rc = (lock = store_lock(st, &err)) < 0 ? -1 : 0;
		else
			rc = store_stats(st, &s, &err);
		printf("%s ms=%ld", rc == 0 ? "ok" : "err", (long)((clock_now() - t0) * 1000));
		if (rc == 0 && lock >= 0)
			printf(" lock=%d", lock);
		else if (rc == 0 && strncmp(line, "stats", 5) == 0)
			printf(" messages=%ld", s.messages);
		if (rc != 0)
			printf(" %s", err.msg);
		printf("\n");
		fflush(stdout);
	}
	report_record_clear(&rec);
	store_close(st);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: store_driver open|version|totals|lock|trylock|repl SPEC\n"
		"       store_driver sql SPEC SQL | check NAME SPEC | hammer SPEC N SEED\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(cmd, "open") == 0)
		return cmd_open(argv[2]);
	if (argc == 3 && strcmp(cmd, "version") == 0)
		return cmd_version(argv[2]);
	if (argc == 4 && strcmp(cmd, "sql") == 0)
		return cmd_sql(argv[2], argv[3]);
	if (argc == 4 && strcmp(cmd, "check") == 0)
		return check_main(argv[2], argv[3]);
	if (argc == 5 && strcmp(cmd, "hammer") == 0)
		return cmd_hammer(argv[2], atol(argv[3]), (unsigned)atoi(argv[4]));
	if (argc == 3 && strcmp(cmd, "totals") == 0)
		return cmd_totals(argv[2]);
	if (argc == 3 && (strcmp(cmd, "lock") == 0 || strcmp(cmd, "trylock") == 0))
		return cmd_lock(argv[2], strcmp(cmd, "lock") == 0);
	if (argc == 3 && strcmp(cmd, "repl") == 0)
		return cmd_repl(argv[2]);
	return usage();
}
