/*
 * test_authres_verdict - verdict_new(), verdict_free() and the name tables
 *
 * verdict_free() must free everything the verdict owns: the test fills
 * every owned pointer with heap strings and checks with glibc's
 * mallinfo2() that the bytes in use return to where they were. Chunks in
 * glibc's thread cache count as in use, so main() re-executes itself with
 * the cache turned off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
 */
#include "config.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/verdict.h"
#include "util/xalloc.h"

static void test_new_zeroed(void **state)
{
	struct verdict *v = verdict_new();

	(void)state;
	assert_non_null(v);
	assert_int_equal(v->spf.result, SPF_RESULT_NONE);
	assert_int_equal(v->iprev.result, IPREV_RESULT_NONE);
	assert_int_equal(v->dmarc.result, DMARC_RESULT_NONE);
	assert_int_equal(v->action, ACTION_ACCEPT);
	assert_null(v->dkim);
	assert_int_equal(v->n_dkim, 0);
	assert_null(v->authres);
	verdict_free(v);
	verdict_free(NULL);
}

static void fill_sig(struct dkimv_sig *s, int k)
{
	s->domain = xasprintf("d%d.example", k);
	s->selector = xasprintf("s%d", k);
	s->algorithm = xstrdup("rsa-sha256");
	s->b_prefix = xstrdup("abcdEFGH");
	s->reason = xasprintf("reason %d", k);
}

/* Builds a verdict with every owned pointer set, frees it. */
static void make_and_free(size_t n_dkim)
{
	struct verdict *v = verdict_new();
	size_t i;

	v->spf.identity = xstrdup("user@example.com");
	v->spf.domain = xstrdup("example.com");
	v->spf.explanation = xstrdup("see https://example.com/why");
	v->spf.reason = xstrdup("matched -all");
	v->spf_helo.identity = xstrdup("mail.example.com");
	v->spf_helo.domain = xstrdup("mail.example.com");
	v->spf_helo.reason = xstrdup("no record");
	v->iprev.ip = xstrdup("192.0.2.1");
	v->iprev.name = xstrdup("mail.example.com");
	v->iprev.reason = xstrdup("mail.example.com maps back to 192.0.2.1");
	v->dkim = xcalloc(n_dkim ? n_dkim : 1, sizeof(*v->dkim));
	v->n_dkim = n_dkim;
	for (i = 0; i < n_dkim; i++)
		fill_sig(&v->dkim[i], (int)i);
	v->header_from = xstrdup("example.com");
	v->dmarc.from_domain = xstrdup("example.com");
	v->dmarc.policy_domain = xstrdup("example.com");
	v->dmarc.org_domain = xstrdup("example.com");
	v->dmarc.record = xstrdup("v=DMARC1; p=reject");
	v->dmarc.rec.rua = xstrdup("mailto:a@example.com");
	v->dmarc.rec.ruf = xstrdup("mailto:f@example.com");
	v->dmarc.rec.fo = xstrdup("1");
	v->dmarc.reason = xstrdup("aligned");
	v->smtp_rcode = xstrdup("550");
	v->smtp_xcode = xstrdup("5.7.26");
	v->smtp_text = xstrdup("rejected by DMARC policy");
	v->reason = xstrdup("dmarc_reject");
	v->authres = xstrdup(" mx.example.org; none");
	v->explanation = xstrdup("one sentence.\nanother.");
	verdict_free(v);
}

static void test_free_everything(void **state)
{
	size_t n;

	(void)state;
	make_and_free(1); /* warm up the allocator's own bookkeeping */
	for (n = 0; n <= 7; n++) {
		size_t before = mallinfo2().uordblks, after;

		make_and_free(n);
		after = mallinfo2().uordblks;
		if (after != before)
			fail_msg("%zu signatures: %zu bytes in use before, %zu after verdict_free",
				 n, before, after);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(action_name(ACTION_ACCEPT), "accept");
	assert_string_equal(action_name(ACTION_QUARANTINE), "quarantine");
	assert_string_equal(action_name(ACTION_REJECT), "reject");
	assert_string_equal(action_name(ACTION_TEMPFAIL), "tempfail");
	assert_string_equal(action_name((enum action)99), "unknown");
	assert_string_equal(author_status_name(AUTHOR_OK), "ok");
	assert_string_equal(author_status_name(AUTHOR_NO_FROM), "no_from");
	assert_string_equal(author_status_name(AUTHOR_MULTI_FROM), "multi_from");
	assert_string_equal(author_status_name(AUTHOR_MULTI_DOMAIN), "multi_domain");
	assert_string_equal(author_status_name(AUTHOR_UNPARSEABLE), "unparseable");
	assert_string_equal(author_status_name((enum author_status)99), "unknown");
}

int main(int argc, char **argv)
{
	static const char tunable[] = "glibc.malloc.tcache_count=0";
	const char *cur = getenv("GLIBC_TUNABLES");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_zeroed),
	    cmocka_unit_test(test_free_everything),
	    cmocka_unit_test(test_names),
	};

	(void)argc;
	if (!cur || strcmp(cur, tunable) != 0) {
		setenv("GLIBC_TUNABLES", tunable, 1);
		execv("/proc/self/exe", argv);
		perror("test_authres_verdict: execv /proc/self/exe");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
