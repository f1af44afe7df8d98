/*
 * signals - SIGHUP reloads, SIGTERM and SIGINT stop gracefully
 *
 * DESCRIPTION
 *	libmilter runs its own signal thread inside smfi_main(): it blocks
 *	SIGHUP, SIGTERM and SIGINT and waits for them with sigwait(), treating
 *	SIGHUP like SIGTERM and SIGINT as an abort that drops messages in
 *	progress. We want SIGHUP to reload and SIGINT to stop as gently as
 *	SIGTERM, so signals.c defines sigwait() itself: the executable's
 *	definition is the one libmilter's calls bind to. It waits with
 *	sigwaitinfo(), runs the reload hook for SIGHUP and keeps waiting, and
 *	hands SIGTERM (also for SIGINT) back to libmilter, which then stops
 *	accepting connections and returns from smfi_main().
 *	Only libmilter's signal thread calls sigwait() in this program.
 */
#ifndef AM_SIGNALS_H
#define AM_SIGNALS_H

void signals_set_reload(void (*hook)(void));

#endif
