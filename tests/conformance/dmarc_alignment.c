/*
 * dmarc_alignment - OpenDMARC's alignment, organizational-domain and
 * From-domain tables ($CONFORMANCE_DIR/dmarc/opendmarc-alignment-tld-
 * finddomain.tsv) against dmarc_aligned(), dmarc_org_domain() and
 * from_parse()
 *
 *  - check_alignment(sub,org,mode): 0 = aligned. The same ten rows appear
 *    once per PSL file; each distinct row is run once with the Debian PSL.
 *  - get_tld(domain): only the rows for the Debian PSL (the others describe
 *    OpenDMARC without a list or with its private 2012 test list; counted
 *    in a diagnostic line, not run).
 *  - util_finddomain(raw): the From domain. Where OpenDMARC's extractor
 *    guesses (several addresses, unbalanced brackets, a group without ';',
 *    a display name without <>), from_parse() refuses by design: the line
 *    asserts the intended status and names the rule.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_tap.h"
#include "engine/dmarc.h"
#include "engine/from.h"

#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

struct deviation {
	const char *in;
	enum from_status st;
	const char *rule;
};

static const struct deviation deviations[] = {
    {"<<<><joe@joe.com>>>", FROM_UNPARSEABLE, "unbalanced <> is unparseable, never guessed"},
    {"Joe Johnson <joe@joe.com>, ace@ace.com", FROM_MULTI_DOMAIN,
     "CVE-2019-16378: every From address counts, not the first"},
    {"joe@joe.com, ace@ace.com", FROM_MULTI_DOMAIN,
     "CVE-2019-16378: every From address counts, not the first"},
    {"Mail From:<joe@joe.com>", FROM_UNPARSEABLE, "RFC 5322 3.4: a group must end with ;"},
    {"From: Davide D'Marco <user@blah.com>", FROM_UNPARSEABLE,
     "RFC 5322 3.4: a group must end with ;"},
    {"\"Johnson, Joe <joe@joe.com>\" joe@joe.com", FROM_UNPARSEABLE,
     "RFC 5322 3.4: a display name needs an <angle-addr>"},
    {"\"( bob@bob.com)\" joe@joe.com", FROM_UNPARSEABLE,
     "RFC 5322 3.4: a display name needs an <angle-addr>"},
};

static const struct deviation *find_deviation(const char *in)
{
	size_t i;

	for (i = 0; i < sizeof(deviations) / sizeof(deviations[0]); i++)
		if (!strcmp(deviations[i].in, in))
			return &deviations[i];
	return NULL;
}

static void run_finddomain(const char *in, const char *want)
{
	const struct deviation *dev = find_deviation(in);
	struct from_result fr;

	from_parse(in, &fr);
	if (dev != NULL) {
		bool intended = fr.status == dev->st;

		tap_line(intended, NULL, "From [%s] -> %s, upstream %s; rule: %s", in,
			 from_status_name(fr.status), want, dev->rule);
	} else {
		bool ok = fr.status == FROM_OK && !strcmp(fr.domain, want);

		tap_line(ok, NULL, "From [%s] -> %s %s (expected %s)", in,
			 from_status_name(fr.status), fr.domain ? fr.domain : "", want);
	}
	from_result_clear(&fr);
}

static void run_alignment(const struct dmarc_ctx *dc, char **f)
{
	static char seen[64][256];
	static size_t nseen;
	char key[256];
	size_t i;
	bool want = !strcmp(f[5], "0"), got = dmarc_aligned(dc, f[2], f[3], !strcmp(f[4], "s"));
	bool dots = strstr(f[2], "..") || f[2][0] == '.' || strstr(f[3], "..") || f[3][0] == '.';

	snprintf(key, sizeof(key), "%s|%s|%s", f[2], f[3], f[4]);
	for (i = 0; i < nseen; i++)
		if (!strcmp(seen[i], key))
			return;
	if (nseen < 64)
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
	if (dots && want) {
		tap_line(
		    !got, NULL,
		    "align %s %s mode=%s: %s, OpenDMARC strips the dots and aligns; rule: a name "
		    "with empty labels aligns with nothing (RFC 1035 2.3.1)",
		    f[2], f[3], f[4], got ? "aligned" : "not aligned");
		return;
	}
	tap_line(got == want, NULL, "align %s %s mode=%s: %s (expected %s)", f[2], f[3], f[4],
		 got ? "aligned" : "not aligned", want ? "aligned" : "not aligned");
}

static int skipped_tld; /* get_tld rows for OpenDMARC without the Debian PSL */

static void run_row(const struct dmarc_ctx *dc, char **f)
{
	if (!strncmp(f[0], "check_alignment", 15)) {
		run_alignment(dc, f);
	} else if (!strncmp(f[0], "get_tld", 7)) {
		char *got;

		if (strcmp(f[1], DEBIAN_PSL) != 0) {
			skipped_tld++;
			return;
		}
		got = dmarc_org_domain(dc, f[2]);
		if (!strcmp(f[2], "foo.bar.kawasaki.jp")) /* the only oracle is OpenDMARC */
			tap_line(
			    got && !strcmp(got, f[2]), NULL,
			    "org domain %s -> %s, OpenDMARC %s; rule: PSL wildcard *.kawasaki.jp "
			    "makes bar.kawasaki.jp a public suffix (OpenDMARC ignores wildcards)",
			    f[2], got ? got : "null", f[5]);
		else
			tap_line(got && !strcmp(got, f[5]), NULL,
				 "org domain %s -> %s (OpenDMARC %s)", f[2], got ? got : "null",
				 f[5]);
		free(got);
	} else if (!strncmp(f[0], "util_finddomain", 15)) {
		run_finddomain(f[2], f[6]);
	}
}

int main(void)
{
	char *path = conformance_path("dmarc/opendmarc-alignment-tld-finddomain.tsv");
	struct dmarc_ctx *dc;
	struct am_err err;
	char line[2048], *f[8];
	FILE *fp;

	if (path == NULL)
		return 0;
	dc = dmarc_ctx_new(AM_PSL_FILE, &err);
	fp = fopen(path, "r");
	if (dc == NULL || fp == NULL) {
		printf("Bail out! %s\n", dc ? path : err.msg);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if (line[0] != '#' && tsv_split(line, f, 8) >= 7)
			run_row(dc, f);
	fclose(fp);
	free(path);
	dmarc_ctx_free(dc);
	tap_diag("%d get_tld rows describe OpenDMARC without a PSL or with its private 2012 "
		 "test list; not applicable, not run",
		 skipped_tld);
	return tap_done();
}
