/*
 * store_sqlite_db - the SQLite store's file, schema and statements (see
 * store_sqlite.h)
 *
 * DESCRIPTION
 *	One database file in WAL mode (readers never wait for the writer),
 *	synchronous=NORMAL (a commit survives a crash of the process, and
 *	at worst the last commits are lost with the machine: the counts of
 *	a second or so) and a busy timeout, so that the daemon's writer and
 *	the reporter, two processes, wait for each other instead of failing.
 *
 *	Every transaction that writes starts with BEGIN IMMEDIATE: it takes
 *	the write lock first, under the busy timeout, rather than upgrading a
 *	read snapshot that another writer may have made stale (that upgrade
 *	fails at once with SQLITE_BUSY and no waiting). The schema is made
 *	the same way, so two processes opening a fresh file at once create
 *	it once: the second waits, then sees user_version set.
 *
 *	Statements are prepared once, with SQLITE_PREPARE_PERSISTENT, when
 *	the handle is opened; data is only ever bound.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report/store_sqlite.h"
#include "util/clock.h"

#define BUSY_TIMEOUT_MS 5000
#define RETRY_SLEEP_MS 10

/* The schema, one step per version: step[v] takes version v to v + 1. */
static const char *const schema_steps[STORE_SCHEMA_VERSION] = {
    "CREATE TABLE policies (day INTEGER NOT NULL, domain TEXT NOT NULL, phash BLOB NOT NULL,"
    " p TEXT, sp TEXT, np TEXT, adkim TEXT, aspf TEXT, fo TEXT, testing INTEGER NOT NULL,"
    " discovery TEXT, rua TEXT, PRIMARY KEY (day, domain, phash));"
    "CREATE TABLE rows (day INTEGER NOT NULL, domain TEXT NOT NULL, phash BLOB NOT NULL,"
    " rhash BLOB NOT NULL, count INTEGER NOT NULL CHECK (count > 0), source_ip TEXT,"
    " disposition TEXT, dkim_pass INTEGER NOT NULL, spf_pass INTEGER NOT NULL, reasons TEXT,"
    " header_from TEXT, envelope_from TEXT, dkim TEXT, spf_domain TEXT, spf_result TEXT,"
    " PRIMARY KEY (day, domain, phash, rhash));"
    "CREATE TABLE reports (day INTEGER NOT NULL, domain TEXT NOT NULL, phash BLOB NOT NULL,"
    " report_id TEXT, range_begin INTEGER NOT NULL DEFAULT 0,"
    " range_end INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL CHECK (state IN ('open', 'done', 'dropped')),"
    " created INTEGER NOT NULL, finished INTEGER, PRIMARY KEY (day, domain, phash));"
    "CREATE TABLE deliveries (day INTEGER NOT NULL, domain TEXT NOT NULL, phash BLOB NOT NULL,"
    " uri TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('sent', 'failed', 'dropped')),"
    " attempts INTEGER NOT NULL, first_try INTEGER NOT NULL, last_try INTEGER NOT NULL,"
    " error TEXT, PRIMARY KEY (day, domain, phash, uri));"
    "PRAGMA user_version = 1;",
};

#define KEY "day = ?1 AND domain = ?2 AND phash = ?3"

static const char *const sql[Q_N] = {
    [Q_POLICY] = "INSERT INTO policies (day, domain, phash, p, sp, np, adkim, aspf, fo, testing,"
		 " discovery, rua) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
		 " ON CONFLICT (day, domain, phash) DO NOTHING",
    [Q_ROW] = "INSERT INTO rows (day, domain, phash, rhash, count, source_ip, disposition,"
	      " dkim_pass, spf_pass, reasons, header_from, envelope_from, dkim, spf_domain,"
	      " spf_result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	      " ?15) ON CONFLICT (day, domain, phash, rhash)"
	      " DO UPDATE SET count = rows.count + excluded.count",
    [Q_PENDING] = "SELECT p.day, p.phash, p.domain, p.p, p.sp, p.np, p.adkim, p.aspf, p.fo,"
		  " p.testing, p.discovery, p.rua, a.n, a.m, r.report_id, r.range_begin,"
		  " r.range_end FROM policies AS p"
		  " JOIN (SELECT day, domain, phash, count(*) AS n, sum(count) AS m FROM rows"
		  " WHERE day BETWEEN ?1 AND ?2 GROUP BY day, domain, phash) AS a"
		  " ON a.day = p.day AND a.domain = p.domain AND a.phash = p.phash"
		  " LEFT JOIN reports AS r"
		  " ON r.day = p.day AND r.domain = p.domain AND r.phash = p.phash"
		  " WHERE r.state IS NULL OR r.state = 'open' ORDER BY p.day, p.domain, p.phash",
    [Q_REPORT_INS] =
	"INSERT INTO reports (day, domain, phash, report_id, range_begin,"
	" range_end, state, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)"
	" ON CONFLICT (day, domain, phash) DO UPDATE SET report_id = excluded.report_id,"
	" range_begin = excluded.range_begin, range_end = excluded.range_end"
	" WHERE reports.report_id IS NULL",
    [Q_REPORT_GET] = "SELECT report_id, range_begin, range_end FROM reports WHERE " KEY,
    [Q_ROWS] = "SELECT count, source_ip, disposition, dkim_pass, spf_pass, reasons,"
	       " header_from, envelope_from, dkim, spf_domain, spf_result FROM rows"
	       " WHERE " KEY " ORDER BY rhash",
    [Q_DGET] = "SELECT state, attempts, first_try, last_try, error FROM deliveries"
	       " WHERE " KEY " AND uri = ?4",
    [Q_DSET] = "INSERT INTO deliveries (day, domain, phash, uri, state, attempts, first_try,"
	       " last_try, error) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, ?7)"
	       " ON CONFLICT (day, domain, phash, uri) DO UPDATE SET state = excluded.state,"
	       " attempts = deliveries.attempts + 1, last_try = excluded.last_try,"
	       " error = excluded.error",
    [Q_FINISH] = "INSERT INTO reports (day, domain, phash, report_id, state, created, finished)"
		 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (day, domain, phash)"
		 " DO UPDATE SET state = excluded.state, finished = excluded.finished",
    [Q_EXP_DELIVERIES] = "DELETE FROM deliveries WHERE day < ?1",
    [Q_EXP_REPORTS] = "DELETE FROM reports WHERE day < ?1",
    [Q_EXP_ROWS] = "DELETE FROM rows WHERE day < ?1",
    [Q_EXP_POLICIES] = "DELETE FROM policies WHERE day < ?1",
    [Q_STATS] = "SELECT a.n, a.m, a.lo, a.hi,"
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
		" FROM (SELECT count(*) AS n, coalesce(sum(count), 0) AS m,"
		" coalesce(min(day), -1) AS lo, coalesce(max(day), -1) AS hi FROM rows) AS a",
};

/* -1 with err: "sqlite PATH: what: SQLite's message". */
int sq_fail(struct sq_store *s, const char *what, struct am_err *err)
{
	am_err_set(err, "sqlite %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return -1;
}

/* SQL text of the program's own (no data in it): BEGIN, COMMIT, DDL. */
int sq_exec(struct sq_store *s, const char *text, const char *what, struct am_err *err)
{
	return sqlite3_exec(s->db, text, NULL, NULL, NULL) == SQLITE_OK ? 0 : sq_fail(s, what, err);
}

void sq_rollback(struct sq_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int sq_commit(struct sq_store *s, const char *what, struct am_err *err)
{
	if (sq_exec(s, "COMMIT", what, err) == 0)
		return 0;
	sq_rollback(s);
	return -1;
}

void b_int(struct bind *b, int i, long v)
{
	int rc = sqlite3_bind_int64(b->q, i, v);

	if (b->rc == SQLITE_OK)
		b->rc = rc;
}

void b_text(struct bind *b, int i, const char *v)
{
	int rc = v != NULL ? sqlite3_bind_text(b->q, i, v, -1, SQLITE_STATIC)
			   : sqlite3_bind_null(b->q, i);

	if (b->rc == SQLITE_OK)
		b->rc = rc;
}

void b_hash(struct bind *b, int i, const unsigned char *h)
{
	int rc = sqlite3_bind_blob(b->q, i, h, REPORT_HASH_LEN, SQLITE_STATIC);

	if (b->rc == SQLITE_OK)
		b->rc = rc;
}

/* Binds (day, domain, phash) as ?1, ?2, ?3 of statement n. */
struct bind b_key(struct sq_store *s, int n, long day, const char *domain,
		  const unsigned char *phash)
{
	struct bind b = {s->q[n], SQLITE_OK};

	sqlite3_reset(b.q);
	sqlite3_clear_bindings(b.q);
	b_int(&b, 1, day);
	b_text(&b, 2, domain);
	b_hash(&b, 3, phash);
	return b;
}

struct bind b_report(struct sq_store *s, int n, const struct store_report *r)
{
	return b_key(s, n, r->day, r->domain, r->phash);
}

/* One step of a bound statement: SQLITE_ROW, SQLITE_DONE, or -1 with
 * err (the statement reset). */
int sq_step(struct sq_store *s, struct bind *b, const char *what, struct am_err *err)
{
	int rc;

	if (b->rc != SQLITE_OK) {
		am_err_set(err, "sqlite %s: %s: bind: %s", s->path, what, sqlite3_errstr(b->rc));
		sqlite3_reset(b->q);
		return -1;
	}
	if ((rc = sqlite3_step(b->q)) == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	sq_fail(s, what, err);
	sqlite3_reset(b->q);
	return -1;
}

/* Runs a statement that returns nothing; 0 or -1. */
int sq_run(struct sq_store *s, struct bind *b, const char *what, struct am_err *err)
{
	int rc = sq_step(s, b, what, err);

	sqlite3_reset(b->q);
	return rc < 0 ? -1 : 0;
}

/* One try at WAL mode: SQLITE_OK with the mode now in use in mode[], or
 * SQLite's error code. */
static int sq_wal_try(struct sq_store *s, char *mode, size_t size)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(q, 0);

		snprintf(mode, size, "%s", m != NULL ? (const char *)m : "unknown");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc;
}

/*
 * WAL mode, then synchronous=NORMAL (a setting of the connection). WAL is
 * kept in the file once set, and asking again is then free; but while a
 * new file is still in rollback mode, two processes switching it at once
 * can get SQLITE_BUSY at once, without the busy handler (SQLite refuses to
 * wait where the two could deadlock), so it is tried again until the busy
 * timeout.
 */
static int sq_pragmas(struct sq_store *s, struct am_err *err)
{
	double deadline = clock_now() + BUSY_TIMEOUT_MS / 1000.0;
	char mode[32];
	int rc;

	while ((rc = sq_wal_try(s, mode, sizeof(mode))) == SQLITE_BUSY && clock_now() < deadline)
		sqlite3_sleep(RETRY_SLEEP_MS);
	if (rc != SQLITE_OK)
		return sq_fail(s, "journal_mode=WAL", err);
	if (strcmp(mode, "wal") != 0) {
		am_err_set(err, "sqlite %s: WAL mode refused (journal_mode is %s)", s->path, mode);
		return -1;
	}
	return sq_exec(s, "PRAGMA synchronous = NORMAL", "synchronous=NORMAL", err);
}

static int sq_version(struct sq_store *s, int *version, struct am_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW) {
		*version = sqlite3_column_int(q, 0);
		rc = 0;
	} else {
		sq_fail(s, "schema version", err);
	}
	sqlite3_finalize(q);
	return rc;
}

/* Creates or migrates the schema in one write transaction. */
static int sq_schema(struct sq_store *s, struct am_err *err)
{
	int v;

	if (sq_exec(s, "BEGIN IMMEDIATE", "schema", err) != 0)
		return -1;
	if (sq_version(s, &v, err) != 0)
		goto fail;
	if (v > STORE_SCHEMA_VERSION || v < 0) {
		am_err_set(err, "sqlite %s: schema version %d is not one this program knows (%d)",
			   s->path, v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++)
		if (sq_exec(s, schema_steps[v], "schema", err) != 0)
			goto fail;
	return sq_commit(s, "schema", err);
fail:
	sq_rollback(s);
	return -1;
}

static int sq_prepare(struct sq_store *s, struct am_err *err)
{
	size_t i;

	for (i = 0; i < Q_N; i++)
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
				       NULL) != SQLITE_OK)
			return sq_fail(s, "prepare", err);
	return 0;
}

/* One bound statement in a write transaction of its own. */
int sq_write1(struct sq_store *s, struct bind *b, const char *what, struct am_err *err)
{
	if (sq_exec(s, "BEGIN IMMEDIATE", what, err) != 0)
		return -1;
	if (sq_run(s, b, what, err) != 0) {
		sq_rollback(s);
		return -1;
	}
	return sq_commit(s, what, err);
}

/* The error of a file SQLite could not open, with the system's reason. */
static void sq_open_fail(struct sq_store *s, struct am_err *err)
{
	int e = s->db != NULL ? sqlite3_system_errno(s->db) : 0;

	am_err_set(err, "sqlite %s: cannot open: %s%s%s%s", s->path,
		   s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory", e ? " (" : "",
		   e ? strerror(e) : "", e ? ")" : "");
}

void sq_db_close(struct sq_store *s)
{
	size_t i;

	for (i = 0; i < Q_N; i++) {
		sqlite3_finalize(s->q[i]);
		s->q[i] = NULL;
	}
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

int sq_db_open(struct sq_store *s, struct am_err *err)
{
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		sq_open_fail(s, err);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* SQLite falls back to read-only when the file is not writable;
	 * a store that cannot be written is no store. */
	if (sqlite3_db_readonly(s->db, "main") != 0) {
		am_err_set(err, "sqlite %s: cannot open: the file is not writable", s->path);
		return -1;
	}
	if (sq_pragmas(s, err) != 0 || sq_schema(s, err) != 0 || sq_prepare(s, err) != 0)
		return -1;
	return 0;
}
