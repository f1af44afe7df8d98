/*
 * store_sqlite - the report store in one SQLite file (see store.h)
 *
 * DESCRIPTION
 *	For one host: the operations, each one statement or one transaction
 *	(BEGIN IMMEDIATE when it writes) of the statements store_sqlite_db.c
 *	prepared when the file was opened.
 *
 *	The reporter lock is flock(2) on PATH-reporter.lock, opened
 *	close-on-exec so a program the reporter runs (sendmail) does not
 *	inherit it and keep it after the reporter is gone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "report/store_sqlite.h"
#include "util/xalloc.h"

static struct sq_store *sq(struct store *st)
{
	return (struct sq_store *)st;
}

static void sq_close(struct store *st)
{
	struct sq_store *s = sq(st);

	sq_db_close(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s);
}

static const struct store_ops sq_ops;

struct store *store_sqlite_open(const char *path, struct am_err *err)
{
	struct sq_store *s = xcalloc(1, sizeof(*s));

	s->base.ops = &sq_ops;
	s->path = xstrdup(path);
	s->lock_fd = -1;
	if (sq_db_open(s, err) != 0) {
		sq_close(&s->base);
		return NULL;
	}
	return &s->base;
}

/* ---- writing ---- */

static int sq_item(struct sq_store *s, const struct store_item *it, struct am_err *err)
{
	struct bind b;
	int i;

	if (it->first_of_policy) {
		b = b_key(s, Q_POLICY, it->day, it->pol[SP_DOMAIN], it->phash);
		for (i = SP_P; i < SP_N; i++)
			b_text(&b, 4 + i - SP_P, it->pol[i]);
		if (sq_run(s, &b, "add policy", err) != 0)
			return -1;
	}
	b = b_key(s, Q_ROW, it->day, it->pol[SP_DOMAIN], it->phash);
	b_hash(&b, 4, it->rhash);
	b_int(&b, 5, it->count);
	for (i = 0; i < SR_N; i++)
		b_text(&b, 6 + i, it->row[i]);
	return sq_run(s, &b, "add row", err);
}

static int sq_add(struct store *st, const struct store_item *v, size_t n, struct am_err *err)
{
	struct sq_store *s = sq(st);
	size_t i;

	if (sq_exec(s, "BEGIN IMMEDIATE", "add", err) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sq_item(s, &v[i], err) != 0) {
			sq_rollback(s);
			return -1;
		}
	return sq_commit(s, "add", err);
}

/* ---- reports ---- */

static const char *col_text(sqlite3_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q, i);
}

static int sq_pending(struct store *st, long from_day, long to_day, struct store_report **out,
		      size_t *n, struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = {s->q[Q_PENDING], SQLITE_OK};
	const char *pol[SP_N];
	size_t cap = 0;
	int i, rc;

	b_int(&b, 1, from_day);
	b_int(&b, 2, to_day);
	while ((rc = sq_step(s, &b, "pending", err)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(b.q, 1) != REPORT_HASH_LEN)
			continue; /* not a hash this program wrote */
		for (i = 0; i < SP_N; i++)
			pol[i] = col_text(b.q, 2 + i);
		store_report_push(out, n, &cap, sqlite3_column_int64(b.q, 0),
				  sqlite3_column_blob(b.q, 1), pol, sqlite3_column_int64(b.q, 12),
				  sqlite3_column_int64(b.q, 13), col_text(b.q, 14),
				  sqlite3_column_int64(b.q, 15), sqlite3_column_int64(b.q, 16));
	}
	sqlite3_reset(b.q);
	if (rc < 0) {
		store_reports_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

static int sq_begin(struct store *st, struct store_report *r, const char *report_id, time_t now,
		    struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b;

	if (sq_exec(s, "BEGIN IMMEDIATE", "report_begin", err) != 0)
		return -1;
	b = b_report(s, Q_REPORT_INS, r);
	b_text(&b, 4, report_id);
	b_int(&b, 5, r->range_begin);
	b_int(&b, 6, r->range_end);
	b_int(&b, 7, (long)now);
	if (sq_run(s, &b, "report_begin", err) != 0)
		goto fail;
	b = b_report(s, Q_REPORT_GET, r);
	if (sq_step(s, &b, "report_begin", err) != SQLITE_ROW) {
		am_err_set(err, "sqlite %s: report_begin: the report is not there", s->path);
		goto fail;
	}
	free(r->report_id);
	r->report_id = xstrdup(col_text(b.q, 0) != NULL ? col_text(b.q, 0) : "");
	r->range_begin = sqlite3_column_int64(b.q, 1);
	r->range_end = sqlite3_column_int64(b.q, 2);
	sqlite3_reset(b.q);
	return sq_commit(s, "report_begin", err);
fail:
	sqlite3_reset(s->q[Q_REPORT_GET]);
	sq_rollback(s);
	return -1;
}

static int sq_rows(struct store *st, const struct store_report *r, struct store_walk *w,
		   struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = b_report(s, Q_ROWS, r);
	const char *col[SR_N];
	int i, rc = 0, stop = 0;

	while (stop == 0 && (rc = sq_step(s, &b, "rows", err)) == SQLITE_ROW) {
		for (i = 0; i < SR_N; i++)
			col[i] = col_text(b.q, 1 + i);
		stop = store_walk_row(w, col, sqlite3_column_int64(b.q, 0));
	}
	sqlite3_reset(b.q);
	return stop != 0 ? stop : rc < 0 ? -1 : 0;
}

static int sq_finish(struct store *st, const struct store_report *r, const char *report_id,
		     const char *state, time_t now, struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = b_report(s, Q_FINISH, r);

	b_text(&b, 4, report_id);
	b_text(&b, 5, state);
	b_int(&b, 6, (long)now);
	return sq_write1(s, &b, "report_finish", err);
}

/* ---- deliveries ---- */

static int sq_dget(struct store *st, const struct store_report *r, const char *uri,
		   struct store_delivery *d, struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = b_report(s, Q_DGET, r);
	int rc;

	b_text(&b, 4, uri);
	rc = sq_step(s, &b, "delivery_get", err);
	if (rc == SQLITE_ROW)
		rc = store_delivery_fill(d, col_text(b.q, 0), sqlite3_column_int64(b.q, 1),
					 sqlite3_column_int64(b.q, 2), sqlite3_column_int64(b.q, 3),
					 col_text(b.q, 4), err);
	else if (rc == SQLITE_DONE)
		rc = 0; /* never tried: d stays STORE_D_NEW */
	sqlite3_reset(b.q);
	return rc;
}

static int sq_dset(struct store *st, const struct store_report *r, const char *uri,
		   const char *state, const char *error, time_t now, struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = b_report(s, Q_DSET, r);

	b_text(&b, 4, uri);
	b_text(&b, 5, state);
	b_int(&b, 6, (long)now);
	b_text(&b, 7, error);
	return sq_write1(s, &b, "delivery_set", err);
}

/* ---- upkeep ---- */

static long sq_expire(struct store *st, long before_day, struct am_err *err)
{
	static const int order[] = {Q_EXP_DELIVERIES, Q_EXP_REPORTS, Q_EXP_ROWS, Q_EXP_POLICIES};
	struct sq_store *s = sq(st);
	long rows = 0;
	size_t i;

	if (sq_exec(s, "BEGIN IMMEDIATE", "expire", err) != 0)
		return -1;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct bind b = {s->q[order[i]], SQLITE_OK};

		b_int(&b, 1, before_day);
		if (sq_run(s, &b, "expire", err) != 0) {
			sq_rollback(s);
			return -1;
		}
		if (order[i] == Q_EXP_ROWS)
			rows = (long)sqlite3_changes(s->db);
	}
	return sq_commit(s, "expire", err) == 0 ? rows : -1;
}

static int sq_stats(struct store *st, struct store_stats *out, struct am_err *err)
{
	struct sq_store *s = sq(st);
	struct bind b = {s->q[Q_STATS], SQLITE_OK};
	int rc = sq_step(s, &b, "stats", err);

	if (rc == SQLITE_ROW) {
		out->rows = sqlite3_column_int64(b.q, 0);
		out->messages = sqlite3_column_int64(b.q, 1);
		out->first_day = sqlite3_column_int64(b.q, 2);
		out->last_day = sqlite3_column_int64(b.q, 3);
		out->pending = sqlite3_column_int64(b.q, 4);
		out->sent = sqlite3_column_int64(b.q, 5);
		out->failed = sqlite3_column_int64(b.q, 6);
		out->dropped = sqlite3_column_int64(b.q, 7);
	}
	sqlite3_reset(b.q);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int sq_lock(struct store *st, struct am_err *err)
{
	struct sq_store *s = sq(st);
	char *name;
	int fd, e;

	if (s->lock_fd >= 0)
		return 1;
	name = xasprintf("%s-reporter.lock", s->path);
	fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		am_err_set(err, "sqlite %s: lock: %s: %s", s->path, name, strerror(errno));
		free(name);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		s->lock_fd = fd;
		free(name);
		return 1;
	}
	e = errno;
	close(fd);
	if (e == EWOULDBLOCK) {
		free(name);
		return 0;
	}
	am_err_set(err, "sqlite %s: lock: %s: %s", s->path, name, strerror(e));
	free(name);
	return -1;
}

static const struct store_ops sq_ops = {
    .kind = "sqlite",
    .close = sq_close,
    .add = sq_add,
    .pending = sq_pending,
    .begin = sq_begin,
    .rows = sq_rows,
    .dget = sq_dget,
    .dset = sq_dset,
    .finish = sq_finish,
    .expire = sq_expire,
    .stats = sq_stats,
    .lock = sq_lock,
};
