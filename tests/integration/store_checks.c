/*
 * store_checks - the scenarios of "store_driver check NAME SPEC"
 *
 * DESCRIPTION
 *	Each scenario starts on an empty database (store.sh gives each its
 *	own file or PostgreSQL database), drives the store through its API
 *	and compares what it reads back with what the scenario computed
 *	from its own input: counts added up by the scenario, hashes of the
 *	records it wrote (record.h: equal hashes, equal content). Where a
 *	scenario needs a database the store would not make (a corrupted
 *	row, a failing trigger) it changes it with raw_sql().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_driver.h"
#include "util/xalloc.h"

#define ALL_DAYS 0, 1000000

static void must(int rc, const char *what, const struct am_err *err)
{
	if (rc < 0) {
		tap(false, "%s", what);
		diag("  %s", err->msg);
		exit(1);
	}
}

static void add1(struct store *st, const struct report_record *r, long count)
{
	struct am_err err = {""};
	const struct report_record *v[1] = {r};

	must(store_add(st, v, &count, 1, &err), "store_add", &err);
}

static struct store_report *pending(struct store *st, size_t *n)
{
	struct store_report *v;
	struct am_err err = {""};

	must(store_pending(st, ALL_DAYS, &v, n, &err), "store_pending", &err);
	return v;
}

/* The count stored for record r (0 when there is no such row), and
 * the report's distinct rows and messages. */
static long stored(struct store *st, const struct report_record *r, long *n_rows, long *messages)
{
	unsigned char ph[REPORT_HASH_LEN], rh[REPORT_HASH_LEN];
	struct store_report *v, *rep;
	struct seen s = {0};
	const struct seen_row *x;
	size_t n;
	long count = 0;

	report_policy_hash(&r->policy, ph);
	report_row_hash(&r->row, rh);
	v = pending(st, &n);
	*n_rows = *messages = 0;
	for (rep = v; rep < v + n; rep++) {
		if (rep->day != r->day || strcmp(rep->domain, r->policy.domain) != 0 ||
		    memcmp(rep->phash, ph, REPORT_HASH_LEN) != 0)
			continue;
		*n_rows = rep->n_rows;
		*messages = rep->messages;
		seen_rows(st, rep, &s);
		if ((x = seen_find(&s, rh)) != NULL)
			count = x->count;
		seen_free(&s);
	}
	store_reports_free(v, n);
	return count;
}

static long count_of(struct store *st, const struct report_record *r)
{
	long nr, m;

	return stored(st, r, &nr, &m);
}

/* ---- schema ---- */

static void sc_schema(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct store_stats s;
	struct am_err err = {""};
	struct report_record r;

	tap_str("kind", store_kind(st), spec_is_pg(spec) ? "postgresql" : "sqlite");
	must(store_stats(st, &s, &err), "store_stats", &err);
	tap(s.rows == 0 && s.messages == 0 && s.pending == 0 && s.sent == 0 && s.failed == 0 &&
		s.dropped == 0 && s.first_day == -1 && s.last_day == -1,
	    "a new store is empty (stats all 0, days -1)");
	rec_make(&r, 10, "keep.example", 0, 1);
	add1(st, &r, 3);
	store_close(st);
	st = open_or_die(spec);
	tap_long("reopened: the data is kept", count_of(st, &r), 3);
	store_close(st);
	report_record_clear(&r);
}

/* ---- adding up ---- */

static void sc_aggregate(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record a, a_day, a_dom, a_pol, a_row;
	const struct report_record *v[6];
	long counts[6], nr, m, i;
	struct am_err err = {""};

	rec_make(&a, 10, "a.example", 0, 1);
	rec_make(&a_day, 11, "a.example", 0, 1);
	rec_make(&a_dom, 10, "b.example", 0, 1);
	rec_make(&a_pol, 10, "a.example", 1, 1);
	rec_make(&a_row, 10, "a.example", 0, 2);
	/* one batch with a, twice, and the variants once each */
	v[0] = &a, counts[0] = 2;
	v[1] = &a_row, counts[1] = 5;
	v[2] = &a_day, counts[2] = 7;
	v[3] = &a, counts[3] = 3;
	v[4] = &a_dom, counts[4] = 11;
	v[5] = &a_pol, counts[5] = 13;
	must(store_add(st, v, counts, 6, &err), "store_add", &err);
	tap_long("identical records in one batch add up", count_of(st, &a), 5);
	tap_long("another row: a row of its own", count_of(st, &a_row), 5);
	tap_long("another day: a row of its own", count_of(st, &a_day), 7);
	tap_long("another domain: a row of its own", count_of(st, &a_dom), 11);
	tap_long("another policy: a row of its own", count_of(st, &a_pol), 13);
	stored(st, &a, &nr, &m);
	tap(nr == 2 && m == 10, "the report of a: 2 rows, 10 messages");
	if (nr != 2 || m != 10)
		diag("  got %ld rows, %ld messages", nr, m);
	for (i = 0; i < 20; i++)
		add1(st, &a, i + 1);
	tap_long("20 more batches add up (5 + 1 + ... + 20)", count_of(st, &a), 5 + 20 * 21 / 2);
	tap_long("the other rows are untouched", count_of(st, &a_row), 5);
	counts[0] = 0;
	tap(store_add(st, v, counts, 2, &err) == -1, "a count of 0 is refused");
	tap_long("... and nothing of that batch is written", count_of(st, &a_row), 5);
	tap(store_add(st, v, counts, 0, &err) == 0, "an empty batch is nothing to do");
	report_record_clear(&a);
	report_record_clear(&a_day);
	report_record_clear(&a_dom);
	report_record_clear(&a_pol);
	report_record_clear(&a_row);
	store_close(st);
}

/* A batch that fails in the database after writing part of itself. */
static void sc_atomic(const char *spec)
{
	static const char *const sqlite_trigger =
	    "CREATE TRIGGER boom BEFORE INSERT ON rows WHEN NEW.domain = 'z.example'"
	    " BEGIN SELECT RAISE(ABORT, 'boom'); END";
	static const char *const pg_trigger =
	    "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	    " IF NEW.domain = 'z.example' THEN RAISE EXCEPTION 'boom'; END IF;"
	    " RETURN NEW; END $$;"
	    "CREATE TRIGGER boom BEFORE INSERT ON rows FOR EACH ROW EXECUTE FUNCTION boom()";
	struct store *st = open_or_die(spec);
	struct report_record a, z;
	const struct report_record *v[2] = {&z, &a};
	long counts[2] = {1, 1};
	struct am_err err = {""};
	char out[512];

	rec_make(&a, 10, "a.example", 0, 1);
	rec_make(&z, 10, "z.example", 0, 1);
	add1(st, &a, 4);
	if (raw_sql(spec, spec_is_pg(spec) ? pg_trigger : sqlite_trigger, out, sizeof(out)) != 0)
		diag("trigger: %s", out);
	tap(store_add(st, v, counts, 2, &err) == -1, "a batch the database refuses fails");
	tap(strstr(err.msg, "boom") != NULL, "... with the database's message");
	diag("  %s", err.msg);
	tap_long("... and its first row, written before, is not kept", count_of(st, &a), 4);
	raw_sql(spec, spec_is_pg(spec) ? "DROP TRIGGER boom ON rows" : "DROP TRIGGER boom", out,
		sizeof(out));
	tap(store_add(st, v, counts, 2, &err) == 0, "the same handle works after the failure");
	tap_long("... and adds", count_of(st, &a), 5);
	report_record_clear(&a);
	report_record_clear(&z);
	store_close(st);
}

static void sc_errors(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record a;
	const struct report_record *v[1] = {&a};
	long one = 1;
	struct am_err err = {""};
	struct store_report r = {0};
	struct store_delivery d;

	rec_make(&a, 10, "", 0, 1);
	tap(store_add(st, v, &one, 1, &err) == -1, "a record without a policy domain is refused");
	report_record_clear(&a);
	rec_make(&a, -1, "a.example", 0, 1);
	tap(store_add(st, v, &one, 1, &err) == -1, "a negative day is refused");
	report_record_clear(&a);
	tap(store_report_begin(st, &r, &err) == -1, "report_begin without a report is refused");
	r.domain = "a.example";
	tap(store_report_begin(st, &r, &err) == -1, "report_begin without a report_id is refused");
	tap(store_delivery_set(st, &r, "mailto:x@y", STORE_D_NEW, NULL, 1, &err) == -1,
	    "delivery_set to state new is refused");
	tap(store_delivery_get(st, &r, NULL, &d, &err) == -1,
	    "delivery_get without uri is refused");
	store_close(st);
	store_close(NULL);
	tap(store_open("mysql:x", &err) == NULL && strstr(err.msg, "mysql") != NULL,
	    "an unknown kind is refused, and named");
	tap(store_open("sqlite:", &err) == NULL, "sqlite: without a path is refused");
	tap(store_open("", &err) == NULL && store_open(NULL, &err) == NULL, "no spec is refused");
}

/* ---- reports ---- */

static void sc_begin(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record a, b;
	struct store_report *v, *w;
	struct am_err err = {""};
	size_t n, wn;

	rec_make(&a, 10, "a.example", 0, 1);
	rec_make(&b, 10, "b.example", 0, 1);
	add1(st, &a, 1);
	add1(st, &b, 1);
	v = pending(st, &n);
	tap_long("two reports pending", (long)n, 2);
	if (n != 2)
		exit(1);
	tap(strcmp(v[0].domain, "a.example") == 0 && strcmp(v[1].domain, "b.example") == 0,
	    "pending: ordered by domain");
	tap(v[0].report_id == NULL && v[0].range_begin == 0, "before begin: no report_id");
	v[0].report_id = xstrdup("id-1 'quoted' \"too\"");
	v[0].range_begin = 864000;
	v[0].range_end = 950399;
	must(store_report_begin(st, &v[0], &err), "store_report_begin", &err);
	tap_str("begin: the report_id is the one given", v[0].report_id, "id-1 'quoted' \"too\"");
	w = pending(st, &wn);
	tap(wn == 2 && w[0].report_id != NULL && strcmp(w[0].report_id, v[0].report_id) == 0 &&
		w[0].range_begin == 864000 && w[0].range_end == 950399 && w[1].report_id == NULL,
	    "pending: a begun report is still pending, with its report_id and range");
	free(w[0].report_id);
	w[0].report_id = xstrdup("id-2");
	w[0].range_begin = 1;
	w[0].range_end = 2;
	must(store_report_begin(st, &w[0], &err), "store_report_begin again", &err);
	tap_str("begin again: the first report_id is kept", w[0].report_id, v[0].report_id);
	tap(w[0].range_begin == 864000 && w[0].range_end == 950399,
	    "begin again: the first range is kept");
	store_reports_free(v, n);
	store_reports_free(w, wn);
	report_record_clear(&a);
	report_record_clear(&b);
	store_close(st);
}

static void sc_rows(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record recs[20];
	const struct report_record *v[20];
	long counts[20];
	struct store_report *p;
	struct seen s = {0};
	struct am_err err = {""};
	size_t n, i;
	bool ordered = true;
	int rc;

	for (i = 0; i < 20; i++) {
		rec_make(&recs[i], 10, "rows.example", 0, (int)i + 1);
		v[i] = &recs[i];
		counts[i] = (long)i + 1;
	}
	must(store_add(st, v, counts, 20, &err), "store_add", &err);
	p = pending(st, &n);
	tap(n == 1 && p[0].n_rows == 20 && p[0].messages == 210,
	    "one report: 20 rows, 210 messages");
	seen_rows(st, &p[0], &s);
	tap_long("store_rows: every row, once", (long)s.n, 20);
	for (i = 1; i < s.n; i++)
		if (memcmp(s.v[i - 1].rhash, s.v[i].rhash, REPORT_HASH_LEN) >= 0)
			ordered = false;
	tap(ordered, "store_rows: in rhash order");
	for (i = 0; i < 20; i++) {
		unsigned char h[REPORT_HASH_LEN];
		const struct seen_row *x;

		report_row_hash(&recs[i].row, h);
		if ((x = seen_find(&s, h)) == NULL || x->count != counts[i])
			break;
	}
	tap(i == 20, "store_rows: each row read back equal, with its count");
	seen_free(&s);
	s.stop_after = 3;
	rc = seen_rows(st, &p[0], &s);
	tap(rc == 7 && s.n == 3, "store_rows: the function's non-zero stops the walk, returned");
	seen_free(&s);
	tap(seen_rows(st, &p[0], &s) == 0 && s.n == 20, "the handle works after a stopped walk");
	seen_free(&s);
	store_reports_free(p, n);
	for (i = 0; i < 20; i++)
		report_record_clear(&recs[i]);
	store_close(st);
}

static int count_row(void *arg, const struct report_row *row, long count)
{
	(*(int *)arg)++;
	return 0;
}

static void sc_bad(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record r[3];
	struct store_report *p;
	struct seen s = {0};
	char out[512];
	size_t n;
	int i;

	for (i = 0; i < 3; i++) {
		rec_make(&r[i], 10, "bad.example", 0, i + 1);
		add1(st, &r[i], 1);
	}
	if (raw_sql(spec, "UPDATE rows SET dkim = 'x%zz' WHERE source_ip = '192.0.2.2'", out,
		    sizeof(out)) != 0 ||
	    raw_sql(spec, "UPDATE rows SET disposition = 'maybe' WHERE source_ip = '192.0.2.3'",
		    out, sizeof(out)) != 0)
		diag("update: %s", out);
	p = pending(st, &n);
	tap(n == 1 && seen_rows(st, &p[0], &s) == 0, "store_rows over corrupted rows succeeds");
	tap(s.n == 1 && s.bad == 2, "a row whose dkim or disposition does not decode is skipped, "
				    "counted bad");
	if (s.n != 1 || s.bad != 2)
		diag("  got %zu rows, %ld bad", s.n, s.bad);
	tap(s.n == 1 && strcmp(s.v[0].row.source_ip, "192.0.2.1") == 0, "... the good row is read");
	seen_free(&s);
	tap(store_rows(st, &p[0], count_row, &i, NULL, NULL) == 0, "bad may be NULL");
	store_reports_free(p, n);
	for (i = 0; i < 3; i++)
		report_record_clear(&r[i]);
	store_close(st);
}

/* ---- deliveries and the end of a report ---- */

static void sc_deliveries(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record a;
	struct store_report *p;
	struct store_delivery d;
	struct am_err err = {""};
	char big[600];
	size_t n;

	rec_make(&a, 10, "d.example", 0, 1);
	add1(st, &a, 1);
	p = pending(st, &n);
	must(store_delivery_get(st, &p[0], "mailto:x@d.example", &d, &err), "delivery_get", &err);
	tap(d.state == STORE_D_NEW && d.attempts == 0 && d.first_try == 0 && d.error[0] == '\0',
	    "never tried: new, 0 attempts");
	must(store_delivery_set(st, &p[0], "mailto:x@d.example", STORE_D_FAILED,
				"451 4.3.0 'try' \"later\"", 1000, &err),
	     "delivery_set", &err);
	must(store_delivery_get(st, &p[0], "mailto:x@d.example", &d, &err), "delivery_get", &err);
	tap(d.state == STORE_D_FAILED && d.attempts == 1 && d.first_try == 1000 &&
		d.last_try == 1000,
	    "failed once: state, attempts 1, first and last try");
	tap_str("the error is kept", d.error, "451 4.3.0 'try' \"later\"");
	must(store_delivery_set(st, &p[0], "mailto:x@d.example", STORE_D_SENT, NULL, 2000, &err),
	     "delivery_set", &err);
	must(store_delivery_get(st, &p[0], "mailto:x@d.example", &d, &err), "delivery_get", &err);
	tap(d.state == STORE_D_SENT && d.attempts == 2 && d.first_try == 1000 &&
		d.last_try == 2000 && d.error[0] == '\0',
	    "then sent: attempts 2, first try kept, last try new, no error");
	must(store_delivery_get(st, &p[0], "mailto:y@d.example", &d, &err), "delivery_get", &err);
	tap(d.state == STORE_D_NEW, "another uri is its own delivery");
	memset(big, 'e', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	must(store_delivery_set(st, &p[0], "mailto:y@d.example", STORE_D_DROPPED, big, 3000, &err),
	     "delivery_set", &err);
	must(store_delivery_get(st, &p[0], "mailto:y@d.example", &d, &err), "delivery_get", &err);
	tap(d.state == STORE_D_DROPPED && strlen(d.error) == sizeof(d.error) - 1,
	    "dropped; a long error is cut to what the struct holds");
	store_reports_free(p, n);
	report_record_clear(&a);
	store_close(st);
}

static void stats_is(struct store *st, const char *desc, long pending_, long sent, long failed,
		     long dropped)
{
	struct store_stats s;
	struct am_err err = {""};

	must(store_stats(st, &s, &err), "store_stats", &err);
	tap(s.pending == pending_ && s.sent == sent && s.failed == failed && s.dropped == dropped,
	    "%s", desc);
	if (s.pending != pending_ || s.sent != sent || s.failed != failed || s.dropped != dropped)
		diag("  got pending %ld sent %ld failed %ld dropped %ld, expected %ld %ld %ld %ld",
		     s.pending, s.sent, s.failed, s.dropped, pending_, sent, failed, dropped);
}

static void sc_finish(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record r[4];
	struct store_report *p, *q;
	struct am_err err = {""};
	size_t n, qn;
	int i;

	for (i = 0; i < 4; i++) {
		char dom[32];

		snprintf(dom, sizeof(dom), "f%d.example", i);
		rec_make(&r[i], 10, dom, 0, 1);
		add1(st, &r[i], i + 1);
	}
	p = pending(st, &n);
	tap_long("four reports pending", (long)n, 4);
	stats_is(st, "stats: 4 pending, nothing delivered", 4, 0, 0, 0);
	/* f0: sent and done; f1: dropped, never begun; f2: one delivery
	 * dropped, one failed, done; f3: begun, still open */
	for (i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		p[i].report_id = xasprintf("id-%d", i);
		must(store_report_begin(st, &p[i], &err), "store_report_begin", &err);
	}
	must(store_delivery_set(st, &p[0], "mailto:a@x", STORE_D_SENT, NULL, 5, &err), "dset",
	     &err);
	must(store_report_finish(st, &p[0], false, 6, &err), "finish", &err);
	must(store_report_finish(st, &p[1], true, 6, &err), "finish", &err);
	must(store_delivery_set(st, &p[2], "mailto:a@x", STORE_D_DROPPED, "no", 5, &err), "dset",
	     &err);
	must(store_delivery_set(st, &p[2], "mailto:b@x", STORE_D_FAILED, "later", 5, &err), "dset",
	     &err);
	must(store_report_finish(st, &p[2], false, 6, &err), "finish", &err);
	q = pending(st, &qn);
	tap(qn == 1 && strcmp(q[0].domain, "f3.example") == 0 && q[0].report_id != NULL &&
		strcmp(q[0].report_id, "id-3") == 0,
	    "finished reports (done, dropped, dropped without begin) are pending no more");
	stats_is(st,
		 "stats: 1 pending; sent 1, failed 1; dropped 2 (a delivery, and a report "
		 "without deliveries)",
		 1, 1, 1, 2);
	must(store_report_finish(st, &p[3], true, 7, &err), "finish", &err);
	store_reports_free(q, qn);
	q = pending(st, &qn);
	tap_long("nothing pending at last", (long)qn, 0);
	stats_is(st, "stats: a dropped report with deliveries is counted by its deliveries", 0, 1,
		 1, 3);
	store_reports_free(p, n);
	store_reports_free(q, qn);
	for (i = 0; i < 4; i++)
		report_record_clear(&r[i]);
	store_close(st);
}

static void sc_expire(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record r[6];
	struct store_report *p;
	struct store_delivery d;
	struct store_stats s;
	struct am_err err = {""};
	static const long days[6] = {10, 10, 11, 12, 12, 12};
	size_t n;
	int i;

	for (i = 0; i < 6; i++) {
		rec_make(&r[i], days[i], "e.example", 0, i + 1);
		add1(st, &r[i], 10);
	}
	p = pending(st, &n);
	tap(n == 3 && p[0].day == 10 && p[1].day == 11 && p[2].day == 12,
	    "three reports, ordered by day");
	if (n != 3)
		exit(1);
	p[0].report_id = xstrdup("old");
	must(store_report_begin(st, &p[0], &err), "begin", &err);
	must(store_delivery_set(st, &p[0], "mailto:a@x", STORE_D_SENT, NULL, 5, &err), "dset",
	     &err);
	must(store_stats(st, &s, &err), "stats", &err);
	tap(s.rows == 6 && s.messages == 60 && s.first_day == 10 && s.last_day == 12 && s.sent == 1,
	    "stats: 6 rows, 60 messages, days 10 to 12");
	tap_long("expire before day 12: the rows of days 10 and 11", store_expire(st, 12, &err), 3);
	must(store_stats(st, &s, &err), "stats", &err);
	tap(s.rows == 3 && s.messages == 30 && s.first_day == 12 && s.last_day == 12 &&
		s.sent == 0 && s.pending == 1,
	    "stats: what is left is day 12, the old delivery is gone");
	must(store_delivery_get(st, &p[0], "mailto:a@x", &d, &err), "dget", &err);
	tap(d.state == STORE_D_NEW, "the expired report's delivery is gone");
	store_reports_free(p, n);
	p = pending(st, &n);
	tap(n == 1 && p[0].day == 12 && p[0].report_id == NULL, "pending: day 12 only");
	tap_long("expire again: nothing", store_expire(st, 12, &err), 0);
	tap_long("expire everything", store_expire(st, 13, &err), 3);
	store_reports_free(p, n);
	for (i = 0; i < 6; i++)
		report_record_clear(&r[i]);
	store_close(st);
}

static void sc_lock(const char *spec)
{
	struct store *a = open_or_die(spec), *b = open_or_die(spec);
	struct am_err err = {""};
	int rc = 0, i;

	tap_long("the first handle gets the reporter lock", store_lock(a, &err), 1);
	tap_long("a second handle does not", store_lock(b, &err), 0);
	tap_long("the holder asking again still holds it", store_lock(a, &err), 1);
	store_close(a);
	/* PostgreSQL's server ends the session a moment after we close */
	for (i = 0; i < 50 && (rc = store_lock(b, &err)) == 0; i++)
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	tap_long("after store_close() of the holder, the other handle gets it", rc, 1);
	store_close(b);
}

/* ---- strings ---- */

void check_strings(const char *spec); /* store_checks_text.c */

int check_main(const char *name, const char *spec)
{
	static const struct {
		const char *name;
		void (*fn)(const char *spec);
	} sc[] = {
	    {"schema", sc_schema}, {"aggregate", sc_aggregate},
	    {"atomic", sc_atomic}, {"errors", sc_errors},
	    {"begin", sc_begin},   {"rows", sc_rows},
	    {"bad", sc_bad},	   {"deliveries", sc_deliveries},
	    {"finish", sc_finish}, {"expire", sc_expire},
	    {"lock", sc_lock},	   {"strings", check_strings},
	};
	size_t i;

	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		if (strcmp(sc[i].name, name) == 0) {
			sc[i].fn(spec);
			return tap_failed ? 1 : 0;
		}
	fprintf(stderr, "store_driver: no scenario %s\n", name);
	return 2;
}
