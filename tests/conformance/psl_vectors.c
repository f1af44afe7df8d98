/*
 * psl_vectors - dmarc_org_domain() against the official PSL test vectors
 *
 * Reads /usr/share/doc/publicsuffix/examples/test_psl.txt (Debian's
 * publicsuffix package; PSL_TEST_FILE overrides) lines of the form
 * checkPublicSuffix('input', 'expected') with null for "no registrable
 * domain", and compares our organizational domain (libpsl, after our own
 * normalization) with the expected one. Then, for the vectors
 * libopendmarc 1.4.2 gets wrong ($CONFORMANCE_DIR/psl/
 * test_psl-vs-opendmarc.tsv, "DIFF" rows), says that we get them right.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_tap.h"
#include "engine/dmarc.h"

#define DEFAULT_VECTORS "/usr/share/doc/publicsuffix/examples/test_psl.txt"

/* Reads a quoted argument or null at *p; returns NULL for null. */
static char *arg(char **p)
{
	char *s = *p, *e;

	while (*s == ' ' || *s == ',' || *s == '(')
		s++;
	if (!strncmp(s, "null", 4)) {
		*p = s + 4;
		return NULL;
	}
	if (*s != '\'')
		return NULL;
	e = strchr(s + 1, '\'');
	if (e == NULL)
		return NULL;
	*e = '\0';
	*p = e + 1;
	return s + 1;
}

static void check(const struct dmarc_ctx *dc, const char *in, const char *want, const char *tag)
{
	char *got = dmarc_org_domain(dc, in);
	bool ok = (got == NULL) == (want == NULL) && (got == NULL || !strcmp(got, want));

	tap_line(ok, NULL, "%s%s -> %s (expected %s)", tag, in ? in : "null", got ? got : "null",
		 want ? want : "null");
	free(got);
}

static void run_opendmarc_diffs(const struct dmarc_ctx *dc)
{
	char *path =
	    getenv("CONFORMANCE_DIR") ? conformance_path("psl/test_psl-vs-opendmarc.tsv") : NULL;
	char line[1024], *f[6];
	FILE *fp;

	if (path == NULL || (fp = fopen(path, "r")) == NULL) {
		tap_diag("test_psl-vs-opendmarc.tsv not found; OpenDMARC comparison skipped");
		free(path);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || tsv_split(line, f, 6) < 5 || strcmp(f[4], "DIFF") != 0)
			continue;
		check(dc, f[0], !strcmp(f[1], "null") ? NULL : f[1],
		      "libopendmarc got this wrong: ");
	}
	fclose(fp);
	free(path);
}

int main(void)
{
	const char *vec = getenv("PSL_TEST_FILE") ? getenv("PSL_TEST_FILE") : DEFAULT_VECTORS;
	struct dmarc_ctx *dc;
	struct am_err err;
	char line[1024];
	FILE *fp = fopen(vec, "r");

	if (fp == NULL) {
		printf("1..0 # SKIP skipped: PSL test vectors not found (%s)\n", vec);
		return 0;
	}
	dc = dmarc_ctx_new(AM_PSL_FILE, &err);
	if (dc == NULL) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = strstr(line, "checkPublicSuffix("), *in, *want;

		if (p == NULL || strncmp(line, "checkPublicSuffix(", 18) != 0)
			continue; /* comments and commented-out vectors */
		p += 17;
		in = arg(&p);
		want = arg(&p);
		check(dc, in, want, "");
	}
	fclose(fp);
	run_opendmarc_diffs(dc);
	dmarc_ctx_free(dc);
	return tap_done();
}
