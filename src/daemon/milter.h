/*
 * milter - the milter callbacks: collect, delegate to the engine, act
 *
 * SYNOPSIS
 *	milter_set_engine(eng);          (at start and at every reload)
 *	mserver_start(fd, &milter_callbacks, ...);
 *	milter_wait_idle(seconds);       (at shutdown)
 *
 * DESCRIPTION
 *	The callbacks of src/milter/mproto, run on the thread of the
 *	connection (src/daemon/mserver); a connection's state travels in its
 *	session (mproto_priv) and nothing is kept per thread. Each
 *	callback only collects what the MTA sends and hands it to the engine
 *	(src/engine), then applies the verdict at end of message: forged
 *	Authentication-Results headers removed (highest index first, so
 *	positions stay right), ours inserted at the top, and reject, tempfail,
 *	quarantine or accept under the local policy (trusted and allowlisted
 *	clients and domains, monitor mode). One log line per message.
 *
 *	The engine in use is swapped by milter_set_engine(); a message keeps
 *	the engine (and configuration snapshot) it started with.
 */
#ifndef AM_MILTER_H
#define AM_MILTER_H

#include "engine/message.h"
#include "milter/mproto.h"

extern const struct mproto_callbacks milter_callbacks;

/* Takes a reference to eng; the previous engine is released. */
void milter_set_engine(struct engine *eng);
/* Waits until no connection is open or seconds have passed; returns the
 * number still open. */
unsigned milter_wait_idle(unsigned seconds);

#endif
