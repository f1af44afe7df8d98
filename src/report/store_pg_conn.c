/*
 * store_pg_conn - the PostgreSQL store's connection, schema and
 * statements (see store_pg.h)
 *
 * DESCRIPTION
 *	The connection is made with libpq's non-blocking calls and a
 *	deadline of our own: connect_timeout from the conninfo, 5 seconds
 *	when it sets none (libpq's rule: at least 2, 0 for no limit). It
 *	bounds the whole attempt, every host of a multi-host conninfo
 *	together, where libpq alone would wait that long for each address;
 *	the daemon's writer thread calls the store every second or so and
 *	must not hang on a database that is down. (Only the host name
 *	lookup, libpq's blocking getaddrinfo(), is outside the deadline.)
 *	TCP keepalives and tcp_user_timeout default to a dead peer found in
 *	about a minute instead of the system's two hours; client_encoding is
 *	always UTF8, the text store.c produces. Settings in the conninfo
 *	win over these defaults, client_encoding excepted.
 *
 *	After a connection is made the schema is checked, and created or
 *	migrated in one transaction under pg_advisory_xact_lock(), so two
 *	processes starting on an empty database create it once (CREATE
 *	TABLE IF NOT EXISTS alone races on the catalog); then every
 *	statement is prepared. A connection that dies is noticed by the
 *	call that fails on it (PQstatus() is then not CONNECTION_OK); the
 *	next call connects again, so the statements are prepared again and
 *	the reporter lock, a session lock, is taken again.
 *
 *	Parameters are text, except the hashes, sent as binary bytea.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/store_pg.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define DEFAULT_CONNECT_TIMEOUT "5"
#define MIN_CONNECT_TIMEOUT 2 /* libpq's */

/* pg_advisory_xact_lock() key of the schema ("amschema") */
#define SCHEMA_LOCK_SQL "SELECT pg_advisory_xact_lock(7020394264930905441)"

static const char *const schema_steps[STORE_SCHEMA_VERSION] = {
    "CREATE TABLE policies (day bigint NOT NULL, domain text NOT NULL, phash bytea NOT NULL,"
    " p text, sp text, np text, adkim text, aspf text, fo text, testing boolean NOT NULL,"
    " discovery text, rua text, PRIMARY KEY (day, domain, phash));"
    "CREATE TABLE rows (day bigint NOT NULL, domain text NOT NULL, phash bytea NOT NULL,"
    " rhash bytea NOT NULL, count bigint NOT NULL CHECK (count > 0), source_ip text,"
    " disposition text, dkim_pass boolean NOT NULL, spf_pass boolean NOT NULL, reasons text,"
    " header_from text, envelope_from text, dkim text, spf_domain text, spf_result text,"
    " PRIMARY KEY (day, domain, phash, rhash));"
    "CREATE TABLE reports (day bigint NOT NULL, domain text NOT NULL, phash bytea NOT NULL,"
    " report_id text, range_begin bigint NOT NULL DEFAULT 0,"
    " range_end bigint NOT NULL DEFAULT 0,"
    " state text NOT NULL CHECK (state IN ('open', 'done', 'dropped')),"
    " created bigint NOT NULL, finished bigint, PRIMARY KEY (day, domain, phash));"
    "CREATE TABLE deliveries (day bigint NOT NULL, domain text NOT NULL, phash bytea NOT NULL,"
    " uri text NOT NULL, state text NOT NULL CHECK (state IN ('sent', 'failed', 'dropped')),"
    " attempts integer NOT NULL, first_try bigint NOT NULL, last_try bigint NOT NULL,"
    " error text, PRIMARY KEY (day, domain, phash, uri));"
    "DELETE FROM authmilter_schema; INSERT INTO authmilter_schema (version) VALUES (1);",
};

#define KEY "day = $1 AND domain = $2 AND phash = $3"

static const struct {
	const char *name, *sql;
} stmts[P_N] = {
    [P_POLICY] = {"am_policy",
		  "INSERT INTO policies (day, domain, phash, p, sp, np, adkim, aspf, fo, testing,"
		  " discovery, rua) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
		  " ON CONFLICT (day, domain, phash) DO NOTHING"},
    [P_ROW] = {"am_row",
	       "INSERT INTO rows (day, domain, phash, rhash, count, source_ip, disposition,"
	       " dkim_pass, spf_pass, reasons, header_from, envelope_from, dkim, spf_domain,"
	       " spf_result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
	       " $15) ON CONFLICT (day, domain, phash, rhash)"
	       " DO UPDATE SET count = rows.count + excluded.count"},
    [P_PENDING] = {"am_pending",
		   "SELECT p.day, p.phash, p.domain, p.p, p.sp, p.np, p.adkim, p.aspf, p.fo,"
		   " p.testing::int, p.discovery, p.rua, a.n, a.m, r.report_id, r.range_begin,"
		   " r.range_end FROM policies AS p"
		   " JOIN (SELECT day, domain, phash, count(*) AS n, sum(count)::bigint AS m"
		   " FROM rows WHERE day BETWEEN $1 AND $2 GROUP BY day, domain, phash) AS a"
		   " ON a.day = p.day AND a.domain = p.domain AND a.phash = p.phash"
		   " LEFT JOIN reports AS r"
		   " ON r.day = p.day AND r.domain = p.domain AND r.phash = p.phash"
		   " WHERE r.state IS NULL OR r.state = 'open'"
		   " ORDER BY p.day, p.domain COLLATE \"C\", p.phash"},
    [P_REPORT_INS] = {"am_report_ins",
		      "INSERT INTO reports (day, domain, phash, report_id, range_begin,"
		      " range_end, state, created) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)"
		      " ON CONFLICT (day, domain, phash) DO UPDATE SET"
		      " report_id = excluded.report_id, range_begin = excluded.range_begin,"
		      " range_end = excluded.range_end WHERE reports.report_id IS NULL"},
    [P_REPORT_GET] = {"am_report_get",
		      "SELECT report_id, range_begin, range_end FROM reports WHERE " KEY},
    [P_ROWS] = {"am_rows",
		"SELECT count, source_ip, disposition, dkim_pass::int, spf_pass::int, reasons,"
		" header_from, envelope_from, dkim, spf_domain, spf_result FROM rows"
		" WHERE " KEY " ORDER BY rhash"},
    [P_DGET] = {"am_dget", "SELECT state, attempts, first_try, last_try, error FROM deliveries"
			   " WHERE " KEY " AND uri = $4"},
    [P_DSET] = {"am_dset",
		"INSERT INTO deliveries (day, domain, phash, uri, state, attempts, first_try,"
		" last_try, error) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)"
		" ON CONFLICT (day, domain, phash, uri) DO UPDATE SET state = excluded.state,"
		" attempts = deliveries.attempts + 1, last_try = excluded.last_try,"
		" error = excluded.error"},
    [P_FINISH] = {"am_finish",
		  "INSERT INTO reports (day, domain, phash, report_id, state, created, finished)"
		  " VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (day, domain, phash)"
		  " DO UPDATE SET state = excluded.state, finished = excluded.finished"},
    [P_EXP_DELIVERIES] = {"am_exp_deliveries", "DELETE FROM deliveries WHERE day < $1"},
    [P_EXP_REPORTS] = {"am_exp_reports", "DELETE FROM reports WHERE day < $1"},
    [P_EXP_ROWS] = {"am_exp_rows", "DELETE FROM rows WHERE day < $1"},
    [P_EXP_POLICIES] = {"am_exp_policies", "DELETE FROM policies WHERE day < $1"},
    [P_STATS] = {"am_stats",
		 "SELECT a.n, a.m, a.lo, a.hi,"
		 " (SELECT count(*) FROM policies AS p WHERE EXISTS (SELECT 1 FROM rows AS w"
		 "  WHERE w.day = p.day AND w.domain = p.domain AND w.phash = p.phash)"
		 "  AND NOT EXISTS (SELECT 1 FROM reports AS r"
		 "  WHERE r.day = p.day AND r.domain = p.domain AND r.phash = p.phash"
		 "  AND r.state IN ('done', 'dropped'))),"
		 " (SELECT count(*) FROM deliveries WHERE state = 'sent'),"
		 " (SELECT count(*) FROM deliveries WHERE state = 'failed'),"
		 " (SELECT count(*) FROM deliveries WHERE state = 'dropped')"
		 " + (SELECT count(*) FROM reports AS r WHERE r.state = 'dropped'"
		 "  AND NOT EXISTS (SELECT 1 FROM deliveries AS d"
		 "  WHERE d.day = r.day AND d.domain = r.domain AND d.phash = r.phash))"
		 " FROM (SELECT count(*) AS n, coalesce(sum(count), 0)::bigint AS m,"
		 " coalesce(min(day), -1) AS lo, coalesce(max(day), -1) AS hi FROM rows) AS a"},
    /* the reporter lock's key: "amreport" */
    [P_LOCK] = {"am_lock", "SELECT pg_try_advisory_lock(7020393174144086644)::int"},
};

/* ---- parameters ---- */

static void pp_add(struct pg_params *p, const char *v, int len, int fmt)
{
	if (p->n == PG_MAX_PARAMS)
		xalloc_fail(SIZE_MAX); /* a statement of ours with too many: a bug */
	p->v[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void pp_long(struct pg_params *p, long v)
{
	if (p->n == PG_MAX_PARAMS)
		xalloc_fail(SIZE_MAX);
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%ld", v);
	pp_add(p, p->num[p->n], 0, 0);
}

void pp_text(struct pg_params *p, const char *s)
{
	pp_add(p, s, 0, 0);
}

void pp_hash(struct pg_params *p, const unsigned char *h)
{
	pp_add(p, (const char *)h, REPORT_HASH_LEN, 1);
}

void pp_key(struct pg_params *p, long day, const char *domain, const unsigned char *phash)
{
	pp_long(p, day);
	pp_text(p, domain);
	pp_hash(p, phash);
}

/* ---- errors ---- */

int pg_fail(struct pg_store *s, const char *what, const PGresult *res, struct am_err *err)
{
	const char *m = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t len;

	if (m == NULL)
		m = s->conn != NULL ? PQerrorMessage(s->conn) : "no connection";
	/* libpq's own messages end in a newline, and may go on for lines */
	len = strcspn(m, "\n");
	am_err_set(err, "postgresql: %s: %.*s", what, (int)len, m);
	return -1;
}

/* A command of the program's own text (no data in it). */
static int pg_exec(struct pg_store *s, const char *text, const char *what, struct am_err *err)
{
	PGresult *res = PQexec(s->conn, text);
	ExecStatusType st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = pg_fail(s, what, res, err);
	PQclear(res);
	return rc;
}

PGresult *pg_run(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
		 struct am_err *err)
{
	PGresult *res = PQexecPrepared(s->conn, stmts[stmt].name, p->n, p->v, p->len, p->fmt, 0);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	pg_fail(s, what, res, err);
	PQclear(res);
	return NULL;
}

int pg_send(struct pg_store *s, int stmt, const struct pg_params *p, const char *what,
	    struct am_err *err)
{
	if (PQsendQueryPrepared(s->conn, stmts[stmt].name, p->n, p->v, p->len, p->fmt, 0) == 1)
		return 0;
	return pg_fail(s, what, NULL, err);
}

/* ---- connecting ---- */

static void pg_quiet(void *arg, const char *message)
{
	/* a library does not print: NOTICEs ("... already exists,
	 * skipping") are dropped */
}

/* The seconds the whole attempt may take: the conninfo's
 * connect_timeout, or our default; 0 for no limit. */
static int pg_timeout(PGconn *c)
{
	PQconninfoOption *o = PQconninfo(c), *i;
	int t = 0;

	for (i = o; i != NULL && i->keyword != NULL; i++)
		if (strcmp(i->keyword, "connect_timeout") == 0 && i->val != NULL)
			t = atoi(i->val);
	PQconninfoFree(o);
	return t <= 0 ? 0 : t < MIN_CONNECT_TIMEOUT ? MIN_CONNECT_TIMEOUT : t;
}

/* Waits until the socket is ready for what PQconnectPoll() asked, or
 * the deadline (0: none); 0, or -1 at the deadline. */
static int pg_wait(PGconn *c, PostgresPollingStatusType want, double deadline)
{
	struct pollfd pfd = {PQsocket(c), want == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
	int ms, n;

	for (;;) {
		ms = -1;
		if (deadline > 0) {
			double left = deadline - clock_now();

			if (left <= 0)
				return -1;
			ms = (int)(left * 1000) + 1;
		}
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return 0; /* let PQconnectPoll() find out what is wrong */
	}
}

/* A new connection within the deadline, or NULL with err. */
static PGconn *pg_dial(const char *conninfo, struct am_err *err)
{
	/* Before dbname, the conninfo (expanded in its place) overrides
	 * them; after it, they override the conninfo. */
	const char *const kw[] = {"connect_timeout",
				  "fallback_application_name",
				  "keepalives_idle",
				  "keepalives_interval",
				  "keepalives_count",
				  "tcp_user_timeout",
				  "dbname",
				  "client_encoding",
				  NULL};
	const char *const val[] = {DEFAULT_CONNECT_TIMEOUT,
				   "authmilter",
				   "30",
				   "10",
				   "3",
				   "30000",
				   conninfo,
				   "UTF8",
				   NULL};
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	PGconn *c = PQconnectStartParams(kw, val, 1);
	double deadline = 0;
	int t = 0;

	if (c == NULL)
		xalloc_fail(0);
	if (PQstatus(c) != CONNECTION_BAD) {
		if ((t = pg_timeout(c)) > 0)
			deadline = clock_now() + t;
		while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
			if (pg_wait(c, ps, deadline) != 0) {
				am_err_set(err, "postgresql: connect: no answer within %d seconds",
					   t);
				PQfinish(c);
				return NULL;
			}
			ps = PQconnectPoll(c);
		}
	}
	if (PQstatus(c) != CONNECTION_OK) {
		size_t len = strcspn(PQerrorMessage(c), "\n");

		am_err_set(err, "postgresql: connect: %.*s", (int)len, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	return c;
}

/* The schema version, 0 when there is no authmilter_schema yet (the
 * table is created then, inside the caller's transaction). */
static int pg_version(struct pg_store *s, int *v, struct am_err *err)
{
	PGresult *res = PQexec(s->conn, "SELECT to_regclass('authmilter_schema') IS NOT NULL");
	bool have;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_fail(s, "schema", res, err);
		PQclear(res);
		return -1;
	}
	have = *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	*v = 0;
	if (!have)
		return pg_exec(s, "CREATE TABLE authmilter_schema (version integer NOT NULL)",
			       "schema", err);
	res = PQexec(s->conn, "SELECT coalesce(max(version), 0) FROM authmilter_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_fail(s, "schema version", res, err);
		PQclear(res);
		return -1;
	}
	*v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Creates or migrates the schema: one transaction, one process at a
 * time. Reading the version first needs no CREATE privilege, so a
 * daemon whose role may only read and write the tables starts too. */
static int pg_schema(struct pg_store *s, struct am_err *err)
{
	int v;

	if (pg_exec(s, "BEGIN", "schema", err) != 0)
		return -1;
	if (pg_exec(s, SCHEMA_LOCK_SQL, "schema lock", err) != 0 || pg_version(s, &v, err) != 0)
		goto fail;
	if (v > STORE_SCHEMA_VERSION || v < 0) {
		am_err_set(err, "postgresql: schema version %d is not one this program knows (%d)",
			   v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if (pg_exec(s, schema_steps[v], "schema", err) != 0)
			goto fail;
	return pg_commit(s, "schema", err);
fail:
	pg_rollback(s);
	return -1;
}

static int pg_prepare(struct pg_store *s, struct am_err *err)
{
	PGresult *res;
	size_t i;

	for (i = 0; i < P_N; i++) {
		res = PQprepare(s->conn, stmts[i].name, stmts[i].sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(s, "prepare", res, err);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

int pg_trylock(struct pg_store *s, struct am_err *err)
{
	struct pg_params p = {0};
	PGresult *res = pg_run(s, P_LOCK, &p, "lock", err);
	int held;

	if (res == NULL)
		return -1;
	held = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
	PQclear(res);
	return held;
}

void pg_disconnect(struct pg_store *s)
{
	PQfinish(s->conn);
	s->conn = NULL;
}

int pg_connect(struct pg_store *s, struct am_err *err)
{
	pg_disconnect(s);
	if ((s->conn = pg_dial(s->conninfo, err)) == NULL)
		return -1;
	if (pg_schema(s, err) != 0 || pg_prepare(s, err) != 0) {
		pg_disconnect(s);
		return -1;
	}
	if (s->locked && pg_trylock(s, err) != 1) {
		/* Another reporter took it while we were away: this one
		 * must not go on as if it held it (sticky until store_lock()). */
		s->locked = false;
		s->lock_lost = true;
	}
	return 0;
}

static bool pg_alive(const struct pg_store *s)
{
	return s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK;
}

int pg_begin(struct pg_store *s, const char *what, struct am_err *err)
{
	bool fresh = false;

	if (!pg_alive(s)) {
		if (pg_connect(s, err) != 0)
			return -1;
		fresh = true;
	}
	if (pg_exec(s, "BEGIN", what, err) == 0)
		goto check;
	if (fresh || pg_alive(s))
		return -1;
	/* The connection died while idle: nothing was done yet, so one
	 * more try on a new one is safe. */
	if (pg_connect(s, err) != 0 || pg_exec(s, "BEGIN", what, err) != 0)
		return -1;
check:
	if (s->lock_lost) {
		am_err_set(err, "postgresql: %s: the reporter lock was lost with the connection",
			   what);
		pg_rollback(s);
		return -1;
	}
	return 0;
}

int pg_commit(struct pg_store *s, const char *what, struct am_err *err)
{
	if (pg_exec(s, "COMMIT", what, err) == 0)
		return 0;
	pg_rollback(s);
	return -1;
}

void pg_rollback(struct pg_store *s)
{
	PGTransactionStatusType ts = s->conn != NULL ? PQtransactionStatus(s->conn) : PQTRANS_IDLE;
	PGresult *res;

	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		res = PQexec(s->conn, "ROLLBACK");
		PQclear(res);
	}
}
