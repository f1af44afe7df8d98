/*
 * store - the report store: the spec, the arguments, and what both back
 * ends share (see store.h)
 *
 * DESCRIPTION
 *	store_open() reads the spec and hands it to a back end
 *	(store_sqlite.c, store_pg.c); every other function checks its
 *	arguments here and calls the back end through its operations table
 *	(store_impl.h).
 *
 *	A batch becomes column text here, once for both back ends: the
 *	hashes are taken of the records as given, then every string is cut
 *	to record.h's bound and made valid UTF-8, each byte that is not part
 *	of a valid sequence becoming '?'. PostgreSQL refuses invalid UTF-8
 *	in a text column, and a byte cut in the middle of a character or an
 *	8-bit selector must not fail the whole batch; SQLite gets the same
 *	text so both back ends read back the same. The batch is then sorted
 *	by (day, domain, phash, rhash), and records with the same key are
 *	merged into one, so every writer takes its row locks in one order
 *	and touches each row once: concurrent writers on one PostgreSQL
 *	database wait for each other but never deadlock.
 *
 *	Rows read back are decoded here too: a disposition that is not a
 *	name, or dkim or reasons text that record.h cannot decode, makes the
 *	row bad (counted, skipped), never the walk failed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/store.h"
#include "report/store_impl.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define SPEC_SQLITE "sqlite:"
#define SPEC_PG "postgresql:"

/* ---- the spec ---- */

struct store *store_open(const char *spec, struct am_err *err)
{
	const char *colon;

	if (spec == NULL || *spec == '\0') {
		am_err_set(err, "store: no spec (sqlite:PATH or postgresql:CONNINFO)");
		return NULL;
	}
	if (strncmp(spec, SPEC_SQLITE, strlen(SPEC_SQLITE)) == 0) {
		if (spec[strlen(SPEC_SQLITE)] == '\0') {
			am_err_set(err, "store: sqlite: needs a path (sqlite:PATH)");
			return NULL;
		}
		return store_sqlite_open(spec + strlen(SPEC_SQLITE), err);
	}
	if (strncmp(spec, SPEC_PG, strlen(SPEC_PG)) == 0)
		return store_pg_open(spec + strlen(SPEC_PG), err);
	/* Only the kind is shown: a conninfo may hold a password. */
	colon = strchr(spec, ':');
	am_err_set(err, "store: unknown kind \"%.*s\" (sqlite:PATH or postgresql:CONNINFO)",
		   colon != NULL && colon - spec < 32 ? (int)(colon - spec) : 0, spec);
	return NULL;
}

void store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

const char *store_kind(const struct store *st)
{
	return st->ops->kind;
}

/* ---- column text ---- */

/* The length of the valid UTF-8 sequence at p (1 to 4), 0 when none
 * starts there. Overlong forms, surrogates and code points over
 * U+10FFFF are not valid (RFC 3629). The tests stop at the first byte
 * that fails, so a NUL ends them inside the string. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80
			   ? 4
			   : 0;
	}
	return 0;
}

/* A copy of s cut to max bytes and made valid UTF-8; NULL stays NULL. */
static char *store_text(const char *s, size_t max)
{
	unsigned char *p;
	char *t;
	size_t len;

	if (s == NULL)
		return NULL;
	t = xstrndup(s, max);
	for (p = (unsigned char *)t; *p != '\0'; p += len)
		if ((len = utf8_len(p)) == 0) {
			*p = '?';
			len = 1;
		}
	return t;
}

static char *field(const char *s)
{
	return store_text(s, REPORT_MAX_FIELD);
}

static char *dup_cut(const char *s)
{
	return s != NULL ? xstrndup(s, REPORT_MAX_FIELD) : NULL;
}

static char *flag(bool b)
{
	return xstrdup(b ? "1" : "0");
}

static char *letter(char c)
{
	char s[2] = {c, '\0'};

	return store_text(s, 1);
}

long store_atol(const char *s)
{
	return s != NULL ? strtol(s, NULL, 10) : 0;
}

static bool col_bool(const char *s)
{
	/* SQLite gives "1", PostgreSQL's boolean "t" */
	return s != NULL && (*s == '1' || *s == 't');
}

/* ---- a batch ---- */

/* The lists in record.h's text form, of their fields cut to
 * REPORT_MAX_FIELD like every other field (before escaping, which
 * makes them longer). */
static void reasons_text(struct strbuf *sb, const struct report_row *row)
{
	struct report_reason v[REPORT_MAX_REASONS];
	size_t i, n = row->n_reasons < REPORT_MAX_REASONS ? row->n_reasons : REPORT_MAX_REASONS;

	for (i = 0; i < n; i++) {
		v[i].type = row->reasons[i].type;
		v[i].comment = dup_cut(row->reasons[i].comment);
	}
	report_reasons_encode(sb, v, n);
	for (i = 0; i < n; i++)
		free(v[i].comment);
}

static void dkim_text(struct strbuf *sb, const struct report_row *row)
{
	size_t i, n = row->n_dkim < REPORT_MAX_DKIM ? row->n_dkim : REPORT_MAX_DKIM;
	struct report_dkim *v = n ? xcalloc(n, sizeof(*v)) : NULL;

	for (i = 0; i < n; i++) {
		v[i].domain = dup_cut(row->dkim[i].domain);
		v[i].selector = dup_cut(row->dkim[i].selector);
		v[i].result = dup_cut(row->dkim[i].result);
	}
	report_dkim_encode(sb, v, n);
	for (i = 0; i < n; i++) {
		free(v[i].domain);
		free(v[i].selector);
		free(v[i].result);
	}
	free(v);
}

static void item_fill(struct store_item *it, const struct report_record *rec, long count)
{
	const struct report_policy *p = &rec->policy;
	const struct report_row *row = &rec->row;
	struct strbuf sb = STRBUF_INIT;

	it->day = rec->day;
	it->count = count;
	report_policy_hash(p, it->phash);
	report_row_hash(row, it->rhash);
	it->pol[SP_DOMAIN] = field(p->domain);
	it->pol[SP_P] = field(p->p);
	it->pol[SP_SP] = field(p->sp);
	it->pol[SP_NP] = field(p->np);
	it->pol[SP_ADKIM] = letter(p->adkim);
	it->pol[SP_ASPF] = letter(p->aspf);
	it->pol[SP_FO] = field(p->fo);
	it->pol[SP_TESTING] = flag(p->testing);
	it->pol[SP_DISCOVERY] = field(p->discovery);
	it->pol[SP_RUA] = store_text(p->rua, REPORT_MAX_RUA);
	it->row[SR_SOURCE_IP] = field(row->source_ip);
	it->row[SR_DISPOSITION] = xstrdup(report_disposition_name(row->disposition));
	it->row[SR_DKIM_PASS] = flag(row->dkim_pass);
	it->row[SR_SPF_PASS] = flag(row->spf_pass);
	reasons_text(&sb, row);
	it->row[SR_REASONS] = store_text(strbuf_str(&sb), SIZE_MAX);
	strbuf_reset(&sb);
	dkim_text(&sb, row);
	it->row[SR_DKIM] = store_text(strbuf_str(&sb), SIZE_MAX);
	strbuf_free(&sb);
	it->row[SR_HEADER_FROM] = field(row->header_from);
	it->row[SR_ENVELOPE_FROM] = field(row->envelope_from);
	it->row[SR_SPF_DOMAIN] = field(row->spf_domain);
	it->row[SR_SPF_RESULT] = field(row->spf_result);
}

static void item_clear(struct store_item *it)
{
	size_t i;

	for (i = 0; i < SP_N; i++)
		free(it->pol[i]);
	for (i = 0; i < SR_N; i++)
		free(it->row[i]);
	memset(it, 0, sizeof(*it));
}

static int policy_cmp(const struct store_item *a, const struct store_item *b)
{
	int c;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if ((c = strcmp(a->pol[SP_DOMAIN], b->pol[SP_DOMAIN])) != 0)
		return c;
	return memcmp(a->phash, b->phash, REPORT_HASH_LEN);
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct store_item *a = pa, *b = pb;
	int c = policy_cmp(a, b);

	return c != 0 ? c : memcmp(a->rhash, b->rhash, REPORT_HASH_LEN);
}

/* Sorts v and merges items with the same key (adding their counts);
 * the number of items left, or 0 with err when a sum overflows. */
static size_t items_merge(struct store_item *v, size_t n, struct am_err *err)
{
	size_t i, m = 0;

	qsort(v, n, sizeof(*v), item_cmp);
	for (i = 0; i < n; i++) {
		if (m > 0 && item_cmp(&v[m - 1], &v[i]) == 0) {
			if (__builtin_add_overflow(v[m - 1].count, v[i].count, &v[m - 1].count)) {
				am_err_set(err, "store: add: count overflows");
				return 0;
			}
			item_clear(&v[i]);
			continue;
		}
		if (m != i) {
			v[m] = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
		v[m].first_of_policy = m == 0 || policy_cmp(&v[m - 1], &v[m]) != 0;
		m++;
	}
	return m;
}

static int batch_check(const struct report_record *const *recs, const long *counts, size_t n,
		       struct am_err *err)
{
	size_t i;

	if (recs == NULL || counts == NULL) {
		am_err_set(err, "store: add: no records");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (recs[i] == NULL || recs[i]->policy.domain == NULL ||
		    *recs[i]->policy.domain == '\0') {
			am_err_set(err, "store: add: record %zu has no policy domain", i);
			return -1;
		}
		if (counts[i] < 1 || recs[i]->day < 0) {
			am_err_set(err, "store: add: record %zu: count %ld or day %ld out of range",
				   i, counts[i], recs[i]->day);
			return -1;
		}
	}
	return 0;
}

int store_add(struct store *st, const struct report_record *const *recs, const long *counts,
	      size_t n, struct am_err *err)
{
	struct store_item *v;
	size_t i, m;
	int rc = -1;

	if (n == 0)
		return 0;
	if (batch_check(recs, counts, n, err) != 0)
		return -1;
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		item_fill(&v[i], recs[i], counts[i]);
	m = items_merge(v, n, err);
	if (m > 0)
		rc = st->ops->add(st, v, m, err);
	for (i = 0; i < n; i++)
		item_clear(&v[i]);
	free(v);
	return rc;
}

/* ---- reports ---- */

static char *col_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void store_report_push(struct store_report **v, size_t *n, size_t *cap, long day,
		       const unsigned char phash[REPORT_HASH_LEN], const char *const pol[SP_N],
		       long n_rows, long messages, const char *report_id, long range_begin,
		       long range_end)
{
	struct store_report *r;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->day = day;
	r->domain = xstrdup(pol[SP_DOMAIN] != NULL ? pol[SP_DOMAIN] : "");
	memcpy(r->phash, phash, REPORT_HASH_LEN);
	r->policy.domain = xstrdup(r->domain);
	r->policy.p = col_dup(pol[SP_P]);
	r->policy.sp = col_dup(pol[SP_SP]);
	r->policy.np = col_dup(pol[SP_NP]);
	r->policy.adkim = pol[SP_ADKIM] != NULL ? pol[SP_ADKIM][0] : '\0';
	r->policy.aspf = pol[SP_ASPF] != NULL ? pol[SP_ASPF][0] : '\0';
	r->policy.fo = col_dup(pol[SP_FO]);
	r->policy.testing = col_bool(pol[SP_TESTING]);
	r->policy.discovery = col_dup(pol[SP_DISCOVERY]);
	r->policy.rua = col_dup(pol[SP_RUA]);
	r->n_rows = n_rows;
	r->messages = messages;
	r->report_id = col_dup(report_id);
	r->range_begin = report_id != NULL ? range_begin : 0;
	r->range_end = report_id != NULL ? range_end : 0;
}

void store_reports_free(struct store_report *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].domain);
		report_policy_clear(&v[i].policy);
		free(v[i].report_id);
	}
	free(v);
}

int store_pending(struct store *st, long from_day, long to_day, struct store_report **out,
		  size_t *n, struct am_err *err)
{
	*out = NULL;
	*n = 0;
	return st->ops->pending(st, from_day, to_day, out, n, err);
}

static int report_check(const struct store_report *r, const char *what, struct am_err *err)
{
	if (r == NULL || r->domain == NULL) {
		am_err_set(err, "store: %s: no report", what);
		return -1;
	}
	return 0;
}

int store_report_begin(struct store *st, struct store_report *r, struct am_err *err)
{
	char *id;
	int rc;

	if (report_check(r, "report_begin", err) != 0)
		return -1;
	if (r->report_id == NULL || *r->report_id == '\0') {
		am_err_set(err, "store: report_begin: no report_id");
		return -1;
	}
	id = field(r->report_id);
	rc = st->ops->begin(st, r, id, time(NULL), err);
	free(id);
	return rc;
}

int store_report_finish(struct store *st, const struct store_report *r, bool dropped, time_t now,
			struct am_err *err)
{
	char *id;
	int rc;

	if (report_check(r, "report_finish", err) != 0)
		return -1;
	id = field(r->report_id);
	rc = st->ops->finish(st, r, id, dropped ? "dropped" : "done", now, err);
	free(id);
	return rc;
}

/* ---- rows ---- */

static void row_text(char **dst, const char *s)
{
	*dst = col_dup(s);
}

/* 0 and row filled, or -1 (row left empty) when col[] does not decode. */
static int row_decode(struct report_row *row, const char *const col[SR_N])
{
	int disp = report_disposition_parse(col[SR_DISPOSITION]);

	memset(row, 0, sizeof(*row));
	if (disp < 0)
		return -1;
	if (report_reasons_decode(col[SR_REASONS] != NULL ? col[SR_REASONS] : "", row->reasons,
				  &row->n_reasons) != 0)
		return -1;
	if (report_dkim_decode(col[SR_DKIM] != NULL ? col[SR_DKIM] : "", &row->dkim,
			       &row->n_dkim) != 0) {
		report_row_clear(row);
		return -1;
	}
	row->disposition = (enum report_disposition)disp;
	row->dkim_pass = col_bool(col[SR_DKIM_PASS]);
	row->spf_pass = col_bool(col[SR_SPF_PASS]);
	row_text(&row->source_ip, col[SR_SOURCE_IP]);
	row_text(&row->header_from, col[SR_HEADER_FROM]);
	row_text(&row->envelope_from, col[SR_ENVELOPE_FROM]);
	row_text(&row->spf_domain, col[SR_SPF_DOMAIN]);
	row_text(&row->spf_result, col[SR_SPF_RESULT]);
	return 0;
}

int store_walk_row(struct store_walk *w, const char *const col[SR_N], long count)
{
	struct report_row row;
	int rc;

	if (row_decode(&row, col) != 0) {
		w->bad++;
		return 0;
	}
	rc = w->fn(w->arg, &row, count);
	report_row_clear(&row);
	return rc;
}

int store_rows(struct store *st, const struct store_report *r,
	       int (*fn)(void *arg, const struct report_row *row, long count), void *arg, long *bad,
	       struct am_err *err)
{
	struct store_walk w = {fn, arg, 0};
	int rc;

	if (report_check(r, "rows", err) != 0)
		return -1;
	rc = st->ops->rows(st, r, &w, err);
	if (bad != NULL)
		*bad = w.bad;
	return rc;
}

/* ---- deliveries ---- */

static const char *const dstate_names[] = {
    [STORE_D_NEW] = "new",
    [STORE_D_SENT] = "sent",
    [STORE_D_FAILED] = "failed",
    [STORE_D_DROPPED] = "dropped",
};

int store_delivery_fill(struct store_delivery *d, const char *state, long attempts, long first,
			long last, const char *error, struct am_err *err)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	for (i = STORE_D_SENT; i <= STORE_D_DROPPED; i++)
		if (state != NULL && strcmp(state, dstate_names[i]) == 0)
			break;
	if (i > STORE_D_DROPPED) {
		am_err_set(err, "store: deliveries: unknown state \"%.20s\"",
			   state != NULL ? state : "(null)");
		return -1;
	}
	d->state = (enum store_dstate)i;
	d->attempts = attempts > INT32_MAX ? INT32_MAX : (int)attempts;
	d->first_try = (time_t)first;
	d->last_try = (time_t)last;
	if (error != NULL)
		snprintf(d->error, sizeof(d->error), "%s", error);
	return 0;
}

/* The uri as the table keeps it. */
static char *uri_text(const char *uri)
{
	return store_text(uri, REPORT_MAX_RUA);
}

int store_delivery_get(struct store *st, const struct store_report *r, const char *uri,
		       struct store_delivery *d, struct am_err *err)
{
	char *u;
	int rc;

	if (report_check(r, "delivery_get", err) != 0)
		return -1;
	if (uri == NULL) {
		am_err_set(err, "store: delivery_get: no uri");
		return -1;
	}
	u = uri_text(uri);
	memset(d, 0, sizeof(*d));
	rc = st->ops->dget(st, r, u, d, err);
	free(u);
	return rc;
}

int store_delivery_set(struct store *st, const struct store_report *r, const char *uri,
		       enum store_dstate state, const char *error, time_t now, struct am_err *err)
{
	struct store_delivery d;
	char *u, *e;
	int rc;

	if (report_check(r, "delivery_set", err) != 0)
		return -1;
	if (uri == NULL || state <= STORE_D_NEW || state > STORE_D_DROPPED) {
		am_err_set(err, "store: delivery_set: no uri, or state %d is not an outcome",
			   (int)state);
		return -1;
	}
	u = uri_text(uri);
	e = store_text(error, sizeof(d.error) - 1); /* what store_delivery_get can return */
	rc = st->ops->dset(st, r, u, dstate_names[state], e, now, err);
	free(u);
	free(e);
	return rc;
}

/* ---- the rest ---- */

long store_expire(struct store *st, long before_day, struct am_err *err)
{
	return st->ops->expire(st, before_day, err);
}

int store_stats(struct store *st, struct store_stats *s, struct am_err *err)
{
	memset(s, 0, sizeof(*s));
	s->first_day = s->last_day = -1;
	return st->ops->stats(st, s, err);
}

int store_lock(struct store *st, struct am_err *err)
{
	return st->ops->lock(st, err);
}
