/*
 * store_checks_text - the "strings" scenario: text from mail and DNS in
 * every field, read back as it went in
 *
 * DESCRIPTION
 *	Tabs, newlines, '%', quotes and SQL that would drop a table were it
 *	ever pasted into a statement, in every string of a record (its
 *	policy domain too): each record must come back with the hashes of
 *	what was written, so every field equal, and the tables must all
 *	still be there. Invalid UTF-8 comes back with '?' for each bad byte,
 *	the same in both back ends; fields at record.h's bounds come back
 *	whole, and longer ones cut to them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_driver.h"
#include "util/xalloc.h"

static const struct {
	const char *label, *s;
} nasty[] = {
    {"tab, newline, CRLF, %, quotes, backslash",
     "tab\there\nnew line\r\n%25 %zz % \"double\" 'single' \\back"},
    {"x'); DROP TABLE rows; --", "x'); DROP TABLE rows; --"},
    {"'; DELETE FROM policies WHERE '1'='1'; --", "'; DELETE FROM policies WHERE '1'='1'; --"},
    {"\"; DROP TABLE reports; SELECT \"", "\"; DROP TABLE reports; SELECT \""},
    {"UTF-8 of 2, 3 and 4 bytes", "unicode: \xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"},
    {"control bytes and DEL", "\x01\x02\x1f\x7f control"},
    {"parameter markers $1 ?1 :a @b, dollar quotes", "$1 ?1 :a @b $$ $q$ \\x00"},
};
#define N_NASTY (sizeof(nasty) / sizeof(nasty[0]))

/* Whether what the store holds for the record written as `in` is `want`
 * (in itself, or what the store makes of it): report found by in's
 * policy hash, policy and row equal to want's, count as given. */
static bool same(struct store *st, const struct report_record *in, const struct report_record *want,
		 long count)
{
	unsigned char ph[REPORT_HASH_LEN], got_ph[REPORT_HASH_LEN], rh[REPORT_HASH_LEN];
	struct store_report *v, *r;
	struct seen s = {0};
	struct am_err err = {""};
	size_t n;
	bool ok = false;

	if (store_pending(st, 0, 1000000, &v, &n, &err) != 0) {
		diag("store_pending: %s", err.msg);
		return false;
	}
	report_policy_hash(&in->policy, ph);
	for (r = v; r < v + n; r++)
		if (r->day == in->day && memcmp(r->phash, ph, REPORT_HASH_LEN) == 0)
			break;
	if (r == v + n) {
		diag("  no report with the record's policy hash");
		goto out;
	}
	report_policy_hash(&r->policy, got_ph);
	report_policy_hash(&want->policy, ph);
	if (memcmp(got_ph, ph, REPORT_HASH_LEN) != 0 || strcmp(r->domain, want->policy.domain)) {
		diag("  policy differs: domain \"%s\" p \"%s\" rua \"%.40s\"", r->policy.domain,
		     r->policy.p, r->policy.rua);
		goto out;
	}
	if (seen_rows(st, r, &s) != 0 || s.n != 1 || s.bad != 0) {
		diag("  %zu rows, %ld bad", s.n, s.bad);
		goto out;
	}
	report_row_hash(&want->row, rh);
	if (memcmp(s.v[0].rhash, rh, REPORT_HASH_LEN) != 0 || s.v[0].count != count) {
		diag("  row differs: source_ip \"%s\" dkim %zu reasons %zu count %ld",
		     s.v[0].row.source_ip, s.v[0].row.n_dkim, s.v[0].row.n_reasons, s.v[0].count);
		goto out;
	}
	ok = true;
out:
	seen_free(&s);
	store_reports_free(v, n);
	return ok;
}

static void add(struct store *st, const struct report_record *r, long count)
{
	const struct report_record *v[1] = {r};
	struct am_err err = {""};

	if (store_add(st, v, &count, 1, &err) != 0)
		diag("store_add: %s", err.msg);
}

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A record at every bound: fields of REPORT_MAX_FIELD bytes that the
 * text form escapes (tabs), rua of REPORT_MAX_RUA, REPORT_MAX_DKIM
 * results and REPORT_MAX_REASONS reasons. */
static void rec_big(struct report_record *r, size_t field)
{
	size_t i;

	rec_fill(r, 12, "big.example");
	free(r->policy.rua);
	r->policy.rua = repeat('r', REPORT_MAX_RUA);
	free(r->row.source_ip);
	r->row.source_ip = repeat('1', field);
	for (i = 0; i < r->row.n_dkim; i++) {
		free(r->row.dkim[i].domain);
		free(r->row.dkim[i].selector);
		free(r->row.dkim[i].result);
	}
	r->row.dkim = xrealloc(r->row.dkim, REPORT_MAX_DKIM * sizeof(*r->row.dkim));
	r->row.n_dkim = REPORT_MAX_DKIM;
	for (i = 0; i < REPORT_MAX_DKIM; i++) {
		r->row.dkim[i].domain = repeat('\t', field);
		r->row.dkim[i].selector = repeat('%', field);
		r->row.dkim[i].result = repeat('d', field);
	}
	for (i = 0; i < REPORT_MAX_REASONS; i++) {
		free(r->row.reasons[i].comment);
		r->row.reasons[i].type = REPORT_REASON_MAILING_LIST;
		r->row.reasons[i].comment = repeat('\n', field);
	}
	r->row.n_reasons = REPORT_MAX_REASONS;
}

void check_strings(const char *spec);

void check_strings(const char *spec)
{
	struct store *st = open_or_die(spec);
	struct report_record r[N_NASTY], bad, bad_want, big, cut, cut_want;
	struct store_stats s;
	struct am_err err = {""};
	char out[512];
	size_t i;

	for (i = 0; i < N_NASTY; i++) {
		rec_fill(&r[i], 10, nasty[i].s);
		add(st, &r[i], (long)i + 1);
	}
	for (i = 0; i < N_NASTY; i++)
		tap(same(st, &r[i], &r[i], (long)i + 1),
		    "every string field stored and read back verbatim: %s", nasty[i].label);
	tap(store_stats(st, &s, &err) == 0 && s.rows == (long)N_NASTY, "stats: one row per record");
	tap(raw_sql(spec, "SELECT count(*) FROM policies", out, sizeof(out)) == 0 &&
		atol(out) == (long)N_NASTY &&
		raw_sql(spec, "SELECT count(*) FROM reports", out, sizeof(out)) == 0,
	    "the tables are all still there");
	rec_fill(&bad, 11, "bad\xff\xfe utf8 \xc3 \xed\xa0\x80 \xf4\x90\x80\x80 end\xe2\x82");
	rec_fill(&bad_want, 11, "bad?? utf8 ? ??? ???? end??");
	add(st, &bad, 2);
	tap(same(st, &bad, &bad_want, 2), "invalid UTF-8: each bad byte read back as '?'");
	rec_big(&big, REPORT_MAX_FIELD);
	add(st, &big, 3);
	tap(same(st, &big, &big, 3), "fields at record.h's bounds read back whole");
	rec_big(&cut, REPORT_MAX_FIELD + 40);
	cut.day = 13;
	rec_big(&cut_want, REPORT_MAX_FIELD);
	cut_want.day = 13;
	add(st, &cut, 4);
	tap(same(st, &cut, &cut_want, 4), "longer fields are cut to REPORT_MAX_FIELD");
	for (i = 0; i < N_NASTY; i++)
		report_record_clear(&r[i]);
	report_record_clear(&bad);
	report_record_clear(&bad_want);
	report_record_clear(&big);
	report_record_clear(&cut);
	report_record_clear(&cut_want);
	store_close(st);
}
