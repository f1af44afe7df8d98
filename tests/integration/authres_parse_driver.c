/*
 * authres_parse_driver - format verdicts described on stdin
 *
 * SYNOPSIS
 *	authres_parse_driver < cases
 *
 * DESCRIPTION
 *	Each input line is one verdict, space-separated fields; a string is
 *	"x" followed by its bytes in hex ("x" alone is the empty string), "-"
 *	is NULL:
 *	  authserv_id spf_result spf_identity spf_domain spf_reason
 *	  helo_result helo_identity helo_reason author header_from
 *	  dmarc_result have_record p sp np pct testing policy applied
 *	  dmarc_reason n_dkim
 *	followed by n_dkim groups of
 *	  result domain selector algorithm b_prefix reason key_bits testing l
 *	For each line it prints "<hex of authres_format()> <authres_valid()>
 *	<hex of authres_read_authserv_id() or ->". Used by authres_parse.py,
 *	which holds the table and the expectations. Input lines are limited
 *	to 64 KiB.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/authres.h"
#include "util/xalloc.h"

#define LINE_MAX_BYTES 65536
#define STRINGS_MAX 128

struct reader {
	char *line; /* for the first strtok_r() call, then NULL */
	char *save;
	char *strings[STRINGS_MAX]; /* freed after each line */
	size_t n_strings;
	int bad;
};

static const char *next_field(struct reader *rd)
{
	const char *f = strtok_r(rd->line, " \n", &rd->save);

	rd->line = NULL;
	if (!f)
		rd->bad = 1;
	return f ? f : "-";
}

static long next_int(struct reader *rd)
{
	return strtol(next_field(rd), NULL, 10);
}

static char *next_str(struct reader *rd)
{
	const char *f = next_field(rd);
	size_t n, i;
	char *s;

	if (strcmp(f, "-") == 0)
		return NULL;
	if (f[0] != 'x' || rd->n_strings >= STRINGS_MAX) {
		rd->bad = 1;
		return NULL;
	}
	f++;
	n = strlen(f) / 2;
	s = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(f + 2 * i, "%2x", &v) != 1)
			rd->bad = 1;
		s[i] = (char)v;
	}
	s[n] = '\0';
	rd->strings[rd->n_strings++] = s;
	return s;
}

static void read_dkim(struct reader *rd, struct dkimv_sig *s)
{
	s->result = (enum dkimv_result)next_int(rd);
	s->domain = next_str(rd);
	s->selector = next_str(rd);
	s->algorithm = next_str(rd);
	s->b_prefix = next_str(rd);
	s->reason = next_str(rd);
	s->key_bits = (unsigned)next_int(rd);
	s->testing = next_int(rd) != 0;
	s->body_length = next_int(rd);
}

static void print_hex(const char *s)
{
	if (!s) {
		putchar('-');
		return;
	}
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
}

/* Formats the verdict on one input line; -1 on a malformed line. */
static int run_line(char *line)
{
	struct reader rd = {line, NULL, {NULL}, 0, 0};
	struct dkimv_sig sigs[AUTHRES_DKIM_MAX + 4];
	struct verdict v;
	const char *id;
	char *out, *rid;
	long n, i;

	memset(&v, 0, sizeof(v));
	memset(sigs, 0, sizeof(sigs));
	id = next_str(&rd);
	v.spf.result = (enum spf_result)next_int(&rd);
	v.spf.identity = next_str(&rd);
	v.spf.domain = next_str(&rd);
	v.spf.reason = next_str(&rd);
	v.spf_helo.result = (enum spf_result)next_int(&rd);
	v.spf_helo.identity = next_str(&rd);
	v.spf_helo.reason = next_str(&rd);
	v.author = (enum author_status)next_int(&rd);
	v.header_from = next_str(&rd);
	v.dmarc.result = (enum dmarc_result)next_int(&rd);
	v.dmarc.have_record = next_int(&rd) != 0;
	v.dmarc.rec.p = (enum dmarc_policy)next_int(&rd);
	v.dmarc.rec.sp = (enum dmarc_policy)next_int(&rd);
	v.dmarc.rec.np = (enum dmarc_policy)next_int(&rd);
	v.dmarc.rec.pct = (int)next_int(&rd);
	v.dmarc.rec.testing = next_int(&rd) != 0;
	v.dmarc.policy = (enum dmarc_policy)next_int(&rd);
	v.dmarc.applied = (enum dmarc_policy)next_int(&rd);
	v.dmarc.reason = next_str(&rd);
	n = next_int(&rd);
	if (n < 0 || n > (long)(sizeof(sigs) / sizeof(sigs[0])))
		rd.bad = 1;
	for (i = 0; !rd.bad && i < n; i++)
		read_dkim(&rd, &sigs[i]);
	v.dkim = sigs;
	v.n_dkim = rd.bad ? 0 : (size_t)n;

	if (!rd.bad) {
		out = authres_format(id, &v);
		rid = authres_read_authserv_id(out);
		print_hex(out);
		printf(" %d ", authres_valid(out) ? 1 : 0);
		print_hex(rid);
		putchar('\n');
		free(out);
		free(rid);
	}
	for (i = 0; i < (long)rd.n_strings; i++)
		free(rd.strings[i]);
	return rd.bad ? -1 : 0;
}

int main(void)
{
	static char line[LINE_MAX_BYTES];

	while (fgets(line, sizeof(line), stdin)) {
		if (!strchr(line, '\n') || run_line(line) < 0) {
			fprintf(stderr, "authres_parse_driver: malformed input line\n");
			return 1;
		}
	}
	return fflush(stdout) != 0 ? 1 : 0;
}
