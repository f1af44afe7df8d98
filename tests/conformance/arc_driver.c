/*
 * arc_driver - run the ARC verifier on message files (conformance and
 * integration tests)
 *
 * SYNOPSIS
 *	arc_driver --dns IP@PORT [--timeout S] [--min-key-bits N] [--max-sets N]
 *	           [--chunk N] FILE...
 *
 * DESCRIPTION
 *	For each FILE (LF or CRLF line ends), feeds the header fields one by
 *	one (the value after the colon, folds kept), then the body in chunks
 *	of --chunk bytes (default 7, to exercise streaming), and prints one
 *	line: FILE TAB result TAB sets TAB oldest-pass TAB dns_error(0/1) TAB
 *	seals TAB reason, where seals is "i:d:s:cv:valid" for each seal,
 *	comma-separated ("-" for none). Exit 0, or 2 on usage or setup errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "engine/arc.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static int read_file(const char *path, struct strbuf *out)
{
	char buf[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(out, buf, n);
	fclose(f);
	return 0;
}

/* The end of the line starting at p (at its LF or at end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? nl : end;
}

/* Feeds the header fields of [s, end); returns where the body starts. */
static const char *feed_headers(struct arcv *a, const char *s, const char *end)
{
	struct strbuf name = STRBUF_INIT, value = STRBUF_INIT;
	const char *p = s;
	bool have = false;

	while (p < end) {
		const char *e = line_end(p, end), *le = e;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* the empty line */
			p = e < end ? e + 1 : e;
			break;
		}
		if ((*p == ' ' || *p == '\t') && have) {
			strbuf_add(&value, "\r\n", 2);
			strbuf_add(&value, p, (size_t)(le - p));
		} else {
			const char *colon = memchr(p, ':', (size_t)(le - p));

			if (have)
				arcv_header(a, strbuf_str(&name), strbuf_str(&value));
			strbuf_reset(&name);
			strbuf_reset(&value);
			if (colon == NULL) { /* not a header field: the body starts */
				have = false;
				break;
			}
			strbuf_add(&name, p, (size_t)(colon - p));
			strbuf_add(&value, colon + 1, (size_t)(le - colon - 1));
			have = true;
		}
		p = e < end ? e + 1 : e;
	}
	if (have)
		arcv_header(a, strbuf_str(&name), strbuf_str(&value));
	strbuf_free(&name);
	strbuf_free(&value);
	return p;
}

int main(int argc, char **argv)
{
	const char *dns = NULL;
	double timeout = 2.0;
	struct arc_opts opts = {ARC_MAX_SETS, 1024, true};
	size_t chunk = 7;
	struct resolver_opts ro = {0};
	struct am_err err = {{0}};
	struct resolver *r;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--dns") == 0)
			dns = argv[i + 1];
		else if (strcmp(argv[i], "--timeout") == 0)
			timeout = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--min-key-bits") == 0)
			opts.min_key_bits = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--max-sets") == 0)
			opts.max_sets = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--chunk") == 0)
			chunk = (size_t)atoi(argv[i + 1]);
	}
	if (dns == NULL || i >= argc || chunk == 0) {
		fprintf(stderr, "usage: arc_driver --dns IP@PORT [--timeout S] [--min-key-bits N]"
				" [--max-sets N] [--chunk N] FILE...\n");
		return 2;
	}
	ro.nameservers = &dns;
	ro.n_nameservers = 1;
	ro.timeout = timeout;
	ro.no_cache = true;
	r = resolver_new(&ro, &err);
	if (r == NULL) {
		fprintf(stderr, "arc_driver: %s\n", err.msg);
		return 2;
	}
	for (; i < argc; i++) {
		struct strbuf msg = STRBUF_INIT, seals = STRBUF_INIT;
		struct arcv *a = arcv_new(r, &opts);
		struct arc_outcome out;
		const char *body, *end;
		size_t k;

		if (read_file(argv[i], &msg) != 0) {
			fprintf(stderr, "arc_driver: cannot read %s\n", argv[i]);
			return 2;
		}
		end = strbuf_str(&msg) + msg.len;
		body = feed_headers(a, strbuf_str(&msg), end);
		arcv_eoh(a);
		while (body < end) {
			size_t n = (size_t)(end - body) < chunk ? (size_t)(end - body) : chunk;

			arcv_body(a, (const unsigned char *)body, n);
			body += n;
		}
		arcv_eom(a, &out);
		for (k = 0; k < out.n_seals; k++)
			strbuf_addf(&seals, "%s%u:%s:%s:%s:%d", k ? "," : "", out.seals[k].instance,
				    out.seals[k].domain, out.seals[k].selector, out.seals[k].cv,
				    out.seals[k].valid);
		printf("%s\t%s\t%u\t%d\t%d\t%s\t%s\n", argv[i], arc_result_name(out.result),
		       out.sets, out.oldest_pass, out.dns_error, seals.len ? seals.s : "-",
		       out.reason);
		arc_outcome_clear(&out);
		arcv_free(a);
		strbuf_free(&msg);
		strbuf_free(&seals);
	}
	resolver_free(r);
	return 0;
}
