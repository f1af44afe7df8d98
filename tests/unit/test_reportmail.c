/*
 * test_reportmail - the report as a message: Report-IDs (format, day,
 * no repeats over many calls), the attachment's file name and the
 * Subject against RFC 9990's ABNF (folding at the 78-character line),
 * gzip round trips (read back by report_gunzip() and by zlib directly,
 * header name and mtime checked byte by byte), gunzip's refusals
 * (garbage, truncation, corruption, trailing bytes, more than
 * REPORT_GUNZIP_MAX), and the message itself: CRLF everywhere, 7-bit,
 * no line over 998, the headers and parts expected, base64 lines of 76
 * characters decoding back to the gzip bytes, and values built to inject
 * headers or MIME boundaries that add none.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <regex.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "report/mail.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define DAY_20240327 19809L
#define T_20240327 1711497600L

/* RFC 9990 / RFC 6376 domain-name: labels of letters, digits, hyphens */
#define RE_DOMAIN \
	"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+"

static int matches(const char *re, const char *s)
{
	regex_t rx;
	int rc;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&rx, s, 0, NULL, 0);
	regfree(&rx);
	return rc == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_report_id(void **state)
{
	enum { N = 2000 };
	char **ids = xcalloc(N, sizeof(*ids));
	size_t i;
	char *id;

	for (i = 0; i < N; i++) {
		ids[i] = report_id_new(DAY_20240327);
		assert_true(matches("^20240327[0-9a-f]{16}$", ids[i]));
	}
	qsort(ids, N, sizeof(*ids), cmp_str);
	for (i = 1; i < N; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
	for (i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
	id = report_id_new(0);
	assert_true(matches("^19700101[0-9a-f]{16}$", id));
	free(id);
	id = report_id_new(DAY_20240327 + 279); /* a leap year's 31 December */
	assert_true(matches("^20241231[0-9a-f]{16}$", id));
	free(id);
	id = report_id_new(LONG_MAX); /* no such day: the epoch's, no overflow */
	assert_true(matches("^19700101[0-9a-f]{16}$", id));
	free(id);
}

static void test_filename(void **state)
{
	static const struct {
		const char *receiver, *domain;
		long begin, end;
		const char *id, *want;
	} rows[] = {
	    {"mail.receiver.example", "example.com", 1013662812, 1013749130, NULL,
	     "mail.receiver.example!example.com!1013662812!1013749130.xml.gz"},
	    {"mx.example.org", "example.com", T_20240327, T_20240327 + 86399,
	     "20240327a1b2c3d4e5f60718",
	     "mx.example.org!example.com!1711497600!1711583999!20240327a1b2c3d4e5f60718.xml.gz"},
	    {"mx.example.org", "example.com", 0, 1, "", "mx.example.org!example.com!0!1.xml.gz"},
	    {"mx.example.org", "example.com", 0, 1, "!.-", "mx.example.org!example.com!0!1.xml.gz"},
	    /* what must not reach a file name or a header parameter */
	    {"mx.example.org\r\nX: y", "ex\"ample.com/../", -5, 7, "a-b_c.d!e\"f",
	     "mx.example.orgXy!example.com..!0!7!abcdef.xml.gz"},
	};
	size_t i;

	for (i = 0; i < N_OF(rows); i++) {
		char *fn = report_filename(rows[i].receiver, rows[i].domain, rows[i].begin,
					   rows[i].end, rows[i].id);

		assert_string_equal(fn, rows[i].want);
		if (i < 4)
			assert_true(matches("^" RE_DOMAIN "!" RE_DOMAIN
					    "![0-9]+![0-9]+(![A-Za-z0-9]+)?\\.xml\\.gz$",
					    fn));
		free(fn);
	}
}

/* The ABNF of RFC 9990 3.1.1 on the unfolded field body. */
#define RE_SUBJECT                                                                \
	"^Report[ \t]+Domain:[ \t]+" RE_DOMAIN "[ \t]+Submitter:[ \t]+" RE_DOMAIN \
	"([ \t]+Report-ID:[ \t]+<?[A-Za-z0-9]+>?)?$"

static char *unfold(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s != '\0'; s++) {
		if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t'))
			s++;
		else
			strbuf_addc(&sb, *s);
	}
	return strbuf_detach(&sb);
}

static void test_subject(void **state)
{
	static const char id[] = "20240327a1b2c3d4e5f60718";
	/* "Subject: Report Domain: D Submitter: R Report-ID: <24>" is 72+|D|+|R| */
	static const struct {
		const char *domain, *receiver, *id, *want;
	} rows[] = {
	    {"a.b", "c.d", id,
	     "Report Domain: a.b Submitter: c.d Report-ID: 20240327a1b2c3d4e5f60718"},
	    {"ab.c", "c.d", id,
	     "Report Domain: ab.c\r\n Submitter: c.d\r\n Report-ID: 20240327a1b2c3d4e5f60718"},
	    {"example.com", "mail.receiver.example", NULL,
	     "Report Domain: example.com Submitter: mail.receiver.example"},
	    {"example.com", "mail.receiver.example", id,
	     "Report Domain: example.com\r\n Submitter: mail.receiver.example\r\n"
	     " Report-ID: 20240327a1b2c3d4e5f60718"},
	    /* CR, LF and anything else that is no part of a name is dropped */
	    {"example.com\r\nBcc: victim@example.net", "mx.example.org\n", "x\r\ny",
	     "Report Domain: example.comBccvictimexample.net\r\n Submitter: mx.example.org\r\n"
	     " Report-ID: xy"},
	};
	size_t i;

	for (i = 0; i < N_OF(rows); i++) {
		char *s = report_subject(rows[i].domain, rows[i].receiver, rows[i].id);
		char *u = unfold(s);
		const char *line, *crlf;

		assert_string_equal(s, rows[i].want);
		assert_true(matches(RE_SUBJECT, u));
		/* unfolded only when "Subject: " + body fits in 78 */
		if (strstr(s, "\r\n") == NULL)
			assert_true(strlen("Subject: ") + strlen(s) <= 78);
		else
			assert_true(strlen("Subject: ") + strlen(u) > 78);
		/* folds only where allowed: CRLF SP, never a bare CR or LF */
		for (line = s; (crlf = strpbrk(line, "\r\n")) != NULL; line = crlf + 2)
			assert_true(crlf[0] == '\r' && crlf[1] == '\n' && crlf[2] == ' ');
		free(u);
		free(s);
	}
}

/* A test input: XML-like text, or n pseudo-random bytes (seed fixed). */
static unsigned char *make_data(size_t n, int random)
{
	unsigned char *p = xmalloc(n + 1);
	uint32_t x = 2463534242u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = random ? (unsigned char)x
			      : (unsigned char)("<record>192.0.2.1</record>\n"[i % 27]);
	}
	return p;
}

/* zlib's own inflate of a gzip stream, independent of report_gunzip() */
static unsigned char *zlib_gunzip(const unsigned char *gz, size_t len, size_t want)
{
	unsigned char *out = xmalloc(want + 1);
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (unsigned char *)gz;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)want + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, want);
	inflateEnd(&zs);
	return out;
}

static void test_gzip_roundtrip(void **state)
{
	static const struct {
		size_t n;
		int random;
		const char *name, *want_name;
		time_t mtime;
	} rows[] = {
	    {0, 0, "a!b!1!2.xml", "a!b!1!2.xml", 1711497600},
	    {1, 0, "mx.example.org!example.com!1711497600!1711583999!x.xml",
	     "mx.example.org!example.com!1711497600!1711583999!x.xml", 1711497600},
	    {300000, 0, "r.xml", "r.xml", 0},
	    {200000, 1, "r.xml", "r.xml", 1},
	    {1000, 0, "bad\r\nname\xff.xml", "badname.xml", -1},
	};
	size_t i;

	for (i = 0; i < N_OF(rows); i++) {
		unsigned char *data = make_data(rows[i].n, rows[i].random), *gz, *z;
		size_t gz_len, out_len, nl = strlen(rows[i].want_name);
		struct am_err err = {{0}};
		unsigned long mt;
		char *out;

		assert_int_equal(
		    report_gzip(data, rows[i].n, rows[i].name, rows[i].mtime, &gz, &gz_len, &err),
		    0);
		/* RFC 1952: ID1 ID2 CM=8 FLG=FNAME MTIME(4, LE) XFL OS name NUL */
		assert_true(gz_len >= 10 + nl + 1 + 8);
		assert_int_equal(gz[0], 0x1f);
		assert_int_equal(gz[1], 0x8b);
		assert_int_equal(gz[2], 8);
		assert_int_equal(gz[3], 0x08);
		mt = gz[4] | (unsigned long)gz[5] << 8 | (unsigned long)gz[6] << 16 |
		     (unsigned long)gz[7] << 24;
		assert_int_equal(mt, rows[i].mtime > 0 ? (unsigned long)rows[i].mtime : 0);
		assert_int_equal(gz[9], 3);
		assert_memory_equal(gz + 10, rows[i].want_name, nl + 1);
		if (!rows[i].random && rows[i].n > 1000)
			assert_true(gz_len < rows[i].n / 20);

		assert_int_equal(report_gunzip(gz, gz_len, &out, &out_len, &err), 0);
		assert_int_equal(out_len, rows[i].n);
		assert_memory_equal(out, data, rows[i].n);
		assert_int_equal(out[out_len], '\0');
		z = zlib_gunzip(gz, gz_len, rows[i].n);
		assert_memory_equal(z, data, rows[i].n);
		free(z);
		free(out);
		free(gz);
		free(data);
	}
}

/* A gzip stream of n zero bytes made with zlib in pieces, so the test
 * never holds the n bytes themselves. */
static unsigned char *zeros_gz(size_t n, size_t *len)
{
	static unsigned char zero[1 << 20];
	size_t cap = n / 100 + 4096;
	unsigned char *out = xmalloc(cap);
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	while (n > 0) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		n -= k;
		zs.next_in = zero;
		zs.avail_in = (uInt)k;
		assert_int_equal(deflate(&zs, n > 0 ? Z_NO_FLUSH : Z_FINISH),
				 n > 0 ? Z_OK : Z_STREAM_END);
		assert_int_equal(zs.avail_in, 0);
	}
	*len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static void test_gunzip_refuses(void **state)
{
	static const char text[] = "<feedback>some report text, long enough to compress</feedback>";
	struct am_err err = {{0}};
	unsigned char *gz, *bad;
	size_t gz_len, out_len, big_len;
	char *out = (char *)"unchanged";

	assert_int_equal(report_gzip(text, strlen(text), "r.xml", 1, &gz, &gz_len, &err), 0);
	bad = xmalloc(gz_len + 4);

	/* not gzip at all */
	assert_int_equal(report_gunzip((const unsigned char *)"hello", 5, &out, &out_len, &err),
			 -1);
	assert_null(out);
	assert_true(strncmp(err.msg, "gunzip: ", 8) == 0);
	/* truncated: each length short of the whole */
	for (size_t n = 0; n < gz_len; n++) {
		out = (char *)"unchanged";
		assert_int_equal(report_gunzip(gz, n, &out, &out_len, &err), -1);
		assert_null(out);
	}
	/* a flipped bit in the data or in the CRC */
	memcpy(bad, gz, gz_len);
	bad[gz_len - 6] ^= 0x01;
	assert_int_equal(report_gunzip(bad, gz_len, &out, &out_len, &err), -1);
	memcpy(bad, gz, gz_len);
	bad[gz_len / 2 + 5] ^= 0x40;
	assert_int_equal(report_gunzip(bad, gz_len, &out, &out_len, &err), -1);
	/* trailing bytes after the stream */
	memcpy(bad, gz, gz_len);
	memcpy(bad + gz_len, "junk", 4);
	assert_int_equal(report_gunzip(bad, gz_len + 4, &out, &out_len, &err), -1);
	assert_non_null(strstr(err.msg, "trailing"));
	free(bad);
	free(gz);

	/* exactly the limit is fine; one byte more is refused */
	gz = zeros_gz(REPORT_GUNZIP_MAX, &big_len);
	assert_int_equal(report_gunzip(gz, big_len, &out, &out_len, &err), 0);
	assert_int_equal(out_len, REPORT_GUNZIP_MAX);
	assert_int_equal(out[0] | out[out_len - 1], 0);
	free(out);
	free(gz);
	gz = zeros_gz(REPORT_GUNZIP_MAX + 1, &big_len);
	assert_true(big_len < 1024 * 1024); /* a bomb: small in, huge out */
	assert_int_equal(report_gunzip(gz, big_len, &out, &out_len, &err), -1);
	assert_null(out);
	assert_non_null(strstr(err.msg, "more than"));
	free(gz);
}

/* The message split into its lines (CRLF removed); checks the CRLFs. */
struct lines {
	char **v;
	size_t n;
};

static void lines_split(struct lines *l, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	l->v = NULL;
	l->n = 0;
	while (p < end) {
		const char *crlf = strstr(p, "\r\n");

		assert_non_null(crlf); /* the last line ends in CRLF too */
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = xmemdup0(p, (size_t)(crlf - p));
		p = crlf + 2;
	}
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The value of header name in the header lines v[0..n) (unfolded), or NULL. */
static char *header_of(char **v, size_t n, const char *name)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < n && v[i][0] != '\0'; i++) {
		if (strncasecmp(v[i], name, nl) == 0 && v[i][nl] == ':') {
			struct strbuf sb = STRBUF_INIT;

			strbuf_adds(&sb, v[i] + nl + 1 + (v[i][nl + 1] == ' '));
			while (i + 1 < n && (v[i + 1][0] == ' ' || v[i + 1][0] == '\t'))
				strbuf_adds(&sb, v[++i]);
			return strbuf_detach(&sb);
		}
	}
	return NULL;
}

/* The names of the header fields in v[0..n), in order, one a line. */
static char *header_names(char **v, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n && v[i][0] != '\0'; i++) {
		if (v[i][0] == ' ' || v[i][0] == '\t')
			continue;
		assert_non_null(strchr(v[i], ':'));
		strbuf_add(&sb, v[i], strcspn(v[i], ":"));
		strbuf_addc(&sb, '\n');
	}
	return strbuf_detach(&sb);
}

#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

/* 7-bit, no NUL, CRLF and nothing else for line ends, no line over 998. */
static void check_lines(const char *msg, size_t len, struct lines *l)
{
	size_t i;

	assert_int_equal(strlen(msg), len);
	for (i = 0; i < len; i++) {
		assert_true((unsigned char)msg[i] < 0x80 && msg[i] != '\0');
		if (msg[i] == '\r')
			assert_int_equal(msg[i + 1], '\n');
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
	}
	lines_split(l, msg, len);
	for (i = 0; i < l->n; i++)
		assert_true(strlen(l->v[i]) <= 998);
}

/* The message's header fields, in order; returns the MIME boundary. */
static char *check_header(const struct lines *l, const char *want_subject)
{
	char *names, *v, *boundary;

	names = header_names(l->v, l->n);
	assert_string_equal(names, "From\nTo\nSubject\nDate\nMessage-ID\nAuto-Submitted\n"
				   "MIME-Version\nContent-Type\n");
	free(names);
	v = header_of(l->v, l->n, "Subject");
	assert_non_null(v);
	if (want_subject != NULL)
		assert_string_equal(v, want_subject);
	free(v);
	v = header_of(l->v, l->n, "MIME-Version");
	assert_string_equal(v, "1.0");
	free(v);
	v = header_of(l->v, l->n, "Content-Type");
	assert_true(strncmp(v, "multipart/mixed; boundary=\"", 27) == 0);
	boundary = xstrndup(v + 27, strcspn(v + 27, "\""));
	free(v);
	assert_true(strlen(boundary) >= 1 && strlen(boundary) <= 70);
	/* the boundary cannot be base64 text */
	assert_true(strspn(boundary, B64_ALPHABET) < strlen(boundary));
	return boundary;
}

/* After the header: exactly two parts and one close delimiter, and no
 * other line with the boundary in it. part[] the first line of each
 * part; returns the line of the close delimiter. */
static size_t check_delimiters(const struct lines *l, const char *boundary, size_t part[2])
{
	size_t i, delim = 0, close = 0, bl = strlen(boundary);

	for (i = 0; l->v[i][0] != '\0'; i++)
		;
	for (; i < l->n; i++) {
		if (strstr(l->v[i], boundary) == NULL)
			continue;
		assert_true(strncmp(l->v[i], "--", 2) == 0 &&
			    strncmp(l->v[i] + 2, boundary, bl) == 0);
		if (strcmp(l->v[i] + 2 + bl, "--") == 0) {
			assert_int_equal(delim, 2);
			close = i;
		} else {
			assert_string_equal(l->v[i] + 2 + bl, "");
			assert_true(delim < 2);
			part[delim] = i + 1;
		}
		delim++;
	}
	assert_int_equal(delim, 3);
	return close;
}

/* The two parts' header fields; *fname the attachment's file name. */
static void check_part_headers(const struct lines *l, const size_t part[2], char **fname)
{
	char **v0 = l->v + part[0], **v1 = l->v + part[1];
	size_t n0 = l->n - part[0], n1 = l->n - part[1];
	char *names, *v;

	names = header_names(v0, n0);
	assert_string_equal(names, "Content-Type\nContent-Transfer-Encoding\n");
	free(names);
	v = header_of(v0, n0, "Content-Type");
	assert_string_equal(v, "text/plain; charset=us-ascii");
	free(v);

	names = header_names(v1, n1);
	assert_string_equal(names,
			    "Content-Type\nContent-Transfer-Encoding\nContent-Disposition\n");
	free(names);
	v = header_of(v1, n1, "Content-Transfer-Encoding");
	assert_string_equal(v, "base64");
	free(v);
	v = header_of(v1, n1, "Content-Disposition");
	assert_true(strncmp(v, "attachment; filename=\"", 22) == 0);
	*fname = xstrndup(v + 22, strcspn(v + 22, "\""));
	free(v);
	v = header_of(v1, n1, "Content-Type");
	assert_true(strncmp(v, "application/gzip; name=\"", 24) == 0);
	assert_true(strncmp(v + 24, *fname, strlen(*fname)) == 0);
	assert_string_equal(v + 24 + strlen(*fname), "\"");
	free(v);
}

/* base64 lines from after the part's header to the blank line before
 * the close delimiter: 76 characters each, the last one no longer.
 * Returns the decoded bytes. */
static unsigned char *check_base64(const struct lines *l, size_t part, size_t close,
				   size_t *att_len)
{
	struct strbuf b64 = STRBUF_INIT;
	unsigned char *att;
	size_t i;
	int w;

	for (i = part; l->v[i][0] != '\0'; i++)
		;
	for (i++; i < close && l->v[i][0] != '\0'; i++) {
		size_t n = strlen(l->v[i]);

		assert_int_equal(strspn(l->v[i], B64_ALPHABET), n);
		if (i + 1 < close && l->v[i + 1][0] != '\0')
			assert_int_equal(n, 76);
		else
			assert_true(n > 0 && n <= 76 && n % 4 == 0);
		strbuf_adds(&b64, l->v[i]);
	}
	assert_int_equal(i, close - 1);
	att = xmalloc(b64.len / 4 * 3 + 1);
	w = EVP_DecodeBlock(att, (const unsigned char *)strbuf_str(&b64), (int)b64.len);
	assert_true(w >= 0);
	/* EVP_DecodeBlock counts the bytes the padding stands for */
	*att_len = (size_t)w - (b64.len > 0 && b64.s[b64.len - 1] == '=') -
		   (b64.len > 1 && b64.s[b64.len - 2] == '=');
	strbuf_free(&b64);
	return att;
}

/* Checks every rule of the message's shape and returns the decoded
 * attachment; *fname the attachment's file name. want_subject NULL: the
 * Subject is not compared. */
static unsigned char *message_check(const char *msg, size_t len, const char *want_subject,
				    size_t *att_len, char **fname)
{
	struct lines l;
	size_t part[2] = {0, 0}, close;
	unsigned char *att;
	char *boundary;

	check_lines(msg, len, &l);
	boundary = check_header(&l, want_subject);
	close = check_delimiters(&l, boundary, part);
	check_part_headers(&l, part, fname);
	att = check_base64(&l, part[1], close, att_len);
	free(boundary);
	lines_free(&l);
	return att;
}

static void test_message(void **state)
{
	unsigned char *xml = make_data(50000, 0), *gz, *att;
	struct am_err err = {{0}};
	size_t gz_len, len, att_len;
	char *msg, *fname, *v;
	struct lines l;
	struct report_mail m = {
	    .from = "dmarc-reports@mx.example.org",
	    .to = "rua@example.com",
	    .receiver = "mx.example.org",
	    .domain = "example.com",
	    .report_id = "20240327a1b2c3d4e5f60718",
	    .filename = "mx.example.org!example.com!1711497600!1711583999!"
			"20240327a1b2c3d4e5f60718.xml.gz",
	    .begin = T_20240327,
	    .end = T_20240327 + 86399,
	    .date = T_20240327 + 86400 + 3723,
	};

	assert_int_equal(report_gzip(xml, 50000, "r.xml", m.begin, &gz, &gz_len, &err), 0);
	m.gz = gz;
	m.gz_len = gz_len;
	msg = report_message(&m, &len);
	att = message_check(msg, len,
			    "Report Domain: example.com Submitter: mx.example.org"
			    " Report-ID: 20240327a1b2c3d4e5f60718",
			    &att_len, &fname);
	assert_int_equal(att_len, gz_len);
	assert_memory_equal(att, gz, gz_len);
	assert_string_equal(fname, m.filename);
	lines_split(&l, msg, len);
	v = header_of(l.v, l.n, "From");
	assert_string_equal(v, "dmarc-reports@mx.example.org");
	free(v);
	v = header_of(l.v, l.n, "To");
	assert_string_equal(v, "rua@example.com");
	free(v);
	v = header_of(l.v, l.n, "Date");
	assert_string_equal(v, "Thu, 28 Mar 2024 01:02:03 +0000");
	free(v);
	v = header_of(l.v, l.n, "Message-ID");
	assert_string_equal(v, "<20240327a1b2c3d4e5f60718@mx.example.org>");
	free(v);
	lines_free(&l);
	/* the text part, for people */
	assert_non_null(strstr(msg, "DMARC aggregate report (RFC 9990) for example.com\r\n"
				    "covering 2024-03-27 00:00:00 to 2024-03-27 23:59:59 UTC,\r\n"
				    "sent by mx.example.org.\r\n"));
	assert_non_null(strstr(msg, "\r\nReport-ID: 20240327a1b2c3d4e5f60718\r\n"));
	free(fname);
	free(att);
	free(msg);

	/* no file name given: report_filename() of the fields; no gzip */
	m.filename = NULL;
	m.gz = NULL;
	m.gz_len = 0;
	msg = report_message(&m, NULL);
	att = message_check(msg, strlen(msg),
			    "Report Domain: example.com Submitter: mx.example.org"
			    " Report-ID: 20240327a1b2c3d4e5f60718",
			    &att_len, &fname);
	assert_int_equal(att_len, 0);
	assert_string_equal(fname, "mx.example.org!example.com!1711497600!1711583999!"
				   "20240327a1b2c3d4e5f60718.xml.gz");
	free(fname);
	free(att);
	free(msg);
	free(gz);
	free(xml);
}

/* Every field built to add a header, close a quoted parameter, carry the
 * boundary or 8-bit bytes, or make a line too long: the message keeps
 * its shape (message_check) and no line starts a header of its own. */
static void test_message_injection(void **state)
{
	char *longv = xmalloc(5001), *msg, *fname;
	unsigned char gz[] = {1, 2, 3, 4, 5};
	unsigned char *att;
	size_t len, att_len, i;
	struct report_mail m = {
	    .from = "a@b.example\r\nBcc: victim1@example.net",
	    .to = "rua@example.com\nX-Evil: 1\r\n\r\nbody",
	    .receiver = "mx.example.org\r\nX-Evil: 2",
	    .domain = "example.com\r\n\r\n--=_authmilter_report_x\r\nX-Evil: 3",
	    .report_id = "id\r\nX-Evil: 4",
	    .filename = "f\"; x=\"\r\nX-Evil: 5\xc3\xa9.xml.gz",
	    .begin = -1,
	    .end = 0,
	    .date = 0,
	    .gz = gz,
	    .gz_len = sizeof(gz),
	};

	msg = report_message(&m, &len);
	att = message_check(msg, len,
			    "Report Domain: example.com--_authmilter_report_xX-Evil3 "
			    "Submitter: mx.example.orgX-Evil2 Report-ID: idXEvil4",
			    &att_len, &fname);
	assert_int_equal(att_len, sizeof(gz));
	assert_memory_equal(att, gz, sizeof(gz));
	assert_string_equal(fname, "fxX-Evil5.xml.gz");
	assert_null(strstr(msg, "\nX-Evil"));
	assert_null(strstr(msg, "\nBcc"));
	free(fname);
	free(att);
	free(msg);

	/* values far too long for a line: cut, never over 998 */
	memset(longv, 'a', 5000);
	longv[5000] = '\0';
	for (i = 0; i < 5000; i += 60)
		longv[i] = '.';
	m.from = m.to = m.receiver = m.domain = m.report_id = m.filename = longv;
	msg = report_message(&m, &len);
	att = message_check(msg, len, NULL, &att_len, &fname);
	free(fname);
	free(att);
	free(msg);
	free(longv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_report_id),	      cmocka_unit_test(test_filename),
	    cmocka_unit_test(test_subject),	      cmocka_unit_test(test_gzip_roundtrip),
	    cmocka_unit_test(test_gunzip_refuses),    cmocka_unit_test(test_message),
	    cmocka_unit_test(test_message_injection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
