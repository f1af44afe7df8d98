/*
 * report_run - one run of authmilter-report (see report_run.h)
 *
 * DESCRIPTION
 *	A report's destinations are decided first (rua, external checks,
 *	retries), the document is made only when one of them is to get it,
 *	and every delivery outcome is committed to the store before the next
 *	one starts: a run killed at any point leaves each destination either
 *	sent (never sent again) or not (sent again, with the same Report-ID
 *	and file name, so the receiver can tell it is the same report).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "report/deliver.h"
#include "report/external.h"
#include "report/feedback.h"
#include "report/mail.h"
#include "report/rua.h"
#include "tools/report_run.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ERROR_MAX 1000 /* bytes of the report's <error> */

/* One report being made: its destinations and, once made, its file. */
struct job {
	struct store_report *rep;
	char day[16]; /* YYYY-MM-DD, for logs */
	struct rua_uri *dest;
	size_t n_dest;
	bool left_open;	      /* a destination is to be tried again */
	bool any_sent;	      /* a destination got it, in this run or before */
	struct strbuf errors; /* problems with the policy record: <error> */
	char *filename;
	unsigned char *gz;
	size_t gz_len;
};

const char *report_receiver(const struct config *cfg)
{
	const char *at = strrchr(cfg->report_email, '@');

	if (cfg->report_domain[0] != '\0')
		return cfg->report_domain;
	return at != NULL ? at + 1 : cfg->authserv_id;
}

static void day_text(long day, char *buf, size_t len)
{
	time_t t = report_day_start(day);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static void job_error(struct job *j, const char *text)
{
	if (j->errors.len >= ERROR_MAX)
		return;
	if (j->errors.len > 0)
		strbuf_adds(&j->errors, "; ");
	strbuf_add(&j->errors, text, strnlen(text, ERROR_MAX - j->errors.len));
}

static void job_add_dest(struct job *j, const struct rua_uri *u)
{
	size_t i;

	for (i = 0; i < j->n_dest; i++)
		if (strcmp(j->dest[i].addr, u->addr) == 0)
			return;
	j->dest = xrealloc(j->dest, (j->n_dest + 1) * sizeof(*j->dest));
	j->dest[j->n_dest].uri = xstrdup(u->uri);
	j->dest[j->n_dest].addr = xstrdup(u->addr);
	j->dest[j->n_dest].host = xstrdup(u->host);
	j->n_dest++;
}

static void job_clear(struct job *j)
{
	size_t i;

	for (i = 0; i < j->n_dest; i++) {
		free(j->dest[i].uri);
		free(j->dest[i].addr);
		free(j->dest[i].host);
	}
	free(j->dest);
	strbuf_free(&j->errors);
	free(j->filename);
	free(j->gz);
}

/* Records a destination's outcome (not in a dry run). -1: store error. */
static int job_mark(struct report_run *rr, struct job *j, const char *key, enum store_dstate state,
		    const char *error, struct am_err *err)
{
	if (rr->dry_run != NULL)
		return 0;
	if (state == STORE_D_FAILED)
		j->left_open = true;
	if (state == STORE_D_SENT)
		j->any_sent = true;
	return store_delivery_set(rr->st, j->rep, key, state, error, rr->now, err);
}

/* Whether destination key still needs sending; gives up on one whose
 * failures go back further than retry_days. -1: store error. */
static int job_due(struct report_run *rr, struct job *j, const char *key, struct am_err *err)
{
	struct store_delivery d;
	time_t window = (time_t)rr->cfg->report_retry_days * 86400;

	if (rr->dry_run != NULL)
		return 1;
	if (store_delivery_get(rr->st, j->rep, key, &d, err) != 0)
		return -1;
	if (d.state == STORE_D_SENT)
		j->any_sent = true;
	if (d.state == STORE_D_SENT || d.state == STORE_D_DROPPED)
		return 0;
	if (d.state == STORE_D_FAILED && rr->now - d.first_try >= window) {
		log_msg(
		    LOG_WARNING,
		    "report domain=%s day=%s to=%s given_up=retries attempts=%d last_error=\"%s\"",
		    j->rep->domain, j->day, key, d.attempts, d.error);
		rr->given_up++;
		return store_delivery_set(rr->st, j->rep, key, STORE_D_DROPPED, d.error, rr->now,
					  err) == 0
			   ? 0
			   : -1;
	}
	return 1;
}

/* Step 3 for one URI of the rua: due, and allowed to get the report. */
static int job_consider(struct report_run *rr, struct job *j, const struct rua_uri *u,
			struct am_err *err)
{
	struct external_verdict ev;
	int due = job_due(rr, j, u->uri, err), rc = 0;
	size_t i;

	if (due <= 0)
		return due;
	if (!external_needed(rr->psl, j->rep->domain, u->host)) {
		job_add_dest(j, u);
		return 0;
	}
	external_check(rr->r, rr->psl, j->rep->domain, u, &ev);
	switch (ev.result) {
	case EXTERNAL_SAME_ORG:
	case EXTERNAL_AUTHORIZED:
		if (ev.override.n == 0)
			job_add_dest(j, u);
		for (i = 0; i < ev.override.n; i++)
			job_add_dest(j, &ev.override.v[i]);
		break;
	case EXTERNAL_REFUSED:
		log_msg(LOG_NOTICE, "report domain=%s day=%s to=%s refused=external why=\"%s\"",
			j->rep->domain, j->day, u->uri, ev.why);
		rr->given_up++;
		rc = job_mark(rr, j, u->uri, STORE_D_DROPPED, ev.why, err);
		break;
	case EXTERNAL_TEMPERROR:
		log_msg(LOG_NOTICE, "report domain=%s day=%s to=%s deferred=dns why=\"%s\"",
			j->rep->domain, j->day, u->uri, ev.why);
		rr->deferred++;
		rc = job_mark(rr, j, u->uri, STORE_D_FAILED, ev.why, err);
		break;
	}
	external_verdict_clear(&ev);
	return rc;
}

/* Steps 2 and 3: the destinations of the report. -1: store error. */
static int job_destinations(struct report_run *rr, struct job *j, struct am_err *err)
{
	struct rua_list l;
	size_t i;
	int rc = 0;

	rua_parse(j->rep->policy.rua, rr->cfg->report_max_uris, &l);
	for (i = 0; i < l.n_refused; i++) {
		log_msg(LOG_NOTICE, "report domain=%s day=%s rua_refused=\"%s\"", j->rep->domain,
			j->day, l.refused[i]);
		job_error(j, l.refused[i]);
	}
	for (i = 0; i < l.n && rc == 0; i++)
		rc = job_consider(rr, j, &l.v[i], err);
	rua_list_clear(&l);
	return rc;
}

static int job_row(void *arg, const struct report_row *row, long count)
{
	feedback_record(arg, row, count);
	return 0;
}

/* Step 4, the document: XML, then gzip. -1 with err. */
static int job_make(struct report_run *rr, struct job *j, struct am_err *err)
{
	const struct config *cfg = rr->cfg;
	struct strbuf doc = STRBUF_INIT;
	struct feedback_meta m;
	long bad = 0;
	char *inner;
	int rc;

	/* A new Report-ID, unless the store has one for this report from an
	 * earlier try: store_report_begin() keeps the first. */
	if (j->rep->report_id == NULL)
		j->rep->report_id = report_id_new(j->rep->day);
	if (rr->dry_run == NULL && store_report_begin(rr->st, j->rep, err) != 0)
		return -1;
	memset(&m, 0, sizeof(m));
	m.org_name = cfg->report_org_name;
	m.email = cfg->report_email;
	m.extra_contact = cfg->report_contact[0] != '\0' ? cfg->report_contact : NULL;
	m.report_id = j->rep->report_id;
	m.begin = j->rep->range_begin;
	m.end = j->rep->range_end;
	m.error = j->errors.len > 0 ? strbuf_str(&j->errors) : NULL;
	m.generator = PACKAGE_NAME " " PACKAGE_VERSION;
	feedback_begin(&doc, &m, &j->rep->policy);
	rc = store_rows(rr->st, j->rep, job_row, &doc, &bad, err);
	feedback_end(&doc);
	if (bad > 0)
		log_msg(LOG_WARNING, "report domain=%s day=%s rows_unreadable=%ld", j->rep->domain,
			j->day, bad);
	j->filename =
	    report_filename(report_receiver(cfg), j->rep->domain, m.begin, m.end, m.report_id);
	inner = xstrndup(j->filename, strlen(j->filename) - 3); /* without ".gz" */
	if (rc == 0)
		rc = report_gzip(doc.s, doc.len, inner, rr->now, &j->gz, &j->gz_len, err);
	free(inner);
	strbuf_free(&doc);
	return rc == 0 ? 0 : -1;
}

/* Writes len bytes to DIR/name, replacing it. */
static int write_file(const char *dir, const char *name, const void *p, size_t len,
		      struct am_err *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	int rc = -1;

	if (fp == NULL)
		am_err_set(err, "%s: %s", path, strerror(errno));
	else if (fwrite(p, 1, len, fp) != len || fclose(fp) != 0)
		am_err_set(err, "%s: cannot write", path);
	else
		rc = 0;
	if (fp != NULL && rc != 0)
		fclose(fp);
	free(path);
	return rc;
}

/* Step 4, one delivery. -1: store error (err). */
static int job_send(struct report_run *rr, struct job *j, const struct rua_uri *d,
		    struct am_err *err)
{
	const struct config *cfg = rr->cfg;
	struct report_mail m = {cfg->report_email,
				d->addr,
				report_receiver(cfg),
				j->rep->domain,
				j->rep->report_id,
				j->filename,
				j->rep->range_begin,
				j->rep->range_end,
				rr->now,
				j->gz,
				j->gz_len};
	struct am_err why = {""};
	enum deliver_status ds;
	size_t len;
	char *msg = report_message(&m, &len), *name;

	if (rr->dry_run != NULL) {
		name =
		    xasprintf("%.*s!%s.eml", (int)(strlen(j->filename) - 7), j->filename, d->addr);
		ds = write_file(rr->dry_run, name, msg, len, &why) == 0 ? DELIVER_OK
									: DELIVER_PERMFAIL;
		free(name);
	} else if (cfg->report_smtp[0] != '\0') {
		ds = deliver_smtp(cfg->report_smtp, report_receiver(cfg), cfg->report_email,
				  d->addr, msg, len, cfg->report_send_timeout, &why);
	} else {
		ds = deliver_sendmail(cfg->report_sendmail, msg, len, cfg->report_send_timeout,
				      &why);
	}
	free(msg);
	if (ds == DELIVER_OK) {
		log_msg(LOG_INFO, "report domain=%s day=%s to=%s report_id=%s bytes=%zu %s",
			j->rep->domain, j->day, d->addr, j->rep->report_id, j->gz_len,
			rr->dry_run != NULL ? "written=dry_run" : "sent=ok");
		rr->sent++;
		return job_mark(rr, j, d->uri, STORE_D_SENT, NULL, err);
	}
	log_msg(LOG_WARNING, "report domain=%s day=%s to=%s report_id=%s %s error=\"%s\"",
		j->rep->domain, j->day, d->addr, j->rep->report_id,
		ds == DELIVER_TEMPFAIL ? "sent=failed retry=yes" : "sent=failed retry=no", why.msg);
	if (ds == DELIVER_TEMPFAIL)
		rr->failed++;
	else
		rr->given_up++;
	return job_mark(rr, j, d->uri, ds == DELIVER_TEMPFAIL ? STORE_D_FAILED : STORE_D_DROPPED,
			why.msg, err);
}

/* One report, steps 1 to 5; -1 on a store error. */
static int run_one(struct report_run *rr, struct store_report *rep, struct am_err *err)
{
	struct job j;
	size_t i;
	int rc = 0;

	memset(&j, 0, sizeof(j));
	j.rep = rep;
	day_text(rep->day, j.day, sizeof(j.day));
	rep->range_begin = (long)report_day_start(rep->day);
	rep->range_end = rep->range_begin + 86399;
	if (rep->range_end > (long)rr->now)
		rep->range_end = (long)rr->now;
	if (domainlist_match(&rr->cfg->report_exclude, rep->domain)) {
		log_msg(LOG_INFO, "report domain=%s day=%s skipped=excluded", rep->domain, j.day);
		rr->given_up++;
	} else {
		rc = job_destinations(rr, &j, err);
		if (rc == 0 && j.n_dest > 0) {
			rc = job_make(rr, &j, err);
			rr->reports += rc == 0;
			if (rc == 0 && rr->dry_run != NULL)
				rc = write_file(rr->dry_run, j.filename, j.gz, j.gz_len, err);
		}
		for (i = 0; rc == 0 && i < j.n_dest; i++)
			rc = job_send(rr, &j, &j.dest[i], err);
	}
	if (rc == 0 && !j.left_open && rr->dry_run == NULL)
		rc = store_report_finish(rr->st, rep, !j.any_sent, rr->now, err);
	job_clear(&j);
	return rc;
}

int report_run(struct report_run *rr, struct am_err *err)
{
	struct store_report *reps = NULL;
	size_t n = 0, i;
	long keep_from = report_day(rr->now) - (long)rr->cfg->report_keep_days;
	int rc;

	if (store_pending(rr->st, rr->from_day, rr->to_day, &reps, &n, err) != 0)
		return -1;
	for (i = 0, rc = 0; i < n && rc == 0; i++) {
		if (rr->reports >= rr->cfg->report_max_reports) {
			rr->left = (unsigned)(n - i);
			log_msg(LOG_NOTICE, "run max_reports_per_run=%u reached left=%u",
				rr->cfg->report_max_reports, rr->left);
			break;
		}
		rc = run_one(rr, &reps[i], err);
	}
	store_reports_free(reps, n);
	if (rc == 0 && rr->dry_run == NULL) {
		rr->expired = store_expire(rr->st, keep_from, err);
		rc = rr->expired < 0 ? -1 : 0;
	}
	return rc;
}
