/*
 * milterload.c - drive a milter with concurrent connections, without an MTA
 *
 *   milterload -s SOCKET [-c 1,8,64,256] [-d SECONDS] [-n MESSAGES]
 *              [-m PER_CONNECTION] [-t TIMEOUT] [-p PID] [-N] [-Q] LISTFILE
 *
 * SOCKET is inet:PORT@HOST, unix:PATH, local:PATH or a bare path. LISTFILE
 * has one message a line: "IP HELO MAILFROM RCPT FILE" (whitespace
 * separated, '#' comments; MAILFROM "<>" is the null sender). The files
 * are read once; folded header lines are sent joined by "\n" and the body
 * with CRLF line ends, as Postfix does.
 *
 * For each concurrency in -c it starts that many threads. Each thread
 * opens a connection, negotiates milter protocol 6, sends connect and HELO
 * for the envelope of its first message, then PER_CONNECTION (default 1,
 * like one message per SMTP session) transactions: macros, MAIL, RCPT,
 * headers, end of headers, body, end of message; then quit, and a new
 * connection. Messages are taken round-robin from the list. Every command
 * is one write, like Postfix's milter client; -N sets TCP_NODELAY on the
 * client socket and -Q TCP_QUICKACK after every read (TCP sockets only).
 * A level ends after SECONDS (default 5) or MESSAGES transactions (0 = no
 * limit), whichever comes first.
 *
 * Prints one row per level: messages, messages/second, the latency from
 * sending end-of-message to the final reply (p50, p99, max, milliseconds),
 * the verdicts (accept = accept or continue; reject, tempfail, other =
 * discard or any refusal before end of message), connection or protocol
 * errors, and with -p the peak VmRSS of process PID sampled every 10 ms
 * during the level. Exit status 0, or 2 on a usage or input error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "milterload.h"

static struct opts opt = {.durations = 5.0, .per_conn = 1, .timeout = 30};
static struct msg *msgs;
static size_t nmsgs;

static char cmacros[] = "Cj\0mx.bench.test\0{daemon_name}\0smtpd";
static atomic_ulong taken; /* transactions started in this level */
static atomic_bool stop;
static double deadline;

double ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opens a blocking stream socket to opt.sock with send/receive timeouts. */
static int sock_open(void)
{
	struct timeval tv = {.tv_sec = opt.timeout};
	int fd, one = 1;

	if (opt.is_unix) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt.path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			goto fail;
	} else {
		fd = socket(opt.ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (opt.nodelay)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, opt.ai->ai_addr, opt.ai->ai_addrlen) != 0)
			goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	close(fd);
	return -1;
}

/* Sends one milter command: 4-byte length, the command letter, then the
 * parts, in one writev (one segment, as an MTA flushing its buffer). */
static int cmd_send(int fd, char cmd, const struct iovec *parts, int n)
{
	struct iovec iov[8];
	unsigned char head[5];
	size_t len = 1, left;
	ssize_t w;
	int i, k = 1;

	for (i = 0; i < n && i < 7; i++) {
		len += parts[i].iov_len;
		iov[k++] = parts[i];
	}
	head[0] = len >> 24;
	head[1] = len >> 16;
	head[2] = len >> 8;
	head[3] = len;
	head[4] = cmd;
	iov[0].iov_base = head;
	iov[0].iov_len = 5;
	left = len + 4;
	i = 0;
	while (left > 0) {
		w = writev(fd, iov + i, k - i);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		left -= w;
		while (i < k && (size_t)w >= iov[i].iov_len)
			w -= iov[i++].iov_len;
		if (i < k) {
			iov[i].iov_base = (char *)iov[i].iov_base + w;
			iov[i].iov_len -= w;
		}
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* Reads one reply into th->rbuf (at most MAX_REPLY bytes); returns its
 * command letter, or -1 on error. *len gets the data length after it. */
static int reply_read(struct worker *th, int fd, size_t *len)
{
	unsigned char head[4];
	uint32_t n;
	int one = 1;

	if (read_full(fd, head, 4) != 0)
		return -1;
	n = (uint32_t)head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3];
	if (n < 1 || n > MAX_REPLY)
		return -1;
	if (read_full(fd, th->rbuf, n) != 0)
		return -1;
	if (opt.quickack && !opt.is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	th->rbuf[n] = '\0';
	*len = n - 1;
	return th->rbuf[0];
}

/* Sends a command and, unless the milter said it will not reply
 * (noreply), reads the reply, skipping progress messages. Returns the
 * reply letter, 'c' when none is due, or -1 on error. */
static int cmd_step(struct worker *th, int fd, char cmd, const struct iovec *parts, int n,
		    bool noreply)
{
	size_t len;
	int r;

	if (cmd_send(fd, cmd, parts, n) != 0)
		return -1;
	if (noreply)
		return 'c';
	do
		r = reply_read(th, fd, &len);
	while (r == 'p');
	return r;
}

/* Negotiation, then connect information and HELO for message m.
 * Returns 0, or -1 on error or refusal. */
static int conn_open(struct worker *th, int fd, struct msg *m)
{
	unsigned char o[12] = {0, 0, 0, 6, 0, 0, 0x01, 0xff, 0, 0x1f, 0xff, 0xff};
	struct iovec iov[4];
	unsigned char port[2] = {0, 25};
	size_t len;
	int r;

	iov[0] = (struct iovec){o, sizeof(o)};
	if (cmd_send(fd, 'O', iov, 1) != 0 || reply_read(th, fd, &len) != 'O' || len < 12)
		return -1;
	th->proto =
	    (uint32_t)th->rbuf[9] << 24 | th->rbuf[10] << 16 | th->rbuf[11] << 8 | th->rbuf[12];
	iov[0] = (struct iovec){cmacros, sizeof(cmacros)};
	if (cmd_send(fd, 'D', iov, 1) != 0)
		return -1;
	if (!(th->proto & SMFIP_NOCONNECT)) {
		iov[0] = (struct iovec){m->host, strlen(m->host) + 1};
		iov[1] = (struct iovec){m->family, 1};
		iov[2] = (struct iovec){port, 2};
		iov[3] = (struct iovec){m->ip, strlen(m->ip) + 1};
		r = cmd_step(th, fd, 'C', iov, 4, th->proto & SMFIP_NR_CONN);
		if (r != 'c')
			return -1;
	}
	if (!(th->proto & SMFIP_NOHELO)) {
		iov[0] = (struct iovec){m->helo, strlen(m->helo) + 1};
		r = cmd_step(th, fd, 'H', iov, 1, th->proto & SMFIP_NR_HELO);
		if (r != 'c')
			return -1;
	}
	return 0;
}

/* The final reply to end of message, after any modification requests. */
static int eom_verdict(struct worker *th, int fd)
{
	size_t len;
	int r;

	for (;;) {
		r = reply_read(th, fd, &len);
		switch (r) {
		case 'a':
		case 'c':
			return V_ACCEPT;
		case 'r':
			return V_REJECT;
		case 't':
			return V_TEMPFAIL;
		case 'd':
			return V_OTHER;
		case 'y':
			return th->rbuf[1] == '5'   ? V_REJECT
			       : th->rbuf[1] == '4' ? V_TEMPFAIL
						    : V_OTHER;
		case -1:
		case '4':
		case 'f':
			return -1;
		default: /* header changes, quarantine, progress */
			break;
		}
	}
}

/* The first reply that is not "continue" ends the transaction early. */
#define STEP(th, fd, c, iov, n, nr)                       \
	do {                                              \
		int r_ = cmd_step(th, fd, c, iov, n, nr); \
		if (r_ < 0 || r_ == '4' || r_ == 'f')     \
			return -1;                        \
		if (r_ != 'c')                            \
			return V_OTHER;                   \
	} while (0)

/* One transaction of message m; returns a V_* verdict or -1 on error and
 * records the end-of-message latency in th. */
static int transaction(struct worker *th, int fd, struct msg *m)
{
	struct iovec iov[3];
	char qid[32];
	double t0;
	size_t i;
	int v, skip = 0;
	uint32_t p = th->proto;

	snprintf(qid, sizeof(qid), "B%lX", (unsigned long)th->qids++ * 1000 + th->id);
	iov[0] = (struct iovec){"M", 1};
	iov[1] = (struct iovec){"i", 2};
	iov[2] = (struct iovec){qid, strlen(qid) + 1};
	if (cmd_send(fd, 'D', iov, 3) != 0)
		return -1;
	iov[0] = (struct iovec){m->from, strlen(m->from) + 1};
	if (!(p & SMFIP_NOMAIL))
		STEP(th, fd, 'M', iov, 1, p & SMFIP_NR_MAIL);
	iov[0] = (struct iovec){m->rcpt, strlen(m->rcpt) + 1};
	if (!(p & SMFIP_NORCPT))
		STEP(th, fd, 'R', iov, 1, p & SMFIP_NR_RCPT);
	if (!(p & SMFIP_NODATA))
		STEP(th, fd, 'T', NULL, 0, p & SMFIP_NR_DATA);
	for (i = 0; i < m->nhdr && !(p & SMFIP_NOHDRS); i++) {
		iov[0] = (struct iovec){m->hdr[i].name, strlen(m->hdr[i].name) + 1};
		iov[1] = (struct iovec){" ", (p & SMFIP_HDR_LEADSPC) ? 1 : 0};
		iov[2] = (struct iovec){m->hdr[i].value, strlen(m->hdr[i].value) + 1};
		STEP(th, fd, 'L', iov, 3, p & SMFIP_NR_HDR);
	}
	if (!(p & SMFIP_NOEOH))
		STEP(th, fd, 'N', NULL, 0, p & SMFIP_NR_EOH);
	for (i = 0; i < m->blen && !(p & SMFIP_NOBODY) && !skip; i += BODY_CHUNK) {
		size_t n = m->blen - i < BODY_CHUNK ? m->blen - i : BODY_CHUNK;
		int r =
		    cmd_step(th, fd, 'B', &(struct iovec){m->body + i, n}, 1, p & SMFIP_NR_BODY);

		if (r < 0)
			return -1;
		if (r == 's')
			skip = 1;
		else if (r != 'c')
			return V_OTHER;
	}
	t0 = ml_now();
	if (cmd_send(fd, 'E', NULL, 0) != 0)
		return -1;
	v = eom_verdict(th, fd);
	if (v >= 0)
		lat_add(th, (ml_now() - t0) * 1e6);
	return v;
}

/* Takes the next message, or NULL when the level is over. */
static struct msg *msg_take(void)
{
	unsigned long k;

	if (atomic_load(&stop))
		return NULL;
	if (ml_now() >= deadline) {
		atomic_store(&stop, true);
		return NULL;
	}
	k = atomic_fetch_add(&taken, 1);
	if (opt.messages > 0 && k >= opt.messages) {
		atomic_store(&stop, true);
		return NULL;
	}
	return &msgs[k % nmsgs];
}

static void *worker_run(void *arg)
{
	struct worker *th = arg;
	struct msg *m;
	int fd, v, k;

	while ((m = msg_take()) != NULL) {
		fd = sock_open();
		if (fd < 0 || conn_open(th, fd, m) != 0) {
			th->errors++;
			if (fd >= 0)
				close(fd);
			usleep(10000);
			continue;
		}
		for (k = 1;; k++) {
			v = transaction(th, fd, m);
			if (v < 0) {
				th->errors++;
				break;
			}
			th->verdicts[v]++;
			if (k >= opt.per_conn || (m = msg_take()) == NULL)
				break;
		}
		if (v >= 0)
			cmd_send(fd, 'Q', NULL, 0);
		close(fd);
	}
	return NULL;
}

/* Runs one level of conns connections and prints its row. */
static void level_run(int conns)
{
	struct worker *w = calloc(conns, sizeof(*w));
	struct level lv = {.conns = conns};
	pthread_attr_t attr;
	double t0;
	int i;

	if (w == NULL)
		ml_die("out of memory");
	atomic_store(&taken, 0);
	atomic_store(&stop, false);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = ml_now();
	deadline = t0 + opt.durations;
	for (i = 0; i < conns; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].tid, &attr, worker_run, &w[i]) != 0)
			ml_die("pthread_create failed");
	}
	lv.rss_kb = rss_watch(opt.pid, &stop);
	for (i = 0; i < conns; i++)
		pthread_join(w[i].tid, NULL);
	lv.secs = ml_now() - t0;
	level_report(&lv, w, conns);
	for (i = 0; i < conns; i++)
		free(w[i].lat);
	free(w);
	pthread_attr_destroy(&attr);
}

int main(int argc, char **argv)
{
	int i;

	opts_parse(argc, argv, &opt);
	msgs = list_load(opt.list, &nmsgs);
	printf("# milterload: %s, %zu message%s, %d per connection, %s%s\n", opt.sock, nmsgs,
	       nmsgs == 1 ? "" : "s", opt.per_conn,
	       opt.is_unix   ? "UNIX socket"
	       : opt.nodelay ? "TCP, TCP_NODELAY"
			     : "TCP",
	       opt.quickack && !opt.is_unix ? ", TCP_QUICKACK" : "");
	level_header();
	for (i = 0; i < opt.nlevels; i++)
		level_run(opt.levels[i]);
	return 0;
}
