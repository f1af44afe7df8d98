/*
 * milterload.c - drive a milter with concurrent connections, without an MTA
 *
 *   milterload -s SOCKET [-c 1,8,64,256] [-d SECONDS] [-n MESSAGES]
 *              [-m PER_CONNECTION] [-r RATE] [-t TIMEOUT] [-p PID] [-N] [-Q]
 *              LISTFILE
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
 * DATA, headers, end of headers, body, end of message; then quit, and a
 * new connection. Messages are taken round-robin from the list. Every
 * command is one write, like Postfix's milter client; -N sets TCP_NODELAY
 * on the client socket and -Q TCP_QUICKACK after every read (TCP sockets
 * only). A level ends after SECONDS (default 5) or MESSAGES transactions
 * (0 = no limit), whichever comes first.
 *
 * Negotiation, as an MTA: milterload offers every step a milter may leave
 * out or leave unanswered (SMFIP_NOCONNECT ... SMFIP_NR_BODY, SMFIP_SKIP,
 * SMFIP_HDR_LEADSPC) and all actions, and follows the milter's answer: a
 * step whose SMFIP_NO* bit it set (connect, HELO, MAIL, RCPT, DATA,
 * headers, end of headers, body) is not sent, nor that stage's macros; a
 * step whose SMFIP_NR_* bit it set is sent without waiting for a reply.
 * Unknown commands are never sent. The macros of a stage are the ones the
 * milter asked for in its reply (smfi_setsymlist), of those milterload
 * knows (j, {daemon_name}, i, {client_addr}, {mail_addr}, {rcpt_addr});
 * without such a list, j and {daemon_name} at connect and i at MAIL. A
 * transaction the milter ends early (any reply but continue before end of
 * message) is followed by an abort.
 *
 * Closed loop (the default): each thread starts its next transaction as
 * soon as the last one ended. Open loop (-r RATE): transactions start on a
 * fixed schedule of RATE a second in all, evenly spaced (start k at
 * k / RATE seconds into the level), whatever the replies; a thread that is
 * free takes the next start time, sleeps until it and runs that
 * transaction (opening a connection first when it has none), so at most
 * one transaction per connection is under way and a start the threads
 * fall behind on is made late, not dropped. No transaction starts after
 * the level's end; scheduled starts not made by then are counted as
 * missed (a sign the rate is above what milter and client can do).
 *
 * Prints one row per level: messages, seconds, messages/second, the
 * latency from sending end-of-message to the final reply (p50, p99, max,
 * milliseconds), the verdicts (accept = accept or continue; reject,
 * tempfail, other = discard or any refusal before end of message),
 * connection or protocol errors, and with -p the peak VmRSS of process PID
 * sampled every 10 ms during the level. In open loop the row has the
 * offered rate beside the rate made (msg/s, completed transactions over
 * the level's seconds), p50_ms, p99_ms and max_ms are from each
 * transaction's scheduled start to the final end-of-message reply (so
 * falling behind the schedule counts, and coordinated omission is
 * avoided), eom_p50, eom_p99 and eom_max from sending end of message to
 * that reply, and missed as above. Exit status 0, or 2 on a usage or input
 * error.
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

_Static_assert(OFFER_STEPS == 0x001fffff, "every step from NOCONNECT to HDR_LEADSPC");

static atomic_ulong taken;   /* transactions (open loop: start times) taken in this level */
static atomic_ulong started; /* open loop: scheduled starts made */
static atomic_bool stop;
static double deadline;
static double sched0; /* open loop: the level's first scheduled start */

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

/* The value of macro name (len bytes) for message m in transaction qid
 * (NULL outside one), or NULL when it is not defined here: then it is not
 * sent, as Postfix leaves out macros without a value. addr is room for an
 * address without its angle brackets. */
static const char *macro_value(const char *name, size_t len, const struct msg *m, const char *qid,
			       char *addr, size_t asize)
{
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	const char *a;

	if (IS("j"))
		return "mx.bench.test";
	if (IS("{daemon_name}"))
		return "smtpd";
	if (IS("i"))
		return qid;
	if (IS("{client_addr}"))
		return m->ip;
	if (IS("{mail_addr}") || IS("{rcpt_addr}")) {
		a = IS("{mail_addr}") ? m->from : m->rcpt;
		snprintf(addr, asize, "%.*s", (int)strlen(a) - 2, a + 1); /* "<...>" */
		return addr;
	}
	return NULL;
#undef IS
}

/* Sends the macros of stage (M_*) for message m, if there are any. */
static int macros_send(struct worker *th, int fd, int stage, const struct msg *m, const char *qid)
{
	static const char cmd[M_STAGES] = {'C', 'H', 'M', 'R', 'T', 'E', 'N'};
	static const char *const defaults[M_STAGES] = {"j {daemon_name}", "", "i", "", "", "", ""};
	const char *name = th->symset[stage] ? th->syms[stage] : defaults[stage], *val;
	char buf[4096], addr[512];
	size_t n = 1, len, vlen;

	buf[0] = cmd[stage];
	for (;; name += len) {
		name += strspn(name, " ");
		len = strcspn(name, " ");
		if (len == 0)
			break;
		val = macro_value(name, len, m, qid, addr, sizeof(addr));
		if (val == NULL)
			continue;
		vlen = strlen(val);
		if (n + len + vlen + 2 > sizeof(buf))
			break;
		memcpy(buf + n, name, len);
		n += len;
		buf[n++] = '\0';
		memcpy(buf + n, val, vlen + 1);
		n += vlen + 1;
	}
	if (n == 1)
		return 0;
	return cmd_send(fd, 'D', &(struct iovec){buf, n}, 1);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the milter's answer to option negotiation: its protocol steps,
 * then any macro lists (a 32-bit stage and a NUL-terminated list of names
 * separated by spaces, each). Returns 0, or -1 on error. */
static int optneg_read(struct worker *th, int fd)
{
	size_t len, off = 13, slen, keep;
	const char *list;
	uint32_t stage;

	if (reply_read(th, fd, &len) != 'O' || len < 12)
		return -1;
	th->proto = be32(th->rbuf + 9);
	memset(th->symset, 0, sizeof(th->symset));
	while (off + 4 < len + 1) {
		stage = be32(th->rbuf + off);
		list = (const char *)th->rbuf + off + 4;
		slen = strnlen(list, len + 1 - off - 4);
		if (off + 4 + slen >= len + 1)
			return -1; /* no NUL */
		off += 4 + slen + 1;
		if (stage >= M_STAGES)
			continue;
		keep = slen;
		if (keep >= MAX_SYMLIST) /* cut at a space: whole names only */
			for (keep = MAX_SYMLIST - 1; keep > 0 && list[keep] != ' '; keep--)
				;
		memcpy(th->syms[stage], list, keep);
		th->syms[stage][keep] = '\0';
		th->symset[stage] = true;
	}
	return 0;
}

/* Negotiation, then connect information and HELO for message m.
 * Returns 0, or -1 on error or refusal. */
static int conn_open(struct worker *th, int fd, struct msg *m)
{
	unsigned char o[12];
	struct iovec iov[4];
	unsigned char port[2] = {0, 25};
	uint32_t w[3] = {6, OFFER_ACTIONS, OFFER_STEPS};
	int i, r;

	for (i = 0; i < 12; i++)
		o[i] = w[i / 4] >> (24 - 8 * (i % 4));
	iov[0] = (struct iovec){o, sizeof(o)};
	if (cmd_send(fd, 'O', iov, 1) != 0 || optneg_read(th, fd) != 0)
		return -1;
	if (!(th->proto & SMFIP_NOCONNECT)) {
		if (macros_send(th, fd, M_CONNECT, m, NULL) != 0)
			return -1;
		iov[0] = (struct iovec){m->host, strlen(m->host) + 1};
		iov[1] = (struct iovec){m->family, 1};
		iov[2] = (struct iovec){port, 2};
		iov[3] = (struct iovec){m->ip, strlen(m->ip) + 1};
		r = cmd_step(th, fd, 'C', iov, 4, th->proto & SMFIP_NR_CONN);
		if (r != 'c')
			return -1;
	}
	if (!(th->proto & SMFIP_NOHELO)) {
		if (macros_send(th, fd, M_HELO, m, NULL) != 0)
			return -1;
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

#define MACROS(th, fd, stage, m, qid)                        \
	do {                                                 \
		if (macros_send(th, fd, stage, m, qid) != 0) \
			return -1;                           \
	} while (0)

/* One transaction of message m; returns a V_* verdict or -1 on error and
 * records in th the end-of-message latency and, when sched >= 0 (open
 * loop), the latency from sched. th->early tells whether it ended before
 * end of message. */
static int transaction(struct worker *th, int fd, struct msg *m, double sched)
{
	struct iovec iov[3];
	char qid[32];
	double t0, t1;
	size_t i;
	int v, skip = 0;
	uint32_t p = th->proto;

	th->early = true;
	snprintf(qid, sizeof(qid), "B%lX", (unsigned long)th->qids++ * 1000 + th->id);
	if (!(p & SMFIP_NOMAIL)) {
		MACROS(th, fd, M_MAIL, m, qid);
		iov[0] = (struct iovec){m->from, strlen(m->from) + 1};
		STEP(th, fd, 'M', iov, 1, p & SMFIP_NR_MAIL);
	}
	if (!(p & SMFIP_NORCPT)) {
		MACROS(th, fd, M_RCPT, m, qid);
		iov[0] = (struct iovec){m->rcpt, strlen(m->rcpt) + 1};
		STEP(th, fd, 'R', iov, 1, p & SMFIP_NR_RCPT);
	}
	if (!(p & SMFIP_NODATA)) {
		MACROS(th, fd, M_DATA, m, qid);
		STEP(th, fd, 'T', NULL, 0, p & SMFIP_NR_DATA);
	}
	for (i = 0; i < m->nhdr && !(p & SMFIP_NOHDRS); i++) {
		iov[0] = (struct iovec){m->hdr[i].name, strlen(m->hdr[i].name) + 1};
		iov[1] = (struct iovec){" ", (p & SMFIP_HDR_LEADSPC) ? 1 : 0};
		iov[2] = (struct iovec){m->hdr[i].value, strlen(m->hdr[i].value) + 1};
		STEP(th, fd, 'L', iov, 3, p & SMFIP_NR_HDR);
	}
	if (!(p & SMFIP_NOEOH)) {
		MACROS(th, fd, M_EOH, m, qid);
		STEP(th, fd, 'N', NULL, 0, p & SMFIP_NR_EOH);
	}
	for (i = 0; i < m->blen && !(p & SMFIP_NOBODY) && !skip; i += BODY_CHUNK) {
		size_t n = m->blen - i < BODY_CHUNK ? m->blen - i : BODY_CHUNK;
		int r =
		    cmd_step(th, fd, 'B', &(struct iovec){m->body + i, n}, 1, p & SMFIP_NR_BODY);

		if (r < 0 || r == '4' || r == 'f')
			return -1;
		if (r == 's')
			skip = 1;
		else if (r != 'c')
			return V_OTHER;
	}
	th->early = false;
	t0 = ml_now();
	MACROS(th, fd, M_EOM, m, qid);
	if (cmd_send(fd, 'E', NULL, 0) != 0)
		return -1;
	v = eom_verdict(th, fd);
	if (v >= 0) {
		t1 = ml_now();
		lat_add(&th->eom, (t1 - t0) * 1e6);
		if (sched >= 0)
			lat_add(&th->total, (t1 - sched) * 1e6);
	}
	return v;
}

/* After a transaction with verdict v: an abort if it ended early, then,
 * if last, quit. Returns 0, or -1 on error (the connection is unusable). */
static int transaction_end(struct worker *th, int fd, int v, bool last)
{
	if (v < 0)
		return -1;
	if (th->early && cmd_send(fd, 'A', NULL, 0) != 0)
		return -1;
	if (last)
		cmd_send(fd, 'Q', NULL, 0);
	return 0;
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

/* Open loop: the scheduled start of transaction k. */
static double slot_time(unsigned long k)
{
	return sched0 + k / opt.rate;
}

/* Open loop: takes the next scheduled start (into *when) and its message,
 * or NULL when the level is over: the schedule ends at the deadline, and
 * nothing starts after it. */
static struct msg *slot_take(double *when)
{
	unsigned long k;

	if (atomic_load(&stop))
		return NULL;
	k = atomic_fetch_add(&taken, 1);
	if ((opt.messages > 0 && k >= opt.messages) || slot_time(k) >= deadline ||
	    ml_now() >= deadline) {
		atomic_store(&stop, true);
		return NULL;
	}
	atomic_fetch_add(&started, 1);
	*when = slot_time(k);
	return &msgs[k % nmsgs];
}

/* Open loop: the scheduled starts before the deadline (and within -n). */
static unsigned long slots_due(void)
{
	unsigned long n = (unsigned long)((deadline - sched0) * opt.rate);

	while (slot_time(n) < deadline)
		n++;
	while (n > 0 && slot_time(n - 1) >= deadline)
		n--;
	return opt.messages > 0 && n > opt.messages ? opt.messages : n;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec > 999999999)
		ts.tv_nsec = 999999999;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
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
			v = transaction(th, fd, m, -1);
			if (v >= 0)
				th->verdicts[v]++;
			if (k >= opt.per_conn || v < 0 || (m = msg_take()) == NULL) {
				if (transaction_end(th, fd, v, true) != 0)
					th->errors++;
				break;
			}
			if (transaction_end(th, fd, v, false) != 0) {
				th->errors++;
				break;
			}
		}
		close(fd);
	}
	return NULL;
}

/* Open loop: one connection at a time, one transaction per scheduled
 * start taken, PER_CONNECTION transactions a connection. */
static void *worker_open(void *arg)
{
	struct worker *th = arg;
	struct msg *m;
	double when;
	int fd = -1, k = 0, v;

	while ((m = slot_take(&when)) != NULL) {
		sleep_until(when);
		if (fd < 0) {
			fd = sock_open();
			if (fd < 0 || conn_open(th, fd, m) != 0) {
				th->errors++;
				if (fd >= 0)
					close(fd);
				fd = -1;
				continue;
			}
			k = 0;
		}
		v = transaction(th, fd, m, when);
		if (v >= 0)
			th->verdicts[v]++;
		if (transaction_end(th, fd, v, ++k >= opt.per_conn) != 0)
			th->errors++;
		if (v < 0 || k >= opt.per_conn) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0) {
		cmd_send(fd, 'Q', NULL, 0);
		close(fd);
	}
	return NULL;
}

/* Runs one level of conns connections and prints its row. */
static void level_run(int conns)
{
	struct worker *w = calloc(conns, sizeof(*w));
	struct level lv = {.conns = conns, .rate = opt.rate};
	pthread_attr_t attr;
	double t0;
	int i;

	if (w == NULL)
		ml_die("out of memory");
	atomic_store(&taken, 0);
	atomic_store(&started, 0);
	atomic_store(&stop, false);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	t0 = ml_now();
	if (opt.rate > 0)
		t0 += 0.01; /* the threads start before the schedule does */
	sched0 = t0;
	deadline = t0 + opt.durations;
	for (i = 0; i < conns; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].tid, &attr, opt.rate > 0 ? worker_open : worker_run,
				   &w[i]) != 0)
			ml_die("pthread_create failed");
	}
	lv.rss_kb = rss_watch(opt.pid, &stop);
	for (i = 0; i < conns; i++)
		pthread_join(w[i].tid, NULL);
	lv.secs = ml_now() - t0;
	if (opt.rate > 0 && slots_due() > atomic_load(&started))
		lv.missed = slots_due() - atomic_load(&started);
	level_report(&lv, w, conns);
	for (i = 0; i < conns; i++) {
		free(w[i].eom.v);
		free(w[i].total.v);
	}
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
	if (opt.rate > 0)
		printf(
		    "# open loop: %.1f msg/s offered in all, evenly spaced starts; p50_ms..max_ms "
		    "from the scheduled start, eom_* from end of message, to its reply\n",
		    opt.rate);
	level_header(opt.rate > 0);
	for (i = 0; i < opt.nlevels; i++)
		level_run(opt.levels[i]);
	return 0;
}
