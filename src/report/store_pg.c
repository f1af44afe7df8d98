/*
 * store_pg - the report store in a PostgreSQL database (see store.h)
 *
 * DESCRIPTION
 *	For a fleet of MX hosts that share one database. Each operation is
 *	one transaction of prepared statements (store_pg_conn.c prepares
 *	them on every new connection); the first statement of a call finds
 *	out whether the connection is still there, and a dead one is
 *	replaced before anything is written.
 *
 *	Writers on several hosts add to the same rows at once: the UPSERT
 *	adds counts in the database (count = rows.count + excluded.count),
 *	never read-modify-write in the program, and store.c hands over each
 *	batch sorted and merged, so every writer locks rows in the same
 *	order and none deadlocks.
 *
 *	store_rows() streams in libpq's single-row mode: one row in memory
 *	at a time however big the report. When the caller's function stops
 *	the walk early, the rest of the result is still read and dropped;
 *	the function must not use the store itself (the connection is busy
 *	with the walk).
 *
 *	The reporter lock is pg_try_advisory_lock() on a fixed key, held by
 *	the session: it ends with the connection, the process, or
 *	store_close(). A lock held when the connection was lost is taken
 *	again on the new one; when another reporter got it meanwhile, every
 *	call fails until store_lock() is called again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "report/store_pg.h"
#include "util/xalloc.h"

static struct pg_store *pgs(struct store *st)
{
	return (struct pg_store *)st;
}

/* A column, NULL for SQL NULL. */
static const char *val(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Runs a statement inside the caller's transaction, ignoring rows. */
static int pg_do(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
		 struct am_err *err)
{
	PGresult *res = pg_run(s, stmt, p, what, err);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* One statement in a transaction of its own: its result, or NULL. */
static PGresult *pg_once(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
			 struct am_err *err)
{
	PGresult *res;

	if (pg_begin(s, what, err) != 0)
		return NULL;
	if ((res = pg_run(s, stmt, p, what, err)) == NULL) {
		pg_rollback(s);
		return NULL;
	}
	if (pg_commit(s, what, err) != 0) {
		PQclear(res);
		return NULL;
	}
	return res;
}

/* ---- opening ---- */

static void pgs_close(struct store *st)
{
	struct pg_store *s = pgs(st);

	pg_disconnect(s);
	free(s->conninfo);
	free(s);
}

static const struct store_ops pg_ops;

struct store *store_pg_open(const char *conninfo, struct am_err *err)
{
	struct pg_store *s = xcalloc(1, sizeof(*s));

	s->base.ops = &pg_ops;
	s->conninfo = xstrdup(conninfo);
	if (pg_connect(s, err) != 0) {
		pgs_close(&s->base);
		return NULL;
	}
	return &s->base;
}

/* ---- writing ---- */

static int pgs_item(struct pg_store *s, const struct store_item *it, struct am_err *err)
{
	struct pg_params p = {0};
	int i;

	if (it->first_of_policy) {
		pp_key(&p, it->day, it->pol[SP_DOMAIN], it->phash);
		for (i = SP_P; i < SP_N; i++)
			pp_text(&p, it->pol[i]);
		if (pg_do(s, P_POLICY, &p, "add policy", err) != 0)
			return -1;
		memset(&p, 0, sizeof(p));
	}
	pp_key(&p, it->day, it->pol[SP_DOMAIN], it->phash);
	pp_hash(&p, it->rhash);
	pp_long(&p, it->count);
	for (i = 0; i < SR_N; i++)
		pp_text(&p, it->row[i]);
	return pg_do(s, P_ROW, &p, "add row", err);
}

static int pgs_add(struct store *st, const struct store_item *v, size_t n, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	size_t i;

	if (pg_begin(s, "add", err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (pgs_item(s, &v[i], err) != 0) {
			pg_rollback(s);
			return -1;
		}
	return pg_commit(s, "add", err);
}

/* ---- reports ---- */

static void pgs_push(const PGresult *res, int i, struct store_report **out, size_t *n, size_t *cap)
{
	const char *pol[SP_N];
	unsigned char *phash;
	size_t len = 0;
	int j;

	phash = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 1), &len);
	if (phash == NULL)
		xalloc_fail(0);
	if (len == REPORT_HASH_LEN) { /* else not a hash this program wrote */
		for (j = 0; j < SP_N; j++)
			pol[j] = val(res, i, 2 + j);
		store_report_push(out, n, cap, store_atol(val(res, i, 0)), phash, pol,
				  store_atol(val(res, i, 12)), store_atol(val(res, i, 13)),
				  val(res, i, 14), store_atol(val(res, i, 15)),
				  store_atol(val(res, i, 16)));
	}
	PQfreemem(phash);
}

static int pgs_pending(struct store *st, long from_day, long to_day, struct store_report **out,
		       size_t *n, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;
	size_t cap = 0;
	int i;

	pp_long(&p, from_day);
	pp_long(&p, to_day);
	if ((res = pg_once(s, P_PENDING, &p, "pending", err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		pgs_push(res, i, out, n, &cap);
	PQclear(res);
	return 0;
}

static int pgs_begin(struct store *st, struct store_report *r, const char *report_id, time_t now,
		     struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;

	if (pg_begin(s, "report_begin", err) != 0)
		return -1;
	pp_key(&p, r->day, r->domain, r->phash);
	pp_text(&p, report_id);
	pp_long(&p, r->range_begin);
	pp_long(&p, r->range_end);
	pp_long(&p, (long)now);
	if (pg_do(s, P_REPORT_INS, &p, "report_begin", err) != 0)
		goto fail;
	memset(&p, 0, sizeof(p));
	pp_key(&p, r->day, r->domain, r->phash);
	if ((res = pg_run(s, P_REPORT_GET, &p, "report_begin", err)) == NULL)
		goto fail;
	if (PQntuples(res) != 1) {
		am_err_set(err, "postgresql: report_begin: the report is not there");
		PQclear(res);
		goto fail;
	}
	free(r->report_id);
	r->report_id = xstrdup(val(res, 0, 0) != NULL ? val(res, 0, 0) : "");
	r->range_begin = store_atol(val(res, 0, 1));
	r->range_end = store_atol(val(res, 0, 2));
	PQclear(res);
	return pg_commit(s, "report_begin", err);
fail:
	pg_rollback(s);
	return -1;
}

/* The rows of one result (one in single-row mode) to the walk; what the
 * walk's function returned when it was not 0. */
static int pgs_walk(const PGresult *res, struct store_walk *w)
{
	const char *col[SR_N];
	int i, j, stop = 0;

	for (i = 0; stop == 0 && i < PQntuples(res); i++) {
		for (j = 0; j < SR_N; j++)
			col[j] = val(res, i, 1 + j);
		stop = store_walk_row(w, col, store_atol(val(res, i, 0)));
	}
	return stop;
}

static int pgs_rows(struct store *st, const struct store_report *r, struct store_walk *w,
		    struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;
	ExecStatusType rs;
	int stop = 0;
	bool failed = false;

	if (pg_begin(s, "rows", err) != 0)
		return -1;
	pp_key(&p, r->day, r->domain, r->phash);
	if (pg_send(s, P_ROWS, &p, "rows", err) != 0) {
		pg_rollback(s);
		return -1;
	}
	PQsetSingleRowMode(s->conn); /* when it cannot, the result comes whole */
	while ((res = PQgetResult(s->conn)) != NULL) {
		rs = PQresultStatus(res);
		if (rs == PGRES_SINGLE_TUPLE || rs == PGRES_TUPLES_OK) {
			if (stop == 0 && !failed)
				stop = pgs_walk(res, w);
		} else if (!failed) {
			failed = true;
			pg_fail(s, "rows", res, err);
		}
		PQclear(res);
	}
	if (failed) {
		pg_rollback(s);
		return -1;
	}
	if (pg_commit(s, "rows", err) != 0)
		return -1;
	return stop;
}

static int pgs_finish(struct store *st, const struct store_report *r, const char *report_id,
		      const char *state, time_t now, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;

	pp_key(&p, r->day, r->domain, r->phash);
	pp_text(&p, report_id);
	pp_text(&p, state);
	pp_long(&p, (long)now);
	res = pg_once(s, P_FINISH, &p, "report_finish", err);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* ---- deliveries ---- */

static int pgs_dget(struct store *st, const struct store_report *r, const char *uri,
		    struct store_delivery *d, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;
	int rc = 0;

	pp_key(&p, r->day, r->domain, r->phash);
	pp_text(&p, uri);
	if ((res = pg_once(s, P_DGET, &p, "delivery_get", err)) == NULL)
		return -1;
	if (PQntuples(res) == 1) /* else never tried: d stays STORE_D_NEW */
		rc = store_delivery_fill(d, val(res, 0, 0), store_atol(val(res, 0, 1)),
					 store_atol(val(res, 0, 2)), store_atol(val(res, 0, 3)),
					 val(res, 0, 4), err);
	PQclear(res);
	return rc;
}

static int pgs_dset(struct store *st, const struct store_report *r, const char *uri,
		    const char *state, const char *error, time_t now, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res;

	pp_key(&p, r->day, r->domain, r->phash);
	pp_text(&p, uri);
	pp_text(&p, state);
	pp_long(&p, (long)now);
	pp_text(&p, error);
	res = pg_once(s, P_DSET, &p, "delivery_set", err);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

/* ---- upkeep ---- */

static long pgs_expire(struct store *st, long before_day, struct am_err *err)
{
	static const int order[] = {P_EXP_DELIVERIES, P_EXP_REPORTS, P_EXP_ROWS, P_EXP_POLICIES};
	struct pg_store *s = pgs(st);
	PGresult *res;
	long rows = 0;
	size_t i;

	if (pg_begin(s, "expire", err) != 0)
		return -1;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct pg_params p = {0};

		pp_long(&p, before_day);
		if ((res = pg_run(s, order[i], &p, "expire", err)) == NULL) {
			pg_rollback(s);
			return -1;
		}
		if (order[i] == P_EXP_ROWS)
			rows = store_atol(PQcmdTuples(res));
		PQclear(res);
	}
	return pg_commit(s, "expire", err) == 0 ? rows : -1;
}

static int pgs_stats(struct store *st, struct store_stats *out, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	struct pg_params p = {0};
	PGresult *res = pg_once(s, P_STATS, &p, "stats", err);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && PQnfields(res) == 8) {
		out->rows = store_atol(val(res, 0, 0));
		out->messages = store_atol(val(res, 0, 1));
		out->first_day = store_atol(val(res, 0, 2));
		out->last_day = store_atol(val(res, 0, 3));
		out->pending = store_atol(val(res, 0, 4));
		out->sent = store_atol(val(res, 0, 5));
		out->failed = store_atol(val(res, 0, 6));
		out->dropped = store_atol(val(res, 0, 7));
	}
	PQclear(res);
	return 0;
}

static int pgs_lock(struct store *st, struct am_err *err)
{
	struct pg_store *s = pgs(st);
	int held;

	s->lock_lost = false;
	if (pg_begin(s, "lock", err) != 0)
		return -1;
	/* Taken again when held already: advisory locks stack in a
	 * session, and all of them end with it. */
	if ((held = pg_trylock(s, err)) < 0) {
		pg_rollback(s);
		return -1;
	}
	if (pg_commit(s, "lock", err) != 0)
		return -1;
	s->locked = held == 1;
	return held;
}

static const struct store_ops pg_ops = {
    .kind = "postgresql",
    .close = pgs_close,
    .add = pgs_add,
    .pending = pgs_pending,
    .begin = pgs_begin,
    .rows = pgs_rows,
    .dget = pgs_dget,
    .dset = pgs_dset,
    .finish = pgs_finish,
    .expire = pgs_expire,
    .stats = pgs_stats,
    .lock = pgs_lock,
};
