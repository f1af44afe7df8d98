/*
 * feedback_driver - write RFC 9990 report documents and a report message
 * for tests/integration/feedback_schema.sh
 *
 * SYNOPSIS
 *	feedback_driver doc plain|minimal|many
 *	feedback_driver doc hostile VALUE
 *	feedback_driver mail XMLFILE EMLFILE
 *
 * DESCRIPTION
 *	doc writes one document to standard output: plain, a typical
 *	report; minimal, every optional element left out; many, 150 DKIM
 *	results (100 are written) of every result, reasons of every type,
 *	every disposition and SPF result, an IPv6 source, an empty
 *	envelope_from; hostile, VALUE in every string field that comes from
 *	mail or DNS (and in the metadata, which comes from configuration).
 *	mail writes the plain document to XMLFILE and the message carrying
 *	it (gzip, base64) to EMLFILE.
 *
 * EXIT STATUS
 *	0, or 1 with a message on standard error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/feedback.h"
#include "report/mail.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MANY_DKIM (REPORT_MAX_DKIM + 50)

static const char *const dkim_results[] = {"none",    "pass",	   "fail",     "policy",
					   "neutral", "temperror", "permerror"};
static const char *const spf_results[] = {"none",   "pass",    "fail",	    "softfail",
					  "policy", "neutral", "temperror", "permerror"};

static struct feedback_meta meta = {
    .org_name = "Example Receiver",
    .email = "dmarc-reports@mx.example.org",
    .extra_contact = "https://mx.example.org/dmarc",
    .report_id = "20240327a1b2c3d4e5f60718",
    .begin = 1711497600,
    .end = 1711583999,
    .generator = "authmilter test",
};

static struct report_policy policy = {
    .domain = "example.com",
    .p = "quarantine",
    .sp = "reject",
    .np = "reject",
    .adkim = 'r',
    .aspf = 's',
    .fo = "0",
    .testing = false,
    .discovery = "treewalk",
};

static struct report_dkim one_dkim = {"example.com", "sel", "pass"};

static struct report_row plain_row(void)
{
	struct report_row r = {
	    .source_ip = "192.0.2.1",
	    .disposition = REPORT_DISP_PASS,
	    .dkim_pass = true,
	    .header_from = "example.com",
	    .envelope_from = "bounce.example.com",
	    .dkim = &one_dkim,
	    .n_dkim = 1,
	    .spf_domain = "bounce.example.com",
	    .spf_result = "pass",
	};
	return r;
}

static void doc_plain(struct strbuf *doc)
{
	struct report_row r = plain_row();

	feedback_begin(doc, &meta, &policy);
	feedback_record(doc, &r, 12);
	feedback_end(doc);
}

static void doc_minimal(struct strbuf *doc)
{
	struct feedback_meta m = meta;
	struct report_policy p = policy;
	struct report_row r = plain_row();

	m.extra_contact = m.error = m.generator = NULL;
	p.sp = p.np = p.fo = p.discovery = NULL;
	p.adkim = p.aspf = '\0';
	r.envelope_from = NULL;
	r.n_dkim = 0;
	r.spf_result = NULL;
	r.spf_pass = r.dkim_pass = false;
	r.disposition = REPORT_DISP_NONE;
	feedback_begin(doc, &m, &p);
	feedback_record(doc, &r, 1);
	feedback_end(doc);
}

static void doc_many(struct strbuf *doc)
{
	static struct report_dkim d[MANY_DKIM];
	static char names[MANY_DKIM][32];
	struct report_policy p = policy;
	struct report_row r = plain_row();
	size_t i;

	for (i = 0; i < MANY_DKIM; i++) {
		snprintf(names[i], sizeof(names[i]), "d%zu.example", i);
		d[i] = (struct report_dkim){names[i], "s1", (char *)dkim_results[i % 7]};
	}
	p.testing = true;
	p.adkim = 's';
	feedback_begin(doc, &meta, &p);
	/* IPv6, a null reverse-path, the most signatures, four reasons */
	r.source_ip = "2001:db8::25";
	r.envelope_from = "";
	r.spf_domain = "mx.example.com"; /* postmaster@HELO for <> */
	r.dkim = d;
	r.n_dkim = MANY_DKIM;
	r.n_reasons = REPORT_MAX_REASONS;
	for (i = 0; i < REPORT_MAX_REASONS; i++)
		r.reasons[i] = (struct report_reason){(enum report_reason_type)i, "why"};
	r.reasons[1].comment = NULL;
	feedback_record(doc, &r, 1000000);
	/* the fifth reason type, every disposition, every SPF result */
	r = plain_row();
	r.n_reasons = 1;
	r.reasons[0] = (struct report_reason){REPORT_REASON_TRUSTED_FORWARDER, "arc.example"};
	for (i = 0; i < N_OF(spf_results); i++) {
		r.disposition = (enum report_disposition)(i % 4);
		r.spf_result = (char *)spf_results[i];
		r.source_ip = i % 2 ? "::ffff:192.0.2.7" : "198.51.100.7";
		feedback_record(doc, &r, (long)i + 1);
	}
	feedback_end(doc);
}

static void doc_hostile(struct strbuf *doc, char *v)
{
	struct feedback_meta m = {
	    .org_name = v,
	    .email = v,
	    .extra_contact = v,
	    .report_id = v,
	    .begin = meta.begin,
	    .end = meta.end,
	    .error = v,
	    .generator = v,
	};
	struct report_policy p = policy;
	struct report_dkim d[2] = {{v, v, "pass"}, {v, v, "fail"}};
	struct report_row r = plain_row();

	p.domain = p.fo = v;
	r.source_ip = v;
	r.header_from = r.envelope_from = r.spf_domain = v;
	r.dkim = d;
	r.n_dkim = 2;
	r.n_reasons = 2;
	r.reasons[0] = (struct report_reason){REPORT_REASON_LOCAL_POLICY, v};
	r.reasons[1] = (struct report_reason){REPORT_REASON_OTHER, v};
	feedback_begin(doc, &m, &p);
	feedback_record(doc, &r, 2);
	feedback_end(doc);
}

static int write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int do_mail(const char *xml_path, const char *eml_path)
{
	struct strbuf doc = STRBUF_INIT;
	struct am_err err = {{0}};
	unsigned char *gz;
	size_t gz_len, len;
	char *fn, *inner, *msg;
	struct report_mail m = {
	    .from = "dmarc-reports@mx.example.org",
	    .to = "rua@example.com",
	    .receiver = "mx.example.org",
	    .domain = policy.domain,
	    .report_id = meta.report_id,
	    .begin = meta.begin,
	    .end = meta.end,
	    .date = meta.end + 3600,
	};
	int rc = 1;

	doc_plain(&doc);
	fn = report_filename(m.receiver, m.domain, m.begin, m.end, m.report_id);
	inner = xstrdup(fn);
	inner[strlen(inner) - 3] = '\0'; /* the name inside: without ".gz" */
	if (report_gzip(doc.s, doc.len, inner, m.begin, &gz, &gz_len, &err) != 0) {
		fprintf(stderr, "feedback_driver: %s\n", err.msg);
	} else {
		m.filename = fn;
		m.gz = gz;
		m.gz_len = gz_len;
		msg = report_message(&m, &len);
		rc = write_file(xml_path, doc.s, doc.len) | write_file(eml_path, msg, len);
		free(msg);
		free(gz);
	}
	free(inner);
	free(fn);
	strbuf_free(&doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct strbuf doc = STRBUF_INIT;

	if (argc == 4 && strcmp(argv[1], "mail") == 0)
		return do_mail(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "doc") == 0 && strcmp(argv[2], "plain") == 0)
		doc_plain(&doc);
	else if (argc == 3 && strcmp(argv[1], "doc") == 0 && strcmp(argv[2], "minimal") == 0)
		doc_minimal(&doc);
	else if (argc == 3 && strcmp(argv[1], "doc") == 0 && strcmp(argv[2], "many") == 0)
		doc_many(&doc);
	else if (argc == 4 && strcmp(argv[1], "doc") == 0 && strcmp(argv[2], "hostile") == 0)
		doc_hostile(&doc, argv[3]);
	else {
		fprintf(stderr, "usage: feedback_driver doc plain|minimal|many|hostile VALUE\n"
				"       feedback_driver mail XMLFILE EMLFILE\n");
		return 1;
	}
	if (fwrite(strbuf_str(&doc), 1, doc.len, stdout) != doc.len || fflush(stdout) != 0) {
		perror("feedback_driver");
		strbuf_free(&doc);
		return 1;
	}
	strbuf_free(&doc);
	return 0;
}
