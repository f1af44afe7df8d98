/*
 * test_rua - rua URIs read from hostile DNS text: what is kept, what is
 * refused and why, and that every refusal line is safe to log
 *
 * One row per input: the addresses kept (space-separated), how many
 * refusal lines, and a word the first of them must hold. The attacks are
 * those a DMARC record can carry into a report's envelope or headers:
 * encoded and raw CR/LF, hfields (bcc=, to=), quotes, angle brackets,
 * more than one address, commas and spaces, U-labels, and sheer size.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/rua.h"
#include "util/strbuf.h"

struct row {
	const char *in;
	size_t max;
	const char *want; /* addresses kept, space-separated */
	size_t n_refused; /* lines */
	const char *why;  /* in refused[0], when n_refused > 0 */
};

static const struct row rows[] = {
    /* the ordinary forms */
    {NULL, 4, "", 0, NULL},
    {"", 4, "", 0, NULL},
    {"mailto:dmarc@example.com", 4, "dmarc@example.com", 0, NULL},
    {"  mailto:a@example.com ,\tmailto:b@example.org  ", 4, "a@example.com b@example.org", 0, NULL},
    {"MAILTO:A.Rep@Example.COM", 4, "A.Rep@example.com", 0, NULL},
    {"MailTo:x@example.com", 4, "x@example.com", 0, NULL},
    {"mailto:first.last+tag@sub.example.co.uk", 4, "first.last+tag@sub.example.co.uk", 0, NULL},
    {"mailto:a@b.example,,  ,", 4, "a@b.example", 0, NULL},
    /* the obsolete size suffix is dropped */
    {"mailto:a@b.example!10m", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.example!10", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.example!1T, mailto:c@b.example!50K", 4, "a@b.example c@b.example", 0, NULL},
    {"mailto:a@b.example!", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example!m", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example!10x", 4, "", 1, "not one mailbox"},
    /* header injection: encoded and raw CR LF */
    {"mailto:a@b.example%0d%0aBcc:x@y", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%0D%0ABcc:%20x@y.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example\r\nBcc: x@y.example", 4, "", 1, "not a URI"},
    {"mailto:a@b.example\nmailto:c@d.example", 4, "", 1, "not a URI"},
    {"mailto:a%0a@b.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%00", 4, "", 1, "not one mailbox"},
    {"mailto:a%00b@b.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%09", 4, "", 1, "not one mailbox"},
    /* hfields are dropped, never used */
    {"mailto:a@b.example?bcc=evil@x.example", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.example?to=evil@x.example", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.example?subject=hi&body=x%0d%0aBcc:y@z", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.example?subject=x\r\nBcc: y@z.example", 4, "", 1, "not a URI"},
    {"mailto:a@b.example?subject=a b", 4, "", 1, "not a URI"},
    {"mailto:?to=evil@x.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example?", 4, "a@b.example", 0, NULL},
    /* quotes, angle brackets, fragments */
    {"mailto:\"a b\"@b.example", 4, "", 1, "not a URI"},
    {"mailto:\"a\"@b.example", 4, "", 1, "not one mailbox"},
    {"mailto:%22a%22@b.example", 4, "", 1, "local part"},
    {"mailto:<a@b.example>", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example>", 4, "", 1, "not one mailbox"},
    {"mailto:%3Ca@b.example%3E", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example#x", 4, "", 1, "not one mailbox"},
    /* exactly one address */
    {"mailto:a@b@c.example", 4, "", 1, "not one mailbox"},
    {"mailto:a%40b@c.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%40c.example", 4, "", 1, "not one mailbox"},
    {"mailto:ab.example", 4, "", 1, "not one mailbox"},
    {"mailto:@b.example", 4, "", 1, "local part"},
    {"mailto:a@", 4, "", 1, "domain"},
    /* commas: a separator unencoded, refused encoded */
    {"mailto:a@b.example,mailto:c@d.example", 4, "a@b.example c@d.example", 0, NULL},
    {"mailto:a@b.example,c@d.example", 4, "a@b.example", 1, "not a URI"},
    {"mailto:a@b.example%2Cc@d.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%2cmailto:c@d.example", 4, "", 1, "not one mailbox"},
    /* spaces */
    {"mailto:a b@c.example", 4, "", 1, "not a URI"},
    {"mailto:a%20b@c.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example x", 4, "", 1, "not a URI"},
    {"mailto: a@b.example", 4, "", 1, "not a URI"},
    /* local part: dot-atom, encoded '!' only, at most 64 */
    {"mailto:.a@b.example", 4, "", 1, "local part"},
    {"mailto:a.@b.example", 4, "", 1, "local part"},
    {"mailto:a..b@b.example", 4, "", 1, "local part"},
    {"mailto:a!b@c.example", 4, "", 1, "not one mailbox"},
    {"mailto:a%21b@c.example", 4, "a!b@c.example", 0, NULL},
    {"mailto:a(b)@c.example", 4, "", 1, "local part"},
    {"mailto:a%2@b.example", 4, "", 1, "not one mailbox"},
    {"mailto:a%zz@b.example", 4, "", 1, "not one mailbox"},
    {"mailto:a@b.example%", 4, "", 1, "not one mailbox"},
    {"mailto:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example", 4,
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example", 0, NULL},
    {"mailto:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example", 4, "", 1,
     "local part"},
    /* domain: LDH, A-labels, two labels or more, no trailing dot */
    {"mailto:a@b.example.", 4, "", 1, "domain"},
    {"mailto:a@localhost", 4, "", 1, "domain"},
    {"mailto:a@192.0.2.1", 4, "", 1, "domain"},
    {"mailto:a@[192.0.2.1]", 4, "", 1, "not one mailbox"},
    {"mailto:a@-b.example", 4, "", 1, "domain"},
    {"mailto:a@b-.example", 4, "", 1, "domain"},
    {"mailto:a@b_c.example", 4, "", 1, "domain"},
    {"mailto:a@b..example", 4, "", 1, "domain"},
    {"mailto:a@.b.example", 4, "", 1, "domain"},
    {"mailto:a@b%2Eexample", 4, "a@b.example", 0, NULL},
    {"mailto:a@b.c0m", 4, "a@b.c0m", 0, NULL},
    {"mailto:a@xn--bcher-kva.example", 4, "a@xn--bcher-kva.example", 0, NULL},
    {"mailto:a@XN--BCHER-KVA.Example", 4, "a@xn--bcher-kva.example", 0, NULL},
    {"mailto:a@b\xc3\xbc"
     "cher.example",
     4, "", 1, "not a URI"},
    {"mailto:a@b%C3%BCcher.example", 4, "", 1, "not one mailbox"},
    {"mailto:r\xc3\xa9p@b.example", 4, "", 1, "not a URI"},
    {"mailto:a@xn--a.example", 4, "", 1, "domain"},
    {"mailto:a@xn--bcher-kvb.example", 4, "", 1, "domain"},
    /* schemes */
    {"https://example.com/dmarc", 4, "", 1, "unsupported scheme"},
    {"ftp://example.com/dmarc", 4, "", 1, "unsupported scheme"},
    {"mailtox:a@b.example", 4, "", 1, "unsupported scheme"},
    {"mail:a@b.example", 4, "", 1, "unsupported scheme"},
    {"a@b.example", 4, "", 1, "not a URI"},
    {":a@b.example", 4, "", 1, "not a URI"},
    {"1mailto:a@b.example", 4, "", 1, "not a URI"},
    {"https://x.example, mailto:a@b.example", 4, "a@b.example", 1, "unsupported scheme"},
    /* duplicates count once; the local part keeps its case */
    {"mailto:a@b.example,mailto:a@b.example, MAILTO:a@B.EXAMPLE!5m", 1, "a@b.example", 0, NULL},
    {"mailto:a@b.example,mailto:A@b.example", 4, "a@b.example A@b.example", 0, NULL},
    /* the limit */
    {"mailto:a@x.example,mailto:b@x.example,mailto:c@x.example", 2, "a@x.example b@x.example", 1,
     "over the limit of 2"},
    {"mailto:a@x.example", 0, "", 1, "over the limit of 0"},
    {"mailto:a@x.example,mailto:a@x.example,mailto:b@x.example", 1, "a@x.example", 1,
     "over the limit of 1"},
};

static void check_row(const struct row *r)
{
	struct strbuf got = STRBUF_INIT;
	struct rua_list l;
	size_t i, n;

	n = rua_parse(r->in, r->max, &l);
	assert_int_equal(n, l.n);
	for (i = 0; i < l.n; i++) {
		const char *at = strchr(l.v[i].addr, '@');

		strbuf_addf(&got, "%s%s", i ? " " : "", l.v[i].addr);
		assert_non_null(at);
		assert_string_equal(l.v[i].host, at + 1);
		assert_non_null(l.v[i].uri);
	}
	if (strcmp(strbuf_str(&got), r->want) != 0 || l.n_refused != r->n_refused ||
	    (r->why && strstr(l.refused[0], r->why) == NULL)) {
		print_error("input \"%s\": kept \"%s\", %zu refused (%s)\n",
			    r->in ? r->in : "(null)", strbuf_str(&got), l.n_refused,
			    l.n_refused ? l.refused[0] : "");
		fail();
	}
	strbuf_free(&got);
	rua_list_clear(&l);
}

static void test_rows(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}

/* uri is the element as published (trimmed, hfields and size kept). */
static void test_fields(void **state)
{
	struct rua_list l;

	assert_int_equal(rua_parse("  MAILTO:Rep@Mail.Example.NET?subject=x!10m ", 4, &l), 1);
	assert_string_equal(l.v[0].uri, "MAILTO:Rep@Mail.Example.NET?subject=x!10m");
	assert_string_equal(l.v[0].addr, "Rep@mail.example.net");
	assert_string_equal(l.v[0].host, "mail.example.net");
	rua_list_clear(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	rua_list_clear(&l); /* twice is harmless */
	rua_list_clear(NULL);
}

/* Every byte of a refusal line is printable ASCII; the element inside the
 * quotes has no quote of its own and is cut at 80 bytes. */
static void assert_line_safe(const char *line)
{
	const char *p, *q1 = strchr(line, '"'), *q2;

	for (p = line; *p != '\0'; p++)
		assert_true(*p >= ' ' && *p < 0x7f);
	assert_non_null(q1);
	q2 = strchr(q1 + 1, '"');
	assert_non_null(q2);
	assert_null(strchr(q2 + 1, '"'));
}

static void test_refusal_lines(void **state)
{
	static const char *hostile[] = {
	    "mailto:a@b.example\r\nBcc: x@y.example",
	    "mailto:\"evil\"@b.example",
	    "mailto:a\\b@b.example\x1b[31m",
	    "mailto:a@b\xc3\xbc.example\x7f\x01",
	    "javascript:\"alert(1)\"",
	};
	char longel[RUA_MAX_URI + 100], want[1 + 80 + 5];
	struct rua_list l;
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_int_equal(rua_parse(hostile[i], 4, &l), 0);
		assert_int_equal(l.n_refused, 1);
		assert_line_safe(l.refused[0]);
		rua_list_clear(&l);
	}
	/* cut at 80 bytes of the element, marked "..." */
	memset(longel, 'A', 200);
	longel[200] = '\0';
	assert_int_equal(rua_parse(longel, 4, &l), 0);
	assert_line_safe(l.refused[0]);
	memset(want, 'A', sizeof(want));
	memcpy(want, "\"", 1);
	memcpy(want + 81, "\"...", 5);
	assert_non_null(strstr(l.refused[0], want));
	rua_list_clear(&l);
	/* longer than RUA_MAX_URI: refused unread, even if it is a mailbox */
	memcpy(longel, "mailto:a@", 9);
	memset(longel + 9, 'b', sizeof(longel) - 9);
	memcpy(longel + sizeof(longel) - 12, ".example", 9);
	assert_int_equal(rua_parse(longel, 4, &l), 0);
	assert_non_null(strstr(l.refused[0], "too long"));
	assert_line_safe(l.refused[0]);
	rua_list_clear(&l);
}

/* 10 000 URIs in one string: max_uris kept, RUA_MAX_REFUSED lines and
 * one that counts the rest. */
static void test_many(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct rua_list l;
	size_t i;

	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%smailto:r%zu@x.example", i ? "," : "", i);
	assert_int_equal(rua_parse(strbuf_str(&sb), 3, &l), 3);
	assert_string_equal(l.v[2].addr, "r2@x.example");
	assert_int_equal(l.n_refused, RUA_MAX_REFUSED + 1);
	assert_non_null(strstr(l.refused[0], "over the limit of 3"));
	assert_string_equal(l.refused[RUA_MAX_REFUSED], "9987 more rua elements refused");
	rua_list_clear(&l);

	/* all invalid: none kept, the same cap */
	strbuf_reset(&sb);
	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%shttps://r%zu.example/", i ? "," : "", i);
	assert_int_equal(rua_parse(strbuf_str(&sb), 3, &l), 0);
	assert_int_equal(l.n_refused, RUA_MAX_REFUSED + 1);
	assert_string_equal(l.refused[RUA_MAX_REFUSED], "9990 more rua elements refused");
	for (i = 0; i < RUA_MAX_REFUSED; i++)
		assert_line_safe(l.refused[i]);
	rua_list_clear(&l);

	/* 10 000 copies of one address: one kept, nothing refused */
	strbuf_reset(&sb);
	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%smailto:same@x.example", i ? "," : "");
	assert_int_equal(rua_parse(strbuf_str(&sb), 3, &l), 1);
	assert_int_equal(l.n_refused, 0);
	rua_list_clear(&l);
	strbuf_free(&sb);
}

static void test_usable(void **state)
{
	assert_false(rua_usable(NULL));
	assert_false(rua_usable(""));
	assert_false(rua_usable("https://example.com/"));
	assert_false(rua_usable("mailto:nobody"));
	assert_false(rua_usable("mailto:a@b.example%0d%0aBcc:x@y"));
	assert_true(rua_usable("mailto:a@b.example"));
	assert_true(rua_usable("https://x.example/, mailto:a@b.example!10m"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),	  cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_refusal_lines), cmocka_unit_test(test_many),
	    cmocka_unit_test(test_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
