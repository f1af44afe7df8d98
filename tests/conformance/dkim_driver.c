/*
 * dkim_driver - run the DKIM verifier on message files (conformance and
 * integration tests)
 *
 * SYNOPSIS
 *	dkim_driver --dns IP@PORT [--timeout S] [--min-key-bits N]
 *	            [--max-sigs N] [--chunk N] [--threads N] FILE...
 *
 * DESCRIPTION
 *	For each FILE (LF or CRLF line ends), splits the header fields from
 *	the body, feeds the fields one by one (value after the colon, line
 *	ends kept), then the body in chunks of --chunk bytes (default 7, to
 *	exercise streaming), and prints one line per signature:
 *	  FILE TAB index TAB result TAB d TAB s TAB a TAB key_bits TAB
 *	  testing(0/1) TAB l(-1 = none) TAB b_prefix TAB reason
 *	or "FILE TAB - TAB none" when the message has no DKIM-Signature.
 *	--threads N verifies all the files in N threads at once, sharing one
 *	resolver and one dkimv_lib, and prints the output once; exit 3 when
 *	the threads' outputs differ.
 *	Exit 0, or 2 on usage or setup errors.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "engine/dkim.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct driver_opts {
	const char *dns;
	double timeout;
	unsigned min_bits, max_sigs;
	size_t chunk;
	unsigned threads;
};

struct driver_job {
	struct dkimv_lib *lib;
	char **files;
	int nfiles;
	size_t chunk;
	struct strbuf out;
	int rc;
};

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

/* Length of the line starting at p (through its LF), or to end. */
static size_t line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? (size_t)(nl - p + 1) : (size_t)(end - p);
}

static bool is_blank_line(const char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Feeds the header fields; returns the offset of the body. */
static size_t feed_headers(struct dkimv *v, const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len, *field, *colon;
	size_t n;
	char *name, *value;

	while (p < end) {
		n = line_len(p, end);
		if (is_blank_line(p, n))
			return (size_t)(p + n - msg);
		field = p;
		p += n;
		while (p < end && (*p == ' ' || *p == '\t'))
			p += line_len(p, end);
		colon = memchr(field, ':', (size_t)(p - field));
		if (colon == NULL)
			continue;
		name = xmemdup0(field, (size_t)(colon - field));
		value = xmemdup0(colon + 1, (size_t)(p - colon - 1));
		dkimv_header(v, name, value);
		free(name);
		free(value);
	}
	return len;
}

static void print_sigs(struct strbuf *out, const char *path, const struct dkimv_sig *sigs, size_t n)
{
	size_t i;

	if (n == 0)
		strbuf_addf(out, "%s\t-\tnone\n", path);
	for (i = 0; i < n; i++)
		strbuf_addf(out, "%s\t%zu\t%s\t%s\t%s\t%s\t%u\t%d\t%ld\t%s\t%s\n", path, i,
			    dkimv_result_name(sigs[i].result), sigs[i].domain, sigs[i].selector,
			    sigs[i].algorithm, sigs[i].key_bits, sigs[i].testing ? 1 : 0,
			    sigs[i].body_length, sigs[i].b_prefix, sigs[i].reason);
}

static int verify_file(struct dkimv_lib *lib, const char *path, size_t chunk, struct strbuf *out)
{
	struct strbuf msg = STRBUF_INIT;
	struct dkimv *v;
	const struct dkimv_sig *sigs;
	size_t off, n, k;

	if (read_file(path, &msg) != 0) {
		fprintf(stderr, "dkim_driver: cannot read %s\n", path);
		return -1;
	}
	v = dkimv_new(lib);
	off = feed_headers(v, strbuf_str(&msg), msg.len);
	dkimv_eoh(v);
	for (; off < msg.len; off += k) {
		k = msg.len - off < chunk ? msg.len - off : chunk;
		dkimv_body(v, (const unsigned char *)msg.s + off, k);
	}
	dkimv_eom(v, &sigs, &n);
	print_sigs(out, path, sigs, n);
	dkimv_free(v);
	strbuf_free(&msg);
	return 0;
}

static int parse_args(int argc, char **argv, struct driver_opts *o)
{
	int i;

	for (i = 1; i < argc - 1 && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--dns") == 0)
			o->dns = argv[i + 1];
		else if (strcmp(argv[i], "--timeout") == 0)
			o->timeout = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--min-key-bits") == 0)
			o->min_bits = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--max-sigs") == 0)
			o->max_sigs = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--chunk") == 0)
			o->chunk = (size_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			o->threads = (unsigned)atoi(argv[i + 1]);
		else
			return -1;
	}
	return o->dns == NULL || o->chunk == 0 || o->threads == 0 || o->threads > 64 || i >= argc
		   ? -1
		   : i;
}

static void *run_job(void *arg)
{
	struct driver_job *job = arg;
	int i;

	for (i = 0; i < job->nfiles; i++) {
		if (verify_file(job->lib, job->files[i], job->chunk, &job->out) != 0)
			job->rc = 2;
	}
	return NULL;
}

/* Runs the files in o->threads threads; 0, 2 (unreadable file), 3 (differ). */
static int run_threads(struct dkimv_lib *lib, const struct driver_opts *o, char **files, int nfiles)
{
	struct driver_job *jobs = xcalloc(o->threads, sizeof(*jobs));
	pthread_t *tids = xcalloc(o->threads, sizeof(*tids));
	unsigned t;
	int rc = 0;

	for (t = 0; t < o->threads; t++) {
		jobs[t] = (struct driver_job){lib, files, nfiles, o->chunk, STRBUF_INIT, 0};
		if (pthread_create(&tids[t], NULL, run_job, &jobs[t]) != 0) {
			fprintf(stderr, "dkim_driver: pthread_create failed\n");
			exit(2);
		}
	}
	for (t = 0; t < o->threads; t++)
		pthread_join(tids[t], NULL);
	fputs(strbuf_str(&jobs[0].out), stdout);
	for (t = 0; t < o->threads; t++) {
		if (jobs[t].rc != 0)
			rc = jobs[t].rc;
		else if (strcmp(strbuf_str(&jobs[t].out), strbuf_str(&jobs[0].out)) != 0) {
			fprintf(stderr, "thread %u differs from thread 0:\n%s", t,
				strbuf_str(&jobs[t].out));
			rc = 3;
		}
	}
	for (t = 0; t < o->threads; t++)
		strbuf_free(&jobs[t].out);
	free(jobs);
	free(tids);
	return rc;
}

int main(int argc, char **argv)
{
	struct driver_opts o = {NULL, 2.0, 0, 0, 7, 1};
	struct resolver_opts ro = {0};
	struct dkimv_opts dopts = {0};
	struct am_err err = {{0}};
	struct resolver *r;
	struct dkimv_lib *lib;
	int first = parse_args(argc, argv, &o), rc;

	if (first < 0) {
		fprintf(stderr, "usage: dkim_driver --dns IP@PORT [--timeout S] [--min-key-bits N]"
				" [--max-sigs N] [--chunk N] [--threads N] FILE...\n");
		return 2;
	}
	ro.nameservers = &o.dns;
	ro.n_nameservers = 1;
	ro.timeout = o.timeout;
	ro.no_cache = true;
	r = resolver_new(&ro, &err);
	if (r == NULL) {
		fprintf(stderr, "dkim_driver: %s\n", err.msg);
		return 2;
	}
	dopts.min_key_bits = o.min_bits;
	dopts.max_signatures = o.max_sigs;
	dopts.dns_timeout = o.timeout;
	lib = dkimv_lib_new(r, &dopts, &err);
	if (lib == NULL) {
		fprintf(stderr, "dkim_driver: %s\n", err.msg);
		resolver_free(r);
		return 2;
	}
	rc = run_threads(lib, &o, argv + first, argc - first);
	dkimv_lib_free(lib);
	resolver_free(r);
	return rc;
}
