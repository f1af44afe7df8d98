/*
 * mail - a DMARC aggregate report as an email message (see mail.h)
 *
 * DESCRIPTION
 *	Everything that goes into a header or into the text part is passed
 *	through one of a few byte filters first (mail_add_kept()): domain
 *	names keep letters, digits, '.', '-' and '_'; the Report-ID keeps
 *	letters and digits; addresses keep printable ASCII and the space.
 *	Each filter also caps the length. So whatever a caller hands in,
 *	no CR or LF can start a header of its own, no 8-bit byte reaches a
 *	7-bit message, no line grows past RFC 5322's 998 characters, and
 *	no value can carry the MIME boundary into the body.
 *
 *	The boundary starts with "=_": '_' is not in the base64 alphabet
 *	and '=' gets through none of the filters used for the text part,
 *	so the boundary can occur neither in the attachment nor in the text
 *	(RFC 2046 5.1.1), without having to look at either.
 *
 *	gzip and gunzip are zlib's deflate and inflate with the gzip
 *	wrapper (windowBits 15 + 16). gunzip refuses to produce more than
 *	REPORT_GUNZIP_MAX bytes: a small input can inflate a thousandfold.
 */
#include "config.h"

#define ZLIB_CONST /* next_in is const: the input is never written */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "report/mail.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAIL_MAX_NAME 253     /* a domain name (RFC 1035) */
#define MAIL_MAX_ID 64	      /* a Report-ID; ours are 24 */
#define MAIL_MAX_ADDR 320     /* local-part 64, "@", domain 255 */
#define MAIL_MAX_FILENAME 700 /* two domains, two numbers, an id */
#define MAIL_FOLD_AT 78	      /* RFC 5322 2.1.1: SHOULD NOT be longer */
#define MAIL_B64_IN 57	      /* bytes a base64 line: 76 characters */
#define MAIL_GZ_LEVEL 9	      /* reports are written once, read many */
#define MAIL_GZ_OS_UNIX 3     /* RFC 1952 OS field */
#define MAIL_RAND_BYTES 8     /* 16 hexadecimal digits */
#define MAIL_BOUNDARY_PREFIX "=_authmilter_report_"
#define MAIL_MAX_BOUNDARY 70 /* RFC 2046 5.1.1 */

enum mail_keep {
	KEEP_NAME,  /* a domain name */
	KEEP_ID,    /* a Report-ID / unique-id: ALPHA / DIGIT */
	KEEP_FNAME, /* a report file name: a name, '!' */
	KEEP_ADDR,  /* a header value: printable ASCII and SP */
};

static int mail_keeps(enum mail_keep what, unsigned char c)
{
	int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

	switch (what) {
	case KEEP_NAME:
		return alnum || c == '.' || c == '-' || c == '_';
	case KEEP_ID:
		return alnum;
	case KEEP_FNAME:
		return alnum || c == '.' || c == '-' || c == '_' || c == '!';
	default:
		return c >= 0x20 && c < 0x7f;
	}
}

/* Appends the bytes of s (NULL: none) that what keeps, at most max. */
static void mail_add_kept(struct strbuf *sb, const char *s, enum mail_keep what, size_t max)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n < max; s++) {
		if (mail_keeps(what, (unsigned char)*s)) {
			strbuf_addc(sb, *s);
			n++;
		}
	}
}

/* gmtime_r() of t, or of the epoch when t does not fit a struct tm. */
static void mail_gmtime(long t, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, tm);
	}
}

char *report_id_new(long day)
{
	unsigned char rnd[MAIL_RAND_BYTES];
	struct strbuf sb = STRBUF_INIT;
	struct tm tm;
	size_t i;

	/* A Report-ID must never repeat: without randomness there is no
	 * honest one to return, and this cannot fail on a working system. */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		fprintf(stderr, "authmilter: no random bytes for a Report-ID\n");
		abort();
	}
	/* a day no struct tm can hold (there is none) is the epoch's */
	mail_gmtime(day >= 0 && day <= LONG_MAX / 86400 ? day * 86400 : 0, &tm);
	strbuf_addf(&sb, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	for (i = 0; i < sizeof(rnd); i++)
		strbuf_addf(&sb, "%02x", rnd[i]);
	return strbuf_detach(&sb);
}

char *report_filename(const char *receiver, const char *domain, long begin, long end,
		      const char *report_id)
{
	struct strbuf sb = STRBUF_INIT, id = STRBUF_INIT;

	/* timestamps are 1*DIGIT: a negative one (there is none) is 0 */
	mail_add_kept(&sb, receiver, KEEP_NAME, MAIL_MAX_NAME);
	strbuf_addc(&sb, '!');
	mail_add_kept(&sb, domain, KEEP_NAME, MAIL_MAX_NAME);
	strbuf_addf(&sb, "!%ld!%ld", begin < 0 ? 0 : begin, end < 0 ? 0 : end);
	/* unique-id is 1*(ALPHA / DIGIT): left out when nothing is left */
	mail_add_kept(&id, report_id, KEEP_ID, MAIL_MAX_ID);
	if (id.len > 0)
		strbuf_addf(&sb, "!%s", strbuf_str(&id));
	strbuf_adds(&sb, ".xml.gz");
	strbuf_free(&id);
	return strbuf_detach(&sb);
}

char *report_subject(const char *domain, const char *receiver, const char *report_id)
{
	struct strbuf d = STRBUF_INIT, r = STRBUF_INIT, id = STRBUF_INIT, sb = STRBUF_INIT;
	int pass;

	mail_add_kept(&d, domain, KEEP_NAME, MAIL_MAX_NAME);
	mail_add_kept(&r, receiver, KEEP_NAME, MAIL_MAX_NAME);
	mail_add_kept(&id, report_id, KEEP_ID, MAIL_MAX_ID);
	/* Unfolded first; folded (before Submitter: and Report-ID:) only when
	 * "Subject: " and the unfolded body make too long a line. */
	for (pass = 0; pass < 2; pass++) {
		const char *sep = pass == 0 ? " " : "\r\n ";

		strbuf_reset(&sb);
		strbuf_addf(&sb, "Report Domain: %s%sSubmitter: %s", strbuf_str(&d), sep,
			    strbuf_str(&r));
		if (id.len > 0)
			strbuf_addf(&sb, "%sReport-ID: %s", sep, strbuf_str(&id));
		if (strlen("Subject: ") + sb.len <= MAIL_FOLD_AT)
			break;
	}
	strbuf_free(&d);
	strbuf_free(&r);
	strbuf_free(&id);
	return strbuf_detach(&sb);
}

/* Output space for zlib: doubles *buf (*cap bytes, used of them
 * written), up to limit, when it is full, and points next_out at the
 * free part. The buffer always has one byte more, for gunzip's NUL. */
static void mail_zspace(z_stream *zs, unsigned char **buf, size_t *cap, size_t used, size_t limit)
{
	size_t room;

	if (used == *cap) {
		*cap = *cap > limit / 2 ? limit : *cap * 2;
		*buf = xrealloc(*buf, *cap + 1);
	}
	room = *cap - used;
	zs->next_out = *buf + used;
	zs->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
}

int report_gzip(const void *data, size_t len, const char *name, time_t mtime, unsigned char **out,
		size_t *out_len, struct am_err *err)
{
	z_stream zs;
	gz_header hdr;
	struct strbuf fname = STRBUF_INIT;
	const unsigned char *in = data;
	unsigned char *buf;
	size_t left = len, cap, used = 0;
	int rc = Z_OK, flush;

	*out = NULL;
	*out_len = 0;
	memset(&zs, 0, sizeof(zs));
	memset(&hdr, 0, sizeof(hdr));
	rc = deflateInit2(&zs, MAIL_GZ_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (rc != Z_OK) {
		am_err_set(err, "gzip: deflateInit2: %s", zError(rc));
		return -1;
	}
	/* a file name, latin-1 by RFC 1952: ours are ASCII already; zlib
	 * only reads it, whatever the type of hdr.name says */
	mail_add_kept(&fname, name, KEEP_FNAME, MAIL_MAX_FILENAME);
	hdr.name = fname.len > 0 ? (Bytef *)fname.s : Z_NULL;
	hdr.time = mtime > 0 ? (uLong)mtime : 0;
	hdr.os = MAIL_GZ_OS_UNIX;
	deflateSetHeader(&zs, &hdr);
	cap = deflateBound(&zs, len > ULONG_MAX ? ULONG_MAX : (uLong)len) + 64;
	buf = xmalloc(cap + 1);
	do {
		uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;

		zs.next_in = in;
		zs.avail_in = chunk;
		in += chunk;
		left -= chunk;
		flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			mail_zspace(&zs, &buf, &cap, used, SIZE_MAX / 2);
			rc = deflate(&zs, flush);
			used = (size_t)(zs.next_out - buf);
		} while (rc == Z_OK && (zs.avail_in > 0 || flush == Z_FINISH));
	} while (rc == Z_OK && left > 0);
	deflateEnd(&zs);
	strbuf_free(&fname);
	if (rc != Z_STREAM_END) {
		am_err_set(err, "gzip: deflate: %s", zError(rc));
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = used;
	return 0;
}

int report_gunzip(const unsigned char *gz, size_t len, char **out, size_t *out_len,
		  struct am_err *err)
{
	z_stream zs;
	unsigned char *buf;
	/* one byte more than allowed, to tell "exactly the limit" from "more" */
	size_t limit = REPORT_GUNZIP_MAX + 1, cap, used = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (len > UINT_MAX) {
		am_err_set(err, "gunzip: input of %zu bytes is too large", len);
		return -1;
	}
	memset(&zs, 0, sizeof(zs));
	rc = inflateInit2(&zs, 15 + 16); /* gzip only */
	if (rc != Z_OK) {
		am_err_set(err, "gunzip: inflateInit2: %s", zError(rc));
		return -1;
	}
	zs.next_in = gz;
	zs.avail_in = (uInt)len;
	cap = len < (limit - 64) / 4 ? len * 4 + 64 : limit;
	buf = xmalloc(cap + 1);
	for (;;) {
		mail_zspace(&zs, &buf, &cap, used, limit);
		rc = inflate(&zs, Z_NO_FLUSH);
		used = (size_t)(zs.next_out - buf);
		if (used > REPORT_GUNZIP_MAX) {
			am_err_set(err, "gunzip: more than %lu bytes of output",
				   (unsigned long)REPORT_GUNZIP_MAX);
			break;
		}
		if (rc == Z_STREAM_END && zs.avail_in > 0) {
			am_err_set(err, "gunzip: %u bytes of trailing data", zs.avail_in);
			break;
		}
		if (rc == Z_STREAM_END) {
			inflateEnd(&zs);
			buf[used] = '\0';
			*out = (char *)buf;
			*out_len = used;
			return 0;
		}
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			am_err_set(err, "gunzip: truncated input");
			break;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			am_err_set(err, "gunzip: %s", zs.msg != NULL ? zs.msg : zError(rc));
			break;
		}
	}
	inflateEnd(&zs);
	free(buf);
	return -1;
}

/* RFC 5322 3.3 date-time in UTC; names in English whatever the locale. */
static void mail_add_date(struct strbuf *sb, time_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	mail_gmtime((long)t, &tm);
	strbuf_addf(sb, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ISO 8601 date and time, UTC, for people: 2024-03-27 00:00:00 */
static void mail_add_iso(struct strbuf *sb, long t)
{
	struct tm tm;

	mail_gmtime(t, &tm);
	strbuf_addf(sb, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* base64 (RFC 2045 6.8) in lines of 76 characters, each ending in CRLF. */
static void mail_add_base64(struct strbuf *sb, const unsigned char *p, size_t n)
{
	unsigned char line[4 * MAIL_B64_IN / 3 + 1];

	while (n > 0) {
		size_t chunk = n < MAIL_B64_IN ? n : MAIL_B64_IN;
		int w = EVP_EncodeBlock(line, p, (int)chunk);

		strbuf_add(sb, line, (size_t)w);
		strbuf_adds(sb, "\r\n");
		p += chunk;
		n -= chunk;
	}
}

static void mail_add_headers(struct strbuf *sb, const struct report_mail *m, const char *boundary)
{
	char *subject = report_subject(m->domain, m->receiver, m->report_id);

	strbuf_adds(sb, "From: ");
	mail_add_kept(sb, m->from, KEEP_ADDR, MAIL_MAX_ADDR);
	strbuf_adds(sb, "\r\nTo: ");
	mail_add_kept(sb, m->to, KEEP_ADDR, MAIL_MAX_ADDR);
	strbuf_addf(sb, "\r\nSubject: %s\r\nDate: ", subject);
	mail_add_date(sb, m->date);
	strbuf_adds(sb, "\r\nMessage-ID: <");
	mail_add_kept(sb, m->report_id, KEEP_ID, MAIL_MAX_ID);
	strbuf_addc(sb, '@');
	mail_add_kept(sb, m->receiver, KEEP_NAME, MAIL_MAX_NAME);
	/* RFC 3834: no vacation or other automatic replies to a report */
	strbuf_adds(sb, ">\r\nAuto-Submitted: auto-generated\r\n"
			"MIME-Version: 1.0\r\n");
	strbuf_addf(sb, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", boundary);
	strbuf_adds(sb, "This is a multi-part message in MIME format.\r\n");
	free(subject);
}

static void mail_add_text(struct strbuf *sb, const struct report_mail *m, const char *boundary,
			  const char *filename)
{
	strbuf_addf(sb, "\r\n--%s\r\n", boundary);
	strbuf_adds(sb, "Content-Type: text/plain; charset=us-ascii\r\n"
			"Content-Transfer-Encoding: 7bit\r\n\r\n");
	strbuf_adds(sb, "This is a DMARC aggregate report (RFC 9990) for ");
	mail_add_kept(sb, m->domain, KEEP_NAME, MAIL_MAX_NAME);
	strbuf_adds(sb, "\r\ncovering ");
	mail_add_iso(sb, m->begin);
	strbuf_adds(sb, " to ");
	mail_add_iso(sb, m->end);
	strbuf_adds(sb, " UTC,\r\nsent by ");
	mail_add_kept(sb, m->receiver, KEEP_NAME, MAIL_MAX_NAME);
	strbuf_adds(sb, ".\r\n\r\nReport-ID: ");
	mail_add_kept(sb, m->report_id, KEEP_ID, MAIL_MAX_ID);
	strbuf_adds(sb, "\r\n\r\nThe report is the attached XML file, compressed with gzip:\r\n");
	strbuf_addf(sb, "%s\r\n", filename);
}

static void mail_add_attachment(struct strbuf *sb, const struct report_mail *m,
				const char *boundary, const char *filename)
{
	strbuf_addf(sb, "\r\n--%s\r\n", boundary);
	strbuf_addf(sb, "Content-Type: application/gzip;\r\n name=\"%s\"\r\n", filename);
	strbuf_adds(sb, "Content-Transfer-Encoding: base64\r\n");
	strbuf_addf(sb, "Content-Disposition: attachment;\r\n filename=\"%s\"\r\n\r\n", filename);
	mail_add_base64(sb, m->gz, m->gz != NULL ? m->gz_len : 0);
	strbuf_addf(sb, "\r\n--%s--\r\n", boundary);
}

char *report_message(const struct report_mail *m, size_t *len)
{
	struct strbuf sb = STRBUF_INIT, boundary = STRBUF_INIT, fname = STRBUF_INIT;
	char *msg;

	strbuf_adds(&boundary, MAIL_BOUNDARY_PREFIX);
	mail_add_kept(&boundary, m->report_id, KEEP_ID,
		      MAIL_MAX_BOUNDARY - strlen(MAIL_BOUNDARY_PREFIX));
	if (m->filename != NULL) {
		mail_add_kept(&fname, m->filename, KEEP_FNAME, MAIL_MAX_FILENAME);
	} else {
		char *fn = report_filename(m->receiver, m->domain, m->begin, m->end, m->report_id);

		strbuf_adds(&fname, fn);
		free(fn);
	}
	mail_add_headers(&sb, m, strbuf_str(&boundary));
	mail_add_text(&sb, m, strbuf_str(&boundary), strbuf_str(&fname));
	mail_add_attachment(&sb, m, strbuf_str(&boundary), strbuf_str(&fname));
	strbuf_free(&boundary);
	strbuf_free(&fname);
	if (len != NULL)
		*len = sb.len;
	msg = strbuf_detach(&sb);
	return msg;
}
