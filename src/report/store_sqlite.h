/*
 * store_sqlite - the SQLite back end's handle and statements (internal)
 *
 * DESCRIPTION
 *	store_sqlite_db.c opens the file (pragmas, schema, prepared
 *	statements) and has the helpers that bind and run them;
 *	store_sqlite.c holds the operations, built on them.
 */
#ifndef AM_REPORT_STORE_SQLITE_H
#define AM_REPORT_STORE_SQLITE_H

#include <sqlite3.h>

#include "report/store_impl.h"

/* The prepared statements (text in store_sqlite_db.c). */
enum {
	Q_POLICY,
	Q_ROW,
	Q_PENDING,
	Q_REPORT_INS,
	Q_REPORT_GET,
	Q_ROWS,
	Q_DGET,
	Q_DSET,
	Q_FINISH,
	Q_EXP_DELIVERIES,
	Q_EXP_REPORTS,
	Q_EXP_ROWS,
	Q_EXP_POLICIES,
	Q_STATS,
	Q_N
};

struct sq_store {
	struct store base;
	sqlite3 *db;
	char *path;
	int lock_fd; /* -1 until store_lock() took the lock */
	sqlite3_stmt *q[Q_N];
};

/* Parameters are bound in order; the first failure is kept in rc. */
struct bind {
	sqlite3_stmt *q;
	int rc;
};

/* Opens s->path into s->db: busy timeout, WAL, synchronous=NORMAL, the
 * schema created or migrated, the statements prepared; 0 or -1 with err
 * naming the path. */
int sq_db_open(struct sq_store *s, struct am_err *err);
/* Finalizes the statements and closes s->db (NULL: no-op). */
void sq_db_close(struct sq_store *s);

/* -1 with err: "sqlite PATH: what: SQLite's message". */
int sq_fail(struct sq_store *s, const char *what, struct am_err *err);
/* SQL text of the program's own (no data in it): BEGIN, COMMIT, DDL. */
int sq_exec(struct sq_store *s, const char *text, const char *what, struct am_err *err);
void sq_rollback(struct sq_store *s); /* when a transaction is open */
int sq_commit(struct sq_store *s, const char *what, struct am_err *err);

void b_int(struct bind *b, int i, long v);
void b_text(struct bind *b, int i, const char *v); /* NULL: SQL NULL */
void b_hash(struct bind *b, int i, const unsigned char *h);
/* Statement n, reset, with (day, domain, phash) bound as ?1, ?2, ?3. */
struct bind b_key(struct sq_store *s, int n, long day, const char *domain,
		  const unsigned char *phash);
struct bind b_report(struct sq_store *s, int n, const struct store_report *r);
/* One step: SQLITE_ROW, SQLITE_DONE, or -1 with err (statement reset). */
int sq_step(struct sq_store *s, struct bind *b, const char *what, struct am_err *err);
/* Runs a statement that returns nothing, and resets it; 0 or -1. */
int sq_run(struct sq_store *s, struct bind *b, const char *what, struct am_err *err);
/* One bound statement in a write transaction of its own; 0 or -1. */
int sq_write1(struct sq_store *s, struct bind *b, const char *what, struct am_err *err);

#endif
