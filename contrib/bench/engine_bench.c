/*
 * engine_bench - verdicts per second of the engine on one thread
 *
 *	engine_bench -c CONF [-n ROUNDS] [-i IP] [-f MAILFROM] MESSAGE...
 *
 * Loads the messages into memory, runs each through the engine once to
 * warm the DNS cache, then runs ROUNDS passes over all of them and prints
 * the verdicts per second, microseconds per verdict, CPU time, and the
 * count of each action so equal work is visible. Messages are streamed to
 * the engine in 64 KiB body chunks, as the milter does.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/message.h"
#include "tools/msgread.h"
#include "util/xalloc.h"

struct blob {
	char *data;
	size_t len;
};

static struct blob load(const char *path)
{
	struct blob b = {NULL, 0};
	FILE *fp = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (fp == NULL) {
		perror(path);
		exit(3);
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		b.data = xrealloc(b.data, b.len + n);
		memcpy(b.data + b.len, buf, n);
		b.len += n;
	}
	fclose(fp);
	return b;
}

static int one(struct engine *eng, const struct envelope *env, const struct blob *b,
	       unsigned long counts[4])
{
	FILE *fp = fmemopen(b->data, b->len, "rb");
	struct message *m = message_new(eng, env);
	struct am_err err = {""};
	int rc = msgread_feed(fp, m, 1u << 20, &err);

	if (rc == 0)
		counts[message_eom(m)->action]++;
	message_free(m);
	fclose(fp);
	return rc;
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct envelope env = {"192.0.2.10", "mail.example.com", "alice@example.com", NULL, 0, NULL,
			       false};
	unsigned long counts[4] = {0, 0, 0, 0}, warm[4] = {0, 0, 0, 0};
	const char *conf = NULL;
	struct am_err err = {""};
	struct config *cfg;
	struct engine *eng;
	struct blob *msgs;
	int c, rounds = 20, n, i, r;
	double t0, c0, wall, cpu;

	while ((c = getopt(argc, argv, "c:n:i:f:")) != -1) {
		if (c == 'c')
			conf = optarg;
		else if (c == 'n')
			rounds = atoi(optarg);
		else if (c == 'i')
			env.client_ip = optarg;
		else if (c == 'f')
			env.mail_from = optarg;
		else
			return 2;
	}
	n = argc - optind;
	if (conf == NULL || n <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: engine_bench -c CONF [-n ROUNDS] MESSAGE...\n");
		return 2;
	}
	if ((cfg = config_load(conf, &err)) == NULL ||
	    (eng = engine_new(cfg, dmarc_ctx_new(AM_PSL_FILE, &err), &err)) == NULL) {
		fprintf(stderr, "engine_bench: %s\n", err.msg);
		return 2;
	}
	config_unref(cfg);
	msgs = xcalloc((size_t)n, sizeof(*msgs));
	for (i = 0; i < n; i++) {
		msgs[i] = load(argv[optind + i]);
		one(eng, &env, &msgs[i], warm); /* warms the DNS cache */
	}
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			one(eng, &env, &msgs[i], counts);
	wall = now(CLOCK_MONOTONIC) - t0;
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("messages          %d x %d rounds = %d verdicts\n", n, rounds, n * rounds);
	printf("verdicts/s        %.0f (wall %.3f s)\n", n * rounds / wall, wall);
	printf("us/verdict        %.1f wall, %.1f cpu\n", wall * 1e6 / (n * rounds),
	       cpu * 1e6 / (n * rounds));
	printf("actions           accept=%lu quarantine=%lu reject=%lu tempfail=%lu\n", counts[0],
	       counts[1], counts[2], counts[3]);
	for (i = 0; i < n; i++)
		free(msgs[i].data);
	free(msgs);
	engine_free(eng);
	return 0;
}
