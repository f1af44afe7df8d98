/*
 * recorder - the daemon's side of DMARC aggregate reports: verdicts to store
 *
 * SYNOPSIS
 *	recorder_start(cfg, &err);                  (after privileges are dropped)
 *	recorder_record(cfg, verdict, mail_from);   (each message, any thread)
 *	recorder_stop(seconds);                     (at SIGTERM)
 *
 * DESCRIPTION
 *	recorder_record() turns a verdict into a report record
 *	(report/record.h) and pushes it onto a bounded lock-free queue
 *	(util/ring.h); it never waits. When the queue is full the record is
 *	dropped and counted. Messages whose policy domain or From domain is
 *	in reporting.exclude_domains are not recorded.
 *
 *	One writer thread owns the store (report/store.h). Every 100 ms it
 *	moves what is queued into its batch, adding up identical records,
 *	and at least once a second it writes the batch in one transaction.
 *	A crash loses at most the records of the last second. While the
 *	store cannot be opened or a write fails, the batch is kept and tried
 *	again every RECORDER_RETRY seconds, nothing more is taken from the
 *	queue, so the queue fills and further records are dropped: memory
 *	stays bounded by reporting.queue_size and the batch. Drops are logged
 *	at most once a minute; a change of the store's state (up, down) is
 *	logged when it happens.
 *
 *	The counters (queued, written, dropped, the store's state and its last
 *	error) are written about once a second to reporting.status_file
 *	(key=value lines, replaced atomically by rename), where
 *	authmilter-report --status reads them.
 *
 *	recorder_stop() writes what is still queued, for at most the given
 *	seconds, and stops the thread. The reporting settings are read at
 *	start; a reload does not change them.
 */
#ifndef AM_RECORDER_H
#define AM_RECORDER_H

#include "config/config.h"
#include "engine/verdict.h"
#include "util/err.h"

#define RECORDER_RETRY 2 /* seconds between attempts while the store is down */

/* 0, or -1 with err (the thread could not start). A store that cannot be
 * opened is not an error here: the writer keeps trying. */
int recorder_start(const struct config *cfg, struct am_err *err);
void recorder_record(const struct config *cfg, const struct verdict *v, const char *mail_from);
/* Records that could not be written (0 when everything was). */
unsigned long recorder_stop(unsigned seconds);
/* Records queued and dropped since start (0, 0 when not recording). */
void recorder_counts(unsigned long *recorded, unsigned long *dropped);

#endif
