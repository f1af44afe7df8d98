/*
 * mserver - the milter socket and its connection threads (see mserver.h)
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/mserver.h"
#include "util/clock.h"
#include "util/xalloc.h"

/* Bytes read at a time: a whole header section or body chunk of a typical
 * message. On the heap, and under glibc's 64 KB threshold past which
 * freeing it would make malloc consolidate its free lists at the end of
 * every connection; not on the stack, where every connection thread
 * would keep the pages it ever touched. */
#define READ_CHUNK 32768
/* Stack of a connection thread: the engine's deepest path (SPF includes,
 * libopendkim, OpenSSL) needs a small fraction of it; glibc's default of
 * 8 MB per thread only costs address space, but sanitizers map and clear
 * shadow memory for all of it, per thread. */
#define THREAD_STACK (1024 * 1024)

static struct {
	pthread_mutex_t mu;
	int fd;
	const struct mproto_callbacks *cb;
	unsigned idle_timeout, negotiate_timeout;
	unsigned max_connections; /* 0: no limit; changed by mserver_set_limits() */
	unsigned served;	  /* connections from accept() to close */
	unsigned waiting;	  /* threads in (or on their way to) accept() */
	bool stopping;
	char *path; /* the UNIX socket to remove at stop, or NULL */
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* The text of errno e, in buf: %m formats it with strerror_r(), so no
 * connection thread shares the static buffer of strerror(). */
static const char *errtext(int e, char *buf, size_t len)
{
	errno = e;
	snprintf(buf, len, "%m");
	return buf;
}

/* ------------------------------------------------------------ listen */

static int listen_unix(const char *path, struct am_err *err)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path != '/' || strlen(path) >= sizeof(sun.sun_path)) {
		am_err_set(err, "bad socket path \"%s\" (absolute, under %zu bytes)", path,
			   sizeof(sun.sun_path));
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		am_err_set(err, "cannot listen on %s: %m", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	free(srv.path);
	srv.path = xstrdup(path);
	return fd;
}

/* "PORT@HOST" or "PORT" for family (AF_INET or AF_INET6). */
static int listen_inet(int family, const char *where, struct am_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char *port = xstrdup(where), *host = strchr(port, '@');
	int fd = -1, one = 1, rc;

	if (host != NULL)
		*host++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    (host != NULL && *host == '\0')) {
		am_err_set(err, "bad socket \"%s\" (PORT or PORT@HOST)", where);
		free(port);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		am_err_set(err, "socket address %s: %s", where, gai_strerror(rc));
		free(port);
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		/* Inherited by every accepted connection. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
			am_err_set(err, "cannot listen on %s: %m", where);
			close(fd);
			fd = -1;
		}
	}
	if (res == NULL || (fd < 0 && err != NULL && err->msg[0] == '\0'))
		am_err_set(err, "cannot listen on %s", where);
	freeaddrinfo(res);
	free(port);
	return fd;
}

int mserver_listen(const char *spec, struct am_err *err)
{
	if (strncmp(spec, "local:", 6) == 0)
		return listen_unix(spec + 6, err);
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, err);
	if (spec[0] == '/')
		return listen_unix(spec, err);
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(AF_INET, spec + 5, err);
	if (strncmp(spec, "inet6:", 6) == 0)
		return listen_inet(AF_INET6, spec + 6, err);
	am_err_set(err, "bad socket \"%s\" (local:PATH, inet:PORT@HOST or inet6:PORT@HOST)", spec);
	return -1;
}

/* ------------------------------------------------------- connections */

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sets fd's receive timeout for the next read: what is left of
 * negotiate_timeout (until, clock_now() seconds) while the MTA has not negotiated, then
 * idle_timeout (once; *idle says it is set). false when the time to
 * negotiate is up. */
static bool recv_timeout(int fd, const struct mproto *mp, double until, bool *idle)
{
	struct timeval tv = {.tv_sec = srv.idle_timeout, .tv_usec = 0};
	long long left;

	if (*idle)
		return true;
	if (mproto_negotiated(mp)) {
		*idle = true;
	} else {
		left = (long long)((until - clock_now()) * 1e6);
		if (left <= 0)
			return false;
		tv.tv_sec = (time_t)(left / 1000000);
		tv.tv_usec = (suseconds_t)(left % 1000000);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return true;
}

/* One MTA connection, from accept to its end; the caller closes fd. */
static void serve(int fd)
{
	struct mproto *mp = mproto_new(srv.cb, NULL);
	struct timeval tv = {.tv_sec = srv.idle_timeout, .tv_usec = 0};
	double until = clock_now() + srv.negotiate_timeout;
	unsigned char *buf = xmalloc(READ_CHUNK);
	enum mproto_rc rc = MPROTO_OK;
	const char *why = NULL;
	char ebuf[128];
	bool idle = false;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (rc == MPROTO_OK) {
		ssize_t n;
		const void *out;
		size_t len;

		if (!recv_timeout(fd, mp, until, &idle)) {
			why = "negotiate_timeout";
			break;
		}
		n = recv(fd, buf, READ_CHUNK, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The MTA closes without QUIT after refusing a connection. */
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				why = idle ? "idle_timeout" : "negotiate_timeout";
			else if (n < 0)
				why = errtext(errno, ebuf, sizeof(ebuf));
			break;
		}
		rc = mproto_input(mp, buf, (size_t)n);
		out = mproto_output(mp, &len);
		if (len > 0 && write_all(fd, out, len) != 0) {
			why = errno == EAGAIN || errno == EWOULDBLOCK
				  ? "write_timeout"
				  : errtext(errno, ebuf, sizeof(ebuf));
			break;
		}
		mproto_output_clear(mp);
	}
	if (rc == MPROTO_ERROR) {
		metrics_event(METRIC_PROTOCOL_ERROR);
		log_msg(LOG_WARNING, "error=milter_protocol reason=\"%s\" action=close",
			mproto_error(mp));
	} else if (why != NULL) {
		if (strcmp(why, "idle_timeout") == 0 || strcmp(why, "negotiate_timeout") == 0)
			metrics_event(METRIC_IDLE_CLOSE);
		log_msg(LOG_INFO, "connection=closed reason=\"%s\"", why);
	}
	free(buf);
	mproto_free(mp); /* abort and close callbacks, if still due */
}

static void *worker(void *arg);

/* Starts one more thread waiting in accept(); false if none could be. */
static bool spawn(void)
{
	pthread_attr_t attr;
	pthread_t tid;
	bool ok;

	pthread_mutex_lock(&srv.mu);
	srv.waiting++;
	pthread_mutex_unlock(&srv.mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	ok = pthread_create(&tid, &attr, worker, NULL) == 0;
	pthread_attr_destroy(&attr);
	if (!ok) {
		pthread_mutex_lock(&srv.mu);
		srv.waiting--;
		pthread_mutex_unlock(&srv.mu);
	}
	return ok;
}

static void *worker(void *arg)
{
	char ebuf[128];

	(void)arg;
	for (;;) {
		int fd = accept(srv.fd, NULL, NULL);
		unsigned limit;
		bool more;

		pthread_mutex_lock(&srv.mu);
		if (srv.stopping) {
			srv.waiting--;
			pthread_mutex_unlock(&srv.mu);
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (fd < 0) {
			int e = errno;

			pthread_mutex_unlock(&srv.mu);
			/* A client that gave up before accept() is nothing; out
			 * of descriptors or memory (or anything unexpected): say
			 * so, and do not spin. */
			if (e != EINTR && e != ECONNABORTED && e != EPROTO) {
				log_msg(LOG_ERR, "error=accept reason=\"%s\"",
					errtext(e, ebuf, sizeof(ebuf)));
				usleep(100 * 1000);
			}
			continue;
		}
		/* Counted from accept(), so a peer that never negotiates holds
		 * a slot too; one over the limit is closed by this thread,
		 * which goes straight back to accept(). */
		if (srv.max_connections > 0 && srv.served >= srv.max_connections) {
			limit = srv.max_connections;
			pthread_mutex_unlock(&srv.mu);
			log_msg(LOG_WARNING, "refused=connection reason=max_connections limit=%u",
				limit);
			close(fd);
			continue;
		}
		srv.served++;
		more = --srv.waiting == 0;
		pthread_mutex_unlock(&srv.mu);
		if (more && !spawn())
			log_msg(LOG_ERR, "error=thread reason=\"cannot start a thread\"");
		metrics_conn(+1);
		serve(fd);
		metrics_conn(-1);
		/* Uncounted before the close, so a peer that sees it may
		 * connect again at once. */
		pthread_mutex_lock(&srv.mu);
		srv.served--;
		more = !srv.stopping && srv.waiting < MSERVER_SPARE;
		if (more)
			srv.waiting++;
		pthread_mutex_unlock(&srv.mu);
		close(fd);
		if (!more)
			return NULL;
	}
}

void mserver_set_limits(unsigned max_connections)
{
	pthread_mutex_lock(&srv.mu);
	srv.max_connections = max_connections;
	pthread_mutex_unlock(&srv.mu);
}

int mserver_start(int fd, const struct mproto_callbacks *cb, unsigned negotiate_timeout,
		  unsigned idle_timeout, struct am_err *err)
{
	srv.fd = fd;
	srv.cb = cb;
	srv.negotiate_timeout = negotiate_timeout;
	srv.idle_timeout = idle_timeout;
	if (!spawn() || !spawn()) {
		am_err_set(err, "cannot start connection threads");
		return -1;
	}
	return 0;
}

void mserver_stop(void)
{
	struct stat st;

	pthread_mutex_lock(&srv.mu);
	srv.stopping = true;
	pthread_mutex_unlock(&srv.mu);
	/* Wakes every thread blocked in accept() (EINVAL), refuses new
	 * connections; the descriptor itself stays open until exit. */
	(void)shutdown(srv.fd, SHUT_RDWR);
	if (srv.path != NULL && lstat(srv.path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(srv.path);
}
