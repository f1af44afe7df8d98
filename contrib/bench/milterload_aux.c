/*
 * milterload_aux.c - options, message list, latencies and the table of
 * milterload (see milterload.c for the usage)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milterload.h"

void ml_die(const char *fmt, ...)
{
	va_list ap;

	fputs("milterload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *ml_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL)
		ml_die("out of memory");
	return p;
}

static void usage(void)
{
	ml_die("usage: milterload -s SOCKET [-c 1,8,64,256] [-d SECONDS] [-n MESSAGES]\n"
	       "       [-m PER_CONNECTION] [-r RATE] [-t TIMEOUT] [-p PID] [-N] [-Q] LISTFILE");
}

/* Parses "1,8,64" into o->levels (each 1..4096). */
static void levels_parse(struct opts *o, const char *s)
{
	char *end;
	long v;

	o->nlevels = 0;
	while (*s) {
		v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 4096 || o->nlevels == MAX_LEVELS)
			usage();
		o->levels[o->nlevels++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			usage();
	}
}

/* SOCKET: inet:PORT@HOST, unix:PATH, local:PATH or PATH. */
static void sock_parse(struct opts *o)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	char port[16];
	const char *at;
	int rc;

	if (strncmp(o->sock, "inet:", 5) != 0 && strncmp(o->sock, "inet6:", 6) != 0) {
		o->is_unix = true;
		o->path = strchr(o->sock, ':') ? strchr(o->sock, ':') + 1 : o->sock;
		if (strlen(o->path) >= 108)
			ml_die("socket path too long: %s", o->path);
		return;
	}
	at = strchr(o->sock, '@');
	if (at == NULL || at - strchr(o->sock, ':') - 1 >= (long)sizeof(port))
		ml_die("bad socket %s (inet:PORT@HOST)", o->sock);
	snprintf(port, sizeof(port), "%.*s", (int)(at - strchr(o->sock, ':') - 1),
		 strchr(o->sock, ':') + 1);
	hints.ai_family = o->sock[4] == '6' ? AF_INET6 : AF_INET;
	rc = getaddrinfo(at + 1, port, &hints, &o->ai);
	if (rc != 0)
		ml_die("%s: %s", o->sock, gai_strerror(rc));
}

void opts_parse(int argc, char **argv, struct opts *o)
{
	char *end;
	int c;

	levels_parse(o, "1,8,64,256");
	while ((c = getopt(argc, argv, "s:c:d:n:m:r:t:p:NQ")) != -1) {
		switch (c) {
		case 's':
			o->sock = optarg;
			break;
		case 'c':
			levels_parse(o, optarg);
			break;
		case 'd':
			o->durations = atof(optarg);
			break;
		case 'n':
			o->messages = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o->per_conn = atoi(optarg);
			break;
		case 'r':
			o->rate = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(o->rate > 0 && o->rate <= 1e6))
				usage();
			break;
		case 't':
			o->timeout = atoi(optarg);
			break;
		case 'p':
			o->pid = atoi(optarg);
			break;
		case 'N':
			o->nodelay = true;
			break;
		case 'Q':
			o->quickack = true;
			break;
		default:
			usage();
		}
	}
	if (o->sock == NULL || optind != argc - 1 || o->durations <= 0 || o->per_conn < 1 ||
	    o->timeout < 1)
		usage();
	o->list = argv[optind];
	sock_parse(o);
}

static char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > MAX_MSG_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0)
		ml_die("%s: cannot read (or larger than %d bytes)", path, MAX_MSG_BYTES);
	buf = ml_alloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t)n)
		ml_die("%s: short read", path);
	fclose(f);
	*len = n;
	return buf;
}

/* Splits the header block (LF or CRLF) into fields; returns the offset
 * of the body. Folded lines are joined with "\n", CRs dropped. */
static size_t headers_split(struct msg *m, char *buf, size_t len, const char *path)
{
	size_t i = 0, a = 16;
	char *line, *colon, *v, *d, *s;

	m->hdr = ml_alloc(a * sizeof(*m->hdr));
	while (i < len && buf[i] != '\n' && !(buf[i] == '\r' && buf[i + 1] == '\n')) {
		line = buf + i;
		while (i < len && !(buf[i] == '\n' &&
				    (i + 1 >= len || (buf[i + 1] != ' ' && buf[i + 1] != '\t'))))
			i++;
		buf[i++] = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			ml_die("%s: header line without a colon", path);
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (d = s = v; *s; s++) /* drop CRs */
			if (*s != '\r')
				*d++ = *s;
		*d = '\0';
		if (m->nhdr == MAX_HEADERS)
			ml_die("%s: more than %d header fields", path, MAX_HEADERS);
		if (m->nhdr == a)
			m->hdr = realloc(m->hdr, (a *= 2) * sizeof(*m->hdr));
		if (m->hdr == NULL)
			ml_die("out of memory");
		m->hdr[m->nhdr++] = (struct header){line, v};
	}
	return i < len ? i + (buf[i] == '\r' ? 2 : 1) : len;
}

/* The body with every line ending made CRLF. */
static void body_set(struct msg *m, const char *b, size_t len)
{
	size_t i, n = 0;

	m->body = ml_alloc(2 * len + 1);
	for (i = 0; i < len; i++) {
		if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			m->body[n++] = '\r';
		m->body[n++] = b[i];
	}
	m->blen = n;
}

static void msg_load(struct msg *m, char *line, const char *list, int lineno)
{
	char ip[64], helo[256], from[500], rcpt[500], file[4096], *buf;
	size_t len, off;

	if (sscanf(line, "%63s %255s %499s %499s %4095s", ip, helo, from, rcpt, file) != 5)
		ml_die("%s:%d: want IP HELO MAILFROM RCPT FILE", list, lineno);
	snprintf(m->ip, sizeof(m->ip), "%s", ip);
	snprintf(m->family, sizeof(m->family), "%s", strchr(ip, ':') ? "6" : "4");
	snprintf(m->host, sizeof(m->host), "[%s]", ip);
	snprintf(m->helo, sizeof(m->helo), "%s", helo);
	snprintf(m->from, sizeof(m->from), "%s%s%s", from[0] == '<' ? "" : "<", from,
		 from[0] == '<' ? "" : ">");
	snprintf(m->rcpt, sizeof(m->rcpt), "%s%s%s", rcpt[0] == '<' ? "" : "<", rcpt,
		 rcpt[0] == '<' ? "" : ">");
	buf = file_read(file, &len);
	off = headers_split(m, buf, len, file);
	body_set(m, buf + off, len - off);
}

struct msg *list_load(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[8192], *p;
	size_t a = 16;
	struct msg *ms = ml_alloc(a * sizeof(*ms));
	int lineno = 0;

	if (f == NULL)
		ml_die("%s: %s", path, strerror(errno));
	*n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '#' || *p == '\0')
			continue;
		if (*n == a) {
			ms = realloc(ms, (a *= 2) * sizeof(*ms));
			if (ms == NULL)
				ml_die("out of memory");
		}
		memset(&ms[*n], 0, sizeof(*ms));
		msg_load(&ms[(*n)++], p, path, lineno);
	}
	fclose(f);
	if (*n == 0)
		ml_die("%s: no messages", path);
	return ms;
}

void lat_add(struct lats *l, double usec)
{
	if (l->n == l->a) {
		l->a = l->a ? l->a * 2 : 1024;
		l->v = realloc(l->v, l->a * sizeof(*l->v));
		if (l->v == NULL)
			ml_die("out of memory");
	}
	l->v[l->n++] = usec < 0 ? 0 : usec > 4e9 ? 4000000000u : (uint32_t)usec;
}

static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Samples pid's VmRSS every 10 ms until *done; returns the peak (or -1). */
long rss_watch(int pid, atomic_bool *done)
{
	long peak = -1, kb;

	while (!atomic_load(done)) {
		if (pid > 0 && (kb = rss_kb(pid)) > peak)
			peak = kb;
		usleep(10000);
	}
	return peak;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Closed loop: the latency columns are end of message to its reply. Open
 * loop: p50_ms..max_ms from the scheduled start to that reply, eom_* end of
 * message to its reply, offered/s the rate asked for, msg/s the one made,
 * missed the scheduled starts not made before the level's end. */
void level_header(bool open)
{
	if (open) {
		printf("%6s %8s %7s %9s %9s %8s %8s %8s %8s %8s %8s %7s %7s %7s %6s %6s %7s "
		       "%9s\n",
		       "conns", "messages", "seconds", "offered/s", "msg/s", "p50_ms", "p99_ms",
		       "max_ms", "eom_p50", "eom_p99", "eom_max", "accept", "reject", "tempf",
		       "other", "errors", "missed", "rss_kb");
		return;
	}
	printf("%6s %8s %7s %9s %8s %8s %8s %7s %7s %7s %6s %6s %9s\n", "conns", "messages",
	       "seconds", "msg/s", "p50_ms", "p99_ms", "max_ms", "accept", "reject", "tempf",
	       "other", "errors", "rss_kb");
}

/* All the workers' latencies of one kind (end of message, or from the
 * scheduled start), sorted; *n gets their count. */
static uint32_t *lats_merge(struct worker *w, int nw, bool sched, size_t *n)
{
	const struct lats *l;
	size_t total = 0, k = 0;
	uint32_t *all;
	int i;

	for (i = 0; i < nw; i++)
		total += sched ? w[i].total.n : w[i].eom.n;
	all = ml_alloc((total + 1) * sizeof(*all));
	for (i = 0; i < nw; i++) {
		l = sched ? &w[i].total : &w[i].eom;
		memcpy(all + k, l->v, l->n * sizeof(*all));
		k += l->n;
	}
	qsort(all, total, sizeof(*all), u32_cmp);
	*n = total;
	return all;
}

/* The q-quantile of n sorted latencies, in milliseconds. */
static double pct_ms(const uint32_t *all, size_t n, double q)
{
	size_t i = (size_t)(n * q);

	if (n == 0)
		return 0.0;
	return all[i < n ? i : n - 1] / 1000.0;
}

void level_report(const struct level *lv, struct worker *w, int n)
{
	unsigned long v[V_COUNT] = {0}, errors = 0;
	size_t total, ntot;
	uint32_t *all, *tot;
	int i, j;

	all = lats_merge(w, n, false, &total);
	for (i = 0; i < n; i++) {
		for (j = 0; j < V_COUNT; j++)
			v[j] += w[i].verdicts[j];
		errors += w[i].errors;
	}
	if (lv->rate > 0) {
		tot = lats_merge(w, n, true, &ntot);
		printf("%6d %8zu %7.2f %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %7lu %7lu "
		       "%7lu %6lu %6lu %7lu %9ld\n",
		       lv->conns, ntot, lv->secs, lv->rate, ntot / lv->secs, pct_ms(tot, ntot, 0.5),
		       pct_ms(tot, ntot, 0.99), pct_ms(tot, ntot, 1.0), pct_ms(all, total, 0.5),
		       pct_ms(all, total, 0.99), pct_ms(all, total, 1.0), v[V_ACCEPT], v[V_REJECT],
		       v[V_TEMPFAIL], v[V_OTHER], errors, lv->missed, lv->rss_kb);
		free(tot);
	} else {
		printf("%6d %8zu %7.2f %9.1f %8.2f %8.2f %8.2f %7lu %7lu %7lu %6lu %6lu %9ld\n",
		       lv->conns, total, lv->secs, total / lv->secs, pct_ms(all, total, 0.5),
		       pct_ms(all, total, 0.99), pct_ms(all, total, 1.0), v[V_ACCEPT], v[V_REJECT],
		       v[V_TEMPFAIL], v[V_OTHER], errors, lv->rss_kb);
	}
	fflush(stdout);
	free(all);
}
