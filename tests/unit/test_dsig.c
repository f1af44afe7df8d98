/*
 * test_dsig - tag lists, canonicalization, keys and signatures of
 * DKIM-style signatures on OpenSSL (src/engine/dsig_*.c)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/dsig.h"
#include "util/strbuf.h"

static void test_tags(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *tag, *value;
	} t[] = {
	    {"a=rsa-sha256; b=abc", true, "b", "abc"},
	    {" a = x ;b=\r\n\t y z ;", true, "b", "y z"},
	    {"v=1;", true, "v", "1"},
	    {"h=;", true, "h", ""},
	    {"a=1;; b=2", false, NULL, NULL},	 /* an empty tag-spec inside */
	    {"a=1; a=2", false, NULL, NULL},	 /* a tag twice */
	    {"a=1; 9b=2", false, NULL, NULL},	 /* a name must start with a letter */
	    {"a=1; novalue", false, NULL, NULL}, /* no "=" */
	    {"x_y=1", true, "x_y", "1"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dsig_tags tags;
		const char *why = NULL;
		enum dsig_rc rc = dsig_tags_parse(t[i].in, &tags, &why);

		if ((rc == DSIG_OK) != t[i].ok)
			print_message("dsig_tags_parse(\"%s\") = %d (%s)\n", t[i].in, rc,
				      why ? why : "");
		assert_int_equal(rc == DSIG_OK, t[i].ok);
		if (!t[i].ok) {
			assert_non_null(why);
			continue;
		}
		assert_string_equal(dsig_tag(&tags, t[i].tag), t[i].value);
		assert_null(dsig_tag(&tags, "zz"));
		dsig_tags_clear(&tags);
	}
}

/* RFC 6376 3.4.5: the example, both canonicalizations. */
static void test_canon_header(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	dsig_canon_header(&sb, DSIG_RELAXED, "A", " X", true);
	dsig_canon_header(&sb, DSIG_RELAXED, "B ", " Y\t\r\n\tZ  ", true);
	assert_string_equal(strbuf_str(&sb), "a:X\r\nb:Y Z\r\n");
	strbuf_reset(&sb);
	dsig_canon_header(&sb, DSIG_SIMPLE, "A", " X", true);
	dsig_canon_header(&sb, DSIG_SIMPLE, "B ", " Y\t\n\tZ  ", false);
	assert_string_equal(strbuf_str(&sb), "A: X\r\nB : Y\t\r\n\tZ  ");
	strbuf_free(&sb);
}

static void test_strip_b(void **state)
{
	char *s = dsig_strip_b(" a=1; bh=AAAA; b=Zm9v\r\n YmFy ; d=x");

	assert_string_equal(s, " a=1; bh=AAAA; b=; d=x");
	free(s);
	s = dsig_strip_b("b=abc");
	assert_string_equal(s, "b=");
	free(s);
}

/* The header input: h= picks instances from the bottom up, a missing name
 * adds nothing, and the signature field ends without CRLF. */
static void test_header_input(void **state)
{
	const struct dsig_hdr h[] = {
	    {"From", " biz"}, {"Foo", " bar"}, {"From", " baz"}, {"Subject", " boring"}};
	struct strbuf sb = STRBUF_INIT;

	assert_int_equal(dsig_header_input(&sb, DSIG_RELAXED, h, 4, "from:subject:to:from", "X-Sig",
					   " a=1; b=zz"),
			 DSIG_OK);
	assert_string_equal(strbuf_str(&sb), "from:baz\r\nsubject:boring\r\nfrom:biz\r\n"
					     "x-sig:a=1; b=");
	strbuf_free(&sb);
}

static unsigned long long body_len(enum dsig_canon c, long long l, const char *body, size_t chunk)
{
	struct dsig_body *b = dsig_body_new(c, l);
	unsigned char d[DSIG_DIGEST_LEN];
	unsigned long long total;
	size_t n = strlen(body), i;

	for (i = 0; i < n; i += chunk)
		dsig_body_feed(b, (const unsigned char *)body + i, n - i < chunk ? n - i : chunk);
	dsig_body_final(b, d, &total);
	dsig_body_free(b);
	return total;
}

/* Body canonicalization: lengths at every chunk size, and the RFC 6376
 * 3.4.5 example's hashes against each other. */
static void test_body(void **state)
{
	static const struct {
		const char *body;
		unsigned long long simple, relaxed;
	} t[] = {
	    {"", 2, 0},
	    {"\r\n\r\n", 2, 0},
	    {" C \r\nD \t E\r\n\r\n\r\n", 12, 9}, /* RFC 6376 3.4.5 */
	    {"x", 3, 3},
	    {"x \t", 5, 3},
	    {"a\nb\n", 6, 6},	/* a bare LF ends a line */
	    {"a\rb\r\n", 5, 5}, /* a bare CR is data */
	};
	size_t i, chunk;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (chunk = 1; chunk <= 8; chunk++) {
			assert_int_equal(body_len(DSIG_SIMPLE, -1, t[i].body, chunk), t[i].simple);
			assert_int_equal(body_len(DSIG_RELAXED, -1, t[i].body, chunk),
					 t[i].relaxed);
		}
}

static void digest(enum dsig_canon c, long long l, const char *body, unsigned char *d)
{
	struct dsig_body *b = dsig_body_new(c, l);

	dsig_body_feed(b, (const unsigned char *)body, strlen(body));
	dsig_body_final(b, d, NULL);
	dsig_body_free(b);
}

static void test_body_length(void **state)
{
	unsigned char a[DSIG_DIGEST_LEN], b[DSIG_DIGEST_LEN];

	/* l=8: what comes after the first 8 canonical bytes is not hashed */
	digest(DSIG_RELAXED, 8, "Hello.\r\n", a);
	digest(DSIG_RELAXED, 8, "Hello.\r\nWire the money.\r\n", b);
	assert_memory_equal(a, b, DSIG_DIGEST_LEN);
	digest(DSIG_RELAXED, -1, "Hello.\r\nWire the money.\r\n", b);
	assert_memory_not_equal(a, b, DSIG_DIGEST_LEN);
	/* relaxed: WSP runs do not change the hash, simple: they do */
	digest(DSIG_RELAXED, -1, "a  b\r\n", a);
	digest(DSIG_RELAXED, -1, "a b \r\n\r\n", b);
	assert_memory_equal(a, b, DSIG_DIGEST_LEN);
	digest(DSIG_SIMPLE, -1, "a  b\r\n", a);
	digest(DSIG_SIMPLE, -1, "a b\r\n", b);
	assert_memory_not_equal(a, b, DSIG_DIGEST_LEN);
}

/* RFC 8463 A.2's ed25519 key, and records that are not keys. */
static void test_keys(void **state)
{
	static const char *const bad[] = {
	    "v=DKIM2; p=AAAA",	      "k=dsa; p=AAAA",
	    "h=sha1; p=AAAA",	      "s=tlsrpt; p=AAAA",
	    "v=DKIM1; k=rsa",	      "v=DKIM1; k=rsa; p=",
	    "v=DKIM1; k=rsa; p=!!!!", "v=DKIM1; k=ed25519; p=AAAA",
	};
	struct dsig_key k;
	size_t i;

	assert_int_equal(dsig_key_parse("v=DKIM1; k=ed25519; "
					"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
					1024, &k),
			 DSIG_OK);
	assert_true(k.ed25519);
	assert_int_equal(k.bits, 256);
	dsig_key_clear(&k);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dsig_key_parse(bad[i], 1024, &k), DSIG_FAIL);
		assert_true(k.why[0] != '\0');
		dsig_key_clear(&k);
	}
}

/* RFC 8463 A.3: the ed25519-sha256 signature of the example message,
 * verified from its header input, and refused when one byte changes. */
static void test_verify_rfc8463(void **state)
{
	static const char *const b = "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus"
				     "Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
	const struct dsig_hdr h[] = {
	    {"From", " Joe SixPack <joe@football.example.com>"},
	    {"To", " Suzie Q <suzie@shopping.example.net>"},
	    {"Subject", " Is dinner ready?"},
	    {"Date", " Fri, 11 Jul 2003 21:00:37 -0700 (PDT)"},
	    {"Message-ID", " <20030712040037.46341.5F8J@football.example.com>"},
	};
	const char *sig = " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
			  " d=football.example.com; i=@football.example.com;\r\n"
			  " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
			  " subject : date : message-id : from : subject : date;\r\n"
			  " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
			  " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
			  " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";
	struct strbuf in = STRBUF_INIT;
	struct dsig_key k;
	unsigned char d[DSIG_DIGEST_LEN];
	size_t n = 0;
	unsigned char *bh = dsig_base64("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", &n);

	digest(DSIG_RELAXED, -1,
	       "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n", d);
	assert_int_equal(n, DSIG_DIGEST_LEN);
	assert_memory_equal(bh, d, DSIG_DIGEST_LEN);
	free(bh);
	assert_int_equal(dsig_key_parse("v=DKIM1; k=ed25519; "
					"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
					1024, &k),
			 DSIG_OK);
	assert_int_equal(dsig_header_input(&in, DSIG_RELAXED, h, 5,
					   "from : to : subject : date : message-id : from : "
					   "subject : date",
					   "DKIM-Signature", sig),
			 DSIG_OK);
	assert_int_equal(dsig_verify(&k, DSIG_ALG_ED25519_SHA256, in.s, in.len, b, NULL), DSIG_OK);
	assert_int_equal(dsig_verify(&k, DSIG_ALG_RSA_SHA256, in.s, in.len, b, NULL), DSIG_FAIL);
	assert_int_equal(dsig_verify(&k, DSIG_ALG_RSA_SHA1, in.s, in.len, b, NULL), DSIG_FAIL);
	in.s[3] ^= 1;
	assert_int_equal(dsig_verify(&k, DSIG_ALG_ED25519_SHA256, in.s, in.len, b, NULL),
			 DSIG_FAIL);
	strbuf_free(&in);
	dsig_key_clear(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tags),    cmocka_unit_test(test_canon_header),
	    cmocka_unit_test(test_strip_b), cmocka_unit_test(test_header_input),
	    cmocka_unit_test(test_body),    cmocka_unit_test(test_body_length),
	    cmocka_unit_test(test_keys),    cmocka_unit_test(test_verify_rfc8463),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
