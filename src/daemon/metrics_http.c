/*
 * metrics_http - GET /metrics over HTTP, with libmicrohttpd (see metrics.h)
 *
 * DESCRIPTION
 *	One libmicrohttpd daemon with its own polling thread, bound to the
 *	address of metrics.listen ("IPv4:PORT" or "[IPv6]:PORT"). GET or
 *	HEAD /metrics answers 200 with the text format (version 0.0.4);
 *	another path 404; another method 405. At most 16 scrapes at once,
 *	each given 10 seconds; nothing else is served.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon/metrics.h"
#include "util/xalloc.h"

static struct MHD_Daemon *httpd;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body,
			     const char *type)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **state)
{
	(void)cls;
	(void)version;
	(void)upload;
	(void)state;
	if (*upload_size != 0)
		return MHD_NO;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, xstrdup("GET /metrics only\n"),
			     "text/plain");
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, xstrdup("try /metrics\n"), "text/plain");
	return reply(c, MHD_HTTP_OK, metrics_render(), "text/plain; version=0.0.4; charset=utf-8");
}

/* "192.0.2.1:9806" or "[2001:db8::1]:9806" into ss; false when it is not. */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, unsigned *flags)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	long port;
	char *end;
	size_t n;

	if (colon == NULL)
		return false;
	port = strtol(colon + 1, &end, 10);
	n = (size_t)(colon - listen);
	if (*end != '\0' || port < 1 || port > 65535 || n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, listen, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[n - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*flags |= MHD_USE_IPv6;
		return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return inet_pton(AF_INET, host, &s4->sin_addr) == 1;
	}
}

int metrics_start(const char *listen, struct am_err *err)
{
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;

	if (listen == NULL || listen[0] == '\0')
		return 0;
	if (!parse_listen(listen, &ss, &flags)) {
		am_err_set(err, "metrics.listen: \"%s\" is not ADDRESS:PORT", listen);
		return -1;
	}
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR,
				 (const struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
				 (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				 MHD_OPTION_END);
	if (httpd == NULL) {
		am_err_set(err, "metrics.listen: cannot listen on %s", listen);
		return -1;
	}
	return 0;
}

void metrics_stop(void)
{
	if (httpd != NULL)
		MHD_stop_daemon(httpd);
	httpd = NULL;
}
