/*
 * deliver - hand a report message to the local MTA or to an SMTP server
 * (see deliver.h)
 *
 * DESCRIPTION
 *	deliver_sendmail(): the command runs in a process group of its own,
 *	so at the deadline SIGKILL reaches whatever it started too, and the
 *	child is always reaped before we return: no zombie is left. The
 *	child gets an empty signal mask, SIGPIPE at its default action, and
 *	no descriptor of ours but 0, 1 and 2. Whether execv() worked comes
 *	back on a close-on-exec pipe, so "cannot run" is told apart from a
 *	command that ran and failed.
 *
 *	Writing to a command that has stopped reading raises SIGPIPE, whose
 *	default action would end the reporter. SIGPIPE is blocked in the
 *	calling thread around the writes, and one raised by them is taken
 *	off the pending set with sigtimedwait() before it is unblocked: the
 *	process-wide disposition is never changed, so this is safe in a
 *	threaded caller too (the method libpq uses). The write end is
 *	non-blocking and waited on with poll(), so a command that neither
 *	reads nor exits cannot hold us past the deadline.
 *
 *	deliver_smtp(): libcurl's SMTP; the server's last reply line is
 *	caught by the debug callback (escaped: it is remote text) for err.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "report/deliver.h"
#include "util/clock.h"
#include "util/escape.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define DELIVER_EX_TEMPFAIL 75 /* sysexits.h EX_TEMPFAIL */
#define DELIVER_MAX_ARGS 64
#define DELIVER_FD_SCAN_MAX 65536 /* descriptors closed in the child */
#define DELIVER_REPLY_MAX 200	  /* bytes of a server reply kept for err */

/* Splits command at blanks into argv (pointers into buf, a copy). */
static size_t deliver_split(const char *command, char **buf, char *argv[DELIVER_MAX_ARGS + 1])
{
	size_t n = 0;
	char *p;

	*buf = xstrdup(command ? command : "");
	for (p = strtok(*buf, " \t"); p != NULL && n < DELIVER_MAX_ARGS; p = strtok(NULL, " \t"))
		argv[n++] = p;
	argv[n] = NULL;
	return p == NULL ? n : 0;
}

static int deliver_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static int deliver_pipe(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	if (deliver_cloexec(fds[0]) != 0 || deliver_cloexec(fds[1]) != 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/* In the child, after fork(): only async-signal-safe calls. */
static void deliver_child(char *const argv[], int in, int status_fd)
{
	struct sigaction sa;
	struct rlimit rl;
	sigset_t none;
	long fd, max = DELIVER_FD_SCAN_MAX;
	int e;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	/* dup2() clears close-on-exec on fd 0; when the pipe already is fd 0
	 * (our stdin was closed), clear it by hand. */
	if (in == 0 ? fcntl(0, F_SETFD, 0) < 0 : dup2(in, 0) < 0)
		goto fail;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long)rl.rlim_cur < max)
		max = (long)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		if (fd != status_fd)
			close((int)fd);
	execv(argv[0], argv);
fail:
	e = errno;
	/* If even this fails, the parent sees exit status 127. */
	while (write(status_fd, &e, sizeof(e)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Whether execv() failed in the child; *e its errno then. Reads until the
 * close-on-exec pipe is closed, which exec or _exit does. */
static bool deliver_exec_failed(int fd, int *e)
{
	ssize_t n;

	do
		n = read(fd, e, sizeof(*e));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*e);
}

/*
 * Writes msg to fd (non-blocking) until done, the reader goes away or the
 * deadline passes. 0 when all was written, else -1 and *why. SIGPIPE is
 * blocked around it (see the top of the file).
 */
static int deliver_write(int fd, const char *msg, size_t len, double deadline, const char **why)
{
	sigset_t pipeset, old, pending;
	bool was_pending;
	int rc = 0;

	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	while (len > 0 && rc == 0) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		double left = deadline - clock_now();
		int ms = left > 60 ? 60000 : (int)(left * 1000) + 1;
		ssize_t n;

		if (left <= 0) {
			*why = "timed out";
			rc = -1;
		} else if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			*why = strerror(errno);
			rc = -1;
		} else if ((n = write(fd, msg, len)) > 0) {
			msg += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EPIPE) {
			*why = "the command exited or closed its input before reading the message";
			rc = -1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			*why = strerror(errno);
			rc = -1;
		}
	}
	if (!was_pending) {
		struct timespec zero = {0, 0};

		while (sigtimedwait(&pipeset, NULL, &zero) > 0)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Waits for pid until deadline; past it, kills its process group and
 * reaps it. Returns the wait status, or -1 (*timed_out when so). */
static int deliver_wait(pid_t pid, double deadline, bool *timed_out)
{
	struct timespec nap = {0, 10 * 1000 * 1000};
	int st;
	pid_t got;

	*timed_out = false;
	for (;;) {
		got = waitpid(pid, &st, WNOHANG);
		if (got == pid)
			return st;
		if (got < 0 && errno != EINTR)
			return -1;
		if (clock_now() >= deadline)
			break;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 100 * 1000 * 1000)
			nap.tv_nsec += 10 * 1000 * 1000;
	}
	*timed_out = true;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* The status of a finished command (wait status st) with what we saw. */
static enum deliver_status deliver_judge(const char *cmd, int st, bool timed_out, bool wrote,
					 const char *why, struct am_err *err)
{
	if (timed_out) {
		am_err_set(err, "%s: timed out, killed", cmd);
		return DELIVER_TEMPFAIL;
	}
	if (st < 0) {
		am_err_set(err, "%s: lost its exit status: %s", cmd, strerror(errno));
		return DELIVER_TEMPFAIL;
	}
	if (WIFSIGNALED(st)) {
		am_err_set(err, "%s: killed by signal %d", cmd, WTERMSIG(st));
		return DELIVER_TEMPFAIL;
	}
	if (WEXITSTATUS(st) == 0 && wrote)
		return DELIVER_OK;
	if (WEXITSTATUS(st) == 0) {
		/* It exited "successfully" without taking the whole message. */
		am_err_set(err, "%s: %s", cmd, why);
		return DELIVER_TEMPFAIL;
	}
	am_err_set(err, "%s: exit status %d%s%s", cmd, WEXITSTATUS(st), wrote ? "" : ", ",
		   wrote ? "" : why);
	return WEXITSTATUS(st) == DELIVER_EX_TEMPFAIL ? DELIVER_TEMPFAIL : DELIVER_PERMFAIL;
}

/* Runs argv with in as its input; the pid, or -1 (err set). Every other
 * descriptor of ours is close-on-exec or closed in the child. */
static pid_t deliver_spawn(char *const argv[], int in, struct am_err *err)
{
	int status[2], e = 0;
	pid_t pid;

	if (deliver_pipe(status) != 0) {
		am_err_set(err, "%s: pipe: %s", argv[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0)
		deliver_child(argv, in, status[1]);
	e = errno;
	close(status[1]);
	if (pid < 0) {
		close(status[0]);
		am_err_set(err, "%s: fork: %s", argv[0], strerror(e));
		return -1;
	}
	setpgid(pid, pid); /* also here: no race with a kill at the deadline */
	if (deliver_exec_failed(status[0], &e)) {
		close(status[0]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		am_err_set(err, "cannot run %s: %s", argv[0], strerror(e));
		return -1;
	}
	close(status[0]);
	return pid;
}

enum deliver_status deliver_sendmail(const char *command, const char *msg, size_t len,
				     unsigned timeout, struct am_err *err)
{
	char *argv[DELIVER_MAX_ARGS + 1], *buf;
	double deadline = clock_now() + (timeout > 0 ? timeout : 1);
	const char *why = "";
	enum deliver_status rc;
	bool timed_out, wrote;
	int fds[2], st;
	pid_t pid;

	if (deliver_split(command, &buf, argv) == 0 || argv[0][0] != '/') {
		am_err_set(err,
			   "sendmail command \"%s\": not an absolute path and at most %d words",
			   command ? command : "", DELIVER_MAX_ARGS);
		free(buf);
		return DELIVER_TEMPFAIL;
	}
	if (deliver_pipe(fds) != 0) {
		am_err_set(err, "%s: pipe: %s", argv[0], strerror(errno));
		free(buf);
		return DELIVER_TEMPFAIL;
	}
	pid = deliver_spawn(argv, fds[0], err);
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		free(buf);
		return DELIVER_TEMPFAIL;
	}
	fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
	wrote = deliver_write(fds[1], msg, len, deadline, &why) == 0;
	close(fds[1]); /* end of the message for the command */
	st = deliver_wait(pid, deadline, &timed_out);
	rc = deliver_judge(argv[0], st, timed_out, wrote, why, err);
	free(buf);
	return rc;
}

/* The message, handed to libcurl piece by piece. */
struct deliver_src {
	const char *p;
	size_t left;
};

static size_t deliver_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct deliver_src *src = arg;
	size_t n = size * nitems;

	if (n > src->left)
		n = src->left;
	memcpy(buf, src->p, n);
	src->p += n;
	src->left -= n;
	return n;
}

/* The server's last reply lines (CURLINFO_HEADER_IN), escaped: the one
 * that failed may be followed by the reply to QUIT. */
#define DELIVER_REPLIES 4
struct deliver_replies {
	struct strbuf line[DELIVER_REPLIES];
	unsigned next;
};

static int deliver_debug(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct deliver_replies *r = arg;
	char line[DELIVER_REPLY_MAX + 1];
	size_t n = size;
	struct strbuf *sb;

	if (type != CURLINFO_HEADER_IN)
		return 0;
	sb = &r->line[r->next++ % DELIVER_REPLIES];
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n > DELIVER_REPLY_MAX)
		n = DELIVER_REPLY_MAX;
	memcpy(line, data, n);
	line[n] = '\0';
	strbuf_reset(sb);
	escape_add(sb, line);
	return 0;
}

/* The latest reply line that starts with code, or "". */
static const char *deliver_reply(const struct deliver_replies *r, long code)
{
	char prefix[8];
	unsigned i;

	snprintf(prefix, sizeof(prefix), "%03ld", code);
	for (i = 1; i <= DELIVER_REPLIES && i <= r->next; i++) {
		const char *s = strbuf_str(&r->line[(r->next - i) % DELIVER_REPLIES]);

		if (strncmp(s, prefix, 3) == 0)
			return s;
	}
	return "";
}

static void deliver_replies_free(struct deliver_replies *r)
{
	unsigned i;

	for (i = 0; i < DELIVER_REPLIES; i++)
		strbuf_free(&r->line[i]);
}

/* Whether s may go into an SMTP command or a URL as it is: printable
 * ASCII without space, and none of the bytes in bad. */
static bool deliver_arg_ok(const char *s, const char *bad)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr(bad, *s))
			return false;
	return true;
}

/* Sets the options of one transfer; the URL is smtp://hostport/helo
 * (libcurl sends the path as the EHLO name). */
static void deliver_setup(CURL *c, const char *url, const char *from, struct curl_slist *rcpt,
			  struct deliver_src *src, unsigned timeout, char *errbuf,
			  struct deliver_replies *replies)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, deliver_read);
	curl_easy_setopt(c, CURLOPT_READDATA, src);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)src->left);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	/* STARTTLS when offered, never required, and no name to verify a
	 * certificate against (deliver.h). */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	/* 0 would mean no limit to libcurl */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout > 0 ? (long)timeout : 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout > 0 ? (long)timeout : 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	/* The debug callback runs only in verbose mode; it prints nothing. */
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, deliver_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, replies);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
}

enum deliver_status deliver_smtp(const char *hostport, const char *helo, const char *from,
				 const char *to, const char *msg, size_t len, unsigned timeout,
				 struct am_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct deliver_src src = {msg, len};
	struct deliver_replies replies;
	struct curl_slist *rcpt;
	enum deliver_status rc = DELIVER_OK;
	long code = 0;
	CURLcode res;
	char *url;
	CURL *c;

	/* A CR, LF, space or angle bracket would change the command or the
	 * URL it is put into: refuse rather than send something else. */
	if (from == NULL)
		from = ""; /* the null sender, MAIL FROM:<> */
	if (to == NULL || hostport == NULL || helo == NULL) {
		am_err_set(err, "smtp: no server, EHLO name or recipient");
		return DELIVER_TEMPFAIL;
	}
	if (!deliver_arg_ok(from, "<>") || !deliver_arg_ok(to, "<>") || *to == '\0') {
		am_err_set(err, "smtp: sender or recipient is not one plain address");
		return DELIVER_PERMFAIL;
	}
	if (!deliver_arg_ok(hostport, "/?#@") || !deliver_arg_ok(helo, "/?#@%") || *helo == '\0') {
		am_err_set(err, "smtp: server or EHLO name is not usable in a URL");
		return DELIVER_TEMPFAIL;
	}
	c = curl_easy_init();
	if (c == NULL) {
		am_err_set(err, "smtp %s: cannot start libcurl", hostport);
		return DELIVER_TEMPFAIL;
	}
	memset(&replies, 0, sizeof(replies));
	url = xasprintf("smtp://%s/%s", hostport, helo);
	rcpt = curl_slist_append(NULL, to);
	if (rcpt == NULL)
		xalloc_fail(strlen(to));
	deliver_setup(c, url, from, rcpt, &src, timeout, errbuf, &replies);
	res = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (res != CURLE_OK) {
		struct strbuf why = STRBUF_INIT;
		const char *reply = deliver_reply(&replies, code);

		rc = code >= 500 && code <= 599 ? DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
		escape_add(&why, errbuf[0] ? errbuf : curl_easy_strerror(res));
		am_err_set(err, "smtp %s: %s (reply %ld%s%s)", hostport, strbuf_str(&why), code,
			   *reply ? ": " : "", reply);
		strbuf_free(&why);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	deliver_replies_free(&replies);
	free(url);
	return rc;
}

void deliver_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}
