/*
 * deliver - hand a report message to the local MTA or to an SMTP server
 *
 * SYNOPSIS
 *	rc = deliver_sendmail("/usr/sbin/sendmail -t -oi", msg, len, 120, &err);
 *	rc = deliver_smtp("127.0.0.1:25", "mx.example.org", from, to, msg, len, 120, &err);
 *
 * DESCRIPTION
 *	deliver_sendmail() runs the command (split at blanks, no shell, no
 *	quoting; the first word an absolute path, at most 64 words) with the
 *	message on its standard input and waits for it; exit status 0 means
 *	the MTA took the message. The command runs in a process group of its
 *	own with an empty signal mask, SIGPIPE at its default action and no
 *	descriptor of ours but 0, 1 and 2 (its standard output and error go
 *	to ours). When it takes more than timeout seconds, writing included,
 *	its process group is killed (SIGKILL). It is always reaped before
 *	the call returns: no zombie is left. A write to a command that stopped
 *	reading does not raise SIGPIPE in the caller: the signal is blocked
 *	in the calling thread around the writes and a pending one consumed,
 *	and the process-wide disposition is never touched, so any caller,
 *	threaded or not, may leave SIGPIPE at its default. The caller must not
 *	ignore SIGCHLD (children would vanish without a status: TEMPFAIL).
 *
 *	deliver_smtp() speaks SMTP (libcurl) to host:port ("[v6addr]:port"
 *	for IPv6): EHLO helo, STARTTLS when offered (not required; the
 *	certificate is not verified, as no name is known to check it
 *	against), MAIL FROM:<from>, RCPT TO:<to>, DATA. The whole exchange
 *	is bounded by timeout seconds. The message goes as it is (CRLF line
 *	ends expected; libcurl adds the dot-stuffing). from may be NULL or ""
 *	(MAIL FROM:<>). A from or to with a space, control character or angle
 *	bracket is refused unsent (PERMFAIL); a hostport or helo that cannot
 *	stand in smtp://hostport/helo is refused unsent (TEMPFAIL).
 *
 *	Both return DELIVER_OK once the MTA accepted the message,
 *	DELIVER_TEMPFAIL for a failure worth trying again (4xx reply,
 *	connection or command failure, timeout, sendmail's EX_TEMPFAIL or a
 *	signal, a command that cannot be run or is not an absolute path, one
 *	that exits 0 before it has read the whole message), DELIVER_PERMFAIL
 *	for a 5xx reply or any other sendmail exit status; err says what
 *	happened (the server's reply when there is one, escaped). A timeout
 *	of 0 is taken as 1.
 */
#ifndef AM_REPORT_DELIVER_H
#define AM_REPORT_DELIVER_H

#include <stddef.h>

#include "util/err.h"

enum deliver_status {
	DELIVER_OK = 0,
	DELIVER_TEMPFAIL,
	DELIVER_PERMFAIL,
};

enum deliver_status deliver_sendmail(const char *command, const char *msg, size_t len,
				     unsigned timeout, struct am_err *err);
enum deliver_status deliver_smtp(const char *hostport, const char *helo, const char *from,
				 const char *to, const char *msg, size_t len, unsigned timeout,
				 struct am_err *err);
/* Once per process, before threads (curl_global_init). */
void deliver_init(void);

#endif
