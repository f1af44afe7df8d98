/*
 * mserver - the milter socket: listen, accept, one thread per connection
 *
 * SYNOPSIS
 *	fd = mserver_listen("local:/run/authmilter/authmilter.sock", &err);
 *	mserver_set_limits(max_connections);     (again after a reload)
 *	mserver_start(fd, &callbacks, negotiate_timeout, idle_timeout, &err);
 *	...                       (signals are handled by the caller)
 *	mserver_stop();
 *
 * DESCRIPTION
 *	mserver_listen() opens the socket of a milter socket specification:
 *	"local:PATH", "unix:PATH" or a bare "/PATH" (a UNIX socket; PATH must
 *	not exist), "inet:PORT@HOST", "inet:PORT" (all IPv4 addresses),
 *	"inet6:PORT@HOST" or "inet6:PORT". HOST is an address or a name.
 *	TCP sockets get TCP_NODELAY, which accepted connections inherit, so a
 *	reply written at end of message is not held back by Nagle.
 *
 *	mserver_start() serves the socket with a pool of threads that each
 *	accept a connection and carry it to its end through src/milter/mproto:
 *	read what the MTA sent (up to 64 KB at a time), hand it to the
 *	protocol, write the replies in one write. A thread that takes a
 *	connection while no other waits in accept() starts one more; at the
 *	end of a connection a thread goes back to accept() unless
 *	MSERVER_SPARE threads already wait there. A connection that has not
 *	completed the milter negotiation negotiate_timeout seconds after it
 *	was accepted is closed; after it, one that sends nothing for
 *	idle_timeout seconds, or cannot take a reply for as long, is closed
 *	(the MTA then applies its milter default action).
 *
 *	mserver_set_limits() sets how many connections are served at once
 *	(0: no limit; it may be called at any time, and applies to the
 *	connections accepted after it). A connection counts from accept() to
 *	close, negotiated or not; one accepted while max_connections are
 *	served is logged (refused=connection reason=max_connections) and
 *	closed at once by the accepting thread, before any negotiation.
 *
 *	mserver_stop() stops accepting: new connections are refused, the ones
 *	open run to their end (the caller waits for them, see
 *	milter_wait_idle()). A UNIX socket is removed if the process may.
 *
 * DIAGNOSTICS
 *	mserver_listen() returns -1 and fills err when the specification is
 *	bad or the socket cannot be opened; mserver_start() when no thread can
 *	be started. Connection-level problems (protocol violations, timeouts,
 *	resets) are logged and close only that connection.
 */
#ifndef AM_MSERVER_H
#define AM_MSERVER_H

#include "milter/mproto.h"
#include "util/err.h"

#define MSERVER_SPARE 8 /* idle threads kept waiting in accept() */

int mserver_listen(const char *spec, struct am_err *err);
void mserver_set_limits(unsigned max_connections);
int mserver_start(int fd, const struct mproto_callbacks *cb, unsigned negotiate_timeout,
		  unsigned idle_timeout, struct am_err *err);
void mserver_stop(void);

#endif
