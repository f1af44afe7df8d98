/*
 * mail - a DMARC aggregate report as an email message (RFC 9990 3.1.1)
 *
 * SYNOPSIS
 *	char *id = report_id_new(day);
 *	char *fn = report_filename("mx.example.org", "example.com", begin, end, id);
 *	char *subj = report_subject("example.com", "mx.example.org", id);
 *	report_gzip(xml, xml_len, fn_without_gz, begin, &gz, &gz_len, &err);
 *	struct report_mail m = { .from = ..., .to = ..., ... };
 *	char *msg = report_message(&m, &len);
 *
 * DESCRIPTION
 *	The Report-ID is the same in the XML (report_id), the Subject and the
 *	attachment's file name (its unique-id), so it is made of letters and
 *	digits only: the day as YYYYMMDD and 16 random hexadecimal digits.
 *
 *	The file name follows RFC 9990's ABNF:
 *	receiver "!" policy-domain "!" begin "!" end "!" unique-id ".xml.gz".
 *	The Subject: "Report Domain: <policy domain> Submitter: <receiver>
 *	Report-ID: <report-id>" (folded before Submitter: and Report-ID: when
 *	longer than 78 characters).
 *
 *	The message (CRLF line ends, 7-bit): From, To, Subject, Date,
 *	Message-ID <report-id@receiver>, MIME-Version, and a multipart/mixed
 *	body with a short text/plain part saying what the report is and an
 *	application/gzip part (Content-Disposition: attachment; filename=...)
 *	holding the gzip in base64, lines of 76 characters.
 *
 *	The caller is trusted to pass valid domain names and addresses (it
 *	validates rua addresses), but nothing it passes can add a header or
 *	break the message: every value is filtered before it is written
 *	(domain names keep letters, digits, '.', '-', '_'; a Report-ID
 *	keeps letters and digits; addresses keep printable ASCII and the
 *	space; each is cut to a bounded length), so CR, LF, 8-bit bytes and
 *	quotes never reach a header, and no line exceeds 998 characters.
 *
 * OWNERSHIP
 *	Every char * returned is malloc'd and the caller's to free().
 */
#ifndef AM_REPORT_MAIL_H
#define AM_REPORT_MAIL_H

#include <stddef.h>
#include <time.h>

#include "util/err.h"

/* The most report_gunzip() will produce: 256 MiB (a report of a busy
 * day is a few MiB; a small input can inflate a thousandfold). */
#define REPORT_GUNZIP_MAX (256UL * 1024 * 1024)

/* A new Report-ID for a report of day (UTC days since the epoch):
 * YYYYMMDD and 16 hexadecimal digits from OpenSSL's RAND_bytes(). Never
 * NULL; a system that cannot give random bytes is a fatal error (abort),
 * since a Report-ID that may repeat is worse than none. */
char *report_id_new(long day);
/* receiver!domain!begin!end!report_id.xml.gz ("!report_id" left out when
 * report_id has no letter or digit); negative timestamps are written as 0. */
char *report_filename(const char *receiver, const char *domain, long begin, long end,
		      const char *report_id);
/* The Subject field body, without "Subject: " and without a final CRLF;
 * " Report-ID: ..." left out when report_id is NULL or "". Folded with
 * CRLF SP before "Submitter:" and "Report-ID:" only when the line
 * "Subject: " + body would be longer than 78 characters. */
char *report_subject(const char *domain, const char *receiver, const char *report_id);

/* gzip (RFC 1952) of data; name (the file name inside, without ".gz",
 * filtered like a file name; NULL: none) and mtime (negative: 0) go into
 * the gzip header. 0, or -1 with err. *out is malloc'd. */
int report_gzip(const void *data, size_t len, const char *name, time_t mtime, unsigned char **out,
		size_t *out_len, struct am_err *err);
/* The inverse, for tests and --dry-run checks: 0, or -1 with err (not
 * gzip, corrupt, truncated, trailing bytes, or more than
 * REPORT_GUNZIP_MAX bytes of output). *out is malloc'd and NUL-terminated
 * (not counted in *out_len); NULL on failure. */
int report_gunzip(const unsigned char *gz, size_t len, char **out, size_t *out_len,
		  struct am_err *err);

struct report_mail {
	const char *from;     /* reporting.email: an address */
	const char *to;	      /* the rua mailbox: an address */
	const char *receiver; /* our domain (Submitter) */
	const char *domain;   /* the policy domain */
	const char *report_id;
	const char *filename; /* report_filename() */
	long begin, end;      /* the report's date range, for the text part */
	time_t date;	      /* the Date: header */
	const unsigned char *gz;
	size_t gz_len;
};

/* The whole message, NUL-terminated; *len (when len is not NULL) its
 * length. filename NULL: report_filename() of the other fields. Headers
 * besides the ones above: Auto-Submitted: auto-generated (RFC 3834). */
char *report_message(const struct report_mail *m, size_t *len);

#endif
