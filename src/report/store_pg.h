/*
 * store_pg - the PostgreSQL back end's handle and statements (internal)
 *
 * DESCRIPTION
 *	store_pg_conn.c owns the connection: connecting within a deadline,
 *	the schema, the prepared statements, reconnecting after a loss, the
 *	transaction helpers. store_pg.c holds the operations, built on them.
 */
#ifndef AM_REPORT_STORE_PG_H
#define AM_REPORT_STORE_PG_H

#include <libpq-fe.h>

#include "report/store_impl.h"

/* The prepared statements (names and text in store_pg_conn.c). */
enum {
	P_POLICY,
	P_ROW,
	P_PENDING,
	P_REPORT_INS,
	P_REPORT_GET,
	P_ROWS,
	P_DGET,
	P_DSET,
	P_FINISH,
	P_EXP_DELIVERIES,
	P_EXP_REPORTS,
	P_EXP_ROWS,
	P_EXP_POLICIES,
	P_STATS,
	P_LOCK,
	P_N
};

struct pg_store {
	struct store base;
	PGconn *conn;	/* NULL while there is none */
	char *conninfo; /* as given after "postgresql:" */
	bool locked;	/* holds the reporter lock */
	bool lock_lost; /* held it, and lost it with the connection */
};

/* The parameters of one statement: text, except hashes (binary bytea). */
#define PG_MAX_PARAMS 16
struct pg_params {
	int n;
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
};

void pp_long(struct pg_params *p, long v);
void pp_text(struct pg_params *p, const char *s); /* NULL: SQL NULL */
void pp_hash(struct pg_params *p, const unsigned char *h);
/* $1, $2, $3: the key (day, domain, phash) */
void pp_key(struct pg_params *p, long day, const char *domain, const unsigned char *phash);

/* Connects (dropping what was there), creates or migrates the schema,
 * prepares the statements and takes the reporter lock again when it was
 * held; 0 or -1 with err. */
int pg_connect(struct pg_store *s, struct am_err *err);
void pg_disconnect(struct pg_store *s);
/* pg_try_advisory_lock() of the reporter lock on this session: 1 held,
 * 0 another session holds it, -1 with err. */
int pg_trylock(struct pg_store *s, struct am_err *err);

/* Starts a transaction: connects first when there is no good
 * connection, and connects once more when BEGIN finds the connection
 * dead (a server restarted since the last call). 0 or -1 with err. */
int pg_begin(struct pg_store *s, const char *what, struct am_err *err);
int pg_commit(struct pg_store *s, const char *what, struct am_err *err);
void pg_rollback(struct pg_store *s); /* when a transaction is open */

/* Runs prepared statement stmt: its result (PQclear it), or NULL with
 * err when it failed. */
PGresult *pg_run(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
		 struct am_err *err);
/* Sends it, for PQgetResult(); 0 or -1 with err. */
int pg_send(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
	    struct am_err *err);
/* -1 with err: "postgresql: what: the server's or libpq's message". */
int pg_fail(struct pg_store *s, const char *what, const PGresult *res, struct am_err *err);

#endif
